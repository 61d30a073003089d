/*
 * proto-observe: the app layer without flow records (bench/proto.sh, and a
 * cross-check in the proto integration test): reads captures through the
 * library's sources and engine with the proto hooks registered, writes only
 * dns/http/tls EVE lines to stdout (or nothing with -q) and the proto
 * counters to stderr. Flows end with their file.
 *
 *   proto-observe [-q] [-H] [-B bytes] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/engine.h"
#include "threatatlas/eve-app.h"
#include "threatatlas/eve.h"
#include "threatatlas/proto.h"
#include "threatatlas/source.h"

#include "common/banned.h"

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    ta_engine_packet(ud, lt, ts, frame, caplen, wirelen);
}

int main(int argc, char **argv)
{
    bool quiet = false, headers = false;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quiet = true;
        else if (strcmp(argv[i], "-H") == 0)
            headers = true;
        else if (strcmp(argv[i], "-B") == 0 && i + 1 < argc)
            o.http_body_limit = (uint32_t)strtoul(argv[++i], NULL, 10);
    }
    if (i >= argc) {
        fprintf(stderr, "usage: proto-observe [-q] [-H] [-B bytes] FILE... (see bench/proto.sh)\n");
        return 77;
    }
    o.http_keep_headers = headers;
    struct ta_proto *pr;
    if (ta_proto_new(&o, &pr) != TA_OK)
        return 2;
    struct ta_eve_writer *w;
    if (ta_eve_writer_new(stdout, NULL, &w) != TA_OK)
        return 2;
    struct ta_eve_app_out eo = {.w = w, .http_headers = headers};
    struct ta_obs_sink sink;
    memset(&sink, 0, sizeof(sink));
    if (!quiet)
        ta_eve_app_sink(&eo, &sink);
    struct ta_engine_opts eopts;
    ta_engine_opts_default(&eopts);
    struct ta_engine *e;
    if (ta_engine_new(&eopts, &e) != TA_OK || ta_engine_add_sink(e, &sink) != TA_OK)
        return 2;
    ta_engine_set_app_layer(e, ta_proto_hooks(), pr);
    struct ta_source_opts so;
    ta_source_opts_default(&so);
    int rc = 0;
    for (; i < argc; i++) {
        char err[512];
        struct ta_source *src;
        if (ta_source_open_file(argv[i], &so, &src, err, sizeof(err)) != TA_OK) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
            continue;
        }
        ta_err te = ta_source_run(src, on_frame, e, err, sizeof(err));
        if (te != TA_OK && te != TA_ERR_TRUNCATED) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
        }
        ta_source_close(src);
        ta_engine_flush(e);
    }
    fflush(stdout);
    struct ta_engine_stats st;
    ta_engine_get_stats(e, &st);
    fprintf(stderr, "packets %llu\n", (unsigned long long)st.packets);
    for (size_t c = 0; c < ta_proto_counter_count(); c++)
        if (ta_proto_counter(pr, c))
            fprintf(stderr, "%s %llu\n", ta_proto_counter_name(c),
                    (unsigned long long)ta_proto_counter(pr, c));
    ta_engine_free(e);
    ta_eve_writer_free(w);
    ta_proto_free(pr);
    return rc;
}
