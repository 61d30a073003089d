/*
 * Unit tests for src/decode: link layers, IPv4/IPv6, transport, fragment
 * reassembly and its bounds, and the per-reason counters.
 */
#include "testutil.h"

#include "pktbuild.h"
#include "threatatlas/decode.h"

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static uint64_t ctr(const struct ta_decoder *d, const char *name)
{
    for (size_t i = 0; i < ta_decoder_counter_count(); i++)
        if (strcmp(ta_decoder_counter_name(i), name) == 0)
            return ta_decoder_counter(d, i);
    fail_msg("no counter %s", name);
    return 0;
}

static struct ta_decoder *new_decoder(void)
{
    struct ta_decoder *d;
    assert_int_equal(ta_decoder_new(NULL, &d), TA_OK);
    return d;
}

/* Decode from an exact-size heap copy so ASan sees any overread. */
static enum ta_decode_result dec(struct ta_decoder *d, int lt, uint64_t ts, const uint8_t *f,
                                 size_t len, size_t wire, struct ta_packet *p)
{
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, f, len);
    enum ta_decode_result r = ta_decoder_decode(d, lt, ts, c, (uint32_t)len, (uint32_t)wire, p);
    /* The packet may point into the frame: copy what tests look at before freeing. */
    static uint8_t keep[70000];
    if (p->payload != NULL && p->payload_len <= sizeof(keep) && !p->reassembled) {
        memcpy(keep, p->payload, p->payload_len);
        p->payload = keep;
    }
    free(c);
    return r;
}

static void test_tcp4(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    uint8_t f[2000];
    size_t n = pb_eth_tcp4(f, A(192, 0, 2, 1), A(198, 51, 100, 2), 40000, 443, 0x18, 100);
    struct ta_packet p;
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 5, f, n, n, &p), TA_DECODE_OK);
    char b[TA_ADDR_STRLEN];
    assert_string_equal(ta_addr_format(&p.src, b, sizeof(b)), "192.0.2.1");
    assert_string_equal(ta_addr_format(&p.dst, b, sizeof(b)), "198.51.100.2");
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.tcp_flags, 0x18);
    assert_int_equal(p.tcp_seq, 1000);
    assert_int_equal(p.payload_len, 100);
    assert_int_equal(p.payload[0], 'x');
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.ts, 5);
    /* Ethernet padding after the IP datagram is not payload. */
    memset(f + n, 0, 10);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 5, f, n + 10, n + 10, &p), TA_DECODE_OK);
    assert_int_equal(p.payload_len, 100);
    ta_decoder_free(d);
}

/* Every prefix of a valid frame is rejected or skipped with a counter, never read past. */
static void test_every_truncation(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    uint8_t f[2000];
    size_t n = pb_eth_tcp4(f, A(10, 0, 0, 1), A(10, 0, 0, 2), 1, 2, 0x02, 0);
    struct ta_packet p;
    for (size_t len = 0; len < n; len++)
        assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, len, len, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "link_truncated"), 14);
    assert_int_equal(ctr(d, "ipv4_truncated"), 20);
    assert_int_equal(ctr(d, "tcp_truncated"), 0);
    assert_int_equal(ctr(d, "ipv4_bad_total_len"), 20); /* IP says 40 bytes, fewer captured */
    /* The same prefixes cut by a snaplen (wire length intact) keep the flow fields. */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 14 + 20 + 14, n, &p), TA_DECODE_OK);
    assert_int_equal(p.tcp_flags, 0x02);
    assert_int_equal(p.wirelen, n);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 14 + 20 + 13, n, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "tcp_truncated"), 1);
    ta_decoder_free(d);
}

static void test_vlan(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    uint8_t f[2000], l4[64];
    const uint16_t tp[4] = {0x88a8, 0x8100, 0x9100, 0x8100}, vid[4] = {0x2064, 200, 300, 400};
    struct ta_packet p;
    for (int nv = 1; nv <= 4; nv++) {
        size_t e = pb_eth(f, 0x0800, nv, tp, vid);
        size_t u = pb_udp(l4, 5, 6, 4);
        pb_ipv4(f + e, A(1, 1, 1, 1), A(2, 2, 2, 2), 17, 1, 0, 9, 0, u);
        memcpy(f + e + 20, l4, u);
        enum ta_decode_result r = dec(d, TA_LINK_ETHERNET, 0, f, e + 20 + u, e + 20 + u, &p);
        if (nv <= 3) {
            assert_int_equal(r, TA_DECODE_OK);
            assert_int_equal(p.vlan_count, nv < 2 ? nv : 2);
            assert_int_equal(p.vlan_id[0], 100); /* priority bits masked off */
            if (nv >= 2)
                assert_int_equal(p.vlan_id[1], 200);
        } else {
            assert_int_equal(r, TA_DECODE_INVALID);
        }
    }
    assert_int_equal(ctr(d, "vlan_too_deep"), 1);
    /* A tag cut short. */
    size_t e = pb_eth(f, 0x0800, 1, tp, vid);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, e - 3, e - 3, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "vlan_truncated"), 1);
    ta_decoder_free(d);
}

static void test_skips_and_bad_ip(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    uint8_t f[200] = {0};
    struct ta_packet p;
    pb_put16(f + 12, 0x0806); /* ARP */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 60, 60, &p), TA_DECODE_SKIPPED);
    pb_put16(f + 12, 0x0026); /* 802.3 length */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 60, 60, &p), TA_DECODE_SKIPPED);
    assert_int_equal(ctr(d, "non_ip"), 2);
    assert_int_equal(dec(d, 147, 0, f, 60, 60, &p), TA_DECODE_SKIPPED);
    assert_int_equal(ctr(d, "unsupported_linktype"), 1);
    assert_true(ta_decoder_counter_is_skip(0));
    pb_put16(f + 12, 0x0800);
    f[14] = 0x55; /* version 5 */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 60, 60, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "ipv4_bad_version"), 1);
    f[14] = 0x44; /* header length 16 */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, 60, 60, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "ipv4_bad_hlen"), 1);
    /* UDP length below 8. */
    size_t n = pb_eth_udp4(f, 1, 2, 3, 4, 4);
    pb_put16(f + 14 + 20 + 4, 7);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "udp_bad_len"), 1);
    /* TCP data offset below 5. */
    n = pb_eth_tcp4(f, 1, 2, 3, 4, 0x10, 0);
    f[14 + 20 + 12] = 0x40;
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "tcp_bad_hlen"), 1);
    /* Names are unique snake_case. */
    for (size_t i = 0; i < ta_decoder_counter_count(); i++) {
        const char *a = ta_decoder_counter_name(i);
        assert_non_null(a);
        for (const char *c = a; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        for (size_t j = i + 1; j < ta_decoder_counter_count(); j++)
            assert_string_not_equal(a, ta_decoder_counter_name(j));
    }
    assert_null(ta_decoder_counter_name(ta_decoder_counter_count()));
    ta_decoder_free(d);
}

/* Build the k-th 8-byte-aligned IPv4 fragment of a UDP datagram. */
static size_t frag4(uint8_t *f, const uint8_t *dg, size_t dglen, size_t off, size_t len,
                    uint16_t id)
{
    size_t e = pb_eth(f, 0x0800, 0, NULL, NULL);
    bool more = off + len < dglen;
    pb_ipv4(f + e, A(10, 0, 0, 1), A(10, 0, 0, 2), 17, id,
            (uint16_t)((off / 8) | (more ? 0x2000 : 0)), 64, 0, len);
    memcpy(f + e + 20, dg + off, len);
    return e + 20 + len;
}

static void test_frag4(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    static uint8_t dg[1608], f[2000];
    size_t u = pb_udp(dg, 1000, 53, 1600);
    struct ta_packet p;
    /* Out of order, with one duplicate (an overlap). */
    const size_t order[4] = {2, 0, 0, 1};
    const size_t offs[3] = {0, 800, 1600};
    for (int i = 0; i < 4; i++) {
        size_t off = offs[order[i]], len = order[i] == 2 ? u - 1600 : 800;
        size_t n = frag4(f, dg, u, off, len, 77);
        enum ta_decode_result r = dec(d, TA_LINK_ETHERNET, (uint64_t)i, f, n, n, &p);
        assert_int_equal(r, i < 3 ? TA_DECODE_FRAG_HELD : TA_DECODE_OK);
    }
    assert_true(p.reassembled);
    assert_int_equal(p.sport, 1000);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.payload_len, 1600);
    assert_int_equal(p.payload[1599], 'u');
    assert_int_equal(p.wirelen, 3 * 834 + (14 + 20 + 8)); /* all four frames */
    assert_int_equal(ctr(d, "frag_reassembled"), 1);
    assert_int_equal(ctr(d, "frag_overlap"), 1);

    /* A fragment whose partner arrives after the timeout is dropped. */
    size_t n = frag4(f, dg, u, 0, 800, 78);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 1000000, f, n, n, &p), TA_DECODE_FRAG_HELD);
    n = frag4(f, dg, u, 800, 800, 79);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 32000000, f, n, n, &p), TA_DECODE_FRAG_HELD);
    assert_int_equal(ctr(d, "frag_timeout"), 1);
    /* Not a multiple of 8 with more fragments to come. */
    n = frag4(f, dg, u, 0, 801, 80);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 32000000, f, n, n, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "frag_invalid"), 1);
    ta_decoder_free(d);

    /* The datagram cap: the oldest datagram gives way. */
    struct ta_decode_opts o;
    ta_decode_opts_default(&o);
    o.max_frag_datagrams = 2;
    assert_int_equal(ta_decoder_new(&o, &d), TA_OK);
    for (uint16_t id = 1; id <= 3; id++) {
        n = frag4(f, dg, u, 0, 800, id);
        assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_FRAG_HELD);
    }
    assert_int_equal(ctr(d, "frag_table_full"), 1);
    n = frag4(f, dg, u, 800, 800, 1); /* datagram 1 was dropped: nothing completes */
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_FRAG_HELD);
    /* That started datagram 1 anew in the place of the oldest, 2; datagram 3
     * is still there and completes, its slot then reused. */
    assert_int_equal(ctr(d, "frag_table_full"), 2);
    uint64_t done = ctr(d, "frag_reassembled");
    n = frag4(f, dg, u, 800, u - 800, 3);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_OK);
    assert_int_equal(ctr(d, "frag_reassembled"), done + 1);
    n = frag4(f, dg, u, 0, 800, 4);
    assert_int_equal(dec(d, TA_LINK_ETHERNET, 0, f, n, n, &p), TA_DECODE_FRAG_HELD);
    assert_int_equal(ctr(d, "frag_table_full"), 2);
    ta_decoder_free(d);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct ta_decoder *d = new_decoder();
    uint8_t f[2000];
    uint8_t s[16] = {0xfe, 0x80, [15] = 1}, t[16] = {0xfe, 0x80, [15] = 2};
    struct ta_packet p;
    /* Nine destination-options headers: over the limit of 8. */
    uint8_t *x = f + 40;
    for (int i = 0; i < 9; i++) {
        memset(x + i * 8, 0, 8);
        x[i * 8] = i == 8 ? 17 : 60;
        x[i * 8 + 2] = 1;
        x[i * 8 + 3] = 4;
    }
    size_t u = pb_udp(x + 72, 1, 2, 0);
    pb_ipv6(f, s, t, 60, 72 + u);
    assert_int_equal(dec(d, TA_LINK_RAW, 0, f, 40 + 72 + u, 40 + 72 + u, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "ipv6_too_many_ext"), 1);
    /* Eight are fine, via linktype IPV6 and SLL2. */
    memmove(x, x + 8, 64 + u);
    pb_ipv6(f, s, t, 60, 64 + u);
    assert_int_equal(dec(d, TA_LINK_IPV6, 0, f, 40 + 64 + u, 40 + 64 + u, &p), TA_DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(p.dport, 2);
    /* An extension header running past the payload. */
    x[1] = 200;
    assert_int_equal(dec(d, TA_LINK_RAW, 0, f, 40 + 64 + u, 40 + 64 + u, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "ipv6_ext_truncated"), 1);
    /* ICMPv6 echo. */
    uint8_t ic[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    pb_ipv6(f, s, t, 58, 8);
    memcpy(f + 40, ic, 8);
    assert_int_equal(dec(d, TA_LINK_RAW, 0, f, 48, 48, &p), TA_DECODE_OK);
    assert_int_equal(p.icmp_type, 128);
    assert_int_equal(p.ip_proto, 58);
    assert_int_equal(dec(d, TA_LINK_RAW, 0, f, 43, 43, &p), TA_DECODE_INVALID);
    assert_int_equal(ctr(d, "ipv6_bad_payload_len"), 1);
    ta_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp4),  cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_vlan),  cmocka_unit_test(test_skips_and_bad_ip),
        cmocka_unit_test(test_frag4), cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
