/*
 * The app-layer module: per-flow state, protocol detection from content,
 * and the engine hooks that route reassembled TCP data and UDP datagrams to
 * the DNS, HTTP and TLS parsers.
 *
 * Detection looks at the first bytes of each direction: an HTTP request
 * line or status line, a TLS record header, a DNS message (UDP, or TCP with
 * its length prefix); well-known DNS ports only relax the DNS check. A flow
 * whose data in both directions matched nothing is marked failed and
 * ignored from then on.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "proto/proto-int.h"

#include "common/banned.h"

struct appflow {
    struct ta__stream st[2];
    uint32_t ooo_bytes;
    bool seen[2];
    bool dead;
    uint64_t dns_tx;
    struct ta__dns_tcp *dnst[2];
    struct ta__http *http;
    struct ta__tls *tls;
};

void ta_proto_opts_default(struct ta_proto_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->stream_flow_memcap = 1u << 20;
    o->stream_global_memcap = 256ull << 20;
    o->stream_max_segments = 256;
    o->app_memcap = 512ull << 20;
    o->dns_max_answers = 64;
    o->dns_max_queries = 16;
    o->dns_max_name_hops = 32;
    o->http_max_header_line = 8192;
    o->http_max_header_bytes = 32768;
    o->http_max_headers = 64;
    o->http_body_limit = 65536;
    o->http_max_pending = 32;
    o->http_keep_headers = false;
    o->http_decompress = true;
    o->http_keep_bodies = true;
    o->tls_max_extensions = 64;
    o->tls_max_handshake = 131072;
    o->tls_max_ciphers = 256;
}

ta_err ta_proto_new(const struct ta_proto_opts *opts, struct ta_proto **out)
{
    struct ta_proto_opts d;
    ta_proto_opts_default(&d);
    struct ta_proto *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return TA_ERR_NOMEM;
    p->o = d;
    if (opts != NULL) {
        p->o = *opts;
        /* Zero caps take the default. */
#define DEF(f)                                                                                     \
    if (p->o.f == 0)                                                                               \
    p->o.f = d.f
        DEF(stream_flow_memcap);
        DEF(stream_global_memcap);
        DEF(stream_max_segments);
        DEF(dns_max_answers);
        DEF(dns_max_queries);
        DEF(dns_max_name_hops);
        DEF(http_max_header_line);
        DEF(http_max_header_bytes);
        DEF(http_max_headers);
        DEF(http_body_limit);
        DEF(http_max_pending);
        DEF(tls_max_extensions);
        DEF(tls_max_handshake);
        DEF(tls_max_ciphers);
#undef DEF
    }
    if (p->o.dns_max_answers > 4096 || p->o.dns_max_queries > 256 ||
        p->o.http_max_header_line < 64 || p->o.http_max_header_bytes < 256 ||
        p->o.tls_max_handshake > (1u << 24)) {
        free(p);
        return TA_ERR_ARG;
    }
    /* Worst case for one DNS record: arrays plus rendered names. */
    ta__arena_init(&p->scratch, (size_t)(p->o.dns_max_answers * 2 + p->o.dns_max_queries) *
                                        (sizeof(struct ta_dns_rr) + 3 * 1100) +
                                    65536);
    /* One block holds a typical record: reset keeps it, so no malloc per message. */
    p->scratch.blk = 64 * 1024;
    ta_pool_init(&p->pool_app, sizeof(struct appflow), 0, 1024);
    ta__tls_pool_init(p);
    ta__http_pool_init(p);
    ta_pool_init(&p->pool_blk, ta__arena_block_size(), 0, 64);
    *out = p;
    return TA_OK;
}

uint64_t ta_proto_app_memory(const struct ta_proto *p)
{
    return p->app_mem;
}

void ta_proto_free(struct ta_proto *p)
{
    if (p == NULL)
        return;
    ta__arena_release(&p->scratch);
    ta__http_pool_release(p);
    ta_pool_drain(&p->pool_app);
    ta_pool_drain(&p->pool_tls);
    ta_pool_drain(&p->pool_http);
    ta_pool_drain(&p->pool_blk);
    free(p);
}

static bool dns_port(const struct ta_flow *f)
{
    return f->dp == 53 || f->sp == 53 || f->dp == 5353 || f->sp == 5353 || f->dp == 5355 ||
           f->sp == 5355;
}

static void set_proto(struct ta_proto *p, struct ta_flow *f, enum ta_app_proto ap)
{
    f->app_proto = (uint8_t)ap;
    switch (ap) {
    case TA_APP_DNS:
        p->c[TA_PC_DETECT_DNS]++;
        break;
    case TA_APP_HTTP:
        p->c[TA_PC_DETECT_HTTP]++;
        break;
    case TA_APP_TLS:
        p->c[TA_PC_DETECT_TLS]++;
        break;
    default:
        p->c[TA_PC_DETECT_FAILED]++;
        break;
    }
}

struct dctx {
    struct ta_proto *p;
    struct ta_flow *f;
    struct appflow *a;
    struct ta__emit em;
    enum ta_flow_dir dir;
};

static void detect_tcp(struct dctx *x, const uint8_t *d, size_t n)
{
    struct ta_flow *f = x->f;
    if (x->dir == TA_DIR_TOSERVER ? ta__http_probe_request(d, n) : ta__http_probe_response(d, n)) {
        set_proto(x->p, f, TA_APP_HTTP);
    } else if (ta__tls_probe(d, n)) {
        set_proto(x->p, f, TA_APP_TLS);
    } else if (n >= 2) {
        size_t fl = ta_rd16be(d);
        if (fl >= 12 && ((fl <= n - 2 && ta__dns_probe(d + 2, fl)) || (fl > n - 2 && dns_port(f))))
            set_proto(x->p, f, TA_APP_DNS);
    }
    if (f->app_proto == TA_APP_UNKNOWN) {
        x->a->seen[x->dir] = true;
        if (x->a->seen[0] && x->a->seen[1]) {
            set_proto(x->p, f, TA_APP_FAILED);
            x->a->dead = true;
        }
    }
}

/* Reassembled data of one direction. */
static void deliver(void *ud, const uint8_t *data, size_t len, bool gap)
{
    struct dctx *x = ud;
    struct appflow *a = x->a;
    if (a->dead)
        return;
    if (x->f->app_proto == TA_APP_UNKNOWN) {
        if (gap)
            return;
        detect_tcp(x, data, len);
        if (x->f->app_proto == TA_APP_UNKNOWN || a->dead)
            return;
    }
    switch (x->f->app_proto) {
    case TA_APP_HTTP:
        if (a->http == NULL && (a->http = ta__http_new(x->p)) == NULL) {
            x->p->c[TA_PC_APP_NOMEM]++;
            a->dead = true;
            return;
        }
        ta__http_data(a->http, &x->em, x->dir, data, len, gap);
        break;
    case TA_APP_TLS:
        if (a->tls == NULL && (a->tls = ta__tls_new(x->p)) == NULL) {
            x->p->c[TA_PC_APP_NOMEM]++;
            a->dead = true;
            return;
        }
        ta__tls_data(a->tls, &x->em, x->dir, data, len, gap);
        break;
    case TA_APP_DNS: {
        struct ta__dns_tcp **d = &a->dnst[x->dir];
        if (*d == NULL && (*d = ta__dns_tcp_new(x->p)) == NULL) {
            x->p->c[TA_PC_APP_NOMEM]++;
            a->dead = true;
            return;
        }
        if (!ta__dns_tcp_data(*d, &x->em, x->dir, &a->dns_tx, data, len, gap)) {
            ta__dns_tcp_free(x->p, *d);
            *d = NULL;
            a->dead = true;
        }
        break;
    }
    default:
        break;
    }
}

static struct appflow *flow_state(struct ta_proto *p, struct ta_flow *f)
{
    if (f->app == NULL) {
        f->app = ta__app_pool_get(p, &p->pool_app);
        if (f->app == NULL)
            p->c[TA_PC_APP_NOMEM]++;
        else
            memset(f->app, 0, sizeof(struct appflow));
    }
    return f->app;
}

static void hook_packet(void *ctx, struct ta_flow *f, const struct ta_packet *pkt,
                        enum ta_flow_dir dir, const struct ta_obs_sink *emit)
{
    struct ta_proto *p = ctx;
    if (f->app_proto == TA_APP_FAILED)
        return;
    if (pkt->ip_proto == 17) {
        if (pkt->payload_len == 0)
            return;
        if (f->app_proto == TA_APP_UNKNOWN) {
            /* NetBIOS name service uses the DNS message format but is not DNS. */
            bool nbns = f->sp == 137 || f->dp == 137;
            bool dns = dns_port(f) ? pkt->payload_len >= 12
                                   : !nbns && ta__dns_probe(pkt->payload, pkt->payload_len);
            set_proto(p, f, dns ? TA_APP_DNS : TA_APP_FAILED);
        }
        if (f->app_proto != TA_APP_DNS)
            return;
        struct appflow *a = flow_state(p, f);
        if (a == NULL)
            return;
        struct ta__emit em = {p, f, emit, pkt->ts};
        ta__dns_udp(&em, dir, &a->dns_tx, pkt->payload, pkt->payload_len);
        return;
    }
    if (pkt->ip_proto != 6)
        return;
    if (pkt->payload_len == 0 && f->app == NULL && !(pkt->tcp_flags & TA_TCP_SYN))
        return;
    struct appflow *a = flow_state(p, f);
    if (a == NULL || a->dead)
        return;
    struct dctx x = {p, f, a, {p, f, emit, pkt->ts}, dir};
    if (pkt->tcp_flags & TA_TCP_ACK) {
        struct dctx y = x;
        y.dir = dir == TA_DIR_TOSERVER ? TA_DIR_TOCLIENT : TA_DIR_TOSERVER;
        ta__stream_ack(p, &a->st[y.dir], &a->ooo_bytes, pkt->tcp_ack, deliver, &y);
    }
    ta__stream_segment(p, &a->st[dir], &a->ooo_bytes, pkt, deliver, &x);
}

static void hook_flow_end(void *ctx, struct ta_flow *f, const struct ta_obs_sink *emit)
{
    struct ta_proto *p = ctx;
    struct appflow *a = f->app;
    if (a == NULL)
        return;
    struct ta__emit em = {p, f, emit, f->last};
    for (int d = 0; d < 2; d++) {
        struct dctx x = {p, f, a, em, (enum ta_flow_dir)d};
        if (!a->dead)
            ta__stream_flush(p, &a->st[d], &a->ooo_bytes, deliver, &x);
        ta__stream_release(p, &a->st[d], &a->ooo_bytes);
        ta__dns_tcp_free(p, a->dnst[d]);
    }
    if (a->http != NULL) {
        ta__http_end(a->http, &em);
        ta__http_free(a->http);
    }
    if (a->tls != NULL) {
        ta__tls_end(a->tls, &em);
        ta__tls_free(a->tls);
    }
    ta__app_pool_put(p, &p->pool_app, a);
    f->app = NULL;
}

const struct ta_app_hooks *ta_proto_hooks(void)
{
    static const struct ta_app_hooks h = {hook_packet, hook_flow_end};
    return &h;
}
