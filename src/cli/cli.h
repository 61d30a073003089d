/*
 * CLI internals: each subcommand is one function in its own file
 * (src/cli/cli-<name>.c), registered in the table in main.c. The CLI only
 * uses the public headers in include/threatatlas/.
 */
#ifndef TA_CLI_H
#define TA_CLI_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "threatatlas/source.h"

/*
 * Print "threatatlas: <message>" to stderr (one line). Every message line
 * printed through these has its control characters written as \xNN, since
 * messages quote input (feed lines, names) that must not drive the terminal.
 */
void ta_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "threatatlas: warning: <message>" to stderr. */
void ta_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s to f with each control character written as \xNN (no newline): a file
 * name or sensor name printed in a table or a field. */
void ta_cli_put_neutral(FILE *f, const char *s);
/* One neutralised line (no prefix) to f. */
void ta_cli_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ta_cli_vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Progress lines of long runs. ta_cli_progress_due() is called once per
 * packet; it reads the clock once every 65,536 calls and says whether a line
 * is due (every `every` seconds), giving the seconds since the start. The
 * clock is read only for these lines, never for output.
 */
struct ta_cli_progress {
    bool on;
    double every;
    uint64_t n;
    struct timespec t0, last;
};
void ta_cli_progress_start(struct ta_cli_progress *p, bool on, double every);
bool ta__cli_progress_check(struct ta_cli_progress *p, double *secs);
/* Inline: the per-packet cost is one test and one increment. */
static inline bool ta_cli_progress_due(struct ta_cli_progress *p, double *secs)
{
    if (!p->on || (++p->n & 0xffff) != 0)
        return false;
    return ta__cli_progress_check(p, secs);
}
/* Seconds from a to b. */
double ta_cli_elapsed(const struct timespec *a, const struct timespec *b);

/*
 * SIGINT and SIGTERM stop pipeline p (threatatlas/pipeline.h); with hup,
 * SIGHUP asks it to reload its intel. Restore puts the defaults back.
 */
struct ta_pipeline;
void ta_cli_signals_install(struct ta_pipeline *p, bool hup);
/* Before opening a live capture: a SIGHUP is remembered until ta_cli_signals_install. */
void ta_cli_signals_hup_early(void);
void ta_cli_signals_restore(void);
/* The SIGINT or SIGTERM that stopped the pipeline since ta_cli_signals_install, 0 if none. */
int ta_cli_signals_stopped(void);

/*
 * Option tables: one entry per option (name, type, default, bounds, help)
 * from which parsing, validation and --help are derived. Every subcommand
 * declares a table over its own config struct (fields found by offsetof).
 */
enum ta_opt_type {
    TA_OPT_FLAG,    /* bool, no argument */
    TA_OPT_STR,     /* const char * (borrowed from argv) */
    TA_OPT_STRLIST, /* struct ta_strlist, repeatable */
    TA_OPT_U32,     /* uint32_t within [min, max] */
    TA_OPT_U64,     /* uint64_t within [min, max] */
    TA_OPT_SEQ,     /* struct ta_argseq, repeatable: options that share one field keep
                       their relative order (-r, --collect and --input, which applies to
                       the inputs after it, as gcc's -x) */
};

struct ta_argseq_item {
    const char *opt; /* the option's long name */
    const char *val; /* borrowed from argv */
};

struct ta_argseq {
    struct ta_argseq_item *v; /* freed by ta_opts_release() */
    size_t n;
};

struct ta_strlist {
    const char **v; /* borrowed strings; the array is freed by ta_opts_release() */
    size_t n;
};

struct ta_opt {
    const char *name; /* long name, used as --name */
    char short_name;  /* -x, or 0 */
    enum ta_opt_type type;
    size_t offset;   /* offsetof(config, field) */
    const char *def; /* default as text, parsed like a command-line value; NULL = none */
    uint64_t min, max;
    const char *metavar;
    const char *help;
};

struct ta_cmd_spec {
    const char *name;    /* "observe" */
    const char *usage;   /* synopsis after "usage: threatatlas " */
    const char *summary; /* one paragraph under the synopsis */
    const struct ta_opt *opts;
    size_t nopts;
    const char *epilog; /* printed after the options (exit codes...), or NULL */
};

/*
 * Apply defaults then parse argv[1..] into cfg. Returns 0 to run, 1 when
 * --help was printed (exit 0), 2 after printing one error line (exit 2).
 */
int ta_opts_parse(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg);
/*
 * The same for a command that takes operands (PATH..., ADDR...): every
 * argument that is not an option, and every one after "--", is appended to
 * *operands in order (strings borrowed from argv; free operands->v).
 */
int ta_opts_parse_operands(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg,
                           struct ta_strlist *operands);
void ta_opts_release(const struct ta_cmd_spec *spec, void *cfg);
void ta_opts_help(const struct ta_cmd_spec *spec, FILE *f);

/*
 * The inputs of observe and analyze (-r, --collect, --input sharing one
 * struct ta_argseq) as pipeline inputs; *out is freed by the caller. Returns
 * 0, or the exit code after printing one error line (2 usage, 1 memory).
 */
struct ta_pipeline_input;
int ta_cli_inputs_build(const char *cmd, const struct ta_argseq *q, struct ta_pipeline_input **out,
                        size_t *n);

/*
 * The options observe and analyze both take (what they read and the limits
 * of reading it), held in this part of each command's config struct and
 * declared once by the TA_CLI_*_OPTS table runs below, each given the
 * offsetof() of this struct in the command's config. The runs keep one
 * option a line, as the commands' own tables do.
 */
struct ta_cli_read_cfg {
    struct ta_argseq inputs; /* -r, --collect, --input in order */
    const char *filter;
    const char *log_format; /* access logs */
    const char *log_server;
    uint32_t threads;
    const char *capture;
    uint32_t ring_blocks;
    uint64_t ring_block_size;
    uint32_t max_flows;
    uint64_t stream_memcap, app_memcap;
};
#define TA__CLI_RD(base, f) ((base) + offsetof(struct ta_cli_read_cfg, f))
/* clang-format off */
/* -r, --input, --collect */
#define TA_CLI_INPUT_OPTS(base)                                                                    \
    {"read", 'r', TA_OPT_SEQ, TA__CLI_RD(base, inputs), NULL, 0, 0, "FILE",                        \
     "input to read: a capture (pcap or pcapng, optionally gzip-compressed) or, after --input, "   \
     "another kind; repeat to read several in order"},                                             \
    {"input", 0, TA_OPT_SEQ, TA__CLI_RD(base, inputs), NULL, 0, 0, "KIND",                         \
     "kind of the inputs (-r, --collect) after it: auto (default: from the content), pcap, "       \
     "flows (NetFlow v5/v9, IPFIX, sFlow exports: a capture of export packets), eve, zeek, "       \
     "access-log"},                                                                                \
    {"collect", 0, TA_OPT_SEQ, TA__CLI_RD(base, inputs), NULL, 0, 0, "udp://ADDR:PORT",            \
     "receive NetFlow/IPFIX/sFlow exports from any number of exporters until SIGINT/SIGTERM "      \
     "(after the files); repeatable"}
/* -f, --log-format, --log-server */
#define TA_CLI_FILTER_OPTS(base)                                                                   \
    {"filter", 'f', TA_OPT_STR, TA__CLI_RD(base, filter), NULL, 0, 0, "BPF",                       \
     "BPF filter (tcpdump syntax)"},                                                               \
    {"log-format", 0, TA_OPT_STR, TA__CLI_RD(base, log_format), NULL, 0, 0, "FORMAT",              \
     "access logs: combined, common, or an nginx log_format string (default: combined or "         \
     "common line by line, IIS W3C by its #Fields header)"},                                       \
    {"log-server", 0, TA_OPT_STR, TA__CLI_RD(base, log_server), NULL, 0, 0, "ADDR",                \
     "access logs: the web server's address, for logs that do not name it"}
/* --threads, --capture, --ring-blocks, --ring-block-size, --max-flows */
#define TA_CLI_THREAD_OPTS(base)                                                                   \
    {"threads", 0, TA_OPT_U32, TA__CLI_RD(base, threads), "1", 0, 64, "N",                         \
     "threads in all for decode, flows and the app layer (the reading thread among them), frames " \
     "split by address pair; 0: one per core. Output is the same with any N; on 2 cores, 2 "       \
     "gave no speed-up (bench/results.md)"},                                                       \
    {"capture", 0, TA_OPT_STR, TA__CLI_RD(base, capture), "auto", 0, 0, "auto|pcap|afpacket",      \
     "-i: afpacket (Linux) gives each thread an AF_PACKET socket (TPACKET_V3 ring, kernel "        \
     "fanout by flow), pcap one libpcap handle feeding the ordered workers; auto: afpacket with "  \
     "--threads 2 or more, pcap otherwise or when AF_PACKET cannot be opened"},                    \
    {"ring-blocks", 0, TA_OPT_U32, TA__CLI_RD(base, ring_blocks), "16", 2, 65536, "N",             \
     "-i with afpacket: blocks of each thread's ring (kernel memory: threads x blocks x "          \
     "block size)"},                                                                               \
    {"ring-block-size", 0, TA_OPT_U64, TA__CLI_RD(base, ring_block_size), "1M", 65536, 1ull << 30, \
     "BYTES",                                                                                      \
     "-i with afpacket: bytes of a ring block, a multiple of the page size (suffix K or M)"},      \
    {"max-flows", 0, TA_OPT_U32, TA__CLI_RD(base, max_flows), "1000000", 1, 100000000, "N",        \
     "flows tracked at once; at the cap the least recently active flow is ended (reason forced)"}
/* --stream-memcap, --app-memcap */
#define TA_CLI_MEMCAP_OPTS(base)                                                                   \
    {"stream-memcap", 0, TA_OPT_U64, TA__CLI_RD(base, stream_memcap), "256M", 65536, 1ull << 40,   \
     "BYTES",                                                                                      \
     "memory for out-of-order TCP segments of all flows, as allocated (suffix K, M or G)"},        \
    {"app-memcap", 0, TA_OPT_U64, TA__CLI_RD(base, app_memcap), "512M", 65536, 1ull << 40,         \
     "BYTES",                                                                                      \
     "memory of the DNS, HTTP and TLS parsers of all flows, as allocated (suffix K, M or G)"}
/* clang-format on */

/*
 * The shared options into po, the inputs among them (*inputs, allocated,
 * freed by the caller also on error). Returns 0, or the exit code after
 * printing one error line (2 usage, 1 memory).
 */
struct ta_pipeline_opts;
int ta_cli_read_apply(const char *cmd, const struct ta_cli_read_cfg *c, struct ta_pipeline_opts *po,
                      struct ta_pipeline_input **inputs);

/*
 * One line per observation source of p (flow exports, logs) on f: what it read, made,
 * rejected and skipped, and the exporters that contributed with their sampling rates.
 */
void ta_cli_print_obsrc(FILE *f, const char *cmd, const struct ta_pipeline *p);

/* Subcommands: argv[0] is the subcommand name. Return the process exit code. */
int ta_cli_observe(int argc, char **argv);
int ta_cli_analyze(int argc, char **argv);
int ta_cli_geo(int argc, char **argv);
int ta_cli_intel(int argc, char **argv);
int ta_cli_report(int argc, char **argv);
int ta_cli_events(int argc, char **argv);
int ta_cli_runs(int argc, char **argv);
int ta_cli_merge(int argc, char **argv);
int ta_cli_sensor(int argc, char **argv);
/* intel fetch (argv[0] "fetch"), in cli-intel-fetch.c */
int ta_cli_intel_fetch(int argc, char **argv);
/* analyze's option of that long name, or NULL: the sensor's config keys are these. */
const struct ta_opt *ta_cli_analyze_opt(const char *name);

#endif
