/*
 * Report evidence lists (threatatlas report --list): the counted (not
 * suppressed) stored events behind each count, grouped by the counted thing (a C&C
 * server, a controlled host, a phishing page...), largest first.
 */
#include "threatatlas/report.h"

#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "threatatlas/json.h"

#include "common/banned.h"

enum coltype { COL_IP, COL_TEXT, COL_INT, COL_TIME, COL_LIST };

struct col {
    const char *name;
    const char *expr;
    enum coltype type;
};

#define MAX_COLS 12

struct list_spec {
    const char *name;
    int kind;
    const char *group; /* GROUP BY */
    const char *order; /* ORDER BY (column aliases cN) */
    struct col cols[MAX_COLS];
};

/* Columns shared by the lists. */
#define C_FIRST                                                                                    \
    {                                                                                              \
        "first_seen", "MIN(e.ts)", COL_TIME                                                        \
    }
#define C_LAST                                                                                     \
    {                                                                                              \
        "last_seen", "MAX(e.ts)", COL_TIME                                                         \
    }
#define C_EVENTS                                                                                   \
    {                                                                                              \
        "events", "COUNT(*)", COL_INT                                                              \
    }
#define C_FAMILY                                                                                   \
    {                                                                                              \
        "family", "group_concat(DISTINCT e.family)", COL_LIST                                      \
    }
#define C_SOURCES                                                                                  \
    {                                                                                              \
        "sources", "group_concat(DISTINCT e.sources)", COL_LIST                                    \
    }

static const struct list_spec specs[TA_LIST__COUNT] = {
    [TA_LIST_C2_SERVERS] = {"c2-servers",
                            TA_EVENT_C2,
                            "e.a_ip, e.a_cc",
                            "c9 DESC, c10 DESC, c0",
                            {{"ip", "e.a_ip", COL_IP},
                             {"cc", "e.a_cc", COL_TEXT},
                             {"asn", "MAX(e.a_asn)", COL_INT},
                             {"as_name", "MAX(e.a_as_name)", COL_TEXT},
                             C_FAMILY,
                             C_SOURCES,
                             {"indicator", "group_concat(DISTINCT e.indicator)", COL_LIST},
                             C_FIRST,
                             C_LAST,
                             {"hosts", "COUNT(DISTINCT e.v_ip)", COL_INT},
                             C_EVENTS}},
    [TA_LIST_CONTROLLED_HOSTS] = {"controlled-hosts",
                                  TA_EVENT_C2,
                                  "e.v_ip, e.v_cc",
                                  "c8 DESC, c9 DESC, c0",
                                  {{"ip", "e.v_ip", COL_IP},
                                   {"cc", "e.v_cc", COL_TEXT},
                                   {"asn", "MAX(e.v_asn)", COL_INT},
                                   {"as_name", "MAX(e.v_as_name)", COL_TEXT},
                                   C_FAMILY,
                                   C_SOURCES,
                                   C_FIRST,
                                   C_LAST,
                                   {"c2_servers", "COUNT(DISTINCT e.a_ip)", COL_INT},
                                   C_EVENTS}},
    [TA_LIST_PHISHING_HOSTS] = {"phishing-hosts",
                                TA_EVENT_PHISHING,
                                "e.a_ip, e.a_cc",
                                "c5 DESC, c9 DESC, c0",
                                {{"ip", "e.a_ip", COL_IP},
                                 {"cc", "e.a_cc", COL_TEXT},
                                 {"asn", "MAX(e.a_asn)", COL_INT},
                                 {"as_name", "MAX(e.a_as_name)", COL_TEXT},
                                 C_SOURCES,
                                 {"pages", "COUNT(DISTINCT e.item)", COL_INT},
                                 {"visitors", "COUNT(DISTINCT e.v_ip)", COL_INT},
                                 C_FIRST,
                                 C_LAST,
                                 C_EVENTS}},
    [TA_LIST_PHISHING_PAGES] = {"phishing-pages",
                                TA_EVENT_PHISHING,
                                "e.item",
                                "c4 DESC, c3 DESC, c0",
                                {{"page", "e.item", COL_TEXT},
                                 {"hosts", "COUNT(DISTINCT e.a_ip)", COL_INT},
                                 {"host_cc", "group_concat(DISTINCT e.a_cc)", COL_LIST},
                                 {"visitors", "COUNT(DISTINCT e.v_ip)", COL_INT},
                                 C_EVENTS,
                                 C_SOURCES,
                                 C_FIRST,
                                 C_LAST}},
    [TA_LIST_BACKDOOR_SOURCES] = {"backdoor-sources",
                                  TA_EVENT_BACKDOOR,
                                  "e.a_ip, e.a_cc",
                                  "c9 DESC, c6 DESC, c0",
                                  {{"ip", "e.a_ip", COL_IP},
                                   {"cc", "e.a_cc", COL_TEXT},
                                   {"asn", "MAX(e.a_asn)", COL_INT},
                                   {"as_name", "MAX(e.a_as_name)", COL_TEXT},
                                   C_FAMILY,
                                   C_SOURCES,
                                   {"websites", "COUNT(DISTINCT e.item)", COL_INT},
                                   C_FIRST,
                                   C_LAST,
                                   {"backdoor_attacks", "COUNT(*)", COL_INT}}},
    [TA_LIST_BACKDOORED_SITES] = {"backdoored-sites",
                                  TA_EVENT_BACKDOOR,
                                  "e.item, e.v_cc",
                                  "c9 DESC, c4 DESC, c0",
                                  {{"website", "e.item", COL_TEXT},
                                   {"server_ip", "MIN(e.v_ip)", COL_IP},
                                   {"cc", "e.v_cc", COL_TEXT},
                                   {"asn", "MAX(e.v_asn)", COL_INT},
                                   {"attacker_ips", "COUNT(DISTINCT e.a_ip)", COL_INT},
                                   C_FAMILY,
                                   {"urls", "COUNT(DISTINCT e.url)", COL_INT},
                                   C_FIRST,
                                   C_LAST,
                                   {"backdoor_attacks", "COUNT(*)", COL_INT}}},
};

const char *ta_report_list_name(enum ta_report_list l)
{
    if ((unsigned)l >= TA_LIST__COUNT)
        return NULL;
    return specs[l].name;
}

bool ta_report_list_parse(const char *s, enum ta_report_list *out)
{
    for (unsigned i = 0; i < TA_LIST__COUNT; i++) {
        if (strcmp(s, specs[i].name) == 0) {
            *out = (enum ta_report_list)i;
            return true;
        }
    }
    return false;
}

static size_t ncols(const struct list_spec *sp)
{
    size_t n = 0;
    while (n < MAX_COLS && sp->cols[n].name != NULL)
        n++;
    return n;
}

/* Format an IP stored as a 4- or 16-byte blob. */
static void ip_text(const void *b, int len, char *buf, size_t cap)
{
    struct ta_addr a;
    buf[0] = '\0';
    if (len == 4)
        ta_addr_set_v4(&a, b);
    else if (len == 16)
        ta_addr_set_v6(&a, b);
    else
        return;
    ta_addr_format(&a, buf, cap);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split a comma list (from group_concat of comma lists), dedupe, sort. */
static char *clean_list(const char *s)
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

static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

ta_err ta_report_list_write(struct ta_store *st, const struct ta_report_query *q,
                            enum ta_report_list l, size_t limit, enum ta_report_format fmt,
                            FILE *out)
{
    if ((unsigned)l >= TA_LIST__COUNT)
        return TA_ERR_ARG;
    const struct list_spec *sp = &specs[l];
    size_t nc = ncols(sp);
    if (!ta__store_has_tables(st)) {
        if (fmt == TA_REPORT_FMT_JSON)
            fputs("[]\n", out);
        else if (fmt == TA_REPORT_FMT_TEXT)
            fputs("No data: the database holds no analysis.\n", out);
        return TA_OK;
    }
    char sql[2048];
    size_t o = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
    for (size_t i = 0; i < nc; i++)
        o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s AS c%zu", i ? ", " : "",
                              sp->cols[i].expr, i);
    char s_cc[32] = "", d_cc[32] = "";
    if (q->src_cc[0])
        snprintf(s_cc, sizeof(s_cc), " AND e.a_cc='%.2s'", q->src_cc);
    if (q->dst_cc[0])
        snprintf(d_cc, sizeof(d_cc), " AND e.v_cc='%.2s'", q->dst_cc);
    /* The events of the kind and days come from their zones (id ranges per
     * storing run, kind and day; see store.h), walked in (day, id) order. */
    o += (size_t)snprintf(sql + o, sizeof(sql) - o,
                          " FROM store_event_zone z"
                          " CROSS JOIN store_event e ON e.id BETWEEN z.id_lo AND z.id_hi"
                          " AND e.kind = z.kind AND e.day = z.day"
                          " WHERE z.kind = %d AND z.day BETWEEN %lld AND %lld%s%s"
                          " AND e.suppressed_by IS NULL"
                          " GROUP BY %s ORDER BY %s",
                          sp->kind, (long long)q->from_day, (long long)q->to_day, s_cc, d_cc,
                          sp->group, sp->order);
    if (limit > 0)
        snprintf(sql + o, sizeof(sql) - o, " LIMIT %zu", limit);

    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "list");
    struct ta_json j;
    ta_json_init(&j);
    if (fmt == TA_REPORT_FMT_JSON) {
        fputc('[', out);
    } else {
        for (size_t i = 0; i < nc; i++)
            fprintf(out, "%s%s", i ? (fmt == TA_REPORT_FMT_CSV ? "," : "\t") : "",
                    sp->cols[i].name);
        fputc('\n', out);
    }
    uint64_t rows = 0;
    int rc;
    ta_err err = TA_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fmt == TA_REPORT_FMT_JSON) {
            ta_json_reset(&j);
            ta_json_obj_open(&j);
        }
        for (size_t i = 0; i < nc; i++) {
            char buf[64];
            char *owned = NULL;
            const char *text = "";
            int type = sqlite3_column_type(s, (int)i);
            switch (sp->cols[i].type) {
            case COL_IP:
                ip_text(sqlite3_column_blob(s, (int)i), sqlite3_column_bytes(s, (int)i), buf,
                        sizeof(buf));
                text = buf;
                break;
            case COL_INT:
                snprintf(buf, sizeof(buf), "%lld", (long long)sqlite3_column_int64(s, (int)i));
                text = buf;
                break;
            case COL_TIME:
                ta_time_format((ta_time_us)sqlite3_column_int64(s, (int)i), buf, sizeof(buf));
                text = buf;
                break;
            case COL_LIST:
                if (type != SQLITE_NULL) {
                    owned = clean_list((const char *)sqlite3_column_text(s, (int)i));
                    if (owned == NULL)
                        err = TA_ERR_NOMEM;
                    text = owned ? owned : "";
                }
                break;
            default:
                if (type != SQLITE_NULL)
                    text = (const char *)sqlite3_column_text(s, (int)i);
            }
            if (fmt == TA_REPORT_FMT_JSON) {
                if (sp->cols[i].type == COL_INT)
                    ta_json_kv_int(&j, sp->cols[i].name, sqlite3_column_int64(s, (int)i));
                else if (type == SQLITE_NULL)
                    ta_json_kv_str(&j, sp->cols[i].name, "");
                else
                    ta_json_kv_str(&j, sp->cols[i].name, text);
            } else if (fmt == TA_REPORT_FMT_CSV) {
                if (i)
                    fputc(',', out);
                csv_field(out, text);
            } else {
                fprintf(out, "%s%s", i ? "\t" : "", text[0] ? text : "-");
            }
            free(owned);
        }
        if (fmt == TA_REPORT_FMT_JSON) {
            ta_json_obj_close(&j);
            if (j.oom) {
                err = TA_ERR_NOMEM;
                break;
            }
            fputs(rows ? ",\n" : "\n", out);
            fwrite(j.buf, 1, j.len, out);
        } else {
            fputc('\n', out);
        }
        rows++;
        if (err)
            break;
    }
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, "list");
    sqlite3_finalize(s);
    ta_json_release(&j);
    if (fmt == TA_REPORT_FMT_JSON)
        fputs(rows ? "\n]\n" : "]\n", out);
    else if (fmt == TA_REPORT_FMT_TEXT && rows == 0)
        fputs("(none in this period)\n", out);
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
