/*
 * STIX 2.1 writer (threatatlas events --format stix): one bundle holding
 * the identity of the sharing CERT, the TLP marking, and per shared
 * indicator an indicator (with its pattern), a sighting (first/last seen,
 * count) and, for each malware family, a malware object and an "indicates"
 * relationship. Objects are written one at a time, so memory does not grow
 * with the bundle.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "threatatlas/json.h"
#include "threatatlas/share.h"

#include "output/output-share.h"

#include "common/banned.h"

/* TLP names, for both writers and the command line. */
static const char *const tlp_names[] = {"clear", "white", "green", "amber", "red"};

bool ta_tlp_parse(const char *s, enum ta_tlp *out)
{
    if (strncasecmp(s, "tlp:", 4) == 0)
        s += 4;
    for (unsigned i = 0; i < sizeof(tlp_names) / sizeof(tlp_names[0]); i++) {
        if (strcasecmp(s, tlp_names[i]) == 0) {
            *out = (enum ta_tlp)i;
            return true;
        }
    }
    return false;
}

const char *ta_tlp_name(enum ta_tlp t)
{
    return (unsigned)t < sizeof(tlp_names) / sizeof(tlp_names[0]) ? tlp_names[t] : "clear";
}

/* The TLP 1.0 marking definitions predefined by STIX 2.1 (section 7.2.1.4). */
static const struct {
    const char *id, *name, *tlp;
} tlp_defs[] = {
    [TA_TLP_CLEAR] = {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE",
                      "white"},
    [TA_TLP_WHITE] = {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE",
                      "white"},
    [TA_TLP_GREEN] = {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN",
                      "green"},
    [TA_TLP_AMBER] = {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER",
                      "amber"},
    [TA_TLP_RED] = {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED", "red"},
};

/* A pattern holds one value of at most a normalised URL's length, escaped. */
#define PATTERN_MAX 4352

struct stix_out {
    FILE *f;
    struct ta_json j;
    bool first;
    const char *identity; /* "identity--..." */
    const char *marking;
    ta_err err;
};

/* Write the finished object in o->j as the next element of "objects". */
static void emit(struct stix_out *o)
{
    if (o->err != TA_OK)
        return;
    if (o->j.oom) {
        o->err = TA_ERR_NOMEM;
        return;
    }
    fputs(o->first ? "\n" : ",\n", o->f);
    fwrite(o->j.buf, 1, o->j.len, o->f);
    o->first = false;
    ta_json_reset(&o->j);
}

/* type, spec_version, id, created, modified, created_by_ref, object_marking_refs. */
static void head(struct stix_out *o, const char *type, const char *id, ta_time_us created,
                 ta_time_us modified)
{
    char t[TA_RFC3339_LEN];
    struct ta_json *j = &o->j;
    ta_json_obj_open(j);
    ta_json_kv_str(j, "type", type);
    ta_json_kv_str(j, "spec_version", "2.1");
    ta_json_kv_str(j, "id", id);
    ta_json_kv_str(j, "created", ta__share_time(created, t));
    ta_json_kv_str(j, "modified", ta__share_time(modified, t));
    if (strcmp(type, "identity") != 0)
        ta_json_kv_str(j, "created_by_ref", o->identity);
    ta_json_key(j, "object_marking_refs");
    ta_json_arr_open(j);
    ta_json_str(j, o->marking);
    ta_json_arr_close(j);
}

static void make_id(const char *type, const char *a, const char *b, char *out, size_t cap)
{
    char u[TA_UUID_STRLEN];
    ta__share_uuid(a, b, u);
    snprintf(out, cap, "%s--%s", type, u);
}

/* Value as a STIX string literal body: \ and ' escaped. */
static void pattern_of(const struct ta_share_indicator *v, char *out, size_t cap)
{
    static const char *const paths[] = {"ipv4-addr:value", "ipv6-addr:value", "url:value",
                                        "domain-name:value"};
    size_t o = (size_t)snprintf(out, cap, "[%s = '", paths[v->vtype]);
    for (const char *p = v->value; *p && o + 4 < cap; p++) {
        if (*p == '\\' || *p == '\'')
            out[o++] = '\\';
        out[o++] = *p;
    }
    snprintf(out + o, cap - o, "']");
}

/* Family i (0-based) of a comma-separated list into out; 0 when there is none. */
static size_t family_at(const char *list, size_t i, char *out, size_t cap)
{
    const char *p = list;
    for (size_t k = 0; k < i && p != NULL; k++) {
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    if (p == NULL || *p == '\0')
        return 0;
    size_t n = strcspn(p, ",");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return n;
}

static void describe(const struct ta_share_indicator *v, char *out, size_t cap)
{
    char asn[32] = "";
    if (v->asn > 0)
        snprintf(asn, sizeof(asn), ", AS%lld", (long long)v->asn);
    const char *cc = v->cc[0] ? v->cc : "an unknown country";
    switch (v->kind) {
    case TA_EVENT_C2:
        snprintf(out, cap, "Command and control server located in %s%s, seen in %llu events", cc,
                 asn, (unsigned long long)v->events);
        break;
    case TA_EVENT_PHISHING:
        snprintf(out, cap, "Phishing page served from %s, visited in %llu events", cc,
                 (unsigned long long)v->events);
        break;
    default:
        snprintf(out, cap,
                 "Address sending webshell (backdoor) requests, located in %s%s, in %llu "
                 "events",
                 cc, asn, (unsigned long long)v->events);
    }
}

static void write_indicator(struct stix_out *o, const struct ta_share_indicator *v)
{
    char id[96], sid[96], pat[PATTERN_MAX], desc[256], t[TA_RFC3339_LEN];
    const char *kname = ta_event_kind_name(v->kind);
    make_id("indicator", kname, v->value, id, sizeof(id));
    pattern_of(v, pat, sizeof(pat));
    describe(v, desc, sizeof(desc));
    struct ta_json *j = &o->j;
    head(o, "indicator", id, v->first_seen, v->last_seen);
    ta_json_kv_str(j, "name", ta__share_what(v->kind));
    ta_json_kv_str(j, "description", desc);
    ta_json_key(j, "indicator_types");
    ta_json_arr_open(j);
    ta_json_str(j, "malicious-activity");
    ta_json_arr_close(j);
    ta_json_kv_str(j, "pattern", pat);
    ta_json_kv_str(j, "pattern_type", "stix");
    ta_json_kv_str(j, "pattern_version", "2.1");
    ta_json_kv_str(j, "valid_from", ta__share_time(v->first_seen, t));
    ta_json_obj_close(j);
    emit(o);

    make_id("sighting", id, "", sid, sizeof(sid));
    head(o, "sighting", sid, v->first_seen, v->last_seen);
    ta_json_kv_str(j, "first_seen", ta__share_time(v->first_seen, t));
    ta_json_kv_str(j, "last_seen", ta__share_time(v->last_seen, t));
    ta_json_kv_uint(j, "count", v->events > 999999999 ? 999999999 : v->events);
    ta_json_kv_str(j, "sighting_of_ref", id);
    ta_json_key(j, "where_sighted_refs");
    ta_json_arr_open(j);
    ta_json_str(j, o->identity);
    ta_json_arr_close(j);
    ta_json_obj_close(j);
    emit(o);

    char fam[128];
    for (size_t i = 0; family_at(v->family, i, fam, sizeof(fam)) > 0; i++) {
        char mid[96], rid[96];
        make_id("malware", "family", fam, mid, sizeof(mid));
        make_id("relationship", id, mid, rid, sizeof(rid));
        head(o, "relationship", rid, v->first_seen, v->last_seen);
        ta_json_kv_str(j, "relationship_type", "indicates");
        ta_json_kv_str(j, "source_ref", id);
        ta_json_kv_str(j, "target_ref", mid);
        ta_json_obj_close(j);
        emit(o);
    }
}

/* Families named by any indicator, once each (sorted, unique). */
static ta_err families(const struct ta_share_indicator *v, size_t n, char ***out, size_t *nout)
{
    char **f = NULL;
    size_t nf = 0;
    char fam[128];
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; family_at(v[i].family, k, fam, sizeof(fam)) > 0; k++) {
            size_t at = 0;
            while (at < nf && strcmp(f[at], fam) < 0)
                at++;
            if (at < nf && strcmp(f[at], fam) == 0)
                continue;
            char **nv = realloc(f, (nf + 1) * sizeof(*nv));
            char *c = malloc(strlen(fam) + 1);
            if (nv != NULL)
                f = nv;
            if (nv == NULL || c == NULL) {
                free(c);
                *out = f;
                *nout = nf;
                return TA_ERR_NOMEM;
            }
            memcpy(c, fam, strlen(fam) + 1);
            memmove(&f[at + 1], &f[at], (nf - at) * sizeof(*f));
            f[at] = c;
            nf++;
        }
    }
    *out = f;
    *nout = nf;
    return TA_OK;
}

ta_err ta_share_write_stix(const struct ta_share_indicator *v, size_t n,
                           const struct ta_share_meta *m, FILE *out)
{
    char identity[96], bundle[96];
    make_id("identity", "identity", m->org, identity, sizeof(identity));
    char scope[128];
    snprintf(scope, sizeof(scope), "%s %lld %lld %s %s %s %zu", m->org, (long long)m->from_day,
             (long long)m->to_day, m->src_cc, m->dst_cc, ta_tlp_name(m->tlp), n);
    make_id("bundle", "bundle", scope, bundle, sizeof(bundle));
    /* The identity and families are dated by the earliest sighting, so the
     * output depends on the data only. */
    ta_time_us base = n > 0 ? v[0].first_seen : (ta_time_us)m->from_day * 86400000000ll;
    for (size_t i = 1; i < n; i++)
        if (v[i].first_seen < base)
            base = v[i].first_seen;

    struct stix_out o = {.f = out, .first = true, .identity = identity};
    o.marking = tlp_defs[m->tlp].id;
    ta_json_init(&o.j);
    fprintf(out, "{\"type\": \"bundle\", \"id\": \"%s\", \"objects\": [", bundle);

    struct ta_json *j = &o.j;
    ta_json_obj_open(j);
    ta_json_kv_str(j, "type", "marking-definition");
    ta_json_kv_str(j, "spec_version", "2.1");
    ta_json_kv_str(j, "id", tlp_defs[m->tlp].id);
    ta_json_kv_str(j, "created", "2017-01-20T00:00:00.000Z");
    ta_json_kv_str(j, "definition_type", "tlp");
    ta_json_kv_str(j, "name", tlp_defs[m->tlp].name);
    ta_json_key(j, "definition");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "tlp", tlp_defs[m->tlp].tlp);
    ta_json_obj_close(j);
    ta_json_obj_close(j);
    emit(&o);

    head(&o, "identity", identity, base, base);
    ta_json_kv_str(j, "name", m->org);
    ta_json_kv_str(j, "identity_class", "organization");
    ta_json_obj_close(j);
    emit(&o);

    char **fams = NULL;
    size_t nf = 0;
    if (o.err == TA_OK)
        o.err = families(v, n, &fams, &nf);
    for (size_t i = 0; i < nf && o.err == TA_OK; i++) {
        char mid[96];
        make_id("malware", "family", fams[i], mid, sizeof(mid));
        head(&o, "malware", mid, base, base);
        ta_json_kv_str(j, "name", fams[i]);
        ta_json_kv_bool(j, "is_family", true);
        ta_json_obj_close(j);
        emit(&o);
    }
    for (size_t i = 0; i < nf; i++)
        free(fams[i]);
    free(fams);
    for (size_t i = 0; i < n && o.err == TA_OK; i++)
        write_indicator(&o, &v[i]);
    fputs("\n]}\n", out);
    ta_json_release(&o.j);
    if (o.err == TA_OK && ferror(out))
        o.err = TA_ERR_IO;
    return o.err;
}
