/*
 * JSON feed loaders (jansson): Feodo Tracker ipblocklist.json, ThreatFox
 * exports and API answers, PhishTank JSON, STIX 2.x bundles, MISP events,
 * MISP warninglists and the npm top-sites list.
 * The document must be valid JSON (else TA_ERR_FORMAT); inside it each
 * element is judged on its own, counted and skipped when malformed. "line"
 * in reject reports is the 1-based element index.
 */
#include <jansson.h>
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

static void load_feodo(json_t *root, struct ta__intel_sink *s)
{
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e)
    {
        if (!json_is_object(e) || !jstr_has(e, "ip_address")) {
            ta__intel_reject(s, i + 1, "element without ip_address");
            continue;
        }
        struct ta_intel_indicator ind = {0};
        ind.kind = TA_INTEL_KIND_C2;
        ind.source = "feodo";
        ind.confidence = strcmp(jstr(e, "status"), "offline") == 0 ? 75 : 90;
        ind.family = jstr(e, "malware");
        ind.first_seen = jtime(e, "first_seen");
        ind.last_seen = jtime(e, "last_online");
        add_str(s, i + 1, jstr(e, "ip_address"), TA_INTEL_IP, &ind);
        if (s->err != TA_OK)
            return;
    }
}

static void load_phishtank(json_t *root, struct ta__intel_sink *s)
{
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e)
    {
        if (!json_is_object(e) || !jstr_has(e, "url")) {
            ta__intel_reject(s, i + 1, "element without url");
            continue;
        }
        struct ta_intel_indicator ind = {0};
        ind.kind = TA_INTEL_KIND_PHISHING;
        ind.source = "phishtank";
        ind.confidence = strcmp(jstr(e, "verified"), "yes") == 0 ? 90 : 60;
        const char *brand = jstr(e, "target");
        ind.brand = strcmp(brand, "Other") == 0 ? "" : brand;
        ind.first_seen = jtime(e, "submission_time");
        ind.last_seen = jtime(e, "verification_time");
        add_str(s, i + 1, jstr(e, "url"), TA_INTEL_URL, &ind);
        if (s->err != TA_OK)
            return;
    }
}

static void threatfox_one(json_t *e, uint64_t line, struct ta__intel_sink *s)
{
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

static void load_threatfox(json_t *root, struct ta__intel_sink *s)
{
    json_t *data = json_object_get(root, "data");
    size_t i;
    json_t *e;
    if (json_is_array(data)) {
        json_array_foreach(data, i, e)
        {
            threatfox_one(e, i + 1, s);
            if (s->err != TA_OK)
                return;
        }
        return;
    }
    /* Export: {"<ioc id>": [ {...} ], ...} */
    const char *key;
    uint64_t n = 0;
    json_object_foreach(root, key, e)
    {
        n++;
        if (!json_is_array(e)) {
            ta__intel_reject(s, n, "value of '%.20s' is not an array", key);
            continue;
        }
        size_t j;
        json_t *x;
        json_array_foreach(e, j, x)
        {
            threatfox_one(x, n, s);
            if (s->err != TA_OK)
                return;
        }
    }
}

/* ---- STIX 2.x ---------------------------------------------------------- */

struct stix_cmp {
    enum ta_intel_type type;
    const char *v;
    size_t vl;
};

/*
 * Parse a STIX pattern made only of `path = 'value'` comparisons joined by
 * OR (brackets allowed). Returns the number of comparisons, 0 when the
 * pattern uses anything else (reason in *why).
 */
static size_t stix_pattern(const char *p, struct stix_cmp *out, size_t max, char *vbuf, size_t vcap,
                           const char **why)
{
    size_t n = 0, vo = 0, i = 0, len = strlen(p);
    bool need_or = false;
    for (;;) {
        while (i < len && (p[i] == ' ' || p[i] == '[' || p[i] == ']' || p[i] == '(' ||
                           p[i] == ')' || p[i] == '\t' || p[i] == '\n'))
            i++;
        if (i >= len)
            break;
        if (need_or) {
            if (len - i >= 2 && memcmp(p + i, "OR", 2) == 0 && (len - i == 2 || p[i + 2] == ' ')) {
                i += 2;
                need_or = false;
                continue;
            }
            *why = "operator other than OR";
            return 0;
        }
        size_t ps = i;
        while (i < len && p[i] != ' ' && p[i] != '=' && p[i] != '!')
            i++;
        size_t pl = i - ps;
        while (i < len && p[i] == ' ')
            i++;
        if (i >= len || p[i] != '=') {
            *why = "comparison other than =";
            return 0;
        }
        i++;
        while (i < len && p[i] == ' ')
            i++;
        if (i >= len || p[i] != '\'') {
            *why = "value is not a string";
            return 0;
        }
        i++;
        size_t vs = vo;
        while (i < len && p[i] != '\'') {
            if (p[i] == '\\' && i + 1 < len)
                i++;
            if (vo + 1 >= vcap) {
                *why = "pattern too long";
                return 0;
            }
            vbuf[vo++] = p[i++];
        }
        if (i >= len) {
            *why = "unterminated string";
            return 0;
        }
        i++;
        vbuf[vo++] = '\0';
        static const struct {
            const char *path;
            enum ta_intel_type t;
        } paths[] = {
            {"ipv4-addr:value", TA_INTEL_TYPE__COUNT}, {"ipv6-addr:value", TA_INTEL_TYPE__COUNT},
            {"domain-name:value", TA_INTEL_DOMAIN},    {"url:value", TA_INTEL_URL},
            {"file:hashes.md5", TA_INTEL_MD5},         {"file:hashes.'MD5'", TA_INTEL_MD5},
            {"file:hashes.MD5", TA_INTEL_MD5},         {"file:hashes.'SHA-1'", TA_INTEL_SHA1},
            {"file:hashes.sha1", TA_INTEL_SHA1},       {"file:hashes.'SHA-256'", TA_INTEL_SHA256},
            {"file:hashes.sha256", TA_INTEL_SHA256},
        };
        size_t k;
        for (k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
            if (strlen(paths[k].path) == pl && memcmp(paths[k].path, p + ps, pl) == 0)
                break;
        if (k == sizeof(paths) / sizeof(paths[0])) {
            *why = "object path not supported";
            return 0;
        }
        if (n >= max) {
            *why = "too many comparisons";
            return 0;
        }
        enum ta_intel_type t = paths[k].t;
        if (t == TA_INTEL_TYPE__COUNT)
            t = memchr(vbuf + vs, '/', vo - vs - 1) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
        out[n].type = t;
        out[n].v = vbuf + vs;
        out[n].vl = vo - vs - 1;
        n++;
        need_or = true;
    }
    if (n == 0)
        *why = "empty pattern";
    return n;
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
    /* indicator id -> malware name via "indicates" relationships. */
    json_t *malware = json_object(), *fam = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        if (strcmp(jstr(o, "type"), "malware") == 0 && jstr_has(o, "id") && jstr_has(o, "name"))
            json_object_set(malware, jstr(o, "id"), json_object_get(o, "name"));
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
        struct stix_cmp cmp[64];
        char vbuf[8192];
        const char *why = "";
        size_t nc = stix_pattern(pattern, cmp, 64, vbuf, sizeof(vbuf), &why);
        if (nc == 0) {
            ta__intel_unsupported(s, i + 1, "%s: %.60s", why, pattern);
            continue;
        }
        struct ta_intel_indicator ind = {0};
        ind.source = "stix";
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
        for (size_t k = 0; k < nc && s->err == TA_OK; k++)
            ta__intel_add(s, i + 1, cmp[k].v, cmp[k].vl, cmp[k].type, &ind);
        if (s->err != TA_OK)
            break;
    }
    json_decref(malware);
    json_decref(fam);
    json_decref(objs);
}

/* ---- MISP --------------------------------------------------------------- */

struct misp_ctx {
    enum ta_intel_kind kind;
    bool have_kind;
    const char *family;
    const char *source;
};

static void misp_attr(json_t *a, uint64_t line, const struct misp_ctx *mc, struct ta__intel_sink *s)
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
    char *bar = strchr(v, '|');
    if (bar != NULL) {
        if (t == TA_INTEL_IP_PORT)
            *bar = ':';
        else {
            *bar = '\0';
            vl = (size_t)(bar - v);
        }
    }
    if (t == TA_INTEL_TYPE__COUNT)
        t = strchr(v, '/') != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
    struct ta_intel_indicator ind = {0};
    ind.source = mc->source;
    ind.family = mc->family;
    ind.confidence = to_ids ? 80 : 50;
    const char *cat = jstr(a, "category");
    if (mc->have_kind)
        ind.kind = mc->kind;
    else if (strcmp(cat, "Payload delivery") == 0)
        ind.kind = TA_INTEL_KIND_MALWARE_DIST;
    else
        ind.kind = TA_INTEL_KIND_OTHER;
    ind.first_seen = jtime(a, "first_seen");
    ind.last_seen = jtime(a, "timestamp");
    ta__intel_add(s, line, v, strlen(v), t, &ind);
}

static void load_misp_event(json_t *ev, struct ta__intel_sink *s, uint64_t *line)
{
    struct misp_ctx mc = {TA_INTEL_KIND_OTHER, false, "", "misp"};
    char fam[128] = "";
    /* Tags: galaxy clusters name the family; a few taxonomies give the kind. */
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(ev, "Tag"), i, t)
    {
        const char *n = jstr(t, "name");
        if (strncmp(n, "misp-galaxy:", 12) == 0) {
            const char *q = strchr(n, '"');
            const char *q2 = q != NULL ? strchr(q + 1, '"') : NULL;
            if (q2 != NULL && (size_t)(q2 - q - 1) < sizeof(fam)) {
                memcpy(fam, q + 1, (size_t)(q2 - q - 1));
                fam[q2 - q - 1] = '\0';
            }
        }
        if (icontains(n, "c2") || icontains(n, "command-and-control") || icontains(n, "botnet"))
            mc.kind = TA_INTEL_KIND_C2, mc.have_kind = true;
        else if (icontains(n, "phishing"))
            mc.kind = TA_INTEL_KIND_PHISHING, mc.have_kind = true;
    }
    mc.family = fam;
    json_t *a;
    json_array_foreach(json_object_get(ev, "Attribute"), i, a)
    {
        misp_attr(a, ++*line, &mc, s);
        if (s->err != TA_OK)
            return;
    }
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

static void load_misp(json_t *root, struct ta__intel_sink *s)
{
    uint64_t line = 0;
    json_t *resp = json_object_get(root, "response");
    if (json_is_array(resp)) {
        size_t i;
        json_t *e;
        json_array_foreach(resp, i, e)
        {
            json_t *ev = json_object_get(e, "Event");
            load_misp_event(ev != NULL ? ev : e, s, &line);
        }
        return;
    }
    json_t *ev = json_object_get(root, "Event");
    if (json_is_object(ev)) {
        load_misp_event(ev, s, &line);
        return;
    }
    if (json_is_array(json_object_get(root, "Attribute"))) {
        load_misp_event(root, s, &line);
        return;
    }
    /* A single attribute object. */
    struct misp_ctx mc = {TA_INTEL_KIND_OTHER, false, "", "misp"};
    misp_attr(root, 1, &mc, s);
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

/* ---- npm top-sites ---------------------------------------------------------- */

static void load_top_sites(json_t *root, struct ta__intel_sink *s)
{
    struct ta_intel_indicator ind = {0};
    ind.kind = TA_INTEL_KIND_ALLOW;
    ind.confidence = 100;
    ind.source = "top-sites";
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e)
    {
        if (s->err != TA_OK)
            break;
        json_t *d = json_is_object(e) ? json_object_get(e, "rootDomain") : NULL;
        if (!json_is_string(d)) {
            ta__intel_reject(s, i + 1, "element without rootDomain");
            continue;
        }
        const char *v = json_string_value(d);
        size_t l = json_string_length(d);
        /* "www.google.com" stands for the site: google.com and all under it. */
        if (l > 4 && ta__intel_ieq(v, "www.", 4)) {
            v += 4;
            l -= 4;
        }
        ta__intel_add(s, i + 1, v, l, TA_INTEL_DOMAIN, &ind);
    }
}

ta_err ta__intel_load_json(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                           struct ta__intel_sink *s)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL) {
        ta__intel_reject(s, (uint64_t)(jerr.line > 0 ? jerr.line : 0), "invalid JSON: %.60s",
                         jerr.text);
        return TA_ERR_FORMAT;
    }
    switch (fmt) {
    case TA_INTEL_FMT_FEODO_JSON:
        if (json_is_array(root))
            load_feodo(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON array");
        break;
    case TA_INTEL_FMT_PHISHTANK_JSON:
        if (json_is_array(root))
            load_phishtank(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON array");
        break;
    case TA_INTEL_FMT_THREATFOX_JSON:
        if (json_is_object(root))
            load_threatfox(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON object");
        break;
    case TA_INTEL_FMT_STIX2:
        if (json_is_object(root))
            load_stix(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON object");
        break;
    case TA_INTEL_FMT_MISP:
        if (json_is_object(root))
            load_misp(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON object");
        break;
    case TA_INTEL_FMT_MISP_WARNINGLIST:
        if (json_is_object(root))
            load_warninglist(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON object");
        break;
    case TA_INTEL_FMT_TOP_SITES:
        if (json_is_array(root))
            load_top_sites(root, s);
        else
            ta__intel_reject(s, 1, "expected a JSON array");
        break;
    default:
        break;
    }
    json_decref(root);
    return TA_OK;
}
