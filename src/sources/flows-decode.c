/*
 * NetFlow v5, NetFlow v9, IPFIX (RFC 7011) and sFlow v5 export datagrams
 * to observations, with the template and sampling state of each exporter and
 * observation domain (flows-int.h). Every record becomes one unidirectional
 * flow (struct ta_flow with its origin: exporter, domain, sampling rate);
 * counters are the exported ones, never scaled by the sampling rate.
 *
 * Template sets define records; options template sets define records that
 * describe the exporter (its sampling interval, by sampler or selector id).
 * Enterprise elements are skipped by their length, variable-length elements
 * by the length they carry. A template withdrawal (IPFIX, field count 0)
 * drops the template, or all of a set's kind when its id is the set id.
 *
 * sFlow v5 carries samples of packets rather than flows: each sampled
 * header goes to the packet hook (the engine's decoder, flow table and app
 * layer, which find DNS, HTTP Host and TLS SNI in it) and counts for its
 * agent with the sample's sampling rate.
 */
#include <stdlib.h>
#include <string.h>

#include "sources/flows-int.h"

#include "common/cursor.h"
#include "threatatlas/decode.h"

#include "common/banned.h"

/* What a field of a template fills. */
enum act {
    A_SKIP = 0,
    A_BYTES,
    A_PKTS,
    A_PROTO,
    A_TOS,
    A_FLAGS,
    A_SPORT,
    A_DPORT,
    A_SRC4,
    A_DST4,
    A_SRC6,
    A_DST6,
    A_IN,
    A_OUT,
    A_FIRST_UP,
    A_LAST_UP,
    A_ICMP,
    A_SAMP_INT,
    A_SAMP_SPACE,
    A_SAMP_ID,
    A_SAMP_SIZE,
    A_SAMP_POP,
    A_MIN_TTL,
    A_MAX_TTL,
    A_START_S,
    A_END_S,
    A_START_MS,
    A_END_MS,
    A_START_NTP,
    A_END_NTP,
    A_SYSINIT_MS,
};

#define VARLEN       0xffffu
#define MAX_FIELDS   512u
#define MAX_SAMPLERS 16u

struct field {
    uint16_t len; /* VARLEN: carried by the record */
    uint8_t act;
    uint16_t off; /* fixed-length templates: the field's offset in the record */
};

struct tmpl {
    uint16_t id;
    bool options;
    uint16_t nfields;
    uint32_t min_len;     /* bytes of the smallest record */
    bool fixed;           /* no variable-length field: records are min_len bytes */
    uint16_t nused;       /* fixed: the fields that fill something, first in f[] order */
    struct field *used;   /* fixed: those fields with their offsets */
    uint64_t refreshed_s; /* export time of its last definition */
    struct field *f;
};

struct sampler {
    uint32_t id;
    uint32_t interval;
};

struct exp {
    struct ta_addr addr;
    uint32_t domain;
    const char *format;
    uint32_t sampling; /* the last one applied, for the origins list */
    uint64_t records;
    struct tmpl *t;
    uint32_t nt, cap;
    struct sampler samp[MAX_SAMPLERS];
    uint32_t nsamp;
    uint32_t samp_default; /* from options data without a sampler id, or the v5 header */
};

struct ta__flows {
    struct ta_obsrc_opts o;
    struct exp *e;
    uint32_t ne, cape;
    uint32_t last; /* index of the last exporter found */
    size_t ntemplates;
    struct ta_obsrc_stats st;
};

ta_err ta__flows_new(const struct ta_obsrc_opts *o, struct ta__flows **out)
{
    *out = NULL;
    struct ta__flows *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return TA_ERR_NOMEM;
    x->o = *o;
    if (x->o.max_exporters == 0)
        x->o.max_exporters = 1;
    *out = x;
    return TA_OK;
}

static void tmpl_release(struct tmpl *t)
{
    free(t->f);
    free(t->used);
    t->f = NULL;
    t->used = NULL;
}

void ta__flows_free(struct ta__flows *x)
{
    if (x == NULL)
        return;
    for (uint32_t i = 0; i < x->ne; i++) {
        for (uint32_t k = 0; k < x->e[i].nt; k++)
            tmpl_release(&x->e[i].t[k]);
        free(x->e[i].t);
    }
    free(x->e);
    free(x);
}

void ta__flows_stats(const struct ta__flows *x, struct ta_obsrc_stats *st)
{
    *st = x->st;
}

size_t ta__flows_templates(const struct ta__flows *x)
{
    return x->ntemplates;
}

size_t ta__flows_origins(const struct ta__flows *x, struct ta_obsrc_origin *out, size_t max)
{
    for (uint32_t i = 0; i < x->ne && i < max; i++) {
        const struct exp *e = &x->e[i];
        memset(&out[i], 0, sizeof(out[i]));
        ta_addr_format(&e->addr, out[i].exporter, sizeof(out[i].exporter));
        out[i].domain = e->domain;
        out[i].format = e->format;
        out[i].sampling = e->sampling;
        out[i].records = e->records;
    }
    return x->ne;
}

/* The exporter of addr and domain, made on first sight; NULL past the cap. */
static struct exp *exporter(struct ta__flows *x, const struct ta_addr *addr, uint32_t domain,
                            const char *format)
{
    if (x->last < x->ne) {
        struct exp *e = &x->e[x->last];
        if (e->domain == domain && e->format == format && memcmp(e->addr.b, addr->b, 16) == 0)
            return e;
    }
    for (uint32_t i = 0; i < x->ne; i++) {
        struct exp *e = &x->e[i];
        if (e->domain == domain && e->format == format && memcmp(e->addr.b, addr->b, 16) == 0) {
            x->last = i;
            return e;
        }
    }
    if (x->ne >= x->o.max_exporters) {
        x->st.exporters_refused++;
        return NULL;
    }
    if (x->ne == x->cape) {
        uint32_t nc = x->cape ? x->cape * 2 : 8;
        struct exp *ne = realloc(x->e, nc * sizeof(*ne));
        if (ne == NULL)
            return NULL;
        x->e = ne;
        x->cape = nc;
    }
    struct exp *e = &x->e[x->ne];
    memset(e, 0, sizeof(*e));
    e->addr = *addr;
    e->domain = domain;
    e->format = format;
    x->last = x->ne++;
    return e;
}

/* ---- records to flows ------------------------------------------------- */

/* The fields of one record, before they become a flow. */
struct rec {
    uint64_t bytes, pkts;
    uint8_t proto, tos, flags, min_ttl, max_ttl;
    uint16_t sp, dp, icmp;
    bool has_icmp;
    struct ta_addr src, dst;
    uint32_t in_if, out_if;
    bool has_first_up, has_last_up;
    uint32_t first_up, last_up;
    uint64_t start_us, end_us; /* 0: not in the record */
    uint64_t sysinit_ms;
    uint32_t samp_int, samp_space, samp_id, samp_size, samp_pop;
    bool has_samp_id;
};

/* The export header's clock, to turn uptimes into times. */
struct hdr_clock {
    uint64_t unix_us;   /* export time */
    uint32_t uptime_ms; /* v5/v9: the exporter's uptime at export; IPFIX: none */
    bool has_uptime;
};

static uint64_t uptime_to_us(const struct hdr_clock *c, const struct rec *r, uint32_t up)
{
    if (r->sysinit_ms != 0)
        return (r->sysinit_ms + up) * 1000u;
    if (!c->has_uptime)
        return c->unix_us;
    /* Signed: a record may end a little after the header's whole second. */
    int64_t back = (int64_t)(int32_t)(c->uptime_ms - up) * 1000;
    if (back < 0)
        return c->unix_us + (uint64_t)(-back);
    return (uint64_t)back < c->unix_us ? c->unix_us - (uint64_t)back : 0;
}

/* The 1-in-N a record says itself (0: none): n-out-of-N, interval and space, or interval. */
static uint32_t own_rate(const struct rec *r)
{
    if (r->samp_size != 0 && r->samp_pop != 0)
        return r->samp_pop / r->samp_size;
    if (r->samp_int != 0 && r->samp_space != 0)
        return (uint32_t)(((uint64_t)r->samp_int + r->samp_space) / r->samp_int);
    return r->samp_int;
}

static uint32_t sampling_of(const struct exp *e, const struct rec *r)
{
    uint32_t own = own_rate(r);
    if (own != 0)
        return own;
    if (r->has_samp_id)
        for (uint32_t i = 0; i < e->nsamp; i++)
            if (e->samp[i].id == r->samp_id)
                return e->samp[i].interval;
    return e->samp_default;
}

static void emit(struct ta__flows *x, struct exp *e, const struct hdr_clock *c, const struct rec *r,
                 uint16_t port, const struct ta__flows_out *o)
{
    if (r->src.family == 0 || r->dst.family != r->src.family) {
        x->st.skipped++;
        return;
    }
    struct ta_flow f;
    memset(&f, 0, sizeof(f));
    struct ta_flow_origin org;
    memset(&org, 0, sizeof(org));
    (void)port;
    f.src = r->src;
    f.dst = r->dst;
    f.proto = r->proto;
    f.ip_version = r->src.family;
    if (r->proto == 1 || r->proto == 58) {
        uint16_t tc = r->has_icmp ? r->icmp : r->dp;
        f.icmp_type = (uint8_t)(tc >> 8);
        f.icmp_code = (uint8_t)tc;
    } else {
        f.sp = r->sp;
        f.dp = r->dp;
    }
    f.start = r->start_us != 0  ? r->start_us
              : r->has_first_up ? uptime_to_us(c, r, r->first_up)
                                : c->unix_us;
    f.last = r->end_us != 0 ? r->end_us : r->has_last_up ? uptime_to_us(c, r, r->last_up) : f.start;
    if (f.last < f.start)
        f.last = f.start;
    f.pkts_toserver = r->pkts;
    f.bytes_toserver = r->bytes;
    f.tcp_flags_ts = r->flags;
    f.state = TA_FLOW_STATE_CLOSED;
    f.reason = TA_FLOW_REASON_TIMEOUT;
    f.id = ta_flow_id_of(&f);
    org.format = e->format;
    org.exporter = e->addr;
    org.domain = e->domain;
    org.sampling = sampling_of(e, r);
    org.in_if = r->in_if;
    org.out_if = r->out_if;
    org.min_ttl = r->min_ttl;
    org.max_ttl = r->max_ttl;
    org.tos = r->tos;
    org.unidirectional = true;
    f.origin = &org;
    e->sampling = org.sampling;
    e->records++;
    x->st.records++;
    if (o->out != NULL && o->out->on_flow != NULL)
        o->out->on_flow(o->out->ud, &f);
}

/* ---- NetFlow v5 ------------------------------------------------------- */

static void nf5(struct ta__flows *x, const struct ta_addr *from, uint16_t port, const uint8_t *p,
                size_t len, const struct ta__flows_out *o)
{
    if (len < 24) {
        x->st.rejected++;
        return;
    }
    uint16_t count = ta_rd16be(p + 2);
    if (count == 0 || count > 30 || len < 24u + 48u * count) {
        x->st.rejected++;
        return;
    }
    struct hdr_clock c = {.uptime_ms = ta_rd32be(p + 4), .has_uptime = true};
    c.unix_us = (uint64_t)ta_rd32be(p + 8) * 1000000u + ta_rd32be(p + 12) / 1000u;
    /* The engine type and id tell an exporter's engines apart. */
    struct exp *e = exporter(x, from, (uint32_t)p[20] << 8 | p[21], "netflow5");
    if (e == NULL) {
        x->st.skipped += count;
        return;
    }
    uint16_t si = ta_rd16be(p + 22) & 0x3fff;
    e->samp_default = si;
    for (uint16_t i = 0; i < count; i++) {
        const uint8_t *q = p + 24 + 48u * i;
        struct rec r;
        memset(&r, 0, sizeof(r));
        ta_addr_set_v4(&r.src, q);
        ta_addr_set_v4(&r.dst, q + 4);
        r.in_if = ta_rd16be(q + 12);
        r.out_if = ta_rd16be(q + 14);
        r.pkts = ta_rd32be(q + 16);
        r.bytes = ta_rd32be(q + 20);
        r.first_up = ta_rd32be(q + 24);
        r.last_up = ta_rd32be(q + 28);
        r.has_first_up = r.has_last_up = true;
        r.sp = ta_rd16be(q + 32);
        r.dp = ta_rd16be(q + 34);
        r.flags = q[37];
        r.proto = q[38];
        r.tos = q[39];
        emit(x, e, &c, &r, port, o);
    }
}

/* ---- templates -------------------------------------------------------- */

static uint8_t act_of(uint16_t id)
{
    switch (id) {
    case 1:
    case 85:
        return A_BYTES;
    case 2:
    case 86:
        return A_PKTS;
    case 4:
        return A_PROTO;
    case 5:
        return A_TOS;
    case 6:
        return A_FLAGS;
    case 7:
        return A_SPORT;
    case 8:
        return A_SRC4;
    case 10:
        return A_IN;
    case 11:
        return A_DPORT;
    case 12:
        return A_DST4;
    case 14:
        return A_OUT;
    case 21:
        return A_LAST_UP;
    case 22:
        return A_FIRST_UP;
    case 27:
        return A_SRC6;
    case 28:
        return A_DST6;
    case 32:
    case 139:
        return A_ICMP;
    case 34:
    case 50:
    case 305:
        return A_SAMP_INT;
    case 306:
        return A_SAMP_SPACE;
    case 48:
    case 302:
        return A_SAMP_ID;
    case 309:
        return A_SAMP_SIZE;
    case 310:
        return A_SAMP_POP;
    case 52:
        return A_MIN_TTL;
    case 53:
        return A_MAX_TTL;
    case 150:
        return A_START_S;
    case 151:
        return A_END_S;
    case 152:
        return A_START_MS;
    case 153:
        return A_END_MS;
    case 154:
    case 156:
        return A_START_NTP;
    case 155:
    case 157:
        return A_END_NTP;
    case 160:
        return A_SYSINIT_MS;
    default:
        return A_SKIP;
    }
}

static struct tmpl *tmpl_find(struct exp *e, uint16_t id)
{
    for (uint32_t i = 0; i < e->nt; i++)
        if (e->t[i].id == id)
            return &e->t[i];
    return NULL;
}

static void tmpl_drop(struct ta__flows *x, struct exp *e, struct tmpl *t)
{
    tmpl_release(t);
    *t = e->t[--e->nt];
    x->ntemplates--;
}

/* Add or replace template id; the fields are moved in. False at the cap. */
static bool tmpl_put(struct ta__flows *x, struct exp *e, const struct tmpl *nt)
{
    struct tmpl *t = tmpl_find(e, nt->id);
    if (t != NULL) {
        tmpl_release(t);
        *t = *nt;
        return true;
    }
    if (x->ntemplates >= x->o.max_templates)
        return false;
    if (e->nt == e->cap) {
        uint32_t nc = e->cap ? e->cap * 2 : 4;
        struct tmpl *na = realloc(e->t, nc * sizeof(*na));
        if (na == NULL)
            return false;
        e->t = na;
        e->cap = nc;
    }
    e->t[e->nt++] = *nt;
    x->ntemplates++;
    return true;
}

/*
 * A template without variable-length fields reads its records at fixed
 * offsets, visiting only the fields that fill something: most exporters'
 * templates, and the hot path. False when out of memory.
 */
static bool compile_fixed(struct tmpl *t)
{
    t->fixed = true;
    for (uint16_t i = 0; i < t->nfields; i++)
        if (t->f[i].len == VARLEN)
            t->fixed = false;
    if (!t->fixed || t->min_len > 0xffff)
        return (t->fixed = false, true);
    t->used = malloc(t->nfields * sizeof(*t->used));
    if (t->used == NULL)
        return false;
    uint32_t off = 0;
    for (uint16_t i = 0; i < t->nfields; i++) {
        if (t->f[i].act != A_SKIP) {
            t->used[t->nused] = t->f[i];
            t->used[t->nused++].off = (uint16_t)off;
        }
        off += t->f[i].len;
    }
    return true;
}

/*
 * One template or options template set. v9 options templates give the scope
 * and option lengths in bytes; IPFIX ones give a field count, then the
 * scope count. A bad template rejects the rest of the set.
 */
static void tmpl_set(struct ta__flows *x, struct exp *e, bool ipfix, bool options, uint16_t set_id,
                     struct ta_cursor *c, uint64_t now_s)
{
    while (ta_cursor_left(c) >= 4) {
        uint16_t id = 0, nf = 0, scope = 0;
        if (!ta_cursor_u16be(c, &id))
            break;
        if (options && !ipfix) {
            uint16_t slen, olen;
            if (!ta_cursor_u16be(c, &slen) || !ta_cursor_u16be(c, &olen) || slen % 4 || olen % 4) {
                x->st.rejected++;
                return;
            }
            nf = (uint16_t)((slen + olen) / 4);
        } else {
            if (!ta_cursor_u16be(c, &nf))
                break;
            if (options && nf > 0 && !ta_cursor_u16be(c, &scope)) {
                x->st.rejected++;
                return;
            }
        }
        if (ipfix && nf == 0) {
            /* Withdrawal: of one template, or of all of this set's kind. */
            if (id == set_id) {
                for (uint32_t i = e->nt; i-- > 0;)
                    if (e->t[i].options == options)
                        tmpl_drop(x, e, &e->t[i]);
            } else {
                struct tmpl *t = tmpl_find(e, id);
                if (t != NULL)
                    tmpl_drop(x, e, t);
            }
            continue;
        }
        if (id < 256 || nf == 0 || nf > MAX_FIELDS) {
            x->st.rejected++;
            return;
        }
        (void)scope;
        struct tmpl t = {.id = id, .options = options, .nfields = nf, .refreshed_s = now_s};
        t.f = malloc(nf * sizeof(*t.f));
        if (t.f == NULL)
            return;
        bool ok = true;
        for (uint16_t i = 0; i < nf && ok; i++) {
            uint16_t type, flen;
            ok = ta_cursor_u16be(c, &type) && ta_cursor_u16be(c, &flen);
            if (ok && ipfix && (type & 0x8000)) {
                /* An enterprise element: skipped by its length. */
                ok = ta_cursor_skip(c, 4);
                type = 0;
            }
            if (!ok)
                break;
            t.f[i].len = flen;
            t.f[i].act = act_of(type);
            t.min_len += flen == VARLEN ? (ipfix ? 1u : 0u) : flen;
            if (flen == VARLEN && !ipfix)
                ok = false;
        }
        if (!ok || t.min_len == 0) {
            free(t.f);
            x->st.rejected++;
            return;
        }
        if (!compile_fixed(&t)) {
            free(t.f);
            return;
        }
        if (!tmpl_put(x, e, &t)) {
            tmpl_release(&t);
            x->st.skipped++;
        }
    }
}

static uint64_t be_n(const uint8_t *p, uint16_t n)
{
    switch (n) {
    case 1:
        return p[0];
    case 2:
        return ta_rd16be(p);
    case 4:
        return ta_rd32be(p);
    case 8:
        return (uint64_t)ta_rd32be(p) << 32 | ta_rd32be(p + 4);
    default:
        break;
    }
    uint64_t v = 0;
    for (uint16_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t ntp_us(const uint8_t *p, uint16_t n)
{
    if (n != 8)
        return 0;
    uint64_t s = ta_rd32be(p), frac = ta_rd32be(p + 4);
    if (s < 2208988800u)
        return 0;
    return (s - 2208988800u) * 1000000u + ((frac * 1000000u) >> 32);
}

static inline __attribute__((always_inline)) void put(struct rec *r, uint8_t act, const uint8_t *v,
                                                      uint16_t n)
{
    uint64_t u = n <= 8 ? be_n(v, n) : 0;
    switch ((enum act)act) {
    case A_SKIP:
        break;
    case A_BYTES:
        r->bytes = u;
        break;
    case A_PKTS:
        r->pkts = u;
        break;
    case A_PROTO:
        r->proto = (uint8_t)u;
        break;
    case A_TOS:
        r->tos = (uint8_t)u;
        break;
    case A_FLAGS:
        r->flags = (uint8_t)u;
        break;
    case A_SPORT:
        r->sp = (uint16_t)u;
        break;
    case A_DPORT:
        r->dp = (uint16_t)u;
        break;
    case A_SRC4:
        if (n == 4)
            ta_addr_set_v4(&r->src, v);
        break;
    case A_DST4:
        if (n == 4)
            ta_addr_set_v4(&r->dst, v);
        break;
    case A_SRC6:
        if (n == 16)
            ta_addr_set_v6(&r->src, v);
        break;
    case A_DST6:
        if (n == 16)
            ta_addr_set_v6(&r->dst, v);
        break;
    case A_IN:
        r->in_if = (uint32_t)u;
        break;
    case A_OUT:
        r->out_if = (uint32_t)u;
        break;
    case A_FIRST_UP:
        r->first_up = (uint32_t)u;
        r->has_first_up = true;
        break;
    case A_LAST_UP:
        r->last_up = (uint32_t)u;
        r->has_last_up = true;
        break;
    case A_ICMP:
        r->icmp = (uint16_t)u;
        r->has_icmp = true;
        break;
    case A_SAMP_INT:
        r->samp_int = (uint32_t)u;
        break;
    case A_SAMP_SPACE:
        r->samp_space = (uint32_t)u;
        break;
    case A_SAMP_SIZE:
        r->samp_size = (uint32_t)u;
        break;
    case A_SAMP_POP:
        r->samp_pop = (uint32_t)u;
        break;
    case A_SAMP_ID:
        r->samp_id = (uint32_t)u;
        r->has_samp_id = true;
        break;
    case A_MIN_TTL:
        r->min_ttl = (uint8_t)u;
        break;
    case A_MAX_TTL:
        r->max_ttl = (uint8_t)u;
        break;
    case A_START_S:
        r->start_us = u * 1000000u;
        break;
    case A_END_S:
        r->end_us = u * 1000000u;
        break;
    case A_START_MS:
        r->start_us = u * 1000u;
        break;
    case A_END_MS:
        r->end_us = u * 1000u;
        break;
    case A_START_NTP:
        r->start_us = ntp_us(v, n);
        break;
    case A_END_NTP:
        r->end_us = ntp_us(v, n);
        break;
    case A_SYSINIT_MS:
        r->sysinit_ms = u;
        break;
    }
}

/* Options data: remember the exporter's sampling interval (by sampler id when given). */
static void options_rec(struct exp *e, const struct rec *r)
{
    uint32_t iv = own_rate(r);
    if (iv == 0)
        return;
    if (!r->has_samp_id) {
        e->samp_default = iv;
        return;
    }
    for (uint32_t i = 0; i < e->nsamp; i++)
        if (e->samp[i].id == r->samp_id) {
            e->samp[i].interval = iv;
            return;
        }
    /* A bounded table: past it the oldest entry is replaced. */
    uint32_t k = e->nsamp < MAX_SAMPLERS ? e->nsamp++ : r->samp_id % MAX_SAMPLERS;
    e->samp[k] = (struct sampler){r->samp_id, iv};
}

/* One data set: records of template t while a whole one fits (the rest is padding). */
static void data_set(struct ta__flows *x, struct exp *e, const struct tmpl *t, bool ipfix,
                     const struct hdr_clock *clk, struct ta_cursor *c, uint16_t port,
                     const struct ta__flows_out *o)
{
    if (t->fixed) {
        const uint8_t *q;
        while (ta_cursor_view(c, t->min_len, &q)) {
            struct rec r;
            memset(&r, 0, sizeof(r));
            for (uint16_t i = 0; i < t->nused; i++)
                put(&r, t->used[i].act, q + t->used[i].off, t->used[i].len);
            if (t->options) {
                options_rec(e, &r);
                x->st.skipped++;
            } else {
                emit(x, e, clk, &r, port, o);
            }
        }
        return;
    }
    while (ta_cursor_left(c) >= t->min_len) {
        struct rec r;
        memset(&r, 0, sizeof(r));
        bool ok = true;
        for (uint16_t i = 0; i < t->nfields; i++) {
            uint16_t n = t->f[i].len;
            if (n == VARLEN && ipfix) {
                uint8_t l8;
                uint16_t l16;
                ok = ta_cursor_u8(c, &l8);
                n = l8;
                if (ok && l8 == 255) {
                    ok = ta_cursor_u16be(c, &l16);
                    n = l16;
                }
                if (!ok)
                    break;
            }
            const uint8_t *v;
            if (!ta_cursor_view(c, n, &v)) {
                ok = false;
                break;
            }
            if (t->f[i].act != A_SKIP)
                put(&r, t->f[i].act, v, n);
        }
        if (!ok) {
            x->st.rejected++;
            return;
        }
        if (t->options) {
            options_rec(e, &r);
            x->st.skipped++;
        } else {
            emit(x, e, clk, &r, port, o);
        }
    }
}

/* ---- NetFlow v9 and IPFIX --------------------------------------------- */

static void nf9_ipfix(struct ta__flows *x, const struct ta_addr *from, uint16_t port,
                      const uint8_t *p, size_t len, const struct ta__flows_out *o)
{
    bool ipfix = p[1] == 10;
    size_t hl = ipfix ? 16 : 20;
    if (len < hl) {
        x->st.rejected++;
        return;
    }
    struct hdr_clock clk;
    memset(&clk, 0, sizeof(clk));
    uint32_t domain;
    if (ipfix) {
        uint16_t mlen = ta_rd16be(p + 2);
        if (mlen < hl || mlen > len) {
            x->st.rejected++;
            return;
        }
        len = mlen;
        clk.unix_us = (uint64_t)ta_rd32be(p + 4) * 1000000u;
        domain = ta_rd32be(p + 12);
    } else {
        clk.uptime_ms = ta_rd32be(p + 4);
        clk.has_uptime = true;
        clk.unix_us = (uint64_t)ta_rd32be(p + 8) * 1000000u;
        domain = ta_rd32be(p + 16);
    }
    uint64_t now_s = clk.unix_us / 1000000u;
    struct exp *e = exporter(x, from, domain, ipfix ? "ipfix" : "netflow9");
    if (e == NULL)
        return;
    struct ta_cursor c;
    ta_cursor_init(&c, p + hl, len - hl);
    while (ta_cursor_left(&c) >= 4) {
        uint16_t sid = 0, slen = 0;
        (void)(ta_cursor_u16be(&c, &sid) && ta_cursor_u16be(&c, &slen));
        struct ta_cursor s;
        if (slen < 4 || !ta_cursor_sub(&c, (size_t)slen - 4, &s)) {
            x->st.rejected++;
            return;
        }
        uint16_t tset = ipfix ? 2 : 0, oset = ipfix ? 3 : 1;
        if (sid == tset || sid == oset) {
            tmpl_set(x, e, ipfix, sid == oset, sid, &s, now_s);
        } else if (sid >= 256) {
            struct tmpl *t = tmpl_find(e, sid);
            if (t != NULL && x->o.template_timeout_s != 0 &&
                now_s > t->refreshed_s + x->o.template_timeout_s) {
                tmpl_drop(x, e, t);
                x->st.templates_expired++;
                t = NULL;
            }
            if (t == NULL) {
                /* Data before (or after the end of) its template: nothing to read it with. */
                x->st.skipped++;
                continue;
            }
            data_set(x, e, t, ipfix, &clk, &s, port, o);
        } else {
            x->st.skipped++;
        }
    }
}

/* ---- sFlow v5 --------------------------------------------------------- */

/* One flow sample's records: raw packet headers to the packet hook. */
static void sflow_records(struct ta__flows *x, struct exp *e, ta_time_us ts, struct ta_cursor *c,
                          uint32_t nrec, const struct ta__flows_out *o)
{
    for (uint32_t i = 0; i < nrec; i++) {
        uint32_t fmt, rlen;
        struct ta_cursor r;
        if (!ta_cursor_u32be(c, &fmt) || !ta_cursor_u32be(c, &rlen) ||
            !ta_cursor_sub(c, rlen, &r)) {
            x->st.rejected++;
            return;
        }
        if (fmt != 1) {
            continue; /* extended data (switch, router, gateway): not an observation */
        }
        uint32_t hproto, flen, stripped, hlen;
        const uint8_t *h;
        if (!ta_cursor_u32be(&r, &hproto) || !ta_cursor_u32be(&r, &flen) ||
            !ta_cursor_u32be(&r, &stripped) || !ta_cursor_u32be(&r, &hlen) ||
            !ta_cursor_view(&r, hlen, &h)) {
            x->st.rejected++;
            return;
        }
        int lt = hproto == 1    ? TA_LINK_ETHERNET
                 : hproto == 11 ? TA_LINK_IPV4
                 : hproto == 12 ? TA_LINK_IPV6
                                : -1;
        if (lt < 0 || o->packet == NULL) {
            x->st.skipped++;
            continue;
        }
        e->records++;
        x->st.records++;
        o->packet(o->packet_ud, lt, ts, h, hlen, flen > hlen ? flen : hlen);
    }
}

static void sflow(struct ta__flows *x, ta_time_us ts, const uint8_t *p, size_t len,
                  const struct ta__flows_out *o)
{
    struct ta_cursor c;
    ta_cursor_init(&c, p, len);
    uint32_t ver, atype, sub, seq, up, nsamp;
    struct ta_addr agent;
    memset(&agent, 0, sizeof(agent));
    const uint8_t *a;
    bool ok = ta_cursor_u32be(&c, &ver) && ta_cursor_u32be(&c, &atype);
    if (ok && atype == 1 && ta_cursor_view(&c, 4, &a))
        ta_addr_set_v4(&agent, a);
    else if (ok && atype == 2 && ta_cursor_view(&c, 16, &a))
        ta_addr_set_v6(&agent, a);
    else
        ok = false;
    ok = ok && ta_cursor_u32be(&c, &sub) && ta_cursor_u32be(&c, &seq) && ta_cursor_u32be(&c, &up) &&
         ta_cursor_u32be(&c, &nsamp);
    if (!ok) {
        x->st.rejected++;
        return;
    }
    struct exp *e = exporter(x, &agent, sub, "sflow5");
    if (e == NULL)
        return;
    for (uint32_t i = 0; i < nsamp; i++) {
        uint32_t fmt, slen;
        struct ta_cursor s;
        if (!ta_cursor_u32be(&c, &fmt) || !ta_cursor_u32be(&c, &slen) ||
            !ta_cursor_sub(&c, slen, &s)) {
            x->st.rejected++;
            return;
        }
        uint32_t rate, nrec, skip;
        if (fmt == 1)
            skip = 2 * 4; /* sequence, source id */
        else if (fmt == 3)
            skip = 3 * 4; /* sequence, source id type, index */
        else
            continue; /* counter samples */
        if (!ta_cursor_skip(&s, skip) || !ta_cursor_u32be(&s, &rate) ||
            !ta_cursor_skip(&s, fmt == 1 ? 4u * 4 : 6u * 4) || !ta_cursor_u32be(&s, &nrec)) {
            x->st.rejected++;
            return;
        }
        e->sampling = rate;
        sflow_records(x, e, ts, &s, nrec, o);
    }
}

void ta__flows_datagram(struct ta__flows *x, const struct ta_addr *exporter_addr, uint16_t port,
                        ta_time_us ts, const uint8_t *p, size_t len, const struct ta__flows_out *o)
{
    x->st.datagrams++;
    if (len < 4) {
        x->st.rejected++;
        return;
    }
    uint16_t v = ta_rd16be(p);
    if (v == 5)
        nf5(x, exporter_addr, port, p, len, o);
    else if (v == 9 || v == 10)
        nf9_ipfix(x, exporter_addr, port, p, len, o);
    else if (ta_rd32be(p) == 5)
        sflow(x, ts, p, len, o);
    else
        x->st.rejected++;
}
