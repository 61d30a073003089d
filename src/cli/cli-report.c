/*
 * threatatlas report: the attribution report over whole UTC days, or with
 * --list the evidence behind one of its counts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/enrich.h"
#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct report_cfg {
    const char *db, *from, *to, *src, *dst, *format, *list, *output, *lang, *data_dir;
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
     "text (CERT sentences), json, csv or html (a self-contained page with a map)"},
    {"list", 0, TA_OPT_STR, offsetof(struct report_cfg, list), NULL, 0, 0, "LIST",
     "evidence: c2-servers, controlled-hosts, phishing-hosts, phishing-pages, "
     "backdoor-sources, backdoored-sites"},
    {"output", 'o', TA_OPT_STR, offsetof(struct report_cfg, output), NULL, 0, 0, "FILE",
     "write to FILE instead of standard output"},
    {"lang", 0, TA_OPT_STR, offsetof(struct report_cfg, lang), "en", 0, 0, "LANG",
     "html: en (English) or zh (Chinese statement, names and headings)"},
    {"data-dir", 0, TA_OPT_STR, offsetof(struct report_cfg, data_dir), NULL, 0, 0, "DIR",
     "html: data directory holding the map data of 'geo install'"},
    {"limit", 0, TA_OPT_U64, offsetof(struct report_cfg, limit), NULL, 1, INT64_MAX, "N",
     "at most N list entries (default: all)"},
};

static const struct ta_cmd_spec report_spec = {
    "report",
    "report --db FILE --from YYYY-MM-DD --to YYYY-MM-DD [--src-cc CC] [--dst-cc CC]\n"
    "                          [--format text|json|csv|html] [--lang en|zh] [-o FILE]\n"
    "                          [--list LIST [--limit N]]",
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
    enum ta_report_format fmt = TA_REPORT_FMT_TEXT;
    bool html = strcmp(format, "html") == 0;
    if (!html && !ta_report_format_parse(format, &fmt)) {
        ta_cli_error("report: invalid --format '%s' (expected text, json, csv or html)", format);
        return 2;
    }
    if (strcmp(cfg.lang, "en") != 0 && strcmp(cfg.lang, "zh") != 0) {
        ta_cli_error("report: invalid --lang '%s' (expected en or zh)", cfg.lang);
        return 2;
    }
    if (html && list != NULL) {
        ta_cli_error("report: --list is text, json or csv; the html report links to the lists");
        return 2;
    }
    struct ta_report_html_opts ho = {.lang_zh = strcmp(cfg.lang, "zh") == 0, .db_label = db};
    char dd[4096], atlas[4200], names[4200];
    if (html) {
        if (!ta_geo_data_dir(cfg.data_dir, dd, sizeof(dd))) {
            ta_cli_error("report: data directory path too long");
            return 2;
        }
        snprintf(atlas, sizeof(atlas), "%s/geo/%s/%s", dd, TA_GEO_PKG_ATLAS_DIR,
                 TA_GEO_PKG_ATLAS_FILE);
        snprintf(names, sizeof(names), "%s/geo/%s", dd, TA_GEO_PKG_NAMES_DIR);
        ho.atlas_file = atlas;
        ho.names_dir = names;
        ho.map_credit = TA_GEO_PKG_ATLAS_CREDIT;
        ho.names_credit = TA_GEO_PKG_NAMES_CREDIT;
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
    FILE *out = stdout;
    if (cfg.output != NULL && (out = fopen(cfg.output, "w")) == NULL) {
        ta_cli_error("report: cannot write %s: %s", cfg.output, strerror(errno));
        ta_store_close(st);
        return 1;
    }
    char why[512] = "";
    if (list != NULL) {
        err = ta_report_list_write(st, &q, l, limit, fmt, out);
    } else {
        struct ta_report *r = NULL;
        err = ta_report_compute(st, &q, &r);
        if (err == TA_OK && html)
            err = ta_report_write_html(st, r, &ho, out, why, sizeof(why));
        else if (err == TA_OK)
            err = ta_report_write(r, fmt, out);
        ta_report_free(r);
    }
    if (out != stdout && fclose(out) != 0 && err == TA_OK)
        err = TA_ERR_IO;
    if (err != TA_OK && why[0])
        ta_cli_error("report: %s", why);
    else if (err != TA_OK)
        ta_cli_error("report: %s%s%s", ta_strerror(err), err == TA_ERR_DB ? ": " : "",
                     err == TA_ERR_DB ? ta_store_errmsg(st) : "");
    /* No half-written report is left behind. */
    if (err != TA_OK && cfg.output != NULL)
        remove(cfg.output);
    ta_store_close(st);
    return err == TA_OK ? 0 : 1;
}
