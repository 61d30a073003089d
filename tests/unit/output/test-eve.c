/*
 * Unit tests for the EVE writer (src/output/output-eve.c): exact flow and
 * stats record shapes, and the header helper used by other event writers.
 */
#include "testutil.h"

#include "pktbuild.h"
#include "threatatlas/eve.h"

static char *buf;
static size_t len;

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
    struct ta_eve_writer *w = mk(&f, NULL);
    struct ta_capture_stats cap = {.files = 2, .truncated_files = 1};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_record),
        cmocka_unit_test(test_stats_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
