/*
 * Detection events: the contract between the detectors (stage 6), the store
 * (stage 7) and the report (stage 8).
 *
 * An event is one attacker -> victim edge with its evidence. Roles by kind:
 *   c2 / c2-suspected:             attacker = C&C server, victim = controlled host
 *   phishing / phishing-suspected: attacker = server of the page, victim = visitor
 *   backdoor / backdoor-suspected: attacker = client sending webshell requests,
 *                                  victim = the web server
 *   payload:                       attacker = server that delivered a malware
 *                                  payload (a distribution site, often itself a
 *                                  hacked website), victim = the downloading host.
 *                                  Never a C&C server; reported apart.
 *
 * Identity. The same observed transaction is one event however many times,
 * from however many files or sensors, it arrives: the store identifies an
 * event by (kind, attacker ip and port, victim ip and port, proto, tx_index)
 * and flow_start within a clock-skew tolerance (see store.h).
 * Strings are borrowed for the duration of the callback that hands the event
 * over; a consumer that keeps an event copies what it needs.
 */
#ifndef THREATATLAS_EVENT_H
#define THREATATLAS_EVENT_H

#include "threatatlas/common.h"

enum ta_event_kind {
    TA_EVENT_C2 = 0,
    TA_EVENT_C2_SUSPECTED,
    TA_EVENT_PHISHING,
    TA_EVENT_PHISHING_SUSPECTED,
    TA_EVENT_BACKDOOR,
    TA_EVENT_BACKDOOR_SUSPECTED,
    TA_EVENT_PAYLOAD, /* download from a malware-distribution (payload) URL */
    TA_EVENT_KIND__COUNT
};

/* "c2", "c2-suspected", "phishing", ...; NULL for an invalid kind. */
const char *ta_event_kind_name(enum ta_event_kind k);
/* Inverse of ta_event_kind_name; returns false if unknown. */
bool ta_event_kind_parse(const char *name, enum ta_event_kind *out);
/* true for the confirmed kinds that the report counts (c2, phishing, backdoor). */
bool ta_event_kind_confirmed(enum ta_event_kind k);

/* How the detection was made (evidence type). */
enum ta_event_method {
    TA_METHOD_IP = 0,    /* flow to a listed IP / CIDR */
    TA_METHOD_IP_PORT,   /* flow to a listed IP:port */
    TA_METHOD_DNS,       /* host resolved a listed domain, then connected */
    TA_METHOD_SNI,       /* TLS SNI matched */
    TA_METHOD_HOST,      /* HTTP Host matched */
    TA_METHOD_URL,       /* HTTP URL matched */
    TA_METHOD_CONTENT,   /* request/response content (webshell shapes, phishing forms) */
    TA_METHOD_BEACON,    /* timing regularity, no indicator */
    TA_METHOD_PROBE,     /* request to a webshell path/URL indicator that was not answered
                            with success and a body: a probe, not proof of a planted shell */
    TA_METHOD_JA3,       /* TLS client/server fingerprint (JA3, JA3S, JA4) matched */
    TA_METHOD_CERT,      /* server certificate SHA-1 fingerprint matched */
    TA_METHOD_CERT_NAME, /* server certificate subject CN matched a domain */
    TA_METHOD_BEHAVIOUR, /* requests to a script over the input (webshells in server logs) */
    TA_METHOD__COUNT
};
const char *ta_event_method_name(enum ta_event_method m);

/* One side of an event, enriched. */
struct ta_event_side {
    struct ta_addr ip;
    uint16_t port;
    char cc[3];          /* ISO country code, "" if unknown */
    uint32_t asn;        /* 0 if unknown */
    const char *as_name; /* may be NULL */
    bool home;           /* inside the home constituency */
};

struct ta_event {
    enum ta_event_kind kind;
    enum ta_event_method method;
    ta_time_us ts;    /* time of the observation that triggered the event */
    uint64_t flow_id; /* EVE flow_id of the evidence flow */
    uint8_t proto;    /* IP protocol of the flow */
    struct ta_event_side attacker, victim;
    uint8_t confidence;    /* 0-100 */
    const char *signature; /* human-readable signature name */
    const char *family;    /* malware / webshell family, may be NULL */
    /* Matched indicator (NULL for content/beacon detections). */
    const char *indicator;
    const char *indicator_type; /* "ipv4", "domain", "url", ... */
    const char *sources;        /* comma-separated feed names */
    /* Evidence (any may be NULL). */
    const char *hostname;   /* HTTP Host / TLS SNI / resolved DNS name */
    const char *url;        /* HTTP URL (path + query) */
    const char *dns_answer; /* address the name resolved to, as text */
    const uint8_t *body;    /* first bytes of the request body (webshells) */
    size_t body_len;
    /* Report identities, computed by the detector per README definitions. */
    const char *page;    /* phishing: the page (normalised indicator URL, or host) */
    const char *website; /* backdoor: Host lower case without port, or server IP */
    /* Identity (see above). */
    ta_time_us flow_start; /* start of the evidence flow (beacons: first connection) */
    uint32_t tx_index;     /* backdoor kinds: the request's 0-based position in its
                              connection; 0 for the other kinds */
    /* Evidence of contact: the session was established (TCP: the SYN was answered or
     * data went both ways; UDP: datagrams both ways), rather than only attempted. */
    bool established;
    /* Every indicator behind the event is undated (its feed gave no first-seen or
     * validity dates), so it matched without a time check. */
    bool undated;
    /* Kept but not counted: the name of the allow list (intel source) that covers the
     * server, e.g. "top-sites" or "misp:cisco_top10k"; NULL = counted. */
    const char *suppressed_by;
    /* The evidence flow as it stood when the event was raised, for the EVE alert's flow
     * object and app_proto: counted is false when the counts are not at hand (events
     * read back from the store, beacons, whose flows are gone). */
    bool counted;
    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient;
    const char *app_proto; /* "http", "tls", "dns", "failed"; NULL when not known */
};

#endif
