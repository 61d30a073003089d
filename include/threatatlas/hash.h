/*
 * SHA-256 (FIPS 180-4), streaming. Used to identify analysis inputs by
 * digest so that analysing the same capture twice adds nothing to the store.
 *
 *   struct ta_sha256 h; ta_sha256_init(&h);
 *   ta_sha256_update(&h, buf, n);  ...  (any number of times)
 *   uint8_t d[TA_SHA256_LEN]; ta_sha256_final(&h, d);
 *
 * The context lives in caller storage; no allocation, no failure.
 */
#ifndef THREATATLAS_HASH_H
#define THREATATLAS_HASH_H

#include "threatatlas/common.h"

#define TA_SHA256_LEN 32
/* Hex digest length including the terminating NUL. */
#define TA_SHA256_HEXLEN 65

struct ta_sha256 {
    uint32_t h[8];
    uint64_t nbytes;   /* total message length so far */
    uint8_t block[64]; /* pending partial block */
    size_t blen;       /* bytes used in block */
};

void ta_sha256_init(struct ta_sha256 *s);
void ta_sha256_update(struct ta_sha256 *s, const void *data, size_t len);
/* Writes the digest and leaves s in an undefined state (re-init to reuse). */
void ta_sha256_final(struct ta_sha256 *s, uint8_t out[TA_SHA256_LEN]);
/* One-shot helper. */
void ta_sha256(const void *data, size_t len, uint8_t out[TA_SHA256_LEN]);
/* Lower-case hex of a digest into hex[TA_SHA256_HEXLEN]; returns hex. */
char *ta_sha256_hex(const uint8_t d[TA_SHA256_LEN], char hex[TA_SHA256_HEXLEN]);
/*
 * Hash a whole file; sets *size to its length in bytes. Returns TA_ERR_IO
 * (errno preserved) if it cannot be opened or read.
 */
ta_err ta_sha256_file(const char *path, uint8_t out[TA_SHA256_LEN], uint64_t *size);

#endif
