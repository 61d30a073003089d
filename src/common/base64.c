/*
 * Base64 decoding (see base64.h).
 */
#include "common/base64.h"

#include "common/banned.h"

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool ta_base64_valid(const uint8_t *s, size_t n)
{
    if (n == 0)
        return false;
    size_t pad = 0;
    while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (b64val(s[i]) < 0)
            return false;
    size_t body = n - pad;
    if (body % 4 == 1)
        return false;
    if (pad > 0 && n % 4 != 0)
        return false;
    return body > 0;
}

size_t ta_base64_decoded_len(const uint8_t *s, size_t n)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

size_t ta_base64_decode(const uint8_t *s, size_t n, uint8_t *dst, size_t cap)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            break;
        acc = (acc << 6 | (uint32_t)v) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}
