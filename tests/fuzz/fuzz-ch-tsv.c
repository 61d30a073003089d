/*
 * Fuzz target: the ClickHouse store's reading of TabSeparated answers
 * (store/store-ch-int.h), which come from the network. Every field lies in
 * the buffer and is no longer than its raw bytes, the reader always ends,
 * and quoting any field for SQL gives a literal with no byte outside
 * printable ASCII and no unescaped quote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-ch-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *p = buf, *end = buf + size;
    struct ta__ch_field f[8];
    size_t rows = 0;
    for (;;) {
        char *before = p;
        size_t n = ta__ch_tsv_row(&p, end, f, 8);
        if (n == 0)
            break;
        if (p <= before || p > end || ++rows > size + 1)
            abort();
        for (size_t i = 0; i < n && i < 8; i++) {
            if (f[i].p < buf || f[i].p + f[i].len > end || f[i].p[f[i].len] != '\0')
                abort();
            struct ta__ch_buf q = {0};
            if (!ta__ch_quote(&q, f[i].p, f[i].len))
                abort();
            if (q.len < 2 || q.p[0] != '\'' || q.p[q.len - 1] != '\'')
                abort();
            for (size_t k = 1; k + 1 < q.len; k++) {
                unsigned char c = (unsigned char)q.p[k];
                if (c < 0x20 || c >= 0x7f)
                    abort();
                if (c == '\\') {
                    k++; /* the escaped byte */
                    continue;
                }
                if (c == '\'')
                    abort();
            }
            ta__ch_buf_free(&q);
        }
    }
    free(buf);
    return 0;
}
