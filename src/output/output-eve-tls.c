/*
 * EVE "tls" records: subject, issuerdn, serial, fingerprint, sni, version,
 * notbefore, notafter, ja3, ja3s, ja4 (Suricata's names and formats), and
 * the app-layer EVE sink that writes dns/http/tls lines to a stream.
 */
#include <stdio.h>
#include <string.h>

#include "output/output-eve-app.h"

#include "common/banned.h"

/* "YYYY-MM-DDTHH:MM:SS" for seconds since the epoch (negative allowed). */
#define tls_date(j, k, t) tls_date_((j), TA_JSON_LIT(k), (t))

static void tls_date_(struct ta_json *j, const char *qk, size_t qn, int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400;
    /* Civil date from days (Hinnant's algorithm). */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    char buf[128];
    if (y >= 0 && y <= 9999) {
        /* The common case without printf: fixed-width fields. */
        int64_t v[6] = {y, m, d, sod / 3600, sod / 60 % 60, sod % 60};
        char *p = buf;
        for (int i = 0; i < 6; i++) {
            if (i == 0) {
                *p++ = (char)('0' + v[0] / 1000);
                *p++ = (char)('0' + v[0] / 100 % 10);
            } else {
                *p++ = "--T::"[i - 1];
            }
            *p++ = (char)('0' + v[i] / 10 % 10);
            *p++ = (char)('0' + v[i] % 10);
        }
        ta__json_key_lit(j, qk, qn);
        ta_json_strn(j, buf, (size_t)(p - buf));
        return;
    }
    snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", (long long)y,
             (long long)m, (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
             (long long)(sod % 60));
    ta__json_key_lit(j, qk, qn);
    ta_json_str(j, buf);
}

void ta_eve_tls(struct ta_json *j, const struct ta_flow *f, const struct ta_tls_record *t)
{
    ta__eve_app_head(j, f, t->ts, "tls", false);
    ta_eve_tls_fields(j, t);
    ta_json_obj_close(j);
}

void ta_eve_tls_fields(struct ta_json *j, const struct ta_tls_record *t)
{
    TA_JSON_KEY(j, "tls");
    ta_json_obj_open(j);
    if (t->has_cert) {
        ta__eve_kv_s(j, "subject", t->subject);
        ta__eve_kv_s(j, "issuerdn", t->issuerdn);
        ta__eve_kv_s(j, "serial", t->serial);
        ta__eve_kv_s(j, "fingerprint", t->fingerprint);
    }
    ta__eve_kv_s(j, "sni", t->sni);
    TA_JSON_KV_STR(j, "version", ta_tls_version_name(t->version));
    if (t->has_cert) {
        tls_date(j, "notbefore", t->notbefore);
        tls_date(j, "notafter", t->notafter);
    }
    /* A hello known from a log without its fingerprint has no ja3 to write. */
    if (t->has_client_hello && t->ja3_hash[0] != '\0') {
        TA_JSON_KEY(j, "ja3");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "hash", t->ja3_hash);
        ta__eve_kv_s(j, "string", t->ja3_string);
        ta_json_obj_close(j);
    }
    if (t->has_server_hello && t->ja3s_hash[0] != '\0') {
        TA_JSON_KEY(j, "ja3s");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "hash", t->ja3s_hash);
        ta__eve_kv_s(j, "string", t->ja3s_string);
        ta_json_obj_close(j);
    }
    if (t->ja4[0] != '\0')
        TA_JSON_KV_STR(j, "ja4", t->ja4);
    ta_json_obj_close(j);
}

/* ----- the sink ----- */

static void on_dns(void *ud, const struct ta_flow *f, const struct ta_dns_record *r)
{
    struct ta_eve_app_out *o = ud;
    struct ta_flow g;
    if (r->dir == TA_DIR_TOCLIENT) {
        /* A response is written from the server's side, as Suricata does. */
        g = *f;
        g.src = f->dst;
        g.dst = f->src;
        g.sp = f->dp;
        g.dp = f->sp;
        f = &g;
    }
    ta_eve_dns_fields(ta_eve_begin(o->w, f, "dns", r->ts), r);
    ta_eve_end(o->w);
}

static void on_http(void *ud, const struct ta_flow *f, const struct ta_http_tx *tx)
{
    struct ta_eve_app_out *o = ud;
    ta_eve_http_fields(ta_eve_begin(o->w, f, "http", tx->ts), tx, o->http_headers);
    ta_eve_end(o->w);
}

static void on_tls(void *ud, const struct ta_flow *f, const struct ta_tls_record *t)
{
    struct ta_eve_app_out *o = ud;
    ta_eve_tls_fields(ta_eve_begin(o->w, f, "tls", t->ts), t);
    ta_eve_end(o->w);
}

static void on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    const struct ta_eve_app_out *o = ud;
    switch (type) {
    case TA_REC_DNS:
        if (!o->no_dns)
            on_dns(ud, f, rec);
        break;
    case TA_REC_HTTP:
        if (!o->no_http)
            on_http(ud, f, rec);
        break;
    case TA_REC_TLS:
        if (!o->no_tls)
            on_tls(ud, f, rec);
        break;
    default:
        break;
    }
}

void ta_eve_app_sink(struct ta_eve_app_out *o, struct ta_obs_sink *sink)
{
    sink->ud = o;
    sink->on_record = on_record;
}

/* A counter by its name (0 if the app layer has none by that name). */
static uint64_t pc(const struct ta_proto *p, const char *name)
{
    for (size_t i = 0; i < ta_proto_counter_count(); i++)
        if (strcmp(ta_proto_counter_name(i), name) == 0)
            return ta_proto_counter(p, i);
    return 0;
}

/* "error":{"<proto>":{"parser":n,"gap":n}} members for one protocol. */
static void app_error(struct ta_json *j, const char *proto, uint64_t parser, bool has_parser,
                      uint64_t gap)
{
    ta_json_key(j, proto);
    ta_json_obj_open(j);
    if (has_parser)
        TA_JSON_KV_UINT(j, "parser", parser);
    TA_JSON_KV_UINT(j, "gap", gap);
    ta_json_obj_close(j);
}

void ta_eve_proto_stats(struct ta_json *j, const struct ta_proto *p, bool extension)
{
    if (extension) {
        TA_JSON_KEY(j, "app_layer");
        ta_json_obj_open(j);
        for (size_t i = 0; i < ta_proto_counter_count(); i++)
            ta_json_kv_uint(j, ta_proto_counter_name(i), ta_proto_counter(p, i));
        ta_json_obj_close(j);
        return;
    }
    /* Only the counters that mean what Suricata's of the same name mean; the rest
     * (DNS not split by transport, our caps) have no place in its schema. */
    TA_JSON_KEY(j, "tcp");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "midstream_pickups", pc(p, "stream_midstream_pickups"));
    TA_JSON_KV_UINT(j, "reassembly_gap", pc(p, "stream_gaps"));
    TA_JSON_KV_UINT(j, "segment_memcap_drop",
                    pc(p, "stream_flow_memcap_drops") + pc(p, "stream_global_memcap_drops"));
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "app_layer");
    ta_json_obj_open(j);
    TA_JSON_KEY(j, "flow");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "http", pc(p, "detect_http"));
    TA_JSON_KV_UINT(j, "tls", pc(p, "detect_tls"));
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "tx");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "http", pc(p, "http_tx"));
    ta_json_obj_close(j);
    TA_JSON_KEY(j, "error");
    ta_json_obj_open(j);
    app_error(j, "dns_tcp", 0, false, pc(p, "dns_tcp_gaps"));
    app_error(j, "http", pc(p, "http_malformed"), true, pc(p, "http_gaps"));
    app_error(j, "tls", pc(p, "tls_malformed"), true, pc(p, "tls_gaps"));
    ta_json_obj_close(j);
    ta_json_obj_close(j);
}
