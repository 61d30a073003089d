/*
 * Fuzz target: Suricata EVE lines (threatatlas/logsrc.h), with the
 * properties of fuzz-log-common.h, and the JSON tokenizer against jansson:
 * a line of ASCII it accepts, jansson accepts (but for \uD800-\uDFFF escapes:
 * a lone surrogate is read as U+FFFD where jansson refuses the line); a
 * small object jansson accepts, it accepts.
 */
#include <jansson.h>

#include "fuzz-log-common.h"
#include "sources/source-log-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lj g_lj;

static void differential(const char *s, size_t n)
{
    size_t opens = 0;
    bool ascii = true, surrogate = false;
    for (size_t i = 0; i < n; i++) {
        opens += s[i] == '[' || s[i] == '{';
        ascii = ascii && (unsigned char)s[i] < 0x80;
        surrogate = surrogate || (s[i] == '\\' && n - i > 2 && s[i + 1] == 'u' &&
                                  (s[i + 2] == 'd' || s[i + 2] == 'D'));
    }
    bool mine = ta__lj_parse(&g_lj, s, n);
    json_error_t e;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    /* Numbers beyond its range are jansson's limit, not a grammar difference. */
    bool range =
        v == NULL && (strstr(e.text, "too big") != NULL || strstr(e.text, "overflow") != NULL);
    bool theirs = v != NULL;
    json_decref(v);
    if (mine && ascii && !surrogate && !theirs && !range)
        abort();
    if (theirs && ascii && !mine && opens <= LJ_MAX_DEPTH && n < 2048)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t e = nl != NULL ? (size_t)(nl - data) : size;
        differential((const char *)data + i, e - i);
        i = e + 1;
    }
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.max_line = 4096;
    o.max_flows = 8; /* evictions too */
    fz_run(TA_INPUT_EVE, data, size, "eve.json", &o);
    return 0;
}
