/*
 * Store: event identity (overlapping runs in any order, repeated inputs, a
 * second sensor 2 ms off count once), runs (list, delete with exactly their
 * contribution, redo), the writer lock, idempotence by input digest, crash
 * safety (a child killed with SIGKILL at fixed points and at an arbitrary
 * moment, then the run resumed; the report must equal an uninterrupted
 * run's), schema versioning against the shared meta table, the event-sink
 * adaptor's sticky errors, the query API readers use (exact values), the
 * evidence lists grouped in memory against SQL.
 */
#include "testutil.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "../report/report-fixture.h"
#include "store/store-int.h"

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

/*
 * One run of fixture events [from, to) from inputs `seed`, as sensor, with
 * every time shifted by shift_us (a second sensor's clock).
 */
static ta_err part_run(struct ta_store *st, uint8_t seed, size_t from, size_t to,
                       const char *sensor, ta_time_us shift_us, bool redo, const char *home)
{
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, seed);
    info.sensor = sensor;
    info.redo = redo;
    if (home != NULL)
        info.home = home;
    bool done;
    ta_err err = ta_store_run_begin(st, &info, &done);
    if (err || done)
        return err;
    for (size_t i = from; i < to && i < FX_N; i++) {
        struct ta_event ev;
        fx_make(&fx_events[i], &ev);
        ev.ts += shift_us;
        ev.flow_start += shift_us;
        if ((err = ta_store_add_event(st, &ev)) != TA_OK)
            return err;
    }
    return ta_store_run_finish(st, 0, 0);
}

/* Overlapping runs, in any order, with a repeated run: the clean report. */
static void test_overlap_any_order(void **state)
{
    (void)state;
    char *ref = reference_json();
    /* Three overlapping slices of the fixture, as three captures. */
    const size_t slices[3][2] = {{0, 12}, {8, 20}, {15, FX_N}};
    const int orders[3][4] = {{0, 1, 2, 1}, {2, 0, 1, 0}, {1, 2, 0, 2}};
    for (int o = 0; o < 3; o++) {
        rm_db(g_path);
        struct ta_store *st = open_db(g_path);
        for (int k = 0; k < 4; k++) {
            int sl = orders[o][k];
            assert_int_equal(part_run(st, (uint8_t)(10 + 2 * sl), slices[sl][0], slices[sl][1],
                                      "sensor-a", 0, false, NULL),
                             TA_OK);
        }
        assert_int_equal(stored_events(st), FX_DISTINCT);
        /* The report, lists and export of one clean pass; only the number of
         * runs differs. */
        char *got = report_json(st);
        char *runs = strstr(got, "\"runs\":3");
        assert_non_null(runs);
        runs[7] = '1';
        assert_string_equal(got, ref);
        free(got);
        ta_store_close(st);
    }
    free(ref);
}

static uint64_t backdoor_attacks(struct ta_store *st)
{
    struct ta_report_query q;
    ta_report_query_init(&q);
    struct ta_report *r;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    const struct ta_report_row *rows;
    uint64_t n = 0;
    size_t k = ta_report_rows(r, TA_REPORT_BACKDOOR, false, &rows);
    for (size_t i = 0; i < k; i++)
        n += rows[i].events;
    ta_report_free(r);
    return n;
}

/* A second sensor on the same link, its clock 2 ms off: one event each. */
static void test_second_sensor(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    assert_int_equal(part_run(st, 1, 0, FX_N, "tap-a", 0, false, NULL), TA_OK);
    assert_int_equal(part_run(st, 3, 0, FX_N, "tap-b", 2000, false, NULL), TA_OK);
    assert_int_equal(stored_events(st), FX_DISTINCT);
    assert_int_equal(backdoor_attacks(st), 6);
    struct ta_report_query q;
    ta_report_query_init(&q);
    struct ta_report *r;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    const char *const *sensors;
    assert_int_equal(ta_report_sensors(r, &sensors), 2);
    assert_string_equal(sensors[0], "tap-a");
    assert_string_equal(sensors[1], "tap-b");
    ta_report_free(r);
    /* 3 s apart is beyond the default 2 s skew: other transactions. */
    assert_int_equal(part_run(st, 5, 0, FX_N, "tap-c", 3000000, false, NULL), TA_OK);
    assert_int_equal(stored_events(st), 2 * FX_DISTINCT);
    assert_int_equal(backdoor_attacks(st), 12);
    ta_store_close(st);

    /* With a skew of 5 s the third copy is the same events too. */
    rm_db(g_path);
    st = open_db(g_path);
    assert_int_equal(ta_store_set_skew(st, 5000000), TA_OK);
    assert_int_equal(ta_store_set_skew(st, TA_STORE_SKEW_MAX_US + 1), TA_ERR_ARG);
    assert_int_equal(part_run(st, 1, 0, FX_N, "tap-a", 0, false, NULL), TA_OK);
    assert_int_equal(part_run(st, 5, 0, FX_N, "tap-c", 3000000, false, NULL), TA_OK);
    assert_int_equal(stored_events(st), FX_DISTINCT);
    ta_store_close(st);
}

/* Fixture event fx at time t (flow start) from inputs seed, in its own run on st. */
static void one_event_run(struct ta_store *st, uint8_t seed, ta_time_us t, size_t fx)
{
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, seed);
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_false(done);
    struct ta_event ev;
    fx_make(&fx_events[fx], &ev);
    ev.ts = ev.flow_start = t;
    assert_int_equal(ta_store_add_event(st, &ev), TA_OK);
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
}

/*
 * The identity across a time bucket's edge (the copy's flow start in the
 * next 2^30 us bucket), and two handles writing one database in turn (the
 * second's cache of stored keys must see the first's commits).
 */
static void test_identity_edges(void **state)
{
    (void)state;
    ta_time_us edge = ((ta_time_us)FX_D0 * FX_DAY_US >> 30 << 30) + ((ta_time_us)1 << 30);
    struct ta_store *a = open_db(g_path);
    /* A backdoor request (fixture entry 15), copies of it around the edge. */
    one_event_run(a, 1, edge - 1000, 15);
    one_event_run(a, 3, edge + 1000, 15);
    one_event_run(a, 5, edge - 1999000, 15); /* 2 s minus 1 ms before the first: same */
    assert_int_equal(stored_events(a), 1);
    one_event_run(a, 7, edge + 3000000, 15); /* 3 s after: another request */
    assert_int_equal(stored_events(a), 2);
    struct ta_store *b = open_db(g_path);
    /* b loads the bucket's keys now; a then stores an event of another key
     * (entry 16, the connection's second request) there. */
    one_event_run(b, 9, edge + 4000000, 15); /* 1 s after the request at edge + 3 s */
    one_event_run(a, 11, edge + 9000000, 16);
    assert_int_equal(stored_events(a), 3);
    /* b must find a's new event, not store it again. */
    one_event_run(b, 13, edge + 9001000, 16);
    assert_int_equal(stored_events(b), 3);
    struct ta_store_stats stats;
    ta_store_get_stats(b, &stats);
    assert_int_equal(stats.events_known, 1);
    assert_int_equal(stats.events_new, 0);
    ta_store_close(b);
    ta_store_close(a);
}

struct runs_seen {
    int n;
    int64_t id[8];
    uint64_t new_ev[8], known[8];
    char sensor[8][16];
    bool done[8];
};

static bool collect_run(void *ctx, const struct ta_store_run_desc *d)
{
    struct runs_seen *r = ctx;
    if (r->n >= 8)
        return false;
    r->id[r->n] = d->id;
    r->new_ev[r->n] = d->events_new;
    r->known[r->n] = d->events_known;
    r->done[r->n] = d->done;
    snprintf(r->sensor[r->n], sizeof(r->sensor[0]), "%s", d->sensor);
    assert_int_equal(d->n_inputs, 2);
    assert_string_equal(d->inputs[1].path, "day2.pcap");
    assert_int_equal(d->inputs[1].size, 2000);
    r->n++;
    return true;
}

/* Deleting a run leaves the report of the other runs alone. */
static void test_delete_run(void **state)
{
    (void)state;
    /* Reference: only the second slice, in a fresh database. */
    char path[80];
    snprintf(path, sizeof(path), "%s.ref", g_path);
    rm_db(path);
    struct ta_store *ref = open_db(path);
    assert_int_equal(part_run(ref, 12, 8, FX_N, "sensor-a", 0, false, NULL), TA_OK);
    char *want = report_json(ref);
    ta_store_close(ref);
    rm_db(path);

    struct ta_store *st = open_db(g_path);
    assert_int_equal(part_run(st, 10, 0, 12, "sensor-a", 0, false, NULL), TA_OK);
    assert_int_equal(part_run(st, 12, 8, FX_N, "sensor-a", 0, false, NULL), TA_OK);
    struct runs_seen seen = {0};
    assert_int_equal(ta_store_runs_list(st, 0, collect_run, &seen), TA_OK);
    assert_int_equal(seen.n, 2);
    /* Entries 0-11 hold 11 distinct events; the second run knew 8..11 (3 distinct). */
    assert_int_equal(seen.new_ev[0], 11);
    assert_int_equal(seen.known[0], 0);
    assert_int_equal(seen.new_ev[1], FX_DISTINCT - 11);
    assert_int_equal(seen.known[1], 3);
    assert_true(seen.done[0] && seen.done[1]);

    assert_int_equal(ta_store_run_delete(st, seen.id[0]), TA_OK);
    assert_int_equal(ta_store_run_delete(st, seen.id[0]), TA_ERR_NOTFOUND);
    assert_int_equal(ta_store_runs_list(st, seen.id[0], collect_run, &seen), TA_ERR_NOTFOUND);
    char *got = report_json(st);
    assert_string_equal(got, want);
    free(got);
    /* Deleting the last run empties every rollup. */
    assert_int_equal(ta_store_run_delete(st, seen.id[1]), TA_OK);
    assert_int_equal(stored_events(st), 0);
    ta_store_close(st);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(g_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT (SELECT COUNT(*) FROM store_day_attacker) + (SELECT COUNT(*)"
                           " FROM store_span_attacker) + (SELECT COUNT(*) FROM store_day_item)"
                           " + (SELECT COUNT(*) FROM store_span_victim) + (SELECT COUNT(*) FROM"
                           " store_day_count) + (SELECT COUNT(*) FROM store_day_suppressed) +"
                           " (SELECT COUNT(*) FROM store_sighting) + (SELECT COUNT(*) FROM"
                           " store_event_zone) + (SELECT COUNT(*) FROM store_day_victim_est)",
                           -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(want);
}

/* A live run of the fixture: events [0, upto) committed, then (when crash) the
 * rest added and the process killed before the next commit; else finished. */
static ta_err live_run(struct ta_store *st, size_t upto, bool finish)
{
    struct ta_store_run_info info = {.home = "CN", .sensor = "sensor-a", .live = "eth1"};
    bool done = true;
    ta_err err = ta_store_run_begin(st, &info, &done);
    if (err != TA_OK || done)
        return err != TA_OK ? err : TA_ERR_ARG;
    if ((err = fx_add(st, 0, upto)) != TA_OK || (err = ta_store_commit(st)) != TA_OK)
        return err;
    if (!finish)
        return TA_OK;
    return ta_store_run_finish(st, 0, 0);
}

struct live_seen {
    int n;
    int64_t id[4];
    bool done[4], alive[4];
    uint64_t new_ev[4];
    int64_t last_commit[4];
};

static bool collect_live(void *ctx, const struct ta_store_run_desc *d)
{
    struct live_seen *r = ctx;
    if (r->n >= 4)
        return false;
    assert_string_equal(d->live, "eth1");
    assert_int_equal(d->n_inputs, 0);
    r->id[r->n] = d->id;
    r->done[r->n] = d->done;
    r->alive[r->n] = d->alive;
    r->new_ev[r->n] = d->events_new;
    r->last_commit[r->n] = d->last_commit;
    r->n++;
    return true;
}

/*
 * Live runs: commits on demand, a run whose process died is interrupted with
 * its committed events kept and the rest lost, a restart is a new run and
 * what both saw counts once (the report equals that of two clean runs), and
 * a live run whose process still runs cannot be deleted.
 */
static void test_live_runs(void **state)
{
    (void)state;
    char path[80];
    snprintf(path, sizeof(path), "%s.ref", g_path);
    rm_db(path);
    struct ta_store *ref = open_db(path);
    ta_store_set_batch(ref, 1000);
    assert_int_equal(live_run(ref, 10, true), TA_OK);
    assert_int_equal(live_run(ref, FX_N, true), TA_OK);
    struct live_seen rs = {0};
    assert_int_equal(ta_store_runs_list(ref, 0, collect_live, &rs), TA_OK);
    assert_int_equal(rs.n, 2);
    uint64_t first10 = rs.new_ev[0]; /* distinct events among the first 10 entries */
    assert_true(first10 > 0 && first10 < FX_DISTINCT);
    char *want = report_json(ref);
    ta_store_close(ref);
    rm_db(path);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[TA_STORE_ERRLEN];
        struct ta_store *st = NULL;
        if (ta_store_open(g_path, TA_STORE_CREATE, &st, err) != TA_OK)
            _exit(3);
        ta_store_set_batch(st, 1000);
        if (live_run(st, 10, false) != TA_OK || fx_add(st, 10, FX_N) != TA_OK)
            _exit(4);
        raise(SIGKILL);
        _exit(5);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    struct ta_store *st = open_db(g_path);
    ta_store_set_batch(st, 1000);
    struct live_seen seen = {0};
    assert_int_equal(ta_store_runs_list(st, 0, collect_live, &seen), TA_OK);
    assert_int_equal(seen.n, 1);
    assert_false(seen.done[0]);
    assert_false(seen.alive[0]); /* interrupted: its process is gone */
    assert_true(seen.last_commit[0] > 0);
    /* Exactly the committed entries' events are kept; the rest was lost. */
    assert_int_equal(stored_events(st), first10);
    assert_int_equal(seen.new_ev[0], first10);

    /* The restart: a new run, alive while open; the old one cannot be confused with it. */
    struct ta_store_run_info info = {.home = "CN", .sensor = "sensor-a", .live = "eth1"};
    bool done = true;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_false(done);
    int64_t id2 = ta_store_run_id(st);
    assert_true(id2 != seen.id[0]);
    assert_int_equal(fx_add(st, 0, FX_N), TA_OK);
    assert_int_equal(ta_store_commit(st), TA_OK);
    assert_false(ta_store_pending(st));
    struct ta_store *other = open_db(g_path);
    assert_int_equal(ta_store_run_delete(other, id2), TA_ERR_ARG);
    assert_non_null(strstr(ta_store_errmsg(other), "is live"));
    /* Listed by the process that runs it: the open run is alive, the
     * interrupted one not (even were its pid this process's). */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(ta_store_runs_list(st, 0, collect_live, &seen), TA_OK);
    assert_int_equal(seen.n, 2);
    assert_true(seen.alive[1] && !seen.done[1]);
    assert_false(seen.alive[0]);
    assert_int_equal(stored_events(other), FX_DISTINCT); /* committed: seen by a reader */
    ta_store_close(other);
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);

    char *got = report_json(st);
    assert_string_equal(got, want);
    assert_int_equal(stored_events(st), FX_DISTINCT);
    /* A live run has no inputs to redo. */
    info.redo = true;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_ERR_ARG);
    free(got);
    free(want);
    ta_store_close(st);
}

/* --redo replaces the run that analysed the same inputs, with the new options. */
static void test_redo(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    assert_int_equal(part_run(st, 1, 0, FX_N, "sensor-a", 0, false, "US"), TA_OK);
    char *first = report_json(st);
    /* Without --redo: nothing to do. */
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, 1);
    bool done = false;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_true(done);
    /* With it: the old run goes, the new one has the new home. */
    assert_int_equal(part_run(st, 1, 0, FX_N, "sensor-a", 0, true, "CN"), TA_OK);
    struct ta_store_stats stats;
    ta_store_get_stats(st, &stats);
    assert_int_equal(stats.runs_replaced, 1);
    assert_int_equal(stats.events_new, FX_DISTINCT);
    struct runs_seen seen = {0};
    assert_int_equal(ta_store_runs_list(st, 0, collect_run, &seen), TA_OK);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.id[0], 2);
    char *second = report_json(st);
    /* Same events; the home constituency is the new run's. */
    assert_non_null(strstr(first, "\"home\":[\"US\"]"));
    assert_non_null(strstr(second, "\"home\":[\"CN\"]"));
    assert_string_equal(strstr(first, "\"botnet\""), strstr(second, "\"botnet\""));
    free(first);
    free(second);
    /* A run that also analysed another input is not replaced in part. */
    struct ta_store_input one[1] = {in[0]};
    struct ta_store_run_info part = {.inputs = one, .n_inputs = 1, .redo = true};
    assert_int_equal(ta_store_run_begin(st, &part, &done), TA_ERR_ARG);
    assert_non_null(strstr(ta_store_errmsg(st), "run 2 also analysed day2.pcap"));
    assert_int_equal(stored_events(st), FX_DISTINCT);
    ta_store_close(st);
}

/* GeoIP data built after the traffic: the report says so (JSON notes, text). */
static void test_geo_note(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, 1);
    info.geoip_built = 1781654400; /* 2026-06-17 */
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    assert_int_equal(fx_add(st, 0, FX_N), TA_OK);
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
    char *json = report_json(st);
    assert_non_null(strstr(json, "\"notes\":[\"traffic of 2014-03-19 to 2014-03-21 was geolocated "
                                 "with GeoIP data built 2026-06-17, after the traffic\"]"));
    free(json);
    struct ta_report_query q;
    ta_report_query_init(&q);
    struct ta_report *r;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_write(r, TA_REPORT_FMT_TEXT, f), TA_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\nNote: traffic of 2014-03-19 to 2014-03-21 was geolocated with "
                                "GeoIP data built 2026-06-17, after the traffic.\n"));
    free(buf);
    ta_report_free(r);
    ta_store_close(st);
}

static void note_holder(void *ctx, const char *holder)
{
    snprintf(ctx, 64, "%s", holder);
}

/* One writer at a time: the second waits, or refuses naming the holder. */
static void test_writer_lock(void **state)
{
    (void)state;
    char err[TA_STORE_ERRLEN], lockpath[96];
    snprintf(lockpath, sizeof(lockpath), "%s.lock", g_path);
    int to_child[2], to_parent[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    /* Fork before taking the lock: a flock is shared by inherited descriptors. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct ta_store_lock *c = NULL;
        char e[TA_STORE_ERRLEN], heard[64] = "", x;
        int rc = 0;
        if (read(to_child[0], &x, 1) != 1)
            _exit(16);
        if (ta_store_lock_take(g_path, "child", 0, NULL, NULL, &c, e) != TA_ERR_LIMIT ||
            strstr(e, "is being written by run 7 (pid 1)") == NULL)
            rc |= 1;
        if (ta_store_lock_take(g_path, "child", 1, note_holder, heard, &c, e) != TA_ERR_LIMIT ||
            strcmp(heard, "run 7 (pid 1)") != 0)
            rc |= 2;
        if (write(to_parent[1], "x", 1) != 1)
            rc |= 4;
        /* Now wait without a limit: the parent releases. */
        if (ta_store_lock_take(g_path, "child", -1, NULL, NULL, &c, e) != TA_OK)
            rc |= 8;
        ta_store_lock_release(c);
        _exit(rc);
    }
    struct ta_store_lock *l = NULL;
    assert_int_equal(ta_store_lock_take(g_path, "analyze (pid 1)", 0, NULL, NULL, &l, err), TA_OK);
    ta_store_lock_set_holder(l, "run 7 (pid 1)");
    assert_int_equal(write(to_child[1], "x", 1), 1);
    char x;
    assert_int_equal(read(to_parent[0], &x, 1), 1);
    usleep(300000);
    ta_store_lock_release(l);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    for (int i = 0; i < 2; i++) {
        close(to_child[i]);
        close(to_parent[i]);
    }
    unlink(lockpath);
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The one integer a query on the file at path returns. */
static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    /* A database written by a future version. */
    struct ta_store *st = open_db(g_path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    ta_store_close(st);
    exec_sql(g_path, "UPDATE meta SET value='6' WHERE key='schema.store'");
    char err[TA_STORE_ERRLEN];
    st = (struct ta_store *)1;
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_ERR_UNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err, "store schema version 6 is newer than this threatatlas supports "
                                "(5); upgrade threatatlas"));
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_ERR_UNSUPPORTED);
    /* A version 2 database (no event identities) is refused, not written
     * to with the new counting. */
    exec_sql(g_path, "UPDATE meta SET value='2' WHERE key='schema.store'");
    assert_int_equal(ta_store_open(g_path, TA_STORE_CREATE, &st, err), TA_ERR_UNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err, "store schema version 2 is older than this threatatlas supports "
                                "(5); analyse the captures again into a new database"));
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
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "schema.store=5");
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

/* ---- the query API, read directly (a second backend must give the same) ---- */

struct pairs {
    struct {
        char src[3], dst[3];
        uint64_t a, b;
    } v[8];
    size_t n;
};

static ta_err collect_pair(void *ctx, const char *src, const char *dst, uint64_t a, uint64_t b)
{
    struct pairs *p = ctx;
    assert_true(p->n < 8);
    snprintf(p->v[p->n].src, 3, "%s", src);
    snprintf(p->v[p->n].dst, 3, "%s", dst);
    p->v[p->n].a = a;
    p->v[p->n].b = b;
    p->n++;
    return TA_OK;
}

/* Value of pair src->dst in p; -1 if absent. */
static int64_t pair_a(const struct pairs *p, const char *src, const char *dst)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].src, src) == 0 && strcmp(p->v[i].dst, dst) == 0)
            return (int64_t)p->v[i].a;
    }
    return -1;
}

static struct pairs distinct(struct ta_store *st, int64_t d0, int64_t d1, const char *src,
                             enum ta_event_kind kind, enum ta_store_set set)
{
    struct ta_store_period p = {.from_day = FX_D0 + d0, .to_day = FX_D0 + d1};
    snprintf(p.src_cc, sizeof(p.src_cc), "%s", src);
    struct pairs out = {0};
    assert_int_equal(ta_store_pair_distinct(st, &p, kind, set, collect_pair, &out), TA_OK);
    return out;
}

/* Distinct count of src->dst (src_cc filter ""), -1 if no row. */
static int64_t dpair(struct ta_store *st, int64_t d0, int64_t d1, enum ta_event_kind kind,
                     enum ta_store_set set, const char *src, const char *dst)
{
    struct pairs p = distinct(st, d0, d1, "", kind, set);
    return pair_a(&p, src, dst);
}

static ta_err collect_supp(void *ctx, enum ta_event_kind kind, const char *list, uint64_t events)
{
    struct pairs *p = ctx;
    assert_true(p->n < 8);
    snprintf(p->v[p->n].src, 3, "%d", (int)kind);
    snprintf(p->v[p->n].dst, 3, "%.2s", list);
    p->v[p->n].a = events;
    p->n++;
    return TA_OK;
}

struct rows {
    size_t n;
    char ip0[TA_ADDR_STRLEN];
    int64_t hosts0, events0, first0, last0;
    bool indicator0_null;
    char family0[16], sources0[32];
};

static ta_err collect_row(void *ctx, const struct ta_store_cell *c, size_t n)
{
    struct rows *r = ctx;
    assert_int_equal(n, 11);
    if (r->n++ > 0)
        return TA_OK;
    struct ta_addr a;
    assert_int_equal(c[0].addr_len, 4);
    ta_addr_set_v4(&a, c[0].addr);
    ta_addr_format(&a, r->ip0, sizeof(r->ip0));
    assert_string_equal(c[1].text, "US");
    assert_int_equal(c[2].i, 64500);
    snprintf(r->family0, sizeof(r->family0), "%s", c[4].text);
    snprintf(r->sources0, sizeof(r->sources0), "%s", c[5].text);
    r->indicator0_null = c[6].null;
    r->first0 = c[7].i;
    r->last0 = c[8].i;
    r->hosts0 = c[9].i;
    r->events0 = c[10].i;
    return TA_OK;
}

static ta_err stop_at_first(void *ctx, const struct ta_store_cell *c, size_t n)
{
    (void)c;
    (void)n;
    (*(int *)ctx)++;
    return TA_ERR_LIMIT;
}

/* Events of the cursor over (since, kinds); the first one's row in *first. */
static size_t cursor_count(struct ta_store *st, ta_time_us since, uint32_t kinds,
                           char first_victim[TA_ADDR_STRLEN])
{
    struct ta_store_events *c = NULL;
    assert_int_equal(ta_store_events_open(st, since, kinds, TA_STORE_EVENTS_SENSORS, &c), TA_OK);
    struct ta_store_event_row row;
    bool more;
    size_t n = 0;
    ta_time_us last = 0;
    while (ta_store_events_next(c, &row, &more) == TA_OK && more) {
        assert_true(row.ev.ts >= last && row.ev.ts >= since);
        assert_true(kinds == 0 || (kinds & (1u << row.ev.kind)) != 0);
        assert_string_equal(row.sensors, "sensor-a");
        last = row.ev.ts;
        if (n++ == 0 && first_victim != NULL)
            ta_addr_format(&row.ev.victim.ip, first_victim, TA_ADDR_STRLEN);
    }
    assert_false(more);
    ta_store_events_close(c);
    return n;
}

/*
 * Distinct counts from the members' shapes against a brute-force count
 * over the events, for every period of the data: runs in random day order
 * with small batches (a batch's days before, after and inside a member's
 * span), a second run re-seeing some events, a run deleted, and a version 3
 * database (no shapes) read as it is and migrated on a writable open.
 */
#define SH_DAYS    12
#define SH_HOSTS   9
#define SH_RUNS    3
#define SH_PER_RUN 60

struct sh_ev {
    int run, day, host, cc;
    uint16_t port;
};

static uint64_t sh_rng = 88172645463325252ull;
static unsigned sh_below(unsigned n)
{
    sh_rng ^= sh_rng << 13;
    sh_rng ^= sh_rng >> 7;
    sh_rng ^= sh_rng << 17;
    return (unsigned)(sh_rng % n);
}

static void sh_event(const struct sh_ev *e, struct ta_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = TA_EVENT_C2;
    ev->ts = (ta_time_us)(FX_D0 + e->day) * FX_DAY_US + (ta_time_us)e->port * 1000000;
    ev->flow_start = ev->ts;
    ev->flow_id = e->port;
    ev->proto = 6;
    ev->established = true;
    const uint8_t a[4] = {1, 1, 1, 1}, v[4] = {10, 0, 0, (uint8_t)(1 + e->host)};
    ta_addr_set_v4(&ev->attacker.ip, a);
    ta_addr_set_v4(&ev->victim.ip, v);
    ev->attacker.port = 443;
    ev->victim.port = e->port;
    memcpy(ev->attacker.cc, "US", 3);
    memcpy(ev->victim.cc, e->cc ? "CN" : "JP", 3);
    ev->signature = "s";
}

/* Brute force: distinct hosts per victim country among live runs' events in days [d0, d1]. */
static int64_t sh_brute(const struct sh_ev *evs, size_t n, const bool *live, int d0, int d1, int cc)
{
    bool seen[SH_HOSTS] = {0};
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sh_ev *e = &evs[i];
        if (live[e->run] && e->cc == cc && e->day >= d0 && e->day <= d1 && !seen[e->host]) {
            seen[e->host] = true;
            c++;
        }
    }
    return c;
}

static void sh_check(struct ta_store *st, const struct sh_ev *evs, size_t n, const bool *live)
{
    for (int d0 = -1; d0 <= SH_DAYS; d0++) {
        for (int d1 = d0; d1 <= SH_DAYS; d1++) {
            for (int cc = 0; cc < 2; cc++) {
                for (int set = TA_STORE_SET_VICTIM; set <= TA_STORE_SET_VICTIM_EST;
                     set += TA_STORE_SET_VICTIM_EST - TA_STORE_SET_VICTIM) {
                    int64_t want = sh_brute(evs, n, live, d0, d1, cc);
                    int64_t got = dpair(st, d0, d1, TA_EVENT_C2, (enum ta_store_set)set, "US",
                                        cc ? "CN" : "JP");
                    if (got != (want ? want : -1))
                        fail_msg("days %d..%d cc %d set %d: %lld, expected %lld", d0, d1, cc, set,
                                 (long long)got, (long long)want);
                }
            }
        }
    }
}

static void test_shapes_brute(void **state)
{
    (void)state;
    struct sh_ev evs[SH_RUNS * SH_PER_RUN + 40];
    size_t n = 0;
    bool live[SH_RUNS] = {true, true, true};
    struct ta_store *st = open_db(g_path);
    ta_store_set_batch(st, 5);
    uint16_t port = 1000;
    for (int r = 0; r < SH_RUNS; r++) {
        char name[32];
        snprintf(name, sizeof(name), "shapes run %d", r);
        struct ta_store_input in = {.path = name, .size = 1};
        ta_sha256(name, strlen(name), in.sha256);
        struct ta_store_run_info info = {.inputs = &in, .n_inputs = 1, .home = "CN"};
        bool done;
        assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
        for (int i = 0; i < SH_PER_RUN; i++) {
            /* Mostly in time order with jumps back (a member's span grows
             * at both ends and fills inside); run 1 re-sees run 0's events. */
            struct sh_ev e = {r, (i * SH_DAYS) / SH_PER_RUN, (int)sh_below(SH_HOSTS),
                              (int)sh_below(2), port++};
            if (sh_below(4) == 0)
                e.day = (int)sh_below(SH_DAYS);
            if (r == 1 && i % 3 == 0 && n > 0) {
                e = evs[sh_below(SH_PER_RUN)];
                e.run = r;
            }
            evs[n++] = e;
            struct ta_event ev;
            sh_event(&e, &ev);
            assert_int_equal(ta_store_add_event(st, &ev), TA_OK);
        }
        assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
    }
    sh_check(st, evs, n, live);
    /* The second run (id 2) goes; its copies of the first run's events stay with that one. */
    assert_int_equal(ta_store_run_delete(st, 2), TA_OK);
    live[1] = false;
    sh_check(st, evs, n, live);
    ta_store_close(st);
    /* The same data as version 3 wrote it: no shapes. Read as it is, then
     * migrated by a writable open. */
    exec_sql(g_path, "DROP TABLE store_shape_attacker; DROP TABLE store_shape_victim;"
                     " DROP TABLE store_shape_item; DROP TABLE store_shape_victim_est;"
                     " DROP TABLE store_shape_attacker_dated;"
                     " UPDATE meta SET value='3' WHERE key='schema.store'");
    /* Versions 3 and 4 keyed the per-day sets member before day. */
    static const char *const day_sets[][3] = {{"attacker", "ip", "BLOB"},
                                              {"victim", "ip", "BLOB"},
                                              {"item", "item", "TEXT"},
                                              {"victim_est", "ip", "BLOB"},
                                              {"attacker_dated", "ip", "BLOB"}};
    int64_t day_rows = sql_int(g_path, "SELECT (SELECT COUNT(*) FROM store_day_victim)"
                                       " + (SELECT COUNT(*) FROM store_day_victim_est)");
    assert_true(day_rows > 0);
    for (size_t i = 0; i < sizeof(day_sets) / sizeof(day_sets[0]); i++) {
        char sql[1024];
        const char *t = day_sets[i][0], *c = day_sets[i][1];
        snprintf(sql, sizeof(sql),
                 "CREATE TABLE m(kind INTEGER NOT NULL, src_cc TEXT NOT NULL,"
                 " dst_cc TEXT NOT NULL, %s %s NOT NULL, day INTEGER NOT NULL,"
                 " n INTEGER NOT NULL, PRIMARY KEY(kind, src_cc, dst_cc, %s, day)) WITHOUT ROWID;"
                 "INSERT INTO m SELECT kind, src_cc, dst_cc, %s, day, n FROM store_day_%s;"
                 "DROP TABLE store_day_%s; ALTER TABLE m RENAME TO store_day_%s;",
                 c, day_sets[i][2], c, c, t, t, t);
        exec_sql(g_path, sql);
    }
    char err[TA_STORE_ERRLEN];
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_OK);
    sh_check(st, evs, n, live);
    ta_store_close(st);
    st = open_db(g_path);
    sh_check(st, evs, n, live);
    ta_store_close(st);
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_OK);
    sh_check(st, evs, n, live);
    ta_store_close(st);
    /* The writable open re-keyed the per-day sets day before member, rows unchanged. */
    assert_int_equal(sql_int(g_path, "SELECT (SELECT COUNT(*) FROM store_day_victim)"
                                     " + (SELECT COUNT(*) FROM store_day_victim_est)"),
                     day_rows);
    assert_int_equal(sql_int(g_path, "SELECT COUNT(*) FROM sqlite_master WHERE sql LIKE"
                                     " '%PRIMARY KEY(kind, src_cc, dst_cc, day, %)%'"
                                     " AND name LIKE 'store_day_%'"),
                     5);
    assert_int_equal(sql_int(g_path, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_old'"),
                     0);
    /* And a run deleted from the migrated database still leaves the counts exact. */
    st = open_db(g_path);
    assert_int_equal(ta_store_run_delete(st, 3), TA_OK);
    live[2] = false;
    sh_check(st, evs, n, live);
    ta_store_close(st);
}

/*
 * Lists grouped in memory against the SQL GROUP BY: the same rows, cell for
 * cell, in the same order, for every list over periods cutting through the
 * data, with country filters and limits, on events with NULLs, repeated and
 * comma-joined listed values, IPv4 and IPv6 addresses, an address seen in
 * two countries, ties in the counts, suppressed events and a deleted run;
 * and past the memcap the SQL answers.
 */
#define LM_DAYS 8

struct lm_out {
    FILE *f;
    const struct ta_store_col *cols;
    size_t rows;
};

static ta_err lm_row(void *ctx, const struct ta_store_cell *c, size_t n)
{
    struct lm_out *o = ctx;
    for (size_t i = 0; i < n; i++) {
        switch (o->cols[i].type) {
        case TA_STORE_COL_IP:
            fprintf(o->f, "%d:", c[i].null);
            for (size_t k = 0; k < c[i].addr_len; k++)
                fprintf(o->f, "%02x", c[i].addr[k]);
            break;
        case TA_STORE_COL_INT:
        case TA_STORE_COL_TIME:
            fprintf(o->f, "%lld", (long long)c[i].i);
            break;
        default:
            fprintf(o->f, "%d:%s", c[i].null, c[i].null ? "" : c[i].text);
        }
        fputc('|', o->f);
    }
    fputc('\n', o->f);
    o->rows++;
    return TA_OK;
}

static char *lm_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                     size_t limit, enum ta__store_list_how how, ta_err want, size_t *rows)
{
    char *buf = NULL;
    size_t len = 0, nc;
    struct lm_out o = {open_memstream(&buf, &len), ta_store_list_cols(l, &nc), 0};
    assert_int_equal(ta__store_list_how(st, p, l, limit, how, lm_row, &o), want);
    fclose(o.f);
    if (rows)
        *rows = o.rows;
    return buf;
}

static void lm_event(struct ta_event *ev, unsigned i, char *page, char *site)
{
    static const char *const fam[] = {NULL, "zeus", "emotet,zeus", "", "godzilla"};
    static const char *const src[] = {"feedA", "feedB", "feedB,feedA", NULL, " feedC"};
    static const char *const ind[] = {NULL, "1.1.1.1", "evil.example"};
    static const char *const asname[] = {NULL, "AS-ONE", "AS-TWO", ""};
    static const char *const cc[] = {"US", "CN", "DE"};
    static const enum ta_event_kind kinds[] = {TA_EVENT_C2, TA_EVENT_C2, TA_EVENT_PHISHING,
                                               TA_EVENT_BACKDOOR, TA_EVENT_C2_SUSPECTED};
    memset(ev, 0, sizeof(*ev));
    ev->kind = kinds[sh_below(5)];
    ev->ts =
        (ta_time_us)(FX_D0 + sh_below(LM_DAYS)) * FX_DAY_US + (ta_time_us)sh_below(86400) * 1000000;
    ev->flow_start = ev->ts;
    ev->flow_id = i + 1;
    ev->proto = 6;
    unsigned a = sh_below(7), v = sh_below(9);
    if (a == 6) {
        uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8};
        b6[15] = (uint8_t)sh_below(2);
        ta_addr_set_v4(&ev->attacker.ip, (const uint8_t[]){1, 1, 1, 0});
        ta_addr_set_v6(&ev->attacker.ip, b6);
    } else {
        ta_addr_set_v4(&ev->attacker.ip, (const uint8_t[]){1, 1, 1, (uint8_t)a});
    }
    ta_addr_set_v4(&ev->victim.ip, (const uint8_t[]){10, 0, 0, (uint8_t)v});
    ev->attacker.port = 443;
    ev->victim.port = (uint16_t)(1024 + i);
    /* Attacker 1.1.1.5 moves between countries; the others stay. */
    memcpy(ev->attacker.cc, cc[a == 5 ? sh_below(3) : a % 3], 3);
    memcpy(ev->victim.cc, cc[v % 2], 3);
    ev->attacker.asn = sh_below(3) == 0 ? 0 : 64500 + sh_below(3);
    ev->attacker.as_name = asname[sh_below(4)];
    ev->victim.asn = sh_below(2) ? 0 : 64600 + v;
    ev->victim.as_name = asname[sh_below(4)];
    ev->family = fam[sh_below(5)];
    ev->sources = src[sh_below(5)];
    ev->indicator = ind[sh_below(3)];
    ev->signature = "s";
    ev->established = sh_below(2);
    if (ev->kind == TA_EVENT_PHISHING) {
        snprintf(page, 64, "http://p%u.example/login", sh_below(4));
        ev->page = sh_below(5) ? page : NULL;
    } else if (ev->kind == TA_EVENT_BACKDOOR) {
        snprintf(site, 64, "site%u.example", sh_below(4));
        ev->website = site;
        ev->hostname = site;
        ev->url = sh_below(2) ? "/a.php" : "/b.php";
        ev->tx_index = 0;
    }
    if (sh_below(12) == 0)
        ev->suppressed_by = "allow";
}

static void lm_check(struct ta_store *st)
{
    static const char *const ccs[][2] = {
        {"", ""}, {"US", ""}, {"", "CN"}, {"DE", "JP"}, {"US", "CN"}};
    size_t nonempty = 0;
    for (int d0 = -1; d0 <= LM_DAYS; d0 += 2) {
        for (int d1 = d0; d1 <= LM_DAYS; d1 += 3) {
            for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
                struct ta_store_period p = {.from_day = FX_D0 + d0, .to_day = FX_D0 + d1};
                memcpy(p.src_cc, ccs[c][0], strlen(ccs[c][0]) + 1);
                memcpy(p.dst_cc, ccs[c][1], strlen(ccs[c][1]) + 1);
                for (int l = 0; l < TA_STORE_LIST__COUNT; l++) {
                    for (size_t limit = 0; limit <= 3; limit += 3) {
                        size_t rows = 0;
                        char *a = lm_list(st, &p, (enum ta_store_list)l, limit, TA__LIST_SQL, TA_OK,
                                          &rows);
                        char *b = lm_list(st, &p, (enum ta_store_list)l, limit, TA__LIST_MEM, TA_OK,
                                          NULL);
                        if (strcmp(a, b) != 0)
                            fail_msg("list %d days %d..%d cc %s/%s limit %zu:\nsql:\n%s\nmem:\n%s",
                                     l, d0, d1, ccs[c][0], ccs[c][1], limit, a, b);
                        nonempty += rows > 1;
                        free(a);
                        free(b);
                    }
                }
            }
        }
    }
    /* The comparison saw real groups, not only empty lists. */
    assert_true(nonempty > 100);
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/*
 * A reader holding one snapshot (a long evidence list) keeps the writer's
 * WAL from being checkpointed past it, so the WAL grows with what is written
 * meanwhile; once the read ends, the writer's next commits checkpoint it and
 * cut it back to the limit instead of keeping the peak size on disk.
 */
static void test_wal_cut_back_after_long_read(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    sqlite3 *w = ta__store_db(st);
    char wal[80];
    snprintf(wal, sizeof(wal), "%s-wal", g_path);
    assert_int_equal(sqlite3_exec(w, "CREATE TABLE scratch(x BLOB)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3 *r;
    assert_int_equal(sqlite3_open_v2(g_path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(r, "BEGIN; SELECT count(*) FROM scratch;", NULL, NULL, NULL),
                     SQLITE_OK);
    /* 160 commits of 1 MiB: past the limit (128 MiB), none checkpointed past the reader. */
    for (int i = 0; i < 160; i++)
        assert_int_equal(sqlite3_exec(w,
                                      "INSERT INTO scratch SELECT randomblob(4096)"
                                      " FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                                      " SELECT i + 1 FROM n WHERE i < 256) SELECT i FROM n)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    long long peak = file_size(wal);
    assert_true(peak > (160ll << 20));
    assert_int_equal(sqlite3_exec(r, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(r);
    /* Once the whole log is checkpointed (the autocheckpoint of the next
     * commits; here at once), the next commit restarts it from the
     * beginning and cuts the file. */
    assert_int_equal(sqlite3_exec(w, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(w, "INSERT INTO scratch VALUES(1)", NULL, NULL, NULL), SQLITE_OK);
    long long after = file_size(wal);
    assert_true(after >= 0);
    assert_true(after <= 128ll << 20);
    ta_store_close(st);
}

static void test_list_mem_vs_sql(void **state)
{
    (void)state;
    struct ta_store *st = open_db(g_path);
    ta_store_set_batch(st, 50);
    unsigned flow = 0;
    for (int r = 0; r < 2; r++) {
        char name[32];
        snprintf(name, sizeof(name), "lists run %d", r);
        struct ta_store_input in = {.path = name, .size = 1};
        ta_sha256(name, strlen(name), in.sha256);
        struct ta_store_run_info info = {.inputs = &in, .n_inputs = 1, .home = "CN"};
        bool done;
        assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
        for (int i = 0; i < 400; i++) {
            struct ta_event ev;
            char page[64], site[64];
            lm_event(&ev, flow++, page, site);
            assert_int_equal(ta_store_add_event(st, &ev), TA_OK);
        }
        assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
    }
    lm_check(st);
    /* A row the sets could not tell from its neighbours: the whole top. */
    struct ta_store_period all = {.from_day = FX_D0, .to_day = FX_D0 + LM_DAYS};
    size_t rows = 0;
    free(lm_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, TA__LIST_MEM, TA_OK, &rows));
    assert_int_equal(rows, 10); /* 1.1.1.0-4, 1.1.1.5 in three countries, two IPv6 */
    assert_int_equal(ta_store_run_delete(st, 1), TA_OK);
    lm_check(st);
    /* Past the memcap the grouping gives up and the SQL answers. */
    ta_store_set_memcap(st, 1);
    char *a = lm_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, TA__LIST_SQL, TA_OK, NULL);
    char *b = lm_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, TA__LIST_AUTO, TA_OK, NULL);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 0);
    free(a);
    free(b);
    free(lm_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, TA__LIST_MEM, TA_ERR_LIMIT, NULL));
    ta_store_close(st);
}

static void test_query_api(void **state)
{
    (void)state;
    /* A threatatlas database without store tables (only another module's,
     * with the meta table every one has): nothing analysed, no rows, an
     * empty cursor. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(g_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                                  "CREATE TABLE other(x)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(g_path, TA_STORE_READONLY, &st, err), TA_OK);
    assert_false(ta_store_has_data(st));
    assert_int_equal(distinct(st, 0, 2, "", TA_EVENT_C2, TA_STORE_SET_ATTACKER).n, 0);
    assert_int_equal(cursor_count(st, 0, 0, NULL), 0);
    struct rows none = {0};
    struct ta_store_period any = {.from_day = 0, .to_day = INT32_MAX};
    assert_int_equal(ta_store_list(st, &any, TA_STORE_LIST_C2_SERVERS, 0, collect_row, &none),
                     TA_OK);
    assert_int_equal(none.n, 0);
    ta_store_close(st);
    st = open_db(g_path);
    assert_int_equal(fx_run(st, 1), TA_OK);
    assert_true(ta_store_has_data(st));

    struct ta_store_period all = {.from_day = FX_D0, .to_day = FX_D0 + 2};
    struct pairs p = {0};
    assert_int_equal(ta_store_pair_counters(st, &all, TA_EVENT_C2, collect_pair, &p), TA_OK);
    assert_int_equal(p.n, 2);
    assert_int_equal(pair_a(&p, "US", "CN"), 6); /* flows 1-6; 9 is suppressed */
    assert_int_equal(pair_a(&p, "DE", "CN"), 1);

    p = distinct(st, 0, 2, "", TA_EVENT_C2, TA_STORE_SET_ATTACKER);
    assert_int_equal(p.n, 2);
    assert_int_equal(pair_a(&p, "US", "CN"), 3);
    assert_int_equal(pair_a(&p, "DE", "CN"), 1);
    assert_int_equal(dpair(st, 0, 2, TA_EVENT_C2, TA_STORE_SET_VICTIM, "US", "CN"), 4);
    /* 10.0.0.2 only in flow 3, which was not established. */
    assert_int_equal(dpair(st, 0, 2, TA_EVENT_C2, TA_STORE_SET_VICTIM_EST, "US", "CN"), 3);
    /* 1.1.1.3 only behind an undated indicator. */
    assert_int_equal(dpair(st, 0, 2, TA_EVENT_C2, TA_STORE_SET_ATTACKER_DATED, "US", "CN"), 2);
    assert_int_equal(dpair(st, 0, 2, TA_EVENT_PHISHING, TA_STORE_SET_ITEM, "RU", "CN"), 3);
    /* D1 only: 1.1.1.1 and 1.1.1.2; 7.7.7.7's span D0..D2 holds D1, where
     * it was not seen (the per-day set decides), so no backdoor row. */
    assert_int_equal(dpair(st, 1, 1, TA_EVENT_C2, TA_STORE_SET_ATTACKER, "US", "CN"), 2);
    assert_int_equal(distinct(st, 1, 1, "", TA_EVENT_BACKDOOR, TA_STORE_SET_ATTACKER).n, 0);
    assert_int_equal(dpair(st, 2, 2, TA_EVENT_BACKDOOR, TA_STORE_SET_ATTACKER, "US", "CN"), 2);
    /* A country filter. */
    p = distinct(st, 0, 2, "DE", TA_EVENT_C2, TA_STORE_SET_ATTACKER);
    assert_int_equal(p.n, 1);
    assert_int_equal(pair_a(&p, "DE", "CN"), 1);
    assert_int_equal(
        ta_store_pair_distinct(st, &all, TA_EVENT_C2, TA_STORE_SET__COUNT, collect_pair, &p),
        TA_ERR_ARG);

    p = (struct pairs){0};
    assert_int_equal(ta_store_suppressed(st, &all, collect_supp, &p), TA_OK);
    assert_int_equal(p.n, 1);
    char k[3];
    snprintf(k, sizeof(k), "%d", (int)TA_EVENT_C2);
    assert_string_equal(p.v[0].src, k);
    assert_string_equal(p.v[0].dst, "to"); /* "top-sites" */
    assert_int_equal(p.v[0].a, 1);

    /* Lists: columns, rows in order, the limit, a callback that stops. */
    size_t nc = 0;
    const struct ta_store_col *cols = ta_store_list_cols(TA_STORE_LIST_C2_SERVERS, &nc);
    assert_int_equal(nc, 11);
    assert_string_equal(cols[0].name, "ip");
    assert_int_equal(cols[0].type, TA_STORE_COL_IP);
    assert_string_equal(cols[10].name, "events");
    assert_null(ta_store_list_cols(TA_STORE_LIST__COUNT, &nc));
    assert_int_equal(nc, 0);
    assert_string_equal(ta_store_list_name(TA_STORE_LIST_BACKDOORED_SITES), "backdoored-sites");
    struct rows r = {0};
    assert_int_equal(ta_store_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, collect_row, &r), TA_OK);
    assert_int_equal(r.n, 4); /* 1.1.1.1-3, 2.2.2.2; not the suppressed 4.4.4.4 */
    assert_string_equal(r.ip0, "1.1.1.1");
    assert_int_equal(r.hosts0, 2);
    assert_int_equal(r.events0, 4);
    assert_string_equal(r.family0, "zeus");
    assert_string_equal(r.sources0, "feedA,feedB");
    assert_true(r.indicator0_null);
    assert_int_equal(r.first0, (int64_t)(FX_D0 * FX_DAY_US + 100 * 1000000ull));
    assert_int_equal(r.last0, (int64_t)((FX_D0 + 1) * FX_DAY_US + 100 * 1000000ull));
    r = (struct rows){0};
    assert_int_equal(ta_store_list(st, &all, TA_STORE_LIST_C2_SERVERS, 2, collect_row, &r), TA_OK);
    assert_int_equal(r.n, 2);
    int calls = 0;
    assert_int_equal(ta_store_list(st, &all, TA_STORE_LIST_C2_SERVERS, 0, stop_at_first, &calls),
                     TA_ERR_LIMIT);
    assert_int_equal(calls, 1);
    assert_int_equal(ta_store_list(st, &all, TA_STORE_LIST__COUNT, 0, collect_row, &r), TA_ERR_ARG);

    /* The events cursor: all, by kind, since a day. */
    char v[TA_ADDR_STRLEN];
    assert_int_equal(cursor_count(st, 0, 0, v), FX_DISTINCT);
    assert_string_equal(v, "10.0.0.1");
    assert_int_equal(cursor_count(st, 0, 1u << TA_EVENT_PAYLOAD, v), 2);
    assert_string_equal(v, "10.0.0.7");
    /* c2 flows 1-7 and 9 (suppressed), the suspected flow 8. */
    assert_int_equal(cursor_count(st, 0, (1u << TA_EVENT_C2) | (1u << TA_EVENT_C2_SUSPECTED), NULL),
                     9);
    /* What a cursor reads besides the event is asked for. */
    for (unsigned flags = 0; flags < 4; flags++) {
        struct ta_store_events *c = NULL;
        assert_int_equal(ta_store_events_open(st, 0, 0, flags, &c), TA_OK);
        struct ta_store_event_row row;
        bool more;
        assert_int_equal(ta_store_events_next(c, &row, &more), TA_OK);
        assert_true(more);
        assert_int_equal(row.id >> 32, 1);
        assert_int_equal(row.ev.flow_id, 1);
        assert_string_equal(row.a_cc, "US");
        assert_int_equal(row.ev.attacker.asn, 64500);
        if (flags & TA_STORE_EVENTS_SENSORS)
            assert_string_equal(row.sensors, "sensor-a");
        else
            assert_null(row.sensors);
        assert_int_equal(row.ev.proto, (flags & TA_STORE_EVENTS_DETAIL) ? 6 : 0);
        ta_store_events_close(c);
    }
    /* D2: c2 flow 6, backdoor 203, 204, suspected 205, payload 300, 301. */
    assert_int_equal(cursor_count(st, (ta_time_us)(FX_D0 + 2) * FX_DAY_US, 0, NULL), 6);
    ta_store_close(st);
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
        cmocka_unit_test_setup_teardown(test_overlap_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_sensor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_geo_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shapes_brute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_mem_vs_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_cut_back_after_long_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
