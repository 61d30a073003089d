/*
 * TLS parser unit tests: ClientHello with GREASE values (JA3 and JA4 by
 * hand-computed vectors), a handshake split over several records and TCP
 * segments, ServerHello (JA3S, supported_versions), the first certificate
 * (a self-signed test certificate generated for this test with openssl),
 * and MD5/SHA-1 (RFC vectors).
 */
#include "proto-tu.h"

#include "proto/proto-int.h"

#include "threatatlas/hash.h"

/* openssl req -x509 -newkey ec (P-256) -subj "/C=US/ST=CA/O=Test Org/OU=Unit/CN=test.example"
 * -set_serial 0x00aabbcc, made for this test. */
static const uint8_t cert_der[] = {
    0x30, 0x82, 0x01, 0xea, 0x30, 0x82, 0x01, 0x91, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x04, 0x00,
    0xaa, 0xbb, 0xcc, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x53, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x0b,
    0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x08, 0x0c, 0x02, 0x43, 0x41, 0x31, 0x11, 0x30, 0x0f, 0x06,
    0x03, 0x55, 0x04, 0x0a, 0x0c, 0x08, 0x54, 0x65, 0x73, 0x74, 0x20, 0x4f, 0x72, 0x67, 0x31, 0x0d,
    0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x0c, 0x04, 0x55, 0x6e, 0x69, 0x74, 0x31, 0x15, 0x30,
    0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x74, 0x65, 0x73, 0x74, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x37, 0x32, 0x31,
    0x35, 0x37, 0x33, 0x36, 0x5a, 0x17, 0x0d, 0x32, 0x37, 0x31, 0x31, 0x32, 0x37, 0x32, 0x31, 0x35,
    0x37, 0x33, 0x36, 0x5a, 0x30, 0x53, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
    0x02, 0x55, 0x53, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x08, 0x0c, 0x02, 0x43, 0x41,
    0x31, 0x11, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x08, 0x54, 0x65, 0x73, 0x74, 0x20,
    0x4f, 0x72, 0x67, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x0c, 0x04, 0x55, 0x6e,
    0x69, 0x74, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x74, 0x65, 0x73,
    0x74, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    0x03, 0x42, 0x00, 0x04, 0x96, 0x81, 0x52, 0xcc, 0x70, 0xa4, 0xdb, 0x67, 0xc2, 0xcb, 0x31, 0x1d,
    0xd9, 0xb3, 0xef, 0xeb, 0x5d, 0xec, 0x44, 0xe9, 0xdc, 0xc6, 0xfc, 0x3b, 0xa3, 0x90, 0x66, 0x66,
    0x83, 0x24, 0x63, 0x75, 0x55, 0xff, 0x96, 0xa3, 0x2d, 0x82, 0x10, 0xa5, 0xd5, 0x7e, 0xe3, 0x52,
    0xc3, 0x83, 0xa5, 0x11, 0x9e, 0x19, 0xfa, 0x0d, 0x50, 0xa4, 0x3d, 0xe7, 0xfb, 0xac, 0x64, 0x22,
    0x39, 0xa7, 0x0b, 0x24, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
    0x16, 0x04, 0x14, 0x57, 0x7e, 0xf5, 0xb7, 0x04, 0x5a, 0x42, 0x1f, 0x8d, 0x7f, 0x97, 0x7f, 0xe8,
    0x34, 0x96, 0xe1, 0x3f, 0xfe, 0xd5, 0x21, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
    0x30, 0x16, 0x80, 0x14, 0x57, 0x7e, 0xf5, 0xb7, 0x04, 0x5a, 0x42, 0x1f, 0x8d, 0x7f, 0x97, 0x7f,
    0xe8, 0x34, 0x96, 0xe1, 0x3f, 0xfe, 0xd5, 0x21, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01,
    0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30, 0x44, 0x02, 0x20, 0x03, 0x18, 0x07, 0xe3,
    0xb7, 0x16, 0x86, 0x6c, 0x04, 0x3d, 0xee, 0xc3, 0xc7, 0x08, 0x08, 0x76, 0xc4, 0xfd, 0xcf, 0xbc,
    0x0f, 0xf2, 0xa8, 0x19, 0xb9, 0xf0, 0x7f, 0xdf, 0x36, 0xe5, 0x8c, 0xc5, 0x02, 0x20, 0x27, 0x75,
    0x4d, 0x5d, 0x60, 0x19, 0x9f, 0x0e, 0xa9, 0x15, 0xc5, 0xc8, 0x44, 0x56, 0x60, 0xef, 0xbf, 0xab,
    0x29, 0xb5, 0x81, 0xb8, 0x57, 0x74, 0x8f, 0x81, 0x4f, 0x67, 0x7a, 0xb1, 0xb3, 0x21};

struct buf {
    uint8_t b[4096];
    size_t n;
};
static void put(struct buf *m, const void *d, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, d, n);
    m->n += n;
}
static void u8(struct buf *m, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(m, &b, 1);
}
static void u16(struct buf *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v);
}
static void u24(struct buf *m, size_t v)
{
    u8(m, (unsigned)(v >> 16));
    u16(m, (unsigned)v);
}

static void client_hello(struct buf *h)
{
    struct buf b = {{0}, 0}, e = {{0}, 0};
    u16(&b, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&b, 0);
    u8(&b, 0);
    u16(&b, 10);
    u16(&b, 0x0a0a);
    u16(&b, 0x1301);
    u16(&b, 0x1302);
    u16(&b, 0xc02b);
    u16(&b, 0x002f);
    u8(&b, 1);
    u8(&b, 0);
    u16(&e, 0x1a1a); /* GREASE extension */
    u16(&e, 0);
    u16(&e, 0x0000); /* SNI */
    u16(&e, 5 + 14);
    u16(&e, 3 + 14);
    u8(&e, 0);
    u16(&e, 14);
    put(&e, "grease.example", 14);
    u16(&e, 23);
    u16(&e, 0);
    u16(&e, 10); /* groups with a GREASE value */
    u16(&e, 8);
    u16(&e, 6);
    u16(&e, 0x2a2a);
    u16(&e, 0x001d);
    u16(&e, 0x0017);
    u16(&e, 11);
    u16(&e, 2);
    u8(&e, 1);
    u8(&e, 0);
    u16(&e, 13);
    u16(&e, 8);
    u16(&e, 6);
    u16(&e, 0x0403);
    u16(&e, 0x0804);
    u16(&e, 0x0401);
    u16(&e, 16); /* ALPN h2, http/1.1 */
    u16(&e, 2 + 3 + 9);
    u16(&e, 3 + 9);
    u8(&e, 2);
    put(&e, "h2", 2);
    u8(&e, 8);
    put(&e, "http/1.1", 8);
    u16(&e, 43);
    u16(&e, 7);
    u8(&e, 6);
    u16(&e, 0x3a3a);
    u16(&e, 0x0304);
    u16(&e, 0x0303);
    u16(&b, (unsigned)e.n);
    put(&b, e.b, e.n);
    h->n = 0;
    u8(h, 1);
    u24(h, b.n);
    put(h, b.b, b.n);
}

/* Wrap handshake bytes in records of at most `frag` bytes each. */
static void records(struct buf *out, uint8_t type, const uint8_t *d, size_t n, size_t frag)
{
    while (n > 0) {
        size_t k = n < frag ? n : frag;
        u8(out, type);
        u16(out, 0x0301);
        u16(out, (unsigned)k);
        put(out, d, k);
        d += k;
        n -= k;
    }
}

static void test_client_hello_split(void **state)
{
    (void)state;
    struct ta_proto *p;
    assert_int_equal(ta_proto_new(NULL, &p), TA_OK);
    tu_reset();
    struct ta_flow f;
    tu_flow(&f, 6, 8443);
    struct buf hs, rec = {{0}, 0};
    client_hello(&hs);
    /* The ClientHello is fragmented over 3 records... */
    records(&rec, 22, hs.b, hs.n, 50);
    tu_tcp(p, &f, TA_DIR_TOSERVER, 10, TA_TCP_SYN, NULL, 0);
    /* ...and those records over 4 TCP segments, cut inside record headers. */
    size_t cuts[] = {0, 3, 57, 111, rec.n};
    for (int i = 0; i < 4; i++)
        tu_tcp(p, &f, TA_DIR_TOSERVER, (uint32_t)(11 + cuts[i]), TA_TCP_ACK, rec.b + cuts[i],
               cuts[i + 1] - cuts[i]);
    assert_int_equal(f.app_proto, TA_APP_TLS);
    assert_int_equal(tu_counter(p, "tls_client_hellos"), 1);
    /* ServerHello: TLS 1.3 via supported_versions, then ChangeCipherSpec. */
    struct buf sh = {{0}, 0}, srec = {{0}, 0};
    u8(&sh, 2);
    u24(&sh, 2 + 32 + 1 + 2 + 1 + 2 + 6 + 4);
    u16(&sh, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&sh, 1);
    u8(&sh, 0);
    u16(&sh, 0x1301);
    u8(&sh, 0);
    u16(&sh, 10);
    u16(&sh, 43);
    u16(&sh, 2);
    u16(&sh, 0x0304);
    u16(&sh, 51);
    u16(&sh, 0);
    records(&srec, 22, sh.b, sh.n, 16384);
    records(&srec, 20, (const uint8_t *)"\x01", 1, 16384);
    tu_tcp(p, &f, TA_DIR_TOCLIENT, 900, TA_TCP_ACK, srec.b, srec.n);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0,
           "\"tls\":{\"sni\":\"grease.example\",\"version\":\"TLS 1.3\",\"ja3\":{\"hash\":"
           "\"117d7ff402d5115e78ea78951cadf904\",\"string\":\"771,4865-4866-49195-47,"
           "0-23-10-11-13-16-43,29-23,0\"},\"ja3s\":{\"hash\":\"f4febc55ea12b31ae17cfb7e614afda8\","
           "\"string\":\"771,4865,43-51\"},\"ja4\":\"t13d0407h2_52f89ac5ce33_1fdf4de06b7e\"}");
    tu_end(p, &f);
    assert_int_equal(tu_cap.n, 1); /* once per flow */
    ta_proto_free(p);
    tu_reset();
}

static void test_certificate(void **state)
{
    (void)state;
    struct ta_proto *p;
    assert_int_equal(ta_proto_new(NULL, &p), TA_OK);
    tu_reset();
    struct ta_flow f;
    tu_flow(&f, 6, 443);
    struct buf hs, rec = {{0}, 0};
    client_hello(&hs);
    records(&rec, 22, hs.b, hs.n, 16384);
    tu_tcp(p, &f, TA_DIR_TOSERVER, 1, TA_TCP_ACK, rec.b, rec.n);
    /* TLS 1.2 ServerHello + Certificate + ServerHelloDone in one record. */
    struct buf m = {{0}, 0};
    u8(&m, 2);
    u24(&m, 2 + 32 + 1 + 2 + 1);
    u16(&m, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&m, 2);
    u8(&m, 0);
    u16(&m, 0xc02b);
    u8(&m, 0);
    u8(&m, 11);
    u24(&m, 3 + 3 + sizeof(cert_der));
    u24(&m, 3 + sizeof(cert_der));
    u24(&m, sizeof(cert_der));
    put(&m, cert_der, sizeof(cert_der));
    u8(&m, 14);
    u24(&m, 0);
    struct buf srec = {{0}, 0};
    records(&srec, 22, m.b, m.n, 300);
    tu_tcp(p, &f, TA_DIR_TOCLIENT, 1, TA_TCP_ACK, srec.b, srec.n);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0,
           "\"tls\":{\"subject\":\"C=US, ST=CA, O=Test Org, OU=Unit, CN=test.example\","
           "\"issuerdn\":\"C=US, ST=CA, O=Test Org, OU=Unit, CN=test.example\",\"serial\":"
           "\"00:AA:BB:CC\",\"fingerprint\":\"df:9b:0f:0e:dc:c3:60:a6:6d:93:de:02:d9:0d:d0:00:51:"
           "b3:a5:ae\",\"sni\":\"grease.example\",\"version\":\"TLS 1.2\",\"notbefore\":"
           "\"2026-11-27T21:57:36\",\"notafter\":\"2027-11-27T21:57:36\"");
    TU_HAS(0, "\"ja3s\":{\"hash\":");
    TU_HAS(0, "\"string\":\"771,49195,\"}");
    assert_int_equal(tu_counter(p, "tls_certs"), 1);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_garbage_and_gap(void **state)
{
    (void)state;
    struct ta_proto *p;
    assert_int_equal(ta_proto_new(NULL, &p), TA_OK);
    tu_reset();
    struct ta_flow f;
    tu_flow(&f, 6, 443);
    struct buf hs, rec = {{0}, 0};
    client_hello(&hs);
    records(&rec, 22, hs.b, hs.n, 16384);
    /* Valid first record header, then garbage in the next "record". */
    tu_tcp(p, &f, TA_DIR_TOSERVER, 1, TA_TCP_ACK, rec.b, rec.n);
    tu_tcp(p, &f, TA_DIR_TOSERVER, (uint32_t)(1 + rec.n), TA_TCP_ACK, "\x99\x99\x99\x99\x99", 5);
    assert_int_equal(tu_counter(p, "tls_malformed"), 1);
    tu_end(p, &f);
    /* The ClientHello still yields a record at flow end. */
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"version\":\"TLS 1.2\"");
    ta_proto_free(p);
    tu_reset();
}

static void hex(const uint8_t *h, size_t n, char *out)
{
    ta__hex(h, n, out);
}

/* Reference for ta__safe_append: ASCII and valid UTF-8 kept, other bytes as \xHH, cut at cap. */
static size_t ref_safe(char *out, size_t cap, const uint8_t *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap;) {
        if (s[i] < 0x80) {
            out[o++] = (char)s[i++];
        } else if (i + 1 < n && s[i] == 0xc3 && s[i + 1] >= 0x80 && s[i + 1] < 0xc0) {
            if (cap - o < 2)
                break;
            out[o++] = (char)s[i++];
            out[o++] = (char)s[i++];
        } else {
            if (cap - o < 4)
                break;
            o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i++]);
        }
    }
    return o;
}

/* Every position of an invalid byte and of a two-byte UTF-8 sequence, with and without a cap. */
static void test_safe_append(void **state)
{
    (void)state;
    uint8_t s[40];
    char got[200], want[200];
    for (size_t n = 0; n <= sizeof(s); n++) {
        for (size_t pos = 0; pos <= n; pos++) {
            for (int kind = 0; kind < 3; kind++) {
                for (size_t i = 0; i < n; i++)
                    s[i] = (uint8_t)('a' + i % 26);
                if (pos < n && kind == 1)
                    s[pos] = 0xff;
                if (pos + 1 < n && kind == 2)
                    s[pos] = 0xc3, s[pos + 1] = 0xa9;
                for (size_t cap = n / 2; cap <= n + 8; cap += n / 2 + 1) {
                    size_t a = ta__safe_append(got, 0, cap, s, n);
                    size_t b = ref_safe(want, cap, s, n);
                    assert_int_equal(a, b);
                    assert_memory_equal(got, want, a);
                }
            }
        }
    }
}

/* The digests JA3/JA3S and the certificate fingerprint use (threatatlas/hash.h). */
static void test_hashes(void **state)
{
    (void)state;
    uint8_t h[32];
    char s[65];
    static uint8_t a1000[1000];
    memset(a1000, 'a', sizeof(a1000));
    ta_md5("abc", 3, h);
    hex(h, 16, s);
    assert_string_equal(s, "900150983cd24fb0d6963f7d28e17f72");
    ta_md5("", 0, h);
    hex(h, 16, s);
    assert_string_equal(s, "d41d8cd98f00b204e9800998ecf8427e");
    ta_md5(a1000, sizeof(a1000), h);
    hex(h, 16, s);
    assert_string_equal(s, "cabe45dcc9ae5b66ba86600cca6b8ba8");
    ta_sha1("abc", 3, h);
    hex(h, 20, s);
    assert_string_equal(s, "a9993e364706816aba3e25717850c26c9cd0d89d");
    ta_sha1(a1000, sizeof(a1000), h);
    hex(h, 20, s);
    assert_string_equal(s, "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    /* 56 bytes: padding spills into a second block. */
    ta_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
    hex(h, 20, s);
    assert_string_equal(s, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello_split), cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_garbage_and_gap),    cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_safe_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
