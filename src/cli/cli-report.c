/*
 * threatatlas report: the attribution report over whole UTC days, or with
 * --list the evidence behind one of its counts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: threatatlas report --db FILE --from YYYY-MM-DD --to YYYY-MM-DD\n"
               "                          [--src-cc CC] [--dst-cc CC] [--format text|json|csv]\n"
               "                          [--list LIST [--limit N]]\n\n"
               "Counts confirmed detections by attacker country -> victim country over the\n"
               "period (whole UTC days, both included); suspected ones on their own lines.\n\n"
               "  --db FILE        database written by 'threatatlas analyze'\n"
               "  --from, --to     first and last day of the period (UTC)\n"
               "  --src-cc CC      only attackers located in CC (ISO 3166 alpha-2)\n"
               "  --dst-cc CC      only victims located in CC\n"
               "  --format F       text (CERT sentences, default), json, csv\n"
               "  --list LIST      evidence: c2-servers, controlled-hosts, phishing-hosts,\n"
               "                   phishing-pages, backdoor-sources, backdoored-sites\n"
               "  --limit N        at most N list entries (default: all)\n");
}

int ta_cli_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},     {"src-cc", required_argument, NULL, 's'},
        {"dst-cc", required_argument, NULL, 'D'}, {"format", required_argument, NULL, 'F'},
        {"list", required_argument, NULL, 'l'},   {"limit", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *from = NULL, *to = NULL, *src = NULL, *dst = NULL;
    const char *format = "text", *list = NULL, *limit_s = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 's':
            src = optarg;
            break;
        case 'D':
            dst = optarg;
            break;
        case 'F':
            format = optarg;
            break;
        case 'l':
            list = optarg;
            break;
        case 'n':
            limit_s = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            ta_cli_error("report: option '%s' needs a value", argv[optind - 1]);
            return 2;
        default:
            ta_cli_error("report: unknown option '%s' (see 'threatatlas report --help')",
                         argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        ta_cli_error("report: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (db == NULL) {
        ta_cli_error("report: --db FILE is required");
        return 2;
    }
    if (from == NULL || to == NULL) {
        ta_cli_error("report: --from and --to are required (YYYY-MM-DD, UTC)");
        return 2;
    }
    struct ta_report_query q;
    ta_report_query_init(&q);
    if (ta_report_query_dates(&q, from, to) != TA_OK) {
        ta_time_us t;
        if (!ta_date_parse(from, &t))
            ta_cli_error("report: invalid --from date '%s' (expected YYYY-MM-DD)", from);
        else if (!ta_date_parse(to, &t))
            ta_cli_error("report: invalid --to date '%s' (expected YYYY-MM-DD)", to);
        else
            ta_cli_error("report: --from %s is after --to %s", from, to);
        return 2;
    }
    if (src != NULL && ta_report_query_cc(q.src_cc, src) != TA_OK) {
        ta_cli_error("report: invalid --src-cc '%s' (expected a 2-letter country code)", src);
        return 2;
    }
    if (dst != NULL && ta_report_query_cc(q.dst_cc, dst) != TA_OK) {
        ta_cli_error("report: invalid --dst-cc '%s' (expected a 2-letter country code)", dst);
        return 2;
    }
    enum ta_report_format fmt;
    if (!ta_report_format_parse(format, &fmt)) {
        ta_cli_error("report: invalid --format '%s' (expected text, json or csv)", format);
        return 2;
    }
    enum ta_report_list l = TA_LIST_C2_SERVERS;
    if (list != NULL && !ta_report_list_parse(list, &l)) {
        ta_cli_error("report: invalid --list '%s' (expected c2-servers, controlled-hosts, "
                     "phishing-hosts, phishing-pages, backdoor-sources or backdoored-sites)",
                     list);
        return 2;
    }
    size_t limit = 0;
    if (limit_s != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(limit_s, &end, 10);
        if (list == NULL) {
            ta_cli_error("report: --limit only applies to --list");
            return 2;
        }
        if (errno != 0 || end == limit_s || *end != '\0' || limit_s[0] == '-' || v == 0) {
            ta_cli_error("report: invalid --limit '%s' (expected a positive number)", limit_s);
            return 2;
        }
        limit = (size_t)v;
    }

    char errbuf[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    ta_err err = ta_store_open(db, TA_STORE_READONLY, &st, errbuf);
    if (err != TA_OK) {
        ta_cli_error("report: %s", errbuf);
        return 1;
    }
    if (list != NULL) {
        err = ta_report_list_write(st, &q, l, limit, fmt, stdout);
    } else {
        struct ta_report *r = NULL;
        err = ta_report_compute(st, &q, &r);
        if (err == TA_OK)
            err = ta_report_write(r, fmt, stdout);
        ta_report_free(r);
    }
    if (err != TA_OK)
        ta_cli_error("report: %s%s%s", ta_strerror(err), err == TA_ERR_DB ? ": " : "",
                     err == TA_ERR_DB ? ta_store_errmsg(st) : "");
    ta_store_close(st);
    return err == TA_OK ? 0 : 1;
}
