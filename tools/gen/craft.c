/*
 * Packet crafting for threatatlas-gen: capture writers, frame builders, IPv4
 * fragmentation and the TCP session helper. See craft.h for the contracts.
 */
#include "craft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/banned.h"

/* ---- byte helpers ---------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- 1. capture writers ---------------------------------------------- */

struct tg_pcap {
    FILE *f;
    gzFile gz;
    uint32_t snaplen;
    bool pcapng;
    ta_err err;
    uint64_t packets;
    uint64_t bytes;
    char *iobuf;
};

static ta_err w_put(struct tg_pcap *w, const void *p, size_t n)
{
    if (w->err != TA_OK)
        return w->err;
    if (n == 0)
        return TA_OK;
    if (w->gz != NULL) {
        if (gzwrite(w->gz, p, (unsigned)n) != (int)n)
            w->err = TA_ERR_IO;
    } else if (fwrite(p, 1, n, w->f) != n) {
        w->err = TA_ERR_IO;
    }
    return w->err;
}

ta_err tg_pcap_open(struct tg_pcap **out, const char *path, const struct tg_pcap_opts *opts)
{
    struct tg_pcap_opts o = {.linktype = TG_LINK_ETH};
    if (opts != NULL)
        o = *opts;
    if (o.snaplen == 0)
        o.snaplen = 262144;
    if (o.gzip_level <= 0 || o.gzip_level > 9)
        o.gzip_level = 6;

    *out = NULL;
    struct tg_pcap *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return TA_ERR_NOMEM;
    w->snaplen = o.snaplen;
    w->pcapng = o.pcapng;
    if (o.gzip) {
        char mode[8];
        snprintf(mode, sizeof(mode), "wb%d", o.gzip_level);
        w->gz = gzopen(path, mode);
        if (w->gz == NULL)
            goto out_free;
        gzbuffer(w->gz, 1u << 18);
    } else {
        w->f = fopen(path, "wb");
        if (w->f == NULL)
            goto out_free;
        w->iobuf = malloc(1u << 20);
        if (w->iobuf != NULL)
            setvbuf(w->f, w->iobuf, _IOFBF, 1u << 20);
    }

    if (!o.pcapng) {
        uint8_t h[24];
        le32(h, 0xa1b2c3d4u);
        le16(h + 4, 2);
        le16(h + 6, 4);
        le32(h + 8, 0);  /* thiszone */
        le32(h + 12, 0); /* sigfigs */
        le32(h + 16, o.snaplen);
        le32(h + 20, o.linktype);
        w_put(w, h, sizeof(h));
    } else {
        /* Section header block: no options, section length unknown (-1). */
        uint8_t shb[28];
        le32(shb, 0x0a0d0d0au);
        le32(shb + 4, 28);
        le32(shb + 8, 0x1a2b3c4du);
        le16(shb + 12, 1);
        le16(shb + 14, 0);
        le32(shb + 16, 0xffffffffu);
        le32(shb + 20, 0xffffffffu);
        le32(shb + 24, 28);
        w_put(w, shb, sizeof(shb));
        /* Interface description block; default resolution (microseconds). */
        uint8_t idb[20];
        le32(idb, 1);
        le32(idb + 4, 20);
        le16(idb + 8, (uint16_t)o.linktype);
        le16(idb + 10, 0);
        le32(idb + 12, o.snaplen);
        le32(idb + 16, 20);
        w_put(w, idb, sizeof(idb));
    }
    if (w->err != TA_OK) {
        ta_err e = w->err;
        tg_pcap_close(w);
        return e;
    }
    *out = w;
    return TA_OK;

out_free:
    free(w);
    return TA_ERR_IO;
}

ta_err tg_pcap_write_ex(struct tg_pcap *w, ta_time_us ts, const uint8_t *pkt, size_t caplen,
                        size_t origlen)
{
    if (caplen > w->snaplen)
        caplen = w->snaplen;
    if (!w->pcapng) {
        uint8_t h[16];
        le32(h, (uint32_t)(ts / 1000000u));
        le32(h + 4, (uint32_t)(ts % 1000000u));
        le32(h + 8, (uint32_t)caplen);
        le32(h + 12, (uint32_t)origlen);
        w_put(w, h, sizeof(h));
        w_put(w, pkt, caplen);
    } else {
        size_t pad = (4 - (caplen & 3)) & 3;
        uint32_t blen = (uint32_t)(32 + caplen + pad);
        uint8_t h[28];
        le32(h, 6);
        le32(h + 4, blen);
        le32(h + 8, 0); /* interface 0 */
        le32(h + 12, (uint32_t)(ts >> 32));
        le32(h + 16, (uint32_t)ts);
        le32(h + 20, (uint32_t)caplen);
        le32(h + 24, (uint32_t)origlen);
        w_put(w, h, sizeof(h));
        w_put(w, pkt, caplen);
        static const uint8_t zero[4] = {0};
        w_put(w, zero, pad);
        uint8_t t[4];
        le32(t, blen);
        w_put(w, t, 4);
    }
    if (w->err == TA_OK) {
        w->packets++;
        w->bytes += caplen;
    }
    return w->err;
}

ta_err tg_pcap_write(struct tg_pcap *w, ta_time_us ts, const uint8_t *pkt, size_t len)
{
    return tg_pcap_write_ex(w, ts, pkt, len, len);
}

ta_err tg_pcap_close(struct tg_pcap *w)
{
    if (w == NULL)
        return TA_OK;
    ta_err e = w->err;
    if (w->gz != NULL) {
        if (gzclose(w->gz) != Z_OK && e == TA_OK)
            e = TA_ERR_IO;
    }
    if (w->f != NULL) {
        if (fclose(w->f) != 0 && e == TA_OK)
            e = TA_ERR_IO;
    }
    free(w->iobuf);
    free(w);
    return e;
}

uint64_t tg_pcap_packets(const struct tg_pcap *w)
{
    return w->packets;
}

uint64_t tg_pcap_bytes(const struct tg_pcap *w)
{
    return w->bytes;
}

/* ---- checksums ---------------------------------------------------------- */

static uint32_t sum_bytes(uint32_t acc, const uint8_t *p, size_t len)
{
    while (len >= 2) {
        acc += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        len -= 2;
    }
    if (len == 1)
        acc += (uint32_t)p[0] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

uint16_t tg_inet_checksum(const void *data, size_t len)
{
    return fold(sum_bytes(0, data, len));
}

uint16_t tg_l4_checksum(const struct ta_addr *src, const struct ta_addr *dst, uint8_t proto,
                        const uint8_t *l4, size_t len)
{
    uint32_t acc = 0;
    if (src->family == 4) {
        acc = sum_bytes(acc, src->b + 12, 4);
        acc = sum_bytes(acc, dst->b + 12, 4);
        acc += proto;
        acc += (uint32_t)len;
    } else {
        acc = sum_bytes(acc, src->b, 16);
        acc = sum_bytes(acc, dst->b, 16);
        acc += (uint32_t)(len >> 16);
        acc += (uint32_t)(len & 0xffff);
        acc += proto;
    }
    acc = sum_bytes(acc, l4, len);
    uint16_t c = fold(acc);
    /* UDP transmits an all-zero checksum as all ones. */
    if (c == 0 && proto == 17)
        c = 0xffff;
    return c;
}

/* ---- 2. frame builders ------------------------------------------------ */

size_t tg_l2_len(const struct tg_frame *f)
{
    if (f->null_link && f->linktype == TG_LINK_NULL)
        return 4;
    switch (f->linktype) {
    case TG_LINK_RAW:
        return 0;
    case TG_LINK_SLL:
        return 16;
    case TG_LINK_SLL2:
        return 20;
    default:
        return 14 + 4u * (f->nvlan > 2 ? 2 : f->nvlan);
    }
}

size_t tg_ip_hdr_len(const struct tg_frame *f)
{
    if (f->src.family == 4)
        return 20 + (f->ip_optlen > 40 ? 40u : f->ip_optlen & ~3u);
    return 40 + 8u * (f->nv6_ext > 4 ? 4 : f->nv6_ext);
}

static void derive_mac(uint8_t mac[6], const struct ta_addr *a)
{
    /* Locally administered unicast, last four bytes from the address. */
    mac[0] = 0x02;
    mac[1] = 0x00;
    memcpy(mac + 2, a->b + 12, 4);
}

/* The frame's MAC, or one derived from the address when it is all-zero. */
static void put_mac(uint8_t *p, const struct tg_frame *f, const uint8_t mac[6],
                    const struct ta_addr *a)
{
    static const uint8_t z[6] = {0};
    if (memcmp(mac, z, 6) == 0 && !f->zero_macs)
        derive_mac(p, a);
    else
        memcpy(p, mac, 6);
}

/*
 * Write link and IP headers for an IP payload of l4len bytes with protocol
 * proto. Returns the offset of the payload, or 0 if it does not fit.
 */
static size_t put_headers(uint8_t *out, size_t cap, const struct tg_frame *f, uint8_t proto,
                          size_t l4len)
{
    size_t l2 = tg_l2_len(f);
    size_t ipl = tg_ip_hdr_len(f);
    bool v6 = f->src.family == 6;
    if (l2 + ipl + l4len > cap || (f->src.family != 4 && f->src.family != 6))
        return 0;
    if (!v6 && ipl + l4len > 65535)
        return 0;
    if (v6 && ipl - 40 + l4len > 65535)
        return 0;
    uint16_t etype = v6 ? 0x86dd : 0x0800;
    uint8_t *p = out;

    if (f->null_link && f->linktype == TG_LINK_NULL) {
        /* AF_INET 2, AF_INET6 24 (the BSD value), in the writer's byte order. */
        uint32_t fam = v6 ? 24 : 2;
        memcpy(p, &fam, 4);
        p += 4;
    } else if (f->linktype == TG_LINK_SLL2) {
        put16(p, etype);
        put16(p + 2, 0); /* reserved */
        put32(p + 4, 0); /* interface index */
        put16(p + 8, 1); /* ARPHRD_ETHER */
        p[10] = 0;       /* packet type: to us */
        p[11] = 6;       /* address length */
        put_mac(p + 12, f, f->src_mac, &f->src);
        p[18] = 0;
        p[19] = 0;
        p += 20;
    } else if (f->linktype == TG_LINK_SLL) {
        put16(p, 0);     /* packet type: to us */
        put16(p + 2, 1); /* ARPHRD_ETHER */
        put16(p + 4, 6); /* address length */
        put_mac(p + 6, f, f->src_mac, &f->src);
        p[12] = 0;
        p[13] = 0;
        put16(p + 14, etype);
        p += 16;
    } else if (f->linktype != TG_LINK_RAW) {
        put_mac(p, f, f->dst_mac, &f->dst);
        put_mac(p + 6, f, f->src_mac, &f->src);
        p += 12;
        unsigned nv = f->nvlan > 2 ? 2 : f->nvlan;
        for (unsigned i = 0; i < nv; i++) {
            put16(p, (nv == 2 && i == 0) ? 0x88a8 : 0x8100);
            put16(p + 2, (uint16_t)(f->vlan[i] & 0x0fff));
            p += 4;
        }
        put16(p, etype);
        p += 2;
    }

    uint8_t ttl = f->ttl ? f->ttl : 64;
    if (!v6) {
        p[0] = (uint8_t)(0x40 | ipl / 4);
        p[1] = f->tos;
        put16(p + 2, (uint16_t)(ipl + l4len));
        put16(p + 4, f->ip_id);
        put16(p + 6, f->df ? 0x4000 : 0);
        p[8] = ttl;
        p[9] = proto;
        put16(p + 10, 0);
        memcpy(p + 12, f->src.b + 12, 4);
        memcpy(p + 16, f->dst.b + 12, 4);
        for (size_t i = 20; i < ipl; i++)
            p[i] = i + 1 == ipl ? 0 : 1; /* NOPs, then end of options */
        if (!f->no_checksum)
            put16(p + 10, tg_inet_checksum(p, ipl));
        p += ipl;
    } else {
        unsigned next_ext = f->nv6_ext > 4 ? 4 : f->nv6_ext;
        uint32_t vtf = 6u << 28 | (uint32_t)f->tos << 20 | (f->flow_label & 0xfffff);
        put32(p, vtf);
        put16(p + 4, (uint16_t)(ipl - 40 + l4len));
        p[6] = next_ext > 0 ? f->v6_ext[0] : proto;
        p[7] = ttl;
        memcpy(p + 8, f->src.b, 16);
        memcpy(p + 24, f->dst.b, 16);
        p += 40;
        for (unsigned i = 0; i < next_ext; i++) {
            uint8_t nh = i + 1 < next_ext ? f->v6_ext[i + 1] : proto;
            memset(p, 0, 8);
            p[0] = nh;
            switch (f->v6_ext[i]) {
            case TG_V6_FRAGMENT:
                /* offset 0, M = 0: an atomic fragment */
                put32(p + 4, f->v6_frag_id);
                break;
            case TG_V6_ROUTING:
                p[1] = 0; /* length in 8-octet units beyond the first */
                p[2] = 0; /* routing type 0 */
                p[3] = 0; /* segments left */
                break;
            default:
                /* hop-by-hop or destination options: one PadN of 4 bytes */
                p[1] = 0;
                p[2] = 1;
                p[3] = 4;
                break;
            }
            p += 8;
        }
    }
    return (size_t)(p - out);
}

size_t tg_build_ip(uint8_t *out, size_t cap, const struct tg_frame *f, uint8_t proto,
                   const uint8_t *l4, size_t l4len)
{
    size_t off = put_headers(out, cap, f, proto, l4len);
    if (off == 0)
        return 0;
    if (l4len > 0)
        memcpy(out + off, l4, l4len);
    return off + l4len;
}

static size_t tcp_opt_len(const struct tg_tcp *t)
{
    size_t n = 0;
    if (t->mss)
        n += 4;
    if (t->sack_perm && t->ts)
        n += 2 + 10; /* SACK-permitted + timestamps share the word layout */
    else if (t->sack_perm)
        n += 4; /* NOP NOP SACKOK */
    else if (t->ts)
        n += 12; /* NOP NOP TS */
    if (t->wscale >= 0)
        n += 4; /* NOP WSCALE */
    return n;
}

size_t tg_build_tcp(uint8_t *out, size_t cap, const struct tg_frame *f, const struct tg_tcp *t,
                    const uint8_t *payload, size_t plen)
{
    size_t ol = tcp_opt_len(t);
    size_t hl = 20 + ol;
    size_t off = put_headers(out, cap, f, 6, hl + plen);
    if (off == 0)
        return 0;
    uint8_t *p = out + off;
    put16(p, t->sport);
    put16(p + 2, t->dport);
    put32(p + 4, t->seq);
    put32(p + 8, t->ack);
    p[12] = (uint8_t)((hl / 4) << 4);
    p[13] = t->flags;
    put16(p + 14, t->win);
    put16(p + 16, 0);
    put16(p + 18, 0);
    uint8_t *o = p + 20;
    if (t->mss) {
        o[0] = 2;
        o[1] = 4;
        put16(o + 2, t->mss);
        o += 4;
    }
    if (t->sack_perm && t->ts) {
        o[0] = 4;
        o[1] = 2;
        o[2] = 8;
        o[3] = 10;
        put32(o + 4, t->tsval);
        put32(o + 8, t->tsecr);
        o += 12;
    } else if (t->sack_perm) {
        o[0] = 1;
        o[1] = 1;
        o[2] = 4;
        o[3] = 2;
        o += 4;
    } else if (t->ts) {
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        put32(o + 4, t->tsval);
        put32(o + 8, t->tsecr);
        o += 12;
    }
    if (t->wscale >= 0) {
        o[0] = 1;
        o[1] = 3;
        o[2] = 3;
        o[3] = (uint8_t)t->wscale;
        o += 4;
    }
    if (plen > 0)
        memcpy(o, payload, plen);
    if (!f->no_checksum)
        put16(p + 16, tg_l4_checksum(&f->src, &f->dst, 6, p, hl + plen));
    return off + hl + plen;
}

size_t tg_build_udp(uint8_t *out, size_t cap, const struct tg_frame *f, uint16_t sport,
                    uint16_t dport, const uint8_t *payload, size_t plen)
{
    size_t off = put_headers(out, cap, f, 17, 8 + plen);
    if (off == 0)
        return 0;
    uint8_t *p = out + off;
    put16(p, sport);
    put16(p + 2, dport);
    put16(p + 4, (uint16_t)(8 + plen));
    put16(p + 6, 0);
    if (plen > 0)
        memcpy(p + 8, payload, plen);
    if (!f->no_checksum)
        put16(p + 6, tg_l4_checksum(&f->src, &f->dst, 17, p, 8 + plen));
    return off + 8 + plen;
}

size_t tg_build_icmp_echo(uint8_t *out, size_t cap, const struct tg_frame *f, bool reply,
                          uint16_t id, uint16_t seq, const uint8_t *payload, size_t plen)
{
    bool v6 = f->src.family == 6;
    uint8_t proto = v6 ? 58 : 1;
    size_t off = put_headers(out, cap, f, proto, 8 + plen);
    if (off == 0)
        return 0;
    uint8_t *p = out + off;
    p[0] = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
    p[1] = 0;
    put16(p + 2, 0);
    put16(p + 4, id);
    put16(p + 6, seq);
    if (plen > 0)
        memcpy(p + 8, payload, plen);
    if (!f->no_checksum) {
        uint16_t c =
            v6 ? tg_l4_checksum(&f->src, &f->dst, 58, p, 8 + plen) : tg_inet_checksum(p, 8 + plen);
        put16(p + 2, c);
    }
    return off + 8 + plen;
}

/* ---- 3. IPv4 and IPv6 fragmentation ------------------------------------- */

/*
 * Where piece i of nfrag of a payload of pl bytes starts and how long it is:
 * pieces of ceil(pl / nfrag) rounded up to a multiple of 8, the last takes
 * the rest. False when pl is too short for nfrag pieces.
 */
static bool frag_piece(size_t pl, unsigned nfrag, unsigned i, size_t *start, size_t *n)
{
    size_t piece = (pl + nfrag - 1) / nfrag;
    piece = (piece + 7) & ~(size_t)7;
    if (piece == 0 || (size_t)(nfrag - 1) * piece >= pl)
        return false;
    *start = (size_t)i * piece;
    *n = i + 1 == nfrag ? pl - *start : piece;
    return true;
}

size_t tg_ipv4_fragment(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, size_t l2len,
                        unsigned nfrag, unsigned i)
{
    if (nfrag == 0 || i >= nfrag || len < l2len + 20)
        return 0;
    const uint8_t *ip = frame + l2len;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || len < l2len + ihl)
        return 0;
    size_t total = (size_t)ip[2] << 8 | ip[3];
    if (total > len - l2len || total < ihl)
        return 0;
    size_t start, n;
    if (!frag_piece(total - ihl, nfrag, i, &start, &n) || l2len + ihl + n > cap)
        return 0;
    memcpy(out, frame, l2len + ihl);
    uint8_t *h = out + l2len;
    put16(h + 2, (uint16_t)(ihl + n));
    uint16_t fl = (uint16_t)(((size_t)ip[6] << 8 | ip[7]) & 0x4000); /* keep DF */
    if (i + 1 < nfrag)
        fl |= 0x2000;
    fl |= (uint16_t)(start / 8);
    put16(h + 6, fl);
    put16(h + 10, 0);
    put16(h + 10, tg_inet_checksum(h, ihl));
    memcpy(h + ihl, ip + ihl + start, n);
    return l2len + ihl + n;
}

size_t tg_ipv6_fragment(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, size_t l2len,
                        uint32_t id, unsigned nfrag, unsigned i)
{
    if (nfrag == 0 || i >= nfrag || len < l2len + 40)
        return 0;
    const uint8_t *ip = frame + l2len;
    if ((ip[0] >> 4) != 6)
        return 0;
    size_t pl = (size_t)ip[4] << 8 | ip[5];
    if (pl > len - l2len - 40)
        return 0;
    size_t start, n;
    if (!frag_piece(pl, nfrag, i, &start, &n) || l2len + 48 + n > cap)
        return 0;
    memcpy(out, frame, l2len + 40);
    uint8_t *h = out + l2len;
    put16(h + 4, (uint16_t)(8 + n));
    h[6] = TG_V6_FRAGMENT;
    uint8_t *fh = h + 40;
    fh[0] = ip[6]; /* the upper-layer protocol */
    fh[1] = 0;
    put16(fh + 2, (uint16_t)(start | (i + 1 < nfrag ? 1u : 0u)));
    put32(fh + 4, id);
    memcpy(fh + 8, ip + 40 + start, n);
    return l2len + 48 + n;
}

/* ---- 4. TCP session helper ---------------------------------------------- */

void tg_tcp_sess_init(struct tg_tcp_sess *s, const struct tg_frame *c2s, uint16_t cport,
                      uint16_t sport, ta_time_us start, uint32_t rtt_us, uint32_t isn_c,
                      uint32_t isn_s, tg_emit_fn emit, void *ctx)
{
    memset(s, 0, offsetof(struct tg_tcp_sess, buf));
    s->c2s = *c2s;
    s->s2c = *c2s;
    s->s2c.src = c2s->dst;
    s->s2c.dst = c2s->src;
    memcpy(s->s2c.src_mac, c2s->dst_mac, 6);
    memcpy(s->s2c.dst_mac, c2s->src_mac, 6);
    s->s2c.ttl = 64;
    s->s2c.ip_id = (uint16_t)(isn_s >> 7);
    s->cport = cport;
    s->sport = sport;
    s->cnxt = isn_c;
    s->snxt = isn_s;
    s->mss = c2s->src.family == 6 ? 1440 : 1460;
    s->cwin = 502; /* 64240 >> 7 */
    s->swin = 509;
    s->rtt_us = rtt_us;
    s->gap_us = 20;
    s->ack_delay_us = 40;
    s->tsc = (uint32_t)(isn_c >> 3);
    s->tss = (uint32_t)(isn_s >> 5);
    s->now = start;
    s->last_from_client = true;
    s->emit = emit;
    s->ctx = ctx;
}

static uint32_t ts_ms(const struct tg_tcp_sess *s, ta_time_us t, bool client)
{
    /* Both clocks run at 1 kHz from arbitrary origins. */
    uint32_t base = client ? s->tsc : s->tss;
    return base + (uint32_t)(t / 1000u);
}

static ta_err seg(struct tg_tcp_sess *s, bool from_client, ta_time_us t, uint8_t flags,
                  const uint8_t *data, size_t len, bool syn_opts)
{
    struct tg_frame *f = from_client ? &s->c2s : &s->s2c;
    struct tg_tcp h = {
        .sport = from_client ? s->cport : s->sport,
        .dport = from_client ? s->sport : s->cport,
        .seq = from_client ? s->cnxt : s->snxt,
        .ack = (flags & TG_ACK) ? (from_client ? s->snxt : s->cnxt) : 0,
        .flags = flags,
        .win = from_client ? s->cwin : s->swin,
        .wscale = -1,
        .ts = true,
        .tsval = ts_ms(s, t, from_client),
        /* Echo only a value the peer really sent: stacks (and Suricata) drop
         * segments whose tsecr is ahead of anything they emitted. A SYN echoes 0. */
        .tsecr = (flags & TG_ACK) ? (from_client ? s->tss_sent : s->tsc_sent) : 0,
    };
    if (syn_opts) {
        h.mss = s->mss;
        h.sack_perm = true;
        h.wscale = 7;
        h.win = from_client ? 64240 : 65160;
    }
    size_t n = tg_build_tcp(s->buf, sizeof(s->buf), f, &h, data, len);
    if (n == 0)
        return TA_ERR_LIMIT;
    f->ip_id++;
    if (from_client)
        s->tsc_sent = h.tsval;
    else
        s->tss_sent = h.tsval;
    uint32_t adv = (uint32_t)len + ((flags & (TG_SYN | TG_FIN)) ? 1u : 0u);
    if (from_client)
        s->cnxt += adv;
    else
        s->snxt += adv;
    s->now = t;
    s->packets++;
    s->bytes += n;
    return s->emit(s->ctx, t, s->buf, n);
}

ta_err tg_tcp_sess_open(struct tg_tcp_sess *s)
{
    ta_time_us t = s->now;
    ta_err e = seg(s, true, t, TG_SYN, NULL, 0, true);
    if (e == TA_OK)
        e = seg(s, false, t + s->rtt_us, TG_SYN | TG_ACK, NULL, 0, true);
    if (e == TA_OK)
        e = seg(s, true, t + s->rtt_us + s->ack_delay_us / 4 + 1, TG_ACK, NULL, 0, false);
    s->established = true;
    s->last_from_client = true;
    return e;
}

ta_err tg_tcp_sess_syn_only(struct tg_tcp_sess *s)
{
    return seg(s, true, s->now, TG_SYN, NULL, 0, true);
}

void tg_tcp_sess_wait(struct tg_tcp_sess *s, uint64_t us)
{
    s->now += us;
}

ta_err tg_tcp_sess_send(struct tg_tcp_sess *s, bool from_client, const void *data, size_t len)
{
    const uint8_t *d = data;
    if (len == 0)
        return TA_OK;
    /* The peer's ACK of the previous data already took the RTT into account. */
    ta_time_us t0 = s->now + s->gap_us;
    /* The peer's ACK for a segment appears after this delay at the capture point. */
    uint64_t ack_lag = from_client ? s->rtt_us : s->ack_delay_us;
    size_t nseg = (len + s->mss - 1) / s->mss;
    size_t next_seg = 0; /* next data segment to emit */
    size_t acked = 0;    /* segments acknowledged so far */
    /* ACK after every second segment and after the last: merge the two time
     * ordered streams (data segments, peer ACKs). */
    while (next_seg < nseg || acked < nseg) {
        ta_time_us tseg = t0 + (uint64_t)next_seg * s->gap_us;
        size_t ack_upto = 0;
        ta_time_us tack = UINT64_MAX;
        if (acked < nseg) {
            size_t want = acked + 2 < nseg ? acked + 2 : nseg;
            if (want <= next_seg) {
                ack_upto = want;
                tack = t0 + (uint64_t)(want - 1) * s->gap_us + ack_lag;
            }
        }
        if (next_seg < nseg && tseg <= tack) {
            size_t off = next_seg * s->mss;
            size_t n = len - off < s->mss ? len - off : s->mss;
            uint8_t fl = TG_ACK | (next_seg + 1 == nseg ? TG_PSH : 0);
            ta_err e = seg(s, from_client, tseg, fl, d + off, n, false);
            if (e != TA_OK)
                return e;
            next_seg++;
        } else {
            /* The ACK acknowledges exactly the bytes of the first ack_upto segments. */
            size_t upto_bytes = ack_upto * s->mss < len ? ack_upto * s->mss : len;
            size_t sent_bytes = next_seg * s->mss < len ? next_seg * s->mss : len;
            uint32_t *peer_view = from_client ? &s->cnxt : &s->snxt;
            uint32_t saved = *peer_view;
            *peer_view = saved - (uint32_t)(sent_bytes - upto_bytes);
            ta_err e = seg(s, !from_client, tack, TG_ACK, NULL, 0, false);
            *peer_view = saved;
            if (e != TA_OK)
                return e;
            acked = ack_upto;
        }
    }
    s->last_from_client = from_client;
    return TA_OK;
}

ta_err tg_tcp_sess_close(struct tg_tcp_sess *s, bool client_first)
{
    ta_time_us t = s->now + s->gap_us;
    uint64_t lag1 = client_first ? s->rtt_us : s->ack_delay_us;
    ta_err e = seg(s, client_first, t, TG_FIN | TG_ACK, NULL, 0, false);
    if (e == TA_OK)
        e = seg(s, !client_first, t + lag1, TG_FIN | TG_ACK, NULL, 0, false);
    if (e == TA_OK)
        e = seg(s, client_first, t + lag1 + (client_first ? s->ack_delay_us / 4 + 1 : s->rtt_us),
                TG_ACK, NULL, 0, false);
    s->established = false;
    return e;
}

ta_err tg_tcp_sess_reset(struct tg_tcp_sess *s, bool from_client)
{
    ta_time_us t = s->now + (from_client ? s->gap_us : s->rtt_us);
    ta_err e = seg(s, from_client, t, TG_RST | TG_ACK, NULL, 0, false);
    s->established = false;
    return e;
}
