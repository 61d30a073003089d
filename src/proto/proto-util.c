/*
 * App-layer utilities: the chunked arena, hex, counter names and the name
 * tables used in EVE output. Digests are threatatlas/hash.h (libcrypto).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto-int.h"

#include "common/pool.h"

#include "common/banned.h"

/* ----- arena ----- */

struct ta__arena_blk {
    struct ta__arena_blk *next;
    size_t cap, len;
    _Alignas(8) uint8_t data[];
};

#define ARENA_BLK 4096u

size_t ta__arena_block_size(void)
{
    return sizeof(struct ta__arena_blk) + ARENA_BLK;
}

uint64_t ta__alloc_cost(uint64_t n)
{
    /* glibc on 64-bit: an 8-byte header, 16-byte granules, 32 bytes at least. */
    n = (n + sizeof(size_t) + 15) & ~(uint64_t)15;
    return n < 32 ? 32 : n;
}

bool ta__app_charge(struct ta_proto *p, size_t n)
{
    uint64_t c = ta__alloc_cost(n);
    if (p->app_mem + c > p->o.app_memcap) {
        p->c[TA_PC_APP_MEMCAP_DROPS]++;
        return false;
    }
    p->app_mem += c;
    return true;
}

void ta__app_uncharge(struct ta_proto *p, size_t n)
{
    p->app_mem -= ta__alloc_cost(n);
}

void *ta__app_malloc(struct ta_proto *p, size_t n)
{
    if (!ta__app_charge(p, n))
        return NULL;
    void *x = malloc(n);
    if (x == NULL)
        ta__app_uncharge(p, n);
    return x;
}

void *ta__app_calloc(struct ta_proto *p, size_t n)
{
    if (!ta__app_charge(p, n))
        return NULL;
    void *x = calloc(1, n);
    if (x == NULL)
        ta__app_uncharge(p, n);
    return x;
}

void *ta__app_realloc(struct ta_proto *p, void *x, size_t old, size_t n)
{
    if (x == NULL)
        old = 0;
    uint64_t oc = old ? ta__alloc_cost(old) : 0, nc = ta__alloc_cost(n);
    if (nc > oc && p->app_mem + (nc - oc) > p->o.app_memcap) {
        p->c[TA_PC_APP_MEMCAP_DROPS]++;
        return NULL;
    }
    void *y = realloc(x, n);
    if (y == NULL)
        return NULL;
    p->app_mem = p->app_mem - oc + nc;
    return y;
}

void ta__app_free(struct ta_proto *p, void *x, size_t n)
{
    if (x == NULL)
        return;
    ta__app_uncharge(p, n);
    free(x);
}

void *ta__app_pool_get(struct ta_proto *p, struct ta_pool *pool)
{
    if (!ta__app_charge(p, pool->size))
        return NULL;
    void *x = ta_pool_get(pool);
    if (x == NULL)
        ta__app_uncharge(p, pool->size);
    return x;
}

void ta__app_pool_put(struct ta_proto *p, struct ta_pool *pool, void *x)
{
    if (x == NULL)
        return;
    ta__app_uncharge(p, pool->size);
    ta_pool_put(pool, x);
}

static void blk_free(struct ta__arena *a, struct ta__arena_blk *b)
{
    if (a->acct != NULL)
        ta__app_uncharge(a->acct, sizeof(*b) + b->cap);
    if (a->pool != NULL && b->cap == ARENA_BLK)
        ta_pool_put(a->pool, b);
    else
        free(b);
}

void ta__arena_init_pooled(struct ta__arena *a, size_t max, struct ta_pool *pool)
{
    ta__arena_init(a, max);
    a->pool = pool;
}

void ta__arena_init(struct ta__arena *a, size_t max)
{
    a->acct = NULL;
    a->pool = NULL;
    a->head = NULL;
    a->used = 0;
    a->max = max;
    a->blk = ARENA_BLK;
}

void ta__arena_reset(struct ta__arena *a)
{
    /* Keep the newest block (most likely the largest) for reuse. */
    if (a->head != NULL) {
        struct ta__arena_blk *b = a->head->next;
        while (b != NULL) {
            struct ta__arena_blk *n = b->next;
            blk_free(a, b);
            b = n;
        }
        a->head->next = NULL;
        a->head->len = 0;
    }
    a->used = 0;
}

void ta__arena_release(struct ta__arena *a)
{
    struct ta__arena_blk *b = a->head;
    while (b != NULL) {
        struct ta__arena_blk *n = b->next;
        blk_free(a, b);
        b = n;
    }
    a->head = NULL;
    a->used = 0;
}

void *ta__arena_alloc(struct ta__arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n == 0)
        n = 8;
    if (n > a->max || a->used > a->max - n)
        return NULL;
    struct ta__arena_blk *b = a->head;
    if (b == NULL || b->cap - b->len < n) {
        size_t cap = n > a->blk ? n : a->blk;
        if (a->acct != NULL && !ta__app_charge(a->acct, sizeof(struct ta__arena_blk) + cap))
            return NULL;
        struct ta__arena_blk *nb =
            a->pool != NULL && cap == ARENA_BLK ? ta_pool_get(a->pool) : malloc(sizeof(*nb) + cap);
        if (nb == NULL) {
            if (a->acct != NULL)
                ta__app_uncharge(a->acct, sizeof(struct ta__arena_blk) + cap);
            return NULL;
        }
        nb->cap = cap;
        nb->len = 0;
        nb->next = a->head;
        a->head = nb;
        b = nb;
    }
    void *r = b->data + b->len;
    b->len += n;
    a->used += n;
    return r;
}

struct ta_str ta__str(struct ta_proto *p, struct ta__arena *a, const void *s, size_t n, size_t max)
{
    struct ta_str r = {NULL, 0};
    if (n > max) {
        n = max;
        p->c[TA_PC_STRING_TRUNCATED]++;
    }
    char *d = ta__arena_alloc(a, n + 1);
    if (d == NULL) {
        p->c[TA_PC_STRING_TRUNCATED]++;
        return r;
    }
    if (n > 0)
        memcpy(d, s, n);
    d[n] = '\0';
    r.ptr = d;
    r.len = (uint32_t)n;
    return r;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint32_t min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        need = 2;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        need = 3;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        need = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    uint32_t cp = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* Append bytes to out (cap outcap) escaping invalid UTF-8; returns new length. */
size_t ta__safe_append(char *out, size_t olen, size_t outcap, const uint8_t *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n && olen < outcap) {
        /* Runs of ASCII, the usual content, are copied without per-byte decoding. */
        if (s[i] < 0x80) {
            size_t m = n - i < outcap - olen ? n - i : outcap - olen;
            size_t r = 0;
            for (uint64_t w; r + 8 <= m; r += 8) { /* eight ASCII bytes at a time */
                memcpy(&w, s + i + r, 8);
                if (w & 0x8080808080808080ull)
                    break;
                memcpy(out + olen + r, &w, 8);
            }
            while (r < m && s[i + r] < 0x80) {
                out[olen + r] = (char)s[i + r];
                r++;
            }
            olen += r;
            i += r;
            continue;
        }
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0) {
            if (outcap - olen < 4)
                break;
            out[olen] = '\\';
            out[olen + 1] = 'x';
            out[olen + 2] = hx[s[i] >> 4];
            out[olen + 3] = hx[s[i] & 15];
            olen += 4;
            i++;
        } else {
            if (outcap - olen < k)
                break;
            memcpy(out + olen, s + i, k);
            olen += k;
            i += k;
        }
    }
    return olen;
}

void ta__hex(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ----- names ----- */

static const char *const counter_names[] = {
#define TA__PC_NAME(id, name) name,
    TA_PROTO_COUNTERS(TA__PC_NAME)
#undef TA__PC_NAME
};

size_t ta_proto_counter_count(void)
{
    return TA_PC__COUNT;
}

const char *ta_proto_counter_name(size_t i)
{
    return i < TA_PC__COUNT ? counter_names[i] : NULL;
}

void ta_proto_absorb(struct ta_proto *dst, const struct ta_proto *src)
{
    for (size_t i = 0; i < TA_PC__COUNT; i++)
        dst->c[i] += src->c[i];
}

uint64_t ta_proto_counter(const struct ta_proto *p, size_t i)
{
    return i < TA_PC__COUNT ? p->c[i] : 0;
}

const char *ta_dns_rcode_name(uint8_t rcode)
{
    static const char *const n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
    return rcode < sizeof(n) / sizeof(n[0]) ? n[rcode] : NULL;
}

const char *ta_dns_rrtype_name(uint16_t t)
{
    /* Suricata's dns_rrtype_string() names. */
    static const struct {
        uint16_t t;
        const char *n;
    } tab[] = {{1, "A"},      {2, "NS"},        {3, "MD"},          {4, "MF"},     {5, "CNAME"},
               {6, "SOA"},    {7, "MB"},        {8, "MG"},          {9, "MR"},     {10, "NULL"},
               {11, "WKS"},   {12, "PTR"},      {13, "HINFO"},      {14, "MINFO"}, {15, "MX"},
               {16, "TXT"},   {17, "RP"},       {18, "AFSDB"},      {19, "X25"},   {20, "ISDN"},
               {21, "RT"},    {22, "NSAP"},     {23, "NSAPPTR"},    {24, "SIG"},   {25, "KEY"},
               {26, "PX"},    {27, "GPOS"},     {28, "AAAA"},       {29, "LOC"},   {30, "NXT"},
               {33, "SRV"},   {34, "ATMA"},     {35, "NAPTR"},      {36, "KX"},    {37, "CERT"},
               {38, "A6"},    {39, "DNAME"},    {41, "OPT"},        {42, "APL"},   {43, "DS"},
               {44, "SSHFP"}, {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},  {48, "DNSKEY"},
               {49, "DHCID"}, {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},  {55, "HIP"},
               {59, "CDS"},   {60, "CDNSKEY"},  {64, "SVCB"},       {65, "HTTPS"}, {99, "SPF"},
               {249, "TKEY"}, {250, "TSIG"},    {253, "MAILA"},     {255, "ANY"},  {256, "URI"}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].t == t)
            return tab[i].n;
    return NULL;
}

const char *ta_tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0200:
        return "SSLv2";
    case 0x0300:
        return "SSLv3";
    case 0x0301:
        return "TLSv1";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    default:
        return "UNDETERMINED";
    }
}

struct ta_str ta__str_safe(struct ta_proto *p, struct ta__arena *a, const void *s, size_t n,
                           size_t max)
{
    char buf[4096];
    char *out = buf;
    size_t cap = max < n * 4 ? max : n * 4;
    if (cap > sizeof(buf)) {
        out = malloc(cap);
        if (out == NULL) {
            p->c[TA_PC_APP_NOMEM]++;
            struct ta_str none = {NULL, 0};
            return none;
        }
    }
    size_t len = ta__safe_append(out, 0, cap, s, n);
    if (len < n && cap == max)
        p->c[TA_PC_STRING_TRUNCATED]++;
    struct ta_str r = ta__str(p, a, out, len, max);
    if (out != buf)
        free(out);
    return r;
}
