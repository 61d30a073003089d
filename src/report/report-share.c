/*
 * Sharing (threatatlas events --format stix|misp): the counted things of
 * the period read from the evidence lists (C&C servers, phishing pages,
 * backdoor attacker IPs), merged so each value is one indicator, then
 * handed to the STIX or MISP writer (src/output).
 */
#include "threatatlas/report.h"

#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

/* The indicators with the strings they own. */
struct share_set {
    struct ta_share_indicator *v;
    size_t n, cap;
    ta_err err;
    enum ta_event_kind kind;
    /* Column positions of the list being read. */
    int c_value, c_cc, c_asn, c_family, c_first, c_last, c_events;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c != NULL)
        memcpy(c, s, n + 1);
    return c;
}

static void set_free(struct share_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->v[i].value);
        free((char *)s->v[i].cc);
        free((char *)s->v[i].family);
    }
    free(s->v);
}

static const char *cell_text(const struct ta_store_cell *c)
{
    return c->null || c->text == NULL ? "" : c->text;
}

static ta_err add_row(void *ctx, const struct ta_store_cell *cells, size_t nc)
{
    struct share_set *s = ctx;
    (void)nc;
    char ip[TA_ADDR_STRLEN];
    struct ta_share_indicator ind = {.kind = s->kind};
    const struct ta_store_cell *v = &cells[s->c_value];
    if (s->kind == TA_EVENT_PHISHING) {
        const char *page = cell_text(v);
        if (page[0] == '\0')
            return TA_OK;
        ind.vtype = strstr(page, "://") != NULL ? TA_SHARE_URL : TA_SHARE_DOMAIN;
        ind.value = page;
    } else {
        struct ta_addr a;
        if (v->addr_len == 4)
            ta_addr_set_v4(&a, v->addr);
        else if (v->addr_len == 16)
            ta_addr_set_v6(&a, v->addr);
        else
            return TA_OK;
        ta_addr_format(&a, ip, sizeof(ip));
        ind.vtype = v->addr_len == 4 ? TA_SHARE_IPV4 : TA_SHARE_IPV6;
        ind.value = ip;
    }
    ind.cc = s->c_cc >= 0 ? cell_text(&cells[s->c_cc]) : "";
    ind.asn = s->c_asn >= 0 ? cells[s->c_asn].i : 0;
    ind.family = s->c_family >= 0 ? cell_text(&cells[s->c_family]) : "";
    ind.first_seen = (ta_time_us)cells[s->c_first].i;
    ind.last_seen = (ta_time_us)cells[s->c_last].i;
    ind.events = cells[s->c_events].i > 0 ? (uint64_t)cells[s->c_events].i : 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct ta_share_indicator *nv = realloc(s->v, cap * sizeof(*nv));
        if (nv == NULL)
            return TA_ERR_NOMEM;
        s->v = nv;
        s->cap = cap;
    }
    char *val = dup_str(ind.value), *cc = dup_str(ind.cc), *fam = dup_str(ind.family);
    if (val == NULL || cc == NULL || fam == NULL) {
        free(val);
        free(cc);
        free(fam);
        return TA_ERR_NOMEM;
    }
    ind.value = val;
    ind.cc = cc;
    ind.family = fam;
    s->v[s->n++] = ind;
    return TA_OK;
}

static int col_of(const struct ta_store_col *cols, size_t nc, const char *name)
{
    for (size_t i = 0; i < nc; i++) {
        if (strcmp(cols[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

static ta_err read_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                        enum ta_event_kind kind, const char *value_col, const char *cc_col,
                        const char *events_col, struct share_set *s)
{
    size_t nc;
    const struct ta_store_col *cols = ta_store_list_cols(l, &nc);
    if (cols == NULL)
        return TA_ERR_ARG;
    s->kind = kind;
    s->c_value = col_of(cols, nc, value_col);
    s->c_cc = col_of(cols, nc, cc_col);
    s->c_asn = col_of(cols, nc, "asn");
    s->c_family = col_of(cols, nc, "family");
    s->c_first = col_of(cols, nc, "first_seen");
    s->c_last = col_of(cols, nc, "last_seen");
    s->c_events = col_of(cols, nc, events_col);
    /* The list columns are an output contract; losing one is a programming error. */
    if (s->c_value < 0 || s->c_first < 0 || s->c_last < 0 || s->c_events < 0)
        return TA_ERR_ARG;
    return ta_store_list(st, p, l, 0, add_row, s);
}

static int cmp_ind(const void *a, const void *b)
{
    const struct ta_share_indicator *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* One indicator per (kind, value): a server whose country changed between
 * runs is listed once per country by the evidence list. */
static void merge_dups(struct share_set *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(*s->v), cmp_ind);
    size_t o = 0;
    for (size_t i = 1; i < s->n; i++) {
        struct ta_share_indicator *w = &s->v[o], *x = &s->v[i];
        if (cmp_ind(w, x) != 0) {
            s->v[++o] = *x;
            continue;
        }
        if (x->first_seen < w->first_seen)
            w->first_seen = x->first_seen;
        if (x->last_seen > w->last_seen)
            w->last_seen = x->last_seen;
        w->events += x->events;
        free((char *)x->value);
        free((char *)x->cc);
        free((char *)x->family);
    }
    s->n = o + 1;
}

ta_err ta_report_share_write(struct ta_store *st, const struct ta_report_query *q,
                             const struct ta_share_opts *o, enum ta_events_format fmt, FILE *out,
                             uint64_t *count)
{
    *count = 0;
    if (fmt != TA_EVENTS_FMT_STIX && fmt != TA_EVENTS_FMT_MISP)
        return TA_ERR_ARG;
    uint32_t kinds =
        o->kinds ? o->kinds
                 : (1u << TA_EVENT_C2) | (1u << TA_EVENT_PHISHING) | (1u << TA_EVENT_BACKDOOR);
    struct share_set s = {0};
    struct ta_store_period p;
    memset(&p, 0, sizeof(p));
    p.from_day = q->from_day;
    p.to_day = q->to_day;
    memcpy(p.src_cc, q->src_cc, sizeof(p.src_cc));
    memcpy(p.dst_cc, q->dst_cc, sizeof(p.dst_cc));
    ta_err err = TA_OK;
    if (ta_store_has_data(st)) {
        if (kinds & (1u << TA_EVENT_C2))
            err =
                read_list(st, &p, TA_STORE_LIST_C2_SERVERS, TA_EVENT_C2, "ip", "cc", "events", &s);
        if (err == TA_OK && (kinds & (1u << TA_EVENT_PHISHING)))
            err = read_list(st, &p, TA_STORE_LIST_PHISHING_PAGES, TA_EVENT_PHISHING, "page",
                            "host_cc", "events", &s);
        if (err == TA_OK && (kinds & (1u << TA_EVENT_BACKDOOR)))
            err = read_list(st, &p, TA_STORE_LIST_BACKDOOR_SOURCES, TA_EVENT_BACKDOOR, "ip", "cc",
                            "backdoor_attacks", &s);
    }
    if (err == TA_OK) {
        merge_dups(&s);
        struct ta_share_meta m = {.org = o->org ? o->org : "threatatlas",
                                  .tlp = o->tlp,
                                  .from_day = q->from_day,
                                  .to_day = q->to_day};
        memcpy(m.src_cc, q->src_cc, sizeof(m.src_cc));
        memcpy(m.dst_cc, q->dst_cc, sizeof(m.dst_cc));
        err = fmt == TA_EVENTS_FMT_STIX ? ta_share_write_stix(s.v, s.n, &m, out)
                                        : ta_share_write_misp(s.v, s.n, &m, out);
        if (err == TA_OK)
            *count = s.n;
    }
    set_free(&s);
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
