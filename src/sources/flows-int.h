/*
 * Flow export decoding, internal to the flows reader: NetFlow v5, v9,
 * IPFIX and sFlow v5 datagrams (flows-decode.c), each
 * one datagram at a time with template and exporter state kept between
 * them. The fuzz targets and unit tests call these directly.
 *
 * State is bounded by struct ta_obsrc_opts: exporters (by address and
 * observation domain) at most max_exporters, templates at most
 * max_templates in all; a template unrefreshed for template_timeout_s of
 * export time is dropped. Malformed input is counted, never an error.
 */
#ifndef TA_SOURCES_FLOWS_INT_H
#define TA_SOURCES_FLOWS_INT_H

#include "threatatlas/engine.h"
#include "threatatlas/obsrc.h"

struct ta__flows;

ta_err ta__flows_new(const struct ta_obsrc_opts *o, struct ta__flows **out);
void ta__flows_free(struct ta__flows *x);

/*
 * Where the decoded observations go: flows to out->on_flow (each with its
 * origin), sFlow's sampled packet headers to packet() when set (the engine:
 * decoded, tracked and parsed like captured packets), else counted skipped.
 */
struct ta__flows_out {
    const struct ta_obs_sink *out;
    void (*packet)(void *ud, int linktype, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                   uint32_t wirelen);
    void *packet_ud;
};

/*
 * One export datagram (the UDP payload) from exporter:port, received at ts.
 * The format is told by its first bytes: NetFlow v5 or v9, IPFIX, sFlow v5;
 * anything else is rejected.
 */
void ta__flows_datagram(struct ta__flows *x, const struct ta_addr *exporter, uint16_t port,
                        ta_time_us ts, const uint8_t *p, size_t len, const struct ta__flows_out *o);

void ta__flows_stats(const struct ta__flows *x, struct ta_obsrc_stats *st);
size_t ta__flows_origins(const struct ta__flows *x, struct ta_obsrc_origin *out, size_t max);
/* Templates held now, for the bound's checks. */
size_t ta__flows_templates(const struct ta__flows *x);

#endif
