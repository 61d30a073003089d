/*
 * The `mixed` and `edge` scenarios: a large capture of realistic mixed
 * traffic for throughput benchmarks, and small edge-case captures with exact
 * counts.
 */
#include "gen-scenarios.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threatatlas/json.h"

#include "common/banned.h"

#define SEC 1000000ull
/* 2014-03-19 00:00:00 UTC */
#define T0 (1395187200ull * SEC)

static void out_path(char *buf, size_t len, const struct tg_gen_opts *o, const char *name)
{
    snprintf(buf, len, "%s/%s", o->out, name);
}

static ta_err write_json_file(const char *path, struct ta_json *j)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return TA_ERR_IO;
    bool ok = !j->oom && ta_json_write_line(j, f);
    ok &= fclose(f) == 0;
    return ok ? TA_OK : TA_ERR_IO;
}

static void v4frame(struct tg_frame *f, uint32_t s, uint32_t d, uint8_t ttl)
{
    memset(f, 0, sizeof(*f));
    f->linktype = TG_LINK_ETH;
    tg_ip4(&f->src, s);
    tg_ip4(&f->dst, d);
    f->ttl = ttl;
    f->df = true;
}

/* ---- mixed ------------------------------------------------------------------ */

static const char *const mixed_sites[] = {
    "www.baidu.com",  "www.qq.com",        "www.taobao.com",  "www.sina.com.cn",
    "www.163.com",    "www.microsoft.com", "www.google.com",  "www.bing.com",
    "api.github.com", "cdn.jsdelivr.net",  "www.example.org", "update.example.net",
};
#define NMSITES (sizeof(mixed_sites) / sizeof(mixed_sites[0]))

ta_err tg_scenario_mixed(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct tg_rng rng;
    tg_rng_seed(&rng, o->seed ^ 0x6d69786564ull);
    char path[4096];
    out_path(path, sizeof(path), o, o->gzip ? "mixed.pcap.gz" : "mixed.pcap");
    struct tg_pcap *w;
    struct tg_pcap_opts po = {
        .linktype = TG_LINK_ETH, .snaplen = 65535, .gzip = o->gzip, .gzip_level = 1};
    ta_err e = tg_pcap_open(&w, path, &po);
    if (e != TA_OK)
        return e;
    struct tg_ctx c = {.rng = &rng};
    e = tg_sink_new(&c.sink, w);
    enum { NCLIENT = 4000, NSERVER = 600 };
    uint32_t *cl = malloc(NCLIENT * sizeof(uint32_t));
    uint32_t *sv = malloc(NSERVER * sizeof(uint32_t));
    uint32_t resolver = 0;
    if (cl == NULL || sv == NULL)
        e = TA_ERR_NOMEM;
    for (int i = 0; i < NCLIENT && e == TA_OK; i++)
        e = tg_geo_draw(geo, &rng, i % 3 ? "CN" : "US", &cl[i]);
    for (int i = 0; i < NSERVER && e == TA_OK; i++)
        e = tg_geo_draw(geo, &rng, i % 2 ? "CN" : "US", &sv[i]);
    if (e == TA_OK)
        e = tg_geo_draw(geo, &rng, "CN", &resolver);

    uint64_t kinds[6] = {0};
    ta_time_us t = T0, flushed = T0;
    uint64_t sessions = 0;
    /* Stop when the file holds `size` bytes of records (headers included). */
    while (e == TA_OK && 24 + tg_sink_total_bytes(c.sink) < o->size) {
        t += tg_rng_range(&rng, 1, 2000);
        if (t > flushed + SEC / 4) {
            e = tg_sink_flush(c.sink, t);
            flushed = t;
        }
        uint32_t client = cl[tg_rng_below(&rng, NCLIENT)];
        uint32_t si = (uint32_t)tg_rng_below(&rng, NSERVER);
        uint32_t server = sv[si];
        const char *name = mixed_sites[si % NMSITES];
        uint64_t k = tg_rng_below(&rng, 100);
        uint32_t rtt = (uint32_t)tg_rng_range(&rng, 2000, 200000);
        sessions++;
        if (k < 30) { /* HTTPS */
            kinds[0]++;
            struct tg_tcp_sess *s = tg_tcp_start(&c, t, client, server, 443, rtt, 127, 52);
            e = tg_tcp_sess_open(s);
            tg_buf_reset(&c.a);
            tg_tls_client_hello(&c.a, &rng, name);
            if (e == TA_OK)
                e = tg_tcp_sess_send(s, true, c.a.p, c.a.len);
            tg_buf_reset(&c.b);
            tg_tls_server_hello(&c.b, &rng);
            size_t down = (size_t)tg_rng_range(&rng, 500, 120000);
            while (down > 0) {
                size_t n = down > 16000 ? 16000 : down;
                tg_tls_appdata(&c.b, &rng, n);
                down -= n;
            }
            if (e == TA_OK)
                e = tg_tcp_sess_send(s, false, c.b.p, c.b.len);
            if (e == TA_OK)
                e = tg_rng_below(&rng, 20) ? tg_tcp_sess_close(s, true)
                                           : tg_tcp_sess_reset(s, true);
        } else if (k < 55) { /* HTTP */
            kinds[1]++;
            struct tg_tcp_sess *s = tg_tcp_start(&c, t, client, server, 80, rtt, 127, 52);
            e = tg_tcp_sess_open(s);
            uint64_t nreq = tg_rng_range(&rng, 1, 3);
            for (uint64_t q = 0; q < nreq && e == TA_OK; q++) {
                tg_buf_reset(&c.a);
                tg_buf_printf(&c.a,
                              "GET /%s/%llu.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                              "Mozilla/5.0 (Windows NT 6.1; rv:28.0) Gecko/20100101 "
                              "Firefox/28.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
                              q ? "img" : "news", (unsigned long long)tg_rng_below(&rng, 1000000),
                              name);
                e = tg_tcp_sess_send(s, true, c.a.p, c.a.len);
                size_t body = (size_t)tg_rng_range(&rng, 100, 80000);
                tg_buf_reset(&c.b);
                tg_buf_printf(&c.b,
                              "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              body);
                size_t st = c.b.len;
                while (c.b.len - st < body) {
                    size_t n = body - (c.b.len - st);
                    tg_buf_put(&c.b, "<p>mixed traffic body text</p>\n", n > 31 ? 31 : n);
                }
                if (e == TA_OK)
                    e = tg_tcp_sess_send(s, false, c.b.p, c.b.len);
            }
            if (e == TA_OK)
                e = tg_tcp_sess_close(s, tg_rng_below(&rng, 2) == 0);
        } else if (k < 80) { /* DNS */
            kinds[2]++;
            e = tg_emit_dns(&c, t, client, resolver, name, server, rtt / 4 + 500);
        } else if (k < 92) { /* UDP noise */
            kinds[3]++;
            uint8_t fr[1600], pl[1472];
            struct tg_frame f;
            v4frame(&f, client, server, 120);
            size_t n = (size_t)tg_rng_range(&rng, 18, 1458);
            tg_rng_bytes(&rng, pl, n);
            uint16_t sp = tg_eph_port(&rng), dp = (uint16_t)tg_rng_range(&rng, 1024, 60000);
            uint64_t np = tg_rng_range(&rng, 1, 6);
            for (uint64_t i = 0; i < np && e == TA_OK; i++) {
                size_t len = tg_build_udp(fr, sizeof(fr), &f, sp, dp, pl, n);
                e = tg_sink_emit(c.sink, t + i * 3000, fr, len);
                f.ip_id++;
            }
        } else if (k < 96) { /* ICMP echo */
            kinds[4]++;
            uint8_t fr[256], pl[56];
            memset(pl, 0x61, sizeof(pl));
            struct tg_frame f;
            v4frame(&f, client, server, 64);
            uint16_t id = (uint16_t)tg_rng_u64(&rng);
            size_t len = tg_build_icmp_echo(fr, sizeof(fr), &f, false, id, 1, pl, 56);
            e = tg_sink_emit(c.sink, t, fr, len);
            v4frame(&f, server, client, 50);
            len = tg_build_icmp_echo(fr, sizeof(fr), &f, true, id, 1, pl, 56);
            if (e == TA_OK)
                e = tg_sink_emit(c.sink, t + rtt, fr, len);
        } else { /* unanswered SYN or refused connection */
            kinds[5]++;
            struct tg_tcp_sess *s = tg_tcp_start(
                &c, t, client, server, (uint16_t)tg_rng_range(&rng, 1, 10000), rtt, 127, 52);
            e = tg_tcp_sess_syn_only(s);
            if (e == TA_OK && tg_rng_below(&rng, 2))
                e = tg_tcp_sess_reset(s, false);
        }
    }
    if (e == TA_OK)
        e = tg_sink_flush(c.sink, UINT64_MAX);
    uint64_t packets = tg_pcap_packets(w), bytes = tg_pcap_bytes(w);
    ta_err ce = tg_pcap_close(w);
    if (e == TA_OK)
        e = ce;
    tg_sink_free(c.sink);
    tg_buf_release(&c.a);
    tg_buf_release(&c.b);
    free(cl);
    free(sv);
    if (e != TA_OK)
        return e;
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "mixed");
    ta_json_kv_uint(&j, "seed", o->seed);
    ta_json_kv_uint(&j, "packets", packets);
    ta_json_kv_uint(&j, "packet_bytes", bytes);
    ta_json_kv_uint(&j, "sessions", sessions);
    static const char *const kn[] = {"https", "http", "dns", "udp_noise", "icmp", "syn_only"};
    ta_json_key(&j, "sessions_by_kind");
    ta_json_obj_open(&j);
    for (int i = 0; i < 6; i++)
        ta_json_kv_uint(&j, kn[i], kinds[i]);
    ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    out_path(path, sizeof(path), o, "mixed.json");
    e = write_json_file(path, &j);
    ta_json_release(&j);
    if (!o->quiet)
        fprintf(stderr, "threatatlas-gen: mixed: %llu packets, %llu sessions\n",
                (unsigned long long)packets, (unsigned long long)sessions);
    return e;
}

/* ---- edge ------------------------------------------------------------------- */

struct efile {
    struct tg_pcap *w;
    uint64_t tcp_flows, udp_flows, icmp;
    ta_err err;
};

static ta_err edge_emit(void *ctx, ta_time_us ts, const uint8_t *fr, size_t len)
{
    struct efile *f = ctx;
    if (f->err == TA_OK)
        f->err = tg_pcap_write(f->w, ts, fr, len);
    return f->err;
}

/* A complete HTTP exchange on the given link template. */
static void edge_http(struct efile *ef, struct tg_rng *r, const struct tg_frame *tmpl, ta_time_us t,
                      uint16_t cport)
{
    static struct tg_tcp_sess s;
    tg_tcp_sess_init(&s, tmpl, cport, 80, t, 20000, (uint32_t)tg_rng_u64(r),
                     (uint32_t)tg_rng_u64(r), edge_emit, ef);
    static const char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
                              "User-Agent: threatatlas-gen\r\nAccept: */*\r\n\r\n";
    char resp[2200];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2000\r\n\r\n");
    memset(resp + n, 'x', 2000);
    tg_tcp_sess_open(&s);
    tg_tcp_sess_send(&s, true, req, sizeof(req) - 1);
    tg_tcp_sess_send(&s, false, resp, (size_t)n + 2000);
    tg_tcp_sess_close(&s, true);
    ef->tcp_flows++;
}

static void edge_dns(struct efile *ef, const struct tg_frame *tmpl, ta_time_us t, uint16_t id)
{
    struct tg_buf b = {0};
    uint8_t fr[512];
    tg_dns_msg(&b, id, "www.example.com", 1, false, 0, 0);
    size_t n = tg_build_udp(fr, sizeof(fr), tmpl, 40000 + id, 53, b.p, b.len);
    edge_emit(ef, t, fr, n);
    struct tg_frame rev = *tmpl;
    rev.src = tmpl->dst;
    rev.dst = tmpl->src;
    tg_buf_reset(&b);
    tg_dns_msg(&b, id, "www.example.com", 1, true, 0x5db8d822u, 300);
    n = tg_build_udp(fr, sizeof(fr), &rev, 53, 40000 + id, b.p, b.len);
    edge_emit(ef, t + 15000, fr, n);
    tg_buf_release(&b);
    ef->udp_flows++;
}

static ta_err edge_open(struct efile *ef, const struct tg_gen_opts *o, const char *name,
                        uint32_t linktype, uint32_t snaplen, bool pcapng)
{
    char path[4096];
    out_path(path, sizeof(path), o, name);
    memset(ef, 0, sizeof(*ef));
    struct tg_pcap_opts po = {.linktype = linktype, .snaplen = snaplen, .pcapng = pcapng};
    return tg_pcap_open(&ef->w, path, &po);
}

static off_t file_size(const struct tg_gen_opts *o, const char *name)
{
    char path[4096];
    out_path(path, sizeof(path), o, name);
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Close and describe one file in the manifest. */
static ta_err edge_close(struct efile *ef, struct ta_json *j, const struct tg_gen_opts *o,
                         const char *name, uint32_t linktype, const char *what)
{
    uint64_t packets = tg_pcap_packets(ef->w);
    ta_err e = tg_pcap_close(ef->w);
    if (e == TA_OK)
        e = ef->err;
    ta_json_key(j, name);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "what", what);
    ta_json_kv_uint(j, "linktype", linktype);
    ta_json_kv_uint(j, "packets", packets);
    ta_json_kv_uint(j, "tcp_flows", ef->tcp_flows);
    ta_json_kv_uint(j, "udp_flows", ef->udp_flows);
    ta_json_kv_uint(j, "icmp_packets", ef->icmp);
    ta_json_kv_int(j, "file_bytes", (int64_t)file_size(o, name));
    ta_json_obj_close(j);
    return e;
}

static struct tg_frame edge_v4(uint32_t link)
{
    struct tg_frame f;
    v4frame(&f, 0xc0000201u, 0xc6336414u, 64); /* 192.0.2.1 -> 198.51.100.20 */
    f.linktype = link;
    return f;
}

static struct tg_frame edge_v6(void)
{
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    f.linktype = TG_LINK_ETH;
    ta_addr_parse(&f.src, "2001:db8::1");
    ta_addr_parse(&f.dst, "2001:db8:1::53");
    f.ttl = 64;
    return f;
}

/* One UDP datagram 192.0.2.1:33333 -> 198.51.100.20:44444 of 24 bytes, with
 * 8 bytes of IPv4 options, behind the link type of f. */
static void edge_udp_opts(struct efile *ef, struct tg_frame f, ta_time_us t)
{
    uint8_t fr[256], pl[24];
    memset(pl, 'u', sizeof(pl));
    f.ip_optlen = 8;
    size_t n = tg_build_udp(fr, sizeof(fr), &f, 33333, 44444, pl, sizeof(pl));
    edge_emit(ef, t, fr, n);
    ef->udp_flows++;
}

/* A UDP datagram of plen bytes 'u' along tmpl, or against it when reverse. */
static void edge_udp(struct efile *ef, const struct tg_frame *tmpl, bool reverse, uint16_t sp,
                     uint16_t dp, size_t plen, ta_time_us t)
{
    uint8_t fr[256], pl[128];
    struct tg_frame f = *tmpl;
    if (reverse) {
        f.src = tmpl->dst;
        f.dst = tmpl->src;
    }
    memset(pl, 'u', plen);
    size_t n = tg_build_udp(fr, sizeof(fr), &f, sp, dp, pl, plen);
    edge_emit(ef, t, fr, n);
}

/*
 * The later edge cases: link types SLL2 and BSD loopback (with IPv4
 * options), IPv6 fragments out of order, a handshake seen from the SYN/ACK,
 * and a small base capture for truncation, filter and timeout tests. They
 * use no random numbers, so the files above keep their bytes.
 */
static ta_err edge_more(struct ta_json *j, const struct tg_gen_opts *o, ta_time_us t)
{
    struct efile ef;
    struct tg_frame f;
    ta_err e = edge_open(&ef, o, "linux-sll2.pcap", TG_LINK_SLL2, 65535, false);
    if (e != TA_OK)
        return e;
    edge_udp_opts(&ef, edge_v4(TG_LINK_SLL2), t);
    e = edge_close(&ef, j, o, "linux-sll2.pcap", TG_LINK_SLL2,
                   "Linux cooked capture v2: one UDP datagram with 8 bytes of IPv4 options");
    if (e != TA_OK)
        return e;

    e = edge_open(&ef, o, "null.pcap", TG_LINK_NULL, 65535, false);
    if (e != TA_OK)
        return e;
    f = edge_v4(TG_LINK_NULL);
    f.null_link = true;
    edge_udp_opts(&ef, f, t);
    e = edge_close(&ef, j, o, "null.pcap", TG_LINK_NULL,
                   "BSD loopback: one UDP datagram with 8 bytes of IPv4 options");
    if (e != TA_OK)
        return e;

    /* IPv6: a SYN behind hop-by-hop and destination options; a UDP datagram
     * of 1200 payload bytes in 2 fragments, the second written first. */
    e = edge_open(&ef, o, "ipv6-frag-ooo.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        return e;
    {
        uint8_t whole[1400], fr[1400], pl[1200];
        f = edge_v6();
        f.nv6_ext = 2;
        f.v6_ext[0] = TG_V6_HOPOPTS;
        f.v6_ext[1] = TG_V6_DSTOPTS;
        struct tg_tcp h = {
            .sport = 5555, .dport = 443, .seq = 1, .flags = TG_SYN, .win = 64800, .wscale = -1};
        size_t n = tg_build_tcp(fr, sizeof(fr), &f, &h, NULL, 0);
        edge_emit(&ef, t, fr, n);
        ef.tcp_flows++;
        f = edge_v6();
        memset(pl, 'u', sizeof(pl));
        n = tg_build_udp(whole, sizeof(whole), &f, 6666, 7, pl, sizeof(pl));
        for (unsigned i = 0; i < 2; i++) {
            size_t m = tg_ipv6_fragment(fr, sizeof(fr), whole, n, 14, 0xabcdef01u, 2, 1 - i);
            edge_emit(&ef, t + 1000 + i, fr, m);
        }
        ef.udp_flows++;
    }
    e = edge_close(&ef, j, o, "ipv6-frag-ooo.pcap", 1,
                   "IPv6: a TCP SYN behind hop-by-hop and destination options, a UDP datagram "
                   "of 1200 B in 2 fragments written 1,0");
    if (e != TA_OK)
        return e;

    /* The capture starts at the SYN/ACK: its receiver is the client. */
    e = edge_open(&ef, o, "synack-first.pcapng", TG_LINK_ETH, 65535, true);
    if (e != TA_OK)
        return e;
    {
        uint8_t fr[256];
        struct tg_frame c2s = edge_v4(TG_LINK_ETH), s2c = c2s;
        s2c.src = c2s.dst;
        s2c.dst = c2s.src;
        struct tg_tcp h = {.sport = 80,
                           .dport = 40001,
                           .seq = 5000,
                           .ack = 1001,
                           .flags = TG_SYN | TG_ACK,
                           .win = 65160,
                           .wscale = -1};
        size_t n = tg_build_tcp(fr, sizeof(fr), &s2c, &h, NULL, 0);
        edge_emit(&ef, t, fr, n);
        h = (struct tg_tcp){.sport = 40001,
                            .dport = 80,
                            .seq = 1001,
                            .ack = 5001,
                            .flags = TG_ACK,
                            .win = 502,
                            .wscale = -1};
        n = tg_build_tcp(fr, sizeof(fr), &c2s, &h, NULL, 0);
        edge_emit(&ef, t + 10, fr, n);
        ef.tcp_flows++;
    }
    e = edge_close(&ef, j, o, "synack-first.pcapng", 1,
                   "pcapng starting at a SYN/ACK, then the client's ACK");
    if (e != TA_OK)
        return e;

    /* basic.pcap, 62 s after the other files (and the flood scenario's
     * start): two UDP echo request/reply exchanges 192.0.2.1:7000 <-> :7
     * (30 B requests, 50 B answers), one NTP datagram 192.0.2.3 -> 198.51.100.23
     * (48 B) and an ICMP echo request/reply between the same two, 502 bytes in
     * 7 packets. */
    e = edge_open(&ef, o, "basic.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        return e;
    {
        ta_time_us b = t + 62 * SEC;
        f = edge_v4(TG_LINK_ETH);
        for (int i = 0; i < 4; i++) {
            bool answer = i % 2;
            edge_udp(&ef, &f, answer, answer ? 7 : 7000, answer ? 7000 : 7, answer ? 50 : 30,
                     b + (uint64_t)i * 100);
        }
        struct tg_frame g;
        v4frame(&g, 0xc0000203u, 0xc6336417u, 64); /* 192.0.2.3 -> 198.51.100.23 */
        edge_udp(&ef, &g, false, 7001, 123, 48, b + 500);
        ef.udp_flows += 2;
        uint8_t fr[64];
        size_t n = tg_build_icmp_echo(fr, sizeof(fr), &g, false, 9, 1, NULL, 0);
        edge_emit(&ef, b + 600, fr, n);
        struct tg_frame r = g;
        r.src = g.dst;
        r.dst = g.src;
        n = tg_build_icmp_echo(fr, sizeof(fr), &r, true, 9, 1, NULL, 0);
        edge_emit(&ef, b + 601, fr, n);
        ef.icmp += 2;
    }
    return edge_close(&ef, j, o, "basic.pcap", 1,
                      "2 UDP exchanges, an NTP datagram and an ICMP echo request/reply, 62 s "
                      "after the other files");
}

ta_err tg_scenario_edge(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    (void)geo;
    struct tg_rng rng;
    tg_rng_seed(&rng, o->seed ^ 0x65646765ull);
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "edge");
    ta_json_key(&j, "files");
    ta_json_obj_open(&j);
    struct efile ef;
    char path[4096];
    ta_time_us t = T0;
    struct tg_frame f;

    /* Truncated: 3 HTTP sessions, then the file cut in the middle of a last
     * packet's data (its record header is complete). */
    ta_err e = edge_open(&ef, o, "truncated.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_ETH);
    for (int i = 0; i < 3; i++)
        edge_http(&ef, &rng, &f, t + (uint64_t)i * SEC, (uint16_t)(50000 + i));
    uint64_t complete = tg_pcap_packets(ef.w);
    {
        uint8_t fr[256];
        struct tg_tcp h = {.sport = 50009, .dport = 80, .flags = TG_SYN, .win = 1024, .wscale = -1};
        size_t n = tg_build_tcp(fr, sizeof(fr), &f, &h, NULL, 0);
        edge_emit(&ef, t + 5 * SEC, fr, n);
        e = tg_pcap_close(ef.w);
        if (e == TA_OK)
            e = ef.err;
        if (e != TA_OK)
            goto out;
        out_path(path, sizeof(path), o, "truncated.pcap");
        off_t sz = file_size(o, "truncated.pcap");
        if (sz < 0 || truncate(path, sz - (off_t)(n / 2)) != 0) {
            e = TA_ERR_IO;
            goto out;
        }
        ta_json_key(&j, "truncated.pcap");
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "what", "pcap cut in the middle of the last packet's data");
        ta_json_kv_uint(&j, "linktype", 1);
        ta_json_kv_uint(&j, "packets", complete);
        ta_json_kv_uint(&j, "tcp_flows", ef.tcp_flows);
        ta_json_kv_uint(&j, "udp_flows", 0);
        ta_json_kv_uint(&j, "icmp_packets", 0);
        ta_json_kv_int(&j, "file_bytes", (int64_t)(sz - (off_t)(n / 2)));
        ta_json_kv_uint(&j, "cut_packet_bytes", n);
        ta_json_obj_close(&j);
    }

    /* Zero-length file and random bytes. */
    {
        out_path(path, sizeof(path), o, "empty.pcap");
        FILE *fp = fopen(path, "wb");
        if (fp == NULL || fclose(fp) != 0) {
            e = TA_ERR_IO;
            goto out;
        }
        ta_json_key(&j, "empty.pcap");
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "what", "zero-length file");
        ta_json_kv_uint(&j, "packets", 0);
        ta_json_kv_int(&j, "file_bytes", 0);
        ta_json_obj_close(&j);
        uint8_t rnd[4096];
        tg_rng_bytes(&rng, rnd, sizeof(rnd));
        rnd[0] = 'R'; /* never a capture magic */
        out_path(path, sizeof(path), o, "random.pcap");
        fp = fopen(path, "wb");
        if (fp == NULL) {
            e = TA_ERR_IO;
            goto out;
        }
        size_t wr = fwrite(rnd, 1, sizeof(rnd), fp);
        if (fclose(fp) != 0 || wr != sizeof(rnd)) {
            e = TA_ERR_IO;
            goto out;
        }
        ta_json_key(&j, "random.pcap");
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "what", "4096 random bytes, not a capture");
        ta_json_kv_uint(&j, "packets", 0);
        ta_json_kv_int(&j, "file_bytes", 4096);
        ta_json_obj_close(&j);
    }

    /* Snaplen 60: two HTTP sessions and a DNS exchange, records cut at 60. */
    e = edge_open(&ef, o, "snaplen60.pcap", TG_LINK_ETH, 60, false);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_ETH);
    edge_http(&ef, &rng, &f, t, 50100);
    edge_dns(&ef, &f, t + 2 * SEC, 7);
    edge_http(&ef, &rng, &f, t + 3 * SEC, 50101);
    e = edge_close(&ef, &j, o, "snaplen60.pcap", 1,
                   "snaplen 60: two HTTP sessions and a DNS exchange, records cut to 60 bytes "
                   "(inside the TCP header; tcp_flows counts the sessions written)");
    if (e != TA_OK)
        goto out;

    /* IPv4 fragments out of order: a 3000-byte UDP datagram in 3 fragments
     * written 2,0,1; a 1200-byte ICMP echo in 4 fragments written 3,2,1,0. */
    e = edge_open(&ef, o, "ipv4-frag-ooo.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        goto out;
    {
        uint8_t whole[4096], fr[4096], pl[3000];
        tg_rng_bytes(&rng, pl, sizeof(pl));
        f = edge_v4(TG_LINK_ETH);
        f.df = false;
        f.ip_id = 0x4242;
        size_t n = tg_build_udp(whole, sizeof(whole), &f, 5000, 5001, pl, 3000);
        static const unsigned order1[3] = {2, 0, 1};
        for (int i = 0; i < 3; i++) {
            size_t m = tg_ipv4_fragment(fr, sizeof(fr), whole, n, 14, 3, order1[i]);
            edge_emit(&ef, t + (uint64_t)i * 100, fr, m);
        }
        ef.udp_flows++;
        f.ip_id = 0x4343;
        n = tg_build_icmp_echo(whole, sizeof(whole), &f, false, 99, 1, pl, 1200);
        for (int i = 0; i < 4; i++) {
            size_t m = tg_ipv4_fragment(fr, sizeof(fr), whole, n, 14, 4, (unsigned)(3 - i));
            edge_emit(&ef, t + 1000 + (uint64_t)i * 100, fr, m);
        }
        ef.icmp++;
        /* The UDP datagram's answer, unfragmented: it belongs to the reassembled flow. */
        struct tg_frame r = f;
        r.src = f.dst;
        r.dst = f.src;
        r.ip_id = 0x4444;
        memset(pl, 'r', 100);
        n = tg_build_udp(fr, sizeof(fr), &r, 5001, 5000, pl, 100);
        edge_emit(&ef, t + 5000, fr, n);
    }
    e = edge_close(&ef, &j, o, "ipv4-frag-ooo.pcap", 1,
                   "IPv4 fragments out of order: UDP 3000 B in 3 (2,0,1) and its 100 B answer, "
                   "ICMP echo in 4 (3,2,1,0); icmp_packets counts reassembled datagrams");
    if (e != TA_OK)
        goto out;

    /* QinQ (0x88a8 100 / 0x8100 200) and single 802.1Q (300). */
    e = edge_open(&ef, o, "vlan-qinq.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_ETH);
    f.nvlan = 2;
    f.vlan[0] = 100;
    f.vlan[1] = 200;
    edge_http(&ef, &rng, &f, t, 50200);
    f.nvlan = 1;
    f.vlan[0] = 300;
    edge_http(&ef, &rng, &f, t + SEC, 50201);
    edge_dns(&ef, &f, t + 2 * SEC, 9);
    e = edge_close(&ef, &j, o, "vlan-qinq.pcap", 1,
                   "one HTTP session in QinQ 100/200, one HTTP session and a DNS exchange in "
                   "802.1Q 300");
    if (e != TA_OK)
        goto out;

    /* Linux cooked v1 and raw IP link types. */
    e = edge_open(&ef, o, "linux-sll.pcap", TG_LINK_SLL, 65535, false);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_SLL);
    edge_http(&ef, &rng, &f, t, 50300);
    edge_dns(&ef, &f, t + SEC, 11);
    e = edge_close(&ef, &j, o, "linux-sll.pcap", TG_LINK_SLL,
                   "Linux cooked capture v1: an HTTP session and a DNS exchange");
    if (e != TA_OK)
        goto out;
    e = edge_open(&ef, o, "raw-ip.pcap", TG_LINK_RAW, 65535, false);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_RAW);
    edge_http(&ef, &rng, &f, t, 50400);
    f = edge_v6();
    f.linktype = TG_LINK_RAW;
    edge_dns(&ef, &f, t + SEC, 12);
    e = edge_close(&ef, &j, o, "raw-ip.pcap", TG_LINK_RAW,
                   "raw IP: an IPv4 HTTP session and an IPv6 DNS exchange");
    if (e != TA_OK)
        goto out;

    /* IPv6 extension headers and ICMPv6. */
    e = edge_open(&ef, o, "ipv6-ext.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        goto out;
    f = edge_v6();
    f.nv6_ext = 3;
    f.v6_ext[0] = TG_V6_HOPOPTS;
    f.v6_ext[1] = TG_V6_ROUTING;
    f.v6_ext[2] = TG_V6_FRAGMENT;
    f.v6_frag_id = 0x01020304;
    edge_dns(&ef, &f, t, 13);
    f.nv6_ext = 1;
    f.v6_ext[0] = TG_V6_DSTOPTS;
    edge_http(&ef, &rng, &f, t + SEC, 50500);
    e = edge_close(&ef, &j, o, "ipv6-ext.pcap", 1,
                   "IPv6: DNS with hop-by-hop + routing + fragment (atomic) headers, HTTP "
                   "with destination options");
    if (e != TA_OK)
        goto out;
    e = edge_open(&ef, o, "icmpv6.pcap", TG_LINK_ETH, 65535, false);
    if (e != TA_OK)
        goto out;
    for (uint16_t i = 0; i < 3; i++) {
        uint8_t fr[256], pl[32];
        memset(pl, 'p', sizeof(pl));
        f = edge_v6();
        size_t n = tg_build_icmp_echo(fr, sizeof(fr), &f, false, 77, i, pl, sizeof(pl));
        edge_emit(&ef, t + i * SEC, fr, n);
        struct tg_frame r = f;
        r.src = f.dst;
        r.dst = f.src;
        n = tg_build_icmp_echo(fr, sizeof(fr), &r, true, 77, i, pl, sizeof(pl));
        edge_emit(&ef, t + i * SEC + 800, fr, n);
        ef.icmp += 2;
    }
    e = edge_close(&ef, &j, o, "icmpv6.pcap", 1, "three ICMPv6 echo request/reply pairs");
    if (e != TA_OK)
        goto out;

    /* pcapng: SHB, IDB, EPBs. */
    e = edge_open(&ef, o, "capture.pcapng", TG_LINK_ETH, 65535, true);
    if (e != TA_OK)
        goto out;
    f = edge_v4(TG_LINK_ETH);
    edge_http(&ef, &rng, &f, t, 50600);
    edge_dns(&ef, &f, t + SEC, 14);
    e = edge_close(&ef, &j, o, "capture.pcapng", 1,
                   "pcapng (SHB, IDB, EPB): an HTTP session and a DNS exchange");
    if (e != TA_OK)
        goto out;
    e = edge_more(&j, o, t);
    if (e != TA_OK)
        goto out;

    ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    out_path(path, sizeof(path), o, "manifest.json");
    e = write_json_file(path, &j);
out:
    ta_json_release(&j);
    return e;
}
