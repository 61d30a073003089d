/*
 * Enumerate a MaxMind DB's networks into interval lists (enrich-internal.h).
 *
 * At open time the whole search tree is walked once through libmaxminddb
 * (MMDB_read_node, MMDB_get_value), so lookups afterwards never touch the
 * database. IPv4 networks come from the IPv4 subtree (::/96 in an IPv6
 * database); the IPv6 walk skips that subtree and the aliases that point to
 * it (::ffff:0:0/96, 2002::/16), which lookups resolve through IPv4 (6to4
 * only when the database has that alias, reported through alias_6to4).
 */
#include "enrich/enrich-mmdb.h"

#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash64.h"
#include "common/htab.h"

#include "common/banned.h"

/* Decoded-record cache: many networks share one data record. Entries are
 * (data offset, a, b) triples appended to ent, indexed by offset in tab. */
struct dentry {
    uint32_t off, a, b;
};

struct dcache {
    struct ta_htab tab;
    struct dentry *ent;
    size_t n, cap;
};

static void dcache_free(struct dcache *c)
{
    ta_htab_release(&c->tab);
    free(c->ent);
    memset(c, 0, sizeof(*c));
}

struct dprobe {
    const struct dcache *c;
    uint32_t off;
};

static bool off_eq(const void *ctx, uint32_t e)
{
    const struct dprobe *p = ctx;
    return p->c->ent[e].off == p->off;
}

static bool dcache_get(const struct dcache *c, uint32_t off, uint32_t *a, uint32_t *b)
{
    struct dprobe probe = {c, off};
    uint32_t e;
    if (!ta_htab_find(&c->tab, ta_hash_mix64(off), off_eq, &probe, &e))
        return false;
    *a = c->ent[e].a;
    *b = c->ent[e].b;
    return true;
}

static ta_err dcache_put(struct dcache *c, uint32_t off, uint32_t a, uint32_t b)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 2048;
        struct dentry *ne = realloc(c->ent, cap * sizeof(*ne));
        if (ne == NULL)
            return TA_ERR_NOMEM;
        c->ent = ne;
        c->cap = cap;
    }
    ta_err err = ta_htab_put(&c->tab, ta_hash_mix64(off), (uint32_t)c->n);
    if (err != TA_OK)
        return err;
    c->ent[c->n++] = (struct dentry){off, a, b};
    return TA_OK;
}

struct walk {
    MMDB_s *db;
    enum ta__geo_mmdb_kind kind;
    struct ta__geo_ivlist *out;
    struct ta__geo_pool *pool;
    struct dcache cache;
    uint64_t visits, max_visits;
    uint64_t skip_node; /* UINT64_MAX = none */
    bool in_v6;
    bool alias_6to4; /* 2002::/16 points at the IPv4 subtree */
    char *errbuf;
    size_t errlen;
};

static ta_err mmdb_fail(struct walk *w, int rc)
{
    snprintf(w->errbuf, w->errlen, "%s: %s", w->db->filename, MMDB_strerror(rc));
    return TA_ERR_FORMAT;
}

/* Look a string up at path; rc is libmaxminddb's status. */
static int get_str(MMDB_entry_s *e, const char **path, const char **s, uint32_t *n)
{
    MMDB_entry_data_s d;
    int rc = MMDB_aget_value(e, &d, path);
    if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return MMDB_SUCCESS;
    if (rc != MMDB_SUCCESS)
        return rc;
    if (d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
        *s = d.utf8_string;
        *n = d.data_size;
    }
    return MMDB_SUCCESS;
}

static bool cc_from(const char *s, uint32_t n, uint32_t *cc)
{
    if (s == NULL || n != 2)
        return false;
    char a = s[0], b = s[1];
    if (a >= 'a' && a <= 'z')
        a = (char)(a - 32);
    if (b >= 'a' && b <= 'z')
        b = (char)(b - 32);
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
        return false;
    *cc = ta__geo_cc_pack(a, b);
    return true;
}

static ta_err decode(struct walk *w, MMDB_entry_s e, uint32_t *a, uint32_t *b)
{
    if (dcache_get(&w->cache, e.offset, a, b))
        return TA_OK;
    *a = *b = 0;
    if (w->kind == TA__GEO_MMDB_COUNTRY) {
        static const char *const paths[3][3] = {
            {"country_code", NULL, NULL},
            {"country", "iso_code", NULL},
            {"registered_country", "iso_code", NULL},
        };
        for (int i = 0; i < 3 && *a == 0; i++) {
            const char *s = NULL;
            uint32_t n = 0;
            int rc = get_str(&e, (const char **)paths[i], &s, &n);
            if (rc != MMDB_SUCCESS)
                return mmdb_fail(w, rc);
            cc_from(s, n, a);
        }
    } else {
        static const char *const pnum[] = {"autonomous_system_number", NULL};
        static const char *const porg[] = {"autonomous_system_organization", NULL};
        MMDB_entry_data_s d;
        int rc = MMDB_aget_value(&e, &d, (const char **)pnum);
        if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
            return mmdb_fail(w, rc);
        if (rc == MMDB_SUCCESS && d.has_data) {
            if (d.type == MMDB_DATA_TYPE_UINT32)
                *a = d.uint32;
            else if (d.type == MMDB_DATA_TYPE_UINT16)
                *a = d.uint16;
            else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
                *a = (uint32_t)d.uint64;
        }
        const char *s = NULL;
        uint32_t n = 0;
        rc = get_str(&e, (const char **)porg, &s, &n);
        if (rc != MMDB_SUCCESS)
            return mmdb_fail(w, rc);
        if (*a != 0 && s != NULL) {
            ta_err err = ta__geo_pool_intern(w->pool, s, n, b);
            if (err != TA_OK)
                return err;
        }
    }
    return dcache_put(&w->cache, e.offset, *a, *b);
}

static ta_err walk_node(struct walk *w, uint64_t node, ta__u128 prefix, unsigned depth,
                        unsigned bits);

/* One record covering prefix/depth in a key space of `bits` bits. */
static ta_err walk_record(struct walk *w, uint8_t type, uint64_t rec, MMDB_entry_s entry,
                          ta__u128 prefix, unsigned depth, unsigned bits)
{
    switch (type) {
    case MMDB_RECORD_TYPE_EMPTY:
        return TA_OK;
    case MMDB_RECORD_TYPE_DATA: {
        uint32_t a, b;
        ta_err err = decode(w, entry, &a, &b);
        if (err != TA_OK || (a == 0 && b == 0))
            return err;
        unsigned host = bits - depth;
        ta__u128 mask = host >= 128 ? ~(ta__u128)0 : (((ta__u128)1 << host) - 1);
        if (w->kind == TA__GEO_MMDB_COUNTRY)
            return ta__geo_ivlist_push(w->out, prefix, prefix | mask, a, 0, 0);
        return ta__geo_ivlist_push(w->out, prefix, prefix | mask, 0, a, b);
    }
    case MMDB_RECORD_TYPE_SEARCH_NODE:
        if (rec == w->skip_node) {
            if (w->in_v6 && depth == 16 && prefix == (ta__u128)0x2002 << 112)
                w->alias_6to4 = true;
            return TA_OK;
        }
        if (depth >= bits) {
            snprintf(w->errbuf, w->errlen, "%s: search tree deeper than %u bits", w->db->filename,
                     bits);
            return TA_ERR_FORMAT;
        }
        return walk_node(w, rec, prefix, depth, bits);
    default:
        return mmdb_fail(w, MMDB_CORRUPT_SEARCH_TREE_ERROR);
    }
}

static ta_err walk_node(struct walk *w, uint64_t node, ta__u128 prefix, unsigned depth,
                        unsigned bits)
{
    if (++w->visits > w->max_visits) {
        snprintf(w->errbuf, w->errlen, "%s: search tree revisits nodes (corrupt database)",
                 w->db->filename);
        return TA_ERR_FORMAT;
    }
    MMDB_search_node_s sn;
    int rc = MMDB_read_node(w->db, (uint32_t)node, &sn);
    if (rc != MMDB_SUCCESS)
        return mmdb_fail(w, rc);
    ta_err err = walk_record(w, sn.left_record_type, sn.left_record, sn.left_record_entry, prefix,
                             depth + 1, bits);
    if (err != TA_OK)
        return err;
    ta__u128 bit = (ta__u128)1 << (bits - depth - 1);
    return walk_record(w, sn.right_record_type, sn.right_record, sn.right_record_entry,
                       prefix | bit, depth + 1, bits);
}

ta_err ta__geo_mmdb_walk(MMDB_s *db, enum ta__geo_mmdb_kind kind, struct ta__geo_ivlist *v4,
                         struct ta__geo_ivlist *v6, struct ta__geo_pool *pool, bool *alias_6to4,
                         char *errbuf, size_t errlen)
{
    *alias_6to4 = false;
    struct walk w = {.db = db,
                     .kind = kind,
                     .pool = pool,
                     .max_visits = (uint64_t)db->metadata.node_count + 8,
                     .skip_node = UINT64_MAX,
                     .errbuf = errbuf,
                     .errlen = errlen};
    ta_err err = TA_OK;
    if (db->metadata.node_count == 0)
        goto out;
    /* Find the IPv4 subtree: the root of a v4 database, ::/96 in a v6 one. */
    uint8_t type = MMDB_RECORD_TYPE_SEARCH_NODE;
    uint64_t rec = 0;
    MMDB_entry_s entry = {.mmdb = db, .offset = 0};
    unsigned v4depth = 0;
    if (db->metadata.ip_version == 6) {
        for (; v4depth < 96 && type == MMDB_RECORD_TYPE_SEARCH_NODE; v4depth++) {
            MMDB_search_node_s sn;
            int rc = MMDB_read_node(db, (uint32_t)rec, &sn);
            if (rc != MMDB_SUCCESS) {
                err = mmdb_fail(&w, rc);
                goto out;
            }
            type = sn.left_record_type;
            rec = sn.left_record;
            entry = sn.left_record_entry;
        }
    }
    /* A record above ::/96 covers all of IPv4 (depth 0 of the v4 space). */
    w.out = v4;
    if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        err = walk_node(&w, rec, 0, 0, 32);
        w.skip_node = rec;
    } else {
        err = walk_record(&w, type, rec, entry, 0, 0, 32);
    }
    if (err != TA_OK)
        goto out;
    if (db->metadata.ip_version == 6) {
        w.out = v6;
        w.visits = 0;
        w.in_v6 = true;
        err = walk_node(&w, 0, 0, 0, 128);
        *alias_6to4 = w.alias_6to4;
    }
out:
    dcache_free(&w.cache);
    return err;
}
