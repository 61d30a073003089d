/*
 * intel fetch: download one feed with libcurl and replace its source in the
 * database. The download is held in memory up to the feed's size limit and
 * imported only once it is complete and consistent, so a failed, cut or
 * empty transfer leaves the source's previous indicators in force.
 *
 * libcurl is loaded when a fetch first runs, not linked (common/curl.h).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "threatatlas/intel.h"
#include "common/curl.h"
#include "intel/intel-internal.h"

#include "common/banned.h"

#define DEF_MAX_BYTES       ((uint64_t)256 << 20)
#define DEF_CONNECT_TIMEOUT 10u
#define DEF_TIMEOUT         300u

struct body {
    uint8_t *buf;
    size_t len, cap;
    uint64_t max;
    bool over;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct body *b = ud;
    size_t n = size * nmemb;
    if ((uint64_t)b->len + n > b->max) {
        b->over = true;
        return 0; /* aborts the transfer */
    }
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + n)
            nc *= 2;
        if (nc > b->max)
            nc = (size_t)b->max;
        uint8_t *nb = realloc(b->buf, nc);
        if (nb == NULL)
            return 0;
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, ptr, n);
    b->len += n;
    return n;
}

/* The value of header line "Name: value\r\n" into out, trimmed, if it is
 * name and a value worth keeping (see ta__intel_fetch_header_line). */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = (size_t)(end - v);
    if (vl >= cap)
        return; /* a validator too long to store is not used */
    for (size_t i = 0; i < vl; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f)
            return;
    }
    memcpy(out, v, vl);
    out[vl] = '\0';
}

void ta__intel_fetch_header_line(struct ta__fetch_hdrs *h, const char *line, size_t n)
{
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
        memset(h, 0, sizeof(*h));
    header_value(line, n, "ETag", h->etag, sizeof(h->etag));
    header_value(line, n, "Last-Modified", h->last_modified, sizeof(h->last_modified));
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    size_t n = size * nmemb;
    ta__intel_fetch_header_line(ud, ptr, n);
    return n;
}

static const struct ta__curl *cu;

/* Load libcurl once; false with err set when it cannot be. */
static bool curl_ready(char *err, size_t errlen)
{
    if (cu == NULL)
        cu = ta__curl_load(err, errlen);
    return cu != NULL;
}

ta_err ta_intel_fetch(struct ta_intel_db *db, const struct ta_intel_feed *feed, ta_time_us now,
                      struct ta_intel_fetch_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    if (feed->name == NULL || feed->name[0] == '\0' || feed->url == NULL) {
        snprintf(err, errlen, "a feed needs a name and a url");
        return TA_ERR_ARG;
    }
    char why[256];
    if (!curl_ready(why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", feed->name, why);
        return TA_ERR_IO;
    }
    struct ta_intel_fetch_state old;
    if (ta_intel_db_fetch_state_get(db, feed->name, &old) != TA_OK) {
        snprintf(err, errlen, "%s: %s", feed->name, ta_intel_db_errmsg(db));
        return TA_ERR_DB;
    }
    /* Validators of another URL say nothing of this one. */
    bool same_url = strcmp(old.url, feed->url) == 0;

    uint32_t timeout = feed->timeout_s ? feed->timeout_s : DEF_TIMEOUT;
    uint32_t low_s = feed->low_speed_s ? feed->low_speed_s : (timeout / 2 ? timeout / 2 : 1);
    struct body b = {.max = feed->max_bytes ? feed->max_bytes : DEF_MAX_BYTES};
    struct ta__fetch_hdrs h;
    memset(&h, 0, sizeof(h));
    struct curl_slist *hl = NULL;
    char line[400];
    ta_err e = TA_OK;
    CURL *c = cu->easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "%s: out of memory", feed->name);
        return TA_ERR_NOMEM;
    }
    if (feed->header != NULL && (hl = cu->slist_append(hl, feed->header)) == NULL)
        goto nomem;
    if (same_url && old.etag[0] != '\0') {
        snprintf(line, sizeof(line), "If-None-Match: %s", old.etag);
        struct curl_slist *t = cu->slist_append(hl, line);
        if (t == NULL)
            goto nomem;
        hl = t;
    }
    if (same_url && old.last_modified[0] != '\0') {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", old.last_modified);
        struct curl_slist *t = cu->slist_append(hl, line);
        if (t == NULL)
            goto nomem;
        hl = t;
    }
    cu->easy_setopt(c, CURLOPT_URL, feed->url);
    cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    cu->easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(
        c, CURLOPT_CONNECTTIMEOUT,
        (long)(feed->connect_timeout_s ? feed->connect_timeout_s : DEF_CONNECT_TIMEOUT));
    cu->easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
    cu->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
                    (long)(feed->low_speed_bps ? feed->low_speed_bps : 1));
    cu->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)low_s);
    cu->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.max);
    cu->easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip/deflate as offered */
    cu->easy_setopt(c, CURLOPT_USERAGENT, "threatatlas/" TA_VERSION);
    cu->easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    cu->easy_setopt(c, CURLOPT_WRITEDATA, &b);
    cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    cu->easy_setopt(c, CURLOPT_HEADERDATA, &h);
    CURLcode cr = cu->easy_perform(c);
    cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->http_status);
    res->bytes = b.len;
    if (b.over || cr == CURLE_FILESIZE_EXCEEDED) {
        snprintf(err, errlen, "%s: the download is larger than its limit of %llu bytes", feed->name,
                 (unsigned long long)b.max);
        e = TA_ERR_LIMIT;
        goto out;
    }
    if (cr == CURLE_PARTIAL_FILE) {
        snprintf(err, errlen, "%s: the download was cut short (%llu bytes, fewer than announced)",
                 feed->name, (unsigned long long)b.len);
        e = TA_ERR_TRUNCATED;
        goto out;
    }
    if (cr == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, errlen, "%s: %s after %llu bytes (timeout %u s)", feed->name,
                 cu->easy_strerror(cr), (unsigned long long)b.len, timeout);
        e = TA_ERR_IO;
        goto out;
    }
    if (cr != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", feed->name, cu->easy_strerror(cr));
        e = TA_ERR_IO;
        goto out;
    }
    bool is_file = strncasecmp(feed->url, "file:", 5) == 0;
    struct ta_intel_fetch_state ns;
    memset(&ns, 0, sizeof(ns));
    snprintf(ns.url, sizeof(ns.url), "%s", feed->url);
    if (res->http_status == 304) {
        res->not_modified = true;
        /* The validators stay those of the download in force. */
        memcpy(ns.etag, old.etag, sizeof(ns.etag));
        memcpy(ns.last_modified, old.last_modified, sizeof(ns.last_modified));
        if (ta_intel_db_fetch_state_set(db, feed->name, &ns, now, false) != TA_OK) {
            snprintf(err, errlen, "%s: %s", feed->name, ta_intel_db_errmsg(db));
            e = TA_ERR_DB;
        }
        goto out;
    }
    if (!is_file && res->http_status != 200) {
        snprintf(err, errlen, "%s: the server answered HTTP %ld", feed->name, res->http_status);
        e = TA_ERR_NOTFOUND;
        goto out;
    }
    if (b.len == 0) {
        snprintf(err, errlen, "%s: the download is empty", feed->name);
        e = TA_ERR_FORMAT;
        goto out;
    }
    memcpy(ns.etag, h.etag, sizeof(ns.etag));
    memcpy(ns.last_modified, h.last_modified, sizeof(ns.last_modified));
    struct ta_intel_load_opts o = feed->load;
    o.source = feed->name;
    e = ta_intel_db_replace_source(db, feed->url, b.buf, b.len, &o, &ns, now, &res->load,
                                   &res->expired);
    if (e == TA_ERR_FORMAT)
        snprintf(
            err, errlen, "%s: no indicator accepted from %llu bytes (format %s, %llu rejected)",
            feed->name, (unsigned long long)b.len,
            res->load.format < TA_INTEL_FMT__COUNT ? ta_intel_format_name(res->load.format) : "?",
            (unsigned long long)res->load.rejected);
    else if (e != TA_OK)
        snprintf(err, errlen, "%s: %s", feed->name, ta_intel_db_errmsg(db));
    goto out;
nomem:
    snprintf(err, errlen, "%s: out of memory", feed->name);
    e = TA_ERR_NOMEM;
out:
    cu->slist_free_all(hl);
    cu->easy_cleanup(c);
    free(b.buf);
    return e;
}
