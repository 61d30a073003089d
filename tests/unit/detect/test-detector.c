/*
 * Unit tests for the detector: each detection path (C&C by IP, IP:port,
 * DNS then connect, Host, SNI; phishing by URL, URL without query, domain,
 * SNI with page identity; backdoor by content and URL; suspected kinds),
 * per-flow de-duplication, the allowlist, enrichment, and the caps; allow
 * lists kept as suppressed_by (address, domain-within and URL rules), IP:port
 * evidence, webshell probes, payload downloads, identity fields and times.
 * Intel and geolocation are in-test fakes behind the detector's interfaces:
 * the fake intel honours the observation time, the port rule and `within`,
 * and names its allow lists.
 */
#include "testutil.h"

#include <ctype.h>
#include <strings.h>

#include <jansson.h>

#include "threatatlas/detect.h"
#include "threatatlas/alert.h"
#include "threatatlas/json.h"

/* ---- fake intel -------------------------------------------------------- */

#define T   1700000000000000ull
#define SEC 1000000ull

struct ind {
    const char *value, *type;
    enum ta_detect_ikind kind;
    uint8_t conf;
    const char *family, *sources;
    ta_time_us first, last; /* validity; 0 = undated (matches at any time) */
};

static const struct ind inds[] = {
    {"203.0.113.5", "ipv4", TA_DETECT_IK_C2, 90, "emotet", "feodo", 0, 0},
    {"203.0.113.6:8080", "ip-port", TA_DETECT_IK_C2, 80, "qakbot", "threatfox", 0, 0},
    {"evil.example", "domain", TA_DETECT_IK_C2, 85, "trickbot", "maltrail,urlhaus", 0, 0},
    {"http://phish.example/login", "url", TA_DETECT_IK_PHISHING, 95, "", "openphish", 0, 0},
    {"http://two.example/a", "url", TA_DETECT_IK_PHISHING, 90, "", "openphish", 0, 0},
    {"http://two.example/b", "url", TA_DETECT_IK_PHISHING, 90, "", "openphish", 0, 0},
    {"bad-bank.example", "domain", TA_DETECT_IK_PHISHING, 70, "", "phishtank", 0, 0},
    {"/shell.php", "url-path", TA_DETECT_IK_WEBSHELL, 60, "", "webshell-paths", 0, 0},
    {"http://panel.example/gate/admin.php", "url", TA_DETECT_IK_C2, 75, "zeus", "threatfox", 0, 0},
    {"/bot/checkin.php", "url-path", TA_DETECT_IK_C2, 80, "", "maltrail", 0, 0},
    /* A search engine's address in a feed (maltrail lists Bing under bazarloader). */
    {"204.79.197.200:443", "ip-port", TA_DETECT_IK_C2, 80, "bazarloader", "maltrail", 0, 0},
    {"192.0.2.99", "ipv4", TA_DETECT_IK_C2, 70, "", "feodo", 0, 0},
    {"198.51.100.99", "ipv4", TA_DETECT_IK_C2, 70, "", "feodo", 0, 0},
    {"microsoft.com", "domain", TA_DETECT_IK_C2, 60, "", "maltrail", 0, 0},
    {"evil.wordpress.com", "domain", TA_DETECT_IK_C2, 85, "", "threatfox", 0, 0},
    {"http://docs.bigplatform.example/forms/d/abc", "url", TA_DETECT_IK_PHISHING, 90, "",
     "openphish", 0, 0},
    {"http://dl.example/files/invoice.zip", "url", TA_DETECT_IK_PAYLOAD, 85, "emotet", "urlhaus", 0,
     0},
    {"/wp-content/plugins/x/emotet.dll", "url-path", TA_DETECT_IK_C2, 80, "emotet", "maltrail", 0,
     0},
    /* Dated: valid for one hour from T, and for ten minutes long before T. */
    {"203.0.113.7", "ipv4", TA_DETECT_IK_C2, 90, "dridex", "feodo", T, T + 3600 * SEC},
    {"old-c2.example", "domain", TA_DETECT_IK_C2, 80, "", "threatfox", T - 1000 * SEC,
     T - 400 * SEC},
    {"http://dated.example/p", "url", TA_DETECT_IK_PHISHING, 80, "", "openphish", T, T + 60 * SEC},
};

/* Allow entries: a value, how it covers, and the list it comes from. */
enum allow_how { AL_EXACT, AL_SUBDOMAINS, AL_IP, AL_URL };
struct allow_entry {
    const char *value;
    enum allow_how how;
    const char *list;
};
static const struct allow_entry allow[] = {
    {"updates.vendor.example", AL_EXACT, "test-allow"},
    {"192.0.2.99", AL_IP, "test-allow"},
    {"bing.com", AL_SUBDOMAINS, "top-sites"},
    {"microsoft.com", AL_SUBDOMAINS, "top-sites"},
    {"wordpress.com", AL_SUBDOMAINS, "top-sites"},
    {"safe.evil.wordpress.com", AL_EXACT, "misp:test-hosts"},
    {"bigplatform.example", AL_SUBDOMAINS, "top-sites"},
    {"dl.example", AL_SUBDOMAINS, "top-sites"},
    {"http://two.example/b", AL_URL, "misp:test-urls"},
};

/* Lower-case scheme and host, drop :80. Good enough for the fakes. */
static bool fake_norm(void *ctx, const char *url, char *buf, size_t cap)
{
    (void)ctx;
    size_t o = 0, i = 0, slashes = 0;
    for (; url[i] && o + 1 < cap; i++) {
        char c = url[i];
        if (c == '/')
            slashes++;
        if (slashes < 3) {
            if (c == ':' && slashes == 2 && strncmp(url + i, ":80/", 4) == 0) {
                i += 2;
                continue;
            }
            c = (char)tolower((unsigned char)c);
        }
        buf[o++] = c;
    }
    buf[o] = 0;
    return true;
}

/* name is domain or one of its subdomains. */
static bool at_or_under(const char *name, const char *domain)
{
    size_t n = strlen(name), m = strlen(domain);
    return strcmp(name, domain) == 0 ||
           (n > m && name[n - m - 1] == '.' && strcmp(name + n - m, domain) == 0);
}

/* The indicator is valid at `at` (0 = no time check); undated ones always are. */
static bool valid_at(const struct ind *x, ta_time_us at)
{
    return at == 0 || x->first == 0 || (at >= x->first && at <= x->last);
}

static void fill(const struct ind *x, struct ta_detect_match *m)
{
    m->value = x->value;
    m->type = x->type;
    m->kind = x->kind;
    m->confidence = x->conf;
    m->has_port = strcmp(x->type, "ip-port") == 0;
    m->undated = x->first == 0;
    m->family = x->family;
    m->sources = x->sources;
}

static bool fake_ip(void *ctx, const struct ta_addr *a, uint16_t port, ta_time_us at,
                    uint32_t kinds, struct ta_detect_match *m)
{
    (void)ctx;
    char ip[TA_ADDR_STRLEN], ipp[64];
    ta_addr_format(a, ip, sizeof(ip));
    snprintf(ipp, sizeof(ipp), "%s:%u", ip, port);
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)) || !valid_at(&inds[i], at))
            continue;
        /* Port 0: no port, so no IP:port indicator matches. */
        if (strcmp(inds[i].value, ip) == 0 || (port != 0 && strcmp(inds[i].value, ipp) == 0)) {
            fill(&inds[i], m);
            return true;
        }
    }
    return false;
}

static bool fake_domain(void *ctx, const char *name, ta_time_us at, uint32_t kinds,
                        struct ta_detect_match *m)
{
    (void)ctx;
    /* The most specific listed domain covering name. */
    const struct ind *best = NULL;
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)) || strcmp(inds[i].type, "domain") != 0 ||
            !valid_at(&inds[i], at))
            continue;
        if (at_or_under(name, inds[i].value) &&
            (best == NULL || strlen(inds[i].value) > strlen(best->value)))
            best = &inds[i];
    }
    if (best != NULL)
        fill(best, m);
    return best != NULL;
}

static bool fake_url(void *ctx, const char *url, ta_time_us at, uint32_t kinds,
                     struct ta_detect_match *m)
{
    char n[2048], noq[2048];
    fake_norm(ctx, url, n, sizeof(n));
    snprintf(noq, sizeof(noq), "%.*s", (int)strcspn(n, "?"), n);
    const char *path = strchr(strchr(n, ':') + 3, '/');
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)) || !valid_at(&inds[i], at))
            continue;
        if ((strcmp(inds[i].type, "url") == 0 &&
             (strcmp(inds[i].value, n) == 0 || strcmp(inds[i].value, noq) == 0)) ||
            (strcmp(inds[i].type, "url-path") == 0 && path != NULL &&
             strncmp(path, inds[i].value, strcspn(path, "?")) == 0 &&
             strlen(inds[i].value) == strcspn(path, "?"))) {
            fill(&inds[i], m);
            return true;
        }
    }
    return false;
}

static size_t fake_urls_for_host(void *ctx, const char *host, char *buf, size_t cap)
{
    (void)ctx;
    size_t count = 0;
    char pre[300];
    snprintf(pre, sizeof(pre), "http://%s/", host);
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (inds[i].kind == TA_DETECT_IK_PHISHING && strcmp(inds[i].type, "url") == 0 &&
            strncmp(inds[i].value, pre, strlen(pre)) == 0) {
            if (count == 0)
                snprintf(buf, cap, "%s", inds[i].value);
            count++;
        }
    }
    return count;
}

/* Lookups of the allow lists, counted so that tests can see what the detector asked. */
static unsigned allow_calls;

static bool found(const struct allow_entry *e, char *list, size_t cap)
{
    snprintf(list, cap, "%s", e->list);
    return true;
}

static bool fake_allow_ip(void *ctx, const struct ta_addr *a, char *list, size_t cap)
{
    (void)ctx;
    allow_calls++;
    char ip[TA_ADDR_STRLEN];
    ta_addr_format(a, ip, sizeof(ip));
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
        if (allow[i].how == AL_IP && strcmp(allow[i].value, ip) == 0)
            return found(&allow[i], list, cap);
    return false;
}

/* An entry covers name by its own rule; with `within`, only entries at or under it count. */
static bool fake_allow_name(void *ctx, const char *name, const char *within, char *list, size_t cap)
{
    (void)ctx;
    allow_calls++;
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
        const struct allow_entry *e = &allow[i];
        bool covers = (e->how == AL_EXACT && strcmp(name, e->value) == 0) ||
                      (e->how == AL_SUBDOMAINS && at_or_under(name, e->value));
        if (covers && (within == NULL || at_or_under(e->value, within)))
            return found(e, list, cap);
    }
    return false;
}

/* An allow URL entry, or an allow domain equal to the host of a site root. */
static bool fake_allow_url(void *ctx, const char *url, char *list, size_t cap)
{
    allow_calls++;
    char n[2048];
    fake_norm(ctx, url, n, sizeof(n));
    const char *host = strstr(n, "://") + 3;
    size_t hl = strcspn(host, "/?:");
    bool root = strcmp(host + hl, "/") == 0 || host[hl] == 0;
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
        const struct allow_entry *e = &allow[i];
        if ((e->how == AL_URL && strcmp(n, e->value) == 0) ||
            (e->how != AL_URL && e->how != AL_IP && root && strlen(e->value) == hl &&
             strncmp(host, e->value, hl) == 0))
            return found(e, list, cap);
    }
    return false;
}

/* TLS fingerprints as the fake intel lists them (all c2). */
static const struct {
    enum ta_detect_hash type;
    const char *value, *family;
} fps[] = {
    {TA_DETECT_HASH_JA3, "eb88d0b3e1961a0562f006e5ce2a0b87", "cobalt strike"},
    {TA_DETECT_HASH_JA3, "6734f37431670b3ab4292b8f60f29984", "trickbot"},
    {TA_DETECT_HASH_JA3S, "649d6810e8392f63dc311eecb6b7098b", "Cobalt Strike"},
    {TA_DETECT_HASH_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", ""},
    {TA_DETECT_HASH_CERT_SHA1, "7bb698386970363d2919cc5772846984ffd4a889", "dridex"},
};

static bool fake_hash(void *ctx, enum ta_detect_hash type, const char *value, ta_time_us at,
                      uint32_t kinds, struct ta_detect_match *m)
{
    (void)ctx;
    (void)at;
    if (!(kinds & TA_DETECT_IK_BIT(TA_DETECT_IK_C2)))
        return false;
    for (size_t i = 0; i < sizeof(fps) / sizeof(fps[0]); i++)
        if (fps[i].type == type && strcasecmp(fps[i].value, value) == 0) {
            memset(m, 0, sizeof(*m));
            m->value = fps[i].value;
            m->type = type == TA_DETECT_HASH_CERT_SHA1 ? "sha1" : "ja3";
            m->kind = TA_DETECT_IK_C2;
            m->confidence = 50;
            m->family = fps[i].family;
            m->sources = "fp-test";
            return true;
        }
    return false;
}

static const struct ta_detect_intel fake_intel = {
    .ctx = NULL,
    .match_ip = fake_ip,
    .match_domain = fake_domain,
    .match_url = fake_url,
    .phish_urls_for_host = fake_urls_for_host,
    .normalize_url = fake_norm,
    .allow_ip = fake_allow_ip,
    .allow_name = fake_allow_name,
    .allow_url = fake_allow_url,
    .match_hash = fake_hash,
};

static void fake_geo(void *ctx, struct ta_event_side *s)
{
    (void)ctx;
    if (s->ip.b[12] == 10) {
        memcpy(s->cc, "CN", 3);
        s->asn = 4134;
        s->as_name = "CHINANET";
        s->home = true;
    } else if (s->ip.b[12] == 203) {
        memcpy(s->cc, "US", 3);
        s->asn = 64500;
        s->as_name = "EXAMPLE-US";
    }
}
static const struct ta_detect_geo geo = {NULL, fake_geo};

/* ---- event capture ----------------------------------------------------- */

struct rec {
    enum ta_event_kind kind;
    enum ta_event_method method;
    char attacker[TA_ADDR_STRLEN], victim[TA_ADDR_STRLEN];
    char acc[3], vcc[3];
    bool vhome;
    uint32_t aasn;
    char indicator[256], page[256], website[256], family[64], dns[64], host[256], sources[64];
    char suppressed_by[64];
    size_t body_len;
    uint64_t body_sum; /* FNV-1a of the evidence body */
    uint64_t flow_id;
    uint8_t conf;
    ta_time_us ts, flow_start;
    uint32_t tx_index;
    bool established, undated;
    uint32_t sid; /* signature id */
};

struct sink {
    struct rec r[64];
    size_t n;
};

static void cp(char *d, size_t cap, const char *s)
{
    snprintf(d, cap, "%s", s ? s : "");
}

static void on_event(void *ud, const struct ta_event *ev)
{
    struct sink *s = ud;
    assert_true(s->n < 64);
    struct rec *r = &s->r[s->n++];
    memset(r, 0, sizeof(*r));
    r->kind = ev->kind;
    r->method = ev->method;
    ta_addr_format(&ev->attacker.ip, r->attacker, sizeof(r->attacker));
    ta_addr_format(&ev->victim.ip, r->victim, sizeof(r->victim));
    cp(r->acc, 3, ev->attacker.cc);
    cp(r->vcc, 3, ev->victim.cc);
    r->vhome = ev->victim.home;
    r->aasn = ev->attacker.asn;
    cp(r->indicator, sizeof(r->indicator), ev->indicator);
    cp(r->page, sizeof(r->page), ev->page);
    cp(r->website, sizeof(r->website), ev->website);
    cp(r->family, sizeof(r->family), ev->family);
    cp(r->dns, sizeof(r->dns), ev->dns_answer);
    cp(r->host, sizeof(r->host), ev->hostname);
    cp(r->sources, sizeof(r->sources), ev->sources);
    r->body_len = ev->body_len;
    r->body_sum = 1469598103934665603ull;
    for (size_t i = 0; ev->body != NULL && i < ev->body_len; i++)
        r->body_sum = (r->body_sum ^ ev->body[i]) * 1099511628211ull;
    r->flow_id = ev->flow_id;
    r->conf = ev->confidence;
    r->ts = ev->ts;
    r->flow_start = ev->flow_start;
    r->tx_index = ev->tx_index;
    r->established = ev->established;
    r->undated = ev->undated;
    if (ev->suppressed_by != NULL) {
        assert_true(ev->suppressed_by[0] != 0);
        cp(r->suppressed_by, sizeof(r->suppressed_by), ev->suppressed_by);
    }
    assert_non_null(ev->signature);
    r->sid = ta_event_signature_id(ev);
}

static uint64_t next_id = 1;
static void mkflow(struct ta_flow *f, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                   ta_time_us start)
{
    memset(f, 0, sizeof(*f));
    f->id = next_id++;
    assert_true(ta_addr_parse(&f->src, src));
    assert_true(ta_addr_parse(&f->dst, dst));
    f->sp = sp;
    f->dp = dp;
    f->proto = 6;
    f->start = start;
    f->last = start + 1000000;
    f->bytes_toserver = 300;
    f->bytes_toclient = 900;
}

static struct ta_detector *mk(struct sink *s, const struct ta_detect_opts *o)
{
    struct ta_detector *d;
    memset(s, 0, sizeof(*s));
    assert_int_equal(ta_detector_new(o, &fake_intel, &geo, on_event, s, &d), TA_OK);
    return d;
}

static void test_c2(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    /* By IP. */
    mkflow(&f, "10.0.0.1", 40000, "203.0.113.5", 443, T);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_C2);
    assert_int_equal(s.r[0].method, TA_METHOD_IP);
    assert_string_equal(s.r[0].attacker, "203.0.113.5");
    assert_string_equal(s.r[0].victim, "10.0.0.1");
    assert_string_equal(s.r[0].acc, "US");
    assert_string_equal(s.r[0].vcc, "CN");
    assert_true(s.r[0].vhome);
    assert_int_equal(s.r[0].aasn, 64500);
    assert_string_equal(s.r[0].family, "emotet");
    assert_string_equal(s.r[0].sources, "feodo");
    /* By IP:port, and not on another port. */
    mkflow(&f, "10.0.0.1", 40001, "203.0.113.6", 8080, T);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.0.1", 40002, "203.0.113.6", 80, T);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].method, TA_METHOD_IP_PORT);
    assert_string_equal(s.r[1].indicator, "203.0.113.6:8080");

    /* By DNS: a connection before the answer, from another host, then the real one. */
    struct ta_flow dnsf;
    mkflow(&dnsf, "10.0.0.2", 5353, "10.0.0.53", 53, T + 10 * SEC);
    dnsf.proto = 17;
    struct ta_addr ans[2];
    ta_addr_parse(&ans[0], "198.51.100.7");
    ta_addr_parse(&ans[1], "198.51.100.8");
    mkflow(&f, "10.0.0.2", 40003, "198.51.100.7", 443, T);
    ta_detector_flow_end(d, &f); /* before the resolution: nothing */
    struct ta_detect_dns r = {T + 10 * SEC, "CDN.Evil.Example.", ans, 2};
    ta_detector_dns(d, &dnsf, &r);
    ta_detector_flow_end(d, &dnsf);
    mkflow(&f, "10.0.0.3", 40004, "198.51.100.7", 443, T + 11 * SEC);
    ta_detector_flow_end(d, &f); /* another host: nothing */
    mkflow(&f, "10.0.0.2", 40005, "198.51.100.8", 443, T + 12 * SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].method, TA_METHOD_DNS);
    assert_string_equal(s.r[2].attacker, "198.51.100.8");
    assert_string_equal(s.r[2].dns, "198.51.100.8");
    assert_string_equal(s.r[2].indicator, "evil.example");
    assert_string_equal(s.r[2].host, "cdn.evil.example");
    assert_string_equal(s.r[2].family, "trickbot");
    /* After the TTL the resolution no longer counts. */
    mkflow(&f, "10.0.0.2", 40006, "198.51.100.7", 443, T + 4000 * SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 3);

    /* Host on a flow to a listed IP: one event per flow, method host. */
    mkflow(&f, "10.0.0.4", 40007, "203.0.113.5", 80, T + 20 * SEC);
    struct ta_detect_http tx = {
        .ts = T + 20 * SEC, .method = "GET", .host = "www.evil.example:80", .url = "/gate.php"};
    ta_detector_http(d, &f, &tx);
    ta_detector_http(d, &f, &tx);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[3].method, TA_METHOD_HOST);
    assert_int_equal(s.r[3].flow_id, f.id);
    /* SNI. */
    mkflow(&f, "10.0.0.5", 40008, "192.0.2.10", 443, T + 30 * SEC);
    struct ta_detect_tls tls = {.ts = T + 30 * SEC, .sni = "api.evil.example"};
    ta_detector_tls(d, &f, &tls);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.r[4].method, TA_METHOD_SNI);
    assert_string_equal(s.r[4].attacker, "192.0.2.10");

    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_C2], 5);
    assert_int_equal(st.deduplicated, 2); /* second Host + the IP at flow end */
    assert_int_equal(st.resolutions, 2);
    ta_detector_free(d);
}

/*
 * TLS fingerprints and the certificate: a listed certificate SHA-1 (colon hex,
 * any case) or a subject CN under a c2 domain is C&C; a client JA3/JA4 and the
 * server's JA3S of the same family is C&C; one fingerprint alone, or two of
 * different families, only c2-suspected. A confirmed event on the flow
 * leaves no suspected one; an allowed server suppresses; no SNI is needed.
 */
static void test_tls_fingerprints(void **state)
{
    (void)state;
    struct sink s = {0};
    struct ta_detector *d;
    assert_int_equal(ta_detector_new(NULL, &fake_intel, NULL, on_event, &s, &d), TA_OK);
    struct ta_flow f;
    const char *cs_ja3 = "eb88d0b3e1961a0562f006e5ce2a0b87";
    const char *cs_ja3s = "649d6810e8392f63dc311eecb6b7098b";

    /* Certificate SHA-1 as Suricata writes it; also a listed JA3: one C&C event. */
    mkflow(&f, "10.0.20.1", 50001, "198.18.0.1", 443, T);
    struct ta_detect_tls t = {.ts = T,
                              .ja3 = cs_ja3,
                              .cert_sha1 = "7B:B6:98:38:69:70:36:3D:29:19:CC:57:72:84:69:84:FF:"
                                           "D4:A8:89"};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_C2);
    assert_int_equal(s.r[0].method, TA_METHOD_CERT);
    assert_string_equal(s.r[0].indicator, "7bb698386970363d2919cc5772846984ffd4a889");
    assert_string_equal(s.r[0].family, "dridex");
    assert_string_equal(s.r[0].attacker, "198.18.0.1");

    /* Wildcard subject CN under a c2 domain; SNI elsewhere. */
    mkflow(&f, "10.0.20.1", 50002, "198.18.0.2", 443, T);
    t = (struct ta_detect_tls){
        .ts = T, .sni = "cdn.example.net", .cert_subject = "C=US, O=Evil, CN=*.api.evil.example"};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].method, TA_METHOD_CERT_NAME);
    assert_string_equal(s.r[1].indicator, "evil.example");
    assert_string_equal(s.r[1].host, "api.evil.example");
    /* A CN that is no host name, or an unlisted one: nothing. */
    mkflow(&f, "10.0.20.1", 50003, "198.18.0.3", 443, T);
    t = (struct ta_detect_tls){.ts = T, .cert_subject = "O=Evil, CN=evil"};
    ta_detector_tls(d, &f, &t);
    t = (struct ta_detect_tls){.ts = T, .cert_subject = "CN=good.example, O=evil.example"};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 2);

    /* JA3 and JA3S of one family (case aside): C&C by method ja3. */
    mkflow(&f, "10.0.20.1", 50004, "198.18.0.4", 443, T);
    t = (struct ta_detect_tls){.ts = T, .sni = "x.example", .ja3 = cs_ja3, .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].kind, TA_EVENT_C2);
    assert_int_equal(s.r[2].method, TA_METHOD_JA3);
    assert_string_equal(s.r[2].indicator, cs_ja3);
    /* JA4 with the JA3S: the family of the one that names it. */
    mkflow(&f, "10.0.20.1", 50005, "198.18.0.5", 443, T);
    t = (struct ta_detect_tls){
        .ts = T, .ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1", .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[3].kind, TA_EVENT_C2);
    assert_string_equal(s.r[3].family, "Cobalt Strike");

    /* Alone, or of two families: suspected, once per flow. */
    mkflow(&f, "10.0.20.1", 50006, "198.18.0.6", 443, T);
    t = (struct ta_detect_tls){.ts = T, .ja3 = "6734F37431670B3AB4292B8F60F29984"};
    ta_detector_tls(d, &f, &t);
    ta_detector_tls(d, &f, &t);
    mkflow(&f, "10.0.20.1", 50007, "198.18.0.7", 443, T);
    t = (struct ta_detect_tls){.ts = T, .ja3 = "6734f37431670b3ab4292b8f60f29984", .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    mkflow(&f, "10.0.20.1", 50008, "198.18.0.8", 443, T);
    t = (struct ta_detect_tls){.ts = T, .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 7);
    for (size_t i = 4; i < 7; i++) {
        assert_int_equal(s.r[i].kind, TA_EVENT_C2_SUSPECTED);
        assert_int_equal(s.r[i].method, TA_METHOD_JA3);
    }
    assert_string_equal(s.r[4].family, "trickbot");
    assert_string_equal(s.r[6].indicator, cs_ja3s);

    /* An allowed server: kept, suppressed. */
    mkflow(&f, "10.0.20.1", 50009, "192.0.2.99", 443, T);
    t = (struct ta_detect_tls){.ts = T, .ja3 = cs_ja3, .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.r[7].kind, TA_EVENT_C2);
    assert_string_equal(s.r[7].suppressed_by, "test-allow");

    /* Unlisted fingerprints and an intel without hash lookups: nothing. */
    mkflow(&f, "10.0.20.1", 50010, "198.18.0.10", 443, T);
    t = (struct ta_detect_tls){
        .ts = T, .ja3 = "00000000000000000000000000000000", .cert_sha1 = "not-a-sha1"};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 8);
    struct ta_detect_intel no_hash = fake_intel;
    no_hash.match_hash = NULL;
    ta_detector_set_intel(d, &no_hash);
    mkflow(&f, "10.0.20.1", 50011, "198.18.0.11", 443, T);
    t = (struct ta_detect_tls){.ts = T, .ja3 = cs_ja3, .ja3s = cs_ja3s};
    ta_detector_tls(d, &f, &t);
    assert_int_equal(s.n, 8);

    /* Every signature these write has its own id. */
    struct ta_event ev = {0};
    const char *sigs[] = {
        "C&C TLS certificate (SHA-1 fingerprint)", "C&C domain in TLS certificate subject",
        "C&C JA3 and JA3S fingerprints",           "C&C JA4 and JA3S fingerprints",
        "JA3 fingerprint of a C&C client",         "JA4 fingerprint of a C&C client",
        "JA3S fingerprint of a C&C server"};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        ev.signature = sigs[i];
        assert_int_equal(ta_event_signature_id(&ev), 9101008 + i);
    }
    assert_string_equal(ta_event_method_name(TA_METHOD_JA3), "ja3");
    assert_string_equal(ta_event_method_name(TA_METHOD_CERT), "cert");
    assert_string_equal(ta_event_method_name(TA_METHOD_CERT_NAME), "cert-name");
    ta_detector_free(d);
}

/* C&C by URL (ThreatFox botnet_cc URLs, maltrail URL trails): full URL without
 * its query, or a path indicator; one event per flow. */
static void test_c2_url(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.0.7", 41000, "198.51.100.20", 80, T);
    struct ta_detect_http tx = {
        .ts = T, .method = "GET", .host = "Panel.Example", .url = "/gate/admin.php?id=5"};
    ta_detector_http(d, &f, &tx);
    ta_detector_http(d, &f, &tx);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_C2);
    assert_int_equal(s.r[0].method, TA_METHOD_URL);
    assert_string_equal(s.r[0].indicator, "http://panel.example/gate/admin.php");
    assert_string_equal(s.r[0].attacker, "198.51.100.20");
    assert_string_equal(s.r[0].victim, "10.0.0.7");
    assert_string_equal(s.r[0].family, "zeus");
    /* A path indicator matches on any host; a longer path does not. */
    mkflow(&f, "10.0.0.7", 41001, "198.51.100.21", 8080, T + SEC);
    struct ta_detect_http tx2 = {
        .ts = T + SEC, .method = "POST", .host = "other.example", .url = "/bot/checkin.php"};
    ta_detector_http(d, &f, &tx2);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.0.7", 41002, "198.51.100.22", 80, T + 2 * SEC);
    struct ta_detect_http tx3 = {
        .ts = T + 2 * SEC, .method = "GET", .host = "x.example", .url = "/bot/checkin.php.bak"};
    ta_detector_http(d, &f, &tx3);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].method, TA_METHOD_URL);
    assert_string_equal(s.r[1].indicator, "/bot/checkin.php");
    assert_string_equal(s.r[1].host, "other.example");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_C2], 2);
    assert_int_equal(st.deduplicated, 1);
    ta_detector_free(d);
}

static void test_phishing(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.1.1", 41000, "203.0.113.50", 80, T);
    struct ta_detect_http tx = {
        .ts = T, .method = "GET", .host = "PHISH.example", .url = "/login?session=1"};
    ta_detector_http(d, &f, &tx);
    tx.url = "/login";
    ta_detector_http(d, &f, &tx); /* same flow: still one visit */
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_PHISHING);
    assert_int_equal(s.r[0].method, TA_METHOD_URL);
    assert_string_equal(s.r[0].page, "http://phish.example/login");
    assert_string_equal(s.r[0].attacker, "203.0.113.50");
    /* Domain indicator: the page is the requested URL, normalised. */
    mkflow(&f, "10.0.1.2", 41001, "203.0.113.51", 80, T);
    struct ta_detect_http tx2 = {
        .ts = T, .method = "GET", .host = "Secure.Bad-Bank.example:80", .url = "/verify.html"};
    ta_detector_http(d, &f, &tx2);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].method, TA_METHOD_HOST);
    assert_string_equal(s.r[1].page, "http://secure.bad-bank.example/verify.html");
    /* SNI: exactly one indicator URL for the host -> that URL, else the host. */
    mkflow(&f, "10.0.1.3", 41002, "203.0.113.50", 443, T);
    struct ta_detect_tls t1 = {.ts = T, .sni = "phish.example"};
    ta_detector_tls(d, &f, &t1);
    mkflow(&f, "10.0.1.3", 41003, "203.0.113.52", 443, T);
    struct ta_detect_tls t2 = {.ts = T, .sni = "two.example"};
    ta_detector_tls(d, &f, &t2);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[2].method, TA_METHOD_SNI);
    assert_string_equal(s.r[2].page, "http://phish.example/login");
    assert_string_equal(s.r[2].indicator, "http://phish.example/login");
    assert_string_equal(s.r[3].page, "two.example");
    assert_string_equal(s.r[3].indicator, "two.example");
    mkflow(&f, "10.0.1.3", 41004, "203.0.113.53", 443, T);
    struct ta_detect_tls t3 = {.ts = T, .sni = "login.bad-bank.example"};
    ta_detector_tls(d, &f, &t3);
    ta_detector_tls(d, &f, &t3);
    mkflow(&f, "10.0.1.3", 41005, "203.0.113.54", 443, T);
    struct ta_detect_tls t4 = {.ts = T, .sni = "www.example.org"};
    ta_detector_tls(d, &f, &t4);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.r[4].method, TA_METHOD_SNI);
    assert_string_equal(s.r[4].page, "login.bad-bank.example");
    assert_string_equal(s.r[4].indicator, "bad-bank.example");
    ta_detector_free(d);
}

static const char phish_page[] =
    "<html><head><title>PayPal: Log in to your account</title></head><body>"
    "<form action=\"/post.php\" method=\"post\"><input name=\"email\">"
    "<input type=\"password\" name=\"pw\"></form>PayPal</body></html>";

/* A c2 URL indicator (fake_intel) answered with the body given. */
static struct ta_detect_http panel_tx(const uint8_t *body, size_t len)
{
    return (struct ta_detect_http){.ts = T,
                                   .method = "GET",
                                   .host = "panel.example",
                                   .url = "/gate/admin.php",
                                   .status = 200,
                                   .resp_body = body,
                                   .resp_len = len,
                                   .have_resp = true};
}

/* A Godzilla webshell's request and answer. */
static const char godzilla_req[] = "pass=DlMRWA1cL1gOVDc2MjRhRwZFEQAbCg8MDQ4CBAYJ";
static const char godzilla_resp[] =
    "11cd6a8758984163fL1tMGI4YTljMv79NDQm7r9PZzBiOA==6c37ac826a2a04bc";

static struct ta_detect_http godzilla_tx(const char *host)
{
    return (struct ta_detect_http){.ts = T,
                                   .method = "POST",
                                   .host = host,
                                   .url = "/upload/g.php",
                                   .content_type = "application/x-www-form-urlencoded",
                                   .req_body = (const uint8_t *)godzilla_req,
                                   .req_len = strlen(godzilla_req),
                                   .resp_body = (const uint8_t *)godzilla_resp,
                                   .resp_len = strlen(godzilla_resp),
                                   .have_resp = true};
}

/* A weak webshell signal: 300 random base64 characters after a short name and '='. */
static void weak_body(char rnd[301])
{
    uint32_t x = 7;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> 16) & 63];
    }
    rnd[300] = 0;
    rnd[5] = '=';
}

/* That body posted, answered "ok". */
static struct ta_detect_http weak_tx(const char *rnd)
{
    return (struct ta_detect_http){.ts = T,
                                   .method = "POST",
                                   .host = "v.example",
                                   .url = "/a.php",
                                   .req_body = (const uint8_t *)rnd,
                                   .req_len = 300,
                                   .resp_body = (const uint8_t *)"ok",
                                   .resp_len = 2,
                                   .have_resp = true};
}

static void test_content(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    /* Godzilla-shaped requests: one backdoor event per request. */
    mkflow(&f, "203.0.113.77", 42000, "10.0.2.1", 80, T);
    const char *body = godzilla_req;
    struct ta_detect_http tx = godzilla_tx("WWW.Victim.example:8080");
    ta_detector_http(d, &f, &tx);
    ta_detector_http(d, &f, &tx);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[0].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(s.r[0].method, TA_METHOD_CONTENT);
    assert_string_equal(s.r[0].family, "godzilla");
    assert_string_equal(s.r[0].website, "www.victim.example");
    assert_string_equal(s.r[0].attacker, "203.0.113.77");
    assert_string_equal(s.r[0].victim, "10.0.2.1");
    assert_int_equal(s.r[0].body_len, strlen(body));
    /* Webshell path indicator on an innocuous GET answered by the shell (200 with a body),
     * without Host: website = server IP. */
    struct ta_detect_http get = {.ts = T,
                                 .method = "GET",
                                 .url = "/shell.php?act=ls",
                                 .status = 200,
                                 .resp_body = (const uint8_t *)"index.php\nconfig.php\n",
                                 .resp_len = 21,
                                 .have_resp = true};
    ta_detector_http(d, &f, &get);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(s.r[2].method, TA_METHOD_URL);
    assert_string_equal(s.r[2].website, "10.0.2.1");
    assert_string_equal(s.r[2].indicator, "/shell.php");
    /* Weak body signal: suspected. */
    char rnd[301];
    weak_body(rnd);
    struct ta_detect_http weak = weak_tx(rnd);
    ta_detector_http(d, &f, &weak);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[3].kind, TA_EVENT_BACKDOOR_SUSPECTED);
    assert_int_equal(s.r[3].body_len, 256);
    /* The same body posted to a known C&C server is the bot's C&C traffic,
     * not a webshell: no suspected backdoor, counted. */
    struct ta_flow cf;
    mkflow(&cf, "10.0.0.9", 40100, "203.0.113.5", 80, T);
    ta_detector_http(d, &cf, &weak);
    assert_int_equal(s.n, 4);
    /* Phishing content on a foreign host; the brand's own host is fine. */
    mkflow(&f, "10.0.2.2", 42001, "203.0.113.90", 80, T);
    struct ta_detect_http ph = {.ts = T,
                                .method = "GET",
                                .host = "paypal-secure-login.example",
                                .url = "/signin",
                                .resp_content_type = "text/html",
                                .resp_body = (const uint8_t *)phish_page,
                                .resp_len = strlen(phish_page),
                                .have_resp = true};
    ta_detector_http(d, &f, &ph);
    ta_detector_http(d, &f, &ph);
    ph.host = "www.paypal.com";
    mkflow(&f, "10.0.2.2", 42002, "203.0.113.91", 80, T);
    ta_detector_http(d, &f, &ph);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.r[4].kind, TA_EVENT_PHISHING_SUSPECTED);
    assert_string_equal(s.r[4].family, "PayPal");
    assert_string_equal(s.r[4].page, "http://paypal-secure-login.example/signin");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_BACKDOOR], 3);
    assert_int_equal(st.events[TA_EVENT_BACKDOOR_SUSPECTED], 1);
    assert_int_equal(st.events[TA_EVENT_PHISHING_SUSPECTED], 1);
    assert_int_equal(st.suspected_to_c2, 1);
    ta_detector_free(d);
}

static void test_beacon_allowlist(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    /* A jittered beacon to an unknown server, and an update poll to an allowlisted name. */
    uint32_t x = 99;
    ta_time_us first = 0, last = 0;
    for (unsigned i = 0; i < 60; i++) {
        x = x * 1103515245u + 12345u;
        ta_time_us jitter = (ta_time_us)((x >> 16) % 12) * SEC;
        mkflow(&f, "10.0.3.1", (uint16_t)(50000 + i), "203.0.113.200", 443,
               T + (ta_time_us)i * 60 * SEC + jitter);
        if (i == 0)
            first = f.start;
        last = f.start;
        ta_detector_flow_end(d, &f);
        mkflow(&f, "10.0.3.2", (uint16_t)(50000 + i), "198.51.100.200", 443,
               T + (ta_time_us)i * 300 * SEC);
        struct ta_detect_tls t = {.ts = f.start, .sni = "updates.vendor.example"};
        ta_detector_tls(d, &f, &t);
        ta_detector_flow_end(d, &f);
    }
    assert_int_equal(s.n, 0);
    ta_detector_finish(d);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_C2_SUSPECTED);
    assert_int_equal(s.r[0].method, TA_METHOD_BEACON);
    assert_string_equal(s.r[0].attacker, "203.0.113.200");
    assert_string_equal(s.r[0].victim, "10.0.3.1");
    assert_true(s.r[0].conf >= 80);
    /* Identity of a beacon: its first connection; the time of the evidence: its last. */
    assert_int_equal(s.r[0].flow_start, first);
    assert_int_equal(s.r[0].ts, last);
    assert_int_equal(s.r[0].tx_index, 0);
    assert_string_equal(s.r[0].suppressed_by, "");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.allowlisted, 1);
    assert_int_equal(st.beacon.pairs, 2);
    ta_detector_free(d);
}

/*
 * A beacon over one kept-alive HTTP connection: 40 requests about a minute
 * apart on one flow are c2-suspected by the timing of the requests; 40
 * one-request connections to a web server hold no request series.
 */
static void test_beacon_keepalive(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f, web;
    mkflow(&f, "10.0.3.5", 50100, "203.0.113.210", 8080, T);
    uint32_t x = 7;
    ta_time_us t = T + 80000, wt = T;
    for (unsigned i = 0; i < 40; i++) {
        x = x * 1103515245u + 12345u;
        struct ta_detect_http tx = {.ts = t,
                                    .tx_index = i,
                                    .method = "POST",
                                    .host = "203.0.113.210:8080",
                                    .url = "/api/beacon",
                                    .req_body = (const uint8_t *)"{\"id\":1}",
                                    .req_len = 8,
                                    .have_resp = true,
                                    .status = 200};
        ta_detector_http(d, &f, &tx);
        t += (ta_time_us)(48 + (x >> 16) % 25) * SEC; /* 60 s +- 20 % */
        /* Browsing: bursts of pages seconds apart, now and then a pause. */
        wt += (ta_time_us)((x >> 8) % 4 == 0 ? 300 + (x >> 12) % 600 : 1 + (x >> 12) % 4) * SEC;
        mkflow(&web, "10.0.3.5", (uint16_t)(40000 + i), "198.51.100.210", 80, wt);
        struct ta_detect_http one = {.ts = web.start, .method = "GET", .host = "www.example.org"};
        ta_detector_http(d, &web, &one);
        ta_detector_flow_end(d, &web);
    }
    f.pkts_toserver = f.pkts_toclient = 80;
    ta_detector_flow_end(d, &f);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    /* The beacon's connection start and series, the web server's connection starts. */
    assert_int_equal(st.beacon.pairs, 3);
    ta_detector_finish(d);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_C2_SUSPECTED);
    assert_int_equal(s.r[0].method, TA_METHOD_BEACON);
    assert_int_equal(s.r[0].sid, 9101015);
    assert_string_equal(s.r[0].attacker, "203.0.113.210");
    assert_int_equal(s.r[0].flow_id, f.id);
    ta_detector_free(d);
}

static void test_caps(void **state)
{
    (void)state;
    struct ta_detect_opts o;
    ta_detect_opts_default(&o);
    o.max_resolutions = 2;
    o.max_flow_marks = 2;
    struct sink s;
    struct ta_detector *d = mk(&s, &o);
    struct ta_flow dnsf, f;
    mkflow(&dnsf, "10.0.4.1", 5353, "10.0.0.53", 53, T);
    struct ta_addr ans[3];
    ta_addr_parse(&ans[0], "198.51.100.1");
    ta_addr_parse(&ans[1], "198.51.100.2");
    ta_addr_parse(&ans[2], "198.51.100.3");
    struct ta_detect_dns r = {T, "evil.example", ans, 3};
    ta_detector_dns(d, &dnsf, &r);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.resolutions, 2);
    assert_int_equal(st.resolutions_evicted, 1);
    /* The oldest answer was evicted: a connection to it is not detected. */
    mkflow(&f, "10.0.4.1", 1, "198.51.100.1", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.4.1", 2, "198.51.100.3", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    ta_detector_free(d);
    assert_int_equal(ta_detector_new(NULL, &fake_intel, NULL, NULL, NULL, &d), TA_ERR_ARG);
}

/* Resolutions refer to their c2 domain: evicting the domain makes them unusable, counted. */
static void test_c2_domain_cap(void **state)
{
    (void)state;
    struct ta_detect_opts o;
    ta_detect_opts_default(&o);
    o.max_c2_domains = 1;
    struct sink s;
    struct ta_detector *d = mk(&s, &o);
    struct ta_flow dnsf, f;
    mkflow(&dnsf, "10.0.5.1", 5353, "10.0.0.53", 53, T);
    struct ta_addr a1, a2;
    ta_addr_parse(&a1, "198.51.100.11");
    ta_addr_parse(&a2, "198.51.100.12");
    struct ta_detect_dns r1 = {T, "evil.example", &a1, 1};
    struct ta_detect_dns r2 = {T, "bad.evil.example", &a2, 1};
    ta_detector_dns(d, &dnsf, &r1);
    ta_detector_dns(d, &dnsf, &r2);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.resolutions, 2);
    assert_int_equal(st.c2_domains_evicted, 1);
    mkflow(&f, "10.0.5.1", 1, "198.51.100.11", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 0);
    mkflow(&f, "10.0.5.1", 2, "198.51.100.12", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].method, TA_METHOD_DNS);
    assert_string_equal(s.r[0].attacker, "198.51.100.12");
    assert_string_equal(s.r[0].host, "bad.evil.example");
    assert_string_equal(s.r[0].indicator, "evil.example");
    ta_detector_free(d);
}

/* TCP handshake shapes for the evidence-of-contact field. */
static void tcp_syn_only(struct ta_flow *f)
{
    f->tcp_flags_ts = TA_TCP_SYN;
    f->pkts_toserver = 3;
    f->pkts_toclient = 0;
}

static void tcp_handshake(struct ta_flow *f)
{
    f->tcp_flags_ts = TA_TCP_SYN | TA_TCP_ACK | TA_TCP_PSH;
    f->tcp_flags_tc = TA_TCP_SYN | TA_TCP_ACK | TA_TCP_PSH;
    f->pkts_toserver = 8;
    f->pkts_toclient = 7;
}

static void tls_flow(struct ta_detector *d, struct ta_flow *f, const char *client,
                     const char *server, uint16_t port, ta_time_us start, const char *sni)
{
    mkflow(f, client, 51000, server, port, start);
    tcp_handshake(f);
    if (sni != NULL) {
        struct ta_detect_tls t = {.ts = start + 50000, .sni = sni};
        ta_detector_tls(d, f, &t);
    }
}

/*
 * maltrail lists 204.79.197.200:443 (Bing) under bazarloader: three hosts
 * browsing www.bing.com are three C&C events, each kept and marked
 * suppressed_by the allow list that covers the name they used, none counted.
 */
static void test_suppress_bing(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f[3];
    static const char *const hosts[] = {"10.0.9.1", "10.0.9.2", "10.0.9.3"};
    for (int i = 0; i < 3; i++)
        tls_flow(d, &f[i], hosts[i], "204.79.197.200", 443, T + (ta_time_us)i * SEC,
                 "www.bing.com");
    for (int i = 0; i < 3; i++)
        ta_detector_flow_end(d, &f[i]);
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.r[i].kind, TA_EVENT_C2);
        assert_int_equal(s.r[i].method, TA_METHOD_IP_PORT);
        assert_string_equal(s.r[i].indicator, "204.79.197.200:443");
        assert_string_equal(s.r[i].family, "bazarloader");
        assert_string_equal(s.r[i].victim, hosts[i]);
        assert_string_equal(s.r[i].suppressed_by, "top-sites");
        assert_true(s.r[i].established);
        assert_true(s.r[i].undated);
        assert_int_equal(s.r[i].flow_start, T + (ta_time_us)i * SEC);
    }
    /* The per-flow name wins over the address's last name: a flow that said www.bing.com
     * stays covered after another flow named the address differently, and that other
     * flow is not covered. */
    struct ta_flow a, b;
    tls_flow(d, &a, "10.0.9.4", "204.79.197.200", 443, T + 10 * SEC, "www.bing.com");
    tls_flow(d, &b, "10.0.9.5", "204.79.197.200", 443, T + 11 * SEC, "cdn.unlisted.example");
    ta_detector_flow_end(d, &a);
    ta_detector_flow_end(d, &b);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.r[3].suppressed_by, "top-sites");
    assert_string_equal(s.r[4].suppressed_by, "");
    /* No name on the flow: the last name the client's DNS gave for the address. */
    struct ta_flow dnsf, c;
    mkflow(&dnsf, "10.0.9.6", 5353, "10.0.0.53", 53, T + 20 * SEC);
    dnsf.proto = 17;
    struct ta_addr ans;
    ta_addr_parse(&ans, "204.79.197.200");
    struct ta_detect_dns r = {T + 20 * SEC, "www.bing.com", &ans, 1};
    ta_detector_dns(d, &dnsf, &r);
    tls_flow(d, &c, "10.0.9.6", "204.79.197.200", 443, T + 21 * SEC, NULL);
    ta_detector_flow_end(d, &c);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.r[5].suppressed_by, "top-sites");
    /* The address itself on an allow list. */
    tls_flow(d, &c, "10.0.9.7", "192.0.2.99", 443, T + 22 * SEC, NULL);
    ta_detector_flow_end(d, &c);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.r[6].method, TA_METHOD_IP);
    assert_string_equal(s.r[6].suppressed_by, "test-allow");
    /* A listed address nobody allowed: counted. */
    tls_flow(d, &c, "10.0.9.8", "203.0.113.5", 443, T + 23 * SEC, "www.example.net");
    ta_detector_flow_end(d, &c);
    assert_int_equal(s.n, 8);
    assert_string_equal(s.r[7].suppressed_by, "");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_C2], 8);
    assert_int_equal(st.suppressed[TA_EVENT_C2], 6);
    for (unsigned k = 0; k < TA_EVENT_KIND__COUNT; k++)
        if (k != TA_EVENT_C2)
            assert_int_equal(st.suppressed[k], 0);
    ta_detector_free(d);
}

/*
 * Domain matches: an allow entry counts only at or under the indicator domain.
 * A feed listing microsoft.com seen as www.microsoft.com is suppressed; a feed listing
 * evil.wordpress.com is not covered by the allowed parent wordpress.com, but
 * an allow entry for a name under it (safe.evil.wordpress.com) does cover that name.
 */
static void test_suppress_within(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    tls_flow(d, &f, "10.0.10.1", "198.51.100.30", 443, T, "www.microsoft.com");
    tls_flow(d, &f, "10.0.10.1", "198.51.100.31", 443, T, "evil.wordpress.com");
    tls_flow(d, &f, "10.0.10.1", "198.51.100.32", 443, T, "x.evil.wordpress.com");
    tls_flow(d, &f, "10.0.10.1", "198.51.100.33", 443, T, "safe.evil.wordpress.com");
    tls_flow(d, &f, "10.0.10.1", "198.51.100.34", 443, T, "blog.wordpress.com");
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[0].method, TA_METHOD_SNI);
    assert_string_equal(s.r[0].indicator, "microsoft.com");
    assert_string_equal(s.r[0].suppressed_by, "top-sites");
    assert_string_equal(s.r[1].indicator, "evil.wordpress.com");
    assert_string_equal(s.r[1].suppressed_by, "");
    assert_string_equal(s.r[2].host, "x.evil.wordpress.com");
    assert_string_equal(s.r[2].suppressed_by, "");
    assert_string_equal(s.r[3].host, "safe.evil.wordpress.com");
    assert_string_equal(s.r[3].suppressed_by, "misp:test-hosts");
    /* HTTP Host, same rule. */
    mkflow(&f, "10.0.10.2", 52000, "198.51.100.35", 80, T);
    struct ta_detect_http tx = {.ts = T, .method = "GET", .host = "WWW.Microsoft.com", .url = "/"};
    ta_detector_http(d, &f, &tx);
    mkflow(&f, "10.0.10.2", 52001, "198.51.100.36", 80, T);
    tx.host = "evil.wordpress.com";
    ta_detector_http(d, &f, &tx);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.r[4].method, TA_METHOD_HOST);
    assert_string_equal(s.r[4].suppressed_by, "top-sites");
    assert_string_equal(s.r[5].suppressed_by, "");
    /* DNS resolution then connection: the resolved name within the indicator. */
    struct ta_flow dnsf;
    mkflow(&dnsf, "10.0.10.3", 5353, "10.0.0.53", 53, T);
    dnsf.proto = 17;
    struct ta_addr ans[2];
    ta_addr_parse(&ans[0], "198.51.100.37");
    ta_addr_parse(&ans[1], "198.51.100.38");
    struct ta_detect_dns r1 = {T, "www.microsoft.com", &ans[0], 1};
    struct ta_detect_dns r2 = {T, "evil.wordpress.com", &ans[1], 1};
    ta_detector_dns(d, &dnsf, &r1);
    ta_detector_dns(d, &dnsf, &r2);
    mkflow(&f, "10.0.10.3", 52002, "198.51.100.37", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.10.3", 52003, "198.51.100.38", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.r[6].method, TA_METHOD_DNS);
    assert_string_equal(s.r[6].suppressed_by, "top-sites");
    assert_int_equal(s.r[7].method, TA_METHOD_DNS);
    assert_string_equal(s.r[7].suppressed_by, "");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_C2], 8);
    assert_int_equal(st.suppressed[TA_EVENT_C2], 4);
    ta_detector_free(d);
}

/*
 * URL matches: a listed URL on an allowed platform is how phishing pages and
 * payloads are hosted, so the allowed host does not suppress it; only an
 * allow entry for the URL itself does.
 */
static void test_suppress_url(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.11.1", 53000, "198.51.100.40", 80, T);
    struct ta_detect_http tx = {
        .ts = T, .method = "GET", .host = "docs.bigplatform.example", .url = "/forms/d/abc"};
    ta_detector_http(d, &f, &tx);
    mkflow(&f, "10.0.11.1", 53001, "198.51.100.41", 80, T);
    struct ta_detect_http dl = {
        .ts = T, .method = "GET", .host = "dl.example", .url = "/files/invoice.zip"};
    ta_detector_http(d, &f, &dl);
    mkflow(&f, "10.0.11.1", 53002, "198.51.100.42", 80, T);
    struct ta_detect_http two = {.ts = T, .method = "GET", .host = "two.example", .url = "/b"};
    ta_detector_http(d, &f, &two);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[0].kind, TA_EVENT_PHISHING);
    assert_int_equal(s.r[0].method, TA_METHOD_URL);
    assert_string_equal(s.r[0].suppressed_by, "");
    assert_int_equal(s.r[1].kind, TA_EVENT_PAYLOAD);
    assert_string_equal(s.r[1].suppressed_by, "");
    assert_int_equal(s.r[2].kind, TA_EVENT_PHISHING);
    assert_string_equal(s.r[2].suppressed_by, "misp:test-urls");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.suppressed[TA_EVENT_PHISHING], 1);
    assert_int_equal(st.suppressed[TA_EVENT_PAYLOAD], 0);
    ta_detector_free(d);
}

/* Backdoor events are never suppressed: an attack on a popular site is still an attack. */
static void test_backdoor_not_suppressed(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "203.0.113.77", 54000, "192.0.2.99", 80, T);
    struct ta_detect_http tx = {.ts = T,
                                .method = "GET",
                                .host = "www.bing.com",
                                .url = "/shell.php",
                                .status = 200,
                                .resp_body = (const uint8_t *)"uid=33(www-data)",
                                .resp_len = 16,
                                .have_resp = true};
    ta_detector_http(d, &f, &tx);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_BACKDOOR);
    assert_string_equal(s.r[0].suppressed_by, "");
    assert_string_equal(s.r[0].website, "www.bing.com");
    ta_detector_free(d);
}

/*
 * Evidence of contact: an IP:port indicator matches only its port, and a flow
 * without ports (ICMP) is looked up with port 0, which no IP:port indicator
 * matches; an address indicator still matches ICMP.
 */
static void test_ip_port_evidence(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.12.1", 0, "203.0.113.6", 8080, T); /* ICMP, whatever its dp says */
    f.proto = 1;
    f.sp = 8;
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 0);
    mkflow(&f, "10.0.12.1", 55000, "203.0.113.6", 80, T);
    tcp_handshake(&f);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 0);
    mkflow(&f, "10.0.12.1", 55001, "203.0.113.6", 8080, T + SEC);
    tcp_handshake(&f);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].method, TA_METHOD_IP_PORT);
    assert_string_equal(s.r[0].indicator, "203.0.113.6:8080");
    assert_true(s.r[0].established);
    mkflow(&f, "10.0.12.1", 55002, "203.0.113.6", 8080, T + 2 * SEC);
    f.proto = 17;
    f.pkts_toserver = 2;
    f.pkts_toclient = 1;
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[1].method, TA_METHOD_IP_PORT);
    assert_true(s.r[1].established);
    /* ICMP echo to an address indicator: an event (echo unanswered: not established). */
    mkflow(&f, "10.0.12.1", 0, "203.0.113.5", 0, T + 3 * SEC);
    f.proto = 1;
    f.pkts_toserver = 1;
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].method, TA_METHOD_IP);
    assert_false(s.r[2].established);
    ta_detector_free(d);
}

/* established: SYN answered, or both ways without a SYN; not a lone SYN or a reset. */
static void test_established(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.13.1", 56000, "203.0.113.5", 443, T);
    tcp_syn_only(&f);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.13.1", 56001, "203.0.113.5", 443, T);
    tcp_handshake(&f);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.13.1", 56002, "203.0.113.5", 443, T); /* refused */
    tcp_syn_only(&f);
    f.tcp_flags_tc = TA_TCP_RST | TA_TCP_ACK;
    f.pkts_toclient = 1;
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.13.1", 56003, "203.0.113.5", 443, T); /* picked up midstream */
    f.tcp_flags_ts = TA_TCP_ACK | TA_TCP_PSH;
    f.tcp_flags_tc = TA_TCP_ACK;
    f.pkts_toserver = 4;
    f.pkts_toclient = 3;
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.13.1", 56004, "203.0.113.5", 53, T); /* UDP one way */
    f.proto = 17;
    f.pkts_toserver = 5;
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 5);
    assert_false(s.r[0].established);
    assert_true(s.r[1].established);
    assert_false(s.r[2].established);
    assert_true(s.r[3].established);
    assert_false(s.r[4].established);
    ta_detector_free(d);
}

/*
 * Webshell probes: a request matched only by a webshell path indicator is a
 * planted shell only when answered 2xx with a body; otherwise a probe
 * (backdoor-suspected, method probe). Content-confirmed requests need no answer.
 */
static void test_webshell_probe(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "203.0.113.66", 57000, "10.0.14.1", 80, T);
    static const char nf[] = "<html>Not Found</html>";
    struct ta_detect_http probe404 = {.ts = T,
                                      .tx_index = 0,
                                      .method = "GET",
                                      .host = "site.example",
                                      .url = "/shell.php",
                                      .user_agent = "Mozilla/5.00 (Nikto/2.1.6)",
                                      .status = 404,
                                      .resp_body = (const uint8_t *)nf,
                                      .resp_len = strlen(nf),
                                      .have_resp = true};
    ta_detector_http(d, &f, &probe404);
    struct ta_detect_http none = {
        .ts = T + 1, .tx_index = 1, .method = "GET", .host = "site.example", .url = "/shell.php"};
    ta_detector_http(d, &f, &none);
    struct ta_detect_http empty = {.ts = T + 2,
                                   .tx_index = 2,
                                   .method = "GET",
                                   .host = "site.example",
                                   .url = "/shell.php",
                                   .status = 200,
                                   .have_resp = true};
    ta_detector_http(d, &f, &empty);
    struct ta_detect_http moved = {.ts = T + 3,
                                   .tx_index = 3,
                                   .method = "GET",
                                   .host = "site.example",
                                   .url = "/shell.php",
                                   .status = 302,
                                   .resp_body = (const uint8_t *)"moved",
                                   .resp_len = 5,
                                   .have_resp = true};
    ta_detector_http(d, &f, &moved);
    struct ta_detect_http ok = {.ts = T + 4,
                                .tx_index = 4,
                                .method = "GET",
                                .host = "site.example",
                                .url = "/shell.php?cmd=id",
                                .status = 200,
                                .resp_body = (const uint8_t *)"uid=33(www-data)",
                                .resp_len = 16,
                                .have_resp = true};
    ta_detector_http(d, &f, &ok);
    assert_int_equal(s.n, 5);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s.r[i].kind, TA_EVENT_BACKDOOR_SUSPECTED);
        assert_int_equal(s.r[i].method, TA_METHOD_PROBE);
        assert_string_equal(s.r[i].indicator, "/shell.php");
        assert_int_equal(s.r[i].tx_index, (uint32_t)i);
        assert_string_equal(s.r[i].attacker, "203.0.113.66");
    }
    assert_int_equal(s.r[4].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(s.r[4].method, TA_METHOD_URL);
    assert_int_equal(s.r[4].tx_index, 4);
    /* A China Chopper request with its shape in the body: confirmed even unanswered. */
    static const char chop[] = "z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpOw%3D%3D&caidao="
                               "@eval(base64_decode($_POST[z0]));";
    struct ta_detect_http cc = {.ts = T + 5,
                                .tx_index = 5,
                                .method = "POST",
                                .host = "site.example",
                                .url = "/shell.php",
                                .content_type = "application/x-www-form-urlencoded",
                                .req_body = (const uint8_t *)chop,
                                .req_len = strlen(chop)};
    ta_detector_http(d, &f, &cc);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.r[5].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(s.r[5].method, TA_METHOD_CONTENT);
    assert_string_equal(s.r[5].family, "china-chopper");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_BACKDOOR], 2);
    assert_int_equal(st.events[TA_EVENT_BACKDOOR_SUSPECTED], 4);
    ta_detector_free(d);
}

/*
 * Verdicts computed ahead (ta_detect_http_content, as the pipeline's workers
 * do) with only the first ta_detect_http_body_prefix() bytes of each body
 * handed on: the same events, evidence bytes included, as the whole
 * transaction gives. The cut bodies are allocated to their exact length, so
 * a read past the prefix is caught by the sanitizer.
 */
static void test_content_prefix(void **state)
{
    (void)state;
    struct ta_detect_opts o;
    ta_detect_opts_default(&o);
    size_t prefix = ta_detect_http_body_prefix(&o);
    assert_int_equal(prefix, 256);
    static char weak[301];
    static uint8_t pe[600];
    weak_body(weak);
    pe[0] = 'M', pe[1] = 'Z';
    struct ta_detect_http tx[] = {
        godzilla_tx("www.victim.example"),
        weak_tx(weak),
        panel_tx(pe, sizeof(pe)),
    };
    size_t n = sizeof(tx) / sizeof(tx[0]);
    struct ta_flow f[3];
    mkflow(&f[0], "203.0.113.77", 42000, "10.0.2.1", 80, T);
    mkflow(&f[1], "203.0.113.78", 42001, "10.0.2.2", 80, T);
    mkflow(&f[2], "10.0.15.3", 58002, "198.51.100.52", 80, T);
    struct sink whole, cut;
    struct ta_detector *dw = mk(&whole, &o), *dc = mk(&cut, &o);
    for (size_t i = 0; i < n; i++) {
        ta_detector_http(dw, &f[i], &tx[i]);
        struct ta_detect_http_content c;
        ta_detect_http_content(&tx[i], &c);
        assert_true(c.req_len == tx[i].req_len && c.resp_len == tx[i].resp_len);
        struct ta_detect_http t = tx[i];
        t.content = &c;
        size_t rl = t.req_len < prefix ? t.req_len : prefix;
        size_t sl = t.resp_len < prefix ? t.resp_len : prefix;
        uint8_t *rb = t.req_body != NULL ? malloc(rl > 0 ? rl : 1) : NULL;
        uint8_t *sb = t.resp_body != NULL ? malloc(sl > 0 ? sl : 1) : NULL;
        if (rb != NULL)
            memcpy(rb, t.req_body, rl);
        if (sb != NULL)
            memcpy(sb, t.resp_body, sl);
        t.req_body = rb, t.req_len = rl, t.resp_body = sb, t.resp_len = sl;
        ta_detector_http(dc, &f[i], &t);
        free(rb);
        free(sb);
    }
    /* A webshell by content, a suspected one with 256 bytes of evidence, a payload by its PE. */
    assert_int_equal(whole.n, 3);
    assert_int_equal(whole.r[0].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(whole.r[1].kind, TA_EVENT_BACKDOOR_SUSPECTED);
    assert_int_equal(whole.r[1].body_len, 256);
    assert_int_equal(whole.r[2].kind, TA_EVENT_PAYLOAD);
    assert_int_equal(cut.n, whole.n);
    for (size_t i = 0; i < whole.n; i++) {
        assert_int_equal(cut.r[i].kind, whole.r[i].kind);
        assert_int_equal(cut.r[i].method, whole.r[i].method);
        assert_string_equal(cut.r[i].family, whole.r[i].family);
        assert_string_equal(cut.r[i].indicator, whole.r[i].indicator);
        assert_int_equal(cut.r[i].body_len, whole.r[i].body_len);
        assert_int_equal(cut.r[i].body_sum, whole.r[i].body_sum);
        assert_int_equal(cut.r[i].conf, whole.r[i].conf);
        assert_int_equal(cut.r[i].sid, whole.r[i].sid);
    }
    ta_detector_free(dw);
    ta_detector_free(dc);
}

/*
 * Payload downloads are not C&C: a malware-distribution URL, a c2 URL naming a
 * payload file, or a c2 URL answered with an executable gives a payload event
 * (attacker = the serving host, victim = the downloader), one per flow, and no
 * c2 event.
 */
static void test_payload(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    /* By indicator (kind payload); twice on the flow: one event. */
    mkflow(&f, "10.0.15.1", 58000, "198.51.100.50", 80, T);
    struct ta_detect_http dl = {
        .ts = T, .method = "GET", .host = "dl.example", .url = "/files/invoice.zip?x=1"};
    ta_detector_http(d, &f, &dl);
    ta_detector_http(d, &f, &dl);
    ta_detector_flow_end(d, &f);
    /* By extension: a maltrail URL trail of the Emotet DLL on a hacked website. */
    mkflow(&f, "10.0.15.2", 58001, "198.51.100.51", 80, T + SEC);
    struct ta_detect_http dll = {.ts = T + SEC,
                                 .method = "GET",
                                 .host = "hacked-bakery.example",
                                 .url = "/wp-content/plugins/x/emotet.dll"};
    ta_detector_http(d, &f, &dll);
    ta_detector_flow_end(d, &f);
    /* By the answer: a c2 URL answered with a PE file. */
    mkflow(&f, "10.0.15.3", 58002, "198.51.100.52", 80, T + 2 * SEC);
    static const uint8_t pe[] = {'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0};
    struct ta_detect_http mz = panel_tx(pe, sizeof(pe));
    mz.ts = T + 2 * SEC;
    ta_detector_http(d, &f, &mz);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 3);
    static const char *const servers[] = {"198.51.100.50", "198.51.100.51", "198.51.100.52"};
    static const char *const victims[] = {"10.0.15.1", "10.0.15.2", "10.0.15.3"};
    static const char *const indicators[] = {"http://dl.example/files/invoice.zip",
                                             "/wp-content/plugins/x/emotet.dll",
                                             "http://panel.example/gate/admin.php"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.r[i].kind, TA_EVENT_PAYLOAD);
        assert_int_equal(s.r[i].method, TA_METHOD_URL);
        assert_string_equal(s.r[i].attacker, servers[i]);
        assert_string_equal(s.r[i].victim, victims[i]);
        assert_string_equal(s.r[i].indicator, indicators[i]);
        assert_int_equal(s.r[i].tx_index, 0);
    }
    assert_string_equal(s.r[0].family, "emotet");
    /* The same c2 URL answered with a page is C&C. */
    mkflow(&f, "10.0.15.4", 58003, "198.51.100.53", 80, T + 3 * SEC);
    mz.resp_body = (const uint8_t *)"OK";
    mz.resp_len = 2;
    ta_detector_http(d, &f, &mz);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[3].kind, TA_EVENT_C2);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_PAYLOAD], 3);
    assert_int_equal(st.events[TA_EVENT_C2], 1);
    assert_int_equal(st.deduplicated, 1);
    ta_detector_free(d);
}

/*
 * Identity: flow_start is the flow's start for every event; tx_index is the
 * request's position for backdoor kinds and 0 for the others, on one
 * connection carrying several requests.
 */
static void test_identity(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "203.0.113.77", 59000, "10.0.16.1", 80, T - 5 * SEC);
    tcp_handshake(&f);
    for (uint64_t i = 0; i < 3; i++) {
        struct ta_detect_http tx = godzilla_tx("www.victim.example");
        tx.ts = T + i * SEC;
        tx.tx_index = i + 1; /* the first request was innocuous */
        ta_detector_http(d, &f, &tx);
    }
    /* The same connection then requests a C&C Host: tx_index 0 for that kind. */
    struct ta_detect_http c2 = {
        .ts = T + 4 * SEC, .tx_index = 4, .method = "GET", .host = "evil.example", .url = "/"};
    ta_detector_http(d, &f, &c2);
    assert_int_equal(s.n, 4);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(s.r[i].kind, TA_EVENT_BACKDOOR);
        assert_int_equal(s.r[i].tx_index, i + 1);
        assert_int_equal(s.r[i].flow_start, T - 5 * SEC);
        assert_int_equal(s.r[i].ts, T + i * SEC);
        assert_true(s.r[i].established);
        assert_false(s.r[i].undated);
    }
    assert_int_equal(s.r[3].kind, TA_EVENT_C2);
    assert_int_equal(s.r[3].tx_index, 0);
    assert_int_equal(s.r[3].flow_start, T - 5 * SEC);
    assert_int_equal(s.r[3].ts, T + 4 * SEC);
    assert_true(s.r[3].undated);
    ta_detector_free(d);
}

/*
 * Time: every lookup gets the observation's packet time, so a dated indicator
 * matches only inside its window (flows at their start, TLS and HTTP at their
 * record's time); undated indicators match at any time, marked undated.
 */
static void test_times(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    mkflow(&f, "10.0.17.1", 60000, "203.0.113.7", 443, T + 10 * SEC);
    ta_detector_flow_end(d, &f);
    mkflow(&f, "10.0.17.1", 60001, "203.0.113.7", 443, T + 7200 * SEC);
    f.last = T + 7200 * SEC;
    ta_detector_flow_end(d, &f);
    /* A flow that started inside the window and ended after it: its start counts. */
    mkflow(&f, "10.0.17.1", 60002, "203.0.113.7", 443, T + 3500 * SEC);
    f.last = T + 4000 * SEC;
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[0].ts, T + 10 * SEC);
    assert_false(s.r[0].undated);
    assert_string_equal(s.r[0].family, "dridex");
    assert_int_equal(s.r[1].ts, T + 3500 * SEC);
    /* SNI of a domain listed long ago: only when the hello falls in the window. */
    mkflow(&f, "10.0.17.2", 60003, "198.51.100.60", 443, T);
    struct ta_detect_tls t1 = {.ts = T, .sni = "old-c2.example"};
    ta_detector_tls(d, &f, &t1);
    mkflow(&f, "10.0.17.2", 60004, "198.51.100.60", 443, T - 500 * SEC);
    struct ta_detect_tls t2 = {.ts = T - 500 * SEC, .sni = "old-c2.example"};
    ta_detector_tls(d, &f, &t2);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].ts, T - 500 * SEC);
    /* A DNS answer for it outside the window caches nothing. */
    struct ta_flow dnsf;
    mkflow(&dnsf, "10.0.17.3", 5353, "10.0.0.53", 53, T);
    struct ta_addr ans;
    ta_addr_parse(&ans, "198.51.100.61");
    struct ta_detect_dns r = {T, "old-c2.example", &ans, 1};
    ta_detector_dns(d, &dnsf, &r);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.resolutions, 0);
    /* HTTP URL: at the transaction's time. */
    mkflow(&f, "10.0.17.4", 60005, "198.51.100.62", 80, T);
    struct ta_detect_http late = {
        .ts = T + 61 * SEC, .method = "GET", .host = "dated.example", .url = "/p"};
    ta_detector_http(d, &f, &late);
    assert_int_equal(s.n, 3);
    mkflow(&f, "10.0.17.4", 60006, "198.51.100.62", 80, T);
    late.ts = T + 59 * SEC;
    ta_detector_http(d, &f, &late);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[3].kind, TA_EVENT_PHISHING);
    assert_false(s.r[3].undated);
    /* An undated domain's resolution carries undated to the DNS event. */
    ta_addr_parse(&ans, "198.51.100.63");
    struct ta_detect_dns r2 = {T, "cdn.evil.example", &ans, 1};
    ta_detector_dns(d, &dnsf, &r2);
    mkflow(&f, "10.0.17.3", 60007, "198.51.100.63", 443, T + SEC);
    ta_detector_flow_end(d, &f);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.r[4].method, TA_METHOD_DNS);
    assert_true(s.r[4].undated);
    ta_detector_free(d);
}

/* An intel interface that answers every URL lookup with its phishing match, whatever kinds
 * were asked (as an adapter that does not know a kind might): only phishing is reported. */
static bool any_kind_url(void *ctx, const char *url, ta_time_us at, uint32_t kinds,
                         struct ta_detect_match *m)
{
    (void)kinds;
    return fake_url(ctx, url, at, TA_DETECT_IK_BIT(TA_DETECT_IK_PHISHING), m);
}

static void test_match_kind_checked(void **state)
{
    (void)state;
    struct ta_detect_intel in = fake_intel;
    in.match_url = any_kind_url;
    struct sink s;
    memset(&s, 0, sizeof(s));
    struct ta_detector *d;
    assert_int_equal(ta_detector_new(NULL, &in, &geo, on_event, &s, &d), TA_OK);
    struct ta_flow f;
    mkflow(&f, "10.0.18.1", 61000, "203.0.113.50", 80, T);
    struct ta_detect_http tx = {.ts = T, .method = "GET", .host = "phish.example", .url = "/login"};
    ta_detector_http(d, &f, &tx);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].kind, TA_EVENT_PHISHING);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.events[TA_EVENT_PAYLOAD], 0);
    assert_int_equal(st.events[TA_EVENT_C2], 0);
    assert_int_equal(st.events[TA_EVENT_BACKDOOR] + st.events[TA_EVENT_BACKDOOR_SUSPECTED], 0);
    ta_detector_free(d);
}

static void test_output(void **state)
{
    (void)state;
    struct ta_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = TA_EVENT_BACKDOOR;
    ev.method = TA_METHOD_CONTENT;
    ev.ts = 1749221920559553ull;
    ev.flow_id = 42;
    ev.proto = 6;
    ta_addr_parse(&ev.attacker.ip, "203.0.113.77");
    ev.attacker.port = 42000;
    memcpy(ev.attacker.cc, "US", 3);
    ev.attacker.asn = 64500;
    ta_addr_parse(&ev.victim.ip, "10.0.2.1");
    ev.victim.port = 80;
    memcpy(ev.victim.cc, "CN", 3);
    ev.victim.home = true;
    ev.confidence = 95;
    ev.signature = "Godzilla encrypted parameter with md5-framed response";
    ev.family = "godzilla";
    ev.url = "/g.php";
    ev.body = (const uint8_t *)"pass=abc";
    ev.body_len = 8;
    ev.website = "www.victim.example";
    ev.flow_start = 1749221915000000ull;
    ev.tx_index = 7;
    ev.established = true;
    struct ta_json j;
    ta_json_init(&j);
    ta_event_write_eve(&j, &ev, true);
    json_error_t err;
    json_t *o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "event_type")), "alert");
    assert_string_equal(json_string_value(json_object_get(o, "src_ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "dest_ip")), "10.0.2.1");
    assert_string_equal(json_string_value(json_object_get(o, "timestamp")),
                        "2025-06-06T14:58:40.559553+0000");
    json_t *a = json_object_get(o, "alert");
    assert_int_equal(json_integer_value(json_object_get(a, "signature_id")), 9101309);
    /* Attacker (the webshell client) as alert.source, the web server as alert.target. */
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "source"), "ip")),
                        "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "target"), "ip")),
                        "10.0.2.1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "target"), "port")), 80);
    json_t *md = json_object_get(a, "metadata");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(md, "threatatlas_kind"), 0)), "backdoor");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "website"), 0)),
                        "www.victim.example");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "attacker_cc"), 0)),
                        "US");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "victim_home"), 0)),
                        "true");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "tx_index"), 0)), "7");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "flow_start"), 0)),
                        "2025-06-06T14:58:35.000000+0000");
    assert_int_equal(json_integer_value(json_object_get(o, "tx_id")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "app_proto")), "http");
    json_t *http = json_object_get(o, "http");
    assert_string_equal(json_string_value(json_object_get(http, "url")), "/g.php");
    assert_string_equal(json_string_value(json_object_get(http, "http_request_body")),
                        "cGFzcz1hYmM=");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "flow"), "start")),
                        "2025-06-06T14:58:35.000000+0000");
    assert_int_equal(json_integer_value(json_object_get(a, "severity")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "category")),
                        "Web Application Attack");
    json_t *t = json_object_get(o, "threatatlas");
    assert_string_equal(json_string_value(json_object_get(t, "kind")), "backdoor");
    assert_string_equal(json_string_value(json_object_get(t, "website")), "www.victim.example");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(t, "evidence"), "body_b64")),
        "cGFzcz1hYmM=");
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "attacker"), "cc")),
                        "US");
    assert_true(json_is_true(json_object_get(json_object_get(t, "victim"), "home")));
    assert_string_equal(json_string_value(json_object_get(t, "flow_start")),
                        "2025-06-06T14:58:35.000000+0000");
    assert_int_equal(json_integer_value(json_object_get(t, "tx_index")), 7);
    assert_true(json_is_true(json_object_get(t, "established")));
    assert_true(json_is_false(json_object_get(t, "undated")));
    assert_null(json_object_get(t, "suppressed_by")); /* counted: no field */
    assert_string_equal(json_string_value(json_object_get(a, "action")), "allowed");
    json_decref(o);

    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")),
                        "intrusions");
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")),
                        "system-compromise");
    /* source = the attacker, destination = the attacked website. */
    assert_string_equal(json_string_value(json_object_get(o, "source.ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "destination.ip")), "10.0.2.1");
    assert_string_equal(json_string_value(json_object_get(o, "source.geolocation.cc")), "US");
    assert_int_equal(json_integer_value(json_object_get(o, "source.asn")), 64500);
    assert_string_equal(json_string_value(json_object_get(o, "destination.fqdn")),
                        "www.victim.example");
    assert_null(json_object_get(o, "source.fqdn"));
    assert_true(json_is_true(json_object_get(o, "extra.source_is_attacker")));
    /* IntelMQ's DateTime: "+00:00", as Python's isoformat() writes it. */
    assert_string_equal(json_string_value(json_object_get(o, "time.source")),
                        "2025-06-06T14:58:40.559553+00:00");
    assert_string_equal(json_string_value(json_object_get(o, "time.observation")),
                        "2025-06-06T14:58:40.559553+00:00");
    /* Accuracy is the feed's; the event's confidence is extra. */
    assert_int_equal(json_integer_value(json_object_get(o, "feed.accuracy")), 100);
    assert_int_equal(json_integer_value(json_object_get(o, "extra.confidence")), 95);
    assert_string_equal(json_string_value(json_object_get(o, "feed.name")), "threatatlas");
    assert_string_equal(json_string_value(json_object_get(o, "extra.flow_start")),
                        "2025-06-06T14:58:35.000000+0000");
    assert_int_equal(json_integer_value(json_object_get(o, "extra.tx_index")), 7);
    assert_true(json_is_true(json_object_get(o, "extra.established")));
    assert_true(json_is_false(json_object_get(o, "extra.undated")));
    assert_null(json_object_get(o, "extra.suppressed_by"));
    json_decref(o);

    ev.kind = TA_EVENT_C2;
    ev.method = TA_METHOD_IP;
    ev.family = "Emotet";
    ev.hostname = "185.1.2.3:8080";
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, "sensor-1");
    o = json_loads(j.buf, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")),
                        "malicious-code");
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")), "c2-server");
    assert_string_equal(json_string_value(json_object_get(o, "source.ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "source.geolocation.cc")), "US");
    /* IntelMQ: malware.name in lower case, an IP literal never an FQDN. */
    assert_string_equal(json_string_value(json_object_get(o, "malware.name")), "emotet");
    assert_null(json_object_get(o, "source.fqdn"));
    assert_string_equal(json_string_value(json_object_get(o, "extra.hostname")), "185.1.2.3:8080");
    assert_null(json_object_get(o, "extra.tx_index")); /* backdoor kinds only */
    json_decref(o);

    /* A phishing site known only by its TLS SNI: source.url is still a URL. */
    ev.kind = TA_EVENT_PHISHING;
    ev.method = TA_METHOD_SNI;
    ev.hostname = "Login-Bank.example.";
    ev.page = "login-bank.example";
    ev.ts = 1749221920000000ull;
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")), "phishing");
    assert_string_equal(json_string_value(json_object_get(o, "source.url")),
                        "https://login-bank.example/");
    assert_string_equal(json_string_value(json_object_get(o, "source.fqdn")), "login-bank.example");
    assert_null(json_object_get(o, "malware.name"));
    /* A whole second: no fraction, as isoformat() writes it. */
    assert_string_equal(json_string_value(json_object_get(o, "time.source")),
                        "2025-06-06T14:58:40+00:00");
    json_decref(o);
    ev.page = NULL;
    ev.hostname = NULL;
    ev.kind = TA_EVENT_C2;
    ev.method = TA_METHOD_IP;
    ev.family = "emotet";

    /* A suppressed, undated C&C event: kept, marked, action unchanged. */
    ev.suppressed_by = "top-sites";
    ev.undated = true;
    ev.established = false;
    ev.signature = "Flow to a C&C IP";
    ev.sources = "feodo,urlhaus";
    ta_json_reset(&j);
    ta_event_write_eve(&j, &ev, false);
    o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    a = json_object_get(o, "alert");
    assert_null(json_object_get(o, "threatatlas")); /* only with the extension */
    md = json_object_get(a, "metadata");
    assert_int_equal(json_integer_value(json_object_get(a, "signature_id")), 9101001);
    assert_string_equal(json_string_value(json_object_get(a, "action")), "allowed");
    /* The C&C server is the source (attacker), the controlled host the target. */
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "source"), "ip")),
                        "203.0.113.77");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "suppressed_by"), 0)),
                        "top-sites");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "undated"), 0)),
                        "true");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "established"), 0)),
                        "false");
    assert_int_equal(json_array_size(json_object_get(md, "intel_source")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "intel_source"), 1)),
                        "urlhaus");
    assert_null(json_object_get(md, "tx_index"));
    assert_null(json_object_get(o, "tx_id"));
    ev.sources = NULL;
    assert_string_equal(json_string_value(json_object_get(o, "src_ip")), "10.0.2.1");
    json_decref(o);
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "extra.suppressed_by")), "top-sites");
    assert_true(json_is_true(json_object_get(o, "extra.undated")));
    json_decref(o);
    ev.suppressed_by = NULL;

    /* A payload download: malware distribution, the URL as requested. */
    ev.kind = TA_EVENT_PAYLOAD;
    ev.method = TA_METHOD_URL;
    ev.hostname = "hacked-bakery.example";
    ev.url = "/wp-content/plugins/x/emotet.dll";
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")),
                        "malicious-code");
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")),
                        "malware-distribution");
    assert_string_equal(json_string_value(json_object_get(o, "source.ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "source.url")),
                        "http://hacked-bakery.example/wp-content/plugins/x/emotet.dll");
    assert_string_equal(json_string_value(json_object_get(o, "malware.name")), "emotet");
    json_decref(o);
    ev.signature = "Download from a malware-distribution URL";
    ta_json_reset(&j);
    ta_event_write_eve(&j, &ev, true);
    o = json_loads(j.buf, 0, &err);
    a = json_object_get(o, "alert");
    assert_int_equal(json_integer_value(json_object_get(a, "signature_id")), 9101201);
    assert_int_equal(json_integer_value(json_object_get(a, "severity")), 2);
    t = json_object_get(o, "threatatlas");
    assert_string_equal(json_string_value(json_object_get(t, "kind")), "payload");
    assert_true(json_is_false(json_object_get(t, "confirmed")));
    md = json_object_get(a, "metadata");
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "confirmed"), 0)),
                        "false");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "http"), "hostname")),
                        "hacked-bakery.example");
    json_decref(o);
    /* A signature text the table does not know: the fallback id by kind and method. */
    ev.signature = "Some detector without a table entry";
    assert_int_equal(ta_event_signature_id(&ev), 9100000 + 100 * TA_EVENT_PAYLOAD + TA_METHOD_URL);

    ev.kind = TA_EVENT_C2_SUSPECTED;
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")), "other");
    assert_string_equal(json_string_value(json_object_get(o, "classification.identifier")),
                        "c2-suspected");
    json_decref(o);
    ta_json_release(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c2),
        cmocka_unit_test(test_c2_url),
        cmocka_unit_test(test_tls_fingerprints),
        cmocka_unit_test(test_phishing),
        cmocka_unit_test(test_content),
        cmocka_unit_test(test_content_prefix),
        cmocka_unit_test(test_beacon_allowlist),
        cmocka_unit_test(test_beacon_keepalive),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_c2_domain_cap),
        cmocka_unit_test(test_output),
        cmocka_unit_test(test_suppress_bing),
        cmocka_unit_test(test_suppress_within),
        cmocka_unit_test(test_suppress_url),
        cmocka_unit_test(test_backdoor_not_suppressed),
        cmocka_unit_test(test_ip_port_evidence),
        cmocka_unit_test(test_established),
        cmocka_unit_test(test_webshell_probe),
        cmocka_unit_test(test_payload),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_match_kind_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
