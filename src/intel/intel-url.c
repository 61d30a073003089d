/*
 * URL and domain normalisation for intel identity: the same phishing page
 * written two ways by two feeds (or seen on the wire) must compare equal.
 * Pure functions over bounded input; no allocation.
 */
#include <string.h>

#include "intel/intel-internal.h"

#include "common/urlhost.h"

#include "common/banned.h"

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool ta__intel_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool ta__intel_domain_canon(const char *s, size_t len, char *out, size_t outcap, size_t *outlen)
{
    if (len > 0 && s[len - 1] == '.')
        len--;
    /* A leading "*." (wildcard) means the same as a parent-matching entry. */
    bool suffix = false;
    if (len > 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        len -= 2;
    } else if (len > 1 && s[0] == '.') {
        /* ".xyz" (maltrail, hosts-style lists): the name and all below it,
         * which may be a top-level domain alone. */
        s++;
        len--;
        suffix = true;
    }
    if (len == 0 || len > 253 || len + 1 > outcap)
        return false;
    size_t label = 0;
    bool alpha = false;
    for (size_t i = 0; i < len; i++) {
        char c = lower(s[i]);
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || c == '-' || c == '_') {
            alpha = true;
            if (++label > 63)
                return false;
        } else if (c >= '0' && c <= '9') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        out[i] = c;
    }
    /* A single label is not an internet name (and is how junk lines look). */
    if (label == 0 || !alpha || (!suffix && memchr(out, '.', len) == NULL))
        return false;
    out[len] = '\0';
    *outlen = len;
    return true;
}

/* Output builder with a hard cap. */
struct obuf {
    char *p;
    size_t len, cap;
    bool over;
};

static void oput(struct obuf *o, char c)
{
    if (o->len + 1 >= o->cap) {
        o->over = true;
        return;
    }
    o->p[o->len++] = c;
}

static void oputs(struct obuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        oput(o, s[i]);
}

/* Copy a path or query component, normalising percent-escapes. */
static void put_escaped(struct obuf *o, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && n - i >= 3 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            unsigned char c = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            if (unreserved(c)) {
                oput(o, (char)c);
            } else {
                oput(o, '%');
                oput(o, hx[c >> 4]);
                oput(o, hx[c & 15]);
            }
            i += 2;
        } else if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '%') {
            /* Raw spaces, controls and non-ASCII bytes are escaped as a browser would; a
             * stray '%' becomes %25 so that normalising twice changes nothing. */
            unsigned char c = (unsigned char)s[i];
            oput(o, '%');
            oput(o, hx[c >> 4]);
            oput(o, hx[c & 15]);
        } else {
            oput(o, s[i]);
        }
    }
}

/*
 * Remove dot segments (RFC 3986 5.2.4) in place from path p[0..*n) which
 * starts with '/'. Percent-decoding ran first, so "%2E" was already ".".
 */
static void remove_dots(char *p, size_t *n)
{
    size_t in = 0, out = 0, len = *n;
    while (in < len) {
        /* p[in] == '/' here; find the segment after it. */
        size_t s = in + 1, e = s;
        while (e < len && p[e] != '/')
            e++;
        size_t sl = e - s;
        if (sl == 1 && p[s] == '.') {
            if (e == len)
                p[out++] = '/';
        } else if (sl == 2 && p[s] == '.' && p[s + 1] == '.') {
            while (out > 0 && p[out - 1] != '/')
                out--;
            if (out > 0)
                out--;
            if (e == len)
                p[out++] = '/';
        } else {
            memmove(p + out, p + in, e - in);
            out += e - in;
        }
        in = e;
    }
    if (out == 0)
        p[out++] = '/';
    *n = out;
}

bool ta_intel_url_normalize(const char *url, size_t len, char *out, size_t outcap, size_t *outlen)
{
    if (outcap == 0)
        return false;
    ta__intel_trim(&url, &len);
    struct obuf o = {out, 0, outcap, false};
    struct ta_url_host u;
    if (!ta_url_host(url, len, &u) || !ta_url_host_chars_ok(u.host, u.len))
        return false;
    /* Without a scheme, "//host/..." and "host/..." are taken as http. */
    const char *scheme = u.scheme_len > 0 ? url : "http";
    size_t slen = u.scheme_len > 0 ? u.scheme_len : 4;
    for (size_t j = 0; j < slen; j++)
        oput(&o, lower(scheme[j]));
    oputs(&o, "://", 3);
    for (size_t j = 0; j < u.len; j++)
        oput(&o, lower(u.host[j]));
    /* Port: leading zeros dropped, default port omitted. */
    if (u.port >= 0) {
        unsigned long port = (unsigned long)u.port;
        bool dflt = (slen == 4 && ta__intel_ieq(scheme, "http", 4) && port == 80) ||
                    (slen == 5 && ta__intel_ieq(scheme, "https", 5) && port == 443) ||
                    (slen == 3 && ta__intel_ieq(scheme, "ftp", 3) && port == 21);
        if (!dflt) {
            char pb[8];
            size_t pn = 0;
            do {
                pb[pn++] = (char)('0' + port % 10);
                port /= 10;
            } while (port > 0);
            oput(&o, ':');
            while (pn > 0)
                oput(&o, pb[--pn]);
        }
    }
    size_t i = u.end;
    /* Path up to '?' or '#'; backslashes become slashes. */
    size_t pstart = o.len;
    size_t p0 = i;
    while (i < len && url[i] != '?' && url[i] != '#')
        i++;
    oput(&o, '/');
    size_t before = o.len;
    if (p0 < i) {
        size_t from = p0;
        if (url[p0] == '/' || url[p0] == '\\')
            from++;
        put_escaped(&o, url + from, i - from);
        for (size_t j = before; j < o.len; j++)
            if (o.p[j] == '\\')
                o.p[j] = '/';
    }
    if (o.over)
        return false;
    size_t plen = o.len - pstart;
    remove_dots(o.p + pstart, &plen);
    o.len = pstart + plen;
    if (i < len && url[i] == '?') {
        size_t q0 = i;
        while (i < len && url[i] != '#')
            i++;
        put_escaped(&o, url + q0, i - q0);
    }
    if (o.over)
        return false;
    o.p[o.len] = '\0';
    *outlen = o.len;
    return true;
}
