/*
 * Event export (threatatlas events): the stored events of completed runs as
 * EVE-style alert lines, IntelMQ events (one JSON object per line) or CSV.
 * In EVE lines src is the flow's client (the controlled host / the visitor
 * for c2 and phishing, the attacker for backdoors), as Suricata writes it;
 * the "threatatlas" object names the attacker and victim explicitly.
 */
#include "threatatlas/report.h"

#include <string.h>

#include "store/store-int.h"
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

static void kv_opt(struct ta_json *j, const char *k, const char *v)
{
    if (v != NULL)
        ta_json_kv_str(j, k, v);
}

static const char *proto_name(int p)
{
    switch (p) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    default:
        return NULL;
    }
}

static void side(struct ta_json *j, const char *k, const char *ip, int port, const char *cc,
                 int64_t asn)
{
    ta_json_key(j, k);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "ip", ip);
    ta_json_kv_int(j, "port", port);
    ta_json_kv_str(j, "cc", cc);
    ta_json_kv_int(j, "asn", asn);
    ta_json_obj_close(j);
}

static void write_eve(struct ta_json *j, sqlite3_stmt *s, int kind)
{
    char aip[TA_ADDR_STRLEN], vip[TA_ADDR_STRLEN];
    ip_col(s, F_AIP, aip, sizeof(aip));
    ip_col(s, F_VIP, vip, sizeof(vip));
    bool attacker_is_client = kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED;
    const char *sip = attacker_is_client ? aip : vip, *dip = attacker_is_client ? vip : aip;
    int sport = sqlite3_column_int(s, attacker_is_client ? F_APORT : F_VPORT);
    int dport = sqlite3_column_int(s, attacker_is_client ? F_VPORT : F_APORT);
    ta_json_kv_time(j, "timestamp", (ta_time_us)sqlite3_column_int64(s, F_TS));
    ta_json_kv_uint(j, "flow_id", (uint64_t)sqlite3_column_int64(s, F_FLOW));
    ta_json_kv_str(j, "event_type", "alert");
    ta_json_kv_str(j, "src_ip", sip);
    ta_json_kv_int(j, "src_port", sport);
    ta_json_kv_str(j, "dest_ip", dip);
    ta_json_kv_int(j, "dest_port", dport);
    const char *pn = proto_name(sqlite3_column_int(s, F_PROTO));
    if (pn)
        ta_json_kv_str(j, "proto", pn);
    else
        ta_json_kv_int(j, "proto", sqlite3_column_int(s, F_PROTO));
    ta_json_key(j, "alert");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "action", "allowed");
    kv_opt(j, "signature", txt(s, F_SIG));
    ta_json_kv_str(j, "category", ta_event_kind_name((enum ta_event_kind)kind));
    ta_json_kv_int(j, "severity", ta_event_kind_confirmed((enum ta_event_kind)kind) ? 1 : 2);
    ta_json_obj_close(j);
    ta_json_key(j, "threatatlas");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "kind", ta_event_kind_name((enum ta_event_kind)kind));
    ta_json_kv_str(j, "method", ta_event_method_name(sqlite3_column_int(s, F_METHOD)));
    ta_json_kv_int(j, "confidence", sqlite3_column_int(s, F_CONF));
    side(j, "attacker", aip, sqlite3_column_int(s, F_APORT), txt(s, F_ACC) ? txt(s, F_ACC) : "",
         sqlite3_column_int64(s, F_AASN));
    side(j, "victim", vip, sqlite3_column_int(s, F_VPORT), txt(s, F_VCC) ? txt(s, F_VCC) : "",
         sqlite3_column_int64(s, F_VASN));
    kv_opt(j, "family", txt(s, F_FAMILY));
    kv_opt(j, "indicator", txt(s, F_IND));
    kv_opt(j, "indicator_type", txt(s, F_INDTYPE));
    kv_opt(j, "sources", txt(s, F_SOURCES));
    kv_opt(j, "hostname", txt(s, F_HOST));
    kv_opt(j, "url", txt(s, F_URL));
    if (kind == TA_EVENT_PHISHING || kind == TA_EVENT_PHISHING_SUSPECTED)
        kv_opt(j, "page", txt(s, F_ITEM));
    else
        kv_opt(j, "website", txt(s, F_ITEM));
    ta_json_obj_close(j);
}

/* IntelMQ harmonisation: source = the attacker side. */
static void write_intelmq(struct ta_json *j, sqlite3_stmt *s, int kind)
{
    char aip[TA_ADDR_STRLEN], vip[TA_ADDR_STRLEN];
    ip_col(s, F_AIP, aip, sizeof(aip));
    ip_col(s, F_VIP, vip, sizeof(vip));
    const char *taxonomy = "malicious-code", *type = "c2-server";
    if (kind == TA_EVENT_PHISHING || kind == TA_EVENT_PHISHING_SUSPECTED) {
        taxonomy = "fraud";
        type = "phishing";
    } else if (kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED) {
        taxonomy = "intrusions";
        type = "system-compromise";
    }
    ta_json_kv_str(j, "feed.name", "threatatlas");
    ta_json_kv_str(j, "classification.taxonomy", taxonomy);
    ta_json_kv_str(j, "classification.type", type);
    kv_opt(j, "classification.identifier", txt(s, F_FAMILY));
    ta_json_kv_time(j, "time.source", (ta_time_us)sqlite3_column_int64(s, F_TS));
    if (aip[0])
        ta_json_kv_str(j, "source.ip", aip);
    if (sqlite3_column_int(s, F_APORT))
        ta_json_kv_int(j, "source.port", sqlite3_column_int(s, F_APORT));
    if (txt(s, F_ACC) && txt(s, F_ACC)[0])
        ta_json_kv_str(j, "source.geolocation.cc", txt(s, F_ACC));
    if (sqlite3_column_int64(s, F_AASN))
        ta_json_kv_int(j, "source.asn", sqlite3_column_int64(s, F_AASN));
    if (vip[0])
        ta_json_kv_str(j, "destination.ip", vip);
    if (sqlite3_column_int(s, F_VPORT))
        ta_json_kv_int(j, "destination.port", sqlite3_column_int(s, F_VPORT));
    if (txt(s, F_VCC) && txt(s, F_VCC)[0])
        ta_json_kv_str(j, "destination.geolocation.cc", txt(s, F_VCC));
    if (sqlite3_column_int64(s, F_VASN))
        ta_json_kv_int(j, "destination.asn", sqlite3_column_int64(s, F_VASN));
    kv_opt(j, "malware.name", txt(s, F_FAMILY));
    const char *pn = proto_name(sqlite3_column_int(s, F_PROTO));
    if (pn)
        ta_json_kv_str(j, "protocol.transport",
                       pn[0] == 'T'   ? "tcp"
                       : pn[0] == 'U' ? "udp"
                                      : "icmp");
    if (kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED)
        kv_opt(j, "destination.fqdn", txt(s, F_HOST));
    else
        kv_opt(j, "source.fqdn", txt(s, F_HOST));
    kv_opt(j, "event_description.text", txt(s, F_SIG));
    ta_json_key(j, "extra");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "kind", ta_event_kind_name((enum ta_event_kind)kind));
    ta_json_kv_str(j, "method", ta_event_method_name(sqlite3_column_int(s, F_METHOD)));
    ta_json_kv_int(j, "confidence", sqlite3_column_int(s, F_CONF));
    kv_opt(j, "indicator", txt(s, F_IND));
    kv_opt(j, "sources", txt(s, F_SOURCES));
    kv_opt(j, "url", txt(s, F_URL));
    kv_opt(j, "item", txt(s, F_ITEM));
    ta_json_kv_uint(j, "flow_id", (uint64_t)sqlite3_column_int64(s, F_FLOW));
    ta_json_obj_close(j);
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
    fputc('\n', f);
}

ta_err ta_report_events_write(struct ta_store *st, const char *type, ta_time_us since,
                              enum ta_events_format fmt, FILE *out, uint64_t *count)
{
    *count = 0;
    int k1 = -1, k2 = -1;
    if (type != NULL) {
        enum ta_event_kind k;
        if (!ta_event_kind_parse(type, &k) || !ta_event_kind_confirmed(k))
            return TA_ERR_ARG;
        k1 = (int)k;
        k2 = (int)k + 1; /* each confirmed kind is followed by its suspected kind */
    }
    if (fmt == TA_EVENTS_FMT_CSV)
        fputs("timestamp,kind,method,flow_id,attacker_ip,attacker_port,attacker_cc,attacker_asn,"
              "victim_ip,victim_port,victim_cc,victim_asn,confidence,signature,family,indicator,"
              "sources,hostname,url,item\n",
              out);
    if (!ta__store_has_tables(st))
        return TA_OK;
    char sql[700];
    snprintf(sql, sizeof(sql),
             "SELECT e.id, e.kind, e.method, e.ts, e.flow_id, e.proto, e.a_ip, e.a_port, e.a_cc,"
             " e.a_asn, e.v_ip, e.v_port, e.v_cc, e.v_asn, e.confidence, e.signature, e.family,"
             " e.indicator, e.indicator_type, e.sources, e.hostname, e.url, e.item"
             " FROM store_event e JOIN store_run r ON r.id = e.run_id AND r.state = 1"
             " WHERE e.ts >= ?1 %s ORDER BY e.ts, e.id",
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
            ta_json_reset(&j);
            ta_json_obj_open(&j);
            if (fmt == TA_EVENTS_FMT_EVE)
                write_eve(&j, s, kind);
            else
                write_intelmq(&j, s, kind);
            ta_json_obj_close(&j);
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
