/*
 * The inputs of a run, internal to the pipeline: struct ta_pipeline_input
 * resolved into capture files (read through the engine) and observation
 * sources (threatatlas/obsrc.h), opened before anything is written.
 */
#ifndef TA_PIPELINE_INPUTS_H
#define TA_PIPELINE_INPUTS_H

#include "threatatlas/pipeline.h"

struct ta__inputs {
    const char **files; /* captures, in order (borrowed strings) */
    size_t n_files;
    const char **hashed; /* every file input, for the store's run identity */
    size_t n_hashed;
    struct ta_obsrc **obs; /* observation sources, in order */
    size_t n_obs;
    const char *collector; /* the first collector address, NULL: none (not live) */
    struct ta_obsrc *volatile running;
    /* The latest observation time the sources gave (the end of a flow they
     * made): the run's clock where no packet moved the engine's. */
    ta_time_us latest;
    const struct ta_obs_sink *fan; /* the engine's fan-out, while running */
};

/*
 * Resolve o's inputs (o->inputs, else o->files as captures) into in. On an
 * error errbuf holds one line, and *usage says whether the options were
 * wrong; in is left for ta__inputs_release either way.
 */
ta_err ta__inputs_open(const struct ta_pipeline_opts *o, struct ta__inputs *in, char *errbuf,
                       size_t errlen, bool *usage);
/*
 * Run every observation source in order into e's fan-out (and the packets
 * some carry into e). notice(ud, text) is called
 * for what does not end the run (a damaged file). Returns the first error
 * that ends it (errbuf says it), TA_ERR_INTERRUPTED after a stop, or TA_OK.
 */
ta_err ta__inputs_run(struct ta__inputs *in, struct ta_engine *e, volatile sig_atomic_t *stop,
                      void (*tick)(void *ud), void *tick_ud,
                      void (*notice)(void *ud, const char *text), char *errbuf, size_t errlen);
/*
 * What contributed, for the store's run: "pcap" when captures or an interface were read,
 * then per observation source its kind and each origin with its sampling rate
 * ("flows: netflow9 192.0.2.1 domain 0 sampling 1 in 1000"), entries separated by "; ",
 * cut at cap.
 */
void ta__inputs_describe(const struct ta__inputs *in, bool packets, char *buf, size_t cap);
/*
 * The observation sources' counts for the stats record (its extension): "inputs": one
 * object per source with kind, name, datagrams, observations, rejected, skipped,
 * templates_expired, exporters_refused and "origins" (format, exporter, domain, sampling,
 * records). Nothing without observation sources.
 */
struct ta_json;
void ta__inputs_stats_json(const struct ta__inputs *in, struct ta_json *j);
/* Async-signal-safe. */
void ta__inputs_stop(struct ta__inputs *in);
void ta__inputs_release(struct ta__inputs *in);

#endif
