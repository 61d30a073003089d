/*
 * Fuzz target: NetFlow v5/v9, IPFIX and sFlow v5 export datagrams
 * (src/sources/flows-decode.c), several per input so template and sampler
 * state carry from one to the next, from up to four exporters. The input is
 * a sequence of [exporter byte][length, 2 bytes][datagram]. Checked after
 * every datagram: the observations it made are no more than its bytes (each
 * record takes at least one), the templates held stay within the cap, and
 * the exporters within theirs; the records go through the EVE writer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sources/flows-int.h"
#include "threatatlas/eve.h"

#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t g_packets;

static void on_packet(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen)
{
    (void)ud;
    (void)lt;
    (void)ts;
    (void)wirelen;
    if (frame == NULL && caplen > 0)
        abort();
    g_packets++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ta_obsrc_opts o;
    ta_obsrc_opts_default(&o);
    o.max_templates = 8;
    o.max_exporters = 3;
    o.template_timeout_s = 600;
    struct ta__flows *x;
    if (ta__flows_new(&o, &x) != TA_OK)
        return 0;
    FILE *out = fopen("/dev/null", "w");
    struct ta_eve_writer *w = NULL;
    struct ta_eve_opts eo = {.extension = true};
    if (out == NULL || ta_eve_writer_new(out, &eo, &w) != TA_OK) {
        if (out != NULL)
            fclose(out);
        ta__flows_free(x);
        return 0;
    }
    struct ta_obs_sink sink = ta_eve_writer_sink(w);
    struct ta__flows_out fo = {.out = &sink, .packet = on_packet};
    size_t off = 0;
    while (size - off >= 3) {
        uint8_t ex = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (len > size - off)
            len = size - off;
        struct ta_addr a;
        uint8_t v4[4] = {192, 0, 2, (uint8_t)(ex & 3)};
        ta_addr_set_v4(&a, v4);
        struct ta_obsrc_stats before, after;
        ta__flows_stats(x, &before);
        uint64_t pk = g_packets;
        ta__flows_datagram(x, &a, 2055, (ta_time_us)(ex >> 2) * 60000000u, data + off, len, &fo);
        ta__flows_stats(x, &after);
        if (after.records - before.records > len || g_packets - pk > len ||
            after.datagrams != before.datagrams + 1 || ta__flows_templates(x) > o.max_templates)
            abort();
        struct ta_obsrc_origin org[4];
        if (ta__flows_origins(x, org, 4) > o.max_exporters)
            abort();
        off += len;
    }
    ta_eve_writer_free(w);
    fclose(out);
    ta__flows_free(x);
    return 0;
}
