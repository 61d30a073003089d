/*
 * Fuzz target: the cache validators read from a feed server's response
 * header lines (intel fetch). The input is split into lines as libcurl hands
 * them over. Properties: each kept value is NUL-terminated within its field
 * and holds no control character (it is sent back in the next request's
 * If-None-Match / If-Modified-Since, so a CR or LF there would inject header
 * lines); a status line clears both; and a clean value written back as its
 * own header line reads back as itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intel/intel-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v, size_t cap)
{
    const char *nul = memchr(v, '\0', cap);
    if (nul == NULL)
        abort();
    for (const char *p = v; p < nul; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
    if (nul > v && (nul[-1] == ' ' || nul[-1] == '\t' || v[0] == ' ' || v[0] == '\t'))
        abort();
}

/* The value read back from "Name: value\r\n" must be the value. */
static void round_trip(const char *name, const char *v)
{
    if (v[0] == '\0')
        return;
    char line[400];
    size_t n = (size_t)snprintf(line, sizeof(line), "%s: %s\r\n", name, v);
    if (n >= sizeof(line))
        abort();
    struct ta__fetch_hdrs h;
    memset(&h, 0, sizeof(h));
    ta__intel_fetch_header_line(&h, line, n);
    const char *got = strcmp(name, "ETag") == 0 ? h.etag : h.last_modified;
    if (strcmp(got, v) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ta__fetch_hdrs h;
    memset(&h, 0, sizeof(h));
    const char *s = (const char *)data;
    size_t i = 0;
    while (i < size) {
        const char *lf = memchr(s + i, '\n', size - i);
        size_t n = lf != NULL ? (size_t)(lf - (s + i)) + 1 : size - i;
        /* libcurl's buffer is not NUL-terminated: hand over an exact copy */
        char *line = malloc(n ? n : 1);
        if (line == NULL)
            return 0;
        memcpy(line, s + i, n);
        ta__intel_fetch_header_line(&h, line, n);
        if (n >= 5 && memcmp(line, "HTTP/", 5) == 0 &&
            (h.etag[0] != '\0' || h.last_modified[0] != '\0'))
            abort();
        free(line);
        check_value(h.etag, sizeof(h.etag));
        check_value(h.last_modified, sizeof(h.last_modified));
        i += n;
    }
    round_trip("ETag", h.etag);
    round_trip("Last-Modified", h.last_modified);
    return 0;
}
