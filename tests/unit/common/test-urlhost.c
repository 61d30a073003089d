/*
 * ta_url_host (common/urlhost.h): the one reading of a URL's host, on the
 * edge cases the three former copies disagreed on: userinfo, ports, IPv6
 * brackets, trailing dots, backslashes, case, missing scheme.
 */
#include "testutil.h"

#include "common/urlhost.h"

/* Host of url as a string ("" when there is none), and its port. */
static const char *host_of(const char *url, int32_t *port)
{
    static char buf[TA_URL_HOST_MAX + 1];
    struct ta_url_host u;
    if (!ta_url_host(url, strlen(url), &u)) {
        *port = -2;
        return "";
    }
    memcpy(buf, u.host, u.len);
    buf[u.len] = '\0';
    *port = u.port;
    return buf;
}

#define HOST(url, want_host, want_port)                                                            \
    do {                                                                                           \
        int32_t port_;                                                                             \
        assert_string_equal(host_of(url, &port_), want_host);                                      \
        assert_int_equal(port_, want_port);                                                        \
    } while (0)

static void test_basic(void **state)
{
    (void)state;
    HOST("http://example.com/a/b?q#f", "example.com", -1);
    HOST("https://Example.COM", "Example.COM", -1); /* case kept: a view */
    HOST("http://example.com?x=1", "example.com", -1);
    HOST("http://example.com#top", "example.com", -1);
    HOST("http://example.com\\path", "example.com", -1);
    /* Without a scheme: "//host" and a bare authority. */
    HOST("//cdn.example.net/x.js", "cdn.example.net", -1);
    HOST("example.org:8080/login", "example.org", 8080);
    HOST("hxxp+s.1-x://h/", "h", -1);
}

static void test_userinfo_and_port(void **state)
{
    (void)state;
    HOST("http://user:pw@bank.example/login", "bank.example", -1);
    /* The last '@' ends the userinfo: a '@' in a password does not make a host. */
    HOST("http://a@b@evil.example:81/", "evil.example", 81);
    /* A '@' after the authority is path, not userinfo. */
    HOST("http://good.example/@evil.example", "good.example", -1);
    HOST("http://h:0/", "h", 0);
    HOST("http://h:65535/", "h", 65535);
    HOST("http://h:00080/", "h", 80);
    HOST("http://h:/", "h", -1); /* empty port: none */
    HOST("http://h:65536/", "", -2);
    HOST("http://h:8o/", "", -2);
    HOST("http://h:-1/", "", -2);
}

static void test_ipv6(void **state)
{
    (void)state;
    HOST("http://[2001:db8::1]/x", "[2001:db8::1]", -1);
    HOST("http://[2001:db8::1]:8443/x", "[2001:db8::1]", 8443);
    HOST("http://u@[::1]:80", "[::1]", 80);
    HOST("http://[::1/x", "", -2);  /* unclosed */
    HOST("http://[::1]x/", "", -2); /* junk after the bracket */
    HOST("http://[::1]:8x/", "", -2);
}

static void test_dots_and_empty(void **state)
{
    (void)state;
    HOST("http://example.com./", "example.com", -1);
    HOST("http://example.com..:8080/", "example.com", 8080);
    HOST("http://./", "", -2);
    HOST("http:///path", "", -2);
    HOST("http://user@/", "", -2);
    HOST("http://:80/", "", -2);
    HOST("", "", -2);
    char big[300];
    memcpy(big, "http://", 7);
    memset(big + 7, 'a', 255);
    big[7 + 255] = '\0';
    int32_t port;
    assert_int_equal(strlen(host_of(big, &port)), 255);
    big[7 + 255] = 'a';
    big[7 + 256] = '\0';
    HOST(big, "", -2);
}

static void test_end_and_scheme(void **state)
{
    (void)state;
    struct ta_url_host u;
    const char *url = "HTTPS://h.example:8443/p?q";
    assert_true(ta_url_host(url, strlen(url), &u));
    assert_int_equal(u.scheme_len, 5);
    assert_int_equal(u.end, strlen("HTTPS://h.example:8443"));
    url = "h.example";
    assert_true(ta_url_host(url, strlen(url), &u));
    assert_int_equal(u.scheme_len, 0);
    assert_int_equal(u.end, 9);
    /* Only the given length is read. */
    url = "http://abc.example/";
    assert_true(ta_url_host(url, 10, &u));
    assert_int_equal(u.len, 3);
}

static void test_chars_and_lower(void **state)
{
    (void)state;
    assert_true(ta_url_host_chars_ok("a-b_c.d9", 8));
    assert_true(ta_url_host_chars_ok("\xc3\xa9t\xc3\xa9", 5));
    assert_true(ta_url_host_chars_ok("[2001:DB8::1]", 13));
    assert_true(ta_url_host_chars_ok("[::ffff:1.2.3.4]", 16));
    assert_false(ta_url_host_chars_ok("a b", 3));
    assert_false(ta_url_host_chars_ok("a[b", 3));
    assert_false(ta_url_host_chars_ok("[]", 2));
    assert_false(ta_url_host_chars_ok("[fe80::1%eth0]", 14));
    assert_false(ta_url_host_chars_ok("[::g]", 5));
    char out[8];
    ta_url_host_lower("AbC.Z9", 6, out);
    assert_memory_equal(out, "abc.z9", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),          cmocka_unit_test(test_userinfo_and_port),
        cmocka_unit_test(test_ipv6),           cmocka_unit_test(test_dots_and_empty),
        cmocka_unit_test(test_end_and_scheme), cmocka_unit_test(test_chars_and_lower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
