/*
 * The pipeline: sources -> engine (decode, flows) -> proto (app layer) ->
 * detector -> sinks (EVE writer, alert/IntelMQ writer, store), assembled,
 * checked, run and torn down in one place. `observe` and `analyze` are thin
 * clients: they fill struct ta_pipeline_opts from their option tables and
 * print what comes back (notices, progress, errors, statistics).
 *
 * Lifecycle:
 *   ta_pipeline_open()   opens and checks everything before any output is
 *                        written: every input, the intel database and its
 *                        index, GeoIP, the store's writer lock and run, then
 *                        the output file. A failure leaves no output.
 *   ta_pipeline_run()    reads every source through the stages (a live
 *                        capture until ta_pipeline_stop(): flows expire
 *                        on the wall clock too, each event is flushed to
 *                        the output at once, and the store commits every
 *                        few seconds); returns
 *                        the first source error (the stages are flushed and
 *                        the detector finished either way).
 *   ta_pipeline_finish() checks the output and, when the run went well,
 *                        finishes the store run.
 *   ta_pipeline_free()   releases everything (accepts NULL).
 * ta_pipeline_stop() and ta_pipeline_reload() are async-signal-safe: call
 * them from SIGINT/SIGTERM and SIGHUP handlers.
 *
 * Errors are returned with their detail in struct ta_pipeline_error (one
 * line of text, and whether it is a usage error); the library never prints.
 * Things worth a line on stderr that are not errors (load times, a missing
 * allow list, waiting for the database's writer, a damaged capture) go to
 * the notice callback.
 *
 * Inputs of several kinds. Each input (struct ta_pipeline_input) names its
 * kind (enum ta_input_kind, threatatlas/obsrc.h: pcap, flows, eve, zeek,
 * access-log) or leaves it to be sniffed from the file's first bytes (a
 * file whose kind is not sure is read as a capture, which then says what is
 * wrong with it). Captures are read first, in order, through the engine;
 * then every other input, in order, through its observation source, whose
 * flows and records reach the same sinks through ta_engine_fanout() (they
 * do not move the engine's clock). A collector (udp://ADDR:PORT, kind
 * flows) makes the run live like an interface: it runs until
 * ta_pipeline_stop(). Per-source counts and the exporters (with their
 * sampling rates) that contributed: ta_pipeline_obsrc_count() and
 * ta_pipeline_obsrc(). The inputs are resolved, opened and run in
 * src/pipeline/pipeline-inputs.c.
 *
 * Extending it. A new kind of input that is not packets (a log format, a
 * record format) is a struct ta_obsrc_ops registered by kind in
 * src/sources/obsrc.c; the pipeline needs no change. A new kind of packet
 * source (a ring buffer, a socket) is opened in open_sources() in
 * src/pipeline/pipeline.c and run through the same ta_source_cb, so it
 * feeds ta_engine_packet() like the files and interfaces do; its options go
 * in struct ta_pipeline_opts. A new
 * sink is a struct ta_obs_sink registered in assemble() next to the EVE
 * writer and the detector.
 *
 * Workers (opts.threads, src/pipeline/pipeline-workers.c): the engine is
 * the unit of parallelism. With N > 1 each of N threads runs its own engine
 * and app layer (decode, flow table, TCP reassembly, DNS/HTTP/TLS parsing)
 * with 1/N of the memory caps; frames are dispatched by a hash of the IP
 * address pair (the same both ways, no ports, so fragments follow their
 * flow). Everything that needs one view stays on the calling thread: the
 * detector (DNS answers linked to later connections, beaconing per host
 * pair, per-flow de-duplication, event identity), the EVE and alert
 * writers and the store. The workers' observations are replayed to those
 * sinks in exactly the order one engine would have made them (each carries
 * its position in the input; the workers take each timeout decision
 * together), so output, event ids and the report do not depend on N or on
 * scheduling. docs/design/workers.md says how and what it costs.
 *
 * A live capture with several workers on Linux (opts.capture) instead gives
 * each worker an AF_PACKET socket of one fanout group and its own clock
 * (src/pipeline/pipeline-live.c); their observations reach the calling
 * thread's sinks merged by time with a bounded delay. That output is a live
 * capture's: the same records and events as one thread on the same
 * traffic, not in a byte-identical order.
 */
#ifndef THREATATLAS_PIPELINE_H
#define THREATATLAS_PIPELINE_H

#include <stdio.h>

#include "threatatlas/common.h"
#include "threatatlas/detect.h"
#include "threatatlas/engine.h"
#include "threatatlas/enrich.h"
#include "threatatlas/intel.h"
#include "threatatlas/obsrc.h"
#include "threatatlas/proto.h"
#include "threatatlas/source.h"
#include "threatatlas/store.h"

enum ta_pipeline_mode {
    TA_PIPELINE_OBSERVE, /* EVE flow/dns/http/tls records and a stats record */
    TA_PIPELINE_ANALYZE, /* detection events: alerts or IntelMQ events, and the store */
};

enum ta_pipeline_format {
    TA_PIPELINE_EVE,     /* EVE alert records */
    TA_PIPELINE_INTELMQ, /* IntelMQ events */
};

/* One input of a run: a file or a collector address, of a kind. */
struct ta_pipeline_input {
    enum ta_input_kind kind; /* TA_INPUT_AUTO: sniffed from the file */
    const char *where;       /* a path; with TA_INPUT_FLOWS also udp://ADDR:PORT */
};

struct ta_pipeline_opts {
    enum ta_pipeline_mode mode;
    const char *name; /* the command, the prefix of messages ("analyze") */

    /* Sources: files, or one live interface. */
    const char *const *files;
    size_t n_files;
    const char *iface;
    struct ta_source_opts source; /* BPF, snaplen */
    /*
     * How -i captures (threatatlas/source.h): TA_CAPTURE_AUTO (the default)
     * uses AF_PACKET with one socket per worker when more than one thread
     * runs on Linux, and falls back to libpcap with a TA_PIPELINE_NOTE_FALLBACK
     * notice when the sockets cannot be opened; TA_CAPTURE_AFPACKET fails
     * instead (and runs even one thread that way); TA_CAPTURE_PCAP is the
     * ordered worker set fed by one libpcap handle. Each worker's ring has
     * afpacket.block_count blocks of afpacket.block_size bytes.
     */
    enum ta_capture_kind capture;
    struct ta_afpacket_opts afpacket;
    /* Inputs with their kinds, in order (instead of files: give one or the other). */
    const struct ta_pipeline_input *inputs;
    size_t n_inputs;
    struct ta_obsrc_opts obsrc; /* flow exports: template limits; collector buffer */

    /* Stages. */
    /*
     * Packet worker threads (decode, flows, app layer), frames dispatched by a
     * hash of their addresses; 0: one per online core; 1 (the default):
     * everything on the calling thread. Any count gives the same records in
     * the same order.
     */
    unsigned threads;
    struct ta_engine_opts engine;
    struct ta_proto_opts proto;
    struct ta_detect_opts detect; /* analyze */

    /* Output: a path, "-" for stdout. */
    const char *output;
    bool no_stats;                  /* observe: no final stats record; http records carry headers
                                       when proto.http_keep_headers is set */
    enum ta_pipeline_format format; /* analyze */
    /* EVE event types analyze writes (TA_EVE_TYPE_*; 0 = alerts only, as before). The
     * flow records of flows that raised an alert say flow.alerted true. */
    unsigned eve_types;
    /* EVE: add threatatlas's own members that Suricata's schema has no place for (the
     * alert's `threatatlas` object, the stats record's own counter names). */
    bool eve_extension;
    const char *feed_name; /* IntelMQ feed.name */

    /* Intel and store (analyze). */
    const char *db;       /* indicators are read from it, events stored in it */
    const char *intel_db; /* indicators from here instead (needed when db is ClickHouse) */
    bool no_intel;
    bool no_store;
    struct ta_intel_index_opts intel; /* allow_files is set from the two below */
    const char *const *allow_files;   /* NULL-terminated; NULL or empty: the installed
                                         top-sites list when there is one */
    const char *sensor;               /* NULL: the host name */
    bool redo;
    bool no_wait;
    uint32_t skew_ms;
    /* Live capture (analyze): the store commits every commit_interval_ms of
     * wall clock (default 2000) and every commit_events events (default
     * 10,000), whichever comes first; a kill -9 loses at most the events
     * since the last commit. */
    uint32_t commit_interval_ms;
    uint32_t commit_events;
    /* Live capture (analyze): serve the counters for Prometheus at
     * http://ADDRESS:PORT/metrics ("127.0.0.1:9109", "[::1]:9109"); NULL: none. */
    const char *metrics;

    /* Geolocation (analyze). */
    struct ta_geo_opts geo;
};

#define TA_EVE_TYPE_ALERT 1u
#define TA_EVE_TYPE_FLOW  2u
#define TA_EVE_TYPE_DNS   4u
#define TA_EVE_TYPE_HTTP  8u
#define TA_EVE_TYPE_TLS   16u
/* A comma-separated list of alert, flow, dns, http, tls into TA_EVE_TYPE_* bits;
 * false on an unknown or empty name. */
bool ta_pipeline_eve_types_parse(const char *list, unsigned *out);

/* Defaults of every stage (mode observe, output "-"). */
void ta_pipeline_opts_default(struct ta_pipeline_opts *o);

#define TA_PIPELINE_ERRLEN 1024
struct ta_pipeline_error {
    ta_err code;
    bool usage; /* the options were wrong (exit 2), not an input (exit 1) */
    char msg[TA_PIPELINE_ERRLEN];
};

enum ta_pipeline_notice_kind {
    TA_PIPELINE_NOTE_NO_TOPSITES,     /* no top-sites allowlist installed */
    TA_PIPELINE_NOTE_LOCK_WAIT,       /* text: who holds the database */
    TA_PIPELINE_NOTE_INTEL_LOADED,    /* secs, count (index entries) */
    TA_PIPELINE_NOTE_GEO_LOADED,      /* secs */
    TA_PIPELINE_NOTE_ALREADY_DONE,    /* text: the database; nothing to do */
    TA_PIPELINE_NOTE_INTEL_RELOADED,  /* text: the database; secs: the build, made while the
                                         capture went on */
    TA_PIPELINE_NOTE_TRUNCATED,       /* text: the source's message */
    TA_PIPELINE_NOTE_ERROR,           /* text: an error that does not end the run */
    TA_PIPELINE_NOTE_LIVE_RUN,        /* text: the interface; count: the run id (live, stored) */
    TA_PIPELINE_NOTE_INTERRUPTED,     /* text: what an earlier live run of this sensor lost;
                                         count: its run id */
    TA_PIPELINE_NOTE_REOPENED,        /* text: the output; after SIGHUP, the output file was
                                         reopened (a client reopens its own log now) */
    TA_PIPELINE_NOTE_INTEL_RELOADING, /* text: the database; after SIGHUP, the new index is
                                         being built while the capture goes on */
    TA_PIPELINE_NOTE_FALLBACK,        /* text: why AF_PACKET could not be used; the capture
                                         goes through libpcap */
    TA_PIPELINE_NOTE_AFPACKET,        /* text: the interface; count: the AF_PACKET sockets
                                         (one per worker) the capture runs on */
};

struct ta_pipeline_notice {
    enum ta_pipeline_notice_kind kind;
    const char *text;
    double secs;
    uint64_t count;
};

/* Called every 65,536 packets. */
struct ta_pipeline_progress {
    size_t file, nfiles; /* 1-based index of the source being read */
    const char *name;
    uint64_t packets, flows_active, events;
};

struct ta_pipeline_hooks {
    void *ud;
    void (*notice)(void *ud, const struct ta_pipeline_notice *n);
    void (*progress)(void *ud, const struct ta_pipeline_progress *p); /* NULL: none */
};

struct ta_pipeline;

/*
 * Open and check everything (see above). o and the strings it points to
 * must outlive the pipeline. On error *out is NULL and err says why.
 * With an analyze run whose inputs are all in the store already, open
 * succeeds and ta_pipeline_nothing_to_do() is true (a notice said so).
 */
ta_err ta_pipeline_open(const struct ta_pipeline_opts *o, const struct ta_pipeline_hooks *h,
                        struct ta_pipeline **out, struct ta_pipeline_error *err);
bool ta_pipeline_nothing_to_do(const struct ta_pipeline *p);
ta_err ta_pipeline_run(struct ta_pipeline *p, struct ta_pipeline_error *err);
ta_err ta_pipeline_finish(struct ta_pipeline *p, struct ta_pipeline_error *err);
void ta_pipeline_free(struct ta_pipeline *p);

/* Async-signal-safe: end the run after the current packet. */
void ta_pipeline_stop(struct ta_pipeline *p);
/*
 * Async-signal-safe: in a live capture, within the read timeout and
 * without stopping the capture, reload the intel and allow lists from the
 * database (analyze with intel) and reopen the output file in append mode
 * (for logrotate), then a TA_PIPELINE_NOTE_REOPENED notice. Reading files:
 * nothing. A failed reload or reopen is a TA_PIPELINE_NOTE_ERROR notice and
 * what was in use stays.
 */
void ta_pipeline_reload(struct ta_pipeline *p);

struct ta_pipeline_stats {
    struct ta_engine_stats engine;
    struct ta_capture_stats capture;
    uint64_t events;               /* analyze: events written */
    struct ta_detect_stats detect; /* analyze */
    bool stored;                   /* analyze: the store run was finished */
    /* analyze: stopped (ta_pipeline_stop) before the end of its files: the events found so far
     * are committed, but the run stays unfinished, so the same inputs resume it. */
    bool interrupted;
    int64_t run_id;
    struct ta_store_stats store;
    /* Refusals at the memory caps of the app layer (proto counters of the same names). */
    uint64_t stream_memcap_drops; /* stream_flow_ and stream_global_memcap_drops */
    uint64_t app_memcap_drops;
};
void ta_pipeline_get_stats(const struct ta_pipeline *p, struct ta_pipeline_stats *st);

/* The observation sources of the run (inputs that are not captures), in input order, for
 * their counts and origins (threatatlas/obsrc.h); valid while p lives. */
size_t ta_pipeline_obsrc_count(const struct ta_pipeline *p);
const struct ta_obsrc *ta_pipeline_obsrc(const struct ta_pipeline *p, size_t i);

#endif
