/*
 * String interning index (internal): which strings of a caller's text pool
 * are already there, so a repeated name is stored once and compared as an
 * offset.
 *
 * The strings live in the caller's own buffer (NUL-terminated, addressed by
 * 32-bit offsets), because both users keep other text in the same pool and
 * hand it out by offset; the set only indexes it, in the program's one hash
 * table (common/htab.h) with the offsets as its entries: a probe compares
 * hash tags first and touches the text only on a tag match.
 *
 *   struct ta_strset set = {0};               (zero is an empty set)
 *   uint32_t h, off;
 *   if (!ta_strset_find(&set, pool, pool_len, s, n, &h, &off)) {
 *       append s to the pool at off;
 *       ta_strset_put(&set, h, off);
 *   }
 *   ...
 *   ta_strset_release(&set);
 *
 * Users: the intel index (sources, families, brands, countries) and the
 * geolocation AS-name pool. Low-level primitive: uses common/hash64.h and common/htab.h.
 */
#ifndef TA_COMMON_STRSET_H
#define TA_COMMON_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/htab.h"
#include "threatatlas/common.h"

struct ta_strset {
    struct ta_htab tab;
};

/* Reserve room for the first strings (optional: put grows an empty set). */
ta_err ta_strset_init(struct ta_strset *t);
void ta_strset_release(struct ta_strset *t);

/*
 * Looks s[0..n) up among the strings of base[0..base_len). Returns true and
 * sets *off if it is there; either way sets *hash for ta_strset_put.
 */
bool ta_strset_find(const struct ta_strset *t, const char *base, size_t base_len, const char *s,
                    size_t n, uint32_t *hash, uint32_t *off);

/* Records that the string with this hash (from find) now sits at off.
 * TA_ERR_NOMEM if the table cannot grow (the set is unchanged). */
ta_err ta_strset_put(struct ta_strset *t, uint32_t hash, uint32_t off);

#endif
