/*
 * Event export (threatatlas events): the stored events, each distinct event once, as
 * EVE alert lines or IntelMQ events (one JSON object per line), written by
 * the same functions as `analyze` (ta_event_write_eve/_intelmq), or CSV.
 */
#include "threatatlas/report.h"

#include <string.h>

#include "store/store-int.h"
#include "threatatlas/detect.h"
#include "threatatlas/alert.h"
#include "threatatlas/json.h"

#include "common/banned.h"

bool ta_events_format_parse(const char *s, enum ta_events_format *out)
{
    static const char *const names[] = {"eve", "intelmq", "csv"};
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ta_events_format)i;
            return true;
        }
    }
    return false;
}

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
    F_SENSORS,
};

static const char *txt(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : NULL;
}

static void ip_col(sqlite3_stmt *s, int i, char *buf, size_t cap)
{
    struct ta_addr a;
    int len = sqlite3_column_bytes(s, i);
    const void *b = sqlite3_column_blob(s, i);
    buf[0] = '\0';
    if (len == 4)
        ta_addr_set_v4(&a, b);
    else if (len == 16)
        ta_addr_set_v6(&a, b);
    else
        return;
    ta_addr_format(&a, buf, cap);
}

static bool addr_col(sqlite3_stmt *s, int i, struct ta_addr *a)
{
    int len = sqlite3_column_bytes(s, i);
    const void *b = sqlite3_column_blob(s, i);
    memset(a, 0, sizeof(*a));
    if (len == 4)
        ta_addr_set_v4(a, b);
    else if (len == 16)
        ta_addr_set_v6(a, b);
    else
        return false;
    return true;
}

static void side_col(sqlite3_stmt *s, struct ta_event_side *side, int ip, int port, int cc, int asn,
                     int as_name, int home)
{
    memset(side, 0, sizeof(*side));
    addr_col(s, ip, &side->ip);
    side->port = (uint16_t)sqlite3_column_int(s, port);
    const char *c = txt(s, cc);
    if (c != NULL && strlen(c) == 2)
        memcpy(side->cc, c, 3);
    side->asn = (uint32_t)sqlite3_column_int64(s, asn);
    side->as_name = txt(s, as_name);
    side->home = sqlite3_column_int(s, home) != 0;
}

/*
 * A stored row as the event the detector emitted, so that export writes
 * exactly what `analyze` wrote (one writer per format: src/output/output-alert.c,
 * output-intelmq.c).
 * Strings borrow from the statement's current row.
 */
static void row_event(sqlite3_stmt *s, int kind, struct ta_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = (enum ta_event_kind)kind;
    ev->method = (enum ta_event_method)sqlite3_column_int(s, F_METHOD);
    ev->ts = (ta_time_us)sqlite3_column_int64(s, F_TS);
    ev->flow_id = (uint64_t)sqlite3_column_int64(s, F_FLOW);
    ev->proto = (uint8_t)sqlite3_column_int(s, F_PROTO);
    side_col(s, &ev->attacker, F_AIP, F_APORT, F_ACC, F_AASN, F_AASNAME, F_AHOME);
    side_col(s, &ev->victim, F_VIP, F_VPORT, F_VCC, F_VASN, F_VASNAME, F_VHOME);
    ev->confidence = (uint8_t)sqlite3_column_int(s, F_CONF);
    ev->signature = txt(s, F_SIG);
    ev->family = txt(s, F_FAMILY);
    ev->indicator = txt(s, F_IND);
    ev->indicator_type = txt(s, F_INDTYPE);
    ev->sources = txt(s, F_SOURCES);
    ev->hostname = txt(s, F_HOST);
    ev->url = txt(s, F_URL);
    ev->dns_answer = txt(s, F_DNSANS);
    ev->body = sqlite3_column_blob(s, F_BODY);
    ev->body_len = (size_t)sqlite3_column_bytes(s, F_BODY);
    if (kind == TA_EVENT_PHISHING || kind == TA_EVENT_PHISHING_SUSPECTED)
        ev->page = txt(s, F_ITEM);
    else if (kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED)
        ev->website = txt(s, F_ITEM);
    ev->flow_start = (ta_time_us)sqlite3_column_int64(s, F_FS);
    ev->tx_index = (uint32_t)sqlite3_column_int64(s, F_TXI);
    ev->established = sqlite3_column_int(s, F_EST) != 0;
    ev->undated = sqlite3_column_int(s, F_UNDATED) != 0;
    ev->suppressed_by = txt(s, F_SUPP);
}

static void csv_str(FILE *f, const char *v)
{
    if (v == NULL)
        return;
    if (strpbrk(v, ",\"\r\n") == NULL) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void write_csv_row(FILE *f, sqlite3_stmt *s, int kind)
{
    char aip[TA_ADDR_STRLEN], vip[TA_ADDR_STRLEN], ts[TA_TS_STRLEN];
    ip_col(s, F_AIP, aip, sizeof(aip));
    ip_col(s, F_VIP, vip, sizeof(vip));
    fprintf(f, "%s,%s,%s,%llu,%s,%d,%s,%lld,%s,%d,%s,%lld,%d,",
            ta_time_format((ta_time_us)sqlite3_column_int64(s, F_TS), ts, sizeof(ts)),
            ta_event_kind_name((enum ta_event_kind)kind),
            ta_event_method_name(sqlite3_column_int(s, F_METHOD)),
            (unsigned long long)sqlite3_column_int64(s, F_FLOW), aip,
            sqlite3_column_int(s, F_APORT), txt(s, F_ACC) ? txt(s, F_ACC) : "",
            (long long)sqlite3_column_int64(s, F_AASN), vip, sqlite3_column_int(s, F_VPORT),
            txt(s, F_VCC) ? txt(s, F_VCC) : "", (long long)sqlite3_column_int64(s, F_VASN),
            sqlite3_column_int(s, F_CONF));
    static const int rest[] = {F_SIG, F_FAMILY, F_IND, F_SOURCES, F_HOST, F_URL, F_ITEM};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
        if (i)
            fputc(',', f);
        csv_str(f, txt(s, rest[i]));
    }
    fprintf(f, ",%s,%lld,%d,%d,",
            ta_time_format((ta_time_us)sqlite3_column_int64(s, F_FS), ts, sizeof(ts)),
            (long long)sqlite3_column_int64(s, F_TXI), sqlite3_column_int(s, F_EST),
            sqlite3_column_int(s, F_UNDATED));
    csv_str(f, txt(s, F_SUPP));
    fputc(',', f);
    csv_str(f, txt(s, F_SENSORS));
    fputc('\n', f);
}

ta_err ta_report_events_write(struct ta_store *st, const char *type, ta_time_us since,
                              enum ta_events_format fmt, FILE *out, uint64_t *count)
{
    *count = 0;
    int k1 = -1, k2 = -1;
    if (type != NULL) {
        enum ta_event_kind k;
        if (!ta_event_kind_parse(type, &k) ||
            (!ta_event_kind_confirmed(k) && k != TA_EVENT_PAYLOAD))
            return TA_ERR_ARG;
        k1 = (int)k;
        /* Each confirmed kind is followed by its suspected kind; payload has none. */
        k2 = k == TA_EVENT_PAYLOAD ? (int)k : (int)k + 1;
    }
    if (fmt == TA_EVENTS_FMT_CSV)
        fputs("timestamp,kind,method,flow_id,attacker_ip,attacker_port,attacker_cc,attacker_asn,"
              "victim_ip,victim_port,victim_cc,victim_asn,confidence,signature,family,indicator,"
              "sources,hostname,url,item,flow_start,tx_index,established,undated,suppressed_by,"
              "sensors\n",
              out);
    if (!ta__store_has_tables(st))
        return TA_OK;
    char sql[1200];
    snprintf(sql, sizeof(sql),
             "SELECT e.id, e.kind, e.method, e.ts, e.flow_id, e.proto, e.a_ip, e.a_port, e.a_cc,"
             " e.a_asn, e.v_ip, e.v_port, e.v_cc, e.v_asn, e.confidence, e.signature, e.family,"
             " e.indicator, e.indicator_type, e.sources, e.hostname, e.url, e.item,"
             " e.a_as_name, e.a_home, e.v_as_name, e.v_home, e.dns_answer, e.body,"
             " e.fs, e.tx_index, e.established, e.undated, e.suppressed_by,"
             /* The storing run (in the id) and the runs that sighted it. */
             " (SELECT group_concat(sensor, ';') FROM (SELECT DISTINCT r.sensor FROM"
             "  store_run r WHERE r.id = e.id >> 32 OR r.id IN (SELECT g.run_id FROM"
             "  store_sighting g WHERE g.event_id = e.id) ORDER BY r.sensor))"
             " FROM store_event e WHERE e.ts >= ?1 %s ORDER BY e.ts, e.id",
             k1 >= 0 ? "AND e.kind IN (?2, ?3)" : "");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "events");
    sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
    if (k1 >= 0) {
        sqlite3_bind_int(s, 2, k1);
        sqlite3_bind_int(s, 3, k2);
    }
    struct ta_json j;
    ta_json_init(&j);
    int rc;
    ta_err err = TA_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, F_KIND);
        if ((unsigned)kind >= TA_EVENT_KIND__COUNT)
            continue;
        if (fmt == TA_EVENTS_FMT_CSV) {
            write_csv_row(out, s, kind);
        } else {
            struct ta_event ev;
            row_event(s, kind, &ev);
            ta_json_reset(&j);
            if (fmt == TA_EVENTS_FMT_EVE)
                ta_event_write_eve(&j, &ev);
            else
                ta_event_write_intelmq(&j, &ev, NULL);
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
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, "events");
    sqlite3_finalize(s);
    ta_json_release(&j);
    if (err == TA_OK && (fflush(out) != 0 || ferror(out)))
        err = TA_ERR_IO;
    return err;
}
