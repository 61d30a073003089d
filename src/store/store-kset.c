/*
 * Store internals: a byte-string hash set with counters per entry, in one
 * arena. The store uses it to collect a batch's distinct rollup tuples and
 * counters in memory, so that committing the batch writes each distinct
 * tuple once, and for the spans a run has written. Memory is capped by the
 * caller (ta__kset_bytes).
 */
#include "store/store-kset.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"

#include "common/banned.h"

void ta__kset_init(struct ta__kset *s, unsigned nvals)
{
    memset(s, 0, sizeof(*s));
    s->nvals = nvals;
}

void ta__kset_release(struct ta__kset *s)
{
    free(s->arena);
    free(s->offs);
    free(s->vals);
    free(s->table);
    unsigned nvals = s->nvals;
    memset(s, 0, sizeof(*s));
    s->nvals = nvals;
}

size_t ta__kset_bytes(const struct ta__kset *s)
{
    return s->acap + s->ncap * (sizeof(*s->offs) + sizeof(*s->vals)) + s->tcap * sizeof(*s->table);
}

static uint64_t hash(const uint8_t *p, size_t n)
{
    /* Finished, so that the low bits are usable as an index. */
    return ta_hash_mix64(ta_hash64(0, p, n));
}

const uint8_t *ta__kset_key(const struct ta__kset *s, size_t i, size_t *len)
{
    const uint8_t *p = s->arena + s->offs[i];
    *len = (size_t)p[0] | (size_t)p[1] << 8;
    return p + 2;
}

static bool grow_table(struct ta__kset *s)
{
    size_t cap = s->tcap ? s->tcap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return false;
    for (size_t i = 0; i < s->n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(s, i, &len);
        size_t j = (size_t)hash(k, len) & (cap - 1);
        while (t[j] != 0)
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)(i + 1);
    }
    free(s->table);
    s->table = t;
    s->tcap = cap;
    return true;
}

uint64_t *ta__kset_get(struct ta__kset *s, const uint8_t *key, size_t len, bool *created)
{
    if (created)
        *created = false;
    if (len > 0xffff || s->n >= 0x7fffffffu)
        return NULL;
    if ((s->n + 1) * 2 > s->tcap && !grow_table(s))
        return NULL;
    size_t j = (size_t)hash(key, len) & (s->tcap - 1);
    while (s->table[j] != 0) {
        size_t i = s->table[j] - 1, klen;
        const uint8_t *k = ta__kset_key(s, i, &klen);
        if (klen == len && memcmp(k, key, len) == 0)
            return s->nvals ? &s->vals[s->nvals * i] : &s->dummy;
        j = (j + 1) & (s->tcap - 1);
    }
    if (s->alen + len + 2 > s->acap) {
        size_t cap = s->acap ? s->acap * 2 : 65536;
        while (cap < s->alen + len + 2)
            cap *= 2;
        if (cap > 0xffffffffu)
            return NULL;
        uint8_t *a = realloc(s->arena, cap);
        if (a == NULL)
            return NULL;
        s->arena = a;
        s->acap = cap;
    }
    if (s->n == s->ncap) {
        size_t cap = s->ncap ? s->ncap * 2 : 1024;
        uint32_t *o = realloc(s->offs, cap * sizeof(*o));
        if (o == NULL)
            return NULL;
        s->offs = o;
        if (s->nvals) {
            uint64_t *v = realloc(s->vals, cap * s->nvals * sizeof(*v));
            if (v == NULL)
                return NULL;
            s->vals = v;
        }
        s->ncap = cap;
    }
    s->offs[s->n] = (uint32_t)s->alen;
    s->arena[s->alen] = (uint8_t)(len & 0xff);
    s->arena[s->alen + 1] = (uint8_t)(len >> 8);
    memcpy(s->arena + s->alen + 2, key, len);
    s->alen += len + 2;
    for (unsigned v = 0; v < s->nvals; v++)
        s->vals[s->nvals * s->n + v] = 0;
    s->table[j] = (uint32_t)(s->n + 1);
    s->n++;
    if (created)
        *created = true;
    return s->nvals ? &s->vals[s->nvals * (s->n - 1)] : &s->dummy;
}
