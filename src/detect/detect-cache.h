/*
 * A bounded key -> fixed-size value cache with least-recently-used eviction
 * (internal to the detectors). Keys are two addresses and a number; every
 * entry is allocated on insert and counted in `memory`.
 */
#ifndef TA_DETECT_CACHE_H
#define TA_DETECT_CACHE_H

#include "threatatlas/common.h"

struct ta__ckey {
    struct ta_addr a, b;
    uint64_t id;
};

struct ta__centry;

struct ta__cache {
    struct ta__centry **buckets;
    size_t nbuckets;
    struct ta__centry *head, *tail; /* most recent at head */
    size_t n, cap, vsize;
    uint64_t evicted;
    size_t memory;
};

/* Build a key with the padding zeroed (keys are compared bytewise). */
void ta__ckey_make(struct ta__ckey *k, const struct ta_addr *a, const struct ta_addr *b,
                   uint64_t id);
ta_err ta__cache_init(struct ta__cache *c, size_t cap, size_t vsize);
void ta__cache_release(struct ta__cache *c);
/* Value of key (marks it recently used), or NULL. */
void *ta__cache_get(struct ta__cache *c, const struct ta__ckey *k);
/* Value of key, inserted zeroed if absent (evicting the LRU entry at the
 * cap, counted); NULL only when allocation fails. *fresh says which. */
void *ta__cache_put(struct ta__cache *c, const struct ta__ckey *k, bool *fresh);
void ta__cache_del(struct ta__cache *c, const struct ta__ckey *k);
/* Call fn on every value, most recently used first; fn must not change the cache. */
void ta__cache_each(struct ta__cache *c, void (*fn)(void *ud, void *value), void *ud);

#endif
