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

/* Encoding: the RFC vectors, the NUL, and a refused short buffer. */
static void test_encode(void **state)
{
    (void)state;
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    const uint8_t *src = (const uint8_t *)"foobar";
    for (size_t n = 0; n <= 6; n++) {
        char out[TA_BASE64_ENCODED_LEN(6)];
        assert_int_equal(ta_base64_encode(src, n, out, sizeof(out)), strlen(enc[n]));
        assert_string_equal(out, enc[n]);
    }
    char small[8];
    assert_int_equal(ta_base64_encode(src, 6, small, sizeof(small)), 0);
    assert_string_equal(small, "");
}

/*
 * Round trips longer than the decoder's 1024-character chunks, every length
 * around a chunk edge, in both alphabets, unpadded, and cut by the cap
 * mid-chunk: the bytes come back as they were.
 */
static void test_round_trip_chunks(void **state)
{
    (void)state;
    static uint8_t src[3000], back[3000];
    static char text[TA_BASE64_ENCODED_LEN(3000)];
    uint32_t x = 7;
    for (size_t i = 0; i < sizeof(src); i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (uint8_t)(x >> 16);
    }
    for (size_t n = 0; n <= sizeof(src); n += (n > 740 && n < 800) ? 1 : 97) {
        size_t t = ta_base64_encode(src, n, text, sizeof(text));
        assert_int_equal(t, (n + 2) / 3 * 4);
        assert_int_equal(ta_base64_decode((const uint8_t *)text, t, back, sizeof(back)), n);
        assert_memory_equal(back, src, n);
        /* URL-safe and unpadded: the same bytes. */
        size_t u = t;
        while (u > 0 && text[u - 1] == '=')
            u--;
        for (size_t i = 0; i < u; i++)
            text[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
        if (n > 0)
            assert_true(ta_base64_valid((const uint8_t *)text, u));
        assert_int_equal(ta_base64_decoded_len((const uint8_t *)text, u), n);
        assert_int_equal(ta_base64_decode((const uint8_t *)text, u, back, sizeof(back)), n);
        assert_memory_equal(back, src, n);
        /* The cap cuts anywhere, also inside a later chunk. */
        size_t cap = n / 2 + 1;
        if (cap <= n) {
            assert_int_equal(ta_base64_decode((const uint8_t *)text, u, back, cap), cap);
            assert_memory_equal(back, src, cap);
        }
    }
    /* A stranger after the first chunk: the valid prefix, whole bytes only. */
    size_t t = ta_base64_encode(src, 1500, text, sizeof(text));
    assert_true(t > 1030);
    text[1030] = '!';
    assert_int_equal(ta_base64_decode((const uint8_t *)text, t, back, sizeof(back)), 772);
    assert_memory_equal(back, src, 772);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648),           cmocka_unit_test(test_alphabets_and_cap),
        cmocka_unit_test(test_validity),          cmocka_unit_test(test_encode),
        cmocka_unit_test(test_round_trip_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
