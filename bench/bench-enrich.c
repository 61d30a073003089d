/*
 * Enrichment benchmark: lookups per second on one core for libmaxminddb's
 * MMDB_lookup_sockaddr (alone, and with the country_code fetch a country
 * answer needs) and for ta_geo_lookup (country + ASN + home in one call),
 * on the same address streams:
 *
 *   random-v4   uniformly random IPv4 addresses
 *   skewed-v4   50,000 distinct routable IPv4 addresses drawn with a Zipf
 *               (s = 1.1) popularity, as a sensor sees its talkers
 *   random-v6   random addresses in 2000::/4
 *
 * usage: bench-enrich [--data-dir DIR] [--n N]
 * Needs the pinned data installed (`threatatlas geo install`).
 */
#include <arpa/inet.h>
#include <math.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "threatatlas/enrich.h"

#include "common/banned.h"

#define REPS 5

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Wall clock, for the open time. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: rates are per core, not disturbed by waiting. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, fl) == 0)
            v = strtol(line + fl, NULL, 10);
    fclose(f);
    return v;
}

struct stream {
    const char *name;
    struct ta_addr *addr;
    struct sockaddr_in6 *sa;
    size_t n;
};

static void set_sa(struct sockaddr_in6 *ss, const struct ta_addr *a)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->b + 12, 4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a->b, 16);
    }
}

static void stream_alloc(struct stream *s, const char *name, size_t n)
{
    s->name = name;
    s->n = n;
    s->addr = malloc(n * sizeof(*s->addr));
    s->sa = malloc(n * sizeof(*s->sa));
    if (s->addr == NULL || s->sa == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
}

static void random_v4(struct ta_addr *a)
{
    uint32_t v = (uint32_t)next_rand();
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ta_addr_set_v4(a, b);
}

static double bench_ours(const ta_geo *g, const struct stream *s, uint64_t *sum)
{
    struct ta_geo_result r;
    uint64_t acc = 0;
    double t0 = cpu_now();
    for (size_t i = 0; i < s->n; i++) {
        ta_geo_lookup(g, &s->addr[i], &r);
        acc += r.asn + (uint8_t)r.cc[0] + r.is_home;
    }
    double t = cpu_now() - t0;
    *sum = acc;
    return (double)s->n / t;
}

static double bench_mmdb(MMDB_s *db, const struct stream *s, bool fetch_cc, uint64_t *sum)
{
    uint64_t acc = 0;
    double t0 = cpu_now();
    for (size_t i = 0; i < s->n; i++) {
        int err;
        MMDB_lookup_result_s res =
            MMDB_lookup_sockaddr(db, (const struct sockaddr *)&s->sa[i], &err);
        acc += res.netmask;
        if (fetch_cc && res.found_entry) {
            MMDB_entry_data_s d;
            if (MMDB_get_value(&res.entry, &d, "country_code", NULL) == MMDB_SUCCESS && d.has_data)
                acc += (uint8_t)d.utf8_string[0];
        }
    }
    double t = cpu_now() - t0;
    *sum = acc;
    return (double)s->n / t;
}

int main(int argc, char **argv)
{
    const char *data_dir = NULL;
    size_t n = 2000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-enrich [--data-dir DIR] [--n N]\n");
            return 2;
        }
    }
    long rss0 = rss_kb("VmRSS:");
    struct ta_geo_opts o = {.data_dir = data_dir};
    ta_geo *g;
    char err[512];
    double t0 = now();
    if (ta_geo_open(&o, &g, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "bench-enrich: %s\n", err);
        return 77;
    }
    double open_s = now() - t0;
    long rss1 = rss_kb("VmRSS:");
    struct ta_geo_db_info info[2];
    ta_geo_info(g, info, 2);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);

    MMDB_s db;
    int rc = MMDB_open(info[0].path, MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
        fprintf(stderr, "bench-enrich: %s: %s\n", info[0].path, MMDB_strerror(rc));
        return 1;
    }

    struct stream s[3];
    stream_alloc(&s[0], "random-v4", n);
    for (size_t i = 0; i < n; i++)
        random_v4(&s[0].addr[i]);

    /* Skewed: a pool of routable addresses the data places, Zipf ranks. */
    enum { POOL = 50000 };
    struct ta_addr *pool = malloc(POOL * sizeof(*pool));
    double *cdf = malloc(POOL * sizeof(*cdf));
    if (pool == NULL || cdf == NULL)
        return 1;
    for (size_t k = 0; k < POOL;) {
        struct ta_geo_result r;
        random_v4(&pool[k]);
        ta_geo_lookup(g, &pool[k], &r);
        if (r.reason == TA_GEO_OK)
            k++;
    }
    double tot = 0;
    for (size_t k = 0; k < POOL; k++) {
        tot += 1.0 / pow((double)(k + 1), 1.1);
        cdf[k] = tot;
    }
    stream_alloc(&s[1], "skewed-v4", n);
    for (size_t i = 0; i < n; i++) {
        double u = (double)(next_rand() >> 11) / 9007199254740992.0 * tot;
        size_t lo = 0, hi = POOL - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        s[1].addr[i] = pool[lo];
    }
    stream_alloc(&s[2], "random-v6", n / 4);
    for (size_t i = 0; i < s[2].n; i++) {
        uint8_t b[16];
        uint64_t x = next_rand(), y = next_rand();
        for (int k = 0; k < 8; k++) {
            b[k] = (uint8_t)(x >> (8 * k));
            b[8 + k] = (uint8_t)(y >> (8 * k));
        }
        b[0] = (uint8_t)(0x20 | (b[0] & 0x0f));
        ta_addr_set_v6(&s[2].addr[i], b);
    }
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k].n; i++)
            set_sa(&s[k].sa[i], &s[k].addr[i]);

    printf("data: %s %s (%s), %s %s\n", info[0].package, info[0].package_version,
           info[0].database_type, info[1].package, info[1].package_version);
    printf("open + table build: %.2f s; tables %llu v4 ranges, %llu v6 ranges, %.1f MiB\n", open_s,
           (unsigned long long)st.v4_ranges, (unsigned long long)st.v6_ranges,
           (double)st.table_bytes / 1048576.0);
    printf("resident memory: %ld KiB before open, %ld KiB after open (tables built, "
           "sources freed)\n\n",
           rss0, rss1);
    printf("lookups per CPU-second of one thread, best of %d runs per cell\n", REPS);
    printf("%-10s %10s %22s %22s %26s\n", "stream", "lookups", "MMDB_lookup_sockaddr/s",
           "+country_code/s", "ta_geo_lookup (cc+ASN)/s");
    for (int k = 0; k < 3; k++) {
        uint64_t a, b, c;
        double m1 = 0, m2 = 0, ours = 0;
        /* Best of REPS: the machine is shared, the best run is the least disturbed. */
        for (int rep = 0; rep < REPS; rep++) {
            m1 = fmax(m1, bench_mmdb(&db, &s[k], false, &a));
            m2 = fmax(m2, bench_mmdb(&db, &s[k], true, &b));
            ours = fmax(ours, bench_ours(g, &s[k], &c));
        }
        printf("%-10s %10zu %22.0f %22.0f %26.0f   (checksums %llu %llu %llu)\n", s[k].name, s[k].n,
               m1, m2, ours, (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
    }
    printf("\npeak resident memory (incl. streams): %ld KiB\n", rss_kb("VmHWM:"));
    for (int k = 0; k < 3; k++) {
        free(s[k].addr);
        free(s[k].sa);
    }
    free(pool);
    free(cdf);
    MMDB_close(&db);
    ta_geo_close(g);
    return 0;
}
