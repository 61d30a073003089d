/*
 * Wiring of the detector to the real modules: the intel match index, the
 * geolocation tables and the proto module's observation records.
 */
#include "threatatlas/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "threatatlas/engine.h"
#include "threatatlas/enrich.h"
#include "threatatlas/intel.h"
#include "threatatlas/proto.h"

#include "detect/detect-util.h"

#include "common/hash64.h"
#include "common/htab.h"
#include "common/urlhost.h"

#include "common/banned.h"

#define SRC_BUFS 4
#define SRC_LEN  256

/* host -> phishing URL indicators on it (count and the first one). */
struct host_urls {
    uint32_t count;
    char *url;
    char host[];
};

struct ta_detect_intel_adapter {
    const struct ta_intel_index *idx;
    struct ta_htab hosts; /* host -> index in urls */
    struct host_urls **urls;
    size_t nurls, cap_urls;
    char sources[SRC_BUFS][SRC_LEN]; /* rotating: a few matches stay valid at once */
    unsigned next_src;
};

static uint64_t shash(const char *s, size_t n)
{
    return ta_hash_mix64(ta_hash64(0, s, n));
}

struct host_probe {
    const struct ta_detect_intel_adapter *a;
    const char *h;
    size_t n;
};

static bool host_eq(const void *ctx, uint32_t i)
{
    const struct host_probe *p = ctx;
    const char *host = p->a->urls[i]->host;
    return strlen(host) == p->n && memcmp(host, p->h, p->n) == 0;
}

static struct host_urls *host_find(const struct ta_detect_intel_adapter *a, const char *h, size_t n)
{
    struct host_probe p = {a, h, n};
    uint32_t i;
    return ta_htab_find(&a->hosts, shash(h, n), host_eq, &p, &i) ? a->urls[i] : NULL;
}

static ta_err on_phish_url(void *user, const struct ta_intel_indicator *ind)
{
    struct ta_detect_intel_adapter *a = user;
    struct ta_url_host u;
    if (ind->type != TA_INTEL_URL || !ta_url_host(ind->value, strlen(ind->value), &u))
        return TA_OK;
    /* Hosts are looked up as proto-http writes them: lowercase, no port. */
    char h[TA_URL_HOST_MAX];
    size_t n = u.len;
    ta_url_host_lower(u.host, n, h);
    struct host_urls *e = host_find(a, h, n);
    if (e != NULL) {
        /* One row per (value, source): count distinct URLs only. */
        if (strcmp(e->url, ind->value) != 0)
            e->count++;
        return TA_OK;
    }
    if (a->nurls == a->cap_urls) {
        size_t cap = a->cap_urls ? a->cap_urls * 2 : 256;
        struct host_urls **nu = realloc(a->urls, cap * sizeof(*nu));
        if (nu == NULL)
            return TA_ERR_NOMEM;
        a->urls = nu;
        a->cap_urls = cap;
    }
    e = calloc(1, sizeof(*e) + n + 1);
    if (e == NULL)
        return TA_ERR_NOMEM;
    e->url = strdup(ind->value);
    if (e->url == NULL) {
        free(e);
        return TA_ERR_NOMEM;
    }
    memcpy(e->host, h, n);
    e->count = 1;
    ta_err err = ta_htab_put(&a->hosts, shash(h, n), (uint32_t)a->nurls);
    if (err != TA_OK) {
        free(e->url);
        free(e);
        return err;
    }
    a->urls[a->nurls++] = e;
    return TA_OK;
}

ta_err ta_detect_intel_adapter_new(struct ta_intel_db *db, const struct ta_intel_index *idx,
                                   struct ta_detect_intel_adapter **out)
{
    *out = NULL;
    struct ta_detect_intel_adapter *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return TA_ERR_NOMEM;
    a->idx = idx;
    ta_htab_init(&a->hosts, 0);
    if (idx != NULL || db != NULL) {
        struct ta_intel_filter f = {.have_kind = true,
                                    .kind = TA_INTEL_KIND_PHISHING,
                                    .have_type = true,
                                    .type = TA_INTEL_URL};
        /* The index holds the same URLs in the same order and reads no
         * database: a start from the index cache stays instant. */
        ta_err err = idx != NULL ? ta_intel_index_each(idx, TA_INTEL_URL, TA_INTEL_KIND_PHISHING,
                                                       on_phish_url, a)
                                 : ta_intel_db_list(db, &f, on_phish_url, a);
        if (err != TA_OK) {
            ta_detect_intel_adapter_free(a);
            return err;
        }
    }
    *out = a;
    return TA_OK;
}

void ta_detect_intel_adapter_free(struct ta_detect_intel_adapter *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nurls; i++) {
        free(a->urls[i]->url);
        free(a->urls[i]);
    }
    free(a->urls);
    ta_htab_release(&a->hosts);
    free(a);
}

static uint32_t kinds_of(uint32_t mask)
{
    uint32_t k = 0;
    if (mask & TA_DETECT_IK_BIT(TA_DETECT_IK_C2))
        k |= TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2);
    if (mask & TA_DETECT_IK_BIT(TA_DETECT_IK_PHISHING))
        k |= TA_INTEL_KIND_BIT(TA_INTEL_KIND_PHISHING);
    if (mask & TA_DETECT_IK_BIT(TA_DETECT_IK_WEBSHELL))
        k |= TA_INTEL_KIND_BIT(TA_INTEL_KIND_WEBSHELL);
    if (mask & TA_DETECT_IK_BIT(TA_DETECT_IK_PAYLOAD))
        k |= TA_INTEL_KIND_BIT(TA_INTEL_KIND_MALWARE_DIST);
    return k;
}

static bool convert(struct ta_detect_intel_adapter *a, const struct ta_intel_match *m,
                    struct ta_detect_match *out)
{
    memset(out, 0, sizeof(*out));
    switch (m->kind) {
    case TA_INTEL_KIND_C2:
        out->kind = TA_DETECT_IK_C2;
        break;
    case TA_INTEL_KIND_PHISHING:
        out->kind = TA_DETECT_IK_PHISHING;
        break;
    case TA_INTEL_KIND_WEBSHELL:
        out->kind = TA_DETECT_IK_WEBSHELL;
        break;
    case TA_INTEL_KIND_MALWARE_DIST:
        out->kind = TA_DETECT_IK_PAYLOAD;
        break;
    default:
        return false;
    }
    out->value = m->value;
    out->type = ta_intel_type_name(m->type);
    out->confidence = m->confidence;
    out->has_port = m->type == TA_INTEL_IP_PORT;
    out->undated = m->undated;
    out->family = m->family;
    char *buf = a->sources[a->next_src++ % SRC_BUFS];
    size_t o = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < m->nsources; i++) {
        struct ta_intel_source_info si;
        ta_intel_match_source(a->idx, m, i, &si);
        size_t n = strlen(si.source);
        if (o + n + 2 >= SRC_LEN)
            break;
        if (o > 0)
            buf[o++] = ',';
        memcpy(buf + o, si.source, n);
        o += n;
        buf[o] = 0;
    }
    out->sources = buf;
    return true;
}

/* Each lookup asks for one match: the most specific valid at `at`, of the
 * kinds asked (kinds_of() never maps to allow, so an empty mask is none). */
static bool a_ip(void *ctx, const struct ta_addr *addr, uint16_t port, ta_time_us at,
                 uint32_t kinds, struct ta_detect_match *out)
{
    struct ta_detect_intel_adapter *a = ctx;
    uint32_t k = kinds_of(kinds);
    struct ta_intel_match m;
    if (k == 0 || ta_intel_match_ip(a->idx, addr, port, at, k, &m, 1) == 0)
        return false;
    return convert(a, &m, out);
}

static bool a_domain(void *ctx, const char *name, ta_time_us at, uint32_t kinds,
                     struct ta_detect_match *out)
{
    struct ta_detect_intel_adapter *a = ctx;
    uint32_t k = kinds_of(kinds);
    struct ta_intel_match m;
    if (k == 0 || ta_intel_match_domain(a->idx, name, strlen(name), at, k, &m, 1) == 0)
        return false;
    return convert(a, &m, out);
}

static bool a_url(void *ctx, const char *url, ta_time_us at, uint32_t kinds,
                  struct ta_detect_match *out)
{
    struct ta_detect_intel_adapter *a = ctx;
    uint32_t k = kinds_of(kinds);
    struct ta_intel_match m;
    if (k == 0 || ta_intel_match_url(a->idx, url, strlen(url), at, k, &m, 1) == 0)
        return false;
    return convert(a, &m, out);
}

static bool a_hash(void *ctx, enum ta_detect_hash type, const char *value, ta_time_us at,
                   uint32_t kinds, struct ta_detect_match *out)
{
    struct ta_detect_intel_adapter *a = ctx;
    static const enum ta_intel_type types[] = {
        [TA_DETECT_HASH_JA3] = TA_INTEL_JA3,
        [TA_DETECT_HASH_JA3S] = TA_INTEL_JA3S,
        [TA_DETECT_HASH_JA4] = TA_INTEL_JA4,
        [TA_DETECT_HASH_CERT_SHA1] = TA_INTEL_SHA1,
    };
    uint32_t k = kinds_of(kinds);
    struct ta_intel_match m;
    if (k == 0 || (unsigned)type >= sizeof(types) / sizeof(types[0]) ||
        ta_intel_match_hash(a->idx, types[type], value, strlen(value), at, k, &m, 1) == 0)
        return false;
    return convert(a, &m, out);
}

static size_t a_urls_for_host(void *ctx, const char *host, char *buf, size_t cap)
{
    struct ta_detect_intel_adapter *a = ctx;
    const struct host_urls *e = host_find(a, host, strlen(host));
    if (e == NULL)
        return 0;
    size_t n = strlen(e->url);
    if (cap > 0) {
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, e->url, n);
        buf[n] = 0;
    }
    return e->count;
}

static bool a_norm(void *ctx, const char *url, char *buf, size_t cap)
{
    (void)ctx;
    size_t n;
    return ta_intel_url_normalize(url, strlen(url), buf, cap, &n);
}

/* The list an allow entry came from: its first source. */
static bool allow_list(struct ta_detect_intel_adapter *a, const struct ta_intel_match *m,
                       char *list, size_t cap)
{
    if (cap > 0) {
        struct ta_intel_source_info si;
        ta_intel_match_source(a->idx, m, 0, &si);
        snprintf(list, cap, "%s", si.source);
    }
    return true;
}

static bool a_allow_ip(void *ctx, const struct ta_addr *addr, char *list, size_t cap)
{
    struct ta_detect_intel_adapter *a = ctx;
    struct ta_intel_match m;
    return ta_intel_allow_ip(a->idx, addr, &m) && allow_list(a, &m, list, cap);
}

static bool a_allow_name(void *ctx, const char *name, const char *within, char *list, size_t cap)
{
    struct ta_detect_intel_adapter *a = ctx;
    struct ta_intel_match m;
    if (name == NULL || name[0] == 0)
        return false;
    return ta_intel_allow_domain(a->idx, name, strlen(name), within, &m) &&
           allow_list(a, &m, list, cap);
}

static bool a_allow_url(void *ctx, const char *url, char *list, size_t cap)
{
    struct ta_detect_intel_adapter *a = ctx;
    struct ta_intel_match m;
    if (url == NULL || url[0] == 0)
        return false;
    return ta_intel_allow_url(a->idx, url, strlen(url), &m) && allow_list(a, &m, list, cap);
}

void ta_detect_intel_adapter_ops(struct ta_detect_intel_adapter *a, struct ta_detect_intel *out)
{
    memset(out, 0, sizeof(*out));
    out->ctx = a;
    out->match_ip = a_ip;
    out->match_domain = a_domain;
    out->match_url = a_url;
    out->match_hash = a_hash;
    out->phish_urls_for_host = a_urls_for_host;
    out->normalize_url = a_norm;
    out->allow_ip = a_allow_ip;
    out->allow_name = a_allow_name;
    out->allow_url = a_allow_url;
}

static void geo_lookup(void *ctx, struct ta_event_side *s)
{
    struct ta_geo_result r;
    ta_geo_lookup(ctx, &s->ip, &r);
    memcpy(s->cc, r.cc, sizeof(s->cc));
    s->asn = r.asn;
    s->as_name = r.as_name[0] != 0 ? r.as_name : NULL;
    s->home = r.is_home;
}

void ta_detect_geo_ops(const struct ta_geo *g, struct ta_detect_geo *out)
{
    out->ctx = (void *)(uintptr_t)g;
    out->lookup = geo_lookup;
}

/* ---- observation sink -------------------------------------------------- */

#define MAX_ANSWERS 64

static void s_flow(void *ud, const struct ta_flow *f)
{
    ta_detector_flow_end(ud, f);
}

static void s_dns(void *ud, const struct ta_flow *f, const struct ta_dns_record *r)
{
    if (!r->response || r->n_queries == 0 || r->queries[0].rrname.ptr == NULL)
        return;
    struct ta_addr ans[MAX_ANSWERS];
    size_t n = 0;
    for (uint32_t i = 0; i < r->n_answers && n < MAX_ANSWERS; i++)
        if (r->answers[i].addr.family != 0)
            ans[n++] = r->answers[i].addr;
    struct ta_detect_dns d = {r->ts, r->queries[0].rrname.ptr, ans, n};
    ta_detector_dns(ud, f, &d);
}

static const char *req_header(const struct ta_http_tx *tx, const char *name)
{
    for (uint32_t i = 0; i < tx->n_req_headers; i++)
        if (tx->req_headers[i].name.ptr != NULL &&
            strcasecmp(tx->req_headers[i].name.ptr, name) == 0)
            return tx->req_headers[i].value.ptr;
    return NULL;
}

bool ta_detect_http_of(const struct ta_http_tx *tx, struct ta_detect_http *h)
{
    if (!tx->has_request)
        return false;
    *h = (struct ta_detect_http){
        .ts = tx->ts,
        .tx_index = tx->tx_id,
        .method = tx->method.ptr,
        .host = tx->hostname.ptr,
        .url = tx->url.ptr,
        .user_agent = tx->user_agent.ptr,
        .content_type = req_header(tx, "Content-Type"),
        .accept = req_header(tx, "Accept"),
        .cookie = req_header(tx, "Cookie"),
        .resp_content_type = tx->content_type.ptr,
        .status = tx->status,
        .req_body = tx->req_body,
        .req_len = tx->req_body_kept,
        .resp_body = tx->resp_body,
        .resp_len = tx->resp_body_kept,
        .have_resp = tx->has_response,
        .req_sent = tx->request_body_len,
        .resp_sent = tx->response_body_len,
    };
    return true;
}

static void s_http(void *ud, const struct ta_flow *f, const struct ta_http_tx *tx)
{
    /* Taken first: verdicts computed ahead belong to this transaction, fed or not. */
    const struct ta_detect_http_content *c = ta__detector_take_http_content(ud);
    struct ta_detect_http h;
    if (!ta_detect_http_of(tx, &h))
        return;
    h.content = c;
    ta_detector_http(ud, f, &h);
}

static void s_tls(void *ud, const struct ta_flow *f, const struct ta_tls_record *t)
{
    if (!t->has_client_hello && !t->has_server_hello)
        return;
    const char *san[TA_TLS_MAX_SAN];
    size_t nsan = 0;
    for (uint32_t i = 0; t->has_cert && i < t->n_san_dns && nsan < TA_TLS_MAX_SAN; i++)
        if (t->san_dns[i].ptr != NULL)
            san[nsan++] = t->san_dns[i].ptr;
    struct ta_detect_tls r = {
        .ts = t->ts,
        .sni = t->sni.ptr,
        .ja3 = t->has_client_hello ? t->ja3_hash : NULL,
        .ja3s = t->has_server_hello ? t->ja3s_hash : NULL,
        .ja4 = t->ja4,
        .cert_sha1 = t->has_cert ? t->fingerprint.ptr : NULL,
        .cert_subject = t->has_cert ? t->subject.ptr : NULL,
        .cert_san = san,
        .n_cert_san = nsan,
    };
    ta_detector_tls(ud, f, &r);
}

static void s_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    switch (type) {
    case TA_REC_DNS:
        s_dns(ud, f, rec);
        break;
    case TA_REC_HTTP:
        s_http(ud, f, rec);
        break;
    case TA_REC_TLS:
        s_tls(ud, f, rec);
        break;
    case TA_REC_TLS_DATA: {
        const struct ta_tls_data *x = rec;
        ta_detector_tls_data(ud, f, x->ts, x->index, x->bytes);
        break;
    }
    default:
        break;
    }
}

void ta_detector_sink(struct ta_detector *d, struct ta_obs_sink *out)
{
    memset(out, 0, sizeof(*out));
    out->ud = d;
    out->on_flow = s_flow;
    out->on_record = s_record;
}
