/*
 * Unit tests for src/sources: pcap, pcapng, gzip, BPF filters, errors and
 * truncation.
 */
#include "testutil.h"

#include <unistd.h>
#include <zlib.h>

#include "pktbuild.h"
#include "threatatlas/source.h"

struct got {
    int n;
    uint64_t bytes, last_ts;
    int lt;
};

static void cb(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
               uint32_t wirelen)
{
    (void)frame, (void)caplen;
    struct got *g = ud;
    g->n++;
    g->bytes += wirelen;
    g->last_ts = ts;
    g->lt = lt;
}

static char dir[] = "/tmp/ta-test-source-XXXXXX";

static const char *path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

/* Three UDP packets and one TCP packet; returns the file size. */
static long write_pcap(const char *name)
{
    uint8_t f[200];
    struct tg_pcap *w;
    struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .snaplen = 65535};
    assert_int_equal(tg_pcap_open(&w, path(name), &po), TA_OK);
    for (int i = 0; i < 3; i++) {
        size_t n = pb_eth_udp4(f, 0x0a000001, 0x0a000002, 1000, 53, 10);
        assert_int_equal(tg_pcap_write(w, 1000000ull * (uint64_t)(i + 1) + 7, f, n), TA_OK);
    }
    size_t n = pb_eth_tcp4(f, 0x0a000001, 0x0a000002, 1000, 80, 2, 0);
    assert_int_equal(tg_pcap_write(w, 5000000, f, n), TA_OK);
    /* File header, then a 16-byte record header per packet. */
    long sz = (long)(24 + 16 * tg_pcap_packets(w) + tg_pcap_bytes(w));
    assert_int_equal(tg_pcap_close(w), TA_OK);
    return sz;
}

static ta_err run(const char *p, const char *bpf, struct got *g, char *err)
{
    struct ta_source_opts o;
    ta_source_opts_default(&o);
    o.bpf = bpf;
    struct ta_source *s;
    memset(g, 0, sizeof(*g));
    ta_err e = ta_source_open_file(p, &o, &s, err, TA_SOURCE_ERRLEN);
    if (e != TA_OK)
        return e;
    e = ta_source_run(s, cb, g, err, TA_SOURCE_ERRLEN);
    ta_source_close(s);
    return e;
}

static void test_pcap_and_filter(void **state)
{
    (void)state;
    char err[TA_SOURCE_ERRLEN];
    struct got g;
    write_pcap("a.pcap");
    assert_int_equal(run(path("a.pcap"), NULL, &g, err), TA_OK);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.lt, 1);
    assert_int_equal(g.last_ts, 5000000);
    assert_int_equal(g.bytes, 3 * 52 + 54);
    assert_int_equal(run(path("a.pcap"), "tcp", &g, err), TA_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(run(path("a.pcap"), "tcp and (", &g, err), TA_ERR_ARG);
    assert_non_null(strstr(err, "invalid filter"));
}

static void test_gzip_and_pcapng(void **state)
{
    (void)state;
    char err[TA_SOURCE_ERRLEN];
    struct got g;
    write_pcap("b.pcap");
    FILE *in = fopen(path("b.pcap"), "rb");
    gzFile z = gzopen(path("b.pcap.gz"), "wb");
    assert_non_null(in);
    assert_non_null(z);
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        gzwrite(z, buf, (unsigned)n);
    fclose(in);
    gzclose(z);
    assert_int_equal(run(path("b.pcap.gz"), NULL, &g, err), TA_OK);
    assert_int_equal(g.n, 4);

    struct tg_pcap *w;
    struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .pcapng = true};
    assert_int_equal(tg_pcap_open(&w, path("c.pcapng"), &po), TA_OK);
    uint8_t f[200];
    size_t len = pb_eth_udp4(f, 1, 2, 3, 4, 5);
    assert_int_equal(tg_pcap_write(w, 1234567, f, len), TA_OK);
    assert_int_equal(tg_pcap_write(w, 2234567, f, len), TA_OK);
    assert_int_equal(tg_pcap_close(w), TA_OK);
    assert_int_equal(run(path("c.pcapng"), NULL, &g, err), TA_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.last_ts, 2234567);
}

static void test_errors_and_truncation(void **state)
{
    (void)state;
    char err[TA_SOURCE_ERRLEN];
    struct got g;
    assert_int_equal(run(path("missing.pcap"), NULL, &g, err), TA_ERR_IO);
    assert_non_null(strstr(err, "missing.pcap"));
    FILE *fp = fopen(path("empty.pcap"), "wb");
    fclose(fp);
    assert_int_equal(run(path("empty.pcap"), NULL, &g, err), TA_ERR_FORMAT);
    assert_non_null(strstr(err, "empty"));
    fp = fopen(path("text.pcap"), "wb");
    fputs("hello, this is text and not a capture\n", fp);
    fclose(fp);
    assert_int_equal(run(path("text.pcap"), NULL, &g, err), TA_ERR_FORMAT);
    assert_non_null(strstr(err, "text.pcap"));
    /* Cut inside the last record: the three complete packets are delivered. */
    long sz = write_pcap("t.pcap");
    assert_int_equal(truncate(path("t.pcap"), sz - 10), 0);
    assert_int_equal(run(path("t.pcap"), NULL, &g, err), TA_ERR_TRUNCATED);
    assert_int_equal(g.n, 3);
    assert_non_null(strstr(err, "after 3 packets"));
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.pcap",     "b.pcap",    "b.pcap.gz", "c.pcapng",
                           "empty.pcap", "text.pcap", "t.pcap"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        remove(path(names[i]));
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_and_filter),
        cmocka_unit_test(test_gzip_and_pcapng),
        cmocka_unit_test(test_errors_and_truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
