/*
 * Fuzz target: web-server access-log lines (threatatlas/logsrc.h) with the
 * properties of fuzz-log-common.h. The first byte picks the format: auto
 * (combined, common, IIS by #Fields), or an nginx log_format with a host,
 * ports and an ISO time.
 */
#include "fuzz-log-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const formats[] = {
        NULL,
        "$host $server_addr:$server_port $remote_addr:$remote_port [$time_iso8601] "
        "\"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"",
        "$msec $remote_addr $request_method $request_uri $status $bytes_sent",
        "common",
    };
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.max_line = 4096;
    o.access_format = formats[size > 0 ? data[0] % 4 : 0];
    fz_run(TA_INPUT_ACCESS_LOG, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0, "access.log",
           &o);
    return 0;
}
