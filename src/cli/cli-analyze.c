/*
 * threatatlas analyze: the whole pipeline (observe, match, detect,
 * geolocate, store) over captures or a live interface, writing each
 * detection as an EVE alert or an IntelMQ event.
 *
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "threatatlas/alert.h"
#include "threatatlas/detect.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "threatatlas/engine.h"
#include "threatatlas/enrich.h"
#include "threatatlas/intel.h"
#include "threatatlas/json.h"
#include "threatatlas/proto.h"
#include "threatatlas/source.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct analyze_cfg {
    struct ta_strlist read;
    const char *iface;
    const char *filter;
    const char *db;
    const char *home;
    const char *home_nets;
    const char *format;
    const char *output;
    const char *feed_name;
    const char *country_db;
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
    const char *intel_undated;
    const char *intel_grace;
    struct ta_strlist allow_files;
};

#define OFF(f) offsetof(struct analyze_cfg, f)
static const struct ta_opt analyze_opts[] = {
    {"read", 'r', TA_OPT_STRLIST, OFF(read), NULL, 0, 0, "FILE",
     "capture to read (pcap/pcapng); repeat to read several in order"},
    {"interface", 'i', TA_OPT_STR, OFF(iface), NULL, 0, 0, "IFACE",
     "capture live until SIGINT/SIGTERM; SIGHUP reloads the intel from --db"},
    {"filter", 'f', TA_OPT_STR, OFF(filter), NULL, 0, 0, "BPF", "BPF filter (tcpdump syntax)"},
    {"db", 0, TA_OPT_STR, OFF(db), NULL, 0, 0, "FILE",
     "database: indicators are read from it, events are stored in it"},
    {"home", 0, TA_OPT_STR, OFF(home), NULL, 0, 0, "CC[,CC]", "home constituency countries"},
    {"home-nets", 0, TA_OPT_STR, OFF(home_nets), NULL, 0, 0, "FILE",
     "file of CIDRs in the home constituency"},
    {"format", 0, TA_OPT_STR, OFF(format), "eve", 0, 0, "eve|intelmq", "event output format"},
    {"output", 'o', TA_OPT_STR, OFF(output), "-", 0, 0, "FILE", "event output, - for stdout"},
    {"feed-name", 0, TA_OPT_STR, OFF(feed_name), "threatatlas", 0, 0, "NAME", "IntelMQ feed.name"},
    {"country-db", 0, TA_OPT_STR, OFF(country_db), NULL, 0, 0, "FILE",
     "country .mmdb (default: the installed package)"},
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
    {"intel-undated", 0, TA_OPT_STR, OFF(intel_undated), "match", 0, 0, "match|skip",
     "indicators without feed dates: match at any time (marked undated) or never"},
    {"intel-grace-days", 0, TA_OPT_STR, OFF(intel_grace), NULL, 0, 0, "N[,M]",
     "a dated indicator matches from N days before its first sighting to M days after its "
     "last (default 28,90; N alone sets both)"},
    {"allow-file", 0, TA_OPT_STRLIST, OFF(allow_files), NULL, 0, 0, "FILE",
     "extra allowlist in any intel format, loaded with the indicators (repeatable; default: the "
     "installed top-sites list)"},
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

struct intel_state {
    struct ta_intel_db *db;
    struct ta_intel_index *idx;
    struct ta_detect_intel_adapter *ad;
};

static void intel_release(struct intel_state *s)
{
    ta_detect_intel_adapter_free(s->ad);
    ta_intel_index_free(s->idx);
    ta_intel_db_close(s->db);
    memset(s, 0, sizeof(*s));
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

/* Where `geo install` puts the top-sites list (npm top-sites). */
#define TOPSITES_REL "geo/" TA_GEO_PKG_TOPSITES_DIR "/" TA_GEO_PKG_TOPSITES_FILE

/*
 * The intel options from the command line; the allow files are --allow-file,
 * else the installed top-sites list when there is one (said once on stderr
 * when there is none). files must hold cfg->allow_files.n + 2 slots. Returns 2
 * on a usage error.
 */
static int intel_opts(const struct analyze_cfg *cfg, struct ta_intel_index_opts *io,
                      const char **files, char *topsites, size_t tlen)
{
    ta_intel_index_opts_default(io);
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
    size_t n = 0;
    for (size_t i = 0; i < cfg->allow_files.n; i++)
        files[n++] = cfg->allow_files.v[i];
    if (n == 0) {
        char dd[3072];
        struct stat st;
        if (ta_geo_data_dir(NULL, dd, sizeof(dd)) &&
            snprintf(topsites, tlen, "%s/%s", dd, TOPSITES_REL) < (int)tlen &&
            stat(topsites, &st) == 0)
            files[n++] = topsites;
        else
            fprintf(stderr, "analyze: no top-sites allowlist installed (threatatlas geo install); "
                            "the top sites are not allow-listed\n");
    }
    files[n] = NULL;
    io->allow_files = files;
    return 0;
}

static ta_err intel_load(const char *path, const struct ta_intel_index_opts *io,
                         struct intel_state *s)
{
    char err[256];
    memset(s, 0, sizeof(*s));
    ta_err e = ta_intel_db_open(path, &s->db, err, sizeof(err));
    if (e != TA_OK) {
        ta_cli_error("analyze: %s", err);
        return e;
    }
    e = ta_intel_index_build(s->db, io, &s->idx);
    if (e == TA_OK)
        e = ta_detect_intel_adapter_new(s->db, s->idx, &s->ad);
    if (e != TA_OK) {
        ta_cli_error("analyze: cannot load the indicators from %s (or an allow file): %s", path,
                     ta_strerror(e));
        intel_release(s);
    }
    return e;
}

struct out_ctx {
    FILE *f;
    bool intelmq;
    const char *feed;
    struct ta_json j;
    bool io_error;
    struct ta_store *store;
    uint64_t n;
};

static void on_event(void *ud, const struct ta_event *ev)
{
    struct out_ctx *o = ud;
    ta_json_reset(&o->j);
    if (o->intelmq)
        ta_event_write_intelmq(&o->j, ev, o->feed);
    else
        ta_event_write_eve(&o->j, ev);
    if (!ta_json_write_line(&o->j, o->f))
        o->io_error = true;
    if (o->store != NULL)
        ta_store_event_sink(o->store, ev);
    o->n++;
}

/* What the frame callback needs: the engine, and the progress lines' state. */
struct run_ctx {
    struct ta_engine *e;
    const struct out_ctx *oc;
    struct ta_cli_progress pg;
    size_t file, nfiles; /* 1-based index of the capture being read */
    const char *name;
};

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct run_ctx *c = ud;
    ta_engine_packet(c->e, lt, ts, frame, caplen, wirelen);
    double t;
    if (ta_cli_progress_due(&c->pg, &t)) {
        struct ta_engine_stats st;
        ta_engine_get_stats(c->e, &st);
        fprintf(stderr,
                "analyze: file %zu/%zu %s, %llu packets, %llu flows active, %llu events, "
                "%.0f packets/s\n",
                c->file, c->nfiles, c->name, (unsigned long long)st.packets,
                (unsigned long long)st.flows_active, (unsigned long long)c->oc->n,
                t > 0 ? (double)st.packets / t : 0.0);
    }
}

/* A bounded text accumulator for the data-version strings of a run. */
struct vbuf {
    char s[2048];
    size_t n;
};

static void vbuf_add(struct vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vbuf_add(struct vbuf *b, const char *fmt, ...)
{
    if (b->n >= sizeof(b->s) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->n += (size_t)k < sizeof(b->s) - b->n ? (size_t)k : sizeof(b->s) - 1 - b->n;
}

struct intel_ver {
    struct vbuf b;
    unsigned nsources;
    ta_time_us last_import;
};

static void intel_ver_count(void *user, const char *what, const char *name, uint64_t count)
{
    struct intel_ver *v = user;
    if (strcmp(what, "source") != 0)
        return;
    vbuf_add(&v->b, "%s%s %llu", v->nsources++ ? ", " : "", name, (unsigned long long)count);
}

static void intel_ver_run(void *user, const struct ta_intel_import_run *run)
{
    struct intel_ver *v = user;
    if (run->at > v->last_import)
        v->last_import = run->at;
}

/* "feodo 6, openphish 6, ... indicators; last import <time>" */
static void intel_version(struct ta_intel_db *db, struct vbuf *out)
{
    struct intel_ver v;
    memset(&v, 0, sizeof(v));
    if (db == NULL || ta_intel_db_stats(db, intel_ver_count, intel_ver_run, &v) != TA_OK) {
        vbuf_add(out, "none loaded");
        return;
    }
    char ts[TA_TS_STRLEN];
    vbuf_add(out, "%s indicators", v.nsources ? v.b.s : "no");
    if (v.last_import)
        vbuf_add(out, "; last import %s", ta_time_format(v.last_import, ts, sizeof(ts)));
}

/* One entry per database: "country: <package> <version> (<file>, built <date>)". */
static void geoip_version(const ta_geo *g, struct vbuf *out)
{
    struct ta_geo_db_info info[8];
    size_t n = ta_geo_info(g, info, 8);
    if (n == 0)
        vbuf_add(out, "none");
    for (size_t i = 0; i < n && i < 8; i++) {
        const char *file = info[i].path ? strrchr(info[i].path, '/') : NULL;
        file = file ? file + 1 : (info[i].path ? info[i].path : "?");
        char ts[TA_TS_STRLEN];
        ta_time_format((ta_time_us)info[i].build_epoch * 1000000u, ts, sizeof(ts));
        ts[10] = '\0';
        vbuf_add(out, "%s%s: %s %s (%s, built %s)", i ? "; " : "", info[i].role,
                 info[i].package && info[i].package[0] ? info[i].package : info[i].database_type,
                 info[i].package_version ? info[i].package_version : "", file, ts);
    }
}

/* Newest build time of the GeoIP databases in use (Unix seconds), 0 if unknown. */
static uint64_t geoip_built(const ta_geo *g)
{
    struct ta_geo_db_info info[8];
    size_t n = ta_geo_info(g, info, 8);
    uint64_t b = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        /* CSV databases give YYYYMMDDHH from the package version, not epoch seconds. */
        if (info[i].format != NULL && strcmp(info[i].format, "mmdb") == 0 &&
            info[i].build_epoch > b)
            b = info[i].build_epoch;
    }
    return b;
}

static void on_lock_wait(void *ctx, const char *holder)
{
    (void)ctx;
    fprintf(stderr, "analyze: waiting for %s to finish\n", holder);
}

static void print_stats(const struct ta_detector *d, uint64_t n)
{
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    fprintf(stderr, "analyze: %llu events", (unsigned long long)n);
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(stderr, ", %s %llu", ta_event_kind_name((enum ta_event_kind)k),
                (unsigned long long)st.events[k]);
    fprintf(stderr,
            "; flows %llu, http %llu, dns %llu, tls %llu; deduplicated %llu, allowlisted %llu, "
            "suspected webshell requests to C&C servers dropped %llu, resolutions evicted %llu, "
            "beacon pairs evicted %llu, beacon pairs to prevalent servers %llu, "
            "c2 domains evicted %llu",
            (unsigned long long)st.flows_seen, (unsigned long long)st.http_seen,
            (unsigned long long)st.dns_seen, (unsigned long long)st.tls_seen,
            (unsigned long long)st.deduplicated, (unsigned long long)st.allowlisted,
            (unsigned long long)st.suspected_to_c2, (unsigned long long)st.resolutions_evicted,
            (unsigned long long)st.beacon.pairs_evicted, (unsigned long long)st.beacon.prevalent,
            (unsigned long long)st.c2_domains_evicted);
    /* Suppressed events are in the counts above and in the output, marked. */
    fprintf(stderr, "; suppressed by allow lists (kept, not counted)");
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(stderr, "%s %s %llu", k ? "," : "", ta_event_kind_name((enum ta_event_kind)k),
                (unsigned long long)st.suppressed[k]);
    fputc('\n', stderr);
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
    struct ta_cli_inputs in = {0};
    struct ta_engine *e = NULL;
    struct ta_proto *proto = NULL;
    struct ta_detector *det = NULL;
    ta_geo *geo = NULL;
    struct intel_state intel = {0};
    const char **allow = NULL;
    struct out_ctx oc = {0};
    struct ta_store_lock *lock = NULL;
    char err[512];
    ta_err te;
    rc = 0;
    ta_json_init(&oc.j);

    if (strcmp(cfg.format, "eve") != 0 && strcmp(cfg.format, "intelmq") != 0) {
        ta_cli_error("analyze: --format must be eve or intelmq, not '%s'", cfg.format);
        rc = 2;
        goto out;
    }
    oc.intelmq = strcmp(cfg.format, "intelmq") == 0;
    oc.feed = cfg.feed_name;

    struct ta_source_opts so;
    ta_source_opts_default(&so);
    so.bpf = cfg.filter;
    rc = ta_cli_inputs_open(&in, "analyze", &cfg.read, cfg.iface, &so);
    if (rc != 0)
        goto out;

    /*
     * Indicators are the point of most detections: a run that silently has none (no --db,
     * a mistyped path, a database never imported into) would look like clean traffic.
     */
    if (cfg.db == NULL && !cfg.no_intel) {
        ta_cli_error("analyze: no indicators: give --db FILE (filled by `threatatlas intel "
                     "import --db FILE FEED`), or --no-intel to run without them");
        rc = 2;
        goto out;
    }
    if (cfg.db != NULL && !cfg.no_intel && access(cfg.db, F_OK) != 0) {
        ta_cli_error("analyze: %s does not exist: import indicators into it first (`threatatlas "
                     "intel import --db %s FEED`), or pass --no-intel",
                     cfg.db, cfg.db);
        rc = 1;
        goto out;
    }
    struct ta_intel_index_opts io;
    char topsites[4096];
    allow = calloc(cfg.allow_files.n + 2, sizeof(*allow));
    if (allow == NULL) {
        rc = 1;
        goto out;
    }
    if (cfg.db != NULL && !cfg.no_intel &&
        (rc = intel_opts(&cfg, &io, allow, topsites, sizeof(topsites))) != 0)
        goto out;
    bool storing = cfg.db != NULL && !cfg.no_store && cfg.iface == NULL;
    if (storing) {
        /* One writer at a time, decided before any work (and before the intel
         * is read, so an import being written is waited for). */
        char holder[64], lerr[TA_STORE_ERRLEN];
        snprintf(holder, sizeof(holder), "analyze (pid %ld)", (long)getpid());
        te = ta_store_lock_take(cfg.db, holder, cfg.no_wait ? 0 : -1, on_lock_wait, NULL, &lock,
                                lerr);
        if (te != TA_OK) {
            ta_cli_error("analyze: %s%s", lerr, te == TA_ERR_LIMIT ? " (--no-wait)" : "");
            rc = 1;
            goto out;
        }
    }
    if (cfg.db != NULL && !cfg.no_intel) {
        /* The clock only times the load for the stderr line, never the output. */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (intel_load(cfg.db, &io, &intel) != TA_OK) {
            rc = 1;
            goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        struct ta_intel_index_stats ist;
        ta_intel_index_stats(intel.idx, &ist);
        /* Allow entries (built-in top sites among them) raise no event by themselves. */
        if (ist.entries <= ist.by_kind[TA_INTEL_KIND_ALLOW]) {
            ta_cli_error("analyze: %s holds no indicators: import some first (`threatatlas intel "
                         "import --db %s FEED`), or pass --no-intel",
                         cfg.db, cfg.db);
            rc = 1;
            goto out;
        }
        fprintf(stderr, "analyze: intel loaded in %.2f s (%llu entries)\n",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                (unsigned long long)ist.entries);
    }
    struct ta_geo_opts go = {.country_db = cfg.country_db,
                             .asn_db = cfg.asn_db,
                             .home_countries = cfg.home,
                             .home_nets = cfg.home_nets,
                             .country_optional = cfg.country_db == NULL,
                             .asn_optional = cfg.asn_db == NULL};
    struct timespec g0, g1;
    clock_gettime(CLOCK_MONOTONIC, &g0);
    te = ta_geo_open(&go, &geo, err, sizeof(err));
    if (te != TA_OK) {
        ta_cli_error("analyze: %s", err);
        rc = 1;
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &g1);
    /* Like the intel line: a start-up cost, reported apart from the packets. */
    fprintf(stderr, "analyze: geolocation loaded in %.2f s\n",
            (double)(g1.tv_sec - g0.tv_sec) + (double)(g1.tv_nsec - g0.tv_nsec) / 1e9);

    struct ta_store_input *inputs = NULL;
    if (storing) {
        char serr[TA_STORE_ERRLEN];
        te = ta_store_open(cfg.db, TA_STORE_CREATE, &oc.store, serr);
        if (te != TA_OK) {
            ta_cli_error("analyze: %s", serr);
            rc = 1;
            goto out;
        }
        ta_store_set_skew(oc.store, (ta_time_us)cfg.skew_ms * 1000);
        inputs = calloc(cfg.read.n, sizeof(*inputs));
        if (inputs == NULL) {
            rc = 1;
            goto out;
        }
        for (size_t i = 0; i < cfg.read.n; i++) {
            if (ta_store_input_hash(cfg.read.v[i], &inputs[i]) != TA_OK) {
                ta_cli_error("analyze: cannot read %s", cfg.read.v[i]);
                free(inputs);
                rc = 1;
                goto out;
            }
        }
        struct vbuf iv = {.n = 0}, gv = {.n = 0};
        iv.s[0] = gv.s[0] = '\0';
        intel_version(intel.db, &iv);
        geoip_version(geo, &gv);
        char host[256] = "";
        if (cfg.sensor == NULL && gethostname(host, sizeof(host) - 1) != 0)
            snprintf(host, sizeof(host), "unknown");
        struct ta_store_run_info ri = {.inputs = inputs,
                                       .n_inputs = cfg.read.n,
                                       .home = cfg.home,
                                       .home_nets = cfg.home_nets,
                                       .sensor = cfg.sensor ? cfg.sensor : host,
                                       .intel_version = iv.s,
                                       .geoip_version = gv.s,
                                       .geoip_built = geoip_built(geo),
                                       .redo = cfg.redo};
        bool done = false;
        te = ta_store_run_begin(oc.store, &ri, &done);
        free(inputs);
        if (te != TA_OK) {
            ta_cli_error("analyze: %s", ta_store_errmsg(oc.store));
            rc = 1;
            goto out;
        }
        if (done) {
            fprintf(stderr,
                    "analyze: these inputs were already analysed into %s; nothing to do "
                    "(--redo analyses them again)\n",
                    cfg.db);
            ta_store_close(oc.store);
            oc.store = NULL;
            goto out;
        }
        char holder[64];
        snprintf(holder, sizeof(holder), "run %lld (pid %ld)", (long long)ta_store_run_id(oc.store),
                 (long)getpid());
        ta_store_lock_set_holder(lock, holder);
    }

    if (strcmp(cfg.output, "-") == 0) {
        oc.f = stdout;
    } else {
        oc.f = fopen(cfg.output, "w");
        if (oc.f == NULL) {
            ta_cli_error("cannot write %s: %s", cfg.output, strerror(errno));
            rc = 1;
            goto out;
        }
    }

    struct ta_detect_opts dopts;
    ta_detect_opts_default(&dopts);
    dopts.beacon = !cfg.no_beacon;
    struct ta_detect_intel iops = {0};
    if (intel.ad != NULL)
        ta_detect_intel_adapter_ops(intel.ad, &iops);
    struct ta_detect_geo gops;
    ta_detect_geo_ops(geo, &gops);
    te = ta_detector_new(&dopts, &iops, &gops, on_event, &oc, &det);
    if (te == TA_OK) {
        struct ta_engine_opts eo;
        ta_engine_opts_default(&eo);
        te = ta_engine_new(&eo, &e);
    }
    struct ta_proto_opts po;
    ta_proto_opts_default(&po);
    po.http_keep_headers = true; /* Content-Type and Accept of requests feed the webshell check */
    po.http_body_limit = cfg.http_body_limit;
    if (te == TA_OK)
        te = ta_proto_new(&po, &proto);
    if (te != TA_OK) {
        ta_cli_error("analyze: %s", ta_strerror(te));
        rc = 1;
        goto out;
    }
    ta_engine_set_app_layer(e, ta_proto_hooks(), proto);
    struct ta_obs_sink sink;
    ta_detector_sink(det, &sink);
    ta_engine_add_sink(e, &sink);

    ta_cli_signals_install(true);

    struct run_ctx rctx = {.e = e, .oc = &oc, .nfiles = in.n};
    ta_cli_progress_start(&rctx.pg, cfg.progress || isatty(STDERR_FILENO), 5.0);
    for (size_t i = 0; i < in.n; i++) {
        rctx.file = i + 1;
        rctx.name = ta_source_name(in.src[i]);
        for (;;) {
            te = ta_cli_run_source(in.src[i], on_frame, &rctx, err, sizeof(err));
            if (ta_cli_take_hup() && cfg.iface != NULL && cfg.db != NULL && !cfg.no_intel) {
                struct intel_state fresh;
                if (intel_load(cfg.db, &io, &fresh) == TA_OK) {
                    ta_detect_intel_adapter_ops(fresh.ad, &iops);
                    ta_detector_set_intel(det, &iops);
                    intel_release(&intel);
                    intel = fresh;
                    fprintf(stderr, "analyze: intel reloaded from %s\n", cfg.db);
                }
                continue;
            }
            break;
        }
        if (te != TA_OK && te != TA_ERR_TRUNCATED && te != TA_ERR_INTERRUPTED) {
            ta_cli_error("%s", err);
            rc = 1;
            break;
        }
        if (te == TA_ERR_TRUNCATED)
            ta_cli_warn("%s", err);
    }
    ta_engine_flush(e);
    ta_detector_finish(det);
    fflush(oc.f);
    {
        /* Like the load lines: the packet phase's own duration (clock only for this line). */
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        struct ta_engine_stats est;
        ta_engine_get_stats(e, &est);
        double t = ta_cli_elapsed(&rctx.pg.t0, &t1);
        fprintf(stderr, "analyze: %llu packets analysed in %.2f s (%.0f packets/s)\n",
                (unsigned long long)est.packets, t, t > 0 ? (double)est.packets / t : 0.0);
    }
    if (oc.io_error || ferror(oc.f)) {
        ta_cli_error("analyze: error writing %s", cfg.output);
        rc = 1;
    }
    if (oc.store != NULL && rc == 0) {
        int64_t run = ta_store_run_id(oc.store);
        te = ta_store_run_finish(oc.store, 0, 0);
        if (te != TA_OK) {
            ta_cli_error("analyze: storing events: %s", ta_store_errmsg(oc.store));
            rc = 1;
        } else {
            struct ta_store_stats ss;
            ta_store_get_stats(oc.store, &ss);
            fprintf(stderr,
                    "analyze: run %lld stored %llu new events; %llu already known from other "
                    "runs, %llu repeated within this run%s\n",
                    (long long)run, (unsigned long long)ss.events_new,
                    (unsigned long long)ss.events_known, (unsigned long long)ss.events_repeat,
                    ss.runs_replaced ? "; replaced the earlier runs of these inputs" : "");
        }
    }
    print_stats(det, oc.n);

out:
    ta_store_close(oc.store);
    ta_store_lock_release(lock);
    if (oc.f != NULL && oc.f != stdout)
        fclose(oc.f);
    ta_json_release(&oc.j);
    ta_engine_free(e);
    ta_proto_free(proto);
    ta_detector_free(det);
    intel_release(&intel);
    free(allow);
    ta_geo_close(geo);
    ta_cli_signals_restore();
    ta_cli_inputs_close(&in);
    ta_opts_release(&analyze_spec, &cfg);
    return rc;
}
