/*
 * Shared by the log-source fuzz targets (eve, zeek, access-log): the input
 * is split into lines and fed to a reader whose sink renders every flow and
 * record to EVE (so the writers see what the readers make).
 *
 * Properties checked (abort = a finding): every line is counted exactly
 * once (a header, ignored, rejected, or the observation it made); every
 * string handed over is NUL-terminated at its length; the rendered EVE
 * reads back (--input eve) to the very same text.
 */
#ifndef TA_FUZZ_LOG_COMMON_H
#define TA_FUZZ_LOG_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/eve-app.h"
#include "threatatlas/eve.h"
#include "threatatlas/logsrc.h"
#include "threatatlas/proto.h"

static void fz_str(struct ta_str s)
{
    if (s.ptr != NULL && s.ptr[s.len] != 0)
        abort();
}

struct fz_out {
    struct ta_obs_sink eve, app;
    struct ta_eve_app_out ao;
    struct ta_eve_writer *w;
    FILE *f;
    char *buf;
    size_t len;
};

static void fz_on_flow(void *ud, const struct ta_flow *f)
{
    struct fz_out *o = ud;
    o->eve.on_flow(o->eve.ud, f);
}

static void fz_on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct fz_out *o = ud;
    if (type == TA_REC_HTTP) {
        const struct ta_http_tx *tx = rec;
        fz_str(tx->method);
        fz_str(tx->url);
        fz_str(tx->hostname);
        fz_str(tx->user_agent);
        fz_str(tx->referer);
        fz_str(tx->protocol);
        for (uint32_t i = 0; i < tx->n_req_headers; i++) {
            fz_str(tx->req_headers[i].name);
            fz_str(tx->req_headers[i].value);
        }
    } else if (type == TA_REC_DNS) {
        const struct ta_dns_record *r = rec;
        for (uint32_t i = 0; i < r->n_queries; i++)
            fz_str(r->queries[i].rrname);
        for (uint32_t i = 0; i < r->n_answers; i++) {
            fz_str(r->answers[i].rrname);
            fz_str(r->answers[i].rdata);
        }
    } else if (type == TA_REC_TLS) {
        const struct ta_tls_record *t = rec;
        fz_str(t->sni);
        fz_str(t->subject);
        fz_str(t->fingerprint);
    }
    o->app.on_record(o->app.ud, f, type, rec);
}

static bool fz_out_open(struct fz_out *o)
{
    memset(o, 0, sizeof(*o));
    o->f = open_memstream(&o->buf, &o->len);
    if (o->f == NULL || ta_eve_writer_new(o->f, NULL, &o->w) != TA_OK)
        return false;
    o->eve = ta_eve_writer_sink(o->w);
    o->ao.w = o->w;
    o->ao.http_headers = true;
    ta_eve_app_sink(&o->ao, &o->app);
    return true;
}

static void fz_out_close(struct fz_out *o)
{
    ta_eve_writer_free(o->w);
    if (o->f != NULL)
        fclose(o->f);
    free(o->buf);
}

/* Feed data as lines (a name first: "name\n" when with_name); returns the reader's stats. */
static struct ta_logsrc_stats fz_feed(struct ta_logsrc *ls, const uint8_t *data, size_t size,
                                      const char *name)
{
    ta_logsrc_begin(ls, name);
    size_t i = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t e = nl != NULL ? (size_t)(nl - data) : size;
        ta_logsrc_line(ls, (const char *)data + i, e - i);
        i = e + 1;
    }
    ta_logsrc_finish(ls);
    struct ta_logsrc_stats st;
    ta_logsrc_get_stats(ls, &st);
    return st;
}

/*
 * The rendered EVE read back as EVE renders the same text (a fixed point).
 * The writer turns bytes that are not UTF-8 into \u00XX, which read back as
 * characters: the first rendering may differ from the second, never the
 * second from the third.
 */
static void fz_fixpoint(const char *text, size_t len, int round)
{
    struct fz_out o;
    struct ta_logsrc *ls = NULL;
    char err[256];
    struct ta_obs_sink sink = {0};
    if (!fz_out_open(&o))
        goto out;
    sink.ud = &o;
    sink.on_flow = fz_on_flow;
    sink.on_record = fz_on_record;
    /* Lines are never longer than the input: a small cap keeps the reader cheap. */
    struct ta_logsrc_opts lo;
    ta_logsrc_opts_default(&lo);
    lo.max_line = (uint32_t)len + 1;
    if (ta_logsrc_new(TA_INPUT_EVE, &lo, &sink, &ls, err, sizeof(err)) != TA_OK)
        goto out;
    struct ta_logsrc_stats st = fz_feed(ls, (const uint8_t *)text, len, "fixpoint");
    fflush(o.f);
    if (round == 1) {
        if (st.rejected != 0)
            abort();
        if (o.len > 0)
            fz_fixpoint(o.buf, o.len, 2);
        goto out;
    }
    if (st.rejected != 0 || o.len != len || memcmp(o.buf, text, len) != 0) {
        fprintf(stderr, "EVE read back differs (%llu rejected):\n%.*s\n---\n%.*s\n",
                (unsigned long long)st.rejected, (int)len, text, (int)o.len, o.buf);
        abort();
    }
out:
    ta_logsrc_free(ls);
    fz_out_close(&o);
}

/* Run kind over data, check the accounting, then the fixpoint of what was rendered. */
static void fz_run(enum ta_input_kind kind, const uint8_t *data, size_t size, const char *name,
                   const struct ta_logsrc_opts *opts)
{
    struct fz_out o;
    struct ta_logsrc *ls = NULL;
    char err[256];
    struct ta_obs_sink sink = {0};
    if (!fz_out_open(&o))
        goto out;
    sink.ud = &o;
    sink.on_flow = fz_on_flow;
    sink.on_record = fz_on_record;
    if (ta_logsrc_new(kind, opts, &sink, &ls, err, sizeof(err)) != TA_OK)
        goto out;
    struct ta_logsrc_stats st = fz_feed(ls, data, size, name);
    uint64_t made = st.dns + st.http + st.tls + st.certs;
    if (kind == TA_INPUT_ACCESS_LOG) {
        /* One transaction and one flow per line read. */
        if (st.flows != st.http || st.lines != st.headers + st.rejected + st.ignored + st.http)
            abort();
    } else if (st.lines != st.headers + st.rejected + st.ignored + st.flows + made) {
        abort();
    }
    if (st.rejected > 0 && st.first_rejected == 0)
        abort();
    fflush(o.f);
    if (o.len > 0)
        fz_fixpoint(o.buf, o.len, 1);
out:
    ta_logsrc_free(ls);
    fz_out_close(&o);
}

#endif
