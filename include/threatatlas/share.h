/*
 * Sharing formats (output stage): the writers of STIX 2.1 bundles and MISP
 * events for indicators that the report module gathers
 * (ta_report_share_write in report.h, `threatatlas events --format
 * stix|misp`). The writers only format: they are handed every indicator
 * with its counts and say nothing about where they came from.
 */
#ifndef THREATATLAS_SHARE_H
#define THREATATLAS_SHARE_H

#include <stdio.h>

#include "threatatlas/common.h"
#include "threatatlas/event.h"

enum ta_tlp { TA_TLP_CLEAR = 0, TA_TLP_WHITE, TA_TLP_GREEN, TA_TLP_AMBER, TA_TLP_RED };
/* "clear", "white", "green", "amber", "red" (case-insensitive, "tlp:" prefix allowed). */
bool ta_tlp_parse(const char *s, enum ta_tlp *out);
const char *ta_tlp_name(enum ta_tlp t);

/* One shared indicator. Strings borrowed for the writer call. */
enum ta_share_value { TA_SHARE_IPV4 = 0, TA_SHARE_IPV6, TA_SHARE_URL, TA_SHARE_DOMAIN };
struct ta_share_indicator {
    enum ta_event_kind kind; /* TA_EVENT_C2, _PHISHING or _BACKDOOR */
    enum ta_share_value vtype;
    const char *value;  /* address, URL or host name */
    const char *cc;     /* country of the server / attacker ("" unknown; pages: list) */
    int64_t asn;        /* 0 unknown */
    const char *family; /* comma-separated families, "" none */
    ta_time_us first_seen, last_seen;
    uint64_t events;
};

/* What the writers say about the whole export. */
struct ta_share_meta {
    const char *org;
    enum ta_tlp tlp;
    int64_t from_day, to_day; /* the period (to_day may be far in the future: open) */
    char src_cc[3], dst_cc[3];
};

/* The writers: v in the order to write. TA_ERR_IO, TA_ERR_NOMEM. */
ta_err ta_share_write_stix(const struct ta_share_indicator *v, size_t n,
                           const struct ta_share_meta *m, FILE *out);
ta_err ta_share_write_misp(const struct ta_share_indicator *v, size_t n,
                           const struct ta_share_meta *m, FILE *out);

#endif
