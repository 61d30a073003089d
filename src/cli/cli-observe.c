/*
 * threatatlas observe: read captures (or a live interface), decode, track
 * flows and write EVE JSON flow records plus one final stats record.
 *
 * Exit codes: 0 success (also after a truncated capture, which is a warning,
 * or a clean stop on SIGINT/SIGTERM), 1 an input/output error (missing or
 * unreadable file, not a capture, cannot write the output), 2 a usage error.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/pipeline.h"

#include "common/banned.h"

struct observe_cfg {
    struct ta_cli_read_cfg rd;
    const char *iface;
    const char *output;
    uint32_t tcp_new_timeout, tcp_est_timeout, tcp_closed_timeout, udp_timeout, other_timeout;
    uint32_t frag_timeout, max_frag_datagrams;
    uint32_t snaplen;
    bool progress;
    bool no_stats;
    bool http_headers;
    bool eve_extension;
};

#define OFF(f) offsetof(struct observe_cfg, f)
static const struct ta_opt observe_opts[] = {
    TA_CLI_INPUT_OPTS(OFF(rd)),
    {"interface", 'i', TA_OPT_STR, OFF(iface), NULL, 0, 0, "IFACE",
     "capture live on this interface until SIGINT/SIGTERM; SIGHUP reopens -o"},
    TA_CLI_FILTER_OPTS(OFF(rd)),
    {"output", 'o', TA_OPT_STR, OFF(output), "-", 0, 0, "FILE", "EVE JSON output, - for stdout"},
    TA_CLI_THREAD_OPTS(OFF(rd)),
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
    TA_CLI_MEMCAP_OPTS(OFF(rd)),
    {"progress", 0, TA_OPT_FLAG, OFF(progress), NULL, 0, 0, NULL,
     "report progress on stderr every few seconds (default when stderr is a terminal)"},
    {"no-stats", 0, TA_OPT_FLAG, OFF(no_stats), NULL, 0, 0, NULL,
     "do not write the final stats record"},
    {"http-headers", 0, TA_OPT_FLAG, OFF(http_headers), NULL, 0, 0, NULL,
     "add request_headers and response_headers to http records"},
    {"eve-extension", 0, TA_OPT_FLAG, OFF(eve_extension), NULL, 0, 0, NULL,
     "write the stats record as earlier releases did, every counter under threatatlas's own "
     "names (not valid against Suricata's EVE schema)"},
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

struct hooks_ctx {
    struct ta_cli_progress pg;
};

static void on_notice(void *ud, const struct ta_pipeline_notice *n)
{
    (void)ud;
    if (n->kind == TA_PIPELINE_NOTE_TRUNCATED)
        ta_cli_warn("%s; the packets before the damage were used", n->text);
    else if (n->kind == TA_PIPELINE_NOTE_ERROR)
        ta_cli_error("%s", n->text);
    else if (n->kind == TA_PIPELINE_NOTE_REOPENED)
        fprintf(stderr, "observe: reopened %s\n", n->text);
    else if (n->kind == TA_PIPELINE_NOTE_FALLBACK)
        ta_cli_warn("%s", n->text);
    else if (n->kind == TA_PIPELINE_NOTE_AFPACKET)
        fprintf(stderr,
                "observe: capturing on %s through AF_PACKET, %llu sockets in a fanout "
                "group\n",
                n->text, (unsigned long long)n->count);
}

static void on_progress(void *ud, const struct ta_pipeline_progress *pr)
{
    struct hooks_ctx *c = ud;
    double t;
    if (ta__cli_progress_check(&c->pg, &t))
        fprintf(stderr, "observe: %llu packets, %llu flows active, %.0f packets/s\n",
                (unsigned long long)pr->packets, (unsigned long long)pr->flows_active,
                t > 0 ? (double)pr->packets / t : 0.0);
}

static int exit_for(const struct ta_pipeline_error *err)
{
    return err->usage ? 2 : 1;
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
    struct ta_pipeline_opts po;
    ta_pipeline_opts_default(&po);
    po.mode = TA_PIPELINE_OBSERVE;
    po.name = "observe";
    struct ta_pipeline_input *inputs = NULL;
    if ((rc = ta_cli_read_apply("observe", &cfg.rd, &po, &inputs)) != 0) {
        free(inputs);
        ta_opts_release(&observe_spec, &cfg);
        return rc;
    }
    po.iface = cfg.iface;
    po.source.snaplen = cfg.snaplen;
    po.engine.tcp_new_timeout = cfg.tcp_new_timeout;
    po.engine.tcp_est_timeout = cfg.tcp_est_timeout;
    po.engine.tcp_closed_timeout = cfg.tcp_closed_timeout;
    po.engine.udp_timeout = cfg.udp_timeout;
    po.engine.other_timeout = cfg.other_timeout;
    po.engine.decode.frag_timeout_s = cfg.frag_timeout;
    po.engine.decode.max_frag_datagrams = cfg.max_frag_datagrams;
    po.proto.http_keep_headers = cfg.http_headers;
    po.proto.http_keep_bodies = false; /* no detector here reads bodies: none kept or inflated */
    po.output = cfg.output;
    po.no_stats = cfg.no_stats;
    po.eve_extension = cfg.eve_extension;

    struct hooks_ctx hc;
    memset(&hc, 0, sizeof(hc));
    bool progress = cfg.progress || isatty(STDERR_FILENO);
    struct ta_pipeline_hooks h = {&hc, on_notice, progress ? on_progress : NULL};
    struct ta_pipeline *p = NULL;
    struct ta_pipeline_error err;
    if (cfg.iface != NULL)
        ta_cli_signals_hup_early();
    if (ta_pipeline_open(&po, &h, &p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = exit_for(&err);
        goto out;
    }
    /* Live: SIGHUP reopens -o (logrotate moved it away). */
    ta_cli_signals_install(p, cfg.iface != NULL);
    ta_cli_progress_start(&hc.pg, progress, 2.0);
    if (ta_pipeline_run(p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = 1;
    }
    if (ta_pipeline_finish(p, &err) != TA_OK) {
        ta_cli_error("%s", err.msg);
        rc = 1;
    }

out:
    ta_cli_signals_restore();
    ta_pipeline_free(p);
    free(inputs);
    ta_opts_release(&observe_spec, &cfg);
    return rc;
}
