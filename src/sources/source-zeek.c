/*
 * Zeek logs as observations (threatatlas/logsrc.h): conn lines become flows,
 * dns, http and ssl lines the app layer's records, x509 lines certificates
 * for the ssl lines that name them. TSV logs are read through their
 * #separator, #set_separator, #unset_field, #empty_field and #fields
 * headers; JSON lines by their keys ("id.orig_h"), the log's type from
 * "_path" or the file name (conn.log, dns.04:00:00-05:00:00.log.gz).
 *
 * Several files are merged by time, each line at the moment its observation
 * is made (a conn line at the connection's end, ts + duration), so records
 * reach the detectors before their flow ends and DNS answers before the
 * connections they explain, as with packets. The uid joins a connection's
 * records to its conn line: the records' flow id and start, kept in a
 * bounded table, are the flow's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"
#include "sources/source-log-int.h"
#include "threatatlas/flow.h"
#include "threatatlas/proto.h"

#include "common/banned.h"

enum zpath { Z_OTHER = 0, Z_CONN, Z_DNS, Z_HTTP, Z_SSL, Z_X509 };

enum zfield {
    F_TS,
    F_UID,
    F_ORIG_H,
    F_ORIG_P,
    F_RESP_H,
    F_RESP_P,
    F_PROTO,
    F_SERVICE,
    F_DURATION,
    F_ORIG_PKTS,
    F_RESP_PKTS,
    F_ORIG_IP_BYTES,
    F_RESP_IP_BYTES,
    F_CONN_STATE,
    F_HISTORY,
    F_TRANS_ID,
    F_QUERY,
    F_QTYPE,
    F_RCODE,
    F_AA,
    F_TC,
    F_RD,
    F_RA,
    F_ANSWERS,
    F_TTLS,
    F_TRANS_DEPTH,
    F_METHOD,
    F_HOST,
    F_URI,
    F_REFERRER,
    F_VERSION,
    F_USER_AGENT,
    F_REQ_LEN,
    F_RESP_LEN,
    F_STATUS,
    F_RESP_MIME,
    F_SERVER_NAME,
    F_CERT_FPS,
    F_CERT_FUIDS,
    F_JA3,
    F_JA3S,
    F_FINGERPRINT,
    F_ID,
    F_SUBJECT,
    F_ISSUER,
    F_SERIAL,
    F_NOT_BEFORE,
    F_NOT_AFTER,
    F_PATH,
    F__COUNT
};

static const char *const field_names[F__COUNT] = {
    [F_TS] = "ts",
    [F_UID] = "uid",
    [F_ORIG_H] = "id.orig_h",
    [F_ORIG_P] = "id.orig_p",
    [F_RESP_H] = "id.resp_h",
    [F_RESP_P] = "id.resp_p",
    [F_PROTO] = "proto",
    [F_SERVICE] = "service",
    [F_DURATION] = "duration",
    [F_ORIG_PKTS] = "orig_pkts",
    [F_RESP_PKTS] = "resp_pkts",
    [F_ORIG_IP_BYTES] = "orig_ip_bytes",
    [F_RESP_IP_BYTES] = "resp_ip_bytes",
    [F_CONN_STATE] = "conn_state",
    [F_HISTORY] = "history",
    [F_TRANS_ID] = "trans_id",
    [F_QUERY] = "query",
    [F_QTYPE] = "qtype",
    [F_RCODE] = "rcode",
    [F_AA] = "AA",
    [F_TC] = "TC",
    [F_RD] = "RD",
    [F_RA] = "RA",
    [F_ANSWERS] = "answers",
    [F_TTLS] = "TTLs",
    [F_TRANS_DEPTH] = "trans_depth",
    [F_METHOD] = "method",
    [F_HOST] = "host",
    [F_URI] = "uri",
    [F_REFERRER] = "referrer",
    [F_VERSION] = "version",
    [F_USER_AGENT] = "user_agent",
    [F_REQ_LEN] = "request_body_len",
    [F_RESP_LEN] = "response_body_len",
    [F_STATUS] = "status_code",
    [F_RESP_MIME] = "resp_mime_types",
    [F_SERVER_NAME] = "server_name",
    [F_CERT_FPS] = "cert_chain_fps",
    [F_CERT_FUIDS] = "cert_chain_fuids",
    [F_JA3] = "ja3",
    [F_JA3S] = "ja3s",
    [F_FINGERPRINT] = "fingerprint",
    [F_ID] = "id",
    [F_SUBJECT] = "certificate.subject",
    [F_ISSUER] = "certificate.issuer",
    [F_SERIAL] = "certificate.serial",
    [F_NOT_BEFORE] = "certificate.not_valid_before",
    [F_NOT_AFTER] = "certificate.not_valid_after",
    [F_PATH] = "_path",
};

#define Z_MAX_COLS 256

/* One open file: its headers and, while merging, its next line. */
struct zfile {
    enum zpath path;      /* from #path, _path or the file name */
    enum zpath name_path; /* from the file name */
    char sep, set_sep;
    char unset[16], empty[16];
    uint16_t ncols;
    int8_t col[Z_MAX_COLS]; /* column -> enum zfield, -1 unused */
    bool have_fields;
    /* Merging. */
    struct ls_lines r;
    const char *line;
    size_t len;
    ta_time_us key;
    uint64_t line_no;
    bool pending, done;
};

/* A certificate from x509.log, for the ssl lines that name it. */
struct zcert {
    uint64_t key;
    int64_t notbefore, notafter;
    char *subject, *issuer, *serial, *fp;
};

struct ls_zeek {
    struct zfile one; /* line-at-a-time input (ta_logsrc_begin/line) */
    struct zfile *cur;
    struct zcert **certs;
    uint32_t cert_mask;
    /* The current line's values: text, or NULL when absent, unset or empty. */
    struct ta_str v[F__COUNT];
    char vsep[F__COUNT]; /* separator of a vector value */
};

static enum zpath path_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        enum zpath p;
    } paths[] = {
        {"conn", Z_CONN}, {"dns", Z_DNS}, {"http", Z_HTTP}, {"ssl", Z_SSL}, {"x509", Z_X509}};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strlen(paths[i].name) == n && memcmp(paths[i].name, s, n) == 0)
            return paths[i].p;
    return Z_OTHER;
}

static void zfile_reset(struct zfile *z, const char *name)
{
    struct ls_lines r = z->r;
    memset(z, 0, sizeof(*z));
    z->r = r;
    z->sep = '\t';
    z->set_sep = ',';
    memcpy(z->unset, "-", 2);
    memcpy(z->empty, "(empty)", 8);
    memset(z->col, -1, sizeof(z->col));
    if (name != NULL) {
        const char *b = strrchr(name, '/');
        b = b != NULL ? b + 1 : name;
        size_t n = strcspn(b, ".");
        z->name_path = path_of(b, n);
    }
    z->path = z->name_path;
}

ta_err ta__zeek_new(struct ta_logsrc *ls)
{
    ls->zeek = calloc(1, sizeof(*ls->zeek));
    if (ls->zeek == NULL)
        return TA_ERR_NOMEM;
    uint32_t slots = 1;
    while (slots < ls->o.max_certs && slots < (1u << 24))
        slots <<= 1;
    ls->zeek->certs = calloc(slots, sizeof(*ls->zeek->certs));
    if (ls->zeek->certs == NULL)
        return TA_ERR_NOMEM;
    ls->zeek->cert_mask = slots - 1;
    zfile_reset(&ls->zeek->one, NULL);
    ls->zeek->cur = &ls->zeek->one;
    return TA_OK;
}

static void cert_free(struct zcert *c)
{
    if (c == NULL)
        return;
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->fp);
    free(c);
}

void ta__zeek_free(struct ta_logsrc *ls)
{
    if (ls->zeek == NULL)
        return;
    if (ls->zeek->certs != NULL)
        for (uint32_t i = 0; i <= ls->zeek->cert_mask; i++)
            cert_free(ls->zeek->certs[i]);
    free(ls->zeek->certs);
    free(ls->zeek);
    ls->zeek = NULL;
}

void ta__zeek_begin(struct ta_logsrc *ls, const char *name)
{
    zfile_reset(&ls->zeek->one, name);
    ls->zeek->cur = &ls->zeek->one;
}

/* ---- headers -------------------------------------------------------------------------- */

/* "\x09" or a literal character. */
static char sep_char(const char *s, size_t n)
{
    if (n == 4 && s[0] == '\\' && s[1] == 'x') {
        int hi = s[2] >= 'a' ? s[2] - 'a' + 10 : s[2] >= 'A' ? s[2] - 'A' + 10 : s[2] - '0';
        int lo = s[3] >= 'a' ? s[3] - 'a' + 10 : s[3] >= 'A' ? s[3] - 'A' + 10 : s[3] - '0';
        return (char)(hi << 4 | lo);
    }
    return n == 1 ? s[0] : 0;
}

static bool header(struct zfile *z, const char *line, size_t len)
{
    if (len > 11 && memcmp(line, "#separator ", 11) == 0) {
        char c = sep_char(line + 11, len - 11);
        if (c == 0)
            return false;
        z->sep = c;
        return true;
    }
    /* The other headers are "#name<sep>value<sep>value...". */
    size_t k = 0;
    while (k < len && line[k] != z->sep)
        k++;
    const char *val = k < len ? line + k + 1 : line + len;
    size_t vn = k < len ? len - k - 1 : 0;
    if (k == 14 && memcmp(line, "#set_separator", 14) == 0) {
        char c = sep_char(val, vn);
        if (c == 0)
            return false;
        z->set_sep = c;
    } else if (k == 12 && memcmp(line, "#unset_field", 12) == 0) {
        if (vn == 0 || vn >= sizeof(z->unset))
            return false;
        memcpy(z->unset, val, vn);
        z->unset[vn] = 0;
    } else if (k == 12 && memcmp(line, "#empty_field", 12) == 0) {
        if (vn == 0 || vn >= sizeof(z->empty))
            return false;
        memcpy(z->empty, val, vn);
        z->empty[vn] = 0;
    } else if (k == 5 && memcmp(line, "#path", 5) == 0) {
        z->path = path_of(val, vn);
    } else if (k == 7 && memcmp(line, "#fields", 7) == 0) {
        memset(z->col, -1, sizeof(z->col));
        z->ncols = 0;
        size_t i = 0;
        while (i <= vn) {
            size_t e = i;
            while (e < vn && val[e] != z->sep)
                e++;
            if (z->ncols == Z_MAX_COLS)
                return false;
            for (int f = 0; f < F__COUNT; f++)
                if (strlen(field_names[f]) == e - i && memcmp(field_names[f], val + i, e - i) == 0)
                    z->col[z->ncols] = (int8_t)f;
            z->ncols++;
            i = e + 1;
        }
        z->have_fields = true;
    }
    /* #open, #close, #types and any other header: nothing to keep. */
    return true;
}

/* ---- values --------------------------------------------------------------------------- */

/* A TSV value: absent when unset or empty; \xNN escapes decoded. */
static struct ta_str tsv_value(struct ta_logsrc *ls, const struct zfile *z, const char *p, size_t n)
{
    struct ta_str r = {NULL, 0};
    if ((strlen(z->unset) == n && memcmp(p, z->unset, n) == 0) ||
        (strlen(z->empty) == n && memcmp(p, z->empty, n) == 0))
        return r;
    if (memchr(p, '\\', n) == NULL)
        return ta__ls_copy(&ls->arena, p, n);
    r = ta__ls_copy(&ls->arena, p, n);
    if (r.ptr == NULL)
        return r;
    char *o = (char *)r.ptr;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && n - i >= 2 && p[i + 1] == '\\') {
            o[w++] = '\\';
            i++;
            continue;
        }
        if (p[i] == '\\' && n - i >= 4 && p[i + 1] == 'x') {
            int hi = p[i + 2], lo = p[i + 3];
            hi = hi >= 'a' ? hi - 'a' + 10 : hi >= 'A' ? hi - 'A' + 10 : hi - '0';
            lo = lo >= 'a' ? lo - 'a' + 10 : lo >= 'A' ? lo - 'A' + 10 : lo - '0';
            if (hi >= 0 && hi < 16 && lo >= 0 && lo < 16) {
                o[w++] = (char)(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        o[w++] = p[i];
    }
    o[w] = 0;
    r.len = (uint32_t)w;
    return r;
}

static bool tsv_row(struct ta_logsrc *ls, struct zfile *z, const char *line, size_t len)
{
    struct ls_zeek *zk = ls->zeek;
    memset(zk->v, 0, sizeof(zk->v));
    size_t i = 0;
    uint16_t c = 0;
    for (;;) {
        size_t e = i;
        while (e < len && line[e] != z->sep)
            e++;
        if (c >= z->ncols)
            return false;
        int f = z->col[c];
        if (f >= 0) {
            zk->v[f] = tsv_value(ls, z, line + i, e - i);
            zk->vsep[f] = z->set_sep;
        }
        c++;
        if (e >= len)
            break;
        i = e + 1;
    }
    return c == z->ncols;
}

/* A JSON value as text: strings unescaped, numbers and booleans as written
 * (true/false as Zeek's T/F), arrays joined with \x1f. */
static struct ta_str json_text(struct ta_logsrc *ls, uint32_t i, char *sep)
{
    const struct lj *j = ls->lj;
    const struct lj_tok *t = &j->t[i];
    struct ta_str r = {NULL, 0};
    *sep = 0x1f;
    switch (t->type) {
    case LJ_STR:
        return ta__lj_str(j, i, &ls->arena);
    case LJ_NUM:
        return ta__ls_copy(&ls->arena, j->s + t->start, t->end - t->start);
    case LJ_TRUE:
        return ta__ls_copy(&ls->arena, "T", 1);
    case LJ_FALSE:
        return ta__ls_copy(&ls->arena, "F", 1);
    case LJ_ARR: {
        /* Joined in place: each element's copy follows the previous one. */
        bool first = true;
        for (uint32_t e = i + 1; e < t->next; e = j->t[e].next) {
            char s2;
            struct ta_str x = json_text(ls, e, &s2);
            if (x.ptr == NULL)
                continue;
            if (first) {
                r = x;
                first = false;
            } else {
                /* The NUL between the two copies becomes the separator. */
                ((char *)r.ptr)[r.len] = 0x1f;
                if (x.ptr == r.ptr + r.len + 1)
                    r.len += 1 + x.len;
            }
        }
        return r;
    }
    default:
        return r;
    }
}

static bool json_row(struct ta_logsrc *ls, struct zfile *z, const char *line, size_t len)
{
    struct ls_zeek *zk = ls->zeek;
    memset(zk->v, 0, sizeof(zk->v));
    struct lj *j = ls->lj;
    if (!ta__lj_parse(j, line, len) || j->t[0].type != LJ_OBJ)
        return false;
    for (uint32_t k = ta__lj_member_next(j, 0, 0); k != 0; k = ta__lj_member_next(j, 0, k)) {
        const struct lj_tok *kt = &j->t[k];
        size_t kn = kt->end - kt->start;
        for (int f = 0; f < F__COUNT; f++) {
            if (strlen(field_names[f]) != kn || memcmp(field_names[f], j->s + kt->start, kn) != 0)
                continue;
            /* Nested "id":{"orig_h":...} as some writers give it. */
            if (f == F_ID && j->t[k + 1].type == LJ_OBJ) {
                static const int sub[] = {F_ORIG_H, F_ORIG_P, F_RESP_H, F_RESP_P};
                static const char *const subn[] = {"orig_h", "orig_p", "resp_h", "resp_p"};
                for (int s = 0; s < 4; s++) {
                    uint32_t v = ta__lj_get(j, k + 1, subn[s]);
                    if (v != 0)
                        zk->v[sub[s]] = json_text(ls, v, &zk->vsep[sub[s]]);
                }
                break;
            }
            zk->v[f] = json_text(ls, k + 1, &zk->vsep[f]);
            break;
        }
    }
    if (zk->v[F_PATH].ptr != NULL)
        z->path = path_of(zk->v[F_PATH].ptr, zk->v[F_PATH].len);
    else
        z->path = z->name_path;
    return true;
}

/* Zeek's time: seconds with a fraction, or ISO 8601 (JSON streaming logs). */
static bool ztime(const struct ta_str *v, ta_time_us *out)
{
    if (v->ptr == NULL)
        return false;
    if (v->len > 10 && v->ptr[4] == '-')
        return ta__ls_time_iso(v->ptr, v->len, out);
    return ta__ls_time_epoch(v->ptr, v->len, out);
}

static bool zu64(const struct ta_str *v, uint64_t *out)
{
    return v->ptr != NULL && ta__ls_u64(v->ptr, v->len, out);
}

static bool zbool(const struct ta_str *v)
{
    return v->ptr != NULL && (v->ptr[0] == 'T' || v->ptr[0] == 't');
}

/* The next element of a vector value; false at the end. */
static bool vnext(const struct ta_str *v, char sep, size_t *pos, const char **e, size_t *n)
{
    if (v->ptr == NULL || *pos > v->len)
        return false;
    size_t i = *pos, k = i;
    while (k < v->len && v->ptr[k] != sep)
        k++;
    *e = v->ptr + i;
    *n = k - i;
    *pos = k + 1;
    return true;
}

/* ---- the connection -------------------------------------------------------------------- */

static uint64_t uid_key(const struct ta_str *uid)
{
    return ta_hash_mix64(ta_hash64(0x7a65656b, uid->ptr, uid->len));
}

/* The 5-tuple of the line; false when it has none. */
static bool conn_of(struct ta_logsrc *ls, struct ta_flow *f, ta_time_us ts)
{
    const struct ta_str *v = ls->zeek->v;
    memset(f, 0, sizeof(*f));
    uint64_t sp, dp;
    if (v[F_ORIG_H].ptr == NULL || v[F_RESP_H].ptr == NULL ||
        !ta__ls_addr(v[F_ORIG_H].ptr, v[F_ORIG_H].len, &f->src) ||
        !ta__ls_addr(v[F_RESP_H].ptr, v[F_RESP_H].len, &f->dst) || !zu64(&v[F_ORIG_P], &sp) ||
        !zu64(&v[F_RESP_P], &dp) || sp > 65535 || dp > 65535)
        return false;
    f->sp = (uint16_t)sp;
    f->dp = (uint16_t)dp;
    f->ip_version = ta_addr_is_v4(&f->src) ? 4 : 6;
    const struct ta_str *p = &v[F_PROTO];
    f->proto = 6; /* dns/http/ssl lines without a proto column: TCP but DNS */
    if (p->ptr != NULL) {
        if (strcmp(p->ptr, "udp") == 0)
            f->proto = 17;
        else if (strcmp(p->ptr, "icmp") == 0)
            f->proto = ta_addr_is_v4(&f->src) ? 1 : 58;
        else if (strcmp(p->ptr, "tcp") != 0)
            f->proto = 0;
    }
    if (f->proto == 1 || f->proto == 58) {
        /* Zeek puts the ICMP type and code in the ports. */
        f->icmp_type = (uint8_t)sp;
        f->icmp_code = (uint8_t)dp;
        f->sp = f->dp = 0;
    }
    f->start = f->last = ts;
    return true;
}

/* A record's flow: the first record of the uid gives the id and start its conn line takes. */
static void record_flow(struct ta_logsrc *ls, struct ta_flow *f, uint8_t app)
{
    f->app_proto = app;
    f->state = TA_FLOW_STATE_ESTABLISHED;
    const struct ta_str *uid = &ls->zeek->v[F_UID];
    if (uid->ptr == NULL) {
        f->id = ta_flow_id_of(f);
        return;
    }
    bool fresh;
    struct ls_join *e = ta__ls_joins_put(&ls->joins, uid_key(uid), &fresh);
    if (fresh) {
        e->start = f->start;
        e->id = ta_flow_id_of(f);
    }
    f->start = e->start;
    f->id = e->id;
}

static uint8_t app_of(const struct ta_str *svc)
{
    if (svc->ptr == NULL)
        return TA_APP_UNKNOWN;
    /* "ssl,http" and the like: the first named. */
    if (strncmp(svc->ptr, "http", 4) == 0)
        return TA_APP_HTTP;
    if (strncmp(svc->ptr, "ssl", 3) == 0)
        return TA_APP_TLS;
    if (strncmp(svc->ptr, "dns", 3) == 0)
        return TA_APP_DNS;
    return TA_APP_UNKNOWN;
}

static void z_conn(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct ta_str *v = ls->zeek->v;
    struct ta_flow f;
    if (!conn_of(ls, &f, ts)) {
        ta__ls_reject(ls);
        return;
    }
    ta_time_us dur = 0;
    if (v[F_DURATION].ptr != NULL &&
        !ta__ls_time_epoch(v[F_DURATION].ptr, v[F_DURATION].len, &dur)) {
        ta__ls_reject(ls);
        return;
    }
    f.last = ts + dur;
    zu64(&v[F_ORIG_PKTS], &f.pkts_toserver);
    zu64(&v[F_RESP_PKTS], &f.pkts_toclient);
    zu64(&v[F_ORIG_IP_BYTES], &f.bytes_toserver);
    zu64(&v[F_RESP_IP_BYTES], &f.bytes_toclient);
    f.app_proto = app_of(&v[F_SERVICE]);
    /* History letters: upper case from the originator, lower case from the responder. */
    const struct ta_str *h = &v[F_HISTORY];
    for (uint32_t i = 0; h->ptr != NULL && i < h->len; i++) {
        char c = h->ptr[i];
        uint8_t *fl = (c >= 'a' && c <= 'z') ? &f.tcp_flags_tc : &f.tcp_flags_ts;
        switch (c | 0x20) {
        case 's':
            *fl |= TA_TCP_SYN;
            break;
        case 'h':
            *fl |= TA_TCP_SYN | TA_TCP_ACK;
            break;
        case 'a':
            *fl |= TA_TCP_ACK;
            break;
        case 'd':
            *fl |= TA_TCP_PSH | TA_TCP_ACK;
            break;
        case 'f':
            *fl |= TA_TCP_FIN;
            break;
        case 'r':
            *fl |= TA_TCP_RST;
            break;
        default:
            break;
        }
    }
    const struct ta_str *cs = &v[F_CONN_STATE];
    f.state = TA_FLOW_STATE_CLOSED;
    f.reason = TA_FLOW_REASON_TIMEOUT;
    if (cs->ptr != NULL && (strcmp(cs->ptr, "S0") == 0 || strcmp(cs->ptr, "OTH") == 0))
        f.state = TA_FLOW_STATE_NEW;
    if (f.proto == 6) {
        bool est = (f.tcp_flags_tc & (TA_TCP_SYN | TA_TCP_ACK)) == (TA_TCP_SYN | TA_TCP_ACK);
        bool closed = (f.tcp_flags_ts | f.tcp_flags_tc) & (TA_TCP_FIN | TA_TCP_RST);
        f.tcp_state = closed                          ? TA_TCP_STATE_CLOSED
                      : est                           ? TA_TCP_STATE_ESTABLISHED
                      : (f.tcp_flags_ts & TA_TCP_SYN) ? TA_TCP_STATE_SYN_SENT
                                                      : TA_TCP_STATE_NONE;
    }
    const struct ta_str *uid = &v[F_UID];
    struct ls_join *e = uid->ptr != NULL ? ta__ls_joins_find(&ls->joins, uid_key(uid)) : NULL;
    if (e != NULL) {
        f.id = e->id;
        ta__ls_joins_del(&ls->joins, e);
    } else {
        f.id = ta_flow_id_of(&f);
    }
    ta__ls_flow(ls, &f);
}

#define Z_MAX_ANSWERS 64

static void z_dns(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct ta_str *v = ls->zeek->v;
    struct ta_flow f;
    if (!conn_of(ls, &f, ts)) {
        ta__ls_reject(ls);
        return;
    }
    if (v[F_PROTO].ptr == NULL)
        f.proto = 17;
    record_flow(ls, &f, TA_APP_DNS);
    struct ta_dns_query q;
    memset(&q, 0, sizeof(q));
    q.rrname = v[F_QUERY];
    uint64_t x;
    q.rrtype = zu64(&v[F_QTYPE], &x) && x <= 65535 ? (uint16_t)x : 0;
    q.rrclass = 1;
    struct ta_dns_rr an[Z_MAX_ANSWERS];
    struct ta_dns_record r;
    memset(&r, 0, sizeof(r));
    r.ts = ts;
    r.tcp = f.proto == 6;
    if (zu64(&v[F_TRANS_ID], &x) && x <= 65535)
        r.id = (uint16_t)x;
    bool have_rcode = zu64(&v[F_RCODE], &x);
    r.response = have_rcode || v[F_ANSWERS].ptr != NULL;
    r.dir = r.response ? TA_DIR_TOCLIENT : TA_DIR_TOSERVER;
    r.flags = (uint16_t)((r.response ? 0x8000 : 0) | (zbool(&v[F_AA]) ? 0x0400 : 0) |
                         (zbool(&v[F_TC]) ? 0x0200 : 0) | (zbool(&v[F_RD]) ? 0x0100 : 0) |
                         (zbool(&v[F_RA]) ? 0x0080 : 0) | (have_rcode ? (x & 0xf) : 0));
    if (q.rrname.ptr != NULL) {
        r.queries = &q;
        r.n_queries = 1;
    }
    size_t pa = 0, pt = 0;
    const char *e, *te;
    size_t n, tn;
    while (vnext(&v[F_ANSWERS], ls->zeek->vsep[F_ANSWERS], &pa, &e, &n)) {
        if (r.n_answers == Z_MAX_ANSWERS) {
            r.dropped_rrs++;
            continue;
        }
        struct ta_dns_rr *rr = &an[r.n_answers++];
        memset(rr, 0, sizeof(*rr));
        rr->rrname = q.rrname;
        rr->rrclass = 1;
        /* The answers are text: an address is an A/AAAA, anything else a name. */
        rr->rdata = ta__ls_copy(&ls->arena, e, n);
        if (ta__ls_addr(e, n, &rr->addr))
            rr->rrtype = ta_addr_is_v4(&rr->addr) ? 1 : 28;
        else
            rr->rrtype = 5;
        ta_time_us ttl;
        if (vnext(&v[F_TTLS], ls->zeek->vsep[F_TTLS], &pt, &te, &tn) &&
            ta__ls_time_epoch(te, tn, &ttl) && ttl / 1000000u <= UINT32_MAX)
            rr->ttl = (uint32_t)(ttl / 1000000u);
    }
    r.answers = an;
    ta__ls_record(ls, &f, TA_REC_DNS, &r);
}

static void z_http(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct ta_str *v = ls->zeek->v;
    struct ta_flow f;
    if (!conn_of(ls, &f, ts)) {
        ta__ls_reject(ls);
        return;
    }
    record_flow(ls, &f, TA_APP_HTTP);
    struct ta_http_tx tx;
    memset(&tx, 0, sizeof(tx));
    tx.ts = ts;
    uint64_t x;
    if (zu64(&v[F_TRANS_DEPTH], &x) && x > 0)
        tx.tx_id = x - 1;
    tx.method = v[F_METHOD];
    tx.url = v[F_URI];
    tx.http_port = -1;
    tx.hostname = v[F_HOST];
    if (tx.hostname.ptr != NULL) {
        /* Without the port, lower case, as the app layer gives it. */
        char *h = (char *)tx.hostname.ptr;
        char *colon = h[0] != '[' ? strrchr(h, ':') : NULL;
        if (colon != NULL && ta__ls_u64(colon + 1, strlen(colon + 1), &x) && x <= 65535) {
            tx.http_port = (int32_t)x;
            *colon = 0;
            tx.hostname.len = (uint32_t)(colon - h);
        }
        for (uint32_t i = 0; i < tx.hostname.len; i++)
            if (h[i] >= 'A' && h[i] <= 'Z')
                h[i] = (char)(h[i] + 32);
    }
    tx.referer = v[F_REFERRER];
    tx.user_agent = v[F_USER_AGENT];
    if (v[F_VERSION].ptr != NULL) {
        char b[32];
        int bn = snprintf(b, sizeof(b), "HTTP/%s", v[F_VERSION].ptr);
        if (bn > 0 && (size_t)bn < sizeof(b))
            tx.protocol = ta__ls_copy(&ls->arena, b, (size_t)bn);
    }
    tx.has_request = tx.method.ptr != NULL;
    if (zu64(&v[F_STATUS], &x) && x <= 999) {
        tx.has_response = true;
        tx.status = (uint16_t)x;
        tx.resp_protocol = tx.protocol;
    }
    zu64(&v[F_REQ_LEN], &tx.request_body_len);
    zu64(&v[F_RESP_LEN], &tx.response_body_len);
    size_t pos = 0;
    const char *e;
    size_t n;
    if (vnext(&v[F_RESP_MIME], ls->zeek->vsep[F_RESP_MIME], &pos, &e, &n))
        tx.content_type = ta__ls_copy(&ls->arena, e, n);
    ta__ls_record(ls, &f, TA_REC_HTTP, &tx);
}

static uint64_t cert_key(const char *p, size_t n)
{
    return ta_hash_mix64(ta_hash64(0x78353039, p, n)) | 1;
}

static struct zcert **cert_slot(struct ls_zeek *z, uint64_t key)
{
    return &z->certs[(key >> 17) & z->cert_mask];
}

static char *dup_str(const struct ta_str *s)
{
    return s->ptr != NULL ? strndup(s->ptr, s->len) : NULL;
}

static void z_x509(struct ta_logsrc *ls)
{
    const struct ta_str *v = ls->zeek->v;
    const struct ta_str *k = v[F_FINGERPRINT].ptr != NULL ? &v[F_FINGERPRINT] : &v[F_ID];
    if (k->ptr == NULL) {
        ta__ls_reject(ls);
        return;
    }
    struct zcert *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->key = cert_key(k->ptr, k->len);
    c->subject = dup_str(&v[F_SUBJECT]);
    c->issuer = dup_str(&v[F_ISSUER]);
    /* Suricata's serial: colon-separated upper-case hex pairs. */
    if (v[F_SERIAL].ptr != NULL && v[F_SERIAL].len < 128) {
        char b[400];
        size_t w = 0, n = v[F_SERIAL].len;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && (n - i) % 2 == 0)
                b[w++] = ':';
            char ch = v[F_SERIAL].ptr[i];
            b[w++] = (ch >= 'a' && ch <= 'f') ? (char)(ch - 32) : ch;
        }
        c->serial = strndup(b, w);
    }
    /* A SHA-1 fingerprint (older Zeek, or configured) in Suricata's colon form; a SHA-256
     * one stays out: the fingerprint field and its indicators are SHA-1. */
    if (v[F_FINGERPRINT].ptr != NULL && v[F_FINGERPRINT].len == 40) {
        char b[64];
        size_t w = 0;
        for (size_t i = 0; i < 40; i++) {
            if (i > 0 && i % 2 == 0)
                b[w++] = ':';
            char ch = v[F_FINGERPRINT].ptr[i];
            b[w++] = (ch >= 'A' && ch <= 'F') ? (char)(ch + 32) : ch;
        }
        c->fp = strndup(b, w);
    }
    ta_time_us t;
    if (ztime(&v[F_NOT_BEFORE], &t))
        c->notbefore = (int64_t)(t / 1000000u);
    if (ztime(&v[F_NOT_AFTER], &t))
        c->notafter = (int64_t)(t / 1000000u);
    struct zcert **slot = cert_slot(ls->zeek, c->key);
    if (*slot != NULL) {
        if ((*slot)->key != c->key)
            ls->st.evicted++;
        cert_free(*slot);
    }
    *slot = c;
    ls->st.certs++;
}

static uint16_t zeek_tls_version(const struct ta_str *v)
{
    static const struct {
        const char *n;
        uint16_t v;
    } names[] = {{"TLSv10", 0x0301}, {"TLSv11", 0x0302}, {"TLSv12", 0x0303},
                 {"TLSv13", 0x0304}, {"SSLv3", 0x0300},  {"SSLv2", 0x0002}};
    for (size_t i = 0; v->ptr != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v->ptr, names[i].n) == 0)
            return names[i].v;
    return 0;
}

static void z_ssl(struct ta_logsrc *ls, ta_time_us ts)
{
    const struct ta_str *v = ls->zeek->v;
    struct ta_flow f;
    if (!conn_of(ls, &f, ts)) {
        ta__ls_reject(ls);
        return;
    }
    record_flow(ls, &f, TA_APP_TLS);
    struct ta_tls_record r;
    memset(&r, 0, sizeof(r));
    r.ts = ts;
    r.sni = v[F_SERVER_NAME];
    r.version = r.client_version = zeek_tls_version(&v[F_VERSION]);
    r.has_client_hello = true;
    ta__ls_fingerprint(r.ja3_hash, sizeof(r.ja3_hash), v[F_JA3].ptr, v[F_JA3].len);
    ta__ls_fingerprint(r.ja3s_hash, sizeof(r.ja3s_hash), v[F_JA3S].ptr, v[F_JA3S].len);
    r.has_server_hello = r.ja3s_hash[0] != 0;
    /* The server's certificate: the first of the chain, by fingerprint or file id. */
    const struct ta_str *chain = v[F_CERT_FPS].ptr != NULL ? &v[F_CERT_FPS] : &v[F_CERT_FUIDS];
    int which = v[F_CERT_FPS].ptr != NULL ? F_CERT_FPS : F_CERT_FUIDS;
    size_t pos = 0;
    const char *e;
    size_t n;
    if (vnext(chain, ls->zeek->vsep[which], &pos, &e, &n) && n > 0) {
        uint64_t key = cert_key(e, n);
        const struct zcert *c = *cert_slot(ls->zeek, key);
        if (c != NULL && c->key == key) {
            r.has_cert = true;
            r.subject = (struct ta_str){c->subject, c->subject ? (uint32_t)strlen(c->subject) : 0};
            r.issuerdn = (struct ta_str){c->issuer, c->issuer ? (uint32_t)strlen(c->issuer) : 0};
            r.serial = (struct ta_str){c->serial, c->serial ? (uint32_t)strlen(c->serial) : 0};
            r.fingerprint = (struct ta_str){c->fp, c->fp ? (uint32_t)strlen(c->fp) : 0};
            r.notbefore = c->notbefore;
            r.notafter = c->notafter;
        }
    }
    ta__ls_record(ls, &f, TA_REC_TLS, &r);
}

/* ---- lines ------------------------------------------------------------------------------ */

/* Parse the line into the row; false: reject. *hdr: a header or blank line. */
static bool row(struct ta_logsrc *ls, struct zfile *z, const char *line, size_t len, bool *hdr)
{
    *hdr = false;
    if (len == 0 || line[0] == '#') {
        *hdr = true;
        return len == 0 || header(z, line, len);
    }
    if (line[0] == '{')
        return json_row(ls, z, line, len);
    return z->have_fields && tsv_row(ls, z, line, len);
}

static void dispatch(struct ta_logsrc *ls, struct zfile *z)
{
    const struct ta_str *v = ls->zeek->v;
    ta_time_us ts = 0;
    if (z->path != Z_OTHER && z->path != Z_X509 && !ztime(&v[F_TS], &ts)) {
        ta__ls_reject(ls);
        return;
    }
    switch (z->path) {
    case Z_CONN:
        z_conn(ls, ts);
        break;
    case Z_DNS:
        z_dns(ls, ts);
        break;
    case Z_HTTP:
        z_http(ls, ts);
        break;
    case Z_SSL:
        z_ssl(ls, ts);
        break;
    case Z_X509:
        z_x509(ls);
        break;
    default:
        /* notice, weird, files, smtp ...: valid lines this reader has no use for. */
        ls->st.ignored++;
        break;
    }
}

void ta__zeek_line(struct ta_logsrc *ls, const char *line, size_t len)
{
    struct zfile *z = ls->zeek->cur;
    bool hdr;
    if (!row(ls, z, line, len, &hdr)) {
        ta__ls_reject(ls);
        return;
    }
    if (hdr) {
        ls->st.headers++;
        return;
    }
    dispatch(ls, z);
}

/* ---- merging files by time -------------------------------------------------------------- */

/*
 * Advance z to its next data line and compute its merge key; headers are
 * taken in on the way (counted). Rejected lines are counted here too, so a
 * line is parsed twice only when it is used (once for the key, once to deliver).
 */
static int zfile_next(struct ta_logsrc *ls, struct zfile *z, char *errbuf, size_t errlen)
{
    for (;;) {
        int rc = ta__ls_lines_next(&z->r, &z->line, &z->len, errbuf, errlen);
        if (rc <= 0) {
            z->done = true;
            z->pending = false;
            return rc;
        }
        z->line_no++;
        ls->line_no = z->line_no;
        ls->st.lines++;
        if (z->len > 0 && z->line[z->len - 1] == '\r')
            z->len--;
        if (z->len > ls->o.max_line) {
            ta__ls_reject(ls);
            continue;
        }
        ls->arena.len = 0;
        bool hdr;
        if (!row(ls, z, z->line, z->len, &hdr)) {
            ta__ls_reject(ls);
            continue;
        }
        if (hdr) {
            ls->st.headers++;
            continue;
        }
        const struct ta_str *v = ls->zeek->v;
        ta_time_us ts = 0, dur = 0;
        ztime(&v[F_TS], &ts);
        if (z->path == Z_CONN && v[F_DURATION].ptr != NULL)
            ta__ls_time_epoch(v[F_DURATION].ptr, v[F_DURATION].len, &dur);
        z->key = ts + dur;
        z->pending = true;
        return 1;
    }
}

ta_err ta__zeek_read_files(struct ta_logsrc *ls, const char *const *paths, size_t n, char *errbuf,
                           size_t errlen)
{
    if (n > ls->o.max_files) {
        snprintf(errbuf, errlen, "%zu Zeek logs at once: at most %u (max_files)", n,
                 ls->o.max_files);
        return TA_ERR_LIMIT;
    }
    struct zfile *zs = calloc(n ? n : 1, sizeof(*zs));
    if (zs == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return TA_ERR_NOMEM;
    }
    ta_err err = TA_OK;
    size_t opened = 0;
    for (; opened < n; opened++) {
        struct zfile *z = &zs[opened];
        err = ta__ls_lines_open(&z->r, paths[opened], ls->o.max_line, errbuf, errlen);
        if (err != TA_OK)
            break;
        zfile_reset(z, paths[opened]);
        ls->st.files++;
        ls->file = paths[opened];
        if (zfile_next(ls, z, errbuf, errlen) < 0) {
            err = TA_ERR_IO;
            opened++;
            break;
        }
    }
    while (err == TA_OK) {
        if (ta__ls_stopped(ls)) {
            err = TA_ERR_INTERRUPTED;
            break;
        }
        /* The earliest pending line; ties go to the file given first. */
        struct zfile *best = NULL;
        for (size_t i = 0; i < n; i++)
            if (zs[i].pending && (best == NULL || zs[i].key < best->key))
                best = &zs[i];
        if (best == NULL)
            break;
        ls->file = best->r.path;
        ls->line_no = best->line_no;
        ls->arena.len = 0;
        bool hdr;
        ls->zeek->cur = best;
        if (row(ls, best, best->line, best->len, &hdr) && !hdr)
            dispatch(ls, best);
        if (zfile_next(ls, best, errbuf, errlen) < 0)
            err = TA_ERR_IO;
    }
    for (size_t i = 0; i < opened; i++)
        ta__ls_lines_close(&zs[i].r);
    free(zs);
    ls->zeek->cur = &ls->zeek->one;
    return err;
}
