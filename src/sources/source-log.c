/*
 * Log sources (threatatlas/logsrc.h): the reader object, files read as
 * lines through zlib (plain or gzip), and the pieces the EVE, Zeek and
 * access-log readers share: a JSON tokenizer over one line that allocates
 * nothing, a per-line string arena, number/time/address parsing and the
 * bounded join table of connections.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "sources/obsrc-int.h"
#include "sources/source-log-int.h"
#include "threatatlas/logsrc.h"

#include "common/banned.h"

/* ---- options ------------------------------------------------------------------------- */

void ta_logsrc_opts_default(struct ta_logsrc_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->max_line = 1u << 20;
    o->max_flows = 262144;
    o->max_certs = 65536;
    o->max_files = 256;
    o->server_port = 80;
}

/* ---- JSON tokens -------------------------------------------------------------- */

static bool lj_push(struct lj *j, uint8_t type, size_t start)
{
    if (j->n >= LJ_MAX_TOKS)
        return false;
    struct lj_tok *t = &j->t[j->n++];
    t->type = type;
    t->start = (uint32_t)start;
    t->end = (uint32_t)start;
    t->next = j->n;
    t->esc = false;
    return true;
}

static size_t lj_ws(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0 /* the word scan finds the first byte by its low bits */
#endif

/* A byte that does not end the plain run of a string (a quote, a backslash, a control). */
static inline bool plain(char ch)
{
    unsigned char c = (unsigned char)ch;
    return c >= 0x20 && c != '"' && c != '\\';
}

/* A string starting after its quote at i; returns the index after the closing quote or 0. */
static size_t lj_string(struct lj *j, const char *s, size_t i, size_t len)
{
    if (!lj_push(j, LJ_STR, i))
        return 0;
    struct lj_tok *t = &j->t[j->n - 1];
    while (i < len) {
        /* Most strings have no escapes: skip plain bytes eight at a time (a word with
         * no quote, backslash or control byte, tested with the has-zero-byte trick). */
        while (LITTLE_ENDIAN_WORDS && len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            uint64_t hit = ((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & highs;
            /* ~w keeps bytes >= 0x80 out of the test: they are plain. A borrow only
             * carries upwards past a real hit, so the lowest flagged byte is the first
             * quote, backslash or control byte (little-endian load: the lowest bits). */
            if (hit != 0) {
                i += (size_t)__builtin_ctzll(hit) / 8;
                break;
            }
            i += 8;
        }
        while (i < len && plain(s[i]))
            i++;
        if (i >= len)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            t->end = (uint32_t)i;
            return i + 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            t->esc = true;
            if (i + 1 >= len)
                return 0;
            char e = s[i + 1];
            if (e == 'u') {
                if (len - i < 6)
                    return 0;
                for (size_t k = 2; k < 6; k++) {
                    char h = s[i + k];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                          (h >= 'A' && h <= 'F')))
                        return 0;
                }
                i += 6;
                continue;
            }
            if (strchr("\"\\/bfnrt", e) == NULL || e == 0)
                return 0;
            i += 2;
            continue;
        }
        i++;
    }
    return 0;
}

static size_t lj_number(struct lj *j, const char *s, size_t i, size_t len)
{
    size_t b = i;
    if (i < len && s[i] == '-')
        i++;
    size_t d = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    /* No leading zeros: "0", "0.5", never "01". */
    if (i == d || (s[d] == '0' && i - d > 1))
        return 0;
    if (i < len && s[i] == '.') {
        size_t f = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f)
            return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t x = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == x)
            return 0;
    }
    if (!lj_push(j, LJ_NUM, b))
        return 0;
    j->t[j->n - 1].end = (uint32_t)i;
    return i;
}

bool ta__lj_parse(struct lj *j, const char *s, size_t len)
{
    j->s = s;
    j->n = 0;
    if (len >= UINT32_MAX)
        return false;
    uint32_t stack[LJ_MAX_DEPTH];
    unsigned depth = 0;
    /* want: 0 a value, 1 a key or '}' (first member), 2 ',' or a close, 3 ':' */
    int want = 0;
    size_t i = lj_ws(s, 0, len);
    for (;;) {
        if (i >= len) {
            return depth == 0 && want == 2;
        }
        char c = s[i];
        if (want == 2) {
            if (depth == 0)
                return false; /* text after the root value */
            struct lj_tok *top = &j->t[stack[depth - 1]];
            if (c == ',') {
                i = lj_ws(s, i + 1, len);
                if (top->type == LJ_OBJ) {
                    if (i >= len || s[i] != '"')
                        return false;
                    if ((i = lj_string(j, s, i + 1, len)) == 0)
                        return false;
                    want = 3;
                } else {
                    want = 0;
                }
                i = lj_ws(s, i, len);
                continue;
            }
            if ((c == '}' && top->type == LJ_OBJ) || (c == ']' && top->type == LJ_ARR)) {
                top->end = (uint32_t)(i + 1);
                top->next = j->n;
                depth--;
                i = lj_ws(s, i + 1, len);
                want = 2;
                if (depth == 0)
                    return lj_ws(s, i, len) == len;
                continue;
            }
            return false;
        }
        if (want == 3) {
            if (c != ':')
                return false;
            i = lj_ws(s, i + 1, len);
            want = 0;
            continue;
        }
        if (want == 1) {
            if (c == '}') {
                struct lj_tok *top = &j->t[stack[depth - 1]];
                top->end = (uint32_t)(i + 1);
                top->next = j->n;
                depth--;
                i = lj_ws(s, i + 1, len);
                want = 2;
                if (depth == 0)
                    return i == len;
                continue;
            }
            if (c != '"' || (i = lj_string(j, s, i + 1, len)) == 0)
                return false;
            i = lj_ws(s, i, len);
            want = 3;
            continue;
        }
        /* A value. */
        if (c == '{' || c == '[') {
            if (depth >= LJ_MAX_DEPTH || !lj_push(j, c == '{' ? LJ_OBJ : LJ_ARR, i))
                return false;
            stack[depth++] = j->n - 1;
            i = lj_ws(s, i + 1, len);
            if (c == '{') {
                want = 1;
            } else if (i < len && s[i] == ']') {
                struct lj_tok *top = &j->t[stack[depth - 1]];
                top->end = (uint32_t)(i + 1);
                top->next = j->n;
                depth--;
                i = lj_ws(s, i + 1, len);
                want = 2;
                if (depth == 0)
                    return i == len;
            } else {
                want = 0;
            }
            continue;
        }
        if (c == '"') {
            if ((i = lj_string(j, s, i + 1, len)) == 0)
                return false;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if ((i = lj_number(j, s, i, len)) == 0)
                return false;
        } else {
            static const struct {
                const char *w;
                size_t n;
                uint8_t type;
            } lits[] = {{"true", 4, LJ_TRUE}, {"false", 5, LJ_FALSE}, {"null", 4, LJ_NULL}};
            size_t k = 0;
            while (k < 3 && !(len - i >= lits[k].n && memcmp(s + i, lits[k].w, lits[k].n) == 0))
                k++;
            if (k == 3 || !lj_push(j, lits[k].type, i))
                return false;
            i += lits[k].n;
            j->t[j->n - 1].end = (uint32_t)i;
        }
        i = lj_ws(s, i, len);
        want = 2;
        if (depth == 0)
            return i == len;
    }
}

static bool key_is_n(const struct lj *j, uint32_t key, const char *want, size_t wn)
{
    const struct lj_tok *t = &j->t[key];
    return t->end - t->start == wn && !t->esc && memcmp(j->s + t->start, want, wn) == 0;
}

bool ta__lj_key_is(const struct lj *j, uint32_t key, const char *want)
{
    return key_is_n(j, key, want, strlen(want));
}

uint32_t ta__lj_member_next(const struct lj *j, uint32_t o, uint32_t key)
{
    uint32_t k = key == 0 ? o + 1 : j->t[key + 1].next;
    return k < j->t[o].next ? k : 0;
}

uint32_t ta__lj_get(const struct lj *j, uint32_t o, const char *key)
{
    if (o >= j->n || j->t[o].type != LJ_OBJ)
        return 0;
    size_t wn = strlen(key);
    uint32_t end = j->t[o].next;
    for (uint32_t k = o + 1; k < end; k = j->t[k + 1].next)
        if (key_is_n(j, k, key, wn))
            return k + 1;
    return 0;
}

/* ---- arena and scalars --------------------------------------------------------- */

struct ta_str ta__ls_copy(struct ls_arena *a, const char *p, size_t n)
{
    struct ta_str r = {NULL, 0};
    /* Never grown: views handed out earlier in the line would dangle. Sized at
     * creation from the line cap; a line whose copies do not fit loses the rest. */
    if (n + 1 > a->cap - a->len)
        return r;
    memcpy(a->buf + a->len, p, n);
    a->buf[a->len + n] = 0;
    r.ptr = a->buf + a->len;
    r.len = (uint32_t)n;
    a->len += n + 1;
    return r;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

struct ta_str ta__lj_str(const struct lj *j, uint32_t i, struct ls_arena *a)
{
    struct ta_str r = {NULL, 0};
    if (i == 0 || i >= j->n || j->t[i].type != LJ_STR)
        return r;
    const struct lj_tok *t = &j->t[i];
    const char *p = j->s + t->start;
    size_t n = t->end - t->start;
    if (!t->esc)
        return ta__ls_copy(a, p, n);
    /* Unescaped text is never longer than the escaped one. */
    r = ta__ls_copy(a, p, n);
    if (r.ptr == NULL)
        return r;
    char *o = (char *)r.ptr;
    size_t w = 0;
    for (size_t k = 0; k < n; k++) {
        if (p[k] != '\\') {
            o[w++] = p[k];
            continue;
        }
        char e = p[++k];
        switch (e) {
        case 'b':
            o[w++] = '\b';
            break;
        case 'f':
            o[w++] = '\f';
            break;
        case 'n':
            o[w++] = '\n';
            break;
        case 'r':
            o[w++] = '\r';
            break;
        case 't':
            o[w++] = '\t';
            break;
        case 'u': {
            uint32_t cp = 0;
            for (size_t h = 1; h <= 4; h++)
                cp = cp << 4 | (uint32_t)hexv(p[k + h]);
            k += 4;
            /* A surrogate pair joins; a lone surrogate becomes U+FFFD. */
            if (cp >= 0xd800 && cp < 0xdc00 && n - k > 6 && p[k + 1] == '\\' && p[k + 2] == 'u') {
                uint32_t lo = 0;
                for (size_t h = 3; h <= 6; h++)
                    lo = lo << 4 | (uint32_t)hexv(p[k + h]);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    k += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd;
            /* \u escapes take 6 bytes for at most 4 written (a pair 12 for 4). */
            w += put_utf8(o + w, cp);
            break;
        }
        default:
            o[w++] = e;
            break;
        }
    }
    o[w] = 0;
    r.len = (uint32_t)w;
    return r;
}

bool ta__ls_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

void ta__ls_fingerprint(char *dst, size_t cap, const char *s, size_t n)
{
    dst[0] = 0;
    if (s == NULL || n >= cap)
        return;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return;
    memcpy(dst, s, n);
    dst[n] = 0;
}

bool ta__lj_u64(const struct lj *j, uint32_t i, uint64_t *out)
{
    if (i == 0 || j->t[i].type != LJ_NUM)
        return false;
    return ta__ls_u64(j->s + j->t[i].start, j->t[i].end - j->t[i].start, out);
}

bool ta__ls_time_epoch(const char *s, size_t n, ta_time_us *out)
{
    size_t dot = 0;
    while (dot < n && s[dot] != '.')
        dot++;
    uint64_t sec, us = 0;
    if (!ta__ls_u64(s, dot, &sec) || sec > 253402300799ull)
        return false;
    if (dot < n) {
        size_t f = dot + 1;
        if (f == n)
            return false;
        uint64_t scale = 100000;
        for (size_t i = f; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            us += (uint64_t)(s[i] - '0') * scale;
            scale /= 10;
        }
    }
    *out = sec * 1000000u + us;
    return true;
}

bool ta__lj_double(const struct lj *j, uint32_t i, double *out)
{
    if (i == 0 || j->t[i].type != LJ_NUM)
        return false;
    char b[64];
    size_t n = j->t[i].end - j->t[i].start;
    if (n >= sizeof(b))
        return false;
    memcpy(b, j->s + j->t[i].start, n);
    b[n] = 0;
    char *e;
    *out = strtod(b, &e);
    return *e == 0 && isfinite(*out);
}

static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool ta__ls_time_iso(const char *s, size_t n, ta_time_us *out)
{
    unsigned y, mo, d, h, mi, se;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    size_t i = 19;
    uint64_t us = 0;
    if (i < n && s[i] == '.') {
        i++;
        uint64_t scale = 100000;
        size_t f = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            us += (uint64_t)(s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == f)
            return false;
    }
    int64_t off = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        size_t k = i + 1;
        if (n - k >= 5 && s[k + 2] == ':') {
            if (!digits(s + k, 2, &oh) || !digits(s + k + 3, 2, &om))
                return false;
            k += 5;
        } else if (n - k >= 4) {
            if (!digits(s + k, 2, &oh) || !digits(s + k + 2, 2, &om))
                return false;
            k += 4;
        } else {
            return false;
        }
        off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i = k;
    }
    if (i != n)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    if (secs < 0)
        return false;
    *out = (ta_time_us)secs * 1000000u + us;
    return true;
}

bool ta__ls_addr(const char *s, size_t n, struct ta_addr *out)
{
    char b[TA_ADDR_STRLEN];
    if (n == 0 || n >= sizeof(b))
        return false;
    memcpy(b, s, n);
    b[n] = 0;
    return ta_addr_parse(out, b);
}

/* ---- join table --------------------------------------------------------------------- */

ta_err ta__ls_joins_init(struct ls_joins *t, uint32_t max, uint64_t *evicted)
{
    memset(t, 0, sizeof(*t));
    uint32_t sets = 1;
    while (sets * LS_WAYS < max && sets < (1u << 28))
        sets <<= 1;
    t->slots = calloc((size_t)sets * LS_WAYS, sizeof(*t->slots));
    if (t->slots == NULL)
        return TA_ERR_NOMEM;
    t->mask = sets - 1;
    t->evicted = evicted;
    return TA_OK;
}

void ta__ls_joins_release(struct ls_joins *t)
{
    free(t->slots);
    t->slots = NULL;
}

static struct ls_join *set_of(struct ls_joins *t, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return &t->slots[(size_t)((h >> 32) & t->mask) * LS_WAYS];
}

struct ls_join *ta__ls_joins_find(struct ls_joins *t, uint64_t key)
{
    key |= 1; /* 0 marks a free slot */
    struct ls_join *s = set_of(t, key);
    for (int w = 0; w < LS_WAYS; w++)
        if (s[w].key == key)
            return &s[w];
    return NULL;
}

struct ls_join *ta__ls_joins_put(struct ls_joins *t, uint64_t key, bool *fresh)
{
    key |= 1;
    struct ls_join *s = set_of(t, key), *victim = &s[0];
    for (int w = 0; w < LS_WAYS; w++) {
        if (s[w].key == key) {
            *fresh = false;
            return &s[w];
        }
        if (victim->key != 0 && (s[w].key == 0 || s[w].seq < victim->seq))
            victim = &s[w];
    }
    if (victim->key != 0)
        (*t->evicted)++;
    memset(victim, 0, sizeof(*victim));
    victim->key = key;
    victim->seq = ++t->seq;
    *fresh = true;
    return victim;
}

void ta__ls_joins_del(struct ls_joins *t, struct ls_join *e)
{
    (void)t;
    e->key = 0;
}

/* ---- the reader ------------------------------------------------------------------------ */

void ta__ls_reject(struct ta_logsrc *ls)
{
    ls->st.rejected++;
    if (ls->st.first_rejected == 0)
        ls->st.first_rejected = ls->line_no;
}

void ta__ls_flow(struct ta_logsrc *ls, const struct ta_flow *f)
{
    ((struct ta_flow *)f)->origin = &ls->origin;
    ls->st.flows++;
    if (ls->sink != NULL && ls->sink->on_flow != NULL)
        ls->sink->on_flow(ls->sink->ud, f);
}

void ta__ls_record(struct ta_logsrc *ls, const struct ta_flow *f, uint32_t type, const void *rec)
{
    if (type == TA_REC_DNS)
        ls->st.dns++;
    else if (type == TA_REC_HTTP)
        ls->st.http++;
    else if (type == TA_REC_TLS)
        ls->st.tls++;
    struct ta_flow *g = (struct ta_flow *)f;
    g->origin = &ls->origin;
    /* A record's connection was open: with packets its flow has seen the handshake by
     * then (established for the detector), and a response went back. */
    if (g->proto == 6 && g->tcp_flags_tc == 0) {
        g->tcp_flags_ts = TA_TCP_SYN | TA_TCP_ACK;
        g->tcp_flags_tc = TA_TCP_SYN | TA_TCP_ACK;
        g->tcp_state = TA_TCP_STATE_ESTABLISHED;
    }
    if (g->pkts_toserver == 0 && g->pkts_toclient == 0) {
        g->pkts_toserver = 1;
        g->pkts_toclient =
            type == TA_REC_DNS && !((const struct ta_dns_record *)rec)->response ? 0 : 1;
    }
    if (ls->sink != NULL && ls->sink->on_record != NULL)
        ls->sink->on_record(ls->sink->ud, f, type, rec);
}

ta_err ta_logsrc_new(enum ta_input_kind kind, const struct ta_logsrc_opts *o,
                     const struct ta_obs_sink *sink, struct ta_logsrc **out, char *errbuf,
                     size_t errlen)
{
    *out = NULL;
    if (kind != TA_INPUT_EVE && kind != TA_INPUT_ZEEK && kind != TA_INPUT_ACCESS_LOG) {
        snprintf(errbuf, errlen, "unknown log kind %d", (int)kind);
        return TA_ERR_ARG;
    }
    struct ta_logsrc *ls = calloc(1, sizeof(*ls));
    if (ls == NULL)
        return TA_ERR_NOMEM;
    ls->kind = kind;
    ls->origin.format = ta_input_kind_name(kind);
    ls->origin.sampling = 1;
    ta_logsrc_opts_default(&ls->o);
    if (o != NULL) {
        ls->o = *o;
        struct ta_logsrc_opts d;
        ta_logsrc_opts_default(&d);
        if (ls->o.max_line == 0)
            ls->o.max_line = d.max_line;
        if (ls->o.max_flows == 0)
            ls->o.max_flows = d.max_flows;
        if (ls->o.max_certs == 0)
            ls->o.max_certs = d.max_certs;
        if (ls->o.max_files == 0)
            ls->o.max_files = d.max_files;
        if (ls->o.server_port == 0)
            ls->o.server_port = d.server_port;
    }
    ls->sink = sink;
    ta_err err = ta__ls_joins_init(&ls->joins, ls->o.max_flows, &ls->st.evicted);
    if (err == TA_OK && kind != TA_INPUT_ACCESS_LOG && (ls->lj = malloc(sizeof(*ls->lj))) == NULL)
        err = TA_ERR_NOMEM;
    /* Unescaped strings are never longer than the line; joined values and the NULs
     * of short values are what the rest is for. */
    ls->arena.cap = 2 * (size_t)ls->o.max_line + 65536;
    if (err == TA_OK && (ls->arena.buf = malloc(ls->arena.cap)) == NULL)
        err = TA_ERR_NOMEM;
    if (err == TA_OK && kind == TA_INPUT_ZEEK)
        err = ta__zeek_new(ls);
    if (err == TA_OK && kind == TA_INPUT_ACCESS_LOG)
        err = ta__web_new(ls, errbuf, errlen);
    if (err != TA_OK) {
        if (err == TA_ERR_NOMEM)
            snprintf(errbuf, errlen, "out of memory");
        ta_logsrc_free(ls);
        return err;
    }
    *out = ls;
    return TA_OK;
}

void ta_logsrc_free(struct ta_logsrc *ls)
{
    if (ls == NULL)
        return;
    ta__zeek_free(ls);
    ta__web_free(ls);
    ta__ls_joins_release(&ls->joins);
    free(ls->arena.buf);
    free(ls->lj);
    free(ls);
}

void ta_logsrc_begin(struct ta_logsrc *ls, const char *name)
{
    ls->file = name;
    ls->line_no = 0;
    ls->st.files++;
    if (ls->kind == TA_INPUT_ZEEK)
        ta__zeek_begin(ls, name);
    else if (ls->kind == TA_INPUT_ACCESS_LOG)
        ta__web_begin(ls);
}

void ta_logsrc_line(struct ta_logsrc *ls, const char *line, size_t len)
{
    ls->line_no++;
    ls->st.lines++;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > ls->o.max_line) {
        ta__ls_reject(ls);
        return;
    }
    ls->arena.len = 0;
    switch (ls->kind) {
    case TA_INPUT_EVE:
        ta__eve_line(ls, line, len);
        break;
    case TA_INPUT_ZEEK:
        ta__zeek_line(ls, line, len);
        break;
    default:
        ta__web_line(ls, line, len);
        break;
    }
}

void ta_logsrc_get_stats(const struct ta_logsrc *ls, struct ta_logsrc_stats *st)
{
    *st = ls->st;
}

/* ---- files as lines ---------------------------------------------------------------------- */

/*
 * Reads of 64 KiB into a buffer that starts at twice that and grows, up to the line cap,
 * only for a line that needs it: a merge of many Zeek files holds little per file.
 */
#define READ_CHUNK (64u * 1024u)

ta_err ta__ls_lines_open(struct ls_lines *r, const char *path, uint32_t max_line, char *errbuf,
                         size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->gz = gzopen(path, "rb");
    if (r->gz == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path,
                 errno ? strerror(errno) : "out of memory");
        return TA_ERR_IO;
    }
    gzbuffer(r->gz, READ_CHUNK);
    r->cap = 2 * READ_CHUNK;
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        gzclose(r->gz);
        r->gz = NULL;
        snprintf(errbuf, errlen, "out of memory");
        return TA_ERR_NOMEM;
    }
    r->max_line = max_line;
    r->path = path;
    return TA_OK;
}

void ta__ls_lines_close(struct ls_lines *r)
{
    if (r->gz != NULL)
        gzclose(r->gz);
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

int ta__ls_lines_next(struct ls_lines *r, const char **line, size_t *len, char *errbuf,
                      size_t errlen)
{
    for (;;) {
        char *nl = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
        if (nl != NULL) {
            size_t at = (size_t)(nl - r->buf);
            *line = r->buf + r->start;
            *len = at - r->start;
            r->start = at + 1;
            if (r->skipping) {
                /* The tail of a line that was too long: the line was counted already. */
                r->skipping = false;
                continue;
            }
            return 1;
        }
        if (r->eof) {
            if (r->end > r->start && !r->skipping) {
                *line = r->buf + r->start;
                *len = r->end - r->start;
                r->start = r->end;
                return 1;
            }
            return 0;
        }
        if (r->skipping) {
            /* Still inside a line that was too long: drop what was read of it. */
            r->start = r->end = 0;
        } else if (r->end - r->start > r->max_line) {
            /* Too long: hand out a line one byte over the cap (it is rejected) and drop the
             * rest up to the next line end. */
            *line = r->buf + r->start;
            *len = (size_t)r->max_line + 1;
            r->start = r->end = 0;
            r->skipping = true;
            return 1;
        }
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        size_t most = (size_t)r->max_line + READ_CHUNK + 1;
        if (r->cap - r->end < READ_CHUNK && r->cap < most) {
            size_t ncap = r->cap * 2 < most ? r->cap * 2 : most;
            char *nb = realloc(r->buf, ncap);
            if (nb == NULL) {
                snprintf(errbuf, errlen, "cannot read %s: out of memory", r->path);
                return -1;
            }
            r->buf = nb;
            r->cap = ncap;
        }
        size_t room = r->cap - r->end;
        if (room > READ_CHUNK)
            room = READ_CHUNK;
        int n = gzread(r->gz, r->buf + r->end, (unsigned)room);
        if (n < 0) {
            int zerr;
            const char *m = gzerror(r->gz, &zerr);
            snprintf(errbuf, errlen, "cannot read %s: %s", r->path,
                     zerr == Z_ERRNO ? strerror(errno) : m);
            return -1;
        }
        if (n == 0) {
            /* A truncated gzip stream reads as the end: say so rather than go on silently. */
            int zerr;
            const char *m = gzerror(r->gz, &zerr);
            if (zerr != Z_OK) {
                snprintf(errbuf, errlen, "cannot read %s: %s", r->path, m);
                return -1;
            }
            r->eof = true;
        }
        r->end += (size_t)n;
    }
}

static ta_err read_one(struct ta_logsrc *ls, const char *path, char *errbuf, size_t errlen)
{
    struct ls_lines r;
    ta_err err = ta__ls_lines_open(&r, path, ls->o.max_line, errbuf, errlen);
    if (err != TA_OK)
        return err;
    ta_logsrc_begin(ls, path);
    const char *line;
    size_t len;
    int rc = 0;
    while (!ta__ls_stopped(ls) && (rc = ta__ls_lines_next(&r, &line, &len, errbuf, errlen)) > 0)
        ta_logsrc_line(ls, line, len);
    ta__ls_lines_close(&r);
    if (rc < 0)
        return TA_ERR_IO;
    return ta__ls_stopped(ls) ? TA_ERR_INTERRUPTED : TA_OK;
}

ta_err ta_logsrc_read_files(struct ta_logsrc *ls, const char *const *paths, size_t n, char *errbuf,
                            size_t errlen)
{
    if (ls->kind == TA_INPUT_ZEEK)
        return ta__zeek_read_files(ls, paths, n, errbuf, errlen);
    for (size_t i = 0; i < n; i++) {
        ta_err err = read_one(ls, paths[i], errbuf, errlen);
        if (err != TA_OK)
            return err;
    }
    return TA_OK;
}

void ta_logsrc_finish(struct ta_logsrc *ls)
{
    (void)ls;
}

void ta_logsrc_set_stop(struct ta_logsrc *ls, volatile sig_atomic_t *stop)
{
    ls->stop = stop;
}

/* ---- the observation-source registry's readers ------------------------------------------ */

#include <dirent.h>
#include <sys/stat.h>

struct obs_state {
    struct ta_logsrc *ls;
    char *where;
    char **paths;
    size_t n;
};

static void obs_close(void *state)
{
    struct obs_state *s = state;
    if (s == NULL)
        return;
    ta_logsrc_free(s->ls);
    free(s->where);
    for (size_t i = 0; i < s->n; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its regular files in name order (a Zeek log directory, rotated logs). */
static ta_err obs_paths(struct obs_state *s, const char *where, uint32_t max, char *errbuf,
                        size_t errlen)
{
    struct stat sb;
    if (stat(where, &sb) != 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", where, strerror(errno));
        return TA_ERR_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        s->paths = calloc(1, sizeof(*s->paths));
        if (s->paths == NULL || (s->paths[0] = strdup(where)) == NULL)
            goto nomem;
        s->n = 1;
        return TA_OK;
    }
    DIR *d = opendir(where);
    if (d == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", where, strerror(errno));
        return TA_ERR_IO;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        int pn = snprintf(p, sizeof(p), "%s/%s", where, de->d_name);
        if (pn <= 0 || (size_t)pn >= sizeof(p) || stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (s->n == max) {
            closedir(d);
            snprintf(errbuf, errlen, "%s: more than %u files", where, max);
            return TA_ERR_LIMIT;
        }
        if (s->n == cap) {
            cap = cap ? 2 * cap : 16;
            char **np = realloc(s->paths, cap * sizeof(*np));
            if (np == NULL) {
                closedir(d);
                goto nomem;
            }
            s->paths = np;
        }
        if ((s->paths[s->n] = strdup(p)) == NULL) {
            closedir(d);
            goto nomem;
        }
        s->n++;
    }
    closedir(d);
    if (s->n == 0) {
        snprintf(errbuf, errlen, "%s: no files in the directory", where);
        return TA_ERR_FORMAT;
    }
    qsort(s->paths, s->n, sizeof(*s->paths), cmp_str);
    return TA_OK;
nomem:
    snprintf(errbuf, errlen, "%s: out of memory", where);
    return TA_ERR_NOMEM;
}

static ta_err obs_open(enum ta_input_kind kind, const char *where, const struct ta_obsrc_opts *o,
                       void **state, char *errbuf, size_t errlen)
{
    *state = NULL;
    struct obs_state *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", where);
        return TA_ERR_NOMEM;
    }
    struct ta_logsrc_opts lo;
    ta_logsrc_opts_default(&lo);
    lo.access_format = o->access_format;
    lo.server_addr = o->access_server;
    char e[256];
    ta_err err = ta_logsrc_new(kind, &lo, NULL, &s->ls, e, sizeof(e));
    if (err != TA_OK) {
        snprintf(errbuf, errlen, "%s: %s", where, e);
        obs_close(s);
        return err;
    }
    s->where = strdup(where);
    if (s->where == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", where);
        obs_close(s);
        return TA_ERR_NOMEM;
    }
    err = obs_paths(s, where, lo.max_files, errbuf, errlen);
    if (err != TA_OK) {
        obs_close(s);
        return err;
    }
    *state = s;
    return TA_OK;
}

static ta_err obs_run(void *state, const struct ta_obsrc_run *r, char *errbuf, size_t errlen)
{
    struct obs_state *s = state;
    s->ls->sink = r->out;
    s->ls->stop = r->stop;
    ta_err err = ta_logsrc_read_files(s->ls, (const char *const *)s->paths, s->n, errbuf, errlen);
    ta_logsrc_finish(s->ls);
    return err;
}

static void obs_stats(const void *state, struct ta_obsrc_stats *st)
{
    const struct obs_state *s = state;
    const struct ta_logsrc_stats *l = &s->ls->st;
    memset(st, 0, sizeof(*st));
    st->datagrams = l->lines;
    st->records = l->flows + l->dns + l->http + l->tls;
    st->rejected = l->rejected;
    st->skipped = l->ignored;
}

static size_t obs_origins(const void *state, struct ta_obsrc_origin *out, size_t max)
{
    const struct obs_state *s = state;
    if (max > 0) {
        memset(out, 0, sizeof(*out));
        /* A log has no exporter: the file (or directory) it came from names the sensor. */
        const char *w = s->where != NULL ? s->where : "";
        const char *b = strrchr(w, '/');
        snprintf(out->exporter, sizeof(out->exporter), "%s", b != NULL && b[1] ? b + 1 : w);
        out->format = s->ls->origin.format;
        out->sampling = 1;
        out->records = s->ls->st.flows + s->ls->st.dns + s->ls->st.http + s->ls->st.tls;
    }
    return 1;
}

static ta_err eve_open(const char *where, const struct ta_obsrc_opts *o, void **state, char *errbuf,
                       size_t errlen)
{
    return obs_open(TA_INPUT_EVE, where, o, state, errbuf, errlen);
}

static ta_err zeek_open(const char *where, const struct ta_obsrc_opts *o, void **state,
                        char *errbuf, size_t errlen)
{
    return obs_open(TA_INPUT_ZEEK, where, o, state, errbuf, errlen);
}

static ta_err access_open(const char *where, const struct ta_obsrc_opts *o, void **state,
                          char *errbuf, size_t errlen)
{
    return obs_open(TA_INPUT_ACCESS_LOG, where, o, state, errbuf, errlen);
}

static size_t obs_files(const void *state, const char **out, size_t max)
{
    const struct obs_state *s = state;
    for (size_t i = 0; i < s->n && i < max; i++)
        out[i] = s->paths[i];
    return s->n;
}

const struct ta_obsrc_ops ta__obsrc_eve = {
    .kind = TA_INPUT_EVE,
    .open = eve_open,
    .run = obs_run,
    .stats = obs_stats,
    .origins = obs_origins,
    .close = obs_close,
    .files = obs_files,
};

const struct ta_obsrc_ops ta__obsrc_zeek = {
    .kind = TA_INPUT_ZEEK,
    .open = zeek_open,
    .run = obs_run,
    .stats = obs_stats,
    .origins = obs_origins,
    .close = obs_close,
    .files = obs_files,
};

const struct ta_obsrc_ops ta__obsrc_access_log = {
    .kind = TA_INPUT_ACCESS_LOG,
    .open = access_open,
    .run = obs_run,
    .stats = obs_stats,
    .origins = obs_origins,
    .close = obs_close,
    .files = obs_files,
};
