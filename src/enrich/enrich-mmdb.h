/*
 * MaxMind DB enumeration (internal to src/enrich): see enrich-mmdb.c.
 */
#ifndef TA_ENRICH_MMDB_H
#define TA_ENRICH_MMDB_H

#include <maxminddb.h>

#include "enrich/enrich-internal.h"

enum ta__geo_mmdb_kind {
    TA__GEO_MMDB_COUNTRY, /* iv.cc = country_code | country.iso_code | registered_country.iso_code
                           */
    TA__GEO_MMDB_ASN,     /* iv.asn, iv.name = autonomous_system_number / _organization */
};

/*
 * Append every network of db that carries a value to v4 (IPv4 keys) and v6
 * (IPv6 keys, without the IPv4 subtree and its aliases), in tree order.
 * *alias_6to4 tells whether 2002::/16 is an alias of the IPv4 subtree (as in
 * MaxMind's databases), so that 6to4 addresses should be looked up as IPv4.
 * On failure writes "<file>: <libmaxminddb error text>" into errbuf.
 */
ta_err ta__geo_mmdb_walk(MMDB_s *db, enum ta__geo_mmdb_kind kind, struct ta__geo_ivlist *v4,
                         struct ta__geo_ivlist *v6, struct ta__geo_pool *pool, bool *alias_6to4,
                         char *errbuf, size_t errlen);

#endif
