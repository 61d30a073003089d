/*
 * IDNA for feed values: a Unicode host name ("bücher.example", or the host
 * of a URL) becomes its A-label form ("xn--bcher-kva.example"), which is
 * what DNS queries, TLS SNI and HTTP Host carry on the wire, so indicators
 * compare equal to traffic. UTS #46 non-transitional processing (libidn2),
 * as current browsers do: case is folded, "ß" stays itself ("xn--zca").
 * Called by value canonicalisation before the ASCII checks.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel-internal.h"

#include "common/banned.h"

bool ta__intel_has_8bit(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

/* Convert host (hl bytes) and append it to out at *o. */
static bool host_to_ascii(const char *host, size_t hl, char *out, size_t cap, size_t *o,
                          const char **why)
{
    char in[256];
    /* A leading "*." or "." (parent-matching entries) and a trailing dot are
     * not labels: keep them around the converted name. */
    size_t pre = 0;
    if (hl > 2 && host[0] == '*' && host[1] == '.')
        pre = 2;
    else if (hl > 1 && host[0] == '.')
        pre = 1;
    size_t end = hl;
    if (end > pre && host[end - 1] == '.')
        end--;
    if (end - pre == 0 || end - pre >= sizeof(in)) {
        *why = "invalid IDNA name: too long";
        return false;
    }
    memcpy(in, host + pre, end - pre);
    in[end - pre] = '\0';
    char *a = NULL;
    int rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        *why = rc == IDN2_ENCODING_ERROR ? "invalid IDNA name: not UTF-8"
               : rc == IDN2_DISALLOWED   ? "invalid IDNA name: disallowed character"
               : rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL
                   ? "invalid IDNA name: too long"
                   : "invalid IDNA name";
        return false;
    }
    size_t al = strlen(a);
    if (*o + pre + al + (hl - end) >= cap) {
        idn2_free(a);
        *why = "value too long";
        return false;
    }
    memcpy(out + *o, host, pre);
    *o += pre;
    for (size_t i = 0; i < al; i++)
        out[(*o)++] = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
    memcpy(out + *o, host + end, hl - end);
    *o += hl - end;
    idn2_free(a);
    return true;
}

bool ta__intel_idna(const char *s, size_t len, bool url, char *out, size_t cap, size_t *outlen,
                    const char **why)
{
    size_t o = 0;
    if (!url) {
        if (!host_to_ascii(s, len, out, cap, &o, why))
            return false;
        out[o] = '\0';
        *outlen = o;
        return true;
    }
    /* The host of a URL: after "scheme://" (or "//"), after any user
     * information, up to the port, path, query or fragment. */
    size_t i = 0, k = 0;
    while (k < len && k < 16 &&
           ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
            (k > 0 && ((s[k] >= '0' && s[k] <= '9') || s[k] == '+' || s[k] == '-' || s[k] == '.'))))
        k++;
    if (k > 0 && len - k >= 3 && memcmp(s + k, "://", 3) == 0)
        i = k + 3;
    if (i == 0 && len >= 2 && s[0] == '/' && s[1] == '/')
        i = 2;
    size_t ae = i;
    while (ae < len && s[ae] != '/' && s[ae] != '?' && s[ae] != '#' && s[ae] != '\\')
        ae++;
    size_t hs = i;
    for (size_t j = ae; j > i; j--)
        if (s[j - 1] == '@') {
            hs = j;
            break;
        }
    size_t he = hs;
    while (he < ae && s[he] != ':')
        he++;
    if (!ta__intel_has_8bit(s + hs, he - hs)) {
        /* Only the path or query is non-ASCII: that is for URL normalisation. */
        if (len >= cap)
            return false;
        memcpy(out, s, len);
        out[len] = '\0';
        *outlen = len;
        return true;
    }
    if (hs >= cap)
        return false;
    memcpy(out, s, hs);
    o = hs;
    if (!host_to_ascii(s + hs, he - hs, out, cap, &o, why))
        return false;
    if (o + (len - he) >= cap) {
        *why = "value too long";
        return false;
    }
    memcpy(out + o, s + he, len - he);
    o += len - he;
    out[o] = '\0';
    *outlen = o;
    return true;
}
