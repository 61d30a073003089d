/*
 * Unit tests for src/common and the JSON writer.
 */
#include "testutil.h"

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
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
