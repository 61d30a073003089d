/*
 * Writes seeds of fuzz-intel-cache (tests/fuzz/corpus/intel-cache/gen-*,
 * gen-flip-*): cache files under the key "fuzz" for small indexes of
 * CIDRs (nested), addresses, IP:port pairs, domains, URLs, hashes and allow
 * entries, dated and undated, several sources for one value; the gen-flip-*
 * files are gen-0 with one byte changed in each of its last tables (the
 * fuzz target reseals them, so they reach the index checks). Not part of the
 * build; rerun it when the cache format changes:
 *   cc -std=c11 -Iinclude -Isrc tests/fuzz/gen-intel-cache-seeds.c \
 *       build/rel/libthreatatlas.a $(pkg-config --libs sqlite3 libcurl jansson ...) \
 *       -o /tmp/gen && /tmp/gen /tmp/dir tests/fuzz/corpus/intel-cache
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel-internal.h"
#include "threatatlas/intel.h"

#define S(x) ((ta_time_us)(x)*1000000u)

static const struct ta_intel_indicator set0[] = {
    {TA_INTEL_CIDR, TA_INTEL_KIND_C2, "192.0.2.0/24", "feodo", 80, false, "emotet", "", "",
     S(1690000000), S(1700000000), 0},
    {TA_INTEL_CIDR, TA_INTEL_KIND_SCANNER, "192.0.0.0/16", "spamhaus", 50, false, "", "", "", 0, 0,
     0},
    {TA_INTEL_IP, TA_INTEL_KIND_C2, "192.0.2.1", "threatfox", 90, false, "qakbot", "", "",
     S(1600000000), 0, S(1800000000)},
    {TA_INTEL_IP, TA_INTEL_KIND_C2, "192.0.2.1", "feodo", 70, false, "", "", "", 0, 0, 0},
    {TA_INTEL_IP_PORT, TA_INTEL_KIND_C2, "198.51.100.7:443", "threatfox", 90, false, "cs", "", "",
     S(1690000000), 0, 0},
    {TA_INTEL_CIDR, TA_INTEL_KIND_ALLOW, "203.0.113.0/24", "top", 100, false, "", "", "", 0, 0, 0},
    {TA_INTEL_IP, TA_INTEL_KIND_PHISHING, "203.0.113.200", "openphish", 60, false, "", "bank", "de",
     S(1700000000), S(1700086400), 0},
    {TA_INTEL_CIDR, TA_INTEL_KIND_OTHER, "2001:db8::/32", "x", 10, false, "", "", "", 0, 0, 0},
    {TA_INTEL_IP, TA_INTEL_KIND_C2, "2001:db8::1", "x", 10, false, "", "", "", S(1690000000), 0, 0},
    {TA_INTEL_DOMAIN, TA_INTEL_KIND_C2, "evil.example.com", "maltrail", 80, false, "", "", "", 0, 0,
     0},
    {TA_INTEL_DOMAIN, TA_INTEL_KIND_ALLOW, "example.net", "top", 100, true, "", "", "", 0, 0, 0},
    {TA_INTEL_URL, TA_INTEL_KIND_PHISHING, "http://phish.example.net/login.php", "openphish", 60,
     false, "", "", "", S(1690000000), 0, 0},
    {TA_INTEL_JA3, TA_INTEL_KIND_C2, "e7d705a3286e19ea42f587b344ee6865", "sslbl", 80, false, "", "",
     "", 0, 0, 0},
    {TA_INTEL_CIDR, TA_INTEL_KIND_C2, "0.0.0.0/1", "wide", 5, false, "", "", "", 0, 0, 0},
    {TA_INTEL_IP, TA_INTEL_KIND_C2, "255.255.255.255", "edge", 5, false, "", "", "", 0, 0, 0},
};

static int write_seed(const char *tmp, const char *out, int k, const struct ta_intel_indicator *in,
                      size_t n)
{
    char db[512], path[512], err[256];
    snprintf(db, sizeof(db), "%s/seed-%d.db", tmp, k);
    remove(db);
    struct ta_intel_db *h;
    if (ta_intel_db_open(db, &h, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct ta_intel_load_result res;
    struct ta_intel_index *x;
    if (ta_intel_db_insert(h, in, n, &res) != TA_OK || ta_intel_index_build(h, NULL, &x) != TA_OK)
        return 1;
    snprintf(path, sizeof(path), "%s/gen-%d", out, k);
    int e;
    if (ta__intel_cache_write(x, path, "fuzz", &e) != TA_OK)
        return 1;
    ta_intel_index_free(x);
    ta_intel_db_close(h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    /* 0: everything; 1: IPv4 only; 2: strings only; 3: many nested prefixes. */
    if (write_seed(argv[1], argv[2], 0, set0, sizeof(set0) / sizeof(set0[0])) != 0 ||
        write_seed(argv[1], argv[2], 1, set0, 7) != 0 ||
        write_seed(argv[1], argv[2], 2, set0 + 9, 4) != 0)
        return 1;
    static struct ta_intel_indicator many[200];
    static char vals[200][32];
    for (int i = 0; i < 200; i++) {
        unsigned len = 8 + (unsigned)i % 25;
        unsigned a = (10u << 24) | ((unsigned)i * 2654435761u >> 8);
        a &= len == 32 ? ~0u : ~((1u << (32 - len)) - 1);
        snprintf(vals[i], sizeof(vals[i]), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
                 a & 255, len);
        many[i] = (struct ta_intel_indicator){
            .type = TA_INTEL_CIDR,
            .kind = (enum ta_intel_kind)(i % 3 == 0 ? TA_INTEL_KIND_ALLOW : i % 4),
            .value = vals[i],
            .source = i % 2 ? "a" : "b",
            .confidence = 50,
            .first_seen = i % 3 ? S(1690000000 + i * 86400) : 0,
            .last_seen = i % 5 == 1 ? S(1695000000) : 0};
    }
    if (write_seed(argv[1], argv[2], 3, many, 200) != 0)
        return 1;
    /* gen-flip-*: gen-0 with one byte changed at 5 places in its second half. */
    char path[512];
    snprintf(path, sizeof(path), "%s/gen-0", argv[2]);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 1;
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    for (int i = 0; i < 5; i++) {
        size_t at = len / 2 + (len / 2) * (size_t)i / 5;
        buf[at] ^= (unsigned char)(0x41 + i);
        snprintf(path, sizeof(path), "%s/gen-flip-%d", argv[2], i);
        f = fopen(path, "wb");
        if (f == NULL || fwrite(buf, 1, len, f) != len)
            return 1;
        fclose(f);
        buf[at] ^= (unsigned char)(0x41 + i);
    }
    return 0;
}
