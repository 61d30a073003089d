/*
 * Log sources: observations read from other sensors' logs instead of
 * packets. Suricata EVE JSON (flow, netflow, dns v2 and v3, http, tls,
 * alert), Zeek logs (conn, dns, http, ssl, x509; TSV with #fields headers or
 * JSON lines; gzip-compressed or not, rotated files merged by time) and
 * web-server access logs (Apache/nginx combined and common, a user-given
 * nginx log_format, IIS W3C with #Fields).
 *
 * Stage 1 of the pipeline, beside the packet sources (source.h): a reader
 * turns each line into the app layer's records (proto.h: TA_REC_DNS,
 * TA_REC_HTTP, TA_REC_TLS) and flows (struct ta_flow), and hands them to a
 * struct ta_obs_sink, normally the engine's fan-out (ta_engine_fanout), so
 * detectors and writers get them as they get the packets' observations.
 * Records of a flow are delivered before the flow's end, as the app layer
 * does. Every pointer in a delivered record or flow is borrowed for the
 * duration of the callback only.
 *
 * What a log cannot carry is absent from the records: bodies (req_body and
 * resp_body stay NULL), JA3/JA4 unless the log has them, TCP flags beyond
 * what a connection state implies. Malformed lines are counted (rejected)
 * and skipped; valid lines of a kind the reader does not use (EVE stats,
 * Zeek notice.log) are counted as ignored. Memory is bounded by the options:
 * a longer line is rejected, a full join table evicts (counted).
 *
 * Uses: engine.h and proto.h types, flow ids (ta_flow_id_of), zlib.
 */
#ifndef THREATATLAS_LOGSRC_H
#define THREATATLAS_LOGSRC_H

#include <signal.h>

#include "threatatlas/common.h"
#include "threatatlas/engine.h"
#include "threatatlas/obsrc.h"

struct ta_logsrc_opts {
    uint32_t max_line;  /* bytes in one line; a longer line is rejected [1 MiB] */
    uint32_t max_flows; /* connections joined at once (EVE flow_id, Zeek uid) [262144] */
    uint32_t max_certs; /* Zeek x509 certificates kept for ssl lines [65536] */
    uint32_t max_files; /* Zeek files merged at once [256] */
    /*
     * Access logs: NULL or "auto" (combined, then common, per line; IIS from
     * its #Fields header), "combined", "common", or an nginx log_format
     * string ("$remote_addr - $remote_user [$time_local] \"$request\" ...").
     */
    const char *access_format;
    /* Access logs without the server's address in them: its address and port
     * [none, 80]; the Host the log names, when it names one, is the hostname. */
    const char *server_addr;
    uint16_t server_port;
};

void ta_logsrc_opts_default(struct ta_logsrc_opts *o);

struct ta_logsrc_stats {
    uint64_t files;
    uint64_t lines; /* every line read, headers and comments included */
    uint64_t flows; /* flows delivered */
    uint64_t dns;   /* records delivered, by type */
    uint64_t http;
    uint64_t tls;
    uint64_t certs;          /* Zeek x509 lines joined to later ssl lines */
    uint64_t headers;        /* header and comment lines (#fields, #Fields, blank) */
    uint64_t ignored;        /* valid lines of a kind not read (EVE stats, Zeek notice) */
    uint64_t rejected;       /* malformed lines, too long lines included */
    uint64_t evicted;        /* join entries dropped at max_flows or max_certs */
    uint64_t first_rejected; /* line number (in its file) of the first rejected line, 0 if none */
};

struct ta_logsrc;

/*
 * A reader of one kind delivering to sink (borrowed; must outlive the
 * reader); kind is TA_INPUT_EVE, TA_INPUT_ZEEK or TA_INPUT_ACCESS_LOG.
 * TA_ERR_ARG: another kind, an access_format that does not parse, or a
 * server_addr that is not an address (errbuf says which).
 */
ta_err ta_logsrc_new(enum ta_input_kind kind, const struct ta_logsrc_opts *o,
                     const struct ta_obs_sink *sink, struct ta_logsrc **out, char *errbuf,
                     size_t errlen);
void ta_logsrc_free(struct ta_logsrc *ls);

/*
 * Read files to the end, plain or gzip-compressed. EVE and access logs are
 * read one after the other; Zeek files are merged by time (a conn line at
 * the connection's end), so records of a connection come before its flow
 * and DNS answers before the connections they explain. TA_ERR_IO: a file
 * cannot be opened or read (errbuf names it).
 */
ta_err ta_logsrc_read_files(struct ta_logsrc *ls, const char *const *paths, size_t n, char *errbuf,
                            size_t errlen);

/*
 * Lines from memory (tests, fuzzers): begin a file (resets its headers;
 * name is used as a file name, e.g. to tell a Zeek log's type), then one
 * line at a time without its line end.
 */
void ta_logsrc_begin(struct ta_logsrc *ls, const char *name);
void ta_logsrc_line(struct ta_logsrc *ls, const char *line, size_t len);

/* End of input: deliver what is held (EVE flows never closed). */
void ta_logsrc_finish(struct ta_logsrc *ls);

void ta_logsrc_get_stats(const struct ta_logsrc *ls, struct ta_logsrc_stats *st);

/* Reading files stops (TA_ERR_INTERRUPTED) soon after *stop becomes non-zero. */
void ta_logsrc_set_stop(struct ta_logsrc *ls, volatile sig_atomic_t *stop);

#endif
