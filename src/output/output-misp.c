/*
 * MISP writer (threatatlas events --format misp): one event in MISP's own
 * JSON (the shape of MISP's event export and of the body its import and
 * events/add accept): the organisation, a TLP tag, the kind's taxonomy tag
 * (ecsirt), and one attribute per shared indicator with to_ids set, its
 * first/last seen, the number of events in its comment and two sightings
 * (first and last seen). Attributes are written one at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"
#include "threatatlas/share.h"

#include "output/output-share.h"

#include "common/banned.h"

/* The ecsirt taxonomy's value for each shared kind. */
static const char *taxonomy_tag(enum ta_event_kind k)
{
    switch (k) {
    case TA_EVENT_C2:
        return "ecsirt:malicious-code=\"c2server\"";
    case TA_EVENT_PHISHING:
        return "ecsirt:fraud=\"phishing\"";
    default:
        return "ecsirt:intrusions=\"backdoor\"";
    }
}

static void tag(struct ta_json *j, const char *name)
{
    ta_json_obj_open(j);
    ta_json_kv_str(j, "name", name);
    ta_json_obj_close(j);
}

/* MISP's attribute times: "2014-03-19T08:01:02.123456+00:00". */
static const char *misp_time(ta_time_us t, char out[TA_TS_STRLEN + 4])
{
    char ts[TA_TS_STRLEN];
    ta_time_format(t, ts, sizeof(ts));
    snprintf(out, TA_TS_STRLEN + 4, "%.26s+00:00", ts);
    return out;
}

static void epoch_str(ta_time_us t, char out[24])
{
    snprintf(out, 24, "%lld", (long long)(t / 1000000));
}

static void sighting(struct ta_json *j, const char *attr_uuid, const char *org, ta_time_us t)
{
    char u[TA_UUID_STRLEN], e[24];
    epoch_str(t, e);
    ta__share_uuid(attr_uuid, e, u);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "uuid", u);
    ta_json_kv_str(j, "type", "0");
    ta_json_kv_str(j, "date_sighting", e);
    ta_json_kv_str(j, "source", org);
    ta_json_obj_close(j);
}

static void attribute(struct ta_json *j, const struct ta_share_indicator *v, const char *org)
{
    static const char *const types[3][4] = {
        /* ipv4, ipv6, url, domain by kind: servers are destinations, attackers sources. */
        {"ip-dst", "ip-dst", "url", "domain"},
        {"ip-dst", "ip-dst", "url", "domain"},
        {"ip-src", "ip-src", "url", "domain"},
    };
    int row = v->kind == TA_EVENT_C2 ? 0 : v->kind == TA_EVENT_PHISHING ? 1 : 2;
    char u[TA_UUID_STRLEN], e[24], t[TA_TS_STRLEN + 4], comment[256], asn[32] = "";
    ta__share_uuid(ta_event_kind_name(v->kind), v->value, u);
    if (v->asn > 0)
        snprintf(asn, sizeof(asn), ", AS%lld", (long long)v->asn);
    snprintf(comment, sizeof(comment), "%s located in %s%s; %llu events", ta__share_what(v->kind),
             v->cc[0] ? v->cc : "an unknown country", asn, (unsigned long long)v->events);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "uuid", u);
    ta_json_kv_str(j, "type", types[row][v->vtype]);
    ta_json_kv_str(j, "category", "Network activity");
    ta_json_kv_str(j, "value", v->value);
    ta_json_kv_bool(j, "to_ids", true);
    ta_json_kv_str(j, "distribution", "5");
    epoch_str(v->last_seen, e);
    ta_json_kv_str(j, "timestamp", e);
    ta_json_kv_str(j, "first_seen", misp_time(v->first_seen, t));
    ta_json_kv_str(j, "last_seen", misp_time(v->last_seen, t));
    ta_json_kv_str(j, "comment", comment);
    ta_json_key(j, "Tag");
    ta_json_arr_open(j);
    tag(j, taxonomy_tag(v->kind));
    char fam[160];
    const char *p = v->family;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 0 && n < 100) {
            snprintf(fam, sizeof(fam), "misp-galaxy:malpedia=\"%.*s\"", (int)n, p);
            tag(j, fam);
        }
        p += n;
        p += *p == ',';
    }
    ta_json_arr_close(j);
    ta_json_key(j, "Sighting");
    ta_json_arr_open(j);
    sighting(j, u, org, v->first_seen);
    if (v->last_seen != v->first_seen)
        sighting(j, u, org, v->last_seen);
    ta_json_arr_close(j);
    ta_json_obj_close(j);
}

ta_err ta_share_write_misp(const struct ta_share_indicator *v, size_t n,
                           const struct ta_share_meta *m, FILE *out)
{
    ta_time_us first = n > 0 ? v[0].first_seen : (ta_time_us)m->from_day * 86400000000ll;
    ta_time_us last = n > 0 ? v[0].last_seen : first;
    uint32_t kinds = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].first_seen < first)
            first = v[i].first_seen;
        if (v[i].last_seen > last)
            last = v[i].last_seen;
        kinds |= 1u << v[i].kind;
    }
    char scope[128], u[TA_UUID_STRLEN], ou[TA_UUID_STRLEN], e[24], day[TA_TS_STRLEN], info[256];
    snprintf(scope, sizeof(scope), "%lld %lld %s %s %s %zu", (long long)m->from_day,
             (long long)m->to_day, m->src_cc, m->dst_cc, ta_tlp_name(m->tlp), n);
    ta__share_uuid(m->org, scope, u);
    ta__share_uuid("org", m->org, ou);
    ta_time_format(first, day, sizeof(day));
    day[10] = '\0';
    char lastday[TA_TS_STRLEN];
    ta_time_format(last, lastday, sizeof(lastday));
    lastday[10] = '\0';
    snprintf(
        info, sizeof(info),
        "threatatlas: C&C servers, phishing pages and backdoor attackers seen %s to %s%s%s%s%s",
        day, lastday, m->src_cc[0] ? ", in " : "", m->src_cc, m->dst_cc[0] ? ", against " : "",
        m->dst_cc);

    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "uuid", u);
    ta_json_kv_str(&j, "info", info);
    ta_json_kv_str(&j, "date", day);
    epoch_str(last, e);
    ta_json_kv_str(&j, "timestamp", e);
    ta_json_kv_bool(&j, "published", false);
    ta_json_kv_str(&j, "analysis", "2");
    ta_json_kv_str(&j, "threat_level_id", "2");
    ta_json_kv_str(&j, "distribution", "0");
    ta_json_key(&j, "Orgc");
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "uuid", ou);
    ta_json_kv_str(&j, "name", m->org);
    ta_json_obj_close(&j);
    ta_json_key(&j, "Tag");
    ta_json_arr_open(&j);
    char tlp[32];
    snprintf(tlp, sizeof(tlp), "tlp:%s", ta_tlp_name(m->tlp));
    tag(&j, tlp);
    /* The kind on the event too when the export holds one kind only, so
     * that importers reading event tags only get it right. */
    if (kinds != 0 && (kinds & (kinds - 1)) == 0)
        tag(&j, taxonomy_tag(v[0].kind));
    ta_json_arr_close(&j);
    ta_json_obj_close(&j);
    ta_err err = j.oom ? TA_ERR_NOMEM : TA_OK;
    /* {"Event": {...head..., "Attribute": [ ...one per line... ]}} */
    if (err == TA_OK) {
        fputs("{\"Event\": ", out);
        fwrite(j.buf, 1, j.len - 1, out);
        fputs(", \"Attribute\": [", out);
    }
    for (size_t i = 0; i < n && err == TA_OK; i++) {
        ta_json_reset(&j);
        attribute(&j, &v[i], m->org);
        if (j.oom) {
            err = TA_ERR_NOMEM;
            break;
        }
        fputs(i ? ",\n" : "\n", out);
        fwrite(j.buf, 1, j.len, out);
    }
    if (err == TA_OK)
        fputs("\n]}}\n", out);
    ta_json_release(&j);
    if (err == TA_OK && ferror(out))
        err = TA_ERR_IO;
    return err;
}
