/*
 * Fuzz target: decoder + flow table over arbitrary frames.
 * Input: byte 0 picks the link type; then frames, each a 2-byte big-endian
 * length followed by that many bytes (the last one takes what is left).
 * Small caps make fragment-table and flow-table limits reachable.
 *
 * Properties (abort = a finding): every frame is counted once, as decoded,
 * not IP, malformed or held for reassembly; wire bytes add up; the flow
 * table never holds more than its cap, and after the flush every flow
 * created has ended.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "threatatlas/engine.h"

#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {TA_LINK_ETHERNET,   TA_LINK_RAW,  TA_LINK_LINUX_SLL,
                                TA_LINK_LINUX_SLL2, TA_LINK_NULL, TA_LINK_IPV4,
                                TA_LINK_IPV6,       12,           108};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct ta_engine_opts o;
    ta_engine_opts_default(&o);
    o.max_flows = 8;
    o.decode.max_frag_datagrams = 4;
    o.decode.max_frag_bytes = 16384;
    o.decode.frag_timeout_s = 2;
    o.udp_timeout = 1;
    struct ta_engine *e;
    if (ta_engine_new(&o, &e) != TA_OK)
        return 0;
    int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    size_t off = 1;
    ta_time_us ts = 1000000;
    uint64_t frames = 0, wire_sum = 0;
    struct ta_engine_stats st;
    while (off < size) {
        size_t len = size - off;
        if (len >= 2) {
            size_t want = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            len = size - off;
            if (want < len)
                len = want;
        } else {
            off += len;
            len = 0;
        }
        /* The wire length may exceed the captured length (a snaplen cut). */
        uint32_t wire = (uint32_t)len + (len > 0 && (data[off] & 1) ? 100u : 0u);
        ta_engine_packet(e, lt, ts, data + off, (uint32_t)len, wire);
        frames++;
        wire_sum += wire;
        ta_engine_get_stats(e, &st);
        if (st.flows_active > o.max_flows)
            abort();
        ts += 700000;
        off += len;
    }
    ta_engine_flush(e);
    ta_engine_get_stats(e, &st);
    /* A reassembled datagram is decoded once for all its fragments, so the
     * outcomes add up to at most the frames fed. */
    if (st.packets != frames || st.bytes != wire_sum ||
        st.decoded + st.skipped + st.invalid + st.frag_held > frames ||
        st.skipped + st.invalid > frames || st.flows_active != 0 ||
        st.flows_ended != st.flows_created || st.flows_evicted > st.flows_ended)
        abort();
    ta_engine_free(e);
    return 0;
}
