/*
 * The one range table (see rtab.h).
 */
#include "common/rtab.h"

#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

static unsigned ceil_log2(size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << k) < n)
        k++;
    return k;
}

static ta_err build4(struct ta_rtab4 *t, const uint32_t *start, const uint32_t *val, size_t stride,
                     size_t n)
{
    memset(t, 0, sizeof(*t));
    if (n >= TA_RTAB_MAX_RNG)
        return TA_ERR_LIMIT;
    for (size_t i = 0; i < n; i++)
        if (val[i * stride] >= TA_RTAB_UNIFORM)
            return TA_ERR_LIMIT;
    const unsigned sh = 32 - TA_RTAB4_BITS;
    size_t nd = (size_t)1 << TA_RTAB4_BITS;
    uint32_t *dir = malloc(nd * sizeof(*dir));
    if (dir == NULL)
        return TA_ERR_NOMEM;
    if (n == 0) {
        for (size_t b = 0; b < nd; b++)
            dir[b] = TA_RTAB_UNIFORM;
    }
    size_t r = 0; /* range containing the slot's first address */
    for (size_t b = 0; n > 0 && b < nd;) {
        uint64_t lo = (uint64_t)b << sh, hi = lo + ((uint64_t)1 << sh);
        while (r + 1 < n && start[(r + 1) * stride] <= lo)
            r++;
        size_t last = r; /* last range starting inside the slot */
        while (last + 1 < n && start[(last + 1) * stride] < hi)
            last++;
        if (last != r) {
            dir[b++] = (uint32_t)r | (uint32_t)ceil_log2(last - r + 1) << 27;
            continue;
        }
        /* Range r covers this slot and every following one up to its end:
         * fill the run at once (large prefixes and gaps span many slots). */
        uint64_t end = r + 1 < n ? start[(r + 1) * stride] : (uint64_t)1 << 32;
        size_t stop = (size_t)(end >> sh);
        uint32_t v = TA_RTAB_UNIFORM | val[r * stride];
        for (; b < stop; b++) /* stop > b: r's end is at or past hi */
            dir[b] = v;
    }
    t->start = start;
    t->val = val;
    t->stride = stride;
    t->n = n;
    t->dir = dir;
    return TA_OK;
}

ta_err ta_rtab4_build(struct ta_rtab4 *t, const uint32_t *start, const uint32_t *val, size_t n)
{
    return build4(t, start, val, 1, n);
}

_Static_assert(sizeof(struct ta_range4) == 2 * sizeof(uint32_t), "pairs are two words");

ta_err ta_rtab4_build_pairs(struct ta_rtab4 *t, const struct ta_range4 *r, size_t n)
{
    return build4(t, r != NULL ? &r->start : NULL, r != NULL ? &r->val : NULL, 2, n);
}

ta_err ta_rtab6_build(struct ta_rtab6 *t, const ta_u128 *start, const uint32_t *val, size_t n)
{
    memset(t, 0, sizeof(*t));
    if (n >= TA_RTAB_MAX_RNG)
        return TA_ERR_LIMIT;
    for (size_t i = 0; i < n; i++)
        if (val[i] == TA_RTAB6_NOT_UNI)
            return TA_ERR_LIMIT;
    size_t nj = (size_t)1 << TA_RTAB6_BITS;
    struct ta_rtab6_slot *dir = malloc((nj + 1) * sizeof(*dir));
    if (dir == NULL)
        return TA_ERR_NOMEM;
    const unsigned shift = 128 - TA_RTAB6_BITS;
    size_t i = 0;
    for (size_t p = 0; n == 0 && p <= nj; p++)
        dir[p] = (struct ta_rtab6_slot){0, 0}; /* every slot answers 0, no search */
    for (size_t p = 0; n > 0 && p < nj; p++) {
        ta_u128 key = (ta_u128)p << shift;
        while (i + 1 < n && start[i + 1] <= key)
            i++;
        dir[p].lo = (uint32_t)i;
        /* Uniform when the next range starts at or after the next slot. */
        bool uniform = i + 1 >= n || (p + 1 < nj && start[i + 1] >= (ta_u128)(p + 1) << shift);
        dir[p].val = uniform ? val[i] : TA_RTAB6_NOT_UNI;
    }
    if (n > 0) {
        dir[nj].lo = (uint32_t)(n - 1);
        dir[nj].val = TA_RTAB6_NOT_UNI;
    }
    t->start = start;
    t->val = val;
    t->n = n;
    t->dir = dir;
    return TA_OK;
}

void ta_rtab4_release(struct ta_rtab4 *t)
{
    free(t->dir);
    memset(t, 0, sizeof(*t));
}

void ta_rtab6_release(struct ta_rtab6 *t)
{
    free(t->dir);
    memset(t, 0, sizeof(*t));
}
