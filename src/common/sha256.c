/*
 * SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 6.2),
 * written from the standard. Identifies analysis inputs in the store.
 *
 * Hashing every input is part of what storing an analysis costs (a 50 MB
 * capture per day), so on x86-64 processors with the SHA extensions the
 * compression function runs on SHA256RNDS2/MSG1/MSG2 (about ten times the
 * portable code's speed); the portable code is used everywhere else.
 */
#include "threatatlas/hash.h"

#include "common/sha256-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TA_SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

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

static void compress_portable(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, p += 64)
        compress(h, p);
}

#ifdef TA_SHA_X86
/*
 * The same compression with the SHA extensions. SHA256RNDS2 does two rounds
 * on the state split as {A, B, E, F} and {C, D, G, H} (A in the top lane),
 * taking W[t] + K[t] for both rounds from the low 64 bits of its third
 * operand; SHA256MSG1 / MSG2 compute the sigma0 and sigma1 parts of the
 * message schedule four words at a time.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    /* Byte order within each 32-bit lane: the message words are big endian. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i abcd = _mm_loadu_si128((const __m128i *)(const void *)h);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(const void *)(h + 4));
    /* {A,B,C,D} lanes 0..3 -> {B,A,D,C}; {E,F,G,H} -> {H,G,F,E}. */
    abcd = _mm_shuffle_epi32(abcd, 0xB1);
    efgh = _mm_shuffle_epi32(efgh, 0x1B);
    __m128i abef = _mm_alignr_epi8(abcd, efgh, 8);    /* lanes F, E, B, A */
    __m128i cdgh = _mm_blend_epi16(efgh, abcd, 0xF0); /* lanes H, G, D, C */
    for (; nblocks > 0; nblocks--, p += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m[4];
        /* Unrolled so that the four schedule vectors stay in registers. */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
            m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)),
                                    bswap);
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            __m128i *w = &m[g & 3];
            if (g >= 4) {
                /* W[t..t+3] from W[t-16..t-1] held in the four vectors:
                 * msg1 adds sigma0(W[t-15..t-12]) to W[t-16..t-13], then
                 * W[t-7..t-4] is added, then msg2 adds sigma1(W[t-2..t+1]). */
                const __m128i w12 = m[(g + 1) & 3], w8 = m[(g + 2) & 3], w4 = m[(g + 3) & 3];
                __m128i x = _mm_sha256msg1_epu32(*w, w12);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w4, w8, 4));
                *w = _mm_sha256msg2_epu32(x, w4);
            }
            __m128i wk =
                _mm_add_epi32(*w, _mm_loadu_si128((const __m128i *)(const void *)(K + 4 * g)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            wk = _mm_shuffle_epi32(wk, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    /* Back to {A..D}, {E..H}. */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B); /* lanes A, B, E, F */
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1); /* lanes G, H, C, D */
    _mm_storeu_si128((__m128i *)(void *)h, _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)(void *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

static bool cpu_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return false;
    bool ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return ssse3 && sse41 && ((b >> 29) & 1);
}
#endif

/* 0 = not yet decided, 1 = portable, 2 = SHA extensions. */
static atomic_int impl;

static int choose_impl(void)
{
    int v = atomic_load_explicit(&impl, memory_order_relaxed);
    if (v == 0) {
#ifdef TA_SHA_X86
        v = cpu_has_shani() ? 2 : 1;
#else
        v = 1;
#endif
        atomic_store_explicit(&impl, v, memory_order_relaxed);
    }
    return v;
}

bool ta__sha256_accelerated(void)
{
    return choose_impl() == 2;
}

void ta__sha256_force_portable(bool on)
{
    atomic_store_explicit(&impl, on ? 1 : 0, memory_order_relaxed);
}

static void compress_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
#ifdef TA_SHA_X86
    if (choose_impl() == 2) {
        compress_shani(h, p, nblocks);
        return;
    }
#endif
    compress_portable(h, p, nblocks);
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
        compress_blocks(s->h, s->block, 1);
        s->blen = 0;
    }
    if (len >= 64) {
        compress_blocks(s->h, p, len / 64);
        p += len - len % 64;
        len %= 64;
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
        compress_blocks(s->h, s->block, 1);
        s->blen = 0;
    }
    memset(s->block + s->blen, 0, 56 - s->blen);
    for (unsigned i = 0; i < 8; i++)
        s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress_blocks(s->h, s->block, 1);
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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TA_ERR_IO;
    struct ta_sha256 s;
    ta_sha256_init(&s);
    struct stat sb;
    /* A regular file is hashed through a read-only mapping: no copy into a
     * buffer (captures are tens of MB to GB). Anything else is read. */
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uint64_t)sb.st_size <= SIZE_MAX) {
        size_t len = (size_t)sb.st_size;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, len, MADV_SEQUENTIAL);
            ta_sha256_update(&s, m, len);
            munmap(m, len);
            close(fd);
            ta_sha256_final(&s, out);
            if (size != NULL)
                *size = s.nbytes;
            return TA_OK;
        }
    }
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return TA_ERR_IO;
        }
        ta_sha256_update(&s, buf, (size_t)n);
    }
    close(fd);
    ta_sha256_final(&s, out);
    if (size != NULL)
        *size = s.nbytes;
    return TA_OK;
}
