/*
 * Streaming JSON writer: the serialisation layer under EVE, IntelMQ and
 * report output. See include/threatatlas/json.h for the contract.
 */
#include "threatatlas/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

void ta_json_init(struct ta_json *j)
{
    memset(j, 0, sizeof(*j));
    j->limit = TA_JSON_LIMIT;
}

void ta_json_set_limit(struct ta_json *j, size_t bytes)
{
    j->limit = bytes ? bytes : TA_JSON_LIMIT;
}

void ta_json_release(struct ta_json *j)
{
    free(j->buf);
    memset(j, 0, sizeof(*j));
}

void ta_json_reset(struct ta_json *j)
{
    j->len = 0;
    j->depth = 0;
    j->need_comma[0] = false;
    j->oom = false;
    j->toobig = false;
}

/* Grows the buffer to hold extra more bytes plus the terminating NUL. */
static bool grow(struct ta_json *j, size_t extra)
{
    if (j->oom)
        return false;
    size_t limit = j->limit ? j->limit : TA_JSON_LIMIT;
    if (extra >= limit || j->len + extra + 1 > limit) {
        j->oom = j->toobig = true;
        return false;
    }
    size_t ncap = j->cap ? j->cap : 1024;
    while (ncap < j->len + extra + 1)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    char *nb = realloc(j->buf, ncap);
    if (nb == NULL) {
        j->oom = true;
        return false;
    }
    j->buf = nb;
    j->cap = ncap;
    return true;
}

/* The common case (room left, no earlier failure) stays inline at every call site. */
static inline bool reserve(struct ta_json *j, size_t extra)
{
    if (j->len + extra + 1 <= j->cap && !j->oom)
        return true;
    return grow(j, extra);
}

static inline void put(struct ta_json *j, const char *s, size_t n)
{
    if (!reserve(j, n))
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static inline void putc1(struct ta_json *j, char c)
{
    if (!reserve(j, 1))
        return;
    j->buf[j->len++] = c;
    j->buf[j->len] = '\0';
}

/* Called before every value or key: emits the separating comma. */
static void sep(struct ta_json *j)
{
    if (j->need_comma[j->depth])
        putc1(j, ',');
    j->need_comma[j->depth] = true;
}

static void open_c(struct ta_json *j, char c)
{
    sep(j);
    putc1(j, c);
    if (j->depth + 1 < TA_JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_c(struct ta_json *j, char c)
{
    putc1(j, c);
    if (j->depth > 0)
        j->depth--;
}

void ta_json_obj_open(struct ta_json *j)
{
    open_c(j, '{');
}

void ta_json_obj_close(struct ta_json *j)
{
    close_c(j, '}');
}

void ta_json_arr_open(struct ta_json *j)
{
    open_c(j, '[');
}

void ta_json_arr_close(struct ta_json *j)
{
    close_c(j, ']');
}

/* Length of a valid UTF-8 sequence starting at s (max n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

/* 1 for the bytes a JSON string carries as they are: printable ASCII but '"' and '\\'. */
static const uint8_t plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * True when none of the 8 bytes of w needs escaping (see plain[]): no byte
 * below 0x20 or from 0x80, no '"' and no '\\'. Each test is the exact
 * "has a byte less than / equal to" word trick.
 */
static inline bool word_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t ctrl = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * 0x22);
    uint64_t b = w ^ (ones * 0x5c);
    q = (q - ones) & ~q;
    b = (b - ones) & ~b;
    return ((w | ctrl | q | b) & high) == 0;
}

/* Escapes str[0..n) after the opening quote, from the first byte that is not plain. */
static void put_escaped_slow(struct ta_json *j, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* start of a run of bytes that need no escaping */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (plain[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_len(s + i, n - i);
            if (l > 0) {
                i += l;
                continue;
            }
        }
        put(j, str + run, i - run);
        char esc[6];
        switch (c) {
        case '"':
            put(j, "\\\"", 2);
            break;
        case '\\':
            put(j, "\\\\", 2);
            break;
        case '\n':
            put(j, "\\n", 2);
            break;
        case '\r':
            put(j, "\\r", 2);
            break;
        case '\t':
            put(j, "\\t", 2);
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            put(j, esc, 6);
            break;
        }
        i++;
        run = i;
    }
    put(j, str + run, n - run);
}

/*
 * A quoted, escaped string. Most strings are plain ASCII: they are copied in
 * one pass straight into the buffer, and only the rest goes through the
 * escaping loop.
 */
static void put_escaped(struct ta_json *j, const char *str, size_t n)
{
    if (!reserve(j, n + 2))
        return;
    const unsigned char *s = (const unsigned char *)str;
    char *d = j->buf + j->len + 1;
    size_t i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (!word_plain(w))
            break;
        memcpy(d + i, &w, 8);
    }
    /* A short tail of a long string: its last 8 bytes as one (overlapping) word. */
    if (i < n && n >= 8 && n - i < 8) {
        uint64_t w;
        memcpy(&w, s + n - 8, 8);
        if (word_plain(w)) {
            memcpy(d + n - 8, &w, 8);
            i = n;
        }
    }
    while (i < n && plain[s[i]]) {
        d[i] = (char)s[i];
        i++;
    }
    d[-1] = '"';
    j->len += 1 + i;
    if (i < n)
        put_escaped_slow(j, str + i, n - i);
    putc1(j, '"');
}

/* Keys up to this long take the one-pass path of ta_json_key. */
#define KEY_FAST_MAX 64

void ta_json_key(struct ta_json *j, const char *key)
{
    /*
     * Keys are nearly always short plain literals: comma, quotes, key and
     * colon are written in one pass that also finds the end of the key.
     */
    const unsigned char *k = (const unsigned char *)key;
    if (reserve(j, KEY_FAST_MAX + 4)) {
        char *d = j->buf + j->len;
        size_t o = j->need_comma[j->depth] ? 1 : 0;
        d[0] = ',';
        d[o++] = '"';
        size_t i = 0;
        while (i < KEY_FAST_MAX && plain[k[i]]) {
            d[o + i] = (char)k[i];
            i++;
        }
        if (k[i] == '\0') {
            o += i;
            d[o++] = '"';
            d[o++] = ':';
            d[o] = '\0';
            j->len += o;
            /* The value that follows must not emit a comma. */
            j->need_comma[j->depth] = false;
            return;
        }
    }
    sep(j);
    put_escaped(j, key, strlen(key));
    putc1(j, ':');
    j->need_comma[j->depth] = false;
}

void ta__json_key_lit_grow(struct ta_json *j, const char *qk, size_t n)
{
    if (!reserve(j, n + 1))
        return;
    ta__json_key_lit(j, qk, n);
}

/* After a value inside an object, the next key needs a comma. */
static void after_value(struct ta_json *j)
{
    j->need_comma[j->depth] = true;
}

void ta_json_strn(struct ta_json *j, const char *s, size_t n)
{
    sep(j);
    put_escaped(j, s, n);
    after_value(j);
}

void ta_json_str(struct ta_json *j, const char *s)
{
    ta_json_strn(j, s, strlen(s));
}

/* Decimal digits of v, right-aligned to end, two at a time; returns the first digit. */
static char *fmt_dec(char *end, uint64_t v)
{
    static const char d2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
                             "34353637383940414243444546474849505152535455565758596061626364656667"
                             "6869707172737475767778798081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, d2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, d2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

void ta_json_int(struct ta_json *j, int64_t v)
{
    char b[32];
    char *end = b + sizeof(b);
    char *p = fmt_dec(end, v < 0 ? 0u - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    sep(j);
    put(j, p, (size_t)(end - p));
    after_value(j);
}

void ta_json_uint(struct ta_json *j, uint64_t v)
{
    char b[32];
    char *end = b + sizeof(b);
    char *p = fmt_dec(end, v);
    sep(j);
    put(j, p, (size_t)(end - p));
    after_value(j);
}

void ta_json_double(struct ta_json *j, double v)
{
    char b[64];
    int n;
    if (!isfinite(v))
        n = snprintf(b, sizeof(b), "null");
    else
        n = snprintf(b, sizeof(b), "%.6g", v);
    sep(j);
    put(j, b, (size_t)n);
    after_value(j);
}

void ta_json_bool(struct ta_json *j, bool v)
{
    sep(j);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
    after_value(j);
}

void ta_json_null(struct ta_json *j)
{
    sep(j);
    put(j, "null", 4);
    after_value(j);
}

void ta_json_raw(struct ta_json *j, const char *s, size_t n)
{
    sep(j);
    put(j, s, n);
    after_value(j);
}

void ta_json_kv_str(struct ta_json *j, const char *k, const char *v)
{
    ta_json_key(j, k);
    ta_json_str(j, v);
}

void ta_json_kv_strn(struct ta_json *j, const char *k, const char *v, size_t n)
{
    ta_json_key(j, k);
    ta_json_strn(j, v, n);
}

void ta_json_kv_int(struct ta_json *j, const char *k, int64_t v)
{
    ta_json_key(j, k);
    ta_json_int(j, v);
}

void ta_json_kv_uint(struct ta_json *j, const char *k, uint64_t v)
{
    ta_json_key(j, k);
    ta_json_uint(j, v);
}

void ta_json_kv_double(struct ta_json *j, const char *k, double v)
{
    ta_json_key(j, k);
    ta_json_double(j, v);
}

void ta_json_kv_bool(struct ta_json *j, const char *k, bool v)
{
    ta_json_key(j, k);
    ta_json_bool(j, v);
}

/*
 * Formatted timestamps and addresses are plain ASCII: written quoted, without
 * the escaping scan. b[0] is left free for the opening quote; the text of
 * length n follows it, and b has room for the closing quote.
 */
static void raw_quoted(struct ta_json *j, char *b, size_t n)
{
    b[0] = '"';
    b[n + 1] = '"';
    ta_json_raw(j, b, n + 2);
}

void ta_json_time(struct ta_json *j, ta_time_us t)
{
    char b[TA_TS_STRLEN + 2];
    raw_quoted(j, b, strlen(ta_time_format(t, b + 1, TA_TS_STRLEN)));
}

void ta_json_addr(struct ta_json *j, const struct ta_addr *a)
{
    char b[TA_ADDR_STRLEN + 2];
    raw_quoted(j, b, strlen(ta_addr_format(a, b + 1, TA_ADDR_STRLEN)));
}

void ta_json_kv_time(struct ta_json *j, const char *k, ta_time_us t)
{
    ta_json_key(j, k);
    ta_json_time(j, t);
}

void ta_json_kv_addr(struct ta_json *j, const char *k, const struct ta_addr *a)
{
    ta_json_key(j, k);
    ta_json_addr(j, a);
}

bool ta_json_write_line(struct ta_json *j, FILE *f)
{
    putc1(j, '\n');
    if (j->oom)
        return false;
    return fwrite(j->buf, 1, j->len, f) == j->len;
}
