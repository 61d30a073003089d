/*
 * threatatlas observe: placeholder until the foundation pipeline lands.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#include "common/banned.h"

int ta_cli_observe(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: threatatlas observe -r FILE [-r FILE ...] [-f FILTER] [-o OUT]\n");
        return 0;
    }
    ta_cli_error("observe: not implemented yet");
    return 1;
}
