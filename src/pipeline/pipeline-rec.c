/*
 * Deep copies of app-layer records for the worker set (pipeline-rec.h).
 * Sizing and copying walk the same fields in the same order: every piece is
 * rounded up to 8 bytes so the structs inside the block stay aligned.
 */
#include "pipeline/pipeline-rec.h"

#include <string.h>

#include "threatatlas/proto.h"

#include "common/banned.h"

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

/*
 * A record copied as bytes keeps the worker's pointers in any field not
 * walked below, which the reading thread would then read after the worker
 * reused them. These sizes (x86-64) make a new field fail the build here
 * until it has its copy; update them with it.
 */
#if defined(__x86_64__)
_Static_assert(sizeof(struct ta_dns_record) == 96 && sizeof(struct ta_dns_rr) == 160 &&
                   sizeof(struct ta_dns_query) == 24,
               "a new DNS field needs its copy in pipeline-rec.c");
_Static_assert(sizeof(struct ta_http_tx) == 264 && sizeof(struct ta_http_header) == 32,
               "a new HTTP field needs its copy in pipeline-rec.c");
_Static_assert(sizeof(struct ta_tls_record) == 280 && sizeof(struct ta_tls_data) == 24,
               "a new TLS field needs its copy in pipeline-rec.c");
#endif

/* A bump allocator over the destination block. */
struct bump {
    uint8_t *p;
};

static void *take(struct bump *b, const void *src, size_t n)
{
    void *d = b->p;
    if (n > 0)
        memcpy(d, src, n);
    b->p += ALIGN8(n);
    return d;
}

static size_t str_size(const struct ta_str *s)
{
    return s->ptr != NULL ? ALIGN8((size_t)s->len + 1) : 0;
}

static void str_copy(struct bump *b, struct ta_str *s)
{
    /* A view is NUL-terminated and len excludes the NUL. */
    if (s->ptr != NULL)
        s->ptr = take(b, s->ptr, (size_t)s->len + 1);
}

static size_t bytes_size(const void *p, size_t n)
{
    return p != NULL ? ALIGN8(n) : 0;
}

/* ---- DNS ---- */

static size_t rr_size(const struct ta_dns_rr *r)
{
    return str_size(&r->rrname) + str_size(&r->rdata) + str_size(&r->soa.mname) +
           str_size(&r->soa.rname) + str_size(&r->srv.target) + bytes_size(r->opt, r->opt_len);
}

static void rr_copy(struct bump *b, struct ta_dns_rr *r)
{
    str_copy(b, &r->rrname);
    str_copy(b, &r->rdata);
    str_copy(b, &r->soa.mname);
    str_copy(b, &r->soa.rname);
    str_copy(b, &r->srv.target);
    if (r->opt != NULL)
        r->opt = take(b, r->opt, r->opt_len);
}

static size_t rrs_size(const struct ta_dns_rr *rr, uint32_t n)
{
    if (rr == NULL)
        return 0;
    size_t s = ALIGN8((size_t)n * sizeof(*rr));
    for (uint32_t i = 0; i < n; i++)
        s += rr_size(&rr[i]);
    return s;
}

static const struct ta_dns_rr *rrs_copy(struct bump *b, const struct ta_dns_rr *rr, uint32_t n)
{
    if (rr == NULL)
        return NULL;
    struct ta_dns_rr *c = take(b, rr, (size_t)n * sizeof(*rr));
    for (uint32_t i = 0; i < n; i++)
        rr_copy(b, &c[i]);
    return c;
}

static size_t dns_size(const struct ta_dns_record *r)
{
    size_t s = ALIGN8(sizeof(*r));
    if (r->queries != NULL) {
        s += ALIGN8((size_t)r->n_queries * sizeof(*r->queries));
        for (uint32_t i = 0; i < r->n_queries; i++)
            s += str_size(&r->queries[i].rrname);
    }
    return s + rrs_size(r->answers, r->n_answers) + rrs_size(r->authorities, r->n_authorities) +
           rrs_size(r->additionals, r->n_additionals);
}

static void *dns_copy(const struct ta_dns_record *r, struct bump *b)
{
    struct ta_dns_record *c = take(b, r, sizeof(*r));
    if (r->queries != NULL) {
        struct ta_dns_query *q = take(b, r->queries, (size_t)r->n_queries * sizeof(*q));
        for (uint32_t i = 0; i < r->n_queries; i++)
            str_copy(b, &q[i].rrname);
        c->queries = q;
    }
    c->answers = rrs_copy(b, r->answers, r->n_answers);
    c->authorities = rrs_copy(b, r->authorities, r->n_authorities);
    c->additionals = rrs_copy(b, r->additionals, r->n_additionals);
    return c;
}

/* ---- HTTP ---- */

static size_t hdrs_size(const struct ta_http_header *h, uint32_t n)
{
    if (h == NULL)
        return 0;
    size_t s = ALIGN8((size_t)n * sizeof(*h));
    for (uint32_t i = 0; i < n; i++)
        s += str_size(&h[i].name) + str_size(&h[i].value);
    return s;
}

static const struct ta_http_header *hdrs_copy(struct bump *b, const struct ta_http_header *h,
                                              uint32_t n)
{
    if (h == NULL)
        return NULL;
    struct ta_http_header *c = take(b, h, (size_t)n * sizeof(*h));
    for (uint32_t i = 0; i < n; i++) {
        str_copy(b, &c[i].name);
        str_copy(b, &c[i].value);
    }
    return c;
}

static uint32_t cut(uint32_t kept, size_t cap)
{
    return kept < cap ? kept : (uint32_t)cap;
}

static size_t http_size(const struct ta_http_tx *t, size_t cap)
{
    return ALIGN8(sizeof(*t)) + str_size(&t->method) + str_size(&t->url) + str_size(&t->protocol) +
           str_size(&t->hostname) + str_size(&t->user_agent) + str_size(&t->referer) +
           str_size(&t->content_type) + str_size(&t->redirect) + str_size(&t->resp_protocol) +
           hdrs_size(t->req_headers, t->n_req_headers) +
           hdrs_size(t->resp_headers, t->n_resp_headers) +
           bytes_size(t->req_body, cut(t->req_body_kept, cap)) +
           bytes_size(t->resp_body, cut(t->resp_body_kept, cap));
}

static void *http_copy(const struct ta_http_tx *t, struct bump *b, size_t cap)
{
    struct ta_http_tx *c = take(b, t, sizeof(*t));
    str_copy(b, &c->method);
    str_copy(b, &c->url);
    str_copy(b, &c->protocol);
    str_copy(b, &c->hostname);
    str_copy(b, &c->user_agent);
    str_copy(b, &c->referer);
    str_copy(b, &c->content_type);
    str_copy(b, &c->redirect);
    str_copy(b, &c->resp_protocol);
    c->req_headers = hdrs_copy(b, t->req_headers, t->n_req_headers);
    c->resp_headers = hdrs_copy(b, t->resp_headers, t->n_resp_headers);
    if (t->req_body != NULL) {
        c->req_body_kept = cut(t->req_body_kept, cap);
        c->req_body = take(b, t->req_body, c->req_body_kept);
    }
    if (t->resp_body != NULL) {
        c->resp_body_kept = cut(t->resp_body_kept, cap);
        c->resp_body = take(b, t->resp_body, c->resp_body_kept);
    }
    return c;
}

/* ---- TLS ---- */

static size_t strs_size(const struct ta_str *v, uint32_t n)
{
    if (v == NULL)
        return 0;
    size_t s = ALIGN8((size_t)n * sizeof(*v));
    for (uint32_t i = 0; i < n; i++)
        s += str_size(&v[i]);
    return s;
}

static const struct ta_str *strs_copy(struct bump *b, const struct ta_str *v, uint32_t n)
{
    if (v == NULL)
        return NULL;
    struct ta_str *c = take(b, v, (size_t)n * sizeof(*v));
    for (uint32_t i = 0; i < n; i++)
        str_copy(b, &c[i]);
    return c;
}

static size_t tls_size(const struct ta_tls_record *t)
{
    return ALIGN8(sizeof(*t)) + str_size(&t->sni) + str_size(&t->ja3_string) +
           str_size(&t->ja3s_string) + str_size(&t->subject) + str_size(&t->issuerdn) +
           str_size(&t->serial) + str_size(&t->fingerprint) + strs_size(t->san_dns, t->n_san_dns);
}

static void *tls_copy(const struct ta_tls_record *t, struct bump *b)
{
    struct ta_tls_record *c = take(b, t, sizeof(*t));
    str_copy(b, &c->sni);
    str_copy(b, &c->ja3_string);
    str_copy(b, &c->ja3s_string);
    str_copy(b, &c->subject);
    str_copy(b, &c->issuerdn);
    str_copy(b, &c->serial);
    str_copy(b, &c->fingerprint);
    c->san_dns = strs_copy(b, t->san_dns, t->n_san_dns);
    return c;
}

size_t ta__rec_size(uint32_t type, const void *rec, size_t body_cap)
{
    switch (type) {
    case TA_REC_DNS:
        return dns_size(rec);
    case TA_REC_HTTP:
        return http_size(rec, body_cap);
    case TA_REC_TLS:
        return tls_size(rec);
    case TA_REC_TLS_DATA:
        return ALIGN8(sizeof(struct ta_tls_data));
    default:
        return 0;
    }
}

size_t ta__rec_plan(struct ta__rec_out *o, uint32_t type, const void *rec, bool verdicts,
                    size_t body_prefix)
{
    o->content = verdicts && type == TA_REC_HTTP && ta_detect_http_of(rec, &o->h);
    o->cap = o->content && body_prefix > 0 ? body_prefix : SIZE_MAX;
    o->rec_size = ta__rec_size(type, rec, o->cap);
    if (o->rec_size == 0)
        return 0;
    return o->rec_size + (o->content ? ALIGN8(sizeof(struct ta_detect_http_content)) : 0);
}

const void *ta__rec_put(const struct ta__rec_out *o, uint32_t type, const void *rec, void *dst,
                        const struct ta_detect_http_content **content)
{
    const void *c = ta__rec_copy(type, rec, dst, o->cap);
    *content = NULL;
    if (o->content) {
        /* The verdicts from the whole transaction, before its bodies are gone. */
        struct ta_detect_http_content *v = (void *)((uint8_t *)dst + o->rec_size);
        ta_detect_http_content(&o->h, v);
        *content = v;
    }
    return c;
}

const void *ta__rec_copy(uint32_t type, const void *rec, void *dst, size_t body_cap)
{
    struct bump b = {dst};
    switch (type) {
    case TA_REC_DNS:
        return dns_copy(rec, &b);
    case TA_REC_HTTP:
        return http_copy(rec, &b, body_cap);
    case TA_REC_TLS:
        return tls_copy(rec, &b);
    case TA_REC_TLS_DATA:
        return take(&b, rec, sizeof(struct ta_tls_data));
    default:
        return NULL;
    }
}
