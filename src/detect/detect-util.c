/*
 * Byte helpers for the detectors: bounded, allocation-free. Also the one
 * list of payload extensions and executable magics (detect.h), which the
 * intel loaders share.
 */
#include "detect/detect-util.h"

#include "threatatlas/detect.h"

#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/banned.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* needle[1..m) matches at p, case-insensitively (needle[0] already matched). */
static inline bool rest_matches(const uint8_t *p, const char *needle, size_t m)
{
    for (size_t k = 1; k < m; k++)
        if (lower(p[k]) != lower((uint8_t)needle[k]))
            return false;
    return true;
}

/*
 * Bodies are scanned for many needles, so the search for the first byte is
 * vectorised: sixteen positions per compare, with bit 0x20 forced on both
 * sides when that byte is a letter (c | 0x20 equals a lowercase letter only
 * for that letter in either case); candidates are then checked in full.
 */
long ta__detect_ifind(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0)
        return 0;
    if (n < m)
        return -1;
    uint8_t first = lower((uint8_t)needle[0]);
    size_t starts = n - m + 1; /* candidate positions 0 .. n - m */
    size_t i = 0;
#ifdef __SSE2__
    const __m128i vf = _mm_set1_epi8((char)first);
    const __m128i fold = _mm_set1_epi8(first >= 'a' && first <= 'z' ? 0x20 : 0);
    for (; i + 16 <= starts; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(c, fold), vf));
        while (mask != 0) {
            unsigned b = (unsigned)__builtin_ctz(mask);
            if (rest_matches(hay + i + b, needle, m))
                return (long)(i + b);
            mask &= mask - 1;
        }
    }
#endif
    for (; i < starts; i++)
        if (lower(hay[i]) == first && rest_matches(hay + i, needle, m))
            return (long)i;
    return -1;
}

size_t ta__detect_icount(const uint8_t *hay, size_t n, const char *needle, size_t max)
{
    size_t m = strlen(needle), count = 0, off = 0;
    if (m == 0)
        return 0;
    while (count < max && off < n) {
        long at = ta__detect_ifind(hay + off, n - off, needle);
        if (at < 0)
            break;
        count++;
        off += (size_t)at + m;
    }
    return count;
}

size_t ta__detect_urldecode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        uint8_t c = src[i];
        if (c == '%' && n - i >= 3 && ta__detect_is_hex(src[i + 1]) &&
            ta__detect_is_hex(src[i + 2])) {
            dst[o++] =
                (uint8_t)(ta__detect_hexval(src[i + 1]) << 4 | ta__detect_hexval(src[i + 2]));
            i += 2;
        } else if (c == '+') {
            dst[o++] = ' ';
        } else {
            dst[o++] = c;
        }
    }
    return o;
}

double ta__detect_binary_fraction(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0.0;
    size_t bin = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c >= 0x7f)
            bin++;
    }
    return (double)bin / (double)n;
}

/* ---- payloads ---------------------------------------------------------- */

/*
 * Extensions of files fetched to run: Windows executables and scripts,
 * installers, Java and Android archives, shell scripts, and the names IoT
 * loaders give their per-architecture ELF builds (bins/x.arm7, x.mpsl).
 */
static const char *const payload_ext[] = {
    "exe", "dll",    "bin",  "sh",   "ps1",  "msi",  "scr",  "jar",   "apk",
    "hta", "vbs",    "elf",  "arm",  "arm5", "arm6", "arm7", "mips",  "mpsl",
    "x86", "x86_64", "i686", "m68k", "ppc",  "sh4",  "spc",  "sparc",
};

bool ta_detect_payload_path(const char *url, size_t len)
{
    len = strnlen(url, len);
    size_t start = 0, end = len;
    /* An absolute URL: the path begins at the first '/' after the authority. */
    for (size_t i = 0; i + 2 < len && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++) {
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
            start = i + 3;
            while (start < len && url[start] != '/' && url[start] != '?' && url[start] != '#')
                start++;
            if (start == len || url[start] != '/')
                return false; /* no path */
            break;
        }
    }
    for (size_t i = start; i < len; i++) {
        if (url[i] == '?' || url[i] == '#') {
            end = i;
            break;
        }
    }
    /* The extension of the last segment: after its last dot, with a non-empty stem. */
    size_t dot = end;
    for (size_t i = end; i > start; i--) {
        char c = url[i - 1];
        if (c == '/')
            break;
        if (c == '.') {
            dot = i - 1;
            break;
        }
    }
    if (dot == end || dot == start || url[dot - 1] == '/')
        return false;
    size_t n = end - dot - 1;
    for (size_t k = 0; k < sizeof(payload_ext) / sizeof(payload_ext[0]); k++) {
        const char *e = payload_ext[k];
        if (strlen(e) != n)
            continue;
        size_t j = 0;
        while (j < n && lower((uint8_t)url[dot + 1 + j]) == (uint8_t)e[j])
            j++;
        if (j == n)
            return true;
    }
    return false;
}

bool ta_detect_executable(const uint8_t *body, size_t len)
{
    if (body == NULL || len < 2)
        return false;
    if (body[0] == 'M' && body[1] == 'Z')
        return true;
    if (len < 4)
        return false;
    if (memcmp(body,
               "\x7f"
               "ELF",
               4) == 0)
        return true;
    uint32_t be =
        (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 | (uint32_t)body[2] << 8 | body[3];
    return be == 0xfeedfaceu || be == 0xfeedfacfu || be == 0xcefaedfeu || be == 0xcffaedfeu ||
           be == 0xcafebabeu;
}
