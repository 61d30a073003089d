/*
 * Packets for unit tests. Well-formed frames and capture files come from
 * threatatlas-gen's crafting layer (tools/gen/craft.h, linked into every unit
 * test): pb_eth_tcp4 / pb_eth_udp4 are tg_build_tcp / tg_build_udp with the
 * tests' fixed template, and captures are written with tg_pcap_open.
 * What craft deliberately does not make, the header writers below do, for
 * malformed and odd inputs: Ethernet with any TPIDs and raw tag bits, IPv4
 * with any fragment field and options, a bare IPv6 header, TCP/UDP headers
 * without checksums. Every writer writes into `out` (large enough) and
 * returns the number of bytes written.
 */
#ifndef TA_TEST_PKTBUILD_H
#define TA_TEST_PKTBUILD_H

#include "craft.h"

#include <stdint.h>
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
    pb_put16(out + 10, tg_inet_checksum(out, hl));
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

/*
 * The tests' template for complete frames: Ethernet 00:06:07:08:09:0a ->
 * 00:01:02:03:04:05, IPv4 ID 1, TTL 64; TCP with DF, seq 1000, ack 2000,
 * window 65535, no options, payload bytes 'x'; UDP payload bytes 'u'.
 */
static inline struct tg_frame pb_frame4(uint32_t src, uint32_t dst, bool df)
{
    struct tg_frame f = {.linktype = TG_LINK_ETH,
                         .src_mac = {0, 6, 7, 8, 9, 10},
                         .dst_mac = {0, 1, 2, 3, 4, 5},
                         .ttl = 64,
                         .ip_id = 1,
                         .df = df};
    uint8_t a[4];
    pb_put32(a, src);
    ta_addr_set_v4(&f.src, a);
    pb_put32(a, dst);
    ta_addr_set_v4(&f.dst, a);
    return f;
}

static inline const uint8_t *pb_fill(uint8_t c)
{
    static uint8_t buf[TG_FRAME_MAX];
    memset(buf, c, sizeof(buf));
    return buf;
}

/* A complete Ethernet/IPv4/TCP frame; returns the frame length. */
static inline size_t pb_eth_tcp4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
                                 uint8_t flags, size_t plen)
{
    struct tg_frame f = pb_frame4(src, dst, true);
    struct tg_tcp t = {.sport = sp,
                       .dport = dp,
                       .seq = 1000,
                       .ack = 2000,
                       .flags = flags,
                       .win = 65535,
                       .wscale = -1};
    return tg_build_tcp(out, TG_FRAME_MAX, &f, &t, pb_fill('x'), plen);
}

static inline size_t pb_eth_udp4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
                                 size_t plen)
{
    struct tg_frame f = pb_frame4(src, dst, false);
    return tg_build_udp(out, TG_FRAME_MAX, &f, sp, dp, pb_fill('u'), plen);
}

#endif
