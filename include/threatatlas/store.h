/*
 * The detection store (stage 7): one SQLite file in WAL mode, shared with the
 * threat-intel module (tables prefixed store_ here, intel_ there, and the
 * shared meta(key, value) table where this module keeps schema.store).
 *
 * What it holds:
 *   store_run        one row per analysis run: digest of its inputs, state
 *                    (running / done), home constituency, intel and GeoIP
 *                    versions, time range of the data, number of events.
 *   store_input      the run's input files: path, size, SHA-256.
 *   store_event      every detection event as a typed attacker -> victim
 *                    edge with its evidence (see threatatlas/event.h), so a
 *                    C&C server and the hosts it controls stay linked.
 *                    Its id is (run id << 32 | sequence number in the run):
 *                    a run's events are one id range, found without an
 *                    index. Request bodies are kept up to 512 bytes.
 *   store_event_zone per completed run, kind and day, the lowest and highest
 *                    id of those events; lists select events by kind and
 *                    day through it (events are stored in capture order, so
 *                    the ranges are narrow) instead of an index on
 *                    store_event, which would cost a B-tree insert per event.
 *   store_day_*      per-day rollups used by the report: distinct sets
 *                    (attacker IPs, C&C victims, phishing pages / backdoored
 *                    websites) keyed by (kind, src_cc, dst_cc, member, day)
 *                    so that distinct counts over any range of days are exact,
 *                    and per-day counters (events; phishing visits, each
 *                    flow dated by its first event).
 *   store_span_*     per member, its first and last day: a member counts in a
 *                    period when either day falls inside; only for a period
 *                    strictly inside its span are the per-day sets consulted.
 *                    A report over the whole history is thus one scan of the
 *                    members, however many days it covers.
 *
 * Call sequence for an analysis (threatatlas analyze):
 *
 *   struct ta_store *st; char err[TA_STORE_ERRLEN];
 *   ta_store_open(db_path, TA_STORE_CREATE, &st, err);
 *   for each input: ta_store_input_hash(path, &inputs[i]);   (size + SHA-256)
 *   struct ta_store_run_info info = {.inputs = inputs, .n_inputs = n,
 *       .home = "CN", .intel_version = "...", .geoip_version = "..."};
 *   bool done;
 *   ta_store_run_begin(st, &info, &done);
 *   if (done) -> nothing to do: these inputs were analysed already.
 *   else {
 *       run the detectors; for each event: ta_store_add_event(st, ev)
 *       (or pass ta_store_event_sink with st as its context);
 *       ta_store_run_finish(st, first_packet_ts, last_packet_ts);
 *       (on a fatal error instead: ta_store_run_abort(st))
 *   }
 *   ta_store_close(st);
 *
 * Crash safety (an analysis killed at any point, kill -9 included):
 *   - SQLite in WAL mode makes every transaction atomic and durable, so the
 *     file is always consistent; the design makes it also *meaningful*.
 *   - ta_store_run_begin commits the run row (state running) and its inputs
 *     before any event is written.
 *   - Events are written in batches of TA_STORE_BATCH per transaction into
 *     store_event only. Nothing that the report counts is touched.
 *   - ta_store_run_finish, in ONE transaction, writes the run's rollups and
 *     event zones and marks the run done. The rollups therefore only ever contain complete
 *     runs. (The rollups are collected in process memory during the run,
 *     capped by ta_store_set_memcap; past the cap finish recomputes them
 *     from the run's stored events with SQL. A crash loses the memory, which
 *     is fine: the run is redone.)
 *   - Every reader (report, lists, events export) only looks at runs in state
 *     done, so a half-written run is invisible.
 *   - Rerunning the same inputs finds the run in state running (its digest is
 *     the same), deletes its events and redoes it from the start. The final
 *     database is then the same as after an uninterrupted run, and so is
 *     the report.
 *   - A run found done is not redone: ta_store_run_begin reports done=true
 *     (idempotence by input digest).
 *   Do not analyse the same inputs from two processes at the same time: the
 *   second would take the first's running run for a crashed one.
 *
 * Idempotence is per run: the run digest is SHA-256 over the sorted input
 * SHA-256s, so "-r a -r b" and "-r b -r a" are the same run. Analysing an
 * overlapping but different set of inputs is a new run; distinct counts stay
 * exact, while the counters (attacks) would count the overlap twice.
 *
 * Errors: functions return ta_err; TA_ERR_DB details are available from
 * ta_store_errmsg(). Library code never prints.
 */
#ifndef THREATATLAS_STORE_H
#define THREATATLAS_STORE_H

#include "threatatlas/common.h"
#include "threatatlas/event.h"
#include "threatatlas/hash.h"

/*
 * Version of the store_ tables written as meta.schema.store. Databases of
 * another version are refused (TA_ERR_UNSUPPORTED, both versions named).
 * 2: event ids are (run id << 32 | sequence in the run), no run_id index.
 */
#define TA_STORE_SCHEMA_VERSION 2
/* Events per write transaction during a run. */
#define TA_STORE_BATCH  20000
#define TA_STORE_ERRLEN 256
/* Default memory cap of a run's in-memory rollups (see ta_store_set_memcap). */
#define TA_STORE_MEMCAP ((size_t)1 << 30)

struct ta_store;

enum ta_store_flags {
    TA_STORE_READONLY = 1 << 0, /* open for reports only; fails if the file is absent */
    TA_STORE_CREATE = 1 << 1,   /* create the file and tables if needed */
};

/*
 * Open (and with TA_STORE_CREATE create or upgrade) the database at path.
 * A database whose schema.store is newer or older than
 * TA_STORE_SCHEMA_VERSION is refused with TA_ERR_UNSUPPORTED and a message
 * in errbuf naming both versions. On failure *out is NULL and errbuf holds one line.
 */
ta_err ta_store_open(const char *path, unsigned flags, struct ta_store **out,
                     char errbuf[TA_STORE_ERRLEN]);
/* Close; a run still open is left unfinished (it will be redone). NULL ok. */
void ta_store_close(struct ta_store *st);
/* Detail of the last TA_ERR_DB (or other) error; never NULL. */
const char *ta_store_errmsg(const struct ta_store *st);

/* One input of a run. path is borrowed. */
struct ta_store_input {
    const char *path;
    uint64_t size;
    uint8_t sha256[TA_SHA256_LEN];
};

/* Fill in->size and in->sha256 from the file at path (in->path = path). */
ta_err ta_store_input_hash(const char *path, struct ta_store_input *in);

/* Run digest: SHA-256 over the inputs' SHA-256s in sorted order. */
void ta_store_run_digest(const struct ta_store_input *inputs, size_t n, uint8_t out[TA_SHA256_LEN]);

/* Description of a run; all strings borrowed, NULL means "". */
struct ta_store_run_info {
    const struct ta_store_input *inputs;
    size_t n_inputs;
    const char *home;          /* home constituency, e.g. "CN" or "CN,HK" */
    const char *intel_version; /* free-form, e.g. "maltrail 2024-05-01; openphish ..." */
    const char *geoip_version; /* free-form, e.g. "ip-location-db 2024-05-01" */
};

/* *done = true if a completed run with this digest exists. */
ta_err ta_store_run_is_done(struct ta_store *st, const uint8_t digest[TA_SHA256_LEN], bool *done);

/*
 * Start a run for info (at least one input). If the same inputs were already
 * analysed to completion, sets *already_done and opens nothing. If an
 * earlier attempt was interrupted, its events are discarded and the run is
 * redone. Fails with TA_ERR_ARG if a run is already open on st.
 */
ta_err ta_store_run_begin(struct ta_store *st, const struct ta_store_run_info *info,
                          bool *already_done);

/*
 * Record one event of the open run (copied; strings may be freed after the
 * call). Batched: committed every TA_STORE_BATCH events. Events with an
 * invalid kind return TA_ERR_ARG.
 */
ta_err ta_store_add_event(struct ta_store *st, const struct ta_event *ev);

/*
 * Adaptor for event callbacks: ctx is the struct ta_store *. Errors are
 * sticky: the first one is kept and returned by ta_store_run_finish.
 */
void ta_store_event_sink(void *ctx, const struct ta_event *ev);

/*
 * Finish the open run: commit the remaining events, fold them into the
 * per-day rollups and mark the run done, atomically. first/last are the
 * capture's time range (0, 0 = take it from the events). If an earlier add
 * failed, returns that error and leaves the run unfinished.
 */
ta_err ta_store_run_finish(struct ta_store *st, ta_time_us first, ta_time_us last);

/* Give up the open run; it stays unfinished and is redone next time. */
void ta_store_run_abort(struct ta_store *st);

/* Events per write transaction (default TA_STORE_BATCH; 0 restores it). */
void ta_store_set_batch(struct ta_store *st, unsigned events);

/*
 * During a run the distinct rollup tuples and counters are collected in
 * memory and written once at finish. Past `bytes` they are dropped and
 * finish folds the run's stored events with SQL instead (slower, same
 * result). Takes effect for runs begun afterwards.
 */
void ta_store_set_memcap(struct ta_store *st, size_t bytes);

/* Counters for the open (or last) run. */
struct ta_store_stats {
    uint64_t events;        /* events added to the current run */
    uint64_t commits;       /* write transactions committed */
    uint64_t runs_redone;   /* unfinished runs discarded and redone by run_begin */
    uint64_t mem_overflows; /* runs whose in-memory rollups hit the memcap */
};
void ta_store_get_stats(const struct ta_store *st, struct ta_store_stats *out);

/* Day number (days since 1970-01-01 UTC) of a timestamp. */
static inline int64_t ta_store_day(ta_time_us t)
{
    return (int64_t)(t / (86400ull * 1000000ull));
}

#endif
