/*
 * The flow table and the observation engine.
 *
 * Stage 2 of the pipeline: every decoded packet is looked up in a hash table
 * keyed by the normalised 5-tuple plus VLAN ids; the first packet's sender is
 * the client (for TCP, the SYN sender when the SYN or SYN/ACK is seen).
 * Flows sit on one of five lists by timeout class (TCP new, TCP established,
 * TCP closed, UDP, other), each ordered by last activity, so expiry walks
 * each list from its oldest end and stops at the first live flow, and the
 * memory cap evicts the least recently active flow over all lists. Recency
 * is kept at one-second resolution of packet time (a flow is requeued at
 * most once per second), so a flow ends within a second after its timeout.
 * Expiry runs when packet time crosses a second boundary, never on the
 * clock. Ended flows go to the app layer (flow_end) then to every sink.
 */
#include <stdlib.h>
#include <string.h>

#include "threatatlas/engine.h"

#include "common/hash64.h"
#include "common/pool.h"

#include "common/banned.h"

#define MAX_SINKS 8
#define US        1000000u

enum cls { CLS_TCP_NEW, CLS_TCP_EST, CLS_TCP_CLOSED, CLS_UDP, CLS_OTHER, CLS__COUNT };

struct fkey {
    uint8_t a[16], b[16]; /* (a, pa) <= (b, pb) */
    uint16_t pa, pb;
    uint16_t vlan[2];
    uint8_t proto, family, nvlan, pad_[5]; /* zeroed: the key is hashed and compared as bytes */
};

/*
 * What a lookup reads (chain link, hash, key) fills the first 64 bytes, and
 * entries are allocated on 64-byte boundaries: one cache line per chain step.
 */
struct fentry {
    struct fentry *hnext;
    uint32_t hash;
    uint8_t cls;
    bool client_is_a;
    struct fkey k;
    struct ta_flow f;
    struct fentry *prev, *next;   /* class list, least recently active at head */
    struct fentry *cprev, *cnext; /* all flows in creation order, for the flush */
    uint64_t seq;                 /* creation order */
    uint64_t aseq;                /* frame sequence when last appended to its class list */
    uint64_t qsec;                /* packet-time second when last queued on its class list */
};

#define FENTRY_ALIGN 64
#define FENTRY_SIZE  ((sizeof(struct fentry) + FENTRY_ALIGN - 1) & ~(size_t)(FENTRY_ALIGN - 1))
/* Spare entries kept for reuse: at most FLOW_POOL_MAX * FENTRY_SIZE bytes (256 KiB). */
#define FLOW_POOL_MAX 1024u

struct clist {
    struct fentry *head, *tail;
};

struct ta_engine {
    struct ta_engine_opts o;
    struct ta_decoder *dec;
    struct fentry **bucket;
    uint32_t nbucket;
    struct ta_pool fpool; /* ended flows' entries, for the next ones */
    struct clist cl[CLS__COUNT];
    struct fentry *created_head, *created_tail;
    bool flushing;
    ta_time_us tmo[CLS__COUNT];
    uint64_t seq;
    uint64_t fseq; /* sequence of the frame being processed */
    bool worker;   /* timeouts are checked by the caller (engine.h, worker mode) */
    struct ta_engine_ctx ctx;
    ta_time_us now;
    uint64_t last_expire_sec;
    struct ta_obs_sink sinks[MAX_SINKS];
    size_t nsinks;
    struct ta_obs_sink emit;
    struct ta_app_hooks app;
    void *app_ctx;
    bool has_app;
    struct ta_engine_stats st;
};

const char *ta_app_proto_name(enum ta_app_proto p)
{
    switch (p) {
    case TA_APP_HTTP:
        return "http";
    case TA_APP_TLS:
        return "tls";
    case TA_APP_DNS:
        return "dns";
    case TA_APP_FAILED:
        return "failed";
    default:
        return "unknown";
    }
}

const char *ta_flow_state_name(enum ta_flow_state s)
{
    switch (s) {
    case TA_FLOW_STATE_ESTABLISHED:
        return "established";
    case TA_FLOW_STATE_CLOSED:
        return "closed";
    default:
        return "new";
    }
}

const char *ta_flow_reason_name(enum ta_flow_reason r)
{
    switch (r) {
    case TA_FLOW_REASON_FORCED:
        return "forced";
    case TA_FLOW_REASON_SHUTDOWN:
        return "shutdown";
    default:
        return "timeout";
    }
}

const char *ta_tcp_state_name(enum ta_tcp_state s)
{
    static const char *const names[] = {"none",      "syn_sent",   "syn_recv", "established",
                                        "fin_wait1", "close_wait", "closed"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "none";
}

void ta_engine_opts_default(struct ta_engine_opts *o)
{
    ta_decode_opts_default(&o->decode);
    o->max_flows = 1000000;
    o->tcp_new_timeout = 30;
    o->tcp_est_timeout = 300;
    o->tcp_closed_timeout = 10;
    o->udp_timeout = 60;
    o->other_timeout = 30;
}

/* Fan-out sink handed to the app layer. */
static void fan_flow(void *ud, const struct ta_flow *f)
{
    struct ta_engine *e = ud;
    for (size_t i = 0; i < e->nsinks; i++)
        if (e->sinks[i].on_flow)
            e->sinks[i].on_flow(e->sinks[i].ud, f);
}

static void fan_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct ta_engine *e = ud;
    for (size_t i = 0; i < e->nsinks; i++)
        if (e->sinks[i].on_record)
            e->sinks[i].on_record(e->sinks[i].ud, f, type, rec);
}

ta_err ta_engine_new(const struct ta_engine_opts *opts, struct ta_engine **out)
{
    struct ta_engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return TA_ERR_NOMEM;
    if (opts != NULL)
        e->o = *opts;
    else
        ta_engine_opts_default(&e->o);
    if (e->o.max_flows == 0) {
        free(e);
        return TA_ERR_ARG;
    }
    ta_err err = ta_decoder_new(&e->o.decode, &e->dec);
    if (err != TA_OK) {
        free(e);
        return err;
    }
    /* The bucket array starts small and doubles with the flows (see grow()). */
    e->nbucket = 1024;
    e->bucket = calloc(e->nbucket, sizeof(*e->bucket));
    if (e->bucket == NULL) {
        ta_decoder_free(e->dec);
        free(e);
        return TA_ERR_NOMEM;
    }
    e->tmo[CLS_TCP_NEW] = (ta_time_us)e->o.tcp_new_timeout * US;
    e->tmo[CLS_TCP_EST] = (ta_time_us)e->o.tcp_est_timeout * US;
    e->tmo[CLS_TCP_CLOSED] = (ta_time_us)e->o.tcp_closed_timeout * US;
    e->tmo[CLS_UDP] = (ta_time_us)e->o.udp_timeout * US;
    e->tmo[CLS_OTHER] = (ta_time_us)e->o.other_timeout * US;
    e->emit = (struct ta_obs_sink){e, fan_flow, fan_record};
    ta_pool_init(&e->fpool, FENTRY_SIZE, FENTRY_ALIGN, FLOW_POOL_MAX);
    *out = e;
    return TA_OK;
}

void ta_engine_free(struct ta_engine *e)
{
    if (e == NULL)
        return;
    /* Flows still held are released without being reported. */
    for (int c = 0; c < CLS__COUNT; c++) {
        struct fentry *x = e->cl[c].head;
        while (x != NULL) {
            struct fentry *n = x->next;
            if (e->has_app && x->f.app != NULL && e->app.flow_end) {
                struct ta_obs_sink none = {0};
                e->app.flow_end(e->app_ctx, &x->f, &none);
            }
            free(x);
            x = n;
        }
    }
    ta_pool_drain(&e->fpool);
    free(e->bucket);
    ta_decoder_free(e->dec);
    free(e);
}

ta_err ta_engine_add_sink(struct ta_engine *e, const struct ta_obs_sink *sink)
{
    if (e->nsinks >= MAX_SINKS)
        return TA_ERR_LIMIT;
    e->sinks[e->nsinks++] = *sink;
    return TA_OK;
}

void ta_engine_set_app_layer(struct ta_engine *e, const struct ta_app_hooks *hooks, void *ctx)
{
    if (hooks == NULL) {
        e->has_app = false;
        return;
    }
    e->app = *hooks;
    e->app_ctx = ctx;
    e->has_app = true;
}

/* ---- class lists ---- */

static void cl_remove(struct ta_engine *e, struct fentry *x)
{
    struct clist *l = &e->cl[x->cls];
    if (x->prev)
        x->prev->next = x->next;
    else
        l->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = NULL;
}

static void cl_append(struct ta_engine *e, struct fentry *x, uint8_t cls)
{
    struct clist *l = &e->cl[cls];
    x->cls = cls;
    x->aseq = e->fseq;
    x->next = NULL;
    x->prev = l->tail;
    if (l->tail)
        l->tail->next = x;
    else
        l->head = x;
    l->tail = x;
}

/* ---- hashing ---- */

static uint64_t key_hash64(const struct fkey *k)
{
    /*
     * Word rounds over the two addresses, the small fields as the last word,
     * then the finaliser. The small fields are combined arithmetically
     * rather than loaded as a word, which would stall on the byte stores
     * that just built the key. The flow id is made from this value, so it
     * must not change (ids stay the same across versions).
     */
    uint64_t w[4];
    memcpy(w, k->a, 16);
    memcpy(w + 2, k->b, 16);
    uint64_t t = (uint64_t)k->pa | (uint64_t)k->pb << 16 | (uint64_t)k->vlan[0] << 32 |
                 (uint64_t)k->vlan[1] << 48;
    uint64_t u = (uint64_t)k->proto | (uint64_t)k->family << 8 | (uint64_t)k->nvlan << 16;
    uint64_t h = TA_HASH_WORD_BASIS ^ u;
    for (int i = 0; i < 4; i++)
        h = ta_hash64_round(h, w[i]);
    return ta_hash_mix64(ta_hash64_last(h, t));
}

_Static_assert(sizeof(struct fkey) == 48, "fkey is hashed as 6 words");

static bool key_eq(const struct fkey *x, const struct fkey *y)
{
    /* Six words compared without a call (memcmp is not inlined at this size). */
    uint64_t a[6], b[6], d = 0;
    memcpy(a, x, sizeof(a));
    memcpy(b, y, sizeof(b));
    for (int i = 0; i < 6; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

/* ICMP: requests and their replies share a flow (as Suricata does). */
static uint8_t icmp_counterpart(uint8_t proto, uint8_t type)
{
    if (proto == 1) {
        switch (type) {
        case 8:
            return 0;
        case 0:
            return 8;
        case 13:
            return 14;
        case 14:
            return 13;
        case 15:
            return 16;
        case 16:
            return 15;
        case 17:
            return 18;
        case 18:
            return 17;
        case 10:
            return 9;
        case 9:
            return 10;
        default:
            return type;
        }
    }
    switch (type) {
    case 128:
        return 129;
    case 129:
        return 128;
    case 133:
        return 134;
    case 134:
        return 133;
    case 135:
        return 136;
    case 136:
        return 135;
    default:
        return type;
    }
}

/* Build the normalised key; *src_is_a says whether the packet's source is side a. */
static void make_key(const struct ta_packet *p, struct fkey *k, bool *src_is_a)
{
    uint16_t sp = p->sport, dp = p->dport;
    memset(k, 0, sizeof(*k));
    if (p->ip_proto == 1 || p->ip_proto == 58) {
        sp = p->icmp_type;
        dp = icmp_counterpart(p->ip_proto, p->icmp_type);
    } else if (p->ip_proto != 6 && p->ip_proto != 17 && p->ip_proto != 132) {
        sp = dp = 0;
    }
    int c = memcmp(p->src.b, p->dst.b, 16);
    bool a = c < 0 || (c == 0 && sp <= dp);
    if (a) {
        memcpy(k->a, p->src.b, 16);
        memcpy(k->b, p->dst.b, 16);
        k->pa = sp;
        k->pb = dp;
    } else {
        memcpy(k->a, p->dst.b, 16);
        memcpy(k->b, p->src.b, 16);
        k->pa = dp;
        k->pb = sp;
    }
    k->proto = p->ip_proto;
    k->family = p->ip_version;
    k->nvlan = p->vlan_count;
    k->vlan[0] = p->vlan_id[0];
    k->vlan[1] = p->vlan_id[1];
    *src_is_a = a;
}

/* ---- ending flows ---- */

static void hash_remove(struct ta_engine *e, struct fentry *x)
{
    struct fentry **pp = &e->bucket[x->hash & (e->nbucket - 1)];
    while (*pp != NULL && *pp != x)
        pp = &(*pp)->hnext;
    if (*pp == x)
        *pp = x->hnext;
}

static void end_flow(struct ta_engine *e, struct fentry *x, enum ta_flow_reason reason)
{
    /* A flush empties the hash table and class lists wholesale afterwards. */
    if (!e->flushing) {
        hash_remove(e, x);
        cl_remove(e, x);
    }
    if (x->cprev)
        x->cprev->cnext = x->cnext;
    else
        e->created_head = x->cnext;
    if (x->cnext)
        x->cnext->cprev = x->cprev;
    else
        e->created_tail = x->cprev;
    x->f.reason = (uint8_t)reason;
    e->ctx.cls = x->cls;
    e->ctx.aseq = x->aseq;
    e->ctx.cseq = x->seq;
    if (e->has_app && e->app.flow_end)
        e->app.flow_end(e->app_ctx, &x->f, &e->emit);
    fan_flow(e, &x->f);
    e->st.flows_ended++;
    e->st.flows_active--;
    if (reason == TA_FLOW_REASON_FORCED)
        e->st.flows_evicted++;
    ta_pool_put(&e->fpool, x);
}

static void expire(struct ta_engine *e)
{
    for (int c = 0; c < CLS__COUNT; c++) {
        struct fentry *x;
        while ((x = e->cl[c].head) != NULL && x->f.last + e->tmo[c] < e->now)
            end_flow(e, x, TA_FLOW_REASON_TIMEOUT);
    }
}

/* The least recently active flow over all classes. */
static void evict_one(struct ta_engine *e)
{
    struct fentry *best = NULL;
    for (int c = 0; c < CLS__COUNT; c++) {
        struct fentry *x = e->cl[c].head;
        if (x != NULL && (best == NULL || x->f.last < best->f.last ||
                          (x->f.last == best->f.last && x->seq < best->seq)))
            best = x;
    }
    if (best != NULL)
        end_flow(e, best, TA_FLOW_REASON_FORCED);
}

/* ---- per-packet flow update ---- */

static uint8_t class_of(const struct fentry *x)
{
    if (x->f.proto == 6) {
        if (x->f.tcp_state == TA_TCP_STATE_CLOSED)
            return CLS_TCP_CLOSED;
        return x->f.state == TA_FLOW_STATE_ESTABLISHED ? CLS_TCP_EST : CLS_TCP_NEW;
    }
    return x->f.proto == 17 ? CLS_UDP : CLS_OTHER;
}

static void tcp_update(struct ta_flow *f, uint8_t fl, enum ta_flow_dir dir)
{
    bool ts = dir == TA_DIR_TOSERVER;
    if (fl & TA_TCP_RST) {
        f->tcp_state = TA_TCP_STATE_CLOSED;
        return;
    }
    switch (f->tcp_state) {
    case TA_TCP_STATE_NONE:
    case TA_TCP_STATE_SYN_SENT:
        if ((fl & (TA_TCP_SYN | TA_TCP_ACK)) == TA_TCP_SYN && ts)
            f->tcp_state = TA_TCP_STATE_SYN_SENT;
        else if ((fl & (TA_TCP_SYN | TA_TCP_ACK)) == (TA_TCP_SYN | TA_TCP_ACK) && !ts)
            f->tcp_state = TA_TCP_STATE_SYN_RECV;
        break;
    case TA_TCP_STATE_SYN_RECV:
        if (ts && (fl & TA_TCP_ACK) && !(fl & TA_TCP_SYN))
            f->tcp_state = TA_TCP_STATE_ESTABLISHED;
        break;
    default:
        break;
    }
    if (fl & TA_TCP_FIN) {
        bool other = ts ? (f->tcp_flags_tc & TA_TCP_FIN) : (f->tcp_flags_ts & TA_TCP_FIN);
        if (other)
            f->tcp_state = TA_TCP_STATE_CLOSED;
        else if (f->tcp_state != TA_TCP_STATE_CLOSED)
            f->tcp_state = ts ? TA_TCP_STATE_FIN_WAIT1 : TA_TCP_STATE_CLOSE_WAIT;
    }
}

static void flow_update(struct ta_engine *e, struct fentry *x, const struct ta_packet *p,
                        enum ta_flow_dir dir)
{
    struct ta_flow *f = &x->f;
    if (p->ts > f->last)
        f->last = p->ts;
    if (dir == TA_DIR_TOSERVER) {
        f->pkts_toserver++;
        f->bytes_toserver += p->wirelen;
    } else {
        f->pkts_toclient++;
        f->bytes_toclient += p->wirelen;
        if ((f->proto == 1 || f->proto == 58) && !f->icmp_resp_seen) {
            f->icmp_resp_seen = true;
            f->icmp_resp_type = p->icmp_type;
            f->icmp_resp_code = p->icmp_code;
        }
    }
    if (f->proto == 6) {
        tcp_update(f, p->tcp_flags, dir);
        if (dir == TA_DIR_TOSERVER)
            f->tcp_flags_ts |= p->tcp_flags;
        else
            f->tcp_flags_tc |= p->tcp_flags;
        if (f->tcp_state == TA_TCP_STATE_CLOSED)
            f->state = TA_FLOW_STATE_CLOSED;
        else if (f->tcp_state >= TA_TCP_STATE_ESTABLISHED ||
                 (f->tcp_state == TA_TCP_STATE_NONE && f->pkts_toserver && f->pkts_toclient))
            f->state = TA_FLOW_STATE_ESTABLISHED;
    } else if (f->pkts_toserver && f->pkts_toclient) {
        f->state = TA_FLOW_STATE_ESTABLISHED;
    }
    /*
     * Move to the tail of its (possibly new) class list: most recently active.
     * Within one second of packet time the order is left as it is (timeouts
     * are checked once per second anyway), which spares most packets the two
     * extra cache misses of relinking.
     */
    uint8_t cls = class_of(x);
    uint64_t sec = p->ts / US;
    if (cls != x->cls || sec > x->qsec) {
        cl_remove(e, x);
        cl_append(e, x, cls);
        x->qsec = sec;
    }
}

static uint64_t flow_id(const struct fkey *k, ta_time_us start)
{
    uint64_t id = ta_hash_mix64(key_hash64(k) ^ ta_hash_mix64(start)) & ((1ull << 53) - 1);
    return id ? id : 1;
}

/*
 * Keep about one bucket per active flow: a table sized for what is active
 * (not for max_flows) stays small enough to be cache friendly. Growth failure
 * is harmless: chains just get longer.
 */
static void grow(struct ta_engine *e)
{
    uint32_t n = e->nbucket * 2;
    struct fentry **nb = calloc(n, sizeof(*nb));
    if (nb == NULL)
        return;
    for (struct fentry *x = e->created_head; x != NULL; x = x->cnext) {
        struct fentry **b = &nb[x->hash & (n - 1)];
        x->hnext = *b;
        *b = x;
    }
    free(e->bucket);
    e->bucket = nb;
    e->nbucket = n;
}

static struct fentry *flow_new(struct ta_engine *e, const struct ta_packet *p, const struct fkey *k,
                               uint32_t h, bool src_is_a)
{
    while (e->st.flows_active >= e->o.max_flows)
        evict_one(e);
    if (e->st.flows_active >= e->nbucket && e->nbucket < (1u << 26))
        grow(e);
    struct fentry *x = ta_pool_get(&e->fpool);
    if (x == NULL)
        return NULL;
    memset(x, 0, sizeof(*x));
    x->k = *k;
    x->hash = h;
    x->seq = e->seq++;
    /* The sender is the client, except for a SYN/ACK seen first. */
    bool sender_client = !(p->ip_proto == 6 &&
                           (p->tcp_flags & (TA_TCP_SYN | TA_TCP_ACK)) == (TA_TCP_SYN | TA_TCP_ACK));
    x->client_is_a = sender_client ? src_is_a : !src_is_a;
    struct ta_flow *f = &x->f;
    f->src = sender_client ? p->src : p->dst;
    f->dst = sender_client ? p->dst : p->src;
    if (p->ip_proto == 1 || p->ip_proto == 58) {
        f->sp = p->icmp_type;
        f->dp = p->icmp_code;
        f->icmp_type = p->icmp_type;
        f->icmp_code = p->icmp_code;
    } else if (k->pa == 0 && k->pb == 0) {
        f->sp = f->dp = 0;
    } else {
        f->sp = sender_client ? p->sport : p->dport;
        f->dp = sender_client ? p->dport : p->sport;
    }
    f->proto = p->ip_proto;
    f->ip_version = p->ip_version;
    f->vlan_count = p->vlan_count;
    f->vlan_id[0] = p->vlan_id[0];
    f->vlan_id[1] = p->vlan_id[1];
    f->start = f->last = p->ts;
    f->id = flow_id(k, p->ts);
    x->hnext = e->bucket[h & (e->nbucket - 1)];
    e->bucket[h & (e->nbucket - 1)] = x;
    cl_append(e, x, class_of(x));
    x->qsec = p->ts / US;
    x->cprev = e->created_tail;
    if (e->created_tail)
        e->created_tail->cnext = x;
    else
        e->created_head = x;
    e->created_tail = x;
    e->st.flows_created++;
    e->st.flows_active++;
    return x;
}

static void flow_packet(struct ta_engine *e, const struct ta_packet *p)
{
    struct fkey k;
    bool src_is_a;
    make_key(p, &k, &src_is_a);
    uint32_t h = (uint32_t)key_hash64(&k);
    struct fentry *x = e->bucket[h & (e->nbucket - 1)];
    while (x != NULL && !(x->hash == h && key_eq(&x->k, &k)))
        x = x->hnext;
    /* A new SYN on a closed connection's tuple starts a new flow (port reuse). */
    if (x != NULL && x->f.tcp_state == TA_TCP_STATE_CLOSED &&
        (p->tcp_flags & (TA_TCP_SYN | TA_TCP_ACK | TA_TCP_RST)) == TA_TCP_SYN) {
        end_flow(e, x, TA_FLOW_REASON_TIMEOUT);
        x = NULL;
    }
    if (x == NULL) {
        x = flow_new(e, p, &k, h, src_is_a);
        if (x == NULL)
            return;
    }
    enum ta_flow_dir dir = src_is_a == x->client_is_a ? TA_DIR_TOSERVER : TA_DIR_TOCLIENT;
    flow_update(e, x, p, dir);
    if (e->has_app && e->app.packet)
        e->app.packet(e->app_ctx, &x->f, p, dir, &e->emit);
}

void ta_engine_packet(struct ta_engine *e, int linktype, ta_time_us ts, const uint8_t *frame,
                      uint32_t caplen, uint32_t wirelen)
{
    struct ta_packet p;
    if (!e->worker)
        e->fseq = e->st.packets;
    e->ctx.phase = TA_ENGINE_PHASE_PACKET;
    e->st.packets++;
    e->st.bytes += wirelen;
    if (ts > e->now)
        e->now = ts;
    switch (ta_decoder_decode(e->dec, linktype, ts, frame, caplen, wirelen, &p)) {
    case TA_DECODE_OK:
        e->st.decoded++;
        flow_packet(e, &p);
        break;
    case TA_DECODE_FRAG_HELD:
        e->st.frag_held++;
        break;
    case TA_DECODE_SKIPPED:
        e->st.skipped++;
        break;
    default:
        e->st.invalid++;
        break;
    }
    /* Timeouts are checked once per second of packet time: cheap, deterministic. */
    if (e->worker)
        return;
    uint64_t sec = e->now / US;
    if (sec != e->last_expire_sec) {
        e->last_expire_sec = sec;
        expire(e);
    }
}

void ta_engine_advance(struct ta_engine *e, ta_time_us now)
{
    e->ctx.phase = TA_ENGINE_PHASE_EXPIRE;
    /* Never backwards: packet times already seen stay the engine's clock. */
    if (now <= e->now)
        return;
    e->now = now;
    uint64_t sec = e->now / US;
    if (sec != e->last_expire_sec) {
        e->last_expire_sec = sec;
        expire(e);
    }
}

void ta_engine_flush(struct ta_engine *e)
{
    /* Creation order: deterministic, and the order the input introduced them. */
    e->ctx.phase = TA_ENGINE_PHASE_FLUSH;
    e->flushing = true;
    while (e->created_head != NULL)
        end_flow(e, e->created_head, TA_FLOW_REASON_SHUTDOWN);
    e->flushing = false;
    memset(e->bucket, 0, (size_t)e->nbucket * sizeof(*e->bucket));
    memset(e->cl, 0, sizeof(e->cl));
}

void ta_engine_get_stats(const struct ta_engine *e, struct ta_engine_stats *st)
{
    *st = e->st;
}

const struct ta_decoder *ta_engine_decoder(const struct ta_engine *e)
{
    return e->dec;
}

ta_time_us ta_engine_now(const struct ta_engine *e)
{
    return e->now;
}

const struct ta_obs_sink *ta_engine_fanout(struct ta_engine *e)
{
    return &e->emit;
}

uint64_t ta_flow_id_of(const struct ta_flow *f)
{
    /* The packet fields make_key() reads, taken from the flow's view. */
    struct ta_packet p;
    memset(&p, 0, sizeof(p));
    p.src = f->src;
    p.dst = f->dst;
    p.sport = f->sp;
    p.dport = f->dp;
    p.ip_proto = f->proto;
    p.ip_version = f->ip_version;
    p.icmp_type = f->icmp_type;
    p.vlan_count = f->vlan_count;
    p.vlan_id[0] = f->vlan_id[0];
    p.vlan_id[1] = f->vlan_id[1];
    struct fkey k;
    bool src_is_a;
    make_key(&p, &k, &src_is_a);
    return flow_id(&k, f->start);
}

/* ---- worker mode (engine.h, worker mode) ---- */

void ta_engine_set_worker(struct ta_engine *e)
{
    e->worker = true;
}

void ta_engine_set_seq(struct ta_engine *e, uint64_t seq)
{
    e->fseq = seq;
    /* Creation order is the frame order of the whole input. */
    e->seq = seq;
}

const struct ta_engine_ctx *ta_engine_ctx(const struct ta_engine *e)
{
    return &e->ctx;
}

void ta_engine_first_live(struct ta_engine *e, ta_time_us now, uint64_t out[TA_ENGINE_CLASSES])
{
    _Static_assert(TA_ENGINE_CLASSES == CLS__COUNT, "one bound per class list");
    if (now > e->now)
        e->now = now;
    for (int c = 0; c < CLS__COUNT; c++) {
        struct fentry *x = e->cl[c].head;
        while (x != NULL && x->f.last + e->tmo[c] < e->now)
            x = x->next;
        out[c] = x != NULL ? x->aseq : UINT64_MAX;
    }
}

void ta_engine_expire_before(struct ta_engine *e, const uint64_t bound[TA_ENGINE_CLASSES])
{
    e->ctx.phase = TA_ENGINE_PHASE_EXPIRE;
    for (int c = 0; c < CLS__COUNT; c++) {
        struct fentry *x;
        while ((x = e->cl[c].head) != NULL && x->aseq < bound[c])
            end_flow(e, x, TA_FLOW_REASON_TIMEOUT);
    }
}

void ta_engine_absorb(struct ta_engine *dst, const struct ta_engine *src)
{
    dst->st.packets += src->st.packets;
    dst->st.decoded += src->st.decoded;
    dst->st.bytes += src->st.bytes;
    dst->st.skipped += src->st.skipped;
    dst->st.invalid += src->st.invalid;
    dst->st.frag_held += src->st.frag_held;
    dst->st.flows_created += src->st.flows_created;
    dst->st.flows_ended += src->st.flows_ended;
    dst->st.flows_evicted += src->st.flows_evicted;
    dst->st.flows_active += src->st.flows_active;
    if (src->now > dst->now)
        dst->now = src->now;
    ta_decoder_absorb(dst->dec, src->dec);
}
