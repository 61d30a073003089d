/*
 * Fuzz target for the per-script request profiles (src/detect/detect-scripts.c),
 * which take paths, hosts and methods from server logs and captures.
 *
 * Input: lines "METHOD URL HOST STATUS SIZE CLIENT", each one request (missing
 * fields empty or 0; CLIENT is a byte naming 203.0.113.CLIENT). Checked: the
 * table stays at its cap of 4; every reported profile passes its own verdict,
 * holds at most max_clients clients with counts that add up to at most its
 * requests, and a path that is a script path; a second report is empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect-scripts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ta__script_opts OPTS = {
    .max_scripts = 4, .min_posts = 2, .max_clients = 2, .size_spread = 8};

static void check(void *ud, const struct ta__script *p)
{
    int *n = ud;
    (*n)++;
    if (ta__script_verdict(p, &OPTS) != TA__SCRIPT_SUSPECT || p->nclients > OPTS.max_clients ||
        p->nclients == 0 || p->path[sizeof(p->path) - 1] != 0 || p->host[sizeof(p->host) - 1] != 0)
        abort();
    uint64_t sum = 0;
    for (uint32_t i = 0; i < p->nclients; i++)
        sum += p->clients[i].requests;
    if (sum > p->posts + p->gets + p->others || p->answered > p->posts)
        abort();
}

/* The next space-separated field of the line [*p, end), NUL-terminated in out. */
static void field(const char **p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p == ' ')
        (*p)++;
    while (*p < end && **p != ' ') {
        if (n + 1 < cap)
            out[n++] = **p;
        (*p)++;
    }
    out[n] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ta__scripts s;
    if (ta__scripts_init(&s, &OPTS) != TA_OK)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    struct ta_addr server;
    ta_addr_parse(&server, "10.0.0.1");
    uint64_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        char method[16], url[600], host[300], status[8], sz[24], cl[8];
        field(&p, le, method, sizeof(method));
        field(&p, le, url, sizeof(url));
        field(&p, le, host, sizeof(host));
        field(&p, le, status, sizeof(status));
        field(&p, le, sz, sizeof(sz));
        field(&p, le, cl, sizeof(cl));
        p = nl != NULL ? nl + 1 : end;
        if (!ta__script_path(url))
            continue;
        struct ta_addr client;
        uint8_t v4[4] = {203, 0, 113, (uint8_t)cl[0]};
        ta_addr_set_v4(&client, v4);
        struct ta__script_req r = {
            .client = &client,
            .server = &server,
            .server_port = 80,
            .host = host,
            .url = url,
            .method = method,
            .status = (uint16_t)strtoul(status, NULL, 10),
            .have_resp = status[0] != 0,
            .resp_size = strtoull(sz, NULL, 10),
            .req_size = line % 3,
            .ts = (ta_time_us)(line * 7 % 11),
            .flow_id = line,
        };
        ta__scripts_add(&s, &r, url[0] == 'E');
        if (s.c.n > OPTS.max_scripts)
            abort();
        line++;
    }
    int n = 0;
    if (ta__scripts_report(&s, check, &n) != TA_OK)
        abort();
    int again = 0;
    if (ta__scripts_report(&s, check, &again) != TA_OK || again != 0)
        abort();
    ta__scripts_release(&s);
    return 0;
}
