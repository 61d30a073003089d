/*
 * Intel store: indicators in the shared SQLite database (WAL mode). One row
 * per (type, value, source, kind); each import is one transaction, so a killed or
 * failed import leaves the database as it was. Tables are prefixed intel_;
 * the shared meta(key, value) table records schema.intel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <minizip/unzip.h>

#include "intel/intel-internal.h"

#include "common/dbfile.h"

#include "common/banned.h"

struct ta_intel_db {
    sqlite3 *db;
    sqlite3_stmt *insert;
    sqlite3_stmt *upsert;
    char msg[256];
};

/*
 * One row per (type, value, source, kind): a feed that lists a value as two
 * kinds (a C&C address that also serves payloads) states two things, and
 * each keeps its own dates and confidence.
 */
#define INDICATOR_COLUMNS                                                                          \
    "(id INTEGER PRIMARY KEY,"                                                                     \
    " type INTEGER NOT NULL, value TEXT NOT NULL, source TEXT NOT NULL,"                           \
    " kind INTEGER NOT NULL, confidence INTEGER NOT NULL, exact INTEGER NOT NULL DEFAULT 0,"       \
    " family TEXT NOT NULL DEFAULT '', brand TEXT NOT NULL DEFAULT '',"                            \
    " country TEXT NOT NULL DEFAULT '',"                                                           \
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, valid_until INTEGER NOT NULL,"      \
    " import_id INTEGER NOT NULL,"                                                                 \
    " UNIQUE(type, value, source, kind))"

/*
 * Versions 1 and 2 kept one row per (type, value, source), a constraint
 * SQLite cannot drop: the table is rebuilt with the same rows and ids.
 */
static const char *const migrate_v3_sql =
    "CREATE TABLE intel_indicator_v3" INDICATOR_COLUMNS ";"
    "INSERT INTO intel_indicator_v3(id, type, value, source, kind, confidence, exact, family,"
    " brand, country, first_seen, last_seen, valid_until, import_id)"
    " SELECT id, type, value, source, kind, confidence, exact, family, brand, country,"
    " first_seen, last_seen, valid_until, import_id FROM intel_indicator;"
    "DROP TABLE intel_indicator;"
    "ALTER TABLE intel_indicator_v3 RENAME TO intel_indicator;"
    "CREATE INDEX intel_indicator_source ON intel_indicator(source);";

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS intel_indicator" INDICATOR_COLUMNS ";"
    "CREATE INDEX IF NOT EXISTS intel_indicator_source ON intel_indicator(source);"
    "CREATE TABLE IF NOT EXISTS intel_import("
    " id INTEGER PRIMARY KEY, at INTEGER NOT NULL, file TEXT NOT NULL, format TEXT NOT NULL,"
    " accepted INTEGER, rejected INTEGER, unsupported INTEGER, inserted INTEGER,"
    " updated INTEGER);"
    "CREATE TABLE IF NOT EXISTS intel_reject("
    " import_id INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER, reason TEXT);"
    /* intel fetch: the validators of each source's last accepted download */
    "CREATE TABLE IF NOT EXISTS intel_fetch("
    " source TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT NOT NULL DEFAULT '',"
    " last_modified TEXT NOT NULL DEFAULT '', fetched INTEGER NOT NULL, changed INTEGER NOT NULL);"
    /* Rows per source as of the intel.version in meta 'intel.source_rows' (see bump_version). */
    "CREATE TABLE IF NOT EXISTS intel_source_rows(source TEXT PRIMARY KEY, rows INTEGER NOT NULL);";

/*
 * The upsert keeps the oldest first_seen and the newest last_seen/validity
 * (0 = unknown: any known date replaces it, and it never replaces one);
 * descriptive fields follow the newest feed version. The WHERE makes a
 * re-import of the same data a no-op (changes() == 0).
 */
static const char *const insert_sql =
    "INSERT OR IGNORE INTO intel_indicator(type, value, source, kind, confidence, exact, family,"
    " brand, country, first_seen, last_seen, valid_until, import_id)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char *const upsert_sql =
    "INSERT INTO intel_indicator(type, value, source, kind, confidence, exact, family, brand,"
    " country, first_seen, last_seen, valid_until, import_id)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    " ON CONFLICT(type, value, source, kind) DO UPDATE SET"
    "  confidence = CASE WHEN excluded.last_seen >= last_seen THEN excluded.confidence"
    "   ELSE confidence END,"
    "  exact = excluded.exact,"
    "  family = CASE WHEN excluded.family <> '' THEN excluded.family ELSE family END,"
    "  brand = CASE WHEN excluded.brand <> '' THEN excluded.brand ELSE brand END,"
    "  country = CASE WHEN excluded.country <> '' THEN excluded.country ELSE country END,"
    "  first_seen = CASE WHEN first_seen = 0 THEN excluded.first_seen"
    "   WHEN excluded.first_seen = 0 THEN first_seen"
    "   ELSE min(first_seen, excluded.first_seen) END,"
    "  last_seen = max(last_seen, excluded.last_seen),"
    "  valid_until = max(valid_until, excluded.valid_until),"
    "  import_id = excluded.import_id"
    " WHERE excluded.last_seen > last_seen OR excluded.valid_until > valid_until"
    "  OR (excluded.first_seen <> 0 AND (first_seen = 0 OR excluded.first_seen < first_seen))"
    "  OR excluded.confidence <> confidence OR excluded.exact <> exact"
    "  OR (excluded.family <> '' AND excluded.family <> family)"
    "  OR (excluded.brand <> '' AND excluded.brand <> brand)"
    "  OR (excluded.country <> '' AND excluded.country <> country)";

static ta_err fail(struct ta_intel_db *db)
{
    snprintf(db->msg, sizeof(db->msg), "%s", sqlite3_errmsg(db->db));
    return TA_ERR_DB;
}

static ta_err exec(struct ta_intel_db *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(db->msg, sizeof(db->msg), "%s", err != NULL ? err : "?");
        sqlite3_free(err);
        return TA_ERR_DB;
    }
    return TA_OK;
}

/*
 * Every write of the indicators bumps meta 'intel.version' inside its own
 * transaction, so a reader (the index cache) can tell that the indicators
 * changed without reading them; 'intel.id', drawn at the first write, tells
 * a database recreated at the same path (whose counter restarts) apart.
 *
 * Every analysis run records the rows per source, and counting a million
 * rows at each start took seconds: intel_source_rows keeps them, brought up
 * to date by each write before it bumps the version, and stamped with that
 * version ('intel.source_rows'). A writer that does not know the table (an
 * older threatatlas, sqlite3 by hand) moves the version without the stamp:
 * readers then count, and the next write here counts afresh.
 */
static ta_err bump_version(struct ta_intel_db *db)
{
    return exec(db, "INSERT INTO meta(key, value) VALUES('intel.version', '1') ON CONFLICT(key)"
                    " DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);"
                    "INSERT OR IGNORE INTO meta(key, value)"
                    " VALUES('intel.id', lower(hex(randomblob(8))));"
                    "INSERT OR REPLACE INTO meta(key, value) SELECT 'intel.source_rows', value"
                    " FROM meta WHERE key = 'intel.version';");
}

/*
 * End a write transaction: with e OK, bump the version and commit; else (or
 * if that fails) roll back, keeping the first error's message.
 */
static ta_err finish(struct ta_intel_db *db, ta_err e)
{
    if (e == TA_OK)
        e = bump_version(db);
    if (e == TA_OK)
        e = exec(db, "COMMIT");
    if (e != TA_OK) {
        char keep[sizeof(db->msg)];
        memcpy(keep, db->msg, sizeof(keep));
        exec(db, "ROLLBACK");
        memcpy(db->msg, keep, sizeof(keep));
    }
    return e;
}

/* Whether intel_source_rows is of the current version (before a bump). */
static bool source_rows_current(struct ta_intel_db *db)
{
    sqlite3_stmt *st;
    bool current = false;
    if (ta__db_table_state(db->db, "intel_source_rows") > 0 &&
        sqlite3_prepare_v2(db->db,
                           "SELECT (SELECT value FROM meta WHERE key='intel.source_rows') IS"
                           " (SELECT value FROM meta WHERE key='intel.version')",
                           -1, &st, NULL) == SQLITE_OK) {
        current = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
        sqlite3_finalize(st);
    }
    return current;
}

/* Count every source afresh (one scan of the index on source). */
static ta_err source_rows_recount(struct ta_intel_db *db)
{
    return exec(db, "DELETE FROM intel_source_rows;"
                    "INSERT INTO intel_source_rows(source, rows)"
                    " SELECT source, count(*) FROM intel_indicator GROUP BY source;");
}

ta_err ta__intel_db_version(struct ta_intel_db *db, char *out, size_t n)
{
    sqlite3_stmt *st;
    snprintf(out, n, "none");
    if (ta__db_table_state(db->db, "meta") <= 0)
        return TA_OK;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT (SELECT value FROM meta WHERE key='intel.id'),"
                           " (SELECT value FROM meta WHERE key='intel.version')",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    ta_err e = TA_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        const unsigned char *v = sqlite3_column_text(st, 1);
        snprintf(out, n, "%s:%s", id != NULL ? (const char *)id : "none",
                 v != NULL ? (const char *)v : "0");
    } else {
        e = fail(db);
    }
    sqlite3_finalize(st);
    return e;
}

const char *ta_intel_db_errmsg(const struct ta_intel_db *db)
{
    return db != NULL ? db->msg : "";
}

/* A connection to path (flags as sqlite3_open_v2); TA_ERR_IO with err on failure. */
static ta_err connect(const char *path, int flags, struct ta_intel_db **out, char *err,
                      size_t errlen)
{
    struct ta_intel_db *db = calloc(1, sizeof(*db));
    if (db == NULL)
        return TA_ERR_NOMEM;
    if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db->db != NULL ? sqlite3_errmsg(db->db) : "out of memory");
        sqlite3_close(db->db);
        free(db);
        return TA_ERR_IO;
    }
    sqlite3_busy_timeout(db->db, 10000);
    *out = db;
    return TA_OK;
}

/* meta 'schema.intel', or -1 when there is none. */
static int schema_have(struct ta_intel_db *db)
{
    sqlite3_stmt *st;
    int have = -1;
    if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key='schema.intel'", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return have;
}

/* TA_ERR_UNSUPPORTED with err when version have is newer than this build reads. */
static ta_err schema_newer(const char *path, int have, char *err, size_t errlen)
{
    if (have <= TA_INTEL_SCHEMA_VERSION)
        return TA_OK;
    snprintf(err, errlen,
             "%s: intel schema version %d is newer than this threatatlas supports (%d); "
             "upgrade threatatlas",
             path, have, TA_INTEL_SCHEMA_VERSION);
    return TA_ERR_UNSUPPORTED;
}

/* Bring the intel tables of an open write transaction to the current schema. */
static ta_err schema_update(struct ta_intel_db *db, int have)
{
    /* Version 1 stored the file's modification time where a feed gave no
     * date; those cannot be told from real dates, so every old row becomes
     * undated (a re-import of a dated feed restores its dates). */
    if (have == 1 && exec(db, "UPDATE intel_indicator SET first_seen = 0, last_seen = 0") != TA_OK)
        return TA_ERR_DB;
    if (have >= 1 && have < 3 && exec(db, migrate_v3_sql) != TA_OK)
        return TA_ERR_DB;
    if (have >= TA_INTEL_SCHEMA_VERSION)
        return TA_OK;
    char sql[128];
    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO meta(key, value) VALUES('schema.intel', '%d')",
             TA_INTEL_SCHEMA_VERSION);
    if (exec(db, sql) != TA_OK || source_rows_recount(db) != TA_OK || bump_version(db) != TA_OK)
        return TA_ERR_DB;
    return TA_OK;
}

ta_err ta_intel_db_open(const char *path, struct ta_intel_db **out, char *err, size_t errlen)
{
    *out = NULL;
    struct ta_intel_db *db;
    ta_err e = connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, err, errlen);
    if (e != TA_OK)
        return e;
    e = TA_ERR_DB;
    if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 " PRAGMA journal_size_limit=" TA__DB_WAL_LIMIT ";") != TA_OK ||
        exec(db, "BEGIN IMMEDIATE") != TA_OK) {
        snprintf(err, errlen, "%s: %s", path, db->msg);
        goto out_close;
    }
    bool had_counts = ta__db_table_state(db->db, "intel_source_rows") > 0;
    if (exec(db, schema_sql) != TA_OK ||
        (!had_counts &&
         exec(db, "INSERT INTO intel_source_rows(source, rows)"
                  " SELECT source, count(*) FROM intel_indicator GROUP BY source") != TA_OK)) {
        snprintf(err, errlen, "%s: %s", path, db->msg);
        goto out_rollback;
    }
    int have = schema_have(db);
    if ((e = schema_newer(path, have, err, errlen)) != TA_OK)
        goto out_rollback;
    e = TA_ERR_DB;
    if (schema_update(db, have) != TA_OK) {
        snprintf(err, errlen, "%s: migrating the intel schema: %s", path, db->msg);
        goto out_rollback;
    }
    if (exec(db, "COMMIT") != TA_OK) {
        snprintf(err, errlen, "%s: %s", path, db->msg);
        goto out_rollback;
    }
    *out = db;
    return TA_OK;
out_rollback:
    exec(db, "ROLLBACK");
out_close:
    sqlite3_close(db->db);
    free(db);
    return e;
}

ta_err ta_intel_db_open_readonly(const char *path, struct ta_intel_db **out, char *err,
                                 size_t errlen)
{
    *out = NULL;
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "%s: no such database", path);
        return TA_ERR_NOTFOUND;
    }
    if (ta__db_file_truncated(path)) {
        snprintf(err, errlen, "%s: the database is truncated (shorter than its header says)", path);
        return TA_ERR_FORMAT;
    }
    struct ta_intel_db *db;
    ta_err e = connect(path, SQLITE_OPEN_READONLY, &db, err, errlen);
    if (e != TA_OK)
        return e;
    e = TA_ERR_FORMAT;
    int meta = ta__db_table_state(db->db, "meta");
    if (meta < 0) {
        snprintf(err, errlen, "%s: not a threatatlas database or unreadable (%s)", path,
                 sqlite3_errmsg(db->db));
        goto out_close;
    }
    if (meta == 0) {
        snprintf(err, errlen, "%s: not a threatatlas database", path);
        goto out_close;
    }
    if (ta__db_table_state(db->db, "intel_indicator") != 1) {
        snprintf(err, errlen, "%s: holds no indicators (nothing was imported into it)", path);
        goto out_close;
    }
    if ((e = schema_newer(path, schema_have(db), err, errlen)) != TA_OK)
        goto out_close;
    *out = db;
    return TA_OK;
out_close:
    sqlite3_close(db->db);
    free(db);
    return e;
}

void ta_intel_db_close(struct ta_intel_db *db)
{
    if (db == NULL)
        return;
    sqlite3_finalize(db->upsert);
    sqlite3_finalize(db->insert);
    sqlite3_close(db->db);
    free(db);
}

/* ---- import ------------------------------------------------------------- */

/* Folders read inside a feed directory, at most this deep. */
#define IMPORT_MAX_DEPTH 16

struct import {
    struct ta_intel_db *db;
    int64_t import_id;
    struct ta_intel_load_result *res;
    /* replace: every listed row is stamped with this import (see touch_sql) */
    sqlite3_stmt *touch;
    /* New rows per source, added to intel_source_rows at the end; past
     * IMPORT_MAX_SOURCES distinct sources every source is counted instead. */
    struct src_delta {
        char *source;
        uint64_t n;
    } * delta;
    size_t ndelta;
    bool recount;
    /* The folders being read, outermost first: a link back to one of them is not followed. */
    struct {
        dev_t dev;
        ino_t ino;
    } open_dirs[IMPORT_MAX_DEPTH + 1];
};
#define IMPORT_MAX_SOURCES 64

static void delta_add(struct import *im, const char *source)
{
    if (im->recount)
        return;
    for (size_t i = im->ndelta; i-- > 0;)
        if (strcmp(im->delta[i].source, source) == 0) {
            im->delta[i].n++;
            return;
        }
    if (im->delta == NULL)
        im->delta = calloc(IMPORT_MAX_SOURCES, sizeof(*im->delta));
    char *c = im->delta != NULL && im->ndelta < IMPORT_MAX_SOURCES ? strdup(source) : NULL;
    if (c == NULL) {
        im->recount = true;
        return;
    }
    im->delta[im->ndelta++] = (struct src_delta){c, 1};
}

static void delta_free(struct import *im)
{
    for (size_t i = 0; i < im->ndelta; i++)
        free(im->delta[i].source);
    free(im->delta);
    im->delta = NULL;
    im->ndelta = 0;
}

/* Bring intel_source_rows up to date with this import's new rows. */
static ta_err delta_apply(struct import *im)
{
    struct ta_intel_db *db = im->db;
    if (im->recount || !source_rows_current(db))
        return source_rows_recount(db);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db,
                           "INSERT INTO intel_source_rows(source, rows) VALUES(?1, ?2)"
                           " ON CONFLICT(source) DO UPDATE SET rows = rows + ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    ta_err e = TA_OK;
    for (size_t i = 0; i < im->ndelta && e == TA_OK; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, im->delta[i].source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)im->delta[i].n);
        if (sqlite3_step(st) != SQLITE_DONE)
            e = fail(db);
    }
    sqlite3_finalize(st);
    return e;
}

static int64_t secs(ta_time_us t)
{
    return (int64_t)(t / 1000000u);
}

static void bind_ind(sqlite3_stmt *st, const struct ta_intel_indicator *ind, int64_t import_id)
{
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, (int)ind->type);
    sqlite3_bind_text(st, 2, ind->value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ind->source, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)ind->kind);
    sqlite3_bind_int(st, 5, ind->confidence);
    sqlite3_bind_int(st, 6, ind->exact ? 1 : 0);
    sqlite3_bind_text(st, 7, ind->family != NULL ? ind->family : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ind->brand != NULL ? ind->brand : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ind->country != NULL ? ind->country : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, secs(ind->first_seen));
    sqlite3_bind_int64(st, 11, secs(ind->last_seen));
    sqlite3_bind_int64(st, 12, secs(ind->valid_until));
    sqlite3_bind_int64(st, 13, import_id);
}

/* Insert a new row, or else update an existing one only if the data changed:
 * the two statements tell "new" from "updated" from "unchanged". */
static ta_err upsert_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct import *im = user;
    bind_ind(im->db->insert, ind, im->import_id);
    if (sqlite3_step(im->db->insert) != SQLITE_DONE)
        return fail(im->db);
    if (sqlite3_changes(im->db->db) > 0) {
        im->res->inserted++;
        delta_add(im, ind->source != NULL ? ind->source : "");
        return TA_OK;
    }
    bind_ind(im->db->upsert, ind, im->import_id);
    if (sqlite3_step(im->db->upsert) != SQLITE_DONE)
        return fail(im->db);
    if (sqlite3_changes(im->db->db) > 0)
        im->res->updated++;
    if (im->touch != NULL) {
        bind_ind(im->touch, ind, im->import_id);
        if (sqlite3_step(im->touch) != SQLITE_DONE)
            return fail(im->db);
    }
    return TA_OK;
}

static void add_counts(struct ta_intel_load_result *t, const struct ta_intel_load_result *r)
{
    t->accepted += r->accepted;
    t->rejected += r->rejected;
    t->unsupported += r->unsupported;
    t->skipped += r->skipped;
    t->reserved += r->reserved;
    t->inserted += r->inserted;
    t->updated += r->updated;
    t->files += r->files;
    t->files_skipped += r->files_skipped;
    for (int k = 0; k < TA_INTEL_KIND__COUNT; k++)
        t->by_kind[k] += r->by_kind[k];
}

static ta_err record_rejects(struct import *im, const char *file,
                             const struct ta_intel_load_result *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(im->db->db,
                           "INSERT INTO intel_reject(import_id, file, line, reason) "
                           "VALUES(?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(im->db);
    for (size_t i = 0; i < r->nshown; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, im->import_id);
        sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)r->shown[i].line);
        sqlite3_bind_text(st, 4, r->shown[i].reason, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return fail(im->db);
        }
    }
    sqlite3_finalize(st);
    return TA_OK;
}

/* Parse one buffer inside the open transaction. */
static ta_err import_one(struct import *im, const char *name, const uint8_t *buf, size_t len,
                         const struct ta_intel_load_opts *opts, struct ta_intel_load_result *r)
{
    struct ta_intel_load_opts o = *opts;
    o.file_name = name;
    struct ta_intel_load_result *saved = im->res;
    im->res = r;
    ta_err e = ta_intel_parse(buf, len, &o, upsert_cb, im, r);
    im->res = saved;
    r->files = 1;
    if (opts->on_file != NULL) {
        struct ta_intel_file_report rep = {name, r->list,
                                           r->skip_reason != NULL ? r->skip_reason : "", r};
        opts->on_file(opts->on_file_user, &rep);
    }
    for (size_t i = 0; i < r->nshown; i++)
        snprintf(r->shown[i].file, sizeof(r->shown[i].file), "%s", name);
    for (size_t i = 0; i < r->nunsup_shown; i++)
        snprintf(r->unsup_shown[i].file, sizeof(r->unsup_shown[i].file), "%s", name);
    if (e == TA_OK || e == TA_ERR_FORMAT) {
        ta_err e2 = record_rejects(im, name, r);
        if (e2 != TA_OK)
            return e2;
    }
    return e;
}

/*
 * Feeds are read whole, as published: plain, gzip (".csv.gz") or a zip
 * archive holding the feed (URLhaus "csv.zip": its first file). A
 * decompressed feed larger than this is refused (TA_ERR_LIMIT): a bomb, or
 * not a feed.
 */
#define FEED_MAX ((size_t)1 << 30)

/* Room in *b (capacity *cap) past the n bytes used, doubling up to FEED_MAX. */
static ta_err grow_buf(uint8_t **b, size_t *cap, size_t n)
{
    if (n < *cap)
        return TA_OK;
    if (*cap >= FEED_MAX)
        return TA_ERR_LIMIT;
    size_t nc = *cap * 2 > FEED_MAX ? FEED_MAX : *cap * 2;
    uint8_t *nb = realloc(*b, nc);
    if (nb == NULL)
        return TA_ERR_NOMEM;
    *b = nb;
    *cap = nc;
    return TA_OK;
}

/* The first file of a zip archive. */
static ta_err read_zip(const char *path, uint8_t **buf, size_t *len)
{
    unzFile z = unzOpen64(path);
    if (z == NULL)
        return TA_ERR_FORMAT;
    ta_err e = TA_OK;
    uint8_t *b = NULL;
    size_t cap = 65536, n = 0;
    if (unzGoToFirstFile(z) != UNZ_OK || unzOpenCurrentFile(z) != UNZ_OK) {
        e = TA_ERR_FORMAT;
        goto out_close;
    }
    b = malloc(cap);
    if (b == NULL) {
        e = TA_ERR_NOMEM;
        goto out_file;
    }
    for (;;) {
        if ((e = grow_buf(&b, &cap, n)) != TA_OK)
            goto out_file;
        size_t want = cap - n > 1u << 20 ? 1u << 20 : cap - n;
        int r = unzReadCurrentFile(z, b + n, (unsigned)want);
        if (r < 0) {
            e = TA_ERR_FORMAT;
            goto out_file;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
out_file:
    /* A CRC mismatch shows here, after the last byte. */
    if (unzCloseCurrentFile(z) != UNZ_OK && e == TA_OK)
        e = TA_ERR_FORMAT;
out_close:
    unzClose(z);
    if (e != TA_OK) {
        free(b);
        return e;
    }
    *buf = b;
    *len = n;
    return TA_OK;
}

static ta_err read_file(const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TA_ERR_NOTFOUND : TA_ERR_IO;
    uint8_t magic[4] = {0};
    ssize_t m = read(fd, magic, sizeof(magic));
    if (m == 4 && memcmp(magic, "PK\x03\x04", 4) == 0) {
        close(fd);
        return read_zip(path, buf, len);
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return TA_ERR_IO;
    }
    /* gzread passes a file that is not gzip through unchanged. */
    gzFile g = gzdopen(fd, "rb");
    if (g == NULL) {
        close(fd);
        return TA_ERR_NOMEM;
    }
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    ta_err e = b == NULL ? TA_ERR_NOMEM : TA_OK;
    while (e == TA_OK) {
        if ((e = grow_buf(&b, &cap, n)) != TA_OK)
            break;
        size_t want = cap - n > 1u << 20 ? 1u << 20 : cap - n;
        int r = gzread(g, b + n, (unsigned)want);
        if (r < 0) {
            int ze;
            gzerror(g, &ze);
            e = ze == Z_ERRNO ? TA_ERR_IO : TA_ERR_FORMAT;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(g);
    if (e != TA_OK) {
        free(b);
        return e;
    }
    *buf = b;
    *len = n;
    return TA_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Import path (file or directory). top: a file where nothing parses is an error. */
/* Inside a directory, an entry that is neither a file nor a folder to read is skipped and
 * reported, not fatal: a FIFO would block the read forever, a dangling link or a loop of
 * links has nothing to read, and one such entry must not stop a tree of feeds. */
static void skip_entry(struct import *im, const char *path, const char *why,
                       const struct ta_intel_load_opts *opts)
{
    im->res->files_skipped++;
    if (opts->on_file != NULL) {
        struct ta_intel_load_result r;
        memset(&r, 0, sizeof(r));
        r.files_skipped = 1;
        r.skip_reason = why;
        struct ta_intel_file_report rep = {path, "", why, &r};
        opts->on_file(opts->on_file_user, &rep);
    }
}

static ta_err import_path(struct import *im, const char *path,
                          const struct ta_intel_load_opts *opts, bool top, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        /* Only what has nothing to read is skipped; any other failure fails the import, which
         * then stores nothing. */
        if (top || (errno != ENOENT && errno != ELOOP))
            return errno == ENOENT ? TA_ERR_NOTFOUND : TA_ERR_IO;
        skip_entry(im, path, errno == ENOENT ? "a link to nothing" : "a loop of links", opts);
        return TA_OK;
    }
    if (!top && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        skip_entry(im, path, "not a regular file", opts);
        return TA_OK;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth > IMPORT_MAX_DEPTH) {
            skip_entry(im, path, "folders nested too deep", opts);
            return TA_OK;
        }
        for (int i = 0; i < depth; i++)
            if (im->open_dirs[i].dev == st.st_dev && im->open_dirs[i].ino == st.st_ino) {
                skip_entry(im, path, "a link back to a folder being read", opts);
                return TA_OK;
            }
        im->open_dirs[depth].dev = st.st_dev;
        im->open_dirs[depth].ino = st.st_ino;
        DIR *d = opendir(path);
        if (d == NULL)
            return TA_ERR_IO;
        char **names = NULL;
        size_t n = 0, cap = 0;
        ta_err e = TA_OK;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            size_t nl = strlen(path) + strlen(de->d_name) + 2;
            /* License, readme and manifest files sit beside feeds; they are not feeds. */
            if (strstr(de->d_name, "LICENSE") != NULL || strstr(de->d_name, "README") != NULL ||
                strstr(de->d_name, "MANIFEST") != NULL ||
                strstr(de->d_name, "PROVENANCE") != NULL ||
                strstr(de->d_name, ".license") != NULL || strcmp(de->d_name, "schema.json") == 0 ||
                strcmp(de->d_name, "package.json") == 0 ||
                /* Suricata iprep's category names: read with the lists. */
                strcmp(de->d_name, "categories.txt") == 0)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                char **nn = realloc(names, nc * sizeof(*nn));
                if (nn == NULL) {
                    e = TA_ERR_NOMEM;
                    break;
                }
                names = nn;
                cap = nc;
            }
            names[n] = malloc(nl);
            if (names[n] == NULL) {
                e = TA_ERR_NOMEM;
                break;
            }
            snprintf(names[n], nl, "%s/%s", path, de->d_name);
            n++;
        }
        closedir(d);
        if (e == TA_OK && n > 1)
            qsort(names, n, sizeof(*names), name_cmp);
        for (size_t i = 0; i < n && e == TA_OK; i++)
            e = import_path(im, names[i], opts, false, depth + 1);
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return e;
    }
    uint8_t *buf;
    size_t len;
    ta_err e = read_file(path, &buf, &len);
    if (e != TA_OK)
        return e;
    /* An iprep list's categories sit beside it in categories.txt. */
    struct ta_intel_load_opts o = *opts;
    char *cats = NULL;
    enum ta_intel_format f = o.format != TA_INTEL_FMT_AUTO
                                 ? o.format
                                 : ta_intel_format_detect(buf, len, path, o.have_kind);
    if (f == TA_INTEL_FMT_IPREP && o.iprep_categories == NULL) {
        const char *sl = strrchr(path, '/');
        size_t dl = sl != NULL ? (size_t)(sl - path) + 1 : 0;
        char cp[4096];
        uint8_t *cb;
        size_t cl;
        if (dl + sizeof("categories.txt") <= sizeof(cp)) {
            memcpy(cp, path, dl);
            memcpy(cp + dl, "categories.txt", sizeof("categories.txt"));
            /* A categories file is a few dozen lines; each indicator looks
             * its category up in it, so a large one is not taken. */
            if (read_file(cp, &cb, &cl) == TA_OK) {
                cats = cl <= 65536 ? malloc(cl + 1) : NULL;
                if (cats != NULL) {
                    memcpy(cats, cb, cl);
                    cats[cl] = '\0';
                    o.iprep_categories = cats;
                }
                free(cb);
            }
        }
    }
    struct ta_intel_load_result r;
    e = import_one(im, path, buf, len, &o, &r);
    free(cats);
    free(buf);
    if (im->res->format == TA_INTEL_FMT_AUTO)
        im->res->format = r.format;
    else if (im->res->format != r.format)
        im->res->format = TA_INTEL_FMT__COUNT; /* mixed */
    if (!top && (e == TA_ERR_FORMAT || e == TA_ERR_ARG)) {
        /* Inside a directory a file of unknown format is counted, not fatal. */
        im->res->rejected++;
        if (im->res->nshown < TA_INTEL_MAX_REJECT_SHOWN) {
            struct ta_intel_reject *rj = &im->res->shown[im->res->nshown++];
            rj->line = 0;
            snprintf(rj->file, sizeof(rj->file), "%s", path);
            snprintf(rj->reason, sizeof(rj->reason), "nothing parsed (format %s)",
                     ta_intel_format_name(r.format));
        }
        return TA_OK;
    }
    add_counts(im->res, &r);
    for (size_t i = 0; i < r.nshown && im->res->nshown < TA_INTEL_MAX_REJECT_SHOWN; i++)
        im->res->shown[im->res->nshown++] = r.shown[i];
    for (size_t i = 0; i < r.nunsup_shown && im->res->nunsup_shown < TA_INTEL_MAX_REJECT_SHOWN; i++)
        im->res->unsup_shown[im->res->nunsup_shown++] = r.unsup_shown[i];
    return e;
}

static ta_err begin_import(struct ta_intel_db *db, struct import *im, const char *file,
                           struct ta_intel_load_result *res)
{
    memset(res, 0, sizeof(*res));
    im->db = db;
    im->res = res;
    im->touch = NULL;
    im->delta = NULL;
    im->ndelta = 0;
    im->recount = false;
    if (db->upsert == NULL &&
        sqlite3_prepare_v2(db->db, upsert_sql, -1, &db->upsert, NULL) != SQLITE_OK)
        return fail(db);
    if (db->insert == NULL &&
        sqlite3_prepare_v2(db->db, insert_sql, -1, &db->insert, NULL) != SQLITE_OK)
        return fail(db);
    ta_err e = exec(db, "BEGIN IMMEDIATE");
    if (e != TA_OK)
        return e;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, "INSERT INTO intel_import(at, file, format) VALUES(?, ?, '')",
                           -1, &st, NULL) != SQLITE_OK) {
        e = fail(db);
        exec(db, "ROLLBACK");
        return e;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        e = fail(db);
        sqlite3_finalize(st);
        exec(db, "ROLLBACK");
        return e;
    }
    sqlite3_finalize(st);
    im->import_id = sqlite3_last_insert_rowid(db->db);
    return TA_OK;
}

static ta_err end_import(struct import *im, ta_err e)
{
    struct ta_intel_db *db = im->db;
    if (e == TA_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->db,
                               "UPDATE intel_import SET format=?, accepted=?, rejected=?,"
                               " unsupported=?, inserted=?, updated=? WHERE id=?",
                               -1, &st, NULL) != SQLITE_OK) {
            e = fail(db);
        } else {
            const struct ta_intel_load_result *r = im->res;
            sqlite3_bind_text(
                st, 1, r->format < TA_INTEL_FMT__COUNT ? ta_intel_format_name(r->format) : "mixed",
                -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)r->accepted);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)r->rejected);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)r->unsupported);
            sqlite3_bind_int64(st, 5, (sqlite3_int64)r->inserted);
            sqlite3_bind_int64(st, 6, (sqlite3_int64)r->updated);
            sqlite3_bind_int64(st, 7, im->import_id);
            if (sqlite3_step(st) != SQLITE_DONE)
                e = fail(db);
            sqlite3_finalize(st);
        }
    }
    if (e == TA_OK)
        e = delta_apply(im);
    delta_free(im);
    return finish(db, e);
}

ta_err ta_intel_db_import_path(struct ta_intel_db *db, const char *path,
                               const struct ta_intel_load_opts *opts,
                               struct ta_intel_load_result *res)
{
    struct import im;
    ta_err e = begin_import(db, &im, path, res);
    if (e != TA_OK)
        return e;
    e = import_path(&im, path, opts, true, 0);
    if (e == TA_OK && res->accepted == 0 && res->rejected > 0)
        e = TA_ERR_FORMAT;
    return end_import(&im, e);
}

ta_err ta_intel_db_import_buffer(struct ta_intel_db *db, const char *name, const uint8_t *buf,
                                 size_t len, const struct ta_intel_load_opts *opts,
                                 struct ta_intel_load_result *res)
{
    struct import im;
    ta_err e = begin_import(db, &im, name, res);
    if (e != TA_OK)
        return e;
    struct ta_intel_load_result r;
    e = import_one(&im, name, buf, len, opts, &r);
    ta_err keep = e;
    memcpy(res, &r, sizeof(r));
    im.res = res;
    return end_import(&im, keep);
}

ta_err ta_intel_db_insert(struct ta_intel_db *db, const struct ta_intel_indicator *inds, size_t n,
                          struct ta_intel_load_result *res)
{
    struct import im;
    ta_err e = begin_import(db, &im, "(api)", res);
    if (e != TA_OK)
        return e;
    /* The caller chose these values (a generator, a test, the bench): no
     * feed's mistake to guard against, so private addresses are kept. */
    struct ta_intel_load_opts o = {.allow_private = true};
    struct ta__intel_sink s = {&o, upsert_cb, &im, res, TA_OK};
    for (size_t i = 0; i < n && s.err == TA_OK; i++) {
        const char *v = inds[i].value != NULL ? inds[i].value : "";
        ta__intel_add(&s, i + 1, v, strlen(v), inds[i].type, &inds[i]);
    }
    res->format = TA_INTEL_FMT_PLAIN;
    return end_import(&im, s.err);
}

/* ---- replacing a fetched source ------------------------------------------ */

/*
 * A row listed by the new download: it belongs to this import, and the
 * download is the source's word on its validity now, so an end an earlier
 * fetch gave it (it had left the feed) is replaced by what the feed says.
 * first_seen 1 marks an undated row a fetch expired (see expire_sql); listed
 * again it is undated again.
 */
static const char *const touch_sql =
    "UPDATE intel_indicator SET import_id = ?13, valid_until = ?12,"
    " first_seen = CASE WHEN first_seen = 1 AND ?10 = 0 THEN 0 ELSE first_seen END"
    " WHERE type = ?1 AND value = ?2 AND source = ?3 AND kind = ?4";

/*
 * Rows of the source the download no longer lists end now: their validity
 * stops at ?3, so a report of the past still counts them and traffic after
 * does not match. An undated row matches at any time whatever its end, so
 * it becomes dated from the beginning of time (first_seen 1 s) to now.
 * Rows already ended before now keep their end.
 */
static const char *const expire_sql =
    "UPDATE intel_indicator SET valid_until = ?3,"
    " first_seen = CASE WHEN first_seen = 0 THEN 1 ELSE first_seen END"
    " WHERE source = ?1 AND import_id <> ?2 AND (valid_until = 0 OR valid_until > ?3)";

ta_err ta_intel_db_replace_source(struct ta_intel_db *db, const char *name, const uint8_t *buf,
                                  size_t len, const struct ta_intel_load_opts *opts,
                                  const struct ta_intel_fetch_state *fs, ta_time_us now,
                                  struct ta_intel_load_result *res, uint64_t *expired)
{
    *expired = 0;
    if (opts->source == NULL || opts->source[0] == '\0') {
        snprintf(db->msg, sizeof(db->msg), "replacing a source needs its name");
        return TA_ERR_ARG;
    }
    struct import im;
    ta_err e = begin_import(db, &im, name, res);
    if (e != TA_OK)
        return e;
    if (sqlite3_prepare_v2(db->db, touch_sql, -1, &im.touch, NULL) != SQLITE_OK) {
        e = fail(db);
        goto done;
    }
    struct ta_intel_load_result r;
    e = import_one(&im, name, buf, len, opts, &r);
    memcpy(res, &r, sizeof(r));
    im.res = res;
    if (e == TA_OK && res->accepted == 0) {
        /* An empty download is a provider's failure, not an empty list. */
        snprintf(db->msg, sizeof(db->msg), "no indicator accepted");
        e = TA_ERR_FORMAT;
    }
    if (e != TA_OK)
        goto done;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, expire_sql, -1, &st, NULL) != SQLITE_OK) {
        e = fail(db);
        goto done;
    }
    sqlite3_bind_text(st, 1, opts->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, im.import_id);
    sqlite3_bind_int64(st, 3, secs(now));
    if (sqlite3_step(st) != SQLITE_DONE)
        e = fail(db);
    else
        *expired = (uint64_t)sqlite3_changes(db->db);
    sqlite3_finalize(st);
    if (e == TA_OK && fs != NULL)
        e = ta_intel_db_fetch_state_set(db, opts->source, fs, now, true);
done:
    sqlite3_finalize(im.touch);
    im.touch = NULL;
    return end_import(&im, e);
}

ta_err ta_intel_db_fetch_state_get(struct ta_intel_db *db, const char *source,
                                   struct ta_intel_fetch_state *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT url, etag, last_modified, fetched, changed FROM intel_fetch"
                           " WHERE source = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t;
        t = sqlite3_column_text(st, 0);
        snprintf(out->url, sizeof(out->url), "%s", t != NULL ? (const char *)t : "");
        t = sqlite3_column_text(st, 1);
        snprintf(out->etag, sizeof(out->etag), "%s", t != NULL ? (const char *)t : "");
        t = sqlite3_column_text(st, 2);
        snprintf(out->last_modified, sizeof(out->last_modified), "%s",
                 t != NULL ? (const char *)t : "");
        out->fetched = (ta_time_us)sqlite3_column_int64(st, 3) * 1000000ull;
        out->changed = (ta_time_us)sqlite3_column_int64(st, 4) * 1000000ull;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TA_OK : fail(db);
}

ta_err ta_intel_db_fetch_state_set(struct ta_intel_db *db, const char *source,
                                   const struct ta_intel_fetch_state *fs, ta_time_us now,
                                   bool changed)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db,
                           "INSERT INTO intel_fetch(source, url, etag, last_modified, fetched,"
                           " changed) VALUES(?1, ?2, ?3, ?4, ?5, ?5)"
                           " ON CONFLICT(source) DO UPDATE SET url = ?2, etag = ?3,"
                           " last_modified = ?4, fetched = ?5,"
                           " changed = CASE WHEN ?6 THEN ?5 ELSE changed END",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fs->url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fs->etag, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, fs->last_modified, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, secs(now));
    sqlite3_bind_int(st, 6, changed ? 1 : 0);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TA_OK : fail(db);
}

/* ---- queries -------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

ta_err ta_intel_db_list(struct ta_intel_db *db, const struct ta_intel_filter *filter,
                        ta_intel_emit_fn fn, void *user)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT type, value, source, kind, confidence, exact, family, brand,"
                      " country, first_seen, last_seen, valid_until FROM intel_indicator"
                      " WHERE (?1 < 0 OR kind = ?1) AND (?2 IS NULL OR source = ?2)"
                      " AND (?3 < 0 OR type = ?3) ORDER BY type, value, source, kind";
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    sqlite3_bind_int(st, 1, filter != NULL && filter->have_kind ? (int)filter->kind : -1);
    if (filter != NULL && filter->source != NULL)
        sqlite3_bind_text(st, 2, filter->source, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, filter != NULL && filter->have_type ? (int)filter->type : -1);
    ta_err e = TA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ta_intel_indicator ind = {
            .type = (enum ta_intel_type)sqlite3_column_int(st, 0),
            .value = col_text(st, 1),
            .source = col_text(st, 2),
            .kind = (enum ta_intel_kind)sqlite3_column_int(st, 3),
            .confidence = (uint8_t)sqlite3_column_int(st, 4),
            .exact = sqlite3_column_int(st, 5) != 0,
            .family = col_text(st, 6),
            .brand = col_text(st, 7),
            .country = col_text(st, 8),
            .first_seen = (ta_time_us)sqlite3_column_int64(st, 9) * 1000000ull,
            .last_seen = (ta_time_us)sqlite3_column_int64(st, 10) * 1000000ull,
            .valid_until = (ta_time_us)sqlite3_column_int64(st, 11) * 1000000ull,
        };
        if ((unsigned)ind.type >= TA_INTEL_TYPE__COUNT ||
            (unsigned)ind.kind >= TA_INTEL_KIND__COUNT)
            continue;
        e = fn(user, &ind);
        if (e != TA_OK)
            break;
    }
    if (e == TA_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = fail(db);
    sqlite3_finalize(st);
    return e;
}

static ta_err count_query(struct ta_intel_db *db, const char *sql, const char *what,
                          bool name_is_kind, bool name_is_type, ta_intel_count_fn fn, void *user)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = col_text(st, 0);
        if (name_is_kind)
            name = ta_intel_kind_name((enum ta_intel_kind)sqlite3_column_int(st, 0));
        if (name_is_type)
            name = ta_intel_type_name((enum ta_intel_type)sqlite3_column_int(st, 0));
        fn(user, what, name, (uint64_t)sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    return TA_OK;
}

static const char source_count_sql[] =
    "SELECT source, count(*) FROM intel_indicator GROUP BY source ORDER BY source";

ta_err ta_intel_db_source_counts(struct ta_intel_db *db, ta_intel_count_fn counts, void *user)
{
    return count_query(db,
                       source_rows_current(db)
                           ? "SELECT source, rows FROM intel_source_rows ORDER BY source"
                           : source_count_sql,
                       "source", false, false, counts, user);
}

ta_err ta_intel_db_stats(struct ta_intel_db *db, ta_intel_count_fn counts, ta_intel_run_fn runs,
                         void *user)
{
    ta_err e;
    if (counts != NULL) {
        if ((e = count_query(db, "SELECT 'rows', count(*) FROM intel_indicator", "total", false,
                             false, counts, user)) != TA_OK ||
            (e = count_query(db,
                             "SELECT 'values', count(*) FROM (SELECT DISTINCT type, value FROM "
                             "intel_indicator)",
                             "total", false, false, counts, user)) != TA_OK ||
            (e = count_query(db, source_count_sql, "source", false, false, counts, user)) !=
                TA_OK ||
            (e = count_query(db,
                             "SELECT kind, count(*) FROM intel_indicator GROUP BY kind "
                             "ORDER BY kind",
                             "kind", true, false, counts, user)) != TA_OK ||
            (e = count_query(db,
                             "SELECT type, count(*) FROM intel_indicator GROUP BY type "
                             "ORDER BY type",
                             "type", false, true, counts, user)) != TA_OK)
            return e;
    }
    if (runs != NULL) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db->db,
                               "SELECT id, at, file, format, accepted, rejected, unsupported,"
                               " inserted, updated FROM intel_import ORDER BY id",
                               -1, &st, NULL) != SQLITE_OK)
            return fail(db);
        while (sqlite3_step(st) == SQLITE_ROW) {
            struct ta_intel_import_run r = {
                .id = sqlite3_column_int64(st, 0),
                .at = (ta_time_us)sqlite3_column_int64(st, 1) * 1000000ull,
                .file = col_text(st, 2),
                .format = col_text(st, 3),
                .accepted = (uint64_t)sqlite3_column_int64(st, 4),
                .rejected = (uint64_t)sqlite3_column_int64(st, 5),
                .unsupported = (uint64_t)sqlite3_column_int64(st, 6),
                .inserted = (uint64_t)sqlite3_column_int64(st, 7),
                .updated = (uint64_t)sqlite3_column_int64(st, 8),
            };
            runs(user, &r);
        }
        sqlite3_finalize(st);
    }
    return TA_OK;
}

ta_err ta_intel_db_expire(struct ta_intel_db *db, ta_time_us before, uint64_t *deleted)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db,
                           "DELETE FROM intel_indicator WHERE CASE WHEN valid_until > 0 THEN "
                           "valid_until ELSE last_seen END BETWEEN 1 AND ? - 1",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db);
    sqlite3_bind_int64(st, 1, secs(before));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(db);
    *deleted = (uint64_t)sqlite3_changes(db->db);
    if (*deleted == 0)
        return TA_OK;
    ta_err e = source_rows_recount(db);
    return e == TA_OK ? bump_version(db) : e;
}

ta_err ta_intel_db_remove(struct ta_intel_db *db, const struct ta_intel_filter *filter,
                          uint64_t *deleted)
{
    *deleted = 0;
    if (filter == NULL || filter->source == NULL || filter->source[0] == '\0') {
        snprintf(db->msg, sizeof(db->msg), "removing indicators needs their source");
        return TA_ERR_ARG;
    }
    ta_err e = exec(db, "BEGIN IMMEDIATE");
    if (e != TA_OK)
        return e;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db,
                           "DELETE FROM intel_indicator WHERE source = ?1"
                           " AND (?2 < 0 OR kind = ?2) AND (?3 < 0 OR type = ?3)",
                           -1, &st, NULL) != SQLITE_OK) {
        e = fail(db);
    } else {
        sqlite3_bind_text(st, 1, filter->source, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, filter->have_kind ? (int)filter->kind : -1);
        sqlite3_bind_int(st, 3, filter->have_type ? (int)filter->type : -1);
        if (sqlite3_step(st) != SQLITE_DONE)
            e = fail(db);
        else
            *deleted = (uint64_t)sqlite3_changes(db->db);
        sqlite3_finalize(st);
    }
    if (e == TA_OK && *deleted > 0)
        e = source_rows_recount(db);
    e = *deleted > 0 || e != TA_OK ? finish(db, e) : exec(db, "COMMIT");
    if (e != TA_OK)
        *deleted = 0;
    return e;
}

sqlite3 *ta__intel_db_handle(struct ta_intel_db *db)
{
    return db->db;
}
