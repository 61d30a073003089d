/*
 * Packet crafting for threatatlas-gen: capture writers and packet builders.
 *
 * This is the bottom layer of the scenario generator (tools/gen), also usable
 * by benchmarks and tests that need exact, hand-made packets. It has no
 * dependency on the rest of the generator; link tools/gen/craft.c (or include
 * it) together with libthreatatlas (for ta_addr) and zlib.
 *
 * Contents:
 *   1. Capture writers: classic pcap (microsecond timestamps, any linktype
 *      and snaplen, optional gzip) and minimal pcapng (SHB, IDB, EPB).
 *   2. Frame builders: a struct tg_frame describes the link layer (Ethernet
 *      with 0-2 VLAN tags, Linux cooked v1 and v2, BSD loopback, raw IP) and
 *      the IP layer (v4 or v6, TTL, IP ID, DF, IPv4 options, IPv6 extension
 *      headers); tg_build_tcp/udp/icmp_echo
 *      write a complete frame with correct IP and L4 checksums.
 *   3. IPv4 and IPv6 fragmentation of a built frame into N fragments.
 *   4. A TCP session helper: handshake, data in both directions split at the
 *      MSS with ACKs, FIN teardown or RST, with consistent sequence numbers
 *      and timestamps, handing each frame to a callback.
 *
 * Nothing here allocates except the writers (one buffer each). Builders write
 * into caller storage and return the frame length, or 0 when the frame does
 * not fit in `cap` (never a partial frame).
 *
 * Prefix: tg_ (threatatlas-gen), to keep these symbols apart from the
 * library's ta_.
 */
#ifndef TG_CRAFT_H
#define TG_CRAFT_H

#include "threatatlas/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- 1. Capture writers ---------------------------------------------- */

#define TG_LINK_NULL 0   /* BSD loopback: 4-byte address family in host byte order */
#define TG_LINK_ETH  1   /* Ethernet II */
#define TG_LINK_RAW  101 /* raw IPv4/IPv6, no link header */
#define TG_LINK_SLL  113 /* Linux cooked capture v1 */
#define TG_LINK_SLL2 276 /* Linux cooked capture v2 */

struct tg_pcap_opts {
    uint32_t linktype; /* TG_LINK_* (default TG_LINK_ETH when 0 and !raw_linktype) */
    uint32_t snaplen;  /* 0 = 262144; records are cut to this many bytes */
    bool gzip;         /* write through zlib (gzip member), level `gzip_level` */
    int gzip_level;    /* 1..9; 0 = 6 */
    bool pcapng;       /* write pcapng (SHB, one IDB, EPBs) instead of classic pcap */
};

/* A capture file being written. Opaque. */
struct tg_pcap;

/*
 * Create (truncate) `path` and write the file header. opts may be NULL for
 * Ethernet, snaplen 262144, plain pcap. On success *out owns the file; close
 * it with tg_pcap_close.
 */
ta_err tg_pcap_open(struct tg_pcap **out, const char *path, const struct tg_pcap_opts *opts);

/*
 * Append one packet of `len` bytes seen at `ts` (microseconds since the epoch).
 * The record's original length is `len`; its captured length is
 * min(len, snaplen).
 */
ta_err tg_pcap_write(struct tg_pcap *w, ta_time_us ts, const uint8_t *pkt, size_t len);

/*
 * Append a record with explicit captured and original lengths (caplen bytes
 * of pkt are written; caplen is still cut to snaplen). For odd test inputs.
 */
ta_err tg_pcap_write_ex(struct tg_pcap *w, ta_time_us ts, const uint8_t *pkt, size_t caplen,
                        size_t origlen);

/* Flush and close; frees w. Accepts NULL. Returns the first error seen. */
ta_err tg_pcap_close(struct tg_pcap *w);

/* Packets written so far and bytes of packet data (captured lengths). */
uint64_t tg_pcap_packets(const struct tg_pcap *w);
uint64_t tg_pcap_bytes(const struct tg_pcap *w);

/* ---- 2. Frame builders -------------------------------------------------- */

/* Largest frame any builder writes (jumbo payload plus headers). */
#define TG_FRAME_MAX 9300

/* IPv6 extension header types understood by tg_frame.v6_ext. */
#define TG_V6_HOPOPTS  0  /* hop-by-hop options (8 bytes, PadN) */
#define TG_V6_ROUTING  43 /* routing header type 0, no addresses, segments left 0 */
#define TG_V6_FRAGMENT 44 /* fragment header: atomic fragment (offset 0, M=0) */
#define TG_V6_DSTOPTS  60 /* destination options (8 bytes, PadN) */

/*
 * Everything below the transport layer of one direction of traffic. Zeroed
 * fields are sensible: TTL 0 becomes 64, linktype 0 becomes Ethernet, MACs
 * all-zero are replaced by addresses derived from the IPs (unless zero_macs),
 * every checksum is computed (unless no_checksum).
 */
struct tg_frame {
    uint32_t linktype; /* TG_LINK_ETH (also when 0), _SLL, _SLL2, _RAW or TG_LINK_NULL with
                          null_link set */
    bool null_link;    /* linktype 0 means BSD loopback, not Ethernet */
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint8_t nvlan;      /* 0, 1 (802.1Q) or 2 (QinQ: outer 0x88a8, inner 0x8100) */
    uint16_t vlan[2];   /* VLAN IDs, outer first */
    struct ta_addr src; /* family 4 or 6; src and dst must match */
    struct ta_addr dst;
    uint8_t ttl;         /* TTL / hop limit */
    uint8_t tos;         /* TOS / traffic class */
    uint16_t ip_id;      /* IPv4 identification */
    bool df;             /* IPv4 don't-fragment */
    uint8_t ip_optlen;   /* IPv4 option bytes (multiple of 4, at most 40): NOPs, then EOL */
    uint32_t flow_label; /* IPv6 */
    uint8_t nv6_ext;     /* IPv6 extension headers, in order */
    uint8_t v6_ext[4];
    uint32_t v6_frag_id; /* identification for TG_V6_FRAGMENT */
    bool zero_macs;      /* keep all-zero MACs as they are instead of deriving them */
    bool no_checksum;    /* leave the IPv4 header and L4 checksums 0, as a capture taken
                            on a sender with checksum offload shows them */
};

/* TCP flag bits. */
#define TG_FIN 0x01
#define TG_SYN 0x02
#define TG_RST 0x04
#define TG_PSH 0x08
#define TG_ACK 0x10
#define TG_URG 0x20

struct tg_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    /* Options (normally only on SYN / SYN-ACK), written in the order Linux uses:
     * MSS, SACK-permitted, timestamps, NOP, window scale. */
    uint16_t mss; /* 0 = no MSS option */
    bool sack_perm;
    bool ts; /* timestamps option with tsval/tsecr */
    uint32_t tsval, tsecr;
    int8_t wscale; /* <0 = no window-scale option */
};

/* Length of the link-layer header f produces for an IP packet. */
size_t tg_l2_len(const struct tg_frame *f);

/* Length of the IP header(s), including IPv6 extension headers. */
size_t tg_ip_hdr_len(const struct tg_frame *f);

/* Complete frame: link + IP + TCP (+options) + payload. */
size_t tg_build_tcp(uint8_t *out, size_t cap, const struct tg_frame *f, const struct tg_tcp *t,
                    const uint8_t *payload, size_t plen);

/* Complete frame: link + IP + UDP + payload (checksum always computed). */
size_t tg_build_udp(uint8_t *out, size_t cap, const struct tg_frame *f, uint16_t sport,
                    uint16_t dport, const uint8_t *payload, size_t plen);

/* ICMP echo request/reply (ICMPv4 type 8/0, or ICMPv6 128/129 for v6 frames). */
size_t tg_build_icmp_echo(uint8_t *out, size_t cap, const struct tg_frame *f, bool reply,
                          uint16_t id, uint16_t seq, const uint8_t *payload, size_t plen);

/*
 * Any IP protocol: the l4 bytes are copied after the IP header unchanged
 * (the caller computed any checksum, e.g. with tg_l4_checksum).
 */
size_t tg_build_ip(uint8_t *out, size_t cap, const struct tg_frame *f, uint8_t proto,
                   const uint8_t *l4, size_t l4len);

/* Internet checksum (RFC 1071) of data, as it should be stored (big endian). */
uint16_t tg_inet_checksum(const void *data, size_t len);

/* TCP/UDP/ICMPv6 checksum with the pseudo header of src/dst (v4 or v6). */
uint16_t tg_l4_checksum(const struct ta_addr *src, const struct ta_addr *dst, uint8_t proto,
                        const uint8_t *l4, size_t len);

/* ---- 3. IPv4 and IPv6 fragmentation ------------------------------------- */

/*
 * Fragment number i (0-based) of nfrag of the complete, unfragmented IPv4
 * frame `frame` (whose link header is l2len bytes). The IP payload is split
 * into nfrag pieces, each a multiple of 8 bytes except the last; every
 * fragment keeps the ID, gets MF except the last, its offset, its own total
 * length and header checksum. Returns the fragment frame's length, or 0 if i
 * is out of range, the payload is too short for nfrag pieces, or cap is small.
 */
size_t tg_ipv4_fragment(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, size_t l2len,
                        unsigned nfrag, unsigned i);

/*
 * The same for IPv6: fragment i of nfrag of the complete frame `frame`, whose
 * IPv6 header (at l2len) has no extension headers. Each fragment gets a
 * fragment header with identification `id`, its offset and M except the
 * last; the whole IPv6 payload (upper-layer header included) is the
 * fragmentable part, split as for IPv4.
 */
size_t tg_ipv6_fragment(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, size_t l2len,
                        uint32_t id, unsigned nfrag, unsigned i);

/* ---- 4. TCP session helper ---------------------------------------------- */

/* Receives every frame of a session in timestamp order. Non-zero stops it. */
typedef ta_err (*tg_emit_fn)(void *ctx, ta_time_us ts, const uint8_t *frame, size_t len);

/*
 * One TCP connection as seen by a capture point next to the client: client
 * packets appear at the session clock, the server's answers one RTT later.
 * Fill with tg_tcp_sess_init, then call open / send ... / close or reset.
 * The caller may change c2s/s2c (TTL, MACs) and mss/gap_us after init.
 */
struct tg_tcp_sess {
    struct tg_frame c2s, s2c; /* per-direction templates; ip_id increments per packet */
    uint16_t cport, sport;
    uint32_t cnxt, snxt;         /* next sequence number each side will send */
    uint16_t mss;                /* segment size (default 1460; 1440 for IPv6) */
    uint16_t cwin, swin;         /* advertised windows (scaled values on the wire) */
    uint32_t rtt_us;             /* round-trip time client <-> server */
    uint32_t gap_us;             /* spacing of back-to-back segments (default 20) */
    uint32_t ack_delay_us;       /* client's delay before ACKing server data (default 40) */
    uint32_t tsc, tss;           /* TCP timestamp clocks (ms) */
    uint32_t tsc_sent, tss_sent; /* latest tsval each side put on the wire, echoed as tsecr */
    ta_time_us now;              /* time of the last emitted packet */
    bool last_from_client;       /* who sent the last data */
    bool established;
    tg_emit_fn emit;
    void *ctx;
    uint64_t packets, bytes; /* frames emitted, frame bytes emitted */
    uint8_t buf[TG_FRAME_MAX];
};

/*
 * Prepare a session. `c2s` gives link and addresses from client to server
 * (the reverse template is derived by swapping addresses, MACs and VLANs;
 * its TTL is 64 until the caller sets s->s2c.ttl). isn_c / isn_s are the
 * initial sequence numbers.
 * `start` is the time of the SYN.
 */
void tg_tcp_sess_init(struct tg_tcp_sess *s, const struct tg_frame *c2s, uint16_t cport,
                      uint16_t sport, ta_time_us start, uint32_t rtt_us, uint32_t isn_c,
                      uint32_t isn_s, tg_emit_fn emit, void *ctx);

/* SYN (with MSS, SACK-permitted, timestamps, wscale 7), SYN-ACK, ACK. */
ta_err tg_tcp_sess_open(struct tg_tcp_sess *s);

/* Only a SYN (no answer): a scan or an unanswered connection attempt. */
ta_err tg_tcp_sess_syn_only(struct tg_tcp_sess *s);

/*
 * Send len bytes from one side, in MSS-sized segments (PSH on the last),
 * each ACKed by the peer (every second segment and the last; server ACKs
 * appear one RTT after the segment, client ACKs ack_delay_us after). The
 * first segment goes gap_us after the session clock, so a server answer
 * follows its ACK of the request, one RTT after the request.
 */
ta_err tg_tcp_sess_send(struct tg_tcp_sess *s, bool from_client, const void *data, size_t len);

/* Advance the session clock (think time) without sending. */
void tg_tcp_sess_wait(struct tg_tcp_sess *s, uint64_t us);

/* FIN from one side, FIN+ACK from the other, final ACK. */
ta_err tg_tcp_sess_close(struct tg_tcp_sess *s, bool client_first);

/* RST+ACK from one side; the connection is over. */
ta_err tg_tcp_sess_reset(struct tg_tcp_sess *s, bool from_client);

#endif
