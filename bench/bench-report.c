/*
 * Benchmark of the store and the report: fill a database with N synthetic
 * events spread over D days (one analysis run), then time the report over
 * the whole period, over a period cutting through the data, and one list.
 *
 *   bench-report [--events N] [--days D] [--db PATH|URL] [--keep] [--seed S] [--wall] [--all-hosts]
 *                [--lists] [--reuse] [--bulk [--bulk-slice N]]
 *
 * --lists also times the other evidence lists (100 rows each, over the whole
 * period and days D/4..D/2); --reuse reports on the database --db as it is
 * (written by an earlier --keep run) instead of storing. --bulk (ClickHouse,
 * a new database): the rollups are filled from the events after the load
 * instead of by the views during it (ta_store_bulk_begin), the way to load
 * 100 M events in minutes; the answers are the same as without it.
 * --bulk-slice N: about N groups (members, contacts) per query that fills a
 * rollup (default: each rollup's own; small values test the slicing).
 *
 * The data is shaped like a national CERT's: many controlled hosts beaconing
 * to few C&C servers (each host to its botnet's one to three servers, about
 * 85 events per host as in 100M events / 1.18M hosts), fewer phishing and
 * backdoor events, a few malware downloads (payload) and allow-listed
 * (suppressed) contacts; countries drawn from a small skewed set. Also used by
 * tests/integration/report-cli/ and report-counts.sh (with a small N and --keep) to make a
 * database for the CLI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "common/banned.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* Skewed pick: small indexes much more likely (squares a uniform). */
static uint64_t skewed(uint64_t n)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    uint64_t v = (uint64_t)(u * u * (double)n);
    return v < n ? v : n - 1;
}

/* CPU time of this process: the machine is shared, so wall time would
 * measure the neighbours; both are printed, CPU first. */
static double wall0;
static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
/* --wall: time with the wall clock (a ClickHouse store does its work in the
 * server, which this process's CPU time does not see). */
static bool use_wall;
/* --all-hosts: also time the whole controlled-hosts list (every row). */
static bool all_hosts;
/* --lists: time every list. */
static bool all_lists;
static double now(void)
{
    if (use_wall)
        return wall();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes this process has written: wchar (bytes handed to write/pwrite,
 * which is what SQLite's WAL and checkpoints cost whatever the file system
 * does with them) and write_bytes (what reached the block layer); -1 when
 * /proc/self/io cannot be read. */
static void io_written(long long *wchar, long long *wbytes)
{
    *wchar = *wbytes = -1;
    FILE *f = fopen("/proc/self/io", "r");
    if (f == NULL)
        return;
    char line[128];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "wchar: ", 7) == 0)
            *wchar = strtoll(line + 7, NULL, 10);
        else if (strncmp(line, "write_bytes: ", 13) == 0)
            *wbytes = strtoll(line + 13, NULL, 10);
    }
    fclose(f);
}

static const char *const ccs[] = {"US", "CN", "RU", "DE", "NL", "FR", "GB", "KR", "JP", "BR",
                                  "IN", "UA", "VN", "TR", "IR", "HK", "SG", "CA", "PL", "RO"};
#define NCC (sizeof(ccs) / sizeof(ccs[0]))

static void addr_of(struct ta_addr *a, uint32_t base, uint64_t idx)
{
    uint32_t v = base + (uint32_t)idx;
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ta_addr_set_v4(a, b);
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000, days = 60, seed = 1;
    const char *db = NULL;
    bool keep = false, no_finish = false, reuse = false, bulk = false;
    uint64_t bulk_slice = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
            days = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--wall") == 0)
            use_wall = true;
        else if (strcmp(argv[i], "--all-hosts") == 0)
            all_hosts = true;
        else if (strcmp(argv[i], "--lists") == 0)
            all_lists = true;
        else if (strcmp(argv[i], "--bulk") == 0)
            bulk = true;
        else if (strcmp(argv[i], "--bulk-slice") == 0 && i + 1 < argc)
            bulk_slice = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--reuse") == 0)
            reuse = keep = true;
        else if (strcmp(argv[i], "--no-finish") == 0)
            no_finish = keep = true;
        else {
            fprintf(
                stderr,
                "usage: bench-report [--events N] [--days D] [--db PATH|URL] [--keep] [--seed S] "
                "[--wall] [--all-hosts] [--lists] [--reuse] [--bulk [--bulk-slice N]]\n");
            return 2;
        }
    }
    if (days == 0)
        days = 1;
    wall0 = wall();
    char path[256];
    if (db == NULL) {
        snprintf(path, sizeof(path), "/tmp/ta-bench-report-%d.db", (int)getpid());
        db = path;
    }
    char p2[300];
    if (!reuse) {
        unlink(db);
        snprintf(p2, sizeof(p2), "%s-wal", db);
        unlink(p2);
        snprintf(p2, sizeof(p2), "%s-shm", db);
        unlink(p2);
    }

    char err[TA_STORE_ERRLEN];
    struct ta_store *st = NULL;
    if (ta_store_open(db, reuse ? TA_STORE_READONLY : TA_STORE_CREATE, &st, err) != TA_OK) {
        fprintf(stderr, "bench-report: %s\n", err);
        return 1;
    }
    const uint64_t day0 = 16148; /* 2014-03-19 */
    if (reuse)
        goto report;
    struct ta_store_input in = {.path = "synthetic", .size = n};
    char name[64];
    snprintf(name, sizeof(name), "synthetic %llu %llu %llu", (unsigned long long)n,
             (unsigned long long)days, (unsigned long long)seed);
    ta_sha256(name, strlen(name), in.sha256);
    struct ta_store_run_info info = {.inputs = &in,
                                     .n_inputs = 1,
                                     .home = "CN",
                                     .intel_version = "bench-intel 1",
                                     .geoip_version = "bench-geoip 1"};
    bool done;
    if (ta_store_run_begin(st, &info, &done) != TA_OK) {
        fprintf(stderr, "bench-report: %s\n", ta_store_errmsg(st));
        return 1;
    }
    if (bulk && ta_store_bulk_begin(st) != TA_OK) {
        fprintf(stderr, "bench-report: --bulk: %s\n", ta_store_errmsg(st));
        return 1;
    }
    rng_state = seed;
    /* Pools scale with N: ~85 c2 events per controlled host, as in the
     * CERT's 100M events / 1.18M hosts; a few thousand servers. */
    uint64_t c2_servers = n / 20000 + 5, hosts = n / 85 + 10;
    uint64_t phish_hosts = n / 100000 + 3, pages = n / 20000 + 5, visitors = n / 50 + 10;
    uint64_t bd_attackers = n / 10000 + 3, sites = n / 5000 + 5;
    double t0 = now(), tm = t0;
    long long w0, wb0, wm, wbm;
    io_written(&w0, &wb0);
    wm = w0;
    wbm = wb0;
    char page[96], site[64];
    for (uint64_t i = 0; i < n; i++) {
        struct ta_event ev;
        memset(&ev, 0, sizeof(ev));
        uint64_t r = below(100);
        /* Time-ordered, as a capture is analysed. */
        ev.ts = (ta_time_us)day0 * 86400000000ull +
                (ta_time_us)((double)i / (double)n * (double)days * 86400e6);
        ev.flow_id = i + 1;
        ev.proto = 6;
        ev.confidence = 90;
        ev.signature = "bench";
        ev.sources = "bench-feed";
        ev.attacker.port = 443;
        ev.victim.port = (uint16_t)(1024 + below(60000));
        ev.flow_start = ev.ts;
        ev.established = below(4) != 0;
        if (r < 70) {
            ev.kind = r < 68 ? TA_EVENT_C2 : TA_EVENT_C2_SUSPECTED;
            /* A bot talks to its botnet's servers: each host has a home
             * server and, now and then, one of the next two. */
            uint64_t h = below(hosts);
            uint64_t s = (h * 2654435761u + (below(8) == 0 ? 1 + below(2) : 0)) % c2_servers;
            addr_of(&ev.attacker.ip, 0x0b000000u, s);
            addr_of(&ev.victim.ip, 0x64000000u, h);
            memcpy(ev.attacker.cc, ccs[s % NCC], 3);
            /* A host stays in its country: a quarter in CN, the rest spread. */
            memcpy(ev.victim.cc, ccs[h % 4 == 0 ? 1 : (h / 4) % NCC], 3);
            ev.family = "zeus";
            ev.method = TA_METHOD_IP;
            /* Some servers rest on undated indicators; a few contacts are to
             * allow-listed addresses (kept, not counted). */
            ev.undated = s % 7 == 0;
            if (below(100) == 0)
                ev.suppressed_by = "bench-allow";
        } else if (r < 71) {
            ev.kind = TA_EVENT_PAYLOAD;
            uint64_t s = skewed(sites), v = below(hosts);
            addr_of(&ev.attacker.ip, 0x65000000u, s);
            addr_of(&ev.victim.ip, 0x64000000u, v);
            memcpy(ev.attacker.cc, ccs[s % NCC], 3);
            memcpy(ev.victim.cc, ccs[v % 4 == 0 ? 1 : (v / 4) % NCC], 3);
            ev.url = "/files/invoice.exe";
            ev.method = TA_METHOD_URL;
        } else if (r < 85) {
            ev.kind = TA_EVENT_PHISHING;
            uint64_t s = skewed(phish_hosts), pg = below(pages), v = below(visitors);
            addr_of(&ev.attacker.ip, 0x0c000000u, s);
            addr_of(&ev.victim.ip, 0x64000000u, v);
            memcpy(ev.attacker.cc, ccs[s % NCC], 3);
            memcpy(ev.victim.cc, ccs[v % 3], 3);
            snprintf(page, sizeof(page), "http://phish%llu.example/login", (unsigned long long)pg);
            ev.page = page;
            ev.indicator = page;
            ev.method = TA_METHOD_URL;
            /* One event per visit: the store's identity makes the requests
             * of one flow one event anyway. */
        } else {
            ev.kind = r < 99 ? TA_EVENT_BACKDOOR : TA_EVENT_BACKDOOR_SUSPECTED;
            uint64_t a = skewed(bd_attackers), w = below(sites);
            addr_of(&ev.attacker.ip, 0x0d000000u, a);
            addr_of(&ev.victim.ip, 0x65000000u, w);
            memcpy(ev.attacker.cc, ccs[a % NCC], 3);
            memcpy(ev.victim.cc, ccs[w % 2 ? 1 : w % NCC], 3);
            snprintf(site, sizeof(site), "site%llu.example", (unsigned long long)w);
            ev.website = site;
            ev.hostname = site;
            ev.url = "/upload/shell.php";
            ev.family = "godzilla";
            ev.method = TA_METHOD_CONTENT;
            ev.attacker.port = (uint16_t)(1024 + below(60000));
            ev.victim.port = 80;
        }
        if (ta_store_add_event(st, &ev) != TA_OK) {
            fprintf(stderr, "bench-report: %s\n", ta_store_errmsg(st));
            return 1;
        }
        /* Each million: the marginal cost of storing, to see whether it
         * grows with what is already stored. */
        if ((i + 1) % 1000000 == 0) {
            double t = now();
            long long w, wb;
            io_written(&w, &wb);
            printf("at %4llu M events: %.2f us CPU/event, %.0f bytes written/event (%.0f to "
                   "disk)\n",
                   (unsigned long long)((i + 1) / 1000000), t - tm, (double)(w - wm) / 1e6,
                   (double)(wb - wbm) / 1e6);
            fflush(stdout);
            tm = t;
            wm = w;
            wbm = wb;
        }
    }
    double t1 = now();
    if (no_finish) {
        /* Leave the run unfinished (as a crash would). */
        ta_store_run_abort(st);
        ta_store_close(st);
        printf("insert (CPU):      %.2f s; run left unfinished in %s\n", t1 - t0, db);
        return 0;
    }
    if (ta_store_run_finish(st, 0, 0) != TA_OK) {
        fprintf(stderr, "bench-report: %s\n", ta_store_errmsg(st));
        return 1;
    }
    double t2 = now();
    if (bulk && ta_store_bulk_end(st, bulk_slice) != TA_OK) {
        fprintf(stderr, "bench-report: %s\n", ta_store_errmsg(st));
        return 1;
    }
    double t2b = now();
    if (bulk)
        printf("rollups (bulk):    %.2f s\n", t2b - t2);
    printf("events:            %llu over %llu days\n", (unsigned long long)n,
           (unsigned long long)days);
    printf("insert (CPU):      %.2f s (%.0f events/s)\n", t1 - t0, (double)n / (t1 - t0));
    struct ta_store_stats stats;
    ta_store_get_stats(st, &stats);
    printf("finish:            %.2f s (%llu distinct events stored, %llu repeats of one)\n",
           t2 - t1, (unsigned long long)stats.events_new,
           (unsigned long long)(stats.events_known + stats.events_repeat));
    printf("store total:       %.2f s (%.0f events/s)\n", t2b - t0, (double)n / (t2b - t0));
    long long w2, wb2;
    io_written(&w2, &wb2);
    if (w2 >= 0)
        printf("store written:     %.0f bytes/event (%.0f to disk)\n",
               (double)(w2 - w0) / (double)n, (double)(wb2 - wb0) / (double)n);

report:;
    struct ta_report_query q;
    ta_report_query_init(&q);
    q.from_day = (int64_t)day0;
    q.to_day = (int64_t)(day0 + days - 1);
    struct ta_report *r = NULL;
    double t3 = now();
    if (ta_report_compute(st, &q, &r) != TA_OK) {
        fprintf(stderr, "bench-report: %s\n", ta_store_errmsg(st));
        return 1;
    }
    double t4 = now();
    const struct ta_report_row *rows;
    size_t nb = ta_report_rows(r, TA_REPORT_BOTNET, false, &rows);
    uint64_t top_hosts = nb ? rows[0].targets : 0;
    printf("report (all days): %.3f s (%zu botnet pairs; top pair %s->%s %llu hosts)\n", t4 - t3,
           nb, nb ? rows[0].src_cc : "-", nb ? rows[0].dst_cc : "-", (unsigned long long)top_hosts);
    ta_report_free(r);

    q.from_day = (int64_t)(day0 + days / 4);
    q.to_day = (int64_t)(day0 + days / 2);
    t3 = now();
    if (ta_report_compute(st, &q, &r) != TA_OK)
        return 1;
    t4 = now();
    printf("report (days %llu-%llu): %.3f s\n", (unsigned long long)(days / 4),
           (unsigned long long)(days / 2), t4 - t3);
    ta_report_free(r);

    q.from_day = (int64_t)day0;
    q.to_day = (int64_t)(day0 + days - 1);
    FILE *devnull = fopen("/dev/null", "w");
    t3 = now();
    if (ta_report_list_write(st, &q, TA_LIST_C2_SERVERS, 100, TA_REPORT_FMT_TEXT, devnull) != TA_OK)
        return 1;
    t4 = now();
    fclose(devnull);
    printf("list c2-servers:   %.3f s\n", t4 - t3);
    for (unsigned l = 0; all_lists && l < TA_LIST__COUNT; l++) {
        /* The whole period, then one cutting through the data. */
        for (int cut = 0; cut < 2; cut++) {
            q.from_day = (int64_t)(day0 + (cut ? days / 4 : 0));
            q.to_day = (int64_t)(day0 + (cut ? days / 2 : days - 1));
            devnull = fopen("/dev/null", "w");
            t3 = now();
            if (devnull == NULL || ta_report_list_write(st, &q, (enum ta_report_list)l, 100,
                                                        TA_REPORT_FMT_JSON, devnull) != TA_OK)
                return 1;
            t4 = now();
            fclose(devnull);
            char label[64];
            snprintf(label, sizeof(label), "list %s%s:", ta_store_list_name((enum ta_store_list)l),
                     cut ? " (cut)" : "");
            printf("%-30s %.3f s\n", label, t4 - t3);
        }
    }
    q.from_day = (int64_t)day0;
    q.to_day = (int64_t)(day0 + days - 1);
    devnull = all_hosts ? fopen("/dev/null", "w") : NULL;
    t3 = now();
    if (devnull != NULL && ta_report_list_write(st, &q, TA_LIST_CONTROLLED_HOSTS, 0,
                                                TA_REPORT_FMT_TEXT, devnull) != TA_OK)
        return 1;
    t4 = now();
    if (devnull != NULL) {
        fclose(devnull);
        printf("list controlled-hosts (all rows): %.3f s\n", t4 - t3);
    }
    ta_store_close(st);
    printf("wall clock total:  %.1f s (CPU times above; the machine may be shared)\n",
           wall() - wall0);
    if (!keep) {
        unlink(db);
        snprintf(p2, sizeof(p2), "%s-wal", db);
        unlink(p2);
        snprintf(p2, sizeof(p2), "%s-shm", db);
        unlink(p2);
    }
    return 0;
}
