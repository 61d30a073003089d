/*
 * Flow table: bidirectional 5-tuple flows with TCP state, timeouts and a
 * memory cap.
 *
 * Stage 2 of the pipeline. The initiator of a flow is the client: src_* are
 * the client side, dest_* the server side (as in Suricata's EVE). A flow's
 * public view is struct ta_flow; the table owns it. Flows end by timeout,
 * by TCP teardown, by eviction at the cap (counted), or at end of input.
 */
#ifndef THREATATLAS_FLOW_H
#define THREATATLAS_FLOW_H

#include "threatatlas/common.h"
#include "threatatlas/decode.h"

enum ta_flow_dir { TA_DIR_TOSERVER = 0, TA_DIR_TOCLIENT = 1 };

/* EVE flow.state */
enum ta_flow_state { TA_FLOW_STATE_NEW = 0, TA_FLOW_STATE_ESTABLISHED, TA_FLOW_STATE_CLOSED };
/* EVE flow.reason: why the record was written. */
enum ta_flow_reason {
    TA_FLOW_REASON_TIMEOUT = 0, /* idle or end-of-connection timeout */
    TA_FLOW_REASON_FORCED,      /* evicted at the memory cap */
    TA_FLOW_REASON_SHUTDOWN,    /* end of input / shutdown */
};

/* Application protocol detected on the flow (EVE app_proto). */
enum ta_app_proto {
    TA_APP_UNKNOWN = 0, /* "failed" once detection gave up, else absent */
    TA_APP_HTTP,
    TA_APP_TLS,
    TA_APP_DNS,
    TA_APP_FAILED,
};
const char *ta_app_proto_name(enum ta_app_proto p);

struct ta_flow {
    uint64_t id; /* EVE flow_id: deterministic hash of 5-tuple + start, < 2^53 */
    struct ta_addr src, dst; /* src = client (initiator) */
    uint16_t sp, dp;
    uint8_t proto; /* IP protocol number */
    uint8_t state; /* enum ta_flow_state */
    uint8_t reason; /* enum ta_flow_reason, set when the flow ends */
    uint8_t app_proto; /* enum ta_app_proto, set by the app layer */
    uint16_t vlan_id[2];
    uint8_t vlan_count;
    uint8_t tcp_flags_ts, tcp_flags_tc; /* OR of flags seen per direction */
    ta_time_us start, last;
    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient; /* frame (wire) lengths */
    void *app; /* app-layer state; owned by the app layer hooks */
};

#endif
