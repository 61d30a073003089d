/*
 * threatatlas merge: combine sensor databases (SQLite) into one, with the
 * guarantee of one combined pass (threatatlas/store.h, "merging databases").
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct merge_cfg {
    uint32_t skew_ms;
    bool no_wait;
};

static const struct ta_opt merge_opts[] = {
    {"skew-ms", 0, TA_OPT_U32, offsetof(struct merge_cfg, skew_ms), "2000", 0, 600000, "MS",
     "clock skew between sensors: copies of a transaction this close in time are one event"},
    {"no-wait", 0, TA_OPT_FLAG, offsetof(struct merge_cfg, no_wait), NULL, 0, 0, NULL,
     "refuse at once when another process writes OUT (default: wait for it)"},
};

static const struct ta_cmd_spec merge_spec = {
    "merge",
    "merge OUT.db IN.db [IN.db ...] [--skew-ms MS] [--no-wait]",
    "Combines databases written by 'threatatlas analyze' (one per sensor) into OUT.db\n"
    "(created if absent): every run of every input is carried over with its inputs,\n"
    "options, sensor and data versions, and the events it saw are stored again under the\n"
    "event identity, so a transaction seen by several sensors counts once and the report\n"
    "of OUT.db is that of one combined pass. Runs already in OUT.db are skipped: merging\n"
    "the same input again changes nothing. All or nothing: a bad input leaves OUT.db as it\n"
    "was. Only the detections are merged, not the threat-intel tables.",
    merge_opts,
    sizeof(merge_opts) / sizeof(merge_opts[0]),
    "Exit status: 0 ok, 1 bad input or database error, 2 bad options.\n",
};

static void on_wait(void *ctx, const char *holder)
{
    (void)ctx;
    fprintf(stderr, "merge: waiting for %s to finish\n", holder);
}

int ta_cli_merge(int argc, char **argv)
{
    struct merge_cfg cfg = {0};
    struct ta_strlist ops = {0};
    int rc = ta_opts_parse_operands(&merge_spec, argc, argv, &cfg, &ops);
    if (rc != 0) {
        free(ops.v);
        return rc == 1 ? 0 : 2;
    }
    if (ops.n < 2) {
        ta_cli_error("merge: needs OUT.db and at least one IN.db (see 'threatatlas merge --help')");
        free(ops.v);
        return 2;
    }
    const char *out = ops.v[0];
    char holder[64], err[TA_STORE_ERRLEN];
    snprintf(holder, sizeof(holder), "merge (pid %ld)", (long)getpid());
    struct ta_store_lock *lock = NULL;
    ta_err te = ta_store_lock_take(out, holder, cfg.no_wait ? 0 : -1, on_wait, NULL, &lock, err);
    if (te != TA_OK) {
        ta_cli_error("merge: %s%s", err, te == TA_ERR_LIMIT ? " (--no-wait)" : "");
        free(ops.v);
        return 1;
    }
    struct ta_store_merge_stats s;
    te = ta_store_merge(out, ops.v + 1, ops.n - 1, (ta_time_us)cfg.skew_ms * 1000, &s, err);
    if (te != TA_OK) {
        ta_cli_error("merge: %s", err[0] ? err : ta_strerror(te));
    } else {
        fprintf(stderr,
                "merge: %llu input(s) into %s: %llu run(s) merged, %llu already there; %llu "
                "events: %llu new, %llu already known from other runs, %llu repeated\n",
                (unsigned long long)s.inputs, out, (unsigned long long)s.runs_merged,
                (unsigned long long)s.runs_present, (unsigned long long)s.events,
                (unsigned long long)s.events_new, (unsigned long long)s.events_known,
                (unsigned long long)s.events_repeat);
    }
    /* A failed merge into a new OUT leaves no file behind. */
    if (te != TA_OK)
        ta_store_lock_release_undo(lock);
    else
        ta_store_lock_release(lock);
    free(ops.v);
    return te == TA_OK ? 0 : 1;
}
