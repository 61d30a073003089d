/*
 * threatatlas command-line entry point: dispatches to subcommands.
 * The CLI is a thin layer over the library; each subcommand parses its
 * options, calls the library and turns ta_err values into one clear line.
 */
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/common.h"

#include "common/banned.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"observe", ta_cli_observe, "decode captures or an interface into EVE JSON observations"},
    {"analyze", ta_cli_analyze, "detect C&C, phishing and backdoor events in captures or live"},
    {"geo", ta_cli_geo, "geolocation data: install, lookup, info"},
    {"intel", ta_cli_intel, "import threat-intel feeds, list, look up and expire indicators"},
    {"report", ta_cli_report,
     "attribution report by country pair over a period (or --list evidence)"},
    {"events", ta_cli_events, "export stored detection events (EVE, IntelMQ, CSV)"},
    {"sensor", ta_cli_sensor, "run analyze -i as a service from a configuration file"},
    {"runs", ta_cli_runs, "list, show and delete the analysis runs stored in a database"},
    {"merge", ta_cli_merge, "combine sensor databases into one, counting each event once"},
};

/*
 * Messages quote input (feed lines, file names, option values): a control
 * character in them would reach the terminal as an escape sequence. Each
 * one is written as \xNN instead, so a message is always one plain line.
 */
void ta_cli_put_neutral(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}

void ta_cli_vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    fputs(prefix, f);
    ta_cli_put_neutral(f, buf);
    fputc('\n', f);
}

void ta_cli_line(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ta_cli_vline(f, "", fmt, ap);
    va_end(ap);
}

void ta_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ta_cli_vline(stderr, "threatatlas: ", fmt, ap);
    va_end(ap);
}

void ta_cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ta_cli_vline(stderr, "threatatlas: warning: ", fmt, ap);
    va_end(ap);
}

double ta_cli_elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void ta_cli_progress_start(struct ta_cli_progress *p, bool on, double every)
{
    p->on = on;
    p->every = every;
    p->n = 0;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    p->last = p->t0;
}

bool ta__cli_progress_check(struct ta_cli_progress *p, double *secs)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ta_cli_elapsed(&p->last, &now) < p->every)
        return false;
    p->last = now;
    *secs = ta_cli_elapsed(&p->t0, &now);
    return true;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: threatatlas <command> [options]\n"
               "       threatatlas --help | --version\n\n"
               "Network threat monitoring and attribution.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'threatatlas <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("threatatlas %s\n", TA_VERSION);
        return 0;
    }
    /* A file size limit (ulimit -f) would kill the process mid-write with no
     * word; ignored, the write fails (EFBIG) and the command says which file
     * it could not write, as on a full disk. */
    signal(SIGXFSZ, SIG_IGN);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    ta_cli_error("unknown command '%s' (see 'threatatlas --help')", argv[1]);
    return 2;
}
