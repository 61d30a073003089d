/*
 * Store internals: byte-string hash set with optional uint64 values per entry
 * (see store-kset.c). Not a public header.
 */
#ifndef TA_STORE_KSET_H
#define TA_STORE_KSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/htab.h"

struct ta__kset {
    uint8_t *arena; /* entries: 2-byte little-endian length, then the key */
    size_t alen, acap;
    uint32_t *offs; /* entry -> arena offset */
    uint64_t *vals; /* entry -> nvals values (NULL if nvals is 0) */
    unsigned nvals;
    uint64_t dummy; /* returned when nvals is 0 */
    size_t n, ncap;
    struct ta_htab tab; /* key -> entry */
};

/* nvals: values per entry, 0 (a pure set) or more. */
void ta__kset_init(struct ta__kset *s, unsigned nvals);
void ta__kset_release(struct ta__kset *s);
/* Bytes allocated. */
size_t ta__kset_bytes(const struct ta__kset *s);
/*
 * The values of key, inserting it (values 0) if absent; *created says
 * which. NULL if out of memory (the set stays usable).
 */
uint64_t *ta__kset_get(struct ta__kset *s, const uint8_t *key, size_t len, bool *created);
/* Key of entry i (0 <= i < n). */
const uint8_t *ta__kset_key(const struct ta__kset *s, size_t i, size_t *len);

#endif
