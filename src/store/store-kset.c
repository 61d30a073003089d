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

#include "common/check.h"
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
    ta_htab_release(&s->tab);
    unsigned nvals = s->nvals;
    memset(s, 0, sizeof(*s));
    s->nvals = nvals;
}

size_t ta__kset_bytes(const struct ta__kset *s)
{
    return s->acap + s->ncap * (sizeof(*s->offs) + sizeof(*s->vals)) + ta_htab_bytes(&s->tab);
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

struct probe {
    const struct ta__kset *s;
    const uint8_t *key;
    size_t len;
};

static bool key_eq(const void *ctx, uint32_t i)
{
    const struct probe *p = ctx;
    size_t klen;
    const uint8_t *k = ta__kset_key(p->s, i, &klen);
    return klen == p->len && memcmp(k, p->key, klen) == 0;
}

uint64_t *ta__kset_get(struct ta__kset *s, const uint8_t *key, size_t len, bool *created)
{
    if (created)
        *created = false;
    if (len > 0xffff || s->n >= 0x7fffffffu)
        return NULL;
    uint64_t h = hash(key, len);
    struct probe pr = {s, key, len};
    uint32_t i;
    if (ta_htab_find(&s->tab, h, key_eq, &pr, &i))
        return s->nvals ? &s->vals[(size_t)s->nvals * i] : &s->dummy;
    /* Room in the table first: a failure then leaves no entry unindexed. */
    if (ta_htab_reserve(&s->tab, s->n + 1) != TA_OK)
        return NULL;
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
    /* Cannot fail: the room was reserved above and the set has no cap. */
    ta_err err = ta_htab_put(&s->tab, h, (uint32_t)s->n);
    TA_ASSERT(err == TA_OK);
    (void)err;
    s->n++;
    if (created)
        *created = true;
    return s->nvals ? &s->vals[s->nvals * (s->n - 1)] : &s->dummy;
}
