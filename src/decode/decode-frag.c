/*
 * IPv4/IPv6 fragment reassembly within a bounded table.
 *
 * Datagrams under reassembly are keyed by (version, src, dst, id, proto),
 * kept in a hash table and on an age list (oldest first). Bounds: at most
 * max_frag_datagrams datagrams and max_frag_bytes buffered bytes (the oldest
 * datagram is dropped to make room, counted as frag_table_full), at most
 * MAX_PARTS disjoint byte ranges per datagram, and datagrams older than
 * frag_timeout_s (packet time) are dropped (frag_timeout). Overlapping
 * fragments are accepted, later bytes winning, and counted (frag_overlap).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode-int.h"

#include "common/hash64.h"
#include "common/htab.h"

#include "common/banned.h"

#define MAX_PARTS 64
#define MAX_DGRAM 65535u

struct range {
    uint32_t lo, hi; /* [lo, hi) */
};

struct dgram {
    struct frag_key k;
    uint32_t id; /* entry of the index, slot in frag_table.slot */
    struct dgram *older, *newer;
    ta_time_us first_ts;
    uint8_t *buf;
    uint32_t cap;
    uint32_t total; /* datagram payload length once the last fragment is seen */
    bool have_last;
    uint16_t nr;
    struct range r[MAX_PARTS];
    uint64_t wire;
};

struct frag_table {
    struct ta_decode_opts o;
    struct ta_htab index; /* key -> id, at most max_frag_datagrams */
    struct dgram **slot;  /* id -> datagram, max_frag_datagrams of them */
    uint32_t *free_ids;   /* ids not in use, a stack */
    uint32_t nfree;
    uint32_t count;
    size_t bytes;
    struct dgram *oldest, *newest;
};

ta_err ta__frag_new(const struct ta_decode_opts *o, struct frag_table **out)
{
    struct frag_table *ft = calloc(1, sizeof(*ft));
    if (ft == NULL)
        return TA_ERR_NOMEM;
    ft->o = *o;
    uint32_t max = o->max_frag_datagrams > 0 ? o->max_frag_datagrams : 1;
    ta_htab_init(&ft->index, max);
    ft->slot = calloc(max, sizeof(*ft->slot));
    ft->free_ids = malloc(max * sizeof(*ft->free_ids));
    if (ft->slot == NULL || ft->free_ids == NULL) {
        ta__frag_free(ft);
        return TA_ERR_NOMEM;
    }
    /* Lowest ids first, so a light load keeps to the start of slot[]. */
    for (uint32_t i = 0; i < max; i++)
        ft->free_ids[i] = max - 1 - i;
    ft->nfree = max;
    *out = ft;
    return TA_OK;
}

static void dgram_free(struct dgram *g)
{
    free(g->buf);
    free(g);
}

void ta__frag_free(struct frag_table *ft)
{
    if (ft == NULL)
        return;
    struct dgram *g = ft->oldest;
    while (g != NULL) {
        struct dgram *n = g->newer;
        dgram_free(g);
        g = n;
    }
    ta_htab_release(&ft->index);
    free(ft->slot);
    free(ft->free_ids);
    free(ft);
}

static uint32_t key_hash(const struct frag_key *k)
{
    /* The fields up to the trailing padding, which a struct copy need not keep. */
    return (uint32_t)ta_hash64_words(0, k, offsetof(struct frag_key, version) + 1);
}

static bool key_eq(const struct frag_key *a, const struct frag_key *b)
{
    return a->id == b->id && a->proto == b->proto && a->version == b->version &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

struct probe {
    const struct frag_table *ft;
    const struct frag_key *k;
};

static bool id_eq(const void *ctx, uint32_t id)
{
    const struct probe *p = ctx;
    return key_eq(&p->ft->slot[id]->k, p->k);
}

/* Unlink g from the table (hash chain and age list) without freeing it. */
static void unlink_dgram(struct frag_table *ft, struct dgram *g)
{
    if (ta_htab_del(&ft->index, key_hash(&g->k), g->id)) {
        ft->slot[g->id] = NULL;
        ft->free_ids[ft->nfree++] = g->id;
    }
    if (g->older)
        g->older->newer = g->newer;
    else
        ft->oldest = g->newer;
    if (g->newer)
        g->newer->older = g->older;
    else
        ft->newest = g->older;
    ft->count--;
    ft->bytes -= g->cap;
}

static void drop_dgram(struct frag_table *ft, struct dgram *g)
{
    unlink_dgram(ft, g);
    dgram_free(g);
}

/* Insert [lo, hi) into the sorted, merged range list. False if too many parts. */
static bool add_range(struct dgram *g, uint32_t lo, uint32_t hi, bool *overlap)
{
    uint16_t i = 0;
    while (i < g->nr && g->r[i].hi < lo)
        i++;
    /* Ranges i.. that touch or overlap [lo, hi) are merged into one. */
    uint16_t j = i;
    uint32_t nlo = lo, nhi = hi;
    while (j < g->nr && g->r[j].lo <= hi) {
        if (g->r[j].lo < hi && lo < g->r[j].hi)
            *overlap = true;
        if (g->r[j].lo < nlo)
            nlo = g->r[j].lo;
        if (g->r[j].hi > nhi)
            nhi = g->r[j].hi;
        j++;
    }
    if (j == i) { /* no merge: insert */
        if (g->nr >= MAX_PARTS)
            return false;
        memmove(&g->r[i + 1], &g->r[i], (size_t)(g->nr - i) * sizeof(g->r[0]));
        g->nr++;
    } else if (j > i + 1) {
        memmove(&g->r[i + 1], &g->r[j], (size_t)(g->nr - j) * sizeof(g->r[0]));
        g->nr = (uint16_t)(g->nr - (j - i - 1));
    }
    g->r[i].lo = nlo;
    g->r[i].hi = nhi;
    return true;
}

static void expire(struct ta_decoder *d, ta_time_us now)
{
    struct frag_table *ft = d->ft;
    ta_time_us tmo = (ta_time_us)ft->o.frag_timeout_s * 1000000u;
    while (ft->oldest != NULL && ft->oldest->first_ts + tmo < now) {
        drop_dgram(ft, ft->oldest);
        dc_count(d, DC_FRAG_TIMEOUT);
    }
}

enum ta_decode_result ta__frag_add(struct ta_decoder *d, const struct frag_key *k, ta_time_us ts,
                                   uint32_t off, bool more, const uint8_t *data, size_t len,
                                   uint32_t wirelen, uint8_t **out, size_t *outlen, uint64_t *wire)
{
    struct frag_table *ft = d->ft;
    uint32_t end = off + (uint32_t)(len > MAX_DGRAM ? MAX_DGRAM + 1 : len);
    /* Every fragment but the last carries a multiple of 8 bytes. */
    if (end > MAX_DGRAM || (more && (len % 8) != 0) || (more && len == 0)) {
        dc_count(d, DC_FRAG_INVALID);
        return TA_DECODE_INVALID;
    }
    expire(d, ts);

    uint32_t h = key_hash(k);
    struct probe pr = {ft, k};
    uint32_t id;
    struct dgram *g = ta_htab_find(&ft->index, h, id_eq, &pr, &id) ? ft->slot[id] : NULL;
    if (g == NULL) {
        while ((ft->count >= ft->o.max_frag_datagrams || ft->nfree == 0) && ft->oldest != NULL) {
            drop_dgram(ft, ft->oldest);
            dc_count(d, DC_FRAG_TABLE_FULL);
        }
        g = ft->nfree > 0 ? calloc(1, sizeof(*g)) : NULL;
        if (g == NULL) {
            dc_count(d, DC_FRAG_TABLE_FULL);
            return TA_DECODE_INVALID;
        }
        g->id = ft->free_ids[ft->nfree - 1];
        if (ta_htab_put(&ft->index, h, g->id) != TA_OK) {
            free(g);
            dc_count(d, DC_FRAG_TABLE_FULL);
            return TA_DECODE_INVALID;
        }
        ft->nfree--;
        ft->slot[g->id] = g;
        g->k = *k;
        g->first_ts = ts;
        g->older = ft->newest;
        if (ft->newest)
            ft->newest->newer = g;
        else
            ft->oldest = g;
        ft->newest = g;
        ft->count++;
    }

    if (!more) {
        if ((g->have_last && g->total != end) || (g->nr > 0 && g->r[g->nr - 1].hi > end)) {
            dc_count(d, DC_FRAG_INVALID);
            drop_dgram(ft, g);
            return TA_DECODE_INVALID;
        }
        g->have_last = true;
        g->total = end;
    } else if (g->have_last && end > g->total) {
        dc_count(d, DC_FRAG_INVALID);
        drop_dgram(ft, g);
        return TA_DECODE_INVALID;
    }

    if (end > g->cap) {
        /* Grow in 2 KiB steps; make room under the byte cap from the oldest. */
        uint32_t ncap = (end + 2047u) & ~2047u;
        if (ncap > MAX_DGRAM)
            ncap = MAX_DGRAM;
        size_t need = ncap - g->cap;
        while (ft->bytes + need > ft->o.max_frag_bytes && ft->oldest != NULL && ft->oldest != g) {
            drop_dgram(ft, ft->oldest);
            dc_count(d, DC_FRAG_TABLE_FULL);
        }
        if (ft->bytes + need > ft->o.max_frag_bytes) {
            dc_count(d, DC_FRAG_TABLE_FULL);
            drop_dgram(ft, g);
            return TA_DECODE_INVALID;
        }
        uint8_t *nb = realloc(g->buf, ncap);
        if (nb == NULL) {
            dc_count(d, DC_FRAG_TABLE_FULL);
            drop_dgram(ft, g);
            return TA_DECODE_INVALID;
        }
        g->buf = nb;
        ft->bytes += need;
        g->cap = ncap;
    }
    bool overlap = false;
    if (len > 0 && !add_range(g, off, end, &overlap)) {
        dc_count(d, DC_FRAG_TOO_MANY_PARTS);
        drop_dgram(ft, g);
        return TA_DECODE_INVALID;
    }
    if (overlap)
        dc_count(d, DC_FRAG_OVERLAP);
    if (len > 0)
        memcpy(g->buf + off, data, len);
    g->wire += wirelen;

    if (!g->have_last || g->nr != 1 || g->r[0].lo != 0 || g->r[0].hi != g->total)
        return TA_DECODE_FRAG_HELD;

    /* Complete: hand the buffer to the caller. */
    unlink_dgram(ft, g);
    *out = g->buf;
    *outlen = g->total;
    *wire = g->wire;
    if (*out == NULL) { /* a zero-length datagram: give a valid pointer */
        *out = malloc(1);
        if (*out == NULL) {
            free(g);
            dc_count(d, DC_FRAG_TABLE_FULL);
            return TA_DECODE_INVALID;
        }
    }
    free(g);
    return TA_DECODE_OK;
}
