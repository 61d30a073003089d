/*
 * Fuzz target for the webshell request/response analysis, and the payload
 * checks on the same URL (path extension) and response body (executable magic).
 *
 * Input layout: four '\n'-terminated lines (method, url, user agent,
 * accept, which may carry a tab and the Cookie header), then the request body, optionally followed
 * by the two bytes 0xff 0xfe and the response body. Strings are copied to NUL-terminated buffers;
 * bodies are passed as exact-size views so ASan sees overreads. Checked: a verdict is well formed
 * (family, confidence 1-100, a signature, entropy 0-8 bits) and the same for the same input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *line(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end && *p != '\n') {
        if (n + 1 < cap)
            out[n++] = (char)*p;
        p++;
    }
    out[n] = 0;
    return p < end ? p + 1 : p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char method[32], url[2048], ua[256], accept[256];
    const uint8_t *p = data, *end = data + size;
    p = line(p, end, method, sizeof(method));
    p = line(p, end, url, sizeof(url));
    p = line(p, end, ua, sizeof(ua));
    p = line(p, end, accept, sizeof(accept));
    char *cookie = strchr(accept, '\t');
    if (cookie != NULL)
        *cookie++ = '\0';
    size_t rest = (size_t)(end - p);
    size_t qlen = rest, split = rest;
    for (size_t i = 0; i + 1 < rest; i++) {
        if (p[i] == 0xff && p[i + 1] == 0xfe) {
            qlen = i;
            split = i + 2;
            break;
        }
    }
    uint8_t *q = malloc(qlen ? qlen : 1);
    size_t rlen = rest - split;
    uint8_t *r = malloc(rlen ? rlen : 1);
    if (q == NULL || r == NULL) {
        free(q);
        free(r);
        return 0;
    }
    memcpy(q, p, qlen);
    memcpy(r, p + split, rlen);
    struct ta_webshell_input in = {
        .method = method,
        .url = url,
        .user_agent = ua,
        .accept = accept,
        .content_type = "application/x-www-form-urlencoded",
        .req_body = q,
        .req_len = qlen,
        .resp_body = r,
        .resp_len = rlen,
        .have_resp = split != rest,
        .cookie = cookie,
    };
    /* Properties: a verdict is well formed, and the same input gives the same verdict. */
    struct ta_webshell_verdict v, v2;
    bool hit = ta_webshell_analyze(&in, &v);
    bool hit2 = ta_webshell_analyze(&in, &v2);
    if (hit != hit2 || v.family != v2.family || v.confidence != v2.confidence ||
        v.suspected != v2.suspected)
        abort();
    if (!(v.entropy >= 0.0 && v.entropy <= 8.0))
        abort();
    if (hit && (v.family == TA_WS_NONE || (unsigned)v.family >= TA_WS__COUNT || v.confidence == 0 ||
                v.confidence > 100 || v.signature == NULL))
        abort();
    if (!hit && v.family != TA_WS_NONE)
        abort();
    /* The URL as an exact-size view, without its NUL, so ASan sees an overread. */
    size_t ulen = strlen(url);
    char *u = malloc(ulen ? ulen : 1);
    if (u != NULL) {
        memcpy(u, url, ulen);
        (void)ta_detect_payload_path(u, ulen);
        free(u);
    }
    (void)ta_detect_executable(r, rlen);
    free(q);
    free(r);
    return 0;
}
