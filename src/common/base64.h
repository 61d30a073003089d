/*
 * Base64 (internal): encoding for the writers (standard alphabet, padded),
 * and decoding for detection: RFC 4648 text in either alphabet (standard
 * "+/" or URL-safe "-_", mixed as found in webshell traffic), decoded
 * leniently into a capped buffer.
 *
 * Both go through OpenSSL's libcrypto. Its EVP_DecodeBlock alone knows
 * only the standard alphabet, wants whole 4-character groups and fails on
 * the first bad byte, while the detectors decode the valid prefix of any
 * text, unpadded URL-safe tokens included, and never more than their
 * buffer holds: those rules are kept here, around it.
 * Low-level primitive: uses the C library and libcrypto only.
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

/* Characters of the padded encoding of n bytes, plus the terminating NUL. */
#define TA_BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4 + 1)
/* Encode src[0..n) into dst (standard alphabet, '=' padded, NUL-terminated);
 * returns the characters written, or 0 (dst "") when cap is below
 * TA_BASE64_ENCODED_LEN(n). */
size_t ta_base64_encode(const uint8_t *src, size_t n, char *dst, size_t cap);

#endif
