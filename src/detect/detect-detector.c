/*
 * The detector: turns flow, DNS, HTTP and TLS observations plus threat
 * intel into C&C, phishing and backdoor events with their evidence.
 *
 * Stage 6 of the pipeline. Intel and geolocation are reached through the
 * function-pointer interfaces of detect.h. State is bounded:
 *   - resolutions: (host, address) -> c2 domain answered to that host, so a
 *     later connection to the address is C&C by DNS (LRU, max_resolutions);
 *   - names: server address -> last name seen for it (DNS/SNI/Host), used to
 *     apply the allowlist to address matches and beaconing pairs (LRU,
 *     max_names);
 *   - marks: flow id -> kinds already reported on the flow, so a flow gives
 *     at most one event per kind for C&C, phishing and payloads, and the
 *     allow list that covers a name the flow used for a listed server (LRU,
 *     max_flow_marks; dropped when the flow ends);
 *   - the beaconing scorer's pairs.
 * Every cap evicts and counts.
 *
 * Allow entries never drop an indicator event: it is emitted with
 * suppressed_by naming the list (kept, shown, not counted). What is checked
 * depends on what the indicator identified (README "Detection"): the server
 * for address matches, the observed name within the indicator domain for
 * domain matches, the URL itself for URL matches. Backdoor and content
 * detections are never suppressed; beacons to allowed servers are dropped.
 */
#include "threatatlas/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect-cache.h"
#include "detect/detect-scripts.h"
#include "detect/detect-util.h"

#include "common/hash64.h"

#include "common/banned.h"

#define NAME_MAX_LEN 256
#define URL_BUF      2048
#define LIST_LEN     64 /* allow list names ("top-sites", "misp:cisco_top10k") */

/*
 * (host, address) -> the c2 domain answered, by its key in c2doms: small,
 * because a botnet's hosts resolve the same few domains many times over.
 */
struct resolution {
    ta_time_us ts;
    uint64_t dom;
};

/* A c2 domain seen in DNS answers, with its intel match (one per domain). */
struct c2dom {
    uint8_t confidence;
    bool undated;
    char domain[NAME_MAX_LEN];
    char value[NAME_MAX_LEN];
    char family[64];
    char sources[192];
};

struct name_val {
    char name[NAME_MAX_LEN];
};

struct mark_val {
    uint32_t kinds;       /* bit per enum ta_event_kind */
    char allow[LIST_LEN]; /* allow list covering a name the flow used for its server, or "" */
};

struct ta_detector {
    struct ta_detect_opts o;
    struct ta_detect_intel intel;
    struct ta_detect_geo geo;
    bool have_geo;
    ta_detect_event_fn fn;
    void *ud;
    struct ta_beacon *beacon;
    struct ta__cache res, c2doms, names, marks;
    struct ta__scripts scripts;
    bool have_scripts;
    const struct ta_phish_brand *brands;
    size_t nbrands;
    const struct ta_detect_http_content *next_content; /* ta_detector_next_http_content */
    struct ta_detect_stats st;
};

void ta_detect_opts_default(struct ta_detect_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->max_resolutions = 1000000;
    o->max_c2_domains = 65536;
    o->max_names = 100000;
    o->max_flow_marks = 200000;
    o->resolution_ttl_s = 3600;
    o->evidence_body_bytes = 256;
    o->beacon = true;
    o->phish_content = true;
    o->webshell_suspected = true;
    ta_beacon_opts_default(&o->beacon_opts);
}

ta_err ta_detector_new(const struct ta_detect_opts *opts, const struct ta_detect_intel *intel,
                       const struct ta_detect_geo *geo, ta_detect_event_fn fn, void *ud,
                       struct ta_detector **out)
{
    *out = NULL;
    if (fn == NULL)
        return TA_ERR_ARG;
    struct ta_detector *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return TA_ERR_NOMEM;
    if (opts != NULL)
        d->o = *opts;
    else
        ta_detect_opts_default(&d->o);
    if (intel != NULL)
        d->intel = *intel;
    if (geo != NULL && geo->lookup != NULL) {
        d->geo = *geo;
        d->have_geo = true;
    }
    d->fn = fn;
    d->ud = ud;
    d->brands = ta_phish_brands_builtin(&d->nbrands);
    if (d->o.max_c2_domains == 0)
        d->o.max_c2_domains = 65536;
    if (d->o.max_names == 0)
        d->o.max_names = 100000;
    ta_err err = ta__cache_init(&d->res, d->o.max_resolutions, sizeof(struct resolution));
    if (err == TA_OK)
        err = ta__cache_init(&d->c2doms, d->o.max_c2_domains, sizeof(struct c2dom));
    if (err == TA_OK)
        err = ta__cache_init(&d->names, d->o.max_names, sizeof(struct name_val));
    if (err == TA_OK)
        err = ta__cache_init(&d->marks, d->o.max_flow_marks, sizeof(struct mark_val));
    if (err == TA_OK && d->o.beacon)
        err = ta_beacon_new(&d->o.beacon_opts, &d->beacon);
    if (err == TA_OK && !d->o.no_script_behaviour) {
        struct ta__script_opts so = {
            .max_scripts = d->o.max_scripts ? d->o.max_scripts : 50000,
            .min_posts = d->o.script_min_posts ? d->o.script_min_posts : 10,
            .max_clients = d->o.script_max_clients ? d->o.script_max_clients : 3,
            .size_spread = d->o.script_size_spread ? d->o.script_size_spread : 32,
        };
        err = ta__scripts_init(&d->scripts, &so);
        d->have_scripts = err == TA_OK;
    }
    if (err != TA_OK) {
        ta_detector_free(d);
        return err;
    }
    *out = d;
    return TA_OK;
}

void ta_detector_free(struct ta_detector *d)
{
    if (d == NULL)
        return;
    ta__cache_release(&d->res);
    ta__cache_release(&d->c2doms);
    ta__cache_release(&d->names);
    ta__cache_release(&d->marks);
    if (d->have_scripts)
        ta__scripts_release(&d->scripts);
    ta_beacon_free(d->beacon);
    free(d);
}

void ta_detector_set_intel(struct ta_detector *d, const struct ta_detect_intel *intel)
{
    memset(&d->intel, 0, sizeof(d->intel));
    if (intel != NULL)
        d->intel = *intel;
}

/* ---- helpers ----------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (src == NULL) {
        dst[0] = 0;
        return;
    }
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Host header -> lower case, without port and trailing dot. */
static void host_clean(const char *host, char *out, size_t cap)
{
    size_t o = 0;
    if (host != NULL) {
        const char *p = host;
        if (*p == '[') { /* [v6]:port */
            p++;
            while (*p && *p != ']' && o + 1 < cap)
                out[o++] = *p++;
        } else {
            while (*p && *p != ':' && o + 1 < cap) {
                char c = *p++;
                out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            }
        }
    }
    while (o > 0 && out[o - 1] == '.')
        o--;
    out[o] = 0;
}

/*
 * Lookups of one indicator kind. A match of another kind is not taken: an
 * intel interface that does not know a kind must not turn, say, a phishing
 * URL into a payload download.
 */
static bool imatch_ip(struct ta_detector *d, const struct ta_addr *a, uint16_t port, ta_time_us at,
                      enum ta_detect_ikind k, struct ta_detect_match *m)
{
    return d->intel.match_ip != NULL &&
           d->intel.match_ip(d->intel.ctx, a, port, at, TA_DETECT_IK_BIT(k), m) && m->kind == k;
}

static bool imatch_domain(struct ta_detector *d, const char *name, ta_time_us at,
                          enum ta_detect_ikind k, struct ta_detect_match *m)
{
    return name != NULL && name[0] != 0 && d->intel.match_domain != NULL &&
           d->intel.match_domain(d->intel.ctx, name, at, TA_DETECT_IK_BIT(k), m) && m->kind == k;
}

static bool imatch_url(struct ta_detector *d, const char *url, ta_time_us at,
                       enum ta_detect_ikind k, struct ta_detect_match *m)
{
    return d->intel.match_url != NULL &&
           d->intel.match_url(d->intel.ctx, url, at, TA_DETECT_IK_BIT(k), m) && m->kind == k;
}

/*
 * The port an IP lookup is made with: the server port for TCP and UDP, 0 for
 * flows without ports (ICMP, other protocols), which no IP:port indicator
 * matches.
 */
static uint16_t lookup_port(const struct ta_flow *f)
{
    return f->proto == 6 || f->proto == 17 ? f->dp : 0;
}

/*
 * Evidence of contact, from the flow as it stands now. TCP: the server
 * answered the SYN with SYN+ACK, or, for a connection picked up without its
 * SYN, packets went both ways (a SYN answered by a reset is not a contact).
 * Other protocols: packets both ways.
 */
static bool flow_established(const struct ta_flow *f)
{
    bool both = f->pkts_toserver > 0 && f->pkts_toclient > 0;
    if (f->proto != 6)
        return both;
    if ((f->tcp_flags_tc & (TA_TCP_SYN | TA_TCP_ACK)) == (TA_TCP_SYN | TA_TCP_ACK))
        return true;
    return both && !(f->tcp_flags_ts & TA_TCP_SYN);
}

static void side_fill(struct ta_detector *d, struct ta_event_side *s, const struct ta_addr *ip,
                      uint16_t port)
{
    memset(s, 0, sizeof(*s));
    s->ip = *ip;
    s->port = port;
    if (d->have_geo)
        d->geo.lookup(d->geo.ctx, s);
}

/* attacker = server side of the flow (C&C, phishing) or client (backdoor). */
static void event_init(struct ta_detector *d, struct ta_event *ev, enum ta_event_kind kind,
                       enum ta_event_method method, const struct ta_flow *f, ta_time_us ts)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->method = method;
    ev->ts = ts;
    ev->flow_id = f->id;
    ev->proto = f->proto;
    ev->flow_start = f->start;
    ev->counted = true;
    ev->pkts_toserver = f->pkts_toserver;
    ev->pkts_toclient = f->pkts_toclient;
    ev->bytes_toserver = f->bytes_toserver;
    ev->bytes_toclient = f->bytes_toclient;
    if (f->app_proto != TA_APP_UNKNOWN)
        ev->app_proto = ta_app_proto_name((enum ta_app_proto)f->app_proto);
    ev->established = flow_established(f);
    bool server_attacks = kind != TA_EVENT_BACKDOOR && kind != TA_EVENT_BACKDOOR_SUSPECTED;
    if (server_attacks) {
        side_fill(d, &ev->attacker, &f->dst, f->dp);
        side_fill(d, &ev->victim, &f->src, f->sp);
    } else {
        side_fill(d, &ev->attacker, &f->src, f->sp);
        side_fill(d, &ev->victim, &f->dst, f->dp);
    }
}

static void event_match(struct ta_event *ev, const struct ta_detect_match *m)
{
    ev->indicator = m->value;
    ev->indicator_type = m->type;
    ev->sources = m->sources;
    ev->confidence = m->confidence;
    ev->family = (m->family != NULL && m->family[0] != 0) ? m->family : NULL;
    ev->undated = m->undated;
}

/* The flow's mark, inserted if absent (eviction counted); NULL on allocation failure. */
static struct mark_val *flow_mark(struct ta_detector *d, const struct ta_flow *f)
{
    struct ta__ckey k;
    ta__ckey_make(&k, NULL, NULL, f->id);
    uint64_t before = d->marks.evicted;
    bool fresh;
    struct mark_val *v = ta__cache_put(&d->marks, &k, &fresh);
    d->st.marks_evicted += d->marks.evicted - before;
    return v;
}

/* true if kind was already reported on this flow; marks it otherwise. */
static bool flow_seen(struct ta_detector *d, const struct ta_flow *f, enum ta_event_kind kind)
{
    struct mark_val *v = flow_mark(d, f);
    if (v == NULL)
        return false;
    if (v->kinds & (1u << kind)) {
        d->st.deduplicated++;
        return true;
    }
    v->kinds |= 1u << kind;
    return false;
}

static void emit(struct ta_detector *d, struct ta_event *ev)
{
    d->st.events[ev->kind]++;
    if (ev->suppressed_by != NULL)
        d->st.suppressed[ev->kind]++;
    d->fn(d->ud, ev);
}

/* ---- allow entries ----------------------------------------------------- */

static bool allow_name(struct ta_detector *d, const char *name, const char *within, char *list,
                       size_t cap)
{
    list[0] = 0;
    return name != NULL && name[0] != 0 && d->intel.allow_name != NULL &&
           d->intel.allow_name(d->intel.ctx, name, within, list, cap);
}

/*
 * A name this flow used for its server (SNI, Host), kept with the flow's mark
 * when an allow entry covers it, for the address check at the flow's end.
 * Only names of servers with an address indicator are looked up: for the
 * others the answer would never be used.
 */
static void flow_name(struct ta_detector *d, const struct ta_flow *f, const char *name)
{
    if (name[0] == 0 || d->intel.allow_name == NULL)
        return;
    struct ta__ckey k;
    ta__ckey_make(&k, NULL, NULL, f->id);
    const struct mark_val *have = ta__cache_get(&d->marks, &k);
    if (have != NULL && have->allow[0] != 0)
        return;
    struct ta_detect_match m;
    char list[LIST_LEN];
    if (!imatch_ip(d, &f->dst, lookup_port(f), f->start, TA_DETECT_IK_C2, &m) ||
        !allow_name(d, name, NULL, list, sizeof(list)))
        return;
    struct mark_val *v = flow_mark(d, f);
    if (v != NULL)
        copy_str(v->allow, sizeof(v->allow), list);
}

/*
 * Address matches (methods ip, ip-port): the server address is allowed, or a
 * name this flow used for it, or the last name seen for the address (DNS
 * answers, SNI, Host). Returns the list name (in list) or NULL.
 */
static const char *allow_server(struct ta_detector *d, const struct ta_flow *f, char *list,
                                size_t cap)
{
    list[0] = 0;
    if (d->intel.allow_ip != NULL && d->intel.allow_ip(d->intel.ctx, &f->dst, list, cap))
        return list;
    struct ta__ckey k;
    ta__ckey_make(&k, NULL, NULL, f->id);
    const struct mark_val *mv = ta__cache_get(&d->marks, &k);
    if (mv != NULL && mv->allow[0] != 0) {
        copy_str(list, cap, mv->allow);
        return list;
    }
    ta__ckey_make(&k, &f->dst, NULL, 0);
    const struct name_val *nv = ta__cache_get(&d->names, &k);
    if (nv != NULL && allow_name(d, nv->name, NULL, list, cap))
        return list;
    return NULL;
}

/*
 * Domain matches (sni, host, dns): an allow entry for the observed name at or
 * under the indicator domain, so that a listed subdomain of an allowed
 * platform stays counted while a feed listing an allowed site does not.
 */
static const char *allow_domain(struct ta_detector *d, const char *name, const char *indicator,
                                char *list, size_t cap)
{
    return allow_name(d, name, indicator, list, cap) ? list : NULL;
}

/* URL matches (url, payload): only an allow entry for the URL itself. */
static const char *allow_url(struct ta_detector *d, const char *url, char *list, size_t cap)
{
    list[0] = 0;
    return d->intel.allow_url != NULL && d->intel.allow_url(d->intel.ctx, url, list, cap) ? list
                                                                                          : NULL;
}

static void remember_name(struct ta_detector *d, const struct ta_addr *server, const char *name)
{
    if (name == NULL || name[0] == 0)
        return;
    struct ta__ckey k;
    ta__ckey_make(&k, server, NULL, 0);
    bool fresh;
    struct name_val *v = ta__cache_put(&d->names, &k, &fresh);
    if (v != NULL)
        copy_str(v->name, sizeof(v->name), name);
}

/* 64-bit key of a (cleaned) domain name; never 0 (0 is no key). */
static uint64_t domain_key(const char *s)
{
    uint64_t h = ta_hash_mix64(ta_hash64(0, s, strlen(s)));
    return h ? h : 1;
}

/* ---- observations ------------------------------------------------------ */

void ta_detector_dns(struct ta_detector *d, const struct ta_flow *f, const struct ta_detect_dns *r)
{
    d->st.dns_seen++;
    if (r->qname == NULL || r->qname[0] == 0)
        return;
    char q[NAME_MAX_LEN];
    host_clean(r->qname, q, sizeof(q));
    for (size_t i = 0; i < r->nanswers; i++)
        remember_name(d, &r->answers[i], q);
    struct ta_detect_match m;
    if (!imatch_domain(d, q, r->ts, TA_DETECT_IK_C2, &m))
        return;
    /* The domain once, with its match (refreshed), then each answer refers to it. */
    uint64_t dom = domain_key(q);
    struct ta__ckey dk;
    ta__ckey_make(&dk, NULL, NULL, dom);
    uint64_t dbefore = d->c2doms.evicted;
    bool dfresh;
    struct c2dom *dv = ta__cache_put(&d->c2doms, &dk, &dfresh);
    d->st.c2_domains_evicted += d->c2doms.evicted - dbefore;
    if (dv == NULL)
        return;
    dv->confidence = m.confidence;
    dv->undated = m.undated;
    copy_str(dv->domain, sizeof(dv->domain), q);
    copy_str(dv->value, sizeof(dv->value), m.value);
    copy_str(dv->family, sizeof(dv->family), m.family);
    copy_str(dv->sources, sizeof(dv->sources), m.sources);
    for (size_t i = 0; i < r->nanswers; i++) {
        struct ta__ckey k;
        ta__ckey_make(&k, &f->src, &r->answers[i], 0);
        uint64_t before = d->res.evicted;
        bool fresh;
        struct resolution *v = ta__cache_put(&d->res, &k, &fresh);
        d->st.resolutions_evicted += d->res.evicted - before;
        if (v == NULL)
            continue;
        v->ts = r->ts;
        v->dom = dom;
    }
}

static bool imatch_hash(struct ta_detector *d, enum ta_detect_hash type, const char *value,
                        ta_time_us at, struct ta_detect_match *m)
{
    return value != NULL && value[0] != 0 && d->intel.match_hash != NULL &&
           d->intel.match_hash(d->intel.ctx, type, value, at, TA_DETECT_IK_BIT(TA_DETECT_IK_C2),
                               m) &&
           m->kind == TA_DETECT_IK_C2;
}

/* true if kind was already reported on this flow (no mark is made). */
static bool flow_has(struct ta_detector *d, const struct ta_flow *f, enum ta_event_kind kind)
{
    struct ta__ckey k;
    ta__ckey_make(&k, NULL, NULL, f->id);
    const struct mark_val *v = ta__cache_get(&d->marks, &k);
    return v != NULL && (v->kinds & (1u << kind)) != 0;
}

/* "aa:bb:..." or "aabb..." -> 40 lower-case hex digits; false if it is not a SHA-1. */
static bool sha1_hex(const char *s, char out[41])
{
    size_t o = 0;
    for (; s != NULL && *s; s++) {
        char c = *s;
        if (c == ':')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c + 32);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || o == 40)
            return false;
        out[o++] = c;
    }
    out[o] = 0;
    return o == 40;
}

/*
 * The subject's common name as a host name: the last "CN=" attribute of a
 * Suricata-style subject ("C=US, O=Org, CN=name"), cleaned, a wildcard's
 * "*." removed. false when there is none or it is not a name with a dot.
 */
static bool subject_cn(const char *subject, char *out, size_t cap)
{
    const char *cn = NULL;
    for (const char *p = subject; p != NULL && *p; p++)
        if ((p == subject || p[-1] == ' ' || p[-1] == ',') && strncmp(p, "CN=", 3) == 0)
            cn = p + 3;
    if (cn == NULL)
        return false;
    if (cn[0] == '*' && cn[1] == '.')
        cn += 2;
    size_t n = 0;
    while (cn[n] != 0 && cn[n] != ',' && cn[n] != '/' && cn[n] != ' ')
        n++;
    char tmp[NAME_MAX_LEN];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, cn, n);
    tmp[n] = 0;
    host_clean(tmp, out, cap);
    return strchr(out, '.') != NULL;
}

/* A SAN dNSName as a domain to look up: "*." dropped, cleaned as a host. */
static bool san_name(const char *name, char *out, size_t cap)
{
    if (name == NULL)
        return false;
    if (name[0] == '*' && name[1] == '.')
        name += 2;
    size_t n = strlen(name);
    if (n == 0 || n >= NAME_MAX_LEN)
        return false;
    host_clean(name, out, cap);
    return strchr(out, '.') != NULL;
}

static bool same_family(const char *a, const char *b)
{
    return a == NULL || b == NULL || a[0] == 0 || b[0] == 0 || strcasecmp(a, b) == 0;
}

/* A name the certificate gives, listed as a c2 domain: C&C (method cert-name). */
static bool cert_name_event(struct ta_detector *d, const struct ta_flow *f, ta_time_us ts,
                            const char *name, const char *signature)
{
    struct ta_detect_match m;
    struct ta_event ev;
    char list[LIST_LEN];
    if (!imatch_domain(d, name, ts, TA_DETECT_IK_C2, &m) || flow_seen(d, f, TA_EVENT_C2))
        return false;
    event_init(d, &ev, TA_EVENT_C2, TA_METHOD_CERT_NAME, f, ts);
    event_match(&ev, &m);
    ev.signature = signature;
    ev.hostname = name;
    ev.suppressed_by = allow_domain(d, name, m.value, list, sizeof(list));
    emit(d, &ev);
    return true;
}

/*
 * TLS fingerprints and the certificate (README "Detection", TLS). A listed
 * certificate (its SHA-1) or a certificate naming a c2 domain identifies the
 * server: C&C. A JA3, JA3S or JA4 alone does not: a fingerprint is the TLS
 * library's and its settings, shared by every program built the same way
 * (abuse.ch's Trickbot JA3 is Windows' own SChannel), so a lone match is
 * c2-suspected. A client fingerprint (JA3 or JA4) and the server's JA3S both
 * listed, for the same family when both name one, pin the pair of programs:
 * C&C.
 */
static void tls_fingerprints(struct ta_detector *d, const struct ta_flow *f,
                             const struct ta_detect_tls *t, const char *sni)
{
    struct ta_detect_match m, cm, sm;
    struct ta_event ev;
    char list[LIST_LEN];
    char sha1[41];
    const char *host = sni != NULL && sni[0] != 0 ? sni : NULL;
    if (sha1_hex(t->cert_sha1, sha1) && imatch_hash(d, TA_DETECT_HASH_CERT_SHA1, sha1, t->ts, &m) &&
        !flow_seen(d, f, TA_EVENT_C2)) {
        event_init(d, &ev, TA_EVENT_C2, TA_METHOD_CERT, f, t->ts);
        event_match(&ev, &m);
        ev.signature = "C&C TLS certificate (SHA-1 fingerprint)";
        ev.hostname = host;
        ev.suppressed_by = allow_server(d, f, list, sizeof(list));
        emit(d, &ev);
    }
    char cn[NAME_MAX_LEN];
    if (t->cert_subject != NULL && subject_cn(t->cert_subject, cn, sizeof(cn)))
        cert_name_event(d, f, t->ts, cn, "C&C domain in TLS certificate subject");
    /* The names a certificate is good for, when the subject does not give them. */
    for (size_t i = 0; i < t->n_cert_san && t->cert_san != NULL; i++) {
        char san[NAME_MAX_LEN];
        if (san_name(t->cert_san[i], san, sizeof(san)) &&
            cert_name_event(d, f, t->ts, san, "C&C domain in TLS certificate SAN"))
            break;
    }
    bool ja3 = imatch_hash(d, TA_DETECT_HASH_JA3, t->ja3, t->ts, &cm);
    bool ja4 = !ja3 && imatch_hash(d, TA_DETECT_HASH_JA4, t->ja4, t->ts, &cm);
    bool ja3s = imatch_hash(d, TA_DETECT_HASH_JA3S, t->ja3s, t->ts, &sm);
    if (!ja3 && !ja4 && !ja3s)
        return;
    if ((ja3 || ja4) && ja3s && same_family(cm.family, sm.family)) {
        if (flow_seen(d, f, TA_EVENT_C2))
            return;
        event_init(d, &ev, TA_EVENT_C2, TA_METHOD_JA3, f, t->ts);
        event_match(&ev, &cm);
        if (sm.confidence > ev.confidence)
            ev.confidence = sm.confidence;
        if (ev.family == NULL && sm.family != NULL && sm.family[0] != 0)
            ev.family = sm.family;
        ev.undated = cm.undated && sm.undated;
        ev.signature = ja3 ? "C&C JA3 and JA3S fingerprints" : "C&C JA4 and JA3S fingerprints";
        ev.hostname = host;
        ev.suppressed_by = allow_server(d, f, list, sizeof(list));
        emit(d, &ev);
        return;
    }
    /* A confirmed C&C event on the flow already says more. */
    if (flow_has(d, f, TA_EVENT_C2) || flow_seen(d, f, TA_EVENT_C2_SUSPECTED))
        return;
    const struct ta_detect_match *one = ja3 || ja4 ? &cm : &sm;
    event_init(d, &ev, TA_EVENT_C2_SUSPECTED, TA_METHOD_JA3, f, t->ts);
    event_match(&ev, one);
    ev.signature = ja3   ? "JA3 fingerprint of a C&C client"
                   : ja4 ? "JA4 fingerprint of a C&C client"
                         : "JA3S fingerprint of a C&C server";
    ev.hostname = host;
    ev.suppressed_by = allow_server(d, f, list, sizeof(list));
    emit(d, &ev);
}

void ta_detector_tls(struct ta_detector *d, const struct ta_flow *f, const struct ta_detect_tls *t)
{
    d->st.tls_seen++;
    if (t->sni == NULL || t->sni[0] == 0) {
        tls_fingerprints(d, f, t, NULL);
        return;
    }
    char sni[NAME_MAX_LEN];
    host_clean(t->sni, sni, sizeof(sni));
    remember_name(d, &f->dst, sni);
    flow_name(d, f, sni);
    struct ta_detect_match m;
    struct ta_event ev;
    char list[LIST_LEN];
    if (imatch_domain(d, sni, t->ts, TA_DETECT_IK_C2, &m) && !flow_seen(d, f, TA_EVENT_C2)) {
        event_init(d, &ev, TA_EVENT_C2, TA_METHOD_SNI, f, t->ts);
        event_match(&ev, &m);
        ev.signature = "C&C domain in TLS SNI";
        ev.hostname = sni;
        ev.suppressed_by = allow_domain(d, sni, m.value, list, sizeof(list));
        emit(d, &ev);
    }
    /*
     * Phishing: the SNI is a listed phishing domain, or the host of listed
     * phishing URLs. The page is the indicator URL when the host has exactly
     * one, otherwise the host.
     */
    char page[URL_BUF];
    size_t nurls = 0;
    if (d->intel.phish_urls_for_host != NULL)
        nurls = d->intel.phish_urls_for_host(d->intel.ctx, sni, page, sizeof(page));
    bool by_domain = imatch_domain(d, sni, t->ts, TA_DETECT_IK_PHISHING, &m);
    bool by_url = !by_domain && nurls > 0 && imatch_url(d, page, t->ts, TA_DETECT_IK_PHISHING, &m);
    if ((by_domain || by_url) && !flow_seen(d, f, TA_EVENT_PHISHING)) {
        if (nurls != 1)
            copy_str(page, sizeof(page), sni);
        event_init(d, &ev, TA_EVENT_PHISHING, TA_METHOD_SNI, f, t->ts);
        event_match(&ev, &m);
        if (by_url && nurls != 1) {
            ev.indicator = sni;
            ev.indicator_type = "url-host";
        }
        ev.signature = by_domain ? "Phishing domain in TLS SNI" : "Phishing URL host in TLS SNI";
        ev.hostname = sni;
        ev.page = page;
        /* The indicator URL m.value is what a URL match identified. */
        ev.suppressed_by = by_domain ? allow_domain(d, sni, m.value, list, sizeof(list))
                                     : allow_url(d, m.value, list, sizeof(list));
        emit(d, &ev);
    }
    tls_fingerprints(d, f, t, sni);
}

static bool html_like(const char *ctype)
{
    return ctype == NULL || ctype[0] == 0 || strstr(ctype, "html") != NULL ||
           strstr(ctype, "HTML") != NULL;
}

/*
 * The C&C resolution that explains a connection from f's client to f's
 * server: an answer for a c2 domain that precedes the connection (1 s of
 * capture reordering allowed) and is still fresh. NULL if none.
 */
static const struct c2dom *c2_resolution(struct ta_detector *d, const struct ta_flow *f)
{
    struct ta__ckey k;
    ta__ckey_make(&k, &f->src, &f->dst, 0);
    const struct resolution *r = ta__cache_get(&d->res, &k);
    if (r == NULL || r->ts > f->start + 1000000 ||
        (r->ts < f->start && f->start - r->ts > (ta_time_us)d->o.resolution_ttl_s * 1000000))
        return NULL;
    ta__ckey_make(&k, NULL, NULL, r->dom);
    return ta__cache_get(&d->c2doms, &k); /* NULL if the domain was evicted (counted) */
}

void ta_detector_next_http_content(struct ta_detector *d, const struct ta_detect_http_content *c)
{
    d->next_content = c;
}

const struct ta_detect_http_content *ta__detector_take_http_content(struct ta_detector *d)
{
    const struct ta_detect_http_content *c = d->next_content;
    d->next_content = NULL;
    return c;
}

static struct ta_webshell_input webshell_input(const struct ta_detect_http *tx)
{
    return (struct ta_webshell_input){
        .method = tx->method,
        .url = tx->url != NULL ? tx->url : "/",
        .content_type = tx->content_type,
        .user_agent = tx->user_agent,
        .accept = tx->accept,
        .req_body = tx->req_body,
        .req_len = tx->req_len,
        .resp_body = tx->resp_body,
        .resp_len = tx->resp_len,
        .have_resp = tx->have_resp,
        .cookie = tx->cookie,
    };
}

void ta_detect_http_content(const struct ta_detect_http *tx, struct ta_detect_http_content *out)
{
    memset(out, 0, sizeof(*out));
    struct ta_webshell_input in = webshell_input(tx);
    out->ws = ta_webshell_analyze(&in, &out->v);
    char host[NAME_MAX_LEN];
    host_clean(tx->host, host, sizeof(host));
    size_t nbrands;
    const struct ta_phish_brand *brands = ta_phish_brands_builtin(&nbrands);
    out->phish =
        tx->have_resp && tx->resp_len > 0 && html_like(tx->resp_content_type) && host[0] != 0 &&
        ta_phish_content_check(host, tx->resp_body, tx->resp_len, brands, nbrands, &out->pv);
    out->req_len = tx->req_len;
    out->resp_len = tx->resp_len;
}

size_t ta_detect_http_body_prefix(const struct ta_detect_opts *o)
{
    /* ta_detect_executable reads 4 bytes; the backdoor event's evidence the option's. */
    return o->evidence_body_bytes > 4 ? o->evidence_body_bytes : 4;
}

/* Body lengths: what was kept, or without the bytes (a log), what was sent. */
static uint64_t http_req_len(const struct ta_detect_http *tx)
{
    return tx->req_body != NULL ? tx->req_len : tx->req_sent;
}

static uint64_t http_resp_len(const struct ta_detect_http *tx)
{
    return tx->resp_body != NULL ? tx->resp_len : tx->resp_sent;
}

/*
 * Request timing inside the connection: a beacon that keeps one HTTP (or
 * TLS) connection alive shows a single connection start, so its requests
 * are a series of their own (bodies as the size). The series starts at the
 * second request, with the connection's start standing in for the first
 * (one round trip earlier), so that the many one-request connections hold
 * no state at all.
 */
static void in_conn_request(struct ta_detector *d, const struct ta_flow *f, ta_time_us ts,
                            uint64_t index, uint64_t size)
{
    if (d->beacon == NULL || index < 1)
        return;
    if (index == 1)
        ta_beacon_add_request(d->beacon, &f->src, &f->dst, f->dp, f->proto, f->id, f->start, size);
    ta_beacon_add_request(d->beacon, &f->src, &f->dst, f->dp, f->proto, f->id, ts, size);
}

/* Encrypted application data: the same series from the client's bursts. */
void ta_detector_tls_data(struct ta_detector *d, const struct ta_flow *f, ta_time_us ts,
                          uint64_t index, uint64_t bytes)
{
    in_conn_request(d, f, ts, index, bytes);
}

void ta_detector_http(struct ta_detector *d, const struct ta_flow *f,
                      const struct ta_detect_http *given)
{
    struct ta_detect_http cut = *given;
    if (given->content != NULL) {
        /* The bodies may be only their first bytes (ta_detect_http_content): the whole lengths. */
        cut.req_len = given->content->req_len;
        cut.resp_len = given->content->resp_len;
    }
    const struct ta_detect_http *tx = &cut;
    d->st.http_seen++;
    char host[NAME_MAX_LEN], ipbuf[TA_ADDR_STRLEN];
    host_clean(tx->host, host, sizeof(host));
    const char *path = tx->url != NULL ? tx->url : "/";
    char url[URL_BUF];
    bool absolute = strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0;
    if (absolute) {
        copy_str(url, sizeof(url), path);
    } else {
        const char *h = tx->host != NULL && tx->host[0]
                            ? tx->host
                            : ta_addr_format(&f->dst, ipbuf, sizeof(ipbuf));
        snprintf(url, sizeof(url), "http://%s%s%s", h, path[0] == '/' ? "" : "/", path);
        if (host[0] == 0 && f->dst.family == 6) /* an IPv6 literal needs brackets */
            snprintf(url, sizeof(url), "http://[%s]%s%s", ipbuf, path[0] == '/' ? "" : "/", path);
    }
    if (host[0] != 0) {
        remember_name(d, &f->dst, host);
        flow_name(d, f, host);
    }
    const char *website = host[0] != 0 ? host : ta_addr_format(&f->dst, ipbuf, sizeof(ipbuf));
    struct ta_detect_match m;
    struct ta_event ev;
    char list[LIST_LEN];

    /* C&C by Host. */
    if (imatch_domain(d, host, tx->ts, TA_DETECT_IK_C2, &m) && !flow_seen(d, f, TA_EVENT_C2)) {
        event_init(d, &ev, TA_EVENT_C2, TA_METHOD_HOST, f, tx->ts);
        event_match(&ev, &m);
        ev.signature = "C&C domain in HTTP Host";
        ev.hostname = host;
        ev.url = path;
        ev.suppressed_by = allow_domain(d, host, m.value, list, sizeof(list));
        emit(d, &ev);
    }

    /*
     * C&C by URL: the URL (or URL without query, or path) is a c2 URL indicator, as
     * ThreatFox botnet_cc URLs and maltrail URL trails are. A c2 URL that names a
     * payload file or is answered with an executable is a download (often from a
     * hacked website), not a C&C contact: it becomes a payload event instead, as does
     * a malware-distribution URL indicator.
     */
    struct ta_detect_match pm;
    bool c2_url = imatch_url(d, url, tx->ts, TA_DETECT_IK_C2, &m);
    bool fetched = c2_url && (ta_detect_payload_path(path, strlen(path)) ||
                              (tx->have_resp && ta_detect_executable(tx->resp_body, tx->resp_len)));
    bool payload = imatch_url(d, url, tx->ts, TA_DETECT_IK_PAYLOAD, &pm);
    if (c2_url && !fetched && !flow_seen(d, f, TA_EVENT_C2)) {
        event_init(d, &ev, TA_EVENT_C2, TA_METHOD_URL, f, tx->ts);
        event_match(&ev, &m);
        ev.signature = "C&C URL requested";
        ev.hostname = host[0] ? host : NULL;
        ev.url = path;
        ev.suppressed_by = allow_url(d, url, list, sizeof(list));
        emit(d, &ev);
    }
    if ((payload || fetched) && !flow_seen(d, f, TA_EVENT_PAYLOAD)) {
        event_init(d, &ev, TA_EVENT_PAYLOAD, TA_METHOD_URL, f, tx->ts);
        event_match(&ev, payload ? &pm : &m);
        ev.signature = payload ? "Download from a malware-distribution URL"
                               : "Payload fetched from a C&C URL indicator";
        ev.hostname = host[0] ? host : NULL;
        ev.url = path;
        ev.suppressed_by = allow_url(d, url, list, sizeof(list));
        emit(d, &ev);
    }

    /* Phishing by URL, URL without query, or domain. */
    bool phish_url = imatch_url(d, url, tx->ts, TA_DETECT_IK_PHISHING, &m);
    bool phish = phish_url || imatch_domain(d, host, tx->ts, TA_DETECT_IK_PHISHING, &m);
    if (phish && !flow_seen(d, f, TA_EVENT_PHISHING)) {
        char page[URL_BUF];
        if (phish_url)
            copy_str(page, sizeof(page), m.value);
        else if (d->intel.normalize_url == NULL ||
                 !d->intel.normalize_url(d->intel.ctx, url, page, sizeof(page)))
            copy_str(page, sizeof(page), url);
        event_init(d, &ev, TA_EVENT_PHISHING, phish_url ? TA_METHOD_URL : TA_METHOD_HOST, f,
                   tx->ts);
        event_match(&ev, &m);
        ev.signature = phish_url ? "Phishing URL requested" : "Phishing domain in HTTP Host";
        ev.hostname = host[0] ? host : NULL;
        ev.url = path;
        ev.page = page;
        ev.suppressed_by = phish_url ? allow_url(d, url, list, sizeof(list))
                                     : allow_domain(d, host, m.value, list, sizeof(list));
        emit(d, &ev);
    }

    /* Backdoor: webshell URL indicator and/or webshell content; one event per request. */
    struct ta_detect_match wm;
    bool ws_url = imatch_url(d, url, tx->ts, TA_DETECT_IK_WEBSHELL, &wm);
    struct ta_webshell_verdict v;
    bool ws;
    if (tx->content != NULL) {
        ws = tx->content->ws;
        v = tx->content->v;
    } else {
        struct ta_webshell_input in = webshell_input(tx);
        ws = ta_webshell_analyze(&in, &v);
    }
    if (ws && v.suspected && !d->o.webshell_suspected)
        ws = false;
    /* A bot's encrypted POST to its C&C server looks like a webshell request
     * by body statistics alone; the C&C detection already explains it. */
    if (ws && v.suspected && !ws_url) {
        struct ta_detect_match cm;
        if (imatch_ip(d, &f->dst, lookup_port(f), tx->ts, TA_DETECT_IK_C2, &cm) ||
            imatch_domain(d, host, tx->ts, TA_DETECT_IK_C2, &cm) ||
            imatch_url(d, url, tx->ts, TA_DETECT_IK_C2, &cm) || c2_resolution(d, f) != NULL) {
            ws = false;
            d->st.suspected_to_c2++;
        }
    }
    if (ws_url || ws) {
        /*
         * A request to a webshell path proves a planted shell only when the shell
         * answered: success with a body. Scanners (Nikto and the like) request
         * /c99.php everywhere and get 404s or nothing: a probe, kept as suspected.
         * A request whose content is a webshell's needs no answer.
         */
        bool answered =
            tx->have_resp && tx->status >= 200 && tx->status < 300 && http_resp_len(tx) > 0;
        bool by_content = ws && !v.suspected;
        bool probe = ws_url && !by_content && !answered;
        bool confirmed = by_content || (ws_url && answered);
        enum ta_event_method method = probe ? TA_METHOD_PROBE
                                      : ws  ? TA_METHOD_CONTENT
                                            : TA_METHOD_URL;
        event_init(d, &ev, confirmed ? TA_EVENT_BACKDOOR : TA_EVENT_BACKDOOR_SUSPECTED, method, f,
                   tx->ts);
        ev.tx_index = tx->tx_index > UINT32_MAX ? UINT32_MAX : (uint32_t)tx->tx_index;
        if (ws_url)
            event_match(&ev, &wm);
        if (ws) {
            ev.family = ta_webshell_family_name(v.family);
            if (!ws_url || v.confidence > ev.confidence)
                ev.confidence = v.confidence;
        }
        ev.signature = probe ? "Request to a webshell URL indicator, not answered with content"
                       : ws  ? v.signature
                             : "Request to a webshell URL indicator";
        ev.hostname = host[0] ? host : NULL;
        ev.url = path;
        ev.body = tx->req_body;
        ev.body_len =
            tx->req_len < d->o.evidence_body_bytes ? tx->req_len : d->o.evidence_body_bytes;
        ev.website = website;
        emit(d, &ev);
    }
    if (d->have_scripts && ta__script_path(path) && !absolute) {
        struct ta__script_req sr = {
            .client = &f->src,
            .server = &f->dst,
            .client_port = f->sp,
            .server_port = f->dp,
            .host = host,
            .url = path,
            .method = tx->method,
            .status = tx->status,
            .have_resp = tx->have_resp,
            .req_size = http_req_len(tx),
            .resp_size = http_resp_len(tx),
            .ts = tx->ts,
            .flow_id = f->id,
        };
        uint64_t before = d->scripts.c.evicted;
        ta__scripts_add(&d->scripts, &sr, ws_url || ws);
        d->st.scripts_evicted += d->scripts.c.evicted - before;
    }

    in_conn_request(d, f, tx->ts, tx->tx_index,
                    http_req_len(tx) + (tx->have_resp ? http_resp_len(tx) : 0));

    /* Phishing content (suspected), unless the flow is already a known phishing visit. */
    struct ta_phish_verdict pv;
    bool phish_form;
    if (tx->content != NULL) {
        phish_form = tx->content->phish;
        pv = tx->content->pv;
    } else {
        phish_form =
            tx->have_resp && tx->resp_len > 0 && html_like(tx->resp_content_type) && host[0] != 0 &&
            ta_phish_content_check(host, tx->resp_body, tx->resp_len, d->brands, d->nbrands, &pv);
    }
    if (d->o.phish_content && phish_form && !flow_seen(d, f, TA_EVENT_PHISHING) &&
        !flow_seen(d, f, TA_EVENT_PHISHING_SUSPECTED)) {
        char page[URL_BUF];
        if (d->intel.normalize_url == NULL ||
            !d->intel.normalize_url(d->intel.ctx, url, page, sizeof(page)))
            copy_str(page, sizeof(page), url);
        event_init(d, &ev, TA_EVENT_PHISHING_SUSPECTED, TA_METHOD_CONTENT, f, tx->ts);
        ev.confidence = pv.confidence;
        ev.signature = pv.signature;
        ev.family = pv.brand;
        ev.hostname = host;
        ev.url = path;
        ev.page = page;
        emit(d, &ev);
    }
}

void ta_detector_flow_end(struct ta_detector *d, const struct ta_flow *f)
{
    d->st.flows_seen++;
    struct ta_detect_match m;
    struct ta_event ev;
    char list[LIST_LEN];
    if (imatch_ip(d, &f->dst, lookup_port(f), f->start, TA_DETECT_IK_C2, &m)) {
        if (!flow_seen(d, f, TA_EVENT_C2)) {
            event_init(d, &ev, TA_EVENT_C2, m.has_port ? TA_METHOD_IP_PORT : TA_METHOD_IP, f,
                       f->start);
            event_match(&ev, &m);
            ev.signature = m.has_port ? "Flow to a C&C IP:port" : "Flow to a C&C IP";
            ev.suppressed_by = allow_server(d, f, list, sizeof(list));
            emit(d, &ev);
        }
    } else {
        const struct c2dom *r = c2_resolution(d, f);
        if (r != NULL && !flow_seen(d, f, TA_EVENT_C2)) {
            char ans[TA_ADDR_STRLEN];
            event_init(d, &ev, TA_EVENT_C2, TA_METHOD_DNS, f, f->start);
            ev.indicator = r->value;
            ev.indicator_type = "domain";
            ev.sources = r->sources;
            ev.confidence = r->confidence;
            ev.family = r->family[0] ? r->family : NULL;
            ev.undated = r->undated;
            ev.signature = "Connection to an address a C&C domain resolved to";
            ev.hostname = r->domain;
            ev.dns_answer = ta_addr_format(&f->dst, ans, sizeof(ans));
            ev.suppressed_by = allow_domain(d, r->domain, r->value, list, sizeof(list));
            emit(d, &ev);
        }
    }
    if (d->beacon != NULL && (f->proto == 6 || f->proto == 17)) {
        ta_beacon_add(d->beacon, &f->src, &f->dst, f->dp, f->proto, f->start,
                      f->bytes_toserver + f->bytes_toclient, f->id);
        ta_beacon_conn_end(d->beacon, &f->src, &f->dst, f->dp, f->proto, f->id);
    }
    struct ta__ckey mk;
    ta__ckey_make(&mk, NULL, NULL, f->id);
    ta__cache_del(&d->marks, &mk);
}

struct beacon_ctx {
    struct ta_detector *d;
};

static void on_beacon(void *ud, const struct ta_beacon_hit *h)
{
    struct ta_detector *d = ((struct beacon_ctx *)ud)->d;
    struct ta__ckey k;
    ta__ckey_make(&k, &h->server, NULL, 0);
    const struct name_val *nv = ta__cache_get(&d->names, &k);
    const char *name = nv != NULL ? nv->name : NULL;
    char list[128];
    if ((d->intel.allow_ip != NULL &&
         d->intel.allow_ip(d->intel.ctx, &h->server, list, sizeof(list))) ||
        (name != NULL && d->intel.allow_name != NULL &&
         d->intel.allow_name(d->intel.ctx, name, NULL, list, sizeof(list)))) {
        d->st.allowlisted++;
        return;
    }
    struct ta_flow f;
    memset(&f, 0, sizeof(f));
    f.id = h->last_flow_id;
    f.src = h->host;
    f.dst = h->server;
    f.dp = h->port;
    f.proto = h->proto;
    f.start = h->first;
    struct ta_event ev;
    /* The flow_start of a beacon is its first connection; its flows are gone by now,
     * so whether they were established is not known (false). */
    event_init(d, &ev, TA_EVENT_C2_SUSPECTED, TA_METHOD_BEACON, &f, h->last);
    ev.counted = false; /* a stand-in: the counts of its flows are not kept */
    double c = h->s.score * 100.0;
    ev.confidence = (uint8_t)(c > 100.0 ? 100.0 : c);
    char sig[160];
    if (h->in_conn)
        snprintf(sig, sizeof(sig),
                 "Periodic requests in one connection (score %.2f, median interval %.0f s, "
                 "%u requests)",
                 h->s.score, h->s.median_interval_s, h->s.conns);
    else
        snprintf(sig, sizeof(sig),
                 "Periodic beaconing (score %.2f, median interval %.0f s, %u conns)", h->s.score,
                 h->s.median_interval_s, h->s.conns);
    ev.signature = sig;
    ev.hostname = name;
    emit(d, &ev);
}

static int client_cmp(const void *a, const void *b)
{
    const struct ta__script_client *x = a, *y = b;
    return ta_addr_cmp(&x->ip, &y->ip);
}

/* One backdoor-suspected event per client of a script that behaves like a webshell. */
static void on_script(void *ud, const struct ta__script *p)
{
    struct ta_detector *d = ud;
    d->st.scripts_reported++;
    struct ta__script_client cl[TA__SCRIPT_CLIENTS];
    uint32_t n = p->nclients;
    memcpy(cl, p->clients, n * sizeof(cl[0]));
    qsort(cl, n, sizeof(cl[0]), client_cmp);
    char ipbuf[TA_ADDR_STRLEN], sig[192];
    const char *website = p->host[0] ? p->host : ta_addr_format(&p->server, ipbuf, sizeof(ipbuf));
    bool sized = p->resp_max - p->resp_min <= d->scripts.o.size_spread;
    if (sized)
        snprintf(sig, sizeof(sig),
                 "Script only POSTed to, by %u client(s), answers of constant size "
                 "(%llu POSTs, %llu-%llu bytes)",
                 n, (unsigned long long)p->posts, (unsigned long long)p->resp_min,
                 (unsigned long long)p->resp_max);
    else
        snprintf(sig, sizeof(sig),
                 "Script only POSTed to, by %u client(s), answers of constant framing "
                 "(%llu POSTs, answer - request %lld..%lld bytes)",
                 n, (unsigned long long)p->posts, (long long)p->delta_min, (long long)p->delta_max);
    for (uint32_t i = 0; i < n; i++) {
        struct ta_flow f;
        memset(&f, 0, sizeof(f));
        f.id = cl[i].last_flow;
        f.src = cl[i].ip;
        f.sp = cl[i].port;
        f.dst = p->server;
        f.dp = p->port;
        f.proto = 6;
        f.start = cl[i].first;
        f.app_proto = TA_APP_HTTP;
        struct ta_event ev;
        event_init(d, &ev, TA_EVENT_BACKDOOR_SUSPECTED, TA_METHOD_BEHAVIOUR, &f, cl[i].last);
        /* The requests' flows are gone: answered 2xx, so contact was made. */
        ev.established = true;
        ev.counted = false;
        ev.confidence = 40;
        ev.signature = sig;
        ev.hostname = p->host[0] ? p->host : NULL;
        ev.url = p->path;
        ev.website = website;
        emit(d, &ev);
    }
}

void ta_detector_finish(struct ta_detector *d)
{
    if (d->have_scripts)
        (void)ta__scripts_report(&d->scripts, on_script, d);
    if (d->beacon == NULL)
        return;
    struct beacon_ctx bc = {d};
    (void)ta_beacon_report(d->beacon, on_beacon, &bc);
}

void ta_detector_get_stats(const struct ta_detector *d, struct ta_detect_stats *st)
{
    *st = d->st;
    st->resolutions = d->res.n;
    st->scripts = d->have_scripts ? d->scripts.c.n : 0;
    if (d->beacon != NULL)
        ta_beacon_get_stats(d->beacon, &st->beacon);
    st->memory = sizeof(*d) + d->res.memory + d->c2doms.memory + d->names.memory + d->marks.memory +
                 (d->have_scripts ? d->scripts.c.memory : 0) + st->beacon.memory;
}
