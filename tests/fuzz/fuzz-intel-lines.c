/*
 * Fuzz target: the intel lines loaders. The first byte picks the format
 * (or auto-detection); the rest is the feed. Properties: fuzz-intel-props.h,
 * and every data line of a one-indicator-per-line format accounted for.
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
        TA_INTEL_FMT_AUTO,      TA_INTEL_FMT_PLAIN,        TA_INTEL_FMT_FEODO_LIST,
        TA_INTEL_FMT_OPENPHISH, TA_INTEL_FMT_MALTRAIL,     TA_INTEL_FMT_ZEEK,
        TA_INTEL_FMT_ET_RULES,  TA_INTEL_FMT_SPAMHAUS_DROP};
    if (size < 1)
        return 0;
    struct ta_intel_load_opts o = {.format = fmts[data[0] % (sizeof(fmts) / sizeof(fmts[0]))],
                                   .feed_time = 1700000000ull * 1000000ull,
                                   .have_kind = (data[0] & 0x80) != 0,
                                   .kind = TA_INTEL_KIND_C2,
                                   .misp_all = (data[0] & 0x40) != 0,
                                   .valid_days = 30,
                                   .file_name = "/trails/static/malware/x.txt"};
    /* Bits 3-5 of the first byte pick the file's place in a maltrail tree,
     * which decides the kinds (whitelist, suspicious, malicious families). */
    static const char *const paths[] = {
        "/trails/static/malware/x.txt",          "/mt/data/whitelist.txt",
        "/trails/static/suspicious/domain.txt",  "/trails/static/mass_scanner.txt",
        "/trails/static/malicious/ek_rig.txt",   "/trails/static/malicious/gophish.txt",
        "/trails/static/malicious/modxcore.txt", "/trails/static/malicious/x_tds.txt"};
    o.file_name = paths[(data[0] >> 3) & 7];
    o.allow_private = (data[0] & 0x40) != 0;
    struct ta_intel_load_result r;
    struct fi_state st = {.opts = &o};
    ta_err e = ta_intel_parse(data + 1, size - 1, &o, fi_sink, &st, &r);
    if (e == TA_ERR_ARG)
        return 0;
    fi_check_counts(&st, &r);
    /* One outcome per data line where a line holds one indicator. */
    enum ta_intel_format f = o.format;
    if (f == TA_INTEL_FMT_PLAIN || f == TA_INTEL_FMT_FEODO_LIST || f == TA_INTEL_FMT_OPENPHISH ||
        f == TA_INTEL_FMT_MALTRAIL || f == TA_INTEL_FMT_SPAMHAUS_DROP) {
        bool cut = f != TA_INTEL_FMT_OPENPHISH && f != TA_INTEL_FMT_SPAMHAUS_DROP;
        if (r.accepted + r.rejected + r.unsupported != fi_data_lines(data + 1, size - 1, cut, true))
            fi_fail("accepted + rejected + unsupported differ from the data lines", "");
    }
    return 0;
}
