/* Fuzz target: one DNS message (UDP), rendered to EVE. */
#include "fuzz-proto-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ta_flow f;
    fz_flow(&f, 17, 53);
    ta_proto_dns_message(fz_proto(), data, size, false, &f, TA_DIR_TOCLIENT, 0, &fz_sink);
    return 0;
}
