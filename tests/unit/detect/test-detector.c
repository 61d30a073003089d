/*
 * Unit tests for the detector: each detection path (C&C by IP, IP:port,
 * DNS then connect, Host, SNI; phishing by URL, URL without query, domain,
 * SNI with page identity; backdoor by content and URL; suspected kinds),
 * per-flow de-duplication, the allowlist, enrichment, and the caps. Intel
 * and geolocation are in-test fakes behind the detector's interfaces.
 */
#include "testutil.h"

#include <ctype.h>
#include <strings.h>

#include <jansson.h>

#include "threatatlas/detect.h"
#include "threatatlas/json.h"

/* ---- fake intel -------------------------------------------------------- */

struct ind {
    const char *value, *type;
    enum ta_detect_ikind kind;
    uint8_t conf;
    const char *family, *sources;
};

static const struct ind inds[] = {
    {"203.0.113.5", "ipv4", TA_DETECT_IK_C2, 90, "emotet", "feodo"},
    {"203.0.113.6:8080", "ip-port", TA_DETECT_IK_C2, 80, "qakbot", "threatfox"},
    {"evil.example", "domain", TA_DETECT_IK_C2, 85, "trickbot", "maltrail,urlhaus"},
    {"http://phish.example/login", "url", TA_DETECT_IK_PHISHING, 95, "", "openphish"},
    {"http://two.example/a", "url", TA_DETECT_IK_PHISHING, 90, "", "openphish"},
    {"http://two.example/b", "url", TA_DETECT_IK_PHISHING, 90, "", "openphish"},
    {"bad-bank.example", "domain", TA_DETECT_IK_PHISHING, 70, "", "phishtank"},
    {"/shell.php", "url-path", TA_DETECT_IK_WEBSHELL, 60, "", "webshell-paths"},
    {"http://panel.example/gate/admin.php", "url", TA_DETECT_IK_C2, 75, "zeus", "threatfox"},
    {"/bot/checkin.php", "url-path", TA_DETECT_IK_C2, 80, "", "maltrail"},
};
static const char *const allow[] = {"updates.vendor.example", "192.0.2.99"};

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

static bool is_allowed(const char *v)
{
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
        if (strcmp(v, allow[i]) == 0)
            return true;
    return false;
}

static void fill(const struct ind *x, struct ta_detect_match *m)
{
    m->value = x->value;
    m->type = x->type;
    m->kind = x->kind;
    m->confidence = x->conf;
    m->has_port = strcmp(x->type, "ip-port") == 0;
    m->family = x->family;
    m->sources = x->sources;
}

static bool fake_ip(void *ctx, const struct ta_addr *a, uint16_t port, ta_time_us at,
                    uint32_t kinds, struct ta_detect_match *m)
{
    (void)ctx;
    (void)at;
    char ip[TA_ADDR_STRLEN], ipp[64];
    ta_addr_format(a, ip, sizeof(ip));
    snprintf(ipp, sizeof(ipp), "%s:%u", ip, port);
    if (is_allowed(ip))
        return false;
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)))
            continue;
        if (strcmp(inds[i].value, ip) == 0 || strcmp(inds[i].value, ipp) == 0) {
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
    (void)at;
    if (is_allowed(name))
        return false;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)) || strcmp(inds[i].type, "domain") != 0)
            continue;
        size_t m2 = strlen(inds[i].value);
        if (strcmp(name, inds[i].value) == 0 ||
            (n > m2 && name[n - m2 - 1] == '.' && strcmp(name + n - m2, inds[i].value) == 0)) {
            fill(&inds[i], m);
            return true;
        }
    }
    return false;
}

static bool fake_url(void *ctx, const char *url, ta_time_us at, uint32_t kinds,
                     struct ta_detect_match *m)
{
    (void)at;
    char n[2048], noq[2048];
    fake_norm(ctx, url, n, sizeof(n));
    snprintf(noq, sizeof(noq), "%.*s", (int)strcspn(n, "?"), n);
    const char *path = strchr(strchr(n, ':') + 3, '/');
    for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
        if (!(kinds & TA_DETECT_IK_BIT(inds[i].kind)))
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

static bool fake_allow_ip(void *ctx, const struct ta_addr *a, char *list, size_t cap)
{
    (void)ctx;
    char ip[TA_ADDR_STRLEN];
    snprintf(list, cap, "test-allow");
    return is_allowed(ta_addr_format(a, ip, sizeof(ip)));
}

static bool fake_allow_name(void *ctx, const char *name, const char *within, char *list, size_t cap)
{
    (void)ctx;
    (void)within;
    snprintf(list, cap, "test-allow");
    return is_allowed(name);
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
    size_t body_len;
    uint64_t flow_id;
    uint8_t conf;
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
    r->flow_id = ev->flow_id;
    r->conf = ev->confidence;
    assert_non_null(ev->signature);
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

#define T   1700000000000000ull
#define SEC 1000000ull

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
    struct ta_detect_tls tls = {T + 30 * SEC, "api.evil.example"};
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
    struct ta_detect_tls t1 = {T, "phish.example"};
    ta_detector_tls(d, &f, &t1);
    mkflow(&f, "10.0.1.3", 41003, "203.0.113.52", 443, T);
    struct ta_detect_tls t2 = {T, "two.example"};
    ta_detector_tls(d, &f, &t2);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.r[2].method, TA_METHOD_SNI);
    assert_string_equal(s.r[2].page, "http://phish.example/login");
    assert_string_equal(s.r[2].indicator, "http://phish.example/login");
    assert_string_equal(s.r[3].page, "two.example");
    assert_string_equal(s.r[3].indicator, "two.example");
    mkflow(&f, "10.0.1.3", 41004, "203.0.113.53", 443, T);
    struct ta_detect_tls t3 = {T, "login.bad-bank.example"};
    ta_detector_tls(d, &f, &t3);
    ta_detector_tls(d, &f, &t3);
    mkflow(&f, "10.0.1.3", 41005, "203.0.113.54", 443, T);
    struct ta_detect_tls t4 = {T, "www.example.org"};
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

static void test_content(void **state)
{
    (void)state;
    struct sink s;
    struct ta_detector *d = mk(&s, NULL);
    struct ta_flow f;
    /* Godzilla-shaped requests: one backdoor event per request. */
    mkflow(&f, "203.0.113.77", 42000, "10.0.2.1", 80, T);
    static const char body[] = "pass=DlMRWA1cL1gOVDc2MjRhRwZFEQAbCg8MDQ4CBAYJ";
    static const char resp[] = "11cd6a8758984163fL1tMGI4YTljMv79NDQm7r9PZzBiOA==6c37ac826a2a04bc";
    struct ta_detect_http tx = {.ts = T,
                                .method = "POST",
                                .host = "WWW.Victim.example:8080",
                                .url = "/upload/g.php",
                                .content_type = "application/x-www-form-urlencoded",
                                .req_body = (const uint8_t *)body,
                                .req_len = strlen(body),
                                .resp_body = (const uint8_t *)resp,
                                .resp_len = strlen(resp),
                                .have_resp = true};
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
    /* Webshell path indicator on an innocuous GET, without Host: website = server IP. */
    struct ta_detect_http get = {.ts = T, .method = "GET", .url = "/shell.php?act=ls"};
    ta_detector_http(d, &f, &get);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.r[2].kind, TA_EVENT_BACKDOOR);
    assert_int_equal(s.r[2].method, TA_METHOD_URL);
    assert_string_equal(s.r[2].website, "10.0.2.1");
    assert_string_equal(s.r[2].indicator, "/shell.php");
    /* Weak body signal: suspected. */
    char rnd[301];
    uint32_t x = 7;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> 16) & 63];
    }
    rnd[300] = 0;
    rnd[5] = '=';
    struct ta_detect_http weak = {.ts = T,
                                  .method = "POST",
                                  .host = "v.example",
                                  .url = "/a.php",
                                  .req_body = (const uint8_t *)rnd,
                                  .req_len = 300,
                                  .resp_body = (const uint8_t *)"ok",
                                  .resp_len = 2,
                                  .have_resp = true};
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
    for (unsigned i = 0; i < 60; i++) {
        x = x * 1103515245u + 12345u;
        ta_time_us jitter = (ta_time_us)((x >> 16) % 12) * SEC;
        mkflow(&f, "10.0.3.1", (uint16_t)(50000 + i), "203.0.113.200", 443,
               T + (ta_time_us)i * 60 * SEC + jitter);
        ta_detector_flow_end(d, &f);
        mkflow(&f, "10.0.3.2", (uint16_t)(50000 + i), "198.51.100.200", 443,
               T + (ta_time_us)i * 300 * SEC);
        struct ta_detect_tls t = {f.start, "updates.vendor.example"};
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
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.allowlisted, 1);
    assert_int_equal(st.beacon.pairs, 2);
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
    struct ta_json j;
    ta_json_init(&j);
    ta_event_write_eve(&j, &ev);
    json_error_t err;
    json_t *o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "event_type")), "alert");
    assert_string_equal(json_string_value(json_object_get(o, "src_ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "dest_ip")), "10.0.2.1");
    assert_string_equal(json_string_value(json_object_get(o, "timestamp")),
                        "2025-06-06T14:58:40.559553+0000");
    json_t *a = json_object_get(o, "alert");
    assert_int_equal(json_integer_value(json_object_get(a, "signature_id")), 9100406);
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
    json_decref(o);

    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, NULL);
    o = json_loads(j.buf, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")),
                        "intrusions");
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")),
                        "system-compromise");
    /* source = the compromised web server. */
    assert_string_equal(json_string_value(json_object_get(o, "source.ip")), "10.0.2.1");
    assert_string_equal(json_string_value(json_object_get(o, "destination.geolocation.cc")), "US");
    assert_int_equal(json_integer_value(json_object_get(o, "destination.asn")), 64500);
    assert_string_equal(json_string_value(json_object_get(o, "feed.name")), "threatatlas");
    json_decref(o);

    ev.kind = TA_EVENT_C2;
    ev.method = TA_METHOD_IP;
    ev.family = "emotet";
    ta_json_reset(&j);
    ta_event_write_intelmq(&j, &ev, "sensor-1");
    o = json_loads(j.buf, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "classification.taxonomy")),
                        "malicious-code");
    assert_string_equal(json_string_value(json_object_get(o, "classification.type")), "c2-server");
    assert_string_equal(json_string_value(json_object_get(o, "source.ip")), "203.0.113.77");
    assert_string_equal(json_string_value(json_object_get(o, "source.geolocation.cc")), "US");
    assert_string_equal(json_string_value(json_object_get(o, "malware.name")), "emotet");
    json_decref(o);
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
        cmocka_unit_test(test_phishing),
        cmocka_unit_test(test_content),
        cmocka_unit_test(test_beacon_allowlist),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_c2_domain_cap),
        cmocka_unit_test(test_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
