/*
 * The program's one non-cryptographic hash (internal).
 *
 * Every private hash table hashes its keys through these few functions, so
 * a change of hash (or a per-process seed against chosen-key flooding) is
 * made in one place:
 *
 *   ta_hash64(seed, p, n)      variable-length bytes (names, hosts, URLs):
 *                              FNV-1a 64 started from TA_HASH_FNV_BASIS ^ seed
 *   ta_hash64_step(h, v)       one more value folded into a running ta_hash64
 *                              (a port, a protocol number) without a buffer
 *   ta_hash64_words(seed, p, n) fixed-size, zero-padded keys (n a compile-time
 *                              size): eight bytes per multiply, then mixed
 *   ta_hash64_round(h, w)      one multiply-rotate round of a 64-bit word, and
 *   ta_hash64_last(h, w)       the cheaper last one: the parts of
 *                              ta_hash64_words, for keys built from fields
 *                              (a flow's addresses and ports) without a buffer
 *   ta_hash64_pair(seed, a, b) two words, finished: small composite keys
 *   ta_hash_mix64(x)           fixed-width finaliser (MurmurHash3 fmix64): spreads
 *                              every input bit over the whole word, for tables
 *                              that take slot bits from the low end and tags or
 *                              Bloom bits from the high end, and for integer keys
 *
 * Seed 0 gives plain FNV-1a. Nothing that is written out depends on these
 * values except the flow id (flow/flow-engine.c), which is built from
 * ta_hash64_round/last: they keep the values they had. Everywhere else only
 * slot positions (and the order of nothing visible) depend on them. The
 * store's event identity is written to disk and is not a table hash; it stays
 * with its file. The caches' file checksum (ta_hash64_file) is written too. Low-level primitive:
 * uses nothing but the C library.
 */
#ifndef TA_COMMON_HASH64_H
#define TA_COMMON_HASH64_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TA_HASH_FNV_BASIS 0xcbf29ce484222325ull
#define TA_HASH_FNV_PRIME 0x100000001b3ull

static inline uint64_t ta_hash64_step(uint64_t h, uint64_t v)
{
    return (h ^ v) * TA_HASH_FNV_PRIME;
}

static inline uint64_t ta_hash64(uint64_t seed, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = TA_HASH_FNV_BASIS ^ seed;
    for (size_t i = 0; i < n; i++)
        h = ta_hash64_step(h, b[i]);
    return h;
}

static inline uint64_t ta_hash_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

#define TA_HASH_WORD_BASIS 0x9e3779b97f4a7c15ull
#define TA_HASH_WORD_M1    0xff51afd7ed558ccdull
#define TA_HASH_WORD_M2    0xc4ceb9fe1a85ec53ull

static inline uint64_t ta_hash64_round(uint64_t h, uint64_t w)
{
    h ^= w * TA_HASH_WORD_M1;
    return (h << 27 | h >> 37) * TA_HASH_WORD_M2;
}

/* The last word needs no rotate: ta_hash_mix64 follows. */
static inline uint64_t ta_hash64_last(uint64_t h, uint64_t w)
{
    return h ^ w * TA_HASH_WORD_M1;
}

static inline uint64_t ta_hash64_pair(uint64_t seed, uint64_t a, uint64_t b)
{
    return ta_hash_mix64(ta_hash64_last(ta_hash64_round(TA_HASH_WORD_BASIS ^ seed, a), b));
}

/*
 * For keys compared with memcmp (padding zeroed by their constructor): a
 * word at a time, so a 40-byte key costs five multiplies, not forty. The
 * tail bytes (n not a multiple of eight) make one last, zero-padded word.
 */
static inline uint64_t ta_hash64_words(uint64_t seed, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = TA_HASH_WORD_BASIS ^ seed;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = ta_hash64_round(h, w);
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, b + i, n - i);
        h = ta_hash64_last(h, w);
    }
    return ta_hash_mix64(h ^ n);
}

/*
 * The checksum of a cache file's bytes (the GeoIP tables' and the intel
 * index's): four 64-bit lanes over 32-byte blocks, then the tail byte by
 * byte, folded with the length. Each step is a bijection of its lane for a
 * given word, so a change to any one word always changes the sum; fast
 * enough (several GB/s) to run over a whole file at start. Written to disk: a change of these
 * values only makes every existing cache rebuild once.
 */
static inline uint64_t ta_hash64_file(const uint8_t *p, size_t n)
{
    const uint64_t m1 = 0x9e3779b185ebca87ull, m2 = 0xc2b2ae3d27d4eb4full;
    uint64_t a[4] = {m1, m2, m1 ^ m2, n};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * (size_t)k, 8);
            uint64_t v = a[k] ^ w * m1;
            a[k] = (v << 29 | v >> 35) * m2;
        }
    for (int k = 0; i < n; i++, k = (k + 1) & 3) {
        uint64_t v = a[k] ^ (uint64_t)(p[i] + 1u) * m1;
        a[k] = (v << 29 | v >> 35) * m2;
    }
    uint64_t h = n;
    for (int k = 0; k < 4; k++) {
        uint64_t v = h ^ a[k] * m2;
        h = (v << 31 | v >> 33) * m1;
    }
    return h ^ h >> 29;
}

#endif
