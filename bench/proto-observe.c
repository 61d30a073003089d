/*
 * proto-observe: a standalone driver for the app layer (bench/proto.sh, and
 * a cross-check of the engine in the proto integration test):
 * reads a capture with libpcap, decodes Ethernet/VLAN/SLL/raw/null to
 * IPv4/IPv6 TCP/UDP with a minimal decoder of its own (no fragments), keeps
 * a simple flow table and feeds the proto hooks; writes dns/http/tls EVE
 * lines to stdout (or nothing with -q) and the proto counters to stderr.
 *
 *   proto-observe [-q] [-H] [-B bytes] FILE...
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/eve-app.h"
#include "threatatlas/proto.h"

#include "common/banned.h"

#define NFLOWS (1u << 18)

struct key {
    uint8_t a[16], b[16];
    uint16_t pa, pb;
    uint8_t proto;
};

struct slot {
    bool used;
    uint8_t fin; /* FIN seen: bit 0 client, bit 1 server */
    struct key k;
    struct ta_flow f;
};

static struct slot *tab;
static uint32_t nflows;
static uint64_t npkts;

static uint64_t hash_key(const struct key *k)
{
    uint64_t h = 1469598103934665603ull;
    const uint8_t *p = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void end_flow(struct slot *s, const struct ta_obs_sink *sink, struct ta_proto *pr)
{
    ta_proto_hooks()->flow_end(pr, &s->f, sink);
    s->used = false;
}

static void packet(struct ta_packet *p, const struct ta_obs_sink *sink, struct ta_proto *pr)
{
    struct key k;
    memset(&k, 0, sizeof(k));
    bool fwd = memcmp(p->src.b, p->dst.b, 16) < 0 ||
               (memcmp(p->src.b, p->dst.b, 16) == 0 && p->sport <= p->dport);
    memcpy(k.a, fwd ? p->src.b : p->dst.b, 16);
    memcpy(k.b, fwd ? p->dst.b : p->src.b, 16);
    k.pa = fwd ? p->sport : p->dport;
    k.pb = fwd ? p->dport : p->sport;
    k.proto = p->ip_proto;
    uint64_t h = hash_key(&k);
    uint32_t i = (uint32_t)h & (NFLOWS - 1);
    while (tab[i].used && memcmp(&tab[i].k, &k, sizeof(k)) != 0)
        i = (i + 1) & (NFLOWS - 1);
    struct slot *s = &tab[i];
    if (!s->used) {
        if (nflows >= NFLOWS / 2)
            return; /* full: this driver is for tests and benchmarks only */
        s->used = true;
        nflows++;
        s->k = k;
        memset(&s->f, 0, sizeof(s->f));
        s->f.id = (h >> 11) & ((1ull << 51) - 1);
        s->f.src = p->src;
        s->f.dst = p->dst;
        s->f.sp = p->sport;
        s->f.dp = p->dport;
        s->f.proto = p->ip_proto;
        s->f.start = p->ts;
        /* A SYN/ACK first means the server spoke first in our capture. */
        if (p->ip_proto == 6 &&
            (p->tcp_flags & (TA_TCP_SYN | TA_TCP_ACK)) == (TA_TCP_SYN | TA_TCP_ACK)) {
            s->f.src = p->dst;
            s->f.dst = p->src;
            s->f.sp = p->dport;
            s->f.dp = p->sport;
        }
    }
    s->f.last = p->ts;
    enum ta_flow_dir dir = (memcmp(p->src.b, s->f.src.b, 16) == 0 && p->sport == s->f.sp)
                               ? TA_DIR_TOSERVER
                               : TA_DIR_TOCLIENT;
    ta_proto_hooks()->packet(pr, &s->f, p, dir, sink);
    /* Like the engine, end a TCP flow at FIN both ways or RST. */
    if (p->ip_proto == 6 && (p->tcp_flags & (TA_TCP_FIN | TA_TCP_RST))) {
        s->fin |= (p->tcp_flags & TA_TCP_RST) ? 3 : dir == TA_DIR_TOSERVER ? 1 : 2;
        if (s->fin == 3) {
            end_flow(s, sink, pr);
            nflows--;
            /* Keep the probe chain intact: re-insert followers. */
            uint32_t j = (i + 1) & (NFLOWS - 1);
            while (tab[j].used) {
                struct slot tmp = tab[j];
                tab[j].used = false;
                uint32_t h2 = (uint32_t)hash_key(&tmp.k) & (NFLOWS - 1);
                while (tab[h2].used)
                    h2 = (h2 + 1) & (NFLOWS - 1);
                tab[h2] = tmp;
                j = (j + 1) & (NFLOWS - 1);
            }
        }
    }
}

/*
 * Minimal IP fragment reassembly (a few datagrams at once, first copy of
 * each byte wins, 64 KiB each): enough for DNS answers split in fragments.
 */
#define NFRAG 16
struct frag {
    bool used;
    uint8_t v, proto;
    uint8_t src[16], dst[16];
    uint32_t id;
    uint32_t total; /* known once the last fragment came; 0 before */
    uint32_t have;  /* bytes present */
    uint8_t seen[65536 / 8];
    uint8_t data[65536];
    uint64_t stamp;
};
static struct frag *frags;
static uint8_t fragout[65536 + 40];

/* Adds a fragment; returns the reassembled payload length (into fragout) or 0. */
static size_t frag_add(uint8_t v, const uint8_t *src, const uint8_t *dst, uint32_t id,
                       uint8_t proto, uint32_t off, bool more, const uint8_t *b, size_t n)
{
    static uint64_t clock;
    struct frag *f = NULL, *oldest = &frags[0];
    size_t al = v == 4 ? 4 : 16;
    for (int i = 0; i < NFRAG; i++) {
        struct frag *g = &frags[i];
        if (g->used && g->v == v && g->id == id && g->proto == proto &&
            memcmp(g->src, src, al) == 0 && memcmp(g->dst, dst, al) == 0) {
            f = g;
            break;
        }
        if (!g->used || g->stamp < oldest->stamp)
            oldest = g;
    }
    if (f == NULL) {
        f = oldest;
        memset(f->seen, 0, sizeof(f->seen));
        f->used = true;
        f->v = v;
        f->proto = proto;
        f->id = id;
        memcpy(f->src, src, al);
        memcpy(f->dst, dst, al);
        f->total = 0;
        f->have = 0;
    }
    f->stamp = ++clock;
    if (off + n > 65535)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t o = off + i;
        if (!(f->seen[o / 8] & (1u << (o % 8)))) {
            f->seen[o / 8] = (uint8_t)(f->seen[o / 8] | (1u << (o % 8)));
            f->data[o] = b[i];
            f->have++;
        }
    }
    if (!more)
        f->total = off + (uint32_t)n;
    if (f->total == 0 || f->have < f->total)
        return 0;
    memcpy(fragout, f->data, f->total);
    f->used = false;
    return f->total;
}

static bool l4(struct ta_packet *p, uint8_t proto, const uint8_t *l4, size_t l4len);

static bool decode(int dlt, const uint8_t *d, uint32_t n, struct ta_packet *p)
{
    uint16_t et = 0;
    size_t off = 0;
    switch (dlt) {
    case DLT_EN10MB:
        if (n < 14)
            return false;
        et = (uint16_t)(d[12] << 8 | d[13]);
        off = 14;
        while ((et == 0x8100 || et == 0x88a8) && n >= off + 4) {
            et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (n < 16)
            return false;
        et = (uint16_t)(d[14] << 8 | d[15]);
        off = 16;
        break;
    case 276: /* SLL2 */
        if (n < 20)
            return false;
        et = (uint16_t)(d[0] << 8 | d[1]);
        off = 20;
        break;
    case DLT_NULL:
    case DLT_LOOP:
        if (n < 4)
            return false;
        off = 4;
        et = (d[4] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
    case DLT_RAW:
    case 228:
    case 229:
        if (n < 1)
            return false;
        et = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
    default:
        return false;
    }
    if (n < off + 20)
        return false;
    const uint8_t *ip = d + off;
    size_t left = n - off, l4off;
    uint8_t proto;
    if (et == 0x0800 && (ip[0] >> 4) == 4) {
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        size_t tot = (size_t)(ip[2] << 8 | ip[3]);
        if (ihl < 20 || tot < ihl || left < ihl)
            return false;
        if (tot < left)
            left = tot;
        ta_addr_set_v4(&p->src, ip + 12);
        ta_addr_set_v4(&p->dst, ip + 16);
        proto = ip[9];
        l4off = ihl;
        if ((ip[6] & 0x3f) != 0 || ip[7] != 0) {
            uint32_t fo = (uint32_t)((ip[6] & 0x1f) << 8 | ip[7]) * 8;
            size_t r = frag_add(4, ip + 12, ip + 16, (uint32_t)(ip[4] << 8 | ip[5]), proto, fo,
                                (ip[6] & 0x20) != 0, ip + ihl, left - ihl);
            return r > 0 && l4(p, proto, fragout, r);
        }
    } else if (et == 0x86dd && (ip[0] >> 4) == 6 && left >= 40) {
        size_t plen = (size_t)(ip[4] << 8 | ip[5]);
        if (plen + 40 < left)
            left = plen + 40;
        ta_addr_set_v6(&p->src, ip + 8);
        ta_addr_set_v6(&p->dst, ip + 24);
        proto = ip[6];
        l4off = 40;
        while ((proto == 0 || proto == 43 || proto == 60 || proto == 44) && left >= l4off + 8) {
            if (proto == 44) {
                const uint8_t *fh = ip + l4off;
                uint32_t fo = (uint32_t)(fh[2] << 8 | (fh[3] & 0xf8));
                uint32_t id =
                    (uint32_t)fh[4] << 24 | (uint32_t)fh[5] << 16 | (uint32_t)fh[6] << 8 | fh[7];
                size_t r = frag_add(6, ip + 8, ip + 24, id, fh[0], fo, (fh[3] & 1) != 0, fh + 8,
                                    left - l4off - 8);
                return r > 0 && l4(p, fh[0], fragout, r);
            }
            proto = ip[l4off];
            l4off += (size_t)(ip[l4off + 1] + 1) * 8;
        }
    } else {
        return false;
    }
    if (l4off > left)
        return false;
    return l4(p, proto, ip + l4off, left - l4off);
}

static bool l4(struct ta_packet *p, uint8_t proto, const uint8_t *l4, size_t l4len)
{
    p->ip_proto = proto;
    if (proto == 6) {
        if (l4len < 20)
            return false;
        size_t doff = (size_t)(l4[12] >> 4) * 4;
        if (doff < 20 || doff > l4len)
            return false;
        p->sport = (uint16_t)(l4[0] << 8 | l4[1]);
        p->dport = (uint16_t)(l4[2] << 8 | l4[3]);
        p->tcp_seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
        p->tcp_ack = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 | l4[11];
        p->tcp_flags = l4[13];
        p->payload = l4 + doff;
        p->payload_len = (uint32_t)(l4len - doff);
        return true;
    }
    if (proto == 17) {
        if (l4len < 8)
            return false;
        p->sport = (uint16_t)(l4[0] << 8 | l4[1]);
        p->dport = (uint16_t)(l4[2] << 8 | l4[3]);
        p->payload = l4 + 8;
        p->payload_len = (uint32_t)(l4len - 8);
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    bool quiet = false, headers = false;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quiet = true;
        else if (strcmp(argv[i], "-H") == 0)
            headers = true;
        else if (strcmp(argv[i], "-B") == 0 && i + 1 < argc)
            o.http_body_limit = (uint32_t)strtoul(argv[++i], NULL, 10);
    }
    if (i >= argc) {
        fprintf(stderr, "usage: proto-observe [-q] [-H] [-B bytes] FILE... (see bench/proto.sh)\n");
        return 77;
    }
    o.http_keep_headers = headers;
    struct ta_proto *pr;
    if (ta_proto_new(&o, &pr) != TA_OK)
        return 2;
    tab = calloc(NFLOWS, sizeof(*tab));
    frags = calloc(NFRAG, sizeof(*frags));
    if (tab == NULL || frags == NULL)
        return 2;
    struct ta_eve_writer *w;
    if (ta_eve_writer_new(stdout, NULL, &w) != TA_OK)
        return 2;
    struct ta_eve_app_out eo = {w, headers};
    struct ta_obs_sink sink;
    memset(&sink, 0, sizeof(sink));
    if (!quiet)
        ta_eve_app_sink(&eo, &sink);
    int rc = 0;
    for (; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *pc = pcap_open_offline(argv[i], err);
        if (pc == NULL) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            rc = 1;
            continue;
        }
        int dlt = pcap_datalink(pc);
        struct pcap_pkthdr *h;
        const u_char *data;
        while (pcap_next_ex(pc, &h, &data) == 1) {
            struct ta_packet p;
            memset(&p, 0, sizeof(p));
            p.ts = (ta_time_us)h->ts.tv_sec * 1000000u + (ta_time_us)h->ts.tv_usec;
            npkts++;
            if (decode(dlt, data, h->caplen, &p))
                packet(&p, &sink, pr);
        }
        pcap_close(pc);
        /* Flows end with their file, in table order. */
        for (uint32_t s = 0; s < NFLOWS; s++)
            if (tab[s].used)
                end_flow(&tab[s], &sink, pr);
        nflows = 0;
    }
    fflush(stdout);
    fprintf(stderr, "packets %llu\n", (unsigned long long)npkts);
    for (size_t c = 0; c < ta_proto_counter_count(); c++)
        if (ta_proto_counter(pr, c))
            fprintf(stderr, "%s %llu\n", ta_proto_counter_name(c),
                    (unsigned long long)ta_proto_counter(pr, c));
    ta_eve_writer_free(w);
    ta_proto_free(pr);
    free(tab);
    free(frags);
    return rc;
}
