/*
 * Store internals shared by the store's own files (the writer, store-db.c,
 * and the query API, store-query.c). Not a public header: readers use the
 * query API of threatatlas/store.h and never see the connection.
 */
#ifndef TA_STORE_INT_H
#define TA_STORE_INT_H

#include <sqlite3.h>

#include "threatatlas/store.h"

/* The connection (owned by st). */
sqlite3 *ta__store_db(struct ta_store *st);
/* false if the database has no store_ tables yet (nothing analysed). */
bool ta__store_has_tables(const struct ta_store *st);
/* The database has store_shape_* (a version 3 one opened read-only has not). */
bool ta__store_has_shapes(const struct ta_store *st);
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
