/*
 * The program's one range table (internal): address -> answer id over
 * sorted, disjoint ranges that cover the whole IPv4 or IPv6 space, with a
 * jump table on the top bits of the address so most lookups cost one load.
 *
 * The caller flattens its prefixes into ranges (the intel index lists every
 * covering prefix, the geolocation tables keep the most specific answer)
 * and keeps them in arrays it owns: start[i], the first address of range i
 * (start[0] == 0, strictly increasing; a range ends where the next starts),
 * and val[i], its answer id. The table only indexes them (the arrays may be
 * a read-only file mapping), so they must outlive it and be re-pointed
 * (ta_rtab4_point) if the caller moves them. IPv4 ranges may also be kept
 * as (start, val) pairs, struct ta_range4: a search then finds the answer
 * in the cache line of the start it stopped at, one miss less per lookup
 * of a slot shared by several ranges.
 *
 *   IPv4: 2^20 four-byte slots. A slot inside one range holds its answer
 *         (UNIFORM bit | val, val < 2^31): one load for most lookups and
 *         nearly every miss. Other slots hold the first range touching the
 *         slot and the log2 of how many to search (at most 4096 ranges
 *         start in a slot of 4096 addresses).
 *   IPv6: 2^16 + 1 eight-byte slots (first range, answer or NOT_UNIFORM),
 *         then a binary search between a slot's first range and the next
 *         slot's.
 *
 * Sized so that the pinned GeoIP data leaves about one range per IPv4 slot
 * (measured faster than 16 bits, bench/README.md); the geolocation cache
 * records these sizes in its fingerprint. Low-level primitive: uses nothing
 * but the C library.
 */
#ifndef TA_COMMON_RTAB_H
#define TA_COMMON_RTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threatatlas/common.h"

__extension__ typedef unsigned __int128 ta_u128;

#define TA_RTAB4_BITS    20
#define TA_RTAB6_BITS    16
#define TA_RTAB_UNIFORM  0x80000000u
#define TA_RTAB4_IDX     0x07ffffffu
#define TA_RTAB_MAX_RNG  ((size_t)TA_RTAB4_IDX + 1) /* ranges a table may hold */
#define TA_RTAB6_NOT_UNI UINT32_MAX

struct ta_range4 {
    uint32_t start;
    uint32_t val;
};

struct ta_rtab4 {
    const uint32_t *start; /* start[i * stride] */
    const uint32_t *val;   /* val[i * stride] */
    size_t stride;         /* 1: two arrays; 2: struct ta_range4 pairs */
    size_t n;
    uint32_t *dir; /* 2^TA_RTAB4_BITS slots, owned */
};

struct ta_rtab6_slot {
    uint32_t lo;  /* range holding the slot's first address */
    uint32_t val; /* its answer when one range covers the slot, else TA_RTAB6_NOT_UNI */
};

struct ta_rtab6 {
    const ta_u128 *start;
    const uint32_t *val;
    size_t n;
    struct ta_rtab6_slot *dir; /* 2^TA_RTAB6_BITS + 1 slots, owned */
};

/*
 * Builds the jump table over start/val[0..n) (n may be 0: every address
 * then answers 0). TA_ERR_LIMIT if n >= TA_RTAB_MAX_RNG or an answer id is
 * >= 2^31 (IPv4) or UINT32_MAX (IPv6), TA_ERR_NOMEM; t is then empty.
 */
ta_err ta_rtab4_build(struct ta_rtab4 *t, const uint32_t *start, const uint32_t *val, size_t n);
ta_err ta_rtab4_build_pairs(struct ta_rtab4 *t, const struct ta_range4 *r, size_t n);
ta_err ta_rtab6_build(struct ta_rtab6 *t, const ta_u128 *start, const uint32_t *val, size_t n);

/* The same ranges, moved (a realloc that shrank them): the slots still hold. */
static inline void ta_rtab4_point(struct ta_rtab4 *t, const uint32_t *start, const uint32_t *val)
{
    t->start = start;
    t->val = val;
}

static inline void ta_rtab4_point_pairs(struct ta_rtab4 *t, const struct ta_range4 *r)
{
    t->start = &r->start;
    t->val = &r->val;
}

static inline void ta_rtab6_point(struct ta_rtab6 *t, const ta_u128 *start, const uint32_t *val)
{
    t->start = start;
    t->val = val;
}

void ta_rtab4_release(struct ta_rtab4 *t);
void ta_rtab6_release(struct ta_rtab6 *t);

/* Bytes of the jump table (the ranges are the caller's). */
static inline size_t ta_rtab4_bytes(const struct ta_rtab4 *t)
{
    return t->dir != NULL ? ((size_t)1 << TA_RTAB4_BITS) * sizeof(uint32_t) : 0;
}

static inline size_t ta_rtab6_bytes(const struct ta_rtab6 *t)
{
    return t->dir != NULL ? (((size_t)1 << TA_RTAB6_BITS) + 1) * sizeof(struct ta_rtab6_slot) : 0;
}

/* Answer id of an IPv4 address (host order). */
static inline uint32_t ta_rtab4_find(const struct ta_rtab4 *t, uint32_t ip)
{
    uint32_t d = t->dir[ip >> (32 - TA_RTAB4_BITS)];
    if (d & TA_RTAB_UNIFORM)
        return d & ~TA_RTAB_UNIFORM;
    size_t base = d & TA_RTAB4_IDX;
    for (size_t half = ((size_t)1 << (d >> 27 & 15u)) >> 1; half > 0; half >>= 1) {
        size_t mid = base + half;
        if (mid < t->n && t->start[mid * t->stride] <= ip)
            base = mid;
    }
    return t->val[base * t->stride];
}

/* Answer id of an IPv6 address (as a 128-bit number). */
static inline uint32_t ta_rtab6_find(const struct ta_rtab6 *t, ta_u128 ip)
{
    const struct ta_rtab6_slot *j = &t->dir[(uint32_t)(ip >> (128 - TA_RTAB6_BITS))];
    if (j->val != TA_RTAB6_NOT_UNI)
        return j->val;
    uint32_t lo = j[0].lo, hi = j[1].lo;
    while (lo < hi) {
        uint32_t mid = (lo + hi + 1) / 2;
        if (t->start[mid] <= ip)
            lo = mid;
        else
            hi = mid - 1;
    }
    return t->val[lo];
}

#endif
