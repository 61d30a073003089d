/*
 * The intel match index: a compact, read-only structure built from the
 * database at start-up and queried by the detectors at line rate.
 *
 *   IP/CIDR   all prefixes flattened into disjoint ranges; each range holds
 *             a 32-bit answer id into a deduplicated answer table (most
 *             ranges share "nothing", and neighbours of one prefix share its
 *             answer). An answer is the list of prefixes covering the range
 *             (longest first; the first one inline in the answer, the others
 *             copied into a shared list array), the union of their kinds and
 *             whether an allow entry or an IP:port indicator is inside.
 *             IPv4: a bitmap of one bit per /24 (2 MiB) says whether any
 *             address of the /24 has an answer, so nearly every miss costs
 *             one load from a table that stays in cache; then a 2^20 jump
 *             table on the top 20 bits; a slot that lies inside one range
 *             holds its answer directly, other slots hold the first range
 *             and the log2 of how many ranges to search. Every prefix of an
 *             answer carries the window of times its entries can match, so
 *             a lookup at a time outside it reads no entry.
 *             IPv6: a 2^16 jump table plus a binary search.
 *   IP:port   open-addressing hash on the address into (address, port)
 *             items sorted by address; probed only when the range's answer
 *             says an IP:port address lies in it.
 *   strings   domains, URLs (without scheme), URL paths and hashes share one
 *             open-addressing table keyed by (type, text); a slot holds a
 *             32-bit tag of the hash and the key index, so a miss never
 *             leaves the slot array. In front of it a blocked Bloom filter
 *             (one 64-bit word per key, 3 bits) answers most misses from a
 *             table small enough to stay in cache. Hashes are taken over the
 *             text from its end, so all parent suffixes of a domain are
 *             hashed in one right-to-left pass, then filtered and probed
 *             with prefetches issued together.
 *
 * Time: every source keeps its dates; a lookup with an observation time
 * checks the windows of the sources of an entry only once the entry is hit,
 * so misses cost what they did without dates.
 *
 * Lookups never allocate and never write to the index.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cursor.h"
#include "common/hash64.h"
#include "common/rtab.h"
#include "common/urlhost.h"
#include "common/strset.h"
#include "intel/intel-internal.h"

#include "common/banned.h"

__extension__ typedef unsigned __int128 u128;

#define F_ALLOW   1u  /* a key/prefix carries an allow entry */
#define F_EXACT   2u  /* entry: exact-only domain */
#define F_DATED   4u  /* entry: at least one source has a first_seen */
#define F_UNDATED 8u  /* entry: at least one source has none */
#define F_OPEN    16u /* entry: a dated source has neither last_seen nor valid_until */

struct src {
    uint32_t source, family, brand, country; /* pool offsets */
    uint32_t first, last, valid;             /* seconds */
    uint8_t conf;
};

struct entry {
    uint32_t value; /* pool offset of the display value */
    uint32_t src_first;
    uint32_t nsrc;
    uint32_t family, brand, country;
    uint32_t first, last, valid;
    uint8_t type, kind, conf, flags;
};

struct skey {
    uint32_t str; /* pool offset of the key text */
    uint32_t efirst;
    uint16_t len;
    uint16_t ecount;
    uint8_t type, flags;
};

/* A prefix's window [wlo, whi] (seconds) holds every time at which one of
 * its entries can match: a lookup with a time outside it skips the prefix
 * without reading its entries (empty when wlo > whi). */
struct pfx {
    uint32_t efirst;
    uint32_t wlo, whi;
    uint16_t ecount;
    uint16_t kinds; /* TA_INTEL_KIND_BIT of its entries */
    uint8_t plen;   /* in the family's own bits (v4: 0-32) */
    uint8_t flags;
};

struct ipport {
    uint8_t addr[16];
    uint16_t port;
    uint16_t ecount;
    uint32_t efirst;
    uint8_t flags;
    uint8_t v6;
};

/* The answer for a range: the n prefixes covering it, longest first. The
 * first is inline with its window (most covered ranges have one prefix, so a
 * hit reads no list, and an expired one reads no entry); lists[off .. off +
 * n - 1) hold the others. 24 bytes. */
#define A_ALLOW 1u /* one of the prefixes carries an allow entry */
#define A_IPP   2u /* an IP:port indicator's address lies in the range */
struct answer {
    uint32_t efirst; /* first prefix: its entries, window, length, flags */
    uint32_t wlo, whi;
    uint32_t off;
    uint16_t ecount;
    uint16_t kinds; /* union of the prefixes' kinds */
    uint8_t plen, pflags;
    uint8_t n;
    uint8_t flags;
};
_Static_assert(sizeof(struct answer) == 24, "an answer is 24 bytes");

/* IP ranges: common/rtab.h, over starts and answer ids kept here. */
#define IPP_MARK UINT32_MAX /* pitem of an IP:port address, not a prefix */

/* Kind masks of prefixes and answers are kept in 16 bits. */
_Static_assert(TA_INTEL_KIND__COUNT <= 16, "kind masks are uint16_t");

struct ta_intel_index {
    char *pool;
    size_t pool_len, pool_cap;
    struct entry *ent;
    size_t nent, cap_ent;
    struct src *src;
    size_t nsrc, cap_src;
    struct skey *keys;
    size_t nkeys, cap_keys;
    uint64_t *slots; /* (tag32 << 32) | (key index + 1) */
    size_t nslots;
    uint64_t *bloom; /* blocked Bloom filter over the string keys' hashes */
    size_t bloom_mask;
    struct pfx *pfx; /* build only; answers copy the prefixes they list */
    size_t npfx, cap_pfx;
    struct answer *ans; /* ans[0] is the empty answer */
    size_t nans, cap_ans;
    struct pfx *lists;
    size_t nlists, cap_lists;
    /* IPv4 ranges */
    struct ta_range4 *v4; /* (start, answer id): a search ends next to its answer */
    size_t nv4;
    struct ta_rtab4 r4;
    /* One bit per /24: set when an address in it has an answer. Most misses
     * end here, in a table a quarter of the jump table's size. */
    uint64_t *v4_any;
    /* IPv6 ranges */
    u128 *v6_start;
    uint32_t *v6_ans;
    size_t nv6;
    struct ta_rtab6 r6;
    struct ipport *ipp;
    size_t nipp, cap_ipp;
    uint32_t *ipp_slots; /* index + 1 of the first item for an address */
    size_t nipp_slots;
    struct ta_intel_index_stats st;
    uint32_t grace_before, grace_after; /* seconds */
    bool skip_undated;
    void *map; /* mapped from a cache file: every table but the derived ones points into it */
    size_t map_len;
    bool borrowed; /* the tables point into a caller's buffer (ta__intel_cache_parse) */
};

/* ---- growable arrays and the string pool -------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (np == NULL)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

#define HUGE_PAGE ((size_t)2 << 20)

/*
 * Give back the slack of the doubling growth (the index lives for hours) and,
 * for arrays of 2 MiB or more, move them to 2 MiB-aligned memory advised for
 * transparent huge pages: lookups touch these tables at random, and with
 * 4 KiB pages nearly every probe of a large index also misses the TLB. Where
 * the kernel gives no huge pages this is only a copy. Failure keeps the old
 * array (slower, still correct).
 */
static void finish(void **p, size_t *cap, size_t n, size_t elem)
{
    size_t bytes = n * elem;
    if (*p == NULL || n == 0)
        return;
    if (bytes < HUGE_PAGE) {
        if (n < *cap) {
            void *np = realloc(*p, bytes);
            if (np != NULL) {
                *p = np;
                *cap = n;
            }
        }
        return;
    }
    size_t sz = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *np = aligned_alloc(HUGE_PAGE, sz);
    if (np == NULL)
        return;
    madvise(np, sz, MADV_HUGEPAGE);
    memcpy(np, *p, bytes);
    free(*p);
    *p = np;
    *cap = n;
}

#define GROW(arr, n, cap) grow((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))

static bool pool_add(struct ta_intel_index *x, const char *s, size_t n, uint32_t *off)
{
    if (x->pool_len + n + 1 > UINT32_MAX)
        return false;
    if (!grow((void **)&x->pool, &x->pool_cap, x->pool_len + n + 1, 1))
        return false;
    memcpy(x->pool + x->pool_len, s, n);
    x->pool[x->pool_len + n] = '\0';
    *off = (uint32_t)x->pool_len;
    x->pool_len += n + 1;
    return true;
}

/* Interning of the short repeated strings (sources, families, brands), into
 * the same pool as the values: the set only indexes them. */
static bool intern(struct ta_intel_index *x, struct ta_strset *t, const char *s, uint32_t *off)
{
    size_t n = strlen(s);
    uint32_t h;
    if (ta_strset_find(t, x->pool, x->pool_len, s, n, &h, off))
        return true;
    return pool_add(x, s, n, off) && ta_strset_put(t, h, *off) == TA_OK;
}

/* ---- hashing of string keys --------------------------------------------- */

/* The type is the first value hashed, so equal text of two types (a
 * domain and a URL path) lands on different slots. */
static inline uint64_t h_init(unsigned type)
{
    return ta_hash64_step(TA_HASH_FNV_BASIS, type);
}

static inline uint64_t h_step(uint64_t h, uint8_t c)
{
    return ta_hash64_step(h, c);
}

/* 64-bit finaliser: the low 32 bits are the slot tag (and position), the
 * high ones pick the Bloom word and bits. */
static inline uint64_t h_fin(uint64_t h)
{
    return ta_hash_mix64(h);
}

/* Hash of text taken from its last byte to its first. */
static uint64_t hash_rev(unsigned type, const char *s, size_t n)
{
    uint64_t h = h_init(type);
    while (n > 0)
        h = h_step(h, (uint8_t)s[--n]);
    return h_fin(h);
}

static inline size_t bloom_word(const struct ta_intel_index *x, uint64_t h)
{
    return (size_t)(h >> 32) & x->bloom_mask;
}

static inline uint64_t bloom_bits(uint64_t h)
{
    return 1ull << (h >> 58) | 1ull << ((h >> 26) & 63) | 1ull << ((h >> 20) & 63);
}

/* False: no key has this hash. True: maybe. */
static inline bool bloom_maybe(const struct ta_intel_index *x, uint64_t h)
{
    uint64_t b = bloom_bits(h);
    return (x->bloom[bloom_word(x, h)] & b) == b;
}

/* Find the key (type, s[0..n)) whose hash is h; the caller checked the Bloom filter. */
static const struct skey *probe_slots(const struct ta_intel_index *x, unsigned type, uint64_t h,
                                      const char *s, size_t n)
{
    size_t mask = x->nslots - 1;
    uint32_t tag = (uint32_t)h;
    size_t j = tag & mask;
    for (;;) {
        uint64_t v = x->slots[j];
        if (v == 0)
            return NULL;
        if ((uint32_t)(v >> 32) == tag) {
            const struct skey *k = &x->keys[(uint32_t)v - 1];
            if (k->type == type && k->len == n && memcmp(x->pool + k->str, s, n) == 0)
                return k;
        }
        j = (j + 1) & mask;
    }
}

static const struct skey *probe(const struct ta_intel_index *x, unsigned type, uint64_t h,
                                const char *s, size_t n)
{
    if (x->nslots == 0 || !bloom_maybe(x, h))
        return NULL;
    return probe_slots(x, type, h, s, n);
}

/* ---- build ---------------------------------------------------------------- */

struct row {
    int kind;
    uint32_t source, family, brand, country;
    uint32_t first, last, valid;
    uint8_t conf, exact;
};

static int row_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->source < y->source ? -1 : x->source > y->source;
}

struct pitem {
    u128 start, end;
    uint32_t pid;
    uint8_t v6;
};

static int pitem_cmp(const void *a, const void *b)
{
    const struct pitem *x = a, *y = b;
    if (x->v6 != y->v6)
        return x->v6 < y->v6 ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct builder {
    struct ta_intel_index *x;
    struct ta_strset strs;
    struct pitem *items;
    size_t nitems, cap_items;
    struct row *rows;
    size_t nrows, cap_rows;
    uint32_t *aslot; /* answer dedup: answer id + 1 */
    size_t naslot;
};

static inline u128 addr_u128(const uint8_t b[16])
{
    uint64_t hi, lo;
    memcpy(&hi, b, 8);
    memcpy(&lo, b + 8, 8);
    return (u128)__builtin_bswap64(hi) << 64 | __builtin_bswap64(lo);
}

/* Turn the rows of one (type, value) into entries + sources; returns false on OOM. */
static bool make_entries(struct builder *B, enum ta_intel_type type, uint32_t value_off,
                         uint32_t *efirst, uint16_t *ecount, uint8_t *flags)
{
    struct ta_intel_index *x = B->x;
    if (B->nrows > 1)
        qsort(B->rows, B->nrows, sizeof(*B->rows), row_cmp);
    *efirst = (uint32_t)x->nent;
    *ecount = 0;
    *flags = 0;
    for (size_t i = 0; i < B->nrows;) {
        size_t j = i;
        while (j < B->nrows && B->rows[j].kind == B->rows[i].kind)
            j++;
        if (!GROW(x->ent, x->nent, x->cap_ent))
            return false;
        struct entry *e = &x->ent[x->nent++];
        memset(e, 0, sizeof(*e));
        e->value = value_off;
        e->type = (uint8_t)type;
        e->kind = (uint8_t)B->rows[i].kind;
        e->src_first = (uint32_t)x->nsrc;
        e->nsrc = (uint32_t)(j - i);
        e->first = UINT32_MAX;
        e->flags = F_EXACT;
        int best = -1;
        for (size_t k = i; k < j; k++) {
            const struct row *r = &B->rows[k];
            if (!GROW(x->src, x->nsrc, x->cap_src))
                return false;
            struct src *s = &x->src[x->nsrc++];
            s->source = r->source;
            s->family = r->family;
            s->brand = r->brand;
            s->country = r->country;
            s->first = r->first;
            s->last = r->last;
            s->valid = r->valid;
            s->conf = r->conf;
            if (r->conf > e->conf)
                e->conf = r->conf;
            if (r->first != 0 && r->first < e->first)
                e->first = r->first;
            e->flags |= r->first != 0 ? F_DATED : F_UNDATED;
            if (r->first != 0 && r->last == 0 && r->valid == 0)
                e->flags |= F_OPEN;
            if (r->last > e->last)
                e->last = r->last;
            if (r->valid > e->valid)
                e->valid = r->valid;
            if (!r->exact)
                e->flags &= (uint8_t)~F_EXACT;
            if (best < 0 || r->conf > B->rows[best].conf)
                best = (int)k;
        }
        /* Descriptive fields from the most confident source that has them. */
        uint32_t none = UINT32_MAX;
        e->family = e->brand = e->country = none;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = i; k < j; k++) {
                const struct row *r = &B->rows[k];
                if (pass == 0 && (int)k != best)
                    continue;
                if (e->family == none && x->pool[r->family] != '\0')
                    e->family = r->family;
                if (e->brand == none && x->pool[r->brand] != '\0')
                    e->brand = r->brand;
                if (e->country == none && x->pool[r->country] != '\0')
                    e->country = r->country;
            }
        if (e->family == none)
            e->family = B->rows[best].family;
        if (e->brand == none)
            e->brand = B->rows[best].brand;
        if (e->country == none)
            e->country = B->rows[best].country;
        if (e->first == UINT32_MAX)
            e->first = 0;
        if (e->kind == TA_INTEL_KIND_ALLOW)
            *flags |= F_ALLOW;
        x->st.entries++;
        if (e->kind < TA_INTEL_KIND__COUNT)
            x->st.by_kind[e->kind]++;
        if (type < TA_INTEL_TYPE__COUNT)
            x->st.by_type[type]++;
        (*ecount)++;
        i = j;
    }
    return true;
}

/*
 * Bounds of the times (seconds, > 0) at which entry_valid() can accept e:
 * [first - grace_before, the latest end of a source], everything when an
 * undated source counts, nothing (lo > hi) when no source can.
 */
static void entry_window(const struct ta_intel_index *x, const struct entry *e, uint32_t *lo,
                         uint32_t *hi)
{
    if ((e->flags & F_UNDATED) && !x->skip_undated) {
        *lo = 0;
        *hi = UINT32_MAX;
        return;
    }
    if (!(e->flags & F_DATED)) {
        *lo = UINT32_MAX;
        *hi = 0;
        return;
    }
    *lo = e->first > x->grace_before ? e->first - x->grace_before : 0;
    uint64_t end = UINT32_MAX;
    if (!(e->flags & F_OPEN)) {
        end = e->last != 0 ? (uint64_t)e->last + x->grace_after : 0;
        if (e->valid > end)
            end = e->valid;
    }
    *hi = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

/* Parse "a.b.c.d/len" or an address into (addr, plen in 128-bit space). */
static bool value_prefix(const char *v, struct ta_addr *a, unsigned *plen)
{
    char tmp[64];
    size_t n = strlen(v);
    if (n >= sizeof(tmp))
        return false;
    memcpy(tmp, v, n + 1);
    char *slash = strchr(tmp, '/');
    unsigned p = 128;
    if (slash != NULL) {
        *slash = '\0';
        p = (unsigned)strtoul(slash + 1, NULL, 10);
    }
    if (!ta_addr_parse(a, tmp))
        return false;
    if (a->family == 4) {
        if (slash == NULL)
            p = 32;
        if (p > 32)
            return false;
        p += 96;
    } else if (p > 128) {
        return false;
    }
    *plen = p;
    return true;
}

static bool add_key(struct builder *B, enum ta_intel_type type, const char *value,
                    uint32_t value_off, uint32_t efirst, uint16_t ecount, uint8_t flags)
{
    struct ta_intel_index *x = B->x;
    if (type == TA_INTEL_IP || type == TA_INTEL_CIDR) {
        struct ta_addr a;
        unsigned plen;
        if (!value_prefix(value, &a, &plen))
            return true; /* not representable: skipped */
        if (!GROW(x->pfx, x->npfx, x->cap_pfx) || !GROW(B->items, B->nitems, B->cap_items))
            return false;
        struct pfx *p = &x->pfx[x->npfx];
        p->efirst = efirst;
        p->ecount = ecount;
        p->flags = flags;
        p->plen = (uint8_t)(a.family == 4 ? plen - 96 : plen);
        p->kinds = 0;
        p->wlo = UINT32_MAX;
        p->whi = 0;
        for (uint32_t i = 0; i < ecount; i++) {
            const struct entry *e = &x->ent[efirst + i];
            p->kinds |= (uint16_t)(1u << e->kind);
            uint32_t lo, hi;
            entry_window(x, e, &lo, &hi);
            if (lo < p->wlo)
                p->wlo = lo;
            if (hi > p->whi)
                p->whi = hi;
        }
        struct pitem *it = &B->items[B->nitems++];
        it->v6 = a.family == 6;
        u128 v = addr_u128(a.b);
        if (!it->v6)
            v &= 0xffffffffu;
        unsigned hb = 128 - plen; /* host bits (v4 values live in the low 32 bits) */
        u128 hostmask = hb >= 128 ? ~(u128)0 : (((u128)1 << hb) - 1);
        it->start = v & ~hostmask;
        it->end = it->start | hostmask;
        it->pid = (uint32_t)x->npfx++;
        return true;
    }
    if (type == TA_INTEL_IP_PORT) {
        char tmp[80];
        size_t n = strlen(value);
        if (n >= sizeof(tmp))
            return true;
        memcpy(tmp, value, n + 1);
        char *colon = strrchr(tmp, ':');
        if (colon == NULL)
            return true;
        *colon = '\0';
        char *as = tmp;
        if (as[0] == '[') {
            as++;
            char *rb = strchr(as, ']');
            if (rb != NULL)
                *rb = '\0';
        }
        struct ta_addr a;
        if (!ta_addr_parse(&a, as))
            return true;
        if (!GROW(x->ipp, x->nipp, x->cap_ipp))
            return false;
        struct ipport *ip = &x->ipp[x->nipp++];
        memcpy(ip->addr, a.b, 16);
        ip->v6 = a.family == 6;
        ip->port = (uint16_t)strtoul(colon + 1, NULL, 10);
        ip->efirst = efirst;
        ip->ecount = ecount;
        ip->flags = flags;
        return true;
    }
    /* String keys: URLs are keyed without their scheme. */
    const char *k = value;
    if (type == TA_INTEL_URL) {
        const char *sep = strstr(value, "://");
        if (sep != NULL)
            k = sep + 3;
    }
    size_t kl = strlen(k);
    if (kl > UINT16_MAX)
        return true;
    if (!GROW(x->keys, x->nkeys, x->cap_keys))
        return false;
    struct skey *sk = &x->keys[x->nkeys++];
    sk->str = value_off + (uint32_t)(k - value);
    sk->len = (uint16_t)kl;
    sk->type = (uint8_t)type;
    sk->flags = flags;
    sk->efirst = efirst;
    sk->ecount = ecount;
    return true;
}

static int ipp_cmp(const void *a, const void *b)
{
    const struct ipport *x = a, *y = b;
    int c = memcmp(x->addr, y->addr, 16);
    if (c != 0)
        return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

static uint32_t addr_hash(const uint8_t *a)
{
    return (uint32_t)ta_hash64_words(0, a, 16);
}

static size_t pow2_at_least(size_t n)
{
    size_t s = 16;
    while (s < n)
        s *= 2;
    return s;
}

static bool build_strings(struct ta_intel_index *x)
{
    x->nslots = pow2_at_least(x->nkeys * 2 + 1);
    x->slots = calloc(x->nslots, sizeof(*x->slots));
    /* About 12 bits per key with 3 bits set: ~1.5% false positives. */
    size_t nwords = pow2_at_least((x->nkeys * 12 + 63) / 64);
    x->bloom = calloc(nwords, sizeof(*x->bloom));
    if (x->slots == NULL || x->bloom == NULL)
        return false;
    x->bloom_mask = nwords - 1;
    for (size_t i = 0; i < x->nkeys; i++) {
        const struct skey *k = &x->keys[i];
        uint64_t h = hash_rev(k->type, x->pool + k->str, k->len);
        x->bloom[bloom_word(x, h)] |= bloom_bits(h);
        size_t j = (uint32_t)h & (x->nslots - 1);
        while (x->slots[j] != 0)
            j = (j + 1) & (x->nslots - 1);
        x->slots[j] = (uint64_t)(uint32_t)h << 32 | (uint64_t)(i + 1);
    }
    x->st.strings = x->nkeys;
    return true;
}

/* Sort the IP:port items, hash their distinct addresses, and mark each
 * address in the range sweep so that only ranges holding one probe the hash. */
static bool build_ipport(struct builder *B)
{
    struct ta_intel_index *x = B->x;
    if (x->nipp == 0)
        return true;
    qsort(x->ipp, x->nipp, sizeof(*x->ipp), ipp_cmp);
    x->nipp_slots = pow2_at_least(x->nipp * 2 + 1);
    x->ipp_slots = calloc(x->nipp_slots, sizeof(*x->ipp_slots));
    if (x->ipp_slots == NULL)
        return false;
    for (size_t i = 0; i < x->nipp; i++) {
        if (i > 0 && memcmp(x->ipp[i].addr, x->ipp[i - 1].addr, 16) == 0)
            continue;
        size_t j = addr_hash(x->ipp[i].addr) & (x->nipp_slots - 1);
        while (x->ipp_slots[j] != 0)
            j = (j + 1) & (x->nipp_slots - 1);
        x->ipp_slots[j] = (uint32_t)(i + 1);
        if (!GROW(B->items, B->nitems, B->cap_items))
            return false;
        struct pitem *it = &B->items[B->nitems++];
        it->v6 = x->ipp[i].v6;
        it->start = addr_u128(x->ipp[i].addr);
        if (!it->v6)
            it->start &= 0xffffffffu;
        it->end = it->start;
        it->pid = IPP_MARK;
    }
    return true;
}

static uint64_t answer_hash(const struct pfx *l, size_t n, uint8_t flags)
{
    uint64_t h = h_init(flags);
    for (size_t i = 0; i < n; i++)
        h = ta_hash64_step(h, l[i].efirst);
    return h_fin(h);
}

/* Prefix i (< a->n) of an answer. */
static inline struct pfx answer_pfx(const struct ta_intel_index *x, const struct answer *a,
                                    size_t i)
{
    if (i > 0)
        return x->lists[a->off + i - 1];
    /* The first prefix's own kinds are not kept (the answer stays 16 bytes):
     * its entries are filtered one by one. */
    return (struct pfx){.efirst = a->efirst,
                        .wlo = a->wlo,
                        .whi = a->whi,
                        .ecount = a->ecount,
                        .plen = a->plen,
                        .flags = a->pflags,
                        .kinds = 0xffffu};
}

static bool answer_eq(const struct ta_intel_index *x, const struct answer *a, const struct pfx *l,
                      size_t n, uint8_t flags)
{
    if (a->n != n || a->flags != flags)
        return false;
    for (size_t i = 0; i < n; i++)
        if (answer_pfx(x, a, i).efirst != l[i].efirst)
            return false;
    return true;
}

/* The answer id for a stack of covering items (outermost first). */
static bool answer_for(struct builder *B, const uint32_t *stack, size_t sp, uint32_t *id)
{
    struct ta_intel_index *x = B->x;
    struct pfx l[132];
    size_t n = 0;
    uint8_t flags = 0;
    uint16_t kinds = 0;
    for (size_t i = sp; i > 0; i--) {
        uint32_t pid = stack[i - 1];
        if (pid == IPP_MARK) {
            flags |= A_IPP;
            continue;
        }
        l[n] = x->pfx[pid];
        if (l[n].flags & F_ALLOW)
            flags |= A_ALLOW;
        kinds |= l[n].kinds;
        n++;
    }
    if (n == 0 && flags == 0) {
        *id = 0;
        return true;
    }
    /* Equal (list, flags) share one answer: keep the table at most half full. */
    if (x->nans * 2 >= B->naslot) {
        size_t nc = B->naslot ? B->naslot * 2 : 1024;
        uint32_t *ns = calloc(nc, sizeof(*ns));
        if (ns == NULL)
            return false;
        for (size_t i = 1; i < x->nans; i++) {
            const struct answer *a = &x->ans[i];
            struct pfx al[132];
            for (size_t k = 0; k < a->n; k++)
                al[k] = answer_pfx(x, a, k);
            size_t j = answer_hash(al, a->n, a->flags) & (nc - 1);
            while (ns[j] != 0)
                j = (j + 1) & (nc - 1);
            ns[j] = (uint32_t)i;
        }
        free(B->aslot);
        B->aslot = ns;
        B->naslot = nc;
    }
    size_t j = answer_hash(l, n, flags) & (B->naslot - 1);
    while (B->aslot[j] != 0) {
        if (answer_eq(x, &x->ans[B->aslot[j]], l, n, flags)) {
            *id = B->aslot[j];
            return true;
        }
        j = (j + 1) & (B->naslot - 1);
    }
    if (x->nans >= TA_RTAB_UNIFORM ||
        !grow((void **)&x->lists, &x->cap_lists, x->nlists + n, sizeof(*x->lists)) ||
        !GROW(x->ans, x->nans, x->cap_ans))
        return false;
    struct answer *a = &x->ans[x->nans];
    memset(a, 0, sizeof(*a));
    a->off = (uint32_t)x->nlists;
    a->n = (uint8_t)n;
    a->kinds = kinds;
    a->flags = flags;
    if (n > 0) {
        a->efirst = l[0].efirst;
        a->wlo = l[0].wlo;
        a->whi = l[0].whi;
        a->ecount = l[0].ecount;
        a->plen = l[0].plen;
        a->pflags = l[0].flags;
        memcpy(x->lists + x->nlists, l + 1, (n - 1) * sizeof(*l));
        x->nlists += n - 1;
    }
    *id = (uint32_t)x->nans;
    B->aslot[j] = (uint32_t)x->nans++;
    return true;
}

/* Range sweep output for one family: IPv4 straight into the final 8-byte
 * ranges (a 128-bit start per range would add ~140 MB to the peak at 10M
 * indicators), IPv6 as starts + answer ids. */
struct segs {
    bool v4;
    struct ta_range4 *r4;
    u128 *start;
    uint32_t *ans;
    size_t n, cap;
};

static bool seg_emit(struct builder *B, struct segs *S, u128 start, const uint32_t *stack,
                     size_t sp)
{
    uint32_t id;
    if (!answer_for(B, stack, sp, &id))
        return false;
    /* Neighbours with the same answer are one range. */
    if (S->n > 0 && (S->v4 ? S->r4[S->n - 1].val : S->ans[S->n - 1]) == id)
        return true;
    if (S->n == S->cap) {
        size_t nc = S->cap ? S->cap * 2 : 256;
        if (S->v4) {
            struct ta_range4 *nr = realloc(S->r4, nc * sizeof(*nr));
            if (nr == NULL)
                return false;
            S->r4 = nr;
        } else {
            u128 *ns = realloc(S->start, nc * sizeof(*ns));
            if (ns == NULL)
                return false;
            S->start = ns;
            uint32_t *na = realloc(S->ans, nc * sizeof(*na));
            if (na == NULL)
                return false;
            S->ans = na;
        }
        S->cap = nc;
    }
    if (S->v4) {
        S->r4[S->n].start = (uint32_t)start;
        S->r4[S->n].val = id;
    } else {
        S->start[S->n] = start;
        S->ans[S->n] = id;
    }
    S->n++;
    return true;
}

/* Items are sorted by start, then widest first: a stack of the covering
 * items gives, at each boundary, the list for the range that follows. */
static bool sweep(struct builder *B, const struct pitem *it, size_t n, u128 max, struct segs *S)
{
    u128 ends[132];
    uint32_t stack[132];
    size_t sp = 0;
    u128 p = 0;
    bool done = false;
    for (size_t i = 0; i < n; i++) {
        while (sp > 0 && ends[sp - 1] < it[i].start) {
            if (p <= ends[sp - 1]) {
                if (!seg_emit(B, S, p, stack, sp))
                    return false;
                p = ends[sp - 1] + 1;
            }
            sp--;
        }
        if (it[i].start > p) {
            if (!seg_emit(B, S, p, stack, sp))
                return false;
            p = it[i].start;
        }
        if (sp >= 131)
            continue; /* cannot nest deeper than the address width (+ an IP:port mark) */
        ends[sp] = it[i].end;
        stack[sp++] = it[i].pid;
    }
    while (sp > 0) {
        if (!done && p <= ends[sp - 1]) {
            if (!seg_emit(B, S, p, stack, sp))
                return false;
            if (ends[sp - 1] == max)
                done = true;
            else
                p = ends[sp - 1] + 1;
        }
        sp--;
    }
    if (!done && !seg_emit(B, S, p, stack, 0))
        return false;
    return true;
}

#define V4_ANY_WORDS ((size_t)1 << 18) /* 2^24 bits, one per /24 */

/* Set bits lo..hi (inclusive) of b. */
static void bits_set(uint64_t *b, uint32_t lo, uint32_t hi)
{
    uint32_t wl = lo >> 6, wh = hi >> 6;
    uint64_t ml = ~0ull << (lo & 63), mh = ~0ull >> (63 - (hi & 63));
    if (wl == wh) {
        b[wl] |= ml & mh;
        return;
    }
    b[wl] |= ml;
    for (uint32_t w = wl + 1; w < wh; w++)
        b[w] = ~0ull;
    b[wh] |= mh;
}

/* The tables derived from the ranges (the jump tables and the /24 bitmap):
 * built here, and again when a cache is mapped (they are not in the file:
 * rebuilt in milliseconds, and correct by construction once the ranges are
 * checked). */
static bool derive_tables(struct ta_intel_index *x)
{
    /* Looked up at random by every lookup: on huge pages where the kernel
     * gives them (see finish()). */
    x->v4_any = aligned_alloc(HUGE_PAGE, V4_ANY_WORDS * sizeof(*x->v4_any));
    if (x->v4_any == NULL)
        return false;
    madvise(x->v4_any, V4_ANY_WORDS * sizeof(*x->v4_any), MADV_HUGEPAGE);
    memset(x->v4_any, 0, V4_ANY_WORDS * sizeof(*x->v4_any));
    for (size_t i = 0; i < x->nv4; i++)
        if (x->v4[i].val != 0)
            bits_set(x->v4_any, x->v4[i].start >> 8,
                     (i + 1 < x->nv4 ? x->v4[i + 1].start - 1 : UINT32_MAX) >> 8);
    if (ta_rtab4_build_pairs(&x->r4, x->v4, x->nv4) != TA_OK ||
        ta_rtab6_build(&x->r6, x->v6_start, x->v6_ans, x->nv6) != TA_OK)
        return false;
    size_t nd = (size_t)1 << TA_RTAB4_BITS, c = nd;
    finish((void **)&x->r4.dir, &c, nd, sizeof(*x->r4.dir));
    return true;
}

static bool build_ranges(struct builder *B)
{
    struct ta_intel_index *x = B->x;
    if (!GROW(x->ans, x->nans, x->cap_ans))
        return false;
    memset(&x->ans[0], 0, sizeof(x->ans[0])); /* the empty answer */
    x->nans = 1;
    if (B->nitems > 1)
        qsort(B->items, B->nitems, sizeof(*B->items), pitem_cmp);
    size_t n4 = 0;
    while (n4 < B->nitems && !B->items[n4].v6)
        n4++;
    struct segs S4 = {.v4 = true}, S6 = {0};
    /* No IP items at all leaves items NULL: no offset from it. */
    const struct pitem *items6 = B->items != NULL ? B->items + n4 : NULL;
    bool ok =
        sweep(B, B->items, n4, 0xffffffffu, &S4) && sweep(B, items6, B->nitems - n4, ~(u128)0, &S6);
    /* The sweep's inputs are done with: give them back before the tables. */
    free(B->items);
    B->items = NULL;
    B->nitems = B->cap_items = 0;
    free(B->aslot);
    B->aslot = NULL;
    B->naslot = 0;
    if (ok) {
        x->nv4 = S4.n;
        x->v4 = S4.r4;
        S4.r4 = NULL;
        x->nv6 = S6.n;
        x->v6_start = S6.start;
        x->v6_ans = S6.ans;
        S6.start = NULL;
        S6.ans = NULL;
    }
    free(S4.r4);
    free(S6.start);
    free(S6.ans);
    x->st.ip_ranges = x->nv4 + x->nv6;
    return ok;
}

static uint32_t to_secs(sqlite3_int64 v)
{
    return v <= 0 ? 0 : v > (sqlite3_int64)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void ta_intel_index_opts_default(struct ta_intel_index_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->grace_before_s = 28u * 86400u;
    o->grace_after_s = 90u * 86400u;
}

/* The allow files go into a temporary table of the connection (never into
 * the database file), read by the same ordered query as the stored rows. */
static const char *const extra_sql =
    "CREATE TEMP TABLE IF NOT EXISTS intel_allow_extra("
    " type INTEGER NOT NULL, value TEXT NOT NULL, source TEXT NOT NULL,"
    " kind INTEGER NOT NULL, confidence INTEGER NOT NULL, exact INTEGER NOT NULL,"
    " family TEXT NOT NULL, brand TEXT NOT NULL, country TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, valid_until INTEGER NOT NULL);"
    "DELETE FROM temp.intel_allow_extra;";

struct extra {
    sqlite3_stmt *ins;
    uint64_t rows;
};

static ta_err extra_row(void *user, const struct ta_intel_indicator *ind)
{
    struct extra *X = user;
    sqlite3_stmt *st = X->ins;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, (int)ind->type);
    sqlite3_bind_text(st, 2, ind->value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ind->source, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)ind->kind);
    sqlite3_bind_int(st, 5, ind->confidence);
    sqlite3_bind_int(st, 6, ind->exact ? 1 : 0);
    sqlite3_bind_text(st, 7, ind->family != NULL ? ind->family : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ind->brand != NULL ? ind->brand : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ind->country != NULL ? ind->country : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)(ind->first_seen / 1000000u));
    sqlite3_bind_int64(st, 11, (sqlite3_int64)(ind->last_seen / 1000000u));
    sqlite3_bind_int64(st, 12, (sqlite3_int64)(ind->valid_until / 1000000u));
    if (sqlite3_step(st) != SQLITE_DONE)
        return TA_ERR_DB;
    X->rows++;
    return TA_OK;
}

static ta_err read_all(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return TA_ERR_NOTFOUND;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    ta_err e = TA_OK;
    while (b != NULL) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                e = TA_ERR_IO;
            break;
        }
    }
    fclose(f);
    if (b == NULL)
        return TA_ERR_NOMEM;
    if (e != TA_OK) {
        free(b);
        return e;
    }
    *buf = b;
    *len = n;
    return TA_OK;
}

/* Load opts->allow_files into the temporary table; returns the rows in *rows. */
static ta_err load_extra(sqlite3 *h, const char *const *files, uint64_t *rows)
{
    char *err = NULL;
    if (sqlite3_exec(h, extra_sql, NULL, NULL, &err) != SQLITE_OK) {
        sqlite3_free(err);
        return TA_ERR_DB;
    }
    struct extra X = {0};
    if (sqlite3_prepare_v2(h,
                           "INSERT INTO temp.intel_allow_extra VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
                           " ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &X.ins, NULL) != SQLITE_OK)
        return TA_ERR_DB;
    ta_err e = TA_OK;
    for (size_t i = 0; files[i] != NULL && e == TA_OK; i++) {
        uint8_t *buf;
        size_t len;
        e = read_all(files[i], &buf, &len);
        if (e != TA_OK)
            break;
        struct ta_intel_load_opts lo = {
            .have_kind = true, .kind = TA_INTEL_KIND_ALLOW, .file_name = files[i]};
        struct ta_intel_load_result *res = malloc(sizeof(*res));
        if (res == NULL) {
            free(buf);
            e = TA_ERR_NOMEM;
            break;
        }
        e = ta_intel_parse(buf, len, &lo, extra_row, &X, res);
        free(res);
        free(buf);
    }
    sqlite3_finalize(X.ins);
    *rows = X.rows;
    return e;
}

ta_err ta_intel_index_build(struct ta_intel_db *db, const struct ta_intel_index_opts *opts,
                            struct ta_intel_index **out)
{
    *out = NULL;
    struct ta_intel_index_opts dflt;
    if (opts == NULL) {
        ta_intel_index_opts_default(&dflt);
        opts = &dflt;
    }
    struct ta_intel_index *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return TA_ERR_NOMEM;
    x->grace_before = opts->grace_before_s;
    x->grace_after = opts->grace_after_s;
    x->skip_undated = opts->skip_undated;
    struct builder B = {.x = x};
    ta_err e = TA_ERR_NOMEM;
    sqlite3_stmt *st = NULL;
    char *cur = NULL;
    size_t cur_cap = 0;
    uint32_t empty;
    if (!pool_add(x, "", 0, &empty))
        goto fail;
    sqlite3 *h = ta__intel_db_handle(db);
    bool extra = opts->allow_files != NULL && opts->allow_files[0] != NULL;
    if (extra) {
        e = load_extra(h, opts->allow_files, &x->st.allow_file_rows);
        if (e != TA_OK)
            goto fail;
        e = TA_ERR_NOMEM;
    }
    if (sqlite3_prepare_v2(
            h,
            extra ? "SELECT type, value, kind, source, confidence, exact, family, brand,"
                    " country, first_seen, last_seen, valid_until FROM intel_indicator"
                    " WHERE ?1 = 0 OR valid_until = 0 OR valid_until >= ?1"
                    " UNION ALL SELECT type, value, kind, source, confidence, exact, family,"
                    " brand, country, first_seen, last_seen, valid_until"
                    " FROM temp.intel_allow_extra ORDER BY 1, 2"
                  : "SELECT type, value, kind, source, confidence, exact, family, brand,"
                    " country, first_seen, last_seen, valid_until FROM intel_indicator"
                    " WHERE ?1 = 0 OR valid_until = 0 OR valid_until >= ?1"
                    " ORDER BY type, value",
            -1, &st, NULL) != SQLITE_OK) {
        e = TA_ERR_DB;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(opts->valid_at / 1000000u));
    int cur_type = -1;
    int rc;
    for (;;) {
        rc = sqlite3_step(st);
        int type = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        const char *value = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 1) : NULL;
        if (rc == SQLITE_ROW && value == NULL)
            continue;
        bool flush =
            B.nrows > 0 && (rc != SQLITE_ROW || type != cur_type || strcmp(value, cur) != 0);
        if (flush) {
            uint32_t voff, efirst;
            uint16_t ecount;
            uint8_t flags;
            if (!pool_add(x, cur, strlen(cur), &voff) ||
                !make_entries(&B, (enum ta_intel_type)cur_type, voff, &efirst, &ecount, &flags) ||
                !add_key(&B, (enum ta_intel_type)cur_type, cur, voff, efirst, ecount, flags))
                goto fail;
            B.nrows = 0;
        }
        if (rc != SQLITE_ROW)
            break;
        int kind = sqlite3_column_int(st, 2);
        if (type < 0 || type >= TA_INTEL_TYPE__COUNT || kind < 0 || kind >= TA_INTEL_KIND__COUNT)
            continue;
        if (B.nrows == 0) {
            size_t vl = strlen(value);
            if (!grow((void **)&cur, &cur_cap, vl + 1, 1))
                goto fail;
            memcpy(cur, value, vl + 1);
            cur_type = type;
        }
        if (!GROW(B.rows, B.nrows, B.cap_rows))
            goto fail;
        struct row *r = &B.rows[B.nrows];
        const char *t;
        r->kind = kind;
        t = (const char *)sqlite3_column_text(st, 3);
        if (!intern(x, &B.strs, t != NULL ? t : "", &r->source))
            goto fail;
        r->conf = (uint8_t)sqlite3_column_int(st, 4);
        r->exact = (uint8_t)(sqlite3_column_int(st, 5) != 0);
        t = (const char *)sqlite3_column_text(st, 6);
        if (!intern(x, &B.strs, t != NULL ? t : "", &r->family))
            goto fail;
        t = (const char *)sqlite3_column_text(st, 7);
        if (!intern(x, &B.strs, t != NULL ? t : "", &r->brand))
            goto fail;
        t = (const char *)sqlite3_column_text(st, 8);
        if (!intern(x, &B.strs, t != NULL ? t : "", &r->country))
            goto fail;
        r->first = to_secs(sqlite3_column_int64(st, 9));
        r->last = to_secs(sqlite3_column_int64(st, 10));
        r->valid = to_secs(sqlite3_column_int64(st, 11));
        B.nrows++;
        x->st.rows++;
    }
    if (rc != SQLITE_DONE) {
        e = TA_ERR_DB;
        goto fail;
    }
    if (!build_strings(x) || !build_ipport(&B) || !build_ranges(&B))
        goto fail;
    /* The answers hold copies of the prefixes. */
    free(x->pfx);
    x->pfx = NULL;
    x->cap_pfx = x->npfx = 0;
    /* The build's scratch goes first: finish() copies tables one at a time
     * and the peak should not hold both. */
    sqlite3_finalize(st);
    st = NULL;
    if (extra)
        sqlite3_exec(h, "DROP TABLE IF EXISTS temp.intel_allow_extra", NULL, NULL, NULL);
    free(cur);
    cur = NULL;
    free(B.rows);
    B.rows = NULL;
    free(B.items);
    B.items = NULL;
    ta_strset_release(&B.strs);
    free(B.aslot);
    B.aslot = NULL;
    /* Give back the slack of the doubling growth: the index lives for hours. */
    finish((void **)&x->pool, &x->pool_cap, x->pool_len, 1);
    finish((void **)&x->ent, &x->cap_ent, x->nent, sizeof(*x->ent));
    finish((void **)&x->src, &x->cap_src, x->nsrc, sizeof(*x->src));
    finish((void **)&x->keys, &x->cap_keys, x->nkeys, sizeof(*x->keys));
    finish((void **)&x->lists, &x->cap_lists, x->nlists, sizeof(*x->lists));
    finish((void **)&x->ans, &x->cap_ans, x->nans, sizeof(*x->ans));
    finish((void **)&x->ipp, &x->cap_ipp, x->nipp, sizeof(*x->ipp));
    size_t c = x->nslots;
    finish((void **)&x->slots, &c, x->nslots, sizeof(*x->slots));
    c = x->bloom_mask + 1;
    finish((void **)&x->bloom, &c, x->bloom_mask + 1, sizeof(*x->bloom));
    c = x->nv4;
    finish((void **)&x->v4, &c, x->nv4, sizeof(*x->v4));
    c = x->nv6;
    finish((void **)&x->v6_start, &c, x->nv6, sizeof(*x->v6_start));
    /* The ranges are in place: index them. */
    if (!derive_tables(x))
        goto fail;
    x->st.memory = x->pool_cap + x->cap_ent * sizeof(struct entry) +
                   x->cap_src * sizeof(struct src) + x->cap_keys * sizeof(struct skey) +
                   x->nslots * sizeof(*x->slots) + (x->bloom_mask + 1) * sizeof(*x->bloom) +
                   x->cap_ans * sizeof(struct answer) + x->cap_lists * sizeof(struct pfx) +
                   x->nv4 * sizeof(*x->v4) + ta_rtab4_bytes(&x->r4) +
                   V4_ANY_WORDS * sizeof(*x->v4_any) + x->nv6 * (sizeof(u128) + sizeof(uint32_t)) +
                   ta_rtab6_bytes(&x->r6) + x->cap_ipp * sizeof(struct ipport) +
                   x->nipp_slots * sizeof(uint32_t);
    *out = x;
    return TA_OK;
fail:
    sqlite3_finalize(st);
    if (opts->allow_files != NULL && opts->allow_files[0] != NULL)
        sqlite3_exec(ta__intel_db_handle(db), "DROP TABLE IF EXISTS temp.intel_allow_extra", NULL,
                     NULL, NULL);
    free(cur);
    free(B.rows);
    free(B.items);
    ta_strset_release(&B.strs);
    free(B.aslot);
    ta_intel_index_free(x);
    return e;
}

void ta_intel_index_free(struct ta_intel_index *x)
{
    if (x == NULL)
        return;
    ta_rtab4_release(&x->r4);
    ta_rtab6_release(&x->r6);
    free(x->v4_any);
    if (x->map != NULL || x->borrowed) {
        if (x->map != NULL)
            munmap(x->map, x->map_len);
        free(x);
        return;
    }
    free(x->pool);
    free(x->ent);
    free(x->src);
    free(x->keys);
    free(x->slots);
    free(x->bloom);
    free(x->pfx);
    free(x->ans);
    free(x->lists);
    free(x->v4);
    free(x->v6_start);
    free(x->v6_ans);
    free(x->ipp);
    free(x->ipp_slots);
    free(x);
}

void ta_intel_index_stats(const struct ta_intel_index *x, struct ta_intel_index_stats *out)
{
    *out = x->st;
}

/* ---- lookups -------------------------------------------------------------- */

static inline ta_time_us us(uint32_t s)
{
    return (ta_time_us)s * 1000000ull;
}

/* Seconds of an observation time; 0 = no time check. */
static inline uint32_t at_secs(ta_time_us at)
{
    if (at == 0)
        return 0;
    uint64_t v = at / 1000000u;
    return v == 0 ? 1 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A dated source's window: [first - grace_before, end]; end = valid_until, else
 * last_seen + grace_after, else open. */
static inline bool src_valid(const struct ta_intel_index *x, const struct src *s, uint32_t at)
{
    uint64_t lo = s->first > x->grace_before ? (uint64_t)s->first - x->grace_before : 0;
    if (at < lo)
        return false;
    if (s->valid != 0)
        return at <= s->valid;
    if (s->last != 0)
        return at <= (uint64_t)s->last + x->grace_after;
    return true;
}

/* Whether an entry matches at time at (seconds, 0 = any): 0 no, 1 yes through a
 * dated source (or without a time check), 2 only through an undated source. */
static int entry_valid(const struct ta_intel_index *x, const struct entry *e, uint32_t at)
{
    if (at == 0)
        return (e->flags & F_DATED) ? 1 : 2;
    int undated = (e->flags & F_UNDATED) && !x->skip_undated ? 2 : 0;
    if (!(e->flags & F_DATED))
        return undated;
    /* The entry's own summary (earliest first_seen, latest last_seen and
     * valid_until) bounds every source's window, and is the window itself
     * for a single source: most lookups decide here without reading the
     * sources (one cache miss less on the hit path). */
    uint64_t lo = e->first > x->grace_before ? (uint64_t)e->first - x->grace_before : 0;
    if (at < lo)
        return undated;
    if (e->nsrc == 1) {
        uint64_t end = e->valid != 0  ? e->valid
                       : e->last != 0 ? (uint64_t)e->last + x->grace_after
                                      : UINT64_MAX;
        return at <= end ? 1 : 0;
    }
    if (!(e->flags & F_OPEN)) {
        uint64_t hi = e->last != 0 ? (uint64_t)e->last + x->grace_after : 0;
        if (e->valid > hi)
            hi = e->valid;
        if (at > hi)
            return undated;
    }
    for (uint32_t i = 0; i < e->nsrc; i++) {
        const struct src *s = &x->src[e->src_first + i];
        if (s->first != 0 && src_valid(x, s, at))
            return 1;
    }
    return undated;
}

static void fill(const struct ta_intel_index *x, const struct entry *e, uint8_t plen,
                 struct ta_intel_match *m)
{
    m->value = x->pool + e->value;
    m->type = (enum ta_intel_type)e->type;
    m->kind = (enum ta_intel_kind)e->kind;
    m->confidence = e->conf;
    m->exact = (e->flags & F_EXACT) != 0;
    m->prefix_len = plen;
    m->family = x->pool + e->family;
    m->brand = x->pool + e->brand;
    m->country = x->pool + e->country;
    m->first_seen = us(e->first);
    m->last_seen = us(e->last);
    m->valid_until = us(e->valid);
    m->nsources = e->nsrc;
    m->src_first = e->src_first;
    m->undated = false;
}

static size_t put_entries(const struct ta_intel_index *x, uint32_t efirst, uint16_t ecount,
                          uint32_t kinds, uint32_t at, uint8_t plen, bool parent,
                          struct ta_intel_match *out, size_t n, size_t max)
{
    for (uint32_t i = 0; i < ecount && n < max; i++) {
        const struct entry *e = &x->ent[efirst + i];
        if (!(kinds & (1u << e->kind)))
            continue;
        if (parent && (e->flags & F_EXACT))
            continue;
        int v = entry_valid(x, e, at);
        if (v == 0)
            continue;
        fill(x, e, plen, &out[n]);
        out[n++].undated = v == 2;
    }
    return n;
}

/* The allow entry among (efirst, ecount), respecting exact-only for parents. */
static const struct entry *allow_entry(const struct ta_intel_index *x, uint32_t efirst,
                                       uint16_t ecount, bool parent)
{
    for (uint32_t i = 0; i < ecount; i++) {
        const struct entry *e = &x->ent[efirst + i];
        if (e->kind == TA_INTEL_KIND_ALLOW && !(parent && (e->flags & F_EXACT)))
            return e;
    }
    return NULL;
}

static inline uint32_t norm_kinds(uint32_t kinds)
{
    return kinds == 0 ? ((1u << TA_INTEL_KIND__COUNT) - 1) & ~(1u << TA_INTEL_KIND_ALLOW) : kinds;
}

ta_err ta_intel_index_each(const struct ta_intel_index *x, enum ta_intel_type type,
                           enum ta_intel_kind kind, ta_intel_emit_fn fn, void *user)
{
    for (size_t i = 0; i < x->nent; i++) {
        const struct entry *e = &x->ent[i];
        if (e->type != (uint8_t)type || e->kind != (uint8_t)kind)
            continue;
        struct ta_intel_indicator ind = {
            .type = type,
            .kind = kind,
            .value = x->pool + e->value,
            .source = e->nsrc > 0 ? x->pool + x->src[e->src_first].source : "",
            .confidence = e->conf,
            .exact = (e->flags & F_EXACT) != 0,
            .family = x->pool + e->family,
            .brand = x->pool + e->brand,
            .country = x->pool + e->country,
            .first_seen = us(e->first),
            .last_seen = us(e->last),
            .valid_until = us(e->valid),
        };
        ta_err err = fn(user, &ind);
        if (err != TA_OK)
            return err;
    }
    return TA_OK;
}

void ta_intel_match_source(const struct ta_intel_index *x, const struct ta_intel_match *m,
                           uint32_t i, struct ta_intel_source_info *out)
{
    const struct src *s = &x->src[m->src_first + (i < m->nsources ? i : 0)];
    out->source = x->pool + s->source;
    out->confidence = s->conf;
    out->family = x->pool + s->family;
    out->brand = x->pool + s->brand;
    out->country = x->pool + s->country;
    out->first_seen = us(s->first);
    out->last_seen = us(s->last);
    out->valid_until = us(s->valid);
}

/* Answer id of an IPv4 address (host order; 0 = nothing covers it). */
static inline uint32_t answer_of4(const struct ta_intel_index *x, uint32_t ip)
{
    if (!(x->v4_any[ip >> 14] >> (ip >> 8 & 63) & 1))
        return 0;
    return ta_rtab4_find(&x->r4, ip);
}

static inline uint32_t answer_of(const struct ta_intel_index *x, const struct ta_addr *addr)
{
    if (addr->family == 4)
        return answer_of4(x, ta_rd32be(addr->b + 12));
    if (addr->family == 6)
        return ta_rtab6_find(&x->r6, addr_u128(addr->b));
    return 0;
}

static inline bool in_window(uint32_t at, uint32_t lo, uint32_t hi)
{
    return at == 0 || (at >= lo && at <= hi);
}

/* The entries of an answer's prefixes (after n matches already in out). A
 * prefix whose window excludes the time has no entry to give: its entries
 * are not read. */
static inline size_t put_list(const struct ta_intel_index *x, const struct answer *A,
                              uint32_t kinds, uint32_t at_s, struct ta_intel_match *out, size_t n,
                              size_t max)
{
    if (A->n > 0 && n < max && in_window(at_s, A->wlo, A->whi))
        n = put_entries(x, A->efirst, A->ecount, kinds, at_s, A->plen, false, out, n, max);
    for (size_t i = 1; i < A->n && n < max; i++) {
        const struct pfx *p = &x->lists[A->off + i - 1];
        if ((p->kinds & kinds) && in_window(at_s, p->wlo, p->whi))
            n = put_entries(x, p->efirst, p->ecount, kinds, at_s, p->plen, false, out, n, max);
    }
    return n;
}

/* An answer with IP:port indicators inside, asked with a port: those of the
 * address and port first (an IP:port indicator holds only on its port; a
 * flow without a port, ICMP ..., never reaches one), then the prefixes. */
static __attribute__((noinline)) size_t
match_ipport(const struct ta_intel_index *x, const struct answer *A, const struct ta_addr *addr,
             uint16_t port, uint32_t at_s, uint32_t kinds, struct ta_intel_match *out, size_t max)
{
    size_t ipp_first = 0, ipp_n = 0;
    size_t j = addr_hash(addr->b) & (x->nipp_slots - 1);
    while (x->ipp_slots[j] != 0) {
        size_t k = x->ipp_slots[j] - 1;
        if (memcmp(x->ipp[k].addr, addr->b, 16) == 0) {
            ipp_first = k;
            while (k < x->nipp && memcmp(x->ipp[k].addr, addr->b, 16) == 0)
                k++;
            ipp_n = k - ipp_first;
            break;
        }
        j = (j + 1) & (x->nipp_slots - 1);
    }
    size_t n = 0;
    for (size_t i = 0; i < ipp_n && n < max; i++) {
        const struct ipport *p = &x->ipp[ipp_first + i];
        if (p->port == port)
            n = put_entries(x, p->efirst, p->ecount, kinds, at_s, addr->family == 4 ? 32 : 128,
                            false, out, n, max);
    }
    return (A->kinds & kinds) ? put_list(x, A, kinds, at_s, out, n, max) : n;
}

/* The matches of a covered address: kept out of line so that the common
 * case, nothing covers the address, is a short leaf function. */
static __attribute__((noinline)) size_t match_answer(const struct ta_intel_index *x, uint32_t id,
                                                     const struct ta_addr *addr, uint16_t port,
                                                     ta_time_us at, uint32_t kinds,
                                                     struct ta_intel_match *out, size_t max)
{
    kinds = norm_kinds(kinds);
    const struct answer *A = &x->ans[id];
    if ((A->flags & A_IPP) && port != 0 && x->nipp_slots > 0)
        return match_ipport(x, A, addr, port, at_secs(at), kinds, out, max);
    if (!(A->kinds & kinds))
        return 0;
    return put_list(x, A, kinds, at_secs(at), out, 0, max);
}

size_t ta_intel_match_ip(const struct ta_intel_index *x, const struct ta_addr *addr, uint16_t port,
                         ta_time_us at, uint32_t kinds, struct ta_intel_match *out, size_t max)
{
    uint32_t id = answer_of(x, addr);
    /* Most traffic ends here: nothing covers the address. */
    if (id == 0)
        return 0;
    return match_answer(x, id, addr, port, at, kinds, out, max);
}

/* Addresses a batch keeps in flight: enough misses to fill the core's
 * outstanding-miss slots, few enough for their state to stay in registers
 * and L1. */
#define BATCH 16

/* Fetch the entries of a prefix whose window holds the time (those a match
 * reads). */
static inline void prefetch_entries(const struct ta_intel_index *x, uint32_t efirst, uint32_t at_s,
                                    uint32_t wlo, uint32_t whi)
{
    if (in_window(at_s, wlo, whi))
        __builtin_prefetch(&x->ent[efirst]);
}

size_t ta_intel_match_ip_batch(const struct ta_intel_index *x, const struct ta_addr *addrs,
                               const uint16_t *ports, size_t n, ta_time_us at, uint32_t kinds,
                               struct ta_intel_match *out, size_t max, size_t *counts)
{
    size_t total = 0;
    uint32_t at_s = at_secs(at);
    for (size_t g = 0; g < n; g += BATCH) {
        size_t m = n - g < BATCH ? n - g : BATCH;
        const struct ta_addr *a = addrs + g;
        uint32_t ip[BATCH], d[BATCH];
        /* Stage 1: the /24 bit and the jump slot of every IPv4 address. */
        for (size_t i = 0; i < m; i++) {
            ip[i] = ta_rd32be(a[i].b + 12);
            if (a[i].family == 4) {
                __builtin_prefetch(&x->v4_any[ip[i] >> 14]);
                __builtin_prefetch(&x->r4.dir[ip[i] >> (32 - TA_RTAB4_BITS)]);
            }
        }
        /* Stage 2: a slot inside one range gives the answer (fetch it);
         * other slots give the ranges to search (fetch where it starts). */
        for (size_t i = 0; i < m; i++) {
            d[i] = 0;
            if (a[i].family != 4 || !(x->v4_any[ip[i] >> 14] >> (ip[i] >> 8 & 63) & 1))
                continue;
            d[i] = x->r4.dir[ip[i] >> (32 - TA_RTAB4_BITS)];
            if (d[i] & TA_RTAB_UNIFORM) {
                __builtin_prefetch(&x->ans[d[i] & ~TA_RTAB_UNIFORM]);
            } else {
                size_t base = d[i] & TA_RTAB4_IDX, half = ((size_t)1 << (d[i] >> 27 & 15u)) >> 1;
                __builtin_prefetch(&x->v4[base]);
                if (base + half < x->nv4)
                    __builtin_prefetch(&x->v4[base + half]);
            }
        }
        /* Stage 3: finish the searches and fetch their answers. */
        for (size_t i = 0; i < m; i++) {
            if (d[i] == 0 || (d[i] & TA_RTAB_UNIFORM)) {
                d[i] &= ~TA_RTAB_UNIFORM;
                continue;
            }
            d[i] = ta_rtab4_find(&x->r4, ip[i]);
            __builtin_prefetch(&x->ans[d[i]]);
        }
        /* Stage 4: the first prefix's entries and the list of the others. */
        for (size_t i = 0; i < m; i++) {
            const struct answer *A = &x->ans[d[i]];
            if (d[i] == 0 || A->n == 0)
                continue;
            prefetch_entries(x, A->efirst, at_s, A->wlo, A->whi);
            if (A->n > 1)
                __builtin_prefetch(&x->lists[A->off]);
        }
        /* Stage 5: the other prefixes' entries. */
        for (size_t i = 0; i < m; i++) {
            const struct answer *A = &x->ans[d[i]];
            for (size_t k = 1; d[i] != 0 && k < A->n && k < 4; k++) {
                const struct pfx *p = &x->lists[A->off + k - 1];
                prefetch_entries(x, p->efirst, at_s, p->wlo, p->whi);
            }
        }
        /* Stage 6: the matches. */
        for (size_t i = 0; i < m; i++) {
            struct ta_intel_match *o = out + (g + i) * max;
            uint16_t port = ports != NULL ? ports[g + i] : 0;
            size_t k;
            if (a[i].family != 4)
                k = ta_intel_match_ip(x, &a[i], port, at, kinds, o, max);
            else
                k = d[i] == 0 ? 0 : match_answer(x, d[i], &a[i], port, at, kinds, o, max);
            counts[g + i] = k;
            total += k;
        }
    }
    return total;
}

bool ta_intel_allow_ip(const struct ta_intel_index *x, const struct ta_addr *addr,
                       struct ta_intel_match *out)
{
    uint32_t id = answer_of(x, addr);
    if (id == 0 || !(x->ans[id].flags & A_ALLOW))
        return false;
    const struct answer *A = &x->ans[id];
    for (size_t i = 0; i < A->n; i++) {
        struct pfx p = answer_pfx(x, A, i);
        if (!(p.flags & F_ALLOW))
            continue;
        const struct entry *e = allow_entry(x, p.efirst, p.ecount, false);
        if (e != NULL) {
            fill(x, e, p.plen, out);
            return true;
        }
    }
    return false;
}

/* Lower-cased copy of a name without its trailing dot; 0 if unusable. */
static size_t name_copy(const char *name, size_t len, char *buf)
{
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return len;
}

/*
 * The domain keys among the name and its parents, shortest first: hit[i] is
 * the key for buf + off[i]. One right-to-left pass hashes every candidate
 * suffix (each label boundary, then the whole name).
 */
static size_t domain_keys(const struct ta_intel_index *x, const char *buf, size_t len,
                          const struct skey **hit, uint8_t *off)
{
    uint64_t hs[128];
    uint8_t at[128];
    size_t ns = 0;
    uint64_t h = h_init(TA_INTEL_DOMAIN);
    for (size_t i = len; i > 0; i--) {
        char c = buf[i - 1];
        if (c == '.') {
            if (i == len)
                return 0; /* empty label */
            if (ns < 127) {
                hs[ns] = h_fin(h);
                at[ns++] = (uint8_t)i;
            }
        }
        h = h_step(h, (uint8_t)c);
    }
    hs[ns] = h_fin(h);
    at[ns++] = 0;
    /* The filter answers most suffixes; the slot loads of the survivors are
     * independent, so issue them together. */
    size_t nm = 0;
    for (size_t i = 0; i < ns; i++)
        if (bloom_maybe(x, hs[i])) {
            hs[nm] = hs[i];
            at[nm++] = at[i];
        }
    if (nm == 0)
        return 0;
    for (size_t i = 0; i < nm; i++)
        __builtin_prefetch(&x->slots[(uint32_t)hs[i] & (x->nslots - 1)]);
    size_t nh = 0;
    for (size_t i = 0; i < nm; i++) {
        const struct skey *k =
            probe_slots(x, TA_INTEL_DOMAIN, hs[i], buf + at[i], len - (size_t)at[i]);
        if (k != NULL) {
            hit[nh] = k;
            off[nh++] = at[i];
        }
    }
    return nh;
}

size_t ta_intel_match_domain(const struct ta_intel_index *x, const char *name, size_t len,
                             ta_time_us at, uint32_t kinds, struct ta_intel_match *out, size_t max)
{
    kinds = norm_kinds(kinds);
    char buf[256];
    if (x->nkeys == 0 || (len = name_copy(name, len, buf)) == 0)
        return 0;
    const struct skey *hit[128];
    uint8_t off[128];
    size_t nh = domain_keys(x, buf, len, hit, off);
    uint32_t at_s = at_secs(at);
    size_t n = 0;
    for (size_t i = nh; i > 0 && n < max; i--)
        n = put_entries(x, hit[i - 1]->efirst, hit[i - 1]->ecount, kinds, at_s, 0, off[i - 1] != 0,
                        out, n, max);
    return n;
}

bool ta_intel_allow_domain(const struct ta_intel_index *x, const char *name, size_t len,
                           const char *within, struct ta_intel_match *out)
{
    char buf[256], wb[256];
    if (x->nkeys == 0 || (len = name_copy(name, len, buf)) == 0)
        return false;
    size_t wl = 0;
    if (within != NULL && (wl = name_copy(within, strlen(within), wb)) == 0)
        return false;
    const struct skey *hit[128];
    uint8_t off[128];
    size_t nh = domain_keys(x, buf, len, hit, off);
    /* Longest (most specific) first. */
    for (size_t i = nh; i > 0; i--) {
        const struct skey *k = hit[i - 1];
        if (!(k->flags & F_ALLOW))
            continue;
        size_t kl = len - off[i - 1];
        const char *kv = buf + off[i - 1];
        /* Only entries equal to within or under it. */
        if (within != NULL &&
            !(kl == wl ? memcmp(kv, wb, wl) == 0
                       : kl > wl && kv[kl - wl - 1] == '.' && memcmp(kv + kl - wl, wb, wl) == 0))
            continue;
        const struct entry *e = allow_entry(x, k->efirst, k->ecount, off[i - 1] != 0);
        if (e != NULL) {
            fill(x, e, 0, out);
            return true;
        }
    }
    return false;
}

/* The URL keys of a normalised URL: full, without the query, its path, its
 * path without the query; in that order. *root: the URL is a site's root. */
static size_t url_keys(const struct ta_intel_index *x, const char *buf, size_t nl,
                       const struct skey **hit, bool *root)
{
    const char *sep = strstr(buf, "://");
    const char *rest = sep != NULL ? sep + 3 : buf;
    size_t rl = nl - (size_t)(rest - buf);
    const char *q = memchr(rest, '?', rl);
    const char *path = memchr(rest, '/', rl);
    size_t nh = 0;
    *root = path != NULL && q == NULL && rl - (size_t)(path - rest) == 1;
    const struct skey *k = probe(x, TA_INTEL_URL, hash_rev(TA_INTEL_URL, rest, rl), rest, rl);
    if (k != NULL)
        hit[nh++] = k;
    if (q != NULL) {
        size_t ql = (size_t)(q - rest);
        k = probe(x, TA_INTEL_URL, hash_rev(TA_INTEL_URL, rest, ql), rest, ql);
        if (k != NULL)
            hit[nh++] = k;
    }
    if (path != NULL) {
        size_t pl = rl - (size_t)(path - rest);
        k = probe(x, TA_INTEL_URL_PATH, hash_rev(TA_INTEL_URL_PATH, path, pl), path, pl);
        if (k != NULL)
            hit[nh++] = k;
        if (q != NULL) {
            pl = (size_t)(q - path);
            k = probe(x, TA_INTEL_URL_PATH, hash_rev(TA_INTEL_URL_PATH, path, pl), path, pl);
            if (k != NULL)
                hit[nh++] = k;
        }
    }
    return nh;
}

size_t ta_intel_match_url(const struct ta_intel_index *x, const char *url, size_t len,
                          ta_time_us at, uint32_t kinds, struct ta_intel_match *out, size_t max)
{
    kinds = norm_kinds(kinds);
    if (x->nkeys == 0)
        return 0;
    char buf[TA_INTEL_URL_MAX + 16];
    size_t nl;
    if (!ta_intel_url_normalize(url, len, buf, sizeof(buf), &nl))
        return 0;
    const struct skey *hit[4];
    bool root;
    size_t nh = url_keys(x, buf, nl, hit, &root);
    uint32_t at_s = at_secs(at);
    size_t n = 0;
    for (size_t i = 0; i < nh && n < max; i++)
        n = put_entries(x, hit[i]->efirst, hit[i]->ecount, kinds, at_s, 0, false, out, n, max);
    return n;
}

bool ta_intel_allow_url(const struct ta_intel_index *x, const char *url, size_t len,
                        struct ta_intel_match *out)
{
    if (x->nkeys == 0)
        return false;
    char buf[TA_INTEL_URL_MAX + 16];
    size_t nl;
    if (!ta_intel_url_normalize(url, len, buf, sizeof(buf), &nl))
        return false;
    const struct skey *hit[4];
    bool root;
    size_t nh = url_keys(x, buf, nl, hit, &root);
    for (size_t i = 0; i < nh; i++) {
        /* URL entries only: a path alone names no site. */
        if (hit[i]->type != TA_INTEL_URL || !(hit[i]->flags & F_ALLOW))
            continue;
        const struct entry *e = allow_entry(x, hit[i]->efirst, hit[i]->ecount, false);
        if (e != NULL) {
            fill(x, e, 0, out);
            return true;
        }
    }
    if (!root)
        return false;
    /* A site root stands for the site: an allow entry for exactly its host. */
    struct ta_url_host u;
    if (!ta_url_host(buf, nl, &u))
        return false;
    const struct skey *k =
        probe(x, TA_INTEL_DOMAIN, hash_rev(TA_INTEL_DOMAIN, u.host, u.len), u.host, u.len);
    if (k == NULL || !(k->flags & F_ALLOW))
        return false;
    const struct entry *e = allow_entry(x, k->efirst, k->ecount, false);
    if (e == NULL)
        return false;
    fill(x, e, 0, out);
    return true;
}

size_t ta_intel_match_hash(const struct ta_intel_index *x, enum ta_intel_type type, const char *hex,
                           size_t len, ta_time_us at, uint32_t kinds, struct ta_intel_match *out,
                           size_t max)
{
    kinds = norm_kinds(kinds);
    if (x->nkeys == 0 || len == 0 || len > 128 || type < TA_INTEL_JA3 || type > TA_INTEL_SHA256)
        return 0;
    char buf[128];
    for (size_t i = 0; i < len; i++) {
        char c = hex[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    const struct skey *k = probe(x, type, hash_rev(type, buf, len), buf, len);
    if (k == NULL)
        return 0;
    return put_entries(x, k->efirst, k->ecount, kinds, at_secs(at), 0, false, out, 0, max);
}

/* ---- the cache file --------------------------------------------------------- */

/*
 * Layout: a fixed header (magic, format, the sizes that make the file
 * meaningful, the index's scalars, one (offset, bytes, count) per table, a
 * checksum of the tables and one of the header itself), the key text, then
 * each table at a 64-byte boundary. The tables hold no pointers (strings are
 * pool offsets), so a mapping is used as it is; the jump tables and the /24
 * bitmap are derived from the ranges at open (milliseconds) and are not in
 * the file.
 *
 * The file is untrusted: the reader checks the header checksum and the key,
 * the file size, every table's bounds and exact size, a checksum over all
 * the tables (a flipped bit anywhere makes the file stale: it is rebuilt),
 * and then every index a lookup follows (answer ids, entry and source
 * ranges, pool offsets, list offsets, hash slots, sorted ranges), so that
 * even a file forged with a valid checksum cannot make a lookup read out of
 * bounds or loop. This reads the whole file once at start: about 0.1 s of CPU for
 * a million indicators, against seconds for a build.
 */
#define CACHE_MAGIC  "TAIDXC\r\n"
#define CACHE_FORMAT 2u
#define CACHE_ALIGN  64u

enum {
    S_POOL,
    S_ENT,
    S_SRC,
    S_KEYS,
    S_SLOTS,
    S_BLOOM,
    S_ANS,
    S_LISTS,
    S_V4,
    S_V6START,
    S_V6ANS,
    S_IPP,
    S_IPPSLOTS,
    S__COUNT
};

struct cache_sec {
    uint64_t off, bytes, count;
};

struct cache_hdr {
    char magic[8];
    uint32_t format, nsec;
    uint64_t file_len, key_len;
    uint32_t grace_before, grace_after, skip_undated, pad;
    uint64_t bloom_mask;
    struct ta_intel_index_stats st;
    struct cache_sec sec[S__COUNT];
    uint64_t data_check; /* ta_hash64_file() of the bytes after the key */
    uint64_t check;      /* ta_hash64 of the header up to here, then of the key */
};

static size_t sec_elem(int s)
{
    static const size_t sz[S__COUNT] = {
        [S_POOL] = 1,
        [S_ENT] = sizeof(struct entry),
        [S_SRC] = sizeof(struct src),
        [S_KEYS] = sizeof(struct skey),
        [S_SLOTS] = sizeof(uint64_t),
        [S_BLOOM] = sizeof(uint64_t),
        [S_ANS] = sizeof(struct answer),
        [S_LISTS] = sizeof(struct pfx),
        [S_V4] = sizeof(struct ta_range4),
        [S_V6START] = sizeof(u128),
        [S_V6ANS] = sizeof(uint32_t),
        [S_IPP] = sizeof(struct ipport),
        [S_IPPSLOTS] = sizeof(uint32_t),
    };
    return sz[s];
}

static uint64_t hdr_check(const struct cache_hdr *h, const char *key)
{
    uint64_t c = ta_hash64(0x7461696478636331ull, h, offsetof(struct cache_hdr, check));
    return ta_hash64(c, key, (size_t)h->key_len);
}

/* The key: everything the built index depends on besides this file's format. */
static bool cache_key(struct ta_intel_db *db, const struct ta_intel_index_opts *o, char *k,
                      size_t n)
{
    char ver[128];
    if (ta__intel_db_version(db, ver, sizeof(ver)) != TA_OK)
        return false;
    /* The sizes change the meaning of the bytes. */
    int w = snprintf(k, n,
                     "format=%u sizes=%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu kinds=%d types=%d "
                     "db=%s grace=%u/%u undated=%d valid_at=%llu",
                     CACHE_FORMAT, sizeof(struct entry), sizeof(struct src), sizeof(struct skey),
                     sizeof(struct pfx), sizeof(struct answer), sizeof(struct ipport),
                     sizeof(struct ta_intel_index_stats), sizeof(void *), TA_INTEL_KIND__COUNT,
                     TA_INTEL_TYPE__COUNT, ver, o->grace_before_s, o->grace_after_s,
                     o->skip_undated ? 1 : 0, (unsigned long long)o->valid_at);
    if (w < 0 || (size_t)w >= n)
        return false;
    size_t used = (size_t)w;
    for (size_t i = 0; o->allow_files != NULL && o->allow_files[i] != NULL; i++) {
        struct stat st;
        if (stat(o->allow_files[i], &st) != 0)
            return false; /* the build reports the missing file */
        w = snprintf(k + used, n - used, " allow=%s:%lld:%lld.%09ld:%llu", o->allow_files[i],
                     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     (unsigned long long)st.st_ino);
        if (w < 0 || (size_t)w >= n - used)
            return false;
        used += (size_t)w;
    }
    return true;
}

static void cache_tables(const struct ta_intel_index *x, const void *p[S__COUNT],
                         uint64_t count[S__COUNT])
{
    p[S_POOL] = x->pool, count[S_POOL] = x->pool_len;
    p[S_ENT] = x->ent, count[S_ENT] = x->nent;
    p[S_SRC] = x->src, count[S_SRC] = x->nsrc;
    p[S_KEYS] = x->keys, count[S_KEYS] = x->nkeys;
    p[S_SLOTS] = x->slots, count[S_SLOTS] = x->nslots;
    p[S_BLOOM] = x->bloom, count[S_BLOOM] = x->bloom != NULL ? x->bloom_mask + 1 : 0;
    p[S_ANS] = x->ans, count[S_ANS] = x->nans;
    p[S_LISTS] = x->lists, count[S_LISTS] = x->nlists;
    p[S_V4] = x->v4, count[S_V4] = x->nv4;
    p[S_V6START] = x->v6_start, count[S_V6START] = x->nv6;
    p[S_V6ANS] = x->v6_ans, count[S_V6ANS] = x->nv6;
    p[S_IPP] = x->ipp, count[S_IPP] = x->nipp;
    p[S_IPPSLOTS] = x->ipp_slots, count[S_IPPSLOTS] = x->nipp_slots;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

ta_err ta__intel_cache_write(const struct ta_intel_index *x, const char *path, const char *key,
                             int *err)
{
    *err = 0;
    const void *p[S__COUNT];
    uint64_t count[S__COUNT];
    cache_tables(x, p, count);
    if (count[S_ANS] == 0 || count[S_POOL] == 0)
        return TA_ERR_UNSUPPORTED;
    struct cache_hdr h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.format = CACHE_FORMAT;
    h.nsec = S__COUNT;
    h.key_len = strlen(key);
    h.grace_before = x->grace_before;
    h.grace_after = x->grace_after;
    h.skip_undated = x->skip_undated;
    h.bloom_mask = x->bloom_mask;
    h.st = x->st;
    uint64_t off = sizeof(h) + h.key_len;
    for (int s = 0; s < S__COUNT; s++) {
        off = (off + CACHE_ALIGN - 1) & ~(uint64_t)(CACHE_ALIGN - 1);
        h.sec[s] = (struct cache_sec){off, count[s] * sec_elem(s), count[s]};
        off += h.sec[s].bytes;
    }
    h.file_len = off;
    /* The checksum covers the padding too: the bytes written, in order. */
    static const uint8_t zeros[CACHE_ALIGN];
    size_t dlen = (size_t)(h.file_len - sizeof(h) - h.key_len);
    uint8_t *data = malloc(dlen > 0 ? dlen : 1);
    if (data == NULL)
        return TA_ERR_NOMEM;
    size_t at = 0;
    uint64_t base = sizeof(h) + h.key_len;
    for (int s = 0; s < S__COUNT; s++) {
        size_t pad = (size_t)(h.sec[s].off - base) - at;
        memcpy(data + at, zeros, pad);
        at += pad;
        if (h.sec[s].bytes > 0)
            memcpy(data + at, p[s], (size_t)h.sec[s].bytes);
        at += (size_t)h.sec[s].bytes;
    }
    h.data_check = ta_hash64_file(data, dlen);
    h.check = hdr_check(&h, key);
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        free(data);
        return TA_ERR_LIMIT;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        *err = errno;
        free(data);
        return TA_ERR_IO;
    }
    bool ok = write_all(fd, &h, sizeof(h)) && write_all(fd, key, (size_t)h.key_len) &&
              write_all(fd, data, dlen);
    free(data);
    /* Durable before it becomes visible: a crash never leaves a short file
     * under the final name. */
    ok = ok && fsync(fd) == 0;
    int we = ok ? 0 : errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        we = errno;
    }
    if (ok && rename(tmp, path) == 0)
        return TA_OK;
    *err = we != 0 ? we : errno;
    unlink(tmp);
    return TA_ERR_IO;
}

static bool pow2_or_zero(uint64_t v)
{
    return (v & (v - 1)) == 0;
}

/* [first, first + count) inside [0, n). */
static inline bool span_ok(uint64_t first, uint64_t count, uint64_t n)
{
    return first <= n && count <= n - first;
}

/* An open-addressing table of n slots (a power of two) with at least one
 * empty slot, so every probe ends; vals hold index + 1 below lim + 1. */
static bool slots32_ok(const uint32_t *v, size_t n, size_t lim)
{
    bool empty = n == 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == 0)
            empty = true;
        else if (v[i] > lim)
            return false;
    }
    return empty;
}

/* Every index a lookup follows, checked once (see the layout comment). */
static bool tables_ok(const struct ta_intel_index *x)
{
    const uint64_t pl = x->pool_len;
    for (size_t i = 0; i < x->nent; i++) {
        const struct entry *e = &x->ent[i];
        if (e->value >= pl || e->family >= pl || e->brand >= pl || e->country >= pl ||
            e->nsrc == 0 || !span_ok(e->src_first, e->nsrc, x->nsrc) ||
            e->kind >= TA_INTEL_KIND__COUNT || e->type >= TA_INTEL_TYPE__COUNT)
            return false;
    }
    for (size_t i = 0; i < x->nsrc; i++) {
        const struct src *s = &x->src[i];
        if (s->source >= pl || s->family >= pl || s->brand >= pl || s->country >= pl)
            return false;
    }
    for (size_t i = 0; i < x->nkeys; i++) {
        const struct skey *k = &x->keys[i];
        if (!span_ok(k->str, k->len, pl) || !span_ok(k->efirst, k->ecount, x->nent))
            return false;
    }
    /* String lookups need both tables once there is a key. */
    if (x->nkeys > 0 && (x->nslots == 0 || x->bloom == NULL))
        return false;
    bool empty = x->nslots == 0;
    for (size_t i = 0; i < x->nslots; i++) {
        uint32_t k = (uint32_t)x->slots[i];
        if (x->slots[i] == 0)
            empty = true;
        else if (k == 0 || k > x->nkeys)
            return false;
    }
    if (!empty)
        return false;
    for (size_t i = 0; i < x->nans; i++) {
        const struct answer *a = &x->ans[i];
        if (a->n > 0 && (!span_ok(a->efirst, a->ecount, x->nent) ||
                         !span_ok(a->off, (uint64_t)a->n - 1, x->nlists)))
            return false;
    }
    for (size_t i = 0; i < x->nlists; i++)
        if (!span_ok(x->lists[i].efirst, x->lists[i].ecount, x->nent))
            return false;
    /* Ranges cover the space from 0 in increasing order, each with an answer. */
    for (size_t i = 0; i < x->nv4; i++)
        if (x->v4[i].val >= x->nans ||
            (i == 0 ? x->v4[0].start != 0 : x->v4[i].start <= x->v4[i - 1].start))
            return false;
    for (size_t i = 0; i < x->nv6; i++)
        if (x->v6_ans[i] >= x->nans ||
            (i == 0 ? x->v6_start[0] != 0 : x->v6_start[i] <= x->v6_start[i - 1]))
            return false;
    for (size_t i = 0; i < x->nipp; i++)
        if (!span_ok(x->ipp[i].efirst, x->ipp[i].ecount, x->nent))
            return false;
    return slots32_ok(x->ipp_slots, x->nipp_slots, x->nipp);
}

enum ta__intel_cache_status ta__intel_cache_parse(const uint8_t *buf, size_t len, const char *key,
                                                  struct ta_intel_index **out)
{
    *out = NULL;
    struct cache_hdr h;
    size_t kl = strlen(key);
    if (len < sizeof(h))
        return TA__INTEL_CACHE_CORRUPT;
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.format != CACHE_FORMAT || h.nsec != S__COUNT ||
        h.file_len != len || h.key_len != kl || len - sizeof(h) < kl ||
        memcmp(buf + sizeof(h), key, kl) != 0 || h.check != hdr_check(&h, key))
        return TA__INTEL_CACHE_STALE;
    uint64_t prev = sizeof(h) + kl;
    if (ta_hash64_file(buf + prev, len - (size_t)prev) != h.data_check)
        return TA__INTEL_CACHE_CORRUPT;
    for (int s = 0; s < S__COUNT; s++) {
        const struct cache_sec *c = &h.sec[s];
        size_t e = sec_elem(s);
        if (c->off % CACHE_ALIGN != 0 || c->off < prev || c->off > h.file_len ||
            c->count > (h.file_len - c->off) / e || c->bytes != c->count * e)
            return TA__INTEL_CACHE_CORRUPT;
        prev = c->off + c->bytes;
    }
    const struct cache_sec *S = h.sec;
    if (S[S_ANS].count == 0 || S[S_POOL].count == 0 || S[S_V6ANS].count != S[S_V6START].count ||
        S[S_V4].count >= TA_RTAB_MAX_RNG || S[S_V6START].count >= TA_RTAB_MAX_RNG ||
        S[S_ANS].count >= TA_RTAB_UNIFORM || !pow2_or_zero(S[S_SLOTS].count) ||
        !pow2_or_zero(S[S_IPPSLOTS].count) ||
        (S[S_BLOOM].count != 0 && S[S_BLOOM].count != h.bloom_mask + 1) ||
        !pow2_or_zero(S[S_BLOOM].count) || buf[S[S_POOL].off + S[S_POOL].bytes - 1] != '\0' ||
        (uintptr_t)buf % CACHE_ALIGN != 0)
        return TA__INTEL_CACHE_CORRUPT;
    struct ta_intel_index *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return TA__INTEL_CACHE_CORRUPT;
    const uint8_t *b = buf;
#define AT(s) (S[s].count != 0 ? (void *)(uintptr_t)(b + S[s].off) : NULL)
    x->pool = AT(S_POOL);
    x->pool_len = x->pool_cap = (size_t)S[S_POOL].count;
    x->ent = AT(S_ENT);
    x->nent = x->cap_ent = (size_t)S[S_ENT].count;
    x->src = AT(S_SRC);
    x->nsrc = x->cap_src = (size_t)S[S_SRC].count;
    x->keys = AT(S_KEYS);
    x->nkeys = x->cap_keys = (size_t)S[S_KEYS].count;
    x->slots = AT(S_SLOTS);
    x->nslots = (size_t)S[S_SLOTS].count;
    x->bloom = AT(S_BLOOM);
    x->bloom_mask = (size_t)h.bloom_mask;
    x->ans = AT(S_ANS);
    x->nans = x->cap_ans = (size_t)S[S_ANS].count;
    x->lists = AT(S_LISTS);
    x->nlists = x->cap_lists = (size_t)S[S_LISTS].count;
    x->v4 = AT(S_V4);
    x->nv4 = (size_t)S[S_V4].count;
    x->v6_start = AT(S_V6START);
    x->v6_ans = AT(S_V6ANS);
    x->nv6 = (size_t)S[S_V6START].count;
    x->ipp = AT(S_IPP);
    x->nipp = x->cap_ipp = (size_t)S[S_IPP].count;
    x->ipp_slots = AT(S_IPPSLOTS);
    x->nipp_slots = (size_t)S[S_IPPSLOTS].count;
#undef AT
    x->st = h.st;
    x->grace_before = h.grace_before;
    x->grace_after = h.grace_after;
    x->skip_undated = h.skip_undated != 0;
    x->borrowed = true;
    if (!tables_ok(x) || !derive_tables(x)) {
        ta_intel_index_free(x);
        return TA__INTEL_CACHE_CORRUPT;
    }
    *out = x;
    return TA__INTEL_CACHE_VALID;
}

void ta__intel_cache_seal(uint8_t *buf, size_t len)
{
    struct cache_hdr h;
    if (len < sizeof(h))
        return;
    memcpy(&h, buf, sizeof(h));
    h.file_len = len;
    if (h.key_len > len - sizeof(h))
        h.key_len = len - sizeof(h);
    size_t start = sizeof(h) + (size_t)h.key_len;
    h.data_check = ta_hash64_file(buf + start, len - start);
    h.check = hdr_check(&h, (const char *)buf + sizeof(h));
    memcpy(buf, &h, sizeof(h));
}

/* Maps the cache if it is sound and its key is `key`; NULL otherwise. */
static struct ta_intel_index *cache_map(const char *path, const char *key, bool *seen)
{
    *seen = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    *seen = true;
    struct stat st;
    struct ta_intel_index *x = NULL;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(struct cache_hdr)) {
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    /* Read whole at start (the checks touch every page): populate at once. */
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    if (ta__intel_cache_parse(m, len, key, &x) != TA__INTEL_CACHE_VALID) {
        munmap(m, len);
        return NULL;
    }
    x->borrowed = false;
    x->map = m;
    x->map_len = len;
    return x;
}

ta_err ta_intel_index_open(struct ta_intel_db *db, const struct ta_intel_index_opts *opts,
                           const char *cache_path, struct ta_intel_index **out,
                           struct ta_intel_cache_info *info)
{
    struct ta_intel_cache_info scratch;
    if (info == NULL)
        info = &scratch;
    memset(info, 0, sizeof(*info));
    *out = NULL;
    struct ta_intel_index_opts dflt;
    if (opts == NULL) {
        ta_intel_index_opts_default(&dflt);
        opts = &dflt;
    }
    if (cache_path == NULL) {
        const char *dbf = sqlite3_db_filename(ta__intel_db_handle(db), "main");
        if (dbf != NULL && dbf[0] != '\0')
            snprintf(info->path, sizeof(info->path), "%s.index-cache", dbf);
    } else {
        snprintf(info->path, sizeof(info->path), "%s", cache_path);
    }
    char *key = malloc(16384);
    bool keyed = key != NULL && info->path[0] != '\0' && cache_key(db, opts, key, 16384);
    if (keyed) {
        struct ta_intel_index *x = cache_map(info->path, key, &info->stale);
        if (x != NULL) {
            info->stale = false;
            info->hit = true;
            free(key);
            *out = x;
            return TA_OK;
        }
    }
    ta_err e = ta_intel_index_build(db, opts, out);
    if (e == TA_OK)
        info->write_err = keyed ? ta__intel_cache_write(*out, info->path, key, &info->write_errno)
                                : TA_ERR_UNSUPPORTED;
    free(key);
    return e;
}
