/*
 * Store (stage 7), ClickHouse backend: the query API of threatatlas/store.h
 * over the rollups (ta_day_count, ta_day_supp, ta_member) and the
 * events. Each function gives the SQLite store's answer for the same
 * events: the report cannot tell the backends apart.
 */
#include "store/store-ch-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

bool ta__ch_has_data(const struct ta_store *st)
{
    return ta__ch_has_tables(ta__ch_of_const(st));
}

/* " AND col = 'XX'" for the period's country filters (quoted strictly). */
static bool cc_filters(struct ta__ch_buf *q, const struct ta_store_period *p, const char *src_col,
                       const char *dst_col)
{
    bool ok = true;
    if (p->src_cc[0])
        ok = ta__ch_buf_printf(q, " AND %s = ", src_col) &&
             ta__ch_quote(q, p->src_cc, strnlen(p->src_cc, 2));
    if (ok && p->dst_cc[0])
        ok = ta__ch_buf_printf(q, " AND %s = ", dst_col) &&
             ta__ch_quote(q, p->dst_cc, strnlen(p->dst_cc, 2));
    return ok;
}

/* Run q; each row (src, dst, a[, b]) to cb. */
static ta_err pair_rows(struct ta__ch *c, struct ta__ch_buf *q, bool two, ta_store_pair_cb cb,
                        void *ctx)
{
    struct ta__ch_buf a = {0};
    ta_err err = ta__ch_exec(c, q->p, NULL, 0, &a, NULL, NULL);
    char *p = a.p, *end = a.p + a.len;
    struct ta__ch_field f[4];
    size_t want = two ? 4 : 3;
    while (err == TA_OK && ta__ch_tsv_row(&p, end, f, 4) == want)
        err = cb(ctx, f[0].p, f[1].p, (uint64_t)ta__ch_i64(&f[2]),
                 two ? (uint64_t)ta__ch_i64(&f[3]) : 0);
    ta__ch_buf_free(&a);
    ta__ch_buf_free(q);
    return err;
}

ta_err ta__ch_pair_counters(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, ta_store_pair_cb cb, void *ctx)
{
    struct ta__ch *c = ta__ch_of(st);
    if (!ta__ch_has_tables(c))
        return TA_OK;
    struct ta__ch_buf q = {0};
    if (!ta__ch_buf_printf(&q,
                           "SELECT src_cc, dst_cc, sum(events), sum(flows) FROM `%s`.ta_day_count"
                           " WHERE kind = %d AND day BETWEEN %lld AND %lld",
                           ta__ch_db(c), (int)kind, (long long)p->from_day, (long long)p->to_day) ||
        !cc_filters(&q, p, "src_cc", "dst_cc") ||
        !ta__ch_buf_printf(&q, " GROUP BY src_cc, dst_cc")) {
        ta__ch_buf_free(&q);
        return TA_ERR_NOMEM;
    }
    return pair_rows(c, &q, true, cb, ctx);
}

/* "blk BETWEEN b0 AND b1" and, into mask, the period's days of a block as
 * bits (an expression of blk: from the period's first day in the block, or
 * 0, to its last, or 63). Arithmetic, not multiIf(blk = b0, ...): 18.16
 * fails on that in a WHERE over Distributed tables. */
static bool period_blocks(struct ta__ch_buf *q, const struct ta_store_period *p, char *mask,
                          size_t masklen)
{
    int64_t from = p->from_day < 0 ? 0 : p->from_day, to = p->to_day;
    snprintf(mask, masklen,
             "bitAnd(bitShiftLeft(toUInt64(18446744073709551615), toUInt64(greatest(%lld - blk *"
             " 64, 0))), bitShiftRight(toUInt64(18446744073709551615), toUInt64(63 - least(%lld"
             " - blk * 64, 63))))",
             (long long)from, (long long)to);
    return ta__ch_buf_printf(q, " AND blk BETWEEN %lld AND %lld", (long long)(from / 64),
                             (long long)(to / 64));
}

/*
 * Distinct members per pair over the period, from ta_member: a member counts
 * when one of its rows in the period's blocks has a bit inside it. The
 * period's first and last blocks are cut by masks; the blocks between are
 * whole.
 */
ta_err ta__ch_pair_distinct(struct ta_store *st, const struct ta_store_period *p,
                            enum ta_event_kind kind, enum ta_store_set set, ta_store_pair_cb cb,
                            void *ctx)
{
    static const struct {
        int role;
        const char *col;
    } sets[TA_STORE_SET__COUNT] = {
        [TA_STORE_SET_ATTACKER] = {0, "bits"},      [TA_STORE_SET_VICTIM] = {1, "bits"},
        [TA_STORE_SET_ITEM] = {2, "bits"},          [TA_STORE_SET_VICTIM_EST] = {1, "sub"},
        [TA_STORE_SET_ATTACKER_DATED] = {0, "sub"},
    };
    if ((unsigned)set >= TA_STORE_SET__COUNT)
        return TA_ERR_ARG;
    struct ta__ch *c = ta__ch_of(st);
    if (!ta__ch_has_tables(c) || p->to_day < 0 || p->to_day < p->from_day)
        return TA_OK;
    /* The C&C kinds read both bits and sub of roles 0 and 1: one query
     * counts both (sub's days are among bits'), the second answer is held
     * for the call that asks for it. */
    int role = sets[set].role;
    bool both = (kind == TA_EVENT_C2 || kind == TA_EVENT_C2_SUSPECTED) && role <= 1;
    char key[96];
    snprintf(key, sizeof(key), "%d/%d/%lld/%lld/%.2s/%.2s", (int)kind, role, (long long)p->from_day,
             (long long)p->to_day, p->src_cc, p->dst_cc);
    struct ta__ch_held *h = both ? ta__ch_held_of(c, role) : NULL;
    bool want_sub = strcmp(sets[set].col, "sub") == 0;
    bool held = h != NULL && want_sub && strcmp(h->key, key) == 0;
    struct ta__ch_buf q = {0}, a = {0};
    ta_err err = TA_OK;
    if (!held) {
        char mask[256];
        struct ta__ch_buf w = {0};
        /* A member is in the period when one of its rows has a day in it
         * (the OR of its rows' bits meets the mask exactly when one row's
         * does), so rows are filtered one by one and no member is grouped. */
        bool ok = period_blocks(&w, p, mask, sizeof(mask)) &&
                  cc_filters(&w, p, "src_cc", "dst_cc") &&
                  ta__ch_buf_printf(&q, "SELECT src_cc, dst_cc, uniqExact(member)") &&
                  (!both || ta__ch_buf_printf(&q,
                                              ", uniqExactIf(member, bitAnd(finalizeAggregation("
                                              "sub), %s) != 0)",
                                              mask)) &&
                  ta__ch_buf_printf(&q, " FROM `%s`.ta_member WHERE kind = %d AND role = %d",
                                    ta__ch_db(c), (int)kind, role) &&
                  ta__ch_buf_add(&q, w.p, w.len) &&
                  ta__ch_buf_printf(&q,
                                    " AND bitAnd(finalizeAggregation(%s), %s) != 0 GROUP BY"
                                    " src_cc, dst_cc",
                                    both ? "bits" : sets[set].col, mask);
        ta__ch_buf_free(&w);
        err = ok ? ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL) : TA_ERR_NOMEM;
    }
    struct ta__ch_buf *ans = held ? &h->rows : &a;
    size_t col = both && want_sub ? 3 : 2, want = both ? 4 : 3;
    char *pos = ans->p, *end = ans->p + ans->len;
    struct ta__ch_field f[4];
    /* Parsing unescapes in place: a held answer is read once, and the
     * answer to hold is copied first. */
    if (err == TA_OK && h != NULL && !want_sub) {
        h->key[0] = '\0';
        h->rows.len = 0;
        if (!ta__ch_buf_add(&h->rows, a.p, a.len))
            err = TA_ERR_NOMEM;
        else
            snprintf(h->key, sizeof(h->key), "%s", key);
    }
    while (err == TA_OK && ta__ch_tsv_row(&pos, end, f, 4) == want)
        err = cb(ctx, f[0].p, f[1].p, (uint64_t)ta__ch_i64(&f[col]), 0);
    if (held)
        h->key[0] = '\0';
    ta__ch_buf_free(&q);
    ta__ch_buf_free(&a);
    return err;
}

ta_err ta__ch_suppressed(struct ta_store *st, const struct ta_store_period *p,
                         ta_store_suppressed_cb cb, void *ctx)
{
    struct ta__ch *c = ta__ch_of(st);
    if (!ta__ch_has_tables(c))
        return TA_OK;
    struct ta__ch_buf q = {0}, a = {0};
    ta_err err = TA_OK;
    if (!ta__ch_buf_printf(&q,
                           "SELECT kind, list, sum(events) AS n FROM `%s`.ta_day_supp"
                           " WHERE day BETWEEN %lld AND %lld",
                           ta__ch_db(c), (long long)p->from_day, (long long)p->to_day) ||
        !cc_filters(&q, p, "src_cc", "dst_cc") ||
        !ta__ch_buf_printf(&q, " GROUP BY kind, list HAVING n > 0 ORDER BY kind, list"))
        err = TA_ERR_NOMEM;
    if (err == TA_OK)
        err = ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL);
    char *pos = a.p, *end = a.p + a.len;
    struct ta__ch_field f[3];
    while (err == TA_OK && ta__ch_tsv_row(&pos, end, f, 3) == 3) {
        int64_t kind = ta__ch_i64(&f[0]);
        if (kind < 0 || kind >= TA_EVENT_KIND__COUNT)
            continue;
        err = cb(ctx, (enum ta_event_kind)kind, f[1].p, (uint64_t)ta__ch_i64(&f[2]));
    }
    ta__ch_buf_free(&q);
    ta__ch_buf_free(&a);
    return err;
}

/* ---- evidence lists ---- */

#define MAX_COLS 12
/* A sorted, unique comma list of a column's values; NULL when it has none. */
#define LISTC(x) "if(count(" x ") = 0, NULL, arrayStringConcat(groupUniqArray(" x "), ','))"
/* Distinct non-null texts, distinct addresses. */
#define UNIQS(x)  "uniqExactIf(ifNull(" x ", ''), isNotNull(" x "))"
#define UNIQIP(x) "uniqExactIf(" x ", " x " != '')"
/* Over ta_contact's states: the distinct values merged, as LISTC and max()
 * give them over events. (Not arrayReduce('max', ...): 18.16 crashes on it
 * over Distributed tables.) */
#define LISTA(x)                                                                                   \
    "if(length(groupUniqArrayIfMerge(" x ")) = 0, NULL,"                                           \
    " arrayStringConcat(groupUniqArrayIfMerge(" x "), ','))"
#define MAXA(x)                                                                                    \
    "if(length(groupUniqArrayIfMerge(" x ")) = 0, NULL, arraySort(groupUniqArrayIfMerge(" x        \
    "))[-1])"

/* The same lists as the SQLite store's (store-query.c), column for column;
 * the column names and types come from ta_store_list_cols. cexpr: the same
 * columns over the C&C contacts (ta_contact), for the lists it serves. */
static const struct {
    int kind;
    const char *group, *order;
    const char *expr[MAX_COLS];
    const char *cexpr[MAX_COLS];
} specs[TA_STORE_LIST__COUNT] = {
    [TA_STORE_LIST_C2_SERVERS] = {TA_EVENT_C2,
                                  "a_ip, a_cc",
                                  "c9 DESC, c10 DESC, c0",
                                  {"a_ip", "a_cc", "max(a_asn)", "max(a_as_name)", LISTC("family"),
                                   LISTC("sources"), LISTC("indicator"), "min(ts)", "max(ts)",
                                   UNIQIP("v_ip"), "count()"},
                                  {"a_ip", "a_cc", "maxMerge(s_aasn)", MAXA("s_aname"),
                                   LISTA("s_fam"), LISTA("s_src"), LISTA("s_ind"), "minMerge(tmin)",
                                   "maxMerge(tmax)", UNIQIP("v_ip"), "countMerge(n)"}},
    [TA_STORE_LIST_CONTROLLED_HOSTS] = {TA_EVENT_C2,
                                        "v_ip, v_cc",
                                        "c8 DESC, c9 DESC, c0",
                                        {"v_ip", "v_cc", "max(v_asn)", "max(v_as_name)",
                                         LISTC("family"), LISTC("sources"), "min(ts)", "max(ts)",
                                         UNIQIP("a_ip"), "count()"},
                                        {"v_ip", "v_cc", "maxMerge(s_vasn)", MAXA("s_vname"),
                                         LISTA("s_fam"), LISTA("s_src"), "minMerge(tmin)",
                                         "maxMerge(tmax)", UNIQIP("a_ip"), "countMerge(n)"}},
    [TA_STORE_LIST_PHISHING_HOSTS] = {TA_EVENT_PHISHING,
                                      "a_ip, a_cc",
                                      "c5 DESC, c9 DESC, c0",
                                      {"a_ip", "a_cc", "max(a_asn)", "max(a_as_name)",
                                       LISTC("sources"), UNIQS("item"), UNIQIP("v_ip"), "min(ts)",
                                       "max(ts)", "count()"}},
    [TA_STORE_LIST_PHISHING_PAGES] = {TA_EVENT_PHISHING,
                                      "item",
                                      "c4 DESC, c3 DESC, c0 NULLS FIRST",
                                      {"item", UNIQIP("a_ip"), LISTC("a_cc"), UNIQIP("v_ip"),
                                       "count()", LISTC("sources"), "min(ts)", "max(ts)"}},
    [TA_STORE_LIST_BACKDOOR_SOURCES] = {TA_EVENT_BACKDOOR,
                                        "a_ip, a_cc",
                                        "c9 DESC, c6 DESC, c0",
                                        {"a_ip", "a_cc", "max(a_asn)", "max(a_as_name)",
                                         LISTC("family"), LISTC("sources"), UNIQS("item"),
                                         "min(ts)", "max(ts)", "count()"}},
    [TA_STORE_LIST_BACKDOORED_SITES] = {TA_EVENT_BACKDOOR,
                                        "item, v_cc",
                                        "c9 DESC, c4 DESC, c0 NULLS FIRST",
                                        {"item", "minIf(v_ip, v_ip != '')", "v_cc", "max(v_asn)",
                                         UNIQIP("a_ip"), LISTC("family"), UNIQS("url"), "min(ts)",
                                         "max(ts)", "count()"}},
};

/* Whether a list's order clause reads column i ("c9 DESC, c10 DESC, c0"). */
static bool order_reads(const char *order, size_t i)
{
    for (const char *t = order; t != NULL; t = strchr(t, ',')) {
        while (*t == ',' || *t == ' ')
            t++;
        char *e = NULL;
        if (t[0] == 'c' && strtoul(t + 1, &e, 10) == i && e != t + 1 &&
            (*e == ' ' || !*e || *e == ','))
            return true;
    }
    return false;
}

/* A C&C list's first rows come from the contacts' cheap columns: the ones
 * its order reads (distinct far ends, events) and its two group columns, so
 * the states of sets (AS names, families, sources, indicators) are merged for
 * those rows' groups only, not for every server or host. At most this many
 * rows go that way (their keys are written into the second query). */
#define TOP_KEYS_MAX 1000

/* The first order column (a distinct count, descending) of list l. */
static size_t order_first(enum ta_store_list l)
{
    return (size_t)strtoul(specs[l].order + 1, NULL, 10);
}

/*
 * Into filter: " AND (g0, g1) IN ((k, k), ...)", the groups that can be among
 * the list's first limit rows, from ta_contact; *none when there are none,
 * *all when they cannot be told (the list is read as without a filter).
 * Whole blocks (cut false): the groups of the first rows, ordered as the list
 * is. A period that cuts blocks: a contact is in it when one of its days is,
 * so the distinct far ends per group (the order's first column) are exact
 * from the contacts, the other columns are not; the groups whose count
 * reaches the limit-th row's are the candidates, ties included.
 */
static ta_err top_groups(struct ta__ch *c, const struct ta_store_period *p, enum ta_store_list l,
                         size_t limit, bool cut, struct ta__ch_buf *filter, bool *none, bool *all)
{
    size_t nc = 0, k = order_first(l);
    ta_store_list_cols(l, &nc);
    *none = *all = false;
    struct ta__ch_buf q = {0}, a = {0};
    char mask[256];
    bool ok =
        ta__ch_buf_printf(&q, "SELECT %s AS c0, %s AS c1", specs[l].cexpr[0], specs[l].cexpr[1]);
    for (size_t i = 2; i < nc && ok; i++)
        if (cut ? i == k : order_reads(specs[l].order, i))
            ok = ta__ch_buf_printf(&q, ", %s AS c%zu", specs[l].cexpr[i], i);
    ok = ok &&
         ta__ch_buf_printf(&q, " FROM `%s`.ta_contact WHERE kind = %d", ta__ch_db(c),
                           specs[l].kind) &&
         period_blocks(&q, p, mask, sizeof(mask)) && cc_filters(&q, p, "a_cc", "v_cc") &&
         (!cut || ta__ch_buf_printf(&q, " AND bitAnd(finalizeAggregation(bits), %s) != 0", mask)) &&
         ta__ch_buf_printf(&q, " GROUP BY %s", specs[l].group);
    size_t body = q.len;
    ta_err err = TA_OK;
    if (ok && cut) {
        /* The limit-th row's count, then every group that reaches it. */
        ok = ta__ch_buf_printf(&q, " ORDER BY c%zu DESC LIMIT 1 OFFSET %zu", k, limit - 1);
        err = ok ? ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL) : TA_ERR_NOMEM;
        struct ta__ch_field f[MAX_COLS];
        char *pos = a.p, *end = a.p + a.len;
        if (err == TA_OK && ta__ch_tsv_row(&pos, end, f, MAX_COLS) != 3)
            *all = true; /* fewer groups than the limit */
        else if (err == TA_OK) {
            q.len = body;
            ok = ta__ch_buf_printf(&q, " HAVING c%zu >= %lld LIMIT %d", k,
                                   (long long)ta__ch_i64(&f[2]), TOP_KEYS_MAX + 1);
        }
    } else if (ok) {
        ok = ta__ch_buf_printf(&q, " ORDER BY %s LIMIT %zu", specs[l].order, limit);
    }
    if (err == TA_OK && !*all)
        err = ok ? ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL) : TA_ERR_NOMEM;
    char *pos = a.p, *end = a.p + a.len;
    struct ta__ch_field f[MAX_COLS];
    size_t n = 0;
    ok = ta__ch_buf_printf(filter, " AND (%s) IN (", specs[l].group);
    while (err == TA_OK && !*all && ok && ta__ch_tsv_row(&pos, end, f, MAX_COLS) >= 2) {
        ok = ta__ch_buf_printf(filter, "%s(", n++ ? ", " : "") &&
             ta__ch_quote(filter, f[0].p, f[0].len) && ta__ch_buf_printf(filter, ", ") &&
             ta__ch_quote(filter, f[1].p, f[1].len) && ta__ch_buf_printf(filter, ")");
    }
    if (err == TA_OK && !(ok && ta__ch_buf_printf(filter, ")")))
        err = TA_ERR_NOMEM;
    *all = *all || n > TOP_KEYS_MAX;
    *none = n == 0 && !*all;
    if (*all)
        filter->len = 0;
    ta__ch_buf_free(&q);
    ta__ch_buf_free(&a);
    return err;
}

ta_err ta__ch_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                   size_t limit, ta_store_row_cb cb, void *ctx)
{
    if ((unsigned)l >= TA_STORE_LIST__COUNT)
        return TA_ERR_ARG;
    struct ta__ch *c = ta__ch_of(st);
    if (!ta__ch_has_tables(c))
        return TA_OK;
    size_t nc = 0;
    const struct ta_store_col *cols = ta_store_list_cols(l, &nc);
    struct ta__ch_buf q = {0}, a = {0};
    bool has_contacts = specs[l].cexpr[0] != NULL && p->to_day >= 0 && p->to_day >= p->from_day;
    bool contacts = has_contacts;
    char mask[256];
    if (contacts) {
        /* The rollup answers when the period holds every day of its blocks
         * that has a contact; a period cutting them reads the events. */
        bool ok = ta__ch_buf_printf(&q,
                                    "SELECT count() FROM (SELECT blk FROM `%s`.ta_contact WHERE"
                                    " kind = %d",
                                    ta__ch_db(c), specs[l].kind) &&
                  period_blocks(&q, p, mask, sizeof(mask)) && cc_filters(&q, p, "a_cc", "v_cc") &&
                  ta__ch_buf_printf(&q,
                                    " AND bitAnd(finalizeAggregation(bits), bitNot(%s)) != 0"
                                    " LIMIT 1)",
                                    mask);
        ta_err err = ok ? ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL) : TA_ERR_NOMEM;
        if (err != TA_OK) {
            ta__ch_buf_free(&q);
            ta__ch_buf_free(&a);
            return err;
        }
        contacts = a.len > 0 && a.p[0] == '0';
        q.len = 0;
    }
    struct ta__ch_buf top = {0};
    if (has_contacts && limit > 0 && limit <= TOP_KEYS_MAX) {
        bool none = false, all = false;
        ta_err err = top_groups(c, p, l, limit, !contacts, &top, &none, &all);
        if (err != TA_OK || none) {
            ta__ch_buf_free(&q);
            ta__ch_buf_free(&a);
            ta__ch_buf_free(&top);
            return err;
        }
    }
    bool ok = true;
    ok = ok && ta__ch_buf_printf(&q, "SELECT ");
    for (size_t i = 0; i < nc && ok; i++)
        ok = ta__ch_buf_printf(&q, "%s%s AS c%zu", i ? ", " : "",
                               contacts ? specs[l].cexpr[i] : specs[l].expr[i], i);
    if (contacts)
        ok = ok &&
             ta__ch_buf_printf(&q, " FROM `%s`.ta_contact WHERE kind = %d", ta__ch_db(c),
                               specs[l].kind) &&
             period_blocks(&q, p, mask, sizeof(mask)) && cc_filters(&q, p, "a_cc", "v_cc") &&
             (top.len == 0 || ta__ch_buf_add(&q, top.p, top.len));
    else
        ok = ok &&
             ta__ch_buf_printf(&q,
                               " FROM `%s`.ta_event WHERE kind = %d AND day BETWEEN %lld AND %lld"
                               " AND isNull(suppressed_by)",
                               ta__ch_db(c), specs[l].kind, (long long)p->from_day,
                               (long long)p->to_day) &&
             cc_filters(&q, p, "a_cc", "v_cc") &&
             (top.len == 0 || ta__ch_buf_add(&q, top.p, top.len));
    ok = ok && ta__ch_buf_printf(&q, " GROUP BY %s ORDER BY %s", specs[l].group, specs[l].order) &&
         (limit == 0 || ta__ch_buf_printf(&q, " LIMIT %zu", limit));
    ta_err err = ok ? ta__ch_exec(c, q.p, NULL, 0, &a, NULL, NULL) : TA_ERR_NOMEM;
    char *pos = a.p, *end = a.p + a.len;
    struct ta__ch_field f[MAX_COLS];
    struct ta_store_cell cells[MAX_COLS];
    char *owned[MAX_COLS];
    while (err == TA_OK && ta__ch_tsv_row(&pos, end, f, MAX_COLS) == nc) {
        memset(owned, 0, sizeof(owned));
        for (size_t i = 0; i < nc; i++) {
            struct ta_store_cell *cl = &cells[i];
            memset(cl, 0, sizeof(*cl));
            cl->null = f[i].null;
            switch (cols[i].type) {
            case TA_STORE_COL_IP:
                /* No address is stored as '' (SQLite: NULL). */
                cl->null = f[i].null || f[i].len == 0;
                if (!cl->null) {
                    cl->addr = (const uint8_t *)f[i].p;
                    cl->addr_len = f[i].len;
                }
                break;
            case TA_STORE_COL_INT:
            case TA_STORE_COL_TIME:
                cl->i = ta__ch_i64(&f[i]);
                break;
            case TA_STORE_COL_LIST:
                if (!cl->null) {
                    owned[i] = ta__store_clean_list(f[i].p);
                    if (owned[i] == NULL)
                        err = TA_ERR_NOMEM;
                    cl->text = owned[i] ? owned[i] : "";
                }
                break;
            default:
                if (!cl->null)
                    cl->text = f[i].p;
            }
        }
        if (err == TA_OK)
            err = cb(ctx, cells, nc);
        for (size_t i = 0; i < nc; i++)
            free(owned[i]);
    }
    ta__ch_buf_free(&q);
    ta__ch_buf_free(&a);
    ta__ch_buf_free(&top);
    return err;
}

/* ---- events export ---- */

enum {
    F_ID,
    F_KIND,
    F_METHOD,
    F_TS,
    F_FLOW,
    F_PROTO,
    F_AIP,
    F_APORT,
    F_ACC,
    F_AASN,
    F_VIP,
    F_VPORT,
    F_VCC,
    F_VASN,
    F_CONF,
    F_SIG,
    F_FAMILY,
    F_IND,
    F_INDTYPE,
    F_SOURCES,
    F_HOST,
    F_URL,
    F_ITEM,
    F_AASNAME,
    F_AHOME,
    F_VASNAME,
    F_VHOME,
    F_DNSANS,
    F_BODY,
    F_FS,
    F_TXI,
    F_EST,
    F_UNDATED,
    F_SUPP,
    F__COUNT
};

/* Rows per page: the cursor holds one page of answers in memory. */
#define PAGE_ROWS 10000

struct ch_events {
    struct ta__store_head head; /* the ClickHouse ops */
    struct ta__ch *c;
    ta_time_us since;
    char kinds[160];
    bool sensors, detail, started, done;
    int64_t last_ts, last_id;
    size_t page_rows;
    struct ta__ch_buf page;
    char *pos;
    /* Sensors: of every run, and of the page's sightings. */
    struct ta__ch_run_sensor *runs;
    size_t nruns;
    struct ta__ch_buf sight; /* "event_id\t[run,...]" rows of the page */
    struct {
        int64_t id;
        char *runs; /* "[1,2]" */
    } * sights;
    size_t nsights;
    struct ta__ch_buf sensor_text;
};

static struct ch_events *che(struct ta_store_events *c)
{
    return (struct ch_events *)(void *)c;
}

ta_err ta__ch_events_open(struct ta_store *st, ta_time_us since, uint32_t kinds, unsigned flags,
                          struct ta_store_events **out)
{
    *out = NULL;
    struct ch_events *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return TA_ERR_NOMEM;
    e->head.ops = ta__store_ops(st);
    e->c = ta__ch_of(st);
    e->since = since;
    e->sensors = (flags & TA_STORE_EVENTS_SENSORS) != 0;
    e->detail = (flags & TA_STORE_EVENTS_DETAIL) != 0;
    e->done = !ta__ch_has_tables(e->c);
    if (kinds != 0) {
        size_t o = (size_t)snprintf(e->kinds, sizeof(e->kinds), " AND kind IN (");
        bool first = true;
        for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
            if (kinds & (1u << k)) {
                o += (size_t)snprintf(e->kinds + o, sizeof(e->kinds) - o, "%s%u", first ? "" : ", ",
                                      k);
                first = false;
            }
        snprintf(e->kinds + o, sizeof(e->kinds) - o, "%s", first ? "255)" : ")");
    }
    ta_err err = TA_OK;
    if (e->sensors && !e->done)
        err = ta__ch_run_sensors(e->c, &e->runs, &e->nruns);
    if (err != TA_OK) {
        ta__ch_events_close((struct ta_store_events *)(void *)e);
        return err;
    }
    *out = (struct ta_store_events *)(void *)e;
    return TA_OK;
}

static ta_err load_sightings(struct ch_events *e)
{
    e->nsights = 0;
    free(e->sights);
    e->sights = NULL;
    struct ta__ch_buf q = {0};
    bool ok =
        ta__ch_buf_printf(&q,
                          "SELECT event_id, groupUniqArray(run_id) FROM `%s`.ta_sighting"
                          " WHERE event_id IN (SELECT id FROM `%s`.ta_event WHERE ts >= %lld%s",
                          ta__ch_db(e->c), ta__ch_db(e->c), (long long)e->since, e->kinds);
    if (ok && e->started)
        ok = ta__ch_buf_printf(&q, " AND (ts > %lld OR (ts = %lld AND id > %lld))",
                               (long long)e->last_ts, (long long)e->last_ts, (long long)e->last_id);
    ok = ok && ta__ch_buf_printf(
                   &q, " ORDER BY ts, id LIMIT %d) GROUP BY event_id ORDER BY event_id", PAGE_ROWS);
    ta_err err = ok ? ta__ch_exec(e->c, q.p, NULL, 0, &e->sight, NULL, NULL) : TA_ERR_NOMEM;
    ta__ch_buf_free(&q);
    size_t cap = 0;
    char *p = e->sight.p, *end = e->sight.p + e->sight.len;
    struct ta__ch_field f[2];
    while (err == TA_OK && ta__ch_tsv_row(&p, end, f, 2) == 2) {
        if (e->nsights == cap) {
            cap = cap ? cap * 2 : 64;
            void *v = realloc(e->sights, cap * sizeof(*e->sights));
            if (v == NULL)
                return TA_ERR_NOMEM;
            e->sights = v;
        }
        e->sights[e->nsights].id = ta__ch_i64(&f[0]);
        e->sights[e->nsights].runs = (char *)f[1].p;
        e->nsights++;
    }
    return err;
}

static ta_err next_page(struct ch_events *e)
{
    if (e->sensors) {
        ta_err err = load_sightings(e);
        if (err != TA_OK)
            return err;
    }
    struct ta__ch_buf q = {0};
    bool ok = ta__ch_buf_printf(
        &q,
        "SELECT id, kind, method, ts, flow_id, proto, a_ip, a_port, a_cc, a_asn, v_ip, v_port,"
        " v_cc, v_asn, confidence, signature, family, indicator, indicator_type, sources,"
        " hostname, url, item, a_as_name, a_home, v_as_name, v_home, dns_answer, body, fs,"
        " tx_index, established, undated, suppressed_by FROM `%s`.ta_event WHERE ts >= %lld%s",
        ta__ch_db(e->c), (long long)e->since, e->kinds);
    if (ok && e->started)
        ok = ta__ch_buf_printf(&q, " AND (ts > %lld OR (ts = %lld AND id > %lld))",
                               (long long)e->last_ts, (long long)e->last_ts, (long long)e->last_id);
    ok = ok && ta__ch_buf_printf(&q, " ORDER BY ts, id LIMIT %d", PAGE_ROWS);
    ta_err err = ok ? ta__ch_exec(e->c, q.p, NULL, 0, &e->page, NULL, NULL) : TA_ERR_NOMEM;
    ta__ch_buf_free(&q);
    e->started = true;
    e->pos = e->page.p;
    e->page_rows = 0;
    return err;
}

static const char *txt(const struct ta__ch_field *f)
{
    return f->null ? NULL : f->p;
}

static void addr_of(const struct ta__ch_field *f, struct ta_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (!f->null && f->len == 4)
        ta_addr_set_v4(a, (const uint8_t *)f->p);
    else if (!f->null && f->len == 16)
        ta_addr_set_v6(a, (const uint8_t *)f->p);
}

static const char *side_of(const struct ta__ch_field *f, struct ta_event_side *side, int ip,
                           int port, int cc, int asn, int as_name, int home, bool detail)
{
    memset(side, 0, sizeof(*side));
    addr_of(&f[ip], &side->ip);
    side->port = (uint16_t)ta__ch_i64(&f[port]);
    const char *c = txt(&f[cc]);
    if (c != NULL && strlen(c) == 2)
        memcpy(side->cc, c, 3);
    side->asn = (uint32_t)ta__ch_i64(&f[asn]);
    if (detail) {
        side->as_name = txt(&f[as_name]);
        side->home = ta__ch_i64(&f[home]) != 0;
    }
    return c;
}

static int cmp_sensor(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *run_sensor(const struct ch_events *e, int64_t id)
{
    size_t a = 0, b = e->nruns;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (e->runs[m].id < id)
            a = m + 1;
        else
            b = m;
    }
    return a < e->nruns && e->runs[a].id == id ? e->runs[a].sensor : NULL;
}

/* The event's sensors: its storing run's and its sightings' runs', sorted,
 * distinct, ';'-separated (as the SQLite store gives them). */
static ta_err sensors_of(struct ch_events *e, int64_t id, const char **out)
{
    const char *names[64];
    size_t n = 0;
    const char *s0 = run_sensor(e, (int64_t)((uint64_t)id >> 32));
    if (s0 != NULL)
        names[n++] = s0;
    size_t a = 0, b = e->nsights;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (e->sights[m].id < id)
            a = m + 1;
        else
            b = m;
    }
    if (a < e->nsights && e->sights[a].id == id) {
        for (const char *p = e->sights[a].runs; *p && n < 64;) {
            while (*p == '[' || *p == ',' || *p == ']')
                p++;
            if (!*p)
                break;
            char *endp;
            long long r = strtoll(p, &endp, 10);
            if (endp == p)
                break;
            p = endp;
            const char *sn = run_sensor(e, r);
            if (sn != NULL)
                names[n++] = sn;
        }
    }
    qsort(names, n, sizeof(names[0]), cmp_sensor);
    e->sensor_text.len = 0;
    if (!ta__ch_buf_add(&e->sensor_text, "", 0))
        return TA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if ((e->sensor_text.len > 0 || i > 0) && !ta__ch_buf_add(&e->sensor_text, ";", 1))
            return TA_ERR_NOMEM;
        if (!ta__ch_buf_add(&e->sensor_text, names[i], strlen(names[i])))
            return TA_ERR_NOMEM;
    }
    *out = n ? e->sensor_text.p : NULL;
    return TA_OK;
}

ta_err ta__ch_events_next(struct ta_store_events *cur, struct ta_store_event_row *row, bool *more)
{
    struct ch_events *e = che(cur);
    *more = false;
    struct ta__ch_field f[F__COUNT + 1];
    for (;;) {
        if (e->done)
            return TA_OK;
        if (!e->started || e->pos >= e->page.p + e->page.len) {
            if (e->started && e->page_rows < PAGE_ROWS) {
                e->done = true;
                return TA_OK;
            }
            ta_err err = next_page(e);
            if (err != TA_OK)
                return err;
            if (e->page.len == 0) {
                e->done = true;
                return TA_OK;
            }
        }
        size_t n = ta__ch_tsv_row(&e->pos, e->page.p + e->page.len, f, F__COUNT + 1);
        if (n == 0)
            continue;
        e->page_rows++;
        if (n != F__COUNT)
            return TA_ERR_DB;
        e->last_ts = ta__ch_i64(&f[F_TS]);
        e->last_id = ta__ch_i64(&f[F_ID]);
        int64_t kind = ta__ch_i64(&f[F_KIND]);
        if (kind < 0 || kind >= TA_EVENT_KIND__COUNT)
            continue;
        break;
    }
    struct ta_event *ev = &row->ev;
    memset(ev, 0, sizeof(*ev));
    int kind = (int)ta__ch_i64(&f[F_KIND]);
    row->id = ta__ch_i64(&f[F_ID]);
    ev->kind = (enum ta_event_kind)kind;
    ev->method = (enum ta_event_method)ta__ch_i64(&f[F_METHOD]);
    ev->ts = ta__ch_i64(&f[F_TS]);
    ev->flow_id = (uint64_t)strtoull(f[F_FLOW].p, NULL, 10);
    row->a_cc =
        side_of(f, &ev->attacker, F_AIP, F_APORT, F_ACC, F_AASN, F_AASNAME, F_AHOME, e->detail);
    row->v_cc =
        side_of(f, &ev->victim, F_VIP, F_VPORT, F_VCC, F_VASN, F_VASNAME, F_VHOME, e->detail);
    ev->confidence = (uint8_t)ta__ch_i64(&f[F_CONF]);
    ev->signature = txt(&f[F_SIG]);
    ev->family = txt(&f[F_FAMILY]);
    ev->indicator = txt(&f[F_IND]);
    ev->sources = txt(&f[F_SOURCES]);
    ev->hostname = txt(&f[F_HOST]);
    ev->url = txt(&f[F_URL]);
    if (e->detail) {
        ev->proto = (uint8_t)ta__ch_i64(&f[F_PROTO]);
        ev->indicator_type = txt(&f[F_INDTYPE]);
        ev->dns_answer = txt(&f[F_DNSANS]);
        if (!f[F_BODY].null) {
            ev->body = (const uint8_t *)f[F_BODY].p;
            ev->body_len = f[F_BODY].len;
        }
    }
    row->item = txt(&f[F_ITEM]);
    if (kind == TA_EVENT_PHISHING || kind == TA_EVENT_PHISHING_SUSPECTED)
        ev->page = row->item;
    else if (kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED)
        ev->website = row->item;
    ev->flow_start = ta__ch_i64(&f[F_FS]);
    ev->tx_index = (uint32_t)ta__ch_i64(&f[F_TXI]);
    ev->established = ta__ch_i64(&f[F_EST]) != 0;
    ev->undated = ta__ch_i64(&f[F_UNDATED]) != 0;
    ev->suppressed_by = txt(&f[F_SUPP]);
    row->sensors = NULL;
    if (e->sensors) {
        ta_err err = sensors_of(e, row->id, &row->sensors);
        if (err != TA_OK)
            return err;
    }
    *more = true;
    return TA_OK;
}

void ta__ch_events_close(struct ta_store_events *cur)
{
    struct ch_events *e = che(cur);
    for (size_t i = 0; i < e->nruns; i++)
        free(e->runs[i].sensor);
    free(e->runs);
    free(e->sights);
    ta__ch_buf_free(&e->page);
    ta__ch_buf_free(&e->sight);
    ta__ch_buf_free(&e->sensor_text);
    free(e);
}
