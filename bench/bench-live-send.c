/*
 * The traffic of the live-capture benchmark (bench/live.sh): send the frames
 * of a capture, over and over, on an interface through an AF_PACKET socket,
 * 64 a system call (sendmmsg), at a given rate or as fast as the kernel takes
 * them, and say how many went out in how long. Run it only on an interface of
 * a network namespace made for the purpose (bench/live.sh makes one).
 *
 *   bench-live-send CAPTURE IFACE FRAMES [RATE]    (RATE 0 or none: no pacing)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "threatatlas/source.h"

#include "common/banned.h"

#define BATCH      64
#define MAX_FRAMES 200000

struct frames {
    uint8_t *buf[MAX_FRAMES];
    uint32_t len[MAX_FRAMES];
    size_t n;
};

static void keep(void *ud, int linktype, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                 uint32_t wirelen)
{
    (void)linktype;
    (void)ts;
    (void)wirelen;
    struct frames *f = ud;
    if (f->n >= MAX_FRAMES || caplen < 14 || caplen > 9000)
        return;
    f->buf[f->n] = malloc(caplen);
    if (f->buf[f->n] == NULL)
        return;
    memcpy(f->buf[f->n], frame, caplen);
    f->len[f->n++] = caplen;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench-live-send CAPTURE IFACE FRAMES [RATE]\n");
        return 2;
    }
    unsigned long long total = strtoull(argv[3], NULL, 10);
    double rate = argc > 4 ? strtod(argv[4], NULL) : 0;
    static struct frames f;
    struct ta_source *src;
    char e[TA_SOURCE_ERRLEN];
    if (ta_source_open_file(argv[1], NULL, &src, e, sizeof(e)) != TA_OK) {
        fprintf(stderr, "bench-live-send: %s\n", e);
        return 1;
    }
    ta_err te = ta_source_run(src, keep, &f, e, sizeof(e));
    ta_source_close(src);
    if ((te != TA_OK && te != TA_ERR_TRUNCATED) || f.n == 0) {
        fprintf(stderr, "bench-live-send: %s: no Ethernet frames to send\n", argv[1]);
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex(argv[2]);
    if (fd < 0 || sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        fprintf(stderr, "bench-live-send: cannot send on %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    unsigned long long sent = 0;
    size_t next = 0;
    double t0 = now_s();
    while (sent < total) {
        unsigned k = 0;
        for (; k < BATCH && sent + k < total; k++) {
            iov[k].iov_base = f.buf[next];
            iov[k].iov_len = f.len[next];
            memset(&msg[k], 0, sizeof(msg[k]));
            msg[k].msg_hdr.msg_iov = &iov[k];
            msg[k].msg_hdr.msg_iovlen = 1;
            next = (next + 1) % f.n;
        }
        int r = sendmmsg(fd, msg, k, 0);
        if (r < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
                continue;
            fprintf(stderr, "bench-live-send: send on %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        sent += (unsigned)r;
        if (rate > 0) {
            double ahead = (double)sent / rate - (now_s() - t0);
            if (ahead > 0) {
                struct timespec d = {(time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9)};
                nanosleep(&d, NULL);
            }
        }
    }
    double dt = now_s() - t0;
    printf("sent %llu frames in %.3f s (%.0f frames/s)\n", sent, dt, (double)sent / dt);
    return 0;
}
