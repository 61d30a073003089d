/*
 * Intel benchmark: index build time, resident memory and single-core lookup
 * rates for IPs, domains and URLs.
 *
 *   bench-intel [--ips N] [--domains N] [--urls N] [--lookups N] [--tmp DIR]
 *       generate N random CIDRs+addresses, N domains, N URLs into a fresh
 *       database, build the index, run lookups.
 *   bench-intel --db FILE [--tmp DIR]
 *       build the index from an existing database (e.g. 10M imported rows)
 *       and report build time and memory, then start-up time through the
 *       index cache (in DIR): cold (build and write) and cache hits.
 *   bench-intel --keep FILE [...]
 *       use FILE as the generated database and keep it; if FILE exists it is
 *       reused without inserting (generation is deterministic, so the same
 *       arguments give the same indicators). For comparing index layouts.
 *   --cached 1
 *       open the index through its cache file beside the database (a
 *       second run with --keep maps it): lookups on a mapped index.
 *
 * Streams: "mixed" replays 4096 queries, half of them hits (the original
 * figures); "miss99" replays 1M distinct queries of which 99% match nothing
 * and 1% are listed values, closer to real traffic and to a cold cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "threatatlas/intel.h"

/* Lookups carry an observation time (2024-06-01), as the detector's do, so
 * the time windows of the dated indicators are checked on every hit. */
#define BENCH_AT    ((ta_time_us)1717200000ull * 1000000ull)
#define DATED_FIRST ((ta_time_us)1704067200ull * 1000000ull) /* 2024-01-01 */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: the machine is shared, so rates are per core-second. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long file_kb(const char *file, const char *key)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, kl) == 0)
            v = strtol(line + kl + 1, NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

static long status_kb(const char *key)
{
    return file_kb("/proc/self/status", key);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void rand_label(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + rnd() % 26);
    out[n] = '\0';
}

static void report_index(struct ta_intel_index *idx, double secs)
{
    struct ta_intel_index_stats st;
    ta_intel_index_stats(idx, &st);
    printf("index: %llu rows, %llu entries, %llu ip ranges, %llu string keys, built in %.2f s, "
           "index memory %.1f MB, VmRSS %.1f MB, VmHWM %.1f MB\n",
           (unsigned long long)st.rows, (unsigned long long)st.entries,
           (unsigned long long)st.ip_ranges, (unsigned long long)st.strings, secs,
           (double)st.memory / 1048576.0, (double)status_kb("VmRSS:") / 1024.0,
           (double)status_kb("VmHWM:") / 1024.0);
    /* The index asks for transparent huge pages for its big tables. */
    printf("index: AnonHugePages %.1f MB\n",
           (double)file_kb("/proc/self/smaps_rollup", "AnonHugePages:") / 1024.0);
}

#define NQ (1u << 20)

/*
 * The IP streams, each a function of its own so that callgrind counts its
 * instructions alone (instructions per lookup are the figure that holds on
 * a loaded machine):
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=ip_stream_miss99 \
 *       bench-intel --keep DB --cached 1 --only ip --lookups 1000000
 * Query i is qa[(i * step) & mask]: step 1 walks a large set in order, an
 * odd step scatters over a small one.
 */
#define IP_STREAM(name)                                                                            \
    static __attribute__((noipa)) uint64_t name(                                                   \
        const struct ta_intel_index *idx, const struct ta_addr *qa, size_t mask, size_t step,      \
        size_t nlook, uint16_t port, uint32_t kinds)                                               \
    {                                                                                              \
        struct ta_intel_match m[8];                                                                \
        uint64_t hits = 0;                                                                         \
        for (size_t i = 0; i < nlook; i++)                                                         \
            hits +=                                                                                \
                ta_intel_match_ip(idx, &qa[(i * step) & mask], port, BENCH_AT, kinds, m, 8) > 0;   \
        return hits;                                                                               \
    }
IP_STREAM(ip_stream_mixed)
IP_STREAM(ip_stream_hits)
IP_STREAM(ip_stream_miss99)
IP_STREAM(ip_stream_miss99_c2)

/* The same queries through ta_intel_match_ip_batch, BATCH_N at a time
 * (gathered into an array first, as a caller holding several addresses
 * would have them). */
#define BATCH_N 16
#define IP_STREAM_BATCH(name)                                                                      \
    static __attribute__((noipa)) uint64_t name(                                                   \
        const struct ta_intel_index *idx, const struct ta_addr *qa, size_t mask, size_t step,      \
        size_t nlook, uint16_t port, uint32_t kinds)                                               \
    {                                                                                              \
        static struct ta_intel_match m[BATCH_N * 8];                                               \
        struct ta_addr a[BATCH_N];                                                                 \
        uint16_t ports[BATCH_N];                                                                   \
        size_t counts[BATCH_N];                                                                    \
        uint64_t hits = 0;                                                                         \
        for (size_t i = 0; i < nlook; i += BATCH_N) {                                              \
            size_t n = nlook - i < BATCH_N ? nlook - i : BATCH_N;                                  \
            for (size_t k = 0; k < n; k++) {                                                       \
                a[k] = qa[((i + k) * step) & mask];                                                \
                ports[k] = port;                                                                   \
            }                                                                                      \
            ta_intel_match_ip_batch(idx, a, ports, n, BENCH_AT, kinds, m, 8, counts);              \
            for (size_t k = 0; k < n; k++)                                                         \
                hits += counts[k] > 0;                                                             \
        }                                                                                          \
        return hits;                                                                               \
    }
IP_STREAM_BATCH(ip_stream_mixed_batch)
IP_STREAM_BATCH(ip_stream_hits_batch)
IP_STREAM_BATCH(ip_stream_miss99_batch)

/* Set by --only ip: the IP streams alone (for callgrind). */
static bool only_ip;

static void rate(const char *what, size_t n, double dt, uint64_t hits)
{
    printf("%s: %zu in %.2f s = %.1f M/s (%llu with a match)\n", what, n, dt, (double)n / dt / 1e6,
           (unsigned long long)hits);
}

/* 1M distinct queries, 99% of them misses: what a sensor mostly sees. */
static void miss99(struct ta_intel_index *idx, const struct ta_intel_indicator *inds, size_t nip,
                   size_t ndom, size_t nurl, const uint32_t *ips, size_t nlook)
{
    struct ta_intel_match m[8];
    struct ta_addr *qa = malloc(NQ * sizeof(*qa));
    char(*qs)[80] = malloc((size_t)NQ * sizeof(*qs));
    uint8_t *ql = malloc(NQ);
    if (qa == NULL || qs == NULL || ql == NULL)
        goto out;
    /* IPs: misses are random addresses the index does not cover (found by
     * asking it without a time, so an address under a prefix that is out of
     * its window at BENCH_AT is not taken for a miss), hits are listed
     * prefixes' addresses. */
    size_t tries = 0, covered = 0;
    for (size_t i = 0; i < NQ; i++) {
        uint32_t a;
        for (unsigned t = 0;; t++) {
            a = i % 100 == 0 && nip > 0 ? ips[rnd() % nip] | (uint32_t)(rnd() & 0xff)
                                        : (uint32_t)rnd();
            uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
            ta_addr_set_v4(&qa[i], b);
            if (i % 100 == 0 || t == 64) /* 64: the index covers nearly everything */
                break;
            tries++;
            if (ta_intel_match_ip(idx, &qa[i], 0, 0, 0, m, 8) == 0)
                break;
            covered++;
        }
    }
    printf("miss99: %.1f%% of uniformly random IPv4 addresses are covered by the listed prefixes\n",
           tries > 0 ? 100.0 * (double)covered / (double)tries : 0.0);
    double t0 = cpu();
    uint64_t hits = ip_stream_miss99(idx, qa, NQ - 1, 1, nlook, 0, 0);
    rate("miss99 ip lookups", nlook, cpu() - t0, hits);
    t0 = cpu();
    hits = ip_stream_miss99_c2(idx, qa, NQ - 1, 1, nlook, 443, TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2));
    rate("miss99 ip lookups (port 443, c2 only)", nlook, cpu() - t0, hits);
    t0 = cpu();
    hits = ip_stream_miss99_batch(idx, qa, NQ - 1, 1, nlook, 0, 0);
    rate("miss99 ip batched lookups", nlook, cpu() - t0, hits);
    if (only_ip)
        goto out;
    /* Domains: random names under common TLDs, 1% subdomains of listed ones. */
    static const char *const tld[] = {"com", "net", "org", "de", "co.uk", "io"};
    for (size_t i = 0; i < NQ; i++) {
        char l1[12], l2[12];
        rand_label(l1, 3 + rnd() % 6);
        rand_label(l2, 4 + rnd() % 8);
        if (i % 100 == 0 && ndom > 0)
            snprintf(qs[i], 80, "%s.%s", l1, inds[nip + rnd() % ndom].value);
        else if (i % 3 == 0)
            snprintf(qs[i], 80, "%s.%s.%s", l1, l2, tld[rnd() % 6]);
        else
            snprintf(qs[i], 80, "www.%s.%s", l2, tld[rnd() % 6]);
        ql[i] = (uint8_t)strlen(qs[i]);
    }
    hits = 0;
    t0 = cpu();
    for (size_t i = 0; i < nlook; i++) {
        size_t j = i & (NQ - 1);
        hits += ta_intel_match_domain(idx, qs[j], ql[j], BENCH_AT, 0, m, 8) > 0;
    }
    rate("miss99 domain lookups", nlook, cpu() - t0, hits);
    /* URLs: random pages on random hosts, 1% listed URLs. */
    for (size_t i = 0; i < NQ; i++) {
        char h[12], p[12];
        rand_label(h, 4 + rnd() % 8);
        rand_label(p, 3 + rnd() % 8);
        if (i % 100 == 0 && nurl > 0)
            snprintf(qs[i], 80, "%s", inds[nip + ndom + rnd() % nurl].value);
        else
            snprintf(qs[i], 80, "http://www.%s.com/%s/index.html?id=%u", h, p,
                     (unsigned)(rnd() % 1000));
        ql[i] = (uint8_t)strlen(qs[i]);
    }
    size_t nl = nlook / 4;
    hits = 0;
    t0 = cpu();
    for (size_t i = 0; i < nl; i++) {
        size_t j = i & (NQ - 1);
        hits += ta_intel_match_url(idx, qs[j], ql[j], BENCH_AT, 0, m, 8) > 0;
    }
    rate("miss99 url lookups", nl, cpu() - t0, hits);
out:
    free(qa);
    free(qs);
    free(ql);
}

int main(int argc, char **argv)
{
    size_t nip = 1000000, ndom = 1000000, nurl = 200000, nlook = 10000000;
    const char *existing = NULL, *tmp = "/tmp", *keep = NULL;
    bool cached = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ips") == 0)
            nip = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--domains") == 0)
            ndom = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--urls") == 0)
            nurl = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--lookups") == 0)
            nlook = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--db") == 0)
            existing = argv[i + 1];
        else if (strcmp(argv[i], "--tmp") == 0)
            tmp = argv[i + 1];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = argv[i + 1];
        else if (strcmp(argv[i], "--cached") == 0)
            cached = strcmp(argv[i + 1], "0") != 0;
        else if (strcmp(argv[i], "--only") == 0)
            only_ip = strcmp(argv[i + 1], "ip") == 0;
    }
    char err[512];
    struct ta_intel_db *db;
    if (existing != NULL) {
        if (ta_intel_db_open(existing, &db, err, sizeof(err)) != TA_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t0 = now();
        struct ta_intel_index *idx;
        if (ta_intel_index_build(db, NULL, &idx) != TA_OK) {
            fprintf(stderr, "index build failed\n");
            return 1;
        }
        report_index(idx, now() - t0);
        ta_intel_index_free(idx);
        /* Start-up through the index cache: a cold start builds and writes
         * the file, a start after it maps the file (wall time, what a user
         * waits for; the first lookup faults pages in, so it is included). */
        char cpath[600];
        snprintf(cpath, sizeof(cpath), "%s/bench-intel-%d.index-cache", tmp, (int)getpid());
        unlink(cpath);
        struct ta_intel_cache_info ci;
        struct ta_addr probe;
        ta_addr_set_v4(&probe, (const uint8_t[4]){192, 0, 2, 1});
        struct ta_intel_match m[8];
        for (int run = 0; run < 4; run++) {
            t0 = now();
            if (ta_intel_index_open(db, NULL, cpath, &idx, &ci) != TA_OK) {
                fprintf(stderr, "index open failed\n");
                return 1;
            }
            size_t got = ta_intel_match_ip(idx, &probe, 0, 0, 0, m, 8);
            double dt = now() - t0;
            printf("index start %s: %.4f s (%s%s)\n", run == 0 ? "cold" : "cache hit", dt,
                   ci.hit ? "mapped" : "built",
                   ci.hit || ci.write_err == TA_OK ? "" : ", cache not written");
            (void)got;
            ta_intel_index_free(idx);
        }
        unlink(cpath);
        ta_intel_db_close(db);
        return 0;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/bench-intel-%d.db", tmp, (int)getpid());
    bool reuse = false;
    if (keep != NULL) {
        snprintf(path, sizeof(path), "%s", keep);
        reuse = access(path, F_OK) == 0;
    }
    if (ta_intel_db_open(path, &db, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    size_t total = nip + ndom + nurl;
    struct ta_intel_indicator *inds = calloc(total, sizeof(*inds));
    char *text = malloc(total * 64);
    uint32_t *ips = malloc(nip * sizeof(uint32_t));
    uint8_t *plens = malloc(nip);
    if (inds == NULL || text == NULL || ips == NULL || plens == NULL)
        return 1;
    size_t k = 0;
    for (size_t i = 0; i < nip; i++, k++) {
        uint32_t a = (uint32_t)rnd();
        char *t = text + k * 64;
        unsigned plen = (i % 2 == 0) ? 32 : 16 + (unsigned)(rnd() % 13);
        if (plen < 32)
            a &= ~((1u << (32 - plen)) - 1);
        ips[i] = a;
        plens[i] = (uint8_t)plen;
        if (plen == 32)
            snprintf(t, 64, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        else
            snprintf(t, 64, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
                     plen);
        inds[k] = (struct ta_intel_indicator){.type = plen == 32 ? TA_INTEL_IP : TA_INTEL_CIDR,
                                              .kind = TA_INTEL_KIND_C2,
                                              .value = t,
                                              .source = i % 3 ? "feodo" : "threatfox",
                                              .confidence = 80,
                                              .first_seen = i % 3 ? DATED_FIRST : 0,
                                              .last_seen = i % 3 ? DATED_FIRST : 0};
    }
    for (size_t i = 0; i < ndom; i++, k++) {
        char *t = text + k * 64;
        char l1[12], l2[10];
        rand_label(l1, 4 + rnd() % 8);
        rand_label(l2, 3 + rnd() % 6);
        snprintf(t, 64, "%s.%s.%s", l1, l2, i % 2 ? "com" : "net");
        inds[k] = (struct ta_intel_indicator){.type = TA_INTEL_DOMAIN,
                                              .kind = TA_INTEL_KIND_C2,
                                              .value = t,
                                              .source = "maltrail",
                                              .confidence = 80};
    }
    for (size_t i = 0; i < nurl; i++, k++) {
        char *t = text + k * 64;
        char h[12], p[12];
        rand_label(h, 8);
        rand_label(p, 8);
        snprintf(t, 64, "http://%s.test/%s/login.php", h, p);
        inds[k] = (struct ta_intel_indicator){.type = TA_INTEL_URL,
                                              .kind = TA_INTEL_KIND_PHISHING,
                                              .value = t,
                                              .source = "openphish",
                                              .confidence = 90};
    }
    double t0 = now(), c0 = cpu();
    struct ta_intel_load_result r;
    if (reuse) {
        printf("insert: skipped, reusing %s\n", path);
    } else {
        if (ta_intel_db_insert(db, inds, total, &r) != TA_OK) {
            fprintf(stderr, "insert failed: %s\n", ta_intel_db_errmsg(db));
            return 1;
        }
        printf("insert: %zu indicators (%llu new) in %.2f s wall, %.2f cpu-s\n", total,
               (unsigned long long)r.inserted, now() - t0, cpu() - c0);
    }
    t0 = now();
    c0 = cpu();
    struct ta_intel_index *idx;
    struct ta_intel_cache_info ci = {.hit = false};
    if ((cached ? ta_intel_index_open(db, NULL, NULL, &idx, &ci)
                : ta_intel_index_build(db, NULL, &idx)) != TA_OK) {
        fprintf(stderr, "index build failed\n");
        return 1;
    }
    report_index(idx, now() - t0);
    printf("index %s: %.2f cpu-s\n", ci.hit ? "mapped from its cache" : "build", cpu() - c0);
    struct ta_intel_match m[8];
    /* IPs: half drawn near indexed prefixes (hits), half uniformly random. */
    uint64_t hits = 0;
    struct ta_addr *qa = malloc(4096 * sizeof(*qa));
    char(*qd)[80] = NULL;
    for (size_t i = 0; i < 4096; i++) {
        uint32_t a =
            (i % 2 || nip == 0) ? (uint32_t)rnd() : ips[rnd() % nip] | (uint32_t)(rnd() & 0xff);
        uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        ta_addr_set_v4(&qa[i], b);
    }
    t0 = cpu();
    hits = ip_stream_mixed(idx, qa, 4095, 2654435761u, nlook, 0, 0);
    double dt = cpu() - t0;
    printf("ip lookups: %zu in %.2f s = %.1f M/s (%llu with a match)\n", nlook, dt,
           (double)nlook / dt / 1e6, (unsigned long long)hits);
    t0 = cpu();
    hits = ip_stream_mixed_batch(idx, qa, 4095, 2654435761u, nlook, 0, 0);
    rate("ip batched lookups", nlook, cpu() - t0, hits);
    /* Hits: 1M distinct addresses, each inside a listed prefix (at BENCH_AT
     * the dated two thirds are out of their windows: covered, no match). */
    struct ta_addr *qh = malloc(NQ * sizeof(*qh));
    uint64_t saved = rng_state; /* the other streams' queries stay as they were */
    rng_state = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; qh != NULL && nip > 0 && i < NQ; i++) {
        size_t j = rnd() % nip;
        uint32_t host = plens[j] == 32 ? 0 : (uint32_t)rnd() & ((1u << (32 - plens[j])) - 1);
        uint32_t a = ips[j] | host;
        uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        ta_addr_set_v4(&qh[i], b);
    }
    if (qh != NULL && nip > 0) {
        t0 = cpu();
        hits = ip_stream_hits(idx, qh, NQ - 1, 1, nlook, 0, 0);
        rate("hit ip lookups", nlook, cpu() - t0, hits);
        t0 = cpu();
        hits = ip_stream_hits_batch(idx, qh, NQ - 1, 1, nlook, 0, 0);
        rate("hit ip batched lookups", nlook, cpu() - t0, hits);
    }
    rng_state = saved;
    free(qh);
    if (only_ip) {
        miss99(idx, inds, nip, ndom, nurl, ips, nlook);
        goto done;
    }
    /* Domains: subdomains of indexed names (parent match) and random misses. */
    qd = malloc(4096 * sizeof(*qd));
    for (size_t i = 0; i < 4096; i++) {
        char l[10];
        rand_label(l, 5);
        if (i % 2)
            snprintf(qd[i], 80, "www.%s.%s", l, inds[nip + rnd() % ndom].value);
        else
            snprintf(qd[i], 80, "cdn.%s.example.org", l);
    }
    size_t dl[4096];
    for (size_t i = 0; i < 4096; i++)
        dl[i] = strlen(qd[i]);
    hits = 0;
    t0 = cpu();
    for (size_t i = 0; i < nlook; i++) {
        size_t j = (i * 2654435761u) & 4095;
        hits += ta_intel_match_domain(idx, qd[j], dl[j], BENCH_AT, 0, m, 8) > 0;
    }
    dt = cpu() - t0;
    printf("domain lookups: %zu in %.2f s = %.1f M/s (%llu with a match)\n", nlook, dt,
           (double)nlook / dt / 1e6, (unsigned long long)hits);
    size_t nl = nlook / 4;
    hits = 0;
    t0 = cpu();
    for (size_t i = 0; i < nl && nurl > 0; i++) {
        const char *u = inds[nip + ndom + (i * 2654435761u) % nurl].value;
        hits += ta_intel_match_url(idx, u, strlen(u), BENCH_AT, 0, m, 8) > 0;
    }
    dt = cpu() - t0;
    printf("url lookups: %zu in %.2f s = %.1f M/s (%llu with a match)\n", nl, dt,
           (double)nl / dt / 1e6, (unsigned long long)hits);
    miss99(idx, inds, nip, ndom, nurl, ips, nlook);
done:
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    free(inds);
    free(text);
    free(ips);
    free(plens);
    free(qa);
    free(qd);
    if (keep != NULL)
        return 0;
    unlink(path);
    char w[600];
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s.index-cache", path);
    unlink(w);
    return 0;
}
