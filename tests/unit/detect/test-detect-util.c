/*
 * Unit tests for the detectors' byte helpers (src/detect/detect-util.c):
 * the vectorised case-insensitive search against a plain reference, at
 * every position, across the 16-byte block edges and the haystack's end;
 * the payload path and executable checks shared with the intel loaders.
 */
#include "testutil.h"

#include "detect/detect-util.h"
#include "threatatlas/detect.h"

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

static bool pp(const char *u)
{
    return ta_detect_payload_path(u, strlen(u));
}

static void test_payload_path(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "/a.exe",
        "/wp-content/x/Invoice.DLL",
        "/x.bin?id=1",
        "/i.sh#top",
        "/s.ps1",
        "/setup.msi",
        "/s.scr",
        "/a.jar",
        "/a.apk",
        "/a.hta",
        "/a.vbs",
        "/a.elf",
        "/bins/m.arm",
        "/bins/m.arm5",
        "/bins/m.arm6",
        "/bins/m.arm7",
        "/bins/m.mips",
        "/bins/m.mpsl",
        "/bins/m.x86",
        "/bins/m.x86_64",
        "/bins/m.i686",
        "/bins/m.m68k",
        "/bins/m.ppc",
        "/bins/m.sh4",
        "/bins/m.spc",
        "/bins/m.sparc",
        "http://h.example/d/p.exe",
        "https://h.example:8443/a.b/c.dll?x=/y.txt",
        "b.exe",
    };
    static const char *const no[] = {
        "/",
        "/index.php",
        "/a.exe/",
        "/a.exe.txt",
        "/a.exec",
        "/.sh",
        "/dir.exe/page",
        "/q?f=/a.exe",
        "/p#/a.exe",
        "http://a.exe",
        "http://a.exe/",
        "http://h.example",
        "/a.armv7",
        "/a.x86_",
        "",
        "/a.",
        "/exe",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!pp(yes[i]))
            fail_msg("not a payload path: %s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (pp(no[i]))
            fail_msg("taken for a payload path: %s", no[i]);
    /* Bounded by len: the extension beyond it is not read. */
    assert_false(ta_detect_payload_path("/a.exe", 5));
    assert_true(ta_detect_payload_path("/a.exe-and-more", 6));
}

static void test_executable(void **state)
{
    (void)state;
    static const struct {
        const char *b;
        size_t n;
        bool exe;
    } c[] = {
        {"MZ\x90\x00", 4, true},
        {"MZ", 2, true},
        {"\x7f"
         "ELF\x02\x01",
         6, true},
        {"\xfe\xed\xfa\xce", 4, true},
        {"\xfe\xed\xfa\xcf", 4, true},
        {"\xce\xfa\xed\xfe", 4, true},
        {"\xcf\xfa\xed\xfe", 4, true},
        {"\xca\xfe\xba\xbe", 4, true},
        {"M", 1, false},
        {"\x7f"
         "EL",
         3, false},
        {"<html>", 6, false},
        {"mz\x90\x00", 4, false},
        {"PK\x03\x04", 4, false},
        {"\xfe\xed\xfa\xcd", 4, false},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (ta_detect_executable((const uint8_t *)c[i].b, c[i].n) != c[i].exe)
            fail_msg("case %zu: executable should be %d", i, c[i].exe);
    assert_false(ta_detect_executable(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ifind_every_position),
        cmocka_unit_test(test_payload_path),
        cmocka_unit_test(test_executable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
