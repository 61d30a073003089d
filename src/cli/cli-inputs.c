/*
 * Signals of observe and analyze: SIGINT and SIGTERM stop the pipeline
 * cleanly (what was read is still written), SIGHUP asks it to reload its
 * intel and reopen its files. A SIGHUP while a live capture is being opened
 * (loading intel, waiting for the writer lock) is kept for when it runs,
 * instead of ending the process; SIGINT and SIGTERM end it then as before. Opening and running the
 * inputs is the pipeline's job (threatatlas/pipeline.h).
 */
#include "cli/cli.h"

#include <signal.h>
#include <string.h>

#include "threatatlas/pipeline.h"

#include "common/banned.h"

/* The pipeline being run, for the signal handlers. */
static struct ta_pipeline *volatile g_pipe;
/* A SIGHUP that came while the pipeline was being opened. */
static volatile sig_atomic_t g_early_hup;
/* The SIGINT or SIGTERM that stopped the pipeline, 0 if none. */
static volatile sig_atomic_t g_stop_sig;

static void on_signal(int sig)
{
    struct ta_pipeline *p = g_pipe;
    if (p == NULL) {
        if (sig == SIGHUP)
            g_early_hup = 1;
        return;
    }
    if (sig == SIGHUP) {
        ta_pipeline_reload(p);
    } else {
        g_stop_sig = sig;
        ta_pipeline_stop(p);
    }
}

int ta_cli_signals_stopped(void)
{
    return g_stop_sig;
}

void ta_cli_signals_hup_early(void)
{
    g_early_hup = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
}

void ta_cli_signals_install(struct ta_pipeline *p, bool hup)
{
    g_stop_sig = 0;
    g_pipe = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
    /* Whatever it asked for (new intel, reopened files) is done once the capture runs. */
    if (hup && g_early_hup)
        ta_pipeline_reload(p);
    g_early_hup = 0;
}

void ta_cli_signals_restore(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    g_pipe = NULL;
}
