/*
 * Packet decoding, link layer: Ethernet (802.1Q, 802.1ad QinQ, 0x9100, PPPoE),
 * Linux cooked capture v1/v2, raw IP, BSD null/loopback; plus the decoder
 * lifecycle and its per-reason counters.
 *
 * Stage 2 of the pipeline: a source hands frames here; the network and
 * transport layers are in decode-ip.c, reassembly in decode-frag.c.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode-int.h"

#include "common/banned.h"

/* Stable names for the stats record, indexed by enum dc_reason. */
static const char *const reason_names[DC__COUNT] = {
    [DC_UNSUPPORTED_LINKTYPE] = "unsupported_linktype",
    [DC_NON_IP] = "non_ip",
    [DC_LINK_TRUNCATED] = "link_truncated",
    [DC_VLAN_TRUNCATED] = "vlan_truncated",
    [DC_VLAN_TOO_DEEP] = "vlan_too_deep",
    [DC_IPV4_TRUNCATED] = "ipv4_truncated",
    [DC_IPV4_BAD_VERSION] = "ipv4_bad_version",
    [DC_IPV4_BAD_HLEN] = "ipv4_bad_hlen",
    [DC_IPV4_BAD_TOTAL_LEN] = "ipv4_bad_total_len",
    [DC_IPV6_TRUNCATED] = "ipv6_truncated",
    [DC_IPV6_BAD_VERSION] = "ipv6_bad_version",
    [DC_IPV6_BAD_PAYLOAD_LEN] = "ipv6_bad_payload_len",
    [DC_IPV6_EXT_TRUNCATED] = "ipv6_ext_truncated",
    [DC_IPV6_TOO_MANY_EXT] = "ipv6_too_many_ext",
    [DC_FRAG_INVALID] = "frag_invalid",
    [DC_FRAG_TRUNCATED] = "frag_truncated",
    [DC_FRAG_OVERLAP] = "frag_overlap",
    [DC_FRAG_TOO_MANY_PARTS] = "frag_too_many_parts",
    [DC_FRAG_TABLE_FULL] = "frag_table_full",
    [DC_FRAG_TIMEOUT] = "frag_timeout",
    [DC_FRAG_REASSEMBLED] = "frag_reassembled",
    [DC_TCP_TRUNCATED] = "tcp_truncated",
    [DC_TCP_BAD_HLEN] = "tcp_bad_hlen",
    [DC_UDP_TRUNCATED] = "udp_truncated",
    [DC_UDP_BAD_LEN] = "udp_bad_len",
    [DC_ICMP_TRUNCATED] = "icmp_truncated",
    [DC_ICMPV6_TRUNCATED] = "icmpv6_truncated",
};

/* libpcap's DLT_RAW is 12 (14 on OpenBSD) and DLT_LOOP 108 at run time. */
#define DLT_RAW_A 12
#define DLT_RAW_B 14
#define DLT_LOOP_ 108
/* VLAN tags beyond this many are refused (Suricata also stops at 3). */
#define MAX_VLAN_LAYERS 3

void ta_decode_opts_default(struct ta_decode_opts *o)
{
    o->max_frag_datagrams = 1024;
    o->max_frag_bytes = 8u << 20;
    o->frag_timeout_s = 30;
}

ta_err ta_decoder_new(const struct ta_decode_opts *opts, struct ta_decoder **out)
{
    struct ta_decoder *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return TA_ERR_NOMEM;
    if (opts != NULL)
        d->o = *opts;
    else
        ta_decode_opts_default(&d->o);
    if (d->o.max_frag_datagrams == 0 || d->o.max_frag_bytes == 0) {
        free(d);
        return TA_ERR_ARG;
    }
    ta_err err = ta__frag_new(&d->o, &d->ft);
    if (err != TA_OK) {
        free(d);
        return err;
    }
    *out = d;
    return TA_OK;
}

void ta_decoder_free(struct ta_decoder *d)
{
    if (d == NULL)
        return;
    ta__frag_free(d->ft);
    free(d->reasm);
    free(d);
}

size_t ta_decoder_counter_count(void)
{
    return DC__COUNT;
}

const char *ta_decoder_counter_name(size_t i)
{
    return i < DC__COUNT ? reason_names[i] : NULL;
}

uint64_t ta_decoder_counter(const struct ta_decoder *d, size_t i)
{
    return i < DC__COUNT ? d->ctr[i] : 0;
}

void ta_decoder_absorb(struct ta_decoder *dst, const struct ta_decoder *src)
{
    for (size_t i = 0; i < DC__COUNT; i++)
        dst->ctr[i] += src->ctr[i];
}

bool ta_decoder_counter_is_skip(size_t i)
{
    return i == DC_UNSUPPORTED_LINKTYPE || i == DC_NON_IP;
}

/* Dispatch on an IP version nibble (raw IP link types). */
static enum ta_decode_result decode_ip_any(struct ta_decoder *d, struct ta_cursor *c,
                                           struct ta_packet *p, bool snapped)
{
    if (ta_cursor_left(c) < 1) {
        dc_count(d, DC_LINK_TRUNCATED);
        return TA_DECODE_INVALID;
    }
    switch (c->p[0] >> 4) {
    case 4:
        return ta__decode_ipv4(d, c, p, snapped);
    case 6:
        return ta__decode_ipv6(d, c, p, snapped);
    default:
        dc_count(d, DC_NON_IP);
        return TA_DECODE_SKIPPED;
    }
}

/* Ethertype dispatch, with VLAN tags in between (c is after the type). */
static enum ta_decode_result decode_ethertype(struct ta_decoder *d, struct ta_cursor *c,
                                              uint16_t type, struct ta_packet *p, bool snapped)
{
    int layers = 0;
    while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        uint16_t tci;
        if (++layers > MAX_VLAN_LAYERS) {
            dc_count(d, DC_VLAN_TOO_DEEP);
            return TA_DECODE_INVALID;
        }
        if (!ta_cursor_u16be(c, &tci) || !ta_cursor_u16be(c, &type)) {
            dc_count(d, DC_VLAN_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        if (p->vlan_count < 2)
            p->vlan_id[p->vlan_count++] = (uint16_t)(tci & 0x0fff);
    }
    switch (type) {
    case 0x0800:
        return ta__decode_ipv4(d, c, p, snapped);
    case 0x86dd:
        return ta__decode_ipv6(d, c, p, snapped);
    case 0x8864: { /* PPPoE session: 6-byte header, then the PPP protocol */
        uint16_t ppp;
        if (!ta_cursor_skip(c, 6) || !ta_cursor_u16be(c, &ppp)) {
            dc_count(d, DC_LINK_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        if (ppp == 0x0021)
            return ta__decode_ipv4(d, c, p, snapped);
        if (ppp == 0x0057)
            return ta__decode_ipv6(d, c, p, snapped);
        dc_count(d, DC_NON_IP);
        return TA_DECODE_SKIPPED;
    }
    default:
        dc_count(d, DC_NON_IP);
        return TA_DECODE_SKIPPED;
    }
}

enum ta_decode_result ta_decoder_decode(struct ta_decoder *d, int linktype, ta_time_us ts,
                                        const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                                        struct ta_packet *p)
{
    struct ta_cursor c;
    uint16_t type;
    bool snapped = caplen < wirelen;

    if (d->reasm != NULL) {
        free(d->reasm);
        d->reasm = NULL;
    }
    memset(p, 0, sizeof(*p));
    p->ts = ts;
    p->caplen = caplen;
    p->wirelen = wirelen;
    ta_cursor_init(&c, frame, caplen);

    switch (linktype) {
    case TA_LINK_ETHERNET:
        if (!ta_cursor_skip(&c, 12) || !ta_cursor_u16be(&c, &type)) {
            dc_count(d, DC_LINK_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        if (type < 0x0600) { /* 802.3 length field: LLC/SNAP, not IP for us */
            dc_count(d, DC_NON_IP);
            return TA_DECODE_SKIPPED;
        }
        return decode_ethertype(d, &c, type, p, snapped);
    case TA_LINK_LINUX_SLL:
        if (!ta_cursor_skip(&c, 14) || !ta_cursor_u16be(&c, &type)) {
            dc_count(d, DC_LINK_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        return decode_ethertype(d, &c, type, p, snapped);
    case TA_LINK_LINUX_SLL2:
        if (!ta_cursor_u16be(&c, &type) || !ta_cursor_skip(&c, 18)) {
            dc_count(d, DC_LINK_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        return decode_ethertype(d, &c, type, p, snapped);
    case TA_LINK_RAW:
    case DLT_RAW_A:
    case DLT_RAW_B:
        return decode_ip_any(d, &c, p, snapped);
    case TA_LINK_IPV4:
        return ta__decode_ipv4(d, &c, p, snapped);
    case TA_LINK_IPV6:
        return ta__decode_ipv6(d, &c, p, snapped);
    case TA_LINK_NULL:
    case DLT_LOOP_: {
        uint32_t fam;
        if (!ta_cursor_u32be(&c, &fam)) {
            dc_count(d, DC_LINK_TRUNCATED);
            return TA_DECODE_INVALID;
        }
        /* NULL is host byte order of the capturing machine, LOOP network order. */
        if (fam > 0xffff)
            fam = __builtin_bswap32(fam);
        if (fam == 2)
            return ta__decode_ipv4(d, &c, p, snapped);
        if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
            return ta__decode_ipv6(d, &c, p, snapped);
        dc_count(d, DC_NON_IP);
        return TA_DECODE_SKIPPED;
    }
    default:
        dc_count(d, DC_UNSUPPORTED_LINKTYPE);
        return TA_DECODE_SKIPPED;
    }
}
