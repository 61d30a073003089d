/*
 * Line-oriented feed loaders: plain lists, OpenPhish feed.txt, Feodo Tracker
 * ipblocklist.txt, maltrail trails, Zeek intel files and the IP lists inside
 * Emerging Threats rules. Every line is handled on its own; a malformed line
 * is counted and the next one parsed.
 */
#include <string.h>

#include "intel/intel-internal.h"

#include "common/banned.h"

/* Cut a trailing " # comment" (maltrail, plain lists). */
static void cut_comment(const char *s, size_t *len)
{
    for (size_t i = 0; i < *len; i++)
        if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
            *len = i;
            return;
        }
}

static bool contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (ta__intel_ieq(s + i, needle, k))
            return true;
    return false;
}

/* Maltrail: kind, family and confidence from the trail file's path. */
static void maltrail_meta(const char *path, struct ta_intel_indicator *ind, char *fam,
                          size_t famcap)
{
    const char *base = path != NULL ? strrchr(path, '/') : NULL;
    base = base != NULL ? base + 1 : (path != NULL ? path : "");
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".txt") == 0)
        bl -= 4;
    if (bl >= famcap)
        bl = famcap - 1;
    memcpy(fam, base, bl);
    fam[bl] = '\0';
    size_t pl = path != NULL ? strlen(path) : 0;
    ind->kind = TA_INTEL_KIND_C2;
    ind->confidence = 80;
    ind->family = fam;
    if (contains(base, bl, "mass_scanner")) {
        ind->kind = TA_INTEL_KIND_SCANNER;
        ind->confidence = 90;
        ind->family = NULL;
    } else if (contains(path, pl, "/suspicious/")) {
        ind->kind = contains(base, bl, "web_shell") ? TA_INTEL_KIND_WEBSHELL : TA_INTEL_KIND_OTHER;
        ind->confidence = 40;
    } else if (contains(path, pl, "/malicious/")) {
        ind->kind = contains(base, bl, "phish") ? TA_INTEL_KIND_PHISHING : TA_INTEL_KIND_C2;
        ind->confidence = 70;
    }
}

static void load_zeek(const uint8_t *buf, size_t len, struct ta__intel_sink *s)
{
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    int col_ind = 0, col_type = 1, col_src = -1, col_desc = -1;
    char srcbuf[128];
    ta__intel_lines_init(&it, buf, len);
    while (ta__intel_lines_next(&it, &line, &n) && s->err == TA_OK) {
        const char *f[TA__INTEL_CSV_MAXF];
        size_t fl[TA__INTEL_CSV_MAXF];
        int nf = 0;
        size_t st = 0;
        for (size_t i = 0; i <= n && nf < TA__INTEL_CSV_MAXF; i++)
            if (i == n || line[i] == '\t') {
                f[nf] = line + st;
                fl[nf++] = i - st;
                st = i + 1;
            }
        if (n == 0)
            continue;
        if (line[0] == '#') {
            if (n > 7 && memcmp(line, "#fields", 7) == 0) {
                col_ind = col_type = col_src = col_desc = -1;
                for (int i = 1; i < nf; i++) {
                    int c = i - 1;
                    if (fl[i] == 9 && memcmp(f[i], "indicator", 9) == 0)
                        col_ind = c;
                    else if (fl[i] == 14 && memcmp(f[i], "indicator_type", 14) == 0)
                        col_type = c;
                    else if (fl[i] == 11 && memcmp(f[i], "meta.source", 11) == 0)
                        col_src = c;
                    else if (fl[i] == 9 && memcmp(f[i], "meta.desc", 9) == 0)
                        col_desc = c;
                }
            }
            continue;
        }
        if (col_ind < 0 || col_type < 0 || col_ind >= nf || col_type >= nf) {
            ta__intel_reject(s, it.lineno, "missing indicator or indicator_type column");
            continue;
        }
        const char *ty = f[col_type];
        size_t tl = fl[col_type];
        enum ta_intel_type t;
        if (tl == 11 && memcmp(ty, "Intel::ADDR", 11) == 0)
            t = TA_INTEL_IP;
        else if (tl == 13 && memcmp(ty, "Intel::SUBNET", 13) == 0)
            t = TA_INTEL_CIDR;
        else if (tl == 13 && memcmp(ty, "Intel::DOMAIN", 13) == 0)
            t = TA_INTEL_DOMAIN;
        else if (tl == 10 && memcmp(ty, "Intel::URL", 10) == 0)
            t = TA_INTEL_URL;
        else if (tl == 16 && memcmp(ty, "Intel::FILE_HASH", 16) == 0)
            t = fl[col_ind] == 32   ? TA_INTEL_MD5
                : fl[col_ind] == 40 ? TA_INTEL_SHA1
                                    : TA_INTEL_SHA256;
        else if (tl == 10 && memcmp(ty, "Intel::JA3", 10) == 0)
            t = TA_INTEL_JA3;
        else if (tl > 7 && memcmp(ty, "Intel::", 7) == 0) {
            ta__intel_unsupported(s, it.lineno, "indicator type %.*s", (int)(tl > 40 ? 40 : tl),
                                  ty);
            continue;
        } else {
            ta__intel_reject(s, it.lineno, "bad indicator_type");
            continue;
        }
        struct ta_intel_indicator ind = {0};
        ind.kind = TA_INTEL_KIND_OTHER;
        ind.confidence = 60;
        ind.source = "zeek-intel";
        if (col_src >= 0 && col_src < nf && fl[col_src] > 0 && fl[col_src] < sizeof(srcbuf) &&
            !(fl[col_src] == 1 && f[col_src][0] == '-')) {
            memcpy(srcbuf, f[col_src], fl[col_src]);
            srcbuf[fl[col_src]] = '\0';
            ind.source = srcbuf;
        }
        if (col_desc >= 0 && col_desc < nf) {
            const char *d = f[col_desc];
            size_t dl = fl[col_desc];
            if (contains(d, dl, "c2") || contains(d, dl, "c&c") || contains(d, dl, "command"))
                ind.kind = TA_INTEL_KIND_C2;
            else if (contains(d, dl, "phish"))
                ind.kind = TA_INTEL_KIND_PHISHING;
            else if (contains(d, dl, "scan"))
                ind.kind = TA_INTEL_KIND_SCANNER;
        }
        ta__intel_add(s, it.lineno, f[col_ind], fl[col_ind], t, &ind);
    }
}

/* Kind of an ET rule from its msg text. */
static enum ta_intel_kind et_kind(const char *msg, size_t n)
{
    if (contains(msg, n, " CNC ") || contains(msg, n, "C2") || contains(msg, n, "Botnet") ||
        contains(msg, n, "Command and Control"))
        return TA_INTEL_KIND_C2;
    if (contains(msg, n, "COMPROMISED"))
        return TA_INTEL_KIND_COMPROMISED;
    if (contains(msg, n, "SCAN"))
        return TA_INTEL_KIND_SCANNER;
    if (contains(msg, n, "phish"))
        return TA_INTEL_KIND_PHISHING;
    return TA_INTEL_KIND_OTHER;
}

/* Emit each literal address in an ET address field ("[1.2.3.4,5.6.7.0/24]", "1.2.3.4"). */
static size_t et_addrs(struct ta__intel_sink *s, uint64_t line, const char *f, size_t n,
                       const struct ta_intel_indicator *ind)
{
    size_t count = 0;
    if (n > 0 && f[0] == '[') {
        f++;
        n--;
        if (n > 0 && f[n - 1] == ']')
            n--;
    }
    size_t st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && f[i] != ',')
            continue;
        const char *e = f + st;
        size_t el = i - st;
        st = i + 1;
        ta__intel_trim(&e, &el);
        if (el == 0 || e[0] == '$' || e[0] == '!' || e[0] == '[' ||
            (el == 3 && memcmp(e, "any", 3) == 0))
            continue;
        enum ta_intel_type t = memchr(e, '/', el) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP;
        uint64_t before = s->res->accepted;
        ta__intel_add(s, line, e, el, t, ind);
        count += (size_t)(s->res->accepted - before);
    }
    return count;
}

static void load_et(const uint8_t *buf, size_t len, struct ta__intel_sink *s)
{
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    ta__intel_lines_init(&it, buf, len);
    while (ta__intel_lines_next(&it, &line, &n) && s->err == TA_OK) {
        ta__intel_trim(&line, &n);
        if (n == 0 || line[0] == '#')
            continue;
        /* action proto src sport dir dst dport (options) */
        const char *tok[7];
        size_t tl[7];
        size_t i = 0;
        int nt = 0;
        while (nt < 7 && i < n) {
            while (i < n && line[i] == ' ')
                i++;
            size_t st = i;
            int depth = 0;
            while (i < n && (line[i] != ' ' || depth > 0) && line[i] != '(') {
                if (line[i] == '[')
                    depth++;
                else if (line[i] == ']')
                    depth--;
                i++;
            }
            if (i == st)
                break;
            tok[nt] = line + st;
            tl[nt++] = i - st;
        }
        if (nt < 7) {
            ta__intel_reject(s, it.lineno, "rule header incomplete");
            continue;
        }
        const char *msg = NULL;
        size_t ml = 0;
        for (size_t k = i; k + 5 <= n; k++)
            if (memcmp(line + k, "msg:\"", 5) == 0) {
                msg = line + k + 5;
                const char *q = memchr(msg, '"', n - k - 5);
                ml = q != NULL ? (size_t)(q - msg) : 0;
                break;
            }
        struct ta_intel_indicator ind = {0};
        ind.kind = et_kind(msg != NULL ? msg : "", ml);
        ind.confidence = 80;
        ind.source = "et-open";
        size_t got = et_addrs(s, it.lineno, tok[2], tl[2], &ind);
        got += et_addrs(s, it.lineno, tok[5], tl[5], &ind);
        if (got == 0)
            s->res->skipped++;
    }
}

void ta__intel_load_lines(const uint8_t *buf, size_t len, enum ta_intel_format fmt,
                          struct ta__intel_sink *s)
{
    if (fmt == TA_INTEL_FMT_ZEEK) {
        load_zeek(buf, len, s);
        return;
    }
    if (fmt == TA_INTEL_FMT_ET_RULES) {
        load_et(buf, len, s);
        return;
    }
    struct ta_intel_indicator ind = {0};
    enum ta_intel_type type = TA_INTEL_TYPE__COUNT;
    char fam[128];
    switch (fmt) {
    case TA_INTEL_FMT_OPENPHISH:
        ind.kind = TA_INTEL_KIND_PHISHING;
        ind.confidence = 85;
        ind.source = "openphish";
        type = TA_INTEL_URL;
        break;
    case TA_INTEL_FMT_FEODO_LIST:
        ind.kind = TA_INTEL_KIND_C2;
        ind.confidence = 90;
        ind.source = "feodo";
        type = TA_INTEL_IP;
        break;
    case TA_INTEL_FMT_MALTRAIL:
        ind.source = "maltrail";
        maltrail_meta(s->opts->file_name, &ind, fam, sizeof(fam));
        break;
    default:
        ind.kind = TA_INTEL_KIND_OTHER;
        ind.confidence = 70;
        ind.source = "plain";
        {
            /* A plain list is named after its file unless --source says otherwise. */
            const char *fn = s->opts->file_name;
            const char *b = fn != NULL ? strrchr(fn, '/') : NULL;
            b = b != NULL ? b + 1 : fn;
            if (b != NULL && b[0] != '\0') {
                size_t bl = strlen(b);
                const char *dot = strrchr(b, '.');
                if (dot != NULL && dot != b)
                    bl = (size_t)(dot - b);
                if (bl >= sizeof(fam))
                    bl = sizeof(fam) - 1;
                memcpy(fam, b, bl);
                fam[bl] = '\0';
                ind.source = fam;
            }
        }
        break;
    }
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    ta__intel_lines_init(&it, buf, len);
    while (ta__intel_lines_next(&it, &line, &n) && s->err == TA_OK) {
        ta__intel_trim(&line, &n);
        if (n == 0 || line[0] == '#' || line[0] == ';') {
            continue;
        }
        if (fmt != TA_INTEL_FMT_OPENPHISH) {
            cut_comment(line, &n);
            ta__intel_trim(&line, &n);
            if (n == 0)
                continue;
        }
        /* Maltrail writes bare "http://1.2.3.4" for an address reached over HTTP. */
        ta__intel_add(s, it.lineno, line, n, type, &ind);
    }
}
