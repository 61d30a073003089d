/*
 * The flows reader (kind TA_INPUT_FLOWS): NetFlow v5/v9, IPFIX and sFlow v5
 * export datagrams, from a capture of export packets (each UDP payload is a
 * datagram; IP fragments are reassembled by the decoder) or received live
 * as a collector on udp://ADDR:PORT from any number of exporters. Decoding
 * and template state are in flows-decode.c.
 *
 * Time: a capture's datagrams are stamped with their packet time; a
 * collector's with the wall clock at reception. Records carry their own
 * start and end.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "sources/flows-int.h"
#include "sources/obsrc-int.h"
#include "threatatlas/decode.h"

#include "common/banned.h"

struct flows_src {
    struct ta__flows *x; /* own, or an earlier source's (shared) */
    struct ta__flows *own;
    struct ta_source *cap; /* a capture of exports, or NULL */
    struct ta_decoder *dec;
    int fd; /* a collector's socket, or -1 */
    const struct ta_obsrc_run *run;
    struct ta__flows_out out;
    uint8_t buf[65536]; /* a collector's datagram */
};

static void engine_packet(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                          uint32_t wirelen)
{
    ta_engine_packet(ud, lt, ts, frame, caplen, wirelen);
}

/* "udp://1.2.3.4:2055", "udp://[::1]:6343", "udp://:2055" (every IPv4 address). */
static bool parse_addr(const char *where, struct sockaddr_storage *ss, socklen_t *sl)
{
    const char *a = where + 6;
    char host[64];
    const char *colon;
    if (a[0] == '[') {
        const char *rb = strchr(a, ']');
        if (rb == NULL || rb[1] != ':' || (size_t)(rb - a - 1) >= sizeof(host))
            return false;
        memcpy(host, a + 1, (size_t)(rb - a - 1));
        host[rb - a - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(a, ':');
        if (colon == NULL || (size_t)(colon - a) >= sizeof(host))
            return false;
        memcpy(host, a, (size_t)(colon - a));
        host[colon - a] = '\0';
    }
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port > 65535)
        return false;
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (host[0] == '\0' || inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *sl = sizeof(*s4);
        return true;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *sl = sizeof(*s6);
        return true;
    }
    return false;
}

static void flows_close(void *state)
{
    struct flows_src *s = state;
    if (s == NULL)
        return;
    ta_source_close(s->cap);
    ta_decoder_free(s->dec);
    if (s->fd >= 0)
        close(s->fd);
    ta__flows_free(s->own);
    free(s);
}

static ta_err flows_open(const char *where, const struct ta_obsrc_opts *o, void **state,
                         char *errbuf, size_t errlen)
{
    struct flows_src *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TA_ERR_NOMEM;
    s->fd = -1;
    ta_err te = ta__flows_new(o, &s->own);
    s->x = s->own;
    if (te != TA_OK) {
        free(s);
        snprintf(errbuf, errlen, "%s: out of memory", where);
        return te;
    }
    if (ta_obsrc_is_address(where)) {
        struct sockaddr_storage ss;
        socklen_t sl;
        if (!parse_addr(where, &ss, &sl)) {
            flows_close(s);
            snprintf(errbuf, errlen, "%s: not udp://ADDR:PORT (udp://[ADDR]:PORT for IPv6)", where);
            return TA_ERR_ARG;
        }
        s->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int rcv = (int)o->rcvbuf;
        if (s->fd >= 0)
            (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
        if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, sl) != 0) {
            int en = errno;
            flows_close(s);
            snprintf(errbuf, errlen, "%s: cannot listen: %s", where, strerror(en));
            return TA_ERR_IO;
        }
        *state = s;
        return TA_OK;
    }
    struct ta_decode_opts dopts;
    ta_decode_opts_default(&dopts);
    te = ta_decoder_new(&dopts, &s->dec);
    if (te == TA_OK)
        te = ta_source_open_file(where, &o->source, &s->cap, errbuf, errlen);
    if (te != TA_OK) {
        flows_close(s);
        return te;
    }
    *state = s;
    return TA_OK;
}

static void on_export_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                            uint32_t wirelen)
{
    struct flows_src *s = ud;
    if (*s->run->stop) {
        ta_source_stop(s->cap);
        return;
    }
    struct ta_packet pkt;
    if (ta_decoder_decode(s->dec, lt, ts, frame, caplen, wirelen, &pkt) != TA_DECODE_OK ||
        pkt.ip_proto != 17)
        return;
    ta__flows_datagram(s->x, &pkt.src, pkt.sport, ts, pkt.payload, pkt.payload_len, &s->out);
}

static ta_time_us wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (ta_time_us)t.tv_sec * 1000000u + (ta_time_us)t.tv_nsec / 1000u;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static ta_err collect(struct flows_src *s, const struct ta_obsrc_run *r, char *errbuf,
                      size_t errlen)
{
    uint8_t *buf = s->buf;
    uint64_t last_tick = mono_ms();
    while (!*r->stop) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int n = poll(&pfd, 1, 100);
        if (n < 0 && errno != EINTR) {
            snprintf(errbuf, errlen, "collector: %s", strerror(errno));
            return TA_ERR_IO;
        }
        /* A burst is read in full before the clock is looked at again, up to a bound. */
        for (int k = 0; n > 0 && k < 1024 && !*r->stop; k++) {
            struct sockaddr_storage from;
            socklen_t fl = sizeof(from);
            ssize_t got =
                recvfrom(s->fd, buf, sizeof(s->buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
            if (got < 0)
                break;
            struct ta_addr a;
            memset(&a, 0, sizeof(a));
            uint16_t port = 0;
            if (from.ss_family == AF_INET) {
                const struct sockaddr_in *f4 = (const struct sockaddr_in *)&from;
                ta_addr_set_v4(&a, (const uint8_t *)&f4->sin_addr);
                port = ntohs(f4->sin_port);
            } else if (from.ss_family == AF_INET6) {
                const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)&from;
                ta_addr_set_v6(&a, (const uint8_t *)&f6->sin6_addr);
                port = ntohs(f6->sin6_port);
            }
            ta__flows_datagram(s->x, &a, port, wall_us(), buf, (size_t)got, &s->out);
        }
        uint64_t now = mono_ms();
        if (r->tick != NULL && now - last_tick >= 100) {
            last_tick = now;
            r->tick(r->tick_ud);
        }
    }
    return TA_ERR_INTERRUPTED;
}

static ta_err flows_run(void *state, const struct ta_obsrc_run *r, char *errbuf, size_t errlen)
{
    struct flows_src *s = state;
    s->run = r;
    s->out.out = r->out;
    s->out.packet = r->engine != NULL ? engine_packet : NULL;
    s->out.packet_ud = r->engine;
    if (s->fd >= 0)
        return collect(s, r, errbuf, errlen);
    ta_err te = ta_source_run(s->cap, on_export_frame, s, errbuf, errlen);
    return *r->stop ? TA_ERR_INTERRUPTED : te;
}

/* Shared state is reported once, by the source that owns it. */
static void flows_stats(const void *state, struct ta_obsrc_stats *st)
{
    const struct flows_src *s = state;
    memset(st, 0, sizeof(*st));
    if (s->own != NULL)
        ta__flows_stats(s->own, st);
}

static size_t flows_origins(const void *state, struct ta_obsrc_origin *out, size_t max)
{
    const struct flows_src *s = state;
    return s->own != NULL ? ta__flows_origins(s->own, out, max) : 0;
}

static void flows_share(void *state, void *first)
{
    struct flows_src *s = state;
    const struct flows_src *f = first;
    ta__flows_free(s->own);
    s->own = NULL;
    s->x = f->x;
}

const struct ta_obsrc_ops ta__obsrc_flows = {
    .kind = TA_INPUT_FLOWS,
    .open = flows_open,
    .run = flows_run,
    .stats = flows_stats,
    .origins = flows_origins,
    .live = false,
    .close = flows_close,
    .share = flows_share,
};
