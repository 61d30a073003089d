/*
 * threatatlas intel: import feeds into the database, list and count what is
 * stored, look values up through the match index, expire old indicators.
 */
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/intel.h"
#include "threatatlas/json.h"

#include "threatatlas/store.h"

#include "common/banned.h"

#define OFF(f) offsetof(struct intel_cfg, f)

/* Every option of every subcommand; each subcommand's table names its own. */
struct intel_cfg {
    const char *db, *format, *kind, *source, *type, *family, *before, *iprep_categories;
    uint32_t confidence, valid_days;
    bool misp_all, json, allow_private;
};

static const struct ta_opt opt_db = {
    "db", 0, TA_OPT_STR, OFF(db), NULL, 0, 0, "FILE", "intel database (SQLite; created by import)"};

static const struct ta_opt import_opts[] = {
    opt_db,
    {"format", 0, TA_OPT_STR, OFF(format), NULL, 0, 0, "NAME",
     "feed format (default: detected; see below)"},
    {"kind", 0, TA_OPT_STR, OFF(kind), NULL, 0, 0, "KIND",
     "kind of every indicator (a plain list needs it)"},
    {"source", 0, TA_OPT_STR, OFF(source), NULL, 0, 0, "NAME",
     "source stored with them (default: the feed's)"},
    {"confidence", 0, TA_OPT_U32, OFF(confidence), NULL, 1, 100, "N",
     "confidence of every indicator (default: the feed's)"},
    {"family", 0, TA_OPT_STR, OFF(family), NULL, 0, 0, "NAME", "malware family of every indicator"},
    {"valid-days", 0, TA_OPT_U32, OFF(valid_days), NULL, 0, 36500, "N",
     "end N days after the last sighting, if the feed has none"},
    {"misp-all", 0, TA_OPT_FLAG, OFF(misp_all), NULL, 0, 0, NULL,
     "MISP: every attribute, not only the to_ids ones"},
    {"allow-private", 0, TA_OPT_FLAG, OFF(allow_private), NULL, 0, 0, NULL,
     "keep private and special-purpose addresses (a lab's own feed)"},
    {"iprep-categories", 0, TA_OPT_STR, OFF(iprep_categories), NULL, 0, 0, "FILE",
     "Suricata iprep categories (default: categories.txt beside the list)"},
};
static const struct ta_opt list_opts[] = {
    opt_db,
    {"kind", 0, TA_OPT_STR, OFF(kind), NULL, 0, 0, "KIND", "only this kind"},
    {"source", 0, TA_OPT_STR, OFF(source), NULL, 0, 0, "NAME", "only this source"},
    {"type", 0, TA_OPT_STR, OFF(type), NULL, 0, 0, "TYPE", "only this value type (ip, domain...)"},
    {"json", 0, TA_OPT_FLAG, OFF(json), NULL, 0, 0, NULL, "JSON lines instead of a table"},
};
static const struct ta_opt stats_opts[] = {opt_db};
static const struct ta_opt lookup_opts[] = {
    opt_db,
    {"kind", 0, TA_OPT_STR, OFF(kind), NULL, 0, 0, "KIND", "only matches of this kind"},
    {"json", 0, TA_OPT_FLAG, OFF(json), NULL, 0, 0, NULL, "JSON lines instead of a table"},
};
static const struct ta_opt expire_opts[] = {
    opt_db,
    {"before", 0, TA_OPT_STR, OFF(before), NULL, 0, 0, "YYYY-MM-DD",
     "delete indicators last valid before this day"},
};

static const struct ta_opt remove_opts[] = {
    opt_db,
    {"source", 0, TA_OPT_STR, OFF(source), NULL, 0, 0, "NAME", "the source removed (required)"},
    {"kind", 0, TA_OPT_STR, OFF(kind), NULL, 0, 0, "KIND", "only its indicators of this kind"},
    {"type", 0, TA_OPT_STR, OFF(type), NULL, 0, 0, "TYPE", "only its values of this type"},
};

#define SPEC(name, usage, summary, opts)                                                           \
    {                                                                                              \
        "intel " name, "intel " name " " usage, summary, opts, sizeof(opts) / sizeof(opts[0]),     \
            NULL                                                                                   \
    }

/* The epilog (formats and kinds, listed from the library) is set at run time. */
static struct ta_cmd_spec specs[] = {
    SPEC("import",
         "--db FILE [--format NAME] [--kind KIND] [--source NAME]\n"
         "                          [--confidence N] [--family NAME] [--valid-days N] "
         "[--misp-all]\n"
         "                          [--allow-private] [--iprep-categories FILE] PATH...",
         "Import feeds (files or directories of them) into the database. A value already\n"
         "stored from the same source as the same kind is updated, never duplicated; as\n"
         "another kind it is stored beside it ('intel remove' takes a kind out).",
         import_opts),
    SPEC("list", "--db FILE [--kind KIND] [--source NAME] [--type TYPE] [--json]",
         "List the stored indicators (tab-separated with a header line, or JSON lines).",
         list_opts),
    SPEC("stats", "--db FILE",
         "Count the stored indicators by kind, type and source, and list the imports.", stats_opts),
    SPEC("lookup", "--db FILE [--kind KIND] [--json] VALUE...",
         "Look values (address, address:port, domain, URL, hash) up through the match index\n"
         "as analyze does, with every indicator whatever its dates.\n"
         "Exit status 0 when something matched, 1 when nothing did.",
         lookup_opts),
    SPEC("expire", "--db FILE --before YYYY-MM-DD",
         "Delete the indicators last valid before a day.", expire_opts),
    SPEC("remove", "--db FILE --source NAME [--kind KIND] [--type TYPE]",
         "Delete the indicators of a source (only those of a kind or a type when given).",
         remove_opts),
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* "formats: ...\nkinds: ...\n" (formats only when asked), listed from the library. */
static const char *names_epilog(bool formats)
{
    static char buf[1024];
    size_t o = 0;
    if (formats)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "formats: ");
    for (int i = 1; formats && i < TA_INTEL_FMT__COUNT && o < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
                              ta_intel_format_name((enum ta_intel_format)i),
                              i + 1 < TA_INTEL_FMT__COUNT ? ", " : "\n");
    if (o < sizeof(buf))
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "kinds:   ");
    for (int i = 0; i < TA_INTEL_KIND__COUNT && o < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
                              ta_intel_kind_name((enum ta_intel_kind)i),
                              i + 1 < TA_INTEL_KIND__COUNT ? ", " : "\n");
    return buf;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: threatatlas intel import|list|stats|lookup|expire|remove --db FILE "
            "[options]\n"
            "  import   import feeds into the database\n"
            "  list     list the stored indicators\n"
            "  stats    count the stored indicators, list the imports\n"
            "  lookup   look values up as analyze does\n"
            "  expire   delete indicators last valid before a day\n"
            "  remove   delete the indicators of a source (of a kind)\n"
            "  fetch    download the feeds of a configuration file, replacing their sources\n"
            "options of each: threatatlas intel SUBCOMMAND --help\n\n%s",
            names_epilog(true));
}

struct args {
    const char *db;
    struct ta_intel_load_opts load;
    struct ta_intel_filter filter;
    const char *before;
    const char *iprep_path; /* --iprep-categories */
    bool json;
    bool stored; /* import: some file was stored */
    char **pos;
    int npos;
};

/*
 * Parse argv[1..] (argv[1] is the subcommand) with that subcommand's table:
 * 0 to run, -1 after --help, 1 after one error line. a->pos is allocated
 * in every case.
 */
static int parse_args(const struct ta_cmd_spec *spec, int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    a->pos = calloc((size_t)argc, sizeof(char *));
    if (a->pos == NULL)
        return 1;
    struct intel_cfg c = {0};
    struct ta_strlist ops = {0};
    int rc = ta_opts_parse_operands(spec, argc - 1, argv + 1, &c, &ops);
    for (size_t i = 0; i < ops.n; i++)
        a->pos[a->npos++] = (char *)ops.v[i];
    free(ops.v);
    if (rc != 0)
        return rc == 1 ? -1 : 1;
    a->db = c.db;
    a->before = c.before;
    a->json = c.json;
    a->load.misp_all = c.misp_all;
    a->load.allow_private = c.allow_private;
    a->iprep_path = c.iprep_categories;
    a->load.confidence = (int)c.confidence;
    a->load.valid_days = c.valid_days;
    a->load.family = c.family;
    a->load.source = c.source;
    a->filter.source = c.source;
    if (c.format != NULL && !ta_intel_format_parse(c.format, &a->load.format)) {
        ta_cli_error("%s: unknown format '%s' (see --help)", spec->name, c.format);
        return 1;
    }
    if (c.kind != NULL) {
        if (!ta_intel_kind_parse(c.kind, &a->load.kind)) {
            ta_cli_error("%s: unknown kind '%s' (see --help)", spec->name, c.kind);
            return 1;
        }
        a->load.have_kind = true;
        a->filter.have_kind = true;
        a->filter.kind = a->load.kind;
    }
    if (c.type != NULL) {
        if (!ta_intel_type_parse(c.type, &a->filter.type)) {
            ta_cli_error("%s: unknown type '%s'", spec->name, c.type);
            return 1;
        }
        a->filter.have_type = true;
    }
    if (a->db == NULL) {
        ta_cli_error("%s: --db FILE is required", spec->name);
        return 1;
    }
    return 0;
}

/* Readers (list, stats, lookup) open read-only: they never create or write a file. */
static int open_db(const struct args *a, bool writer, struct ta_intel_db **db)
{
    char err[512] = "";
    ta_err e = writer ? ta_intel_db_open(a->db, db, err, sizeof(err))
                      : ta_intel_db_open_readonly(a->db, db, err, sizeof(err));
    if (e != TA_OK) {
        ta_cli_error("%s", err[0] ? err : ta_strerror(e));
        return 1;
    }
    return 0;
}

/* 1234567 -> "1,234,567" */
static const char *thousands(uint64_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* "(3 c2, 2 malware-distribution, 1 allow)": the kinds stored, in kind order. */
static void print_kinds(FILE *f, const struct ta_intel_load_result *r)
{
    bool first = true;
    char b[32];
    for (int k = 0; k < TA_INTEL_KIND__COUNT; k++) {
        if (r->by_kind[k] == 0)
            continue;
        fprintf(f, "%s%s %s", first ? " (" : ", ", thousands(r->by_kind[k], b, sizeof(b)),
                ta_intel_kind_name((enum ta_intel_kind)k));
        first = false;
    }
    if (!first)
        fputc(')', f);
}

/* The kinds that were stored but will never raise a counted event, said plainly. */
static void print_silent(const char *path, const struct ta_intel_load_result *r)
{
    char line[512], b[32];
    size_t o = 0;
    for (int k = 0; k < TA_INTEL_KIND__COUNT; k++)
        if (r->by_kind[k] > 0 && ta_intel_kind_silent((enum ta_intel_kind)k) && o < sizeof(line))
            o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %s", o ? ", " : "",
                                  thousands(r->by_kind[k], b, sizeof(b)),
                                  ta_intel_kind_name((enum ta_intel_kind)k));
    if (o > 0 && o < sizeof(line))
        o += (size_t)snprintf(line + o, sizeof(line) - o, ": never counted on their own");
    uint64_t md = r->by_kind[TA_INTEL_KIND_MALWARE_DIST];
    if (md > 0 && o < sizeof(line))
        o += (size_t)snprintf(line + o, sizeof(line) - o,
                              "%s%s malware-distribution: payload events, never C&C", o ? "; " : "",
                              thousands(md, b, sizeof(b)));
    uint64_t al = r->by_kind[TA_INTEL_KIND_ALLOW];
    if (al > 0 && o < sizeof(line))
        snprintf(line + o, sizeof(line) - o, "%s%s allow: mark known-benign values, never events",
                 o ? "; " : "", thousands(al, b, sizeof(b)));
    if (o > 0 || al > 0)
        printf("%s: %s\n", path, line);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

struct file_ctx {
    const char *top;
    bool dir;
};

static void on_file(void *user, const struct ta_intel_file_report *rep)
{
    const struct file_ctx *c = user;
    const struct ta_intel_load_result *r = rep->counts;
    if (rep->skip_reason[0] != '\0') {
        printf("%s: skipped%s%s%s: %s\n", rep->file, rep->list[0] ? " (list " : "", rep->list,
               rep->list[0] ? ")" : "", rep->skip_reason);
        return;
    }
    /* A single file gets the summary line below; a directory one line per file. */
    if (!c->dir)
        return;
    printf("%s: %llu accepted", rep->file, (unsigned long long)r->accepted);
    print_kinds(stdout, r);
    if (r->rejected > 0)
        printf(", %llu rejected", (unsigned long long)r->rejected);
    if (r->unsupported > 0)
        printf(", %llu unsupported", (unsigned long long)r->unsupported);
    printf("\n");
}

/* true for a readable file holding nothing but white space. */
static bool blank_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    int c;
    while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
        ;
    fclose(f);
    return c == EOF;
}

static int cmd_import(struct args *a, struct ta_intel_db *db)
{
    if (a->npos == 0) {
        ta_cli_error("intel import: no input files");
        return 2;
    }
    if (a->load.format == TA_INTEL_FMT_PLAIN && !a->load.have_kind) {
        ta_cli_error("intel import: a plain list needs --kind");
        return 2;
    }
    char *cats = NULL;
    if (a->iprep_path != NULL) {
        FILE *f = fopen(a->iprep_path, "rb");
        size_t n = 0;
        cats = f != NULL ? malloc(65536) : NULL;
        if (cats != NULL) {
            n = fread(cats, 1, 65535, f);
            cats[n] = '\0';
        }
        /* A categories file is a few dozen lines: a larger one is not one. */
        bool big = cats != NULL && n == 65535 && fgetc(f) != EOF;
        if (f == NULL || cats == NULL || ferror(f) || big) {
            ta_cli_error("%s: cannot read the iprep categories: %s", a->iprep_path,
                         f == NULL ? strerror(errno)
                         : big     ? "larger than 64 KiB"
                                   : "read error");
            if (f != NULL)
                fclose(f);
            free(cats);
            return 1;
        }
        fclose(f);
        a->load.iprep_categories = cats;
    }
    int rc = 0;
    for (int i = 0; i < a->npos; i++) {
        struct ta_intel_load_result r;
        struct file_ctx fc = {a->pos[i], is_dir(a->pos[i])};
        /* A feed with nothing in it is most often a download that failed:
         * an error, before anything is written, rather than "0 accepted". */
        if (!fc.dir && blank_file(a->pos[i])) {
            ta_cli_error("%s: the feed is empty: nothing to import (a failed download?)",
                         a->pos[i]);
            rc = 1;
            continue;
        }
        a->load.on_file = on_file;
        a->load.on_file_user = &fc;
        ta_err e = ta_intel_db_import_path(db, a->pos[i], &a->load, &r);
        const char *fmt = r.format < TA_INTEL_FMT__COUNT ? ta_intel_format_name(r.format) : "mixed";
        for (size_t k = 0; k < r.nshown; k++)
            ta_cli_line(stderr, "%s:%llu: %s", r.shown[k].file[0] ? r.shown[k].file : a->pos[i],
                        (unsigned long long)r.shown[k].line, r.shown[k].reason);
        if (r.rejected > r.nshown)
            fprintf(stderr, "%s: ... %llu more rejected lines\n", a->pos[i],
                    (unsigned long long)(r.rejected - r.nshown));
        for (size_t k = 0; k < r.nunsup_shown; k++)
            ta_cli_line(stderr, "%s:%llu: unsupported: %s",
                        r.unsup_shown[k].file[0] ? r.unsup_shown[k].file : a->pos[i],
                        (unsigned long long)r.unsup_shown[k].line, r.unsup_shown[k].reason);
        if (e != TA_OK) {
            if (e == TA_ERR_FORMAT && r.format == TA_INTEL_FMT_AUTO)
                ta_cli_error("%s: cannot detect the feed format; give --format (or --kind for "
                             "a plain list)",
                             a->pos[i]);
            else if (e == TA_ERR_FORMAT)
                ta_cli_error("%s: nothing parsed as %s (%llu rejected); nothing stored", a->pos[i],
                             fmt, (unsigned long long)r.rejected);
            else if (e == TA_ERR_ARG)
                ta_cli_error("%s: a plain list needs --kind", a->pos[i]);
            else if (e == TA_ERR_DB)
                ta_cli_error("%s: database error: %s", a->pos[i], ta_intel_db_errmsg(db));
            else
                ta_cli_error("%s: %s", a->pos[i], ta_strerror(e));
            rc = 1;
            continue;
        }
        printf("%s: format %s: %llu accepted, %llu new, %llu updated, %llu rejected, "
               "%llu unsupported, %llu skipped",
               a->pos[i], fmt, (unsigned long long)r.accepted, (unsigned long long)r.inserted,
               (unsigned long long)r.updated, (unsigned long long)r.rejected,
               (unsigned long long)r.unsupported, (unsigned long long)r.skipped);
        if (fc.dir)
            printf(", %llu files, %llu skipped files", (unsigned long long)r.files,
                   (unsigned long long)r.files_skipped);
        a->stored = true;
        print_kinds(stdout, &r);
        printf("\n");
        if (r.reserved > 0)
            printf("%s: %llu of the rejected are not public addresses (private, loopback, "
                   "documentation ...; --allow-private keeps them)\n",
                   a->pos[i], (unsigned long long)r.reserved);
        print_silent(a->pos[i], &r);
    }
    free(cats);
    a->load.iprep_categories = NULL;
    return rc;
}

static void fmt_day(ta_time_us t, char *buf, size_t len)
{
    if (t == 0) {
        snprintf(buf, len, "-");
        return;
    }
    char full[TA_TS_STRLEN];
    ta_time_format(t, full, sizeof(full));
    snprintf(buf, len, "%.10s", full);
}

struct list_ctx {
    bool json;
    struct ta_json j;
    uint64_t n;
};

static ta_err list_cb(void *user, const struct ta_intel_indicator *ind)
{
    struct list_ctx *c = user;
    c->n++;
    if (c->json) {
        ta_json_reset(&c->j);
        ta_json_obj_open(&c->j);
        ta_json_kv_str(&c->j, "value", ind->value);
        ta_json_kv_str(&c->j, "type", ta_intel_type_name(ind->type));
        ta_json_kv_str(&c->j, "kind", ta_intel_kind_name(ind->kind));
        ta_json_kv_str(&c->j, "source", ind->source);
        ta_json_kv_uint(&c->j, "confidence", ind->confidence);
        if (ind->family[0])
            ta_json_kv_str(&c->j, "family", ind->family);
        if (ind->brand[0])
            ta_json_kv_str(&c->j, "brand", ind->brand);
        if (ind->country[0])
            ta_json_kv_str(&c->j, "country", ind->country);
        if (ind->first_seen)
            ta_json_kv_time(&c->j, "first_seen", ind->first_seen);
        if (ind->last_seen)
            ta_json_kv_time(&c->j, "last_seen", ind->last_seen);
        if (ind->valid_until)
            ta_json_kv_time(&c->j, "valid_until", ind->valid_until);
        ta_json_obj_close(&c->j);
        return ta_json_write_line(&c->j, stdout) ? TA_OK : TA_ERR_IO;
    }
    char f[16], l[16];
    fmt_day(ind->first_seen, f, sizeof(f));
    fmt_day(ind->last_seen, l, sizeof(l));
    printf("%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\n", ind->value, ta_intel_type_name(ind->type),
           ta_intel_kind_name(ind->kind), ind->source, ind->confidence,
           ind->family[0] ? ind->family : "-", f, l);
    return TA_OK;
}

static int cmd_list(struct args *a, struct ta_intel_db *db)
{
    struct list_ctx c = {.json = a->json};
    ta_json_init(&c.j);
    if (!a->json)
        printf("value\ttype\tkind\tsource\tconfidence\tfamily\tfirst_seen\tlast_seen\n");
    ta_err e = ta_intel_db_list(db, &a->filter, list_cb, &c);
    ta_json_release(&c.j);
    if (e != TA_OK) {
        ta_cli_error("intel list: %s: %s", ta_strerror(e), ta_intel_db_errmsg(db));
        return 1;
    }
    return 0;
}

static void stats_count(void *user, const char *what, const char *name, uint64_t count)
{
    (void)user;
    printf("%-8s %-24s %llu\n", what, name, (unsigned long long)count);
}

static void stats_run(void *user, const struct ta_intel_import_run *r)
{
    (void)user;
    char at[TA_TS_STRLEN];
    ta_time_format(r->at, at, sizeof(at));
    printf("import   #%lld %.19s %s [%s] accepted %llu new %llu updated %llu rejected %llu "
           "unsupported %llu\n",
           (long long)r->id, at, r->file, r->format[0] ? r->format : "failed",
           (unsigned long long)r->accepted, (unsigned long long)r->inserted,
           (unsigned long long)r->updated, (unsigned long long)r->rejected,
           (unsigned long long)r->unsupported);
}

static int cmd_stats(struct ta_intel_db *db)
{
    ta_err e = ta_intel_db_stats(db, stats_count, stats_run, NULL);
    if (e != TA_OK) {
        ta_cli_error("intel stats: %s", ta_intel_db_errmsg(db));
        return 1;
    }
    return 0;
}

static void print_match(const struct ta_intel_index *idx, const char *query,
                        const struct ta_intel_match *m, bool json)
{
    if (json) {
        struct ta_json j;
        ta_json_init(&j);
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "query", query);
        ta_json_kv_str(&j, "value", m->value);
        ta_json_kv_str(&j, "type", ta_intel_type_name(m->type));
        ta_json_kv_str(&j, "kind", ta_intel_kind_name(m->kind));
        ta_json_kv_uint(&j, "confidence", m->confidence);
        if (m->family[0])
            ta_json_kv_str(&j, "family", m->family);
        if (m->brand[0])
            ta_json_kv_str(&j, "brand", m->brand);
        ta_json_key(&j, "sources");
        ta_json_arr_open(&j);
        for (uint32_t i = 0; i < m->nsources; i++) {
            struct ta_intel_source_info s;
            ta_intel_match_source(idx, m, i, &s);
            ta_json_obj_open(&j);
            ta_json_kv_str(&j, "source", s.source);
            ta_json_kv_uint(&j, "confidence", s.confidence);
            if (s.family[0])
                ta_json_kv_str(&j, "family", s.family);
            ta_json_obj_close(&j);
        }
        ta_json_arr_close(&j);
        ta_json_obj_close(&j);
        ta_json_write_line(&j, stdout);
        ta_json_release(&j);
        return;
    }
    printf("%s\tmatch\t%s\t%s\t%s\tconfidence=%u", query, m->value, ta_intel_type_name(m->type),
           ta_intel_kind_name(m->kind), m->confidence);
    if (m->family[0])
        printf("\tfamily=%s", m->family);
    if (m->brand[0])
        printf("\tbrand=%s", m->brand);
    printf("\tsources=");
    for (uint32_t i = 0; i < m->nsources; i++) {
        struct ta_intel_source_info s;
        ta_intel_match_source(idx, m, i, &s);
        printf("%s%s", i ? "," : "", s.source);
    }
    printf("\n");
}

static int cmd_lookup(struct args *a, struct ta_intel_db *db)
{
    struct ta_intel_index *idx;
    struct ta_intel_index_opts io;
    ta_intel_index_opts_default(&io);
    ta_err e = ta_intel_index_build(db, &io, &idx);
    if (e != TA_OK) {
        ta_cli_error("intel lookup: building the index: %s", ta_strerror(e));
        return 1;
    }
    uint32_t kinds = a->filter.have_kind ? TA_INTEL_KIND_BIT(a->filter.kind) : 0;
    int found = 0;
    for (int i = 0; i < a->npos; i++) {
        const char *q = a->pos[i];
        size_t ql = strlen(q);
        struct ta_intel_match m[16];
        size_t n = 0;
        struct ta_addr addr;
        enum ta_intel_type t = TA_INTEL_TYPE__COUNT;
        char canon[TA_INTEL_URL_MAX + 32];
        struct ta_intel_match al;
        bool allowed = false;
        /* No observation time: every indicator, dated or not. A bare address
         * is a lookup without a port: IP:port indicators need "ip:port". */
        if (ta_addr_parse(&addr, q)) {
            n = ta_intel_match_ip(idx, &addr, 0, 0, kinds, m, 16);
            allowed = ta_intel_allow_ip(idx, &addr, &al);
        } else if (ta_intel_value_canon(q, ql, &t, canon, sizeof(canon), NULL)) {
            if (t == TA_INTEL_IP_PORT) {
                char *colon = strrchr(canon, ':');
                *colon = '\0';
                char *as = canon[0] == '[' ? canon + 1 : canon;
                if (as != canon)
                    as[strlen(as) - 1] = '\0';
                if (ta_addr_parse(&addr, as)) {
                    n = ta_intel_match_ip(idx, &addr, (uint16_t)atoi(colon + 1), 0, kinds, m, 16);
                    allowed = ta_intel_allow_ip(idx, &addr, &al);
                }
            } else if (t == TA_INTEL_DOMAIN) {
                n = ta_intel_match_domain(idx, q, ql, 0, kinds, m, 16);
                allowed = ta_intel_allow_domain(idx, q, ql, NULL, &al);
            } else if (t == TA_INTEL_URL || t == TA_INTEL_URL_PATH) {
                n = ta_intel_match_url(idx, q, ql, 0, kinds, m, 16);
                allowed = ta_intel_allow_url(idx, q, ql, &al);
            } else if (t >= TA_INTEL_JA3) {
                n = ta_intel_match_hash(idx, t, q, ql, 0, kinds, m, 16);
                if (n == 0 && t == TA_INTEL_MD5)
                    n = ta_intel_match_hash(idx, TA_INTEL_JA3, q, ql, 0, kinds, m, 16);
            }
        }
        for (size_t k = 0; k < n; k++)
            print_match(idx, q, &m[k], a->json);
        if (n > 0)
            found++;
        /* An allow entry is shown beside the matches it would mark. */
        if (allowed && !a->json) {
            struct ta_intel_source_info si;
            ta_intel_match_source(idx, &al, 0, &si);
            printf("%s\tallowlisted\t%s\t%s\n", q, si.source, al.value);
        } else if (n == 0 && !a->json) {
            printf("%s\tnone\n", q);
        }
    }
    ta_intel_index_free(idx);
    /* Like grep: 0 when something matched, 1 when nothing did. */
    return found > 0 ? 0 : 1;
}

static int cmd_expire(struct args *a, struct ta_intel_db *db)
{
    ta_time_us t;
    if (a->before == NULL || !ta_date_parse(a->before, &t)) {
        ta_cli_error("intel expire: --before YYYY-MM-DD is required");
        return 2;
    }
    uint64_t n;
    ta_err e = ta_intel_db_expire(db, t, &n);
    if (e != TA_OK) {
        ta_cli_error("intel expire: %s", ta_intel_db_errmsg(db));
        return 1;
    }
    printf("expired %llu indicators last valid before %s\n", (unsigned long long)n, a->before);
    return 0;
}

static int cmd_remove(struct args *a, struct ta_intel_db *db)
{
    if (a->filter.source == NULL) {
        ta_cli_error("intel remove: --source NAME is required");
        return 2;
    }
    uint64_t n;
    if (ta_intel_db_remove(db, &a->filter, &n) != TA_OK) {
        ta_cli_error("intel remove: %s", ta_intel_db_errmsg(db));
        return 1;
    }
    printf("removed %llu indicators of source %s\n", (unsigned long long)n, a->filter.source);
    return 0;
}

static void on_lock_wait(void *ctx, const char *holder)
{
    fprintf(stderr, "intel %s: waiting for %s to finish\n", (const char *)ctx, holder);
}

int ta_cli_intel(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "fetch") == 0)
        return ta_cli_intel_fetch(argc - 1, argv + 1);
    struct ta_cmd_spec *spec = NULL;
    for (size_t i = 0; i < NSPECS; i++)
        if (strcmp(sub, specs[i].name + 6) == 0)
            spec = &specs[i];
    if (spec == NULL) {
        ta_cli_error("intel: unknown subcommand '%s' (see 'threatatlas intel --help')", sub);
        return 2;
    }
    if (spec->opts != stats_opts && spec->opts != expire_opts && spec->opts != remove_opts)
        spec->epilog = names_epilog(spec->opts == import_opts);
    struct args a;
    int rc = parse_args(spec, argc, argv, &a);
    if (rc != 0) {
        free(a.pos);
        return rc < 0 ? 0 : 2;
    }
    if (strcmp(sub, "lookup") == 0 && a.npos == 0) {
        ta_cli_error("intel lookup: no values to look up (see 'threatatlas intel lookup --help')");
        free(a.pos);
        return 2;
    }
    /* Writers of the database take its writer lock (see threatatlas/store.h),
     * so an import never fails half-way against an analysis. */
    /* Writers that only delete never create a database. */
    bool deleter = strcmp(sub, "expire") == 0 || strcmp(sub, "remove") == 0;
    if (deleter && a.db != NULL && access(a.db, F_OK) != 0) {
        ta_cli_error("intel %s: %s: no such database", sub, a.db);
        free(a.pos);
        return 1;
    }
    struct ta_store_lock *lock = NULL;
    bool writer = strcmp(sub, "import") == 0 || deleter;
    if (a.db != NULL && writer) {
        char holder[64], lerr[TA_STORE_ERRLEN];
        snprintf(holder, sizeof(holder), "intel %s (pid %ld)", sub, (long)getpid());
        if (ta_store_lock_take(a.db, holder, -1, on_lock_wait, (void *)sub, &lock, lerr) != TA_OK) {
            ta_cli_error("intel %s: %s", sub, lerr);
            free(a.pos);
            return 1;
        }
    }
    struct ta_intel_db *db;
    if (open_db(&a, writer, &db) != 0) {
        ta_store_lock_release_undo(lock);
        free(a.pos);
        return 1;
    }
    if (strcmp(sub, "import") == 0)
        rc = cmd_import(&a, db);
    else if (strcmp(sub, "list") == 0)
        rc = cmd_list(&a, db);
    else if (strcmp(sub, "stats") == 0)
        rc = cmd_stats(db);
    else if (strcmp(sub, "lookup") == 0)
        rc = cmd_lookup(&a, db);
    else if (strcmp(sub, "remove") == 0)
        rc = cmd_remove(&a, db);
    else
        rc = cmd_expire(&a, db);
    ta_intel_db_close(db);
    /* An import that stored nothing leaves no new database behind. */
    if (rc != 0 && !a.stored)
        ta_store_lock_release_undo(lock);
    else
        ta_store_lock_release(lock);
    free(a.pos);
    return rc;
}
