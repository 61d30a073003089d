/*
 * The program's one hash table (internal): an open-addressing index from a
 * key to a 32-bit entry number, for tables whose entries live in the
 * caller's own arrays (records, a text pool, an arena of keys).
 *
 * A slot is 64 bits, (32-bit hash tag << 32 | entry + 1), 0 = empty; linear
 * probing at most half full. A probe compares tags first and calls the
 * caller's equality only on a tag match, so a miss rarely touches the
 * entries; growth and deletion rehash from the tags alone. The caller owns
 * the keys and entries, hashes them (common/hash64.h, finished: the slot is
 * taken from the hash's low bits) and says what equal means:
 *
 *   struct ta_htab t;
 *   ta_htab_init(&t, max_entries);            (0: no cap but memory)
 *   uint64_t h = ta_hash64_words(0, &key, sizeof(key));
 *   uint32_t e;
 *   if (!ta_htab_find(&t, h, key_eq, &key, &e)) {
 *       e = append the entry to the caller's array;
 *       err = ta_htab_put(&t, h, e);           (TA_ERR_LIMIT at the cap)
 *   }
 *   ...
 *   ta_htab_release(&t);
 *
 * Memory is ta_htab_bytes(): eight bytes a slot, slots a power of two at
 * least twice the entries, so a caller's memory cap holds by counting it
 * with its own arrays. At max_entries put answers TA_ERR_LIMIT and the
 * caller evicts (ta_htab_del) or refuses. Not thread-safe.
 *
 * Users: the string sets (common/strset.h: intel index names, AS names),
 * the store's key sets, the geolocation answer dedupe and map cache, the
 * detector's phishing-URL host index, the IP fragment table. The flow table, the intel index's
 * string keys and the detector caches keep their own layouts for speed or
 * for their eviction lists; docs/design/hash-tables.md gives the numbers.
 * Low-level primitive: uses nothing but the C library and common/check.h.
 */
#ifndef TA_COMMON_HTAB_H
#define TA_COMMON_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threatatlas/common.h"

struct ta_htab {
    uint64_t *slots;
    size_t nslots; /* 0 or a power of two */
    size_t used;   /* entries */
    size_t max;    /* most entries, 0 = no cap */
};

/* Is entry e the key in ctx? */
typedef bool (*ta_htab_eq)(const void *ctx, uint32_t e);

/* An empty table (no memory until the first put). */
void ta_htab_init(struct ta_htab *t, size_t max_entries);
void ta_htab_release(struct ta_htab *t);
/* Room for n entries without growing (TA_ERR_NOMEM: the table is unchanged). */
ta_err ta_htab_reserve(struct ta_htab *t, size_t n);
/* Forget every entry, keeping the slots. */
void ta_htab_clear(struct ta_htab *t);

static inline uint32_t ta__htab_tag(uint64_t hash)
{
    return (uint32_t)hash;
}

/*
 * The entry whose key has this hash and is equal (eq(ctx, e)) in *e.
 * Inline, so that a constant eq is inlined into the probe loop.
 */
static inline bool ta_htab_find(const struct ta_htab *t, uint64_t hash, ta_htab_eq eq,
                                const void *ctx, uint32_t *e)
{
    if (t->used == 0)
        return false;
    uint32_t tag = ta__htab_tag(hash);
    size_t mask = t->nslots - 1;
    for (size_t j = tag & mask; t->slots[j] != 0; j = (j + 1) & mask) {
        uint64_t v = t->slots[j];
        if ((uint32_t)(v >> 32) == tag && eq(ctx, (uint32_t)v - 1u)) {
            *e = (uint32_t)v - 1u;
            return true;
        }
    }
    return false;
}

/*
 * Records entry e (< UINT32_MAX) under hash; the caller checked with find
 * that its key is not there. TA_ERR_LIMIT at max_entries, TA_ERR_NOMEM if
 * the slots cannot grow; the table is unchanged either way.
 */
ta_err ta_htab_put(struct ta_htab *t, uint64_t hash, uint32_t e);

/*
 * Removes entry e, recorded under hash; false if it is not there. Probing
 * chains stay whole (backward shift), so no tombstones build up.
 */
bool ta_htab_del(struct ta_htab *t, uint64_t hash, uint32_t e);

/* Bytes of the slots. */
static inline size_t ta_htab_bytes(const struct ta_htab *t)
{
    return t->nslots * sizeof(uint64_t);
}

#endif
