/*
 * Fuzz target: the intel lines loaders. The first byte picks the format
 * (or auto-detection); the rest is the feed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "threatatlas/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ta_err sink(void *user, const struct ta_intel_indicator *ind)
{
    /* Touch every field so sanitizers see bad pointers. */
    size_t *n = user;
    *n += strlen(ind->value) + strlen(ind->source) + (ind->family ? strlen(ind->family) : 0) +
          (ind->brand ? strlen(ind->brand) : 0) + (ind->country ? strlen(ind->country) : 0);
    return TA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ta_intel_format fmts[] = {
        TA_INTEL_FMT_AUTO,     TA_INTEL_FMT_PLAIN, TA_INTEL_FMT_FEODO_LIST, TA_INTEL_FMT_OPENPHISH,
        TA_INTEL_FMT_MALTRAIL, TA_INTEL_FMT_ZEEK,  TA_INTEL_FMT_ET_RULES};
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
    struct ta_intel_load_result r;
    size_t n = 0;
    (void)ta_intel_parse(data + 1, size - 1, &o, sink, &n, &r);
    return 0;
}
