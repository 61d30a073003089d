/*
 * Unit tests for the flow export decoder (src/sources/flows-decode.c) over
 * the seed datagrams of its fuzz corpus (tests/fuzz/corpus/flows, written
 * by hand to the formats' specifications): exact fields of each record,
 * the sampling rate from the v5 header and from v9 options data by sampler
 * id, IPFIX enterprise and variable-length elements, a template withdrawal,
 * the template and exporter caps, and sFlow's sampled headers handed on as
 * packets. Plus the input-kind names and sniffing.
 */
#include "testutil.h"

#include "sources/flows-int.h"
#include "threatatlas/decode.h"

struct got {
    struct ta_flow f[16];
    struct ta_flow_origin o[16];
    size_t n;
    size_t packets;
    uint32_t pkt_len, pkt_wire;
    int pkt_lt;
};

static void on_flow(void *ud, const struct ta_flow *f)
{
    struct got *g = ud;
    if (g->n < 16) {
        g->f[g->n] = *f;
        g->o[g->n] = *f->origin;
        g->f[g->n].origin = NULL;
        g->n++;
    }
}

static void on_packet(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen)
{
    struct got *g = ud;
    (void)ts;
    (void)frame;
    g->packets++;
    g->pkt_lt = lt;
    g->pkt_len = caplen;
    g->pkt_wire = wirelen;
}

/* Feed a corpus file ([exporter][len16][datagram]...) to x. */
static void feed(struct ta__flows *x, const char *name, struct got *g)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fuzz/corpus/flows/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t size = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct ta_obs_sink sink = {.ud = g, .on_flow = on_flow};
    struct ta__flows_out fo = {.out = &sink, .packet = on_packet, .packet_ud = g};
    size_t off = 0;
    while (size - off >= 3) {
        size_t len = (size_t)buf[off + 1] << 8 | buf[off + 2];
        uint8_t v4[4] = {192, 0, 2, buf[off]};
        struct ta_addr a;
        ta_addr_set_v4(&a, v4);
        off += 3;
        assert_true(len <= size - off);
        ta__flows_datagram(x, &a, 2055, 0, buf + off, len, &fo);
        off += len;
    }
}

static struct ta__flows *new_flows(uint32_t max_templates, uint32_t max_exporters)
{
    struct ta_obsrc_opts o;
    ta_obsrc_opts_default(&o);
    o.max_templates = max_templates;
    o.max_exporters = max_exporters;
    struct ta__flows *x;
    assert_int_equal(ta__flows_new(&o, &x), TA_OK);
    return x;
}

static void addr_is(const struct ta_addr *a, const char *want)
{
    char b[TA_ADDR_STRLEN];
    assert_string_equal(ta_addr_format(a, b, sizeof(b)), want);
}

static void test_v5(void **state)
{
    (void)state;
    struct ta__flows *x = new_flows(8, 4);
    struct got g = {.n = 0};
    feed(x, "v5", &g);
    assert_int_equal(g.n, 2);
    addr_is(&g.f[0].src, "10.0.0.1");
    addr_is(&g.f[0].dst, "192.0.2.9");
    assert_int_equal(g.f[0].sp, 40000);
    assert_int_equal(g.f[0].dp, 443);
    assert_int_equal(g.f[0].proto, 6);
    assert_int_equal(g.f[0].pkts_toserver, 3);
    assert_int_equal(g.f[0].bytes_toserver, 300);
    assert_int_equal(g.f[0].tcp_flags_ts, 0x1b);
    /* export at 1700000000 s with uptime 100 s: first 90 s, last 99 s of uptime */
    assert_int_equal(g.f[0].start, 1699999990000000ull);
    assert_int_equal(g.f[0].last, 1699999999000000ull);
    assert_int_equal(g.o[0].sampling, 100);
    assert_string_equal(g.o[0].format, "netflow5");
    assert_int_equal(g.o[0].in_if, 1);
    assert_int_equal(g.o[0].out_if, 2);
    assert_true(g.o[0].unidirectional);
    /* ICMP: type and code from the destination port, as Cisco exports them */
    assert_int_equal(g.f[1].proto, 1);
    assert_int_equal(g.f[1].icmp_type, 8);
    assert_int_equal(g.f[1].icmp_code, 0);
    assert_int_equal(g.f[1].dp, 0);
    assert_int_equal(g.f[0].id, ta_flow_id_of(&g.f[0]));
    struct ta_obsrc_stats st;
    ta__flows_stats(x, &st);
    assert_int_equal(st.datagrams, 1);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.rejected, 0);
    ta__flows_free(x);
}

static void test_v9_options_sampling(void **state)
{
    (void)state;
    struct ta__flows *x = new_flows(8, 4);
    struct got g = {.n = 0};
    feed(x, "v9", &g);
    assert_int_equal(g.n, 3);
    for (size_t i = 0; i < 3; i++) {
        addr_is(&g.f[i].src, "10.0.0.3");
        addr_is(&g.f[i].dst, "203.0.113.7");
        assert_int_equal(g.f[i].dp, 8080);
        assert_int_equal(g.f[i].pkts_toserver, 12);
        assert_int_equal(g.f[i].bytes_toserver, 3400);
        /* sampler 5's interval, from options data */
        assert_int_equal(g.o[i].sampling, 512);
        assert_int_equal(g.o[i].domain, 7);
        assert_string_equal(g.o[i].format, "netflow9");
    }
    assert_int_equal(ta__flows_templates(x), 2);
    struct ta_obsrc_origin org[2];
    assert_int_equal(ta__flows_origins(x, org, 2), 1);
    assert_string_equal(org[0].exporter, "192.0.2.1");
    assert_int_equal(org[0].records, 3);
    assert_int_equal(org[0].sampling, 512);
    ta__flows_free(x);
}

static void test_ipfix_varlen_enterprise_withdrawal(void **state)
{
    (void)state;
    struct ta__flows *x = new_flows(8, 4);
    struct got g = {.n = 0};
    feed(x, "ipfix", &g);
    /* two records before the withdrawal; the data after it has no template */
    assert_int_equal(g.n, 2);
    addr_is(&g.f[0].dst, "8.8.8.8");
    assert_int_equal(g.f[0].sp, 5353);
    addr_is(&g.f[1].dst, "8.8.4.4");
    assert_int_equal(g.f[1].sp, 5354);
    assert_int_equal(g.f[1].proto, 17);
    assert_int_equal(g.o[0].domain, 42);
    assert_int_equal(ta__flows_templates(x), 0);
    struct ta_obsrc_stats st;
    ta__flows_stats(x, &st);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.rejected, 0);
    ta__flows_free(x);
}

static void test_caps(void **state)
{
    (void)state;
    /* one template at most: v9's second template (the options one) is refused */
    struct ta__flows *x = new_flows(1, 4);
    struct got g = {.n = 0};
    feed(x, "v9", &g);
    assert_int_equal(ta__flows_templates(x), 1);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.o[0].sampling, 0); /* the options never arrived */
    ta__flows_free(x);
    /* one exporter at most: the second is refused and counted */
    x = new_flows(8, 1);
    memset(&g, 0, sizeof(g));
    feed(x, "v5", &g);
    feed(x, "v9", &g);
    struct ta_obsrc_stats st;
    ta__flows_stats(x, &st);
    assert_int_equal(g.n, 2);
    assert_true(st.exporters_refused > 0);
    ta__flows_free(x);
}

static void test_sflow(void **state)
{
    (void)state;
    struct ta__flows *x = new_flows(8, 4);
    struct got g = {.n = 0};
    feed(x, "sflow", &g);
    assert_int_equal(g.packets, 1);
    assert_int_equal(g.pkt_lt, TA_LINK_ETHERNET);
    assert_int_equal(g.pkt_len, 14 + 20 + 8 + 29);
    struct ta_obsrc_origin org[2];
    assert_int_equal(ta__flows_origins(x, org, 2), 1);
    assert_string_equal(org[0].exporter, "192.0.2.50");
    assert_string_equal(org[0].format, "sflow5");
    assert_int_equal(org[0].sampling, 1000);
    assert_int_equal(org[0].records, 1);
    ta__flows_free(x);
}

static void test_kinds(void **state)
{
    (void)state;
    enum ta_input_kind k;
    assert_true(ta_input_kind_parse("access-log", &k));
    assert_int_equal(k, TA_INPUT_ACCESS_LOG);
    assert_false(ta_input_kind_parse("netflow", &k));
    assert_string_equal(ta_input_kind_name(TA_INPUT_FLOWS), "flows");
    const uint8_t pcap[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0};
    assert_int_equal(ta_input_kind_sniff(pcap, sizeof(pcap)), TA_INPUT_PCAP);
    const char *eve =
        "{\"timestamp\":\"2024-01-01T00:00:00.000000+0000\",\"event_type\":\"dns\"}\n";
    assert_int_equal(ta_input_kind_sniff((const uint8_t *)eve, strlen(eve)), TA_INPUT_EVE);
    const char *zeek = "#separator \\x09\n#set_separator\t,\n";
    assert_int_equal(ta_input_kind_sniff((const uint8_t *)zeek, strlen(zeek)), TA_INPUT_ZEEK);
    const char *acc = "192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n";
    assert_int_equal(ta_input_kind_sniff((const uint8_t *)acc, strlen(acc)), TA_INPUT_ACCESS_LOG);
    const char *other = "hello\n";
    assert_int_equal(ta_input_kind_sniff((const uint8_t *)other, strlen(other)), TA_INPUT_AUTO);
    assert_true(ta_obsrc_is_address("udp://127.0.0.1:2055"));
    assert_false(ta_obsrc_is_address("udp.pcap"));
    char err[TA_OBSRC_ERRLEN];
    struct ta_obsrc *s;
    struct ta_obsrc_opts o;
    ta_obsrc_opts_default(&o);
    assert_int_equal(ta_obsrc_open(TA_INPUT_FLOWS, "udp://nonsense", &o, &s, err, sizeof(err)),
                     TA_ERR_ARG);
    assert_int_equal(ta_obsrc_open(TA_INPUT_FLOWS, "/nonexistent/x.pcap", &o, &s, err, sizeof(err)),
                     TA_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v5),
        cmocka_unit_test(test_v9_options_sampling),
        cmocka_unit_test(test_ipfix_varlen_enterprise_withdrawal),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_sflow),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
