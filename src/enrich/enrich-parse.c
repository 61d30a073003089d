/*
 * Enrichment input parsing: the ASN CSV ranges, the overrides and home-nets
 * CIDR files, the AS-name string pool and the interval-list helpers that
 * turn each source into sorted disjoint ranges (see enrich-internal.h).
 *
 * All of these read untrusted text through explicit lengths; nothing here
 * relies on NUL termination of the input.
 */
#include "enrich/enrich-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/csv.h"

#include "common/banned.h"

void ta__geo_ivlist_free(struct ta__geo_ivlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

ta_err ta__geo_ivlist_push(struct ta__geo_ivlist *l, ta__u128 lo, ta__u128 hi, uint32_t cc,
                           uint32_t asn, uint32_t name)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        struct ta__geo_iv *nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL)
            return TA_ERR_NOMEM;
        l->v = nv;
        l->cap = nc;
    }
    struct ta__geo_iv *e = &l->v[l->n];
    e->lo = lo;
    e->hi = hi;
    e->cc = cc;
    e->asn = asn;
    e->name = name;
    e->seq = (uint32_t)l->n;
    l->n++;
    return TA_OK;
}

static int cmp_start(const void *pa, const void *pb)
{
    const struct ta__geo_iv *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

/* Larger networks first at equal start, then input order. */
static int cmp_cidr(const void *pa, const void *pb)
{
    const struct ta__geo_iv *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi > b->hi ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

static bool same_value(const struct ta__geo_iv *a, const struct ta__geo_iv *b)
{
    return a->cc == b->cc && a->asn == b->asn && a->name == b->name;
}

/* Byte k (0 = least significant) of the sort key of one radix pass. */
static inline unsigned key_byte(const struct ta__geo_iv *e, bool hi_desc, unsigned k)
{
    ta__u128 x = hi_desc ? ~e->hi : e->lo;
    return (unsigned)(x >> (8 * k)) & 0xffu;
}

/*
 * Stable LSD radix sort by lo (by_cidr: by lo, then hi descending), one
 * byte a pass; passes whose byte is the same in every element are skipped,
 * so IPv4 keys cost at most 4 passes (8 for CIDRs). Stability keeps input
 * order for ties, which is seq order when the list is still in push order.
 */
static ta_err radix_sort(struct ta__geo_ivlist *l, bool by_cidr)
{
    struct ta__geo_iv *tmp = malloc(l->n * sizeof(*tmp));
    if (tmp == NULL)
        return TA_ERR_NOMEM;
    struct ta__geo_iv *src = l->v, *dst = tmp;
    for (int field = by_cidr ? 0 : 1; field < 2; field++) {
        bool hi_desc = field == 0;
        for (unsigned k = 0; k < 16; k++) {
            size_t count[256] = {0};
            for (size_t i = 0; i < l->n; i++)
                count[key_byte(&src[i], hi_desc, k)]++;
            if (count[key_byte(&src[0], hi_desc, k)] == l->n)
                continue;
            size_t pos = 0;
            for (unsigned b = 0; b < 256; b++) {
                size_t c = count[b];
                count[b] = pos;
                pos += c;
            }
            for (size_t i = 0; i < l->n; i++)
                dst[count[key_byte(&src[i], hi_desc, k)]++] = src[i];
            struct ta__geo_iv *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != l->v)
        memcpy(l->v, src, l->n * sizeof(*tmp));
    free(tmp);
    return TA_OK;
}

ta_err ta__geo_ivlist_sort(struct ta__geo_ivlist *l, bool by_cidr)
{
    if (l->n == 0)
        return TA_OK;
    int (*cmp)(const void *, const void *) = by_cidr ? cmp_cidr : cmp_start;
    bool sorted = true, push_order = l->v[0].seq == 0;
    for (size_t i = 1; i < l->n && (sorted || push_order); i++) {
        if (sorted && cmp(&l->v[i - 1], &l->v[i]) > 0)
            sorted = false;
        if (l->v[i].seq != i)
            push_order = false;
    }
    if (sorted)
        return TA_OK;
    if (push_order)
        return radix_sort(l, by_cidr);
    qsort(l->v, l->n, sizeof(l->v[0]), cmp);
    return TA_OK;
}

ta_err ta__geo_ivlist_disjoint(struct ta__geo_ivlist *l)
{
    if (l->n == 0)
        return TA_OK;
    ta_err err = ta__geo_ivlist_sort(l, false);
    if (err != TA_OK)
        return err;
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct ta__geo_iv e = l->v[i];
        if (e.hi < e.lo)
            continue;
        if (w > 0) {
            struct ta__geo_iv *p = &l->v[w - 1];
            if (e.lo <= p->hi) {
                if (e.hi <= p->hi)
                    continue;
                e.lo = p->hi + 1;
            }
            if (p->hi + 1 == e.lo && same_value(p, &e)) {
                p->hi = e.hi;
                continue;
            }
        }
        l->v[w++] = e;
    }
    l->n = w;
    return TA_OK;
}

static ta_err emit(struct ta__geo_ivlist *out, ta__u128 lo, ta__u128 hi,
                   const struct ta__geo_iv *src)
{
    if (out->n > 0) {
        struct ta__geo_iv *p = &out->v[out->n - 1];
        if (p->hi + 1 == lo && same_value(p, src)) {
            p->hi = hi;
            return TA_OK;
        }
    }
    return ta__geo_ivlist_push(out, lo, hi, src->cc, src->asn, src->name);
}

ta_err ta__geo_ivlist_flatten_cidrs(struct ta__geo_ivlist *l)
{
    if (l->n == 0)
        return TA_OK;
    ta_err err = ta__geo_ivlist_sort(l, true);
    if (err != TA_OK)
        return err;
    /* A CIDR family nests at most 129 deep. */
    size_t stack[130];
    size_t sp = 0;
    struct ta__geo_ivlist out = {0};
    ta__u128 cur = 0;
    bool cur_done = false; /* cur wrapped past the top of the key space */
    for (size_t i = 0; i <= l->n && err == TA_OK; i++) {
        const struct ta__geo_iv *e = i < l->n ? &l->v[i] : NULL;
        /* Close every open network that ends before e starts. */
        while (sp > 0 && (e == NULL || l->v[stack[sp - 1]].hi < e->lo)) {
            const struct ta__geo_iv *t = &l->v[stack[--sp]];
            if (!cur_done && cur <= t->hi) {
                err = emit(&out, cur, t->hi, t);
                if (err != TA_OK)
                    break;
                cur = t->hi + 1;
                cur_done = cur == 0;
            }
        }
        if (e == NULL || err != TA_OK)
            break;
        if (e->lo > e->hi)
            continue;
        if (sp > 0) {
            const struct ta__geo_iv *t = &l->v[stack[sp - 1]];
            if (!cur_done && cur < e->lo) {
                err = emit(&out, cur, e->lo - 1, t);
                if (err != TA_OK)
                    break;
            }
        }
        /* After sorting, a network that is not inside the open one can only
         * be a repeat of it: the later one wins, in place, so repeats never
         * deepen the stack. Distinct nested CIDRs have distinct prefix
         * lengths, hence at most 129 levels. */
        if (sp > 0 && l->v[stack[sp - 1]].lo == e->lo && l->v[stack[sp - 1]].hi == e->hi) {
            stack[sp - 1] = i;
            continue;
        }
        if (sp == sizeof(stack) / sizeof(stack[0])) {
            err = TA_ERR_LIMIT; /* not CIDRs: ranges nesting deeper than any CIDR family */
            break;
        }
        cur = e->lo;
        cur_done = false;
        stack[sp++] = i;
    }
    if (err != TA_OK) {
        ta__geo_ivlist_free(&out);
        return err;
    }
    ta__geo_ivlist_free(l);
    *l = out;
    return TA_OK;
}

/* ---- string pool ---- */

ta_err ta__geo_pool_init(struct ta__geo_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->cap = 4096;
    p->buf = malloc(p->cap);
    if (p->buf == NULL || ta_strset_init(&p->set) != TA_OK) {
        ta__geo_pool_release(p);
        return TA_ERR_NOMEM;
    }
    p->buf[0] = '\0';
    p->len = 1;
    return TA_OK;
}

void ta__geo_pool_release(struct ta__geo_pool *p)
{
    free(p->buf);
    ta_strset_release(&p->set);
    memset(p, 0, sizeof(*p));
}

ta_err ta__geo_pool_intern(struct ta__geo_pool *p, const char *s, size_t n, uint32_t *off)
{
    const char *nul = memchr(s, '\0', n);
    if (nul != NULL)
        n = (size_t)(nul - s);
    if (n == 0) {
        *off = 0;
        return TA_OK;
    }
    uint32_t h;
    if (ta_strset_find(&p->set, p->buf, p->len, s, n, &h, off))
        return TA_OK;
    if (p->len + n + 1 > UINT32_MAX - 1)
        return TA_ERR_LIMIT;
    if (p->len + n + 1 > p->cap) {
        size_t nc = p->cap;
        while (p->len + n + 1 > nc)
            nc *= 2;
        char *nb = realloc(p->buf, nc);
        if (nb == NULL)
            return TA_ERR_NOMEM;
        p->buf = nb;
        p->cap = nc;
    }
    ta_err err = ta_strset_put(&p->set, h, (uint32_t)p->len);
    if (err != TA_OK)
        return err;
    *off = (uint32_t)p->len;
    memcpy(p->buf + p->len, s, n);
    p->buf[p->len + n] = '\0';
    p->len += n + 1;
    return TA_OK;
}

/* ---- addresses ---- */

/*
 * Dotted-quad fast path: accepts only what inet_pton(AF_INET) accepts (four
 * decimal octets <= 255 without leading zeros), with the same value;
 * anything else goes to inet_pton.
 */
static bool parse_v4_fast(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t d0 = i;
        unsigned o = 0;
        while (i < n && i - d0 < 3 && s[i] >= '0' && s[i] <= '9')
            o = o * 10 + (unsigned)(s[i++] - '0');
        if (i == d0 || o > 255 || (i - d0 > 1 && s[d0] == '0'))
            return false;
        v = v << 8 | o;
    }
    if (i != n)
        return false;
    *out = v;
    return true;
}

bool ta__geo_parse_addr(const char *s, size_t n, ta__u128 *key, bool *is_v4)
{
    uint32_t v4;
    if (parse_v4_fast(s, n, &v4)) {
        *key = v4;
        *is_v4 = true;
        return true;
    }
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    uint8_t b[16];
    if (inet_pton(AF_INET, tmp, b) == 1) {
        *key = (ta__u128)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
        *is_v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, b) == 1) {
        ta__u128 k = 0;
        for (int i = 0; i < 16; i++)
            k = k << 8 | b[i];
        *key = k;
        *is_v4 = false;
        return true;
    }
    return false;
}

static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* ---- ASN CSV ---- */

#define ASN_FIELDS    4
#define ASN_FIELD_MAX 256

ta_err ta__geo_asn_csv_parse(const char *buf, size_t len, size_t max_rows,
                             struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                             struct ta__geo_pool *pool, uint64_t *rows, uint64_t *malformed)
{
    size_t off = 0;
    while (off < len) {
        const char *line = buf + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t n = nl ? (size_t)(nl - line) : len - off;
        off += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0 || line[0] == '#')
            continue;
        if (*rows >= max_rows)
            return TA_ERR_LIMIT;
        /* Every field fits: the text of a line is never longer than the line. */
        char stack[1024], *fb = stack;
        size_t fbcap = n + ASN_FIELDS + 1;
        if (fbcap > sizeof(stack)) {
            fb = malloc(fbcap);
            if (fb == NULL)
                return TA_ERR_NOMEM;
        } else {
            fbcap = sizeof(stack);
        }
        const char *f[ASN_FIELDS + 1];
        size_t fl[ASN_FIELDS + 1];
        int nf = ta_csv_split(line, n, TA_CSV_STRICT_QUOTE, fb, fbcap, f, fl, ASN_FIELDS + 1);
        /* start,end,asn[,name]: a missing name is empty, and one trailing comma
         * after the name is tolerated; an empty third field is not. */
        bool ok = nf == ASN_FIELDS || (nf == ASN_FIELDS - 1 && line[n - 1] != ',') ||
                  (nf == ASN_FIELDS + 1 && line[n - 1] == ',');
        if (nf == ASN_FIELDS - 1) {
            f[3] = "";
            fl[3] = 0;
        }
        /* Longer fields were cut at ASN_FIELD_MAX bytes, a name included. */
        for (int k = 0; ok && k < ASN_FIELDS; k++)
            if (fl[k] > ASN_FIELD_MAX)
                fl[k] = ASN_FIELD_MAX;
        ta__u128 lo, hi;
        bool lo4, hi4;
        uint32_t asn = 0;
        if (!ok || !ta__geo_parse_addr(f[0], fl[0], &lo, &lo4) ||
            !ta__geo_parse_addr(f[1], fl[1], &hi, &hi4) || lo4 != hi4 || hi < lo ||
            !parse_u32(f[2], fl[2], &asn)) {
            if (fb != stack)
                free(fb);
            (*malformed)++;
            continue;
        }
        uint32_t name = 0;
        ta_err err = ta__geo_pool_intern(pool, f[3], fl[3], &name);
        if (err == TA_OK)
            err = ta__geo_ivlist_push(lo4 ? v4 : v6, lo, hi, 0, asn, name);
        if (fb != stack)
            free(fb);
        if (err != TA_OK)
            return err;
        (*rows)++;
    }
    return TA_OK;
}

/* ---- CIDR files ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Next whitespace-separated token of line[0..n) from *pos. */
static bool next_token(const char *line, size_t n, size_t *pos, const char **tok, size_t *tl)
{
    size_t i = *pos;
    while (i < n && is_space(line[i]))
        i++;
    if (i >= n)
        return false;
    size_t s = i;
    while (i < n && !is_space(line[i]))
        i++;
    *tok = line + s;
    *tl = i - s;
    *pos = i;
    return true;
}

static bool parse_cidr(const char *s, size_t n, ta__u128 *lo, ta__u128 *hi, bool *is_v4)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (!ta__geo_parse_addr(s, an, lo, is_v4))
        return false;
    unsigned bits = *is_v4 ? 32 : 128;
    uint32_t plen = bits;
    if (slash != NULL && !parse_u32(slash + 1, n - an - 1, &plen))
        return false;
    if (plen > bits)
        return false;
    unsigned host = bits - (unsigned)plen;
    ta__u128 mask = host == 128 ? ~(ta__u128)0 : (((ta__u128)1 << host) - 1);
    if ((*lo & mask) != 0)
        return false; /* host bits set: almost always a typo */
    *hi = *lo | mask;
    return true;
}

static bool parse_cc(const char *s, size_t n, uint32_t *cc)
{
    if (n == 1 && s[0] == '-') {
        *cc = 0;
        return true;
    }
    if (n != 2)
        return false;
    char a = s[0], b = s[1];
    if (a >= 'a' && a <= 'z')
        a = (char)(a - 32);
    if (b >= 'a' && b <= 'z')
        b = (char)(b - 32);
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
        return false;
    *cc = ta__geo_cc_pack(a, b);
    return true;
}

/* One network of a file with the line that gave it, to find repeats. */
struct netline {
    ta__u128 lo, hi;
    uint32_t cc, asn, name;
    unsigned line;
    bool v4;
};

static int cmp_netline(const void *pa, const void *pb)
{
    const struct netline *a = pa, *b = pb;
    if (a->v4 != b->v4)
        return a->v4 ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return a->line < b->line ? -1 : (a->line > b->line);
}

/*
 * A network given twice with the same values is harmless (the entries
 * collapse); given twice with different values it is ambiguous, and the
 * error names both lines.
 */
static ta_err check_repeats(struct netline *nl, size_t n, char *errbuf, size_t errlen)
{
    if (n < 2)
        return TA_OK;
    qsort(nl, n, sizeof(*nl), cmp_netline);
    for (size_t i = 1; i < n; i++) {
        const struct netline *a = &nl[i - 1], *b = &nl[i];
        if (a->v4 != b->v4 || a->lo != b->lo || a->hi != b->hi)
            continue;
        if (a->cc != b->cc || a->asn != b->asn || a->name != b->name) {
            snprintf(errbuf, errlen,
                     "line %u: the same network as line %u with a different country or AS", b->line,
                     a->line);
            return TA_ERR_FORMAT;
        }
    }
    return TA_OK;
}

static ta_err parse_cidr_lines(const char *buf, size_t len, bool with_asn, size_t max_lines,
                               struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                               struct ta__geo_pool *pool, uint64_t *lines, char *errbuf,
                               size_t errlen, struct netline **nets, size_t *nnl, size_t *capnl);

ta_err ta__geo_cidr_parse(const char *buf, size_t len, bool with_asn, size_t max_lines,
                          struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                          struct ta__geo_pool *pool, uint64_t *lines, char *errbuf, size_t errlen)
{
    struct netline *nl = NULL;
    size_t nnl = 0, capnl = 0;
    ta_err err = parse_cidr_lines(buf, len, with_asn, max_lines, v4, v6, pool, lines, errbuf,
                                  errlen, &nl, &nnl, &capnl);
    if (err == TA_OK)
        err = check_repeats(nl, nnl, errbuf, errlen);
    free(nl);
    return err;
}

static ta_err parse_cidr_lines(const char *buf, size_t len, bool with_asn, size_t max_lines,
                               struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                               struct ta__geo_pool *pool, uint64_t *lines, char *errbuf,
                               size_t errlen, struct netline **nets, size_t *nnl, size_t *capnl)
{
    size_t off = 0;
    unsigned lineno = 0;
    while (off < len) {
        const char *line = buf + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t n = nl ? (size_t)(nl - line) : len - off;
        off += n + (nl ? 1 : 0);
        lineno++;
        const char *hash = memchr(line, '#', n);
        if (hash != NULL)
            n = (size_t)(hash - line);
        while (n > 0 && (is_space(line[n - 1]) || line[n - 1] == '\r'))
            n--;
        size_t pos = 0;
        const char *tok;
        size_t tl;
        if (!next_token(line, n, &pos, &tok, &tl))
            continue;
        if (*lines >= max_lines) {
            snprintf(errbuf, errlen, "line %u: more than %zu entries", lineno, max_lines);
            return TA_ERR_LIMIT;
        }
        ta__u128 lo, hi;
        bool v4f;
        if (!parse_cidr(tok, tl, &lo, &hi, &v4f)) {
            snprintf(errbuf, errlen, "line %u: '%.*s' is not a network (CIDR)", lineno,
                     (int)(tl > 60 ? 60 : tl), tok);
            return TA_ERR_FORMAT;
        }
        uint32_t cc = 0, asn = 0, name = 0;
        if (next_token(line, n, &pos, &tok, &tl) && !parse_cc(tok, tl, &cc)) {
            snprintf(errbuf, errlen, "line %u: '%.*s' is not a country code (XX or -)", lineno,
                     (int)(tl > 60 ? 60 : tl), tok);
            return TA_ERR_FORMAT;
        }
        if (with_asn && next_token(line, n, &pos, &tok, &tl)) {
            if (!(tl == 1 && tok[0] == '-')) {
                if (tl > 2 && (tok[0] == 'A' || tok[0] == 'a') &&
                    (tok[1] == 'S' || tok[1] == 's')) {
                    tok += 2;
                    tl -= 2;
                }
                if (!parse_u32(tok, tl, &asn) || asn == 0) {
                    snprintf(errbuf, errlen, "line %u: '%.*s' is not an AS number", lineno,
                             (int)(tl > 60 ? 60 : tl), tok);
                    return TA_ERR_FORMAT;
                }
            }
            while (pos < n && is_space(line[pos]))
                pos++;
            if (pos < n) {
                ta_err err = ta__geo_pool_intern(pool, line + pos, n - pos, &name);
                if (err != TA_OK)
                    return err;
            }
        }
        if (!with_asn && next_token(line, n, &pos, &tok, &tl)) {
            snprintf(errbuf, errlen, "line %u: unexpected '%.*s' (expected: CIDR [CC])", lineno,
                     (int)(tl > 60 ? 60 : tl), tok);
            return TA_ERR_FORMAT;
        }
        if (with_asn && cc == 0 && asn == 0) {
            snprintf(errbuf, errlen, "line %u: an override needs a country or an AS number",
                     lineno);
            return TA_ERR_FORMAT;
        }
        ta_err err = ta__geo_ivlist_push(v4f ? v4 : v6, lo, hi, cc, asn, name);
        if (err != TA_OK)
            return err;
        if (*nnl == *capnl) {
            size_t nc = *capnl ? *capnl * 2 : 64;
            struct netline *nv = realloc(*nets, nc * sizeof(*nv));
            if (nv == NULL)
                return TA_ERR_NOMEM;
            *nets = nv;
            *capnl = nc;
        }
        (*nets)[(*nnl)++] = (struct netline){lo, hi, cc, asn, name, lineno, v4f};
        (*lines)++;
    }
    return TA_OK;
}

ta_err ta__geo_read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? TA_ERR_NOTFOUND : TA_ERR_IO;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return TA_ERR_IO;
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return TA_ERR_LIMIT;
    }
    size_t n = (size_t)st.st_size;
    char *b = malloc(n + 1);
    if (b == NULL) {
        fclose(f);
        return TA_ERR_NOMEM;
    }
    size_t got = fread(b, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        free(b);
        return TA_ERR_IO;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return TA_OK;
}
