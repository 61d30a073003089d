/*
 * Table-driven option parsing shared by every subcommand: defaults,
 * parsing, bounds checks and --help all come from one struct ta_opt table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#include "common/banned.h"

static void *field(void *cfg, const struct ta_opt *o)
{
    return (char *)cfg + o->offset;
}

/* A decimal integer; with bytes, optionally followed by K, M or G (powers of 1024). */
static bool parse_u64(const char *s, uint64_t *out, bool bytes)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    if (bytes && *end != '\0' && end[1] == '\0') {
        unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if (shift == 0 || v > (UINT64_MAX >> shift))
            return false;
        v <<= shift;
        end++;
    }
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

static int parse_args(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg, bool *given,
                      struct ta_strlist *operands);

/* Append one borrowed string to a list; false when out of memory. */
static bool list_add(struct ta_strlist *l, const char *val)
{
    const char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (nv == NULL)
        return false;
    l->v = nv;
    l->v[l->n++] = val;
    return true;
}

/* Store one value; prints the error line and returns false when invalid. */
static bool set_value(const struct ta_cmd_spec *spec, const struct ta_opt *o, void *cfg,
                      const char *val)
{
    switch (o->type) {
    case TA_OPT_FLAG:
        *(bool *)field(cfg, o) = val == NULL || strcmp(val, "true") == 0;
        return true;
    case TA_OPT_STR:
        *(const char **)field(cfg, o) = val;
        return true;
    case TA_OPT_STRLIST:
        if (!list_add(field(cfg, o), val)) {
            ta_cli_error("%s: out of memory", spec->name);
            return false;
        }
        return true;
    case TA_OPT_SEQ: {
        struct ta_argseq *q = field(cfg, o);
        struct ta_argseq_item *nv = realloc(q->v, (q->n + 1) * sizeof(*nv));
        if (nv == NULL) {
            ta_cli_error("%s: out of memory", spec->name);
            return false;
        }
        q->v = nv;
        q->v[q->n].opt = o->name;
        q->v[q->n++].val = val;
        return true;
    }
    case TA_OPT_U32:
    case TA_OPT_U64: {
        uint64_t v;
        bool bytes = o->metavar != NULL && strcmp(o->metavar, "BYTES") == 0;
        if (!parse_u64(val, &v, bytes)) {
            ta_cli_error("%s: --%s: '%s' is not a number", spec->name, o->name, val);
            return false;
        }
        if (v < o->min || v > o->max) {
            ta_cli_error("%s: --%s: %s is out of range (%llu..%llu)", spec->name, o->name, val,
                         (unsigned long long)o->min, (unsigned long long)o->max);
            return false;
        }
        if (o->type == TA_OPT_U32)
            *(uint32_t *)field(cfg, o) = (uint32_t)v;
        else
            *(uint64_t *)field(cfg, o) = v;
        return true;
    }
    }
    return false;
}

void ta_opts_help(const struct ta_cmd_spec *spec, FILE *f)
{
    fprintf(f, "usage: threatatlas %s\n\n%s\n\noptions:\n", spec->usage, spec->summary);
    for (size_t i = 0; i < spec->nopts; i++) {
        const struct ta_opt *o = &spec->opts[i];
        char lhs[64];
        const char *mv = o->type == TA_OPT_FLAG ? "" : (o->metavar ? o->metavar : "VALUE");
        if (o->short_name)
            snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->short_name, o->name, *mv ? " " : "", mv);
        else
            snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, *mv ? " " : "", mv);
        fprintf(f, "  %-28s %s", lhs, o->help);
        if (o->type == TA_OPT_U32 || o->type == TA_OPT_U64)
            fprintf(f, " (%llu..%llu", (unsigned long long)o->min, (unsigned long long)o->max);
        if (o->def != NULL && o->type != TA_OPT_FLAG)
            fprintf(f, "%sdefault %s)",
                    (o->type == TA_OPT_U32 || o->type == TA_OPT_U64) ? ", " : " (", o->def);
        else if (o->type == TA_OPT_U32 || o->type == TA_OPT_U64)
            fputc(')', f);
        fputc('\n', f);
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help and exit");
    if (spec->epilog != NULL)
        fprintf(f, "\n%s", spec->epilog);
}

int ta_opts_parse(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg)
{
    return ta_opts_parse_operands(spec, argc, argv, cfg, NULL);
}

int ta_opts_parse_operands(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg,
                           struct ta_strlist *operands)
{
    for (size_t i = 0; i < spec->nopts; i++)
        if (spec->opts[i].def != NULL && !set_value(spec, &spec->opts[i], cfg, spec->opts[i].def))
            return 2;
    /* Options given on the command line, so that a repeated one is refused
     * rather than the last one silently winning (lists may repeat). */
    bool *given = calloc(spec->nopts ? spec->nopts : 1, sizeof(*given));
    if (given == NULL) {
        ta_cli_error("%s: out of memory", spec->name);
        return 2;
    }
    int rc = parse_args(spec, argc, argv, cfg, given, operands);
    free(given);
    return rc;
}

static int parse_args(const struct ta_cmd_spec *spec, int argc, char **argv, void *cfg, bool *given,
                      struct ta_strlist *operands)
{
    bool only_operands = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct ta_opt *o = NULL;
        const char *val = NULL;
        bool inline_val = false;
        bool is_opt = !only_operands && a[0] == '-' && a[1] != '\0';
        if (operands != NULL && !is_opt) {
            if (!list_add(operands, a)) {
                ta_cli_error("%s: out of memory", spec->name);
                return 2;
            }
            continue;
        }
        if (operands != NULL && strcmp(a, "--") == 0) {
            only_operands = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ta_opts_help(spec, stdout);
            return 1;
        }
        if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            for (size_t k = 0; k < spec->nopts; k++)
                if (strlen(spec->opts[k].name) == nlen &&
                    strncmp(spec->opts[k].name, name, nlen) == 0)
                    o = &spec->opts[k];
            if (o != NULL && eq != NULL) {
                val = eq + 1;
                inline_val = true;
            }
        } else if (a[0] == '-' && a[1] != '\0' && a[1] != '-') {
            for (size_t k = 0; k < spec->nopts; k++)
                if (spec->opts[k].short_name == a[1])
                    o = &spec->opts[k];
            if (o != NULL && a[2] != '\0') {
                val = a + 2;
                inline_val = true;
            }
        } else {
            ta_cli_error("%s: unexpected argument '%s' (see 'threatatlas %s --help')", spec->name,
                         a, spec->name);
            return 2;
        }
        if (o == NULL) {
            ta_cli_error("%s: unknown option '%s' (see 'threatatlas %s --help')", spec->name, a,
                         spec->name);
            return 2;
        }
        if (o->type == TA_OPT_FLAG) {
            if (inline_val) {
                ta_cli_error("%s: option '%s' takes no value", spec->name, a);
                return 2;
            }
        } else if (!inline_val) {
            if (i + 1 >= argc) {
                ta_cli_error("%s: option '%s' needs a value (%s)", spec->name, a,
                             o->metavar ? o->metavar : "VALUE");
                return 2;
            }
            val = argv[++i];
        }
        size_t k = (size_t)(o - spec->opts);
        if (given[k] && o->type != TA_OPT_STRLIST && o->type != TA_OPT_SEQ) {
            ta_cli_error("%s: option --%s given twice", spec->name, o->name);
            return 2;
        }
        given[k] = true;
        if (!set_value(spec, o, cfg, val))
            return 2;
    }
    return 0;
}

void ta_opts_release(const struct ta_cmd_spec *spec, void *cfg)
{
    for (size_t i = 0; i < spec->nopts; i++) {
        if (spec->opts[i].type == TA_OPT_STRLIST) {
            struct ta_strlist *l = field(cfg, &spec->opts[i]);
            free(l->v);
            l->v = NULL;
            l->n = 0;
        } else if (spec->opts[i].type == TA_OPT_SEQ) {
            /* Several options share the field: the first frees it, the others see NULL. */
            struct ta_argseq *q = field(cfg, &spec->opts[i]);
            free(q->v);
            q->v = NULL;
            q->n = 0;
        }
    }
}
