/*
 * Unit tests for tools/gen/gen-precision.c: the topsites and precision
 * scenarios write captures whose packets and contacts are exactly what their
 * truth and manifest files state, the same for a seed, and --time-shift-ms
 * moves every packet time and nothing else.
 */
#include "testutil.h"

#include "craft.h"
#include "../../../tools/gen/gen-util.c"
#include "../../../tools/gen/gen-precision.c"

#include <jansson.h>
#include <pcap/pcap.h>

struct counts {
    uint64_t packets;
    uint64_t syn;      /* SYN without ACK (connection attempts, retransmissions too) */
    uint64_t synack;   /* SYN+ACK */
    uint64_t dns_q;    /* UDP to port 53 */
    uint64_t icmp;     /* ICMP packets */
    uint64_t syn_to_x; /* SYNs to the address `x` */
    uint8_t x[4];
};

static void count_pcap(const char *path, struct counts *c)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        c->packets++;
        assert_true(h->caplen >= 34 && d[12] == 0x08 && d[13] == 0x00);
        const u_char *ip = d + 14;
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        if (ip[9] == 1) {
            c->icmp++;
        } else if (ip[9] == 17) {
            if ((ip[ihl + 2] << 8 | ip[ihl + 3]) == 53)
                c->dns_q++;
        } else if (ip[9] == 6) {
            uint8_t fl = ip[ihl + 13];
            if ((fl & 0x12) == 0x02) {
                c->syn++;
                if (memcmp(ip + 16, c->x, 4) == 0)
                    c->syn_to_x++;
            }
            if ((fl & 0x12) == 0x12)
                c->synack++;
        }
    }
    pcap_close(p);
}

static json_t *load(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    return j;
}

static uint64_t jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return (uint64_t)json_integer_value(v);
}

static void ip_bytes(const char *s, uint8_t out[4])
{
    unsigned a, b, c, d;
    assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    out[0] = (uint8_t)a;
    out[1] = (uint8_t)b;
    out[2] = (uint8_t)c;
    out[3] = (uint8_t)d;
}

static void run(const char *scenario, const char *out, uint64_t seed, uint64_t shift_us,
                const char *top_sites)
{
    struct tg_geo *g = NULL;
    assert_int_equal(tg_geo_open(&g, NULL), TA_OK);
    struct tg_gen_opts o = {.scenario = scenario,
                            .out = out,
                            .seed = seed,
                            .quiet = true,
                            .shift_us = shift_us,
                            .top_sites = top_sites};
    assert_true(ta_date_parse("2014-03-20", &o.from));
    o.to = o.from;
    ta_err e = strcmp(scenario, "topsites") == 0 ? tg_scenario_topsites(&o, g)
                                                 : tg_scenario_precision(&o, g);
    assert_int_equal(e, TA_OK);
    tg_geo_free(g);
}

static void test_topsites(void **state)
{
    (void)state;
    char dir[256];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "test-gen-topsites"), 0);
    /* No installed list: the built-in names, Bing first, at its own address. */
    setenv("THREATATLAS_DATA_DIR", dir, 1);
    run("topsites", dir, 7, 0, NULL);
    json_t *t = load(dir, "truth-topsites.json");
    assert_string_equal(json_string_value(json_object_get(t, "names_from")), "built-in names");
    json_t *sites = json_object_get(t, "sites");
    assert_int_equal(json_array_size(sites), 8);
    json_t *bing = json_array_get(sites, 0);
    assert_string_equal(json_string_value(json_object_get(bing, "listed")), "bing.com");
    assert_string_equal(json_string_value(json_object_get(bing, "visited_as")), "www.bing.com");
    assert_string_equal(json_string_value(json_object_get(bing, "ip")), "204.79.197.200");

    char path[512];
    snprintf(path, sizeof(path), "%s/topsites.pcap", dir);
    uint64_t conns = 0, lookups = 0;
    for (size_t i = 0; i < json_array_size(sites); i++) {
        json_t *s = json_array_get(sites, i);
        struct counts c = {0};
        ip_bytes(json_string_value(json_object_get(s, "ip")), c.x);
        count_pcap(path, &c);
        /* One SYN per connection the truth records for that site. */
        assert_int_equal(c.syn_to_x, jint(s, "connections"));
        conns += jint(s, "connections");
        lookups += jint(s, "dns_lookups");
    }
    /* 10 hosts x 3 distinct sites, one lookup each. */
    assert_int_equal(lookups, 30);
    json_t *c2 = json_object_get(t, "c2");
    struct counts c = {0};
    ip_bytes(json_string_value(json_object_get(c2, "ip")), c.x);
    count_pcap(path, &c);
    assert_int_equal(c.syn_to_x, 6);
    assert_int_equal(jint(c2, "connections"), 6);
    assert_int_equal(json_array_size(json_object_get(c2, "hosts")), 3);
    assert_int_equal(c.packets, jint(t, "packets"));
    assert_int_equal(c.syn, conns + 6);
    assert_int_equal(c.synack, conns + 6);
    assert_int_equal(c.dns_q, 30);
    assert_int_equal(jint(t, "tcp_flows"), conns + 6);
    assert_int_equal(jint(t, "udp_flows"), 30);
    json_t *x = json_object_get(t, "expected");
    assert_int_equal(jint(x, "suppressed_events"), conns);
    assert_int_equal(jint(x, "counted_c2_events"), 6);
    assert_int_equal(jint(x, "c2_servers"), 1);
    assert_int_equal(jint(x, "controlled_hosts"), 3);
    json_decref(t);

    /* The trail lists the even sites and the C&C, the CSV the odd ones and the C&C. */
    snprintf(path, sizeof(path), "%s/trails/static/malware/bazarloader.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    int entries = 0;
    bool bing_listed = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        entries++;
        bing_listed |= strcmp(line, "204.79.197.200:443\n") == 0;
    }
    fclose(f);
    assert_int_equal(entries, 5);
    assert_true(bing_listed);

    /* A list given with --top-sites: names come from it. */
    snprintf(path, sizeof(path), "%s/list.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[", f);
    for (int i = 0; i < 20; i++)
        fprintf(f, "%s{\"rank\": %d, \"rootDomain\": \"site%d.example\"}", i ? "," : "", i + 1, i);
    fputs("]\n", f);
    fclose(f);
    char dir2[300];
    snprintf(dir2, sizeof(dir2), "%s/listed", dir);
    assert_int_equal(mkdir(dir2, 0777), 0);
    run("topsites", dir2, 7, 0, path);
    t = load(dir2, "truth-topsites.json");
    assert_string_equal(json_string_value(json_object_get(t, "names_from")),
                        "installed top-sites list");
    sites = json_object_get(t, "sites");
    for (size_t i = 0; i < json_array_size(sites); i++)
        assert_int_equal(
            strncmp(json_string_value(json_object_get(json_array_get(sites, i), "listed")), "site",
                    4),
            0);
    json_decref(t);
    unsetenv("THREATATLAS_DATA_DIR");
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

static void test_precision(void **state)
{
    (void)state;
    char dir[256];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "test-gen-precision"), 0);
    run("precision", dir, 5, 0, NULL);
    json_t *m = load(dir, "manifest-precision.json");
    json_t *files = json_object_get(m, "files");
    static const struct {
        const char *file;
        uint64_t packets, tcp, udp, icmp, syn, events, counted;
    } want[] = {
        /* 3 connections: 404 (11), unanswered then FIN after 30 s (8), 200 (9) */
        {"webshell-probe.pcap", 28, 3, 0, 0, 3, 3, 1},
        /* 4 echo pairs, HTTP to 80, TLS to 443 */
        {"ipport-icmp.pcap", 32, 2, 0, 1, 2, 3, 1},
        /* 2 DNS pairs, 2 downloads of 6000 bytes, 1 check-in */
        {"payload.pcap", 46, 3, 2, 0, 3, 3, 1},
        /* a SYN and 2 retransmissions, then a full check-in */
        {"attempted.pcap", 13, 2, 0, 0, 4, 2, 2},
    };
    assert_int_equal(json_object_size(files), 4);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        json_t *v = json_object_get(files, want[i].file);
        assert_non_null(v);
        assert_int_equal(jint(v, "packets"), want[i].packets);
        assert_int_equal(jint(v, "tcp_flows"), want[i].tcp);
        assert_int_equal(jint(v, "udp_flows"), want[i].udp);
        assert_int_equal(jint(v, "icmp_flows"), want[i].icmp);
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, want[i].file);
        struct counts c = {0};
        count_pcap(path, &c);
        assert_int_equal(c.packets, want[i].packets);
        assert_int_equal(c.syn, want[i].syn);
        assert_int_equal(c.dns_q, want[i].udp);
        assert_int_equal(c.icmp, want[i].icmp ? 8 : 0);
        json_t *ev = json_object_get(v, "expected");
        assert_int_equal(json_array_size(ev), want[i].events);
        uint64_t counted = 0;
        for (size_t k = 0; k < json_array_size(ev); k++)
            counted += json_is_true(json_object_get(json_array_get(ev, k), "counted"));
        assert_int_equal(counted, want[i].counted);
    }
    /* The probes are never counted; the attempted contact is, not established. */
    json_t *ws = json_object_get(json_object_get(files, "webshell-probe.pcap"), "expected");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ws, 0), "method")),
                        "probe");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ws, 2), "kind")),
                        "backdoor");
    json_t *at = json_object_get(json_object_get(files, "attempted.pcap"), "expected");
    assert_true(json_is_false(json_object_get(json_array_get(at, 0), "established")));
    assert_true(json_is_true(json_object_get(json_array_get(at, 1), "established")));
    json_decref(m);
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

/* Every record of b is a's record with the time moved by shift_us. */
static void assert_shifted(const char *a, const char *b, uint64_t shift_us)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pa = pcap_open_offline(a, err), *pb = pcap_open_offline(b, err);
    assert_non_null(pa);
    assert_non_null(pb);
    struct pcap_pkthdr *ha, *hb;
    const u_char *da, *db;
    uint64_t n = 0;
    int ra, rb;
    while ((ra = pcap_next_ex(pa, &ha, &da)) == 1) {
        rb = pcap_next_ex(pb, &hb, &db);
        assert_int_equal(rb, 1);
        uint64_t ta = (uint64_t)ha->ts.tv_sec * 1000000u + (uint64_t)ha->ts.tv_usec;
        uint64_t tb = (uint64_t)hb->ts.tv_sec * 1000000u + (uint64_t)hb->ts.tv_usec;
        assert_int_equal(tb - ta, shift_us);
        assert_int_equal(ha->caplen, hb->caplen);
        assert_memory_equal(da, db, ha->caplen);
        n++;
    }
    assert_int_equal(pcap_next_ex(pb, &hb, &db), -2);
    assert_true(n > 0);
    pcap_close(pa);
    pcap_close(pb);
}

static void test_determinism_and_shift(void **state)
{
    (void)state;
    char dir[256], a[300], b[300], c[300], p1[400], p2[400];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "test-gen-shift"), 0);
    setenv("THREATATLAS_DATA_DIR", dir, 1);
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(b, sizeof(b), "%s/b", dir);
    snprintf(c, sizeof(c), "%s/c", dir);
    assert_int_equal(mkdir(a, 0777), 0);
    assert_int_equal(mkdir(b, 0777), 0);
    assert_int_equal(mkdir(c, 0777), 0);
    run("topsites", a, 9, 0, NULL);
    run("topsites", b, 9, 2000, NULL);
    run("topsites", c, 9, 0, NULL);
    snprintf(p1, sizeof(p1), "%s/topsites.pcap", a);
    snprintf(p2, sizeof(p2), "%s/topsites.pcap", b);
    assert_shifted(p1, p2, 2000);
    snprintf(p2, sizeof(p2), "%s/topsites.pcap", c);
    assert_shifted(p1, p2, 0);
    run("precision", a, 9, 0, NULL);
    run("precision", b, 9, 2000, NULL);
    snprintf(p1, sizeof(p1), "%s/payload.pcap", a);
    snprintf(p2, sizeof(p2), "%s/payload.pcap", b);
    assert_shifted(p1, p2, 2000);
    unsetenv("THREATATLAS_DATA_DIR");
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topsites),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_determinism_and_shift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
