/*
 * Threat intelligence: indicator model, feed loaders, the SQLite indicator
 * store and the in-memory match index.
 *
 * Pipeline position: feeds are imported into the shared database once
 * (`threatatlas intel import`); at start-up a long-running stage builds a
 * ta_intel_index from the database and the detectors query it for every
 * flow, DNS answer, HTTP request and TLS SNI.
 *
 * Contents
 *   1. Indicator model: types, kinds, the indicator record
 *   2. Parsing feeds: formats, detection, the parser entry point
 *   3. The database: open, import, list, stats, expire
 *   4. The index: build (time windows, allow files), match IP / domain / URL /
 *      hash, allow lookups, stats
 *   5. URL normalisation
 *
 * Ownership: every pointer handed to a callback is borrowed for the duration
 * of the call. Match results point into the index and stay valid until
 * ta_intel_index_free().
 */
#ifndef THREATATLAS_INTEL_H
#define THREATATLAS_INTEL_H

#include "threatatlas/common.h"

/* ---------------------------------------------------------------------- */
/* 1. Indicator model                                                      */

enum ta_intel_type {
    TA_INTEL_IP = 0,   /* single IPv4/IPv6 address */
    TA_INTEL_CIDR,     /* network, host bits cleared: "10.0.0.0/8" */
    TA_INTEL_IP_PORT,  /* "1.2.3.4:443", "[2001:db8::1]:443" */
    TA_INTEL_DOMAIN,   /* lower case, no trailing dot */
    TA_INTEL_URL,      /* normalised URL, see ta_intel_url_normalize() */
    TA_INTEL_URL_PATH, /* an HTTP path without host, e.g. a webshell "/x.php" */
    TA_INTEL_JA3,      /* lower-case hex digests */
    TA_INTEL_JA3S,
    TA_INTEL_JA4, /* JA4 fingerprint text, lower case */
    TA_INTEL_MD5,
    TA_INTEL_SHA1,
    TA_INTEL_SHA256,
    TA_INTEL_SHA512, /* stored and listed; no observation carries one to match */
    TA_INTEL_TYPE__COUNT
};

/* IntelMQ's classification types are the reference for these. */
enum ta_intel_kind {
    TA_INTEL_KIND_C2 = 0,
    TA_INTEL_KIND_PHISHING,
    TA_INTEL_KIND_MALWARE_DIST, /* "malware-distribution" */
    TA_INTEL_KIND_WEBSHELL,
    TA_INTEL_KIND_SCANNER,
    TA_INTEL_KIND_COMPROMISED,
    TA_INTEL_KIND_OTHER,
    TA_INTEL_KIND_ALLOW, /* known benign: answered by the ta_intel_allow_*() lookups */
    /* Suspicious, not malicious (maltrail's suspicious trails: TLDs, dynamic DNS,
     * DGA, onion...): kept for context, never counted on its own. */
    TA_INTEL_KIND_SUSPICIOUS,
    TA_INTEL_KIND__COUNT
};

/*
 * What a kind does downstream (the detector, the report):
 *   c2, phishing, webshell   raise counted events
 *   malware-distribution     raises `payload` events, reported apart, never as C&C
 *   scanner, compromised, other, suspicious   never raise an event
 *   allow                    marks a value as known benign (see ta_intel_allow_ip())
 * Kinds are stored as integers: new kinds are appended, never renumbered.
 */
/* True for the kinds that never raise an event on their own. */
bool ta_intel_kind_silent(enum ta_intel_kind k);

/* Bit for a kind in a kind mask (0 as a mask means "every kind but allow"). */
#define TA_INTEL_KIND_BIT(k) (1u << (unsigned)(k))

/* Static names ("ipv4"...). Parse returns false for unknown names. */
const char *ta_intel_type_name(enum ta_intel_type t);
bool ta_intel_type_parse(const char *name, enum ta_intel_type *out);
const char *ta_intel_kind_name(enum ta_intel_kind k); /* "c2", "malware-distribution" ... */
bool ta_intel_kind_parse(const char *name, enum ta_intel_kind *out);

/*
 * One indicator as a loader produces it and as the database stores it (one
 * row per value and source). Strings are NUL-terminated, borrowed; optional
 * ones are NULL or "". Times are microseconds since the epoch, 0 = unknown.
 */
struct ta_intel_indicator {
    enum ta_intel_type type;
    enum ta_intel_kind kind;
    const char *value;   /* canonical text (see enum ta_intel_type) */
    const char *source;  /* feed name, e.g. "feodo" */
    uint8_t confidence;  /* 0-100 */
    bool exact;          /* domains only: do not match subdomains */
    const char *family;  /* malware family */
    const char *brand;   /* phishing target brand */
    const char *country; /* phishing target country, ISO 3166 alpha-2 */
    ta_time_us first_seen;
    ta_time_us last_seen;
    ta_time_us valid_until;
};

/*
 * Time validity. An indicator is *dated* when its feed gave a first-seen (or
 * STIX valid-from) date: first_seen != 0. Loaders never invent dates (a feed
 * without them gives 0 = unknown). A dated indicator matches an observation at
 * time `at` only inside [first_seen - grace_before, end], where end is
 * valid_until when given, else last_seen + grace_after when given, else open.
 * Undated indicators match at any time (unless the index is built with
 * skip_undated). Each source of a value has its own window.
 */

/*
 * Canonicalise text of an indicator value. If *type is TA_INTEL_TYPE__COUNT
 * the type is guessed (IP, CIDR, IP:port, URL, path, domain, hash by length);
 * otherwise the text must be of that type. Writes the canonical text to out.
 * Returns false (with a static reason in *why if why != NULL) when invalid.
 */
bool ta_intel_value_canon(const char *s, size_t len, enum ta_intel_type *type, char *out,
                          size_t outcap, const char **why);

/* ---------------------------------------------------------------------- */
/* 2. Parsing feeds                                                        */

enum ta_intel_format {
    TA_INTEL_FMT_AUTO = 0,
    TA_INTEL_FMT_PLAIN,          /* one value per line; kind from options */
    TA_INTEL_FMT_FEODO_CSV,      /* abuse.ch Feodo Tracker CSV */
    TA_INTEL_FMT_FEODO_JSON,     /* Feodo Tracker ipblocklist.json */
    TA_INTEL_FMT_FEODO_LIST,     /* Feodo Tracker ipblocklist.txt */
    TA_INTEL_FMT_URLHAUS_CSV,    /* abuse.ch URLhaus CSV dump */
    TA_INTEL_FMT_THREATFOX_CSV,  /* ThreatFox CSV export */
    TA_INTEL_FMT_THREATFOX_JSON, /* ThreatFox JSON export or API answer */
    TA_INTEL_FMT_OPENPHISH,      /* OpenPhish feed.txt */
    TA_INTEL_FMT_OPENPHISH_CSV,  /* OpenPhish premium CSV (header row) */
    TA_INTEL_FMT_PHISHTANK_JSON,
    TA_INTEL_FMT_PHISHTANK_CSV,
    TA_INTEL_FMT_MALTRAIL, /* maltrail trail file (family = file name) */
    TA_INTEL_FMT_STIX2,    /* STIX 2.x bundle */
    TA_INTEL_FMT_MISP,     /* MISP event / attribute JSON, MISP feed event */
    TA_INTEL_FMT_ZEEK,     /* Zeek intel framework file */
    TA_INTEL_FMT_IPREP,    /* Suricata iprep list "ip,category,score" */
    TA_INTEL_FMT_ET_RULES, /* Emerging Threats rules: the IP lists inside them */
    /* maltrail's compiled trails.csv: "trail,info,reference" (kind from info) */
    TA_INTEL_FMT_MALTRAIL_CSV,
    /* MISP warninglist list.json: allow entries, source "misp:<name>" */
    TA_INTEL_FMT_MISP_WARNINGLIST,
    /* npm top-sites top-sites.json: [{rank, rootDomain, ...}]: allow domains */
    TA_INTEL_FMT_TOP_SITES,
    /* Bambenek Consulting C&C master lists "value,description,date,manual" */
    TA_INTEL_FMT_BAMBENEK,
    /* Spamhaus DROP / EDROP "network ; SBLnnn" (ASN-DROP: unsupported) */
    TA_INTEL_FMT_SPAMHAUS_DROP,
    /* OpenPhish premium JSON: one object per line (url, brand, ...) */
    TA_INTEL_FMT_OPENPHISH_JSON,
    /* abuse.ch SSLBL JA3 fingerprints CSV "ja3_md5,Firstseen,Lastseen,Listingreason" */
    TA_INTEL_FMT_SSLBL_JA3,
    /* abuse.ch SSLBL SSL certificate blacklist CSV "Listingdate,SHA1,Listingreason" */
    TA_INTEL_FMT_SSLBL_CERT,
    TA_INTEL_FMT__COUNT
};

const char *ta_intel_format_name(enum ta_intel_format f); /* "feodo", "stix2", ... */
bool ta_intel_format_parse(const char *name, enum ta_intel_format *out);
/* Guess a format from content (name is the file name, may be NULL). */
enum ta_intel_format ta_intel_format_detect(const uint8_t *buf, size_t len, const char *name,
                                            bool have_kind);

struct ta_intel_file_report;
/* Called by an import after each file (inside a directory: each file). */
typedef void (*ta_intel_file_fn)(void *user, const struct ta_intel_file_report *rep);

/* Options for parsing and importing; zero-initialise then set. */
struct ta_intel_load_opts {
    enum ta_intel_format format; /* AUTO = detect */
    const char *source;          /* override the source name (NULL = per format) */
    bool have_kind;              /* kind below is set (required for PLAIN) */
    enum ta_intel_kind kind;     /* override/give the kind */
    int confidence;              /* -1 or 0 = per format; 1..100 overrides */
    const char *family;          /* default family for plain lists */
    ta_time_us feed_time;        /* unused: loaders keep only the dates a feed gives */
    unsigned valid_days;         /* valid_until = last_seen + days when the feed has one */
    bool misp_all;               /* MISP: also attributes with to_ids false */
    const char *file_name;       /* for maltrail family/category; set by import */
    /* Private and special-purpose addresses (RFC 1918, loopback, link-local,
     * CGNAT, documentation, ULA, multicast ...) are refused as indicators
     * (rejected, counted in res->reserved) unless this is set: a lab's or a
     * test's own feed. */
    bool allow_private;
    /* Suricata iprep: the categories file's text ("id,short name,
     * description" lines, NUL-terminated) that gives each category its kind;
     * NULL = every category "other". Import finds categories.txt beside an
     * iprep file itself. */
    const char *iprep_categories;
    ta_intel_file_fn on_file; /* import: per-file report (may be NULL) */
    void *on_file_user;
};

#define TA_INTEL_MAX_REJECT_SHOWN 10
#define TA_INTEL_REASON_LEN       96

struct ta_intel_reject {
    char file[160]; /* import: the file (inside a directory); "" for a parse */
    uint64_t line;  /* 1-based line; for JSON the element index */
    char reason[TA_INTEL_REASON_LEN];
};

/* What a parse or an import did. */
struct ta_intel_load_result {
    enum ta_intel_format format; /* format used */
    uint64_t accepted;           /* indicators emitted */
    uint64_t rejected;           /* malformed lines/elements */
    uint64_t unsupported;        /* well-formed but not representable (STIX patterns ...) */
    uint64_t skipped;            /* deliberately ignored (comments, to_ids false ...) */
    uint64_t inserted;           /* import: new rows */
    uint64_t updated;            /* import: existing rows whose data changed */
    uint64_t by_kind[TA_INTEL_KIND__COUNT]; /* accepted indicators per kind */
    uint64_t files;                         /* import: files read */
    uint64_t files_skipped;                 /* files or lists deliberately not imported */
    const char *skip_reason; /* static: why a parse deliberately imported nothing, or NULL */
    char list[64];           /* MISP warninglist id (its folder name), or "" */
    uint64_t reserved;       /* of rejected: private/special-purpose addresses */
    size_t nshown;
    struct ta_intel_reject shown[TA_INTEL_MAX_REJECT_SHOWN]; /* first rejects */
    size_t nunsup_shown;
    struct ta_intel_reject unsup_shown[TA_INTEL_MAX_REJECT_SHOWN]; /* first unsupported */
};

/*
 * Per-file detail of an import, handed to opts->on_file after each file
 * (also for files skipped on purpose or in which nothing parsed). counts are
 * that file's alone; skip_reason is a static text when the whole file was
 * deliberately not imported (a MISP warninglist of hashes, of rentable cloud
 * ranges ...), "" otherwise; list is the warninglist name ("" for others).
 */
struct ta_intel_file_report {
    const char *file;
    const char *list;
    const char *skip_reason;
    const struct ta_intel_load_result *counts;
};

/* Called per indicator; a non-OK return stops the parse with that error. */
typedef ta_err (*ta_intel_emit_fn)(void *user, const struct ta_intel_indicator *ind);

/*
 * Parse a feed held in memory. Malformed lines are counted in res (never an
 * error); returns TA_ERR_FORMAT when the format cannot be detected, when the
 * document itself is unreadable (bad JSON), or when nothing was accepted while
 * something was rejected. res is overwritten.
 */
ta_err ta_intel_parse(const uint8_t *buf, size_t len, const struct ta_intel_load_opts *opts,
                      ta_intel_emit_fn emit, void *user, struct ta_intel_load_result *res);

/* ---------------------------------------------------------------------- */
/* 3. The database                                                         */

struct ta_intel_db;

/*
 * 2: dates are what the feed gave (0 = unknown); version-1 rows became undated.
 * 3: one row per (type, value, source, kind), where a second kind of a value
 *    from the same source used to replace the first; older tables are rebuilt
 *    with their rows on open.
 */
#define TA_INTEL_SCHEMA_VERSION 3

/*
 * Open or create the database at path (WAL mode), creating the intel_ tables
 * and the shared meta table. A database whose meta `schema.intel` is newer
 * than TA_INTEL_SCHEMA_VERSION is refused with TA_ERR_UNSUPPORTED. On error
 * a one-line explanation is written to err (if errlen > 0).
 */
ta_err ta_intel_db_open(const char *path, struct ta_intel_db **out, char *err, size_t errlen);
/*
 * Open an existing database for reading only (listing, statistics, lookups):
 * never creates or writes anything. A missing file is TA_ERR_NOTFOUND; a
 * file that is not a threatatlas database (no meta table: an empty file,
 * another program's SQLite file), a truncated one, or one that holds no
 * intel tables is TA_ERR_FORMAT; a newer intel schema TA_ERR_UNSUPPORTED.
 * Import, insert and expire fail on such a handle.
 */
ta_err ta_intel_db_open_readonly(const char *path, struct ta_intel_db **out, char *err,
                                 size_t errlen);
void ta_intel_db_close(struct ta_intel_db *db);
/* Last SQLite error message of db (static until the next call). */
const char *ta_intel_db_errmsg(const struct ta_intel_db *db);

/*
 * Import one file or directory (recursively, files in name order) in a single
 * transaction. A file in which nothing parses is TA_ERR_FORMAT and nothing is
 * stored; inside a directory such files are counted in res->rejected and
 * skipped. On any error the database is left as before the call.
 */
ta_err ta_intel_db_import_path(struct ta_intel_db *db, const char *path,
                               const struct ta_intel_load_opts *opts,
                               struct ta_intel_load_result *res);
/* Import a buffer (name is recorded as the file name) in one transaction. */
ta_err ta_intel_db_import_buffer(struct ta_intel_db *db, const char *name, const uint8_t *buf,
                                 size_t len, const struct ta_intel_load_opts *opts,
                                 struct ta_intel_load_result *res);

/*
 * Store indicators given directly (generators, tests, the bench) in one
 * transaction. Values are canonicalised as their type; bad ones are rejected
 * and counted in res like a feed's lines (line = array index + 1). Private
 * and special-purpose addresses are kept: the caller chose them.
 */
ta_err ta_intel_db_insert(struct ta_intel_db *db, const struct ta_intel_indicator *inds, size_t n,
                          struct ta_intel_load_result *res);

/* Filter for listing; zero = everything. */
struct ta_intel_filter {
    bool have_kind;
    enum ta_intel_kind kind;
    const char *source;
    bool have_type;
    enum ta_intel_type type;
};

/* Calls fn for each stored row ordered by type, value, source, kind. */
ta_err ta_intel_db_list(struct ta_intel_db *db, const struct ta_intel_filter *filter,
                        ta_intel_emit_fn fn, void *user);

/* Per-group counts for `intel stats`: called with (what, name, count) where
 * what is "source", "kind", "type", "total". */
typedef void (*ta_intel_count_fn)(void *user, const char *what, const char *name, uint64_t count);
/* Import runs, most recent last. */
struct ta_intel_import_run {
    int64_t id;
    ta_time_us at;
    const char *file;
    const char *format;
    uint64_t accepted, rejected, unsupported, inserted, updated;
};
typedef void (*ta_intel_run_fn)(void *user, const struct ta_intel_import_run *run);
ta_err ta_intel_db_stats(struct ta_intel_db *db, ta_intel_count_fn counts, ta_intel_run_fn runs,
                         void *user);
/*
 * Only the rows per source (what "source"), through the index on source:
 * what a run records of the intel it matched with. ta_intel_db_stats' other
 * groups sort every row, seconds with millions of indicators.
 */
ta_err ta_intel_db_source_counts(struct ta_intel_db *db, ta_intel_count_fn counts, void *user);

/* Delete rows whose valid_until (or, if none, last_seen) is before t; rows
 * with neither (undated) never expire. */
ta_err ta_intel_db_expire(struct ta_intel_db *db, ta_time_us before, uint64_t *deleted);
/*
 * Delete the rows of one source (filter->source, required: TA_ERR_ARG
 * without it), only those of filter's kind and type when it has them, in one
 * transaction; *deleted counts them. How a kind a feed no longer gives, or a
 * wrong --kind given to an import, is taken out: an import only adds and
 * updates rows.
 */
ta_err ta_intel_db_remove(struct ta_intel_db *db, const struct ta_intel_filter *filter,
                          uint64_t *deleted);

/*
 * Fetched sources (threatatlas intel fetch). The validators of a source's
 * last accepted download, kept in the table intel_fetch; times in µs (whole
 * seconds), 0 = never.
 */
struct ta_intel_fetch_state {
    char url[1024];
    char etag[256];
    char last_modified[64];
    ta_time_us fetched; /* last successful request (200 or 304) */
    ta_time_us changed; /* last download that replaced the source */
};
/* The stored state of source (all empty when it was never fetched). */
ta_err ta_intel_db_fetch_state_get(struct ta_intel_db *db, const char *source,
                                   struct ta_intel_fetch_state *out);
/* Record a request at now; changed says the source was replaced by it. */
ta_err ta_intel_db_fetch_state_set(struct ta_intel_db *db, const char *source,
                                   const struct ta_intel_fetch_state *fs, ta_time_us now,
                                   bool changed);
/*
 * Replace the indicators of source opts->source (required) by the feed in
 * buf, in one transaction: listed values are imported as by
 * ta_intel_db_import_buffer (a value already stored keeps its first_seen)
 * and take the validity the feed gives them now; stored values of the source
 * the feed no longer lists end at now (valid_until = now; an undated one
 * becomes valid from 1970 to now), so analyses of earlier traffic still match
 * them. *expired counts those. A feed in which nothing is accepted is
 * TA_ERR_FORMAT and, like any error, leaves the database as it was. With fs,
 * the fetch state is stored in the same transaction.
 */
ta_err ta_intel_db_replace_source(struct ta_intel_db *db, const char *name, const uint8_t *buf,
                                  size_t len, const struct ta_intel_load_opts *opts,
                                  const struct ta_intel_fetch_state *fs, ta_time_us now,
                                  struct ta_intel_load_result *res, uint64_t *expired);

/*
 * Download one feed (libcurl) and replace its source. A conditional request
 * is made with the stored ETag / Last-Modified; 304 changes nothing but the
 * fetch time. Any failure (HTTP status other than 200/304, connect or total
 * timeout, a transfer slower than low_speed_bps for low_speed_s, a body past
 * max_bytes, a body shorter than its Content-Length, an empty body, no
 * indicator accepted) is an error with err saying which, and leaves the
 * source as it was.
 */
struct ta_intel_feed {
    const char *name;                    /* source name given to every indicator */
    const char *url;                     /* http(s):// or file:// */
    const char *header;                  /* extra request header ("Auth-Key: ..."), or NULL */
    struct ta_intel_load_opts load;      /* format, kind ...; load.source is set to name */
    uint64_t max_bytes;                  /* 0 = 256 MiB */
    uint32_t connect_timeout_s;          /* 0 = 10 */
    uint32_t timeout_s;                  /* whole transfer; 0 = 300 */
    uint32_t low_speed_bps, low_speed_s; /* 0 = 1 byte/s over timeout_s/2 (min 1 s) */
};
struct ta_intel_fetch_result {
    long http_status;  /* 0 when no answer */
    bool not_modified; /* 304: nothing changed */
    uint64_t bytes;    /* body size */
    uint64_t expired;  /* values the feed no longer lists, ended now */
    struct ta_intel_load_result load;
};
ta_err ta_intel_fetch(struct ta_intel_db *db, const struct ta_intel_feed *feed, ta_time_us now,
                      struct ta_intel_fetch_result *res, char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* 4. The index                                                            */

struct ta_intel_index;

struct ta_intel_index_opts {
    ta_time_us valid_at;     /* if non-zero, leave out rows with valid_until < valid_at */
    uint32_t grace_before_s; /* a dated indicator matches this long before first_seen (28 d) */
    uint32_t grace_after_s;  /* ... and this long after last_seen without valid_until (90 d) */
    bool skip_undated;       /* undated indicators never match a lookup with at != 0 */
    /* NULL-terminated paths of files in any importable format loaded at build
     * as allow entries (kind forced to allow), e.g. the installed top-sites
     * list; a missing file is an error (TA_ERR_NOTFOUND). NULL = none. */
    const char *const *allow_files;
};
void ta_intel_index_opts_default(struct ta_intel_index_opts *o);

/* Build the match index from every stored row (opts NULL = defaults). The
 * index does not keep a reference to db. */
ta_err ta_intel_index_build(struct ta_intel_db *db, const struct ta_intel_index_opts *opts,
                            struct ta_intel_index **out);
void ta_intel_index_free(struct ta_intel_index *idx);

/*
 * Every entry of one type and kind in the index, in (value) order, one call
 * per distinct value: type, kind, value, confidence, family/brand/country and
 * dates are the entry's summary, source its first source. Reads no database
 * (an index mapped from its cache answers at once). Stops at a non-TA_OK.
 */
ta_err ta_intel_index_each(const struct ta_intel_index *idx, enum ta_intel_type type,
                           enum ta_intel_kind kind, ta_intel_emit_fn fn, void *user);

/*
 * The index through a cache file: when cache_path (NULL: "<database>.index-cache"
 * beside the database) holds an index built from the same indicators (the
 * database's content version), the same options and allow files (path, size,
 * modification time) and this program's format, it is mapped read-only and
 * nothing is built; otherwise the index is built and the file rewritten
 * atomically (a temporary file renamed over it), so concurrent readers map
 * either the old or the new file. A file that fails its checks (header
 * checksum, sizes, section bounds) is ignored and rewritten. A cache that
 * cannot be written (read-only directory, in-memory database) leaves a working
 * index built in memory: info->write_err says why (TA_OK when written or hit).
 * info may be NULL.
 */
struct ta_intel_cache_info {
    bool hit;         /* mapped from the cache file */
    bool stale;       /* a cache file was there but its key or checks did not match */
    ta_err write_err; /* building: why the file could not be written (TA_OK: written) */
    int write_errno;  /* ... and the errno behind it (0: none) */
    char path[4096];  /* the cache file ("" when there is none, e.g. an in-memory database) */
};
ta_err ta_intel_index_open(struct ta_intel_db *db, const struct ta_intel_index_opts *opts,
                           const char *cache_path, struct ta_intel_index **out,
                           struct ta_intel_cache_info *info);

/*
 * One match: an indicator value with one kind, summarised over the sources
 * that gave that kind. confidence is the maximum; first_seen the minimum;
 * last_seen and valid_until the maximum; family/brand/country come from the
 * most confident source that has one ("" when none). Per-source detail via
 * ta_intel_match_source(). Strings point into the index.
 */
struct ta_intel_match {
    const char *value;
    enum ta_intel_type type;
    enum ta_intel_kind kind;
    uint8_t confidence;
    bool exact;
    uint8_t prefix_len; /* CIDR/IP: prefix length matched (IPv4: 0-32) */
    const char *family;
    const char *brand;
    const char *country;
    ta_time_us first_seen, last_seen, valid_until;
    uint32_t nsources;
    uint32_t src_first; /* internal: first source slot */
    bool undated;       /* no dated source is valid at the lookup's time, an undated one is */
};

struct ta_intel_source_info {
    const char *source;
    uint8_t confidence;
    const char *family;
    const char *brand;
    const char *country;
    ta_time_us first_seen, last_seen, valid_until;
};

/* Source i (0 <= i < m->nsources) of a match. */
void ta_intel_match_source(const struct ta_intel_index *idx, const struct ta_intel_match *m,
                           uint32_t i, struct ta_intel_source_info *out);

/*
 * Lookups. Each writes up to max matches to out and returns how many it
 * wrote, most specific first (longest prefix, longest domain suffix, full
 * URL before URL without query before path). kinds is a mask of
 * TA_INTEL_KIND_BIT() (0 = every kind except allow). The allowlist is not
 * applied: ask ta_intel_allow_*() (callers keep what an allow entry covers,
 * marked). at is the observation time: only indicators valid then (see
 * "Time validity") match; 0 = no time check. No allocation; safe to call
 * concurrently on one index.
 *
 * match_ip: an IP:port indicator matches only a lookup with that port; port
 *   0 (no port: ICMP and other protocols) matches address/CIDR indicators only.
 * match_domain: case-insensitive, one trailing dot ignored, parent domains
 *   match unless the indicator is exact-only.
 * match_url: normalises first; also tries the URL without its query and the
 *   path alone (URL path indicators). Scheme is not part of the identity.
 * match_hash: type is one of JA3, JA3S, JA4, MD5, SHA1, SHA256; case-insensitive.
 */
size_t ta_intel_match_ip(const struct ta_intel_index *idx, const struct ta_addr *addr,
                         uint16_t port, ta_time_us at, uint32_t kinds, struct ta_intel_match *out,
                         size_t max);
/*
 * n IP lookups at once, as n calls of ta_intel_match_ip would give them:
 * address i (port ports[i], or 0 when ports is NULL) writes up to max
 * matches to out[i * max ...] and their number to counts[i]; returns the
 * sum. The table reads of the addresses are issued together, so their cache
 * misses overlap instead of following one another: for more than a few
 * addresses from a large index, much faster per address. Any n; no
 * allocation.
 */
size_t ta_intel_match_ip_batch(const struct ta_intel_index *idx, const struct ta_addr *addrs,
                               const uint16_t *ports, size_t n, ta_time_us at, uint32_t kinds,
                               struct ta_intel_match *out, size_t max, size_t *counts);
size_t ta_intel_match_domain(const struct ta_intel_index *idx, const char *name, size_t len,
                             ta_time_us at, uint32_t kinds, struct ta_intel_match *out, size_t max);
size_t ta_intel_match_url(const struct ta_intel_index *idx, const char *url, size_t len,
                          ta_time_us at, uint32_t kinds, struct ta_intel_match *out, size_t max);
size_t ta_intel_match_hash(const struct ta_intel_index *idx, enum ta_intel_type type,
                           const char *hex, size_t len, ta_time_us at, uint32_t kinds,
                           struct ta_intel_match *out, size_t max);

/*
 * Allow lookups: the most specific allow entry covering a value, ignoring
 * time. Return true and fill *out (kind allow; the list name is the entry's
 * source: ta_intel_match_source(idx, out, 0, ...), e.g. "top-sites",
 * "misp:cisco_top10k", "maltrail-whitelist").
 * allow_ip: the longest allow prefix or address covering addr (an allow
 *   IP:port entry does not cover an address).
 * allow_domain: the name itself or a parent (an exact-only entry covers only
 *   its own name); within NULL = any, else only entries equal to within or
 *   under it, so an allowed parent ("wordpress.com") does not cover a more
 *   specific listed name ("evil.wordpress.com" with within = that name).
 * allow_url: an allow URL entry for the URL (full, or without its query), or,
 *   when the URL is just a site root ("http://host/"), an allow domain entry
 *   equal to its host.
 */
bool ta_intel_allow_ip(const struct ta_intel_index *idx, const struct ta_addr *addr,
                       struct ta_intel_match *out);
bool ta_intel_allow_domain(const struct ta_intel_index *idx, const char *name, size_t len,
                           const char *within, struct ta_intel_match *out);
bool ta_intel_allow_url(const struct ta_intel_index *idx, const char *url, size_t len,
                        struct ta_intel_match *out);

struct ta_intel_index_stats {
    uint64_t rows;      /* database rows loaded */
    uint64_t entries;   /* (value, kind) entries */
    uint64_t ip_ranges; /* disjoint address ranges in the LPM tables */
    uint64_t strings;   /* domain/URL/path/hash keys */
    uint64_t by_kind[TA_INTEL_KIND__COUNT];
    uint64_t by_type[TA_INTEL_TYPE__COUNT];
    uint64_t suppressed;      /* always 0: lookups no longer apply the allowlist */
    uint64_t allow_file_rows; /* allow entries read from opts->allow_files */
    size_t memory;            /* bytes held by the index */
};
void ta_intel_index_stats(const struct ta_intel_index *idx, struct ta_intel_index_stats *out);

/* ---------------------------------------------------------------------- */
/* 5. URL normalisation                                                    */

#define TA_INTEL_URL_MAX 2048

/*
 * Normalise a URL for identity: scheme and host lower case (missing scheme =
 * http), userinfo dropped, trailing dot of host dropped, default port (http
 * 80, https 443, ftp 21) dropped, percent-encoded unreserved characters
 * decoded and other escapes upper-cased, dot segments removed, empty path
 * = "/", fragment dropped; the query is kept. Writes a NUL-terminated string
 * to out and its length to *outlen. Returns false if the input has no host or
 * the result does not fit in outcap.
 */
bool ta_intel_url_normalize(const char *url, size_t len, char *out, size_t outcap, size_t *outlen);

#endif
