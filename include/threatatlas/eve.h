/*
 * EVE JSON writer: observations as Suricata EVE lines (one JSON object per
 * line), so that existing EVE tooling reads them.
 *
 * Output stage. The writer is a struct ta_obs_sink (ta_eve_writer_sink());
 * this module writes event_type "flow" records and the final "stats"
 * record. Writers for other event types (dns, http, tls) live in their own
 * files (src/output/output-eve-<type>.c) and use ta_eve_begin() and
 * ta_eve_end() so every record starts with the same common fields:
 *   timestamp, flow_id, in_iface, event_type, vlan, src_ip, src_port,
 *   dest_ip, dest_port, proto (+ icmp_type/icmp_code for ICMP).
 */
#ifndef THREATATLAS_EVE_H
#define THREATATLAS_EVE_H

#include <stdio.h>

#include "threatatlas/common.h"
#include "threatatlas/engine.h"
#include "threatatlas/json.h"
#include "threatatlas/source.h"

struct ta_eve_opts {
    const char *in_iface; /* written as in_iface when non-NULL (live capture) */
    /* The stats record in the layout of earlier releases (every counter under our own
     * names), which Suricata's schema rejects; default: Suricata's names only. */
    bool extension;
    /* Flows marked alerted and not yet written, at most (0: marks are ignored). */
    uint32_t max_alerted;
};

struct ta_eve_writer;

/* out is borrowed: the caller closes it after ta_eve_writer_free(). */
ta_err ta_eve_writer_new(FILE *out, const struct ta_eve_opts *opts, struct ta_eve_writer **w);
void ta_eve_writer_free(struct ta_eve_writer *w);
/* Write to out from now on (a reopened file); out is borrowed as in ta_eve_writer_new. */
void ta_eve_writer_set_output(struct ta_eve_writer *w, FILE *out);

/* A sink whose on_flow writes a flow record; ud is w. */
struct ta_obs_sink ta_eve_writer_sink(struct ta_eve_writer *w);

/*
 * The flow raised an alert: its flow record, written when it ends, says
 * flow.alerted true. Marks are kept until that record is written, at most
 * opts.max_alerted of them; past that a mark is dropped (alerted false).
 */
void ta_eve_writer_mark_alerted(struct ta_eve_writer *w, uint64_t flow_id);

/* Write one flow record now (what the sink's on_flow does). */
void ta_eve_write_flow(struct ta_eve_writer *w, const struct ta_flow *f);

/*
 * Write the final stats record (cap may be NULL). ts is its timestamp (use
 * the last packet time, ta_engine_now(), so output stays deterministic).
 * Default, valid against Suricata's schema: capture.kernel_drops,
 * decoder.pkts/bytes/invalid, decoder.event.<layer>.<name> and
 * defrag.max_trackers_reached/max_frags_reached for the decoder failures
 * that Suricata counts under a name of the same meaning, flow.total and
 * flow.active. With opts.extension: the earlier layout, every engine,
 * capture and decoder counter under our own names (capture.files,
 * decoder.decoded, flow.created/ended/evicted ...).
 */
void ta_eve_write_stats(struct ta_eve_writer *w, const struct ta_engine *e,
                        const struct ta_capture_stats *cap, ta_time_us ts);

/*
 * Extra members of the stats record (the app layer's counters, say): fn is
 * called with the JSON document inside the "stats" object, after the core
 * members, and adds its own keys. fn NULL removes it.
 */
void ta_eve_writer_set_stats_extra(struct ta_eve_writer *w, void (*fn)(struct ta_json *j, void *ud),
                                   void *ud);

/*
 * The common head of every EVE record, written by ta_eve_head() for every
 * writer (flow, stats, dns, http, tls, alert), so the fields and their
 * order are defined once: timestamp, flow_id, in_iface, event_type, vlan,
 * src_ip, src_port, dest_ip, dest_port, proto, icmp_type/icmp_code and
 * response_icmp_type/response_icmp_code. Absent parts are skipped.
 */
struct ta_eve_head {
    ta_time_us ts;
    const char *event_type;
    const char *in_iface; /* NULL: no in_iface */
    bool has_flow_id;
    uint64_t flow_id;
    /* Endpoints; src NULL: no vlan, address, port, proto or icmp fields. */
    const struct ta_addr *src, *dst;
    uint16_t sp, dp;
    bool ports; /* write src_port/dest_port */
    uint8_t proto;
    uint8_t vlan_count; /* at most 2 written */
    const uint16_t *vlan;
    bool icmp, icmp_resp; /* icmp_type/code; response_icmp_type/code */
    uint8_t icmp_type, icmp_code, icmp_resp_type, icmp_resp_code;
};

/*
 * Fill h from flow f (NULL: only ts and event_type). swap writes the flow
 * from the server's side (a dns response). Ports are written for TCP, UDP
 * and SCTP, icmp fields for ICMP and ICMPv6.
 */
void ta_eve_head_flow(struct ta_eve_head *h, const struct ta_flow *f, const char *event_type,
                      ta_time_us ts, bool swap);

/*
 * A second's formatted timestamp kept between records: timestamps repeat
 * their second a lot. Zero-initialise.
 */
struct ta_eve_ts_cache {
    uint64_t sec;
    char text[24];
};

/* Open the record's object in j and write h's fields; tc may be NULL. */
void ta_eve_head(struct ta_json *j, struct ta_eve_ts_cache *tc, const struct ta_eve_head *h);

/*
 * For per-event-type writers: open a record with the common fields for flow
 * f (may be NULL: no flow fields) and return the JSON document to add the
 * event's own fields to; then call ta_eve_end() to close and write the line.
 */
struct ta_json *ta_eve_begin(struct ta_eve_writer *w, const struct ta_flow *f,
                             const char *event_type, ta_time_us ts);
void ta_eve_end(struct ta_eve_writer *w);

/* Whether the writer was opened with opts.extension. */
bool ta_eve_writer_extension(const struct ta_eve_writer *w);

/* Records written so far, and the first write error (TA_OK if none). */
uint64_t ta_eve_writer_records(const struct ta_eve_writer *w);
ta_err ta_eve_writer_error(const struct ta_eve_writer *w);

/* EVE proto names: "TCP", "UDP", "ICMP", "IPv6-ICMP", else the number. */
const char *ta_eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif
