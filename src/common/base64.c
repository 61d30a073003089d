/*
 * Base64 (see base64.h). The 6-bit arithmetic is libcrypto's
 * (EVP_EncodeBlock, EVP_DecodeBlock); what this file adds is the acceptance
 * rules of the detectors: both alphabets, the valid prefix of any text,
 * unpadded and partial final groups, and the caller's cap.
 */
#include "common/base64.h"

#include <string.h>

#include <openssl/evp.h>

#include "common/banned.h"

/* The standard-alphabet character for c, or 0 outside both alphabets. */
static char std_char(uint8_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
        c == '/')
        return (char)c;
    if (c == '-')
        return '+';
    if (c == '_')
        return '/';
    return 0;
}

bool ta_base64_valid(const uint8_t *s, size_t n)
{
    if (n == 0)
        return false;
    size_t pad = 0;
    while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (std_char(s[i]) == 0)
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
    /* Chunks of whole 4-character groups in the standard alphabet; a final partial
     * group is padded with '=' (EVP_DecodeBlock wants whole groups) and the bytes
     * the padding stands for are dropped again. */
    char in[1024];
    uint8_t out[sizeof(in) / 4 * 3];
    size_t o = 0, i = 0;
    while (i < n && o < cap) {
        size_t k = 0;
        while (k < sizeof(in) && i < n) {
            char c = std_char(s[i]);
            if (c == 0)
                break;
            in[k++] = c;
            i++;
        }
        bool last = k < sizeof(in); /* stopped at the end or at a stranger */
        size_t rem = k % 4;
        if (rem == 1)
            k--; /* a lone 6-bit group holds no whole byte */
        size_t pad = 0;
        if (rem == 2 || rem == 3) {
            pad = 4 - rem;
            memset(in + k, '=', pad);
            k += pad;
        }
        if (k == 0)
            break;
        int got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)k);
        if (got < 0)
            break;
        size_t m = (size_t)got - pad;
        if (m > cap - o)
            m = cap - o;
        memcpy(dst + o, out, m);
        o += m;
        if (last)
            break;
    }
    return o;
}

size_t ta_base64_encode(const uint8_t *src, size_t n, char *dst, size_t cap)
{
    size_t need = TA_BASE64_ENCODED_LEN(n);
    if (cap < need || n > (size_t)(INT32_MAX / 4 * 3)) {
        if (cap > 0)
            dst[0] = '\0';
        return 0;
    }
    int w = EVP_EncodeBlock((unsigned char *)dst, src, (int)n);
    return w < 0 ? 0 : (size_t)w;
}
