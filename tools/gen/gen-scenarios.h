/*
 * threatatlas-gen scenarios: one entry point per scenario, called by
 * gen-main.c with the parsed options.
 */
#ifndef TG_GEN_SCENARIOS_H
#define TG_GEN_SCENARIOS_H

#include "gen.h"

struct tg_gen_opts {
    const char *scenario;
    const char *out; /* output directory (created) */
    uint64_t seed;
    double scale;          /* national: multiplies every count */
    ta_time_us from, to;   /* national: first and last day (UTC midnight) */
    uint64_t size;         /* mixed, appmix: target capture size in bytes */
    uint64_t flows;        /* flood: number of distinct flows */
    const char *flood;     /* flood: what to fill (NULL: flows) */
    uint32_t per_flow;     /* flood ooo/http: segments or requests per connection */
    bool gzip;             /* mixed/flood/appmix: gzip the capture */
    uint32_t hours;        /* beacon: capture length in hours (from --from) */
    uint64_t shift_us;     /* national, topsites, precision: added to every packet time */
    const char *top_sites; /* topsites: top-sites.json to take names from (NULL: installed) */
    const char *family;    /* webshell: only this family's captures (NULL: all) */
    const char *variant;   /* webshell: only this variant's captures (NULL: all) */
    bool quiet;
};

/* Each writes into o->out (which exists). geo may be consulted for country
 * addresses; it is never NULL (the built-in table when no database). */
ta_err tg_scenario_national(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_mixed(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_flood(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_edge(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_beacon(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_appmix(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_topsites(const struct tg_gen_opts *o, struct tg_geo *geo);
ta_err tg_scenario_precision(const struct tg_gen_opts *o, struct tg_geo *geo);
/* Every capture NAME.pcap in dir also as NAME.FORMAT.pcap, a capture of the export
 * datagrams a router would send of it (format: netflow9, ipfix, sflow; gen-export.c). */
ta_err tg_export(const char *dir, const char *format);
ta_err tg_scenario_webshell(const struct tg_gen_opts *o, struct tg_geo *geo);

/* Whether the webshell scenario has a variant of this family and name (NULL: any). */
bool tg_webshell_known(const char *family, const char *variant);

#endif
