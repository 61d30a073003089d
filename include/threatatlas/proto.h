/*
 * Application layer: TCP reassembly, protocol detection and the DNS,
 * HTTP/1.x and TLS parsers that turn flows into observation records.
 *
 * Stage 3 of the pipeline (sources -> decode -> flow -> proto -> detect).
 * A struct ta_proto is created with ta_proto_new() and registered with the
 * engine through the hooks from ta_proto_hooks(); it keeps per-flow state in
 * ta_flow.app (allocated lazily on the first packet with payload, released in
 * flow_end) and sets ta_flow.app_proto from the content (not the port).
 * Records are handed to the engine's sinks as tagged records (engine.h):
 * on_record(ud, f, TA_REC_DNS, const struct ta_dns_record *), TA_REC_HTTP
 * with a struct ta_http_tx, TA_REC_TLS with a struct ta_tls_record. A new
 * protocol adds its tag and record here; the engine does not change.
 *
 * Ownership: every pointer inside a record (strings, arrays, bodies) points
 * into buffers owned by the proto module and is valid only for the duration
 * of the sink callback. Strings (struct ta_str) are NUL-terminated copies,
 * truncated at the limits below (truncation is counted); ptr is NULL when the
 * field was absent.
 *
 * Reassembly policy: per direction, in-order delivery; out-of-order segments
 * are buffered up to per-flow and global caps; where segments overlap, the
 * FIRST copy received wins (later retransmissions never change delivered or
 * buffered bytes). A permanent hole (cap reached, peer ACKed data that was
 * never captured, or end of flow with buffered data) is a gap: the parser of
 * that direction is told, and it either resynchronises (HTTP at the next
 * message start, DNS-over-TCP stops, TLS stops) and the gap is counted.
 * Streams without a SYN are picked up midstream.
 *
 * Malformed input never fails: it stops that flow's parser and is counted.
 */
#ifndef THREATATLAS_PROTO_H
#define THREATATLAS_PROTO_H

#include "threatatlas/common.h"
#include "threatatlas/engine.h"
#include "threatatlas/flow.h"

/* Record tags (struct ta_obs_sink.on_record's type) of the app layer. */
enum ta_rec_type {
    TA_REC_DNS = 1,  /* const struct ta_dns_record * */
    TA_REC_HTTP,     /* const struct ta_http_tx * */
    TA_REC_TLS,      /* const struct ta_tls_record * */
    TA_REC_TLS_DATA, /* const struct ta_tls_data * */
};

/* A string view: NUL-terminated, len excludes the NUL; ptr NULL = absent. */
struct ta_str {
    const char *ptr;
    uint32_t len;
};

/*
 * Every limit of the app layer. ta_proto_opts_default() fills the defaults
 * given in brackets; 0 is never a valid value for a cap (it means default).
 */
struct ta_proto_opts {
    /* TCP reassembly */
    /* Memory held by out-of-order segments, counted as allocated (payload,
     * segment header and allocator overhead), per flow both dirs [1 MiB] and
     * in all flows [256 MiB]. */
    uint32_t stream_flow_memcap;
    uint64_t stream_global_memcap;
    uint32_t stream_max_segments; /* out-of-order segments per direction [256] */
    /*
     * Memory held by the parsers of all flows, counted as allocated: their
     * per-flow states, transactions, string arenas, header and handshake
     * buffers, kept bodies and DNS-over-TCP buffers [512 MiB]. Past it an
     * allocation is refused (counted in app_memcap_drops): the string,
     * body or message is truncated or the flow's parsing stops.
     */
    uint64_t app_memcap;
    /* DNS */
    uint32_t dns_max_answers;   /* RRs kept per section (answers, authorities) [64] */
    uint32_t dns_max_queries;   /* questions kept [16] */
    uint32_t dns_max_name_hops; /* compression pointers followed per name [32] */
    /* HTTP */
    uint32_t http_max_header_line;  /* bytes in one (folded) header or start line [8192] */
    uint32_t http_max_header_bytes; /* bytes in one header block [32768] */
    uint32_t http_max_headers;      /* headers kept per message [64] */
    uint32_t http_body_limit;       /* decoded body bytes kept per message [65536] */
    uint32_t http_max_pending;      /* requests awaiting a response per flow [32] */
    bool http_keep_headers;         /* fill req/resp header arrays [false] */
    bool http_decompress;           /* gunzip/inflate bodies for body_* [true] */
    /*
     * Keep body bytes for req_body/resp_body [true]. A consumer that reads
     * no bodies (observe) sets false: nothing is copied or decompressed,
     * body lengths are still counted, the truncation counter stays 0.
     */
    bool http_keep_bodies;
    /* TLS */
    uint32_t tls_max_extensions; /* extensions parsed per hello [64] */
    uint32_t tls_max_handshake;  /* bytes in one handshake message [131072] */
    uint32_t tls_max_ciphers;    /* cipher suites used for JA3/JA4 [256] */
};

void ta_proto_opts_default(struct ta_proto_opts *o);

/* ----- DNS ----- */

/* One resource record. rdata is Suricata's text rendering. */
struct ta_dns_rr {
    struct ta_str rrname;
    uint16_t rrtype, rrclass;
    uint32_t ttl;
    struct ta_str rdata; /* A/AAAA: address; names; TXT: the strings joined; absent if unknown */
    struct ta_addr addr; /* A/AAAA as an address (family 0 for other types) */
    uint16_t mx_pref;
    struct {
        struct ta_str mname, rname;
        uint32_t serial, refresh, retry, expire, minimum;
    } soa; /* rrtype 6 */
    struct {
        uint16_t priority, weight, port;
        struct ta_str target;
    } srv; /* rrtype 33 */
    /* rrtype 41 (EDNS OPT): the options as on the wire (code, length, data, ...). */
    const uint8_t *opt;
    uint16_t opt_len;
};

struct ta_dns_query {
    struct ta_str rrname;
    uint16_t rrtype, rrclass;
};

/* One DNS message (a query or a response) = one record. */
struct ta_dns_record {
    ta_time_us ts;
    enum ta_flow_dir dir; /* direction of the message in the flow */
    uint64_t tx_id;       /* per-flow message counter, as Suricata */
    uint16_t id;
    uint16_t flags; /* raw header flags: qr<<15 | opcode<<11 | aa tc rd ra z ad cd | rcode */
    bool response;  /* qr */
    bool tcp;
    const struct ta_dns_query *queries;
    uint32_t n_queries;
    const struct ta_dns_rr *answers;
    uint32_t n_answers;
    const struct ta_dns_rr *authorities;
    uint32_t n_authorities;
    uint32_t dropped_rrs; /* RRs beyond dns_max_answers or unparsable at the tail */
    /* The additional section (an EDNS OPT record, glue addresses), capped like the others. */
    const struct ta_dns_rr *additionals;
    uint32_t n_additionals;
};

static inline uint8_t ta_dns_rcode(const struct ta_dns_record *r)
{
    return (uint8_t)(r->flags & 0xf);
}
const char *ta_dns_rcode_name(uint8_t rcode); /* "NOERROR", "NXDOMAIN"... or NULL */
const char *ta_dns_rrtype_name(uint16_t t);   /* "A", "AAAA"... or NULL if unnamed */

/* ----- HTTP ----- */

struct ta_http_header {
    struct ta_str name, value;
};

/*
 * One HTTP transaction: a request and its response. Either side may be
 * absent (has_request false for a response picked up midstream; has_response
 * false for a request whose answer never came).
 */
struct ta_http_tx {
    ta_time_us ts;
    uint64_t tx_id; /* per-flow transaction counter */
    bool has_request, has_response;
    struct ta_str method, url, protocol;
    struct ta_str hostname; /* Host header without port; or the authority of an absolute URI */
    int32_t http_port;      /* port from Host, or -1 */
    struct ta_str user_agent, referer;
    struct ta_str content_type; /* response Content-Type */
    struct ta_str redirect;     /* response Location */
    struct ta_str resp_protocol;
    uint16_t status;            /* 0 if no response */
    uint64_t request_body_len;  /* request message-body bytes as sent (transfer-coded) */
    uint64_t response_body_len; /* response message-body bytes as sent: EVE "length" */
    const struct ta_http_header *req_headers; /* only with http_keep_headers */
    uint32_t n_req_headers;
    const struct ta_http_header *resp_headers;
    uint32_t n_resp_headers;
    /* First http_body_limit bytes of the bodies, de-chunked and decoded. */
    const uint8_t *req_body;
    uint32_t req_body_kept;
    const uint8_t *resp_body;
    uint32_t resp_body_kept;
    bool req_body_truncated, resp_body_truncated;
    bool resp_body_decode_error; /* gzip/deflate stream was corrupt */
};

/* ----- TLS ----- */

struct ta_tls_record {
    ta_time_us ts;
    uint16_t version;        /* negotiated (ServerHello / supported_versions), else client's */
    uint16_t client_version; /* legacy_version of the ClientHello */
    bool has_client_hello, has_server_hello, has_cert;
    struct ta_str sni;
    char ja3_hash[33]; /* lowercase hex MD5, "" without a ClientHello */
    struct ta_str ja3_string;
    char ja3s_hash[33];
    struct ta_str ja3s_string;
    char ja4[40]; /* FoxIO JA4 ("t13d1516h2_8daaf6152771_e5627efa2ab1"), "" if none */
    /* First certificate of the server's chain (TLS <= 1.2), Suricata's formats. */
    struct ta_str subject, issuerdn;
    struct ta_str serial;        /* "00:AB:..." uppercase colon hex */
    struct ta_str fingerprint;   /* SHA-1 of the DER, lowercase colon hex */
    int64_t notbefore, notafter; /* seconds since the epoch (may be negative) */
    /* The first TA_TLS_MAX_SAN dNSName entries of its subjectAltName, as
     * written (wildcards kept, at most 255 bytes each); n_san_dns of them. */
    const struct ta_str *san_dns;
    uint32_t n_san_dns;
};

#define TA_TLS_MAX_SAN 16

/*
 * A client burst of encrypted application data: the first toserver
 * application-data record after at least TA_TLS_BURST_GAP_US without one
 * (a request, as far as timing shows it; records of one request follow each
 * other closely). Emitted as the record's header is read; no EVE record.
 */
struct ta_tls_data {
    ta_time_us ts;
    uint64_t index; /* 0-based burst number in the connection */
    uint32_t bytes; /* length of the burst's first record */
};

#define TA_TLS_BURST_GAP_US 1000000

/* Suricata's version text: "TLS 1.2", "TLSv1", "SSLv3", ... "UNDETERMINED". */
const char *ta_tls_version_name(uint16_t v);

/* ----- The module ----- */

struct ta_proto;

ta_err ta_proto_new(const struct ta_proto_opts *opts, struct ta_proto **out);
void ta_proto_free(struct ta_proto *p);

/* Hooks to register with ta_engine_set_app_layer(e, ta_proto_hooks(), p). */
const struct ta_app_hooks *ta_proto_hooks(void);

/*
 * Counters (stream_*, dns_*, http_*, tls_*, detect_*): each with a stable
 * snake_case name for the stats record.
 */
/* Parser memory in use now, as counted against app_memcap (bytes). */
uint64_t ta_proto_app_memory(const struct ta_proto *p);

size_t ta_proto_counter_count(void);
const char *ta_proto_counter_name(size_t i);
uint64_t ta_proto_counter(const struct ta_proto *p, size_t i);
/* Add src's counters to dst's (the totals of several app layers, one per worker). */
void ta_proto_absorb(struct ta_proto *dst, const struct ta_proto *src);

/*
 * Direct entry points (tests, fuzzers, offline tools): parse one DNS message
 * or feed one direction of a stream without a flow table. Records go to
 * `emit`. They share the counters of p.
 */
void ta_proto_dns_message(struct ta_proto *p, const uint8_t *msg, size_t len, bool tcp,
                          const struct ta_flow *f, enum ta_flow_dir dir, ta_time_us ts,
                          const struct ta_obs_sink *emit);

#endif
