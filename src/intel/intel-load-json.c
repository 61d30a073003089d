/*
 * JSON feed loaders (jansson): Feodo Tracker ipblocklist.json, ThreatFox
 * exports and API answers, PhishTank JSON, OpenPhish premium JSON lines,
 * STIX 2.x bundles, MISP events and REST answers, MISP warninglists and the
 * npm top-sites list.
 * The document must be valid JSON (else TA_ERR_FORMAT); inside it each
 * element is judged on its own, counted and skipped when malformed. "line"
 * in reject reports is the 1-based element index (for JSON lines the line).
 * Feeds that are long lists of records are streamed (see js_run()); bundles
 * and warninglists are read as one tree.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel-internal.h"

#include "common/banned.h"

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

static bool jstr_has(json_t *o, const char *k)
{
    return json_is_string(json_object_get(o, k));
}

static ta_time_us jtime(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_string(v))
        return ta__intel_time(json_string_value(v), json_string_length(v));
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (ta_time_us)json_integer_value(v) * 1000000ull;
    return 0;
}

static bool icontains(const char *s, const char *needle)
{
    size_t n = strlen(s), k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (ta__intel_ieq(s + i, needle, k))
            return true;
    return false;
}

static void add_str(struct ta__intel_sink *s, uint64_t line, const char *v, enum ta_intel_type t,
                    const struct ta_intel_indicator *ind)
{
    ta__intel_add(s, line, v, strlen(v), t, ind);
}

/* ---- Streaming the outer structure ---------------------------------------- */

/*
 * Large feeds (a ThreatFox export is over 100 MB) are not decoded as one
 * tree: jansson's tree takes several times the text. A scanner walks the
 * outer arrays and objects on a bounded cursor and hands each record alone
 * to jansson, so memory is one record, not the file. The walk runs twice:
 * first only checking the structure, so that a broken document is refused
 * before anything is emitted (as a whole-tree parse would), then emitting.
 */
#define JS_MAX_DEPTH 512

struct js {
    const char *p, *end, *base;
    struct ta__intel_sink *s;
    bool emit;          /* false: check the structure only */
    const char *err;    /* first structural error (static text), NULL if none */
    const char *err_at; /* where it was found */
};

static void js_ws(struct js *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool js_fail(struct js *c, const char *why)
{
    if (c->err == NULL) {
        c->err = why;
        c->err_at = c->p;
    }
    return false;
}

/* The next byte after white space, or 0 at the end. */
static char js_peek(struct js *c)
{
    js_ws(c);
    return c->p < c->end ? *c->p : '\0';
}

static bool js_skip_string(struct js *c)
{
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return true;
        }
        if (ch == '\\') {
            if (c->end - c->p < 2)
                break;
            c->p += 2;
            continue;
        }
        if (ch < 0x20)
            return js_fail(c, "control character in a string");
        c->p++;
    }
    return js_fail(c, "unterminated string");
}

/* Skip one value. Brackets and strings are checked here; what is inside a
 * record is checked by jansson when the record is decoded. */
static bool js_skip(struct js *c)
{
    char ch = js_peek(c);
    if (ch == '"')
        return js_skip_string(c);
    if (ch == '{' || ch == '[') {
        char stack[JS_MAX_DEPTH];
        size_t d = 0;
        while (c->p < c->end) {
            ch = *c->p;
            if (ch == '"') {
                if (!js_skip_string(c))
                    return false;
                continue;
            }
            if (ch == '{' || ch == '[') {
                if (d == JS_MAX_DEPTH)
                    return js_fail(c, "nesting too deep");
                stack[d++] = ch == '{' ? '}' : ']';
            } else if (ch == '}' || ch == ']') {
                if (d == 0 || stack[d - 1] != ch)
                    return js_fail(c, "mismatched bracket");
                if (--d == 0) {
                    c->p++;
                    return true;
                }
            }
            c->p++;
        }
        return js_fail(c, "unterminated array or object");
    }
    const char *st = c->p;
    while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || (*c->p >= 'a' && *c->p <= 'z') ||
                             *c->p == '-' || *c->p == '+' || *c->p == '.' || *c->p == 'E'))
        c->p++;
    if (c->p == st)
        return js_fail(c, c->p < c->end ? "unexpected character" : "value expected");
    return true;
}

/* Decode the value between st and the cursor (just skipped) on its own. */
static json_t *js_decode(struct js *c, const char *st, uint64_t line)
{
    json_error_t e;
    json_t *v = json_loadb(st, (size_t)(c->p - st), JSON_DECODE_ANY, &e);
    if (v == NULL)
        ta__intel_reject(c->s, line, "invalid JSON: %.60s", e.text);
    return v;
}

/* Called with the cursor on a value, which it must consume. */
typedef bool (*js_item_fn)(struct js *c, uint64_t idx, void *ctx);
typedef bool (*js_member_fn)(struct js *c, const char *key, size_t klen, uint64_t idx, void *ctx);

static bool js_array(struct js *c, js_item_fn fn, void *ctx)
{
    if (js_peek(c) != '[')
        return js_fail(c, "array expected");
    c->p++;
    if (js_peek(c) == ']') {
        c->p++;
        return true;
    }
    for (uint64_t i = 1;; i++) {
        js_ws(c);
        if (!fn(c, i, ctx) || c->s->err != TA_OK)
            return false;
        char ch = js_peek(c);
        c->p += ch != '\0';
        if (ch == ']')
            return true;
        if (ch != ',')
            return js_fail(c, "',' or ']' expected");
    }
}

static bool js_object(struct js *c, js_member_fn fn, void *ctx)
{
    if (js_peek(c) != '{')
        return js_fail(c, "object expected");
    c->p++;
    if (js_peek(c) == '}') {
        c->p++;
        return true;
    }
    for (uint64_t i = 1;; i++) {
        if (js_peek(c) != '"')
            return js_fail(c, "member name expected");
        const char *k = c->p + 1;
        if (!js_skip_string(c))
            return false;
        size_t kl = (size_t)(c->p - 1 - k);
        if (js_peek(c) != ':')
            return js_fail(c, "':' expected");
        c->p++;
        js_ws(c);
        if (!fn(c, k, kl, i, ctx) || c->s->err != TA_OK)
            return false;
        char ch = js_peek(c);
        c->p += ch != '\0';
        if (ch == '}')
            return true;
        if (ch != ',')
            return js_fail(c, "',' or '}' expected");
    }
}

static bool js_key(const char *k, size_t kl, const char *want)
{
    return strlen(want) == kl && memcmp(k, want, kl) == 0;
}

/* A record handler: one decoded element, its 1-based index. */
typedef void (*rec_fn)(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user);
struct rec {
    rec_fn fn;
    void *user;
    uint64_t line; /* 0: the element's index; else this line for every element */
};

static bool item_record(struct js *c, uint64_t idx, void *ctx)
{
    struct rec *r = ctx;
    const char *st = c->p;
    if (!js_skip(c))
        return false;
    if (!c->emit)
        return true;
    uint64_t line = r->line != 0 ? r->line : idx;
    json_t *v = js_decode(c, st, line);
    if (v != NULL) {
        r->fn(v, line, c->s, r->user);
        json_decref(v);
    }
    return true;
}

typedef bool (*js_root_fn)(struct js *c, void *ctx);

static uint64_t line_of(const char *base, const char *at)
{
    uint64_t n = 1;
    for (const char *q = base; q < at; q++)
        n += *q == '\n';
    return n;
}

/* Walk the document twice (check, then emit); TA_ERR_FORMAT if it is broken. */
static ta_err js_run(const uint8_t *buf, size_t len, struct ta__intel_sink *s, js_root_fn root,
                     void *ctx)
{
    const char *b = (const char *)buf;
    if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
        b += 3;
        len -= 3;
    }
    for (int pass = 0; pass < 2; pass++) {
        struct js c = {b, b + len, b, s, pass == 1, NULL, NULL};
        bool ok = root(&c, ctx);
        if (ok && js_peek(&c) != '\0')
            ok = js_fail(&c, "data after the document");
        if (!ok && c.err != NULL) {
            ta__intel_reject(s, line_of(b, c.err_at), "invalid JSON: %s", c.err);
            return TA_ERR_FORMAT;
        }
        if (s->err != TA_OK)
            break;
    }
    return TA_OK;
}

/* A root that must be an array of records; anything else is one reject. */
static bool root_array(struct js *c, void *ctx)
{
    if (js_peek(c) == '[')
        return js_array(c, item_record, ctx);
    if (!js_skip(c))
        return false;
    if (c->emit)
        ta__intel_reject(c->s, 1, "expected a JSON array");
    return true;
}

/* ---- abuse.ch, PhishTank, OpenPhish, top-sites: one record at a time -------- */

static void feodo_one(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user)
{
    (void)user;
    if (!json_is_object(e) || !jstr_has(e, "ip_address")) {
        ta__intel_reject(s, line, "element without ip_address");
        return;
    }
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_C2;
    ind.source = "feodo";
    ind.confidence = strcmp(jstr(e, "status"), "offline") == 0 ? 75 : 90;
    ind.family = jstr(e, "malware");
    ind.first_seen = jtime(e, "first_seen");
    ind.last_seen = jtime(e, "last_online");
    add_str(s, line, jstr(e, "ip_address"), TA_INTEL_IP, &ind);
}

static void phishtank_one(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user)
{
    (void)user;
    if (!json_is_object(e) || !jstr_has(e, "url")) {
        ta__intel_reject(s, line, "element without url");
        return;
    }
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_PHISHING;
    ind.source = "phishtank";
    ind.confidence = strcmp(jstr(e, "verified"), "yes") == 0 ? 90 : 60;
    const char *brand = jstr(e, "target");
    ind.brand = strcmp(brand, "Other") == 0 ? "" : brand;
    ind.first_seen = jtime(e, "submission_time");
    ind.last_seen = jtime(e, "verification_time");
    add_str(s, line, jstr(e, "url"), TA_INTEL_URL, &ind);
}

/* Placeholders the premium feed writes for "none", read as the CSV loader reads them. */
static const char *opt_text(const char *s)
{
    if (strcmp(s, "None") == 0 || strcmp(s, "null") == 0 || strcmp(s, "-") == 0 ||
        strcmp(s, "Other") == 0 || strcmp(s, "n/a") == 0)
        return "";
    return s;
}

/*
 * OpenPhish premium JSON: one object per line with the fields of the premium
 * CSV (url, brand, ip, asn, country_code, discover_time, isotime, family_id,
 * sector, ...). Mapped as the CSV is, so both forms of the feed store the same
 * rows. The hosting ip is not an indicator: phishing pages sit on shared
 * hosting whose address serves many honest sites.
 */
static void openphish_one(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user)
{
    (void)user;
    if (!json_is_object(e) || !jstr_has(e, "url")) {
        ta__intel_reject(s, line, "record without url");
        return;
    }
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_PHISHING;
    ind.source = "openphish";
    ind.confidence = 90;
    ind.brand = opt_text(jstr(e, "brand"));
    ind.country = opt_text(jstr(e, "country_code"));
    ind.family = opt_text(jstr(e, "family_id"));
    ind.first_seen = jtime(e, jstr_has(e, "discover_time") ? "discover_time" : "isotime");
    add_str(s, line, jstr(e, "url"), TA_INTEL_URL, &ind);
}

static void load_json_lines(const uint8_t *buf, size_t len, rec_fn fn, struct ta__intel_sink *s)
{
    struct ta__intel_lines it;
    const char *line;
    size_t ll;
    ta__intel_lines_init(&it, buf, len);
    while (s->err == TA_OK && ta__intel_lines_next(&it, &line, &ll)) {
        ta__intel_trim(&line, &ll);
        if (ll == 0)
            continue;
        json_error_t e;
        json_t *v = json_loadb(line, ll, 0, &e);
        if (v == NULL) {
            ta__intel_reject(s, it.lineno, "invalid JSON: %.60s", e.text);
            continue;
        }
        fn(v, it.lineno, s, NULL);
        json_decref(v);
    }
}

static void top_site_one(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user)
{
    (void)user;
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_ALLOW;
    ind.confidence = 100;
    ind.source = "top-sites";
    json_t *d = json_is_object(e) ? json_object_get(e, "rootDomain") : NULL;
    if (!json_is_string(d)) {
        ta__intel_reject(s, line, "element without rootDomain");
        return;
    }
    const char *v = json_string_value(d);
    size_t l = json_string_length(d);
    /* "www.google.com" stands for the site: google.com and all under it. */
    if (l > 4 && ta__intel_ieq(v, "www.", 4)) {
        v += 4;
        l -= 4;
    }
    ta__intel_add(s, line, v, l, TA_INTEL_DOMAIN, &ind);
}

static void threatfox_one(json_t *e, uint64_t line, struct ta__intel_sink *s, void *user)
{
    (void)user;
    if (!json_is_object(e)) {
        ta__intel_reject(s, line, "element is not an object");
        return;
    }
    const char *v = jstr_has(e, "ioc_value") ? jstr(e, "ioc_value") : jstr(e, "ioc");
    const char *ty = jstr(e, "ioc_type");
    if (v[0] == '\0') {
        ta__intel_reject(s, line, "element without ioc_value");
        return;
    }
    static const struct {
        const char *n;
        enum ta_intel_type t;
    } map[] = {{"ip:port", TA_INTEL_IP_PORT}, {"domain", TA_INTEL_DOMAIN},
               {"url", TA_INTEL_URL},         {"md5_hash", TA_INTEL_MD5},
               {"sha1_hash", TA_INTEL_SHA1},  {"sha256_hash", TA_INTEL_SHA256},
               {"ja3_hash", TA_INTEL_JA3}};
    enum ta_intel_type t = TA_INTEL_TYPE__COUNT;
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
        if (strcmp(ty, map[k].n) == 0)
            t = map[k].t;
    if (t == TA_INTEL_TYPE__COUNT) {
        ta__intel_unsupported(s, line, "ioc_type '%.32s'", ty);
        return;
    }
    struct ta_intel_indicator ind = {0};
    const char *tt = jstr(e, "threat_type");
    ind.kind = strcmp(tt, "botnet_cc") == 0          ? TA_INTEL_KIND_C2
               : strcmp(tt, "payload_delivery") == 0 ? TA_INTEL_KIND_MALWARE_DIST
                                                     : TA_INTEL_KIND_OTHER;
    ind.source = "threatfox";
    json_t *c = json_object_get(e, "confidence_level");
    json_int_t cv = json_is_integer(c) ? json_integer_value(c) : 50;
    if (json_is_string(c))
        cv = (json_int_t)strtol(json_string_value(c), NULL, 10);
    ind.confidence = (uint8_t)(cv < 0 ? 0 : cv > 100 ? 100 : cv);
    ind.family = jstr(e, "malware_printable");
    ind.first_seen = jtime(e, jstr_has(e, "first_seen_utc") ? "first_seen_utc" : "first_seen");
    ind.last_seen = jtime(e, jstr_has(e, "last_seen_utc") ? "last_seen_utc" : "last_seen");
    add_str(s, line, v, t, &ind);
}

/*
 * ThreatFox: the API answer {"query_status": ..., "data": [records]} or the
 * export {"<ioc id>": [records], ...} (line = the member's index).
 */
struct tf_ctx {
    bool have_data; /* found by the checking pass */
};

static bool tf_member(struct js *c, const char *k, size_t kl, uint64_t idx, void *ctx)
{
    struct tf_ctx *tc = ctx;
    bool data = js_key(k, kl, "data");
    if (js_peek(c) == '[') {
        if (data && !c->emit)
            tc->have_data = true;
        struct rec r = {threatfox_one, NULL, data ? 0 : idx};
        if (tc->have_data && !data)
            return js_skip(c);
        return js_array(c, item_record, &r);
    }
    if (!js_skip(c))
        return false;
    /* The API answer's status and an answer's other members are not records. */
    if (c->emit && !tc->have_data && !js_key(k, kl, "query_status"))
        ta__intel_reject(c->s, idx, "value of '%.*s' is not an array", (int)(kl > 20 ? 20 : kl), k);
    return true;
}

static bool root_threatfox(struct js *c, void *ctx)
{
    if (js_peek(c) == '{')
        return js_object(c, tf_member, ctx);
    if (!js_skip(c))
        return false;
    if (c->emit)
        ta__intel_reject(c->s, 1, "expected a JSON object");
    return true;
}

/* ---- STIX 2.x ---------------------------------------------------------- */

/*
 * A STIX pattern is read into its comparisons and put in disjunctive normal
 * form: an OR of AND-groups ("conjunctions"), each a set of comparisons.
 * Each alternative of an OR indicates on its own; inside a conjunction the
 * comparisons describe one object (or several observed together), and what
 * we can match is taken from it: a network-traffic destination with its port
 * becomes IP:port, a domain with an address gives both, a file's name with its
 * hashes gives the hashes. A conjunction that constrains a property we cannot
 * check (an e-mail subject, a certificate) is unsupported as a whole: the
 * value alone would match far more than the pattern does.
 */
#define STIX_MAX_CMP  64
#define STIX_MAX_CONJ 32
#define STIX_MAX_NEST 32

enum stix_role {
    SR_VALUE,      /* a value we match: type below */
    SR_DST,        /* network-traffic:dst_ref.value */
    SR_DST_PORT,   /* network-traffic:dst_port */
    SR_CONSTRAINT, /* narrows the object; nothing to match on its own */
    SR_UNKNOWN,    /* a property we cannot check */
};

struct stix_cmp {
    enum stix_role role;
    enum ta_intel_type type; /* SR_VALUE; TA_INTEL_TYPE__COUNT = IP or CIDR */
    bool eq;                 /* operator '=' (or ISSUBSET for addresses), not negated */
    unsigned obs;            /* observation ("[...]") it belongs to */
    const char *path;        /* object path, in the pattern */
    size_t pl;
    const char *v; /* decoded value (in the value buffer) */
    size_t vl;
};

struct stix_dnf {
    size_t n;
    uint64_t c[STIX_MAX_CONJ]; /* bit i = comparison i */
};

struct stix_parse {
    const char *p;
    size_t i, len;
    struct stix_cmp cmp[STIX_MAX_CMP];
    size_t ncmp;
    char vbuf[8192];
    size_t vo;
    unsigned obs, nobs;
    const char *why;
};

static void sp_ws(struct stix_parse *sp)
{
    while (sp->i < sp->len && (sp->p[sp->i] == ' ' || sp->p[sp->i] == '\t' ||
                               sp->p[sp->i] == '\n' || sp->p[sp->i] == '\r'))
        sp->i++;
}

/* Consume keyword kw (followed by a non-word byte). */
static bool sp_kw(struct stix_parse *sp, const char *kw)
{
    sp_ws(sp);
    size_t k = strlen(kw);
    if (sp->len - sp->i < k || memcmp(sp->p + sp->i, kw, k) != 0)
        return false;
    char nx = sp->i + k < sp->len ? sp->p[sp->i + k] : ' ';
    if ((nx >= 'A' && nx <= 'Z') || (nx >= 'a' && nx <= 'z') || nx == '_')
        return false;
    sp->i += k;
    return true;
}

static bool sp_fail(struct stix_parse *sp, const char *why)
{
    if (sp->why == NULL)
        sp->why = why;
    return false;
}

/* A quoted string (after an optional b/h/t prefix) decoded into vbuf. */
static bool sp_string(struct stix_parse *sp, const char **v, size_t *vl)
{
    sp_ws(sp);
    if (sp->i < sp->len && (sp->p[sp->i] == 'b' || sp->p[sp->i] == 'h' || sp->p[sp->i] == 't') &&
        sp->i + 1 < sp->len && sp->p[sp->i + 1] == '\'')
        sp->i++;
    if (sp->i >= sp->len || sp->p[sp->i] != '\'')
        return sp_fail(sp, "string expected");
    sp->i++;
    size_t vs = sp->vo;
    while (sp->i < sp->len && sp->p[sp->i] != '\'') {
        if (sp->p[sp->i] == '\\' && sp->i + 1 < sp->len)
            sp->i++;
        if (sp->vo + 1 >= sizeof(sp->vbuf))
            return sp_fail(sp, "pattern too long");
        sp->vbuf[sp->vo++] = sp->p[sp->i++];
    }
    if (sp->i >= sp->len)
        return sp_fail(sp, "unterminated string");
    sp->i++;
    sp->vbuf[sp->vo++] = '\0';
    *v = sp->vbuf + vs;
    *vl = sp->vo - vs - 1;
    return true;
}

/* A number or true/false, copied into vbuf. */
static bool sp_word(struct stix_parse *sp, const char **v, size_t *vl)
{
    sp_ws(sp);
    size_t s0 = sp->i;
    while (sp->i < sp->len && ((sp->p[sp->i] >= '0' && sp->p[sp->i] <= '9') ||
                               (sp->p[sp->i] >= 'a' && sp->p[sp->i] <= 'z') ||
                               sp->p[sp->i] == '-' || sp->p[sp->i] == '.' || sp->p[sp->i] == '+'))
        sp->i++;
    size_t n = sp->i - s0;
    if (n == 0)
        return sp_fail(sp, "value expected");
    if (sp->vo + n + 1 > sizeof(sp->vbuf))
        return sp_fail(sp, "pattern too long");
    memcpy(sp->vbuf + sp->vo, sp->p + s0, n);
    sp->vbuf[sp->vo + n] = '\0';
    *v = sp->vbuf + sp->vo;
    *vl = n;
    sp->vo += n + 1;
    return true;
}

static void stix_role(const char *path, size_t pl, struct stix_cmp *c)
{
    static const struct {
        const char *path;
        enum stix_role role;
        enum ta_intel_type t;
    } paths[] = {
        {"ipv4-addr:value", SR_VALUE, TA_INTEL_TYPE__COUNT},
        {"ipv6-addr:value", SR_VALUE, TA_INTEL_TYPE__COUNT},
        {"domain-name:value", SR_VALUE, TA_INTEL_DOMAIN},
        {"url:value", SR_VALUE, TA_INTEL_URL},
        {"domain-name:resolves_to_refs[*].value", SR_VALUE, TA_INTEL_TYPE__COUNT},
        {"network-traffic:dst_ref.value", SR_DST, TA_INTEL_TYPE__COUNT},
        {"network-traffic:dst_port", SR_DST_PORT, TA_INTEL_TYPE__COUNT},
        /* Narrowing properties: the values above stay specific without them. */
        {"file:name", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"file:size", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"file:mime_type", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:dst_ref.type", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:src_ref.type", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:src_ref.value", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:src_port", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:protocols[*]", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:start", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
        {"network-traffic:end", SR_CONSTRAINT, TA_INTEL_TYPE__COUNT},
    };
    c->role = SR_UNKNOWN;
    /* Hash names are written 'SHA-256', SHA256, sha256 ... by different
     * producers: compare them without quotes, hyphens or case. */
    static const char hp[] = "file:hashes.";
    if (pl > sizeof(hp) - 1 && memcmp(path, hp, sizeof(hp) - 1) == 0) {
        char key[16];
        size_t kl = 0;
        for (size_t i = sizeof(hp) - 1; i < pl && kl + 1 < sizeof(key); i++)
            if (path[i] != '\'' && path[i] != '-')
                key[kl++] = (char)(path[i] >= 'a' && path[i] <= 'z' ? path[i] - 32 : path[i]);
        key[kl] = '\0';
        c->role = SR_VALUE;
        if (strcmp(key, "MD5") == 0)
            c->type = TA_INTEL_MD5;
        else if (strcmp(key, "SHA1") == 0)
            c->type = TA_INTEL_SHA1;
        else if (strcmp(key, "SHA256") == 0)
            c->type = TA_INTEL_SHA256;
        else
            c->role = SR_CONSTRAINT; /* SHA-512, SSDEEP, TLSH ...: not in the index */
        return;
    }
    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
        if (strlen(paths[k].path) == pl && memcmp(paths[k].path, path, pl) == 0) {
            c->role = paths[k].role;
            c->type = paths[k].t;
            return;
        }
    /* Custom properties ("x_misp_hostname", "x_misp_port" that misp-stix adds
     * beside the standard ones) annotate the object; they do not decide what
     * the indicator matches. */
    size_t b = pl;
    while (b > 0 && path[b - 1] != ':' && path[b - 1] != '.')
        b--;
    if (pl - b > 2 && path[b] == 'x' && path[b + 1] == '_')
        c->role = SR_CONSTRAINT;
}

static bool sp_or(struct stix_parse *sp, struct stix_dnf *out, unsigned depth);

static bool sp_comparison(struct stix_parse *sp, struct stix_dnf *out)
{
    bool neg = sp_kw(sp, "NOT");
    sp_ws(sp);
    size_t ps = sp->i;
    /* A path runs to white space or an operator; quoted hash names are part of it. */
    while (sp->i < sp->len) {
        char ch = sp->p[sp->i];
        if (ch == '\'') {
            sp->i++;
            while (sp->i < sp->len && sp->p[sp->i] != '\'')
                sp->i++;
            if (sp->i < sp->len)
                sp->i++;
            continue;
        }
        if (ch == '[' && sp->i > ps) {
            /* A list step in the path: "resolves_to_refs[*]". */
            while (sp->i < sp->len && sp->p[sp->i] != ']')
                sp->i++;
            if (sp->i < sp->len)
                sp->i++;
            continue;
        }
        if (ch == ' ' || ch == '=' || ch == '!' || ch == '<' || ch == '>' || ch == ']' ||
            ch == ')' || ch == '\t' || ch == '\n')
            break;
        sp->i++;
    }
    size_t pl = sp->i - ps;
    if (pl == 0 || memchr(sp->p + ps, ':', pl) == NULL)
        return sp_fail(sp, "object path expected");
    sp_ws(sp);
    bool eq = false, list = false;
    static const char *const ops[] = {"!=", ">=", "<=", "=", ">", "<"};
    size_t k;
    for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        size_t ol = strlen(ops[k]);
        if (sp->len - sp->i >= ol && memcmp(sp->p + sp->i, ops[k], ol) == 0) {
            sp->i += ol;
            eq = k == 3;
            break;
        }
    }
    if (k == sizeof(ops) / sizeof(ops[0])) {
        bool subset = sp_kw(sp, "ISSUBSET");
        if (!subset && !sp_kw(sp, "LIKE") && !sp_kw(sp, "MATCHES") && !sp_kw(sp, "ISSUPERSET") &&
            !(list = sp_kw(sp, "IN")))
            return sp_fail(sp, "comparison operator expected");
        eq = subset && pl > 10 && memcmp(sp->p + ps + pl - 10, "addr:value", 10) == 0;
    }
    struct stix_cmp c = {0};
    stix_role(sp->p + ps, pl, &c);
    c.eq = eq && !neg;
    c.obs = sp->obs;
    c.path = sp->p + ps;
    c.pl = pl;
    sp_ws(sp);
    if (list) {
        /* A set of values: we keep none of them as a match on their own. */
        if (sp->i >= sp->len || sp->p[sp->i] != '(')
            return sp_fail(sp, "set expected after IN");
        while (sp->i < sp->len && sp->p[sp->i] != ')') {
            if (sp->p[sp->i] == '\'') {
                const char *v;
                size_t vl;
                if (!sp_string(sp, &v, &vl))
                    return false;
                continue;
            }
            sp->i++;
        }
        if (sp->i >= sp->len)
            return sp_fail(sp, "unterminated set");
        sp->i++;
        c.eq = false;
    } else if (sp->i < sp->len &&
               (sp->p[sp->i] == '\'' || (sp->i + 1 < sp->len && sp->p[sp->i + 1] == '\''))) {
        if (!sp_string(sp, &c.v, &c.vl))
            return false;
    } else if (!sp_word(sp, &c.v, &c.vl)) {
        return false;
    }
    if (sp->ncmp >= STIX_MAX_CMP)
        return sp_fail(sp, "too many comparisons");
    out->n = 1;
    out->c[0] = 1ull << sp->ncmp;
    sp->cmp[sp->ncmp++] = c;
    return true;
}

/* Qualifiers after an observation: they limit when, not what. */
static bool sp_qualifiers(struct stix_parse *sp)
{
    for (;;) {
        const char *v;
        size_t vl;
        if (sp_kw(sp, "WITHIN")) {
            if (!sp_word(sp, &v, &vl) || !sp_kw(sp, "SECONDS"))
                return sp_fail(sp, "bad WITHIN qualifier");
        } else if (sp_kw(sp, "REPEATS")) {
            if (!sp_word(sp, &v, &vl) || !sp_kw(sp, "TIMES"))
                return sp_fail(sp, "bad REPEATS qualifier");
        } else if (sp_kw(sp, "START")) {
            if (!sp_string(sp, &v, &vl) || !sp_kw(sp, "STOP") || !sp_string(sp, &v, &vl))
                return sp_fail(sp, "bad START qualifier");
        } else {
            return true;
        }
    }
}

static bool sp_factor(struct stix_parse *sp, struct stix_dnf *out, unsigned depth)
{
    if (depth > STIX_MAX_NEST)
        return sp_fail(sp, "nesting too deep");
    sp_ws(sp);
    if (sp->i < sp->len && (sp->p[sp->i] == '[' || sp->p[sp->i] == '(')) {
        char close = sp->p[sp->i] == '[' ? ']' : ')';
        unsigned saved = sp->obs;
        if (close == ']')
            sp->obs = ++sp->nobs;
        sp->i++;
        if (!sp_or(sp, out, depth + 1))
            return false;
        sp_ws(sp);
        if (sp->i >= sp->len || sp->p[sp->i] != close)
            return sp_fail(sp, close == ']' ? "']' expected" : "')' expected");
        sp->i++;
        sp->obs = saved;
        return sp_qualifiers(sp);
    }
    return sp_comparison(sp, out);
}

static bool sp_and(struct stix_parse *sp, struct stix_dnf *out, unsigned depth)
{
    if (!sp_factor(sp, out, depth))
        return false;
    while (sp_kw(sp, "AND") || sp_kw(sp, "FOLLOWEDBY")) {
        struct stix_dnf r, prod = {0};
        if (!sp_factor(sp, &r, depth))
            return false;
        if (out->n * r.n > STIX_MAX_CONJ)
            return sp_fail(sp, "pattern too complex");
        for (size_t a = 0; a < out->n; a++)
            for (size_t b = 0; b < r.n; b++)
                prod.c[prod.n++] = out->c[a] | r.c[b];
        *out = prod;
    }
    return true;
}

static bool sp_or(struct stix_parse *sp, struct stix_dnf *out, unsigned depth)
{
    if (!sp_and(sp, out, depth))
        return false;
    while (sp_kw(sp, "OR")) {
        struct stix_dnf r;
        if (!sp_and(sp, &r, depth))
            return false;
        if (out->n + r.n > STIX_MAX_CONJ)
            return sp_fail(sp, "pattern too complex");
        for (size_t b = 0; b < r.n; b++)
            out->c[out->n++] = r.c[b];
    }
    return true;
}

static enum ta_intel_kind stix_kind(json_t *o)
{
    const char *name = jstr(o, "name"), *desc = jstr(o, "description");
    json_t *types = json_object_get(o, "indicator_types");
    size_t i;
    json_t *t;
    bool benign = false, compromised = false;
    json_array_foreach(types, i, t)
    {
        if (json_is_string(t) && strcmp(json_string_value(t), "benign") == 0)
            benign = true;
        if (json_is_string(t) && strcmp(json_string_value(t), "compromised") == 0)
            compromised = true;
    }
    if (benign)
        return TA_INTEL_KIND_ALLOW;
    if (compromised)
        return TA_INTEL_KIND_COMPROMISED;
    if (icontains(name, "c2") || icontains(desc, "c2") || icontains(name, "command and control") ||
        icontains(desc, "command and control") || icontains(name, "C&C"))
        return TA_INTEL_KIND_C2;
    if (icontains(name, "phish") || icontains(desc, "phish"))
        return TA_INTEL_KIND_PHISHING;
    return TA_INTEL_KIND_OTHER;
}

/* Emit what one conjunction gives; false with *why when it gives nothing. */
static bool stix_conj(struct stix_parse *sp, uint64_t bits, uint64_t *done, uint64_t line,
                      const struct ta_intel_indicator *ind, struct ta__intel_sink *s,
                      const char **why)
{
    bool any = false;
    for (size_t i = 0; i < sp->ncmp; i++) {
        if (!(bits >> i & 1))
            continue;
        const struct stix_cmp *c = &sp->cmp[i];
        if (c->role == SR_UNKNOWN) {
            *why = "object path not supported";
            return false;
        }
        if ((c->role == SR_VALUE || c->role == SR_DST) && !c->eq) {
            *why = "comparison other than =";
            return false;
        }
        /* One object cannot have two values for a property: such an AND
         * never matches. (misp-stix does write two destinations, the
         * address and the name, for one connection: both are kept.) */
        for (size_t j = i + 1; j < sp->ncmp && c->role == SR_VALUE; j++) {
            const struct stix_cmp *d = &sp->cmp[j];
            if ((bits >> j & 1) && d->obs == c->obs && d->pl == c->pl &&
                memcmp(d->path, c->path, c->pl) == 0 &&
                (d->vl != c->vl || memcmp(d->v, c->v, c->vl) != 0) &&
                memmem(c->path, c->pl, "[*]", 3) == NULL) {
                *why = "AND of two values of one property";
                return false;
            }
        }
    }
    for (size_t i = 0; i < sp->ncmp && s->err == TA_OK; i++) {
        const struct stix_cmp *c = &sp->cmp[i];
        if (!(bits >> i & 1) || (c->role != SR_VALUE && c->role != SR_DST))
            continue;
        any = true;
        /* An address with the ports its observation names becomes IP:port
         * ("dst_ref.value = A AND dst_port = P", also "ipv4-addr:value = A AND
         * network-traffic:dst_port = P"); a name or network stays itself. */
        char tmp[TA__INTEL_VALUE_MAX];
        enum ta_intel_type at = TA_INTEL_IP;
        bool addr = (c->role == SR_DST || c->type == TA_INTEL_TYPE__COUNT) &&
                    ta_intel_value_canon(c->v, c->vl, &at, tmp, sizeof(tmp), NULL);
        bool port = false;
        for (size_t j = 0; addr && j < sp->ncmp && s->err == TA_OK; j++) {
            const struct stix_cmp *pc = &sp->cmp[j];
            if (!(bits >> j & 1) || pc->role != SR_DST_PORT || !pc->eq || pc->obs != c->obs)
                continue;
            char v[TA__INTEL_VALUE_MAX];
            bool v6 = memchr(tmp, ':', strlen(tmp)) != NULL;
            int n = snprintf(v, sizeof(v), v6 ? "[%s]:%.*s" : "%s:%.*s", tmp, (int)pc->vl, pc->v);
            if (n > 0 && (size_t)n < sizeof(v))
                ta__intel_add(s, line, v, (size_t)n, TA_INTEL_IP_PORT, ind);
            port = true;
        }
        if (port || (*done >> i & 1))
            continue;
        *done |= 1ull << i;
        enum ta_intel_type t = c->type;
        if (c->role == SR_VALUE && t == TA_INTEL_TYPE__COUNT)
            t = memchr(c->v, '/', c->vl) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
        ta__intel_add(s, line, c->v, c->vl, t, ind);
    }
    if (!any)
        *why = "no value we can match";
    return any;
}

/* The source: "stix:<producer>" from created_by_ref (the identity's name, else
 * its id), so bundles of two producers do not overwrite each other's rows. An
 * indicator without one takes the bundle's producer when every object that
 * names one names the same (a report and its indicators); else "stix". */
static void stix_source(json_t *o, json_t *ids, const char *bundle_ref, char *out, size_t cap)
{
    const char *ref = jstr_has(o, "created_by_ref") ? jstr(o, "created_by_ref") : bundle_ref;
    json_t *nm = json_object_get(ids, ref);
    const char *name = json_is_string(nm) ? json_string_value(nm) : ref;
    if (name[0] == '\0') {
        snprintf(out, cap, "stix");
        return;
    }
    snprintf(out, cap, "stix:%s", name);
    for (char *c = out; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20)
            *c = '_';
}

static void load_stix(json_t *root, struct ta__intel_sink *s)
{
    json_t *objs = json_object_get(root, "objects");
    if (!json_is_array(objs)) {
        /* A lone indicator object. */
        objs = json_array();
        if (objs == NULL) {
            s->err = TA_ERR_NOMEM;
            return;
        }
        json_array_append(objs, root);
    } else {
        json_incref(objs);
    }
    /* indicator id -> malware name via "indicates" relationships; identity
     * id -> name for the source. */
    json_t *malware = json_object(), *fam = json_object(), *ids = json_object();
    struct stix_parse *sp = malloc(sizeof(*sp));
    if (malware == NULL || fam == NULL || ids == NULL || sp == NULL) {
        s->err = TA_ERR_NOMEM;
        goto out;
    }
    size_t i;
    json_t *o;
    const char *bundle_ref = "";
    bool one_ref = true;
    json_array_foreach(objs, i, o)
    {
        const char *ty = jstr(o, "type");
        if (jstr_has(o, "created_by_ref")) {
            const char *r = jstr(o, "created_by_ref");
            if (bundle_ref[0] == '\0')
                bundle_ref = r;
            else if (strcmp(bundle_ref, r) != 0)
                one_ref = false;
        }
        if (strcmp(ty, "malware") == 0 && jstr_has(o, "id") && jstr_has(o, "name"))
            json_object_set(malware, jstr(o, "id"), json_object_get(o, "name"));
        if (strcmp(ty, "identity") == 0 && jstr_has(o, "id") && jstr_has(o, "name"))
            json_object_set(ids, jstr(o, "id"), json_object_get(o, "name"));
    }
    json_array_foreach(objs, i, o)
    {
        if (strcmp(jstr(o, "type"), "relationship") == 0 &&
            strcmp(jstr(o, "relationship_type"), "indicates") == 0) {
            json_t *m = json_object_get(malware, jstr(o, "target_ref"));
            if (m != NULL)
                json_object_set(fam, jstr(o, "source_ref"), m);
        }
    }
    json_array_foreach(objs, i, o)
    {
        if (!json_is_object(o)) {
            ta__intel_reject(s, i + 1, "object is not a JSON object");
            continue;
        }
        if (strcmp(jstr(o, "type"), "indicator") != 0)
            continue;
        const char *pattern = jstr(o, "pattern");
        const char *pt = jstr(o, "pattern_type");
        if (pt[0] != '\0' && strcmp(pt, "stix") != 0) {
            ta__intel_unsupported(s, i + 1, "pattern_type %.32s", pt);
            continue;
        }
        memset(sp, 0, offsetof(struct stix_parse, vbuf));
        sp->vo = 0;
        sp->obs = sp->nobs = 0;
        sp->why = NULL;
        sp->p = pattern;
        sp->len = strlen(pattern);
        struct stix_dnf dnf = {0};
        bool ok = sp_or(sp, &dnf, 0);
        sp_ws(sp);
        if (ok && sp->i != sp->len)
            ok = sp_fail(sp, "unexpected text after the pattern");
        if (!ok) {
            ta__intel_unsupported(s, i + 1, "%s: %.60s", sp->why, pattern);
            continue;
        }
        struct ta_intel_indicator ind = {0};
        char src[96];
        stix_source(o, ids, one_ref ? bundle_ref : "", src, sizeof(src));
        ind.source = src;
        ind.kind = stix_kind(o);
        json_t *c = json_object_get(o, "confidence");
        ind.confidence =
            json_is_integer(c) && json_integer_value(c) >= 0 && json_integer_value(c) <= 100
                ? (uint8_t)json_integer_value(c)
                : 70;
        json_t *f = json_object_get(fam, jstr(o, "id"));
        ind.family = json_is_string(f) ? json_string_value(f) : "";
        ind.first_seen = jtime(o, "valid_from");
        ind.last_seen = jtime(o, "modified");
        ind.valid_until = jtime(o, "valid_until");
        uint64_t done = 0;
        bool any = false;
        const char *why = "";
        for (size_t k = 0; k < dnf.n && s->err == TA_OK; k++) {
            const char *w = NULL;
            if (stix_conj(sp, dnf.c[k], &done, i + 1, &ind, s, &w))
                any = true;
            else if (why[0] == '\0')
                why = w;
        }
        if (!any && s->err == TA_OK)
            ta__intel_unsupported(s, i + 1, "%s: %.60s", why, pattern);
        if (s->err != TA_OK)
            break;
    }
out:
    free(sp);
    json_decref(malware);
    json_decref(fam);
    json_decref(ids);
    json_decref(objs);
}

/* ---- MISP --------------------------------------------------------------- */

/*
 * Kinds. An event's tags (and an attribute's own) may name what its network
 * values are: C&C ("c2", "command-and-control", "botnet") or phishing. Those
 * name the servers; an ip-src attribute is where traffic came from (an
 * attacker, a scanner, an infected client), never the server a host
 * contacted, so it is never C&C or phishing however the event is tagged: it
 * is a scanner when a tag says scanning or brute force, else suspicious
 * (kept for context, never counted). Without a kind tag, "Payload delivery"
 * values are malware distribution and the rest "other".
 */
struct misp_ctx {
    enum ta_intel_kind kind;
    bool have_kind;
    bool scan; /* a tag says scanning / brute force */
    const char *family;
    const char *source;
};

static void misp_tags(json_t *tags, struct misp_ctx *mc, char *fam, size_t famcap)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *n = jstr(t, "name");
        if (strncmp(n, "misp-galaxy:", 12) == 0) {
            const char *q = strchr(n, '"');
            const char *q2 = q != NULL ? strchr(q + 1, '"') : NULL;
            if (q2 != NULL && (size_t)(q2 - q - 1) < famcap) {
                memcpy(fam, q + 1, (size_t)(q2 - q - 1));
                fam[q2 - q - 1] = '\0';
            }
        }
        if (icontains(n, "c2") || icontains(n, "command-and-control") ||
            icontains(n, "command and control") || icontains(n, "botnet"))
            mc->kind = TA_INTEL_KIND_C2, mc->have_kind = true;
        else if (icontains(n, "phishing"))
            mc->kind = TA_INTEL_KIND_PHISHING, mc->have_kind = true;
        if (icontains(n, "scan") || icontains(n, "brute-force"))
            mc->scan = true;
    }
}

static void misp_attr(json_t *a, uint64_t line, const struct misp_ctx *ev_mc,
                      struct ta__intel_sink *s)
{
    if (!json_is_object(a)) {
        ta__intel_reject(s, line, "attribute is not an object");
        return;
    }
    const char *type = jstr(a, "type"), *value = jstr(a, "value");
    if (type[0] == '\0' || value[0] == '\0') {
        ta__intel_reject(s, line, "attribute without type or value");
        return;
    }
    json_t *del = json_object_get(a, "deleted");
    if (json_is_true(del)) {
        s->res->skipped++;
        return;
    }
    json_t *ids = json_object_get(a, "to_ids");
    bool to_ids =
        json_is_true(ids) || (json_is_string(ids) && strcmp(json_string_value(ids), "1") == 0);
    if (!to_ids && !s->opts->misp_all) {
        s->res->skipped++;
        return;
    }
    static const struct {
        const char *n;
        enum ta_intel_type t;
    } map[] = {
        {"ip-dst", TA_INTEL_TYPE__COUNT},
        {"ip-src", TA_INTEL_TYPE__COUNT},
        {"domain", TA_INTEL_DOMAIN},
        {"hostname", TA_INTEL_DOMAIN},
        {"url", TA_INTEL_URL},
        {"link", TA_INTEL_URL},
        {"uri", TA_INTEL_URL_PATH},
        {"md5", TA_INTEL_MD5},
        {"sha1", TA_INTEL_SHA1},
        {"sha256", TA_INTEL_SHA256},
        {"filename|md5", TA_INTEL_MD5},
        {"filename|sha1", TA_INTEL_SHA1},
        {"filename|sha256", TA_INTEL_SHA256},
        {"ja3-fingerprint-md5", TA_INTEL_JA3},
        {"ip-dst|port", TA_INTEL_IP_PORT},
        {"ip-src|port", TA_INTEL_IP_PORT},
        {"domain|ip", TA_INTEL_DOMAIN},
        {"hostname|port", TA_INTEL_DOMAIN},
    };
    size_t k;
    for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
        if (strcmp(type, map[k].n) == 0)
            break;
    if (k == sizeof(map) / sizeof(map[0])) {
        ta__intel_unsupported(s, line, "attribute type %.32s", type);
        return;
    }
    enum ta_intel_type t = map[k].t;
    char v[TA__INTEL_VALUE_MAX];
    size_t vl = strlen(value);
    if (vl >= sizeof(v)) {
        ta__intel_reject(s, line, "value too long");
        return;
    }
    memcpy(v, value, vl + 1);
    const char *val = v;
    char *bar = strchr(v, '|');
    if (bar != NULL) {
        if (t == TA_INTEL_IP_PORT) {
            *bar = ':';
        } else if (strncmp(type, "filename|", 9) == 0) {
            /* The file name says nothing on the wire; the hash does. */
            val = bar + 1;
        } else {
            *bar = '\0';
        }
    }
    if (t == TA_INTEL_IP_PORT && strchr(v, '.') == NULL && strchr(v, '[') == NULL) {
        /* An IPv6 address with its port: bracket it as our IP:port form does. */
        char *c = strrchr(v, ':');
        char tmp[TA__INTEL_VALUE_MAX];
        int n = snprintf(tmp, sizeof(tmp), "[%.*s]%s", (int)(c - v), v, c);
        if (n > 0 && (size_t)n < sizeof(v))
            memcpy(v, tmp, (size_t)n + 1);
    }
    if (t == TA_INTEL_TYPE__COUNT)
        t = strchr(v, '/') != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
    /* The attribute's own tags add to the event's. */
    struct misp_ctx mc = *ev_mc;
    char fam[128];
    snprintf(fam, sizeof(fam), "%s", ev_mc->family);
    misp_tags(json_object_get(a, "Tag"), &mc, fam, sizeof(fam));
    json_t *aev = json_object_get(a, "Event");
    if (json_is_object(aev))
        misp_tags(json_object_get(aev, "Tag"), &mc, fam, sizeof(fam));
    struct ta_intel_indicator ind = {0};
    ind.source = mc.source;
    ind.family = fam;
    ind.confidence = to_ids ? 80 : 50;
    const char *cat = jstr(a, "category");
    if (strncmp(type, "ip-src", 6) == 0)
        ind.kind = mc.scan ? TA_INTEL_KIND_SCANNER : TA_INTEL_KIND_SUSPICIOUS;
    else if (mc.have_kind)
        ind.kind = mc.kind;
    else if (strcmp(cat, "Payload delivery") == 0)
        ind.kind = TA_INTEL_KIND_MALWARE_DIST;
    else
        ind.kind = TA_INTEL_KIND_OTHER;
    ind.first_seen = jtime(a, "first_seen");
    ind.last_seen = jtime(a, "timestamp");
    ta__intel_add(s, line, val, strlen(val), t, &ind);
}

static void load_misp_event(json_t *ev, struct ta__intel_sink *s, uint64_t *line)
{
    struct misp_ctx mc = {TA_INTEL_KIND_OTHER, false, false, "", "misp"};
    char fam[128] = "";
    /* Tags: galaxy clusters name the family; a few taxonomies give the kind. */
    misp_tags(json_object_get(ev, "Tag"), &mc, fam, sizeof(fam));
    mc.family = fam;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(ev, "Attribute"), i, a)
    {
        misp_attr(a, ++*line, &mc, s);
        if (s->err != TA_OK)
            return;
    }
    /* Objects (an event may hold only objects): their attributes are read
     * like the event's own. */
    json_t *obj;
    json_array_foreach(json_object_get(ev, "Object"), i, obj)
    {
        size_t j;
        json_array_foreach(json_object_get(obj, "Attribute"), j, a)
        {
            misp_attr(a, ++*line, &mc, s);
            if (s->err != TA_OK)
                return;
        }
    }
}

static void load_misp_tree(json_t *root, struct ta__intel_sink *s)
{
    uint64_t line = 0;
    json_t *ev = json_object_get(root, "Event");
    if (json_is_object(ev)) {
        load_misp_event(ev, s, &line);
        return;
    }
    if (json_is_array(json_object_get(root, "Attribute")) ||
        json_is_array(json_object_get(root, "Object"))) {
        load_misp_event(root, s, &line);
        return;
    }
    /* A single attribute object. */
    struct misp_ctx mc = {TA_INTEL_KIND_OTHER, false, false, "", "misp"};
    misp_attr(root, 1, &mc, s);
}

/*
 * REST answers are streamed: {"response": [{"Event": {...}}, ...]} (event
 * search: one event at a time) and {"response": {"Attribute": [...]}}
 * (attribute search: one attribute at a time, with its own tags and those of
 * its "Event" summary).
 */
struct misp_stream {
    bool have_response; /* found by the checking pass */
    uint64_t line;
};

static void misp_event_rec(json_t *e, uint64_t idx, struct ta__intel_sink *s, void *user)
{
    (void)idx;
    struct misp_stream *ms = user;
    json_t *ev = json_object_get(e, "Event");
    if (!json_is_object(e)) {
        ta__intel_reject(s, ++ms->line, "event is not an object");
        return;
    }
    load_misp_event(ev != NULL ? ev : e, s, &ms->line);
}

static void misp_attr_rec(json_t *a, uint64_t idx, struct ta__intel_sink *s, void *user)
{
    (void)user;
    struct misp_ctx mc = {TA_INTEL_KIND_OTHER, false, false, "", "misp"};
    misp_attr(a, idx, &mc, s);
}

static bool misp_resp_member(struct js *c, const char *k, size_t kl, uint64_t idx, void *ctx)
{
    (void)idx;
    if (js_key(k, kl, "Attribute") && js_peek(c) == '[') {
        struct rec r = {misp_attr_rec, ctx, 0};
        return js_array(c, item_record, &r);
    }
    return js_skip(c);
}

static bool misp_member(struct js *c, const char *k, size_t kl, uint64_t idx, void *ctx)
{
    (void)idx;
    struct misp_stream *ms = ctx;
    if (!js_key(k, kl, "response"))
        return js_skip(c);
    ms->have_response = true;
    if (js_peek(c) == '[') {
        struct rec r = {misp_event_rec, ms, 0};
        return js_array(c, item_record, &r);
    }
    if (js_peek(c) == '{')
        return js_object(c, misp_resp_member, ms);
    return js_skip(c);
}

/* Without a "response" member the document is read as one tree afterwards. */
static bool root_misp(struct js *c, void *ctx)
{
    struct misp_stream *ms = ctx;
    if (js_peek(c) == '{' && (!c->emit || ms->have_response))
        return js_object(c, misp_member, ctx);
    return js_skip(c);
}

/* ---- MISP warninglists ---------------------------------------------------- */

/* MISP attribute types that carry network values (IPs, names, URLs). */
static const char *const wl_network_attrs[] = {"ip-src", "ip-dst",   "ip-src|port",   "ip-dst|port",
                                               "domain", "hostname", "hostname|port", "domain|ip",
                                               "url",    "uri",      "link",          NULL};

/*
 * Lists that name infrastructure anyone can rent or abuse: matching one says
 * nothing about benign use, so they must not suppress C&C. Keyed by the
 * list's folder name (misp-warninglists/lists/<id>/list.json); a prefix ends
 * in '*'.
 */
static const struct {
    const char *id;
    const char *why;
} wl_abusable[] = {
    {"amazon-aws", "cloud compute anyone can rent"},
    {"microsoft-azure*", "cloud compute anyone can rent"},
    {"google-gcp", "cloud compute anyone can rent"},
    {"oracle-oci", "cloud compute anyone can rent"},
    {"ovh-cluster", "hosting anyone can rent"},
    {"github", "hosts content anyone can publish (payloads, pages)"},
    {"akamai", "CDN that fronts any customer's server"},
    {"cloudflare", "CDN that fronts any customer's server"},
    {"fastly", "CDN that fronts any customer's server"},
    {"bunny-net", "CDN that fronts any customer's server"},
    {"stackpath", "CDN that fronts any customer's server"},
    {"telegram-ips", "messaging API that bots use as a C&C channel"},
    {"vpn-ipv4", "VPN exits anyone can use"},
    {"vpn-ipv6", "VPN exits anyone can use"},
    {"icloud-private-relay", "relay exits anyone with an account can use"},
    {"dynamic-dns", "dynamic DNS names anyone can register"},
    {"tlds", "top-level domains, not sites"},
    {"second-level-tlds", "public suffixes, not sites"},
    {"url-shortener", "redirectors anyone can point anywhere"},
    {"public-ipfs-gateways", "gateways serving anyone's content"},
    {"lots-project", "trusted sites attackers live off (LOTS)"},
    {"link-in-bio", "pages anyone can create"},
    {"university_domains", "large networks with many compromised hosts, not a benign site list"},
};

static const char *wl_abusable_reason(const char *id)
{
    for (size_t i = 0; i < sizeof(wl_abusable) / sizeof(wl_abusable[0]); i++) {
        const char *p = wl_abusable[i].id;
        size_t n = strlen(p);
        if (n > 0 && p[n - 1] == '*' ? strncmp(id, p, n - 1) == 0 : strcmp(id, p) == 0)
            return wl_abusable[i].why;
    }
    return NULL;
}

/* The list's id: its folder for ".../<id>/list.json", else the file's base name. */
static void wl_id(const char *file, json_t *root, char *out, size_t cap)
{
    out[0] = '\0';
    if (file != NULL) {
        size_t n = strlen(file);
        const char *end = file + n;
        const char *base = strrchr(file, '/');
        base = base != NULL ? base + 1 : file;
        if (strcmp(base, "list.json") == 0 && base > file + 1) {
            end = base - 1;
            const char *b = end;
            while (b > file && b[-1] != '/')
                b--;
            base = b;
        } else if (n > 5 && strcmp(end - 5, ".json") == 0) {
            end -= 5;
        }
        size_t l = (size_t)(end - base);
        if (l > 0 && l < cap) {
            memcpy(out, base, l);
            out[l] = '\0';
        }
    }
    if (out[0] == '\0') {
        const char *nm = jstr(root, "name");
        size_t l = strlen(nm);
        if (l >= cap)
            l = cap - 1;
        memcpy(out, nm, l);
        out[l] = '\0';
    }
    for (char *c = out; *c != '\0'; c++)
        if (*c == ' ' || *c == ',' || (unsigned char)*c < 0x20)
            *c = '_';
}

static void load_warninglist(json_t *root, struct ta__intel_sink *s)
{
    json_t *list = json_object_get(root, "list");
    json_t *attrs = json_object_get(root, "matching_attributes");
    const char *type = jstr(root, "type");
    struct ta_intel_load_result *r = s->res;
    if (!json_is_array(list) || !json_is_array(attrs)) {
        ta__intel_reject(s, 1, "warninglist without list or matching_attributes");
        return;
    }
    char id[64];
    wl_id(s->opts->file_name, root, id, sizeof(id));
    snprintf(r->list, sizeof(r->list), "%s", id);
    bool network = false;
    size_t i;
    json_t *v;
    json_array_foreach(attrs, i, v)
    {
        for (size_t k = 0; json_is_string(v) && wl_network_attrs[k] != NULL; k++)
            if (strcmp(json_string_value(v), wl_network_attrs[k]) == 0)
                network = true;
    }
    size_t n = json_array_size(list);
    if (!network) {
        r->skip_reason = "values are not network indicators (hashes, e-mail, phone ...)";
        r->skipped += n;
        r->files_skipped++;
        return;
    }
    const char *why = wl_abusable_reason(id);
    if (why != NULL && !s->opts->have_kind) {
        r->skip_reason = why;
        r->skipped += n;
        r->files_skipped++;
        return;
    }
    bool str = strcmp(type, "string") == 0, host = strcmp(type, "hostname") == 0,
         cidr = strcmp(type, "cidr") == 0;
    if (!str && !host && !cidr) {
        /* substring and regex entries match inside values; the index holds
         * whole values and names only. */
        if (n > 0) {
            ta__intel_unsupported(s, 1, "warninglist type %.20s (%zu entries not imported)", type,
                                  n);
            r->unsupported += n - 1;
        }
        return;
    }
    char src[80];
    snprintf(src, sizeof(src), "misp:%s", id);
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_ALLOW;
    ind.confidence = 100;
    ind.source = src;
    json_array_foreach(list, i, v)
    {
        if (s->err != TA_OK)
            break;
        if (!json_is_string(v)) {
            ta__intel_reject(s, i + 1, "entry is not a string");
            continue;
        }
        const char *e = json_string_value(v);
        size_t el = json_string_length(v);
        enum ta_intel_type t = TA_INTEL_TYPE__COUNT;
        if (cidr)
            t = memchr(e, '/', el) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
        else if (host)
            t = TA_INTEL_DOMAIN;
        /* string = that exact value; a leading "." (".google.ad") names the
         * domain and everything under it, as MISP reads it. */
        ind.exact = str && !(el > 0 && e[0] == '.');
        ta__intel_add(s, i + 1, e, el, t, &ind);
    }
}

static json_t *load_tree(const uint8_t *buf, size_t len, struct ta__intel_sink *s)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL)
        ta__intel_reject(s, (uint64_t)(jerr.line > 0 ? jerr.line : 0), "invalid JSON: %.60s",
                         jerr.text);
    return root;
}

ta_err ta__intel_load_json(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                           struct ta__intel_sink *s)
{
    struct rec r = {NULL, NULL, 0};
    switch (fmt) {
    case TA_INTEL_FMT_FEODO_JSON:
        r.fn = feodo_one;
        return js_run(buf, len, s, root_array, &r);
    case TA_INTEL_FMT_PHISHTANK_JSON:
        r.fn = phishtank_one;
        return js_run(buf, len, s, root_array, &r);
    case TA_INTEL_FMT_TOP_SITES:
        r.fn = top_site_one;
        return js_run(buf, len, s, root_array, &r);
    case TA_INTEL_FMT_THREATFOX_JSON: {
        struct tf_ctx tc = {false};
        return js_run(buf, len, s, root_threatfox, &tc);
    }
    case TA_INTEL_FMT_OPENPHISH_JSON:
        load_json_lines(buf, len, openphish_one, s);
        return TA_OK;
    case TA_INTEL_FMT_MISP: {
        struct misp_stream ms = {false, 0};
        ta_err e = js_run(buf, len, s, root_misp, &ms);
        if (e != TA_OK || ms.have_response || s->err != TA_OK)
            return e;
        json_t *root = load_tree(buf, len, s);
        if (root == NULL)
            return TA_ERR_FORMAT;
        if (json_is_object(root))
            load_misp_tree(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON object");
        json_decref(root);
        return TA_OK;
    }
    case TA_INTEL_FMT_STIX2:
    case TA_INTEL_FMT_MISP_WARNINGLIST: {
        /* Bundles and lists are read whole: a bundle's indicators refer to
         * objects anywhere in it (identities, malware, relationships). */
        json_t *root = load_tree(buf, len, s);
        if (root == NULL)
            return TA_ERR_FORMAT;
        if (!json_is_object(root))
            ta__intel_reject(s, 1, "expected a JSON object");
        else if (fmt == TA_INTEL_FMT_STIX2)
            load_stix(root, s);
        else
            load_warninglist(root, s);
        json_decref(root);
        return TA_OK;
    }
    default:
        return TA_OK;
    }
}
