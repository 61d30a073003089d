/*
 * IntelMQ events (flat harmonization keys): the detectors' events for CERT
 * tooling. Output stage.
 */
#include "threatatlas/alert.h"

#include <stdio.h>

#include "output/output-event.h"

#include "common/banned.h"

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
    bool about_attacker = ta__event_server_attacks(ev->kind);
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
        ta__event_kv_opt(j, "extra.webshell_family", ev->family);
    ta__event_kv_opt(j, "extra.indicator", ev->indicator);
    ta__event_kv_opt(j, "extra.indicator_type", ev->indicator_type);
    ta__event_kv_opt(j, "extra.indicator_sources", ev->sources);
    ta__event_kv_opt(j, "extra.url", ev->url);
    ta__event_kv_opt(j, "extra.dns_answer", ev->dns_answer);
    ta__event_kv_opt(j, "extra.page", ev->page);
    ta__event_kv_opt(j, "extra.website", ev->website);
    TA_JSON_KV_BOOL(j, "extra.source_home", src->home);
    TA_JSON_KV_BOOL(j, "extra.destination_home", dst->home);
    if (ev->body != NULL && ev->body_len > 0)
        ta__event_b64(j, "extra.body_b64", ev->body, ev->body_len);
    if (ev->flow_start != 0)
        TA_JSON_KV_TIME(j, "extra.flow_start", ev->flow_start);
    if (ta__event_is_backdoor(ev->kind))
        TA_JSON_KV_UINT(j, "extra.tx_index", ev->tx_index);
    TA_JSON_KV_BOOL(j, "extra.established", ev->established);
    TA_JSON_KV_BOOL(j, "extra.undated", ev->undated);
    ta__event_kv_opt(j, "extra.suppressed_by", ev->suppressed_by);
    ta_json_obj_close(j);
}
