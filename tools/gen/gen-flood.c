/*
 * The `flood` scenario: traffic made to fill one bounded table or buffer of
 * the observer, N flows at once, so that its cap has to hold.
 *
 *   flows        N one-packet flows (even: a TCP SYN, odd: a UDP datagram)
 *   frags        N IPv4 datagrams of which only the first fragment arrives
 *   ooo          N TCP connections, each sending --per-flow one-byte
 *                segments after a hole that is never filled
 *   http         N TCP connections to port 80, each sending --per-flow POST
 *                requests with a 16 KiB body that are never answered
 *   dns          N TCP connections to port 53, each announcing a 65,535-byte
 *                message and sending its first 1,000 bytes
 *   tls          N TCP connections to port 443, each announcing a ClientHello
 *                of 120,000 bytes and sending its first segment
 *   resolutions  N DNS answers (UDP) for N distinct names, listed in
 *                flood-domains.txt for an analysis to treat as C&C domains
 *
 * The connections of one flood are opened first and then fed round-robin,
 * so all of them hold their state at the same time. Packet times advance a
 * few microseconds per packet: no timeout ends anything before the end.
 */
#include "gen-scenarios.h"

#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/banned.h"

#define SEC 1000000ull
/* 2014-03-19 00:00:00 UTC */
#define T0 (1395187200ull * SEC)

struct fl {
    struct tg_pcap *w;
    ta_time_us t;
    ta_err e;
    uint8_t fr[TG_FRAME_MAX];
};

static void v4frame(struct tg_frame *f, uint32_t s, uint32_t d, uint8_t ttl)
{
    memset(f, 0, sizeof(*f));
    f->linktype = TG_LINK_ETH;
    tg_ip4(&f->src, s);
    tg_ip4(&f->dst, d);
    f->ttl = ttl;
    f->df = true;
}

static uint32_t client_of(uint64_t i)
{
    return 0x0a000000u | (uint32_t)(i & 0xffffff); /* 10.0.0.0/8 */
}

static uint32_t server_of(uint64_t i)
{
    return 0xc6336400u | (uint32_t)(1 + (i % 200)); /* 198.51.100.1-200 */
}

static uint16_t cport_of(uint64_t i)
{
    return (uint16_t)(1024 + (i >> 24) * 7 + (i & 3));
}

static void put(struct fl *s, const uint8_t *fr, size_t len)
{
    if (s->e != TA_OK)
        return;
    if (len == 0) {
        s->e = TA_ERR_ARG;
        return;
    }
    s->e = tg_pcap_write(s->w, s->t, fr, len);
    s->t += 2;
}

/* Client sequence numbers start at isn(i), server ones at isn(i) ^ 0x5a5a5a5a. */
static uint32_t isn(uint64_t i)
{
    return (uint32_t)(i * 2654435761u + 1000);
}

/* One TCP segment of connection i, from the client or the server. */
static void seg(struct fl *s, uint64_t i, uint16_t dport, bool from_client, uint32_t seq,
                uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
    struct tg_frame f;
    if (from_client)
        v4frame(&f, client_of(i), server_of(i), 64);
    else
        v4frame(&f, server_of(i), client_of(i), 52);
    f.ip_id = (uint16_t)(i + seq);
    struct tg_tcp h = {.sport = from_client ? cport_of(i) : dport,
                       .dport = from_client ? dport : cport_of(i),
                       .seq = seq,
                       .ack = ack,
                       .flags = flags,
                       .win = 64240,
                       .wscale = -1};
    if (flags & TG_SYN)
        h.mss = 1460;
    put(s, s->fr, tg_build_tcp(s->fr, sizeof(s->fr), &f, &h, pl, n));
}

static void tcp_open(struct fl *s, uint64_t i, uint16_t dport)
{
    uint32_t c = isn(i), v = c ^ 0x5a5a5a5au;
    seg(s, i, dport, true, c, 0, TG_SYN, NULL, 0);
    seg(s, i, dport, false, v, c + 1, TG_SYN | TG_ACK, NULL, 0);
    seg(s, i, dport, true, c + 1, v + 1, TG_ACK, NULL, 0);
}

/* Client data at offset off (0 = first byte after the SYN). */
static void tcp_data(struct fl *s, uint64_t i, uint16_t dport, uint32_t off, const uint8_t *pl,
                     size_t n)
{
    uint32_t c = isn(i), v = c ^ 0x5a5a5a5au;
    seg(s, i, dport, true, c + 1 + off, v + 1, TG_ACK | TG_PSH, pl, n);
}

/* Client data of n bytes at offset off, cut in 1460-byte segments. */
static void tcp_stream(struct fl *s, uint64_t i, uint16_t dport, uint32_t off, const uint8_t *pl,
                       size_t n)
{
    for (size_t k = 0; k < n && s->e == TA_OK; k += 1460)
        tcp_data(s, i, dport, off + (uint32_t)k, pl + k, n - k < 1460 ? n - k : 1460);
}

static void flood_flows(struct fl *s, const struct tg_gen_opts *o, struct tg_rng *rng,
                        uint64_t *tcp, uint64_t *udp)
{
    /* Flow i: source 10.0.0.0/8 host (i mod 2^24), source port from i / 2^24,
     * so every flow's 5-tuple is distinct; even flows a single SYN, odd flows
     * one small UDP datagram. */
    uint8_t pl[16];
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++) {
        struct tg_frame f;
        v4frame(&f, client_of(i), server_of(i), 64);
        f.ip_id = (uint16_t)i;
        uint16_t sp = cport_of(i);
        size_t len;
        if (i % 2 == 0) {
            struct tg_tcp h = {.sport = sp,
                               .dport = 80,
                               .seq = (uint32_t)tg_rng_u64(rng),
                               .flags = TG_SYN,
                               .win = 64240,
                               .mss = 1460,
                               .wscale = -1};
            len = tg_build_tcp(s->fr, sizeof(s->fr), &f, &h, NULL, 0);
            (*tcp)++;
        } else {
            tg_rng_bytes(rng, pl, sizeof(pl));
            len = tg_build_udp(s->fr, sizeof(s->fr), &f, sp, 53, pl, sizeof(pl));
            (*udp)++;
        }
        if (len == 0) {
            s->e = TA_ERR_ARG;
            break;
        }
        s->e = tg_pcap_write(s->w, s->t, s->fr, len);
        s->t += 1 + (i & 1);
    }
}

static void flood_frags(struct fl *s, const struct tg_gen_opts *o)
{
    uint8_t whole[TG_FRAME_MAX], pl[2960];
    memset(pl, 'f', sizeof(pl));
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++) {
        struct tg_frame f;
        v4frame(&f, client_of(i), server_of(i), 64);
        f.df = false;
        f.ip_id = (uint16_t)(i * 7 + 1);
        size_t n = tg_build_udp(whole, sizeof(whole), &f, cport_of(i), 4789, pl, sizeof(pl));
        /* The first of two fragments only: the datagram is never complete. */
        put(s, s->fr, n ? tg_ipv4_fragment(s->fr, sizeof(s->fr), whole, n, 14, 2, 0) : 0);
    }
}

static void flood_ooo(struct fl *s, const struct tg_gen_opts *o)
{
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_open(s, i, 8080);
    const uint8_t b = 'o';
    /* Byte 0 never arrives; bytes 1, 3, 5, ... do. */
    for (uint32_t r = 0; r < o->per_flow && s->e == TA_OK; r++)
        for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
            tcp_data(s, i, 8080, 1 + 2 * r, &b, 1);
}

#define HTTP_BODY 16384

static void flood_http(struct fl *s, const struct tg_gen_opts *o)
{
    static uint8_t req[HTTP_BODY + 256];
    int h = snprintf((char *)req, 256,
                     "POST /upload.php HTTP/1.1\r\nHost: flood.example\r\n"
                     "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
                     HTTP_BODY);
    memset(req + h, 'b', HTTP_BODY);
    size_t n = (size_t)h + HTTP_BODY;
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_open(s, i, 80);
    for (uint32_t r = 0; r < o->per_flow && s->e == TA_OK; r++)
        for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
            tcp_stream(s, i, 80, r * (uint32_t)n, req, n);
}

static void flood_dns(struct fl *s, const struct tg_gen_opts *o)
{
    uint8_t m[1002];
    memset(m, 0, sizeof(m));
    m[0] = 0xff, m[1] = 0xff; /* a 65,535-byte message follows */
    m[2] = 0x12, m[3] = 0x34, m[5] = 0x01;
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_open(s, i, 53);
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_data(s, i, 53, 0, m, sizeof(m));
}

static void flood_tls(struct fl *s, const struct tg_gen_opts *o)
{
    uint8_t m[1460];
    memset(m, 0x41, sizeof(m));
    /* Handshake record of 16384 bytes holding a ClientHello of 120,000. */
    const uint8_t hdr[] = {22, 3, 1, 0x40, 0x00, 1, 0x01, 0xd4, 0xc0, 3, 3};
    memcpy(m, hdr, sizeof(hdr));
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_open(s, i, 443);
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++)
        tcp_data(s, i, 443, 0, m, sizeof(m));
}

static size_t put_name(uint8_t *p, const char *name)
{
    size_t n = 0;
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot != NULL);
    }
    p[n++] = 0;
    return n;
}

static void flood_resolutions(struct fl *s, const struct tg_gen_opts *o, FILE *list)
{
    uint8_t m[512];
    char name[64];
    for (uint64_t i = 0; i < o->flows && s->e == TA_OK; i++) {
        snprintf(name, sizeof(name), "c%llu.flood-c2.example", (unsigned long long)i);
        if (fprintf(list, "%s\n", name) < 0) {
            s->e = TA_ERR_IO;
            break;
        }
        uint16_t id = (uint16_t)(i * 31 + 7);
        memset(m, 0, 12);
        m[0] = (uint8_t)(id >> 8), m[1] = (uint8_t)id;
        m[2] = 0x01, m[5] = 1; /* RD, one question */
        size_t q = 12 + put_name(m + 12, name);
        m[q++] = 0, m[q++] = 1, m[q++] = 0, m[q++] = 1; /* A IN */
        struct tg_frame f;
        uint32_t host = client_of(i), dns = 0xc6336435u; /* 198.51.100.53 */
        uint16_t sp = cport_of(i);
        v4frame(&f, host, dns, 64);
        put(s, s->fr, tg_build_udp(s->fr, sizeof(s->fr), &f, sp, 53, m, q));
        /* The answer: the question and one A record, 203.0.113.x. */
        m[2] = 0x81, m[3] = 0x80, m[7] = 1;
        const uint8_t rr[] = {0xc0, 12,   0, 1, 0,   1, 0,   0,
                              0x0e, 0x10, 0, 4, 203, 0, 113, (uint8_t)(1 + i % 250)};
        memcpy(m + q, rr, sizeof(rr));
        v4frame(&f, dns, host, 60);
        put(s, s->fr, tg_build_udp(s->fr, sizeof(s->fr), &f, 53, sp, m, q + sizeof(rr)));
    }
}

static void out_path(char *buf, size_t len, const struct tg_gen_opts *o, const char *name)
{
    snprintf(buf, len, "%s/%s", o->out, name);
}

ta_err tg_scenario_flood(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    (void)geo;
    const char *kind = o->flood != NULL ? o->flood : "flows";
    static const char *const kinds[] = {"flows", "frags", "ooo",        "http",
                                        "dns",   "tls",   "resolutions"};
    size_t k = 0;
    while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k], kind) != 0)
        k++;
    if (k == sizeof(kinds) / sizeof(kinds[0]))
        return TA_ERR_ARG;
    struct tg_rng rng;
    tg_rng_seed(&rng, o->seed ^ 0x666c6f6f64ull);
    char path[4096];
    out_path(path, sizeof(path), o, o->gzip ? "flood.pcap.gz" : "flood.pcap");
    struct fl *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TA_ERR_NOMEM;
    struct tg_pcap_opts po = {
        .linktype = TG_LINK_ETH, .snaplen = 65535, .gzip = o->gzip, .gzip_level = 1};
    ta_err e = tg_pcap_open(&s->w, path, &po);
    if (e != TA_OK) {
        free(s);
        return e;
    }
    s->t = T0;
    uint64_t tcp = 0, udp = 0;
    FILE *list = NULL;
    switch (k) {
    case 0:
        flood_flows(s, o, &rng, &tcp, &udp);
        break;
    case 1:
        flood_frags(s, o);
        break;
    case 2:
        flood_ooo(s, o);
        break;
    case 3:
        flood_http(s, o);
        break;
    case 4:
        flood_dns(s, o);
        break;
    case 5:
        flood_tls(s, o);
        break;
    default:
        out_path(path, sizeof(path), o, "flood-domains.txt");
        list = fopen(path, "w");
        if (list == NULL)
            s->e = TA_ERR_IO;
        else
            flood_resolutions(s, o, list);
        if (list != NULL && fclose(list) != 0 && s->e == TA_OK)
            s->e = TA_ERR_IO;
        break;
    }
    e = s->e;
    uint64_t packets = tg_pcap_packets(s->w);
    ta_err ce = tg_pcap_close(s->w);
    free(s);
    if (e == TA_OK)
        e = ce;
    if (e != TA_OK)
        return e;
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "flood");
    if (k != 0)
        ta_json_kv_str(&j, "flood", kind);
    ta_json_kv_uint(&j, "flows", o->flows);
    if (k == 0) {
        ta_json_kv_uint(&j, "tcp_flows", tcp);
        ta_json_kv_uint(&j, "udp_flows", udp);
    }
    if (k == 2 || k == 3)
        ta_json_kv_uint(&j, "per_flow", o->per_flow);
    ta_json_kv_uint(&j, "packets", packets);
    ta_json_obj_close(&j);
    out_path(path, sizeof(path), o, "flood.json");
    FILE *f = fopen(path, "w");
    bool ok = f != NULL && !j.oom && ta_json_write_line(&j, f);
    if (f != NULL)
        ok &= fclose(f) == 0;
    ta_json_release(&j);
    return ok ? TA_OK : TA_ERR_IO;
}
