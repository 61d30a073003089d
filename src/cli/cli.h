/*
 * CLI internals: each subcommand is one function in its own file
 * (src/cli/cli-<name>.c), registered in the table in main.c. The CLI only
 * uses the public headers in include/threatatlas/.
 */
#ifndef TA_CLI_H
#define TA_CLI_H

#include <stdio.h>

/* Print "threatatlas: <message>" to stderr (one line). */
void ta_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "threatatlas: warning: <message>" to stderr. */
void ta_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Subcommands: argv[0] is the subcommand name. Return the process exit code. */
int ta_cli_observe(int argc, char **argv);
int ta_cli_analyze(int argc, char **argv);

#endif
