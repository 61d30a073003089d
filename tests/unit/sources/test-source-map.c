/*
 * Unit tests for the mapped reading of classic pcap files (source-pcap.c):
 * for every file written here, ta_source_run must deliver exactly the
 * frames libpcap's own pcap_next_ex() returns (timestamps, lengths, bytes)
 * and end the same way, across window boundaries, in both byte orders,
 * with nanosecond timestamps, oversized and damaged records, filters and
 * a stop from the callback.
 */
#include "testutil.h"

#include <pcap/pcap.h>
#include <unistd.h>

#include "threatatlas/source.h"

static char dir[] = "/tmp/ta-test-source-map-XXXXXX";

static const char *path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

/* One delivered frame, reduced to what is compared. */
struct frame {
    uint64_t ts;
    uint32_t caplen, wire;
    uint64_t sum; /* FNV-1a of the bytes */
};

struct got {
    struct frame *f;
    size_t n, cap;
    struct ta_source *stop_src;
    size_t stop_at;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void push(struct got *g, uint64_t ts, const uint8_t *d, uint32_t caplen, uint32_t wire)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->f = realloc(g->f, g->cap * sizeof(*g->f));
        assert_non_null(g->f);
    }
    g->f[g->n++] = (struct frame){ts, caplen, wire, fnv(d, caplen)};
}

static void cb(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
               uint32_t wirelen)
{
    (void)lt;
    struct got *g = ud;
    push(g, ts, frame, caplen, wirelen);
    if (g->stop_src != NULL && g->n == g->stop_at)
        ta_source_stop(g->stop_src);
}

/* What threatatlas delivers. */
static ta_err run_ta(const char *p, const char *bpf, struct got *g, size_t stop_at)
{
    char err[TA_SOURCE_ERRLEN];
    struct ta_source_opts o;
    ta_source_opts_default(&o);
    o.bpf = bpf;
    struct ta_source *s;
    memset(g, 0, sizeof(*g));
    ta_err e = ta_source_open_file(p, &o, &s, err, sizeof(err));
    if (e != TA_OK)
        return e;
    if (stop_at > 0) {
        g->stop_src = s;
        g->stop_at = stop_at;
    }
    e = ta_source_run(s, cb, g, err, sizeof(err));
    ta_source_close(s);
    return e;
}

/* What libpcap alone delivers: -1 at its error, 0 at the end of the file. */
static int run_pcap(const char *p, const char *bpf, struct got *g)
{
    char eb[PCAP_ERRBUF_SIZE];
    memset(g, 0, sizeof(*g));
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO, eb);
    assert_non_null(pc);
    if (bpf != NULL) {
        struct bpf_program prog;
        assert_int_equal(pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN), 0);
        assert_int_equal(pcap_setfilter(pc, &prog), 0);
        pcap_freecode(&prog);
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        push(g, ts, d, h->caplen, h->len < h->caplen ? h->caplen : h->len);
    }
    pcap_close(pc);
    return rc == PCAP_ERROR_BREAK ? 0 : -1;
}

static void same(const struct got *a, const struct got *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->f[i].ts, b->f[i].ts);
        assert_int_equal(a->f[i].caplen, b->f[i].caplen);
        assert_int_equal(a->f[i].wire, b->f[i].wire);
        assert_int_equal(a->f[i].sum, b->f[i].sum);
    }
}

/* A little pcap writer in either byte order, with raw control of records. */
struct w {
    FILE *fp;
    bool be, nano;
};

static void put32(struct w *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[w->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    assert_int_equal(fwrite(b, 1, 4, w->fp), 4);
}

static void put16(struct w *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(w->be ? v >> 8 : v), (uint8_t)(w->be ? v : v >> 8)};
    assert_int_equal(fwrite(b, 1, 2, w->fp), 2);
}

static void w_open(struct w *w, const char *name, bool be, bool nano, uint32_t snaplen)
{
    w->fp = fopen(path(name), "wb");
    assert_non_null(w->fp);
    w->be = be;
    w->nano = nano;
    put32(w, nano ? 0xa1b23c4du : 0xa1b2c3d4u);
    put16(w, 2);
    put16(w, 4);
    put32(w, 0);
    put32(w, 0);
    put32(w, snaplen);
    put32(w, 1); /* Ethernet */
}

/* An Ethernet/IPv4/UDP frame of n >= 42 bytes whose payload depends on seed. */
static void w_frame(struct w *w, uint32_t sec, uint32_t frac, uint32_t n, uint32_t wire,
                    uint32_t seed, uint16_t dport)
{
    uint8_t *f = calloc(1, n > 64 ? n : 64);
    assert_non_null(f);
    f[12] = 0x08;
    f[14] = 0x45;
    uint32_t iplen = n - 14;
    f[16] = (uint8_t)(iplen >> 8);
    f[17] = (uint8_t)iplen;
    f[22] = 64;
    f[23] = 17;
    f[26] = 10, f[29] = 1, f[30] = 10, f[33] = 2;
    f[34] = 0x30, f[35] = 0x39;
    f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
    f[38] = (uint8_t)((n - 34) >> 8), f[39] = (uint8_t)(n - 34);
    for (uint32_t i = 42; i < n; i++)
        f[i] = (uint8_t)(seed * 31u + i);
    put32(w, sec);
    put32(w, frac);
    put32(w, n);
    put32(w, wire);
    assert_int_equal(fwrite(f, 1, n, w->fp), n);
    free(f);
}

/* Many frames of varied sizes: the file spans several mapping windows. */
static void write_big(const char *name, bool be, bool nano)
{
    struct w w;
    w_open(&w, name, be, nano, 65535);
    uint32_t x = 12345;
    for (uint32_t i = 0; i < 900; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t n = 42 + (x >> 8) % 9000;
        if (i % 97 == 0)
            n = 65535; /* a frame at the snapshot length */
        w_frame(&w, 1700000000u + i, nano ? 999999999u - i : 999999u - i, n, n + (i % 3), i,
                (uint16_t)(i % 2 ? 53 : 80));
    }
    fclose(w.fp);
}

static void check_same(const char *name, const char *bpf, ta_err want, int want_pcap)
{
    struct got a, b;
    assert_int_equal(run_ta(path(name), bpf, &a, 0), want);
    assert_int_equal(run_pcap(path(name), bpf, &b), want_pcap);
    same(&a, &b);
    free(a.f);
    free(b.f);
}

static void test_windows_and_byte_orders(void **state)
{
    (void)state;
    write_big("le.pcap", false, false);
    write_big("be.pcap", true, false);
    write_big("ns.pcap", false, true);
    write_big("bens.pcap", true, true);
    const char *names[] = {"le.pcap", "be.pcap", "ns.pcap", "bens.pcap"};
    for (size_t i = 0; i < 4; i++) {
        struct got a;
        assert_int_equal(run_ta(path(names[i]), NULL, &a, 0), TA_OK);
        assert_int_equal(a.n, 900);
        assert_int_equal(a.f[0].ts, 1700000000ull * 1000000u + 999999u);
        free(a.f);
        check_same(names[i], NULL, TA_OK, 0);
        check_same(names[i], "udp dst port 53", TA_OK, 0);
    }
}

static void test_damaged_and_oversized(void **state)
{
    (void)state;
    /* A record longer than the snapshot length: libpcap salvages it. */
    struct w w;
    w_open(&w, "over.pcap", false, false, 100);
    w_frame(&w, 1, 0, 80, 80, 1, 53);
    w_frame(&w, 2, 0, 150, 150, 2, 53);
    w_frame(&w, 3, 0, 90, 90, 3, 53);
    fclose(w.fp);
    check_same("over.pcap", NULL, TA_OK, 0);
    struct got a;
    assert_int_equal(run_ta(path("over.pcap"), NULL, &a, 0), TA_OK);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.f[1].caplen, 100);
    free(a.f);

    /* An absurd caplen in the middle: libpcap's error, after the frames before it. */
    w_open(&w, "bad.pcap", false, false, 65535);
    w_frame(&w, 1, 0, 80, 80, 1, 53);
    put32(&w, 2), put32(&w, 0), put32(&w, 0x7fffffffu), put32(&w, 60);
    fclose(w.fp);
    check_same("bad.pcap", NULL, TA_ERR_TRUNCATED, -1);

    /* A file cut inside a record header and one cut inside a record's data. */
    write_big("cut.pcap", false, false);
    FILE *fp = fopen(path("cut.pcap"), "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fclose(fp);
    assert_int_equal(truncate(path("cut.pcap"), sz - 100), 0);
    check_same("cut.pcap", NULL, TA_ERR_TRUNCATED, -1);
    write_big("cuth.pcap", false, false);
    fp = fopen(path("cuth.pcap"), "ab");
    assert_non_null(fp);
    assert_int_equal(fwrite("\1\2\3\4\5\6\7", 1, 7, fp), 7);
    fclose(fp);
    check_same("cuth.pcap", NULL, TA_ERR_TRUNCATED, -1);
}

static void test_stop(void **state)
{
    (void)state;
    write_big("stop.pcap", false, false);
    struct got a;
    assert_int_equal(run_ta(path("stop.pcap"), NULL, &a, 500), TA_ERR_INTERRUPTED);
    assert_int_equal(a.n, 500);
    free(a.f);
}

/* Records appended while the file is being read are delivered too (libpcap reads the rest). */
struct grow_ctx {
    int n;
    struct w *w;
};

static void grow_cb(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                    uint32_t wirelen)
{
    (void)lt, (void)ts, (void)frame, (void)caplen, (void)wirelen;
    struct grow_ctx *g = ud;
    if (++g->n == 1) {
        w_frame(g->w, 10, 0, 60, 60, 10, 53);
        w_frame(g->w, 11, 0, 70, 70, 11, 53);
        fflush(g->w->fp);
    }
}

static void test_growing_file(void **state)
{
    (void)state;
    struct w w;
    w_open(&w, "grow.pcap", false, false, 65535);
    for (uint32_t i = 0; i < 3; i++)
        w_frame(&w, 1 + i, 0, 80, 80, i, 53);
    fflush(w.fp);
    char err[TA_SOURCE_ERRLEN];
    struct ta_source *s;
    assert_int_equal(ta_source_open_file(path("grow.pcap"), NULL, &s, err, sizeof(err)), TA_OK);
    struct grow_ctx g = {0, &w};
    assert_int_equal(ta_source_run(s, grow_cb, &g, err, sizeof(err)), TA_OK);
    ta_source_close(s);
    fclose(w.fp);
    assert_int_equal(g.n, 5);
}

/*
 * Kept frames (ta_source_set_release): every frame stays readable, unchanged,
 * until a release says it goes; releases only move forward and end at the
 * last frame; and the caller is asked to let go only of frames well behind
 * the one being read (at least 1 MiB of records), not of the window just
 * left, so a caller handing frames to other threads is not made to wait for
 * them at every window. Records up to the largest size the mapping takes.
 */
struct kept_ctx {
    struct ta_source *s;
    const uint8_t **p;
    struct frame *f;
    uint64_t *end; /* file bytes up to the end of each record */
    size_t n, cap;
    uint64_t released, releases, bytes;
};

static void kept_check(struct kept_ctx *k, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i < to; i++)
        assert_int_equal(fnv(k->p[i], k->f[i].caplen), k->f[i].sum);
}

static void kept_cb(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                    uint32_t wirelen)
{
    (void)lt;
    struct kept_ctx *k = ud;
    assert_true(ta_source_frame_kept(k->s));
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 64;
        k->p = realloc(k->p, k->cap * sizeof(*k->p));
        k->f = realloc(k->f, k->cap * sizeof(*k->f));
        k->end = realloc(k->end, k->cap * sizeof(*k->end));
        assert_true(k->p != NULL && k->f != NULL && k->end != NULL);
    }
    k->bytes += 16 + caplen;
    k->p[k->n] = frame;
    k->f[k->n] = (struct frame){ts, caplen, wirelen, fnv(frame, caplen)};
    k->end[k->n] = k->bytes;
    k->n++;
    /* The oldest frame not released is still where it was. */
    kept_check(k, k->released, k->released + 1);
}

static void kept_release(void *ud, uint64_t n)
{
    struct kept_ctx *k = ud;
    assert_true(n >= k->released && n <= k->n);
    kept_check(k, k->released, k->n);
    if (n < k->n) /* not the end: what stays kept reaches far behind the newest record */
        assert_true(k->bytes - (n > 0 ? k->end[n - 1] : 0) >= (1u << 20));
    k->released = n;
    k->releases++;
}

static void test_kept_frames(void **state)
{
    (void)state;
    struct w w;
    w_open(&w, "kept.pcap", false, false, 262144);
    uint32_t x = 777;
    for (uint32_t i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t n = 42 + (x >> 8) % 3000;
        if (i % 211 == 5)
            n = 262144; /* the largest record the mapping takes */
        w_frame(&w, 1700000000u + i, i, n, n, i, 53);
    }
    fclose(w.fp);
    char err[TA_SOURCE_ERRLEN];
    struct kept_ctx k = {0};
    assert_int_equal(ta_source_open_file(path("kept.pcap"), NULL, &k.s, err, sizeof(err)), TA_OK);
    ta_source_set_release(k.s, kept_release, &k);
    assert_int_equal(ta_source_run(k.s, kept_cb, &k, err, sizeof(err)), TA_OK);
    ta_source_close(k.s);
    assert_int_equal(k.n, 3000);
    assert_int_equal(k.released, 3000);
    /* About 8 MiB of records: the windows moved on many times. */
    assert_true(k.releases >= 10);
    struct got b;
    assert_int_equal(run_pcap(path("kept.pcap"), NULL, &b), 0);
    struct got a = {k.f, k.n, k.cap, NULL, 0};
    same(&a, &b);
    free(b.f);
    free(k.f);
    free(k.p);
    free(k.end);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"le.pcap",   "be.pcap",   "ns.pcap",  "bens.pcap",
                           "over.pcap", "bad.pcap",  "cut.pcap", "cuth.pcap",
                           "stop.pcap", "grow.pcap", "kept.pcap"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        remove(path(names[i]));
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_and_byte_orders),
        cmocka_unit_test(test_damaged_and_oversized),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_growing_file),
        cmocka_unit_test(test_kept_frames),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
