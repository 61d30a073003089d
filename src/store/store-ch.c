/*
 * Store (stage 7), ClickHouse backend: the connection over HTTP, the
 * schema, runs, and the writer. Selected by ta_store_open for a --db of the
 * form clickhouse://HOST:PORT/DATABASE; the user comes from
 * TA_CLICKHOUSE_USER (default "default") and the password from
 * TA_CLICKHOUSE_PASSWORD_FILE (a file holding it) or TA_CLICKHOUSE_PASSWORD,
 * never from the command line. See docs/design/store-clickhouse.md.
 *
 * Writers. Many processes (one per sensor) write one database at once. The
 * event identity (threatatlas/store.h) needs "look for a copy, then insert"
 * to be atomic, which ClickHouse cannot do, so the writers take turns per
 * batch through Lamport's bakery algorithm over the table ta_lock: it needs
 * only that a row read after an INSERT has returned is seen, which one
 * server gives. A writer that dies holding a turn is skipped once its rows
 * are older than LOCK_LEASE_S.
 *
 * A batch: its events are serialised as RowBinary rows when added; at
 * commit, under the turn, the identity keys of the batch are looked up in
 * ta_ident, each event is new (inserted), a copy another run stored (a
 * sighting) or a repeat, and the new events, sightings and the run's row
 * are inserted. The per-day rollups are materialized views of ta_event.
 */
#include "store/store-ch-int.h"
#include "common/curl.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/banned.h"

/* Version of the ClickHouse tables, in ta_meta('schema.store'). */
#define CH_SCHEMA_VERSION 2
/* Events per batch by default: a batch is serialised in memory until its
 * turn; 500,000 rows is about 110 MB and one INSERT block. Fewer, larger
 * inserts leave the server fewer parts to merge and fewer turns to take. */
#define CH_BATCH 500000
/* Below the server's max_insert_block_size (1,048,576 rows by default). */
#define CH_BATCH_MAX 1000000
/* Largest answer read into memory at once. */
#define CH_ANSWER_MAX ((size_t)1 << 30)
/* Keys per identity lookup (the IN list is part of the query text). */
#define CH_KEYS_PER_QUERY 20000
/* A writer whose last lock row is older than this is taken for dead. */
#define LOCK_LEASE_S 120
/* A waiting writer rewrites its row this often, so it never looks dead. */
#define LOCK_REFRESH_S 30
/* Rows of ta_lock older than this are deleted when a run starts. */
#define LOCK_KEEP_S 86400
/* Default seconds to retry a request while the server is unreachable. */
#define CH_RETRY_S     120
#define EVENTS_PER_RUN ((uint64_t)1 << 32)

/* ---- buffers, quoting, TabSeparated ---- */

static bool buf_grow(struct ta__ch_buf *b, size_t need)
{
    if (b->len + need + 1 <= b->cap)
        return true;
    if (b->len + need + 1 > CH_ANSWER_MAX)
        return false;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + need + 1)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (np == NULL)
        return false;
    b->p = np;
    b->cap = nc;
    return true;
}

bool ta__ch_buf_add(struct ta__ch_buf *b, const void *p, size_t n)
{
    if (!buf_grow(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

bool ta__ch_buf_printf(struct ta__ch_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_grow(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

bool ta__ch_quote(struct ta__ch_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!buf_grow(b, 4 * n + 2))
        return false;
    char *o = b->p + b->len;
    *o++ = '\'';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '\'';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
    return true;
}

void ta__ch_buf_free(struct ta__ch_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

size_t ta__ch_tsv_row(char **pos, char *end, struct ta__ch_field *f, size_t max)
{
    char *p = *pos;
    if (p >= end)
        return 0;
    size_t n = 0;
    for (;;) {
        char *start = p, *o = p;
        bool raw_null = end - p >= 2 && p[0] == '\\' && p[1] == 'N' &&
                        (end - p == 2 || p[2] == '\t' || p[2] == '\n');
        while (p < end && *p != '\t' && *p != '\n') {
            if (*p == '\\' && p + 1 < end) {
                char e = p[1];
                p += 2;
                switch (e) {
                case 'b':
                    *o++ = '\b';
                    break;
                case 'f':
                    *o++ = '\f';
                    break;
                case 'r':
                    *o++ = '\r';
                    break;
                case 'n':
                    *o++ = '\n';
                    break;
                case 't':
                    *o++ = '\t';
                    break;
                case '0':
                    *o++ = '\0';
                    break;
                default:
                    *o++ = e;
                }
            } else {
                *o++ = *p++;
            }
        }
        char sep = p < end ? *p : '\n';
        if (n < max) {
            f[n].p = start;
            f[n].len = (size_t)(o - start);
            f[n].null = raw_null;
        }
        n++;
        *o = '\0'; /* o <= p: the separator (or the end's spare byte) is overwritten */
        if (p < end)
            p++;
        if (sep == '\n')
            break;
    }
    *pos = p;
    return n;
}

int64_t ta__ch_i64(const struct ta__ch_field *f)
{
    return f->null ? 0 : strtoll(f->p, NULL, 10);
}

/* ---- the connection ---- */

struct ta__ch {
    const struct ta__curl *cu;
    CURL *h;
    char base[600]; /* http://HOST:PORT/?database=DB&settings */
    char db[104];   /* an identifier of under 100 bytes */
    char *user, *pass;
    bool has_tables;
    double retry_s;
    char errmsg[TA_STORE_ERRLEN];
    struct ta__ch_buf url; /* scratch: the URL of the current request */
    struct ta__ch_held held[2];
};

struct ta__ch_held *ta__ch_held_of(struct ta__ch *c, int role)
{
    return &c->held[role];
}

char *ta__ch_errbuf(struct ta__ch *c)
{
    return c->errmsg;
}

const char *ta__ch_db(const struct ta__ch *c)
{
    return c->db;
}

bool ta__ch_has_tables(const struct ta__ch *c)
{
    return c->has_tables;
}

bool ta_store_is_clickhouse(const char *path)
{
    return path != NULL && strncmp(path, "clickhouse://", 13) == 0;
}

static size_t on_answer(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct ta__ch_buf *b = ud;
    size_t n = size * nmemb;
    return ta__ch_buf_add(b, ptr, n) ? n : 0;
}

static bool url_escape(struct ta__ch_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            if (!ta__ch_buf_add(b, s, 1))
                return false;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (!ta__ch_buf_add(b, e, 3))
                return false;
        }
    }
    return true;
}

static bool transient(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_PARTIAL_FILE;
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec d = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&d, NULL);
}

/* One request: *status the HTTP status (0 when none came back). */
static CURLcode request(struct ta__ch *c, const char *sql, const void *data, size_t len,
                        struct ta__ch_buf *out, long *status)
{
    const struct ta__curl *cu = c->cu;
    c->url.len = 0;
    *status = 0;
    out->len = 0;
    if (!ta__ch_buf_add(&c->url, c->base, strlen(c->base)))
        return CURLE_OUT_OF_MEMORY;
    if (data != NULL && (!ta__ch_buf_add(&c->url, "&query=", 7) || !url_escape(&c->url, sql)))
        return CURLE_OUT_OF_MEMORY;
    cu->easy_reset(c->h);
    cu->easy_setopt(c->h, CURLOPT_URL, c->url.p);
    cu->easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http");
    cu->easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 10L);
    cu->easy_setopt(c->h, CURLOPT_POST, 1L);
    if (data != NULL) {
        cu->easy_setopt(c->h, CURLOPT_POSTFIELDS, data);
        cu->easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        cu->easy_setopt(c->h, CURLOPT_POSTFIELDS, sql);
        cu->easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(sql));
    }
    cu->easy_setopt(c->h, CURLOPT_USERNAME, c->user);
    cu->easy_setopt(c->h, CURLOPT_PASSWORD, c->pass ? c->pass : "");
    cu->easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_answer);
    cu->easy_setopt(c->h, CURLOPT_WRITEDATA, out);
    CURLcode rc = cu->easy_perform(c->h);
    if (rc == CURLE_OK)
        cu->easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
    return rc;
}

/* The server's error text, first line, into errmsg. */
static ta_err answer_error(struct ta__ch *c, const char *what, const struct ta__ch_buf *b,
                           long status)
{
    const char *t = b->len ? b->p : "";
    size_t n = strcspn(t, "\n");
    if (n > 180)
        n = 180;
    snprintf(c->errmsg, sizeof(c->errmsg), "ClickHouse %s: HTTP %ld: %.*s", what, status, (int)n,
             t);
    return TA_ERR_DB;
}

ta_err ta__ch_exec(struct ta__ch *c, const char *sql, const void *data, size_t len,
                   struct ta__ch_buf *out, ta__ch_landed_fn landed, void *ctx)
{
    struct ta__ch_buf own = {0};
    struct ta__ch_buf *b = out ? out : &own;
    double t0 = mono_s(), wait = 0.25;
    ta_err err = TA_OK;
    for (;;) {
        long status;
        CURLcode rc = request(c, sql, data, len, b, &status);
        if (rc == CURLE_OK && status == 200)
            break;
        if (rc == CURLE_OK) {
            err = answer_error(c, data ? "insert" : "query", b, status);
            break;
        }
        if (!transient(rc) || mono_s() - t0 > c->retry_s) {
            snprintf(c->errmsg, sizeof(c->errmsg), "ClickHouse at %.120s: %.90s%s", c->base,
                     rc == CURLE_WRITE_ERROR ? "answer too large or out of memory"
                                             : c->cu->easy_strerror(rc),
                     transient(rc) ? " (gave up retrying)" : "");
            err = rc == CURLE_WRITE_ERROR ? TA_ERR_LIMIT : TA_ERR_DB;
            break;
        }
        sleep_s(wait);
        if (wait < 4)
            wait *= 2;
        if (data != NULL && landed != NULL) {
            /* The insert may have been written before the answer was lost:
             * ask (retrying the question) before sending it again. */
            bool in = false;
            if ((err = landed(c, ctx, &in)) != TA_OK)
                break;
            if (in)
                break;
        }
    }
    if (b == &own)
        ta__ch_buf_free(&own);
    return err;
}

/* A statement built with printf; the answer into out (may be NULL). */
static ta_err execf(struct ta__ch *c, struct ta__ch_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ta_err execf(struct ta__ch *c, struct ta__ch_buf *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = NULL;
    int n = vasprintf(&sql, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TA_ERR_NOMEM;
    ta_err err = ta__ch_exec(c, sql, NULL, 0, out, NULL, NULL);
    free(sql);
    return err;
}

/* ---- URL, credentials ---- */

static bool ident_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

static char *read_secret(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read TA_CLICKHOUSE_PASSWORD_FILE %.150s: %s", path,
                 strerror(errno));
        return NULL;
    }
    char line[512];
    char *r = fgets(line, sizeof(line), f) ? line : NULL;
    fclose(f);
    if (r == NULL)
        line[0] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    return strdup(line);
}

static ta_err conn_open(struct ta__ch *c, const char *url, char *err, size_t errlen)
{
    const char *hp = url + 13, *slash = strchr(hp, '/');
    if (strpbrk(hp, "@?#") != NULL) {
        snprintf(err, errlen,
                 "%.120s: give the user and password in TA_CLICKHOUSE_USER and "
                 "TA_CLICKHOUSE_PASSWORD_FILE (or TA_CLICKHOUSE_PASSWORD), not in the URL",
                 "clickhouse URL");
        return TA_ERR_ARG;
    }
    if (slash == NULL || slash == hp || !ident_ok(slash + 1, strlen(slash + 1))) {
        snprintf(err, errlen,
                 "bad ClickHouse URL %.120s: expected clickhouse://HOST:PORT/DATABASE (a database "
                 "name of letters, digits and _)",
                 url);
        return TA_ERR_ARG;
    }
    size_t hl = (size_t)(slash - hp);
    for (size_t i = 0; i < hl; i++) {
        char ch = hp[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']')) {
            snprintf(err, errlen, "bad ClickHouse URL %.120s: bad host", url);
            return TA_ERR_ARG;
        }
    }
    snprintf(c->db, sizeof(c->db), "%s", slash + 1);
    /* max_query_size: the identity lookups may send their keys in the
     * query. parallel_view_processing: an INSERT of events feeds its views
     * in parallel threads (the server's time goes there; 18.16 has it). */
    snprintf(c->base, sizeof(c->base),
             "http://%.*s/?database=default&max_query_size=67108864&parallel_view_processing=1",
             (int)hl, hp);
    const char *u = getenv("TA_CLICKHOUSE_USER");
    c->user = strdup(u && u[0] ? u : "default");
    const char *pf = getenv("TA_CLICKHOUSE_PASSWORD_FILE");
    const char *pw = getenv("TA_CLICKHOUSE_PASSWORD");
    if (pf && pf[0]) {
        if ((c->pass = read_secret(pf, err, errlen)) == NULL)
            return TA_ERR_IO;
    } else {
        c->pass = strdup(pw ? pw : "");
    }
    if (c->user == NULL || c->pass == NULL) {
        snprintf(err, errlen, "out of memory");
        return TA_ERR_NOMEM;
    }
    const char *rs = getenv("TA_CLICKHOUSE_RETRY");
    c->retry_s = rs && rs[0] ? strtod(rs, NULL) : CH_RETRY_S;
    if (!(c->retry_s >= 0))
        c->retry_s = CH_RETRY_S;
    char why[200];
    if ((c->cu = ta__curl_load(why, sizeof(why))) == NULL) {
        snprintf(err, errlen, "ClickHouse store: %s", why);
        return TA_ERR_UNSUPPORTED;
    }
    if ((c->h = c->cu->easy_init()) == NULL) {
        snprintf(err, errlen, "out of memory");
        return TA_ERR_NOMEM;
    }
    return TA_OK;
}

static void conn_close(struct ta__ch *c)
{
    if (c->h != NULL)
        c->cu->easy_cleanup(c->h);
    if (c->pass != NULL)
        memset(c->pass, 0, strlen(c->pass));
    free(c->pass);
    free(c->user);
    ta__ch_buf_free(&c->url);
    for (size_t i = 0; i < sizeof(c->held) / sizeof(c->held[0]); i++)
        ta__ch_buf_free(&c->held[i].rows);
}

/* ---- the handle ---- */

struct pend {
    uint64_t h;   /* identity hash */
    ta_time_us t; /* identity time */
    ta_time_us lo, hi;
    ta_time_us ts;
    size_t off; /* its row in rows */
    size_t len;
    int64_t copy; /* the stored event it is a copy of (0: new) */
    int64_t next; /* chain of the batch's new events by hash (-1 end) */
};

struct ch_store {
    struct ta__store_head head;
    struct ta__ch c;
    bool readonly;
    ta_time_us skew;
    unsigned batch_max;
    size_t memcap;
    /* The open run and the fields of its row (rewritten with each batch). */
    int64_t run_id;
    uint64_t seq;
    ta_err sticky;
    uint64_t ver;
    char digest[TA_SHA256_HEXLEN];
    char *home, *home_nets, *sensor, *intel_version, *geoip_version, *live, *sources;
    uint64_t geoip_built;
    int64_t started;
    uint64_t n_new, n_known; /* the run's, over every attempt */
    ta_time_us ev_first, ev_last;
    /* The open batch. */
    struct pend *pend;
    size_t npend, cap;
    struct ta__ch_buf rows;
    struct ta_store_stats stats;
    /* The writers' turns. */
    uint64_t writer, lock_ver;
    struct ta__ch_buf q, a; /* scratch: a query, an answer */
};

static struct ch_store *chs(struct ta_store *st)
{
    return (struct ch_store *)(void *)st;
}

static const struct ch_store *chs_c(const struct ta_store *st)
{
    return (const struct ch_store *)(const void *)st;
}

struct ta__ch *ta__ch_of(struct ta_store *st)
{
    return &chs(st)->c;
}

const struct ta__ch *ta__ch_of_const(const struct ta_store *st)
{
    return &chs_c(st)->c;
}

/* ---- schema ---- */

/* Tables. {db} is the database. The rollups are views of ta_event, so they
 * are written in the same INSERT as the events they count. */
static const char *const schema[] = {
    "CREATE DATABASE IF NOT EXISTS `{db}`",
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_meta (key String, value String)"
    " ENGINE = ReplacingMergeTree ORDER BY key",
    /* One row per version of a run's description; the highest ver is current. */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_run (id UInt32, ver UInt64, digest String,"
    " state UInt8, home String, home_nets String, sensor String, intel_version String,"
    " geoip_version String, geoip_built UInt64, ts_first Int64, ts_last Int64, n_new UInt64,"
    " n_known UInt64, started Int64, finished Int64, pid Int64, live String, last_commit Int64,"
    " sources String)"
    " ENGINE = ReplacingMergeTree(ver) ORDER BY id",
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_input (run_id UInt32, seq UInt32, path String,"
    " size UInt64, sha256 String) ENGINE = MergeTree ORDER BY (run_id, seq)",
    /* Partitioned by week of the event's day, sorted for the lists: a
     * period reads only its weeks and, in them, the granules of its kind and
     * days (and countries). */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_event (id Int64, run_id UInt32, ikey Int64, fs Int64,"
    " kind UInt8, method UInt8, ts Int64, day Int32, flow_id UInt64, proto UInt8,"
    " tx_index UInt32, established UInt8, undated UInt8, suppressed_by Nullable(String),"
    " a_ip String, a_port UInt16, a_cc String, a_asn UInt32, a_as_name Nullable(String),"
    " a_home UInt8, v_ip String, v_port UInt16, v_cc String, v_asn UInt32,"
    " v_as_name Nullable(String), v_home UInt8, confidence UInt8, signature Nullable(String),"
    " family Nullable(String), indicator Nullable(String), indicator_type Nullable(String),"
    " sources Nullable(String), hostname Nullable(String), url Nullable(String),"
    " dns_answer Nullable(String), body Nullable(String), item Nullable(String), batch Int64)"
    " ENGINE = MergeTree PARTITION BY intDiv(day, 7) ORDER BY (kind, day, a_cc, v_cc, id)",
    /* The identity index: sorted by key (time bucket in the high bits). */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_ident (ikey Int64, fs Int64, id Int64, batch Int64)"
    " ENGINE = MergeTree ORDER BY (ikey, fs)",
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_sighting (event_id Int64, run_id UInt32)"
    " ENGINE = MergeTree ORDER BY (event_id, run_id)",
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_day_count (kind UInt8, day Int32, src_cc String,"
    " dst_cc String, events UInt64, flows UInt64) ENGINE = SummingMergeTree((events, flows))"
    " PARTITION BY intDiv(day, 7) ORDER BY (kind, day, src_cc, dst_cc)",
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_day_supp (kind UInt8, day Int32, src_cc String,"
    " dst_cc String, list String, events UInt64) ENGINE = SummingMergeTree(events)"
    " PARTITION BY intDiv(day, 7) ORDER BY (kind, day, src_cc, dst_cc, list)",
    /* The exact sets, one row per member, block of 64 days and pair: the
     * member's days in the block as bits (set bits: the days it was seen;
     * sub: the days it met the narrower set's condition). A distinct count
     * over any period reads each member once per block the period touches,
     * never once per day, and needs no per-member state at insert. n: the
     * events behind the row, how a writer checks the view after a restart. */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_member (kind UInt8, role UInt8, blk Int32,"
    " src_cc String, dst_cc String, member String, n AggregateFunction(count),"
    " bits AggregateFunction(groupBitOr, UInt64), sub AggregateFunction(groupBitOr, UInt64))"
    " ENGINE = AggregatingMergeTree PARTITION BY blk"
    " ORDER BY (kind, role, blk, src_cc, dst_cc, member)",
    /* The C&C lists' rollup: one row per contact (server, host, pair) and
     * block of 64 days, with what the c2-servers and controlled-hosts lists
     * show of it. A list over a period reads the rows whose days lie inside
     * the period and only the events of the contacts it cuts through. */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_contact (kind UInt8, blk Int32, a_cc String,"
    " v_cc String, a_ip String, v_ip String, n AggregateFunction(count),"
    " bits AggregateFunction(groupBitOr, UInt64), tmin AggregateFunction(min, Int64),"
    " tmax AggregateFunction(max, Int64), s_aasn AggregateFunction(max, UInt32),"
    " s_vasn AggregateFunction(max, UInt32),"
    " s_aname AggregateFunction(groupUniqArrayIf, String, UInt8),"
    " s_vname AggregateFunction(groupUniqArrayIf, String, UInt8),"
    " s_fam AggregateFunction(groupUniqArrayIf, String, UInt8),"
    " s_src AggregateFunction(groupUniqArrayIf, String, UInt8),"
    " s_ind AggregateFunction(groupUniqArrayIf, String, UInt8))"
    " ENGINE = AggregatingMergeTree PARTITION BY blk"
    " ORDER BY (kind, blk, a_cc, v_cc, a_ip, v_ip)",
    /* The writers' turns (bakery algorithm): one row per change of a writer's state. */
    "CREATE TABLE IF NOT EXISTS `{db}`.ta_lock (writer UInt64, ver UInt64, choosing UInt8,"
    " num UInt64, at DateTime, host String, pid UInt32) ENGINE = MergeTree ORDER BY (writer, ver)",
};

/*
 * The tables written from ta_event: by materialized views in the INSERT of
 * the events, and by repair_batch() when a server restart may have cut an
 * INSERT between the events and its views. "SELECT cols FROM ta_event
 * WHERE cond GROUP BY group" for each (name: the view's, name_mv); "total"
 * is what the view holds (where tcond) for a set of days, in blocks of
 * "scale" days (its time column: day, or blk when scale is 64), and must
 * equal count() of the events of those days that meet cond.
 */
#define MEMBER_DAY_BIT "bitShiftLeft(toUInt64(1), toUInt64(day % 64))"
#define MEMBER_VIEW(role, member, cond, sub)                                                       \
    {                                                                                              \
        "ta_member" #role, "ta_member",                                                            \
            "kind, toUInt8(" #role                                                                 \
            ") AS role, intDiv(day, 64) AS blk, a_cc AS src_cc, v_cc AS dst_cc, " member           \
            " AS member, countState() AS n, groupBitOrState(" MEMBER_DAY_BIT ") AS bits,"          \
            " groupBitOrState(if(" sub ", " MEMBER_DAY_BIT ", toUInt64(0))) AS sub",               \
            "isNull(suppressed_by) AND " cond, "kind, role, blk, src_cc, dst_cc, member",          \
            "countMerge(n)", "role = " #role, 64, member, 1000000                                  \
    }
/* The distinct non-null values of a Nullable(String) column, as a state. */
#define CONTACT_SET(col, as)                                                                       \
    "groupUniqArrayIfState(assumeNotNull(" col "), isNotNull(" col ")) AS " as
static const struct {
    const char *name, *table, *cols, *cond, *group, *total, *tcond;
    int scale;
    /* A bulk load fills the rollup in slices of this expression's hash (its
     * groups' key), about slice_groups groups a slice, so one query's
     * aggregation stays within the server's memory limit (measured at 100 M
     * events: 1.3 GB for 150,000 contacts, whose sets are large; 0.4 GB for
     * 120,000 members). */
    const char *slice;
    unsigned slice_groups;
} views[] = {
    {"ta_ident", "ta_ident", "ikey, fs, id, batch", "1", NULL, NULL, NULL, 1, NULL, 0},
    {"ta_day_count", "ta_day_count",
     "kind, day, a_cc AS src_cc, v_cc AS dst_cc, count() AS events,"
     " countIf(kind IN (2, 3)) AS flows",
     "isNull(suppressed_by)", "kind, day, src_cc, dst_cc", "sum(events)", "1", 1, NULL, 0},
    {"ta_day_supp", "ta_day_supp",
     "kind, day, a_cc AS src_cc, v_cc AS dst_cc, assumeNotNull(suppressed_by) AS list,"
     " count() AS events",
     "isNotNull(suppressed_by)", "kind, day, src_cc, dst_cc, list", "sum(events)", "1", 1, NULL, 0},
    MEMBER_VIEW(0, "a_ip", "a_ip != ''", "kind IN (0, 1) AND undated = 0"),
    MEMBER_VIEW(1, "v_ip", "v_ip != '' AND kind IN (0, 1, 6)",
                "kind IN (0, 1) AND established = 1"),
    MEMBER_VIEW(2, "assumeNotNull(item)", "isNotNull(item)", "0"),
    {"ta_contact", "ta_contact",
     "kind, intDiv(day, 64) AS blk, a_cc, v_cc, a_ip, v_ip, countState() AS n,"
     " groupBitOrState(" MEMBER_DAY_BIT ") AS bits, minState(ts) AS tmin, maxState(ts) AS tmax,"
     " maxState(a_asn) AS s_aasn, maxState(v_asn) AS s_vasn, " CONTACT_SET("a_as_name", "s_aname") ", " CONTACT_SET(
         "v_as_name",
         "s_vname") ", " CONTACT_SET("family",
                                     "s_fam") ", " CONTACT_SET("sources",
                                                               "s_src") ", " CONTACT_SET("indicato"
                                                                                         "r",
                                                                                         "s_ind"),
     "isNull(suppressed_by) AND kind = 0", "kind, blk, a_cc, v_cc, a_ip, v_ip", "countMerge(n)",
     "1", 64, "a_ip, v_ip", 150000},
};
#define NVIEWS (sizeof(views) / sizeof(views[0]))

static ta_err meta_version(struct ta__ch *c, struct ta__ch_buf *a, long *v)
{
    *v = 0;
    ta_err err = execf(c, a, "EXISTS TABLE `%s`.ta_meta", c->db);
    if (err != TA_OK)
        return err;
    if (a->len == 0 || a->p[0] != '1')
        return TA_OK;
    if ((err = execf(c, a, "SELECT any(value) FROM `%s`.ta_meta WHERE key = 'schema.store'",
                     c->db)) != TA_OK)
        return err;
    *v = a->len ? strtol(a->p, NULL, 10) : 0;
    return TA_OK;
}

static ta_err create_schema(struct ch_store *s)
{
    ta_err err = TA_OK;
    for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]) && err == TA_OK; i++) {
        struct ta__ch_buf *q = &s->q;
        q->len = 0;
        for (const char *p = schema[i]; *p;) {
            const char *t = strstr(p, "{db}");
            size_t n = t ? (size_t)(t - p) : strlen(p);
            if (!ta__ch_buf_add(q, p, n) || (t && !ta__ch_buf_add(q, s->c.db, strlen(s->c.db))))
                return TA_ERR_NOMEM;
            p += n + (t ? 4 : 0);
        }
        err = ta__ch_exec(&s->c, q->p, NULL, 0, NULL, NULL, NULL);
    }
    for (size_t i = 0; i < NVIEWS && err == TA_OK; i++)
        err = execf(&s->c, NULL,
                    "CREATE MATERIALIZED VIEW IF NOT EXISTS `%s`.%s_mv TO `%s`.%s AS SELECT %s"
                    " FROM `%s`.ta_event WHERE %s%s%s",
                    s->c.db, views[i].name, s->c.db, views[i].table, views[i].cols, s->c.db,
                    views[i].cond, views[i].group ? " GROUP BY " : "",
                    views[i].group ? views[i].group : "");
    if (err == TA_OK)
        err = execf(&s->c, NULL,
                    "INSERT INTO `%s`.ta_meta SELECT 'schema.store', '%d' WHERE (SELECT count()"
                    " FROM `%s`.ta_meta WHERE key = 'schema.store') = 0",
                    s->c.db, CH_SCHEMA_VERSION, s->c.db);
    return err;
}

/* ---- ops ---- */

static const struct ta__store_ops ch_ops;
static void ch_set_batch(struct ta_store *st, unsigned events);

ta_err ta__store_ch_open(const char *url, unsigned flags, struct ta_store **out,
                         char errbuf[TA_STORE_ERRLEN])
{
    *out = NULL;
    struct ch_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, TA_STORE_ERRLEN, "out of memory");
        return TA_ERR_NOMEM;
    }
    s->head.ops = &ch_ops;
    s->readonly = (flags & TA_STORE_READONLY) != 0;
    s->skew = TA_STORE_SKEW_US;
    s->batch_max = CH_BATCH;
    /* Smaller batches for tests of a server restart mid-run. */
    const char *bs = getenv("TA_CLICKHOUSE_BATCH");
    if (bs != NULL && strtoul(bs, NULL, 10) > 0)
        ch_set_batch((struct ta_store *)(void *)s, (unsigned)strtoul(bs, NULL, 10));
    s->memcap = TA_STORE_MEMCAP;
    ta_err err = conn_open(&s->c, url, errbuf, TA_STORE_ERRLEN);
    if (err != TA_OK)
        goto out_free;
    long v = 0;
    if ((err = meta_version(&s->c, &s->a, &v)) != TA_OK)
        goto out_err;
    if (v != 0 && v < CH_SCHEMA_VERSION) {
        /* Version 1 kept per-day hash sets, not the member table: it is not
         * converted in place (that would rewrite every event). */
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%.100s: ClickHouse store schema version %ld (an earlier threatatlas), this one "
                 "needs %d: analyse the captures again into a new database",
                 url, v, CH_SCHEMA_VERSION);
        err = TA_ERR_UNSUPPORTED;
        goto out_free;
    }
    if (v > CH_SCHEMA_VERSION) {
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%.100s: ClickHouse store schema version %ld, this threatatlas supports %d", url,
                 v, CH_SCHEMA_VERSION);
        err = TA_ERR_UNSUPPORTED;
        goto out_free;
    }
    if (v == 0 && s->readonly) {
        /* As a reader of a SQLite path never creates it. */
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%.120s: no threatatlas store in this ClickHouse database (nothing analysed "
                 "into it)",
                 url);
        err = TA_ERR_NOTFOUND;
        goto out_free;
    }
    /* A database with the tables is used as found: a cluster's (Distributed
     * tables over the shards' own, see the design page) is made by its
     * administrator, not here. */
    if (v == 0 && !s->readonly && (flags & TA_STORE_CREATE) && (err = create_schema(s)) != TA_OK)
        goto out_err;
    s->c.has_tables = v != 0 || (!s->readonly && (flags & TA_STORE_CREATE));
    if (getrandom(&s->writer, sizeof(s->writer), 0) != (ssize_t)sizeof(s->writer))
        s->writer = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
    *out = (struct ta_store *)(void *)s;
    return TA_OK;

out_err:
    snprintf(errbuf, TA_STORE_ERRLEN, "%.80s: %.160s", url, s->c.errmsg);
out_free:
    conn_close(&s->c);
    free(s);
    return err;
}

static void run_strings_free(struct ch_store *s)
{
    char **v[] = {&s->home,          &s->home_nets, &s->sensor, &s->intel_version,
                  &s->geoip_version, &s->live,      &s->sources};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        free(*v[i]);
        *v[i] = NULL;
    }
}

static void ch_run_abort(struct ta_store *st)
{
    struct ch_store *s = chs(st);
    s->run_id = 0;
    s->npend = 0;
    s->rows.len = 0;
}

static void ch_close(struct ta_store *st)
{
    struct ch_store *s = chs(st);
    if (s->run_id != 0)
        ch_run_abort(st);
    run_strings_free(s);
    free(s->pend);
    ta__ch_buf_free(&s->rows);
    ta__ch_buf_free(&s->q);
    ta__ch_buf_free(&s->a);
    conn_close(&s->c);
    free(s);
}

static const char *ch_errmsg(const struct ta_store *st)
{
    return chs_c(st)->c.errmsg;
}

static ta_err set_err(struct ch_store *s, ta_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ta_err set_err(struct ch_store *s, ta_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->c.errmsg, sizeof(s->c.errmsg), fmt, ap);
    va_end(ap);
    return e;
}

/* ---- the writers' turns ---- */

/* This host's name, for telling a dead writer of this host from a live one. */
/*
 * Bulk load into an empty database nothing else writes (the benchmark's
 * 100 M events): the rollups' views are dropped, the events stored as usual
 * (their identity index too, which the writer reads), then each rollup is
 * filled from ta_event by its view's own SELECT one 64-day block at a time
 * and the views are made again. The rollups then hold what the views would
 * have written, merged per block instead of per INSERT; the server's work per
 * event is the views' without the many small parts and their merges.
 */
static ta_err ch_bulk_begin(struct ta_store *st)
{
    struct ch_store *s = chs(st);
    ta_err err = execf(&s->c, &s->a, "SELECT count() FROM `%s`.ta_event", s->c.db);
    if (err != TA_OK)
        return err;
    if (s->a.len == 0 || s->a.p[0] != '0')
        return set_err(s, TA_ERR_ARG, "a bulk load needs an empty database");
    for (size_t i = 0; i < NVIEWS && err == TA_OK; i++)
        if (strcmp(views[i].name, "ta_ident") != 0)
            err = execf(&s->c, NULL, "DROP TABLE IF EXISTS `%s`.%s_mv", s->c.db, views[i].name);
    return err;
}

static ta_err ch_bulk_end(struct ta_store *st, uint64_t slice_groups)
{
    struct ch_store *s = chs(st);
    ta_err err =
        execf(&s->c, &s->a, "SELECT DISTINCT intDiv(day, 64) AS b FROM `%s`.ta_event ORDER BY b",
              s->c.db);
    if (err != TA_OK)
        return err;
    size_t nb = 0;
    int64_t blk[64];
    char *pos = s->a.p, *end = s->a.p + s->a.len;
    struct ta__ch_field f[1];
    while (nb < sizeof(blk) / sizeof(blk[0]) && ta__ch_tsv_row(&pos, end, f, 1) == 1)
        blk[nb++] = ta__ch_i64(&f[0]);
    if (pos != end)
        return set_err(s, TA_ERR_LIMIT, "a bulk load spans more than %zu blocks of 64 days",
                       sizeof(blk) / sizeof(blk[0]));
    for (size_t b = 0; b < nb && err == TA_OK; b++) {
        long long d0 = (long long)(blk[b] * 64), d1 = d0 + 63;
        for (size_t i = 0; i < NVIEWS && err == TA_OK; i++) {
            if (strcmp(views[i].name, "ta_ident") == 0)
                continue;
            unsigned long long ns = 1;
            if (views[i].slice_groups > 0) {
                if ((err = execf(&s->c, &s->a,
                                 "SELECT uniq(%s) FROM `%s`.ta_event WHERE day BETWEEN %lld AND"
                                 " %lld AND (%s)",
                                 views[i].slice, s->c.db, d0, d1, views[i].cond)) != TA_OK)
                    break;
                ns += (s->a.len ? strtoull(s->a.p, NULL, 10) : 0) /
                      (slice_groups ? slice_groups : views[i].slice_groups);
            }
            for (unsigned long long k = 0; k < ns && err == TA_OK; k++) {
                char slice[160] = "";
                if (ns > 1)
                    snprintf(slice, sizeof(slice), " AND cityHash64(%s) %% %llu = %llu",
                             views[i].slice, ns, k);
                err = execf(&s->c, NULL,
                            "INSERT INTO `%s`.%s SELECT %s FROM `%s`.ta_event WHERE day BETWEEN"
                            " %lld AND %lld AND (%s)%s%s%s",
                            s->c.db, views[i].table, views[i].cols, s->c.db, d0, d1, views[i].cond,
                            slice, views[i].group ? " GROUP BY " : "",
                            views[i].group ? views[i].group : "");
            }
        }
    }
    return err == TA_OK ? create_schema(s) : err;
}

static const char *host_name(void)
{
    static char name[256];
    if (name[0] == '\0' && gethostname(name, sizeof(name) - 1) != 0)
        snprintf(name, sizeof(name), "?");
    return name;
}

static ta_err lock_write(struct ch_store *s, int choosing, uint64_t num)
{
    struct ta__ch_buf *q = &s->q;
    q->len = 0;
    if (!ta__ch_buf_printf(q, "INSERT INTO `%s`.ta_lock SELECT %llu, %llu, %d, %llu, now(), ",
                           s->c.db, (unsigned long long)s->writer,
                           (unsigned long long)++s->lock_ver, choosing, (unsigned long long)num) ||
        !ta__ch_quote(q, host_name(), strlen(host_name())) ||
        !ta__ch_buf_printf(q, ", %ld", (long)getpid()))
        return TA_ERR_NOMEM;
    return ta__ch_exec(&s->c, q->p, NULL, 0, NULL, NULL, NULL);
}

struct lock_row {
    uint64_t writer, num;
    bool choosing;
};

static bool pid_alive(int64_t pid);

/* The live writers' current rows: a writer is dead when its last row is
 * older than the lease, or sooner when it ran on this host and its process
 * is gone (a run that failed with the server down could not give its turn
 * back). */
static ta_err lock_read(struct ch_store *s, struct lock_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    struct ta__ch_buf *q = &s->q;
    q->len = 0;
    if (!ta__ch_buf_printf(q, "SELECT writer, argMax(choosing, ver), argMax(num, ver),"
                              " argMax(host, ver) = ") ||
        !ta__ch_quote(q, host_name(), strlen(host_name())) ||
        !ta__ch_buf_printf(q,
                           ", argMax(pid, ver) FROM `%s`.ta_lock WHERE at > now() - %d"
                           " GROUP BY writer",
                           s->c.db, LOCK_LEASE_S))
        return TA_ERR_NOMEM;
    ta_err err = ta__ch_exec(&s->c, q->p, NULL, 0, &s->a, NULL, NULL);
    if (err != TA_OK)
        return err;
    char *p = s->a.p, *end = s->a.p + s->a.len;
    struct ta__ch_field f[5];
    size_t cap = 0;
    while (ta__ch_tsv_row(&p, end, f, 5) == 5) {
        int64_t pid = ta__ch_i64(&f[4]);
        if (f[3].p[0] == '1' && pid != (int64_t)getpid() && !pid_alive(pid))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct lock_row *r = realloc(*rows, cap * sizeof(*r));
            if (r == NULL)
                return TA_ERR_NOMEM;
            *rows = r;
        }
        (*rows)[*n].writer = strtoull(f[0].p, NULL, 10);
        (*rows)[*n].choosing = f[1].p[0] == '1';
        (*rows)[*n].num = strtoull(f[2].p, NULL, 10);
        (*n)++;
    }
    return TA_OK;
}

/* Take this writer's turn: returns when no other writer is between its
 * "look for copies" and its inserts. */
static ta_err lock_take(struct ch_store *s)
{
    struct lock_row *r = NULL;
    size_t n = 0;
    ta_err err = lock_write(s, 1, 0);
    if (err == TA_OK)
        err = lock_read(s, &r, &n);
    if (err != TA_OK) {
        free(r);
        return err;
    }
    uint64_t mine = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].num > mine)
            mine = r[i].num;
    mine++;
    free(r);
    r = NULL;
    if ((err = lock_write(s, 0, mine)) != TA_OK)
        return err;
    double wait = 0.01, refreshed = mono_s();
    for (;;) {
        if ((err = lock_read(s, &r, &n)) != TA_OK)
            break;
        bool go = true;
        for (size_t i = 0; i < n && go; i++) {
            if (r[i].writer == s->writer)
                continue;
            if (r[i].choosing || (r[i].num != 0 && (r[i].num < mine ||
                                                    (r[i].num == mine && r[i].writer < s->writer))))
                go = false;
        }
        free(r);
        r = NULL;
        if (go)
            break;
        if (mono_s() - refreshed > LOCK_REFRESH_S) {
            if ((err = lock_write(s, 0, mine)) != TA_OK)
                break;
            refreshed = mono_s();
        }
        sleep_s(wait);
        if (wait < 0.2)
            wait *= 2;
    }
    return err;
}

static ta_err lock_give(struct ch_store *s)
{
    return lock_write(s, 0, 0);
}

/* The writers' rows older than a day are dropped (once a run starts, when
 * there are any): a live writer's last row is never older than the lease,
 * so the turns read the same, and the table holds a day of turns, not every
 * batch ever written. */
static ta_err lock_trim(struct ch_store *s)
{
    ta_err err = execf(&s->c, &s->a, "SELECT count() FROM `%s`.ta_lock WHERE at < now() - %d",
                       s->c.db, LOCK_KEEP_S);
    if (err == TA_OK && s->a.len > 0 && s->a.p[0] != '0')
        err = execf(&s->c, NULL, "ALTER TABLE `%s`.ta_lock DELETE WHERE at < now() - %d", s->c.db,
                    LOCK_KEEP_S);
    return err;
}

/* ---- runs ---- */

static ta_err ch_run_is_done(struct ta_store *st, const uint8_t digest[TA_SHA256_LEN], bool *done)
{
    struct ch_store *s = chs(st);
    char hex[TA_SHA256_HEXLEN];
    *done = false;
    if (!s->c.has_tables)
        return TA_OK;
    ta_err err = execf(&s->c, &s->a,
                       "SELECT argMax(state, ver) AS st FROM `%s`.ta_run GROUP BY id"
                       " HAVING argMax(digest, ver) = '%s'",
                       s->c.db, ta_sha256_hex(digest, hex));
    if (err == TA_OK)
        *done = s->a.len > 0 && s->a.p[0] == '1';
    return err;
}

static char *dup0(const char *v)
{
    return strdup(v ? v : "");
}

/* Append v to the RowBinary buffer as a String. */
static bool rb_str(struct ta__ch_buf *b, const void *v, size_t n)
{
    uint8_t var[10];
    size_t k = 0;
    uint64_t x = n;
    do {
        var[k++] = (uint8_t)((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
        x >>= 7;
    } while (x);
    return ta__ch_buf_add(b, var, k) && ta__ch_buf_add(b, v, n);
}

static bool rb_cstr(struct ta__ch_buf *b, const char *v)
{
    return rb_str(b, v ? v : "", v ? strlen(v) : 0);
}

static bool rb_nstr(struct ta__ch_buf *b, const char *v)
{
    uint8_t isnull = v == NULL;
    return ta__ch_buf_add(b, &isnull, 1) && (v == NULL || rb_str(b, v, strlen(v)));
}

/* Little-endian fixed-width integer (x86 and arm64 are little-endian;
 * bytes are written explicitly so that is not assumed). */
static bool rb_int(struct ta__ch_buf *b, uint64_t v, size_t width)
{
    uint8_t o[8];
    for (size_t i = 0; i < width; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    return ta__ch_buf_add(b, o, width);
}

/* Write the open run's row (a new version). */
static ta_err run_row(struct ch_store *s, int state, int64_t finished)
{
    struct ta__ch_buf *b = &s->q;
    b->len = 0;
    bool ok = rb_int(b, (uint64_t)s->run_id, 4) && rb_int(b, ++s->ver, 8) &&
              rb_cstr(b, s->digest) && rb_int(b, (uint64_t)state, 1) && rb_cstr(b, s->home) &&
              rb_cstr(b, s->home_nets) && rb_cstr(b, s->sensor) && rb_cstr(b, s->intel_version) &&
              rb_cstr(b, s->geoip_version) && rb_int(b, s->geoip_built, 8) &&
              rb_int(b, (uint64_t)s->ev_first, 8) && rb_int(b, (uint64_t)s->ev_last, 8) &&
              rb_int(b, s->n_new, 8) && rb_int(b, s->n_known, 8) &&
              rb_int(b, (uint64_t)s->started, 8) && rb_int(b, (uint64_t)finished, 8) &&
              rb_int(b, (uint64_t)getpid(), 8) && rb_cstr(b, s->live) &&
              rb_int(b, (uint64_t)time(NULL), 8) && rb_cstr(b, s->sources);
    if (!ok)
        return TA_ERR_NOMEM;
    char sql[256];
    snprintf(sql, sizeof(sql), "INSERT INTO `%s`.ta_run FORMAT RowBinary", s->c.db);
    /* A version written twice is the same row: retrying blindly is safe. */
    return ta__ch_exec(&s->c, sql, b->p, b->len, NULL, NULL, NULL);
}

/* Whether every input was analysed to completion by some run. */
static ta_err inputs_done(struct ch_store *s, const struct ta_store_run_info *info, bool *all)
{
    struct ta__ch_buf *q = &s->q;
    q->len = 0;
    bool ok = ta__ch_buf_printf(q,
                                "SELECT uniqExact(sha256) FROM `%s`.ta_input WHERE run_id IN"
                                " (SELECT id FROM `%s`.ta_run GROUP BY id HAVING"
                                " argMax(state, ver) = 1) AND sha256 IN (",
                                s->c.db, s->c.db);
    for (size_t i = 0; i < info->n_inputs && ok; i++) {
        char hex[TA_SHA256_HEXLEN];
        ok = (i == 0 || ta__ch_buf_add(q, ",", 1)) &&
             ta__ch_quote(q, ta_sha256_hex(info->inputs[i].sha256, hex), 64);
    }
    if (!ok || !ta__ch_buf_add(q, ")", 1))
        return TA_ERR_NOMEM;
    ta_err err = ta__ch_exec(&s->c, q->p, NULL, 0, &s->a, NULL, NULL);
    if (err != TA_OK)
        return err;
    /* Distinct inputs: the same file given twice is one. */
    size_t distinct = 0;
    for (size_t i = 0; i < info->n_inputs; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = memcmp(info->inputs[i].sha256, info->inputs[j].sha256, TA_SHA256_LEN) == 0;
        distinct += !seen;
    }
    *all = strtoull(s->a.p ? s->a.p : "0", NULL, 10) >= distinct;
    return TA_OK;
}

static ta_err repair_batch(struct ch_store *s, int64_t batch, int64_t dmin, int64_t dmax);

static ta_err ch_run_begin(struct ta_store *st, const struct ta_store_run_info *info,
                           bool *already_done)
{
    struct ch_store *s = chs(st);
    *already_done = false;
    if (s->readonly)
        return set_err(s, TA_ERR_ARG, "database opened read-only");
    if (s->run_id != 0)
        return set_err(s, TA_ERR_ARG, "a run is already open");
    bool live = info->live != NULL && info->live[0] != '\0';
    if (info->n_inputs == 0 && !live)
        return set_err(s, TA_ERR_ARG, "a run needs at least one input");
    if (live && (info->n_inputs != 0 || info->redo))
        return set_err(s, TA_ERR_ARG, "a live run has no input files and no redo");
    if (info->redo)
        return set_err(s, TA_ERR_UNSUPPORTED,
                       "--redo deletes runs, which a ClickHouse store does not do: its rollups "
                       "cannot subtract a run; analyse into a new database instead");
    uint8_t digest[TA_SHA256_LEN];
    if (live)
        ta__store_live_digest(info, digest);
    else
        ta_store_run_digest(info->inputs, info->n_inputs, digest);
    ta_sha256_hex(digest, s->digest);
    ta_err err;
    if (!live) {
        bool all = false;
        if ((err = inputs_done(s, info, &all)) != TA_OK)
            return err;
        if (all) {
            *already_done = true;
            return TA_OK;
        }
    }
    /* Run ids are handed out under the writers' turn: max + 1 is unique. */
    if ((err = lock_take(s)) != TA_OK)
        return err;
    int64_t id = 0;
    uint64_t seq = 0, ver = 0, n_new = 0, n_known = 0;
    if ((err = execf(&s->c, &s->a,
                     "SELECT id, max(ver), argMax(n_new, ver), argMax(n_known, ver)"
                     " FROM `%s`.ta_run GROUP BY id HAVING argMax(digest, ver) = '%s'"
                     " AND argMax(live, ver) = ''",
                     s->c.db, s->digest)) != TA_OK)
        goto out_give;
    if (s->a.len > 0 && !live) {
        /* An earlier attempt on these inputs was interrupted: resume it. */
        char *p = s->a.p;
        struct ta__ch_field f[4];
        if (ta__ch_tsv_row(&p, s->a.p + s->a.len, f, 4) == 4) {
            id = ta__ch_i64(&f[0]);
            ver = (uint64_t)ta__ch_i64(&f[1]);
            n_new = (uint64_t)ta__ch_i64(&f[2]);
            n_known = (uint64_t)ta__ch_i64(&f[3]);
        }
        s->stats.runs_redone++;
        /* From ta_event itself: its views may lack the last batch if the
         * server stopped inside its INSERT; that batch's views are
         * completed here. */
        if ((err = execf(&s->c, &s->a,
                         "SELECT max(id), max(batch) FROM `%s`.ta_event WHERE run_id = %lld",
                         s->c.db, (long long)id)) != TA_OK)
            goto out_give;
        char *rp = s->a.p;
        struct ta__ch_field rf[3];
        int64_t mx = 0, lastb = 0;
        if (ta__ch_tsv_row(&rp, s->a.p + s->a.len, rf, 3) == 2) {
            mx = ta__ch_i64(&rf[0]);
            lastb = ta__ch_i64(&rf[1]);
        }
        if (mx > 0)
            seq = ((uint64_t)mx & (EVENTS_PER_RUN - 1)) + 1;
        if (lastb > 0) {
            if ((err = execf(&s->c, &s->a,
                             "SELECT min(day), max(day) FROM `%s`.ta_event WHERE run_id = %lld"
                             " AND batch = %lld",
                             s->c.db, (long long)id, (long long)lastb)) != TA_OK)
                goto out_give;
            rp = s->a.p;
            if (ta__ch_tsv_row(&rp, s->a.p + s->a.len, rf, 3) == 2 &&
                (err = repair_batch(s, lastb, ta__ch_i64(&rf[0]), ta__ch_i64(&rf[1]))) != TA_OK)
                goto out_give;
        }
    } else {
        if ((err = execf(&s->c, &s->a, "SELECT max(id) FROM `%s`.ta_run", s->c.db)) != TA_OK)
            goto out_give;
        id = (s->a.len ? strtoll(s->a.p, NULL, 10) : 0) + 1;
        if (id >= (int64_t)1 << 31) {
            err = set_err(s, TA_ERR_LIMIT, "too many runs");
            goto out_give;
        }
    }
    run_strings_free(s);
    s->home = dup0(info->home);
    s->home_nets = dup0(info->home_nets);
    s->sensor = dup0(info->sensor);
    s->intel_version = dup0(info->intel_version);
    s->geoip_version = dup0(info->geoip_version);
    s->live = dup0(live ? info->live : "");
    s->sources = dup0("");
    if (!s->home || !s->home_nets || !s->sensor || !s->intel_version || !s->geoip_version ||
        !s->live || !s->sources) {
        err = TA_ERR_NOMEM;
        goto out_give;
    }
    s->geoip_built = info->geoip_built;
    s->started = (int64_t)time(NULL);
    s->run_id = id;
    s->ver = ver;
    s->n_new = n_new;
    s->n_known = n_known;
    s->ev_first = s->ev_last = 0;
    if ((err = run_row(s, 0, 0)) != TA_OK)
        goto out_give;
    if (ver == 0 || seq == 0) {
        /* Inputs: written once per run id (a resumed run already has them
         * unless it stopped before its first batch). */
        struct ta__ch_buf *b = &s->q;
        b->len = 0;
        bool ok = true;
        if (ver != 0) {
            if ((err = execf(&s->c, &s->a, "SELECT count() FROM `%s`.ta_input WHERE run_id = %lld",
                             s->c.db, (long long)id)) != TA_OK)
                goto out_give;
            ok = s->a.len == 0 || s->a.p[0] == '0';
        }
        for (size_t i = 0; i < info->n_inputs && ok; i++) {
            char ih[TA_SHA256_HEXLEN];
            ok = rb_int(b, (uint64_t)id, 4) && rb_int(b, i, 4) &&
                 rb_cstr(b, info->inputs[i].path) && rb_int(b, info->inputs[i].size, 8) &&
                 rb_cstr(b, ta_sha256_hex(info->inputs[i].sha256, ih));
        }
        if (b->len > 0) {
            char sql[256];
            snprintf(sql, sizeof(sql), "INSERT INTO `%s`.ta_input FORMAT RowBinary", s->c.db);
            if ((err = ta__ch_exec(&s->c, sql, b->p, b->len, NULL, NULL, NULL)) != TA_OK)
                goto out_give;
        }
    }
    s->seq = seq;
    s->sticky = TA_OK;
    s->npend = 0;
    s->rows.len = 0;
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.runs_redone = ver != 0;
    if ((err = lock_trim(s)) != TA_OK)
        goto out_give;
    return lock_give(s);

out_give:
    s->run_id = 0;
    lock_give(s);
    return err;
}

static int64_t ch_run_id(const struct ta_store *st)
{
    return chs_c(st)->run_id;
}

static bool pid_alive(int64_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void hex_bytes(const char *hex, uint8_t out[TA_SHA256_LEN])
{
    memset(out, 0, TA_SHA256_LEN);
    for (size_t i = 0; i < TA_SHA256_LEN && hex[2 * i] && hex[2 * i + 1]; i++) {
        char t[3] = {hex[2 * i], hex[2 * i + 1], 0};
        out[i] = (uint8_t)strtoul(t, NULL, 16);
    }
}

static ta_err ch_runs_list(struct ta_store *st, int64_t id, ta_store_run_cb cb, void *ctx)
{
    struct ch_store *s = chs(st);
    if (!s->c.has_tables)
        return id > 0 ? TA_ERR_NOTFOUND : TA_OK;
    struct ta__ch_buf runs = {0}, ins = {0};
    ta_err err =
        execf(&s->c, &runs,
              "SELECT id, argMax(state, ver), argMax(digest, ver), argMax(home, ver),"
              " argMax(home_nets, ver), argMax(sensor, ver), argMax(intel_version, ver),"
              " argMax(geoip_version, ver), argMax(geoip_built, ver),"
              " argMax(ts_first, ver), argMax(ts_last, ver), argMax(n_new, ver),"
              " argMax(n_known, ver), argMax(started, ver), argMax(finished, ver),"
              " argMax(pid, ver), argMax(live, ver), argMax(last_commit, ver), argMax(sources, ver)"
              " FROM `%s`.ta_run WHERE %lld <= 0 OR id = %lld GROUP BY id ORDER BY id",
              s->c.db, (long long)id, (long long)id);
    if (err == TA_OK)
        err = execf(&s->c, &ins,
                    "SELECT run_id, path, size, sha256 FROM `%s`.ta_input"
                    " WHERE %lld <= 0 OR run_id = %lld ORDER BY run_id, seq",
                    s->c.db, (long long)id, (long long)id);
    bool any = false;
    char *ip = ins.p, *iend = ins.p + ins.len;
    struct ta__ch_field in[4];
    size_t inn = err == TA_OK ? ta__ch_tsv_row(&ip, iend, in, 4) : 0;
    char *p = runs.p, *end = runs.p + runs.len;
    struct ta__ch_field f[19];
    while (err == TA_OK && ta__ch_tsv_row(&p, end, f, 19) == 19) {
        any = true;
        struct ta_store_run_desc d = {
            .id = ta__ch_i64(&f[0]),
            .done = ta__ch_i64(&f[1]) == 1,
            .digest = f[2].p,
            .home = f[3].p,
            .home_nets = f[4].p,
            .sensor = f[5].p,
            .intel_version = f[6].p,
            .geoip_version = f[7].p,
            .geoip_built = (uint64_t)ta__ch_i64(&f[8]),
            .ts_first = ta__ch_i64(&f[9]),
            .ts_last = ta__ch_i64(&f[10]),
            .events_new = (uint64_t)ta__ch_i64(&f[11]),
            .events_known = (uint64_t)ta__ch_i64(&f[12]),
            .started = ta__ch_i64(&f[13]),
            .finished = ta__ch_i64(&f[14]),
            .pid = ta__ch_i64(&f[15]),
            .live = f[16].p,
            .last_commit = ta__ch_i64(&f[17]),
            .sources = f[18].p,
        };
        d.alive = d.live[0] != '\0' && !d.done &&
                  (d.pid == (int64_t)getpid() ? d.id == s->run_id : pid_alive(d.pid));
        struct ta_store_input *inputs = NULL;
        size_t n = 0, cap = 0;
        while (inn == 4 && ta__ch_i64(&in[0]) < d.id)
            inn = ta__ch_tsv_row(&ip, iend, in, 4);
        while (inn == 4 && ta__ch_i64(&in[0]) == d.id) {
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                struct ta_store_input *v = realloc(inputs, cap * sizeof(*v));
                if (v == NULL) {
                    err = TA_ERR_NOMEM;
                    break;
                }
                inputs = v;
            }
            inputs[n].path = in[1].p;
            inputs[n].size = (uint64_t)ta__ch_i64(&in[2]);
            hex_bytes(in[3].p, inputs[n].sha256);
            n++;
            inn = ta__ch_tsv_row(&ip, iend, in, 4);
        }
        d.inputs = inputs;
        d.n_inputs = n;
        bool go_on = err == TA_OK && cb(ctx, &d);
        free(inputs);
        if (!go_on)
            break;
    }
    if (err == TA_OK && id > 0 && !any)
        err = set_err(s, TA_ERR_NOTFOUND, "no run %lld", (long long)id);
    ta__ch_buf_free(&runs);
    ta__ch_buf_free(&ins);
    return err;
}

static ta_err ch_run_delete(struct ta_store *st, int64_t id)
{
    (void)id;
    return set_err(chs(st), TA_ERR_UNSUPPORTED,
                   "a ClickHouse store does not delete runs: its rollups cannot subtract one");
}

ta_err ta__ch_run_sensors(struct ta__ch *c, struct ta__ch_run_sensor **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct ta__ch_buf a = {0};
    ta_err err = execf(c, &a,
                       "SELECT id, argMax(sensor, ver) FROM `%s`.ta_run GROUP BY id"
                       " ORDER BY id",
                       c->db);
    char *p = a.p, *end = a.p + a.len;
    struct ta__ch_field f[2];
    size_t cap = 0;
    while (err == TA_OK && ta__ch_tsv_row(&p, end, f, 2) == 2) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct ta__ch_run_sensor *v = realloc(*out, cap * sizeof(*v));
            if (v == NULL) {
                err = TA_ERR_NOMEM;
                break;
            }
            *out = v;
        }
        (*out)[*n].id = ta__ch_i64(&f[0]);
        (*out)[*n].sensor = strdup(f[1].p);
        if ((*out)[*n].sensor == NULL) {
            err = TA_ERR_NOMEM;
            break;
        }
        (*n)++;
    }
    ta__ch_buf_free(&a);
    return err;
}

/* ---- writing events ---- */

static void upcase_cc(const char cc[3], char out[3])
{
    size_t n = strnlen(cc, 2);
    for (size_t i = 0; i < n; i++)
        out[i] = (cc[i] >= 'a' && cc[i] <= 'z') ? (char)(cc[i] - 32) : cc[i];
    out[n] = '\0';
}

static bool rb_ip(struct ta__ch_buf *b, const struct ta_addr *a)
{
    if (a->family == 4)
        return rb_str(b, a->b + 12, 4);
    if (a->family == 6)
        return rb_str(b, a->b, 16);
    return rb_str(b, "", 0);
}

static bool rb_side(struct ta__ch_buf *b, const struct ta_event_side *sd)
{
    char cc[3];
    upcase_cc(sd->cc, cc);
    return rb_ip(b, &sd->ip) && rb_int(b, sd->port, 2) && rb_cstr(b, cc) && rb_int(b, sd->asn, 4) &&
           rb_nstr(b, sd->as_name) && rb_int(b, sd->home, 1);
}

/* The event's row; id and run id are patched in at commit. */
static bool event_row(struct ch_store *s, const struct ta_event *ev, uint64_t h, ta_time_us t)
{
    struct ta__ch_buf *b = &s->rows;
    char itembuf[TA__STORE_ITEM_MAX + 1];
    const char *item = ta__store_item_of(ev, itembuf);
    size_t bl = ev->body && ev->body_len ? ev->body_len : 0;
    if (bl > ta__store_body_max())
        bl = ta__store_body_max();
    bool ok = rb_int(b, 0, 8) && rb_int(b, 0, 4) &&
              rb_int(b, (uint64_t)ta__store_ident_key(h, t), 8) && rb_int(b, (uint64_t)t, 8) &&
              rb_int(b, (uint64_t)ev->kind, 1) && rb_int(b, (uint64_t)ev->method, 1) &&
              rb_int(b, (uint64_t)ev->ts, 8) && rb_int(b, (uint64_t)ta_store_day(ev->ts), 4) &&
              rb_int(b, ev->flow_id, 8) && rb_int(b, ev->proto, 1) && rb_int(b, ev->tx_index, 4) &&
              rb_int(b, ev->established, 1) && rb_int(b, ev->undated, 1) &&
              rb_nstr(b, ev->suppressed_by) && rb_side(b, &ev->attacker) &&
              rb_side(b, &ev->victim) && rb_int(b, ev->confidence, 1) &&
              rb_nstr(b, ev->signature) && rb_nstr(b, ev->family) && rb_nstr(b, ev->indicator) &&
              rb_nstr(b, ev->indicator_type) && rb_nstr(b, ev->sources) &&
              rb_nstr(b, ev->hostname) && rb_nstr(b, ev->url) && rb_nstr(b, ev->dns_answer);
    if (ok && bl > 0) {
        uint8_t z = 0;
        ok = ta__ch_buf_add(b, &z, 1) && rb_str(b, ev->body, bl);
    } else if (ok) {
        uint8_t one = 1;
        ok = ta__ch_buf_add(b, &one, 1);
    }
    return ok && rb_nstr(b, item) && rb_int(b, 0, 8); /* batch: patched at commit */
}

static ta_err commit_batch(struct ch_store *s);

static ta_err ch_add_event(struct ta_store *st, const struct ta_event *ev)
{
    struct ch_store *s = chs(st);
    if (s->run_id == 0)
        return set_err(s, TA_ERR_ARG, "no run open");
    if ((unsigned)ev->kind >= TA_EVENT_KIND__COUNT)
        return set_err(s, TA_ERR_ARG, "invalid event kind %d", (int)ev->kind);
    if (s->seq + s->npend >= EVENTS_PER_RUN - 1)
        return set_err(s, TA_ERR_LIMIT, "too many events in one run");
    if (s->npend == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        struct pend *p = realloc(s->pend, nc * sizeof(*p));
        if (p == NULL)
            return TA_ERR_NOMEM;
        s->pend = p;
        s->cap = nc;
    }
    struct pend *p = &s->pend[s->npend];
    p->h = ta__store_ident_hash(ev);
    p->t = ta__store_ident_time(ev);
    ta_time_us skew = ev->flow_start ? s->skew : 0;
    p->lo = p->t > skew ? p->t - skew : 0;
    p->hi = p->t + skew;
    p->ts = ev->ts;
    p->off = s->rows.len;
    if (!event_row(s, ev, p->h, p->t)) {
        s->rows.len = p->off;
        return set_err(s, TA_ERR_NOMEM, "out of memory for the batch");
    }
    p->len = s->rows.len - p->off;
    s->npend++;
    s->stats.events++;
    if (s->npend >= s->batch_max || s->rows.len > s->memcap) {
        if (s->npend < s->batch_max)
            s->stats.mem_overflows++;
        return commit_batch(s);
    }
    return TA_OK;
}

static void ch_event_sink(void *ctx, const struct ta_event *ev)
{
    struct ch_store *s = ctx;
    if (s->sticky != TA_OK)
        return;
    s->sticky = ch_add_event(ctx, ev);
}

/* Identity keys found in the store: sorted (ikey, fs, id). */
struct cand {
    int64_t ikey, fs, id;
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->ikey != y->ikey)
        return x->ikey < y->ikey ? -1 : 1;
    if (x->fs != y->fs)
        return x->fs < y->fs ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Run "prefix (v1,v2,...)" over sorted unique values in chunks, appending
 * the answers' rows to out. */
static ta_err in_chunks(struct ch_store *s, const char *prefix, const char *suffix,
                        const int64_t *v, size_t n, struct ta__ch_buf *out)
{
    out->len = 0;
    for (size_t i = 0; i < n; i += CH_KEYS_PER_QUERY) {
        struct ta__ch_buf *q = &s->q;
        q->len = 0;
        bool ok = ta__ch_buf_printf(q, "%s (", prefix);
        for (size_t j = i; j < n && j < i + CH_KEYS_PER_QUERY && ok; j++)
            ok = ta__ch_buf_printf(q, "%s%lld", j > i ? "," : "", (long long)v[j]);
        if (!ok || !ta__ch_buf_printf(q, ")%s", suffix))
            return TA_ERR_NOMEM;
        ta_err err = ta__ch_exec(&s->c, q->p, NULL, 0, &s->a, NULL, NULL);
        if (err != TA_OK)
            return err;
        if (!ta__ch_buf_add(out, s->a.p, s->a.len))
            return TA_ERR_NOMEM;
    }
    return TA_OK;
}

static size_t uniq_i64(int64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (o == 0 || v[o - 1] != v[i])
            v[o++] = v[i];
    return o;
}

/* The stored candidates for the batch's keys (both ends of each window). */
static ta_err load_cands(struct ch_store *s, struct cand **out, size_t *nc)
{
    *out = NULL;
    *nc = 0;
    int64_t *keys = malloc(2 * s->npend * sizeof(*keys) + 1);
    if (keys == NULL)
        return TA_ERR_NOMEM;
    size_t nk = 0;
    for (size_t i = 0; i < s->npend; i++) {
        keys[nk++] = ta__store_ident_key(s->pend[i].h, s->pend[i].lo);
        keys[nk++] = ta__store_ident_key(s->pend[i].h, s->pend[i].hi);
    }
    nk = uniq_i64(keys, nk);
    struct ta__ch_buf ans = {0};
    ta_err err = TA_OK;
    /* Captures advance in time: a batch's keys fall in a few time buckets
     * (the keys' high bits). Reading those buckets whole costs one index
     * range each, far less than parsing a list of every key, unless other
     * sensors stored many more events there than the batch has. A batch
     * spread over more buckets (a long quiet capture, events of many days)
     * reads its whole span of buckets, on the same condition. */
    struct ta__ch_buf *w = &s->q;
    w->len = 0;
    size_t nb = 0;
    bool ok = true;
    for (size_t i = 0; i < nk && nb <= 16 && ok; i++) {
        int64_t b = keys[i] >> 41;
        if (i > 0 && keys[i - 1] >> 41 == b)
            continue;
        nb++;
        ok = ta__ch_buf_printf(w, "%s(ikey BETWEEN %lld AND %lld)", nb > 1 ? " OR " : "",
                               (long long)(b * ((int64_t)1 << 41)),
                               (long long)(b * ((int64_t)1 << 41) + (((int64_t)1 << 41) - 1)));
    }
    if (ok && nb > 16) {
        int64_t lo = keys[0] >> 41, hi = keys[nk - 1] >> 41;
        w->len = 0;
        ok =
            ta__ch_buf_printf(w, "ikey BETWEEN %lld AND %lld", (long long)(lo * ((int64_t)1 << 41)),
                              (long long)(hi * ((int64_t)1 << 41) + (((int64_t)1 << 41) - 1)));
        nb = 1;
    }
    char *where = ok && nb <= 16 ? strdup(w->p ? w->p : "0") : NULL;
    bool whole = false;
    if (where != NULL) {
        err = execf(&s->c, &s->a, "SELECT count() FROM `%s`.ta_ident WHERE %s", s->c.db, where);
        whole = err == TA_OK && strtoull(s->a.p ? s->a.p : "0", NULL, 10) <= 4 * (uint64_t)nk;
        if (whole)
            err = execf(&s->c, &ans, "SELECT ikey, fs, id FROM `%s`.ta_ident WHERE %s", s->c.db,
                        where);
        free(where);
    }
    if (err == TA_OK && !whole) {
        char prefix[200];
        snprintf(prefix, sizeof(prefix), "SELECT ikey, fs, id FROM `%s`.ta_ident WHERE ikey IN",
                 s->c.db);
        err = in_chunks(s, prefix, "", keys, nk, &ans);
    }
    free(keys);
    size_t cap = 0;
    char *p = ans.p, *end = ans.p + ans.len;
    struct ta__ch_field f[3];
    while (err == TA_OK && ta__ch_tsv_row(&p, end, f, 3) == 3) {
        if (*nc == cap) {
            cap = cap ? cap * 2 : 256;
            struct cand *v = realloc(*out, cap * sizeof(*v));
            if (v == NULL) {
                err = TA_ERR_NOMEM;
                break;
            }
            *out = v;
        }
        (*out)[*nc] = (struct cand){ta__ch_i64(&f[0]), ta__ch_i64(&f[1]), ta__ch_i64(&f[2])};
        (*nc)++;
    }
    ta__ch_buf_free(&ans);
    if (err == TA_OK && *nc > 1)
        qsort(*out, *nc, sizeof(**out), cmp_cand);
    return err;
}

/* First stored candidate of key k with fs in [lo, hi], 0 if none. */
static int64_t find_cand(const struct cand *c, size_t n, int64_t k, ta_time_us ulo, ta_time_us uhi)
{
    int64_t lo = (int64_t)ulo, hi = (int64_t)uhi;
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (c[m].ikey < k || (c[m].ikey == k && c[m].fs < lo))
            a = m + 1;
        else
            b = m;
    }
    return a < n && c[a].ikey == k && c[a].fs <= hi ? c[a].id : 0;
}

/* Hash table of the batch's new events by identity hash (chained through
 * pend.next), for copies within the batch. */
struct bmap {
    int64_t *slot;
    size_t mask;
};

#define KEY_MASK ((1ull << 41) - 1)

static int64_t bmap_find(const struct ch_store *s, const struct bmap *m, const struct pend *p)
{
    for (int64_t i = m->slot[(p->h & KEY_MASK) & m->mask]; i >= 0; i = s->pend[i].next) {
        const struct pend *q = &s->pend[i];
        if ((q->h & KEY_MASK) == (p->h & KEY_MASK) && q->t >= p->lo && q->t <= p->hi)
            return q->copy;
    }
    return 0;
}

struct landed_ctx {
    struct ch_store *s;
    int64_t lo, hi;     /* the batch's new event ids */
    int64_t dmin, dmax; /* and days: the partitions to look in */
    uint64_t n;
    bool asked; /* an answer was lost: the views may lack the batch */
};

static ta_err events_landed(struct ta__ch *c, void *ctx, bool *landed)
{
    struct landed_ctx *l = ctx;
    l->asked = true;
    struct ta__ch_buf a = {0};
    /* ta_event itself, not a view of it: the view is written after it. */
    ta_err err =
        execf(c, &a,
              "SELECT count() FROM `%s`.ta_event WHERE day BETWEEN %lld AND %lld"
              " AND id BETWEEN %lld AND %lld",
              c->db, (long long)l->dmin, (long long)l->dmax, (long long)l->lo, (long long)l->hi);
    if (err == TA_OK) {
        uint64_t got = a.len ? strtoull(a.p, NULL, 10) : 0;
        *landed = got == l->n;
        if (got != 0 && got != l->n)
            err = set_err(l->s, TA_ERR_DB,
                          "ClickHouse: a batch of %llu events landed with %llu; run again to "
                          "resume",
                          (unsigned long long)l->n, (unsigned long long)got);
    }
    ta__ch_buf_free(&a);
    return err;
}

/*
 * Make sure every view of ta_event has batch's rows: after a lost answer the
 * server may have stopped between the events and a view. Under the turn no
 * other writer adds events, so a view holds for the batch's days exactly
 * what ta_event has there, or lacks the whole batch (a view's rows of one
 * INSERT are one part); then they are made from ta_event.
 */
static ta_err repair_batch(struct ch_store *s, int64_t batch, int64_t dmin, int64_t dmax)
{
    ta_err err = TA_OK;
    for (size_t i = 0; i < NVIEWS && err == TA_OK; i++) {
        int sc = views[i].scale;
        const char *vcol = sc == 1 ? "day" : "blk";
        char ecol[32];
        snprintf(ecol, sizeof(ecol), sc == 1 ? "day" : "intDiv(day, %d)", sc);
        if (views[i].total != NULL)
            err = execf(&s->c, &s->a,
                        "SELECT (SELECT %s FROM `%s`.%s WHERE %s BETWEEN %lld AND %lld AND %s) <"
                        " (SELECT count() FROM `%s`.ta_event WHERE %s BETWEEN %lld AND %lld"
                        " AND (%s))",
                        views[i].total, s->c.db, views[i].table, vcol, (long long)(dmin / sc),
                        (long long)(dmax / sc), views[i].tcond, s->c.db, ecol,
                        (long long)(dmin / sc), (long long)(dmax / sc), views[i].cond);
        else
            err = execf(&s->c, &s->a, "SELECT count() = 0 FROM `%s`.%s WHERE batch = %lld", s->c.db,
                        views[i].table, (long long)batch);
        if (err != TA_OK || s->a.len == 0 || s->a.p[0] != '1')
            continue;
        err = execf(&s->c, NULL,
                    "INSERT INTO `%s`.%s SELECT %s FROM `%s`.ta_event WHERE day BETWEEN %lld AND"
                    " %lld AND batch = %lld AND (%s)%s%s",
                    s->c.db, views[i].table, views[i].cols, s->c.db, (long long)dmin,
                    (long long)dmax, (long long)batch, views[i].cond,
                    views[i].group ? " GROUP BY " : "", views[i].group ? views[i].group : "");
    }
    return err;
}

/* Under the writers' turn: classify the batch, insert what is new. */
static ta_err write_batch(struct ch_store *s)
{
    struct cand *cands = NULL;
    size_t nc = 0;
    ta_err err = load_cands(s, &cands, &nc);
    size_t nslots = 1;
    while (nslots < 2 * s->npend)
        nslots <<= 1;
    struct bmap m = {malloc(nslots * sizeof(int64_t)), nslots - 1};
    int64_t *others = malloc(s->npend * sizeof(int64_t) + 1);
    struct ta__ch_buf out = {0}, sight = {0}, known = {0};
    if (err == TA_OK && (m.slot == NULL || others == NULL))
        err = TA_ERR_NOMEM;
    if (err != TA_OK)
        goto out;
    memset(m.slot, 0xff, nslots * sizeof(int64_t));
    /* Pass 1: each event is new or a copy of a stored or earlier one. */
    size_t nothers = 0;
    uint64_t seq = s->seq;
    for (size_t i = 0; i < s->npend; i++) {
        struct pend *p = &s->pend[i];
        int64_t k[2] = {ta__store_ident_key(p->h, p->lo), ta__store_ident_key(p->h, p->hi)};
        p->copy = find_cand(cands, nc, k[0], p->lo, p->hi);
        if (p->copy == 0 && k[1] != k[0])
            p->copy = find_cand(cands, nc, k[1], p->lo, p->hi);
        if (p->copy == 0)
            p->copy = bmap_find(s, &m, p);
        p->next = -1;
        if (p->copy == 0) {
            int64_t id = (int64_t)((uint64_t)s->run_id << 32 | seq++);
            p->copy = -id; /* negative: new, stored as -copy */
            size_t sl = (p->h & KEY_MASK) & m.mask;
            p->next = m.slot[sl];
            m.slot[sl] = (int64_t)i;
            uint8_t *row = (uint8_t *)s->rows.p + p->off;
            for (int j = 0; j < 8; j++)
                row[j] = (uint8_t)((uint64_t)id >> (8 * j));
            for (int j = 0; j < 4; j++)
                row[8 + j] = (uint8_t)((uint64_t)s->run_id >> (8 * j));
            /* The batch: its first new event's id. */
            int64_t batch = (int64_t)((uint64_t)s->run_id << 32 | s->seq);
            for (int j = 0; j < 8; j++)
                row[p->len - 8 + (size_t)j] = (uint8_t)((uint64_t)batch >> (8 * j));
            if (!ta__ch_buf_add(&out, row, p->len)) {
                err = TA_ERR_NOMEM;
                goto out;
            }
        } else if (p->copy < 0) {
            p->copy = -p->copy; /* a copy of a new event of this batch */
        }
        if (p->copy > 0 && (uint64_t)p->copy >> 32 != (uint64_t)s->run_id)
            others[nothers++] = p->copy;
    }
    /* The copies (of other runs' events) this run has already sighted. */
    nothers = uniq_i64(others, nothers);
    char prefix[200], suffix[64];
    snprintf(prefix, sizeof(prefix),
             "SELECT DISTINCT event_id FROM `%s`.ta_sighting WHERE event_id IN", s->c.db);
    snprintf(suffix, sizeof(suffix), " AND run_id = %lld", (long long)s->run_id);
    if ((err = in_chunks(s, prefix, suffix, others, nothers, &known)) != TA_OK)
        goto out;
    int64_t *seen = others; /* reused: the sighted ids, sorted */
    size_t nseen = 0;
    char *kp = known.p, *kend = known.p + known.len;
    struct ta__ch_field f[1];
    while (ta__ch_tsv_row(&kp, kend, f, 1) == 1)
        seen[nseen++] = ta__ch_i64(&f[0]);
    qsort(seen, nseen, sizeof(*seen), cmp_i64);
    uint64_t b_new = 0, b_known = 0, b_copies = 0;
    ta_time_us first = s->ev_first, last = s->ev_last;
    int64_t dmin = INT64_MAX, dmax = INT64_MIN;
    /* Pass 2: count; the copies of other runs' events this run had not yet
     * sighted get one sighting each (the first copy is known, later ones
     * repeats). */
    int64_t *fresh = malloc(s->npend * sizeof(int64_t) + 1);
    size_t nfresh = 0;
    if (fresh == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < s->npend; i++) {
        struct pend *p = &s->pend[i];
        if (first == 0 || p->ts < first)
            first = p->ts;
        if (p->ts > last)
            last = p->ts;
        if (p->copy < 0) {
            int64_t d = ta_store_day(p->ts);
            dmin = d < dmin ? d : dmin;
            dmax = d > dmax ? d : dmax;
            b_new++;
            continue;
        }
        b_copies++;
        bool own = (uint64_t)p->copy >> 32 == (uint64_t)s->run_id;
        if (!own && bsearch(&p->copy, seen, nseen, sizeof(*seen), cmp_i64) == NULL)
            fresh[nfresh++] = p->copy;
    }
    nfresh = uniq_i64(fresh, nfresh);
    for (size_t i = 0; i < nfresh; i++)
        if (!rb_int(&sight, (uint64_t)fresh[i], 8) || !rb_int(&sight, (uint64_t)s->run_id, 4)) {
            err = TA_ERR_NOMEM;
            break;
        }
    free(fresh);
    if (err != TA_OK)
        goto out;
    b_known = nfresh;
    s->stats.events_repeat += b_copies - b_known;
    char sql[200];
    if (out.len > 0) {
        struct landed_ctx lc = {.s = s,
                                .lo = (int64_t)((uint64_t)s->run_id << 32 | s->seq),
                                .hi = (int64_t)((uint64_t)s->run_id << 32 | (seq - 1)),
                                .dmin = dmin,
                                .dmax = dmax,
                                .n = b_new};
        snprintf(sql, sizeof(sql), "INSERT INTO `%s`.ta_event FORMAT RowBinary", s->c.db);
        if ((err = ta__ch_exec(&s->c, sql, out.p, out.len, NULL, events_landed, &lc)) != TA_OK ||
            (lc.asked && (err = repair_batch(s, lc.lo, dmin, dmax)) != TA_OK))
            goto out;
    }
    s->seq = seq;
    if (sight.len > 0) {
        /* A sighting written twice changes nothing read (sensors are
         * distinct), so it is retried blindly. */
        snprintf(sql, sizeof(sql), "INSERT INTO `%s`.ta_sighting FORMAT RowBinary", s->c.db);
        if ((err = ta__ch_exec(&s->c, sql, sight.p, sight.len, NULL, NULL, NULL)) != TA_OK)
            goto out;
    }
    s->stats.events_new += b_new;
    s->stats.events_known += b_known;
    s->n_new += b_new;
    s->n_known += b_known;
    s->ev_first = first;
    s->ev_last = last;
    s->stats.commits++;
    s->npend = 0;
    s->rows.len = 0;
    err = run_row(s, 0, 0);
out:
    free(cands);
    free(m.slot);
    free(others);
    ta__ch_buf_free(&out);
    ta__ch_buf_free(&sight);
    ta__ch_buf_free(&known);
    return err;
}

static ta_err commit_batch(struct ch_store *s)
{
    if (s->npend == 0)
        return TA_OK;
    ta_err err = lock_take(s);
    if (err != TA_OK)
        return err;
    err = write_batch(s);
    ta_err e2 = lock_give(s);
    return err != TA_OK ? err : e2;
}

static ta_err ch_run_finish(struct ta_store *st, ta_time_us first, ta_time_us last)
{
    struct ch_store *s = chs(st);
    if (s->run_id == 0)
        return set_err(s, TA_ERR_ARG, "no run open");
    ta_err err = s->sticky;
    if (err == TA_OK)
        err = commit_batch(s);
    if (err == TA_OK) {
        if (first != 0 || last != 0) {
            s->ev_first = first;
            s->ev_last = last;
        }
        s->stats.commits++;
        err = run_row(s, 1, (int64_t)time(NULL));
    }
    s->run_id = 0;
    s->npend = 0;
    s->rows.len = 0;
    return err;
}

static ta_err ch_commit(struct ta_store *st)
{
    struct ch_store *s = chs(st);
    if (s->run_id == 0)
        return set_err(s, TA_ERR_ARG, "no run open");
    if (s->sticky != TA_OK)
        return s->sticky;
    ta_err err = commit_batch(s);
    if (err != TA_OK)
        s->sticky = err;
    return err;
}

static ta_err ch_set_intel_version(struct ta_store *st, const char *version)
{
    struct ch_store *s = chs(st);
    if (s->run_id == 0)
        return set_err(s, TA_ERR_ARG, "no run open");
    char *v = dup0(version);
    if (v == NULL)
        return TA_ERR_NOMEM;
    free(s->intel_version);
    s->intel_version = v;
    return run_row(s, 0, 0);
}

static ta_err ch_set_sources(struct ta_store *st, const char *sources)
{
    struct ch_store *s = chs(st);
    if (s->run_id == 0)
        return set_err(s, TA_ERR_ARG, "no run open");
    char *v = dup0(sources);
    if (v == NULL)
        return TA_ERR_NOMEM;
    free(s->sources);
    s->sources = v;
    return run_row(s, 0, 0);
}

static bool ch_pending(const struct ta_store *st)
{
    return chs_c(st)->npend > 0;
}

static void ch_set_batch(struct ta_store *st, unsigned events)
{
    chs(st)->batch_max = events ? events : CH_BATCH;
    /* One INSERT block at most (the server splits larger ones, and a batch
     * must be written whole or not at all). */
    if (chs(st)->batch_max > CH_BATCH_MAX)
        chs(st)->batch_max = CH_BATCH_MAX;
}

static void ch_set_memcap(struct ta_store *st, size_t bytes)
{
    chs(st)->memcap = bytes;
}

static ta_err ch_set_skew(struct ta_store *st, ta_time_us skew)
{
    if (skew > TA_STORE_SKEW_MAX_US)
        return TA_ERR_ARG;
    chs(st)->skew = skew;
    return TA_OK;
}

static void ch_get_stats(const struct ta_store *st, struct ta_store_stats *out)
{
    *out = chs_c(st)->stats;
}

static const struct ta__store_ops ch_ops = {
    .close = ch_close,
    .errmsg = ch_errmsg,
    .run_is_done = ch_run_is_done,
    .run_begin = ch_run_begin,
    .add_event = ch_add_event,
    .event_sink = ch_event_sink,
    .run_finish = ch_run_finish,
    .commit = ch_commit,
    .run_set_intel_version = ch_set_intel_version,
    .run_set_sources = ch_set_sources,
    .pending = ch_pending,
    .run_abort = ch_run_abort,
    .set_batch = ch_set_batch,
    .set_memcap = ch_set_memcap,
    .set_skew = ch_set_skew,
    .bulk_begin = ch_bulk_begin,
    .bulk_end = ch_bulk_end,
    .run_id = ch_run_id,
    .get_stats = ch_get_stats,
    .runs_list = ch_runs_list,
    .run_delete = ch_run_delete,
    .has_data = ta__ch_has_data,
    .pair_counters = ta__ch_pair_counters,
    .pair_distinct = ta__ch_pair_distinct,
    .suppressed = ta__ch_suppressed,
    .list = ta__ch_list,
    .events_open = ta__ch_events_open,
    .events_next = ta__ch_events_next,
    .events_close = ta__ch_events_close,
};
