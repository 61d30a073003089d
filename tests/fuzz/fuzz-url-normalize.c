/*
 * Fuzz target: URL normalisation and value canonicalisation. Checks that
 * normalising is idempotent (normalising the output gives the output).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[TA_INTEL_URL_MAX + 64], again[TA_INTEL_URL_MAX + 64];
    size_t n, n2;
    if (ta_intel_url_normalize((const char *)data, size, out, sizeof(out), &n)) {
        if (strlen(out) != n)
            abort();
        if (!ta_intel_url_normalize(out, n, again, sizeof(again), &n2) || n2 != n ||
            memcmp(out, again, n) != 0)
            abort();
    }
    enum ta_intel_type t = TA_INTEL_TYPE__COUNT;
    (void)ta_intel_value_canon((const char *)data, size, &t, out, sizeof(out), NULL);
    return 0;
}
