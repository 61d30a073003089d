/*
 * Fuzz target: Zeek log lines, TSV with headers or JSON (threatatlas/logsrc.h),
 * with the properties of fuzz-log-common.h. The first byte picks the file
 * name the type is taken from when the log does not say it.
 */
#include "fuzz-log-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"conn.log",
                                        "dns.log",
                                        "http.log",
                                        "ssl.log",
                                        "x509.log",
                                        "weird.log",
                                        "dns.04:00:00-05:00:00.log.gz",
                                        "x"};
    const char *name = names[size > 0 ? data[0] % 8 : 0];
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.max_line = 4096;
    o.max_flows = 8;
    o.max_certs = 4;
    fz_run(TA_INPUT_ZEEK, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0, name, &o);
    return 0;
}
