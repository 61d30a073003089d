/*
 * The worker set (internal to src/pipeline): the packet stages of one run
 * spread over N threads, with output identical to one engine's.
 *
 * The calling thread (the one reading the sources) numbers every frame,
 * adds it (a copy, or a pointer to a frame the source keeps) to the current
 * batch for the engine its addresses hash to (ta__workers_pick), runs
 * engine 0 itself, one batch behind, and replays, in batch order, what the engines
 * observed into one fan-out sink: the detector and the writers stay on the
 * calling thread and see the observations in exactly the order one engine
 * would have made them. Each engine has an app layer (TCP reassembly,
 * DNS/HTTP/TLS) and the share of the memory caps that it has of the frames.
 *
 * Order. Every observation carries the position that orders it in one
 * engine's run: the frame that caused it; for a timeout, the timeout check,
 * the flow's class and the frame that last queued it; at the end of input,
 * the frame that created the flow. Batches end at every timeout check (each
 * second of packet time, as the engine checks them) and the workers decide
 * together which flows that check ends (engine.h, worker mode), so a flow ends at the
 * same frame as with one engine. docs/design/workers.md has the design.
 */
#ifndef THREATATLAS_PIPELINE_WORKERS_H
#define THREATATLAS_PIPELINE_WORKERS_H

#include "threatatlas/detect.h"
#include "threatatlas/engine.h"
#include "threatatlas/proto.h"

/* The most workers a set runs. */
#define TA__WORKERS_MAX 64

struct ta__workers;

/*
 * Work the workers do for the detector. With http_content set, each worker
 * runs the content checks of every HTTP transaction it parses
 * (ta_detect_http_content: webshell shapes, phishing forms) and, on
 * replay, http_content(ud, verdicts or NULL) is called just before that
 * transaction's record reaches the sinks.
 */
struct ta__workers_hooks {
    void *ud;
    void (*http_content)(void *ud, const struct ta_detect_http_content *c);
    /*
     * With http_content: the most bytes of each HTTP body the sinks read
     * once the verdicts are given (ta_detect_http_body_prefix), so the rest
     * is not copied across threads; 0 is taken as all.
     */
    size_t body_prefix;
};

/*
 * Shared with the AF_PACKET workers (pipeline-live.c). ta__workers_caps:
 * engine i of n's stage options, each configured cap cut to share(cap, i, n)
 * (the flow table, the fragment table, the stream and app-layer memcaps).
 * ta__workers_stats_add: x's engine counters added to st's.
 */
typedef uint64_t (*ta__workers_share_fn)(uint64_t v, unsigned i, unsigned n);
void ta__workers_caps(const struct ta_engine_opts *eo, const struct ta_proto_opts *po,
                      ta__workers_share_fn share, unsigned i, unsigned n,
                      struct ta_engine_opts *weo, struct ta_proto_opts *wpo);
void ta__workers_stats_add(struct ta_engine_stats *st, const struct ta_engine_stats *x);

/*
 * Start n engines (2..TA__WORKERS_MAX): engine 0 on the calling thread, the
 * others on n-1 threads, with the given stage options (caps shared out as
 * the frames are); observations are replayed to out (borrowed; called on the
 * thread that calls ta__workers_frame, _advance and _finish). hooks may be NULL.
 */
ta_err ta__workers_new(unsigned n, const struct ta_engine_opts *eo, const struct ta_proto_opts *po,
                       const struct ta_obs_sink *out, const struct ta__workers_hooks *hooks,
                       struct ta__workers **ws);
/* Stops the threads (at once if the input was not finished) and frees everything; NULL ok. */
void ta__workers_free(struct ta__workers *ws);

/* One frame (copied). Replays what the workers have finished meanwhile. */
void ta__workers_frame(struct ta__workers *ws, int linktype, ta_time_us ts, const uint8_t *frame,
                       uint32_t caplen, uint32_t wirelen);
/*
 * One frame that stays readable, not copied: the workers read it where it
 * lies until ta__workers_release() says its number (the count of frames
 * taken before it) is below n.
 */
void ta__workers_frame_kept(struct ta__workers *ws, int linktype, ta_time_us ts,
                            const uint8_t *frame, uint32_t caplen, uint32_t wirelen);
/* Frames numbered below n go away: returns once no worker reads them any more. */
void ta__workers_release(struct ta__workers *ws, uint64_t n);
/* ta_engine_advance() of every worker: the live capture's wall clock. */
void ta__workers_advance(struct ta__workers *ws, ta_time_us now);
/* Replay what the workers have finished, without waiting (a live capture's tick). */
void ta__workers_poll(struct ta__workers *ws);
/* End of input: every frame processed, every flow ended (ta_engine_flush), all replayed. */
void ta__workers_finish(struct ta__workers *ws);

/* Add the workers' counters (engine, decoder, app layer) to e's and p's. */
void ta__workers_absorb(struct ta__workers *ws, struct ta_engine *e, struct ta_proto *p);
/* Progress: frames taken; the workers' engine counters summed, as of their last batch. */
uint64_t ta__workers_frames(const struct ta__workers *ws);
void ta__workers_stats(struct ta__workers *ws, struct ta_engine_stats *st);
/* Observations that could not be handed over (out of memory); non-zero fails the run. */
uint64_t ta__workers_lost(const struct ta__workers *ws);

/*
 * The worker (0..n-1) of a frame: a hash of its IP source and destination
 * addresses that is the same both ways (so a flow's two directions meet),
 * and that reads no ports, so an IP fragment without its transport header
 * goes where the rest of its datagram and its flow go. Frames that are not
 * IP (or too short to tell) go to worker 0.
 */
unsigned ta__workers_pick(int linktype, const uint8_t *frame, uint32_t caplen, unsigned n);

#endif
