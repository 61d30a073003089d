/*
 * Packet sources: capture files (pcap, pcapng, either gzip-compressed) and
 * live interfaces, through libpcap, with an optional BPF filter.
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

#endif
