/*
 * threatatlas-gen internals shared by the scenarios: the PRNG, country
 * address drawing (GeoIP-verified), the time-sorting packet sink and the
 * application payload builders (DNS, HTTP, TLS, webshell bodies).
 *
 * Layering: craft.[ch] (packets, capture files) <- gen-util.c (this header)
 * <- gen-national.c, gen-misc.c (scenarios) <- gen-main.c (CLI).
 */
#ifndef TG_GEN_H
#define TG_GEN_H

#include "craft.h"

#include <stdio.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64; never rand() ---- */
struct tg_rng {
    uint64_t s[4];
};
void tg_rng_seed(struct tg_rng *r, uint64_t seed);
uint64_t tg_rng_u64(struct tg_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t tg_rng_below(struct tg_rng *r, uint64_t n);
/* Uniform in [lo, hi]. */
uint64_t tg_rng_range(struct tg_rng *r, uint64_t lo, uint64_t hi);
/* Uniform in [0, 1). */
double tg_rng_unit(struct tg_rng *r);
void tg_rng_bytes(struct tg_rng *r, uint8_t *out, size_t n);
/* Lower-case alphanumeric string of n characters (no terminator written). */
void tg_rng_alnum(struct tg_rng *r, char *out, size_t n);

/* ---- Countries and addresses ---------------------------------------- */

/* Opaque: the GeoIP database or the built-in fallback table, plus the set of
 * addresses already handed out (every drawn address is unique). */
struct tg_geo;

/* Open `path` (NULL: no database, use the built-in table). */
ta_err tg_geo_open(struct tg_geo **out, const char *path);
void tg_geo_free(struct tg_geo *g);
bool tg_geo_verified(const struct tg_geo *g);
/* A fresh public IPv4 address (host order) in country cc ("US"). */
ta_err tg_geo_draw(struct tg_geo *g, struct tg_rng *r, const char *cc, uint32_t *ip);
/* Mark an address as taken (for fixed addresses). */
void tg_geo_take(struct tg_geo *g, uint32_t ip);

void tg_ip4(struct ta_addr *a, uint32_t ip);
/* "a.b.c.d" into buf (16 bytes). */
char *tg_ip4_str(uint32_t ip, char *buf);

/* ---- Time-sorted packet sink ----------------------------------------- */

/*
 * Packets from overlapping sessions arrive out of order. The sink buffers
 * them and writes, on tg_sink_flush(t), every buffered packet earlier than t,
 * sorted by time (ties keep arrival order). Callers generate sessions in
 * start-time order and flush up to the next session's start.
 */
struct tg_sink;
ta_err tg_sink_new(struct tg_sink **out, struct tg_pcap *w);
void tg_sink_free(struct tg_sink *s);
/* A tg_emit_fn; ctx is the sink. */
ta_err tg_sink_emit(void *ctx, ta_time_us ts, const uint8_t *frame, size_t len);
ta_err tg_sink_flush(struct tg_sink *s, ta_time_us before);
/* Bytes handed to the sink so far, counted as a pcap file would store them
 * (16-byte record header plus the frame). */
uint64_t tg_sink_total_bytes(const struct tg_sink *s);
/*
 * Add `us` to every timestamp written from now on: the same traffic as a
 * second tap on the same link, whose clock is a little off, records it.
 */
void tg_sink_set_shift(struct tg_sink *s, uint64_t us);
/* Switch to a new output file (after flushing everything). */
void tg_sink_set_writer(struct tg_sink *s, struct tg_pcap *w);

/* ---- Application payloads -------------------------------------------- */

/* A growable byte buffer for payloads (aborts on OOM: generator tool only). */
struct tg_buf {
    uint8_t *p;
    size_t len, cap;
};
void tg_buf_reset(struct tg_buf *b);
void tg_buf_put(struct tg_buf *b, const void *p, size_t n);
void tg_buf_str(struct tg_buf *b, const char *s);
void tg_buf_printf(struct tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_buf_u8(struct tg_buf *b, uint8_t v);
void tg_buf_u16(struct tg_buf *b, uint16_t v);
void tg_buf_u24(struct tg_buf *b, uint32_t v);
void tg_buf_release(struct tg_buf *b);
void tg_buf_base64(struct tg_buf *b, const uint8_t *p, size_t n);
/* n bytes from the PRNG (ciphertext stand-ins, TLS record payloads). */
void tg_buf_random(struct tg_buf *b, struct tg_rng *r, size_t n);
/* application/x-www-form-urlencoded escape of n bytes. */
void tg_buf_urlenc(struct tg_buf *b, const char *p, size_t n);

/* DNS query (rd) for name/type; answer=true adds one A record with ip. */
void tg_dns_msg(struct tg_buf *b, uint16_t id, const char *name, uint16_t qtype, bool response,
                uint32_t answer_ip, uint32_t ttl);

/* TLS 1.2 ClientHello with SNI `sni` (NULL: none). */
void tg_tls_client_hello(struct tg_buf *b, struct tg_rng *r, const char *sni);
/* ServerHello + ChangeCipherSpec + encrypted Finished (abbreviated handshake). */
void tg_tls_server_hello(struct tg_buf *b, struct tg_rng *r);
/* One application-data record of n random bytes. */
void tg_tls_appdata(struct tg_buf *b, struct tg_rng *r, size_t n);

/* ---- Sessions with common shapes -------------------------------------- */

struct tg_ctx {
    struct tg_rng *rng;
    struct tg_sink *sink;
    struct tg_buf a, b; /* scratch */
    struct tg_tcp_sess sess;
    uint16_t ip_id;
};

/* Client ephemeral port. */
uint16_t tg_eph_port(struct tg_rng *r);

/* DNS lookup over UDP: query at t, answer one rtt later. */
ta_err tg_emit_dns(struct tg_ctx *c, ta_time_us t, uint32_t client, uint32_t resolver,
                   const char *name, uint32_t answer, uint32_t rtt_us);

/* Start a TCP session (handshake) client->server; returns the session. */
struct tg_tcp_sess *tg_tcp_start(struct tg_ctx *c, ta_time_us t, uint32_t client, uint32_t server,
                                 uint16_t sport, uint32_t rtt_us, uint8_t client_ttl,
                                 uint8_t server_ttl);

#endif
