/*
 * Fuzz target with a property: TCP reassembly of one direction, whatever the
 * order, overlaps and retransmissions of its segments, gives back exactly
 * the stream that was sent, with no gap, and returns every byte of memory
 * it charged.
 *
 * Input: [len:2][base:2][payload:len] then segments [start:2][len:1]...
 * taken from the payload (so overlapping copies carry the same bytes) in
 * the order given; the whole payload is then sent once more in order, so
 * every byte arrives at least once. The caps are set far above what the
 * input can hold: any gap or difference is a reassembly bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STREAM 4096

struct got {
    uint8_t buf[MAX_STREAM];
    size_t n;
    unsigned gaps;
};

static void collect(void *ud, const uint8_t *d, size_t n, bool gap)
{
    struct got *g = ud;
    if (gap)
        g->gaps++;
    if (n > sizeof(g->buf) - g->n)
        abort(); /* more bytes than were sent */
    memcpy(g->buf + g->n, d, n);
    g->n += n;
}

static void send_seg(struct ta_proto *p, struct ta__stream *s, uint32_t *fb, uint32_t seq,
                     const uint8_t *d, uint32_t len, uint8_t flags, struct got *g)
{
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ip_proto = 6;
    pk.tcp_seq = seq;
    pk.tcp_flags = flags;
    pk.payload = d;
    pk.payload_len = len;
    ta__stream_segment(p, s, fb, &pk, collect, g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t len = (size_t)(data[0] << 8 | data[1]) % (MAX_STREAM + 1);
    /* Near the 2^32 wrap, so that wrapping is exercised. */
    uint32_t base = 0xffffffffu - (uint32_t)(data[2] << 8 | data[3]);
    data += 4;
    size -= 4;
    if (len > size)
        len = size;
    const uint8_t *payload = data;
    data += len;
    size -= len;

    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.stream_max_segments = 1u << 20;
    o.stream_flow_memcap = 1u << 30;
    o.stream_global_memcap = (uint64_t)1 << 32;
    struct ta_proto *p = NULL;
    if (ta_proto_new(&o, &p) != TA_OK)
        return 0;
    struct ta__stream s;
    memset(&s, 0, sizeof(s));
    uint32_t fb = 0;
    struct got *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        ta_proto_free(p);
        return 0;
    }
    send_seg(p, &s, &fb, base - 1, NULL, 0, 0x02 /* SYN */, g);
    while (len > 0 && size >= 3) {
        size_t start = (size_t)(data[0] << 8 | data[1]) % len;
        size_t n = data[2];
        if (n > len - start)
            n = len - start;
        send_seg(p, &s, &fb, base + (uint32_t)start, payload + start, (uint32_t)n, 0x10, g);
        data += 3;
        size -= 3;
    }
    for (size_t off = 0; off < len; off += 64) {
        size_t n = len - off < 64 ? len - off : 64;
        send_seg(p, &s, &fb, base + (uint32_t)off, payload + off, (uint32_t)n, 0x10, g);
    }
    /* Everything arrived: all of it was delivered in order, nothing is held. */
    if (g->gaps != 0 || g->n != len || (len > 0 && memcmp(g->buf, payload, len) != 0) || fb != 0)
        abort();
    ta__stream_flush(p, &s, &fb, collect, g);
    ta__stream_release(p, &s, &fb);
    if (fb != 0 || p->stream_mem != 0 || g->n != len)
        abort();
    free(g);
    ta_proto_free(p);
    return 0;
}
