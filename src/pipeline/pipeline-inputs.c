/*
 * The inputs of a run: each struct ta_pipeline_input resolved to a capture
 * (kept as a path for the packet sources) or an observation source, opened
 * before anything is written, and the observation sources run in order into
 * the engine's fan-out. See threatatlas/pipeline.h ("Inputs of several
 * kinds").
 */
#include "pipeline/pipeline-inputs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/banned.h"

ta_err ta__inputs_open(const struct ta_pipeline_opts *o, struct ta__inputs *in, char *errbuf,
                       size_t errlen, bool *usage)
{
    memset(in, 0, sizeof(*in));
    *usage = false;
    if (o->n_inputs > 0 && o->n_files > 0) {
        *usage = true;
        snprintf(errbuf, errlen, "%s: give inputs or files, not both", o->name);
        return TA_ERR_ARG;
    }
    size_t n = o->n_inputs > 0 ? o->n_inputs : o->n_files;
    in->files = calloc(n ? n : 1, sizeof(*in->files));
    in->hashed = calloc(n ? n : 1, sizeof(*in->hashed));
    in->obs = calloc(n ? n : 1, sizeof(*in->obs));
    if (in->files == NULL || in->hashed == NULL || in->obs == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory", o->name);
        return TA_ERR_NOMEM;
    }
    if (o->n_inputs == 0) {
        for (size_t i = 0; i < o->n_files; i++)
            in->files[in->n_files++] = in->hashed[in->n_hashed++] = o->files[i];
        return TA_OK;
    }
    for (size_t i = 0; i < o->n_inputs; i++) {
        const struct ta_pipeline_input *pi = &o->inputs[i];
        enum ta_input_kind k = pi->kind;
        bool addr = ta_obsrc_is_address(pi->where);
        if (addr && k != TA_INPUT_FLOWS && k != TA_INPUT_AUTO) {
            *usage = true;
            snprintf(errbuf, errlen,
                     "%s: %s: only flow exports are collected from an address (--input flows)",
                     o->name, pi->where);
            return TA_ERR_ARG;
        }
        if (addr)
            k = TA_INPUT_FLOWS;
        if (k == TA_INPUT_AUTO) {
            ta_err te = ta_input_kind_detect(pi->where, &k, errbuf, errlen);
            if (te != TA_OK)
                return te;
            /* Not sure of the kind: the capture reader says what is wrong with it. */
            if (k == TA_INPUT_AUTO)
                k = TA_INPUT_PCAP;
        }
        if (k == TA_INPUT_PCAP) {
            in->hashed[in->n_hashed++] = in->files[in->n_files++] = pi->where;
            continue;
        }
        ta_err te = ta_obsrc_open(k, pi->where, &o->obsrc, &in->obs[in->n_obs], errbuf, errlen);
        if (te != TA_OK) {
            *usage = te == TA_ERR_ARG || te == TA_ERR_UNSUPPORTED;
            return te;
        }
        if (!addr) {
            /* A directory of logs: each of its files is an input of the run's identity. */
            size_t nf = ta_obsrc_files(in->obs[in->n_obs], NULL, 0);
            const char **nh = realloc(in->hashed, (in->n_hashed + nf + n) * sizeof(*nh));
            if (nh == NULL) {
                ta_obsrc_close(in->obs[in->n_obs]);
                snprintf(errbuf, errlen, "%s: out of memory", o->name);
                return TA_ERR_NOMEM;
            }
            in->hashed = nh;
            in->n_hashed += ta_obsrc_files(in->obs[in->n_obs], in->hashed + in->n_hashed, nf);
        }
        if (addr && in->collector == NULL)
            in->collector = pi->where;
        /* One state per kind in a run: templates read from one file decode the next. */
        for (size_t j = 0; j < in->n_obs; j++)
            if (ta_obsrc_kind(in->obs[j]) == k) {
                ta_obsrc_share(in->obs[in->n_obs], in->obs[j]);
                break;
            }
        in->n_obs++;
    }
    return TA_OK;
}

/* The fan-out, noting the latest time of what passes. */
static void clock_flow(void *ud, const struct ta_flow *f)
{
    struct ta__inputs *in = ud;
    if (f->last > in->latest)
        in->latest = f->last;
    in->fan->on_flow(in->fan->ud, f);
}

static void clock_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct ta__inputs *in = ud;
    in->fan->on_record(in->fan->ud, f, type, rec);
}

ta_err ta__inputs_run(struct ta__inputs *in, struct ta_engine *e, volatile sig_atomic_t *stop,
                      void (*tick)(void *ud), void *tick_ud,
                      void (*notice)(void *ud, const char *text), char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < in->n_obs; i++) {
        if (*stop)
            return TA_ERR_INTERRUPTED;
        struct ta_obsrc *s = in->obs[i];
        in->running = s;
        ta_obsrc_set_engine(s, e);
        in->fan = ta_engine_fanout(e);
        struct ta_obs_sink clock = {in, clock_flow, clock_record};
        ta_err te =
            ta_obsrc_run(s, &clock, ta_obsrc_live(s) ? tick : NULL, tick_ud, errbuf, errlen);
        in->running = NULL;
        if (te == TA_ERR_TRUNCATED) {
            notice(tick_ud, errbuf);
            continue;
        }
        if (te != TA_OK)
            return te;
    }
    return TA_OK;
}

/* Append to buf (at *n of cap), keeping it terminated; false once full. */
static bool add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n >= cap - 1)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= cap - *n) {
        *n = cap - 1;
        return false;
    }
    *n += (size_t)k;
    return true;
}

void ta__inputs_describe(const struct ta__inputs *in, bool packets, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (packets)
        add(buf, cap, &n, "pcap");
    for (size_t i = 0; i < in->n_obs; i++) {
        const struct ta_obsrc *s = in->obs[i];
        const char *kind = ta_input_kind_name(ta_obsrc_kind(s));
        struct ta_obsrc_origin org[32];
        size_t no = ta_obsrc_origins(s, org, 32);
        struct ta_obsrc_stats st;
        ta_obsrc_get_stats(s, &st);
        if (no == 0 && st.records > 0)
            add(buf, cap, &n, "%s%s", n ? "; " : "", kind);
        for (size_t j = 0; j < no && j < 32; j++)
            if (org[j].records > 0 &&
                !add(buf, cap, &n, "%s%s: %s %s domain %u sampling 1 in %u", n ? "; " : "", kind,
                     org[j].format, org[j].exporter, (unsigned)org[j].domain,
                     (unsigned)(org[j].sampling ? org[j].sampling : 1)))
                return;
    }
}

void ta__inputs_stats_json(const struct ta__inputs *in, struct ta_json *j)
{
    if (in->n_obs == 0)
        return;
    ta_json_key(j, "inputs");
    ta_json_arr_open(j);
    for (size_t i = 0; i < in->n_obs; i++) {
        const struct ta_obsrc *s = in->obs[i];
        struct ta_obsrc_stats st;
        ta_obsrc_get_stats(s, &st);
        ta_json_obj_open(j);
        ta_json_kv_str(j, "kind", ta_input_kind_name(ta_obsrc_kind(s)));
        ta_json_kv_str(j, "name", ta_obsrc_name(s));
        ta_json_kv_uint(j, "datagrams", st.datagrams);
        ta_json_kv_uint(j, "observations", st.records);
        ta_json_kv_uint(j, "rejected", st.rejected);
        ta_json_kv_uint(j, "skipped", st.skipped);
        ta_json_kv_uint(j, "templates_expired", st.templates_expired);
        ta_json_kv_uint(j, "exporters_refused", st.exporters_refused);
        struct ta_obsrc_origin org[32];
        size_t no = ta_obsrc_origins(s, org, 32);
        ta_json_key(j, "origins");
        ta_json_arr_open(j);
        for (size_t k = 0; k < no && k < 32; k++) {
            ta_json_obj_open(j);
            ta_json_kv_str(j, "format", org[k].format);
            ta_json_kv_str(j, "exporter", org[k].exporter);
            ta_json_kv_uint(j, "domain", org[k].domain);
            ta_json_kv_uint(j, "sampling", org[k].sampling);
            ta_json_kv_uint(j, "records", org[k].records);
            ta_json_obj_close(j);
        }
        ta_json_arr_close(j);
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
}

void ta__inputs_stop(struct ta__inputs *in)
{
    /* Every source, not just the running one: a stop between two sources still holds. */
    for (size_t i = 0; i < in->n_obs; i++)
        ta_obsrc_stop(in->obs[i]);
}

void ta__inputs_release(struct ta__inputs *in)
{
    for (size_t i = 0; i < in->n_obs; i++)
        ta_obsrc_close(in->obs[i]);
    free(in->obs);
    free(in->files);
    free(in->hashed);
    memset(in, 0, sizeof(*in));
}
