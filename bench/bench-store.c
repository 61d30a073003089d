/*
 * Benchmark of the store's write path alone: read the events of the
 * completed runs of an existing database (e.g. one `threatatlas analyze`
 * filled) into memory, then store them into a fresh database as one run
 * (ta_store_run_begin, ta_store_add_event for each, ta_store_run_finish),
 * several times, and print the CPU time per event of the adds and of the
 * finish. No packet processing runs, so the figure is the store's own cost,
 * steadier on a shared machine than the difference of two analyze runs.
 * Then the same events again as a second run (all found known: a second
 * sensor), and the bytes per event of the rows, the identity index and the
 * sightings (SQLite's dbstat).
 *
 *   bench-store --from DB [--runs R] [--db PATH]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "threatatlas/store.h"

#include "common/banned.h"

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *dup_col(sqlite3_stmt *s, int c)
{
    const unsigned char *t = sqlite3_column_text(s, c);
    if (t == NULL)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(s, c);
    char *p = malloc(n + 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(p, t, n);
    p[n] = '\0';
    return p;
}

static void side_of(sqlite3_stmt *s, int c, struct ta_event_side *sd)
{
    const void *ip = sqlite3_column_blob(s, c);
    int n = sqlite3_column_bytes(s, c);
    if (ip != NULL && n == 4)
        ta_addr_set_v4(&sd->ip, ip);
    else if (ip != NULL && n == 16)
        ta_addr_set_v6(&sd->ip, ip);
    sd->port = (uint16_t)sqlite3_column_int(s, c + 1);
    const unsigned char *cc = sqlite3_column_text(s, c + 2);
    snprintf(sd->cc, sizeof(sd->cc), "%s", cc ? (const char *)cc : "");
    sd->asn = (uint32_t)sqlite3_column_int64(s, c + 3);
    sd->as_name = dup_col(s, c + 4);
    sd->home = sqlite3_column_int(s, c + 5) != 0;
}

int main(int argc, char **argv)
{
    const char *from = NULL, *db = NULL;
    unsigned runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (unsigned)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-store --from DB [--runs R] [--db PATH]\n");
            return 2;
        }
    }
    if (from == NULL) {
        fprintf(stderr, "bench-store: --from DB (a database with analysed events) is required\n");
        return 77;
    }
    char tmp[] = "/tmp/ta-bench-store-XXXXXX";
    if (db == NULL) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            perror("mkstemp");
            return 1;
        }
        close(fd);
        db = tmp;
    }

    sqlite3 *src = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(src,
                           "SELECT e.kind, e.method, e.ts, e.flow_id, e.proto,"
                           " e.a_ip, e.a_port, e.a_cc, e.a_asn, e.a_as_name, e.a_home,"
                           " e.v_ip, e.v_port, e.v_cc, e.v_asn, e.v_as_name, e.v_home,"
                           " e.confidence, e.signature, e.family, e.indicator, e.indicator_type,"
                           " e.sources, e.hostname, e.url, e.dns_answer, e.body, e.item,"
                           " e.fs, e.tx_index, e.established, e.undated, e.suppressed_by"
                           " FROM store_event e ORDER BY e.id",
                           -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench-store: %s: %s\n", from, sqlite3_errmsg(src));
        sqlite3_close(src);
        return 1;
    }
    size_t n = 0, cap = 0;
    struct ta_event *evs = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            evs = realloc(evs, cap * sizeof(*evs));
            if (evs == NULL) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
        }
        struct ta_event *e = &evs[n++];
        memset(e, 0, sizeof(*e));
        e->kind = (enum ta_event_kind)sqlite3_column_int(s, 0);
        e->method = (enum ta_event_method)sqlite3_column_int(s, 1);
        e->ts = (ta_time_us)sqlite3_column_int64(s, 2);
        e->flow_id = (uint64_t)sqlite3_column_int64(s, 3);
        e->proto = (uint8_t)sqlite3_column_int(s, 4);
        side_of(s, 5, &e->attacker);
        side_of(s, 11, &e->victim);
        e->confidence = (uint8_t)sqlite3_column_int(s, 17);
        e->signature = dup_col(s, 18);
        e->family = dup_col(s, 19);
        e->indicator = dup_col(s, 20);
        e->indicator_type = dup_col(s, 21);
        e->sources = dup_col(s, 22);
        e->hostname = dup_col(s, 23);
        e->url = dup_col(s, 24);
        e->dns_answer = dup_col(s, 25);
        int bl = sqlite3_column_bytes(s, 26);
        if (bl > 0) {
            uint8_t *b = malloc((size_t)bl);
            if (b == NULL)
                return 1;
            memcpy(b, sqlite3_column_blob(s, 26), (size_t)bl);
            e->body = b;
            e->body_len = (size_t)bl;
        }
        /* fs is the flow start, or the time itself for events stored without one. */
        ta_time_us fs = (ta_time_us)sqlite3_column_int64(s, 28);
        e->flow_start = fs != e->ts ? fs : 0;
        e->tx_index = (uint32_t)sqlite3_column_int64(s, 29);
        e->established = sqlite3_column_int(s, 30) != 0;
        e->undated = sqlite3_column_int(s, 31) != 0;
        e->suppressed_by = dup_col(s, 32);
        char *item = dup_col(s, 27);
        if (e->kind == TA_EVENT_PHISHING || e->kind == TA_EVENT_PHISHING_SUSPECTED)
            e->page = item;
        else
            e->website = item;
    }
    sqlite3_finalize(s);
    sqlite3_close(src);
    if (n == 0) {
        fprintf(stderr, "bench-store: no events in %s\n", from);
        return 77;
    }

    double best_add = 0, best_fin = 0, known_us = 0;
    for (unsigned r = 0; r < runs; r++) {
        char side[600];
        unlink(db);
        snprintf(side, sizeof(side), "%s-wal", db);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", db);
        unlink(side);
        struct ta_store *st = NULL;
        char err[TA_STORE_ERRLEN];
        if (ta_store_open(db, TA_STORE_CREATE, &st, err) != TA_OK) {
            fprintf(stderr, "bench-store: %s\n", err);
            return 1;
        }
        struct ta_store_input in = {.path = "replay", .size = n};
        memset(in.sha256, 0, sizeof(in.sha256));
        memcpy(in.sha256, &r, sizeof(r));
        struct ta_store_run_info info = {.inputs = &in, .n_inputs = 1, .home = "CN"};
        bool done = false;
        if (ta_store_run_begin(st, &info, &done) != TA_OK || done) {
            fprintf(stderr, "bench-store: run_begin: %s\n", ta_store_errmsg(st));
            return 1;
        }
        double t0 = cpu();
        for (size_t i = 0; i < n; i++) {
            if (ta_store_add_event(st, &evs[i]) != TA_OK) {
                fprintf(stderr, "bench-store: add: %s\n", ta_store_errmsg(st));
                return 1;
            }
        }
        double t1 = cpu();
        if (ta_store_run_finish(st, 0, 0) != TA_OK) {
            fprintf(stderr, "bench-store: finish: %s\n", ta_store_errmsg(st));
            return 1;
        }
        double t2 = cpu();
        if (r + 1 == runs) {
            /* The same events again from other inputs (a second sensor, a
             * compressed copy): every one is found known. */
            in.sha256[31] = 0xff;
            if (ta_store_run_begin(st, &info, &done) != TA_OK || done)
                return 1;
            double k0 = cpu();
            for (size_t i = 0; i < n; i++)
                if (ta_store_add_event(st, &evs[i]) != TA_OK)
                    return 1;
            if (ta_store_run_finish(st, 0, 0) != TA_OK)
                return 1;
            known_us = 1e6 * (cpu() - k0) / (double)n;
        }
        ta_store_close(st);
        printf("run %u: %zu events, add %.3f s (%.2f us/event), finish %.3f s, total %.2f "
               "us/event (CPU)\n",
               r + 1, n, t1 - t0, 1e6 * (t1 - t0) / (double)n, t2 - t1,
               1e6 * (t2 - t0) / (double)n);
        if (r == 0 || t1 - t0 + t2 - t1 < best_add + best_fin) {
            best_add = t1 - t0;
            best_fin = t2 - t1;
        }
    }
    /* Storage of the identity: its index and the sightings, per event
     * (dbstat needs SQLITE_ENABLE_DBSTAT_VTAB, which Debian's SQLite has). */
    sqlite3 *out = NULL;
    double b_event = 0, b_ident = 0, b_sight = 0;
    if (sqlite3_open_v2(db, &out, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(out, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", -1, &s,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(s, 0);
            double b = (double)sqlite3_column_int64(s, 1) / (double)n;
            if (strcmp(name, "store_event") == 0)
                b_event = b;
            else if (strcmp(name, "store_event_ikey") == 0)
                b_ident = b;
            else if (strcmp(name, "store_sighting") == 0)
                b_sight = b;
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(out);
    printf("known events (a second copy of all): %.2f us/event (CPU)\n", known_us);
    printf("bytes per event: event row %.0f, identity index %.0f, sightings (2 runs) %.0f\n",
           b_event, b_ident, b_sight);
    printf("best: add %.2f us/event, finish %.2f us/event, total %.2f us/event (CPU)\n",
           1e6 * best_add / (double)n, 1e6 * best_fin / (double)n,
           1e6 * (best_add + best_fin) / (double)n);
    if (db == tmp) {
        char side[600];
        unlink(db);
        snprintf(side, sizeof(side), "%s-wal", db);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", db);
        unlink(side);
    }
    return 0;
}
