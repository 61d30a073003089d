/*
 * IntelMQ events (flat harmonization keys): the detectors' events for CERT
 * tooling. Output stage.
 */
#include "threatatlas/alert.h"

#include <stdio.h>
#include <string.h>

#include "output/output-event.h"

#include "common/banned.h"

static void im_side(struct ta_json *j, const char *prefix, const struct ta_event_side *s)
{
    char k[64];
    if (s->ip.family != 0) {
        snprintf(k, sizeof(k), "%s.ip", prefix);
        ta_json_kv_addr(j, k, &s->ip);
    }
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

/*
 * IntelMQ's DateTime is the ISO 8601 form Python's isoformat() gives for UTC:
 * "2014-03-19T08:01:02.123456+00:00", without the fraction when it is zero.
 */
static void im_time(struct ta_json *j, const char *key, ta_time_us t)
{
    char b[TA_TS_STRLEN + 4];
    ta_time_format(t, b, sizeof(b));
    /* ta_time_format: "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000". */
    size_t n = strlen(b);
    if (n < 26)
        return;
    size_t keep = t % 1000000u == 0 ? 19 : 26;
    memcpy(b + keep, "+00:00", 7);
    ta_json_kv_str(j, key, b);
}

/*
 * The host name of an event as an IntelMQ FQDN: lower case, no port, no
 * trailing dot, letters, digits, '-' and '_' in labels of 1-63 bytes. An IP
 * literal or anything else is not an FQDN (false).
 */
static bool im_fqdn(const char *h, char *out, size_t cap)
{
    size_t n = strlen(h);
    if (n == 0 || h[0] == '[')
        return false;
    const char *colon = memchr(h, ':', n);
    if (colon != NULL) {
        /* Two colons: a bare IPv6 literal. */
        if (memchr(colon + 1, ':', n - (size_t)(colon - h) - 1) != NULL)
            return false;
        n = (size_t)(colon - h);
    }
    if (n > 0 && h[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || n + 1 > cap)
        return false;
    size_t label = 0;
    bool alpha = false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63)
                return false;
            if (!(c >= '0' && c <= '9'))
                alpha = true;
        } else {
            return false;
        }
        out[i] = c;
    }
    out[n] = '\0';
    if (label == 0)
        return false;
    /* All digits and dots: an IPv4 literal (or a number), never a name. */
    struct ta_addr a;
    return alpha && !ta_addr_parse(&a, out);
}

/* malware.name: printable ASCII in lower case; false when it cannot be. */
static bool im_lower(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n + 1 > cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c < 0x20 || c > 0x7e)
            return false;
        out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return true;
}

/* source.url for a phishing page: the indicator URL, or for a page known only
 * by its host (a TLS SNI) the site root over HTTPS. */
static void im_page_url(struct ta_json *j, const char *page)
{
    if (strstr(page, "://") != NULL) {
        TA_JSON_KV_STR(j, "source.url", page);
        return;
    }
    char host[256];
    if (!im_fqdn(page, host, sizeof(host)))
        return;
    char u[300];
    snprintf(u, sizeof(u), "https://%s/", host);
    TA_JSON_KV_STR(j, "source.url", u);
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
    /* source = the attacker side (the C&C, phishing or payload server, the
     * client driving a webshell), destination = the attacked side (the
     * controlled host, the visitor, the compromised website). */
    const struct ta_event_side *src = &ev->attacker;
    const struct ta_event_side *dst = &ev->victim;
    /* The host name belongs to the server of the flow: the attacker except
     * for a backdoor, where it is the attacked website. */
    const char *host_side = ta__event_server_attacks(ev->kind) ? "source.fqdn" : "destination.fqdn";
    ta_json_obj_open(j);
    TA_JSON_KV_STR(j, "feed.name", feed_name != NULL ? feed_name : "threatatlas");
    /* A property of the feed as a whole (IntelMQ's default); how sure this
     * event is goes in extra.confidence. */
    TA_JSON_KV_UINT(j, "feed.accuracy", 100);
    TA_JSON_KV_STR(j, "classification.taxonomy", tax);
    TA_JSON_KV_STR(j, "classification.type", type);
    TA_JSON_KV_STR(j, "classification.identifier", ta_event_kind_name(ev->kind));
    im_time(j, "time.source", ev->ts);
    /* threatatlas is the observer: the evidence was seen at capture time
     * (never the clock, so a rerun writes the same event). */
    im_time(j, "time.observation", ev->ts);
    im_side(j, "source", src);
    im_side(j, "destination", dst);
    if (ev->proto == 6 || ev->proto == 17 || ev->proto == 1 || ev->proto == 58)
        TA_JSON_KV_STR(j, "protocol.transport",
                       ev->proto == 6    ? "tcp"
                       : ev->proto == 17 ? "udp"
                       : ev->proto == 1  ? "icmp"
                                         : "ipv6-icmp");
    char name[256];
    /* A backdoor names the attacked website (the Host without its port). */
    const char *host = ev->hostname;
    if (ta__event_is_backdoor(ev->kind) && ev->website != NULL && ev->website[0] != 0)
        host = ev->website;
    if (host != NULL && host[0] != 0) {
        if (im_fqdn(host, name, sizeof(name)))
            ta_json_kv_str(j, host_side, name);
        else
            ta_json_kv_str(j, "extra.hostname", host);
    }
    if (ev->kind == TA_EVENT_PHISHING && ev->page != NULL && ev->page[0] != 0)
        im_page_url(j, ev->page);
    if (ev->kind == TA_EVENT_PAYLOAD && ev->hostname != NULL && ev->hostname[0] != 0 &&
        ev->url != NULL && ev->url[0] == '/') {
        /* The download as requested: the request target is a path on that host. */
        char u[2304];
        snprintf(u, sizeof(u), "http://%s%s", ev->hostname, ev->url);
        TA_JSON_KV_STR(j, "source.url", u);
    }
    if ((ev->kind == TA_EVENT_C2 || ev->kind == TA_EVENT_C2_SUSPECTED ||
         ev->kind == TA_EVENT_PAYLOAD) &&
        ev->family != NULL && im_lower(ev->family, name, sizeof(name)))
        TA_JSON_KV_STR(j, "malware.name", name);
    if (ev->signature != NULL && ev->signature[0] != 0)
        TA_JSON_KV_STR(j, "event_description.text", ev->signature);
    TA_JSON_KV_UINT(j, "extra.confidence", ev->confidence);
    TA_JSON_KV_UINT(j, "extra.flow_id", ev->flow_id);
    TA_JSON_KV_STR(j, "extra.method", ta_event_method_name(ev->method));
    TA_JSON_KV_BOOL(j, "extra.source_is_attacker", true);
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
