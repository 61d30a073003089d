/*
 * HTML report (report --format html): one self-contained page to look at
 * and share. Everything is inline and nothing is fetched when it is opened
 * (a Content-Security-Policy of default-src 'none' says so to the browser),
 * and there is no script at all: the world map is SVG drawn here from the
 * world-atlas shapes, its layers switch with CSS radio buttons, the daily
 * series are SVG bar charts, and every number is also plain HTML text, so
 * the page reads the same without JavaScript, on a phone and when printed.
 *
 * Numbers come from the computed report (pair rows, as in JSON) and from
 * the store's evidence lists (per-country and per-day distinct counts, top
 * ASNs, families and servers); each table row links to the evidence list
 * behind it, shown at the end of the page with the command that gives it
 * in full.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report-int.h"

#include "common/banned.h"

#define DAY_US (86400ll * 1000000ll)
/* Rows of each evidence block, and of the top tables. */
#define EVIDENCE_ROWS 10
#define TOP_ROWS      10
/* Days drawn in the daily series (the period may be longer). */
#define MAX_SERIES_DAYS 400
/* Map: equirectangular, 84N to 60S, in half pixels of a 1000-pixel-wide map. */
#define MAP_W     2000
#define MAP_H     800
#define MAP_NORTH 84.0
#define MAP_SOUTH (-60.0)

/* ---- text ---- */

enum { EN = 0, ZH = 1 };

enum msg {
    M_TITLE,
    M_PERIOD,
    M_STATEMENT,
    M_MAP,
    M_MAP_NOTE,
    M_LAYER_C2,
    M_LAYER_HOSTS,
    M_LAYER_PHISH,
    M_LAYER_BACKDOOR,
    M_PAIRS,
    M_BOTNET,
    M_PHISHING,
    M_BACKDOOR,
    M_SRC,
    M_DST,
    M_EVIDENCE,
    M_SERIES,
    M_SERIES_NOTE,
    M_DAY,
    M_TOP_COUNTRIES,
    M_COUNTRY,
    M_TOP_ASNS,
    M_ASN,
    M_AS_NAME,
    M_TOP_FAMILIES,
    M_FAMILY,
    M_TOP_SERVERS,
    M_SERVER,
    M_HOSTS,
    M_EVENTS,
    M_DATA,
    M_HOME,
    M_INTEL,
    M_GEOIP,
    M_SENSORS,
    M_NOTES,
    M_CREDITS,
    M_EVIDENCE_ALL,
    M_EVIDENCE_CMD,
    M_NONE,
    M_NO_DATA,
    M_NO_DETECTIONS,
    M_UNKNOWN,
    M_SERVERS,
    M_PAGES,
    M_ATTACKS,
    M_WEBSITES,
    M_IPS,
    M_NOT_RECORDED,
    M__COUNT
};

static const char *const msgs[M__COUNT][2] = {
    [M_TITLE] = {"Threat report", "网络安全威胁报告"},
    [M_PERIOD] = {"Period", "统计时段"},
    [M_STATEMENT] = {"Statement", "综述"},
    [M_MAP] = {"World map", "世界地图"},
    [M_MAP_NOTE] = {"Countries shaded by the selected count; lines from the source countries to "
                    "the home constituency, weighted by the count.",
                    "按所选数量为国家或地区着色；连线由来源国家或地区指向本地区，粗细表示数量。"},
    [M_LAYER_C2] = {"C&C servers", "控制服务器"},
    [M_LAYER_HOSTS] = {"Controlled hosts", "受控主机"},
    [M_LAYER_PHISH] = {"Phishing hosts", "钓鱼网站主机"},
    [M_LAYER_BACKDOOR] = {"Backdoor attackers", "后门攻击IP"},
    [M_PAIRS] = {"Counts by country pair", "按国家或地区统计"},
    [M_BOTNET] = {"Botnets (C&C)", "木马和僵尸网络"},
    [M_PHISHING] = {"Phishing", "网页仿冒"},
    [M_BACKDOOR] = {"Backdoors (webshells)", "网站后门"},
    [M_SRC] = {"Source", "来源"},
    [M_DST] = {"Target", "目标"},
    [M_EVIDENCE] = {"evidence", "证据"},
    [M_SERIES] = {"Daily series", "每日趋势"},
    [M_SERIES_NOTE] = {"Distinct addresses seen each day.", "每日出现的不同地址数。"},
    [M_DAY] = {"Day", "日期"},
    [M_TOP_COUNTRIES] = {"Top countries", "主要国家或地区"},
    [M_COUNTRY] = {"Country", "国家或地区"},
    [M_TOP_ASNS] = {"Top autonomous systems (C&C servers)", "主要自治系统（控制服务器）"},
    [M_ASN] = {"ASN", "自治系统号"},
    [M_AS_NAME] = {"Name", "名称"},
    [M_TOP_FAMILIES] = {"Top malware families", "主要恶意代码家族"},
    [M_FAMILY] = {"Family", "家族"},
    [M_TOP_SERVERS] = {"Top C&C servers", "主要控制服务器"},
    [M_SERVER] = {"Server", "服务器"},
    [M_HOSTS] = {"Hosts", "主机"},
    [M_EVENTS] = {"Events", "事件"},
    [M_DATA] = {"Data", "数据说明"},
    [M_HOME] = {"Home constituency", "本地区"},
    [M_INTEL] = {"Threat intel", "威胁情报"},
    [M_GEOIP] = {"GeoIP", "IP地理位置数据"},
    [M_SENSORS] = {"Sensors", "传感器"},
    [M_NOTES] = {"Notes", "说明"},
    [M_CREDITS] = {"Credits", "数据来源"},
    [M_EVIDENCE_ALL] = {"Evidence", "证据列表"},
    [M_EVIDENCE_CMD] = {"The full list:", "完整列表："},
    [M_NONE] = {"(none in this period)", "（本时段无）"},
    [M_NO_DATA] = {"No data: the database holds no analysis.", "无数据：数据库中没有分析结果。"},
    [M_NO_DETECTIONS] = {"No detections in the period.", "本时段无检测结果。"},
    [M_UNKNOWN] = {"an unknown country", "未知国家或地区"},
    [M_SERVERS] = {"C&C servers", "控制服务器"},
    [M_PAGES] = {"Phishing pages", "钓鱼页面"},
    [M_ATTACKS] = {"Attacks", "攻击事件"},
    [M_WEBSITES] = {"Websites", "网站"},
    [M_IPS] = {"Attacker IPs", "攻击IP"},
    [M_NOT_RECORDED] = {"(not recorded)", "（未记录）"},
};

/* ---- output with a sticky error ---- */

struct out {
    FILE *f;
    int lang;
    ta_err err;
};

static void put(struct out *o, const char *s)
{
    fputs(s, o->f);
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->f, fmt, ap);
    va_end(ap);
}

/* Text escaped for element content and attribute values. */
static void esc(struct out *o, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&':
            put(o, "&amp;");
            break;
        case '<':
            put(o, "&lt;");
            break;
        case '>':
            put(o, "&gt;");
            break;
        case '"':
            put(o, "&quot;");
            break;
        case '\'':
            put(o, "&#39;");
            break;
        default:
            fputc(*s, o->f);
        }
    }
}

static const char *M(const struct out *o, enum msg m)
{
    return msgs[m][o->lang];
}

static char *num(uint64_t v, char buf[32])
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = t[i];
    }
    buf[k] = '\0';
    return buf;
}

static void day_str(int64_t day, char buf[TA_TS_STRLEN])
{
    ta_time_format((ta_time_us)day * (ta_time_us)DAY_US, buf, TA_TS_STRLEN);
    buf[10] = '\0';
}

/* ---- countries: codes, names, shapes ---- */

struct country {
    char cc[3];
    int num;        /* ISO 3166 numeric, 0 unknown */
    char *name[2];  /* English, Chinese */
    char *path;     /* SVG path data, NULL: no shape */
    int cx, cy;     /* where lines start and end (map units) */
    bool has_point; /* cx, cy valid */
    uint64_t v[4];  /* per layer: C&C servers, controlled hosts, phishing hosts, attackers */
};

struct world {
    struct country *c;
    size_t n;
};

static void world_free(struct world *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->c[i].name[0]);
        free(w->c[i].name[1]);
        free(w->c[i].path);
    }
    free(w->c);
    w->c = NULL;
    w->n = 0;
}

static struct country *country_get(struct world *w, const char *cc)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->c[i].cc, cc) == 0)
            return &w->c[i];
    }
    return NULL;
}

static char *dup_json_name(json_t *v)
{
    /* A name is a string or a list of names, the official one first. */
    if (json_is_array(v))
        v = json_array_get(v, 0);
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    char *c = malloc(n + 1);
    if (c != NULL)
        memcpy(c, json_string_value(v), n + 1);
    return c;
}

static ta_err load_names(struct world *w, const char *dir, char *why, size_t whylen)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/codes.json", dir);
    json_t *codes = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/langs/en.json", dir);
    json_t *en = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/langs/zh.json", dir);
    json_t *zh = json_load_file(p, 0, NULL);
    ta_err err = TA_OK;
    json_t *enc = json_object_get(en, "countries"), *zhc = json_object_get(zh, "countries");
    if (!json_is_array(codes) || !json_is_object(enc) || !json_is_object(zhc)) {
        snprintf(why, whylen, "country names not found in %s (run threatatlas geo install)", dir);
        err = TA_ERR_NOTFOUND;
        goto out;
    }
    w->c = calloc(json_array_size(codes) + 1, sizeof(*w->c));
    if (w->c == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    size_t i;
    json_t *row;
    json_array_foreach(codes, i, row)
    {
        const char *a2 = json_string_value(json_array_get(row, 0));
        const char *nm = json_string_value(json_array_get(row, 2));
        if (a2 == NULL || strlen(a2) != 2)
            continue;
        struct country *c = &w->c[w->n++];
        memcpy(c->cc, a2, 3);
        c->num = nm != NULL ? atoi(nm) : 0;
        c->name[EN] = dup_json_name(json_object_get(enc, a2));
        c->name[ZH] = dup_json_name(json_object_get(zhc, a2));
    }
out:
    json_decref(codes);
    json_decref(en);
    json_decref(zh);
    return err;
}

/* A growable string. */
struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = true;
            return;
        }
        if (b->p != NULL && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + (size_t)k + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

struct pt {
    int x, y;
};

static struct pt project(double lon, double lat)
{
    if (lat > MAP_NORTH)
        lat = MAP_NORTH;
    if (lat < MAP_SOUTH)
        lat = MAP_SOUTH;
    struct pt p;
    p.x = (int)lround((lon + 180.0) / 360.0 * MAP_W);
    p.y = (int)lround((MAP_NORTH - lat) / 360.0 * MAP_W);
    return p;
}

struct arcs {
    struct pt **a; /* projected points of each arc */
    size_t *len;
    size_t n;
};

static void arcs_free(struct arcs *A)
{
    for (size_t i = 0; i < A->n; i++)
        free(A->a[i]);
    free(A->a);
    free(A->len);
}

static ta_err decode_arcs(json_t *topo, struct arcs *A)
{
    json_t *tr = json_object_get(topo, "transform"), *arcs = json_object_get(topo, "arcs");
    json_t *sc = json_object_get(tr, "scale"), *tl = json_object_get(tr, "translate");
    if (!json_is_array(arcs) || !json_is_array(sc) || !json_is_array(tl))
        return TA_ERR_FORMAT;
    double sx = json_number_value(json_array_get(sc, 0)),
           sy = json_number_value(json_array_get(sc, 1));
    double tx = json_number_value(json_array_get(tl, 0)),
           ty = json_number_value(json_array_get(tl, 1));
    A->n = json_array_size(arcs);
    A->a = calloc(A->n ? A->n : 1, sizeof(*A->a));
    A->len = calloc(A->n ? A->n : 1, sizeof(*A->len));
    if (A->a == NULL || A->len == NULL)
        return TA_ERR_NOMEM;
    size_t i;
    json_t *arc;
    json_array_foreach(arcs, i, arc)
    {
        size_t np = json_array_size(arc);
        A->a[i] = malloc((np ? np : 1) * sizeof(struct pt));
        if (A->a[i] == NULL)
            return TA_ERR_NOMEM;
        double qx = 0, qy = 0;
        size_t k;
        json_t *q;
        json_array_foreach(arc, k, q)
        {
            qx += json_number_value(json_array_get(q, 0));
            qy += json_number_value(json_array_get(q, 1));
            A->a[i][k] = project(qx * sx + tx, qy * sy + ty);
        }
        A->len[i] = np;
    }
    return TA_OK;
}

/* Append one ring (a list of arc indices) to the path; track the largest ring's box. */
static void add_ring(struct sbuf *b, const struct arcs *A, json_t *ring, struct country *c,
                     long *best_area)
{
    struct pt prev = {0, 0};
    int offset = 0;
    size_t npts = 0;
    int minx = MAP_W * 2, miny = MAP_H * 4, maxx = -1, maxy = -1;
    size_t mark = b->n;
    size_t i;
    json_t *ai;
    json_array_foreach(ring, i, ai)
    {
        json_int_t a = json_integer_value(ai);
        bool rev = a < 0;
        size_t idx = (size_t)(rev ? ~a : a);
        if (idx >= A->n)
            continue;
        size_t len = A->len[idx];
        for (size_t k = i == 0 ? 0 : 1; k < len; k++) {
            struct pt p = A->a[idx][rev ? len - 1 - k : k];
            /* A ring that crosses the antimeridian jumps across the map:
             * keep it going the short way (the SVG clips what falls off). */
            p.x += offset;
            if (npts > 0 && p.x - prev.x > MAP_W / 2) {
                offset -= MAP_W;
                p.x -= MAP_W;
            } else if (npts > 0 && prev.x - p.x > MAP_W / 2) {
                offset += MAP_W;
                p.x += MAP_W;
            }
            if (npts == 0) {
                sb_add(b, "M%d %d", p.x, p.y);
            } else if (p.x != prev.x || p.y != prev.y) {
                sb_add(b, "l%d %d", p.x - prev.x, p.y - prev.y);
            } else {
                continue;
            }
            prev = p;
            npts++;
            minx = p.x < minx ? p.x : minx;
            maxx = p.x > maxx ? p.x : maxx;
            miny = p.y < miny ? p.y : miny;
            maxy = p.y > maxy ? p.y : maxy;
        }
    }
    if (npts < 3) {
        /* Too small to draw at this scale: the country gets a dot instead
         * if nothing else of it is drawn. */
        b->n = mark;
        if (b->p != NULL)
            b->p[mark] = '\0';
        if (!c->has_point && maxx >= 0) {
            c->cx = (minx + maxx) / 2;
            c->cy = (miny + maxy) / 2;
            c->has_point = true;
        }
        return;
    }
    sb_add(b, "z");
    long area = (long)(maxx - minx + 1) * (long)(maxy - miny + 1);
    if (area > *best_area) {
        *best_area = area;
        c->cx = (minx + maxx) / 2;
        c->cy = (miny + maxy) / 2;
        c->has_point = true;
    }
}

static ta_err load_shapes(struct world *w, const char *file, char *why, size_t whylen)
{
    json_t *topo = json_load_file(file, 0, NULL);
    json_t *geoms = json_object_get(json_object_get(json_object_get(topo, "objects"), "countries"),
                                    "geometries");
    struct arcs A = {0};
    ta_err err = TA_OK;
    if (!json_is_array(geoms)) {
        snprintf(why, whylen,
                 "map data not found or not TopoJSON: %s (run threatatlas geo install)", file);
        err = TA_ERR_NOTFOUND;
        goto out;
    }
    if ((err = decode_arcs(topo, &A)) != TA_OK) {
        snprintf(why, whylen, "map data %s: bad arcs", file);
        goto out;
    }
    size_t i;
    json_t *g;
    json_array_foreach(geoms, i, g)
    {
        const char *id = json_string_value(json_object_get(g, "id"));
        if (id == NULL)
            continue;
        int numid = atoi(id);
        struct country *c = NULL;
        for (size_t k = 0; k < w->n && c == NULL; k++)
            if (w->c[k].num == numid && numid > 0)
                c = &w->c[k];
        if (c == NULL || c->path != NULL)
            continue;
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *arcs = json_object_get(g, "arcs");
        struct sbuf b = {0};
        long best = -1;
        size_t k;
        json_t *x;
        if (type != NULL && strcmp(type, "Polygon") == 0) {
            json_array_foreach(arcs, k, x) add_ring(&b, &A, x, c, &best);
        } else if (type != NULL && strcmp(type, "MultiPolygon") == 0) {
            json_array_foreach(arcs, k, x)
            {
                size_t r;
                json_t *ring;
                json_array_foreach(x, r, ring) add_ring(&b, &A, ring, c, &best);
            }
        }
        if (b.oom) {
            free(b.p);
            err = TA_ERR_NOMEM;
            goto out;
        }
        c->path = b.p; /* NULL when every ring was too small */
    }
out:
    arcs_free(&A);
    json_decref(topo);
    return err;
}

static const char *cname(const struct out *o, struct world *w, const char *cc)
{
    if (cc == NULL || cc[0] == '\0')
        return M(o, M_UNKNOWN);
    struct country *c = country_get(w, cc);
    if (c != NULL && c->name[o->lang] != NULL)
        return c->name[o->lang];
    if (c != NULL && c->name[EN] != NULL)
        return c->name[EN];
    return cc;
}

/* ---- evidence blocks, requested by table rows, written at the end ---- */

struct evref {
    enum ta_store_list list;
    char src[3], dst[3];
};

struct evset {
    struct evref *v;
    size_t n, cap;
    bool oom;
};

/* The anchor of the block for (list, src, dst), requesting it. */
static void ev_link(struct out *o, struct evset *e, enum ta_store_list l, const char *src,
                    const char *dst)
{
    size_t i;
    for (i = 0; i < e->n; i++) {
        if (e->v[i].list == l && strcmp(e->v[i].src, src) == 0 && strcmp(e->v[i].dst, dst) == 0)
            break;
    }
    if (i == e->n) {
        if (e->n == e->cap) {
            size_t cap = e->cap ? e->cap * 2 : 32;
            struct evref *nv = realloc(e->v, cap * sizeof(*nv));
            if (nv == NULL) {
                e->oom = true;
                return;
            }
            e->v = nv;
            e->cap = cap;
        }
        e->v[e->n].list = l;
        snprintf(e->v[e->n].src, 3, "%s", src);
        snprintf(e->v[e->n].dst, 3, "%s", dst);
        e->n++;
    }
    putf(o, "<a class=\"ev\" href=\"#ev-%s-%s-%s\">%s</a>", ta_store_list_name(l),
         src[0] ? src : "any", dst[0] ? dst : "any", M(o, M_EVIDENCE));
}

/* ---- per-country, per-ASN, per-family and per-day counts from the lists ---- */

struct tally {
    struct out *o;
    struct world *w;
    int layer;
    int c_cc, c_asn, c_asname, c_family, c_ip, c_hosts, c_events;
    /* c2-servers rows kept for the top tables */
    struct server {
        char ip[TA_ADDR_STRLEN];
        char cc[3];
        int64_t asn;
        char *as_name, *family;
        int64_t hosts, events;
    } * srv;
    size_t nsrv, capsrv;
    uint64_t rows;
    /* countries in the data but unknown to the names table */
    ta_err err;
};

static int col(const struct ta_store_col *cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cols[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

static const char *ctext(const struct ta_store_cell *c)
{
    return c->null || c->text == NULL ? "" : c->text;
}

static char *sdup(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c != NULL)
        memcpy(c, s, n + 1);
    return c;
}

static ta_err tally_row(void *ctx, const struct ta_store_cell *cells, size_t nc)
{
    struct tally *t = ctx;
    (void)nc;
    t->rows++;
    if (t->layer < 0)
        return TA_OK;
    const char *cc = t->c_cc >= 0 ? ctext(&cells[t->c_cc]) : "";
    struct country *c = country_get(t->w, cc);
    if (c != NULL)
        c->v[t->layer]++;
    if (t->layer != 0 || t->srv == NULL)
        return TA_OK;
    if (t->nsrv == t->capsrv) {
        size_t cap = t->capsrv * 2;
        struct server *nv = realloc(t->srv, cap * sizeof(*nv));
        if (nv == NULL)
            return TA_ERR_NOMEM;
        t->srv = nv;
        t->capsrv = cap;
    }
    struct server *s = &t->srv[t->nsrv];
    memset(s, 0, sizeof(*s));
    const struct ta_store_cell *ip = &cells[t->c_ip];
    struct ta_addr a;
    if (ip->addr_len == 4 || ip->addr_len == 16) {
        if (ip->addr_len == 4)
            ta_addr_set_v4(&a, ip->addr);
        else
            ta_addr_set_v6(&a, ip->addr);
        ta_addr_format(&a, s->ip, sizeof(s->ip));
    }
    snprintf(s->cc, sizeof(s->cc), "%s", cc);
    s->asn = cells[t->c_asn].i;
    s->hosts = cells[t->c_hosts].i;
    s->events = cells[t->c_events].i;
    s->as_name = sdup(ctext(&cells[t->c_asname]));
    s->family = sdup(ctext(&cells[t->c_family]));
    if (s->as_name == NULL || s->family == NULL) {
        free(s->as_name);
        free(s->family);
        return TA_ERR_NOMEM;
    }
    t->nsrv++;
    return TA_OK;
}

static ta_err tally_list(struct ta_store *st, const struct ta_store_period *p, enum ta_store_list l,
                         int layer, struct tally *t)
{
    size_t nc;
    const struct ta_store_col *cols = ta_store_list_cols(l, &nc);
    t->layer = layer;
    t->rows = 0;
    t->c_cc = col(cols, nc, "cc");
    t->c_ip = col(cols, nc, "ip");
    t->c_asn = col(cols, nc, "asn");
    t->c_asname = col(cols, nc, "as_name");
    t->c_family = col(cols, nc, "family");
    t->c_hosts = col(cols, nc, "hosts");
    t->c_events = col(cols, nc, "events");
    return ta_store_list(st, p, l, 0, tally_row, t);
}

/* ---- page parts ---- */

static const char *const layer_lists[4] = {"c2-servers", "controlled-hosts", "phishing-hosts",
                                           "backdoor-sources"};
static const enum ta_store_list layer_list[4] = {
    TA_STORE_LIST_C2_SERVERS, TA_STORE_LIST_CONTROLLED_HOSTS, TA_STORE_LIST_PHISHING_HOSTS,
    TA_STORE_LIST_BACKDOOR_SOURCES};
static const enum msg layer_msg[4] = {M_LAYER_C2, M_LAYER_HOSTS, M_LAYER_PHISH, M_LAYER_BACKDOOR};
static const char *const shades[5] = {"#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"};

static int shade_of(uint64_t v, uint64_t max)
{
    if (v == 0 || max == 0)
        return -1;
    int s = (int)((double)v / (double)max * 5.0 - 1e-9);
    return s < 0 ? 0 : s > 4 ? 4 : s;
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC',"
    "sans-serif;margin:0 auto;max-width:1100px;padding:0 12px 40px;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin:.6em 0 .2em}h2{font-size:1.25em;margin:1.4em 0 .4em;"
    "border-bottom:1px solid #ddd}h3{font-size:1.05em;margin:1em 0 .3em}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:.3em 0;font-size:.92em}"
    "th,td{border-bottom:1px solid #e4e4e4;padding:3px 8px;text-align:left;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "p.stmt{margin:.35em 0}figure{margin:0}svg{width:100%;height:auto;display:block}"
    ".map svg{background:#eef3f8}.map path{fill:#d9d9d9;stroke:#fff;stroke-width:.8}"
    ".map circle.dot{fill:#d9d9d9;stroke:#888;stroke-width:.8}"
    ".lines{display:none}.lines path{fill:none;stroke:#1f4e79;stroke-opacity:.65;"
    "stroke-linecap:round}"
    ".layers input{position:absolute;opacity:0}.layers label{display:inline-block;"
    "padding:4px 10px;margin:0 4px 6px 0;border:1px solid #bbb;border-radius:14px;"
    "cursor:pointer;font-size:.92em}.layers input:checked+label{background:#1f4e79;color:#fff;"
    "border-color:#1f4e79}.legend span{display:inline-block;width:14px;height:10px;"
    "margin:0 2px 0 8px}.chart{max-width:640px}.chart rect{fill:#de2d26}.chart "
    "text{font-size:11px;fill:#555}"
    "code{font-size:.9em;background:#f4f4f4;padding:1px 4px;word-break:break-all}"
    "a.ev{font-size:.85em}small{color:#666}"
    "@media (max-width:600px){body{padding:0 6px 30px}th,td{padding:2px 4px}}";

static void write_head(struct out *o, const struct ta_report *r, struct world *w)
{
    char from[TA_TS_STRLEN], to[TA_TS_STRLEN];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    putf(o,
         "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">\n"
         "<meta name=\"generator\" content=\"threatatlas\">\n<title>%s %s – %s</title>\n",
         o->lang == ZH ? "zh-CN" : "en", M(o, M_TITLE), from, to);
    putf(o, "<style>%s", css);
    /* Map fills per layer: only the countries with a count get a rule. */
    for (int l = 0; l < 4; l++) {
        uint64_t max = 0;
        for (size_t i = 0; i < w->n; i++)
            max = w->c[i].v[l] > max ? w->c[i].v[l] : max;
        putf(o, "#layer-%d:checked~figure .l%d{display:inline}", l, l);
        for (size_t i = 0; i < w->n; i++) {
            int s = shade_of(w->c[i].v[l], max);
            if (s >= 0)
                putf(o, "#layer-%d:checked~figure [data-cc=\"%s\"]{fill:%s}", l, w->c[i].cc,
                     shades[s]);
        }
    }
    put(o, "</style>\n</head>\n<body>\n");
}

static void write_statement(struct out *o, const struct ta_report *r, struct world *w,
                            const char *text);

/* The pair tables, shaped like the JSON report (one table per section). */
static void write_pairs(struct out *o, const struct ta_report *r, struct world *w, struct evset *e)
{
    static const enum msg sec_msg[3] = {M_BOTNET, M_PHISHING, M_BACKDOOR};
    static const char *const sec_id[3] = {"botnet", "phishing", "backdoor"};
    static const enum ta_store_list sec_list[3] = {
        TA_STORE_LIST_C2_SERVERS, TA_STORE_LIST_PHISHING_HOSTS, TA_STORE_LIST_BACKDOOR_SOURCES};
    putf(o, "<h2 id=\"pairs\">%s</h2>\n", M(o, M_PAIRS));
    for (int sec = 0; sec < 3; sec++) {
        const struct ta_report_row *rows;
        size_t n = ta_report_rows(r, (enum ta_report_section)sec, false, &rows);
        putf(o, "<h3>%s</h3>\n<div class=\"scroll\"><table id=\"%s\">\n<tr><th>%s</th><th>%s</th>",
             M(o, sec_msg[sec]), sec_id[sec], M(o, M_SRC), M(o, M_DST));
        if (sec == 0)
            putf(o,
                 "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>"
                 "<th class=\"n\">%s</th>",
                 M(o, M_SERVERS), M(o, M_LAYER_HOSTS), "established", "undated");
        else if (sec == 1)
            putf(o, "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>",
                 M(o, M_HOSTS), M(o, M_PAGES), M(o, M_ATTACKS));
        else
            putf(o, "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>",
                 M(o, M_IPS), M(o, M_ATTACKS), M(o, M_WEBSITES));
        put(o, "<th></th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            const struct ta_report_row *x = &rows[i];
            char a[32], b[32], c[32], d[32];
            putf(o, "<tr data-src=\"%s\" data-dst=\"%s\"><td>", x->src_cc, x->dst_cc);
            esc(o, cname(o, w, x->src_cc));
            putf(o, " <small>%s</small></td><td>", x->src_cc);
            esc(o, cname(o, w, x->dst_cc));
            putf(o, " <small>%s</small></td>", x->dst_cc);
            if (sec == 0)
                putf(o,
                     "<td class=\"n\" data-k=\"c2_servers\">%s</td>"
                     "<td class=\"n\" data-k=\"controlled_hosts\">%s</td>"
                     "<td class=\"n\" data-k=\"controlled_hosts_established\">%s</td>"
                     "<td class=\"n\" data-k=\"c2_servers_undated\">%s</td>",
                     num(x->attackers, a), num(x->targets, b), num(x->established, c),
                     num(x->undated, d));
            else if (sec == 1)
                putf(o,
                     "<td class=\"n\" data-k=\"phishing_hosts\">%s</td>"
                     "<td class=\"n\" data-k=\"phishing_pages\">%s</td>"
                     "<td class=\"n\" data-k=\"phishing_attacks\">%s</td>",
                     num(x->attackers, a), num(x->targets, b), num(x->flows, c));
            else
                putf(o,
                     "<td class=\"n\" data-k=\"attacker_ips\">%s</td>"
                     "<td class=\"n\" data-k=\"backdoor_attacks\">%s</td>"
                     "<td class=\"n\" data-k=\"compromised_websites\">%s</td>",
                     num(x->attackers, a), num(x->events, b), num(x->targets, c));
            put(o, "<td>");
            ev_link(o, e, sec_list[sec], x->src_cc, x->dst_cc);
            put(o, "</td></tr>\n");
        }
        if (n == 0)
            putf(o, "<tr><td colspan=\"7\">%s</td></tr>\n", M(o, M_NONE));
        put(o, "</table></div>\n");
    }
}

static bool is_home(const struct ta_report *r, const char *cc)
{
    for (size_t i = 0; i < r->n_homes; i++)
        if (strcmp(r->homes[i], cc) == 0)
            return true;
    return false;
}

static void write_map(struct out *o, const struct ta_report *r, struct world *w)
{
    putf(o, "<h2 id=\"map\">%s</h2>\n<p><small>%s</small></p>\n<div class=\"layers\">\n",
         M(o, M_MAP), M(o, M_MAP_NOTE));
    for (int l = 0; l < 4; l++)
        putf(o,
             "<input type=\"radio\" name=\"layer\" id=\"layer-%d\"%s><label "
             "for=\"layer-%d\">%s</label>\n",
             l, l == 0 ? " checked" : "", l, M(o, layer_msg[l]));
    putf(o, "<figure class=\"map\"><svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
         MAP_W, MAP_H, M(o, M_MAP));
    for (size_t i = 0; i < w->n; i++) {
        struct country *c = &w->c[i];
        bool counted = c->v[0] || c->v[1] || c->v[2] || c->v[3];
        if (c->path == NULL && !(counted && c->has_point))
            continue;
        if (c->path != NULL)
            putf(o, "<path d=\"%s\"", c->path);
        else
            putf(o, "<circle class=\"dot\" cx=\"%d\" cy=\"%d\" r=\"6\"", c->cx, c->cy);
        putf(o, " data-cc=\"%s\"", c->cc);
        if (counted)
            putf(o,
                 " data-c2-servers=\"%llu\" data-controlled-hosts=\"%llu\" "
                 "data-phishing-hosts=\"%llu\" data-backdoor-sources=\"%llu\"",
                 (unsigned long long)c->v[0], (unsigned long long)c->v[1],
                 (unsigned long long)c->v[2], (unsigned long long)c->v[3]);
        put(o, "><title>");
        esc(o, cname(o, w, c->cc));
        if (counted) {
            char a[32];
            for (int l = 0; l < 4; l++) {
                putf(o, "%s%s: %s", l ? "; " : " — ", M(o, layer_msg[l]), num(c->v[l], a));
            }
        }
        put(o, c->path != NULL ? "</title></path>\n" : "</title></circle>\n");
    }
    /* Lines to the home constituency, one group per layer. */
    for (int l = 0; l < 4; l++) {
        enum ta_report_section sec = l < 2    ? TA_REPORT_BOTNET
                                     : l == 2 ? TA_REPORT_PHISHING
                                              : TA_REPORT_BACKDOOR;
        const struct ta_report_row *rows;
        size_t n = ta_report_rows(r, sec, false, &rows);
        uint64_t max = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = l == 1 ? rows[i].targets : rows[i].attackers;
            max = v > max ? v : max;
        }
        putf(o, "<g class=\"lines l%d\">", l);
        for (size_t i = 0; i < n; i++) {
            const struct ta_report_row *x = &rows[i];
            uint64_t v = l == 1 ? x->targets : x->attackers;
            struct country *s = country_get(w, x->src_cc), *d = country_get(w, x->dst_cc);
            if (s == NULL || d == NULL || s == d || !s->has_point || !d->has_point || v == 0 ||
                !is_home(r, x->dst_cc))
                continue;
            double width = 1.5 + 8.0 * (double)v / (double)max;
            int mx = (s->cx + d->cx) / 2, my = (s->cy + d->cy) / 2;
            int dx = d->cx - s->cx, dy = d->cy - s->cy;
            /* Bend the line upwards, a fifth of its length. */
            int qx = mx + dy / 5, qy = my - abs(dx) / 5;
            putf(o,
                 "<path data-src=\"%s\" data-dst=\"%s\" data-v=\"%llu\" stroke-width=\"%.1f\" "
                 "d=\"M%d %dQ%d %d %d %d\"><title>%s → %s: %llu</title></path>",
                 x->src_cc, x->dst_cc, (unsigned long long)v, width, s->cx, s->cy, qx, qy, d->cx,
                 d->cy, x->src_cc, x->dst_cc, (unsigned long long)v);
        }
        put(o, "</g>\n");
    }
    put(o, "</svg><figcaption class=\"legend\"><small>");
    for (int s = 0; s < 5; s++)
        putf(o, "<span style=\"background:%s\"></span>%s", shades[s],
             s == 0   ? (o->lang == ZH ? "少" : "fewer")
             : s == 4 ? (o->lang == ZH ? "多" : "more")
                      : "");
    put(o, "</small></figcaption></figure>\n</div>\n");
}

static void write_top_countries(struct out *o, struct world *w, struct evset *e)
{
    putf(o,
         "<h2 id=\"countries\">%s</h2>\n<div class=\"scroll\"><table id=\"top-countries\">\n"
         "<tr><th>%s</th>",
         M(o, M_TOP_COUNTRIES), M(o, M_COUNTRY));
    for (int l = 0; l < 4; l++)
        putf(o, "<th class=\"n\">%s</th>", M(o, layer_msg[l]));
    put(o, "<th></th></tr>\n");
    /* Largest first by C&C servers, then the other layers. */
    size_t *idx = malloc((w->n ? w->n : 1) * sizeof(*idx)), k = 0;
    if (idx == NULL) {
        o->err = TA_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        if (w->c[i].v[0] || w->c[i].v[1] || w->c[i].v[2] || w->c[i].v[3])
            idx[k++] = i;
    for (size_t i = 1; i < k; i++) {
        size_t x = idx[i], j = i;
        for (; j > 0; j--) {
            const struct country *a = &w->c[idx[j - 1]], *b = &w->c[x];
            int c = 0;
            for (int l = 0; l < 4 && c == 0; l++)
                c = a->v[l] < b->v[l] ? 1 : a->v[l] > b->v[l] ? -1 : 0;
            if (c <= 0)
                break;
            idx[j] = idx[j - 1];
        }
        idx[j] = x;
    }
    for (size_t i = 0; i < k && i < 2 * TOP_ROWS; i++) {
        const struct country *c = &w->c[idx[i]];
        char a[32];
        putf(o, "<tr data-cc=\"%s\"><td>", c->cc);
        esc(o, cname(o, w, c->cc));
        putf(o, " <small>%s</small></td>", c->cc);
        for (int l = 0; l < 4; l++)
            putf(o, "<td class=\"n\" data-k=\"%s\">%s</td>", layer_lists[l], num(c->v[l], a));
        put(o, "<td>");
        /* The list of the layer this country counts most in. */
        int best = 0;
        for (int l = 1; l < 4; l++)
            if (c->v[l] > 0 && c->v[best] == 0)
                best = l;
        ev_link(o, e, layer_list[best], best == 1 ? "" : c->cc, best == 1 ? c->cc : "");
        put(o, "</td></tr>\n");
    }
    if (k == 0)
        putf(o, "<tr><td colspan=\"6\">%s</td></tr>\n", M(o, M_NONE));
    put(o, "</table></div>\n");
    free(idx);
}

struct agg {
    char key[128];
    char label[128];
    uint64_t servers, hosts;
};

static void agg_add(struct agg **v, size_t *n, size_t *cap, const char *key, const char *label,
                    uint64_t hosts, bool *oom)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*v)[i].key, key) == 0) {
            (*v)[i].servers++;
            (*v)[i].hosts += hosts;
            return;
        }
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        struct agg *nv = realloc(*v, c * sizeof(*nv));
        if (nv == NULL) {
            *oom = true;
            return;
        }
        *v = nv;
        *cap = c;
    }
    struct agg *a = &(*v)[(*n)++];
    snprintf(a->key, sizeof(a->key), "%s", key);
    snprintf(a->label, sizeof(a->label), "%s", label);
    a->servers = 1;
    a->hosts = hosts;
}

static int cmp_agg(const void *x, const void *y)
{
    const struct agg *a = x, *b = y;
    if (a->servers != b->servers)
        return a->servers > b->servers ? -1 : 1;
    if (a->hosts != b->hosts)
        return a->hosts > b->hosts ? -1 : 1;
    return strcmp(a->key, b->key);
}

static void write_top_tables(struct out *o, struct world *w, const struct tally *t, struct evset *e)
{
    struct agg *asn = NULL, *fam = NULL;
    size_t nasn = 0, capasn = 0, nfam = 0, capfam = 0;
    bool oom = false;
    for (size_t i = 0; i < t->nsrv; i++) {
        const struct server *s = &t->srv[i];
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)s->asn);
        if (s->asn > 0)
            agg_add(&asn, &nasn, &capasn, key, s->as_name, (uint64_t)s->hosts, &oom);
        const char *p = s->family;
        while (*p) {
            size_t n = strcspn(p, ",");
            char f[128];
            snprintf(f, sizeof(f), "%.*s", (int)(n < 127 ? n : 127), p);
            if (f[0])
                agg_add(&fam, &nfam, &capfam, f, f, (uint64_t)s->hosts, &oom);
            p += n;
            p += *p == ',';
        }
    }
    if (oom)
        o->err = TA_ERR_NOMEM;
    if (nasn > 1)
        qsort(asn, nasn, sizeof(*asn), cmp_agg);
    if (nfam > 1)
        qsort(fam, nfam, sizeof(*fam), cmp_agg);
    char a[32], b[32];
    putf(o,
         "<h2 id=\"asns\">%s</h2>\n<div class=\"scroll\"><table id=\"top-asns\">\n<tr><th>%s</th>"
         "<th>%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th><th></th></tr>\n",
         M(o, M_TOP_ASNS), M(o, M_ASN), M(o, M_AS_NAME), M(o, M_SERVERS), M(o, M_LAYER_HOSTS));
    for (size_t i = 0; i < nasn && i < TOP_ROWS; i++) {
        putf(o, "<tr data-asn=\"%s\"><td>AS%s</td><td>", asn[i].key, asn[i].key);
        esc(o, asn[i].label);
        putf(o, "</td><td class=\"n\" data-k=\"servers\">%s</td><td class=\"n\">%s</td><td>",
             num(asn[i].servers, a), num(asn[i].hosts, b));
        ev_link(o, e, TA_STORE_LIST_C2_SERVERS, "", "");
        put(o, "</td></tr>\n");
    }
    if (nasn == 0)
        putf(o, "<tr><td colspan=\"5\">%s</td></tr>\n", M(o, M_NONE));
    put(o, "</table></div>\n");
    putf(o,
         "<h2 id=\"families\">%s</h2>\n<div class=\"scroll\"><table id=\"top-families\">\n"
         "<tr><th>%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th><th></th></tr>\n",
         M(o, M_TOP_FAMILIES), M(o, M_FAMILY), M(o, M_SERVERS), M(o, M_LAYER_HOSTS));
    for (size_t i = 0; i < nfam && i < TOP_ROWS; i++) {
        put(o, "<tr data-family=\"");
        esc(o, fam[i].key);
        put(o, "\"><td>");
        esc(o, fam[i].label);
        putf(o, "</td><td class=\"n\" data-k=\"servers\">%s</td><td class=\"n\">%s</td><td>",
             num(fam[i].servers, a), num(fam[i].hosts, b));
        ev_link(o, e, TA_STORE_LIST_C2_SERVERS, "", "");
        put(o, "</td></tr>\n");
    }
    if (nfam == 0)
        putf(o, "<tr><td colspan=\"4\">%s</td></tr>\n", M(o, M_NONE));
    put(o, "</table></div>\n");
    free(asn);
    free(fam);

    putf(o,
         "<h2 id=\"servers\">%s</h2>\n<div class=\"scroll\"><table id=\"top-servers\">\n"
         "<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th class=\"n\">%s</th>"
         "<th class=\"n\">%s</th><th></th></tr>\n",
         M(o, M_TOP_SERVERS), M(o, M_SERVER), M(o, M_COUNTRY), M(o, M_ASN), M(o, M_FAMILY),
         M(o, M_HOSTS), M(o, M_EVENTS));
    for (size_t i = 0; i < t->nsrv && i < TOP_ROWS; i++) {
        const struct server *s = &t->srv[i];
        putf(o, "<tr data-ip=\"%s\"><td>%s</td><td>", s->ip, s->ip);
        esc(o, cname(o, w, s->cc));
        putf(o, " <small>%s</small></td><td>AS%lld ", s->cc, (long long)s->asn);
        esc(o, s->as_name);
        put(o, "</td><td>");
        esc(o, s->family);
        putf(o,
             "</td><td class=\"n\" data-k=\"hosts\">%s</td><td class=\"n\" data-k=\"events\">%s"
             "</td><td>",
             num((uint64_t)s->hosts, a), num((uint64_t)s->events, b));
        ev_link(o, e, TA_STORE_LIST_C2_SERVERS, s->cc, "");
        put(o, "</td></tr>\n");
    }
    if (t->nsrv == 0)
        putf(o, "<tr><td colspan=\"7\">%s</td></tr>\n", M(o, M_NONE));
    put(o, "</table></div>\n");
}

/* Distinct counts per day of the three categories (C&C servers, phishing
 * hosts, backdoor attackers), each day a list query of its own. */
static ta_err write_series(struct out *o, struct ta_store *st, const struct ta_report *r)
{
    static const enum ta_store_list lists[3] = {
        TA_STORE_LIST_C2_SERVERS, TA_STORE_LIST_PHISHING_HOSTS, TA_STORE_LIST_BACKDOOR_SOURCES};
    static const enum msg names[3] = {M_LAYER_C2, M_LAYER_PHISH, M_LAYER_BACKDOOR};
    int64_t days = r->q.to_day - r->q.from_day + 1;
    if (days > MAX_SERIES_DAYS)
        days = MAX_SERIES_DAYS;
    uint64_t *v = calloc((size_t)days * 3, sizeof(*v));
    if (v == NULL)
        return TA_ERR_NOMEM;
    ta_err err = TA_OK;
    struct tally t = {.layer = -1};
    for (int64_t d = 0; d < days && err == TA_OK && ta_store_has_data(st); d++) {
        struct ta_store_period p;
        memset(&p, 0, sizeof(p));
        p.from_day = p.to_day = r->q.from_day + d;
        memcpy(p.src_cc, r->q.src_cc, 3);
        memcpy(p.dst_cc, r->q.dst_cc, 3);
        for (int k = 0; k < 3 && err == TA_OK; k++) {
            t.rows = 0;
            err = ta_store_list(st, &p, lists[k], 0, tally_row, &t);
            v[d * 3 + k] = t.rows;
        }
    }
    if (err != TA_OK) {
        free(v);
        return err;
    }
    putf(o, "<h2 id=\"series\">%s</h2>\n<p><small>%s", M(o, M_SERIES), M(o, M_SERIES_NOTE));
    if (r->q.to_day - r->q.from_day + 1 > MAX_SERIES_DAYS)
        putf(o, " (first %d days)", MAX_SERIES_DAYS);
    put(o, "</small></p>\n");
    char first[TA_TS_STRLEN], last[TA_TS_STRLEN], a[32];
    day_str(r->q.from_day, first);
    day_str(r->q.from_day + days - 1, last);
    const int cw = 600, ch = 140, top = 14, bottom = 20, left = 4;
    for (int k = 0; k < 3; k++) {
        uint64_t max = 0;
        for (int64_t d = 0; d < days; d++)
            max = v[d * 3 + k] > max ? v[d * 3 + k] : max;
        putf(o,
             "<h3>%s</h3>\n<figure class=\"chart\" id=\"series-%s\"><svg viewBox=\"0 0 %d %d\" "
             "role=\"img\" aria-label=\"%s\">",
             M(o, names[k]), ta_store_list_name(lists[k]), cw, ch, M(o, names[k]));
        double bw = (double)(cw - 2 * left) / (double)days;
        /* A short period still gets bars, not blocks. */
        if (bw > 40)
            bw = 40;
        for (int64_t d = 0; d < days; d++) {
            uint64_t x = v[d * 3 + k];
            double h = max ? (double)x / (double)max * (ch - top - bottom) : 0;
            char day[TA_TS_STRLEN];
            day_str(r->q.from_day + d, day);
            putf(o,
                 "<rect data-day=\"%s\" data-v=\"%llu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                 "height=\"%.2f\"><title>%s: %s</title></rect>",
                 day, (unsigned long long)x, left + bw * (double)d + bw * 0.1,
                 (double)(ch - bottom) - h, bw * 0.8, h, day, num(x, a));
        }
        putf(o,
             "<text x=\"%d\" y=\"11\">max %s</text><text x=\"%d\" y=\"%d\">%s</text>"
             "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text></svg></figure>\n",
             left, num(max, a), left, ch - 5, first, cw - left, ch - 5, last);
    }
    /* The same numbers as a table, for reading without the charts. */
    putf(o,
         "<details><summary>%s</summary><div class=\"scroll\"><table id=\"series-table\">"
         "<tr><th>%s</th>",
         M(o, M_SERIES), M(o, M_DAY));
    for (int k = 0; k < 3; k++)
        putf(o, "<th class=\"n\">%s</th>", M(o, names[k]));
    put(o, "</tr>\n");
    for (int64_t d = 0; d < days; d++) {
        char day[TA_TS_STRLEN];
        day_str(r->q.from_day + d, day);
        putf(o, "<tr data-day=\"%s\"><td>%s</td>", day, day);
        for (int k = 0; k < 3; k++)
            putf(o, "<td class=\"n\" data-k=\"%s\">%s</td>", ta_store_list_name(lists[k]),
                 num(v[d * 3 + k], a));
        put(o, "</tr>\n");
    }
    put(o, "</table></div></details>\n");
    free(v);
    return TA_OK;
}

/* ---- statement: English as the text report, Chinese here ---- */

static void zh_pair(struct out *o, const struct ta_report *r, struct world *w,
                    const struct ta__report_pair *p, bool suspected)
{
    static const enum ta_report_section secs[3] = {TA_REPORT_BOTNET, TA_REPORT_PHISHING,
                                                   TA_REPORT_BACKDOOR};
    bool any = false;
    for (int s = 0; s < 3; s++) {
        const struct ta_report_row *rows;
        size_t n = ta_report_rows(r, secs[s], suspected, &rows);
        for (size_t i = 0; i < n; i++) {
            const struct ta_report_row *x = &rows[i];
            if (strcmp(x->src_cc, p->src) != 0 || strcmp(x->dst_cc, p->dst) != 0)
                continue;
            char a[32], b[32], c[32];
            if (!any)
                put(o, suspected ? "<p class=\"stmt suspected\">疑似，未计入上述统计："
                                 : "<p class=\"stmt\">");
            else
                put(o, "；");
            any = true;
            put(o, "位于");
            esc(o, cname(o, w, x->src_cc));
            if (s == 0 && !suspected)
                putf(o, "的%s个木马或僵尸网络控制服务器直接控制了", num(x->attackers, a));
            else if (s == 0)
                putf(o, "的%s个疑似控制服务器与", num(x->attackers, a));
            else if (s == 1)
                putf(o, "的%s台主机承载了%s个%s钓鱼页面，被", num(x->attackers, a),
                     num(x->targets, b), suspected ? "疑似" : "");
            else
                putf(o, "的%s个IP地址对", num(x->attackers, a));
            esc(o, cname(o, w, x->dst_cc));
            if (s == 0 && !suspected)
                putf(o, "境内%s台主机", num(x->targets, b));
            else if (s == 0)
                putf(o, "境内%s台主机有通信", num(x->targets, b));
            else if (s == 1)
                putf(o, "用户访问，造成%s次欺诈事件", num(x->flows, c));
            else
                putf(o, "境内%s个网站%s，共%s次%s", num(x->targets, b),
                     suspected ? "发送疑似后门请求" : "植入后门", num(x->events, c),
                     suspected ? "疑似后门请求" : "后门攻击事件");
        }
    }
    if (any)
        put(o, "。</p>\n");
}

static void write_statement(struct out *o, const struct ta_report *r, struct world *w,
                            const char *text)
{
    putf(o, "<h2 id=\"statement\">%s</h2>\n", M(o, M_STATEMENT));
    if (o->lang == EN) {
        /* The text report's sentences and footer, line by line. */
        const char *p = text;
        while (*p) {
            size_t n = strcspn(p, "\n");
            if (n > 0) {
                char *line = malloc(n + 1);
                if (line == NULL) {
                    o->err = TA_ERR_NOMEM;
                    return;
                }
                memcpy(line, p, n);
                line[n] = '\0';
                put(o, "<p class=\"stmt\">");
                esc(o, line);
                put(o, "</p>\n");
                free(line);
            }
            p += n;
            p += *p == '\n';
        }
        return;
    }
    if (r->db_empty) {
        putf(o, "<p class=\"stmt\">%s</p>\n", M(o, M_NO_DATA));
        return;
    }
    if (ta_report_period_empty(r)) {
        putf(o, "<p class=\"stmt\">%s</p>\n", M(o, M_NO_DETECTIONS));
        return;
    }
    struct ta__report_pair *pairs = NULL;
    size_t np = 0;
    ta_err err = ta__report_pairs(r, &pairs, &np);
    if (err != TA_OK) {
        o->err = err;
        return;
    }
    for (size_t i = 0; i < np; i++) {
        zh_pair(o, r, w, &pairs[i], false);
        zh_pair(o, r, w, &pairs[i], true);
    }
    free(pairs);
    const struct ta_report_row *rows;
    size_t n = ta_report_rows(r, TA_REPORT_PAYLOAD, false, &rows);
    for (size_t i = 0; i < n; i++) {
        char a[32], b[32], c[32];
        put(o, "<p class=\"stmt\">恶意代码下载（非控制服务器）：位于");
        esc(o, cname(o, w, rows[i].src_cc));
        putf(o, "的%s台主机向", num(rows[i].attackers, a));
        esc(o, cname(o, w, rows[i].dst_cc));
        putf(o, "境内%s台主机投放恶意代码，共%s次下载。</p>\n", num(rows[i].targets, b),
             num(rows[i].events, c));
    }
    const struct ta_report_suppressed *sp;
    size_t ns = ta_report_suppressed(r, &sp);
    if (ns > 0) {
        put(o, "<p class=\"stmt\">被白名单排除、未计入统计：");
        for (size_t i = 0; i < ns; i++) {
            char a[32];
            putf(o, "%s%s个%s事件（", i ? "；" : "", num(sp[i].events, a),
                 ta_event_kind_name(sp[i].kind));
            esc(o, sp[i].list);
            put(o, "）");
        }
        put(o, "。</p>\n");
    }
}

static void strv_line(struct out *o, enum msg m, char **v, size_t n, const char *sep)
{
    putf(o, "<tr><th>%s</th><td>", M(o, m));
    for (size_t i = 0; i < n; i++) {
        put(o, i ? sep : "");
        esc(o, v[i]);
    }
    if (n == 0)
        put(o, M(o, M_NOT_RECORDED));
    put(o, "</td></tr>\n");
}

static void write_data(struct out *o, const struct ta_report *r,
                       const struct ta_report_html_opts *opts)
{
    char from[TA_TS_STRLEN], to[TA_TS_STRLEN];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    putf(o,
         "<h2 id=\"data\">%s</h2>\n<div class=\"scroll\"><table id=\"data-table\">\n"
         "<tr><th>%s</th><td data-k=\"period\">%s – %s (UTC)",
         M(o, M_DATA), M(o, M_PERIOD), from, to);
    if (r->q.src_cc[0] || r->q.dst_cc[0])
        putf(o, "; %s %s, %s %s", M(o, M_SRC), r->q.src_cc[0] ? r->q.src_cc : "*", M(o, M_DST),
             r->q.dst_cc[0] ? r->q.dst_cc : "*");
    put(o, "</td></tr>\n");
    strv_line(o, M_HOME, r->homes, r->n_homes, ", ");
    strv_line(o, M_INTEL, r->intel, r->n_intel, "; ");
    strv_line(o, M_GEOIP, r->geoip, r->n_geoip, "; ");
    strv_line(o, M_SENSORS, r->sensors, r->n_sensors, ", ");
    if (r->n_notes > 0)
        strv_line(o, M_NOTES, r->notes, r->n_notes, "<br>");
    if (r->gc_a != NULL) {
        char a[32], b[32];
        put(o, "<tr><th>GeoIP</th><td id=\"geo-compare\">");
        esc(o, r->gc_a);
        put(o, " / ");
        esc(o, r->gc_b);
        putf(o,
             o->lang == ZH ? "：%s / %s 个地址所在国家或地区不同"
                           : ": %s of %s counted addresses "
                             "in different countries",
             num(r->gc_different, a), num(r->gc_addresses, b));
        put(o, "</td></tr>\n");
    }
    bool dbip = r->gc_b != NULL && strstr(r->gc_b, "dbip") != NULL;
    for (size_t i = 0; i < r->n_geoip; i++)
        dbip = dbip || strstr(r->geoip[i], "dbip") != NULL;
    putf(o, "<tr><th>%s</th><td id=\"credits\">%s<br>%s%s%s<br>%s</td></tr>\n", M(o, M_CREDITS),
         TA_REPORT_GEO_CREDIT, dbip ? TA_REPORT_DBIP_CREDIT : "", dbip ? "<br>" : "",
         opts->map_credit ? opts->map_credit : "", opts->names_credit ? opts->names_credit : "");
    put(o, "</table></div>\n");
}

struct ev_out {
    struct out *o;
    const struct ta_store_col *cols;
    size_t nc;
};

static ta_err ev_row(void *ctx, const struct ta_store_cell *cells, size_t nc)
{
    struct ev_out *e = ctx;
    struct out *o = e->o;
    put(o, "<tr>");
    for (size_t i = 0; i < nc && i < e->nc; i++) {
        const struct ta_store_cell *c = &cells[i];
        char buf[64];
        const char *text = "";
        switch (e->cols[i].type) {
        case TA_STORE_COL_IP:
            buf[0] = '\0';
            if (c->addr_len == 4 || c->addr_len == 16) {
                struct ta_addr a;
                if (c->addr_len == 4)
                    ta_addr_set_v4(&a, c->addr);
                else
                    ta_addr_set_v6(&a, c->addr);
                ta_addr_format(&a, buf, sizeof(buf));
            }
            text = buf;
            break;
        case TA_STORE_COL_INT:
            snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
            text = buf;
            break;
        case TA_STORE_COL_TIME:
            ta_time_format((ta_time_us)c->i, buf, sizeof(buf));
            buf[19] = '\0';
            text = buf;
            break;
        default:
            text = ctext(c);
        }
        put(o, e->cols[i].type == TA_STORE_COL_INT ? "<td class=\"n\">" : "<td>");
        esc(o, text);
        put(o, "</td>");
    }
    put(o, "</tr>\n");
    return TA_OK;
}

static ta_err write_evidence(struct out *o, struct ta_store *st, const struct ta_report *r,
                             const struct evset *e, const char *db_label)
{
    char from[TA_TS_STRLEN], to[TA_TS_STRLEN];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    putf(o, "<h2 id=\"evidence\">%s</h2>\n", M(o, M_EVIDENCE_ALL));
    for (size_t i = 0; i < e->n; i++) {
        const struct evref *x = &e->v[i];
        /* The report's own filter narrows the block's. */
        struct ta_store_period p;
        memset(&p, 0, sizeof(p));
        p.from_day = r->q.from_day;
        p.to_day = r->q.to_day;
        snprintf(p.src_cc, 3, "%s", x->src[0] ? x->src : r->q.src_cc);
        snprintf(p.dst_cc, 3, "%s", x->dst[0] ? x->dst : r->q.dst_cc);
        const char *ln = ta_store_list_name(x->list);
        putf(o,
             "<section id=\"ev-%s-%s-%s\"><h3>%s: %s → %s</h3>\n<p><small>%s</small> "
             "<code>threatatlas report --db ",
             ln, x->src[0] ? x->src : "any", x->dst[0] ? x->dst : "any", ln,
             p.src_cc[0] ? p.src_cc : "*", p.dst_cc[0] ? p.dst_cc : "*", M(o, M_EVIDENCE_CMD));
        esc(o, db_label);
        putf(o, " --from %s --to %s", from, to);
        if (p.src_cc[0])
            putf(o, " --src-cc %s", p.src_cc);
        if (p.dst_cc[0])
            putf(o, " --dst-cc %s", p.dst_cc);
        putf(o, " --list %s</code></p>\n<div class=\"scroll\"><table><tr>", ln);
        size_t nc;
        const struct ta_store_col *cols = ta_store_list_cols(x->list, &nc);
        for (size_t c = 0; c < nc; c++)
            putf(o, "<th>%s</th>", cols[c].name);
        put(o, "</tr>\n");
        struct ev_out eo = {o, cols, nc};
        ta_err err = ta_store_list(st, &p, x->list, EVIDENCE_ROWS, ev_row, &eo);
        if (err != TA_OK)
            return err;
        put(o, "</table></div></section>\n");
    }
    return TA_OK;
}

ta_err ta_report_write_html(struct ta_store *st, const struct ta_report *r,
                            const struct ta_report_html_opts *opts, FILE *f, char *why,
                            size_t whylen)
{
    why[0] = '\0';
    struct world w = {0};
    struct out o = {f, opts->lang_zh ? ZH : EN, TA_OK};
    struct evset ev = {0};
    struct tally t = {.w = &w};
    char *text = NULL;
    size_t textlen = 0;
    ta_err err = load_names(&w, opts->names_dir, why, whylen);
    if (err == TA_OK)
        err = load_shapes(&w, opts->atlas_file, why, whylen);
    if (err != TA_OK)
        goto out;
    /* The text report, for the English statement. */
    FILE *mem = open_memstream(&text, &textlen);
    if (mem == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    err = ta__report_write_text(r, mem);
    if (fclose(mem) != 0 && err == TA_OK)
        err = TA_ERR_NOMEM;
    if (err != TA_OK)
        goto out;
    t.capsrv = 64;
    t.srv = malloc(t.capsrv * sizeof(*t.srv));
    if (t.srv == NULL) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    if (ta_store_has_data(st)) {
        struct ta_store_period p;
        memset(&p, 0, sizeof(p));
        p.from_day = r->q.from_day;
        p.to_day = r->q.to_day;
        memcpy(p.src_cc, r->q.src_cc, 3);
        memcpy(p.dst_cc, r->q.dst_cc, 3);
        for (int l = 0; l < 4 && err == TA_OK; l++)
            err = tally_list(st, &p, layer_list[l], l, &t);
        if (err != TA_OK)
            goto out;
    }
    char from[TA_TS_STRLEN], to[TA_TS_STRLEN];
    day_str(r->q.from_day, from);
    day_str(r->q.to_day, to);
    write_head(&o, r, &w);
    putf(&o, "<h1>%s</h1>\n<p>%s: %s – %s (UTC)", M(&o, M_TITLE), M(&o, M_PERIOD), from, to);
    if (r->n_homes > 0) {
        putf(&o, " · %s: ", M(&o, M_HOME));
        for (size_t i = 0; i < r->n_homes; i++) {
            put(&o, i ? ", " : "");
            esc(&o, cname(&o, &w, r->homes[i]));
        }
    }
    put(&o, "</p>\n");
    write_statement(&o, r, &w, text);
    write_map(&o, r, &w);
    write_pairs(&o, r, &w, &ev);
    if ((err = write_series(&o, st, r)) != TA_OK)
        goto out;
    write_top_countries(&o, &w, &ev);
    write_top_tables(&o, &w, &t, &ev);
    write_data(&o, r, opts);
    if (ev.oom) {
        err = TA_ERR_NOMEM;
        goto out;
    }
    if (ta_store_has_data(st) && (err = write_evidence(&o, st, r, &ev, opts->db_label)) != TA_OK)
        goto out;
    put(&o, "</body>\n</html>\n");
    err = o.err;
    if (err == TA_OK && (fflush(f) != 0 || ferror(f)))
        err = TA_ERR_IO;
out:
    for (size_t i = 0; i < t.nsrv; i++) {
        free(t.srv[i].as_name);
        free(t.srv[i].family);
    }
    free(t.srv);
    free(ev.v);
    free(text);
    world_free(&w);
    return err;
}
