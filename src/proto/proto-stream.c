/*
 * TCP reassembly: one ta__stream per direction of a flow.
 *
 * In-order data is delivered straight from the packet (no copy). Segments
 * ahead of the expected sequence number are copied into a sorted list of
 * non-overlapping pieces, bounded by a per-flow and a global byte cap and a
 * per-direction segment count. Overlaps keep the first copy: a new segment
 * only fills bytes that are neither delivered nor already buffered. When
 * data can never arrive (the peer ACKed past it, a cap forces it, or the
 * flow ends) the stream skips the hole and tells the parser it saw a gap.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/proto-int.h"

#include "common/banned.h"

struct ta__seg {
    struct ta__seg *next;
    uint32_t seq, len;
    uint8_t data[];
};

/* Sequence arithmetic modulo 2^32. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/*
 * What a held segment of len bytes costs: its header and payload as the
 * allocator holds them (ta__alloc_cost). The memcaps count this, not the
 * payload alone: a flood of one-byte segments is mostly overhead.
 */
static uint32_t seg_cost(uint32_t len)
{
    uint64_t n = ta__alloc_cost(sizeof(struct ta__seg) + (uint64_t)len);
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void seg_free(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes,
                     struct ta__seg *g)
{
    uint32_t cost = seg_cost(g->len);
    s->ooo_bytes -= g->len;
    s->ooo_count--;
    *flow_bytes -= cost;
    p->stream_mem -= cost;
    free(g);
}

/*
 * Deliver the buffered segments that are now in order. With skip, holes
 * before segments that start at or before `limit` (any hole if !limited)
 * are skipped and reported as gaps.
 */
static void drain(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes, ta__deliver_fn fn,
                  void *ud, bool skip, bool limited, uint32_t limit)
{
    while (s->ooo != NULL) {
        struct ta__seg *g = s->ooo;
        int32_t d = seq_diff(g->seq, s->next_seq);
        bool gap = false;
        if (d > 0) {
            if (!skip || (limited && seq_diff(g->seq, limit) > 0))
                break;
            /* Skip the hole up to the first buffered byte. */
            p->c[TA_PC_STREAM_GAPS]++;
            s->next_seq = g->seq;
            d = 0;
            gap = true;
        }
        uint32_t old = s->next_seq - g->seq; /* d <= 0: bytes already delivered */
        if (old < g->len) {
            fn(ud, g->data + old, g->len - old, gap);
            p->c[TA_PC_STREAM_SEGMENTS]++;
            p->c[TA_PC_STREAM_BYTES] += g->len - old;
            s->next_seq = g->seq + g->len;
        }
        s->ooo = g->next;
        seg_free(p, s, flow_bytes, g);
    }
}

/* Store [seq, seq+len) minus what is already buffered (first copy wins). */
static void store(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes, uint32_t seq,
                  const uint8_t *data, uint32_t len, ta__deliver_fn fn, void *ud)
{
    struct ta__seg **pp = &s->ooo;
    while (len > 0) {
        /* Skip existing pieces that end before seq. */
        while (*pp != NULL && seq_diff((*pp)->seq + (*pp)->len, seq) <= 0)
            pp = &(*pp)->next;
        uint32_t piece = len;
        if (*pp != NULL) {
            int32_t d = seq_diff((*pp)->seq, seq);
            if (d <= 0) {
                /* seq falls inside an existing piece: that copy wins. */
                uint32_t cover = (*pp)->seq + (*pp)->len - seq;
                if (cover > len)
                    cover = len;
                p->c[TA_PC_STREAM_OVERLAP_BYTES] += cover;
                seq += cover;
                data += cover;
                len -= cover;
                continue;
            }
            if ((uint32_t)d < piece)
                piece = (uint32_t)d;
        }
        if (s->ooo_count >= p->o.stream_max_segments) {
            p->c[TA_PC_STREAM_SEGMENT_CAP_DROPS]++;
            return;
        }
        uint32_t cost = seg_cost(piece);
        if (*flow_bytes + (uint64_t)cost > p->o.stream_flow_memcap) {
            p->c[TA_PC_STREAM_FLOW_MEMCAP_DROPS]++;
            return;
        }
        if (p->stream_mem + cost > p->o.stream_global_memcap) {
            p->c[TA_PC_STREAM_GLOBAL_MEMCAP_DROPS]++;
            return;
        }
        struct ta__seg *g = malloc(sizeof(*g) + piece);
        if (g == NULL) {
            p->c[TA_PC_STREAM_NOMEM]++;
            return;
        }
        g->seq = seq;
        g->len = piece;
        memcpy(g->data, data, piece);
        g->next = *pp;
        *pp = g;
        pp = &g->next;
        s->ooo_bytes += piece;
        s->ooo_count++;
        *flow_bytes += cost;
        p->stream_mem += cost;
        p->c[TA_PC_STREAM_OOO_SEGMENTS]++;
        seq += piece;
        data += piece;
        len -= piece;
    }
    (void)fn;
    (void)ud;
}

void ta__stream_segment(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes,
                        const struct ta_packet *pkt, ta__deliver_fn fn, void *ud)
{
    uint32_t seq = pkt->tcp_seq;
    const uint8_t *data = pkt->payload;
    uint32_t len = pkt->payload_len;
    if (pkt->tcp_flags & TA_TCP_SYN) {
        /* The SYN consumes one sequence number; data on a SYN follows it. */
        if (!s->init) {
            s->init = true;
            s->next_seq = seq + 1;
        }
        seq++;
    }
    if (len > 0 && !s->init) {
        s->init = true;
        s->next_seq = seq;
        p->c[TA_PC_STREAM_MIDSTREAM]++;
    }
    if (len > 0) {
        int32_t d = seq_diff(seq, s->next_seq);
        if (d > 0 && s->ooo != NULL &&
            (s->ooo_count >= p->o.stream_max_segments ||
             *flow_bytes + (uint64_t)seg_cost(len) > p->o.stream_flow_memcap)) {
            /*
             * At the per-flow caps the missing data is given up for lost:
             * deliver what is buffered across the hole(s) so the stream
             * keeps moving, then place this segment.
             */
            drain(p, s, flow_bytes, fn, ud, true, false, 0);
            d = seq_diff(seq, s->next_seq);
        }
        if (d > 0) {
            store(p, s, flow_bytes, seq, data, len, fn, ud);
        } else {
            /* d <= 0: the segment starts at or before next_seq (a segment
             * exactly 2^31 away counts as old: modulo 2^32 it is both). */
            uint32_t old = s->next_seq - seq;
            if (old >= len) {
                p->c[TA_PC_STREAM_OVERLAP_BYTES] += len; /* pure retransmission */
            } else {
                p->c[TA_PC_STREAM_OVERLAP_BYTES] += old;
                data += old;
                len -= old;
                seq += old;
                if (s->ooo != NULL && seq_diff(s->ooo->seq, seq + len) < 0) {
                    /* Overlaps buffered data: buffered (earlier) copies win. */
                    store(p, s, flow_bytes, seq, data, len, fn, ud);
                } else {
                    fn(ud, data, len, false);
                    p->c[TA_PC_STREAM_SEGMENTS]++;
                    p->c[TA_PC_STREAM_BYTES] += len;
                    s->next_seq = seq + len;
                }
                drain(p, s, flow_bytes, fn, ud, false, false, 0);
            }
        }
    }
    if (pkt->tcp_flags & TA_TCP_RST)
        ta__stream_flush(p, s, flow_bytes, fn, ud);
}

void ta__stream_ack(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes, uint32_t ack,
                    ta__deliver_fn fn, void *ud)
{
    if (!s->init || s->ooo == NULL)
        return;
    /* The peer received bytes we never saw: they will not come again. */
    if (seq_diff(ack, s->next_seq) > 0 && seq_diff(ack, s->ooo->seq) >= 0)
        drain(p, s, flow_bytes, fn, ud, true, true, ack);
}

void ta__stream_flush(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes,
                      ta__deliver_fn fn, void *ud)
{
    if (s->ooo != NULL)
        drain(p, s, flow_bytes, fn, ud, true, false, 0);
}

void ta__stream_release(struct ta_proto *p, struct ta__stream *s, uint32_t *flow_bytes)
{
    while (s->ooo != NULL) {
        struct ta__seg *g = s->ooo;
        s->ooo = g->next;
        seg_free(p, s, flow_bytes, g);
    }
}
