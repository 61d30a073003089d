/*
 * Unit tests for src/common and the JSON writer.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "threatatlas/common.h"
#include "threatatlas/json.h"

static void test_addr_roundtrip(void **state)
{
    (void)state;
    struct ta_addr a;
    char buf[TA_ADDR_STRLEN];
    assert_true(ta_addr_parse(&a, "192.0.2.7"));
    assert_int_equal(a.family, 4);
    assert_string_equal(ta_addr_format(&a, buf, sizeof(buf)), "192.0.2.7");
    assert_true(ta_addr_parse(&a, "2001:db8::1"));
    assert_int_equal(a.family, 6);
    assert_string_equal(ta_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
    assert_false(ta_addr_parse(&a, "300.1.1.1"));
    assert_false(ta_addr_parse(&a, ""));
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[TA_TS_STRLEN];
    ta_time_us t = 1395216062123456ull; /* 2014-03-19T08:01:02.123456Z */
    assert_string_equal(ta_time_format(t, buf, sizeof(buf)), "2014-03-19T08:01:02.123456+0000");
    ta_time_us d;
    assert_true(ta_date_parse("2014-03-19", &d));
    assert_int_equal(d, 1395187200ull * 1000000ull);
    assert_true(ta_date_parse("2000-02-29", &d));
    assert_false(ta_date_parse("2014-02-29", &d));
    assert_false(ta_date_parse("2014-13-01", &d));
    assert_false(ta_date_parse("2014-03-19x", &d));
    assert_false(ta_date_parse("2014-3-19", &d));
    assert_false(ta_date_parse("2014-03-9", &d));
    assert_false(ta_date_parse(" 2014-03-19", &d));
    assert_false(ta_date_parse("+014-03-19", &d));
    assert_false(ta_date_parse("2014-03", &d));
    assert_false(ta_date_parse("", &d));
    assert_false(ta_date_parse("1969-12-31", &d));
}

static void test_json_shape(void **state)
{
    (void)state;
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_str(&j, "a", "x\"y\n\x01");
    ta_json_key(&j, "b");
    ta_json_arr_open(&j);
    ta_json_uint(&j, 1);
    ta_json_int(&j, -2);
    ta_json_obj_open(&j);
    ta_json_obj_close(&j);
    ta_json_arr_close(&j);
    ta_json_kv_bool(&j, "c", true);
    ta_json_obj_close(&j);
    assert_false(j.oom);
    assert_string_equal(j.buf, "{\"a\":\"x\\\"y\\n\\u0001\",\"b\":[1,-2,{}],\"c\":true}");
    ta_json_reset(&j);
    ta_json_obj_open(&j);
    ta_json_kv_strn(&j, "u", "\xc3\xa9\xff", 3); /* valid é then an invalid byte */
    ta_json_obj_close(&j);
    assert_string_equal(j.buf, "{\"u\":\"\xc3\xa9\\u00ff\"}");
    ta_json_release(&j);
}

/* The hand-written IPv4 formatter against inet_ntop, over octets of every width. */
static void test_addr_format_v4_matches_inet_ntop(void **state)
{
    (void)state;
    static const uint8_t oct[] = {0, 1, 9, 10, 42, 99, 100, 101, 199, 200, 255};
    size_t no = sizeof(oct);
    for (size_t i = 0; i < no * no * no * no; i += 7) {
        uint8_t v4[4] = {oct[i % no], oct[i / no % no], oct[i / no / no % no],
                         oct[i / no / no / no % no]};
        struct ta_addr a;
        ta_addr_set_v4(&a, v4);
        char got[TA_ADDR_STRLEN], want[INET_ADDRSTRLEN];
        assert_non_null(inet_ntop(AF_INET, v4, want, sizeof(want)));
        assert_string_equal(ta_addr_format(&a, got, sizeof(got)), want);
    }
    /* Too small for the text: empty, as inet_ntop leaves it. */
    struct ta_addr a;
    ta_addr_set_v4(&a, (const uint8_t[]){192, 168, 100, 200});
    char small[8];
    assert_string_equal(ta_addr_format(&a, small, sizeof(small)), "");
}

/* The per-second cache against gmtime + printf, across seconds and back, and truncation. */
static void test_time_format_cache(void **state)
{
    (void)state;
    static const ta_time_us ts[] = {
        1395216062123456ull, 1395216062000001ull, 1395216063999999ull, 1395216062000000ull, 0ull,
        951782399500000ull,  4102444800000000ull, 1395216062123456ull,
    };
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        time_t sec = (time_t)(ts[i] / 1000000u);
        struct tm tm;
        assert_non_null(gmtime_r(&sec, &tm));
        char want[64], got[TA_TS_STRLEN];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ts[i] % 1000000u));
        assert_string_equal(ta_time_format(ts[i], got, sizeof(got)), want);
        char shortbuf[12];
        assert_string_equal(ta_time_format(ts[i], shortbuf, sizeof(shortbuf)),
                            (want[11] = '\0', want));
    }
    /* A year past 9999 is not cached; 32 bytes cut its text, as before. */
    char big[TA_TS_STRLEN];
    assert_string_equal(ta_time_format(253402300800000001ull, big, sizeof(big)),
                        "10000-01-01T00:00:00.000001+000");
}

/* The writer's buffer is capped: a document past the limit fails as a whole, and reset recovers. */
static void test_json_limit(void **state)
{
    (void)state;
    struct ta_json j;
    ta_json_init(&j);
    assert_int_equal(j.limit, TA_JSON_LIMIT);
    ta_json_set_limit(&j, 2048);
    char s[4000];
    memset(s, 'a', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    ta_json_obj_open(&j);
    ta_json_kv_strn(&j, "k", s, 2000);
    assert_false(j.oom);
    size_t held = j.len;
    ta_json_kv_str(&j, "k2", s);
    assert_true(j.oom);
    assert_true(j.toobig);
    assert_true(j.cap <= 2048);
    ta_json_kv_str(&j, "k3", "x"); /* later calls are no-ops */
    assert_true(j.len <= held + 8);
    ta_json_reset(&j);
    assert_false(j.oom);
    assert_false(j.toobig);
    assert_int_equal(j.limit, 2048);
    ta_json_str(&j, "fits");
    assert_false(j.oom);
    assert_string_equal(j.buf, "\"fits\"");
    ta_json_release(&j);
}

/* Integers at the edges, keys that need escaping, long strings that grow the buffer. */
static void test_json_edges(void **state)
{
    (void)state;
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_kv_int(&j, "min", INT64_MIN);
    ta_json_kv_int(&j, "max", INT64_MAX);
    ta_json_kv_int(&j, "zero", 0);
    ta_json_kv_uint(&j, "umax", UINT64_MAX);
    ta_json_kv_str(&j, "k\"\x01", "v");
    ta_json_kv_str(&j, "\xc3\xa9", "\x7f");
    ta_json_obj_close(&j);
    assert_false(j.oom);
    assert_string_equal(j.buf, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                               "\"zero\":0,\"umax\":18446744073709551615,"
                               "\"k\\\"\\u0001\":\"v\",\"\xc3\xa9\":\"\x7f\"}");
    char want[8192];
    char s[3000];
    memset(s, 'a', sizeof(s));
    s[1500] = '\\';
    ta_json_reset(&j);
    ta_json_arr_open(&j);
    ta_json_strn(&j, s, sizeof(s));
    ta_json_strn(&j, s, sizeof(s));
    ta_json_arr_close(&j);
    int n = snprintf(want, sizeof(want), "[\"%.1500s\\\\%.1499s\",\"%.1500s\\\\%.1499s\"]", s,
                     s + 1501, s, s + 1501);
    assert_int_equal(j.len, (size_t)n);
    assert_string_equal(j.buf, want);
    ta_json_release(&j);
}

/* The escaping a JSON string value must get, byte by byte (the writer's definition). */
static size_t ref_escape(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c >= 0x80) { /* lone bytes here are never valid UTF-8 */
            o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

/* Every byte value at every offset of strings longer than a machine word, and with literal keys. */
static void test_json_escape_every_byte(void **state)
{
    (void)state;
    struct ta_json j;
    ta_json_init(&j);
    unsigned char s[19];
    char want[19 * 6 + 3];
    for (unsigned c = 0; c < 256; c++) {
        for (size_t pos = 0; pos < sizeof(s); pos++) {
            memset(s, 'a' + (int)(pos % 26), sizeof(s));
            s[pos] = (unsigned char)c;
            if (c >= 0x80 && pos + 1 < sizeof(s))
                s[pos + 1] = 'z'; /* keep the high byte a lone, invalid UTF-8 byte */
            ta_json_reset(&j);
            ta_json_strn(&j, (const char *)s, sizeof(s));
            size_t n = ref_escape(s, sizeof(s), want);
            assert_int_equal(j.len, n);
            assert_memory_equal(j.buf, want, n);
        }
    }
    ta_json_reset(&j);
    ta_json_obj_open(&j);
    TA_JSON_KV_UINT(&j, "a", 1);
    TA_JSON_KV_STR(&j, "bb", "x\"y");
    TA_JSON_KEY(&j, "c");
    ta_json_arr_open(&j);
    ta_json_arr_close(&j);
    ta_json_kv_str(&j, "d\"", "z");
    ta_json_obj_close(&j);
    assert_string_equal(j.buf, "{\"a\":1,\"bb\":\"x\\\"y\",\"c\":[],\"d\\\"\":\"z\"}");
    ta_json_release(&j);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(ta_strerror(TA_OK), "success");
    assert_string_equal(ta_strerror((ta_err)999), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_roundtrip),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_limit),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_addr_format_v4_matches_inet_ntop),
        cmocka_unit_test(test_time_format_cache),
        cmocka_unit_test(test_json_edges),
        cmocka_unit_test(test_json_escape_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
