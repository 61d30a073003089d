/*
 * Fuzz target: an HTTP request stream. The first 4 bytes choose where the
 * stream is cut into segments; a fixed response follows, then flow end.
 */
#include "fuzz-proto-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct ta_flow f;
    fz_flow(&f, 6, 80);
    uint32_t s0 = 1, s1 = 1;
    fz_split(&f, TA_DIR_TOSERVER, &s0, data + 4, size - 4, data, 4);
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    fz_tcp(&f, TA_DIR_TOCLIENT, s1, 0x10, (const uint8_t *)resp, sizeof(resp) - 1);
    ta_proto_hooks()->flow_end(fz_proto(), &f, &fz_sink);
    return 0;
}
