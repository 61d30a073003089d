/*
 * Unit tests for the intel rules that decide what an indicator counts as:
 * maltrail tree semantics per entry (generated trees and the real files),
 * MISP warninglists (types, skipped lists), the npm top-sites list, time
 * windows with grace at their edges, undated indicators, allow lookups
 * (within, site roots), allow files at index build, the per-file import
 * report and the schema migration.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threatatlas/intel.h"

#define DAY   (86400ull * 1000000ull)
#define SEC   1000000ull
#define T(s)  ((ta_time_us)(s)*SEC)
#define T2024 T(1704067200ull) /* 2024-01-01 00:00:00 */
#define KB(k) TA_INTEL_KIND_BIT(TA_INTEL_KIND_##k)

/* Shared data: skipped on a developer machine, a failure in CI. */
#define NEED_DATA(d)                                                                               \
    do {                                                                                           \
        if ((d) == NULL) {                                                                         \
            const char *ci = getenv("CI");                                                         \
            if (ci != NULL && strcmp(ci, "true") == 0)                                             \
                fail_msg("CI: ../shared/data is absent");                                          \
            TU_SKIP_NO_DATA(d);                                                                    \
        }                                                                                          \
    } while (0)

static char dir[256];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir_make(dir, sizeof(dir), "ta-test-intel-rules");
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove(dir);
}

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    /* Make the parent folders. */
    for (char *s = p + strlen(dir) + 1; *s != '\0'; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct ta_intel_db *open_db(const char *name)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    struct ta_intel_db *db;
    char err[256];
    assert_int_equal(ta_intel_db_open(p, &db, err, sizeof(err)), TA_OK);
    return db;
}

/* Kind of the stored row (value, any source) or -1. */
struct find {
    const char *value;
    int kind;
    const char *source;
    char src[64];
};

static ta_err find_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct find *f = user;
    if (strcmp(ind->value, f->value) == 0) {
        f->kind = (int)ind->kind;
        snprintf(f->src, sizeof(f->src), "%s", ind->source);
    }
    return TA_OK;
}

static int kind_of(struct ta_intel_db *db, const char *value, char *src, size_t cap)
{
    struct find f = {value, -1, NULL, ""};
    assert_int_equal(ta_intel_db_list(db, NULL, find_cb, &f), TA_OK);
    if (src != NULL)
        snprintf(src, cap, "%s", f.src);
    return f.kind;
}

/* ---- maltrail ------------------------------------------------------------- */

struct files {
    int n;
    char last_file[256];
    uint64_t c2, md;
    int skipped;
    char reason[128];
};

static void on_file(void *user, const struct ta_intel_file_report *rep)
{
    struct files *f = user;
    f->n++;
    snprintf(f->last_file, sizeof(f->last_file), "%s", rep->file);
    if (strstr(rep->file, "malware/fam.txt") != NULL) {
        f->c2 = rep->counts->by_kind[TA_INTEL_KIND_C2];
        f->md = rep->counts->by_kind[TA_INTEL_KIND_MALWARE_DIST];
    }
    if (rep->skip_reason[0] != '\0') {
        f->skipped++;
        snprintf(f->reason, sizeof(f->reason), "%s", rep->skip_reason);
    }
}

static void test_maltrail_tree(void **state)
{
    (void)state;
    const char *hdr = "# Copyright (c) 2014-2026 Maltrail developers\n";
    char buf[1024];
    snprintf(buf, sizeof(buf), "%slocalhost\ngoogle.com\nbing.com\n1e100.net\n8.8.8.8\n", hdr);
    put("mt/data/whitelist.txt", buf);
    snprintf(buf, sizeof(buf), "%s.xyz\n.top\nduckdns.org\ndual.test\n", hdr);
    put("mt/trails/static/suspicious/domain.txt", buf);
    snprintf(buf, sizeof(buf), "%s/c99.php\n", hdr);
    put("mt/trails/static/suspicious/web_shells.txt", buf);
    snprintf(buf, sizeof(buf), "%s71.6.135.131\n", hdr);
    put("mt/trails/static/mass_scanner.txt", buf);
    snprintf(buf, sizeof(buf),
             "%s# Aliases: fam\n"
             "198.51.100.1\n"
             "198.51.100.2:8080\n"
             "c2.fam.test\n"
             "http://198.51.100.3/gate.php\n"
             "dl.fam.test/load/x.EXE\n"
             "http://198.51.100.4/bins/sora.arm7\n"
             "/bins/sora.mpsl\n"
             "http://198.51.100.5/a.sh?x=1\n"
             "/pay.zip\n"
             "bad.sh\n"
             "dual.test\n",
             hdr);
    put("mt/trails/static/malware/fam.txt", buf);
    snprintf(buf, sizeof(buf), "%sek.rig.test\nhttp://tds.test/in\n", hdr);
    put("mt/trails/static/malicious/ek_rig.txt", buf);
    snprintf(buf, sizeof(buf), "%stds2.test\n", hdr);
    put("mt/trails/static/malicious/keitaro_tds.txt", buf);
    snprintf(buf, sizeof(buf), "%sphish-kit.test\n", hdr);
    put("mt/trails/static/malicious/gophish.txt", buf);
    snprintf(buf, sizeof(buf), "%s/assets/images/accesson.php\n", hdr);
    put("mt/trails/static/malicious/modxcore.txt", buf);
    snprintf(buf, sizeof(buf), "%s203.0.113.5:443\nhttp://203.0.113.6/x.exe\n", hdr);
    put("mt/trails/static/malicious/sliver.txt", buf);
    put("mt/README.md", "# not a feed\n");

    struct ta_intel_db *db = open_db("mt.db");
    struct files fr = {0};
    /* The tree uses documentation addresses (RFC 5737). */
    struct ta_intel_load_opts o = {.on_file = on_file, .on_file_user = &fr, .allow_private = true};
    struct ta_intel_load_result r;
    char p[512];
    snprintf(p, sizeof(p), "%s/mt", dir);
    assert_int_equal(ta_intel_db_import_path(db, p, &o, &r), TA_OK);
    assert_int_equal(fr.n, 10); /* README skipped by name */
    assert_int_equal(r.files, 10);
    assert_int_equal(r.rejected, 1); /* "localhost": a single label */
    char src[64];
    assert_int_equal(kind_of(db, "google.com", src, sizeof(src)), TA_INTEL_KIND_ALLOW);
    assert_string_equal(src, "maltrail-whitelist");
    assert_int_equal(kind_of(db, "bing.com", NULL, 0), TA_INTEL_KIND_ALLOW);
    assert_int_equal(kind_of(db, "1e100.net", NULL, 0), TA_INTEL_KIND_ALLOW);
    assert_int_equal(kind_of(db, "8.8.8.8", NULL, 0), TA_INTEL_KIND_ALLOW);
    /* A TLD trail is accepted as the suffix "xyz", suspicious. */
    assert_int_equal(kind_of(db, "xyz", NULL, 0), TA_INTEL_KIND_SUSPICIOUS);
    assert_int_equal(kind_of(db, "top", NULL, 0), TA_INTEL_KIND_SUSPICIOUS);
    assert_int_equal(kind_of(db, "duckdns.org", src, sizeof(src)), TA_INTEL_KIND_SUSPICIOUS);
    assert_string_equal(src, "maltrail-suspicious");
    assert_int_equal(kind_of(db, "/c99.php", NULL, 0), TA_INTEL_KIND_SUSPICIOUS);
    assert_int_equal(kind_of(db, "71.6.135.131", src, sizeof(src)), TA_INTEL_KIND_SCANNER);
    assert_string_equal(src, "maltrail-scanner");
    /* Malware family: servers stay c2, payload downloads are distribution. */
    assert_int_equal(kind_of(db, "198.51.100.1", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(kind_of(db, "198.51.100.2:8080", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(kind_of(db, "c2.fam.test", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(kind_of(db, "http://198.51.100.3/gate.php", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(kind_of(db, "http://dl.fam.test/load/x.EXE", NULL, 0),
                     TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "http://198.51.100.4/bins/sora.arm7", NULL, 0),
                     TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "/bins/sora.mpsl", NULL, 0), TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "http://198.51.100.5/a.sh?x=1", NULL, 0),
                     TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "/pay.zip", NULL, 0), TA_INTEL_KIND_C2);
    /* A domain under the .sh TLD is no shell script. */
    assert_int_equal(kind_of(db, "bad.sh", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(fr.c2, 7);
    assert_int_equal(fr.md, 4);
    /* malicious/: per file family. */
    assert_int_equal(kind_of(db, "ek.rig.test", NULL, 0), TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "http://tds.test/in", NULL, 0), TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "tds2.test", NULL, 0), TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(kind_of(db, "phish-kit.test", NULL, 0), TA_INTEL_KIND_PHISHING);
    assert_int_equal(kind_of(db, "/assets/images/accesson.php", NULL, 0), TA_INTEL_KIND_WEBSHELL);
    assert_int_equal(kind_of(db, "203.0.113.5:443", NULL, 0), TA_INTEL_KIND_C2);
    assert_int_equal(kind_of(db, "http://203.0.113.6/x.exe", NULL, 0), TA_INTEL_KIND_MALWARE_DIST);
    /* Totals per kind. */
    assert_int_equal(r.by_kind[TA_INTEL_KIND_ALLOW], 4);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_SUSPICIOUS], 5);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_SCANNER], 1);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_C2], 8);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_MALWARE_DIST], 8);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_PHISHING], 1);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_WEBSHELL], 1);
    assert_true(ta_intel_kind_silent(TA_INTEL_KIND_SUSPICIOUS));
    assert_true(ta_intel_kind_silent(TA_INTEL_KIND_SCANNER));
    assert_false(ta_intel_kind_silent(TA_INTEL_KIND_C2));
    assert_false(ta_intel_kind_silent(TA_INTEL_KIND_MALWARE_DIST));
    assert_string_equal(ta_intel_kind_name(TA_INTEL_KIND_SUSPICIOUS), "suspicious");
    enum ta_intel_kind k;
    assert_true(ta_intel_kind_parse("suspicious", &k));
    assert_int_equal(k, TA_INTEL_KIND_SUSPICIOUS);

    /* Through the index: the whitelist is an allow entry, never a c2 match,
     * and a .xyz name is suspicious only. */
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_intel_match m[4];
    assert_int_equal(ta_intel_match_domain(idx, "www.google.com", 14, T2024, KB(C2), m, 4), 0);
    assert_true(ta_intel_allow_domain(idx, "www.google.com", 14, NULL, &m[0]));
    struct ta_intel_source_info si;
    ta_intel_match_source(idx, &m[0], 0, &si);
    assert_string_equal(si.source, "maltrail-whitelist");
    assert_int_equal(ta_intel_match_domain(idx, "a.b.xyz", 7, T2024, 0, m, 4), 1);
    assert_int_equal(m[0].kind, TA_INTEL_KIND_SUSPICIOUS);
    assert_string_equal(m[0].value, "xyz");
    assert_true(m[0].undated);
    assert_int_equal(ta_intel_match_domain(idx, "a.b.xyz", 7, T2024, KB(C2), m, 4), 0);
    assert_int_equal(
        ta_intel_match_url(idx, "http://198.51.100.4/bins/sora.arm7", 34, T2024, KB(C2), m, 4), 0);
    assert_int_equal(ta_intel_match_url(idx, "http://198.51.100.4/bins/sora.arm7", 34, T2024,
                                        KB(MALWARE_DIST), m, 4),
                     1);
    /* A value in a malware family and in a suspicious list keeps both rows:
     * the suspicious file, imported later, does not turn the c2 row into one. */
    assert_int_equal(ta_intel_match_domain(idx, "dual.test", 9, T2024, KB(C2), m, 4), 1);
    assert_int_equal(ta_intel_match_domain(idx, "dual.test", 9, T2024, 0, m, 4), 2);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
}

static ta_err no_emit(void *user, const struct ta_intel_indicator *ind)
{
    (void)user;
    (void)ind;
    return TA_OK;
}

/* Real maltrail files, read with their paths in the checkout. */
static ta_err parse_real(const char *rel, struct ta_intel_load_result *r)
{
    const char *d = tu_shared_data();
    char p[1024];
    snprintf(p, sizeof(p), "%s/maltrail-trails/%s", d, rel);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    struct ta_intel_load_opts o = {.file_name = p};
    ta_err e = ta_intel_parse(b, (size_t)n, &o, no_emit, NULL, r);
    free(b);
    return e;
}

static void test_maltrail_real_files(void **state)
{
    (void)state;
    NEED_DATA(tu_shared_data());
    struct ta_intel_load_result r;
    /* Counts checked against grep over the files: whitelist 3,603 data lines
     * of which 6 single labels ("localhost", "lan" ...); elf_mirai 54,798
     * trails of which 29,017 end in a payload extension; domain.txt 4,660, of
     * which 5 bare single labels ("free", "tk" ...: top-level domains, taken as
     * suspicious suffixes) and 1 regular expression (unsupported). */
    assert_int_equal(parse_real("data/whitelist.txt", &r), TA_OK);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_ALLOW], 3597);
    assert_int_equal(r.rejected, 6);
    assert_int_equal(parse_real("trails/static/suspicious/domain.txt", &r), TA_OK);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_SUSPICIOUS], 4659);
    assert_int_equal(r.accepted, 4659);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.unsupported, 1);
    assert_int_equal(parse_real("trails/static/malware/elf_mirai.txt", &r), TA_OK);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_MALWARE_DIST], 29017);
    assert_int_equal(r.accepted + r.rejected, 54798);
    assert_int_equal(parse_real("trails/static/malicious/ek_rig.txt", &r), TA_OK);
    /* 330 trails, one a regular expression (rejected). */
    assert_int_equal(r.by_kind[TA_INTEL_KIND_MALWARE_DIST], 329);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(parse_real("trails/static/mass_scanner.txt", &r), TA_OK);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_SCANNER], r.accepted);
}

/* ---- MISP warninglists ---------------------------------------------------- */

static void test_warninglists(void **state)
{
    (void)state;
    put("wl/lists/sites/list.json",
        "{\"description\": \"d\", \"list\": [\"example.com\", \".google.ad\", \"198.51.100.9\","
        " \"http://portal.example.net/\", \"x y\"], \"matching_attributes\": [\"hostname\","
        " \"domain\", \"url\", \"ip-dst\"], \"name\": \"Some sites\", \"type\": \"string\","
        " \"version\": 1}");
    put("wl/lists/hosts/list.json",
        "{\"list\": [\"cdn.example.org\"], \"matching_attributes\": [\"hostname\"],"
        " \"name\": \"Hosts\", \"type\": \"hostname\", \"version\": 1}");
    put("wl/lists/nets/list.json",
        "{\"list\": [\"192.0.2.0/24\", \"2001:db8::/32\", \"203.0.113.7\"],"
        " \"matching_attributes\": [\"ip-src\", \"ip-dst\"], \"name\": \"Nets\","
        " \"type\": \"cidr\", \"version\": 1}");
    put("wl/lists/subs/list.json",
        "{\"list\": [\"sandbox\", \"analysis\"], \"matching_attributes\": [\"domain\"],"
        " \"name\": \"Subs\", \"type\": \"substring\", \"version\": 1}");
    put("wl/lists/hashes/list.json",
        "{\"list\": [\"d41d8cd98f00b204e9800998ecf8427e\"], \"matching_attributes\": [\"md5\"],"
        " \"name\": \"Hashes\", \"type\": \"string\", \"version\": 1}");
    put("wl/lists/amazon-aws/list.json",
        "{\"list\": [\"3.0.0.0/15\"], \"matching_attributes\": [\"ip-dst\"],"
        " \"name\": \"AWS\", \"type\": \"cidr\", \"version\": 1}");
    put("wl/lists/dynamic-dns/list.json",
        "{\"list\": [\"duckdns.org\"], \"matching_attributes\": [\"hostname\"],"
        " \"name\": \"DDNS\", \"type\": \"hostname\", \"version\": 1}");
    put("wl/schema.json", "{\"$schema\": \"x\", \"properties\": {\"pattern\": 1}}");
    struct ta_intel_db *db = open_db("wl.db");
    struct files fr = {0};
    struct ta_intel_load_opts o = {.on_file = on_file, .on_file_user = &fr};
    struct ta_intel_load_result r;
    char p[512];
    snprintf(p, sizeof(p), "%s/wl", dir);
    assert_int_equal(ta_intel_db_import_path(db, p, &o, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP_WARNINGLIST);
    assert_int_equal(fr.n, 7); /* schema.json is not a list */
    assert_int_equal(r.files_skipped, 3);
    assert_int_equal(fr.skipped, 3);
    assert_int_equal(r.accepted, 8);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_ALLOW], 8);
    assert_int_equal(r.rejected, 1);    /* "x y" */
    assert_int_equal(r.unsupported, 2); /* the substring list */
    assert_int_equal(r.skipped, 3);     /* 1 hash, 1 AWS range, 1 dynamic DNS name */
    char src[64];
    assert_int_equal(kind_of(db, "example.com", src, sizeof(src)), TA_INTEL_KIND_ALLOW);
    assert_string_equal(src, "misp:sites");
    assert_int_equal(kind_of(db, "3.0.0.0/15", NULL, 0), -1);
    assert_int_equal(kind_of(db, "duckdns.org", NULL, 0), -1);

    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_intel_match m;
    /* string = exact: the name only; a leading dot = the name and below. */
    assert_true(ta_intel_allow_domain(idx, "example.com", 11, NULL, &m));
    assert_true(m.exact);
    assert_false(ta_intel_allow_domain(idx, "www.example.com", 15, NULL, &m));
    assert_true(ta_intel_allow_domain(idx, "www.google.ad", 13, NULL, &m));
    assert_true(ta_intel_allow_domain(idx, "google.ad", 9, NULL, &m));
    /* hostname = the name and its subdomains. */
    assert_true(ta_intel_allow_domain(idx, "a.cdn.example.org", 17, NULL, &m));
    struct ta_intel_source_info si;
    ta_intel_match_source(idx, &m, 0, &si);
    assert_string_equal(si.source, "misp:hosts");
    assert_false(ta_intel_allow_domain(idx, "example.org", 11, NULL, &m));
    /* cidr */
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, "192.0.2.200"));
    assert_true(ta_intel_allow_ip(idx, &a, &m));
    assert_true(ta_addr_parse(&a, "2001:db8::77"));
    assert_true(ta_intel_allow_ip(idx, &a, &m));
    assert_true(ta_addr_parse(&a, "203.0.113.7"));
    assert_true(ta_intel_allow_ip(idx, &a, &m));
    assert_true(ta_addr_parse(&a, "3.0.0.1"));
    assert_false(ta_intel_allow_ip(idx, &a, &m));
    assert_true(ta_addr_parse(&a, "198.51.100.9"));
    assert_true(ta_intel_allow_ip(idx, &a, &m));
    /* A URL entry covers that URL. */
    assert_true(ta_intel_allow_url(idx, "http://portal.example.net/", 26, &m));
    ta_intel_index_free(idx);

    /* An explicit --kind allow imports a rentable-infrastructure list. */
    struct ta_intel_load_opts ok = {.have_kind = true, .kind = TA_INTEL_KIND_ALLOW};
    snprintf(p, sizeof(p), "%s/wl/lists/amazon-aws/list.json", dir);
    assert_int_equal(ta_intel_db_import_path(db, p, &ok, &r), TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(kind_of(db, "3.0.0.0/15", src, sizeof(src)), TA_INTEL_KIND_ALLOW);
    assert_string_equal(src, "misp:amazon-aws");
    ta_intel_db_close(db);
}

static void test_warninglists_real(void **state)
{
    (void)state;
    NEED_DATA(tu_shared_data());
    struct ta_intel_db *db = open_db("wlr.db");
    struct ta_intel_load_opts o = {0};
    struct ta_intel_load_result r;
    char p[1024];
    snprintf(p, sizeof(p), "%s/misp-warninglists/lists/google/list.json", tu_shared_data());
    assert_int_equal(ta_intel_db_import_path(db, p, &o, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP_WARNINGLIST);
    assert_int_equal(r.accepted + r.rejected, 669);
    snprintf(p, sizeof(p), "%s/misp-warninglists/lists/tlds/list.json", tu_shared_data());
    assert_int_equal(ta_intel_db_import_path(db, p, &o, &r), TA_OK);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.skipped, 1438);
    assert_int_equal(r.files_skipped, 1);
    /* The list's "matching_attributes" comes after a 1 MB list: detected all the same. */
    snprintf(p, sizeof(p), "%s/misp-warninglists/lists/cisco_top20k/list.json", tu_shared_data());
    assert_int_equal(ta_intel_db_import_path(db, p, &o, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP_WARNINGLIST);
    assert_int_equal(r.accepted + r.rejected, 20000);
    ta_intel_db_close(db);
}

/* ---- top-sites -------------------------------------------------------------- */

static void test_top_sites_and_allow_files(void **state)
{
    (void)state;
    put("ts/top-sites.json", "[\n\t{\"rank\": 1, \"rootDomain\": \"www.google.com\","
                             " \"linkingRootDomains\": 1, \"domainAuthority\": 100},\n"
                             "\t{\"rank\": 2, \"rootDomain\": \"youtube.com\"},\n"
                             "\t{\"rank\": 3}\n]\n");
    char p[512];
    snprintf(p, sizeof(p), "%s/ts/top-sites.json", dir);
    struct ta_intel_db *db = open_db("ts.db");
    struct ta_intel_indicator c2 = {.type = TA_INTEL_DOMAIN,
                                    .kind = TA_INTEL_KIND_C2,
                                    .value = "c2.youtube.com",
                                    .source = "feed",
                                    .confidence = 80};
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, &c2, 1, &r), TA_OK);
    /* Loaded at index build, never stored. */
    const char *files[] = {p, NULL};
    struct ta_intel_index_opts io;
    ta_intel_index_opts_default(&io);
    assert_int_equal(io.grace_before_s, 28u * 86400u);
    assert_int_equal(io.grace_after_s, 90u * 86400u);
    io.allow_files = files;
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, &io, &idx), TA_OK);
    struct ta_intel_index_stats st;
    ta_intel_index_stats(idx, &st);
    assert_int_equal(st.allow_file_rows, 2);
    assert_int_equal(st.rows, 3);
    struct ta_intel_match m;
    /* "www.google.com" stands for google.com and all under it. */
    assert_true(ta_intel_allow_domain(idx, "google.com", 10, NULL, &m));
    assert_true(ta_intel_allow_domain(idx, "mail.google.com", 15, NULL, &m));
    struct ta_intel_source_info si;
    ta_intel_match_source(idx, &m, 0, &si);
    assert_string_equal(si.source, "top-sites");
    /* within: an allowed parent does not cover a more specific listed name. */
    assert_true(ta_intel_allow_domain(idx, "c2.youtube.com", 14, NULL, &m));
    assert_string_equal(m.value, "youtube.com");
    assert_false(ta_intel_allow_domain(idx, "c2.youtube.com", 14, "c2.youtube.com", &m));
    assert_true(ta_intel_allow_domain(idx, "c2.youtube.com", 14, "youtube.com", &m));
    assert_true(ta_intel_allow_domain(idx, "c2.youtube.com", 14, "YouTube.com.", &m));
    assert_false(ta_intel_allow_domain(idx, "c2.youtube.com", 14, "outube.com", &m));
    /* The c2 match is still there. */
    struct ta_intel_match mm[2];
    assert_int_equal(ta_intel_match_domain(idx, "x.c2.youtube.com", 16, T2024, 0, mm, 2), 1);
    assert_int_equal(mm[0].kind, TA_INTEL_KIND_C2);
    /* URL: a site root is the site; a page on it is not (an allow domain entry
     * covers names, not every page). */
    assert_true(ta_intel_allow_url(idx, "https://youtube.com/", 20, &m));
    assert_true(ta_intel_allow_url(idx, "http://youtube.com:8080/", 24, &m));
    assert_false(ta_intel_allow_url(idx, "http://youtube.com/watch", 24, &m));
    assert_false(ta_intel_allow_url(idx, "http://www.youtube.com/", 23, &m));
    ta_intel_index_free(idx);
    /* The allow rows lived in the connection only. */
    assert_int_equal(kind_of(db, "youtube.com", NULL, 0), -1);
    /* A missing allow file is an error. */
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/none.json", dir);
    const char *bad[] = {missing, NULL};
    io.allow_files = bad;
    assert_int_equal(ta_intel_index_build(db, &io, &idx), TA_ERR_NOTFOUND);
    assert_null(idx);
    /* Imported as a feed: detected from content. */
    assert_int_equal(ta_intel_db_import_path(db, p, &(struct ta_intel_load_opts){0}, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_TOP_SITES);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 1);
    char src[64];
    assert_int_equal(kind_of(db, "google.com", src, sizeof(src)), TA_INTEL_KIND_ALLOW);
    assert_string_equal(src, "top-sites");
    ta_intel_db_close(db);
}

/* ---- time windows ------------------------------------------------------------ */

static void test_time_windows(void **state)
{
    (void)state;
    const ta_time_us F = T2024, L = T2024 + 10 * DAY, V = T2024 + 5 * DAY;
    struct ta_intel_indicator inds[] = {
        /* first + last: [F - 28 d, L + 90 d] */
        {.type = TA_INTEL_IP,
         .kind = TA_INTEL_KIND_C2,
         .value = "192.0.2.1",
         .source = "a",
         .first_seen = F,
         .last_seen = L},
        /* valid_until wins over last_seen: [F - 28 d, V] */
        {.type = TA_INTEL_IP,
         .kind = TA_INTEL_KIND_C2,
         .value = "192.0.2.2",
         .source = "a",
         .first_seen = F,
         .last_seen = L,
         .valid_until = V},
        /* first only: open end */
        {.type = TA_INTEL_IP,
         .kind = TA_INTEL_KIND_C2,
         .value = "192.0.2.3",
         .source = "a",
         .first_seen = F},
        /* undated */
        {.type = TA_INTEL_DOMAIN, .kind = TA_INTEL_KIND_C2, .value = "undated.test", .source = "u"},
        /* two sources with their own windows: 2020 and 2024 */
        {.type = TA_INTEL_DOMAIN,
         .kind = TA_INTEL_KIND_C2,
         .value = "two.test",
         .source = "old",
         .first_seen = T(1577836800),
         .last_seen = T(1577836800),
         .confidence = 10},
        {.type = TA_INTEL_DOMAIN,
         .kind = TA_INTEL_KIND_C2,
         .value = "two.test",
         .source = "new",
         .first_seen = F,
         .last_seen = F,
         .confidence = 20},
        /* a dated source and an undated one */
        {.type = TA_INTEL_URL,
         .kind = TA_INTEL_KIND_PHISHING,
         .value = "http://mix.test/a",
         .source = "dated",
         .first_seen = F,
         .last_seen = F},
        {.type = TA_INTEL_URL,
         .kind = TA_INTEL_KIND_PHISHING,
         .value = "http://mix.test/a",
         .source = "plain"},
        /* IP:port with dates */
        {.type = TA_INTEL_IP_PORT,
         .kind = TA_INTEL_KIND_C2,
         .value = "192.0.2.9:443",
         .source = "a",
         .first_seen = F,
         .last_seen = F},
    };
    struct ta_intel_db *db = open_db("tw.db");
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, inds, sizeof(inds) / sizeof(inds[0]), &r), TA_OK);
    assert_int_equal(r.rejected, 0);
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_intel_match m[4];
    struct ta_addr a;
#define MIP(s, port, at)                                                                           \
    (assert_true(ta_addr_parse(&a, s)), ta_intel_match_ip(idx, &a, port, at, 0, m, 4))
    const ta_time_us G0 = 28 * DAY, G1 = 90 * DAY;
    /* Edges of [F - 28 d, L + 90 d], inclusive, to the second. */
    assert_int_equal(MIP("192.0.2.1", 0, F - G0), 1);
    assert_false(m[0].undated);
    assert_int_equal(MIP("192.0.2.1", 0, F - G0 - SEC), 0);
    assert_int_equal(MIP("192.0.2.1", 0, L + G1), 1);
    assert_int_equal(MIP("192.0.2.1", 0, L + G1 + SEC), 0);
    assert_int_equal(MIP("192.0.2.1", 0, 0), 1); /* no time check */
    /* valid_until ends it, without grace. */
    assert_int_equal(MIP("192.0.2.2", 0, V), 1);
    assert_int_equal(MIP("192.0.2.2", 0, V + SEC), 0);
    /* Open end. */
    assert_int_equal(MIP("192.0.2.3", 0, F + 3650 * DAY), 1);
    assert_int_equal(MIP("192.0.2.3", 0, F - G0 - SEC), 0);
    /* IP:port: time and port both. */
    assert_int_equal(MIP("192.0.2.9", 443, F), 1);
    assert_int_equal(MIP("192.0.2.9", 443, F - G0 - SEC), 0);
    assert_int_equal(MIP("192.0.2.9", 0, F), 0);
    /* Undated: any time, marked. */
    assert_int_equal(ta_intel_match_domain(idx, "a.undated.test", 14, T(1000000000), 0, m, 4), 1);
    assert_true(m[0].undated);
    assert_int_equal(ta_intel_match_domain(idx, "a.undated.test", 14, 0, 0, m, 4), 1);
    assert_true(m[0].undated);
    /* Two sources: each its own window; between them, nothing. */
    assert_int_equal(ta_intel_match_domain(idx, "two.test", 8, T(1577836800), 0, m, 4), 1);
    assert_int_equal(ta_intel_match_domain(idx, "two.test", 8, F, 0, m, 4), 1);
    assert_int_equal(ta_intel_match_domain(idx, "two.test", 8, T(1640995200), 0, m, 4), 0);
    /* Dated and undated: inside the dated window not undated; outside it the
     * undated source still answers, marked. */
    assert_int_equal(ta_intel_match_url(idx, "http://mix.test/a", 17, F, 0, m, 4), 1);
    assert_false(m[0].undated);
    assert_int_equal(ta_intel_match_url(idx, "http://mix.test/a", 17, F + 400 * DAY, 0, m, 4), 1);
    assert_true(m[0].undated);
    ta_intel_index_free(idx);

    /* skip_undated; other graces. */
    struct ta_intel_index_opts io;
    ta_intel_index_opts_default(&io);
    io.skip_undated = true;
    io.grace_before_s = 0;
    io.grace_after_s = 86400;
    assert_int_equal(ta_intel_index_build(db, &io, &idx), TA_OK);
    assert_int_equal(ta_intel_match_domain(idx, "a.undated.test", 14, F, 0, m, 4), 0);
    assert_int_equal(ta_intel_match_domain(idx, "a.undated.test", 14, 0, 0, m, 4), 1);
    assert_int_equal(ta_intel_match_url(idx, "http://mix.test/a", 17, F + 400 * DAY, 0, m, 4), 0);
    assert_int_equal(MIP("192.0.2.1", 0, F - SEC), 0);
    assert_int_equal(MIP("192.0.2.1", 0, F), 1);
    assert_int_equal(MIP("192.0.2.1", 0, L + DAY), 1);
    assert_int_equal(MIP("192.0.2.1", 0, L + DAY + SEC), 0);
#undef MIP
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
}

/* A version-1 database: rows keep their values, lose their (invented) dates. */
static void test_schema_migration(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof(p), "%s/v1.db", dir);
    struct ta_intel_db *db = open_db("v1.db");
    struct ta_intel_indicator ind = {.type = TA_INTEL_IP,
                                     .kind = TA_INTEL_KIND_C2,
                                     .value = "192.0.2.50",
                                     .source = "x",
                                     .first_seen = T2024,
                                     .last_seen = T2024};
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, &ind, 1, &r), TA_OK);
    ta_intel_db_close(db);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE meta SET value='1' WHERE key='schema.intel'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    db = open_db("v1.db");
    char src[64];
    assert_int_equal(kind_of(db, "192.0.2.50", src, sizeof(src)), TA_INTEL_KIND_C2);
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_intel_match m;
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, "192.0.2.50"));
    assert_int_equal(ta_intel_match_ip(idx, &a, 0, T(1000000000), 0, &m, 1), 1);
    assert_true(m.undated);
    assert_int_equal(m.first_seen, 0);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key='schema.intel'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), TA_INTEL_SCHEMA_VERSION);
    assert_int_equal(TA_INTEL_SCHEMA_VERSION, 3);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* Rows of the value as "kind/confidence/valid_until(s)" in list order, ";"-joined. */
struct rows {
    const char *value;
    char text[256];
};

static ta_err rows_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct rows *r = user;
    size_t o = strlen(r->text);
    if (strcmp(ind->value, r->value) == 0)
        snprintf(r->text + o, sizeof(r->text) - o, "%s%s/%s/%u/%llu", o ? ";" : "", ind->source,
                 ta_intel_kind_name(ind->kind), ind->confidence,
                 (unsigned long long)(ind->valid_until / SEC));
    return TA_OK;
}

static const char *rows_of(struct ta_intel_db *db, struct rows *r, const char *value)
{
    r->value = value;
    r->text[0] = '\0';
    assert_int_equal(ta_intel_db_list(db, NULL, rows_cb, r), TA_OK);
    return r->text;
}

/*
 * A source that lists a value as two kinds keeps both rows: a second kind
 * used to replace the first. Re-imports update each row, a replacing fetch
 * ends the kind it no longer lists, and remove takes one kind out.
 */
static void test_two_kinds_one_source(void **state)
{
    (void)state;
    struct ta_intel_db *db = open_db("kinds.db");
    struct ta_intel_indicator inds[] = {
        {.type = TA_INTEL_IP,
         .kind = TA_INTEL_KIND_C2,
         .value = "192.0.2.77",
         .source = "tf",
         .confidence = 80},
        {.type = TA_INTEL_IP,
         .kind = TA_INTEL_KIND_MALWARE_DIST,
         .value = "192.0.2.77",
         .source = "tf",
         .confidence = 60},
    };
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, inds, 2, &r), TA_OK);
    assert_int_equal(r.inserted, 2);
    assert_int_equal(r.updated, 0);
    struct rows rw;
    assert_string_equal(rows_of(db, &rw, "192.0.2.77"), "tf/c2/80/0;tf/malware-distribution/60/0");
    /* The same again changes nothing; a new confidence updates its own kind's row only. */
    assert_int_equal(ta_intel_db_insert(db, inds, 2, &r), TA_OK);
    assert_int_equal(r.inserted, 0);
    assert_int_equal(r.updated, 0);
    inds[1].confidence = 70;
    assert_int_equal(ta_intel_db_insert(db, &inds[1], 1, &r), TA_OK);
    assert_int_equal(r.updated, 1);
    assert_string_equal(rows_of(db, &rw, "192.0.2.77"), "tf/c2/80/0;tf/malware-distribution/70/0");

    /* The index answers both kinds, each with its own confidence. */
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, "192.0.2.77"));
    struct ta_intel_match m[4];
    assert_int_equal(ta_intel_match_ip(idx, &a, 0, 0, KB(C2) | KB(MALWARE_DIST), m, 4), 2);
    assert_int_equal(m[0].kind == TA_INTEL_KIND_C2 ? m[0].confidence : m[1].confidence, 80);
    assert_int_equal(m[0].kind == TA_INTEL_KIND_MALWARE_DIST ? m[0].confidence : m[1].confidence,
                     70);
    assert_true(m[0].kind != m[1].kind);
    assert_int_equal(ta_intel_match_ip(idx, &a, 0, 0, KB(C2), m, 4), 1);
    assert_int_equal(m[0].kind, TA_INTEL_KIND_C2);
    ta_intel_index_free(idx);

    /* A fetch of the source that lists it as c2 only ends the other kind now. */
    const char feed[] = "192.0.2.77\n";
    struct ta_intel_load_opts o = {.format = TA_INTEL_FMT_PLAIN,
                                   .have_kind = true,
                                   .kind = TA_INTEL_KIND_C2,
                                   .source = "tf",
                                   .confidence = 80,
                                   .allow_private = true};
    uint64_t expired;
    assert_int_equal(ta_intel_db_replace_source(db, "tf.txt", (const uint8_t *)feed,
                                                sizeof(feed) - 1, &o, NULL, T2024, &r, &expired),
                     TA_OK);
    assert_int_equal(expired, 1);
    assert_string_equal(rows_of(db, &rw, "192.0.2.77"),
                        "tf/c2/80/0;tf/malware-distribution/70/1704067200");

    /* remove: a source's kind, then nothing of another source. */
    uint64_t n;
    struct ta_intel_filter f = {
        .source = "tf", .have_kind = true, .kind = TA_INTEL_KIND_MALWARE_DIST};
    assert_int_equal(ta_intel_db_remove(db, &f, &n), TA_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows_of(db, &rw, "192.0.2.77"), "tf/c2/80/0");
    f.source = "other";
    f.have_kind = false;
    assert_int_equal(ta_intel_db_remove(db, &f, &n), TA_OK);
    assert_int_equal(n, 0);
    f.source = NULL;
    assert_int_equal(ta_intel_db_remove(db, &f, &n), TA_ERR_ARG);
    ta_intel_db_close(db);
}

/* A version-2 table (one row per value and source) is rebuilt on open with
 * its rows and ids, then takes a second kind. */
static void test_schema_v2_migration(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof(p), "%s/v2.db", dir);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            h,
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
            "INSERT INTO meta VALUES('schema.intel', '2'), ('intel.version', '5'),"
            " ('intel.id', 'abc');"
            "CREATE TABLE intel_indicator(id INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
            " value TEXT NOT NULL, source TEXT NOT NULL, kind INTEGER NOT NULL,"
            " confidence INTEGER NOT NULL, exact INTEGER NOT NULL DEFAULT 0,"
            " family TEXT NOT NULL DEFAULT '', brand TEXT NOT NULL DEFAULT '',"
            " country TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL,"
            " last_seen INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
            " import_id INTEGER NOT NULL, UNIQUE(type, value, source));"
            "CREATE INDEX intel_indicator_source ON intel_indicator(source);"
            "INSERT INTO intel_indicator VALUES(7, 0, '192.0.2.80', 's', 0, 90, 0, 'Fam', '',"
            " '', 1700000000, 1700000100, 0, 3);",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    struct ta_intel_db *db = open_db("v2.db");
    struct ta_intel_indicator ind = {.type = TA_INTEL_IP,
                                     .kind = TA_INTEL_KIND_SCANNER,
                                     .value = "192.0.2.80",
                                     .source = "s",
                                     .confidence = 50};
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, &ind, 1, &r), TA_OK);
    assert_int_equal(r.inserted, 1);
    struct rows rw;
    assert_string_equal(rows_of(db, &rw, "192.0.2.80"), "s/c2/90/0;s/scanner/50/0");
    ta_intel_db_close(db);
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT id, family, first_seen,"
                                        " (SELECT value FROM meta WHERE key='schema.intel'),"
                                        " (SELECT count(*) FROM sqlite_master WHERE"
                                        "  name='intel_indicator_source'),"
                                        " (SELECT value FROM meta WHERE key='intel.version')"
                                        " FROM intel_indicator WHERE kind = 0",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 7);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "Fam");
    assert_int_equal(sqlite3_column_int64(st, 2), 1700000000);
    assert_int_equal(sqlite3_column_int(st, 3), 3);
    assert_int_equal(sqlite3_column_int(st, 4), 1);
    /* 5, then one bump for the migration (a cached index is not reused) and one for the insert. */
    assert_int_equal(sqlite3_column_int(st, 5), 7);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maltrail_tree),
        cmocka_unit_test(test_maltrail_real_files),
        cmocka_unit_test(test_warninglists),
        cmocka_unit_test(test_warninglists_real),
        cmocka_unit_test(test_top_sites_and_allow_files),
        cmocka_unit_test(test_time_windows),
        cmocka_unit_test(test_schema_migration),
        cmocka_unit_test(test_two_kinds_one_source),
        cmocka_unit_test(test_schema_v2_migration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
