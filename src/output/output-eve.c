/*
 * EVE JSON writer: the common record header, event_type "flow" records and
 * the final "stats" record, in Suricata's field names and shapes.
 *
 * Output stage; a struct ta_obs_sink. Other event types are written by
 * src/output/output-eve-<type>.c through ta_eve_begin()/ta_eve_end().
 */
#include "threatatlas/eve.h"

#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

struct ta_eve_writer {
    FILE *out;
    struct ta_eve_opts o;
    struct ta_json j;
    uint64_t records;
    ta_err err;
    struct ta_eve_ts_cache tc;
    void (*stats_extra)(struct ta_json *j, void *ud);
    void *stats_ud;
    /* Alerted flows not yet written: linear probing over keys (flow id | top bit, so
     * that 0 marks a free slot), grown by doubling up to what max_alerted needs. */
    uint64_t *alerted;
    size_t alerted_cap, alerted_n;
};

#define ALERTED_KEY(id) ((id) | (1ull << 63))

static size_t alerted_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static void alerted_put(uint64_t *t, size_t cap, uint64_t key)
{
    size_t i = alerted_slot(key, cap);
    while (t[i] != 0 && t[i] != key)
        i = (i + 1) & (cap - 1);
    t[i] = key;
}

void ta_eve_writer_mark_alerted(struct ta_eve_writer *w, uint64_t flow_id)
{
    if (w->alerted_n >= w->o.max_alerted)
        return;
    uint64_t key = ALERTED_KEY(flow_id);
    /* Kept at most half full; a failed growth drops the mark (alerted false). */
    if (2 * (w->alerted_n + 1) > w->alerted_cap) {
        size_t ncap = w->alerted_cap ? 2 * w->alerted_cap : 64;
        uint64_t *nt = calloc(ncap, sizeof(*nt));
        if (nt == NULL)
            return;
        for (size_t i = 0; i < w->alerted_cap; i++)
            if (w->alerted[i] != 0)
                alerted_put(nt, ncap, w->alerted[i]);
        free(w->alerted);
        w->alerted = nt;
        w->alerted_cap = ncap;
    }
    size_t i = alerted_slot(key, w->alerted_cap);
    while (w->alerted[i] != 0 && w->alerted[i] != key)
        i = (i + 1) & (w->alerted_cap - 1);
    if (w->alerted[i] == 0) {
        w->alerted[i] = key;
        w->alerted_n++;
    }
}

/* Whether the flow was marked; the mark is removed (backward-shift deletion). */
static bool alerted_take(struct ta_eve_writer *w, uint64_t flow_id)
{
    if (w->alerted_n == 0)
        return false;
    uint64_t key = ALERTED_KEY(flow_id);
    size_t mask = w->alerted_cap - 1;
    size_t i = alerted_slot(key, w->alerted_cap);
    while (w->alerted[i] != key) {
        if (w->alerted[i] == 0)
            return false;
        i = (i + 1) & mask;
    }
    w->alerted[i] = 0;
    w->alerted_n--;
    for (size_t k = (i + 1) & mask; w->alerted[k] != 0; k = (k + 1) & mask) {
        size_t home = alerted_slot(w->alerted[k], w->alerted_cap);
        /* Move k back to the hole when its home is not in (i, k] cyclically. */
        bool stays = i <= k ? (home > i && home <= k) : (home > i || home <= k);
        if (!stays) {
            w->alerted[i] = w->alerted[k];
            w->alerted[k] = 0;
            i = k;
        }
    }
    return true;
}

void ta_eve_writer_set_stats_extra(struct ta_eve_writer *w, void (*fn)(struct ta_json *j, void *ud),
                                   void *ud)
{
    w->stats_extra = fn;
    w->stats_ud = ud;
}

/* The helpers below take literal keys (see TA_JSON_KEY), pre-quoted as qk, n. */
#define kv_u64(j, k, v)   kv_u64_((j), TA_JSON_LIT(k), (v))
#define kv_addr(j, k, a)  kv_addr_((j), TA_JSON_LIT(k), (a))
#define kv_time(w, k, t)  kv_time_(&(w)->j, &(w)->tc, TA_JSON_LIT(k), (t))
#define kv_flags(j, k, f) kv_flags_((j), TA_JSON_LIT(k), (f))

static void kv_u64_(struct ta_json *j, const char *qk, size_t qn, uint64_t v)
{
    ta__json_key_lit(j, qk, qn);
    ta_json_uint(j, v);
}

static void kv_addr_(struct ta_json *j, const char *qk, size_t qn, const struct ta_addr *a)
{
    ta__json_key_lit(j, qk, qn);
    ta_json_addr(j, a);
}

/* A quoted Suricata timestamp, formatted without printf for the common case. */
static void kv_time_(struct ta_json *j, struct ta_eve_ts_cache *tc, const char *qk, size_t qn,
                     ta_time_us t)
{
    uint64_t sec = t / 1000000u;
    uint32_t us = (uint32_t)(t % 1000000u);
    if (tc->text[0] == '\0' || sec != tc->sec) {
        char full[TA_TS_STRLEN];
        ta_time_format(sec * 1000000u, full, sizeof(full));
        memcpy(tc->text, full, 19);
        tc->text[19] = '\0';
        tc->sec = sec;
    }
    char b[40];
    b[0] = '"';
    memcpy(b + 1, tc->text, 19);
    b[20] = '.';
    for (int i = 26; i >= 21; i--) {
        b[i] = (char)('0' + us % 10);
        us /= 10;
    }
    memcpy(b + 27, "+0000\"", 6);
    ta__json_key_lit(j, qk, qn);
    ta_json_raw(j, b, 33);
}

void ta_eve_writer_set_output(struct ta_eve_writer *w, FILE *out)
{
    w->out = out;
}

ta_err ta_eve_writer_new(FILE *out, const struct ta_eve_opts *opts, struct ta_eve_writer **w)
{
    struct ta_eve_writer *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return TA_ERR_NOMEM;
    x->out = out;
    if (opts != NULL)
        x->o = *opts;
    ta_json_init(&x->j);
    *w = x;
    return TA_OK;
}

void ta_eve_writer_free(struct ta_eve_writer *w)
{
    if (w == NULL)
        return;
    ta_json_release(&w->j);
    free(w->alerted);
    free(w);
}

uint64_t ta_eve_writer_records(const struct ta_eve_writer *w)
{
    return w->records;
}

ta_err ta_eve_writer_error(const struct ta_eve_writer *w)
{
    return w->err;
}

const char *ta_eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

void ta_eve_head_flow(struct ta_eve_head *h, const struct ta_flow *f, const char *event_type,
                      ta_time_us ts, bool swap)
{
    memset(h, 0, sizeof(*h));
    h->ts = ts;
    h->event_type = event_type;
    if (f == NULL)
        return;
    h->has_flow_id = true;
    h->flow_id = f->id;
    h->src = swap ? &f->dst : &f->src;
    h->dst = swap ? &f->src : &f->dst;
    h->sp = swap ? f->dp : f->sp;
    h->dp = swap ? f->sp : f->dp;
    h->ports = has_ports(f->proto);
    h->proto = f->proto;
    h->vlan_count = f->vlan_count;
    h->vlan = f->vlan_id;
    if (f->proto == 1 || f->proto == 58) {
        h->icmp = true;
        h->icmp_type = f->icmp_type;
        h->icmp_code = f->icmp_code;
        h->icmp_resp = f->icmp_resp_seen;
        h->icmp_resp_type = f->icmp_resp_type;
        h->icmp_resp_code = f->icmp_resp_code;
    }
}

void ta_eve_head(struct ta_json *j, struct ta_eve_ts_cache *tc, const struct ta_eve_head *h)
{
    ta_json_obj_open(j);
    if (tc != NULL)
        kv_time_(j, tc, TA_JSON_LIT("timestamp"), h->ts);
    else
        TA_JSON_KV_TIME(j, "timestamp", h->ts);
    if (h->has_flow_id)
        kv_u64(j, "flow_id", h->flow_id);
    if (h->in_iface != NULL)
        TA_JSON_KV_STR(j, "in_iface", h->in_iface);
    TA_JSON_KV_STR(j, "event_type", h->event_type);
    if (h->src == NULL)
        return;
    if (h->vlan_count > 0) {
        TA_JSON_KEY(j, "vlan");
        ta_json_arr_open(j);
        for (uint8_t i = 0; i < h->vlan_count && i < 2; i++)
            ta_json_uint(j, h->vlan[i]);
        ta_json_arr_close(j);
    }
    char pb[8];
    kv_addr(j, "src_ip", h->src);
    if (h->ports)
        kv_u64(j, "src_port", h->sp);
    kv_addr(j, "dest_ip", h->dst);
    if (h->ports)
        kv_u64(j, "dest_port", h->dp);
    TA_JSON_KV_STR(j, "proto", ta_eve_proto_name(h->proto, pb, sizeof(pb)));
    if (h->icmp) {
        TA_JSON_KV_UINT(j, "icmp_type", h->icmp_type);
        TA_JSON_KV_UINT(j, "icmp_code", h->icmp_code);
        if (h->icmp_resp) {
            TA_JSON_KV_UINT(j, "response_icmp_type", h->icmp_resp_type);
            TA_JSON_KV_UINT(j, "response_icmp_code", h->icmp_resp_code);
        }
    }
}

struct ta_json *ta_eve_begin(struct ta_eve_writer *w, const struct ta_flow *f,
                             const char *event_type, ta_time_us ts)
{
    struct ta_eve_head h;
    ta_eve_head_flow(&h, f, event_type, ts, false);
    h.in_iface = w->o.in_iface;
    ta_json_reset(&w->j);
    ta_eve_head(&w->j, &w->tc, &h);
    return &w->j;
}

void ta_eve_end(struct ta_eve_writer *w)
{
    ta_json_obj_close(&w->j);
    if (w->j.oom) {
        if (w->err == TA_OK)
            w->err = TA_ERR_NOMEM;
        return;
    }
    if (!ta_json_write_line(&w->j, w->out)) {
        if (w->err == TA_OK)
            w->err = TA_ERR_IO;
        return;
    }
    w->records++;
}

static void kv_flags_(struct ta_json *j, const char *qk, size_t qn, uint8_t fl)
{
    static const char hex[] = "0123456789abcdef";
    char b[4] = {'"', hex[fl >> 4], hex[fl & 15], '"'};
    ta__json_key_lit(j, qk, qn);
    ta_json_raw(j, b, 4);
}

static void tcp_flag_bits(struct ta_json *j, uint8_t all)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } bits[] = {{TA_TCP_SYN, "syn"}, {TA_TCP_FIN, "fin"}, {TA_TCP_RST, "rst"},
                {TA_TCP_PSH, "psh"}, {TA_TCP_ACK, "ack"}, {TA_TCP_URG, "urg"}};
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (all & bits[i].bit)
            ta_json_kv_bool(j, bits[i].name, true);
}

/*
 * A one-way flow record (NetFlow, IPFIX) as Suricata writes its netflow
 * records: the counters of the one direction, TTLs when exported. With the
 * extension, where it came from (the exporter, its domain, the sampling).
 */
static void write_netflow(struct ta_eve_writer *w, const struct ta_flow *f)
{
    const struct ta_flow_origin *o = f->origin;
    struct ta_json *j = ta_eve_begin(w, f, "netflow", f->start);
    TA_JSON_KEY(j, "netflow");
    ta_json_obj_open(j);
    kv_u64(j, "pkts", f->pkts_toserver);
    kv_u64(j, "bytes", f->bytes_toserver);
    kv_time(w, "start", f->start);
    kv_time(w, "end", f->last);
    kv_u64(j, "age", f->last / 1000000u - f->start / 1000000u);
    if (o->min_ttl != 0 || o->max_ttl != 0) {
        kv_u64(j, "min_ttl", o->min_ttl);
        kv_u64(j, "max_ttl", o->max_ttl);
    }
    ta_json_obj_close(j);
    if (f->proto == 6) {
        TA_JSON_KEY(j, "tcp");
        ta_json_obj_open(j);
        kv_flags(j, "tcp_flags", f->tcp_flags_ts);
        tcp_flag_bits(j, f->tcp_flags_ts);
        ta_json_obj_close(j);
    }
    if (w->o.extension) {
        char a[TA_ADDR_STRLEN];
        TA_JSON_KEY(j, "threatatlas");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "format", o->format != NULL ? o->format : "");
        if (o->exporter.family != 0)
            TA_JSON_KV_STR(j, "exporter", ta_addr_format(&o->exporter, a, sizeof(a)));
        kv_u64(j, "domain", o->domain);
        kv_u64(j, "sampling", o->sampling);
        kv_u64(j, "in_if", o->in_if);
        kv_u64(j, "out_if", o->out_if);
        ta_json_obj_close(j);
    }
    ta_eve_end(w);
}

void ta_eve_write_flow(struct ta_eve_writer *w, const struct ta_flow *f)
{
    if (f->origin != NULL && f->origin->unidirectional) {
        write_netflow(w, f);
        return;
    }
    struct ta_json *j = ta_eve_begin(w, f, "flow", f->start);
    if (f->app_proto != TA_APP_UNKNOWN)
        TA_JSON_KV_STR(j, "app_proto", ta_app_proto_name((enum ta_app_proto)f->app_proto));
    TA_JSON_KEY(j, "flow");
    ta_json_obj_open(j);
    kv_u64(j, "pkts_toserver", f->pkts_toserver);
    kv_u64(j, "pkts_toclient", f->pkts_toclient);
    kv_u64(j, "bytes_toserver", f->bytes_toserver);
    kv_u64(j, "bytes_toclient", f->bytes_toclient);
    kv_time(w, "start", f->start);
    kv_time(w, "end", f->last);
    /* Suricata's age: whole seconds between the start and end seconds. */
    kv_u64(j, "age", f->last / 1000000u - f->start / 1000000u);
    TA_JSON_KV_STR(j, "state", ta_flow_state_name((enum ta_flow_state)f->state));
    TA_JSON_KV_STR(j, "reason", ta_flow_reason_name((enum ta_flow_reason)f->reason));
    TA_JSON_KV_BOOL(j, "alerted", alerted_take(w, f->id));
    ta_json_obj_close(j);
    if (f->proto == 6) {
        uint8_t all = (uint8_t)(f->tcp_flags_ts | f->tcp_flags_tc);
        TA_JSON_KEY(j, "tcp");
        ta_json_obj_open(j);
        kv_flags(j, "tcp_flags", all);
        kv_flags(j, "tcp_flags_ts", f->tcp_flags_ts);
        kv_flags(j, "tcp_flags_tc", f->tcp_flags_tc);
        tcp_flag_bits(j, all);
        TA_JSON_KV_STR(j, "state", ta_tcp_state_name((enum ta_tcp_state)f->tcp_state));
        ta_json_obj_close(j);
    }
    ta_eve_end(w);
}

static void sink_flow(void *ud, const struct ta_flow *f)
{
    ta_eve_write_flow(ud, f);
}

struct ta_obs_sink ta_eve_writer_sink(struct ta_eve_writer *w)
{
    /* Writers for dns/http/tls (output-eve-<type>.c) add their callbacks here. */
    struct ta_obs_sink s = {.ud = w, .on_flow = sink_flow};
    return s;
}

/* Decoder failures that Suricata counts under a name of the same meaning. */
static const struct {
    const char *ours, *group, *name;
} dec_map[] = {
    {"link_truncated", "ethernet", "pkt_too_small"},
    {"vlan_truncated", "vlan", "header_too_small"},
    {"vlan_too_deep", "vlan", "too_many_layers"},
    {"ipv4_truncated", "ipv4", "trunc_pkt"},
    {"ipv4_bad_version", "ipv4", "wrong_ip_version"},
    {"ipv4_bad_hlen", "ipv4", "hlen_too_small"},
    {"ipv6_truncated", "ipv6", "trunc_pkt"},
    {"ipv6_bad_version", "ipv6", "wrong_ip_version"},
    {"ipv6_ext_truncated", "ipv6", "trunc_exthdr"},
    {"tcp_truncated", "tcp", "pkt_too_small"},
    {"tcp_bad_hlen", "tcp", "hlen_too_small"},
    {"udp_truncated", "udp", "pkt_too_small"},
    {"udp_bad_len", "udp", "len_invalid"},
    {"icmp_truncated", "icmpv4", "pkt_too_small"},
    {"icmpv6_truncated", "icmpv6", "pkt_too_small"},
};

static uint64_t dec_counter(const struct ta_decoder *d, const char *name)
{
    for (size_t i = 0; i < ta_decoder_counter_count(); i++)
        if (strcmp(ta_decoder_counter_name(i), name) == 0)
            return ta_decoder_counter(d, i);
    return 0;
}

static void stats_extension(struct ta_json *j, const struct ta_engine_stats *st,
                            const struct ta_decoder *d, const struct ta_capture_stats *cap)
{
    if (cap != NULL) {
        TA_JSON_KEY(j, "capture");
        ta_json_obj_open(j);
        TA_JSON_KV_UINT(j, "files", cap->files);
        TA_JSON_KV_UINT(j, "truncated_files", cap->truncated_files);
        TA_JSON_KV_UINT(j, "kernel_drops", cap->kernel_drops);
        ta_json_obj_close(j);
    }
    TA_JSON_KEY(j, "decoder");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "pkts", st->packets);
    TA_JSON_KV_UINT(j, "bytes", st->bytes);
    TA_JSON_KV_UINT(j, "decoded", st->decoded);
    TA_JSON_KV_UINT(j, "skipped", st->skipped);
    TA_JSON_KV_UINT(j, "invalid", st->invalid);
    TA_JSON_KV_UINT(j, "frag_held", st->frag_held);
    TA_JSON_KEY(j, "event");
    ta_json_obj_open(j);
    for (size_t i = 0; i < ta_decoder_counter_count(); i++)
        ta_json_kv_uint(j, ta_decoder_counter_name(i), ta_decoder_counter(d, i));
    ta_json_obj_close(j);
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "flow");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "created", st->flows_created);
    TA_JSON_KV_UINT(j, "ended", st->flows_ended);
    TA_JSON_KV_UINT(j, "evicted", st->flows_evicted);
    TA_JSON_KV_UINT(j, "active", st->flows_active);
    ta_json_obj_close(j);
}

static void stats_suricata(struct ta_json *j, const struct ta_engine_stats *st,
                           const struct ta_decoder *d, const struct ta_capture_stats *cap)
{
    if (cap != NULL) {
        TA_JSON_KEY(j, "capture");
        ta_json_obj_open(j);
        TA_JSON_KV_UINT(j, "kernel_drops", cap->kernel_drops);
        ta_json_obj_close(j);
    }
    TA_JSON_KEY(j, "decoder");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "pkts", st->packets);
    TA_JSON_KV_UINT(j, "bytes", st->bytes);
    TA_JSON_KV_UINT(j, "invalid", st->invalid);
    TA_JSON_KEY(j, "event");
    ta_json_obj_open(j);
    /* dec_map is ordered by group: one object per run of the same group. */
    for (size_t i = 0; i < sizeof(dec_map) / sizeof(dec_map[0]); i++) {
        if (i == 0 || strcmp(dec_map[i].group, dec_map[i - 1].group) != 0) {
            if (i > 0)
                ta_json_obj_close(j);
            ta_json_key(j, dec_map[i].group);
            ta_json_obj_open(j);
        }
        ta_json_kv_uint(j, dec_map[i].name, dec_counter(d, dec_map[i].ours));
    }
    ta_json_obj_close(j);
    ta_json_obj_close(j);
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "defrag");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "max_trackers_reached", dec_counter(d, "frag_table_full"));
    TA_JSON_KV_UINT(j, "max_frags_reached", dec_counter(d, "frag_too_many_parts"));
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "flow");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "total", st->flows_created);
    TA_JSON_KV_UINT(j, "active", st->flows_active);
    ta_json_obj_close(j);
}

bool ta_eve_writer_extension(const struct ta_eve_writer *w)
{
    return w->o.extension;
}

void ta_eve_write_stats(struct ta_eve_writer *w, const struct ta_engine *e,
                        const struct ta_capture_stats *cap, ta_time_us ts)
{
    struct ta_engine_stats st;
    ta_engine_get_stats(e, &st);
    const struct ta_decoder *d = ta_engine_decoder(e);
    struct ta_json *j = ta_eve_begin(w, NULL, "stats", ts);
    TA_JSON_KEY(j, "stats");
    ta_json_obj_open(j);
    if (w->o.extension)
        stats_extension(j, &st, d, cap);
    else
        stats_suricata(j, &st, d, cap);
    if (w->stats_extra != NULL)
        w->stats_extra(j, w->stats_ud);
    ta_json_obj_close(j);
    ta_eve_end(w);
}
