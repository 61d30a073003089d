/*
 * Event output: EVE `alert` records and IntelMQ events, so SIEM and CERT
 * tooling takes the detections as they are. Writes into a ta_json.
 */
#include "threatatlas/detect.h"
#include "threatatlas/json.h"

#include <stdio.h>
#include <string.h>

#include "threatatlas/eve.h"

#include "common/banned.h"

uint32_t ta_event_signature_id(const struct ta_event *ev)
{
    return 9100000u + 100u * (uint32_t)ev->kind + (uint32_t)ev->method;
}

static bool server_attacks(enum ta_event_kind k)
{
    return k != TA_EVENT_BACKDOOR && k != TA_EVENT_BACKDOOR_SUSPECTED;
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

static void b64(struct ta_json *j, const char *key, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[1400];
    if (n > 1024)
        n = 1024;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    ta_json_kv_strn(j, key, out, o);
}

static void kv_opt(struct ta_json *j, const char *k, const char *v)
{
    if (v != NULL && v[0] != 0)
        ta_json_kv_str(j, k, v);
}

static bool is_backdoor(enum ta_event_kind k)
{
    return k == TA_EVENT_BACKDOOR || k == TA_EVENT_BACKDOOR_SUSPECTED;
}

static void side(struct ta_json *j, const char *key, const struct ta_event_side *s)
{
    ta_json_key(j, key);
    ta_json_obj_open(j);
    TA_JSON_KV_ADDR(j, "ip", &s->ip);
    TA_JSON_KV_UINT(j, "port", s->port);
    kv_opt(j, "cc", s->cc);
    if (s->asn != 0)
        TA_JSON_KV_UINT(j, "asn", s->asn);
    kv_opt(j, "as_name", s->as_name);
    TA_JSON_KV_BOOL(j, "home", s->home);
    ta_json_obj_close(j);
}

void ta_event_write_eve(struct ta_json *j, const struct ta_event *ev)
{
    const struct ta_event_side *client = server_attacks(ev->kind) ? &ev->victim : &ev->attacker;
    const struct ta_event_side *server = server_attacks(ev->kind) ? &ev->attacker : &ev->victim;
    ta_json_obj_open(j);
    TA_JSON_KV_TIME(j, "timestamp", ev->ts);
    TA_JSON_KV_UINT(j, "flow_id", ev->flow_id);
    TA_JSON_KV_STR(j, "event_type", "alert");
    TA_JSON_KV_ADDR(j, "src_ip", &client->ip);
    TA_JSON_KV_UINT(j, "src_port", client->port);
    TA_JSON_KV_ADDR(j, "dest_ip", &server->ip);
    TA_JSON_KV_UINT(j, "dest_port", server->port);
    char pb[8];
    TA_JSON_KV_STR(j, "proto", ta_eve_proto_name(ev->proto, pb, sizeof(pb)));
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
    ta_json_obj_close(j);

    TA_JSON_KEY(j, "threatatlas");
    ta_json_obj_open(j);
    TA_JSON_KV_STR(j, "kind", ta_event_kind_name(ev->kind));
    TA_JSON_KV_STR(j, "method", ta_event_method_name(ev->method));
    TA_JSON_KV_BOOL(j, "confirmed", ta_event_kind_confirmed(ev->kind));
    TA_JSON_KV_UINT(j, "confidence", ev->confidence);
    kv_opt(j, "family", ev->family);
    side(j, "attacker", &ev->attacker);
    side(j, "victim", &ev->victim);
    if (ev->indicator != NULL) {
        TA_JSON_KEY(j, "indicator");
        ta_json_obj_open(j);
        TA_JSON_KV_STR(j, "value", ev->indicator);
        kv_opt(j, "type", ev->indicator_type);
        kv_opt(j, "sources", ev->sources);
        ta_json_obj_close(j);
    }
    TA_JSON_KEY(j, "evidence");
    ta_json_obj_open(j);
    kv_opt(j, "hostname", ev->hostname);
    kv_opt(j, "url", ev->url);
    kv_opt(j, "dns_answer", ev->dns_answer);
    if (ev->body != NULL && ev->body_len > 0)
        b64(j, "body_b64", ev->body, ev->body_len);
    ta_json_obj_close(j);
    kv_opt(j, "page", ev->page);
    kv_opt(j, "website", ev->website);
    if (ev->flow_start != 0)
        TA_JSON_KV_TIME(j, "flow_start", ev->flow_start);
    if (is_backdoor(ev->kind))
        TA_JSON_KV_UINT(j, "tx_index", ev->tx_index);
    TA_JSON_KV_BOOL(j, "established", ev->established);
    TA_JSON_KV_BOOL(j, "undated", ev->undated);
    kv_opt(j, "suppressed_by", ev->suppressed_by);
    ta_json_obj_close(j);
    ta_json_obj_close(j);
}

static void im_side(struct ta_json *j, const char *prefix, const struct ta_event_side *s)
{
    char k[64];
    snprintf(k, sizeof(k), "%s.ip", prefix);
    ta_json_kv_addr(j, k, &s->ip);
    if (s->port != 0) {
        snprintf(k, sizeof(k), "%s.port", prefix);
        ta_json_kv_uint(j, k, s->port);
    }
    if (s->cc[0] != 0) {
        snprintf(k, sizeof(k), "%s.geolocation.cc", prefix);
        ta_json_kv_str(j, k, s->cc);
    }
    if (s->asn != 0) {
        snprintf(k, sizeof(k), "%s.asn", prefix);
        ta_json_kv_uint(j, k, s->asn);
    }
    if (s->as_name != NULL && s->as_name[0] != 0) {
        snprintf(k, sizeof(k), "%s.as_name", prefix);
        ta_json_kv_str(j, k, s->as_name);
    }
}

void ta_event_write_intelmq(struct ta_json *j, const struct ta_event *ev, const char *feed_name)
{
    const char *tax = "other", *type = "undetermined";
    switch (ev->kind) {
    case TA_EVENT_C2:
        tax = "malicious-code";
        type = "c2-server";
        break;
    case TA_EVENT_PHISHING:
        tax = "fraud";
        type = "phishing";
        break;
    case TA_EVENT_BACKDOOR:
        tax = "intrusions";
        type = "system-compromise";
        break;
    case TA_EVENT_PAYLOAD:
        tax = "malicious-code";
        type = "malware-distribution";
        break;
    default:
        break;
    }
    /* source = what the event is about: the C&C / phishing server, or the
     * compromised web server (the victim of a backdoor attack). */
    bool about_attacker = server_attacks(ev->kind);
    const struct ta_event_side *src = about_attacker ? &ev->attacker : &ev->victim;
    const struct ta_event_side *dst = about_attacker ? &ev->victim : &ev->attacker;
    ta_json_obj_open(j);
    TA_JSON_KV_STR(j, "feed.name", feed_name != NULL ? feed_name : "threatatlas");
    TA_JSON_KV_UINT(j, "feed.accuracy", ev->confidence);
    TA_JSON_KV_STR(j, "classification.taxonomy", tax);
    TA_JSON_KV_STR(j, "classification.type", type);
    TA_JSON_KV_STR(j, "classification.identifier", ta_event_kind_name(ev->kind));
    TA_JSON_KV_TIME(j, "time.source", ev->ts);
    im_side(j, "source", src);
    im_side(j, "destination", dst);
    if (ev->proto == 6 || ev->proto == 17 || ev->proto == 1 || ev->proto == 58)
        TA_JSON_KV_STR(j, "protocol.transport",
                       ev->proto == 6    ? "tcp"
                       : ev->proto == 17 ? "udp"
                                         : "icmp");
    if (ev->hostname != NULL && ev->hostname[0] != 0)
        ta_json_kv_str(j, about_attacker ? "source.fqdn" : "destination.fqdn", ev->hostname);
    if (ev->kind == TA_EVENT_PHISHING && ev->page != NULL)
        TA_JSON_KV_STR(j, "source.url", ev->page);
    if (ev->kind == TA_EVENT_PAYLOAD && ev->hostname != NULL && ev->hostname[0] != 0 &&
        ev->url != NULL && ev->url[0] == '/') {
        /* The download as requested: the request target is a path on that host. */
        char u[2304];
        snprintf(u, sizeof(u), "http://%s%s", ev->hostname, ev->url);
        TA_JSON_KV_STR(j, "source.url", u);
    }
    if ((ev->kind == TA_EVENT_C2 || ev->kind == TA_EVENT_C2_SUSPECTED ||
         ev->kind == TA_EVENT_PAYLOAD) &&
        ev->family != NULL)
        TA_JSON_KV_STR(j, "malware.name", ev->family);
    TA_JSON_KV_STR(j, "event_description.text", ev->signature != NULL ? ev->signature : "");
    TA_JSON_KV_UINT(j, "extra.flow_id", ev->flow_id);
    TA_JSON_KV_STR(j, "extra.method", ta_event_method_name(ev->method));
    TA_JSON_KV_BOOL(j, "extra.source_is_attacker", about_attacker);
    if (ev->kind == TA_EVENT_BACKDOOR || ev->kind == TA_EVENT_BACKDOOR_SUSPECTED)
        kv_opt(j, "extra.webshell_family", ev->family);
    kv_opt(j, "extra.indicator", ev->indicator);
    kv_opt(j, "extra.indicator_type", ev->indicator_type);
    kv_opt(j, "extra.indicator_sources", ev->sources);
    kv_opt(j, "extra.url", ev->url);
    kv_opt(j, "extra.dns_answer", ev->dns_answer);
    kv_opt(j, "extra.page", ev->page);
    kv_opt(j, "extra.website", ev->website);
    TA_JSON_KV_BOOL(j, "extra.source_home", src->home);
    TA_JSON_KV_BOOL(j, "extra.destination_home", dst->home);
    if (ev->body != NULL && ev->body_len > 0)
        b64(j, "extra.body_b64", ev->body, ev->body_len);
    if (ev->flow_start != 0)
        TA_JSON_KV_TIME(j, "extra.flow_start", ev->flow_start);
    if (is_backdoor(ev->kind))
        TA_JSON_KV_UINT(j, "extra.tx_index", ev->tx_index);
    TA_JSON_KV_BOOL(j, "extra.established", ev->established);
    TA_JSON_KV_BOOL(j, "extra.undated", ev->undated);
    kv_opt(j, "extra.suppressed_by", ev->suppressed_by);
    ta_json_obj_close(j);
}
