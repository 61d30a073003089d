/*
 * Fuzz target for the geolocation table cache parser (enrich-cache.c): the
 * input is a cache file. Its checksum and size fields are fixed up first
 * (ta__geo_cache_seal), so that mutations reach the structural checks; the
 * expected fingerprint is "fuzz\n", as in the seed corpus. A file accepted
 * as valid must be safe to use: every range's answer and AS name, and the
 * db info strings, are read here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich-cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch_table(const struct ta__geo_cache *c, const struct ta__geo_cache_table *t,
                          bool v4)
{
    size_t sum = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct ta__geo_rec *r = &t->u[t->ridx[i]];
        sum += strlen(c->pool + r->name) + r->asn + (v4 ? t->s4[i] : (size_t)t->s6[i]);
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Page-like alignment as from mmap: malloc gives at least 16. */
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    ta__geo_cache_seal(buf, size);
    struct ta__geo_cache c;
    static const char fp[] = "fuzz\n";
    if (ta__geo_cache_parse(buf, size, fp, sizeof(fp) - 1, &c) == TA__GEO_CACHE_VALID) {
        size_t sum = touch_table(&c, &c.t4, true) + touch_table(&c, &c.t6, false);
        for (int i = 0; i < 2; i++)
            sum += strlen(c.info[i].path) + strlen(c.info[i].format) + strlen(c.info[i].dbtype) +
                   strlen(c.info[i].pkg) + strlen(c.info[i].pkgver);
        if (c.pool[c.pool_len - 1] != '\0' || sum == (size_t)-1)
            abort();
    }
    free(buf);
    return 0;
}
