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
    const char *db, *type, *since, *format;
};

static const struct ta_opt events_opts[] = {
    {"db", 0, TA_OPT_STR, offsetof(struct events_cfg, db), NULL, 0, 0, "FILE",
     "database written by 'threatatlas analyze' (required)"},
    {"type", 0, TA_OPT_STR, offsetof(struct events_cfg, type), NULL, 0, 0, "TYPE",
     "c2, phishing, backdoor (each with its suspected kind) or payload; default all"},
    {"since", 0, TA_OPT_STR, offsetof(struct events_cfg, since), NULL, 0, 0, "YYYY-MM-DD",
     "only events from this UTC day on"},
    {"format", 0, TA_OPT_STR, offsetof(struct events_cfg, format), "eve", 0, 0, "FMT",
     "eve (Suricata-style alerts), intelmq or csv"},
};

static const struct ta_cmd_spec events_spec = {
    "events",
    "events --db FILE [--type c2|phishing|backdoor|payload] [--since YYYY-MM-DD]\n"
    "                          [--format eve|intelmq|csv]",
    "Writes the stored events, each distinct event once (however many runs or sensors saw\n"
    "it), oldest first. Suppressed events are included, with the list that suppressed them.",
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
