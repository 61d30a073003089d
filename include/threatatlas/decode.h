/*
 * Packet decoding: link layer -> IP -> transport, into a struct ta_packet.
 *
 * Stage 2 of the pipeline (sources -> decode -> flow -> proto -> ...).
 * The decoder owns a bounded IPv4/IPv6 fragment reassembly table and the
 * per-reason counters of malformed input. Malformed or truncated packets are
 * never errors: they are counted by reason and skipped.
 */
#ifndef THREATATLAS_DECODE_H
#define THREATATLAS_DECODE_H

#include "threatatlas/common.h"

/* Link types (values are libpcap's DLT_/LINKTYPE_ numbers). */
#define TA_LINK_NULL       0
#define TA_LINK_ETHERNET   1
#define TA_LINK_RAW        101
#define TA_LINK_LINUX_SLL  113
#define TA_LINK_IPV4       228
#define TA_LINK_IPV6       229
#define TA_LINK_LINUX_SLL2 276

/* TCP flag bits as on the wire. */
#define TA_TCP_FIN 0x01
#define TA_TCP_SYN 0x02
#define TA_TCP_RST 0x04
#define TA_TCP_PSH 0x08
#define TA_TCP_ACK 0x10
#define TA_TCP_URG 0x20

/*
 * A decoded packet. Pointers are borrowed views into the captured frame (or,
 * for a reassembled fragment, into the decoder's buffer) and are valid only
 * until the next call to ta_decoder_decode().
 */
struct ta_packet {
    ta_time_us ts;
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire (frame length) */
    uint8_t ip_version;
    uint8_t ip_proto; /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, other */
    uint8_t ttl;
    uint8_t vlan_count;
    uint16_t vlan_id[2];
    struct ta_addr src, dst;
    uint16_t sport, dport; /* ICMP: sport = type, dport = code (as Suricata) */
    uint8_t tcp_flags;
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint8_t icmp_type, icmp_code;
    bool reassembled;       /* payload comes from IP fragment reassembly */
    const uint8_t *payload; /* transport payload */
    uint32_t payload_len;
};

/* Result of decoding one frame. */
enum ta_decode_result {
    TA_DECODE_OK = 0,    /* pkt is filled */
    TA_DECODE_FRAG_HELD, /* an IP fragment was stored; nothing to process yet */
    TA_DECODE_SKIPPED,   /* not IP (ARP, LLDP...): counted, not an error */
    TA_DECODE_INVALID,   /* malformed/truncated: counted by reason */
};

struct ta_decode_opts {
    uint32_t max_frag_datagrams; /* datagrams under reassembly at once (default 1024) */
    size_t max_frag_bytes;       /* total bytes held for reassembly (default 8 MiB) */
    uint32_t frag_timeout_s;     /* drop incomplete datagrams after this (default 30) */
};

void ta_decode_opts_default(struct ta_decode_opts *o);

struct ta_decoder;

ta_err ta_decoder_new(const struct ta_decode_opts *opts, struct ta_decoder **out);
void ta_decoder_free(struct ta_decoder *d);

enum ta_decode_result ta_decoder_decode(struct ta_decoder *d, int linktype, ta_time_us ts,
                                        const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                                        struct ta_packet *pkt);

/*
 * Counters: one per failure reason, named for the stats record.
 * ta_decoder_counter_count() reasons, each with a stable snake_case name.
 */
size_t ta_decoder_counter_count(void);
const char *ta_decoder_counter_name(size_t i);
uint64_t ta_decoder_counter(const struct ta_decoder *d, size_t i);
/* Add src's counters to dst's (the totals of several decoders, one per worker). */
void ta_decoder_absorb(struct ta_decoder *dst, const struct ta_decoder *src);
/* True for the reasons that count skipped (non-IP) frames, not malformed ones. */
bool ta_decoder_counter_is_skip(size_t i);

#endif
