/*
 * Unit tests for the pipeline (src/pipeline/pipeline.c): errors come back
 * with their detail and leave no output, an observe run writes its records
 * and statistics, a stop before the run reads nothing.
 */
#include "testutil.h"

#include "craft.h"
#include "threatatlas/pipeline.h"

static char dir[256];
static char pcap[512], out[512], missing[512];

static int setup(void **state)
{
    (void)state;
    if (tu_tmpdir_make(dir, sizeof(dir), "ta-pipeline") != 0)
        return -1;
    snprintf(pcap, sizeof(pcap), "%s/one.pcap", dir);
    snprintf(out, sizeof(out), "%s/out.json", dir);
    snprintf(missing, sizeof(missing), "%s/missing.pcap", dir);
    /* One UDP datagram 10.0.0.1:40000 -> 10.0.0.2:9999 at a fixed time. */
    struct tg_pcap *w;
    if (tg_pcap_open(&w, pcap, NULL) != TA_OK)
        return -1;
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    ta_addr_parse(&f.src, "10.0.0.1");
    ta_addr_parse(&f.dst, "10.0.0.2");
    uint8_t frame[TG_FRAME_MAX];
    size_t n = tg_build_udp(frame, sizeof(frame), &f, 40000, 9999, (const uint8_t *)"hi", 2);
    if (n == 0 || tg_pcap_write(w, 1464332171304062ull, frame, n) != TA_OK)
        return -1;
    return tg_pcap_close(w) == TA_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove(dir);
}

static int notices;
static void on_notice(void *ud, const struct ta_pipeline_notice *n)
{
    (void)ud;
    (void)n;
    notices++;
}

static bool exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f != NULL)
        fclose(f);
    return f != NULL;
}

static void test_missing_input_no_output(void **state)
{
    (void)state;
    remove(out);
    const char *files[] = {pcap, missing};
    struct ta_pipeline_opts o;
    ta_pipeline_opts_default(&o);
    o.files = files;
    o.n_files = 2;
    o.output = out;
    struct ta_pipeline *p = (struct ta_pipeline *)&o; /* must be reset to NULL */
    struct ta_pipeline_error err;
    assert_int_not_equal(ta_pipeline_open(&o, NULL, &p, &err), TA_OK);
    assert_null(p);
    assert_false(err.usage);
    assert_non_null(strstr(err.msg, "missing.pcap"));
    assert_false(exists(out));
}

static void test_usage_errors(void **state)
{
    (void)state;
    struct ta_pipeline_opts o;
    ta_pipeline_opts_default(&o);
    struct ta_pipeline *p;
    struct ta_pipeline_error err;
    /* No input at all. */
    assert_int_equal(ta_pipeline_open(&o, NULL, &p, &err), TA_ERR_ARG);
    assert_true(err.usage);
    assert_string_equal(err.msg, "observe: give captures (-r FILE) or an interface (-i IFACE); "
                                 "see --help");
    /* analyze without indicators and without --no-intel. */
    const char *files[] = {pcap};
    o.mode = TA_PIPELINE_ANALYZE;
    o.name = "analyze";
    o.files = files;
    o.n_files = 1;
    o.output = out;
    remove(out);
    assert_int_equal(ta_pipeline_open(&o, NULL, &p, &err), TA_ERR_ARG);
    assert_true(err.usage);
    assert_non_null(strstr(err.msg, "analyze: no indicators"));
    assert_false(exists(out));
}

static size_t read_lines(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    return lines;
}

static void test_observe_run(void **state)
{
    (void)state;
    const char *files[] = {pcap};
    struct ta_pipeline_opts o;
    ta_pipeline_opts_default(&o);
    o.files = files;
    o.n_files = 1;
    o.output = out;
    struct ta_pipeline_hooks h = {NULL, on_notice, NULL};
    struct ta_pipeline *p;
    struct ta_pipeline_error err;
    notices = 0;
    assert_int_equal(ta_pipeline_open(&o, &h, &p, &err), TA_OK);
    assert_false(ta_pipeline_nothing_to_do(p));
    assert_int_equal(ta_pipeline_run(p, &err), TA_OK);
    assert_int_equal(ta_pipeline_finish(p, &err), TA_OK);
    struct ta_pipeline_stats st;
    ta_pipeline_get_stats(p, &st);
    assert_int_equal(st.engine.packets, 1);
    assert_int_equal(st.engine.flows_ended, 1);
    assert_int_equal(st.capture.files, 1);
    assert_int_equal(st.capture.truncated_files, 0);
    ta_pipeline_free(p);
    assert_int_equal(notices, 0);
    static char buf[8192];
    assert_int_equal(read_lines(out, buf, sizeof(buf)), 2);
    assert_non_null(strstr(buf, "{\"timestamp\":\"2016-05-27T06:56:11.304062+0000\",\"flow_id\":"));
    assert_non_null(strstr(buf, "\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":"
                                "40000,\"dest_ip\":\"10.0.0.2\",\"dest_port\":9999,\"proto\":"
                                "\"UDP\""));
    assert_non_null(strstr(buf, "\"event_type\":\"stats\""));
    /* Suricata's stats names by default (the file counts are in ta_pipeline_get_stats). */
    assert_non_null(strstr(buf, "\"stats\":{\"capture\":{\"kernel_drops\":0},\"decoder\":{"
                                "\"pkts\":1,"));
    assert_non_null(strstr(buf, "\"flow\":{\"total\":1,\"active\":0}"));
}

static void test_stop_before_run(void **state)
{
    (void)state;
    const char *files[] = {pcap, pcap};
    struct ta_pipeline_opts o;
    ta_pipeline_opts_default(&o);
    o.files = files;
    o.n_files = 2;
    o.output = out;
    o.no_stats = true;
    struct ta_pipeline *p;
    struct ta_pipeline_error err;
    assert_int_equal(ta_pipeline_open(&o, NULL, &p, &err), TA_OK);
    ta_pipeline_stop(p);
    assert_int_equal(ta_pipeline_run(p, &err), TA_OK);
    assert_int_equal(ta_pipeline_finish(p, &err), TA_OK);
    struct ta_pipeline_stats st;
    ta_pipeline_get_stats(p, &st);
    assert_int_equal(st.engine.packets, 0);
    assert_int_equal(st.capture.files, 0);
    ta_pipeline_free(p);
    static char buf[256];
    assert_int_equal(read_lines(out, buf, sizeof(buf)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_input_no_output),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_observe_run),
        cmocka_unit_test(test_stop_before_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
