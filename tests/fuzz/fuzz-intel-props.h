/*
 * Properties every intel loader keeps, checked by the intel fuzz targets on
 * each input (a violation aborts with the value that broke it):
 *   - every accepted indicator is well formed: type and kind in range,
 *     confidence 0-100, a non-empty value no longer than the cap, first_seen
 *     not after last_seen;
 *   - its value is canonical: written back and canonicalised again as its
 *     type it is the same text and type (a top-level-domain suffix "tk" is
 *     written back as ".tk", the form a feed gives it);
 *   - re-imported as a one-line list (where a list reads the text as that
 *     type) it is accepted, as the same value: a threat outside an allow
 *     list is never a private address unless asked;
 *   - the counts add up: one emit per accepted indicator, by_kind sums to
 *     accepted, the reasons shown are the first min(rejected, 10) rejects.
 */
#ifndef TA_FUZZ_INTEL_PROPS_H
#define TA_FUZZ_INTEL_PROPS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/intel.h"

struct fi_state {
    const struct ta_intel_load_opts *opts;
    uint64_t emitted;
    size_t touched;
};

static void fi_fail(const char *what, const char *value)
{
    fprintf(stderr, "intel loader property violated: %s: '%s'\n", what, value);
    abort();
}

struct fi_one {
    uint64_t n;
    char value[TA_INTEL_URL_MAX + 32];
};

static ta_err fi_one_sink(void *user, const struct ta_intel_indicator *ind)
{
    struct fi_one *o = user;
    if (o->n++ == 0)
        snprintf(o->value, sizeof(o->value), "%s", ind->value);
    return TA_OK;
}

static ta_err fi_sink(void *user, const struct ta_intel_indicator *ind)
{
    struct fi_state *st = user;
    st->emitted++;
    /* Touch every field so sanitizers see bad pointers. */
    st->touched += strlen(ind->value) + strlen(ind->source) +
                   (ind->family ? strlen(ind->family) : 0) + (ind->brand ? strlen(ind->brand) : 0) +
                   (ind->country ? strlen(ind->country) : 0);
    const char *v = ind->value;
    size_t vl = strlen(v);
    if ((unsigned)ind->type >= TA_INTEL_TYPE__COUNT || (unsigned)ind->kind >= TA_INTEL_KIND__COUNT)
        fi_fail("type or kind out of range", v);
    if (ind->confidence > 100)
        fi_fail("confidence above 100", v);
    if (vl == 0 || vl > TA_INTEL_URL_MAX + 16)
        fi_fail("value empty or longer than the cap", v);
    if (ind->first_seen != 0 && ind->last_seen != 0 && ind->first_seen > ind->last_seen)
        fi_fail("first_seen after last_seen", v);

    /* Written back in the canonical form ... */
    char back[TA_INTEL_URL_MAX + 32];
    if (ind->type == TA_INTEL_DOMAIN && memchr(v, '.', vl) == NULL)
        snprintf(back, sizeof(back), ".%s", v);
    else
        snprintf(back, sizeof(back), "%s", v);
    /* ... and canonicalised again as its type: the same text. */
    enum ta_intel_type t = ind->type;
    char again[TA_INTEL_URL_MAX + 32];
    const char *why = NULL;
    if (!ta_intel_value_canon(back, strlen(back), &t, again, sizeof(again), &why))
        fi_fail(why != NULL ? why : "canonical value refused", v);
    if (t != ind->type || strcmp(again, v) != 0)
        fi_fail("canonical value changed when canonicalised again", v);

    /* ... and re-imported as a list of one: accepted, the same value. A list
     * guesses types, so this holds where the text reads as its own type (a
     * URL path with "://" in it reads as a URL, a 32-hex-digit name as MD5). */
    if (memchr(back, '\n', strlen(back)) != NULL || memchr(back, '\r', strlen(back)) != NULL)
        fi_fail("line break inside a value", v);
    enum ta_intel_type guess = TA_INTEL_TYPE__COUNT;
    if (!ta_intel_value_canon(back, strlen(back), &guess, again, sizeof(again), NULL) ||
        guess != ind->type)
        return TA_OK;
    char line[TA_INTEL_URL_MAX + 40];
    snprintf(line, sizeof(line), "%s\n", back);
    struct ta_intel_load_opts lo = {.format = TA_INTEL_FMT_PLAIN,
                                    .have_kind = true,
                                    .kind = ind->kind,
                                    .allow_private = st->opts->allow_private};
    struct ta_intel_load_result r;
    struct fi_one one = {0};
    if (ta_intel_parse((const uint8_t *)line, strlen(line), &lo, fi_one_sink, &one, &r) != TA_OK ||
        one.n != 1)
        fi_fail(r.nshown > 0 ? r.shown[0].reason : "not accepted when re-imported", v);
    if (strcmp(one.value, v) != 0)
        fi_fail("re-imported as another value", v);
    return TA_OK;
}

/* The counts of one parse against what the sink saw. */
static void fi_check_counts(const struct fi_state *st, const struct ta_intel_load_result *r)
{
    if (st->emitted != r->accepted)
        fi_fail("accepted differs from the indicators emitted", "");
    uint64_t sum = 0;
    for (int k = 0; k < TA_INTEL_KIND__COUNT; k++)
        sum += r->by_kind[k];
    if (sum != r->accepted)
        fi_fail("by_kind does not sum to accepted", "");
    uint64_t shown =
        r->rejected < TA_INTEL_MAX_REJECT_SHOWN ? r->rejected : TA_INTEL_MAX_REJECT_SHOWN;
    if (r->nshown != shown)
        fi_fail("reasons shown differ from min(rejected, 10)", "");
    if (r->reserved > r->rejected)
        fi_fail("more private addresses than rejects", "");
}

/*
 * Lines a loader reads as data: split at '\n' (a '\r' before it dropped, a
 * UTF-8 BOM skipped), trimmed, not empty and not a comment ('#' first, or
 * ';' with semi); with cut, a " #" comment is cut first.
 */
static inline uint64_t fi_data_lines(const uint8_t *p, size_t n, bool cut, bool semi)
{
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
        n -= 3;
    }
    uint64_t lines = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '\n')
            e++;
        size_t a = i, b = e;
        if (b > a && p[b - 1] == '\r')
            b--;
#define FI_WS(c)                                                                                   \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n' || (c) == '\v' || (c) == '\f')
        while (a < b && FI_WS(p[a]))
            a++;
        while (b > a && FI_WS(p[b - 1]))
            b--;
        if (b > a && p[a] != '#' && !(semi && p[a] == ';')) {
            if (cut) {
                for (size_t k = a; k < b; k++)
                    if (p[k] == '#' && (k == a || p[k - 1] == ' ' || p[k - 1] == '\t')) {
                        b = k;
                        break;
                    }
                while (b > a && FI_WS(p[b - 1]))
                    b--;
            }
            if (b > a)
                lines++;
        }
#undef FI_WS
        i = e + 1;
    }
    return lines;
}

#endif
