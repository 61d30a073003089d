/*
 * Evidence lists (threatatlas/store.h, ta_store_list): the counted events of
 * a kind and period grouped by the counted thing, largest first.
 *
 * Each list is one SQL GROUP BY over the events of the period (found through
 * their zones). SQLite sorts every event row to group them, which costs
 * several times the reading of them; by default the rows are instead read
 * once in zone order and grouped in memory (hash sets of the groups, of the
 * distinct values counted and of the listed values), within the store's
 * memcap: past it the list is computed again by the SQL. Both give the same
 * rows in the same order (tests compare them).
 */
#include "store/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-kset.h"

#include "common/banned.h"

#define MAX_COLS 12

/* The event columns the in-memory grouping can read. */
enum ecol {
    E_AIP,
    E_ACC,
    E_AASN,
    E_AASNAME,
    E_VIP,
    E_VCC,
    E_VASN,
    E_VASNAME,
    E_FAMILY,
    E_SOURCES,
    E_INDICATOR,
    E_ITEM,
    E_URL,
    E_TS,
    E__COUNT
};
static const char *const ecol_sql[E__COUNT] = {
    "e.a_ip",      "e.a_cc",   "e.a_asn",   "e.a_as_name", "e.v_ip", "e.v_cc", "e.v_asn",
    "e.v_as_name", "e.family", "e.sources", "e.indicator", "e.item", "e.url",  "e.ts"};

/* What a column is: its SQL, computed alike in memory. */
enum agg {
    A_KEY,      /* the group's src-th key (a GROUP BY column) */
    A_MAX,      /* MAX(src), SQLite's order of values */
    A_MIN,      /* MIN(src) */
    A_SET,      /* group_concat(DISTINCT src), then cleaned */
    A_DISTINCT, /* COUNT(DISTINCT src) */
    A_COUNT,    /* COUNT(*) */
};
static const char *const agg_sql[][2] = {{"", ""},
                                         {"MAX(", ")"},
                                         {"MIN(", ")"},
                                         {"group_concat(DISTINCT ", ")"},
                                         {"COUNT(DISTINCT ", ")"},
                                         {"COUNT(*)", ""}};

/*
 * A list: its columns (names and types are the output contract), the event
 * columns it groups by, its order (two count columns descending, then
 * column 0, the first group column) and what each column is. Both the SQL
 * and the in-memory grouping are made from it.
 */
struct list_spec {
    const char *name;
    int kind;
    struct ta_store_col cols[MAX_COLS];
    unsigned char gsrc[2], ngroup, order_by[2];
    struct {
        unsigned char op, src;
    } agg[MAX_COLS];
};

#define IP   TA_STORE_COL_IP
#define TEXT TA_STORE_COL_TEXT
#define INT  TA_STORE_COL_INT
#define TIME TA_STORE_COL_TIME
#define LIST TA_STORE_COL_LIST

/*
 * The runs of columns several lists share, as columns and as what each is:
 * a host (its address and country the group key, its AS the largest seen)
 * and the first and last time of the group's events.
 */
#define HOST_COLS                                                                                  \
    {"ip", IP}, {"cc", TEXT}, {"asn", INT},                                                        \
    {                                                                                              \
        "as_name", TEXT                                                                            \
    }
#define HOST_AGG(asn, as_name)                                                                     \
    {A_KEY, 0}, {A_KEY, 1}, {A_MAX, asn},                                                          \
    {                                                                                              \
        A_MAX, as_name                                                                             \
    }
#define SEEN_COLS                                                                                  \
    {"first_seen", TIME},                                                                          \
    {                                                                                              \
        "last_seen", TIME                                                                          \
    }
#define SEEN_AGG                                                                                   \
    {A_MIN, E_TS},                                                                                 \
    {                                                                                              \
        A_MAX, E_TS                                                                                \
    }

static const struct list_spec specs[TA_STORE_LIST__COUNT] = {
    [TA_STORE_LIST_C2_SERVERS] = {"c2-servers",
                                  TA_EVENT_C2,
                                  {HOST_COLS,
                                   {"family", LIST},
                                   {"sources", LIST},
                                   {"indicator", LIST},
                                   SEEN_COLS,
                                   {"hosts", INT},
                                   {"events", INT}},
                                  {E_AIP, E_ACC},
                                  2,
                                  {9, 10},
                                  {HOST_AGG(E_AASN, E_AASNAME),
                                   {A_SET, E_FAMILY},
                                   {A_SET, E_SOURCES},
                                   {A_SET, E_INDICATOR},
                                   SEEN_AGG,
                                   {A_DISTINCT, E_VIP},
                                   {A_COUNT, 0}}},
    [TA_STORE_LIST_CONTROLLED_HOSTS] = {"controlled-hosts",
                                        TA_EVENT_C2,
                                        {HOST_COLS,
                                         {"family", LIST},
                                         {"sources", LIST},
                                         SEEN_COLS,
                                         {"c2_servers", INT},
                                         {"events", INT}},
                                        {E_VIP, E_VCC},
                                        2,
                                        {8, 9},
                                        {HOST_AGG(E_VASN, E_VASNAME),
                                         {A_SET, E_FAMILY},
                                         {A_SET, E_SOURCES},
                                         SEEN_AGG,
                                         {A_DISTINCT, E_AIP},
                                         {A_COUNT, 0}}},
    [TA_STORE_LIST_PHISHING_HOSTS] = {"phishing-hosts",
                                      TA_EVENT_PHISHING,
                                      {HOST_COLS,
                                       {"sources", LIST},
                                       {"pages", INT},
                                       {"visitors", INT},
                                       SEEN_COLS,
                                       {"events", INT}},
                                      {E_AIP, E_ACC},
                                      2,
                                      {5, 9},
                                      {HOST_AGG(E_AASN, E_AASNAME),
                                       {A_SET, E_SOURCES},
                                       {A_DISTINCT, E_ITEM},
                                       {A_DISTINCT, E_VIP},
                                       SEEN_AGG,
                                       {A_COUNT, 0}}},
    [TA_STORE_LIST_PHISHING_PAGES] = {"phishing-pages",
                                      TA_EVENT_PHISHING,
                                      {{"page", TEXT},
                                       {"hosts", INT},
                                       {"host_cc", LIST},
                                       {"visitors", INT},
                                       {"events", INT},
                                       {"sources", LIST},
                                       SEEN_COLS},
                                      {E_ITEM, 0},
                                      1,
                                      {4, 3},
                                      {{A_KEY, 0},
                                       {A_DISTINCT, E_AIP},
                                       {A_SET, E_ACC},
                                       {A_DISTINCT, E_VIP},
                                       {A_COUNT, 0},
                                       {A_SET, E_SOURCES},
                                       SEEN_AGG}},
    [TA_STORE_LIST_BACKDOOR_SOURCES] = {"backdoor-sources",
                                        TA_EVENT_BACKDOOR,
                                        {HOST_COLS,
                                         {"family", LIST},
                                         {"sources", LIST},
                                         {"websites", INT},
                                         SEEN_COLS,
                                         {"backdoor_attacks", INT}},
                                        {E_AIP, E_ACC},
                                        2,
                                        {9, 6},
                                        {HOST_AGG(E_AASN, E_AASNAME),
                                         {A_SET, E_FAMILY},
                                         {A_SET, E_SOURCES},
                                         {A_DISTINCT, E_ITEM},
                                         SEEN_AGG,
                                         {A_COUNT, 0}}},
    [TA_STORE_LIST_BACKDOORED_SITES] = {"backdoored-sites",
                                        TA_EVENT_BACKDOOR,
                                        {{"website", TEXT},
                                         {"server_ip", IP},
                                         {"cc", TEXT},
                                         {"asn", INT},
                                         {"attacker_ips", INT},
                                         {"family", LIST},
                                         {"urls", INT},
                                         SEEN_COLS,
                                         {"backdoor_attacks", INT}},
                                        {E_ITEM, E_VCC},
                                        2,
                                        {9, 4},
                                        {{A_KEY, 0},
                                         {A_MIN, E_VIP},
                                         {A_KEY, 1},
                                         {A_MAX, E_VASN},
                                         {A_DISTINCT, E_AIP},
                                         {A_SET, E_FAMILY},
                                         {A_DISTINCT, E_URL},
                                         SEEN_AGG,
                                         {A_COUNT, 0}}},
};

#undef HOST_COLS
#undef HOST_AGG
#undef SEEN_COLS
#undef SEEN_AGG
#undef IP
#undef TEXT
#undef INT
#undef TIME
#undef LIST

static size_t ncols(const struct list_spec *sp)
{
    size_t n = 0;
    while (n < MAX_COLS && sp->cols[n].name != NULL)
        n++;
    return n;
}

const struct ta_store_col *ta_store_list_cols(enum ta_store_list l, size_t *n)
{
    if ((unsigned)l >= TA_STORE_LIST__COUNT) {
        *n = 0;
        return NULL;
    }
    *n = ncols(&specs[l]);
    return specs[l].cols;
}

const char *ta_store_list_name(enum ta_store_list l)
{
    if ((unsigned)l >= TA_STORE_LIST__COUNT)
        return NULL;
    return specs[l].name;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split a comma list (from group_concat of comma lists), dedupe, sort. */
char *ta__store_clean_list(const char *s)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1), *out = malloc(len + 1);
    char **tok = calloc(len / 2 + 2, sizeof(char *));
    if (copy == NULL || out == NULL || tok == NULL) {
        free(copy);
        free(tok);
        free(out);
        return NULL;
    }
    memcpy(copy, s, len + 1);
    size_t n = 0;
    for (char *p = copy; *p;) {
        size_t k = strcspn(p, ",");
        char *t = p;
        p += k;
        if (*p)
            *p++ = '\0';
        while (*t == ' ')
            t++;
        if (*t)
            tok[n++] = t;
    }
    qsort(tok, n, sizeof(*tok), cmp_str);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(tok[i], tok[i - 1]) == 0)
            continue;
        size_t k = strlen(tok[i]);
        if (o)
            out[o++] = ',';
        memcpy(out + o, tok[i], k);
        o += k;
    }
    out[o] = '\0';
    free(tok);
    free(copy);
    return out;
}

/*
 * " FROM ... WHERE ...": the counted events of the list's kind in the period.
 * They come from their zones (id ranges per storing run, kind and day; see
 * store.h), walked in (day, id) order. Returns the length written.
 */
static size_t events_from(char *sql, size_t cap, const struct ta_store_period *p,
                          const struct list_spec *sp)
{
    char sc[32], dc[32];
    ta__store_cc_filters(p, "e.a_cc", "e.v_cc", sc, dc);
    int n = snprintf(sql, cap,
                     " FROM store_event_zone z"
                     " CROSS JOIN store_event e ON e.id BETWEEN z.id_lo AND z.id_hi"
                     " AND e.kind = z.kind AND e.day = z.day"
                     " WHERE z.kind = %d AND z.day BETWEEN %lld AND %lld%s%s"
                     " AND e.suppressed_by IS NULL",
                     sp->kind, (long long)p->from_day, (long long)p->to_day, sc, dc);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* The list by SQL: GROUP BY over the events of the period. */
static ta_err list_sql(struct ta_store *st, const struct ta_store_period *p,
                       const struct list_spec *sp, size_t limit, ta_store_row_cb cb, void *ctx)
{
    size_t nc = ncols(sp);
    char sql[2048];
    size_t o = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
    for (size_t i = 0; i < nc; i++) {
        unsigned op = sp->agg[i].op, src = op == A_KEY ? sp->gsrc[sp->agg[i].src] : sp->agg[i].src;
        char expr[64];
        snprintf(expr, sizeof(expr), "%s%s%s", agg_sql[op][0], op == A_COUNT ? "" : ecol_sql[src],
                 agg_sql[op][1]);
        o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s AS c%zu", i ? ", " : "", expr, i);
    }
    char group[64];
    snprintf(group, sizeof(group), "%s%s%s", ecol_sql[sp->gsrc[0]], sp->ngroup > 1 ? ", " : "",
             sp->ngroup > 1 ? ecol_sql[sp->gsrc[1]] : "");
    o += events_from(sql + o, sizeof(sql) - o, p, sp);
    o += (size_t)snprintf(sql + o, sizeof(sql) - o, " GROUP BY %s ORDER BY c%u DESC, c%u DESC, c0",
                          group, sp->order_by[0], sp->order_by[1]);
    if (limit > 0)
        snprintf(sql + o, sizeof(sql) - o, " LIMIT %zu", limit);

    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "list");
    struct ta_store_cell cells[MAX_COLS];
    char *owned[MAX_COLS];
    int rc;
    ta_err err = TA_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(owned, 0, sizeof(owned));
        for (size_t i = 0; i < nc; i++) {
            struct ta_store_cell *c = &cells[i];
            memset(c, 0, sizeof(*c));
            c->null = sqlite3_column_type(s, (int)i) == SQLITE_NULL;
            switch (sp->cols[i].type) {
            case TA_STORE_COL_IP:
                c->addr = sqlite3_column_blob(s, (int)i);
                c->addr_len = (size_t)sqlite3_column_bytes(s, (int)i);
                break;
            case TA_STORE_COL_INT:
            case TA_STORE_COL_TIME:
                c->i = sqlite3_column_int64(s, (int)i);
                break;
            case TA_STORE_COL_LIST:
                if (!c->null) {
                    owned[i] = ta__store_clean_list((const char *)sqlite3_column_text(s, (int)i));
                    if (owned[i] == NULL)
                        err = TA_ERR_NOMEM;
                    c->text = owned[i] ? owned[i] : "";
                }
                break;
            default:
                if (!c->null)
                    c->text = (const char *)sqlite3_column_text(s, (int)i);
            }
        }
        if (err == TA_OK)
            err = cb(ctx, cells, nc);
        for (size_t i = 0; i < nc; i++)
            free(owned[i]);
        if (err)
            break;
    }
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, "list");
    sqlite3_finalize(s);
    return err;
}

/* ---- grouping in memory ---- */

/*
 * A value as SQLite orders it, in bytes whose memcmp order (then the
 * shorter first) is SQLite's: a type tag (NULL < integer < text < blob,
 * as SQLite ranks the storage classes) then an integer's 8 bytes big-endian
 * with the sign bit flipped, or the text's or blob's bytes.
 */
enum { T_NULL, T_INT, T_TEXT, T_BLOB };
#define VAL_MAX 60000 /* longer values go to the SQL (a kset key is at most 65535 bytes) */

static void enc_int(uint8_t *b, int64_t v)
{
    uint64_t u = (uint64_t)v ^ (1ull << 63);
    b[0] = T_INT;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (uint8_t)(u >> (56 - 8 * i));
}

static int64_t dec_int(const uint8_t *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | b[1 + i];
    return (int64_t)(u ^ (1ull << 63));
}

/* Column i of s encoded into b (VAL_MAX + 1 bytes); 0 for NULL, SIZE_MAX if too long. */
static size_t enc_col(sqlite3_stmt *s, int i, uint8_t *b)
{
    int t = sqlite3_column_type(s, i);
    if (t == SQLITE_NULL)
        return 0;
    if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        enc_int(b, sqlite3_column_int64(s, i));
        return 9;
    }
    const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(s, i) : sqlite3_column_text(s, i);
    size_t n = (size_t)sqlite3_column_bytes(s, i);
    if (n > VAL_MAX)
        return SIZE_MAX;
    b[0] = t == SQLITE_BLOB ? T_BLOB : T_TEXT;
    if (n)
        memcpy(b + 1, p, n);
    return n + 1;
}

static int cmp_bytes(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

struct mem {
    const struct list_spec *sp;
    size_t nc;
    unsigned nslots;
    unsigned slot[MAX_COLS]; /* first value slot of each column in a group */
    int at[E__COUNT];        /* result column of each event column read (only those
                              * the list uses are selected: each costs its decoding) */
    struct ta__kset groups;  /* group key -> slot 0: group number, then the columns' slots */
    struct ta__kset strs;    /* text and blob minima and maxima */
    struct ta__kset dist;    /* (group, column, value) counted by COUNT(DISTINCT) */
    struct ta__kset sets;    /* (group, column, text) listed by group_concat(DISTINCT);
                              * value: its entry number + 1 */
    uint8_t buf[VAL_MAX + 8], key[2 * (VAL_MAX + 3)];
};

static size_t mem_bytes(const struct mem *m)
{
    return ta__kset_bytes(&m->groups) + ta__kset_bytes(&m->strs) + ta__kset_bytes(&m->dist) +
           ta__kset_bytes(&m->sets);
}

/* The value of a MIN/MAX slot pair as encoded bytes (tmp holds an integer's). */
static const uint8_t *slot_val(const struct mem *m, const uint64_t *v, uint8_t tmp[9], size_t *len)
{
    if (v[0] == T_INT) {
        enc_int(tmp, (int64_t)v[1]);
        *len = 9;
        return tmp;
    }
    return ta__kset_key(&m->strs, (size_t)v[1], len);
}

/* Fold row s into group g (slots v). false: out of memory or a value too long. */
static bool mem_row(struct mem *m, sqlite3_stmt *s, uint32_t g, uint64_t *v)
{
    const struct list_spec *sp = m->sp;
    for (size_t i = 0; i < m->nc; i++) {
        unsigned op = sp->agg[i].op, src = sp->agg[i].src;
        uint64_t *sl = v + m->slot[i];
        if (op == A_KEY)
            continue;
        if (op == A_COUNT) {
            sl[0]++;
            continue;
        }
        size_t n;
        if (op == A_SET) {
            /* group_concat joins the values as text. */
            const unsigned char *t = sqlite3_column_text(s, m->at[src]);
            n = t == NULL ? 0 : (size_t)sqlite3_column_bytes(s, m->at[src]) + 1;
            if (n > VAL_MAX)
                return false;
            if (n) {
                m->buf[0] = T_TEXT;
                memcpy(m->buf + 1, t, n - 1);
            }
        } else {
            n = enc_col(s, m->at[src], m->buf);
        }
        if (n == 0)
            continue; /* NULLs are neither counted, listed nor compared */
        if (n == SIZE_MAX)
            return false;
        if (op == A_MIN || op == A_MAX) {
            if (sl[0] != 0) {
                uint8_t tmp[9];
                size_t cl;
                const uint8_t *cur = slot_val(m, sl, tmp, &cl);
                int c = cmp_bytes(m->buf, n, cur, cl);
                if (op == A_MIN ? c >= 0 : c <= 0)
                    continue;
            }
            if (m->buf[0] == T_INT) {
                sl[0] = T_INT;
                sl[1] = (uint64_t)dec_int(m->buf);
            } else {
                bool created;
                uint64_t *e = ta__kset_get(&m->strs, m->buf, n, &created);
                if (e == NULL)
                    return false;
                if (created)
                    e[0] = m->strs.n - 1;
                sl[1] = e[0];
                sl[0] = m->buf[0];
            }
            continue;
        }
        /* (group, column, value): a set whose size is the distinct count, or
         * whose members are the listed texts. */
        size_t off = op == A_SET ? 1 : 0; /* texts only: the tag is the same for all */
        if (op == A_SET && sl[0] != 0) {
            /* A group's listed values mostly repeat: the last one added is
             * checked before the set. */
            size_t kl;
            const uint8_t *k = ta__kset_key(&m->sets, (size_t)sl[0] - 1, &kl);
            if (kl == 5 + n - off && memcmp(k + 5, m->buf + off, n - off) == 0)
                continue;
        }
        memcpy(m->key, &g, 4);
        m->key[4] = (uint8_t)i;
        memcpy(m->key + 5, m->buf + off, n - off);
        bool created;
        uint64_t *e =
            ta__kset_get(op == A_SET ? &m->sets : &m->dist, m->key, 5 + n - off, &created);
        if (e == NULL)
            return false;
        if (op == A_SET) {
            if (created)
                e[0] = m->sets.n;
            sl[0] = e[0];
        } else if (created) {
            sl[0]++;
        }
    }
    return true;
}

/* Component k of a group key (2-byte length, encoded value; each). */
static const uint8_t *key_part(const uint8_t *k, unsigned part, size_t *len)
{
    for (unsigned i = 0;; i++) {
        size_t n = (size_t)k[0] | (size_t)k[1] << 8;
        if (i == part) {
            *len = n;
            return k + 2;
        }
        k += 2 + n;
    }
}

struct order_ctx {
    const struct mem *m;
    unsigned s0, s1; /* slots of the two count columns ordered by */
    unsigned ngroup;
};

/* The list's ORDER BY, then the rest of the group key (the order in which
 * SQLite's GROUP BY hands equal rows to its sorter). */
static int cmp_groups(const void *a, const void *b, void *ctx)
{
    const struct order_ctx *o = ctx;
    uint32_t ga = *(const uint32_t *)a, gb = *(const uint32_t *)b;
    const uint64_t *va = &o->m->groups.vals[(size_t)o->m->groups.nvals * ga];
    const uint64_t *vb = &o->m->groups.vals[(size_t)o->m->groups.nvals * gb];
    if (va[o->s0] != vb[o->s0])
        return va[o->s0] > vb[o->s0] ? -1 : 1;
    if (va[o->s1] != vb[o->s1])
        return va[o->s1] > vb[o->s1] ? -1 : 1;
    size_t la, lb;
    const uint8_t *ka = ta__kset_key(&o->m->groups, ga, &la);
    const uint8_t *kb = ta__kset_key(&o->m->groups, gb, &lb);
    for (unsigned p = 0; p < o->ngroup; p++) {
        size_t pa, pb;
        const uint8_t *xa = key_part(ka, p, &pa), *xb = key_part(kb, p, &pb);
        int c = cmp_bytes(xa, pa, xb, pb);
        if (c)
            return c;
    }
    return 0;
}

/* An encoded value as a cell of column type t; text is copied, NUL-ended, to *owned. */
static bool cell_of(struct ta_store_cell *c, enum ta_store_col_type t, const uint8_t *v, size_t n,
                    char **owned)
{
    memset(c, 0, sizeof(*c));
    if (n == 0 || v[0] == T_NULL) {
        c->null = true;
        return true;
    }
    if (v[0] == T_INT) {
        c->i = dec_int(v);
        if (t == TA_STORE_COL_INT || t == TA_STORE_COL_TIME)
            return true;
        /* An integer read as text or blob: its decimal digits, as SQLite gives them. */
        char d[24];
        int k = snprintf(d, sizeof(d), "%lld", (long long)c->i);
        *owned = malloc((size_t)k + 1);
        if (*owned == NULL)
            return false;
        memcpy(*owned, d, (size_t)k + 1);
        c->text = *owned;
        c->addr = (const uint8_t *)*owned;
        c->addr_len = (size_t)k;
        return true;
    }
    if (t == TA_STORE_COL_IP) {
        c->addr = v + 1;
        c->addr_len = n - 1;
        return true;
    }
    if (t == TA_STORE_COL_INT || t == TA_STORE_COL_TIME) {
        /* Text as an integer, as sqlite3_column_int64 reads it. */
        char d[32];
        size_t k = n - 1 < sizeof(d) - 1 ? n - 1 : sizeof(d) - 1;
        memcpy(d, v + 1, k);
        d[k] = '\0';
        c->i = strtoll(d, NULL, 10);
        return true;
    }
    *owned = malloc(n);
    if (*owned == NULL)
        return false;
    memcpy(*owned, v + 1, n - 1);
    (*owned)[n - 1] = '\0';
    c->text = *owned;
    return true;
}

/* The listed texts of column col of the group whose set entries are ents[0..n): joined. */
static char *set_text(const struct mem *m, const uint32_t *ents, size_t n, size_t col)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kl;
        const uint8_t *k = ta__kset_key(&m->sets, ents[i], &kl);
        if (k[4] == col)
            len += kl - 5 + 1;
    }
    if (len == 0)
        return NULL;
    char *out = malloc(len);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kl;
        const uint8_t *k = ta__kset_key(&m->sets, ents[i], &kl);
        if (k[4] != col)
            continue;
        if (o)
            out[o++] = ',';
        memcpy(out + o, k + 5, kl - 5);
        o += kl - 5;
    }
    out[o] = '\0';
    char *clean = ta__store_clean_list(out);
    free(out);
    return clean;
}

/* Hand the first limit groups in the list's order to cb. */
static ta_err mem_emit(struct mem *m, size_t limit, ta_store_row_cb cb, void *ctx)
{
    const struct list_spec *sp = m->sp;
    size_t ng = m->groups.n, nout = limit > 0 && limit < ng ? limit : ng;
    uint32_t *order = malloc((ng ? ng : 1) * sizeof(*order));
    uint32_t *rank = malloc((ng ? ng : 1) * sizeof(*rank));
    uint32_t *start = calloc(nout + 2, sizeof(*start));
    uint32_t *ents = malloc((m->sets.n ? m->sets.n : 1) * sizeof(*ents));
    ta_err err = TA_OK;
    if (order == NULL || rank == NULL || start == NULL || ents == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    for (size_t g = 0; g < ng; g++)
        order[g] = (uint32_t)g;
    struct order_ctx oc = {m, m->slot[sp->order_by[0]], m->slot[sp->order_by[1]], sp->ngroup};
    qsort_r(order, ng, sizeof(*order), cmp_groups, &oc);
    for (size_t g = 0; g < ng; g++)
        rank[g] = UINT32_MAX;
    for (size_t r = 0; r < nout; r++)
        rank[order[r]] = (uint32_t)r;
    /* The listed texts by output row: counted, then placed (rows are few or
     * the entries are read twice, never searched). */
    for (size_t i = 0; i < m->sets.n; i++) {
        size_t kl;
        const uint8_t *k = ta__kset_key(&m->sets, i, &kl);
        uint32_t g;
        memcpy(&g, k, 4);
        if (rank[g] != UINT32_MAX)
            start[rank[g] + 2]++;
    }
    for (size_t r = 0; r < nout; r++)
        start[r + 2] += start[r + 1];
    for (size_t i = 0; i < m->sets.n; i++) {
        size_t kl;
        const uint8_t *k = ta__kset_key(&m->sets, i, &kl);
        uint32_t g;
        memcpy(&g, k, 4);
        if (rank[g] != UINT32_MAX)
            ents[start[rank[g] + 1]++] = (uint32_t)i;
    }
    for (size_t r = 0; r < nout && err == TA_OK; r++) {
        uint32_t g = order[r];
        const uint64_t *v = &m->groups.vals[(size_t)m->groups.nvals * g];
        size_t kl;
        const uint8_t *key = ta__kset_key(&m->groups, g, &kl);
        struct ta_store_cell cells[MAX_COLS];
        char *owned[MAX_COLS] = {0};
        for (size_t i = 0; i < m->nc && err == TA_OK; i++) {
            struct ta_store_cell *c = &cells[i];
            const uint64_t *sl = v + m->slot[i];
            enum ta_store_col_type t = sp->cols[i].type;
            size_t n;
            const uint8_t *val;
            uint8_t tmp[9];
            switch (sp->agg[i].op) {
            case A_KEY:
                val = key_part(key, sp->agg[i].src, &n);
                if (!cell_of(c, t, val, n, &owned[i]))
                    err = TA_ERR_NOMEM;
                break;
            case A_MIN:
            case A_MAX:
                n = 0;
                val = sl[0] ? slot_val(m, sl, tmp, &n) : NULL;
                if (!cell_of(c, t, val, n, &owned[i]))
                    err = TA_ERR_NOMEM;
                break;
            case A_SET:
                memset(c, 0, sizeof(*c));
                owned[i] = set_text(m, ents + start[r], start[r + 1] - start[r], i);
                c->null = owned[i] == NULL;
                c->text = owned[i];
                break;
            default:
                memset(c, 0, sizeof(*c));
                c->i = (int64_t)sl[0];
            }
        }
        if (err == TA_OK)
            err = cb(ctx, cells, m->nc);
        for (size_t i = 0; i < m->nc; i++)
            free(owned[i]);
    }
out:
    free(order);
    free(rank);
    free(start);
    free(ents);
    return err;
}

/*
 * The list grouped in memory. *gave_up (with TA_ERR_LIMIT, before any row
 * went to cb) when the grouping would pass the memcap or a value is too
 * long for it: the caller then asks SQL.
 */
static ta_err list_mem(struct ta_store *st, const struct ta_store_period *p,
                       const struct list_spec *sp, size_t limit, ta_store_row_cb cb, void *ctx,
                       bool *gave_up)
{
    *gave_up = false;
    struct mem *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return TA_ERR_NOMEM;
    m->sp = sp;
    m->nc = ncols(sp);
    m->nslots = 1;
    for (size_t i = 0; i < m->nc; i++) {
        m->slot[i] = m->nslots;
        unsigned op = sp->agg[i].op;
        m->nslots += op == A_MIN || op == A_MAX ? 2 : op == A_KEY ? 0 : 1;
    }
    ta__kset_init(&m->groups, m->nslots);
    ta__kset_init(&m->strs, 1);
    ta__kset_init(&m->dist, 0);
    ta__kset_init(&m->sets, 1);
    bool used[E__COUNT] = {false};
    for (unsigned i = 0; i < sp->ngroup; i++)
        used[sp->gsrc[i]] = true;
    for (size_t i = 0; i < m->nc; i++)
        if (sp->agg[i].op != A_KEY && sp->agg[i].op != A_COUNT)
            used[sp->agg[i].src] = true;
    char cols[256] = "";
    size_t co = 0;
    int nsel = 0;
    for (int e = 0; e < E__COUNT; e++) {
        m->at[e] = -1;
        if (used[e]) {
            co += (size_t)snprintf(cols + co, sizeof(cols) - co, "%s%s", nsel ? ", " : "",
                                   ecol_sql[e]);
            m->at[e] = nsel++;
        }
    }
    char sql[1024];
    size_t so = (size_t)snprintf(sql, sizeof(sql), "SELECT %s", cols);
    events_from(sql + so, sizeof(sql) - so, p, sp);
    sqlite3_stmt *s = NULL;
    ta_err err = TA_OK;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
        err = ta__store_dberr(st, "list");
        goto out;
    }
    size_t cap = ta__store_memcap(st);
    uint64_t rows = 0;
    int rc = SQLITE_DONE;
    while (err == TA_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        size_t kl = 0;
        for (unsigned i = 0; i < sp->ngroup && err == TA_OK; i++) {
            size_t n = enc_col(s, m->at[sp->gsrc[i]], m->key + kl + 2);
            if (n == SIZE_MAX) {
                err = TA_ERR_LIMIT;
                break;
            }
            if (n == 0) {
                m->key[kl + 2] = T_NULL;
                n = 1;
            }
            m->key[kl] = (uint8_t)(n & 0xff);
            m->key[kl + 1] = (uint8_t)(n >> 8);
            kl += 2 + n;
        }
        bool created;
        uint64_t *v = err ? NULL : ta__kset_get(&m->groups, m->key, kl, &created);
        if (v != NULL && created)
            v[0] = m->groups.n - 1;
        if (v == NULL || !mem_row(m, s, (uint32_t)v[0], v))
            err = TA_ERR_LIMIT;
        if (err == TA_OK && ++rows % 256 == 0 && mem_bytes(m) > cap)
            err = TA_ERR_LIMIT;
    }
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, "list");
    sqlite3_finalize(s);
    if (err == TA_OK && mem_bytes(m) > cap)
        err = TA_ERR_LIMIT;
    *gave_up = err == TA_ERR_LIMIT;
    if (err == TA_OK)
        err = mem_emit(m, limit, cb, ctx);
out:
    ta__kset_release(&m->groups);
    ta__kset_release(&m->strs);
    ta__kset_release(&m->dist);
    ta__kset_release(&m->sets);
    free(m);
    return err;
}

ta_err ta__store_list_how(struct ta_store *st, const struct ta_store_period *p,
                          enum ta_store_list l, size_t limit, enum ta__store_list_how how,
                          ta_store_row_cb cb, void *ctx)
{
    if ((unsigned)l >= TA_STORE_LIST__COUNT)
        return TA_ERR_ARG;
    if (!ta__store_has_tables(st))
        return TA_OK;
    const struct list_spec *sp = &specs[l];
    if (how == TA__LIST_SQL)
        return list_sql(st, p, sp, limit, cb, ctx);
    bool gave_up;
    ta_err err = list_mem(st, p, sp, limit, cb, ctx, &gave_up);
    if (gave_up && how == TA__LIST_AUTO)
        return list_sql(st, p, sp, limit, cb, ctx);
    return err;
}

ta_err ta_store_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                     size_t limit, ta_store_row_cb cb, void *ctx)
{
    TA__STORE_FWD(st, list, st, p, l, limit, cb, ctx);
    return ta__store_list_how(st, p, l, limit, TA__LIST_AUTO, cb, ctx);
}
