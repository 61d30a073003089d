/*
 * DNS messages (RFC 1035) over UDP (one message per datagram) and TCP
 * (two-byte length framing across segments), into struct ta_dns_record.
 *
 * Names are decompressed with a bound on pointer hops (loops and long
 * chains stop the name) and on total length (255 octets on the wire).
 * Pointers may point forward as well as backward (some stacks do that).
 * Strings are rendered as Suricata does: valid UTF-8 is kept, other bytes
 * become the four characters \xNN. A TXT record yields one entry per
 * character-string, as in Suricata's EVE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "proto/proto-int.h"

#include "common/banned.h"

#define NAME_TEXT_MAX  1024 /* rendered name, with escapes */
#define RDATA_TEXT_MAX 2048

/*
 * Read a (possibly compressed) name at the cursor c, whose end bounds the
 * message window [msg, c->end): labels and pointer targets must lie inside
 * it. On success c is advanced past the name as it appears at that position
 * and the rendered text is in txt (NUL-terminated), *tlen its length.
 */
static bool read_name(struct ta_proto *p, const uint8_t *msg, struct ta_cursor *c, char *txt,
                      size_t *tlen)
{
    const size_t len = (size_t)(c->end - msg);
    struct ta_cursor at = *c;
    const uint8_t *end_after = NULL;
    size_t wire = 0, tl = 0;
    uint32_t hops = 0;
    for (;;) {
        uint8_t l;
        if (!ta_cursor_u8(&at, &l))
            return false;
        if ((l & 0xc0) == 0xc0) {
            uint8_t lo;
            if (!ta_cursor_u8(&at, &lo))
                return false;
            size_t target = (size_t)(l & 0x3f) << 8 | lo;
            if (end_after == NULL)
                end_after = at.p;
            if (++hops > p->o.dns_max_name_hops || target >= len) {
                p->c[TA_PC_DNS_NAME_LOOPS]++;
                return false;
            }
            ta_cursor_init(&at, msg + target, len - target);
            continue;
        }
        if ((l & 0xc0) != 0)
            return false; /* extended label types are obsolete */
        if (l == 0)
            break;
        const uint8_t *label;
        if (!ta_cursor_view(&at, l, &label))
            return false;
        wire += (size_t)l + 1;
        if (wire > 255)
            return false;
        if (tl > 0 && tl < NAME_TEXT_MAX)
            txt[tl++] = '.';
        tl = ta__safe_append(txt, tl, NAME_TEXT_MAX, label, l);
    }
    c->p = end_after != NULL ? end_after : at.p;
    if (tl == 0) {
        memcpy(txt, "<root>", 6);
        tl = 6;
    }
    txt[tl] = '\0';
    *tlen = tl;
    return true;
}

static struct ta_str name_str(struct ta_proto *p, const uint8_t *msg, struct ta_cursor *c, bool *ok)
{
    char txt[NAME_TEXT_MAX + 1];
    size_t tl;
    struct ta_str s = {NULL, 0};
    if (!read_name(p, msg, c, txt, &tl)) {
        *ok = false;
        return s;
    }
    return ta__str(p, &p->scratch, txt, tl, NAME_TEXT_MAX);
}

static struct ta_str bytes_str(struct ta_proto *p, const uint8_t *b, size_t n)
{
    char txt[RDATA_TEXT_MAX];
    size_t tl = ta__safe_append(txt, 0, sizeof(txt), b, n);
    if (tl < n)
        p->c[TA_PC_STRING_TRUNCATED]++;
    return ta__str(p, &p->scratch, txt, tl, sizeof(txt));
}

/* Dotted quad of 4 bytes into t; returns the length. */
static size_t v4_text(const uint8_t *b, char *t)
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (i)
            t[n++] = '.';
        if (v >= 100)
            t[n++] = (char)('0' + v / 100);
        if (v >= 10)
            t[n++] = (char)('0' + v / 10 % 10);
        t[n++] = (char)('0' + v % 10);
    }
    t[n] = '\0';
    return n;
}

/*
 * Parse one RR at the cursor c (over the rest of the message msg). Appends
 * entries to arr (cap `max`, count *n); a TXT record may append several.
 * Returns false if the RR is malformed. Names inside the RDATA are read in
 * the window that ends with the RDATA, so a pointer past it is malformed.
 */
static bool parse_rr(struct ta_proto *p, const uint8_t *msg, struct ta_cursor *c,
                     struct ta_dns_rr *arr, uint32_t max, uint32_t *n, uint32_t *dropped)
{
    bool ok = true;
    struct ta_dns_rr rr;
    memset(&rr, 0, sizeof(rr));
    rr.rrname = name_str(p, msg, c, &ok);
    uint16_t rdlen;
    struct ta_cursor rd;
    if (!ok || !ta_cursor_u16be(c, &rr.rrtype) || !ta_cursor_u16be(c, &rr.rrclass) ||
        !ta_cursor_u32be(c, &rr.ttl) || !ta_cursor_u16be(c, &rdlen) ||
        !ta_cursor_sub(c, rdlen, &rd))
        return false;
    const uint8_t *r = rd.p;
    char txt[64];
    switch (rr.rrtype) {
    case 1: /* A */
        if (rdlen != 4)
            return false;
        ta_addr_set_v4(&rr.addr, r);
        rr.rdata = ta__str(p, &p->scratch, txt, v4_text(r, txt), sizeof(txt));
        break;
    case 28: /* AAAA: Suricata prints all eight groups, zero-padded */
        if (rdlen != 16)
            return false;
        ta_addr_set_v6(&rr.addr, r);
        for (int i = 0; i < 16; i++) {
            static const char hx[] = "0123456789abcdef";
            char *t = txt + 5 * (i / 2) + 2 * (i % 2);
            t[0] = hx[r[i] >> 4];
            t[1] = hx[r[i] & 15];
            if (i % 2 == 1)
                t[2] = i < 15 ? ':' : '\0';
        }
        rr.rdata = ta__str(p, &p->scratch, txt, 39, sizeof(txt));
        break;
    case 2:  /* NS */
    case 3:  /* MD */
    case 4:  /* MF */
    case 5:  /* CNAME */
    case 7:  /* MB */
    case 8:  /* MG */
    case 9:  /* MR */
    case 12: /* PTR */
    case 39: /* DNAME */
        rr.rdata = name_str(p, msg, &rd, &ok);
        if (!ok)
            return false;
        break;
    case 15: /* MX: Suricata logs the exchange */
        if (rdlen < 3 || !ta_cursor_u16be(&rd, &rr.mx_pref))
            return false;
        rr.rdata = name_str(p, msg, &rd, &ok);
        if (!ok)
            return false;
        break;
    case 6: /* SOA */
        rr.soa.mname = name_str(p, msg, &rd, &ok);
        if (ok)
            rr.soa.rname = name_str(p, msg, &rd, &ok);
        if (!ok || !ta_cursor_u32be(&rd, &rr.soa.serial) ||
            !ta_cursor_u32be(&rd, &rr.soa.refresh) || !ta_cursor_u32be(&rd, &rr.soa.retry) ||
            !ta_cursor_u32be(&rd, &rr.soa.expire) || !ta_cursor_u32be(&rd, &rr.soa.minimum))
            return false;
        break;
    case 33: /* SRV */
        if (rdlen < 7 || !ta_cursor_u16be(&rd, &rr.srv.priority) ||
            !ta_cursor_u16be(&rd, &rr.srv.weight) || !ta_cursor_u16be(&rd, &rr.srv.port))
            return false;
        rr.srv.target = name_str(p, msg, &rd, &ok);
        if (!ok)
            return false;
        break;
    case 41: /* OPT: the options, kept as bytes for the writer */
        if (rdlen > 0) {
            uint8_t *o = ta__arena_alloc(&p->scratch, rdlen);
            if (o == NULL) {
                p->c[TA_PC_APP_NOMEM]++;
                return false;
            }
            memcpy(o, r, rdlen);
            rr.opt = o;
            rr.opt_len = rdlen;
        }
        break;
    case 16: /* TXT */
    case 99: /* SPF */
    {
        bool any = false;
        while (ta_cursor_left(&rd) > 0) {
            uint8_t sl;
            const uint8_t *chars;
            if (!ta_cursor_u8(&rd, &sl) || !ta_cursor_view(&rd, sl, &chars))
                return false;
            struct ta_dns_rr e = rr;
            e.rdata = bytes_str(p, chars, sl);
            if (*n < max)
                arr[(*n)++] = e;
            else
                (*dropped)++;
            any = true;
        }
        if (!any) {
            rr.rdata = ta__str(p, &p->scratch, "", 0, 0);
            break;
        }
        return true;
    }
    default:
        rr.rdata = bytes_str(p, r, rdlen);
        break;
    }
    if (*n < max)
        arr[(*n)++] = rr;
    else
        (*dropped)++;
    return true;
}

bool ta__dns_parse(struct ta_proto *p, const uint8_t *msg, size_t len, struct ta_dns_record *r)
{
    memset(r, 0, sizeof(*r));
    struct ta_cursor c;
    ta_cursor_init(&c, msg, len);
    uint16_t id, flags, qd, an, ns, ar;
    if (!ta_cursor_u16be(&c, &id) || !ta_cursor_u16be(&c, &flags) || !ta_cursor_u16be(&c, &qd) ||
        !ta_cursor_u16be(&c, &an) || !ta_cursor_u16be(&c, &ns) || !ta_cursor_u16be(&c, &ar))
        return false;
    r->id = id;
    r->flags = flags;
    r->response = (r->flags & 0x8000) != 0;
    uint32_t maxq = p->o.dns_max_queries < qd ? p->o.dns_max_queries : qd;
    /* Room for the cap: a TXT record can expand to several entries. */
    uint32_t maxa = p->o.dns_max_answers, na = maxa, nn = maxa;
    struct ta_dns_query *q = ta__arena_alloc(&p->scratch, sizeof(*q) * (maxq ? maxq : 1));
    struct ta_dns_rr *ans = an ? ta__arena_alloc(&p->scratch, sizeof(*ans) * na) : NULL;
    struct ta_dns_rr *aut = ns ? ta__arena_alloc(&p->scratch, sizeof(*aut) * nn) : NULL;
    struct ta_dns_rr *add = ar ? ta__arena_alloc(&p->scratch, sizeof(*add) * maxa) : NULL;
    if (q == NULL || (an && ans == NULL) || (ns && aut == NULL) || (ar && add == NULL)) {
        p->c[TA_PC_APP_NOMEM]++;
        return false;
    }
    uint32_t nq = 0;
    for (uint16_t i = 0; i < qd; i++) {
        bool ok = true;
        struct ta_dns_query qq;
        qq.rrname = name_str(p, msg, &c, &ok);
        if (!ok || !ta_cursor_u16be(&c, &qq.rrtype) || !ta_cursor_u16be(&c, &qq.rrclass))
            return false;
        if (nq < maxq)
            q[nq++] = qq;
        else
            r->dropped_rrs++;
    }
    r->queries = q;
    r->n_queries = nq;
    r->answers = ans;
    r->authorities = aut;
    r->additionals = add;
    /* A truncated tail still yields the RRs before it (counted). */
    bool trunc = false;
    for (uint16_t i = 0; i < an && !trunc; i++)
        if (!parse_rr(p, msg, &c, ans, na, &r->n_answers, &r->dropped_rrs))
            trunc = true;
    for (uint16_t i = 0; i < ns && !trunc; i++)
        if (!parse_rr(p, msg, &c, aut, nn, &r->n_authorities, &r->dropped_rrs))
            trunc = true;
    for (uint16_t i = 0; i < ar && !trunc; i++)
        if (!parse_rr(p, msg, &c, add, maxa, &r->n_additionals, &r->dropped_rrs))
            trunc = true;
    if (trunc)
        p->c[TA_PC_DNS_RR_TRUNCATED]++;
    if (r->dropped_rrs)
        p->c[TA_PC_DNS_RR_DROPPED] += r->dropped_rrs;
    return true;
}

/* Skip a name for probing: no rendering, no pointer following (a pointer
 * ends the name; its target only has to lie inside the msglen bytes). */
static bool skip_name(struct ta_cursor *c, size_t msglen)
{
    for (int guard = 0; guard < 128; guard++) {
        uint8_t l, lo;
        if (!ta_cursor_u8(c, &l))
            return false;
        if ((l & 0xc0) == 0xc0)
            return ta_cursor_u8(c, &lo) && ((size_t)(l & 0x3f) << 8 | lo) < msglen;
        if (l & 0xc0)
            return false;
        if (l == 0)
            return true;
        if (!ta_cursor_skip(c, l))
            return false;
    }
    return false;
}

bool ta__dns_probe(const uint8_t *msg, size_t len)
{
    if (len > 65535)
        return false;
    struct ta_cursor c;
    ta_cursor_init(&c, msg, len);
    uint16_t flags, qd, an, ns, ar;
    if (!ta_cursor_skip(&c, 2) || !ta_cursor_u16be(&c, &flags) || !ta_cursor_u16be(&c, &qd) ||
        !ta_cursor_u16be(&c, &an) || !ta_cursor_u16be(&c, &ns) || !ta_cursor_u16be(&c, &ar))
        return false;
    unsigned opcode = (flags >> 11) & 0xf;
    if (opcode > 6 || opcode == 3)
        return false;
    uint32_t rrs = (uint32_t)an + ns + ar;
    if (qd == 0 || qd > 16)
        return false;
    for (uint16_t i = 0; i < qd; i++)
        if (!skip_name(&c, len) || !ta_cursor_skip(&c, 4))
            return false;
    for (uint32_t i = 0; i < rrs; i++) {
        uint16_t rdlen;
        if (!skip_name(&c, len) || !ta_cursor_skip(&c, 8) || !ta_cursor_u16be(&c, &rdlen) ||
            !ta_cursor_skip(&c, rdlen))
            return false;
    }
    return ta_cursor_left(&c) == 0;
}

/* ----- DNS over TCP ----- */

struct ta__dns_tcp {
    uint8_t *buf;  /* message being assembled (allocated on first use) */
    uint32_t have; /* bytes in buf, including the 2-byte length */
    uint32_t need; /* total bytes of the current frame (0 = length unknown) */
};

#define DNS_TCP_BUF 65537u /* the 2-byte length and the largest message */

struct ta__dns_tcp *ta__dns_tcp_new(struct ta_proto *p)
{
    return ta__app_calloc(p, sizeof(struct ta__dns_tcp));
}

void ta__dns_tcp_free(struct ta_proto *p, struct ta__dns_tcp *d)
{
    if (d == NULL)
        return;
    ta__app_free(p, d->buf, DNS_TCP_BUF);
    ta__app_free(p, d, sizeof(*d));
}

static void emit_msg(const struct ta__emit *em, enum ta_flow_dir dir, uint64_t *tx_id,
                     const uint8_t *msg, size_t len, bool tcp)
{
    struct ta_proto *p = em->p;
    struct ta_dns_record r;
    ta__arena_reset(&p->scratch);
    p->c[TA_PC_DNS_MESSAGES]++;
    if (!ta__dns_parse(p, msg, len, &r)) {
        p->c[TA_PC_DNS_MALFORMED]++;
        return;
    }
    r.ts = em->ts;
    r.dir = dir;
    r.tcp = tcp;
    r.tx_id = (*tx_id)++;
    if (em->sink != NULL && em->sink->on_record != NULL)
        em->sink->on_record(em->sink->ud, em->f, TA_REC_DNS, &r);
}

void ta_proto_dns_message(struct ta_proto *p, const uint8_t *msg, size_t len, bool tcp,
                          const struct ta_flow *f, enum ta_flow_dir dir, ta_time_us ts,
                          const struct ta_obs_sink *emit)
{
    struct ta__emit em = {p, f, emit, ts};
    uint64_t tx = 0;
    emit_msg(&em, dir, &tx, msg, len, tcp);
}

void ta__dns_udp(const struct ta__emit *em, enum ta_flow_dir dir, uint64_t *tx_id,
                 const uint8_t *msg, size_t len)
{
    emit_msg(em, dir, tx_id, msg, len, false);
}

bool ta__dns_tcp_data(struct ta__dns_tcp *d, const struct ta__emit *em, enum ta_flow_dir dir,
                      uint64_t *tx_id, const uint8_t *data, size_t len, bool gap)
{
    if (gap) {
        /* Framing is lost: there is no marker to resynchronise on. */
        em->p->c[TA_PC_DNS_TCP_GAPS]++;
        return false;
    }
    while (len > 0) {
        if (d->have < 2) {
            /* Frame length, possibly split across segments. */
            if (d->buf == NULL) {
                d->buf = ta__app_malloc(em->p, DNS_TCP_BUF);
                if (d->buf == NULL) {
                    em->p->c[TA_PC_APP_NOMEM]++;
                    return false;
                }
            }
            d->buf[d->have++] = *data++;
            len--;
            if (d->have == 2) {
                d->need = 2u + ta_rd16be(d->buf);
                if (d->need == 2) {
                    d->have = 0;
                    continue;
                }
            }
            continue;
        }
        size_t take = d->need - d->have;
        if (take > len)
            take = len;
        if (d->have == 2 && take == d->need - 2) {
            /* Whole message in this segment: parse it in place. */
            emit_msg(em, dir, tx_id, data, take, true);
            d->have = 0;
            data += take;
            len -= take;
            continue;
        }
        memcpy(d->buf + d->have, data, take);
        d->have += (uint32_t)take;
        data += take;
        len -= take;
        if (d->have == d->need) {
            emit_msg(em, dir, tx_id, d->buf + 2, d->need - 2, true);
            d->have = 0;
        }
    }
    return true;
}
