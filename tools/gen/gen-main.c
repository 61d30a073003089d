/*
 * threatatlas-gen: scenario generator (work in progress; see README).
 */
#include <stdio.h>
#include <string.h>

#include "common/banned.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: threatatlas-gen --scenario NAME --out DIR --seed N\n");
        return 0;
    }
    fprintf(stderr, "threatatlas-gen: no scenarios yet\n");
    return 2;
}
