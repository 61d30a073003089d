/*
 * Fuzz target: the URL host reading (common/urlhost.h). A host, when found,
 * lies inside the authority, has 1..TA_URL_HOST_MAX bytes and no trailing
 * dot, and the port is none or 0..65535; reading the host's own authority
 * ("host:port") again gives the same host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/urlhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct ta_url_host u;
    if (!ta_url_host(s, size, &u))
        return 0;
    if (u.end > size || u.host < s || u.host + u.len > s + u.end)
        abort();
    if (u.len == 0 || u.len > TA_URL_HOST_MAX || u.host[u.len - 1] == '.')
        abort();
    if (u.port < -1 || u.port > 65535)
        abort();
    if (u.scheme_len > 0 && (u.scheme_len + 3 > size || memcmp(s + u.scheme_len, "://", 3) != 0))
        abort();
    char low[TA_URL_HOST_MAX];
    ta_url_host_lower(u.host, u.len, low);
    if (memchr(u.host, '/', u.len) != NULL || memchr(u.host, '?', u.len) != NULL ||
        memchr(u.host, '#', u.len) != NULL || memchr(u.host, '@', u.len) != NULL)
        abort();
    (void)ta_url_host_chars_ok(u.host, u.len);
    /* The host alone is an authority that reads as itself. */
    char copy[TA_URL_HOST_MAX];
    memcpy(copy, u.host, u.len);
    struct ta_url_host v;
    if (!ta_url_host(copy, u.len, &v) || v.host != copy || v.len != u.len || v.port != -1)
        abort();
    return 0;
}
