/*
 * Packet sources through libpcap: pcap/pcapng files, gzip-compressed files
 * (decompressed on the fly through a stdio cookie over zlib), live
 * interfaces, and BPF filters on both.
 *
 * Stage 1 of the pipeline; see include/threatatlas/source.h.
 */
#include "threatatlas/source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/banned.h"

struct ta_source {
    pcap_t *pc;
    char *name;
    bool live;
    volatile sig_atomic_t stop;
    struct ta_source_stats st;
    char *iobuf; /* stdio buffer of the capture file; freed after pcap_close() */
    /* Mapped reading of a plain pcap file (see map_run); fd < 0 when off. */
    int map_fd;
    bool map_swapped, map_nano;
    uint64_t map_size, map_off; /* file size, offset of the next record */
    struct bpf_program prog;    /* the filter, for pcap_offline_filter() */
    bool have_prog;
    /* Live: the read timeout, and the tick called at least that often. */
    uint32_t timeout_ms;
    ta_source_tick_cb tick;
    void *tick_ud;
    /* Frames kept past the callback (ta_source_set_release); map_kept while map_run delivers. */
    ta_source_release_cb release;
    void *release_ud;
    bool map_kept;
    void *gz; /* gzFile of a compressed file (owned by its stdio cookie), for messages */
};

/*
 * Plain (uncompressed) pcap files in the classic format are read through a
 * small sliding mmap window instead of libpcap's fread() path: frames are
 * handed to the callback straight from the page cache, without the kernel's
 * copy into a stdio buffer and libpcap's copy out of it. Only records that
 * libpcap itself would deliver unchanged take this path (caplen within the
 * file's snapshot length and the file); at the first other record the file
 * position is handed back to libpcap, which then produces exactly what it
 * always does (its salvage of oversized records, its truncation errors).
 * The window bounds what the mapping adds to resident memory. Mapping
 * measured about 0.1 CPU-s per GB cheaper than pread() into a buffer (the
 * kernel's copy costs more than setting up the page tables).
 */
#define MAP_WINDOW     (2u << 20)
#define MAP_MAX_CAPLEN 262144u
/*
 * With a release callback MAP_KEPT windows of MAP_WINDOW / MAP_KEPT bytes
 * (at least the largest record from its page) stay mapped, about the
 * resident memory of one window, and the oldest goes when a new one is
 * mapped: the frames the caller must be done with are then 1.5-1.75 MiB
 * behind the one being read instead of the window just left, so a caller
 * that hands frames to other threads need not wait for them to catch up at
 * every window (it did at most windows with two).
 */
#define MAP_KEPT 8u

/*
 * Read buffer of a capture file. stdio's default (the 4 KiB block size)
 * makes a read() every few packets; a larger one cuts the system calls.
 * Every open source holds one until closed (observe and analyze open all
 * their files first), so it stays modest.
 */
#define SOURCE_IOBUF (1u << 16)

void ta_source_opts_default(struct ta_source_opts *o)
{
    o->bpf = NULL;
    o->snaplen = 262144;
    o->promisc = true;
    o->timeout_ms = 100;
}

/* stdio cookie over a gzFile so that pcap_fopen_offline() reads plain bytes. */
static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
    unsigned n = size > (1u << 30) ? (1u << 30) : (unsigned)size;
    int r = gzread((gzFile)cookie, buf, n);
    if (r < 0) {
        /* A damaged gzip stream ends the input like a truncated file does. */
        errno = EIO;
        return -1;
    }
    return r;
}

/*
 * Whether the gzip stream under a compressed capture is damaged (a CRC or
 * data error, not the end of a cut file, which reads as truncation): libpcap
 * only sees a failed read, so the message comes from zlib.
 */
static bool gz_damage(void *z, char *msg, size_t cap)
{
    if (z == NULL)
        return false;
    int zerr = Z_OK;
    const char *m = gzerror((gzFile)z, &zerr);
    if (zerr == Z_OK || zerr == Z_BUF_ERROR)
        return false;
    /* gzdopen() names the stream "<fd:N>": the path is in the message already. */
    if (m != NULL && strncmp(m, "<fd:", 4) == 0 && strstr(m, ": ") != NULL)
        m = strstr(m, ": ") + 2;
    snprintf(msg, cap, "damaged gzip stream (%s)", m != NULL && m[0] ? m : "zlib error");
    return true;
}

static int gz_close(void *cookie)
{
    return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

static ta_err apply_filter(struct ta_source *s, const char *bpf, char *errbuf, size_t errlen)
{
    if (bpf == NULL || bpf[0] == '\0')
        return TA_OK;
    struct bpf_program prog;
    if (pcap_compile(s->pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(errbuf, errlen, "invalid filter '%s': %s", bpf, pcap_geterr(s->pc));
        return TA_ERR_ARG;
    }
    int rc = pcap_setfilter(s->pc, &prog);
    if (rc == 0) {
        s->prog = prog; /* kept for the mapped path; freed at close */
        s->have_prog = true;
    } else {
        pcap_freecode(&prog);
    }
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: cannot set filter '%s': %s", s->name, bpf,
                 pcap_geterr(s->pc));
        return TA_ERR_ARG;
    }
    return TA_OK;
}

static struct ta_source *source_alloc(const char *name)
{
    struct ta_source *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    size_t n = strlen(name) + 1;
    s->name = malloc(n);
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    memcpy(s->name, name, n);
    s->map_fd = -1;
    return s;
}

static inline uint32_t rd32(const uint8_t *p, bool swapped)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swapped ? __builtin_bswap32(v) : v;
}

/* Decide whether the file takes the mapped path: classic pcap 2.4 only. */
static void map_setup(struct ta_source *s, uint64_t size)
{
    uint8_t h[24];
    int fd = fileno(pcap_file(s->pc));
    if (fd < 0 || size < 24 || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return;
    uint32_t magic = rd32(h, false);
    bool swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = false;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swapped = true;
    else
        return; /* pcapng or a variant libpcap handles itself */
    /* Version: two 16-bit fields in the file's byte order. */
    unsigned major = swapped ? (unsigned)(h[4] << 8 | h[5]) : (unsigned)(h[5] << 8 | h[4]);
    unsigned minor = swapped ? (unsigned)(h[6] << 8 | h[7]) : (unsigned)(h[7] << 8 | h[6]);
    if (major != 2 || minor != 4)
        return;
    s->map_fd = fd;
    s->map_swapped = swapped;
    s->map_nano = (magic == 0xa1b23c4du || magic == 0x4d3cb2a1u);
    s->map_size = size;
    s->map_off = 24;
}

ta_err ta_source_open_file(const char *path, const struct ta_source_opts *o, struct ta_source **out,
                           char *errbuf, size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    struct ta_source_opts def;
    if (o == NULL) {
        ta_source_opts_default(&def);
        o = &def;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return TA_ERR_IO;
    }
    char *iobuf = malloc(SOURCE_IOBUF);
    if (iobuf != NULL && setvbuf(f, iobuf, _IOFBF, SOURCE_IOBUF) != 0) {
        free(iobuf);
        iobuf = NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || S_ISDIR(sb.st_mode)) {
        snprintf(errbuf, errlen, "cannot read %s: %s", path,
                 S_ISDIR(sb.st_mode) ? "is a directory" : strerror(errno));
        fclose(f);
        free(iobuf);
        return TA_ERR_IO;
    }
    if (sb.st_size == 0) {
        snprintf(errbuf, errlen, "%s: not a pcap or pcapng capture (empty file)", path);
        fclose(f);
        free(iobuf);
        return TA_ERR_FORMAT;
    }
    uint8_t magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    if (ferror(f)) {
        snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
        fclose(f);
        free(iobuf);
        return TA_ERR_IO;
    }
    rewind(f);
    bool gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    gzFile z = NULL;
    if (gz) {
        int fd = dup(fileno(f));
        fclose(f);
        free(iobuf);
        iobuf = NULL;
        z = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (z == NULL) {
            snprintf(errbuf, errlen, "cannot read %s: gzip open failed", path);
            return TA_ERR_IO;
        }
        gzbuffer(z, 1u << 18);
        cookie_io_functions_t io = {.read = gz_read, .close = gz_close};
        f = fopencookie(z, "rb", io);
        if (f == NULL) {
            gzclose(z);
            snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
            return TA_ERR_NOMEM;
        }
    }
    /* libpcap owns f from here and closes it with pcap_close(). */
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, pe);
    if (pc == NULL) {
        char zmsg[160];
        if (gz_damage(z, zmsg, sizeof(zmsg)))
            snprintf(errbuf, errlen, "%s: %s", path, zmsg);
        else
            snprintf(errbuf, errlen, "%s: not a pcap or pcapng capture%s (%s)", path,
                     gz ? " after gzip decompression" : "", pe);
        fclose(f);
        free(iobuf);
        return TA_ERR_FORMAT;
    }
    struct ta_source *s = source_alloc(path);
    if (s == NULL) {
        pcap_close(pc);
        free(iobuf);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return TA_ERR_NOMEM;
    }
    s->pc = pc;
    s->iobuf = iobuf;
    s->gz = z;
    ta_err err = apply_filter(s, o->bpf, errbuf, errlen);
    if (err != TA_OK) {
        ta_source_close(s);
        return err;
    }
    if (!gz && S_ISREG(sb.st_mode))
        map_setup(s, (uint64_t)sb.st_size);
    *out = s;
    return TA_OK;
}

ta_err ta_source_open_live(const char *iface, const struct ta_source_opts *o,
                           struct ta_source **out, char *errbuf, size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    struct ta_source_opts def;
    if (o == NULL) {
        ta_source_opts_default(&def);
        o = &def;
    }
    pcap_t *pc = pcap_create(iface, pe);
    if (pc == NULL) {
        snprintf(errbuf, errlen, "cannot open interface %s: %s", iface, pe);
        return TA_ERR_IO;
    }
    pcap_set_snaplen(pc, (int)o->snaplen);
    pcap_set_promisc(pc, o->promisc ? 1 : 0);
    pcap_set_timeout(pc, (int)o->timeout_ms);
    pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(pc);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR ? pcap_geterr(pc) : pcap_statustostr(rc);
        snprintf(errbuf, errlen, "cannot capture on interface %s: %s", iface, why);
        pcap_close(pc);
        return rc == PCAP_ERROR_NO_SUCH_DEVICE ? TA_ERR_NOTFOUND : TA_ERR_IO;
    }
    struct ta_source *s = source_alloc(iface);
    if (s == NULL) {
        pcap_close(pc);
        snprintf(errbuf, errlen, "%s: out of memory", iface);
        return TA_ERR_NOMEM;
    }
    s->pc = pc;
    s->live = true;
    s->timeout_ms = o->timeout_ms ? o->timeout_ms : 100;
    ta_err err = apply_filter(s, o->bpf, errbuf, errlen);
    if (err != TA_OK) {
        ta_source_close(s);
        return err;
    }
    *out = s;
    return TA_OK;
}

void ta_source_close(struct ta_source *s)
{
    if (s == NULL)
        return;
    if (s->have_prog)
        pcap_freecode(&s->prog);
    if (s->pc != NULL)
        pcap_close(s->pc);
    free(s->iobuf);
    free(s->name);
    free(s);
}

const char *ta_source_name(const struct ta_source *s)
{
    return s->name;
}

void ta_source_stop(struct ta_source *s)
{
    s->stop = 1;
    pcap_breakloop(s->pc);
}

/*
 * The mapped path: deliver clean records from the window. Returns TA_OK
 * when the rest (if any) is libpcap's, with its FILE positioned at the
 * first record not delivered; TA_ERR_INTERRUPTED after a stop; TA_ERR_IO
 * when the file position cannot be handed back.
 */
/* The mapping window: base offset, length, bytes (NULL when none), frames delivered before it. */
struct window {
    const uint8_t *p;
    uint64_t base, len;
    uint64_t first;
};

/*
 * Map the window that starts at the page of off, no further than the
 * file's size now: a file truncated while it is read then ends like a short
 * file instead of faulting (only a truncation within the next few
 * milliseconds, while this window is read, could still do that). False
 * when nothing is left at off or the mapping fails (libpcap reads on).
 */
static bool map_at(struct ta_source *s, uint64_t off, uint64_t page, struct window *w)
{
    if (w->p != NULL)
        munmap((void *)(uintptr_t)w->p, (size_t)w->len);
    w->p = NULL;
    struct stat sb;
    if (fstat(s->map_fd, &sb) != 0)
        return false;
    s->map_size = (uint64_t)sb.st_size;
    if (off >= s->map_size)
        return false;
    w->base = off & ~(page - 1);
    uint64_t win = MAP_WINDOW;
    if (s->release != NULL) {
        win = MAP_WINDOW / MAP_KEPT;
        if (win < page + 16 + MAP_MAX_CAPLEN)
            win = page + 16 + MAP_MAX_CAPLEN;
    }
    w->len = s->map_size - w->base < win ? s->map_size - w->base : win;
    void *m = mmap(NULL, (size_t)w->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->map_fd,
                   (off_t)w->base);
    if (m == MAP_FAILED)
        return false;
    w->p = m;
    w->first = s->st.packets;
    return true;
}

/*
 * The windows left behind, oldest first, with a release callback: their
 * frames may still be read elsewhere, and the caller is told before they go.
 */
struct kept {
    struct window w[MAP_KEPT - 1];
    unsigned n;
};

/* The next window; with a release callback the one being left is kept. */
static bool map_next(struct ta_source *s, uint64_t off, uint64_t page, struct window *w,
                     struct kept *k)
{
    if (s->release != NULL && w->p != NULL) {
        if (k->n == MAP_KEPT - 1) {
            /* Frames below the next kept window's first lie in the oldest (or before). */
            s->release(s->release_ud, k->n > 1 ? k->w[1].first : w->first);
            munmap((void *)(uintptr_t)k->w[0].p, (size_t)k->w[0].len);
            memmove(&k->w[0], &k->w[1], (k->n - 1) * sizeof(k->w[0]));
            k->n--;
        }
        k->w[k->n++] = *w;
        w->p = NULL;
    }
    return map_at(s, off, page, w);
}

static ta_err map_run(struct ta_source *s, int lt, ta_source_cb cb, void *ud)
{
    uint32_t snap = (uint32_t)pcap_snapshot(s->pc);
    if (snap > MAP_MAX_CAPLEN)
        snap = MAP_MAX_CAPLEN;
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t page = pg > 0 ? (uint64_t)pg : 4096u;
    struct window w = {NULL, 0, 0, 0};
    struct kept kept = {.n = 0};
    s->map_kept = s->release != NULL;
    uint64_t off = s->map_off;
    ta_err rc = TA_OK;
    struct pcap_pkthdr ph;
    while (off < s->map_size) {
        if (s->stop) {
            rc = TA_ERR_INTERRUPTED;
            break;
        }
        /* The record's header, then its data, must lie in the window. */
        if ((w.p == NULL || off + 16 > w.base + w.len) && !map_next(s, off, page, &w, &kept))
            break;
        if (off + 16 > w.base + w.len)
            break; /* a partial record header: libpcap reports it */
        const uint8_t *r = w.p + (off - w.base);
        uint32_t caplen = rd32(r + 8, s->map_swapped);
        if (caplen > snap)
            break;
        if (off + 16 + caplen > w.base + w.len) {
            /* Mapped from this record's page already: the record passes the file's end. */
            if (w.base == (off & ~(page - 1)) || !map_next(s, off, page, &w, &kept) ||
                off + 16 + caplen > w.base + w.len)
                break;
            r = w.p + (off - w.base);
        }
        uint32_t sec = rd32(r, s->map_swapped);
        uint32_t frac = rd32(r + 4, s->map_swapped);
        uint32_t len = rd32(r + 12, s->map_swapped);
        if (s->map_nano)
            frac /= 1000u;
        const uint8_t *data = r + 16;
        off += 16 + (uint64_t)caplen;
        /* The next record's header and frame headers, fetched while this one is handled. */
        if (off + 128 <= w.base + w.len) {
            __builtin_prefetch(w.p + (off - w.base));
            __builtin_prefetch(w.p + (off - w.base) + 64);
        }
        if (s->have_prog) {
            ph.ts.tv_sec = (time_t)sec;
            ph.ts.tv_usec = (suseconds_t)frac;
            ph.caplen = caplen;
            ph.len = len;
            if (pcap_offline_filter(&s->prog, &ph, data) == 0)
                continue;
        }
        ta_time_us ts = (ta_time_us)sec * 1000000u + (ta_time_us)frac;
        uint32_t wire = len < caplen ? caplen : len;
        s->st.packets++;
        s->st.bytes += wire;
        cb(ud, lt, ts, data, caplen, wire);
    }
    s->map_kept = false;
    if (s->release != NULL && (w.p != NULL || kept.n > 0))
        s->release(s->release_ud, s->st.packets);
    for (unsigned i = 0; i < kept.n; i++)
        munmap((void *)(uintptr_t)kept.w[i].p, (size_t)kept.w[i].len);
    if (w.p != NULL)
        munmap((void *)(uintptr_t)w.p, (size_t)w.len);
    s->map_off = off;
    s->map_fd = -1; /* whatever is left, or was appended since, goes through libpcap */
    if (rc == TA_OK && fseeko(pcap_file(s->pc), (off_t)off, SEEK_SET) != 0)
        rc = TA_ERR_IO;
    return rc;
}

void ta_source_set_release(struct ta_source *s, ta_source_release_cb release, void *ud)
{
    s->release = release;
    s->release_ud = ud;
}

bool ta_source_frame_kept(const struct ta_source *s)
{
    return s->map_kept;
}

void ta_source_set_tick(struct ta_source *s, ta_source_tick_cb tick, void *ud)
{
    s->tick = tick;
    s->tick_ud = ud;
}

struct live_ctx {
    struct ta_source *s;
    ta_source_cb cb;
    void *ud;
    int lt;
};

static void live_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct live_ctx *c = (struct live_ctx *)(void *)user;
    ta_time_us ts = 0;
    if (h->ts.tv_sec >= 0 && h->ts.tv_usec >= 0)
        ts = (ta_time_us)h->ts.tv_sec * 1000000u + (ta_time_us)h->ts.tv_usec;
    uint32_t wire = h->len < h->caplen ? h->caplen : h->len;
    c->s->st.packets++;
    c->s->st.bytes += wire;
    c->cb(c->ud, c->lt, ts, data, h->caplen, wire);
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/*
 * A live capture, non-blocking, waiting in poll() on the capture's
 * descriptor: a blocking read does not return while the interface is idle
 * (with TPACKET_V3 the kernel wakes the reader only when a block of packets
 * is handed over), and the caller's tick must run on time then too. Frames
 * are handed over within the read timeout of their arrival.
 */
static ta_err live_run(struct ta_source *s, int lt, ta_source_cb cb, void *ud, char *errbuf,
                       size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    int fd = pcap_get_selectable_fd(s->pc);
    if (fd < 0 || pcap_setnonblock(s->pc, 1, pe) != 0) {
        snprintf(errbuf, errlen, "capture on %s failed: cannot poll it (%s)", s->name,
                 pe[0] ? pe : "no selectable descriptor");
        return TA_ERR_IO;
    }
    struct live_ctx c = {s, cb, ud, lt};
    uint64_t last_tick = mono_ms();
    for (;;) {
        if (s->stop)
            return TA_ERR_INTERRUPTED;
        int n = pcap_dispatch(s->pc, 512, live_frame, (u_char *)(void *)&c);
        if (n == PCAP_ERROR_BREAK)
            return s->stop ? TA_ERR_INTERRUPTED : TA_OK;
        if (n < 0) {
            snprintf(errbuf, errlen, "capture on %s failed: %s", s->name, pcap_geterr(s->pc));
            return TA_ERR_IO;
        }
        uint64_t now = mono_ms();
        if (s->tick != NULL && (n == 0 || now - last_tick >= s->timeout_ms)) {
            last_tick = now;
            s->tick(s->tick_ud);
        }
        if (n == 0 && !s->stop) {
            /* A signal ends the wait early (EINTR): the loop checks the stop flag. */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            (void)poll(&pfd, 1, (int)s->timeout_ms);
        }
    }
}

ta_err ta_source_run(struct ta_source *s, ta_source_cb cb, void *ud, char *errbuf, size_t errlen)
{
    int lt = pcap_datalink(s->pc);
    if (s->map_fd >= 0) {
        ta_err rc = map_run(s, lt, cb, ud);
        if (rc == TA_ERR_IO)
            snprintf(errbuf, errlen, "cannot read %s: %s", s->name, strerror(errno));
        if (rc != TA_OK)
            return rc;
    }
    if (s->live)
        return live_run(s, lt, cb, ud, errbuf, errlen);
    struct pcap_pkthdr *h;
    const u_char *data;
    for (;;) {
        if (s->stop)
            return TA_ERR_INTERRUPTED;
        int rc = pcap_next_ex(s->pc, &h, &data);
        if (rc == 1) {
            ta_time_us ts = 0;
            if (h->ts.tv_sec >= 0 && h->ts.tv_usec >= 0)
                ts = (ta_time_us)h->ts.tv_sec * 1000000u + (ta_time_us)h->ts.tv_usec;
            uint32_t wire = h->len < h->caplen ? h->caplen : h->len;
            s->st.packets++;
            s->st.bytes += wire;
            cb(ud, lt, ts, data, h->caplen, wire);
        } else if (rc == 0) {
            continue; /* live read timeout: check the stop flag */
        } else if (rc == PCAP_ERROR_BREAK) {
            return s->stop ? TA_ERR_INTERRUPTED : TA_OK;
        } else {
            if (s->live) {
                snprintf(errbuf, errlen, "capture on %s failed: %s", s->name, pcap_geterr(s->pc));
                return TA_ERR_IO;
            }
            const char *why = pcap_geterr(s->pc);
            char zmsg[160];
            if (gz_damage(s->gz, zmsg, sizeof(zmsg)))
                why = zmsg;
            if (strstr(why, "different from the type of the first interface") != NULL)
                snprintf(errbuf, errlen,
                         "%s: read stopped after %llu packets: the pcapng file has interfaces of "
                         "different link types, which libpcap reads only one at a time (%s); "
                         "split it per interface (tshark -r FILE -Y 'frame.interface_id == N' "
                         "-w PART.pcapng)",
                         s->name, (unsigned long long)s->st.packets, why);
            else
                snprintf(errbuf, errlen, "%s: capture is damaged after %llu packets (%s)", s->name,
                         (unsigned long long)s->st.packets, why);
            return TA_ERR_TRUNCATED;
        }
    }
}

void ta_source_get_stats(struct ta_source *s, struct ta_source_stats *st)
{
    if (s->live) {
        struct pcap_stat ps;
        if (pcap_stats(s->pc, &ps) == 0) {
            s->st.kernel_drops = ps.ps_drop;
            s->st.iface_drops = ps.ps_ifdrop;
        }
    }
    *st = s->st;
}
