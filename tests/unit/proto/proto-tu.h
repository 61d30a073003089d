/*
 * Helpers for the app-layer unit tests: a flow, hand-made TCP/UDP packets
 * fed straight into the proto hooks, and a sink that keeps each record as
 * its EVE JSON line plus copies of HTTP bodies.
 */
#ifndef TA_PROTO_TU_H
#define TA_PROTO_TU_H

#include "testutil.h"

#include "threatatlas/eve-app.h"
#include "threatatlas/proto.h"

#define TU_MAX_REC 64

struct tu_cap {
    char *line[TU_MAX_REC];
    int n;
    uint8_t *body[TU_MAX_REC][2];
    uint32_t body_len[TU_MAX_REC][2];
    uint32_t nreq_headers[TU_MAX_REC];
    struct ta_addr first_a;               /* first A/AAAA answer address seen */
    struct ta_tls_data burst[TU_MAX_REC]; /* TLS client bursts, in order */
    int nburst;
};

static struct tu_cap tu_cap;

static inline void tu_keep(struct ta_json *j)
{
    assert_false(j->oom);
    if (tu_cap.n < TU_MAX_REC) {
        tu_cap.line[tu_cap.n] = strdup(j->buf);
        tu_cap.n++;
    }
    ta_json_release(j);
}

static inline void tu_on_dns(void *ud, const struct ta_flow *f, const struct ta_dns_record *r)
{
    (void)ud;
    struct ta_json j;
    ta_json_init(&j);
    ta_eve_dns(&j, f, r);
    for (uint32_t i = 0; i < r->n_answers; i++)
        if (r->answers[i].addr.family != 0 && tu_cap.first_a.family == 0)
            tu_cap.first_a = r->answers[i].addr;
    tu_keep(&j);
}

static inline void tu_on_http(void *ud, const struct ta_flow *f, const struct ta_http_tx *tx)
{
    (void)ud;
    struct ta_json j;
    ta_json_init(&j);
    ta_eve_http(&j, f, tx, true);
    int k = tu_cap.n;
    if (k < TU_MAX_REC) {
        tu_cap.nreq_headers[k] = tx->n_req_headers;
        const uint8_t *b[2] = {tx->req_body, tx->resp_body};
        uint32_t l[2] = {tx->req_body_kept, tx->resp_body_kept};
        for (int d = 0; d < 2; d++) {
            tu_cap.body[k][d] = malloc(l[d] + 1);
            if (l[d])
                memcpy(tu_cap.body[k][d], b[d], l[d]);
            tu_cap.body_len[k][d] = l[d];
        }
    }
    tu_keep(&j);
}

static inline void tu_on_tls(void *ud, const struct ta_flow *f, const struct ta_tls_record *t)
{
    (void)ud;
    struct ta_json j;
    ta_json_init(&j);
    ta_eve_tls(&j, f, t);
    tu_keep(&j);
}

static inline void tu_reset(void)
{
    for (int i = 0; i < tu_cap.n; i++) {
        free(tu_cap.line[i]);
        free(tu_cap.body[i][0]);
        free(tu_cap.body[i][1]);
    }
    memset(&tu_cap, 0, sizeof(tu_cap));
}

static inline void tu_on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    if (type == TA_REC_DNS)
        tu_on_dns(ud, f, rec);
    else if (type == TA_REC_HTTP)
        tu_on_http(ud, f, rec);
    else if (type == TA_REC_TLS)
        tu_on_tls(ud, f, rec);
    else if (type == TA_REC_TLS_DATA && tu_cap.nburst < TU_MAX_REC)
        tu_cap.burst[tu_cap.nburst++] = *(const struct ta_tls_data *)rec;
}

static const struct ta_obs_sink tu_sink = {NULL, NULL, tu_on_record};

/* A flow 10.0.0.1:40000 -> 10.0.0.2:dport. */
static inline void tu_flow(struct ta_flow *f, uint8_t proto, uint16_t dport)
{
    memset(f, 0, sizeof(*f));
    f->id = 1234;
    assert_true(ta_addr_parse(&f->src, "10.0.0.1"));
    assert_true(ta_addr_parse(&f->dst, "10.0.0.2"));
    f->sp = 40000;
    f->dp = dport;
    f->proto = proto;
    f->start = f->last = 1700000000000000ull;
}

/* Feed one TCP segment of direction dir. */
static inline void tu_tcp(struct ta_proto *p, struct ta_flow *f, enum ta_flow_dir dir, uint32_t seq,
                          uint8_t flags, const void *data, size_t len)
{
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ts = f->last;
    pk.ip_proto = 6;
    pk.src = dir == TA_DIR_TOSERVER ? f->src : f->dst;
    pk.dst = dir == TA_DIR_TOSERVER ? f->dst : f->src;
    pk.sport = dir == TA_DIR_TOSERVER ? f->sp : f->dp;
    pk.dport = dir == TA_DIR_TOSERVER ? f->dp : f->sp;
    pk.tcp_seq = seq;
    pk.tcp_flags = flags;
    pk.payload = data;
    pk.payload_len = (uint32_t)len;
    ta_proto_hooks()->packet(p, f, &pk, dir, &tu_sink);
}

static inline void tu_udp(struct ta_proto *p, struct ta_flow *f, enum ta_flow_dir dir,
                          const void *data, size_t len)
{
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ts = f->last;
    pk.ip_proto = 17;
    pk.payload = data;
    pk.payload_len = (uint32_t)len;
    ta_proto_hooks()->packet(p, f, &pk, dir, &tu_sink);
}

static inline void tu_end(struct ta_proto *p, struct ta_flow *f)
{
    ta_proto_hooks()->flow_end(p, f, &tu_sink);
    assert_null(f->app);
}

static inline uint64_t tu_counter(const struct ta_proto *p, const char *name)
{
    for (size_t i = 0; i < ta_proto_counter_count(); i++)
        if (strcmp(ta_proto_counter_name(i), name) == 0)
            return ta_proto_counter(p, i);
    fail_msg("no counter %s", name);
    return 0;
}

/* assert that record i contains the JSON fragment s */
#define TU_HAS(i, s)                                                                               \
    do {                                                                                           \
        assert_true((i) < tu_cap.n);                                                               \
        if (strstr(tu_cap.line[i], (s)) == NULL)                                                   \
            fail_msg("record %d lacks %s:\n%s", (int)(i), (s), tu_cap.line[i]);                    \
    } while (0)

#endif
