/*
 * Unit tests for the EVE writer (src/output/output-eve.c): exact flow and
 * stats record shapes, and the header helper used by other event writers.
 */
#include "testutil.h"

#include "pktbuild.h"
#include "threatatlas/eve.h"

static char *buf;
static size_t len;

static struct ta_eve_writer *mk_opts(FILE **f, const struct ta_eve_opts *o)
{
    *f = open_memstream(&buf, &len);
    assert_non_null(*f);
    struct ta_eve_writer *w;
    assert_int_equal(ta_eve_writer_new(*f, o, &w), TA_OK);
    return w;
}

static struct ta_eve_writer *mk(FILE **f, const char *iface)
{
    *f = open_memstream(&buf, &len);
    assert_non_null(*f);
    struct ta_eve_opts o = {.in_iface = iface};
    struct ta_eve_writer *w;
    assert_int_equal(ta_eve_writer_new(*f, &o, &w), TA_OK);
    return w;
}

static void done(FILE *f, struct ta_eve_writer *w)
{
    ta_eve_writer_free(w);
    fclose(f);
}

static void test_flow_record(void **state)
{
    (void)state;
    struct ta_flow fl;
    memset(&fl, 0, sizeof(fl));
    fl.id = 1234567;
    ta_addr_parse(&fl.src, "10.16.1.11");
    ta_addr_parse(&fl.dst, "82.165.177.154");
    fl.sp = 46652;
    fl.dp = 80;
    fl.proto = 6;
    fl.state = TA_FLOW_STATE_CLOSED;
    fl.reason = TA_FLOW_REASON_SHUTDOWN;
    fl.app_proto = TA_APP_HTTP;
    fl.vlan_count = 1;
    fl.vlan_id[0] = 7;
    fl.tcp_flags_ts = 0x1b;
    fl.tcp_flags_tc = 0x13;
    fl.tcp_state = TA_TCP_STATE_CLOSED;
    fl.start = 1464332171304062ull;
    fl.last = 1464332172900923ull;
    fl.pkts_toserver = 6;
    fl.pkts_toclient = 4;
    fl.bytes_toserver = 425;
    fl.bytes_toclient = 495;
    FILE *f;
    struct ta_eve_writer *w = mk(&f, "eth0");
    struct ta_obs_sink s = ta_eve_writer_sink(w);
    s.on_flow(s.ud, &fl);
    fflush(f);
    assert_string_equal(
        buf, "{\"timestamp\":\"2016-05-27T06:56:11.304062+0000\",\"flow_id\":1234567,"
             "\"in_iface\":\"eth0\",\"event_type\":\"flow\",\"vlan\":[7],"
             "\"src_ip\":\"10.16.1.11\",\"src_port\":46652,\"dest_ip\":\"82.165.177.154\","
             "\"dest_port\":80,\"proto\":\"TCP\",\"app_proto\":\"http\",\"flow\":{"
             "\"pkts_toserver\":6,\"pkts_toclient\":4,\"bytes_toserver\":425,"
             "\"bytes_toclient\":495,\"start\":\"2016-05-27T06:56:11.304062+0000\","
             "\"end\":\"2016-05-27T06:56:12.900923+0000\",\"age\":1,\"state\":\"closed\","
             "\"reason\":\"shutdown\",\"alerted\":false},\"tcp\":{\"tcp_flags\":\"1b\","
             "\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"13\",\"syn\":true,\"fin\":true,"
             "\"psh\":true,\"ack\":true,\"state\":\"closed\"}}\n");
    assert_int_equal(ta_eve_writer_records(w), 1);
    assert_int_equal(ta_eve_writer_error(w), TA_OK);
    done(f, w);
    free(buf);

    /* Another protocol: the number as a string, no ports, no tcp object. */
    fl.proto = 47;
    fl.app_proto = TA_APP_UNKNOWN;
    fl.vlan_count = 0;
    w = mk(&f, NULL);
    ta_eve_write_flow(w, &fl);
    fflush(f);
    assert_non_null(strstr(buf, "\"dest_ip\":\"82.165.177.154\",\"proto\":\"47\",\"flow\":{"));
    assert_null(strstr(buf, "tcp"));
    assert_null(strstr(buf, "app_proto"));
    /* A custom event through the header helper. */
    struct ta_json *j = ta_eve_begin(w, &fl, "dns", fl.start);
    ta_json_kv_str(j, "x", "y");
    ta_eve_end(w);
    fflush(f);
    assert_non_null(strstr(buf, "\"event_type\":\"dns\",\"src_ip\":\"10.16.1.11\","));
    assert_non_null(strstr(buf, "\"proto\":\"47\",\"x\":\"y\"}\n"));
    done(f, w);
    free(buf);
}

static void test_stats_record(void **state)
{
    (void)state;
    struct ta_engine *e;
    assert_int_equal(ta_engine_new(NULL, &e), TA_OK);
    uint8_t fr[100] = {0};
    size_t n = pb_eth_udp4(fr, 1, 2, 3, 4, 5);
    ta_engine_packet(e, TA_LINK_ETHERNET, 5000000, fr, (uint32_t)n, (uint32_t)n);
    ta_engine_packet(e, TA_LINK_ETHERNET, 6000000, fr, 10, 10);
    ta_engine_flush(e);
    FILE *f;
    /* Suricata's names (the default). */
    struct ta_eve_writer *w = mk(&f, NULL);
    struct ta_capture_stats cap = {.files = 2, .truncated_files = 1, .kernel_drops = 3};
    ta_eve_write_stats(w, e, &cap, ta_engine_now(e));
    fflush(f);
    assert_non_null(strstr(buf, "{\"timestamp\":\"1970-01-01T00:00:06.000000+0000\","
                                "\"event_type\":\"stats\",\"stats\":{\"capture\":{"
                                "\"kernel_drops\":3},\"decoder\":{\"pkts\":2,\"bytes\":57,"
                                "\"invalid\":1,\"event\":{\"ethernet\":{\"pkt_too_small\":1},"
                                "\"vlan\":{\"header_too_small\":0,\"too_many_layers\":0},"
                                "\"ipv4\":{\"trunc_pkt\":0,"));
    assert_non_null(strstr(buf, "\"defrag\":{\"max_trackers_reached\":0,\"max_frags_reached\":0},"
                                "\"flow\":{\"total\":1,\"active\":0}}}\n"));
    assert_null(strstr(buf, "files"));
    done(f, w);
    free(buf);
    /* The earlier layout, with the extension. */
    struct ta_eve_opts xo = {.extension = true};
    w = mk_opts(&f, &xo);
    cap.kernel_drops = 0;
    ta_eve_write_stats(w, e, &cap, ta_engine_now(e));
    fflush(f);
    assert_non_null(strstr(buf, "{\"timestamp\":\"1970-01-01T00:00:06.000000+0000\","
                                "\"event_type\":\"stats\",\"stats\":{\"capture\":{\"files\":2,"
                                "\"truncated_files\":1,\"kernel_drops\":0},\"decoder\":{"
                                "\"pkts\":2,\"bytes\":57,\"decoded\":1,\"skipped\":0,"
                                "\"invalid\":1,\"frag_held\":0,\"event\":{"));
    assert_non_null(strstr(buf, "\"link_truncated\":1,"));
    assert_non_null(
        strstr(buf, "\"flow\":{\"created\":1,\"ended\":1,\"evicted\":0,\"active\":0}}}\n"));
    done(f, w);
    free(buf);
    ta_engine_free(e);
}

/* flow.alerted: true on the record of a marked flow, once; marks past the cap are dropped. */
static void test_flow_alerted(void **state)
{
    (void)state;
    struct ta_flow fl;
    memset(&fl, 0, sizeof(fl));
    fl.proto = 17;
    fl.start = fl.last = 1000000;
    FILE *f;
    struct ta_eve_opts o = {.max_alerted = 100};
    struct ta_eve_writer *w = mk_opts(&f, &o);
    /* Enough marks to grow the table and collide, then written in another order. */
    for (uint64_t id = 1; id <= 100; id++)
        ta_eve_writer_mark_alerted(w, id * 4096);
    ta_eve_writer_mark_alerted(w, 5); /* over the cap: dropped */
    for (int id = 100; id >= 1; id -= 3) {
        fl.id = (uint64_t)id * 4096;
        ta_eve_write_flow(w, &fl);
    }
    fl.id = 5;
    ta_eve_write_flow(w, &fl);
    fl.id = 4096 * 100; /* written again: the mark was taken */
    ta_eve_write_flow(w, &fl);
    for (uint64_t id = 1; id <= 100; id++) {
        if (id % 3 == 100 % 3)
            continue;
        fl.id = id * 4096;
        ta_eve_write_flow(w, &fl);
    }
    fflush(f);
    size_t t = 0, fa = 0;
    for (const char *p = buf; (p = strstr(p, "\"alerted\":")) != NULL; p++)
        if (strncmp(p, "\"alerted\":true", 14) == 0)
            t++;
        else
            fa++;
    assert_int_equal(t, 100);
    assert_int_equal(fa, 2);
    done(f, w);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_record),
        cmocka_unit_test(test_stats_record),
        cmocka_unit_test(test_flow_alerted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
