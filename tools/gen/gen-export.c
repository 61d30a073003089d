/*
 * --export netflow9|ipfix|sflow: any scenario's captures as a router would
 * export them. Each capture in the output directory is read back through
 * the library's engine (the flows its packets make) or, for sFlow, packet by
 * packet, and written as a capture of UDP export datagrams beside it:
 * NAME.pcap -> NAME.netflow9.pcap (or .ipfix.pcap, .sflow.pcap).
 *
 * NetFlow v9 and IPFIX: every flow is two one-way records (the server's
 * only when it answered), counters in IP bytes (the Ethernet header taken
 * off), times as the exporter's uptime (v9) or absolute milliseconds
 * (IPFIX); the IPFIX template also carries an enterprise element and a
 * variable-length one, as real exporters do, which a collector must skip.
 * Templates are sent first and again every 20 datagrams or 5 minutes. sFlow: every packet
 * is sampled (rate 1), with its first 128 bytes as the sampled header, so
 * the export shows what the capture shows.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-scenarios.h"
#include "gen.h"
#include "threatatlas/engine.h"
#include "threatatlas/source.h"

#include "common/banned.h"

#define MAX_DGRAM   1400
#define SFLOW_HDR   128
#define TMPL_EVERY  20
#define TMPL_SECS   300
#define EXPORTER_IP 0xc000027au /* 192.0.2.122 */
#define COLLECT_IP  0xc000027bu /* 192.0.2.123 */

enum fmt { F_V9, F_IPFIX, F_SFLOW };

struct exporter {
    enum fmt fmt;
    struct tg_pcap *w;
    uint8_t d[MAX_DGRAM + 256];
    size_t len;       /* bytes in d */
    size_t set_start; /* v9/IPFIX: the open data set's offset, 0 none */
    uint32_t nrec;    /* records (v9: also sets) in d */
    uint32_t ntmpl;   /* of which templates */
    uint32_t seq, dgrams;
    ta_time_us boot, last_ts;
    ta_time_us tmpl_ts; /* when the template was last sent */
    ta_err err;
};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void add16(struct exporter *x, uint32_t v)
{
    put16(x->d + x->len, v);
    x->len += 2;
}

static void add32(struct exporter *x, uint32_t v)
{
    put32(x->d + x->len, v);
    x->len += 4;
}

static void add_bytes(struct exporter *x, const void *p, size_t n)
{
    memcpy(x->d + x->len, p, n);
    x->len += n;
}

static void send_dgram(struct exporter *x)
{
    uint8_t frame[TG_FRAME_MAX];
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    tg_ip4(&f.src, EXPORTER_IP);
    tg_ip4(&f.dst, COLLECT_IP);
    uint16_t dport = x->fmt == F_V9 ? 2055 : x->fmt == F_IPFIX ? 4739 : 6343;
    size_t n = tg_build_udp(frame, sizeof(frame), &f, 50000, dport, x->d, x->len);
    ta_err e = tg_pcap_write(x->w, x->last_ts, frame, n);
    if (e != TA_OK && x->err == TA_OK)
        x->err = e;
    x->len = 0;
    x->set_start = 0;
    x->nrec = 0;
    x->dgrams++;
}

/* ---- NetFlow v9 / IPFIX ---------------------------------------------- */

/* v9 fields: src, dst, sport, dport, proto, flags, pkts, bytes, first, last (uptime). */
static const uint16_t v9_fields[][2] = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1},
                                        {6, 1}, {2, 4},  {1, 4}, {22, 4}, {21, 4}};
#define V9_REC 30u
/* IPFIX: the same with absolute milliseconds, then an enterprise element (4 bytes) and a
 * variable-length one (interfaceName, 82). */
static const uint16_t ipfix_fields[][2] = {
    {8, 4}, {12, 4},  {7, 2},   {11, 2},           {4, 1},      {6, 1}, {2, 8},
    {1, 8}, {152, 8}, {153, 8}, {0x8000 | 100, 4}, {82, 0xffff}};

static void begin_dgram(struct exporter *x)
{
    x->len = x->fmt == F_IPFIX ? 16 : 20;
    x->set_start = 0;
    x->nrec = 0;
}

static void end_set(struct exporter *x)
{
    if (x->set_start == 0)
        return;
    while ((x->len - x->set_start) % 4)
        x->d[x->len++] = 0;
    put16(x->d + x->set_start + 2, (uint32_t)(x->len - x->set_start));
    x->set_start = 0;
}

static void flush_nf(struct exporter *x)
{
    if (x->nrec == 0)
        return;
    end_set(x);
    /* The next whole second: every record ended before the export. */
    uint32_t secs = (uint32_t)((x->last_ts + 999999u) / 1000000u);
    if (x->fmt == F_IPFIX) {
        put16(x->d, 10);
        put16(x->d + 2, (uint32_t)x->len);
        put32(x->d + 4, secs);
        put32(x->d + 8, x->seq);
        put32(x->d + 12, 1); /* observation domain */
    } else {
        put16(x->d, 9);
        put16(x->d + 2, x->nrec);
        /* The uptime at the whole second the header gives, so that records' times come
         * back to the millisecond. */
        put32(x->d + 4, (uint32_t)(((ta_time_us)secs * 1000000u - x->boot) / 1000u));
        put32(x->d + 8, secs);
        put32(x->d + 12, x->seq);
        put32(x->d + 16, 1); /* source id */
    }
    /* IPFIX counts data records (RFC 7011 3.1); v9 counts datagrams. */
    x->seq += x->fmt == F_IPFIX ? x->nrec - x->ntmpl : 1;
    x->ntmpl = 0;
    send_dgram(x);
    begin_dgram(x);
}

static void add_template(struct exporter *x)
{
    bool ipfix = x->fmt == F_IPFIX;
    size_t nf = ipfix ? sizeof(ipfix_fields) / sizeof(ipfix_fields[0])
                      : sizeof(v9_fields) / sizeof(v9_fields[0]);
    const uint16_t(*fl)[2] = ipfix ? ipfix_fields : v9_fields;
    size_t start = x->len;
    add16(x, ipfix ? 2 : 0);
    add16(x, 0);
    add16(x, 256);
    add16(x, (uint32_t)nf);
    for (size_t i = 0; i < nf; i++) {
        add16(x, fl[i][0]);
        add16(x, fl[i][1]);
        if (fl[i][0] & 0x8000)
            add32(x, 32473); /* the private enterprise number RFC 5612 reserves for docs */
    }
    put16(x->d + start + 2, (uint32_t)(x->len - start));
    x->nrec++;
    x->ntmpl++;
}

static void add_record(struct exporter *x, const struct ta_addr *s, const struct ta_addr *d,
                       uint16_t sp, uint16_t dp, uint8_t proto, uint8_t flags, uint64_t pkts,
                       uint64_t bytes, ta_time_us start, ta_time_us end)
{
    bool ipfix = x->fmt == F_IPFIX;
    if (x->len + 64 > MAX_DGRAM)
        flush_nf(x);
    /* Templates go out every TMPL_EVERY datagrams and every TMPL_SECS seconds, as
     * exporters send them (a collector forgets a template not refreshed). */
    if (x->len == (ipfix ? 16u : 20u) &&
        (x->dgrams % TMPL_EVERY == 0 || end >= x->tmpl_ts + TMPL_SECS * 1000000ull)) {
        add_template(x);
        x->tmpl_ts = end;
    }
    if (x->set_start == 0) {
        x->set_start = x->len;
        add16(x, 256);
        add16(x, 0);
        if (!ipfix)
            x->nrec++; /* v9 counts flowsets and records alike */
    }
    add_bytes(x, s->b + 12, 4);
    add_bytes(x, d->b + 12, 4);
    add16(x, sp);
    add16(x, dp);
    x->d[x->len++] = proto;
    x->d[x->len++] = flags;
    if (ipfix) {
        add32(x, (uint32_t)(pkts >> 32));
        add32(x, (uint32_t)pkts);
        add32(x, (uint32_t)(bytes >> 32));
        add32(x, (uint32_t)bytes);
        uint64_t sm = start / 1000u, em = end / 1000u;
        add32(x, (uint32_t)(sm >> 32));
        add32(x, (uint32_t)sm);
        add32(x, (uint32_t)(em >> 32));
        add32(x, (uint32_t)em);
        add32(x, 0xdeadbeefu); /* the enterprise element's value */
        x->d[x->len++] = 4;
        add_bytes(x, "eth0", 4);
    } else {
        add32(x, (uint32_t)pkts);
        add32(x, (uint32_t)bytes);
        add32(x, (uint32_t)((start - x->boot) / 1000u));
        add32(x, (uint32_t)((end - x->boot) / 1000u));
    }
    x->nrec++;
    if (end > x->last_ts)
        x->last_ts = end;
}

static uint64_t ip_bytes(uint64_t wire, uint64_t pkts)
{
    return wire > 14 * pkts ? wire - 14 * pkts : wire;
}

static void on_flow(void *ud, const struct ta_flow *f)
{
    struct exporter *x = ud;
    /* The exporter booted a day before the first flow: uptimes stay positive (they wrap
     * after 49 days, as a router's do, and only differences are read). */
    if (x->boot == 0)
        x->boot = f->start / 1000u * 1000u - 86400000000ull;
    if (f->ip_version != 4)
        return; /* the templates carry IPv4 addresses */
    uint16_t sp = f->sp, dp = f->dp;
    if (f->proto == 1) {
        sp = 0;
        dp = (uint16_t)(f->icmp_type << 8 | f->icmp_code);
    }
    add_record(x, &f->src, &f->dst, sp, dp, f->proto, f->tcp_flags_ts, f->pkts_toserver,
               ip_bytes(f->bytes_toserver, f->pkts_toserver), f->start, f->last);
    if (f->pkts_toclient > 0) {
        uint16_t rdp = f->sp, rsp = f->dp;
        if (f->proto == 1) {
            rdp = (uint16_t)(f->icmp_resp_type << 8 | f->icmp_resp_code);
            rsp = 0;
        }
        add_record(x, &f->dst, &f->src, rsp, rdp, f->proto, f->tcp_flags_tc, f->pkts_toclient,
                   ip_bytes(f->bytes_toclient, f->pkts_toclient), f->start, f->last);
    }
}

/* ---- sFlow v5 ---------------------------------------------------------- */

static void flush_sflow(struct exporter *x)
{
    if (x->nrec == 0)
        return;
    put32(x->d, 5);
    put32(x->d + 4, 1);
    put32(x->d + 8, EXPORTER_IP);
    put32(x->d + 12, 0);
    put32(x->d + 16, x->seq++);
    put32(x->d + 20, (uint32_t)((x->last_ts - x->boot) / 1000u));
    put32(x->d + 24, x->nrec);
    send_dgram(x);
    x->len = 28;
}

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct exporter *x = ud;
    if (lt != TA_LINK_ETHERNET)
        return;
    if (x->boot == 0)
        x->boot = ts - 1000000u;
    uint32_t h = caplen < SFLOW_HDR ? caplen : SFLOW_HDR;
    uint32_t hp = (h + 3) & ~3u;
    if (x->len + 88 + hp > MAX_DGRAM)
        flush_sflow(x);
    x->last_ts = ts;
    add32(x, 1);                     /* flow sample */
    add32(x, 32 + 8 + 16 + hp);      /* its length */
    add32(x, x->seq * 64 + x->nrec); /* sample sequence */
    add32(x, 3);                     /* source id: interface 3 */
    add32(x, 1);                     /* sampling rate: every packet */
    add32(x, x->seq * 64 + x->nrec); /* sample pool */
    add32(x, 0);                     /* drops */
    add32(x, 3);                     /* input */
    add32(x, 4);                     /* output */
    add32(x, 1);                     /* one record */
    add32(x, 1);                     /* raw packet header */
    add32(x, 16 + hp);
    add32(x, 1); /* Ethernet */
    add32(x, wirelen);
    add32(x, wirelen - caplen);
    add32(x, h);
    add_bytes(x, frame, h);
    while (x->len % 4)
        x->d[x->len++] = 0;
    x->nrec++;
}

/* ---- files ------------------------------------------------------------- */

static void engine_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                         uint32_t wirelen)
{
    ta_engine_packet(ud, lt, ts, frame, caplen, wirelen);
}

static ta_err export_one(const char *in, const char *out, enum fmt fmt)
{
    char err[TA_SOURCE_ERRLEN];
    struct ta_source *src;
    ta_err e = ta_source_open_file(in, NULL, &src, err, sizeof(err));
    if (e != TA_OK) {
        fprintf(stderr, "threatatlas-gen: %s\n", err);
        return e;
    }
    struct exporter *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        ta_source_close(src);
        return TA_ERR_NOMEM;
    }
    x->fmt = fmt;
    e = tg_pcap_open(&x->w, out, NULL);
    if (e == TA_OK && fmt == F_SFLOW) {
        x->len = 28;
        e = ta_source_run(src, on_frame, x, err, sizeof(err));
        flush_sflow(x);
    } else if (e == TA_OK) {
        struct ta_engine_opts eo;
        ta_engine_opts_default(&eo);
        struct ta_engine *eng;
        e = ta_engine_new(&eo, &eng);
        if (e == TA_OK) {
            struct ta_obs_sink sink = {.ud = x, .on_flow = on_flow};
            ta_engine_add_sink(eng, &sink);
            begin_dgram(x);
            e = ta_source_run(src, engine_frame, eng, err, sizeof(err));
            ta_engine_flush(eng);
            flush_nf(x);
            ta_engine_free(eng);
        }
    }
    ta_source_close(src);
    ta_err ce = tg_pcap_close(x->w);
    if (e == TA_OK)
        e = ce != TA_OK ? ce : x->err;
    free(x);
    return e;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static ta_err export_dir(const char *dir, const char *format, enum fmt fmt, int depth);

ta_err tg_export(const char *dir, const char *format)
{
    enum fmt fmt;
    if (strcmp(format, "netflow9") == 0)
        fmt = F_V9;
    else if (strcmp(format, "ipfix") == 0)
        fmt = F_IPFIX;
    else if (strcmp(format, "sflow") == 0)
        fmt = F_SFLOW;
    else
        return TA_ERR_ARG;
    /* Scenarios put captures in the output directory or one level down (pcap/). */
    return export_dir(dir, format, fmt, 1);
}

static ta_err export_dir(const char *dir, const char *format, enum fmt fmt, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return TA_ERR_IO;
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (depth > 0 && de->d_type == DT_DIR && nm[0] != '.') {
            char sub[4096];
            snprintf(sub, sizeof(sub), "%s/%s", dir, nm);
            char **nn = realloc(names, (n + 1) * sizeof(*nn));
            if (nn == NULL)
                break;
            names = nn;
            /* A directory is marked by a leading '/' in the list. */
            size_t sl = strlen(nm) + 2;
            names[n] = malloc(sl);
            if (names[n] != NULL)
                snprintf(names[n], sl, "/%s", nm);
            n++;
            continue;
        }
        if (!ends_with(nm, ".pcap") || ends_with(nm, ".netflow9.pcap") ||
            ends_with(nm, ".ipfix.pcap") || ends_with(nm, ".sflow.pcap"))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*nn));
        if (nn == NULL)
            break;
        names = nn;
        names[n++] = strdup(nm);
    }
    closedir(d);
    ta_err e = TA_OK;
    for (size_t i = 0; i < n; i++) {
        char in[4096], out[4096];
        if (names[i] != NULL && names[i][0] == '/' && e == TA_OK) {
            snprintf(in, sizeof(in), "%s%s", dir, names[i]);
            e = export_dir(in, format, fmt, depth - 1);
        } else if (names[i] != NULL && e == TA_OK) {
            size_t bl = strlen(names[i]) - 5;
            snprintf(in, sizeof(in), "%s/%s", dir, names[i]);
            snprintf(out, sizeof(out), "%s/%.*s.%s.pcap", dir, (int)bl, names[i], format);
            e = export_one(in, out, fmt);
        }
        free(names[i]);
    }
    free(names);
    return e;
}
