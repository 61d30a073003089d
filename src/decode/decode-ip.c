/*
 * Packet decoding, network and transport layers: IPv4 (options skipped,
 * fragments handed to decode-frag.c), IPv6 with extension headers
 * (hop-by-hop, routing, destination options, AH, fragment), TCP (options
 * skipped), UDP, ICMP and ICMPv6.
 *
 * A frame cut short by the capture's snaplen ("snapped": caplen < wirelen)
 * still yields a packet when the headers that flows need (addresses, ports,
 * TCP flags) were captured; only its payload is shortened.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode-int.h"

#include "common/banned.h"

/* Extension headers followed before giving up (bounded work per packet). */
#define MAX_IPV6_EXT 8

enum ta_decode_result ta__decode_transport(struct ta_decoder *d, struct ta_packet *p,
                                           const uint8_t *data, size_t len, bool snapped)
{
    struct ta_cursor c;
    ta_cursor_init(&c, data, len);

    switch (p->ip_proto) {
    case 6: {
        /* Ports, sequence numbers and flags fit in the first 14 bytes. */
        if (len < 20 && !(snapped && len >= 14)) {
            dc_count(d, DC_TCP_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        p->sport = ta_rd16be(data);
        p->dport = ta_rd16be(data + 2);
        p->tcp_seq = ta_rd32be(data + 4);
        p->tcp_ack = ta_rd32be(data + 8);
        size_t hlen = (size_t)(data[12] >> 4) * 4;
        p->tcp_flags = (uint8_t)(data[13] & 0x3f);
        if (len >= 16)
            p->tcp_win = ta_rd16be(data + 14);
        if (hlen < 20) {
            dc_count(d, DC_TCP_BAD_HLEN);
            return TA_DECODE_INVALID;
        }
        if (len < hlen) {
            if (!snapped) {
                dc_count(d, DC_TCP_TRUNCATED);
                return TA_DECODE_INVALID;
            }
            return TA_DECODE_OK; /* options cut by snaplen: no payload */
        }
        p->payload = data + hlen;
        p->payload_len = (uint32_t)(len - hlen);
        return TA_DECODE_OK;
    }
    case 17: {
        if (len < 8 && !(snapped && len >= 4)) {
            dc_count(d, DC_UDP_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        p->sport = ta_rd16be(data);
        p->dport = ta_rd16be(data + 2);
        if (len < 8)
            return TA_DECODE_OK;
        size_t ulen = ta_rd16be(data + 4);
        if (ulen < 8 || (ulen > len && !snapped)) {
            dc_count(d, DC_UDP_BAD_LEN);
            return TA_DECODE_INVALID;
        }
        p->payload = data + 8;
        p->payload_len = (uint32_t)((ulen < len ? ulen : len) - 8);
        return TA_DECODE_OK;
    }
    case 1:
    case 58: {
        uint8_t type, code;
        if (!ta_cursor_u8(&c, &type) || !ta_cursor_u8(&c, &code) || !ta_cursor_skip(&c, 2)) {
            dc_count(d, p->ip_proto == 1 ? DC_ICMP_TRUNCATED : DC_ICMPV6_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        p->icmp_type = type;
        p->icmp_code = code;
        p->sport = type;
        p->dport = code;
        p->payload = c.p;
        p->payload_len = (uint32_t)ta_cursor_left(&c);
        return TA_DECODE_OK;
    }
    default:
        /* Other protocols (GRE, ESP, SCTP...) make port-less flows. */
        p->payload = data;
        p->payload_len = (uint32_t)len;
        return TA_DECODE_OK;
    }
}

/* Hand a reassembled datagram to the transport layer. */
static enum ta_decode_result finish_reassembly(struct ta_decoder *d, struct ta_packet *p,
                                               uint8_t *buf, size_t len, uint64_t wire)
{
    d->reasm = buf;
    p->reassembled = true;
    p->wirelen = wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire;
    p->caplen = p->wirelen;
    dc_count(d, DC_FRAG_REASSEMBLED);
    return ta__decode_transport(d, p, buf, len, false);
}

enum ta_decode_result ta__decode_ipv4(struct ta_decoder *d, struct ta_cursor *c,
                                      struct ta_packet *p, bool snapped)
{
    size_t avail = ta_cursor_left(c);
    if (avail < 20) {
        dc_count(d, DC_IPV4_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    const uint8_t *h = c->p;
    if (h[0] >> 4 != 4) {
        dc_count(d, DC_IPV4_BAD_VERSION);
        return TA_DECODE_INVALID;
    }
    size_t hlen = (size_t)(h[0] & 0x0f) * 4;
    if (hlen < 20) {
        dc_count(d, DC_IPV4_BAD_HLEN);
        return TA_DECODE_INVALID;
    }
    if (avail < hlen) {
        dc_count(d, DC_IPV4_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    size_t total = ta_rd16be(h + 2);
    /* A total length of 0 is what segmentation offload leaves in captures. */
    if (total == 0)
        total = avail;
    if (total < hlen) {
        dc_count(d, DC_IPV4_BAD_TOTAL_LEN);
        return TA_DECODE_INVALID;
    }
    if (total > avail) {
        if (!snapped) {
            dc_count(d, DC_IPV4_BAD_TOTAL_LEN);
            return TA_DECODE_INVALID;
        }
        total = avail;
    }
    p->ip_version = 4;
    p->ttl = h[8];
    p->ip_proto = h[9];
    ta_addr_set_v4(&p->src, h + 12);
    ta_addr_set_v4(&p->dst, h + 16);

    uint16_t fl = ta_rd16be(h + 6);
    bool more = (fl & 0x2000) != 0;
    uint32_t off = (uint32_t)(fl & 0x1fff) * 8;
    const uint8_t *data = h + hlen;
    size_t len = total - hlen;
    if (!more && off == 0)
        return ta__decode_transport(d, p, data, len, snapped);

    /* A fragment whose data the snaplen cut cannot be reassembled. */
    if (snapped && ta_rd16be(h + 2) > avail) {
        dc_count(d, DC_FRAG_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    struct frag_key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, p->src.b, 16);
    memcpy(k.dst, p->dst.b, 16);
    k.id = ta_rd16be(h + 4);
    k.proto = p->ip_proto;
    k.version = 4;
    uint8_t *buf;
    size_t blen;
    uint64_t wire;
    enum ta_decode_result r =
        ta__frag_add(d, &k, p->ts, off, more, data, len, p->wirelen, &buf, &blen, &wire);
    if (r != TA_DECODE_OK)
        return r;
    return finish_reassembly(d, p, buf, blen, wire);
}

/*
 * Walk IPv6 extension headers from *nh. Stops at the first upper-layer
 * header, or just after a fragment header (whose fields go to *fi).
 * Returns false when the chain is malformed (counted).
 */
struct frag6 {
    bool seen, more;
    uint32_t off, id;
};

static bool walk_ext(struct ta_decoder *d, struct ta_cursor *pc, uint8_t *nh, struct frag6 *fi)
{
    for (int n = 0;; n++) {
        if (*nh != 0 && *nh != 43 && *nh != 44 && *nh != 51 && *nh != 60)
            return true;
        if (n >= MAX_IPV6_EXT) {
            dc_count(d, DC_IPV6_TOO_MANY_EXT);
            return false;
        }
        if (ta_cursor_left(pc) < 8) {
            dc_count(d, DC_IPV6_EXT_TRUNCATED);
            return false;
        }
        const uint8_t *e = pc->p;
        size_t elen;
        if (*nh == 44) {
            uint16_t fo = ta_rd16be(e + 2);
            fi->seen = true;
            fi->off = (uint32_t)(fo & 0xfff8);
            fi->more = (fo & 1) != 0;
            fi->id = ta_rd32be(e + 4);
            elen = 8;
        } else if (*nh == 51) {
            elen = ((size_t)e[1] + 2) * 4;
        } else {
            elen = ((size_t)e[1] + 1) * 8;
        }
        *nh = e[0];
        if (!ta_cursor_skip(pc, elen)) {
            dc_count(d, DC_IPV6_EXT_TRUNCATED);
            return false;
        }
        if (fi->seen)
            return true;
    }
}

enum ta_decode_result ta__decode_ipv6(struct ta_decoder *d, struct ta_cursor *c,
                                      struct ta_packet *p, bool snapped)
{
    size_t avail = ta_cursor_left(c);
    if (avail < 40) {
        dc_count(d, DC_IPV6_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    const uint8_t *h = c->p;
    if (h[0] >> 4 != 6) {
        dc_count(d, DC_IPV6_BAD_VERSION);
        return TA_DECODE_INVALID;
    }
    size_t plen = ta_rd16be(h + 4);
    size_t have = avail - 40;
    if (plen > have) {
        if (!snapped) {
            dc_count(d, DC_IPV6_BAD_PAYLOAD_LEN);
            return TA_DECODE_INVALID;
        }
        plen = have;
    } else if (plen == 0) {
        plen = have; /* jumbogram or offload: trust the capture */
    }
    p->ip_version = 6;
    p->ttl = h[7];
    ta_addr_set_v6(&p->src, h + 8);
    ta_addr_set_v6(&p->dst, h + 24);

    struct ta_cursor pc;
    ta_cursor_init(&pc, h + 40, plen);
    uint8_t nh = h[6];
    struct frag6 fi = {0};
    if (!walk_ext(d, &pc, &nh, &fi))
        return TA_DECODE_INVALID;
    if (fi.seen && fi.off == 0 && !fi.more) {
        /* An atomic fragment (RFC 6946): no reassembly needed. */
        fi.seen = false;
        if (!walk_ext(d, &pc, &nh, &fi))
            return TA_DECODE_INVALID;
        if (fi.seen) {
            dc_count(d, DC_FRAG_INVALID);
            return TA_DECODE_INVALID;
        }
    }
    p->ip_proto = nh;
    if (!fi.seen)
        return ta__decode_transport(d, p, pc.p, ta_cursor_left(&pc), snapped);

    if (snapped && ta_rd16be(h + 4) > have) {
        dc_count(d, DC_FRAG_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    struct frag_key k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, p->src.b, 16);
    memcpy(k.dst, p->dst.b, 16);
    k.id = fi.id;
    k.proto = nh;
    k.version = 6;
    uint8_t *buf;
    size_t blen;
    uint64_t wire;
    enum ta_decode_result r = ta__frag_add(d, &k, p->ts, fi.off, fi.more, pc.p, ta_cursor_left(&pc),
                                           p->wirelen, &buf, &blen, &wire);
    if (r != TA_DECODE_OK)
        return r;
    d->reasm = buf;
    p->reassembled = true;
    p->wirelen = wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire;
    p->caplen = p->wirelen;
    dc_count(d, DC_FRAG_REASSEMBLED);
    /* Extension headers may follow the fragment header in the fragmentable part. */
    struct ta_cursor rc;
    ta_cursor_init(&rc, buf, blen);
    struct frag6 fi2 = {0};
    if (!walk_ext(d, &rc, &nh, &fi2))
        return TA_DECODE_INVALID;
    if (fi2.seen) {
        dc_count(d, DC_FRAG_INVALID);
        return TA_DECODE_INVALID;
    }
    p->ip_proto = nh;
    return ta__decode_transport(d, p, rc.p, ta_cursor_left(&rc), false);
}
