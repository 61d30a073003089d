/*
 * Decoder internals shared by src/decode/decode-*.c: the decoder struct,
 * the counter reasons and the per-layer entry points.
 */
#ifndef TA_DECODE_INT_H
#define TA_DECODE_INT_H

#include "threatatlas/decode.h"

#include "common/cursor.h"

/*
 * Counter reasons. The order and the names in decode-core.c are part of the
 * stats record: append new reasons at the end, never renumber.
 */
enum dc_reason {
    DC_UNSUPPORTED_LINKTYPE = 0, /* skipped */
    DC_NON_IP,                   /* skipped: ARP, LLDP, 802.3 LLC... */
    DC_LINK_TRUNCATED,
    DC_VLAN_TRUNCATED,
    DC_VLAN_TOO_DEEP,
    DC_IPV4_TRUNCATED,
    DC_IPV4_BAD_VERSION,
    DC_IPV4_BAD_HLEN,
    DC_IPV4_BAD_TOTAL_LEN,
    DC_IPV6_TRUNCATED,
    DC_IPV6_BAD_VERSION,
    DC_IPV6_BAD_PAYLOAD_LEN,
    DC_IPV6_EXT_TRUNCATED,
    DC_IPV6_TOO_MANY_EXT,
    DC_FRAG_INVALID,
    DC_FRAG_TRUNCATED,
    DC_FRAG_OVERLAP,
    DC_FRAG_TOO_MANY_PARTS,
    DC_FRAG_TABLE_FULL,
    DC_FRAG_TIMEOUT,
    DC_FRAG_REASSEMBLED,
    DC_TCP_TRUNCATED,
    DC_TCP_BAD_HLEN,
    DC_UDP_TRUNCATED,
    DC_UDP_BAD_LEN,
    DC_ICMP_TRUNCATED,
    DC_ICMPV6_TRUNCATED,
    DC__COUNT
};

struct frag_table;

struct ta_decoder {
    struct ta_decode_opts o;
    uint64_t ctr[DC__COUNT];
    struct frag_table *ft;
    uint8_t *reasm; /* last reassembled datagram, freed on the next decode */
};

static inline void dc_count(struct ta_decoder *d, enum dc_reason r)
{
    d->ctr[r]++;
}

/* Network layer: c is positioned at the IP header. */
enum ta_decode_result ta__decode_ipv4(struct ta_decoder *d, struct ta_cursor *c,
                                      struct ta_packet *p, bool snapped);
enum ta_decode_result ta__decode_ipv6(struct ta_decoder *d, struct ta_cursor *c,
                                      struct ta_packet *p, bool snapped);
/* Transport layer over [data, data+len); proto is the IP protocol number. */
enum ta_decode_result ta__decode_transport(struct ta_decoder *d, struct ta_packet *p,
                                           const uint8_t *data, size_t len, bool snapped);

/* Fragment reassembly (decode-frag.c). */
struct frag_key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto;
    uint8_t version;
};
ta_err ta__frag_new(const struct ta_decode_opts *o, struct frag_table **out);
void ta__frag_free(struct frag_table *ft);
/*
 * Add one fragment (payload bytes at byte offset `off`; `more` is the MF
 * flag). Returns TA_DECODE_FRAG_HELD while incomplete, TA_DECODE_INVALID on a
 * bad fragment (counted), or TA_DECODE_OK with *out and *outlen the reassembled
 * payload (ownership to the caller, free()) and *wire the summed frame
 * lengths of all fragments.
 */
enum ta_decode_result ta__frag_add(struct ta_decoder *d, const struct frag_key *k, ta_time_us ts,
                                   uint32_t off, bool more, const uint8_t *data, size_t len,
                                   uint32_t wirelen, uint8_t **out, size_t *outlen, uint64_t *wire);

#endif
