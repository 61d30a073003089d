/*
 * Scenarios for the precision of the counts: traffic a feed would wrongly
 * count next to traffic it must count, each with the events expected of it.
 *
 *   topsites   hosts browsing well-known sites (DNS, then TLS with the name as
 *              SNI) at addresses a maltrail-style trail and a Feodo-style CSV
 *              list as C&C IP:443, next to one real C&C at IP:443 that bots
 *              reach by address. Every top-site connection must give an event
 *              suppressed by the top-sites allowlist; the real C&C counts.
 *              topsites.pcap, the feeds, allowlist-top-sites.json (the names
 *              used, in top-sites.json's shape) and truth-topsites.json.
 *   precision  one capture per case, one set of feeds, manifest-precision.json
 *              with each capture's packets and flows and the events expected
 *              (kind, method, counted or not): webshell-path probes answered
 *              404 or not at all next to a real webshell GET; an ICMP echo and
 *              TCP to 80 and 443 of an address listed as IP:80; payload
 *              downloads (by URL extension, by an MZ answer) next to a real
 *              C&C contact; unanswered SYNs to a C&C next to an established
 *              contact.
 *
 * Both are deterministic for a seed and write packet times shifted by
 * --time-shift-ms when asked (a second sensor on the same link).
 */
#include "gen-scenarios.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "threatatlas/enrich.h"
#include "threatatlas/json.h"

#include "common/banned.h"

#define SEC 1000000ull
#define MS  1000ull
#define DAY (86400ull * SEC)

/* ---- shared helpers ------------------------------------------------------ */

struct pw {
    const struct tg_gen_opts *o;
    struct tg_geo *geo;
    struct tg_rng rng;
    struct tg_ctx c;
    struct tg_pcap *pcap;
    uint32_t tcp_flows, udp_flows, icmp_flows;
};

static uint32_t rtt(struct pw *w)
{
    return (uint32_t)tg_rng_range(&w->rng, 20 * MS, 90 * MS);
}

static ta_err draw(struct pw *w, const char *cc, uint32_t *ip)
{
    return tg_geo_draw(w->geo, &w->rng, cc, ip);
}

static void out_path(char *buf, size_t len, const struct tg_gen_opts *o, const char *name)
{
    snprintf(buf, len, "%s/%s", o->out, name);
}

static ta_err write_json(const struct tg_gen_opts *o, const char *name, struct ta_json *j)
{
    char path[4096];
    out_path(path, sizeof(path), o, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return TA_ERR_IO;
    bool ok = !j->oom && ta_json_write_line(j, f);
    ok &= fclose(f) == 0;
    return ok ? TA_OK : TA_ERR_IO;
}

static ta_err open_capture(struct pw *w, const char *name)
{
    char path[4096];
    out_path(path, sizeof(path), w->o, name);
    struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .snaplen = 65535};
    ta_err e = tg_pcap_open(&w->pcap, path, &po);
    if (e != TA_OK)
        return e;
    if (w->c.sink == NULL) {
        e = tg_sink_new(&w->c.sink, w->pcap);
        if (e == TA_OK)
            tg_sink_set_shift(w->c.sink, w->o->shift_us);
    } else {
        tg_sink_set_writer(w->c.sink, w->pcap);
    }
    w->tcp_flows = w->udp_flows = w->icmp_flows = 0;
    return e;
}

/* Flush and close the current capture; *packets gets its packet count. */
static ta_err close_capture(struct pw *w, uint64_t *packets)
{
    ta_err e = tg_sink_flush(w->c.sink, UINT64_MAX);
    *packets = tg_pcap_packets(w->pcap);
    ta_err ce = tg_pcap_close(w->pcap);
    w->pcap = NULL;
    return e != TA_OK ? e : ce;
}

static ta_err dns(struct pw *w, ta_time_us t, uint32_t host, uint32_t resolver, const char *name,
                  uint32_t answer)
{
    w->udp_flows++;
    return tg_emit_dns(&w->c, t, host, resolver, name, answer, 2 * MS);
}

/* A TLS connection: ClientHello (SNI or none), ServerHello, data both ways, FIN. */
static ta_err tls_conn(struct pw *w, ta_time_us t, uint32_t host, uint32_t server, uint16_t port,
                       const char *sni, size_t up, size_t down)
{
    struct tg_ctx *c = &w->c;
    struct tg_tcp_sess *s = tg_tcp_start(c, t, host, server, port, rtt(w), 128, 52);
    w->tcp_flows++;
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
    tg_tls_appdata(&c->b, &w->rng, down);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

/*
 * One HTTP request on its own connection. status 0: the server ACKs the
 * request but never answers, and the client gives up after 30 s (FIN).
 */
static ta_err http_conn(struct pw *w, ta_time_us t, uint32_t host, uint32_t server, uint16_t port,
                        const char *request, int status, const char *ctype, const uint8_t *body,
                        size_t blen)
{
    struct tg_ctx *c = &w->c;
    struct tg_tcp_sess *s = tg_tcp_start(c, t, host, server, port, rtt(w), 64, 50);
    w->tcp_flows++;
    ta_err e = tg_tcp_sess_open(s);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, request, strlen(request));
    if (e != TA_OK)
        return e;
    if (status == 0) {
        tg_tcp_sess_wait(s, 30 * SEC);
        return tg_tcp_sess_close(s, true);
    }
    static const char *const reason[] = {[200] = "OK", [404] = "Not Found"};
    tg_buf_reset(&c->b);
    tg_buf_printf(&c->b,
                  "HTTP/1.1 %d %s\r\nServer: Apache\r\nContent-Type: %s\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  status, status == 200 || status == 404 ? reason[status] : "", ctype, blen);
    tg_buf_put(&c->b, body, blen);
    e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, false);
    return e;
}

/* A short binary exchange (a bot's check-in) on an established connection. */
static ta_err raw_conn(struct pw *w, ta_time_us t, uint32_t host, uint32_t server, uint16_t port)
{
    struct tg_ctx *c = &w->c;
    struct tg_tcp_sess *s = tg_tcp_start(c, t, host, server, port, rtt(w), 128, 47);
    w->tcp_flows++;
    uint8_t req[96], resp[160];
    tg_rng_bytes(&w->rng, req, sizeof(req));
    tg_rng_bytes(&w->rng, resp, sizeof(resp));
    ta_err e = tg_tcp_sess_open(s);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, req, sizeof(req));
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, resp, sizeof(resp));
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

/* SYNs never answered: the first and `retries` retransmissions (1 s, 2 s, 4 s ...). */
static ta_err syn_only(struct pw *w, ta_time_us t, uint32_t host, uint32_t server, uint16_t port,
                       unsigned retries)
{
    struct tg_tcp_sess *s = tg_tcp_start(&w->c, t, host, server, port, rtt(w), 128, 64);
    w->tcp_flows++;
    uint32_t isn = s->cnxt;
    ta_err e = TA_OK;
    for (unsigned i = 0; i <= retries && e == TA_OK; i++) {
        /* A retransmission repeats the same initial sequence number. */
        s->cnxt = isn;
        e = tg_tcp_sess_syn_only(s);
        tg_tcp_sess_wait(s, (SEC << i));
    }
    return e;
}

/* ICMP echo request and its reply. */
static ta_err ping(struct pw *w, ta_time_us t, uint32_t host, uint32_t server, uint16_t seq)
{
    uint8_t fr[256], payload[56];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(0x10 + i);
    struct tg_frame f = {.linktype = TG_LINK_ETH, .ttl = 64, .df = true, .ip_id = w->c.ip_id++};
    tg_ip4(&f.src, host);
    tg_ip4(&f.dst, server);
    size_t n = tg_build_icmp_echo(fr, sizeof(fr), &f, false, 0x4a11, seq, payload, sizeof(payload));
    ta_err e = tg_sink_emit(w->c.sink, t, fr, n);
    tg_ip4(&f.src, server);
    tg_ip4(&f.dst, host);
    f.ttl = 51;
    f.ip_id = w->c.ip_id++;
    n = tg_build_icmp_echo(fr, sizeof(fr), &f, true, 0x4a11, seq, payload, sizeof(payload));
    if (e == TA_OK)
        e = tg_sink_emit(w->c.sink, t + 40 * MS, fr, n);
    return e;
}

static void date_str(ta_time_us t, char *buf, size_t len)
{
    char ts[TA_TS_STRLEN];
    ta_time_format(t, ts, sizeof(ts));
    snprintf(buf, len, "%.10s", ts);
}

static void rand_label(struct tg_rng *r, char *out, size_t n)
{
    tg_rng_alnum(r, out, n);
    out[n] = '\0';
}

/* A Feodo Tracker CSV header; rows follow with first seen d0 and last online d1. */
static void feodo_header(FILE *f, const char *d1)
{
    fprintf(f,
            "################################################################\n"
            "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
            "# Last updated: %s 23:59:59 UTC                         #\n"
            "# (threatatlas-gen scenario feed, synthetic)                   #\n"
            "################################################################\n"
            "#\n"
            "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\","
            "\"malware\"\n",
            d1);
}

static void maltrail_header(FILE *f, const char *family)
{
    fprintf(
        f,
        "# Copyright (c) 2014-2026 Maltrail developers (https://github.com/stamparm/maltrail/)\n"
        "# See the file 'LICENSE' for copying permission\n"
        "# (threatatlas-gen scenario trail for %s, synthetic)\n\n",
        family);
}

static FILE *open_feed(const struct tg_gen_opts *o, const char *name)
{
    char path[4096];
    out_path(path, sizeof(path), o, name);
    return fopen(path, "w");
}

static ta_err mkdirs_under(const struct tg_gen_opts *o, const char *rel)
{
    char path[4096];
    out_path(path, sizeof(path), o, rel);
    for (char *p = path + strlen(o->out) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return TA_ERR_IO;
        *p = '/';
    }
    return mkdir(path, 0777) == 0 || errno == EEXIST ? TA_OK : TA_ERR_IO;
}

static void pw_release(struct pw *w)
{
    if (w->pcap != NULL)
        tg_pcap_close(w->pcap);
    tg_sink_free(w->c.sink);
    tg_buf_release(&w->c.a);
    tg_buf_release(&w->c.b);
}

/* ---- topsites ------------------------------------------------------------- */

enum {
    TS_SITES = 8,       /* well-known sites browsed */
    TS_HOSTS = 10,      /* home hosts browsing */
    TS_VISITS = 3,      /* distinct sites per host */
    TS_BOTS = 3,        /* hosts of the real C&C (among the browsing hosts) */
    TS_BOT_CONNS = 2,   /* connections per bot */
    TS_RANKS = 100,     /* names are drawn from the list's first ranks */
    TS_NAME_MAX = 64,   /* longest name taken from the list */
    TS_MAX_NAMES = 512, /* the pinned list has 500 */
};

/* Names of the pinned list (ranks 1-500), all present in top-sites@1.1.222. */
static const char *const builtin_sites[TS_SITES] = {
    "bing.com",      "www.google.com", "youtube.com",  "apple.com",
    "microsoft.com", "github.com",     "linkedin.com", "www.wikipedia.org"};

/* The address maltrail lists under bazarloader for Bing (one of its own). */
#define BING_IP 0xcc4fc5c8u /* 204.79.197.200 */

struct ts_site {
    char listed[TS_NAME_MAX]; /* the name as the list has it */
    char visited[TS_NAME_MAX + 4];
    uint32_t ip;
    bool in_trail; /* listed in the trail file, else in the Feodo CSV */
    uint32_t connections, lookups;
    uint16_t host_mask; /* which hosts connected */
};

struct ts_contact {
    ta_time_us t;
    uint16_t host;
    int8_t site; /* -1: the real C&C */
};

static int contact_cmp(const void *x, const void *y)
{
    const struct ts_contact *a = x, *b = y;
    return a->t < b->t ? -1 : a->t > b->t;
}

static bool plain_name(const char *s, size_t n)
{
    if (n == 0 || n >= TS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
            return false;
    }
    return memchr(s, '.', n) != NULL;
}

/*
 * The "rootDomain" values of a top-sites.json, in rank order, plain host
 * names only. Returns how many were read into names, or -1 if the file
 * cannot be read.
 */
static int read_top_sites(const char *path, char (*names)[TS_NAME_MAX], int max)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t cap = 1u << 20, len = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    len = fread(buf, 1, cap, f);
    fclose(f);
    buf[len] = '\0';
    int n = 0;
    static const char key[] = "\"rootDomain\"";
    for (const char *p = buf; n < max && (p = strstr(p, key)) != NULL;) {
        p += sizeof(key) - 1;
        while (*p == ' ' || *p == '\t' || *p == ':' || *p == '\n' || *p == '\r')
            p++;
        if (*p != '"')
            continue;
        const char *v = ++p;
        const char *end = strchr(v, '"');
        if (end == NULL)
            break;
        if (plain_name(v, (size_t)(end - v))) {
            memcpy(names[n], v, (size_t)(end - v));
            names[n][end - v] = '\0';
            n++;
        }
        p = end + 1;
    }
    free(buf);
    return n;
}

/* Choose the sites: Bing (the case that motivated the allowlist) and 7 more. */
static bool pick_sites(struct pw *w, struct ts_site *sites, const char **from)
{
    char path[4096];
    const char *file = w->o->top_sites;
    if (file == NULL) {
        char dd[4000];
        if (ta_geo_data_dir(NULL, dd, sizeof(dd))) {
            snprintf(path, sizeof(path), "%s/geo/%s/%s", dd, TA_GEO_PKG_TOPSITES_DIR,
                     TA_GEO_PKG_TOPSITES_FILE);
            file = path;
        }
    }
    static char names[TS_MAX_NAMES][TS_NAME_MAX];
    int n = file != NULL ? read_top_sites(file, names, TS_MAX_NAMES) : -1;
    if (n < 0 && w->o->top_sites != NULL)
        return false;
    int have = 0;
    if (n >= TS_SITES) {
        *from = "installed top-sites list";
        int ranks = n < TS_RANKS ? n : TS_RANKS;
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], "bing.com") == 0)
                memcpy(sites[have++].listed, names[i], TS_NAME_MAX);
        while (have < TS_SITES) {
            const char *c = names[tg_rng_below(&w->rng, (uint64_t)ranks)];
            bool dup = false;
            for (int k = 0; k < have; k++)
                dup |= strcmp(sites[k].listed, c) == 0;
            if (!dup)
                memcpy(sites[have++].listed, c, TS_NAME_MAX);
        }
    } else {
        *from = "built-in names";
        for (int i = 0; i < TS_SITES; i++)
            snprintf(sites[i].listed, TS_NAME_MAX, "%s", builtin_sites[i]);
    }
    for (int i = 0; i < TS_SITES; i++) {
        /* Bing is browsed as www.bing.com: the list's entry covers its subdomains. */
        if (strcmp(sites[i].listed, "bing.com") == 0)
            snprintf(sites[i].visited, sizeof(sites[i].visited), "www.bing.com");
        else
            memcpy(sites[i].visited, sites[i].listed, TS_NAME_MAX);
    }
    return true;
}

static ta_err topsites_feeds(struct pw *w, const struct ts_site *sites, uint32_t c2,
                             ta_time_us day0)
{
    char d0[16], d1[16], ipb[16];
    date_str(day0 - 3 * DAY, d0, sizeof(d0));
    date_str(day0, d1, sizeof(d1));
    ta_err e = mkdirs_under(w->o, "trails/static/malware");
    if (e != TA_OK)
        return e;
    FILE *tr = open_feed(w->o, "trails/static/malware/bazarloader.txt");
    FILE *csv = open_feed(w->o, "feodo-topsites.csv");
    FILE *al = open_feed(w->o, "allowlist-top-sites.json");
    if (tr == NULL || csv == NULL || al == NULL) {
        if (tr)
            fclose(tr);
        if (csv)
            fclose(csv);
        if (al)
            fclose(al);
        return TA_ERR_IO;
    }
    maltrail_header(tr, "bazarloader");
    feodo_header(csv, d1);
    unsigned rows = 0;
    for (int i = 0; i < TS_SITES; i++) {
        tg_ip4_str(sites[i].ip, ipb);
        if (sites[i].in_trail) {
            fprintf(tr, "%s:443\n", ipb);
        } else {
            fprintf(csv, "\"%s 06:%02d:00\",\"%s\",443,\"online\",\"%s\",\"BazarLoader\"\n", d0, i,
                    ipb, d1);
            rows++;
        }
    }
    tg_ip4_str(c2, ipb);
    fprintf(tr, "%s:443\n", ipb);
    fprintf(csv, "\"%s 07:00:00\",\"%s\",443,\"online\",\"%s\",\"BazarLoader\"\n", d0, ipb, d1);
    fprintf(csv, "# Number of entries: %u\n", rows + 1);
    /* The names browsed, as a list in top-sites.json's own shape. */
    fprintf(al, "[\n");
    for (int i = 0; i < TS_SITES; i++)
        fprintf(al,
                "\t{\n\t\t\"rank\": %d,\n\t\t\"rootDomain\": \"%s\",\n"
                "\t\t\"linkingRootDomains\": 0,\n\t\t\"domainAuthority\": 0\n\t}%s\n",
                i + 1, sites[i].listed, i + 1 < TS_SITES ? "," : "");
    fprintf(al, "]\n");
    int bad = ferror(tr) | ferror(csv) | ferror(al);
    bad |= fclose(tr) | fclose(csv) | fclose(al);
    return bad ? TA_ERR_IO : TA_OK;
}

ta_err tg_scenario_topsites(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct pw w = {.o = o, .geo = geo};
    tg_rng_seed(&w.rng, o->seed ^ 0x746f7073697465ull);
    w.c.rng = &w.rng;
    struct ts_site sites[TS_SITES];
    memset(sites, 0, sizeof(sites));
    const char *names_from = NULL;
    if (!pick_sites(&w, sites, &names_from)) {
        fprintf(stderr, "threatatlas-gen: topsites: cannot read %s\n", o->top_sites);
        return TA_ERR_IO;
    }
    uint32_t hosts[TS_HOSTS], resolver, c2;
    ta_err e = TA_OK;
    for (int i = 0; i < TS_HOSTS && e == TA_OK; i++)
        e = draw(&w, "CN", &hosts[i]);
    if (e == TA_OK)
        e = draw(&w, "CN", &resolver);
    for (int i = 0; i < TS_SITES && e == TA_OK; i++) {
        sites[i].in_trail = i % 2 == 0;
        if (strcmp(sites[i].listed, "bing.com") == 0) {
            sites[i].ip = BING_IP;
            tg_geo_take(geo, BING_IP);
        } else {
            e = draw(&w, "US", &sites[i].ip);
        }
    }
    if (e == TA_OK)
        e = draw(&w, "RU", &c2);
    ta_time_us day0 = o->from;
    if (e == TA_OK)
        e = topsites_feeds(&w, sites, c2, day0);

    /* Contacts: each host browses TS_VISITS distinct sites (a DNS lookup, then
     * one or two TLS connections); the first TS_BOTS hosts also check in with
     * the real C&C by address. Times spread over the working day. */
    struct ts_contact ct[TS_HOSTS * TS_VISITS + TS_BOTS * TS_BOT_CONNS];
    size_t nct = 0;
    for (int h = 0; h < TS_HOSTS; h++) {
        uint32_t used = 0;
        for (int v = 0; v < TS_VISITS; v++) {
            int s;
            do
                s = (int)tg_rng_below(&w.rng, TS_SITES);
            while (used & (1u << s));
            used |= 1u << s;
            ct[nct++] =
                (struct ts_contact){day0 + 9 * 3600 * SEC + tg_rng_below(&w.rng, 8 * 3600 * SEC),
                                    (uint16_t)h, (int8_t)s};
        }
    }
    for (int b = 0; b < TS_BOTS; b++)
        for (int k = 0; k < TS_BOT_CONNS; k++)
            ct[nct++] = (struct ts_contact){
                day0 + 9 * 3600 * SEC + tg_rng_below(&w.rng, 8 * 3600 * SEC), (uint16_t)b, -1};
    qsort(ct, nct, sizeof(ct[0]), contact_cmp);

    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_key(&j, "contacts");
    ta_json_arr_open(&j);
    uint32_t c2_conns = 0, suppressed = 0;
    if (e == TA_OK)
        e = open_capture(&w, "topsites.pcap");
    char a[16], b[16];
    for (size_t i = 0; i < nct && e == TA_OK; i++) {
        e = tg_sink_flush(w.c.sink, ct[i].t);
        if (e != TA_OK)
            break;
        uint32_t host = hosts[ct[i].host];
        ta_json_obj_open(&j);
        if (ct[i].site < 0) {
            e = tls_conn(&w, ct[i].t, host, c2, 443, NULL, 180 + tg_rng_below(&w.rng, 40),
                         300 + tg_rng_below(&w.rng, 200));
            ta_json_kv_time(&j, "time", ct[i].t);
            ta_json_kv_str(&j, "host", tg_ip4_str(host, a));
            ta_json_kv_str(&j, "server", tg_ip4_str(c2, b));
            ta_json_kv_uint(&j, "port", 443);
            ta_json_kv_str(&j, "name", "");
            ta_json_kv_str(&j, "kind", "c2");
            ta_json_kv_bool(&j, "counted", true);
            ta_json_key(&j, "suppressed_by");
            ta_json_null(&j);
            c2_conns++;
        } else {
            struct ts_site *s = &sites[ct[i].site];
            e = dns(&w, ct[i].t, host, resolver, s->visited, s->ip);
            s->lookups++;
            unsigned conns = 1 + (unsigned)tg_rng_below(&w.rng, 2);
            ta_time_us t = ct[i].t + 30 * MS;
            ta_json_kv_time(&j, "time", t);
            ta_json_kv_str(&j, "host", tg_ip4_str(host, a));
            ta_json_kv_str(&j, "server", tg_ip4_str(s->ip, b));
            ta_json_kv_uint(&j, "port", 443);
            ta_json_kv_str(&j, "name", s->visited);
            ta_json_kv_str(&j, "kind", "c2");
            ta_json_kv_bool(&j, "counted", false);
            ta_json_kv_str(&j, "suppressed_by", "top-sites");
            ta_json_kv_uint(&j, "connections", conns);
            for (unsigned k = 0; k < conns && e == TA_OK; k++, t += 2 * SEC)
                e = tls_conn(&w, t, host, s->ip, 443, s->visited, 500 + tg_rng_below(&w.rng, 900),
                             4000 + tg_rng_below(&w.rng, 20000));
            s->connections += conns;
            s->host_mask |= (uint16_t)(1u << ct[i].host);
            suppressed += conns;
        }
        if (ct[i].site < 0)
            ta_json_kv_uint(&j, "connections", 1);
        ta_json_obj_close(&j);
    }
    ta_json_arr_close(&j);
    uint64_t packets = 0;
    uint32_t tcp = w.tcp_flows, udp = w.udp_flows;
    if (e == TA_OK)
        e = close_capture(&w, &packets);

    if (e == TA_OK) {
        char day[16];
        date_str(day0, day, sizeof(day));
        ta_json_kv_str(&j, "scenario", "topsites");
        ta_json_kv_uint(&j, "seed", o->seed);
        ta_json_kv_str(&j, "day", day);
        ta_json_kv_uint(&j, "time_shift_us", o->shift_us);
        ta_json_kv_str(&j, "names_from", names_from);
        ta_json_kv_str(&j, "home", "CN");
        ta_json_kv_uint(&j, "packets", packets);
        ta_json_kv_uint(&j, "tcp_flows", tcp);
        ta_json_kv_uint(&j, "udp_flows", udp);
        ta_json_key(&j, "feeds");
        ta_json_arr_open(&j);
        ta_json_str(&j, "trails/static/malware/bazarloader.txt");
        ta_json_str(&j, "feodo-topsites.csv");
        ta_json_arr_close(&j);
        ta_json_kv_str(&j, "allowlist", "allowlist-top-sites.json");
        ta_json_key(&j, "sites");
        ta_json_arr_open(&j);
        for (int i = 0; i < TS_SITES; i++) {
            const struct ts_site *s = &sites[i];
            ta_json_obj_open(&j);
            ta_json_kv_str(&j, "listed", s->listed);
            ta_json_kv_str(&j, "visited_as", s->visited);
            ta_json_kv_str(&j, "ip", tg_ip4_str(s->ip, a));
            ta_json_kv_uint(&j, "port", 443);
            ta_json_kv_str(&j, "feed",
                           s->in_trail ? "trails/static/malware/bazarloader.txt"
                                       : "feodo-topsites.csv");
            ta_json_kv_uint(&j, "dns_lookups", s->lookups);
            ta_json_kv_uint(&j, "connections", s->connections);
            ta_json_kv_uint(&j, "hosts", (uint64_t)__builtin_popcount(s->host_mask));
            ta_json_obj_close(&j);
        }
        ta_json_arr_close(&j);
        ta_json_key(&j, "c2");
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "ip", tg_ip4_str(c2, a));
        ta_json_kv_uint(&j, "port", 443);
        ta_json_kv_str(&j, "country", "RU");
        ta_json_kv_uint(&j, "connections", c2_conns);
        ta_json_key(&j, "hosts");
        ta_json_arr_open(&j);
        for (int i = 0; i < TS_BOTS; i++)
            ta_json_str(&j, tg_ip4_str(hosts[i], a));
        ta_json_arr_close(&j);
        ta_json_obj_close(&j);
        /* What analyze and report must say about it (home CN). */
        ta_json_key(&j, "expected");
        ta_json_obj_open(&j);
        ta_json_kv_uint(&j, "suppressed_events", suppressed);
        ta_json_kv_str(&j, "suppressed_by", "top-sites");
        ta_json_kv_uint(&j, "counted_c2_events", c2_conns);
        ta_json_kv_uint(&j, "c2_servers", 1);
        ta_json_kv_uint(&j, "controlled_hosts", TS_BOTS);
        ta_json_obj_close(&j);
        ta_json_key(&j, "report");
        ta_json_obj_open(&j);
        ta_json_key(&j, "botnet");
        ta_json_arr_open(&j);
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "src_cc", "RU");
        ta_json_kv_str(&j, "dst_cc", "CN");
        ta_json_kv_uint(&j, "c2_servers", 1);
        ta_json_kv_uint(&j, "controlled_hosts", TS_BOTS);
        ta_json_obj_close(&j);
        ta_json_arr_close(&j);
        ta_json_key(&j, "phishing");
        ta_json_arr_open(&j);
        ta_json_arr_close(&j);
        ta_json_key(&j, "backdoor");
        ta_json_arr_open(&j);
        ta_json_arr_close(&j);
        ta_json_obj_close(&j);
        ta_json_obj_close(&j);
        e = write_json(o, "truth-topsites.json", &j);
    }
    ta_json_release(&j);
    if (e == TA_OK && !o->quiet)
        fprintf(stderr,
                "threatatlas-gen: topsites: %llu packets, %u top-site connections (%s), %u C&C "
                "connections from %d hosts\n",
                (unsigned long long)packets, suppressed, names_from, c2_conns, TS_BOTS);
    pw_release(&w);
    return e;
}

/* ---- precision ------------------------------------------------------------ */

/* One expected event, as the manifest states it. */
struct pexp {
    const char *kind;   /* event kind name, "" = no event */
    const char *method; /* detection method name */
    uint32_t attacker, victim;
    uint16_t port;
    const char *what; /* URL or note */
    bool counted;
    int established; /* -1: not stated */
};

struct pcase {
    const char *file;
    const char *about;
    struct pexp ev[6];
    size_t nev;
    uint64_t packets;
    uint32_t tcp, udp, icmp;
};

static void expect(struct pcase *c, const char *kind, const char *method, uint32_t attacker,
                   uint32_t victim, uint16_t port, const char *what, bool counted, int established)
{
    c->ev[c->nev++] =
        (struct pexp){kind, method, attacker, victim, port, what, counted, established};
}

struct pnet {
    uint32_t resolver;
    uint32_t site, scanner, shell_attacker;         /* webshell case */
    uint32_t x, pinger;                             /* IP:80 case */
    uint32_t dl_exe, dl_mz, c2z, downloader, bot_z; /* payload case */
    uint32_t y, bot_syn, bot_est;                   /* attempted case */
    char site_name[48], dl_exe_name[48], dl_mz_name[48];
    char url_exe[128], url_mz[128];
};

/*
 * The C&C entries are maltrail IP:port trails: the shape whose port must
 * matter (a flow to another port, or ICMP, must not match).
 */
static ta_err precision_feeds(struct pw *w, const struct pnet *n)
{
    char ipb[16];
    ta_err e = mkdirs_under(w->o, "trails/static/malware");
    if (e != TA_OK)
        return e;
    FILE *em = open_feed(w->o, "trails/static/malware/emotet.txt");
    FILE *qb = open_feed(w->o, "trails/static/malware/qakbot.txt");
    FILE *ws = open_feed(w->o, "webshell-paths.txt");
    if (em == NULL || qb == NULL || ws == NULL) {
        if (em)
            fclose(em);
        if (qb)
            fclose(qb);
        if (ws)
            fclose(ws);
        return TA_ERR_IO;
    }
    /* maltrail writes URL trails without the scheme. */
    maltrail_header(em, "emotet");
    fprintf(em, "%s:80\n", tg_ip4_str(n->x, ipb));
    fprintf(em, "%s:8443\n", tg_ip4_str(n->c2z, ipb));
    fprintf(em, "%s\n%s\n", n->url_exe + 7, n->url_mz + 7);
    maltrail_header(qb, "qakbot");
    fprintf(qb, "%s:8080\n", tg_ip4_str(n->y, ipb));
    fprintf(ws, "# webshell paths (one per line)\n/c99.php\n");
    int bad = ferror(em) | ferror(qb) | ferror(ws);
    bad |= fclose(em) | fclose(qb) | fclose(ws);
    return bad ? TA_ERR_IO : TA_OK;
}

static const char c99_page[] =
    "<html><head><title>c99shell</title></head><body>\n"
    "<b>Software:</b> Apache. PHP/5.4.45<br><b>uname -a:</b> Linux web01 3.10.0 x86_64<br>\n"
    "<b>uid=48(apache) gid=48(apache)</b><br><form method=POST>"
    "<input type=text name=cmd size=80><input type=submit value=Execute></form>\n"
    "<pre>total 12\ndrwxr-xr-x 2 apache apache 4096 .\n-rw-r--r-- 1 apache apache 3012 c99.php\n"
    "</pre></body></html>\n";

static ta_err case_webshell(struct pw *w, struct pnet *n, struct pcase *c, ta_time_us t)
{
    char req[512];
    static const char not_found[] =
        "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n";
    snprintf(req, sizeof(req),
             "GET /c99.php HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.00 (Nikto/2.1.6) "
             "(Evasions:None) (Test:003175)\r\nConnection: Keep-Alive\r\n\r\n",
             n->site_name);
    ta_err e = http_conn(w, t, n->scanner, n->site, 80, req, 404, "text/html",
                         (const uint8_t *)not_found, sizeof(not_found) - 1);
    expect(c, "backdoor-suspected", "probe", n->scanner, n->site, 80, "GET /c99.php answered 404",
           false, -1);
    if (e == TA_OK)
        e = http_conn(w, t + 5 * SEC, n->scanner, n->site, 80, req, 0, NULL, NULL, 0);
    expect(c, "backdoor-suspected", "probe", n->scanner, n->site, 80, "GET /c99.php never answered",
           false, -1);
    snprintf(req, sizeof(req),
             "GET /c99.php HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; "
             "Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
             "Accept: text/html\r\n\r\n",
             n->site_name);
    if (e == TA_OK)
        e = http_conn(w, t + 90 * SEC, n->shell_attacker, n->site, 80, req, 200, "text/html",
                      (const uint8_t *)c99_page, sizeof(c99_page) - 1);
    expect(c, "backdoor", "url", n->shell_attacker, n->site, 80,
           "GET /c99.php answered 200 with the shell's page", true, -1);
    return e;
}

static ta_err case_ipport(struct pw *w, struct pnet *n, struct pcase *c, ta_time_us t)
{
    ta_err e = TA_OK;
    for (uint16_t i = 0; i < 4 && e == TA_OK; i++)
        e = ping(w, t + i * SEC, n->pinger, n->x, (uint16_t)(i + 1));
    w->icmp_flows++;
    expect(c, "", "", n->pinger, n->x, 0, "ICMP echo to an address listed as IP:80: no event",
           false, -1);
    char req[256];
    char ipb[16];
    snprintf(req, sizeof(req), "POST /gate.php HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
             tg_ip4_str(n->x, ipb));
    static const uint8_t ok[] = "ok";
    if (e == TA_OK)
        e = http_conn(w, t + 10 * SEC, n->pinger, n->x, 80, req, 200, "text/plain", ok, 2);
    expect(c, "c2", "ip-port", n->x, n->pinger, 80, "TCP to the listed port 80", true, 1);
    if (e == TA_OK)
        e = tls_conn(w, t + 20 * SEC, n->pinger, n->x, 443, NULL, 200, 800);
    expect(c, "", "", n->pinger, n->x, 443, "TCP to port 443 of an IP:80 entry: no event", false,
           -1);
    return e;
}

static ta_err case_payload(struct pw *w, struct pnet *n, struct pcase *c, ta_time_us t)
{
    /* A Windows executable: the MZ header, the PE offset, then filler. */
    uint8_t exe[6000];
    tg_rng_bytes(&w->rng, exe, sizeof(exe));
    memcpy(exe, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", 14);
    memcpy(exe + 0x4e, "This program cannot be run in DOS mode.", 39);
    exe[0x3c] = 0x80;
    exe[0x3d] = exe[0x3e] = exe[0x3f] = 0;
    memcpy(exe + 0x80, "PE\0\0", 4);
    char req[512];
    ta_err e = dns(w, t, n->downloader, n->resolver, n->dl_exe_name, n->dl_exe);
    snprintf(req, sizeof(req),
             "GET /x/invoice.exe HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/4.0 (compatible; "
             "MSIE 7.0; Windows NT 6.1)\r\n\r\n",
             n->dl_exe_name);
    if (e == TA_OK)
        e = http_conn(w, t + 20 * MS, n->downloader, n->dl_exe, 80, req, 200,
                      "application/octet-stream", exe, sizeof(exe));
    expect(c, "payload", "url", n->dl_exe, n->downloader, 80, n->url_exe, false, 1);
    if (e == TA_OK)
        e = dns(w, t + 30 * SEC, n->downloader, n->resolver, n->dl_mz_name, n->dl_mz);
    snprintf(req, sizeof(req),
             "GET /get/update HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/4.0 (compatible; "
             "MSIE 7.0; Windows NT 6.1)\r\n\r\n",
             n->dl_mz_name);
    if (e == TA_OK)
        e = http_conn(w, t + 30 * SEC + 20 * MS, n->downloader, n->dl_mz, 80, req, 200,
                      "application/octet-stream", exe, sizeof(exe));
    expect(c, "payload", "url", n->dl_mz, n->downloader, 80, n->url_mz, false, 1);
    if (e == TA_OK)
        e = raw_conn(w, t + 60 * SEC, n->bot_z, n->c2z, 8443);
    expect(c, "c2", "ip-port", n->c2z, n->bot_z, 8443, "check-in to a listed IP:8443", true, 1);
    return e;
}

static ta_err case_attempted(struct pw *w, struct pnet *n, struct pcase *c, ta_time_us t)
{
    ta_err e = syn_only(w, t, n->bot_syn, n->y, 8080, 2);
    expect(c, "c2", "ip-port", n->y, n->bot_syn, 8080, "SYNs never answered (attempted)", true, 0);
    if (e == TA_OK)
        e = raw_conn(w, t + 20 * SEC, n->bot_est, n->y, 8080);
    expect(c, "c2", "ip-port", n->y, n->bot_est, 8080, "handshake and check-in (established)", true,
           1);
    return e;
}

static void manifest_case(struct ta_json *j, struct tg_geo *geo, const struct pcase *c)
{
    (void)geo;
    char a[16], b[16];
    ta_json_key(j, c->file);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "about", c->about);
    ta_json_kv_uint(j, "packets", c->packets);
    ta_json_kv_uint(j, "tcp_flows", c->tcp);
    ta_json_kv_uint(j, "udp_flows", c->udp);
    ta_json_kv_uint(j, "icmp_flows", c->icmp);
    ta_json_key(j, "expected");
    ta_json_arr_open(j);
    for (size_t i = 0; i < c->nev; i++) {
        const struct pexp *x = &c->ev[i];
        ta_json_obj_open(j);
        if (x->kind[0] != '\0') {
            ta_json_kv_str(j, "kind", x->kind);
            ta_json_kv_str(j, "method", x->method);
        } else {
            ta_json_key(j, "kind");
            ta_json_null(j);
        }
        ta_json_kv_str(j, "attacker", tg_ip4_str(x->attacker, a));
        ta_json_kv_str(j, "victim", tg_ip4_str(x->victim, b));
        ta_json_kv_uint(j, "port", x->port);
        ta_json_kv_bool(j, "counted", x->counted);
        if (x->established >= 0)
            ta_json_kv_bool(j, "established", x->established != 0);
        ta_json_kv_str(j, "what", x->what);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
    ta_json_obj_close(j);
}

static void row(struct ta_json *j, const char *src, const char *dst, const char *k1, uint64_t v1,
                const char *k2, uint64_t v2, const char *k3, uint64_t v3)
{
    ta_json_obj_open(j);
    ta_json_kv_str(j, "src_cc", src);
    ta_json_kv_str(j, "dst_cc", dst);
    ta_json_kv_uint(j, k1, v1);
    ta_json_kv_uint(j, k2, v2);
    if (k3 != NULL)
        ta_json_kv_uint(j, k3, v3);
    ta_json_obj_close(j);
}

ta_err tg_scenario_precision(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct pw w = {.o = o, .geo = geo};
    tg_rng_seed(&w.rng, o->seed ^ 0x707265636973ull);
    w.c.rng = &w.rng;
    struct pnet n;
    memset(&n, 0, sizeof(n));
    ta_err e = TA_OK;
    struct {
        uint32_t *ip;
        const char *cc;
    } roles[] = {
        {&n.resolver, "CN"}, {&n.site, "CN"},       {&n.scanner, "US"}, {&n.shell_attacker, "KR"},
        {&n.x, "US"},        {&n.pinger, "CN"},     {&n.dl_exe, "DE"},  {&n.dl_mz, "US"},
        {&n.c2z, "NL"},      {&n.downloader, "CN"}, {&n.bot_z, "CN"},   {&n.y, "RU"},
        {&n.bot_syn, "CN"},  {&n.bot_est, "CN"},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]) && e == TA_OK; i++)
        e = draw(&w, roles[i].cc, roles[i].ip);
    char l1[12], l2[12], l3[12];
    rand_label(&w.rng, l1, 8);
    rand_label(&w.rng, l2, 9);
    rand_label(&w.rng, l3, 7);
    snprintf(n.site_name, sizeof(n.site_name), "www.%s.com.cn", l1);
    snprintf(n.dl_exe_name, sizeof(n.dl_exe_name), "%s.de", l2);
    snprintf(n.dl_mz_name, sizeof(n.dl_mz_name), "cdn.%s.net", l3);
    snprintf(n.url_exe, sizeof(n.url_exe), "http://%s/x/invoice.exe", n.dl_exe_name);
    snprintf(n.url_mz, sizeof(n.url_mz), "http://%s/get/update", n.dl_mz_name);
    ta_time_us day0 = o->from;
    if (e == TA_OK)
        e = precision_feeds(&w, &n);

    struct pcase cases[] = {
        {.file = "webshell-probe.pcap",
         .about = "a scanner's GET of a listed webshell path answered 404 and one never "
                  "answered, then a real webshell GET answered 200 with the shell's page"},
        {.file = "ipport-icmp.pcap",
         .about = "ICMP echo, TCP to port 80 and TCP to port 443 of an address listed as IP:80"},
        {.file = "payload.pcap",
         .about = "a download by a URL trail ending in .exe, a URL trail without extension "
                  "answered with an MZ executable, and a real C&C check-in"},
        {.file = "attempted.pcap",
         .about = "a bot whose SYNs to a listed C&C are never answered, and one whose are"},
    };
    ta_err (*const fn[])(struct pw *, struct pnet *, struct pcase *,
                         ta_time_us) = {case_webshell, case_ipport, case_payload, case_attempted};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && e == TA_OK; i++) {
        e = open_capture(&w, cases[i].file);
        if (e == TA_OK)
            e = fn[i](&w, &n, &cases[i], day0 + (10 + i) * 3600 * SEC);
        cases[i].tcp = w.tcp_flows;
        cases[i].udp = w.udp_flows;
        cases[i].icmp = w.icmp_flows;
        if (e == TA_OK)
            e = close_capture(&w, &cases[i].packets);
    }

    struct ta_json j;
    ta_json_init(&j);
    if (e == TA_OK) {
        char day[16];
        date_str(day0, day, sizeof(day));
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "scenario", "precision");
        ta_json_kv_uint(&j, "seed", o->seed);
        ta_json_kv_str(&j, "day", day);
        ta_json_kv_uint(&j, "time_shift_us", o->shift_us);
        ta_json_kv_str(&j, "home", "CN");
        ta_json_key(&j, "feeds");
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "trails/static/malware/emotet.txt",
                       "maltrail trails: IP:80, IP:8443 and two URLs (one ending .exe, one "
                       "without extension)");
        ta_json_kv_str(&j, "trails/static/malware/qakbot.txt", "maltrail trail: IP:8080");
        ta_json_kv_str(&j, "webshell-paths.txt", "webshell path list: import with --kind webshell");
        ta_json_obj_close(&j);
        ta_json_key(&j, "files");
        ta_json_obj_open(&j);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            manifest_case(&j, geo, &cases[i]);
        ta_json_obj_close(&j);
        /* The report over all four captures (home CN): counted events only. */
        ta_json_key(&j, "report");
        ta_json_obj_open(&j);
        ta_json_key(&j, "botnet");
        ta_json_arr_open(&j);
        row(&j, "RU", "CN", "c2_servers", 1, "controlled_hosts", 2, "controlled_hosts_established",
            1);
        row(&j, "NL", "CN", "c2_servers", 1, "controlled_hosts", 1, "controlled_hosts_established",
            1);
        row(&j, "US", "CN", "c2_servers", 1, "controlled_hosts", 1, "controlled_hosts_established",
            1);
        ta_json_arr_close(&j);
        ta_json_key(&j, "phishing");
        ta_json_arr_open(&j);
        ta_json_arr_close(&j);
        ta_json_key(&j, "backdoor");
        ta_json_arr_open(&j);
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "src_cc", "KR");
        ta_json_kv_str(&j, "dst_cc", "CN");
        ta_json_kv_uint(&j, "attacker_ips", 1);
        ta_json_kv_uint(&j, "backdoor_attacks", 1);
        ta_json_kv_uint(&j, "compromised_websites", 1);
        ta_json_obj_close(&j);
        ta_json_arr_close(&j);
        ta_json_key(&j, "payload");
        ta_json_arr_open(&j);
        row(&j, "DE", "CN", "payload_hosts", 1, "downloading_hosts", 1, "downloads", 1);
        row(&j, "US", "CN", "payload_hosts", 1, "downloading_hosts", 1, "downloads", 1);
        ta_json_arr_close(&j);
        ta_json_obj_close(&j);
        ta_json_obj_close(&j);
        e = write_json(o, "manifest-precision.json", &j);
    }
    ta_json_release(&j);
    if (e == TA_OK && !o->quiet)
        fprintf(stderr, "threatatlas-gen: precision: %zu captures, manifest-precision.json\n",
                sizeof(cases) / sizeof(cases[0]));
    pw_release(&w);
    return e;
}
