/*
 * Report evidence lists (threatatlas report --list): the counted (not
 * suppressed) stored events behind each count, grouped by the counted thing (a C&C
 * server, a controlled host, a phishing page...), largest first.
 */
#include "threatatlas/report.h"

#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/csv.h"

#include "common/banned.h"

/* The report's lists are the store's, in the same order. */
_Static_assert((int)TA_LIST__COUNT == (int)TA_STORE_LIST__COUNT, "report lists are store lists");

bool ta_report_list_parse(const char *s, enum ta_report_list *out)
{
    for (unsigned i = 0; i < TA_LIST__COUNT; i++) {
        if (strcmp(s, ta_store_list_name((enum ta_store_list)i)) == 0) {
            *out = (enum ta_report_list)i;
            return true;
        }
    }
    return false;
}

/* Format an IP stored as a 4- or 16-byte blob. */
static void ip_text(const void *b, size_t len, char *buf, size_t cap)
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

struct list_out {
    FILE *out;
    enum ta_report_format fmt;
    const struct ta_store_col *cols;
    struct ta_json j;
    uint64_t rows;
};

static ta_err write_row(void *ctx, const struct ta_store_cell *cells, size_t nc)
{
    struct list_out *lo = ctx;
    FILE *out = lo->out;
    enum ta_report_format fmt = lo->fmt;
    if (fmt == TA_REPORT_FMT_JSON) {
        ta_json_reset(&lo->j);
        ta_json_obj_open(&lo->j);
    }
    for (size_t i = 0; i < nc; i++) {
        const struct ta_store_cell *c = &cells[i];
        char buf[64];
        const char *text = "";
        switch (lo->cols[i].type) {
        case TA_STORE_COL_IP:
            ip_text(c->addr, c->addr_len, buf, sizeof(buf));
            text = buf;
            break;
        case TA_STORE_COL_INT:
            snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
            text = buf;
            break;
        case TA_STORE_COL_TIME:
            ta_time_format((ta_time_us)c->i, buf, sizeof(buf));
            text = buf;
            break;
        default:
            if (!c->null)
                text = c->text;
        }
        if (fmt == TA_REPORT_FMT_JSON) {
            if (lo->cols[i].type == TA_STORE_COL_INT)
                ta_json_kv_int(&lo->j, lo->cols[i].name, c->i);
            else if (c->null)
                ta_json_kv_str(&lo->j, lo->cols[i].name, "");
            else
                ta_json_kv_str(&lo->j, lo->cols[i].name, text);
        } else if (fmt == TA_REPORT_FMT_CSV) {
            if (i)
                fputc(',', out);
            ta_csv_write_field(out, text);
        } else {
            fprintf(out, "%s%s", i ? "\t" : "", text[0] ? text : "-");
        }
    }
    if (fmt == TA_REPORT_FMT_JSON) {
        ta_json_obj_close(&lo->j);
        if (lo->j.oom)
            return TA_ERR_NOMEM;
        fputs(lo->rows ? ",\n" : "\n", out);
        fwrite(lo->j.buf, 1, lo->j.len, out);
    } else {
        fputc('\n', out);
    }
    lo->rows++;
    return TA_OK;
}

ta_err ta_report_list_write(struct ta_store *st, const struct ta_report_query *q,
                            enum ta_report_list l, size_t limit, enum ta_report_format fmt,
                            FILE *out)
{
    if ((unsigned)l >= TA_LIST__COUNT)
        return TA_ERR_ARG;
    size_t nc;
    const struct ta_store_col *cols = ta_store_list_cols((enum ta_store_list)l, &nc);
    if (!ta_store_has_data(st)) {
        if (fmt == TA_REPORT_FMT_JSON)
            fputs("[]\n", out);
        else if (fmt == TA_REPORT_FMT_TEXT)
            fputs("No data: the database holds no analysis.\n", out);
        return TA_OK;
    }
    struct ta_store_period p;
    memset(&p, 0, sizeof(p));
    p.from_day = q->from_day;
    p.to_day = q->to_day;
    memcpy(p.src_cc, q->src_cc, sizeof(p.src_cc));
    memcpy(p.dst_cc, q->dst_cc, sizeof(p.dst_cc));
    struct list_out lo = {.out = out, .fmt = fmt, .cols = cols};
    ta_json_init(&lo.j);
    if (fmt == TA_REPORT_FMT_JSON) {
        fputc('[', out);
    } else {
        for (size_t i = 0; i < nc; i++)
            fprintf(out, "%s%s", i ? (fmt == TA_REPORT_FMT_CSV ? "," : "\t") : "", cols[i].name);
        fputc('\n', out);
    }
    ta_err err = ta_store_list(st, &p, (enum ta_store_list)l, limit, write_row, &lo);
    ta_json_release(&lo.j);
    if (fmt == TA_REPORT_FMT_JSON)
        fputs(lo.rows ? "\n]\n" : "]\n", out);
    else if (fmt == TA_REPORT_FMT_TEXT && lo.rows == 0)
        fputs("(none in this period)\n", out);
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
