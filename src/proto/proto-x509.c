/*
 * Minimal X.509 (RFC 5280) DER reader for the TLS record: serial, issuer
 * and subject distinguished names, validity, the SHA-1 fingerprint of the
 * whole certificate (the fields Suricata's EVE "tls" record shows), and the
 * subjectAltName dNSNames, which name the servers a certificate is good
 * for when the subject does not. Everything goes through the bounded cursor.
 *
 * DN text follows Suricata: RDNs in certificate order, "SN=value" joined by
 * ", " (attributes of one multi-valued RDN by " + "), short names for the
 * common attribute types and the dotted OID otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "common/cursor.h"
#include "proto/proto-int.h"
#include "threatatlas/hash.h"

#include "common/banned.h"

#define DN_MAX 2048

/* Read one TLV; returns false on malformed or multi-byte tags. */
static bool tlv(struct ta_cursor *c, uint8_t *tag, struct ta_cursor *val, const uint8_t **start)
{
    const uint8_t *s = c->p;
    uint8_t t, l;
    if (!ta_cursor_u8(c, &t) || (t & 0x1f) == 0x1f || !ta_cursor_u8(c, &l))
        goto bad;
    size_t len = l;
    if (l & 0x80) {
        unsigned n = l & 0x7f;
        if (n == 0 || n > 4)
            goto bad;
        len = 0;
        for (unsigned i = 0; i < n; i++) {
            uint8_t b;
            if (!ta_cursor_u8(c, &b))
                goto bad;
            len = len << 8 | b;
        }
    }
    if (!ta_cursor_sub(c, len, val))
        goto bad;
    *tag = t;
    if (start != NULL)
        *start = s;
    return true;
bad:
    c->p = s;
    return false;
}

static const char *oid_name(const uint8_t *o, size_t n, char *buf, size_t blen)
{
    static const struct {
        const char *der;
        size_t len;
        const char *name;
    } tab[] = {
        {"\x55\x04\x03", 3, "CN"},
        {"\x55\x04\x06", 3, "C"},
        {"\x55\x04\x07", 3, "L"},
        {"\x55\x04\x08", 3, "ST"},
        {"\x55\x04\x0a", 3, "O"},
        {"\x55\x04\x0b", 3, "OU"},
        {"\x55\x04\x05", 3, "serialNumber"},
        {"\x55\x04\x09", 3, "street"},
        {"\x55\x04\x11", 3, "postalCode"},
        {"\x55\x04\x04", 3, "SN"},
        {"\x55\x04\x2a", 3, "GN"},
        {"\x55\x04\x0c", 3, "title"},
        {"\x55\x04\x0f", 3, "businessCategory"},
        {"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9, "emailAddress"},
        {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10, "DC"},
        {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", 10, "UID"},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].len == n && memcmp(tab[i].der, o, n) == 0)
            return tab[i].name;
    /* Dotted form. */
    size_t bl = 0;
    uint64_t v = 0;
    bool first = true;
    buf[0] = '\0';
    for (size_t i = 0; i < n && bl + 24 < blen; i++) {
        v = v << 7 | (o[i] & 0x7f);
        if (o[i] & 0x80)
            continue;
        int w;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            w = snprintf(buf + bl, blen - bl, "%u.%llu", a, (unsigned long long)(v - 40 * a));
            first = false;
        } else {
            w = snprintf(buf + bl, blen - bl, ".%llu", (unsigned long long)v);
        }
        if (w > 0)
            bl += (size_t)w;
        v = 0;
    }
    return buf;
}

static bool dn_text(struct ta_cursor name, char *out, size_t *olen)
{
    size_t ol = 0;
    bool first_rdn = true;
    while (ta_cursor_left(&name) > 0) {
        uint8_t tag;
        struct ta_cursor set;
        if (!tlv(&name, &tag, &set, NULL) || tag != 0x31)
            return false;
        bool first_ava = true;
        while (ta_cursor_left(&set) > 0) {
            struct ta_cursor ava, oid, val;
            uint8_t t1, t2, t3;
            if (!tlv(&set, &t1, &ava, NULL) || t1 != 0x30 || !tlv(&ava, &t2, &oid, NULL) ||
                t2 != 0x06 || !tlv(&ava, &t3, &val, NULL))
                return false;
            char ob[128];
            const char *sn = oid_name(oid.p, ta_cursor_left(&oid), ob, sizeof(ob));
            const char *sep = first_rdn ? "" : first_ava ? ", " : " + ";
            size_t sepl = strlen(sep), snl = strlen(sn);
            /* As snprintf("%s%s=") did: a DN that does not fit ends before this part. */
            if (sepl + snl + 1 >= DN_MAX - ol) {
                out[ol] = '\0';
                *olen = ol;
                return true;
            }
            memcpy(out + ol, sep, sepl);
            memcpy(out + ol + sepl, sn, snl);
            ol += sepl + snl;
            out[ol++] = '=';
            const uint8_t *vp = val.p;
            size_t vl = ta_cursor_left(&val);
            if (t3 == 0x1e) {
                /* BMPString (UCS-2): keep the ASCII range, escape the rest. */
                for (size_t i = 0; i + 1 < vl && ol + 8 < DN_MAX; i += 2) {
                    unsigned ch = (unsigned)vp[i] << 8 | vp[i + 1];
                    if (ch >= 0x20 && ch < 0x7f)
                        out[ol++] = (char)ch;
                    else
                        ol += (size_t)snprintf(out + ol, DN_MAX - ol, "\\u%04x", ch);
                }
            } else {
                ol = ta__safe_append(out, ol, DN_MAX - 1, vp, vl);
            }
            first_ava = false;
            first_rdn = false;
        }
    }
    out[ol] = '\0';
    *olen = ol;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

static bool asn1_time(uint8_t tag, struct ta_cursor v, int64_t *out)
{
    const uint8_t *p = v.p;
    size_t n = ta_cursor_left(&v);
    unsigned y, mo, d, h, mi, s = 0;
    size_t yl = tag == 0x17 ? 2 : tag == 0x18 ? 4 : 0;
    if (yl == 0 || n < yl + 8)
        return false;
    if (!digits(p, yl, &y) || !digits(p + yl, 2, &mo) || !digits(p + yl + 2, 2, &d) ||
        !digits(p + yl + 4, 2, &h) || !digits(p + yl + 6, 2, &mi))
        return false;
    if (n >= yl + 10 && !digits(p + yl + 8, 2, &s))
        s = 0;
    if (yl == 2)
        y += y < 50 ? 2000 : 1900;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

/* "AB:CD:..." of n bytes into out (3n bytes); returns the length. */
static size_t colon_hex(const uint8_t *b, size_t n, const char *digits, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = digits[b[i] >> 4];
        out[o++] = digits[b[i] & 15];
    }
    out[o] = '\0';
    return o;
}

#define SAN_NAME_MAX 255 /* a DNS name's longest text */

/*
 * The dNSName ([2] IA5String) entries of a subjectAltName extension's
 * GeneralNames, at most cap of them, each of 1..255 printable bytes;
 * returns how many were kept. Other name forms are skipped.
 */
static uint32_t san_names(struct ta_proto *p, struct ta__arena *a, struct ta_cursor v,
                          struct ta_str *out, uint32_t cap)
{
    struct ta_cursor seq, gn;
    uint8_t tag;
    uint32_t n = 0;
    if (!tlv(&v, &tag, &seq, NULL) || tag != 0x30)
        return 0;
    while (n < cap && ta_cursor_left(&seq) > 0 && tlv(&seq, &tag, &gn, NULL)) {
        size_t gl = ta_cursor_left(&gn);
        if (tag != 0x82 || gl == 0 || gl > SAN_NAME_MAX)
            continue;
        bool text = true;
        for (size_t i = 0; i < gl; i++)
            text = text && gn.p[i] > 0x20 && gn.p[i] < 0x7f;
        if (!text)
            continue;
        out[n] = ta__str(p, a, gn.p, gl, SAN_NAME_MAX);
        if (out[n].ptr != NULL)
            n++;
    }
    return n;
}

/* After the subject: subjectPublicKeyInfo, optional unique IDs, [3] extensions. */
static uint32_t extensions_san(struct ta_proto *p, struct ta__arena *a, struct ta_cursor tbs,
                               struct ta_str *out, uint32_t cap)
{
    static const uint8_t san_oid[3] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
    struct ta_cursor x, exts, seq, ext, oid, val;
    uint8_t tag;
    if (cap == 0 || !tlv(&tbs, &tag, &x, NULL) || tag != 0x30)
        return 0;
    while (ta_cursor_left(&tbs) > 0 && tlv(&tbs, &tag, &exts, NULL)) {
        if (tag != 0xa3)
            continue; /* issuerUniqueID [1], subjectUniqueID [2] */
        if (!tlv(&exts, &tag, &seq, NULL) || tag != 0x30)
            return 0;
        while (ta_cursor_left(&seq) > 0 && tlv(&seq, &tag, &ext, NULL)) {
            if (tag != 0x30 || !tlv(&ext, &tag, &oid, NULL) || tag != 0x06)
                return 0;
            if (ta_cursor_left(&oid) != sizeof(san_oid) ||
                memcmp(oid.p, san_oid, sizeof(san_oid)) != 0)
                continue;
            if (!tlv(&ext, &tag, &val, NULL))
                return 0;
            if (tag == 0x01 && !tlv(&ext, &tag, &val, NULL)) /* critical */
                return 0;
            return tag == 0x04 ? san_names(p, a, val, out, cap) : 0;
        }
        return 0;
    }
    return 0;
}

bool ta__x509_parse(struct ta_proto *p, struct ta__arena *a, const uint8_t *der, size_t len,
                    struct ta_tls_record *r, struct ta_str *san, uint32_t san_cap)
{
    struct ta_cursor c, cert, tbs, x, serial, name, validity, tv;
    uint8_t tag;
    ta_cursor_init(&c, der, len);
    if (!tlv(&c, &tag, &cert, NULL) || tag != 0x30)
        return false;
    size_t cert_len = (size_t)(cert.end - der);
    if (!tlv(&cert, &tag, &tbs, NULL) || tag != 0x30)
        return false;
    if (ta_cursor_left(&tbs) > 0 && tbs.p[0] == 0xa0 && !tlv(&tbs, &tag, &x, NULL))
        return false;
    if (!tlv(&tbs, &tag, &serial, NULL) || tag != 0x02)
        return false;
    if (!tlv(&tbs, &tag, &x, NULL) || tag != 0x30) /* signature algorithm */
        return false;
    char dn[DN_MAX];
    size_t dl;
    if (!tlv(&tbs, &tag, &name, NULL) || tag != 0x30 || !dn_text(name, dn, &dl))
        return false;
    r->issuerdn = ta__str(p, a, dn, dl, DN_MAX);
    if (!tlv(&tbs, &tag, &validity, NULL) || tag != 0x30)
        return false;
    if (!tlv(&validity, &tag, &tv, NULL) || !asn1_time(tag, tv, &r->notbefore))
        return false;
    if (!tlv(&validity, &tag, &tv, NULL) || !asn1_time(tag, tv, &r->notafter))
        return false;
    if (!tlv(&tbs, &tag, &name, NULL) || tag != 0x30 || !dn_text(name, dn, &dl))
        return false;
    r->subject = ta__str(p, a, dn, dl, DN_MAX);
    r->san_dns = san;
    r->n_san_dns = extensions_san(p, a, tbs, san, san_cap);
    /* Serial: uppercase colon hex of the content octets, as Suricata. */
    char sb[3 * 64 + 1];
    size_t sl = colon_hex(serial.p, ta_cursor_left(&serial) < 64 ? ta_cursor_left(&serial) : 64,
                          "0123456789ABCDEF", sb);
    r->serial = ta__str(p, a, sb, sl, sizeof(sb));
    uint8_t h[TA_SHA1_LEN];
    ta_sha1(der, cert_len, h);
    char fb[3 * TA_SHA1_LEN];
    size_t fl = colon_hex(h, TA_SHA1_LEN, "0123456789abcdef", fb);
    r->fingerprint = ta__str(p, a, fb, fl, sizeof(fb));
    return true;
}
