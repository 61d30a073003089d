/*
 * bench-decode: the floor and the core of `make bench`.
 *
 *   bench-decode FILE            bare libpcap read loop (pcap_next_ex, touching
 *                                every frame's first byte): the floor
 *   bench-decode FILE --engine   the same loop feeding decode + flow tracking
 *                                (no output): packets/s per core of our core path
 *
 * Prints one line: "<packets> <bytes> <seconds>" (wall clock, monotonic).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "threatatlas/engine.h"

#include "common/banned.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-decode FILE [--engine]\n");
        return 2;
    }
    bool engine = argc > 2 && strcmp(argv[2], "--engine") == 0;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(argv[1], err);
    if (pc == NULL) {
        fprintf(stderr, "bench-decode: %s\n", err);
        return 1;
    }
    struct ta_engine *e = NULL;
    if (engine && ta_engine_new(NULL, &e) != TA_OK) {
        fprintf(stderr, "bench-decode: engine\n");
        return 1;
    }
    int lt = pcap_datalink(pc);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long n = 0, bytes = 0, sink = 0;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        n++;
        bytes += h->len;
        if (e != NULL)
            ta_engine_packet(e, lt, (ta_time_us)h->ts.tv_sec * 1000000u + (ta_time_us)h->ts.tv_usec,
                             d, h->caplen, h->len);
        else
            sink += d[0];
    }
    if (e != NULL)
        ta_engine_flush(e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%llu %llu %.4f\n", n, bytes, s);
    fprintf(stderr, "%s", sink == 1 ? " " : ""); /* keep the touch loop */
    ta_engine_free(e);
    pcap_close(pc);
    return 0;
}
