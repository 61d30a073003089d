/*
 * TCP reassembly unit tests: in-order delivery, out-of-order buffering,
 * retransmissions and overlaps (first copy wins), the per-flow, per-
 * direction segment and global caps, gaps forced by ACKs, by the caps and
 * at the end of the flow, and sequence wrap-around.
 */
#include "testutil.h"

#include "proto/proto-int.h"

struct out {
    char data[4096];
    size_t n;
    int gaps;
    int calls;
};

static void collect(void *ud, const uint8_t *d, size_t n, bool gap)
{
    struct out *o = ud;
    if (gap) {
        o->gaps++;
        if (o->n < sizeof(o->data))
            o->data[o->n++] = '|';
    }
    assert_true(o->n + n <= sizeof(o->data));
    memcpy(o->data + o->n, d, n);
    o->n += n;
    o->data[o->n] = '\0';
    o->calls++;
}

struct st {
    struct ta_proto *p;
    struct ta__stream s;
    uint32_t fb;
    struct out o;
};

static void seg(struct st *t, uint32_t seq, uint8_t flags, const char *d)
{
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ip_proto = 6;
    pk.tcp_seq = seq;
    pk.tcp_flags = flags;
    pk.payload = (const uint8_t *)d;
    pk.payload_len = (uint32_t)strlen(d);
    ta__stream_segment(t->p, &t->s, &t->fb, &pk, collect, &t->o);
}

static uint64_t ctr(struct st *t, const char *name)
{
    for (size_t i = 0; i < ta_proto_counter_count(); i++)
        if (strcmp(ta_proto_counter_name(i), name) == 0)
            return ta_proto_counter(t->p, i);
    fail_msg("no counter %s", name);
    return 0;
}

static void setup(struct st *t, const struct ta_proto_opts *o)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(ta_proto_new(o, &t->p), TA_OK);
}

static void teardown(struct st *t)
{
    ta__stream_release(t->p, &t->s, &t->fb);
    assert_int_equal(t->fb, 0);
    assert_int_equal(t->p->stream_mem, 0);
    ta_proto_free(t->p);
}

/*
 * What the memcaps charge for a held segment of n payload bytes: the
 * 16-byte segment header, the payload and the allocator's 8-byte header,
 * rounded up to 16 (at least 32). Written out here rather than taken from
 * the code so that a change of the accounting fails these tests.
 */
#define COST(n)                                                                                    \
    ((16u + (n) + 8u + 15u) / 16u * 16u < 32u ? 32u : (16u + (n) + 8u + 15u) / 16u * 16u)

static void test_in_order_and_ooo(void **state)
{
    (void)state;
    struct st t;
    setup(&t, NULL);
    seg(&t, 99, TA_TCP_SYN, "");
    seg(&t, 100, TA_TCP_ACK, "abc");
    seg(&t, 109, TA_TCP_ACK, "jkl"); /* ahead: buffered */
    seg(&t, 106, TA_TCP_ACK, "ghi"); /* ahead: buffered */
    assert_string_equal(t.o.data, "abc");
    assert_int_equal(t.fb, 2 * COST(3));
    assert_int_equal(t.fb, 64);
    seg(&t, 103, TA_TCP_ACK, "def"); /* fills the hole: all delivered */
    assert_string_equal(t.o.data, "abcdefghijkl");
    assert_int_equal(t.o.gaps, 0);
    assert_int_equal(t.fb, 0);
    assert_int_equal(ctr(&t, "stream_ooo_segments"), 2);
    assert_int_equal(ctr(&t, "stream_bytes"), 12);
    assert_int_equal(ctr(&t, "stream_midstream_pickups"), 0);
    teardown(&t);
}

static void test_overlap_first_wins(void **state)
{
    (void)state;
    struct st t;
    setup(&t, NULL);
    seg(&t, 1000, TA_TCP_ACK, "AAAA"); /* midstream pickup */
    seg(&t, 1000, TA_TCP_ACK, "XXXX"); /* pure retransmission, different bytes */
    seg(&t, 1002, TA_TCP_ACK, "YYBB"); /* overlaps delivered bytes: only "BB" new */
    assert_string_equal(t.o.data, "AAAABB");
    /* Buffered first, then an overlapping segment arrives in order. */
    seg(&t, 1008, TA_TCP_ACK, "CC");
    seg(&t, 1006, TA_TCP_ACK, "ddZZee"); /* ZZ overlaps buffered CC: CC wins */
    assert_string_equal(t.o.data, "AAAABBddCCee");
    /* Two buffered segments overlapping each other. */
    seg(&t, 1014, TA_TCP_ACK, "12345");
    seg(&t, 1016, TA_TCP_ACK, "xxxxx9");
    seg(&t, 1012, TA_TCP_ACK, "--");
    assert_string_equal(t.o.data, "AAAABBddCCee--12345xx9");
    assert_int_equal(ctr(&t, "stream_midstream_pickups"), 1);
    assert_int_equal(ctr(&t, "stream_overlap_bytes"), 4 + 2 + 2 + 3);
    teardown(&t);
}

static void test_gap_by_ack_and_flush(void **state)
{
    (void)state;
    struct st t;
    setup(&t, NULL);
    seg(&t, 0, TA_TCP_SYN, "");
    seg(&t, 1, TA_TCP_ACK, "ab");
    seg(&t, 5, TA_TCP_ACK, "ef");                       /* "cd" was never captured */
    ta__stream_ack(t.p, &t.s, &t.fb, 4, collect, &t.o); /* ACK before the segment: wait */
    assert_string_equal(t.o.data, "ab");
    ta__stream_ack(t.p, &t.s, &t.fb, 7, collect, &t.o);
    assert_string_equal(t.o.data, "ab|ef");
    assert_int_equal(t.o.gaps, 1);
    seg(&t, 9, TA_TCP_ACK, "ij");
    seg(&t, 13, TA_TCP_ACK, "mn");
    ta__stream_flush(t.p, &t.s, &t.fb, collect, &t.o);
    assert_string_equal(t.o.data, "ab|ef|ij|mn");
    assert_int_equal(ctr(&t, "stream_gaps"), 3);
    teardown(&t);
}

static void test_caps(void **state)
{
    (void)state;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.stream_flow_memcap = 3 * COST(2) + 31;
    o.stream_max_segments = 3;
    struct st t;
    setup(&t, &o);
    seg(&t, 0, TA_TCP_SYN, "");
    seg(&t, 11, TA_TCP_ACK, "aa");
    seg(&t, 21, TA_TCP_ACK, "bb");
    seg(&t, 31, TA_TCP_ACK, "cc");
    assert_int_equal(t.fb, 3 * COST(2));
    /* A 4th segment exceeds the segment cap: what is held is given up across the holes. */
    seg(&t, 41, TA_TCP_ACK, "dd");
    assert_string_equal(t.o.data, "|aa|bb|cc");
    assert_int_equal(t.fb, COST(2));
    /* One segment whose cost alone passes the flow cap can never be held: what is
     * buffered is given up first, then the segment is dropped and counted. */
    char big[121];
    memset(big, 'x', 120);
    big[120] = '\0';
    seg(&t, 60, TA_TCP_ACK, big);
    assert_string_equal(t.o.data, "|aa|bb|cc|dd");
    assert_int_equal(ctr(&t, "stream_flow_memcap_drops"), 1);
    assert_int_equal(t.fb, 0);
    teardown(&t);

    /* Global cap across flows. */
    ta_proto_opts_default(&o);
    o.stream_global_memcap = COST(3) + 8;
    setup(&t, &o);
    struct ta__stream s2;
    uint32_t fb2 = 0;
    memset(&s2, 0, sizeof(s2));
    seg(&t, 0, TA_TCP_SYN, "");
    seg(&t, 10, TA_TCP_ACK, "xyz");
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.tcp_flags = TA_TCP_SYN;
    ta__stream_segment(t.p, &s2, &fb2, &pk, collect, &t.o);
    pk.tcp_flags = TA_TCP_ACK;
    pk.tcp_seq = 10;
    pk.payload = (const uint8_t *)"uvw";
    pk.payload_len = 3;
    ta__stream_segment(t.p, &s2, &fb2, &pk, collect, &t.o);
    assert_int_equal(ctr(&t, "stream_global_memcap_drops"), 1);
    assert_int_equal(t.p->stream_mem, COST(3));
    ta__stream_release(t.p, &s2, &fb2);
    teardown(&t);
}

/*
 * A flood of one-byte out-of-order segments is held at the global cap by
 * what it costs, not by its payload (1 byte each, 32 as allocated).
 */
static void test_tiny_segment_flood(void **state)
{
    (void)state;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.stream_global_memcap = 100 * COST(1);
    o.stream_max_segments = 1000;
    struct st t;
    setup(&t, &o);
    seg(&t, 0, TA_TCP_SYN, "");
    for (uint32_t i = 0; i < 250; i++)
        seg(&t, 10 + 2 * i, TA_TCP_ACK, "z"); /* every other byte: a hole before each */
    assert_int_equal(t.p->stream_mem, 100 * COST(1));
    assert_int_equal(t.fb, 100 * COST(1));
    assert_int_equal(ctr(&t, "stream_global_memcap_drops"), 150);
    teardown(&t);
}

/* A segment exactly 2^31 bytes from the next expected one is taken as old data. */
static void test_half_window_away(void **state)
{
    (void)state;
    struct st t;
    setup(&t, NULL);
    seg(&t, 99, TA_TCP_SYN, "");
    seg(&t, 100, TA_TCP_ACK, "abc");
    seg(&t, 103u + 0x80000000u, TA_TCP_ACK, "zz");
    seg(&t, 103, TA_TCP_ACK, "de");
    assert_string_equal(t.o.data, "abcde");
    assert_int_equal(ctr(&t, "stream_overlap_bytes"), 2);
    assert_int_equal(t.fb, 0);
    teardown(&t);
}

static void test_wraparound(void **state)
{
    (void)state;
    struct st t;
    setup(&t, NULL);
    seg(&t, 0xfffffffd, TA_TCP_SYN, "");
    seg(&t, 0x00000001, TA_TCP_ACK, "de"); /* after the wrap: buffered */
    seg(&t, 0xfffffffe, TA_TCP_ACK, "abc");
    assert_string_equal(t.o.data, "abcde");
    assert_int_equal(t.o.gaps, 0);
    teardown(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_and_ooo),     cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_gap_by_ack_and_flush), cmocka_unit_test(test_caps),
        cmocka_unit_test(test_tiny_segment_flood),   cmocka_unit_test(test_half_window_away),
        cmocka_unit_test(test_wraparound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
