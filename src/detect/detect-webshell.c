/*
 * Webshell request/response analysis: recognises the HTTP exchanges of the
 * common webshell managers (China Chopper, AntSword, Behinder, Godzilla) and
 * generic eval/assert/command payloads, plus a weak body-statistics signal.
 *
 * Part of stage 6 (detect). Pure function over one request and its
 * response: no state, no allocation; every body is read through bounds
 * checked helpers, at most TA_WS_SCAN bytes of each. The shapes follow the
 * published descriptions of these tools (Emerging Threats web_server rules,
 * signature-base webshell YARA rules, the tools' own sources):
 *   - China Chopper posts `@eval(base64_decode($_POST[z0]))` with the
 *     payload in z0 (z1, z2 for arguments) and frames output in ->| ... |<-.
 *   - AntSword posts `@ini_set("display_errors", "0");@set_time_limit(0)`
 *     payloads under random parameter names, optionally through base64 /
 *     rot13 / chr() encoders and 0x-hex arguments; its default UA names it.
 *   - Behinder v3/v4 posts the raw AES ciphertext (optionally base64) as
 *     the whole body: a decoded length that is a multiple of the block size;
 *     v4's other transports XOR its code with a 16-byte key (raw or base64)
 *     or wrap the ciphertext in JSON or behind an image.
 *   - Godzilla (PHP_XOR_BASE64, JAVA_AES_BASE64...) posts one parameter
 *     (default `pass`) holding base64 of an XOR/AES-encrypted payload, and
 *     wraps each response in the two 16-hex-digit halves of an md5; its raw
 *     variants post and answer bare ciphertext, told from Behinder's by the
 *     session cookie it echoes with a trailing ';' and its default headers.
 *   - AntSword's JSP shell receives a compiled class (base64 or hex).
 */
#include "threatatlas/detect.h"

#include <math.h>
#include <string.h>

#include "common/base64.h"
#include "detect/detect-util.h"

#include "common/banned.h"

#define TA_WS_SCAN (64u * 1024u) /* bytes of a body examined */
#define VIEW_CAP   8192u         /* bytes of one decoded view */
#define MAX_VIEWS  24u
#define MAX_PARAMS 64u

static const char *const family_names[TA_WS__COUNT] = {
    [TA_WS_NONE] = "none",
    [TA_WS_CHOPPER] = "china-chopper",
    [TA_WS_ANTSWORD] = "antsword",
    [TA_WS_BEHINDER] = "behinder",
    [TA_WS_GODZILLA] = "godzilla",
    [TA_WS_GENERIC] = "generic",
    [TA_WS_STATS] = "suspicious-body",
};

const char *ta_webshell_family_name(enum ta_webshell_family f)
{
    if ((unsigned)f >= TA_WS__COUNT)
        return "none";
    return family_names[f];
}

double ta_detect_entropy(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return 0.0;
    size_t counts[256] = {0};
    for (size_t i = 0; i < len; i++)
        counts[buf[i]]++;
    double h = 0.0;
    for (unsigned i = 0; i < 256; i++) {
        if (counts[i] == 0)
            continue;
        double p = (double)counts[i] / (double)len;
        h -= p * log2(p);
    }
    return h;
}

/* A decoded piece of the request body that markers are searched in. */
struct view {
    const uint8_t *p;
    size_t n;
};

struct param {
    const uint8_t *name, *value; /* raw (still percent-encoded) */
    size_t name_len, value_len;
};

struct ctx {
    const struct ta_webshell_input *in;
    const uint8_t *body;
    size_t body_len;
    struct param params[MAX_PARAMS];
    size_t nparams;
    bool is_form; /* body parses as name=value pairs */
    struct view views[MAX_VIEWS];
    size_t nviews;
    uint8_t arena[MAX_VIEWS * VIEW_CAP / 2];
    size_t arena_used;
};

static uint8_t *arena_take(struct ctx *c, size_t *cap)
{
    size_t left = sizeof(c->arena) - c->arena_used;
    if (left == 0 || c->nviews >= MAX_VIEWS)
        return NULL;
    *cap = left < VIEW_CAP ? left : VIEW_CAP;
    return c->arena + c->arena_used;
}

static void arena_commit(struct ctx *c, uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    c->arena_used += n;
    c->views[c->nviews].p = p;
    c->views[c->nviews].n = n;
    c->nviews++;
}

static void add_view_raw(struct ctx *c, const uint8_t *p, size_t n)
{
    if (c->nviews >= MAX_VIEWS || n == 0)
        return;
    c->views[c->nviews].p = p;
    c->views[c->nviews].n = n;
    c->nviews++;
}

static bool name_char(uint8_t ch)
{
    return ch > 0x20 && ch < 0x7f && ch != '=' && ch != '&';
}

/* Split an x-www-form-urlencoded body; false if it does not look like one. */
static void parse_form(struct ctx *c)
{
    const uint8_t *b = c->body;
    size_t n = c->body_len, i = 0;
    c->is_form = false;
    c->nparams = 0;
    /* A base64 blob ends in '=' padding but is not a form, nor is JSON
     * whose strings hold one. */
    if (ta_base64_valid(b, n) || (n > 0 && (b[0] == '{' || b[0] == '[')))
        return;
    while (i < n && c->nparams < MAX_PARAMS) {
        size_t start = i;
        while (i < n && b[i] != '=' && b[i] != '&')
            i++;
        if (i == n || b[i] != '=' || i == start)
            return;
        for (size_t k = start; k < i; k++)
            if (!name_char(b[k]))
                return;
        struct param *p = &c->params[c->nparams++];
        p->name = b + start;
        p->name_len = i - start;
        i++; /* '=' */
        size_t vs = i;
        /* Forms carry text, even unencoded: a control byte means ciphertext
         * that happens to hold an '=' sign. */
        while (i < n && b[i] != '&') {
            if (b[i] < 0x20 && b[i] != '\t' && b[i] != '\r' && b[i] != '\n') {
                c->nparams = 0;
                return;
            }
            i++;
        }
        p->value = b + vs;
        p->value_len = i - vs;
        if (i < n)
            i++; /* '&' */
    }
    c->is_form = c->nparams > 0;
}

static bool name_is(const struct param *p, const char *s)
{
    size_t m = strlen(s);
    if (p->name_len != m)
        return false;
    for (size_t i = 0; i < m; i++) {
        uint8_t a = p->name[i], b = (uint8_t)s[i];
        if (a >= 'A' && a <= 'Z')
            a = (uint8_t)(a + 32);
        if (a != b)
            return false;
    }
    return true;
}

static void rot13(const uint8_t *s, size_t n, uint8_t *d)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (uint8_t)('a' + (ch - 'a' + 13) % 26);
        else if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)('A' + (ch - 'A' + 13) % 26);
        d[i] = ch;
    }
}

/* Decode "chr(64).chr(105)..." (also ChrW(...)) into bytes. */
static size_t chr_decode(const uint8_t *s, size_t n, uint8_t *d, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i + 4 < n && o < cap; i++) {
        if ((s[i] | 0x20) != 'c' || (s[i + 1] | 0x20) != 'h' || (s[i + 2] | 0x20) != 'r')
            continue;
        size_t k = i + 3;
        if (k < n && (s[k] | 0x20) == 'w')
            k++;
        if (k >= n || s[k] != '(')
            continue;
        k++;
        unsigned v = 0, digits = 0;
        while (k < n && s[k] >= '0' && s[k] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(s[k] - '0');
            k++;
            digits++;
        }
        if (digits > 0 && k < n && s[k] == ')' && v < 256)
            d[o++] = (uint8_t)v;
        i = k;
    }
    return o;
}

/*
 * Build the decoded views: the percent-decoded body, and for each parameter
 * value its percent-decoded text and what base64 (with or without a short
 * random prefix), rot13, 0x-hex and chr() encoders turn it into.
 */
static void build_views(struct ctx *c)
{
    size_t cap;
    uint8_t *d = arena_take(c, &cap);
    if (d != NULL)
        arena_commit(c, d, ta__detect_urldecode(c->body, c->body_len, d, cap));
    if (c->in->url != NULL) {
        size_t ulen = strnlen(c->in->url, TA_WS_SCAN);
        d = arena_take(c, &cap);
        if (d != NULL)
            arena_commit(c, d, ta__detect_urldecode((const uint8_t *)c->in->url, ulen, d, cap));
    }
    bool want_rot13 = false;
    for (size_t i = 0; i < c->nviews; i++)
        if (ta__detect_icontains(c->views[i].p, c->views[i].n, "str_rot13"))
            want_rot13 = true;
    for (size_t pi = 0; pi < c->nparams && c->nviews < MAX_VIEWS; pi++) {
        const struct param *p = &c->params[pi];
        uint8_t val[VIEW_CAP];
        size_t vn = ta__detect_urldecode(p->value, p->value_len, val, sizeof(val));
        if (vn == 0)
            continue;
        /* base64, also after AntSword's 1-3 random prefix characters. */
        for (size_t skip = 0; skip <= 3 && skip < vn; skip++) {
            if (vn - skip >= 8 && ta_base64_valid(val + skip, vn - skip)) {
                d = arena_take(c, &cap);
                if (d == NULL)
                    break;
                size_t dn = ta_base64_decode(val + skip, vn - skip, d, cap);
                /* Keep only decodings that read as text: a real payload. */
                if (ta__detect_binary_fraction(d, dn) < 0.05)
                    arena_commit(c, d, dn);
                break;
            }
        }
        if (vn > 4 && val[0] == '0' && (val[1] | 0x20) == 'x') {
            size_t k = 2;
            while (k < vn && ta__detect_is_hex(val[k]))
                k++;
            if (k == vn && (vn - 2) % 2 == 0 && (d = arena_take(c, &cap)) != NULL) {
                size_t o = 0;
                for (size_t j = 2; j + 1 < vn && o < cap; j += 2)
                    d[o++] =
                        (uint8_t)(ta__detect_hexval(val[j]) << 4 | ta__detect_hexval(val[j + 1]));
                arena_commit(c, d, o);
            }
        }
        if (ta__detect_icount(val, vn, "chr(", 8) >= 8 && (d = arena_take(c, &cap)) != NULL)
            arena_commit(c, d, chr_decode(val, vn, d, cap));
        if (want_rot13 && (d = arena_take(c, &cap)) != NULL) {
            size_t n = vn < cap ? vn : cap;
            rot13(val, n, d);
            arena_commit(c, d, n);
        }
    }
    /* A JSP/ASPX payload may arrive unencoded in a non-form body. */
    if (!c->is_form)
        add_view_raw(c, c->body, c->body_len);
}

static bool views_have(const struct ctx *c, const char *needle)
{
    for (size_t i = 0; i < c->nviews; i++)
        if (ta__detect_icontains(c->views[i].p, c->views[i].n, needle))
            return true;
    return false;
}

static bool is_post(const struct ta_webshell_input *in)
{
    return in->method != NULL && strcmp(in->method, "POST") == 0;
}

static bool script_url(const char *url)
{
    if (url == NULL)
        return false;
    size_t n = strcspn(url, "?#");
    static const char *const exts[] = {".php",  ".jsp",  ".jspx",  ".asp", ".aspx", ".ashx",
                                       ".asmx", ".php5", ".phtml", ".cfm", ".cgi"};
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t m = strlen(exts[i]);
        if (n >= m && ta__detect_ifind((const uint8_t *)url + n - m, m, exts[i]) == 0)
            return true;
    }
    return false;
}

/* Godzilla's response: md5[0:16] + base64 + md5[16:32] (hex). */
static bool godzilla_response(const uint8_t *r, size_t n)
{
    if (n < 36)
        return false;
    for (size_t i = 0; i < 16; i++)
        if (!ta__detect_is_hex(r[i]) || !ta__detect_is_hex(r[n - 16 + i]))
            return false;
    return ta_base64_valid(r + 16, n - 32);
}

/*
 * Whether n symbols of an alphabet of 2^bits look drawn at random: their
 * entropy reaches 80 % of what n uniform draws give (log2 n while n is
 * below the alphabet, bits after). Ciphertext passes by a wide margin; a
 * body of one repeated character, padding or text does not, although each
 * can be valid base64 of a block-sized length.
 */
static bool random_looking(const uint8_t *s, size_t n, double bits)
{
    double most = log2((double)n);
    if (most > bits)
        most = bits;
    return ta_detect_entropy(s, n) >= 0.8 * most;
}

/* Ciphertext of a block cipher, raw or base64: length a multiple of 16. */
static bool aes_like(const uint8_t *s, size_t n, bool *was_b64)
{
    *was_b64 = false;
    if (n >= 24 && ta_base64_valid(s, n)) {
        *was_b64 = true;
        size_t dn = ta_base64_decoded_len(s, n);
        return dn >= 16 && dn % 16 == 0 && random_looking(s, n, 6.0);
    }
    return n >= 32 && n % 16 == 0 && ta__detect_binary_fraction(s, n) > 0.25 &&
           random_looking(s, n, 8.0);
}

/*
 * XOR with a repeating 16-byte key over text: c[i] ^ c[i+16] is the XOR of
 * two plaintext bytes, which for ASCII text never has its top bit set,
 * while ciphertext of a block cipher or of compressed data sets it half the
 * time. Behinder's XOR transports encrypt its payload code and JSON answers
 * this way (so does Godzilla's first, source-carrying request). The bytes
 * themselves must look encrypted and varied, or text would pass trivially.
 */
static bool xor16_text(const uint8_t *p, size_t n, size_t min)
{
    if (n < min || n < 32 || ta_detect_entropy(p, n) < 5.0)
        return false;
    /* An ASCII key over ASCII text: no byte has its top bit set (which
     * excludes UTF-8 text) and many fall below 0x20 (which plain text never
     * does). */
    size_t high = 0, ctl = 0;
    for (size_t i = 0; i < n; i++) {
        high += p[i] >= 0x80;
        ctl += p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n';
    }
    if (high * 100 > n * 3 || ctl * 10 < n)
        return false;
    size_t clear = 0, total = n - 16;
    for (size_t i = 0; i < total; i++)
        clear += ((p[i] ^ p[i + 16]) & 0x80) == 0;
    return clear * 100 >= total * 97;
}

/* Random-looking binary of any length (a stream or XOR key over compressed data). */
static bool binary_cipher(const uint8_t *p, size_t n)
{
    return n >= 16 && ta__detect_binary_fraction(p, n) > 0.25 && random_looking(p, n, 8.0);
}

/*
 * Godzilla's session: its first answer sets a cookie that the client sends
 * back with a trailing ';', which browsers never write; its default headers
 * are Firefox 84's user agent with that browser's Accept. Used to name the
 * family of a request already shaped like an encrypted webshell exchange.
 */
static bool godzilla_headers(const struct ta_webshell_input *in)
{
    if (in->cookie != NULL) {
        size_t n = strlen(in->cookie);
        while (n > 0 && in->cookie[n - 1] == ' ')
            n--;
        if (n > 1 && in->cookie[n - 1] == ';')
            return true;
    }
    return in->user_agent != NULL && in->accept != NULL &&
           strcmp(in->user_agent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) "
                                  "Gecko/20100101 Firefox/84.0") == 0 &&
           strcmp(in->accept,
                  "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8") ==
               0;
}

/* Behinder's fixed Accept headers (PHP/ASP and Java shells, v3 and v4). */
static bool behinder_accept(const struct ta_webshell_input *in)
{
    return in->accept != NULL &&
           (strcmp(in->accept, "application/json, text/javascript, */*; q=0.01") == 0 ||
            strcmp(in->accept, "text/html,image/gif, image/jpeg, *; q=.2, */*; q=.2") == 0 ||
            strncmp(in->accept,
                    "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/"
                    "apng,*/*;q=0.8,application/signed-exchange",
                    106) == 0);
}

/*
 * The ciphertext inside a wrapper: the first JSON string member of at least
 * 44 base64 characters (decoded into dec), or what follows a PNG's IEND
 * chunk or a JPEG's end-of-image marker. Returns the bytes in *out.
 */
static bool json_cipher(const uint8_t *p, size_t n, uint8_t *dec, size_t cap)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] != '{')
        return false;
    for (; i < n; i++) {
        if (p[i] != '"')
            continue;
        size_t s = i + 1, e = s;
        while (e < n && p[e] != '"' && p[e] != '\\')
            e++;
        if (e >= n)
            return false;
        if (e - s >= 44 && ta_base64_valid(p + s, e - s)) {
            size_t dl = ta_base64_decoded_len(p + s, e - s);
            size_t dn = ta_base64_decode(p + s, e - s, dec, cap);
            return dl % 16 == 0 && dn >= 32 && binary_cipher(dec, dn);
        }
        i = e;
    }
    return false;
}

static bool image_cipher(const uint8_t *p, size_t n)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    size_t end = 0;
    if (n > 8 && memcmp(p, png, 8) == 0) {
        long at = ta__detect_ifind(p, n, "IEND");
        if (at < 0 || (size_t)at + 8 > n)
            return false;
        end = (size_t)at + 8;
    } else if (n > 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
        for (size_t i = 2; i + 1 < n; i++)
            if (p[i] == 0xff && p[i + 1] == 0xd9) {
                end = i + 2;
                break;
            }
    }
    return end > 0 && n - end >= 32 && binary_cipher(p + end, n - end);
}

/* A compiled Java class (magic 0xCAFEBABE) in a parameter, base64 or hex. */
static const char *java_class_param(const struct ctx *c)
{
    for (size_t i = 0; i < c->nparams; i++) {
        const struct param *pr = &c->params[i];
        uint8_t val[64];
        size_t vn = ta__detect_urldecode(pr->value, pr->value_len < 64 ? pr->value_len : 64, val,
                                         sizeof(val));
        if (vn >= 16 && memcmp(val, "yv66vg", 6) == 0 && ta_base64_valid(val, 16))
            return "AntSword JSP class payload (base64)";
        if (vn >= 16 && ta__detect_ifind(val, 8, "cafebabe") == 0) {
            bool hex = true;
            for (size_t k = 0; k < vn; k++)
                hex = hex && ta__detect_is_hex(val[k]);
            if (hex)
                return "AntSword JSP class payload (hex)";
        }
    }
    return NULL;
}

static bool set(struct ta_webshell_verdict *v, enum ta_webshell_family f, uint8_t conf,
                const char *sig)
{
    v->family = f;
    v->confidence = conf;
    v->signature = sig;
    v->suspected = f == TA_WS_STATS;
    return true;
}

static const char *const exec_markers[] = {
    "system(",
    "passthru(",
    "shell_exec(",
    "proc_open(",
    "popen(",
    "pcntl_exec(",
    "exec(",
    "cmd.exe",
    "/bin/sh",
    "/bin/bash",
    "wscript.shell",
    "processbuilder",
    "runtime.getruntime()",
};

static bool generic_payload(const struct ctx *c, const char **sig)
{
    bool eval = views_have(c, "eval(") || views_have(c, "assert(") ||
                views_have(c, "create_function(") || views_have(c, "call_user_func(");
    bool input = views_have(c, "$_post[") || views_have(c, "$_request[") ||
                 views_have(c, "$_get[") || views_have(c, "$_cookie[") ||
                 views_have(c, "request.item[") || views_have(c, "request.form(");
    bool decode = views_have(c, "base64_decode(") || views_have(c, "gzinflate(") ||
                  views_have(c, "str_rot13(") || views_have(c, "frombase64string(") ||
                  views_have(c, "gzuncompress(");
    if (eval && (input || decode)) {
        *sig = "Generic eval/assert webshell payload";
        return true;
    }
    for (size_t i = 0; i < sizeof(exec_markers) / sizeof(exec_markers[0]); i++) {
        if (views_have(c, exec_markers[i]) && (input || decode || eval)) {
            *sig = "Generic command execution webshell payload";
            return true;
        }
    }
    return false;
}

static bool command_param(const struct ctx *c)
{
    static const char *const names[] = {"cmd", "command", "exec", "execute", "shell"};
    static const char *const words[] = {"whoami",   "uname -",   "cat /etc/passwd", "net user",
                                        "ipconfig", "ifconfig",  "/bin/sh",         "cmd.exe",
                                        "id;",      "wget http", "curl http"};
    for (size_t i = 0; i < c->nparams; i++) {
        bool named = false;
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            named = named || name_is(&c->params[i], names[k]);
        if (!named)
            continue;
        uint8_t val[1024];
        size_t vn =
            ta__detect_urldecode(c->params[i].value, c->params[i].value_len, val, sizeof(val));
        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
            if (ta__detect_icontains(val, vn, words[k]))
                return true;
    }
    return false;
}

bool ta_webshell_analyze(const struct ta_webshell_input *in, struct ta_webshell_verdict *out)
{
    memset(out, 0, sizeof(*out));
    out->family = TA_WS_NONE;
    struct ctx c_storage;
    struct ctx *c = &c_storage;
    c->nparams = 0;
    c->nviews = 0;
    c->arena_used = 0;
    c->is_form = false;
    c->in = in;
    c->body = in->req_body;
    c->body_len = in->req_body != NULL ? (in->req_len < TA_WS_SCAN ? in->req_len : TA_WS_SCAN) : 0;
    const uint8_t *resp = in->resp_body;
    size_t resp_len =
        in->resp_body != NULL ? (in->resp_len < TA_WS_SCAN ? in->resp_len : TA_WS_SCAN) : 0;
    out->entropy = ta_detect_entropy(c->body, c->body_len);

    bool post = is_post(in);
    bool script = script_url(in->url);
    const char *ua = in->user_agent;

    /* The default AntSword user agent names the tool. */
    if (ua != NULL && ta__detect_icontains((const uint8_t *)ua, strlen(ua), "antsword"))
        return set(out, TA_WS_ANTSWORD, 95, "AntSword user agent");

    if (c->body_len == 0 && !(in->url != NULL && strchr(in->url, '?') != NULL)) {
        if (post && resp_len >= 6 && memcmp(resp, "->|", 3) == 0 &&
            ta__detect_icontains(resp, resp_len, "|<-"))
            return set(out, TA_WS_CHOPPER, 85, "China Chopper response framing");
        return false;
    }
    parse_form(c);
    build_views(c);

    /*
     * AntSword's classic ASP payload hides the word Execute from filters as
     * "Ex"&cHr(101)&"cute(, then decodes its hex argument with a bd()
     * function; checked before the framing, which its older templates share
     * with China Chopper.
     */
    if (views_have(c, "\"&chr(101)&\"cute(") ||
        (views_have(c, "function bd(byval s)") && views_have(c, "execute(")))
        return set(out, TA_WS_ANTSWORD, 85, "AntSword ASP eval payload");

    /* China Chopper: the ->| |<- framing written by the payload itself (ASP
     * doubles the quotes inside its Execute("...") string). */
    if (views_have(c, "echo(\"->|\")") || views_have(c, "echo \"->|\"") ||
        views_have(c, "Response.Write(\"->|\")") || views_have(c, "->|\");") ||
        views_have(c, "Response.Write(\"\"->|\"\")"))
        return set(out, TA_WS_CHOPPER, 95, "China Chopper payload (->| framing)");
    bool has_z0 = false;
    for (size_t i = 0; i < c->nparams; i++)
        if (name_is(&c->params[i], "z0") || name_is(&c->params[i], "caidao"))
            has_z0 = true;
    if (has_z0 && (views_have(c, "eval(") || views_have(c, "base64_decode(") ||
                   views_have(c, "$_post[z0]") || views_have(c, "@ini_set(")))
        return set(out, TA_WS_CHOPPER, 90, "China Chopper z0/z1/z2 parameters");
    if (post && resp_len >= 6 && memcmp(resp, "->|", 3) == 0 &&
        ta__detect_icontains(resp, resp_len, "|<-"))
        return set(out, TA_WS_CHOPPER, 85, "China Chopper response framing");

    /* AntSword: its PHP preamble under random names, or its ASP.NET eval. */
    bool ini = views_have(c, "@ini_set(\"display_errors\"") ||
               views_have(c, "@ini_set('display_errors'") ||
               views_have(c, "@ini_set(\"display_errors \"");
    bool stl = views_have(c, "@set_time_limit(0)");
    if (ini && stl)
        return set(out, TA_WS_ANTSWORD, 85, "AntSword payload (ini_set/set_time_limit preamble)");
    if (views_have(c, "eval(System.Text.Encoding.GetEncoding(") &&
        views_have(c, "FromBase64String("))
        return set(out, TA_WS_ANTSWORD, 85, "AntSword ASP.NET eval payload");

    /* AntSword's JSP shell defines and runs the class it is sent. */
    const char *cls = post && c->is_form ? java_class_param(c) : NULL;
    if (cls != NULL)
        return set(out, TA_WS_ANTSWORD, 85, cls);

    /* Godzilla: one parameter with base64 of an encrypted payload. */
    if (post && c->is_form && c->nparams <= 2) {
        for (size_t i = 0; i < c->nparams; i++) {
            uint8_t val[VIEW_CAP];
            const struct param *p = &c->params[i];
            size_t vn = ta__detect_urldecode(p->value, p->value_len, val, sizeof(val));
            if (vn < 24 || !ta_base64_valid(val, vn))
                continue;
            uint8_t dec[VIEW_CAP];
            size_t dn = ta_base64_decode(val, vn, dec, sizeof(dec));
            if (dn < 16 || ta__detect_binary_fraction(dec, dn) < 0.15)
                continue;
            if (in->have_resp && godzilla_response(resp, resp_len))
                return set(out, TA_WS_GODZILLA, 95,
                           "Godzilla encrypted parameter with md5-framed response");
            if (script && (!in->have_resp || resp_len == 0))
                return set(out, TA_WS_GODZILLA, 75, "Godzilla encrypted parameter");
        }
    }
    if (post && in->have_resp && godzilla_response(resp, resp_len) && c->body_len >= 16)
        return set(out, TA_WS_GODZILLA, 85, "Godzilla md5-framed response");

    /*
     * An encrypted body (AES blocks raw or base64, or a 16-byte XOR key over
     * text or compressed data) to a script, answered with ciphertext or not
     * at all: Godzilla's raw variants or one of Behinder's transports. The
     * family comes from the session's marks (Godzilla's cookie and default
     * headers, Behinder's Accept, an XOR-over-text answer), never from the
     * body: both encrypt the same way. A body whose length happens to be a
     * multiple of 16 is common enough (binary uploads, app telemetry), so
     * confirmation also needs a script URL or a mark (memory shells live at
     * any path), and a ciphertext answer or none captured; an empty answer
     * or neither marker leaves it suspected.
     */
    if (post && !c->is_form) {
        bool b64, resp_b64;
        bool aes = aes_like(c->body, c->body_len, &b64);
        /* The base64 transports: look at the decoded bytes too. */
        uint8_t dec[VIEW_CAP];
        size_t dn = 0;
        if (ta_base64_valid(c->body, c->body_len) && c->body_len >= 24)
            dn = ta_base64_decode(c->body, c->body_len, dec, sizeof(dec));
        const uint8_t *rd = resp;
        size_t rn = resp_len;
        uint8_t rdec[VIEW_CAP];
        if (rn >= 24 && ta_base64_valid(resp, rn)) {
            rn = ta_base64_decode(resp, rn, rdec, sizeof(rdec));
            rd = rdec;
        }
        bool xor_req = xor16_text(c->body, c->body_len, 64) || xor16_text(dec, dn, 64);
        bool xor_resp = in->have_resp && xor16_text(rd, rn, 32);
        bool resp_aes = in->have_resp && resp_len > 0 && aes_like(resp, resp_len, &resp_b64);
        bool resp_cipher = resp_aes || xor_resp || (in->have_resp && binary_cipher(rd, rn));
        bool no_resp = !in->have_resp || resp_len == 0;
        bool stream = xor_req || binary_cipher(c->body, c->body_len) || binary_cipher(dec, dn);
        bool beh = behinder_accept(in);
        if ((aes || stream) && script && godzilla_headers(in) && (resp_cipher || no_resp))
            return set(out, TA_WS_GODZILLA, 90,
                       aes ? "Godzilla raw AES-encrypted body (session marks)"
                           : "Godzilla raw XOR-encrypted body (session marks)");
        if ((aes || stream) && xor_req && xor_resp && (script || beh))
            return set(out, TA_WS_BEHINDER, 90,
                       dn > 0 ? "Behinder XOR-encrypted base64 body and answer"
                              : "Behinder XOR-encrypted body and answer");
        if (aes) {
            bool resp_ok = no_resp || resp_aes;
            if ((script || beh) && (resp_aes || !in->have_resp))
                return set(out, TA_WS_BEHINDER, beh ? 90 : 80,
                           b64 ? "Behinder AES-encrypted base64 body"
                               : "Behinder AES-encrypted raw body");
            if (resp_ok && (script || beh || resp_aes)) {
                set(out, TA_WS_BEHINDER, 50,
                    b64 ? "Possible Behinder: block-sized base64 body"
                        : "Possible Behinder: block-sized binary body");
                out->suspected = true;
                return true;
            }
        }
        /* Behinder v4's wrappers: ciphertext in a JSON member or behind an image. */
        if (script || beh) {
            uint8_t jd[VIEW_CAP];
            bool json_req = json_cipher(c->body, c->body_len, jd, sizeof(jd));
            bool json_resp =
                json_req && in->have_resp && json_cipher(resp, resp_len, jd, sizeof(jd));
            if (json_req && (json_resp || !in->have_resp))
                return set(out, TA_WS_BEHINDER, 85, "Behinder JSON-wrapped encrypted body");
            if (image_cipher(c->body, c->body_len) &&
                (!in->have_resp || image_cipher(resp, resp_len)))
                return set(out, TA_WS_BEHINDER, 85, "Behinder image-wrapped encrypted body");
        }
    }
    /* Behinder v2: GET key exchange `?pass=N` answered with a 16-char key. */
    if (!post && in->url != NULL && script && in->have_resp && resp_len == 16 &&
        ta__detect_icontains((const uint8_t *)in->url, strlen(in->url), "?pass=")) {
        bool alnum = true;
        for (size_t i = 0; i < 16; i++)
            alnum = alnum && ta__detect_is_hex(resp[i]);
        if (alnum)
            return set(out, TA_WS_BEHINDER, 80, "Behinder v2 key exchange");
    }

    const char *sig;
    if (generic_payload(c, &sig))
        return set(out, TA_WS_GENERIC, 80, sig);
    if (command_param(c))
        return set(out, TA_WS_GENERIC, 70, "Generic command parameter");

    /*
     * Weak signal: an encoded or encrypted POST body to a script. Form posts
     * of words sit near 4.5 bits/byte; base64 near 6, ciphertext near 8.
     */
    if (post && script && c->body_len >= 64 && out->entropy >= 5.3)
        return set(out, TA_WS_STATS, 40, "High-entropy POST body to a script URL");
    out->family = TA_WS_NONE;
    return false;
}
