/*
 * The host of a URL (see urlhost.h).
 */
#include "common/urlhost.h"

#include <string.h>

#include "common/banned.h"

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t scheme_len(const char *url, size_t len)
{
    size_t k = 0;
    while (k < len && k < 16 &&
           (is_alpha(url[k]) ||
            (k > 0 && (is_digit(url[k]) || url[k] == '+' || url[k] == '-' || url[k] == '.'))))
        k++;
    if (k > 0 && len - k >= 3 && memcmp(url + k, "://", 3) == 0)
        return k;
    return 0;
}

bool ta_url_host(const char *url, size_t len, struct ta_url_host *out)
{
    size_t a = 0;
    out->scheme_len = scheme_len(url, len);
    if (out->scheme_len > 0)
        a = out->scheme_len + 3;
    else if (len >= 2 && url[0] == '/' && url[1] == '/')
        a = 2;
    size_t ae = a;
    while (ae < len && url[ae] != '/' && url[ae] != '\\' && url[ae] != '?' && url[ae] != '#')
        ae++;
    out->end = ae;
    for (size_t j = ae; j > a; j--)
        if (url[j - 1] == '@') {
            a = j;
            break;
        }
    size_t he = ae, ps = ae;
    if (a < ae && url[a] == '[') {
        const char *r = memchr(url + a, ']', ae - a);
        if (r == NULL)
            return false;
        he = (size_t)(r - url) + 1;
        if (he < ae && url[he] == ':')
            ps = he + 1;
        else if (he != ae)
            return false;
    } else {
        const char *c = memchr(url + a, ':', ae - a);
        if (c != NULL) {
            he = (size_t)(c - url);
            ps = he + 1;
        }
    }
    out->port = -1;
    if (ps < ae) {
        int32_t port = 0;
        for (size_t j = ps; j < ae; j++) {
            if (!is_digit(url[j]))
                return false;
            port = port * 10 + (url[j] - '0');
            if (port > 65535)
                return false;
        }
        out->port = port;
    }
    while (he > a && url[he - 1] == '.')
        he--;
    if (he == a || he - a > TA_URL_HOST_MAX)
        return false;
    out->host = url + a;
    out->len = he - a;
    return true;
}

bool ta_url_host_chars_ok(const char *h, size_t n)
{
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        for (size_t i = 1; i + 1 < n; i++) {
            char c = h[i];
            if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
                  c == '.'))
                return false;
        }
        return n > 2;
    }
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
              (unsigned char)c >= 0x80))
            return false;
    }
    return true;
}

void ta_url_host_lower(const char *h, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char)(h[i] + 32) : h[i];
}
