/*
 * What observe and analyze share about their inputs: checking and opening
 * the captures (-r) or the interface (-i) before any output, running each
 * with SIGINT/SIGTERM (and optionally SIGHUP) stopping it cleanly, closing.
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

#define MAX_FILES 4096

int ta_cli_inputs_open(struct ta_cli_inputs *in, const char *cmd, const struct ta_strlist *read,
                       const char *iface, const struct ta_source_opts *so)
{
    in->src = NULL;
    in->n = 0;
    if (read->n == 0 && iface == NULL) {
        ta_cli_error("%s: give captures (-r FILE) or an interface (-i IFACE); see --help", cmd);
        return 2;
    }
    if (read->n > 0 && iface != NULL) {
        ta_cli_error("%s: -r and -i cannot be used together", cmd);
        return 2;
    }
    if (read->n > MAX_FILES) {
        ta_cli_error("%s: too many capture files (at most %d)", cmd, MAX_FILES);
        return 2;
    }
    /* Every input is opened before anything is written, so a bad one leaves no output. */
    size_t want = iface != NULL ? 1 : read->n;
    in->src = calloc(want, sizeof(*in->src));
    if (in->src == NULL) {
        ta_cli_error("%s: out of memory", cmd);
        return 1;
    }
    char err[TA_SOURCE_ERRLEN];
    for (size_t i = 0; i < want; i++) {
        ta_err te = iface != NULL
                        ? ta_source_open_live(iface, so, &in->src[i], err, sizeof(err))
                        : ta_source_open_file(read->v[i], so, &in->src[i], err, sizeof(err));
        if (te != TA_OK) {
            ta_cli_error("%s", err);
            return te == TA_ERR_ARG ? 2 : 1;
        }
        in->n++;
    }
    return 0;
}

void ta_cli_inputs_close(struct ta_cli_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        ta_source_close(in->src[i]);
    free(in->src);
    in->src = NULL;
    in->n = 0;
}

/* The source being run, for the signal handlers. */
static struct ta_source *volatile g_running;
static volatile sig_atomic_t g_hup;

static void on_stop(int sig)
{
    if (sig == SIGHUP)
        g_hup = 1;
    struct ta_source *s = g_running;
    if (s != NULL)
        ta_source_stop(s);
}

void ta_cli_signals_install(bool hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
}

void ta_cli_signals_restore(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

ta_err ta_cli_run_source(struct ta_source *s, ta_source_cb cb, void *ud, char *err, size_t errlen)
{
    g_running = s;
    ta_err te = ta_source_run(s, cb, ud, err, errlen);
    g_running = NULL;
    return te;
}

bool ta_cli_take_hup(void)
{
    bool h = g_hup != 0;
    g_hup = 0;
    return h;
}
