/*
 * EVE `alert` records: the detectors' events as Suricata alerts, so SIEM
 * tooling takes them as they are. Output stage; the common head is
 * ta_eve_head(), as for every EVE record.
 *
 * Where each piece of evidence goes (docs/events.md has the table): the
 * attacker and the victim in alert.source and alert.target, the
 * transaction in http/tls/dns as Suricata logs them, and everything that
 * has no Suricata field in alert.metadata, an open object of string
 * arrays. The `threatatlas` object of earlier releases is written only on
 * request (extension), because Suricata's schema forbids unknown members.
 */
#include "threatatlas/alert.h"

#include <stdio.h>
#include <string.h>

#include "common/base64.h"
#include "output/output-event.h"
#include "threatatlas/eve.h"

#include "common/banned.h"

/*
 * Every signature the detectors write, with its id. Ids are never reused
 * or renumbered: a new signature takes the next free id at the end.
 * Webshell signatures come from src/detect/detect-webshell.c, phishing
 * content from src/detect/detect-phish.c, the rest from
 * src/detect/detect-detector.c. The beacon's text carries its score, so it
 * is matched by prefix.
 */
static const struct ta_alert_signature sigs[] = {
    {9101001, TA_EVENT_C2, false, "Flow to a C&C IP"},
    {9101002, TA_EVENT_C2, false, "Flow to a C&C IP:port"},
    {9101003, TA_EVENT_C2, false, "Connection to an address a C&C domain resolved to"},
    {9101004, TA_EVENT_C2, false, "C&C domain in TLS SNI"},
    {9101005, TA_EVENT_C2, false, "C&C domain in HTTP Host"},
    {9101006, TA_EVENT_C2, false, "C&C URL requested"},
    {9101007, TA_EVENT_C2_SUSPECTED, true, "Periodic beaconing"},
    {9101101, TA_EVENT_PHISHING, false, "Phishing domain in TLS SNI"},
    {9101102, TA_EVENT_PHISHING, false, "Phishing URL host in TLS SNI"},
    {9101103, TA_EVENT_PHISHING, false, "Phishing domain in HTTP Host"},
    {9101104, TA_EVENT_PHISHING, false, "Phishing URL requested"},
    {9101105, TA_EVENT_PHISHING_SUSPECTED, false,
     "Credential form naming a brand on a foreign host"},
    {9101106, TA_EVENT_PHISHING_SUSPECTED, false, "Payment form naming a brand on a foreign host"},
    {9101201, TA_EVENT_PAYLOAD, false, "Download from a malware-distribution URL"},
    {9101202, TA_EVENT_PAYLOAD, false, "Payload fetched from a C&C URL indicator"},
    {9101301, TA_EVENT_BACKDOOR, false, "Request to a webshell URL indicator"},
    {9101302, TA_EVENT_BACKDOOR_SUSPECTED, false,
     "Request to a webshell URL indicator, not answered with content"},
    {9101303, TA_EVENT_BACKDOOR, false, "China Chopper payload (->| framing)"},
    {9101304, TA_EVENT_BACKDOOR, false, "China Chopper z0/z1/z2 parameters"},
    {9101305, TA_EVENT_BACKDOOR, false, "China Chopper response framing"},
    {9101306, TA_EVENT_BACKDOOR, false, "AntSword user agent"},
    {9101307, TA_EVENT_BACKDOOR, false, "AntSword payload (ini_set/set_time_limit preamble)"},
    {9101308, TA_EVENT_BACKDOOR, false, "AntSword ASP.NET eval payload"},
    {9101309, TA_EVENT_BACKDOOR, false, "Godzilla encrypted parameter with md5-framed response"},
    {9101310, TA_EVENT_BACKDOOR, false, "Godzilla encrypted parameter"},
    {9101311, TA_EVENT_BACKDOOR, false, "Godzilla md5-framed response"},
    {9101312, TA_EVENT_BACKDOOR, false, "Behinder AES-encrypted base64 body"},
    {9101313, TA_EVENT_BACKDOOR, false, "Behinder AES-encrypted raw body"},
    {9101314, TA_EVENT_BACKDOOR_SUSPECTED, false, "Possible Behinder: block-sized base64 body"},
    {9101315, TA_EVENT_BACKDOOR_SUSPECTED, false, "Possible Behinder: block-sized binary body"},
    {9101316, TA_EVENT_BACKDOOR, false, "Behinder v2 key exchange"},
    {9101317, TA_EVENT_BACKDOOR, false, "Generic eval/assert webshell payload"},
    {9101318, TA_EVENT_BACKDOOR, false, "Generic command execution webshell payload"},
    {9101319, TA_EVENT_BACKDOOR, false, "Generic command parameter"},
    {9101320, TA_EVENT_BACKDOOR_SUSPECTED, false, "High-entropy POST body to a script URL"},
    {9101008, TA_EVENT_C2, false, "C&C TLS certificate (SHA-1 fingerprint)"},
    {9101009, TA_EVENT_C2, false, "C&C domain in TLS certificate subject"},
    {9101010, TA_EVENT_C2, false, "C&C JA3 and JA3S fingerprints"},
    {9101011, TA_EVENT_C2, false, "C&C JA4 and JA3S fingerprints"},
    {9101012, TA_EVENT_C2_SUSPECTED, false, "JA3 fingerprint of a C&C client"},
    {9101013, TA_EVENT_C2_SUSPECTED, false, "JA4 fingerprint of a C&C client"},
    {9101014, TA_EVENT_C2_SUSPECTED, false, "JA3S fingerprint of a C&C server"},
    {9101015, TA_EVENT_C2_SUSPECTED, true, "Periodic requests in one connection"},
    {9101321, TA_EVENT_BACKDOOR, false, "AntSword ASP eval payload"},
    {9101322, TA_EVENT_BACKDOOR, false, "Godzilla raw AES-encrypted body (session marks)"},
    {9101323, TA_EVENT_BACKDOOR, false, "Godzilla raw XOR-encrypted body (session marks)"},
    {9101324, TA_EVENT_BACKDOOR, false, "Behinder XOR-encrypted body and answer"},
    {9101325, TA_EVENT_BACKDOOR, false, "Behinder XOR-encrypted base64 body and answer"},
    {9101326, TA_EVENT_BACKDOOR, false, "Behinder JSON-wrapped encrypted body"},
    {9101327, TA_EVENT_BACKDOOR, false, "Behinder image-wrapped encrypted body"},
    {9101328, TA_EVENT_BACKDOOR, false, "AntSword JSP class payload (base64)"},
    {9101329, TA_EVENT_BACKDOOR, false, "AntSword JSP class payload (hex)"},
    {9101016, TA_EVENT_C2, false, "C&C domain in TLS certificate SAN"},
};

size_t ta_alert_signature_count(void)
{
    return sizeof(sigs) / sizeof(sigs[0]);
}

const struct ta_alert_signature *ta_alert_signature_at(size_t i)
{
    return i < ta_alert_signature_count() ? &sigs[i] : NULL;
}

uint32_t ta_event_signature_id(const struct ta_event *ev)
{
    const char *s = ev->signature != NULL ? ev->signature : "";
    for (size_t i = 0; i < ta_alert_signature_count(); i++) {
        size_t n = strlen(sigs[i].text);
        if (sigs[i].prefix ? strncmp(s, sigs[i].text, n) == 0 : strcmp(s, sigs[i].text) == 0)
            return sigs[i].id;
    }
    return TA_ALERT_SID_FALLBACK + 100u * (uint32_t)ev->kind + (uint32_t)ev->method;
}

static void eve_category(enum ta_event_kind k, const char **cat, int *sev)
{
    switch (k) {
    case TA_EVENT_C2:
        *cat = "A Network Trojan was detected";
        *sev = 1;
        return;
    case TA_EVENT_PHISHING:
        *cat = "Possible Social Engineering Attempted";
        *sev = 2;
        return;
    case TA_EVENT_BACKDOOR:
        *cat = "Web Application Attack";
        *sev = 1;
        return;
    case TA_EVENT_C2_SUSPECTED:
        *cat = "Potentially Bad Traffic";
        *sev = 3;
        return;
    case TA_EVENT_PHISHING_SUSPECTED:
        *cat = "Possible Social Engineering Attempted";
        *sev = 3;
        return;
    case TA_EVENT_PAYLOAD:
        *cat = "A Network Trojan was detected";
        *sev = 2;
        return;
    default:
        *cat = "Attempted Administrator Privilege Gain";
        *sev = 3;
        return;
    }
}

/* The old extension object's side (threatatlas.attacker / .victim). */
static void ext_side(struct ta_json *j, const char *key, const struct ta_event_side *s)
{
    ta_json_key(j, key);
    ta_json_obj_open(j);
    TA_JSON_KV_ADDR(j, "ip", &s->ip);
    TA_JSON_KV_UINT(j, "port", s->port);
    ta__event_kv_opt(j, "cc", s->cc);
    if (s->asn != 0)
        TA_JSON_KV_UINT(j, "asn", s->asn);
    ta__event_kv_opt(j, "as_name", s->as_name);
    TA_JSON_KV_BOOL(j, "home", s->home);
    ta_json_obj_close(j);
}

static void extension(struct ta_json *j, const struct ta_event *ev)
{
    TA_JSON_KEY(j, "threatatlas");
    ta_json_obj_open(j);
    TA_JSON_KV_STR(j, "kind", ta_event_kind_name(ev->kind));
    TA_JSON_KV_STR(j, "method", ta_event_method_name(ev->method));
    TA_JSON_KV_BOOL(j, "confirmed", ta_event_kind_confirmed(ev->kind));
    TA_JSON_KV_UINT(j, "confidence", ev->confidence);
    ta__event_kv_opt(j, "family", ev->family);
    ext_side(j, "attacker", &ev->attacker);
    ext_side(j, "victim", &ev->victim);
    if (ev->indicator != NULL) {
        TA_JSON_KEY(j, "indicator");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "value", ev->indicator);
        ta__event_kv_opt(j, "type", ev->indicator_type);
        ta__event_kv_opt(j, "sources", ev->sources);
        ta_json_obj_close(j);
    }
    TA_JSON_KEY(j, "evidence");
    ta_json_obj_open(j);
    ta__event_kv_opt(j, "hostname", ev->hostname);
    ta__event_kv_opt(j, "url", ev->url);
    ta__event_kv_opt(j, "dns_answer", ev->dns_answer);
    if (ev->body != NULL && ev->body_len > 0)
        ta__event_b64(j, "body_b64", ev->body, ev->body_len);
    ta_json_obj_close(j);
    ta__event_kv_opt(j, "page", ev->page);
    ta__event_kv_opt(j, "website", ev->website);
    if (ev->flow_start != 0)
        TA_JSON_KV_TIME(j, "flow_start", ev->flow_start);
    if (ta__event_is_backdoor(ev->kind))
        TA_JSON_KV_UINT(j, "tx_index", ev->tx_index);
    TA_JSON_KV_BOOL(j, "established", ev->established);
    TA_JSON_KV_BOOL(j, "undated", ev->undated);
    ta__event_kv_opt(j, "suppressed_by", ev->suppressed_by);
    ta_json_obj_close(j);
}

/* alert.metadata members: every value an array of strings, as Suricata writes rule metadata. */
static void md_str(struct ta_json *j, const char *k, const char *v)
{
    if (v == NULL || v[0] == 0)
        return;
    ta_json_key(j, k);
    ta_json_arr_open(j);
    ta_json_str(j, v);
    ta_json_arr_close(j);
}

static void md_uint(struct ta_json *j, const char *k, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    md_str(j, k, b);
}

static void md_bool(struct ta_json *j, const char *k, bool v)
{
    md_str(j, k, v ? "true" : "false");
}

/* A comma-separated list ("feodo,urlhaus") as one array element per name. */
static void md_list(struct ta_json *j, const char *k, const char *v)
{
    if (v == NULL || v[0] == 0)
        return;
    ta_json_key(j, k);
    ta_json_arr_open(j);
    const char *p = v;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
        if (n > 0)
            ta_json_strn(j, p, n);
        if (c == NULL)
            break;
        p = c + 1;
    }
    ta_json_arr_close(j);
}

static void md_side(struct ta_json *j, const char *who, const struct ta_event_side *s)
{
    char k[32];
    snprintf(k, sizeof(k), "%s_cc", who);
    md_str(j, k, s->cc);
    if (s->asn != 0) {
        snprintf(k, sizeof(k), "%s_asn", who);
        md_uint(j, k, s->asn);
    }
    snprintf(k, sizeof(k), "%s_as_name", who);
    md_str(j, k, s->as_name);
    snprintf(k, sizeof(k), "%s_home", who);
    md_bool(j, k, s->home);
}

static void metadata(struct ta_json *j, const struct ta_event *ev)
{
    TA_JSON_KEY(j, "metadata");
    ta_json_obj_open(j);
    md_str(j, "threatatlas_kind", ta_event_kind_name(ev->kind));
    md_str(j, "threatatlas_method", ta_event_method_name(ev->method));
    md_bool(j, "confirmed", ta_event_kind_confirmed(ev->kind));
    md_uint(j, "confidence_score", ev->confidence);
    md_str(j, "malware_family", ev->family);
    md_str(j, "indicator", ev->indicator);
    md_str(j, "indicator_type", ev->indicator_type);
    md_list(j, "intel_source", ev->sources);
    md_side(j, "attacker", &ev->attacker);
    md_side(j, "victim", &ev->victim);
    md_str(j, "hostname", ev->hostname);
    md_str(j, "url", ev->url);
    md_str(j, "dns_answer", ev->dns_answer);
    md_str(j, "page", ev->page);
    md_str(j, "website", ev->website);
    if (ev->flow_start != 0) {
        char t[TA_TS_STRLEN];
        ta_time_format(ev->flow_start, t, sizeof(t));
        md_str(j, "flow_start", t);
    }
    if (ta__event_is_backdoor(ev->kind))
        md_uint(j, "tx_index", ev->tx_index);
    md_bool(j, "established", ev->established);
    md_bool(j, "undated", ev->undated);
    md_str(j, "suppressed_by", ev->suppressed_by);
    ta_json_obj_close(j);
}

static void endpoint(struct ta_json *j, const char *key, const struct ta_event_side *s)
{
    ta_json_key(j, key);
    ta_json_obj_open(j);
    TA_JSON_KV_ADDR(j, "ip", &s->ip);
    TA_JSON_KV_UINT(j, "port", s->port);
    ta_json_obj_close(j);
}

/* What Suricata would call the flow's app_proto: the app layer's verdict, else the evidence's. */
static const char *app_proto(const struct ta_event *ev)
{
    if (ev->app_proto != NULL)
        return ev->app_proto;
    switch (ev->method) {
    case TA_METHOD_SNI:
    case TA_METHOD_JA3:
    case TA_METHOD_CERT:
    case TA_METHOD_CERT_NAME:
        return "tls";
    case TA_METHOD_HOST:
    case TA_METHOD_URL:
    case TA_METHOD_CONTENT:
    case TA_METHOD_PROBE:
    case TA_METHOD_BEHAVIOUR:
        return "http";
    default:
        return NULL;
    }
}

static bool http_method(enum ta_event_method m)
{
    return m == TA_METHOD_HOST || m == TA_METHOD_URL || m == TA_METHOD_CONTENT ||
           m == TA_METHOD_PROBE || m == TA_METHOD_BEHAVIOUR;
}

/* The transaction behind the event, in the app-layer object Suricata uses. */
static void transaction(struct ta_json *j, const struct ta_event *ev, const char *ap)
{
    if (ap != NULL && strcmp(ap, "http") == 0 && http_method(ev->method)) {
        TA_JSON_KEY(j, "http");
        ta_json_obj_open(j);
        ta__event_kv_opt(j, "hostname", ev->hostname);
        ta__event_kv_opt(j, "url", ev->url);
        if (ev->body != NULL && ev->body_len > 0)
            ta__event_b64(j, "http_request_body", ev->body, ev->body_len);
        ta_json_obj_close(j);
    } else if (ap != NULL && strcmp(ap, "tls") == 0 && ev->method == TA_METHOD_SNI &&
               ev->hostname != NULL) {
        TA_JSON_KEY(j, "tls");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "sni", ev->hostname);
        ta_json_obj_close(j);
    } else if (ev->method == TA_METHOD_DNS && ev->hostname != NULL && ev->hostname[0] != 0) {
        /* The resolution that named the server: the answer the host then connected to. */
        bool v6 = ev->dns_answer != NULL && strchr(ev->dns_answer, ':') != NULL;
        TA_JSON_KEY(j, "dns");
        ta_json_obj_open(j);
        TA_JSON_KV_UINT(j, "version", 3);
        TA_JSON_KV_STR(j, "type", "response");
        TA_JSON_KEY(j, "queries");
        ta_json_arr_open(j);
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "rrname", ev->hostname);
        TA_JSON_KV_STR(j, "rrtype", v6 ? "AAAA" : "A");
        ta_json_obj_close(j);
        ta_json_arr_close(j);
        if (ev->dns_answer != NULL && ev->dns_answer[0] != 0) {
            TA_JSON_KEY(j, "answers");
            ta_json_arr_open(j);
            ta_json_obj_open(j);
            TA_JSON_KV_STR(j, "rrname", ev->hostname);
            TA_JSON_KV_STR(j, "rrtype", v6 ? "AAAA" : "A");
            TA_JSON_KV_STR(j, "rdata", ev->dns_answer);
            ta_json_obj_close(j);
            ta_json_arr_close(j);
        }
        ta_json_obj_close(j);
    }
}

/* flow{} as in Suricata's alerts: counters so far, start, and the flow's own endpoints. */
static void flow_obj(struct ta_json *j, const struct ta_event *ev,
                     const struct ta_event_side *client, const struct ta_event_side *server)
{
    if (!ev->counted && ev->flow_start == 0)
        return;
    TA_JSON_KEY(j, "flow");
    ta_json_obj_open(j);
    if (ev->counted) {
        TA_JSON_KV_UINT(j, "pkts_toserver", ev->pkts_toserver);
        TA_JSON_KV_UINT(j, "pkts_toclient", ev->pkts_toclient);
        TA_JSON_KV_UINT(j, "bytes_toserver", ev->bytes_toserver);
        TA_JSON_KV_UINT(j, "bytes_toclient", ev->bytes_toclient);
    }
    if (ev->flow_start != 0)
        TA_JSON_KV_TIME(j, "start", ev->flow_start);
    if (ev->counted) {
        TA_JSON_KV_ADDR(j, "src_ip", &client->ip);
        TA_JSON_KV_ADDR(j, "dest_ip", &server->ip);
        if (ev->proto == 6 || ev->proto == 17 || ev->proto == 132) {
            TA_JSON_KV_UINT(j, "src_port", client->port);
            TA_JSON_KV_UINT(j, "dest_port", server->port);
        }
    }
    ta_json_obj_close(j);
}

void ta_event_write_eve(struct ta_json *j, const struct ta_event *ev, bool with_extension)
{
    const struct ta_event_side *client =
        ta__event_server_attacks(ev->kind) ? &ev->victim : &ev->attacker;
    const struct ta_event_side *server =
        ta__event_server_attacks(ev->kind) ? &ev->attacker : &ev->victim;
    struct ta_eve_head h = {.ts = ev->ts,
                            .event_type = "alert",
                            .has_flow_id = true,
                            .flow_id = ev->flow_id,
                            .src = &client->ip,
                            .dst = &server->ip,
                            .sp = client->port,
                            .dp = server->port,
                            .ports = true,
                            .proto = ev->proto};
    ta_eve_head(j, NULL, &h);
    if (ta__event_is_backdoor(ev->kind))
        TA_JSON_KV_UINT(j, "tx_id", ev->tx_index);
    const char *cat;
    int sev;
    eve_category(ev->kind, &cat, &sev);
    TA_JSON_KEY(j, "alert");
    ta_json_obj_open(j);
    TA_JSON_KV_STR(j, "action", "allowed");
    TA_JSON_KV_UINT(j, "gid", 1);
    TA_JSON_KV_UINT(j, "signature_id", ta_event_signature_id(ev));
    TA_JSON_KV_UINT(j, "rev", 1);
    TA_JSON_KV_STR(j, "signature", ev->signature != NULL ? ev->signature : "");
    TA_JSON_KV_STR(j, "category", cat);
    TA_JSON_KV_INT(j, "severity", sev);
    endpoint(j, "source", &ev->attacker);
    endpoint(j, "target", &ev->victim);
    metadata(j, ev);
    ta_json_obj_close(j);
    const char *ap = app_proto(ev);
    if (ap != NULL)
        TA_JSON_KV_STR(j, "app_proto", ap);
    transaction(j, ev, ap);
    flow_obj(j, ev, client, server);
    if (with_extension)
        extension(j, ev);
    ta_json_obj_close(j);
}

/* Body evidence is capped: an alert line stays small whatever the request carried. */
void ta__event_b64(struct ta_json *j, const char *key, const uint8_t *p, size_t n)
{
    char out[TA_BASE64_ENCODED_LEN(1024)];
    size_t o = ta_base64_encode(p, n > 1024 ? 1024 : n, out, sizeof(out));
    ta_json_kv_strn(j, key, out, o);
}

void ta__event_kv_opt(struct ta_json *j, const char *k, const char *v)
{
    if (v != NULL && v[0] != 0)
        ta_json_kv_str(j, k, v);
}
