/*
 * Fuzz target: the intel json loaders (feeds, MISP events and REST answers,
 * STIX bundles, OpenPhish JSON lines, MISP warninglists, top-sites).
 * The first byte picks the format (or auto-detection) and the file name; the
 * rest is the feed. Every indicator and the counts are checked against the
 * loader properties of fuzz-intel-props.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "threatatlas/intel.h"

#include "fuzz-intel-props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ta_intel_format fmts[] = {TA_INTEL_FMT_AUTO,
                                                TA_INTEL_FMT_FEODO_JSON,
                                                TA_INTEL_FMT_THREATFOX_JSON,
                                                TA_INTEL_FMT_PHISHTANK_JSON,
                                                TA_INTEL_FMT_STIX2,
                                                TA_INTEL_FMT_MISP,
                                                TA_INTEL_FMT_MISP_WARNINGLIST,
                                                TA_INTEL_FMT_TOP_SITES};
    if (size < 1)
        return 0;
    struct ta_intel_load_opts o = {.format = fmts[data[0] % (sizeof(fmts) / sizeof(fmts[0]))],
                                   .feed_time = 1700000000ull * 1000000ull,
                                   .have_kind = (data[0] & 0x80) != 0,
                                   .kind = TA_INTEL_KIND_C2,
                                   .misp_all = (data[0] & 0x40) != 0,
                                   .valid_days = 30,
                                   .file_name = "/trails/static/malware/x.txt"};
    /* Bit 3 (free in the older seeds): OpenPhish JSON lines. */
    if (data[0] & 0x08)
        o.format = TA_INTEL_FMT_OPENPHISH_JSON;
    /* A warninglist's folder names it, and some names are skipped lists. */
    if (data[0] & 0x20)
        o.file_name = (data[0] & 0x10) ? "/l/lists/amazon-aws/list.json" : "/l/lists/x/list.json";
    struct ta_intel_load_result r;
    struct fi_state st = {.opts = &o};
    ta_err e = ta_intel_parse(data + 1, size - 1, &o, fi_sink, &st, &r);
    /* A document refused as a whole emits nothing; otherwise the counts add up. */
    if (e == TA_ERR_FORMAT && st.emitted != 0)
        fi_fail("indicators emitted from a refused document", "");
    if (e == TA_OK)
        fi_check_counts(&st, &r);
    return 0;
}
