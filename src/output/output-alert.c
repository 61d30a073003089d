/*
 * EVE `alert` records: the detectors' events as Suricata alerts, so SIEM
 * tooling takes them as they are. Output stage; the common head is
 * ta_eve_head(), as for every EVE record.
 */
#include "threatatlas/alert.h"

#include "output/output-event.h"
#include "threatatlas/eve.h"

#include "common/banned.h"

uint32_t ta_event_signature_id(const struct ta_event *ev)
{
    return 9100000u + 100u * (uint32_t)ev->kind + (uint32_t)ev->method;
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

static void side(struct ta_json *j, const char *key, const struct ta_event_side *s)
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

void ta_event_write_eve(struct ta_json *j, const struct ta_event *ev)
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
    ta__event_kv_opt(j, "family", ev->family);
    side(j, "attacker", &ev->attacker);
    side(j, "victim", &ev->victim);
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
    ta_json_obj_close(j);
}

void ta__event_b64(struct ta_json *j, const char *key, const uint8_t *p, size_t n)
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

void ta__event_kv_opt(struct ta_json *j, const char *k, const char *v)
{
    if (v != NULL && v[0] != 0)
        ta_json_kv_str(j, k, v);
}
