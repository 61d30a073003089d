/*
 * Report: exact counts by country pair and period over the fixture data
 * (report-fixture.h, counts worked out by hand there), JSON shape parsed back
 * with jansson, text sentences, CSV, evidence lists, event export.
 */
#include "testutil.h"

#include <jansson.h>
#include <unistd.h>

#include "threatatlas/report.h"
#include "threatatlas/store.h"

#include "report-fixture.h"

struct ctx {
    char path[64];
    struct ta_store *st;
};

/*
 * Prestate (optional): a memcap. 1 byte commits every event's rollups in a
 * batch of its own; the counts must be the same.
 */
static size_t sql_path_memcap = 1;

static int setup(void **state)
{
    const size_t *memcap = *state;
    struct ctx *c = calloc(1, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "/tmp/ta-report-%d.db", (int)getpid());
    unlink(c->path);
    char err[TA_STORE_ERRLEN];
    if (ta_store_open(c->path, TA_STORE_CREATE, &c->st, err) != TA_OK)
        return -1;
    ta_store_set_batch(c->st, 4);
    if (memcap != NULL)
        ta_store_set_memcap(c->st, *memcap);
    if (fx_run(c->st, 1) != TA_OK)
        return -1;
    struct ta_store_stats stats;
    ta_store_get_stats(c->st, &stats);
    if ((stats.mem_overflows > 0) != (memcap != NULL))
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    ta_store_close(c->st);
    char p[80];
    unlink(c->path);
    snprintf(p, sizeof(p), "%s-wal", c->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", c->path);
    unlink(p);
    free(c);
    return 0;
}

static void query(struct ta_report_query *q, int from, int to, const char *src, const char *dst)
{
    ta_report_query_init(q);
    q->from_day = FX_D0 + from;
    q->to_day = FX_D0 + to;
    if (src)
        assert_int_equal(ta_report_query_cc(q->src_cc, src), TA_OK);
    if (dst)
        assert_int_equal(ta_report_query_cc(q->dst_cc, dst), TA_OK);
}

/* Output of fn into a malloc'd string. */
static char *render(struct ta_report *r, enum ta_report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_write(r, fmt, f), TA_OK);
    fclose(f);
    return buf;
}

static struct ta_report *compute(struct ctx *c, int from, int to, const char *src, const char *dst)
{
    struct ta_report_query q;
    query(&q, from, to, src, dst);
    struct ta_report *r = NULL;
    assert_int_equal(ta_report_compute(c->st, &q, &r), TA_OK);
    return r;
}

static void assert_row(const struct ta_report *r, enum ta_report_section sec, bool susp, size_t idx,
                       const char *src, const char *dst, uint64_t attackers, uint64_t targets,
                       uint64_t flows, uint64_t events)
{
    const struct ta_report_row *rows;
    size_t n = ta_report_rows(r, sec, susp, &rows);
    assert_true(idx < n);
    assert_string_equal(rows[idx].src_cc, src);
    assert_string_equal(rows[idx].dst_cc, dst);
    assert_int_equal(rows[idx].attackers, attackers);
    assert_int_equal(rows[idx].targets, targets);
    assert_int_equal(rows[idx].flows, flows);
    assert_int_equal(rows[idx].events, events);
}

static size_t nrows(const struct ta_report *r, enum ta_report_section sec, bool susp)
{
    const struct ta_report_row *rows;
    return ta_report_rows(r, sec, susp, &rows);
}

static void test_whole_period(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 0, 2, NULL, NULL);
    assert_false(ta_report_db_empty(r));
    assert_false(ta_report_period_empty(r));
    /* A host contacting servers in US and DE counts under both pairs. */
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, false), 2);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 3, 4, 0, 6);
    assert_row(r, TA_REPORT_BOTNET, false, 1, "DE", "CN", 1, 1, 0, 1);
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, true), 1);
    assert_row(r, TA_REPORT_BOTNET, true, 0, "US", "CN", 1, 1, 0, 1);
    /* Flow 100 carries two requests: one attack; flow 104 spans midnight: one. */
    assert_int_equal(nrows(r, TA_REPORT_PHISHING, false), 1);
    assert_row(r, TA_REPORT_PHISHING, false, 0, "RU", "CN", 2, 3, 5, 5);
    assert_int_equal(nrows(r, TA_REPORT_PHISHING, true), 0);
    /* Websites: shop.example, www.example.com (Host lowered, port cut), 10.1.0.2. */
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, false), 1);
    assert_row(r, TA_REPORT_BACKDOOR, false, 0, "US", "CN", 2, 3, 0, 6);
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, true), 1);
    assert_row(r, TA_REPORT_BACKDOOR, true, 0, "FR", "CN", 1, 1, 0, 1);
    ta_report_free(r);
}

static void test_period_cuts_data(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 1, 2, NULL, NULL);
    /* 1.1.1.1 seen on D0 and D1 counts once; 10.0.0.1 likewise. */
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 3, 3, 0, 3);
    assert_row(r, TA_REPORT_BOTNET, false, 1, "DE", "CN", 1, 1, 0, 1);
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, true), 0);
    assert_row(r, TA_REPORT_PHISHING, false, 0, "RU", "CN", 1, 2, 3, 3);
    assert_row(r, TA_REPORT_BACKDOOR, false, 0, "US", "CN", 2, 2, 0, 2);
    ta_report_free(r);

    r = compute(c, 0, 0, NULL, NULL);
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, false), 1);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 1, 2, 0, 3);
    assert_row(r, TA_REPORT_PHISHING, false, 0, "RU", "CN", 1, 2, 2, 2);
    assert_row(r, TA_REPORT_BACKDOOR, false, 0, "US", "CN", 1, 2, 0, 4);
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, true), 0);
    ta_report_free(r);

    /* D1 alone: 7.7.7.7 and shop.example (seen D0 and D2) are not in it. */
    r = compute(c, 1, 1, NULL, NULL);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 2, 2, 0, 2);
    assert_row(r, TA_REPORT_PHISHING, false, 0, "RU", "CN", 1, 2, 3, 3);
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, false), 0);
    ta_report_free(r);

    /* D2 alone: flow 104 is one event, dated by its first request (D1). */
    r = compute(c, 2, 2, NULL, NULL);
    assert_int_equal(nrows(r, TA_REPORT_PHISHING, false), 0);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 1, 1, 0, 1);
    ta_report_free(r);
}

static void test_filters(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 0, 2, "us", NULL);
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, false), 1);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 3, 4, 0, 6);
    assert_int_equal(nrows(r, TA_REPORT_PHISHING, false), 0);
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, false), 1);
    assert_int_equal(nrows(r, TA_REPORT_BACKDOOR, true), 0);
    ta_report_free(r);

    r = compute(c, 0, 2, NULL, "DE");
    assert_true(ta_report_period_empty(r));
    assert_false(ta_report_db_empty(r));
    ta_report_free(r);

    r = compute(c, 0, 2, "DE", "CN");
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, false), 1);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "DE", "CN", 1, 1, 0, 1);
    ta_report_free(r);
}

static void test_json_shape(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 0, 2, NULL, NULL);
    char *out = render(r, TA_REPORT_FMT_JSON);
    json_error_t jerr;
    json_t *got = json_loads(out, 0, &jerr);
    assert_non_null(got);
    json_t *want = json_loads(
        "{\"period\": {\"from\": \"2014-03-19\", \"to\": \"2014-03-21\"}, \"home\": [\"CN\"],"
        " \"botnet\": [{\"src_cc\": \"US\", \"dst_cc\": \"CN\", \"c2_servers\": 3,"
        "   \"controlled_hosts\": 4, \"controlled_hosts_established\": 3,"
        "   \"c2_servers_undated\": 1},"
        "  {\"src_cc\": \"DE\", \"dst_cc\": \"CN\", \"c2_servers\": 1, \"controlled_hosts\": 1,"
        "   \"controlled_hosts_established\": 1, \"c2_servers_undated\": 0}],"
        " \"phishing\": [{\"src_cc\": \"RU\", \"dst_cc\": \"CN\", \"phishing_hosts\": 2,"
        "   \"phishing_pages\": 3, \"phishing_attacks\": 5}],"
        " \"backdoor\": [{\"src_cc\": \"US\", \"dst_cc\": \"CN\", \"attacker_ips\": 2,"
        "   \"backdoor_attacks\": 6, \"compromised_websites\": 3}],"
        " \"payload\": [{\"src_cc\": \"NL\", \"dst_cc\": \"CN\", \"payload_hosts\": 1,"
        "   \"downloading_hosts\": 2, \"downloads\": 2}],"
        " \"suppressed\": {\"c2\": {\"top-sites\": 1}}}",
        0, &jerr);
    assert_non_null(want);
    /* Every key of the published shape is present with exactly these values. */
    const char *key;
    json_t *val;
    json_object_foreach(want, key, val)
    {
        json_t *g = json_object_get(got, key);
        assert_non_null(g);
        if (!json_equal(g, val)) {
            char *d = json_dumps(g, 0);
            print_message("key %s differs: %s\n", key, d);
            free(d);
            fail();
        }
    }
    /* Suspected counts are extra arrays, never in the confirmed ones. */
    json_t *susp = json_object_get(got, "suspected");
    assert_non_null(susp);
    json_t *sb = json_loads("[{\"src_cc\": \"US\", \"dst_cc\": \"CN\", \"c2_servers\": 1,"
                            " \"controlled_hosts\": 1, \"controlled_hosts_established\": 1,"
                            " \"c2_servers_undated\": 0}]",
                            0, &jerr);
    assert_true(json_equal(json_object_get(susp, "botnet"), sb));
    assert_int_equal(json_array_size(json_object_get(susp, "phishing")), 0);
    assert_int_equal(json_array_size(json_object_get(susp, "backdoor")), 1);
    json_t *data = json_object_get(got, "data");
    assert_string_equal(json_string_value(json_object_get(data, "credit")),
                        "IP geolocation: ip-location-db (CC BY 4.0)");
    assert_string_equal(json_string_value(json_array_get(json_object_get(data, "geoip"), 0)),
                        "ip-location-db 2014-03-01");
    /* The fixture run's sensor; GeoIP built 2014-03-01, before the traffic: no note. */
    json_t *sensors = json_object_get(data, "sensors");
    assert_int_equal(json_array_size(sensors), 1);
    assert_string_equal(json_string_value(json_array_get(sensors, 0)), "sensor-a");
    assert_int_equal(json_array_size(json_object_get(data, "notes")), 0);
    json_decref(sb);
    json_decref(want);
    json_decref(got);
    free(out);
    ta_report_free(r);
}

static void test_text_sentences(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 0, 2, "US", "CN");
    char *out = render(r, TA_REPORT_FMT_TEXT);
    assert_string_equal(
        out, "3 trojan or botnet control servers located in US directly controlled 4 hosts in CN; "
             "2 IP addresses located in US planted backdoors in 3 websites in CN, in 6 backdoor "
             "attack events.\n"
             "  Suspected, not counted above: 1 suspected C&C server located in US was contacted "
             "by 1 host in CN.\n"
             "Suppressed by allow lists, not counted: 1 c2 event by top-sites.\n"
             "\n"
             "Period: 2014-03-19 to 2014-03-21 (UTC, both days included); attacker country US, "
             "victim country CN\n"
             "Home constituency: CN\n"
             "Threat intel: feedA 2014-03-18; feedB 2014-03-17\n"
             "GeoIP: ip-location-db 2014-03-01\n"
             "Sensors: sensor-a\n"
             "IP geolocation: ip-location-db (CC BY 4.0)\n");
    free(out);
    ta_report_free(r);

    /* All pairs: largest first (US->CN 4+6, RU->CN 5, DE->CN 1, FR->CN suspected only). */
    r = compute(c, 0, 2, NULL, NULL);
    out = render(r, TA_REPORT_FMT_TEXT);
    const char *us = strstr(out, "located in US directly");
    const char *ru = strstr(out, "2 hosts located in RU served 3 phishing pages to visitors in "
                                 "CN, causing 5 fraud events.\n");
    const char *de = strstr(out, "1 trojan or botnet control server located in DE directly "
                                 "controlled 1 host in CN.\n");
    const char *fr = strstr(out, "  Suspected, not counted above: 1 IP address located in FR "
                                 "sent suspected backdoor requests to 1 website in CN, in 1 "
                                 "suspected backdoor request.\n");
    assert_non_null(us);
    assert_non_null(ru);
    assert_non_null(de);
    assert_non_null(fr);
    const char *nl = strstr(out, "Malware downloads (not C&C): 1 host located in NL delivered "
                                 "malware payloads to 2 hosts in CN, in 2 downloads.\n");
    assert_non_null(nl);
    assert_true(us < ru && ru < de && de < fr && fr < nl);
    free(out);
    ta_report_free(r);
}

static void test_csv(void **state)
{
    struct ctx *c = *state;
    struct ta_report *r = compute(c, 0, 2, NULL, NULL);
    char *out = render(r, TA_REPORT_FMT_CSV);
    assert_string_equal(out,
                        "section,status,src_cc,dst_cc,c2_servers,controlled_hosts,phishing_hosts,"
                        "phishing_pages,phishing_attacks,attacker_ips,compromised_websites,"
                        "backdoor_attacks,controlled_hosts_established,c2_servers_undated,"
                        "payload_hosts,downloading_hosts,downloads\n"
                        "botnet,confirmed,US,CN,3,4,,,,,,,3,1,,,\n"
                        "botnet,confirmed,DE,CN,1,1,,,,,,,1,0,,,\n"
                        "phishing,confirmed,RU,CN,,,2,3,5,,,,,,,,\n"
                        "backdoor,confirmed,US,CN,,,,,,2,3,6,,,,,\n"
                        "botnet,suspected,US,CN,1,1,,,,,,,1,0,,,\n"
                        "backdoor,suspected,FR,CN,,,,,,1,1,1,,,,,\n"
                        "payload,confirmed,NL,CN,,,,,,,,,,,1,2,2\n");
    free(out);
    ta_report_free(r);
}

static char *list(struct ctx *c, enum ta_report_list l, size_t limit, enum ta_report_format fmt,
                  int from, int to)
{
    struct ta_report_query q;
    query(&q, from, to, NULL, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_list_write(c->st, &q, l, limit, fmt, f), TA_OK);
    fclose(f);
    return buf;
}

static void test_lists(void **state)
{
    struct ctx *c = *state;
    char *out = list(c, TA_LIST_C2_SERVERS, 0, TA_REPORT_FMT_CSV, 0, 2);
    assert_string_equal(
        out, "ip,cc,asn,as_name,family,sources,indicator,first_seen,last_seen,hosts,events\n"
             "1.1.1.1,US,64500,,zeus,\"feedA,feedB\",,2014-03-19T00:01:40.000000+0000,"
             "2014-03-20T00:01:40.000000+0000,2,4\n"
             "1.1.1.2,US,64500,,zeus,\"feedA,feedB\",,2014-03-20T00:03:20.000000+0000,"
             "2014-03-20T00:03:20.000000+0000,1,1\n"
             "1.1.1.3,US,64500,,zeus,\"feedA,feedB\",,2014-03-21T00:01:40.000000+0000,"
             "2014-03-21T00:01:40.000000+0000,1,1\n"
             "2.2.2.2,DE,64500,,zeus,\"feedA,feedB\",,2014-03-20T00:05:00.000000+0000,"
             "2014-03-20T00:05:00.000000+0000,1,1\n");
    free(out);

    out = list(c, TA_LIST_C2_SERVERS, 2, TA_REPORT_FMT_JSON, 0, 2);
    json_error_t jerr;
    json_t *a = json_loads(out, 0, &jerr);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "ip")), "1.1.1.1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "hosts")), 2);
    json_decref(a);
    free(out);

    out = list(c, TA_LIST_CONTROLLED_HOSTS, 1, TA_REPORT_FMT_CSV, 0, 2);
    /* 10.0.0.1 talked to two servers (1.1.1.1 and 2.2.2.2). */
    assert_non_null(strstr(out, "\n10.0.0.1,CN,0,,zeus,\"feedA,feedB\","));
    assert_non_null(strstr(out, ",2,4\n"));
    free(out);

    out = list(c, TA_LIST_PHISHING_PAGES, 0, TA_REPORT_FMT_CSV, 0, 2);
    assert_string_equal(out, "page,hosts,host_cc,visitors,events,sources,first_seen,last_seen\n"
                             "http://bank.example/login,2,RU,3,3,\"feedA,feedB\","
                             "2014-03-19T00:08:20.000000+0000,2014-03-20T23:59:00.000000+0000\n"
                             "http://bank.example/pay,1,RU,1,1,\"feedA,feedB\","
                             "2014-03-19T00:10:00.000000+0000,2014-03-19T00:10:00.000000+0000\n"
                             "pay.example,1,RU,1,1,\"feedA,feedB\","
                             "2014-03-20T00:10:00.000000+0000,2014-03-20T00:10:00.000000+0000\n");
    free(out);

    out = list(c, TA_LIST_BACKDOORED_SITES, 0, TA_REPORT_FMT_CSV, 0, 2);
    assert_non_null(strstr(out, "\nshop.example,10.1.0.1,CN,0,1,,0,"));
    assert_non_null(strstr(out, "\nwww.example.com,10.1.0.3,CN,"));
    assert_non_null(strstr(out, "\n10.1.0.2,10.1.0.2,CN,"));
    free(out);

    out = list(c, TA_LIST_BACKDOOR_SOURCES, 0, TA_REPORT_FMT_TEXT, 0, 2);
    assert_non_null(strstr(out, "\n7.7.7.7\tUS\t64500\t-\t-\t"));
    assert_non_null(strstr(out, "\t5\n"));
    free(out);

    out = list(c, TA_LIST_PHISHING_HOSTS, 0, TA_REPORT_FMT_TEXT, 30, 40);
    assert_non_null(strstr(out, "(none in this period)"));
    free(out);

    enum ta_report_list l;
    assert_true(ta_report_list_parse("backdoored-sites", &l));
    assert_int_equal(l, TA_LIST_BACKDOORED_SITES);
    assert_false(ta_report_list_parse("c2", &l));
}

static void test_events_export(void **state)
{
    struct ctx *c = *state;
    char *buf = NULL;
    size_t len = 0;
    uint64_t n = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_events_write(c->st, "backdoor", 0, TA_EVENTS_FMT_EVE, f, &n), TA_OK);
    fclose(f);
    assert_int_equal(n, 7); /* 6 backdoor + 1 backdoor-suspected */
    json_error_t jerr;
    json_t *first = json_loadb(buf, strcspn(buf, "\n"), 0, &jerr);
    assert_non_null(first);
    /* The attacker is the client of a backdoor request. */
    assert_string_equal(json_string_value(json_object_get(first, "src_ip")), "7.7.7.7");
    assert_string_equal(json_string_value(json_object_get(first, "event_type")), "alert");
    json_t *md = json_object_get(json_object_get(first, "alert"), "metadata");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "website"), 0)),
                        "shop.example");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(first, "alert"), "source"), "ip")),
                        "7.7.7.7");
    json_decref(first);
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    ta_time_us since = (ta_time_us)(FX_D0 + 2) * FX_DAY_US;
    assert_int_equal(ta_report_events_write(c->st, "c2", since, TA_EVENTS_FMT_INTELMQ, f, &n),
                     TA_OK);
    fclose(f);
    assert_int_equal(n, 1);
    json_t *im = json_loads(buf, 0, &jerr);
    assert_non_null(im);
    assert_string_equal(json_string_value(json_object_get(im, "source.ip")), "1.1.1.3");
    assert_string_equal(json_string_value(json_object_get(im, "classification.type")), "c2-server");
    assert_string_equal(json_string_value(json_object_get(im, "destination.geolocation.cc")), "CN");
    json_decref(im);
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_events_write(c->st, NULL, 0, TA_EVENTS_FMT_CSV, f, &n), TA_OK);
    fclose(f);
    assert_int_equal(n, FX_DISTINCT);
    size_t lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, FX_DISTINCT + 1);
    /* The new fields: the suppressed event names its list, every event its sensor. */
    assert_non_null(strstr(buf, ",0,1,0,top-sites,sensor-a\n"));
    assert_non_null(strstr(buf, "\n2014-03-21T00:16:40.000000+0000,payload,"));
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(ta_report_events_write(c->st, "payload", 0, TA_EVENTS_FMT_CSV, f, &n), TA_OK);
    fclose(f);
    assert_int_equal(n, 2);
    free(buf);

    f = fopen("/dev/null", "w");
    assert_int_equal(ta_report_events_write(c->st, "nonsense", 0, TA_EVENTS_FMT_CSV, f, &n),
                     TA_ERR_ARG);
    fclose(f);
}

/*
 * A period strictly inside a member's span (first day before it, last day
 * after it) is decided by the per-day sets: X is seen on D0, D1, D2 and
 * counts in [D1, D1]; Y is seen on D0 and D2 only and does not.
 */
static void test_period_inside_span(void **state)
{
    const size_t *memcap = *state;
    char path[64], err[TA_STORE_ERRLEN];
    snprintf(path, sizeof(path), "/tmp/ta-report-span-%d.db", (int)getpid());
    unlink(path);
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(path, TA_STORE_CREATE, &st, err), TA_OK);
    if (memcap != NULL)
        ta_store_set_memcap(st, *memcap);
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, 42);
    bool done;
    assert_int_equal(ta_store_run_begin(st, &info, &done), TA_OK);
    static const struct fx_ev evs[] = {
        {TA_EVENT_C2, 0, 10, "1.1.1.1", "US", "10.0.0.1", "CN", 1, NULL, NULL, NULL},
        {TA_EVENT_C2, 1, 10, "1.1.1.1", "US", "10.0.0.1", "CN", 2, NULL, NULL, NULL},
        {TA_EVENT_C2, 2, 10, "1.1.1.1", "US", "10.0.0.1", "CN", 3, NULL, NULL, NULL},
        {TA_EVENT_C2, 0, 20, "1.1.1.2", "US", "10.0.0.2", "CN", 4, NULL, NULL, NULL},
        {TA_EVENT_C2, 2, 20, "1.1.1.2", "US", "10.0.0.2", "CN", 5, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        struct ta_event ev;
        fx_make(&evs[i], &ev);
        assert_int_equal(ta_store_add_event(st, &ev), TA_OK);
    }
    assert_int_equal(ta_store_run_finish(st, 0, 0), TA_OK);
    struct ta_report_query q;
    query(&q, 1, 1, NULL, NULL);
    struct ta_report *r;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    assert_int_equal(nrows(r, TA_REPORT_BOTNET, false), 1);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 1, 1, 0, 1);
    ta_report_free(r);
    query(&q, 0, 2, NULL, NULL);
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    assert_row(r, TA_REPORT_BOTNET, false, 0, "US", "CN", 2, 2, 0, 5);
    ta_report_free(r);
    ta_store_close(st);
    unlink(path);
    char p[96];
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static void test_query_parsing(void **state)
{
    (void)state;
    struct ta_report_query q;
    ta_report_query_init(&q);
    assert_int_equal(ta_report_query_dates(&q, "2014-03-19", "2014-05-18"), TA_OK);
    assert_int_equal(q.from_day, FX_D0);
    assert_int_equal(q.to_day, FX_D0 + 60);
    assert_int_equal(ta_report_query_dates(&q, "2014-05-18", "2014-03-19"), TA_ERR_ARG);
    assert_int_equal(ta_report_query_dates(&q, "2014-02-30", "2014-03-19"), TA_ERR_ARG);
    assert_int_equal(ta_report_query_dates(&q, "yesterday", "2014-03-19"), TA_ERR_ARG);
    char cc[3];
    assert_int_equal(ta_report_query_cc(cc, "cn"), TA_OK);
    assert_string_equal(cc, "CN");
    assert_int_equal(ta_report_query_cc(cc, "CHN"), TA_ERR_ARG);
    assert_int_equal(ta_report_query_cc(cc, "C1"), TA_ERR_ARG);
    enum ta_report_format fmt;
    assert_true(ta_report_format_parse("csv", &fmt));
    assert_int_equal(fmt, TA_REPORT_FMT_CSV);
    assert_false(ta_report_format_parse("xml", &fmt));
}

static void test_empty(void **state)
{
    (void)state;
    char path[64], err[TA_STORE_ERRLEN];
    snprintf(path, sizeof(path), "/tmp/ta-report-empty-%d.db", (int)getpid());
    unlink(path);
    struct ta_store *st = NULL;
    assert_int_equal(ta_store_open(path, TA_STORE_CREATE, &st, err), TA_OK);
    struct ta_report_query q;
    query(&q, 0, 2, NULL, NULL);
    struct ta_report *r = NULL;
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    assert_true(ta_report_db_empty(r));
    char *out = render(r, TA_REPORT_FMT_TEXT);
    assert_string_equal(out, "No data: the database holds no analysis.\n");
    free(out);
    out = render(r, TA_REPORT_FMT_JSON);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_array(json_object_get(j, "botnet")));
    assert_int_equal(json_array_size(json_object_get(j, "botnet")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "phishing")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "backdoor")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "home")), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "period"), "from")),
                        "2014-03-19");
    json_decref(j);
    free(out);
    ta_report_free(r);

    /* Data, but not in the period asked for. */
    assert_int_equal(fx_run(st, 7), TA_OK);
    query(&q, 100, 110, NULL, NULL);
    assert_int_equal(ta_report_compute(st, &q, &r), TA_OK);
    assert_false(ta_report_db_empty(r));
    assert_true(ta_report_period_empty(r));
    out = render(r, TA_REPORT_FMT_TEXT);
    assert_true(strncmp(out, "No detections from 2014-06-27 to 2014-07-07.\n", 45) == 0);
    free(out);
    ta_report_free(r);
    ta_store_close(st);
    unlink(path);
    char p[96];
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_period_cuts_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_sentences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_export, setup, teardown),
#define SQL_PATH(t) cmocka_unit_test_prestate_setup_teardown(t, setup, teardown, &sql_path_memcap)
        SQL_PATH(test_whole_period),
        SQL_PATH(test_period_cuts_data),
        SQL_PATH(test_filters),
        SQL_PATH(test_json_shape),
        SQL_PATH(test_lists),
        cmocka_unit_test(test_period_inside_span),
        cmocka_unit_test_prestate(test_period_inside_span, &sql_path_memcap),
        cmocka_unit_test(test_query_parsing),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
