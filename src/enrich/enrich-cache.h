/*
 * Binary cache of the built lookup tables (internal to src/enrich; also
 * used by the fuzz target): see enrich-cache.c for the file format.
 */
#ifndef TA_ENRICH_CACHE_H
#define TA_ENRICH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enrich/enrich-internal.h"

#define TA__GEO_CACHE_NAME "cache-v1.bin"
/* The same for the location-based country source (ta_geo_opts.source). */
#define TA__GEO_CACHE_NAME_LOCATION "cache-location-v1.bin"

/* One family's table: ranges start at s4[i] / s6[i] and answer u[ridx[i]]. */
struct ta__geo_cache_table {
    size_t n, nu;
    const uint32_t *s4;
    const ta__u128 *s6;
    const uint32_t *ridx;
    const struct ta__geo_rec *u;
};

/* Provenance of one database (ta_geo_info); strings NUL-terminated. */
struct ta__geo_cache_info {
    bool used;
    const char *path, *format, *dbtype, *pkg, *pkgver;
    uint64_t epoch, records, malformed;
};

/* Everything a cache file holds; pointers borrow the parsed buffer. */
struct ta__geo_cache {
    struct ta__geo_cache_table t4, t6;
    const char *pool; /* AS names; pool[0] and pool[pool_len - 1] are NUL */
    size_t pool_len;
    bool map_6to4;
    uint64_t n_overrides;
    struct ta__geo_cache_info info[2];
};

enum ta__geo_cache_status {
    TA__GEO_CACHE_VALID,
    TA__GEO_CACHE_STALE,   /* well formed, built from other sources or options */
    TA__GEO_CACHE_CORRUPT, /* truncated, bad checksum, out-of-bounds offsets ... */
};

/*
 * Validate buf[0..len) (untrusted) as a cache file built from the sources
 * fingerprinted as fp[0..fplen); on VALID fill *out with views into buf.
 * Every offset, length, index and string is checked, and a checksum covers
 * the whole file, so a VALID cache can be used without further checks.
 */
enum ta__geo_cache_status ta__geo_cache_parse(const uint8_t *buf, size_t len, const char *fp,
                                              size_t fplen, struct ta__geo_cache *out);

/*
 * For the fuzz target: set the header's file size and checksum to match
 * buf[0..len), so mutations reach the checks behind the checksum.
 */
void ta__geo_cache_seal(uint8_t *buf, size_t len);

/*
 * Write c as dir/name atomically: a temporary file in dir, fsync, rename,
 * fsync of dir. A crash leaves the old file or the new one, never a part.
 */
ta_err ta__geo_cache_write(const char *dir, const char *name, const struct ta__geo_cache *c,
                           const char *fp, size_t fplen);

/* A growing fingerprint text: one line per source file and option. */
struct ta__geo_fp {
    char *buf;
    size_t len, cap;
    bool oom;
};
void ta__geo_fp_add(struct ta__geo_fp *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "tag path size mtime_ns ctime_ns inode" or "tag path absent". */
void ta__geo_fp_file(struct ta__geo_fp *f, const char *tag, const char *path);
void ta__geo_fp_release(struct ta__geo_fp *f);

#endif
