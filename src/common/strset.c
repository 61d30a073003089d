/*
 * String interning index (see strset.h).
 */
#include "common/strset.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/hash64.h"

#include "common/banned.h"

#define FIRST_SLOTS 1024

static uint32_t hash_text(const char *s, size_t n)
{
    uint64_t h = ta_hash64(0, s, n);
    return (uint32_t)(h ^ (h >> 32));
}

static ta_err resize(struct ta_strset *t, size_t nn)
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

ta_err ta_strset_init(struct ta_strset *t)
{
    memset(t, 0, sizeof(*t));
    return resize(t, FIRST_SLOTS);
}

void ta_strset_release(struct ta_strset *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

bool ta_strset_find(const struct ta_strset *t, const char *base, size_t base_len, const char *s,
                    size_t n, uint32_t *hash, uint32_t *off)
{
    uint32_t h = hash_text(s, n);
    *hash = h;
    if (t->nslots == 0)
        return false;
    for (size_t j = h & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1)) {
        uint64_t v = t->slots[j];
        size_t o = (uint32_t)v - 1;
        if ((uint32_t)(v >> 32) == h && base_len - o > n && memcmp(base + o, s, n) == 0 &&
            base[o + n] == '\0') {
            *off = (uint32_t)o;
            return true;
        }
    }
    return false;
}

ta_err ta_strset_put(struct ta_strset *t, uint32_t hash, uint32_t off)
{
    TA_ASSERT(off < UINT32_MAX);
    if ((t->used + 1) * 2 > t->nslots) {
        ta_err err = resize(t, t->nslots ? t->nslots * 2 : FIRST_SLOTS);
        if (err != TA_OK)
            return err;
    }
    size_t j = hash & (t->nslots - 1);
    while (t->slots[j] != 0)
        j = (j + 1) & (t->nslots - 1);
    t->slots[j] = (uint64_t)hash << 32 | (off + 1u);
    t->used++;
    return TA_OK;
}
