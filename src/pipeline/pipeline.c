/*
 * The pipeline: sources -> engine -> proto -> detector -> sinks, for
 * observe (EVE records) and analyze (detection events, the store). See
 * threatatlas/pipeline.h for the lifecycle and where new sources, sinks and
 * workers plug in. Nothing here prints: errors come back in
 * struct ta_pipeline_error, everything else goes to the notice hook.
 */
#include "threatatlas/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "threatatlas/alert.h"
#include "threatatlas/eve-app.h"
#include "threatatlas/eve.h"
#include "threatatlas/json.h"

#include "pipeline/pipeline-inputs.h"
#include "pipeline/pipeline-live.h"
#include "pipeline/pipeline-metrics.h"
#include "pipeline/pipeline-workers.h"

#include "common/banned.h"

#define MAX_FILES 4096

/* Where `geo install` puts the top-sites list (npm top-sites). */
#define TOPSITES_REL "geo/" TA_GEO_PKG_TOPSITES_DIR "/" TA_GEO_PKG_TOPSITES_FILE

struct intel_state {
    struct ta_intel_db *db;
    struct ta_intel_index *idx;
    struct ta_detect_intel_adapter *ad;
};

/*
 * A reload (SIGHUP) builds the new index on a thread of its own, so the
 * capture reads on while it is built (seconds for a large intel tree, long
 * enough to overflow the kernel's buffer); the capture thread swaps it in at
 * a tick. The builder owns fresh, ci, err and msg until done is set; then
 * the capture thread joins it and owns everything again.
 */
struct reload {
    pthread_t th;
    bool running;     /* th is to be joined */
    atomic_bool done; /* the builder has finished */
    bool again;       /* a SIGHUP came during the build: build once more */
    const char *path;
    struct ta_intel_index_opts io;
    struct intel_state fresh;
    struct ta_intel_cache_info ci;
    ta_err err;
    char msg[TA_PIPELINE_ERRLEN - 64];
    double secs; /* the build's */
};

struct ta_pipeline {
    const struct ta_pipeline_opts *o;
    struct ta_pipeline_hooks h;
    bool analyze;
    bool cache_said; /* the intel index cache could not be written: said once */

    struct ta_source **src;
    size_t nsrc;
    struct ta__inputs in;  /* resolved inputs: capture paths, observation sources */
    const char *live_name; /* the interface, or the collector address */
    struct ta_source *volatile running;
    volatile sig_atomic_t stop;
    bool interrupted; /* ta_pipeline_finish left a stopped file run unfinished */
    volatile sig_atomic_t hup;

    /* With workers, e and proto only gather the sinks and the workers' counters. */
    struct ta_engine *e;
    struct ta_proto *proto;
    struct ta__workers *ws; /* NULL: one thread */
    struct ta__live *lv;    /* a live capture's AF_PACKET workers (then no ws, no src) */
    uint64_t src_base;      /* with workers: the frame number of the running source's first frame */

    /* observe */
    struct ta_eve_writer *w;
    struct ta_eve_app_out app;
    struct ta_capture_stats cap;
    char *outbuf;

    /* analyze */
    struct ta_detector *det;
    struct ta_detect_intel iops;
    struct intel_state intel;
    bool with_intel;
    const char **allow;
    char topsites[4096];
    ta_geo *geo;
    struct ta_store_lock *lock;
    struct ta_store *store;
    bool nothing_to_do;
    bool stored;
    int64_t run_id;
    struct ta_json j;
    bool io_error;
    uint64_t events;

    /* live capture */
    bool live;
    uint64_t last_commit_ms; /* monotonic */
    ta_err store_err;        /* a commit failed: the run ends with it */
    struct ta__metrics *metrics;
    uint64_t commits_seen;        /* store commits at the last tick */
    uint64_t commit_ms;           /* monotonic time of the last commit seen (or the start) */
    uint64_t intel_entries;       /* entries of the index in use */
    int64_t intel_loaded;         /* wall clock of its (re)load, Unix seconds */
    ta_time_us intel_last_import; /* newest import in the database then */
    uint64_t intel_reloads;
    struct reload rl;

    FILE *out;
    bool failed; /* an error ended the run: the store run is not finished */

    size_t file; /* 1-based, for progress */
    uint64_t npk;
};

static ta_err fail(struct ta_pipeline_error *err, ta_err code, bool usage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ta_err fail(struct ta_pipeline_error *err, ta_err code, bool usage, const char *fmt, ...)
{
    err->code = code;
    err->usage = usage;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

static void notice(struct ta_pipeline *p, enum ta_pipeline_notice_kind k, const char *text,
                   double secs, uint64_t count)
{
    if (p->h.notice == NULL)
        return;
    struct ta_pipeline_notice n = {k, text, secs, count};
    p->h.notice(p->h.ud, &n);
}

static double since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

void ta_pipeline_opts_default(struct ta_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = TA_PIPELINE_OBSERVE;
    o->name = "observe";
    o->output = "-";
    o->feed_name = "threatatlas";
    o->skew_ms = 2000;
    o->commit_interval_ms = 2000;
    o->commit_events = 10000;
    o->threads = 1;
    ta_source_opts_default(&o->source);
    ta_afpacket_opts_default(&o->afpacket);
    ta_engine_opts_default(&o->engine);
    ta_proto_opts_default(&o->proto);
    ta_detect_opts_default(&o->detect);
    ta_intel_index_opts_default(&o->intel);
    ta_obsrc_opts_default(&o->obsrc);
}

/* ---- sources ----------------------------------------------------------- */

/* Worker threads asked for: --threads, 0 for one per online core (at most the set's limit). */
static unsigned threads_wanted(const struct ta_pipeline_opts *o)
{
    unsigned n = o->threads;
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (unsigned)c : 1;
        if (n > TA__WORKERS_MAX)
            n = TA__WORKERS_MAX;
    }
    return n;
}

/*
 * -i with AF_PACKET sockets, one per worker: forced by --capture afpacket,
 * or chosen for several threads, falling back to libpcap (with a notice)
 * when the interface or the kernel does not allow it. A wrong option value
 * (a filter, the ring's geometry) is an error either way.
 */
static ta_err open_afpacket(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    unsigned n = threads_wanted(o);
    if (o->iface == NULL || o->capture == TA_CAPTURE_PCAP || n > TA__WORKERS_MAX ||
        (o->capture == TA_CAPTURE_AUTO && n < 2))
        return TA_OK;
    char e[TA_SOURCE_ERRLEN];
    ta_err te = ta__live_open(o->iface, n, &o->source, &o->afpacket, &p->lv, e, sizeof(e));
    if (te == TA_OK) {
        notice(p, TA_PIPELINE_NOTE_AFPACKET, o->iface, 0, n);
        return TA_OK;
    }
    if (o->capture == TA_CAPTURE_AFPACKET || te == TA_ERR_ARG)
        return fail(err, te, te == TA_ERR_ARG, "%s: %s", o->name, e);
    char text[TA_SOURCE_ERRLEN + 128];
    snprintf(text, sizeof(text), "%s: %s; capturing through libpcap", o->name, e);
    notice(p, TA_PIPELINE_NOTE_FALLBACK, text, 0, 0);
    return TA_OK;
}

/* Every input is opened before anything is written, so a bad one leaves no output. */
static ta_err open_sources(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    if (o->n_files == 0 && o->n_inputs == 0 && o->iface == NULL)
        return fail(err, TA_ERR_ARG, true,
                    "%s: give captures (-r FILE) or an interface (-i IFACE); see --help", o->name);
    if ((o->n_files > 0 || o->n_inputs > 0) && o->iface != NULL)
        return fail(err, TA_ERR_ARG, true, "%s: -r and -i cannot be used together", o->name);
    if (o->capture == TA_CAPTURE_AFPACKET && o->iface == NULL)
        return fail(err, TA_ERR_ARG, true,
                    "%s: --capture afpacket captures from an interface: give -i IFACE", o->name);
    if (o->n_files > MAX_FILES || o->n_inputs > MAX_FILES)
        return fail(err, TA_ERR_ARG, true, "%s: too many capture files (at most %d)", o->name,
                    MAX_FILES);
    bool usage = false;
    char ie_msg[TA_OBSRC_ERRLEN];
    ta_err ie = ta__inputs_open(o, &p->in, ie_msg, sizeof(ie_msg), &usage);
    if (ie != TA_OK)
        return fail(err, ie, usage, "%s", ie_msg);
    p->live_name = o->iface != NULL ? o->iface : p->in.collector;
    p->live = p->live_name != NULL;
    ta_err ae = open_afpacket(p, err);
    if (ae != TA_OK || p->lv != NULL)
        return ae;
    size_t want = o->iface != NULL ? 1 : p->in.n_files;
    p->src = calloc(want, sizeof(*p->src));
    if (p->src == NULL)
        return fail(err, TA_ERR_NOMEM, false, "%s: out of memory", o->name);
    char e[TA_SOURCE_ERRLEN];
    for (size_t i = 0; i < want; i++) {
        ta_err te = o->iface != NULL
                        ? ta_source_open_live(o->iface, &o->source, &p->src[i], e, sizeof(e))
                        : ta_source_open_file(p->in.files[i], &o->source, &p->src[i], e, sizeof(e));
        if (te != TA_OK)
            return fail(err, te, te == TA_ERR_ARG, "%s", e);
        p->nsrc++;
    }
    return TA_OK;
}

static void reload_start(struct ta_pipeline *p);
static void reload_finish(struct ta_pipeline *p);
static void reload_abandon(struct ta_pipeline *p);
static void on_tick(void *ud);

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct ta_pipeline *p = ud;
    if (p->ws != NULL && ta_source_frame_kept(p->running))
        ta__workers_frame_kept(p->ws, lt, ts, frame, caplen, wirelen);
    else if (p->ws != NULL)
        ta__workers_frame(p->ws, lt, ts, frame, caplen, wirelen);
    else
        ta_engine_packet(p->e, lt, ts, frame, caplen, wirelen);
    if (p->h.progress != NULL && (++p->npk & 0xffff) == 0) {
        struct ta_engine_stats st;
        if (p->ws != NULL) {
            ta__workers_stats(p->ws, &st);
            st.packets = ta__workers_frames(p->ws);
        } else {
            ta_engine_get_stats(p->e, &st);
        }
        struct ta_pipeline_progress pr = {.file = p->file,
                                          .nfiles = p->nsrc,
                                          .name = ta_source_name(p->src[p->file - 1]),
                                          .packets = st.packets,
                                          .flows_active = st.flows_active,
                                          .events = p->events};
        p->h.progress(p->h.ud, &pr);
    }
}

/* The source is about to unmap its first n frames: the workers must be done with them. */
static void on_release(void *ud, uint64_t n)
{
    struct ta_pipeline *p = ud;
    ta__workers_release(p->ws, p->src_base + n);
}

static ta_err run_source(struct ta_pipeline *p, struct ta_source *s, char *e, size_t elen)
{
    if (p->stop)
        return TA_ERR_INTERRUPTED;
    if (p->ws != NULL) {
        /* The workers read the frames of a mapped file where they lie instead of copies. */
        struct ta_source_stats ss;
        ta_source_get_stats(s, &ss);
        p->src_base = ta__workers_frames(p->ws) - ss.packets;
        ta_source_set_release(s, on_release, p);
    }
    p->running = s;
    if (p->live)
        ta_source_set_tick(s, on_tick, p);
    ta_err te = ta_source_run(s, on_frame, p, e, elen);
    p->running = NULL;
    return te;
}

void ta_pipeline_stop(struct ta_pipeline *p)
{
    p->stop = 1;
    ta__inputs_stop(&p->in);
    struct ta_source *s = p->running;
    if (s != NULL)
        ta_source_stop(s);
}

void ta_pipeline_reload(struct ta_pipeline *p)
{
    /* Only a live capture reloads, at its next tick (on_tick), between two packets. */
    if (!p->live)
        return;
    p->hup = 1;
}

/* ---- intel ------------------------------------------------------------- */

static void intel_release(struct intel_state *s)
{
    ta_detect_intel_adapter_free(s->ad);
    ta_intel_index_free(s->idx);
    ta_intel_db_close(s->db);
    memset(s, 0, sizeof(*s));
}

/* Where the indicators are: --intel-db, else --db. */
static const char *intel_path(const struct ta_pipeline_opts *o)
{
    return o->intel_db != NULL ? o->intel_db : o->db;
}

/* Open the indicators at path and their index. No notices: a reload's
 * builder thread runs it. */
static ta_err intel_build(const char *path, const struct ta_intel_index_opts *io,
                          struct intel_state *s, struct ta_intel_cache_info *ci, char *msg,
                          size_t msglen)
{
    char e[256];
    memset(s, 0, sizeof(*s));
    memset(ci, 0, sizeof(*ci));
    ta_err te = ta_intel_db_open(path, &s->db, e, sizeof(e));
    if (te != TA_OK) {
        snprintf(msg, msglen, "%s", e);
        return te;
    }
    /* Start and reload map the index cached beside the database when the
     * indicators and options are those it was built from. */
    te = ta_intel_index_open(s->db, io, NULL, &s->idx, ci);
    if (te == TA_OK)
        te = ta_detect_intel_adapter_new(s->db, s->idx, &s->ad);
    if (te != TA_OK) {
        intel_release(s);
        snprintf(msg, msglen, "cannot load the indicators from %s (or an allow file): %s", path,
                 ta_strerror(te));
    }
    return te;
}

/* Say once that the index cache could not be written. */
static void cache_note(struct ta_pipeline *p, const struct ta_intel_cache_info *ci)
{
    if (ci->hit || ci->write_err == TA_OK || ci->path[0] == '\0' || p->cache_said)
        return;
    char text[4400];
    snprintf(text, sizeof(text),
             "%s: cannot write the intel index cache %s (%s); the index is built in memory "
             "at each start",
             p->o->name, ci->path, ci->write_errno != 0 ? strerror(ci->write_errno) : "?");
    notice(p, TA_PIPELINE_NOTE_ERROR, text, 0, 0);
    p->cache_said = true;
}

static ta_err intel_load(struct ta_pipeline *p, const struct ta_intel_index_opts *io,
                         struct intel_state *s, struct ta_pipeline_error *err)
{
    struct ta_intel_cache_info ci;
    char msg[TA_PIPELINE_ERRLEN - 64];
    ta_err te = intel_build(intel_path(p->o), io, s, &ci, msg, sizeof(msg));
    if (te != TA_OK)
        return fail(err, te, false, "%s: %s", p->o->name, msg);
    cache_note(p, &ci);
    return TA_OK;
}

/* The allow files: the given ones, else the installed top-sites list when there is one. */
static ta_err allow_files(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    size_t n = 0;
    while (p->o->allow_files != NULL && p->o->allow_files[n] != NULL)
        n++;
    p->allow = calloc(n + 2, sizeof(*p->allow));
    if (p->allow == NULL)
        return fail(err, TA_ERR_NOMEM, false, "%s: out of memory", p->o->name);
    for (size_t i = 0; i < n; i++)
        p->allow[i] = p->o->allow_files[i];
    if (n == 0) {
        char dd[3072];
        struct stat st;
        if (ta_geo_data_dir(NULL, dd, sizeof(dd)) &&
            snprintf(p->topsites, sizeof(p->topsites), "%s/%s", dd, TOPSITES_REL) <
                (int)sizeof(p->topsites) &&
            stat(p->topsites, &st) == 0)
            p->allow[n++] = p->topsites;
        else
            notice(p, TA_PIPELINE_NOTE_NO_TOPSITES, NULL, 0, 0);
    }
    p->allow[n] = NULL;
    return TA_OK;
}

/* ---- run information for the store ------------------------------------- */

/* A bounded text accumulator for the data-version strings of a run. */
struct vbuf {
    char s[8192];
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
    unsigned more;       /* sources past INTEL_VER_LIST, counted instead of named */
    uint64_t more_count; /* their indicators */
    ta_time_us last_import;
};

/* Sources are named up to this many bytes; the rest are summed, so that a tree of feeds with
 * hundreds of sources never cuts a name in two or loses the last import's time. */
#define INTEL_VER_LIST 6144

static void intel_ver_count(void *user, const char *what, const char *name, uint64_t count)
{
    struct intel_ver *v = user;
    if (strcmp(what, "source") != 0)
        return;
    if (v->more > 0 || v->b.n + strlen(name) + 24 > INTEL_VER_LIST) {
        v->more++;
        v->more_count += count;
        return;
    }
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
    if (db == NULL || ta_intel_db_source_counts(db, intel_ver_count, &v) != TA_OK ||
        ta_intel_db_stats(db, NULL, intel_ver_run, &v) != TA_OK) {
        vbuf_add(out, "none loaded");
        return;
    }
    char ts[TA_TS_STRLEN];
    vbuf_add(out, "%s", v.nsources ? v.b.s : "no");
    if (v.more > 0)
        vbuf_add(out, " and %u more sources with %llu", v.more, (unsigned long long)v.more_count);
    vbuf_add(out, " indicators");
    if (v.last_import)
        vbuf_add(out, "; last import %s", ta_time_format(v.last_import, ts, sizeof(ts)));
}

/* What the metrics say of the intel in use. */
static void intel_note_loaded(struct ta_pipeline *p, uint64_t entries)
{
    struct intel_ver v;
    memset(&v, 0, sizeof(v));
    /* Only the import runs: the per-source counts scan every row (most of a
     * start from the index cache). */
    if (ta_intel_db_stats(p->intel.db, NULL, intel_ver_run, &v) == TA_OK)
        p->intel_last_import = v.last_import;
    p->intel_entries = entries;
    p->intel_loaded = (int64_t)time(NULL);
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
    notice(ctx, TA_PIPELINE_NOTE_LOCK_WAIT, holder, 0, 0);
}

struct last_live {
    const char *iface, *sensor;
    int64_t id, started, last_commit, n_new, n_known;
    bool done, alive;
};

static bool last_live_cb(void *ctx, const struct ta_store_run_desc *r)
{
    struct last_live *l = ctx;
    if (strcmp(r->live, l->iface) == 0 && strcmp(r->sensor, l->sensor) == 0) {
        l->id = r->id;
        l->started = r->started;
        l->last_commit = r->last_commit;
        l->n_new = (int64_t)r->events_new;
        l->n_known = (int64_t)r->events_known;
        l->done = r->done;
        l->alive = r->alive;
    }
    return true;
}

static void fmt_wall(int64_t secs, char *buf, size_t cap)
{
    if (secs <= 0) {
        snprintf(buf, cap, "none");
        return;
    }
    char ts[TA_TS_STRLEN];
    ta_time_format((ta_time_us)secs * 1000000u, ts, sizeof(ts));
    snprintf(buf, cap, "%s", ts);
}

/* A restart after a crash: say what the previous live run of this sensor
 * on this interface kept and lost (it stays listed as interrupted). */
static void last_live_run(struct ta_pipeline *p, const char *sensor)
{
    struct last_live l = {.iface = p->live_name, .sensor = sensor};
    if (ta_store_runs_list(p->store, 0, last_live_cb, &l) != TA_OK || l.id == 0 || l.done ||
        l.alive)
        return;
    char started[TA_TS_STRLEN + 8], last[TA_TS_STRLEN + 8], text[512];
    fmt_wall(l.started, started, sizeof(started));
    fmt_wall(l.last_commit, last, sizeof(last));
    snprintf(text, sizeof(text),
             "run %lld (live on %s since %s) was interrupted: its %lld new and %lld known events "
             "up to its last commit (%s) are kept, events after it were lost",
             (long long)l.id, p->live_name, started, (long long)l.n_new, (long long)l.n_known,
             last);
    notice(p, TA_PIPELINE_NOTE_INTERRUPTED, text, 0, (uint64_t)l.id);
}

/* Open the store and begin the run; sets nothing_to_do when every input is in it already. */
static ta_err store_begin(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    char serr[TA_STORE_ERRLEN];
    ta_err te = ta_store_open(o->db, TA_STORE_CREATE, &p->store, serr);
    if (te != TA_OK)
        return fail(err, te, false, "%s: %s", o->name, serr);
    ta_store_set_skew(p->store, (ta_time_us)o->skew_ms * 1000);
    /* A live run (a collector) has no input files of its own: every start is a new run;
     * the files read before the collector starts are part of it, not its identity. */
    size_t nin = p->live ? 0 : p->in.n_hashed;
    struct ta_store_input *inputs = calloc(nin ? nin : 1, sizeof(*inputs));
    if (inputs == NULL)
        return fail(err, TA_ERR_NOMEM, false, "%s: out of memory", o->name);
    for (size_t i = 0; i < nin; i++) {
        te = ta_store_input_hash(p->in.hashed[i], &inputs[i]);
        if (te != TA_OK) {
            free(inputs);
            return fail(err, te, false, "%s: cannot read %s", o->name, p->in.hashed[i]);
        }
    }
    struct vbuf iv = {.n = 0}, gv = {.n = 0};
    iv.s[0] = gv.s[0] = '\0';
    intel_version(p->intel.db, &iv);
    geoip_version(p->geo, &gv);
    char host[256] = "";
    if (o->sensor == NULL && gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    struct ta_store_run_info ri = {.inputs = inputs,
                                   .n_inputs = nin,
                                   .home = o->geo.home_countries,
                                   .home_nets = o->geo.home_nets,
                                   .sensor = o->sensor ? o->sensor : host,
                                   .intel_version = iv.s,
                                   .geoip_version = gv.s,
                                   .geoip_built = geoip_built(p->geo),
                                   .redo = o->redo,
                                   .live = p->live_name};
    if (p->live)
        last_live_run(p, ri.sensor);
    bool done = false;
    te = ta_store_run_begin(p->store, &ri, &done);
    free(inputs);
    if (te != TA_OK)
        return fail(err, te, false, "%s: %s", o->name, ta_store_errmsg(p->store));
    if (done) {
        notice(p, TA_PIPELINE_NOTE_ALREADY_DONE, o->db, 0, 0);
        ta_store_close(p->store);
        p->store = NULL;
        p->nothing_to_do = true;
        return TA_OK;
    }
    if (p->live) {
        /*
         * A sensor runs for months: it holds the writer lock only to begin
         * its run, so that intel imports (picked up by SIGHUP), other runs'
         * deletions and file analyses can write meanwhile. Its batches, each
         * one transaction, are serialised with theirs by SQLite, and the
         * identity check sees what they stored (data_version).
         */
        ta_store_lock_release(p->lock);
        p->lock = NULL;
        ta_store_set_batch(p->store, o->commit_events);
        p->commit_ms = mono_ms();
        notice(p, TA_PIPELINE_NOTE_LIVE_RUN, p->live_name, 0, (uint64_t)ta_store_run_id(p->store));
        return TA_OK;
    }
    char holder[64];
    snprintf(holder, sizeof(holder), "run %lld (pid %ld)", (long long)ta_store_run_id(p->store),
             (long)getpid());
    ta_store_lock_set_holder(p->lock, holder);
    return TA_OK;
}

/* ---- sinks ------------------------------------------------------------- */

/* analyze: each event is written (EVE alert or IntelMQ) and stored. */
static void on_event(void *ud, const struct ta_event *ev)
{
    struct ta_pipeline *p = ud;
    ta_json_reset(&p->j);
    if (p->o->format == TA_PIPELINE_INTELMQ)
        ta_event_write_intelmq(&p->j, ev, p->o->feed_name);
    else if (p->o->eve_types == 0 || (p->o->eve_types & TA_EVE_TYPE_ALERT))
        ta_event_write_eve(&p->j, ev, p->o->eve_extension);
    if (p->j.len > 0 && !ta_json_write_line(&p->j, p->out))
        p->io_error = true;
    /* Live: the alert is out at once, not when stdio's buffer fills. */
    if (p->live && fflush(p->out) != 0)
        p->io_error = true;
    if (p->w != NULL)
        ta_eve_writer_mark_alerted(p->w, ev->flow_id);
    if (p->store != NULL)
        ta_store_event_sink(p->store, ev);
    p->events++;
}

static void stats_extra(struct ta_json *j, void *ud)
{
    struct ta_pipeline *p = ud;
    ta_eve_proto_stats(j, p->proto, p->o->eve_extension);
    /* Suricata's schema has no place for them: with the extension only. */
    if (p->o->eve_extension)
        ta__inputs_stats_json(&p->in, j);
}

bool ta_pipeline_eve_types_parse(const char *list, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"alert", TA_EVE_TYPE_ALERT},
                 {"flow", TA_EVE_TYPE_FLOW},
                 {"dns", TA_EVE_TYPE_DNS},
                 {"http", TA_EVE_TYPE_HTTP},
                 {"tls", TA_EVE_TYPE_TLS}};
    unsigned m = 0;
    const char *s = list;
    for (;;) {
        const char *c = strchr(s, ',');
        size_t n = c != NULL ? (size_t)(c - s) : strlen(s);
        bool found = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !found; i++) {
            if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0) {
                m |= names[i].bit;
                found = true;
            }
        }
        if (!found)
            return false;
        if (c == NULL)
            break;
        s = c + 1;
    }
    *out = m;
    return true;
}

/*
 * analyze --eve-types: flow and app-layer records through an EVE writer on the same
 * output as the alerts. Added after the detector's sink, so a flow's alerts (some are
 * raised when it ends) are known when its flow record is written.
 */
static ta_err add_eve_records(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    unsigned t = o->eve_types;
    if (o->format != TA_PIPELINE_EVE ||
        (t & (TA_EVE_TYPE_FLOW | TA_EVE_TYPE_DNS | TA_EVE_TYPE_HTTP | TA_EVE_TYPE_TLS)) == 0)
        return TA_OK;
    struct ta_eve_opts wo = {
        .in_iface = o->iface, .extension = o->eve_extension, .max_alerted = o->engine.max_flows};
    if (ta_eve_writer_new(p->out, &wo, &p->w) != TA_OK)
        return fail(err, TA_ERR_NOMEM, false, "%s: out of memory", o->name);
    if (t & TA_EVE_TYPE_FLOW) {
        struct ta_obs_sink sink = ta_eve_writer_sink(p->w);
        ta_engine_add_sink(p->e, &sink);
    }
    if (t & (TA_EVE_TYPE_DNS | TA_EVE_TYPE_HTTP | TA_EVE_TYPE_TLS)) {
        p->app.w = p->w;
        /* analyze keeps headers for the detectors; http records carry them as observe
         * does only on request, so the two commands write the same records. */
        p->app.http_headers = false;
        p->app.no_dns = !(t & TA_EVE_TYPE_DNS);
        p->app.no_http = !(t & TA_EVE_TYPE_HTTP);
        p->app.no_tls = !(t & TA_EVE_TYPE_TLS);
        struct ta_obs_sink asink;
        memset(&asink, 0, sizeof(asink));
        ta_eve_app_sink(&p->app, &asink);
        ta_engine_add_sink(p->e, &asink);
    }
    return TA_OK;
}

static ta_err open_output(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    if (strcmp(p->o->output, "-") == 0) {
        p->out = stdout;
        return TA_OK;
    }
    /* A sensor restarted (or its output rotated) appends: alerts already written stay. */
    p->out = fopen(p->o->output, p->live ? "a" : "w");
    if (p->out == NULL)
        return fail(err, TA_ERR_IO, false, "cannot write %s: %s", p->o->output, strerror(errno));
    return TA_OK;
}

/* observe: engine -> proto -> EVE writer (flow records, then dns/http/tls records). */
static ta_err assemble_observe(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    ta_err te = ta_engine_new(&o->engine, &p->e);
    if (te != TA_OK)
        return fail(err, te, false, "observe: cannot create the engine: %s", ta_strerror(te));
    if ((te = open_output(p, err)) != TA_OK)
        return te;
    /*
     * Reading files, EVE lines go out in large blocks (stdio's default is the
     * 4 KiB block size, a write() every few records). A live capture or a
     * terminal keeps the default so records show up promptly. stdout's buffer
     * must outlive the pipeline (stdout is flushed at exit), so it is static.
     */
    static char stdout_buf[1u << 18];
    if (!p->live && !isatty(fileno(p->out))) {
        char *buf = stdout_buf;
        if (p->out != stdout)
            buf = p->outbuf = malloc(sizeof(stdout_buf));
        if (buf != NULL)
            setvbuf(p->out, buf, _IOFBF, sizeof(stdout_buf));
    }
    struct ta_eve_opts wo = {.in_iface = o->iface, .extension = o->eve_extension};
    if (ta_eve_writer_new(p->out, &wo, &p->w) != TA_OK)
        return fail(err, TA_ERR_NOMEM, false, "observe: out of memory");
    struct ta_obs_sink sink = ta_eve_writer_sink(p->w);
    te = ta_proto_new(&o->proto, &p->proto);
    if (te != TA_OK)
        return fail(err, te, te == TA_ERR_ARG, "observe: cannot create the app layer: %s",
                    ta_strerror(te));
    ta_engine_set_app_layer(p->e, ta_proto_hooks(), p->proto);
    ta_engine_add_sink(p->e, &sink);
    p->app.w = p->w;
    p->app.http_headers = o->proto.http_keep_headers;
    struct ta_obs_sink asink;
    memset(&asink, 0, sizeof(asink));
    ta_eve_app_sink(&p->app, &asink);
    ta_engine_add_sink(p->e, &asink);
    ta_eve_writer_set_stats_extra(p->w, stats_extra, p);
    return TA_OK;
}

/* analyze: intel, geolocation, the store run, then engine -> proto -> detector -> events. */
static ta_err assemble_analyze(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    /*
     * Indicators are the point of most detections: a run that silently has none (no --db,
     * a mistyped path, a database never imported into) would look like clean traffic.
     */
    const char *idb = intel_path(o);
    if (idb != NULL && o->intel_db == NULL && ta_store_is_clickhouse(idb) && !o->no_intel)
        return fail(err, TA_ERR_ARG, true,
                    "%s: a ClickHouse --db holds no indicators: give --intel-db FILE (filled by "
                    "`threatatlas intel import --db FILE FEED`), or --no-intel",
                    o->name);
    if (idb == NULL && !o->no_intel)
        return fail(err, TA_ERR_ARG, true,
                    "%s: no indicators: give --db FILE (filled by `threatatlas intel import --db "
                    "FILE FEED`), or --no-intel to run without them",
                    o->name);
    p->with_intel = idb != NULL && !o->no_intel;
    if (p->with_intel && access(idb, F_OK) != 0)
        return fail(err, TA_ERR_NOTFOUND, false,
                    "%s: %s does not exist: import indicators into it first (`threatatlas intel "
                    "import --db %s FEED`), or pass --no-intel",
                    o->name, idb, idb);
    ta_err te;
    struct ta_intel_index_opts io = o->intel;
    if (p->with_intel) {
        if ((te = allow_files(p, err)) != TA_OK)
            return te;
        io.allow_files = p->allow;
    }
    if (p->live && o->redo)
        return fail(err, TA_ERR_ARG, true,
                    "%s: --redo replaces the runs of capture files; a live capture (-i) is a new "
                    "run each time",
                    o->name);
    if (p->live && (o->commit_interval_ms == 0 || o->commit_events == 0))
        return fail(err, TA_ERR_ARG, true,
                    "%s: --commit-interval and --commit-events must be above 0", o->name);
    if (o->metrics != NULL) {
        /* Before any work: a wrong or busy address is known at once. */
        if (!p->live)
            return fail(err, TA_ERR_ARG, true,
                        "%s: --metrics serves a live capture's counters: give -i IFACE", o->name);
        char me[256];
        te = ta__metrics_open(o->metrics, &p->metrics, me, sizeof(me));
        if (te != TA_OK)
            return fail(err, te, te == TA_ERR_ARG, "%s: %s", o->name, me);
    }
    bool storing = o->db != NULL && !o->no_store;
    if (storing) {
        /* One writer at a time, decided before any work (and before the intel
         * is read, so an import being written is waited for). */
        char holder[64], lerr[TA_STORE_ERRLEN];
        snprintf(holder, sizeof(holder), "%s (pid %ld)", o->name, (long)getpid());
        te =
            ta_store_lock_take(o->db, holder, o->no_wait ? 0 : -1, on_lock_wait, p, &p->lock, lerr);
        if (te != TA_OK)
            return fail(err, te, false, "%s: %s%s", o->name, lerr,
                        te == TA_ERR_LIMIT ? " (--no-wait)" : "");
    }
    if (p->with_intel) {
        /* The clock only times the load for the notice, never the output. */
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if ((te = intel_load(p, &io, &p->intel, err)) != TA_OK)
            return te;
        double secs = since(&t0);
        struct ta_intel_index_stats ist;
        ta_intel_index_stats(p->intel.idx, &ist);
        /* Allow entries (built-in top sites among them) raise no event by themselves. */
        if (ist.entries <= ist.by_kind[TA_INTEL_KIND_ALLOW])
            return fail(err, TA_ERR_NOTFOUND, false,
                        "%s: %s holds no indicators: import some first (`threatatlas intel "
                        "import --db %s FEED`), or pass --no-intel",
                        o->name, idb, idb);
        notice(p, TA_PIPELINE_NOTE_INTEL_LOADED, NULL, secs, ist.entries);
        intel_note_loaded(p, ist.entries);
    }
    char e[512];
    struct timespec g0;
    clock_gettime(CLOCK_MONOTONIC, &g0);
    te = ta_geo_open(&o->geo, &p->geo, e, sizeof(e));
    if (te != TA_OK)
        return fail(err, te, te == TA_ERR_ARG, "%s: %s", o->name, e); /* --home XYZ: usage */
    /* Like the intel notice: a start-up cost, reported apart from the packets. */
    notice(p, TA_PIPELINE_NOTE_GEO_LOADED, NULL, since(&g0), 0);

    if (storing) {
        if ((te = store_begin(p, err)) != TA_OK || p->nothing_to_do)
            return te;
    }
    if ((te = open_output(p, err)) != TA_OK)
        return te;

    if (p->intel.ad != NULL)
        ta_detect_intel_adapter_ops(p->intel.ad, &p->iops);
    struct ta_detect_geo gops;
    ta_detect_geo_ops(p->geo, &gops);
    te = ta_detector_new(&o->detect, &p->iops, &gops, on_event, p, &p->det);
    if (te == TA_OK)
        te = ta_engine_new(&o->engine, &p->e);
    if (te == TA_OK)
        te = ta_proto_new(&o->proto, &p->proto);
    if (te != TA_OK)
        return fail(err, te, false, "%s: %s", o->name, ta_strerror(te));
    ta_engine_set_app_layer(p->e, ta_proto_hooks(), p->proto);
    struct ta_obs_sink sink;
    ta_detector_sink(p->det, &sink);
    ta_engine_add_sink(p->e, &sink);
    return add_eve_records(p, err);
}

static void http_content(void *ud, const struct ta_detect_http_content *c)
{
    struct ta_pipeline *p = ud;
    ta_detector_next_http_content(p->det, c);
}

/* The packet stages on worker threads when more than one is asked for (or cores exist). */
static ta_err start_workers(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    const struct ta_pipeline_opts *o = p->o;
    unsigned n = threads_wanted(o);
    if (n > TA__WORKERS_MAX)
        return fail(err, TA_ERR_ARG, true, "%s: --threads: at most %d", o->name, TA__WORKERS_MAX);
    /* analyze: the detector's content checks of HTTP transactions run on the workers. */
    struct ta__workers_hooks hooks = {p, p->det != NULL ? http_content : NULL,
                                      ta_detect_http_body_prefix(&o->detect)};
    if (p->lv != NULL) {
        ta_err le = ta__live_prepare(p->lv, &o->engine, &o->proto, ta_engine_fanout(p->e), &hooks);
        if (le != TA_OK)
            return fail(err, le, false, "%s: cannot start the capture workers: %s", o->name,
                        ta_strerror(le));
        return TA_OK;
    }
    if (n <= 1)
        return TA_OK;
    ta_err te = ta__workers_new(n, &o->engine, &o->proto, ta_engine_fanout(p->e), &hooks, &p->ws);
    if (te != TA_OK)
        return fail(err, te, false, "%s: cannot start %u worker threads: %s", o->name, n,
                    ta_strerror(te));
    return TA_OK;
}

ta_err ta_pipeline_open(const struct ta_pipeline_opts *o, const struct ta_pipeline_hooks *h,
                        struct ta_pipeline **out, struct ta_pipeline_error *err)
{
    memset(err, 0, sizeof(*err));
    *out = NULL;
    struct ta_pipeline *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return fail(err, TA_ERR_NOMEM, false, "%s: out of memory", o->name);
    p->o = o;
    if (h != NULL)
        p->h = *h;
    p->analyze = o->mode == TA_PIPELINE_ANALYZE;
    p->live = o->iface != NULL; /* or a collector: set with the inputs */
    ta_json_init(&p->j);
    ta_err te = open_sources(p, err);
    if (te == TA_OK)
        te = p->analyze ? assemble_analyze(p, err) : assemble_observe(p, err);
    if (te == TA_OK && !p->nothing_to_do)
        te = start_workers(p, err);
    if (te != TA_OK) {
        ta_pipeline_free(p);
        return te;
    }
    *out = p;
    return TA_OK;
}

bool ta_pipeline_nothing_to_do(const struct ta_pipeline *p)
{
    return p->nothing_to_do;
}

/* ---- run --------------------------------------------------------------- */

/*
 * End of input: every flow ends, in creation order. With workers, what they
 * still hold is replayed and their counters are added up in p->e and
 * p->proto, which the stats and the stats record read.
 */
static ta_err end_packets(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    uint64_t lost;
    if (p->lv != NULL) {
        /* The workers ended their flows when the run stopped, and everything was replayed. */
        ta__live_absorb(p->lv, p->e, p->proto);
        lost = ta__live_lost(p->lv);
    } else if (p->ws == NULL) {
        ta_engine_flush(p->e);
        return TA_OK;
    } else {
        ta__workers_finish(p->ws);
        ta__workers_absorb(p->ws, p->e, p->proto);
        lost = ta__workers_lost(p->ws);
    }
    if (lost > 0 && err->code == TA_OK) {
        p->failed = true;
        return fail(err, TA_ERR_NOMEM, false,
                    "%s: out of memory handing %llu observations from the worker threads",
                    p->o->name, (unsigned long long)lost);
    }
    return TA_OK;
}

static void obsrc_notice(void *ud, const char *text)
{
    notice(ud, TA_PIPELINE_NOTE_TRUNCATED, text, 0, 0);
}

/* The inputs that are not captures, after the captures, into the engine's fan-out. */
static ta_err run_obsrc(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    if (p->in.n_obs == 0 || p->stop)
        return TA_OK;
    char e[TA_OBSRC_ERRLEN];
    ta_err te = ta__inputs_run(&p->in, p->e, &p->stop, on_tick, p, obsrc_notice, e, sizeof(e));
    if (te == TA_OK || te == TA_ERR_INTERRUPTED)
        return TA_OK;
    p->failed = true;
    return fail(err, te, false, "%s", e);
}

/* -i through the AF_PACKET workers, until ta_pipeline_stop(). */
static ta_err run_live(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    char e[TA_SOURCE_ERRLEN];
    ta_err te = ta__live_run(p->lv, &p->stop, on_tick, p, e, sizeof(e));
    struct ta_source_stats ss;
    ta__live_capture(p->lv, &ss);
    p->cap.kernel_drops += ss.kernel_drops;
    uint64_t early = ta__live_early(p->lv);
    if (early > 0) {
        char text[256];
        snprintf(text, sizeof(text),
                 "%s: %llu observations went to the detector before the slowest capture "
                 "worker's clock reached them (over 64 MiB waited): their order relative to "
                 "that worker's may differ from the packets'",
                 p->o->name, (unsigned long long)early);
        notice(p, TA_PIPELINE_NOTE_ERROR, text, 0, 0);
    }
    if (te == TA_OK || te == TA_ERR_INTERRUPTED)
        return TA_OK;
    p->failed = true;
    return fail(err, te, false, "%s", e);
}

static ta_err run_observe(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    ta_err ret = TA_OK, te_end;
    char e[TA_SOURCE_ERRLEN];
    if (p->lv != NULL)
        ret = run_live(p, err);
    for (size_t i = 0; i < p->nsrc && !p->stop; i++) {
        p->file = i + 1;
        ta_err te = run_source(p, p->src[i], e, sizeof(e));
        struct ta_source_stats ss;
        ta_source_get_stats(p->src[i], &ss);
        p->cap.kernel_drops += ss.kernel_drops;
        if (p->o->iface == NULL)
            p->cap.files++;
        if (te == TA_ERR_TRUNCATED) {
            notice(p, TA_PIPELINE_NOTE_TRUNCATED, e, 0, 0);
            p->cap.truncated_files++;
        } else if (te == TA_ERR_INTERRUPTED) {
            break;
        } else if (te != TA_OK) {
            ret = fail(err, te, false, "%s", e);
            p->failed = true;
            break;
        }
    }
    if ((te_end = end_packets(p, err)) != TA_OK && ret == TA_OK)
        ret = te_end;
    if (ret == TA_OK)
        ret = run_obsrc(p, err);
    /* sFlow's sampled headers went through the engine's own flow table. */
    ta_engine_flush(p->e);
    if (!p->o->no_stats)
        ta_eve_write_stats(p->w, p->e, &p->cap,
                           ta_engine_now(p->e) > p->in.latest ? ta_engine_now(p->e) : p->in.latest);
    return ret;
}

static void *reload_main(void *arg)
{
    struct reload *r = arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r->err = intel_build(r->path, &r->io, &r->fresh, &r->ci, r->msg, sizeof(r->msg));
    r->secs = since(&t0);
    atomic_store(&r->done, true);
    return NULL;
}

/* SIGHUP: start building the new index; during a build, build once more
 * when it ends (the intel may have changed after it was read). */
static void reload_start(struct ta_pipeline *p)
{
    struct reload *r = &p->rl;
    if (r->running) {
        r->again = true;
        return;
    }
    r->path = intel_path(p->o);
    r->io = p->o->intel;
    r->io.allow_files = p->allow;
    r->err = TA_OK;
    r->msg[0] = '\0';
    atomic_store(&r->done, false);
    int e = pthread_create(&r->th, NULL, reload_main, r);
    if (e != 0) {
        char text[256];
        snprintf(text, sizeof(text), "%s: cannot start the intel reload: %s", p->o->name,
                 strerror(e));
        notice(p, TA_PIPELINE_NOTE_ERROR, text, 0, 0);
        return;
    }
    r->running = true;
    notice(p, TA_PIPELINE_NOTE_INTEL_RELOADING, r->path, 0, 0);
}

/* The run ends during a build: wait for it and drop what it built. */
static void reload_abandon(struct ta_pipeline *p)
{
    if (!p->rl.running)
        return;
    pthread_join(p->rl.th, NULL);
    p->rl.running = false;
    intel_release(&p->rl.fresh);
}

/* At a tick, on the capture thread: swap in a finished build's index. */
static void reload_finish(struct ta_pipeline *p)
{
    struct reload *r = &p->rl;
    if (!r->running || !atomic_load(&r->done))
        return;
    pthread_join(r->th, NULL);
    r->running = false;
    p->intel_reloads++;
    if (r->err != TA_OK) {
        char text[TA_PIPELINE_ERRLEN];
        snprintf(text, sizeof(text), "%s: %s", p->o->name, r->msg);
        notice(p, TA_PIPELINE_NOTE_ERROR, text, 0, 0);
    } else {
        cache_note(p, &r->ci);
        struct intel_state fresh = r->fresh;
        memset(&r->fresh, 0, sizeof(r->fresh));
        ta_detect_intel_adapter_ops(fresh.ad, &p->iops);
        ta_detector_set_intel(p->det, &p->iops);
        intel_release(&p->intel);
        p->intel = fresh;
        struct ta_intel_index_stats ist;
        ta_intel_index_stats(p->intel.idx, &ist);
        intel_note_loaded(p, ist.entries);
        if (p->store != NULL) {
            /* The run lists the intel it matches with now. */
            struct vbuf iv = {.n = 0};
            iv.s[0] = '\0';
            intel_version(p->intel.db, &iv);
            char ts[TA_TS_STRLEN];
            vbuf_add(&iv, "; reloaded %s",
                     ta_time_format((ta_time_us)time(NULL) * 1000000u, ts, sizeof(ts)));
            if (ta_store_run_set_intel_version(p->store, iv.s) != TA_OK)
                notice(p, TA_PIPELINE_NOTE_ERROR, ta_store_errmsg(p->store), 0, 0);
        }
        notice(p, TA_PIPELINE_NOTE_INTEL_RELOADED, intel_path(p->o), r->secs, 0);
    }
    if (r->again) {
        r->again = false;
        reload_start(p);
    }
}

/* SIGHUP: reopen the output in append mode (logrotate moved it away). */
static void reopen_output(struct ta_pipeline *p)
{
    if (strcmp(p->o->output, "-") == 0 || p->out == NULL) {
        notice(p, TA_PIPELINE_NOTE_REOPENED, "stdout", 0, 0);
        return;
    }
    fflush(p->out);
    FILE *f = fopen(p->o->output, "a");
    if (f == NULL) {
        char text[512];
        snprintf(text, sizeof(text), "%s: cannot reopen %s: %s; writing on to the old file",
                 p->o->name, p->o->output, strerror(errno));
        notice(p, TA_PIPELINE_NOTE_ERROR, text, 0, 0);
        return;
    }
    FILE *old = p->out;
    p->out = f;
    /* analyze --eve-types writes flow and transaction records through the writer too. */
    if (p->w != NULL)
        ta_eve_writer_set_output(p->w, f);
    /* The old file's buffer was flushed above; an error closing it is the old file's. */
    if (fclose(old) != 0)
        p->io_error = true;
    notice(p, TA_PIPELINE_NOTE_REOPENED, p->o->output, 0, 0);
}

static void metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
            (unsigned long long)v);
}

/* The exposition text (names documented in docs/analyze.md, "Metrics"). */
static void metrics_body(void *ud, FILE *f)
{
    struct ta_pipeline *p = ud;
    struct ta_engine_stats es;
    if (p->ws != NULL) /* the workers' counters as of their last batch */
        ta__workers_stats(p->ws, &es);
    else if (p->lv != NULL)
        ta__live_stats(p->lv, &es);
    else
        ta_engine_get_stats(p->e, &es);
    struct ta_source_stats ss = {0};
    if (p->nsrc > 0)
        ta_source_get_stats(p->src[0], &ss);
    else if (p->lv != NULL)
        ta__live_capture(p->lv, &ss);
    metric(f, "threatatlas_packets_total", "counter", "Frames captured and analysed.", es.packets);
    metric(f, "threatatlas_bytes_total", "counter", "Bytes of the frames (wire length).", es.bytes);
    metric(f, "threatatlas_kernel_drops_total", "counter",
           "Frames the kernel dropped before the capture read them.", ss.kernel_drops);
    metric(f, "threatatlas_interface_drops_total", "counter",
           "Frames the interface or its driver dropped.", ss.iface_drops);
    metric(f, "threatatlas_flows_active", "gauge", "Flows in the flow table.", es.flows_active);
    metric(f, "threatatlas_flows_total", "counter", "Flows created.", es.flows_created);
    metric(f, "threatatlas_flows_evicted_total", "counter",
           "Flows ended early at the flow table's cap (memcap).", es.flows_evicted);
    struct ta_detect_stats ds;
    memset(&ds, 0, sizeof(ds));
    if (p->det != NULL)
        ta_detector_get_stats(p->det, &ds);
    fputs("# HELP threatatlas_events_total Events written, by kind (suppressed ones included).\n"
          "# TYPE threatatlas_events_total counter\n",
          f);
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(f, "threatatlas_events_total{kind=\"%s\"} %llu\n",
                ta_event_kind_name((enum ta_event_kind)k), (unsigned long long)ds.events[k]);
    fputs("# HELP threatatlas_events_suppressed_total Events an allow list suppressed, by kind.\n"
          "# TYPE threatatlas_events_suppressed_total counter\n",
          f);
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        fprintf(f, "threatatlas_events_suppressed_total{kind=\"%s\"} %llu\n",
                ta_event_kind_name((enum ta_event_kind)k), (unsigned long long)ds.suppressed[k]);
    if (p->store != NULL) {
        struct ta_store_stats st;
        ta_store_get_stats(p->store, &st);
        uint64_t now = mono_ms();
        uint64_t lag = ta_store_pending(p->store) ? (now - p->commit_ms) / 1000u : 0;
        metric(f, "threatatlas_store_events_total", "counter", "Events added to the store run.",
               st.events);
        metric(f, "threatatlas_store_commits_total", "counter", "Store transactions committed.",
               st.commits);
        metric(f, "threatatlas_store_lag_seconds", "gauge",
               "Seconds since the last commit while events wait for the next (0: none wait).", lag);
        metric(f, "threatatlas_store_run_id", "gauge", "Id of the live run in the store.",
               (uint64_t)ta_store_run_id(p->store));
    }
    if (p->with_intel) {
        int64_t now = (int64_t)time(NULL);
        int64_t imp = (int64_t)(p->intel_last_import / 1000000u);
        metric(f, "threatatlas_intel_entries", "gauge",
               "Indicator and allow entries of the intel in use.", p->intel_entries);
        metric(f, "threatatlas_intel_loaded_timestamp_seconds", "gauge",
               "When the intel in use was loaded (start or SIGHUP), Unix time.",
               (uint64_t)p->intel_loaded);
        metric(f, "threatatlas_intel_version_timestamp_seconds", "gauge",
               "Newest import into the database when the intel in use was loaded, Unix time.",
               (uint64_t)imp);
        metric(f, "threatatlas_intel_age_seconds", "gauge", "Seconds since that newest import.",
               (uint64_t)(imp > 0 && now > imp ? now - imp : 0));
        metric(f, "threatatlas_intel_reloads_total", "counter", "Intel reloads (SIGHUP).",
               p->intel_reloads);
    }
}

/*
 * The live capture's clock, between two packets (at least every read
 * timeout): idle flows end on the wall clock, SIGHUP is acted on, the store
 * commits every commit interval, and what was written is flushed.
 */
static void on_tick(void *ud)
{
    struct ta_pipeline *p = ud;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec > 0) {
        ta_time_us t = (ta_time_us)now.tv_sec * 1000000u + (ta_time_us)now.tv_nsec / 1000u;
        /* AF_PACKET workers keep their own clocks. */
        if (p->ws != NULL)
            ta__workers_advance(p->ws, t);
        else if (p->lv == NULL)
            ta_engine_advance(p->e, t);
    }
    reload_finish(p);
    /* SIGHUP: analyze reloads its intel; both reopen their output for logrotate. */
    if (p->hup) {
        p->hup = 0;
        if (p->analyze && p->with_intel)
            reload_start(p);
        reopen_output(p);
    }
    uint64_t ms = mono_ms();
    if (p->store != NULL && p->store_err == TA_OK &&
        ms - p->last_commit_ms >= p->o->commit_interval_ms) {
        p->last_commit_ms = ms;
        if (ta_store_pending(p->store) && (p->store_err = ta_store_commit(p->store)) != TA_OK)
            ta_pipeline_stop(p); /* the error is returned by ta_pipeline_run */
    }
    if (p->store != NULL) {
        struct ta_store_stats ss;
        ta_store_get_stats(p->store, &ss);
        if (ss.commits != p->commits_seen) {
            p->commits_seen = ss.commits;
            p->commit_ms = ms;
        }
    }
    if (p->out != NULL && fflush(p->out) != 0)
        p->io_error = true;
    if (p->metrics != NULL)
        ta__metrics_serve(p->metrics, metrics_body, p);
}

static ta_err run_analyze(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    ta_err ret = TA_OK, te_end;
    char e[512];
    if (p->lv != NULL)
        ret = run_live(p, err);
    for (size_t i = 0; i < p->nsrc && !p->stop; i++) {
        p->file = i + 1;
        ta_err te = run_source(p, p->src[i], e, sizeof(e));
        /* The closing line and the stats record say what the kernel dropped. */
        struct ta_source_stats ss;
        ta_source_get_stats(p->src[i], &ss);
        p->cap.kernel_drops += ss.kernel_drops;
        if (te != TA_OK && te != TA_ERR_TRUNCATED && te != TA_ERR_INTERRUPTED) {
            ret = fail(err, te, false, "%s", e);
            p->failed = true;
            break;
        }
        if (te == TA_ERR_TRUNCATED)
            notice(p, TA_PIPELINE_NOTE_TRUNCATED, e, 0, 0);
    }
    if ((te_end = end_packets(p, err)) != TA_OK && ret == TA_OK)
        ret = te_end;
    if (ret == TA_OK)
        ret = run_obsrc(p, err);
    /* sFlow's sampled headers went through the engine's own flow table. */
    ta_engine_flush(p->e);
    ta_detector_finish(p->det);
    fflush(p->out);
    if (ret == TA_OK && p->store_err != TA_OK) {
        ret = fail(err, p->store_err, false, "%s: storing events: %s", p->o->name,
                   ta_store_errmsg(p->store));
        p->failed = true;
    }
    return ret;
}

ta_err ta_pipeline_run(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    memset(err, 0, sizeof(*err));
    if (p->nothing_to_do)
        return TA_OK;
    return p->analyze ? run_analyze(p, err) : run_observe(p, err);
}

ta_err ta_pipeline_finish(struct ta_pipeline *p, struct ta_pipeline_error *err)
{
    memset(err, 0, sizeof(*err));
    if (p->nothing_to_do)
        return TA_OK;
    const struct ta_pipeline_opts *o = p->o;
    if (!p->analyze) {
        ta_err we = ta_eve_writer_error(p->w);
        ta_err ret = TA_OK;
        if (fflush(p->out) != 0 || we != TA_OK) {
            ret = fail(err, we ? we : TA_ERR_IO, false, "cannot write %s: %s",
                       strcmp(o->output, "-") ? o->output : "stdout",
                       ta_strerror(we ? we : TA_ERR_IO));
            p->failed = true;
        }
        if (p->out != stdout) {
            int rc = fclose(p->out);
            p->out = NULL;
            if (rc != 0 && !p->failed) {
                p->failed = true;
                ret = fail(err, TA_ERR_IO, false, "cannot write %s", o->output);
            }
        }
        return ret;
    }
    if (p->io_error || ferror(p->out) || (p->w != NULL && ta_eve_writer_error(p->w) != TA_OK)) {
        p->failed = true;
        return fail(err, TA_ERR_IO, false, "%s: error writing %s", o->name, o->output);
    }
    if (p->store != NULL && !p->failed) {
        p->run_id = ta_store_run_id(p->store);
        /* Stopped before the end of its files: marking the run done would record inputs as
         * analysed that were not read to the end, and a rerun would find nothing to do. So what
         * was found is committed and the run stays unfinished, to be resumed. */
        bool cut = p->stop && p->live_name == NULL && p->store_err == TA_OK;
        ta_err te;
        if (cut) {
            te = ta_store_commit(p->store);
        } else {
            char srcs[2048];
            ta__inputs_describe(&p->in, p->in.n_files > 0 || o->iface != NULL, srcs, sizeof(srcs));
            te = ta_store_run_set_sources(p->store, srcs);
            if (te == TA_OK)
                te = ta_store_run_finish(p->store, 0, 0);
        }
        if (te != TA_OK) {
            p->failed = true;
            return fail(err, te, false, "%s: storing events: %s", o->name,
                        ta_store_errmsg(p->store));
        }
        if (cut)
            ta_store_run_abort(p->store);
        p->interrupted = cut;
        p->stored = !cut;
    }
    return TA_OK;
}

void ta_pipeline_get_stats(const struct ta_pipeline *p, struct ta_pipeline_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (p->e != NULL)
        ta_engine_get_stats(p->e, &st->engine);
    st->capture = p->cap;
    st->events = p->events;
    if (p->det != NULL)
        ta_detector_get_stats(p->det, &st->detect);
    st->stored = p->stored;
    st->interrupted = p->interrupted;
    st->run_id = p->run_id;
    if (p->proto != NULL)
        for (size_t i = 0; i < ta_proto_counter_count(); i++) {
            const char *n = ta_proto_counter_name(i);
            if (strcmp(n, "app_memcap_drops") == 0)
                st->app_memcap_drops = ta_proto_counter(p->proto, i);
            else if (strcmp(n, "stream_flow_memcap_drops") == 0 ||
                     strcmp(n, "stream_global_memcap_drops") == 0)
                st->stream_memcap_drops += ta_proto_counter(p->proto, i);
        }
    if (p->stored || p->interrupted)
        ta_store_get_stats(p->store, &st->store);
}

void ta_pipeline_free(struct ta_pipeline *p)
{
    if (p == NULL)
        return;
    reload_abandon(p);
    ta__metrics_close(p->metrics);
    ta__workers_free(p->ws);
    ta__live_free(p->lv);
    ta_store_close(p->store);
    ta_store_lock_release(p->lock);
    ta_eve_writer_free(p->w);
    if (p->out != NULL && p->out != stdout)
        fclose(p->out);
    free(p->outbuf);
    ta_json_release(&p->j);
    ta_engine_free(p->e);
    ta_proto_free(p->proto);
    ta_detector_free(p->det);
    intel_release(&p->intel);
    free(p->allow);
    ta_geo_close(p->geo);
    for (size_t i = 0; i < p->nsrc; i++)
        ta_source_close(p->src[i]);
    free(p->src);
    ta__inputs_release(&p->in);
    free(p);
}

size_t ta_pipeline_obsrc_count(const struct ta_pipeline *p)
{
    return p->in.n_obs;
}

const struct ta_obsrc *ta_pipeline_obsrc(const struct ta_pipeline *p, size_t i)
{
    return i < p->in.n_obs ? p->in.obs[i] : NULL;
}
