/*
 * EVE JSON for the app-layer records: event_type dns, http and tls, in
 * Suricata 8's field names and shapes (DNS logging format version 3).
 *
 * Two ways to use it. With the EVE writer (threatatlas/eve.h), which owns
 * the output and the common fields (timestamp, flow_id, in_iface,
 * event_type, vlan, src/dest ip and port, proto): ta_eve_app_sink() gives
 * the on_record callback that writes dns/http/tls records through it. Standalone,
 * ta_eve_dns()/ta_eve_http()/ta_eve_tls() write a whole record (their own
 * copy of the common fields) into a ta_json the caller resets and writes.
 *
 * Orientation: a dns record follows its message (a response goes from
 * server to client), as in Suricata; http and tls records go client ->
 * server, as the flow.
 */
#ifndef THREATATLAS_EVE_APP_H
#define THREATATLAS_EVE_APP_H

#include "threatatlas/eve.h"
#include "threatatlas/flow.h"
#include "threatatlas/json.h"
#include "threatatlas/proto.h"

/* The event's own fields, after the common ones: "dns":{...} (tx_id inside). */
void ta_eve_dns_fields(struct ta_json *j, const struct ta_dns_record *r);
/* "tx_id", "http":{...}; headers: add request_headers/response_headers when kept. */
void ta_eve_http_fields(struct ta_json *j, const struct ta_http_tx *tx, bool headers);
/* "tls":{...} */
void ta_eve_tls_fields(struct ta_json *j, const struct ta_tls_record *t);

/* Whole records (standalone). */
void ta_eve_dns(struct ta_json *j, const struct ta_flow *f, const struct ta_dns_record *r);
void ta_eve_http(struct ta_json *j, const struct ta_flow *f, const struct ta_http_tx *tx,
                 bool headers);
void ta_eve_tls(struct ta_json *j, const struct ta_flow *f, const struct ta_tls_record *t);

/*
 * Sink writing dns/http/tls records through an EVE writer. o must outlive
 * the sink; the writer is borrowed. Only on_record and ud are set in *sink
 * (on_flow stays as it was).
 */
struct ta_eve_app_out {
    struct ta_eve_writer *w;
    bool http_headers;
    bool no_dns, no_http, no_tls; /* leave these event types out */
};
void ta_eve_app_sink(struct ta_eve_app_out *o, struct ta_obs_sink *sink);

/*
 * The app layer's members of the stats record. Default: Suricata's names
 * for the counters that have one ("tcp":{midstream_pickups,
 * reassembly_gap}, "app_layer":{flow, tx, error}). extension: the layout
 * of earlier releases, "app_layer":{counter: value, ...} with every
 * ta_proto counter under its own name (not valid against Suricata's schema).
 */
void ta_eve_proto_stats(struct ta_json *j, const struct ta_proto *p, bool extension);

#endif
