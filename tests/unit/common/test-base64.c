/*
 * common/base64.h against the RFC 4648 section 10 vectors, the URL-safe
 * alphabet, the output cap and the validity rules.
 */
#include "testutil.h"

#include "common/base64.h"

#define U(s) (const uint8_t *)(s), strlen(s)

static void test_rfc4648(void **state)
{
    (void)state;
    static const char *const enc[] = {"Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const dec[] = {"f", "fo", "foo", "foob", "fooba", "foobar"};
    for (size_t i = 0; i < 6; i++) {
        uint8_t out[16];
        assert_true(ta_base64_valid(U(enc[i])));
        assert_int_equal(ta_base64_decoded_len(U(enc[i])), strlen(dec[i]));
        size_t n = ta_base64_decode(U(enc[i]), out, sizeof(out));
        assert_int_equal(n, strlen(dec[i]));
        assert_memory_equal(out, dec[i], n);
    }
}

static void test_alphabets_and_cap(void **state)
{
    (void)state;
    uint8_t out[8];
    /* "+/" and "-_" are the same two values. */
    assert_true(ta_base64_valid(U("-_8")));
    assert_int_equal(ta_base64_decode(U("-_8"), out, sizeof(out)), 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(ta_base64_decode(U("+/8"), out, sizeof(out)), 2);
    assert_int_equal(out[0], 0xfb);
    /* Never more than cap bytes; decoding stops at the first stranger. */
    assert_int_equal(ta_base64_decode(U("Zm9vYmFy"), out, 4), 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(ta_base64_decode(U("Zm9v!mFy"), out, sizeof(out)), 3);
    assert_int_equal(ta_base64_decoded_len(U("Zm9vYg")), 4);
}

static void test_validity(void **state)
{
    (void)state;
    assert_false(ta_base64_valid(U("")));
    assert_false(ta_base64_valid(U("==")));
    assert_false(ta_base64_valid(U("Z")));     /* a lone 6-bit group */
    assert_false(ta_base64_valid(U("Zg=")));   /* padding on a partial group */
    assert_false(ta_base64_valid(U("Zg==="))); /* three pad bytes */
    assert_false(ta_base64_valid(U("Zm9v!")));
    assert_false(ta_base64_valid(U("Z=g=")));
    assert_true(ta_base64_valid(U("Zm9vYg"))); /* unpadded */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648),
        cmocka_unit_test(test_alphabets_and_cap),
        cmocka_unit_test(test_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
