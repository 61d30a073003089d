/*
 * Packet sources: capture files (pcap, pcapng, either gzip-compressed) and
 * live interfaces, through libpcap, with an optional BPF filter; and, for a
 * live capture on many cores (Linux), AF_PACKET sockets with TPACKET_V3
 * rings in a fanout group (the second half of this header).
 *
 * Stage 1 of the pipeline. A source delivers frames with their link type,
 * packet timestamp (microseconds) and captured/wire lengths to a callback;
 * it knows nothing of decoding. Errors are returned as ta_err with a one-line
 * explanation (naming the file or interface) in the caller's errbuf.
 */
#ifndef THREATATLAS_SOURCE_H
#define THREATATLAS_SOURCE_H

#include "threatatlas/common.h"

#define TA_SOURCE_ERRLEN 512

struct ta_source_opts {
    const char *bpf;     /* BPF filter expression, NULL or "" for none */
    uint32_t snaplen;    /* live capture: bytes per packet (default 262144) */
    bool promisc;        /* live capture: promiscuous mode (default true) */
    uint32_t timeout_ms; /* live capture: read timeout (default 100) */
};

void ta_source_opts_default(struct ta_source_opts *o);

struct ta_source;

/*
 * Open a capture file. gzip-compressed files are recognised by their magic
 * bytes. Errors: TA_ERR_IO (cannot open/read: errbuf names the file and the
 * reason), TA_ERR_FORMAT (not a pcap/pcapng capture, including an empty
 * file), TA_ERR_ARG (the BPF filter does not compile), TA_ERR_NOMEM.
 */
ta_err ta_source_open_file(const char *path, const struct ta_source_opts *o, struct ta_source **out,
                           char *errbuf, size_t errlen);
/* Open a live interface (needs capture privileges). */
ta_err ta_source_open_live(const char *iface, const struct ta_source_opts *o,
                           struct ta_source **out, char *errbuf, size_t errlen);
void ta_source_close(struct ta_source *s);

/* The file path or interface name given at open. */
const char *ta_source_name(const struct ta_source *s);

typedef void (*ta_source_cb)(void *ud, int linktype, ta_time_us ts, const uint8_t *frame,
                             uint32_t caplen, uint32_t wirelen);

/*
 * Deliver every frame to cb until the end of the file, ta_source_stop(), or
 * an error. Returns TA_OK at the end of input, TA_ERR_INTERRUPTED after a
 * stop, TA_ERR_TRUNCATED when a file ends mid-record (every complete frame
 * before the damage was delivered; errbuf says where), TA_ERR_IO on a read
 * error from a live interface.
 */
ta_err ta_source_run(struct ta_source *s, ta_source_cb cb, void *ud, char *errbuf, size_t errlen);

/*
 * Live sources: call tick(ud) between frames at least every read timeout
 * (timeout_ms) while the capture runs, whether packets arrive or not, so
 * that the caller can act on the wall clock (expire idle flows, commit,
 * reload). Capture files never call it.
 */
typedef void (*ta_source_tick_cb)(void *ud);
void ta_source_set_tick(struct ta_source *s, ta_source_tick_cb tick, void *ud);

/*
 * Frames that outlive the frame callback, for a caller that hands them to
 * other threads. With release set, the frames a plain pcap file's mapping
 * delivers (ta_source_frame_kept() is true inside the callback) stay
 * readable after the callback returns: before unmapping any of them the
 * source calls release(ud, n), after which the first n frames this source
 * delivered (counted from 0 since it was opened) are no longer read. Other
 * frames are valid only during the callback, as without release.
 */
typedef void (*ta_source_release_cb)(void *ud, uint64_t n);
void ta_source_set_release(struct ta_source *s, ta_source_release_cb release, void *ud);
bool ta_source_frame_kept(const struct ta_source *s);

/* Ask a running source to stop; safe to call from a signal handler. */
void ta_source_stop(struct ta_source *s);

struct ta_source_stats {
    uint64_t packets;      /* frames delivered */
    uint64_t bytes;        /* sum of wire lengths delivered */
    uint64_t kernel_drops; /* live: dropped by the kernel (pcap_stats) */
    uint64_t iface_drops;  /* live: dropped by the interface */
};
void ta_source_get_stats(struct ta_source *s, struct ta_source_stats *st);

/* Capture-level totals for the stats record, summed by the caller over sources. */
struct ta_capture_stats {
    uint64_t files;           /* files read */
    uint64_t truncated_files; /* files that ended mid-record */
    uint64_t kernel_drops;
};

/*
 * Live capture on many cores (Linux): AF_PACKET sockets with a TPACKET_V3
 * ring each, joined in one PACKET_FANOUT group so that the kernel spreads
 * the interface's frames over the sockets by a hash of the flow (the same
 * both ways; PACKET_FANOUT_FLAG_DEFRAG reassembles IPv4 fragments before
 * the hash, so a datagram reaches one socket whole). Each socket is read by
 * its own thread. Libpcap stays the source of files, of -i with one thread
 * and of every platform or interface where these cannot be opened.
 *
 * The ring of a socket is block_count blocks of block_size bytes (kernel
 * memory, locked, allocated at open). The kernel hands a block over when it
 * is full or block_timeout_ms after its first frame.
 */
enum ta_capture_kind {
    TA_CAPTURE_AUTO,     /* afpacket for -i with several threads on Linux, else pcap */
    TA_CAPTURE_PCAP,     /* libpcap (files always) */
    TA_CAPTURE_AFPACKET, /* AF_PACKET with TPACKET_V3 and fanout, or fail */
};
/* "auto", "pcap", "afpacket"; false for anything else. */
bool ta_capture_kind_parse(const char *s, enum ta_capture_kind *out);

struct ta_afpacket_opts {
    uint32_t block_size;       /* bytes, a multiple of the page size, >= 64 KiB (default 1 MiB) */
    uint32_t block_count;      /* blocks of this socket's ring, >= 2 (default 16) */
    uint32_t block_timeout_ms; /* a partly filled block is handed over after this (default 10) */
    uint16_t fanout_group;     /* the group's id; 0: one from the process id */
};
void ta_afpacket_opts_default(struct ta_afpacket_opts *o);

struct ta_afpacket;

/*
 * Open one socket of a fanout group on iface: promiscuous when so->promisc,
 * so->bpf compiled with libpcap for the interface's link type and attached
 * with SO_ATTACH_FILTER, frames cut at so->snaplen. The first socket of a
 * group takes ao->fanout_group (or a free id near it) and *group says which;
 * later ones join *group. Errors (one line in errbuf naming the interface):
 * TA_ERR_NOTFOUND (no such interface), TA_ERR_UNSUPPORTED (not Linux, or a
 * link type this reader does not handle), TA_ERR_ARG (bad ring geometry or
 * filter), TA_ERR_IO (no permission, the kernel refused the ring or fanout).
 */
ta_err ta_afpacket_open(const char *iface, const struct ta_source_opts *so,
                        const struct ta_afpacket_opts *ao, uint16_t *group,
                        struct ta_afpacket **out, char *errbuf, size_t errlen);
void ta_afpacket_close(struct ta_afpacket *s);
/* The link type of the frames delivered: libpcap's DLT_ value, as the pcap source gives it. */
int ta_afpacket_linktype(const struct ta_afpacket *s);

/*
 * Deliver frames to cb until ta_afpacket_stop(); tick(ud) (set with
 * ta_afpacket_set_tick) runs at least every so->timeout_ms meanwhile.
 * Returns TA_ERR_INTERRUPTED after a stop, TA_ERR_IO when polling the socket
 * fails. Call from one thread; the callbacks run on it.
 */
ta_err ta_afpacket_run(struct ta_afpacket *s, ta_source_cb cb, void *ud, char *errbuf,
                       size_t errlen);
void ta_afpacket_set_tick(struct ta_afpacket *s, ta_source_tick_cb tick, void *ud);
/* Safe from a signal handler or another thread. */
void ta_afpacket_stop(struct ta_afpacket *s);
/*
 * packets and bytes: as delivered, up to the last block handed back (any
 * thread); kernel_drops: the kernel's PACKET_STATISTICS drops (ring full),
 * summed over calls (the kernel resets them at each read), so call it from
 * one thread at a time.
 */
void ta_afpacket_get_stats(struct ta_afpacket *s, struct ta_source_stats *st);

/*
 * The ring walker, on its own for tests: the frames of one block the
 * kernel handed over (TPACKET_V3 block descriptor, then frames), each
 * checked to lie within the block's len bytes (a header, a frame or a next
 * offset pointing outside ends the walk and counts in *bad). Frames the
 * kernel sent out on a loopback interface (seen again as received) are
 * skipped when skip_outgoing. VLAN tags the kernel took off are reported in
 * the frame, not put back (the reader does that).
 */
struct ta_afpacket_frame {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    ta_time_us ts;
    uint16_t vlan_tci, vlan_tpid; /* vlan_tpid 0: no tag was taken off */
};
typedef void (*ta_afpacket_frame_cb)(void *ud, const struct ta_afpacket_frame *f);
/* Returns the frames delivered. */
uint32_t ta_afpacket_walk_block(const uint8_t *blk, size_t len, bool skip_outgoing,
                                ta_afpacket_frame_cb cb, void *ud, uint64_t *bad);

#endif
