/*
 * Fuzz target: an HTTP response stream after two pipelined requests (one
 * HEAD). The first 4 bytes choose the segment cuts.
 */
#include "fuzz-proto-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct ta_flow f;
    fz_flow(&f, 6, 80);
    static const char req[] =
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /h HTTP/1.1\r\nHost: a\r\n\r\n";
    uint32_t s0 = 1, s1 = 1;
    fz_tcp(&f, TA_DIR_TOSERVER, s0, 0x10, (const uint8_t *)req, sizeof(req) - 1);
    fz_split(&f, TA_DIR_TOCLIENT, &s1, data + 4, size - 4, data, 4);
    ta_proto_hooks()->flow_end(fz_proto(), &f, &fz_sink);
    return 0;
}
