/*
 * The `appmix` scenario: a capture for the app-layer benchmark (bench/proto.sh)
 * of many short DNS, HTTP/1.1 and TLS sessions over many hosts, written
 * with craft's frame builders and capture writer.
 *
 *   40% DNS over UDP: a query and an answer with a CNAME and an A record
 *   20% HTTP/1.1 on 80/8080: handshake, 1-3 keep-alive GETs, each answered
 *       with a 200-30,200 byte body in 1460-byte segments, FIN
 *   30% TLS on 443/8443: ClientHello with SNI and ALPN h2, ServerHello +
 *       Certificate + ServerHelloDone, 2-13 application-data records, FIN
 *   10% other TCP on 2000-2999: 900 bytes each way
 *
 * The capture keeps the shape of the earlier bench/proto-gen, byte for
 * byte for the same --size (in MiB) and --seed, so benchmark figures
 * measured on either stay comparable. That is why this scenario has its own
 * PRNG (a 64-bit LCG seeded with the seed itself) instead of tg_rng, writes
 * frames with zero MACs, IP ID 0 and no checksums (as a capture on a sender
 * with checksum offload shows them), TCP without options or ACK-only
 * segments, and draws every value in the order proto-gen did.
 */
#include "gen-scenarios.h"

#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/banned.h"

struct appmix {
    uint64_t rs; /* LCG state */
    struct tg_pcap *w;
    ta_time_us ts; /* time of the last packet */
    ta_err err;
    uint8_t fr[TG_FRAME_MAX];
    uint8_t big[70000]; /* HTTP response / TLS record payload */
};

static uint32_t rnd(struct appmix *m)
{
    m->rs = m->rs * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(m->rs >> 33);
}

/* One frame from sa to da; every packet comes 50-249 us after the last. */
static void pkt(struct appmix *m, uint32_t sa, uint32_t da, const struct tg_tcp *tcp, uint16_t sp,
                uint16_t dp, const uint8_t *pl, size_t n)
{
    struct tg_frame f = {
        .linktype = TG_LINK_ETH, .ttl = 64, .zero_macs = true, .no_checksum = true};
    tg_ip4(&f.src, sa);
    tg_ip4(&f.dst, da);
    size_t len = tcp ? tg_build_tcp(m->fr, sizeof(m->fr), &f, tcp, pl, n)
                     : tg_build_udp(m->fr, sizeof(m->fr), &f, sp, dp, pl, n);
    m->ts += 50 + rnd(m) % 200;
    if (m->err == TA_OK)
        m->err = len == 0 ? TA_ERR_LIMIT : tg_pcap_write(m->w, m->ts, m->fr, len);
}

/* A TCP connection: addresses, ports and the next sequence number per side. */
struct conn {
    uint32_t c, s, seq[2];
    uint16_t cp, sp;
};

/* A segment from the client (d = 0) or the server (d = 1). */
static void seg(struct appmix *m, const struct conn *t, int d, uint32_t seq, uint32_t ack,
                uint8_t flags, const uint8_t *pl, size_t n)
{
    struct tg_tcp h = {.sport = d ? t->sp : t->cp,
                       .dport = d ? t->cp : t->sp,
                       .seq = seq,
                       .ack = ack,
                       .flags = flags,
                       .win = 0xff00,
                       .wscale = -1};
    pkt(m, d ? t->s : t->c, d ? t->c : t->s, &h, 0, 0, pl, n);
}

static void tcp_open(struct appmix *m, struct conn *t)
{
    seg(m, t, 0, t->seq[0]++, 0, TG_SYN, NULL, 0);
    seg(m, t, 1, t->seq[1]++, t->seq[0], TG_SYN | TG_ACK, NULL, 0);
    seg(m, t, 0, t->seq[0], t->seq[1], TG_ACK, NULL, 0);
}

/* n bytes from one side in 1460-byte PSH/ACK segments, not acknowledged. */
static void tcp_send(struct appmix *m, struct conn *t, int d, const uint8_t *b, size_t n)
{
    while (n > 0) {
        size_t k = n < 1460 ? n : 1460;
        seg(m, t, d, t->seq[d], t->seq[!d], TG_PSH | TG_ACK, b, k);
        t->seq[d] += (uint32_t)k;
        b += k;
        n -= k;
    }
}

static void tcp_close(struct appmix *m, struct conn *t)
{
    seg(m, t, 0, t->seq[0]++, t->seq[1], TG_FIN | TG_ACK, NULL, 0);
    seg(m, t, 1, t->seq[1]++, t->seq[0], TG_FIN | TG_ACK, NULL, 0);
    seg(m, t, 0, t->seq[0], t->seq[1], TG_ACK, NULL, 0);
}

/* DNS name in wire format. */
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

static void dns(struct appmix *m, uint32_t c, uint32_t s)
{
    uint8_t q[300], r[400];
    char nm[64];
    /* The draws come in proto-gen's order (its snprintf arguments were
     * evaluated last to first). */
    uint32_t domain = rnd(m) % 500;
    uint32_t host = rnd(m) % 100000;
    snprintf(nm, sizeof(nm), "h%u.example%u.com", host, domain);
    uint16_t id = (uint16_t)rnd(m), sp = (uint16_t)(1024 + rnd(m) % 60000);
    size_t n = 12;
    memset(q, 0, 12);
    q[0] = (uint8_t)(id >> 8);
    q[1] = (uint8_t)id;
    q[2] = 1; /* RD */
    q[5] = 1; /* one question */
    n += dname(q + n, nm);
    memcpy(q + n, "\0\1\0\1", 4); /* A, IN */
    n += 4;
    pkt(m, c, s, NULL, sp, 53, q, n);
    /* Answer: the question, www CNAME -> web.<name>, web A 198.51.x.y. */
    memcpy(r, q, n);
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 2;
    size_t k = n;
    static const uint8_t cname[] = {0xc0, 12, 0, 5, 0,   1,   0,   0,    1,
                                    0,    0,  6, 3, 'w', 'e', 'b', 0xc0, 12};
    memcpy(r + k, cname, sizeof(cname));
    k += sizeof(cname);
    uint8_t a[] = {0xc0, (uint8_t)(n + 12), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 0, 0};
    a[14] = (uint8_t)rnd(m);
    a[15] = (uint8_t)rnd(m);
    memcpy(r + k, a, sizeof(a));
    k += sizeof(a);
    pkt(m, s, c, NULL, 53, sp, r, k);
}

static void http(struct appmix *m, struct conn *t)
{
    char req[512];
    uint32_t host = rnd(m) % 2000, id = rnd(m), dir = rnd(m) % 1000; /* proto-gen's order */
    int n = snprintf(req, sizeof(req),
                     "GET /p/%u/index.php?id=%u HTTP/1.1\r\nHost: www%u.example.net\r\n"
                     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench\r\nAccept: */*\r\n"
                     "Referer: http://ref.example/\r\nConnection: keep-alive\r\n\r\n",
                     dir, id, host);
    size_t body = 200 + rnd(m) % 30000;
    int h = snprintf((char *)m->big, 512,
                     "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/html\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     body);
    memset(m->big + h, 'x', body);
    tcp_open(m, t);
    int reqs = 1 + (int)(rnd(m) % 3);
    for (int i = 0; i < reqs; i++) {
        tcp_send(m, t, 0, (const uint8_t *)req, (size_t)n);
        tcp_send(m, t, 1, m->big, (size_t)h + body);
    }
    tcp_close(m, t);
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

/* A self-signed ECDSA P-256 certificate for CN cdn.example.org with a real
 * public key and a valid signature (key generated once with openssl for this
 * generator): TLS parsers stop at a certificate without SubjectPublicKeyInfo. */
static const uint8_t tls_cert[] = {
    0x30, 0x82, 0x01, 0x64, 0x30, 0x82, 0x01, 0x0b, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x03, 0x00,
    0xaa, 0xbb, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x3b,
    0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x12, 0x30,
    0x10, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x09, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x20, 0x43, 0x44,
    0x4e, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0f, 0x63, 0x64, 0x6e, 0x2e,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x1e, 0x17, 0x0d, 0x32,
    0x35, 0x30, 0x31, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x17, 0x0d, 0x33, 0x30,
    0x30, 0x31, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a, 0x30, 0x3b, 0x31, 0x0b, 0x30,
    0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03,
    0x55, 0x04, 0x0a, 0x13, 0x09, 0x42, 0x65, 0x6e, 0x63, 0x68, 0x20, 0x43, 0x44, 0x4e, 0x31, 0x18,
    0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0f, 0x63, 0x64, 0x6e, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
    0x42, 0x00, 0x04, 0x33, 0xb3, 0x25, 0x5a, 0x25, 0x65, 0x08, 0xf3, 0x46, 0x51, 0xf7, 0x72, 0x2a,
    0xf4, 0x8a, 0xae, 0x14, 0x90, 0x0b, 0xba, 0xe3, 0x61, 0x67, 0x63, 0xbf, 0x32, 0xce, 0x37, 0x6f,
    0xf0, 0x8c, 0xeb, 0x63, 0x6f, 0x89, 0xf2, 0x52, 0xbd, 0xf0, 0xd6, 0x2e, 0x08, 0x86, 0x37, 0x1e,
    0x07, 0x28, 0x18, 0x9a, 0x88, 0x34, 0x64, 0x15, 0x4f, 0x11, 0x34, 0x7e, 0xae, 0xb5, 0xc4, 0xd3,
    0x0d, 0xf1, 0x68, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
    0x47, 0x00, 0x30, 0x44, 0x02, 0x20, 0x11, 0x6a, 0x3e, 0xc1, 0x19, 0xd9, 0x2f, 0x66, 0x9c, 0xa3,
    0x31, 0xe3, 0x98, 0xfa, 0x52, 0x09, 0x2d, 0xff, 0xc3, 0x84, 0xa9, 0xdd, 0x86, 0x6b, 0x87, 0x6f,
    0xa3, 0xe7, 0x52, 0x72, 0xb1, 0xe0, 0x02, 0x20, 0x76, 0x93, 0xae, 0xa4, 0x54, 0xa4, 0xaa, 0x32,
    0x6e, 0x30, 0xfc, 0x28, 0xfa, 0x34, 0xdf, 0xf2, 0x84, 0x38, 0x3b, 0x6b, 0xbc, 0xc3, 0x54, 0x15,
    0x30, 0xef, 0x40, 0x3a, 0xcc, 0xf3, 0x00, 0x93,
};

static void tls(struct appmix *m, struct conn *t)
{
    /* ClientHello after the SNI extension: cipher suites (TLS_AES_128_GCM_SHA256,
     * TLS_AES_256_GCM_SHA384, ECDHE-ECDSA-AES128-GCM, RSA-AES128-SHA), null
     * compression, then supported groups, point formats, signature algorithms,
     * ALPN h2, supported versions TLS 1.2. */
    static const uint8_t ch_tail[] = {
        0x00, 0x08, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2b, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2a,
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02,
        0x01, 0x00, 0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, 0x00, 0x10,
        0x00, 0x05, 0x00, 0x03, 0x02, 'h',  '2',  0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x03};
    uint8_t hs[600], rec[4096];
    char sni[64];
    uint32_t cdn = rnd(m) % 100, srv = rnd(m) % 10000; /* proto-gen's order */
    int sl = snprintf(sni, sizeof(sni), "s%u.cdn%u.example.org", srv, cdn);
    size_t n = 4;
    hs[n++] = 3;
    hs[n++] = 3;
    for (int i = 0; i < 32; i++)
        hs[n++] = (uint8_t)rnd(m);
    hs[n++] = 0; /* no session id */
    memcpy(hs + n, ch_tail, 12);
    size_t extlen_at = n + 12;
    n += 14;
    size_t e0 = n;
    hs[n++] = 0; /* server_name */
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
    tcp_open(m, t);
    tcp_send(m, t, 0, rec, tls_rec(rec, 22, hs, n));
    /* ServerHello (TLS 1.2, ECDHE-ECDSA-AES128-GCM, a suite the client offered and
     * the certificate's key type) + Certificate + ServerHelloDone. */
    static const uint8_t sh[] = {2, 0, 0, 38, 3, 3};
    size_t k = sizeof(sh);
    memcpy(hs, sh, k);
    for (int i = 0; i < 32; i++)
        hs[k++] = (uint8_t)rnd(m);
    hs[k++] = 0;
    hs[k++] = 0xc0;
    hs[k++] = 0x2b;
    hs[k++] = 0;
    size_t cl = sizeof(tls_cert);
    hs[k++] = 11;
    hs[k++] = 0;
    hs[k++] = (uint8_t)((cl + 6) >> 8);
    hs[k++] = (uint8_t)(cl + 6);
    hs[k++] = 0;
    hs[k++] = (uint8_t)((cl + 3) >> 8);
    hs[k++] = (uint8_t)(cl + 3);
    hs[k++] = 0;
    hs[k++] = (uint8_t)(cl >> 8);
    hs[k++] = (uint8_t)cl;
    memcpy(hs + k, tls_cert, cl);
    k += cl;
    memcpy(hs + k, "\x0e\0\0\0", 4);
    k += 4;
    tcp_send(m, t, 1, rec, tls_rec(rec, 22, hs, k));
    int nrec = 2 + (int)(rnd(m) % 12);
    for (int i = 0; i < nrec; i++) {
        size_t len = 100 + rnd(m) % 1300;
        memset(m->big, 0x5a, len);
        tcp_send(m, t, i & 1, rec, tls_rec(rec, 23, m->big, len));
    }
    tcp_close(m, t);
}

static ta_err write_manifest(const struct tg_gen_opts *o, uint64_t packets, uint64_t bytes,
                             const uint64_t kinds[4])
{
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "appmix");
    ta_json_kv_uint(&j, "seed", o->seed);
    ta_json_kv_uint(&j, "packets", packets);
    ta_json_kv_uint(&j, "packet_bytes", bytes);
    static const char *const kn[] = {"dns", "http", "tls", "other_tcp"};
    ta_json_key(&j, "sessions_by_kind");
    ta_json_obj_open(&j);
    for (int i = 0; i < 4; i++)
        ta_json_kv_uint(&j, kn[i], kinds[i]);
    ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    char path[4096];
    snprintf(path, sizeof(path), "%s/appmix.json", o->out);
    FILE *f = fopen(path, "w");
    bool ok = f != NULL && !j.oom && ta_json_write_line(&j, f);
    if (f != NULL)
        ok &= fclose(f) == 0;
    ta_json_release(&j);
    return ok ? TA_OK : TA_ERR_IO;
}

ta_err tg_scenario_appmix(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    (void)geo;
    struct appmix *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return TA_ERR_NOMEM;
    m->rs = o->seed;
    m->ts = 1700000000000000ull; /* 2023-11-14 22:13:20 UTC */
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", o->out, o->gzip ? "appmix.pcap.gz" : "appmix.pcap");
    struct tg_pcap_opts po = {
        .linktype = TG_LINK_ETH, .snaplen = 65535, .gzip = o->gzip, .gzip_level = 1};
    ta_err e = tg_pcap_open(&m->w, path, &po);
    if (e != TA_OK) {
        free(m);
        return e;
    }
    uint64_t kinds[4] = {0};
    /* Whole sessions until the file (24-byte header, 16 bytes per record) holds size bytes. */
    while (m->err == TA_OK && 24 + 16 * tg_pcap_packets(m->w) + tg_pcap_bytes(m->w) < o->size) {
        struct conn t;
        t.c = 0x0a000000u | (rnd(m) & 0xffff); /* 10.0.0.0/16 clients */
        t.s = 0xc6330000u | (rnd(m) & 0xfff);  /* 198.51.0.0/20 servers */
        t.seq[0] = rnd(m);
        t.seq[1] = rnd(m);
        t.cp = (uint16_t)(1024 + rnd(m) % 60000);
        uint32_t r = rnd(m) % 10;
        if (r < 4) {
            kinds[0]++;
            dns(m, t.c, 0x08080800u | (rnd(m) & 3)); /* resolvers 8.8.8.0-3 */
        } else if (r < 6) {
            kinds[1]++;
            t.sp = (rnd(m) & 1) ? 80 : 8080;
            http(m, &t);
        } else if (r < 9) {
            kinds[2]++;
            t.sp = (rnd(m) & 1) ? 443 : 8443;
            tls(m, &t);
        } else {
            kinds[3]++;
            t.sp = (uint16_t)(2000 + rnd(m) % 1000);
            tcp_open(m, &t);
            memset(m->big, 0x33, 900);
            tcp_send(m, &t, 0, m->big, 900);
            tcp_send(m, &t, 1, m->big, 900);
            tcp_close(m, &t);
        }
    }
    uint64_t packets = tg_pcap_packets(m->w), bytes = tg_pcap_bytes(m->w);
    e = m->err;
    ta_err ce = tg_pcap_close(m->w);
    free(m);
    if (e == TA_OK)
        e = ce;
    if (e == TA_OK)
        e = write_manifest(o, packets, bytes, kinds);
    if (e == TA_OK && !o->quiet)
        fprintf(stderr, "threatatlas-gen: appmix: %llu packets, %llu sessions\n",
                (unsigned long long)packets,
                (unsigned long long)(kinds[0] + kinds[1] + kinds[2] + kinds[3]));
    return e;
}
