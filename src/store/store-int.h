/*
 * Store internals shared by the store's own files (the SQLite writer,
 * store-db.c, its query API, store-query.c, and the ClickHouse backend,
 * store-ch*.c). Not a public header: readers use the query API of
 * threatatlas/store.h and never see the connection or the backend.
 *
 * Backends. A handle starts with struct ta__store_head: ops is NULL for the
 * SQLite store (the functions of store-db.c and store-query.c run as
 * written) and points to another backend's table otherwise; each public
 * function of threatatlas/store.h first hands such a handle to its entry.
 * The backend is chosen by ta_store_open from the --db value's URL scheme.
 */
#ifndef TA_STORE_INT_H
#define TA_STORE_INT_H

#include <sqlite3.h>

#include "threatatlas/store.h"

struct ta__store_ops {
    void (*close)(struct ta_store *st);
    const char *(*errmsg)(const struct ta_store *st);
    ta_err (*run_is_done)(struct ta_store *st, const uint8_t digest[TA_SHA256_LEN], bool *done);
    ta_err (*run_begin)(struct ta_store *st, const struct ta_store_run_info *info,
                        bool *already_done);
    ta_err (*add_event)(struct ta_store *st, const struct ta_event *ev);
    void (*event_sink)(void *ctx, const struct ta_event *ev);
    ta_err (*run_finish)(struct ta_store *st, ta_time_us first, ta_time_us last);
    ta_err (*commit)(struct ta_store *st);
    ta_err (*run_set_intel_version)(struct ta_store *st, const char *version);
    ta_err (*run_set_sources)(struct ta_store *st, const char *sources);
    bool (*pending)(const struct ta_store *st);
    void (*run_abort)(struct ta_store *st);
    void (*set_batch)(struct ta_store *st, unsigned events);
    void (*set_memcap)(struct ta_store *st, size_t bytes);
    ta_err (*set_skew)(struct ta_store *st, ta_time_us skew);
    ta_err (*bulk_begin)(struct ta_store *st);
    ta_err (*bulk_end)(struct ta_store *st, uint64_t slice_groups);
    int64_t (*run_id)(const struct ta_store *st);
    void (*get_stats)(const struct ta_store *st, struct ta_store_stats *out);
    ta_err (*runs_list)(struct ta_store *st, int64_t id, ta_store_run_cb cb, void *ctx);
    ta_err (*run_delete)(struct ta_store *st, int64_t id);
    bool (*has_data)(const struct ta_store *st);
    ta_err (*pair_counters)(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, ta_store_pair_cb cb, void *ctx);
    ta_err (*pair_distinct)(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, enum ta_store_set set, ta_store_pair_cb cb,
                            void *ctx);
    ta_err (*suppressed)(struct ta_store *st, const struct ta_store_period *p,
                         ta_store_suppressed_cb cb, void *ctx);
    ta_err (*list)(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                   size_t limit, ta_store_row_cb cb, void *ctx);
    ta_err (*events_open)(struct ta_store *st, ta_time_us since, uint32_t kinds, unsigned flags,
                          struct ta_store_events **out);
    ta_err (*events_next)(struct ta_store_events *c, struct ta_store_event_row *row, bool *more);
    void (*events_close)(struct ta_store_events *c);
};

/* First member of every backend's struct ta_store and struct ta_store_events. */
struct ta__store_head {
    const struct ta__store_ops *ops; /* NULL: SQLite */
};

static inline const struct ta__store_ops *ta__store_ops(const void *handle)
{
    return ((const struct ta__store_head *)handle)->ops;
}

/* Hand a call on a handle of another backend to its entry (first thing in
 * each public function of the SQLite store). */
#define TA__STORE_FWD(h, fn, ...)                                                                  \
    do {                                                                                           \
        const struct ta__store_ops *o_ = ta__store_ops(h);                                         \
        if (o_ != NULL)                                                                            \
            return o_->fn(__VA_ARGS__);                                                            \
    } while (0)
#define TA__STORE_FWD_VOID(h, fn, ...)                                                             \
    do {                                                                                           \
        const struct ta__store_ops *o_ = ta__store_ops(h);                                         \
        if (o_ != NULL) {                                                                          \
            o_->fn(__VA_ARGS__);                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A live run's digest, for either backend: unique to this start of this
 * sensor (interface, sensor, wall clock, process), so no other run shares it. */
void ta__store_live_digest(const struct ta_store_run_info *info, uint8_t out[TA_SHA256_LEN]);

/* The ClickHouse backend: url is "clickhouse://HOST:PORT/DATABASE". */
ta_err ta__store_ch_open(const char *url, unsigned flags, struct ta_store **out,
                         char errbuf[TA_STORE_ERRLEN]);

/* Event identity and item, shared by every backend (defined in store-db.c). */
uint64_t ta__store_ident_hash(const struct ta_event *ev);
ta_time_us ta__store_ident_time(const struct ta_event *ev);
int64_t ta__store_ident_key(uint64_t h, ta_time_us t);
/* Items are kept up to this many bytes; buf holds TA__STORE_ITEM_MAX + 1. */
#define TA__STORE_ITEM_MAX 1024
const char *ta__store_item_of(const struct ta_event *ev, char *buf);
/* Evidence bodies are kept up to this many bytes. */
size_t ta__store_body_max(void);
/* Sort, dedupe a comma-separated list (malloc'd; NULL: out of memory). */
char *ta__store_clean_list(const char *s);

/* The connection (owned by st). */
sqlite3 *ta__store_db(struct ta_store *st);
/* false if the database has no store_ tables yet (nothing analysed). */
bool ta__store_has_tables(const struct ta_store *st);
/* The database has store_shape_* (a version 3 one opened read-only has not). */
bool ta__store_has_shapes(const struct ta_store *st);
/* " AND <src_col>='XX'" (s) and " AND <dst_col>='YY'" (d) for the period's
 * country filters, empty when none. */
void ta__store_cc_filters(const struct ta_store_period *p, const char *src_col, const char *dst_col,
                          char s[32], char d[32]);
/* The cap on a batch's in-memory rollups (ta_store_set_memcap), which also
 * bounds a list's in-memory grouping. */
size_t ta__store_memcap(const struct ta_store *st);
/* How ta_store_list computes: grouping in memory (falling back to SQL past
 * the memcap), only in SQL, or only in memory (TA_ERR_LIMIT past the
 * memcap); the latter two for tests that compare them. */
enum ta__store_list_how { TA__LIST_AUTO, TA__LIST_SQL, TA__LIST_MEM };
ta_err ta__store_list_how(struct ta_store *st, const struct ta_store_period *p,
                          enum ta_store_list l, size_t limit, enum ta__store_list_how how,
                          ta_store_row_cb cb, void *ctx);
/* Record a SQLite error as st's message; returns TA_ERR_DB. */
ta_err ta__store_dberr(struct ta_store *st, const char *what);

/* Merging (store-merge.c) writes through the run API inside one transaction
 * of its own: the run's transactions become savepoints while on. */
void ta__store_set_nested(struct ta_store *st, bool on);
/* ta_store_run_begin for the run of digest_hex (hex SHA-256), the digest a
 * merged run keeps: done there -> *already_done; unfinished -> resumed. */
ta_err ta__store_run_begin_as(struct ta_store *st, const struct ta_store_run_info *info,
                              const char *digest_hex, bool *already_done);
/* ta_store_run_finish, leaving the run unfinished unless done. */
ta_err ta__store_run_end(struct ta_store *st, ta_time_us first, ta_time_us last, bool done);
/* Cursor over the events run_id saw: those it stored (its id range), then
 * those it sighted, with TA_STORE_EVENTS_DETAIL; read with
 * ta_store_events_next, closed with ta_store_events_close. */
ta_err ta__store_run_events_open(struct ta_store *st, int64_t run_id, struct ta_store_events **out);

#endif
