/*
 * Shared by the app-layer fuzz targets: one ta_proto, a sink that renders
 * every record to EVE JSON (so the writers are fuzzed too), helpers to feed
 * a TCP flow.
 *
 * Properties checked on every record (abort = a finding): the EVE text is
 * one valid JSON object (parsed back with jansson); kept bodies never exceed
 * the configured limit; a JA3/JA3S hash is the MD5 of the JA3 string
 * written beside it.
 */
#ifndef TA_FUZZ_PROTO_COMMON_H
#define TA_FUZZ_PROTO_COMMON_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/proto-int.h"
#include "threatatlas/eve-app.h"
#include "threatatlas/hash.h"
#include "threatatlas/proto.h"

#define FZ_BODY_LIMIT 4096

static struct ta_json fz_j;

/* The rendered record must parse back as one JSON object. */
static void fz_check_json(void)
{
    if (fz_j.oom)
        return;
    json_error_t e;
    json_t *v = json_loadb(fz_j.buf, fz_j.len, JSON_ALLOW_NUL, &e); /* \u0000 is valid JSON */
    if (v == NULL || !json_is_object(v))
        abort();
    json_decref(v);
}

static void fz_check_md5(const char *hash, const struct ta_str *str)
{
    if (hash[0] == 0)
        return;
    uint8_t d[16];
    char hex[33];
    ta_md5(str->ptr ? str->ptr : "", str->ptr ? str->len : 0, d);
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    hex[32] = 0;
    if (strcmp(hex, hash) != 0)
        abort();
}

static void fz_dns(void *ud, const struct ta_flow *f, const struct ta_dns_record *r)
{
    (void)ud;
    ta_json_reset(&fz_j);
    ta_eve_dns(&fz_j, f, r);
    fz_check_json();
}
static void fz_http(void *ud, const struct ta_flow *f, const struct ta_http_tx *tx)
{
    (void)ud;
    ta_json_reset(&fz_j);
    ta_eve_http(&fz_j, f, tx, true);
    fz_check_json();
    if (tx->req_body_kept > FZ_BODY_LIMIT || tx->resp_body_kept > FZ_BODY_LIMIT)
        abort();
    /* Touch the kept bodies so ASan checks their bounds. */
    volatile uint8_t s = 0;
    for (uint32_t i = 0; i < tx->req_body_kept; i++)
        s = (uint8_t)(s + tx->req_body[i]);
    for (uint32_t i = 0; i < tx->resp_body_kept; i++)
        s = (uint8_t)(s + tx->resp_body[i]);
    (void)s;
}
static void fz_tls(void *ud, const struct ta_flow *f, const struct ta_tls_record *t)
{
    (void)ud;
    ta_json_reset(&fz_j);
    ta_eve_tls(&fz_j, f, t);
    fz_check_json();
    fz_check_md5(t->ja3_hash, &t->ja3_string);
    fz_check_md5(t->ja3s_hash, &t->ja3s_string);
}

static void fz_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    if (type == TA_REC_DNS)
        fz_dns(ud, f, rec);
    else if (type == TA_REC_HTTP)
        fz_http(ud, f, rec);
    else if (type == TA_REC_TLS)
        fz_tls(ud, f, rec);
    else if (type == TA_REC_TLS_DATA) {
        /* Bursts are numbered 0, 1, ... in a connection. */
        const struct ta_tls_data *x = rec;
        if (x->bytes > 16384 + 2048)
            abort();
    } else
        abort();
}

static const struct ta_obs_sink fz_sink = {NULL, NULL, fz_record};

static inline struct ta_proto *fz_proto(void)
{
    static struct ta_proto *p;
    if (p == NULL) {
        struct ta_proto_opts o;
        ta_proto_opts_default(&o);
        o.http_keep_headers = true;
        o.http_body_limit = FZ_BODY_LIMIT;
        o.stream_flow_memcap = 16384;
        if (ta_proto_new(&o, &p) != TA_OK)
            abort();
        ta_json_init(&fz_j);
    }
    return p;
}

static inline void fz_flow(struct ta_flow *f, uint8_t proto, uint16_t dport)
{
    memset(f, 0, sizeof(*f));
    f->id = 1;
    ta_addr_parse(&f->src, "192.0.2.1");
    ta_addr_parse(&f->dst, "192.0.2.2");
    f->sp = 1234;
    f->dp = dport;
    f->proto = proto;
}

static inline void fz_tcp(struct ta_flow *f, enum ta_flow_dir d, uint32_t seq, uint8_t flags,
                          const uint8_t *data, size_t n)
{
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ip_proto = 6;
    pk.tcp_seq = seq;
    pk.tcp_flags = flags;
    pk.payload = data;
    pk.payload_len = (uint32_t)n;
    ta_proto_hooks()->packet(fz_proto(), f, &pk, d, &fz_sink);
}

/*
 * Feed data to direction d of f in pieces whose sizes come from the first
 * bytes of data (the fuzzer chooses the split points).
 */
static inline void fz_split(struct ta_flow *f, enum ta_flow_dir d, uint32_t *seq,
                            const uint8_t *data, size_t n, const uint8_t *cuts, size_t ncuts)
{
    size_t off = 0, ci = 0;
    while (off < n) {
        size_t k = ci < ncuts ? (size_t)cuts[ci++] + 1 : n - off;
        if (k > n - off)
            k = n - off;
        fz_tcp(f, d, *seq, 0x10, data + off, k);
        *seq += (uint32_t)k;
        off += k;
    }
}

#endif
