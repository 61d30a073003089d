/*
 * Feed format names, detection from content, and the parse entry point that
 * dispatches to the loader families (lines, CSV, JSON).
 */
#include <string.h>
#include <time.h>

#include "intel/intel-internal.h"

#include "common/banned.h"

static const char *const fmt_names[TA_INTEL_FMT__COUNT] = {
    [TA_INTEL_FMT_AUTO] = "auto",
    [TA_INTEL_FMT_PLAIN] = "plain",
    [TA_INTEL_FMT_FEODO_CSV] = "feodo",
    [TA_INTEL_FMT_FEODO_JSON] = "feodo-json",
    [TA_INTEL_FMT_FEODO_LIST] = "feodo-list",
    [TA_INTEL_FMT_URLHAUS_CSV] = "urlhaus",
    [TA_INTEL_FMT_THREATFOX_CSV] = "threatfox",
    [TA_INTEL_FMT_THREATFOX_JSON] = "threatfox-json",
    [TA_INTEL_FMT_OPENPHISH] = "openphish",
    [TA_INTEL_FMT_OPENPHISH_CSV] = "openphish-csv",
    [TA_INTEL_FMT_PHISHTANK_JSON] = "phishtank",
    [TA_INTEL_FMT_PHISHTANK_CSV] = "phishtank-csv",
    [TA_INTEL_FMT_MALTRAIL] = "maltrail",
    [TA_INTEL_FMT_STIX2] = "stix2",
    [TA_INTEL_FMT_MISP] = "misp",
    [TA_INTEL_FMT_ZEEK] = "zeek",
    [TA_INTEL_FMT_IPREP] = "iprep",
    [TA_INTEL_FMT_ET_RULES] = "et-rules",
    [TA_INTEL_FMT_MALTRAIL_CSV] = "maltrail-csv",
    [TA_INTEL_FMT_MISP_WARNINGLIST] = "misp-warninglist",
    [TA_INTEL_FMT_TOP_SITES] = "top-sites",
    [TA_INTEL_FMT_BAMBENEK] = "bambenek",
    [TA_INTEL_FMT_SPAMHAUS_DROP] = "spamhaus-drop",
    [TA_INTEL_FMT_OPENPHISH_JSON] = "openphish-json",
    [TA_INTEL_FMT_SSLBL_JA3] = "sslbl-ja3",
    [TA_INTEL_FMT_SSLBL_CERT] = "sslbl-cert",
};

const char *ta_intel_format_name(enum ta_intel_format f)
{
    return (unsigned)f < TA_INTEL_FMT__COUNT ? fmt_names[f] : "?";
}

bool ta_intel_format_parse(const char *name, enum ta_intel_format *out)
{
    for (unsigned i = 0; i < TA_INTEL_FMT__COUNT; i++)
        if (strcmp(name, fmt_names[i]) == 0) {
            *out = (enum ta_intel_format)i;
            return true;
        }
    static const struct {
        const char *n;
        enum ta_intel_format f;
    } alias[] = {
        {"feodo-csv", TA_INTEL_FMT_FEODO_CSV},
        {"urlhaus-csv", TA_INTEL_FMT_URLHAUS_CSV},
        {"threatfox-csv", TA_INTEL_FMT_THREATFOX_CSV},
        {"phishtank-json", TA_INTEL_FMT_PHISHTANK_JSON},
        {"stix", TA_INTEL_FMT_STIX2},
        {"et", TA_INTEL_FMT_ET_RULES},
        {"suricata-iprep", TA_INTEL_FMT_IPREP},
        {"zeek-intel", TA_INTEL_FMT_ZEEK},
        {"list", TA_INTEL_FMT_PLAIN},
        {"trails-csv", TA_INTEL_FMT_MALTRAIL_CSV},
        {"warninglist", TA_INTEL_FMT_MISP_WARNINGLIST},
        {"topsites", TA_INTEL_FMT_TOP_SITES},
        {"drop", TA_INTEL_FMT_SPAMHAUS_DROP},
        {"edrop", TA_INTEL_FMT_SPAMHAUS_DROP},
    };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
        if (strcmp(name, alias[i].n) == 0) {
            *out = alias[i].f;
            return true;
        }
    return false;
}

static bool has(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k > n)
        return false;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return true;
    return false;
}

static enum ta_intel_format detect_json(const char *s, size_t n)
{
    /* A warninglist names its matching attributes; top-sites has rootDomain. */
    if (has(s, n, "\"matching_attributes\"") && has(s, n, "\"list\""))
        return TA_INTEL_FMT_MISP_WARNINGLIST;
    if (s[0] == '[' && has(s, n, "\"rootDomain\""))
        return TA_INTEL_FMT_TOP_SITES;
    /* OpenPhish premium: JSON lines whose records carry url and brand. */
    if (s[0] == '{' && has(s, n, "\"url\"") && has(s, n, "\"brand\"") &&
        (has(s, n, "\"isotime\"") || has(s, n, "\"discover_time\"")))
        return TA_INTEL_FMT_OPENPHISH_JSON;
    if (has(s, n, "\"type\": \"bundle\"") || has(s, n, "\"type\":\"bundle\"") ||
        has(s, n, "\"spec_version\"") || has(s, n, "\"pattern\""))
        return TA_INTEL_FMT_STIX2;
    if (has(s, n, "\"Event\"") || has(s, n, "\"Attribute\"") || has(s, n, "\"to_ids\""))
        return TA_INTEL_FMT_MISP;
    if (has(s, n, "\"ioc_value\"") || has(s, n, "\"ioc_type\""))
        return TA_INTEL_FMT_THREATFOX_JSON;
    if (has(s, n, "\"phish_id\""))
        return TA_INTEL_FMT_PHISHTANK_JSON;
    if (has(s, n, "\"ip_address\"") && has(s, n, "\"malware\""))
        return TA_INTEL_FMT_FEODO_JSON;
    return TA_INTEL_FMT_AUTO;
}

enum ta_intel_format ta_intel_format_detect(const uint8_t *buf, size_t len, const char *name,
                                            bool have_kind)
{
    /* Look at the head only: formats announce themselves early. */
    size_t n = len < 65536 ? len : 65536;
    const char *s = (const char *)buf;
    size_t i = 0;
    if (n >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i < n && (s[i] == '{' || s[i] == '[')) {
        /* A warninglist's keys come in name order: "matching_attributes"
         * follows a list that may be megabytes long, so look at the tail too. */
        size_t tail = len - i < 4096 ? len - i : 4096;
        if (s[i] == '{' && len > n && has(s + len - tail, tail, "\"matching_attributes\"") &&
            has(s + i, n - i, "\"list\""))
            return TA_INTEL_FMT_MISP_WARNINGLIST;
        return detect_json(s + i, n - i);
    }
    /* Rules: a line starting with an action and containing "(msg:". */
    if ((has(s, n, "\nalert ") || (n - i >= 6 && memcmp(s + i, "alert ", 6) == 0) ||
         has(s, n, "\ndrop ")) &&
        has(s, n, "msg:\""))
        return TA_INTEL_FMT_ET_RULES;
    if (has(s, n, "#fields\tindicator"))
        return TA_INTEL_FMT_ZEEK;
    /* A rules file whose every rule is commented out (ET's botcc.portgrouped
     * between updates) is still a rules file: "0 indicators", not unknown. */
    if (has(s, n, "Emerging Threats") ||
        (name != NULL && strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".rules") == 0))
        return TA_INTEL_FMT_ET_RULES;
    if (has(s, n, "Bambenek"))
        return TA_INTEL_FMT_BAMBENEK;
    if (has(s, n, "Spamhaus") && has(s, n, "DROP"))
        return TA_INTEL_FMT_SPAMHAUS_DROP;
    if (has(s, n, "Maltrail") || has(s, n, "maltrail"))
        return TA_INTEL_FMT_MALTRAIL;
    /* A few trail files lack maltrail's header; their place in the tree says it. */
    if (name != NULL &&
        (has(name, strlen(name), "/trails/static/") || has(name, strlen(name), "/trails/custom/")))
        return TA_INTEL_FMT_MALTRAIL;
    /* abuse.ch SSLBL: its CSVs name their columns in a "# " header line. */
    if (has(s, n, "ja3_md5,"))
        return TA_INTEL_FMT_SSLBL_JA3;
    if (has(s, n, "Listingdate,SHA1,"))
        return TA_INTEL_FMT_SSLBL_CERT;
    if (has(s, n, "ThreatFox") || has(s, n, "ioc_value"))
        return TA_INTEL_FMT_THREATFOX_CSV;
    if (has(s, n, "URLhaus") || has(s, n, "url_status") || has(s, n, "URL_status"))
        return TA_INTEL_FMT_URLHAUS_CSV;
    if (has(s, n, "dst_ip") && has(s, n, "c2_status"))
        return TA_INTEL_FMT_FEODO_CSV;
    if (has(s, n, "Feodo Tracker"))
        return TA_INTEL_FMT_FEODO_LIST;
    if (has(s, n, "phish_id,"))
        return TA_INTEL_FMT_PHISHTANK_CSV;
    if ((has(s, n, "url,brand") || has(s, n, "\"url\",\"brand\"")))
        return TA_INTEL_FMT_OPENPHISH_CSV;
    /* Look at the first data lines: iprep triples or a list of URLs. */
    struct ta__intel_lines it;
    const char *line;
    size_t ll;
    int data = 0, urls = 0, iprep = 0, trails = 0;
    ta__intel_lines_init(&it, buf, n);
    while (data < 20 && ta__intel_lines_next(&it, &line, &ll)) {
        ta__intel_trim(&line, &ll);
        if (ll == 0 || line[0] == '#')
            continue;
        data++;
        if ((ll > 7 && memcmp(line, "http://", 7) == 0) ||
            (ll > 8 && memcmp(line, "https://", 8) == 0))
            urls++;
        const char *c1 = memchr(line, ',', ll);
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ',', ll - (size_t)(c1 - line) - 1) : NULL;
        if (c2 != NULL && c1[1] >= '0' && c1[1] <= '9' && c2 + 1 < line + ll && c2[1] >= '0' &&
            c2[1] <= '9' && memchr(c2 + 1, ',', ll - (size_t)(c2 - line) - 1) == NULL)
            iprep++;
        /* maltrail trails.csv: "trail,info,(reference)" with a non-numeric info. */
        if (c2 != NULL && c1 > line && c1[1] != ',' && (c1[1] < '0' || c1[1] > '9') &&
            memchr(c2 + 1, ',', ll - (size_t)(c2 - line) - 1) == NULL && c2 + 1 < line + ll &&
            c2[1] == '(' && line[ll - 1] == ')')
            trails++;
    }
    if (data > 0 && trails == data)
        return TA_INTEL_FMT_MALTRAIL_CSV;
    if (name != NULL) {
        size_t nl = strlen(name);
        if (nl >= 10 && strcmp(name + nl - 10, "trails.csv") == 0)
            return TA_INTEL_FMT_MALTRAIL_CSV;
    }
    if (data > 0 && iprep == data)
        return TA_INTEL_FMT_IPREP;
    if (have_kind)
        return TA_INTEL_FMT_PLAIN;
    if (data > 0 && urls == data && name != NULL && has(name, strlen(name), "phish"))
        return TA_INTEL_FMT_OPENPHISH;
    if (data > 0 && urls == data)
        return TA_INTEL_FMT_OPENPHISH;
    return TA_INTEL_FMT_AUTO;
}

ta_err ta_intel_parse(const uint8_t *buf, size_t len, const struct ta_intel_load_opts *opts,
                      ta_intel_emit_fn emit, void *user, struct ta_intel_load_result *res)
{
    struct ta_intel_load_opts o = *opts;
    memset(res, 0, sizeof(*res));
    enum ta_intel_format f = o.format;
    if (f == TA_INTEL_FMT_AUTO)
        f = ta_intel_format_detect(buf, len, o.file_name, o.have_kind);
    res->format = f;
    if (f == TA_INTEL_FMT_AUTO || f >= TA_INTEL_FMT__COUNT)
        return TA_ERR_FORMAT;
    if (f == TA_INTEL_FMT_PLAIN && !o.have_kind)
        return TA_ERR_ARG;
    struct ta__intel_sink s = {&o, emit, user, res, TA_OK};
    ta_err e = TA_OK;
    switch (f) {
    case TA_INTEL_FMT_FEODO_JSON:
    case TA_INTEL_FMT_THREATFOX_JSON:
    case TA_INTEL_FMT_PHISHTANK_JSON:
    case TA_INTEL_FMT_STIX2:
    case TA_INTEL_FMT_MISP:
    case TA_INTEL_FMT_MISP_WARNINGLIST:
    case TA_INTEL_FMT_TOP_SITES:
    case TA_INTEL_FMT_OPENPHISH_JSON:
        e = ta__intel_load_json(buf, len, f, &s);
        break;
    case TA_INTEL_FMT_FEODO_CSV:
    case TA_INTEL_FMT_URLHAUS_CSV:
    case TA_INTEL_FMT_THREATFOX_CSV:
    case TA_INTEL_FMT_OPENPHISH_CSV:
    case TA_INTEL_FMT_PHISHTANK_CSV:
    case TA_INTEL_FMT_IPREP:
    case TA_INTEL_FMT_MALTRAIL_CSV:
    case TA_INTEL_FMT_BAMBENEK:
    case TA_INTEL_FMT_SSLBL_JA3:
    case TA_INTEL_FMT_SSLBL_CERT:
        ta__intel_load_csv(buf, len, f, &s);
        break;
    default:
        ta__intel_load_lines(buf, len, f, &s);
        break;
    }
    if (e != TA_OK)
        return e;
    if (s.err != TA_OK)
        return s.err;
    /* A warninglist of substring or regex entries is a list we cannot hold,
     * reported as unsupported, not a broken file. */
    if (res->accepted == 0 &&
        (res->rejected > 0 || (res->unsupported > 0 && f != TA_INTEL_FMT_MISP_WARNINGLIST)))
        return TA_ERR_FORMAT;
    return TA_OK;
}
