/*
 * threatatlas runs: the analysis runs stored in a database, as first-class
 * objects: list them, show one (inputs with size and SHA-256, options, data
 * versions, events new and already known), delete one with exactly its
 * contribution to the report.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/json.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct runs_cfg {
    const char *db, *format;
    bool no_wait;
};

static const struct ta_opt runs_opts[] = {
    {"db", 0, TA_OPT_STR, offsetof(struct runs_cfg, db), NULL, 0, 0, "FILE",
     "database written by 'threatatlas analyze' (required)"},
    {"format", 0, TA_OPT_STR, offsetof(struct runs_cfg, format), "text", 0, 0, "FMT",
     "text or json"},
};
static const struct ta_opt delete_opts[] = {
    {"db", 0, TA_OPT_STR, offsetof(struct runs_cfg, db), NULL, 0, 0, "FILE",
     "database written by 'threatatlas analyze' (required)"},
    {"format", 0, TA_OPT_STR, offsetof(struct runs_cfg, format), "text", 0, 0, "FMT",
     "text or json (what was deleted)"},
    {"no-wait", 0, TA_OPT_FLAG, offsetof(struct runs_cfg, no_wait), NULL, 0, 0, NULL,
     "refuse at once when another process writes --db (default: wait for it)"},
};

static const char epilog[] = "Exit status: 0 ok, 1 database error or no such run, 2 bad options.\n";

static const struct ta_cmd_spec list_spec = {
    "runs list",
    "runs list --db FILE [--format text|json]",
    "Lists the analysis runs: id, state (done, unfinished; a live capture's run: live, or\n"
    "interrupted once its sensor died), sensor, time range of the traffic, events new\n"
    "(first stored by the run) and already known (stored by an\n"
    "earlier run: overlapping inputs, a compressed copy, a second sensor), inputs.",
    runs_opts,
    sizeof(runs_opts) / sizeof(runs_opts[0]),
    epilog,
};
static const struct ta_cmd_spec show_spec = {
    "runs show",
    "runs show ID --db FILE [--format text|json]",
    "Shows one run: each input's path, size and SHA-256, when it ran, its options (home,\n"
    "home networks, sensor), the threat-intel and GeoIP versions, and its events.",
    runs_opts,
    sizeof(runs_opts) / sizeof(runs_opts[0]),
    epilog,
};
static const struct ta_cmd_spec delete_spec = {
    "runs delete",
    "runs delete ID --db FILE [--no-wait] [--format text|json]",
    "Deletes a run and exactly its contribution: the events no other run saw. The report\n"
    "afterwards equals the report without that run. Waits for another writer of --db.",
    delete_opts,
    sizeof(delete_opts) / sizeof(delete_opts[0]),
    epilog,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: threatatlas runs list --db FILE [--format text|json]\n"
               "       threatatlas runs show ID --db FILE [--format text|json]\n"
               "       threatatlas runs delete ID --db FILE [--no-wait] [--format text|json]\n\n"
               "The analysis runs stored in a database ('threatatlas runs <sub> --help').\n");
}

static void time_text(int64_t secs, char buf[TA_TS_STRLEN])
{
    if (secs <= 0) {
        snprintf(buf, TA_TS_STRLEN, "-");
        return;
    }
    ta_time_format((ta_time_us)secs * 1000000u, buf, TA_TS_STRLEN);
}

struct show_ctx {
    bool json;
    bool detail;
    uint64_t n;
    FILE *f;
};

/* done; a live run: live while its sensor runs, interrupted once that died; else unfinished. */
static const char *run_state(const struct ta_store_run_desc *r)
{
    if (r->done)
        return "done";
    if (r->live[0] != '\0')
        return r->alive ? "live" : "interrupted";
    return "unfinished";
}

static void json_run(struct ta_json *j, const struct ta_store_run_desc *r)
{
    char t[TA_TS_STRLEN];
    ta_json_obj_open(j);
    ta_json_kv_int(j, "id", r->id);
    ta_json_kv_str(j, "state", run_state(r));
    ta_json_kv_str(j, "sensor", r->sensor);
    ta_json_key(j, "options");
    ta_json_obj_open(j);
    ta_json_kv_str(j, "home", r->home);
    ta_json_kv_str(j, "home_nets", r->home_nets);
    ta_json_kv_str(j, "sensor", r->sensor);
    ta_json_obj_close(j);
    ta_json_kv_str(j, "intel_version", r->intel_version);
    ta_json_kv_str(j, "geoip_version", r->geoip_version);
    time_text((int64_t)r->geoip_built, t);
    ta_json_kv_str(j, "geoip_built", r->geoip_built ? t : "");
    ta_json_kv_str(j, "traffic_from", r->ts_first ? ta_time_format(r->ts_first, t, sizeof(t)) : "");
    ta_json_kv_str(j, "traffic_to", r->ts_last ? ta_time_format(r->ts_last, t, sizeof(t)) : "");
    ta_json_key(j, "events");
    ta_json_obj_open(j);
    ta_json_kv_uint(j, "new", r->events_new);
    ta_json_kv_uint(j, "known", r->events_known);
    ta_json_kv_uint(j, "total", r->events_new + r->events_known);
    ta_json_obj_close(j);
    time_text(r->started, t);
    ta_json_kv_str(j, "started", t);
    time_text(r->finished, t);
    ta_json_kv_str(j, "finished", r->finished ? t : "");
    ta_json_kv_int(j, "pid", r->pid);
    ta_json_kv_str(j, "digest", r->digest);
    ta_json_kv_str(j, "live", r->live);
    time_text(r->last_commit, t);
    ta_json_kv_str(j, "last_commit", r->last_commit ? t : "");
    ta_json_key(j, "inputs");
    ta_json_arr_open(j);
    for (size_t i = 0; i < r->n_inputs; i++) {
        char hex[TA_SHA256_HEXLEN];
        ta_json_obj_open(j);
        ta_json_kv_str(j, "path", r->inputs[i].path);
        ta_json_kv_uint(j, "size", r->inputs[i].size);
        ta_json_kv_str(j, "sha256", ta_sha256_hex(r->inputs[i].sha256, hex));
        ta_json_obj_close(j);
    }
    ta_json_arr_close(j);
    ta_json_obj_close(j);
}

static bool on_run(void *ctx, const struct ta_store_run_desc *r)
{
    struct show_ctx *c = ctx;
    FILE *f = c->f;
    if (c->json) {
        struct ta_json j;
        ta_json_init(&j);
        json_run(&j, r);
        if (c->n > 0 && !c->detail)
            fputs(",\n", f);
        fwrite(j.buf, 1, j.len, f);
        ta_json_release(&j);
        c->n++;
        return true;
    }
    char a[TA_TS_STRLEN], b[TA_TS_STRLEN];
    if (!c->detail) {
        if (c->n == 0)
            fprintf(f, "%-5s %-10s %-16s %-20s %-20s %10s %10s  %s\n", "id", "state", "sensor",
                    "traffic from", "traffic to", "new", "known", "inputs");
        /* Names (sensor, files) are the user's and are printed neutralised. */
        const char *sn = r->sensor[0] ? r->sensor : "-";
        size_t sl = strlen(sn);
        fprintf(f, "%-5lld %-10s ", (long long)r->id, run_state(r));
        ta_cli_put_neutral(f, sn);
        fprintf(f, "%*s %-20.19s %-20.19s %10llu %10llu  ", sl < 16 ? (int)(16 - sl) : 0, "",
                r->ts_first ? ta_time_format(r->ts_first, a, sizeof(a)) : "-",
                r->ts_last ? ta_time_format(r->ts_last, b, sizeof(b)) : "-",
                (unsigned long long)r->events_new, (unsigned long long)r->events_known);
        for (size_t i = 0; i < r->n_inputs; i++) {
            fputs(i ? " " : "", f);
            ta_cli_put_neutral(f, r->inputs[i].path);
        }
        if (r->live[0] != '\0') {
            fputs("live:", f);
            ta_cli_put_neutral(f, r->live);
        }
        fputc('\n', f);
        c->n++;
        return true;
    }
    const char *st = run_state(r);
    fprintf(f, "run %lld (%s)\n", (long long)r->id,
            strcmp(st, "unfinished") == 0
                ? "unfinished: running, or interrupted and resumed by a rerun"
            : strcmp(st, "interrupted") == 0
                ? "interrupted: its sensor stopped without finishing it; events after its last "
                  "commit were lost"
                : st);
    time_text(r->started, a);
    time_text(r->finished, b);
    fprintf(f, "  started        %s (pid %lld)\n  finished       %s\n", a, (long long)r->pid, b);
    ta_cli_line(f, "  sensor         %s", r->sensor[0] ? r->sensor : "-");
    ta_cli_line(f, "  home           %s", r->home[0] ? r->home : "-");
    fputs("  home nets      ", f);
    ta_cli_put_neutral(f, r->home_nets[0] ? r->home_nets : "-");
    fputs("\n  threat intel   ", f);
    ta_cli_put_neutral(f, r->intel_version[0] ? r->intel_version : "-");
    fputs("\n  geoip          ", f);
    ta_cli_put_neutral(f, r->geoip_version[0] ? r->geoip_version : "-");
    fputc('\n', f);
    time_text((int64_t)r->geoip_built, a);
    fprintf(f, "  geoip built    %s\n", a);
    fprintf(f, "  traffic        %s to %s\n",
            r->ts_first ? ta_time_format(r->ts_first, a, sizeof(a)) : "-",
            r->ts_last ? ta_time_format(r->ts_last, b, sizeof(b)) : "-");
    fprintf(f, "  events         %llu new, %llu already known, %llu in all\n",
            (unsigned long long)r->events_new, (unsigned long long)r->events_known,
            (unsigned long long)(r->events_new + r->events_known));
    if (r->live[0] != '\0') {
        time_text(r->last_commit, a);
        fputs("  live capture   ", f);
        ta_cli_put_neutral(f, r->live);
        fprintf(f, ", last commit %s\n", a);
    }
    fprintf(f, "  inputs\n");
    for (size_t i = 0; i < r->n_inputs; i++) {
        char hex[TA_SHA256_HEXLEN];
        fputs("    ", f);
        ta_cli_put_neutral(f, r->inputs[i].path);
        fprintf(f, "  %llu bytes  sha256 %s\n", (unsigned long long)r->inputs[i].size,
                ta_sha256_hex(r->inputs[i].sha256, hex));
    }
    c->n++;
    return true;
}

static void on_wait(void *ctx, const char *holder)
{
    (void)ctx;
    fprintf(stderr, "runs delete: waiting for %s to finish\n", holder);
}

/* Split argv into options (kept in out) and at most one positional argument. */
static int split_args(int argc, char **argv, char **out, int *nout, const char **pos)
{
    *pos = NULL;
    *nout = 0;
    out[(*nout)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0 || strcmp(a, "--format") == 0) {
            out[(*nout)++] = argv[i];
            if (i + 1 < argc)
                out[(*nout)++] = argv[++i];
        } else if (a[0] == '-') {
            out[(*nout)++] = argv[i];
        } else if (*pos == NULL) {
            *pos = a;
        } else {
            return 2;
        }
    }
    return 0;
}

int ta_cli_runs(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    const struct ta_cmd_spec *spec = strcmp(sub, "list") == 0     ? &list_spec
                                     : strcmp(sub, "show") == 0   ? &show_spec
                                     : strcmp(sub, "delete") == 0 ? &delete_spec
                                                                  : NULL;
    if (spec == NULL) {
        ta_cli_error("runs: unknown subcommand '%s' (see 'threatatlas runs --help')", sub);
        return 2;
    }
    char **args = calloc((size_t)argc, sizeof(char *));
    if (args == NULL)
        return 1;
    int nargs;
    const char *pos;
    struct runs_cfg cfg = {0};
    int rc = split_args(argc - 1, argv + 1, args, &nargs, &pos);
    if (rc != 0) {
        ta_cli_error("%s: one run id only (see 'threatatlas %s --help')", spec->name, spec->name);
        free(args);
        return 2;
    }
    rc = ta_opts_parse(spec, nargs, args, &cfg);
    free(args);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    bool json = strcmp(cfg.format, "json") == 0;
    if (!json && strcmp(cfg.format, "text") != 0) {
        ta_cli_error("%s: invalid --format '%s' (expected text or json)", spec->name, cfg.format);
        return 2;
    }
    if (cfg.db == NULL) {
        ta_cli_error("%s: --db FILE is required", spec->name);
        return 2;
    }
    int64_t id = 0;
    if (spec != &list_spec) {
        char *end = NULL;
        errno = 0;
        long long v = pos ? strtoll(pos, &end, 10) : 0;
        if (pos == NULL || end == pos || *end != '\0' || v <= 0 || errno == ERANGE) {
            ta_cli_error("%s: needs a run id (a positive number, see 'threatatlas runs list')",
                         spec->name);
            return 2;
        }
        id = v;
    } else if (pos != NULL) {
        ta_cli_error("runs list: unexpected argument '%s'", pos);
        return 2;
    }
    struct ta_store_lock *lock = NULL;
    char err[TA_STORE_ERRLEN];
    ta_err te;
    if (spec == &delete_spec) {
        char holder[64];
        snprintf(holder, sizeof(holder), "runs delete %lld (pid %ld)", (long long)id,
                 (long)getpid());
        te = ta_store_lock_take(cfg.db, holder, cfg.no_wait ? 0 : -1, on_wait, NULL, &lock, err);
        if (te != TA_OK) {
            ta_cli_error("runs delete: %s%s", err, te == TA_ERR_LIMIT ? " (--no-wait)" : "");
            return 1;
        }
    }
    struct ta_store *st = NULL;
    te =
        ta_store_open(cfg.db, spec == &delete_spec ? TA_STORE_CREATE : TA_STORE_READONLY, &st, err);
    if (te != TA_OK) {
        ta_cli_error("%s: %s", spec->name, err);
        ta_store_lock_release(lock);
        return 1;
    }
    struct show_ctx c = {.json = json, .detail = spec != &list_spec, .f = stdout};
    if (json && spec == &list_spec)
        fputc('[', stdout);
    if (spec == &delete_spec) {
        /* Show what goes, then delete it. */
        if (!json)
            fprintf(stdout, "deleting ");
        te = ta_store_runs_list(st, id, on_run, &c);
        if (te == TA_OK)
            te = ta_store_run_delete(st, id);
        if (json && te == TA_OK)
            fputs("\n", stdout);
        if (!json && te == TA_OK)
            fprintf(stdout, "run %lld deleted\n", (long long)id);
    } else {
        te = ta_store_runs_list(st, id, on_run, &c);
        if (json)
            fputs(spec == &list_spec ? "]\n" : "\n", stdout);
        else if (spec == &list_spec && c.n == 0)
            fputs("no runs\n", stdout);
    }
    if (te != TA_OK)
        ta_cli_error("%s: %s", spec->name,
                     te == TA_ERR_NOTFOUND || te == TA_ERR_DB || te == TA_ERR_ARG ||
                             te == TA_ERR_UNSUPPORTED
                         ? ta_store_errmsg(st)
                         : ta_strerror(te));
    ta_store_close(st);
    ta_store_lock_release(lock);
    if (fflush(stdout) != 0 && te == TA_OK)
        te = TA_ERR_IO;
    return te == TA_OK ? 0 : 1;
}
