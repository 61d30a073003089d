/*
 * Beaconing scorer: finds host -> server pairs that connect at regular
 * intervals with regular sizes, without any indicator (c2-suspected).
 *
 * Part of stage 6 (detect). Each (host, server, port, proto) pair keeps a
 * bounded ring of connection start times and sizes; the table holds at most
 * max_pairs pairs and evicts the least recently active one at the cap
 * (counted). Scoring follows the idea of RITA's published beacon score:
 * timing regularity (Bowley skew, MAD over median, connection count against
 * the count expected at the median interval) and size regularity (skew,
 * MAD over median, smallness of the most common size), averaged. A server
 * that most of the tracked hosts contact (prevalence, as in RITA's threat
 * modifiers) is shared infrastructure and is not reported.
 */
#include "threatatlas/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"

#include "common/banned.h"

struct pair {
    struct ta_addr host, server;
    uint16_t port;
    uint8_t proto;
    bool reported;
    bool in_conn; /* requests inside one connection, conn its flow id */
    uint64_t conn;
    uint32_t server_hosts;      /* hosts contacting the server (set by report) */
    struct pair *hnext;         /* hash chain */
    struct pair *lprev, *lnext; /* activity list, most recent at head */
    ta_time_us first, last;
    uint64_t last_flow_id;
    uint32_t n, cap, head; /* samples held, allocated, next write slot */
    uint64_t total;        /* samples ever added */
    ta_time_us *ts;
    uint64_t *sz;
};

struct ta_beacon {
    struct ta_beacon_opts o;
    struct pair **buckets;
    size_t nbuckets;
    struct pair *lhead, *ltail;
    uint64_t npairs;
    struct ta_beacon_stats st;
};

void ta_beacon_opts_default(struct ta_beacon_opts *o)
{
    o->max_pairs = 200000;
    o->max_samples = 256;
    o->min_conns = 10;
    o->min_interval_s = 5;
    o->max_interval_s = 2700;
    o->threshold = 0.8;
    o->exclude_infra_ports = true;
    o->prevalence_min_hosts = 10;
    o->prevalence_ratio = 0.5;
}

ta_err ta_beacon_new(const struct ta_beacon_opts *opts, struct ta_beacon **out)
{
    *out = NULL;
    struct ta_beacon *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return TA_ERR_NOMEM;
    if (opts != NULL)
        b->o = *opts;
    else
        ta_beacon_opts_default(&b->o);
    if (b->o.max_pairs == 0 || b->o.max_samples < 3) {
        free(b);
        return TA_ERR_ARG;
    }
    size_t nb = 64;
    while (nb < b->o.max_pairs && nb < ((size_t)1 << 24))
        nb <<= 1;
    b->buckets = calloc(nb, sizeof(*b->buckets));
    if (b->buckets == NULL) {
        free(b);
        return TA_ERR_NOMEM;
    }
    b->nbuckets = nb;
    b->st.memory = sizeof(*b) + nb * sizeof(*b->buckets);
    *out = b;
    return TA_OK;
}

static void pair_free(struct pair *p)
{
    free(p->ts);
    free(p->sz);
    free(p);
}

void ta_beacon_free(struct ta_beacon *b)
{
    if (b == NULL)
        return;
    struct pair *p = b->lhead;
    while (p != NULL) {
        struct pair *n = p->lnext;
        pair_free(p);
        p = n;
    }
    free(b->buckets);
    free(b);
}

static size_t key_hash(const struct ta_addr *h, const struct ta_addr *s, uint16_t port,
                       uint8_t proto, uint64_t conn)
{
    uint64_t x = ta_hash64(0, h->b, sizeof(h->b));
    for (size_t i = 0; i < sizeof(s->b); i++)
        x = ta_hash64_step(x, s->b[i]);
    x = ta_hash64_step(x, port);
    x = ta_hash64_step(x, proto);
    x = ta_hash64_step(x, conn);
    return (size_t)(x ^ (x >> 29));
}

static void list_unlink(struct ta_beacon *b, struct pair *p)
{
    if (p->lprev != NULL)
        p->lprev->lnext = p->lnext;
    else
        b->lhead = p->lnext;
    if (p->lnext != NULL)
        p->lnext->lprev = p->lprev;
    else
        b->ltail = p->lprev;
    p->lprev = p->lnext = NULL;
}

static void list_push(struct ta_beacon *b, struct pair *p)
{
    p->lprev = NULL;
    p->lnext = b->lhead;
    if (b->lhead != NULL)
        b->lhead->lprev = p;
    b->lhead = p;
    if (b->ltail == NULL)
        b->ltail = p;
}

static size_t pair_mem(const struct pair *p)
{
    return sizeof(*p) + (size_t)p->cap * (sizeof(ta_time_us) + sizeof(uint64_t));
}

static void pair_remove(struct ta_beacon *b, struct pair *p)
{
    size_t h = key_hash(&p->host, &p->server, p->port, p->proto, p->conn) & (b->nbuckets - 1);
    struct pair **pp = &b->buckets[h];
    while (*pp != NULL && *pp != p)
        pp = &(*pp)->hnext;
    if (*pp == p)
        *pp = p->hnext;
    list_unlink(b, p);
    b->st.memory -= pair_mem(p);
    pair_free(p);
    b->npairs--;
}

static void evict_oldest(struct ta_beacon *b)
{
    if (b->ltail == NULL)
        return;
    pair_remove(b, b->ltail);
    b->st.pairs_evicted++;
}

static bool infra_port(uint16_t port)
{
    switch (port) {
    case 53:
    case 67:
    case 68:
    case 123:
    case 137:
    case 138:
    case 1900:
    case 5353:
        return true;
    default:
        return false;
    }
}

static struct pair *pair_find(struct ta_beacon *b, const struct ta_addr *host,
                              const struct ta_addr *server, uint16_t port, uint8_t proto,
                              bool in_conn, uint64_t conn)
{
    size_t h = key_hash(host, server, port, proto, conn) & (b->nbuckets - 1);
    struct pair *p = b->buckets[h];
    while (p != NULL &&
           !(p->port == port && p->proto == proto && p->in_conn == in_conn && p->conn == conn &&
             ta_addr_cmp(&p->host, host) == 0 && ta_addr_cmp(&p->server, server) == 0))
        p = p->hnext;
    return p;
}

static void add(struct ta_beacon *b, const struct ta_addr *host, const struct ta_addr *server,
                uint16_t port, uint8_t proto, bool in_conn, uint64_t conn, ta_time_us start,
                uint64_t bytes, uint64_t flow_id)
{
    if (b->o.exclude_infra_ports && infra_port(port))
        return;
    size_t h = key_hash(host, server, port, proto, conn) & (b->nbuckets - 1);
    struct pair *p = pair_find(b, host, server, port, proto, in_conn, conn);
    if (p == NULL) {
        if (b->npairs >= b->o.max_pairs)
            evict_oldest(b);
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return; /* counted as nothing: the pair is simply not tracked */
        p->host = *host;
        p->server = *server;
        p->port = port;
        p->proto = proto;
        p->in_conn = in_conn;
        p->conn = conn;
        p->first = start;
        p->hnext = b->buckets[h];
        b->buckets[h] = p;
        list_push(b, p);
        b->npairs++;
        b->st.memory += pair_mem(p);
    } else {
        list_unlink(b, p);
        list_push(b, p);
    }
    if (p->n == p->cap && p->cap < b->o.max_samples) {
        uint32_t nc = p->cap == 0 ? 8 : p->cap * 2;
        if (nc > b->o.max_samples)
            nc = b->o.max_samples;
        ta_time_us *nts = realloc(p->ts, nc * sizeof(*nts));
        if (nts != NULL)
            p->ts = nts;
        uint64_t *nsz = nts != NULL ? realloc(p->sz, nc * sizeof(*nsz)) : NULL;
        if (nsz != NULL) {
            p->sz = nsz;
            b->st.memory += (size_t)(nc - p->cap) * (sizeof(ta_time_us) + sizeof(uint64_t));
            /* The ring only wraps once full at max_samples, so before that the
             * samples sit in order at 0..n-1 and the next write goes at n. */
            p->cap = nc;
            p->head = p->n;
        }
    }
    if (p->cap == 0)
        return;
    if (p->n == p->cap)
        b->st.samples_dropped++;
    else
        p->n++;
    p->ts[p->head] = start;
    p->sz[p->head] = bytes;
    p->head = (p->head + 1) % p->cap;
    p->total++;
    if (start < p->first)
        p->first = start;
    if (start >= p->last) {
        p->last = start;
        p->last_flow_id = flow_id;
    }
}

void ta_beacon_add(struct ta_beacon *b, const struct ta_addr *host, const struct ta_addr *server,
                   uint16_t port, uint8_t proto, ta_time_us start, uint64_t bytes, uint64_t flow_id)
{
    add(b, host, server, port, proto, false, 0, start, bytes, flow_id);
}

void ta_beacon_add_request(struct ta_beacon *b, const struct ta_addr *host,
                           const struct ta_addr *server, uint16_t port, uint8_t proto,
                           uint64_t flow_id, ta_time_us ts, uint64_t bytes)
{
    add(b, host, server, port, proto, true, flow_id, ts, bytes, flow_id);
}

void ta_beacon_conn_end(struct ta_beacon *b, const struct ta_addr *host,
                        const struct ta_addr *server, uint16_t port, uint8_t proto,
                        uint64_t flow_id)
{
    struct pair *p = pair_find(b, host, server, port, proto, true, flow_id);
    if (p != NULL && (p->n < b->o.min_conns || p->n < 3))
        pair_remove(b, p);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Quantile of a sorted array by linear interpolation. */
static double quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double frac = pos - (double)i;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * frac;
}

/* Skew and MAD/median scores of the values in v (sorted in place; v reused). */
static void dispersion(double *v, size_t n, double *skew_score, double *madm_score, double *median)
{
    qsort(v, n, sizeof(*v), cmp_double);
    double q1 = quantile(v, n, 0.25), q2 = quantile(v, n, 0.5), q3 = quantile(v, n, 0.75);
    double skew = 0.0;
    if (q3 != q1 && q2 != q1 && q2 != q3)
        skew = (q1 + q3 - 2.0 * q2) / (q3 - q1);
    *skew_score = 1.0 - fabs(skew);
    if (*skew_score < 0.0)
        *skew_score = 0.0;
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - q2);
    qsort(v, n, sizeof(*v), cmp_double);
    double mad = quantile(v, n, 0.5);
    double m = 0.0;
    if (q2 > 0.0)
        m = 1.0 - mad / q2;
    else if (mad == 0.0)
        m = 1.0; /* all zero: perfectly regular */
    *madm_score = m < 0.0 ? 0.0 : m > 1.0 ? 1.0 : m;
    *median = q2;
}

void ta_beacon_score_series(const ta_time_us *ts, const uint64_t *sizes, size_t n, double *scratch,
                            struct ta_beacon_score *out)
{
    memset(out, 0, sizeof(*out));
    out->conns = (uint32_t)n;
    if (n < 3)
        return;
    double *a = scratch, *d = scratch + n;
    for (size_t i = 0; i < n; i++)
        a[i] = (double)ts[i] / 1e6;
    qsort(a, n, sizeof(*a), cmp_double);
    double span = a[n - 1] - a[0];
    for (size_t i = 0; i + 1 < n; i++)
        d[i] = a[i + 1] - a[i];
    double med;
    dispersion(d, n - 1, &out->ts_skew, &out->ts_madm, &med);
    out->median_interval_s = med;
    if (med > 0.0) {
        double expected = span / med + 1.0;
        double c = (double)n / expected;
        out->ts_count = c > 1.0 ? 1.0 : c;
    }
    out->ts_score = (out->ts_skew + out->ts_madm + out->ts_count) / 3.0;

    for (size_t i = 0; i < n; i++)
        a[i] = (double)sizes[i];
    qsort(a, n, sizeof(*a), cmp_double);
    /* Mode of the sizes (smallest among equals). */
    double mode = a[0];
    size_t best = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && a[j] == a[i])
            j++;
        if (j - i > best) {
            best = j - i;
            mode = a[i];
        }
        i = j;
    }
    double small = 1.0 - mode / 65535.0;
    out->ds_small = small < 0.0 ? 0.0 : small;
    double dmed;
    dispersion(a, n, &out->ds_skew, &out->ds_madm, &dmed);
    out->ds_score = (out->ds_skew + out->ds_madm + out->ds_small) / 3.0;
    out->score = (out->ts_score + out->ds_score) / 2.0;
}

static int cmp_pair(const void *x, const void *y)
{
    const struct pair *a = *(const struct pair *const *)x, *b = *(const struct pair *const *)y;
    int c = ta_addr_cmp(&a->host, &b->host);
    if (c == 0)
        c = ta_addr_cmp(&a->server, &b->server);
    if (c == 0)
        c = (int)a->port - (int)b->port;
    if (c == 0)
        c = (int)a->proto - (int)b->proto;
    if (c == 0)
        c = (int)a->in_conn - (int)b->in_conn;
    if (c == 0)
        c = a->conn < b->conn ? -1 : a->conn > b->conn;
    return c;
}

/* Same (host, server, port, proto), whatever the connection. */
static bool same_route(const struct pair *a, const struct pair *b)
{
    return a->port == b->port && a->proto == b->proto && ta_addr_cmp(&a->host, &b->host) == 0 &&
           ta_addr_cmp(&a->server, &b->server) == 0;
}

static int cmp_server(const void *x, const void *y)
{
    const struct pair *a = *(const struct pair *const *)x, *b = *(const struct pair *const *)y;
    int c = ta_addr_cmp(&a->server, &b->server);
    if (c == 0)
        c = (int)a->port - (int)b->port;
    if (c == 0)
        c = (int)a->proto - (int)b->proto;
    return c;
}

static int cmp_host(const void *x, const void *y)
{
    const struct pair *a = *(const struct pair *const *)x, *b = *(const struct pair *const *)y;
    return ta_addr_cmp(&a->host, &b->host);
}

/* By server, then host. */
static int cmp_server_host(const void *x, const void *y)
{
    int c = cmp_server(x, y);
    return c != 0 ? c : cmp_host(x, y);
}

/*
 * Set every pair's server_hosts (the distinct hosts among the pairs sharing
 * its server key: a host has one pair per server and one per long
 * connection) and return the number of distinct hosts. v has room for every
 * pair.
 */
static uint64_t prevalence(struct ta_beacon *b, struct pair **v)
{
    size_t n = 0;
    for (struct pair *p = b->lhead; p != NULL; p = p->lnext)
        v[n++] = p;
    qsort(v, n, sizeof(*v), cmp_server_host);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint32_t distinct = 0;
        while (j < n && cmp_server(&v[i], &v[j]) == 0) {
            if (j == i || cmp_host(&v[j - 1], &v[j]) != 0)
                distinct++;
            j++;
        }
        for (size_t k = i; k < j; k++)
            v[k]->server_hosts = distinct;
        i = j;
    }
    qsort(v, n, sizeof(*v), cmp_host);
    uint64_t hosts = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cmp_host(&v[i - 1], &v[i]) != 0)
            hosts++;
    return hosts;
}

ta_err ta_beacon_report(struct ta_beacon *b, ta_beacon_fn fn, void *ud)
{
    size_t n = 0;
    for (struct pair *p = b->lhead; p != NULL; p = p->lnext)
        if (!p->reported && p->n >= b->o.min_conns && p->n >= 3)
            n++;
    if (n == 0)
        return TA_OK;
    struct pair **v = malloc((size_t)b->npairs * sizeof(*v));
    double *scratch = malloc(2 * (size_t)b->o.max_samples * sizeof(double));
    if (v == NULL || scratch == NULL) {
        free(v);
        free(scratch);
        return TA_ERR_NOMEM;
    }
    uint64_t hosts = prevalence(b, v);
    double prevalent = b->o.prevalence_ratio * (double)hosts;
    if (prevalent < (double)b->o.prevalence_min_hosts)
        prevalent = (double)b->o.prevalence_min_hosts;
    size_t k = 0;
    for (struct pair *p = b->lhead; p != NULL; p = p->lnext)
        if (!p->reported && p->n >= b->o.min_conns && p->n >= 3)
            v[k++] = p;
    qsort(v, n, sizeof(*v), cmp_pair);
    /* One report per route: connection starts first, then the first long connection. */
    const struct pair *last = NULL;
    for (size_t i = 0; i < n; i++) {
        struct pair *p = v[i];
        if (last != NULL && same_route(last, p))
            continue;
        struct ta_beacon_hit hit;
        ta_beacon_score_series(p->ts, p->sz, p->n, scratch, &hit.s);
        b->st.scored++;
        if (hit.s.median_interval_s < (double)b->o.min_interval_s ||
            hit.s.median_interval_s > (double)b->o.max_interval_s || hit.s.score < b->o.threshold)
            continue;
        if (b->o.prevalence_ratio > 0.0 && (double)p->server_hosts >= prevalent) {
            b->st.prevalent++;
            continue;
        }
        p->reported = true;
        last = p;
        hit.in_conn = p->in_conn;
        hit.host = p->host;
        hit.server = p->server;
        hit.port = p->port;
        hit.proto = p->proto;
        hit.first = p->first;
        hit.last = p->last;
        hit.last_flow_id = p->last_flow_id;
        b->st.reported++;
        fn(ud, &hit);
    }
    free(v);
    free(scratch);
    return TA_OK;
}

void ta_beacon_get_stats(const struct ta_beacon *b, struct ta_beacon_stats *st)
{
    *st = b->st;
    st->pairs = b->npairs;
}
