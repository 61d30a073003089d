/*
 * Fuzz target: TLS. Byte 0 says how much of the rest is the client's
 * stream (in 1/256ths); the remainder is the server's. Bytes 1..3 choose
 * segment cuts.
 */
#include "fuzz-proto-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const uint8_t *d = data + 4;
    size_t n = size - 4;
    size_t k = n * data[0] / 256;
    struct ta_flow f;
    fz_flow(&f, 6, 443);
    uint32_t s0 = 1, s1 = 1;
    fz_split(&f, TA_DIR_TOSERVER, &s0, d, k, data + 1, 2);
    fz_split(&f, TA_DIR_TOCLIENT, &s1, d + k, n - k, data + 3, 1);
    ta_proto_hooks()->flow_end(fz_proto(), &f, &fz_sink);
    return 0;
}
