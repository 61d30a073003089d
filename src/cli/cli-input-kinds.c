/*
 * The inputs of observe and analyze from the command line: -r FILE and
 * --collect udp://ADDR:PORT in the order given, each of the kind the last
 * --input KIND before it named (auto, sniffed from the file, when none did).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "threatatlas/pipeline.h"

#include "common/banned.h"

int ta_cli_inputs_build(const char *cmd, const struct ta_argseq *q, struct ta_pipeline_input **out,
                        size_t *n)
{
    *out = NULL;
    *n = 0;
    if (q->n == 0)
        return 0;
    struct ta_pipeline_input *v = calloc(q->n, sizeof(*v));
    if (v == NULL) {
        ta_cli_error("%s: out of memory", cmd);
        return 1;
    }
    enum ta_input_kind kind = TA_INPUT_AUTO;
    bool kind_used = true;
    size_t k = 0;
    for (size_t i = 0; i < q->n; i++) {
        const struct ta_argseq_item *it = &q->v[i];
        if (strcmp(it->opt, "input") == 0) {
            if (!ta_input_kind_parse(it->val, &kind)) {
                ta_cli_error("%s: --input: unknown kind '%s' (auto, pcap, flows, eve, zeek, "
                             "access-log)",
                             cmd, it->val);
                goto usage;
            }
            kind_used = false;
            continue;
        }
        if (strcmp(it->opt, "collect") == 0) {
            if (!ta_obsrc_is_address(it->val)) {
                ta_cli_error("%s: --collect: '%s' is not udp://ADDR:PORT", cmd, it->val);
                goto usage;
            }
            if (kind != TA_INPUT_AUTO && kind != TA_INPUT_FLOWS) {
                ta_cli_error("%s: --collect receives flow exports, not --input %s", cmd,
                             ta_input_kind_name(kind));
                goto usage;
            }
            v[k++] = (struct ta_pipeline_input){TA_INPUT_FLOWS, it->val};
        } else {
            v[k++] = (struct ta_pipeline_input){kind, it->val};
        }
        kind_used = true;
    }
    if (!kind_used) {
        ta_cli_error("%s: --input %s names the kind of the inputs after it (-r FILE, --collect "
                     "ADDR); none follows",
                     cmd, ta_input_kind_name(kind));
        goto usage;
    }
    *out = v;
    *n = k;
    return 0;
usage:
    free(v);
    return 2;
}

void ta_cli_print_obsrc(FILE *f, const char *cmd, const struct ta_pipeline *p)
{
    for (size_t i = 0; i < ta_pipeline_obsrc_count(p); i++) {
        const struct ta_obsrc *s = ta_pipeline_obsrc(p, i);
        struct ta_obsrc_stats st;
        ta_obsrc_get_stats(s, &st);
        struct ta_obsrc_origin org[16];
        size_t n = ta_obsrc_origins(s, org, 16);
        /* A source that shares another's state reports nothing of its own. */
        if (st.datagrams == 0 && n == 0)
            continue;
        char line[2048];
        int k;
        if (ta_obsrc_kind(s) != TA_INPUT_FLOWS) {
            /* Logs: lines, and no exporter or sampling to name. */
            ta_cli_line(
                f, "%s: %s input %s: %llu lines, %llu observations, %llu rejected, %llu skipped",
                cmd, ta_input_kind_name(ta_obsrc_kind(s)), ta_obsrc_name(s),
                (unsigned long long)st.datagrams, (unsigned long long)st.records,
                (unsigned long long)st.rejected, (unsigned long long)st.skipped);
            continue;
        }
        k = snprintf(line, sizeof(line),
                     "%s: %s input %s: %llu datagrams, %llu observations, %llu rejected, "
                     "%llu skipped, %llu templates expired, %llu exporters refused",
                     cmd, ta_input_kind_name(ta_obsrc_kind(s)), ta_obsrc_name(s),
                     (unsigned long long)st.datagrams, (unsigned long long)st.records,
                     (unsigned long long)st.rejected, (unsigned long long)st.skipped,
                     (unsigned long long)st.templates_expired,
                     (unsigned long long)st.exporters_refused);
        for (size_t j = 0; j < n && j < 16 && k > 0 && (size_t)k < sizeof(line); j++)
            k += snprintf(line + k, sizeof(line) - (size_t)k,
                          "%s %s %s domain %u sampling 1 in %u: %llu", j ? ";" : "; from",
                          org[j].format, org[j].exporter, (unsigned)org[j].domain,
                          (unsigned)(org[j].sampling ? org[j].sampling : 1),
                          (unsigned long long)org[j].records);
        if (n > 16 && k > 0 && (size_t)k < sizeof(line))
            snprintf(line + k, sizeof(line) - (size_t)k, "; and %zu more exporters", n - 16);
        ta_cli_line(f, "%s", line);
    }
}

int ta_cli_read_apply(const char *cmd, const struct ta_cli_read_cfg *c, struct ta_pipeline_opts *po,
                      struct ta_pipeline_input **inputs)
{
    size_t n = 0;
    int rc = ta_cli_inputs_build(cmd, &c->inputs, inputs, &n);
    if (rc != 0)
        return rc;
    po->inputs = *inputs;
    po->n_inputs = n;
    po->source.bpf = c->filter;
    po->obsrc.access_format = c->log_format;
    po->obsrc.access_server = c->log_server;
    po->threads = c->threads;
    if (!ta_capture_kind_parse(c->capture, &po->capture)) {
        ta_cli_error("%s: --capture must be auto, pcap or afpacket, not '%s'", cmd, c->capture);
        return 2;
    }
    po->afpacket.block_count = c->ring_blocks;
    po->afpacket.block_size = (uint32_t)c->ring_block_size; /* bounded by the option table */
    po->engine.max_flows = c->max_flows;
    po->proto.stream_global_memcap = c->stream_memcap;
    po->proto.app_memcap = c->app_memcap;
    return 0;
}
