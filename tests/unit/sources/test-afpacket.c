/*
 * The AF_PACKET ring walker (ta_afpacket_walk_block) on block memory built
 * here in the kernel's TPACKET_V3 layout: frames come out with their bytes,
 * lengths, times and VLAN tags; a loopback's outgoing copies are skipped;
 * and a block whose headers point outside it (a corrupt first offset, a
 * frame or its data past the block, a next offset of zero or past the end,
 * more frames announced than there are) ends the walk at the damage,
 * counted, after the frames before it. Also --capture's names.
 */
#include "testutil.h"

#include "threatatlas/source.h"

#define BLK 4096u

struct got {
    unsigned n;
    struct ta_afpacket_frame f[16];
    uint8_t bytes[16][64];
};

static void on_frame(void *ud, const struct ta_afpacket_frame *f)
{
    struct got *g = ud;
    if (g->n < 16) {
        g->f[g->n] = *f;
        memcpy(g->bytes[g->n], f->data, f->caplen < 64 ? f->caplen : 64);
    }
    g->n++;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

/*
 * A frame at off: header (48 bytes), sockaddr_ll at 48 (pkttype at 58), data
 * at mac = 80, filled with `fill`. Returns the frame's length rounded to 16.
 */
static uint32_t frame(uint8_t *blk, uint32_t off, uint32_t sec, uint32_t nsec, uint32_t snap,
                      uint32_t len, uint32_t status, uint8_t pkttype, uint8_t fill)
{
    uint8_t *h = blk + off;
    put32(h + 4, sec);
    put32(h + 8, nsec);
    put32(h + 12, snap);
    put32(h + 16, len);
    put32(h + 20, status);
    put16(h + 24, 80);
    put16(h + 26, 94);
    h[58] = pkttype;
    memset(h + 80, fill, snap);
    return (80 + snap + 15) & ~15u;
}

static void block(uint8_t *blk, uint32_t npkts, uint32_t first)
{
    memset(blk, 0, 48);
    put32(blk + 0, 3);
    put32(blk + 12, npkts);
    put32(blk + 16, first);
}

/* Three frames, one of them the loopback's outgoing copy, one with a VLAN tag taken off. */
static uint32_t three(uint8_t *blk)
{
    memset(blk, 0, BLK);
    block(blk, 3, 48);
    uint32_t off = 48, a, b;
    a = frame(blk, off, 1700000000, 123456789, 60, 60, 1, 0, 0xaa);
    put32(blk + off, a);
    off += a;
    b = frame(blk, off, 1700000001, 5000, 40, 1500, 1, 4 /* outgoing */, 0xbb);
    put32(blk + off, b);
    off += b;
    frame(blk, off, 1700000002, 999999999, 20, 20, 1 | 0x10 | 0x40, 0, 0xcc);
    put32(blk + off + 32, 42);     /* tp_vlan_tci */
    put16(blk + off + 36, 0x88a8); /* tp_vlan_tpid */
    put32(blk + off, 0);           /* the last frame: no next */
    return off;
}

static void test_walk_frames(void **state)
{
    (void)state;
    static uint8_t blk[BLK];
    three(blk);
    struct got g = {0};
    uint64_t bad = 0;
    assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 3);
    assert_int_equal(bad, 0);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.f[0].caplen, 60);
    assert_int_equal(g.f[0].wirelen, 60);
    assert_int_equal(g.f[0].ts, 1700000000ull * 1000000u + 123456u);
    assert_int_equal(g.bytes[0][0], 0xaa);
    assert_int_equal(g.bytes[0][59], 0xaa);
    assert_int_equal(g.f[0].vlan_tpid, 0);
    assert_int_equal(g.f[1].caplen, 40);
    assert_int_equal(g.f[1].wirelen, 1500); /* cut by the snaplen */
    assert_int_equal(g.f[1].ts, 1700000001ull * 1000000u + 5u);
    assert_int_equal(g.f[2].ts, 1700000002ull * 1000000u + 999999u);
    assert_int_equal(g.f[2].vlan_tci, 42);
    assert_int_equal(g.f[2].vlan_tpid, 0x88a8);
    assert_int_equal(g.bytes[2][19], 0xcc);
    /* A loopback interface: what it sent is seen again as received, so the copy goes. */
    memset(&g, 0, sizeof(g));
    assert_int_equal(ta_afpacket_walk_block(blk, BLK, true, on_frame, &g, &bad), 2);
    assert_int_equal(bad, 0);
    assert_int_equal(g.bytes[0][0], 0xaa);
    assert_int_equal(g.bytes[1][0], 0xcc);
    /* A tag without its TPID: 802.1Q. */
    uint32_t last = three(blk);
    put32(blk + last + 20, 1 | 0x10);
    memset(&g, 0, sizeof(g));
    ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad);
    assert_int_equal(g.f[2].vlan_tpid, 0x8100);
}

static void test_walk_empty(void **state)
{
    (void)state;
    static uint8_t blk[BLK];
    memset(blk, 0, BLK);
    block(blk, 0, 48);
    struct got g = {0};
    uint64_t bad = 0;
    assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 0);
    assert_int_equal(bad, 0);
    /* Shorter than a block descriptor. */
    assert_int_equal(ta_afpacket_walk_block(blk, 47, false, on_frame, &g, &bad), 0);
    assert_int_equal(bad, 1);
    assert_int_equal(g.n, 0);
}

static void test_walk_corrupt(void **state)
{
    (void)state;
    static uint8_t blk[BLK];
    struct got g;
    uint64_t bad;

    /* The first frame's offset past the block, or inside the descriptor. */
    uint32_t firsts[] = {BLK, BLK - 10, 0xffffffffu, 0, 20};
    for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
        three(blk);
        put32(blk + 16, firsts[i]);
        memset(&g, 0, sizeof(g));
        bad = 0;
        assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 0);
        assert_int_equal(bad, 1);
    }

    /* The second frame's data runs past the block: the first is delivered, then it stops. */
    uint32_t last = three(blk);
    uint32_t second = 48 + ((80 + 60 + 15) & ~15u);
    put32(blk + second + 12, BLK);
    memset(&g, 0, sizeof(g));
    bad = 0;
    assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 1);
    assert_int_equal(bad, 1);
    assert_int_equal(g.n, 1);

    /* Its data offset before the end of its header, or past the block. */
    uint16_t macs[] = {0, 47, 0xffff};
    for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
        three(blk);
        put16(blk + second + 24, macs[i]);
        memset(&g, 0, sizeof(g));
        bad = 0;
        assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 1);
        assert_int_equal(bad, 1);
    }

    /* A next offset of zero (the same frame again) or past the block. */
    uint32_t nexts[] = {0, 47, BLK, 0xfffffff0u};
    for (size_t i = 0; i < sizeof(nexts) / sizeof(nexts[0]); i++) {
        three(blk);
        put32(blk + 48, nexts[i]);
        memset(&g, 0, sizeof(g));
        bad = 0;
        assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 1);
        assert_int_equal(bad, 1);
    }

    /* More frames announced than there are: the third's next offset leads past the end. */
    last = three(blk);
    put32(blk + 12, 1000000);
    put32(blk + last, BLK - last);
    memset(&g, 0, sizeof(g));
    bad = 0;
    assert_int_equal(ta_afpacket_walk_block(blk, BLK, false, on_frame, &g, &bad), 3);
    assert_int_equal(bad, 1);

    /* A block shorter than the frames claim: the walk keeps to the length it is given. */
    three(blk);
    memset(&g, 0, sizeof(g));
    bad = 0;
    assert_int_equal(ta_afpacket_walk_block(blk, second + 60, false, on_frame, &g, &bad), 1);
    assert_int_equal(bad, 1);
}

static void test_capture_kind(void **state)
{
    (void)state;
    enum ta_capture_kind k = TA_CAPTURE_PCAP;
    assert_true(ta_capture_kind_parse("afpacket", &k));
    assert_int_equal(k, TA_CAPTURE_AFPACKET);
    assert_true(ta_capture_kind_parse("auto", &k));
    assert_int_equal(k, TA_CAPTURE_AUTO);
    assert_true(ta_capture_kind_parse("pcap", &k));
    assert_int_equal(k, TA_CAPTURE_PCAP);
    assert_false(ta_capture_kind_parse("af_packet", &k));
    assert_false(ta_capture_kind_parse("", &k));
    assert_int_equal(k, TA_CAPTURE_PCAP);
}

/* Bad ring geometry is refused before any socket is made (no privilege needed). */
static void test_open_geometry(void **state)
{
    (void)state;
    struct ta_source_opts so;
    ta_source_opts_default(&so);
    struct ta_afpacket_opts ao;
    ta_afpacket_opts_default(&ao);
    assert_int_equal(ao.block_size, 1u << 20);
    assert_int_equal(ao.block_count, 16);
    struct ta_afpacket *s = NULL;
    char e[TA_SOURCE_ERRLEN];
    uint16_t group = 0;
    ao.block_size = 65536 + 100;
    assert_int_equal(ta_afpacket_open("lo", &so, &ao, &group, &s, e, sizeof(e)), TA_ERR_ARG);
    assert_null(s);
    assert_non_null(strstr(e, "multiple of the page size"));
    ta_afpacket_opts_default(&ao);
    ao.block_count = 1;
    assert_int_equal(ta_afpacket_open("lo", &so, &ao, &group, &s, e, sizeof(e)), TA_ERR_ARG);
    ta_afpacket_opts_default(&ao);
    assert_int_equal(ta_afpacket_open("no-such-if-xyz0", &so, &ao, &group, &s, e, sizeof(e)),
                     TA_ERR_NOTFOUND);
    assert_non_null(strstr(e, "no-such-if-xyz0"));
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_frames),   cmocka_unit_test(test_walk_empty),
        cmocka_unit_test(test_walk_corrupt),  cmocka_unit_test(test_capture_kind),
        cmocka_unit_test(test_open_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
