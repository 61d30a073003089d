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
 * Write one event as an EVE `alert` record (one JSON object, no newline):
 * timestamp, flow_id, src/dest as the flow's client/server, proto, an
 * `alert` object (action, gid, signature_id, rev, signature, category,
 * severity) and a `threatatlas` object (kind, method, confirmed,
 * confidence, family, attacker/victim with ip, port, cc, asn, as_name,
 * home, indicator with type and sources, evidence: hostname, url,
 * dns_answer, body_b64, page, website, flow_start, tx_index (backdoor
 * kinds), established, undated, and suppressed_by when an allow list
 * covers the event: alert.action stays "allowed" as for every alert, so a
 * consumer filters suppressed events on threatatlas.suppressed_by).
 */
void ta_event_write_eve(struct ta_json *j, const struct ta_event *ev);

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

/* EVE signature_id of an event: 9100000 + 100 * kind + method. */
uint32_t ta_event_signature_id(const struct ta_event *ev);

#endif
