/*
 * Observation sources: inputs that are not packets for the engine to decode
 * (flow records exported by routers, sensor logs, web-server logs) but
 * observations already made elsewhere.
 *
 * Stage 1 of the pipeline, beside the packet sources (threatatlas/source.h).
 * An observation source is opened on a path or an address, then run: it
 * hands each observation to an output sink (struct ta_obs_sink: on_flow for
 * a flow, on_record for a dns/http/tls record) until its input ends or it is
 * stopped, then it is closed. The pipeline passes the engine's fan-out
 * (ta_engine_fanout), so the detector, the EVE writer and the store get
 * these observations exactly as they get those the engine makes from
 * packets; the flows are the source's own, never in the flow table.
 *
 * The kind of an input (enum ta_input_kind) is named by the user (--input)
 * or sniffed from the first bytes of a file (ta_input_kind_sniff) when that
 * is unambiguous. Packet captures stay with threatatlas/source.h: the kind
 * TA_INPUT_PCAP is opened there, every other kind here, through a registry
 * of one struct ta_obsrc_ops per kind (src/sources/obsrc.c).
 *
 * Flows made from records carry where they came from (struct
 * ta_flow_origin in threatatlas/flow.h): the exporter, its observation
 * domain, the sampling rate. A sampled record is one observation of a
 * host pair, never a scaled count.
 *
 * Errors are returned as ta_err with one line in the caller's errbuf;
 * malformed input is counted (stats.rejected) and reading goes on.
 */
#ifndef THREATATLAS_OBSRC_H
#define THREATATLAS_OBSRC_H

#include <signal.h>

#include "threatatlas/common.h"
#include "threatatlas/engine.h"
#include "threatatlas/source.h"

#define TA_OBSRC_ERRLEN 512

enum ta_input_kind {
    TA_INPUT_AUTO = 0,   /* sniff the content (files only) */
    TA_INPUT_PCAP,       /* packets: pcap, pcapng, either gzip-compressed, or an interface */
    TA_INPUT_FLOWS,      /* NetFlow v5/v9, IPFIX, sFlow v5: a pcap of export packets, or
                            udp://ADDR:PORT as a collector */
    TA_INPUT_EVE,        /* Suricata EVE JSON */
    TA_INPUT_ZEEK,       /* Zeek logs (TSV or JSON) */
    TA_INPUT_ACCESS_LOG, /* web-server access logs */
    TA_INPUT__COUNT
};

/* "auto", "pcap", "flows", "eve", "zeek", "access-log"; never NULL. */
const char *ta_input_kind_name(enum ta_input_kind k);
/* The name (as above) to the kind; false when unknown. */
bool ta_input_kind_parse(const char *name, enum ta_input_kind *out);

/*
 * The kind a file's first bytes show, or TA_INPUT_AUTO when they show none
 * unambiguously. A capture is TA_INPUT_PCAP even when it holds flow exports:
 * a sensor may well see them as traffic; --input flows says otherwise.
 */
enum ta_input_kind ta_input_kind_sniff(const uint8_t *head, size_t n);
/*
 * Sniff a file: TA_OK with *out set (TA_INPUT_AUTO when nothing is sure),
 * or TA_ERR_IO when it cannot be read (errbuf names it).
 */
ta_err ta_input_kind_detect(const char *path, enum ta_input_kind *out, char *errbuf, size_t errlen);

struct ta_obsrc_opts {
    struct ta_source_opts source; /* captures of export packets: the BPF filter */
    /* Flow exports: templates kept per exporter and observation domain, at most
     * (default 4096 in all), and how long one lives unrefreshed (seconds of
     * export time; default 1800, as nfcapd). Exporters followed at most (default 1024). */
    uint32_t max_templates;
    uint32_t template_timeout_s;
    uint32_t max_exporters;
    /* Collector: bytes of socket receive buffer asked for (default 8 MiB). */
    uint32_t rcvbuf;
    /* Access logs: the format (NULL: combined or common per line, IIS by its #Fields;
     * "combined", "common", or an nginx log_format string) and the server's address
     * when the log does not name it (threatatlas/logsrc.h). */
    const char *access_format;
    const char *access_server;
};

void ta_obsrc_opts_default(struct ta_obsrc_opts *o);

/* What a source made, for the stats record and the analyze summary. */
struct ta_obsrc_stats {
    uint64_t datagrams; /* export packets, or lines */
    uint64_t records;   /* observations handed on */
    uint64_t rejected;  /* malformed datagrams or lines (the rest of one is skipped) */
    uint64_t skipped;   /* well-formed records that make no observation (options data,
                           records whose template is unknown, other families) */
    uint64_t templates_expired;
    uint64_t exporters_refused; /* past max_exporters */
};

/* One exporter (or sensor) that contributed, with its sampling rate. */
struct ta_obsrc_origin {
    char exporter[TA_ADDR_STRLEN + 8]; /* "192.0.2.1" or a sensor name */
    uint32_t domain;                   /* observation domain / source id */
    const char *format;                /* "netflow5", "netflow9", "ipfix", "sflow5", ... */
    uint32_t sampling;                 /* 1 in N (1: every packet; 0: not said) */
    uint64_t records;
};

struct ta_obsrc;

/*
 * The operations of one kind. open() reads enough to refuse a wrong input
 * before anything is written; run() delivers observations to out until the
 * end of input (TA_OK), *stop (TA_ERR_INTERRUPTED) or an error; a live
 * source calls tick(tick_ud) at least every 100 ms of wall clock.
 */
struct ta_obsrc_run {
    const struct ta_obs_sink *out;
    volatile sig_atomic_t *stop;
    void (*tick)(void *ud); /* may be NULL */
    void *tick_ud;
    /* Packets an input carries (sFlow's sampled headers) go to this engine, to be decoded,
     * tracked and parsed like captured ones; NULL: they are counted and skipped. */
    struct ta_engine *engine;
};

struct ta_obsrc_ops {
    enum ta_input_kind kind;
    ta_err (*open)(const char *where, const struct ta_obsrc_opts *o, void **state, char *errbuf,
                   size_t errlen);
    ta_err (*run)(void *state, const struct ta_obsrc_run *r, char *errbuf, size_t errlen);
    void (*stats)(const void *state, struct ta_obsrc_stats *st);
    /* Up to max origins into out; returns how many there are in all. */
    size_t (*origins)(const void *state, struct ta_obsrc_origin *out, size_t max);
    bool live; /* a collector: runs until stopped */
    void (*close)(void *state);
    /* Optional: from now on keep state (templates, exporters) with `first`, an earlier
     * source of the same kind in the run, as one collector keeps them over datagrams:
     * a template read from one file then decodes the data of the next. first outlives
     * state. */
    void (*share)(void *state, void *first);
    /* Optional: the files an input reads (a directory's files), up to max into out
     * (owned by state); returns how many in all. NULL: the path given at open. */
    size_t (*files)(const void *state, const char **out, size_t max);
};

/*
 * Open `where` (a path, or "udp://ADDR:PORT" for a collector) as kind (not
 * TA_INPUT_AUTO nor TA_INPUT_PCAP). Errors: TA_ERR_UNSUPPORTED (no reader
 * for that kind yet), TA_ERR_IO, TA_ERR_FORMAT, TA_ERR_ARG (a bad address),
 * TA_ERR_NOMEM.
 */
ta_err ta_obsrc_open(enum ta_input_kind kind, const char *where, const struct ta_obsrc_opts *o,
                     struct ta_obsrc **out, char *errbuf, size_t errlen);
ta_err ta_obsrc_run(struct ta_obsrc *s, const struct ta_obs_sink *out, void (*tick)(void *ud),
                    void *tick_ud, char *errbuf, size_t errlen);
/* s continues from first's state (struct ta_obsrc_ops.share); both of one kind. */
void ta_obsrc_share(struct ta_obsrc *s, struct ta_obsrc *first);
/* The files s reads (struct ta_obsrc_ops.files), valid while s lives; returns how many. */
size_t ta_obsrc_files(const struct ta_obsrc *s, const char **out, size_t max);
/* The engine the packets an input carries go to (see struct ta_obsrc_run). */
void ta_obsrc_set_engine(struct ta_obsrc *s, struct ta_engine *e);
/* Async-signal-safe: the running source returns TA_ERR_INTERRUPTED soon. */
void ta_obsrc_stop(struct ta_obsrc *s);
void ta_obsrc_get_stats(const struct ta_obsrc *s, struct ta_obsrc_stats *st);
size_t ta_obsrc_origins(const struct ta_obsrc *s, struct ta_obsrc_origin *out, size_t max);
enum ta_input_kind ta_obsrc_kind(const struct ta_obsrc *s);
const char *ta_obsrc_name(const struct ta_obsrc *s);
bool ta_obsrc_live(const struct ta_obsrc *s);
void ta_obsrc_close(struct ta_obsrc *s);

/* Whether `where` names a collector address (udp://...) rather than a file. */
bool ta_obsrc_is_address(const char *where);

#endif
