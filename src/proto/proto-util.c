/*
 * App-layer utilities: the chunked arena, MD5 (RFC 1321) and SHA-1
 * (RFC 3174) written from the specifications (SHA-256 is threatatlas/hash.h),
 * counter names and the name tables used in EVE output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto-int.h"

#include "common/pool.h"
#include "common/sha256-int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TA_SHA1_X86 1
#include <immintrin.h>
#endif

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

/* ----- MD5, RFC 1321 ----- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void md5_block(uint32_t st[4], const uint8_t *blk)
{
    static const uint8_t sh[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                   5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                   4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                   6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    /* K[i] = floor(abs(sin(i + 1)) * 2^32), the table of RFC 1321 section 3.4. */
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
               (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f;
        unsigned g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol32(a + f + K[i] + m[g], sh[i]);
        a = t;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
}

/* Merkle-Damgard padding shared by the three hashes; be = big-endian length. */
static void md_run(const uint8_t *data, size_t len, bool be,
                   void (*blk)(uint32_t *, const uint8_t *), uint32_t *st)
{
    size_t i = 0;
    for (; len - i >= 64; i += 64)
        blk(st, data + i);
    uint8_t tail[128];
    size_t r = len - i;
    memcpy(tail, data + i, r);
    tail[r++] = 0x80;
    size_t tl = r <= 56 ? 64 : 128;
    memset(tail + r, 0, tl - r);
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) {
        uint8_t v = (uint8_t)(bits >> (8 * k));
        if (be)
            tail[tl - 1 - k] = v;
        else
            tail[tl - 8 + k] = v;
    }
    blk(st, tail);
    if (tl == 128)
        blk(st, tail + 64);
}

void ta__md5(const uint8_t *data, size_t len, uint8_t out[16])
{
    uint32_t st[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    md_run(data, len, false, md5_block, st);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(st[i] >> (8 * k));
}

/* ----- SHA-1, RFC 3174 ----- */

static void sha1_block(uint32_t st[5], const uint8_t *blk)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = rd32(blk + 4 * i);
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    /* Four loops of 20 rounds, one per round function, so the loop body has no branch. */
#define SHA1_ROUNDS(from, f, k)                                                                    \
    for (int i = (from); i < (from) + 20; i++) {                                                   \
        uint32_t t = rol32(a, 5) + (f) + e + (k) + w[i];                                           \
        e = d;                                                                                     \
        d = c;                                                                                     \
        c = rol32(b, 30);                                                                          \
        b = a;                                                                                     \
        a = t;                                                                                     \
    }
    SHA1_ROUNDS(0, (b & c) | (~b & d), 0x5a827999u)
    SHA1_ROUNDS(20, b ^ c ^ d, 0x6ed9eba1u)
    SHA1_ROUNDS(40, (b & c) | (b & d) | (c & d), 0x8f1bbcdcu)
    SHA1_ROUNDS(60, b ^ c ^ d, 0xca62c1d6u)
#undef SHA1_ROUNDS
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
}

#ifdef TA_SHA1_X86
/*
 * One block with the SHA extensions (the CPUs that have them for SHA-256,
 * see common/sha256.c, have them for SHA-1). Each sha1rnds4 does four
 * rounds with round function f; the E input carries W[t] + E of the first
 * of them in its top lane, and sha1nexte derives the next group's E from
 * the A of the group before. Message words are kept four to a register,
 * W[t] in the top lane; M[g+4] = msg2(msg1(M[g], M[g+1]) ^ M[g+2], M[g+3]).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha1_block_shani(uint32_t st[5],
                                                                         const uint8_t *blk)
{
    const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)st), 0x1B);
    __m128i e0 = _mm_set_epi32((int)st[4], 0, 0, 0);
    const __m128i abcd0 = abcd, e00 = e0;
    __m128i m[4];
    for (int i = 0; i < 4; i++)
        m[i] =
            _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(blk + 16 * i)), bswap);
    __m128i e = _mm_add_epi32(e0, m[0]);
    __m128i prev;
#define SHA1_GROUP(g, f)                                                                           \
    do {                                                                                           \
        prev = abcd;                                                                               \
        abcd = _mm_sha1rnds4_epu32(abcd, e, f);                                                    \
        if ((g) < 16)                                                                              \
            m[(g)&3] = _mm_sha1msg2_epu32(                                                         \
                _mm_xor_si128(_mm_sha1msg1_epu32(m[(g)&3], m[((g) + 1) & 3]), m[((g) + 2) & 3]),   \
                m[((g) + 3) & 3]);                                                                 \
        if ((g) < 19)                                                                              \
            e = _mm_sha1nexte_epu32(prev, m[((g) + 1) & 3]);                                       \
    } while (0)
    SHA1_GROUP(0, 0);
    SHA1_GROUP(1, 0);
    SHA1_GROUP(2, 0);
    SHA1_GROUP(3, 0);
    SHA1_GROUP(4, 0);
    SHA1_GROUP(5, 1);
    SHA1_GROUP(6, 1);
    SHA1_GROUP(7, 1);
    SHA1_GROUP(8, 1);
    SHA1_GROUP(9, 1);
    SHA1_GROUP(10, 2);
    SHA1_GROUP(11, 2);
    SHA1_GROUP(12, 2);
    SHA1_GROUP(13, 2);
    SHA1_GROUP(14, 2);
    SHA1_GROUP(15, 3);
    SHA1_GROUP(16, 3);
    SHA1_GROUP(17, 3);
    SHA1_GROUP(18, 3);
    SHA1_GROUP(19, 3);
#undef SHA1_GROUP
    e0 = _mm_sha1nexte_epu32(prev, e00);
    abcd = _mm_add_epi32(abcd, abcd0);
    _mm_storeu_si128((__m128i *)(void *)st, _mm_shuffle_epi32(abcd, 0x1B));
    st[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#endif

void ta__sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
    uint32_t st[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
#ifdef TA_SHA1_X86
    if (ta__sha256_accelerated())
        md_run(data, len, true, sha1_block_shani, st);
    else
#endif
        md_run(data, len, true, sha1_block, st);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(st[i] >> (24 - 8 * k));
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
