/*
 * bench-flows: flow-export decoding speed (src/sources/flows-decode.c).
 *
 *   bench-flows FILE [PASSES]            FILE: a capture of NetFlow v5/v9, IPFIX or
 *                                        sFlow export datagrams; every UDP payload
 *                                        is loaded into memory, then decoded PASSES
 *                                        times (default 5), records counted, no output
 *   bench-flows FILE --payloads OUT      write the UDP payloads back to back to OUT
 *                                        (an IPFIX file, for the peers) and exit
 *
 * Prints one line: "<records per pass> <datagrams> <seconds for all passes> <CPU
 * seconds for them>" (wall clock, monotonic, and the process's CPU time; the load is
 * not timed: on a shared machine the CPU time is the figure to compare). Templates are kept from
 * one pass to the next, as a collector keeps them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/flows-int.h"
#include "threatatlas/decode.h"
#include "threatatlas/source.h"

#include "common/banned.h"

struct dg {
    struct ta_addr from;
    ta_time_us ts;
    uint32_t off, len;
};

struct load {
    struct ta_decoder *dec;
    uint8_t *buf;
    size_t len, cap;
    struct dg *d;
    size_t n, dcap;
};

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct load *l = ud;
    struct ta_packet p;
    if (ta_decoder_decode(l->dec, lt, ts, frame, caplen, wirelen, &p) != TA_DECODE_OK ||
        p.ip_proto != 17)
        return;
    if (l->len + p.payload_len > l->cap) {
        size_t nc = (l->cap ? l->cap * 2 : 1u << 20) + p.payload_len;
        uint8_t *nb = realloc(l->buf, nc);
        if (nb == NULL)
            exit(1);
        l->buf = nb;
        l->cap = nc;
    }
    if (l->n == l->dcap) {
        size_t nc = l->dcap ? l->dcap * 2 : 4096;
        struct dg *nd = realloc(l->d, nc * sizeof(*nd));
        if (nd == NULL)
            exit(1);
        l->d = nd;
        l->dcap = nc;
    }
    memcpy(l->buf + l->len, p.payload, p.payload_len);
    l->d[l->n++] = (struct dg){p.src, ts, (uint32_t)l->len, p.payload_len};
    l->len += p.payload_len;
}

static uint64_t g_records;

static void count_flow(void *ud, const struct ta_flow *f)
{
    (void)ud;
    (void)f;
    g_records++;
}

static void count_packet(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                         uint32_t wirelen)
{
    (void)ud;
    (void)lt;
    (void)ts;
    (void)frame;
    (void)caplen;
    (void)wirelen;
    g_records++;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-flows FILE [PASSES] | FILE --payloads OUT\n");
        return 2;
    }
    struct load l;
    memset(&l, 0, sizeof(l));
    struct ta_source *src;
    char err[TA_SOURCE_ERRLEN];
    if (ta_decoder_new(NULL, &l.dec) != TA_OK ||
        ta_source_open_file(argv[1], NULL, &src, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "bench-flows: %s\n", err);
        return 1;
    }
    ta_source_run(src, on_frame, &l, err, sizeof(err));
    ta_source_close(src);
    if (argc > 3 && strcmp(argv[2], "--payloads") == 0) {
        FILE *f = fopen(argv[3], "wb");
        if (f == NULL || fwrite(l.buf, 1, l.len, f) != l.len || fclose(f) != 0) {
            fprintf(stderr, "bench-flows: cannot write %s\n", argv[3]);
            return 1;
        }
        return 0;
    }
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    if (passes < 1)
        passes = 1;
    struct ta_obsrc_opts o;
    ta_obsrc_opts_default(&o);
    o.template_timeout_s = 0; /* passes replay old export times */
    struct ta__flows *x;
    if (ta__flows_new(&o, &x) != TA_OK)
        return 1;
    struct ta_obs_sink sink = {.on_flow = count_flow};
    struct ta__flows_out fo = {.out = &sink, .packet = count_packet};
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < l.n; i++)
            ta__flows_datagram(x, &l.d[i].from, 2055, l.d[i].ts, l.buf + l.d[i].off, l.d[i].len,
                               &fo);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    printf("%llu %zu %.6f %.6f\n", (unsigned long long)(g_records / (uint64_t)passes), l.n, secs,
           cpu);
    ta__flows_free(x);
    ta_decoder_free(l.dec);
    free(l.buf);
    free(l.d);
    return 0;
}
