/*
 * Live capture through AF_PACKET (Linux): one TPACKET_V3 ring per socket,
 * sockets joined in a PACKET_FANOUT group (hash of the flow, IPv4 fragments
 * reassembled before the hash), read by one thread each. The pipeline's
 * unordered worker set (src/pipeline/pipeline-live.c) runs one socket per
 * worker.
 *
 * Stage 1 of the pipeline, beside the libpcap source; see
 * include/threatatlas/source.h. The ring walker (ta_afpacket_walk_block)
 * reads block and frame headers the kernel wrote into shared memory: every
 * offset and length is checked against the block before use, and it builds
 * on every platform so that its tests and fuzz target run anywhere.
 */
#include "threatatlas/source.h"

#include <stdio.h>
#include <string.h>

#include "common/banned.h"

bool ta_capture_kind_parse(const char *s, enum ta_capture_kind *out)
{
    if (strcmp(s, "auto") == 0)
        *out = TA_CAPTURE_AUTO;
    else if (strcmp(s, "pcap") == 0)
        *out = TA_CAPTURE_PCAP;
    else if (strcmp(s, "afpacket") == 0)
        *out = TA_CAPTURE_AFPACKET;
    else
        return false;
    return true;
}

void ta_afpacket_opts_default(struct ta_afpacket_opts *o)
{
    o->block_size = 1u << 20;
    o->block_count = 16;
    o->block_timeout_ms = 10;
    o->fanout_group = 0;
}

/* ---- the ring walker ---------------------------------------------------- */

/*
 * The kernel's layouts (linux/if_packet.h), read by offset so that the
 * walker needs no kernel header and no alignment of its input:
 *
 *   block descriptor: u32 version, u32 offset_to_priv, then tpacket_hdr_v1:
 *     u32 block_status (8), u32 num_pkts (12), u32 offset_to_first_pkt (16),
 *     u32 blk_len (20), u64 seq_num, two timestamps
 *   tpacket3_hdr: u32 tp_next_offset (0), u32 tp_sec (4), u32 tp_nsec (8),
 *     u32 tp_snaplen (12), u32 tp_len (16), u32 tp_status (20), u16 tp_mac (24),
 *     u16 tp_net (26), then hv1: u32 tp_rxhash (28), u32 tp_vlan_tci (32),
 *     u16 tp_vlan_tpid (36), u16 padding; 48 bytes in all
 *   after it, aligned to 16: struct sockaddr_ll, whose sll_pkttype is at 10
 */
#define BLK_NUM_PKTS   12u
#define BLK_FIRST      16u
#define BLK_HDR_LEN    48u
#define FR_HDR_LEN     48u
#define FR_SLL_OFF     48u /* TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) */
#define SLL_PKTTYPE    10u
#define PKT_OUTGOING   4u /* PACKET_OUTGOING */
#define ST_VLAN_VALID  0x10u
#define ST_VLAN_TPID_V 0x40u

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

uint32_t ta_afpacket_walk_block(const uint8_t *blk, size_t len, bool skip_outgoing,
                                ta_afpacket_frame_cb cb, void *ud, uint64_t *bad)
{
    if (len < BLK_HDR_LEN) {
        (*bad)++;
        return 0;
    }
    uint32_t n = rd32(blk + BLK_NUM_PKTS);
    size_t off = rd32(blk + BLK_FIRST);
    uint32_t got = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* The header and the address after it, within the block. */
        if (off < BLK_HDR_LEN || off > len || len - off < FR_SLL_OFF + SLL_PKTTYPE + 1) {
            (*bad)++;
            return got;
        }
        const uint8_t *h = blk + off;
        uint32_t next = rd32(h);
        uint32_t snap = rd32(h + 12);
        uint32_t wire = rd32(h + 16);
        uint32_t status = rd32(h + 20);
        uint16_t mac = rd16(h + 24);
        if (mac < FR_HDR_LEN || mac > len - off || snap > len - off - mac) {
            (*bad)++;
            return got;
        }
        if (!(skip_outgoing && h[FR_SLL_OFF + SLL_PKTTYPE] == PKT_OUTGOING)) {
            struct ta_afpacket_frame f = {
                .data = h + mac,
                .caplen = snap,
                .wirelen = wire < snap ? snap : wire,
                .ts = (ta_time_us)rd32(h + 4) * 1000000u + rd32(h + 8) / 1000u,
                .vlan_tci = 0,
                .vlan_tpid = 0,
            };
            if (status & ST_VLAN_VALID) {
                f.vlan_tci = (uint16_t)rd32(h + 32);
                f.vlan_tpid = (status & ST_VLAN_TPID_V) && rd16(h + 36) ? rd16(h + 36) : 0x8100;
            }
            cb(ud, &f);
            got++;
        }
        if (i + 1 == n)
            break;
        /* Forward only: a zero or backward offset would walk the same bytes again. */
        if (next < FR_HDR_LEN || next > len - off) {
            (*bad)++;
            return got;
        }
        off += next;
    }
    return got;
}

#ifdef __linux__

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_FANOUT_FLAG_DEFRAG
#define PACKET_FANOUT_FLAG_DEFRAG 0x8000
#endif
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

/* A frame with its VLAN tag put back: the tag plus the largest snaplen. */
#define VLAN_BUF (262144u + 4u)

struct ta_afpacket {
    int fd;
    uint8_t *ring;
    size_t ring_len;
    uint32_t block_size, block_count, cur;
    int linktype;
    bool loopback;
    uint32_t snaplen, timeout_ms;
    char name[IF_NAMESIZE + 1];
    atomic_int stop; /* lock-free: set from another thread or a signal handler */
    ta_source_tick_cb tick;
    void *tick_ud;
    /* Delivery of the block being walked. */
    ta_source_cb cb;
    void *ud;
    uint8_t *vlanbuf;        /* allocated at the first tagged frame */
    uint64_t packets, bytes; /* the reading thread's */
    /* Published after each block for other threads (ta_afpacket_get_stats). */
    _Atomic uint64_t pub_packets, pub_bytes;
    uint64_t kernel_drops; /* summed over PACKET_STATISTICS reads */
    uint64_t bad;          /* malformed block or frame headers (a kernel bug: never expected) */
};

void ta_afpacket_close(struct ta_afpacket *s)
{
    if (s == NULL)
        return;
    if (s->ring != NULL)
        munmap(s->ring, s->ring_len);
    if (s->fd >= 0)
        close(s->fd);
    free(s->vlanbuf);
    free(s);
}

int ta_afpacket_linktype(const struct ta_afpacket *s)
{
    return s->linktype;
}

static ta_err fail_errno(struct ta_afpacket *s, ta_err code, char *errbuf, size_t errlen,
                         const char *what)
{
    int e = errno;
    snprintf(errbuf, errlen, "cannot capture on interface %s with AF_PACKET: %s: %s", s->name, what,
             strerror(e));
    if (code == TA_ERR_IO && (e == ENODEV || e == ENXIO))
        code = TA_ERR_NOTFOUND;
    ta_afpacket_close(s);
    return code;
}

/* The filter in the kernel: compiled by libpcap for the link type, as the pcap source does. */
static ta_err attach_filter(struct ta_afpacket *s, const char *bpf, char *errbuf, size_t errlen)
{
    if (bpf == NULL || bpf[0] == '\0')
        return TA_OK;
    pcap_t *dead = pcap_open_dead(s->linktype, (int)s->snaplen);
    if (dead == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", s->name);
        return TA_ERR_NOMEM;
    }
    struct bpf_program prog;
    if (pcap_compile(dead, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(errbuf, errlen, "invalid filter '%s': %s", bpf, pcap_geterr(dead));
        pcap_close(dead);
        return TA_ERR_ARG;
    }
    pcap_close(dead);
    /* struct bpf_insn and struct sock_filter are the same four fields. */
    struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
                            .filter = (struct sock_filter *)(void *)prog.bf_insns};
    int rc = setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
    int e = errno;
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: cannot set filter '%s': %s", s->name, bpf, strerror(e));
        return TA_ERR_ARG;
    }
    return TA_OK;
}

static bool fanout(struct ta_afpacket *s, uint16_t id, int mode)
{
    int arg = (int)(id | (unsigned)mode << 16);
    return setsockopt(s->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0;
}

/*
 * Join (*group set) or create the run's fanout group. On a loopback
 * interface what it sends comes back as received, so the group ignores the
 * outgoing copies where the kernel knows how (Linux 6.8 on); elsewhere the
 * ring holds them and the walker skips them.
 */
static ta_err join_fanout(struct ta_afpacket *s, const struct ta_afpacket_opts *ao, uint16_t *group,
                          char *errbuf, size_t errlen)
{
    int base = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    int modes[2] = {base | PACKET_FANOUT_FLAG_IGNORE_OUTGOING, base};
    int first = s->loopback ? 0 : 1;
    if (*group != 0) {
        /* The group's flags were set by its first socket: one of these matches them. */
        for (int m = first; m < 2; m++)
            if (fanout(s, *group, modes[m]))
                return TA_OK;
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "joining the fanout group");
    }
    /* A group of this run's own: another capture in this network namespace may hold an id. */
    uint16_t id = ao->fanout_group ? ao->fanout_group : (uint16_t)(getpid() & 0xffff);
    for (int tries = 0; tries < 64; tries++, id++) {
        if (id == 0)
            id = 1;
        for (int m = first; m < 2; m++) {
            if (fanout(s, id, modes[m])) {
                *group = id;
                return TA_OK;
            }
            if (errno != EINVAL && errno != EEXIST && errno != EALREADY)
                return fail_errno(s, TA_ERR_IO, errbuf, errlen, "creating a fanout group");
        }
    }
    return fail_errno(s, TA_ERR_IO, errbuf, errlen, "creating a fanout group");
}

ta_err ta_afpacket_open(const char *iface, const struct ta_source_opts *so,
                        const struct ta_afpacket_opts *ao, uint16_t *group,
                        struct ta_afpacket **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    long pg = sysconf(_SC_PAGESIZE);
    uint32_t page = pg > 0 ? (uint32_t)pg : 4096u;
    if (ao->block_size < (64u << 10) || ao->block_size % page != 0 || ao->block_count < 2 ||
        (uint64_t)ao->block_size * ao->block_count > (1ull << 32)) {
        snprintf(errbuf, errlen,
                 "%s: AF_PACKET ring of %u blocks of %u bytes: blocks must be a multiple of the "
                 "page size (%u) and at least 64 KiB, at least 2 of them, 4 GiB in all at most",
                 iface, ao->block_count, ao->block_size, page);
        return TA_ERR_ARG;
    }
    if (strlen(iface) >= IF_NAMESIZE) {
        snprintf(errbuf, errlen, "cannot capture on interface %s: no such device", iface);
        return TA_ERR_NOTFOUND;
    }
    struct ta_afpacket *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", iface);
        return TA_ERR_NOMEM;
    }
    s->fd = -1;
    snprintf(s->name, sizeof(s->name), "%s", iface);
    s->snaplen = so->snaplen ? so->snaplen : 262144u;
    if (s->snaplen > 262144u)
        s->snaplen = 262144u;
    s->timeout_ms = so->timeout_ms ? so->timeout_ms : 100;
    unsigned idx = if_nametoindex(iface);
    if (idx == 0)
        return fail_errno(s, TA_ERR_NOTFOUND, errbuf, errlen, "no such interface");
    /* Protocol 0: nothing is queued before the filter, the ring and the bind are in place. */
    s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, s->name, strlen(s->name));
    if (ioctl(s->fd, SIOCGIFHWADDR, &ifr) != 0)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "reading the link type");
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
        s->linktype = DLT_EN10MB;
        break;
    case ARPHRD_LOOPBACK:
        s->linktype = DLT_EN10MB;
        s->loopback = true;
        break;
    case ARPHRD_NONE: /* tun and other point-to-point links: IP from the first byte */
        s->linktype = DLT_RAW;
        break;
    default:
        snprintf(errbuf, errlen,
                 "cannot capture on interface %s with AF_PACKET: link type %u is not Ethernet "
                 "or raw IP",
                 s->name, (unsigned)ifr.ifr_hwaddr.sa_family);
        ta_afpacket_close(s);
        return TA_ERR_UNSUPPORTED;
    }
    int v = TPACKET_V3;
    if (setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "TPACKET_V3");
    ta_err te = attach_filter(s, so->bpf, errbuf, errlen);
    if (te != TA_OK) {
        ta_afpacket_close(s);
        return te;
    }
    struct tpacket_req3 req;
    memset(&req, 0, sizeof(req));
    req.tp_block_size = ao->block_size;
    req.tp_block_nr = ao->block_count;
    req.tp_frame_size = 2048; /* V3 packs frames of any size; the kernel checks only this */
    req.tp_frame_nr = ao->block_size / req.tp_frame_size * ao->block_count;
    req.tp_retire_blk_tov = ao->block_timeout_ms ? ao->block_timeout_ms : 10;
    if (setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "the ring (PACKET_RX_RING)");
    s->block_size = ao->block_size;
    s->block_count = ao->block_count;
    s->ring_len = (size_t)ao->block_size * ao->block_count;
    /* The ring is the kernel's memory, never swapped: no MAP_LOCKED (and no RLIMIT_MEMLOCK). */
    void *m = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (m == MAP_FAILED)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "mapping the ring");
    s->ring = m;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
        return fail_errno(s, TA_ERR_IO, errbuf, errlen, "bind");
    if (so->promisc) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof(mr));
        mr.mr_ifindex = (int)idx;
        mr.mr_type = PACKET_MR_PROMISC;
        if (setsockopt(s->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
            return fail_errno(s, TA_ERR_IO, errbuf, errlen, "promiscuous mode");
    }
    if ((te = join_fanout(s, ao, group, errbuf, errlen)) != TA_OK)
        return te;
    *out = s;
    return TA_OK;
}

void ta_afpacket_set_tick(struct ta_afpacket *s, ta_source_tick_cb tick, void *ud)
{
    s->tick = tick;
    s->tick_ud = ud;
}

void ta_afpacket_stop(struct ta_afpacket *s)
{
    atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
}

/* One frame of a block: the VLAN tag the kernel took off is put back, as libpcap does. */
static void deliver(void *ud, const struct ta_afpacket_frame *f)
{
    struct ta_afpacket *s = ud;
    const uint8_t *data = f->data;
    uint32_t caplen = f->caplen < s->snaplen ? f->caplen : s->snaplen;
    uint32_t wire = f->wirelen;
    if (f->vlan_tpid != 0 && s->linktype == DLT_EN10MB && caplen >= 12) {
        if (s->vlanbuf == NULL && (s->vlanbuf = malloc(VLAN_BUF)) == NULL)
            goto out; /* the frame goes without its tag */
        uint32_t n = caplen + 4 <= VLAN_BUF ? caplen : VLAN_BUF - 4;
        memcpy(s->vlanbuf, data, 12);
        s->vlanbuf[12] = (uint8_t)(f->vlan_tpid >> 8);
        s->vlanbuf[13] = (uint8_t)f->vlan_tpid;
        s->vlanbuf[14] = (uint8_t)(f->vlan_tci >> 8);
        s->vlanbuf[15] = (uint8_t)f->vlan_tci;
        memcpy(s->vlanbuf + 16, data + 12, n - 12);
        data = s->vlanbuf;
        caplen = n + 4;
        wire += 4;
    }
out:
    s->packets++;
    s->bytes += wire;
    s->cb(s->ud, s->linktype, f->ts, data, caplen, wire);
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Deliver the frames of the next block if the kernel has handed it over. */
static bool take_block(struct ta_afpacket *s)
{
    uint8_t *blk = s->ring + (size_t)s->cur * s->block_size;
    uint32_t *status = (uint32_t *)(void *)(blk + 8);
    if (!(__atomic_load_n(status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
        return false;
    ta_afpacket_walk_block(blk, s->block_size, s->loopback, deliver, s, &s->bad);
    /* The block goes back to the kernel only after its frames were used. */
    __atomic_store_n(status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    atomic_store_explicit(&s->pub_packets, s->packets, memory_order_relaxed);
    atomic_store_explicit(&s->pub_bytes, s->bytes, memory_order_relaxed);
    s->cur = (s->cur + 1) % s->block_count;
    return true;
}

ta_err ta_afpacket_run(struct ta_afpacket *s, ta_source_cb cb, void *ud, char *errbuf,
                       size_t errlen)
{
    s->cb = cb;
    s->ud = ud;
    uint64_t last_tick = mono_ms();
    for (;;) {
        if (atomic_load_explicit(&s->stop, memory_order_relaxed)) {
            /* What the kernel handed over before the stop is used, not thrown away. */
            for (uint32_t i = 0; i < s->block_count && take_block(s); i++)
                ;
            return TA_ERR_INTERRUPTED;
        }
        bool ready = take_block(s);
        uint64_t now = mono_ms();
        if (s->tick != NULL && (!ready || now - last_tick >= s->timeout_ms)) {
            last_tick = now;
            s->tick(s->tick_ud);
        }
        if (!ready && !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
            /* The wait is short so that a stop from another thread is seen promptly. */
            struct pollfd pfd = {.fd = s->fd, .events = POLLIN | POLLERR};
            int wait = s->timeout_ms < 50 ? (int)s->timeout_ms : 50;
            if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
                snprintf(errbuf, errlen, "capture on %s failed: %s", s->name, strerror(errno));
                return TA_ERR_IO;
            }
        }
    }
}

void ta_afpacket_get_stats(struct ta_afpacket *s, struct ta_source_stats *st)
{
    struct tpacket_stats_v3 ks;
    socklen_t len = sizeof(ks);
    memset(&ks, 0, sizeof(ks));
    if (s->fd >= 0 && getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
        s->kernel_drops += ks.tp_drops;
    memset(st, 0, sizeof(*st));
    st->packets = atomic_load_explicit(&s->pub_packets, memory_order_relaxed);
    st->bytes = atomic_load_explicit(&s->pub_bytes, memory_order_relaxed);
    st->kernel_drops = s->kernel_drops;
}

#else /* not Linux */

struct ta_afpacket {
    int unused;
};

ta_err ta_afpacket_open(const char *iface, const struct ta_source_opts *so,
                        const struct ta_afpacket_opts *ao, uint16_t *group,
                        struct ta_afpacket **out, char *errbuf, size_t errlen)
{
    (void)so;
    (void)ao;
    (void)group;
    *out = NULL;
    snprintf(errbuf, errlen, "cannot capture on interface %s with AF_PACKET: Linux only", iface);
    return TA_ERR_UNSUPPORTED;
}

void ta_afpacket_close(struct ta_afpacket *s)
{
    (void)s;
}

int ta_afpacket_linktype(const struct ta_afpacket *s)
{
    (void)s;
    return 0;
}

ta_err ta_afpacket_run(struct ta_afpacket *s, ta_source_cb cb, void *ud, char *errbuf,
                       size_t errlen)
{
    (void)s;
    (void)cb;
    (void)ud;
    (void)errbuf;
    (void)errlen;
    return TA_ERR_UNSUPPORTED;
}

void ta_afpacket_set_tick(struct ta_afpacket *s, ta_source_tick_cb tick, void *ud)
{
    (void)s;
    (void)tick;
    (void)ud;
}

void ta_afpacket_stop(struct ta_afpacket *s)
{
    (void)s;
}

void ta_afpacket_get_stats(struct ta_afpacket *s, struct ta_source_stats *st)
{
    (void)s;
    memset(st, 0, sizeof(*st));
}

#endif
