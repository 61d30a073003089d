/*
 * The observation engine: decode -> flow table -> app layer -> observers.
 *
 * A ta_engine takes frames from any source and produces observations (flows,
 * and through the app layer tagged records such as dns/http/tls) that it
 * hands to the registered sinks. Detectors and the EVE writer are sinks; they never know
 * where an observation came from. Time comes from the packets, and in a live capture also
 * from the wall clock (ta_engine_advance).
 */
#ifndef THREATATLAS_ENGINE_H
#define THREATATLAS_ENGINE_H

#include "threatatlas/common.h"
#include "threatatlas/decode.h"
#include "threatatlas/flow.h"

/*
 * The sink model. The engine makes one kind of observation itself, the end
 * of a flow (on_flow). Every other observation comes from the app layer
 * (or any later stage plugged in through ta_app_hooks) as a tagged record:
 * on_record(ud, flow, type, rec), where type is the producer's tag and rec
 * points to a record of that type. The engine only fans records out; it
 * never looks inside them, so this header names no record type and adding
 * a protocol does not edit it. The tags and record structs are defined by
 * their producer (proto.h: TA_REC_DNS, TA_REC_HTTP, TA_REC_TLS); a sink
 * switches on the tags it knows and ignores the others. Tags are small
 * positive integers; 0 is never a record.
 *
 * Any callback may be NULL. Pointers passed are borrowed for the duration
 * of the call only.
 */
struct ta_obs_sink {
    void *ud;
    /* A flow ended (timeout, teardown, eviction, end of input). */
    void (*on_flow)(void *ud, const struct ta_flow *f);
    /* A record of type `type` seen on flow f. */
    void (*on_record)(void *ud, const struct ta_flow *f, uint32_t type, const void *rec);
};

/*
 * App-layer hooks (implemented by the proto module, registered by the
 * caller). The engine calls packet() for every packet of a flow after flow
 * accounting, and flow_end() once when the flow ends, before on_flow sinks
 * run and before the flow is freed; flow_end must release f->app.
 * `emit` is the engine's fan-out to all sinks: the app layer calls
 * emit->on_record(emit->ud, f, tag, rec) for each record it makes.
 */
struct ta_app_hooks {
    void (*packet)(void *ctx, struct ta_flow *f, const struct ta_packet *p, enum ta_flow_dir dir,
                   const struct ta_obs_sink *emit);
    void (*flow_end)(void *ctx, struct ta_flow *f, const struct ta_obs_sink *emit);
};

struct ta_engine_opts {
    struct ta_decode_opts decode;
    uint32_t max_flows;          /* flow table cap (default 1,000,000) */
    uint32_t tcp_new_timeout;    /* seconds, flows not yet established (default 30) */
    uint32_t tcp_est_timeout;    /* seconds idle, established TCP (default 300) */
    uint32_t tcp_closed_timeout; /* seconds after FIN/RST teardown (default 10) */
    uint32_t udp_timeout;        /* seconds idle (default 60) */
    uint32_t other_timeout;      /* seconds idle, ICMP and others (default 30) */
};

void ta_engine_opts_default(struct ta_engine_opts *o);

struct ta_engine;

ta_err ta_engine_new(const struct ta_engine_opts *opts, struct ta_engine **out);
void ta_engine_free(struct ta_engine *e);

/* Sinks are called in registration order. At most 8. */
ta_err ta_engine_add_sink(struct ta_engine *e, const struct ta_obs_sink *sink);
/* At most one app layer; without one, only flow observations are made. */
void ta_engine_set_app_layer(struct ta_engine *e, const struct ta_app_hooks *hooks, void *ctx);

/* Feed one captured frame. */
void ta_engine_packet(struct ta_engine *e, int linktype, ta_time_us ts, const uint8_t *frame,
                      uint32_t caplen, uint32_t wirelen);
/*
 * Move the engine's clock to now (microseconds, the packets' time base) when
 * that is later than the last packet, and end the flows whose timeout has
 * passed. A live capture calls it with the wall clock while no packets
 * arrive, so idle flows (and the app-layer transactions they hold) end on
 * time; reading files never calls it and time comes only from the packets.
 */
void ta_engine_advance(struct ta_engine *e, ta_time_us now);
/* End of input: end every flow (reason shutdown), in a deterministic order. */
void ta_engine_flush(struct ta_engine *e);

struct ta_engine_stats {
    uint64_t packets;   /* frames fed */
    uint64_t decoded;   /* frames decoded to an IP packet */
    uint64_t bytes;     /* sum of wire lengths */
    uint64_t skipped;   /* not IP */
    uint64_t invalid;   /* malformed (see decoder counters by reason) */
    uint64_t frag_held; /* fragments stored for reassembly */
    uint64_t flows_created;
    uint64_t flows_ended;
    uint64_t flows_evicted; /* ended early at the max_flows cap */
    uint64_t flows_active;
};
void ta_engine_get_stats(const struct ta_engine *e, struct ta_engine_stats *st);
const struct ta_decoder *ta_engine_decoder(const struct ta_engine *e);
/* The latest packet time seen (0 before the first packet). */
ta_time_us ta_engine_now(const struct ta_engine *e);

/*
 * Observations made without packets (flow records, sensor and server logs)
 * reach the same sinks through the engine's fan-out: on_flow and on_record
 * call every registered sink in registration order, exactly as for the
 * engine's own observations. The sink is valid while e lives; the caller
 * owns the flows and records it passes. Such flows are not in the flow
 * table and do not move the engine's clock.
 */
const struct ta_obs_sink *ta_engine_fanout(struct ta_engine *e);

/*
 * The EVE flow_id the engine gives a flow with f's 5-tuple (src = client),
 * VLANs, ip_version (and, for ICMP, icmp_type) starting at f->start: so a
 * flow rebuilt from a record gets the id its packets would have had.
 */
uint64_t ta_flow_id_of(const struct ta_flow *f);

/*
 * Worker mode, for a set of engines that together must do what one engine
 * fed every frame does (the pipeline's worker set): each holds the flows of
 * the frames dispatched to it, by a hash of the addresses. A worker's clock
 * and timeout checks are driven from outside, and every observation can be
 * placed in the whole input's order through ta_engine_ctx().
 *
 * Positions are the global frame sequence numbers (0-based) the dispatcher
 * gives each frame. One engine's class lists (one per timeout class) are in
 * the order of the frame that last queued each flow (its append sequence),
 * so the workers' lists are disjoint slices of one engine's lists.
 */
#define TA_ENGINE_CLASSES 5

/* What the engine is doing when it calls a sink. */
enum ta_engine_phase {
    TA_ENGINE_PHASE_PACKET = 0, /* inside ta_engine_packet() */
    TA_ENGINE_PHASE_EXPIRE = 1, /* a timeout check */
    TA_ENGINE_PHASE_FLUSH = 2,  /* inside ta_engine_flush() */
};

struct ta_engine_ctx {
    uint8_t phase; /* enum ta_engine_phase */
    uint8_t cls;   /* class list of the flow being ended */
    uint64_t aseq; /* its append sequence */
    uint64_t cseq; /* its creation sequence */
};

/*
 * Worker mode: ta_engine_packet() no longer checks timeouts itself (the
 * caller does, with the two calls below) and flows are numbered by the
 * global frame sequence set before each frame.
 */
void ta_engine_set_worker(struct ta_engine *e);
void ta_engine_set_seq(struct ta_engine *e, uint64_t seq);
/* The context of the flow end or record being emitted now. */
const struct ta_engine_ctx *ta_engine_ctx(const struct ta_engine *e);
/*
 * A timeout check at clock `now`, in two steps so that several workers end
 * what one engine would. One engine walks each class list from its oldest
 * end and stops at the first flow still alive; first_live() gives, per
 * class, the append sequence of this engine's first live flow (UINT64_MAX if
 * none), and expire_before() ends, per class, the flows whose append
 * sequence is below bound[class]: with bound the minimum of first_live over
 * all workers, exactly the flows one engine would end.
 */
void ta_engine_first_live(struct ta_engine *e, ta_time_us now, uint64_t out[TA_ENGINE_CLASSES]);
void ta_engine_expire_before(struct ta_engine *e, const uint64_t bound[TA_ENGINE_CLASSES]);
/* Add src's counters (engine and decoder) to dst's; dst's clock becomes the later one. */
void ta_engine_absorb(struct ta_engine *dst, const struct ta_engine *src);

#endif
