/*
 * Enrichment: open the geolocation data, build the flattened range tables,
 * answer lookups (see include/threatatlas/enrich.h for the contract).
 *
 * Each family has one table: sorted range starts plus one precomputed
 * answer per range, covering the whole address space. A jump table indexed
 * by the top 16 bits of the address narrows the search to the ranges that
 * begin inside that /16 (for IPv4) or /16 of IPv6, usually one or two.
 */
#include "threatatlas/enrich.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrich/enrich-cache.h"
#include "enrich/enrich-internal.h"
#include "enrich/enrich-mmdb.h"

#include "common/check.h"
#include "common/hash64.h"
#include "common/htab.h"
#include "common/rtab.h"

#include "common/banned.h"

#define F_HOME      TA__GEO_F_HOME
#define F_ASN_OV    TA__GEO_F_ASN_OV
#define F_SRC_SHIFT TA__GEO_F_SRC_SHIFT

/*
 * Ranges start at s4[i] / s6[i] and answer u[ridx[i]]: answers are
 * deduplicated (far fewer distinct answers than ranges), which keeps the
 * hot part of the table small.
 */
struct table {
    size_t n;
    uint32_t *s4;          /* IPv4 starts */
    ta__u128 *s6;          /* IPv6 starts */
    uint32_t *ridx;        /* answer of each range, index into u */
    struct ta__geo_rec *u; /* distinct answers */
    size_t nu;
    struct ta_rtab4 r4; /* jump table over s4/ridx (IPv4 tables) */
    struct ta_rtab6 r6; /* over s6/ridx (IPv6 tables) */
    bool mapped;        /* s4/s6, ridx and u point into the cache file (the jump table is ours) */
    bool u_owned;       /* mapped, but u was copied to the heap (ta_geo_set_home) */
};

struct dbinfo {
    bool used;
    const char *role;
    char *path;
    const char *format;
    char *dbtype;
    uint64_t epoch;
    char *pkg, *pkgver;
    uint64_t records, malformed;
};

#define MAX_HOME_CC 64

struct ta_geo {
    struct table t4, t6;
    struct ta__geo_pool pool;
    struct dbinfo info[2];
    uint32_t home_cc[MAX_HOME_CC];
    size_t n_home_cc;
    uint64_t n_overrides, n_home_nets;
    bool home_nets_applied; /* the tables carry a home-nets overlay */
    size_t max_cidr_lines;
    bool map_6to4; /* the country database aliases 2002::/16 to IPv4 */
    /* The mapped cache file (tables and pool point into it), or NULL. */
    void *map;
    size_t map_len;
    unsigned cache; /* enum ta_geo_cache_state */
    uint64_t cache_stale, cache_corrupt;
};

static const char *const reason_names[TA_GEO_REASON__COUNT] = {
    [TA_GEO_OK] = "ok",
    [TA_GEO_NOT_FOUND] = "not-found",
    [TA_GEO_UNSPECIFIED] = "unspecified",
    [TA_GEO_PRIVATE] = "private",
    [TA_GEO_LOOPBACK] = "loopback",
    [TA_GEO_LINK_LOCAL] = "link-local",
    [TA_GEO_DOCUMENTATION] = "documentation",
    [TA_GEO_CGNAT] = "cgnat",
    [TA_GEO_MULTICAST] = "multicast",
    [TA_GEO_UNIQUE_LOCAL] = "unique-local",
    [TA_GEO_RESERVED] = "reserved",
};

const char *ta_geo_reason_name(unsigned reason)
{
    return reason < TA_GEO_REASON__COUNT ? reason_names[reason] : "unknown";
}

const char *ta_geo_source_name(unsigned source)
{
    static const char *const names[TA_GEO_SRC__COUNT] = {"none", "db", "override", "home"};
    return source < TA_GEO_SRC__COUNT ? names[source] : "unknown";
}

/* Special-purpose ranges (RFC 6890 and successors): never a country. */
static const struct {
    const char *net;
    unsigned plen;
    uint8_t reason;
} special[] = {
    {"0.0.0.0", 8, TA_GEO_UNSPECIFIED},
    {"10.0.0.0", 8, TA_GEO_PRIVATE},
    {"100.64.0.0", 10, TA_GEO_CGNAT},
    {"127.0.0.0", 8, TA_GEO_LOOPBACK},
    {"169.254.0.0", 16, TA_GEO_LINK_LOCAL},
    {"172.16.0.0", 12, TA_GEO_PRIVATE},
    {"192.0.0.0", 24, TA_GEO_RESERVED},
    {"192.0.2.0", 24, TA_GEO_DOCUMENTATION},
    {"192.168.0.0", 16, TA_GEO_PRIVATE},
    {"198.18.0.0", 15, TA_GEO_RESERVED},
    {"198.51.100.0", 24, TA_GEO_DOCUMENTATION},
    {"203.0.113.0", 24, TA_GEO_DOCUMENTATION},
    {"224.0.0.0", 4, TA_GEO_MULTICAST},
    {"240.0.0.0", 4, TA_GEO_RESERVED},
    {"::", 128, TA_GEO_UNSPECIFIED},
    {"::1", 128, TA_GEO_LOOPBACK},
    {"2001:db8::", 32, TA_GEO_DOCUMENTATION},
    {"3fff::", 20, TA_GEO_DOCUMENTATION},
    {"fc00::", 7, TA_GEO_UNIQUE_LOCAL},
    {"fe80::", 10, TA_GEO_LINK_LOCAL},
    {"ff00::", 8, TA_GEO_MULTICAST},
};

static ta_err special_lists(struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6)
{
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        ta__u128 k;
        bool is4;
        if (!ta__geo_parse_addr(special[i].net, strlen(special[i].net), &k, &is4))
            return TA_ERR_ARG;
        unsigned host = (is4 ? 32u : 128u) - special[i].plen;
        ta__u128 mask = host >= 128 ? ~(ta__u128)0 : (((ta__u128)1 << host) - 1);
        ta_err err = ta__geo_ivlist_push(is4 ? v4 : v6, k, k | mask, special[i].reason, 0, 0);
        if (err != TA_OK)
            return err;
    }
    ta_err err = ta__geo_ivlist_flatten_cidrs(v4);
    return err != TA_OK ? err : ta__geo_ivlist_flatten_cidrs(v6);
}

/* ---- table building ---- */

/* A growing (start, rec) list in 128-bit keys, adjacent equal recs merged. */
struct build {
    ta__u128 *s;
    struct ta__geo_rec *r;
    size_t n, cap;
};

static void build_free(struct build *b)
{
    free(b->s);
    free(b->r);
    memset(b, 0, sizeof(*b));
}

static ta_err build_add(struct build *b, ta__u128 start, const struct ta__geo_rec *r)
{
    if (b->n > 0 && memcmp(&b->r[b->n - 1], r, sizeof(*r)) == 0)
        return TA_OK;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        ta__u128 *ns = realloc(b->s, nc * sizeof(*ns));
        if (ns == NULL)
            return TA_ERR_NOMEM;
        b->s = ns;
        struct ta__geo_rec *nr = realloc(b->r, nc * sizeof(*nr));
        if (nr == NULL)
            return TA_ERR_NOMEM;
        b->r = nr;
        b->cap = nc;
    }
    b->s[b->n] = start;
    b->r[b->n] = *r;
    b->n++;
    return TA_OK;
}

enum { L_COUNTRY, L_ASN, L_SPECIAL, L_OVERRIDE, L__COUNT };

static void unpack_cc(uint32_t cc, char out[2])
{
    out[0] = (char)(cc >> 8);
    out[1] = (char)(cc & 0xff);
}

/*
 * Merge the sorted disjoint source lists into one table covering [0, max]:
 * every source boundary starts an elementary range, whose answer follows
 * the precedence in enrich.h (home networks come later, in apply_home).
 */
/*
 * Boundaries of list k in ascending order: lo of each interval, then hi + 1
 * unless hi is the top of the key space. A sorted disjoint list yields them
 * sorted (hi_i + 1 <= lo_{i+1}), so the lists merge without a sort.
 */
static bool next_bound(const struct ta__geo_ivlist *l, size_t *idx, ta__u128 max, ta__u128 *out)
{
    for (; *idx < l->n * 2; (*idx)++) {
        const struct ta__geo_iv *e = &l->v[*idx / 2];
        if (*idx % 2 == 0) {
            *out = e->lo;
            return true;
        }
        if (e->hi < max) {
            *out = e->hi + 1;
            return true;
        }
    }
    return false;
}

static ta_err merge_base(struct ta__geo_ivlist *lists[L__COUNT], ta__u128 max, struct build *out)
{
    size_t bidx[L__COUNT] = {0};
    ta__u128 bval[L__COUNT];
    bool bhas[L__COUNT];
    for (int k = 0; k < L__COUNT; k++)
        bhas[k] = next_bound(lists[k], &bidx[k], max, &bval[k]);
    size_t pos[L__COUNT] = {0};
    ta_err err = TA_OK;
    bool more = true; /* boundary 0 always starts a range */
    for (ta__u128 b = 0; more && err == TA_OK;) {
        const struct ta__geo_iv *cov[L__COUNT];
        for (int k = 0; k < L__COUNT; k++) {
            while (pos[k] < lists[k]->n && lists[k]->v[pos[k]].hi < b)
                pos[k]++;
            cov[k] =
                pos[k] < lists[k]->n && lists[k]->v[pos[k]].lo <= b ? &lists[k]->v[pos[k]] : NULL;
        }
        struct ta__geo_rec r;
        memset(&r, 0, sizeof(r));
        uint8_t sp = cov[L_SPECIAL] ? (uint8_t)cov[L_SPECIAL]->cc : 0;
        const struct ta__geo_iv *ov = cov[L_OVERRIDE];
        unsigned src = TA_GEO_SRC_NONE;
        if (ov != NULL && ov->cc != 0) {
            unpack_cc(ov->cc, r.cc);
            src = TA_GEO_SRC_OVERRIDE;
        } else if (sp == 0 && cov[L_COUNTRY] != NULL) {
            unpack_cc(cov[L_COUNTRY]->cc, r.cc);
            src = TA_GEO_SRC_DB;
        }
        if (ov != NULL && ov->asn != 0) {
            r.asn = ov->asn;
            r.name = ov->name;
            r.flags |= F_ASN_OV;
        } else if (sp == 0 && cov[L_ASN] != NULL) {
            r.asn = cov[L_ASN]->asn;
            r.name = cov[L_ASN]->name;
        }
        r.flags = (uint8_t)(r.flags | src << F_SRC_SHIFT);
        r.reason = sp != 0 ? sp : (src != TA_GEO_SRC_NONE ? TA_GEO_OK : TA_GEO_NOT_FOUND);
        err = build_add(out, b, &r);
        /* The next boundary: the smallest pending one above b. */
        more = false;
        ta__u128 nb = 0;
        for (int k = 0; k < L__COUNT; k++) {
            while (bhas[k] && bval[k] <= b) {
                bidx[k]++;
                bhas[k] = next_bound(lists[k], &bidx[k], max, &bval[k]);
            }
            if (bhas[k] && (!more || bval[k] < nb)) {
                nb = bval[k];
                more = true;
            }
        }
        b = nb;
    }
    return err;
}

static bool cc_is_home(const struct ta_geo *g, const char cc[2])
{
    uint32_t p = ta__geo_cc_pack(cc[0], cc[1]);
    for (size_t i = 0; i < g->n_home_cc; i++)
        if (g->home_cc[i] == p)
            return true;
    return false;
}

/*
 * Lay the home networks over a table (in): strip any earlier home effect,
 * then mark ranges inside home networks and give them the home country
 * when they have none; mark ranges whose country is a home country.
 */
static ta_err apply_home(const struct ta_geo *g, const struct build *in,
                         const struct ta__geo_ivlist *home, ta__u128 max, struct build *out)
{
    size_t i = 0, j = 0;
    ta__u128 p = 0;
    for (;;) {
        while (i + 1 < in->n && in->s[i + 1] <= p)
            i++;
        ta__u128 end_i = i + 1 < in->n ? in->s[i + 1] - 1 : max;
        while (j < home->n && home->v[j].hi < p)
            j++;
        const struct ta__geo_iv *h = j < home->n && home->v[j].lo <= p ? &home->v[j] : NULL;
        ta__u128 end = end_i;
        if (h != NULL && h->hi < end)
            end = h->hi;
        if (h == NULL && j < home->n && home->v[j].lo - 1 < end)
            end = home->v[j].lo - 1;
        struct ta__geo_rec r = in->r[i];
        if ((r.flags >> F_SRC_SHIFT) == TA_GEO_SRC_HOME) {
            r.cc[0] = r.cc[1] = 0;
            r.flags = (uint8_t)(r.flags & ~(3u << F_SRC_SHIFT));
        }
        r.flags = (uint8_t)(r.flags & ~F_HOME);
        if (h != NULL) {
            r.flags |= F_HOME;
            uint32_t hc = h->cc != 0 ? h->cc : (g->n_home_cc > 0 ? g->home_cc[0] : 0);
            if (r.cc[0] == 0 && hc != 0) {
                unpack_cc(hc, r.cc);
                r.flags = (uint8_t)(r.flags | TA_GEO_SRC_HOME << F_SRC_SHIFT);
            }
        }
        if (r.cc[0] != 0 && cc_is_home(g, r.cc))
            r.flags |= F_HOME;
        ta_err err = build_add(out, p, &r);
        if (err != TA_OK)
            return err;
        if (end == max)
            return TA_OK;
        p = end + 1;
    }
}

static void table_free(struct table *t)
{
    if (!t->mapped) {
        free(t->s4);
        free(t->s6);
        free(t->ridx);
    }
    if (!t->mapped || t->u_owned)
        free(t->u);
    ta_rtab4_release(&t->r4);
    ta_rtab6_release(&t->r6);
    memset(t, 0, sizeof(*t));
}

_Static_assert(sizeof(struct ta__geo_rec) == 12, "geo records have no padding");

struct rec_probe {
    const struct ta__geo_rec *u, *r;
};

static bool rec_eq(const void *ctx, uint32_t e)
{
    const struct rec_probe *p = ctx;
    return memcmp(&p->u[e], p->r, sizeof(*p->r)) == 0;
}

/* Deduplicate b's answers into t->u / t->ridx. */
static ta_err dedupe_recs(struct table *t, const struct build *b)
{
    struct ta_htab seen;
    ta_htab_init(&seen, 0);
    t->ridx = malloc(b->n * sizeof(uint32_t));
    t->u = malloc(b->n * sizeof(struct ta__geo_rec));
    if (t->ridx == NULL || t->u == NULL || ta_htab_reserve(&seen, b->n) != TA_OK) {
        ta_htab_release(&seen);
        return TA_ERR_NOMEM;
    }
    t->nu = 0;
    for (size_t i = 0; i < b->n; i++) {
        /* Records are compared with memcmp, so hashed as their bytes. */
        uint64_t h = ta_hash64_words(0, &b->r[i], sizeof(b->r[i]));
        struct rec_probe p = {t->u, &b->r[i]};
        uint32_t e;
        if (!ta_htab_find(&seen, h, rec_eq, &p, &e)) {
            e = (uint32_t)t->nu;
            t->u[t->nu++] = b->r[i];
            /* Cannot fail: room for every record was reserved. */
            ta_err err = ta_htab_put(&seen, h, e);
            TA_ASSERT(err == TA_OK);
            (void)err;
        }
        t->ridx[i] = e;
    }
    ta_htab_release(&seen);
    struct ta__geo_rec *shrunk = realloc(t->u, (t->nu ? t->nu : 1) * sizeof(struct ta__geo_rec));
    if (shrunk != NULL)
        t->u = shrunk;
    return TA_OK;
}

static ta_err index_table(struct table *t, bool v4);

/* Move a build into a compact table and index it. */
static ta_err table_from_build(struct table *t, struct build *b, bool v4)
{
    memset(t, 0, sizeof(*t));
    ta_err err = dedupe_recs(t, b);
    if (err == TA_OK && v4) {
        t->s4 = malloc(b->n * sizeof(uint32_t));
        if (t->s4 == NULL)
            err = TA_ERR_NOMEM;
    }
    if (err != TA_OK) {
        table_free(t);
        return err;
    }
    if (v4) {
        for (size_t i = 0; i < b->n; i++)
            t->s4[i] = (uint32_t)b->s[i];
        free(b->s);
    } else {
        t->s6 = b->s;
    }
    free(b->r);
    t->n = b->n;
    b->s = NULL;
    b->r = NULL;
    b->n = b->cap = 0;
    err = index_table(t, v4);
    if (err != TA_OK)
        table_free(t);
    return err;
}

/* The jump table over t's ranges. */
static ta_err index_table(struct table *t, bool v4)
{
    return v4 ? ta_rtab4_build(&t->r4, t->s4, t->ridx, t->n)
              : ta_rtab6_build(&t->r6, t->s6, t->ridx, t->n);
}

/* Back from a compact table to a build (for ta_geo_set_home). */
static ta_err build_from_table(const struct table *t, struct build *b, bool v4)
{
    memset(b, 0, sizeof(*b));
    b->s = malloc(t->n * sizeof(ta__u128));
    b->r = malloc(t->n * sizeof(struct ta__geo_rec));
    if (b->s == NULL || b->r == NULL) {
        build_free(b);
        return TA_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->n; i++)
        b->s[i] = v4 ? (ta__u128)t->s4[i] : t->s6[i];
    for (size_t i = 0; i < t->n; i++)
        b->r[i] = t->u[t->ridx[i]];
    b->n = b->cap = t->n;
    return TA_OK;
}

/* ---- lookup ---- */

static inline const struct ta__geo_rec *find4(const struct table *t, uint32_t ip)
{
    return &t->u[ta_rtab4_find(&t->r4, ip)];
}

static inline const struct ta__geo_rec *find6(const struct table *t, ta__u128 ip)
{
    return &t->u[ta_rtab6_find(&t->r6, ip)];
}

void ta_geo_lookup(const ta_geo *g, const struct ta_addr *a, struct ta_geo_result *r)
{
    const struct ta__geo_rec *x;
    const uint8_t *b = a->b;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a->family == 4 || (a->family == 6 && memcmp(b, mapped, 12) == 0)) {
        x = find4(&g->t4,
                  (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    } else if (a->family == 6 && b[0] == 0x20 && b[1] == 0x02 && g->map_6to4) {
        /* 6to4, in a database that aliases it: the embedded IPv4 address. */
        x = find4(&g->t4, (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5]);
    } else if (a->family == 6) {
        ta__u128 k = 0;
        for (int i = 0; i < 16; i++)
            k = k << 8 | b[i];
        x = find6(&g->t6, k);
    } else {
        memset(r, 0, sizeof(*r));
        r->reason = TA_GEO_UNSPECIFIED;
        r->as_name = "";
        return;
    }
    r->cc[0] = x->cc[0];
    r->cc[1] = x->cc[1];
    r->cc[2] = '\0';
    r->reason = x->reason;
    r->cc_source = (uint8_t)(x->flags >> F_SRC_SHIFT);
    r->is_home = (x->flags & F_HOME) != 0;
    r->asn_override = (x->flags & F_ASN_OV) != 0;
    r->asn = x->asn;
    r->as_name = g->pool.buf + x->name;
}

/* ---- opening ---- */

bool ta_geo_data_dir(const char *data_dir, char *buf, size_t len)
{
    int n;
    const char *env;
    if (data_dir != NULL && data_dir[0] != '\0')
        n = snprintf(buf, len, "%s", data_dir);
    else if ((env = getenv("THREATATLAS_DATA_DIR")) != NULL && env[0] != '\0')
        n = snprintf(buf, len, "%s", env);
    else if ((env = getenv("XDG_DATA_HOME")) != NULL && env[0] != '\0')
        n = snprintf(buf, len, "%s/threatatlas", env);
    else if ((env = getenv("HOME")) != NULL && env[0] != '\0')
        n = snprintf(buf, len, "%s/.local/share/threatatlas", env);
    else
        n = snprintf(buf, len, ".threatatlas");
    return n >= 0 && (size_t)n < len;
}

/* snprintf for paths: false if the result does not fit. */
static bool pathf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* npm package name and version from package.json in dir (if any). */
static ta_err read_package(const char *dir, struct dbinfo *d)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/package.json", dir) >= (int)sizeof(path))
        return TA_OK;
    json_t *root = json_load_file(path, 0, NULL);
    const char *name = "", *ver = "";
    if (root != NULL && json_is_object(root)) {
        const char *s = json_string_value(json_object_get(root, "name"));
        if (s != NULL)
            name = s;
        s = json_string_value(json_object_get(root, "version"));
        if (s != NULL)
            ver = s;
    }
    d->pkg = xstrdup(name);
    d->pkgver = xstrdup(ver);
    json_decref(root);
    return d->pkg && d->pkgver ? TA_OK : TA_ERR_NOMEM;
}

static ta_err dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    int n = slash == NULL ? snprintf(buf, len, ".")
                          : snprintf(buf, len, "%.*s", (int)(slash - path), path);
    return n >= 0 && (size_t)n < len ? TA_OK : TA_ERR_ARG;
}

static ta_err open_mmdb(const char *path, enum ta__geo_mmdb_kind kind, struct dbinfo *d,
                        struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                        struct ta__geo_pool *pool, bool *alias_6to4, char *errbuf, size_t errlen)
{
    MMDB_s db;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
    if (rc != MMDB_SUCCESS) {
        if (rc == MMDB_IO_ERROR)
            snprintf(errbuf, errlen, "%s: %s (%s)", path, MMDB_strerror(rc), strerror(errno));
        else
            snprintf(errbuf, errlen, "%s: %s", path, MMDB_strerror(rc));
        return rc == MMDB_IO_ERROR ? TA_ERR_IO : TA_ERR_FORMAT;
    }
    ta_err err = ta__geo_mmdb_walk(&db, kind, v4, v6, pool, alias_6to4, errbuf, errlen);
    if (err == TA_OK) {
        d->format = "mmdb";
        d->dbtype = xstrdup(db.metadata.database_type ? db.metadata.database_type : "");
        d->epoch = db.metadata.build_epoch;
        d->records = v4->n + v6->n;
        char dir[PATH_MAX];
        err = d->dbtype == NULL ? TA_ERR_NOMEM : dir_of(path, dir, sizeof(dir));
        if (err == TA_OK)
            err = read_package(dir, d);
    }
    MMDB_close(&db);
    return err;
}

static ta_err load_csv(const char *path, size_t max_rows, struct dbinfo *d,
                       struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                       struct ta__geo_pool *pool, char *errbuf, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    ta_err err = ta__geo_read_file(path, (size_t)1 << 31, &buf, &len);
    if (err != TA_OK) {
        snprintf(errbuf, errlen, "%s: %s", path,
                 err == TA_ERR_NOTFOUND ? "no such file" : ta_strerror(err));
        return err;
    }
    err = ta__geo_asn_csv_parse(buf, len, max_rows, v4, v6, pool, &d->records, &d->malformed);
    free(buf);
    if (err != TA_OK) {
        snprintf(errbuf, errlen, "%s: %s", path, ta_strerror(err));
        return err;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_mtime > d->epoch)
        d->epoch = (uint64_t)st.st_mtime;
    return TA_OK;
}

/*
 * ip-location-db versions end in the build hour, YYYYMMDDHH; a CSV has no
 * metadata of its own (and npm tarballs carry fixed mtimes), so use it.
 */
static void epoch_from_version(struct dbinfo *d)
{
    const char *v = d->pkgver ? strrchr(d->pkgver, '.') : NULL;
    if (v == NULL || strlen(v + 1) != 10 || strspn(v + 1, "0123456789") != 10)
        return;
    char date[11];
    snprintf(date, sizeof(date), "%.4s-%.2s-%.2s", v + 1, v + 5, v + 7);
    ta_time_us t;
    int hour = (v[9] - '0') * 10 + (v[10] - '0');
    if (hour < 24 && ta_date_parse(date, &t))
        d->epoch = t / 1000000u + (uint64_t)hour * 3600u;
}

static ta_err open_asn(const char *path, size_t max_rows, struct dbinfo *d,
                       struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                       struct ta__geo_pool *pool, char *errbuf, size_t errlen)
{
    if (ends_with(path, ".mmdb")) {
        bool alias_6to4;
        return open_mmdb(path, TA__GEO_MMDB_ASN, d, v4, v6, pool, &alias_6to4, errbuf, errlen);
    }
    d->format = "csv";
    d->dbtype = xstrdup("");
    if (d->dbtype == NULL)
        return TA_ERR_NOMEM;
    if (!is_dir(path)) {
        char dir[PATH_MAX];
        ta_err err = load_csv(path, max_rows, d, v4, v6, pool, errbuf, errlen);
        if (err == TA_OK)
            err = dir_of(path, dir, sizeof(dir));
        if (err == TA_OK)
            err = read_package(dir, d);
        if (err == TA_OK)
            epoch_from_version(d);
        return err;
    }
    static const char *const files[] = {"asn-ipv4.csv", "asn-ipv6.csv"};
    for (size_t i = 0; i < 2; i++) {
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s/%s", path, files[i]) >= (int)sizeof(p))
            return TA_ERR_ARG;
        ta_err err = load_csv(p, max_rows, d, v4, v6, pool, errbuf, errlen);
        if (err != TA_OK)
            return err;
    }
    ta_err err = read_package(path, d);
    if (err == TA_OK)
        epoch_from_version(d);
    return err;
}

static ta_err load_cidr_file(const char *path, bool with_asn, size_t max_lines,
                             struct ta__geo_ivlist *v4, struct ta__geo_ivlist *v6,
                             struct ta__geo_pool *pool, uint64_t *lines, char *errbuf,
                             size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    ta_err err = ta__geo_read_file(path, (size_t)1 << 28, &buf, &len);
    if (err != TA_OK) {
        snprintf(errbuf, errlen, "%s: %s", path,
                 err == TA_ERR_NOTFOUND ? "no such file" : ta_strerror(err));
        return err;
    }
    char msg[200] = "";
    err = ta__geo_cidr_parse(buf, len, with_asn, max_lines, v4, v6, pool, lines, msg, sizeof(msg));
    free(buf);
    if (err != TA_OK) {
        snprintf(errbuf, errlen, "%s: %s", path, msg[0] ? msg : ta_strerror(err));
        return err;
    }
    err = ta__geo_ivlist_flatten_cidrs(v4);
    return err == TA_OK ? ta__geo_ivlist_flatten_cidrs(v6) : err;
}

static ta_err parse_home_cc(const char *list, uint32_t *out, size_t *n, char *errbuf, size_t errlen)
{
    *n = 0;
    if (list == NULL)
        return TA_OK;
    const char *p = list;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            char a = p[0], b = len > 1 ? p[1] : 0;
            if (a >= 'a' && a <= 'z')
                a = (char)(a - 32);
            if (b >= 'a' && b <= 'z')
                b = (char)(b - 32);
            if (len != 2 || a < 'A' || a > 'Z' || b < 'A' || b > 'Z') {
                snprintf(errbuf, errlen, "home country '%.*s' is not a two-letter code",
                         (int)(len > 20 ? 20 : len), p);
                return TA_ERR_ARG;
            }
            if (*n == MAX_HOME_CC) {
                snprintf(errbuf, errlen, "more than %d home countries", MAX_HOME_CC);
                return TA_ERR_LIMIT;
            }
            out[(*n)++] = ta__geo_cc_pack(a, b);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return TA_OK;
}

static const ta__u128 MAX4 = 0xffffffffu;
#define MAX6 (~(ta__u128)0)

/*
 * Home countries only, over tables without a home-nets overlay: only the
 * F_HOME flag of each distinct answer changes. Distinct answers stay
 * distinct (they differ in something other than F_HOME), so no ranges merge
 * and the ranges stay as they are; only the (small) answer arrays are
 * rewritten, copied out of a mapped cache first.
 */
static ta_err home_countries_only(ta_geo *g, const uint32_t *cc, size_t ncc)
{
    struct table *t[2] = {&g->t4, &g->t6};
    struct ta__geo_rec *nu[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        if (!t[i]->mapped || t[i]->u_owned)
            continue;
        nu[i] = malloc((t[i]->nu ? t[i]->nu : 1) * sizeof(struct ta__geo_rec));
        if (nu[i] == NULL) {
            free(nu[0]);
            return TA_ERR_NOMEM;
        }
        memcpy(nu[i], t[i]->u, t[i]->nu * sizeof(struct ta__geo_rec));
    }
    memcpy(g->home_cc, cc, ncc * sizeof(*cc));
    g->n_home_cc = ncc;
    for (int i = 0; i < 2; i++) {
        if (nu[i] != NULL) {
            t[i]->u = nu[i];
            t[i]->u_owned = true;
        }
        for (size_t k = 0; k < t[i]->nu; k++) {
            struct ta__geo_rec *r = &t[i]->u[k];
            r->flags = (uint8_t)(r->flags & ~F_HOME);
            if (r->cc[0] != 0 && cc_is_home(g, r->cc))
                r->flags |= F_HOME;
        }
    }
    return TA_OK;
}

ta_err ta_geo_set_home(ta_geo *g, const char *countries, const char *nets_path, char *errbuf,
                       size_t errlen)
{
    uint32_t cc[MAX_HOME_CC];
    size_t ncc = 0;
    if (errlen > 0)
        errbuf[0] = '\0';
    ta_err err = parse_home_cc(countries, cc, &ncc, errbuf, errlen);
    if (err != TA_OK)
        return err;
    if (nets_path == NULL && !g->home_nets_applied) {
        err = home_countries_only(g, cc, ncc);
        if (err != TA_OK)
            snprintf(errbuf, errlen, "building home tables: %s", ta_strerror(err));
        else
            g->n_home_nets = 0;
        return err;
    }
    struct ta__geo_ivlist h4 = {0}, h6 = {0};
    uint64_t lines = 0;
    struct build b4 = {0}, b6 = {0}, o4 = {0}, o6 = {0};
    struct table t4 = {0}, t6 = {0};
    if (nets_path != NULL) {
        /* Home-nets lines carry no AS names; g->pool may be read-only (mapped). */
        struct ta__geo_pool scratch;
        err = ta__geo_pool_init(&scratch);
        if (err == TA_OK)
            err = load_cidr_file(nets_path, false, g->max_cidr_lines, &h4, &h6, &scratch, &lines,
                                 errbuf, errlen);
        ta__geo_pool_release(&scratch);
        if (err != TA_OK)
            goto out;
    }
    /* Build with the new settings, keep the old ones if anything fails. */
    uint32_t old_cc[MAX_HOME_CC];
    size_t old_n = g->n_home_cc;
    memcpy(old_cc, g->home_cc, sizeof(old_cc));
    memcpy(g->home_cc, cc, sizeof(cc));
    g->n_home_cc = ncc;
    err = build_from_table(&g->t4, &b4, true);
    if (err == TA_OK)
        err = build_from_table(&g->t6, &b6, false);
    if (err == TA_OK)
        err = apply_home(g, &b4, &h4, MAX4, &o4);
    if (err == TA_OK)
        err = apply_home(g, &b6, &h6, MAX6, &o6);
    if (err == TA_OK)
        err = table_from_build(&t4, &o4, true);
    if (err == TA_OK)
        err = table_from_build(&t6, &o6, false);
    if (err != TA_OK) {
        memcpy(g->home_cc, old_cc, sizeof(old_cc));
        g->n_home_cc = old_n;
        table_free(&t4);
        table_free(&t6);
        if (errbuf[0] == '\0')
            snprintf(errbuf, errlen, "building home tables: %s", ta_strerror(err));
        goto out;
    }
    table_free(&g->t4);
    table_free(&g->t6);
    g->t4 = t4;
    g->t6 = t6;
    g->n_home_nets = lines;
    g->home_nets_applied = nets_path != NULL;
out:
    build_free(&b4);
    build_free(&b6);
    build_free(&o4);
    build_free(&o6);
    ta__geo_ivlist_free(&h4);
    ta__geo_ivlist_free(&h6);
    return err;
}

static void dbinfo_free(struct dbinfo *d)
{
    free(d->path);
    free(d->dbtype);
    free(d->pkg);
    free(d->pkgver);
    memset(d, 0, sizeof(*d));
}

void ta_geo_close(ta_geo *g)
{
    if (g == NULL)
        return;
    table_free(&g->t4);
    table_free(&g->t6);
    if (g->map != NULL)
        munmap(g->map, g->map_len);
    else
        ta__geo_pool_release(&g->pool);
    dbinfo_free(&g->info[0]);
    dbinfo_free(&g->info[1]);
    free(g);
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/*
 * Fingerprint of everything the base tables depend on: each source file
 * (path, size, mtime and ctime to the nanosecond, inode; npm tarballs all
 * carry the same mtime, so ctime and inode catch a reinstall) and the
 * options that shape them. Home settings are not in it: they are applied
 * over the cached tables at each open.
 */
static void fingerprint(struct ta__geo_fp *f, const char *country, bool country_used,
                        const char *asn, bool asn_used, const struct ta_geo_opts *opts,
                        size_t max_rows, size_t max_lines)
{
    char dir[PATH_MAX], p[PATH_MAX];
    ta__geo_fp_add(f, "threatatlas geo tables, jump %d/%d\n", TA_RTAB4_BITS, TA_RTAB6_BITS);
    ta__geo_fp_add(f, "limits %zu %zu\n", max_rows, max_lines);
    if (country_used) {
        ta__geo_fp_file(f, "country", country);
        if (dir_of(country, dir, sizeof(dir)) == TA_OK &&
            pathf(p, sizeof(p), "%s/package.json", dir))
            ta__geo_fp_file(f, "country-package", p);
    } else {
        ta__geo_fp_add(f, "country none\n");
    }
    if (asn_used) {
        ta__geo_fp_file(f, "asn", asn);
        if (is_dir(asn)) {
            static const char *const names[] = {"asn-ipv4.csv", "asn-ipv6.csv", "package.json"};
            for (size_t i = 0; i < 3; i++)
                if (pathf(p, sizeof(p), "%s/%s", asn, names[i]))
                    ta__geo_fp_file(f, names[i], p);
        } else if (dir_of(asn, dir, sizeof(dir)) == TA_OK &&
                   pathf(p, sizeof(p), "%s/package.json", dir)) {
            ta__geo_fp_file(f, "asn-package", p);
        }
    } else {
        ta__geo_fp_add(f, "asn none\n");
    }
    if (opts->overrides != NULL)
        ta__geo_fp_file(f, "overrides", opts->overrides);
    else
        ta__geo_fp_add(f, "overrides none\n");
}

static ta_err dbinfo_from_cache(struct dbinfo *d, const char *role,
                                const struct ta__geo_cache_info *c)
{
    memset(d, 0, sizeof(*d));
    d->used = c->used;
    if (!c->used)
        return TA_OK;
    d->role = role;
    d->format = c->format;
    d->epoch = c->epoch;
    d->records = c->records;
    d->malformed = c->malformed;
    d->path = xstrdup(c->path);
    d->dbtype = xstrdup(c->dbtype);
    d->pkg = xstrdup(c->pkg);
    d->pkgver = xstrdup(c->pkgver);
    return d->path && d->dbtype && d->pkg && d->pkgver ? TA_OK : TA_ERR_NOMEM;
}

static ta_err table_from_cache(struct table *t, const struct ta__geo_cache_table *c, bool v4)
{
    memset(t, 0, sizeof(*t));
    t->mapped = true;
    t->n = c->n;
    t->nu = c->nu;
    /* Read-only views into the mapping; nothing writes through them. */
    t->s4 = (uint32_t *)(uintptr_t)c->s4;
    t->s6 = (ta__u128 *)(uintptr_t)c->s6;
    t->ridx = (uint32_t *)(uintptr_t)c->ridx;
    t->u = (struct ta__geo_rec *)(uintptr_t)c->u;
    return index_table(t, v4);
}

/*
 * Map dir/cache-v1.bin and take the tables from it if it was built from
 * exactly these sources. Returns true if g now holds the tables; a missing,
 * stale or corrupt file leaves g untouched (and is counted).
 */
static bool cache_load(ta_geo *g, const char *dir, const char *name, const struct ta__geo_fp *fp)
{
    char path[PATH_MAX];
    if (!pathf(path, sizeof(path), "%s/%s", dir, name))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    void *map = MAP_FAILED;
    size_t len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < ((uint64_t)1 << 34)) {
        len = (size_t)st.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    close(fd);
    if (map == MAP_FAILED) {
        g->cache_corrupt++;
        return false;
    }
    struct ta__geo_cache c;
    enum ta__geo_cache_status stt = ta__geo_cache_parse(map, len, fp->buf, fp->len, &c);
    if (stt != TA__GEO_CACHE_VALID) {
        if (stt == TA__GEO_CACHE_STALE)
            g->cache_stale++;
        else
            g->cache_corrupt++;
        munmap(map, len);
        return false;
    }
    struct table t4, t6;
    struct dbinfo i0, i1;
    ta_err err = table_from_cache(&t4, &c.t4, true);
    if (err == TA_OK)
        err = table_from_cache(&t6, &c.t6, false);
    if (err == TA_OK)
        err = dbinfo_from_cache(&i0, "country", &c.info[0]);
    if (err == TA_OK)
        err = dbinfo_from_cache(&i1, "asn", &c.info[1]);
    if (err != TA_OK) {
        /* Out of memory for the jump tables: let the caller build instead. */
        table_free(&t4);
        table_free(&t6);
        dbinfo_free(&i0);
        dbinfo_free(&i1);
        munmap(map, len);
        return false;
    }
    ta__geo_pool_release(&g->pool);
    g->pool.buf = (char *)(uintptr_t)c.pool;
    g->pool.len = c.pool_len;
    g->t4 = t4;
    g->t6 = t6;
    dbinfo_free(&g->info[0]);
    dbinfo_free(&g->info[1]);
    g->info[0] = i0;
    g->info[1] = i1;
    g->map_6to4 = c.map_6to4;
    g->n_overrides = c.n_overrides;
    g->map = map;
    g->map_len = len;
    return true;
}

static void cache_info_of(const struct dbinfo *d, struct ta__geo_cache_info *c)
{
    c->used = d->used;
    c->path = d->path;
    c->format = d->format;
    c->dbtype = d->dbtype;
    c->pkg = d->pkg;
    c->pkgver = d->pkgver;
    c->epoch = d->epoch;
    c->records = d->records;
    c->malformed = d->malformed;
}

static ta_err cache_save(const ta_geo *g, const char *dir, const char *name,
                         const struct ta__geo_fp *fp)
{
    struct ta__geo_cache c;
    memset(&c, 0, sizeof(c));
    const struct table *t[2] = {&g->t4, &g->t6};
    struct ta__geo_cache_table *ct[2] = {&c.t4, &c.t6};
    for (int i = 0; i < 2; i++) {
        ct[i]->n = t[i]->n;
        ct[i]->nu = t[i]->nu;
        ct[i]->s4 = t[i]->s4;
        ct[i]->s6 = t[i]->s6;
        ct[i]->ridx = t[i]->ridx;
        ct[i]->u = t[i]->u;
    }
    c.pool = g->pool.buf;
    c.pool_len = g->pool.len;
    c.map_6to4 = g->map_6to4;
    c.n_overrides = g->n_overrides;
    cache_info_of(&g->info[0], &c.info[0]);
    cache_info_of(&g->info[1], &c.info[1]);
    return ta__geo_cache_write(dir, name, &c, fp->buf, fp->len);
}

static bool cache_disabled(const struct ta_geo_opts *opts)
{
    const char *e = getenv("THREATATLAS_GEO_NO_CACHE");
    return opts->no_cache || (e != NULL && e[0] != '\0' && strcmp(e, "0") != 0);
}

ta_err ta_geo_open(const struct ta_geo_opts *opts, ta_geo **out, char *errbuf, size_t errlen)
{
    static const struct ta_geo_opts defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    *out = NULL;
    if (errlen > 0)
        errbuf[0] = '\0';
    ta_geo *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return TA_ERR_NOMEM;
    size_t max_rows = opts->max_asn_rows ? opts->max_asn_rows : 4000000;
    g->max_cidr_lines = opts->max_cidr_lines ? opts->max_cidr_lines : 100000;
    enum { C4, C6, A4, A6, S4, S6, O4, O6, NL };
    struct ta__geo_ivlist l[NL];
    memset(l, 0, sizeof(l));
    struct build b4 = {0}, b6 = {0};
    struct ta__geo_fp fp = {0};
    char dd[PATH_MAX], cpath[PATH_MAX], apath[PATH_MAX], cdir[PATH_MAX];
    bool use_country = false, use_asn = false;
    ta_err err = ta__geo_pool_init(&g->pool);
    if (err != TA_OK)
        goto fail;
    if (!ta_geo_data_dir(opts->data_dir, dd, sizeof(dd))) {
        snprintf(errbuf, errlen, "data directory path too long");
        err = TA_ERR_ARG;
        goto fail;
    }

    /* Country database. */
    bool location = opts->source != NULL && strcmp(opts->source, "location") == 0;
    if (opts->source != NULL && !location && strcmp(opts->source, "whois") != 0) {
        snprintf(errbuf, errlen, "unknown geo source '%s' (whois or location)", opts->source);
        err = TA_ERR_ARG;
        goto fail;
    }
    if (!(opts->country_db != NULL
              ? pathf(cpath, sizeof(cpath), "%s", opts->country_db)
              : pathf(cpath, sizeof(cpath), "%s/geo/%s/%s", dd,
                      location ? TA_GEO_PKG_DBIP_DIR : TA_GEO_PKG_COUNTRY_DIR,
                      location ? TA_GEO_PKG_DBIP_FILE : TA_GEO_PKG_COUNTRY_FILE))) {
        snprintf(errbuf, errlen, "country database path too long");
        err = TA_ERR_ARG;
        goto fail;
    }
    if (!(opts->country_optional && !file_exists(cpath))) {
        if (!file_exists(cpath)) {
            snprintf(errbuf, errlen, "%s: no such file (run 'threatatlas geo install')", cpath);
            err = TA_ERR_NOTFOUND;
            goto fail;
        }
        use_country = true;
    }

    /* ASN database. */
    if (!(opts->asn_db != NULL
              ? pathf(apath, sizeof(apath), "%s", opts->asn_db)
              : pathf(apath, sizeof(apath), "%s/geo/%s", dd, TA_GEO_PKG_ASN_DIR))) {
        snprintf(errbuf, errlen, "ASN database path too long");
        err = TA_ERR_ARG;
        goto fail;
    }
    if (!(opts->asn_optional && !file_exists(apath))) {
        if (!file_exists(apath)) {
            snprintf(errbuf, errlen, "%s: no such file (run 'threatatlas geo install')", apath);
            err = TA_ERR_NOTFOUND;
            goto fail;
        }
        use_asn = true;
    }

    /*
     * The cache lives beside the installed packages and is only for them
     * (explicit --country-db / --asn-db files are built every time), so
     * ad-hoc databases never evict the cache of the installed data.
     */
    /* One cache file per installed source, so switching does not rebuild. */
    const char *cname = location ? TA__GEO_CACHE_NAME_LOCATION : TA__GEO_CACHE_NAME;
    bool cacheable = opts->country_db == NULL && opts->asn_db == NULL && !cache_disabled(opts) &&
                     pathf(cdir, sizeof(cdir), "%s/geo", dd);
    if (cacheable) {
        fingerprint(&fp, cpath, use_country, apath, use_asn, opts, max_rows, g->max_cidr_lines);
        cacheable = !fp.oom;
    }
    if (cacheable && cache_load(g, cdir, cname, &fp)) {
        g->cache = TA_GEO_CACHE_HIT;
        goto home;
    }

    if (use_country) {
        g->info[0].role = "country";
        g->info[0].path = xstrdup(cpath);
        if (g->info[0].path == NULL) {
            err = TA_ERR_NOMEM;
            goto fail;
        }
        err = open_mmdb(cpath, TA__GEO_MMDB_COUNTRY, &g->info[0], &l[C4], &l[C6], &g->pool,
                        &g->map_6to4, errbuf, errlen);
        if (err != TA_OK)
            goto fail;
        g->info[0].used = true;
    }
    if (use_asn) {
        g->info[1].role = "asn";
        g->info[1].path = xstrdup(apath);
        if (g->info[1].path == NULL) {
            err = TA_ERR_NOMEM;
            goto fail;
        }
        err = open_asn(apath, max_rows, &g->info[1], &l[A4], &l[A6], &g->pool, errbuf, errlen);
        if (err != TA_OK)
            goto fail;
        g->info[1].used = true;
    }

    for (int k = C4; k <= A6; k++) {
        err = ta__geo_ivlist_disjoint(&l[k]);
        if (err != TA_OK)
            goto fail;
    }
    err = special_lists(&l[S4], &l[S6]);
    if (err == TA_OK && opts->overrides != NULL)
        err = load_cidr_file(opts->overrides, true, g->max_cidr_lines, &l[O4], &l[O6], &g->pool,
                             &g->n_overrides, errbuf, errlen);
    if (err != TA_OK)
        goto fail;

    struct ta__geo_ivlist *src4[L__COUNT] = {&l[C4], &l[A4], &l[S4], &l[O4]};
    struct ta__geo_ivlist *src6[L__COUNT] = {&l[C6], &l[A6], &l[S6], &l[O6]};
    err = merge_base(src4, MAX4, &b4);
    if (err == TA_OK)
        err = merge_base(src6, MAX6, &b6);
    /* The source lists are large; drop them before building the tables. */
    for (int k = 0; k < NL; k++)
        ta__geo_ivlist_free(&l[k]);
    if (err == TA_OK)
        err = table_from_build(&g->t4, &b4, true);
    if (err == TA_OK)
        err = table_from_build(&g->t6, &b6, false);
    if (err != TA_OK)
        goto fail;
    /* An unwritable data directory is not an error: the tables are built. */
    if (cacheable)
        g->cache = cache_save(g, cdir, cname, &fp) == TA_OK ? TA_GEO_CACHE_WRITTEN
                                                            : TA_GEO_CACHE_NOT_WRITTEN;

home:
    if (opts->home_countries != NULL || opts->home_nets != NULL) {
        err = ta_geo_set_home(g, opts->home_countries, opts->home_nets, errbuf, errlen);
        if (err != TA_OK)
            goto fail;
    }
#ifdef __GLIBC__
    /* The build freed tens of MiB of source lists; give them back. */
    if (g->cache != TA_GEO_CACHE_HIT)
        malloc_trim(0);
#endif
    ta__geo_fp_release(&fp);
    *out = g;
    return TA_OK;

fail:
    if (errlen > 0 && errbuf[0] == '\0')
        snprintf(errbuf, errlen, "opening geolocation data: %s", ta_strerror(err));
    for (int k = 0; k < NL; k++)
        ta__geo_ivlist_free(&l[k]);
    build_free(&b4);
    build_free(&b6);
    ta__geo_fp_release(&fp);
    ta_geo_close(g);
    return err;
}

size_t ta_geo_info(const ta_geo *g, struct ta_geo_db_info *out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        const struct dbinfo *d = &g->info[i];
        if (!d->used)
            continue;
        if (n < max) {
            struct ta_geo_db_info *o = &out[n];
            o->role = i == 0 ? "country" : "asn";
            o->path = d->path;
            o->format = d->format;
            o->database_type = d->dbtype ? d->dbtype : "";
            o->build_epoch = d->epoch;
            o->package = d->pkg ? d->pkg : "";
            o->package_version = d->pkgver ? d->pkgver : "";
            o->records = d->records;
            o->malformed = d->malformed;
        }
        n++;
    }
    return n;
}

void ta_geo_stats(const ta_geo *g, struct ta_geo_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->v4_ranges = g->t4.n;
    out->v6_ranges = g->t6.n;
    out->overrides = g->n_overrides;
    out->home_nets = g->n_home_nets;
    out->table_bytes = g->t4.n * 2 * sizeof(uint32_t) + g->t6.n * (sizeof(ta__u128) + 4) +
                       (g->t4.nu + g->t6.nu) * sizeof(struct ta__geo_rec) +
                       ta_rtab4_bytes(&g->t4.r4) + ta_rtab6_bytes(&g->t6.r6) +
                       (g->map != NULL ? g->pool.len : g->pool.cap);
    out->cache = g->cache;
    out->cache_stale = g->cache_stale;
    out->cache_corrupt = g->cache_corrupt;
}

const char *ta_geo_cache_name(unsigned state)
{
    static const char *const names[TA_GEO_CACHE__COUNT] = {"off", "hit", "written", "not-written"};
    return state < TA_GEO_CACHE__COUNT ? names[state] : "unknown";
}
