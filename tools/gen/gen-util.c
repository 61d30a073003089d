/*
 * threatatlas-gen shared pieces: PRNG, GeoIP-verified address drawing, the
 * time-sorting packet sink and payload builders. See gen.h.
 */
#include "gen.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"

#include "common/banned.h"

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "threatatlas-gen: out of memory\n");
        abort();
    }
    return q;
}

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void tg_rng_seed(struct tg_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tg_rng_u64(struct tg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

uint64_t tg_rng_below(struct tg_rng *r, uint64_t n)
{
    /* Multiply-shift; the bias for the small n used here is negligible. */
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)tg_rng_u64(r) * n) >> 64);
}

uint64_t tg_rng_range(struct tg_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + tg_rng_below(r, hi - lo + 1);
}

double tg_rng_unit(struct tg_rng *r)
{
    return (double)(tg_rng_u64(r) >> 11) * 0x1.0p-53;
}

void tg_rng_bytes(struct tg_rng *r, uint8_t *out, size_t n)
{
    while (n >= 8) {
        uint64_t v = tg_rng_u64(r);
        memcpy(out, &v, 8);
        out += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t v = tg_rng_u64(r);
        memcpy(out, &v, n);
    }
}

void tg_rng_alnum(struct tg_rng *r, char *out, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = al[tg_rng_below(r, i == 0 ? 26 : 36)];
}

/* ---- Geo ----------------------------------------------------------------- */

struct fallback_prefix {
    const char *cc;
    uint32_t net;
    uint8_t bits;
};

/* Used only without a database: large allocations well known to belong to
 * each country. Geolocation of drawn addresses is then unverified. */
static const struct fallback_prefix fallback[] = {
    {"CN", 0x24600000u, 11}, /* 36.96.0.0/11 */
    {"CN", 0x71400000u, 10}, /* 113.64.0.0/10 */
    {"US", 0x0c000000u, 8},  /* 12.0.0.0/8 */
    {"US", 0x18000000u, 8},  /* 24.0.0.0/8 (part) */
    {"RU", 0x5f180000u, 13}, /* 95.24.0.0/13 */
    {"NL", 0x91000000u, 12}, /* 145.0.0.0/12 */
    {"DE", 0x54800000u, 10}, /* 84.128.0.0/10 */
    {"KR", 0xd3200000u, 11}, /* 211.32.0.0/11 */
    {"JP", 0x7e000000u, 8},  /* 126.0.0.0/8 */
};

struct tg_geo {
    MMDB_s mmdb;
    bool have_db;
    uint32_t *set; /* open addressing, 0 = empty */
    size_t set_cap, set_len;
};

ta_err tg_geo_open(struct tg_geo **out, const char *path)
{
    struct tg_geo *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return TA_ERR_NOMEM;
    if (path != NULL) {
        if (MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb) != MMDB_SUCCESS) {
            free(g);
            return TA_ERR_FORMAT;
        }
        g->have_db = true;
    }
    g->set_cap = 1u << 16;
    g->set = calloc(g->set_cap, sizeof(uint32_t));
    if (g->set == NULL) {
        tg_geo_free(g);
        return TA_ERR_NOMEM;
    }
    *out = g;
    return TA_OK;
}

void tg_geo_free(struct tg_geo *g)
{
    if (g == NULL)
        return;
    if (g->have_db)
        MMDB_close(&g->mmdb);
    free(g->set);
    free(g);
}

bool tg_geo_verified(const struct tg_geo *g)
{
    return g->have_db;
}

/* The set is only asked "is it there", so any good mixer does. */
static size_t hash32(uint32_t x)
{
    return (size_t)ta_hash_mix64(x);
}

static bool set_has(const struct tg_geo *g, uint32_t ip)
{
    size_t m = g->set_cap - 1;
    for (size_t i = hash32(ip) & m;; i = (i + 1) & m) {
        if (g->set[i] == ip)
            return true;
        if (g->set[i] == 0)
            return false;
    }
}

void tg_geo_take(struct tg_geo *g, uint32_t ip)
{
    if (ip == 0 || set_has(g, ip))
        return;
    if ((g->set_len + 1) * 2 > g->set_cap) {
        size_t ncap = g->set_cap * 2;
        uint32_t *n = calloc(ncap, sizeof(uint32_t));
        if (n == NULL)
            abort();
        for (size_t i = 0; i < g->set_cap; i++) {
            uint32_t v = g->set[i];
            if (v == 0)
                continue;
            size_t j = hash32(v) & (ncap - 1);
            while (n[j] != 0)
                j = (j + 1) & (ncap - 1);
            n[j] = v;
        }
        free(g->set);
        g->set = n;
        g->set_cap = ncap;
    }
    size_t m = g->set_cap - 1;
    size_t i = hash32(ip) & m;
    while (g->set[i] != 0)
        i = (i + 1) & m;
    g->set[i] = ip;
    g->set_len++;
}

static bool special(uint32_t ip)
{
    uint8_t a = (uint8_t)(ip >> 24), b = (uint8_t)(ip >> 16), c = (uint8_t)(ip >> 8);
    uint8_t d = (uint8_t)ip;
    if (a == 0 || a == 10 || a == 127 || a >= 224)
        return true;
    if (a == 100 && (b & 0xc0) == 64)
        return true;
    if (a == 169 && b == 254)
        return true;
    if (a == 172 && (b & 0xf0) == 16)
        return true;
    if (a == 192 && (b == 168 || (b == 0 && (c == 0 || c == 2)) || (b == 88 && c == 99)))
        return true;
    if (a == 198 && ((b & 0xfe) == 18 || (b == 51 && c == 100)))
        return true;
    if (a == 203 && b == 0 && c == 113)
        return true;
    /* Network and broadcast-looking host parts make odd hosts. */
    return d == 0 || d == 255;
}

static bool lookup_cc(struct tg_geo *g, uint32_t ip, char cc[3])
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(ip);
    int merr = 0;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&g->mmdb, (const struct sockaddr *)&sin, &merr);
    if (merr != MMDB_SUCCESS || !res.found_entry)
        return false;
    MMDB_entry_data_s ed;
    if (MMDB_get_value(&res.entry, &ed, "country_code", NULL) != MMDB_SUCCESS || !ed.has_data ||
        ed.type != MMDB_DATA_TYPE_UTF8_STRING || ed.data_size != 2)
        return false;
    memcpy(cc, ed.utf8_string, 2);
    cc[2] = '\0';
    return true;
}

ta_err tg_geo_draw(struct tg_geo *g, struct tg_rng *r, const char *cc, uint32_t *ip)
{
    if (!g->have_db) {
        size_t idx[16], n = 0;
        for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]) && n < 16; i++)
            if (strcmp(fallback[i].cc, cc) == 0)
                idx[n++] = i;
        if (n == 0)
            return TA_ERR_NOTFOUND;
        for (int tries = 0; tries < 1000000; tries++) {
            const struct fallback_prefix *p = &fallback[idx[tg_rng_below(r, n)]];
            uint32_t v = p->net | (uint32_t)(tg_rng_u64(r) & ((1ull << (32 - p->bits)) - 1));
            if (special(v) || set_has(g, v))
                continue;
            tg_geo_take(g, v);
            *ip = v;
            return TA_OK;
        }
        return TA_ERR_LIMIT;
    }
    /* Rejection sampling over the whole space: a country with 1% of it
     * needs about a hundred lookups per address, which is cheap. */
    for (int tries = 0; tries < 10000000; tries++) {
        uint32_t v = (uint32_t)tg_rng_u64(r);
        char got[3];
        if (special(v) || !lookup_cc(g, v, got) || strcmp(got, cc) != 0 || set_has(g, v))
            continue;
        tg_geo_take(g, v);
        *ip = v;
        return TA_OK;
    }
    return TA_ERR_NOTFOUND;
}

void tg_ip4(struct ta_addr *a, uint32_t ip)
{
    uint8_t b[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip};
    ta_addr_set_v4(a, b);
}

char *tg_ip4_str(uint32_t ip, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

/* ---- Sink ---------------------------------------------------------------- */

struct sink_rec {
    ta_time_us ts;
    uint64_t seq;
    size_t off;
    uint32_t len;
};

struct tg_sink {
    struct tg_pcap *w;
    uint8_t *data;
    size_t dlen, dcap;
    struct sink_rec *rec;
    size_t n, cap;
    uint64_t seq;
    uint8_t *tmp;
    size_t tcap;
    uint64_t total;
    uint64_t shift; /* added to every timestamp as it is written */
};

void tg_sink_set_shift(struct tg_sink *s, uint64_t us)
{
    s->shift = us;
}

uint64_t tg_sink_total_bytes(const struct tg_sink *s)
{
    return s->total;
}

ta_err tg_sink_new(struct tg_sink **out, struct tg_pcap *w)
{
    struct tg_sink *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TA_ERR_NOMEM;
    s->w = w;
    *out = s;
    return TA_OK;
}

void tg_sink_free(struct tg_sink *s)
{
    if (s == NULL)
        return;
    free(s->data);
    free(s->rec);
    free(s->tmp);
    free(s);
}

void tg_sink_set_writer(struct tg_sink *s, struct tg_pcap *w)
{
    s->w = w;
}

ta_err tg_sink_emit(void *ctx, ta_time_us ts, const uint8_t *frame, size_t len)
{
    struct tg_sink *s = ctx;
    if (s->dlen + len > s->dcap) {
        s->dcap = (s->dcap + len) * 2;
        s->data = xrealloc(s->data, s->dcap);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->rec = xrealloc(s->rec, s->cap * sizeof(*s->rec));
    }
    memcpy(s->data + s->dlen, frame, len);
    s->rec[s->n++] = (struct sink_rec){ts, s->seq++, s->dlen, (uint32_t)len};
    s->dlen += len;
    s->total += 16 + len;
    return TA_OK;
}

static int rec_cmp(const void *a, const void *b)
{
    const struct sink_rec *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

ta_err tg_sink_flush(struct tg_sink *s, ta_time_us before)
{
    if (s->n == 0)
        return TA_OK;
    qsort(s->rec, s->n, sizeof(*s->rec), rec_cmp);
    size_t k = 0;
    while (k < s->n && s->rec[k].ts < before) {
        ta_err e =
            tg_pcap_write(s->w, s->rec[k].ts + s->shift, s->data + s->rec[k].off, s->rec[k].len);
        if (e != TA_OK)
            return e;
        k++;
    }
    if (k == 0)
        return TA_OK;
    /* Keep the rest, compacting their bytes to the front. */
    size_t rest = 0;
    for (size_t i = k; i < s->n; i++)
        rest += s->rec[i].len;
    if (rest > s->tcap) {
        s->tcap = rest * 2;
        s->tmp = xrealloc(s->tmp, s->tcap);
    }
    size_t o = 0;
    for (size_t i = k; i < s->n; i++) {
        memcpy(s->tmp + o, s->data + s->rec[i].off, s->rec[i].len);
        s->rec[i - k] = s->rec[i];
        s->rec[i - k].off = o;
        o += s->rec[i].len;
    }
    if (o > 0)
        memcpy(s->data, s->tmp, o);
    s->dlen = o;
    s->n -= k;
    return TA_OK;
}

/* ---- Buffers ----------------------------------------------------------- */

void tg_buf_reset(struct tg_buf *b)
{
    b->len = 0;
}

static void buf_grow(struct tg_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + n)
        nc *= 2;
    b->p = xrealloc(b->p, nc);
    b->cap = nc;
}

void tg_buf_put(struct tg_buf *b, const void *p, size_t n)
{
    buf_grow(b, n);
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void tg_buf_str(struct tg_buf *b, const char *s)
{
    tg_buf_put(b, s, strlen(s));
}

void tg_buf_printf(struct tg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_grow(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tg_buf_u8(struct tg_buf *b, uint8_t v)
{
    tg_buf_put(b, &v, 1);
}

void tg_buf_u16(struct tg_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    tg_buf_put(b, x, 2);
}

void tg_buf_u24(struct tg_buf *b, uint32_t v)
{
    uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    tg_buf_put(b, x, 3);
}

void tg_buf_release(struct tg_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void tg_buf_base64(struct tg_buf *b, const uint8_t *p, size_t n)
{
    /* libcrypto's encoder; it writes a NUL after the text, which the length leaves out. */
    size_t need = (n + 2) / 3 * 4;
    buf_grow(b, need + 1);
    int w = EVP_EncodeBlock(b->p + b->len, p, (int)n);
    b->len += w > 0 ? (size_t)w : 0;
}

void tg_buf_urlenc(struct tg_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '*') {
            tg_buf_u8(b, ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            tg_buf_put(b, e, 3);
        }
    }
}

/* ---- DNS ----------------------------------------------------------------- */

void tg_dns_msg(struct tg_buf *b, uint16_t id, const char *name, uint16_t qtype, bool response,
                uint32_t answer_ip, uint32_t ttl)
{
    tg_buf_u16(b, id);
    tg_buf_u16(b, response ? 0x8180 : 0x0100);
    tg_buf_u16(b, 1);
    tg_buf_u16(b, response && answer_ip ? 1 : 0);
    tg_buf_u16(b, 0);
    tg_buf_u16(b, 0);
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        tg_buf_u8(b, (uint8_t)l);
        tg_buf_put(b, p, l);
        p += l;
        if (*p == '.')
            p++;
    }
    tg_buf_u8(b, 0);
    tg_buf_u16(b, qtype);
    tg_buf_u16(b, 1);
    if (response && answer_ip) {
        tg_buf_u16(b, 0xc00c);
        tg_buf_u16(b, 1);
        tg_buf_u16(b, 1);
        tg_buf_u16(b, (uint16_t)(ttl >> 16));
        tg_buf_u16(b, (uint16_t)ttl);
        tg_buf_u16(b, 4);
        tg_buf_u16(b, (uint16_t)(answer_ip >> 16));
        tg_buf_u16(b, (uint16_t)answer_ip);
    }
}

/* ---- TLS ----------------------------------------------------------------- */

void tg_tls_client_hello(struct tg_buf *b, struct tg_rng *r, const char *sni)
{
    struct tg_buf ext = {0};
    if (sni != NULL) {
        size_t n = strlen(sni);
        tg_buf_u16(&ext, 0);                 /* server_name */
        tg_buf_u16(&ext, (uint16_t)(n + 5)); /* extension length */
        tg_buf_u16(&ext, (uint16_t)(n + 3)); /* list length */
        tg_buf_u8(&ext, 0);                  /* host_name */
        tg_buf_u16(&ext, (uint16_t)n);
        tg_buf_put(&ext, sni, n);
    }
    static const uint8_t rest[] = {
        0x00, 0x17, 0x00, 0x00,       /* extended master secret */
        0xff, 0x01, 0x00, 0x01, 0x00, /* renegotiation_info */
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19, /* groups */
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* ec_point_formats */
        0x00, 0x23, 0x00, 0x00,             /* session_ticket */
        0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h',  '2',  0x08, 'h',  't',
        't',  'p',  '/',  '1',  '.',  '1', /* ALPN */
        0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0c, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01,
        0x04, 0x03, 0x05, 0x03, 0x02, 0x01, /* signature_algorithms */
    };
    tg_buf_put(&ext, rest, sizeof(rest));
    static const uint16_t suites[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                                      0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    size_t ns = sizeof(suites) / sizeof(suites[0]);
    size_t body = 2 + 32 + 1 + 32 + 2 + 2 * ns + 2 + 2 + ext.len;
    tg_buf_u8(b, 0x16);
    tg_buf_u16(b, 0x0301);
    tg_buf_u16(b, (uint16_t)(body + 4));
    tg_buf_u8(b, 1);
    tg_buf_u24(b, (uint32_t)body);
    tg_buf_u16(b, 0x0303);
    uint8_t rnd[32];
    tg_rng_bytes(r, rnd, 32);
    tg_buf_put(b, rnd, 32);
    tg_buf_u8(b, 32);
    tg_rng_bytes(r, rnd, 32);
    tg_buf_put(b, rnd, 32);
    tg_buf_u16(b, (uint16_t)(2 * ns));
    for (size_t i = 0; i < ns; i++)
        tg_buf_u16(b, suites[i]);
    tg_buf_u8(b, 1);
    tg_buf_u8(b, 0);
    tg_buf_u16(b, (uint16_t)ext.len);
    tg_buf_put(b, ext.p, ext.len);
    tg_buf_release(&ext);
}

void tg_tls_server_hello(struct tg_buf *b, struct tg_rng *r)
{
    static const uint8_t ext[] = {0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00};
    size_t body = 2 + 32 + 1 + 32 + 2 + 1 + 2 + sizeof(ext);
    tg_buf_u8(b, 0x16);
    tg_buf_u16(b, 0x0303);
    tg_buf_u16(b, (uint16_t)(body + 4));
    tg_buf_u8(b, 2);
    tg_buf_u24(b, (uint32_t)body);
    tg_buf_u16(b, 0x0303);
    uint8_t rnd[32];
    tg_rng_bytes(r, rnd, 32);
    tg_buf_put(b, rnd, 32);
    tg_buf_u8(b, 32);
    tg_rng_bytes(r, rnd, 32);
    tg_buf_put(b, rnd, 32);
    tg_buf_u16(b, 0xc02f);
    tg_buf_u8(b, 0);
    tg_buf_u16(b, sizeof(ext));
    tg_buf_put(b, ext, sizeof(ext));
    /* ChangeCipherSpec and the encrypted Finished of a resumed session. */
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    tg_buf_put(b, ccs, sizeof(ccs));
    tg_buf_u8(b, 0x16);
    tg_buf_u16(b, 0x0303);
    tg_buf_u16(b, 40);
    uint8_t fin[40];
    tg_rng_bytes(r, fin, 40);
    tg_buf_put(b, fin, 40);
}

void tg_buf_random(struct tg_buf *b, struct tg_rng *r, size_t n)
{
    uint8_t tmp[512];
    while (n > 0) {
        size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
        tg_rng_bytes(r, tmp, k);
        tg_buf_put(b, tmp, k);
        n -= k;
    }
}

void tg_tls_appdata(struct tg_buf *b, struct tg_rng *r, size_t n)
{
    tg_buf_u8(b, 0x17);
    tg_buf_u16(b, 0x0303);
    tg_buf_u16(b, (uint16_t)n);
    tg_buf_random(b, r, n);
}

/* ---- Sessions -------------------------------------------------------- */

uint16_t tg_eph_port(struct tg_rng *r)
{
    return (uint16_t)tg_rng_range(r, 49152, 65535);
}

static void frame4(struct tg_frame *f, uint32_t src, uint32_t dst, uint8_t ttl, uint16_t id)
{
    memset(f, 0, sizeof(*f));
    f->linktype = TG_LINK_ETH;
    tg_ip4(&f->src, src);
    tg_ip4(&f->dst, dst);
    f->ttl = ttl;
    f->ip_id = id;
    f->df = true;
}

ta_err tg_emit_dns(struct tg_ctx *c, ta_time_us t, uint32_t client, uint32_t resolver,
                   const char *name, uint32_t answer, uint32_t rtt_us)
{
    uint8_t fr[1600];
    struct tg_frame f;
    uint16_t id = (uint16_t)tg_rng_u64(c->rng);
    uint16_t sp = tg_eph_port(c->rng);
    frame4(&f, client, resolver, 64, c->ip_id++);
    f.df = false;
    tg_buf_reset(&c->a);
    tg_dns_msg(&c->a, id, name, 1, false, 0, 0);
    size_t n = tg_build_udp(fr, sizeof(fr), &f, sp, 53, c->a.p, c->a.len);
    ta_err e = tg_sink_emit(c->sink, t, fr, n);
    if (e != TA_OK)
        return e;
    frame4(&f, resolver, client, 58, c->ip_id++);
    f.df = false;
    tg_buf_reset(&c->a);
    tg_dns_msg(&c->a, id, name, 1, true, answer, 300);
    n = tg_build_udp(fr, sizeof(fr), &f, 53, sp, c->a.p, c->a.len);
    return tg_sink_emit(c->sink, t + rtt_us, fr, n);
}

struct tg_tcp_sess *tg_tcp_start(struct tg_ctx *c, ta_time_us t, uint32_t client, uint32_t server,
                                 uint16_t sport, uint32_t rtt_us, uint8_t client_ttl,
                                 uint8_t server_ttl)
{
    struct tg_frame f;
    frame4(&f, client, server, client_ttl, (uint16_t)tg_rng_u64(c->rng));
    tg_tcp_sess_init(&c->sess, &f, tg_eph_port(c->rng), sport, t, rtt_us,
                     (uint32_t)tg_rng_u64(c->rng), (uint32_t)tg_rng_u64(c->rng), tg_sink_emit,
                     c->sink);
    c->sess.s2c.ttl = server_ttl;
    return &c->sess;
}
