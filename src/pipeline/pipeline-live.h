/*
 * The unordered worker set (internal to src/pipeline): a live capture on N
 * cores, each worker reading its own AF_PACKET socket of one fanout group
 * (threatatlas/source.h) and running decode, the flow table, the app layer
 * and the HTTP content checks on its own clock: its own timeout checks, and
 * the wall clock at its ticks. What the workers observe (flow ends,
 * deep-copied records) goes to the calling thread, which replays it to one
 * fan-out sink (the detector and the writers) merged by time: each
 * observation carries its worker's clock when it was made, each worker
 * publishes how far its clock has gone with everything before handed over,
 * and an observation is replayed once every worker has gone past its time
 * (the watermark: the least of the workers' clocks). Idle workers move
 * their clocks on at their ticks, so the delay is bounded by the tick
 * (about 100 ms) plus the ring's block timeout.
 *
 * Unlike the ordered set (pipeline-workers.h) there is no global frame
 * order, so the output is a live capture's, not byte for byte one engine's;
 * docs/design/workers.md says what is exact.
 */
#ifndef THREATATLAS_PIPELINE_LIVE_H
#define THREATATLAS_PIPELINE_LIVE_H

#include <signal.h>

#include "threatatlas/engine.h"
#include "threatatlas/proto.h"
#include "threatatlas/source.h"

#include "pipeline/pipeline-workers.h"

struct ta__live;

/*
 * Open n (1..TA__WORKERS_MAX) sockets of one new fanout group on iface,
 * each with a ring of ao's geometry. On error errbuf says why (one line)
 * and nothing stays open.
 */
ta_err ta__live_open(const char *iface, unsigned n, const struct ta_source_opts *so,
                     const struct ta_afpacket_opts *ao, struct ta__live **out, char *errbuf,
                     size_t errlen);
/*
 * Give each worker an engine and an app layer with its share of the caps
 * (divided by n, as the ordered set does); observations are replayed to
 * out (borrowed) on the thread that calls ta__live_run. hooks may be NULL.
 */
ta_err ta__live_prepare(struct ta__live *lv, const struct ta_engine_opts *eo,
                        const struct ta_proto_opts *po, const struct ta_obs_sink *out,
                        const struct ta__workers_hooks *hooks);
/*
 * Start the workers and replay their observations until *stop is set (or a
 * worker's socket fails: TA_ERR_IO, errbuf says why); tick(ud) runs on this
 * thread at least every read timeout. Then every worker ends its flows
 * (ta_engine_flush) and everything is replayed before it returns
 * (TA_ERR_INTERRUPTED after a stop).
 */
ta_err ta__live_run(struct ta__live *lv, const volatile sig_atomic_t *stop, void (*tick)(void *),
                    void *ud, char *errbuf, size_t errlen);
/* Closes the sockets and frees everything (stops the workers if running); NULL ok. */
void ta__live_free(struct ta__live *lv);

unsigned ta__live_workers(const struct ta__live *lv);
/* After the run: add the workers' counters to e's and p's. */
void ta__live_absorb(struct ta__live *lv, struct ta_engine *e, struct ta_proto *p);
/* The workers' engine counters as of their last hand-over (any time). */
void ta__live_stats(struct ta__live *lv, struct ta_engine_stats *st);
/* The sockets' counters summed (kernel drops: call from the run's thread). */
void ta__live_capture(struct ta__live *lv, struct ta_source_stats *st);
/* Observations that could not be handed over (out of memory); non-zero fails the run. */
uint64_t ta__live_lost(const struct ta__live *lv);
/* Observations replayed before the watermark reached them because the hand-over was full. */
uint64_t ta__live_early(const struct ta__live *lv);

#endif
