/*
 * Internals shared by the app-layer files (src/proto/): counters, the
 * chunked string arena, hashes, TCP reassembly and the parser entry points.
 * Not a public header.
 */
#ifndef TA_PROTO_INT_H
#define TA_PROTO_INT_H

#include "threatatlas/proto.h"

#include "common/pool.h"

/* ----- counters ----- */

#define TA_PROTO_COUNTERS(X)                                                                       \
    X(STREAM_SEGMENTS, "stream_segments")                                                          \
    X(STREAM_BYTES, "stream_bytes")                                                                \
    X(STREAM_MIDSTREAM, "stream_midstream_pickups")                                                \
    X(STREAM_OOO_SEGMENTS, "stream_ooo_segments")                                                  \
    X(STREAM_OVERLAP_BYTES, "stream_overlap_bytes")                                                \
    X(STREAM_GAPS, "stream_gaps")                                                                  \
    X(STREAM_FLOW_MEMCAP_DROPS, "stream_flow_memcap_drops")                                        \
    X(STREAM_GLOBAL_MEMCAP_DROPS, "stream_global_memcap_drops")                                    \
    X(STREAM_SEGMENT_CAP_DROPS, "stream_segment_cap_drops")                                        \
    X(STREAM_NOMEM, "stream_nomem")                                                                \
    X(DETECT_DNS, "detect_dns")                                                                    \
    X(DETECT_HTTP, "detect_http")                                                                  \
    X(DETECT_TLS, "detect_tls")                                                                    \
    X(DETECT_FAILED, "detect_failed")                                                              \
    X(APP_NOMEM, "app_nomem")                                                                      \
    X(APP_MEMCAP_DROPS, "app_memcap_drops")                                                        \
    X(STRING_TRUNCATED, "string_truncated")                                                        \
    X(DNS_MESSAGES, "dns_messages")                                                                \
    X(DNS_MALFORMED, "dns_malformed")                                                              \
    X(DNS_NAME_LOOPS, "dns_name_loops")                                                            \
    X(DNS_RR_TRUNCATED, "dns_rr_truncated")                                                        \
    X(DNS_RR_DROPPED, "dns_rr_dropped")                                                            \
    X(DNS_TCP_GAPS, "dns_tcp_gaps")                                                                \
    X(HTTP_REQUESTS, "http_requests")                                                              \
    X(HTTP_RESPONSES, "http_responses")                                                            \
    X(HTTP_TX, "http_tx")                                                                          \
    X(HTTP_MALFORMED, "http_malformed")                                                            \
    X(HTTP_LINE_TOO_LONG, "http_line_too_long")                                                    \
    X(HTTP_TOO_MANY_HEADERS, "http_too_many_headers")                                              \
    X(HTTP_RESP_WITHOUT_REQ, "http_response_without_request")                                      \
    X(HTTP_PENDING_OVERFLOW, "http_pending_overflow")                                              \
    X(HTTP_GAPS, "http_gaps")                                                                      \
    X(HTTP_BODY_TRUNCATED, "http_body_truncated")                                                  \
    X(HTTP_DECODE_ERRORS, "http_decode_errors")                                                    \
    X(TLS_RECORDS, "tls_records")                                                                  \
    X(TLS_CLIENT_HELLOS, "tls_client_hellos")                                                      \
    X(TLS_SERVER_HELLOS, "tls_server_hellos")                                                      \
    X(TLS_CERTS, "tls_certs")                                                                      \
    X(TLS_MALFORMED, "tls_malformed")                                                              \
    X(TLS_HANDSHAKE_TOO_LONG, "tls_handshake_too_long")                                            \
    X(TLS_CERT_ERRORS, "tls_cert_errors")                                                          \
    X(TLS_GAPS, "tls_gaps")

enum ta__pc {
#define TA__PC_ENUM(id, name) TA_PC_##id,
    TA_PROTO_COUNTERS(TA__PC_ENUM)
#undef TA__PC_ENUM
        TA_PC__COUNT
};

/* ----- chunked arena: stable pointers, capped total ----- */

struct ta__arena_blk;
struct ta__arena {
    struct ta_proto *acct; /* charged for its blocks (app_memcap), or NULL */
    struct ta_pool *pool;  /* where standard blocks come from and go back to, or NULL */
    struct ta__arena_blk *head;
    size_t used; /* bytes handed out since the last reset */
    size_t max;  /* cap on used */
    size_t blk;  /* size of a new block (4 KiB unless set after init) */
};

void ta__arena_init(struct ta__arena *a, size_t max);
/* Size of a standard (4 KiB) arena block, for a pool to pass to ta__arena_init_pooled. */
size_t ta__arena_block_size(void);
/* As ta__arena_init; standard blocks are taken from and returned to pool. */
void ta__arena_init_pooled(struct ta__arena *a, size_t max, struct ta_pool *pool);
void ta__arena_reset(struct ta__arena *a);
void ta__arena_release(struct ta__arena *a);
/* n bytes aligned to 8, or NULL at the cap / on allocation failure. */
void *ta__arena_alloc(struct ta__arena *a, size_t n);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ta__hex(const uint8_t *in, size_t n, char *out);

/* ----- the module context ----- */

struct htx; /* an HTTP transaction (proto-http.c) */
struct ta_proto {
    struct ta_proto_opts o;
    uint64_t c[TA_PC__COUNT];
    uint64_t stream_mem;      /* out-of-order bytes held, all flows */
    uint64_t app_mem;         /* parser memory in use, as counted against o.app_memcap */
    struct ta__arena scratch; /* per-record scratch for DNS and TLS records */
    /* Finished HTTP transactions kept for reuse with their buffers (proto-http.c). */
    struct htx *http_spare[4];
    unsigned n_http_spare;
    /*
     * Spare per-flow state and buffers (common/pool.h), capped: appflow
     * structs, TLS and HTTP parser states, 4 KiB blocks for TLS arenas and
     * handshake buffers. They add at most about 1 MiB to what is in use.
     */
    struct ta_pool pool_app, pool_tls, pool_http, pool_blk;
};

/*
 * Parser memory counted against o.app_memcap. n is what the caller asked
 * for; the charge adds the allocator's overhead (ta__alloc_cost). At the
 * cap the allocation is refused: NULL, app_memcap_drops counted. Free and
 * realloc take the size the block was allocated with.
 */
uint64_t ta__alloc_cost(uint64_t n);
bool ta__app_charge(struct ta_proto *p, size_t n);
void ta__app_uncharge(struct ta_proto *p, size_t n);
void *ta__app_malloc(struct ta_proto *p, size_t n);
void *ta__app_calloc(struct ta_proto *p, size_t n);
void *ta__app_realloc(struct ta_proto *p, void *x, size_t old, size_t n);
void ta__app_free(struct ta_proto *p, void *x, size_t n);
/* A block of pool->size bytes from the pool, charged as such. */
void *ta__app_pool_get(struct ta_proto *p, struct ta_pool *pool);
void ta__app_pool_put(struct ta_proto *p, struct ta_pool *pool, void *x);

/* Copy a string into the arena, truncating at max (counted); NUL-terminated. */
struct ta_str ta__str(struct ta_proto *p, struct ta__arena *a, const void *s, size_t n, size_t max);

/*
 * As ta__str, but bytes that are not valid UTF-8 become the text \xNN
 * (Suricata's rendering of raw protocol strings).
 */
struct ta_str ta__str_safe(struct ta_proto *p, struct ta__arena *a, const void *s, size_t n,
                           size_t max);
/* Append s to out[olen..outcap) with that escaping; returns the new length. */
size_t ta__safe_append(char *out, size_t olen, size_t outcap, const uint8_t *s, size_t n);

/* ----- TCP reassembly (proto-stream.c) ----- */

struct ta__seg;
struct ta__stream {
    bool init;           /* next_seq is known */
    uint32_t next_seq;   /* next byte expected in order */
    struct ta__seg *ooo; /* buffered out-of-order segments, sorted, not overlapping */
    uint32_t ooo_bytes, ooo_count;
};

/* Deliver callback: data in order; gap = true means bytes were lost before data. */
typedef void (*ta__deliver_fn)(void *ud, const uint8_t *data, size_t len, bool gap);

/*
 * Feed one TCP segment of one direction. `peer` is the other direction (its
 * out-of-order data is flushed across a gap when this segment ACKs past it).
 * flow_bytes points at the flow's out-of-order byte count (both directions)
 * for the per-flow cap.
 */
void ta__stream_segment(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes,
                        const struct ta_packet *pkt, ta__deliver_fn fn, void *ud);
/* Peer ACKed `ack`: if data before it never came and segments wait, skip the hole. */
void ta__stream_ack(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes, uint32_t ack,
                    ta__deliver_fn fn, void *ud);
/* End of flow: deliver what is buffered (with gaps) and free it. */
void ta__stream_flush(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes,
                      ta__deliver_fn fn, void *ud);
void ta__stream_release(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes);

/* ----- parsers ----- */

/* Emit context passed down to the parsers. */
struct ta__emit {
    struct ta_proto *p;
    const struct ta_flow *f;
    const struct ta_obs_sink *sink;
    ta_time_us ts;
};

/*
 * DNS: parse one message into a record (strings in p->scratch) and emit it.
 * Returns false if the message is malformed (counted, nothing emitted).
 * strict: detection mode, nothing is counted or emitted; returns whether
 * the bytes are a well-formed DNS message.
 */
bool ta__dns_parse(struct ta_proto *p, const uint8_t *msg, size_t len, struct ta_dns_record *r);
bool ta__dns_probe(const uint8_t *msg, size_t len);

/* DNS over UDP: one datagram. */
void ta__dns_udp(const struct ta__emit *em, enum ta_flow_dir dir, uint64_t *tx_id,
                 const uint8_t *msg, size_t len);

/* DNS over TCP per-direction framing state. */
struct ta__dns_tcp;
struct ta__dns_tcp *ta__dns_tcp_new(struct ta_proto *p);
void ta__dns_tcp_free(struct ta_proto *p, struct ta__dns_tcp *d);
/* Returns false once the stream is unusable (stop parsing this direction). */
bool ta__dns_tcp_data(struct ta__dns_tcp *d, const struct ta__emit *em, enum ta_flow_dir dir,
                      uint64_t *tx_id, const uint8_t *data, size_t len, bool gap);

/* HTTP per-flow state. */
struct ta__http;
void ta__http_pool_init(struct ta_proto *p);
struct ta__http *ta__http_new(struct ta_proto *p);
void ta__http_free(struct ta__http *h);
/* Free the spare transactions kept in p (at ta_proto_free). */
void ta__http_pool_release(struct ta_proto *p);
void ta__http_data(struct ta__http *h, const struct ta__emit *em, enum ta_flow_dir dir,
                   const uint8_t *data, size_t len, bool gap);
/* Flow end: finish bodies delimited by close, emit every open transaction. */
void ta__http_end(struct ta__http *h, const struct ta__emit *em);
bool ta__http_probe_request(const uint8_t *d, size_t len);
bool ta__http_probe_response(const uint8_t *d, size_t len);

/* TLS per-flow state. */
struct ta__tls;
void ta__tls_pool_init(struct ta_proto *p);
struct ta__tls *ta__tls_new(struct ta_proto *p);
void ta__tls_free(struct ta__tls *t);
void ta__tls_data(struct ta__tls *t, const struct ta__emit *em, enum ta_flow_dir dir,
                  const uint8_t *data, size_t len, bool gap);
void ta__tls_end(struct ta__tls *t, const struct ta__emit *em);
bool ta__tls_probe(const uint8_t *d, size_t len);
/*
 * Parse a DER certificate into r (subject, issuerdn, serial, fingerprint,
 * validity) and up to san_cap subjectAltName dNSNames into san (r->san_dns
 * points there). Malformed extensions end the SAN list, not the parse.
 */
bool ta__x509_parse(struct ta_proto *p, struct ta__arena *a, const uint8_t *der, size_t len,
                    struct ta_tls_record *r, struct ta_str *san, uint32_t san_cap);

#endif
