/*
 * bench-flows: flow-export reading speed (threatatlas/obsrc.h, kind flows).
 *
 *   bench-flows FILE [PASSES]            FILE: a capture of NetFlow v5/v9, IPFIX or
 *                                        sFlow export datagrams, read PASSES times
 *                                        (default 5) through the flows reader: capture
 *                                        read (page cache), UDP decoded, records decoded
 *                                        and counted, no output
 *   bench-flows FILE --payloads OUT      write the UDP payloads back to back to OUT
 *                                        (an IPFIX file, for the peers) and exit
 *
 * Prints one line: "<records per pass> <datagrams per pass> <seconds for all passes>
 * <CPU seconds for them>" (wall clock, monotonic, and the process's CPU time: on a
 * shared machine the CPU time is the figure to compare).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "threatatlas/decode.h"
#include "threatatlas/obsrc.h"
#include "threatatlas/source.h"

#include "common/banned.h"

struct dump {
    struct ta_decoder *dec;
    FILE *out;
    bool err;
};

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct dump *d = ud;
    struct ta_packet p;
    if (ta_decoder_decode(d->dec, lt, ts, frame, caplen, wirelen, &p) != TA_DECODE_OK ||
        p.ip_proto != 17)
        return;
    if (fwrite(p.payload, 1, p.payload_len, d->out) != p.payload_len)
        d->err = true;
}

static int payloads(const char *in, const char *out)
{
    struct dump d = {.err = false};
    struct ta_source *src;
    char err[TA_SOURCE_ERRLEN];
    if (ta_decoder_new(NULL, &d.dec) != TA_OK ||
        ta_source_open_file(in, NULL, &src, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "bench-flows: %s\n", err);
        return 1;
    }
    d.out = fopen(out, "wb");
    if (d.out == NULL)
        return 1;
    ta_source_run(src, on_frame, &d, err, sizeof(err));
    ta_source_close(src);
    ta_decoder_free(d.dec);
    if (fclose(d.out) != 0 || d.err) {
        fprintf(stderr, "bench-flows: cannot write %s\n", out);
        return 1;
    }
    return 0;
}

static void count_flow(void *ud, const struct ta_flow *f)
{
    (void)f;
    (*(uint64_t *)ud)++;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-flows FILE [PASSES] | FILE --payloads OUT\n");
        return 2;
    }
    if (argc > 3 && strcmp(argv[2], "--payloads") == 0)
        return payloads(argv[1], argv[3]);
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    if (passes < 1)
        passes = 1;
    struct ta_obsrc_opts o;
    ta_obsrc_opts_default(&o);
    uint64_t records = 0;
    struct ta_obs_sink sink = {.ud = &records, .on_flow = count_flow};
    struct ta_obsrc_stats st;
    memset(&st, 0, sizeof(st));
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (int p = 0; p < passes; p++) {
        struct ta_obsrc *s;
        char err[TA_OBSRC_ERRLEN];
        if (ta_obsrc_open(TA_INPUT_FLOWS, argv[1], &o, &s, err, sizeof(err)) != TA_OK ||
            ta_obsrc_run(s, &sink, NULL, NULL, err, sizeof(err)) != TA_OK) {
            fprintf(stderr, "bench-flows: %s\n", err);
            return 1;
        }
        ta_obsrc_get_stats(s, &st);
        ta_obsrc_close(s);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* sFlow's samples go to an engine, which this has not: they count as observations. */
    uint64_t per = records / (uint64_t)passes;
    if (per == 0)
        per = st.records;
    printf("%llu %llu %.6f %.6f\n", (unsigned long long)per, (unsigned long long)st.datagrams, secs,
           cpu);
    return 0;
}
