/*
 * Fuzz target: the IPv4 side of the intel match index (range sweep, answer
 * deduplication, jump table, in-slot search, allow lookups). The input is a list
 * of 6-byte records (address, prefix length, kind); the index built from them
 * in an in-memory database must answer every probe (each prefix's first and
 * last address and their neighbours) exactly as a brute-force scan does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP 48

struct p {
    uint32_t net;
    unsigned len;
    enum ta_intel_kind kind;
};

static uint32_t mask_of(unsigned len)
{
    return len == 0 ? 0 : ~0u << (32 - len);
}

static void probe(const struct ta_intel_index *idx, const struct p *ps, size_t n, uint32_t a)
{
    uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
    struct ta_addr addr;
    ta_addr_set_v4(&addr, b);
    struct ta_intel_match m[40];
    size_t got = ta_intel_match_ip(idx, &addr, 0, 0, 0, m, 40);
    uint64_t lens = 0;
    int allow_len = -1;
    for (size_t i = 0; i < n; i++)
        if ((a & mask_of(ps[i].len)) == ps[i].net) {
            if (ps[i].kind != TA_INTEL_KIND_ALLOW)
                lens |= 1ull << ps[i].len;
            else if ((int)ps[i].len > allow_len)
                allow_len = (int)ps[i].len;
        }
    /* Matches are never hidden by allow entries. */
    size_t k = 0;
    for (int len = 32; len >= 0; len--)
        if (lens & (1ull << len)) {
            if (k >= got || m[k].prefix_len != (unsigned)len || m[k].kind == TA_INTEL_KIND_ALLOW)
                abort();
            k++;
        }
    if (k != got)
        abort();
    /* The allow lookup gives the longest allow prefix. */
    struct ta_intel_match al;
    bool allowed = ta_intel_allow_ip(idx, &addr, &al);
    if (allowed != (allow_len >= 0) || (allowed && al.prefix_len != (unsigned)allow_len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ta_intel_kind kinds[] = {TA_INTEL_KIND_C2, TA_INTEL_KIND_SCANNER,
                                               TA_INTEL_KIND_OTHER, TA_INTEL_KIND_ALLOW};
    struct p ps[MAXP];
    char vals[MAXP][24];
    struct ta_intel_indicator inds[MAXP];
    size_t n = 0;
    for (size_t off = 0; off + 6 <= size && n < MAXP; off += 6) {
        const uint8_t *r = data + off;
        unsigned len = r[4] % 33u;
        uint32_t net = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) &
                       mask_of(len);
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = ps[i].net == net && ps[i].len == len;
        if (dup)
            continue;
        /* Mostly listed kinds; one allow in eight. */
        ps[n] = (struct p){net, len, kinds[(r[5] & 7u) == 7u ? 3 : r[5] % 3u]};
        snprintf(vals[n], sizeof(vals[n]), "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255, net & 255, len);
        inds[n] = (struct ta_intel_indicator){.type = TA_INTEL_CIDR,
                                              .kind = ps[n].kind,
                                              .value = vals[n],
                                              .source = "f",
                                              .confidence = 50};
        n++;
    }
    struct ta_intel_db *db;
    char err[256];
    if (ta_intel_db_open(":memory:", &db, err, sizeof(err)) != TA_OK)
        abort();
    struct ta_intel_load_result res;
    struct ta_intel_index *idx = NULL;
    if (ta_intel_db_insert(db, inds, n, &res) != TA_OK || res.rejected != 0 ||
        ta_intel_index_build(db, NULL, &idx) != TA_OK)
        abort();
    probe(idx, ps, n, 0);
    probe(idx, ps, n, UINT32_MAX);
    for (size_t i = 0; i < n; i++) {
        uint32_t last = ps[i].net | ~mask_of(ps[i].len);
        probe(idx, ps, n, ps[i].net);
        probe(idx, ps, n, ps[i].net - 1);
        probe(idx, ps, n, last);
        probe(idx, ps, n, last + 1);
        probe(idx, ps, n, ps[i].net + ((last - ps[i].net) >> 1));
    }
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    return 0;
}
