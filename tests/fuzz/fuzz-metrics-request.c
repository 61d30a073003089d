/*
 * Fuzz target: the metrics endpoint's request classifier (bytes a client
 * sent, as received so far). Checks that a complete request stays complete
 * and classified the same when more bytes follow it, and that an answer is
 * only given once the header's blank line is in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline-metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int head = 0, head2 = 0;
    enum ta__metrics_req r = ta__metrics_request((const char *)data, size, &head);
    if (r > TA_METRICS_REQ_BAD)
        abort();
    if (r == TA_METRICS_REQ_MORE || size < 2)
        return 0;
    bool blank = false;
    for (size_t i = 0; i + 1 < size && !blank; i++)
        blank = (data[i] == '\n' && data[i + 1] == '\n') ||
                (i + 3 < size && memcmp(data + i, "\r\n\r\n", 4) == 0);
    if (!blank && r != TA_METRICS_REQ_BAD)
        abort();
    if (blank && size > 1) {
        /* The same bytes followed by more: the header is the same header. */
        uint8_t *more = malloc(size + 8);
        if (more == NULL)
            return 0;
        memcpy(more, data, size);
        memcpy(more + size, "XXXXXXXX", 8);
        if (ta__metrics_request((const char *)more, size + 8, &head2) != r || head2 != head)
            abort();
        free(more);
    }
    return 0;
}
