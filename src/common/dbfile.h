/*
 * Checks on a database file (shared by the store and the intel database,
 * which live in the same file): before SQLite reads it, and what it holds.
 */
#ifndef THREATATLAS_COMMON_DBFILE_H
#define THREATATLAS_COMMON_DBFILE_H

#include <stdbool.h>

/*
 * true when the file at path is an SQLite database shorter than the size
 * its header records: it has lost its end (a copy cut short, a full disk),
 * and SQLite would read it until the first missing page and then fail
 * midway. The header's page count only grows at checkpoints, and a
 * checkpoint cut short by a full disk leaves the pages past the file's end
 * in the WAL, where SQLite reads them: a file whose WAL holds frames is
 * never taken for truncated. false for anything else, including files that
 * cannot be read (opening them reports that).
 */
bool ta__db_file_truncated(const char *path);

struct sqlite3;
/*
 * The same check through an open connection's own descriptor. A process
 * that has the database open must use this one: closing any other
 * descriptor of the file drops every POSIX lock the process holds on it
 * (SQLite's among them), and another process closing its connection would
 * then take itself for the last one and delete the WAL still in use here.
 */
bool ta__db_conn_truncated(struct sqlite3 *db);

/*
 * The WAL's size, in bytes, that a writer's connection cuts it back to when
 * it restarts the log (PRAGMA journal_size_limit, set by every writer). A
 * reader holds the log from being checkpointed past its snapshot for as long
 * as its read lasts (an evidence list over 100 million events: minutes), so
 * the log grows with everything written meanwhile; without the limit it
 * would keep that size on disk for as long as a writer stays open. Above the
 * ~80 MB of the store's checkpoint interval, so that ordinary cycles never
 * truncate.
 */
#define TA__DB_WAL_LIMIT "134217728"

/* 1 if the table exists in db, 0 if not, -1 if the file cannot be read as a database. */
int ta__db_table_state(struct sqlite3 *db, const char *name);

#endif
