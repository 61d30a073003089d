/*
 * Small byte helpers shared by the detectors (internal): case-insensitive
 * search, percent and hex decoding into capped buffers (base64: common/base64.h).
 */
#ifndef TA_DETECT_UTIL_H
#define TA_DETECT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offset of needle in hay (ASCII case-insensitive), or -1. */
long ta__detect_ifind(const uint8_t *hay, size_t n, const char *needle);
static inline bool ta__detect_icontains(const uint8_t *hay, size_t n, const char *needle)
{
    return ta__detect_ifind(hay, n, needle) >= 0;
}
/* Count non-overlapping occurrences (case-insensitive), up to max. */
size_t ta__detect_icount(const uint8_t *hay, size_t n, const char *needle, size_t max);

/* Percent-decode (and '+' -> ' ') at most cap bytes into dst; returns length. */
size_t ta__detect_urldecode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

/* Fraction of bytes that are neither printable ASCII nor tab/CR/LF. */
double ta__detect_binary_fraction(const uint8_t *s, size_t n);

static inline bool ta__detect_is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline unsigned ta__detect_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

struct ta_detector;
struct ta_detect_http_content;
/* The verdicts set by ta_detector_next_http_content(), cleared (the sink's HTTP feed). */
const struct ta_detect_http_content *ta__detector_take_http_content(struct ta_detector *d);

#endif
