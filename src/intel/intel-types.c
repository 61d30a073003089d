/*
 * Intel indicator model: type and kind names, value canonicalisation, and
 * the helpers every loader shares (line iteration, CSV splitting, feed
 * timestamps, reject counting).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intel/intel-internal.h"

#include "common/banned.h"

static const char *const type_names[TA_INTEL_TYPE__COUNT] = {
    [TA_INTEL_IP] = "ip",         [TA_INTEL_CIDR] = "cidr", [TA_INTEL_IP_PORT] = "ip:port",
    [TA_INTEL_DOMAIN] = "domain", [TA_INTEL_URL] = "url",   [TA_INTEL_URL_PATH] = "url-path",
    [TA_INTEL_JA3] = "ja3",       [TA_INTEL_JA3S] = "ja3s", [TA_INTEL_JA4] = "ja4",
    [TA_INTEL_MD5] = "md5",       [TA_INTEL_SHA1] = "sha1", [TA_INTEL_SHA256] = "sha256",
    [TA_INTEL_SHA512] = "sha512",
};

static const char *const kind_names[TA_INTEL_KIND__COUNT] = {
    [TA_INTEL_KIND_C2] = "c2",
    [TA_INTEL_KIND_PHISHING] = "phishing",
    [TA_INTEL_KIND_MALWARE_DIST] = "malware-distribution",
    [TA_INTEL_KIND_WEBSHELL] = "webshell",
    [TA_INTEL_KIND_SCANNER] = "scanner",
    [TA_INTEL_KIND_COMPROMISED] = "compromised",
    [TA_INTEL_KIND_OTHER] = "other",
    [TA_INTEL_KIND_ALLOW] = "allow",
    [TA_INTEL_KIND_SUSPICIOUS] = "suspicious",
};

bool ta_intel_kind_silent(enum ta_intel_kind k)
{
    return k == TA_INTEL_KIND_SCANNER || k == TA_INTEL_KIND_COMPROMISED ||
           k == TA_INTEL_KIND_OTHER || k == TA_INTEL_KIND_SUSPICIOUS;
}

const char *ta_intel_type_name(enum ta_intel_type t)
{
    return (unsigned)t < TA_INTEL_TYPE__COUNT ? type_names[t] : "?";
}

bool ta_intel_type_parse(const char *name, enum ta_intel_type *out)
{
    for (unsigned i = 0; i < TA_INTEL_TYPE__COUNT; i++)
        if (strcmp(name, type_names[i]) == 0) {
            *out = (enum ta_intel_type)i;
            return true;
        }
    return false;
}

const char *ta_intel_kind_name(enum ta_intel_kind k)
{
    return (unsigned)k < TA_INTEL_KIND__COUNT ? kind_names[k] : "?";
}

bool ta_intel_kind_parse(const char *name, enum ta_intel_kind *out)
{
    for (unsigned i = 0; i < TA_INTEL_KIND__COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum ta_intel_kind)i;
            return true;
        }
    /* IntelMQ spellings and common aliases. */
    static const struct {
        const char *n;
        enum ta_intel_kind k;
    } alias[] = {
        {"c&c", TA_INTEL_KIND_C2},
        {"cc", TA_INTEL_KIND_C2},
        {"botnet_cc", TA_INTEL_KIND_C2},
        {"infected-system", TA_INTEL_KIND_COMPROMISED},
        {"malware", TA_INTEL_KIND_MALWARE_DIST},
        {"payload_delivery", TA_INTEL_KIND_MALWARE_DIST},
        {"allowlist", TA_INTEL_KIND_ALLOW},
        {"whitelist", TA_INTEL_KIND_ALLOW},
        {"scan", TA_INTEL_KIND_SCANNER},
    };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
        if (strcmp(name, alias[i].n) == 0) {
            *out = alias[i].k;
            return true;
        }
    return false;
}

void ta__intel_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n' || p[0] == '\v' ||
                     p[0] == '\f')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n' ||
                     p[n - 1] == '\v' || p[n - 1] == '\f'))
        n--;
    *s = p;
    *len = n;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* Parse an address from (s, n) into a; false if not an address. */
static bool parse_addr(const char *s, size_t n, struct ta_addr *a)
{
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return ta_addr_parse(a, tmp);
}

static bool put(char *out, size_t outcap, const char *s, size_t n)
{
    if (n + 1 > outcap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static bool canon_cidr(const char *s, size_t len, char *out, size_t outcap, const char **why)
{
    const char *slash = memchr(s, '/', len);
    struct ta_addr a;
    if (slash == NULL || !parse_addr(s, (size_t)(slash - s), &a)) {
        *why = "bad network address";
        return false;
    }
    size_t dl = len - (size_t)(slash - s) - 1;
    unsigned plen = 0;
    if (dl == 0 || dl > 3) {
        *why = "bad prefix length";
        return false;
    }
    for (size_t i = 0; i < dl; i++) {
        char c = slash[1 + i];
        if (c < '0' || c > '9') {
            *why = "bad prefix length";
            return false;
        }
        plen = plen * 10 + (unsigned)(c - '0');
    }
    unsigned max = a.family == 4 ? 32 : 128;
    if (plen > max) {
        *why = "prefix length out of range";
        return false;
    }
    /* Clear host bits so "10.1.2.3/8" and "10.0.0.0/8" are one indicator. */
    unsigned bits = a.family == 4 ? plen + 96 : plen;
    for (unsigned b = bits; b < 128; b++)
        a.b[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    char ab[TA_ADDR_STRLEN];
    ta_addr_format(&a, ab, sizeof(ab));
    int n = snprintf(out, outcap, "%s/%u", ab, plen);
    if (n < 0 || (size_t)n >= outcap) {
        *why = "too long";
        return false;
    }
    return true;
}

static bool canon_ip_port(const char *s, size_t len, char *out, size_t outcap, const char **why)
{
    struct ta_addr a;
    const char *colon;
    size_t al;
    const char *as = s;
    if (len > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (rb == NULL || (size_t)(rb - s) + 1 >= len || rb[1] != ':') {
            *why = "bad [address]:port";
            return false;
        }
        as = s + 1;
        al = (size_t)(rb - s) - 1;
        colon = rb + 1;
    } else {
        colon = memchr(s, ':', len);
        if (colon == NULL) {
            *why = "no port";
            return false;
        }
        al = (size_t)(colon - s);
    }
    if (!parse_addr(as, al, &a)) {
        *why = "bad address";
        return false;
    }
    size_t pl = len - (size_t)(colon - s) - 1;
    unsigned long port = 0;
    if (pl == 0 || pl > 5) {
        *why = "bad port";
        return false;
    }
    for (size_t i = 0; i < pl; i++) {
        char c = colon[1 + i];
        if (c < '0' || c > '9') {
            *why = "bad port";
            return false;
        }
        port = port * 10 + (unsigned long)(c - '0');
    }
    if (port == 0 || port > 65535) {
        *why = "port out of range";
        return false;
    }
    char ab[TA_ADDR_STRLEN];
    ta_addr_format(&a, ab, sizeof(ab));
    int n = a.family == 6 ? snprintf(out, outcap, "[%s]:%lu", ab, port)
                          : snprintf(out, outcap, "%s:%lu", ab, port);
    if (n < 0 || (size_t)n >= outcap) {
        *why = "too long";
        return false;
    }
    return true;
}

static bool canon_path(const char *s, size_t len, char *out, size_t outcap, const char **why)
{
    char tmp[TA__INTEL_VALUE_MAX + 8];
    char norm[TA__INTEL_VALUE_MAX + 16];
    size_t nl;
    if (len + 8 > sizeof(tmp)) {
        *why = "too long";
        return false;
    }
    memcpy(tmp, "http://h", 8);
    memcpy(tmp + 8, s, len);
    if (!ta_intel_url_normalize(tmp, len + 8, norm, sizeof(norm), &nl) || nl < 8) {
        *why = "bad path";
        return false;
    }
    return put(out, outcap, norm + 8, nl - 8) || (*why = "too long", false);
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    if (n > 9)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return n > 0;
}

static bool looks_like_url(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len && i < 16; i++)
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            return true;
    return false;
}

bool ta_intel_value_canon(const char *s, size_t len, enum ta_intel_type *type, char *out,
                          size_t outcap, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    ta__intel_trim(&s, &len);
    if (len == 0) {
        *why = "empty value";
        return false;
    }
    /* A NUL inside a value would cut it short wherever it is later read
     * as a C string ("9.9.9.9\0junk" stored as 9.9.9.9). */
    if (memchr(s, '\0', len) != NULL) {
        *why = "NUL byte in the value";
        return false;
    }
    if (len > TA_INTEL_URL_MAX) {
        *why = "value too long";
        return false;
    }
    enum ta_intel_type t = *type;
    struct ta_addr a;
    if (t == TA_INTEL_TYPE__COUNT) {
        if (looks_like_url(s, len))
            t = TA_INTEL_URL;
        else if (s[0] == '/')
            t = TA_INTEL_URL_PATH;
        else if (memchr(s, '/', len) != NULL) {
            size_t al = (size_t)((const char *)memchr(s, '/', len) - s);
            int pl;
            t = parse_addr(s, al, &a) && digits(s + al + 1, len - al - 1, &pl) ? TA_INTEL_CIDR
                                                                               : TA_INTEL_URL;
        } else if (parse_addr(s, len, &a))
            t = TA_INTEL_IP;
        else if (memchr(s, ':', len) != NULL && memchr(s, '.', len) != NULL)
            t = TA_INTEL_IP_PORT;
        else if (len > 2 && s[0] == '[')
            t = TA_INTEL_IP_PORT;
        else if (len == 32 && is_hex(s, len))
            t = TA_INTEL_MD5;
        else if (len == 40 && is_hex(s, len))
            t = TA_INTEL_SHA1;
        else if (len == 64 && is_hex(s, len))
            t = TA_INTEL_SHA256;
        else if (len == 128 && is_hex(s, len))
            t = TA_INTEL_SHA512;
        else
            t = TA_INTEL_DOMAIN;
        /* "host:port" with a domain host is a URL without a scheme. */
        if (t == TA_INTEL_IP_PORT) {
            const char *c = memchr(s, ':', len);
            if (s[0] != '[' && !parse_addr(s, (size_t)(c - s), &a))
                t = TA_INTEL_URL;
        }
    }
    /* A Unicode host name is stored as its A-label form, which DNS, SNI and
     * Host carry on the wire. */
    char idn[TA__INTEL_VALUE_MAX];
    if ((t == TA_INTEL_DOMAIN || t == TA_INTEL_URL) && ta__intel_has_8bit(s, len)) {
        size_t il;
        if (!ta__intel_idna(s, len, t == TA_INTEL_URL, idn, sizeof(idn), &il, why))
            return false;
        s = idn;
        len = il;
    }
    bool ok = false;
    size_t n;
    switch (t) {
    case TA_INTEL_IP:
        if (!parse_addr(s, len, &a)) {
            *why = "bad IP address";
            return false;
        }
        ta_addr_format(&a, out, outcap);
        ok = out[0] != '\0';
        break;
    case TA_INTEL_CIDR:
        ok = canon_cidr(s, len, out, outcap, why);
        break;
    case TA_INTEL_IP_PORT:
        ok = canon_ip_port(s, len, out, outcap, why);
        break;
    case TA_INTEL_DOMAIN:
        ok = ta__intel_domain_canon(s, len, out, outcap, &n);
        if (!ok)
            *why = "bad domain name";
        break;
    case TA_INTEL_URL:
        ok = ta_intel_url_normalize(s, len, out, outcap, &n);
        if (!ok)
            *why = "bad URL";
        break;
    case TA_INTEL_URL_PATH:
        if (s[0] != '/') {
            *why = "path does not start with /";
            return false;
        }
        ok = canon_path(s, len, out, outcap, why);
        break;
    case TA_INTEL_MD5:
    case TA_INTEL_SHA1:
    case TA_INTEL_SHA256:
    case TA_INTEL_SHA512:
    case TA_INTEL_JA3:
    case TA_INTEL_JA3S: {
        size_t want = t == TA_INTEL_SHA1     ? 40
                      : t == TA_INTEL_SHA256 ? 64
                      : t == TA_INTEL_SHA512 ? 128
                                             : 32;
        if (len != want || !is_hex(s, len)) {
            *why = "bad hash";
            return false;
        }
        ok = put(out, outcap, s, len);
        for (size_t i = 0; ok && i < len; i++)
            if (out[i] >= 'A' && out[i] <= 'F')
                out[i] = (char)(out[i] - 'A' + 'a');
        break;
    }
    case TA_INTEL_JA4:
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_')) {
                *why = "bad JA4";
                return false;
            }
        }
        ok = put(out, outcap, s, len);
        for (size_t i = 0; ok && i < len; i++)
            if (out[i] >= 'A' && out[i] <= 'Z')
                out[i] = (char)(out[i] - 'A' + 'a');
        break;
    default:
        *why = "unknown type";
        return false;
    }
    if (ok)
        *type = t;
    return ok;
}

/*
 * Special-purpose address blocks (RFC 6890 and successors) that never name a
 * server on the Internet: an indicator there is a feed's mistake or a lab's
 * address, and would match every home network that uses the range.
 */
static const struct {
    const char *net;
    unsigned plen;
    const char *why;
} reserved[] = {
    {"0.0.0.0", 8, "unspecified"},
    {"10.0.0.0", 8, "private, RFC 1918"},
    {"100.64.0.0", 10, "shared CGNAT, RFC 6598"},
    {"127.0.0.0", 8, "loopback"},
    {"169.254.0.0", 16, "link-local"},
    {"172.16.0.0", 12, "private, RFC 1918"},
    {"192.0.0.0", 24, "IETF protocol assignments"},
    {"192.0.2.0", 24, "documentation, RFC 5737"},
    {"192.168.0.0", 16, "private, RFC 1918"},
    {"198.18.0.0", 15, "benchmarking, RFC 2544"},
    {"198.51.100.0", 24, "documentation, RFC 5737"},
    {"203.0.113.0", 24, "documentation, RFC 5737"},
    {"224.0.0.0", 4, "multicast"},
    {"240.0.0.0", 4, "reserved"},
    {"::", 128, "unspecified"},
    {"::1", 128, "loopback"},
    {"2001:db8::", 32, "documentation, RFC 3849"},
    {"3fff::", 20, "documentation, RFC 9637"},
    {"fc00::", 7, "unique local, RFC 4193"},
    {"fe80::", 10, "link-local"},
    {"ff00::", 8, "multicast"},
};

/* Whether the first plen bits of a and b are equal (both 16-byte forms). */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

const char *ta__intel_reserved(const struct ta_addr *a, unsigned plen)
{
    unsigned bits = a->family == 4 ? plen + 96 : plen;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        struct ta_addr r;
        if (!ta_addr_parse(&r, reserved[i].net) || r.family != a->family)
            continue;
        unsigned rbits = r.family == 4 ? reserved[i].plen + 96 : reserved[i].plen;
        /* The networks overlap when the shorter prefix covers the other. */
        if (same_prefix(a->b, r.b, bits < rbits ? bits : rbits))
            return reserved[i].why;
    }
    return NULL;
}

/* The address inside a canonical IP, CIDR, IP:port or URL value, if any. */
static bool value_addr(enum ta_intel_type t, const char *v, struct ta_addr *a, unsigned *plen)
{
    char tmp[64];
    size_t n;
    const char *p = v;
    switch (t) {
    case TA_INTEL_IP:
        n = strlen(v);
        break;
    case TA_INTEL_CIDR: {
        const char *sl = strchr(v, '/');
        if (sl == NULL)
            return false;
        n = (size_t)(sl - v);
        *plen = (unsigned)atoi(sl + 1);
        if (!parse_addr(v, n, a))
            return false;
        return true;
    }
    case TA_INTEL_IP_PORT:
    case TA_INTEL_URL: {
        if (t == TA_INTEL_URL) {
            const char *sep = strstr(v, "://");
            if (sep == NULL)
                return false;
            p = sep + 3;
        }
        if (p[0] == '[') {
            const char *rb = strchr(p, ']');
            if (rb == NULL)
                return false;
            p++;
            n = (size_t)(rb - p);
        } else {
            n = strcspn(p, ":/?#");
        }
        break;
    }
    default:
        return false;
    }
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    if (!ta_addr_parse(a, tmp))
        return false;
    *plen = a->family == 4 ? 32 : 128;
    return true;
}

__attribute__((format(printf, 4, 0))) static void note(struct ta_intel_reject *arr, size_t *n,
                                                       uint64_t line, const char *fmt, va_list ap)
{
    if (*n >= TA_INTEL_MAX_REJECT_SHOWN)
        return;
    arr[*n].line = line;
    vsnprintf(arr[*n].reason, sizeof(arr[*n].reason), fmt, ap);
    (*n)++;
}

void ta__intel_reject(struct ta__intel_sink *s, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    s->res->rejected++;
    va_start(ap, fmt);
    note(s->res->shown, &s->res->nshown, line, fmt, ap);
    va_end(ap);
}

void ta__intel_unsupported(struct ta__intel_sink *s, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    s->res->unsupported++;
    va_start(ap, fmt);
    note(s->res->unsup_shown, &s->res->nunsup_shown, line, fmt, ap);
    va_end(ap);
}

const char *ta__intel_source(const struct ta__intel_sink *s, const char *dflt)
{
    if (s->opts->source != NULL && s->opts->source[0] != '\0')
        return s->opts->source;
    return dflt;
}

/*
 * Family, brand, country and source are free text from the feed (or its file
 * name) that intel list, report --list and CSV print as they are: a control
 * character there, raw or as a UTF-8 C1 code (U+0080..U+009F), would drive
 * the analyst's terminal or split a tab-separated row. Each becomes '?';
 * text without one is returned as it is.
 */
static const char *text_clean(const char *s, char *buf, size_t cap)
{
    if (s == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (u[i] != '\0' && u[i] >= 0x20 && u[i] != 0x7f &&
           !(u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f))
        i++;
    if (u[i] == '\0')
        return s;
    size_t o = 0;
    for (i = 0; u[i] != '\0' && o + 1 < cap; i++) {
        if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f) {
            buf[o++] = '?';
            i++;
        } else {
            buf[o++] = u[i] < 0x20 || u[i] == 0x7f ? '?' : (char)u[i];
        }
    }
    /* A cut inside a UTF-8 sequence would leave half a character. */
    if (u[i] != '\0') {
        size_t st = o;
        while (st > 0 && ((unsigned char)buf[st - 1] & 0xc0) == 0x80)
            st--;
        unsigned char lead = st > 0 ? (unsigned char)buf[st - 1] : 0;
        size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (lead >= 0xc0 && o - (st - 1) < want)
            o = st - 1;
    }
    buf[o] = '\0';
    return buf;
}

bool ta__intel_add(struct ta__intel_sink *s, uint64_t line, const char *raw, size_t len,
                   enum ta_intel_type type, const struct ta_intel_indicator *ind)
{
    if (s->err != TA_OK)
        return false;
    char val[TA__INTEL_VALUE_MAX];
    const char *why = "bad value";
    enum ta_intel_type t = type;
    if (!ta_intel_value_canon(raw, len, &t, val, sizeof(val), &why)) {
        const char *r = raw;
        size_t rl = len;
        ta__intel_trim(&r, &rl);
        ta__intel_reject(s, line, "%s: '%.*s'", why, (int)(rl > 48 ? 48 : rl), r);
        return true;
    }
    const struct ta_intel_load_opts *o = s->opts;
    struct ta_addr a;
    unsigned plen = 0;
    const char *rsv;
    /* An allow list may well name private space (MISP's rfc1918 list,
     * maltrail's whitelist): only a threat in it is a mistake. */
    bool allow = o->have_kind ? o->kind == TA_INTEL_KIND_ALLOW : ind->kind == TA_INTEL_KIND_ALLOW;
    if (!o->allow_private && !allow && value_addr(t, val, &a, &plen) &&
        (rsv = ta__intel_reserved(&a, plen)) != NULL) {
        s->res->reserved++;
        ta__intel_reject(s, line, "not a public address (%s): '%.48s'", rsv, val);
        return true;
    }
    struct ta_intel_indicator c = *ind;
    c.type = t;
    c.value = val;
    if (o->source != NULL && o->source[0] != '\0')
        c.source = o->source;
    if (c.source == NULL || c.source[0] == '\0')
        c.source = "unknown";
    if (o->have_kind)
        c.kind = o->kind;
    if (o->confidence > 0 && o->confidence <= 100)
        c.confidence = (uint8_t)o->confidence;
    if (c.confidence > 100)
        c.confidence = 100;
    if ((c.family == NULL || c.family[0] == '\0') && o->family != NULL)
        c.family = o->family;
    /* Only the dates the feed gave: 0 stays unknown (an invented date, such
     * as the file's modification time, would make a two-year-old capture miss
     * an indicator the feed never dated, or match one it did). */
    if (c.first_seen != 0 && c.last_seen != 0 && c.first_seen > c.last_seen)
        c.first_seen = c.last_seen;
    ta_time_us base = c.last_seen != 0 ? c.last_seen : c.first_seen;
    if (c.valid_until == 0 && o->valid_days > 0 && base != 0)
        c.valid_until = base + (ta_time_us)o->valid_days * 86400ull * 1000000ull;
    if (c.type != TA_INTEL_DOMAIN)
        c.exact = false;
    char fam[256], brand[256], cc[16], src[256];
    c.family = text_clean(c.family, fam, sizeof(fam));
    c.brand = text_clean(c.brand, brand, sizeof(brand));
    c.country = text_clean(c.country, cc, sizeof(cc));
    c.source = text_clean(c.source, src, sizeof(src));
    ta_err e = s->emit(s->user, &c);
    if (e != TA_OK) {
        s->err = e;
        return false;
    }
    s->res->accepted++;
    if ((unsigned)c.kind < TA_INTEL_KIND__COUNT)
        s->res->by_kind[c.kind]++;
    return true;
}

bool ta__intel_time_parse(const char *s, size_t len, ta_time_us *out)
{
    *out = 0;
    ta__intel_trim(&s, &len);
    if (len == 0)
        return false;
    /* Integer epoch seconds (MISP timestamps). */
    if (len <= 11) {
        uint64_t v = 0;
        size_t i = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (uint64_t)(s[i++] - '0');
        if (i == len) {
            *out = (ta_time_us)v * 1000000ull;
            return true;
        }
    }
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return false;
    char d[11];
    memcpy(d, s, 10);
    d[10] = '\0';
    ta_time_us t;
    if (!ta_date_parse(d, &t))
        return false;
    size_t k = 10;
    if (k < len && (s[k] == ' ' || s[k] == 'T') && k + 6 <= len && s[k + 3] == ':') {
        /* "HH:MM", then ":SS" and a fraction when given. */
        int h, m, sec = 0;
        if (!digits(s + k + 1, 2, &h) || !digits(s + k + 4, 2, &m) || h > 23 || m > 59)
            return false;
        k += 6;
        if (k + 3 <= len && s[k] == ':') {
            if (!digits(s + k + 1, 2, &sec) || sec > 60)
                return false;
            k += 3;
            if (k < len && (s[k] == '.' || s[k] == ',')) {
                k++;
                while (k < len && s[k] >= '0' && s[k] <= '9')
                    k++;
            }
        }
        t += ((ta_time_us)h * 3600u + (ta_time_us)m * 60u + (ta_time_us)sec) * 1000000u;
    }
    while (k < len && s[k] == ' ')
        k++;
    size_t rest = len - k;
    /* The zone: none, Z, UTC, GMT (all UTC), or an offset "+hh:mm", "+hhmm",
     * "+hh", which is applied. Anything else is not a date we can trust. */
    if (rest == 0 || (rest == 1 && (s[k] == 'Z' || s[k] == 'z')) ||
        (rest == 3 && (memcmp(s + k, "UTC", 3) == 0 || memcmp(s + k, "GMT", 3) == 0))) {
        *out = t;
        return true;
    }
    if (rest >= 3 && (memcmp(s + k, "UTC", 3) == 0 || memcmp(s + k, "GMT", 3) == 0)) {
        k += 3;
        rest -= 3;
    }
    if (rest < 3 || (s[k] != '+' && s[k] != '-'))
        return false;
    int oh, om = 0;
    if (!digits(s + k + 1, 2, &oh) || oh > 23)
        return false;
    if (rest == 6 && s[k + 3] == ':') {
        if (!digits(s + k + 4, 2, &om))
            return false;
    } else if (rest == 5) {
        if (!digits(s + k + 3, 2, &om))
            return false;
    } else if (rest != 3) {
        return false;
    }
    if (om > 59)
        return false;
    ta_time_us off = ((ta_time_us)oh * 3600u + (ta_time_us)om * 60u) * 1000000u;
    if (s[k] == '+') {
        if (t < off)
            return false;
        t -= off;
    } else {
        t += off;
    }
    *out = t;
    return true;
}

ta_time_us ta__intel_time(const char *s, size_t len)
{
    ta_time_us t;
    return ta__intel_time_parse(s, len, &t) ? t : 0;
}

void ta__intel_lines_init(struct ta__intel_lines *it, const uint8_t *buf, size_t len)
{
    it->p = (const char *)buf;
    it->end = (const char *)buf + len;
    it->lineno = 0;
    /* Skip a UTF-8 byte-order mark. */
    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
        it->p += 3;
}

bool ta__intel_lines_next(struct ta__intel_lines *it, const char **line, size_t *len)
{
    if (it->p >= it->end)
        return false;
    size_t left = (size_t)(it->end - it->p);
    const char *nl = memchr(it->p, '\n', left);
    size_t n = nl != NULL ? (size_t)(nl - it->p) : left;
    *line = it->p;
    *len = n;
    if (n > 0 && it->p[n - 1] == '\r')
        (*len)--;
    it->p += nl != NULL ? n + 1 : n;
    it->lineno++;
    return true;
}
