/*
 * Fuzz target: the capture reader over arbitrary file bytes (pcap, pcapng,
 * gzip detection), then the whole engine and the EVE writer. The bytes go
 * through a temporary file because that is the path users take. Checked:
 * every frame read is counted once, and after the flush every flow has ended.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "threatatlas/engine.h"
#include "threatatlas/eve.h"
#include "threatatlas/source.h"

#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t g_frames;

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    g_frames++;
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
            g_frames = 0;
            ta_source_run(s, on_frame, e, err, sizeof(err));
            ta_engine_flush(e);
            /* Accounting: every frame read is counted once and ends up decoded, skipped,
             * invalid or held; after the flush every flow created has ended. */
            struct ta_engine_stats st;
            ta_engine_get_stats(e, &st);
            if (st.packets != g_frames || st.flows_active != 0 ||
                st.flows_created != st.flows_ended || st.flows_evicted > st.flows_ended ||
                st.decoded + st.skipped + st.invalid + st.frag_held > st.packets)
                abort();
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
