/*
 * Internal helpers shared by the intel loaders, store and index.
 */
#ifndef TA_INTEL_INTERNAL_H
#define TA_INTEL_INTERNAL_H

#include "threatatlas/intel.h"

#include <stdio.h>

/* Longest canonical value we store (URLs are capped by TA_INTEL_URL_MAX). */
#define TA__INTEL_VALUE_MAX (TA_INTEL_URL_MAX + 16)

/* State every loader shares: options, the emit callback, the result. */
struct ta__intel_sink {
    const struct ta_intel_load_opts *opts;
    ta_intel_emit_fn emit;
    void *user;
    struct ta_intel_load_result *res;
    ta_err err; /* first error from emit; stops the parse */
};

/* Count a rejected line with a reason (formatted). */
void ta__intel_reject(struct ta__intel_sink *s, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Count an unsupported element (well-formed but not representable). */
void ta__intel_unsupported(struct ta__intel_sink *s, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Canonicalise raw (len bytes) as type (TA_INTEL_TYPE__COUNT = guess), apply
 * option overrides (source, kind, confidence, valid_days) to a copy of *ind,
 * and emit. A bad value is rejected at line with its reason. Returns false
 * only when emit failed (s->err set).
 */
bool ta__intel_add(struct ta__intel_sink *s, uint64_t line, const char *raw, size_t len,
                   enum ta_intel_type type, const struct ta_intel_indicator *ind);

/* Source, confidence defaults for a format when options give none. */
const char *ta__intel_source(const struct ta__intel_sink *s, const char *dflt);

/* Parse common feed timestamps ("2021-01-17 07:44:46", "2022-11-16T14:08:44+00:00",
 * "2016-11-12 18:02", "2022-11-15", with an optional zone: " UTC", "Z", or an
 * offset "+02:00" / "+0200" / "+02", which is applied), or an integer epoch.
 * False (and *out 0) for empty or anything else, trailing text included. */
bool ta__intel_time_parse(const char *s, size_t len, ta_time_us *out);
/* The same, 0 when the text is not a date. */
ta_time_us ta__intel_time(const char *s, size_t len);

/* Line iteration over a buffer: returns false at the end. Strips CR. */
struct ta__intel_lines {
    const char *p, *end;
    uint64_t lineno;
};
void ta__intel_lines_init(struct ta__intel_lines *it, const uint8_t *buf, size_t len);
bool ta__intel_lines_next(struct ta__intel_lines *it, const char **line, size_t *len);

/* Trim ASCII whitespace from both ends of (*s, *len). */
void ta__intel_trim(const char **s, size_t *len);

/* CSV lines are split by ta_csv_split (common/csv.h) with TA_CSV_TRIM: spaces
 * around fields dropped, quotes inside an unquoted field kept as text. */
#define TA__INTEL_CSV_MAXF 32

/* Loader entry points (one per family; format already decided). */
void ta__intel_load_lines(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                          struct ta__intel_sink *s);
void ta__intel_load_csv(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                        struct ta__intel_sink *s);
/* Returns TA_ERR_FORMAT if the document is not valid JSON. */
ta_err ta__intel_load_json(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                           struct ta__intel_sink *s);

/* Domain text check+lowercase: returns false if not a plausible DNS name. */
bool ta__intel_domain_canon(const char *s, size_t len, char *out, size_t outcap, size_t *outlen);

/* Whether s holds a byte outside ASCII. */
bool ta__intel_has_8bit(const char *s, size_t len);
/*
 * IDNA (intel-idna.c): a domain, or a URL's host (url true), in Unicode
 * becomes its lower-case A-label form; the rest of a URL is copied. Writes a
 * NUL-terminated result to out. False (static reason in *why) for a name IDNA
 * refuses.
 */
bool ta__intel_idna(const char *s, size_t len, bool url, char *out, size_t cap, size_t *outlen,
                    const char **why);

/* Whether a URL ("scheme://host/path", "host/path") or URL path ("/path")
 * ends in a downloadable payload's extension (see the maltrail loader). */
bool ta__intel_payload_path(const char *s, size_t n);

/* Why a network (address a, prefix plen) is not a public address: a static
 * text naming the special-purpose block it overlaps, or NULL when public. */
const char *ta__intel_reserved(const struct ta_addr *a, unsigned plen);

/* Case-insensitive ASCII compare of n bytes. */
bool ta__intel_ieq(const char *a, const char *b, size_t n);

/*
 * The intel database's own SQLite connection (owned by db, intel-db.c): the
 * index builder (intel-index.c) reads the intel_ tables through it. Only the
 * intel module uses it; the store, in the same file, opens its own
 * connection (WAL lets them work side by side).
 */
struct sqlite3 *ta__intel_db_handle(struct ta_intel_db *db);

/* "ID:COUNTER" of the indicators' content ("none" before the first write):
 * changes with every import, expiry or fetch (see bump_version). */
ta_err ta__intel_db_version(struct ta_intel_db *db, char *out, size_t n);

/*
 * The cache validators of a feed download, read from the response's header
 * lines as libcurl hands them over (one line each, terminator included).
 * A new status line (a redirect, 100 Continue) starts them over. A value
 * that is too long, or holds a control character, is not kept: the ETag is
 * sent back in If-None-Match, and a hostile server must not be able to
 * inject header lines into the next request.
 */
struct ta__fetch_hdrs {
    char etag[256];
    char last_modified[64];
};
void ta__intel_fetch_header_line(struct ta__fetch_hdrs *h, const char *line, size_t n);

/*
 * The index cache file (intel-index.c; also used by the fuzz target).
 * ta__intel_cache_write writes x to path atomically (temporary file, fsync,
 * rename) under key, the text of what the index was built from.
 * ta__intel_cache_parse checks buf[0..len) (untrusted, 64-byte aligned) as a
 * cache for key: on VALID *out is an index whose tables point into buf (buf
 * must outlive it; ta_intel_index_free does not free buf), every index a
 * lookup follows having been checked.
 * ta__intel_cache_seal (fuzzing only) sets the size and both checksums of a
 * file to match buf, so that mutations reach the checks behind them.
 */
enum ta__intel_cache_status {
    TA__INTEL_CACHE_VALID,
    TA__INTEL_CACHE_STALE,   /* another format, key or header checksum */
    TA__INTEL_CACHE_CORRUPT, /* checksum of the tables, bounds, indexes ... */
};
ta_err ta__intel_cache_write(const struct ta_intel_index *x, const char *path, const char *key,
                             int *err);
enum ta__intel_cache_status ta__intel_cache_parse(const uint8_t *buf, size_t len, const char *key,
                                                  struct ta_intel_index **out);
void ta__intel_cache_seal(uint8_t *buf, size_t len);

#endif
