/*
 * Web-server access logs as observations (threatatlas/logsrc.h): each line
 * an HTTP transaction (client, server name, method, URL, status, sizes, user
 * agent) on a flow of its own from the client to the server.
 *
 * Formats: nginx log_format strings (literal text and $variables), with
 * Apache/nginx "combined" and "common" as built-in ones; IIS W3C extended
 * logs through their #Fields header. Bodies are never in a log: what needs
 * them (webshell payloads, phishing pages) is not seen from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source-log-int.h"
#include "threatatlas/flow.h"
#include "threatatlas/proto.h"

#include "common/banned.h"

enum wvar {
    W_SKIP = 0,
    W_REMOTE_ADDR,
    W_REMOTE_PORT,
    W_SERVER_ADDR,
    W_SERVER_PORT,
    W_HOST,
    W_TIME_LOCAL,
    W_TIME_ISO,
    W_MSEC,
    W_REQUEST,
    W_METHOD,
    W_URI,      /* path and query */
    W_URI_STEM, /* IIS: path */
    W_QUERY,    /* IIS: query */
    W_PROTOCOL,
    W_STATUS,
    W_BODY_BYTES,
    W_REQ_LEN,
    W_REFERER,
    W_USER_AGENT,
    W_DATE, /* IIS */
    W_TIME, /* IIS */
    W__COUNT
};

static const struct {
    const char *name;
    enum wvar v;
} nginx_vars[] = {
    {"remote_addr", W_REMOTE_ADDR},
    {"binary_remote_addr", W_SKIP},
    {"remote_port", W_REMOTE_PORT},
    {"server_addr", W_SERVER_ADDR},
    {"server_port", W_SERVER_PORT},
    {"host", W_HOST},
    {"http_host", W_HOST},
    {"server_name", W_HOST},
    {"time_local", W_TIME_LOCAL},
    {"time_iso8601", W_TIME_ISO},
    {"msec", W_MSEC},
    {"request", W_REQUEST},
    {"request_method", W_METHOD},
    {"request_uri", W_URI},
    {"uri", W_URI_STEM},
    {"args", W_QUERY},
    {"query_string", W_QUERY},
    {"server_protocol", W_PROTOCOL},
    {"status", W_STATUS},
    {"body_bytes_sent", W_BODY_BYTES},
    {"bytes_sent", W_BODY_BYTES},
    {"request_length", W_REQ_LEN},
    {"http_referer", W_REFERER},
    {"http_user_agent", W_USER_AGENT},
};

static const struct {
    const char *name;
    enum wvar v;
} iis_fields[] = {
    {"date", W_DATE},
    {"time", W_TIME},
    {"c-ip", W_REMOTE_ADDR},
    {"c-port", W_REMOTE_PORT},
    {"s-ip", W_SERVER_ADDR},
    {"s-port", W_SERVER_PORT},
    {"cs-host", W_HOST},
    {"cs-method", W_METHOD},
    {"cs-uri-stem", W_URI_STEM},
    {"cs-uri-query", W_QUERY},
    {"cs-version", W_PROTOCOL},
    {"sc-status", W_STATUS},
    {"sc-bytes", W_BODY_BYTES},
    {"cs-bytes", W_REQ_LEN},
    {"cs(Referer)", W_REFERER},
    {"cs(User-Agent)", W_USER_AGENT},
};

#define W_MAX_TOKS 64

/* A compiled format: literal text and variables, alternating as written. */
struct wfmt {
    uint32_t n;
    struct {
        bool lit;
        enum wvar v;
        char *text; /* literal */
        size_t len;
    } t[W_MAX_TOKS];
};

#define W_MAX_IIS 64

struct ls_web {
    bool auto_fmt;
    struct wfmt combined, common, user;
    bool have_user;
    /* IIS */
    bool iis;
    uint16_t iis_n;
    enum wvar iis_col[W_MAX_IIS];
    struct ta_addr server;
    bool have_server;
    struct ta_str v[W__COUNT];
};

static const char *const fmt_combined = "$remote_addr $remote_ident $remote_user [$time_local] "
                                        "\"$request\" $status $body_bytes_sent \"$http_referer\" "
                                        "\"$http_user_agent\"";
static const char *const fmt_common =
    "$remote_addr $remote_ident $remote_user [$time_local] \"$request\" $status $body_bytes_sent";

static void fmt_free(struct wfmt *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        free(f->t[i].text);
    f->n = 0;
}

static bool var_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Compile an nginx log_format; false with a reason. */
static bool fmt_compile(struct wfmt *f, const char *s, char *errbuf, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    size_t i = 0, n = strlen(s);
    while (i < n) {
        if (f->n == W_MAX_TOKS) {
            snprintf(errbuf, errlen, "log format: more than %d parts", W_MAX_TOKS);
            return false;
        }
        if (s[i] == '$') {
            size_t b = ++i;
            bool brace = i < n && s[i] == '{';
            if (brace)
                b = ++i;
            while (i < n && var_char(s[i]))
                i++;
            size_t vn = i - b;
            if (brace) {
                if (i >= n || s[i] != '}') {
                    snprintf(errbuf, errlen, "log format: unclosed ${ at offset %zu", b - 2);
                    return false;
                }
                i++;
            }
            if (vn == 0) {
                snprintf(errbuf, errlen, "log format: $ without a name at offset %zu", b - 1);
                return false;
            }
            if (f->n > 0 && !f->t[f->n - 1].lit) {
                snprintf(errbuf, errlen,
                         "log format: two variables with nothing between them at offset %zu",
                         b - 1);
                return false;
            }
            f->t[f->n].lit = false;
            f->t[f->n].v = W_SKIP;
            for (size_t k = 0; k < sizeof(nginx_vars) / sizeof(nginx_vars[0]); k++)
                if (strlen(nginx_vars[k].name) == vn && memcmp(nginx_vars[k].name, s + b, vn) == 0)
                    f->t[f->n].v = nginx_vars[k].v;
            f->n++;
            continue;
        }
        size_t b = i;
        while (i < n && s[i] != '$')
            i++;
        f->t[f->n].lit = true;
        f->t[f->n].text = strndup(s + b, i - b);
        f->t[f->n].len = i - b;
        if (f->t[f->n].text == NULL) {
            snprintf(errbuf, errlen, "out of memory");
            return false;
        }
        f->n++;
    }
    if (f->n == 0) {
        snprintf(errbuf, errlen, "log format: empty");
        return false;
    }
    return true;
}

ta_err ta__web_new(struct ta_logsrc *ls, char *errbuf, size_t errlen)
{
    struct ls_web *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return TA_ERR_NOMEM;
    ls->web = w;
    if (!fmt_compile(&w->combined, fmt_combined, errbuf, errlen) ||
        !fmt_compile(&w->common, fmt_common, errbuf, errlen))
        return TA_ERR_NOMEM;
    const char *f = ls->o.access_format;
    if (f == NULL || strcmp(f, "auto") == 0) {
        w->auto_fmt = true;
    } else if (strcmp(f, "combined") == 0 || strcmp(f, "common") == 0) {
        w->have_user = true;
        fmt_compile(&w->user, strcmp(f, "combined") == 0 ? fmt_combined : fmt_common, errbuf,
                    errlen);
    } else if (strcmp(f, "iis") == 0) {
        /* The #Fields header says the columns. */
    } else {
        if (!fmt_compile(&w->user, f, errbuf, errlen))
            return TA_ERR_ARG;
        w->have_user = true;
    }
    if (ls->o.server_addr != NULL) {
        if (!ta_addr_parse(&w->server, ls->o.server_addr)) {
            snprintf(errbuf, errlen, "server address %s is not an IP address", ls->o.server_addr);
            return TA_ERR_ARG;
        }
        w->have_server = true;
    }
    return TA_OK;
}

void ta__web_free(struct ta_logsrc *ls)
{
    if (ls->web == NULL)
        return;
    fmt_free(&ls->web->combined);
    fmt_free(&ls->web->common);
    fmt_free(&ls->web->user);
    free(ls->web);
    ls->web = NULL;
}

void ta__web_begin(struct ta_logsrc *ls)
{
    ls->web->iis = false;
    ls->web->iis_n = 0;
}

/* ---- matching ------------------------------------------------------------------------- */

static void set(struct ls_web *w, enum wvar v, const char *p, size_t n)
{
    if (v == W_SKIP)
        return;
    /* "-" is nginx's and Apache's absent value. */
    if (n == 0 || (n == 1 && p[0] == '-'))
        return;
    w->v[v].ptr = p;
    w->v[v].len = (uint32_t)n;
}

/* Where literal lit occurs from i on; inside quotes, a quote escaped by a backslash
 * is not the end. */
static const char *find_lit(const char *s, size_t i, size_t len, const char *lit, size_t ln,
                            bool quoted)
{
    while (i < len) {
        const char *p = memchr(s + i, lit[0], len - i);
        if (p == NULL)
            return NULL;
        size_t at = (size_t)(p - s);
        if (len - at >= ln && memcmp(p, lit, ln) == 0) {
            size_t bs = 0;
            while (quoted && at - bs > 0 && s[at - bs - 1] == '\\')
                bs++;
            if (bs % 2 == 0)
                return p;
        }
        i = at + 1;
    }
    return NULL;
}

static bool match(struct ls_web *w, const struct wfmt *f, const char *s, size_t len)
{
    memset(w->v, 0, sizeof(w->v));
    size_t i = 0;
    for (uint32_t k = 0; k < f->n; k++) {
        if (f->t[k].lit) {
            if (len - i < f->t[k].len || memcmp(s + i, f->t[k].text, f->t[k].len) != 0)
                return false;
            i += f->t[k].len;
            continue;
        }
        if (k + 1 == f->n) {
            set(w, f->t[k].v, s + i, len - i);
            i = len;
            break;
        }
        const char *nl = f->t[k + 1].text;
        size_t nn = f->t[k + 1].len;
        bool quoted = k > 0 && f->t[k - 1].len > 0 &&
                      f->t[k - 1].text[f->t[k - 1].len - 1] == '"' && nl[0] == '"';
        const char *e = find_lit(s, i, len, nl, nn, quoted);
        /* The last literal of the format ends the line: take its last occurrence. */
        if (e != NULL && k + 2 == f->n) {
            if (len < nn || memcmp(s + len - nn, nl, nn) != 0)
                return false;
            e = s + len - nn;
        }
        if (e == NULL)
            return false;
        set(w, f->t[k].v, s + i, (size_t)(e - s) - i);
        i = (size_t)(e - s);
    }
    return i == len;
}

static int month_of(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, m, 3) == 0)
            return i + 1;
    return 0;
}

/* "25/Oct/2015:04:11:25 +0100" */
static bool time_local(const struct ta_str *v, ta_time_us *out)
{
    const char *s = v->ptr;
    if (s == NULL || v->len != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[20] != ' ')
        return false;
    int mo = month_of(s + 3);
    if (mo == 0)
        return false;
    char iso[48];
    snprintf(iso, sizeof(iso), "%.4s-%02d-%.2sT%.8s%.5s", s + 7, mo % 100, s, s + 12, s + 21);
    return ta__ls_time_iso(iso, strlen(iso), out);
}

static bool port_of(const struct ta_str *v, uint16_t *out)
{
    uint64_t x;
    if (v->ptr == NULL || !ta__ls_u64(v->ptr, v->len, &x) || x > 65535)
        return false;
    *out = (uint16_t)x;
    return true;
}

/* Deliver the matched line: a transaction on a flow of its own. */
static bool deliver(struct ta_logsrc *ls, bool iis)
{
    struct ls_web *w = ls->web;
    struct ta_str *v = w->v;
    ta_time_us ts;
    if (iis) {
        char b[40];
        if (v[W_DATE].ptr == NULL || v[W_TIME].ptr == NULL || v[W_DATE].len != 10 ||
            v[W_TIME].len > 12)
            return false;
        int n =
            snprintf(b, sizeof(b), "%.10sT%.*sZ", v[W_DATE].ptr, (int)v[W_TIME].len, v[W_TIME].ptr);
        if (n <= 0 || !ta__ls_time_iso(b, (size_t)n, &ts))
            return false;
    } else if (v[W_TIME_LOCAL].ptr != NULL) {
        if (!time_local(&v[W_TIME_LOCAL], &ts))
            return false;
    } else if (v[W_TIME_ISO].ptr != NULL) {
        if (!ta__ls_time_iso(v[W_TIME_ISO].ptr, v[W_TIME_ISO].len, &ts))
            return false;
    } else if (v[W_MSEC].ptr != NULL) {
        if (!ta__ls_time_epoch(v[W_MSEC].ptr, v[W_MSEC].len, &ts))
            return false;
    } else {
        return false;
    }
    struct ta_flow f;
    memset(&f, 0, sizeof(f));
    if (v[W_REMOTE_ADDR].ptr == NULL ||
        !ta__ls_addr(v[W_REMOTE_ADDR].ptr, v[W_REMOTE_ADDR].len, &f.src))
        return false;
    if (v[W_SERVER_ADDR].ptr != NULL) {
        if (!ta__ls_addr(v[W_SERVER_ADDR].ptr, v[W_SERVER_ADDR].len, &f.dst))
            return false;
    } else if (w->have_server) {
        f.dst = w->server;
    } else {
        /* Unknown: the unspecified address of the client's family. */
        static const uint8_t zero[16];
        if (ta_addr_is_v4(&f.src))
            ta_addr_set_v4(&f.dst, zero);
        else
            ta_addr_set_v6(&f.dst, zero);
    }
    f.dp = ls->o.server_port;
    if (v[W_SERVER_PORT].ptr != NULL && !port_of(&v[W_SERVER_PORT], &f.dp))
        return false;
    if (v[W_REMOTE_PORT].ptr != NULL && !port_of(&v[W_REMOTE_PORT], &f.sp))
        return false;
    f.proto = 6;
    f.ip_version = ta_addr_is_v4(&f.src) ? 4 : 6;
    f.start = f.last = ts;
    f.app_proto = TA_APP_HTTP;
    f.state = TA_FLOW_STATE_CLOSED;
    f.tcp_flags_ts = TA_TCP_SYN | TA_TCP_ACK | TA_TCP_PSH | TA_TCP_FIN;
    f.tcp_flags_tc = TA_TCP_SYN | TA_TCP_ACK | TA_TCP_PSH | TA_TCP_FIN;
    f.tcp_state = TA_TCP_STATE_CLOSED;
    f.pkts_toserver = f.pkts_toclient = 1;

    struct ta_http_tx tx;
    memset(&tx, 0, sizeof(tx));
    tx.ts = ts;
    tx.http_port = -1;
    uint64_t x;
    if (v[W_STATUS].ptr != NULL) {
        if (!ta__ls_u64(v[W_STATUS].ptr, v[W_STATUS].len, &x) || x > 999)
            return false;
        tx.has_response = true;
        tx.status = (uint16_t)x;
    }
    if (v[W_BODY_BYTES].ptr != NULL) {
        if (!ta__ls_u64(v[W_BODY_BYTES].ptr, v[W_BODY_BYTES].len, &x))
            return false;
        tx.response_body_len = x;
        f.bytes_toclient = x;
    }
    if (v[W_REQ_LEN].ptr != NULL && ta__ls_u64(v[W_REQ_LEN].ptr, v[W_REQ_LEN].len, &x))
        f.bytes_toserver = x;
    struct ls_arena *a = &ls->arena;
    if (v[W_REQUEST].ptr != NULL) {
        /* "GET /path HTTP/1.1"; anything else (a scanner's bytes) is a request
         * without a method, still a line of the log. */
        const char *r = v[W_REQUEST].ptr;
        size_t rn = v[W_REQUEST].len;
        const char *sp1 = memchr(r, ' ', rn);
        const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', rn - (size_t)(sp1 + 1 - r)) : NULL;
        if (sp1 != NULL) {
            tx.method = ta__ls_copy(a, r, (size_t)(sp1 - r));
            size_t un = (size_t)((sp2 != NULL ? sp2 : r + rn) - (sp1 + 1));
            tx.url = ta__ls_copy(a, sp1 + 1, un);
            if (sp2 != NULL)
                tx.protocol = ta__ls_copy(a, sp2 + 1, rn - (size_t)(sp2 + 1 - r));
        } else {
            tx.url = ta__ls_copy(a, r, rn);
        }
    }
    if (v[W_METHOD].ptr != NULL)
        tx.method = ta__ls_copy(a, v[W_METHOD].ptr, v[W_METHOD].len);
    if (v[W_URI].ptr != NULL)
        tx.url = ta__ls_copy(a, v[W_URI].ptr, v[W_URI].len);
    else if (v[W_URI_STEM].ptr != NULL) {
        char *u = malloc((size_t)v[W_URI_STEM].len + v[W_QUERY].len + 2);
        if (u != NULL) {
            size_t n = v[W_URI_STEM].len;
            memcpy(u, v[W_URI_STEM].ptr, n);
            if (v[W_QUERY].ptr != NULL) {
                u[n++] = '?';
                memcpy(u + n, v[W_QUERY].ptr, v[W_QUERY].len);
                n += v[W_QUERY].len;
            }
            tx.url = ta__ls_copy(a, u, n);
            free(u);
        }
    }
    if (v[W_PROTOCOL].ptr != NULL)
        tx.protocol = ta__ls_copy(a, v[W_PROTOCOL].ptr, v[W_PROTOCOL].len);
    tx.has_request = tx.method.ptr != NULL;
    tx.resp_protocol = tx.protocol;
    if (v[W_HOST].ptr != NULL) {
        tx.hostname = ta__ls_copy(a, v[W_HOST].ptr, v[W_HOST].len);
        char *h = (char *)tx.hostname.ptr;
        if (h != NULL) {
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
    }
    /* IIS writes spaces in the user agent as '+'. */
    if (v[W_USER_AGENT].ptr != NULL) {
        tx.user_agent = ta__ls_copy(a, v[W_USER_AGENT].ptr, v[W_USER_AGENT].len);
        if (iis && tx.user_agent.ptr != NULL)
            for (char *p = (char *)tx.user_agent.ptr; *p; p++)
                if (*p == '+')
                    *p = ' ';
    }
    if (v[W_REFERER].ptr != NULL)
        tx.referer = ta__ls_copy(a, v[W_REFERER].ptr, v[W_REFERER].len);
    f.id = ta_flow_id_of(&f);
    ta__ls_record(ls, &f, TA_REC_HTTP, &tx);
    ta__ls_flow(ls, &f);
    return true;
}

static bool iis_header(struct ls_web *w, const char *s, size_t len)
{
    w->iis = true;
    w->iis_n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == ' ')
            i++;
        size_t b = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i == b)
            break;
        if (w->iis_n == W_MAX_IIS)
            return false;
        enum wvar v = W_SKIP;
        for (size_t k = 0; k < sizeof(iis_fields) / sizeof(iis_fields[0]); k++)
            if (strlen(iis_fields[k].name) == i - b &&
                memcmp(iis_fields[k].name, s + b, i - b) == 0)
                v = iis_fields[k].v;
        w->iis_col[w->iis_n++] = v;
    }
    return w->iis_n > 0;
}

static bool iis_line(struct ls_web *w, const char *s, size_t len)
{
    memset(w->v, 0, sizeof(w->v));
    size_t i = 0;
    uint16_t c = 0;
    while (i <= len) {
        size_t b = i;
        while (i < len && s[i] != ' ')
            i++;
        if (c >= w->iis_n)
            return false;
        set(w, w->iis_col[c], s + b, i - b);
        c++;
        if (i >= len)
            break;
        i++;
    }
    return c == w->iis_n;
}

void ta__web_line(struct ta_logsrc *ls, const char *line, size_t len)
{
    struct ls_web *w = ls->web;
    if (len == 0) {
        ls->st.headers++;
        return;
    }
    if (line[0] == '#') {
        ls->st.headers++;
        if (len > 8 && memcmp(line, "#Fields:", 8) == 0 && !iis_header(w, line + 8, len - 8))
            ta__ls_reject(ls);
        return;
    }
    bool ok;
    if (w->iis)
        ok = iis_line(w, line, len) && deliver(ls, true);
    else if (w->have_user)
        ok = match(w, &w->user, line, len) && deliver(ls, false);
    else
        ok = (match(w, &w->combined, line, len) && deliver(ls, false)) ||
             (match(w, &w->common, line, len) && deliver(ls, false));
    if (!ok)
        ta__ls_reject(ls);
}
