/*
 * Store (stage 7): the SQLite database, its schema, event identity and the
 * analysis runs. See include/threatatlas/store.h for the contract, the
 * identity rule and the crash-safety design; each batch's rollups are
 * written with the batch in flush_rollups(), and a run's contribution is
 * subtracted in delete_run().
 */
#include "store/store-int.h"
#include "common/dbfile.h"
#include "store/store-kset.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/banned.h"

enum { SET_ATTACKER = 0, SET_VICTIM, SET_ITEM, SET_VICTIM_EST, SET_ATTACKER_DATED, SET__COUNT };

/*
 * The distinct sets: table suffix, member column, its type, the event
 * column it comes from and which events enter it (besides not being
 * suppressed). mem_record() applies the same conditions in C.
 */
static const struct {
    const char *table, *col, *type, *expr, *cond;
} sets[SET__COUNT] = {
    [SET_ATTACKER] = {"attacker", "ip", "BLOB", "a_ip", "a_ip IS NOT NULL"},
    [SET_VICTIM] = {"victim", "ip", "BLOB", "v_ip", "v_ip IS NOT NULL AND kind IN (0, 1, 6)"},
    [SET_ITEM] = {"item", "item", "TEXT", "item", "item IS NOT NULL"},
    [SET_VICTIM_EST] = {"victim_est", "ip", "BLOB", "v_ip",
                        "v_ip IS NOT NULL AND kind IN (0, 1) AND established"},
    [SET_ATTACKER_DATED] = {"attacker_dated", "ip", "BLOB", "a_ip",
                            "a_ip IS NOT NULL AND kind IN (0, 1) AND NOT undated"},
};

enum {
    ST_LOOKUP = 0,
    ST_SIGHT,
    ST_NRUNS,
    ST_DAY0,
    ST_SPAN0 = ST_DAY0 + SET__COUNT,
    ST_SPANGET0 = ST_SPAN0 + SET__COUNT,
    ST_DAYS0 = ST_SPANGET0 + SET__COUNT,
    ST_SHAPE0 = ST_DAYS0 + SET__COUNT,
    ST_SHAPEZ0 = ST_SHAPE0 + SET__COUNT,
    ST_COUNT = ST_SHAPEZ0 + SET__COUNT,
    ST_SUPP,
    ST_ZONE,
    ST_BUCKET,
    ST_DATAVER,
    ST__COUNT
};

/*
 * Identity keys known to be stored, for the time buckets loaded so far: a
 * new event whose key is absent needs no SQL lookup (most events of a run
 * are new). A bucket is loaded whole, with one index range scan, the first
 * time an event falls into it. Valid while no other connection writes
 * (the writer lock); checked with PRAGMA data_version at each batch.
 */
#define KC_BUCKETS  64
#define KC_MAX_KEYS ((size_t)1 << 21)
struct keycache {
    uint64_t *t; /* open addressing; 0 = empty (key 0 is never cached) */
    size_t cap, n;
    int64_t bucket[KC_BUCKETS];
    size_t nbuckets;
    int64_t data_version;
};

struct ta_store {
    struct ta__store_head head; /* ops NULL: this is the SQLite store */
    sqlite3 *db;
    bool has_tables;
    bool has_live;    /* store_run has the live columns (added on a writable open) */
    bool has_sources; /* store_run has the sources column (added on a writable open) */
    bool has_shapes;  /* store_shape_* exist (version 3 databases opened read-only: not) */
    bool readonly;
    /* The writer's transactions are savepoints inside a caller's transaction
     * (a merge), which commits or rolls back all of them at once. */
    bool nested;
    char errmsg[TA_STORE_ERRLEN];
    ta_time_us skew;
    /* Open run. */
    int64_t run_id; /* 0 = none */
    uint64_t seq;   /* next sequence number of a new event of the run */
    bool in_txn;
    unsigned batch;
    unsigned batch_max;
    ta_err sticky;
    ta_time_us ev_first, ev_last;
    uint64_t b_new, b_known; /* this batch's new and known events */
    sqlite3_stmt *ins_event;
    sqlite3_stmt *stmt[ST__COUNT];
    struct keycache kc;
    struct ta_store_stats stats;
    size_t memcap;
    /* The open batch's rollups: tuples (set, kind, cc, cc, day, member) ->
     * events; counters (kind, cc, cc, day) -> events, visits; supp (kind,
     * cc, cc, day, list) -> events; zones (kind, day) -> lowest, highest id. */
    struct ta__kset tuples, counters, supp, zones;
    /* Spans written by this run so far: (set, kind, cc, cc, member) -> first
     * day + 1, last day + 1. A batch whose days lie inside skips the span
     * upsert. Cleared with the key cache (another writer) and at its cap. */
    struct ta__kset spans;
    /* Events added but not yet inserted (copies; strings in pend_arena). */
    struct ta_event *pend;
    size_t npend;
    char *pend_arena;
    size_t pend_used;
};

/*
 * Events are inserted PEND_MAX at a time: between two events the packet
 * path evicts SQLite's code and B-tree pages from the CPU caches, so
 * inserting one event per callback costs about twice as much as inserting
 * a burst. Buffered events are not committed anyway until their batch is,
 * so crash safety is unchanged; a burst never crosses a batch boundary.
 */
#define PEND_MAX   256
#define PEND_ARENA ((size_t)256 << 10)
/* Items (pages, websites) are kept up to this many bytes. */
#define ITEM_MAX TA__STORE_ITEM_MAX

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    /* AUTOINCREMENT: a deleted run's id is never reused, since its id range
     * may still hold events other runs saw. */
    "CREATE TABLE IF NOT EXISTS store_run("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " digest TEXT NOT NULL UNIQUE,"
    " state INTEGER NOT NULL DEFAULT 0," /* 0 running or interrupted, 1 done */
    " home TEXT NOT NULL DEFAULT '',"
    " home_nets TEXT NOT NULL DEFAULT '',"
    " sensor TEXT NOT NULL DEFAULT '',"
    " intel_version TEXT NOT NULL DEFAULT '',"
    " geoip_version TEXT NOT NULL DEFAULT '',"
    " geoip_built INTEGER NOT NULL DEFAULT 0,"
    " ts_first INTEGER NOT NULL DEFAULT 0,"
    " ts_last INTEGER NOT NULL DEFAULT 0,"
    " n_new INTEGER NOT NULL DEFAULT 0,"
    " n_known INTEGER NOT NULL DEFAULT 0,"
    " started INTEGER NOT NULL DEFAULT 0," /* wall clock, informational */
    " finished INTEGER NOT NULL DEFAULT 0,"
    " pid INTEGER NOT NULL DEFAULT 0,"
    /* Live runs: the interface ('' for captures) and the wall clock of the
     * last commit. Databases from before live runs get them on open. */
    " live TEXT NOT NULL DEFAULT '',"
    " last_commit INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS store_input("
    " run_id INTEGER NOT NULL REFERENCES store_run(id),"
    " seq INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS store_input_sha ON store_input(sha256);"
    "CREATE TABLE IF NOT EXISTS store_event("
    " id INTEGER PRIMARY KEY,"
    " ikey INTEGER NOT NULL, fs INTEGER NOT NULL, nruns INTEGER NOT NULL DEFAULT 1,"
    " kind INTEGER NOT NULL, method INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, day INTEGER NOT NULL,"
    " flow_id INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " tx_index INTEGER NOT NULL DEFAULT 0, established INTEGER NOT NULL DEFAULT 0,"
    " undated INTEGER NOT NULL DEFAULT 0, suppressed_by TEXT,"
    " a_ip BLOB, a_port INTEGER, a_cc TEXT NOT NULL, a_asn INTEGER, a_as_name TEXT,"
    " a_home INTEGER,"
    " v_ip BLOB, v_port INTEGER, v_cc TEXT NOT NULL, v_asn INTEGER, v_as_name TEXT,"
    " v_home INTEGER,"
    " confidence INTEGER, signature TEXT, family TEXT, indicator TEXT,"
    " indicator_type TEXT, sources TEXT, hostname TEXT, url TEXT, dns_answer TEXT,"
    " body BLOB,"
    " item TEXT);" /* phishing: the page; backdoor: the website */
    /* The identity index: key (time bucket in the high bits) then flow start. */
    "CREATE INDEX IF NOT EXISTS store_event_ikey ON store_event(ikey, fs);"
    /* The runs that saw an event besides the one that stored it (whose id is
     * in the event's id). Keyed by event: an event's sensors are a range of
     * it. Deleting a run scans it (rare). */
    "CREATE TABLE IF NOT EXISTS store_sighting(event_id INTEGER NOT NULL,"
    " run_id INTEGER NOT NULL, PRIMARY KEY(event_id, run_id)) WITHOUT ROWID;"
    /* Where the events one run stored, of one kind and day, are: the lowest
     * and highest id (events are stored in capture order, so a day's ids
     * form a narrow range). Readers select events by kind and day through
     * it instead of an index on store_event. */
    "CREATE TABLE IF NOT EXISTS store_event_zone(kind INTEGER NOT NULL, day INTEGER NOT NULL,"
    " run_id INTEGER NOT NULL, id_lo INTEGER NOT NULL, id_hi INTEGER NOT NULL,"
    " PRIMARY KEY(kind, day, run_id)) WITHOUT ROWID;"
    /* Per-day counters: events, and visits (phishing kinds: one per event,
     * as the identity makes one event per flow). */
    "CREATE TABLE IF NOT EXISTS store_day_count(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, day INTEGER NOT NULL,"
    " events INTEGER NOT NULL DEFAULT 0, flows INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, src_cc, dst_cc, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_day_suppressed(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, list TEXT NOT NULL, day INTEGER NOT NULL,"
    " events INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, src_cc, dst_cc, list, day)) WITHOUT ROWID;";

/* The per-set tables: per-day members with reference counts, and spans.
 * The per-day rows are keyed day before member: a batch covers a day or
 * less, so its rows land at the end of each pair's range instead of on
 * every page of a table that grows with the members and days (each page a
 * commit touches is written to the WAL and again by the checkpoint). A
 * member's days are read by probing each day of its span. */
static ta_err exec(struct ta_store *st, const char *sql, const char *what);
static ta_err create_set_tables(struct ta_store *st)
{
    char sql[1536];
    for (int i = 0; i < SET__COUNT; i++) {
        snprintf(sql, sizeof(sql),
                 "CREATE TABLE IF NOT EXISTS store_day_%s(kind INTEGER NOT NULL,"
                 " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, %s %s NOT NULL,"
                 " day INTEGER NOT NULL, n INTEGER NOT NULL,"
                 " PRIMARY KEY(kind, src_cc, dst_cc, day, %s)) WITHOUT ROWID;"
                 "CREATE TABLE IF NOT EXISTS store_span_%s(kind INTEGER NOT NULL,"
                 " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, %s %s NOT NULL,"
                 " first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,"
                 " PRIMARY KEY(kind, src_cc, dst_cc, %s)) WITHOUT ROWID;"
                 "CREATE TABLE IF NOT EXISTS store_shape_%s(kind INTEGER NOT NULL,"
                 " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, gap INTEGER NOT NULL,"
                 " lo INTEGER NOT NULL, hi INTEGER NOT NULL, n INTEGER NOT NULL,"
                 " PRIMARY KEY(kind, src_cc, dst_cc, gap, lo, hi)) WITHOUT ROWID;",
                 sets[i].table, sets[i].col, sets[i].type, sets[i].col, sets[i].table, sets[i].col,
                 sets[i].type, sets[i].col, sets[i].table);
        ta_err err = exec(st, sql, "create schema");
        if (err)
            return err;
    }
    return TA_OK;
}

sqlite3 *ta__store_db(struct ta_store *st)
{
    return st->db;
}

bool ta__store_has_shapes(const struct ta_store *st)
{
    return st->has_shapes;
}

bool ta__store_has_tables(const struct ta_store *st)
{
    return st->has_tables;
}

const char *ta_store_errmsg(const struct ta_store *st)
{
    TA__STORE_FWD(st, errmsg, st);
    return st->errmsg;
}

ta_err ta__store_dberr(struct ta_store *st, const char *what)
{
    snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what, sqlite3_errmsg(st->db));
    return TA_ERR_DB;
}

static ta_err exec(struct ta_store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
                 msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return TA_ERR_DB;
    }
    return TA_OK;
}

/* A write transaction of a run (begin, batch, finish): a savepoint when nested. */
static ta_err txn_begin(struct ta_store *st, const char *what)
{
    return exec(st, st->nested ? "SAVEPOINT ta_write" : "BEGIN IMMEDIATE", what);
}

static ta_err txn_commit(struct ta_store *st, const char *what)
{
    return exec(st, st->nested ? "RELEASE ta_write" : "COMMIT", what);
}

static void txn_rollback(struct ta_store *st)
{
    sqlite3_exec(st->db, st->nested ? "ROLLBACK TO ta_write; RELEASE ta_write" : "ROLLBACK", NULL,
                 NULL, NULL);
}

void ta__store_set_nested(struct ta_store *st, bool on)
{
    st->nested = on;
}

static bool table_exists(sqlite3 *db, const char *name)
{
    return ta__db_table_state(db, name) == 1;
}

/* schema.store from meta, 0 if absent; -1 on error. */
static long schema_version(sqlite3 *db)
{
    int meta = ta__db_table_state(db, "meta");
    if (meta < 0)
        return -1;
    if (meta == 0)
        return 0;
    sqlite3_stmt *s = NULL;
    long v = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema.store'", -1, &s, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        char *end = NULL;
        v = t ? strtol(t, &end, 10) : 0;
        if (t == NULL || end == t || *end != '\0' || v < 0)
            v = -1;
    }
    sqlite3_finalize(s);
    return v;
}

/* Whether store_run has the columns of live runs (a database written before them has not). */
static bool has_live_cols(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    bool ok = sqlite3_prepare_v2(db, "SELECT live, last_commit FROM store_run LIMIT 0", -1, &s,
                                 NULL) == SQLITE_OK;
    sqlite3_finalize(s);
    return ok;
}

static bool has_sources_col(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    bool ok =
        sqlite3_prepare_v2(db, "SELECT sources FROM store_run LIMIT 0", -1, &s, NULL) == SQLITE_OK;
    sqlite3_finalize(s);
    return ok;
}

static ta_err fill_shapes(struct ta_store *st);

/*
 * Versions 3 and 4 keyed the per-day rows member before day: set them
 * aside before the tables are created (rekey_move) and copy them over in
 * the new key order after (rekey_copy), in the schema transaction.
 */
static ta_err rekey_move(struct ta_store *st)
{
    char sql[160];
    for (int i = 0; i < SET__COUNT; i++) {
        snprintf(sql, sizeof(sql), "store_day_%s", sets[i].table);
        if (!table_exists(st->db, sql))
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE store_day_%s RENAME TO store_day_%s_old",
                 sets[i].table, sets[i].table);
        if (exec(st, sql, "migrate the per-day sets"))
            return TA_ERR_DB;
    }
    return TA_OK;
}

static ta_err rekey_copy(struct ta_store *st)
{
    char sql[400];
    for (int i = 0; i < SET__COUNT; i++) {
        snprintf(sql, sizeof(sql), "store_day_%s_old", sets[i].table);
        if (!table_exists(st->db, sql))
            continue;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_day_%s(kind, src_cc, dst_cc, day, %s, n)"
                 " SELECT kind, src_cc, dst_cc, day, %s, n FROM store_day_%s_old"
                 " ORDER BY kind, src_cc, dst_cc, day, %s;"
                 "DROP TABLE store_day_%s_old;",
                 sets[i].table, sets[i].col, sets[i].col, sets[i].table, sets[i].col,
                 sets[i].table);
        if (exec(st, sql, "migrate the per-day sets"))
            return TA_ERR_DB;
    }
    return TA_OK;
}

ta_err ta_store_open(const char *path, unsigned flags, struct ta_store **out,
                     char errbuf[TA_STORE_ERRLEN])
{
    *out = NULL;
    errbuf[0] = '\0';
    if (ta_store_is_clickhouse(path))
        return ta__store_ch_open(path, flags, out, errbuf);
    struct ta_store *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, TA_STORE_ERRLEN, "out of memory");
        return TA_ERR_NOMEM;
    }
    st->readonly = (flags & TA_STORE_READONLY) != 0;
    st->batch_max = TA_STORE_BATCH;
    st->memcap = TA_STORE_MEMCAP;
    st->skew = TA_STORE_SKEW_US;
    /* One connection per handle, used by one thread at a time (like every
     * ta_ handle): no SQLite connection mutex. */
    int oflags =
        SQLITE_OPEN_NOMUTEX | (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    if (!st->readonly && (flags & TA_STORE_CREATE))
        oflags |= SQLITE_OPEN_CREATE;
    ta_err err = TA_ERR_DB;
    if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
        snprintf(errbuf, TA_STORE_ERRLEN, "cannot open database %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        err = TA_ERR_IO;
        goto out_close;
    }
    sqlite3_busy_timeout(st->db, 10000);
    sqlite3_extended_result_codes(st->db, 0);
    if (ta__db_conn_truncated(st->db)) {
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%s: the database is truncated (shorter than its header says)", path);
        err = TA_ERR_FORMAT;
        goto out_close;
    }
    long v = schema_version(st->db);
    /* A reader never creates: a file without the meta table that every
     * threatatlas database has (an empty file, another program's SQLite
     * file) is not one of ours. */
    if (v == 0 && st->readonly && ta__db_table_state(st->db, "meta") != 1) {
        snprintf(errbuf, TA_STORE_ERRLEN, "%s: not a threatatlas database", path);
        err = TA_ERR_FORMAT;
        goto out_close;
    }
    if (v < 0) {
        snprintf(errbuf, TA_STORE_ERRLEN, "%s: not a threatatlas database or unreadable (%s)", path,
                 sqlite3_errmsg(st->db));
        err = TA_ERR_FORMAT;
        goto out_close;
    }
    if (v > TA_STORE_SCHEMA_VERSION) {
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%s: store schema version %ld is newer than this threatatlas supports (%d); "
                 "upgrade threatatlas",
                 path, v, TA_STORE_SCHEMA_VERSION);
        err = TA_ERR_UNSUPPORTED;
        goto out_close;
    }
    if (v != 0 && v < 3) {
        /* Version 2 identified runs by their inputs only and counted an
         * event once per run that saw it; its rollups cannot be turned into
         * reference counts without the events' identities, which it did not
         * keep. There is no migration: the captures are analysed again. */
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%s: store schema version %ld is older than this threatatlas supports (%d); "
                 "analyse the captures again into a new database",
                 path, v, TA_STORE_SCHEMA_VERSION);
        err = TA_ERR_UNSUPPORTED;
        goto out_close;
    }
    if (!st->readonly) {
        /* WAL: readers never block the analysis, and a killed writer leaves
         * the last committed transaction intact. NORMAL sync is durable
         * against process death (not power loss of the last commits). */
        ta_err e = exec(st,
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        " PRAGMA journal_size_limit=" TA__DB_WAL_LIMIT ";",
                        "set WAL");
        if (e == TA_OK)
            e = exec(st, "BEGIN IMMEDIATE", "create schema");
        /* Version 3 kept no shapes: computed once from the per-day sets,
         * inside the schema transaction (so by one writer only). */
        bool shapes = e == TA_OK && v == 3 && !table_exists(st->db, "store_shape_attacker");
        bool rekey = e == TA_OK && (v == 3 || v == 4);
        if (e != TA_OK || exec(st, schema_sql, "create schema") || (rekey && rekey_move(st)) ||
            create_set_tables(st) || (rekey && rekey_copy(st)) || (shapes && fill_shapes(st)) ||
            /* Inside the schema transaction, so two writers opening at once add them once. */
            (!has_live_cols(st->db) &&
             exec(st,
                  "ALTER TABLE store_run ADD COLUMN live TEXT NOT NULL DEFAULT '';"
                  "ALTER TABLE store_run ADD COLUMN last_commit INTEGER NOT NULL DEFAULT 0;",
                  "add the live-run columns")) ||
            (!has_sources_col(st->db) &&
             exec(st, "ALTER TABLE store_run ADD COLUMN sources TEXT NOT NULL DEFAULT '';",
                  "add the sources column"))) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            snprintf(errbuf, TA_STORE_ERRLEN, "%.80s: %.160s", path, st->errmsg);
            goto out_close;
        }
        char sql[128];
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO meta(key, value) VALUES('schema.store', '%d')",
                 TA_STORE_SCHEMA_VERSION);
        if (exec(st, sql, "write schema version") || exec(st, "COMMIT", "commit schema")) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            snprintf(errbuf, TA_STORE_ERRLEN, "%.80s: %.160s", path, st->errmsg);
            goto out_close;
        }
        st->has_tables = true;
        st->has_live = true;
        st->has_sources = true;
        st->has_shapes = true;
    } else {
        st->has_tables = v >= 1 && table_exists(st->db, "store_run");
        st->has_live = st->has_tables && has_live_cols(st->db);
        st->has_sources = st->has_tables && has_sources_col(st->db);
        st->has_shapes = st->has_tables && table_exists(st->db, "store_shape_attacker");
    }
    /* 256 MiB page cache; checkpoint the WAL every ~80 MB rather than 4 MB
     * so bulk runs are not throttled by checkpoints. */
    sqlite3_exec(st->db, "PRAGMA cache_size=-262144; PRAGMA wal_autocheckpoint=20000;", NULL, NULL,
                 NULL);
    *out = st;
    return TA_OK;

out_close:
    sqlite3_close(st->db);
    free(st);
    return err;
}

static void mem_drop(struct ta_store *st);
static void kc_clear(struct keycache *kc);

void ta_store_close(struct ta_store *st)
{
    if (st == NULL)
        return;
    TA__STORE_FWD_VOID(st, close, st);
    if (st->run_id != 0)
        ta_store_run_abort(st);
    sqlite3_finalize(st->ins_event);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    mem_drop(st);
    ta__kset_release(&st->spans);
    kc_clear(&st->kc);
    free(st->pend);
    free(st->pend_arena);
    sqlite3_close(st->db);
    free(st);
}

ta_err ta_store_input_hash(const char *path, struct ta_store_input *in)
{
    in->path = path;
    return ta_sha256_file(path, in->sha256, &in->size);
}

static int cmp_digest(const void *a, const void *b)
{
    return memcmp(a, b, TA_SHA256_LEN);
}

void ta_store_run_digest(const struct ta_store_input *inputs, size_t n, uint8_t out[TA_SHA256_LEN])
{
    struct ta_sha256 s;
    ta_sha256_init(&s);
    uint8_t(*d)[TA_SHA256_LEN] = n ? malloc(n * TA_SHA256_LEN) : NULL;
    if (d != NULL) {
        for (size_t i = 0; i < n; i++)
            memcpy(d[i], inputs[i].sha256, TA_SHA256_LEN);
        qsort(d, n, TA_SHA256_LEN, cmp_digest);
        for (size_t i = 0; i < n; i++)
            ta_sha256_update(&s, d[i], TA_SHA256_LEN);
        free(d);
    } else {
        /* Without memory to sort, order by selection: O(n^2) but correct. */
        const uint8_t *last = NULL;
        for (size_t k = 0; k < n; k++) {
            const uint8_t *best = NULL;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *c = inputs[i].sha256;
                if (last && memcmp(c, last, TA_SHA256_LEN) <= 0)
                    continue;
                if (best == NULL || memcmp(c, best, TA_SHA256_LEN) < 0)
                    best = c;
            }
            if (best == NULL)
                break;
            /* Duplicates collapse here but not in the sorted path; only
             * reachable when malloc fails for a few bytes. */
            ta_sha256_update(&s, best, TA_SHA256_LEN);
            last = best;
        }
    }
    ta_sha256_final(&s, out);
}

/* Run id and state for a digest: 0 if absent. */
static ta_err find_run(struct ta_store *st, const char *hex, int64_t *id, int *state)
{
    *id = 0;
    *state = 0;
    if (!st->has_tables)
        return TA_OK;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT id, state FROM store_run WHERE digest=?", -1, &s,
                           NULL) != SQLITE_OK)
        return ta__store_dberr(st, "find run");
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        *state = sqlite3_column_int(s, 1);
    }
    ta_err err = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? TA_OK : ta__store_dberr(st, "find run");
    sqlite3_finalize(s);
    return err;
}

ta_err ta_store_run_is_done(struct ta_store *st, const uint8_t digest[TA_SHA256_LEN], bool *done)
{
    TA__STORE_FWD(st, run_is_done, st, digest, done);
    char hex[TA_SHA256_HEXLEN];
    int64_t id;
    int state;
    *done = false;
    ta_err err = find_run(st, ta_sha256_hex(digest, hex), &id, &state);
    if (err == TA_OK)
        *done = id != 0 && state == 1;
    return err;
}

/*
 * Event ids: the storing run's id in the high 32 bits, the event's sequence
 * number in that run below. A run's new events are then one rowid range of
 * store_event, found without an index.
 */
#define EVENTS_PER_RUN ((uint64_t)1 << 32)

static int64_t event_id(int64_t run_id, uint64_t seq)
{
    return (int64_t)((uint64_t)run_id << 32 | seq);
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ---- identity ---- */

#define BUCKET_SHIFT 30 /* time bucket of the identity key: 2^30 us */
#define KEY_BITS     41 /* hash bits below the bucket */

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

static uint64_t addr_mix(uint64_t h, const struct ta_addr *a)
{
    uint64_t w0, w1;
    memcpy(&w0, a->b, 8);
    memcpy(&w1, a->b + 8, 8);
    return mix64(mix64(mix64(h, a->family), w0), w1);
}

/*
 * 64-bit hash of the identity fields (everything but the time). An event
 * without flow_start (from a detector that does not give it) cannot be told
 * from another request of its connection by time within the skew: its flow
 * id joins the hash and only a copy at the exact same time matches (see
 * insert_event), so repeated inputs and compressed copies still count once.
 */
static uint64_t ident_hash(const struct ta_event *ev)
{
    uint64_t h = mix64(0x7461, (uint64_t)ev->kind << 40 | (uint64_t)ev->proto << 32 | ev->tx_index);
    h = addr_mix(h, &ev->attacker.ip);
    h = addr_mix(h, &ev->victim.ip);
    if (ev->flow_start == 0)
        h = mix64(h, ev->flow_id);
    return mix64(h, (uint64_t)ev->attacker.port << 16 | ev->victim.port);
}

/* The identity time: the flow's start, or the event time without one. */
static ta_time_us ident_time(const struct ta_event *ev)
{
    return ev->flow_start ? ev->flow_start : ev->ts;
}

static int64_t ident_key(uint64_t h, ta_time_us t)
{
    uint64_t bucket = ((uint64_t)t >> BUCKET_SHIFT) & ((1ull << (63 - KEY_BITS)) - 1);
    return (int64_t)(bucket << KEY_BITS | (h & ((1ull << KEY_BITS) - 1)));
}

/* ---- prepared statements ---- */

static sqlite3_stmt *stmt(struct ta_store *st, int which)
{
    if (st->stmt[which] != NULL) {
        sqlite3_reset(st->stmt[which]);
        return st->stmt[which];
    }
    char sql[640];
    if (which == ST_LOOKUP) {
        snprintf(sql, sizeof(sql),
                 "SELECT id FROM store_event WHERE ikey = ?1 AND fs BETWEEN ?2 AND ?3 LIMIT 1");
    } else if (which == ST_SIGHT) {
        snprintf(sql, sizeof(sql),
                 "INSERT OR IGNORE INTO store_sighting(run_id, event_id) VALUES(?1, ?2)");
    } else if (which == ST_NRUNS) {
        snprintf(sql, sizeof(sql), "UPDATE store_event SET nruns = nruns + 1 WHERE id = ?1");
    } else if (which >= ST_DAY0 && which < ST_DAY0 + SET__COUNT) {
        int i = which - ST_DAY0;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_day_%s(kind, src_cc, dst_cc, %s, day, n) VALUES(?,?,?,?,?,?)"
                 " ON CONFLICT DO UPDATE SET n = n + excluded.n",
                 sets[i].table, sets[i].col);
    } else if (which >= ST_SPAN0 && which < ST_SPAN0 + SET__COUNT) {
        int i = which - ST_SPAN0;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_span_%s(kind, src_cc, dst_cc, %s, first_day, last_day)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                 " first_day = MIN(first_day, excluded.first_day),"
                 " last_day = MAX(last_day, excluded.last_day)",
                 sets[i].table, sets[i].col);
    } else if (which >= ST_SPANGET0 && which < ST_SPANGET0 + SET__COUNT) {
        int i = which - ST_SPANGET0;
        snprintf(sql, sizeof(sql),
                 "SELECT first_day, last_day FROM store_span_%s"
                 " WHERE kind = ? AND src_cc = ? AND dst_cc = ? AND %s = ?",
                 sets[i].table, sets[i].col);
    } else if (which >= ST_DAYS0 && which < ST_DAYS0 + SET__COUNT) {
        int i = which - ST_DAYS0;
        /* A member's days within its span ?5..?6: one primary-key probe per
         * day (the rows are keyed day before member). */
        snprintf(sql, sizeof(sql),
                 "WITH RECURSIVE r(day) AS (SELECT ?5 UNION ALL SELECT day + 1 FROM r"
                 " WHERE day < ?6) SELECT y.day FROM r CROSS JOIN store_day_%s y"
                 " WHERE y.kind = ?1 AND y.src_cc = ?2 AND y.dst_cc = ?3 AND y.day = r.day"
                 " AND y.%s = ?4",
                 sets[i].table, sets[i].col);
    } else if (which >= ST_SHAPE0 && which < ST_SHAPE0 + SET__COUNT) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_shape_%s(kind, src_cc, dst_cc, gap, lo, hi, n)"
                 " VALUES(?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                 sets[which - ST_SHAPE0].table);
    } else if (which >= ST_SHAPEZ0 && which < ST_SHAPEZ0 + SET__COUNT) {
        snprintf(sql, sizeof(sql),
                 "DELETE FROM store_shape_%s WHERE kind = ? AND src_cc = ? AND dst_cc = ?"
                 " AND gap = ? AND lo = ? AND hi = ? AND n = 0",
                 sets[which - ST_SHAPEZ0].table);
    } else if (which == ST_COUNT) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                 " events = events + excluded.events, flows = flows + excluded.flows");
    } else if (which == ST_SUPP) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_day_suppressed(kind, src_cc, dst_cc, day, list, events)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                 " events = events + excluded.events");
    } else if (which == ST_BUCKET) {
        snprintf(sql, sizeof(sql), "SELECT ikey FROM store_event WHERE ikey BETWEEN ?1 AND ?2");
    } else if (which == ST_DATAVER) {
        snprintf(sql, sizeof(sql), "PRAGMA data_version");
    } else {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_event_zone(kind, day, run_id, id_lo, id_hi) VALUES(?,?,?,?,?)"
                 " ON CONFLICT DO UPDATE SET id_lo = MIN(id_lo, excluded.id_lo),"
                 " id_hi = MAX(id_hi, excluded.id_hi)");
    }
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[which], NULL) !=
        SQLITE_OK) {
        ta__store_dberr(st, "prepare");
        return NULL;
    }
    return st->stmt[which];
}

static ta_err prepare_insert(struct ta_store *st)
{
    if (st->ins_event != NULL)
        return TA_OK;
    static const char ins[] =
        "INSERT INTO store_event(kind, method, ts, day, flow_id, proto,"
        " a_ip, a_port, a_cc, a_asn, a_as_name, a_home,"
        " v_ip, v_port, v_cc, v_asn, v_as_name, v_home,"
        " confidence, signature, family, indicator, indicator_type, sources,"
        " hostname, url, dns_answer, body, item, id,"
        " ikey, fs, tx_index, established, undated, suppressed_by)"
        " VALUES(?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?)";
    if (sqlite3_prepare_v3(st->db, ins, -1, SQLITE_PREPARE_PERSISTENT, &st->ins_event, NULL) !=
        SQLITE_OK)
        return ta__store_dberr(st, "prepare event insert");
    return TA_OK;
}

/* ---- deleting a run ---- */

static ta_err exec_fmt(struct ta_store *st, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ta_err exec_fmt(struct ta_store *st, const char *what, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        snprintf(st->errmsg, sizeof(st->errmsg), "%s: statement too long", what);
        return TA_ERR_DB;
    }
    return exec(st, sql, what);
}

/*
 * CTE t: the per-day rows of the members in temp.u (kind, src, dst, m, and
 * f..l a range covering their days), found by one primary-key probe per
 * member and day: the rows are keyed day before member, so a member's rows
 * are not a range.
 */
static void touched_cte(char *buf, size_t len, int set)
{
    snprintf(buf, len,
             "RECURSIVE r(kind, src, dst, m, day, l) AS (SELECT kind, src, dst, m, f, l"
             " FROM temp.u UNION ALL SELECT kind, src, dst, m, day + 1, l FROM r WHERE day < l),"
             " t AS (SELECT y.* FROM r CROSS JOIN store_day_%s y WHERE y.kind = r.kind"
             " AND y.src_cc = r.src AND y.dst_cc = r.dst AND y.day = r.day AND y.%s = r.m)",
             sets[set].table, sets[set].col);
}

/*
 * The shapes of members (first and last day, and the gaps of days without
 * them in between: store_shape_*) as computed from store_day_<set>, into
 * temp.shp; with touched, of the members in temp.u only.
 */
static ta_err shapes_of(struct ta_store *st, int set, bool touched)
{
    const char *c = sets[set].col;
    char with[600], from[64];
    with[0] = '\0';
    if (touched) {
        touched_cte(with, sizeof(with) - 1, set);
        size_t wl = strlen(with);
        with[wl] = ',';
        with[wl + 1] = '\0';
        snprintf(from, sizeof(from), "t");
    } else {
        snprintf(from, sizeof(from), "store_day_%s", sets[set].table);
    }
    return exec_fmt(
        st, "member shapes",
        "DROP TABLE IF EXISTS temp.shp;"
        "CREATE TEMP TABLE shp AS WITH %s dd AS (SELECT y.kind, y.src_cc, y.dst_cc, y.%s AS m,"
        " y.day, LAG(y.day) OVER (PARTITION BY y.kind, y.src_cc, y.dst_cc, y.%s ORDER BY y.day)"
        " AS prev FROM %s y)"
        " SELECT kind, src_cc AS src, dst_cc AS dst, 1 AS gap, prev + 1 AS lo, day - 1 AS hi,"
        " COUNT(*) AS c FROM dd WHERE day - prev > 1 GROUP BY 1, 2, 3, 5, 6"
        " UNION ALL SELECT kind, src_cc, dst_cc, 0, f, l, COUNT(*) FROM (SELECT kind, src_cc,"
        " dst_cc, MIN(day) AS f, MAX(day) AS l FROM dd GROUP BY kind, src_cc, dst_cc, m)"
        " GROUP BY 1, 2, 3, 5, 6;",
        with, c, c, from);
}

/* Add (sign 1) or subtract (-1) temp.shp to store_shape_<set>. */
static ta_err shapes_apply(struct ta_store *st, int set, int sign);

/* Every member's shape, from the per-day sets (a version 3 database). */
static ta_err fill_shapes(struct ta_store *st)
{
    ta_err err = TA_OK;
    for (int i = 0; i < SET__COUNT && err == TA_OK; i++)
        if ((err = shapes_of(st, i, false)) == TA_OK)
            err = shapes_apply(st, i, 1);
    return err;
}

static ta_err shapes_apply(struct ta_store *st, int set, int sign)
{
    const char *t = sets[set].table;
    return exec_fmt(st, "member shapes",
                    "INSERT INTO store_shape_%s(kind, src_cc, dst_cc, gap, lo, hi, n)"
                    " SELECT kind, src, dst, gap, lo, hi, %d * c FROM temp.shp WHERE true"
                    " ON CONFLICT DO UPDATE SET n = n + excluded.n;"
                    "DELETE FROM store_shape_%s WHERE n = 0 AND (kind, src_cc, dst_cc, gap, lo, hi)"
                    " IN (SELECT kind, src, dst, gap, lo, hi FROM temp.shp);"
                    "DROP TABLE temp.shp;",
                    t, sign, t);
}

/*
 * Remove run id and its contribution, inside the caller's transaction: its
 * sightings go; events left without any sighting are deleted and their
 * share of every rollup subtracted (per-day reference counts, counters),
 * and the spans of the touched members recomputed from what remains.
 */
static ta_err delete_run(struct ta_store *st, int64_t id)
{
    ta_err err;
    long long lo = event_id(id, 0), hi = event_id(id, EVENTS_PER_RUN - 1);
    /* The run saw the events it stored (its id range) and those it sighted. */
    if ((err = exec_fmt(st, "delete run",
                        "CREATE TEMP TABLE IF NOT EXISTS gone(id INTEGER PRIMARY KEY);"
                        "DELETE FROM temp.gone;"
                        "UPDATE store_event SET nruns = nruns - 1 WHERE id BETWEEN %lld AND %lld;"
                        "UPDATE store_event SET nruns = nruns - 1 WHERE id IN"
                        " (SELECT event_id FROM store_sighting WHERE run_id = %lld);"
                        "INSERT INTO temp.gone SELECT id FROM store_event"
                        " WHERE id BETWEEN %lld AND %lld AND nruns <= 0;"
                        "INSERT OR IGNORE INTO temp.gone SELECT e.id FROM store_sighting s"
                        " JOIN store_event e ON e.id = s.event_id"
                        " WHERE s.run_id = %lld AND e.nruns <= 0;",
                        lo, hi, (long long)id, lo, hi, (long long)id)) != TA_OK)
        return err;
    for (int i = 0; i < SET__COUNT; i++) {
        const char *t = sets[i].table, *c = sets[i].col;
        char cte[600];
        touched_cte(cte, sizeof(cte), i);
        /* temp.u: the touched members and their spans before, which cover
         * their days after too. */
        if ((err = exec_fmt(
                 st, "delete run",
                 "DROP TABLE IF EXISTS temp.d;"
                 "CREATE TEMP TABLE d AS SELECT kind, a_cc AS src, v_cc AS dst, %s AS m, day,"
                 " COUNT(*) AS c FROM store_event WHERE id IN (SELECT id FROM temp.gone)"
                 " AND suppressed_by IS NULL AND %s GROUP BY 1, 2, 3, 4, 5;"
                 "DROP TABLE IF EXISTS temp.u;"
                 "CREATE TEMP TABLE u AS SELECT p.kind, p.src_cc AS src, p.dst_cc AS dst,"
                 " p.%s AS m, p.first_day AS f, p.last_day AS l FROM (SELECT DISTINCT kind,"
                 " src, dst, m FROM temp.d) AS x CROSS JOIN store_span_%s p"
                 " WHERE p.kind = x.kind AND p.src_cc = x.src AND p.dst_cc = x.dst"
                 " AND p.%s = x.m;",
                 sets[i].expr, sets[i].cond, c, t, c)) != TA_OK ||
            (err = shapes_of(st, i, true)) != TA_OK || (err = shapes_apply(st, i, -1)) != TA_OK)
            return err;
        if ((err = exec_fmt(
                 st, "delete run",
                 "UPDATE store_day_%s AS t SET n = t.n - d.c FROM temp.d AS d"
                 " WHERE t.kind = d.kind AND t.src_cc = d.src AND t.dst_cc = d.dst"
                 " AND t.%s = d.m AND t.day = d.day;"
                 "DELETE FROM store_day_%s WHERE n <= 0 AND (kind, src_cc, dst_cc, day, %s) IN"
                 " (SELECT kind, src, dst, day, m FROM temp.d);"
                 "DROP TABLE IF EXISTS temp.ns;"
                 "CREATE TEMP TABLE ns AS WITH %s SELECT kind, src_cc AS src, dst_cc AS dst,"
                 " %s AS m, MIN(day) AS f, MAX(day) AS l FROM t GROUP BY 1, 2, 3, 4;"
                 "DELETE FROM store_span_%s WHERE (kind, src_cc, dst_cc, %s) IN"
                 " (SELECT kind, src, dst, m FROM temp.u) AND (kind, src_cc, dst_cc, %s) NOT IN"
                 " (SELECT kind, src, dst, m FROM temp.ns);"
                 "UPDATE store_span_%s AS p SET first_day = n.f, last_day = n.l FROM temp.ns AS n"
                 " WHERE p.kind = n.kind AND p.src_cc = n.src AND p.dst_cc = n.dst"
                 " AND p.%s = n.m;"
                 "DROP TABLE temp.ns;",
                 t, c, t, c, cte, c, t, c, c, t, c)) != TA_OK ||
            (err = shapes_of(st, i, true)) != TA_OK || (err = shapes_apply(st, i, 1)) != TA_OK)
            return err;
    }
    if ((err = exec_fmt(
             st, "delete run",
             "DROP TABLE IF EXISTS temp.d;"
             "CREATE TEMP TABLE d AS SELECT kind, a_cc AS src, v_cc AS dst, day, COUNT(*) AS c,"
             " SUM(kind IN (2, 3)) AS f FROM store_event WHERE id IN (SELECT id FROM temp.gone)"
             " AND suppressed_by IS NULL GROUP BY 1, 2, 3, 4;"
             "UPDATE store_day_count AS t SET events = t.events - d.c, flows = t.flows - d.f"
             " FROM temp.d AS d WHERE t.kind = d.kind AND t.src_cc = d.src AND t.dst_cc = d.dst"
             " AND t.day = d.day;"
             "DELETE FROM store_day_count WHERE events <= 0 AND flows <= 0 AND"
             " (kind, src_cc, dst_cc, day) IN (SELECT kind, src, dst, day FROM temp.d);"
             "DROP TABLE temp.d;"
             "CREATE TEMP TABLE d AS SELECT kind, a_cc AS src, v_cc AS dst, suppressed_by AS l,"
             " day, COUNT(*) AS c FROM store_event WHERE id IN (SELECT id FROM temp.gone)"
             " AND suppressed_by IS NOT NULL GROUP BY 1, 2, 3, 4, 5;"
             "UPDATE store_day_suppressed AS t SET events = t.events - d.c FROM temp.d AS d"
             " WHERE t.kind = d.kind AND t.src_cc = d.src AND t.dst_cc = d.dst AND t.list = d.l"
             " AND t.day = d.day;"
             "DELETE FROM store_day_suppressed WHERE events <= 0 AND"
             " (kind, src_cc, dst_cc, list, day) IN (SELECT kind, src, dst, l, day FROM temp.d);"
             "DROP TABLE temp.d;"
             "DELETE FROM store_event WHERE id IN (SELECT id FROM temp.gone);"
             "DELETE FROM store_sighting WHERE run_id = %lld OR event_id IN"
             " (SELECT id FROM temp.gone);"
             "DELETE FROM temp.gone;"
             "DELETE FROM store_input WHERE run_id = %lld;"
             /* Zones of any storing run may now be empty (this run's, and an
              * earlier deleted run's whose events this one kept); the table is
              * small (runs x kinds x days) and each test a rowid range seek. */
             "DELETE FROM store_event_zone WHERE NOT EXISTS (SELECT 1 FROM"
             " store_event e WHERE e.id BETWEEN id_lo AND id_hi);"
             "DELETE FROM store_run WHERE id = %lld;",
             (long long)id, (long long)id, (long long)id)) != TA_OK)
        return err;
    return TA_OK;
}

static bool run_exists(struct ta_store *st, int64_t id, ta_err *err)
{
    sqlite3_stmt *s = NULL;
    *err = TA_OK;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM store_run WHERE id = ?", -1, &s, NULL) !=
        SQLITE_OK) {
        *err = ta__store_dberr(st, "find run");
        return false;
    }
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        *err = ta__store_dberr(st, "find run");
    sqlite3_finalize(s);
    return rc == SQLITE_ROW;
}

static bool pid_alive(int64_t pid);

/* TA_ERR_ARG when run id is a live run whose sensor is still running: its
 * next batch would go to a deleted run. */
static ta_err live_writer(struct ta_store *st, int64_t id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT live, pid FROM store_run WHERE id = ? AND state = 0", -1,
                           &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "find run");
    sqlite3_bind_int64(s, 1, id);
    ta_err err = TA_OK;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
        sqlite3_column_text(s, 0)[0] != '\0' &&
        (sqlite3_column_int64(s, 1) == (int64_t)getpid() ||
         pid_alive(sqlite3_column_int64(s, 1)))) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "run %lld is live (capturing on %.40s, pid %lld): stop that sensor first",
                 (long long)id, (const char *)sqlite3_column_text(s, 0),
                 (long long)sqlite3_column_int64(s, 1));
        err = TA_ERR_ARG;
    }
    sqlite3_finalize(s);
    return err;
}

ta_err ta_store_run_delete(struct ta_store *st, int64_t id)
{
    TA__STORE_FWD(st, run_delete, st, id);
    if (st->readonly || st->run_id != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 st->readonly ? "database opened read-only" : "a run is open");
        return TA_ERR_ARG;
    }
    if (!st->has_tables) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run %lld", (long long)id);
        return TA_ERR_NOTFOUND;
    }
    ta_err err = exec(st, "BEGIN IMMEDIATE", "delete run");
    if (err)
        return err;
    if (!run_exists(st, id, &err)) {
        if (err == TA_OK) {
            snprintf(st->errmsg, sizeof(st->errmsg), "no run %lld", (long long)id);
            err = TA_ERR_NOTFOUND;
        }
        goto out_rollback;
    }
    if (st->has_live && (err = live_writer(st, id)) != TA_OK)
        goto out_rollback;
    if ((err = delete_run(st, id)) != TA_OK || (err = exec(st, "COMMIT", "delete run")) != TA_OK)
        goto out_rollback;
    return TA_OK;
out_rollback:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* ---- starting a run ---- */

/* true if some completed run analysed an input with this SHA-256. */
static ta_err input_done(struct ta_store *st, const char *hex, bool *done)
{
    sqlite3_stmt *s = NULL;
    *done = false;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT 1 FROM store_input i JOIN store_run r ON r.id = i.run_id"
                           " WHERE i.sha256 = ? AND r.state = 1 LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "find input");
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *done = rc == SQLITE_ROW;
    ta_err err =
        (rc == SQLITE_ROW || rc == SQLITE_DONE) ? TA_OK : ta__store_dberr(st, "find input");
    sqlite3_finalize(s);
    return err;
}

static bool has_sha(const struct ta_store_run_info *info, const char *hex)
{
    for (size_t i = 0; i < info->n_inputs; i++) {
        char h[TA_SHA256_HEXLEN];
        if (strcmp(ta_sha256_hex(info->inputs[i].sha256, h), hex) == 0)
            return true;
    }
    return false;
}

/*
 * --redo: delete every run that analysed one of the inputs, provided it
 * analysed nothing else (a run is removed whole, and the other inputs
 * would lose their events).
 */
static ta_err replace_runs(struct ta_store *st, const struct ta_store_run_info *info)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT DISTINCT run_id FROM store_input WHERE sha256 = ?"
                           " ORDER BY run_id",
                           -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "redo");
    int64_t *ids = NULL;
    size_t n = 0;
    ta_err err = TA_OK;
    for (size_t i = 0; i < info->n_inputs && err == TA_OK; i++) {
        char hex[TA_SHA256_HEXLEN];
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, ta_sha256_hex(info->inputs[i].sha256, hex), -1, SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(s, 0);
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen |= ids[k] == id;
            if (seen)
                continue;
            int64_t *v = realloc(ids, (n + 1) * sizeof(*ids));
            if (v == NULL) {
                err = TA_ERR_NOMEM;
                break;
            }
            ids = v;
            ids[n++] = id;
        }
        if (err == TA_OK && rc != SQLITE_DONE)
            err = ta__store_dberr(st, "redo");
    }
    sqlite3_finalize(s);
    s = NULL;
    if (err == TA_OK && sqlite3_prepare_v2(st->db,
                                           "SELECT path, sha256 FROM store_input WHERE run_id = ?"
                                           " ORDER BY seq",
                                           -1, &s, NULL) != SQLITE_OK)
        err = ta__store_dberr(st, "redo");
    for (size_t k = 0; k < n && err == TA_OK; k++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, ids[k]);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *hex = (const char *)sqlite3_column_text(s, 1);
            if (hex != NULL && !has_sha(info, hex)) {
                snprintf(st->errmsg, sizeof(st->errmsg),
                         "--redo replaces whole runs, and run %lld also analysed %.120s: give "
                         "all its inputs, or delete it first ('runs delete %lld')",
                         (long long)ids[k], (const char *)sqlite3_column_text(s, 0),
                         (long long)ids[k]);
                err = TA_ERR_ARG;
                break;
            }
        }
        if (err == TA_OK && rc != SQLITE_DONE)
            err = ta__store_dberr(st, "redo");
    }
    sqlite3_finalize(s);
    for (size_t k = 0; k < n && err == TA_OK; k++) {
        err = delete_run(st, ids[k]);
        st->stats.runs_replaced++;
    }
    free(ids);
    return err;
}

void ta__store_live_digest(const struct ta_store_run_info *info, uint8_t out[TA_SHA256_LEN])
{
    struct ta_sha256 h;
    ta_sha256_init(&h);
    ta_sha256_update(&h, "live", 5);
    ta_sha256_update(&h, info->live, strlen(info->live) + 1);
    ta_sha256_update(&h, nz(info->sensor), strlen(nz(info->sensor)) + 1);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t v[3] = {(int64_t)now.tv_sec, (int64_t)now.tv_nsec, (int64_t)getpid()};
    ta_sha256_update(&h, v, sizeof(v));
    ta_sha256_final(&h, out);
}

static void mem_init(struct ta_store *st)
{
    ta__kset_init(&st->tuples, 1);
    ta__kset_init(&st->counters, 2);
    ta__kset_init(&st->supp, 1);
    ta__kset_init(&st->zones, 2);
}

/* Begin a run; with as_hex, the run of that digest (a merged run keeps its
 * digest): done -> *already_done, unfinished -> resumed, else a new run. */
static ta_err run_begin(struct ta_store *st, const struct ta_store_run_info *info,
                        const char *as_hex, bool *already_done)
{
    TA__STORE_FWD(st, run_begin, st, info, already_done);
    *already_done = false;
    if (st->readonly) {
        snprintf(st->errmsg, sizeof(st->errmsg), "database opened read-only");
        return TA_ERR_ARG;
    }
    if (st->run_id != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "a run is already open");
        return TA_ERR_ARG;
    }
    bool live = info->live != NULL && info->live[0] != '\0';
    if (info->n_inputs == 0 && !live) {
        snprintf(st->errmsg, sizeof(st->errmsg), "a run needs at least one input");
        return TA_ERR_ARG;
    }
    if (live && (info->n_inputs != 0 || info->redo)) {
        snprintf(st->errmsg, sizeof(st->errmsg), "a live run has no input files and no redo");
        return TA_ERR_ARG;
    }
    uint8_t digest[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    if (as_hex != NULL)
        snprintf(hex, sizeof(hex), "%s", as_hex);
    else if (live)
        ta__store_live_digest(info, digest);
    else
        ta_store_run_digest(info->inputs, info->n_inputs, digest);
    if (as_hex == NULL)
        ta_sha256_hex(digest, hex);

    ta_err err = txn_begin(st, "begin run");
    if (err)
        return err;
    if (as_hex != NULL) {
        /* Decided by the digest below. */
    } else if (live) {
        /* Every start of a sensor is a run of its own: nothing to resume. */
    } else if (!info->redo) {
        bool all = true;
        for (size_t i = 0; i < info->n_inputs && all; i++) {
            char ih[TA_SHA256_HEXLEN];
            if ((err = input_done(st, ta_sha256_hex(info->inputs[i].sha256, ih), &all)) != TA_OK)
                goto out_rollback;
        }
        if (all) {
            *already_done = true;
            return txn_commit(st, "begin run");
        }
    } else if ((err = replace_runs(st, info)) != TA_OK) {
        goto out_rollback;
    }
    int64_t id;
    int state;
    if (live && as_hex == NULL)
        id = 0;
    else if ((err = find_run(st, hex, &id, &state)) != TA_OK)
        goto out_rollback;
    if (as_hex != NULL && id != 0 && state == 1) {
        *already_done = true;
        return txn_commit(st, "begin run");
    }
    sqlite3_stmt *s = NULL;
    if (id != 0) {
        /* An earlier attempt on these inputs was interrupted: resume it. Its
         * committed events are found again and count nothing twice. */
        st->stats.runs_redone++;
        if (exec_fmt(st, "resume run",
                     "DELETE FROM store_input WHERE run_id = %lld; UPDATE store_run SET state = 0,"
                     " finished = 0 WHERE id = %lld",
                     (long long)id, (long long)id) != TA_OK)
            goto out_dberr;
        if (sqlite3_prepare_v2(st->db,
                               "UPDATE store_run SET home=?, home_nets=?, sensor=?,"
                               " intel_version=?, geoip_version=?, geoip_built=?, started=?,"
                               " pid=? WHERE id=?",
                               -1, &s, NULL) != SQLITE_OK)
            goto out_dberr;
        sqlite3_bind_int64(s, 9, id);
    } else {
        if (sqlite3_prepare_v2(st->db,
                               "INSERT INTO store_run(home, home_nets, sensor, intel_version,"
                               " geoip_version, geoip_built, started, pid, digest, live, state)"
                               " VALUES(?,?,?,?,?,?,?,?,?,?,0)",
                               -1, &s, NULL) != SQLITE_OK)
            goto out_dberr;
        sqlite3_bind_text(s, 9, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 10, live ? info->live : "", -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(s, 1, nz(info->home), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, nz(info->home_nets), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, nz(info->sensor), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, nz(info->intel_version), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, nz(info->geoip_version), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)info->geoip_built);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(s, 8, (sqlite3_int64)getpid());
    if (sqlite3_step(s) != SQLITE_DONE) {
        sqlite3_finalize(s);
        goto out_dberr;
    }
    sqlite3_finalize(s);
    if (id == 0)
        id = sqlite3_last_insert_rowid(st->db);

    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO store_input(run_id, seq, path, size, sha256)"
                           " VALUES(?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        goto out_dberr;
    for (size_t i = 0; i < info->n_inputs; i++) {
        char ihex[TA_SHA256_HEXLEN];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        sqlite3_bind_text(s, 3, nz(info->inputs[i].path), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)info->inputs[i].size);
        sqlite3_bind_text(s, 5, ta_sha256_hex(info->inputs[i].sha256, ihex), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            goto out_dberr;
        }
    }
    sqlite3_finalize(s);
    /* The next sequence number: after the events a resumed run stored. */
    uint64_t seq = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT MAX(id) FROM store_event WHERE id BETWEEN ? AND ?", -1,
                           &s, NULL) != SQLITE_OK)
        goto out_dberr;
    sqlite3_bind_int64(s, 1, event_id(id, 0));
    sqlite3_bind_int64(s, 2, event_id(id, EVENTS_PER_RUN - 1));
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        seq = ((uint64_t)sqlite3_column_int64(s, 0) & (EVENTS_PER_RUN - 1)) + 1;
    sqlite3_finalize(s);
    if ((err = txn_commit(st, "begin run")) != TA_OK)
        goto out_rollback;
    if ((err = prepare_insert(st)) != TA_OK)
        return err;
    st->run_id = id;
    st->seq = seq;
    st->in_txn = false;
    st->batch = 0;
    st->sticky = TA_OK;
    st->ev_first = st->ev_last = 0;
    st->b_new = st->b_known = 0;
    st->stats.events = st->stats.events_new = st->stats.events_known = 0;
    st->stats.events_repeat = 0;
    mem_drop(st);
    mem_init(st);
    ta__kset_release(&st->spans);
    ta__kset_init(&st->spans, 2);
    return TA_OK;

out_dberr:
    err = ta__store_dberr(st, "begin run");
out_rollback:
    txn_rollback(st);
    return err;
}

ta_err ta_store_run_begin(struct ta_store *st, const struct ta_store_run_info *info,
                          bool *already_done)
{
    return run_begin(st, info, NULL, already_done);
}

ta_err ta__store_run_begin_as(struct ta_store *st, const struct ta_store_run_info *info,
                              const char *digest_hex, bool *already_done)
{
    return run_begin(st, info, digest_hex, already_done);
}

int64_t ta_store_run_id(const struct ta_store *st)
{
    TA__STORE_FWD(st, run_id, st);
    return st->run_id;
}

/* ---- listing runs ---- */

static void hex_bytes(const char *hex, uint8_t out[TA_SHA256_LEN])
{
    memset(out, 0, TA_SHA256_LEN);
    for (size_t i = 0; hex != NULL && i < TA_SHA256_LEN && hex[2 * i] && hex[2 * i + 1]; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
        }
        out[i] = (uint8_t)v;
    }
}

static const char *col_str(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

/*
 * Whether the process that last ran a live run is still there (on this
 * host: the database is a local file). A recycled pid can make a crashed
 * sensor look alive until that process ends; nothing depends on it but the
 * state shown and the refusal to delete a run being written.
 */
static bool pid_alive(int64_t pid)
{
    if (pid <= 0 || pid > INT32_MAX)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

ta_err ta_store_runs_list(struct ta_store *st, int64_t id, ta_store_run_cb cb, void *ctx)
{
    TA__STORE_FWD(st, runs_list, st, id, cb, ctx);
    if (!st->has_tables)
        return id > 0 ? TA_ERR_NOTFOUND : TA_OK;
    sqlite3_stmt *s = NULL, *in = NULL;
    ta_err err = TA_OK;
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT id, state, digest, home, home_nets, sensor, intel_version,"
             " geoip_version, geoip_built, ts_first, ts_last, n_new, n_known,"
             " started, finished, pid, %s, %s FROM store_run"
             " WHERE ?1 <= 0 OR id = ?1 ORDER BY id",
             st->has_live ? "live, last_commit" : "'', 0", st->has_sources ? "sources" : "''");
    if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "SELECT path, size, sha256 FROM store_input WHERE run_id = ?"
                           " ORDER BY seq",
                           -1, &in, NULL) != SQLITE_OK) {
        err = ta__store_dberr(st, "list runs");
        goto out;
    }
    sqlite3_bind_int64(s, 1, id);
    int rc;
    bool any = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        any = true;
        struct ta_store_run_desc d = {
            .id = sqlite3_column_int64(s, 0),
            .done = sqlite3_column_int(s, 1) == 1,
            .digest = col_str(s, 2),
            .home = col_str(s, 3),
            .home_nets = col_str(s, 4),
            .sensor = col_str(s, 5),
            .intel_version = col_str(s, 6),
            .geoip_version = col_str(s, 7),
            .geoip_built = (uint64_t)sqlite3_column_int64(s, 8),
            .ts_first = (ta_time_us)sqlite3_column_int64(s, 9),
            .ts_last = (ta_time_us)sqlite3_column_int64(s, 10),
            .events_new = (uint64_t)sqlite3_column_int64(s, 11),
            .events_known = (uint64_t)sqlite3_column_int64(s, 12),
            .started = sqlite3_column_int64(s, 13),
            .finished = sqlite3_column_int64(s, 14),
            .pid = sqlite3_column_int64(s, 15),
            .live = col_str(s, 16),
            .last_commit = sqlite3_column_int64(s, 17),
            .sources = col_str(s, 18),
        };
        /* In the process that runs it, only the open run is alive: an
         * interrupted one may carry the same pid (a container's pid 1). */
        d.alive = d.live[0] != '\0' && !d.done &&
                  (d.pid == (int64_t)getpid() ? d.id == st->run_id : pid_alive(d.pid));
        struct ta_store_input *inputs = NULL;
        char **paths = NULL;
        size_t n = 0;
        sqlite3_reset(in);
        sqlite3_bind_int64(in, 1, d.id);
        int irc;
        while ((irc = sqlite3_step(in)) == SQLITE_ROW) {
            struct ta_store_input *v = realloc(inputs, (n + 1) * sizeof(*v));
            char **p = realloc(paths, (n + 1) * sizeof(*p));
            if (v != NULL)
                inputs = v;
            if (p != NULL)
                paths = p;
            const char *path = col_str(in, 0);
            char *copy = v && p ? malloc(strlen(path) + 1) : NULL;
            if (copy == NULL) {
                err = TA_ERR_NOMEM;
                break;
            }
            memcpy(copy, path, strlen(path) + 1);
            paths[n] = copy;
            inputs[n].path = copy;
            inputs[n].size = (uint64_t)sqlite3_column_int64(in, 1);
            hex_bytes(col_str(in, 2), inputs[n].sha256);
            n++;
        }
        if (err == TA_OK && irc != SQLITE_DONE)
            err = ta__store_dberr(st, "list runs");
        d.inputs = inputs;
        d.n_inputs = n;
        bool go_on = err == TA_OK && cb(ctx, &d);
        for (size_t i = 0; i < n; i++)
            free(paths[i]);
        free(paths);
        free(inputs);
        if (!go_on)
            break;
    }
    if (err == TA_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = ta__store_dberr(st, "list runs");
    if (err == TA_OK && id > 0 && !any) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run %lld", (long long)id);
        err = TA_ERR_NOTFOUND;
    }
out:
    sqlite3_finalize(s);
    sqlite3_finalize(in);
    return err;
}

/* Values are bound SQLITE_STATIC: they outlive the step that uses them. */
static void bind_ip(sqlite3_stmt *s, int col, const struct ta_addr *a)
{
    if (a->family == 4)
        sqlite3_bind_blob(s, col, a->b + 12, 4, SQLITE_STATIC);
    else if (a->family == 6)
        sqlite3_bind_blob(s, col, a->b, 16, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, col);
}

static void bind_opt(sqlite3_stmt *s, int col, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, col);
}

/* up (3 bytes) holds the upper-cased code until the statement has run. */
static void bind_cc(sqlite3_stmt *s, int col, const char cc[3], char *up)
{
    size_t n = strnlen(cc, 2);
    for (size_t i = 0; i < n; i++)
        up[i] = (cc[i] >= 'a' && cc[i] <= 'z') ? (char)(cc[i] - 32) : cc[i];
    up[n] = '\0';
    sqlite3_bind_text(s, col, up, (int)n, SQLITE_STATIC);
}

static void bind_side(sqlite3_stmt *s, int col, const struct ta_event_side *sd, char *cc_up)
{
    bind_ip(s, col, &sd->ip);
    sqlite3_bind_int(s, col + 1, sd->port);
    bind_cc(s, col + 2, sd->cc, cc_up);
    sqlite3_bind_int64(s, col + 3, sd->asn);
    bind_opt(s, col + 4, sd->as_name);
    sqlite3_bind_int(s, col + 5, sd->home);
}

/*
 * The report identity of an event's item (README definitions): phishing =
 * the page, falling back to indicator, then host; backdoor = the website
 * (Host lower case without port), falling back to the server IP. NULL for
 * other kinds. Kept up to ITEM_MAX bytes; buf (ITEM_MAX + 1 bytes) holds
 * computed or shortened values.
 */
static const char *item_raw(const struct ta_event *ev, char *buf)
{
    switch (ev->kind) {
    case TA_EVENT_PHISHING:
    case TA_EVENT_PHISHING_SUSPECTED:
        if (ev->page)
            return ev->page;
        if (ev->indicator)
            return ev->indicator;
        return ev->hostname;
    case TA_EVENT_BACKDOOR:
    case TA_EVENT_BACKDOOR_SUSPECTED:
        if (ev->website)
            return ev->website;
        if (ev->hostname && ev->hostname[0]) {
            size_t n = 0;
            for (const char *p = ev->hostname; *p && n < ITEM_MAX; p++) {
                /* Stop at a port, but keep IPv6 literals in brackets whole. */
                if (*p == ':' && ev->hostname[0] != '[')
                    break;
                buf[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
                if (*p == ']')
                    break;
            }
            buf[n] = '\0';
            return buf;
        }
        ta_addr_format(&ev->victim.ip, buf, ITEM_MAX + 1);
        return buf[0] ? buf : NULL;
    default:
        return NULL;
    }
}

static const char *item_of(const struct ta_event *ev, char *buf)
{
    const char *it = item_raw(ev, buf);
    if (it != NULL && it != buf && strnlen(it, ITEM_MAX + 1) > ITEM_MAX) {
        memcpy(buf, it, ITEM_MAX);
        buf[ITEM_MAX] = '\0';
        return buf;
    }
    return it;
}

/* ---- the open batch's rollups ---- */

/* Key prefix: kind, src cc, dst cc (2 bytes each, zero padded). */
static size_t key_prefix(uint8_t *k, const struct ta_event *ev)
{
    k[0] = (uint8_t)ev->kind;
    for (int i = 0; i < 2; i++) {
        char a = i < (int)strnlen(ev->attacker.cc, 2) ? ev->attacker.cc[i] : 0;
        char v = i < (int)strnlen(ev->victim.cc, 2) ? ev->victim.cc[i] : 0;
        k[1 + i] = (uint8_t)((a >= 'a' && a <= 'z') ? a - 32 : a);
        k[3 + i] = (uint8_t)((v >= 'a' && v <= 'z') ? v - 32 : v);
    }
    return 5;
}

static size_t ip_bytes(const struct ta_addr *a, const uint8_t **p)
{
    *p = a->b;
    if (a->family == 4) {
        *p = a->b + 12;
        return 4;
    }
    if (a->family == 6) {
        *p = a->b;
        return 16;
    }
    return 0;
}

static void mem_drop(struct ta_store *st)
{
    ta__kset_release(&st->tuples);
    ta__kset_release(&st->counters);
    ta__kset_release(&st->supp);
    ta__kset_release(&st->zones);
}

static size_t mem_bytes(const struct ta_store *st)
{
    return ta__kset_bytes(&st->tuples) + ta__kset_bytes(&st->counters) + ta__kset_bytes(&st->supp) +
           ta__kset_bytes(&st->zones);
}

/* Tuple key: set, prefix, day (4 bytes BE), member. */
static bool mem_tuple(struct ta_store *st, int set, const uint8_t *prefix, uint32_t day,
                      const void *member, size_t mlen)
{
    uint8_t k[10 + ITEM_MAX];
    k[0] = (uint8_t)set;
    memcpy(k + 1, prefix, 5);
    k[6] = (uint8_t)(day >> 24);
    k[7] = (uint8_t)(day >> 16);
    k[8] = (uint8_t)(day >> 8);
    k[9] = (uint8_t)day;
    memcpy(k + 10, member, mlen);
    uint64_t *v = ta__kset_get(&st->tuples, k, 10 + mlen, NULL);
    if (v == NULL)
        return false;
    v[0]++;
    return true;
}

static bool is_c2(enum ta_event_kind k)
{
    return k == TA_EVENT_C2 || k == TA_EVENT_C2_SUSPECTED;
}

/*
 * Add a new event to the batch's rollups, with the conditions of `sets`
 * (store_day_* and delete_run must agree with this function).
 */
static bool mem_record(struct ta_store *st, const struct ta_event *ev, const char *item, int64_t id)
{
    uint8_t pre[5], k[16 + ITEM_MAX];
    key_prefix(pre, ev);
    int64_t d = ta_store_day(ev->ts);
    uint32_t day = (uint32_t)d;
    const uint8_t *ip = NULL;
    bool ok = true;
    memcpy(k, pre, 5);
    memcpy(k + 5, &day, 4);
    if (ev->suppressed_by != NULL) {
        size_t l = strnlen(ev->suppressed_by, ITEM_MAX);
        memcpy(k + 9, ev->suppressed_by, l);
        uint64_t *v = ta__kset_get(&st->supp, k, 9 + l, NULL);
        if (v == NULL)
            return false;
        v[0]++;
    } else {
        const uint8_t *vip = NULL;
        size_t an = ip_bytes(&ev->attacker.ip, &ip), vn = ip_bytes(&ev->victim.ip, &vip);
        if (an > 0)
            ok = mem_tuple(st, SET_ATTACKER, pre, day, ip, an);
        if (ok && vn > 0 && (is_c2(ev->kind) || ev->kind == TA_EVENT_PAYLOAD))
            ok = mem_tuple(st, SET_VICTIM, pre, day, vip, vn);
        if (ok && item != NULL)
            ok = mem_tuple(st, SET_ITEM, pre, day, item, strlen(item));
        if (ok && vn > 0 && is_c2(ev->kind) && ev->established)
            ok = mem_tuple(st, SET_VICTIM_EST, pre, day, vip, vn);
        if (ok && an > 0 && is_c2(ev->kind) && !ev->undated)
            ok = mem_tuple(st, SET_ATTACKER_DATED, pre, day, ip, an);
        uint64_t *v = ok ? ta__kset_get(&st->counters, k, 9, NULL) : NULL;
        if (v == NULL)
            return false;
        v[0]++;
        /* A visit is a flow; the identity makes one event per flow and kind. */
        if (ev->kind == TA_EVENT_PHISHING || ev->kind == TA_EVENT_PHISHING_SUSPECTED)
            v[1]++;
    }
    /* Widen the zone of (kind, day) to include this event's id. */
    k[0] = (uint8_t)ev->kind;
    memcpy(k + 1, &d, 8);
    bool created;
    uint64_t *v = ta__kset_get(&st->zones, k, 9, &created);
    if (v == NULL)
        return false;
    if (created || (uint64_t)id < v[0])
        v[0] = (uint64_t)id;
    if (created || (uint64_t)id > v[1])
        v[1] = (uint64_t)id;
    return true;
}

/* Members (at k + 10) as SQLite compares blobs and text. */
static int cmp_member(const uint8_t *ka, size_t la, const uint8_t *kb, size_t lb)
{
    size_t ma = la - 10, mb = lb - 10;
    int c = memcmp(ka + 10, kb + 10, ma < mb ? ma : mb);
    if (c)
        return c;
    return ma == mb ? 0 : ma < mb ? -1 : 1;
}

static int cmp_tuple(const void *a, const void *b, void *ctx)
{
    const struct ta__kset *s = ctx;
    size_t la, lb;
    const uint8_t *ka = ta__kset_key(s, *(const uint32_t *)a, &la);
    const uint8_t *kb = ta__kset_key(s, *(const uint32_t *)b, &lb);
    /* (set, kind, src, dst), member, then day: the order of the spans, so
     * a member's days are consecutive. */
    int c = memcmp(ka, kb, 6);
    if (c == 0)
        c = cmp_member(ka, la, kb, lb);
    return c ? c : memcmp(ka + 6, kb + 6, 4);
}

/* (set, kind, src, dst), day, then member: the primary-key order of the
 * per-day tables. */
static int cmp_tuple_day(const void *a, const void *b, void *ctx)
{
    const struct ta__kset *s = ctx;
    size_t la, lb;
    const uint8_t *ka = ta__kset_key(s, *(const uint32_t *)a, &la);
    const uint8_t *kb = ta__kset_key(s, *(const uint32_t *)b, &lb);
    int c = memcmp(ka, kb, 10);
    return c ? c : cmp_member(ka, la, kb, lb);
}

static int64_t tuple_day(const uint8_t *k)
{
    return (int64_t)((uint32_t)k[6] << 24 | (uint32_t)k[7] << 16 | (uint32_t)k[8] << 8 | k[9]);
}

/* Same set, kind, pair and member (any day). */
static bool same_member(const struct ta__kset *s, uint32_t a, uint32_t b)
{
    size_t la, lb;
    const uint8_t *ka = ta__kset_key(s, a, &la);
    const uint8_t *kb = ta__kset_key(s, b, &lb);
    return la == lb && memcmp(ka, kb, 6) == 0 && memcmp(ka + 10, kb + 10, la - 10) == 0;
}

static void bind_key_cc(sqlite3_stmt *s, int col, const uint8_t *cc)
{
    sqlite3_bind_text(s, col, (const char *)cc, cc[0] ? (cc[1] ? 2 : 1) : 0, SQLITE_STATIC);
}

/* Bind (kind, src, dst, member) of tuple key k (member of mlen bytes at k + 10). */
static void bind_member(sqlite3_stmt *s, const uint8_t *k, size_t mlen)
{
    sqlite3_bind_int(s, 1, k[1]);
    bind_key_cc(s, 2, k + 2);
    bind_key_cc(s, 3, k + 4);
    if (k[0] == SET_ITEM)
        sqlite3_bind_text(s, 4, (const char *)k + 10, (int)mlen, SQLITE_STATIC);
    else
        sqlite3_bind_blob(s, 4, k + 10, (int)mlen, SQLITE_STATIC);
}

/* Shape key: set, kind, src, dst, gap, lo (4), hi (4). */
static bool shape_add(struct ta__kset *shape, const uint8_t *k, int gap, int64_t lo, int64_t hi,
                      int64_t delta)
{
    uint8_t sk[15];
    memcpy(sk, k, 6);
    sk[6] = (uint8_t)gap;
    uint32_t l = (uint32_t)lo, h = (uint32_t)hi;
    memcpy(sk + 7, &l, 4);
    memcpy(sk + 11, &h, 4);
    uint64_t *v = ta__kset_get(shape, sk, sizeof(sk), NULL);
    if (v == NULL)
        return false;
    *v += (uint64_t)delta;
    return true;
}

/* The gaps between the sorted days d[0..n). */
static bool gaps_add(struct ta__kset *shape, const uint8_t *k, const int64_t *d, size_t n,
                     int64_t delta)
{
    for (size_t i = 1; i < n; i++)
        if (d[i] - d[i - 1] > 1 && !shape_add(shape, k, 1, d[i - 1] + 1, d[i] - 1, delta))
            return false;
    return true;
}

/*
 * One member's change of shape (store_shape_*) by this batch's days of it
 * (the cnt tuples at idx, in day order), as deltas into shape; its span
 * before (the spans cache, else store_span_*) and after is kept in the
 * cache. Captures are analysed in time order, so the batch's days usually
 * all follow the member's last day (or precede its first): only the gaps
 * next to that end change, with no read of its days. A batch reaching
 * inside the span reads them. *write_span: the span grows.
 */
static ta_err member_shape(struct ta_store *st, struct ta__kset *shape, const uint32_t *idx,
                           size_t cnt, bool *write_span)
{
    size_t len;
    const uint8_t *k = ta__kset_key(&st->tuples, idx[0], &len);
    size_t mlen = len - 10;
    int set = k[0];
    ta_err err = TA_OK;
    int64_t *b = malloc(cnt * sizeof(*b)), *o = NULL, *nd = NULL;
    if (b == NULL)
        return TA_ERR_NOMEM;
    for (size_t i = 0; i < cnt; i++) {
        size_t l2;
        const uint8_t *t = ta__kset_key(&st->tuples, idx[i], &l2);
        b[i] = (int64_t)((uint32_t)t[6] << 24 | (uint32_t)t[7] << 16 | (uint32_t)t[8] << 8 | t[9]);
    }
    uint8_t sk[6 + ITEM_MAX];
    memcpy(sk, k, 6);
    memcpy(sk + 6, k + 10, mlen);
    bool created = true, known = false;
    uint64_t *sp = ta__kset_get(&st->spans, sk, 6 + mlen, &created);
    int64_t f = 0, l = 0;
    if (sp != NULL && !created) {
        known = true;
        f = (int64_t)sp[0] - 1;
        l = (int64_t)sp[1] - 1;
    } else {
        sqlite3_stmt *s = stmt(st, ST_SPANGET0 + set);
        if (s == NULL) {
            err = TA_ERR_DB;
            goto out;
        }
        bind_member(s, k, mlen);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            known = true;
            f = sqlite3_column_int64(s, 0);
            l = sqlite3_column_int64(s, 1);
        } else if (rc != SQLITE_DONE) {
            err = ta__store_dberr(st, "read span");
            goto out;
        }
        sqlite3_reset(s);
    }
    /* o: the member's days that bound the change (all of them when the
     * batch reaches inside its span). */
    size_t no = 0, cap = 2;
    if (known) {
        o = malloc(cap * sizeof(*o));
        if (o == NULL) {
            err = TA_ERR_NOMEM;
            goto out;
        }
        if (b[0] >= l || b[cnt - 1] <= f) {
            o[no++] = b[0] >= l ? l : f;
        } else {
            sqlite3_stmt *s = stmt(st, ST_DAYS0 + set);
            if (s == NULL) {
                err = TA_ERR_DB;
                goto out;
            }
            bind_member(s, k, mlen);
            sqlite3_bind_int64(s, 5, f);
            sqlite3_bind_int64(s, 6, l);
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                if (no == cap) {
                    int64_t *g = realloc(o, 2 * cap * sizeof(*o));
                    if (g == NULL) {
                        sqlite3_reset(s);
                        err = TA_ERR_NOMEM;
                        goto out;
                    }
                    o = g;
                    cap *= 2;
                }
                o[no++] = sqlite3_column_int64(s, 0);
            }
            sqlite3_reset(s);
            if (rc != SQLITE_DONE) {
                err = ta__store_dberr(st, "read member days");
                goto out;
            }
        }
    }
    /* nd: o and the batch's days, merged. */
    nd = malloc((no + cnt) * sizeof(*nd));
    if (nd == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    size_t nn = 0, i = 0, j = 0;
    while (i < no || j < cnt) {
        int64_t v = j == cnt || (i < no && o[i] <= b[j]) ? o[i++] : b[j++];
        if (nn == 0 || nd[nn - 1] != v)
            nd[nn++] = v;
    }
    /* o may hold one end of the span only. */
    int64_t nf = known && f < nd[0] ? f : nd[0], nl = known && l > nd[nn - 1] ? l : nd[nn - 1];
    bool ok = gaps_add(shape, k, o, no, -1) && gaps_add(shape, k, nd, nn, 1);
    if (ok && (!known || nf != f || nl != l))
        ok = (!known || shape_add(shape, k, 0, f, l, -1)) && shape_add(shape, k, 0, nf, nl, 1);
    if (!ok) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    *write_span = !known || nf < f || nl > l;
    if (sp != NULL) {
        sp[0] = (uint64_t)nf + 1;
        sp[1] = (uint64_t)nl + 1;
    }
out:
    free(b);
    free(o);
    free(nd);
    return err;
}

/* Write the batch's shape deltas. */
static ta_err flush_shapes(struct ta_store *st, struct ta__kset *shape)
{
    for (size_t i = 0; i < shape->n; i++) {
        int64_t delta = (int64_t)shape->vals[i];
        if (delta == 0)
            continue;
        size_t len;
        const uint8_t *k = ta__kset_key(shape, i, &len);
        uint32_t lo, hi;
        memcpy(&lo, k + 7, 4);
        memcpy(&hi, k + 11, 4);
        for (int z = 0; z < (delta < 0 ? 2 : 1); z++) {
            sqlite3_stmt *s = stmt(st, (z ? ST_SHAPEZ0 : ST_SHAPE0) + k[0]);
            if (s == NULL)
                return TA_ERR_DB;
            sqlite3_bind_int(s, 1, k[1]);
            bind_key_cc(s, 2, k + 2);
            bind_key_cc(s, 3, k + 4);
            sqlite3_bind_int(s, 4, k[6]);
            sqlite3_bind_int64(s, 5, lo);
            sqlite3_bind_int64(s, 6, hi);
            if (z == 0)
                sqlite3_bind_int64(s, 7, delta);
            if (sqlite3_step(s) != SQLITE_DONE)
                return ta__store_dberr(st, "write shapes");
        }
    }
    return TA_OK;
}

/*
 * Reorder idx[0..n), sorted by cmp_tuple (member before day), into
 * cmp_tuple_day order: within each (set, kind, pair) a stable counting sort
 * by day keeps the members in order, in linear time (the comparison sort
 * it replaces cost as much as the rest of the rollups); a pair whose days
 * span too far for the counts falls back to the comparison sort.
 */
#define DAY_SORT_SPAN 4096
static ta_err sort_by_day(const struct ta__kset *t, uint32_t *idx, size_t n)
{
    uint32_t *tmp = n > 1 ? malloc(n * sizeof(*tmp)) : NULL;
    size_t *cnt = n > 1 ? malloc((DAY_SORT_SPAN + 1) * sizeof(*cnt)) : NULL;
    if (n > 1 && (tmp == NULL || cnt == NULL)) {
        free(tmp);
        free(cnt);
        return TA_ERR_NOMEM;
    }
    for (size_t a = 0; a < n;) {
        size_t la;
        const uint8_t *ka = ta__kset_key(t, idx[a], &la);
        int64_t lo = tuple_day(ka), hi = lo;
        size_t b = a + 1;
        for (; b < n; b++) {
            size_t lb;
            const uint8_t *kb = ta__kset_key(t, idx[b], &lb);
            if (memcmp(ka, kb, 6) != 0)
                break;
            int64_t d = tuple_day(kb);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        if (b - a > 1 && hi - lo >= DAY_SORT_SPAN) {
            qsort_r(idx + a, b - a, sizeof(*idx), cmp_tuple_day, (void *)t);
        } else if (b - a > 1) {
            size_t span = (size_t)(hi - lo) + 1;
            memset(cnt, 0, (span + 1) * sizeof(*cnt));
            for (size_t i = a; i < b; i++) {
                size_t l;
                cnt[tuple_day(ta__kset_key(t, idx[i], &l)) - lo + 1]++;
            }
            for (size_t d = 1; d <= span; d++)
                cnt[d] += cnt[d - 1];
            for (size_t i = a; i < b; i++) {
                size_t l;
                tmp[cnt[tuple_day(ta__kset_key(t, idx[i], &l)) - lo]++] = idx[i];
            }
            memcpy(idx + a, tmp, (b - a) * sizeof(*idx));
        }
        a = b;
    }
    free(tmp);
    free(cnt);
    return TA_OK;
}

/* Write the batch's rollups (inside its transaction) and empty them. */
static ta_err flush_rollups(struct ta_store *st)
{
    ta_err err = TA_OK;
    uint32_t *idx = NULL;
    size_t n = st->tuples.n;
    if (n > 0) {
        idx = malloc(n * sizeof(*idx));
        if (idx == NULL)
            return TA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    if (n > 1)
        qsort_r(idx, n, sizeof(*idx), cmp_tuple, &st->tuples);
    /* Member order first: runs of the same member give its shape change and
     * its span in this batch (the spans are keyed by member). */
    struct ta__kset shape;
    ta__kset_init(&shape, 1);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && same_member(&st->tuples, idx[j - 1], idx[j]))
            j++;
        bool write_span = false;
        if ((err = member_shape(st, &shape, idx + i, j - i, &write_span)) != TA_OK)
            goto out;
        if (write_span) {
            size_t len;
            const uint8_t *k = ta__kset_key(&st->tuples, idx[i], &len);
            size_t ll;
            const uint8_t *kl = ta__kset_key(&st->tuples, idx[j - 1], &ll);
            sqlite3_stmt *s = stmt(st, ST_SPAN0 + k[0]);
            if (s == NULL)
                goto out_err;
            bind_member(s, k, len - 10);
            sqlite3_bind_int64(s, 5, tuple_day(k));
            sqlite3_bind_int64(s, 6, tuple_day(kl));
            if (sqlite3_step(s) != SQLITE_DONE)
                goto out_dberr;
        }
        i = j;
    }
    /* Then the per-day rows in their primary-key order (day before member),
     * so the upserts walk each B-tree once, near its end. */
    if ((err = sort_by_day(&st->tuples, idx, n)) != TA_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->tuples, idx[i], &len);
        sqlite3_stmt *s = stmt(st, ST_DAY0 + k[0]);
        if (s == NULL)
            goto out_err;
        bind_member(s, k, len - 10);
        sqlite3_bind_int64(s, 5, tuple_day(k));
        sqlite3_bind_int64(s, 6, (sqlite3_int64)st->tuples.vals[idx[i]]);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out_dberr;
    }
    if ((err = flush_shapes(st, &shape)) != TA_OK)
        goto out;
    for (size_t i = 0; i < st->counters.n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->counters, i, &len);
        uint32_t day;
        memcpy(&day, k + 5, 4);
        sqlite3_stmt *s = stmt(st, ST_COUNT);
        if (s == NULL)
            goto out_err;
        sqlite3_bind_int(s, 1, k[0]);
        bind_key_cc(s, 2, k + 1);
        bind_key_cc(s, 3, k + 3);
        sqlite3_bind_int64(s, 4, (int64_t)day);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)st->counters.vals[2 * i]);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)st->counters.vals[2 * i + 1]);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out_dberr;
    }
    for (size_t i = 0; i < st->supp.n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->supp, i, &len);
        uint32_t day;
        memcpy(&day, k + 5, 4);
        sqlite3_stmt *s = stmt(st, ST_SUPP);
        if (s == NULL)
            goto out_err;
        sqlite3_bind_int(s, 1, k[0]);
        bind_key_cc(s, 2, k + 1);
        bind_key_cc(s, 3, k + 3);
        sqlite3_bind_int64(s, 4, (int64_t)day);
        sqlite3_bind_text(s, 5, (const char *)k + 9, (int)(len - 9), SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)st->supp.vals[i]);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out_dberr;
    }
    for (size_t i = 0; i < st->zones.n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->zones, i, &len);
        int64_t day;
        memcpy(&day, k + 1, 8);
        sqlite3_stmt *s = stmt(st, ST_ZONE);
        if (s == NULL)
            goto out_err;
        sqlite3_bind_int(s, 1, k[0]);
        sqlite3_bind_int64(s, 2, day);
        sqlite3_bind_int64(s, 3, st->run_id);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)st->zones.vals[2 * i]);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)st->zones.vals[2 * i + 1]);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out_dberr;
    }
    /* The run's own row: counts and time range so far. */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE store_run SET n_new = n_new + %llu, n_known = n_known + %llu,"
             " ts_first = CASE WHEN %lld = 0 THEN ts_first WHEN ts_first = 0 THEN %lld"
             " ELSE MIN(ts_first, %lld) END,"
             " ts_last = MAX(ts_last, %lld), last_commit = %lld WHERE id = %lld",
             (unsigned long long)st->b_new, (unsigned long long)st->b_known,
             (long long)st->ev_first, (long long)st->ev_first, (long long)st->ev_first,
             (long long)st->ev_last, (long long)time(NULL), (long long)st->run_id);
    if ((err = exec(st, sql, "update run")) != TA_OK)
        goto out;
    st->b_new = st->b_known = 0;
    mem_drop(st);
    mem_init(st);
    if (ta__kset_bytes(&st->spans) > st->memcap / 4) {
        ta__kset_release(&st->spans);
        ta__kset_init(&st->spans, 2);
    }
    goto out;

out_dberr:
    err = ta__store_dberr(st, "write rollups");
    goto out;
out_err:
    err = TA_ERR_DB;
out:
    ta__kset_release(&shape);
    free(idx);
    return err;
}

static ta_err commit_batch(struct ta_store *st)
{
    ta_err err;
    if ((err = flush_rollups(st)) != TA_OK || (err = txn_commit(st, "commit event batch")))
        return err;
    st->in_txn = false;
    st->batch = 0;
    st->stats.commits++;
    return TA_OK;
}

#define BODY_MAX 512

static void kc_clear(struct keycache *kc)
{
    free(kc->t);
    kc->t = NULL;
    kc->cap = kc->n = kc->nbuckets = 0;
}

static bool kc_has(const struct keycache *kc, uint64_t k)
{
    if (kc->cap == 0)
        return false;
    for (size_t j = (size_t)mix64(0, k) & (kc->cap - 1);; j = (j + 1) & (kc->cap - 1)) {
        if (kc->t[j] == k)
            return true;
        if (kc->t[j] == 0)
            return false;
    }
}

/* false when out of memory or past the cap (the caller clears the cache). */
static bool kc_add(struct keycache *kc, uint64_t k)
{
    if (k == 0)
        return true;
    if ((kc->n + 1) * 2 > kc->cap) {
        size_t cap = kc->cap ? kc->cap * 2 : 4096;
        if (kc->n + 1 > KC_MAX_KEYS)
            return false;
        uint64_t *t = calloc(cap, sizeof(*t));
        if (t == NULL)
            return false;
        for (size_t i = 0; i < kc->cap; i++) {
            if (kc->t[i] == 0)
                continue;
            size_t j = (size_t)mix64(0, kc->t[i]) & (cap - 1);
            while (t[j] != 0)
                j = (j + 1) & (cap - 1);
            t[j] = kc->t[i];
        }
        free(kc->t);
        kc->t = t;
        kc->cap = cap;
    }
    size_t j = (size_t)mix64(0, k) & (kc->cap - 1);
    while (kc->t[j] != 0 && kc->t[j] != k)
        j = (j + 1) & (kc->cap - 1);
    if (kc->t[j] == 0) {
        kc->t[j] = k;
        kc->n++;
    }
    return true;
}

/*
 * Make sure the bucket of key is in the cache. *usable = false when the
 * cache cannot hold it (then the caller asks SQL).
 */
static ta_err kc_load(struct ta_store *st, int64_t key, bool *usable)
{
    struct keycache *kc = &st->kc;
    int64_t b = (int64_t)((uint64_t)key >> KEY_BITS);
    *usable = true;
    for (size_t i = 0; i < kc->nbuckets; i++)
        if (kc->bucket[i] == b)
            return TA_OK;
    if (kc->nbuckets == KC_BUCKETS)
        kc_clear(kc);
    sqlite3_stmt *s = stmt(st, ST_BUCKET);
    if (s == NULL)
        return TA_ERR_DB;
    sqlite3_bind_int64(s, 1, (int64_t)((uint64_t)b << KEY_BITS));
    sqlite3_bind_int64(s, 2, (int64_t)((uint64_t)b << KEY_BITS | ((1ull << KEY_BITS) - 1)));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*usable && !kc_add(kc, (uint64_t)sqlite3_column_int64(s, 0)))
            *usable = false;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return ta__store_dberr(st, "load identity keys");
    if (!*usable) {
        kc_clear(kc);
        return TA_OK;
    }
    kc->bucket[kc->nbuckets++] = b;
    return TA_OK;
}

/* At each batch: forget the cache if another connection wrote meanwhile. */
static ta_err kc_check(struct ta_store *st)
{
    sqlite3_stmt *s = stmt(st, ST_DATAVER);
    if (s == NULL)
        return TA_ERR_DB;
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return ta__store_dberr(st, "data version");
    }
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (v != st->kc.data_version) {
        kc_clear(&st->kc);
        ta__kset_release(&st->spans);
        ta__kset_init(&st->spans, 2);
    }
    st->kc.data_version = v;
    return TA_OK;
}

/*
 * The stored event this one is a copy of: same identity key, flow start
 * within the skew (the first found: two stored events of one key within
 * twice the skew of each other are not expected). *id = 0 if none.
 */
static ta_err find_copy(struct ta_store *st, uint64_t h, ta_time_us t, ta_time_us skew, int64_t *id)
{
    *id = 0;
    ta_time_us lo = t > skew ? t - skew : 0, hi = t + skew;
    int64_t keys[2] = {ident_key(h, lo), ident_key(h, hi)};
    for (int i = 0; i < (keys[0] == keys[1] ? 1 : 2) && *id == 0; i++) {
        bool usable;
        ta_err err = kc_load(st, keys[i], &usable);
        if (err != TA_OK)
            return err;
        if (usable && !kc_has(&st->kc, (uint64_t)keys[i]))
            continue;
        sqlite3_stmt *s = stmt(st, ST_LOOKUP);
        if (s == NULL)
            return TA_ERR_DB;
        sqlite3_bind_int64(s, 1, keys[i]);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)lo);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)hi);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            *id = sqlite3_column_int64(s, 0);
        else if (rc != SQLITE_DONE)
            return ta__store_dberr(st, "find event");
        sqlite3_reset(s);
    }
    return TA_OK;
}

/* A copy of stored event id: add this run's sighting, once. */
static ta_err sight(struct ta_store *st, int64_t id, bool *added)
{
    sqlite3_stmt *s = stmt(st, ST_SIGHT);
    if (s == NULL)
        return TA_ERR_DB;
    sqlite3_bind_int64(s, 1, st->run_id);
    sqlite3_bind_int64(s, 2, id);
    if (sqlite3_step(s) != SQLITE_DONE)
        return ta__store_dberr(st, "add sighting");
    *added = sqlite3_changes(st->db) > 0;
    return TA_OK;
}

/* Insert one event into the open batch (committing it when full). */
static ta_err insert_event(struct ta_store *st, const struct ta_event *ev)
{
    ta_err err;
    if (!st->in_txn) {
        if ((err = txn_begin(st, "begin event batch")) != TA_OK)
            return err;
        st->in_txn = true;
        if ((err = kc_check(st)) != TA_OK)
            return err;
    }
    uint64_t h = ident_hash(ev);
    ta_time_us t = ident_time(ev);
    int64_t copy;
    if ((err = find_copy(st, h, t, ev->flow_start ? st->skew : 0, &copy)) != TA_OK)
        return err;
    if (copy != 0) {
        /* A run has seen the events it stored (id range): no sighting row
         * for those, which saves a B-tree insert per new event. */
        bool added = false;
        if ((uint64_t)copy >> 32 != (uint64_t)st->run_id &&
            (err = sight(st, copy, &added)) != TA_OK)
            return err;
        if (added) {
            sqlite3_stmt *s = stmt(st, ST_NRUNS);
            if (s == NULL)
                return TA_ERR_DB;
            sqlite3_bind_int64(s, 1, copy);
            if (sqlite3_step(s) != SQLITE_DONE)
                return ta__store_dberr(st, "count sighting");
            st->stats.events_known++;
            st->b_known++;
        } else {
            st->stats.events_repeat++;
        }
    } else {
        sqlite3_stmt *s = st->ins_event;
        sqlite3_reset(s);
        sqlite3_bind_int(s, 1, (int)ev->kind);
        sqlite3_bind_int(s, 2, (int)ev->method);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)ev->ts);
        sqlite3_bind_int64(s, 4, ta_store_day(ev->ts));
        sqlite3_bind_int64(s, 5, (sqlite3_int64)ev->flow_id);
        sqlite3_bind_int(s, 6, ev->proto);
        char cc_up[2][3];
        bind_side(s, 7, &ev->attacker, cc_up[0]);
        bind_side(s, 13, &ev->victim, cc_up[1]);
        sqlite3_bind_int(s, 19, ev->confidence);
        bind_opt(s, 20, ev->signature);
        bind_opt(s, 21, ev->family);
        bind_opt(s, 22, ev->indicator);
        bind_opt(s, 23, ev->indicator_type);
        bind_opt(s, 24, ev->sources);
        bind_opt(s, 25, ev->hostname);
        bind_opt(s, 26, ev->url);
        bind_opt(s, 27, ev->dns_answer);
        if (ev->body != NULL && ev->body_len > 0)
            sqlite3_bind_blob(s, 28, ev->body,
                              (int)(ev->body_len < BODY_MAX ? ev->body_len : BODY_MAX),
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 28);
        char itembuf[ITEM_MAX + 1];
        const char *item = item_of(ev, itembuf);
        bind_opt(s, 29, item);
        int64_t id = event_id(st->run_id, st->seq);
        sqlite3_bind_int64(s, 30, id);
        sqlite3_bind_int64(s, 31, ident_key(h, t));
        sqlite3_bind_int64(s, 32, (sqlite3_int64)t);
        sqlite3_bind_int64(s, 33, ev->tx_index);
        sqlite3_bind_int(s, 34, ev->established);
        sqlite3_bind_int(s, 35, ev->undated);
        bind_opt(s, 36, ev->suppressed_by);
        if (sqlite3_step(s) != SQLITE_DONE)
            return ta__store_dberr(st, "insert event");
        /* Every parameter is bound again for the next event, so the bindings
         * (which point into ev and this frame) are not cleared: they are never
         * used after this step. */
        /* Its bucket was loaded by find_copy (the flow start's bucket is one
         * of the window's); past the cache's cap it is simply not cached. */
        if (!kc_add(&st->kc, (uint64_t)ident_key(h, t)))
            kc_clear(&st->kc);
        if (!mem_record(st, ev, item, id))
            return TA_ERR_NOMEM;
        st->seq++;
        st->stats.events_new++;
        st->b_new++;
    }
    if (st->ev_first == 0 || ev->ts < st->ev_first)
        st->ev_first = ev->ts;
    if (ev->ts > st->ev_last)
        st->ev_last = ev->ts;
    st->stats.events++;
    if (++st->batch >= st->batch_max || mem_bytes(st) > st->memcap) {
        if (st->batch < st->batch_max)
            st->stats.mem_overflows++;
        return commit_batch(st);
    }
    return TA_OK;
}

/* Copy n bytes of p (NUL-terminated if text) into the arena. */
static const void *pend_copy(struct ta_store *st, const void *p, size_t n, bool text)
{
    char *d = st->pend_arena + st->pend_used;
    memcpy(d, p, n);
    if (text)
        d[n++] = '\0';
    st->pend_used += n;
    return d;
}

static const char *pend_str(struct ta_store *st, const char *v)
{
    return v ? pend_copy(st, v, strlen(v), true) : NULL;
}

/* Insert the buffered events; on error the rest are dropped (the run can
 * then only be aborted, and resumed by a rerun). */
static ta_err pend_flush(struct ta_store *st)
{
    ta_err err = TA_OK;
    for (size_t i = 0; i < st->npend && err == TA_OK; i++)
        err = insert_event(st, &st->pend[i]);
    st->npend = 0;
    st->pend_used = 0;
    return err;
}

/* Bytes of ev's strings and body as buffered. */
static size_t pend_size(const struct ta_event *ev)
{
    const char *v[] = {ev->attacker.as_name, ev->victim.as_name, ev->signature,
                       ev->family,           ev->indicator,      ev->indicator_type,
                       ev->sources,          ev->hostname,       ev->url,
                       ev->dns_answer,       ev->page,           ev->website,
                       ev->suppressed_by};
    size_t n = ev->body ? (ev->body_len < BODY_MAX ? ev->body_len : BODY_MAX) : 0;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        n += v[i] ? strlen(v[i]) + 1 : 0;
    return n;
}

ta_err ta_store_add_event(struct ta_store *st, const struct ta_event *ev)
{
    TA__STORE_FWD(st, add_event, st, ev);
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    if ((unsigned)ev->kind >= TA_EVENT_KIND__COUNT) {
        snprintf(st->errmsg, sizeof(st->errmsg), "invalid event kind %d", (int)ev->kind);
        return TA_ERR_ARG;
    }
    if (st->seq + st->npend >= EVENTS_PER_RUN - 1) {
        snprintf(st->errmsg, sizeof(st->errmsg), "too many events in one run");
        return TA_ERR_LIMIT;
    }
    if (st->pend == NULL) {
        st->pend = malloc(PEND_MAX * sizeof(*st->pend));
        st->pend_arena = malloc(PEND_ARENA);
        if (st->pend == NULL || st->pend_arena == NULL) {
            free(st->pend);
            free(st->pend_arena);
            st->pend = NULL;
            st->pend_arena = NULL;
            /* Without the buffer, insert directly. */
            return insert_event(st, ev);
        }
    }
    size_t need = pend_size(ev);
    ta_err err;
    if (st->pend_used + need > PEND_ARENA && (err = pend_flush(st)) != TA_OK)
        return err;
    if (need > PEND_ARENA)
        return insert_event(st, ev); /* huge evidence strings: not buffered */
    struct ta_event *c = &st->pend[st->npend++];
    *c = *ev;
    c->attacker.as_name = pend_str(st, ev->attacker.as_name);
    c->victim.as_name = pend_str(st, ev->victim.as_name);
    c->signature = pend_str(st, ev->signature);
    c->family = pend_str(st, ev->family);
    c->indicator = pend_str(st, ev->indicator);
    c->indicator_type = pend_str(st, ev->indicator_type);
    c->sources = pend_str(st, ev->sources);
    c->hostname = pend_str(st, ev->hostname);
    c->url = pend_str(st, ev->url);
    c->dns_answer = pend_str(st, ev->dns_answer);
    c->page = pend_str(st, ev->page);
    c->website = pend_str(st, ev->website);
    c->suppressed_by = pend_str(st, ev->suppressed_by);
    if (ev->body != NULL && ev->body_len > 0) {
        c->body_len = ev->body_len < BODY_MAX ? ev->body_len : BODY_MAX;
        c->body = pend_copy(st, ev->body, c->body_len, false);
    } else {
        c->body = NULL;
        c->body_len = 0;
    }
    /* Flush at PEND_MAX, and where the batch commits, so that batches
     * commit after the same events as without the buffer. */
    if (st->npend == PEND_MAX || st->batch + st->npend >= st->batch_max)
        return pend_flush(st);
    return TA_OK;
}

void ta_store_event_sink(void *ctx, const struct ta_event *ev)
{
    TA__STORE_FWD_VOID(ctx, event_sink, ctx, ev);
    struct ta_store *st = ctx;
    if (st->sticky != TA_OK)
        return;
    st->sticky = ta_store_add_event(st, ev);
}

/* Commit the rest of the open run; done marks it finished. */
static ta_err run_end(struct ta_store *st, ta_time_us first, ta_time_us last, bool done)
{
    TA__STORE_FWD(st, run_finish, st, first, last);
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    if (st->sticky != TA_OK) {
        ta_err e = st->sticky;
        ta_store_run_abort(st);
        return e;
    }
    ta_err err = pend_flush(st);
    if (err != TA_OK)
        goto out_abort;
    /* The last batch, its rollups and the state share one transaction. */
    if (!st->in_txn) {
        if ((err = txn_begin(st, "finish run")) != TA_OK || (err = kc_check(st)) != TA_OK)
            goto out_abort;
        st->in_txn = true;
    }
    if (first != 0 || last != 0) {
        st->ev_first = first;
        st->ev_last = last;
    }
    if ((err = flush_rollups(st)) != TA_OK)
        goto out_abort;
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE store_run SET state = 1, finished = %lld WHERE id = %lld",
             (long long)time(NULL), (long long)st->run_id);
    if ((done && (err = exec(st, sql, "finish run")) != TA_OK) ||
        (err = txn_commit(st, "finish run")) != TA_OK)
        goto out_abort;
    st->stats.commits++;
    st->in_txn = false;
    st->run_id = 0;
    mem_drop(st);
    ta__kset_release(&st->spans);
    return TA_OK;

out_abort:
    ta_store_run_abort(st);
    return err;
}

ta_err ta_store_run_finish(struct ta_store *st, ta_time_us first, ta_time_us last)
{
    return run_end(st, first, last, true);
}

ta_err ta__store_run_end(struct ta_store *st, ta_time_us first, ta_time_us last, bool done)
{
    return run_end(st, first, last, done);
}

ta_err ta_store_commit(struct ta_store *st)
{
    TA__STORE_FWD(st, commit, st);
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    if (st->sticky != TA_OK)
        return st->sticky;
    ta_err err = pend_flush(st);
    if (err == TA_OK && st->in_txn)
        err = commit_batch(st);
    if (err != TA_OK)
        st->sticky = err;
    return err;
}

ta_err ta_store_run_set_intel_version(struct ta_store *st, const char *version)
{
    TA__STORE_FWD(st, run_set_intel_version, st, version);
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "UPDATE store_run SET intel_version = ? WHERE id = ?", -1, &s,
                           NULL) != SQLITE_OK)
        return ta__store_dberr(st, "update run");
    sqlite3_bind_text(s, 1, nz(version), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, st->run_id);
    ta_err err = sqlite3_step(s) == SQLITE_DONE ? TA_OK : ta__store_dberr(st, "update run");
    sqlite3_finalize(s);
    return err;
}

ta_err ta_store_run_set_sources(struct ta_store *st, const char *sources)
{
    TA__STORE_FWD(st, run_set_sources, st, sources);
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    if (!st->has_sources)
        return TA_OK;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "UPDATE store_run SET sources = ? WHERE id = ?", -1, &s, NULL) !=
        SQLITE_OK)
        return ta__store_dberr(st, "update run");
    sqlite3_bind_text(s, 1, nz(sources), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, st->run_id);
    ta_err err = sqlite3_step(s) == SQLITE_DONE ? TA_OK : ta__store_dberr(st, "update run");
    sqlite3_finalize(s);
    return err;
}

bool ta_store_pending(const struct ta_store *st)
{
    TA__STORE_FWD(st, pending, st);
    return st->npend > 0 || st->in_txn;
}

void ta_store_run_abort(struct ta_store *st)
{
    TA__STORE_FWD_VOID(st, run_abort, st);
    if (st->in_txn)
        txn_rollback(st);
    st->in_txn = false;
    st->run_id = 0;
    st->batch = 0;
    st->npend = 0;
    st->pend_used = 0;
    mem_drop(st);
    ta__kset_release(&st->spans);
}

void ta_store_set_memcap(struct ta_store *st, size_t bytes)
{
    TA__STORE_FWD_VOID(st, set_memcap, st, bytes);
    st->memcap = bytes;
}

size_t ta__store_memcap(const struct ta_store *st)
{
    return st->memcap;
}

void ta_store_set_batch(struct ta_store *st, unsigned events)
{
    TA__STORE_FWD_VOID(st, set_batch, st, events);
    st->batch_max = events ? events : TA_STORE_BATCH;
}

/* The SQLite store writes its rollups with the events in one transaction:
 * there is nothing to defer. */
ta_err ta_store_bulk_begin(struct ta_store *st)
{
    TA__STORE_FWD(st, bulk_begin, st);
    snprintf(st->errmsg, sizeof(st->errmsg), "a bulk load needs a ClickHouse store");
    return TA_ERR_UNSUPPORTED;
}

ta_err ta_store_bulk_end(struct ta_store *st, uint64_t slice_groups)
{
    TA__STORE_FWD(st, bulk_end, st, slice_groups);
    snprintf(st->errmsg, sizeof(st->errmsg), "a bulk load needs a ClickHouse store");
    return TA_ERR_UNSUPPORTED;
}

ta_err ta_store_set_skew(struct ta_store *st, ta_time_us skew)
{
    TA__STORE_FWD(st, set_skew, st, skew);
    if (skew > TA_STORE_SKEW_MAX_US)
        return TA_ERR_ARG;
    st->skew = skew;
    return TA_OK;
}

void ta_store_get_stats(const struct ta_store *st, struct ta_store_stats *out)
{
    TA__STORE_FWD_VOID(st, get_stats, st, out);
    *out = st->stats;
}

/* ---- shared with the other backends (store-int.h) ---- */

uint64_t ta__store_ident_hash(const struct ta_event *ev)
{
    return ident_hash(ev);
}

ta_time_us ta__store_ident_time(const struct ta_event *ev)
{
    return ident_time(ev);
}

int64_t ta__store_ident_key(uint64_t h, ta_time_us t)
{
    return ident_key(h, t);
}

const char *ta__store_item_of(const struct ta_event *ev, char *buf)
{
    return item_of(ev, buf);
}

size_t ta__store_body_max(void)
{
    return BODY_MAX;
}
