/*
 * threatatlas observe: read captures (or a live interface), decode, track
 * flows and write EVE JSON flow records plus one final stats record.
 *
 * Exit codes: 0 success (also after a truncated capture, which is a warning,
 * or a clean stop on SIGINT/SIGTERM), 1 an input/output error (missing or
 * unreadable file, not a capture, cannot write the output), 2 a usage error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/engine.h"
#include "threatatlas/eve-app.h"
#include "threatatlas/eve.h"
#include "threatatlas/proto.h"
#include "threatatlas/source.h"

#include "common/banned.h"

struct observe_cfg {
    struct ta_strlist read;
    const char *iface;
    const char *filter;
    const char *output;
    uint32_t max_flows;
    uint32_t tcp_new_timeout, tcp_est_timeout, tcp_closed_timeout, udp_timeout, other_timeout;
    uint32_t frag_timeout, max_frag_datagrams;
    uint32_t snaplen;
    bool progress;
    bool no_stats;
    bool http_headers;
};

#define OFF(f) offsetof(struct observe_cfg, f)
static const struct ta_opt observe_opts[] = {
    {"read", 'r', TA_OPT_STRLIST, OFF(read), NULL, 0, 0, "FILE",
     "capture to read: pcap or pcapng, optionally gzip-compressed; repeat to read several in "
     "order"},
    {"interface", 'i', TA_OPT_STR, OFF(iface), NULL, 0, 0, "IFACE",
     "capture live on this interface until SIGINT/SIGTERM"},
    {"filter", 'f', TA_OPT_STR, OFF(filter), NULL, 0, 0, "BPF", "BPF filter (tcpdump syntax)"},
    {"output", 'o', TA_OPT_STR, OFF(output), "-", 0, 0, "FILE", "EVE JSON output, - for stdout"},
    {"max-flows", 0, TA_OPT_U32, OFF(max_flows), "1000000", 1, 100000000, "N",
     "flows tracked at once; at the cap the least recently active flow is ended (reason forced)"},
    {"tcp-new-timeout", 0, TA_OPT_U32, OFF(tcp_new_timeout), "30", 1, 86400, "SEC",
     "idle timeout of TCP flows not yet established"},
    {"tcp-est-timeout", 0, TA_OPT_U32, OFF(tcp_est_timeout), "300", 1, 86400, "SEC",
     "idle timeout of established TCP flows"},
    {"tcp-closed-timeout", 0, TA_OPT_U32, OFF(tcp_closed_timeout), "10", 1, 86400, "SEC",
     "end-of-connection timeout after FIN both ways or RST"},
    {"udp-timeout", 0, TA_OPT_U32, OFF(udp_timeout), "60", 1, 86400, "SEC",
     "idle timeout of UDP flows"},
    {"other-timeout", 0, TA_OPT_U32, OFF(other_timeout), "30", 1, 86400, "SEC",
     "idle timeout of ICMP and other flows"},
    {"frag-timeout", 0, TA_OPT_U32, OFF(frag_timeout), "30", 1, 3600, "SEC",
     "drop IP datagrams not reassembled within this time"},
    {"max-frag-datagrams", 0, TA_OPT_U32, OFF(max_frag_datagrams), "1024", 1, 1000000, "N",
     "IP datagrams under reassembly at once"},
    {"snaplen", 0, TA_OPT_U32, OFF(snaplen), "262144", 64, 262144, "BYTES",
     "live capture: bytes kept per packet"},
    {"progress", 0, TA_OPT_FLAG, OFF(progress), NULL, 0, 0, NULL,
     "report progress on stderr every few seconds (default when stderr is a terminal)"},
    {"no-stats", 0, TA_OPT_FLAG, OFF(no_stats), NULL, 0, 0, NULL,
     "do not write the final stats record"},
    {"http-headers", 0, TA_OPT_FLAG, OFF(http_headers), NULL, 0, 0, NULL,
     "add request_headers and response_headers to http records"},
};

static const struct ta_cmd_spec observe_spec = {
    "observe",
    "observe -r FILE [-r FILE ...] | -i IFACE [-f FILTER] [-o OUT] [options]",
    "Decode captures or a live interface into Suricata EVE JSON: one \"flow\" record per\n"
    "flow, \"dns\", \"http\" and \"tls\" records from the application layer, then one\n"
    "\"stats\" record. Timestamps come from the packets.",
    observe_opts,
    sizeof(observe_opts) / sizeof(observe_opts[0]),
    "exit status: 0 success (a truncated capture is a warning), 1 input/output error,\n"
    "2 usage error.\n",
};

struct run_ctx {
    struct ta_engine *e;
    struct ta_cli_progress pg;
};

static void on_frame(void *ud, int lt, ta_time_us ts, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    struct run_ctx *c = ud;
    ta_engine_packet(c->e, lt, ts, frame, caplen, wirelen);
    double t;
    if (ta_cli_progress_due(&c->pg, &t)) {
        struct ta_engine_stats st;
        ta_engine_get_stats(c->e, &st);
        fprintf(stderr, "observe: %llu packets, %llu flows active, %.0f packets/s\n",
                (unsigned long long)st.packets, (unsigned long long)st.flows_active,
                t > 0 ? (double)st.packets / t : 0.0);
    }
}

static void stats_extra(struct ta_json *j, void *ud)
{
    ta_eve_proto_stats(j, ud);
}

static int exit_for(ta_err err)
{
    return err == TA_ERR_ARG ? 2 : 1;
}

int ta_cli_observe(int argc, char **argv)
{
    struct observe_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    int rc = ta_opts_parse(&observe_spec, argc, argv, &cfg);
    if (rc != 0) {
        ta_opts_release(&observe_spec, &cfg);
        return rc == 1 ? 0 : 2;
    }
    struct ta_cli_inputs in = {0};
    struct ta_engine *e = NULL;
    struct ta_eve_writer *w = NULL;
    struct ta_proto *proto = NULL;
    FILE *out = NULL;
    char err[TA_SOURCE_ERRLEN];
    ta_err te;

    struct ta_source_opts so;
    ta_source_opts_default(&so);
    so.bpf = cfg.filter;
    so.snaplen = cfg.snaplen;
    rc = ta_cli_inputs_open(&in, "observe", &cfg.read, cfg.iface, &so);
    if (rc != 0)
        goto out;

    struct ta_engine_opts eo;
    ta_engine_opts_default(&eo);
    eo.max_flows = cfg.max_flows;
    eo.tcp_new_timeout = cfg.tcp_new_timeout;
    eo.tcp_est_timeout = cfg.tcp_est_timeout;
    eo.tcp_closed_timeout = cfg.tcp_closed_timeout;
    eo.udp_timeout = cfg.udp_timeout;
    eo.other_timeout = cfg.other_timeout;
    eo.decode.frag_timeout_s = cfg.frag_timeout;
    eo.decode.max_frag_datagrams = cfg.max_frag_datagrams;
    te = ta_engine_new(&eo, &e);
    if (te != TA_OK) {
        ta_cli_error("observe: cannot create the engine: %s", ta_strerror(te));
        rc = 1;
        goto out;
    }

    if (strcmp(cfg.output, "-") == 0) {
        out = stdout;
    } else {
        out = fopen(cfg.output, "w");
        if (out == NULL) {
            ta_cli_error("cannot write %s: %s", cfg.output, strerror(errno));
            rc = 1;
            goto out;
        }
    }
    /*
     * Reading files, EVE lines go out in large blocks (stdio's default is the
     * 4 KiB block size, a write() every few records). A live capture or a
     * terminal keeps the default so records show up promptly.
     */
    static char outbuf[1u << 18];
    if (!cfg.iface && !isatty(fileno(out)))
        setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
    struct ta_eve_opts wo = {.in_iface = cfg.iface};
    if (ta_eve_writer_new(out, &wo, &w) != TA_OK) {
        ta_cli_error("observe: out of memory");
        rc = 1;
        goto out;
    }
    struct ta_obs_sink sink = ta_eve_writer_sink(w);
    struct ta_proto_opts po;
    ta_proto_opts_default(&po);
    po.http_keep_headers = cfg.http_headers;
    po.http_keep_bodies = false; /* no detector here reads bodies: none kept or inflated */
    te = ta_proto_new(&po, &proto);
    if (te != TA_OK) {
        ta_cli_error("observe: cannot create the app layer: %s", ta_strerror(te));
        rc = exit_for(te);
        goto out;
    }
    ta_engine_set_app_layer(e, ta_proto_hooks(), proto);
    ta_engine_add_sink(e, &sink);
    /* dns/http/tls records, written through the same writer. */
    struct ta_eve_app_out app = {w, cfg.http_headers};
    struct ta_obs_sink asink;
    memset(&asink, 0, sizeof(asink));
    ta_eve_app_sink(&app, &asink);
    ta_engine_add_sink(e, &asink);
    ta_eve_writer_set_stats_extra(w, stats_extra, proto);

    ta_cli_signals_install(false);

    struct run_ctx ctx = {.e = e};
    ta_cli_progress_start(&ctx.pg, cfg.progress || isatty(STDERR_FILENO), 2.0);
    struct ta_capture_stats cap = {0};
    for (size_t i = 0; i < in.n; i++) {
        te = ta_cli_run_source(in.src[i], on_frame, &ctx, err, sizeof(err));
        struct ta_source_stats ss;
        ta_source_get_stats(in.src[i], &ss);
        cap.kernel_drops += ss.kernel_drops;
        if (!cfg.iface)
            cap.files++;
        if (te == TA_ERR_TRUNCATED) {
            ta_cli_warn("%s; the packets before the damage were used", err);
            cap.truncated_files++;
        } else if (te == TA_ERR_INTERRUPTED) {
            break;
        } else if (te != TA_OK) {
            ta_cli_error("%s", err);
            rc = 1;
            break;
        }
    }
    ta_engine_flush(e);
    if (!cfg.no_stats)
        ta_eve_write_stats(w, e, &cap, ta_engine_now(e));
    if (fflush(out) != 0 || ta_eve_writer_error(w) != TA_OK) {
        ta_cli_error("cannot write %s: %s", strcmp(cfg.output, "-") ? cfg.output : "stdout",
                     ta_strerror(ta_eve_writer_error(w) ? ta_eve_writer_error(w) : TA_ERR_IO));
        rc = 1;
    }

out:
    ta_cli_signals_restore();
    ta_eve_writer_free(w);
    if (out != NULL && out != stdout && fclose(out) != 0 && rc == 0) {
        ta_cli_error("cannot write %s", cfg.output);
        rc = 1;
    }
    ta_engine_free(e);
    ta_proto_free(proto);
    ta_cli_inputs_close(&in);
    ta_opts_release(&observe_spec, &cfg);
    return rc;
}
