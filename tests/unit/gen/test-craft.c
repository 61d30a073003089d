/*
 * Unit tests for tools/gen/craft.c: capture file bytes, checksums (verified
 * with an independent implementation), fragment offsets and TCP sequence
 * numbers of the session helper.
 */
#include "testutil.h"

#include "craft.h"

#include <unistd.h>
#include <zlib.h>

/* Independent one's-complement sum: 64-bit accumulator over big-endian words. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint64_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint64_t)(p[i] * 256u + p[i + 1]);
    if (n % 2)
        acc += (uint64_t)p[n - 1] * 256u;
    while (acc > 0xffff)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

/* Verifying sum over data including its checksum gives 0xffff. */
static void assert_l4_ok(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
                         const uint8_t *l4, size_t n)
{
    uint8_t pseudo[40];
    uint64_t acc = 0;
    memcpy(pseudo, src, alen);
    memcpy(pseudo + alen, dst, alen);
    acc = ref_sum(pseudo, 2 * alen, 0);
    acc += proto;
    acc += (uint64_t)n;
    assert_int_equal(ref_sum(l4, n, acc), 0xffff);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct tg_frame v4frame(const char *s, const char *d)
{
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    f.linktype = TG_LINK_ETH;
    assert_true(ta_addr_parse(&f.src, s));
    assert_true(ta_addr_parse(&f.dst, d));
    f.ttl = 57;
    f.ip_id = 0x1234;
    f.df = true;
    return f;
}

static void test_checksum_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3 example: sum of these words is 0xddf2, checksum ~. */
    const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(tg_inet_checksum(d, sizeof(d)), (uint16_t)~0xddf2);
    /* A well-known IPv4 header (Wikipedia example) has checksum 0xb861. */
    uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                     0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(tg_inet_checksum(h, 20), 0xb861);
}

static void test_tcp_syn_frame(void **state)
{
    (void)state;
    struct tg_frame f = v4frame("192.0.2.10", "198.51.100.20");
    struct tg_tcp t = {.sport = 40000,
                       .dport = 443,
                       .seq = 1000,
                       .flags = TG_SYN,
                       .win = 64240,
                       .mss = 1460,
                       .sack_perm = true,
                       .ts = true,
                       .tsval = 7,
                       .tsecr = 0,
                       .wscale = 7};
    uint8_t b[256];
    size_t n = tg_build_tcp(b, sizeof(b), &f, &t, NULL, 0);
    assert_int_equal(n, 14 + 20 + 40);
    assert_int_equal(rd16(b + 12), 0x0800);
    const uint8_t *ip = b + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(rd16(ip + 2), 60);
    assert_int_equal(rd16(ip + 4), 0x1234);
    assert_int_equal(rd16(ip + 6), 0x4000);
    assert_int_equal(ip[8], 57);
    assert_int_equal(ip[9], 6);
    assert_int_equal(ref_sum(ip, 20, 0), 0xffff);
    const uint8_t *tcp = ip + 20;
    assert_int_equal(rd16(tcp), 40000);
    assert_int_equal(rd16(tcp + 2), 443);
    assert_int_equal(rd32(tcp + 4), 1000);
    assert_int_equal(tcp[12] >> 4, 10);
    assert_int_equal(tcp[13], TG_SYN);
    /* MSS, SACK-permitted, timestamps, NOP, window scale (Linux order). */
    const uint8_t opts[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7};
    assert_memory_equal(tcp + 20, opts, sizeof(opts));
    assert_l4_ok(ip + 12, ip + 16, 4, 6, tcp, 40);
    /* Too small a buffer gives 0, never a partial frame. */
    assert_int_equal(tg_build_tcp(b, 60, &f, &t, NULL, 0), 0);
}

static void test_udp_v6_ext_headers(void **state)
{
    (void)state;
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    f.linktype = TG_LINK_ETH;
    f.nvlan = 2;
    f.vlan[0] = 100;
    f.vlan[1] = 200;
    assert_true(ta_addr_parse(&f.src, "2001:db8::1"));
    assert_true(ta_addr_parse(&f.dst, "2001:db8::53"));
    f.nv6_ext = 3;
    f.v6_ext[0] = TG_V6_HOPOPTS;
    f.v6_ext[1] = TG_V6_ROUTING;
    f.v6_ext[2] = TG_V6_FRAGMENT;
    f.v6_frag_id = 0xabcdef01;
    const uint8_t pl[5] = {1, 2, 3, 4, 5};
    uint8_t b[256];
    size_t n = tg_build_udp(b, sizeof(b), &f, 5353, 53, pl, sizeof(pl));
    assert_int_equal(n, 14 + 8 + 40 + 24 + 8 + 5);
    assert_int_equal(rd16(b + 12), 0x88a8);
    assert_int_equal(rd16(b + 14), 100);
    assert_int_equal(rd16(b + 16), 0x8100);
    assert_int_equal(rd16(b + 18), 200);
    assert_int_equal(rd16(b + 20), 0x86dd);
    const uint8_t *ip = b + 22;
    assert_int_equal(ip[0] >> 4, 6);
    assert_int_equal(rd16(ip + 4), 24 + 8 + 5);
    assert_int_equal(ip[6], 0);   /* hop-by-hop first */
    assert_int_equal(ip[40], 43); /* then routing */
    assert_int_equal(ip[48], 44); /* then fragment */
    assert_int_equal(ip[56], 17); /* then UDP */
    assert_int_equal(rd32(ip + 60), 0xabcdef01);
    assert_int_equal(rd16(ip + 58), 0); /* offset 0, M = 0 */
    const uint8_t *udp = ip + 64;
    assert_int_equal(rd16(udp + 4), 13);
    assert_l4_ok(ip + 8, ip + 24, 16, 17, udp, 13);
}

static void test_icmp_and_links(void **state)
{
    (void)state;
    struct tg_frame f = v4frame("192.0.2.1", "192.0.2.2");
    f.linktype = TG_LINK_RAW;
    uint8_t b[256];
    const uint8_t pl[4] = {'p', 'i', 'n', 'g'};
    size_t n = tg_build_icmp_echo(b, sizeof(b), &f, false, 7, 9, pl, 4);
    assert_int_equal(n, 20 + 12);
    assert_int_equal(b[0], 0x45);
    assert_int_equal(b[20], 8);
    assert_int_equal(rd16(b + 24), 7);
    assert_int_equal(rd16(b + 26), 9);
    assert_int_equal(ref_sum(b + 20, 12, 0), 0xffff);

    f.linktype = TG_LINK_SLL;
    n = tg_build_icmp_echo(b, sizeof(b), &f, true, 7, 9, pl, 4);
    assert_int_equal(n, 16 + 20 + 12);
    assert_int_equal(rd16(b), 0);
    assert_int_equal(rd16(b + 2), 1);
    assert_int_equal(rd16(b + 4), 6);
    assert_int_equal(rd16(b + 14), 0x0800);
    assert_int_equal(b[36], 0);

    struct tg_frame g;
    memset(&g, 0, sizeof(g));
    assert_true(ta_addr_parse(&g.src, "2001:db8::1"));
    assert_true(ta_addr_parse(&g.dst, "2001:db8::2"));
    n = tg_build_icmp_echo(b, sizeof(b), &g, false, 1, 2, pl, 4);
    assert_int_equal(n, 14 + 40 + 12);
    assert_int_equal(b[14 + 6], 58);
    assert_int_equal(b[54], 128);
    assert_l4_ok(b + 22, b + 38, 16, 58, b + 54, 12);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct tg_frame f = v4frame("192.0.2.10", "198.51.100.20");
    f.df = false;
    uint8_t pl[1000];
    for (size_t i = 0; i < sizeof(pl); i++)
        pl[i] = (uint8_t)(i * 7);
    uint8_t whole[2048];
    size_t n = tg_build_udp(whole, sizeof(whole), &f, 1111, 2222, pl, sizeof(pl));
    assert_int_equal(n, 14 + 20 + 1008);
    uint8_t re[1008];
    size_t got = 0;
    /* 1008 bytes in 3 pieces: 336 each (multiple of 8). */
    const size_t want_off[3] = {0, 336, 672};
    for (unsigned i = 0; i < 3; i++) {
        uint8_t fr[2048];
        size_t m = tg_ipv4_fragment(fr, sizeof(fr), whole, n, 14, 3, i);
        assert_int_equal(m, 14 + 20 + 336);
        const uint8_t *ip = fr + 14;
        assert_int_equal(ref_sum(ip, 20, 0), 0xffff);
        assert_int_equal(rd16(ip + 4), 0x1234);
        uint16_t fl = rd16(ip + 6);
        assert_int_equal((fl & 0x1fff) * 8, want_off[i]);
        assert_int_equal(!!(fl & 0x2000), i < 2);
        assert_int_equal(rd16(ip + 2), 20 + 336);
        memcpy(re + want_off[i], ip + 20, 336);
        got += 336;
    }
    assert_int_equal(got, 1008);
    assert_memory_equal(re, whole + 34, 1008);
    assert_int_equal(tg_ipv4_fragment(re, sizeof(re), whole, n, 14, 3, 3), 0);
    /* More pieces than 8-byte blocks is refused. */
    assert_int_equal(tg_ipv4_fragment(re, sizeof(re), whole, n, 14, 200, 0), 0);
}

struct rec {
    ta_time_us ts;
    uint8_t flags;
    uint32_t seq, ack;
    bool c2s;
    size_t plen;
    uint32_t tsval, tsecr;
    bool has_ts;
};

struct col {
    struct rec r[64];
    int n;
};

static ta_err collect(void *ctx, ta_time_us ts, const uint8_t *fr, size_t len)
{
    struct col *c = ctx;
    assert_true(c->n < 64);
    const uint8_t *ip = fr + 14;
    const uint8_t *tcp = ip + 20;
    size_t hl = (size_t)(tcp[12] >> 4) * 4;
    struct rec *r = &c->r[c->n++];
    r->ts = ts;
    r->flags = tcp[13];
    r->seq = rd32(tcp + 4);
    r->ack = rd32(tcp + 8);
    r->c2s = rd16(tcp + 2) == 80;
    r->plen = len - 14 - 20 - hl;
    r->has_ts = false;
    for (size_t o = 20; o < hl;) {
        if (tcp[o] == 0)
            break;
        if (tcp[o] == 1) {
            o++;
            continue;
        }
        assert_true(o + 1 < hl && tcp[o + 1] >= 2 && o + tcp[o + 1] <= hl);
        if (tcp[o] == 8 && tcp[o + 1] == 10) {
            r->has_ts = true;
            r->tsval = rd32(tcp + o + 2);
            r->tsecr = rd32(tcp + o + 6);
        }
        o += tcp[o + 1];
    }
    assert_int_equal(ref_sum(ip, 20, 0), 0xffff);
    assert_l4_ok(ip + 12, ip + 16, 4, 6, tcp, len - 34);
    return TA_OK;
}

static void test_tcp_session(void **state)
{
    (void)state;
    struct tg_frame f = v4frame("192.0.2.10", "198.51.100.20");
    struct col c = {.n = 0};
    static struct tg_tcp_sess s;
    tg_tcp_sess_init(&s, &f, 50000, 80, 1000000, 30000, 100, 5000, collect, &c);
    assert_int_equal(tg_tcp_sess_open(&s), TA_OK);
    uint8_t req[100], resp[3000];
    memset(req, 'a', sizeof(req));
    memset(resp, 'b', sizeof(resp));
    assert_int_equal(tg_tcp_sess_send(&s, true, req, sizeof(req)), TA_OK);
    assert_int_equal(tg_tcp_sess_send(&s, false, resp, sizeof(resp)), TA_OK);
    assert_int_equal(tg_tcp_sess_close(&s, true), TA_OK);

    /* SYN, SYN-ACK, ACK | req, ACK | 3 segments + 2 ACKs | FIN, FIN, ACK */
    assert_int_equal(c.n, 3 + 2 + 5 + 3);
    assert_int_equal(s.packets, 13);
    assert_true(c.r[0].c2s && c.r[0].flags == TG_SYN && c.r[0].seq == 100);
    assert_true(!c.r[1].c2s && c.r[1].flags == (TG_SYN | TG_ACK));
    assert_int_equal(c.r[1].seq, 5000);
    assert_int_equal(c.r[1].ack, 101);
    assert_int_equal(c.r[1].ts - c.r[0].ts, 30000);
    assert_true(c.r[2].c2s && c.r[2].flags == TG_ACK && c.r[2].seq == 101 && c.r[2].ack == 5001);
    /* Request and its ACK. */
    assert_int_equal(c.r[3].seq, 101);
    assert_int_equal(c.r[3].plen, 100);
    assert_int_equal(c.r[3].flags, TG_ACK | TG_PSH);
    assert_int_equal(c.r[4].ack, 201);
    assert_false(c.r[4].c2s);
    /* Response: 1460 + 1460 + 80, client ACKs after the 2nd and the 3rd. */
    uint32_t sseq = 5001;
    size_t sizes[3] = {1460, 1460, 80};
    int k = 0;
    uint32_t acks_seen[2];
    int na = 0;
    for (int i = 5; i < 10; i++) {
        if (!c.r[i].c2s) {
            assert_int_equal(c.r[i].seq, sseq);
            assert_int_equal(c.r[i].plen, sizes[k]);
            sseq += (uint32_t)sizes[k++];
        } else {
            assert_int_equal(c.r[i].plen, 0);
            acks_seen[na++] = c.r[i].ack;
        }
    }
    assert_int_equal(k, 3);
    assert_int_equal(na, 2);
    assert_int_equal(acks_seen[0], 5001 + 2920);
    assert_int_equal(acks_seen[1], 5001 + 3000);
    /* The response follows the server's ACK, one RTT after the request. */
    assert_int_equal(c.r[4].ts - c.r[3].ts, 30000);
    assert_int_equal(c.r[5].ts - c.r[3].ts, 30020);
    /* Teardown: FIN consumes one sequence number. */
    assert_true(c.r[10].c2s && c.r[10].flags == (TG_FIN | TG_ACK) && c.r[10].seq == 201);
    assert_true(!c.r[11].c2s && c.r[11].flags == (TG_FIN | TG_ACK) && c.r[11].seq == 8001 &&
                c.r[11].ack == 202);
    assert_true(c.r[12].c2s && c.r[12].flags == TG_ACK && c.r[12].seq == 202 &&
                c.r[12].ack == 8002);
    for (int i = 1; i < c.n; i++)
        assert_true(c.r[i].ts >= c.r[i - 1].ts);
    /* Every segment carries timestamps; the SYN echoes 0 and every other
     * segment echoes the latest tsval its peer put on the wire before it (a
     * tsecr the peer never sent makes Suricata drop the segment). */
    assert_true(c.r[0].has_ts);
    assert_int_equal(c.r[0].tsecr, 0);
    assert_int_equal(c.r[1].tsecr, c.r[0].tsval);
    assert_int_equal(c.r[2].tsecr, c.r[1].tsval);
    for (int i = 1; i < c.n; i++) {
        assert_true(c.r[i].has_ts);
        int peer = i - 1;
        while (peer >= 0 && c.r[peer].c2s == c.r[i].c2s)
            peer--;
        assert_true(peer >= 0);
        assert_int_equal(c.r[i].tsecr, c.r[peer].tsval);
    }
}

static void test_pcap_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/test-craft-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct tg_pcap *w = NULL;
    struct tg_pcap_opts o = {.linktype = 113, .snaplen = 60};
    assert_int_equal(tg_pcap_open(&w, path, &o), TA_OK);
    uint8_t pkt[100];
    memset(pkt, 0xee, sizeof(pkt));
    assert_int_equal(tg_pcap_write(w, 1395216062123456ull, pkt, 100), TA_OK);
    assert_int_equal(tg_pcap_packets(w), 1);
    assert_int_equal(tg_pcap_bytes(w), 60);
    assert_int_equal(tg_pcap_close(w), TA_OK);

    uint8_t b[256];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    assert_int_equal(n, 24 + 16 + 60);
    const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,  0, 4, 0, 0,   0, 0, 0,
                             0,    0,    0,    0,    60, 0, 0, 0, 113, 0, 0, 0};
    assert_memory_equal(b, hdr, 24);
    /* ts_sec 1395216062 = 0x53294ebe, ts_usec 123456 = 0x0001e240 */
    const uint8_t rec[16] = {0xbe, 0x4e, 0x29, 0x53, 0x40, 0xe2, 0x01, 0,
                             60,   0,    0,    0,    100,  0,    0,    0};
    assert_memory_equal(b + 24, rec, 16);

    /* pcapng: SHB (28) + IDB (20) + EPB (32 + 100 rounded to 4 = 132). */
    struct tg_pcap_opts ng = {.linktype = 1, .pcapng = true};
    assert_int_equal(tg_pcap_open(&w, path, &ng), TA_OK);
    assert_int_equal(tg_pcap_write(w, 1000001, pkt, 99), TA_OK);
    assert_int_equal(tg_pcap_close(w), TA_OK);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(b, 1, sizeof(b), f);
    fclose(f);
    assert_int_equal(n, 28 + 20 + 132);
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[8], 0x4d);
    assert_int_equal(b[28], 1);
    assert_int_equal(b[48], 6);
    assert_int_equal(b[52], 132);
    assert_int_equal(b[48 + 128], 132); /* trailing block length */

    /* gzip: the decompressed stream is a pcap with our record. */
    struct tg_pcap_opts gz = {.linktype = 1, .gzip = true};
    assert_int_equal(tg_pcap_open(&w, path, &gz), TA_OK);
    assert_int_equal(tg_pcap_write(w, 5, pkt, 42), TA_OK);
    assert_int_equal(tg_pcap_close(w), TA_OK);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(b, 1, 2, f);
    fclose(f);
    assert_int_equal(b[0], 0x1f);
    assert_int_equal(b[1], 0x8b);
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    int r = gzread(g, b, sizeof(b));
    gzclose(g);
    assert_int_equal(r, 24 + 16 + 42);
    assert_int_equal(b[20], 1);
    assert_int_equal(b[24 + 4], 5);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_rfc1071_example),
        cmocka_unit_test(test_tcp_syn_frame),
        cmocka_unit_test(test_udp_v6_ext_headers),
        cmocka_unit_test(test_icmp_and_links),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_tcp_session),
        cmocka_unit_test(test_pcap_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
