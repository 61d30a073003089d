/*
 * Unit tests for src/intel: URL normalisation, value canonicalisation, every
 * loader (real samples when ../shared/data is present, generated files
 * otherwise, malformed files per format), the store (idempotence, updates,
 * several sources, crash safety, schema guard) and the match index.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threatatlas/intel.h"

/* ---- helpers -------------------------------------------------------------- */

#define MAXC 64
struct collect {
    size_t n;
    struct {
        enum ta_intel_type type;
        enum ta_intel_kind kind;
        char value[256];
        char source[32];
        char family[64];
        char brand[64];
        uint8_t confidence;
        ta_time_us first, last, valid;
    } v[MAXC];
};

static ta_err collect_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct collect *c = user;
    if (c->n < MAXC) {
        c->v[c->n].type = ind->type;
        c->v[c->n].kind = ind->kind;
        snprintf(c->v[c->n].value, sizeof(c->v[c->n].value), "%s", ind->value);
        snprintf(c->v[c->n].source, sizeof(c->v[c->n].source), "%s", ind->source);
        snprintf(c->v[c->n].family, sizeof(c->v[c->n].family), "%s",
                 ind->family ? ind->family : "");
        snprintf(c->v[c->n].brand, sizeof(c->v[c->n].brand), "%s", ind->brand ? ind->brand : "");
        c->v[c->n].confidence = ind->confidence;
        c->v[c->n].first = ind->first_seen;
        c->v[c->n].last = ind->last_seen;
        c->v[c->n].valid = ind->valid_until;
    }
    c->n++;
    return TA_OK;
}

static ta_err parse_str(const char *text, enum ta_intel_format f, struct collect *c,
                        struct ta_intel_load_result *r)
{
    /* The generated feeds here use documentation addresses (RFC 5737), which
     * a real feed's import refuses (see test_reserved_refused). */
    struct ta_intel_load_opts o = {
        .format = f, .feed_time = 1700000000ull * 1000000ull, .allow_private = true};
    memset(c, 0, sizeof(*c));
    return ta_intel_parse((const uint8_t *)text, strlen(text), &o, collect_cb, c, r);
}

static ta_err parse_file(const char *rel, const struct ta_intel_load_opts *opts, struct collect *c,
                         struct ta_intel_load_result *r)
{
    const char *d = tu_shared_data();
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", d, rel);
    size_t len = 0;
    uint8_t *b = tu_read_file(path, &len);
    assert_non_null(b);
    struct ta_intel_load_opts o = {0};
    if (opts != NULL)
        o = *opts;
    o.file_name = path;
    memset(c, 0, sizeof(*c));
    ta_err e = ta_intel_parse(b, len, &o, collect_cb, c, r);
    free(b);
    return e;
}

static void tmp_db(char *path, size_t len)
{
    static int seq;
    snprintf(path, len, "/tmp/ta-test-intel-%d-%d.db", (int)getpid(), seq++);
    unlink(path);
    char w[1100];
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

static void rm_db(const char *path)
{
    char w[1100];
    unlink(path);
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

static struct ta_intel_db *open_db(const char *path)
{
    struct ta_intel_db *db;
    char err[256];
    assert_int_equal(ta_intel_db_open(path, &db, err, sizeof(err)), TA_OK);
    return db;
}

static ta_err import_str(struct ta_intel_db *db, const char *text,
                         const struct ta_intel_load_opts *o, struct ta_intel_load_result *r)
{
    return ta_intel_db_import_buffer(db, "test", (const uint8_t *)text, strlen(text), o, r);
}

/* ---- URL normalisation -------------------------------------------------- */

static void check_url(const char *in, const char *want)
{
    char out[TA_INTEL_URL_MAX];
    size_t n;
    bool ok = ta_intel_url_normalize(in, strlen(in), out, sizeof(out), &n);
    if (want == NULL) {
        assert_false(ok);
        return;
    }
    assert_true(ok);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_url_normalize(void **state)
{
    (void)state;
    check_url("HTTP://Example.COM", "http://example.com/");
    check_url("http://example.com:80/a", "http://example.com/a");
    check_url("https://example.com:443/a", "https://example.com/a");
    check_url("https://example.com:8443/a", "https://example.com:8443/a");
    check_url("http://example.com./a/b/../c/./d", "http://example.com/a/c/d");
    check_url("http://example.com/a/%7Euser/%2e%2E/x", "http://example.com/a/x");
    check_url("http://example.com/%3a%2f?q=%41%3d", "http://example.com/%3A%2F?q=A%3D");
    check_url("http://example.com/100%/%zz", "http://example.com/100%25/%25zz");
    check_url("http://example.com/p#frag", "http://example.com/p");
    check_url("http://user:pw@Example.com/p?x=1#f", "http://example.com/p?x=1");
    check_url("example.com/login.php", "http://example.com/login.php");
    check_url("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x");
    check_url("http://example.com/../../a", "http://example.com/a");
    check_url("http://example.com/a b", "http://example.com/a%20b");
    check_url("http:///nohost", NULL);
    check_url("http://example.com:99999/", NULL);
    check_url("http://example.com:8x/", NULL);
    /* The host rules of common/urlhost.h: the last '@' ends the userinfo,
     * brackets must close, no bracket outside an IPv6 literal. */
    check_url("http://a@b@Evil.example..:81/x", "http://evil.example:81/x");
    check_url("//cdn.example.net/a.js", "http://cdn.example.net/a.js");
    check_url("http://[::1/x", NULL);
    check_url("http://ex[ample.com/", NULL);
}

static void test_value_canon(void **state)
{
    (void)state;
    char out[512];
    enum ta_intel_type t = TA_INTEL_TYPE__COUNT;
    assert_true(ta_intel_value_canon(" 10.1.2.3/8 ", 12, &t, out, sizeof(out), NULL));
    assert_int_equal(t, TA_INTEL_CIDR);
    assert_string_equal(out, "10.0.0.0/8");
    t = TA_INTEL_TYPE__COUNT;
    assert_true(ta_intel_value_canon("1.2.3.4:0443", 12, &t, out, sizeof(out), NULL));
    assert_int_equal(t, TA_INTEL_IP_PORT);
    assert_string_equal(out, "1.2.3.4:443");
    t = TA_INTEL_TYPE__COUNT;
    assert_true(ta_intel_value_canon("Evil.Example.", 13, &t, out, sizeof(out), NULL));
    assert_int_equal(t, TA_INTEL_DOMAIN);
    assert_string_equal(out, "evil.example");
    t = TA_INTEL_TYPE__COUNT;
    assert_true(ta_intel_value_canon("/Shell.php", 10, &t, out, sizeof(out), NULL));
    assert_int_equal(t, TA_INTEL_URL_PATH);
    assert_string_equal(out, "/Shell.php");
    t = TA_INTEL_TYPE__COUNT;
    assert_true(
        ta_intel_value_canon("D41D8CD98F00B204E9800998ECF8427E", 32, &t, out, sizeof(out), NULL));
    assert_int_equal(t, TA_INTEL_MD5);
    assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
    const char *why = NULL;
    t = TA_INTEL_IP;
    assert_false(ta_intel_value_canon("300.1.1.1", 9, &t, out, sizeof(out), &why));
    assert_non_null(why);
    t = TA_INTEL_TYPE__COUNT;
    assert_false(ta_intel_value_canon("1.2.3.4:70000", 13, &t, out, sizeof(out), NULL));
    t = TA_INTEL_DOMAIN;
    assert_false(ta_intel_value_canon("bad..name", 9, &t, out, sizeof(out), NULL));
}

/* ---- loaders on real samples -------------------------------------------- */

#define PARSERS "intelmq-feed-samples/intelmq/tests/bots/parsers"

static void test_real_feodo_json(void **state)
{
    (void)state;
    TU_SKIP_NO_DATA(tu_shared_data());
    struct collect c;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse_file(PARSERS "/abusech/feodotracker_ipblocklist_sample.json", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_FEODO_JSON);
    assert_int_equal(r.accepted, 4);
    assert_int_equal(r.rejected, 0);
    assert_string_equal(c.v[0].value, "51.178.161.32");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(c.v[0].family, "Dridex");
    assert_string_equal(c.v[0].source, "feodo");
    assert_int_equal(c.v[0].confidence, 90);
    assert_int_equal(c.v[1].confidence, 75); /* offline */
    /* 2021-01-17 07:44:46 UTC and 2022-11-15 */
    assert_int_equal(c.v[0].first, 1610869486ull * 1000000ull);
    assert_int_equal(c.v[0].last, 1668470400ull * 1000000ull);
    assert_string_equal(c.v[3].value, "1.234.21.73");
}

static void test_real_phishtank_openphish(void **state)
{
    (void)state;
    TU_SKIP_NO_DATA(tu_shared_data());
    struct collect c;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse_file(PARSERS "/phishtank/phishtank_online_valid_sample.json", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_PHISHTANK_JSON);
    assert_int_equal(r.accepted, 3);
    assert_string_equal(c.v[0].value, "https://ardentig.top/");
    assert_string_equal(c.v[0].brand, "AEON Card");
    assert_string_equal(c.v[1].brand, ""); /* "Other" */
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_PHISHING);
    assert_int_equal(c.v[0].first, 1668607724ull * 1000000ull);

    assert_int_equal(parse_file("openphish-feed/feed.txt", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_OPENPHISH);
    assert_int_equal(r.accepted, 300);
    assert_int_equal(r.rejected, 0);
    assert_string_equal(c.v[0].value, "https://api.msuto.com/");
    assert_string_equal(c.v[3].value,
                        "https://dau-ug-koreatyujdjhdjuuej6664746637-chi.vercel.app/?naps");
    /* IntelMQ's OpenPhish sample: "www..example.com" hosts are kept as URLs. */
    assert_int_equal(parse_file(PARSERS "/openphish/feed.txt", NULL, &c, &r), TA_OK);
    assert_int_equal(r.accepted, 2);
}

static void test_real_stix_misp(void **state)
{
    (void)state;
    TU_SKIP_NO_DATA(tu_shared_data());
    struct collect c;
    struct ta_intel_load_result r;
    assert_int_equal(parse_file("stix2-examples/examples/threat-reports/apt1.json", NULL, &c, &r),
                     TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_STIX2);
    assert_int_equal(r.accepted, 10);
    assert_int_equal(r.unsupported, 2); /* x509-certificate patterns */
    assert_int_equal(r.nunsup_shown, 2);
    assert_string_equal(c.v[0].value, "223.166.0.0/15");
    assert_int_equal(c.v[0].type, TA_INTEL_CIDR);
    assert_string_equal(c.v[4].value, "hugesoft.org");
    assert_string_equal(c.v[7].value, "001dd76872d80801692ff942308c64e6");
    assert_int_equal(c.v[7].type, TA_INTEL_MD5);

    /* Its C&C address is private (10.0.0.0): refused, with its reason ... */
    assert_int_equal(
        parse_file("stix2-examples/examples/indicator-for-c2-ip-address.json", NULL, &c, &r),
        TA_ERR_FORMAT);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.reserved, 1);
    assert_non_null(strstr(r.shown[0].reason, "not a public address (private, RFC 1918)"));
    /* ... unless asked for. */
    struct ta_intel_load_opts priv = {.allow_private = true};
    assert_int_equal(
        parse_file("stix2-examples/examples/indicator-for-c2-ip-address.json", &priv, &c, &r),
        TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_string_equal(c.v[0].value, "10.0.0.0");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);

    /* MISP: both attributes have to_ids false, so by default nothing is taken. */
    assert_int_equal(parse_file(PARSERS "/misp/misp_event.json", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.skipped, 2);
    struct ta_intel_load_opts o = {.misp_all = true};
    assert_int_equal(parse_file(PARSERS "/misp/misp_event.json", &o, &c, &r), TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.unsupported, 1); /* type "text" */
    assert_string_equal(c.v[0].value, "http://fake.example.com/malware/is/here");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_MALWARE_DIST);
}

/* maltrail's compiled trails.csv: kind from the info column, regex and
 * single-label trails unsupported, detection by content and by file name. */
static void test_maltrail_csv(void **state)
{
    (void)state;
    struct collect c;
    struct ta_intel_load_result r;
    const char *t = "66.66.66.66,malware (test),(static)\n"
                    "6.6.6.6:8443,emotet (malware),(static)\n"
                    "7.7.7.7,phishing (test),(static)\n"
                    "198.51.100.53,known attacker,(static)\n"
                    "198.51.100.90,sinkhole testsink (malware),(static)\n"
                    "198.51.100.91,parking site (suspicious),(static)\n"
                    "198.51.100.66,botnet c2 (test),(static)\n"
                    "/malicious-login.php,malware (test),(static)\n"
                    "evil-url.example/bad/path,malware (test),(static)\n"
                    "\"[dead::beef]:443\",malware (test),(static)\n"
                    "evilname,malware (test),(static)\n"
                    "dga[0-9]+\\.wildcard-test\\.com,malware (test),(static)\n"
                    "x.example,web shell (suspicious),(static)\n"
                    "bad..value.example,malware,(static)\n";
    assert_int_equal(parse_str(t, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MALTRAIL_CSV);
    assert_int_equal(r.accepted, 11);
    assert_int_equal(r.unsupported, 2);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(c.v[0].source, "maltrail");
    assert_string_equal(c.v[0].family, "");
    assert_int_equal(c.v[1].type, TA_INTEL_IP_PORT);
    assert_string_equal(c.v[1].family, "emotet");
    assert_int_equal(c.v[2].kind, TA_INTEL_KIND_PHISHING);
    assert_int_equal(c.v[3].kind, TA_INTEL_KIND_SCANNER);
    assert_int_equal(c.v[4].kind, TA_INTEL_KIND_OTHER);
    assert_int_equal(c.v[5].kind, TA_INTEL_KIND_OTHER);
    assert_int_equal(c.v[6].kind, TA_INTEL_KIND_C2);
    assert_int_equal(c.v[7].type, TA_INTEL_URL_PATH);
    assert_int_equal(c.v[8].type, TA_INTEL_URL);
    assert_string_equal(c.v[8].value, "http://evil-url.example/bad/path");
    assert_int_equal(c.v[9].type, TA_INTEL_IP_PORT);
    assert_int_equal(c.v[10].kind, TA_INTEL_KIND_WEBSHELL);
    /* Detected by file name when the content is ambiguous; named on the command line. */
    assert_int_equal(ta_intel_format_detect((const uint8_t *)"1.2.3.4,malware,feed.org\n", 25,
                                            "/x/trails.csv", false),
                     TA_INTEL_FMT_MALTRAIL_CSV);
    enum ta_intel_format f;
    assert_true(ta_intel_format_parse("maltrail-csv", &f));
    assert_int_equal(f, TA_INTEL_FMT_MALTRAIL_CSV);
    assert_true(ta_intel_format_parse("trails-csv", &f));
    assert_int_equal(f, TA_INTEL_FMT_MALTRAIL_CSV);
}

static void test_real_et_maltrail_iprep(void **state)
{
    (void)state;
    TU_SKIP_NO_DATA(tu_shared_data());
    struct collect c;
    struct ta_intel_load_result r;
    assert_int_equal(parse_file("et-open-rules/rules/botcc.rules", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_ET_RULES);
    assert_int_equal(r.accepted, 12);
    assert_string_equal(c.v[0].value, "103.82.243.5");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(c.v[11].value, "84.247.157.112");

    assert_int_equal(
        parse_file("maltrail-trails/trails/static/suspicious/web_shells.txt", NULL, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MALTRAIL);
    assert_int_equal(r.accepted, 972);
    /* Web shell file names are what scanners probe for: suspicious, not a backdoor. */
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_SUSPICIOUS);
    assert_int_equal(c.v[0].type, TA_INTEL_URL_PATH);
    assert_string_equal(c.v[0].value, "/120667kk.php");

    assert_int_equal(parse_file("maltrail-trails/trails/static/malware/emotet.txt", NULL, &c, &r),
                     TA_OK);
    assert_int_equal(r.accepted + r.rejected, 15034);
    assert_string_equal(c.v[0].value, "66.210.228.178:443");
    assert_int_equal(c.v[0].type, TA_INTEL_IP_PORT);
    assert_string_equal(c.v[0].family, "emotet");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);

    assert_int_equal(
        parse_file("suricata-verify/tests/issue-4280-iprep/scirius-iprep.list", NULL, &c, &r),
        TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_IPREP);
    assert_int_equal(r.accepted, 27529); /* 27530 lines, one commented out */
    assert_string_equal(c.v[0].value, "4.4.4.4");
    assert_int_equal(c.v[0].confidence, 78); /* score 100 of 127 */
}

/* ---- generated feeds, good and malformed -------------------------------- */

static void test_generated_abusech(void **state)
{
    (void)state;
    struct collect c;
    struct ta_intel_load_result r;
    const char *feodo =
        "################################################################\n"
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
        "################################################################\n"
        "#\n"
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2021-01-17 07:44:46\",\"51.178.161.32\",\"4643\",\"online\",\"2024-07-15\",\"Dridex\"\n"
        "\"2021-01-17 07:44:46\",\"999.1.1.1\",\"4643\",\"online\",\"2024-07-15\",\"Dridex\"\n"
        "\"2023-05-01 00:00:00\",\"2001:db8::7\",\"443\",\"offline\",\"\",\"QakBot\"\n"
        "\"broken\n"
        "# end\n";
    assert_int_equal(parse_str(feodo, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_FEODO_CSV);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(r.shown[0].line, 7);
    assert_int_equal(r.shown[1].line, 9);
    assert_string_equal(c.v[1].value, "2001:db8::7");
    assert_string_equal(c.v[1].family, "QakBot");
    assert_int_equal(c.v[1].confidence, 75);
    /* No last_online: last seen stays unknown (no date is invented). */
    assert_int_equal(c.v[1].last, 0);
    assert_int_equal(c.v[1].first, 1682899200ull * 1000000ull);

    const char *tf =
        "################################################################\n"
        "# ThreatFox IOCs: CSV export                                   #\n"
        "# first_seen_utc,ioc_id,ioc_value,ioc_type,threat_type,fk_malware,malware_alias,"
        "malware_printable,last_seen_utc,confidence_level,reference,tags,anonymous,reporter\n"
        "\"2024-07-16 13:00:07\", \"1297650\", \"45.9.74.78:8443\", \"ip:port\", \"botnet_cc\", "
        "\"win.cobalt_strike\", \"Agentemis,BEACON\", \"Cobalt Strike\", \"\", \"100\", \"None\", "
        "\"c2\", \"0\", \"r\"\n"
        "\"2024-07-16 13:00:08\", \"1297651\", \"evil.example.com\", \"domain\", \"botnet_cc\", "
        "\"win.x\", \"\", \"X Loader\", \"\", \"75\", \"\", \"\", \"0\", \"r\"\n"
        "\"2024-07-16 13:00:09\", \"1297652\", \"http://x.test/a.exe\", \"url\", "
        "\"payload_delivery\", \"win.x\", \"\", \"X\", \"\", \"50\", \"\", \"\", \"0\", \"r\"\n"
        "\"2024-07-16 13:00:10\", \"1297653\", \"foo\", \"email\", \"botnet_cc\", \"\", \"\", "
        "\"\", \"\", \"50\", \"\", \"\", \"0\", \"r\"\n"
        "\"2024-07-16 13:00:10\", \"1297654\", \"1.2.3.4:99999\", \"ip:port\", \"botnet_cc\", "
        "\"\", \"\", \"\", \"\", \"50\", \"\", \"\", \"0\", \"r\"\n";
    assert_int_equal(parse_str(tf, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_THREATFOX_CSV);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.unsupported, 1);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(c.v[0].value, "45.9.74.78:8443");
    assert_int_equal(c.v[0].type, TA_INTEL_IP_PORT);
    assert_string_equal(c.v[0].family, "Cobalt Strike");
    assert_int_equal(c.v[0].confidence, 100);
    assert_int_equal(c.v[1].type, TA_INTEL_DOMAIN);
    assert_int_equal(c.v[2].kind, TA_INTEL_KIND_MALWARE_DIST);

    const char *uh = "# abuse.ch URLhaus Database Dump (CSV - recent URLs only)\n"
                     "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
                     "\"3075030\",\"2024-07-16 13:07:06\",\"http://117.215.209.91:51303/bin.sh\","
                     "\"online\",\"2024-07-16 13:07:06\",\"malware_download\",\"32-bit,elf\","
                     "\"https://urlhaus.abuse.ch/url/3075030/\",\"geenensp\"\n"
                     "\"3075031\",\"2024-07-16\"\n";
    assert_int_equal(parse_str(uh, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_URLHAUS_CSV);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(c.v[0].value, "http://117.215.209.91:51303/bin.sh");
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_MALWARE_DIST);
}

static void test_generated_phish_zeek_plain(void **state)
{
    (void)state;
    struct collect c;
    struct ta_intel_load_result r;
    const char *pt = "phish_id,url,phish_detail_url,submission_time,verified,verification_time,"
                     "online,target\n"
                     "123,http://Bank.test/Login,http://pt/123,2024-01-02T03:04:05+00:00,yes,"
                     "2024-01-02T04:00:00+00:00,yes,Example Bank\n"
                     "124,,http://pt/124,2024-01-02,yes,2024-01-02,yes,Other\n";
    assert_int_equal(parse_str(pt, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_PHISHTANK_CSV);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(c.v[0].value, "http://bank.test/Login");
    assert_string_equal(c.v[0].brand, "Example Bank");

    const char *op = "url,brand,ip,asn,asn_name,country_code,country_name,tld,discover_time\n"
                     "https://x.test/a,PayPal,1.2.3.4,1,AS,US,United States,test,"
                     "2024-03-01T10:00:00\n";
    assert_int_equal(parse_str(op, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_OPENPHISH_CSV);
    assert_int_equal(r.accepted, 1);
    assert_string_equal(c.v[0].brand, "PayPal");

    const char *zk = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
                     "10.9.8.7\tIntel::ADDR\tmyfeed\tc2 server\n"
                     "evil.test\tIntel::DOMAIN\tmyfeed\tphishing\n"
                     "x@y\tIntel::EMAIL\tmyfeed\t-\n"
                     "nonsense\n";
    assert_int_equal(parse_str(zk, TA_INTEL_FMT_AUTO, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_ZEEK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.unsupported, 1);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(c.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(c.v[0].source, "myfeed");
    assert_int_equal(c.v[1].kind, TA_INTEL_KIND_PHISHING);

    /* A plain webshell path list needs a kind. */
    const char *ws =
        "# webshells\n/shell.php\n/up/c99.php  # comment\n\n/x/../cmd.asp\nnot a path\n";
    struct ta_intel_load_opts o = {.format = TA_INTEL_FMT_PLAIN};
    memset(&c, 0, sizeof(c));
    assert_int_equal(ta_intel_parse((const uint8_t *)ws, strlen(ws), &o, collect_cb, &c, &r),
                     TA_ERR_ARG);
    o.have_kind = true;
    o.kind = TA_INTEL_KIND_WEBSHELL;
    o.source = "ws";
    assert_int_equal(ta_intel_parse((const uint8_t *)ws, strlen(ws), &o, collect_cb, &c, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.shown[0].line, 6);
    assert_string_equal(c.v[2].value, "/cmd.asp");
    assert_int_equal(c.v[2].kind, TA_INTEL_KIND_WEBSHELL);
    assert_string_equal(c.v[2].source, "ws");
}

static void test_malformed_everything(void **state)
{
    (void)state;
    struct collect c;
    struct ta_intel_load_result r;
    /* Files in which nothing parses are errors, per format. */
    assert_int_equal(parse_str("not json at all {", TA_INTEL_FMT_STIX2, &c, &r), TA_ERR_FORMAT);
    assert_int_equal(parse_str("[1, 2, {\"x\": 1}]", TA_INTEL_FMT_FEODO_JSON, &c, &r),
                     TA_ERR_FORMAT);
    assert_int_equal(r.rejected, 3);
    assert_int_equal(parse_str("[{\"url\": \"http://\"}]", TA_INTEL_FMT_PHISHTANK_JSON, &c, &r),
                     TA_ERR_FORMAT);
    assert_int_equal(parse_str("{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\","
                               "\"pattern\":\"[ipv4-addr:value = '1.2.3.4' AND "
                               "ipv4-addr:value = '5.6.7.8']\"}]}",
                               TA_INTEL_FMT_AUTO, &c, &r),
                     TA_ERR_FORMAT);
    assert_int_equal(r.unsupported, 1);
    assert_int_equal(parse_str("\"a\",\"b\nc,d,e\n", TA_INTEL_FMT_FEODO_CSV, &c, &r),
                     TA_ERR_FORMAT);
    assert_int_equal(parse_str("1.2.3.4,x,y\n", TA_INTEL_FMT_IPREP, &c, &r), TA_ERR_FORMAT);
    assert_int_equal(parse_str("alert tcp any\n", TA_INTEL_FMT_ET_RULES, &c, &r), TA_ERR_FORMAT);
    assert_int_equal(parse_str("ht!tp://\nzz zz\n", TA_INTEL_FMT_OPENPHISH, &c, &r), TA_ERR_FORMAT);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(parse_str("just some words\n", TA_INTEL_FMT_AUTO, &c, &r), TA_ERR_FORMAT);
    assert_int_equal(r.format, TA_INTEL_FMT_AUTO);
    /* STIX OR of supported comparisons works. */
    assert_int_equal(parse_str("{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\","
                               "\"name\":\"C2\",\"pattern\":\"[domain-name:value = 'a.test' OR "
                               "url:value = 'http://b.test/x'] OR [file:hashes.'SHA-256' = "
                               "'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']"
                               "\"}]}",
                               TA_INTEL_FMT_AUTO, &c, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(c.v[2].type, TA_INTEL_SHA256);
}

/* A feed's free text (family, brand, the source named by --source or the
 * file) is printed by intel list, report --list and CSV as it is: a control
 * character, raw or as a UTF-8 C1 code, is stored as '?', so a feed cannot
 * drive the analyst's terminal or split a tab-separated list. */
static void test_control_characters_in_text(void **state)
{
    (void)state;
    struct collect c;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse_str("# Feodo\n\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\","
                  "\"last_online\",\"malware\"\n\"2024-02-01 10:00:00\",\"8.8.4.9\","
                  "\"443\",\"online\",\"2024-02-29\",\"Evil\033[31m\tFam\033]0;t\a\"\n"
                  "\"2024-02-01 10:00:00\",\"8.8.4.10\",\"443\",\"online\",\"2024-02-29\","
                  "\"C1\xc2\x9b"
                  "31m \xc3\xa9t\xc3\xa9\x7f\"\n",
                  TA_INTEL_FMT_FEODO_CSV, &c, &r),
        TA_OK);
    assert_int_equal(r.accepted, 2);
    assert_string_equal(c.v[0].family, "Evil?[31m?Fam?]0;t?");
    assert_string_equal(c.v[1].family, "C1?31m \xc3\xa9t\xc3\xa9?");
    struct ta_intel_load_opts o = {
        .format = TA_INTEL_FMT_PHISHTANK_CSV, .source = "my\033[2Jfeed", .allow_private = true};
    const char *csv = "phish_id,url,phish_detail_url,submission_time,verified,verification_time,"
                      "online,target\n"
                      "1,http://phish.test/login,x,2024-02-01T00:00:00+00:00,yes,"
                      "2024-02-01T00:00:00+00:00,yes,Bank\033[8m\n";
    memset(&c, 0, sizeof(c));
    assert_int_equal(ta_intel_parse((const uint8_t *)csv, strlen(csv), &o, collect_cb, &c, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_string_equal(c.v[0].source, "my?[2Jfeed");
    assert_string_equal(c.v[0].brand, "Bank?[8m");
}

/* ---- store ---------------------------------------------------------------- */

static ta_err count_cb(void *user, const struct ta_intel_indicator *ind)
{
    (void)ind;
    (*(size_t *)user)++;
    return TA_OK;
}

static size_t rows(struct ta_intel_db *db, const struct ta_intel_filter *f)
{
    size_t n = 0;
    assert_int_equal(ta_intel_db_list(db, f, count_cb, &n), TA_OK);
    return n;
}

/* Keeps value pointers only while the row is current: copies the dates and
 * the value into a static ring. */
struct keep {
    struct ta_intel_indicator *v;
    size_t *n;
};

static ta_err keep_cb(void *user, const struct ta_intel_indicator *ind)
{
    static char vals[4][64];
    struct keep *k = user;
    if (*k->n >= 4)
        return TA_OK;
    snprintf(vals[*k->n], sizeof(vals[0]), "%s", ind->value);
    k->v[*k->n] = *ind;
    k->v[*k->n].value = vals[*k->n];
    (*k->n)++;
    return TA_OK;
}

static ta_err last_seen_cb(void *user, const struct ta_intel_indicator *ind)
{
    *(ta_time_us *)user = ind->last_seen;
    return TA_OK;
}

static void counts_cat(void *user, const char *what, const char *name, uint64_t count)
{
    char *out = user;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s%s:%s=%llu", n ? " " : "", what, name, (unsigned long long)count);
}

static const char *source_counts(struct ta_intel_db *db, char out[256])
{
    out[0] = '\0';
    assert_int_equal(ta_intel_db_source_counts(db, counts_cat, out), TA_OK);
    return out;
}

static void test_store_idempotent_and_updates(void **state)
{
    (void)state;
    char path[1024];
    tmp_db(path, sizeof(path));
    struct ta_intel_db *db = open_db(path);
    struct ta_intel_load_result r;
    struct ta_intel_load_opts o = {0};
    const char *v1 = "# Feodo Tracker\n1.1.1.1\n2.2.2.2\n";
    assert_int_equal(import_str(db, v1, &o, &r), TA_OK);
    assert_int_equal(r.inserted, 2);
    assert_int_equal(import_str(db, v1, &o, &r), TA_OK);
    assert_int_equal(r.inserted, 0);
    assert_int_equal(r.updated, 0);
    assert_int_equal(rows(db, NULL), 2);
    /* The list gives no dates: they stay unknown (0), whatever the file's age. */
    ta_time_us ls = 1;
    struct ta_intel_filter f = {.source = "feodo"};
    assert_int_equal(ta_intel_db_list(db, &f, last_seen_cb, &ls), TA_OK);
    assert_int_equal(ls, 0);
    /* A dated version of 1.1.1.1 (Feodo CSV) fills the unknown dates in; a newer
     * one moves last_seen; an undated one again keeps them (0 = unknown, not
     * the minimum). */
    const char *csv1 = "# dst_ip c2_status\n"
                       "\"2023-11-01 00:00:00\",\"1.1.1.1\",\"443\",\"online\",\"2023-11-14\","
                       "\"Dridex\"\n";
    const char *csv2 = "# dst_ip c2_status\n"
                       "\"2023-11-01 00:00:00\",\"1.1.1.1\",\"443\",\"online\",\"2023-11-15\","
                       "\"Dridex\"\n";
    struct ta_intel_load_opts of = {.source = "feodo"};
    assert_int_equal(import_str(db, csv1, &of, &r), TA_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(import_str(db, csv2, &of, &r), TA_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(import_str(db, v1, &o, &r), TA_OK);
    assert_int_equal(r.updated, 0);
    struct ta_intel_filter f1 = {.source = "feodo", .have_type = true, .type = TA_INTEL_IP};
    struct ta_intel_indicator got[4];
    size_t ngot = 0;
    assert_int_equal(ta_intel_db_list(db, &f1, keep_cb, &(struct keep){got, &ngot}), TA_OK);
    assert_int_equal(ngot, 2);
    assert_string_equal(got[0].value, "1.1.1.1");
    assert_int_equal(got[0].first_seen, 1698796800ull * 1000000ull); /* 2023-11-01 */
    assert_int_equal(got[0].last_seen, 1700006400ull * 1000000ull);  /* 2023-11-15 */
    assert_int_equal(got[1].first_seen, 0);
    /* The same value from another source is a second row. */
    struct ta_intel_load_opts p = {.format = TA_INTEL_FMT_PLAIN,
                                   .have_kind = true,
                                   .kind = TA_INTEL_KIND_SCANNER,
                                   .source = "mylist",
                                   .feed_time = o.feed_time};
    assert_int_equal(import_str(db, "1.1.1.1\n", &p, &r), TA_OK);
    assert_int_equal(rows(db, NULL), 3);
    f.source = "mylist";
    assert_int_equal(rows(db, &f), 1);
    struct ta_intel_filter fk = {.have_kind = true, .kind = TA_INTEL_KIND_C2};
    assert_int_equal(rows(db, &fk), 2);
    /* Nothing parses: error, nothing stored. */
    assert_int_equal(import_str(db, "# Feodo Tracker\nnope\nnever\n", &o, &r), TA_ERR_FORMAT);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(rows(db, NULL), 3);
    /* Expire: only the dated row is old enough; undated rows never expire. */
    uint64_t del;
    ta_time_us t;
    assert_true(ta_date_parse("2023-11-15", &t));
    assert_int_equal(ta_intel_db_expire(db, t, &del), TA_OK);
    assert_int_equal(del, 0);
    char cs[256];
    assert_string_equal(source_counts(db, cs), "source:feodo=2 source:mylist=1");
    assert_true(ta_date_parse("2024-01-01", &t));
    assert_int_equal(ta_intel_db_expire(db, t, &del), TA_OK);
    assert_int_equal(del, 1);
    /* Rows per source follow every write, expiry included. */
    assert_string_equal(source_counts(db, cs), "source:feodo=1 source:mylist=1");
    ta_intel_db_close(db);
    /* A writer that does not keep the counts (an older threatatlas) moves the
     * version without them: readers count, and the next import counts afresh. */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "INSERT INTO intel_indicator(type, value, source, kind,"
                                  " confidence, first_seen, last_seen, valid_until, import_id)"
                                  " VALUES(1, '9.9.9.9', 'old', 1, 50, 0, 0, 0, 1);"
                                  "DELETE FROM intel_indicator WHERE source = 'mylist';"
                                  "UPDATE meta SET value = value + 1 WHERE key = 'intel.version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    db = open_db(path);
    assert_string_equal(source_counts(db, cs), "source:feodo=1 source:old=1");
    struct ta_intel_load_opts pn = p;
    pn.source = "old";
    assert_int_equal(import_str(db, "9.9.9.8\n", &pn, &r), TA_OK);
    assert_string_equal(source_counts(db, cs), "source:feodo=1 source:old=2");
    ta_intel_db_close(db);
    /* The table itself lost (a database from before it): filled at open. */
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "DROP TABLE intel_source_rows", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    db = open_db(path);
    assert_string_equal(source_counts(db, cs), "source:feodo=1 source:old=2");
    assert_int_equal(import_str(db, "9.9.9.7\n", &pn, &r), TA_OK);
    assert_string_equal(source_counts(db, cs), "source:feodo=1 source:old=3");
    ta_intel_db_close(db);
    rm_db(path);
}

static void test_store_crash_safety_and_schema(void **state)
{
    (void)state;
    char path[1024], dir[1100], f1[1200], f2[1200];
    tmp_db(path, sizeof(path));
    struct ta_intel_db *db = open_db(path);
    struct ta_intel_load_result r;
    struct ta_intel_load_opts o = {0};
    assert_int_equal(import_str(db, "# Feodo Tracker\n9.9.9.9\n", &o, &r), TA_OK);
    /* A directory whose first file imports and whose second cannot be read (a
     * damaged gzip stream): the whole import rolls back. */
    snprintf(dir, sizeof(dir), "%s.d", path);
    mkdir(dir, 0700);
    snprintf(f1, sizeof(f1), "%s/a.txt", dir);
    snprintf(f2, sizeof(f2), "%s/b.txt", dir);
    FILE *f = fopen(f1, "w");
    assert_non_null(f);
    fputs("# Feodo Tracker\n9.9.9.1\n9.9.9.2\n", f);
    fclose(f);
    snprintf(f2, sizeof(f2), "%s/b.txt.gz", dir);
    f = fopen(f2, "wb");
    assert_non_null(f);
    fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", 1, 17, f);
    fclose(f);
    assert_int_not_equal(ta_intel_db_import_path(db, dir, &o, &r), TA_OK);
    assert_int_equal(rows(db, NULL), 1);
    unlink(f2);
    /* A link to nothing has nothing to read: skipped and counted, the rest imported. */
    assert_int_equal(symlink("/nonexistent/feed", f2), 0);
    assert_int_equal(ta_intel_db_import_path(db, dir, &o, &r), TA_OK);
    assert_int_equal(r.inserted, 2);
    assert_int_equal(r.files_skipped, 1);
    assert_int_equal(rows(db, NULL), 3);
    unlink(f2);
    unlink(f1);
    rmdir(dir);
    ta_intel_db_close(db);
    /* A newer schema is refused. */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE meta SET value='99' WHERE key='schema.intel'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    char err[256];
    assert_int_equal(ta_intel_db_open(path, &db, err, sizeof(err)), TA_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "newer"));
    rm_db(path);
}

/* ---- index ---------------------------------------------------------------- */

static struct ta_intel_index *build(const struct ta_intel_indicator *inds, size_t n,
                                    struct ta_intel_db **dbp, char *path, size_t plen)
{
    tmp_db(path, plen);
    struct ta_intel_db *db = open_db(path);
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(db, inds, n, &r), TA_OK);
    assert_int_equal(r.rejected, 0);
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    *dbp = db;
    return idx;
}

#define IND(t, k, v, s)                                                                            \
    {                                                                                              \
        .type = (t), .kind = (k), .value = (v), .source = (s), .confidence = 50                    \
    }

static size_t mip(const struct ta_intel_index *idx, const char *a, uint16_t port, uint32_t kinds,
                  struct ta_intel_match *m)
{
    struct ta_addr addr;
    assert_true(ta_addr_parse(&addr, a));
    return ta_intel_match_ip(idx, &addr, port, 0, kinds, m, 8);
}

static void test_index_ip(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_CIDR, TA_INTEL_KIND_OTHER, "10.0.0.0/8", "drop"),
        IND(TA_INTEL_CIDR, TA_INTEL_KIND_SCANNER, "10.1.0.0/16", "scan"),
        IND(TA_INTEL_IP, TA_INTEL_KIND_C2, "10.1.2.3", "feodo"),
        IND(TA_INTEL_IP, TA_INTEL_KIND_C2, "10.1.2.3", "threatfox"),
        IND(TA_INTEL_IP_PORT, TA_INTEL_KIND_C2, "10.9.9.9:8443", "tf"),
        IND(TA_INTEL_IP, TA_INTEL_KIND_C2, "255.255.255.255", "edge"),
        IND(TA_INTEL_CIDR, TA_INTEL_KIND_C2, "2001:db8::/32", "v6"),
        IND(TA_INTEL_IP, TA_INTEL_KIND_C2, "2001:db8::1", "v6"),
        IND(TA_INTEL_IP, TA_INTEL_KIND_C2, "8.8.8.8", "bad"),
        IND(TA_INTEL_CIDR, TA_INTEL_KIND_ALLOW, "8.8.8.0/24", "resolvers"),
    };
    struct ta_intel_db *db;
    char path[1024];
    struct ta_intel_index *idx =
        build(inds, sizeof(inds) / sizeof(inds[0]), &db, path, sizeof(path));
    struct ta_intel_match m[8];
    assert_int_equal(mip(idx, "10.1.2.3", 0, 0, m), 3);
    assert_string_equal(m[0].value, "10.1.2.3");
    assert_int_equal(m[0].prefix_len, 32);
    assert_int_equal(m[0].nsources, 2);
    struct ta_intel_source_info si;
    ta_intel_match_source(idx, &m[0], 1, &si);
    assert_string_equal(si.source, "threatfox");
    assert_string_equal(m[1].value, "10.1.0.0/16");
    assert_string_equal(m[2].value, "10.0.0.0/8");
    assert_int_equal(mip(idx, "10.1.2.4", 0, 0, m), 2);
    assert_int_equal(mip(idx, "10.2.0.0", 0, 0, m), 1);
    assert_int_equal(mip(idx, "11.0.0.0", 0, 0, m), 0);
    assert_int_equal(mip(idx, "9.255.255.255", 0, 0, m), 0);
    /* Kind filter: "is this IP a c2?" */
    assert_int_equal(mip(idx, "10.1.2.3", 0, TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2), m), 1);
    assert_int_equal(mip(idx, "10.1.9.9", 0, TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2), m), 0);
    /* IP:port: only on its port; port 0 (no port) reaches addresses and CIDRs only. */
    assert_int_equal(mip(idx, "10.9.9.9", 8443, 0, m), 2);
    assert_string_equal(m[0].value, "10.9.9.9:8443");
    assert_int_equal(mip(idx, "10.9.9.9", 80, 0, m), 1);
    assert_string_equal(m[0].value, "10.0.0.0/8");
    assert_int_equal(mip(idx, "10.9.9.9", 0, 0, m), 1);
    assert_string_equal(m[0].value, "10.0.0.0/8");
    assert_int_equal(mip(idx, "255.255.255.255", 0, 0, m), 1);
    assert_int_equal(mip(idx, "2001:db8::1", 0, 0, m), 2);
    assert_int_equal(m[1].prefix_len, 32);
    assert_int_equal(mip(idx, "2001:db9::1", 0, 0, m), 0);
    /* An IPv4 address is not an IPv4-mapped IPv6 one. */
    assert_int_equal(mip(idx, "::ffff:10.1.2.3", 0, 0, m), 0);
    /* The allowlist does not hide matches; the allow lookup names the list. */
    struct ta_intel_index_stats st;
    assert_int_equal(mip(idx, "8.8.8.8", 0, 0, m), 1);
    assert_string_equal(m[0].value, "8.8.8.8");
    assert_int_equal(mip(idx, "8.8.8.9", 0, 0, m), 0);
    struct ta_intel_match al;
    struct ta_addr aa;
    assert_true(ta_addr_parse(&aa, "8.8.8.8"));
    assert_true(ta_intel_allow_ip(idx, &aa, &al));
    assert_string_equal(al.value, "8.8.8.0/24");
    assert_int_equal(al.kind, TA_INTEL_KIND_ALLOW);
    ta_intel_match_source(idx, &al, 0, &si);
    assert_string_equal(si.source, "resolvers");
    assert_true(ta_addr_parse(&aa, "10.1.2.3"));
    assert_false(ta_intel_allow_ip(idx, &aa, &al));
    ta_intel_index_stats(idx, &st);
    assert_int_equal(st.suppressed, 0);
    assert_int_equal(st.rows, 10);
    assert_int_equal(st.entries, 9);
    assert_int_equal(st.by_kind[TA_INTEL_KIND_ALLOW], 1);
    /* max bounds the output */
    assert_int_equal(ta_intel_match_ip(idx, &(struct ta_addr){0}, 0, 0, 0, m, 8), 0);
    struct ta_addr a;
    ta_addr_parse(&a, "10.1.2.3");
    assert_int_equal(ta_intel_match_ip(idx, &a, 0, 0, 0, m, 1), 1);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    rm_db(path);
}

static void test_index_domain_url_hash(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_DOMAIN, TA_INTEL_KIND_C2, "evil.example", "a"),
        IND(TA_INTEL_DOMAIN, TA_INTEL_KIND_PHISHING, "login.evil.example", "b"),
        {.type = TA_INTEL_DOMAIN,
         .kind = TA_INTEL_KIND_C2,
         .value = "only.test",
         .source = "x",
         .exact = true},
        IND(TA_INTEL_DOMAIN, TA_INTEL_KIND_C2, "sinkhole.example", "x"),
        IND(TA_INTEL_DOMAIN, TA_INTEL_KIND_ALLOW, "sinkhole.example", "allow"),
        IND(TA_INTEL_DOMAIN, TA_INTEL_KIND_C2, "xn--bcher-kva.example", "x"),
        IND(TA_INTEL_URL, TA_INTEL_KIND_PHISHING, "http://Phish.test:80/a/./b/login.php", "op"),
        IND(TA_INTEL_URL, TA_INTEL_KIND_MALWARE_DIST, "http://dl.test/x.exe?id=1", "uh"),
        IND(TA_INTEL_URL_PATH, TA_INTEL_KIND_WEBSHELL, "/c99.php", "ws"),
        IND(TA_INTEL_MD5, TA_INTEL_KIND_OTHER, "001dd76872d80801692ff942308c64e6", "h"),
        IND(TA_INTEL_JA3, TA_INTEL_KIND_C2, "72a589da586844d7f0818ce684948eea", "ja3"),
    };
    struct ta_intel_db *db;
    char path[1024];
    struct ta_intel_index *idx =
        build(inds, sizeof(inds) / sizeof(inds[0]), &db, path, sizeof(path));
    struct ta_intel_match m[8];
#define MD(s) ta_intel_match_domain(idx, s, strlen(s), 0, 0, m, 8)
#define MU(s) ta_intel_match_url(idx, s, strlen(s), 0, 0, m, 8)
    assert_int_equal(MD("evil.example"), 1);
    assert_int_equal(MD("EVIL.Example."), 1);
    assert_int_equal(MD("a.b.evil.example"), 1);
    assert_string_equal(m[0].value, "evil.example");
    assert_int_equal(MD("x.login.evil.example"), 2);
    assert_string_equal(m[0].value, "login.evil.example");
    assert_int_equal(m[0].kind, TA_INTEL_KIND_PHISHING);
    assert_string_equal(m[1].value, "evil.example");
    assert_int_equal(MD("notevil.example"), 0);
    assert_int_equal(MD("example"), 0);
    assert_int_equal(MD("only.test"), 1);
    assert_true(m[0].exact);
    assert_int_equal(MD("sub.only.test"), 0);
    assert_int_equal(MD("sinkhole.example"), 1);
    assert_int_equal(m[0].kind, TA_INTEL_KIND_C2);
    assert_int_equal(MD("bot.sinkhole.example"), 1);
    struct ta_intel_match al;
    assert_true(ta_intel_allow_domain(idx, "bot.sinkhole.example", 20, NULL, &al));
    assert_string_equal(al.value, "sinkhole.example");
    assert_false(ta_intel_allow_domain(idx, "evil.example", 12, NULL, &al));
    assert_int_equal(MD("www.xn--bcher-kva.example"), 1);
    assert_int_equal(MD(""), 0);
    assert_int_equal(MD("."), 0);
    assert_int_equal(MD("evil.example.."), 0);
    assert_int_equal(ta_intel_match_domain(idx, "a.evil.example", 14, 0,
                                           TA_INTEL_KIND_BIT(TA_INTEL_KIND_PHISHING), m, 8),
                     0);
    /* URLs: normalised, scheme-less identity, without query, path. */
    assert_int_equal(MU("http://phish.test/a/b/login.php"), 1);
    assert_string_equal(m[0].value, "http://phish.test/a/b/login.php");
    assert_int_equal(MU("HTTPS://PHISH.test/a/b/c/../login.php#x"), 1);
    assert_int_equal(MU("http://phish.test/a/b/login.php?user=1"), 1);
    assert_int_equal(MU("http://phish.test/a/b/login.phpx"), 0);
    assert_int_equal(MU("http://dl.test/x.exe?id=1"), 1);
    assert_int_equal(MU("http://dl.test/x.exe?id=2"), 0);
    assert_int_equal(MU("http://dl.test/x.exe"), 0);
    assert_int_equal(MU("http://victim.test/uploads/../c99.php?cmd=id"), 1);
    assert_int_equal(m[0].kind, TA_INTEL_KIND_WEBSHELL);
    assert_int_equal(MU("http://victim.test/uploads/c99.php"), 0);
    /* Hashes: exact, case-insensitive. */
    assert_int_equal(
        ta_intel_match_hash(idx, TA_INTEL_MD5, "001DD76872D80801692FF942308C64E6", 32, 0, 0, m, 8),
        1);
    assert_int_equal(
        ta_intel_match_hash(idx, TA_INTEL_JA3, "001dd76872d80801692ff942308c64e6", 32, 0, 0, m, 8),
        0);
    assert_int_equal(
        ta_intel_match_hash(idx, TA_INTEL_JA3, "72a589da586844d7f0818ce684948eea", 32, 0, 0, m, 8),
        1);
    struct ta_intel_index_stats st;
    ta_intel_index_stats(idx, &st);
    assert_int_equal(st.suppressed, 0);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    rm_db(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_normalize),
        cmocka_unit_test(test_value_canon),
        cmocka_unit_test(test_real_feodo_json),
        cmocka_unit_test(test_real_phishtank_openphish),
        cmocka_unit_test(test_real_stix_misp),
        cmocka_unit_test(test_real_et_maltrail_iprep),
        cmocka_unit_test(test_maltrail_csv),
        cmocka_unit_test(test_generated_abusech),
        cmocka_unit_test(test_generated_phish_zeek_plain),
        cmocka_unit_test(test_malformed_everything),
        cmocka_unit_test(test_control_characters_in_text),
        cmocka_unit_test(test_store_idempotent_and_updates),
        cmocka_unit_test(test_store_crash_safety_and_schema),
        cmocka_unit_test(test_index_ip),
        cmocka_unit_test(test_index_domain_url_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
