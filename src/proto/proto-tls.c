/*
 * TLS: record layer and handshake reassembly across records and segments,
 * ClientHello (SNI, JA3, JA4), ServerHello (version, JA3S) and the first
 * certificate of the server's chain, into one struct ta_tls_record per flow.
 *
 * JA3 (Salesforce): "version,ciphers,extensions,groups,point_formats" in
 * decimal, '-'-joined, GREASE values (0x?a?a) left out, MD5 in hex.
 * JA3S: "version,cipher,extensions". JA4 (FoxIO, JA4 spec "JA4: TLS Client
 * Fingerprint"): a_b_c with a = t<ver><d|i><#ciphers><#exts><alpn>,
 * b = sha256[:12] of the sorted cipher list, c = sha256[:12] of the sorted
 * extensions (without SNI and ALPN) "_" signature algorithms in order.
 * The record is emitted once per flow, when the handshake leaves the clear
 * (ChangeCipherSpec, ServerHelloDone, application data) or at flow end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "threatatlas/hash.h"
#include "proto/proto-int.h"

#include "common/banned.h"

#define MAX_RECORD (16384 + 2048)

struct tdir {
    uint8_t rh[5];
    uint32_t rhlen;
    uint8_t rtype;
    uint32_t rleft; /* bytes left in the current record */
    uint8_t hh[4];  /* handshake header */
    uint32_t hhlen;
    uint32_t hneed; /* handshake body length */
    uint32_t hhave;
    uint8_t *hbuf;
    bool hskip; /* skipping an oversized message */
    bool stopped, encrypted;
    ta_time_us last_app; /* start of the last application-data record */
    uint64_t bursts;     /* client application-data bursts so far */
};

struct ta__tls {
    struct ta_proto *p;
    struct tdir d[2];
    struct ta_tls_record r;
    struct ta_str san[TA_TLS_MAX_SAN];
    struct ta__arena ar;
    bool emitted;
};

void ta__tls_pool_init(struct ta_proto *p)
{
    ta_pool_init(&p->pool_tls, sizeof(struct ta__tls), 0, 256);
}

struct ta__tls *ta__tls_new(struct ta_proto *p)
{
    struct ta__tls *t = ta__app_pool_get(p, &p->pool_tls);
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof(*t));
    t->p = p;
    ta__arena_init_pooled(&t->ar, 65536, &p->pool_blk);
    t->ar.acct = p;
    return t;
}

/*
 * Handshake messages split over records or segments are gathered in a
 * buffer of their size; those that fit a pooled block take one.
 */
static uint8_t *hbuf_get(struct ta_proto *p, uint32_t need)
{
    return need <= p->pool_blk.size ? ta__app_pool_get(p, &p->pool_blk) : ta__app_malloc(p, need);
}

static void hbuf_put(struct ta_proto *p, uint8_t *b, uint32_t need)
{
    if (need <= p->pool_blk.size)
        ta__app_pool_put(p, &p->pool_blk, b);
    else
        ta__app_free(p, b, need);
}

void ta__tls_free(struct ta__tls *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < 2; i++)
        if (t->d[i].hbuf != NULL)
            hbuf_put(t->p, t->d[i].hbuf, t->d[i].hneed);
    ta__arena_release(&t->ar);
    ta__app_pool_put(t->p, &t->p->pool_tls, t);
}

bool ta__tls_probe(const uint8_t *d, size_t len)
{
    if (len < 3)
        return false;
    if (d[0] < 20 || d[0] > 23 || d[1] != 3 || d[2] > 4)
        return false;
    if (len >= 5 && ta_rd16be(d + 3) > MAX_RECORD)
        return false;
    /* A handshake record should start with a known handshake type. */
    if (d[0] == 22 && len >= 6 && d[5] > 24)
        return false;
    return true;
}

static bool grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Growable text for fingerprint strings. */
struct sb {
    char buf[4096];
    size_t len;
    bool over;
};

/* Append v in decimal (or 4-digit hex), preceded by sepc if sep. */
static void sb_add(struct sb *s, bool hex, unsigned v, bool sep, char sepc)
{
    char tmp[16];
    int n = 0;
    if (hex) {
        static const char hx[] = "0123456789abcdef";
        for (int i = 3; i >= 0; i--)
            tmp[n++] = hx[(v >> (4 * i)) & 15];
    } else {
        char r[12];
        int k = 0;
        do {
            r[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0 && k < 11);
        while (k > 0)
            tmp[n++] = r[--k];
    }
    if (s->len + (size_t)n + 2 >= sizeof(s->buf)) {
        s->over = true;
        return;
    }
    if (sep)
        s->buf[s->len++] = sepc;
    memcpy(s->buf + s->len, tmp, (size_t)n);
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
}

static void sb_ch(struct sb *s, char c)
{
    if (s->len + 2 >= sizeof(s->buf)) {
        s->over = true;
        return;
    }
    s->buf[s->len++] = c;
    s->buf[s->len] = '\0';
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return x < y ? -1 : x > y;
}

static void sha12(const char *s, size_t n, char out[13])
{
    uint8_t h[TA_SHA256_LEN];
    char hx[TA_SHA256_HEXLEN];
    ta_sha256(s, n, h);
    ta__hex(h, 32, hx);
    memcpy(out, hx, 12);
    out[12] = '\0';
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void client_hello(struct ta__tls *t, const uint8_t *m, size_t len)
{
    struct ta_proto *p = t->p;
    struct ta_cursor c, ciph, ext;
    uint16_t ver, cl, el;
    uint8_t sl, compl ;
    ta_cursor_init(&c, m, len);
    if (!ta_cursor_u16be(&c, &ver) || !ta_cursor_skip(&c, 32) || !ta_cursor_u8(&c, &sl) ||
        !ta_cursor_skip(&c, sl) || !ta_cursor_u16be(&c, &cl) || !ta_cursor_sub(&c, cl, &ciph) ||
        !ta_cursor_u8(&c, &compl ) || !ta_cursor_skip(&c, compl )) {
        p->c[TA_PC_TLS_MALFORMED]++;
        return;
    }
    p->c[TA_PC_TLS_CLIENT_HELLOS]++;
    t->r.has_client_hello = true;
    t->r.client_version = ver;
    uint32_t maxc = p->o.tls_max_ciphers, maxe = p->o.tls_max_extensions;
    uint16_t ciphers[512], exts[512], sigs[256], groups[256], top = 0;
    uint8_t pf[64];
    size_t nc = 0, ne = 0, ns = 0, ng = 0, npf = 0;
    if (maxc > 512)
        maxc = 512;
    if (maxe > 512)
        maxe = 512;
    uint16_t v;
    while (ta_cursor_u16be(&ciph, &v))
        if (!grease(v) && nc < maxc)
            ciphers[nc++] = v;
    const uint8_t *alpn = NULL;
    size_t alpn_len = 0;
    bool has_sni = false;
    if (ta_cursor_u16be(&c, &el) && ta_cursor_sub(&c, el, &ext)) {
        uint16_t et, elen;
        struct ta_cursor ed;
        while (ta_cursor_u16be(&ext, &et) && ta_cursor_u16be(&ext, &elen) &&
               ta_cursor_sub(&ext, elen, &ed)) {
            if (grease(et))
                continue;
            if (ne >= maxe)
                break;
            exts[ne++] = et;
            struct ta_cursor l;
            uint16_t ll;
            uint8_t l8;
            switch (et) {
            case 0: { /* server_name */
                has_sni = true;
                uint8_t nt;
                uint16_t nl;
                const uint8_t *name;
                if (ta_cursor_u16be(&ed, &ll) && ta_cursor_sub(&ed, ll, &l) &&
                    ta_cursor_u8(&l, &nt) && nt == 0 && ta_cursor_u16be(&l, &nl) &&
                    ta_cursor_view(&l, nl, &name) && t->r.sni.ptr == NULL)
                    t->r.sni = ta__str_safe(p, &t->ar, name, nl, 1024);
                break;
            }
            case 10: /* supported_groups */
                if (ta_cursor_u16be(&ed, &ll) && ta_cursor_sub(&ed, ll, &l))
                    while (ta_cursor_u16be(&l, &v))
                        if (!grease(v) && ng < 256)
                            groups[ng++] = v;
                break;
            case 11: /* ec_point_formats */
                if (ta_cursor_u8(&ed, &l8) && ta_cursor_sub(&ed, l8, &l)) {
                    uint8_t f;
                    while (ta_cursor_u8(&l, &f))
                        if (npf < sizeof(pf))
                            pf[npf++] = f;
                }
                break;
            case 13: /* signature_algorithms */
                if (ta_cursor_u16be(&ed, &ll) && ta_cursor_sub(&ed, ll, &l))
                    while (ta_cursor_u16be(&l, &v))
                        if (!grease(v) && ns < 256)
                            sigs[ns++] = v;
                break;
            case 16: /* ALPN: first protocol */
                if (ta_cursor_u16be(&ed, &ll) && ta_cursor_sub(&ed, ll, &l) &&
                    ta_cursor_u8(&l, &l8) && l8 > 0 && ta_cursor_view(&l, l8, &alpn))
                    alpn_len = l8;
                break;
            case 43: /* supported_versions */
                if (ta_cursor_u8(&ed, &l8) && ta_cursor_sub(&ed, l8, &l))
                    while (ta_cursor_u16be(&l, &v))
                        if (!grease(v) && v > top)
                            top = v;
                break;
            default:
                break;
            }
        }
    }
    /* JA3 */
    struct sb s;
    s.len = 0;
    s.over = false;
    s.buf[0] = '\0';
    sb_add(&s, false, ver, false, 0);
    sb_ch(&s, ',');
    for (size_t i = 0; i < nc; i++)
        sb_add(&s, false, ciphers[i], i > 0, '-');
    sb_ch(&s, ',');
    for (size_t i = 0; i < ne; i++)
        sb_add(&s, false, exts[i], i > 0, '-');
    sb_ch(&s, ',');
    for (size_t i = 0; i < ng; i++)
        sb_add(&s, false, groups[i], i > 0, '-');
    sb_ch(&s, ',');
    for (size_t i = 0; i < npf; i++)
        sb_add(&s, false, pf[i], i > 0, '-');
    uint8_t md[16];
    ta_md5(s.buf, s.len, md);
    ta__hex(md, 16, t->r.ja3_hash);
    t->r.ja3_string = ta__str(p, &t->ar, s.buf, s.len, sizeof(s.buf));
    /* JA4 */
    uint16_t jv = top ? top : ver;
    const char *vs = jv == 0x0304   ? "13"
                     : jv == 0x0303 ? "12"
                     : jv == 0x0302 ? "11"
                     : jv == 0x0301 ? "10"
                     : jv == 0x0300 ? "s3"
                     : jv == 0x0002 ? "s2"
                                    : "00";
    char al[3] = "00";
    if (alpn_len > 0) {
        if (alnum(alpn[0]) && alnum(alpn[alpn_len - 1])) {
            al[0] = (char)alpn[0];
            al[1] = (char)alpn[alpn_len - 1];
        } else {
            static const char hx[] = "0123456789abcdef";
            al[0] = hx[alpn[0] >> 4];
            al[1] = hx[alpn[alpn_len - 1] & 15];
        }
    }
    /* "t" version sni-flag cipher-count extension-count alpn: 10 fixed-width characters. */
    unsigned ncc = (unsigned)(nc > 99 ? 99 : nc), nec = (unsigned)(ne > 99 ? 99 : ne);
    char a[16] = {'t',
                  vs[0],
                  vs[1],
                  has_sni ? 'd' : 'i',
                  (char)('0' + ncc / 10),
                  (char)('0' + ncc % 10),
                  (char)('0' + nec / 10),
                  (char)('0' + nec % 10),
                  al[0],
                  al[1],
                  '\0'};
    char b[13] = "000000000000", cc[13] = "000000000000";
    if (nc > 0) {
        uint16_t sorted[512];
        memcpy(sorted, ciphers, nc * sizeof(uint16_t));
        qsort(sorted, nc, sizeof(uint16_t), cmp_u16);
        s.len = 0;
        s.over = false;
        for (size_t i = 0; i < nc; i++)
            sb_add(&s, true, sorted[i], i > 0, ',');
        sha12(s.buf, s.len, b);
    }
    uint16_t sx[512];
    size_t nsx = 0;
    for (size_t i = 0; i < ne; i++)
        if (exts[i] != 0 && exts[i] != 16)
            sx[nsx++] = exts[i];
    if (nsx > 0) {
        qsort(sx, nsx, sizeof(uint16_t), cmp_u16);
        s.len = 0;
        s.over = false;
        for (size_t i = 0; i < nsx; i++)
            sb_add(&s, true, sx[i], i > 0, ',');
        if (ns > 0) {
            sb_ch(&s, '_');
            for (size_t i = 0; i < ns; i++)
                sb_add(&s, true, sigs[i], i > 0, ',');
        }
        sha12(s.buf, s.len, cc);
    }
    size_t al_ = strlen(a);
    memcpy(t->r.ja4, a, al_);
    t->r.ja4[al_] = '_';
    memcpy(t->r.ja4 + al_ + 1, b, 12);
    t->r.ja4[al_ + 13] = '_';
    memcpy(t->r.ja4 + al_ + 14, cc, 13);
}

static void server_hello(struct ta__tls *t, const uint8_t *m, size_t len)
{
    struct ta_proto *p = t->p;
    struct ta_cursor c, ext;
    uint16_t ver, cipher, el;
    uint8_t sl, comp;
    ta_cursor_init(&c, m, len);
    if (!ta_cursor_u16be(&c, &ver) || !ta_cursor_skip(&c, 32) || !ta_cursor_u8(&c, &sl) ||
        !ta_cursor_skip(&c, sl) || !ta_cursor_u16be(&c, &cipher) || !ta_cursor_u8(&c, &comp)) {
        p->c[TA_PC_TLS_MALFORMED]++;
        return;
    }
    p->c[TA_PC_TLS_SERVER_HELLOS]++;
    t->r.has_server_hello = true;
    t->r.version = ver;
    struct sb s;
    s.len = 0;
    s.over = false;
    s.buf[0] = '\0';
    sb_add(&s, false, ver, false, 0);
    sb_add(&s, false, cipher, true, ',');
    sb_ch(&s, ',');
    if (ta_cursor_u16be(&c, &el) && ta_cursor_sub(&c, el, &ext)) {
        uint16_t et, elen;
        struct ta_cursor ed;
        size_t ne = 0;
        while (ta_cursor_u16be(&ext, &et) && ta_cursor_u16be(&ext, &elen) &&
               ta_cursor_sub(&ext, elen, &ed)) {
            if (grease(et))
                continue;
            if (ne++ >= p->o.tls_max_extensions)
                break;
            sb_add(&s, false, et, ne > 1, '-');
            uint16_t sv;
            if (et == 43 && ta_cursor_u16be(&ed, &sv))
                t->r.version = sv;
        }
    }
    uint8_t md[16];
    ta_md5(s.buf, s.len, md);
    ta__hex(md, 16, t->r.ja3s_hash);
    t->r.ja3s_string = ta__str(p, &t->ar, s.buf, s.len, sizeof(s.buf));
}

static void certificate(struct ta__tls *t, const uint8_t *m, size_t len)
{
    struct ta_cursor c;
    uint32_t total, cl;
    const uint8_t *der;
    if (t->r.has_cert)
        return;
    ta_cursor_init(&c, m, len);
    if (!ta_cursor_u24be(&c, &total) || !ta_cursor_u24be(&c, &cl) ||
        !ta_cursor_view(&c, cl, &der)) {
        t->p->c[TA_PC_TLS_MALFORMED]++;
        return;
    }
    t->p->c[TA_PC_TLS_CERTS]++;
    if (ta__x509_parse(t->p, &t->ar, der, cl, &t->r, t->san, TA_TLS_MAX_SAN))
        t->r.has_cert = true;
    else
        t->p->c[TA_PC_TLS_CERT_ERRORS]++;
}

static void emit(struct ta__tls *t, const struct ta__emit *em)
{
    if (t->emitted || (!t->r.has_client_hello && !t->r.has_server_hello))
        return;
    t->emitted = true;
    t->r.ts = em->ts;
    if (!t->r.has_server_hello)
        t->r.version = t->r.client_version;
    if (em->sink != NULL && em->sink->on_record != NULL)
        em->sink->on_record(em->sink->ud, em->f, TA_REC_TLS, &t->r);
}

static void handshake_msg(struct ta__tls *t, int dir, uint8_t type, const uint8_t *m, size_t len,
                          const struct ta__emit *em)
{
    if (dir == 0 && type == 1 && !t->r.has_client_hello)
        client_hello(t, m, len);
    else if (dir == 1 && type == 2 && !t->r.has_server_hello)
        server_hello(t, m, len);
    else if (dir == 1 && type == 11 && t->r.version <= 0x0303)
        certificate(t, m, len);
    else if (dir == 1 && type == 14)
        emit(t, em);
}

/* Handshake-protocol bytes from records of type 22. */
static void hs_data(struct ta__tls *t, struct tdir *d, int dir, const uint8_t *p, size_t n,
                    const struct ta__emit *em)
{
    while (n > 0 && !d->stopped) {
        if (d->hhlen < 4) {
            d->hh[d->hhlen++] = *p++;
            n--;
            if (d->hhlen == 4) {
                d->hneed = (uint32_t)d->hh[1] << 16 | (uint32_t)d->hh[2] << 8 | d->hh[3];
                d->hhave = 0;
                d->hskip = d->hneed > t->p->o.tls_max_handshake;
                if (d->hskip)
                    t->p->c[TA_PC_TLS_HANDSHAKE_TOO_LONG]++;
                if (d->hneed == 0) {
                    handshake_msg(t, dir, d->hh[0], p, 0, em);
                    d->hhlen = 0;
                }
            }
            continue;
        }
        size_t take = d->hneed - d->hhave;
        if (take > n)
            take = n;
        if (d->hhave == 0 && take == d->hneed && !d->hskip) {
            /* Whole message in this piece: no copy. */
            handshake_msg(t, dir, d->hh[0], p, take, em);
            d->hhlen = 0;
        } else {
            if (!d->hskip) {
                if (d->hbuf == NULL) {
                    /* Sized for this message, freed when it is complete. */
                    d->hbuf = hbuf_get(t->p, d->hneed);
                    if (d->hbuf == NULL) {
                        t->p->c[TA_PC_APP_NOMEM]++;
                        d->stopped = true;
                        return;
                    }
                }
                memcpy(d->hbuf + d->hhave, p, take);
            }
            d->hhave += (uint32_t)take;
            if (d->hhave == d->hneed) {
                if (!d->hskip)
                    handshake_msg(t, dir, d->hh[0], d->hbuf, d->hneed, em);
                d->hhlen = 0;
                hbuf_put(t->p, d->hbuf, d->hneed);
                d->hbuf = NULL;
            }
        }
        p += take;
        n -= take;
    }
}

/*
 * The timing of a client's requests inside one encrypted connection, for
 * beaconing that keeps a connection open: one observation per burst.
 */
static void app_burst(struct tdir *d, const struct ta__emit *em)
{
    bool fresh = d->bursts == 0 || em->ts < d->last_app ||
                 em->ts - d->last_app >= (ta_time_us)TA_TLS_BURST_GAP_US;
    d->last_app = em->ts;
    if (!fresh)
        return;
    struct ta_tls_data x = {.ts = em->ts, .index = d->bursts++, .bytes = d->rleft};
    if (em->sink != NULL && em->sink->on_record != NULL)
        em->sink->on_record(em->sink->ud, em->f, TA_REC_TLS_DATA, &x);
}

void ta__tls_data(struct ta__tls *t, const struct ta__emit *em, enum ta_flow_dir dir,
                  const uint8_t *data, size_t len, bool gap)
{
    struct tdir *d = &t->d[dir];
    if (d->stopped)
        return;
    if (gap) {
        /* Record boundaries are lost; the handshake cannot be followed. */
        t->p->c[TA_PC_TLS_GAPS]++;
        d->stopped = true;
        return;
    }
    while (len > 0 && !d->stopped) {
        if (d->rleft == 0) {
            d->rh[d->rhlen++] = *data++;
            len--;
            if (d->rhlen < 5)
                continue;
            d->rhlen = 0;
            d->rtype = d->rh[0];
            d->rleft = ta_rd16be(d->rh + 3);
            if (d->rtype < 20 || d->rtype > 24 || d->rh[1] != 3 || d->rleft > MAX_RECORD) {
                t->p->c[TA_PC_TLS_MALFORMED]++;
                d->stopped = true;
                return;
            }
            t->p->c[TA_PC_TLS_RECORDS]++;
            if (d->rtype == 20) {
                /* ChangeCipherSpec: the rest of this direction is encrypted. */
                d->encrypted = true;
                if (dir == 1)
                    emit(t, em);
            } else if (d->rtype == 23) {
                d->encrypted = true;
                emit(t, em);
                if (dir == TA_DIR_TOSERVER)
                    app_burst(d, em);
            }
            continue;
        }
        size_t take = len < d->rleft ? len : d->rleft;
        if (d->rtype == 22 && !d->encrypted)
            hs_data(t, d, (int)dir, data, take, em);
        d->rleft -= (uint32_t)take;
        data += take;
        len -= take;
    }
}

void ta__tls_end(struct ta__tls *t, const struct ta__emit *em)
{
    emit(t, em);
}
