/*
 * Unit tests for the structured feed loaders (src/intel/intel-load-json.c)
 * and IDNA: STIX patterns with AND/OR and producer sources, MISP REST answers,
 * objects-only events and ip-src kinds, OpenPhish premium JSON lines, the
 * streamed ThreatFox export (a large generated one too), broken documents,
 * and Unicode host names stored as A-labels.
 */
#include "testutil.h"

#include <unistd.h>

#include "threatatlas/intel.h"

#define MAXV 32
struct got {
    size_t n;
    struct {
        enum ta_intel_type type;
        enum ta_intel_kind kind;
        char value[256];
        char source[96];
        char family[64];
        char brand[64];
        char country[8];
        ta_time_us first;
    } v[MAXV];
};

static ta_err got_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct got *g = user;
    if (g->n < MAXV) {
        g->v[g->n].type = ind->type;
        g->v[g->n].kind = ind->kind;
        snprintf(g->v[g->n].value, sizeof(g->v[g->n].value), "%s", ind->value);
        snprintf(g->v[g->n].source, sizeof(g->v[g->n].source), "%s", ind->source);
        snprintf(g->v[g->n].family, sizeof(g->v[g->n].family), "%s",
                 ind->family ? ind->family : "");
        snprintf(g->v[g->n].brand, sizeof(g->v[g->n].brand), "%s", ind->brand ? ind->brand : "");
        snprintf(g->v[g->n].country, sizeof(g->v[g->n].country), "%s",
                 ind->country ? ind->country : "");
        g->v[g->n].first = ind->first_seen;
    }
    g->n++;
    return TA_OK;
}

static ta_err parse(const char *text, enum ta_intel_format f, struct got *g,
                    struct ta_intel_load_result *r)
{
    /* The samples use documentation addresses (192.0.2.0/24), which feeds may not list. */
    struct ta_intel_load_opts o = {.format = f, .allow_private = true};
    memset(g, 0, sizeof(*g));
    return ta_intel_parse((const uint8_t *)text, strlen(text), &o, got_cb, g, r);
}

/* The index of value in g (asserting it is there). */
static size_t find(const struct got *g, const char *value)
{
    for (size_t i = 0; i < g->n && i < MAXV; i++)
        if (strcmp(g->v[i].value, value) == 0)
            return i;
    fail_msg("value %s not emitted", value);
    return 0;
}

/* ---- STIX ------------------------------------------------------------------ */

#define STIX_IND(id, pat)                                                                          \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" id "\","               \
    "\"created_by_ref\":\"identity--acme\",\"name\":\"C2 server\",\"pattern_type\":\"stix\","      \
    "\"valid_from\":\"2024-01-02T00:00:00Z\",\"pattern\":\"" pat "\"}"

// clang-format off
static const char stix_bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
    "{\"type\":\"identity\",\"id\":\"identity--acme\",\"name\":\"ACME CERT\"},"
    /* 2: another producer's object: the bundle has no one producer */
    "{\"type\":\"malware\",\"id\":\"malware--x\",\"created_by_ref\":\"identity--zz\","
    "\"name\":\"X\"},"
    /* 3: destination address and port -> IP:port */
    STIX_IND("a", "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value "
                  "= '198.51.100.7' AND network-traffic:dst_port = '8080']") ","
    /* 4: a domain and the address it resolves to -> both */
    STIX_IND("b", "[domain-name:value = 'evil.example' AND "
                  "domain-name:resolves_to_refs[*].value = '203.0.113.9']") ","
    /* 5: a file's name and hashes -> the hashes */
    STIX_IND("c", "[file:name = 'x.exe' AND file:hashes.md5 = "
                  "'001DD76872D80801692FF942308C64E6' AND file:hashes.'SHA-256' = "
                  "'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c' AND "
                  "file:hashes.SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709' AND "
                  "file:hashes.'SHA-512' = 'abc']") ","
    /* 6: an address with either of two ports (OR inside an AND) */
    STIX_IND("d", "[network-traffic:dst_ref.value = '2001:db8::5' AND "
                  "(network-traffic:dst_port = 80 OR network-traffic:dst_port = 443)]") ","
    /* 7: an e-mail subject must be seen too: the URL alone says less */
    STIX_IND("e", "[url:value = 'http://a.example/x'] AND [email-message:subject = 'hi']") ","
    /* 8: only where traffic came from: nothing to match */
    STIX_IND("f", "[network-traffic:src_ref.type = 'ipv4-addr' AND "
                  "network-traffic:src_ref.value = '192.0.2.1']") ","
    /* 9: a regular expression */
    STIX_IND("g", "[domain-name:value MATCHES '^x']") ","
    /* 10: a qualifier limits when, not what */
    STIX_IND("h", "[ipv4-addr:value = '192.0.2.5'] WITHIN 300 SECONDS") ","
    /* 11: one observation OR another: each on its own */
    STIX_IND("i", "[url:value = 'http://b.example/y'] OR [email-message:subject = 'z']") ","
    /* 12: misp-stix's network-connection: address and name as destinations */
    STIX_IND("k", "[(network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value "
                  "= '149.13.33.14') AND (network-traffic:dst_ref.type = 'domain-name' AND "
                  "network-traffic:dst_ref.value = 'circl.lu') AND network-traffic:dst_port = "
                  "'443' AND network-traffic:start = '2020-10-25T16:22:00Z']") ","
    /* 13: misp-stix's domain-ip object with its custom properties */
    STIX_IND("l", "[domain-name:value = 'circl.example' AND domain-name:x_misp_hostname = "
                  "'circl.example' AND domain-name:resolves_to_refs[*].value = '149.13.33.0/24' "
                  "AND domain-name:x_misp_port = '8443']") ","
    /* 14: an address and a port of one observation */
    STIX_IND("m", "[ ipv4-addr:value = '198.0.103.12' AND network-traffic:dst_port = '8000' ]") ","
    /* 15: no producer, and the bundle has none of its own: plain "stix" */
    "{\"type\":\"indicator\",\"id\":\"indicator--j\",\"name\":\"C2\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '192.0.2.77']\"}"
    "]}";
// clang-format on

static void test_stix_and_sources(void **state)
{
    (void)state;
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(stix_bundle, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_STIX2);
    assert_int_equal(r.accepted, 16);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.unsupported, 3);
    assert_int_equal(r.unsup_shown[0].line, 7);
    assert_non_null(strstr(r.unsup_shown[0].reason, "object path not supported"));
    assert_int_equal(r.unsup_shown[1].line, 8);
    assert_non_null(strstr(r.unsup_shown[1].reason, "no value we can match"));
    assert_int_equal(r.unsup_shown[2].line, 9);
    assert_non_null(strstr(r.unsup_shown[2].reason, "comparison other than ="));

    size_t i = find(&g, "198.51.100.7:8080");
    assert_int_equal(g.v[i].type, TA_INTEL_IP_PORT);
    assert_int_equal(g.v[i].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[i].source, "stix:ACME CERT");
    assert_int_equal(g.v[i].first, 1704153600ull * 1000000ull);
    assert_int_equal(g.v[find(&g, "evil.example")].type, TA_INTEL_DOMAIN);
    assert_int_equal(g.v[find(&g, "203.0.113.9")].type, TA_INTEL_IP);
    assert_int_equal(g.v[find(&g, "001dd76872d80801692ff942308c64e6")].type, TA_INTEL_MD5);
    assert_int_equal(
        g.v[find(&g, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")].type,
        TA_INTEL_SHA256);
    assert_int_equal(g.v[find(&g, "da39a3ee5e6b4b0d3255bfef95601890afd80709")].type, TA_INTEL_SHA1);
    assert_int_equal(g.v[find(&g, "[2001:db8::5]:80")].type, TA_INTEL_IP_PORT);
    assert_int_equal(g.v[find(&g, "[2001:db8::5]:443")].type, TA_INTEL_IP_PORT);
    assert_int_equal(g.v[find(&g, "192.0.2.5")].type, TA_INTEL_IP);
    assert_int_equal(g.v[find(&g, "http://b.example/y")].type, TA_INTEL_URL);
    assert_string_equal(g.v[find(&g, "192.0.2.77")].source, "stix");
    assert_int_equal(g.v[find(&g, "149.13.33.14:443")].type, TA_INTEL_IP_PORT);
    assert_int_equal(g.v[find(&g, "circl.lu")].type, TA_INTEL_DOMAIN);
    assert_int_equal(g.v[find(&g, "circl.example")].type, TA_INTEL_DOMAIN);
    assert_int_equal(g.v[find(&g, "149.13.33.0/24")].type, TA_INTEL_CIDR);
    assert_int_equal(g.v[find(&g, "198.0.103.12:8000")].type, TA_INTEL_IP_PORT);
    /* x.exe (a file name) and the e-mail's URL are not emitted. */
    for (size_t k = 0; k < g.n; k++) {
        assert_string_not_equal(g.v[k].value, "x.exe");
        assert_string_not_equal(g.v[k].value, "http://a.example/x");
    }
}

/* Two producers' bundles naming one value keep a row each. */
static ta_err count_rows(void *user, const struct ta_intel_indicator *ind)
{
    size_t *n = user;
    if (strcmp(ind->value, "192.0.2.200") == 0)
        (*n)++;
    return TA_OK;
}

static void test_stix_producers_coexist(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "/tmp/ta-test-intel-json-%d.db", (int)getpid());
    unlink(path);
    struct ta_intel_db *db;
    char err[256];
    assert_int_equal(ta_intel_db_open(path, &db, err, sizeof(err)), TA_OK);
    static const char *const fmt =
        "{\"type\":\"bundle\",\"objects\":[{\"type\":\"identity\",\"id\":\"identity--%s\","
        "\"name\":\"%s\"},{\"type\":\"indicator\",\"id\":\"indicator--1\",\"created_by_ref\":"
        "\"identity--%s\",\"name\":\"C2\",\"pattern\":\"[ipv4-addr:value = '192.0.2.200']\"}]}";
    char a[512], b[512];
    snprintf(a, sizeof(a), fmt, "1", "CERT One", "1");
    snprintf(b, sizeof(b), fmt, "2", "CERT Two", "2");
    struct ta_intel_load_opts o = {.allow_private = true};
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_import_buffer(db, "a.json", (const uint8_t *)a, strlen(a), &o, &r),
                     TA_OK);
    assert_int_equal(r.inserted, 1);
    assert_int_equal(ta_intel_db_import_buffer(db, "b.json", (const uint8_t *)b, strlen(b), &o, &r),
                     TA_OK);
    assert_int_equal(r.inserted, 1);
    assert_int_equal(r.updated, 0);
    size_t n = 0;
    assert_int_equal(ta_intel_db_list(db, NULL, count_rows, &n), TA_OK);
    assert_int_equal(n, 2);
    ta_intel_db_close(db);
    unlink(path);
    char w[160];
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

/* The real OASIS examples: AND of certificate fields stays unsupported. */
static void test_stix_real(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char path[1024];
    snprintf(path, sizeof(path), "%s/stix2-examples/examples/threat-reports/poisonivy.json", d);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[200000];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(buf, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 64);
    assert_int_equal(r.rejected, 1);    /* "domain autuo.xicp.net" */
    assert_int_equal(r.unsupported, 2); /* file names alone */
    assert_int_equal(r.unsup_shown[0].line, 44);
    assert_non_null(strstr(r.unsup_shown[0].reason, "no value we can match"));
    /* The bundle's one producer (of its report) names every indicator's source. */
    assert_string_equal(g.v[0].source, "stix:FireEye, Inc.");
}

/* ---- MISP ------------------------------------------------------------------ */

static void test_misp_attribute_search(void **state)
{
    (void)state;
    const char *j =
        "{\"response\": {\"Attribute\": ["
        /* 1: tagged C2 on the attribute */
        "{\"type\":\"ip-dst\",\"category\":\"Network activity\",\"to_ids\":true,"
        "\"value\":\"198.51.100.20\",\"timestamp\":\"1700000000\","
        "\"Tag\":[{\"name\":\"kill-chain:Command and Control\"},"
        "{\"name\":\"misp-galaxy:malpedia=\\\"Emotet\\\"\"}],"
        "\"Event\":{\"id\":\"5\",\"info\":\"x\"}},"
        /* 2: an ip-src in a botnet event: where traffic came from, not C&C */
        "{\"type\":\"ip-src\",\"category\":\"Network activity\",\"to_ids\":true,"
        "\"value\":\"192.0.2.30\",\"Event\":{\"Tag\":[{\"name\":\"botnet\"}]}},"
        /* 3: an ip-src tagged as scanning */
        "{\"type\":\"ip-src\",\"category\":\"Network activity\",\"to_ids\":true,"
        "\"value\":\"192.0.2.31\",\"Tag\":[{\"name\":\"circl:incident-classification="
        "\\\"scan\\\"\"}]},"
        /* 5: a file name with its hash */
        "{\"type\":\"filename|sha256\",\"category\":\"Payload delivery\",\"to_ids\":true,"
        "\"value\":\"a.exe|ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c\"},"
        /* 5: not for detection */
        "{\"type\":\"domain\",\"category\":\"Network activity\",\"to_ids\":false,"
        "\"value\":\"quiet.example\"},"
        /* 6: an IPv6 address with its port */
        "{\"type\":\"ip-dst|port\",\"category\":\"Network activity\",\"to_ids\":\"1\","
        "\"value\":\"2001:db8::9|8443\"}"
        "]}}";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(j, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP);
    assert_int_equal(r.accepted, 5);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(r.rejected, 0);
    size_t i = find(&g, "198.51.100.20");
    assert_int_equal(g.v[i].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[i].family, "Emotet");
    assert_string_equal(g.v[i].source, "misp");
    assert_int_equal(g.v[find(&g, "192.0.2.30")].kind, TA_INTEL_KIND_SUSPICIOUS);
    assert_int_equal(g.v[find(&g, "192.0.2.31")].kind, TA_INTEL_KIND_SCANNER);
    i = find(&g, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c");
    assert_int_equal(g.v[i].type, TA_INTEL_SHA256);
    assert_int_equal(g.v[i].kind, TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(g.v[find(&g, "[2001:db8::9]:8443")].type, TA_INTEL_IP_PORT);
}

static void test_misp_events(void **state)
{
    (void)state;
    /* An event with only objects. */
    const char *obj =
        "{\"Event\": {\"info\":\"objects only\",\"Tag\":[{\"name\":\"botnet\"}],"
        "\"Object\": [{\"name\":\"ip-port\",\"Attribute\":["
        "{\"type\":\"ip-dst\",\"object_relation\":\"ip\",\"to_ids\":true,"
        "\"value\":\"198.51.100.44\"},"
        "{\"type\":\"port\",\"object_relation\":\"dst-port\",\"to_ids\":false,\"value\":\"443\"}"
        "]},{\"name\":\"domain-ip\",\"Attribute\":["
        "{\"type\":\"domain\",\"to_ids\":true,\"value\":\"cc.example\"},"
        "{\"type\":\"ip-src\",\"to_ids\":true,\"value\":\"192.0.2.50\"}]}]}}";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(obj, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_MISP);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(g.v[find(&g, "198.51.100.44")].kind, TA_INTEL_KIND_C2);
    assert_int_equal(g.v[find(&g, "cc.example")].kind, TA_INTEL_KIND_C2);
    assert_int_equal(g.v[find(&g, "192.0.2.50")].kind, TA_INTEL_KIND_SUSPICIOUS);

    /* An event search answer: each event with its own tags. */
    const char *evs =
        "{\"response\": [{\"Event\": {\"Tag\":[{\"name\":\"phishing\"}],\"Attribute\":["
        "{\"type\":\"url\",\"to_ids\":true,\"category\":\"Network activity\","
        "\"value\":\"http://phish.example/login\"}]}},"
        "{\"Event\": {\"Attribute\":[{\"type\":\"url\",\"to_ids\":true,"
        "\"category\":\"Payload delivery\",\"value\":\"http://dl.example/a.exe\"},"
        "{\"type\":\"ip-dst\",\"to_ids\":true,\"value\":\"not-an-ip\"}]}}]}";
    assert_int_equal(parse(evs, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.shown[0].line, 3);
    assert_int_equal(g.v[find(&g, "http://phish.example/login")].kind, TA_INTEL_KIND_PHISHING);
    assert_int_equal(g.v[find(&g, "http://dl.example/a.exe")].kind, TA_INTEL_KIND_MALWARE_DIST);
}

/* ---- OpenPhish premium JSON lines --------------------------------------------- */

static void test_openphish_json(void **state)
{
    (void)state;
    const char *j =
        "{\"url\": \"https://login.bank.example/verify\", \"brand\": \"Example Bank\", "
        "\"ip\": \"203.0.113.80\", \"asn\": \"AS64500\", \"country_code\": \"US\", "
        "\"discover_time\": \"2024-03-01T10:00:00\", \"isotime\": \"2024-03-01T10:00:00Z\", "
        "\"family_id\": \"kit-7\", \"sector\": \"Banking\", \"tld\": \"example\"}\n"
        "{\"url\": \"http://paypa1.example/\", \"brand\": \"Other\", \"isotime\": "
        "\"2024-03-02T00:00:00Z\", \"ip\": \"203.0.113.81\", \"family_id\": null}\n"
        "\n"
        "{\"url\": \"http://broken.example/\", \"brand\": \n"
        "{\"brand\": \"NoURL\", \"isotime\": \"2024-03-02T00:00:00Z\"}\n"
        "{\"url\": \"https://bücher.example/anmelden\", \"brand\": \"Bücher\", \"isotime\": "
        "\"2024-03-03T00:00:00Z\"}\n";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(j, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_OPENPHISH_JSON);
    assert_string_equal(ta_intel_format_name(r.format), "openphish-json");
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(r.shown[0].line, 4);
    assert_int_equal(r.shown[1].line, 5);
    assert_string_equal(g.v[0].value, "https://login.bank.example/verify");
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_PHISHING);
    assert_string_equal(g.v[0].source, "openphish");
    assert_string_equal(g.v[0].brand, "Example Bank");
    assert_string_equal(g.v[0].family, "kit-7");
    assert_int_equal(g.v[0].first, 1709287200ull * 1000000ull);
    assert_int_equal(g.v[1].first, 1709337600ull * 1000000ull);
    assert_string_equal(g.v[1].brand, "");
    assert_string_equal(g.v[1].family, "");
    assert_string_equal(g.v[0].country, "US");
    /* The hosting addresses are not indicators. */
    for (size_t k = 0; k < g.n; k++)
        assert_int_not_equal(g.v[k].type, TA_INTEL_IP);
    assert_string_equal(g.v[2].value, "https://xn--bcher-kva.example/anmelden");
}

/* ---- ThreatFox streaming and broken documents ---------------------------------- */

static void test_threatfox_stream(void **state)
{
    (void)state;
    const char *exp =
        "{\"1297650\": [{\"ioc_value\": \"45.9.74.78:8443\", \"ioc_type\": \"ip:port\", "
        "\"threat_type\": \"botnet_cc\", \"malware_printable\": \"Cobalt Strike\", "
        "\"first_seen_utc\": \"2024-07-16 13:00:07\", \"confidence_level\": 100}],\n"
        " \"1297651\": [{\"ioc_value\": \"evil.example.com\", \"ioc_type\": \"domain\", "
        "\"threat_type\": \"botnet_cc\"}, {\"ioc_value\": \"x\", \"ioc_type\": \"email\"}],\n"
        " \"1297652\": \"oops\",\n"
        " \"1297653\": [{\"ioc_value\": \"1.2.3.4:80\", \"ioc_type\": \"ip:port\", "
        "\"threat_type\": tru}]}";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(exp, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_THREATFOX_JSON);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.unsupported, 1);
    assert_int_equal(r.rejected, 2); /* "oops", and the record with a bad literal */
    assert_int_equal(r.shown[0].line, 3);
    assert_int_equal(r.shown[1].line, 4);
    assert_non_null(strstr(r.shown[1].reason, "invalid JSON"));
    assert_string_equal(g.v[0].value, "45.9.74.78:8443");
    assert_string_equal(g.v[0].family, "Cobalt Strike");
    assert_int_equal(g.v[0].first, 1721134807ull * 1000000ull);

    const char *api = "{\"query_status\": \"ok\", \"data\": [{\"ioc\": \"http://x.test/a.exe\", "
                      "\"ioc_type\": \"url\", \"threat_type\": \"payload_delivery\"},"
                      "{\"ioc\": \"cc.test\", \"ioc_type\": \"domain\", \"threat_type\": "
                      "\"botnet_cc\"}]}";
    assert_int_equal(parse(api, TA_INTEL_FMT_AUTO, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(g.v[1].kind, TA_INTEL_KIND_C2);

    /* A broken document is refused before anything is emitted. */
    static const char *const broken[] = {
        "{\"1\": [{\"ioc_value\": \"cc.test\", \"ioc_type\": \"domain\"}], \"2\": [",
        "{\"1\": [{\"ioc_value\": \"cc.test\", \"ioc_type\": \"domain\"}]} trailing",
        "{\"1\": [{\"ioc_value\": \"cc.test\", \"ioc_type\": \"domain\"}] \"2\": []}",
        "{\"1\": [{\"ioc_value\": \"cc.test\", \"ioc_type\": \"domain\"]}]}",
        "{\"1\": [{\"ioc_value\": \"cc.test\n\", \"ioc_type\": \"domain\"}]}",
    };
    for (size_t k = 0; k < sizeof(broken) / sizeof(broken[0]); k++) {
        assert_int_equal(parse(broken[k], TA_INTEL_FMT_THREATFOX_JSON, &g, &r), TA_ERR_FORMAT);
        assert_int_equal(g.n, 0);
        assert_int_equal(r.rejected, 1);
        assert_non_null(strstr(r.shown[0].reason, "invalid JSON"));
    }
    /* Feodo, PhishTank and top-sites arrays are streamed the same way. */
    assert_int_equal(parse("[{\"ip_address\": \"192.0.2.1\", \"malware\": \"Dridex\"}, 5, "
                           "{\"ip_address\": \"192.0.2.2\", \"malware\": \"QakBot\"}]",
                           TA_INTEL_FMT_FEODO_JSON, &g, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.shown[0].line, 2);
    assert_string_equal(g.v[1].family, "QakBot");
    assert_int_equal(parse("{\"a\": 1}", TA_INTEL_FMT_FEODO_JSON, &g, &r), TA_ERR_FORMAT);
    assert_string_equal(r.shown[0].reason, "expected a JSON array");
}

struct counter {
    uint64_t n, c2;
};

static ta_err count_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct counter *c = user;
    c->n++;
    c->c2 += ind->kind == TA_INTEL_KIND_C2;
    return TA_OK;
}

/* A generated export of 200000 records (about 60 MB) imports completely. */
static void test_threatfox_large(void **state)
{
    (void)state;
    const size_t nrec = 200000;
    size_t cap = nrec * 320 + 64, len = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    b[len++] = '{';
    for (size_t i = 0; i < nrec; i++) {
        int n = snprintf(b + len, cap - len,
                         "%s\n  \"%zu\": [\n    {\n      \"ioc_value\": \"10.%zu.%zu.%zu:%zu\",\n"
                         "      \"ioc_type\": \"ip:port\",\n      \"threat_type\": \"%s\",\n"
                         "      \"malware\": \"win.cobalt_strike\",\n"
                         "      \"malware_printable\": \"Cobalt Strike\",\n"
                         "      \"first_seen_utc\": \"2024-07-16 13:00:07\",\n"
                         "      \"confidence_level\": 100,\n      \"tags\": \"c2,cs\"\n    }\n  ]",
                         i == 0 ? "" : ",", 1000000 + i, i >> 16 & 255, i >> 8 & 255, i & 255,
                         1024 + i % 50000, i % 4 == 0 ? "payload_delivery" : "botnet_cc");
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    b[len++] = '}';
    struct ta_intel_load_opts o = {.format = TA_INTEL_FMT_AUTO, .allow_private = true};
    struct ta_intel_load_result r;
    struct counter c = {0, 0};
    assert_int_equal(ta_intel_parse((const uint8_t *)b, len, &o, count_cb, &c, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_THREATFOX_JSON);
    assert_int_equal(r.accepted, nrec);
    assert_int_equal(c.n, nrec);
    assert_int_equal(c.c2, nrec - nrec / 4);
    assert_int_equal(r.rejected, 0);
    free(b);
}

/* ---- IDNA ------------------------------------------------------------------ */

static void check_canon(const char *in, enum ta_intel_type t, const char *want)
{
    char out[TA_INTEL_URL_MAX + 16];
    const char *why = NULL;
    bool ok = ta_intel_value_canon(in, strlen(in), &t, out, sizeof(out), &why);
    if (!ok)
        fail_msg("%s refused: %s", in, why);
    assert_string_equal(out, want);
}

static void test_idna(void **state)
{
    (void)state;
    check_canon("bücher.example", TA_INTEL_DOMAIN, "xn--bcher-kva.example");
    check_canon("BÜCHER.Example.", TA_INTEL_DOMAIN, "xn--bcher-kva.example");
    check_canon("bücher.example", TA_INTEL_TYPE__COUNT, "xn--bcher-kva.example");
    /* Non-transitional, as browsers: "ß" is its own letter. */
    check_canon("straße.de", TA_INTEL_DOMAIN, "xn--strae-oqa.de");
    check_canon("пример.рф", TA_INTEL_DOMAIN, "xn--e1afmkfd.xn--p1ai");
    check_canon("*.münchen.de", TA_INTEL_DOMAIN, "xn--mnchen-3ya.de");
    /* Already an A-label: unchanged. */
    check_canon("xn--bcher-kva.example", TA_INTEL_DOMAIN, "xn--bcher-kva.example");
    /* The host of a URL; user information, port and path kept. */
    check_canon("http://Bücher.example:8080/a?q=1", TA_INTEL_URL,
                "http://xn--bcher-kva.example:8080/a?q=1");
    check_canon("https://u@日本語.jp/x", TA_INTEL_TYPE__COUNT, "https://xn--wgv71a119e.jp/x");
    /* Without a scheme; a "://" later in the URL is not one. */
    check_canon("bücher.example/r?u=http://x", TA_INTEL_URL,
                "http://xn--bcher-kva.example/r?u=http://x");

    char out[512];
    const char *why = NULL;
    enum ta_intel_type t = TA_INTEL_DOMAIN;
    assert_false(ta_intel_value_canon("b\xfc"
                                      "cher.example",
                                      13, &t, out, sizeof(out), &why));
    assert_string_equal(why, "invalid IDNA name: not UTF-8");
    t = TA_INTEL_DOMAIN;
    assert_false(ta_intel_value_canon("a\xe2\x92\x88.example", 11, &t, out, sizeof(out), &why));
    assert_non_null(strstr(why, "invalid IDNA name"));

    /* In a feed: a refused name is a counted reject with its reason. */
    const char *list = "bücher.example\nb\xfc"
                       "cher.example\n";
    struct ta_intel_load_opts o = {
        .format = TA_INTEL_FMT_PLAIN, .have_kind = true, .kind = TA_INTEL_KIND_C2};
    struct got g;
    struct ta_intel_load_result r;
    memset(&g, 0, sizeof(g));
    assert_int_equal(ta_intel_parse((const uint8_t *)list, strlen(list), &o, got_cb, &g, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.shown[0].line, 2);
    assert_non_null(strstr(r.shown[0].reason, "invalid IDNA name: not UTF-8"));
    assert_string_equal(g.v[0].value, "xn--bcher-kva.example");
}

/* Stored in A-label form, the indicator matches the name as DNS and SNI carry it. */
static void test_idna_match(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "/tmp/ta-test-intel-idna-%d.db", (int)getpid());
    unlink(path);
    struct ta_intel_db *db;
    char err[256];
    assert_int_equal(ta_intel_db_open(path, &db, err, sizeof(err)), TA_OK);
    const char *list = "bücher.example\nhttp://straße.de/login\n";
    struct ta_intel_load_opts o = {
        .format = TA_INTEL_FMT_PLAIN, .have_kind = true, .kind = TA_INTEL_KIND_C2};
    struct ta_intel_load_result r;
    assert_int_equal(
        ta_intel_db_import_buffer(db, "idn.txt", (const uint8_t *)list, strlen(list), &o, &r),
        TA_OK);
    assert_int_equal(r.accepted, 2);
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(db, NULL, &idx), TA_OK);
    struct ta_intel_match m[4];
    const char *q = "www.xn--bcher-kva.example";
    assert_int_equal(ta_intel_match_domain(idx, q, strlen(q), 0, 0, m, 4), 1);
    assert_string_equal(m[0].value, "xn--bcher-kva.example");
    q = "http://xn--strae-oqa.de/login";
    assert_int_equal(ta_intel_match_url(idx, q, strlen(q), 0, 0, m, 4), 1);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    unlink(path);
    char w[160];
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stix_and_sources),
        cmocka_unit_test(test_stix_producers_coexist),
        cmocka_unit_test(test_stix_real),
        cmocka_unit_test(test_misp_attribute_search),
        cmocka_unit_test(test_misp_events),
        cmocka_unit_test(test_openphish_json),
        cmocka_unit_test(test_threatfox_stream),
        cmocka_unit_test(test_threatfox_large),
        cmocka_unit_test(test_idna),
        cmocka_unit_test(test_idna_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
