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

/*
 * Maltrail tree semantics, per file (by its path inside the checkout):
 *   data/whitelist.txt                 allow (source "maltrail-whitelist")
 *   trails/static/mass_scanner*.txt    scanner
 *   trails/static/suspicious/          suspicious (TLDs, dynamic DNS, DGA, onion, web shell
 *                                      file names probed by scanners ...): never counted
 *   trails/static/malicious/           by file: phishing kits -> phishing, web shell
 *                                      backdoor paths -> webshell, exploit kits, traffic
 *                                      distribution systems and injected redirectors ->
 *                                      malware-distribution, the rest (C2 frameworks) -> c2
 *   anything else (malware/<family>.txt, custom/)   c2, family = file name
 * and per entry: in a c2 file, a URL or URL path to a downloadable payload
 * (ta__intel_payload_path()) is malware-distribution. Scanner and suspicious
 * trails have their own sources ("maltrail-scanner", "maltrail-suspicious"):
 * one row per value and source, so a value that is also in a malware family
 * keeps its c2 row instead of the later file's kind replacing it.
 */
enum mt_class { MT_C2, MT_ALLOW, MT_SCANNER, MT_SUSPICIOUS, MT_FIXED };

static bool name_in(const char *base, size_t bl, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strlen(names[i]) == bl && memcmp(base, names[i], bl) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* Files of trails/static/malicious/ that are not C2 servers. */
static const char *const mt_phishing[] = {
    "365stealer_phishtool", "evilginx",           "georgeginx", "gophish",
    "perswaysion",          "telekopye_scamtool", NULL};
static const char *const mt_webshell[] = {"modxcore", "pinnaclecore", NULL};
static const char *const mt_dist[] = {"socgholish",      "wp_inject",    "domain_shadowing",
                                      "install_capital", "install_cube", NULL};

static enum mt_class maltrail_meta(const char *path, struct ta_intel_indicator *ind, char *fam,
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
    if (bl == 9 && memcmp(base, "whitelist", 9) == 0) {
        ind->kind = TA_INTEL_KIND_ALLOW;
        ind->confidence = 100;
        ind->family = NULL;
        ind->source = "maltrail-whitelist";
        return MT_ALLOW;
    }
    if (contains(base, bl, "mass_scanner")) {
        ind->kind = TA_INTEL_KIND_SCANNER;
        ind->confidence = 90;
        ind->family = NULL;
        ind->source = "maltrail-scanner";
        return MT_SCANNER;
    }
    if (contains(path, pl, "/suspicious/")) {
        ind->kind = TA_INTEL_KIND_SUSPICIOUS;
        ind->confidence = 40;
        ind->source = "maltrail-suspicious";
        return MT_SUSPICIOUS;
    }
    if (contains(path, pl, "/malicious/")) {
        ind->confidence = 70;
        if (contains(base, bl, "phish") || name_in(base, bl, mt_phishing)) {
            ind->kind = TA_INTEL_KIND_PHISHING;
            return MT_FIXED;
        }
        if (contains(base, bl, "web_shell") || contains(base, bl, "webshell") ||
            name_in(base, bl, mt_webshell)) {
            ind->kind = TA_INTEL_KIND_WEBSHELL;
            return MT_FIXED;
        }
        if ((bl > 3 && memcmp(base, "ek_", 3) == 0) || ends_with(base, bl, "_tds") ||
            name_in(base, bl, mt_dist)) {
            ind->kind = TA_INTEL_KIND_MALWARE_DIST;
            return MT_FIXED;
        }
    }
    return MT_C2;
}

/*
 * Path endings of a downloadable payload: executables and scripts a
 * downloader runs, and the CPU architecture suffixes IoT bots (Mirai and its
 * kin) give their ELF builds ("/bins/x.arm7"). Archives and images (.zip,
 * .png) are left out: pages and kits use them as often as payloads do, and a
 * c2 URL answered with an executable is turned into a payload event by the
 * detector anyway.
 */
static const char *const payload_ext[] = {
    /* Windows, Java, Android, scripts */
    "exe", "dll", "scr", "msi", "bin", "bat", "cmd", "ps1", "hta", "vbs", "vbe", "wsf", "jar",
    "apk", "sh", "elf",
    /* ELF builds named after their architecture */
    "arm", "arm4", "arm4l", "arm4t", "arm4tl", "arm4tll", "arm5", "arm5l", "arm5n", "arm6", "arm6l",
    "arm61", "arm7", "arm7l", "arm8", "arm64", "armv4", "armv4l", "armv5l", "armv6", "armv6l",
    "armv61", "armv7l", "mips", "mips64", "mipsel", "mipseb", "mpsl", "m68k", "m68", "ppc", "ppc2",
    "ppc440", "ppc440fp", "powerpc", "powerppc", "pcc", "sh4", "ssh4", "spc", "sparc", "arc", "x86",
    "x86_32", "x86_64", "x64", "x32", "i386", "i486", "i586", "i686", "i4", "i6", "dbg", NULL};

bool ta__intel_payload_path(const char *s, size_t n)
{
    /* The path: after "scheme://host" or the host of "host/path"; up to the query. */
    const char *p = s;
    size_t pn = n;
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            p = s + i + 3;
            pn = n - i - 3;
            break;
        }
    if (p == s && n > 0 && s[0] == '/') {
        /* a URL path trail */
    } else {
        const char *sl = memchr(p, '/', pn);
        if (sl == NULL)
            return false;
        pn -= (size_t)(sl - p);
        p = sl;
    }
    const char *q = memchr(p, '?', pn);
    if (q != NULL)
        pn = (size_t)(q - p);
    size_t dot = pn;
    while (dot > 0 && p[dot - 1] != '.' && p[dot - 1] != '/')
        dot--;
    if (dot == 0 || p[dot - 1] != '.' || dot == pn)
        return false;
    const char *ext = p + dot;
    size_t el = pn - dot;
    for (size_t i = 0; payload_ext[i] != NULL; i++)
        if (strlen(payload_ext[i]) == el && ta__intel_ieq(ext, payload_ext[i], el))
            return true;
    return false;
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
            t = fl[col_ind] == 32    ? TA_INTEL_MD5
                : fl[col_ind] == 40  ? TA_INTEL_SHA1
                : fl[col_ind] == 128 ? TA_INTEL_SHA512
                                     : TA_INTEL_SHA256;
        else if (tl == 10 && memcmp(ty, "Intel::JA3", 10) == 0)
            t = TA_INTEL_JA3;
        else if (tl == 16 && memcmp(ty, "Intel::CERT_HASH", 16) == 0)
            t = TA_INTEL_SHA1; /* Zeek's certificate hash is the SHA-1 of the DER */
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

/*
 * ET's JA3 rules (emerging-ja3.rules) each name one fingerprint: `ja3.hash;
 * content:"<md5>"` (or the older `ja3_hash;`), `ja3s.hash;` for servers.
 * Kind: c2 for rules about malware (classtype command-and-control or
 * trojan-activity, or a msg naming malware, a C&C, a trojan, a backdoor,
 * ransomware, abuse.ch's list, Cobalt Strike, Meterpreter); scanner for
 * scanning tools; other (silent) for the rest: adware, proxies, cloud tools.
 * ET rates almost all of them "confidence Low": 50, "High" 90. Family: the
 * rule's malware_family metadata, '_' read as a space.
 * Returns how many were accepted.
 */
static size_t et_ja3(struct ta__intel_sink *s, uint64_t line, const char *r, size_t n,
                     const char *msg, size_t ml)
{
    static const char *const c2_words[] = {"Malware",    "CnC",      "C2",
                                           "Trojan",     "Backdoor", "Ransomware",
                                           "[Abuse.ch]", "Cobalt",   "Meterpreter"};
    static const char *const scan_words[] = {"Scan", "Nikto", "sqlmap", "Nessus", "Nexpose"};
    struct ta_intel_indicator ind = {0};
    ind.source = "et-open";
    ind.kind = TA_INTEL_KIND_OTHER;
    for (size_t i = 0; i < sizeof(scan_words) / sizeof(scan_words[0]); i++)
        if (contains(msg, ml, scan_words[i]))
            ind.kind = TA_INTEL_KIND_SCANNER;
    for (size_t i = 0; i < sizeof(c2_words) / sizeof(c2_words[0]); i++)
        if (contains(msg, ml, c2_words[i]))
            ind.kind = TA_INTEL_KIND_C2;
    if (contains(r, n, "classtype:command-and-control") ||
        contains(r, n, "classtype:trojan-activity"))
        ind.kind = TA_INTEL_KIND_C2;
    ind.confidence = contains(r, n, "confidence High")     ? 90
                     : contains(r, n, "confidence Medium") ? 70
                                                           : 50;
    char fam[64];
    fam[0] = 0;
    for (size_t k = 0; k + 15 <= n; k++)
        if (memcmp(r + k, "malware_family ", 15) == 0) {
            size_t o = 0;
            for (size_t j = k + 15; j < n && r[j] != ',' && r[j] != ';' && o + 1 < sizeof(fam); j++)
                fam[o++] = r[j] == '_' ? ' ' : r[j];
            fam[o] = 0;
            break;
        }
    ind.family = fam;
    size_t got = 0;
    for (size_t k = 0; k + 9 <= n; k++) {
        bool server = k + 10 <= n && (memcmp(r + k, "ja3s.hash;", 10) == 0 ||
                                      memcmp(r + k, "ja3s_hash;", 10) == 0);
        if (!server && memcmp(r + k, "ja3.hash;", 9) != 0 && memcmp(r + k, "ja3_hash;", 9) != 0)
            continue;
        size_t j = k + (server ? 10 : 9);
        while (j < n && r[j] == ' ')
            j++;
        if (j + 9 > n || memcmp(r + j, "content:\"", 9) != 0)
            continue;
        const char *v = r + j + 9;
        const char *q = memchr(v, '"', n - j - 9);
        if (q == NULL)
            continue;
        uint64_t before = s->res->accepted;
        ta__intel_add(s, line, v, (size_t)(q - v), server ? TA_INTEL_JA3S : TA_INTEL_JA3, &ind);
        got += (size_t)(s->res->accepted - before);
        k = (size_t)(q - r);
    }
    return got;
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
            got = et_ja3(s, it.lineno, line + i, n - i, msg != NULL ? msg : "", ml);
        if (got == 0)
            s->res->skipped++;
    }
}

/*
 * Spamhaus DROP / EDROP: "network ; SBLnnnnnn" per line, ';' comments. The
 * networks are hijacked or leased to criminals: kind other (listed, never an
 * event on its own), the SBL reference kept as the entry's family so that a
 * lookup names the record. ASN-DROP lines ("AS260 ; AE | NAME") name
 * autonomous systems, which are not indicators here: unsupported.
 */
static void load_drop(const uint8_t *buf, size_t len, struct ta__intel_sink *s)
{
    struct ta__intel_lines it;
    const char *line;
    size_t n;
    char ref[64];
    ta__intel_lines_init(&it, buf, len);
    while (ta__intel_lines_next(&it, &line, &n) && s->err == TA_OK) {
        ta__intel_trim(&line, &n);
        if (n == 0 || line[0] == ';' || line[0] == '#')
            continue;
        const char *semi = memchr(line, ';', n);
        const char *v = line;
        size_t vl = semi != NULL ? (size_t)(semi - line) : n;
        ta__intel_trim(&v, &vl);
        if (vl > 2 && (v[0] == 'A' || v[0] == 'a') && (v[1] == 'S' || v[1] == 's') && v[2] >= '0' &&
            v[2] <= '9') {
            ta__intel_unsupported(s, it.lineno, "autonomous system %.*s (ASN-DROP)",
                                  (int)(vl > 16 ? 16 : vl), v);
            continue;
        }
        ref[0] = '\0';
        if (semi != NULL) {
            const char *r = semi + 1;
            size_t rl = n - (size_t)(semi - line) - 1;
            ta__intel_trim(&r, &rl);
            if (rl >= sizeof(ref))
                rl = sizeof(ref) - 1;
            memcpy(ref, r, rl);
            ref[rl] = '\0';
        }
        struct ta_intel_indicator ind = {0};
        ind.kind = TA_INTEL_KIND_OTHER;
        ind.confidence = 90;
        ind.source = "spamhaus-drop";
        ind.family = ref;
        ta__intel_add(s, it.lineno, v, vl, memchr(v, '/', vl) != NULL ? TA_INTEL_CIDR : TA_INTEL_IP,
                      &ind);
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
    if (fmt == TA_INTEL_FMT_SPAMHAUS_DROP) {
        load_drop(buf, len, s);
        return;
    }
    struct ta_intel_indicator ind = {0};
    enum ta_intel_type type = TA_INTEL_TYPE__COUNT;
    enum mt_class mt = MT_FIXED;
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
        mt = maltrail_meta(s->opts->file_name, &ind, fam, sizeof(fam));
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
        if (mt == MT_SUSPICIOUS) {
            /* A regular expression ("byethost[0-9]+\\.com") is not a value; a
             * leading "*." wildcard is (the name and below it). */
            bool wild = n > 2 && line[0] == '*' && line[1] == '.';
            const char *rest = wild ? line + 2 : line;
            size_t rn = wild ? n - 2 : n;
            if (memchr(rest, '[', rn) != NULL || memchr(rest, '\\', rn) != NULL ||
                memchr(rest, '*', rn) != NULL || memchr(rest, '+', rn) != NULL) {
                ta__intel_unsupported(s, it.lineno, "maltrail regular-expression trail '%.*s'",
                                      (int)(n > 48 ? 48 : n), line);
                continue;
            }
            /* A single label is a top-level domain maltrail flags as a whole
             * (".tk", ".top"): a suspicious suffix, matched with everything below it. */
            if (memchr(line, '.', n) == NULL && memchr(line, ':', n) == NULL &&
                memchr(line, '/', n) == NULL && n < 64) {
                char tld[72];
                tld[0] = '.';
                memcpy(tld + 1, line, n);
                ta__intel_add(s, it.lineno, tld, n + 1, TA_INTEL_DOMAIN, &ind);
                continue;
            }
        }
        /* Maltrail writes bare "http://1.2.3.4" for an address reached over HTTP. */
        if (mt == MT_C2) {
            struct ta_intel_indicator e = ind;
            if (ta__intel_payload_path(line, n))
                e.kind = TA_INTEL_KIND_MALWARE_DIST;
            ta__intel_add(s, it.lineno, line, n, type, &e);
            continue;
        }
        ta__intel_add(s, it.lineno, line, n, type, &ind);
    }
}
