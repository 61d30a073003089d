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
 * Read a (possibly compressed) name starting at *off in msg. On success
 * *off is advanced past the name as it appears at that position, and the
 * rendered text is in txt (NUL-terminated), *tlen its length.
 */
static bool read_name(struct ta_proto *p, const uint8_t *msg, size_t len, size_t *off, char *txt,
                      size_t *tlen)
{
    size_t pos = *off, end_after = 0, wire = 0, tl = 0;
    uint32_t hops = 0;
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return false;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return false;
            size_t target = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
            if (!jumped) {
                end_after = pos + 2;
                jumped = true;
            }
            if (++hops > p->o.dns_max_name_hops || target >= len) {
                p->c[TA_PC_DNS_NAME_LOOPS]++;
                return false;
            }
            pos = target;
            continue;
        }
        if ((l & 0xc0) != 0)
            return false; /* extended label types are obsolete */
        if (l == 0) {
            pos++;
            break;
        }
        if (len - pos - 1 < l)
            return false;
        wire += (size_t)l + 1;
        if (wire > 255)
            return false;
        if (tl > 0 && tl < NAME_TEXT_MAX)
            txt[tl++] = '.';
        tl = ta__safe_append(txt, tl, NAME_TEXT_MAX, msg + pos + 1, l);
        pos += (size_t)l + 1;
    }
    *off = jumped ? end_after : pos;
    if (tl == 0) {
        memcpy(txt, "<root>", 6);
        tl = 6;
    }
    txt[tl] = '\0';
    *tlen = tl;
    return true;
}

static struct ta_str name_str(struct ta_proto *p, const uint8_t *msg, size_t len, size_t *off,
                              bool *ok)
{
    char txt[NAME_TEXT_MAX + 1];
    size_t tl;
    struct ta_str s = {NULL, 0};
    if (!read_name(p, msg, len, off, txt, &tl)) {
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
 * Parse one RR at *off. Appends entries to arr (cap `max`, count *n); a TXT
 * record may append several. Returns false if the RR is malformed.
 */
static bool parse_rr(struct ta_proto *p, const uint8_t *msg, size_t len, size_t *off,
                     struct ta_dns_rr *arr, uint32_t max, uint32_t *n, uint32_t *dropped)
{
    bool ok = true;
    struct ta_dns_rr rr;
    memset(&rr, 0, sizeof(rr));
    rr.rrname = name_str(p, msg, len, off, &ok);
    if (!ok || len - *off < 10)
        return false;
    const uint8_t *h = msg + *off;
    rr.rrtype = ta_rd16be(h);
    rr.rrclass = ta_rd16be(h + 2);
    rr.ttl = ta_rd32be(h + 4);
    uint16_t rdlen = ta_rd16be(h + 8);
    *off += 10;
    if (len - *off < rdlen)
        return false;
    size_t rd = *off, rdend = *off + rdlen;
    *off = rdend;
    const uint8_t *r = msg + rd;
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
    {
        size_t o = rd;
        rr.rdata = name_str(p, msg, rdend, &o, &ok);
        if (!ok)
            return false;
        break;
    }
    case 15: /* MX: Suricata logs the exchange */
    {
        if (rdlen < 3)
            return false;
        rr.mx_pref = ta_rd16be(r);
        size_t o = rd + 2;
        rr.rdata = name_str(p, msg, rdend, &o, &ok);
        if (!ok)
            return false;
        break;
    }
    case 6: /* SOA */
    {
        size_t o = rd;
        rr.soa.mname = name_str(p, msg, rdend, &o, &ok);
        if (ok)
            rr.soa.rname = name_str(p, msg, rdend, &o, &ok);
        if (!ok || rdend - o < 20)
            return false;
        rr.soa.serial = ta_rd32be(msg + o);
        rr.soa.refresh = ta_rd32be(msg + o + 4);
        rr.soa.retry = ta_rd32be(msg + o + 8);
        rr.soa.expire = ta_rd32be(msg + o + 12);
        rr.soa.minimum = ta_rd32be(msg + o + 16);
        break;
    }
    case 33: /* SRV */
    {
        if (rdlen < 7)
            return false;
        rr.srv.priority = ta_rd16be(r);
        rr.srv.weight = ta_rd16be(r + 2);
        rr.srv.port = ta_rd16be(r + 4);
        size_t o = rd + 6;
        rr.srv.target = name_str(p, msg, rdend, &o, &ok);
        if (!ok)
            return false;
        break;
    }
    case 16: /* TXT */
    case 99: /* SPF */
    {
        size_t o = rd;
        bool any = false;
        while (o < rdend) {
            uint8_t sl = msg[o];
            if (rdend - o - 1 < sl)
                return false;
            struct ta_dns_rr e = rr;
            e.rdata = bytes_str(p, msg + o + 1, sl);
            if (*n < max)
                arr[(*n)++] = e;
            else
                (*dropped)++;
            o += (size_t)sl + 1;
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
    if (len < 12)
        return false;
    r->id = ta_rd16be(msg);
    r->flags = ta_rd16be(msg + 2);
    r->response = (r->flags & 0x8000) != 0;
    uint16_t qd = ta_rd16be(msg + 4), an = ta_rd16be(msg + 6), ns = ta_rd16be(msg + 8);
    size_t off = 12;
    uint32_t maxq = p->o.dns_max_queries < qd ? p->o.dns_max_queries : qd;
    /* Room for the cap: a TXT record can expand to several entries. */
    uint32_t maxa = p->o.dns_max_answers, na = maxa, nn = maxa;
    struct ta_dns_query *q = ta__arena_alloc(&p->scratch, sizeof(*q) * (maxq ? maxq : 1));
    struct ta_dns_rr *ans = an ? ta__arena_alloc(&p->scratch, sizeof(*ans) * na) : NULL;
    struct ta_dns_rr *aut = ns ? ta__arena_alloc(&p->scratch, sizeof(*aut) * nn) : NULL;
    if (q == NULL || (an && ans == NULL) || (ns && aut == NULL)) {
        p->c[TA_PC_APP_NOMEM]++;
        return false;
    }
    uint32_t nq = 0;
    for (uint16_t i = 0; i < qd; i++) {
        bool ok = true;
        struct ta_dns_query qq;
        qq.rrname = name_str(p, msg, len, &off, &ok);
        if (!ok || len - off < 4)
            return false;
        qq.rrtype = ta_rd16be(msg + off);
        qq.rrclass = ta_rd16be(msg + off + 2);
        off += 4;
        if (nq < maxq)
            q[nq++] = qq;
        else
            r->dropped_rrs++;
    }
    r->queries = q;
    r->n_queries = nq;
    r->answers = ans;
    r->authorities = aut;
    /* A truncated tail still yields the RRs before it (counted). */
    bool trunc = false;
    for (uint16_t i = 0; i < an && !trunc; i++)
        if (!parse_rr(p, msg, len, &off, ans, na, &r->n_answers, &r->dropped_rrs))
            trunc = true;
    for (uint16_t i = 0; i < ns && !trunc; i++)
        if (!parse_rr(p, msg, len, &off, aut, nn, &r->n_authorities, &r->dropped_rrs))
            trunc = true;
    if (trunc)
        p->c[TA_PC_DNS_RR_TRUNCATED]++;
    if (r->dropped_rrs)
        p->c[TA_PC_DNS_RR_DROPPED] += r->dropped_rrs;
    return true;
}

/* Skip a name for probing: no rendering. */
static bool skip_name(const uint8_t *msg, size_t len, size_t *off)
{
    size_t pos = *off;
    for (int guard = 0; guard < 128; guard++) {
        if (pos >= len)
            return false;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ((size_t)(l & 0x3f) << 8 | msg[pos + 1]) >= len)
                return false;
            *off = pos + 2;
            return true;
        }
        if (l & 0xc0)
            return false;
        if (l == 0) {
            *off = pos + 1;
            return true;
        }
        pos += (size_t)l + 1;
    }
    return false;
}

bool ta__dns_probe(const uint8_t *msg, size_t len)
{
    if (len < 12 || len > 65535)
        return false;
    uint16_t flags = ta_rd16be(msg + 2);
    unsigned opcode = (flags >> 11) & 0xf;
    if (opcode > 6 || opcode == 3)
        return false;
    uint16_t qd = ta_rd16be(msg + 4);
    uint32_t rrs = (uint32_t)ta_rd16be(msg + 6) + ta_rd16be(msg + 8) + ta_rd16be(msg + 10);
    if (qd == 0 || qd > 16)
        return false;
    size_t off = 12;
    for (uint16_t i = 0; i < qd; i++) {
        if (!skip_name(msg, len, &off) || len - off < 4)
            return false;
        off += 4;
    }
    for (uint32_t i = 0; i < rrs; i++) {
        if (!skip_name(msg, len, &off) || len - off < 10)
            return false;
        uint16_t rdlen = ta_rd16be(msg + off + 8);
        off += 10;
        if (len - off < rdlen)
            return false;
        off += rdlen;
    }
    return off == len;
}

/* ----- DNS over TCP ----- */

struct ta__dns_tcp {
    uint8_t *buf;  /* message being assembled (allocated on first use) */
    uint32_t have; /* bytes in buf, including the 2-byte length */
    uint32_t need; /* total bytes of the current frame (0 = length unknown) */
};

struct ta__dns_tcp *ta__dns_tcp_new(void)
{
    return calloc(1, sizeof(struct ta__dns_tcp));
}

void ta__dns_tcp_free(struct ta__dns_tcp *d)
{
    if (d != NULL)
        free(d->buf);
    free(d);
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
                d->buf = malloc(65537);
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
