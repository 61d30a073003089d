/*
 * Message digests, computed by OpenSSL's libcrypto (EVP): SHA-256 to
 * identify analysis inputs (analysing the same capture twice adds nothing
 * to the store), MD5 for JA3/JA3S, SHA-1 for certificate fingerprints,
 * SHA-512 to verify downloaded packages.
 *
 *   struct ta_sha256 h; ta_sha256_init(&h);
 *   ta_sha256_update(&h, buf, n);  ...  (any number of times)
 *   uint8_t d[TA_SHA256_LEN]; ta_sha256_final(&h, d);
 *
 * The streaming context holds a libcrypto context that init allocates and
 * final releases: every init is followed by a final. If init could not
 * allocate, update does nothing and final writes an all-zero digest and
 * returns TA_ERR_NOMEM. The one-shot functions cannot report failure:
 * should libcrypto fail to allocate, the digest is all zeros.
 */
#ifndef THREATATLAS_HASH_H
#define THREATATLAS_HASH_H

#include "threatatlas/common.h"

#define TA_MD5_LEN    16
#define TA_SHA1_LEN   20
#define TA_SHA256_LEN 32
#define TA_SHA512_LEN 64
/* Hex digest length including the terminating NUL. */
#define TA_SHA256_HEXLEN 65

struct ta_sha256 {
    void *ctx;       /* libcrypto's EVP_MD_CTX; NULL after a failed init */
    uint64_t nbytes; /* total message length so far */
};

ta_err ta_sha256_init(struct ta_sha256 *s);
void ta_sha256_update(struct ta_sha256 *s, const void *data, size_t len);
/* Writes the digest and releases s (init again to reuse). */
ta_err ta_sha256_final(struct ta_sha256 *s, uint8_t out[TA_SHA256_LEN]);
/* One-shot digests. */
void ta_sha256(const void *data, size_t len, uint8_t out[TA_SHA256_LEN]);
void ta_sha1(const void *data, size_t len, uint8_t out[TA_SHA1_LEN]);
void ta_md5(const void *data, size_t len, uint8_t out[TA_MD5_LEN]);
/* Lower-case hex of a digest into hex[TA_SHA256_HEXLEN]; returns hex. */
char *ta_sha256_hex(const uint8_t d[TA_SHA256_LEN], char hex[TA_SHA256_HEXLEN]);
/*
 * Hash a whole file; sets *size to its length in bytes (size may be NULL).
 * Returns TA_ERR_IO (errno preserved) if it cannot be opened or read.
 */
ta_err ta_sha256_file(const char *path, uint8_t out[TA_SHA256_LEN], uint64_t *size);
/*
 * SHA-512 of a whole file in standard padded base64, as npm's
 * dist.integrity writes it after "sha512-" (88 characters and a NUL; out
 * must hold them). TA_ERR_IO if the file cannot be read.
 */
ta_err ta_sha512_file_b64(const char *path, char *out, size_t outlen);

#endif
