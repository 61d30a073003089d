/*
 * bench-logsrc: records per second of the log readers (threatatlas/logsrc.h).
 *
 *   bench-logsrc eve|zeek|access-log [--repeat N] FILE...
 *
 * Reads the files N times (default 1) into a sink that only counts, and
 * prints one line: "<lines> <records> <cpu-seconds> <records-per-cpu-second>",
 * CPU time of the process (user + system), so per core. Zeek files given
 * together are merged by time, as threatatlas reads a Zeek log directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "threatatlas/logsrc.h"

#include "common/banned.h"

static uint64_t g_seen;

static void on_flow(void *ud, const struct ta_flow *f)
{
    (void)ud;
    g_seen += f->id & 1;
}

static void on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    (void)ud, (void)rec;
    g_seen += (f->id + type) & 1;
}

int main(int argc, char **argv)
{
    enum ta_input_kind kind;
    if (argc < 3 || !ta_input_kind_parse(argv[1], &kind) ||
        (kind != TA_INPUT_EVE && kind != TA_INPUT_ZEEK && kind != TA_INPUT_ACCESS_LOG)) {
        fprintf(stderr, "usage: bench-logsrc eve|zeek|access-log [--repeat N] FILE...\n");
        return 2;
    }
    int a = 2;
    long repeat = 1;
    if (strcmp(argv[a], "--repeat") == 0 && argc > a + 2) {
        repeat = strtol(argv[a + 1], NULL, 10);
        a += 2;
    }
    struct ta_obs_sink sink = {.on_flow = on_flow, .on_record = on_record};
    struct ta_logsrc *ls;
    char err[512];
    if (ta_logsrc_new(kind, NULL, &sink, &ls, err, sizeof(err)) != TA_OK) {
        fprintf(stderr, "bench-logsrc: %s\n", err);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (long r = 0; r < repeat; r++) {
        if (ta_logsrc_read_files(ls, (const char *const *)argv + a, (size_t)(argc - a), err,
                                 sizeof(err)) != TA_OK) {
            fprintf(stderr, "bench-logsrc: %s\n", err);
            return 1;
        }
    }
    ta_logsrc_finish(ls);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    struct ta_logsrc_stats st;
    ta_logsrc_get_stats(ls, &st);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t rec = st.flows + st.dns + st.http + st.tls + st.certs;
    printf("%llu %llu %.3f %.0f\n", (unsigned long long)st.lines, (unsigned long long)rec, secs,
           secs > 0 ? (double)rec / secs : 0.0);
    if (st.rejected != 0)
        fprintf(stderr, "bench-logsrc: %llu lines rejected\n", (unsigned long long)st.rejected);
    ta_logsrc_free(ls);
    return g_seen == UINT64_MAX;
}
