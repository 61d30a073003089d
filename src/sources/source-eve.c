/*
 * Suricata EVE JSON as observations (threatatlas/logsrc.h): event_type
 * flow and netflow become flows, dns (log format v2 and v3), http and tls
 * become the app layer's records, with the flow rebuilt from the record's
 * head. threatatlas's own `observe` output reads back the same way.
 *
 * A record's flow carries the EVE flow_id, so the detector ties the records
 * of a connection to its flow record as it does with packets. A record does
 * not say when its flow started: the first record seen of a flow_id stands
 * for the start until the flow record comes (a bounded join table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source-log-int.h"
#include "threatatlas/flow.h"
#include "threatatlas/proto.h"

#include "common/banned.h"

#define EVE_MAX_RRS     64
#define EVE_MAX_QUERIES 16
#define EVE_MAX_HEADERS 64

enum rkey {
    RK_SRC_IP,
    RK_DEST_IP,
    RK_SRC_PORT,
    RK_DEST_PORT,
    RK_PROTO,
    RK_VLAN,
    RK_ICMP_TYPE,
    RK_ICMP_CODE,
    RK_RESPONSE_ICMP_TYPE,
    RK_RESPONSE_ICMP_CODE,
    RK_FLOW_ID,
    RK_NETFLOW,
    RK_FLOW,
    RK_APP_PROTO,
    RK_TCP,
    RK_DNS,
    RK_TX_ID,
    RK_TLS,
    RK_EVENT_TYPE,
    RK_TIMESTAMP,
    RK_HTTP,
    RK__COUNT
};
_Static_assert(RK__COUNT <= LS_EVE_ROOT_KEYS, "eve_root holds every root key");

static const char *const rkey_names[RK__COUNT] = {
    [RK_SRC_IP] = "src_ip",
    [RK_DEST_IP] = "dest_ip",
    [RK_SRC_PORT] = "src_port",
    [RK_DEST_PORT] = "dest_port",
    [RK_PROTO] = "proto",
    [RK_VLAN] = "vlan",
    [RK_ICMP_TYPE] = "icmp_type",
    [RK_ICMP_CODE] = "icmp_code",
    [RK_RESPONSE_ICMP_TYPE] = "response_icmp_type",
    [RK_RESPONSE_ICMP_CODE] = "response_icmp_code",
    [RK_FLOW_ID] = "flow_id",
    [RK_NETFLOW] = "netflow",
    [RK_FLOW] = "flow",
    [RK_APP_PROTO] = "app_proto",
    [RK_TCP] = "tcp",
    [RK_DNS] = "dns",
    [RK_TX_ID] = "tx_id",
    [RK_TLS] = "tls",
    [RK_EVENT_TYPE] = "event_type",
    [RK_TIMESTAMP] = "timestamp",
    [RK_HTTP] = "http",
};

/* The root members of the current line, found in one pass (0: absent). */
static void root_index(struct ta_logsrc *ls, const struct lj *j)
{
    uint32_t *g_root = ls->eve_root;
    memset(ls->eve_root, 0, sizeof(ls->eve_root));
    static uint8_t lens[RK__COUNT];
    if (lens[0] == 0)
        for (int r = 0; r < RK__COUNT; r++)
            lens[r] = (uint8_t)strlen(rkey_names[r]);
    for (uint32_t k = ta__lj_member_next(j, 0, 0); k != 0; k = ta__lj_member_next(j, 0, k)) {
        const struct lj_tok *t = &j->t[k];
        uint32_t n = t->end - t->start;
        for (int r = 0; r < RK__COUNT; r++)
            if (lens[r] == n && g_root[r] == 0 && !t->esc &&
                memcmp(j->s + t->start, rkey_names[r], n) == 0) {
                g_root[r] = k + 1;
                break;
            }
    }
}

#define R(k) ls->eve_root[RK_##k]

/* Strings of a token as a view into the arena; absent when not a string. */
static struct ta_str S(struct ta_logsrc *ls, uint32_t tok) {
    return ta__lj_str(ls->lj, tok, &ls->arena);
}

static bool
get_u64(struct ta_logsrc *ls, uint32_t o, const char *k, uint64_t *v)
{
    return ta__lj_u64(ls->lj, ta__lj_get(ls->lj, o, k), v);
}

static bool time_of(const struct lj *j, uint32_t i, ta_time_us *t)
{
    if (i == 0 || j->t[i].type != LJ_STR || j->t[i].esc)
        return false;
    return ta__ls_time_iso(j->s + j->t[i].start, j->t[i].end - j->t[i].start, t);
}

static bool get_time(struct ta_logsrc *ls, uint32_t o, const char *k, ta_time_us *t)
{
    return time_of(ls->lj, ta__lj_get(ls->lj, o, k), t);
}

static bool str_is(const struct lj *j, uint32_t i, const char *want)
{
    return i != 0 && j->t[i].type == LJ_STR && ta__lj_key_is(j, i, want);
}

static uint8_t proto_num(const struct lj *j, uint32_t i)
{
    if (str_is(j, i, "TCP"))
        return 6;
    if (str_is(j, i, "UDP"))
        return 17;
    if (str_is(j, i, "ICMP"))
        return 1;
    if (str_is(j, i, "IPv6-ICMP"))
        return 58;
    if (str_is(j, i, "SCTP"))
        return 132;
    uint64_t v;
    if (i != 0 && j->t[i].type == LJ_STR && !j->t[i].esc &&
        ta__ls_u64(j->s + j->t[i].start, j->t[i].end - j->t[i].start, &v) && v < 256)
        return (uint8_t)v;
    return 0;
}

static bool get_addr(const struct lj *j, uint32_t i, struct ta_addr *a)
{
    if (i == 0 || j->t[i].type != LJ_STR || j->t[i].esc)
        return false;
    return ta__ls_addr(j->s + j->t[i].start, j->t[i].end - j->t[i].start, a);
}

/*
 * The head common to every record: flow_id, vlan, addresses, ports, proto,
 * icmp. swap: the record is written from the server's side (a DNS answer).
 */
static bool head(struct ta_logsrc *ls, struct ta_flow *f, ta_time_us ts, bool swap, bool *has_id)
{
    const struct lj *j = ls->lj;
    memset(f, 0, sizeof(*f));
    struct ta_addr a, b;
    if (!get_addr(j, R(SRC_IP), &a) || !get_addr(j, R(DEST_IP), &b))
        return false;
    uint64_t sp = 0, dp = 0;
    ta__lj_u64(j, R(SRC_PORT), &sp);
    ta__lj_u64(j, R(DEST_PORT), &dp);
    if (sp > 65535 || dp > 65535)
        return false;
    f->src = swap ? b : a;
    f->dst = swap ? a : b;
    f->sp = (uint16_t)(swap ? dp : sp);
    f->dp = (uint16_t)(swap ? sp : dp);
    f->proto = proto_num(j, R(PROTO));
    f->ip_version = ta_addr_is_v4(&f->src) ? 4 : 6;
    uint32_t vl = R(VLAN);
    if (vl != 0 && j->t[vl].type == LJ_ARR)
        for (uint32_t e = vl + 1; e < j->t[vl].next && f->vlan_count < 2; e = j->t[e].next) {
            uint64_t v;
            if (ta__lj_u64(j, e, &v) && v < 4096)
                f->vlan_id[f->vlan_count++] = (uint16_t)v;
        }
    uint64_t v;
    if (ta__lj_u64(j, R(ICMP_TYPE), &v) && v < 256)
        f->icmp_type = (uint8_t)v;
    if (ta__lj_u64(j, R(ICMP_CODE), &v) && v < 256)
        f->icmp_code = (uint8_t)v;
    if (ta__lj_u64(j, R(RESPONSE_ICMP_TYPE), &v) && v < 256) {
        f->icmp_resp_seen = true;
        f->icmp_resp_type = (uint8_t)v;
        if (ta__lj_u64(j, R(RESPONSE_ICMP_CODE), &v) && v < 256)
            f->icmp_resp_code = (uint8_t)v;
    }
    uint64_t id;
    *has_id = ta__lj_u64(j, R(FLOW_ID), &id);
    f->id = *has_id ? id : 0;
    f->start = f->last = ts;
    return true;
}

/* A record's flow: its start is the first record of the flow_id seen (joined). */
static void record_flow(struct ta_logsrc *ls, struct ta_flow *f, bool has_id, uint8_t app)
{
    f->app_proto = app;
    f->state = TA_FLOW_STATE_ESTABLISHED;
    if (!has_id) {
        f->id = ta_flow_id_of(f);
        return;
    }
    bool fresh;
    struct ls_join *e = ta__ls_joins_put(&ls->joins, f->id, &fresh);
    if (fresh) {
        e->id = f->id;
        e->start = f->start;
    } else if (e->start < f->start) {
        f->start = e->start;
    }
}

static uint8_t app_of(const struct lj *j, uint32_t i)
{
    if (str_is(j, i, "http") || str_is(j, i, "http1"))
        return TA_APP_HTTP;
    if (str_is(j, i, "tls"))
        return TA_APP_TLS;
    if (str_is(j, i, "dns"))
        return TA_APP_DNS;
    if (str_is(j, i, "failed"))
        return TA_APP_FAILED;
    return TA_APP_UNKNOWN;
}

static uint8_t hex_flags(const struct lj *j, uint32_t i)
{
    if (i == 0 || j->t[i].type != LJ_STR)
        return 0;
    unsigned v = 0;
    for (uint32_t k = j->t[i].start; k < j->t[i].end && k < j->t[i].start + 2; k++) {
        char c = j->s[k];
        v = v << 4 | (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return (uint8_t)v;
}

static void eve_flow(struct ta_logsrc *ls, ta_time_us ts, bool netflow)
{
    const struct lj *j = ls->lj;
    struct ta_flow f;
    bool has_id;
    if (!head(ls, &f, ts, false, &has_id)) {
        ta__ls_reject(ls);
        return;
    }
    uint32_t o = netflow ? R(NETFLOW) : R(FLOW);
    if (o == 0 || j->t[o].type != LJ_OBJ) {
        ta__ls_reject(ls);
        return;
    }
    if (netflow) {
        /* One record a direction with the same flow_id: the first (to the server) is
         * the flow; the reply's counts are not joined to it. */
        if (has_id) {
            bool fresh;
            struct ls_join *e = ta__ls_joins_put(&ls->joins, f.id ^ 0x6e6574666c6f77ull, &fresh);
            if (!fresh) {
                ta__ls_joins_del(&ls->joins, e);
                ls->st.ignored++;
                return;
            }
            e->id = f.id;
        }
        get_u64(ls, o, "pkts", &f.pkts_toserver);
        get_u64(ls, o, "bytes", &f.bytes_toserver);
    } else {
        get_u64(ls, o, "pkts_toserver", &f.pkts_toserver);
        get_u64(ls, o, "pkts_toclient", &f.pkts_toclient);
        get_u64(ls, o, "bytes_toserver", &f.bytes_toserver);
        get_u64(ls, o, "bytes_toclient", &f.bytes_toclient);
    }
    get_time(ls, o, "start", &f.start);
    if (!get_time(ls, o, "end", &f.last))
        f.last = f.start;
    uint32_t st = ta__lj_get(j, o, "state");
    f.state = str_is(j, st, "new")           ? TA_FLOW_STATE_NEW
              : str_is(j, st, "established") ? TA_FLOW_STATE_ESTABLISHED
                                             : TA_FLOW_STATE_CLOSED;
    uint32_t rs = ta__lj_get(j, o, "reason");
    f.reason = str_is(j, rs, "forced")     ? TA_FLOW_REASON_FORCED
               : str_is(j, rs, "shutdown") ? TA_FLOW_REASON_SHUTDOWN
                                           : TA_FLOW_REASON_TIMEOUT;
    f.app_proto = app_of(j, R(APP_PROTO));
    uint32_t tcp = R(TCP);
    if (tcp != 0 && j->t[tcp].type == LJ_OBJ) {
        f.tcp_flags_ts = hex_flags(j, ta__lj_get(j, tcp, "tcp_flags_ts"));
        f.tcp_flags_tc = hex_flags(j, ta__lj_get(j, tcp, "tcp_flags_tc"));
        if (f.tcp_flags_ts == 0 && f.tcp_flags_tc == 0)
            f.tcp_flags_ts = hex_flags(j, ta__lj_get(j, tcp, "tcp_flags"));
        uint32_t ts_ = ta__lj_get(j, tcp, "state");
        static const char *const states[] = {"none",      "syn_sent",   "syn_recv", "established",
                                             "fin_wait1", "close_wait", "closed"};
        for (uint8_t k = 0; k < 7; k++)
            if (str_is(j, ts_, states[k]))
                f.tcp_state = k;
    }
    if (!has_id)
        f.id = ta_flow_id_of(&f);
    else {
        struct ls_join *e = ta__ls_joins_find(&ls->joins, f.id);
        if (e != NULL)
            ta__ls_joins_del(&ls->joins, e);
    }
    ta__ls_flow(ls, &f);
}

/* ---- dns ------------------------------------------------------------------------------- */

static uint16_t rrtype_num(const struct lj *j, uint32_t i, struct ta_logsrc *ls)
{
    if (i == 0)
        return 0;
    if (j->t[i].type == LJ_NUM) {
        uint64_t v;
        return ta__lj_u64(j, i, &v) && v <= 65535 ? (uint16_t)v : 0;
    }
    static const struct {
        const char *n;
        uint16_t t;
    } common[] = {{"A", 1},    {"AAAA", 28},  {"CNAME", 5}, {"NS", 2},
                  {"PTR", 12}, {"MX", 15},    {"TXT", 16},  {"SOA", 6},
                  {"SRV", 33}, {"HTTPS", 65}, {"ANY", 255}, {"OPT", 41}};
    for (size_t k = 0; k < sizeof(common) / sizeof(common[0]); k++)
        if (str_is(j, i, common[k].n))
            return common[k].t;
    struct ta_str s = S(ls, i);
    if (s.ptr == NULL)
        return 0;
    for (unsigned t = 1; t < 300; t++) {
        const char *n = ta_dns_rrtype_name((uint16_t)t);
        if (n != NULL && strcmp(n, s.ptr) == 0)
            return (uint16_t)t;
    }
    uint64_t v;
    return ta__ls_u64(s.ptr, s.len, &v) && v <= 65535 ? (uint16_t)v : 0;
}

static void rr_fill(struct ta_logsrc *ls, uint32_t o, struct ta_dns_rr *rr)
{
    const struct lj *j = ls->lj;
    memset(rr, 0, sizeof(*rr));
    rr->rrname = S(ls, ta__lj_get(j, o, "rrname"));
    rr->rrtype = rrtype_num(j, ta__lj_get(j, o, "rrtype"), ls);
    rr->rrclass = 1;
    uint64_t ttl;
    if (get_u64(ls, o, "ttl", &ttl) && ttl <= UINT32_MAX)
        rr->ttl = (uint32_t)ttl;
    rr->rdata = S(ls, ta__lj_get(j, o, "rdata"));
    if ((rr->rrtype == 1 || rr->rrtype == 28) && rr->rdata.ptr != NULL)
        ta__ls_addr(rr->rdata.ptr, rr->rdata.len, &rr->addr);
}

static uint32_t rrs(struct ta_logsrc *ls, uint32_t arr, struct ta_dns_rr *out, uint32_t *dropped)
{
    const struct lj *j = ls->lj;
    uint32_t n = 0;
    if (arr == 0 || j->t[arr].type != LJ_ARR)
        return 0;
    for (uint32_t e = arr + 1; e < j->t[arr].next; e = j->t[e].next) {
        if (j->t[e].type != LJ_OBJ)
            continue;
        if (n == EVE_MAX_RRS) {
            (*dropped)++;
            continue;
        }
        rr_fill(ls, e, &out[n++]);
    }
    return n;
}

/* v2 "grouped" answers only ({"A":["1.2.3.4"]}): RRs named after the query. */
static uint32_t grouped(struct ta_logsrc *ls, uint32_t g, struct ta_str qname,
                        struct ta_dns_rr *out)
{
    const struct lj *j = ls->lj;
    uint32_t n = 0;
    if (g == 0 || j->t[g].type != LJ_OBJ)
        return 0;
    for (uint32_t k = ta__lj_member_next(j, g, 0); k != 0; k = ta__lj_member_next(j, g, k)) {
        uint16_t t = rrtype_num(j, k, ls);
        uint32_t arr = k + 1;
        if (j->t[arr].type != LJ_ARR)
            continue;
        for (uint32_t e = arr + 1; e < j->t[arr].next && n < EVE_MAX_RRS; e = j->t[e].next) {
            if (j->t[e].type != LJ_STR)
                continue;
            struct ta_dns_rr *rr = &out[n++];
            memset(rr, 0, sizeof(*rr));
            rr->rrname = qname;
            rr->rrtype = t;
            rr->rrclass = 1;
            rr->rdata = S(ls, e);
            if ((t == 1 || t == 28) && rr->rdata.ptr != NULL)
                ta__ls_addr(rr->rdata.ptr, rr->rdata.len, &rr->addr);
        }
    }
    return n;
}

static uint16_t rcode_num(const struct lj *j, uint32_t i)
{
    if (i == 0)
        return 0;
    if (j->t[i].type == LJ_NUM) {
        uint64_t v;
        return ta__lj_u64(j, i, &v) ? (uint16_t)(v & 0xf) : 0;
    }
    for (uint8_t c = 0; c < 16; c++) {
        const char *n = ta_dns_rcode_name(c);
        if (n != NULL && str_is(j, i, n))
            return c;
    }
    return 0;
}

static void eve_dns(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct lj *j = ls->lj;
    uint32_t d = R(DNS);
    if (d == 0 || j->t[d].type != LJ_OBJ) {
        ta__ls_reject(ls);
        return;
    }
    uint32_t ty = ta__lj_get(j, d, "type");
    bool response = str_is(j, ty, "response") || str_is(j, ty, "answer");
    if (!response && !str_is(j, ty, "request") && !str_is(j, ty, "query")) {
        ta__ls_reject(ls);
        return;
    }
    struct ta_flow f;
    bool has_id;
    /* Answers are written from the server's side. */
    if (!head(ls, &f, ts, response, &has_id)) {
        ta__ls_reject(ls);
        return;
    }
    record_flow(ls, &f, has_id, TA_APP_DNS);
    struct ta_dns_query q[EVE_MAX_QUERIES];
    struct ta_dns_rr an[EVE_MAX_RRS], au[EVE_MAX_RRS], ad[EVE_MAX_RRS];
    struct ta_dns_record r;
    memset(&r, 0, sizeof(r));
    r.ts = ts;
    r.response = response;
    r.dir = response ? TA_DIR_TOCLIENT : TA_DIR_TOSERVER;
    r.tcp = f.proto == 6;
    uint64_t v;
    if (get_u64(ls, d, "tx_id", &v))
        r.tx_id = v;
    if (get_u64(ls, d, "id", &v) && v <= 65535)
        r.id = (uint16_t)v;
    uint32_t fl = ta__lj_get(j, d, "flags");
    if (fl != 0 && j->t[fl].type == LJ_STR) {
        unsigned x = 0;
        for (uint32_t k = j->t[fl].start; k < j->t[fl].end && k < j->t[fl].start + 4; k++) {
            char c = j->s[k];
            x = x << 4 | (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
        }
        r.flags = (uint16_t)x;
    } else if (response) {
        r.flags = (uint16_t)(0x8000 | rcode_num(j, ta__lj_get(j, d, "rcode")));
    }
    if (response)
        r.flags |= 0x8000;
    uint32_t qs = ta__lj_get(j, d, "queries");
    uint32_t nq = 0;
    if (qs != 0 && j->t[qs].type == LJ_ARR) {
        for (uint32_t e = qs + 1; e < j->t[qs].next && nq < EVE_MAX_QUERIES; e = j->t[e].next) {
            if (j->t[e].type != LJ_OBJ)
                continue;
            q[nq].rrname = S(ls, ta__lj_get(j, e, "rrname"));
            q[nq].rrtype = rrtype_num(j, ta__lj_get(j, e, "rrtype"), ls);
            q[nq].rrclass = 1;
            nq++;
        }
    } else if (ta__lj_get(j, d, "rrname") != 0) {
        /* v2: the query at the top of the object. */
        q[0].rrname = S(ls, ta__lj_get(j, d, "rrname"));
        q[0].rrtype = rrtype_num(j, ta__lj_get(j, d, "rrtype"), ls);
        q[0].rrclass = 1;
        nq = 1;
    }
    r.queries = q;
    r.n_queries = nq;
    r.n_answers = rrs(ls, ta__lj_get(j, d, "answers"), an, &r.dropped_rrs);
    if (r.n_answers == 0 && response)
        r.n_answers =
            grouped(ls, ta__lj_get(j, d, "grouped"), nq ? q[0].rrname : (struct ta_str){0}, an);
    r.answers = an;
    r.n_authorities = rrs(ls, ta__lj_get(j, d, "authorities"), au, &r.dropped_rrs);
    r.authorities = au;
    r.n_additionals = rrs(ls, ta__lj_get(j, d, "additionals"), ad, &r.dropped_rrs);
    r.additionals = ad;
    ta__ls_record(ls, &f, TA_REC_DNS, &r);
}

/* ---- http ------------------------------------------------------------------------------ */

static uint32_t headers(struct ta_logsrc *ls, uint32_t arr, struct ta_http_header *out)
{
    const struct lj *j = ls->lj;
    uint32_t n = 0;
    if (arr == 0 || j->t[arr].type != LJ_ARR)
        return 0;
    for (uint32_t e = arr + 1; e < j->t[arr].next && n < EVE_MAX_HEADERS; e = j->t[e].next) {
        if (j->t[e].type != LJ_OBJ)
            continue;
        out[n].name = S(ls, ta__lj_get(j, e, "name"));
        out[n].value = S(ls, ta__lj_get(j, e, "value"));
        if (out[n].name.ptr != NULL && out[n].value.ptr != NULL)
            n++;
    }
    return n;
}

static void eve_http(struct ta_logsrc *ls, ta_time_us ts, uint32_t h)
{
    const struct lj *j = ls->lj;
    struct ta_flow f;
    bool has_id;
    if (h == 0 || j->t[h].type != LJ_OBJ || !head(ls, &f, ts, false, &has_id)) {
        ta__ls_reject(ls);
        return;
    }
    record_flow(ls, &f, has_id, TA_APP_HTTP);
    struct ta_http_header rq[EVE_MAX_HEADERS], rs[EVE_MAX_HEADERS];
    struct ta_http_tx tx;
    memset(&tx, 0, sizeof(tx));
    tx.ts = ts;
    uint64_t v;
    if (ta__lj_u64(j, R(TX_ID), &v))
        tx.tx_id = v;
    tx.hostname = S(ls, ta__lj_get(j, h, "hostname"));
    uint32_t pi = ta__lj_get(j, h, "http_port");
    tx.http_port = ta__lj_u64(j, pi, &v) && v <= 65535 ? (int32_t)v : -1;
    tx.url = S(ls, ta__lj_get(j, h, "url"));
    tx.user_agent = S(ls, ta__lj_get(j, h, "http_user_agent"));
    tx.content_type = S(ls, ta__lj_get(j, h, "http_content_type"));
    tx.referer = S(ls, ta__lj_get(j, h, "http_refer"));
    tx.method = S(ls, ta__lj_get(j, h, "http_method"));
    tx.protocol = S(ls, ta__lj_get(j, h, "protocol"));
    tx.redirect = S(ls, ta__lj_get(j, h, "redirect"));
    tx.has_request = tx.method.ptr != NULL;
    if (get_u64(ls, h, "status", &v) && v <= 999) {
        tx.has_response = true;
        tx.status = (uint16_t)v;
        tx.resp_protocol = tx.protocol;
        if (!tx.has_request)
            tx.protocol = (struct ta_str){0};
    }
    if (get_u64(ls, h, "length", &v))
        tx.response_body_len = v;
    if (get_u64(ls, h, "request_body_len", &v))
        tx.request_body_len = v;
    tx.n_req_headers = headers(ls, ta__lj_get(j, h, "request_headers"), rq);
    tx.req_headers = rq;
    tx.n_resp_headers = headers(ls, ta__lj_get(j, h, "response_headers"), rs);
    tx.resp_headers = rs;
    ta__ls_record(ls, &f, TA_REC_HTTP, &tx);
}

/* ---- tls ------------------------------------------------------------------------------- */

static uint16_t tls_version(struct ta_logsrc *ls, uint32_t i)
{
    static const uint16_t cand[] = {0x0303, 0x0304, 0x0302, 0x0301, 0x0300, 0x0002};
    for (size_t k = 0; k < sizeof(cand) / sizeof(cand[0]); k++)
        if (str_is(ls->lj, i, ta_tls_version_name(cand[k])))
            return cand[k];
    return 0;
}

static void hash_copy(char *dst, size_t cap, struct ta_str s)
{
    ta__ls_fingerprint(dst, cap, s.ptr, s.len);
}

static void eve_tls(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct lj *j = ls->lj;
    uint32_t t = R(TLS);
    struct ta_flow f;
    bool has_id;
    if (t == 0 || j->t[t].type != LJ_OBJ || !head(ls, &f, ts, false, &has_id)) {
        ta__ls_reject(ls);
        return;
    }
    record_flow(ls, &f, has_id, TA_APP_TLS);
    struct ta_tls_record r;
    memset(&r, 0, sizeof(r));
    r.ts = ts;
    r.sni = S(ls, ta__lj_get(j, t, "sni"));
    r.version = tls_version(ls, ta__lj_get(j, t, "version"));
    r.client_version = r.version;
    r.subject = S(ls, ta__lj_get(j, t, "subject"));
    r.issuerdn = S(ls, ta__lj_get(j, t, "issuerdn"));
    r.serial = S(ls, ta__lj_get(j, t, "serial"));
    r.fingerprint = S(ls, ta__lj_get(j, t, "fingerprint"));
    r.has_cert = r.fingerprint.ptr != NULL || r.subject.ptr != NULL;
    ta_time_us nb, na;
    /* notbefore/notafter: "2024-01-01T00:00:00" without a zone, UTC. */
    if (get_time(ls, t, "notbefore", &nb))
        r.notbefore = (int64_t)(nb / 1000000u);
    if (get_time(ls, t, "notafter", &na))
        r.notafter = (int64_t)(na / 1000000u);
    uint32_t ja3 = ta__lj_get(j, t, "ja3"), ja3s = ta__lj_get(j, t, "ja3s");
    if (ja3 != 0 && j->t[ja3].type == LJ_OBJ) {
        hash_copy(r.ja3_hash, sizeof(r.ja3_hash), S(ls, ta__lj_get(j, ja3, "hash")));
        r.ja3_string = S(ls, ta__lj_get(j, ja3, "string"));
        r.has_client_hello = true;
    }
    if (ja3s != 0 && j->t[ja3s].type == LJ_OBJ) {
        hash_copy(r.ja3s_hash, sizeof(r.ja3s_hash), S(ls, ta__lj_get(j, ja3s, "hash")));
        r.ja3s_string = S(ls, ta__lj_get(j, ja3s, "string"));
        r.has_server_hello = true;
    }
    uint32_t ja4 = ta__lj_get(j, t, "ja4");
    hash_copy(r.ja4, sizeof(r.ja4), S(ls, ja4));
    /* Suricata without JA3 still saw a hello to log the record: the client's. */
    if (!r.has_client_hello && !r.has_server_hello)
        r.has_client_hello = true;
    ta__ls_record(ls, &f, TA_REC_TLS, &r);
}

void ta__eve_line(struct ta_logsrc *ls, const char *line, size_t len)
{
    size_t b = 0;
    while (b < len && (line[b] == ' ' || line[b] == '\t'))
        b++;
    if (b == len) {
        ls->st.headers++;
        return;
    }
    struct lj *j = ls->lj;
    if (!ta__lj_parse(j, line, len) || j->t[0].type != LJ_OBJ) {
        ta__ls_reject(ls);
        return;
    }
    ta_time_us ts;
    root_index(ls, j);
    uint32_t et = R(EVENT_TYPE);
    if (et == 0 || j->t[et].type != LJ_STR || !time_of(j, R(TIMESTAMP), &ts)) {
        ta__ls_reject(ls);
        return;
    }
    if (str_is(j, et, "flow"))
        eve_flow(ls, ts, false);
    else if (str_is(j, et, "netflow"))
        eve_flow(ls, ts, true);
    else if (str_is(j, et, "dns"))
        eve_dns(ls, ts);
    else if (str_is(j, et, "http"))
        eve_http(ls, ts, R(HTTP));
    else if (str_is(j, et, "tls"))
        eve_tls(ls, ts);
    else
        /* alert, stats, fileinfo, anomaly ...: Suricata's own verdicts and counters are
         * not observations; an alert's http/tls metadata repeats its own records. */
        ls->st.ignored++;
}
