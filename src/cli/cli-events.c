/*
 * threatatlas events: export the stored detection events (EVE alerts,
 * IntelMQ events or CSV), oldest first.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct events_cfg {
    const char *db, *type, *since, *format, *from, *to, *src, *dst, *tlp, *org;
};

static const struct ta_opt events_opts[] = {
    {"db", 0, TA_OPT_STR, offsetof(struct events_cfg, db), NULL, 0, 0, "FILE",
     "database written by 'threatatlas analyze' (required)"},
    {"type", 0, TA_OPT_STR, offsetof(struct events_cfg, type), NULL, 0, 0, "TYPE",
     "c2, phishing, backdoor (each with its suspected kind) or payload; default all"},
    {"since", 0, TA_OPT_STR, offsetof(struct events_cfg, since), NULL, 0, 0, "YYYY-MM-DD",
     "only events from this UTC day on"},
    {"format", 0, TA_OPT_STR, offsetof(struct events_cfg, format), "eve", 0, 0, "FMT",
     "eve (Suricata-style alerts), intelmq, csv, stix (STIX 2.1 bundle) or misp (MISP event)"},
    {"from", 0, TA_OPT_STR, offsetof(struct events_cfg, from), NULL, 0, 0, "YYYY-MM-DD",
     "stix, misp: first day of the period, UTC (default: all)"},
    {"to", 0, TA_OPT_STR, offsetof(struct events_cfg, to), NULL, 0, 0, "YYYY-MM-DD",
     "stix, misp: last day of the period, included (default: all)"},
    {"src-cc", 0, TA_OPT_STR, offsetof(struct events_cfg, src), NULL, 0, 0, "CC",
     "stix, misp: only attackers located in CC"},
    {"dst-cc", 0, TA_OPT_STR, offsetof(struct events_cfg, dst), NULL, 0, 0, "CC",
     "stix, misp: only victims located in CC"},
    {"tlp", 0, TA_OPT_STR, offsetof(struct events_cfg, tlp), "amber", 0, 0, "TLP",
     "stix, misp: clear, white, green, amber or red"},
    {"org", 0, TA_OPT_STR, offsetof(struct events_cfg, org), "threatatlas", 0, 0, "NAME",
     "stix, misp: the organisation sharing (STIX identity, MISP Orgc)"},
};

static const struct ta_cmd_spec events_spec = {
    "events",
    "events --db FILE [--type c2|phishing|backdoor|payload] [--since YYYY-MM-DD]\n"
    "                          [--format eve|intelmq|csv]\n"
    "       threatatlas events --db FILE --format stix|misp [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                          [--src-cc CC] [--dst-cc CC] [--type c2|phishing|backdoor]\n"
    "                          [--tlp clear|white|green|amber|red] [--org NAME]",
    "Writes the stored events, each distinct event once (however many runs or sensors saw\n"
    "it), oldest first. Suppressed events are included, with the list that suppressed them.\n"
    "stix and misp share indicators instead: each C&C server, phishing page and backdoor\n"
    "attacker IP the report counts in the period, with first/last seen and its events.",
    events_opts,
    sizeof(events_opts) / sizeof(events_opts[0]),
    "Exit status: 0 ok, 1 database error, 2 bad options.\n",
};

int ta_cli_events(int argc, char **argv)
{
    struct events_cfg cfg = {0};
    int prc = ta_opts_parse(&events_spec, argc, argv, &cfg);
    if (prc != 0)
        return prc == 1 ? 0 : 2;
    const char *db = cfg.db, *type = cfg.type, *since_s = cfg.since, *format = cfg.format;
    if (db == NULL) {
        ta_cli_error("events: --db FILE is required");
        return 2;
    }
    if (type != NULL && strcmp(type, "c2") != 0 && strcmp(type, "phishing") != 0 &&
        strcmp(type, "backdoor") != 0 && strcmp(type, "payload") != 0) {
        ta_cli_error("events: invalid --type '%s' (expected c2, phishing, backdoor or payload)",
                     type);
        return 2;
    }
    ta_time_us since = 0;
    if (since_s != NULL && !ta_date_parse(since_s, &since)) {
        ta_cli_error("events: invalid --since date '%s' (expected YYYY-MM-DD)", since_s);
        return 2;
    }
    enum ta_events_format fmt;
    if (!ta_events_format_parse(format, &fmt)) {
        ta_cli_error("events: invalid --format '%s' (expected eve, intelmq, csv, stix or misp)",
                     format);
        return 2;
    }
    bool share = fmt == TA_EVENTS_FMT_STIX || fmt == TA_EVENTS_FMT_MISP;
    if (!share && (cfg.from || cfg.to || cfg.src || cfg.dst)) {
        ta_cli_error("events: --from, --to, --src-cc and --dst-cc apply to --format stix or misp "
                     "(use --since)");
        return 2;
    }
    if (share && type != NULL && strcmp(type, "payload") == 0) {
        ta_cli_error("events: --format %s shares c2, phishing and backdoor indicators, not payload",
                     format);
        return 2;
    }
    struct ta_report_query q;
    ta_report_query_init(&q);
    struct ta_share_opts so = {.org = cfg.org};
    if (share) {
        ta_time_us t;
        const char *bad = NULL;
        if (cfg.from != NULL && !ta_date_parse(cfg.from, &t))
            bad = "--from";
        else if (cfg.to != NULL && !ta_date_parse(cfg.to, &t))
            bad = "--to";
        if (bad != NULL) {
            ta_cli_error("events: invalid %s date '%s' (expected YYYY-MM-DD)", bad,
                         bad[2] == 'f' ? cfg.from : cfg.to);
            return 2;
        }
        const char *from = cfg.from ? cfg.from : since_s;
        if (from != NULL && ta_date_parse(from, &t))
            q.from_day = ta_store_day(t);
        if (cfg.to != NULL && ta_date_parse(cfg.to, &t))
            q.to_day = ta_store_day(t);
        if (q.from_day > q.to_day) {
            ta_cli_error("events: --from %s is after --to %s", from, cfg.to);
            return 2;
        }
        if (cfg.src != NULL && ta_report_query_cc(q.src_cc, cfg.src) != TA_OK) {
            ta_cli_error("events: invalid --src-cc '%s' (expected a 2-letter country code)",
                         cfg.src);
            return 2;
        }
        if (cfg.dst != NULL && ta_report_query_cc(q.dst_cc, cfg.dst) != TA_OK) {
            ta_cli_error("events: invalid --dst-cc '%s' (expected a 2-letter country code)",
                         cfg.dst);
            return 2;
        }
        if (!ta_tlp_parse(cfg.tlp, &so.tlp)) {
            ta_cli_error("events: invalid --tlp '%s' (expected clear, white, green, amber or red)",
                         cfg.tlp);
            return 2;
        }
        if (cfg.org[0] == '\0') {
            ta_cli_error("events: --org must not be empty");
            return 2;
        }
        if (type != NULL) {
            enum ta_event_kind k;
            if (ta_event_kind_parse(type, &k))
                so.kinds = 1u << k;
        }
    }
    char errbuf[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    ta_err err = ta_store_open(db, TA_STORE_READONLY, &st, errbuf);
    if (err != TA_OK) {
        ta_cli_error("events: %s", errbuf);
        return 1;
    }
    uint64_t n = 0;
    if (share)
        err = ta_report_share_write(st, &q, &so, fmt, stdout, &n);
    else
        err = ta_report_events_write(st, type, since, fmt, stdout, &n);
    if (err != TA_OK)
        ta_cli_error("events: %s%s%s", ta_strerror(err), err == TA_ERR_DB ? ": " : "",
                     err == TA_ERR_DB ? ta_store_errmsg(st) : "");
    ta_store_close(st);
    return err == TA_OK ? 0 : 1;
}
