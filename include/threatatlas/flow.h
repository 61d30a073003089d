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

/*
 * Where a flow made without packets came from (a flow record, a sensor's
 * log): the reader that made it sets ta_flow.origin; flows the engine makes
 * from packets have none.
 */
struct ta_flow_origin {
    const char *format;       /* "netflow5", "netflow9", "ipfix", "sflow5", "eve", "zeek" ... */
    struct ta_addr exporter;  /* the router or sensor (family 0: unknown) */
    uint32_t domain;          /* observation domain, source id or engine id */
    uint32_t sampling;        /* 1 in N packets was seen (0 or 1: every packet) */
    uint32_t in_if, out_if;   /* SNMP interface indexes, 0 when not exported */
    uint8_t min_ttl, max_ttl; /* 0: not exported */
    uint8_t tos;
    bool unidirectional; /* a one-way record: the *_toclient counters are not known */
};

struct ta_flow {
    uint64_t id;             /* EVE flow_id: deterministic hash of 5-tuple + start, < 2^53 */
    struct ta_addr src, dst; /* src = client (initiator) */
    uint16_t sp, dp;
    uint8_t proto;     /* IP protocol number */
    uint8_t state;     /* enum ta_flow_state */
    uint8_t reason;    /* enum ta_flow_reason, set when the flow ends */
    uint8_t app_proto; /* enum ta_app_proto, set by the app layer */
    uint16_t vlan_id[2];
    uint8_t vlan_count;
    uint8_t tcp_flags_ts, tcp_flags_tc; /* OR of flags seen per direction */
    ta_time_us start, last;
    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient; /* frame (wire) lengths */
    void *app;                               /* app-layer state; owned by the app layer hooks */
    /* Added by the flow module (after the pinned fields). */
    uint8_t tcp_state;            /* enum ta_tcp_state (EVE tcp.state) */
    uint8_t icmp_type, icmp_code; /* ICMP: first packet toserver */
    bool icmp_resp_seen;          /* ICMP: a packet toclient was seen */
    uint8_t icmp_resp_type, icmp_resp_code;
    uint8_t ip_version;                  /* 4 or 6 */
    const struct ta_flow_origin *origin; /* NULL: made from packets by the engine */
};

/* TCP connection state as reported in EVE tcp.state. */
enum ta_tcp_state {
    TA_TCP_STATE_NONE = 0, /* no SYN seen (picked up midstream) */
    TA_TCP_STATE_SYN_SENT,
    TA_TCP_STATE_SYN_RECV,
    TA_TCP_STATE_ESTABLISHED,
    TA_TCP_STATE_FIN_WAIT1,  /* the client sent the first FIN */
    TA_TCP_STATE_CLOSE_WAIT, /* the server sent the first FIN */
    TA_TCP_STATE_CLOSED,     /* FIN both ways, or RST */
};

/* EVE strings: "new"/"established"/"closed", "timeout"/"forced"/"shutdown",
 * "syn_sent"... Never NULL. */
const char *ta_flow_state_name(enum ta_flow_state s);
const char *ta_flow_reason_name(enum ta_flow_reason r);
const char *ta_tcp_state_name(enum ta_tcp_state s);

#endif
