/*
 * String interning index (see strset.h).
 */
#include "common/strset.h"

#include <string.h>

#include "common/hash64.h"

#include "common/banned.h"

#define FIRST_SLOTS 1024

struct probe {
    const char *base;
    size_t base_len;
    const char *s;
    size_t n;
};

static bool text_eq(const void *ctx, uint32_t off)
{
    const struct probe *p = ctx;
    return p->base_len - off > p->n && memcmp(p->base + off, p->s, p->n) == 0 &&
           p->base[off + p->n] == '\0';
}

ta_err ta_strset_init(struct ta_strset *t)
{
    ta_htab_init(&t->tab, 0);
    /* The first slots at once: the users intern thousands of names. */
    return ta_htab_reserve(&t->tab, FIRST_SLOTS / 2);
}

void ta_strset_release(struct ta_strset *t)
{
    ta_htab_release(&t->tab);
}

bool ta_strset_find(const struct ta_strset *t, const char *base, size_t base_len, const char *s,
                    size_t n, uint32_t *hash, uint32_t *off)
{
    *hash = (uint32_t)ta_hash_mix64(ta_hash64(0, s, n));
    struct probe p = {base, base_len, s, n};
    return ta_htab_find(&t->tab, *hash, text_eq, &p, off);
}

ta_err ta_strset_put(struct ta_strset *t, uint32_t hash, uint32_t off)
{
    return ta_htab_put(&t->tab, hash, off);
}
