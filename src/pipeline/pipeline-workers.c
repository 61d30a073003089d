/*
 * The worker set: N engines on N threads, the calling thread one of them,
 * replayed in one engine's order (see pipeline-workers.h and
 * docs/design/workers.md).
 *
 * Batches. The calling thread fills a ring of NBATCH batches; a batch holds,
 * per worker, the frames for it (copied) and, once the worker is done, what
 * it observed (flows and deep-copied records, each with its order key). A
 * batch ends at a timeout check (then every worker runs the check, after
 * its frames, together with the others), when full, at a live capture's
 * tick, and at the end of input (then every worker flushes its engine). The
 * calling thread merges a finished batch's per-worker lists by key and
 * replays them; all keys of a batch sort before the next batch's.
 *
 * Engine 0 runs on the calling thread, one batch behind: its part of batch
 * b runs after batch b+1 is published, so that it overlaps the other
 * workers' part of b+1. A batch that ends at a timeout check is the
 * exception: engine 0 runs its frames as soon as it is published and says
 * its first live flows, so that the others find them when they reach the
 * check instead of waiting for the calling thread, and ends its own flows
 * at the next batch. The calling thread also reads, dispatches and
 * replays, so engine 0 takes a smaller share of the addresses (engine_of).
 *
 * Memory: at most NBATCH batches of BATCH_FRAMES frames or BATCH_BYTES of
 * frame bytes are in flight, plus what their frames made the workers
 * observe; the buffers are kept for the next batch in the ring.
 */
#include "pipeline/pipeline-workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/decode.h"

#include "pipeline/pipeline-rec.h"

#include "common/hash64.h"

#include "common/banned.h"

#define NBATCH       4
#define BATCH_FRAMES 2048u
#define BATCH_BYTES  (512u << 10)
#define CHUNK_BYTES  (64u << 10)
#define ALIGN8(n)    (((n) + 7u) & ~(size_t)7u)

/* ---- dispatch ---------------------------------------------------------- */

static unsigned pick_ip(const uint8_t *ip, uint32_t left, unsigned n)
{
    /* Word loads and one mix per word: this runs for every frame on the reading thread. */
    uint64_t h;
    if (left >= 20 && ip[0] >> 4 == 4) {
        uint32_t a, b;
        memcpy(&a, ip + 12, 4);
        memcpy(&b, ip + 16, 4);
        /* Either order of the pair gives the same word. */
        uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
        h = ta_hash_mix64(lo << 32 | hi);
    } else if (left >= 40 && ip[0] >> 4 == 6) {
        uint64_t a[2], b[2];
        memcpy(a, ip + 8, 16);
        memcpy(b, ip + 24, 16);
        bool swap = a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]);
        const uint64_t *lo = swap ? b : a, *hi = swap ? a : b;
        h = ta_hash_mix64(lo[0] ^
                          ta_hash_mix64(lo[1] ^ ta_hash_mix64(hi[0] ^ ta_hash_mix64(hi[1]))));
    } else {
        return 0;
    }
    return (unsigned)(h % n);
}

/* type: the ethertype read just before off; VLAN tags and PPPoE in between. */
static unsigned pick_ethertype(const uint8_t *f, uint32_t caplen, uint16_t type, uint32_t off,
                               unsigned n)
{
    for (int vlans = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; vlans++) {
        if (vlans > 8 || off + 4 > caplen)
            return 0;
        type = (uint16_t)(f[off + 2] << 8 | f[off + 3]); /* after the tag */
        off += 4;
    }
    if (type == 0x8864) { /* PPPoE session: 6-byte header, then the PPP protocol */
        if (off + 8 > caplen)
            return 0;
        uint16_t ppp = (uint16_t)(f[off + 6] << 8 | f[off + 7]);
        off += 8;
        type = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
    }
    if ((type == 0x0800 || type == 0x86dd) && off < caplen)
        return pick_ip(f + off, caplen - off, n);
    return 0;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

unsigned ta__workers_pick(int linktype, const uint8_t *f, uint32_t caplen, unsigned n)
{
    if (n <= 1)
        return 0;
    /* The link layers the decoder reads (decode-core.c), to the IP header. */
    switch (linktype) {
    case TA_LINK_ETHERNET:
        return caplen >= 14 ? pick_ethertype(f, caplen, be16(f + 12), 14, n) : 0;
    case TA_LINK_LINUX_SLL:
        return caplen >= 16 ? pick_ethertype(f, caplen, be16(f + 14), 16, n) : 0;
    case TA_LINK_LINUX_SLL2: /* the protocol type first, the header 20 bytes */
        return caplen >= 20 ? pick_ethertype(f, caplen, be16(f), 20, n) : 0;
    case TA_LINK_RAW:
    case 12: /* DLT_RAW, as libpcap gives it at run time (14 on OpenBSD) */
    case 14:
    case TA_LINK_IPV4:
    case TA_LINK_IPV6:
        return pick_ip(f, caplen, n);
    case TA_LINK_NULL:
    case 108: /* DLT_LOOP */
        return caplen > 4 ? pick_ip(f + 4, caplen - 4, n) : 0;
    default:
        return 0;
    }
}

/*
 * The engine of a frame. Engine 0 runs on the calling thread, which also
 * reads the input and replays every observation (measured: about 0.7 of the
 * other thread's work; docs/design/workers.md). With 2 engines it takes one
 * of 6 slots (a sixth of the address pairs, and the frames that are not IP),
 * which evened the two threads' CPU time on observe and analyze; with more
 * it takes none and the others share the slots evenly.
 */
#define OWN_SLOTS 6u

static unsigned engine_of(int linktype, const uint8_t *f, uint32_t caplen, unsigned n)
{
    if (n == 2)
        return ta__workers_pick(linktype, f, caplen, OWN_SLOTS) == 0 ? 0u : 1u;
    return 1u + ta__workers_pick(linktype, f, caplen, n - 1u);
}

void ta__workers_caps(const struct ta_engine_opts *eo, const struct ta_proto_opts *po,
                      ta__workers_share_fn share, unsigned i, unsigned n,
                      struct ta_engine_opts *weo, struct ta_proto_opts *wpo)
{
    *weo = *eo;
    weo->max_flows = (uint32_t)share(eo->max_flows, i, n);
    weo->decode.max_frag_datagrams = (uint32_t)share(eo->decode.max_frag_datagrams, i, n);
    weo->decode.max_frag_bytes = (size_t)share(eo->decode.max_frag_bytes, i, n);
    *wpo = *po;
    wpo->stream_global_memcap = share(po->stream_global_memcap, i, n);
    wpo->app_memcap = share(po->app_memcap, i, n);
}

void ta__workers_stats_add(struct ta_engine_stats *st, const struct ta_engine_stats *x)
{
    st->packets += x->packets;
    st->decoded += x->decoded;
    st->bytes += x->bytes;
    st->skipped += x->skipped;
    st->invalid += x->invalid;
    st->frag_held += x->frag_held;
    st->flows_created += x->flows_created;
    st->flows_ended += x->flows_ended;
    st->flows_evicted += x->flows_evicted;
    st->flows_active += x->flows_active;
}

/* The share of a configured cap engine i of n holds: as engine_of() shares the traffic. */
static uint64_t cap_share(uint64_t v, unsigned i, unsigned n)
{
    uint64_t s;
    if (n == 2)
        s = i == 0 ? v / OWN_SLOTS : v - v / OWN_SLOTS;
    else
        s = i == 0 ? 0 : v / (n - 1u);
    return s > 0 ? s : 1;
}

/* ---- buffers ----------------------------------------------------------- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(8) uint8_t data[];
};

/* Observations of one worker in one batch: chunks kept across batches. */
struct arena {
    struct chunk *head, *cur;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    n = ALIGN8(n);
    while (a->cur != NULL && a->cur->used + n > a->cur->cap && a->cur->next != NULL) {
        a->cur = a->cur->next;
        a->cur->used = 0;
    }
    if (a->cur == NULL || a->cur->used + n > a->cur->cap) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        struct chunk *c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* A large chunk goes after the current one; the ones after it are kept. */
        if (a->cur == NULL) {
            c->next = NULL;
            a->head = c;
        } else {
            c->next = a->cur->next;
            a->cur->next = c;
        }
        a->cur = c;
    }
    void *p = a->cur->data + a->cur->used;
    a->cur->used += n;
    return p;
}

static void arena_reset(struct arena *a)
{
    a->cur = a->head;
    if (a->cur != NULL)
        a->cur->used = 0;
}

static void arena_release(struct arena *a)
{
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = a->cur = NULL;
}

/* One observation and the key that orders it (see the header). */
struct msg {
    struct msg *next;
    uint64_t seq;
    uint64_t aseq;
    uint32_t sub;
    uint8_t phase, cls;
    uint32_t type; /* 0: a flow ended, else the record's tag */
    struct ta_flow flow;
    const void *rec;
    const struct ta_detect_http_content *content; /* HTTP, with hooks.http_content */
};

struct frame_hdr {
    const uint8_t *kept; /* the frame where the source keeps it, or NULL: its copy follows */
    uint64_t seq;
    ta_time_us ts;
    int32_t linktype;
    uint32_t caplen, wirelen;
};

struct part {
    uint8_t *in; /* frame_hdr + bytes, 8-aligned */
    size_t in_len, in_cap;
    struct arena out;
    struct msg *head, *tail;
    uint64_t first_live[TA_ENGINE_CLASSES];
};

enum batch_end { END_NONE, END_EXPIRE, END_FLUSH };

struct batch {
    uint64_t id;
    bool ready;
    _Atomic unsigned done; /* engines done with it: changed under mu, read without by polls */
    unsigned lived;        /* END_EXPIRE: engines that have set their part's first_live */
    enum batch_end end;
    ta_time_us expire_now; /* END_EXPIRE: the clock of the check */
    uint64_t expire_seq;   /* END_EXPIRE: the frame after which it runs */
    uint32_t frames;
    size_t bytes;
    uint64_t first_seq; /* the number of its first frame */
    struct part *part;  /* [n] */
};

struct worker {
    struct ta__workers *ws;
    unsigned idx;
    pthread_t th;
    bool started;
    struct ta_engine *e;
    struct ta_proto *proto;
    struct part *cur; /* the batch part being processed */
    uint64_t seq;     /* frame (or check) being processed */
    uint32_t sub;
    struct ta_engine_stats snap; /* the engine's counters after its last batch (under mu) */
    uint64_t next_id;            /* the next batch this engine runs */
    struct batch *pending;       /* engine 0: a batch whose frames ran, its check not yet */
    _Atomic uint64_t lost;
};

struct ta__workers {
    unsigned n;
    struct worker *w;
    struct batch ring[NBATCH];
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done, cv_live;
    bool quit;
    struct ta_obs_sink out;
    struct ta__workers_hooks hooks;

    /* The calling thread's side. */
    uint64_t next_id;   /* id of the batch being filled */
    uint64_t merged_id; /* id of the oldest batch not yet replayed */
    struct batch *cur;
    uint64_t seq;  /* frames taken */
    bool stopping; /* free before finish: engine 0 runs no more batches */
    ta_time_us now;
    uint64_t last_sec;
};

/* ---- the worker's sink: record what the engine observed --------------- */

static struct msg *msg_new(struct worker *k, const struct ta_flow *f, uint32_t type, size_t extra)
{
    struct msg *m = arena_alloc(&k->cur->out, sizeof(struct msg) + extra);
    if (m == NULL) {
        atomic_fetch_add_explicit(&k->lost, 1, memory_order_relaxed);
        return NULL;
    }
    const struct ta_engine_ctx *c = ta_engine_ctx(k->e);
    m->next = NULL;
    m->phase = c->phase;
    m->sub = k->sub++;
    m->type = type;
    if (c->phase == TA_ENGINE_PHASE_FLUSH) {
        /* After the frames of the last batch, in creation order. */
        m->seq = UINT64_MAX;
        m->cls = 0;
        m->aseq = c->cseq;
    } else if (c->phase == TA_ENGINE_PHASE_EXPIRE) {
        m->seq = k->seq;
        m->cls = c->cls;
        m->aseq = c->aseq;
    } else {
        m->seq = k->seq;
        m->cls = 0;
        m->aseq = 0;
    }
    m->flow = *f;
    /* The app state stays with the worker: no sink reads it. */
    m->flow.app = NULL;
    m->rec = NULL;
    m->content = NULL;
    if (k->cur->tail != NULL)
        k->cur->tail->next = m;
    else
        k->cur->head = m;
    k->cur->tail = m;
    return m;
}

static void rec_flow(void *ud, const struct ta_flow *f)
{
    (void)msg_new(ud, f, 0, 0);
}

static void rec_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct worker *k = ud;
    const struct ta__workers_hooks *hk = &k->ws->hooks;
    struct ta__rec_out o;
    size_t sz = ta__rec_plan(&o, type, rec, hk->http_content != NULL, hk->body_prefix);
    if (sz == 0) {
        atomic_fetch_add_explicit(&k->lost, 1, memory_order_relaxed);
        return;
    }
    struct msg *m = msg_new(k, f, type, sz);
    if (m != NULL)
        m->rec = ta__rec_put(&o, type, rec, m + 1, &m->content);
}

/* ---- the worker thread ------------------------------------------------- */

static void run_frames(struct worker *k, struct part *pt)
{
    size_t off = 0;
    while (off < pt->in_len) {
        struct frame_hdr h;
        memcpy(&h, pt->in + off, sizeof(h));
        const uint8_t *frame = h.kept != NULL ? h.kept : pt->in + off + sizeof(h);
        off += sizeof(h) + (h.kept != NULL ? 0 : ALIGN8(h.caplen));
        k->seq = h.seq;
        ta_engine_set_seq(k->e, h.seq);
        ta_engine_packet(k->e, h.linktype, h.ts, frame, h.caplen, h.wirelen);
    }
}

/*
 * One engine's part of a published batch, in two steps. part_frames: its
 * frames and, at a timeout check, its first live flows (engine.h, worker
 * mode) for the others to see. part_end: the check's flow ends, once every
 * engine has said its first live flows (no barrier: an engine that said
 * early goes on with other work, which is how engine 0 on the calling
 * thread keeps the others from waiting for it), or the flush at the end of
 * input; then the batch is done for this engine.
 */
static void part_frames(struct worker *k, struct batch *b)
{
    struct ta__workers *ws = k->ws;
    struct part *pt = &b->part[k->idx];
    k->cur = pt;
    run_frames(k, pt);
    if (b->end == END_EXPIRE) {
        ta_engine_first_live(k->e, b->expire_now, pt->first_live);
        pthread_mutex_lock(&ws->mu);
        if (++b->lived == ws->n)
            pthread_cond_broadcast(&ws->cv_live);
        pthread_mutex_unlock(&ws->mu);
    }
}

static enum batch_end part_end(struct worker *k, struct batch *b)
{
    struct ta__workers *ws = k->ws;
    k->cur = &b->part[k->idx];
    if (b->end == END_EXPIRE) {
        pthread_mutex_lock(&ws->mu);
        while (b->lived < ws->n)
            pthread_cond_wait(&ws->cv_live, &ws->mu);
        pthread_mutex_unlock(&ws->mu);
        uint64_t bound[TA_ENGINE_CLASSES];
        for (int c = 0; c < TA_ENGINE_CLASSES; c++) {
            bound[c] = UINT64_MAX;
            for (unsigned i = 0; i < ws->n; i++)
                if (b->part[i].first_live[c] < bound[c])
                    bound[c] = b->part[i].first_live[c];
        }
        k->seq = b->expire_seq;
        ta_engine_expire_before(k->e, bound);
    } else if (b->end == END_FLUSH) {
        ta_engine_flush(k->e);
    }
    struct ta_engine_stats st;
    ta_engine_get_stats(k->e, &st);
    /* Read before the batch is handed back: the calling thread reuses it then. */
    enum batch_end end = b->end;
    k->next_id = b->id + 1;
    pthread_mutex_lock(&ws->mu);
    k->snap = st;
    if (++b->done == ws->n)
        pthread_cond_broadcast(&ws->cv_done);
    pthread_mutex_unlock(&ws->mu);
    return end;
}

static void *worker_main(void *arg)
{
    struct worker *k = arg;
    struct ta__workers *ws = k->ws;
    for (uint64_t id = 0;; id++) {
        struct batch *b = &ws->ring[id % NBATCH];
        /* A published batch is processed even when quitting: the others may
         * wait for this worker at its timeout check. */
        pthread_mutex_lock(&ws->mu);
        while (!(b->ready && b->id == id) && !ws->quit)
            pthread_cond_wait(&ws->cv_work, &ws->mu);
        bool go = b->ready && b->id == id;
        pthread_mutex_unlock(&ws->mu);
        if (!go)
            return NULL;
        part_frames(k, b);
        if (part_end(k, b) == END_FLUSH)
            return NULL;
    }
}

/*
 * Engine 0's parts of the published batches up to id (inclusive), on the
 * calling thread. With defer, a timeout check that ends batch id is left
 * pending after its frames (the others may not have reached it yet): the
 * next call ends it, before engine 0 runs anything else.
 */
static void run_own(struct ta__workers *ws, uint64_t id, bool defer)
{
    struct worker *k = &ws->w[0];
    while (k->next_id <= id && k->next_id < ws->next_id && !ws->stopping) {
        struct batch *b = &ws->ring[k->next_id % NBATCH];
        if (k->pending != b) {
            part_frames(k, b);
            if (b->end == END_EXPIRE)
                k->pending = b;
        }
        if (defer && k->pending == b && b->id == id)
            return;
        k->pending = NULL;
        (void)part_end(k, b);
    }
}

/* ---- the calling thread ------------------------------------------------ */

static int key_cmp(const struct msg *a, const struct msg *b)
{
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (a->phase != b->phase)
        return a->phase < b->phase ? -1 : 1;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->aseq != b->aseq)
        return a->aseq < b->aseq ? -1 : 1;
    return a->sub < b->sub ? -1 : a->sub > b->sub;
}

static void replay(struct ta__workers *ws, struct batch *b)
{
    struct msg *h[TA__WORKERS_MAX];
    for (unsigned i = 0; i < ws->n; i++)
        h[i] = b->part[i].head;
    for (;;) {
        unsigned best = ws->n;
        for (unsigned i = 0; i < ws->n; i++)
            if (h[i] != NULL && (best == ws->n || key_cmp(h[i], h[best]) < 0))
                best = i;
        if (best == ws->n)
            break;
        struct msg *m = h[best];
        h[best] = m->next;
        if (m->type == 0) {
            if (ws->out.on_flow != NULL)
                ws->out.on_flow(ws->out.ud, &m->flow);
        } else if (ws->out.on_record != NULL) {
            if (m->type == TA_REC_HTTP && ws->hooks.http_content != NULL)
                ws->hooks.http_content(ws->hooks.ud, m->content);
            ws->out.on_record(ws->out.ud, &m->flow, m->type, m->rec);
        }
    }
}

/* Replay the oldest batch in flight: wait for it when `wait`; false if not done. */
static bool merge_oldest(struct ta__workers *ws, bool wait)
{
    if (ws->merged_id == ws->next_id)
        return false;
    struct batch *b = &ws->ring[ws->merged_id % NBATCH];
    if (wait)
        run_own(ws, ws->merged_id, false);
    else if (ws->w[0].next_id <= ws->merged_id ||
             atomic_load_explicit(&b->done, memory_order_relaxed) < ws->n)
        return false; /* polled at every frame: no lock (and its cache line) until it is done */
    pthread_mutex_lock(&ws->mu);
    if (!b->ready) {
        pthread_mutex_unlock(&ws->mu);
        return false;
    }
    while (wait && b->done < ws->n)
        pthread_cond_wait(&ws->cv_done, &ws->mu);
    bool done = b->done == ws->n;
    pthread_mutex_unlock(&ws->mu);
    if (!done)
        return false;
    replay(ws, b);
    for (unsigned i = 0; i < ws->n; i++) {
        struct part *pt = &b->part[i];
        pt->in_len = 0;
        arena_reset(&pt->out);
        pt->head = pt->tail = NULL;
    }
    pthread_mutex_lock(&ws->mu);
    b->ready = false;
    b->done = 0;
    b->lived = 0;
    pthread_mutex_unlock(&ws->mu);
    ws->merged_id++;
    return true;
}

static struct batch *batch_cur(struct ta__workers *ws)
{
    if (ws->cur != NULL)
        return ws->cur;
    /* The ring is full: the oldest batch must be replayed to free its slot. */
    while (ws->next_id - ws->merged_id >= NBATCH)
        (void)merge_oldest(ws, true);
    struct batch *b = &ws->ring[ws->next_id % NBATCH];
    b->id = ws->next_id;
    b->end = END_NONE;
    b->frames = 0;
    b->bytes = 0;
    b->first_seq = ws->seq;
    ws->cur = b;
    return b;
}

static void publish(struct ta__workers *ws)
{
    struct batch *b = ws->cur;
    pthread_mutex_lock(&ws->mu);
    b->ready = true;
    pthread_cond_broadcast(&ws->cv_work);
    pthread_mutex_unlock(&ws->mu);
    ws->cur = NULL;
    ws->next_id++;
    /* Engine 0 one batch behind: its part of the previous batch overlaps the others' of this. */
    if (ws->next_id >= 2)
        run_own(ws, ws->next_id - 2, true);
    /*
     * But a timeout check's first live flows at once, when engine 0 is not
     * behind: the others need them when they reach the check, and engine 0's
     * share is small. Its flow ends wait for the next batch (run_own's defer).
     */
    if (b->end == END_EXPIRE && ws->w[0].next_id == b->id && ws->w[0].pending == NULL)
        run_own(ws, b->id, true);
}

void ta__workers_poll(struct ta__workers *ws)
{
    while (merge_oldest(ws, false))
        ;
}

static bool part_append(struct part *pt, const struct frame_hdr *h, const uint8_t *frame)
{
    size_t need = sizeof(*h) + (h->kept != NULL ? 0 : ALIGN8(h->caplen));
    if (pt->in_len + need > pt->in_cap) {
        size_t cap = pt->in_cap ? pt->in_cap : 1u << 16;
        while (cap < pt->in_len + need)
            cap *= 2;
        uint8_t *p = realloc(pt->in, cap);
        if (p == NULL)
            return false;
        pt->in = p;
        pt->in_cap = cap;
    }
    memcpy(pt->in + pt->in_len, h, sizeof(*h));
    if (h->kept == NULL && h->caplen > 0)
        memcpy(pt->in + pt->in_len + sizeof(*h), frame, h->caplen);
    pt->in_len += need;
    return true;
}

/* A timeout check after the last frame taken, at the clock now (the engine's rule). */
static void check_timeouts(struct ta__workers *ws, uint64_t seq)
{
    struct batch *b = batch_cur(ws);
    b->end = END_EXPIRE;
    b->expire_now = ws->now;
    b->expire_seq = seq;
    publish(ws);
}

static void take_frame(struct ta__workers *ws, int linktype, ta_time_us ts, const uint8_t *frame,
                       uint32_t caplen, uint32_t wirelen, bool kept)
{
    struct batch *b = batch_cur(ws);
    unsigned w = engine_of(linktype, frame, caplen, ws->n);
    struct frame_hdr h = {kept ? frame : NULL, ws->seq, ts, linktype, caplen, wirelen};
    if (!part_append(&b->part[w], &h, frame))
        atomic_fetch_add_explicit(&ws->w[w].lost, 1, memory_order_relaxed);
    uint64_t seq = ws->seq++;
    b->frames++;
    b->bytes += caplen;
    /* As ta_engine_packet: the clock is the latest packet time, checked each second. */
    if (ts > ws->now)
        ws->now = ts;
    uint64_t sec = ws->now / 1000000u;
    if (sec != ws->last_sec) {
        ws->last_sec = sec;
        check_timeouts(ws, seq);
    } else if (b->frames >= BATCH_FRAMES || b->bytes >= BATCH_BYTES) {
        publish(ws);
    }
    ta__workers_poll(ws);
}

void ta__workers_frame(struct ta__workers *ws, int linktype, ta_time_us ts, const uint8_t *frame,
                       uint32_t caplen, uint32_t wirelen)
{
    take_frame(ws, linktype, ts, frame, caplen, wirelen, false);
}

void ta__workers_frame_kept(struct ta__workers *ws, int linktype, ta_time_us ts,
                            const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
    take_frame(ws, linktype, ts, frame, caplen, wirelen, true);
}

void ta__workers_release(struct ta__workers *ws, uint64_t n)
{
    /* Batches hold frames in number order: wait for those that start below n. */
    if (ws->cur != NULL && ws->cur->frames > 0 && ws->cur->first_seq < n)
        publish(ws);
    for (uint64_t id = ws->merged_id; id < ws->next_id; id++) {
        struct batch *b = &ws->ring[id % NBATCH];
        if (b->first_seq >= n)
            break;
        run_own(ws, id, false);
        pthread_mutex_lock(&ws->mu);
        while (b->done < ws->n)
            pthread_cond_wait(&ws->cv_done, &ws->mu);
        pthread_mutex_unlock(&ws->mu);
    }
}

void ta__workers_advance(struct ta__workers *ws, ta_time_us now)
{
    /* As ta_engine_advance: never backwards, a check when the second changes. */
    if (now > ws->now) {
        ws->now = now;
        uint64_t sec = ws->now / 1000000u;
        if (sec != ws->last_sec) {
            ws->last_sec = sec;
            check_timeouts(ws, ws->seq > 0 ? ws->seq - 1 : 0);
        }
    }
    if (ws->cur != NULL && ws->cur->frames > 0)
        publish(ws);
    /* A live capture's tick: what arrived is handled now, not at the next batch. */
    if (ws->next_id > 0)
        run_own(ws, ws->next_id - 1, false);
    ta__workers_poll(ws);
}

void ta__workers_finish(struct ta__workers *ws)
{
    struct batch *b = batch_cur(ws);
    b->end = END_FLUSH;
    publish(ws);
    while (ws->merged_id < ws->next_id)
        (void)merge_oldest(ws, true);
    for (unsigned i = 0; i < ws->n; i++) {
        if (ws->w[i].started)
            pthread_join(ws->w[i].th, NULL);
        ws->w[i].started = false;
    }
}

/* ---- lifecycle and counters -------------------------------------------- */

ta_err ta__workers_new(unsigned n, const struct ta_engine_opts *eo, const struct ta_proto_opts *po,
                       const struct ta_obs_sink *out, const struct ta__workers_hooks *hooks,
                       struct ta__workers **wsp)
{
    *wsp = NULL;
    if (n < 2 || n > TA__WORKERS_MAX)
        return TA_ERR_ARG;
    struct ta__workers *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        return TA_ERR_NOMEM;
    ws->n = n;
    ws->out = *out;
    if (hooks != NULL)
        ws->hooks = *hooks;
    pthread_mutex_init(&ws->mu, NULL);
    pthread_cond_init(&ws->cv_work, NULL);
    pthread_cond_init(&ws->cv_done, NULL);
    pthread_cond_init(&ws->cv_live, NULL);
    ws->w = calloc(n, sizeof(*ws->w));
    ta_err err = ws->w != NULL ? TA_OK : TA_ERR_NOMEM;
    for (int i = 0; i < NBATCH && err == TA_OK; i++)
        if ((ws->ring[i].part = calloc(n, sizeof(struct part))) == NULL)
            err = TA_ERR_NOMEM;
    for (unsigned i = 0; i < n && err == TA_OK; i++) {
        /* The configured caps bound the whole set: each engine holds its share of the traffic's. */
        struct ta_engine_opts weo;
        struct ta_proto_opts wpo;
        ta__workers_caps(eo, po, cap_share, i, n, &weo, &wpo);
        struct worker *k = &ws->w[i];
        k->ws = ws;
        k->idx = i;
        err = ta_engine_new(&weo, &k->e);
        if (err == TA_OK)
            err = ta_proto_new(&wpo, &k->proto);
        if (err != TA_OK)
            break;
        ta_engine_set_worker(k->e);
        ta_engine_set_app_layer(k->e, ta_proto_hooks(), k->proto);
        struct ta_obs_sink s = {k, rec_flow, rec_record};
        err = ta_engine_add_sink(k->e, &s);
    }
    for (unsigned i = 1; i < n && err == TA_OK; i++) {
        if (pthread_create(&ws->w[i].th, NULL, worker_main, &ws->w[i]) != 0)
            err = TA_ERR_NOMEM;
        else
            ws->w[i].started = true;
    }
    if (err != TA_OK) {
        ta__workers_free(ws);
        return err;
    }
    *wsp = ws;
    return TA_OK;
}

void ta__workers_free(struct ta__workers *ws)
{
    if (ws == NULL)
        return;
    /* The threads may wait for engine 0 at a published batch's timeout check. */
    if (ws->w != NULL && ws->next_id > 0)
        run_own(ws, ws->next_id - 1, false);
    ws->stopping = true;
    pthread_mutex_lock(&ws->mu);
    ws->quit = true;
    pthread_cond_broadcast(&ws->cv_work);
    pthread_mutex_unlock(&ws->mu);
    for (unsigned i = 0; ws->w != NULL && i < ws->n; i++) {
        struct worker *k = &ws->w[i];
        if (k->started)
            pthread_join(k->th, NULL);
        ta_engine_free(k->e);
        ta_proto_free(k->proto);
    }
    for (int i = 0; i < NBATCH; i++) {
        for (unsigned j = 0; ws->ring[i].part != NULL && j < ws->n; j++) {
            free(ws->ring[i].part[j].in);
            arena_release(&ws->ring[i].part[j].out);
        }
        free(ws->ring[i].part);
    }
    free(ws->w);
    pthread_cond_destroy(&ws->cv_live);
    pthread_cond_destroy(&ws->cv_done);
    pthread_cond_destroy(&ws->cv_work);
    pthread_mutex_destroy(&ws->mu);
    free(ws);
}

void ta__workers_absorb(struct ta__workers *ws, struct ta_engine *e, struct ta_proto *p)
{
    for (unsigned i = 0; i < ws->n; i++) {
        ta_engine_absorb(e, ws->w[i].e);
        if (p != NULL)
            ta_proto_absorb(p, ws->w[i].proto);
    }
}

uint64_t ta__workers_frames(const struct ta__workers *ws)
{
    return ws->seq;
}

void ta__workers_stats(struct ta__workers *ws, struct ta_engine_stats *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&ws->mu);
    for (unsigned i = 0; i < ws->n; i++)
        ta__workers_stats_add(st, &ws->w[i].snap);
    pthread_mutex_unlock(&ws->mu);
}

uint64_t ta__workers_lost(const struct ta__workers *ws)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < ws->n; i++)
        n += atomic_load_explicit(&ws->w[i].lost, memory_order_relaxed);
    return n;
}
