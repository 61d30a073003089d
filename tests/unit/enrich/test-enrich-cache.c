/*
 * Unit tests for the geolocation table cache (src/enrich/enrich-cache.c):
 * a cache hit answers exactly like a build, on synthetic data and on the
 * pinned ip-location-db data (if installed); truncated, corrupted and stale
 * caches are detected, counted and rebuilt; the opt-outs work.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "enrich/enrich-cache.h"
#include "threatatlas/enrich.h"

static char tmpdir[256];

static int setup_tmp(void **state)
{
    (void)state;
    return tu_tmpdir_make(tmpdir, sizeof(tmpdir), "ta-geocache");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return tu_tmpdir_remove(tmpdir);
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
    fclose(f);
}

static const char asn4[] = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
                           "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n"
                           "8.8.8.0,8.8.8.255,15169,Google LLC\n"
                           "10.0.0.0,10.255.255.255,64512,Should Not Show\n"
                           "202.108.0.0,202.108.255.255,4808,China Unicom\n"
                           "203.0.112.0,203.0.114.255,4809,Around Doc\n";
static const char asn6[] = "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
                           "2400:cb00::,2400:cb00:ffff:ffff:ffff:ffff:ffff:ffff,13335,CF\n"
                           "2002::,2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff,6939,Six to four\n";

/* A data dir holding only the ASN package (the country database is optional). */
static void make_data_dir(const char *dd)
{
    char p[512];
    mkdir(dd, 0755);
    snprintf(p, sizeof(p), "%s/geo", dd);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/geo/asn", dd);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/geo/asn/asn-ipv4.csv", dd);
    write_file(p, asn4);
    snprintf(p, sizeof(p), "%s/geo/asn/asn-ipv6.csv", dd);
    write_file(p, asn6);
    snprintf(p, sizeof(p), "%s/geo/asn/package.json", dd);
    write_file(p, "{\"name\": \"@ip-location-db/asn\", \"version\": \"2.3.2026061719\"}\n");
}

static ta_geo *open_dd(const char *dd, const char *home, const char *home_nets, bool no_cache,
                       unsigned want_cache)
{
    struct ta_geo_opts o = {0};
    o.data_dir = dd;
    o.country_optional = true;
    o.home_countries = home;
    o.home_nets = home_nets;
    o.no_cache = no_cache;
    ta_geo *g = NULL;
    char err[512];
    if (ta_geo_open(&o, &g, err, sizeof(err)) != TA_OK)
        fail_msg("open %s: %s", dd, err);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    if (st.cache != want_cache)
        fail_msg("cache: got %s, want %s", ta_geo_cache_name(st.cache),
                 ta_geo_cache_name(want_cache));
    return g;
}

static bool same(const struct ta_geo_result *a, const struct ta_geo_result *b)
{
    return strcmp(a->cc, b->cc) == 0 && a->reason == b->reason && a->cc_source == b->cc_source &&
           a->is_home == b->is_home && a->asn_override == b->asn_override && a->asn == b->asn &&
           strcmp(a->as_name, b->as_name) == 0;
}

/*
 * Compare two handles on random addresses of both families and on the
 * first/last address of every /8../32 (v4) and /16../64 (v6) network
 * around them, which hits range boundaries. Returns how many differ.
 */
static size_t compare_handles(const ta_geo *ga, const ta_geo *gb, unsigned n)
{
    uint64_t x = 0x2545f4914f6cdd1dull;
    size_t bad = 0, count = 0;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint8_t base[16];
        for (int k = 0; k < 16; k++)
            base[k] = (uint8_t)(x >> (8 * (k % 8))) ^ (uint8_t)(k * 91);
        bool v4 = i % 2 == 0;
        if (!v4 && i % 4 == 1)
            base[0] = (uint8_t)(0x20 | (base[0] & 0x0f)); /* mostly global unicast */
        unsigned bits = v4 ? 32 : 128, lo_plen = v4 ? 8 : 16, hi_plen = v4 ? 32 : 64;
        for (unsigned plen = lo_plen; plen <= hi_plen; plen += 4) {
            for (int end = 0; end < 2; end++) {
                uint8_t ab[16];
                memcpy(ab, base, 16);
                for (unsigned bit = plen; bit < bits; bit++) {
                    unsigned byte = (v4 ? 12 : 0) + bit / 8;
                    uint8_t m = (uint8_t)(1u << (7 - bit % 8));
                    ab[byte] = end ? (uint8_t)(ab[byte] | m) : (uint8_t)(ab[byte] & ~m);
                }
                struct ta_addr ad;
                if (v4)
                    ta_addr_set_v4(&ad, ab + 12);
                else
                    ta_addr_set_v6(&ad, ab);
                struct ta_geo_result ra, rb;
                ta_geo_lookup(ga, &ad, &ra);
                ta_geo_lookup(gb, &ad, &rb);
                count++;
                if (!same(&ra, &rb)) {
                    char ip[TA_ADDR_STRLEN];
                    ta_addr_format(&ad, ip, sizeof(ip));
                    print_message("%s: '%s' AS%u '%s' home %d vs '%s' AS%u '%s' home %d\n", ip,
                                  ra.cc, ra.asn, ra.as_name, ra.is_home, rb.cc, rb.asn, rb.as_name,
                                  rb.is_home);
                    bad++;
                }
            }
        }
    }
    assert_true(count >= n * 5);
    return bad;
}

static void expect_asn(const ta_geo *g, const char *ip, uint32_t asn, const char *name)
{
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, ip));
    struct ta_geo_result r;
    ta_geo_lookup(g, &a, &r);
    if (r.asn != asn || strcmp(r.as_name, name) != 0)
        fail_msg("%s: got AS%u '%s', want AS%u '%s'", ip, r.asn, r.as_name, asn, name);
}

static void cache_path(const char *dd, char *buf, size_t len)
{
    snprintf(buf, len, "%s/geo/%s", dd, TA__GEO_CACHE_NAME);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void test_cache_roundtrip(void **state)
{
    (void)state;
    char dd[300], cp[400];
    snprintf(dd, sizeof(dd), "%s/rt", tmpdir);
    make_data_dir(dd);
    cache_path(dd, cp, sizeof(cp));
    ta_geo *built = open_dd(dd, NULL, NULL, true, TA_GEO_CACHE_OFF);
    assert_int_equal(file_size(cp), -1); /* no_cache writes nothing */
    ta_geo *w = open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_WRITTEN);
    assert_true(file_size(cp) > 0);
    ta_geo *hit = open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_HIT);
    expect_asn(hit, "1.0.0.0", 13335, "Cloudflare, Inc.");
    expect_asn(hit, "1.0.0.255", 13335, "Cloudflare, Inc.");
    expect_asn(hit, "1.0.1.0", 0, "");
    expect_asn(hit, "8.8.8.8", 15169, "Google LLC");
    expect_asn(hit, "10.1.1.1", 0, ""); /* special range wins */
    expect_asn(hit, "203.0.112.255", 4809, "Around Doc");
    expect_asn(hit, "203.0.113.0", 0, "");
    expect_asn(hit, "2400:cb00::1", 13335, "CF");
    assert_int_equal(compare_handles(built, hit, 4000), 0);
    assert_int_equal(compare_handles(w, hit, 500), 0);
    struct ta_geo_stats sb, sh;
    ta_geo_stats(built, &sb);
    ta_geo_stats(hit, &sh);
    assert_int_equal(sb.v4_ranges, sh.v4_ranges);
    assert_int_equal(sb.v6_ranges, sh.v6_ranges);
    assert_int_equal(sh.cache_stale + sh.cache_corrupt, 0);
    struct ta_geo_db_info ib[2], ih[2];
    assert_int_equal(ta_geo_info(built, ib, 2), 1);
    assert_int_equal(ta_geo_info(hit, ih, 2), 1);
    assert_string_equal(ih[0].role, "asn");
    assert_string_equal(ih[0].path, ib[0].path);
    assert_string_equal(ih[0].format, "csv");
    assert_string_equal(ih[0].package, "@ip-location-db/asn");
    assert_string_equal(ih[0].package_version, "2.3.2026061719");
    assert_int_equal(ih[0].build_epoch, ib[0].build_epoch);
    assert_int_equal(ih[0].records, 9);
    assert_int_equal(ih[0].records, ib[0].records);

    /* Home on top of a mapped cache: countries only, then with nets. */
    const char *nets_path = "/nonexistent";
    char np[400];
    snprintf(np, sizeof(np), "%s/nets.txt", tmpdir);
    write_file(np, "1.0.4.0/22 AU\n2400:cb00::/32\n");
    nets_path = np;
    ta_geo *hb = open_dd(dd, "US,AU", NULL, true, TA_GEO_CACHE_OFF);
    ta_geo *hh = open_dd(dd, "US,AU", NULL, false, TA_GEO_CACHE_HIT);
    assert_int_equal(compare_handles(hb, hh, 2000), 0);
    ta_geo_close(hb);
    ta_geo_close(hh);
    hb = open_dd(dd, "JP", nets_path, true, TA_GEO_CACHE_OFF);
    hh = open_dd(dd, "JP", nets_path, false, TA_GEO_CACHE_HIT);
    assert_int_equal(compare_handles(hb, hh, 2000), 0);
    struct ta_addr a;
    struct ta_geo_result r;
    assert_true(ta_addr_parse(&a, "1.0.5.1"));
    ta_geo_lookup(hh, &a, &r);
    assert_string_equal(r.cc, "AU");
    assert_true(r.is_home);
    /* The countries-only path after a nets overlay strips it again. */
    char err[256];
    assert_int_equal(ta_geo_set_home(hh, "AU", NULL, err, sizeof(err)), TA_OK);
    assert_int_equal(ta_geo_set_home(hb, "AU", NULL, err, sizeof(err)), TA_OK);
    ta_geo_lookup(hh, &a, &r);
    assert_string_equal(r.cc, "");
    assert_false(r.is_home);
    assert_int_equal(compare_handles(hb, hh, 2000), 0);
    ta_geo_close(hb);
    ta_geo_close(hh);

    ta_geo_close(built);
    ta_geo_close(w);
    ta_geo_close(hit);
}

/* Rewrite the cache file with f applied to its bytes. */
static void mangle(const char *cp, void (*f)(uint8_t *buf, size_t *len))
{
    FILE *fh = fopen(cp, "rb");
    assert_non_null(fh);
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), fh);
    fclose(fh);
    assert_true(len > 0 && len < sizeof(buf));
    f(buf, &len);
    fh = fopen(cp, "wb");
    assert_non_null(fh);
    assert_int_equal(fwrite(buf, 1, len, fh), len);
    fclose(fh);
}

static void truncate_half(uint8_t *buf, size_t *len)
{
    (void)buf;
    *len /= 2;
}

static void flip_middle(uint8_t *buf, size_t *len)
{
    buf[*len / 2 + 3] ^= 0x10;
}

static void flip_header(uint8_t *buf, size_t *len)
{
    (void)len;
    buf[16] ^= 0x01; /* rec_size */
}

static void tiny(uint8_t *buf, size_t *len)
{
    (void)buf;
    *len = 5;
}

static void expect_rebuild(const char *dd, uint64_t stale, uint64_t corrupt)
{
    ta_geo *g = open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_WRITTEN);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    assert_int_equal(st.cache_stale, stale);
    assert_int_equal(st.cache_corrupt, corrupt);
    expect_asn(g, "8.8.8.8", 15169, "Google LLC");
    ta_geo_close(g);
    ta_geo_close(open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_HIT));
}

static void test_cache_invalid(void **state)
{
    (void)state;
    char dd[300], cp[400], p[400];
    snprintf(dd, sizeof(dd), "%s/inv", tmpdir);
    make_data_dir(dd);
    cache_path(dd, cp, sizeof(cp));
    ta_geo_close(open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_WRITTEN));

    mangle(cp, truncate_half);
    expect_rebuild(dd, 0, 1);
    mangle(cp, flip_middle);
    expect_rebuild(dd, 0, 1);
    mangle(cp, tiny);
    expect_rebuild(dd, 0, 1);
    mangle(cp, flip_header); /* another record layout: someone else's file */
    expect_rebuild(dd, 1, 0);

    /* A source touched (same size, new mtime): stale. */
    snprintf(p, sizeof(p), "%s/geo/asn/asn-ipv6.csv", dd);
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    assert_int_equal(utimes(p, tv), 0);
    expect_rebuild(dd, 1, 0);
    /* A source rewritten: stale, and the new content is what answers. */
    snprintf(p, sizeof(p), "%s/geo/asn/asn-ipv4.csv", dd);
    write_file(p, "8.8.8.0,8.8.8.255,15169,Google LLC\n9.9.9.0,9.9.9.255,19281,Quad9\n");
    expect_rebuild(dd, 1, 0);
    ta_geo *g = open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_HIT);
    expect_asn(g, "9.9.9.9", 19281, "Quad9");
    expect_asn(g, "1.0.0.1", 0, "");
    ta_geo_close(g);
    /* A package.json where the optional country db would be is not a source. */
    snprintf(p, sizeof(p), "%s/geo/%s", dd, TA_GEO_PKG_COUNTRY_DIR);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/geo/%s/package.json", dd, TA_GEO_PKG_COUNTRY_DIR);
    write_file(p, "{}\n");
    ta_geo_close(open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_HIT)); /* package.json alone: no db */

    /* The environment opt-out. */
    setenv("THREATATLAS_GEO_NO_CACHE", "1", 1);
    ta_geo_close(open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_OFF));
    unsetenv("THREATATLAS_GEO_NO_CACHE");

    /* Cannot write (the cache path is a directory): built, no error. */
    assert_int_equal(unlink(cp), 0);
    assert_int_equal(mkdir(cp, 0755), 0);
    g = open_dd(dd, NULL, NULL, false, TA_GEO_CACHE_NOT_WRITTEN);
    expect_asn(g, "9.9.9.9", 19281, "Quad9");
    ta_geo_close(g);
    assert_int_equal(rmdir(cp), 0);

    /* Explicit database paths never use the cache. */
    struct ta_geo_opts o = {0};
    o.data_dir = dd;
    o.country_optional = true;
    snprintf(p, sizeof(p), "%s/geo/asn", dd);
    o.asn_db = p;
    char err[256];
    assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_OK);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    assert_int_equal(st.cache, TA_GEO_CACHE_OFF);
    ta_geo_close(g);
    assert_int_equal(file_size(cp), -1);
}

/* The pinned data through symlinks, so the cache lands in a temp dir. */
static void test_cache_pinned(void **state)
{
    (void)state;
    char real[512], dd[300], p[600], t[600];
    if (!ta_geo_data_dir(NULL, real, sizeof(real)))
        skip();
    snprintf(p, sizeof(p), "%s/geo/%s/%s", real, TA_GEO_PKG_COUNTRY_DIR, TA_GEO_PKG_COUNTRY_FILE);
    snprintf(t, sizeof(t), "%s/geo/%s/asn-ipv4.csv", real, TA_GEO_PKG_ASN_DIR);
    if (file_size(p) <= 0 || file_size(t) <= 0) {
        print_message("skip: pinned GeoIP data not installed in %s; run 'make geo-data'\n", real);
        skip();
    }
    snprintf(dd, sizeof(dd), "%s/pinned", tmpdir);
    mkdir(dd, 0755);
    snprintf(p, sizeof(p), "%s/geo", dd);
    mkdir(p, 0755);
    const char *pkgs[] = {TA_GEO_PKG_COUNTRY_DIR, TA_GEO_PKG_ASN_DIR};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof(p), "%s/geo/%s", real, pkgs[i]);
        snprintf(t, sizeof(t), "%s/geo/%s", dd, pkgs[i]);
        assert_int_equal(symlink(p, t), 0);
    }
    struct ta_geo_opts o = {0};
    o.data_dir = dd;
    ta_geo *built, *hit;
    char err[512];
    assert_int_equal(ta_geo_open(&o, &built, err, sizeof(err)), TA_OK);
    assert_int_equal(ta_geo_open(&o, &hit, err, sizeof(err)), TA_OK);
    struct ta_geo_stats sb, sh;
    ta_geo_stats(built, &sb);
    ta_geo_stats(hit, &sh);
    assert_int_equal(sb.cache, TA_GEO_CACHE_WRITTEN);
    assert_int_equal(sh.cache, TA_GEO_CACHE_HIT);
    assert_int_equal(sb.v4_ranges, sh.v4_ranges);
    assert_int_equal(sb.v6_ranges, sh.v6_ranges);
    assert_true(sh.v4_ranges > 100000);
    assert_int_equal(compare_handles(built, hit, 20000), 0);
    struct ta_geo_db_info ib[2], ih[2];
    assert_int_equal(ta_geo_info(hit, ih, 2), 2);
    assert_int_equal(ta_geo_info(built, ib, 2), 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(ih[i].path, ib[i].path);
        assert_string_equal(ih[i].database_type, ib[i].database_type);
        assert_string_equal(ih[i].package_version, TA_GEO_PKG_VERSION);
        assert_int_equal(ih[i].build_epoch, ib[i].build_epoch);
        assert_int_equal(ih[i].records, ib[i].records);
    }
    struct ta_addr a;
    struct ta_geo_result r;
    assert_true(ta_addr_parse(&a, "8.8.8.8"));
    ta_geo_lookup(hit, &a, &r);
    assert_string_equal(r.cc, "US");
    assert_int_equal(r.asn, 15169);
    assert_string_equal(r.as_name, "Google LLC");
    ta_geo_close(built);
    ta_geo_close(hit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_roundtrip),
        cmocka_unit_test(test_cache_invalid),
        cmocka_unit_test(test_cache_pinned),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
