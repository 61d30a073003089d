/*
 * HTTP/1.x: request and response stream parsers, one per direction, that
 * pair messages into transactions (struct ta_http_tx).
 *
 * Each direction is a state machine fed by reassembled stream data:
 * HEADERS (the header block is collected in a capped buffer up to the empty
 * line, then parsed at once, which handles obsolete line folding) -> BODY
 * (Content-Length, chunked, or until close for responses) -> HEADERS.
 * Requests are queued; responses are paired with the oldest request still
 * waiting (pipelining), 1xx interim responses are skipped (100-continue), a
 * response with no request waiting is a transaction of its own (midstream).
 * Bodies are de-chunked and, when Content-Encoding says gzip or deflate,
 * inflated with zlib; the first http_body_limit bytes are kept. After a gap
 * the direction resynchronises at the next data that starts a message.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "proto/proto-int.h"

#include "common/urlhost.h"

#include "common/banned.h"

enum { ST_HEADERS = 0, ST_BODY, ST_STOPPED, ST_RESYNC, ST_TUNNEL };
enum { BM_NONE = 0, BM_LENGTH, BM_CHUNKED, BM_CLOSE };
enum { CK_SIZE = 0, CK_DATA, CK_DATA_END, CK_TRAILER };
enum { CE_IDENTITY = 0, CE_GZIP, CE_DEFLATE };

struct htx {
    struct htx *next;
    struct ta_http_tx pub;
    struct ta__arena ar;
    uint8_t *body[2];
    uint32_t body_cap[2];
    bool req_done, resp_started, resp_done, head;
};

struct hdir {
    int state;
    uint8_t *hbuf;
    uint32_t hlen, hcap;
    int bm;        /* body mode */
    uint64_t left; /* BM_LENGTH / CK_DATA bytes left */
    int ck;        /* chunk sub-state */
    char cline[64];
    uint32_t clen;
    bool cline_over;
    struct htx *cur; /* transaction whose body this is */
    int ce;          /* content coding */
    z_stream z;
    bool z_init, z_failed, z_raw_tried;
};

struct ta__http {
    struct ta_proto *p;
    struct hdir d[2];
    struct htx *head, *tail;
    uint32_t pending;
    uint64_t next_tx;
};

void ta__http_pool_init(struct ta_proto *p)
{
    ta_pool_init(&p->pool_http, sizeof(struct ta__http), 0, 256);
}

struct ta__http *ta__http_new(struct ta_proto *p)
{
    struct ta__http *h = ta__app_pool_get(p, &p->pool_http);
    if (h != NULL) {
        memset(h, 0, sizeof(*h));
        h->p = p;
    }
    return h;
}

/* zlib's state and window, charged to app_memcap: each block records its size. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    size_t n = (size_t)items * size + 16;
    uint8_t *b = ta__app_malloc(opaque, n);
    if (b == NULL)
        return Z_NULL;
    memcpy(b, &n, sizeof(n));
    return b + 16;
}

static void z_free(voidpf opaque, voidpf x)
{
    if (x == NULL)
        return;
    uint8_t *b = (uint8_t *)x - 16;
    size_t n;
    memcpy(&n, b, sizeof(n));
    ta__app_free(opaque, b, n);
}

static void z_end(struct hdir *d)
{
    if (d->z_init)
        inflateEnd(&d->z);
    d->z_init = false;
}

static void tx_free(struct ta_proto *p, struct htx *t)
{
    ta__arena_release(&t->ar);
    ta__app_free(p, t->body[0], t->body_cap[0]);
    ta__app_free(p, t->body[1], t->body_cap[1]);
    ta__app_free(p, t, sizeof(*t));
}

/*
 * Finished transactions go back to a small pool in the ta_proto with their
 * arena block and body buffers (up to POOL_BODY_MAX each), so that a busy
 * HTTP stream does not malloc and free them for every transaction.
 */
#define POOL_BODY_MAX 65536u

static void tx_recycle(struct ta_proto *p, struct htx *t)
{
    size_t n = sizeof(p->http_spare) / sizeof(p->http_spare[0]);
    if (p->n_http_spare >= n) {
        tx_free(p, t);
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (t->body_cap[i] > POOL_BODY_MAX) {
            ta__app_free(p, t->body[i], t->body_cap[i]);
            t->body[i] = NULL;
            t->body_cap[i] = 0;
        }
    }
    ta__arena_reset(&t->ar);
    p->http_spare[p->n_http_spare++] = t;
}

/* A zeroed transaction, reusing a pooled one's buffers when there is one. */
static struct htx *tx_alloc(struct ta_proto *p)
{
    if (p->n_http_spare == 0)
        return ta__app_calloc(p, sizeof(struct htx));
    struct htx *t = p->http_spare[--p->n_http_spare];
    struct ta__arena ar = t->ar;
    uint8_t *body[2] = {t->body[0], t->body[1]};
    uint32_t cap[2] = {t->body_cap[0], t->body_cap[1]};
    memset(t, 0, sizeof(*t));
    t->ar = ar;
    for (int i = 0; i < 2; i++) {
        t->body[i] = body[i];
        t->body_cap[i] = cap[i];
    }
    return t;
}

void ta__http_pool_release(struct ta_proto *p)
{
    while (p->n_http_spare > 0)
        tx_free(p, p->http_spare[--p->n_http_spare]);
}

void ta__http_free(struct ta__http *h)
{
    if (h == NULL)
        return;
    for (int i = 0; i < 2; i++) {
        ta__app_free(h->p, h->d[i].hbuf, h->d[i].hcap);
        z_end(&h->d[i]);
    }
    struct htx *t = h->head;
    while (t != NULL) {
        struct htx *n = t->next;
        tx_recycle(h->p, t);
        t = n;
    }
    ta__app_pool_put(h->p, &h->p->pool_http, h);
}

/* ----- probes ----- */

static const char *const methods[] = {
    "GET",    "POST",     "HEAD",      "PUT",    "DELETE",   "OPTIONS",    "CONNECT", "TRACE",
    "PATCH",  "PROPFIND", "PROPPATCH", "MKCOL",  "COPY",     "MOVE",       "LOCK",    "UNLOCK",
    "SEARCH", "REPORT",   "SUBSCRIBE", "NOTIFY", "M-SEARCH", "UNSUBSCRIBE"};

bool ta__http_probe_request(const uint8_t *d, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t n = strlen(methods[i]);
        if (len > n && memcmp(d, methods[i], n) == 0 && d[n] == ' ')
            return true;
    }
    return false;
}

bool ta__http_probe_response(const uint8_t *d, size_t len)
{
    return len >= 8 && memcmp(d, "HTTP/", 5) == 0 && d[5] >= '0' && d[5] <= '9' && d[6] == '.';
}

/* ----- helpers ----- */

static bool ieq(const uint8_t *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        if (c != (uint8_t)lit[i])
            return false;
    }
    return true;
}

/* Case-insensitive search for token lit in [a, a+n). */
static bool icontains(const uint8_t *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (ieq(a + i, m, lit))
            return true;
    return false;
}

static void trim(const uint8_t **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

static bool parse_u64(const uint8_t *s, size_t n, uint64_t *out)
{
    trim(&s, &n);
    if (n == 0 || n > 19)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static struct ta_str sstr(struct ta__http *h, struct htx *t, const uint8_t *s, size_t n)
{
    return ta__str_safe(h->p, &t->ar, s, n, h->p->o.http_max_header_line);
}

static struct htx *tx_new(struct ta__http *h)
{
    struct htx *t = tx_alloc(h->p);
    if (t == NULL) {
        h->p->c[TA_PC_APP_NOMEM]++;
        return NULL;
    }
    size_t cap = (size_t)h->p->o.http_max_header_bytes * 4 +
                 (size_t)h->p->o.http_max_headers * 2 * sizeof(struct ta_http_header) + 4096;
    /* max only: a recycled arena keeps its block. */
    if (t->ar.head == NULL) {
        ta__arena_init(&t->ar, cap);
        t->ar.acct = h->p;
    } else
        t->ar.max = cap;
    t->pub.tx_id = h->next_tx++;
    t->pub.http_port = -1;
    if (h->tail != NULL)
        h->tail->next = t;
    else
        h->head = t;
    h->tail = t;
    h->pending++;
    return t;
}

/* Unlink and emit the head transaction. */
static void emit_head(struct ta__http *h, const struct ta__emit *em)
{
    struct htx *t = h->head;
    if (t == NULL)
        return;
    h->head = t->next;
    if (h->head == NULL)
        h->tail = NULL;
    h->pending--;
    for (int i = 0; i < 2; i++)
        if (h->d[i].cur == t)
            h->d[i].cur = NULL;
    t->pub.ts = em->ts;
    /* NULL when nothing was kept (a recycled transaction may hold an old buffer). */
    t->pub.req_body = t->pub.req_body_kept > 0 ? t->body[0] : NULL;
    t->pub.resp_body = t->pub.resp_body_kept > 0 ? t->body[1] : NULL;
    h->p->c[TA_PC_HTTP_TX]++;
    if (em->sink != NULL && em->sink->on_record != NULL)
        em->sink->on_record(em->sink->ud, em->f, TA_REC_HTTP, &t->pub);
    tx_recycle(h->p, t);
}

/* Emit finished transactions from the head of the queue, in order. */
static void emit_done(struct ta__http *h, const struct ta__emit *em)
{
    while (h->head != NULL && h->head->resp_done && h->head->req_done)
        emit_head(h, em);
}

/* ----- bodies ----- */

static void body_keep(struct ta__http *h, struct htx *t, int dir, const uint8_t *d, size_t n)
{
    uint32_t limit = h->p->o.http_body_limit;
    uint32_t *kept = dir == 0 ? &t->pub.req_body_kept : &t->pub.resp_body_kept;
    bool *trunc = dir == 0 ? &t->pub.req_body_truncated : &t->pub.resp_body_truncated;
    if (n == 0)
        return;
    if (*kept >= limit) {
        if (!*trunc)
            h->p->c[TA_PC_HTTP_BODY_TRUNCATED]++;
        *trunc = true;
        return;
    }
    size_t room = limit - *kept;
    if (n > room) {
        n = room;
        if (!*trunc)
            h->p->c[TA_PC_HTTP_BODY_TRUNCATED]++;
        *trunc = true;
    }
    if (*kept + n > t->body_cap[dir]) {
        size_t nc = t->body_cap[dir] ? t->body_cap[dir] : 4096;
        while (nc < *kept + n)
            nc *= 2;
        if (nc > limit)
            nc = limit;
        uint8_t *nb = ta__app_realloc(h->p, t->body[dir], t->body_cap[dir], nc);
        if (nb == NULL) {
            h->p->c[TA_PC_APP_NOMEM]++;
            return;
        }
        t->body[dir] = nb;
        t->body_cap[dir] = (uint32_t)nc;
    }
    memcpy(t->body[dir] + *kept, d, n);
    *kept += (uint32_t)n;
}

static void body_data(struct ta__http *h, struct hdir *d, int dir, const uint8_t *p, size_t n)
{
    struct htx *t = d->cur;
    if (t == NULL || n == 0 || !h->p->o.http_keep_bodies)
        return;
    if (d->ce == CE_IDENTITY || !h->p->o.http_decompress || d->z_failed) {
        if (d->ce == CE_IDENTITY || !h->p->o.http_decompress)
            body_keep(h, t, dir, p, n);
        return;
    }
    uint32_t *kept = dir == 0 ? &t->pub.req_body_kept : &t->pub.resp_body_kept;
    if (*kept >= h->p->o.http_body_limit) {
        body_keep(h, t, dir, p, 0);
        return;
    }
    if (!d->z_init) {
        memset(&d->z, 0, sizeof(d->z));
        d->z.zalloc = z_alloc;
        d->z.zfree = z_free;
        d->z.opaque = h->p;
        /* 15+32: zlib or gzip header, detected; raw deflate is tried on error. */
        if (inflateInit2(&d->z, 15 + 32) != Z_OK) {
            d->z_failed = true;
            return;
        }
        d->z_init = true;
    }
    uint8_t out[16384];
    d->z.next_in = (Bytef *)(uintptr_t)p;
    d->z.avail_in = (uInt)n;
    while (d->z.avail_in > 0 && *kept < h->p->o.http_body_limit) {
        d->z.next_out = out;
        d->z.avail_out = sizeof(out);
        uLong before_in = d->z.total_in;
        int rc = inflate(&d->z, Z_NO_FLUSH);
        size_t got = sizeof(out) - d->z.avail_out;
        body_keep(h, t, dir, out, got);
        if (rc == Z_DATA_ERROR && d->ce == CE_DEFLATE && !d->z_raw_tried && before_in == 0) {
            /* "deflate" without the zlib wrapper, as some servers send it. */
            d->z_raw_tried = true;
            inflateEnd(&d->z);
            memset(&d->z, 0, sizeof(d->z));
            d->z.zalloc = z_alloc;
            d->z.zfree = z_free;
            d->z.opaque = h->p;
            if (inflateInit2(&d->z, -15) != Z_OK) {
                d->z_init = false;
                d->z_failed = true;
                return;
            }
            d->z.next_in = (Bytef *)(uintptr_t)p;
            d->z.avail_in = (uInt)n;
            continue;
        }
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            d->z_failed = true;
            t->pub.resp_body_decode_error = dir == 1 ? true : t->pub.resp_body_decode_error;
            h->p->c[TA_PC_HTTP_DECODE_ERRORS]++;
            break;
        }
        if (rc == Z_BUF_ERROR && got == 0)
            break;
    }
}

/* End of a message body: reset coding state, mark the side done. */
static void message_done(struct ta__http *h, struct hdir *d, int dir, const struct ta__emit *em)
{
    z_end(d);
    d->z_failed = d->z_raw_tried = false;
    d->state = ST_HEADERS;
    d->bm = BM_NONE;
    struct htx *t = d->cur;
    d->cur = NULL;
    if (t != NULL) {
        if (dir == 0)
            t->req_done = true;
        else
            t->resp_done = true;
    }
    emit_done(h, em);
}

/* ----- header block ----- */

struct hfields {
    uint64_t clen;
    bool has_clen, chunked, conn_close, upgrade;
    int ce;
};

static void header_seen(struct ta__http *h, struct htx *t, int dir, const uint8_t *name, size_t nl,
                        const uint8_t *val, size_t vl, struct hfields *hf,
                        struct ta_http_header *arr, uint32_t *na)
{
    trim(&val, &vl);
    trim(&name, &nl);
    if (ieq(name, nl, "content-length")) {
        uint64_t v;
        if (!hf->has_clen && parse_u64(val, vl, &v)) {
            hf->clen = v;
            hf->has_clen = true;
        }
    } else if (ieq(name, nl, "transfer-encoding")) {
        if (icontains(val, vl, "chunked"))
            hf->chunked = true;
    } else if (ieq(name, nl, "content-encoding")) {
        if (icontains(val, vl, "gzip"))
            hf->ce = CE_GZIP;
        else if (icontains(val, vl, "deflate"))
            hf->ce = CE_DEFLATE;
    } else if (ieq(name, nl, "connection")) {
        if (icontains(val, vl, "close"))
            hf->conn_close = true;
        if (icontains(val, vl, "upgrade"))
            hf->upgrade = true;
    }
    if (dir == 0) {
        if (ieq(name, nl, "host") && t->pub.hostname.ptr == NULL) {
            /* Host: name[:port]; an IPv6 literal keeps its brackets. */
            size_t hl = vl;
            const uint8_t *colon = NULL;
            for (size_t i = vl; i > 0; i--) {
                if (val[i - 1] == ']')
                    break;
                if (val[i - 1] == ':') {
                    colon = val + i - 1;
                    break;
                }
            }
            if (colon != NULL) {
                uint64_t port;
                hl = (size_t)(colon - val);
                if (parse_u64(colon + 1, vl - hl - 1, &port) && port <= 65535)
                    t->pub.http_port = (int32_t)port;
            }
            char low[512];
            size_t n = hl < sizeof(low) ? hl : sizeof(low);
            for (size_t i = 0; i < n; i++)
                low[i] = (char)(val[i] >= 'A' && val[i] <= 'Z' ? val[i] + 32 : val[i]);
            t->pub.hostname = sstr(h, t, (const uint8_t *)low, n);
        } else if (ieq(name, nl, "user-agent") && t->pub.user_agent.ptr == NULL) {
            t->pub.user_agent = sstr(h, t, val, vl);
        } else if (ieq(name, nl, "referer") && t->pub.referer.ptr == NULL) {
            t->pub.referer = sstr(h, t, val, vl);
        }
    } else {
        if (ieq(name, nl, "content-type") && t->pub.content_type.ptr == NULL)
            t->pub.content_type = sstr(h, t, val, vl);
        else if (ieq(name, nl, "location") && t->pub.redirect.ptr == NULL)
            t->pub.redirect = sstr(h, t, val, vl);
    }
    if (arr != NULL) {
        if (*na < h->p->o.http_max_headers) {
            arr[*na].name = sstr(h, t, name, nl);
            arr[*na].value = sstr(h, t, val, vl);
            (*na)++;
        } else {
            h->p->c[TA_PC_HTTP_TOO_MANY_HEADERS]++;
        }
    }
}

/* Parse the header lines of block b (after the start line) into t. */
static void parse_headers(struct ta__http *h, struct htx *t, int dir, const uint8_t *b, size_t n,
                          struct hfields *hf)
{
    struct ta_http_header *arr = NULL;
    uint32_t na = 0;
    if (h->p->o.http_keep_headers)
        arr = ta__arena_alloc(&t->ar, sizeof(*arr) * h->p->o.http_max_headers);
    /* Folded values are rebuilt in this buffer, allocated at the first (rare) folded line. */
    uint32_t cap = h->p->o.http_max_header_line;
    uint8_t *fold = NULL;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && b[e] != '\n')
            e++;
        size_t ll = e - i;
        if (ll > 0 && b[i + ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break;
        const uint8_t *line = b + i;
        i = e < n ? e + 1 : n;
        const uint8_t *colon = memchr(line, ':', ll);
        if (colon == NULL) {
            h->p->c[TA_PC_HTTP_MALFORMED]++;
            continue;
        }
        size_t nl = (size_t)(colon - line);
        const uint8_t *val = colon + 1;
        size_t vl = ll - nl - 1;
        /* Continuation lines (obs-fold) start with SP or HT. */
        if (i < n && (b[i] == ' ' || b[i] == '\t')) {
            if (fold == NULL && (fold = malloc(cap)) == NULL) {
                h->p->c[TA_PC_APP_NOMEM]++;
                break;
            }
            size_t fl = vl < cap ? vl : cap;
            memcpy(fold, val, fl);
            while (i < n && (b[i] == ' ' || b[i] == '\t')) {
                size_t ce = i;
                while (ce < n && b[ce] != '\n')
                    ce++;
                const uint8_t *cv = b + i;
                size_t cl = ce - i;
                i = ce < n ? ce + 1 : n;
                trim(&cv, &cl);
                if (fl < cap)
                    fold[fl++] = ' ';
                size_t take = cl < cap - fl ? cl : cap - fl;
                memcpy(fold + fl, cv, take);
                fl += take;
                if (take < cl)
                    h->p->c[TA_PC_HTTP_LINE_TOO_LONG]++;
            }
            header_seen(h, t, dir, line, nl, fold, fl, hf, arr, &na);
        } else {
            if (ll > cap)
                h->p->c[TA_PC_HTTP_LINE_TOO_LONG]++;
            header_seen(h, t, dir, line, nl, val, vl, hf, arr, &na);
        }
    }
    free(fold);
    if (dir == 0) {
        t->pub.req_headers = arr;
        t->pub.n_req_headers = na;
    } else {
        t->pub.resp_headers = arr;
        t->pub.n_resp_headers = na;
    }
}

/*
 * Split the start line into three parts at spaces. For a request the third
 * part is the last token when it is "HTTP/..." and the URI is everything
 * between (some clients send unescaped spaces in the URI); otherwise the
 * URI is the rest of the line (HTTP/0.9).
 */
static size_t start_line(const uint8_t *b, size_t n, bool req, const uint8_t **p1, size_t *l1,
                         const uint8_t **p2, size_t *l2, const uint8_t **p3, size_t *l3)
{
    size_t e = 0;
    while (e < n && b[e] != '\n')
        e++;
    size_t ll = e;
    if (ll > 0 && b[ll - 1] == '\r')
        ll--;
    while (ll > 0 && b[ll - 1] == ' ')
        ll--;
    size_t i = 0;
    *p1 = b;
    while (i < ll && b[i] != ' ')
        i++;
    *l1 = i;
    while (i < ll && b[i] == ' ')
        i++;
    *p2 = b + i;
    size_t s2 = i;
    if (req) {
        size_t k = ll;
        while (k > s2 && b[k - 1] != ' ')
            k--;
        if (k > s2 && ll - k >= 5 && memcmp(b + k, "HTTP/", 5) == 0) {
            *p3 = b + k;
            *l3 = ll - k;
            while (k > s2 && b[k - 1] == ' ')
                k--;
            *l2 = k - s2;
        } else {
            *l2 = ll - s2;
            *p3 = b + ll;
            *l3 = 0;
        }
        return e < n ? e + 1 : n;
    }
    while (i < ll && b[i] != ' ')
        i++;
    *l2 = i - s2;
    while (i < ll && b[i] == ' ')
        i++;
    *p3 = b + i;
    *l3 = ll - i;
    return e < n ? e + 1 : n;
}

static void begin_body(struct ta__http *h, struct hdir *d, int dir, struct htx *t,
                       const struct hfields *hf, bool no_body, const struct ta__emit *em)
{
    d->cur = t;
    d->ce = hf->ce;
    d->ck = CK_SIZE;
    d->clen = 0;
    d->cline_over = false;
    if (no_body) {
        message_done(h, d, dir, em);
    } else if (hf->chunked) {
        d->bm = BM_CHUNKED;
        d->state = ST_BODY;
    } else if (hf->has_clen) {
        if (hf->clen == 0) {
            message_done(h, d, dir, em);
            return;
        }
        d->bm = BM_LENGTH;
        d->left = hf->clen;
        d->state = ST_BODY;
    } else if (dir == 1) {
        d->bm = BM_CLOSE;
        d->state = ST_BODY;
    } else {
        message_done(h, d, dir, em);
    }
}

/* A complete header block is in d->hbuf. */
static void headers_complete(struct ta__http *h, struct hdir *d, int dir, const struct ta__emit *em)
{
    const uint8_t *b = d->hbuf;
    size_t n = d->hlen;
    const uint8_t *p1, *p2, *p3;
    size_t l1, l2, l3;
    size_t hdr_off = start_line(b, n, dir == 0, &p1, &l1, &p2, &l2, &p3, &l3);
    struct hfields hf;
    memset(&hf, 0, sizeof(hf));
    if (dir == 0) {
        if (!ta__http_probe_request(b, n) || l2 == 0) {
            h->p->c[TA_PC_HTTP_MALFORMED]++;
            d->state = ST_RESYNC;
            return;
        }
        if (h->pending >= h->p->o.http_max_pending) {
            h->p->c[TA_PC_HTTP_PENDING_OVERFLOW]++;
            emit_head(h, em);
        }
        struct htx *t = tx_new(h);
        if (t == NULL) {
            d->state = ST_STOPPED;
            return;
        }
        h->p->c[TA_PC_HTTP_REQUESTS]++;
        t->pub.has_request = true;
        t->pub.method = sstr(h, t, p1, l1);
        t->pub.url = sstr(h, t, p2, l2);
        if (l3 > 0)
            t->pub.protocol = sstr(h, t, p3, l3);
        t->head = ieq(p1, l1, "head");
        /* Absolute URI: the authority names the host (RFC 7230 5.4). */
        struct ta_url_host u;
        if (l2 > 7 && (ieq(p2, 7, "http://") || (l2 > 8 && ieq(p2, 8, "https://"))) &&
            ta_url_host((const char *)p2, l2, &u)) {
            char low[TA_URL_HOST_MAX];
            ta_url_host_lower(u.host, u.len, low);
            t->pub.hostname = sstr(h, t, (const uint8_t *)low, u.len);
        }
        parse_headers(h, t, 0, b + hdr_off, n - hdr_off, &hf);
        bool connect = ieq(p1, l1, "connect");
        begin_body(h, d, 0, t, &hf, connect, em);
        if (connect)
            d->state = ST_TUNNEL; /* until the response says otherwise */
        return;
    }
    /* Response. */
    uint64_t status = 0;
    if (!ta__http_probe_response(b, n) || !parse_u64(p2, l2, &status) || status > 999) {
        h->p->c[TA_PC_HTTP_MALFORMED]++;
        d->state = ST_RESYNC;
        return;
    }
    if (status >= 100 && status < 200 && status != 101) {
        /* Interim response (100 Continue): the real one follows. */
        return;
    }
    struct htx *t = h->head;
    while (t != NULL && t->resp_started)
        t = t->next;
    if (t == NULL) {
        h->p->c[TA_PC_HTTP_RESP_WITHOUT_REQ]++;
        t = tx_new(h);
        if (t == NULL) {
            d->state = ST_STOPPED;
            return;
        }
        t->req_done = true;
    }
    h->p->c[TA_PC_HTTP_RESPONSES]++;
    t->resp_started = true;
    t->pub.has_response = true;
    t->pub.status = (uint16_t)status;
    t->pub.resp_protocol = sstr(h, t, p1, l1);
    parse_headers(h, t, 1, b + hdr_off, n - hdr_off, &hf);
    bool no_body = t->head || status == 204 || status == 304;
    bool tunnel = status == 101 || (status / 100 == 2 && t->pub.method.ptr != NULL &&
                                    strcmp(t->pub.method.ptr, "CONNECT") == 0);
    if (tunnel) {
        /* Upgraded or tunnelled: what follows is not HTTP/1. */
        t->req_done = true;
        begin_body(h, d, 1, t, &hf, true, em);
        h->d[0].state = ST_TUNNEL;
        h->d[1].state = ST_TUNNEL;
        return;
    }
    begin_body(h, d, 1, t, &hf, no_body, em);
}

/* Accumulate header bytes; returns bytes consumed. */
static size_t feed_headers(struct ta__http *h, struct hdir *d, int dir, const uint8_t *p, size_t n,
                           const struct ta__emit *em)
{
    size_t i = 0;
    if (d->hlen == 0) {
        /* Empty lines between messages are tolerated. */
        while (i < n && (p[i] == '\r' || p[i] == '\n'))
            i++;
        if (i == n)
            return n;
    }
    for (; i < n; i++) {
        if (d->hlen >= d->hcap) {
            /* Grow the header buffer by doubling, up to the cap. */
            uint32_t max = h->p->o.http_max_header_bytes;
            if (d->hcap >= max) {
                h->p->c[TA_PC_HTTP_LINE_TOO_LONG]++;
                d->hlen = 0;
                d->state = ST_RESYNC;
                return i;
            }
            uint32_t nc = d->hcap ? d->hcap * 2 : 1024;
            if (nc > max)
                nc = max;
            uint8_t *nb = ta__app_realloc(h->p, d->hbuf, d->hcap, nc);
            if (nb == NULL) {
                h->p->c[TA_PC_APP_NOMEM]++;
                d->state = ST_STOPPED;
                return n;
            }
            d->hbuf = nb;
            d->hcap = nc;
        }
        /* Copy up to and including the next LF in one go. */
        const uint8_t *lf = memchr(p + i, '\n', n - i);
        size_t want = lf ? (size_t)(lf - (p + i)) + 1 : n - i;
        size_t room = d->hcap - d->hlen;
        size_t k = want < room ? want : room;
        memcpy(d->hbuf + d->hlen, p + i, k);
        d->hlen += (uint32_t)k;
        i += k - 1;
        if (k < want || lf == NULL)
            continue;
        /* End of block: "\n\n" or "\n\r\n". */
        uint32_t l = d->hlen;
        if ((l >= 2 && d->hbuf[l - 2] == '\n') ||
            (l >= 3 && d->hbuf[l - 2] == '\r' && d->hbuf[l - 3] == '\n')) {
            headers_complete(h, d, dir, em);
            d->hlen = 0;
            return i + 1;
        }
    }
    return n;
}

/* Feed body bytes; returns bytes consumed. */
static size_t feed_body(struct ta__http *h, struct hdir *d, int dir, const uint8_t *p, size_t n,
                        const struct ta__emit *em)
{
    struct htx *t = d->cur;
    uint64_t *wire = t == NULL  ? NULL
                     : dir == 0 ? &t->pub.request_body_len
                                : &t->pub.response_body_len;
    if (d->bm == BM_CLOSE) {
        if (wire)
            *wire += n;
        body_data(h, d, dir, p, n);
        return n;
    }
    if (d->bm == BM_LENGTH) {
        size_t take = n < d->left ? n : (size_t)d->left;
        if (wire)
            *wire += take;
        body_data(h, d, dir, p, take);
        d->left -= take;
        if (d->left == 0)
            message_done(h, d, dir, em);
        return take;
    }
    /* Chunked. */
    size_t i = 0;
    while (i < n && d->state == ST_BODY) {
        if (d->ck == CK_DATA) {
            size_t take = n - i < d->left ? n - i : (size_t)d->left;
            if (wire)
                *wire += take;
            body_data(h, d, dir, p + i, take);
            d->left -= take;
            i += take;
            if (d->left == 0) {
                d->ck = CK_DATA_END;
                d->clen = 0;
            }
            continue;
        }
        /* Line-oriented sub-states: size line, CRLF after data, trailers. */
        uint8_t c = p[i++];
        if (wire)
            (*wire)++;
        if (c != '\n') {
            if (d->clen < sizeof(d->cline))
                d->cline[d->clen++] = (char)c;
            else
                d->cline_over = true;
            continue;
        }
        size_t ll = d->clen;
        if (ll > 0 && d->cline[ll - 1] == '\r')
            ll--;
        d->clen = 0;
        if (d->ck == CK_DATA_END) {
            d->ck = CK_SIZE;
            if (ll != 0) {
                h->p->c[TA_PC_HTTP_MALFORMED]++;
                d->state = ST_RESYNC;
                message_done(h, d, dir, em);
                d->state = ST_RESYNC;
                return i;
            }
            continue;
        }
        if (d->ck == CK_TRAILER) {
            if (ll == 0)
                message_done(h, d, dir, em);
            continue;
        }
        /* CK_SIZE: hex size, optional ";ext". */
        uint64_t sz = 0;
        size_t k = 0;
        while (k < ll && (d->cline[k] == ' ' || d->cline[k] == '\t'))
            k++;
        size_t digits = 0;
        for (; k < ll; k++, digits++) {
            char ch = d->cline[k];
            int v = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (v < 0)
                break;
            if (digits >= 15)
                break;
            sz = sz * 16 + (uint64_t)v;
        }
        if (digits == 0 || d->cline_over) {
            if (ll == 0 && digits == 0)
                continue; /* stray empty line */
            h->p->c[TA_PC_HTTP_MALFORMED]++;
            message_done(h, d, dir, em);
            d->state = ST_RESYNC;
            return i;
        }
        if (sz == 0) {
            d->ck = CK_TRAILER;
        } else {
            d->ck = CK_DATA;
            d->left = sz;
        }
    }
    return i;
}

void ta__http_data(struct ta__http *h, const struct ta__emit *em, enum ta_flow_dir dir,
                   const uint8_t *data, size_t len, bool gap)
{
    struct hdir *d = &h->d[dir];
    if (d->state == ST_STOPPED || d->state == ST_TUNNEL)
        return;
    if (gap) {
        h->p->c[TA_PC_HTTP_GAPS]++;
        if (d->state == ST_BODY) {
            if (d->cur != NULL) {
                if (dir == 0)
                    d->cur->pub.req_body_truncated = true;
                else
                    d->cur->pub.resp_body_truncated = true;
            }
            message_done(h, d, dir, em);
        }
        d->hlen = 0;
        d->state = ST_RESYNC;
    }
    if (d->state == ST_RESYNC) {
        bool ok = dir == 0 ? ta__http_probe_request(data, len) : ta__http_probe_response(data, len);
        if (!ok)
            return;
        d->state = ST_HEADERS;
        d->hlen = 0;
    }
    while (len > 0 && (d->state == ST_HEADERS || d->state == ST_BODY)) {
        size_t used = d->state == ST_HEADERS ? feed_headers(h, d, (int)dir, data, len, em)
                                             : feed_body(h, d, (int)dir, data, len, em);
        data += used;
        len -= used;
    }
}

void ta__http_end(struct ta__http *h, const struct ta__emit *em)
{
    /* A body delimited by the end of the connection is complete now. */
    for (int dir = 0; dir < 2; dir++) {
        struct hdir *d = &h->d[dir];
        if (d->state == ST_BODY) {
            if (d->bm != BM_CLOSE && d->cur != NULL) {
                if (dir == 0)
                    d->cur->pub.req_body_truncated = true;
                else
                    d->cur->pub.resp_body_truncated = true;
            }
            message_done(h, d, dir, em);
        }
    }
    while (h->head != NULL)
        emit_head(h, em);
}
