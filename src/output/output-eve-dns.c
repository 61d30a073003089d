/*
 * EVE "dns" records (Suricata 8, DNS log format version 3), plus the common
 * head used by the http and tls writers and the app-layer EVE sink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

#include "output/output-eve-app.h"
#include "threatatlas/eve.h"

#include "common/banned.h"

void ta__eve_app_head(struct ta_json *j, const struct ta_flow *f, ta_time_us ts,
                      const char *event_type, bool swap)
{
    struct ta_eve_head h;
    ta_eve_head_flow(&h, f, event_type, ts, swap);
    /* App records always carry ports and never icmp fields. */
    h.ports = true;
    h.icmp = false;
    ta_eve_head(j, NULL, &h);
}

void ta__eve_kv_sq(struct ta_json *j, const char *qk, size_t qn, struct ta_str s)
{
    if (s.ptr != NULL) {
        ta__json_key_lit(j, qk, qn);
        ta_json_strn(j, s.ptr, s.len);
    }
}

/* Helpers taking literal keys (TA_JSON_LIT) as qk, qn. */
#define rrtype(j, k, t) rrtype_((j), TA_JSON_LIT(k), (t))
#define rrs(j, k, a, n) rrs_((j), TA_JSON_LIT(k), (a), (n))

static void rrtype_(struct ta_json *j, const char *qk, size_t qn, uint16_t t)
{
    const char *n = ta_dns_rrtype_name(t);
    char buf[8];
    if (n == NULL) {
        snprintf(buf, sizeof(buf), "%u", t);
        n = buf;
    }
    ta__json_key_lit(j, qk, qn);
    ta_json_str(j, n);
}

static void soa(struct ta_json *j, const struct ta_dns_rr *rr)
{
    ta_json_obj_open(j);
    ta__eve_kv_s(j, "mname", rr->soa.mname);
    ta__eve_kv_s(j, "rname", rr->soa.rname);
    TA_JSON_KV_UINT(j, "serial", rr->soa.serial);
    TA_JSON_KV_UINT(j, "refresh", rr->soa.refresh);
    TA_JSON_KV_UINT(j, "retry", rr->soa.retry);
    TA_JSON_KV_UINT(j, "expire", rr->soa.expire);
    TA_JSON_KV_UINT(j, "minimum", rr->soa.minimum);
    ta_json_obj_close(j);
}

static void srv(struct ta_json *j, const struct ta_dns_rr *rr)
{
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "priority", rr->srv.priority);
    TA_JSON_KV_UINT(j, "weight", rr->srv.weight);
    TA_JSON_KV_UINT(j, "port", rr->srv.port);
    ta__eve_kv_s(j, "name", rr->srv.target);
    ta_json_obj_close(j);
}

/*
 * Types whose rdata Suricata writes: text (an address, a name, TXT strings)
 * and NULL, whose bytes it writes escaped as we do (\xNN). Any other type's
 * rdata is binary that neither decodes (RRSIG, DNSKEY, DS ...): left out.
 */
static bool text_rdata(uint16_t t)
{
    switch (t) {
    case 1:  /* A */
    case 2:  /* NS */
    case 3:  /* MD */
    case 4:  /* MF */
    case 5:  /* CNAME */
    case 7:  /* MB */
    case 8:  /* MG */
    case 9:  /* MR */
    case 10: /* NULL */
    case 12: /* PTR */
    case 15: /* MX */
    case 16: /* TXT */
    case 28: /* AAAA */
    case 39: /* DNAME */
    case 99: /* SPF */
        return true;
    default:
        return false;
    }
}

/* The types Suricata groups (the members of dns.grouped in its schema we can fill). */
static bool grouped_type(uint16_t t)
{
    switch (t) {
    case 1:  /* A */
    case 2:  /* NS */
    case 5:  /* CNAME */
    case 6:  /* SOA */
    case 10: /* NULL */
    case 12: /* PTR */
    case 15: /* MX */
    case 16: /* TXT */
    case 28: /* AAAA */
    case 33: /* SRV */
        return true;
    default:
        return false;
    }
}

/* One RR as an object of answers/authorities/additionals. */
static void rr_one(struct ta_json *j, const struct ta_dns_rr *rr)
{
    ta_json_obj_open(j);
    ta__eve_kv_s(j, "rrname", rr->rrname);
    rrtype(j, "rrtype", rr->rrtype);
    TA_JSON_KV_UINT(j, "ttl", rr->ttl);
    if (rr->rrtype == 6) {
        TA_JSON_KEY(j, "soa");
        soa(j, rr);
    } else if (rr->rrtype == 33) {
        TA_JSON_KEY(j, "srv");
        srv(j, rr);
    } else if (text_rdata(rr->rrtype)) {
        ta__eve_kv_s(j, "rdata", rr->rdata);
    }
    ta_json_obj_close(j);
}

static void rrs_(struct ta_json *j, const char *qk, size_t qn, const struct ta_dns_rr *a,
                 uint32_t n)
{
    if (n == 0)
        return;
    ta__json_key_lit(j, qk, qn);
    ta_json_arr_open(j);
    for (uint32_t i = 0; i < n; i++)
        rr_one(j, &a[i]);
    ta_json_arr_close(j);
}

/* Suricata 8's "additionals": every additional RR but an OPT without options. */
static void additionals(struct ta_json *j, const struct ta_dns_rr *a, uint32_t n)
{
    bool open = false;
    for (uint32_t i = 0; i < n; i++) {
        if (a[i].rrtype == 41 && a[i].opt_len == 0)
            continue;
        if (!open) {
            TA_JSON_KEY(j, "additionals");
            ta_json_arr_open(j);
            open = true;
        }
        if (a[i].rrtype != 41) {
            rr_one(j, &a[i]);
            continue;
        }
        ta_json_obj_open(j);
        ta__eve_kv_s(j, "rrname", a[i].rrname);
        TA_JSON_KV_STR(j, "rrtype", "OPT");
        TA_JSON_KV_UINT(j, "ttl", a[i].ttl);
        TA_JSON_KEY(j, "opt");
        ta_json_arr_open(j);
        struct ta_cursor c;
        ta_cursor_init(&c, a[i].opt, a[i].opt_len);
        uint16_t code, len;
        const uint8_t *data;
        /* Options as Suricata writes them: code and the data in hex; a short tail ends them. */
        while (ta_cursor_u16be(&c, &code) && ta_cursor_u16be(&c, &len) &&
               ta_cursor_view(&c, len, &data)) {
            static const char hx[] = "0123456789abcdef";
            char buf[2 * 64];
            ta_json_obj_open(j);
            TA_JSON_KV_UINT(j, "code", code);
            TA_JSON_KEY(j, "data");
            if (2u * len <= sizeof(buf)) {
                for (uint16_t k = 0; k < len; k++) {
                    buf[2 * k] = hx[data[k] >> 4];
                    buf[2 * k + 1] = hx[data[k] & 15];
                }
                ta_json_strn(j, buf, 2u * len);
            } else {
                char *big = malloc(2u * len);
                if (big == NULL) {
                    ta_json_str(j, "");
                } else {
                    for (uint16_t k = 0; k < len; k++) {
                        big[2 * k] = hx[data[k] >> 4];
                        big[2 * k + 1] = hx[data[k] & 15];
                    }
                    ta_json_strn(j, big, 2u * len);
                    free(big);
                }
            }
            ta_json_obj_close(j);
        }
        ta_json_arr_close(j);
        ta_json_obj_close(j);
    }
    if (open)
        ta_json_arr_close(j);
}

/* "grouped": rdata by rrtype for the types Suricata groups, in order of first appearance. */
static void grouped(struct ta_json *j, const struct ta_dns_rr *a, uint32_t n)
{
    bool any = false;
    for (uint32_t i = 0; i < n && !any; i++)
        any = grouped_type(a[i].rrtype);
    if (!any)
        return;
    TA_JSON_KEY(j, "grouped");
    ta_json_obj_open(j);
    for (uint32_t i = 0; i < n; i++) {
        if (!grouped_type(a[i].rrtype))
            continue;
        bool seen = false;
        for (uint32_t k = 0; k < i && !seen; k++)
            seen = a[k].rrtype == a[i].rrtype;
        if (seen)
            continue;
        const char *tn = ta_dns_rrtype_name(a[i].rrtype);
        char buf[8];
        if (tn == NULL) {
            snprintf(buf, sizeof(buf), "%u", a[i].rrtype);
            tn = buf;
        }
        ta_json_key(j, tn);
        ta_json_arr_open(j);
        for (uint32_t k = i; k < n; k++) {
            if (a[k].rrtype != a[i].rrtype)
                continue;
            if (a[k].rrtype == 6)
                soa(j, &a[k]);
            else if (a[k].rrtype == 33)
                srv(j, &a[k]);
            else if (a[k].rdata.ptr != NULL)
                ta_json_strn(j, a[k].rdata.ptr, a[k].rdata.len);
            else
                ta_json_str(j, "");
        }
        ta_json_arr_close(j);
    }
    ta_json_obj_close(j);
}

void ta_eve_dns(struct ta_json *j, const struct ta_flow *f, const struct ta_dns_record *r)
{
    ta__eve_app_head(j, f, r->ts, "dns", r->dir == TA_DIR_TOCLIENT);
    ta_eve_dns_fields(j, r);
    ta_json_obj_close(j);
}

void ta_eve_dns_fields(struct ta_json *j, const struct ta_dns_record *r)
{
    TA_JSON_KEY(j, "dns");
    ta_json_obj_open(j);
    TA_JSON_KV_UINT(j, "version", 3);
    TA_JSON_KV_STR(j, "type", r->response ? "response" : "request");
    TA_JSON_KV_UINT(j, "tx_id", r->tx_id);
    TA_JSON_KV_UINT(j, "id", r->id);
    /* Lower-case hex without leading zeros, as "%x" writes it. */
    static const char hx[] = "0123456789abcdef";
    char fl[4];
    size_t fn = 0;
    for (int sh = 12; sh >= 0; sh -= 4)
        if ((r->flags >> sh) != 0 || sh == 0)
            fl[fn++] = hx[(r->flags >> sh) & 15];
    TA_JSON_KV_STRN(j, "flags", fl, fn);
    if (r->flags & 0x8000)
        TA_JSON_KV_BOOL(j, "qr", true);
    if (r->flags & 0x0400)
        TA_JSON_KV_BOOL(j, "aa", true);
    if (r->flags & 0x0200)
        TA_JSON_KV_BOOL(j, "tc", true);
    if (r->flags & 0x0100)
        TA_JSON_KV_BOOL(j, "rd", true);
    if (r->flags & 0x0080)
        TA_JSON_KV_BOOL(j, "ra", true);
    if (r->flags & 0x0040)
        TA_JSON_KV_BOOL(j, "z", true);
    TA_JSON_KV_UINT(j, "opcode", (r->flags >> 11) & 0xf);
    const char *rc = ta_dns_rcode_name(ta_dns_rcode(r));
    if (rc != NULL) {
        TA_JSON_KV_STR(j, "rcode", rc);
    } else {
        TA_JSON_KV_UINT(j, "rcode", ta_dns_rcode(r));
    }
    if (r->n_queries > 0) {
        TA_JSON_KEY(j, "queries");
        ta_json_arr_open(j);
        for (uint32_t i = 0; i < r->n_queries; i++) {
            ta_json_obj_open(j);
            ta__eve_kv_s(j, "rrname", r->queries[i].rrname);
            rrtype(j, "rrtype", r->queries[i].rrtype);
            ta_json_obj_close(j);
        }
        ta_json_arr_close(j);
    }
    rrs(j, "answers", r->answers, r->n_answers);
    rrs(j, "authorities", r->authorities, r->n_authorities);
    grouped(j, r->answers, r->n_answers);
    additionals(j, r->additionals, r->n_additionals);
    ta_json_obj_close(j);
}
