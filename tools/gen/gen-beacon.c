/*
 * The `beacon` scenario: bots beaconing to C&C servers at fixed intervals
 * with jitter, next to benign timers that are false-positive bait for a
 * timing-based detector, and ordinary bursty browsing. Writes beacon.pcap
 * and truth-beacon.json (the true beaconing (host, server, port) pairs and
 * the benign ones). No threat-intel indicators exist for any server: a
 * detector can only find the bots from timing and sizes.
 *
 * Shape (scale 1, --hours 8, one LAN of 24 hosts):
 *   - 8 bots with 10 beacon pairs to 5 C&C servers: periods 60 s - 30 min,
 *     jitter 0-30 % (symmetric, or Cobalt-Strike style "sleep minus up to
 *     j"), small similar payloads over HTTP POST, HTTP GET, TLS or a raw TCP
 *     protocol; 2 % of beacons missed (host asleep), 4 % carry a larger task.
 *   - Update polls by name: an antivirus signature check every 10 min over
 *     TLS to one address (most hosts), an application updater every hour
 *     over TLS to a CDN name that rotates over 4 addresses, an HTTP update
 *     check every 15 min (most hosts); occasional downloads (10-60 KB).
 *   - NTP (UDP 123) to pool servers at 64-1024 s, DNS to the resolver.
 *   - Browsing: visits at exponential gaps (mean 20 min), each a DNS lookup
 *     and 1-5 connections within seconds to the site and shared CDN servers
 *     (responses 1-20 KB).
 *   - One keep-alive beacon: a host holds one HTTP/1.1 connection to its own
 *     C&C server (port 8080, by address) and POSTs a small report on it every
 *     60 s with 20 % symmetric jitter, 40 requests (Caldera's and Mythic's
 *     HTTP agents poll so): one connection start, so only request timing
 *     inside the connection shows it. It has a random stream of its own, so
 *     the rest of the capture is as without it. A second one does the same
 *     over one TLS connection to port 443 (one application-data record per
 *     request), its own stream too: only the records' timing shows it.
 */
#include "gen-scenarios.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/banned.h"

#define SEC 1000000ull

enum {
    B_HOSTS = 24,     /* hosts at scale 1 */
    B_BOTS = 8,       /* bots at scale 1 */
    B_C2 = 5,         /* C&C servers */
    B_SITES = 30,     /* browsed sites */
    B_CDN = 4,        /* shared CDN servers (browsing) */
    B_UPD_CDN = 4,    /* addresses behind the updater's CDN name */
    B_NTP = 4,        /* NTP pool servers */
    B_MAX_PAIRS = 64, /* beacon pairs cap */
};

enum chan { CH_HTTP_POST, CH_HTTP_GET, CH_TLS, CH_RAW };
static const char *const chan_name[] = {"http-post", "http-get", "tls", "raw-tcp"};

struct c2 {
    uint32_t ip;
    uint16_t port;
    enum chan ch;
    char name[48]; /* SNI / Host when by name, "" = by address */
};

struct bpair {
    uint32_t host;
    int c2;
    uint32_t period_s;
    double jitter;
    bool cs_style;      /* jitter only shortens the sleep */
    uint32_t req, resp; /* base sizes */
    uint64_t sent;
};

enum skind { S_BEACON, S_AV, S_APPUPD, S_HTTPUPD, S_NTP, S_VISIT, S_KEEPALIVE, S_KEEPALIVE_TLS };

enum { KA_REQUESTS = 40, KA_PERIOD_S = 60, KA_PORT = 8080, KT_PORT = 443 };
#define KA_JITTER 0.20

struct sess {
    ta_time_us t;
    uint32_t seq;
    uint8_t kind;
    uint16_t a; /* host index */
    uint16_t b; /* pair / server index */
};

struct bw {
    struct tg_gen_opts const *o;
    struct tg_rng rng;
    struct tg_ctx c;
    uint32_t nhosts;
    uint32_t *hosts;
    uint32_t resolver, av_ip, upd_http_ip;
    uint32_t upd_cdn[B_UPD_CDN], ntp[B_NTP], sites[B_SITES], cdn[B_CDN];
    char site_names[B_SITES][40];
    struct c2 c2[B_C2];
    struct bpair pairs[B_MAX_PAIRS];
    uint32_t npairs;
    struct sess *s;
    size_t ns, scap;
    /* Benign pairs for the truth: bit per (host, server slot, port slot). */
    uint8_t *seen;
    uint64_t counts[8];
    /* The keep-alive beacon: its own random stream, host index, server, requests. */
    struct tg_rng krng;
    uint32_t ka_host, ka_ip;
    ta_time_us ka_start;
    uint64_t ka_sent;
    /* The same over one TLS connection: its own stream too. */
    struct tg_rng trng;
    uint32_t kt_host, kt_ip;
    ta_time_us kt_start;
    uint64_t kt_sent;
};

/* Server slots for the benign-pair bitmap. */
enum {
    SL_RESOLVER = 0,
    SL_AV,
    SL_UPDHTTP,
    SL_UPDCDN,
    SL_NTP = SL_UPDCDN + B_UPD_CDN,
    SL_SITE = SL_NTP + B_NTP,
    SL_CDN = SL_SITE + B_SITES,
    SL__COUNT = SL_CDN + B_CDN
};

static void mark(struct bw *w, uint32_t h, int slot, int port80)
{
    w->seen[((size_t)h * SL__COUNT + (size_t)slot) * 2 + (size_t)port80] = 1;
}

static void add_sess(struct bw *w, ta_time_us t, enum skind k, uint32_t a, uint32_t b)
{
    if (w->ns == w->scap) {
        size_t nc = w->scap ? w->scap * 2 : 4096;
        struct sess *n = realloc(w->s, nc * sizeof(*n));
        if (n == NULL)
            abort(); /* generator tool only */
        w->s = n;
        w->scap = nc;
    }
    w->s[w->ns++] = (struct sess){t, (uint32_t)w->ns, (uint8_t)k, (uint16_t)a, (uint16_t)b};
    w->counts[k]++;
}

static int sess_cmp(const void *x, const void *y)
{
    const struct sess *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Exponential variate with mean m seconds, in microseconds. */
static ta_time_us expo(struct tg_rng *r, double mean_s)
{
    double y = 1.0 - tg_rng_unit(r); /* (0, 1] */
    return (ta_time_us)(-log(y) * mean_s * 1e6);
}

static ta_time_us jitter_us(struct tg_rng *r, double base_s, double j)
{
    double f = 1.0 + j * (2.0 * tg_rng_unit(r) - 1.0);
    return (ta_time_us)(base_s * f * 1e6);
}

/* ---- schedule ----------------------------------------------------------- */

static void schedule(struct bw *w, ta_time_us t0, ta_time_us t1)
{
    struct tg_rng *r = &w->rng;
    /* Beacons. */
    for (uint32_t i = 0; i < w->npairs; i++) {
        struct bpair *p = &w->pairs[i];
        double first = (double)p->period_s < 3600.0 ? (double)p->period_s : 3600.0;
        ta_time_us t = t0 + (ta_time_us)(tg_rng_unit(r) * first * 1e6);
        while (t < t1) {
            if (tg_rng_below(r, 100) >= 2)
                add_sess(w, t, S_BEACON, p->host, i);
            double f = p->cs_style ? 1.0 - p->jitter * tg_rng_unit(r)
                                   : 1.0 + p->jitter * (2.0 * tg_rng_unit(r) - 1.0);
            t += (ta_time_us)((double)p->period_s * f * 1e6);
        }
    }
    for (uint32_t h = 0; h < w->nhosts; h++) {
        /* Antivirus signature check every 10 min (+-2 %), on 21 of 24 hosts. */
        if (tg_rng_below(r, 8) != 0) {
            ta_time_us t = t0 + tg_rng_below(r, 600 * SEC);
            for (; t < t1; t += jitter_us(r, 600.0, 0.02))
                add_sess(w, t, S_AV, h, 0);
            mark(w, h, SL_AV, 0);
        }
        /* Application updater hourly, every host. */
        for (ta_time_us t = t0 + tg_rng_below(r, 3600 * SEC); t < t1;
             t += jitter_us(r, 3600.0, 0.01))
            add_sess(w, t, S_APPUPD, h, 0);
        /* HTTP update check every 15 min (+-10 %), on 3 of 4 hosts. */
        if (tg_rng_below(r, 4) != 0) {
            for (ta_time_us t = t0 + tg_rng_below(r, 900 * SEC); t < t1;
                 t += jitter_us(r, 900.0, 0.10))
                add_sess(w, t, S_HTTPUPD, h, 0);
            mark(w, h, SL_UPDHTTP, 1);
        }
        /* NTP: poll interval doubling from 64 s to 1024 s; a new pool server
         * every ~2 hours. */
        {
            uint32_t srv = (uint32_t)tg_rng_below(r, B_NTP);
            double poll = 64.0;
            ta_time_us change = t0 + 7200 * SEC;
            for (ta_time_us t = t0 + tg_rng_below(r, 64 * SEC); t < t1;
                 t += jitter_us(r, poll, 0.05)) {
                if (t >= change) {
                    srv = (uint32_t)tg_rng_below(r, B_NTP);
                    change = t + 7200 * SEC;
                }
                add_sess(w, t, S_NTP, h, srv);
                mark(w, h, SL_NTP + (int)srv, 0);
                if (poll < 1024.0)
                    poll *= 2.0;
            }
        }
        /* Browsing: visits at exponential gaps (mean 20 min). */
        for (ta_time_us t = t0 + expo(r, 1200.0); t < t1; t += expo(r, 1200.0))
            add_sess(w, t, S_VISIT, h, 0);
    }
}

/* ---- emission ------------------------------------------------------------ */

static ta_err tls_exchange(struct bw *w, struct tg_tcp_sess *s, const char *sni, size_t up,
                           size_t down)
{
    struct tg_ctx *c = &w->c;
    tg_buf_reset(&c->a);
    tg_tls_client_hello(&c->a, &w->rng, sni);
    ta_err e = tg_tcp_sess_open(s);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    tg_tls_server_hello(&c->b, &w->rng);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    tg_buf_reset(&c->a);
    tg_tls_appdata(&c->a, &w->rng, up);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    while (down > 0) {
        size_t n = down > 16000 ? 16000 : down;
        tg_tls_appdata(&c->b, &w->rng, n);
        down -= n;
    }
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

static ta_err http_exchange(struct bw *w, struct tg_tcp_sess *s, const char *method,
                            const char *host, const char *path, size_t reqbody, size_t down)
{
    struct tg_ctx *c = &w->c;
    ta_err e = tg_tcp_sess_open(s);
    tg_buf_reset(&c->a);
    tg_buf_printf(&c->a,
                  "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 8.0; "
                  "Windows NT 6.1)\r\nAccept: */*\r\n",
                  method, path, host);
    if (reqbody > 0) {
        /* Binary (encrypted) report, as Zeus-style gate.php bots send it. */
        uint8_t raw[4096];
        size_t n = reqbody > sizeof(raw) ? sizeof(raw) : reqbody;
        tg_rng_bytes(&w->rng, raw, n);
        tg_buf_printf(&c->a,
                      "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n", n);
        tg_buf_put(&c->a, raw, n);
    } else {
        tg_buf_str(&c->a, "\r\n");
    }
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    tg_buf_printf(&c->b,
                  "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\n"
                  "Content-Length: %zu\r\n\r\n",
                  down);
    size_t st = c->b.len;
    uint8_t tmp[512];
    while (c->b.len - st < down) {
        size_t n = down - (c->b.len - st);
        if (n > sizeof(tmp))
            n = sizeof(tmp);
        tg_rng_bytes(&w->rng, tmp, n);
        tg_buf_put(&c->b, tmp, n);
    }
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

static uint32_t rtt(struct bw *w)
{
    return (uint32_t)tg_rng_range(&w->rng, 20000, 250000);
}

static ta_err emit_beacon(struct bw *w, ta_time_us t, uint32_t pi)
{
    struct bpair *p = &w->pairs[pi];
    const struct c2 *s = &w->c2[p->c2];
    uint32_t host = w->hosts[p->host];
    size_t up = p->req + (size_t)tg_rng_below(&w->rng, 9);
    size_t down = p->resp + (size_t)tg_rng_below(&w->rng, 9);
    if (tg_rng_below(&w->rng, 100) < 4)
        down = (size_t)tg_rng_range(&w->rng, 1000, 4000); /* a task */
    p->sent++;
    struct tg_tcp_sess *ss = tg_tcp_start(&w->c, t, host, s->ip, s->port, rtt(w), 128, 50);
    char ipb[16];
    const char *hn = s->name[0] ? s->name : tg_ip4_str(s->ip, ipb);
    switch (s->ch) {
    case CH_HTTP_POST:
        return http_exchange(w, ss, "POST", hn, "/gate.php", up, down);
    case CH_HTTP_GET: {
        char path[96];
        char id[17];
        tg_rng_alnum(&w->rng, id, 16);
        id[16] = 0;
        snprintf(path, sizeof(path), "/news/%.16s.jpg", id);
        return http_exchange(w, ss, "GET", hn, path, 0, down);
    }
    case CH_TLS:
        return tls_exchange(w, ss, s->name[0] ? s->name : NULL, up, down);
    case CH_RAW: {
        ta_err e = tg_tcp_sess_open(ss);
        uint8_t buf[4096];
        tg_rng_bytes(&w->rng, buf, up);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, true, buf, up);
        tg_rng_bytes(&w->rng, buf, down);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, false, buf, down);
        if (e == TA_OK)
            e = tg_tcp_sess_close(ss, true);
        return e;
    }
    }
    return TA_OK;
}

/*
 * The keep-alive beacon: one connection, KA_REQUESTS POSTs at KA_PERIOD_S
 * with KA_JITTER, each answered at once. Drawn from krng only. Over TLS
 * (trng): a handshake, then each request and answer one application-data
 * record, so only the records' timing shows it.
 */
static ta_err emit_keepalive(struct bw *w, bool tls)
{
    struct tg_rng *saved = w->c.rng;
    struct tg_rng *r = tls ? &w->trng : &w->krng;
    w->c.rng = r;
    uint32_t ip = tls ? w->kt_ip : w->ka_ip;
    uint16_t port = tls ? KT_PORT : KA_PORT;
    char ipb[16];
    const char *hn = tg_ip4_str(ip, ipb);
    struct tg_tcp_sess *ss = tg_tcp_start(&w->c, tls ? w->kt_start : w->ka_start,
                                          w->hosts[tls ? w->kt_host : w->ka_host], ip, port,
                                          (uint32_t)tg_rng_range(r, 30000, 120000), 128, 50);
    ta_err e = tg_tcp_sess_open(ss);
    struct tg_ctx *c = &w->c;
    if (tls && e == TA_OK) {
        tg_buf_reset(&c->a);
        tg_tls_client_hello(&c->a, r, NULL);
        e = tg_tcp_sess_send(ss, true, c->a.p, c->a.len);
        tg_buf_reset(&c->b);
        tg_tls_server_hello(&c->b, r);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, false, c->b.p, c->b.len);
    }
    for (uint32_t i = 0; i < KA_REQUESTS && e == TA_OK; i++) {
        if (i > 0) {
            double f = 1.0 + KA_JITTER * (2.0 * tg_rng_unit(r) - 1.0);
            tg_tcp_sess_wait(ss, (uint64_t)((double)KA_PERIOD_S * f * 1e6));
        }
        char body[160];
        char id[25];
        tg_rng_alnum(r, id, 24);
        id[24] = 0;
        int bl = snprintf(body, sizeof(body), "{\"id\":\"%s\",\"seq\":%u,\"results\":[]}", id, i);
        tg_buf_reset(&c->a);
        tg_buf_printf(
            &c->a,
            "POST /api/beacon HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: Go-http-client/1.1\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
            hn, (unsigned)port, bl, body);
        if (tls) {
            /* The same request encrypted: a record of its length plus a tag. */
            size_t n = c->a.len + 24;
            tg_buf_reset(&c->a);
            tg_tls_appdata(&c->a, r, n);
        }
        e = tg_tcp_sess_send(ss, true, c->a.p, c->a.len);
        tg_buf_reset(&c->b);
        const char *task = "{\"tasks\":[]}";
        tg_buf_printf(&c->b,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "\r\n%s",
                      strlen(task), task);
        if (tls) {
            size_t n = c->b.len + 24;
            tg_buf_reset(&c->b);
            tg_tls_appdata(&c->b, r, n);
        }
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, false, c->b.p, c->b.len);
        if (tls)
            w->kt_sent++;
        else
            w->ka_sent++;
    }
    if (e == TA_OK)
        e = tg_tcp_sess_close(ss, true);
    w->c.rng = saved;
    return e;
}

static ta_err emit_udp_pair(struct bw *w, ta_time_us t, uint32_t cl, uint32_t sv, uint16_t dport,
                            const uint8_t *q, size_t ql, const uint8_t *a, size_t al)
{
    uint8_t fr[1600];
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    f.linktype = TG_LINK_ETH;
    tg_ip4(&f.src, cl);
    tg_ip4(&f.dst, sv);
    f.ttl = 128;
    f.ip_id = w->c.ip_id++;
    uint16_t sp = tg_eph_port(&w->rng);
    size_t n = tg_build_udp(fr, sizeof(fr), &f, sp, dport, q, ql);
    ta_err e = tg_sink_emit(w->c.sink, t, fr, n);
    tg_ip4(&f.src, sv);
    tg_ip4(&f.dst, cl);
    f.ttl = 52;
    f.ip_id = w->c.ip_id++;
    n = tg_build_udp(fr, sizeof(fr), &f, dport, sp, a, al);
    if (e == TA_OK)
        e = tg_sink_emit(w->c.sink, t + rtt(w), fr, n);
    return e;
}

static ta_err emit_ntp(struct bw *w, ta_time_us t, uint32_t h, uint32_t srv)
{
    uint8_t q[48], a[48];
    memset(q, 0, sizeof(q));
    q[0] = 0x23; /* LI 0, version 4, mode 3 (client) */
    tg_rng_bytes(&w->rng, q + 40, 8);
    tg_rng_bytes(&w->rng, a, sizeof(a));
    a[0] = 0x24; /* mode 4 (server) */
    a[1] = 2;    /* stratum */
    memcpy(a + 24, q + 40, 8);
    return emit_udp_pair(w, t, w->hosts[h], w->ntp[srv], 123, q, sizeof(q), a, sizeof(a));
}

static ta_err emit_dns(struct bw *w, ta_time_us t, uint32_t h, const char *name, uint32_t answer)
{
    mark(w, h, SL_RESOLVER, 0);
    return tg_emit_dns(&w->c, t, w->hosts[h], w->resolver, name, answer,
                       (uint32_t)tg_rng_range(&w->rng, 2000, 40000));
}

static size_t update_size(struct bw *w, size_t base, unsigned big_pct)
{
    if (tg_rng_below(&w->rng, 100) < big_pct)
        return (size_t)tg_rng_range(&w->rng, 10000, 60000); /* an update is downloaded */
    return base + (size_t)tg_rng_below(&w->rng, 24);
}

static const char av_name[] = "sigcheck.avdefs.example";
static const char app_name[] = "update.appvendor.example";
static const char http_name[] = "updates.softvendor.example";

static ta_err emit_av(struct bw *w, ta_time_us t, uint32_t h)
{
    ta_err e = emit_dns(w, t, h, av_name, w->av_ip);
    t += 60000;
    struct tg_tcp_sess *s = tg_tcp_start(&w->c, t, w->hosts[h], w->av_ip, 443, rtt(w), 128, 52);
    if (e == TA_OK)
        e = tls_exchange(w, s, av_name, 290 + (size_t)tg_rng_below(&w->rng, 20),
                         update_size(w, 410, 3));
    return e;
}

static ta_err emit_appupd(struct bw *w, ta_time_us t, uint32_t h)
{
    uint32_t k = (uint32_t)tg_rng_below(&w->rng, B_UPD_CDN);
    ta_err e = emit_dns(w, t, h, app_name, w->upd_cdn[k]);
    mark(w, h, SL_UPDCDN + (int)k, 0);
    t += 60000;
    struct tg_tcp_sess *s =
        tg_tcp_start(&w->c, t, w->hosts[h], w->upd_cdn[k], 443, rtt(w), 128, 55);
    if (e == TA_OK)
        e = tls_exchange(w, s, app_name, 520 + (size_t)tg_rng_below(&w->rng, 40),
                         update_size(w, 900, 5));
    return e;
}

static ta_err emit_httpupd(struct bw *w, ta_time_us t, uint32_t h)
{
    ta_err e = emit_dns(w, t, h, http_name, w->upd_http_ip);
    t += 60000;
    struct tg_tcp_sess *s =
        tg_tcp_start(&w->c, t, w->hosts[h], w->upd_http_ip, 80, rtt(w), 128, 49);
    char path[96];
    snprintf(path, sizeof(path), "/update/check?product=viewer&v=3.2.%u&id=%u", h % 7, h);
    if (e == TA_OK)
        e = http_exchange(w, s, "GET", http_name, path, 0, update_size(w, 240, 2));
    return e;
}

/* Site popularity: weight 1/(i+1) over B_SITES sites. */
static uint32_t pick_site(struct bw *w)
{
    double total = 0.0;
    for (int i = 0; i < B_SITES; i++)
        total += 1.0 / (double)(i + 1);
    double x = tg_rng_unit(&w->rng) * total;
    for (int i = 0; i < B_SITES; i++) {
        x -= 1.0 / (double)(i + 1);
        if (x < 0.0)
            return (uint32_t)i;
    }
    return B_SITES - 1;
}

static ta_err emit_visit(struct bw *w, ta_time_us t, uint32_t h)
{
    uint32_t si = pick_site(w);
    ta_err e = emit_dns(w, t, h, w->site_names[si], w->sites[si]);
    uint64_t k = tg_rng_range(&w->rng, 1, 5);
    ta_time_us at = t + 80000;
    for (uint64_t i = 0; i < k && e == TA_OK; i++) {
        bool to_cdn = i > 0 && tg_rng_below(&w->rng, 4) == 0;
        uint32_t ci = (uint32_t)tg_rng_below(&w->rng, B_CDN);
        uint32_t sv = to_cdn ? w->cdn[ci] : w->sites[si];
        bool http = !to_cdn && tg_rng_below(&w->rng, 100) < 15;
        mark(w, h, to_cdn ? SL_CDN + (int)ci : SL_SITE + (int)si, http ? 1 : 0);
        /* Response sizes log-uniform in 1 KB - 20 KB. */
        size_t down = (size_t)(1000.0 * exp(tg_rng_unit(&w->rng) * log(20.0)));
        struct tg_tcp_sess *s =
            tg_tcp_start(&w->c, at, w->hosts[h], sv, http ? 80 : 443, rtt(w), 128, 54);
        if (http) {
            char path[64];
            snprintf(path, sizeof(path), "/article/%llu.html",
                     (unsigned long long)tg_rng_below(&w->rng, 100000));
            e = http_exchange(w, s, "GET", w->site_names[si], path, 0, down);
        } else {
            e = tls_exchange(w, s, to_cdn ? "static.cdnhost.example" : w->site_names[si],
                             (size_t)tg_rng_range(&w->rng, 300, 1500), down);
        }
        at += tg_rng_range(&w->rng, 100000, 4 * SEC);
    }
    return e;
}

/* ---- set-up and truth ------------------------------------------------------ */

static ta_err setup(struct bw *w, struct tg_geo *geo)
{
    struct tg_rng *r = &w->rng;
    const struct tg_gen_opts *o = w->o;
    double hs = 24.0 * o->scale, bs = 8.0 * o->scale;
    w->nhosts = hs < 8.0 ? 8 : hs > 4000.0 ? 4000 : (uint32_t)(hs + 0.5);
    uint32_t nbots = bs < 2.0 ? 2 : (uint32_t)(bs + 0.5);
    if (nbots > w->nhosts / 2)
        nbots = w->nhosts / 2;
    w->hosts = calloc(w->nhosts, sizeof(uint32_t));
    w->seen = calloc((size_t)w->nhosts * SL__COUNT * 2, 1);
    if (w->hosts == NULL || w->seen == NULL)
        return TA_ERR_NOMEM;
    ta_err e = TA_OK;
    for (uint32_t i = 0; i < w->nhosts && e == TA_OK; i++)
        e = tg_geo_draw(geo, r, "CN", &w->hosts[i]);
    if (e == TA_OK)
        e = tg_geo_draw(geo, r, "CN", &w->resolver);
    if (e == TA_OK)
        e = tg_geo_draw(geo, r, "US", &w->av_ip);
    if (e == TA_OK)
        e = tg_geo_draw(geo, r, "DE", &w->upd_http_ip);
    for (int i = 0; i < B_UPD_CDN && e == TA_OK; i++)
        e = tg_geo_draw(geo, r, "US", &w->upd_cdn[i]);
    static const char *const ntp_cc[B_NTP] = {"CN", "JP", "DE", "US"};
    for (int i = 0; i < B_NTP && e == TA_OK; i++)
        e = tg_geo_draw(geo, r, ntp_cc[i], &w->ntp[i]);
    for (int i = 0; i < B_SITES && e == TA_OK; i++) {
        e = tg_geo_draw(geo, r, i % 3 ? "CN" : "US", &w->sites[i]);
        char lbl[9];
        tg_rng_alnum(r, lbl, 8);
        lbl[8] = 0;
        snprintf(w->site_names[i], sizeof(w->site_names[i]), "www.%s.example", lbl);
    }
    for (int i = 0; i < B_CDN && e == TA_OK; i++)
        e = tg_geo_draw(geo, r, "US", &w->cdn[i]);
    static const char *const c2_cc[B_C2] = {"US", "RU", "NL", "UA", "HK"};
    static const struct {
        uint16_t port;
        enum chan ch;
        bool named;
    } c2_shape[B_C2] = {{80, CH_HTTP_POST, false},
                        {443, CH_TLS, true},
                        {8080, CH_HTTP_GET, true},
                        {4444, CH_RAW, false},
                        {8443, CH_TLS, false}};
    for (int i = 0; i < B_C2 && e == TA_OK; i++) {
        struct c2 *c = &w->c2[i];
        e = tg_geo_draw(geo, r, c2_cc[i], &c->ip);
        c->port = c2_shape[i].port;
        c->ch = c2_shape[i].ch;
        if (c2_shape[i].named) {
            char lbl[11];
            tg_rng_alnum(r, lbl, 10);
            lbl[10] = 0;
            snprintf(c->name, sizeof(c->name), "%s.%s", lbl, i == 1 ? "top" : "info");
        }
    }
    if (e != TA_OK)
        return e;
    /* Bots: distinct hosts; every fourth has a second beacon to another server. */
    static const uint32_t periods[] = {60, 90, 120, 300, 600, 900, 1200, 1800};
    uint32_t *perm = calloc(w->nhosts, sizeof(uint32_t));
    if (perm == NULL)
        return TA_ERR_NOMEM;
    for (uint32_t i = 0; i < w->nhosts; i++)
        perm[i] = i;
    for (uint32_t i = w->nhosts - 1; i > 0; i--) {
        uint32_t j = (uint32_t)tg_rng_below(r, i + 1);
        uint32_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    for (uint32_t b = 0; b < nbots && w->npairs < B_MAX_PAIRS; b++) {
        int first = (int)tg_rng_below(r, B_C2);
        int n = b % 4 == 3 ? 2 : 1;
        for (int k = 0; k < n && w->npairs < B_MAX_PAIRS; k++) {
            struct bpair *p = &w->pairs[w->npairs++];
            p->host = perm[b];
            p->c2 = (first + k * 2) % B_C2;
            /* Spread the periods over the list, the first bots cycle through it. */
            p->period_s = periods[(w->npairs - 1) % (sizeof(periods) / sizeof(periods[0]))];
            p->jitter = (double)tg_rng_below(r, 31) / 100.0;
            p->cs_style = tg_rng_below(r, 2) == 0;
            p->req = (uint32_t)tg_rng_range(r, 80, 400);
            p->resp = (uint32_t)tg_rng_range(r, 40, 300);
        }
    }
    free(perm);
    /* The keep-alive beacon, from its own stream, after every other draw. */
    struct tg_rng *kr = &w->krng;
    w->ka_host = (uint32_t)tg_rng_below(kr, w->nhosts);
    w->ka_start = w->o->from + (ta_time_us)tg_rng_below(kr, 600) * SEC;
    return tg_geo_draw(geo, kr, "RU", &w->ka_ip);
}

static void benign_row(struct ta_json *j, uint32_t host, uint32_t server, uint16_t port,
                       const char *proto, const char *what)
{
    char a[16], b[16];
    ta_json_obj_open(j);
    ta_json_kv_str(j, "host", tg_ip4_str(host, a));
    ta_json_kv_str(j, "server", tg_ip4_str(server, b));
    ta_json_kv_uint(j, "port", port);
    ta_json_kv_str(j, "proto", proto);
    ta_json_kv_str(j, "what", what);
    ta_json_obj_close(j);
}

static ta_err write_truth(struct bw *w, ta_time_us t0, ta_time_us t1, uint64_t packets)
{
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "beacon");
    ta_json_kv_uint(&j, "seed", w->o->seed);
    ta_json_kv_time(&j, "start", t0);
    ta_json_kv_time(&j, "end", t1);
    ta_json_kv_uint(&j, "hosts", w->nhosts);
    ta_json_kv_uint(&j, "packets", packets);
    static const char *const kn[] = {
        "beacon", "av_update",    "app_update",       "http_update",
        "ntp",    "browse_visit", "keepalive_beacon", "keepalive_tls_beacon"};
    ta_json_key(&j, "sessions_by_kind");
    ta_json_obj_open(&j);
    for (int i = 0; i < 8; i++)
        ta_json_kv_uint(&j, kn[i], w->counts[i]);
    ta_json_obj_close(&j);
    ta_json_key(&j, "beacon");
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < w->npairs; i++) {
        const struct bpair *p = &w->pairs[i];
        const struct c2 *s = &w->c2[p->c2];
        char a[16], b[16];
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "host", tg_ip4_str(w->hosts[p->host], a));
        ta_json_kv_str(&j, "server", tg_ip4_str(s->ip, b));
        ta_json_kv_uint(&j, "port", s->port);
        ta_json_kv_str(&j, "proto", "tcp");
        ta_json_kv_str(&j, "channel", chan_name[s->ch]);
        if (s->name[0])
            ta_json_kv_str(&j, "name", s->name);
        ta_json_kv_uint(&j, "period_s", p->period_s);
        ta_json_kv_double(&j, "jitter", p->jitter);
        ta_json_kv_str(&j, "jitter_style", p->cs_style ? "sleep-minus" : "symmetric");
        ta_json_kv_uint(&j, "connections", p->sent);
        ta_json_obj_close(&j);
    }
    if (w->ka_sent > 0) {
        char a[16], b[16];
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "host", tg_ip4_str(w->hosts[w->ka_host], a));
        ta_json_kv_str(&j, "server", tg_ip4_str(w->ka_ip, b));
        ta_json_kv_uint(&j, "port", KA_PORT);
        ta_json_kv_str(&j, "proto", "tcp");
        ta_json_kv_str(&j, "channel", "http-keepalive");
        ta_json_kv_uint(&j, "period_s", KA_PERIOD_S);
        ta_json_kv_double(&j, "jitter", KA_JITTER);
        ta_json_kv_str(&j, "jitter_style", "symmetric");
        ta_json_kv_uint(&j, "connections", 1);
        ta_json_kv_uint(&j, "requests", w->ka_sent);
        ta_json_obj_close(&j);
    }
    if (w->kt_sent > 0) {
        char a[16], b[16];
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "host", tg_ip4_str(w->hosts[w->kt_host], a));
        ta_json_kv_str(&j, "server", tg_ip4_str(w->kt_ip, b));
        ta_json_kv_uint(&j, "port", KT_PORT);
        ta_json_kv_str(&j, "proto", "tcp");
        ta_json_kv_str(&j, "channel", "tls-keepalive");
        ta_json_kv_uint(&j, "period_s", KA_PERIOD_S);
        ta_json_kv_double(&j, "jitter", KA_JITTER);
        ta_json_kv_str(&j, "jitter_style", "symmetric");
        ta_json_kv_uint(&j, "connections", 1);
        ta_json_kv_uint(&j, "requests", w->kt_sent);
        ta_json_obj_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_key(&j, "benign");
    ta_json_arr_open(&j);
    for (uint32_t h = 0; h < w->nhosts; h++)
        for (int sl = 0; sl < SL__COUNT; sl++)
            for (int p80 = 0; p80 < 2; p80++) {
                if (!w->seen[((size_t)h * SL__COUNT + (size_t)sl) * 2 + (size_t)p80])
                    continue;
                uint32_t hip = w->hosts[h];
                if (sl == SL_RESOLVER)
                    benign_row(&j, hip, w->resolver, 53, "udp", "dns");
                else if (sl == SL_AV)
                    benign_row(&j, hip, w->av_ip, 443, "tcp", "av-update-10min");
                else if (sl == SL_UPDHTTP)
                    benign_row(&j, hip, w->upd_http_ip, 80, "tcp", "http-update-15min");
                else if (sl < SL_NTP)
                    benign_row(&j, hip, w->upd_cdn[sl - SL_UPDCDN], 443, "tcp",
                               "app-update-hourly-cdn");
                else if (sl < SL_SITE)
                    benign_row(&j, hip, w->ntp[sl - SL_NTP], 123, "udp", "ntp");
                else if (sl < SL_CDN)
                    benign_row(&j, hip, w->sites[sl - SL_SITE], p80 ? 80 : 443, "tcp", "browsing");
                else
                    benign_row(&j, hip, w->cdn[sl - SL_CDN], 443, "tcp", "browsing-cdn");
            }
    ta_json_arr_close(&j);
    ta_json_obj_close(&j);
    char path[4096];
    snprintf(path, sizeof(path), "%s/truth-beacon.json", w->o->out);
    FILE *f = fopen(path, "w");
    ta_err e = TA_ERR_IO;
    if (f != NULL) {
        bool ok = !j.oom && ta_json_write_line(&j, f);
        ok &= fclose(f) == 0;
        e = ok ? TA_OK : TA_ERR_IO;
    }
    ta_json_release(&j);
    return e;
}

ta_err tg_scenario_beacon(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct bw *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return TA_ERR_NOMEM;
    w->o = o;
    tg_rng_seed(&w->rng, o->seed ^ 0x626561636f6eull);
    tg_rng_seed(&w->krng, o->seed ^ 0x6b6565702d616c76ull);
    tg_rng_seed(&w->trng, o->seed ^ 0x6b6565702d746c73ull);
    w->c.rng = &w->rng;
    ta_time_us t0 = o->from, t1 = o->from + (ta_time_us)o->hours * 3600 * SEC;
    ta_err e = setup(w, geo);
    /* The TLS keep-alive beacon, from its own stream, after every other draw. */
    w->kt_host = (uint32_t)tg_rng_below(&w->trng, w->nhosts);
    w->kt_start = o->from + (ta_time_us)tg_rng_below(&w->trng, 600) * SEC;
    if (e == TA_OK)
        e = tg_geo_draw(geo, &w->trng, "RU", &w->kt_ip);
    char path[4096];
    snprintf(path, sizeof(path), "%s/beacon.pcap", o->out);
    struct tg_pcap *pw = NULL;
    struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .snaplen = 65535};
    if (e == TA_OK)
        e = tg_pcap_open(&pw, path, &po);
    if (e == TA_OK)
        e = tg_sink_new(&w->c.sink, pw);
    if (e == TA_OK) {
        schedule(w, t0, t1);
        /* Only when the capture is long enough to hold its requests. */
        if (w->ka_start + (ta_time_us)KA_REQUESTS * (KA_PERIOD_S + 15) * SEC < t1)
            add_sess(w, w->ka_start, S_KEEPALIVE, w->ka_host, 0);
        if (w->kt_start + (ta_time_us)KA_REQUESTS * (KA_PERIOD_S + 15) * SEC < t1)
            add_sess(w, w->kt_start, S_KEEPALIVE_TLS, w->kt_host, 0);
        qsort(w->s, w->ns, sizeof(*w->s), sess_cmp);
    }
    for (size_t i = 0; i < w->ns && e == TA_OK; i++) {
        const struct sess *s = &w->s[i];
        e = tg_sink_flush(w->c.sink, s->t);
        if (e != TA_OK)
            break;
        switch ((enum skind)s->kind) {
        case S_BEACON:
            e = emit_beacon(w, s->t, s->b);
            break;
        case S_AV:
            e = emit_av(w, s->t, s->a);
            break;
        case S_APPUPD:
            e = emit_appupd(w, s->t, s->a);
            break;
        case S_HTTPUPD:
            e = emit_httpupd(w, s->t, s->a);
            break;
        case S_NTP:
            e = emit_ntp(w, s->t, s->a, s->b);
            break;
        case S_VISIT:
            e = emit_visit(w, s->t, s->a);
            break;
        case S_KEEPALIVE:
            e = emit_keepalive(w, false);
            break;
        case S_KEEPALIVE_TLS:
            e = emit_keepalive(w, true);
            break;
        }
    }
    if (e == TA_OK)
        e = tg_sink_flush(w->c.sink, UINT64_MAX);
    uint64_t packets = pw != NULL ? tg_pcap_packets(pw) : 0;
    ta_err ce = tg_pcap_close(pw);
    if (e == TA_OK)
        e = ce;
    if (e == TA_OK)
        e = write_truth(w, t0, t1, packets);
    if (e == TA_OK && !o->quiet)
        fprintf(stderr, "threatatlas-gen: beacon: %llu packets, %u hosts, %u beacon pairs\n",
                (unsigned long long)packets, w->nhosts, w->npairs);
    tg_sink_free(w->c.sink);
    tg_buf_release(&w->c.a);
    tg_buf_release(&w->c.b);
    free(w->s);
    free(w->hosts);
    free(w->seen);
    free(w);
    return e;
}
