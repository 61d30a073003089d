/*
 * Bounded LRU cache used by the detector for DNS resolutions, server names
 * and per-flow de-duplication marks.
 */
#include "detect/detect-cache.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"

#include "common/banned.h"

struct ta__centry {
    struct ta__centry *hnext, *lprev, *lnext;
    size_t bucket;
    struct ta__ckey key;
    max_align_t value[]; /* vsize bytes */
};

void ta__ckey_make(struct ta__ckey *k, const struct ta_addr *a, const struct ta_addr *b,
                   uint64_t id)
{
    memset(k, 0, sizeof(*k));
    if (a != NULL) {
        memcpy(k->a.b, a->b, sizeof(k->a.b));
        k->a.family = a->family;
    }
    if (b != NULL) {
        memcpy(k->b.b, b->b, sizeof(k->b.b));
        k->b.family = b->family;
    }
    k->id = id;
}

/* The key is zero-padded (see ta__ckey_make), so it hashes as whole words. */
static size_t khash(const struct ta__ckey *k)
{
    return (size_t)ta_hash64_words(0, k, sizeof(*k));
}

ta_err ta__cache_init(struct ta__cache *c, size_t cap, size_t vsize)
{
    memset(c, 0, sizeof(*c));
    if (cap == 0)
        return TA_ERR_ARG;
    size_t nb = 64;
    while (nb < cap && nb < ((size_t)1 << 24))
        nb <<= 1;
    c->buckets = calloc(nb, sizeof(*c->buckets));
    if (c->buckets == NULL)
        return TA_ERR_NOMEM;
    c->nbuckets = nb;
    c->cap = cap;
    c->vsize = vsize;
    c->memory = nb * sizeof(*c->buckets);
    return TA_OK;
}

void ta__cache_release(struct ta__cache *c)
{
    struct ta__centry *e = c->head;
    while (e != NULL) {
        struct ta__centry *n = e->lnext;
        free(e);
        e = n;
    }
    free(c->buckets);
    memset(c, 0, sizeof(*c));
}

static void unlink_lru(struct ta__cache *c, struct ta__centry *e)
{
    if (e->lprev != NULL)
        e->lprev->lnext = e->lnext;
    else
        c->head = e->lnext;
    if (e->lnext != NULL)
        e->lnext->lprev = e->lprev;
    else
        c->tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void push_lru(struct ta__cache *c, struct ta__centry *e)
{
    e->lprev = NULL;
    e->lnext = c->head;
    if (c->head != NULL)
        c->head->lprev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

static struct ta__centry *find(struct ta__cache *c, const struct ta__ckey *k, size_t *bucket)
{
    *bucket = khash(k) & (c->nbuckets - 1);
    for (struct ta__centry *e = c->buckets[*bucket]; e != NULL; e = e->hnext)
        if (memcmp(&e->key, k, sizeof(*k)) == 0)
            return e;
    return NULL;
}

static void remove_entry(struct ta__cache *c, struct ta__centry *e)
{
    struct ta__centry **pp = &c->buckets[e->bucket];
    while (*pp != NULL && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp == e)
        *pp = e->hnext;
    unlink_lru(c, e);
    c->n--;
    c->memory -= sizeof(*e) + c->vsize;
    free(e);
}

void *ta__cache_get(struct ta__cache *c, const struct ta__ckey *k)
{
    size_t b;
    struct ta__centry *e = find(c, k, &b);
    if (e == NULL)
        return NULL;
    unlink_lru(c, e);
    push_lru(c, e);
    return e->value;
}

void *ta__cache_put(struct ta__cache *c, const struct ta__ckey *k, bool *fresh)
{
    size_t b;
    struct ta__centry *e = find(c, k, &b);
    *fresh = false;
    if (e != NULL) {
        unlink_lru(c, e);
        push_lru(c, e);
        return e->value;
    }
    if (c->n >= c->cap && c->tail != NULL) {
        remove_entry(c, c->tail);
        c->evicted++;
    }
    e = calloc(1, sizeof(*e) + c->vsize);
    if (e == NULL)
        return NULL;
    e->key = *k;
    e->bucket = b;
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    push_lru(c, e);
    c->n++;
    c->memory += sizeof(*e) + c->vsize;
    *fresh = true;
    return e->value;
}

void ta__cache_del(struct ta__cache *c, const struct ta__ckey *k)
{
    size_t b;
    struct ta__centry *e = find(c, k, &b);
    if (e != NULL)
        remove_entry(c, e);
}

void ta__cache_each(struct ta__cache *c, void (*fn)(void *ud, void *value), void *ud)
{
    for (struct ta__centry *e = c->head; e != NULL; e = e->lnext)
        fn(ud, e->value);
}
