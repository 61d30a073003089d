/*
 * Detectors: observations + threat intelligence -> typed, evidenced events
 * (struct ta_event, see event.h). Stage 6 of the pipeline.
 *
 * Contents
 *   1. Webshell request/response analysis (no state, no allocation)
 *   2. Beaconing scorer (bounded per-pair timing samples)
 *   3. Phishing content check (login/payment forms naming a brand)
 *   4. The detector: intel and geolocation interfaces, observation inputs,
 *      the event callback, statistics
 *
 * The detector reaches threat intel and geolocation only through the small
 * function-pointer interfaces of section 4 (struct ta_detect_intel,
 * struct ta_detect_geo), so it can be driven by the real modules or by test
 * fakes. Observations come in as the small records of section 4, filled from
 * the app-layer records by the caller (or by the observation sink adapter).
 *
 * Ownership: every pointer handed to a callback is borrowed for the duration
 * of the call; the detector copies what it keeps.
 */
#ifndef THREATATLAS_DETECT_H
#define THREATATLAS_DETECT_H

#include "threatatlas/common.h"
#include "threatatlas/event.h"
#include "threatatlas/flow.h"

/* ---------------------------------------------------------------------- */
/* 1. Webshell analysis                                                    */

enum ta_webshell_family {
    TA_WS_NONE = 0,
    TA_WS_CHOPPER,  /* China Chopper and derivatives */
    TA_WS_ANTSWORD, /* AntSword */
    TA_WS_BEHINDER, /* Behinder (Rebeyond / IceScorpion) v2-v4 */
    TA_WS_GODZILLA, /* Godzilla */
    TA_WS_GENERIC,  /* eval/assert/system/base64 command payloads */
    TA_WS_STATS,    /* body statistics only (suspected) */
    TA_WS__COUNT
};

/* "china-chopper", "antsword", "behinder", "godzilla", "generic", "suspicious-body". */
const char *ta_webshell_family_name(enum ta_webshell_family f);

/*
 * One HTTP request (and its response, if seen) in raw parts. Strings are
 * NUL-terminated and may be NULL when absent; bodies are the decoded
 * (de-chunked, decompressed) bytes as far as the app layer kept them.
 */
struct ta_webshell_input {
    const char *method;
    const char *url; /* path + query as sent */
    const char *content_type;
    const char *user_agent;
    const char *accept;
    const uint8_t *req_body;
    size_t req_len;
    const uint8_t *resp_body;
    size_t resp_len;
    bool have_resp;     /* a response was seen (resp_len may still be 0) */
    const char *cookie; /* request Cookie header as sent, NULL when absent */
};

struct ta_webshell_verdict {
    enum ta_webshell_family family;
    uint8_t confidence;    /* 0-100 */
    bool suspected;        /* only the weak body-statistics signal fired */
    const char *signature; /* static name of the rule that fired */
    double entropy;        /* Shannon entropy of the request body, bits/byte */
};

/*
 * Analyse one request. Returns true and fills *out when the request drives a
 * webshell (out->suspected distinguishes the weak signal); false (with
 * out->family TA_WS_NONE) otherwise. Reads at most the first 64 KiB of each
 * body; no allocation; safe on any bytes.
 */
bool ta_webshell_analyze(const struct ta_webshell_input *in, struct ta_webshell_verdict *out);

/* Shannon entropy of buf in bits per byte (0 for an empty buffer). */
double ta_detect_entropy(const uint8_t *buf, size_t len);

/* ---------------------------------------------------------------------- */
/* 2. Beaconing                                                            */

struct ta_beacon_opts {
    uint32_t max_pairs;      /* (host, server, port) pairs tracked (default 200,000) */
    uint32_t max_samples;    /* connection starts kept per pair, newest win (default 256) */
    uint32_t min_conns;      /* connections needed before a pair is scored (default 10) */
    uint32_t min_interval_s; /* median interval below this is not a beacon (default 5) */
    uint32_t max_interval_s; /* median interval above this is not a beacon (default 2700) */
    double threshold;        /* score at or above which a pair is reported (default 0.8) */
    /* Ignore infrastructure timers: UDP/TCP ports 53, 67, 68, 123 (NTP), 137,
     * 138, 1900, 5353 (default true). */
    bool exclude_infra_ports;
    /*
     * Prevalence: a server (address, port, proto) that at least
     * prevalence_min_hosts hosts and at least prevalence_ratio of all the
     * hosts tracked contact is shared infrastructure (update and telemetry
     * services polled by every machine), not reported (default 10 and 0.5;
     * ratio 0 turns the rule off).
     */
    uint32_t prevalence_min_hosts;
    double prevalence_ratio;
};
void ta_beacon_opts_default(struct ta_beacon_opts *o);

/* The score of one series and its parts (all in [0, 1]). */
struct ta_beacon_score {
    double score; /* (ts_score + ds_score) / 2 */
    double ts_score, ts_skew, ts_madm, ts_count;
    double ds_score, ds_skew, ds_madm, ds_small;
    uint32_t conns;
    double median_interval_s;
};

/*
 * Score a series of n connection start times (sorted or not) and sizes
 * (bytes per connection). In the spirit of RITA's beacon score:
 *   ts_skew  = 1 - |Bowley skew of the intervals|
 *   ts_madm  = 1 - MAD / median of the intervals (clamped at 0)
 *   ts_count = connections / expected connections at the median interval
 *              over the observed span, capped at 1 (gaps lower it)
 *   ds_*     = the same skew and MAD/median scores over the sizes, and
 *              ds_small = 1 - mode(size)/65535 (small, repeated payloads)
 * ts_score is the mean of the three timing scores, ds_score of the three
 * size scores. Uses a scratch buffer of 2*n doubles from the caller.
 */
void ta_beacon_score_series(const ta_time_us *ts, const uint64_t *sizes, size_t n, double *scratch,
                            struct ta_beacon_score *out);

struct ta_beacon;

ta_err ta_beacon_new(const struct ta_beacon_opts *opts, struct ta_beacon **out);
void ta_beacon_free(struct ta_beacon *b);

/* Record one connection start. */
void ta_beacon_add(struct ta_beacon *b, const struct ta_addr *host, const struct ta_addr *server,
                   uint16_t port, uint8_t proto, ta_time_us start, uint64_t bytes,
                   uint64_t flow_id);

/*
 * Record one request inside a connection (an HTTP transaction): each long
 * connection (flow_id) is a series of its own, scored like connection starts
 * (same bounds, threshold, prevalence). ta_beacon_conn_end() drops the
 * series of an ended connection that has too few requests to be scored, so
 * short connections hold no pair.
 */
void ta_beacon_add_request(struct ta_beacon *b, const struct ta_addr *host,
                           const struct ta_addr *server, uint16_t port, uint8_t proto,
                           uint64_t flow_id, ta_time_us ts, uint64_t bytes);
void ta_beacon_conn_end(struct ta_beacon *b, const struct ta_addr *host,
                        const struct ta_addr *server, uint16_t port, uint8_t proto,
                        uint64_t flow_id);

struct ta_beacon_hit {
    struct ta_addr host, server;
    uint16_t port;
    uint8_t proto;
    ta_time_us first, last;
    uint64_t last_flow_id;
    struct ta_beacon_score s;
    bool in_conn; /* requests inside one connection (last_flow_id) */
};
typedef void (*ta_beacon_fn)(void *ud, const struct ta_beacon_hit *hit);

/*
 * Score every pair with at least min_conns connections whose median
 * interval lies within the configured bounds, in a deterministic order
 * (host, server, port, proto, connection starts before request series),
 * calling fn for each at or above the threshold that was not reported
 * before, at most once per (host, server, port, proto) in one call. TA_ERR_NOMEM if the sort buffer
 * cannot be allocated (nothing is reported then).
 */
ta_err ta_beacon_report(struct ta_beacon *b, ta_beacon_fn fn, void *ud);

struct ta_beacon_stats {
    uint64_t pairs;           /* pairs currently tracked */
    uint64_t pairs_evicted;   /* pairs dropped at max_pairs (oldest activity first) */
    uint64_t samples_dropped; /* samples overwritten at max_samples */
    uint64_t scored;          /* pairs scored by ta_beacon_report */
    uint64_t reported;        /* pairs reported */
    uint64_t prevalent;       /* pairs above the threshold dropped for a prevalent server */
    size_t memory;            /* bytes held */
};
void ta_beacon_get_stats(const struct ta_beacon *b, struct ta_beacon_stats *st);

/* ---------------------------------------------------------------------- */
/* 3. Phishing content                                                     */

/* A brand: its name as it appears in pages, and its own domains. */
struct ta_phish_brand {
    const char *name;    /* matched case-insensitively as a word in the page */
    const char *domains; /* comma-separated registrable domains it owns */
};

/* The built-in brand table (n entries). */
const struct ta_phish_brand *ta_phish_brands_builtin(size_t *n);

struct ta_phish_verdict {
    const char *brand;     /* brand named by the page */
    const char *signature; /* static rule name */
    uint8_t confidence;
};

/*
 * Check an HTML response served by host: a form that posts a password or a
 * card number, in a page that names a brand, on a host that is not one of
 * the brand's own domains (or their subdomains). Reads at most 64 KiB.
 */
bool ta_phish_content_check(const char *host, const uint8_t *body, size_t len,
                            const struct ta_phish_brand *brands, size_t nbrands,
                            struct ta_phish_verdict *out);

/* ---------------------------------------------------------------------- */
/* 4. The detector                                                         */

/* Indicator kinds the detector asks about (a subset of intel's). */
enum ta_detect_ikind {
    TA_DETECT_IK_C2 = 0,
    TA_DETECT_IK_PHISHING,
    TA_DETECT_IK_WEBSHELL,
    TA_DETECT_IK_PAYLOAD, /* malware distribution: payload download URLs and hosts */
    TA_DETECT_IK__COUNT
};
#define TA_DETECT_IK_BIT(k) (1u << (unsigned)(k))

/*
 * Payload downloads. One list, shared with the intel loaders (which classify
 * URL trails by it) so that both sides agree on what a payload is.
 * ta_detect_payload_path: true when the last path segment of url (a path or
 * an absolute URL; the query and fragment are ignored) ends, case-insensitively,
 * in .exe .dll .bin .sh .ps1 .msi .scr .jar .apk .hta .vbs .elf or an ELF
 * architecture suffix (.arm .arm5 .arm6 .arm7 .mips .mpsl .x86 .x86_64 .i686
 * .m68k .ppc .sh4 .spc .sparc). Reads at most len bytes.
 * ta_detect_executable: true when body starts with an executable's magic:
 * "MZ" (PE), "\x7fELF", Mach-O (32/64-bit in either byte order, and the
 * universal 0xcafebabe header, which Java class files share).
 */
bool ta_detect_payload_path(const char *url, size_t len);
bool ta_detect_executable(const uint8_t *body, size_t len);

/* One indicator match; strings live as long as the intel behind it. */
/* Fingerprint types the detector looks up (TLS client, server, certificate). */
enum ta_detect_hash {
    TA_DETECT_HASH_JA3 = 0,
    TA_DETECT_HASH_JA3S,
    TA_DETECT_HASH_JA4,
    TA_DETECT_HASH_CERT_SHA1, /* SHA-1 of the server certificate's DER */
};

struct ta_detect_match {
    const char *value; /* canonical indicator text */
    const char *type;  /* "ipv4", "ipv6", "cidr", "ip-port", "domain", "url", "url-path" */
    enum ta_detect_ikind kind;
    uint8_t confidence;
    bool has_port;       /* an IP:port indicator */
    bool undated;        /* matched only through indicators without dates */
    const char *family;  /* may be NULL or "" */
    const char *sources; /* comma-separated feed names */
};

/*
 * Threat intel as the detector sees it. Lookups return at most one match
 * (the most specific) of a kind in `kinds` that is valid at time `at` (the
 * observation's packet time; 0 = any time). They do not apply the allowlist:
 * the detector asks the allow_* functions itself and keeps suppressed events,
 * marked. Any function may be NULL (= never matches).
 */
struct ta_detect_intel {
    void *ctx;
    /* port 0 = the flow has no port (ICMP, other protocols): IP:port indicators
     * do not match then; otherwise they match only that port. */
    bool (*match_ip)(void *ctx, const struct ta_addr *a, uint16_t port, ta_time_us at,
                     uint32_t kinds, struct ta_detect_match *out);
    bool (*match_domain)(void *ctx, const char *name, ta_time_us at, uint32_t kinds,
                         struct ta_detect_match *out);
    /* url is absolute ("http://host/path?q"); the lookup normalises it. */
    bool (*match_url)(void *ctx, const char *url, ta_time_us at, uint32_t kinds,
                      struct ta_detect_match *out);
    /*
     * Phishing URL indicators whose host is `host`: returns how many, and
     * writes the normalised URL of the first one to buf when there is one.
     */
    size_t (*phish_urls_for_host)(void *ctx, const char *host, char *buf, size_t cap);
    /* Normalise a URL for identity; false if it cannot be. */
    bool (*normalize_url)(void *ctx, const char *url, char *buf, size_t cap);
    /*
     * Allow (known-benign) entries. Each returns true when an allow entry covers
     * the value and writes the name of its list (the intel source, e.g.
     * "top-sites", "misp:cisco_top10k", "maltrail-whitelist") to list (cap bytes).
     * allow_name: `within` NULL = any allow entry covering name (the name itself or
     * a parent domain, by the entry's own exact/subdomain rule); non-NULL = only
     * entries equal to `within` or under it, so that an allowed parent domain
     * ("wordpress.com") does not cover a more specific listed name
     * ("evil.wordpress.com").
     */
    bool (*allow_ip)(void *ctx, const struct ta_addr *a, char *list, size_t cap);
    bool (*allow_name)(void *ctx, const char *name, const char *within, char *list, size_t cap);
    bool (*allow_url)(void *ctx, const char *url, char *list, size_t cap);
    /* TLS fingerprints: hex (or JA4 text) of `type`, any case, without colons. */
    bool (*match_hash)(void *ctx, enum ta_detect_hash type, const char *value, ta_time_us at,
                       uint32_t kinds, struct ta_detect_match *out);
};

/* Geolocation: fill cc, asn, as_name and home of side from side->ip. */
struct ta_detect_geo {
    void *ctx;
    void (*lookup)(void *ctx, struct ta_event_side *side);
};

/* Observation inputs (borrowed for the call; strings NUL-terminated or NULL). */
struct ta_detect_dns {
    ta_time_us ts;
    const char *qname;
    const struct ta_addr *answers; /* A/AAAA answers */
    size_t nanswers;
};

struct ta_detect_http {
    ta_time_us ts;
    uint64_t tx_index; /* 0-based position of the transaction in its connection */
    const char *method;
    const char *host; /* Host header (may carry a port) */
    const char *url;  /* request target: path + query, or absolute */
    const char *user_agent;
    const char *content_type;
    const char *accept;
    const char *cookie; /* request Cookie header, NULL when absent */
    const char *resp_content_type;
    uint16_t status;
    const uint8_t *req_body;
    size_t req_len;
    const uint8_t *resp_body;
    size_t resp_len;
    bool have_resp;
    /* The content verdicts, computed ahead by ta_detect_http_content(); NULL: the detector
     * computes them. Given, they also give req_len and resp_len, and the bodies need hold
     * only their first ta_detect_http_body_prefix() bytes. */
    const struct ta_detect_http_content *content;
    /* Body lengths as sent, for inputs that carry no bodies (sensor and server logs):
     * where a body pointer is NULL, its length as sent stands in for req_len/resp_len
     * in the answered test and the request sizes. */
    uint64_t req_sent, resp_sent;
};

/*
 * The content checks of one HTTP transaction: the webshell request shapes
 * (ta_webshell_analyze) and, on an HTML answer from a named host, the
 * phishing form check (ta_phish_content_check with the built-in brands).
 * They read only the transaction, not the detector's state, so they can run
 * ahead on another thread (the pipeline's workers); the detector then takes
 * the verdicts instead of reading the bodies again, with the same result.
 */
struct ta_detect_opts;
struct ta_detect_http_content {
    bool ws; /* a webshell request (v says which, and whether only suspected) */
    struct ta_webshell_verdict v;
    bool phish; /* a phishing form (pv) */
    struct ta_phish_verdict pv;
    /* The transaction's req_len and resp_len: with the verdicts given, the detector reads
     * no more than ta_detect_http_body_prefix() bytes of each body, so the transaction it
     * is given may carry only those (with their own lengths), and these stand in. */
    size_t req_len, resp_len;
};
void ta_detect_http_content(const struct ta_detect_http *tx, struct ta_detect_http_content *out);
/* The bytes of each body the detector reads of a transaction whose content verdicts are given
 * (an executable's magic, the evidence prefix of detect opts o). */
size_t ta_detect_http_body_prefix(const struct ta_detect_opts *o);

struct ta_detect_tls {
    ta_time_us ts;
    const char *sni; /* NULL or "" when the ClientHello had none */
    /* Fingerprints, NULL or "" when absent: JA3/JA3S lower-case hex MD5, JA4
     * text, the server certificate's SHA-1 (hex, colons allowed) and its
     * subject in Suricata's form ("C=US, O=Org, CN=name"). */
    const char *ja3, *ja3s, *ja4;
    const char *cert_sha1;
    const char *cert_subject;
    /* The certificate's subjectAltName dNSNames, as written (wildcards kept). */
    const char *const *cert_san;
    size_t n_cert_san;
};

struct ta_detect_opts {
    /* DNS (host, address) -> c2 domain cache, about 120 bytes an entry (default 1,000,000) */
    uint32_t max_resolutions;
    /* per-flow marks: kinds reported (de-duplication) and the allow list covering a name the
     * flow used for a listed server, 68 bytes of value each (default 200,000) */
    uint32_t max_flow_marks;
    uint32_t resolution_ttl_s;  /* a resolution is used for this long (default 3600) */
    size_t evidence_body_bytes; /* request body prefix kept as evidence (default 256) */
    bool beacon;                /* run the beaconing scorer (default true) */
    bool phish_content;         /* run the phishing content check (default true) */
    bool webshell_suspected;    /* report body-statistics hits (default true) */
    struct ta_beacon_opts beacon_opts;
    /* c2 domains those resolutions refer to, with their intel match, ~870 bytes each
     * (default 65,536; 0 = default) */
    uint32_t max_c2_domains;
    /* server address -> last DNS/SNI/Host name, for the allowlist (default 100,000; 0 = default) */
    uint32_t max_names;
    /*
     * Webshells by behaviour, for inputs without bodies (server logs): per (server, port, Host,
     * script path) profile of the requests, about 800 bytes each, LRU (default 50,000; 0 =
     * default). A script (.php, .jsp, .aspx...) never requested with GET or another method,
     * POSTed to by at most script_max_clients addresses (default 3, at most 4), with at least
     * script_min_posts POSTs answered 2xx (default 10) whose answer sizes are non-empty and lie
     * within script_size_spread bytes of each other, or whose answer-minus-request sizes do
     * (default 32), is reported at the end of the input: one backdoor-suspected event (method
     * behaviour) per script and client, unless a webshell event by URL or content already
     * named the script. 0 = default for each.
     */
    bool no_script_behaviour; /* turn the profiles off (default false) */
    uint32_t max_scripts;
    uint32_t script_min_posts;
    uint32_t script_max_clients;
    uint32_t script_size_spread;
};
void ta_detect_opts_default(struct ta_detect_opts *o);

typedef void (*ta_detect_event_fn)(void *ud, const struct ta_event *ev);

struct ta_detector;

/* intel and geo are copied (their ctx pointers must outlive the detector); geo may be NULL. */
ta_err ta_detector_new(const struct ta_detect_opts *opts, const struct ta_detect_intel *intel,
                       const struct ta_detect_geo *geo, ta_detect_event_fn fn, void *ud,
                       struct ta_detector **out);
void ta_detector_free(struct ta_detector *d);
/* Swap the intel (e.g. after a reload); cached resolutions are kept (they hold copies). */
void ta_detector_set_intel(struct ta_detector *d, const struct ta_detect_intel *intel);

/* Feed observations. A flow's dns/http/tls records come before its flow end. */
void ta_detector_dns(struct ta_detector *d, const struct ta_flow *f, const struct ta_detect_dns *r);
void ta_detector_http(struct ta_detector *d, const struct ta_flow *f,
                      const struct ta_detect_http *tx);
void ta_detector_tls(struct ta_detector *d, const struct ta_flow *f, const struct ta_detect_tls *t);
/* A client burst of encrypted application data (index: 0-based in the
 * connection, bytes: its size): request timing where no HTTP is visible. */
void ta_detector_tls_data(struct ta_detector *d, const struct ta_flow *f, ta_time_us ts,
                          uint64_t index, uint64_t bytes);
/* The flow ended: IP, IP:port and DNS-resolution checks, beacon sample. */
void ta_detector_flow_end(struct ta_detector *d, const struct ta_flow *f);
/* End of input: report beaconing pairs and scripts by behaviour. */
void ta_detector_finish(struct ta_detector *d);

struct ta_detect_stats {
    uint64_t events[TA_EVENT_KIND__COUNT];
    uint64_t deduplicated; /* detections folded into an earlier event of the flow */
    uint64_t allowlisted;  /* detections dropped by the allowlist (beacons) */
    /* Events kept but marked suppressed_by an allow list (also in events[]). */
    uint64_t suppressed[TA_EVENT_KIND__COUNT];
    uint64_t resolutions;         /* c2 resolutions cached now */
    uint64_t resolutions_evicted; /* dropped at max_resolutions */
    uint64_t marks_evicted;       /* de-duplication marks dropped at the cap */
    uint64_t suspected_to_c2;     /* suspected webshell requests to known C&C servers, dropped */
    uint64_t c2_domains_evicted;  /* c2 domains dropped at max_c2_domains (their resolutions
                                     are then unusable) */
    uint64_t http_seen, dns_seen, tls_seen, flows_seen;
    uint64_t scripts;          /* script profiles held now */
    uint64_t scripts_evicted;  /* script profiles dropped at max_scripts */
    uint64_t scripts_reported; /* script profiles reported by behaviour */
    struct ta_beacon_stats beacon;
    size_t memory;
};
void ta_detector_get_stats(const struct ta_detector *d, struct ta_detect_stats *st);

/* ---------------------------------------------------------------------- */
/* 4b. Wiring to the real modules                                          */
/*
 * These connect the detector to the proto, intel and enrich modules.
 */

struct ta_intel_db;
struct ta_intel_index;
struct ta_geo;
struct ta_obs_sink;

/*
 * Intel adapter over a match index. db (may be NULL) is read once to learn
 * the phishing URL indicators per host (for SNI page identity); idx is
 * borrowed and must outlive the adapter. Matches honour `at` (the index's
 * time windows) and report `undated`; malware-distribution indicators answer
 * TA_DETECT_IK_PAYLOAD; allow_* name the allow entry's first source.
 */
struct ta_detect_intel_adapter;
ta_err ta_detect_intel_adapter_new(struct ta_intel_db *db, const struct ta_intel_index *idx,
                                   struct ta_detect_intel_adapter **out);
void ta_detect_intel_adapter_free(struct ta_detect_intel_adapter *a);
/* The interface to hand to ta_detector_new() / ta_detector_set_intel(). */
void ta_detect_intel_adapter_ops(struct ta_detect_intel_adapter *a, struct ta_detect_intel *out);

/* Geolocation adapter over an open ta_geo (borrowed). */
void ta_detect_geo_ops(const struct ta_geo *g, struct ta_detect_geo *out);

/* An observation sink that feeds the detector from the proto module's records. */
void ta_detector_sink(struct ta_detector *d, struct ta_obs_sink *out);

/* The detector's view of an app-layer HTTP transaction (borrowing its strings); false when
 * the transaction has no request (the sink does not feed those). */
struct ta_http_tx;
bool ta_detect_http_of(const struct ta_http_tx *tx, struct ta_detect_http *out);
/*
 * The content verdicts (ta_detect_http_content) of the next HTTP transaction
 * the sink feeds, computed ahead; used once. c must stay valid until then.
 */
void ta_detector_next_http_content(struct ta_detector *d, const struct ta_detect_http_content *c);

#endif
