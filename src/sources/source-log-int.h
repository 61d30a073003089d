/*
 * Internal: the parts the log readers share (threatatlas/logsrc.h): a JSON
 * line tokenizer without allocation, a string arena for unescaped values,
 * the bounded join table of connections, and the reader object.
 */
#ifndef TA_SOURCES_LOG_INT_H
#define TA_SOURCES_LOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "threatatlas/flow.h"
#include "threatatlas/logsrc.h"
#include "threatatlas/proto.h"

/* ---- JSON tokens --------------------------------------------------------- */

enum lj_type { LJ_OBJ = 1, LJ_ARR, LJ_STR, LJ_NUM, LJ_TRUE, LJ_FALSE, LJ_NULL };

/*
 * One value of a line. Strings: [start, end) between the quotes, esc when
 * it holds a backslash. Objects: their members follow as key (a string)
 * then value; next is the index just past the token's whole subtree.
 */
struct lj_tok {
    uint32_t start, end;
    uint32_t next;
    uint8_t type;
    bool esc;
};

#define LJ_MAX_TOKS  2048
#define LJ_MAX_DEPTH 32

struct lj {
    const char *s;
    struct lj_tok t[LJ_MAX_TOKS];
    uint32_t n;
};

/* Tokenize one JSON text (a whole line); false when it is not valid JSON. */
bool ta__lj_parse(struct lj *j, const char *s, size_t len);
/* Member `key` of object token o: its value's index, or 0 (token 0 is the root). */
uint32_t ta__lj_get(const struct lj *j, uint32_t o, const char *key);
/* Key of the member whose value is v? The members of o, one at a time: first is o + 1,
 * then the returned next; the value is key + 1. 0 at the end. */
uint32_t ta__lj_member_next(const struct lj *j, uint32_t o, uint32_t key);
bool ta__lj_key_is(const struct lj *j, uint32_t key, const char *want);
/* Elements of array a: first a + 1, then t[i].next, while below t[a].next. */

/* ---- string arena ---------------------------------------------------------- */

/* Per-line copies (unescaped JSON strings, joined values), reset per line. */
struct ls_arena {
    char *buf;
    size_t len, cap;
};
/* A NUL-terminated copy of n bytes; ptr NULL when out of memory. */
struct ta_str ta__ls_copy(struct ls_arena *a, const char *p, size_t n);
/* The string value of token i unescaped (\uXXXX as UTF-8); absent when not a string. */
struct ta_str ta__lj_str(const struct lj *j, uint32_t i, struct ls_arena *a);
/* Numbers: false when absent or not a number of that kind. */
bool ta__lj_u64(const struct lj *j, uint32_t i, uint64_t *out);
bool ta__lj_double(const struct lj *j, uint32_t i, double *out);
/* "2014-03-19T08:01:02.123456+0000" (any zone offset, Z, fraction optional). */
bool ta__ls_time_iso(const char *s, size_t n, ta_time_us *out);
/* Seconds since the epoch with a fraction ("1521911720.865716"). */
bool ta__ls_time_epoch(const char *s, size_t n, ta_time_us *out);
bool ta__ls_addr(const char *s, size_t n, struct ta_addr *out);
bool ta__ls_u64(const char *s, size_t n, uint64_t *out);
/* Copy a fingerprint into dst (cap bytes) when it is made only of [0-9a-z_] and fits;
 * else dst is "" (a JA3 hash is 32 hex digits, a JA4 letters, digits and '_'). */
void ta__ls_fingerprint(char *dst, size_t cap, const char *s, size_t n);

/* ---- join table ------------------------------------------------------------ */

/* A connection seen by its records before its end: the flow id and start they used. */
struct ls_join {
    uint64_t key; /* 0 = free */
    uint64_t id;
    ta_time_us start;
    uint64_t seq; /* insertion order, the oldest of a set is replaced */
};

struct ls_joins {
    struct ls_join *slots;
    uint32_t mask; /* sets - 1 */
    uint64_t seq;
    uint64_t *evicted;
};

#define LS_WAYS 4
ta_err ta__ls_joins_init(struct ls_joins *t, uint32_t max, uint64_t *evicted);
void ta__ls_joins_release(struct ls_joins *t);
struct ls_join *ta__ls_joins_find(struct ls_joins *t, uint64_t key);
/* The entry for key, made (the oldest of its set replaced, counted) when absent. */
struct ls_join *ta__ls_joins_put(struct ls_joins *t, uint64_t key, bool *fresh);
void ta__ls_joins_del(struct ls_joins *t, struct ls_join *e);

/* ---- files as lines ------------------------------------------------------------ */

/* A file (plain or gzip) read as lines of at most max_line bytes. */
struct ls_lines {
    void *gz; /* gzFile */
    char *buf;
    size_t cap, start, end;
    uint32_t max_line;
    bool eof, skipping;
    const char *path;
};
ta_err ta__ls_lines_open(struct ls_lines *r, const char *path, uint32_t max_line, char *errbuf,
                         size_t errlen);
void ta__ls_lines_close(struct ls_lines *r);
/*
 * The next line without its line end: 1, 0 at the end, -1 on a read error
 * (errbuf says which). A line over max_line comes back max_line + 1 bytes
 * long (to be rejected); the rest of it is skipped.
 */
int ta__ls_lines_next(struct ls_lines *r, const char **line, size_t *len, char *errbuf,
                      size_t errlen);

/* ---- the reader -------------------------------------------------------------- */

struct ls_zeek;
struct ls_web;

#define LS_EVE_ROOT_KEYS 24

struct ta_logsrc {
    enum ta_input_kind kind;
    struct ta_flow_origin origin; /* every flow delivered points here */
    volatile sig_atomic_t *stop;  /* NULL: never stopped */
    struct ta_logsrc_opts o;
    const struct ta_obs_sink *sink;
    struct ta_logsrc_stats st;
    uint64_t line_no; /* in the current file */
    const char *file; /* name given to ta_logsrc_begin */
    struct ls_arena arena;
    struct lj *lj;
    struct ls_joins joins;
    struct ls_zeek *zeek;
    struct ls_web *web;
    uint32_t eve_root[LS_EVE_ROOT_KEYS]; /* EVE: the line's root members by key */
};

static inline bool ta__ls_stopped(const struct ta_logsrc *ls)
{
    return ls->stop != NULL && *ls->stop;
}

void ta__ls_reject(struct ta_logsrc *ls);
/* Deliver, counting by type. */
void ta__ls_flow(struct ta_logsrc *ls, const struct ta_flow *f);
void ta__ls_record(struct ta_logsrc *ls, const struct ta_flow *f, uint32_t type, const void *rec);

/* The readers: a line (no line end) of the current file. */
void ta__eve_line(struct ta_logsrc *ls, const char *line, size_t len);
void ta__zeek_line(struct ta_logsrc *ls, const char *line, size_t len);
void ta__web_line(struct ta_logsrc *ls, const char *line, size_t len);
/* Per-kind state; begin resets per-file headers. */
ta_err ta__zeek_new(struct ta_logsrc *ls);
void ta__zeek_free(struct ta_logsrc *ls);
void ta__zeek_begin(struct ta_logsrc *ls, const char *name);
ta_err ta__web_new(struct ta_logsrc *ls, char *errbuf, size_t errlen);
void ta__web_free(struct ta_logsrc *ls);
void ta__web_begin(struct ta_logsrc *ls);
/* Zeek files merged by time. */
ta_err ta__zeek_read_files(struct ta_logsrc *ls, const char *const *paths, size_t n, char *errbuf,
                           size_t errlen);

#endif
