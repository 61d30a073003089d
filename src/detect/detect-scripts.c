/*
 * Per-(server, script) request profiles: webshells in server logs by
 * behaviour (see detect-scripts.h).
 */
#include "detect/detect-scripts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hash64.h"

#include "common/banned.h"

/* Server-side script extensions: what a planted shell is written as. */
static const char *const script_exts[] = {"php", "php3", "php4", "php5", "php7", "phtml",
                                          "jsp", "jspx", "asp",  "aspx", "ashx", "asmx",
                                          "cer", "cfm",  "cgi",  "pl"};

/*
 * Entry points that applications make to be POSTed to by machines, without a
 * GET: WordPress's cron (the server calls itself), its XML-RPC endpoint and
 * AJAX handler, and login pages, which password guessers POST to and get the
 * same page back. They show the webshell pattern when driven by one address.
 */
static const char *const post_endpoints[] = {"wp-cron.php", "xmlrpc.php", "admin-ajax.php",
                                             "wp-login.php"};

/* The last path segment of url (query and fragment excluded): [*seg, *seg + return). */
static size_t last_segment(const char *url, const char **seg)
{
    size_t n = strcspn(url, "?#");
    size_t b = n;
    while (b > 0 && url[b - 1] != '/')
        b--;
    *seg = url + b;
    return n - b;
}

bool ta__script_path(const char *url)
{
    if (url == NULL)
        return false;
    const char *seg;
    size_t n = last_segment(url, &seg);
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (seg[i] == '.')
            dot = seg + i;
    if (dot == NULL)
        return false;
    size_t en = n - (size_t)(dot + 1 - seg);
    for (size_t i = 0; i < sizeof(script_exts) / sizeof(script_exts[0]); i++)
        if (strlen(script_exts[i]) == en && strncasecmp(dot + 1, script_exts[i], en) == 0) {
            for (size_t j = 0; j < sizeof(post_endpoints) / sizeof(post_endpoints[0]); j++)
                if (strlen(post_endpoints[j]) == n && strncasecmp(seg, post_endpoints[j], n) == 0)
                    return false;
            return true;
        }
    return false;
}

ta_err ta__scripts_init(struct ta__scripts *s, const struct ta__script_opts *o)
{
    memset(s, 0, sizeof(*s));
    s->o = *o;
    if (s->o.max_clients > TA__SCRIPT_CLIENTS)
        s->o.max_clients = TA__SCRIPT_CLIENTS;
    return ta__cache_init(&s->c, s->o.max_scripts, sizeof(struct ta__script));
}

void ta__scripts_release(struct ta__scripts *s)
{
    ta__cache_release(&s->c);
}

static void copy_path(char *dst, size_t cap, const char *src, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

void ta__scripts_add(struct ta__scripts *s, const struct ta__script_req *r, bool explained)
{
    size_t pn = strcspn(r->url, "?#");
    const char *host = r->host != NULL ? r->host : "";
    uint64_t h = ta_hash64(ta_hash64(r->server_port, host, strlen(host)), r->url, pn);
    struct ta__ckey k;
    ta__ckey_make(&k, r->server, NULL, h);
    bool fresh;
    struct ta__script *p = ta__cache_put(&s->c, &k, &fresh);
    if (p == NULL)
        return;
    if (fresh) {
        p->server = *r->server;
        p->port = r->server_port;
        copy_path(p->host, sizeof(p->host), host, strlen(host));
        copy_path(p->path, sizeof(p->path), r->url, pn);
        p->resp_min = UINT64_MAX;
        p->delta_min = INT64_MAX;
        p->delta_max = INT64_MIN;
    }
    if (explained)
        p->explained = true;
    const char *m = r->method != NULL ? r->method : "";
    bool post = strcmp(m, "POST") == 0;
    if (post)
        p->posts++;
    else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        p->gets++;
    else
        p->others++;
    if (post && r->have_resp && r->status >= 200 && r->status < 300) {
        p->answered++;
        if (r->resp_size < p->resp_min)
            p->resp_min = r->resp_size;
        if (r->resp_size > p->resp_max)
            p->resp_max = r->resp_size;
        uint64_t a = r->resp_size > INT64_MAX ? INT64_MAX : r->resp_size;
        uint64_t q = r->req_size > INT64_MAX ? INT64_MAX : r->req_size;
        int64_t dl = (int64_t)a - (int64_t)q;
        if (dl < p->delta_min)
            p->delta_min = dl;
        if (dl > p->delta_max)
            p->delta_max = dl;
    }
    struct ta__script_client *c = NULL;
    for (uint32_t i = 0; i < p->nclients; i++)
        if (ta_addr_cmp(&p->clients[i].ip, r->client) == 0)
            c = &p->clients[i];
    if (c == NULL) {
        if (p->nclients >= s->o.max_clients) {
            p->many_clients = true;
            return;
        }
        c = &p->clients[p->nclients++];
        c->ip = *r->client;
        c->first = r->ts;
        c->last = r->ts;
        c->last_flow = r->flow_id;
        c->port = r->client_port;
    }
    c->requests++;
    if (r->ts < c->first)
        c->first = r->ts;
    /* The latest request, the smaller flow on a tie: the same whatever the line order. */
    if (r->ts > c->last || (r->ts == c->last && r->flow_id <= c->last_flow)) {
        c->last = r->ts;
        c->last_flow = r->flow_id;
        c->port = r->client_port;
    }
}

enum ta__script_rule ta__script_verdict(const struct ta__script *p, const struct ta__script_opts *o)
{
    if (p->explained)
        return TA__SCRIPT_EXPLAINED;
    if (p->gets > 0)
        return TA__SCRIPT_GET;
    if (p->others > 0)
        return TA__SCRIPT_OTHER;
    if (p->many_clients || p->nclients > o->max_clients)
        return TA__SCRIPT_MANY_CLIENTS;
    if (p->answered < o->min_posts || p->answered == 0)
        return TA__SCRIPT_FEW_POSTS;
    /* An empty answer is no shell's output (and is what cron hooks answer). */
    /* delta_max >= delta_min: their distance fits in 64 bits unsigned, not signed. */
    bool sized = p->resp_min > 0 && p->resp_max - p->resp_min <= o->size_spread;
    bool framed =
        p->resp_min > 0 && (uint64_t)p->delta_max - (uint64_t)p->delta_min <= o->size_spread;
    if (!sized && !framed)
        return TA__SCRIPT_SIZES;
    return TA__SCRIPT_SUSPECT;
}

const char *ta__script_rule_name(enum ta__script_rule r)
{
    static const char *const names[] = {"suspect",      "get",   "other-method", "few-posts",
                                        "many-clients", "sizes", "explained"};
    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

struct collect {
    struct ta__scripts *s;
    struct ta__script **v;
    size_t n;
};

static void collect_one(void *ud, void *value)
{
    struct collect *c = ud;
    struct ta__script *p = value;
    if (!p->reported && ta__script_verdict(p, &c->s->o) == TA__SCRIPT_SUSPECT)
        c->v[c->n++] = p;
}

static int script_cmp(const void *a, const void *b)
{
    const struct ta__script *x = *(const struct ta__script *const *)a;
    const struct ta__script *y = *(const struct ta__script *const *)b;
    int c = ta_addr_cmp(&x->server, &y->server);
    if (c == 0)
        c = (x->port > y->port) - (x->port < y->port);
    if (c == 0)
        c = strcmp(x->host, y->host);
    if (c == 0)
        c = strcmp(x->path, y->path);
    return c;
}

ta_err ta__scripts_report(struct ta__scripts *s, ta__script_fn fn, void *ud)
{
    if (s->c.n == 0)
        return TA_OK;
    struct collect c = {s, calloc(s->c.n, sizeof(struct ta__script *)), 0};
    if (c.v == NULL)
        return TA_ERR_NOMEM;
    ta__cache_each(&s->c, collect_one, &c);
    qsort(c.v, c.n, sizeof(c.v[0]), script_cmp);
    for (size_t i = 0; i < c.n; i++) {
        c.v[i]->reported = true;
        fn(ud, c.v[i]);
    }
    free(c.v);
    return TA_OK;
}
