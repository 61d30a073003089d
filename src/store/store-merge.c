/*
 * Merging sensor databases (threatatlas merge): every run of every input is
 * written again into the output through the run API, with its digest, so
 * that the output holds what one combined pass of all the runs would have
 * stored. The event identity does the deduplication as it does for runs of
 * one database (a bot seen by two sensors is one event with a sighting), and
 * a run already merged and done is skipped (merging twice adds nothing).
 * Everything is one transaction on the output: an input that turns out bad
 * half-way leaves the output as it was.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/banned.h"

/* One error line (truncated to the buffer). */
static void set_err(char *errbuf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char *errbuf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, TA_STORE_ERRLEN, fmt, ap);
    va_end(ap);
}

struct merge_ctx {
    struct ta_store *out, *in;
    const char *path; /* of in */
    struct ta_store_merge_stats *stats;
    ta_err err;
    char *errbuf;
};

/* Give the merged run the wall-clock times of the original; no process of
 * this machine ran it (pid 0: an unfinished live run shows as interrupted). */
static ta_err keep_times(struct merge_ctx *m, const struct ta_store_run_desc *d)
{
    sqlite3 *db = ta__store_db(m->out);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE store_run SET started=?, finished=?, pid=0 WHERE digest=?",
                           -1, &s, NULL) != SQLITE_OK)
        return ta__store_dberr(m->out, "merge run times");
    sqlite3_bind_int64(s, 1, d->started);
    sqlite3_bind_int64(s, 2, d->done ? d->finished : 0);
    sqlite3_bind_text(s, 3, d->digest, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? TA_OK : ta__store_dberr(m->out, "merge run times");
}

static bool merge_run(void *ctx, const struct ta_store_run_desc *d)
{
    struct merge_ctx *m = ctx;
    struct ta_store_run_info info = {
        .inputs = d->inputs,
        .n_inputs = d->n_inputs,
        .home = d->home,
        .home_nets = d->home_nets,
        .sensor = d->sensor,
        .intel_version = d->intel_version,
        .geoip_version = d->geoip_version,
        .geoip_built = d->geoip_built,
        .live = d->live[0] != '\0' ? d->live : NULL,
    };
    bool present = false;
    ta_err err = ta__store_run_begin_as(m->out, &info, d->digest, &present);
    if (err != TA_OK) {
        set_err(m->errbuf, "%s: run %lld: %s", m->path, (long long)d->id, ta_store_errmsg(m->out));
        m->err = err;
        return false;
    }
    if (present) {
        m->stats->runs_present++;
        return true;
    }
    /* What the run read (kinds of input, exporters, sampling) goes with it. */
    if (d->sources != NULL && d->sources[0] != '\0' &&
        (err = ta_store_run_set_sources(m->out, d->sources)) != TA_OK) {
        set_err(m->errbuf, "%s: run %lld: %s", m->path, (long long)d->id, ta_store_errmsg(m->out));
        ta_store_run_abort(m->out);
        m->err = err;
        return false;
    }
    struct ta_store_events *c = NULL;
    struct ta_store *bad = m->in;
    err = ta__store_run_events_open(m->in, d->id, &c);
    bool more = err == TA_OK;
    while (err == TA_OK && more) {
        struct ta_store_event_row row;
        bad = m->in;
        if ((err = ta_store_events_next(c, &row, &more)) != TA_OK || !more)
            break;
        bad = m->out;
        err = ta_store_add_event(m->out, &row.ev);
    }
    ta_store_events_close(c);
    if (err == TA_OK) {
        bad = m->out;
        err = ta__store_run_end(m->out, d->ts_first, d->ts_last, d->done);
    } else {
        ta_store_run_abort(m->out);
    }
    if (err == TA_OK)
        err = keep_times(m, d);
    if (err != TA_OK) {
        set_err(m->errbuf, "%s: run %lld: %s", bad == m->in ? m->path : "output", (long long)d->id,
                err == TA_ERR_DB || err == TA_ERR_ARG ? ta_store_errmsg(bad) : ta_strerror(err));
        m->err = err;
        return false;
    }
    struct ta_store_stats s;
    ta_store_get_stats(m->out, &s);
    m->stats->runs_merged++;
    m->stats->events += s.events;
    m->stats->events_new += s.events_new;
    m->stats->events_known += s.events_known;
    m->stats->events_repeat += s.events_repeat;
    return true;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Open an input for reading and pin one snapshot of it for the whole merge. */
static ta_err open_input(const char *path, const struct stat *out_st, struct ta_store **in,
                         char errbuf[TA_STORE_ERRLEN])
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        set_err(errbuf, "%s: %s", path, strerror(errno));
        return TA_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        set_err(errbuf, "%s: not a regular file", path);
        return TA_ERR_ARG;
    }
    if (out_st != NULL && same_file(&sb, out_st)) {
        set_err(errbuf, "%s: is the output database", path);
        return TA_ERR_ARG;
    }
    char e[TA_STORE_ERRLEN];
    ta_err err = ta_store_open(path, TA_STORE_READONLY, in, e);
    if (err != TA_OK) {
        set_err(errbuf, "%s", e); /* names the file */
        return err;
    }
    if (!ta_store_has_data(*in)) {
        snprintf(errbuf, TA_STORE_ERRLEN,
                 "%s: not a threatatlas database with analysed events (no store tables)", path);
        return TA_ERR_UNSUPPORTED;
    }
    sqlite3 *db = ta__store_db(*in);
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN; SELECT COUNT(*) FROM store_run", NULL, NULL, &msg) != SQLITE_OK) {
        set_err(errbuf, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return TA_ERR_DB;
    }
    return TA_OK;
}

ta_err ta_store_merge(const char *out_path, const char *const *in_paths, size_t n, ta_time_us skew,
                      struct ta_store_merge_stats *stats, char errbuf[TA_STORE_ERRLEN])
{
    memset(stats, 0, sizeof(*stats));
    errbuf[0] = '\0';
    if (skew > TA_STORE_SKEW_MAX_US) {
        set_err(errbuf, "clock skew above %lld ms", (long long)(TA_STORE_SKEW_MAX_US / 1000));
        return TA_ERR_ARG;
    }
    /* Files only: a database behind a URL (a server store) has no SQLite
     * connection to merge with. */
    for (size_t i = 0; i <= n; i++) {
        const char *p = i < n ? in_paths[i] : out_path;
        if (strstr(p, "://") != NULL) {
            set_err(errbuf, "%s: merge combines SQLite database files, not a URL", p);
            return TA_ERR_ARG;
        }
    }
    struct ta_store **in = calloc(n ? n : 1, sizeof(*in));
    if (in == NULL)
        return TA_ERR_NOMEM;
    struct stat out_sb;
    bool have_out = stat(out_path, &out_sb) == 0;
    ta_err err = TA_OK;
    /* Every input is opened and checked before the output is touched. */
    for (size_t i = 0; i < n && err == TA_OK; i++)
        err = open_input(in_paths[i], have_out ? &out_sb : NULL, &in[i], errbuf);
    struct ta_store *out = NULL;
    if (err == TA_OK) {
        char e[TA_STORE_ERRLEN];
        if ((err = ta_store_open(out_path, TA_STORE_CREATE, &out, e)) != TA_OK)
            set_err(errbuf, "%s: %s", out_path, e);
    }
    if (err == TA_OK && (err = ta_store_set_skew(out, skew)) != TA_OK)
        set_err(errbuf, "invalid clock skew");
    bool in_txn = false;
    if (err == TA_OK) {
        char *msg = NULL;
        if (sqlite3_exec(ta__store_db(out), "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
            set_err(errbuf, "%s: %s", out_path, msg ? msg : sqlite3_errmsg(ta__store_db(out)));
            err = TA_ERR_DB;
        } else {
            in_txn = true;
        }
        sqlite3_free(msg);
        ta__store_set_nested(out, true);
    }
    for (size_t i = 0; i < n && err == TA_OK; i++) {
        struct merge_ctx m = {out, in[i], in_paths[i], stats, TA_OK, errbuf};
        ta_err e = ta_store_runs_list(in[i], 0, merge_run, &m);
        err = m.err != TA_OK ? m.err : e;
        if (e != TA_OK && m.err == TA_OK)
            set_err(errbuf, "%s: %s", in_paths[i], ta_store_errmsg(in[i]));
        stats->inputs++;
    }
    if (in_txn) {
        ta__store_set_nested(out, false);
        char *msg = NULL;
        if (err == TA_OK &&
            sqlite3_exec(ta__store_db(out), "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            set_err(errbuf, "%s: commit: %s", out_path,
                    msg ? msg : sqlite3_errmsg(ta__store_db(out)));
            err = TA_ERR_DB;
        }
        sqlite3_free(msg);
        if (err != TA_OK)
            sqlite3_exec(ta__store_db(out), "ROLLBACK", NULL, NULL, NULL);
    }
    ta_store_close(out);
    for (size_t i = 0; i < n; i++)
        ta_store_close(in[i]);
    free(in);
    return err;
}
