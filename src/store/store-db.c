/*
 * Store (stage 7): the SQLite database, its schema and the analysis runs.
 * See include/threatatlas/store.h for the contract and the crash-safety
 * design; the rollups are built in store_fold() when a run finishes.
 */
#include "store/store-int.h"
#include "store/store-kset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/banned.h"

struct ta_store {
    sqlite3 *db;
    bool has_tables;
    bool readonly;
    char errmsg[TA_STORE_ERRLEN];
    /* Open run. */
    int64_t run_id; /* 0 = none */
    bool in_txn;
    unsigned batch;
    unsigned batch_max;
    ta_err sticky;
    ta_time_us ev_first, ev_last;
    sqlite3_stmt *ins_event;
    struct ta_store_stats stats;
    /* The open run's rollups, collected in memory while mem_ok. */
    bool mem_ok;
    size_t memcap;
    /* zones: (kind, day) -> lowest, highest event id of the run. */
    struct ta__kset tuples, counters, flows, zones;
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

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS store_run("
    " id INTEGER PRIMARY KEY,"
    " digest TEXT NOT NULL UNIQUE,"
    " state INTEGER NOT NULL DEFAULT 0," /* 0 running, 1 done */
    " home TEXT NOT NULL DEFAULT '',"
    " intel_version TEXT NOT NULL DEFAULT '',"
    " geoip_version TEXT NOT NULL DEFAULT '',"
    " ts_first INTEGER NOT NULL DEFAULT 0,"
    " ts_last INTEGER NOT NULL DEFAULT 0,"
    " n_events INTEGER NOT NULL DEFAULT 0,"
    " started INTEGER NOT NULL DEFAULT 0," /* wall clock, informational */
    " finished INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS store_input("
    " run_id INTEGER NOT NULL REFERENCES store_run(id),"
    " seq INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_event("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, method INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, day INTEGER NOT NULL,"
    " flow_id INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " a_ip BLOB, a_port INTEGER, a_cc TEXT NOT NULL, a_asn INTEGER, a_as_name TEXT,"
    " a_home INTEGER,"
    " v_ip BLOB, v_port INTEGER, v_cc TEXT NOT NULL, v_asn INTEGER, v_as_name TEXT,"
    " v_home INTEGER,"
    " confidence INTEGER, signature TEXT, family TEXT, indicator TEXT,"
    " indicator_type TEXT, sources TEXT, hostname TEXT, url TEXT, dns_answer TEXT,"
    " body BLOB,"
    " item TEXT);" /* phishing: the page; backdoor: the website */
    /* Where a run's events of one kind and day are: the lowest and highest
     * id (a run's events are stored in capture order, so a day's ids form a
     * narrow range). Readers select events by kind and day through it
     * instead of an index on store_event, which would cost a B-tree insert
     * per event. Written when the run finishes. */
    "CREATE TABLE IF NOT EXISTS store_event_zone(kind INTEGER NOT NULL, day INTEGER NOT NULL,"
    " run_id INTEGER NOT NULL, id_lo INTEGER NOT NULL, id_hi INTEGER NOT NULL,"
    " PRIMARY KEY(kind, day, run_id)) WITHOUT ROWID;"
    /* Per-day distinct sets: attackers (all kinds), C&C victims (c2 kinds),
     * items (phishing pages, backdoored websites). Member before day so a
     * pair's members come out sorted for exact distinct counting. */
    "CREATE TABLE IF NOT EXISTS store_day_attacker(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, ip BLOB NOT NULL, day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, ip, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_day_victim(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, ip BLOB NOT NULL, day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, ip, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_day_item(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, item TEXT NOT NULL, day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, item, day)) WITHOUT ROWID;"
    /* Spans: first and last day each member was seen. A member counts in
     * [from, to] at once if its first or last day falls inside; only when
     * the range lies strictly inside its span do the per-day sets decide.
     * That keeps a report over the whole history a scan of members. */
    "CREATE TABLE IF NOT EXISTS store_span_attacker(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, ip BLOB NOT NULL,"
    " first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, ip)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_span_victim(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, ip BLOB NOT NULL,"
    " first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, ip)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS store_span_item(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, item TEXT NOT NULL,"
    " first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,"
    " PRIMARY KEY(kind, src_cc, dst_cc, item)) WITHOUT ROWID;"
    /* Per-day counters: events, and flows dated by their first event. */
    "CREATE TABLE IF NOT EXISTS store_day_count(kind INTEGER NOT NULL,"
    " src_cc TEXT NOT NULL, dst_cc TEXT NOT NULL, day INTEGER NOT NULL,"
    " events INTEGER NOT NULL DEFAULT 0, flows INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, src_cc, dst_cc, day)) WITHOUT ROWID;";

sqlite3 *ta__store_db(struct ta_store *st)
{
    return st->db;
}

bool ta__store_has_tables(const struct ta_store *st)
{
    return st->has_tables;
}

const char *ta_store_errmsg(const struct ta_store *st)
{
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

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
    }
    sqlite3_finalize(s);
    return found;
}

/* schema.store from meta, 0 if absent; -1 on error. */
static long schema_version(sqlite3 *db)
{
    if (!table_exists(db, "meta"))
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

ta_err ta_store_open(const char *path, unsigned flags, struct ta_store **out,
                     char errbuf[TA_STORE_ERRLEN])
{
    *out = NULL;
    errbuf[0] = '\0';
    struct ta_store *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, TA_STORE_ERRLEN, "out of memory");
        return TA_ERR_NOMEM;
    }
    st->readonly = (flags & TA_STORE_READONLY) != 0;
    st->batch_max = TA_STORE_BATCH;
    st->memcap = TA_STORE_MEMCAP;
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
    long v = schema_version(st->db);
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
    if (v != 0 && v < TA_STORE_SCHEMA_VERSION) {
        /* Version 1 kept events under an index on run_id with automatic ids;
         * version 2 numbers them per run (see event_id). No version 1
         * database was ever deployed, so there is no migration. */
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
        if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "set WAL") ||
            exec(st, "BEGIN IMMEDIATE", "create schema") || exec(st, schema_sql, "create schema")) {
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
    } else {
        st->has_tables = v >= 1 && table_exists(st->db, "store_run");
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

void ta_store_close(struct ta_store *st)
{
    if (st == NULL)
        return;
    if (st->run_id != 0)
        ta_store_run_abort(st);
    sqlite3_finalize(st->ins_event);
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
 * Event ids: run id in the high 32 bits, the event's sequence number in the
 * run below. A run's events are then one rowid range of store_event, which
 * needs no index on run_id to find or delete them.
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

static void mem_drop(struct ta_store *st);

static ta_err prepare_insert(struct ta_store *st)
{
    if (st->ins_event != NULL)
        return TA_OK;
    static const char sql[] =
        "INSERT INTO store_event(run_id, kind, method, ts, day, flow_id, proto,"
        " a_ip, a_port, a_cc, a_asn, a_as_name, a_home,"
        " v_ip, v_port, v_cc, v_asn, v_as_name, v_home,"
        " confidence, signature, family, indicator, indicator_type, sources,"
        " hostname, url, dns_answer, body, item, id)"
        " VALUES(?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?, ?)";
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->ins_event, NULL) !=
        SQLITE_OK)
        return ta__store_dberr(st, "prepare event insert");
    return TA_OK;
}

ta_err ta_store_run_begin(struct ta_store *st, const struct ta_store_run_info *info,
                          bool *already_done)
{
    *already_done = false;
    if (st->readonly) {
        snprintf(st->errmsg, sizeof(st->errmsg), "database opened read-only");
        return TA_ERR_ARG;
    }
    if (st->run_id != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "a run is already open");
        return TA_ERR_ARG;
    }
    if (info->n_inputs == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "a run needs at least one input");
        return TA_ERR_ARG;
    }
    uint8_t digest[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    ta_store_run_digest(info->inputs, info->n_inputs, digest);
    ta_sha256_hex(digest, hex);

    ta_err err = exec(st, "BEGIN IMMEDIATE", "begin run");
    if (err)
        return err;
    int64_t id;
    int state;
    if ((err = find_run(st, hex, &id, &state)) != TA_OK)
        goto out_rollback;
    if (id != 0 && state == 1) {
        *already_done = true;
        return exec(st, "COMMIT", "begin run");
    }
    sqlite3_stmt *s = NULL;
    if (id != 0) {
        /* An earlier attempt on these inputs was interrupted: its events
         * never reached the rollups; drop them and redo the run. */
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "DELETE FROM store_event WHERE id BETWEEN %lld AND %lld;"
                 "DELETE FROM store_input WHERE run_id=%lld;",
                 (long long)event_id(id, 0), (long long)event_id(id, EVENTS_PER_RUN - 1),
                 (long long)id);
        if ((err = exec(st, sql, "discard unfinished run")) != TA_OK)
            goto out_rollback;
        st->stats.runs_redone++;
        if (sqlite3_prepare_v2(st->db,
                               "UPDATE store_run SET home=?, intel_version=?, geoip_version=?,"
                               " started=?, ts_first=0, ts_last=0, n_events=0 WHERE id=?",
                               -1, &s, NULL) != SQLITE_OK)
            goto out_dberr;
        sqlite3_bind_int64(s, 5, id);
    } else {
        if (sqlite3_prepare_v2(st->db,
                               "INSERT INTO store_run(home, intel_version, geoip_version, started,"
                               " digest, state) VALUES(?,?,?,?,?,0)",
                               -1, &s, NULL) != SQLITE_OK)
            goto out_dberr;
        sqlite3_bind_text(s, 5, hex, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(s, 1, nz(info->home), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, nz(info->intel_version), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, nz(info->geoip_version), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
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
    if ((err = exec(st, "COMMIT", "begin run")) != TA_OK)
        goto out_rollback;
    if ((err = prepare_insert(st)) != TA_OK)
        return err;
    st->run_id = id;
    st->in_txn = false;
    st->batch = 0;
    st->sticky = TA_OK;
    st->ev_first = st->ev_last = 0;
    st->stats.events = 0;
    mem_drop(st);
    ta__kset_init(&st->tuples, 0);
    ta__kset_init(&st->counters, 2);
    ta__kset_init(&st->flows, 1);
    ta__kset_init(&st->zones, 2);
    st->mem_ok = true;
    return TA_OK;

out_dberr:
    err = ta__store_dberr(st, "begin run");
out_rollback:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
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
 * c2. buf (256 bytes) holds computed values.
 */
static const char *item_of(const struct ta_event *ev, char buf[256])
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
            for (const char *p = ev->hostname; *p && n + 1 < 256; p++) {
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
        ta_addr_format(&ev->victim.ip, buf, 256);
        return buf[0] ? buf : NULL;
    default:
        return NULL;
    }
}

/* ---- in-memory rollups of the open run ---- */

enum { SET_ATTACKER = 0, SET_VICTIM, SET_ITEM, SET__COUNT };
static const char *const set_table[SET__COUNT] = {"attacker", "victim", "item"};
static const char *const set_col[SET__COUNT] = {"ip", "ip", "item"};

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
    ta__kset_release(&st->flows);
    ta__kset_release(&st->zones);
    st->mem_ok = false;
}

/* Tuple key: set, prefix, day (4 bytes BE), member. */
static bool mem_tuple(struct ta_store *st, int set, const uint8_t *prefix, uint32_t day,
                      const void *member, size_t mlen)
{
    uint8_t k[300];
    if (mlen > sizeof(k) - 10) {
        /* Such members (very long URLs) take the SQL path. */
        return false;
    }
    k[0] = (uint8_t)set;
    memcpy(k + 1, prefix, 5);
    k[6] = (uint8_t)(day >> 24);
    k[7] = (uint8_t)(day >> 16);
    k[8] = (uint8_t)(day >> 8);
    k[9] = (uint8_t)day;
    memcpy(k + 10, member, mlen);
    return ta__kset_get(&st->tuples, k, 10 + mlen, NULL) != NULL;
}

static void mem_record(struct ta_store *st, const struct ta_event *ev, const char *item, int64_t id)
{
    uint8_t pre[5], k[64];
    key_prefix(pre, ev);
    int64_t d = ta_store_day(ev->ts);
    uint32_t day = (uint32_t)d;
    const uint8_t *ip = NULL;
    size_t n;
    bool ok = true;
    if ((n = ip_bytes(&ev->attacker.ip, &ip)) > 0)
        ok = mem_tuple(st, SET_ATTACKER, pre, day, ip, n);
    if (ok && (ev->kind == TA_EVENT_C2 || ev->kind == TA_EVENT_C2_SUSPECTED) &&
        (n = ip_bytes(&ev->victim.ip, &ip)) > 0)
        ok = mem_tuple(st, SET_VICTIM, pre, day, ip, n);
    if (ok && item != NULL)
        ok = mem_tuple(st, SET_ITEM, pre, day, item, strlen(item));
    if (ok) {
        memcpy(k, pre, 5);
        memcpy(k + 5, &day, 4);
        uint64_t *v = ta__kset_get(&st->counters, k, 9, NULL);
        ok = v != NULL;
        if (ok)
            v[0]++;
    }
    if (ok && (ev->kind == TA_EVENT_PHISHING || ev->kind == TA_EVENT_PHISHING_SUSPECTED)) {
        /* A visit is a flow: (pair, attacker, victim, flow id), dated by its
         * first event; without a flow id the event is its own flow. */
        size_t o = 5;
        memcpy(k, pre, 5);
        n = ip_bytes(&ev->attacker.ip, &ip);
        k[o++] = (uint8_t)n;
        memcpy(k + o, ip, n);
        o += n;
        n = ip_bytes(&ev->victim.ip, &ip);
        k[o++] = (uint8_t)n;
        memcpy(k + o, ip, n);
        o += n;
        uint64_t f = ev->flow_id ? ev->flow_id : st->stats.events;
        k[o++] = ev->flow_id ? 1 : 0;
        memcpy(k + o, &f, 8);
        o += 8;
        bool created;
        uint64_t *v = ta__kset_get(&st->flows, k, o, &created);
        ok = v != NULL;
        if (ok && (created || (uint64_t)day + 1 < v[0]))
            v[0] = (uint64_t)day + 1;
    }
    if (ok) {
        /* Widen the zone of (kind, day) to include this event's id. */
        k[0] = (uint8_t)ev->kind;
        memcpy(k + 1, &d, 8);
        bool created;
        uint64_t *v = ta__kset_get(&st->zones, k, 9, &created);
        ok = v != NULL;
        if (ok && (created || (uint64_t)id < v[0]))
            v[0] = (uint64_t)id;
        if (ok && (created || (uint64_t)id > v[1]))
            v[1] = (uint64_t)id;
    }
    if (!ok || ta__kset_bytes(&st->tuples) + ta__kset_bytes(&st->counters) +
                       ta__kset_bytes(&st->flows) + ta__kset_bytes(&st->zones) >
                   st->memcap) {
        /* Over the cap: finish will fold from the stored events instead. */
        mem_drop(st);
        st->stats.mem_overflows++;
    }
}

static int cmp_tuple(const void *a, const void *b, void *ctx)
{
    const struct ta__kset *s = ctx;
    size_t la, lb;
    const uint8_t *ka = ta__kset_key(s, *(const uint32_t *)a, &la);
    const uint8_t *kb = ta__kset_key(s, *(const uint32_t *)b, &lb);
    /* (set, kind, src, dst), then member as SQLite compares blobs/text,
     * then day: the primary-key order of the rollup tables. */
    int c = memcmp(ka, kb, 6);
    if (c)
        return c;
    size_t ma = la - 10, mb = lb - 10;
    c = memcmp(ka + 10, kb + 10, ma < mb ? ma : mb);
    if (c)
        return c;
    if (ma != mb)
        return ma < mb ? -1 : 1;
    return memcmp(ka + 6, kb + 6, 4);
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

/* Write the in-memory rollups (inside the finishing transaction). */
static ta_err fold_mem(struct ta_store *st)
{
    ta_err err = TA_OK;
    sqlite3_stmt *day_ins[SET__COUNT] = {0}, *span_up[SET__COUNT] = {0}, *cnt = NULL;
    uint32_t *idx = NULL;
    char sql[512];
    for (int i = 0; i < SET__COUNT; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT OR IGNORE INTO store_day_%s(kind, src_cc, dst_cc, %s, day)"
                 " VALUES(?,?,?,?,?)",
                 set_table[i], set_col[i]);
        if (sqlite3_prepare_v2(st->db, sql, -1, &day_ins[i], NULL) != SQLITE_OK)
            goto out_dberr;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_span_%s(kind, src_cc, dst_cc, %s, first_day, last_day)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                 " first_day = MIN(first_day, excluded.first_day),"
                 " last_day = MAX(last_day, excluded.last_day)",
                 set_table[i], set_col[i]);
        if (sqlite3_prepare_v2(st->db, sql, -1, &span_up[i], NULL) != SQLITE_OK)
            goto out_dberr;
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
                           " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                           " events = events + excluded.events, flows = flows + excluded.flows",
                           -1, &cnt, NULL) != SQLITE_OK)
        goto out_dberr;

    size_t n = st->tuples.n;
    if (n > 0) {
        idx = malloc(n * sizeof(*idx));
        if (idx == NULL) {
            err = TA_ERR_NOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    int64_t first = 0;
    if (n > 1)
        qsort_r(idx, n, sizeof(*idx), cmp_tuple, &st->tuples);
    /* Each tuple is one per-day row; runs of the same member make a span. */
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->tuples, idx[i], &len);
        int set = k[0];
        int64_t day =
            (int64_t)((uint32_t)k[6] << 24 | (uint32_t)k[7] << 16 | (uint32_t)k[8] << 8 | k[9]);
        sqlite3_stmt *s = day_ins[set];
        sqlite3_reset(s);
        sqlite3_bind_int(s, 1, k[1]);
        bind_key_cc(s, 2, k + 2);
        bind_key_cc(s, 3, k + 4);
        if (set == SET_ITEM)
            sqlite3_bind_text(s, 4, (const char *)k + 10, (int)(len - 10), SQLITE_STATIC);
        else
            sqlite3_bind_blob(s, 4, k + 10, (int)(len - 10), SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, day);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out_dberr;
        /* Sorted by day within a member: the first tuple has the first day,
         * the last one the last day. */
        if (i == 0 || !same_member(&st->tuples, idx[i - 1], idx[i]))
            first = day;
        if (i + 1 == n || !same_member(&st->tuples, idx[i], idx[i + 1])) {
            s = span_up[set];
            sqlite3_reset(s);
            sqlite3_bind_int(s, 1, k[1]);
            bind_key_cc(s, 2, k + 2);
            bind_key_cc(s, 3, k + 4);
            if (set == SET_ITEM)
                sqlite3_bind_text(s, 4, (const char *)k + 10, (int)(len - 10), SQLITE_STATIC);
            else
                sqlite3_bind_blob(s, 4, k + 10, (int)(len - 10), SQLITE_STATIC);
            sqlite3_bind_int64(s, 5, first);
            sqlite3_bind_int64(s, 6, day);
            if (sqlite3_step(s) != SQLITE_DONE)
                goto out_dberr;
        }
    }
    /* Visits into the counters of their first day. */
    for (size_t i = 0; i < st->flows.n; i++) {
        size_t len;
        const uint8_t *fk = ta__kset_key(&st->flows, i, &len);
        uint32_t day = (uint32_t)(st->flows.vals[i] - 1);
        uint8_t k[9];
        memcpy(k, fk, 5);
        memcpy(k + 5, &day, 4);
        uint64_t *v = ta__kset_get(&st->counters, k, 9, NULL);
        if (v == NULL) {
            err = TA_ERR_NOMEM;
            goto out;
        }
        v[1]++;
    }
    for (size_t i = 0; i < st->counters.n; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->counters, i, &len);
        uint32_t day;
        memcpy(&day, k + 5, 4);
        sqlite3_reset(cnt);
        sqlite3_bind_int(cnt, 1, k[0]);
        bind_key_cc(cnt, 2, k + 1);
        bind_key_cc(cnt, 3, k + 3);
        sqlite3_bind_int64(cnt, 4, (int64_t)day);
        sqlite3_bind_int64(cnt, 5, (sqlite3_int64)st->counters.vals[2 * i]);
        sqlite3_bind_int64(cnt, 6, (sqlite3_int64)st->counters.vals[2 * i + 1]);
        if (sqlite3_step(cnt) != SQLITE_DONE)
            goto out_dberr;
    }
    goto out;

out_dberr:
    err = ta__store_dberr(st, "write rollups");
out:
    free(idx);
    for (int i = 0; i < SET__COUNT; i++) {
        sqlite3_finalize(day_ins[i]);
        sqlite3_finalize(span_up[i]);
    }
    sqlite3_finalize(cnt);
    return err;
}

/* Write the run's zones (inside the finishing transaction): from memory,
 * or past the memcap from the stored events. */
static ta_err write_zones(struct ta_store *st)
{
    if (!st->mem_ok) {
        char sql[320];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO store_event_zone(kind, day, run_id, id_lo, id_hi)"
                 " SELECT kind, day, %lld, MIN(id), MAX(id) FROM store_event"
                 " WHERE id BETWEEN %lld AND %lld GROUP BY kind, day",
                 (long long)st->run_id, (long long)event_id(st->run_id, 0),
                 (long long)event_id(st->run_id, EVENTS_PER_RUN - 1));
        return exec(st, sql, "write event zones");
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO store_event_zone(kind, day, run_id, id_lo, id_hi)"
                           " VALUES(?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "write event zones");
    ta_err err = TA_OK;
    for (size_t i = 0; i < st->zones.n && err == TA_OK; i++) {
        size_t len;
        const uint8_t *k = ta__kset_key(&st->zones, i, &len);
        int64_t day;
        memcpy(&day, k + 1, 8);
        sqlite3_reset(s);
        sqlite3_bind_int(s, 1, k[0]);
        sqlite3_bind_int64(s, 2, day);
        sqlite3_bind_int64(s, 3, st->run_id);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)st->zones.vals[2 * i]);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)st->zones.vals[2 * i + 1]);
        if (sqlite3_step(s) != SQLITE_DONE)
            err = ta__store_dberr(st, "write event zones");
    }
    sqlite3_finalize(s);
    return err;
}

#define BODY_MAX 512

/* Insert one event into the open batch (committing it when full). */
static ta_err insert_event(struct ta_store *st, const struct ta_event *ev)
{
    if (!st->in_txn) {
        ta_err err = exec(st, "BEGIN IMMEDIATE", "begin event batch");
        if (err)
            return err;
        st->in_txn = true;
    }
    sqlite3_stmt *s = st->ins_event;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, st->run_id);
    sqlite3_bind_int(s, 2, (int)ev->kind);
    sqlite3_bind_int(s, 3, (int)ev->method);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)ev->ts);
    sqlite3_bind_int64(s, 5, ta_store_day(ev->ts));
    sqlite3_bind_int64(s, 6, (sqlite3_int64)ev->flow_id);
    sqlite3_bind_int(s, 7, ev->proto);
    char cc_up[2][3];
    bind_side(s, 8, &ev->attacker, cc_up[0]);
    bind_side(s, 14, &ev->victim, cc_up[1]);
    sqlite3_bind_int(s, 20, ev->confidence);
    bind_opt(s, 21, ev->signature);
    bind_opt(s, 22, ev->family);
    bind_opt(s, 23, ev->indicator);
    bind_opt(s, 24, ev->indicator_type);
    bind_opt(s, 25, ev->sources);
    bind_opt(s, 26, ev->hostname);
    bind_opt(s, 27, ev->url);
    bind_opt(s, 28, ev->dns_answer);
    if (ev->body != NULL && ev->body_len > 0)
        sqlite3_bind_blob(s, 29, ev->body, (int)(ev->body_len < BODY_MAX ? ev->body_len : BODY_MAX),
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 29);
    char itembuf[256];
    const char *item = item_of(ev, itembuf);
    bind_opt(s, 30, item);
    int64_t seq_id = event_id(st->run_id, st->stats.events);
    sqlite3_bind_int64(s, 31, seq_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        return ta__store_dberr(st, "insert event");
    /* Every parameter is bound again for the next event, so the bindings
     * (which point into ev and this frame) are not cleared: they are never
     * used after this step. */
    if (st->mem_ok)
        mem_record(st, ev, item, seq_id);
    if (st->stats.events == 0 || ev->ts < st->ev_first)
        st->ev_first = ev->ts;
    if (ev->ts > st->ev_last)
        st->ev_last = ev->ts;
    st->stats.events++;
    if (++st->batch >= st->batch_max) {
        ta_err err = exec(st, "COMMIT", "commit event batch");
        if (err)
            return err;
        st->in_txn = false;
        st->batch = 0;
        st->stats.commits++;
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
 * then only be aborted and redone). */
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
                       ev->dns_answer,       ev->page,           ev->website};
    size_t n = ev->body ? (ev->body_len < BODY_MAX ? ev->body_len : BODY_MAX) : 0;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        n += v[i] ? strlen(v[i]) + 1 : 0;
    return n;
}

ta_err ta_store_add_event(struct ta_store *st, const struct ta_event *ev)
{
    if (st->run_id == 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "no run open");
        return TA_ERR_ARG;
    }
    if ((unsigned)ev->kind >= TA_EVENT_KIND__COUNT) {
        snprintf(st->errmsg, sizeof(st->errmsg), "invalid event kind %d", (int)ev->kind);
        return TA_ERR_ARG;
    }
    if (st->stats.events + st->npend >= EVENTS_PER_RUN - 1) {
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
    struct ta_store *st = ctx;
    if (st->sticky != TA_OK)
        return;
    st->sticky = ta_store_add_event(st, ev);
}

/*
 * Fold the run's events into the per-day rollups (called inside the
 * finishing transaction). A phishing visit is a flow, dated by its first
 * phishing event; an event without a flow id is its own flow.
 */
static ta_err store_fold(struct ta_store *st, int64_t id)
{
    /* For each distinct set: the run's (member, day) pairs in key order, so
     * that the inserts walk the B-tree in order, then the spans. */
    static const struct {
        const char *table, *col, *expr, *cond;
    } sets[] = {
        {"attacker", "ip", "a_ip", "a_ip IS NOT NULL"},
        {"victim", "ip", "v_ip", "v_ip IS NOT NULL AND kind IN (0, 1)"},
        {"item", "item", "item", "item IS NOT NULL"},
    };
    char sql[2048];
    ta_err err;
    long long lo = event_id(id, 0), hi = event_id(id, EVENTS_PER_RUN - 1);
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT OR IGNORE INTO store_day_%s(kind, src_cc, dst_cc, %s, day)"
                 " SELECT DISTINCT kind, a_cc, v_cc, %s, day FROM store_event"
                 " WHERE id BETWEEN %lld AND %lld AND %s ORDER BY 1, 2, 3, 4, 5;"
                 "INSERT INTO store_span_%s(kind, src_cc, dst_cc, %s, first_day, last_day)"
                 " SELECT kind, a_cc, v_cc, %s, MIN(day), MAX(day) FROM store_event"
                 " WHERE id BETWEEN %lld AND %lld AND %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
                 " ON CONFLICT DO UPDATE SET first_day = MIN(first_day, excluded.first_day),"
                 " last_day = MAX(last_day, excluded.last_day);",
                 sets[i].table, sets[i].col, sets[i].expr, lo, hi, sets[i].cond, sets[i].table,
                 sets[i].col, sets[i].expr, lo, hi, sets[i].cond);
        if ((err = exec(st, sql, "fold run into rollups")) != TA_OK)
            return err;
    }
    /* Counters. A phishing visit is a flow, dated by its first event; an
     * event without a flow id is its own flow. */
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
        " SELECT kind, a_cc, v_cc, day, COUNT(*), 0 FROM store_event WHERE id BETWEEN %lld AND %lld"
        " GROUP BY kind, a_cc, v_cc, day"
        " ON CONFLICT DO UPDATE SET events = events + excluded.events;"
        "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
        " SELECT kind, a_cc, v_cc, d, 0, COUNT(*) FROM"
        " (SELECT kind, a_cc, v_cc, MIN(day) AS d FROM store_event"
        "  WHERE id BETWEEN %lld AND %lld AND kind IN (2, 3)"
        "  GROUP BY kind, a_cc, v_cc, a_ip, v_ip, flow_id,"
        "  CASE WHEN flow_id = 0 THEN id ELSE 0 END)"
        " WHERE true GROUP BY kind, a_cc, v_cc, d"
        " ON CONFLICT DO UPDATE SET flows = flows + excluded.flows;",
        lo, hi, lo, hi);
    return exec(st, sql, "fold run into rollups");
}

ta_err ta_store_run_finish(struct ta_store *st, ta_time_us first, ta_time_us last)
{
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
    /* The last batch and the fold share one transaction: either the run is
     * done with all its events folded, or nothing of the fold happened. */
    if (!st->in_txn) {
        if ((err = exec(st, "BEGIN IMMEDIATE", "finish run")) != TA_OK)
            goto out_abort;
        st->in_txn = true;
    }
    if ((err = st->mem_ok ? fold_mem(st) : store_fold(st, st->run_id)) != TA_OK ||
        (err = write_zones(st)) != TA_OK)
        goto out_abort;
    mem_drop(st);
    if (first == 0 && last == 0) {
        first = st->ev_first;
        last = st->ev_last;
    }
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE store_run SET state=1, ts_first=%lld, ts_last=%lld, n_events=%llu,"
             " finished=%lld WHERE id=%lld",
             (long long)first, (long long)last, (unsigned long long)st->stats.events,
             (long long)time(NULL), (long long)st->run_id);
    if ((err = exec(st, sql, "finish run")) != TA_OK ||
        (err = exec(st, "COMMIT", "finish run")) != TA_OK)
        goto out_abort;
    st->stats.commits++;
    st->in_txn = false;
    st->run_id = 0;
    return TA_OK;

out_abort:
    ta_store_run_abort(st);
    return err;
}

void ta_store_run_abort(struct ta_store *st)
{
    if (st->in_txn)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_txn = false;
    st->run_id = 0;
    st->batch = 0;
    st->npend = 0;
    st->pend_used = 0;
    mem_drop(st);
}

void ta_store_set_memcap(struct ta_store *st, size_t bytes)
{
    st->memcap = bytes;
}

void ta_store_set_batch(struct ta_store *st, unsigned events)
{
    st->batch_max = events ? events : TA_STORE_BATCH;
}

void ta_store_get_stats(const struct ta_store *st, struct ta_store_stats *out)
{
    *out = st->stats;
}
