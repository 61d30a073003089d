/*
 * The attribution report (stage 8): counts of confirmed detections by
 * attacker country -> victim country over whole UTC days, as a national
 * CERT publishes them, computed from the store's per-day rollups; the
 * evidence lists behind each count; and the event export. Everything is
 * read through the store's query API (threatatlas/store.h), so any store
 * backend serves it; this module computes, formats and writes.
 *
 * Counting definitions (also in README.md, "Report"):
 *   botnet   c2_servers       distinct C&C server IPs in X that exchanged
 *                             traffic in the period with a host in Y
 *            controlled_hosts distinct host IPs in Y that contacted a C&C
 *                             server in X
 *   phishing phishing_hosts   distinct server IPs in X serving phishing pages
 *                             visited from Y
 *            phishing_pages   distinct pages (normalised indicator URL, or
 *                             host for SNI-only visits)
 *            phishing_attacks visits = flows from Y on which a page was
 *                             requested or whose SNI matched (a flow is
 *                             dated by its first phishing event)
 *   backdoor attacker_ips     distinct client IPs in X making backdoor
 *                             requests to websites hosted in Y
 *            compromised_websites distinct websites (Host, lower case, no
 *                             port; server IP without Host)
 *            backdoor_attacks backdoor requests (one event each)
 *   payload  payload_hosts    distinct servers in X that delivered malware
 *                             payloads to hosts in Y (never counted as C&C)
 *            downloading_hosts distinct hosts in Y; downloads: events
 * Suspected kinds are counted the same way in separate rows, never mixed in.
 * Suppressed events (an allow list covers the server) are never counted;
 * the report says how many there were, per kind and list.
 *
 *   struct ta_report_query q; ta_report_query_init(&q);
 *   ta_report_query_dates(&q, "2014-03-19", "2014-05-18");
 *   struct ta_report *r; ta_report_compute(st, &q, &r);
 *   ta_report_write(r, TA_REPORT_FMT_TEXT, stdout); ta_report_free(r);
 */
#ifndef THREATATLAS_REPORT_H
#define THREATATLAS_REPORT_H

#include <stdio.h>

#include "threatatlas/common.h"
#include "threatatlas/share.h"
#include "threatatlas/store.h"

#define TA_REPORT_GEO_CREDIT "IP geolocation: ip-location-db (CC BY 4.0)"
/* Also said when the location-based country source (DB-IP Lite) was used or compared. */
#define TA_REPORT_DBIP_CREDIT "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"

struct ta_report_query {
    int64_t from_day, to_day; /* day numbers (ta_store_day), both included */
    char src_cc[3];           /* "" = every attacker country */
    char dst_cc[3];           /* "" = every victim country */
};

void ta_report_query_init(struct ta_report_query *q);
/* Parse "YYYY-MM-DD" dates; TA_ERR_ARG if invalid or from > to. */
ta_err ta_report_query_dates(struct ta_report_query *q, const char *from, const char *to);
/* Set a country filter ("US"; case-insensitive); TA_ERR_ARG unless 2 letters. */
ta_err ta_report_query_cc(char cc[3], const char *text);

enum ta_report_format { TA_REPORT_FMT_TEXT = 0, TA_REPORT_FMT_JSON, TA_REPORT_FMT_CSV };
bool ta_report_format_parse(const char *s, enum ta_report_format *out);

enum ta_report_section {
    TA_REPORT_BOTNET = 0,
    TA_REPORT_PHISHING,
    TA_REPORT_BACKDOOR,
    TA_REPORT_PAYLOAD /* payload_hosts (attackers), downloading_hosts (targets), downloads */
};

/* One country pair of one section. */
struct ta_report_row {
    char src_cc[3], dst_cc[3];
    uint64_t attackers;   /* c2_servers | phishing_hosts | attacker_ips */
    uint64_t targets;     /* controlled_hosts | phishing_pages | compromised_websites */
    uint64_t flows;       /* phishing: phishing_attacks */
    uint64_t events;      /* backdoor: backdoor_attacks; payload: downloads; others: events */
    uint64_t established; /* botnet: controlled_hosts_established, hosts seen with an
                             established session */
    uint64_t undated;     /* botnet: c2_servers_undated, counted servers that rest only on
                             undated indicators */
};

struct ta_report;

/* Compute the report; *out owned by the caller (ta_report_free). */
ta_err ta_report_compute(struct ta_store *st, const struct ta_report_query *q,
                         struct ta_report **out);
void ta_report_free(struct ta_report *r);

/* Rows of a section, sorted largest first; suspected rows kept apart (payload has none). */
size_t ta_report_rows(const struct ta_report *r, enum ta_report_section sec, bool suspected,
                      const struct ta_report_row **rows);
/* true if no analysis is stored at all. */
bool ta_report_db_empty(const struct ta_report *r);
/* Suppressed events of the period: how many of kind were kept out of the counts by list. */
struct ta_report_suppressed {
    enum ta_event_kind kind;
    const char *list; /* allow list (intel source) name */
    uint64_t events;
};
size_t ta_report_suppressed(const struct ta_report *r, const struct ta_report_suppressed **out);
/* Sensors of the runs overlapping the period, sorted. */
size_t ta_report_sensors(const struct ta_report *r, const char *const **out);
/* true if the period (with filters) holds no detection. */
bool ta_report_period_empty(const struct ta_report *r);

/*
 * Two country sources compared over the counted addresses (C&C servers,
 * controlled hosts, phishing hosts, backdoor attackers of the period): how
 * many the two place in different countries. Measured by the caller (which
 * can open both GeoIP sources), written by every format: a text footer line,
 * JSON data.geo_compare, an HTML data row. a and b are copied.
 */
ta_err ta_report_set_geo_compare(struct ta_report *r, const char *a, const char *b,
                                 uint64_t addresses, uint64_t different);

/* Write in fmt. TA_ERR_IO on write failure. */
ta_err ta_report_write(const struct ta_report *r, enum ta_report_format fmt, FILE *out);

/*
 * HTML (report --format html): one self-contained page, with no script and
 * nothing fetched when opened: the statement (as the text report, or in
 * Chinese), a world map shaded by C&C servers, controlled hosts, phishing
 * hosts or backdoor attackers per country (CSS-switched layers) with lines
 * to the home constituency, the pair tables (the JSON report's numbers),
 * daily series, top countries, ASNs, families and servers, data versions
 * and credits, and the evidence lists the table rows link to. st is the
 * store r was computed from. Map shapes and country names are read from
 * the packages `geo install` puts in place (enrich.h TA_GEO_PKG_ATLAS_*,
 * TA_GEO_PKG_NAMES_*). On failure why says what (e.g. the map data is not
 * installed: TA_ERR_NOTFOUND).
 */
struct ta_report_html_opts {
    const char *atlas_file; /* world-atlas countries-50m.json */
    const char *names_dir;  /* the i18n-iso-countries package (codes.json, langs/) */
    bool lang_zh;           /* Chinese statement, names and headings */
    const char *db_label;   /* the database as the evidence commands name it */
    /* Credits of the map data and names, shown beside the GeoIP credit. */
    const char *map_credit, *names_credit;
};
ta_err ta_report_write_html(struct ta_store *st, const struct ta_report *r,
                            const struct ta_report_html_opts *o, FILE *out, char *why,
                            size_t whylen);

/* Evidence lists (confirmed events of the period, filters applied); the
 * store's lists (enum ta_store_list), in the same order. */
enum ta_report_list {
    TA_LIST_C2_SERVERS = 0,
    TA_LIST_CONTROLLED_HOSTS,
    TA_LIST_PHISHING_HOSTS,
    TA_LIST_PHISHING_PAGES,
    TA_LIST_BACKDOOR_SOURCES,
    TA_LIST_BACKDOORED_SITES,
    TA_LIST__COUNT
};
/* A list by its name ("c2-servers", ...: ta_store_list_name()); false for an unknown name. */
bool ta_report_list_parse(const char *s, enum ta_report_list *out);
/* Write the list, largest first; limit 0 = no limit. */
ta_err ta_report_list_write(struct ta_store *st, const struct ta_report_query *q,
                            enum ta_report_list l, size_t limit, enum ta_report_format fmt,
                            FILE *out);

/* Event export (threatatlas events). STIX and MISP share indicators, not
 * events: see ta_report_share_write. */
enum ta_events_format {
    TA_EVENTS_FMT_EVE = 0,
    TA_EVENTS_FMT_INTELMQ,
    TA_EVENTS_FMT_CSV,
    TA_EVENTS_FMT_STIX, /* STIX 2.1 bundle */
    TA_EVENTS_FMT_MISP  /* MISP event */
};
bool ta_events_format_parse(const char *s, enum ta_events_format *out);
/*
 * Write the stored events (each distinct event once, as committed) with
 * ts >= since, oldest first.
 * type: "c2", "phishing", "backdoor" (each with its suspected kind), "payload" or NULL
 * for all. *count receives the number written.
 */
ta_err ta_report_events_write(struct ta_store *st, const char *type, ta_time_us since,
                              enum ta_events_format fmt, FILE *out, uint64_t *count);

/*
 * Sharing: the counted things of the period (C&C servers, phishing pages,
 * backdoor attacker IPs), each once with first/last seen and its number of
 * events, as a STIX 2.1 bundle or a MISP event that partner CERTs import.
 * They are read from the evidence lists, so the period and country filters
 * of the report apply, and only what the report counts is shared (no
 * suspected or suppressed events). Output is deterministic: ids are derived
 * from the content, times come from the data.
 */
struct ta_share_opts {
    const char *org; /* the CERT sharing (identity / Orgc name); NULL: "threatatlas" */
    enum ta_tlp tlp;
    uint32_t kinds; /* 1u << TA_EVENT_C2 | PHISHING | BACKDOOR; 0 = all three */
};

/* Write the shared indicators of the period in fmt (STIX or MISP only,
 * else TA_ERR_ARG); *count receives the number of indicators. */
ta_err ta_report_share_write(struct ta_store *st, const struct ta_report_query *q,
                             const struct ta_share_opts *o, enum ta_events_format fmt, FILE *out,
                             uint64_t *count);

#endif
