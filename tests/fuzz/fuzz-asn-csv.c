/*
 * Fuzz target for the enrichment text loaders: the ip-location-db ASN CSV
 * parser and the overrides / home-nets CIDR parser, followed by the
 * interval normalisation each result goes through at open time.
 *
 * The first byte picks the parser (0: ASN CSV, 1: overrides, 2: home nets);
 * the rest is the file. After parsing, the lists must come out sorted and
 * disjoint, which is checked here.
 */
#include <stdint.h>
#include <stdlib.h>

#include "enrich/enrich-internal.h"

static void check_disjoint(const struct ta__geo_ivlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].lo > l->v[i].hi)
            abort();
        if (i > 0 && l->v[i - 1].hi >= l->v[i].lo)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0] % 3;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct ta__geo_ivlist v4 = {0}, v6 = {0};
    struct ta__geo_pool pool;
    if (ta__geo_pool_init(&pool) != TA_OK)
        return 0;
    uint64_t rows = 0, bad = 0;
    char err[128];
    ta_err e;
    if (mode == 0)
        e = ta__geo_asn_csv_parse(text, len, 10000, &v4, &v6, &pool, &rows, &bad);
    else
        e = ta__geo_cidr_parse(text, len, mode == 1, 10000, &v4, &v6, &pool, &rows, err,
                               sizeof(err));
    if (e == TA_OK) {
        if (mode == 0) {
            ta__geo_ivlist_disjoint(&v4);
            ta__geo_ivlist_disjoint(&v6);
        } else {
            /* Whatever repeats and nesting a file holds, CIDRs always flatten. */
            ta_err f4 = ta__geo_ivlist_flatten_cidrs(&v4);
            ta_err f6 = ta__geo_ivlist_flatten_cidrs(&v6);
            if ((f4 != TA_OK && f4 != TA_ERR_NOMEM) || (f6 != TA_OK && f6 != TA_ERR_NOMEM))
                abort();
        }
        check_disjoint(&v4);
        check_disjoint(&v6);
        for (size_t i = 0; i < v4.n; i++)
            if (v4.v[i].hi > 0xffffffffu || v4.v[i].name >= pool.len)
                abort();
    }
    ta__geo_ivlist_free(&v4);
    ta__geo_ivlist_free(&v6);
    ta__geo_pool_release(&pool);
    return 0;
}
