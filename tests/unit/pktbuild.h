/*
 * Tiny frame builder for tests and the capture generator (header-only):
 * Ethernet (+VLAN tags), IPv4 (checksummed), IPv6, TCP/UDP (checksummed
 * over the IPv4 pseudo-header), and a pcap/pcapng file writer.
 * Every builder writes into `out` (which must be large enough) and returns
 * the number of bytes written.
 */
#ifndef TA_TEST_PKTBUILD_H
#define TA_TEST_PKTBUILD_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline void pb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void pb_put32(uint8_t *p, uint32_t v)
{
    pb_put16(p, (uint16_t)(v >> 16));
    pb_put16(p + 2, (uint16_t)v);
}

static inline uint32_t pb_sum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static inline uint16_t pb_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Ethernet header with `nvlan` tags (tpids[i], vids[i]); returns header length. */
static inline size_t pb_eth(uint8_t *out, uint16_t ethertype, int nvlan, const uint16_t *tpids,
                            const uint16_t *vids)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
    memcpy(out, macs, 12);
    size_t o = 12;
    for (int i = 0; i < nvlan; i++) {
        pb_put16(out + o, tpids[i]);
        pb_put16(out + o + 2, vids[i]);
        o += 4;
    }
    pb_put16(out + o, ethertype);
    return o + 2;
}

/* IPv4 header (20 bytes + optlen option bytes, optlen multiple of 4). */
static inline size_t pb_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
                             uint16_t frag, uint8_t ttl, size_t optlen, size_t payload_len)
{
    size_t hl = 20 + optlen;
    out[0] = (uint8_t)(0x40 | (hl / 4));
    out[1] = 0;
    pb_put16(out + 2, (uint16_t)(hl + payload_len));
    pb_put16(out + 4, id);
    pb_put16(out + 6, frag);
    out[8] = ttl;
    out[9] = proto;
    pb_put16(out + 10, 0);
    pb_put32(out + 12, src);
    pb_put32(out + 16, dst);
    for (size_t i = 0; i < optlen; i++)
        out[20 + i] = i + 1 == optlen ? 0 : 1; /* NOPs then EOL */
    pb_put16(out + 10, pb_fold(pb_sum(out, hl, 0)));
    return hl;
}

static inline size_t pb_ipv6(uint8_t *out, const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
                             size_t payload_len)
{
    pb_put32(out, 0x60000000u);
    pb_put16(out + 4, (uint16_t)payload_len);
    out[6] = nh;
    out[7] = 64;
    memcpy(out + 8, src, 16);
    memcpy(out + 24, dst, 16);
    return 40;
}

/* Transport checksum over the IPv4 pseudo-header; seg is the whole segment. */
static inline uint16_t pb_l4sum4(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *seg,
                                 size_t len)
{
    uint8_t ph[12];
    pb_put32(ph, src);
    pb_put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    pb_put16(ph + 10, (uint16_t)len);
    return pb_fold(pb_sum(seg, len, pb_sum(ph, 12, 0)));
}

/* TCP header (20 bytes) followed by plen payload bytes of value 'x'. */
static inline size_t pb_tcp(uint8_t *out, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
                            uint8_t flags, size_t plen)
{
    pb_put16(out, sp);
    pb_put16(out + 2, dp);
    pb_put32(out + 4, seq);
    pb_put32(out + 8, ack);
    out[12] = 5 << 4;
    out[13] = flags;
    pb_put16(out + 14, 65535);
    pb_put32(out + 16, 0);
    memset(out + 20, 'x', plen);
    return 20 + plen;
}

static inline size_t pb_udp(uint8_t *out, uint16_t sp, uint16_t dp, size_t plen)
{
    pb_put16(out, sp);
    pb_put16(out + 2, dp);
    pb_put16(out + 4, (uint16_t)(8 + plen));
    pb_put16(out + 6, 0);
    memset(out + 8, 'u', plen);
    return 8 + plen;
}

/* A complete Ethernet/IPv4/TCP frame; returns the frame length. */
static inline size_t pb_eth_tcp4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
                                 uint8_t flags, size_t plen)
{
    size_t e = pb_eth(out, 0x0800, 0, NULL, NULL);
    size_t t = pb_tcp(out + e + 20, sp, dp, 1000, 2000, flags, plen);
    pb_put16(out + e + 20 + 16, pb_l4sum4(src, dst, 6, out + e + 20, t));
    pb_ipv4(out + e, src, dst, 6, 1, 0x4000, 64, 0, t);
    return e + 20 + t;
}

static inline size_t pb_eth_udp4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
                                 size_t plen)
{
    size_t e = pb_eth(out, 0x0800, 0, NULL, NULL);
    size_t u = pb_udp(out + e + 20, sp, dp, plen);
    pb_put16(out + e + 20 + 6, pb_l4sum4(src, dst, 17, out + e + 20, u));
    pb_ipv4(out + e, src, dst, 17, 1, 0, 64, 0, u);
    return e + 20 + u;
}

/* pcap file writer (microsecond timestamps, little endian as written by x86). */
static inline FILE *pb_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return NULL;
    uint32_t h[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, snaplen, linktype};
    fwrite(h, 4, 6, f);
    return f;
}

static inline void pb_pcap_write(FILE *f, uint64_t ts_us, const uint8_t *frame, uint32_t caplen,
                                 uint32_t wirelen)
{
    uint32_t h[4] = {(uint32_t)(ts_us / 1000000u), (uint32_t)(ts_us % 1000000u), caplen, wirelen};
    fwrite(h, 4, 4, f);
    fwrite(frame, 1, caplen, f);
}

/* pcapng: section header + one interface; then enhanced packet blocks. */
static inline FILE *pb_pcapng_open(const char *path, uint16_t linktype)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return NULL;
    uint32_t shb[7] = {0x0a0d0d0au, 28, 0x1a2b3c4du, 0x00000001u, 0xffffffffu, 0xffffffffu, 28};
    fwrite(shb, 4, 7, f);
    uint32_t idb[5] = {1, 20, linktype, 0, 20}; /* linktype + reserved, snaplen 0 */
    fwrite(idb, 4, 5, f);
    return f;
}

static inline void pb_pcapng_write(FILE *f, uint64_t ts_us, const uint8_t *frame, uint32_t len)
{
    uint32_t pad = (4 - (len & 3)) & 3;
    uint32_t total = 32 + len + pad;
    uint32_t h[7] = {6, total, 0, (uint32_t)(ts_us >> 32), (uint32_t)ts_us, len, len};
    fwrite(h, 4, 7, f);
    fwrite(frame, 1, len, f);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    fwrite(zero, 1, pad, f);
    fwrite(&total, 4, 1, f);
}

#endif
