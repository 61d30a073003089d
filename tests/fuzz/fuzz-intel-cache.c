/*
 * Fuzz target for the intel index cache reader (ta__intel_cache_parse in
 * intel-index.c): the input is a cache file. Its size and checksums are
 * fixed up first (ta__intel_cache_seal), so that mutations reach the checks
 * behind them; the expected key is "fuzz", as in the seed corpus. A file
 * the reader accepts must be safe to use: every kind of lookup is run on it
 * (IPv4 and IPv6 addresses around the ranges' starts, with and without a
 * port and a time, domains, URLs, hashes, allow lookups, the sources of
 * every match, the listing of every entry), under ASan.
 *
 * The seeds (tests/fuzz/corpus/intel-cache/seed-*, gen-*) are cache files
 * written by ta__intel_cache_write under the key "fuzz" for small indexes
 * built from feeds of CIDRs, addresses, IP:port pairs, domains, URLs, hashes
 * and allow entries, dated and undated (tests/fuzz/gen-intel-cache-seeds.c
 * writes the gen-* ones; rerun it when the format changes); forged-* are
 * gen-0 with one index broken under valid checksums, which the reader must
 * refuse (test-intel-cache asserts it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel-internal.h"
#include "threatatlas/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const struct ta_intel_index *x, const struct ta_intel_match *m, size_t n)
{
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += strlen(m[i].value) + strlen(m[i].family) + strlen(m[i].brand) +
               strlen(m[i].country) + m[i].prefix_len;
        for (uint32_t s = 0; s < m[i].nsources && s < 4; s++) {
            struct ta_intel_source_info si;
            ta_intel_match_source(x, &m[i], s, &si);
            sum += strlen(si.source) + strlen(si.family);
        }
    }
    return sum;
}

static ta_err each_fn(void *user, const struct ta_intel_indicator *ind)
{
    size_t *sum = user;
    *sum += strlen(ind->value) + strlen(ind->source) + strlen(ind->family);
    return TA_OK;
}

static size_t probe(const struct ta_intel_index *x, const struct ta_addr *a)
{
    struct ta_intel_match m[8];
    size_t sum = 0;
    static const ta_time_us times[] = {0, 1700000000ull * 1000000u, 1ull * 1000000u};
    for (int t = 0; t < 3; t++) {
        size_t n = ta_intel_match_ip(x, a, t == 1 ? 443 : 0, times[t], 0, m, 8);
        sum += touch(x, m, n);
    }
    if (ta_intel_allow_ip(x, a, m))
        sum += touch(x, m, 1);
    /* The batched lookup over this address and its neighbours. */
    struct ta_addr b[3] = {*a, *a, *a};
    b[1].b[15]++;
    b[2].b[15]--;
    uint16_t ports[3] = {0, 443, 1};
    size_t counts[3];
    struct ta_intel_match bm[3 * 4];
    ta_intel_match_ip_batch(x, b, ports, 3, times[1], 0, bm, 4, counts);
    for (size_t i = 0; i < 3; i++)
        sum += touch(x, bm + i * 4, counts[i]);
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Aligned as a mapping is (the reader requires 64). */
    uint8_t *buf = aligned_alloc(64, (size + 64) & ~(size_t)63);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    ta__intel_cache_seal(buf, size);
    struct ta_intel_index *x;
    if (ta__intel_cache_parse(buf, size, "fuzz", &x) == TA__INTEL_CACHE_VALID) {
        size_t sum = 0;
        struct ta_addr a;
        static const char *const addrs[] = {"0.0.0.0",
                                            "255.255.255.255",
                                            "192.0.2.1",
                                            "198.51.100.7",
                                            "203.0.113.200",
                                            "10.1.2.3",
                                            "::",
                                            "2001:db8::1",
                                            "ffff::1",
                                            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
        for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
            if (ta_addr_parse(&a, addrs[i]))
                sum += probe(x, &a);
        /* Addresses drawn from the input's bytes hit its ranges' edges. */
        for (size_t off = 0; off + 4 <= size && off < 4096; off += 61) {
            ta_addr_set_v4(&a, data + off);
            sum += probe(x, &a);
        }
        struct ta_intel_match m[8];
        static const char *const names[] = {"evil.example.com", "www.evil.example.com",
                                            "a.b.c.d.example.net", "test"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            size_t n = ta_intel_match_domain(x, names[i], strlen(names[i]), 0, 0, m, 8);
            sum += touch(x, m, n);
            if (ta_intel_allow_domain(x, names[i], strlen(names[i]), NULL, m))
                sum += touch(x, m, 1);
        }
        static const char *const urls[] = {"http://phish.example.net/login.php",
                                           "https://evil.example.com/", "http://x.test/a?b=c"};
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
            size_t n = ta_intel_match_url(x, urls[i], strlen(urls[i]), 0, 0, m, 8);
            sum += touch(x, m, n);
            if (ta_intel_allow_url(x, urls[i], strlen(urls[i]), m))
                sum += touch(x, m, 1);
        }
        static const char ja3[] = "e7d705a3286e19ea42f587b344ee6865";
        sum += touch(x, m, ta_intel_match_hash(x, TA_INTEL_JA3, ja3, 32, 0, 0, m, 8));
        for (int t = 0; t < TA_INTEL_TYPE__COUNT; t++)
            for (int k = 0; k < TA_INTEL_KIND__COUNT; k++)
                ta_intel_index_each(x, (enum ta_intel_type)t, (enum ta_intel_kind)k, each_fn, &sum);
        struct ta_intel_index_stats st;
        ta_intel_index_stats(x, &st);
        if (sum == (size_t)-1)
            abort();
        ta_intel_index_free(x);
    }
    free(buf);
    return 0;
}
