/*
 * CSV feed loaders: abuse.ch Feodo Tracker, URLhaus and ThreatFox exports,
 * OpenPhish premium CSV, PhishTank CSV, Suricata iprep lists, maltrail's
 * compiled trails.csv and abuse.ch SSLBL's JA3 and certificate blacklists. Columns are
 * found by header name when the feed has a header (abuse.ch writes it as a
 * "# " comment), otherwise by the format's documented order.
 */
#include <string.h>
#include <strings.h>

#include "common/csv.h"
#include "intel/intel-internal.h"

#include "common/banned.h"

enum col {
    C_VALUE,   /* the indicator */
    C_PORT,    /* Feodo dst_port */
    C_TYPE,    /* ThreatFox ioc_type */
    C_THREAT,  /* ThreatFox threat_type, URLhaus threat */
    C_STATUS,  /* c2_status / url_status / online */
    C_FIRST,   /* first seen */
    C_LAST,    /* last seen */
    C_FAMILY,  /* malware family */
    C_CONF,    /* confidence / score */
    C_BRAND,   /* phishing target */
    C_COUNTRY, /* phishing target country */
    C_VERIFIED,
    C__COUNT
};

struct layout {
    const char *names[C__COUNT]; /* header names ("a|b" alternatives) */
    int dflt[C__COUNT];          /* default positions, -1 = absent */
    const char *key;             /* header name that identifies the header row */
};

static const struct layout layouts[TA_INTEL_FMT__COUNT] =
    {
        [TA_INTEL_FMT_FEODO_CSV] = {.names = {[C_VALUE] = "dst_ip",
                                              [C_PORT] = "dst_port",
                                              [C_STATUS] = "c2_status",
                                              [C_FIRST] = "first_seen_utc",
                                              [C_LAST] = "last_online",
                                              [C_FAMILY] = "malware"},
                                    .dflt = {[C_VALUE] = 1,
                                             [C_PORT] = 2,
                                             [C_TYPE] = -1,
                                             [C_THREAT] = -1,
                                             [C_STATUS] = 3,
                                             [C_FIRST] = 0,
                                             [C_LAST] = 4,
                                             [C_FAMILY] = 5,
                                             [C_CONF] = -1,
                                             [C_BRAND] = -1,
                                             [C_COUNTRY] = -1,
                                             [C_VERIFIED] = -1},
                                    .key = "dst_ip"},
        [TA_INTEL_FMT_URLHAUS_CSV] =
            {.names = {[C_VALUE] = "url",
                       [C_THREAT] = "threat",
                       [C_STATUS] = "url_status",
                       [C_FIRST] = "dateadded",
                       [C_LAST] = "last_online"},
             .dflt = {[C_VALUE] = 2,
                      [C_PORT] = -1,
                      [C_TYPE] = -1,
                      [C_THREAT] = 5,
                      [C_STATUS] = 3,
                      [C_FIRST] = 1,
                      [C_LAST] = 4,
                      [C_FAMILY] = -1,
                      [C_CONF] = -1,
                      [C_BRAND] = -1,
                      [C_COUNTRY] = -1,
                      [C_VERIFIED] = -1},
             .key = "url_status"},
        [TA_INTEL_FMT_THREATFOX_CSV] = {.names = {[C_VALUE] = "ioc_value",
                                                  [C_TYPE] = "ioc_type",
                                                  [C_THREAT] = "threat_type",
                                                  [C_FIRST] = "first_seen_utc",
                                                  [C_LAST] = "last_seen_utc",
                                                  [C_FAMILY] = "malware_printable",
                                                  [C_CONF] = "confidence_level"},
                                        .dflt = {[C_VALUE] = 2,
                                                 [C_PORT] = -1,
                                                 [C_TYPE] = 3,
                                                 [C_THREAT] = 4,
                                                 [C_STATUS] = -1,
                                                 [C_FIRST] = 0,
                                                 [C_LAST] = 8,
                                                 [C_FAMILY] = 7,
                                                 [C_CONF] = 9,
                                                 [C_BRAND] = -1,
                                                 [C_COUNTRY] = -1,
                                                 [C_VERIFIED] = -1},
                                        .key = "ioc_value"},
        [TA_INTEL_FMT_OPENPHISH_CSV] = {.names = {[C_VALUE] = "url",
                                                  [C_BRAND] = "brand",
                                                  [C_COUNTRY] = "country_code",
                                                  [C_FIRST] = "discover_time|isotime",
                                                  [C_FAMILY] = "family_id"},
                                        .dflt = {[C_VALUE] = 0,
                                                 [C_PORT] = -1,
                                                 [C_TYPE] = -1,
                                                 [C_THREAT] = -1,
                                                 [C_STATUS] = -1,
                                                 [C_FIRST] = -1,
                                                 [C_LAST] = -1,
                                                 [C_FAMILY] = -1,
                                                 [C_CONF] = -1,
                                                 [C_BRAND] = 1,
                                                 [C_COUNTRY] = -1,
                                                 [C_VERIFIED] = -1},
                                        .key = "brand"},
        [TA_INTEL_FMT_PHISHTANK_CSV] = {.names = {[C_VALUE] = "url",
                                                  [C_FIRST] = "submission_time",
                                                  [C_LAST] = "verification_time",
                                                  [C_STATUS] = "online",
                                                  [C_BRAND] = "target",
                                                  [C_VERIFIED] = "verified"},
                                        .dflt = {[C_VALUE] = 1,
                                                 [C_PORT] = -1,
                                                 [C_TYPE] = -1,
                                                 [C_THREAT] = -1,
                                                 [C_STATUS] = 6,
                                                 [C_FIRST] = 3,
                                                 [C_LAST] = 5,
                                                 [C_FAMILY] = -1,
                                                 [C_CONF] = -1,
                                                 [C_BRAND] = 7,
                                                 [C_COUNTRY] = -1,
                                                 [C_VERIFIED] = 4},
                                        .key = "phish_id"},
        [TA_INTEL_FMT_IPREP] = {.names = {[C_VALUE] = "ip"},
                                .dflt = {[C_VALUE] = 0,
                                         [C_PORT] = -1,
                                         [C_TYPE] = -1,
                                         [C_THREAT] = 1,
                                         [C_STATUS] = -1,
                                         [C_FIRST] = -1,
                                         [C_LAST] = -1,
                                         [C_FAMILY] = -1,
                                         [C_CONF] = 2,
                                         [C_BRAND] = -1,
                                         [C_COUNTRY] = -1,
                                         [C_VERIFIED] = -1},
                                .key = NULL},
        [TA_INTEL_FMT_BAMBENEK] = {.dflt = {[C_VALUE] = 0,
                                            [C_PORT] = -1,
                                            [C_TYPE] = -1,
                                            [C_THREAT] = 1,
                                            [C_STATUS] = -1,
                                            [C_FIRST] = 2,
                                            [C_LAST] = 2,
                                            [C_FAMILY] = -1,
                                            [C_CONF] = -1,
                                            [C_BRAND] = -1,
                                            [C_COUNTRY] = -1,
                                            [C_VERIFIED] = -1},
                                   .key = NULL},
        [TA_INTEL_FMT_SSLBL_JA3] = {.names = {[C_VALUE] = "ja3_md5",
                                              [C_FIRST] = "Firstseen",
                                              [C_LAST] = "Lastseen",
                                              [C_FAMILY] = "Listingreason"},
                                    .dflt = {[C_VALUE] = 0,
                                             [C_PORT] = -1,
                                             [C_TYPE] = -1,
                                             [C_THREAT] = -1,
                                             [C_STATUS] = -1,
                                             [C_FIRST] = 1,
                                             [C_LAST] = 2,
                                             [C_FAMILY] = 3,
                                             [C_CONF] = -1,
                                             [C_BRAND] = -1,
                                             [C_COUNTRY] = -1,
                                             [C_VERIFIED] = -1},
                                    .key = "ja3_md5"},
        [TA_INTEL_FMT_SSLBL_CERT] =
            {.names = {[C_VALUE] = "SHA1", [C_FIRST] = "Listingdate", [C_FAMILY] = "Listingreason"},
             .dflt = {[C_VALUE] = 1,
                      [C_PORT] = -1,
                      [C_TYPE] = -1,
                      [C_THREAT] = -1,
                      [C_STATUS] = -1,
                      [C_FIRST] = 0,
                      [C_LAST] = -1,
                      [C_FAMILY] = 2,
                      [C_CONF] = -1,
                      [C_BRAND] = -1,
                      [C_COUNTRY] = -1,
                      [C_VERIFIED] = -1},
             .key = "Listingdate"},
        [TA_INTEL_FMT_MALTRAIL_CSV] = {.dflt = {[C_VALUE] = 0,
                                                [C_PORT] = -1,
                                                [C_TYPE] = -1,
                                                [C_THREAT] = 1,
                                                [C_STATUS] = -1,
                                                [C_FIRST] = -1,
                                                [C_LAST] = -1,
                                                [C_FAMILY] = -1,
                                                [C_CONF] = -1,
                                                [C_BRAND] = -1,
                                                [C_COUNTRY] = -1,
                                                [C_VERIFIED] = -1},
                                       .key = NULL},
};

static bool name_is(const char *field, const char *alts)
{
    size_t fl = strlen(field);
    while (alts != NULL && *alts != '\0') {
        const char *bar = strchr(alts, '|');
        size_t al = bar != NULL ? (size_t)(bar - alts) : strlen(alts);
        /* URLhaus's country and ASN feeds spell the columns "URL", "URL_status". */
        if (al == fl && ta__intel_ieq(field, alts, al))
            return true;
        alts = bar != NULL ? bar + 1 : NULL;
    }
    return false;
}

/* If fields form the format's header row, set pos[] from it and return true. */
static bool take_header(const struct layout *L, const char **f, int nf, int *pos)
{
    if (L->key == NULL)
        return false;
    bool found = false;
    for (int i = 0; i < nf; i++)
        if (strcasecmp(f[i], L->key) == 0)
            found = true;
    if (!found)
        return false;
    for (int c = 0; c < C__COUNT; c++) {
        pos[c] = -1;
        for (int i = 0; i < nf && L->names[c] != NULL; i++)
            if (name_is(f[i], L->names[c])) {
                pos[c] = i;
                break;
            }
    }
    return true;
}

static const char *col(const char **f, int nf, const int *pos, enum col c)
{
    int p = pos[c];
    if (p < 0 || p >= nf)
        return "";
    return f[p];
}

/* "None", "null", "-", "Other" carry no information. */
static const char *opt_str(const char *s)
{
    if (strcmp(s, "None") == 0 || strcmp(s, "null") == 0 || strcmp(s, "-") == 0 ||
        strcmp(s, "Other") == 0 || strcmp(s, "n/a") == 0)
        return "";
    return s;
}

static bool threatfox_type(const char *t, enum ta_intel_type *out)
{
    static const struct {
        const char *n;
        enum ta_intel_type t;
    } map[] = {{"ip:port", TA_INTEL_IP_PORT}, {"domain", TA_INTEL_DOMAIN},
               {"url", TA_INTEL_URL},         {"md5_hash", TA_INTEL_MD5},
               {"sha1_hash", TA_INTEL_SHA1},  {"sha256_hash", TA_INTEL_SHA256},
               {"ja3_hash", TA_INTEL_JA3}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(t, map[i].n) == 0) {
            *out = map[i].t;
            return true;
        }
    return false;
}

static enum ta_intel_kind threat_kind(const char *t)
{
    if (strcmp(t, "botnet_cc") == 0)
        return TA_INTEL_KIND_C2;
    if (strcmp(t, "payload_delivery") == 0 || strcmp(t, "malware_download") == 0)
        return TA_INTEL_KIND_MALWARE_DIST;
    return TA_INTEL_KIND_OTHER;
}

static bool has_ci(const char *s, const char *needle)
{
    size_t n = strlen(s), k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (ta__intel_ieq(s + i, needle, k))
            return true;
    return false;
}

/*
 * maltrail's info column names the threat: "<family> (malware)", "malware",
 * "botnet c2", "phishing", "known attacker", "mass scanner", "sinkhole <x>
 * (malware)", "parking site (suspicious)", "bad reputation", "... (suspicious)".
 * Sinkholes and parking pages come first: they name malware but are not it.
 * family receives "<family>" of "<family> (malware)" (or "").
 */
static void maltrail_info(const char *info, struct ta_intel_indicator *ind, char *fam,
                          size_t famcap)
{
    fam[0] = '\0';
    ind->family = NULL;
    if (has_ci(info, "sinkhole") || has_ci(info, "parking")) {
        ind->kind = TA_INTEL_KIND_OTHER;
        ind->confidence = 40;
    } else if (has_ci(info, "phish")) {
        ind->kind = TA_INTEL_KIND_PHISHING;
        ind->confidence = 70;
    } else if (has_ci(info, "web shell") || has_ci(info, "webshell") || has_ci(info, "web_shell")) {
        ind->kind = TA_INTEL_KIND_WEBSHELL;
        ind->confidence = 40;
    } else if (has_ci(info, "scanner") || has_ci(info, "attacker")) {
        ind->kind = TA_INTEL_KIND_SCANNER;
        ind->confidence = 80;
    } else if (has_ci(info, "suspicious")) {
        ind->kind = TA_INTEL_KIND_SUSPICIOUS;
        ind->confidence = 40;
    } else if (has_ci(info, "reputation")) {
        ind->kind = TA_INTEL_KIND_OTHER;
        ind->confidence = 40;
    } else if (has_ci(info, "malware") || has_ci(info, "c2") || has_ci(info, "c&c") ||
               has_ci(info, "botnet") || has_ci(info, "ransomware")) {
        ind->kind = TA_INTEL_KIND_C2;
        ind->confidence = 80;
        size_t il = strlen(info);
        static const char tag[] = " (malware)";
        size_t tl = sizeof(tag) - 1;
        if (il > tl && ta__intel_ieq(info + il - tl, tag, tl) && il - tl < famcap) {
            memcpy(fam, info, il - tl);
            fam[il - tl] = '\0';
            ind->family = fam;
        }
    } else {
        ind->kind = TA_INTEL_KIND_OTHER;
        ind->confidence = 40;
    }
}

/* A maltrail trail we cannot hold: a regular expression, or a single label
 * (maltrail matches those inside lookup-service names). Returns the reason. */
static const char *maltrail_unsupported(const char *v)
{
    if (strpbrk(v, "\\*+?()|^$") != NULL || (v[0] != '[' && strchr(v, '[') != NULL))
        return "maltrail regular-expression trail";
    if (v[0] != '/' && v[0] != '[' && strchr(v, '.') == NULL && strchr(v, ':') == NULL)
        return "maltrail single-label trail";
    return NULL;
}

/*
 * The kind of a Suricata iprep category, from its line in the categories
 * file ("id,short name,description", e.g. "9,CnC,ET CNC Feodo Tracker"):
 * command and control, phishing, scanners, compromised or infected hosts,
 * malware drop and download sites; anything else (spam, Tor, proxies,
 * gaming ...) is other. Without a categories file, or for a category it does
 * not list, the kind is other.
 */
static enum ta_intel_kind iprep_kind(const char *cats, const char *cat)
{
    if (cats == NULL)
        return TA_INTEL_KIND_OTHER;
    size_t cl = strlen(cat);
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    ta__intel_lines_init(&it, (const uint8_t *)cats, strlen(cats));
    while (ta__intel_lines_next(&it, &line, &n)) {
        ta__intel_trim(&line, &n);
        if (n <= cl + 1 || line[0] == '#' || memcmp(line, cat, cl) != 0 || line[cl] != ',')
            continue;
        const char *t = line + cl + 1;
        size_t tl = n - cl - 1;
        static const struct {
            const char *word;
            enum ta_intel_kind k;
        } words[] = {
            {"cnc", TA_INTEL_KIND_C2},
            {"c&c", TA_INTEL_KIND_C2},
            {"c2", TA_INTEL_KIND_C2},
            {"command and control", TA_INTEL_KIND_C2},
            {"phish", TA_INTEL_KIND_PHISHING},
            {"scan", TA_INTEL_KIND_SCANNER},
            {"compromised", TA_INTEL_KIND_COMPROMISED},
            {"bot,", TA_INTEL_KIND_COMPROMISED},
            {"infected", TA_INTEL_KIND_COMPROMISED},
            {"drivebysrc", TA_INTEL_KIND_MALWARE_DIST},
            {"malware distribution", TA_INTEL_KIND_MALWARE_DIST},
        };
        for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            size_t wl = strlen(words[w].word);
            for (size_t i = 0; i + wl <= tl; i++)
                if (ta__intel_ieq(t + i, words[w].word, wl))
                    return words[w].k;
        }
        return TA_INTEL_KIND_OTHER;
    }
    return TA_INTEL_KIND_OTHER;
}

/* Bambenek's description names the family: "IP used by shiotob/urlzone/bebloh
 * C&C", "Domain used by Cryptolocker - Flashback DGA for 10 Nov 2016". */
static const char *bambenek_family(const char *d, char *fam, size_t cap)
{
    const char *p = strstr(d, "used by ");
    fam[0] = '\0';
    if (p == NULL)
        return fam;
    p += 8;
    size_t n = strlen(p);
    static const char *const ends[] = {" C&C", " DGA", " - ", NULL};
    for (size_t i = 0; ends[i] != NULL; i++) {
        const char *e = strstr(p, ends[i]);
        if (e != NULL && (size_t)(e - p) < n)
            n = (size_t)(e - p);
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(fam, p, n);
    fam[n] = '\0';
    return fam;
}

/*
 * SSLBL's listing reason names the family, "Dridex" or "AsyncRAT C&C";
 * " C&C" is dropped, and a reason naming no family ("Malware C&C") gives
 * none.
 */
static const char *sslbl_family(const char *reason, char *fam, size_t cap)
{
    size_t n = strlen(reason);
    static const char tag[] = " C&C";
    if (n >= sizeof(tag) - 1 && strcmp(reason + n - (sizeof(tag) - 1), tag) == 0)
        n -= sizeof(tag) - 1;
    if (n >= cap || (n == 7 && ta__intel_ieq(reason, "Malware", 7)))
        n = 0;
    memcpy(fam, reason, n);
    fam[n] = '\0';
    return fam;
}

/* A date column: empty or a "no value" marker is unknown (0); anything else
 * must be a date. False when it is not (the line is rejected). */
static bool date_col(const char *v, ta_time_us *out)
{
    *out = 0;
    if (v[0] == '\0' || strcmp(v, "None") == 0 || strcmp(v, "null") == 0 || strcmp(v, "-") == 0 ||
        strcmp(v, "n/a") == 0)
        return true;
    return ta__intel_time_parse(v, strlen(v), out);
}

void ta__intel_load_csv(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                        struct ta__intel_sink *s)
{
    const struct layout *L = &layouts[fmt];
    int pos[C__COUNT];
    memcpy(pos, L->dflt, sizeof(pos));
    char fb[TA__INTEL_VALUE_MAX * 2];
    const char *f[TA__INTEL_CSV_MAXF];
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    int minf = 0;
    for (int c = 0; c < C__COUNT; c++)
        if (pos[c] + 1 > minf)
            minf = pos[c] + 1;
    minf = pos[C_VALUE] + 1;
    ta__intel_lines_init(&it, buf, len);
    while (ta__intel_lines_next(&it, &line, &n) && s->err == TA_OK) {
        ta__intel_trim(&line, &n);
        if (n == 0)
            continue;
        bool comment = line[0] == '#';
        const char *body = line;
        size_t bl = n;
        if (comment) {
            body++;
            bl--;
            ta__intel_trim(&body, &bl);
        }
        int nf = ta_csv_split(body, bl, TA_CSV_TRIM, fb, sizeof(fb), f, NULL, TA__INTEL_CSV_MAXF);
        if (nf > 0 && take_header(L, f, nf, pos)) {
            minf = pos[C_VALUE] + 1;
            if (pos[C_VALUE] < 0) {
                ta__intel_reject(s, it.lineno, "header has no indicator column");
                return;
            }
            continue;
        }
        if (comment)
            continue;
        if (nf < 0) {
            ta__intel_reject(s, it.lineno, "malformed CSV (quotes or length)");
            continue;
        }
        if (nf < minf) {
            ta__intel_reject(s, it.lineno, "expected at least %d fields, got %d", minf, nf);
            continue;
        }
        struct ta_intel_indicator ind = {0};
        enum ta_intel_type type = TA_INTEL_TYPE__COUNT;
        const char *value = col(f, nf, pos, C_VALUE);
        char vbuf[TA__INTEL_VALUE_MAX];
        /* A date the line gives but we cannot read is that line's error:
         * never replaced by another date (the file's, the import's). */
        const char *df = col(f, nf, pos, C_FIRST), *dl = col(f, nf, pos, C_LAST);
        if (!date_col(df, &ind.first_seen) || !date_col(dl, &ind.last_seen)) {
            const char *bad = ind.first_seen == 0 && df[0] != '\0' ? df : dl;
            ta__intel_reject(s, it.lineno, "unparseable date '%.40s'", bad);
            continue;
        }
        ind.family = opt_str(col(f, nf, pos, C_FAMILY));
        vbuf[0] = '\0';
        const char *status = col(f, nf, pos, C_STATUS);
        switch (fmt) {
        case TA_INTEL_FMT_FEODO_CSV:
            ind.source = "feodo";
            ind.kind = TA_INTEL_KIND_C2;
            ind.confidence = strcmp(status, "offline") == 0 ? 75 : 90;
            type = TA_INTEL_IP;
            break;
        case TA_INTEL_FMT_URLHAUS_CSV:
            ind.source = "urlhaus";
            ind.kind = TA_INTEL_KIND_MALWARE_DIST;
            ind.confidence = strcmp(status, "offline") == 0 ? 70 : 85;
            type = TA_INTEL_URL;
            break;
        case TA_INTEL_FMT_THREATFOX_CSV: {
            const char *ty = col(f, nf, pos, C_TYPE);
            if (!threatfox_type(ty, &type)) {
                ta__intel_unsupported(s, it.lineno, "ioc_type '%.32s'", ty);
                continue;
            }
            ind.source = "threatfox";
            ind.kind = threat_kind(col(f, nf, pos, C_THREAT));
            const char *cf = col(f, nf, pos, C_CONF);
            int cv = 0;
            for (const char *p = cf; *p >= '0' && *p <= '9' && cv <= 100; p++)
                cv = cv * 10 + (*p - '0');
            ind.confidence = (uint8_t)(cf[0] == '\0' ? 50 : cv > 100 ? 100 : cv);
            break;
        }
        case TA_INTEL_FMT_OPENPHISH_CSV:
            ind.source = "openphish";
            ind.kind = TA_INTEL_KIND_PHISHING;
            ind.confidence = 90;
            ind.brand = opt_str(col(f, nf, pos, C_BRAND));
            ind.country = col(f, nf, pos, C_COUNTRY);
            type = TA_INTEL_URL;
            break;
        case TA_INTEL_FMT_PHISHTANK_CSV:
            ind.source = "phishtank";
            ind.kind = TA_INTEL_KIND_PHISHING;
            ind.confidence = strcmp(col(f, nf, pos, C_VERIFIED), "yes") == 0 ? 90 : 60;
            ind.brand = opt_str(col(f, nf, pos, C_BRAND));
            type = TA_INTEL_URL;
            break;
        case TA_INTEL_FMT_IPREP: {
            ind.source = "iprep";
            ind.kind = iprep_kind(s->opts->iprep_categories, col(f, nf, pos, C_THREAT));
            const char *sc = col(f, nf, pos, C_CONF);
            const char *cat = col(f, nf, pos, C_THREAT);
            int v = 0;
            size_t k = 0;
            for (; sc[k] >= '0' && sc[k] <= '9' && k < 4; k++)
                v = v * 10 + (sc[k] - '0');
            if (sc[k] != '\0' || k == 0 || v > 127 || cat[0] < '0' || cat[0] > '9') {
                ta__intel_reject(s, it.lineno, "expected ip,category,score (score 0-127)");
                continue;
            }
            ind.confidence = (uint8_t)(v * 100 / 127);
            type = memchr(value, '/', strlen(value)) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
            break;
        }
        case TA_INTEL_FMT_BAMBENEK:
            /* C&C master lists: addresses (c2-ipmasterlist) or domains
             * (c2-dommasterlist, dga-feed), all C&C. */
            ind.source = "bambenek";
            ind.kind = TA_INTEL_KIND_C2;
            ind.confidence = 85;
            ind.family = bambenek_family(col(f, nf, pos, C_THREAT), vbuf, sizeof(vbuf));
            break;
        case TA_INTEL_FMT_SSLBL_JA3:
            /* A client fingerprint: the detector never counts one alone. */
            ind.source = "sslbl";
            ind.kind = TA_INTEL_KIND_C2;
            ind.confidence = 70;
            ind.family = sslbl_family(col(f, nf, pos, C_FAMILY), vbuf, sizeof(vbuf));
            type = TA_INTEL_JA3;
            break;
        case TA_INTEL_FMT_SSLBL_CERT:
            /* The SHA-1 of a certificate seen on a C&C server. */
            ind.source = "sslbl";
            ind.kind = TA_INTEL_KIND_C2;
            ind.confidence = 90;
            ind.family = sslbl_family(col(f, nf, pos, C_FAMILY), vbuf, sizeof(vbuf));
            type = TA_INTEL_SHA1;
            break;
        case TA_INTEL_FMT_MALTRAIL_CSV: {
            const char *why = maltrail_unsupported(value);
            if (why != NULL) {
                ta__intel_unsupported(s, it.lineno, "%s '%.48s'", why, value);
                continue;
            }
            ind.source = "maltrail";
            maltrail_info(col(f, nf, pos, C_THREAT), &ind, vbuf, sizeof(vbuf));
            /* As in the trail files: a payload download is not a C&C server. */
            if (ind.kind == TA_INTEL_KIND_C2 && ta__intel_payload_path(value, strlen(value)))
                ind.kind = TA_INTEL_KIND_MALWARE_DIST;
            break;
        }
        default:
            return;
        }
        if (ind.country != NULL && strlen(ind.country) != 2)
            ind.country = "";
        ta__intel_add(s, it.lineno, value, strlen(value), type, &ind);
    }
}
