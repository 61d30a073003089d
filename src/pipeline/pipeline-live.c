/*
 * The unordered worker set: one AF_PACKET socket, engine and app layer per
 * thread, observations merged by time on the calling thread (see
 * pipeline-live.h and docs/design/workers.md).
 *
 * Hand-over. A worker's sink copies each observation into one allocation
 * (the flow, and the record deep-copied by pipeline-rec.c) stamped with the
 * worker's engine clock, which never goes back, so each worker's list is
 * in time order. After each frame (and each tick) the worker hands what it
 * made to the merge (pipeline-merge.h) and publishes its clock: all it
 * will ever make later is stamped at or after that time. The calling
 * thread replays, in (time, worker, order made) order, what is at or
 * before the least published clock.
 *
 * Memory: what waits in the hand-over is counted; past HANDOVER_CAP bytes
 * the oldest observations are replayed without waiting for the watermark
 * (counted as early), so a worker that falls far behind cannot make the
 * others' observations pile up without bound.
 */
#include "pipeline/pipeline-live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/pipeline-merge.h"
#include "pipeline/pipeline-rec.h"

#include "common/banned.h"

#define HANDOVER_CAP (64u << 20)
#define ALIGN8(n)    (((n) + 7u) & ~(size_t)7u)
/* How long the calling thread sleeps between two merges. */
#define MERGE_NS 5000000L
/*
 * An idle worker's clock is moved to the wall clock minus this: frames the
 * kernel stamped before then may still sit in a block not yet handed over
 * (the block timeout) or in one being walked.
 */
#define IDLE_LAG_US 100000u

struct lmsg {
    struct ta__merge_item it; /* first: the merge's links, time and size */
    uint32_t type;            /* 0: a flow ended, else the record's tag */
    struct ta_flow flow;
    const void *rec;
    const struct ta_detect_http_content *content;
};

struct lworker {
    struct ta__live *lv;
    unsigned idx;
    pthread_t th;
    bool started;
    struct ta_afpacket *sock;
    struct ta_engine *e;
    struct ta_proto *proto;
    struct ta__merge_item *mine_head, *mine_tail; /* made, not yet handed over */
    pthread_mutex_t mu;                           /* guards snap */
    struct ta_engine_stats snap;
    _Atomic uint64_t lost;
    ta_err err;
    char errbuf[TA_SOURCE_ERRLEN];
};

struct ta__live {
    unsigned n;
    struct lworker *w;
    bool prepared;
    struct ta_obs_sink out;
    struct ta__workers_hooks hooks;
    struct ta__merge *merge;
    uint32_t timeout_ms; /* the calling thread's tick */
};

/* ---- the worker's side ------------------------------------------------- */

static struct lmsg *lmsg_new(struct lworker *k, const struct ta_flow *f, uint32_t type,
                             size_t extra)
{
    size_t size = ALIGN8(sizeof(struct lmsg)) + extra;
    struct lmsg *m = malloc(size);
    if (m == NULL) {
        atomic_fetch_add_explicit(&k->lost, 1, memory_order_relaxed);
        return NULL;
    }
    m->it.next = NULL;
    m->it.ts = ta_engine_now(k->e);
    m->it.size = size;
    m->type = type;
    m->flow = *f;
    /* The app state stays with the worker: no sink reads it. */
    m->flow.app = NULL;
    m->rec = NULL;
    m->content = NULL;
    if (k->mine_tail != NULL)
        k->mine_tail->next = &m->it;
    else
        k->mine_head = &m->it;
    k->mine_tail = &m->it;
    return m;
}

static void rec_flow(void *ud, const struct ta_flow *f)
{
    (void)lmsg_new(ud, f, 0, 0);
}

static void rec_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct lworker *k = ud;
    const struct ta__workers_hooks *hk = &k->lv->hooks;
    struct ta__rec_out o;
    size_t sz = ta__rec_plan(&o, type, rec, hk->http_content != NULL, hk->body_prefix);
    if (sz == 0) {
        atomic_fetch_add_explicit(&k->lost, 1, memory_order_relaxed);
        return;
    }
    struct lmsg *m = lmsg_new(k, f, type, sz);
    if (m != NULL)
        m->rec =
            ta__rec_put(&o, type, rec, (uint8_t *)m + ALIGN8(sizeof(struct lmsg)), &m->content);
}

/* Everything made so far goes to the calling thread, then the clock says how far that is. */
static void hand_over(struct lworker *k, bool with_stats, uint64_t clock)
{
    if (with_stats) {
        struct ta_engine_stats st;
        ta_engine_get_stats(k->e, &st);
        pthread_mutex_lock(&k->mu);
        k->snap = st;
        pthread_mutex_unlock(&k->mu);
    }
    ta__merge_hand_over(k->lv->merge, k->idx, k->mine_head, k->mine_tail, clock);
    k->mine_head = k->mine_tail = NULL;
}

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct lworker *k = ud;
    ta_engine_packet(k->e, lt, ts, frame, caplen, wirelen);
    hand_over(k, false, ta_engine_now(k->e));
}

static ta_time_us wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec > 0 ? (ta_time_us)t.tv_sec * 1000000u + (ta_time_us)t.tv_nsec / 1000u : 0;
}

/* The worker's own wall clock: idle flows end on time, and the watermark moves on. */
static void on_tick(void *ud)
{
    struct lworker *k = ud;
    ta_time_us now = wall_us();
    if (now > IDLE_LAG_US)
        ta_engine_advance(k->e, now - IDLE_LAG_US);
    hand_over(k, true, ta_engine_now(k->e));
}

static void *worker_main(void *arg)
{
    struct lworker *k = arg;
    ta_afpacket_set_tick(k->sock, on_tick, k);
    ta_err te = ta_afpacket_run(k->sock, on_frame, k, k->errbuf, sizeof(k->errbuf));
    k->err = te == TA_ERR_INTERRUPTED ? TA_OK : te;
    ta_engine_flush(k->e);
    hand_over(k, true, TA__MERGE_DONE);
    return NULL;
}

/* ---- the calling thread ------------------------------------------------ */

static void replay_one(struct ta__live *lv, const struct lmsg *m)
{
    if (m->type == 0) {
        if (lv->out.on_flow != NULL)
            lv->out.on_flow(lv->out.ud, &m->flow);
    } else if (lv->out.on_record != NULL) {
        if (m->type == TA_REC_HTTP && lv->hooks.http_content != NULL)
            lv->hooks.http_content(lv->hooks.ud, m->content);
        lv->out.on_record(lv->out.ud, &m->flow, m->type, m->rec);
    }
}

/* Replay what the merge lets go of. */
static void replay(struct ta__live *lv)
{
    struct ta__merge_item *it;
    while ((it = ta__merge_pop(lv->merge)) != NULL) {
        replay_one(lv, (struct lmsg *)(void *)it);
        free(it);
    }
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void stop_all(struct ta__live *lv)
{
    for (unsigned i = 0; i < lv->n; i++)
        if (lv->w[i].sock != NULL)
            ta_afpacket_stop(lv->w[i].sock);
}

static void join_all(struct ta__live *lv)
{
    for (unsigned i = 0; i < lv->n; i++) {
        if (lv->w[i].started)
            pthread_join(lv->w[i].th, NULL);
        lv->w[i].started = false;
    }
}

ta_err ta__live_run(struct ta__live *lv, const volatile sig_atomic_t *stop, void (*tick)(void *),
                    void *ud, char *errbuf, size_t errlen)
{
    if (!lv->prepared) {
        snprintf(errbuf, errlen, "live capture: the workers were not prepared");
        return TA_ERR_ARG;
    }
    for (unsigned i = 0; i < lv->n; i++) {
        if (pthread_create(&lv->w[i].th, NULL, worker_main, &lv->w[i]) != 0) {
            stop_all(lv);
            join_all(lv);
            snprintf(errbuf, errlen, "live capture: cannot start worker thread %u", i + 1);
            return TA_ERR_NOMEM;
        }
        lv->w[i].started = true;
    }
    uint64_t last_tick = mono_ms();
    ta_err ret = TA_ERR_INTERRUPTED;
    while (!*stop) {
        struct timespec d = {0, MERGE_NS};
        nanosleep(&d, NULL);
        bool failed = false;
        for (unsigned i = 0; i < lv->n; i++)
            if (ta__merge_done(lv->merge, i))
                failed = true; /* a worker ends only on a stop or a socket error */
        if (failed)
            break;
        ta__merge_take(lv->merge);
        replay(lv);
        uint64_t now = mono_ms();
        if (tick != NULL && now - last_tick >= lv->timeout_ms) {
            last_tick = now;
            tick(ud);
        }
    }
    stop_all(lv);
    join_all(lv);
    ta__merge_take(lv->merge);
    ta__merge_drain(lv->merge);
    replay(lv);
    for (unsigned i = 0; i < lv->n; i++) {
        if (lv->w[i].err != TA_OK && ret == TA_ERR_INTERRUPTED) {
            snprintf(errbuf, errlen, "%s", lv->w[i].errbuf);
            ret = lv->w[i].err;
        }
    }
    return ret;
}

/* ---- lifecycle and counters -------------------------------------------- */

ta_err ta__live_open(const char *iface, unsigned n, const struct ta_source_opts *so,
                     const struct ta_afpacket_opts *ao, struct ta__live **out, char *errbuf,
                     size_t errlen)
{
    *out = NULL;
    if (n < 1 || n > TA__WORKERS_MAX) {
        snprintf(errbuf, errlen, "live capture: %u workers (1 to %d)", n, TA__WORKERS_MAX);
        return TA_ERR_ARG;
    }
    struct ta__live *lv = calloc(1, sizeof(*lv));
    struct lworker *w = calloc(n, sizeof(*w));
    if (lv == NULL || w == NULL) {
        free(lv);
        free(w);
        snprintf(errbuf, errlen, "%s: out of memory", iface);
        return TA_ERR_NOMEM;
    }
    lv->w = w;
    if (ta__merge_new(n, HANDOVER_CAP, &lv->merge) != TA_OK) {
        free(lv);
        free(w);
        snprintf(errbuf, errlen, "%s: out of memory", iface);
        return TA_ERR_NOMEM;
    }
    lv->timeout_ms = so->timeout_ms ? so->timeout_ms : 100;
    uint16_t group = 0;
    ta_err te = TA_OK;
    for (unsigned i = 0; i < n && te == TA_OK; i++) {
        struct lworker *k = &w[i];
        k->lv = lv;
        k->idx = i;
        pthread_mutex_init(&k->mu, NULL);
        lv->n = i + 1;
        te = ta_afpacket_open(iface, so, ao, &group, &k->sock, errbuf, errlen);
    }
    if (te != TA_OK) {
        ta__live_free(lv);
        return te;
    }
    *out = lv;
    return TA_OK;
}

/* Each worker's share of a configured cap: the kernel spreads the flows evenly. */
static uint64_t share(uint64_t v, unsigned i, unsigned n)
{
    (void)i;
    return v / n > 0 ? v / n : 1;
}

ta_err ta__live_prepare(struct ta__live *lv, const struct ta_engine_opts *eo,
                        const struct ta_proto_opts *po, const struct ta_obs_sink *out,
                        const struct ta__workers_hooks *hooks)
{
    unsigned n = lv->n;
    lv->out = *out;
    if (hooks != NULL)
        lv->hooks = *hooks;
    /* The configured caps bound the whole set: each worker holds its share. */
    struct ta_engine_opts weo;
    struct ta_proto_opts wpo;
    ta__workers_caps(eo, po, share, 0, n, &weo, &wpo);
    for (unsigned i = 0; i < n; i++) {
        struct lworker *k = &lv->w[i];
        ta_err err = ta_engine_new(&weo, &k->e);
        if (err == TA_OK)
            err = ta_proto_new(&wpo, &k->proto);
        if (err != TA_OK)
            return err;
        ta_engine_set_app_layer(k->e, ta_proto_hooks(), k->proto);
        struct ta_obs_sink s = {k, rec_flow, rec_record};
        if ((err = ta_engine_add_sink(k->e, &s)) != TA_OK)
            return err;
    }
    lv->prepared = true;
    return TA_OK;
}

static void free_item(struct ta__merge_item *it)
{
    free(it);
}

void ta__live_free(struct ta__live *lv)
{
    if (lv == NULL)
        return;
    stop_all(lv);
    join_all(lv);
    for (unsigned i = 0; i < lv->n; i++) {
        struct lworker *k = &lv->w[i];
        ta_afpacket_close(k->sock);
        ta_engine_free(k->e);
        ta_proto_free(k->proto);
        while (k->mine_head != NULL) {
            struct ta__merge_item *next = k->mine_head->next;
            free(k->mine_head);
            k->mine_head = next;
        }
        pthread_mutex_destroy(&k->mu);
    }
    ta__merge_free(lv->merge, free_item);
    free(lv->w);
    free(lv);
}

unsigned ta__live_workers(const struct ta__live *lv)
{
    return lv->n;
}

void ta__live_absorb(struct ta__live *lv, struct ta_engine *e, struct ta_proto *p)
{
    for (unsigned i = 0; i < lv->n; i++) {
        if (lv->w[i].e != NULL)
            ta_engine_absorb(e, lv->w[i].e);
        if (p != NULL && lv->w[i].proto != NULL)
            ta_proto_absorb(p, lv->w[i].proto);
    }
}

void ta__live_stats(struct ta__live *lv, struct ta_engine_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < lv->n; i++) {
        struct lworker *k = &lv->w[i];
        pthread_mutex_lock(&k->mu);
        struct ta_engine_stats x = k->snap;
        pthread_mutex_unlock(&k->mu);
        ta__workers_stats_add(st, &x);
    }
}

void ta__live_capture(struct ta__live *lv, struct ta_source_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < lv->n; i++) {
        struct ta_source_stats s;
        ta_afpacket_get_stats(lv->w[i].sock, &s);
        st->packets += s.packets;
        st->bytes += s.bytes;
        st->kernel_drops += s.kernel_drops;
        st->iface_drops += s.iface_drops;
    }
}

uint64_t ta__live_lost(const struct ta__live *lv)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < lv->n; i++)
        n += atomic_load_explicit(&lv->w[i].lost, memory_order_relaxed);
    return n;
}

uint64_t ta__live_early(const struct ta__live *lv)
{
    return ta__merge_early(lv->merge);
}
