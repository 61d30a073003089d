/*
 * gen-capture: a small, deterministic capture generator for tests and
 * benchmarks (until threatatlas-gen lands, and for edge cases it does not
 * make).
 *
 *   gen-capture mixed OUT.pcap SIZE_MB [SEED]   realistic mix: many hosts, TCP
 *       sessions (handshake, data 60..1514 bytes, FIN) and UDP request/reply
 *   gen-capture flood OUT.pcap NFLOWS           NFLOWS distinct one-packet UDP flows
 *   gen-capture edge DIR                         edge-case captures (see below)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/pktbuild.h"

#include "common/banned.h"

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static uint8_t frame[70000];

static int gen_mixed(const char *path, uint64_t size_mb, uint64_t seed)
{
    FILE *f = pb_pcap_open(path, 1, 65535);
    if (f == NULL)
        return 1;
    rng_state = seed;
    uint64_t ts = 1395216000000000ull, written = 24, limit = size_mb << 20;
    while (written < limit) {
        uint32_t cli = 0x0a000000u | (rnd() & 0xffff); /* 65,536 clients */
        uint32_t srv = 0xc6330000u | (rnd() & 0x0fff); /* 4,096 servers */
        uint16_t sp = (uint16_t)(1024 + rnd() % 60000);
        size_t n;
        if (rnd() % 4 == 0) { /* UDP request/reply */
            uint16_t dp = rnd() % 2 ? 53 : 123;
            n = pb_eth_udp4(frame, cli, srv, sp, dp, 20 + rnd() % 60);
            pb_pcap_write(f, ts += 7, frame, (uint32_t)n, (uint32_t)n);
            written += 16 + n;
            n = pb_eth_udp4(frame, srv, cli, dp, sp, 40 + rnd() % 400);
            pb_pcap_write(f, ts += 7, frame, (uint32_t)n, (uint32_t)n);
            written += 16 + n;
            continue;
        }
        uint16_t dp = rnd() % 3 ? 443 : 80;
        const uint8_t hs[3] = {0x02, 0x12, 0x10};
        for (int i = 0; i < 3; i++) {
            n = i == 1 ? pb_eth_tcp4(frame, srv, cli, dp, sp, hs[i], 0)
                       : pb_eth_tcp4(frame, cli, srv, sp, dp, hs[i], 0);
            pb_pcap_write(f, ts += 5, frame, (uint32_t)n, (uint32_t)n);
            written += 16 + n;
        }
        int data = 2 + (int)(rnd() % 12);
        for (int i = 0; i < data; i++) {
            /* Frame sizes 60..1514: payload 6..1460 bytes after 54 bytes of headers. */
            size_t pl = rnd() % 3 == 0 ? 6 + rnd() % 200 : 6 + rnd() % 1455;
            n = i % 2 ? pb_eth_tcp4(frame, srv, cli, dp, sp, 0x18, pl)
                      : pb_eth_tcp4(frame, cli, srv, sp, dp, 0x18, pl);
            pb_pcap_write(f, ts += 5, frame, (uint32_t)n, (uint32_t)n);
            written += 16 + n;
        }
        n = pb_eth_tcp4(frame, cli, srv, sp, dp, 0x11, 0);
        pb_pcap_write(f, ts += 5, frame, (uint32_t)n, (uint32_t)n);
        n = pb_eth_tcp4(frame, srv, cli, dp, sp, 0x11, 0);
        pb_pcap_write(f, ts += 5, frame, (uint32_t)n, (uint32_t)n);
        written += 2 * (16 + n);
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int gen_flood(const char *path, uint64_t nflows)
{
    FILE *f = pb_pcap_open(path, 1, 65535);
    if (f == NULL)
        return 1;
    uint64_t ts = 1395216000000000ull;
    for (uint64_t i = 0; i < nflows; i++) {
        uint32_t src = 0x0a000000u | (uint32_t)(i >> 8 & 0xffffff);
        uint16_t sp = (uint16_t)(1024 + (i & 0xff));
        size_t n = pb_eth_udp4(frame, src, 0xc6336401u, sp, 53, 18);
        pb_pcap_write(f, ts++, frame, (uint32_t)n, (uint32_t)n);
    }
    return fclose(f) == 0 ? 0 : 1;
}

static FILE *edge_open(const char *dir, const char *name, uint32_t lt, uint32_t snap)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return pb_pcap_open(p, lt, snap);
}

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define T0            1395216062000000ull

/* IPv4 UDP datagram of 3000 payload bytes in 3 fragments sent 3rd, 1st, 2nd, then a reply. */
static void edge_frag(const char *dir)
{
    FILE *f = edge_open(dir, "frag-ooo.pcap", 1, 65535);
    uint32_t s = A(10, 1, 0, 1), d = A(10, 1, 0, 2);
    static uint8_t dgram[3008];
    size_t u = pb_udp(dgram, 5000, 53, 3000);
    pb_put16(dgram + 6, pb_l4sum4(s, d, 17, dgram, u));
    const size_t offs[3] = {2960, 0, 1480};
    for (int i = 0; i < 3; i++) {
        size_t off = offs[i], len = off == 2960 ? u - 2960 : 1480;
        size_t e = pb_eth(frame, 0x0800, 0, NULL, NULL);
        uint16_t fl = (uint16_t)((off / 8) | (off == 2960 ? 0 : 0x2000));
        pb_ipv4(frame + e, s, d, 17, 0x1234, fl, 64, 0, len);
        memcpy(frame + e + 20, dgram + off, len);
        pb_pcap_write(f, T0 + (uint64_t)i * 1000, frame, (uint32_t)(e + 20 + len),
                      (uint32_t)(e + 20 + len));
    }
    size_t n = pb_eth_udp4(frame, d, s, 53, 5000, 100);
    pb_pcap_write(f, T0 + 5000, frame, (uint32_t)n, (uint32_t)n);
    fclose(f);
}

/* A full TCP connection inside 802.1ad 100 / 802.1Q 200. */
static void edge_qinq(const char *dir)
{
    FILE *f = edge_open(dir, "qinq.pcap", 1, 65535);
    uint32_t c = A(10, 2, 0, 1), s = A(10, 2, 0, 2);
    const uint8_t fl[6] = {0x02, 0x12, 0x10, 0x11, 0x11, 0x10};
    const uint16_t tp[2] = {0x88a8, 0x8100}, vid[2] = {100, 200};
    for (int i = 0; i < 6; i++) {
        bool rev = i == 1 || i == 4;
        size_t e = pb_eth(frame, 0x0800, 2, tp, vid);
        size_t t = pb_tcp(frame + e + 20, rev ? 80 : 40000, rev ? 40000 : 80, 1, 1, fl[i], 0);
        pb_ipv4(frame + e, rev ? s : c, rev ? c : s, 6, 1, 0, 64, 0, t);
        pb_pcap_write(f, T0 + (uint64_t)i * 1000, frame, (uint32_t)(e + 20 + t),
                      (uint32_t)(e + 20 + t));
    }
    fclose(f);
}

/* One UDP packet 10.3.0.1:1111 -> 10.3.0.2:2222 (24 payload bytes) behind link type lt. */
static void edge_link(const char *dir, const char *name, uint32_t lt)
{
    FILE *f = edge_open(dir, name, lt, 65535);
    uint8_t l3[128];
    size_t u = pb_udp(l3 + 20, 1111, 2222, 24);
    pb_ipv4(l3, A(10, 3, 0, 1), A(10, 3, 0, 2), 17, 7, 0, 64, 8, u); /* with IP options */
    memmove(l3 + 28, l3 + 20, u);
    pb_udp(l3 + 28, 1111, 2222, 24);
    size_t ip = pb_ipv4(l3, A(10, 3, 0, 1), A(10, 3, 0, 2), 17, 7, 0, 64, 8, u) + u;
    size_t h = 0;
    if (lt == 113) { /* SLL: type, arphrd, addr len, 8 addr bytes, protocol */
        memset(frame, 0, 16);
        pb_put16(frame + 2, 1);
        pb_put16(frame + 4, 6);
        pb_put16(frame + 14, 0x0800);
        h = 16;
    } else if (lt == 276) { /* SLL2: protocol, reserved, ifindex, arphrd, type, len, addr */
        memset(frame, 0, 20);
        pb_put16(frame, 0x0800);
        pb_put16(frame + 8, 1);
        frame[11] = 6;
        h = 20;
    } else if (lt == 0) { /* BSD null: AF_INET in host byte order */
        uint32_t fam = 2;
        memcpy(frame, &fam, 4);
        h = 4;
    }
    memcpy(frame + h, l3, ip);
    pb_pcap_write(f, T0, frame, (uint32_t)(h + ip), (uint32_t)(h + ip));
    fclose(f);
}

/* Snaplen 60: three TCP packets of 1054 bytes on the wire, 60 captured. */
static void edge_snap(const char *dir)
{
    FILE *f = edge_open(dir, "snap60.pcap", 1, 60);
    for (int i = 0; i < 3; i++) {
        size_t n = pb_eth_tcp4(frame, A(10, 4, 0, 1), A(10, 4, 0, 2), 3333, 80, 0x18, 1000);
        pb_pcap_write(f, T0 + (uint64_t)i, frame, 60, (uint32_t)n);
    }
    fclose(f);
}

/* IPv6: hop-by-hop + destination options + TCP SYN; and a UDP datagram in 2 fragments (2nd first).
 */
static void edge_ipv6(const char *dir)
{
    FILE *f = edge_open(dir, "ipv6-ext.pcap", 1, 65535);
    uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, d[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    size_t e = pb_eth(frame, 0x86dd, 0, NULL, NULL);
    uint8_t *p = frame + e + 40;
    memset(p, 0, 16);
    p[0] = 60; /* hop-by-hop -> dest opts */
    p[2] = 1;  /* PadN */
    p[3] = 4;
    p[8] = 6; /* dest opts -> TCP */
    p[10] = 1;
    p[11] = 4;
    size_t t = pb_tcp(p + 16, 5555, 443, 1, 0, 0x02, 0);
    pb_ipv6(frame + e, s, d, 0, 16 + t);
    pb_pcap_write(f, T0, frame, (uint32_t)(e + 40 + 16 + t), (uint32_t)(e + 40 + 16 + t));
    /* UDP 6666 -> 53 with 1200 payload bytes: fragments of 1000 and 208 bytes. */
    static uint8_t dg[1208];
    size_t u = pb_udp(dg, 6666, 53, 1200);
    const size_t offs[2] = {1000, 0};
    for (int i = 0; i < 2; i++) {
        size_t off = offs[i], len = off ? u - off : 1000;
        uint8_t *fh = frame + e + 40;
        fh[0] = 17;
        fh[1] = 0;
        pb_put16(fh + 2, (uint16_t)(off | (off ? 0 : 1)));
        pb_put32(fh + 4, 0xabcdef01u);
        memcpy(fh + 8, dg + off, len);
        pb_ipv6(frame + e, s, d, 44, 8 + len);
        pb_pcap_write(f, T0 + 1000 + (uint64_t)i, frame, (uint32_t)(e + 48 + len),
                      (uint32_t)(e + 48 + len));
    }
    fclose(f);
}

/* pcapng with a TCP SYN / SYN-ACK (the SYN/ACK first: the receiver is the client). */
static void edge_pcapng(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/synack-first.pcapng", dir);
    FILE *f = pb_pcapng_open(p, 1);
    size_t n = pb_eth_tcp4(frame, A(10, 5, 0, 2), A(10, 5, 0, 1), 80, 40001, 0x12, 0);
    pb_pcapng_write(f, T0, frame, (uint32_t)n);
    n = pb_eth_tcp4(frame, A(10, 5, 0, 1), A(10, 5, 0, 2), 40001, 80, 0x10, 0);
    pb_pcapng_write(f, T0 + 10, frame, (uint32_t)n);
    fclose(f);
}

/* Two UDP flows and one ICMP echo request/reply, a base for truncation and filters. */
static void edge_basic(const char *dir)
{
    FILE *f = edge_open(dir, "basic.pcap", 1, 65535);
    for (int i = 0; i < 4; i++) {
        size_t n = i % 2 ? pb_eth_udp4(frame, A(10, 6, 0, 2), A(10, 6, 0, 1), 53, 7000, 50)
                         : pb_eth_udp4(frame, A(10, 6, 0, 1), A(10, 6, 0, 2), 7000, 53, 30);
        pb_pcap_write(f, T0 + (uint64_t)i * 100, frame, (uint32_t)n, (uint32_t)n);
    }
    size_t n = pb_eth_udp4(frame, A(10, 6, 0, 3), A(10, 6, 0, 4), 7001, 123, 48);
    pb_pcap_write(f, T0 + 500, frame, (uint32_t)n, (uint32_t)n);
    for (int i = 0; i < 2; i++) {
        size_t e = pb_eth(frame, 0x0800, 0, NULL, NULL);
        uint8_t *ic = frame + e + 20;
        memset(ic, 0, 8);
        ic[0] = i ? 0 : 8;
        pb_put16(ic + 2, pb_fold(pb_sum(ic, 8, 0)));
        pb_ipv4(frame + e, i ? A(10, 6, 0, 4) : A(10, 6, 0, 3), i ? A(10, 6, 0, 3) : A(10, 6, 0, 4),
                1, 9, 0, 64, 0, 8);
        pb_pcap_write(f, T0 + 600 + (uint64_t)i, frame, (uint32_t)(e + 28), (uint32_t)(e + 28));
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "mixed") == 0)
        return gen_mixed(argv[2], strtoull(argv[3], NULL, 10),
                         argc > 4 ? strtoull(argv[4], NULL, 10) : 42);
    if (argc == 4 && strcmp(argv[1], "flood") == 0)
        return gen_flood(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "edge") == 0) {
        edge_frag(argv[2]);
        edge_qinq(argv[2]);
        edge_link(argv[2], "sll.pcap", 113);
        edge_link(argv[2], "sll2.pcap", 276);
        edge_link(argv[2], "raw.pcap", 101);
        edge_link(argv[2], "null.pcap", 0);
        edge_snap(argv[2]);
        edge_ipv6(argv[2]);
        edge_pcapng(argv[2]);
        edge_basic(argv[2]);
        return 0;
    }
    fprintf(stderr, "usage: gen-capture mixed OUT SIZE_MB [SEED] | flood OUT NFLOWS | edge DIR\n");
    return 2;
}
