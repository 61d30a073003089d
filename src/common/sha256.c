/*
 * SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 6.2),
 * written from the standard. Identifies analysis inputs in the store.
 */
#include "threatatlas/hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/banned.h"

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots
 * of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (unsigned t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (unsigned t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (unsigned t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = k + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

void ta_sha256_init(struct ta_sha256 *s)
{
    /* FIPS 180-4 5.3.3 initial hash value. */
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, H0, sizeof(H0));
    s->nbytes = 0;
    s->blen = 0;
}

void ta_sha256_update(struct ta_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->nbytes += len;
    if (s->blen > 0) {
        size_t take = 64 - s->blen;
        if (take > len)
            take = len;
        memcpy(s->block + s->blen, p, take);
        s->blen += take;
        p += take;
        len -= take;
        if (s->blen < 64)
            return;
        compress(s->h, s->block);
        s->blen = 0;
    }
    while (len >= 64) {
        compress(s->h, p);
        p += 64;
        len -= 64;
    }
    if (len > 0) {
        memcpy(s->block, p, len);
        s->blen = len;
    }
}

void ta_sha256_final(struct ta_sha256 *s, uint8_t out[TA_SHA256_LEN])
{
    /* 5.1.1 padding: a 1 bit, zeros, then the message length in bits (64-bit BE). */
    uint64_t bits = s->nbytes * 8u;
    s->block[s->blen++] = 0x80;
    if (s->blen > 56) {
        memset(s->block + s->blen, 0, 64 - s->blen);
        compress(s->h, s->block);
        s->blen = 0;
    }
    memset(s->block + s->blen, 0, 56 - s->blen);
    for (unsigned i = 0; i < 8; i++)
        s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(s->h, s->block);
    for (unsigned i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void ta_sha256(const void *data, size_t len, uint8_t out[TA_SHA256_LEN])
{
    struct ta_sha256 s;
    ta_sha256_init(&s);
    ta_sha256_update(&s, data, len);
    ta_sha256_final(&s, out);
}

char *ta_sha256_hex(const uint8_t d[TA_SHA256_LEN], char hex[TA_SHA256_HEXLEN])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < TA_SHA256_LEN; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
    return hex;
}

ta_err ta_sha256_file(const char *path, uint8_t out[TA_SHA256_LEN], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return TA_ERR_IO;
    struct ta_sha256 s;
    ta_sha256_init(&s);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ta_sha256_update(&s, buf, n);
    int err = ferror(f);
    int saved = errno;
    fclose(f);
    if (err) {
        errno = saved;
        return TA_ERR_IO;
    }
    ta_sha256_final(&s, out);
    if (size != NULL)
        *size = s.nbytes;
    return TA_OK;
}
