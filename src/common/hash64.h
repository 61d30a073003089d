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
 *   ta_hash_mix64(x)           fixed-width finaliser (MurmurHash3 fmix64): spreads
 *                              every input bit over the whole word, for tables
 *                              that take slot bits from the low end and tags or
 *                              Bloom bits from the high end
 *
 * Seed 0 gives plain FNV-1a, the values the tables used before they shared
 * this header; nothing that is written out depends on a hash value, only
 * slot positions do. Low-level primitive: uses nothing but the C library.
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

/*
 * For keys compared with memcmp (padding zeroed by their constructor): a
 * word at a time, so a 40-byte key costs five multiplies, not forty.
 */
static inline uint64_t ta_hash64_words(uint64_t seed, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        x = (x ^ w) * 0xff51afd7ed558ccdull;
        x ^= x >> 29;
    }
    for (; i < n; i++)
        x = ta_hash64_step(x, b[i]);
    return ta_hash_mix64(x);
}

#endif
