/*
 * threatatlas analyze: the whole pipeline (observe, match, detect,
 * geolocate, store) over captures or a live interface, writing each
 * detection as an EVE alert or an IntelMQ event. The pipeline is the
 * library's (threatatlas/pipeline.h); this file is its option table and the
 * printing of what it reports.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/pipeline.h"

#include "common/banned.h"

struct analyze_cfg {
    struct ta_cli_read_cfg rd;
    const char *iface;
    const char *db;
    const char *intel_db;
    const char *home;
    const char *home_nets;
    const char *format;
    const char *output;
    const char *feed_name;
    const char *eve_types;
    bool eve_extension;
    const char *country_db;
    const char *geo_source;
    const char *asn_db;
    const char *sensor;
    bool no_store;
    bool no_intel;
    bool redo;
    bool no_wait;
    uint32_t skew_ms;
    bool no_beacon;
    bool progress;
    uint32_t http_body_limit;
    uint32_t max_resolutions;
    const char *intel_undated;
    const char *intel_grace;
    struct ta_strlist allow_files;
    const char *commit_interval;
    uint32_t commit_events;
    const char *log;
    const char *metrics;
};

#define OFF(f) offsetof(struct analyze_cfg, f)
static const struct ta_opt analyze_opts[] = {
    TA_CLI_INPUT_OPTS(OFF(rd)),
    {"interface", 'i', TA_OPT_STR, OFF(iface), NULL, 0, 0, "IFACE",
     "capture live until SIGINT/SIGTERM, storing as it goes; SIGHUP reloads the intel and "
     "allow lists from --db and reopens -o and --log"},
    TA_CLI_FILTER_OPTS(OFF(rd)),
    {"db", 0, TA_OPT_STR, OFF(db), NULL, 0, 0, "FILE|URL",
     "database: indicators are read from it, events are stored in it; or a ClickHouse store, "
     "clickhouse://HOST:PORT/DATABASE (events only: give --intel-db)"},
    {"intel-db", 0, TA_OPT_STR, OFF(intel_db), NULL, 0, 0, "FILE",
     "read the indicators and allow lists from this database instead of --db"},
    {"home", 0, TA_OPT_STR, OFF(home), NULL, 0, 0, "CC[,CC]", "home constituency countries"},
    {"home-nets", 0, TA_OPT_STR, OFF(home_nets), NULL, 0, 0, "FILE",
     "file of CIDRs in the home constituency"},
    {"format", 0, TA_OPT_STR, OFF(format), "eve", 0, 0, "eve|intelmq", "event output format"},
    {"output", 'o', TA_OPT_STR, OFF(output), "-", 0, 0, "FILE", "event output, - for stdout"},
    {"feed-name", 0, TA_OPT_STR, OFF(feed_name), "threatatlas", 0, 0, "NAME", "IntelMQ feed.name"},
    {"eve-types", 0, TA_OPT_STR, OFF(eve_types), "alert", 0, 0, "LIST",
     "EVE records to write, comma-separated: alert, flow, dns, http, tls (flow records of "
     "alerted flows say flow.alerted true)"},
    {"eve-extension", 0, TA_OPT_FLAG, OFF(eve_extension), NULL, 0, 0, NULL,
     "add the `threatatlas` object to alerts as earlier releases wrote it (not valid against "
     "Suricata's EVE schema; every field is also in alert.metadata)"},
    {"country-db", 0, TA_OPT_STR, OFF(country_db), NULL, 0, 0, "FILE",
     "country .mmdb (default: the installed package)"},
    {"geo-source", 0, TA_OPT_STR, OFF(geo_source), NULL, 0, 0, "SRC",
     "installed country data: whois (registration, default) or location (DB-IP Lite)"},
    {"asn-db", 0, TA_OPT_STR, OFF(asn_db), NULL, 0, 0, "PATH",
     "ASN .mmdb/.csv/directory (default: the installed package)"},
    {"no-store", 0, TA_OPT_FLAG, OFF(no_store), NULL, 0, 0, NULL, "do not store events in --db"},
    {"no-intel", 0, TA_OPT_FLAG, OFF(no_intel), NULL, 0, 0, NULL,
     "run without indicators (webshell, phishing-content and beaconing detectors only); "
     "without it, --db must hold indicators"},
    {"sensor", 0, TA_OPT_STR, OFF(sensor), NULL, 0, 0, "NAME",
     "name of the sensor the captures come from (default: the host name)"},
    {"redo", 0, TA_OPT_FLAG, OFF(redo), NULL, 0, 0, NULL,
     "analyse inputs already analysed again, replacing the runs that analysed them"},
    {"no-wait", 0, TA_OPT_FLAG, OFF(no_wait), NULL, 0, 0, NULL,
     "refuse at once when another process writes --db (default: wait for it)"},
    {"skew-ms", 0, TA_OPT_U32, OFF(skew_ms), "2000", 0, 600000, "MS",
     "clock skew between sensors: copies of a transaction this close in time are one event"},
    {"no-beacon", 0, TA_OPT_FLAG, OFF(no_beacon), NULL, 0, 0, NULL,
     "do not run the beaconing scorer"},
    {"progress", 0, TA_OPT_FLAG, OFF(progress), NULL, 0, 0, NULL,
     "report progress on stderr every few seconds (default when stderr is a terminal)"},
    {"http-body-limit", 0, TA_OPT_U32, OFF(http_body_limit), "65536", 1, 67108864, "BYTES",
     "bytes of each HTTP body (de-chunked, decompressed) the detectors read"},
    TA_CLI_THREAD_OPTS(OFF(rd)),
    TA_CLI_MEMCAP_OPTS(OFF(rd)),
    {"max-resolutions", 0, TA_OPT_U32, OFF(max_resolutions), "1000000", 1, 100000000, "N",
     "DNS answers naming C&C domains kept to link later connections (oldest evicted)"},
    {"intel-undated", 0, TA_OPT_STR, OFF(intel_undated), "match", 0, 0, "match|skip",
     "indicators without feed dates: match at any time (marked undated) or never"},
    {"intel-grace-days", 0, TA_OPT_STR, OFF(intel_grace), NULL, 0, 0, "N[,M]",
     "a dated indicator matches from N days before its first sighting to M days after its "
     "last (default 28,90; N alone sets both)"},
    {"allow-file", 0, TA_OPT_STRLIST, OFF(allow_files), NULL, 0, 0, "FILE",
     "extra allowlist in any intel format, loaded with the indicators (repeatable; default: the "
     "installed top-sites list)"},
    {"commit-interval", 0, TA_OPT_STR, OFF(commit_interval), "2s", 0, 0, "TIME",
     "live capture: commit stored events at least this often (e.g. 2s, 500ms; 10ms-1h)"},
    {"commit-events", 0, TA_OPT_U32, OFF(commit_events), "10000", 1, 10000000, "N",
     "live capture: commit stored events at least every N events"},
    {"metrics", 0, TA_OPT_STR, OFF(metrics), NULL, 0, 0, "ADDR:PORT",
     "live capture: serve counters for Prometheus at http://ADDR:PORT/metrics (e.g. "
     "127.0.0.1:9109)"},
    {"log", 0, TA_OPT_STR, OFF(log), NULL, 0, 0, "FILE",
     "append messages to FILE instead of stderr (reopened on SIGHUP, for logrotate)"},
};

static const struct ta_cmd_spec analyze_spec = {
    "analyze",
    "analyze -r FILE [-r FILE ...] | -i IFACE --db FILE | --no-intel [--home CC] "
    "[--format eve|intelmq] [-o OUT]\n"
    "                          [--sensor NAME] [--redo] [--no-wait] [--skew-ms MS]",
    "Run observe, intel matching, detection and geolocation; write each detection (C&C,\n"
    "phishing, backdoor, their -suspected kinds, payload downloads) as an EVE alert or\n"
    "IntelMQ event, and store it in --db, where the same transaction is one event however\n"
    "many inputs or sensors show it. Events an allow list covers are written and stored\n"
    "with suppressed_by and not counted. Inputs all analysed before are skipped (exit 0)\n"
    "unless --redo. One process writes a database at a time: the others wait, or with\n"
    "--no-wait refuse. Statistics go to stderr.",
    analyze_opts,
    sizeof(analyze_opts) / sizeof(analyze_opts[0]),
    "exit status: 0 success, 1 input/output/database error, 2 usage error.\n",
};

const struct ta_opt *ta_cli_analyze_opt(const char *name)
{
    for (size_t i = 0; i < analyze_spec.nopts; i++)
        if (strcmp(analyze_opts[i].name, name) == 0)
            return &analyze_opts[i];
    return NULL;
}

/* Parse "N" or "N,M" (days) into the index options; false if malformed. */
static bool parse_grace(const char *v, struct ta_intel_index_opts *io)
{
    char *end;
    unsigned long b = strtoul(v, &end, 10);
    unsigned long a = b;
    if (end == v || b > 3650)
        return false;
    if (*end == ',') {
        const char *m = end + 1;
        a = strtoul(m, &end, 10);
        if (end == m || a > 3650)
            return false;
    }
    if (*end != '\0')
        return false;
    io->grace_before_s = (uint32_t)(b * 86400u);
    io->grace_after_s = (uint32_t)(a * 86400u);
    return true;
}

static void print_stats(const struct ta_detect_stats *d, uint64_t n)
{
    const struct ta_detect_stats st = *d;
    fprintf(stderr, "analyze: %llu events", (unsigned long long)n);
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(stderr, ", %s %llu", ta_event_kind_name((enum ta_event_kind)k),
                (unsigned long long)st.events[k]);
    fprintf(stderr,
            "; flows %llu, http %llu, dns %llu, tls %llu; deduplicated %llu, allowlisted %llu, "
            "suspected webshell requests to C&C servers dropped %llu, resolutions evicted %llu, "
            "beacon pairs evicted %llu, beacon pairs to prevalent servers %llu, "
            "c2 domains evicted %llu, script profiles evicted %llu",
            (unsigned long long)st.flows_seen, (unsigned long long)st.http_seen,
            (unsigned long long)st.dns_seen, (unsigned long long)st.tls_seen,
            (unsigned long long)st.deduplicated, (unsigned long long)st.allowlisted,
            (unsigned long long)st.suspected_to_c2, (unsigned long long)st.resolutions_evicted,
            (unsigned long long)st.beacon.pairs_evicted, (unsigned long long)st.beacon.prevalent,
            (unsigned long long)st.c2_domains_evicted, (unsigned long long)st.scripts_evicted);
    /* Suppressed events are in the counts above and in the output, marked. */
    fprintf(stderr, "; suppressed by allow lists (kept, not counted)");
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(stderr, "%s %s %llu", k ? "," : "", ta_event_kind_name((enum ta_event_kind)k),
                (unsigned long long)st.suppressed[k]);
    fputc('\n', stderr);
}

struct hooks_ctx {
    struct ta_cli_progress pg;
    const char *log; /* --log, or NULL */
};

/* --log: stderr appends to the file (opened again after a logrotate). */
static bool reopen_log(void *ud)
{
    const struct hooks_ctx *c = ud;
    if (c->log == NULL)
        return true;
    fflush(stderr);
    return freopen(c->log, "a", stderr) != NULL;
}

/* "2s", "500ms", "1m", "1h" or plain seconds, into milliseconds (10 ms to 1 h); 0 if malformed. */
static uint32_t parse_interval(const char *v)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || n > 3600000)
        return 0;
    unsigned long long ms;
    if (strcmp(end, "ms") == 0)
        ms = n;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        ms = n * 1000;
    else if (strcmp(end, "m") == 0)
        ms = n * 60000;
    else if (strcmp(end, "h") == 0)
        ms = n * 3600000;
    else
        return 0;
    return ms >= 10 && ms <= 3600000 ? (uint32_t)ms : 0;
}

static void on_notice(void *ud, const struct ta_pipeline_notice *n)
{
    (void)ud;
    switch (n->kind) {
    case TA_PIPELINE_NOTE_NO_TOPSITES:
        fprintf(stderr, "analyze: no top-sites allowlist installed (threatatlas geo install); "
                        "the top sites are not allow-listed\n");
        break;
    case TA_PIPELINE_NOTE_LOCK_WAIT:
        fprintf(stderr, "analyze: waiting for %s to finish\n", n->text);
        break;
    case TA_PIPELINE_NOTE_INTEL_LOADED:
        fprintf(stderr, "analyze: intel loaded in %.2f s (%llu entries)\n", n->secs,
                (unsigned long long)n->count);
        break;
    case TA_PIPELINE_NOTE_GEO_LOADED:
        fprintf(stderr, "analyze: geolocation loaded in %.2f s\n", n->secs);
        break;
    case TA_PIPELINE_NOTE_ALREADY_DONE:
        fprintf(stderr,
                "analyze: these inputs were already analysed into %s; nothing to do "
                "(--redo analyses them again)\n",
                n->text);
        break;
    case TA_PIPELINE_NOTE_INTEL_RELOADING:
        fprintf(stderr, "analyze: reloading the intel from %s while capturing\n", n->text);
        break;
    case TA_PIPELINE_NOTE_INTEL_RELOADED:
        fprintf(stderr, "analyze: intel reloaded from %s (built in %.2f s)\n", n->text, n->secs);
        break;
    case TA_PIPELINE_NOTE_TRUNCATED:
        ta_cli_warn("%s", n->text);
        break;
    case TA_PIPELINE_NOTE_ERROR:
        ta_cli_error("%s", n->text);
        break;
    case TA_PIPELINE_NOTE_LIVE_RUN:
        fprintf(stderr, "analyze: run %llu is live on %s: events are stored as they come\n",
                (unsigned long long)n->count, n->text);
        break;
    case TA_PIPELINE_NOTE_INTERRUPTED:
        ta_cli_warn("%s", n->text);
        break;
    case TA_PIPELINE_NOTE_REOPENED:
        reopen_log(ud);
        fprintf(stderr, "analyze: reopened %s\n", n->text);
        break;
    case TA_PIPELINE_NOTE_FALLBACK:
        ta_cli_warn("%s", n->text);
        break;
    case TA_PIPELINE_NOTE_AFPACKET:
        fprintf(stderr,
                "analyze: capturing on %s through AF_PACKET, %llu sockets in a fanout "
                "group\n",
                n->text, (unsigned long long)n->count);
        break;
    }
    fflush(stderr);
}

static void on_progress(void *ud, const struct ta_pipeline_progress *pr)
{
    struct hooks_ctx *c = ud;
    double t;
    if (ta__cli_progress_check(&c->pg, &t))
        fprintf(stderr,
                "analyze: file %zu/%zu %s, %llu packets, %llu flows active, %llu events, "
                "%.0f packets/s\n",
                pr->file, pr->nfiles, pr->name, (unsigned long long)pr->packets,
                (unsigned long long)pr->flows_active, (unsigned long long)pr->events,
                t > 0 ? (double)pr->packets / t : 0.0);
}

/* The intel options from the command line; 2 after an error line. */
static int intel_opts(const struct analyze_cfg *cfg, struct ta_intel_index_opts *io)
{
    if (strcmp(cfg->intel_undated, "skip") == 0) {
        io->skip_undated = true;
    } else if (strcmp(cfg->intel_undated, "match") != 0) {
        ta_cli_error("analyze: --intel-undated must be match or skip, not '%s'",
                     cfg->intel_undated);
        return 2;
    }
    if (cfg->intel_grace != NULL && !parse_grace(cfg->intel_grace, io)) {
        ta_cli_error("analyze: --intel-grace-days must be N or N,M (days, 0-3650), not '%s'",
                     cfg->intel_grace);
        return 2;
    }
    return 0;
}

int ta_cli_analyze(int argc, char **argv)
{
    struct analyze_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    int rc = ta_opts_parse(&analyze_spec, argc, argv, &cfg);
    if (rc != 0) {
        ta_opts_release(&analyze_spec, &cfg);
        return rc == 1 ? 0 : 2;
    }
    struct ta_pipeline *p = NULL;
    struct ta_pipeline_error err;
    const char **allow = NULL;
    struct ta_pipeline_input *inputs = NULL;
    rc = 0;

    if (strcmp(cfg.format, "eve") != 0 && strcmp(cfg.format, "intelmq") != 0) {
        ta_cli_error("analyze: --format must be eve or intelmq, not '%s'", cfg.format);
        rc = 2;
        goto out;
    }
    struct ta_pipeline_opts po;
    ta_pipeline_opts_default(&po);
    po.mode = TA_PIPELINE_ANALYZE;
    po.name = "analyze";
    if ((rc = ta_cli_read_apply("analyze", &cfg.rd, &po, &inputs)) != 0)
        goto out;
    po.iface = cfg.iface;
    po.proto.http_keep_headers =
        true; /* Content-Type and Accept of requests feed the webshell check */
    po.proto.http_body_limit = cfg.http_body_limit;
    po.detect.max_resolutions = cfg.max_resolutions;
    po.detect.beacon = !cfg.no_beacon;
    po.output = cfg.output;
    po.format = strcmp(cfg.format, "intelmq") == 0 ? TA_PIPELINE_INTELMQ : TA_PIPELINE_EVE;
    if (!ta_pipeline_eve_types_parse(cfg.eve_types, &po.eve_types)) {
        ta_cli_error("analyze: invalid --eve-types '%s' (expected a comma-separated list of "
                     "alert, flow, dns, http, tls)",
                     cfg.eve_types);
        rc = 2;
        goto out;
    }
    if (po.format == TA_PIPELINE_INTELMQ && strcmp(cfg.eve_types, "alert") != 0) {
        ta_cli_error("analyze: --eve-types needs --format eve");
        rc = 2;
        goto out;
    }
    po.eve_extension = cfg.eve_extension;
    po.feed_name = cfg.feed_name;
    po.db = cfg.db;
    po.intel_db = cfg.intel_db;
    po.no_intel = cfg.no_intel;
    po.no_store = cfg.no_store;
    po.sensor = cfg.sensor;
    po.redo = cfg.redo;
    po.no_wait = cfg.no_wait;
    po.skew_ms = cfg.skew_ms;
    po.commit_interval_ms = parse_interval(cfg.commit_interval);
    po.commit_events = cfg.commit_events;
    po.metrics = cfg.metrics;
    if (po.commit_interval_ms == 0) {
        ta_cli_error("analyze: --commit-interval must be a time from 10ms to 1h (e.g. 2s, 500ms), "
                     "not '%s'",
                     cfg.commit_interval);
        rc = 2;
        goto out;
    }
    /* Checked even when no intel is loaded: a bad value is a mistake either way. */
    if ((rc = intel_opts(&cfg, &po.intel)) != 0)
        goto out;
    allow = calloc(cfg.allow_files.n + 1, sizeof(*allow));
    if (allow == NULL) {
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < cfg.allow_files.n; i++)
        allow[i] = cfg.allow_files.v[i];
    po.allow_files = allow;
    /* A source asked for by name must be there. */
    po.geo =
        (struct ta_geo_opts){.country_db = cfg.country_db,
                             .source = cfg.geo_source,
                             .asn_db = cfg.asn_db,
                             .home_countries = cfg.home,
                             .home_nets = cfg.home_nets,
                             .country_optional = cfg.country_db == NULL && cfg.geo_source == NULL,
                             .asn_optional = cfg.asn_db == NULL};

    struct hooks_ctx hc;
    memset(&hc, 0, sizeof(hc));
    hc.log = cfg.log;
    if (cfg.log != NULL) {
        /* Checked before anything else is opened: a sensor's log it cannot write is a
         * mistake to hear about now, on the terminal. */
        FILE *lf = fopen(cfg.log, "a");
        if (lf == NULL) {
            ta_cli_error("analyze: cannot write %s: %s", cfg.log, strerror(errno));
            rc = 1;
            goto out;
        }
        fclose(lf);
        if (!reopen_log(&hc)) {
            rc = 1;
            goto out;
        }
    }
    bool progress = cfg.progress || isatty(STDERR_FILENO);
    struct ta_pipeline_hooks h = {&hc, on_notice, progress ? on_progress : NULL};
    if (cfg.iface != NULL)
        ta_cli_signals_hup_early();
    if (ta_pipeline_open(&po, &h, &p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = err.usage ? 2 : 1;
        goto out;
    }
    if (ta_pipeline_nothing_to_do(p))
        goto out;
    ta_cli_signals_install(p, true);
    ta_cli_progress_start(&hc.pg, progress, 5.0);
    if (ta_pipeline_run(p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = 1;
    }
    struct ta_pipeline_stats st;
    {
        /* Like the load lines: the packet phase's own duration (clock only for this line). */
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ta_pipeline_get_stats(p, &st);
        double t = ta_cli_elapsed(&hc.pg.t0, &t1);
        fprintf(stderr, "analyze: %llu packets analysed in %.2f s (%.0f packets/s)\n",
                (unsigned long long)st.engine.packets, t,
                t > 0 ? (double)st.engine.packets / t : 0.0);
        /* A sensor's operator must hear of packets it never saw, even none. */
        if (cfg.iface != NULL)
            fprintf(stderr,
                    "analyze: %llu frames dropped by the kernel before the capture read "
                    "them on %s\n",
                    (unsigned long long)st.capture.kernel_drops, cfg.iface);
        if (st.engine.flows_evicted + st.stream_memcap_drops + st.app_memcap_drops > 0)
            fprintf(stderr,
                    "analyze: memory caps reached: %llu flows ended early at --max-flows, %llu "
                    "out-of-order segments refused at --stream-memcap, %llu parser allocations "
                    "refused at --app-memcap\n",
                    (unsigned long long)st.engine.flows_evicted,
                    (unsigned long long)st.stream_memcap_drops,
                    (unsigned long long)st.app_memcap_drops);
    }
    if (ta_pipeline_finish(p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = 1;
    }
    ta_pipeline_get_stats(p, &st);
    if (st.interrupted) {
        fprintf(stderr,
                "analyze: stopped before the end of the input: run %lld keeps the %llu new "
                "events stored so far and stays unfinished; the same command resumes it\n",
                (long long)st.run_id, (unsigned long long)st.store.events_new);
        int sig = ta_cli_signals_stopped();
        rc = sig > 0 ? 128 + sig : 1;
    }
    if (st.stored)
        fprintf(stderr,
                "analyze: run %lld stored %llu new events; %llu already known from other "
                "runs, %llu repeated within this run%s\n",
                (long long)st.run_id, (unsigned long long)st.store.events_new,
                (unsigned long long)st.store.events_known,
                (unsigned long long)st.store.events_repeat,
                st.store.runs_replaced ? "; replaced the earlier runs of these inputs" : "");
    print_stats(&st.detect, st.events);
    ta_cli_print_obsrc(stderr, "analyze", p);

out:
    ta_cli_signals_restore();
    ta_pipeline_free(p);
    free(inputs);
    free(allow);
    ta_opts_release(&analyze_spec, &cfg);
    return rc;
}
