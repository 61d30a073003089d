/*
 * threatatlas events: export the stored detection events (EVE alerts,
 * IntelMQ events or CSV), oldest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: threatatlas events --db FILE [--type c2|phishing|backdoor]\n"
               "                          [--since YYYY-MM-DD] [--format eve|intelmq|csv]\n\n"
               "Writes the events of completed analyses; a type includes its suspected kind.\n");
}

int ta_cli_events(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"type", required_argument, NULL, 't'},
        {"since", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *type = NULL, *since_s = NULL, *format = "eve";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 's':
            since_s = optarg;
            break;
        case 'F':
            format = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            ta_cli_error("events: option '%s' needs a value", argv[optind - 1]);
            return 2;
        default:
            ta_cli_error("events: unknown option '%s' (see 'threatatlas events --help')",
                         argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        ta_cli_error("events: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (db == NULL) {
        ta_cli_error("events: --db FILE is required");
        return 2;
    }
    if (type != NULL && strcmp(type, "c2") != 0 && strcmp(type, "phishing") != 0 &&
        strcmp(type, "backdoor") != 0) {
        ta_cli_error("events: invalid --type '%s' (expected c2, phishing or backdoor)", type);
        return 2;
    }
    ta_time_us since = 0;
    if (since_s != NULL && !ta_date_parse(since_s, &since)) {
        ta_cli_error("events: invalid --since date '%s' (expected YYYY-MM-DD)", since_s);
        return 2;
    }
    enum ta_events_format fmt;
    if (!ta_events_format_parse(format, &fmt)) {
        ta_cli_error("events: invalid --format '%s' (expected eve, intelmq or csv)", format);
        return 2;
    }
    char errbuf[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    ta_err err = ta_store_open(db, TA_STORE_READONLY, &st, errbuf);
    if (err != TA_OK) {
        ta_cli_error("events: %s", errbuf);
        return 1;
    }
    uint64_t n = 0;
    err = ta_report_events_write(st, type, since, fmt, stdout, &n);
    if (err != TA_OK)
        ta_cli_error("events: %s%s%s", ta_strerror(err), err == TA_ERR_DB ? ": " : "",
                     err == TA_ERR_DB ? ta_store_errmsg(st) : "");
    ta_store_close(st);
    return err == TA_OK ? 0 : 1;
}
