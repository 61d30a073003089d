/*
 * The ClickHouse store backend's internals, shared by its two files: the
 * connection, schema, runs and writer (store-ch.c) and its query API
 * (store-ch-query.c). Not a public header; see docs/design/store-clickhouse.md
 * for the tables and why they are shaped so.
 *
 * The server is talked to over its HTTP interface through libcurl (loaded at
 * run time, common/curl.h). Values reach SQL text only through ta__ch_quote
 * (strings) or as numbers; rows are written as RowBinary and read as
 * TabSeparated, so no evidence string is ever parsed as SQL.
 */
#ifndef TA_STORE_CH_INT_H
#define TA_STORE_CH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store-int.h"

/* A growable byte buffer with a cap (the largest answer read at once). */
struct ta__ch_buf {
    char *p;
    size_t len, cap;
};

bool ta__ch_buf_add(struct ta__ch_buf *b, const void *p, size_t n);
bool ta__ch_buf_printf(struct ta__ch_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a ClickHouse string literal: quoted, every byte outside
 * printable ASCII, the quote and the backslash escaped. */
bool ta__ch_quote(struct ta__ch_buf *b, const char *s, size_t n);
void ta__ch_buf_free(struct ta__ch_buf *b);

/* One field of a TabSeparated row, unescaped in place (valid until the next
 * query on the buffer). null: the field was \N. */
struct ta__ch_field {
    const char *p;
    size_t len;
    bool null;
};
/* Next row of a TabSeparated answer in [*pos, end): fills up to max fields,
 * returns how many the row had (0 at the end). Rows are NUL-terminated per
 * field so text fields can be read as C strings. */
size_t ta__ch_tsv_row(char **pos, char *end, struct ta__ch_field *f, size_t max);
int64_t ta__ch_i64(const struct ta__ch_field *f);

struct ta__ch;

/*
 * Run sql (a statement without data) or, with data, "sql" whose rows are
 * the data (INSERT ... FORMAT RowBinary). The answer goes to out (reset
 * first; NULL to discard it). Transport failures (the server restarting)
 * are retried for the store's retry time; an INSERT is retried only when
 * landed() says it did not land. Returns TA_OK or TA_ERR_DB / TA_ERR_IO
 * with the message in the handle.
 */
typedef ta_err (*ta__ch_landed_fn)(struct ta__ch *c, void *ctx, bool *landed);
ta_err ta__ch_exec(struct ta__ch *c, const char *sql, const void *data, size_t len,
                   struct ta__ch_buf *out, ta__ch_landed_fn landed, void *ctx);
/* The handle's error message buffer (TA_STORE_ERRLEN). */
char *ta__ch_errbuf(struct ta__ch *c);
/* Database name (an identifier: letters, digits, _). */
const char *ta__ch_db(const struct ta__ch *c);
/* Whether the store's tables exist (else every query finds nothing). */
bool ta__ch_has_tables(const struct ta__ch *c);
/* A distinct count's answer computed alongside another over the same rows
 * (a member's sub bits with its bits), kept for the call that asks for it
 * next: key names the query (kind, role, period, countries); rows hold the
 * TabSeparated answer, the held count in the fourth column. Per role 0, 1. */
struct ta__ch_held {
    char key[96];
    struct ta__ch_buf rows;
};
struct ta__ch_held *ta__ch_held_of(struct ta__ch *c, int role);
/* The connection of a ClickHouse store handle. */
struct ta__ch *ta__ch_of(struct ta_store *st);
const struct ta__ch *ta__ch_of_const(const struct ta_store *st);

/* The query API (store-ch-query.c). */
bool ta__ch_has_data(const struct ta_store *st);
ta_err ta__ch_pair_counters(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, ta_store_pair_cb cb, void *ctx);
ta_err ta__ch_pair_distinct(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, enum ta_store_set set, ta_store_pair_cb cb,
                            void *ctx);
ta_err ta__ch_suppressed(struct ta_store *st, const struct ta_store_period *p,
                         ta_store_suppressed_cb cb, void *ctx);
ta_err ta__ch_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                   size_t limit, ta_store_row_cb cb, void *ctx);
ta_err ta__ch_events_open(struct ta_store *st, ta_time_us since, uint32_t kinds, unsigned flags,
                          struct ta_store_events **out);
ta_err ta__ch_events_next(struct ta_store_events *c, struct ta_store_event_row *row, bool *more);
void ta__ch_events_close(struct ta_store_events *c);

/* Sensors of runs by id, for the events cursor: *out sorted by id. */
struct ta__ch_run_sensor {
    int64_t id;
    char *sensor;
};
ta_err ta__ch_run_sensors(struct ta__ch *c, struct ta__ch_run_sensor **out, size_t *n);

#endif
