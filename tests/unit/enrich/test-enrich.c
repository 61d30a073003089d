/*
 * Unit tests for src/enrich: lookups against MaxMind's test databases and
 * their source JSON, the pinned ip-location-db data (if installed),
 * overrides, special ranges, the home constituency, corrupt databases and
 * the CSV / CIDR parsers.
 */
#include "testutil.h"

#include <jansson.h>
#include <maxminddb.h>
#include <unistd.h>

#include "enrich/enrich-internal.h"
#include "threatatlas/enrich.h"

static char tmpdir[256];

static int setup_tmp(void **state)
{
    (void)state;
    return tu_tmpdir_make(tmpdir, sizeof(tmpdir), "ta-enrich");
}

static int teardown_tmp(void **state)
{
    (void)state;
    return tu_tmpdir_remove(tmpdir);
}

static const char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

static const char *write_tmp_str(const char *name, const char *s)
{
    return write_tmp(name, s, strlen(s));
}

static void lookup(const ta_geo *g, const char *ip, struct ta_geo_result *r)
{
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, ip));
    ta_geo_lookup(g, &a, r);
}

/* ---- MaxMind test databases against their source JSON ---- */

struct net {
    uint8_t b[16]; /* IPv4 networks as ::ffff:a.b.c.d */
    unsigned plen; /* in the 128-bit space */
    char cc[3];
    uint32_t asn;
    const char *org;
};

/* Independent list of special-purpose ranges (128-bit, v4 mapped). */
static bool in_net(const uint8_t *a, const uint8_t *n, unsigned plen)
{
    for (unsigned i = 0; i < plen; i++) {
        unsigned byte = i / 8, bit = 7 - i % 8;
        if (((a[byte] >> bit) & 1) != ((n[byte] >> bit) & 1))
            return false;
    }
    return true;
}

static bool parse_net(const char *s, uint8_t b[16], unsigned *plen)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s", s);
    char *slash = strchr(tmp, '/');
    unsigned p = 128;
    if (slash != NULL) {
        *slash = '\0';
        p = (unsigned)atoi(slash + 1);
    }
    struct ta_addr a;
    if (!ta_addr_parse(&a, tmp))
        return false;
    memcpy(b, a.b, 16);
    if (a.family == 4) {
        p += 96;
    } else {
        static const uint8_t zero[12] = {0};
        /* "::a.b.c.d/p" is the IPv4 subtree of an IPv6 database. */
        if (memcmp(b, zero, 12) == 0 && p >= 96) {
            b[10] = b[11] = 0xff;
        }
    }
    *plen = p;
    return true;
}

static bool is_special(const uint8_t *a)
{
    static const char *const nets[] = {
        "0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",    "169.254.0.0/16",
        "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",  "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",   "240.0.0.0/4",    "::/127",
        "2001:db8::/32",   "3fff::/20",      "fc00::/7",      "fe80::/10",      "ff00::/8",
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
        uint8_t b[16];
        unsigned p;
        assert_true(parse_net(nets[i], b, &p));
        if (in_net(a, b, p))
            return true;
    }
    return false;
}

static size_t load_json_nets(const char *path, struct net **out)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    size_t n = json_array_size(root);
    struct net *v = calloc(n, sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        const char *key;
        json_t *val;
        json_object_foreach(json_array_get(root, i), key, val)
        {
            assert_true(parse_net(key, v[i].b, &v[i].plen));
            const char *cc =
                json_string_value(json_object_get(json_object_get(val, "country"), "iso_code"));
            if (cc == NULL)
                cc = json_string_value(
                    json_object_get(json_object_get(val, "registered_country"), "iso_code"));
            snprintf(v[i].cc, sizeof(v[i].cc), "%s", cc ? cc : "");
            json_t *asn = json_object_get(val, "autonomous_system_number");
            v[i].asn = asn ? (uint32_t)json_integer_value(asn) : 0;
            const char *org =
                json_string_value(json_object_get(val, "autonomous_system_organization"));
            v[i].org = strdup(org ? org : "");
        }
    }
    json_decref(root);
    *out = v;
    return n;
}

/* The most specific network containing a. */
static const struct net *expect_for(const struct net *v, size_t n, const uint8_t *a)
{
    const struct net *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (in_net(a, v[i].b, v[i].plen) && (best == NULL || v[i].plen > best->plen))
            best = &v[i];
    return best;
}

static void check_address(const ta_geo *g, const struct net *v, size_t n, const uint8_t *a,
                          bool asn_db, size_t *checked, size_t *special)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const struct net *e = expect_for(v, n, a);
    assert_non_null(e);
    struct ta_addr addr[2];
    int na = 0;
    if (memcmp(a, mapped, 12) == 0) {
        ta_addr_set_v4(&addr[na++], a + 12);
        ta_addr_set_v6(&addr[na++], a); /* IPv4-mapped IPv6 */
    } else {
        ta_addr_set_v6(&addr[na++], a);
    }
    for (int i = 0; i < na; i++) {
        struct ta_geo_result r;
        ta_geo_lookup(g, &addr[i], &r);
        char buf[TA_ADDR_STRLEN];
        ta_addr_format(&addr[i], buf, sizeof(buf));
        if (is_special(a)) {
            assert_string_equal(r.cc, "");
            assert_true(r.reason != TA_GEO_OK && r.reason != TA_GEO_NOT_FOUND);
            (*special)++;
            continue;
        }
        if (asn_db) {
            if (r.asn != e->asn || strcmp(r.as_name, e->org) != 0)
                fail_msg("%s: got AS%u '%s', want AS%u '%s'", buf, r.asn, r.as_name, e->asn,
                         e->org);
        } else if (strcmp(r.cc, e->cc) != 0) {
            fail_msg("%s: got '%s' (%s), want '%s'", buf, r.cc, ta_geo_reason_name(r.reason),
                     e->cc);
        }
        (*checked)++;
    }
}

static void check_mmdb_against_json(const char *db, const char *json, bool asn_db,
                                    size_t want_checked)
{
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char dbp[512], jp[512];
    snprintf(dbp, sizeof(dbp), "%s/maxmind-test-mmdb/test-data/%s", d, db);
    snprintf(jp, sizeof(jp), "%s/maxmind-test-mmdb/source-data/%s", d, json);
    struct ta_geo_opts o = {0};
    if (asn_db) {
        o.asn_db = dbp;
        o.country_db = "/nonexistent.mmdb";
        o.country_optional = true;
    } else {
        o.country_db = dbp;
        o.asn_db = "/nonexistent.csv";
        o.asn_optional = true;
    }
    ta_geo *g;
    char err[512];
    assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_OK);
    struct net *v;
    size_t n = load_json_nets(jp, &v);
    size_t checked = 0, special = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t a[16];
        memcpy(a, v[i].b, 16);
        check_address(g, v, n, a, asn_db, &checked, &special);
        /* Last address of the network. */
        for (unsigned bit = v[i].plen; bit < 128; bit++)
            a[bit / 8] |= (uint8_t)(1u << (7 - bit % 8));
        check_address(g, v, n, a, asn_db, &checked, &special);
    }
    print_message("%s: %zu lookups matched the source JSON, %zu special\n", db, checked, special);
    assert_int_equal(checked, want_checked);
    struct ta_geo_db_info info[2];
    assert_int_equal(ta_geo_info(g, info, 2), 1);
    assert_string_equal(info[0].format, "mmdb");
    assert_int_equal(info[0].records > 0, 1);
    for (size_t i = 0; i < n; i++)
        free((void *)v[i].org);
    free(v);
    ta_geo_close(g);
}

static void test_geoip2_country(void **state)
{
    (void)state;
    check_mmdb_against_json("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json", false, 728);
}

static void test_geolite2_country(void **state)
{
    (void)state;
    check_mmdb_against_json("GeoLite2-Country-Test.mmdb", "GeoLite2-Country-Test.json", false, 516);
}

static void test_geolite2_asn(void **state)
{
    (void)state;
    check_mmdb_against_json("GeoLite2-ASN-Test.mmdb", "GeoLite2-ASN-Test.json", true, 2420);
}

/* ---- the pinned ip-location-db data ---- */

static void test_pinned_data(void **state)
{
    (void)state;
    struct ta_geo_opts o = {0};
    ta_geo *g;
    char err[512];
    if (ta_geo_open(&o, &g, err, sizeof(err)) != TA_OK) {
        print_message("skip: pinned GeoIP data not installed (%s); run 'make geo-data'\n", err);
        skip();
    }
    struct ta_geo_result r;
    lookup(g, "8.8.8.8", &r);
    assert_string_equal(r.cc, "US");
    assert_int_equal(r.reason, TA_GEO_OK);
    assert_int_equal(r.cc_source, TA_GEO_SRC_DB);
    assert_int_equal(r.asn, 15169);
    assert_string_equal(r.as_name, "Google LLC");
    lookup(g, "202.108.22.5", &r);
    assert_string_equal(r.cc, "CN");
    lookup(g, "::ffff:202.108.22.5", &r);
    assert_string_equal(r.cc, "CN");
    lookup(g, "2001:4860:4860::8888", &r);
    assert_string_equal(r.cc, "US");
    assert_int_equal(r.asn, 15169);
    lookup(g, "10.1.2.3", &r);
    assert_string_equal(r.cc, "");
    assert_int_equal(r.reason, TA_GEO_PRIVATE);
    struct ta_geo_db_info info[2];
    assert_int_equal(ta_geo_info(g, info, 2), 2);

    /*
     * Differential check against libmaxminddb itself on random addresses:
     * the flattened table must give the database's country everywhere
     * outside the special ranges.
     */
    MMDB_s db;
    assert_int_equal(MMDB_open(info[0].path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    uint64_t x = 88172645463325252ull;
    unsigned compared = 0, special = 0;
    for (int i = 0; i < 30000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        struct ta_addr a;
        uint8_t b[16];
        for (int k = 0; k < 16; k++)
            b[k] = (uint8_t)(x >> (8 * (k % 8))) ^ (uint8_t)(k * 37);
        if (i % 3 == 2) {
            b[0] = (uint8_t)(0x20 | (b[0] & 0x0f));
            ta_addr_set_v6(&a, b);
        } else {
            ta_addr_set_v4(&a, b);
        }
        struct ta_geo_result res;
        ta_geo_lookup(g, &a, &res);
        if (res.reason != TA_GEO_OK && res.reason != TA_GEO_NOT_FOUND) {
            assert_string_equal(res.cc, "");
            special++;
            continue;
        }
        char ip[TA_ADDR_STRLEN];
        ta_addr_format(&a, ip, sizeof(ip));
        int gai, mrc;
        MMDB_lookup_result_s m = MMDB_lookup_string(&db, ip, &gai, &mrc);
        assert_int_equal(gai, 0);
        assert_int_equal(mrc, MMDB_SUCCESS);
        char want[3] = "";
        MMDB_entry_data_s d;
        if (m.found_entry && MMDB_get_value(&m.entry, &d, "country_code", NULL) == MMDB_SUCCESS &&
            d.has_data && d.data_size == 2) {
            want[0] = d.utf8_string[0];
            want[1] = d.utf8_string[1];
        }
        if (strcmp(res.cc, want) != 0)
            fail_msg("%s: table says '%s', libmaxminddb '%s'", ip, res.cc, want);
        compared++;
    }
    MMDB_close(&db);
    print_message("pinned data: %u random addresses agree with libmaxminddb, %u special\n",
                  compared, special);
    assert_int_equal(compared + special, 30000);
    assert_true(compared > 20000);

    assert_string_equal(info[0].package, TA_GEO_PKG_COUNTRY);
    assert_string_equal(info[0].package_version, TA_GEO_PKG_VERSION);
    assert_string_equal(info[1].package, TA_GEO_PKG_ASN);
    assert_string_equal(info[1].format, "csv");
    assert_int_equal(info[1].build_epoch, 1781722800); /* 2026061719: 2026-06-17 19:00 UTC */
    assert_int_equal(info[1].malformed, 0);
    ta_geo_close(g);
}

/* ---- synthetic data: ASN CSV, overrides, special ranges, home ---- */

static const char asn_csv[] =
    "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
    "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\r\n"
    "8.8.8.0,8.8.8.255,15169,Google LLC\n"
    "10.0.0.0,10.255.255.255,64512,Should Not Show\n"
    "bogus line\n"
    "1.2.3.4,1.2.3.0,1,backwards\n"
    "1.2.3.0,1.2.3.255,notanumber,x\n"
    "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
    "202.108.0.0,202.108.255.255,4808,\"China \"\"Unicom\"\"\"\n";

static ta_geo *open_synthetic(const char *overrides, const char *home, const char *home_nets)
{
    struct ta_geo_opts o = {0};
    o.country_db = "/nonexistent.mmdb";
    o.country_optional = true;
    o.asn_db = write_tmp_str("asn.csv", asn_csv);
    o.overrides = overrides;
    o.home_countries = home;
    o.home_nets = home_nets;
    ta_geo *g = NULL;
    char err[512];
    ta_err e = ta_geo_open(&o, &g, err, sizeof(err));
    if (e != TA_OK)
        fail_msg("open: %s", err);
    return g;
}

static void test_asn_csv(void **state)
{
    (void)state;
    ta_geo *g = open_synthetic(NULL, NULL, NULL);
    struct ta_geo_result r;
    lookup(g, "1.0.0.77", &r);
    assert_int_equal(r.asn, 13335);
    assert_string_equal(r.as_name, "Cloudflare, Inc.");
    assert_string_equal(r.cc, "");
    assert_int_equal(r.reason, TA_GEO_NOT_FOUND);
    lookup(g, "1.0.7.255", &r);
    assert_int_equal(r.asn, 38803);
    assert_string_equal(r.as_name, "Gtelecom Pty Ltd");
    lookup(g, "1.0.8.0", &r);
    assert_int_equal(r.asn, 0);
    assert_string_equal(r.as_name, "");
    lookup(g, "202.108.22.5", &r);
    assert_string_equal(r.as_name, "China \"Unicom\"");
    lookup(g, "2001:4860:1::1", &r);
    assert_int_equal(r.asn, 15169);
    lookup(g, "10.9.9.9", &r); /* special ranges never take database answers */
    assert_int_equal(r.asn, 0);
    assert_int_equal(r.reason, TA_GEO_PRIVATE);
    struct ta_geo_db_info info[2];
    assert_int_equal(ta_geo_info(g, info, 2), 1);
    assert_string_equal(info[0].role, "asn");
    assert_int_equal(info[0].records, 6);
    assert_int_equal(info[0].malformed, 3);
    ta_geo_close(g);
}

static void test_special_ranges(void **state)
{
    (void)state;
    ta_geo *g = open_synthetic(NULL, NULL, NULL);
    static const struct {
        const char *ip;
        int reason;
    } cases[] = {
        {"0.1.2.3", TA_GEO_UNSPECIFIED},
        {"10.0.0.1", TA_GEO_PRIVATE},
        {"172.16.0.1", TA_GEO_PRIVATE},
        {"172.31.255.255", TA_GEO_PRIVATE},
        {"172.32.0.0", TA_GEO_NOT_FOUND},
        {"192.168.1.1", TA_GEO_PRIVATE},
        {"127.0.0.1", TA_GEO_LOOPBACK},
        {"169.254.3.4", TA_GEO_LINK_LOCAL},
        {"192.0.2.1", TA_GEO_DOCUMENTATION},
        {"198.51.100.9", TA_GEO_DOCUMENTATION},
        {"203.0.113.255", TA_GEO_DOCUMENTATION},
        {"100.64.0.1", TA_GEO_CGNAT},
        {"100.127.255.255", TA_GEO_CGNAT},
        {"100.128.0.0", TA_GEO_NOT_FOUND},
        {"224.0.0.251", TA_GEO_MULTICAST},
        {"255.255.255.255", TA_GEO_RESERVED},
        {"198.19.0.1", TA_GEO_RESERVED},
        {"::", TA_GEO_UNSPECIFIED},
        {"::1", TA_GEO_LOOPBACK},
        {"fe80::1", TA_GEO_LINK_LOCAL},
        {"fd12:3456::1", TA_GEO_UNIQUE_LOCAL},
        {"ff02::1", TA_GEO_MULTICAST},
        {"2001:db8::1", TA_GEO_DOCUMENTATION},
        {"::ffff:10.0.0.1", TA_GEO_PRIVATE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ta_geo_result r;
        lookup(g, cases[i].ip, &r);
        if (r.reason != cases[i].reason)
            fail_msg("%s: reason %s, want %s", cases[i].ip, ta_geo_reason_name(r.reason),
                     ta_geo_reason_name((unsigned)cases[i].reason));
        assert_string_equal(r.cc, "");
        assert_false(r.is_home);
    }
    struct ta_addr none = {0};
    struct ta_geo_result r;
    ta_geo_lookup(g, &none, &r);
    assert_int_equal(r.reason, TA_GEO_UNSPECIFIED);
    ta_geo_close(g);
}

static void test_overrides(void **state)
{
    (void)state;
    const char *ov = write_tmp_str("ov.txt", "# CIDR country asn name\n"
                                             "1.0.0.0/24   NL\n"
                                             "1.0.0.0/25   fr 64500 Example Transit  # comment\n"
                                             "1.0.4.0/22   -  AS64501\n"
                                             "10.1.0.0/16  CN\n"
                                             "2001:4860::/32 DE\n");
    ta_geo *g = open_synthetic(ov, NULL, NULL);
    struct ta_geo_result r;
    lookup(g, "1.0.0.1", &r); /* most specific override wins */
    assert_string_equal(r.cc, "FR");
    assert_int_equal(r.cc_source, TA_GEO_SRC_OVERRIDE);
    assert_int_equal(r.asn, 64500);
    assert_true(r.asn_override);
    assert_string_equal(r.as_name, "Example Transit");
    lookup(g, "1.0.0.200", &r); /* country from /24, ASN from the CSV */
    assert_string_equal(r.cc, "NL");
    assert_int_equal(r.asn, 13335);
    assert_false(r.asn_override);
    assert_int_equal(r.reason, TA_GEO_OK);
    lookup(g, "1.0.5.5", &r); /* ASN only */
    assert_string_equal(r.cc, "");
    assert_int_equal(r.asn, 64501);
    assert_string_equal(r.as_name, "");
    lookup(g, "10.1.2.3", &r); /* override beats the special range, reason stays */
    assert_string_equal(r.cc, "CN");
    assert_int_equal(r.reason, TA_GEO_PRIVATE);
    lookup(g, "10.2.0.1", &r);
    assert_string_equal(r.cc, "");
    lookup(g, "2001:4860::8888", &r);
    assert_string_equal(r.cc, "DE");
    assert_int_equal(r.asn, 15169);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    assert_int_equal(st.overrides, 5);
    ta_geo_close(g);
}

static void test_overrides_beat_db(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char dbp[512];
    snprintf(dbp, sizeof(dbp), "%s/maxmind-test-mmdb/test-data/GeoIP2-Country-Test.mmdb", d);
    struct ta_geo_opts o = {0};
    o.country_db = dbp;
    o.asn_db = "/nonexistent";
    o.asn_optional = true;
    ta_geo *g;
    char err[512];
    assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_OK);
    struct ta_geo_result r;
    lookup(g, "2.125.160.216", &r);
    assert_string_equal(r.cc, "GB");
    /* This database aliases 6to4 to IPv4: so does the table, as libmaxminddb. */
    MMDB_s db;
    assert_int_equal(MMDB_open(dbp, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    int gai, mrc;
    MMDB_lookup_result_s m = MMDB_lookup_string(&db, "2002:27d:a0d8::1", &gai, &mrc);
    assert_true(m.found_entry);
    MMDB_entry_data_s ed;
    assert_int_equal(MMDB_get_value(&m.entry, &ed, "country", "iso_code", NULL), MMDB_SUCCESS);
    assert_int_equal(ed.data_size, 2);
    assert_memory_equal(ed.utf8_string, "GB", 2);
    MMDB_close(&db);
    lookup(g, "2002:27d:a0d8::1", &r);
    assert_string_equal(r.cc, "GB");
    ta_geo_close(g);
    o.overrides = write_tmp_str("ov2.txt", "2.125.160.216/30 US\n");
    assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_OK);
    lookup(g, "2.125.160.217", &r);
    assert_string_equal(r.cc, "US");
    assert_int_equal(r.cc_source, TA_GEO_SRC_OVERRIDE);
    lookup(g, "2.125.160.220", &r);
    assert_string_equal(r.cc, "GB");
    assert_int_equal(r.cc_source, TA_GEO_SRC_DB);
    ta_geo_close(g);
}

static void test_bad_overrides(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"1.2.3.4/33 US\n", "line 1: '1.2.3.4/33' is not a network"},
        {"# c\n1.2.3.1/24 US\n", "line 2: '1.2.3.1/24' is not a network"},
        {"1.2.3.0/24 USA\n", "line 1: 'USA' is not a country code"},
        {"1.2.3.0/24 - x12\n", "line 1: 'x12' is not an AS number"},
        {"1.2.3.0/24 -\n", "line 1: an override needs a country or an AS number"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ta_geo_opts o = {
            .country_db = "/nx", .country_optional = true, .asn_db = "/nx", .asn_optional = true};
        o.overrides = write_tmp_str("bad.txt", cases[i].text);
        ta_geo *g = (ta_geo *)1;
        char err[512];
        assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_ERR_FORMAT);
        assert_null(g);
        if (strstr(err, cases[i].msg) == NULL || strstr(err, o.overrides) == NULL)
            fail_msg("error '%s' lacks '%s'", err, cases[i].msg);
    }
}

static void test_home(void **state)
{
    (void)state;
    const char *ov = write_tmp_str("ov3.txt", "202.108.0.0/16 CN\n8.8.8.0/24 US\n");
    const char *nets = write_tmp_str("home.txt", "10.0.0.0/8\n192.168.1.0/24 jp\n"
                                                 "2001:db8:1::/48\n");
    ta_geo *g = open_synthetic(ov, "cn,HK", nets);
    struct ta_geo_result r;
    lookup(g, "10.1.2.3", &r); /* private, inside home nets: the home country */
    assert_string_equal(r.cc, "CN");
    assert_int_equal(r.cc_source, TA_GEO_SRC_HOME);
    assert_int_equal(r.reason, TA_GEO_PRIVATE);
    assert_true(r.is_home);
    lookup(g, "192.168.1.9", &r);
    assert_string_equal(r.cc, "JP");
    assert_true(r.is_home);
    lookup(g, "192.168.2.9", &r);
    assert_string_equal(r.cc, "");
    assert_false(r.is_home);
    lookup(g, "202.108.22.5", &r); /* home by country */
    assert_string_equal(r.cc, "CN");
    assert_int_equal(r.cc_source, TA_GEO_SRC_OVERRIDE);
    assert_true(r.is_home);
    lookup(g, "8.8.8.8", &r);
    assert_false(r.is_home);
    lookup(g, "2001:db8:1::5", &r);
    assert_true(r.is_home);
    assert_string_equal(r.cc, "CN");
    lookup(g, "2001:db8:2::5", &r);
    assert_false(r.is_home);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    assert_int_equal(st.home_nets, 3);

    /* Replacing the constituency undoes the earlier one. */
    char err[256];
    assert_int_equal(ta_geo_set_home(g, "US", NULL, err, sizeof(err)), TA_OK);
    lookup(g, "10.1.2.3", &r);
    assert_string_equal(r.cc, "");
    assert_false(r.is_home);
    lookup(g, "8.8.8.8", &r);
    assert_true(r.is_home);
    lookup(g, "202.108.22.5", &r);
    assert_false(r.is_home);
    assert_int_equal(ta_geo_set_home(g, "USA", NULL, err, sizeof(err)), TA_ERR_ARG);
    lookup(g, "8.8.8.8", &r); /* a failed change keeps the previous one */
    assert_true(r.is_home);
    ta_geo_close(g);
}

/* ---- broken databases ---- */

static void test_corrupt_mmdb(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char src[512];
    snprintf(src, sizeof(src), "%s/maxmind-test-mmdb/test-data/GeoLite2-Country-Test.mmdb", d);
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(n > 4096 && n < sizeof(buf));

    /* Truncated: the metadata at the end is gone. */
    struct ta_geo_opts o = {.asn_db = "/nx", .asn_optional = true};
    o.country_db = write_tmp("trunc.mmdb", buf, n / 2);
    ta_geo *g = (ta_geo *)1;
    char err[512];
    ta_err e = ta_geo_open(&o, &g, err, sizeof(err));
    assert_int_equal(e, TA_ERR_FORMAT);
    assert_null(g);
    assert_non_null(strstr(err, o.country_db));
    assert_non_null(strstr(err, MMDB_strerror(MMDB_INVALID_METADATA_ERROR)));

    /* Search tree overwritten: records point nowhere. */
    static uint8_t bad[1 << 16];
    memcpy(bad, buf, n);
    memset(bad, 0xff, 2048);
    o.country_db = write_tmp("tree.mmdb", bad, n);
    e = ta_geo_open(&o, &g, err, sizeof(err));
    assert_int_equal(e, TA_ERR_FORMAT);
    assert_null(g);
    assert_non_null(strstr(err, MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR)));

    /*
     * Random byte damage anywhere (tree, data, metadata): every open either
     * succeeds or fails with one message; none crashes (ASan watches).
     */
    uint32_t seed = 12345;
    unsigned ok = 0, failed = 0;
    for (int it = 0; it < 300; it++) {
        memcpy(bad, buf, n);
        for (int k = 0; k < 1 + it % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            bad[pos] = (uint8_t)(seed >> 16);
        }
        o.country_db = write_tmp("flip.mmdb", bad, n);
        err[0] = '\0';
        e = ta_geo_open(&o, &g, err, sizeof(err));
        if (e == TA_OK) {
            struct ta_geo_result r;
            lookup(g, "81.2.69.160", &r);
            ta_geo_close(g);
            ok++;
        } else {
            assert_null(g);
            assert_true(err[0] != '\0');
            failed++;
        }
    }
    print_message("byte damage: %u opened, %u refused\n", ok, failed);
    assert_int_equal(ok + failed, 300);

    /* Empty file and missing file. */
    o.country_db = write_tmp("empty.mmdb", "", 0);
    assert_int_not_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_OK);
    assert_null(g);
    o.country_db = "/nonexistent/x.mmdb";
    assert_int_equal(ta_geo_open(&o, &g, err, sizeof(err)), TA_ERR_NOTFOUND);
    assert_non_null(strstr(err, "geo install"));
}

static void test_data_dir(void **state)
{
    (void)state;
    char buf[256];
    char *saved = getenv("THREATATLAS_DATA_DIR") ? strdup(getenv("THREATATLAS_DATA_DIR")) : NULL;
    assert_true(ta_geo_data_dir("/x/y", buf, sizeof(buf)));
    assert_string_equal(buf, "/x/y");
    setenv("THREATATLAS_DATA_DIR", "/env/dir", 1);
    assert_true(ta_geo_data_dir(NULL, buf, sizeof(buf)));
    assert_string_equal(buf, "/env/dir");
    unsetenv("THREATATLAS_DATA_DIR");
    setenv("XDG_DATA_HOME", "/xdg", 1);
    assert_true(ta_geo_data_dir(NULL, buf, sizeof(buf)));
    assert_string_equal(buf, "/xdg/threatatlas");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    assert_true(ta_geo_data_dir("", buf, sizeof(buf)));
    assert_string_equal(buf, "/home/u/.local/share/threatatlas");
    assert_false(ta_geo_data_dir("/a/very/long/path", buf, 5));
    if (saved != NULL) {
        setenv("THREATATLAS_DATA_DIR", saved, 1);
        free(saved);
    }
}

/* ---- parser details ---- */

static void test_csv_parser_limits(void **state)
{
    (void)state;
    struct ta__geo_ivlist v4 = {0}, v6 = {0};
    struct ta__geo_pool pool;
    assert_int_equal(ta__geo_pool_init(&pool), TA_OK);
    uint64_t rows = 0, bad = 0;
    assert_int_equal(
        ta__geo_asn_csv_parse(asn_csv, strlen(asn_csv), 3, &v4, &v6, &pool, &rows, &bad),
        TA_ERR_LIMIT);
    assert_int_equal(rows, 3);
    /* Overlapping rows: the later start is clipped. */
    static const char ov[] = "1.0.0.0,1.0.0.255,1,A\n1.0.0.128,1.0.1.255,2,B\n"
                             "1.0.0.10,1.0.0.20,3,C\n";
    ta__geo_ivlist_free(&v4);
    rows = bad = 0;
    assert_int_equal(ta__geo_asn_csv_parse(ov, strlen(ov), 100, &v4, &v6, &pool, &rows, &bad),
                     TA_OK);
    assert_int_equal(ta__geo_ivlist_disjoint(&v4), TA_OK);
    assert_int_equal(v4.n, 2);
    assert_true(v4.v[1].lo == 0x01000100u && v4.v[1].hi == 0x010001ffu);
    assert_int_equal(v4.v[1].asn, 2);
    ta__geo_ivlist_free(&v4);
    ta__geo_ivlist_free(&v6);
    ta__geo_pool_release(&pool);
}

/*
 * ASN rows through the shared CSV splitter: a name of any length is kept
 * to its first 256 bytes (lines longer than the splitter's stack buffer
 * included), a missing name is empty, one trailing comma after the name is
 * accepted, an empty third field and a quote inside a bare field are not.
 */
static void test_asn_csv_fields(void **state)
{
    (void)state;
    size_t cap = 8192, o = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    o += (size_t)snprintf(text + o, cap - o, "1.0.0.0,1.0.0.255,7,");
    memset(text + o, 'n', 3000);
    o += 3000;
    o += (size_t)snprintf(text + o, cap - o,
                          "\n2.0.0.0,2.0.0.255,8\n3.0.0.0,3.0.0.255,9,\"N, Inc.\",\n"
                          "4.0.0.0,4.0.0.255,\n5.0.0.0,5.0.0.255,5,a\"b\n"
                          "6.0.0.0,6.0.0.255,6,x,y\n");
    struct ta__geo_ivlist v4 = {0}, v6 = {0};
    struct ta__geo_pool pool;
    assert_int_equal(ta__geo_pool_init(&pool), TA_OK);
    uint64_t rows = 0, bad = 0;
    assert_int_equal(ta__geo_asn_csv_parse(text, o, 100, &v4, &v6, &pool, &rows, &bad), TA_OK);
    assert_int_equal(rows, 3);
    assert_int_equal(bad, 3);
    assert_int_equal(v4.n, 3);
    assert_int_equal(v4.v[0].asn, 7);
    const char *name = pool.buf + v4.v[0].name;
    assert_int_equal(strlen(name), 256);
    assert_int_equal(name[0], 'n');
    assert_int_equal(v4.v[1].asn, 8);
    assert_int_equal(v4.v[1].name, 0);
    assert_int_equal(v4.v[2].asn, 9);
    assert_string_equal(pool.buf + v4.v[2].name, "N, Inc.");
    ta__geo_ivlist_free(&v4);
    ta__geo_ivlist_free(&v6);
    ta__geo_pool_release(&pool);
    free(text);
}

/*
 * Any number of repeated and nested networks in an overrides or home-nets
 * file: repeats collapse (the later wins), every nesting depth a CIDR family
 * can have flattens, and a repeat with other values names both lines.
 */
static void test_cidr_repeats_and_nesting(void **state)
{
    (void)state;
    char *text = malloc(64 * 1024);
    assert_non_null(text);
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(text + o, 64 * 1024 - o, "10.0.0.0/8 DE\n");
    for (int p = 0; p <= 32; p++) /* the deepest IPv4 nesting: /0 down to /32 */
        o += (size_t)snprintf(text + o, 64 * 1024 - o, "0.0.0.0/%d FR\n", p);
    for (int p = 0; p <= 128; p++) /* and IPv6's */
        o += (size_t)snprintf(text + o, 64 * 1024 - o, "::/%d NL\n", p);
    struct ta__geo_ivlist v4 = {0}, v6 = {0};
    struct ta__geo_pool pool;
    assert_int_equal(ta__geo_pool_init(&pool), TA_OK);
    uint64_t lines = 0;
    char err[200] = "";
    assert_int_equal(
        ta__geo_cidr_parse(text, o, false, 100000, &v4, &v6, &pool, &lines, err, sizeof(err)),
        TA_OK);
    assert_int_equal(lines, 300 + 33 + 129);
    assert_int_equal(ta__geo_ivlist_flatten_cidrs(&v4), TA_OK);
    assert_int_equal(ta__geo_ivlist_flatten_cidrs(&v6), TA_OK);
    /* FR everywhere but 10/8 (DE, inside the nest); adjacent FR pieces merge. */
    assert_int_equal(v4.n, 3);
    assert_true(v4.v[0].lo == 0 && v4.v[0].hi == 0x09ffffffu);
    assert_true(v4.v[1].lo == 0x0a000000u && v4.v[1].hi == 0x0affffffu);
    assert_int_equal(v4.v[1].cc, ta__geo_cc_pack('D', 'E'));
    assert_int_equal(v4.v[2].cc, ta__geo_cc_pack('F', 'R'));
    assert_int_equal(v6.n, 1);
    ta__geo_ivlist_free(&v4);
    ta__geo_ivlist_free(&v6);

    static const char clash[] = "# header\n10.0.0.0/8 DE\n12.0.0.0/8 FR\n10.0.0.0/8 US\n";
    lines = 0;
    assert_int_equal(ta__geo_cidr_parse(clash, strlen(clash), false, 100, &v4, &v6, &pool, &lines,
                                        err, sizeof(err)),
                     TA_ERR_FORMAT);
    assert_string_equal(err, "line 4: the same network as line 2 with a different country or AS");
    ta__geo_ivlist_free(&v4);
    ta__geo_ivlist_free(&v6);
    ta__geo_pool_release(&pool);
    free(text);
}

/* Reference orders, written independently of enrich-parse.c. */
static int ref_cmp_start(const void *pa, const void *pb)
{
    const struct ta__geo_iv *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int ref_cmp_cidr(const void *pa, const void *pb)
{
    const struct ta__geo_iv *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi > b->hi ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * The radix sort (push-order lists), the already-sorted shortcut and the
 * qsort fallback all give qsort's order, for IPv4-sized and 128-bit keys
 * with many ties.
 */
static void test_ivlist_sort(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 8; round++) {
        bool by_cidr = round % 2 == 1, wide = round >= 4;
        struct ta__geo_ivlist l = {0};
        for (uint32_t i = 0; i < 5000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Few distinct starts and ends, so ties are common. */
            ta__u128 lo = (ta__u128)(x % 97) << (wide ? 100 : 20);
            ta__u128 hi = lo + ((ta__u128)((x >> 8) % 5) << (wide ? 90 : 8));
            assert_int_equal(ta__geo_ivlist_push(&l, lo, hi, 0, i, 0), TA_OK);
        }
        struct ta__geo_iv *want = malloc(l.n * sizeof(*want));
        assert_non_null(want);
        memcpy(want, l.v, l.n * sizeof(*want));
        qsort(want, l.n, sizeof(*want), by_cidr ? ref_cmp_cidr : ref_cmp_start);
        assert_int_equal(ta__geo_ivlist_sort(&l, by_cidr), TA_OK); /* radix */
        assert_memory_equal(l.v, want, l.n * sizeof(*want));
        assert_int_equal(ta__geo_ivlist_sort(&l, by_cidr), TA_OK); /* sorted already */
        assert_memory_equal(l.v, want, l.n * sizeof(*want));
        /* Not in push order: reversed, so the qsort fallback runs. */
        for (size_t i = 0; i < l.n / 2; i++) {
            struct ta__geo_iv t = l.v[i];
            l.v[i] = l.v[l.n - 1 - i];
            l.v[l.n - 1 - i] = t;
        }
        assert_int_equal(ta__geo_ivlist_sort(&l, by_cidr), TA_OK);
        assert_memory_equal(l.v, want, l.n * sizeof(*want));
        free(want);
        ta__geo_ivlist_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geoip2_country),
        cmocka_unit_test(test_geolite2_country),
        cmocka_unit_test(test_geolite2_asn),
        cmocka_unit_test(test_pinned_data),
        cmocka_unit_test(test_asn_csv),
        cmocka_unit_test(test_asn_csv_fields),
        cmocka_unit_test(test_special_ranges),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_overrides_beat_db),
        cmocka_unit_test(test_bad_overrides),
        cmocka_unit_test(test_home),
        cmocka_unit_test(test_corrupt_mmdb),
        cmocka_unit_test(test_csv_parser_limits),
        cmocka_unit_test(test_data_dir),
        cmocka_unit_test(test_ivlist_sort),
        cmocka_unit_test(test_cidr_repeats_and_nesting),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
