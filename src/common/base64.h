/*
 * Base64 decoding for detection (internal): RFC 4648 text in either
 * alphabet (standard "+/" or URL-safe "-_", mixed as found in webshell
 * traffic), decoded leniently into a capped buffer.
 *
 * Not OpenSSL's EVP_DecodeBlock: that one knows only the standard
 * alphabet, wants whole 4-character groups and fails on the first bad
 * byte, while the detectors decode the valid prefix of any text, unpadded
 * URL-safe tokens included, and never more than their buffer holds.
 * Low-level primitive: uses nothing but the C library.
 */
#ifndef TA_COMMON_BASE64_H
#define TA_COMMON_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true if s[0..n) is non-empty base64: every byte in one of the two
 * alphabets except up to two trailing '=', padding only on a whole group,
 * and no lone sixth bit group at the end. */
bool ta_base64_valid(const uint8_t *s, size_t n);
/* Bytes the text decodes to (for text that passes ta_base64_valid). */
size_t ta_base64_decoded_len(const uint8_t *s, size_t n);
/* Decodes up to the first byte outside the alphabets ('=' included) or
 * until cap bytes are written; returns the bytes written to dst. */
size_t ta_base64_decode(const uint8_t *s, size_t n, uint8_t *dst, size_t cap);

#endif
