/*
 * EVE JSON for the app-layer records: event_type dns, http and tls, in
 * Suricata 8's field names and shapes (DNS logging format version 3).
 *
 * Each function writes one complete EVE object (no trailing newline) into j,
 * which the caller resets before and writes out after. The common fields
 * (timestamp, flow_id, event_type, src/dest ip and port, proto, tx_id for
 * dns/http) come first. For dns the addresses follow the direction of the
 * message (a response goes from server to client), as in Suricata; http and
 * tls records are oriented client -> server.
 */
#ifndef THREATATLAS_EVE_APP_H
#define THREATATLAS_EVE_APP_H

#include "threatatlas/flow.h"
#include "threatatlas/json.h"
#include "threatatlas/proto.h"

void ta_eve_dns(struct ta_json *j, const struct ta_flow *f, const struct ta_dns_record *r);
/* headers: add request_headers/response_headers (when the tx kept them). */
void ta_eve_http(struct ta_json *j, const struct ta_flow *f, const struct ta_http_tx *tx,
                 bool headers);
void ta_eve_tls(struct ta_json *j, const struct ta_flow *f, const struct ta_tls_record *t);

/*
 * A ready-made sink that writes the three record kinds as EVE lines to a
 * stream; used by the CLI and the tests. ud must point to a
 * struct ta_eve_app_out.
 */
struct ta_eve_app_out {
    FILE *out;
    bool http_headers;
    struct ta_json j;
    uint64_t written, write_errors;
};
void ta_eve_app_out_init(struct ta_eve_app_out *o, FILE *out, bool http_headers);
void ta_eve_app_out_release(struct ta_eve_app_out *o);
/* Fills on_dns/on_http/on_tls of sink with writers to o (other fields untouched). */
void ta_eve_app_sink(struct ta_eve_app_out *o, struct ta_obs_sink *sink);

#endif
