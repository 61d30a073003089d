/*
 * Enrichment internals shared by src/enrich/enrich-*.c and the fuzz target.
 *
 * Every source (country database, ASN database, special ranges, overrides,
 * home networks) is first turned into an interval list over a 128-bit key
 * space: IPv4 addresses are keys 0..2^32-1 of their own list, IPv6 addresses
 * are their 128-bit value. enrich-geo.c merges the lists into the flattened
 * lookup tables.
 */
#ifndef TA_ENRICH_INTERNAL_H
#define TA_ENRICH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threatatlas/common.h"

#include "common/strset.h"

__extension__ typedef unsigned __int128 ta__u128;

/* Country codes are packed as two ASCII bytes in a uint32 (0 = none). */
static inline uint32_t ta__geo_cc_pack(char a, char b)
{
    return (uint32_t)(uint8_t)a << 8 | (uint8_t)b;
}

/* One precomputed answer of the lookup tables (also the cache file's). */
#define TA__GEO_F_HOME      0x01
#define TA__GEO_F_ASN_OV    0x02
#define TA__GEO_F_SRC_SHIFT 2
struct ta__geo_rec {
    uint32_t asn;
    uint32_t name; /* offset in the AS-name pool */
    char cc[2];
    uint8_t reason;
    uint8_t flags; /* F_HOME, F_ASN_OV, source << F_SRC_SHIFT */
};

/* One interval [lo, hi] with a value whose meaning depends on the list. */
struct ta__geo_iv {
    ta__u128 lo, hi;
    uint32_t cc;   /* packed country or special reason */
    uint32_t asn;  /* autonomous system number, 0 = none */
    uint32_t name; /* offset of the AS name in the string pool, 0 = "" */
    uint32_t seq;  /* input order, for stable sorting */
};

struct ta__geo_ivlist {
    struct ta__geo_iv *v;
    size_t n, cap;
};

void ta__geo_ivlist_free(struct ta__geo_ivlist *l);
ta_err ta__geo_ivlist_push(struct ta__geo_ivlist *l, ta__u128 lo, ta__u128 hi, uint32_t cc,
                           uint32_t asn, uint32_t name);

/*
 * Sort by start, then input order (by_cidr: by start, larger network first,
 * then input order). Sources usually arrive sorted (database tree order, the
 * CSV's own order), so this checks first; a list still in push order
 * (seq == index) is radix-sorted, anything else falls back to qsort.
 */
ta_err ta__geo_ivlist_sort(struct ta__geo_ivlist *l, bool by_cidr);
/*
 * Sort by start and make the list disjoint: where ranges overlap, the later
 * start is clipped to begin after the earlier one ends (ranges swallowed
 * whole are dropped). Adjacent ranges with equal values are merged.
 */
ta_err ta__geo_ivlist_disjoint(struct ta__geo_ivlist *l);
/*
 * For a list of CIDR networks (nested or disjoint, never partly
 * overlapping): rewrite it as sorted disjoint ranges where the most specific
 * network wins, and among equal networks the later line.
 */
ta_err ta__geo_ivlist_flatten_cidrs(struct ta__geo_ivlist *l);

/* Interned strings (AS names). Offset 0 is "". */
struct ta__geo_pool {
    char *buf;
    size_t len, cap;
    struct ta_strset set; /* which strings of buf are there */
};

ta_err ta__geo_pool_init(struct ta__geo_pool *p);
void ta__geo_pool_release(struct ta__geo_pool *p);
/* Intern s[0..n); NUL bytes are not allowed in s (they end the name). */
ta_err ta__geo_pool_intern(struct ta__geo_pool *p, const char *s, size_t n, uint32_t *off);

/*
 * Parse ip-location-db ASN CSV text: "start,end,asn,name" per line with
 * dotted IPv4 or IPv6 addresses; name may be double-quoted with "" escapes.
 * Rows of either family go to v4 / v6. Malformed rows are counted and
 * skipped. Stops with TA_ERR_LIMIT after max_rows rows. Lists are not sorted.
 */
ta_err ta__geo_asn_csv_parse(const char *buf, size_t len, size_t max_rows,
                             struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                             struct ta__geo_pool *pool, uint64_t *rows, uint64_t *malformed);

/*
 * Parse an overrides file (with_asn = true: "CIDR CC|- [ASN|- [AS name...]]")
 * or a home-nets file (with_asn = false: "CIDR [CC]"). '#' starts a comment.
 * A bad line is an error naming the line (errbuf). Lists are not sorted.
 */
ta_err ta__geo_cidr_parse(const char *buf, size_t len, bool with_asn, size_t max_lines,
                          struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                          struct ta__geo_pool *pool, uint64_t *lines, char *errbuf, size_t errlen);

/* Parse one address: v4 sets *is_v4 and a key < 2^32. */
bool ta__geo_parse_addr(const char *s, size_t n, ta__u128 *key, bool *is_v4);

/* Read a whole file into a NUL-terminated heap buffer (caller frees). */
ta_err ta__geo_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
