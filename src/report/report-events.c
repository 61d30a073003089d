/*
 * Event export (threatatlas events): the stored events, each distinct event once, as
 * EVE alert lines or IntelMQ events (one JSON object per line), written by
 * the same functions as `analyze` (ta_event_write_eve/_intelmq), or CSV.
 */
#include "threatatlas/report.h"

#include <stdlib.h>
#include <string.h>

#include "threatatlas/alert.h"
#include "threatatlas/json.h"

#include "common/csv.h"

#include "common/banned.h"

bool ta_events_format_parse(const char *s, enum ta_events_format *out)
{
    static const char *const names[] = {"eve", "intelmq", "csv", "stix", "misp"};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ta_events_format)i;
            return true;
        }
    }
    return false;
}

static void ip_text(const struct ta_addr *a, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (a->family == 0)
        return;
    ta_addr_format(a, buf, cap);
}

/*
 * A CSV field whose control characters are written as text: percent-encoded
 * as a URL writes them (%1B) in the request's host, URL and page, which come
 * from traffic; as \xNN (as messages do) in a sensor's name. A CSV read in a
 * terminal must not run an escape sequence.
 */
static bool csv_neutral_field(FILE *f, const char *s, bool url)
{
    size_t n = 0, ctl = 0;
    for (; s != NULL && s[n]; n++)
        ctl += (unsigned char)s[n] < 0x20 || s[n] == 0x7f;
    if (ctl == 0) {
        ta_csv_write_field(f, s);
        return true;
    }
    char *e = malloc(n + 3 * ctl + 1);
    if (e == NULL)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(e + o, 5, url ? "%%%02X" : "\\x%02x", c);
        else
            e[o++] = (char)c;
    }
    e[o] = '\0';
    ta_csv_write_field(f, e);
    free(e);
    return true;
}

static bool write_csv_row(FILE *f, const struct ta_store_event_row *row)
{
    const struct ta_event *ev = &row->ev;
    char aip[TA_ADDR_STRLEN], vip[TA_ADDR_STRLEN], ts[TA_TS_STRLEN];
    ip_text(&ev->attacker.ip, aip, sizeof(aip));
    ip_text(&ev->victim.ip, vip, sizeof(vip));
    fprintf(f, "%s,%s,%s,%llu,%s,%d,%s,%lld,%s,%d,%s,%lld,%d,",
            ta_time_format(ev->ts, ts, sizeof(ts)), ta_event_kind_name(ev->kind),
            ta_event_method_name(ev->method), (unsigned long long)ev->flow_id, aip,
            (int)ev->attacker.port, row->a_cc ? row->a_cc : "", (long long)ev->attacker.asn, vip,
            (int)ev->victim.port, row->v_cc ? row->v_cc : "", (long long)ev->victim.asn,
            (int)ev->confidence);
    const char *rest[] = {ev->signature, ev->family, ev->indicator, ev->sources,
                          ev->hostname,  ev->url,    row->item};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
        if (i)
            fputc(',', f);
        if (i < 4)
            ta_csv_write_field(f, rest[i]);
        else if (!csv_neutral_field(f, rest[i], true))
            return false;
    }
    fprintf(f, ",%s,%lld,%d,%d,", ta_time_format(ev->flow_start, ts, sizeof(ts)),
            (long long)ev->tx_index, (int)ev->established, (int)ev->undated);
    ta_csv_write_field(f, ev->suppressed_by);
    fputc(',', f);
    if (!csv_neutral_field(f, row->sensors, false))
        return false;
    fputc('\n', f);
    return true;
}

ta_err ta_report_events_write(struct ta_store *st, const char *type, ta_time_us since,
                              enum ta_events_format fmt, FILE *out, uint64_t *count)
{
    *count = 0;
    if (fmt == TA_EVENTS_FMT_STIX || fmt == TA_EVENTS_FMT_MISP)
        return TA_ERR_ARG; /* indicators, not events: ta_report_share_write */
    uint32_t kinds = 0;
    if (type != NULL) {
        enum ta_event_kind k;
        if (!ta_event_kind_parse(type, &k) ||
            (!ta_event_kind_confirmed(k) && k != TA_EVENT_PAYLOAD))
            return TA_ERR_ARG;
        /* Each confirmed kind is followed by its suspected kind; payload has none. */
        kinds = 1u << k;
        if (k != TA_EVENT_PAYLOAD)
            kinds |= 1u << (k + 1);
    }
    if (fmt == TA_EVENTS_FMT_CSV)
        fputs("timestamp,kind,method,flow_id,attacker_ip,attacker_port,attacker_cc,attacker_asn,"
              "victim_ip,victim_port,victim_cc,victim_asn,confidence,signature,family,indicator,"
              "sources,hostname,url,item,flow_start,tx_index,established,undated,suppressed_by,"
              "sensors\n",
              out);
    if (!ta_store_has_data(st))
        return TA_OK;
    struct ta_store_events *cur = NULL;
    /* CSV has the sensors and not the detail; the EVE and IntelMQ writers
     * the other way round. */
    ta_err err = ta_store_events_open(
        st, since, kinds,
        fmt == TA_EVENTS_FMT_CSV ? TA_STORE_EVENTS_SENSORS : TA_STORE_EVENTS_DETAIL, &cur);
    if (err)
        return err;
    struct ta_json j;
    ta_json_init(&j);
    struct ta_store_event_row row;
    bool more;
    while ((err = ta_store_events_next(cur, &row, &more)) == TA_OK && more) {
        if (fmt == TA_EVENTS_FMT_CSV) {
            if (!write_csv_row(out, &row)) {
                err = TA_ERR_NOMEM;
                break;
            }
        } else {
            ta_json_reset(&j);
            if (fmt == TA_EVENTS_FMT_EVE)
                ta_event_write_eve(&j, &row.ev, false);
            else
                ta_event_write_intelmq(&j, &row.ev, NULL);
            if (j.oom) {
                err = TA_ERR_NOMEM;
                break;
            }
            if (!ta_json_write_line(&j, out)) {
                err = TA_ERR_IO;
                break;
            }
        }
        (*count)++;
    }
    ta_store_events_close(cur);
    ta_json_release(&j);
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
