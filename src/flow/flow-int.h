/*
 * The engine's worker mode, for the pipeline's worker set only (not part of
 * the public API). Several engines each hold a share of the flows (frames
 * are dispatched by a hash of the addresses) and together must end flows
 * exactly when one engine fed every frame would: a worker's clock and its
 * timeout checks are driven from outside, and every flow end carries the
 * position in the whole input that orders it among all the workers' ends.
 *
 * Positions are the global frame sequence numbers (0-based) the dispatcher
 * gives each frame. One engine's class lists are in the order of the frame
 * that last queued each flow (its append sequence), so the workers' lists
 * are disjoint slices of the one engine's list, ordered by that sequence.
 */
#ifndef THREATATLAS_FLOW_INT_H
#define THREATATLAS_FLOW_INT_H

#include "threatatlas/engine.h"

#define TA__ENGINE_CLASSES 5

/* What the engine is doing when it calls a sink (see ta__engine_ctx). */
enum ta__engine_phase {
    TA__PHASE_PACKET = 0, /* inside ta_engine_packet() */
    TA__PHASE_EXPIRE = 1, /* inside ta__engine_expire_before() */
    TA__PHASE_FLUSH = 2,  /* inside ta_engine_flush() */
};

struct ta__engine_ctx {
    uint8_t phase; /* enum ta__engine_phase */
    uint8_t cls;   /* class list of the flow being ended (expiry) */
    uint64_t aseq; /* its append sequence (expiry) */
    uint64_t cseq; /* its creation sequence (flush) */
};

/*
 * Worker mode: ta_engine_packet() no longer checks timeouts itself (the
 * caller does, with the sequence below) and flows are numbered by the
 * global frame sequence set before each frame.
 */
void ta__engine_set_worker(struct ta_engine *e);
void ta__engine_set_seq(struct ta_engine *e, uint64_t seq);
/* The context of the flow end or record being emitted now. */
const struct ta__engine_ctx *ta__engine_ctx(const struct ta_engine *e);

/*
 * A timeout check at clock `now`, in two steps so that several workers
 * end what one engine would. One engine walks each class list from its
 * oldest end and stops at the first flow still alive; first_live() gives,
 * per class, the append sequence of this engine's first live flow
 * (UINT64_MAX if none), and expire_before() ends, per class, the flows
 * whose append sequence is below bound[class]: with bound the minimum of
 * first_live over all workers, exactly the flows one engine would end.
 */
void ta__engine_first_live(struct ta_engine *e, ta_time_us now, uint64_t out[TA__ENGINE_CLASSES]);
void ta__engine_expire_before(struct ta_engine *e, const uint64_t bound[TA__ENGINE_CLASSES]);

/* Add src's counters (engine and decoder) to dst's; dst's clock becomes the later one. */
void ta__engine_absorb(struct ta_engine *dst, const struct ta_engine *src);

#endif
