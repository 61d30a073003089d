/*
 * Fuzz target: the capture reader over arbitrary file bytes (pcap, pcapng,
 * gzip detection), then the whole engine and the EVE writer. The bytes go
 * through a temporary file because that is the path users take.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "threatatlas/engine.h"
#include "threatatlas/eve.h"
#include "threatatlas/source.h"

#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    ta_engine_packet(ud, lt, ts, frame, caplen, wirelen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/ta-fuzz-pcap-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[TA_SOURCE_ERRLEN];
    struct ta_source *s;
    if (ta_source_open_file(path, NULL, &s, err, sizeof(err)) == TA_OK) {
        struct ta_engine_opts o;
        ta_engine_opts_default(&o);
        o.max_flows = 16;
        struct ta_engine *e;
        FILE *out = fopen("/dev/null", "w");
        struct ta_eve_writer *w = NULL;
        if (out != NULL && ta_engine_new(&o, &e) == TA_OK) {
            if (ta_eve_writer_new(out, NULL, &w) == TA_OK) {
                struct ta_obs_sink sink = ta_eve_writer_sink(w);
                ta_engine_add_sink(e, &sink);
            }
            ta_source_run(s, on_frame, e, err, sizeof(err));
            ta_engine_flush(e);
            if (w != NULL)
                ta_eve_write_stats(w, e, NULL, ta_engine_now(e));
            ta_eve_writer_free(w);
            ta_engine_free(e);
        }
        if (out != NULL)
            fclose(out);
        ta_source_close(s);
    }
    unlink(path);
    return 0;
}
