/*
 * Unit tests for the detectors' byte helpers (src/detect/detect-util.c):
 * the vectorised case-insensitive search against a plain reference, at
 * every position, across the 16-byte block edges and the haystack's end.
 */
#include "testutil.h"

#include "detect/detect-util.h"

static unsigned char low(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static long ref_ifind(const uint8_t *h, size_t n, const char *nd)
{
    size_t m = strlen(nd);
    if (m == 0)
        return 0;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && low(h[i + k]) == low((unsigned char)nd[k]))
            k++;
        if (k == m)
            return (long)i;
    }
    return -1;
}

static void test_ifind_every_position(void **state)
{
    (void)state;
    /* Needles starting with a letter, a non-letter, and bytes 0x20 apart from letters. */
    static const char *const needles[] = {"<form", "Form", "eval(", "a",        "@",    "`x",
                                          "[b",    "{",    "z\xc3", "password", "\xe0x"};
    uint8_t h[70];
    for (size_t ni = 0; ni < sizeof(needles) / sizeof(needles[0]); ni++) {
        const char *nd = needles[ni];
        size_t m = strlen(nd);
        for (size_t n = 0; n <= sizeof(h); n++) {
            for (size_t pos = 0; pos <= n; pos++) {
                for (int variant = 0; variant < 3; variant++) {
                    /* Filler made of the needle's first byte's look-alikes. */
                    for (size_t i = 0; i < n; i++)
                        h[i] = (uint8_t)("-@`AaZz["[(i * 7 + pos) % 8]);
                    for (size_t k = 0; k < m && pos + k < n; k++) {
                        uint8_t c = (uint8_t)nd[k];
                        if (variant == 1 && c >= 'a' && c <= 'z')
                            c = (uint8_t)(c - 32);
                        if (variant == 2 && k == m - 1)
                            c ^= 1; /* a near miss */
                        h[pos + k] = c;
                    }
                    assert_int_equal(ta__detect_ifind(h, n, nd), ref_ifind(h, n, nd));
                }
            }
        }
    }
    assert_int_equal(ta__detect_ifind((const uint8_t *)"abc", 3, ""), 0);
    assert_int_equal(ta__detect_ifind((const uint8_t *)"ab", 2, "abc"), -1);
    assert_int_equal(ta__detect_icount((const uint8_t *)"xAbab-ABx", 9, "ab", 10), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ifind_every_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
