/*
 * The one hash table (see htab.h).
 */
#include "common/htab.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

#include "common/banned.h"

#define FIRST_SLOTS 64

void ta_htab_init(struct ta_htab *t, size_t max_entries)
{
    memset(t, 0, sizeof(*t));
    t->max = max_entries;
}

void ta_htab_release(struct ta_htab *t)
{
    free(t->slots);
    size_t max = t->max;
    memset(t, 0, sizeof(*t));
    t->max = max;
}

void ta_htab_clear(struct ta_htab *t)
{
    if (t->slots != NULL)
        memset(t->slots, 0, t->nslots * sizeof(uint64_t));
    t->used = 0;
}

static ta_err resize(struct ta_htab *t, size_t nn)
{
    uint64_t *ns = calloc(nn, sizeof(uint64_t));
    if (ns == NULL)
        return TA_ERR_NOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        uint64_t v = t->slots[i];
        if (v == 0)
            continue;
        size_t j = (uint32_t)(v >> 32) & (nn - 1);
        while (ns[j] != 0)
            j = (j + 1) & (nn - 1);
        ns[j] = v;
    }
    free(t->slots);
    t->slots = ns;
    t->nslots = nn;
    return TA_OK;
}

ta_err ta_htab_reserve(struct ta_htab *t, size_t n)
{
    size_t nn = t->nslots ? t->nslots : FIRST_SLOTS;
    while (nn < n * 2) {
        if (nn > SIZE_MAX / 2 / sizeof(uint64_t))
            return TA_ERR_NOMEM;
        nn *= 2;
    }
    return nn == t->nslots ? TA_OK : resize(t, nn);
}

ta_err ta_htab_put(struct ta_htab *t, uint64_t hash, uint32_t e)
{
    TA_ASSERT(e < UINT32_MAX);
    if (t->max != 0 && t->used >= t->max)
        return TA_ERR_LIMIT;
    if ((t->used + 1) * 2 > t->nslots) {
        ta_err err = ta_htab_reserve(t, t->used + 1);
        if (err != TA_OK)
            return err;
    }
    uint32_t tag = ta__htab_tag(hash);
    size_t mask = t->nslots - 1;
    size_t j = tag & mask;
    while (t->slots[j] != 0)
        j = (j + 1) & mask;
    t->slots[j] = (uint64_t)tag << 32 | (e + 1u);
    t->used++;
    return TA_OK;
}

bool ta_htab_del(struct ta_htab *t, uint64_t hash, uint32_t e)
{
    if (t->used == 0)
        return false;
    uint32_t tag = ta__htab_tag(hash);
    uint64_t want = (uint64_t)tag << 32 | (e + 1u);
    size_t mask = t->nslots - 1;
    size_t j = tag & mask;
    while (t->slots[j] != want) {
        if (t->slots[j] == 0)
            return false;
        j = (j + 1) & mask;
    }
    /* Backward shift: move up every later entry of the run whose home slot
     * does not lie cyclically in (j, k], so lookups never meet the hole. */
    for (size_t k = (j + 1) & mask; t->slots[k] != 0; k = (k + 1) & mask) {
        size_t home = (uint32_t)(t->slots[k] >> 32) & mask;
        bool stays = j <= k ? (home > j && home <= k) : (home > j || home <= k);
        if (stays)
            continue;
        t->slots[j] = t->slots[k];
        j = k;
    }
    t->slots[j] = 0;
    t->used--;
    return true;
}
