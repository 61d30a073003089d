/*
 * Report internals shared by the report's writers (report-compute.c: text,
 * JSON, CSV; report-html.c: HTML). Not a public header.
 */
#ifndef TA_REPORT_INT_H
#define TA_REPORT_INT_H

#include "threatatlas/report.h"

struct rowset {
    struct ta_report_row *v;
    size_t n, cap;
};

struct ta_report {
    struct ta_report_query q;
    struct rowset rows[TA_EVENT_KIND__COUNT]; /* by event kind */
    bool db_empty;
    /* Data versions of the runs overlapping the period. */
    char **homes, **intel, **geoip, **sensors, **notes;
    size_t n_homes, n_intel, n_geoip, n_sensors, n_notes;
    char **sources; /* kinds of input, exporters and sampling rates of the runs */
    size_t n_sources;
    uint64_t runs;
    struct ta_report_suppressed *supp;
    size_t n_supp;
    /* ta_report_set_geo_compare; gc_a NULL when not measured. */
    char *gc_a, *gc_b;
    uint64_t gc_addresses, gc_different;
};

/* A country pair seen in any section but payload, with the sort weights
 * of the text report (confirmed, then suspected main counts). */
struct ta__report_pair {
    char src[3], dst[3];
    uint64_t weight, sweight;
};
/* The pairs in the text report's order; *out owned by the caller (free). */
ta_err ta__report_pairs(const struct ta_report *r, struct ta__report_pair **out, size_t *nout);
/* The text report (ta_report_write TA_REPORT_FMT_TEXT). */
ta_err ta__report_write_text(const struct ta_report *r, FILE *f);

#endif
