/*
 * EVE "http" records in Suricata's extended shape: hostname, http_port,
 * url, http_user_agent, http_content_type, http_refer, http_method,
 * protocol, status, redirect, length, and request/response_headers when
 * asked for.
 */
#include "output/output-eve-app.h"

#include "common/banned.h"

#define headers(j, k, h, n) headers_((j), TA_JSON_LIT(k), (h), (n))

static void headers_(struct ta_json *j, const char *qk, size_t qn, const struct ta_http_header *h,
                     uint32_t n)
{
    if (n == 0)
        return;
    ta__json_key_lit(j, qk, qn);
    ta_json_arr_open(j);
    for (uint32_t i = 0; i < n; i++) {
        ta_json_obj_open(j);
        ta__eve_kv_s(j, "name", h[i].name);
        ta__eve_kv_s(j, "value", h[i].value);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
}

void ta_eve_http(struct ta_json *j, const struct ta_flow *f, const struct ta_http_tx *tx,
                 bool with_headers)
{
    ta__eve_app_head(j, f, tx->ts, "http", false);
    ta_eve_http_fields(j, tx, with_headers);
    ta_json_obj_close(j);
}

void ta_eve_http_fields(struct ta_json *j, const struct ta_http_tx *tx, bool with_headers)
{
    TA_JSON_KV_UINT(j, "tx_id", tx->tx_id);
    TA_JSON_KEY(j, "http");
    ta_json_obj_open(j);
    ta__eve_kv_s(j, "hostname", tx->hostname);
    if (tx->http_port >= 0)
        TA_JSON_KV_INT(j, "http_port", tx->http_port);
    ta__eve_kv_s(j, "url", tx->url);
    ta__eve_kv_s(j, "http_user_agent", tx->user_agent);
    ta__eve_kv_s(j, "http_content_type", tx->content_type);
    ta__eve_kv_s(j, "http_refer", tx->referer);
    ta__eve_kv_s(j, "http_method", tx->method);
    if (tx->protocol.ptr != NULL)
        ta__eve_kv_s(j, "protocol", tx->protocol);
    else
        ta__eve_kv_s(j, "protocol", tx->resp_protocol);
    if (tx->has_response)
        TA_JSON_KV_UINT(j, "status", tx->status);
    ta__eve_kv_s(j, "redirect", tx->redirect);
    TA_JSON_KV_UINT(j, "length", tx->response_body_len);
    if (with_headers) {
        headers(j, "request_headers", tx->req_headers, tx->n_req_headers);
        headers(j, "response_headers", tx->resp_headers, tx->n_resp_headers);
    }
    ta_json_obj_close(j);
}
