/*
 * The `national` scenario: a national CERT's view of two months of traffic,
 * with C&C beaconing, phishing visits, webshell requests and benign
 * background, written as one pcap per day plus threat-intel feeds in their
 * real formats and truth.json in the report's JSON shape.
 *
 * Truth is recorded as each malicious session is emitted and counted at the
 * end with the report's definitions (README, "Counting"); it never comes
 * from the scenario parameters.
 */
#include "gen-scenarios.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "threatatlas/json.h"

#include "common/banned.h"

#define DAY_US 86400000000ull
#define SEC    1000000ull

/* ---- scenario parameters at scale 1.0 ---------------------------------- */

static const char *const countries[] = {"US", "CN", "RU", "NL", "DE", "KR", "JP"};
#define NCC 7
enum { US, CN, RU, NL, DE, KR, JP };

struct bot_pair {
    uint8_t src, dst; /* C&C country, controlled hosts' country */
    double servers, hosts;
};
static const struct bot_pair bot_pairs[] = {
    {US, CN, 2077, 1180000}, {RU, CN, 300, 60000}, {NL, CN, 120, 25000},
    {DE, CN, 80, 12000},     {CN, US, 60, 9000},   {US, KR, 40, 5000},
};
#define NBOTP (sizeof(bot_pairs) / sizeof(bot_pairs[0]))

struct phish_pair {
    uint8_t src, dst; /* phishing server country, visitors' country */
    double hosts, pages, visits;
};
static const struct phish_pair phish_pairs[] = {
    {US, CN, 135, 563, 14000},
    {JP, CN, 15, 40, 900},
    {US, KR, 8, 20, 500},
};
#define NPHP (sizeof(phish_pairs) / sizeof(phish_pairs[0]))

struct bd_pair {
    uint8_t src, dst; /* attackers' country, websites' country */
    double attackers, requests, sites;
};
static const struct bd_pair bd_pairs[] = {
    {US, CN, 2016, 57000, 1754},
    {KR, CN, 60, 1500, 50},
    {CN, US, 30, 700, 25},
};
#define NBDP (sizeof(bd_pairs) / sizeof(bd_pairs[0]))

/* Pair ids in the truth records: botnet 0.., phishing 16.., backdoor 32... */

static uint32_t scaled(double v, double scale)
{
    double x = floor(v * scale + 0.5);
    return x < 1 ? 1 : (uint32_t)x;
}

/* ---- entities ------------------------------------------------------------ */

enum c2kind { C2_IPPORT, C2_IP, C2_DOM_SNI, C2_DOM_HTTP, C2_DOM_RAW };
static const char *const c2kind_name[] = {"ip:port", "ip", "domain/tls-sni", "domain/http-host",
                                          "domain/dns-then-connect"};
static const char *const families[] = {"Dridex", "Emotet", "TrickBot", "QakBot", "BazarLoader"};
/* Malpedia names, as ThreatFox's fk_malware column uses them. */
static const char *const families_fk[] = {"win.dridex", "win.emotet", "win.trickbot", "win.qakbot",
                                          "win.bazarbackdoor"};

struct c2 {
    uint32_t ip;
    uint8_t pair, kind, fam;
    uint16_t port;
    char domain[40];
};

struct bot {
    uint32_t ip;
    uint32_t server;
};

struct phost {
    uint32_t ip;
    uint8_t pair;
};

struct pdomain {
    char name[48];
    uint32_t host;
    bool https;
    uint32_t first_page, npages;
};

struct ppage {
    uint32_t domain;
    char path[48];
};

struct pvisit {
    uint16_t day;
    uint32_t t; /* seconds in the day */
    uint32_t page, visitor;
    uint8_t pair;
};

enum shelltool { SH_CHOPPER, SH_ANTSWORD, SH_BEHINDER, SH_GODZILLA };
static const char *const tool_name[] = {"China Chopper", "AntSword", "Behinder", "Godzilla"};

struct website {
    uint32_t ip;
    uint8_t pair;
    char host[40];
    char path[48];
    char pass[12];
};

struct attacker {
    uint32_t ip;
    uint8_t pair, tool;
};

struct bdsess {
    uint16_t day;
    uint32_t t;
    uint32_t attacker, site;
    uint8_t nreq;
};

/* One truth record: a malicious contact with the (attacker, victim) keys. */
struct trec {
    uint16_t day;
    uint8_t pair;
    uint8_t pad;
    uint32_t a, b;
};

struct tvec {
    struct trec *v;
    size_t n, cap;
};

static void tpush(struct tvec *t, uint16_t day, uint8_t pair, uint32_t a, uint32_t b)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->v = realloc(t->v, t->cap * sizeof(*t->v));
        if (t->v == NULL)
            abort();
    }
    t->v[t->n++] = (struct trec){day, pair, 0, a, b};
}

struct site {
    const char *name;
    uint32_t ip;
    bool https;
};

struct nat {
    const struct tg_gen_opts *o;
    struct tg_rng rng;
    struct tg_geo *geo;
    struct tg_ctx ctx;
    unsigned ndays;
    ta_time_us from;
    uint32_t resolver[NCC];

    struct c2 *c2;
    uint32_t nc2;
    struct bot *bots;
    uint32_t nbots;
    uint32_t pair_bot_first[NBOTP + 1];

    struct phost *phosts;
    uint32_t nphosts;
    struct pdomain *pdoms;
    uint32_t npdoms;
    struct ppage *ppages;
    uint32_t nppages;
    struct pvisit *pvisits;
    uint32_t npvisits;
    uint32_t *victims; /* visitor IPs, per phishing pair ranges */
    uint32_t victim_first[NPHP + 1];

    struct website *sites;
    uint32_t nsites;
    struct attacker *att;
    uint32_t natt;
    struct bdsess *bds;
    uint32_t nbds;

    uint32_t *clients; /* home background clients */
    uint32_t nclients;
    struct site pop[24];
    uint32_t npop;
    uint32_t *updaters;
    uint32_t nupdaters;
    uint32_t update_ip, ntp_ip[2];

    struct tvec t_c2, t_ph, t_bd;
    uint64_t c2_conns[NBOTP];
    uint64_t method_conns[5];
    uint64_t packets, bytes;
};

static ta_err draw(struct nat *n, uint8_t cc, uint32_t *ip)
{
    return tg_geo_draw(n->geo, &n->rng, countries[cc], ip);
}

static void rand_label(struct tg_rng *r, char *out, size_t min, size_t max)
{
    size_t l = (size_t)tg_rng_range(r, min, max);
    tg_rng_alnum(r, out, l);
    out[l] = '\0';
}

/* ---- building the world ------------------------------------------------ */

static ta_err build_botnet(struct nat *n, double scale)
{
    uint32_t total_s = 0, total_b = 0;
    for (size_t p = 0; p < NBOTP; p++) {
        total_s += scaled(bot_pairs[p].servers, scale);
        total_b += scaled(bot_pairs[p].hosts, scale);
    }
    n->c2 = calloc(total_s, sizeof(*n->c2));
    n->bots = calloc(total_b, sizeof(*n->bots));
    if (n->c2 == NULL || n->bots == NULL)
        return TA_ERR_NOMEM;
    static const char *const tlds[] = {"com", "net", "org", "info", "biz", "ru", "top"};
    for (size_t p = 0; p < NBOTP; p++) {
        uint32_t ns = scaled(bot_pairs[p].servers, scale);
        uint32_t nb = scaled(bot_pairs[p].hosts, scale);
        uint32_t s0 = n->nc2;
        for (uint32_t i = 0; i < ns; i++) {
            struct c2 *c = &n->c2[n->nc2++];
            ta_err e = draw(n, bot_pairs[p].src, &c->ip);
            if (e != TA_OK)
                return e;
            c->pair = (uint8_t)p;
            /* The first servers cover every kind (across pairs at tiny
             * scales), then a mix. */
            uint64_t k = i < 5 ? (i + p) % 5 : tg_rng_below(&n->rng, 100);
            if (i >= 5)
                k = k < 35   ? C2_IPPORT
                    : k < 50 ? C2_IP
                    : k < 70 ? C2_DOM_SNI
                    : k < 85 ? C2_DOM_HTTP
                             : C2_DOM_RAW;
            c->kind = (uint8_t)k;
            c->fam = (uint8_t)tg_rng_below(&n->rng, 5);
            static const uint16_t ports[] = {443, 447, 449, 8080, 7080, 4143, 8443};
            switch (c->kind) {
            case C2_IPPORT:
                c->port = ports[tg_rng_below(&n->rng, 7)];
                break;
            case C2_IP:
                c->port = tg_rng_below(&n->rng, 2) ? 80 : 8080;
                break;
            case C2_DOM_SNI:
                c->port = 443;
                break;
            case C2_DOM_HTTP:
                c->port = 80;
                break;
            default:
                c->port = (uint16_t)tg_rng_range(&n->rng, 2000, 9999);
                break;
            }
            if (c->kind >= C2_DOM_SNI) {
                char l[24];
                rand_label(&n->rng, l, 8, 16);
                snprintf(c->domain, sizeof(c->domain), "%s.%s", l, tlds[tg_rng_below(&n->rng, 7)]);
            }
        }
        n->pair_bot_first[p] = n->nbots;
        for (uint32_t i = 0; i < nb; i++) {
            struct bot *b = &n->bots[n->nbots++];
            /* Every server controls at least one host. */
            b->server = s0 + (i < ns ? i : (uint32_t)tg_rng_below(&n->rng, ns));
            /* A tenth of the hosts of secondary pairs in CN are also bots of
             * the first pair: a host talking to servers in two countries. */
            if (p > 0 && bot_pairs[p].dst == bot_pairs[0].dst && tg_rng_below(&n->rng, 10) == 0) {
                uint32_t j = (uint32_t)tg_rng_below(&n->rng, n->pair_bot_first[1]);
                b->ip = n->bots[j].ip;
                continue;
            }
            ta_err e = draw(n, bot_pairs[p].dst, &b->ip);
            if (e != TA_OK)
                return e;
        }
    }
    n->pair_bot_first[NBOTP] = n->nbots;
    return TA_OK;
}

static ta_err build_phishing(struct nat *n, double scale)
{
    uint32_t th = 0, tp = 0, tv = 0, tvic = 0;
    for (size_t p = 0; p < NPHP; p++) {
        th += scaled(phish_pairs[p].hosts, scale);
        tp += scaled(phish_pairs[p].pages, scale);
        tv += scaled(phish_pairs[p].visits, scale);
        tvic += scaled(phish_pairs[p].visits / 3, scale);
    }
    n->phosts = calloc(th, sizeof(*n->phosts));
    n->pdoms = calloc(tp, sizeof(*n->pdoms));
    n->ppages = calloc(tp, sizeof(*n->ppages));
    n->pvisits = calloc(tv, sizeof(*n->pvisits));
    n->victims = calloc(tvic, sizeof(uint32_t));
    if (!n->phosts || !n->pdoms || !n->ppages || !n->pvisits || !n->victims)
        return TA_ERR_NOMEM;
    static const char *const brands[] = {"icbc", "alipay", "taobao", "ccb", "boc",
                                         "jd",   "qq",     "abc",    "cmb", "10086"};
    static const char *const pnames[] = {"login.php", "index.html", "verify.php", "signin.html",
                                         "account/update.php"};
    uint32_t nvic = 0;
    for (size_t p = 0; p < NPHP; p++) {
        const struct phish_pair *pp = &phish_pairs[p];
        uint32_t nh = scaled(pp->hosts, scale), npg = scaled(pp->pages, scale);
        uint32_t nv = scaled(pp->visits, scale);
        uint32_t h0 = n->nphosts, d0 = n->npdoms, pg0 = n->nppages;
        for (uint32_t i = 0; i < nh; i++) {
            struct phost *h = &n->phosts[n->nphosts++];
            ta_err e = draw(n, pp->src, &h->ip);
            if (e != TA_OK)
                return e;
            h->pair = (uint8_t)p;
        }
        /* Domains: about one per 2.2 pages, at least one per host. */
        uint32_t nd = (uint32_t)(npg / 2.2);
        if (nd < nh)
            nd = nh;
        if (nd > npg)
            nd = npg;
        for (uint32_t i = 0; i < nd; i++) {
            struct pdomain *d = &n->pdoms[n->npdoms++];
            char l[24];
            rand_label(&n->rng, l, 6, 12);
            snprintf(d->name, sizeof(d->name), "%s-%s.com", brands[tg_rng_below(&n->rng, 10)], l);
            d->host = h0 + (i < nh ? i : (uint32_t)tg_rng_below(&n->rng, nh));
            /* 30% HTTPS, seen through SNI only; at tiny scales the third pair's
             * first domain is one of them. */
            d->https = (i + p) % 10 == 2 || (i + p) % 10 == 5 || (i + p) % 10 == 8;
        }
        /* Pages: one per domain first; extra pages go to HTTP domains, and,
         * outside the main pair (whose page count stays the statement's), to
         * every fifth HTTPS domain, so the "host has several URLs" rule of
         * SNI-only visits is exercised. */
        uint32_t *cnt = calloc(nd, sizeof(uint32_t));
        if (cnt == NULL)
            return TA_ERR_NOMEM;
        for (uint32_t i = 0; i < npg; i++) {
            uint32_t di;
            if (i < nd) {
                di = i;
            } else {
                for (int tries = 0;; tries++) {
                    di = (uint32_t)tg_rng_below(&n->rng, nd);
                    const struct pdomain *d = &n->pdoms[d0 + di];
                    if (!d->https || (p > 0 && di % 5 == 0 && cnt[di] < 2) || tries > 50)
                        break;
                }
            }
            cnt[di]++;
        }
        /* Lay out pages grouped by domain. */
        for (uint32_t di = 0; di < nd; di++) {
            struct pdomain *d = &n->pdoms[d0 + di];
            d->first_page = n->nppages;
            d->npages = cnt[di];
            for (uint32_t k = 0; k < cnt[di]; k++) {
                struct ppage *pg = &n->ppages[n->nppages++];
                pg->domain = d0 + di;
                char dir[16];
                rand_label(&n->rng, dir, 4, 8);
                snprintf(pg->path, sizeof(pg->path), "/%s/%s", dir,
                         pnames[tg_rng_below(&n->rng, 5)]);
            }
        }
        free(cnt);
        /* Victims in the visitors' country. */
        uint32_t nvv = scaled(pp->visits / 3, scale);
        n->victim_first[p] = nvic;
        for (uint32_t i = 0; i < nvv; i++) {
            ta_err e = draw(n, pp->dst, &n->victims[nvic++]);
            if (e != TA_OK)
                return e;
        }
        for (uint32_t i = 0; i < nv; i++) {
            struct pvisit *v = &n->pvisits[n->npvisits++];
            v->pair = (uint8_t)p;
            v->page = pg0 + (i < npg ? i : (uint32_t)tg_rng_below(&n->rng, npg));
            v->visitor = n->victim_first[p] + (uint32_t)tg_rng_below(&n->rng, nvv);
            v->day = (uint16_t)tg_rng_below(&n->rng, n->ndays);
            v->t = (uint32_t)tg_rng_range(&n->rng, 120, 86400 - 900);
        }
    }
    n->victim_first[NPHP] = nvic;
    return TA_OK;
}

static ta_err build_backdoor(struct nat *n, double scale)
{
    uint32_t ts = 0, ta = 0, tr = 0;
    for (size_t p = 0; p < NBDP; p++) {
        ts += scaled(bd_pairs[p].sites, scale);
        ta += scaled(bd_pairs[p].attackers, scale);
        tr += scaled(bd_pairs[p].requests, scale);
    }
    n->sites = calloc(ts, sizeof(*n->sites));
    n->att = calloc(ta, sizeof(*n->att));
    n->bds = calloc(tr, sizeof(*n->bds));
    if (!n->sites || !n->att || !n->bds)
        return TA_ERR_NOMEM;
    static const char *const dirs[] = {"uploads",
                                       "images",
                                       "data/cache",
                                       "templets",
                                       "include",
                                       "admin/editor",
                                       "wp-content/uploads/2014/03"};
    static const char *const exts[] = {".php", ".php", ".php", ".asp", ".aspx", ".jsp"};
    static const char *const tldcn[] = {"com.cn", "cn", "gov.cn", "edu.cn", "com"};
    static const char *const pw[] = {"pass", "cmd", "x", "caidao", "ant", "pwd", "key", "z"};
    for (size_t p = 0; p < NBDP; p++) {
        const struct bd_pair *bp = &bd_pairs[p];
        uint32_t nsi = scaled(bp->sites, scale), na = scaled(bp->attackers, scale);
        uint32_t nr = scaled(bp->requests, scale);
        uint32_t s0 = n->nsites, a0 = n->natt;
        for (uint32_t i = 0; i < nsi; i++) {
            struct website *w = &n->sites[n->nsites++];
            w->pair = (uint8_t)p;
            /* Every seventh site is a virtual host on the previous site's server. */
            if (i % 7 == 6) {
                w->ip = w[-1].ip;
            } else {
                ta_err e = draw(n, bp->dst, &w->ip);
                if (e != TA_OK)
                    return e;
            }
            char l[24], f[16];
            rand_label(&n->rng, l, 7, 12);
            snprintf(w->host, sizeof(w->host), "www.%s.%s", l,
                     bp->dst == CN ? tldcn[tg_rng_below(&n->rng, 5)] : "com");
            rand_label(&n->rng, f, 2, 8);
            snprintf(w->path, sizeof(w->path), "/%s/%s%s", dirs[tg_rng_below(&n->rng, 7)], f,
                     exts[tg_rng_below(&n->rng, 6)]);
            snprintf(w->pass, sizeof(w->pass), "%s", pw[tg_rng_below(&n->rng, 8)]);
        }
        for (uint32_t i = 0; i < na; i++) {
            struct attacker *a = &n->att[n->natt++];
            ta_err e = draw(n, bp->src, &a->ip);
            if (e != TA_OK)
                return e;
            a->pair = (uint8_t)p;
            a->tool = (uint8_t)((i + 3 * p) % 4); /* all four tools even at tiny scales */
        }
        /* Sessions of 1-3 requests until exactly nr requests; the first ones
         * cover every attacker and every site. */
        uint32_t done = 0, k = 0;
        while (done < nr) {
            struct bdsess *s = &n->bds[n->nbds++];
            s->attacker = a0 + (k < na ? k : (uint32_t)tg_rng_below(&n->rng, na));
            s->site = s0 + (k < nsi ? k : (uint32_t)tg_rng_below(&n->rng, nsi));
            uint32_t want = (uint32_t)tg_rng_range(&n->rng, 1, 3);
            if (want > nr - done)
                want = nr - done;
            s->nreq = (uint8_t)want;
            s->day = (uint16_t)tg_rng_below(&n->rng, n->ndays);
            s->t = (uint32_t)tg_rng_range(&n->rng, 120, 86400 - 900);
            done += want;
            k++;
        }
    }
    return TA_OK;
}

static ta_err build_background(struct nat *n, double scale)
{
    static const struct {
        const char *name;
        uint8_t cc;
        bool https;
    } pop[] = {
        {"www.baidu.com", CN, true},        {"www.qq.com", CN, true},
        {"www.taobao.com", CN, true},       {"www.sina.com.cn", CN, false},
        {"www.163.com", CN, false},         {"www.sohu.com", CN, false},
        {"www.jd.com", CN, true},           {"news.ifeng.com", CN, false},
        {"www.microsoft.com", US, true},    {"www.apple.com", US, true},
        {"www.bing.com", US, true},         {"www.github.com", US, true},
        {"static.cdn-edge.net", US, false}, {"img.cdn-edge.net", US, false},
        {"js.cdn-edge.net", US, false},     {"www.amazon.com", US, true},
    };
    n->npop = sizeof(pop) / sizeof(pop[0]);
    uint32_t cdn_ip = 0;
    for (uint32_t i = 0; i < n->npop; i++) {
        n->pop[i].name = pop[i].name;
        n->pop[i].https = pop[i].https;
        /* The cdn-edge names share one address, as CDNs do. */
        if (strstr(pop[i].name, "cdn-edge") != NULL && cdn_ip != 0) {
            n->pop[i].ip = cdn_ip;
            continue;
        }
        ta_err e = draw(n, pop[i].cc, &n->pop[i].ip);
        if (e != TA_OK)
            return e;
        if (strstr(pop[i].name, "cdn-edge") != NULL)
            cdn_ip = n->pop[i].ip;
    }
    n->nclients = scaled(20000, scale);
    if (n->nclients < 30)
        n->nclients = 30;
    n->clients = calloc(n->nclients, sizeof(uint32_t));
    n->nupdaters = scaled(800, scale);
    if (n->nupdaters < 3)
        n->nupdaters = 3;
    n->updaters = calloc(n->nupdaters, sizeof(uint32_t));
    if (n->clients == NULL || n->updaters == NULL)
        return TA_ERR_NOMEM;
    for (uint32_t i = 0; i < n->nclients; i++) {
        ta_err e = draw(n, CN, &n->clients[i]);
        if (e != TA_OK)
            return e;
    }
    for (uint32_t i = 0; i < n->nupdaters; i++)
        n->updaters[i] = n->clients[i % n->nclients];
    ta_err e = draw(n, US, &n->update_ip);
    if (e == TA_OK)
        e = draw(n, CN, &n->ntp_ip[0]);
    if (e == TA_OK)
        e = draw(n, US, &n->ntp_ip[1]);
    for (int c = 0; c < NCC && e == TA_OK; c++)
        e = draw(n, (uint8_t)c, &n->resolver[c]);
    return e;
}

/* ---- emitting sessions --------------------------------------------------- */

static uint8_t near_ttl(struct tg_rng *r, bool windows)
{
    return (uint8_t)((windows ? 128 : 64) - tg_rng_range(r, 1, 3));
}

static uint8_t far_ttl(struct tg_rng *r)
{
    return (uint8_t)(tg_rng_below(r, 4) == 0 ? 128 - tg_rng_range(r, 12, 22)
                                             : 64 - tg_rng_range(r, 10, 22));
}

static uint32_t rtt_for(struct tg_rng *r, bool abroad)
{
    return (uint32_t)(abroad ? tg_rng_range(r, 120000, 260000) : tg_rng_range(r, 5000, 40000));
}

static const char *const browser_ua[] = {
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/34.0.1847.116 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; rv:28.0) Gecko/20100101 Firefox/28.0",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 7_1 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like "
    "Gecko) Version/7.0 Mobile/11D167 Safari/9537.53",
};

static void http_response(struct tg_buf *b, struct tg_rng *r, int status, const char *ctype,
                          size_t body)
{
    const char *reason = status == 200 ? "OK" : status == 302 ? "Found" : "Not Found";
    bool jpeg = strncmp(ctype, "image/", 6) == 0;
    if (jpeg && body < 32)
        body = 32;
    tg_buf_printf(b,
                  "HTTP/1.1 %d %s\r\nServer: nginx\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\nConnection: keep-alive\r\n\r\n",
                  status, reason, jpeg ? "image/jpeg" : ctype, body);
    size_t start = b->len;
    if (jpeg) {
        /* A structurally valid JPEG: SOI, JFIF APP0, comment segments, EOI. */
        static const uint8_t head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',
                                       0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
        tg_buf_put(b, head, sizeof(head));
        size_t left = body - sizeof(head) - 2;
        uint8_t tmp[256];
        while (left > 0) {
            size_t seg = left - 4 < 65533 ? left - 4 : 65533;
            if (left - seg - 4 > 0 && left - seg - 4 < 5)
                seg -= 5; /* never leave a remainder too small for a segment */
            tg_buf_u16(b, 0xfffe);
            tg_buf_u16(b, (uint16_t)(seg + 2));
            for (size_t k = 0; k < seg; k += sizeof(tmp)) {
                size_t m = seg - k < sizeof(tmp) ? seg - k : sizeof(tmp);
                tg_rng_bytes(r, tmp, m);
                tg_buf_put(b, tmp, m);
            }
            left -= seg + 4;
        }
        tg_buf_u16(b, 0xffd9);
        return;
    }
    static const char filler[] = "<div class=\"c\"><p>lorem ipsum dolor sit amet</p></div>\n";
    while (b->len - start < body) {
        size_t k = body - (b->len - start);
        if (k > sizeof(filler) - 1)
            k = sizeof(filler) - 1;
        tg_buf_put(b, filler, k);
    }
}

static ta_err http_get(struct tg_ctx *c, struct tg_tcp_sess *s, const char *host, const char *path,
                       const char *ua, size_t resp, const char *ctype)
{
    tg_buf_reset(&c->a);
    tg_buf_printf(&c->a,
                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
                  "Accept-Language: zh-CN,zh;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
                  "Connection: keep-alive\r\n\r\n",
                  path, host, ua);
    ta_err e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    http_response(&c->b, c->rng, 200, ctype, resp);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    tg_tcp_sess_wait(s, tg_rng_range(c->rng, 2000, 60000));
    return e;
}

static ta_err tls_exchange(struct tg_ctx *c, struct tg_tcp_sess *s, const char *sni, size_t up,
                           size_t down)
{
    tg_buf_reset(&c->a);
    tg_tls_client_hello(&c->a, c->rng, sni);
    ta_err e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    tg_tls_server_hello(&c->b, c->rng);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    static const uint8_t ccs_fin_hdr[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    tg_buf_reset(&c->a);
    tg_buf_put(&c->a, ccs_fin_hdr, sizeof(ccs_fin_hdr));
    tg_buf_u8(&c->a, 0x16);
    tg_buf_u16(&c->a, 0x0303);
    tg_buf_u16(&c->a, 40);
    uint8_t fin[40];
    tg_rng_bytes(c->rng, fin, 40);
    tg_buf_put(&c->a, fin, 40);
    tg_tls_appdata(&c->a, c->rng, up);
    if (e == TA_OK)
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
    tg_buf_reset(&c->b);
    while (down > 0 && e == TA_OK) {
        size_t k = down > 16000 ? 16000 : down;
        tg_tls_appdata(&c->b, c->rng, k);
        down -= k;
    }
    if (e == TA_OK && c->b.len > 0)
        e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
    return e;
}

static uint16_t day_of(const struct nat *n, ta_time_us t)
{
    return (uint16_t)((t - n->from) / DAY_US);
}

/* One beacon of bot b at time t. */
static ta_err emit_beacon(struct nat *n, uint32_t bi, ta_time_us t)
{
    struct tg_ctx *c = &n->ctx;
    struct tg_rng *r = c->rng;
    const struct bot *b = &n->bots[bi];
    const struct c2 *s = &n->c2[b->server];
    const struct bot_pair *bp = &bot_pairs[s->pair];
    bool abroad = bp->src != bp->dst;
    uint32_t rtt = rtt_for(r, abroad);
    ta_err e = TA_OK;
    char ipbuf[16];
    if (s->kind >= C2_DOM_SNI) {
        e = tg_emit_dns(c, t, b->ip, n->resolver[bp->dst], s->domain, s->ip,
                        (uint32_t)tg_rng_range(r, 2000, 30000));
        t += 50000;
    }
    if (e != TA_OK)
        return e;
    struct tg_tcp_sess *ss =
        tg_tcp_start(c, t, b->ip, s->ip, s->port, rtt, near_ttl(r, true), far_ttl(r));
    e = tg_tcp_sess_open(ss);
    size_t up = (size_t)tg_rng_range(r, 80, 600), down = (size_t)tg_rng_range(r, 40, 2000);
    switch (s->kind) {
    case C2_DOM_SNI:
        if (e == TA_OK)
            e = tls_exchange(c, ss, s->domain, up, down);
        break;
    case C2_DOM_HTTP:
    case C2_IP: {
        const char *host = s->kind == C2_IP ? tg_ip4_str(s->ip, ipbuf) : s->domain;
        uint8_t blob[600];
        tg_rng_bytes(r, blob, up);
        tg_buf_reset(&c->b);
        tg_buf_base64(&c->b, blob, up);
        tg_buf_reset(&c->a);
        tg_buf_printf(&c->a,
                      "POST /%s/gate.php HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/4.0 "
                      "(compatible; MSIE 7.0; Windows NT 6.1)\r\nContent-Type: "
                      "application/octet-stream\r\nContent-Length: %zu\r\nConnection: "
                      "close\r\n\r\n",
                      families[s->fam], host, c->b.len);
        tg_buf_put(&c->a, c->b.p, c->b.len);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, true, c->a.p, c->a.len);
        tg_buf_reset(&c->b);
        http_response(&c->b, r, 200, "text/html", down);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, false, c->b.p, c->b.len);
        break;
    }
    default: {
        /* A binary protocol: length-prefixed encrypted-looking blobs. */
        uint8_t blob[2048];
        tg_rng_bytes(r, blob, up);
        blob[0] = (uint8_t)(up >> 8);
        blob[1] = (uint8_t)up;
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, true, blob, up);
        tg_rng_bytes(r, blob, down);
        if (e == TA_OK)
            e = tg_tcp_sess_send(ss, false, blob, down);
        break;
    }
    }
    if (e == TA_OK)
        e = tg_tcp_sess_close(ss, true);
    tpush(&n->t_c2, day_of(n, t), s->pair, s->ip, b->ip);
    n->c2_conns[s->pair]++;
    n->method_conns[s->kind]++;
    return e;
}

static void page_url(const struct nat *n, uint32_t pi, char *out, size_t len)
{
    const struct ppage *pg = &n->ppages[pi];
    const struct pdomain *d = &n->pdoms[pg->domain];
    snprintf(out, len, "%s://%s%s", d->https ? "https" : "http", d->name, pg->path);
}

static ta_err emit_phish(struct nat *n, const struct pvisit *v, ta_time_us t)
{
    struct tg_ctx *c = &n->ctx;
    struct tg_rng *r = c->rng;
    const struct ppage *pg = &n->ppages[v->page];
    const struct pdomain *d = &n->pdoms[pg->domain];
    const struct phost *h = &n->phosts[d->host];
    const struct phish_pair *pp = &phish_pairs[v->pair];
    uint32_t client = n->victims[v->visitor];
    const char *ua = browser_ua[tg_rng_below(r, 4)];
    ta_err e = tg_emit_dns(c, t, client, n->resolver[pp->dst], d->name, h->ip,
                           (uint32_t)tg_rng_range(r, 2000, 30000));
    if (e != TA_OK)
        return e;
    t += 40000;
    struct tg_tcp_sess *s = tg_tcp_start(c, t, client, h->ip, d->https ? 443 : 80, rtt_for(r, true),
                                         near_ttl(r, true), far_ttl(r));
    e = tg_tcp_sess_open(s);
    uint32_t page_id;
    if (d->https) {
        if (e == TA_OK)
            e = tls_exchange(c, s, d->name, (size_t)tg_rng_range(r, 300, 800),
                             (size_t)tg_rng_range(r, 4000, 30000));
        /* SNI only: the page is the URL when the host has exactly one. */
        page_id = d->npages == 1 ? d->first_page : 0x80000000u | pg->domain;
    } else {
        if (e == TA_OK)
            e = http_get(c, s, d->name, pg->path, ua, (size_t)tg_rng_range(r, 3000, 12000),
                         "text/html; charset=utf-8");
        /* The page's assets sit next to it. */
        char dir[48];
        snprintf(dir, sizeof(dir), "%s", pg->path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        static const char *const assets[] = {"css/style.css", "images/logo.jpg", "js/jquery.min.js",
                                             "images/bg.jpg"};
        uint64_t na = tg_rng_range(r, 2, 4);
        for (uint64_t i = 0; i < na && e == TA_OK; i++) {
            char ap[96];
            snprintf(ap, sizeof(ap), "%s/%s", dir, assets[i]);
            e = http_get(c, s, d->name, ap, ua, (size_t)tg_rng_range(r, 800, 20000),
                         i == 0   ? "text/css"
                         : i == 2 ? "application/javascript"
                                  : "image/jpeg");
        }
        if (e == TA_OK && tg_rng_below(r, 10) < 3) {
            /* The victim submits credentials to the same page. */
            tg_buf_reset(&c->b);
            tg_buf_printf(&c->b, "username=%llu&password=%s%llu&submit=%%E7%%99%%BB%%E5%%BD%%95",
                          (unsigned long long)tg_rng_range(r, 13000000000ull, 18999999999ull), "pw",
                          (unsigned long long)tg_rng_below(r, 1000000));
            tg_buf_reset(&c->a);
            tg_buf_printf(&c->a,
                          "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Type: "
                          "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\nReferer: "
                          "http://%s%s\r\nConnection: keep-alive\r\n\r\n",
                          pg->path, d->name, ua, c->b.len, d->name, pg->path);
            tg_buf_put(&c->a, c->b.p, c->b.len);
            e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
            tg_buf_reset(&c->b);
            tg_buf_printf(&c->b,
                          "HTTP/1.1 302 Found\r\nServer: nginx\r\nLocation: "
                          "http://%s/\r\nContent-Length: 0\r\n\r\n",
                          "www.icbc.com.cn");
            if (e == TA_OK)
                e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
        }
        page_id = v->page;
    }
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, tg_rng_below(r, 2) == 0);
    tpush(&n->t_ph, day_of(n, t), v->pair, h->ip, page_id);
    return e;
}

/* ---- webshell request bodies ----------------------------------------- */

static void chopper_body(struct tg_ctx *c, const struct website *w, struct tg_buf *out)
{
    static const char *const cmds[] = {
        "@ini_set(\"display_errors\",\"0\");@set_time_limit(0);@set_magic_quotes_runtime(0);"
        "echo(\"->|\");;$D=dirname($_SERVER[\"SCRIPT_FILENAME\"]);if($D==\"\")$D=dirname($_"
        "SERVER[\"PATH_TRANSLATED\"]);$R=\"{$D}\\t\";echo($R);;echo(\"|<-\");die();",
        "@ini_set(\"display_errors\",\"0\");@set_time_limit(0);@set_magic_quotes_runtime(0);"
        "echo(\"->|\");;$D=base64_decode($_POST[\"z1\"]);$F=@opendir($D);if($F==NULL){echo("
        "\"ERROR:// Path Not Found Or No Permission!\");}else{while($N=@readdir($F)){echo($N);}"
        "@closedir($F);};echo(\"|<-\");die();",
    };
    size_t k = (size_t)tg_rng_below(c->rng, 2);
    tg_buf_str(out, w->pass);
    tg_buf_str(out, "=%40eval%01%28base64_decode%28%24_POST%5Bz0%5D%29%29%3B&z0=");
    struct tg_buf b64 = {0};
    tg_buf_base64(&b64, (const uint8_t *)cmds[k], strlen(cmds[k]));
    tg_buf_urlenc(out, (const char *)b64.p, b64.len);
    if (k == 1) {
        tg_buf_reset(&b64);
        const char *dir = "/var/www/html/";
        tg_buf_base64(&b64, (const uint8_t *)dir, strlen(dir));
        tg_buf_str(out, "&z1=");
        tg_buf_urlenc(out, (const char *)b64.p, b64.len);
    }
    tg_buf_release(&b64);
}

static void antsword_body(struct tg_ctx *c, const struct website *w, struct tg_buf *out)
{
    /* Default PHP encoder: the code in the password parameter, arguments in
     * randomly named parameters, base64 with a two-character junk prefix. */
    char param[16] = "0x";
    for (int i = 2; i < 8; i++)
        param[i] = "0123456789abcdef"[tg_rng_below(c->rng, 16)];
    param[8] = '\0';
    char pre[8], suf[8];
    tg_rng_alnum(c->rng, pre, 6);
    pre[6] = '\0';
    tg_rng_alnum(c->rng, suf, 6);
    suf[6] = '\0';
    struct tg_buf code = {0};
    tg_buf_printf(&code,
                  "@ini_set(\"display_errors\", \"0\");@set_time_limit(0);$opdir=@ini_get("
                  "\"open_basedir\");function asenc($out){return $out;};function asoutput(){$"
                  "output=ob_get_contents();ob_end_clean();echo \"%s\";echo @asenc($output);echo "
                  "\"%s\";}ob_start();try{$D=base64_decode(substr($_POST[\"%s\"],2));$F=@opendir("
                  "$D);if($F==NULL){echo(\"ERROR:// Path Not Found Or No Permission!\");}else{$M="
                  "NULL;$L=NULL;while($N=@readdir($F)){$P=$D.$N;$T=@date(\"Y-m-d H:i:s\",@"
                  "filemtime($P));echo $N.\"\\t\".$T.\"\\n\";}@closedir($F);};}catch(Exception $e)"
                  "{echo \"ERROR://\".$e->getMessage();};asoutput();die();",
                  pre, suf, param);
    tg_buf_str(out, w->pass);
    tg_buf_u8(out, '=');
    tg_buf_urlenc(out, (const char *)code.p, code.len);
    tg_buf_release(&code);
    tg_buf_printf(out, "&%s=", param);
    char junk[3];
    tg_rng_alnum(c->rng, junk, 2);
    junk[2] = '\0';
    struct tg_buf arg = {0};
    tg_buf_str(&arg, junk);
    tg_buf_base64(&arg, (const uint8_t *)"/var/www/html/", 14);
    tg_buf_urlenc(out, (const char *)arg.p, arg.len);
    tg_buf_release(&arg);
}

static void godzilla_body(struct tg_ctx *c, const struct website *w, struct tg_buf *out, bool first)
{
    /* PHP_XOR_BASE64: pass=urlencode(base64(xor(key, payload))); the first
     * request carries the whole ~50 KB payload, later ones short commands. */
    static const char key[] = "3c6e0b8a9c15224a"; /* md5("key")[0:16], the default */
    size_t n =
        first ? (size_t)tg_rng_range(c->rng, 30000, 45000) : (size_t)tg_rng_range(c->rng, 40, 400);
    uint8_t *raw = malloc(n);
    if (raw == NULL)
        abort();
    tg_rng_bytes(c->rng, raw, n);
    for (size_t i = 0; i < n; i++)
        raw[i] ^= (uint8_t)key[(i + 1) & 15];
    struct tg_buf b64 = {0};
    tg_buf_base64(&b64, raw, n);
    tg_buf_str(out, w->pass);
    tg_buf_u8(out, '=');
    tg_buf_urlenc(out, (const char *)b64.p, b64.len);
    tg_buf_release(&b64);
    free(raw);
}

static ta_err emit_backdoor(struct nat *n, const struct bdsess *bs, ta_time_us t)
{
    struct tg_ctx *c = &n->ctx;
    struct tg_rng *r = c->rng;
    const struct attacker *a = &n->att[bs->attacker];
    const struct website *w = &n->sites[bs->site];
    struct tg_tcp_sess *s =
        tg_tcp_start(c, t, a->ip, w->ip, 80, rtt_for(r, true), far_ttl(r), (uint8_t)(64 - 1));
    ta_err e = tg_tcp_sess_open(s);
    char cookie[40] = "";
    struct tg_buf body = {0};
    for (unsigned q = 0; q < bs->nreq && e == TA_OK; q++) {
        tg_buf_reset(&body);
        const char *ua, *ctype = "application/x-www-form-urlencoded", *accept = "*/*";
        switch (a->tool) {
        case SH_CHOPPER:
            chopper_body(c, w, &body);
            ua = "Mozilla/5.0 (compatible; Baiduspider/2.0; "
                 "+http://www.baidu.com/search/spider.html)";
            break;
        case SH_ANTSWORD:
            antsword_body(c, w, &body);
            ua = "antSword/v2.0";
            break;
        case SH_BEHINDER: {
            /* Behinder v3: the body is base64 of AES-128 ciphertext (shown
             * as random blocks), a fixed Accept header, octet/form type. */
            size_t blocks = (size_t)tg_rng_range(r, 20, 300);
            uint8_t *ct = malloc(blocks * 16);
            if (ct == NULL)
                abort();
            tg_rng_bytes(r, ct, blocks * 16);
            tg_buf_base64(&body, ct, blocks * 16);
            free(ct);
            ua = browser_ua[tg_rng_below(r, 3)];
            accept = "application/json, text/javascript, */*; q=0.01";
            break;
        }
        default:
            godzilla_body(c, w, &body, q == 0);
            ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) Gecko/20100101 "
                 "Firefox/84.0";
            accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;"
                     "q=0.8";
            break;
        }
        tg_buf_reset(&c->a);
        tg_buf_printf(&c->a,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: %s\r\n"
                      "Accept-Language: zh-CN,zh;q=0.8,en-US;q=0.5,en;q=0.3\r\n%s%s%s"
                      "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
                      w->path, w->host, ua, accept, cookie[0] ? "Cookie: PHPSESSID=" : "", cookie,
                      cookie[0] ? ";\r\n" : "", ctype, body.len);
        tg_buf_put(&c->a, body.p, body.len);
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
        /* Response framing per tool. */
        tg_buf_reset(&body);
        switch (a->tool) {
        case SH_CHOPPER:
            tg_buf_str(&body, "->|/var/www/html\t|<-");
            break;
        case SH_ANTSWORD: {
            char x[12];
            tg_rng_alnum(r, x, 10);
            tg_buf_put(&body, x, 6);
            tg_buf_str(&body, "index.php\t2014-03-02 11:20:01\n./\t2014-03-02 11:20:01\n");
            tg_buf_put(&body, x + 4, 6);
            break;
        }
        case SH_BEHINDER: {
            uint8_t ct[64];
            tg_rng_bytes(r, ct, sizeof(ct));
            tg_buf_base64(&body, ct, sizeof(ct));
            break;
        }
        default:
            if (q > 0) {
                /* md5(pass + key) split around the payload; a stand-in
                 * digest derived from the password keeps it per-shell. */
                struct tg_rng hr;
                uint64_t hseed = 0;
                for (const char *pc = w->pass; *pc; pc++)
                    hseed = hseed * 131 + (uint8_t)*pc;
                tg_rng_seed(&hr, hseed);
                char hex[33];
                for (int k = 0; k < 32; k++)
                    hex[k] = "0123456789abcdef"[tg_rng_below(&hr, 16)];
                uint8_t ct[48];
                tg_buf_put(&body, hex, 16);
                tg_rng_bytes(r, ct, sizeof(ct));
                tg_buf_base64(&body, ct, sizeof(ct));
                tg_buf_put(&body, hex + 16, 16);
            }
            break;
        }
        tg_buf_reset(&c->b);
        tg_buf_printf(&c->b,
                      "HTTP/1.1 200 OK\r\nServer: Apache/2.2.15 (CentOS)\r\nX-Powered-By: "
                      "PHP/5.3.3\r\n%s%s%sContent-Length: %zu\r\nContent-Type: text/html; "
                      "charset=UTF-8\r\n\r\n",
                      (a->tool == SH_GODZILLA && q == 0) ? "Set-Cookie: PHPSESSID=" : "",
                      (a->tool == SH_GODZILLA && q == 0) ? "94bd792176605ebd46d4f32a8cdff326" : "",
                      (a->tool == SH_GODZILLA && q == 0) ? "; path=/\r\n" : "", body.len);
        tg_buf_put(&c->b, body.p, body.len);
        if (e == TA_OK)
            e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
        if (a->tool == SH_GODZILLA && q == 0)
            snprintf(cookie, sizeof(cookie), "94bd792176605ebd46d4f32a8cdff326");
        tg_tcp_sess_wait(s, tg_rng_range(r, 200000, 3000000));
        tpush(&n->t_bd, day_of(n, t), a->pair, a->ip, bs->site);
    }
    tg_buf_release(&body);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

/* Benign: browse a popular site, an ordinary visit to a (compromised)
 * website, a timer-driven update poll, or NTP. */
enum bgkind { BG_BROWSE, BG_SITEVISIT, BG_UPDATE, BG_NTP };

static ta_err emit_background(struct nat *n, uint32_t kind, uint32_t arg, ta_time_us t)
{
    struct tg_ctx *c = &n->ctx;
    struct tg_rng *r = c->rng;
    ta_err e = TA_OK;
    uint32_t client = n->clients[tg_rng_below(r, n->nclients)];
    switch (kind) {
    case BG_BROWSE: {
        const struct site *st = &n->pop[arg % n->npop];
        e = tg_emit_dns(c, t, client, n->resolver[CN], st->name, st->ip,
                        (uint32_t)tg_rng_range(r, 1000, 20000));
        t += 30000;
        struct tg_tcp_sess *s = tg_tcp_start(c, t, client, st->ip, st->https ? 443 : 80,
                                             rtt_for(r, false), near_ttl(r, true), far_ttl(r));
        if (e == TA_OK)
            e = tg_tcp_sess_open(s);
        if (e == TA_OK && st->https) {
            e = tls_exchange(c, s, st->name, (size_t)tg_rng_range(r, 300, 1200),
                             (size_t)tg_rng_range(r, 2000, 60000));
        } else if (e == TA_OK) {
            uint64_t k = tg_rng_range(r, 1, 4);
            for (uint64_t i = 0; i < k && e == TA_OK; i++) {
                char path[48];
                snprintf(path, sizeof(path), i == 0 ? "/" : "/static/%llu.jpg",
                         (unsigned long long)tg_rng_below(r, 100000));
                e = http_get(c, s, st->name, path, browser_ua[tg_rng_below(r, 4)],
                             (size_t)tg_rng_range(r, 500, 40000),
                             i == 0 ? "text/html" : "image/jpeg");
            }
        }
        if (e == TA_OK)
            e = tg_tcp_sess_close(s, tg_rng_below(r, 3) != 0);
        break;
    }
    case BG_SITEVISIT: {
        const struct website *w = &n->sites[arg % n->nsites];
        struct tg_tcp_sess *s =
            tg_tcp_start(c, t, client, w->ip, 80, rtt_for(r, false), near_ttl(r, true), 63);
        e = tg_tcp_sess_open(s);
        static const char *const paths[] = {"/", "/index.php", "/news/list.html", "/about.html"};
        if (e == TA_OK)
            e = http_get(c, s, w->host, paths[tg_rng_below(r, 4)], browser_ua[tg_rng_below(r, 4)],
                         (size_t)tg_rng_range(r, 2000, 20000), "text/html");
        if (e == TA_OK)
            e = tg_tcp_sess_close(s, true);
        break;
    }
    case BG_UPDATE: {
        client = n->updaters[arg % n->nupdaters];
        struct tg_tcp_sess *s = tg_tcp_start(c, t, client, n->update_ip, 443, rtt_for(r, true),
                                             near_ttl(r, true), far_ttl(r));
        e = tg_tcp_sess_open(s);
        if (e == TA_OK)
            e = tls_exchange(c, s, "update.softupdate-cdn.com", 420, 900);
        if (e == TA_OK)
            e = tg_tcp_sess_close(s, true);
        break;
    }
    default: {
        uint8_t fr[256], ntp[48];
        struct tg_frame f;
        memset(&f, 0, sizeof(f));
        tg_ip4(&f.src, client);
        tg_ip4(&f.dst, n->ntp_ip[arg & 1]);
        f.ttl = 63;
        memset(ntp, 0, sizeof(ntp));
        ntp[0] = 0x23; /* v4, client */
        tg_rng_bytes(r, ntp + 40, 8);
        size_t len = tg_build_udp(fr, sizeof(fr), &f, 123, 123, ntp, 48);
        e = tg_sink_emit(n->ctx.sink, t, fr, len);
        f.src = f.dst;
        tg_ip4(&f.dst, client);
        f.ttl = 52;
        ntp[0] = 0x24;
        ntp[1] = 2;
        tg_rng_bytes(r, ntp + 16, 32);
        len = tg_build_udp(fr, sizeof(fr), &f, 123, 123, ntp, 48);
        if (e == TA_OK)
            e = tg_sink_emit(n->ctx.sink, t + 30000, fr, len);
        break;
    }
    }
    return e;
}

/* ---- the day loop ---------------------------------------------------- */

enum evkind { EV_BEACON, EV_PHISH, EV_BACKDOOR, EV_BG };

struct ev {
    ta_time_us t;
    uint32_t kind, a, b;
    uint32_t seq;
};

struct evvec {
    struct ev *v;
    size_t n, cap;
};

static void evpush(struct evvec *e, ta_time_us t, uint32_t kind, uint32_t a, uint32_t b)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4096;
        e->v = realloc(e->v, e->cap * sizeof(*e->v));
        if (e->v == NULL)
            abort();
    }
    e->v[e->n] = (struct ev){t, kind, a, b, (uint32_t)e->n};
    e->n++;
}

static int ev_cmp(const void *x, const void *y)
{
    const struct ev *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* The beacon schedule of bot i on day d, derived from (seed, i, d) so that
 * days can be generated independently. */
static void bot_day(const struct nat *n, uint32_t i, unsigned d, struct evvec *ev, ta_time_us day0)
{
    struct tg_rng r;
    tg_rng_seed(&r, n->o->seed * 0x9e3779b97f4a7c15ull + i);
    unsigned d1 = (unsigned)tg_rng_below(&r, n->ndays);
    int d2 = -1;
    if (n->ndays > 1 && tg_rng_below(&r, 4) == 0)
        d2 = (int)((d1 + 1 + tg_rng_below(&r, n->ndays - 1)) % n->ndays);
    if (d != d1 && (int)d != d2)
        return;
    tg_rng_seed(&r, (n->o->seed ^ 0x5bd1e995u) * 0x9e3779b97f4a7c15ull + i * 131u + d);
    uint64_t k = tg_rng_range(&r, 2, 4);
    uint64_t interval = tg_rng_range(&r, 300, 1800) * SEC;
    uint64_t span = k * interval + interval / 5;
    uint64_t t0 = tg_rng_range(&r, 120 * SEC, 86400 * SEC - 900 * SEC - span);
    for (uint64_t j = 0; j < k; j++) {
        uint64_t jit = tg_rng_below(&r, interval / 5);
        evpush(ev, day0 + t0 + j * interval + jit, EV_BEACON, i, 0);
    }
}

static void date_str(ta_time_us t, char *buf, size_t len)
{
    char ts[TA_TS_STRLEN];
    ta_time_format(t, ts, sizeof(ts));
    snprintf(buf, len, "%.10s", ts);
}

static ta_err gen_days(struct nat *n)
{
    ta_err e = TA_OK;
    struct evvec ev = {0};
    char path[4096], date[16];
    snprintf(path, sizeof(path), "%s/pcap", n->o->out);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return TA_ERR_IO;
    /* Background sessions per day (plus the update pollers): at scale 1.0
     * about 60% of the bytes, the rest mostly C&C beacons. */
    uint32_t bg_per_day = scaled(8000, n->o->scale);
    if (bg_per_day < 200)
        bg_per_day = 200;
    for (unsigned d = 0; d < n->ndays && e == TA_OK; d++) {
        ta_time_us day0 = n->from + d * DAY_US;
        ev.n = 0;
        for (uint32_t i = 0; i < n->nbots; i++)
            bot_day(n, i, d, &ev, day0);
        for (uint32_t i = 0; i < n->npvisits; i++)
            if (n->pvisits[i].day == d)
                evpush(&ev, day0 + n->pvisits[i].t * SEC + tg_rng_below(&n->rng, SEC), EV_PHISH, i,
                       0);
        for (uint32_t i = 0; i < n->nbds; i++)
            if (n->bds[i].day == d)
                evpush(&ev, day0 + n->bds[i].t * SEC + tg_rng_below(&n->rng, SEC), EV_BACKDOOR, i,
                       0);
        for (uint32_t i = 0; i < bg_per_day; i++) {
            uint64_t k = tg_rng_below(&n->rng, 100);
            uint32_t kind = k < 70 ? BG_BROWSE : k < 90 ? BG_SITEVISIT : BG_NTP;
            evpush(&ev, day0 + tg_rng_range(&n->rng, 60 * SEC, 86400 * SEC - 900 * SEC), EV_BG,
                   kind, (uint32_t)tg_rng_u64(&n->rng));
        }
        /* Update pollers: every hour on the hour plus a few seconds. */
        for (uint32_t u = 0; u < n->nupdaters; u++) {
            uint64_t phase = tg_rng_below(&n->rng, 3600 * SEC);
            for (uint64_t h = 0; h < 23; h++)
                evpush(&ev, day0 + phase + h * 3600 * SEC + tg_rng_below(&n->rng, 2 * SEC), EV_BG,
                       BG_UPDATE, u);
        }
        qsort(ev.v, ev.n, sizeof(*ev.v), ev_cmp);

        date_str(day0, date, sizeof(date));
        snprintf(path, sizeof(path), "%s/pcap/%s.pcap", n->o->out, date);
        struct tg_pcap *w;
        struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .snaplen = 65535};
        e = tg_pcap_open(&w, path, &po);
        if (e != TA_OK)
            break;
        tg_sink_set_writer(n->ctx.sink, w);
        ta_time_us flushed = day0;
        for (size_t i = 0; i < ev.n && e == TA_OK; i++) {
            const struct ev *x = &ev.v[i];
            if (x->t > flushed + 10 * SEC) {
                e = tg_sink_flush(n->ctx.sink, x->t);
                flushed = x->t;
                if (e != TA_OK)
                    break;
            }
            switch (x->kind) {
            case EV_BEACON:
                e = emit_beacon(n, x->a, x->t);
                break;
            case EV_PHISH:
                e = emit_phish(n, &n->pvisits[x->a], x->t);
                break;
            case EV_BACKDOOR:
                e = emit_backdoor(n, &n->bds[x->a], x->t);
                break;
            default:
                e = emit_background(n, x->a, x->b, x->t);
                break;
            }
        }
        if (e == TA_OK)
            e = tg_sink_flush(n->ctx.sink, UINT64_MAX);
        n->packets += tg_pcap_packets(w);
        n->bytes += tg_pcap_bytes(w);
        ta_err ce = tg_pcap_close(w);
        if (e == TA_OK)
            e = ce;
        if (!n->o->quiet)
            fprintf(stderr, "threatatlas-gen: %s: %zu sessions\n", path, ev.n);
    }
    free(ev.v);
    return e;
}

/* ---- feeds ------------------------------------------------------------- */

static FILE *open_out(const struct nat *n, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", n->o->out, name);
    return fopen(path, "w");
}

static ta_err write_feeds(struct nat *n)
{
    /*
     * Every dated indicator is valid for the whole period: first seen three
     * days before the first day, last seen on the last day (Feodo's
     * last_online is a date; the others end at 23:59:59). The plain lists
     * (Feodo txt, OpenPhish, webshell paths) carry no dates, as the real ones.
     */
    char d0[16], d1[16];
    date_str(n->from - 3 * DAY_US, d0, sizeof(d0));
    date_str(n->from + (n->ndays - 1) * DAY_US, d1, sizeof(d1));

    /* Feodo Tracker: C&C IPs with ports (CSV) and plain IPs (txt). */
    FILE *csv = open_out(n, "feodo-ipblocklist.csv");
    FILE *txt = open_out(n, "feodo-ipblocklist.txt");
    FILE *tf = open_out(n, "threatfox-domains.csv");
    if (csv == NULL || txt == NULL || tf == NULL) {
        if (csv)
            fclose(csv);
        if (txt)
            fclose(txt);
        if (tf)
            fclose(tf);
        return TA_ERR_IO;
    }
    fprintf(csv,
            "################################################################\n"
            "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
            "# Last updated: %s 23:59:59 UTC                         #\n"
            "#                                                              #\n"
            "# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #\n"
            "# (threatatlas-gen scenario feed, synthetic)                   #\n"
            "################################################################\n"
            "#\n"
            "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\","
            "\"malware\"\n",
            d1);
    fprintf(txt,
            "################################################################\n"
            "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist                #\n"
            "# Last updated: %s 23:59:59 UTC                         #\n"
            "# (threatatlas-gen scenario feed, synthetic)                   #\n"
            "################################################################\n",
            d1);
    fprintf(tf,
            "################################################################\n"
            "# ThreatFox IOCs: CSV export                                   #\n"
            "# Last updated: %s 23:59:59 UTC                         #\n"
            "#                                                              #\n"
            "# Terms Of Use: https://threatfox.abuse.ch/faq/#tos            #\n"
            "# (threatatlas-gen scenario feed, synthetic)                   #\n"
            "################################################################\n"
            "#\n"
            "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\","
            "\"fk_malware\",\"malware_alias\",\"malware_printable\",\"last_seen_utc\","
            "\"confidence_level\",\"reference\",\"tags\",\"anonymous\",\"reporter\"\n",
            d1);
    for (uint32_t i = 0; i < n->nc2; i++) {
        const struct c2 *c = &n->c2[i];
        char ipb[16];
        tg_ip4_str(c->ip, ipb);
        if (c->kind == C2_IPPORT)
            fprintf(csv, "\"%s 00:%02u:%02u\",\"%s\",%u,\"online\",\"%s\",\"%s\"\n", d0, i % 60,
                    (i * 7) % 60, ipb, c->port, d1, families[c->fam]);
        else if (c->kind == C2_IP)
            fprintf(txt, "%s\n", ipb);
        else
            fprintf(tf,
                    "\"%s 00:%02u:%02u\", \"%u\", \"%s\", \"domain\", \"botnet_cc\", "
                    "\"%s\", \"None\", \"%s\", \"%s 23:59:%02u\", \"100\", \"None\", "
                    "\"%s\", \"0\", \"abuse_ch\"\n",
                    d0, i % 60, (i * 7) % 60, 100000 + i, c->domain, families_fk[c->fam],
                    families[c->fam], d1, i % 60, families[c->fam]);
    }
    unsigned ncsv = 0, ntf = 0;
    for (uint32_t i = 0; i < n->nc2; i++) {
        ncsv += n->c2[i].kind == C2_IPPORT;
        ntf += n->c2[i].kind >= C2_DOM_SNI;
    }
    fprintf(csv, "# Number of entries: %u\n", ncsv);
    fprintf(tf, "# Number of entries: %u\n", ntf);
    int bad = ferror(csv) | ferror(txt) | ferror(tf);
    bad |= fclose(csv) | fclose(txt) | fclose(tf);
    if (bad)
        return TA_ERR_IO;

    /* Phishing: every URL in OpenPhish except every third, which is only in
     * PhishTank; every other URL is in both. */
    FILE *op = open_out(n, "openphish-feed.txt");
    FILE *pt = open_out(n, "phishtank-online-valid.json");
    if (op == NULL || pt == NULL) {
        if (op)
            fclose(op);
        if (pt)
            fclose(pt);
        return TA_ERR_IO;
    }
    struct ta_json j;
    ta_json_init(&j);
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < n->nppages; i++) {
        char url[160];
        page_url(n, i, url, sizeof(url));
        bool in_op = i % 3 != 2, in_pt = i % 3 != 1;
        if (in_op)
            fprintf(op, "%s\n", url);
        if (!in_pt)
            continue;
        const struct phost *h = &n->phosts[n->pdoms[n->ppages[i].domain].host];
        char ipb[16], when[40], verified[40];
        snprintf(when, sizeof(when), "%sT08:%02u:%02u+00:00", d0, i % 60, (i * 13) % 60);
        /* Verified online again at the end of the period: its last sighting. */
        snprintf(verified, sizeof(verified), "%sT23:%02u:%02u+00:00", d1, i % 60, (i * 13) % 60);
        ta_json_obj_open(&j);
        char id[16];
        snprintf(id, sizeof(id), "%u", 4000000 + i);
        ta_json_kv_str(&j, "phish_id", id);
        ta_json_kv_str(&j, "url", url);
        char detail[96];
        snprintf(detail, sizeof(detail), "http://www.phishtank.com/phish_detail.php?phish_id=%s",
                 id);
        ta_json_kv_str(&j, "phish_detail_url", detail);
        ta_json_kv_str(&j, "submission_time", when);
        ta_json_kv_str(&j, "verified", "yes");
        ta_json_kv_str(&j, "verification_time", verified);
        ta_json_kv_str(&j, "online", "yes");
        ta_json_key(&j, "details");
        ta_json_arr_open(&j);
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "ip_address", tg_ip4_str(h->ip, ipb));
        ta_json_kv_str(&j, "country", countries[phish_pairs[h->pair].src]);
        ta_json_obj_close(&j);
        ta_json_arr_close(&j);
        ta_json_kv_str(&j, "target", "Other");
        ta_json_obj_close(&j);
    }
    ta_json_arr_close(&j);
    bad = j.oom || fwrite(j.buf, 1, j.len, pt) != j.len || fputc('\n', pt) == EOF;
    ta_json_release(&j);
    bad |= fclose(op) | fclose(pt);
    if (bad)
        return TA_ERR_IO;

    FILE *ws = open_out(n, "webshell-paths.txt");
    if (ws == NULL)
        return TA_ERR_IO;
    fprintf(ws, "# webshell paths observed on compromised websites (one per line)\n");
    for (uint32_t i = 0; i < n->nsites; i++)
        fprintf(ws, "%s\n", n->sites[i].path);
    return fclose(ws) == 0 ? TA_OK : TA_ERR_IO;
}

/* ---- truth --------------------------------------------------------------- */

static int cmp_pair_a(const void *x, const void *y)
{
    const struct trec *a = x, *b = y;
    if (a->pair != b->pair)
        return a->pair < b->pair ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return 0;
}

static int cmp_pair_b(const void *x, const void *y)
{
    const struct trec *a = x, *b = y;
    if (a->pair != b->pair)
        return a->pair < b->pair ? -1 : 1;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return 0;
}

/* counts[pair] = {records, distinct a, distinct b} over records with day in
 * [d0, d1]. */
static void count(struct tvec *t, int d0, int d1, uint64_t (*out)[3], size_t npairs)
{
    memset(out, 0, npairs * sizeof(*out));
    struct trec *v = malloc((t->n ? t->n : 1) * sizeof(*v));
    if (v == NULL)
        abort();
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].day >= d0 && t->v[i].day <= d1)
            v[m++] = t->v[i];
    for (size_t i = 0; i < m; i++)
        out[v[i].pair][0]++;
    qsort(v, m, sizeof(*v), cmp_pair_a);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || v[i].pair != v[i - 1].pair || v[i].a != v[i - 1].a)
            out[v[i].pair][1]++;
    qsort(v, m, sizeof(*v), cmp_pair_b);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || v[i].pair != v[i - 1].pair || v[i].b != v[i - 1].b)
            out[v[i].pair][2]++;
    free(v);
}

struct row {
    const char *src, *dst;
    uint64_t v[3];
    uint64_t key;
};

static int row_cmp(const void *x, const void *y)
{
    const struct row *a = x, *b = y;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    int c = strcmp(a->src, b->src);
    return c ? c : strcmp(a->dst, b->dst);
}

/* Merge pairs with the same (src, dst) country (none today, but the tables
 * may grow) and write the three arrays for days [d0, d1]. */
static void truth_body(struct nat *n, struct ta_json *j, int d0, int d1)
{
    uint64_t cb[NBOTP][3], cp[NPHP][3], cd[NBDP][3];
    count(&n->t_c2, d0, d1, cb, NBOTP);
    count(&n->t_ph, d0, d1, cp, NPHP);
    count(&n->t_bd, d0, d1, cd, NBDP);
    struct row rows[16];
    size_t nr = 0;

    ta_json_key(j, "botnet");
    ta_json_arr_open(j);
    nr = 0;
    for (size_t p = 0; p < NBOTP; p++)
        if (cb[p][0] > 0)
            rows[nr++] = (struct row){countries[bot_pairs[p].src],
                                      countries[bot_pairs[p].dst],
                                      {cb[p][1], cb[p][2], cb[p][0]},
                                      cb[p][2]};
    qsort(rows, nr, sizeof(rows[0]), row_cmp);
    for (size_t i = 0; i < nr; i++) {
        ta_json_obj_open(j);
        ta_json_kv_str(j, "src_cc", rows[i].src);
        ta_json_kv_str(j, "dst_cc", rows[i].dst);
        ta_json_kv_uint(j, "c2_servers", rows[i].v[0]);
        ta_json_kv_uint(j, "controlled_hosts", rows[i].v[1]);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);

    ta_json_key(j, "phishing");
    ta_json_arr_open(j);
    nr = 0;
    for (size_t p = 0; p < NPHP; p++)
        if (cp[p][0] > 0)
            rows[nr++] = (struct row){countries[phish_pairs[p].src],
                                      countries[phish_pairs[p].dst],
                                      {cp[p][1], cp[p][2], cp[p][0]},
                                      cp[p][0]};
    qsort(rows, nr, sizeof(rows[0]), row_cmp);
    for (size_t i = 0; i < nr; i++) {
        ta_json_obj_open(j);
        ta_json_kv_str(j, "src_cc", rows[i].src);
        ta_json_kv_str(j, "dst_cc", rows[i].dst);
        ta_json_kv_uint(j, "phishing_hosts", rows[i].v[0]);
        ta_json_kv_uint(j, "phishing_pages", rows[i].v[1]);
        ta_json_kv_uint(j, "phishing_attacks", rows[i].v[2]);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);

    ta_json_key(j, "backdoor");
    ta_json_arr_open(j);
    nr = 0;
    for (size_t p = 0; p < NBDP; p++)
        if (cd[p][0] > 0)
            rows[nr++] = (struct row){countries[bd_pairs[p].src],
                                      countries[bd_pairs[p].dst],
                                      {cd[p][1], cd[p][2], cd[p][0]},
                                      cd[p][0]};
    qsort(rows, nr, sizeof(rows[0]), row_cmp);
    for (size_t i = 0; i < nr; i++) {
        ta_json_obj_open(j);
        ta_json_kv_str(j, "src_cc", rows[i].src);
        ta_json_kv_str(j, "dst_cc", rows[i].dst);
        ta_json_kv_uint(j, "attacker_ips", rows[i].v[0]);
        ta_json_kv_uint(j, "backdoor_attacks", rows[i].v[2]);
        ta_json_kv_uint(j, "compromised_websites", rows[i].v[1]);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
}

static void period(struct ta_json *j, const char *from, const char *to)
{
    ta_json_key(j, "period");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "from", from);
    ta_json_kv_str(j, "to", to);
    ta_json_obj_close(j);
    ta_json_key(j, "home");
    ta_json_arr_open(j);
    ta_json_str(j, "CN");
    ta_json_arr_close(j);
}

static ta_err write_json(const struct nat *n, const char *name, struct ta_json *j)
{
    FILE *f = open_out(n, name);
    if (f == NULL)
        return TA_ERR_IO;
    bool ok = !j->oom && ta_json_write_line(j, f);
    ok &= fclose(f) == 0;
    return ok ? TA_OK : TA_ERR_IO;
}

static ta_err write_truth(struct nat *n)
{
    struct ta_json j;
    ta_json_init(&j);
    char d0[16], d1[16];
    date_str(n->from, d0, sizeof(d0));
    date_str(n->from + (n->ndays - 1) * DAY_US, d1, sizeof(d1));
    ta_json_obj_open(&j);
    period(&j, d0, d1);
    truth_body(n, &j, 0, (int)n->ndays - 1);
    ta_json_key(&j, "days");
    ta_json_obj_open(&j);
    for (unsigned d = 0; d < n->ndays; d++) {
        char ds[16];
        date_str(n->from + d * DAY_US, ds, sizeof(ds));
        ta_json_key(&j, ds);
        ta_json_obj_open(&j);
        period(&j, ds, ds);
        truth_body(n, &j, (int)d, (int)d);
        ta_json_obj_close(&j);
    }
    ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    ta_err e = write_json(n, "truth.json", &j);
    ta_json_release(&j);
    if (e != TA_OK)
        return e;

    /* Extra facts for the generator's own tests (not part of the report). */
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "scenario", "national");
    ta_json_kv_uint(&j, "seed", n->o->seed);
    ta_json_kv_double(&j, "scale", n->o->scale);
    ta_json_kv_bool(&j, "geo_verified", tg_geo_verified(n->geo));
    ta_json_kv_uint(&j, "packets", n->packets);
    ta_json_kv_uint(&j, "bytes", n->bytes);
    ta_json_kv_uint(&j, "c2_connections", n->t_c2.n);
    ta_json_kv_uint(&j, "phishing_visits", n->t_ph.n);
    ta_json_kv_uint(&j, "backdoor_requests", n->t_bd.n);
    ta_json_key(&j, "c2_connections_by_method");
    ta_json_obj_open(&j);
    for (int k = 0; k < 5; k++)
        ta_json_kv_uint(&j, c2kind_name[k], n->method_conns[k]);
    ta_json_obj_close(&j);
    ta_json_key(&j, "backdoor_tools");
    ta_json_arr_open(&j);
    for (int k = 0; k < 4; k++)
        ta_json_str(&j, tool_name[k]);
    ta_json_arr_close(&j);
    ta_json_key(&j, "roles");
    ta_json_obj_open(&j);
    /* Every address the scenario placed in a country, by role, for the
     * geolocation test: [ip, cc]. */
    char ipb[16];
    ta_json_key(&j, "c2_servers");
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < n->nc2; i++) {
        ta_json_arr_open(&j);
        ta_json_str(&j, tg_ip4_str(n->c2[i].ip, ipb));
        ta_json_str(&j, countries[bot_pairs[n->c2[i].pair].src]);
        ta_json_arr_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_key(&j, "bots");
    ta_json_arr_open(&j);
    for (size_t p = 0; p < NBOTP; p++)
        for (uint32_t i = n->pair_bot_first[p]; i < n->pair_bot_first[p + 1]; i++) {
            ta_json_arr_open(&j);
            ta_json_str(&j, tg_ip4_str(n->bots[i].ip, ipb));
            ta_json_str(&j, countries[bot_pairs[p].dst]);
            ta_json_arr_close(&j);
        }
    ta_json_arr_close(&j);
    ta_json_key(&j, "phishing_servers");
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < n->nphosts; i++) {
        ta_json_arr_open(&j);
        ta_json_str(&j, tg_ip4_str(n->phosts[i].ip, ipb));
        ta_json_str(&j, countries[phish_pairs[n->phosts[i].pair].src]);
        ta_json_arr_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_key(&j, "phishing_visitors");
    ta_json_arr_open(&j);
    for (size_t p = 0; p < NPHP; p++)
        for (uint32_t i = n->victim_first[p]; i < n->victim_first[p + 1]; i++) {
            ta_json_arr_open(&j);
            ta_json_str(&j, tg_ip4_str(n->victims[i], ipb));
            ta_json_str(&j, countries[phish_pairs[p].dst]);
            ta_json_arr_close(&j);
        }
    ta_json_arr_close(&j);
    ta_json_key(&j, "backdoor_attackers");
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < n->natt; i++) {
        ta_json_arr_open(&j);
        ta_json_str(&j, tg_ip4_str(n->att[i].ip, ipb));
        ta_json_str(&j, countries[bd_pairs[n->att[i].pair].src]);
        ta_json_arr_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_key(&j, "websites");
    ta_json_arr_open(&j);
    for (uint32_t i = 0; i < n->nsites; i++) {
        ta_json_arr_open(&j);
        ta_json_str(&j, tg_ip4_str(n->sites[i].ip, ipb));
        ta_json_str(&j, countries[bd_pairs[n->sites[i].pair].dst]);
        ta_json_str(&j, n->sites[i].host);
        ta_json_arr_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_obj_close(&j);
    ta_json_obj_close(&j);
    e = write_json(n, "truth-extra.json", &j);
    ta_json_release(&j);
    return e;
}

/* ---- entry ----------------------------------------------------------------- */

ta_err tg_scenario_national(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct nat *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return TA_ERR_NOMEM;
    n->o = o;
    n->geo = geo;
    tg_rng_seed(&n->rng, o->seed);
    n->from = o->from;
    n->ndays = (unsigned)((o->to - o->from) / DAY_US) + 1;
    n->ctx.rng = &n->rng;
    ta_err e = tg_sink_new(&n->ctx.sink, NULL);
    if (e == TA_OK)
        tg_sink_set_shift(n->ctx.sink, o->shift_us);
    if (e == TA_OK)
        e = build_background(n, o->scale);
    if (e == TA_OK)
        e = build_botnet(n, o->scale);
    if (e == TA_OK)
        e = build_phishing(n, o->scale);
    if (e == TA_OK)
        e = build_backdoor(n, o->scale);
    if (e == TA_OK)
        e = write_feeds(n);
    if (e == TA_OK)
        e = gen_days(n);
    if (e == TA_OK)
        e = write_truth(n);
    if (e == TA_OK && !o->quiet)
        fprintf(stderr,
                "threatatlas-gen: national: %u days, %llu packets, %llu bytes, %zu C&C "
                "connections, %zu phishing visits, %zu backdoor requests\n",
                n->ndays, (unsigned long long)n->packets, (unsigned long long)n->bytes, n->t_c2.n,
                n->t_ph.n, n->t_bd.n);
    tg_sink_free(n->ctx.sink);
    tg_buf_release(&n->ctx.a);
    tg_buf_release(&n->ctx.b);
    free(n->c2);
    free(n->bots);
    free(n->phosts);
    free(n->pdoms);
    free(n->ppages);
    free(n->pvisits);
    free(n->victims);
    free(n->sites);
    free(n->att);
    free(n->bds);
    free(n->clients);
    free(n->updaters);
    free(n->t_c2.v);
    free(n->t_ph.v);
    free(n->t_bd.v);
    free(n);
    return e;
}
