/*
 * DNS parser unit tests: answers and their EVE shape, compression loops and
 * forward pointers, truncated answers, TXT with many strings, overlong
 * names, SOA/SRV, DNS over TCP framing across segments, detection by
 * content on non-standard ports.
 */
#include "proto-tu.h"

struct msg {
    uint8_t b[2048];
    size_t n;
};

static void put(struct msg *m, const void *d, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, d, n);
    m->n += n;
}
static void u16(struct msg *m, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(m, b, 2);
}
static void u32(struct msg *m, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(m, b, 4);
}
/* "www.example.com" as labels. */
static void name(struct msg *m, const char *s)
{
    while (*s) {
        const char *d = strchr(s, '.');
        size_t l = d ? (size_t)(d - s) : strlen(s);
        uint8_t lb = (uint8_t)l;
        put(m, &lb, 1);
        put(m, s, l);
        s += l;
        if (*s == '.')
            s++;
    }
    uint8_t z = 0;
    put(m, &z, 1);
}
static void hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns)
{
    m->n = 0;
    u16(m, id);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, ns);
    u16(m, 0);
}
static void rrh(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
    u16(m, type);
    u16(m, 1);
    u32(m, ttl);
    u16(m, rdlen);
}

static struct ta_proto *mk(void)
{
    struct ta_proto *p;
    assert_int_equal(ta_proto_new(NULL, &p), TA_OK);
    tu_reset();
    return p;
}

static void test_answers(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 53);
    struct msg q, r;
    hdr(&q, 0x1234, 0x0100, 1, 0, 0);
    name(&q, "www.example.com");
    u16(&q, 1);
    u16(&q, 1);
    hdr(&r, 0x1234, 0x8180, 1, 3, 0);
    name(&r, "www.example.com");
    u16(&r, 1);
    u16(&r, 1);
    /* CNAME www -> web.example.com (compressed suffix), then A and AAAA. */
    u16(&r, 0xc00c);
    rrh(&r, 5, 300, 6);
    uint8_t web[] = {3, 'w', 'e', 'b', 0xc0, 16};
    put(&r, web, sizeof(web));
    size_t web_off = r.n - 6;
    u16(&r, (unsigned)(0xc000 | web_off));
    rrh(&r, 1, 60, 4);
    put(&r, "\xc0\x00\x02\x07", 4);
    u16(&r, (unsigned)(0xc000 | web_off));
    rrh(&r, 28, 60, 16);
    put(&r, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
    tu_udp(p, &f, TA_DIR_TOSERVER, q.b, q.n);
    tu_udp(p, &f, TA_DIR_TOCLIENT, r.b, r.n);
    assert_int_equal(f.app_proto, TA_APP_DNS);
    assert_int_equal(tu_cap.n, 2);
    TU_HAS(0, "\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":\"10.0.0.2\"");
    TU_HAS(0, "\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":4660,\"flags\":"
              "\"100\",\"rd\":true,\"opcode\":0,\"rcode\":\"NOERROR\",\"queries\":[{\"rrname\":"
              "\"www.example.com\",\"rrtype\":\"A\"}]}");
    /* A response goes from the server. */
    TU_HAS(1, "\"src_ip\":\"10.0.0.2\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\"");
    TU_HAS(1, "\"answers\":[{\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"ttl\":300,"
              "\"rdata\":\"web.example.com\"},{\"rrname\":\"web.example.com\",\"rrtype\":\"A\","
              "\"ttl\":60,\"rdata\":\"192.0.2.7\"},{\"rrname\":\"web.example.com\",\"rrtype\":"
              "\"AAAA\",\"ttl\":60,\"rdata\":\"2001:0db8:0000:0000:0000:0000:0000:0001\"}]");
    TU_HAS(1, "\"grouped\":{\"CNAME\":[\"web.example.com\"],\"A\":[\"192.0.2.7\"],\"AAAA\":[");
    TU_HAS(1, "\"tx_id\":1");
    char buf[TA_ADDR_STRLEN];
    assert_string_equal(ta_addr_format(&tu_cap.first_a, buf, sizeof(buf)), "192.0.2.7");
    assert_int_equal(tu_counter(p, "dns_messages"), 2);
    assert_int_equal(tu_counter(p, "dns_malformed"), 0);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

/*
 * The additional section: glue addresses and an EDNS OPT record with an
 * option (written as Suricata 8's "additionals", data in hex), an OPT without
 * options left out; binary rdata (RRSIG) never written; grouped only for the
 * types Suricata groups.
 */
static void test_additionals_and_binary_rdata(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 53);
    struct msg r;
    hdr(&r, 7, 0x8180, 1, 2, 0);
    r.b[11] = 2; /* ARCOUNT */
    name(&r, "example.com");
    u16(&r, 1);
    u16(&r, 1);
    u16(&r, 0xc00c);
    rrh(&r, 1, 60, 4);
    put(&r, "\xc0\x00\x02\x07", 4);
    u16(&r, 0xc00c);
    rrh(&r, 46, 60, 5); /* RRSIG: binary */
    put(&r, "\x00\x01\x08\x03\xff", 5);
    u16(&r, 0xc00c);
    rrh(&r, 1, 30, 4);
    put(&r, "\xc0\x00\x02\x35", 4);
    uint8_t root = 0;
    put(&r, &root, 1);
    rrh(&r, 41, 0x8000, 6); /* OPT, DO bit; option 10 (cookie) of 2 bytes */
    put(&r, "\x00\x0a\x00\x02\xab\xcd", 6);
    tu_udp(p, &f, TA_DIR_TOCLIENT, r.b, r.n);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "{\"rrname\":\"example.com\",\"rrtype\":\"RRSIG\",\"ttl\":60}");
    TU_HAS(0, "\"grouped\":{\"A\":[\"192.0.2.7\"]}");
    TU_HAS(0, "\"additionals\":[{\"rrname\":\"example.com\",\"rrtype\":\"A\",\"ttl\":30,"
              "\"rdata\":\"192.0.2.53\"},{\"rrname\":\"<root>\",\"rrtype\":\"OPT\",\"ttl\":"
              "32768,\"opt\":[{\"code\":10,\"data\":\"abcd\"}]}]");
    /* An OPT without options: no additionals at all. */
    tu_reset();
    hdr(&r, 8, 0x8180, 1, 0, 0);
    r.b[11] = 1;
    name(&r, "example.com");
    u16(&r, 1);
    u16(&r, 1);
    put(&r, &root, 1);
    rrh(&r, 41, 0, 0);
    tu_udp(p, &f, TA_DIR_TOCLIENT, r.b, r.n);
    assert_int_equal(tu_cap.n, 1);
    assert_null(strstr(tu_cap.line[0], "additionals"));
    assert_int_equal(tu_counter(p, "dns_malformed"), 0);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_compression_loop(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 53);
    struct msg m;
    /* Question name is a pointer to itself. */
    hdr(&m, 1, 0x0100, 1, 0, 0);
    u16(&m, 0xc00c);
    u16(&m, 1);
    u16(&m, 1);
    tu_udp(p, &f, TA_DIR_TOSERVER, m.b, m.n);
    assert_int_equal(tu_cap.n, 0);
    assert_int_equal(tu_counter(p, "dns_malformed"), 1);
    assert_int_equal(tu_counter(p, "dns_name_loops"), 1);
    /* Two pointers pointing at each other, in an answer: the answer is dropped. */
    hdr(&m, 2, 0x8180, 1, 2, 0);
    name(&m, "a.example");
    u16(&m, 1);
    u16(&m, 1);
    u16(&m, 0xc00c);
    rrh(&m, 1, 5, 4);
    put(&m, "\x01\x02\x03\x04", 4);
    size_t here = m.n;
    u16(&m, (unsigned)(0xc000 | (here + 2)));
    u16(&m, (unsigned)(0xc000 | here));
    tu_udp(p, &f, TA_DIR_TOCLIENT, m.b, m.n);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"answers\":[{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"ttl\":5,\"rdata\":"
              "\"1.2.3.4\"}],");
    assert_int_equal(tu_counter(p, "dns_name_loops"), 2);
    assert_int_equal(tu_counter(p, "dns_rr_truncated"), 1);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_forward_pointer_and_truncated(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 53);
    struct msg m;
    /* First question points forward to the second one's name. */
    hdr(&m, 7, 0x0100, 2, 0, 0);
    u16(&m, 0xc000 | 18);
    u16(&m, 1);
    u16(&m, 1);
    name(&m, "codemonkey.net");
    u16(&m, 1);
    u16(&m, 1);
    tu_udp(p, &f, TA_DIR_TOSERVER, m.b, m.n);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"queries\":[{\"rrname\":\"codemonkey.net\",\"rrtype\":\"A\"},{\"rrname\":"
              "\"codemonkey.net\",\"rrtype\":\"A\"}]");
    /* Response says 3 answers but the datagram ends inside the second. */
    hdr(&m, 7, 0x8180, 1, 3, 0);
    name(&m, "codemonkey.net");
    u16(&m, 1);
    u16(&m, 1);
    u16(&m, 0xc00c);
    rrh(&m, 1, 300, 4);
    put(&m, "\x98\x35\x52\xef", 4);
    u16(&m, 0xc00c);
    rrh(&m, 1, 300, 4);
    put(&m, "\x98", 1);
    tu_udp(p, &f, TA_DIR_TOCLIENT, m.b, m.n);
    assert_int_equal(tu_cap.n, 2);
    TU_HAS(1, "\"answers\":[{\"rrname\":\"codemonkey.net\",\"rrtype\":\"A\",\"ttl\":300,"
              "\"rdata\":\"152.53.82.239\"}],\"grouped\"");
    assert_int_equal(tu_counter(p, "dns_rr_truncated"), 1);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_txt_many_strings_soa_srv(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 5353);
    struct msg m;
    hdr(&m, 9, 0x8580, 1, 2, 1);
    name(&m, "t.example");
    u16(&m, 16);
    u16(&m, 1);
    /* TXT with 5 strings, one of them empty and one with a non-UTF-8 byte. */
    u16(&m, 0xc00c);
    rrh(&m, 16, 3, 2 + 2 + 1 + 4 + 2);
    put(&m,
        "\x01"
        "a"
        "\x01"
        "b"
        "\x00"
        "\x03"
        "c\xff"
        "d"
        "\x01"
        "e",
        11);
    /* SRV */
    u16(&m, 0xc00c);
    rrh(&m, 33, 30, 6 + 13);
    u16(&m, 20);
    u16(&m, 1);
    u16(&m, 5060);
    name(&m, "sip.example");
    /* SOA authority */
    u16(&m, 0xc00e);
    rrh(&m, 6, 900, 2 + 2 + 20);
    u16(&m, 0xc00e);
    u16(&m, 0xc00e);
    u32(&m, 2024010101);
    u32(&m, 7200);
    u32(&m, 3600);
    u32(&m, 1209600);
    u32(&m, 300);
    tu_udp(p, &f, TA_DIR_TOCLIENT, m.b, m.n);
    assert_int_equal(f.app_proto, TA_APP_DNS);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"aa\":true");
    TU_HAS(0, "\"rdata\":\"a\"},{\"rrname\":\"t.example\",\"rrtype\":\"TXT\",\"ttl\":3,\"rdata\":"
              "\"b\"},{\"rrname\":\"t.example\",\"rrtype\":\"TXT\",\"ttl\":3,\"rdata\":\"\"},");
    TU_HAS(0, "\"rdata\":\"c\\\\xffd\"");
    TU_HAS(0, "\"srv\":{\"priority\":20,\"weight\":1,\"port\":5060,\"name\":\"sip.example\"}");
    TU_HAS(0, "\"authorities\":[{\"rrname\":\"example\",\"rrtype\":\"SOA\",\"ttl\":900,\"soa\":{"
              "\"mname\":\"example\",\"rname\":\"example\",\"serial\":2024010101,\"refresh\":7200,"
              "\"retry\":3600,\"expire\":1209600,\"minimum\":300}}]");
    TU_HAS(0, "\"grouped\":{\"TXT\":[\"a\",\"b\",\"\",\"c\\\\xffd\",\"e\"],\"SRV\":[{");
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_overlong_name(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 17, 53);
    struct msg m;
    hdr(&m, 1, 0x0100, 1, 0, 0);
    /* 5 labels of 63 bytes = 320 octets > 255. */
    for (int i = 0; i < 5; i++) {
        uint8_t l = 63;
        put(&m, &l, 1);
        uint8_t lab[63];
        memset(lab, 'x', sizeof(lab));
        put(&m, lab, sizeof(lab));
    }
    uint8_t z = 0;
    put(&m, &z, 1);
    u16(&m, 1);
    u16(&m, 1);
    tu_udp(p, &f, TA_DIR_TOSERVER, m.b, m.n);
    assert_int_equal(tu_cap.n, 0);
    assert_int_equal(tu_counter(p, "dns_malformed"), 1);
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_tcp_framing(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f;
    tu_flow(&f, 6, 53);
    struct msg a, b;
    hdr(&a, 0xaaaa, 0x0100, 1, 0, 0);
    name(&a, "one.example");
    u16(&a, 1);
    u16(&a, 1);
    hdr(&b, 0xbbbb, 0x0100, 1, 0, 0);
    name(&b, "two.example");
    u16(&b, 28);
    u16(&b, 1);
    uint8_t s[512];
    size_t n = 0;
    s[n++] = (uint8_t)(a.n >> 8);
    s[n++] = (uint8_t)a.n;
    memcpy(s + n, a.b, a.n);
    n += a.n;
    s[n++] = (uint8_t)(b.n >> 8);
    s[n++] = (uint8_t)b.n;
    memcpy(s + n, b.b, b.n);
    n += b.n;
    tu_tcp(p, &f, TA_DIR_TOSERVER, 1000, TA_TCP_SYN, NULL, 0);
    /* Split inside the first message, then inside the second length prefix. */
    size_t c1 = 9, c2 = 2 + a.n + 1;
    tu_tcp(p, &f, TA_DIR_TOSERVER, 1001, TA_TCP_ACK, s, c1);
    tu_tcp(p, &f, TA_DIR_TOSERVER, (uint32_t)(1001 + c1), TA_TCP_ACK, s + c1, c2 - c1);
    assert_int_equal(tu_cap.n, 1);
    tu_tcp(p, &f, TA_DIR_TOSERVER, (uint32_t)(1001 + c2), TA_TCP_ACK, s + c2, n - c2);
    assert_int_equal(tu_cap.n, 2);
    assert_int_equal(f.app_proto, TA_APP_DNS);
    TU_HAS(0, "\"proto\":\"TCP\"");
    TU_HAS(0, "\"rrname\":\"one.example\"");
    TU_HAS(1, "\"tx_id\":1,\"id\":48059");
    TU_HAS(1, "\"rrname\":\"two.example\",\"rrtype\":\"AAAA\"");
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_detect_by_content(void **state)
{
    (void)state;
    struct ta_proto *p = mk();
    struct ta_flow f, g;
    tu_flow(&f, 17, 9999);
    struct msg m;
    hdr(&m, 3, 0x0100, 1, 0, 0);
    name(&m, "odd.port");
    u16(&m, 1);
    u16(&m, 1);
    tu_udp(p, &f, TA_DIR_TOSERVER, m.b, m.n);
    assert_int_equal(f.app_proto, TA_APP_DNS);
    assert_int_equal(tu_cap.n, 1);
    /* Not DNS on a non-DNS port: detection fails, nothing parsed. */
    tu_flow(&g, 17, 9998);
    tu_udp(p, &g, TA_DIR_TOSERVER, "hello world, not dns at all", 27);
    assert_int_equal(g.app_proto, TA_APP_FAILED);
    assert_int_equal(tu_cap.n, 1);
    tu_end(p, &f);
    tu_end(p, &g);
    ta_proto_free(p);
    tu_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_additionals_and_binary_rdata),
        cmocka_unit_test(test_compression_loop),
        cmocka_unit_test(test_forward_pointer_and_truncated),
        cmocka_unit_test(test_txt_many_strings_soa_srv),
        cmocka_unit_test(test_overlong_name),
        cmocka_unit_test(test_tcp_framing),
        cmocka_unit_test(test_detect_by_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
