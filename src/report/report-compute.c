/*
 * Report (stage 8): counts by country pair over a range of whole UTC days,
 * from the store's per-day rollups. Distinct counts scan each pair's
 * per-day members in member order and count changes, so they are exact over
 * any range; counters are summed.
 */
#include "threatatlas/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "report/report-int.h"

#include "common/banned.h"

#define DAY_US (86400ull * 1000000ull)

void ta_report_query_init(struct ta_report_query *q)
{
    memset(q, 0, sizeof(*q));
    q->to_day = INT32_MAX;
}

ta_err ta_report_query_dates(struct ta_report_query *q, const char *from, const char *to)
{
    ta_time_us f, t;
    if (from == NULL || to == NULL || !ta_date_parse(from, &f) || !ta_date_parse(to, &t) || f > t)
        return TA_ERR_ARG;
    q->from_day = ta_store_day(f);
    q->to_day = ta_store_day(t);
    return TA_OK;
}

ta_err ta_report_query_cc(char cc[3], const char *text)
{
    if (text == NULL || strlen(text) != 2 || !isalpha((unsigned char)text[0]) ||
        !isalpha((unsigned char)text[1]))
        return TA_ERR_ARG;
    cc[0] = (char)toupper((unsigned char)text[0]);
    cc[1] = (char)toupper((unsigned char)text[1]);
    cc[2] = '\0';
    return TA_OK;
}

bool ta_report_format_parse(const char *s, enum ta_report_format *out)
{
    static const char *const names[] = {"text", "json", "csv"};
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ta_report_format)i;
            return true;
        }
    }
    return false;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ta_report_free(struct ta_report *r)
{
    if (r == NULL)
        return;
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        free(r->rows[k].v);
    free_strv(r->homes, r->n_homes);
    free_strv(r->intel, r->n_intel);
    free_strv(r->geoip, r->n_geoip);
    free_strv(r->sensors, r->n_sensors);
    free_strv(r->sources, r->n_sources);
    free_strv(r->notes, r->n_notes);
    for (size_t i = 0; i < r->n_supp; i++)
        free((char *)r->supp[i].list);
    free(r->supp);
    free(r->gc_a);
    free(r->gc_b);
    free(r);
}

ta_err ta_report_set_geo_compare(struct ta_report *r, const char *a, const char *b,
                                 uint64_t addresses, uint64_t different)
{
    size_t la = strlen(a), lb = strlen(b);
    char *ca = malloc(la + 1), *cb = malloc(lb + 1);
    if (ca == NULL || cb == NULL) {
        free(ca);
        free(cb);
        return TA_ERR_NOMEM;
    }
    memcpy(ca, a, la + 1);
    memcpy(cb, b, lb + 1);
    free(r->gc_a);
    free(r->gc_b);
    r->gc_a = ca;
    r->gc_b = cb;
    r->gc_addresses = addresses;
    r->gc_different = different;
    return TA_OK;
}

static struct ta_report_row *row_get(struct rowset *rs, const char *src, const char *dst)
{
    for (size_t i = rs->n; i-- > 0;) {
        if (strcmp(rs->v[i].src_cc, src) == 0 && strcmp(rs->v[i].dst_cc, dst) == 0)
            return &rs->v[i];
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct ta_report_row *v = realloc(rs->v, cap * sizeof(*v));
        if (v == NULL)
            return NULL;
        rs->v = v;
        rs->cap = cap;
    }
    struct ta_report_row *row = &rs->v[rs->n++];
    memset(row, 0, sizeof(*row));
    snprintf(row->src_cc, sizeof(row->src_cc), "%s", src);
    snprintf(row->dst_cc, sizeof(row->dst_cc), "%s", dst);
    return row;
}

static void period_of(const struct ta_report_query *q, struct ta_store_period *p)
{
    memset(p, 0, sizeof(*p));
    p->from_day = q->from_day;
    p->to_day = q->to_day;
    memcpy(p->src_cc, q->src_cc, sizeof(p->src_cc));
    memcpy(p->dst_cc, q->dst_cc, sizeof(p->dst_cc));
}

/* Which field of a pair's row a store query fills. */
enum field { F_COUNTERS, F_ATTACKERS, F_TARGETS, F_ESTABLISHED, F_DATED };

struct fill {
    struct rowset *rs;
    enum field field;
};

static ta_err fill_row(void *ctx, const char *src, const char *dst, uint64_t a, uint64_t b)
{
    const struct fill *f = ctx;
    struct ta_report_row *row = row_get(f->rs, src, dst);
    if (row == NULL)
        return TA_ERR_NOMEM;
    switch (f->field) {
    case F_COUNTERS:
        row->events = a;
        row->flows = b;
        break;
    case F_ATTACKERS:
        row->attackers = a;
        break;
    case F_TARGETS:
        row->targets = a;
        break;
    case F_ESTABLISHED:
        row->established = a;
        break;
    case F_DATED:
        /* Held here until every set is read; turned into undated below. */
        row->undated = a;
        break;
    }
    return TA_OK;
}

static ta_err load_distinct(struct ta_store *st, struct ta_report *r,
                            const struct ta_store_period *p, int kind, enum ta_store_set set,
                            enum field field)
{
    struct fill f = {&r->rows[kind], field};
    return ta_store_pair_distinct(st, p, (enum ta_event_kind)kind, set, fill_row, &f);
}

/* Add s to a sorted unique string vector. */
static ta_err strv_add(char ***v, size_t *n, const char *s, size_t len)
{
    if (len == 0)
        return TA_OK;
    for (size_t i = 0; i < *n; i++) {
        if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
            return TA_OK;
    }
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (nv == NULL)
        return TA_ERR_NOMEM;
    *v = nv;
    char *c = malloc(len + 1);
    if (c == NULL)
        return TA_ERR_NOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    size_t i = *n;
    while (i > 0 && strcmp(nv[i - 1], c) > 0) {
        nv[i] = nv[i - 1];
        i--;
    }
    nv[i] = c;
    (*n)++;
    return TA_OK;
}

static void day_str(int64_t day, char buf[16]);

struct runs_ctx {
    struct ta_report *r;
    ta_time_us from, to_excl;
    ta_err err;
};

static bool add_run(void *ctx, const struct ta_store_run_desc *d)
{
    struct runs_ctx *c = ctx;
    struct ta_report *r = c->r;
    ta_err err = TA_OK;
    r->db_empty = false;
    ta_time_us f = d->ts_first, l = d->ts_last;
    if (l < c->from || f >= c->to_excl || (f == 0 && l == 0))
        return true;
    r->runs++;
    /* home is a comma-separated list of country codes. */
    const char *h = d->home;
    while (*h && err == TA_OK) {
        size_t n = strcspn(h, ", ");
        char cc[3];
        if (n == 2 && ta_report_query_cc(cc, (char[3]){h[0], h[1], 0}) == TA_OK)
            err = strv_add(&r->homes, &r->n_homes, cc, 2);
        h += n;
        h += strspn(h, ", ");
    }
    const char *iv = d->intel_version, *gv = d->geoip_version, *sn = d->sensor;
    if (err == TA_OK)
        err = strv_add(&r->intel, &r->n_intel, iv, strlen(iv));
    if (err == TA_OK)
        err = strv_add(&r->geoip, &r->n_geoip, gv, strlen(gv));
    if (err == TA_OK)
        err = strv_add(&r->sensors, &r->n_sensors, sn, strlen(sn));
    /* Sources: "; "-separated entries, each listed once over the runs. */
    for (const char *so = d->sources; err == TA_OK && so != NULL && *so;) {
        const char *e = strstr(so, "; ");
        size_t n = e != NULL ? (size_t)(e - so) : strlen(so);
        err = strv_add(&r->sources, &r->n_sources, so, n);
        so = e != NULL ? e + 2 : NULL;
    }
    /* Countries are those of the GeoIP data's date: say so when the
     * traffic predates it (addresses move between countries). */
    int64_t built = (int64_t)d->geoip_built;
    if (err == TA_OK && built > 0 && (int64_t)(f / 1000000) < built) {
        char d0[16], d1[16], b[16], note[160];
        day_str(ta_store_day(f), d0);
        day_str(ta_store_day(l), d1);
        day_str(built / 86400, b);
        int n = snprintf(note, sizeof(note),
                         "traffic of %s to %s was geolocated with GeoIP data built %s, "
                         "after the traffic",
                         d0, d1, b);
        err = strv_add(&r->notes, &r->n_notes, note, (size_t)n);
    }
    c->err = err;
    return err == TA_OK;
}

static ta_err load_runs(struct ta_store *st, struct ta_report *r)
{
    struct runs_ctx c = {r, (ta_time_us)r->q.from_day * DAY_US,
                         (ta_time_us)(r->q.to_day + 1) * DAY_US, TA_OK};
    r->db_empty = true;
    ta_err err = ta_store_runs_list(st, 0, add_run, &c);
    return c.err ? c.err : err;
}

static ta_err add_suppressed(void *ctx, enum ta_event_kind kind, const char *l, uint64_t events)
{
    struct ta_report *r = ctx;
    struct ta_report_suppressed *v = realloc(r->supp, (r->n_supp + 1) * sizeof(*v));
    char *copy = malloc(strlen(l) + 1);
    if (v != NULL)
        r->supp = v;
    if (v == NULL || copy == NULL) {
        free(copy);
        return TA_ERR_NOMEM;
    }
    memcpy(copy, l, strlen(l) + 1);
    r->supp[r->n_supp++] = (struct ta_report_suppressed){kind, copy, events};
    return TA_OK;
}

static uint64_t main_count(int kind, const struct ta_report_row *row)
{
    switch (kind) {
    case TA_EVENT_C2:
    case TA_EVENT_C2_SUSPECTED:
        return row->targets;
    case TA_EVENT_PHISHING:
    case TA_EVENT_PHISHING_SUSPECTED:
        return row->flows;
    default:
        return row->events;
    }
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
    const struct ta_report_row *x = a, *y = b;
    int kind = *(const int *)ctx;
    uint64_t mx = main_count(kind, x), my = main_count(kind, y);
    if (mx != my)
        return mx > my ? -1 : 1;
    if (x->attackers != y->attackers)
        return x->attackers > y->attackers ? -1 : 1;
    int c = strcmp(x->src_cc, y->src_cc);
    return c ? c : strcmp(x->dst_cc, y->dst_cc);
}

ta_err ta_report_compute(struct ta_store *st, const struct ta_report_query *q,
                         struct ta_report **out)
{
    *out = NULL;
    struct ta_report *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return TA_ERR_NOMEM;
    r->q = *q;
    r->db_empty = true;
    ta_err err = TA_OK;
    if (!ta_store_has_data(st))
        goto out_ok;
    struct ta_store_period p;
    period_of(q, &p);
    if ((err = load_runs(st, r)) != TA_OK)
        goto out_err;
    if ((err = ta_store_suppressed(st, &p, add_suppressed, r)) != TA_OK)
        goto out_err;
    for (int k = 0; k < TA_EVENT_KIND__COUNT; k++) {
        bool c2 = k == TA_EVENT_C2 || k == TA_EVENT_C2_SUSPECTED;
        bool hosts = c2 || k == TA_EVENT_PAYLOAD;
        struct fill counters = {&r->rows[k], F_COUNTERS};
        if ((err = ta_store_pair_counters(st, &p, (enum ta_event_kind)k, fill_row, &counters)) !=
                TA_OK ||
            (err = load_distinct(st, r, &p, k, TA_STORE_SET_ATTACKER, F_ATTACKERS)) != TA_OK ||
            (err = load_distinct(st, r, &p, k, hosts ? TA_STORE_SET_VICTIM : TA_STORE_SET_ITEM,
                                 F_TARGETS)) != TA_OK)
            goto out_err;
        if (c2 &&
            ((err = load_distinct(st, r, &p, k, TA_STORE_SET_VICTIM_EST, F_ESTABLISHED)) != TA_OK ||
             (err = load_distinct(st, r, &p, k, TA_STORE_SET_ATTACKER_DATED, F_DATED)) != TA_OK))
            goto out_err;
        for (size_t i = 0; c2 && i < r->rows[k].n; i++) {
            struct ta_report_row *w = &r->rows[k].v[i];
            w->undated = w->attackers > w->undated ? w->attackers - w->undated : 0;
        }
        if (r->rows[k].n > 1)
            qsort_r(r->rows[k].v, r->rows[k].n, sizeof(struct ta_report_row), cmp_rows, &k);
    }
out_ok:
    *out = r;
    return TA_OK;
out_err:
    ta_report_free(r);
    return err;
}

static int kind_of(enum ta_report_section sec, bool suspected)
{
    static const int k[3][2] = {{TA_EVENT_C2, TA_EVENT_C2_SUSPECTED},
                                {TA_EVENT_PHISHING, TA_EVENT_PHISHING_SUSPECTED},
                                {TA_EVENT_BACKDOOR, TA_EVENT_BACKDOOR_SUSPECTED}};
    return k[(unsigned)sec % 3][suspected ? 1 : 0];
}

size_t ta_report_rows(const struct ta_report *r, enum ta_report_section sec, bool suspected,
                      const struct ta_report_row **rows)
{
    if (sec == TA_REPORT_PAYLOAD) {
        *rows = suspected ? NULL : r->rows[TA_EVENT_PAYLOAD].v;
        return suspected ? 0 : r->rows[TA_EVENT_PAYLOAD].n;
    }
    const struct rowset *rs = &r->rows[kind_of(sec, suspected)];
    *rows = rs->v;
    return rs->n;
}

bool ta_report_db_empty(const struct ta_report *r)
{
    return r->db_empty;
}

size_t ta_report_suppressed(const struct ta_report *r, const struct ta_report_suppressed **out)
{
    *out = r->supp;
    return r->n_supp;
}

size_t ta_report_sensors(const struct ta_report *r, const char *const **out)
{
    *out = (const char *const *)r->sensors;
    return r->n_sensors;
}

bool ta_report_period_empty(const struct ta_report *r)
{
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++) {
        if (r->rows[k].n > 0)
            return false;
    }
    return true;
}

/* ---- output ---- */

static void day_str(int64_t day, char buf[16])
{
    ta_time_format((ta_time_us)day * DAY_US, buf, 16);
    buf[10] = '\0';
}

static char *num(uint64_t v, char buf[32])
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = t[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *cc_or_unknown(const char *cc)
{
    return cc[0] ? cc : "an unknown country";
}

static int cmp_pairs(const void *a, const void *b)
{
    const struct ta__report_pair *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    if (x->sweight != y->sweight)
        return x->sweight > y->sweight ? -1 : 1;
    int c = strcmp(x->src, y->src);
    return c ? c : strcmp(x->dst, y->dst);
}

static const struct ta_report_row *find_row(const struct ta_report *r, int kind, const char *src,
                                            const char *dst)
{
    const struct rowset *rs = &r->rows[kind];
    for (size_t i = 0; i < rs->n; i++) {
        if (strcmp(rs->v[i].src_cc, src) == 0 && strcmp(rs->v[i].dst_cc, dst) == 0)
            return &rs->v[i];
    }
    return NULL;
}

static const char *pl(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void clause_c2(FILE *f, const struct ta_report_row *w, bool suspected)
{
    char a[32], b[32];
    fprintf(f, "%s %s located in %s %s %s %s in %s", num(w->attackers, a),
            suspected ? pl(w->attackers, "suspected C&C server", "suspected C&C servers")
                      : pl(w->attackers, "trojan or botnet control server",
                           "trojan or botnet control servers"),
            cc_or_unknown(w->src_cc),
            suspected ? pl(w->attackers, "was contacted by", "were contacted by")
                      : "directly controlled",
            num(w->targets, b), pl(w->targets, "host", "hosts"), cc_or_unknown(w->dst_cc));
}

static void clause_phish(FILE *f, const struct ta_report_row *w, bool suspected)
{
    char a[32], b[32], c[32];
    fprintf(f, "%s %s located in %s served %s %s%s to visitors in %s, causing %s %s",
            num(w->attackers, a), pl(w->attackers, "host", "hosts"), cc_or_unknown(w->src_cc),
            num(w->targets, b), suspected ? "suspected " : "",
            pl(w->targets, "phishing page", "phishing pages"), cc_or_unknown(w->dst_cc),
            num(w->flows, c), pl(w->flows, "fraud event", "fraud events"));
}

static void clause_backdoor(FILE *f, const struct ta_report_row *w, bool suspected)
{
    char a[32], b[32], c[32];
    fprintf(f, "%s IP %s located in %s %s %s %s in %s, in %s %s", num(w->attackers, a),
            pl(w->attackers, "address", "addresses"), cc_or_unknown(w->src_cc),
            suspected ? "sent suspected backdoor requests to" : "planted backdoors in",
            num(w->targets, b), pl(w->targets, "website", "websites"), cc_or_unknown(w->dst_cc),
            num(w->events, c),
            suspected ? pl(w->events, "suspected backdoor request", "suspected backdoor requests")
                      : pl(w->events, "backdoor attack event", "backdoor attack events"));
}

ta_err ta__report_pairs(const struct ta_report *r, struct ta__report_pair **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    /* Collect the country pairs seen in any section. */
    size_t np = 0, cap = 0;
    struct ta__report_pair *pairs = NULL;
    for (int k = 0; k < TA_EVENT_KIND__COUNT; k++) {
        /* Payload rows have their own sentences, after the pairs. */
        for (size_t i = 0; k != TA_EVENT_PAYLOAD && i < r->rows[k].n; i++) {
            const struct ta_report_row *w = &r->rows[k].v[i];
            size_t j;
            for (j = 0; j < np; j++) {
                if (strcmp(pairs[j].src, w->src_cc) == 0 && strcmp(pairs[j].dst, w->dst_cc) == 0)
                    break;
            }
            if (j == np) {
                if (np == cap) {
                    cap = cap ? cap * 2 : 16;
                    struct ta__report_pair *p = realloc(pairs, cap * sizeof(*p));
                    if (p == NULL) {
                        free(pairs);
                        return TA_ERR_NOMEM;
                    }
                    pairs = p;
                }
                memset(&pairs[np], 0, sizeof(pairs[np]));
                memcpy(pairs[np].src, w->src_cc, 3);
                memcpy(pairs[np].dst, w->dst_cc, 3);
                np++;
            }
            if (ta_event_kind_confirmed((enum ta_event_kind)k))
                pairs[j].weight += main_count(k, w);
            else
                pairs[j].sweight += main_count(k, w);
        }
    }
    if (np > 1)
        qsort(pairs, np, sizeof(*pairs), cmp_pairs);
    *out = pairs;
    *nout = np;
    return TA_OK;
}

typedef void (*clause_fn)(FILE *, const struct ta_report_row *, bool);

/* DB-IP's data (the location source) asks for its own credit. */
static bool uses_dbip(const struct ta_report *r)
{
    for (size_t i = 0; i < r->n_geoip; i++)
        if (strstr(r->geoip[i], "dbip") != NULL)
            return true;
    return r->gc_b != NULL && strstr(r->gc_b, "dbip") != NULL;
}

/* Names in the footer (sensors, input files, feed sources) are the user's:
 * each control character is written as \xNN, as in messages. */
static void put_name(FILE *f, const char *sep, const char *s)
{
    fputs(sep, f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}

static void write_footer(const struct ta_report *r, FILE *f)
{
    char from[16], to[16];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    fprintf(f, "Period: %s to %s (UTC, both days included)", from, to);
    if (r->q.src_cc[0] || r->q.dst_cc[0])
        fprintf(f, "; attacker country %s, victim country %s", r->q.src_cc[0] ? r->q.src_cc : "any",
                r->q.dst_cc[0] ? r->q.dst_cc : "any");
    fprintf(f, "\nHome constituency: ");
    for (size_t i = 0; i < r->n_homes; i++)
        put_name(f, i ? ", " : "", r->homes[i]);
    fprintf(f, "%s\nThreat intel: ", r->n_homes ? "" : "(not recorded)");
    for (size_t i = 0; i < r->n_intel; i++)
        put_name(f, i ? "; " : "", r->intel[i]);
    fprintf(f, "%s\nGeoIP: ", r->n_intel ? "" : "(not recorded)");
    for (size_t i = 0; i < r->n_geoip; i++)
        put_name(f, i ? "; " : "", r->geoip[i]);
    fprintf(f, "%s\n", r->n_geoip ? "" : "(not recorded)");
    if (r->n_sensors > 0) {
        fprintf(f, "Sensors: ");
        for (size_t i = 0; i < r->n_sensors; i++)
            put_name(f, i ? ", " : "", r->sensors[i]);
        fputc('\n', f);
    }
    if (r->n_sources > 0) {
        fprintf(f, "Sources: ");
        for (size_t i = 0; i < r->n_sources; i++)
            put_name(f, i ? "; " : "", r->sources[i]);
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n_notes; i++)
        fprintf(f, "Note: %s.\n", r->notes[i]);
    if (r->gc_a != NULL) {
        char a[32], b[32];
        fprintf(f, "GeoIP sources %s and %s place %s of %s counted %s in different countries.\n",
                r->gc_a, r->gc_b, num(r->gc_different, a), num(r->gc_addresses, b),
                pl(r->gc_addresses, "address", "addresses"));
    }
    fprintf(f, "%s\n", TA_REPORT_GEO_CREDIT);
    if (uses_dbip(r))
        fprintf(f, "%s\n", TA_REPORT_DBIP_CREDIT);
}

/* One line: suppressed events by kind and list. */
static void write_suppressed_text(const struct ta_report *r, FILE *f)
{
    if (r->n_supp == 0)
        return;
    char a[32];
    fprintf(f, "Suppressed by allow lists, not counted:");
    for (size_t i = 0; i < r->n_supp; i++) {
        const struct ta_report_suppressed *x = &r->supp[i];
        fprintf(f, "%s %s %s %s by %s", i ? ";" : "", num(x->events, a),
                ta_event_kind_name(x->kind), pl(x->events, "event", "events"), x->list);
    }
    fputs(".\n", f);
}

static void write_payload_text(const struct ta_report *r, FILE *f)
{
    const struct rowset *rs = &r->rows[TA_EVENT_PAYLOAD];
    for (size_t i = 0; i < rs->n; i++) {
        const struct ta_report_row *w = &rs->v[i];
        char a[32], b[32], c[32];
        fprintf(f,
                "Malware downloads (not C&C): %s %s located in %s delivered malware payloads to "
                "%s %s in %s, in %s %s.\n",
                num(w->attackers, a), pl(w->attackers, "host", "hosts"), cc_or_unknown(w->src_cc),
                num(w->targets, b), pl(w->targets, "host", "hosts"), cc_or_unknown(w->dst_cc),
                num(w->events, c), pl(w->events, "download", "downloads"));
    }
}

ta_err ta__report_write_text(const struct ta_report *r, FILE *f)
{
    char from[16], to[16];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    if (r->db_empty) {
        fprintf(f, "No data: the database holds no analysis.\n");
        return TA_OK;
    }
    if (ta_report_period_empty(r)) {
        fprintf(f, "No detections from %s to %s%s.\n", from, to,
                r->q.src_cc[0] || r->q.dst_cc[0] ? " for the selected countries" : "");
        write_suppressed_text(r, f);
        fputc('\n', f);
        write_footer(r, f);
        return TA_OK;
    }
    struct ta__report_pair *pairs = NULL;
    size_t np = 0;
    ta_err err = ta__report_pairs(r, &pairs, &np);
    if (err != TA_OK)
        return err;
    static const clause_fn clauses[3] = {clause_c2, clause_phish, clause_backdoor};
    for (size_t j = 0; j < np; j++) {
        bool any = false;
        for (int sec = 0; sec < 3; sec++) {
            const struct ta_report_row *w =
                find_row(r, kind_of(sec, false), pairs[j].src, pairs[j].dst);
            if (w == NULL)
                continue;
            fputs(any ? "; " : "", f);
            clauses[sec](f, w, false);
            any = true;
        }
        if (any)
            fputs(".\n", f);
        bool sany = false;
        for (int sec = 0; sec < 3; sec++) {
            const struct ta_report_row *w =
                find_row(r, kind_of(sec, true), pairs[j].src, pairs[j].dst);
            if (w == NULL)
                continue;
            fputs(sany ? "; " : "  Suspected, not counted above: ", f);
            clauses[sec](f, w, true);
            sany = true;
        }
        if (sany)
            fputs(".\n", f);
    }
    free(pairs);
    write_payload_text(r, f);
    write_suppressed_text(r, f);
    fputc('\n', f);
    write_footer(r, f);
    return TA_OK;
}

static const char *const sec_names[3] = {"botnet", "phishing", "backdoor"};
static const char *const field_names[3][3] = {
    {"c2_servers", "controlled_hosts", NULL},
    {"phishing_hosts", "phishing_pages", "phishing_attacks"},
    {"attacker_ips", "compromised_websites", "backdoor_attacks"},
};

static void json_rows(struct ta_json *j, const struct ta_report *r, int sec, bool suspected)
{
    const struct rowset *rs = &r->rows[kind_of(sec, suspected)];
    ta_json_key(j, sec_names[sec]);
    ta_json_arr_open(j);
    for (size_t i = 0; i < rs->n; i++) {
        const struct ta_report_row *w = &rs->v[i];
        ta_json_obj_open(j);
        ta_json_kv_str(j, "src_cc", w->src_cc);
        ta_json_kv_str(j, "dst_cc", w->dst_cc);
        ta_json_kv_uint(j, field_names[sec][0], w->attackers);
        if (sec == TA_REPORT_BACKDOOR) {
            /* Key order as in the published shape. */
            ta_json_kv_uint(j, field_names[sec][2], w->events);
            ta_json_kv_uint(j, field_names[sec][1], w->targets);
        } else {
            ta_json_kv_uint(j, field_names[sec][1], w->targets);
            if (sec == TA_REPORT_PHISHING)
                ta_json_kv_uint(j, field_names[sec][2], w->flows);
        }
        if (sec == TA_REPORT_BOTNET) {
            ta_json_kv_uint(j, "controlled_hosts_established", w->established);
            ta_json_kv_uint(j, "c2_servers_undated", w->undated);
        }
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
}

static void json_strv(struct ta_json *j, const char *k, char **v, size_t n)
{
    ta_json_key(j, k);
    ta_json_arr_open(j);
    for (size_t i = 0; i < n; i++)
        ta_json_str(j, v[i]);
    ta_json_arr_close(j);
}

static ta_err write_json(const struct ta_report *r, FILE *f)
{
    struct ta_json j;
    char from[16], to[16];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_key(&j, "period");
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "from", from);
    ta_json_kv_str(&j, "to", to);
    ta_json_obj_close(&j);
    json_strv(&j, "home", r->homes, r->n_homes);
    for (int sec = 0; sec < 3; sec++)
        json_rows(&j, r, sec, false);
    /* Extra keys (allowed by the shape): suspected rows, data versions. */
    ta_json_key(&j, "suspected");
    ta_json_obj_open(&j);
    for (int sec = 0; sec < 3; sec++)
        json_rows(&j, r, sec, true);
    ta_json_obj_close(&j);
    ta_json_key(&j, "payload");
    ta_json_arr_open(&j);
    for (size_t i = 0; i < r->rows[TA_EVENT_PAYLOAD].n; i++) {
        const struct ta_report_row *w = &r->rows[TA_EVENT_PAYLOAD].v[i];
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "src_cc", w->src_cc);
        ta_json_kv_str(&j, "dst_cc", w->dst_cc);
        ta_json_kv_uint(&j, "payload_hosts", w->attackers);
        ta_json_kv_uint(&j, "downloading_hosts", w->targets);
        ta_json_kv_uint(&j, "downloads", w->events);
        ta_json_obj_close(&j);
    }
    ta_json_arr_close(&j);
    /* {"<kind>": {"<list>": events, ...}, ...}: only kinds with suppressed events. */
    ta_json_key(&j, "suppressed");
    ta_json_obj_open(&j);
    for (size_t i = 0; i < r->n_supp; i++) {
        if (i == 0 || r->supp[i].kind != r->supp[i - 1].kind) {
            if (i > 0)
                ta_json_obj_close(&j);
            ta_json_key(&j, ta_event_kind_name(r->supp[i].kind));
            ta_json_obj_open(&j);
        }
        ta_json_kv_uint(&j, r->supp[i].list, r->supp[i].events);
    }
    if (r->n_supp > 0)
        ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    ta_json_key(&j, "data");
    ta_json_obj_open(&j);
    json_strv(&j, "intel", r->intel, r->n_intel);
    json_strv(&j, "geoip", r->geoip, r->n_geoip);
    ta_json_kv_str(&j, "credit", TA_REPORT_GEO_CREDIT);
    if (uses_dbip(r))
        ta_json_kv_str(&j, "credit_location", TA_REPORT_DBIP_CREDIT);
    ta_json_kv_uint(&j, "runs", r->runs);
    json_strv(&j, "sensors", r->sensors, r->n_sensors);
    json_strv(&j, "sources", r->sources, r->n_sources);
    json_strv(&j, "notes", r->notes, r->n_notes);
    if (r->gc_a != NULL) {
        ta_json_key(&j, "geo_compare");
        ta_json_obj_open(&j);
        ta_json_key(&j, "sources");
        ta_json_arr_open(&j);
        ta_json_str(&j, r->gc_a);
        ta_json_str(&j, r->gc_b);
        ta_json_arr_close(&j);
        ta_json_kv_uint(&j, "addresses", r->gc_addresses);
        ta_json_kv_uint(&j, "different", r->gc_different);
        ta_json_obj_close(&j);
    }
    ta_json_obj_close(&j);
    if (r->db_empty || ta_report_period_empty(r))
        ta_json_kv_str(&j, "note",
                       r->db_empty ? "no data: the database holds no analysis"
                                   : "no detections in the period");
    ta_json_obj_close(&j);
    ta_err err = j.oom ? TA_ERR_NOMEM : (ta_json_write_line(&j, f) ? TA_OK : TA_ERR_IO);
    ta_json_release(&j);
    return err;
}

static ta_err write_csv(const struct ta_report *r, FILE *f)
{
    fprintf(f, "section,status,src_cc,dst_cc,c2_servers,controlled_hosts,phishing_hosts,"
               "phishing_pages,phishing_attacks,attacker_ips,compromised_websites,"
               "backdoor_attacks,controlled_hosts_established,c2_servers_undated,payload_hosts,"
               "downloading_hosts,downloads\n");
    for (int s = 0; s < 2; s++) {
        for (int sec = 0; sec < 3; sec++) {
            const struct rowset *rs = &r->rows[kind_of(sec, s == 1)];
            for (size_t i = 0; i < rs->n; i++) {
                const struct ta_report_row *w = &rs->v[i];
                fprintf(f, "%s,%s,%s,%s,", sec_names[sec], s ? "suspected" : "confirmed", w->src_cc,
                        w->dst_cc);
                unsigned long long a = w->attackers, t = w->targets, fl = w->flows, e = w->events;
                if (sec == 0)
                    fprintf(f, "%llu,%llu,,,,,,,%llu,%llu,,,\n", a, t,
                            (unsigned long long)w->established, (unsigned long long)w->undated);
                else if (sec == 1)
                    fprintf(f, ",,%llu,%llu,%llu,,,,,,,,\n", a, t, fl);
                else
                    fprintf(f, ",,,,,%llu,%llu,%llu,,,,,\n", a, t, e);
            }
        }
    }
    const struct rowset *ps = &r->rows[TA_EVENT_PAYLOAD];
    for (size_t i = 0; i < ps->n; i++)
        fprintf(f, "payload,confirmed,%s,%s,,,,,,,,,,,%llu,%llu,%llu\n", ps->v[i].src_cc,
                ps->v[i].dst_cc, (unsigned long long)ps->v[i].attackers,
                (unsigned long long)ps->v[i].targets, (unsigned long long)ps->v[i].events);
    return TA_OK;
}

ta_err ta_report_write(const struct ta_report *r, enum ta_report_format fmt, FILE *out)
{
    ta_err err;
    switch (fmt) {
    case TA_REPORT_FMT_JSON:
        err = write_json(r, out);
        break;
    case TA_REPORT_FMT_CSV:
        err = write_csv(r, out);
        break;
    default:
        err = ta__report_write_text(r, out);
    }
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
