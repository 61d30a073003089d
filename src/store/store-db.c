/*
 * Store (stage 7): the SQLite database, its schema and the analysis runs.
 * See include/threatatlas/store.h for the contract and the crash-safety
 * design; the rollups are built in store_fold() when a run finishes.
 */
#include "store/store-int.h"

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
};

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
    "CREATE INDEX IF NOT EXISTS store_event_run ON store_event(run_id);"
    "CREATE INDEX IF NOT EXISTS store_event_kind_day ON store_event(kind, day);"
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
    int oflags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
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
    sqlite3_exec(st->db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
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

static const char *nz(const char *s)
{
    return s ? s : "";
}

static ta_err prepare_insert(struct ta_store *st)
{
    if (st->ins_event != NULL)
        return TA_OK;
    static const char sql[] =
        "INSERT INTO store_event(run_id, kind, method, ts, day, flow_id, proto,"
        " a_ip, a_port, a_cc, a_asn, a_as_name, a_home,"
        " v_ip, v_port, v_cc, v_asn, v_as_name, v_home,"
        " confidence, signature, family, indicator, indicator_type, sources,"
        " hostname, url, dns_answer, body, item)"
        " VALUES(?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?)";
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
                 "DELETE FROM store_event WHERE run_id=%lld;"
                 "DELETE FROM store_input WHERE run_id=%lld;",
                 (long long)id, (long long)id);
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
    return TA_OK;

out_dberr:
    err = ta__store_dberr(st, "begin run");
out_rollback:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static void bind_ip(sqlite3_stmt *s, int col, const struct ta_addr *a)
{
    if (a->family == 4)
        sqlite3_bind_blob(s, col, a->b + 12, 4, SQLITE_TRANSIENT);
    else if (a->family == 6)
        sqlite3_bind_blob(s, col, a->b, 16, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, col);
}

static void bind_opt(sqlite3_stmt *s, int col, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, col, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, col);
}

static void bind_cc(sqlite3_stmt *s, int col, const char cc[3])
{
    size_t n = strnlen(cc, 2);
    char up[3] = {0};
    for (size_t i = 0; i < n; i++)
        up[i] = (cc[i] >= 'a' && cc[i] <= 'z') ? (char)(cc[i] - 32) : cc[i];
    sqlite3_bind_text(s, col, up, (int)n, SQLITE_TRANSIENT);
}

static void bind_side(sqlite3_stmt *s, int col, const struct ta_event_side *sd)
{
    bind_ip(s, col, &sd->ip);
    sqlite3_bind_int(s, col + 1, sd->port);
    bind_cc(s, col + 2, sd->cc);
    sqlite3_bind_int64(s, col + 3, sd->asn);
    bind_opt(s, col + 4, sd->as_name);
    sqlite3_bind_int(s, col + 5, sd->home);
}

/*
 * The report identity of an event's item (README definitions): phishing =
 * the page, falling back to indicator, then host; backdoor = the website
 * (Host lower case without port), falling back to the server IP.
 */
static void bind_item(sqlite3_stmt *s, int col, const struct ta_event *ev)
{
    char buf[256];
    switch (ev->kind) {
    case TA_EVENT_PHISHING:
    case TA_EVENT_PHISHING_SUSPECTED:
        if (ev->page)
            bind_opt(s, col, ev->page);
        else if (ev->indicator)
            bind_opt(s, col, ev->indicator);
        else
            bind_opt(s, col, ev->hostname);
        return;
    case TA_EVENT_BACKDOOR:
    case TA_EVENT_BACKDOOR_SUSPECTED:
        if (ev->website) {
            bind_opt(s, col, ev->website);
            return;
        }
        if (ev->hostname && ev->hostname[0]) {
            size_t n = 0;
            for (const char *p = ev->hostname; *p && n + 1 < sizeof(buf); p++) {
                /* Stop at a port, but keep IPv6 literals in brackets whole. */
                if (*p == ':' && ev->hostname[0] != '[')
                    break;
                buf[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
                if (*p == ']')
                    break;
            }
            buf[n] = '\0';
            sqlite3_bind_text(s, col, buf, -1, SQLITE_TRANSIENT);
            return;
        }
        ta_addr_format(&ev->victim.ip, buf, sizeof(buf));
        sqlite3_bind_text(s, col, buf, -1, SQLITE_TRANSIENT);
        return;
    default:
        sqlite3_bind_null(s, col);
    }
}

#define BODY_MAX 512

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
    bind_side(s, 8, &ev->attacker);
    bind_side(s, 14, &ev->victim);
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
                          SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 29);
    bind_item(s, 30, ev);
    if (sqlite3_step(s) != SQLITE_DONE)
        return ta__store_dberr(st, "insert event");
    sqlite3_clear_bindings(s);
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
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "INSERT OR IGNORE INTO store_day_attacker(kind, src_cc, dst_cc, ip, day)"
             " SELECT kind, a_cc, v_cc, a_ip, day FROM store_event"
             " WHERE run_id=%lld AND a_ip IS NOT NULL;"
             "INSERT OR IGNORE INTO store_day_victim(kind, src_cc, dst_cc, ip, day)"
             " SELECT kind, a_cc, v_cc, v_ip, day FROM store_event"
             " WHERE run_id=%lld AND kind IN (%d, %d) AND v_ip IS NOT NULL;"
             "INSERT OR IGNORE INTO store_day_item(kind, src_cc, dst_cc, item, day)"
             " SELECT kind, a_cc, v_cc, item, day FROM store_event"
             " WHERE run_id=%lld AND item IS NOT NULL;"
             "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
             " SELECT kind, a_cc, v_cc, day, COUNT(*), 0 FROM store_event WHERE run_id=%lld"
             " GROUP BY kind, a_cc, v_cc, day"
             " ON CONFLICT DO UPDATE SET events = events + excluded.events;"
             "INSERT INTO store_day_count(kind, src_cc, dst_cc, day, events, flows)"
             " SELECT kind, a_cc, v_cc, d, 0, COUNT(*) FROM"
             " (SELECT kind, a_cc, v_cc, MIN(day) AS d FROM store_event WHERE run_id=%lld"
             "  GROUP BY kind, a_cc, v_cc, a_ip, v_ip, flow_id,"
             "  CASE WHEN flow_id = 0 THEN id ELSE 0 END)"
             " WHERE true GROUP BY kind, a_cc, v_cc, d"
             " ON CONFLICT DO UPDATE SET flows = flows + excluded.flows;",
             (long long)id, (long long)id, (int)TA_EVENT_C2, (int)TA_EVENT_C2_SUSPECTED,
             (long long)id, (long long)id, (long long)id);
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
    ta_err err = TA_OK;
    /* The last batch and the fold share one transaction: either the run is
     * done with all its events folded, or nothing of the fold happened. */
    if (!st->in_txn) {
        if ((err = exec(st, "BEGIN IMMEDIATE", "finish run")) != TA_OK)
            goto out_abort;
        st->in_txn = true;
    }
    if ((err = store_fold(st, st->run_id)) != TA_OK)
        goto out_abort;
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
}

void ta_store_set_batch(struct ta_store *st, unsigned events)
{
    st->batch_max = events ? events : TA_STORE_BATCH;
}

void ta_store_get_stats(const struct ta_store *st, struct ta_store_stats *out)
{
    *out = st->stats;
}
