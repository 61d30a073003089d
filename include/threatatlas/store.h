/*
 * The detection store (stage 7): one SQLite file in WAL mode, shared with the
 * threat-intel module (tables prefixed store_ here, intel_ there, and the
 * shared meta(key, value) table where this module keeps schema.store). Each
 * module opens its own connection to the file; neither sees the other's.
 *
 * Event identity. The same observed transaction is one event however many
 * times, from however many files or sensors, it arrives. An event's key is a
 * 64-bit hash of (kind, attacker ip and port, victim ip and port, IP
 * protocol, tx_index); a new event is a duplicate of a stored one with the
 * same key whose flow_start (ts when the detector gave none) is within the
 * clock skew (ta_store_set_skew, default TA_STORE_SKEW_US = 2 s), the
 * tolerance between two sensors' clocks. The key is stored with the time
 * bucket of flow_start (2^30 us, about 18 minutes) in its high bits, so the
 * index on (key, flow_start) is written near its end as captures advance in
 * time; a lookup reads the bucket of flow_start - skew and, when different,
 * that of flow_start + skew. The first copy of an event keeps its evidence;
 * later ones only add a sighting.
 *
 * What it holds:
 *   store_run        one row per analysis run: digest of its inputs, state
 *                    (running / done), options (home, home nets, sensor),
 *                    intel and GeoIP versions and the GeoIP build date, time
 *                    range of the data, events new and already known, pid;
 *                    live (a live capture's interface) and last_commit.
 *   store_input      the run's input files: path, size, SHA-256.
 *   store_event      every distinct event (see threatatlas/event.h) with its
 *                    evidence, identity (ikey, fs) and nruns, the number of
 *                    runs that saw it. Its id is (id of the run that first
 *                    stored it << 32 | sequence in that run).
 *   store_sighting   (event, run) for every other run that saw the event:
 *                    with the storing run, which runs and so which sensors
 *                    (a run has one) saw it, and a run's contribution.
 *   store_event_zone per storing run, kind and day, the lowest and highest
 *                    id of those events; lists select events by kind and
 *                    day through it instead of an index on (kind, day).
 *   store_day_*      per-day distinct sets with reference counts (events
 *                    behind each (kind, src_cc, dst_cc, day, member)):
 *                    attacker, victim (C&C and payload kinds), item (pages,
 *                    websites), victim_est (C&C hosts with an established
 *                    session), attacker_dated (C&C servers behind at least
 *                    one dated indicator); per-day counters (events, visits)
 *                    and suppressed events per allow list.
 *   store_span_*     per member, its first and last day.
 *   store_shape_*    per (kind, src_cc, dst_cc): how many members have each
 *                    span (gap 0, lo = first day, hi = last day) and each
 *                    gap (gap 1: days lo..hi without the member inside its
 *                    span). The members seen in a period are those whose
 *                    span meets it less those with a gap covering it (at
 *                    most one each), so a distinct count reads rows that
 *                    grow with the days, not with the members. Kept with
 *                    each batch's rollups; a batch in time order changes a
 *                    member's shape at its last day without reading its
 *                    days.
 *   Suppressed events (suppressed_by set) are stored but enter only the
 *   suppressed counters.
 *
 * Call sequence for an analysis (threatatlas analyze):
 *
 *   ta_store_lock_take(db_path, "analyze (pid N)", -1, note, ctx, &lock, err);
 *   ta_store_open(db_path, TA_STORE_CREATE, &st, err);
 *   for each input: ta_store_input_hash(path, &inputs[i]);   (size + SHA-256)
 *   struct ta_store_run_info info = {.inputs = inputs, .n_inputs = n, ...};
 *   ta_store_run_begin(st, &info, &done);
 *   if (done) -> nothing to do: every input was analysed to completion.
 *   else { for each event: ta_store_add_event(st, ev); ta_store_run_finish(st, 0, 0); }
 *   ta_store_close(st); ta_store_lock_release(lock);
 *
 * Crash safety (an analysis killed at any point, kill -9 included):
 *   - SQLite in WAL mode makes every transaction atomic and durable.
 *   - Events are written in batches of TA_STORE_BATCH per transaction, and
 *     each batch's rollups are written in the same transaction, so the
 *     rollups always equal the stored events: a report during a run sees
 *     exactly the committed batches.
 *   - A rerun on the same inputs finds the run unfinished (same digest) and
 *     resumes it: the committed events are found known (their sighting by
 *     this run exists) and count nothing again. The final database gives the
 *     report of an uninterrupted run.
 *
 * Live runs (info.live, a capture from an interface): committed with
 * ta_store_commit every few seconds as well as every batch, each start a
 * new run. A kill -9 loses the events since the last commit; the run stays
 * unfinished and is listed as interrupted (its process is gone). A restart
 * is a new run: transactions it sees again are found known (identity), so
 * nothing counts twice. ta_store_run_delete refuses a live run whose
 * process still runs.
 *
 * Runs. ta_store_run_delete removes a run: its sightings go, and events no
 * other run saw are deleted with their contribution subtracted from the
 * rollups (spans recomputed for the touched members), in one transaction;
 * the report then equals what it would have been without that run.
 * With info.redo, runs_begin first deletes every run that analysed one of
 * the inputs (refusing, TA_ERR_ARG, when such a run also had other inputs).
 *
 * Writers. One writer at a time per database: ta_store_lock_take holds an
 * advisory lock (flock) on "<db>.lock", released when the process ends
 * however it ends. analyze, intel import and runs delete take it; a second
 * writer waits (with a note naming the holder) or, without waiting, is
 * refused at start. Readers never take it: WAL gives them the last commit.
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
 * 3: event identity across runs, sightings, reference-counted rollups
 *    written per batch, sensors, suppressed and payload events.
 * 4: member shapes (store_shape_*). A version 3 database is migrated by a
 *    writable open (shapes computed from the per-day sets) and read as it
 *    is by a read-only one.
 * 5: the per-day sets keyed (kind, src_cc, dst_cc, day, member), so a
 *    batch writes near the end of each pair's rows. Versions 3 and 4 are
 *    migrated by a writable open (rows copied in the new order) and read as
 *    they are by a read-only one.
 */
#define TA_STORE_SCHEMA_VERSION 5
/* Events per write transaction during a run. Each batch also writes its
 * rollups, whose upserts (spread over the per-member tables) cost more than
 * the events: fewer, larger batches are cheaper (bench-report, 3M events
 * over 60 days: 100,000 per batch 26.8 s CPU, 500,000 per batch 22.0 s). */
#define TA_STORE_BATCH  500000
#define TA_STORE_ERRLEN 256
/* Default memory cap of a batch's in-memory rollups (see ta_store_set_memcap). */
#define TA_STORE_MEMCAP ((size_t)1 << 30)
/* Default clock skew between sensors within which two copies are one event. */
#define TA_STORE_SKEW_US ((ta_time_us)2000000)
/* Largest skew accepted (the identity's time buckets are 2^30 us wide). */
#define TA_STORE_SKEW_MAX_US ((ta_time_us)600000000)

struct ta_store;

enum ta_store_flags {
    TA_STORE_READONLY = 1 << 0, /* open for reports only; fails if the file is absent */
    TA_STORE_CREATE = 1 << 1,   /* create the file and tables if needed */
};

/*
 * Backends. path is a SQLite file, or clickhouse://HOST:PORT/DATABASE for a
 * ClickHouse server (its HTTP port): the user comes from TA_CLICKHOUSE_USER
 * (default "default"), the password from the file named by
 * TA_CLICKHOUSE_PASSWORD_FILE or from TA_CLICKHOUSE_PASSWORD, never from the
 * URL. TA_CLICKHOUSE_RETRY: seconds a request is retried while the server
 * cannot be reached (default 120); TA_CLICKHOUSE_BATCH: events per batch
 * (default 100,000). A ClickHouse store takes many writers at
 * once (the writer lock below holds nothing there), keeps no indicators,
 * and does not delete runs (TA_ERR_UNSUPPORTED, as for --redo). See
 * docs/design/store-clickhouse.md.
 */
bool ta_store_is_clickhouse(const char *path);

/*
 * Open (and with TA_STORE_CREATE create or upgrade) the database at path.
 * A database whose schema.store is newer or older than
 * TA_STORE_SCHEMA_VERSION is refused with TA_ERR_UNSUPPORTED and a message
 * in errbuf naming both versions. On failure *out is NULL and errbuf holds one line.
 */
ta_err ta_store_open(const char *path, unsigned flags, struct ta_store **out,
                     char errbuf[TA_STORE_ERRLEN]);
/* Close; a run still open is left unfinished (a rerun resumes it). NULL ok. */
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
    const char *home_nets;     /* home networks file, as given */
    const char *sensor;        /* name of the sensor the captures come from */
    const char *intel_version; /* free-form, e.g. "maltrail 2024-05-01; openphish ..." */
    const char *geoip_version; /* free-form, e.g. "ip-location-db 2024-05-01" */
    uint64_t geoip_built;      /* build time of the GeoIP data, Unix seconds; 0 unknown */
    bool redo;                 /* replace the runs that analysed these inputs */
    /* A live run: the interface captured (no inputs, no redo). Every start
     * is a new run, with a digest of its own; it stays unfinished ("live")
     * until ta_store_run_finish, and one whose process died is interrupted. */
    const char *live;
};

/* *done = true if a completed run with this digest exists. */
ta_err ta_store_run_is_done(struct ta_store *st, const uint8_t digest[TA_SHA256_LEN], bool *done);

/*
 * Start a run for info (at least one input). Unless info->redo, if every
 * input (by SHA-256) was already analysed to completion, sets *already_done
 * and opens nothing. If an earlier attempt on the same inputs was
 * interrupted, that run is resumed. With info->redo, the runs that analysed
 * any of the inputs are deleted first (TA_ERR_ARG, with a message, if one
 * of them also analysed other inputs). Fails with TA_ERR_ARG if a run is
 * already open on st.
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
 * Finish the open run: commit the remaining events with their rollups and
 * mark the run done, atomically. first/last are the capture's time range
 * (0, 0 = take it from the events). If an earlier add failed, returns that
 * error and leaves the run unfinished.
 */
ta_err ta_store_run_finish(struct ta_store *st, ta_time_us first, ta_time_us last);

/*
 * Commit the events added so far (with their rollups) now, instead of at
 * the next TA_STORE_BATCH: a live run calls it every few seconds, so that a
 * crash loses at most the events since the last call. Nothing pending:
 * nothing written. An error is sticky (returned by ta_store_run_finish).
 */
ta_err ta_store_commit(struct ta_store *st);
/* Replace the open run's intel version (a sensor reloaded its intel); written
 * with the open batch if there is one, else at once. */
ta_err ta_store_run_set_intel_version(struct ta_store *st, const char *version);
/* Record the open run's sources (struct ta_store_run_desc.sources). */
ta_err ta_store_run_set_sources(struct ta_store *st, const char *sources);
/* Whether events were added since the last commit. */
bool ta_store_pending(const struct ta_store *st);

/* Give up the open run; it stays unfinished (its committed batches count) and is
 * resumed next time. */
void ta_store_run_abort(struct ta_store *st);

/* Events per write transaction (default TA_STORE_BATCH; 0 restores it). */
void ta_store_set_batch(struct ta_store *st, unsigned events);

/*
 * A batch's rollup tuples and counters are collected in memory and written
 * with the batch. Past `bytes` the batch is committed early. The same cap
 * bounds a list's grouping in memory (ta_store_list), past which SQLite
 * groups the rows instead.
 */
void ta_store_set_memcap(struct ta_store *st, size_t bytes);

/* Clock skew within which two copies of a transaction are one event
 * (default TA_STORE_SKEW_US); TA_ERR_ARG above TA_STORE_SKEW_MAX_US. */
ta_err ta_store_set_skew(struct ta_store *st, ta_time_us skew);

/* Id of the open run, 0 if none. */
int64_t ta_store_run_id(const struct ta_store *st);

/*
 * A bulk load into a new ClickHouse database that no other writer uses (the
 * benchmark's 100 M events): begin (after ta_store_run_begin, before the
 * first event) drops the rollups' views, so events are stored without them;
 * end (after ta_store_run_finish) fills the rollups from the stored events,
 * about slice_groups groups a statement (0: each rollup's default), and
 * makes the views again. The answers are those of a load through the views.
 * TA_ERR_ARG when the database already has events; TA_ERR_UNSUPPORTED on a
 * SQLite store.
 */
ta_err ta_store_bulk_begin(struct ta_store *st);
ta_err ta_store_bulk_end(struct ta_store *st, uint64_t slice_groups);

/* Counters for the open (or last) run. */
struct ta_store_stats {
    uint64_t events;        /* events added to the current run (this process) */
    uint64_t events_new;    /* of those, stored as new events */
    uint64_t events_known;  /* already stored by another run: a sighting added */
    uint64_t events_repeat; /* already seen by this run (repeated input) */
    uint64_t commits;       /* write transactions committed */
    uint64_t runs_redone;   /* unfinished runs resumed by run_begin */
    uint64_t runs_replaced; /* runs deleted by a redo */
    uint64_t mem_overflows; /* batches committed early at the memcap */
};
void ta_store_get_stats(const struct ta_store *st, struct ta_store_stats *out);

/* ---- runs ---- */

/* One stored run, as listed; strings valid during the callback only. */
struct ta_store_run_desc {
    int64_t id;
    bool done;
    const char *digest; /* hex */
    const char *home, *home_nets, *sensor, *intel_version, *geoip_version;
    uint64_t geoip_built;         /* Unix seconds, 0 unknown */
    ta_time_us ts_first, ts_last; /* time range of its events */
    uint64_t events_new;          /* events it stored first */
    uint64_t events_known;        /* events another run had stored already */
    int64_t started, finished;    /* wall clock, Unix seconds (finished 0: not done) */
    int64_t pid;                  /* process that ran it last */
    const char *live;             /* live run: the interface; "" for captures */
    int64_t last_commit;          /* wall clock of its last batch, Unix seconds (0: none) */
    bool alive;                   /* live, unfinished and its process still runs (else an
                                     unfinished live run was interrupted) */
    const struct ta_store_input *inputs;
    size_t n_inputs;
    /* The kinds of input that contributed and, for flow records, each exporter with its
     * sampling rate: entries separated by "; " ("pcap; flows: ipfix 192.0.2.1 domain 1
     * sampling 1 in 1000"); "" when not recorded. */
    const char *sources;
};
/* Return false to stop the listing. */
typedef bool (*ta_store_run_cb)(void *ctx, const struct ta_store_run_desc *run);
/* Call cb for each run in id order (only run `id` if id > 0; TA_ERR_NOTFOUND if absent). */
ta_err ta_store_runs_list(struct ta_store *st, int64_t id, ta_store_run_cb cb, void *ctx);
/*
 * Delete run id and exactly its contribution (events no other run saw), in
 * one transaction. TA_ERR_NOTFOUND if there is no such run; TA_ERR_ARG while
 * a run is open on st. The caller holds the writer lock.
 */
ta_err ta_store_run_delete(struct ta_store *st, int64_t id);

/* ---- reading: the query API ----
 *
 * Everything a reader (the report module) asks of the store; all SQL stays
 * in the store. A second store (another backend, e.g. one talked to over
 * HTTP) provides exactly these functions with these meanings, as well as
 * ta_store_open/close/errmsg and ta_store_runs_list:
 *
 *   ta_store_has_data        was anything ever analysed into this database
 *   ta_store_pair_counters   per (src_cc, dst_cc): events and flows
 *   ta_store_pair_distinct   per (src_cc, dst_cc): distinct members of a set
 *   ta_store_suppressed      per (kind, allow list): suppressed events
 *   ta_store_list            evidence lists, grouped, ordered and limited
 *   ta_store_events_*        every distinct stored event, by (ts, id)
 *
 * Period filters select whole UTC days and optionally countries. Callbacks
 * return TA_OK to go on; any other value stops the query, which returns it.
 * Strings passed to callbacks are valid during the call only.
 */

/* Days from_day..to_day (ta_store_day numbers, both included) and, when not
 * "", the attacker (src) and victim (dst) country, upper case. */
struct ta_store_period {
    int64_t from_day, to_day;
    char src_cc[3], dst_cc[3];
};

/* false if nothing was ever analysed into this database (no store tables):
 * every query below then finds no rows. */
bool ta_store_has_data(const struct ta_store *st);

/* One value per country pair: src_cc or dst_cc is "" when not known. */
typedef ta_err (*ta_store_pair_cb)(void *ctx, const char *src_cc, const char *dst_cc, uint64_t a,
                                   uint64_t b);

/* Counters of kind over the period, summed per pair: a = events (not
 * suppressed), b = flows: phishing visits (one phishing event per flow and
 * kind), 0 for the other kinds. Pairs in no particular order. */
ta_err ta_store_pair_counters(struct ta_store *st, const struct ta_store_period *p,
                              enum ta_event_kind kind, ta_store_pair_cb cb, void *ctx);

/* The distinct sets kept per (kind, pair, day); see "What it holds". */
enum ta_store_set {
    TA_STORE_SET_ATTACKER = 0,   /* attacker IPs */
    TA_STORE_SET_VICTIM,         /* victim IPs (C&C and payload kinds) */
    TA_STORE_SET_ITEM,           /* pages, websites (phishing and backdoor kinds) */
    TA_STORE_SET_VICTIM_EST,     /* victims with an established C&C session */
    TA_STORE_SET_ATTACKER_DATED, /* C&C servers behind at least one dated indicator */
    TA_STORE_SET__COUNT
};

/* Exact number of distinct members of set seen with kind in the period, per
 * pair: a = count, b = 0. Pairs in no particular order. */
ta_err ta_store_pair_distinct(struct ta_store *st, const struct ta_store_period *p,
                              enum ta_event_kind kind, enum ta_store_set set, ta_store_pair_cb cb,
                              void *ctx);

/* Suppressed events over the period per kind and allow list, only those
 * with events > 0, in (kind, list) order. */
typedef ta_err (*ta_store_suppressed_cb)(void *ctx, enum ta_event_kind kind, const char *list,
                                         uint64_t events);
ta_err ta_store_suppressed(struct ta_store *st, const struct ta_store_period *p,
                           ta_store_suppressed_cb cb, void *ctx);

/* Evidence lists: the counted (not suppressed) events of the period grouped
 * by the counted thing, largest first. */
enum ta_store_list {
    TA_STORE_LIST_C2_SERVERS = 0, /* C&C events by server */
    TA_STORE_LIST_CONTROLLED_HOSTS,
    TA_STORE_LIST_PHISHING_HOSTS,
    TA_STORE_LIST_PHISHING_PAGES,
    TA_STORE_LIST_BACKDOOR_SOURCES,
    TA_STORE_LIST_BACKDOORED_SITES,
    TA_STORE_LIST__COUNT
};

enum ta_store_col_type {
    TA_STORE_COL_IP,   /* addr (4 or 16 bytes, network order) */
    TA_STORE_COL_TEXT, /* text */
    TA_STORE_COL_INT,  /* i */
    TA_STORE_COL_TIME, /* i, microseconds since the epoch */
    TA_STORE_COL_LIST, /* text: sorted, unique, comma-separated */
};

struct ta_store_col {
    const char *name;
    enum ta_store_col_type type;
};

/* One value of a list row. null: no value (text NULL, i 0, addr_len 0). */
struct ta_store_cell {
    bool null;
    int64_t i;
    const char *text;
    const uint8_t *addr;
    size_t addr_len;
};

/* Columns of a list (names are the output contract), *n of them; NULL if l
 * is out of range. */
const struct ta_store_col *ta_store_list_cols(enum ta_store_list l, size_t *n);
/* Name of a list ("c2-servers"), NULL if out of range. */
const char *ta_store_list_name(enum ta_store_list l);

/* One row: cells[i] for column i of ta_store_list_cols. */
typedef ta_err (*ta_store_row_cb)(void *ctx, const struct ta_store_cell *cells, size_t n);
/* Rows of list l over the period, in the list's order, at most limit (0 =
 * all). TA_ERR_ARG if l is out of range. Reads every event of the kind and
 * period once (store-list.c). */
ta_err ta_store_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                     size_t limit, ta_store_row_cb cb, void *ctx);

/* One stored event as the detector emitted it, with what the store adds.
 * Strings borrow from the cursor until the next call. */
struct ta_store_event_row {
    int64_t id;
    struct ta_event ev; /* ev.page / ev.website set from item by kind */
    const char *a_cc;   /* the countries as stored (NULL: none) */
    const char *v_cc;
    const char *item;    /* page or website, whatever the kind (NULL: none) */
    const char *sensors; /* sensors of the runs that saw it, sorted, ';'-separated
                          * (TA_STORE_EVENTS_SENSORS) */
};

/* What a cursor reads besides the event. */
enum ta_store_events_flags {
    TA_STORE_EVENTS_SENSORS = 1 << 0, /* row.sensors (else NULL): a lookup per event */
    /* ev.proto, the AS names and home flags, indicator_type, dns_answer and
     * body too (what the EVE and IntelMQ writers print); else left zero. */
    TA_STORE_EVENTS_DETAIL = 1 << 1,
};
/* Export cursor over the distinct stored events with ts >= since, in (ts, id)
 * order; with kinds != 0 only those whose kind bit (1u << kind) is set. */
struct ta_store_events;
ta_err ta_store_events_open(struct ta_store *st, ta_time_us since, uint32_t kinds, unsigned flags,
                            struct ta_store_events **out);
/* Next event into *row; *more = false at the end. */
ta_err ta_store_events_next(struct ta_store_events *c, struct ta_store_event_row *row, bool *more);
/* NULL ok. */
void ta_store_events_close(struct ta_store_events *c);

/* ---- merging databases (SQLite) ----
 *
 * For deployments without a server: sensors analyse into databases of their
 * own, and ta_store_merge combines them into one with the guarantee of one
 * combined pass. Every run of every input is written again into out_path
 * through the run API, keeping its digest, inputs, options, sensor, data
 * versions, time range, state and wall-clock times, and replaying the events
 * it saw (those it stored, then those it sighted): the event identity
 * (with clock skew `skew`) makes a transaction seen by several sensors, or
 * present in several inputs, one event with sightings. A run whose digest
 * is already done in the output is skipped, so merging the same input again
 * adds nothing; an unfinished run is resumed. Only the store_ tables are
 * merged (not intel). Inputs are read from one snapshot each and never
 * written. Every input is opened and checked (a store database of this
 * schema version, not the output itself) before the output is opened
 * (created if absent), and all the writing is one transaction: on any error
 * the output is left as it was and errbuf holds one line naming the file.
 * The caller holds the output's writer lock.
 */
struct ta_store_merge_stats {
    uint64_t inputs;        /* inputs merged */
    uint64_t runs_merged;   /* runs written (new, or unfinished ones resumed) */
    uint64_t runs_present;  /* runs already done in the output: skipped */
    uint64_t events;        /* events replayed */
    uint64_t events_new;    /* stored as new events */
    uint64_t events_known;  /* already stored by another run: a sighting added */
    uint64_t events_repeat; /* already seen by the same run */
};
ta_err ta_store_merge(const char *out_path, const char *const *in_paths, size_t n, ta_time_us skew,
                      struct ta_store_merge_stats *stats, char errbuf[TA_STORE_ERRLEN]);

/* ---- the writer lock ---- */

struct ta_store_lock;
/* Told who holds the lock when waiting starts, then every minute. */
typedef void (*ta_store_wait_cb)(void *ctx, const char *holder);
/*
 * Take the writer lock of the database at db_path ("<db_path>.lock",
 * created if needed). holder describes this process for waiters, e.g.
 * "intel import (pid 12)". wait_s: seconds to wait, 0 = refuse at once,
 * negative = wait as long as it takes. When it cannot be had,
 * TA_ERR_LIMIT and errbuf names the holder.
 */
ta_err ta_store_lock_take(const char *db_path, const char *holder, int wait_s, ta_store_wait_cb cb,
                          void *ctx, struct ta_store_lock **out, char errbuf[TA_STORE_ERRLEN]);
/* Change the description waiters see (e.g. once the run id is known). */
void ta_store_lock_set_holder(struct ta_store_lock *l, const char *holder);
/* Release (NULL ok). */
void ta_store_lock_release(struct ta_store_lock *l);
/*
 * Release after the command holding the lock failed: when no database was at
 * db_path as the lock was taken, what this writer created there (the
 * database, its -wal, -shm and -journal files, the lock file) is removed
 * first, so that refused input leaves no file behind. Otherwise, or for a
 * ClickHouse URL, the same as ta_store_lock_release. The caller has closed
 * its connections to the database. NULL ok.
 */
void ta_store_lock_release_undo(struct ta_store_lock *l);

/* Day number (days since 1970-01-01 UTC) of a timestamp. */
static inline int64_t ta_store_day(ta_time_us t)
{
    return (int64_t)(t / (86400ull * 1000000ull));
}

#endif
