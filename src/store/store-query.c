/*
 * The store's query API (see threatatlas/store.h, "reading"): every SQL
 * statement a reader needs, over the per-day rollups, the shapes and the
 * events (the evidence lists are in store-list.c). Readers get plain values through callbacks and
 * never see the connection.
 */
#include "store/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

bool ta_store_has_data(const struct ta_store *st)
{
    TA__STORE_FWD(st, has_data, st);
    return ta__store_has_tables(st);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

void ta__store_cc_filters(const struct ta_store_period *p, const char *src_col, const char *dst_col,
                          char s[32], char d[32])
{
    s[0] = d[0] = '\0';
    if (p->src_cc[0])
        snprintf(s, 32, " AND %s='%.2s'", src_col, p->src_cc);
    if (p->dst_cc[0])
        snprintf(d, 32, " AND %s='%.2s'", dst_col, p->dst_cc);
}

/* Step a pair query (src, dst, a[, b]) into cb. */
static ta_err pair_rows(struct ta_store *st, const char *sql, int kind, bool two,
                        ta_store_pair_cb cb, void *ctx, const char *what)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, what);
    sqlite3_bind_int(s, 1, kind);
    int rc;
    ta_err err = TA_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        err = cb(ctx, col_text(s, 0), col_text(s, 1), (uint64_t)sqlite3_column_int64(s, 2),
                 two ? (uint64_t)sqlite3_column_int64(s, 3) : 0);
        if (err)
            break;
    }
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, what);
    sqlite3_finalize(s);
    return err;
}

ta_err ta_store_pair_counters(struct ta_store *st, const struct ta_store_period *p,
                              enum ta_event_kind kind, ta_store_pair_cb cb, void *ctx)
{
    TA__STORE_FWD(st, pair_counters, st, p, kind, cb, ctx);
    if (!ta__store_has_tables(st))
        return TA_OK;
    char sc[32], dc[32], sql[400];
    ta__store_cc_filters(p, "src_cc", "dst_cc", sc, dc);
    snprintf(sql, sizeof(sql),
             "SELECT src_cc, dst_cc, SUM(events), SUM(flows) FROM store_day_count"
             " WHERE kind=?1 AND day BETWEEN %lld AND %lld%s%s GROUP BY src_cc, dst_cc",
             (long long)p->from_day, (long long)p->to_day, sc, dc);
    return pair_rows(st, sql, (int)kind, true, cb, ctx, "report counters");
}

/*
 * Exact distinct count per pair from the members' shapes; in a version 3
 * database read as it is, from the spans: a member whose first or last day
 * lies in the range was seen in it; one whose span strictly contains the
 * range is looked up in the per-day set.
 */
ta_err ta_store_pair_distinct(struct ta_store *st, const struct ta_store_period *p,
                              enum ta_event_kind kind, enum ta_store_set set, ta_store_pair_cb cb,
                              void *ctx)
{
    TA__STORE_FWD(st, pair_distinct, st, p, kind, set, cb, ctx);
    static const char *const tables[TA_STORE_SET__COUNT][2] = {
        [TA_STORE_SET_ATTACKER] = {"attacker", "ip"},
        [TA_STORE_SET_VICTIM] = {"victim", "ip"},
        [TA_STORE_SET_ITEM] = {"item", "item"},
        [TA_STORE_SET_VICTIM_EST] = {"victim_est", "ip"},
        [TA_STORE_SET_ATTACKER_DATED] = {"attacker_dated", "ip"},
    };
    if ((unsigned)set >= TA_STORE_SET__COUNT)
        return TA_ERR_ARG;
    if (!ta__store_has_tables(st))
        return TA_OK;
    const char *t = tables[set][0], *m = tables[set][1];
    long long from = (long long)p->from_day, to = (long long)p->to_day;
    char sc[32], dc[32], sql[900];
    ta__store_cc_filters(p, "src_cc", "dst_cc", sc, dc);
    if (ta__store_has_shapes(st)) {
        /* Members whose span meets the period, less those with a gap (days
         * without them inside their span) covering it: a member has at most
         * one such gap, and has it exactly when it was not seen in the
         * period. Rows per pair: distinct (first, last) days and gaps, not
         * members. */
        snprintf(sql, sizeof(sql),
                 "SELECT src_cc, dst_cc, SUM(CASE WHEN gap THEN -n ELSE n END) AS c"
                 " FROM store_shape_%s WHERE kind=?1%s%s AND ((gap = 0 AND lo <= %lld AND"
                 " hi >= %lld) OR (gap = 1 AND lo <= %lld AND hi >= %lld))"
                 " GROUP BY src_cc, dst_cc HAVING c > 0",
                 t, sc, dc, to, from, from, to);
        return pair_rows(st, sql, (int)kind, false, cb, ctx, "report distinct");
    }
    snprintf(sql, sizeof(sql),
             "SELECT src_cc, dst_cc, COUNT(*) FROM store_span_%s m"
             " WHERE kind=?1%s%s AND first_day <= %lld AND last_day >= %lld"
             " AND (first_day >= %lld OR last_day <= %lld OR EXISTS (SELECT 1 FROM store_day_%s d"
             "  WHERE d.kind = m.kind AND d.src_cc = m.src_cc AND d.dst_cc = m.dst_cc"
             "  AND d.%s = m.%s AND d.day BETWEEN %lld AND %lld))"
             " GROUP BY src_cc, dst_cc",
             t, sc, dc, to, from, from, to, t, m, m, from, to);
    return pair_rows(st, sql, (int)kind, false, cb, ctx, "report distinct");
}

ta_err ta_store_suppressed(struct ta_store *st, const struct ta_store_period *p,
                           ta_store_suppressed_cb cb, void *ctx)
{
    TA__STORE_FWD(st, suppressed, st, p, cb, ctx);
    if (!ta__store_has_tables(st))
        return TA_OK;
    char sc[32], dc[32], sql[400];
    ta__store_cc_filters(p, "src_cc", "dst_cc", sc, dc);
    snprintf(sql, sizeof(sql),
             "SELECT kind, list, SUM(events) FROM store_day_suppressed"
             " WHERE day BETWEEN %lld AND %lld%s%s"
             " GROUP BY kind, list HAVING SUM(events) > 0 ORDER BY kind, list",
             (long long)p->from_day, (long long)p->to_day, sc, dc);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(st, "report suppressed");
    int rc;
    ta_err err = TA_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        if ((unsigned)kind >= TA_EVENT_KIND__COUNT)
            continue;
        err =
            cb(ctx, (enum ta_event_kind)kind, col_text(s, 1), (uint64_t)sqlite3_column_int64(s, 2));
        if (err)
            break;
    }
    if (err == TA_OK && rc != SQLITE_DONE)
        err = ta__store_dberr(st, "report suppressed");
    sqlite3_finalize(s);
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
    F_SENSORS,
};

struct ta_store_events {
    struct ta__store_head head; /* ops NULL: a SQLite cursor */
    struct ta_store *st;
    sqlite3_stmt *s; /* NULL: nothing analysed, no rows */
    bool sensors, detail;
};

ta_err ta_store_events_open(struct ta_store *st, ta_time_us since, uint32_t kinds, unsigned flags,
                            struct ta_store_events **out)
{
    TA__STORE_FWD(st, events_open, st, since, kinds, flags, out);
    *out = NULL;
    struct ta_store_events *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TA_ERR_NOMEM;
    c->st = st;
    c->sensors = (flags & TA_STORE_EVENTS_SENSORS) != 0;
    c->detail = (flags & TA_STORE_EVENTS_DETAIL) != 0;
    if (!ta__store_has_tables(st)) {
        *out = c;
        return TA_OK;
    }
    char in[160] = "";
    if (kinds != 0) {
        size_t o = (size_t)snprintf(in, sizeof(in), "AND e.kind IN (");
        bool first = true;
        for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++) {
            if (kinds & (1u << k)) {
                o += (size_t)snprintf(in + o, sizeof(in) - o, "%s%u", first ? "" : ", ", k);
                first = false;
            }
        }
        snprintf(in + o, sizeof(in) - o, "%s", first ? "-1)" : ")");
    }
    char sql[1200];
    snprintf(sql, sizeof(sql),
             "SELECT e.id, e.kind, e.method, e.ts, e.flow_id, e.proto, e.a_ip, e.a_port, e.a_cc,"
             " e.a_asn, e.v_ip, e.v_port, e.v_cc, e.v_asn, e.confidence, e.signature, e.family,"
             " e.indicator, e.indicator_type, e.sources, e.hostname, e.url, e.item,"
             " e.a_as_name, e.a_home, e.v_as_name, e.v_home, e.dns_answer, e.body,"
             " e.fs, e.tx_index, e.established, e.undated, e.suppressed_by, %s"
             " FROM store_event e WHERE e.ts >= ?1 %s ORDER BY e.ts, e.id",
             (flags & TA_STORE_EVENTS_SENSORS)
                 ?
                 /* The storing run (in the id) and the runs that sighted it. */
                 "(SELECT group_concat(sensor, ';') FROM (SELECT DISTINCT r.sensor FROM"
                 " store_run r WHERE r.id = e.id >> 32 OR r.id IN (SELECT g.run_id FROM"
                 " store_sighting g WHERE g.event_id = e.id) ORDER BY r.sensor))"
                 : "NULL",
             in);
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &c->s, NULL) != SQLITE_OK) {
        free(c);
        return ta__store_dberr(st, "events");
    }
    sqlite3_bind_int64(c->s, 1, (sqlite3_int64)since);
    *out = c;
    return TA_OK;
}

ta_err ta__store_run_events_open(struct ta_store *st, int64_t run_id, struct ta_store_events **out)
{
    *out = NULL;
    struct ta_store_events *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TA_ERR_NOMEM;
    c->st = st;
    c->detail = true;
    if (!ta__store_has_tables(st)) {
        *out = c;
        return TA_OK;
    }
    /* The columns of ta_store_events_open, in the same order (F_*). */
#define RUN_EV_COLS                                                                                \
    "e.id, e.kind, e.method, e.ts, e.flow_id, e.proto, e.a_ip, e.a_port, e.a_cc, e.a_asn,"         \
    " e.v_ip, e.v_port, e.v_cc, e.v_asn, e.confidence, e.signature, e.family, e.indicator,"        \
    " e.indicator_type, e.sources, e.hostname, e.url, e.item, e.a_as_name, e.a_home,"              \
    " e.v_as_name, e.v_home, e.dns_answer, e.body, e.fs, e.tx_index, e.established, e.undated,"    \
    " e.suppressed_by, NULL"
    /* Stored events in id (capture) order, then the sighted ones; no sort. */
    static const char sql[] =
        "SELECT " RUN_EV_COLS " FROM store_event e WHERE e.id BETWEEN ?1 AND ?2"
        " UNION ALL SELECT " RUN_EV_COLS " FROM store_sighting g"
        " JOIN store_event e ON e.id = g.event_id WHERE g.run_id = ?3";
#undef RUN_EV_COLS
    if (sqlite3_prepare_v2(ta__store_db(st), sql, -1, &c->s, NULL) != SQLITE_OK) {
        free(c);
        return ta__store_dberr(st, "events of a run");
    }
    sqlite3_bind_int64(c->s, 1, (sqlite3_int64)((uint64_t)run_id << 32));
    sqlite3_bind_int64(c->s, 2, (sqlite3_int64)(((uint64_t)run_id << 32) | 0xffffffffu));
    sqlite3_bind_int64(c->s, 3, run_id);
    *out = c;
    return TA_OK;
}

static const char *txt(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : NULL;
}

static void addr_col(sqlite3_stmt *s, int i, struct ta_addr *a)
{
    int len = sqlite3_column_bytes(s, i);
    const void *b = sqlite3_column_blob(s, i);
    memset(a, 0, sizeof(*a));
    if (len == 4)
        ta_addr_set_v4(a, b);
    else if (len == 16)
        ta_addr_set_v6(a, b);
}

/* One side of the event; returns its country as stored. as_name and home
 * are read only with detail. */
static const char *side_col(sqlite3_stmt *s, struct ta_event_side *side, int ip, int port, int cc,
                            int asn, int as_name, int home, bool detail)
{
    memset(side, 0, sizeof(*side));
    addr_col(s, ip, &side->ip);
    side->port = (uint16_t)sqlite3_column_int(s, port);
    const char *c = txt(s, cc);
    if (c != NULL && strlen(c) == 2)
        memcpy(side->cc, c, 3);
    side->asn = (uint32_t)sqlite3_column_int64(s, asn);
    if (detail) {
        side->as_name = txt(s, as_name);
        side->home = sqlite3_column_int(s, home) != 0;
    }
    return c;
}

/* A stored row as the event the detector emitted, with what the store adds. */
static void row_event(sqlite3_stmt *s, int kind, bool detail, struct ta_store_event_row *row)
{
    struct ta_event *ev = &row->ev;
    memset(ev, 0, sizeof(*ev));
    ev->kind = (enum ta_event_kind)kind;
    ev->method = (enum ta_event_method)sqlite3_column_int(s, F_METHOD);
    ev->ts = (ta_time_us)sqlite3_column_int64(s, F_TS);
    ev->flow_id = (uint64_t)sqlite3_column_int64(s, F_FLOW);
    row->a_cc =
        side_col(s, &ev->attacker, F_AIP, F_APORT, F_ACC, F_AASN, F_AASNAME, F_AHOME, detail);
    row->v_cc = side_col(s, &ev->victim, F_VIP, F_VPORT, F_VCC, F_VASN, F_VASNAME, F_VHOME, detail);
    ev->confidence = (uint8_t)sqlite3_column_int(s, F_CONF);
    ev->signature = txt(s, F_SIG);
    ev->family = txt(s, F_FAMILY);
    ev->indicator = txt(s, F_IND);
    ev->sources = txt(s, F_SOURCES);
    ev->hostname = txt(s, F_HOST);
    ev->url = txt(s, F_URL);
    if (detail) {
        ev->proto = (uint8_t)sqlite3_column_int(s, F_PROTO);
        ev->indicator_type = txt(s, F_INDTYPE);
        ev->dns_answer = txt(s, F_DNSANS);
        ev->body = sqlite3_column_blob(s, F_BODY);
        ev->body_len = (size_t)sqlite3_column_bytes(s, F_BODY);
    }
    row->item = txt(s, F_ITEM);
    if (kind == TA_EVENT_PHISHING || kind == TA_EVENT_PHISHING_SUSPECTED)
        ev->page = row->item;
    else if (kind == TA_EVENT_BACKDOOR || kind == TA_EVENT_BACKDOOR_SUSPECTED)
        ev->website = row->item;
    ev->flow_start = (ta_time_us)sqlite3_column_int64(s, F_FS);
    ev->tx_index = (uint32_t)sqlite3_column_int64(s, F_TXI);
    ev->established = sqlite3_column_int(s, F_EST) != 0;
    ev->undated = sqlite3_column_int(s, F_UNDATED) != 0;
    ev->suppressed_by = txt(s, F_SUPP);
}

ta_err ta_store_events_next(struct ta_store_events *c, struct ta_store_event_row *row, bool *more)
{
    TA__STORE_FWD(c, events_next, c, row, more);
    *more = false;
    if (c->s == NULL)
        return TA_OK;
    int rc;
    while ((rc = sqlite3_step(c->s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(c->s, F_KIND);
        if ((unsigned)kind >= TA_EVENT_KIND__COUNT)
            continue;
        sqlite3_stmt *s = c->s;
        row->id = sqlite3_column_int64(s, F_ID);
        row_event(s, kind, c->detail, row);
        row->sensors = c->sensors ? txt(s, F_SENSORS) : NULL;
        *more = true;
        return TA_OK;
    }
    return rc == SQLITE_DONE ? TA_OK : ta__store_dberr(c->st, "events");
}

void ta_store_events_close(struct ta_store_events *c)
{
    if (c == NULL)
        return;
    TA__STORE_FWD_VOID(c, events_close, c);
    sqlite3_finalize(c->s);
    free(c);
}
