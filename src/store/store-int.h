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
/* Record a SQLite error as st's message; returns TA_ERR_DB. */
ta_err ta__store_dberr(struct ta_store *st, const char *what);

#endif
