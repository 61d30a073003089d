/*
 * Event writers (output stage): a detection event (threatatlas/event.h) as
 * an EVE `alert` record or an IntelMQ event, written into a ta_json (one
 * JSON object, no newline; the caller writes the line). The detectors hand
 * events over and never format them; analyze and the report's event export
 * both write through these.
 */
#ifndef THREATATLAS_ALERT_H
#define THREATATLAS_ALERT_H

#include "threatatlas/event.h"
#include "threatatlas/json.h"

/*
 * Write one event as an EVE `alert` record (one JSON object, no newline)
 * that Suricata's EVE schema accepts: timestamp, flow_id, src/dest as the
 * flow's client/server, proto, tx_id (backdoor kinds: the request's
 * position in its connection), an `alert` object (action, gid,
 * signature_id, rev, signature, category, severity, source = the
 * attacker, target = the victim, metadata = string arrays holding the
 * kind, method, confidence, family, indicator, intel sources, both sides'
 * country/AS/home, the evidence and suppressed_by), app_proto, the
 * transaction (http: hostname, url, http_request_body; tls: sni; dns: the
 * resolution) and flow (packet/byte counts when the flow is at hand,
 * start). alert.action stays "allowed" for every alert, so a consumer
 * filters suppressed events on alert.metadata.suppressed_by.
 *
 * with_extension adds the `threatatlas` object of earlier releases (kind,
 * method, confirmed, confidence, family, attacker/victim, indicator,
 * evidence, page, website, flow_start, tx_index, established, undated,
 * suppressed_by) for consumers that read it; the record then no longer
 * validates against Suricata's schema (additionalProperties is false).
 */
void ta_event_write_eve(struct ta_json *j, const struct ta_event *ev, bool with_extension);

/*
 * Write one event as an IntelMQ event (flat keys): classification.taxonomy
 * and .type per the IntelMQ harmonization (c2: malicious-code/c2-server;
 * phishing: fraud/phishing; backdoor: intrusions/system-compromise;
 * payload: malicious-code/malware-distribution; suspected kinds:
 * other/undetermined with classification.identifier naming the kind),
 * source.* = the party the event is about (C&C server, phishing server,
 * payload server, the compromised web server), destination.* = the other
 * side, feed.name, feed.accuracy (confidence), time.source, malware.name,
 * and extra.* for the evidence and identity (extra.flow_start,
 * extra.tx_index for backdoor kinds, extra.established, extra.undated,
 * extra.suppressed_by). feed_name NULL = "threatatlas".
 */
void ta_event_write_intelmq(struct ta_json *j, const struct ta_event *ev, const char *feed_name);

/*
 * Signature ids. Every signature text the detectors write has its own id,
 * fixed in one table (src/output/output-alert.c, listed in docs/events.md):
 * ids are never reused or renumbered. A text the table does not know (a
 * detector added without its entry) gets TA_ALERT_SID_FALLBACK + 100 * kind
 * + method, below every table id.
 */
struct ta_alert_signature {
    uint32_t id;
    enum ta_event_kind kind; /* the kind it is written with (backdoor kinds: the usual one) */
    bool prefix;             /* the text is followed by details (the beacon's score) */
    const char *text;
};
#define TA_ALERT_SID_FALLBACK 9100000u
size_t ta_alert_signature_count(void);
const struct ta_alert_signature *ta_alert_signature_at(size_t i); /* NULL past the end */
/* The id of ev->signature (see above). */
uint32_t ta_event_signature_id(const struct ta_event *ev);

#endif
