/*
 * threatatlas report: the attribution report over whole UTC days, or with
 * --list the evidence behind one of its counts.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct report_cfg {
    const char *db, *from, *to, *src, *dst, *format, *list;
    uint64_t limit;
};

static const struct ta_opt report_opts[] = {
    {"db", 0, TA_OPT_STR, offsetof(struct report_cfg, db), NULL, 0, 0, "FILE",
     "database written by 'threatatlas analyze' (required)"},
    {"from", 0, TA_OPT_STR, offsetof(struct report_cfg, from), NULL, 0, 0, "YYYY-MM-DD",
     "first day of the period, UTC (required)"},
    {"to", 0, TA_OPT_STR, offsetof(struct report_cfg, to), NULL, 0, 0, "YYYY-MM-DD",
     "last day of the period, UTC, included (required)"},
    {"src-cc", 0, TA_OPT_STR, offsetof(struct report_cfg, src), NULL, 0, 0, "CC",
     "only attackers located in CC (ISO 3166 alpha-2)"},
    {"dst-cc", 0, TA_OPT_STR, offsetof(struct report_cfg, dst), NULL, 0, 0, "CC",
     "only victims located in CC"},
    {"format", 0, TA_OPT_STR, offsetof(struct report_cfg, format), "text", 0, 0, "FMT",
     "text (CERT sentences), json or csv"},
    {"list", 0, TA_OPT_STR, offsetof(struct report_cfg, list), NULL, 0, 0, "LIST",
     "evidence: c2-servers, controlled-hosts, phishing-hosts, phishing-pages, "
     "backdoor-sources, backdoored-sites"},
    {"limit", 0, TA_OPT_U64, offsetof(struct report_cfg, limit), NULL, 1, INT64_MAX, "N",
     "at most N list entries (default: all)"},
};

static const struct ta_cmd_spec report_spec = {
    "report",
    "report --db FILE --from YYYY-MM-DD --to YYYY-MM-DD [--src-cc CC] [--dst-cc CC]\n"
    "                          [--format text|json|csv] [--list LIST [--limit N]]",
    "Counts confirmed detections by attacker country -> victim country over the period\n"
    "(whole UTC days, both included); suspected ones on their own lines.",
    report_opts,
    sizeof(report_opts) / sizeof(report_opts[0]),
    "Exit status: 0 ok, 1 database error, 2 bad options.\n",
};

int ta_cli_report(int argc, char **argv)
{
    struct report_cfg cfg = {0};
    int prc = ta_opts_parse(&report_spec, argc, argv, &cfg);
    if (prc != 0)
        return prc == 1 ? 0 : 2;
    const char *db = cfg.db, *from = cfg.from, *to = cfg.to, *src = cfg.src, *dst = cfg.dst;
    const char *format = cfg.format, *list = cfg.list;
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
    if (cfg.limit != 0 && list == NULL) {
        ta_cli_error("report: --limit only applies to --list");
        return 2;
    }
    size_t limit = (size_t)cfg.limit;

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
