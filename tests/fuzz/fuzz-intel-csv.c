/*
 * Fuzz target: the intel csv loaders. The first byte picks the format
 * (or auto-detection); the rest is the feed. Properties: fuzz-intel-props.h,
 * and never more outcomes than lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "threatatlas/intel.h"

#include "fuzz-intel-props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ta_intel_format fmts[] = {
        TA_INTEL_FMT_AUTO,          TA_INTEL_FMT_FEODO_CSV,     TA_INTEL_FMT_URLHAUS_CSV,
        TA_INTEL_FMT_THREATFOX_CSV, TA_INTEL_FMT_OPENPHISH_CSV, TA_INTEL_FMT_PHISHTANK_CSV,
        TA_INTEL_FMT_IPREP,         TA_INTEL_FMT_MALTRAIL_CSV,  TA_INTEL_FMT_BAMBENEK,
        TA_INTEL_FMT_SSLBL_JA3,     TA_INTEL_FMT_SSLBL_CERT};
    if (size < 1)
        return 0;
    struct ta_intel_load_opts o = {.format = fmts[data[0] % (sizeof(fmts) / sizeof(fmts[0]))],
                                   .feed_time = 1700000000ull * 1000000ull,
                                   .have_kind = (data[0] & 0x80) != 0,
                                   .kind = TA_INTEL_KIND_C2,
                                   .misp_all = (data[0] & 0x40) != 0,
                                   .valid_days = 30,
                                   .file_name = "/trails/static/malware/x.txt"};
    o.allow_private = (data[0] & 0x40) != 0;
    struct ta_intel_load_result r;
    struct fi_state st = {.opts = &o};
    ta_err e = ta_intel_parse(data + 1, size - 1, &o, fi_sink, &st, &r);
    if (e == TA_ERR_ARG)
        return 0;
    fi_check_counts(&st, &r);
    /* At most one outcome per line that is not a comment, and one more for a
     * header row without the indicator column. */
    if (o.format != TA_INTEL_FMT_AUTO && r.accepted + r.rejected + r.unsupported + r.skipped >
                                             fi_data_lines(data + 1, size - 1, false, false) + 1)
        fi_fail("more outcomes than lines", "");
    return 0;
}
