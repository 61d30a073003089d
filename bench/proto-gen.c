/*
 * proto-gen: writes a deterministic mixed capture for the app-layer
 * benchmark: DNS over UDP (query + answer), HTTP/1.1 sessions (handshake,
 * request, response body in MSS-sized segments, FIN), TLS sessions
 * (ClientHello, ServerHello + Certificate + ServerHelloDone, application
 * data, FIN) and other TCP/UDP traffic, over many hosts.
 *
 *   proto-gen OUT.pcap SIZE_MB [SEED]
 *
 * Without arguments it exits 77 (bench/run.sh then reports a skip; the
 * benchmark proper is bench/proto.sh, which calls it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

static uint64_t rs;
static uint32_t rnd(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rs >> 33);
}

static FILE *out;
static uint64_t written, ts = 1700000000000000ull;
static uint8_t fr[2000];

static void pkt(uint32_t sa, uint32_t da, uint8_t proto, uint16_t sp, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
    size_t l4 = proto == 6 ? 20 : 8, ipl = 20 + l4 + n, fl = 14 + ipl;
    memset(fr, 0, 14 + 20 + l4);
    fr[12] = 8;
    uint8_t *ip = fr + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ipl >> 8);
    ip[3] = (uint8_t)ipl;
    ip[8] = 64;
    ip[9] = proto;
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(sa >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(da >> (24 - 8 * i));
    }
    uint8_t *t = ip + 20;
    t[0] = (uint8_t)(sp >> 8);
    t[1] = (uint8_t)sp;
    t[2] = (uint8_t)(dp >> 8);
    t[3] = (uint8_t)dp;
    if (proto == 6) {
        for (int i = 0; i < 4; i++) {
            t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
            t[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
        }
        t[12] = 0x50;
        t[13] = flags;
        t[14] = 0xff;
    } else {
        t[4] = (uint8_t)((8 + n) >> 8);
        t[5] = (uint8_t)(8 + n);
    }
    memcpy(t + l4, pl, n);
    ts += 50 + rnd() % 200;
    uint32_t h[4] = {(uint32_t)(ts / 1000000), (uint32_t)(ts % 1000000), (uint32_t)fl,
                     (uint32_t)fl};
    fwrite(h, 4, 4, out);
    fwrite(fr, 1, fl, out);
    written += 16 + fl;
}

/* A TCP session: handshake, alternating client/server messages, FIN. */
struct tcp {
    uint32_t c, s, seq[2];
    uint16_t cp, sp;
};

static void tcp_open(struct tcp *t)
{
    pkt(t->c, t->s, 6, t->cp, t->sp, t->seq[0]++, 0, 0x02, NULL, 0);
    pkt(t->s, t->c, 6, t->sp, t->cp, t->seq[1]++, t->seq[0], 0x12, NULL, 0);
    pkt(t->c, t->s, 6, t->cp, t->sp, t->seq[0], t->seq[1], 0x10, NULL, 0);
}

static void tcp_send(struct tcp *t, int d, const uint8_t *b, size_t n)
{
    while (n > 0) {
        size_t k = n < 1460 ? n : 1460;
        if (d == 0)
            pkt(t->c, t->s, 6, t->cp, t->sp, t->seq[0], t->seq[1], 0x18, b, k);
        else
            pkt(t->s, t->c, 6, t->sp, t->cp, t->seq[1], t->seq[0], 0x18, b, k);
        t->seq[d] += (uint32_t)k;
        b += k;
        n -= k;
    }
}

static void tcp_close(struct tcp *t)
{
    pkt(t->c, t->s, 6, t->cp, t->sp, t->seq[0]++, t->seq[1], 0x11, NULL, 0);
    pkt(t->s, t->c, 6, t->sp, t->cp, t->seq[1]++, t->seq[0], 0x11, NULL, 0);
    pkt(t->c, t->s, 6, t->cp, t->sp, t->seq[0], t->seq[1], 0x10, NULL, 0);
}

static uint8_t big[70000];

static size_t dname(uint8_t *p, const char *s)
{
    size_t n = 0;
    while (*s) {
        const char *d = strchr(s, '.');
        size_t l = d ? (size_t)(d - s) : strlen(s);
        p[n++] = (uint8_t)l;
        memcpy(p + n, s, l);
        n += l;
        s += l + (d ? 1 : 0);
    }
    p[n++] = 0;
    return n;
}

static void dns(uint32_t c, uint32_t s)
{
    uint8_t q[300], r[400];
    char nm[64];
    snprintf(nm, sizeof(nm), "h%u.example%u.com", rnd() % 100000, rnd() % 500);
    uint16_t id = (uint16_t)rnd(), sp = (uint16_t)(1024 + rnd() % 60000);
    size_t n = 12;
    memset(q, 0, 12);
    q[0] = (uint8_t)(id >> 8);
    q[1] = (uint8_t)id;
    q[2] = 1;
    q[5] = 1;
    n += dname(q + n, nm);
    memcpy(q + n, "\0\1\0\1", 4);
    n += 4;
    pkt(c, s, 17, sp, 53, 0, 0, 0, q, n);
    memcpy(r, q, n);
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 2;
    size_t m = n;
    static const uint8_t cname[] = {0xc0, 12, 0, 5, 0,   1,   0,   0,    1,
                                    0,    0,  6, 3, 'w', 'e', 'b', 0xc0, 12};
    memcpy(r + m, cname, sizeof(cname));
    m += sizeof(cname);
    uint8_t a[] = {0xc0, (uint8_t)(n + 12), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 0, 0};
    a[14] = (uint8_t)rnd();
    a[15] = (uint8_t)rnd();
    memcpy(r + m, a, sizeof(a));
    m += sizeof(a);
    pkt(s, c, 17, 53, sp, 0, 0, 0, r, m);
}

static void http(struct tcp *t)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /p/%u/index.php?id=%u HTTP/1.1\r\nHost: www%u.example.net\r\n"
                     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench\r\nAccept: */*\r\n"
                     "Referer: http://ref.example/\r\nConnection: keep-alive\r\n\r\n",
                     rnd() % 1000, rnd(), rnd() % 2000);
    size_t body = 200 + rnd() % 30000;
    int h = snprintf((char *)big, 512,
                     "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/html\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     body);
    memset(big + h, 'x', body);
    tcp_open(t);
    int reqs = 1 + (int)(rnd() % 3);
    for (int i = 0; i < reqs; i++) {
        tcp_send(t, 0, (const uint8_t *)req, (size_t)n);
        tcp_send(t, 1, big, (size_t)h + body);
    }
    tcp_close(t);
}

static size_t tls_rec(uint8_t *p, uint8_t type, const uint8_t *b, size_t n)
{
    p[0] = type;
    p[1] = 3;
    p[2] = 3;
    p[3] = (uint8_t)(n >> 8);
    p[4] = (uint8_t)n;
    memcpy(p + 5, b, n);
    return n + 5;
}

static void tls(struct tcp *t)
{
    static const uint8_t ch_tail[] = {
        0x00, 0x08, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2b, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2a,
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02,
        0x01, 0x00, 0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, 0x00, 0x10,
        0x00, 0x05, 0x00, 0x03, 0x02, 'h',  '2',  0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x03};
    uint8_t hs[600], rec[4096];
    char sni[64];
    int sl = snprintf(sni, sizeof(sni), "s%u.cdn%u.example.org", rnd() % 10000, rnd() % 100);
    size_t n = 4;
    hs[n++] = 3;
    hs[n++] = 3;
    for (int i = 0; i < 32; i++)
        hs[n++] = (uint8_t)rnd();
    hs[n++] = 0;
    /* ciphers, compression, extensions with SNI first */
    memcpy(hs + n, ch_tail, 12);
    size_t extlen_at = n + 12;
    n += 14;
    size_t e0 = n;
    hs[n++] = 0;
    hs[n++] = 0;
    hs[n++] = 0;
    hs[n++] = (uint8_t)(sl + 5);
    hs[n++] = 0;
    hs[n++] = (uint8_t)(sl + 3);
    hs[n++] = 0;
    hs[n++] = 0;
    hs[n++] = (uint8_t)sl;
    memcpy(hs + n, sni, (size_t)sl);
    n += (size_t)sl;
    memcpy(hs + n, ch_tail + 14, sizeof(ch_tail) - 14);
    n += sizeof(ch_tail) - 14;
    hs[extlen_at] = (uint8_t)((n - e0) >> 8);
    hs[extlen_at + 1] = (uint8_t)(n - e0);
    hs[0] = 1;
    hs[1] = 0;
    hs[2] = (uint8_t)((n - 4) >> 8);
    hs[3] = (uint8_t)(n - 4);
    tcp_open(t);
    tcp_send(t, 0, rec, tls_rec(rec, 22, hs, n));
    /* ServerHello (TLS 1.2) + a small certificate + ServerHelloDone */
    static const uint8_t cert[] = {
        0x30, 0x81, 0xca, 0x30, 0x81, 0xb0, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x03, 0x00, 0xaa,
        0xbb, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x3b,
        0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x12,
        0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x09, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x20,
        0x43, 0x44, 0x4e, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0f, 0x63,
        0x64, 0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30,
        0x1e, 0x17, 0x0d, 0x32, 0x35, 0x30, 0x31, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
        0x5a, 0x17, 0x0d, 0x33, 0x30, 0x30, 0x31, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
        0x5a, 0x30, 0x3b, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55,
        0x53, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x09, 0x42, 0x65, 0x6e,
        0x63, 0x68, 0x20, 0x43, 0x44, 0x4e, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03,
        0x13, 0x0f, 0x63, 0x64, 0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f,
        0x72, 0x67, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
        0x09, 0x00, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55};
    size_t m = 0;
    uint8_t sh[] = {2, 0, 0, 38, 3, 3};
    memcpy(hs, sh, sizeof(sh));
    m = sizeof(sh);
    for (int i = 0; i < 32; i++)
        hs[m++] = (uint8_t)rnd();
    hs[m++] = 0;
    hs[m++] = 0xc0;
    hs[m++] = 0x2f;
    hs[m++] = 0;
    size_t cl = sizeof(cert);
    hs[m++] = 11;
    hs[m++] = 0;
    hs[m++] = (uint8_t)((cl + 6) >> 8);
    hs[m++] = (uint8_t)(cl + 6);
    hs[m++] = 0;
    hs[m++] = (uint8_t)((cl + 3) >> 8);
    hs[m++] = (uint8_t)(cl + 3);
    hs[m++] = 0;
    hs[m++] = (uint8_t)(cl >> 8);
    hs[m++] = (uint8_t)cl;
    memcpy(hs + m, cert, cl);
    m += cl;
    memcpy(hs + m, "\x0e\0\0\0", 4);
    m += 4;
    tcp_send(t, 1, rec, tls_rec(rec, 22, hs, m));
    int k = 2 + (int)(rnd() % 12);
    for (int i = 0; i < k; i++) {
        size_t len = 100 + rnd() % 1300;
        memset(big, 0x5a, len);
        tcp_send(t, i & 1, rec, tls_rec(rec, 23, big, len));
    }
    tcp_close(t);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: proto-gen OUT.pcap SIZE_MB [SEED] (run by bench/proto.sh)\n");
        return 77;
    }
    out = fopen(argv[1], "wb");
    if (out == NULL) {
        perror(argv[1]);
        return 1;
    }
    uint64_t limit = strtoull(argv[2], NULL, 10) << 20;
    rs = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, out);
    written = 24;
    while (written < limit) {
        uint32_t c = 0x0a000000u | (rnd() & 0xffff), s = 0xc6330000u | (rnd() & 0xfff);
        struct tcp t = {c, s, {rnd(), rnd()}, (uint16_t)(1024 + rnd() % 60000), 0};
        uint32_t r = rnd() % 10;
        if (r < 4) {
            dns(c, 0x08080800u | (rnd() & 3));
        } else if (r < 6) {
            t.sp = (rnd() & 1) ? 80 : 8080;
            http(&t);
        } else if (r < 9) {
            t.sp = (rnd() & 1) ? 443 : 8443;
            tls(&t);
        } else {
            t.sp = (uint16_t)(2000 + rnd() % 1000);
            tcp_open(&t);
            memset(big, 0x33, 900);
            tcp_send(&t, 0, big, 900);
            tcp_send(&t, 1, big, 900);
            tcp_close(&t);
        }
    }
    fclose(out);
    return 0;
}
