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

/* Addresses of the counted things, for comparing country sources. */
struct addrs {
    struct ta_addr *v;
    size_t n, cap;
};

static ta_err add_addr(void *ctx, const struct ta_store_cell *cells, size_t nc)
{
    struct addrs *a = ctx;
    if (nc == 0 || (cells[0].addr_len != 4 && cells[0].addr_len != 16))
        return TA_OK;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        struct ta_addr *v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL)
            return TA_ERR_NOMEM;
        a->v = v;
        a->cap = cap;
    }
    if (cells[0].addr_len == 4)
        ta_addr_set_v4(&a->v[a->n++], cells[0].addr);
    else
        ta_addr_set_v6(&a->v[a->n++], cells[0].addr);
    return TA_OK;
}

static int cmp_addr(const void *x, const void *y)
{
    return ta_addr_cmp(x, y);
}

static bool file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f != NULL)
        fclose(f);
    return f != NULL;
}

/*
 * When both country sources are installed, look every counted address of
 * the period up in each and tell the report how many they place apart.
 * Not being able to compare is not an error: the report just does not say.
 */
static ta_err compare_sources(struct ta_store *st, const struct ta_report_query *q,
                              const char *data_dir, struct ta_report *r)
{
    char dd[4096], p1[4400], p2[4400];
    if (!ta_geo_data_dir(data_dir, dd, sizeof(dd)))
        return TA_OK;
    snprintf(p1, sizeof(p1), "%s/geo/%s/%s", dd, TA_GEO_PKG_COUNTRY_DIR, TA_GEO_PKG_COUNTRY_FILE);
    snprintf(p2, sizeof(p2), "%s/geo/%s/%s", dd, TA_GEO_PKG_DBIP_DIR, TA_GEO_PKG_DBIP_FILE);
    if (!file_exists(p1) || !file_exists(p2) || !ta_store_has_data(st))
        return TA_OK;
    struct ta_store_period p;
    memset(&p, 0, sizeof(p));
    p.from_day = q->from_day;
    p.to_day = q->to_day;
    memcpy(p.src_cc, q->src_cc, 3);
    memcpy(p.dst_cc, q->dst_cc, 3);
    static const enum ta_store_list lists[] = {
        TA_STORE_LIST_C2_SERVERS, TA_STORE_LIST_CONTROLLED_HOSTS, TA_STORE_LIST_PHISHING_HOSTS,
        TA_STORE_LIST_BACKDOOR_SOURCES};
    struct addrs a = {0};
    ta_err err = TA_OK;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && err == TA_OK; i++)
        err = ta_store_list(st, &p, lists[i], 0, add_addr, &a);
    ta_geo *g[2] = {NULL, NULL};
    static const char *const sources[2] = {"whois", "location"};
    for (int k = 0; k < 2 && err == TA_OK; k++) {
        struct ta_geo_opts o = {.data_dir = data_dir, .source = sources[k], .asn_optional = true};
        char why[256];
        if (ta_geo_open(&o, &g[k], why, sizeof(why)) != TA_OK)
            goto out; /* said by analyze and geo; here the comparison is left out */
    }
    if (err == TA_OK) {
        if (a.n > 1)
            qsort(a.v, a.n, sizeof(*a.v), cmp_addr);
        uint64_t n = 0, diff = 0;
        for (size_t i = 0; i < a.n; i++) {
            if (i > 0 && ta_addr_cmp(&a.v[i], &a.v[i - 1]) == 0)
                continue;
            struct ta_geo_result x, y;
            ta_geo_lookup(g[0], &a.v[i], &x);
            ta_geo_lookup(g[1], &a.v[i], &y);
            n++;
            diff += strcmp(x.cc, y.cc) != 0;
        }
        err = ta_report_set_geo_compare(r, "whois (" TA_GEO_PKG_COUNTRY ")",
                                        "location (" TA_GEO_PKG_DBIP ")", n, diff);
    }
out:
    ta_geo_close(g[0]);
    ta_geo_close(g[1]);
    free(a.v);
    return err;
}

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
        if (err == TA_OK && fmt != TA_REPORT_FMT_CSV)
            err = compare_sources(st, &q, cfg.data_dir, r);
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
