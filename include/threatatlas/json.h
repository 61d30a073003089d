/*
 * Minimal streaming JSON writer used by every EVE/IntelMQ/report producer.
 *
 * A ta_json accumulates one JSON document (typically one EVE line) in a
 * growable buffer owned by the writer. Commas are inserted automatically.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX so output is always valid JSON.
 *
 *   struct ta_json j; ta_json_init(&j);
 *   ta_json_obj_open(&j);
 *   ta_json_kv_str(&j, "event_type", "flow");
 *   ta_json_obj_close(&j);
 *   fwrite(j.buf, 1, j.len, out);  ...  ta_json_release(&j);
 *
 * The buffer is capped (TA_JSON_LIMIT bytes by default, ta_json_set_limit):
 * a document that would pass the cap, like an allocation failure, sets j.oom
 * (and j.toobig for the cap) and makes later calls no-ops; check oom once at
 * the end. ta_json_reset clears both.
 */
#ifndef THREATATLAS_JSON_H
#define THREATATLAS_JSON_H

#include "threatatlas/common.h"

#include <stdio.h>
#include <string.h>

#define TA_JSON_MAX_DEPTH 32
/* Default cap of one document: far above any EVE record or report. */
#define TA_JSON_LIMIT ((size_t)64 << 20)

struct ta_json {
    char *buf;
    size_t len;
    size_t cap;
    size_t limit; /* most bytes one document may take (set by init) */
    bool oom;     /* the document could not be held: see toobig */
    bool toobig;  /* ... because it passed limit (else allocation failed) */
    int depth;
    bool need_comma[TA_JSON_MAX_DEPTH];
};

void ta_json_init(struct ta_json *j);
void ta_json_release(struct ta_json *j);
/* Empty the buffer for the next document; keeps the allocation and the limit. */
void ta_json_reset(struct ta_json *j);
/* Most bytes one document may take (0 = TA_JSON_LIMIT). */
void ta_json_set_limit(struct ta_json *j, size_t bytes);

void ta_json_obj_open(struct ta_json *j);
void ta_json_obj_close(struct ta_json *j);
void ta_json_arr_open(struct ta_json *j);
void ta_json_arr_close(struct ta_json *j);
/* Write a key inside an object; follow with exactly one value. */
void ta_json_key(struct ta_json *j, const char *key);

void ta_json_str(struct ta_json *j, const char *s);
void ta_json_strn(struct ta_json *j, const char *s, size_t n);
void ta_json_int(struct ta_json *j, int64_t v);
void ta_json_uint(struct ta_json *j, uint64_t v);
void ta_json_double(struct ta_json *j, double v);
void ta_json_bool(struct ta_json *j, bool v);
void ta_json_null(struct ta_json *j);
/* Insert pre-formatted JSON (caller guarantees validity). */
void ta_json_raw(struct ta_json *j, const char *s, size_t n);

/* Key + value shorthands. */
void ta_json_kv_str(struct ta_json *j, const char *k, const char *v);
void ta_json_kv_strn(struct ta_json *j, const char *k, const char *v, size_t n);
void ta_json_kv_int(struct ta_json *j, const char *k, int64_t v);
void ta_json_kv_uint(struct ta_json *j, const char *k, uint64_t v);
void ta_json_kv_double(struct ta_json *j, const char *k, double v);
void ta_json_kv_bool(struct ta_json *j, const char *k, bool v);
void ta_json_kv_time(struct ta_json *j, const char *k, ta_time_us t);
void ta_json_kv_addr(struct ta_json *j, const char *k, const struct ta_addr *a);

/*
 * Keys written as string literals, the usual case, skip the escaping scan:
 * TA_JSON_KEY(j, "name") compiles only with a literal, which must need no
 * escaping (plain ASCII names, as every key in this project is). The
 * TA_JSON_KV_* forms are the key + value shorthands above for such keys.
 */
#define TA_JSON_QKEY(lit) "\"" lit "\":"
/* A literal key as the (pre-quoted text, length) pair that key-taking helpers pass on. */
#define TA_JSON_LIT(lit)              TA_JSON_QKEY(lit), sizeof(TA_JSON_QKEY(lit)) - 1
#define TA_JSON_KEY(j, lit)           ta__json_key_lit((j), TA_JSON_QKEY(lit), sizeof(TA_JSON_QKEY(lit)) - 1)
#define TA_JSON_KV_STR(j, lit, v)     (TA_JSON_KEY(j, lit), ta_json_str((j), (v)))
#define TA_JSON_KV_STRN(j, lit, v, n) (TA_JSON_KEY(j, lit), ta_json_strn((j), (v), (n)))
#define TA_JSON_KV_INT(j, lit, v)     (TA_JSON_KEY(j, lit), ta_json_int((j), (v)))
#define TA_JSON_KV_UINT(j, lit, v)    (TA_JSON_KEY(j, lit), ta_json_uint((j), (v)))
#define TA_JSON_KV_DOUBLE(j, lit, v)  (TA_JSON_KEY(j, lit), ta_json_double((j), (v)))
#define TA_JSON_KV_BOOL(j, lit, v)    (TA_JSON_KEY(j, lit), ta_json_bool((j), (v)))
#define TA_JSON_KV_TIME(j, lit, v)    (TA_JSON_KEY(j, lit), ta_json_time((j), (v)))
#define TA_JSON_KV_ADDR(j, lit, v)    (TA_JSON_KEY(j, lit), ta_json_addr((j), (v)))

/* A timestamp / an address as a JSON string value (the _kv_ forms' values). */
void ta_json_time(struct ta_json *j, ta_time_us t);
void ta_json_addr(struct ta_json *j, const struct ta_addr *a);

/* Internal: the slow path of ta__json_key_lit (buffer growth). */
void ta__json_key_lit_grow(struct ta_json *j, const char *qk, size_t n);

/* Internal: write the pre-quoted key qk ("\"name\":", n bytes). */
static inline void ta__json_key_lit(struct ta_json *j, const char *qk, size_t n)
{
    if (j->cap - j->len > n + 1 && !j->oom) {
        char *d = j->buf + j->len;
        size_t c = j->need_comma[j->depth] ? 1 : 0;
        d[0] = ',';
        memcpy(d + c, qk, n);
        d[c + n] = '\0';
        j->len += c + n;
        j->need_comma[j->depth] = false;
    } else {
        ta__json_key_lit_grow(j, qk, n);
    }
}

/* Append '\n' and write the document to f; returns false on I/O error. */
bool ta_json_write_line(struct ta_json *j, FILE *f);

#endif
