/*
 * Observation sources, internal: the reader of each kind, registered in
 * src/sources/obsrc.c. Each reader lives in its own file
 * (src/sources/source-<kind>*.c) and exports only its struct ta_obsrc_ops.
 */
#ifndef TA_SOURCES_OBSRC_INT_H
#define TA_SOURCES_OBSRC_INT_H

#include "threatatlas/obsrc.h"

/* NetFlow v5/v9, IPFIX and sFlow v5 exports (src/sources/source-flows.c). */
extern const struct ta_obsrc_ops ta__obsrc_flows;
/* Suricata EVE, Zeek logs, access logs (src/sources/source-log.c, threatatlas/logsrc.h). */
extern const struct ta_obsrc_ops ta__obsrc_eve;
extern const struct ta_obsrc_ops ta__obsrc_zeek;
extern const struct ta_obsrc_ops ta__obsrc_access_log;

#endif
