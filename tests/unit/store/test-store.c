/*
 * Store: event identity (overlapping runs in any order, repeated inputs, a
 * second sensor 2 ms off count once), runs (list, delete with exactly their
 * contribution, redo), the writer lock, idempotence by input digest, crash
 * safety (a child killed with SIGKILL at fixed points and at an arbitrary
 * moment, then the run resumed; the report must equal an uninterrupted
 * run's), schema versioning against the shared meta table, the event-sink
 * adaptor's sticky errors.
 */
#include "testutil.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "../report/report-fixture.h"

static char g_path[64];

static void rm_db(const char *path)
{
    char p[96];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_path, sizeof(g_path), "/tmp/ta-store-%d.db", (int)getpid());
    rm_db(g_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_db(g_path);
    return 0;
}

static struct ta_store *open_db(const char *path)
{
    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(path, TA_STORE_CREATE, &st, err), TA_OK);
    ta_store_set_batch(st, 4);
    return st;
}

/* The full report (all days of the fixture and around) as JSON text,
 * followed by the evidence lists and the events export. */
static char *report_json(struct ta_store *st)
{
    struct ta_report_query q;
    ta_report_query_init(&q);
    q.from_day = FX_D0 - 1;
    q.to_day = FX_D0 + 3;
    struct ta_report *r = NULL;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_write(r, TA_REPORT_FMT_JSON, f), TA_OK);
    /* With the evidence: every list (read through the event zones) and the
     * events export, which must come out the same as well. */
    for (int l = 0; l < TA_LIST__COUNT; l++)
        assert_int_equal(
            ta_report_list_write(st, &q, (enum ta_report_list)l, 0, TA_REPORT_FMT_CSV, f), TA_OK);
    uint64_t n = 0;
    assert_int_equal(ta_report_events_write(st, NULL, 0, TA_EVENTS_FMT_CSV, f, &n), TA_OK);
    fclose(f);
    ta_report_free(r);
    return buf;
}

static uint64_t stored_events(struct ta_store *st)
{
    FILE *f = fopen("/dev/null", "w");
    uint64_t n = 0;
    assert_int_equal(ta_report_events_write(st, NULL, 0, TA_EVENTS_FMT_CSV, f, &n), TA_OK);
    fclose(f);
    return n;
}

/* Report of an uninterrupted run in a fresh database. */
static char *reference_json(void)
{
    char path[80];
    snprintf(path, sizeof(path), "%s.ref", g_path);
    rm_db(path);
    struct ta_store *st = open_db(path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    char *json = report_json(st);
    ta_store_close(st);
    rm_db(path);
    return json;
}

static void test_idempotent(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    char *first = report_json(st);
    assert_int_equal(stored_events(st), FX_DISTINCT);

    struct ta_store_input in[2];
    fx_inputs(in, 1);
    uint8_t digest[TA_SHA256_LEN];
    ta_store_run_digest(in, 2, digest);
    bool done = false;
    assert_int_equal(ta_store_run_is_done(st, digest, &done), TA_OK);
    assert_true(done);

    /* The same inputs in the other order are the same run: nothing added. */
    struct ta_store_input rev[2] = {in[1], in[0]};
    struct ta_store_run_info info = {.inputs = rev, .n_inputs = 2, .home = "CN"};
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_true(done);
    assert_int_equal(ta_store_add_event(st, &(struct ta_event){0}), TA_ERR_ARG); /* no run */
    assert_int_equal(fx_run(st, 1), TA_OK);
    char *second = report_json(st);
    assert_string_equal(first, second);
    assert_int_equal(stored_events(st), FX_DISTINCT);

    /* A different capture of the same traffic (a compressed copy, another
     * file) is a new run whose events are all known: nothing counts twice. */
    memset(digest, 9, sizeof(digest));
    assert_int_equal(ta_store_run_is_done(st, digest, &done), TA_OK);
    assert_false(done);
    assert_int_equal(fx_run(st, 5), TA_OK);
    struct ta_store_stats stats;
    ta_store_get_stats(st, &stats);
    assert_int_equal(stats.events_new, 0);
    assert_int_equal(stats.events_known, FX_DISTINCT);
    assert_int_equal(stats.events_repeat, FX_N - FX_DISTINCT);
    assert_int_equal(stored_events(st), FX_DISTINCT);
    struct ta_report_query q;
    ta_report_query_init(&q);
    q.from_day = FX_D0;
    q.to_day = FX_D0 + 2;
    struct ta_report *r;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    const struct ta_report_row *rows;
    assert_int_equal(ta_report_rows(r, TA_REPORT_BACKDOOR, false, &rows), 1);
    assert_int_equal(rows[0].attackers, 2);
    assert_int_equal(rows[0].targets, 3);
    assert_int_equal(rows[0].events, 6);
    ta_report_free(r);
    free(first);
    free(second);
    ta_store_close(st);
}

/* Child: start the fixture run, add `upto` events, die by SIGKILL. */
static void crash_child(size_t upto)
{
    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    if (ta_store_open(g_path, TA_STORE_CREATE, &st, err) != TA_OK)
        _exit(3);
    ta_store_set_batch(st, 4);
    struct ta_store_input in[2];
    fx_inputs(in, 1);
    struct ta_store_run_info info = {.inputs = in, .n_inputs = 2, .home = "CN"};
    bool done;
    if (ta_store_run_begin(st, &info, &done) != TA_OK || done)
        _exit(4);
    if (fx_add(st, 0, upto) != TA_OK)
        _exit(5);
    raise(SIGKILL);
    _exit(6);
}

static void test_crash_points(void **state)
{
    (void)state;
    char *ref = reference_json();
    /* After begin only; mid-batch; after several committed batches; all
     * events committed but the run not finished. Batches of 4 events
     * (repeats included); distinct events committed at each point. */
    const size_t points[] = {0, 3, 9, 13, FX_N};
    const uint64_t committed[] = {0, 0, 8, 11, 22};
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        rm_db(g_path);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            crash_child(points[i]);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);

        struct ta_store *st = open_db(g_path);
        /* The interrupted run's committed batches are visible (a report
         * during a run sees what is committed), whole batches only. */
        assert_int_equal(stored_events(st), committed[i]);

        /* Rerun: the unfinished run is resumed; what it committed counts once. */
        assert_int_equal(fx_run(st, 1), TA_OK);
        struct ta_store_stats stats;
        ta_store_get_stats(st, &stats);
        assert_int_equal(stats.runs_redone, 1);
        char *got = report_json(st);
        assert_string_equal(got, ref);
        assert_int_equal(stored_events(st), FX_DISTINCT);
        free(got);
        ta_store_close(st);
    }
    free(ref);
}

/* Kill at an arbitrary moment (while events trickle in or while finishing). */
static void test_crash_async(void **state)
{
    (void)state;
    char *ref = reference_json();
    const unsigned delays_us[] = {1000, 5000, 10000, 20000, 200000};
    int killed = 0;
    for (size_t i = 0; i < sizeof(delays_us) / sizeof(delays_us[0]); i++) {
        rm_db(g_path);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char err[TA_STORE_ERRLEN];
            struct ta_store *st = NULL;
            if (ta_store_open(g_path, TA_STORE_CREATE, &st, err) != TA_OK)
                _exit(3);
            ta_store_set_batch(st, 2);
            struct ta_store_input in[2];
            struct ta_store_run_info info = fx_info(in, 1);
            bool done;
            if (ta_store_run_begin(st, &info, &done) != TA_OK)
                _exit(4);
            for (size_t k = 0; k < FX_N; k++) {
                if (fx_add(st, k, k + 1) != TA_OK)
                    _exit(5);
                usleep(1000);
            }
            if (ta_store_run_finish(st, 0, 0) != TA_OK)
                _exit(6);
            ta_store_close(st);
            _exit(0);
        }
        usleep(delays_us[i]);
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        /* Either killed, or it had already finished cleanly. */
        assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        killed += WIFSIGNALED(status);

        struct ta_store *st = open_db(g_path);
        assert_int_equal(fx_run(st, 1), TA_OK);
        char *got = report_json(st);
        assert_string_equal(got, ref);
        assert_int_equal(stored_events(st), FX_DISTINCT);
        free(got);
        ta_store_close(st);
    }
    print_message("crash_async: %d of 5 children killed mid-run\n", killed);
    free(ref);
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    /* A database written by a future version. */
    struct ta_store *st = open_db(g_path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    ta_store_close(st);
    exec_sql(g_path, "UPDATE meta SET value='4' WHERE key='schema.store'");
    char err[TA_STORE_ERRLEN];
    st = (struct ta_store *)1;
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_ERR_UNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err, "store schema version 4 is newer than this threatatlas supports "
                                "(3); upgrade threatatlas"));
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_ERR_UNSUPPORTED);
    /* A version 2 database (no event identities) is refused, not written
     * to with the new counting. */
    exec_sql(g_path, "UPDATE meta SET value='2' WHERE key='schema.store'");
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_ERR_UNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err, "store schema version 2 is older than this threatatlas supports "
                                "(3); analyse the captures again into a new database"));
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_ERR_UNSUPPORTED);
    /* Garbage in the version is refused too, not taken for 0. */
    exec_sql(g_path, "UPDATE meta SET value='x' WHERE key='schema.store'");
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_ERR_FORMAT);
}

static void test_shared_with_intel(void **state)
{
    (void)state;
    /* The intel module created the file first, with its own tables and version. */
    exec_sql(g_path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO meta VALUES('schema.intel', '3');"
                     "CREATE TABLE intel_indicator(id INTEGER PRIMARY KEY, value TEXT);");
    struct ta_store *st = open_db(g_path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    ta_store_close(st);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(g_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT key || '=' || value FROM meta ORDER BY key", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "schema.intel=3");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "schema.store=3");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_ERR_IO);
    assert_null(st);
    assert_non_null(strstr(err, "cannot open database"));
    FILE *f = fopen(g_path, "w");
    fputs("this is not a database, just text long enough to be a header of sorts........", f);
    fclose(f);
    assert_int_not_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_OK);
    assert_null(st);
    /* Read-only stores cannot start runs. */
    rm_db(g_path);
    st = open_db(g_path);
    ta_store_close(st);
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_OK);
    struct ta_store_input in[2];
    fx_inputs(in, 1);
    struct ta_store_run_info info = {.inputs = in, .n_inputs = 2};
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_ERR_ARG);
    ta_store_close(st);
}

static void test_sink_sticky_error(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    struct ta_store_input in[2];
    fx_inputs(in, 1);
    struct ta_store_run_info info = {.inputs = in, .n_inputs = 2, .home = "CN"};
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_false(done);
    /* A second begin while a run is open is refused. */
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_ERR_ARG);
    struct ta_event ev;
    fx_make(&fx_events[0], &ev);
    ta_store_event_sink(st, &ev);
    ev.kind = TA_EVENT_KIND__COUNT; /* invalid */
    ta_store_event_sink(st, &ev);
    fx_make(&fx_events[1], &ev);
    ta_store_event_sink(st, &ev);
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_ERR_ARG);
    uint8_t digest[TA_SHA256_LEN];
    ta_store_run_digest(in, 2, digest);
    assert_int_equal(ta_store_run_is_done(st, digest, &done), TA_OK);
    assert_false(done);
    /* The run is resumed cleanly afterwards. */
    assert_int_equal(fx_run(st, 1), TA_OK);
    assert_int_equal(stored_events(st), FX_DISTINCT);
    ta_store_close(st);
}

static void test_input_hash(void **state)
{
    (void)state;
    FILE *f = fopen(g_path, "w");
    fputs("abc", f);
    fclose(f);
    struct ta_store_input in;
    assert_int_equal(ta_store_input_hash(g_path, &in), TA_OK);
    assert_int_equal(in.size, 3);
    char hex[TA_SHA256_HEXLEN];
    assert_string_equal(ta_sha256_hex(in.sha256, hex),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_ptr_equal(in.path, g_path);
    unlink(g_path);
}

/*
 * Events are buffered and inserted in bursts: every event comes out intact
 * and in order whatever its size, through the arena-full flush (600 events
 * with 1,500-byte URLs), an event too large to buffer (a 300,000-byte URL,
 * inserted directly) and the default batch size; bodies are kept up to
 * 512 bytes.
 */
static void test_buffered_events(void **state)
{
    (void)state;
    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_OK);
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, 7);
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    enum { N = 601, BIG = 300000 };
    char *url = malloc(BIG + 1);
    assert_non_null(url);
    uint8_t body[700];
    memset(body, 'b', sizeof(body));
    for (size_t i = 0; i < N; i++) {
        struct ta_event ev;
        fx_make(&fx_events[i % 3], &ev);
        ev.tx_index = (uint32_t)i; /* distinct events */
        size_t len = i == 300 ? BIG : 1500;
        memset(url, 'a' + (int)(i % 26), len);
        int p = snprintf(url, 16, "/%zu/", i);
        url[p] = 'x';
        url[len] = '\0';
        ev.url = url;
        ev.body = body;
        ev.body_len = i % 2 ? sizeof(body) : 10;
        assert_int_equal(ta_store_add_event(st, &ev), TA_OK);
        /* The caller's strings may change right after the call. */
        memset(url, 'z', len);
    }
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
    ta_store_close(st);
    free(url);

    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(g_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT id & 4294967295, url, length(url), length(body)"
                                        " FROM store_event ORDER BY id",
                                        -1, &s, NULL),
                     SQLITE_OK);
    size_t i = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_int64(s, 0), (int64_t)i);
        char want[16];
        snprintf(want, sizeof(want), "/%zu/x", i);
        const char *got = (const char *)sqlite3_column_text(s, 1);
        assert_int_equal(strncmp(got, want, strlen(want)), 0);
        assert_int_equal(got[strlen(got) - 1], 'a' + (int)(i % 26));
        assert_int_equal(sqlite3_column_int(s, 2), i == 300 ? BIG : 1500);
        assert_int_equal(sqlite3_column_int(s, 3), i % 2 ? 512 : 10);
        i++;
    }
    assert_int_equal(i, N);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_with_intel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_sticky_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffered_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
