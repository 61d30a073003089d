/*
 * The service configuration file: YAML read event by event with libyaml,
 * into key/value lists that remember their line, so every mistake is
 * reported as FILE:LINE. Only the shapes the format documents are accepted
 * (docs/sensor.md): anything else is an error, never ignored.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/cli-config.h"

#include "common/banned.h"

/* A configuration is a few dozen lines: a larger one is a mistake. */
#define CONFIG_MAX_ITEMS 4096

struct rd {
    yaml_parser_t p;
    yaml_event_t ev;
    bool have;
    const char *path;
    char *err;
    size_t errlen;
    size_t items;
};

static bool next(struct rd *r)
{
    if (r->have)
        yaml_event_delete(&r->ev);
    r->have = false;
    if (!yaml_parser_parse(&r->p, &r->ev)) {
        snprintf(r->err, r->errlen, "%s:%zu: %s", r->path, r->p.problem_mark.line + 1,
                 r->p.problem != NULL ? r->p.problem : "not valid YAML");
        return false;
    }
    r->have = true;
    return true;
}

static unsigned line_of(const struct rd *r)
{
    return (unsigned)r->ev.start_mark.line + 1;
}

static bool bad(struct rd *r, const char *why)
{
    snprintf(r->err, r->errlen, "%s:%u: %s", r->path, line_of(r), why);
    return false;
}

static char *scalar_dup(const struct rd *r)
{
    return strndup((const char *)r->ev.data.scalar.value, r->ev.data.scalar.length);
}

static bool add(struct rd *r, struct ta_cli_kvlist *l, const char *key, unsigned line)
{
    if (++r->items > CONFIG_MAX_ITEMS)
        return bad(r, "too many entries");
    struct ta_cli_kv *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (nv == NULL)
        return bad(r, "out of memory");
    l->v = nv;
    struct ta_cli_kv *kv = &l->v[l->n];
    kv->key = strdup(key);
    kv->value = scalar_dup(r);
    kv->line = line;
    if (kv->key == NULL || kv->value == NULL) {
        free(kv->key);
        free(kv->value);
        return bad(r, "out of memory");
    }
    l->n++;
    return true;
}

/* A mapping of key: scalar (or, with lists, key: [scalars]); the start event is current. */
static bool read_map(struct rd *r, struct ta_cli_kvlist *l, bool lists)
{
    l->line = line_of(r);
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            return true;
        if (r->ev.type != YAML_SCALAR_EVENT)
            return bad(r, "expected a key");
        char *key = scalar_dup(r);
        if (key == NULL)
            return bad(r, "out of memory");
        unsigned kline = line_of(r);
        bool ok = next(r);
        if (ok && r->ev.type == YAML_SCALAR_EVENT) {
            ok = add(r, l, key, kline);
        } else if (ok && lists && r->ev.type == YAML_SEQUENCE_START_EVENT) {
            while (ok && (ok = next(r)) && r->ev.type != YAML_SEQUENCE_END_EVENT) {
                if (r->ev.type != YAML_SCALAR_EVENT)
                    ok = bad(r, "expected a plain value in the list");
                else
                    ok = add(r, l, key, line_of(r));
            }
        } else if (ok) {
            ok = bad(r, lists ? "expected a value or a list of values" : "expected a plain value");
        }
        free(key);
        if (!ok)
            return false;
    }
}

static bool read_feeds(struct rd *r, struct ta_cli_config *cfg)
{
    if (r->ev.type != YAML_SEQUENCE_START_EVENT)
        return bad(r, "feeds: expected a list of feeds (- name: ...)");
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT)
            return true;
        if (r->ev.type != YAML_MAPPING_START_EVENT)
            return bad(r, "feeds: each feed is a mapping (name: ..., url: ...)");
        if (cfg->nfeeds >= 1024)
            return bad(r, "too many feeds");
        struct ta_cli_kvlist *nf = realloc(cfg->feeds, (cfg->nfeeds + 1) * sizeof(*nf));
        if (nf == NULL)
            return bad(r, "out of memory");
        cfg->feeds = nf;
        memset(&cfg->feeds[cfg->nfeeds], 0, sizeof(*nf));
        cfg->nfeeds++;
        if (!read_map(r, &cfg->feeds[cfg->nfeeds - 1], false))
            return false;
    }
}

static bool read_doc(struct rd *r, struct ta_cli_config *cfg)
{
    if (!next(r) || r->ev.type != YAML_STREAM_START_EVENT)
        return r->have ? bad(r, "not a YAML stream") : false;
    if (!next(r))
        return false;
    if (r->ev.type == YAML_STREAM_END_EVENT)
        return bad(r, "the file is empty");
    if (!next(r))
        return false;
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return bad(r, "expected the sections sensor: and feeds:");
    bool seen_sensor = false, seen_feeds = false;
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (r->ev.type != YAML_SCALAR_EVENT)
            return bad(r, "expected a section name");
        char name[16];
        snprintf(name, sizeof(name), "%.*s", (int)r->ev.data.scalar.length,
                 (const char *)r->ev.data.scalar.value);
        bool is_sensor = strcmp(name, "sensor") == 0, is_feeds = strcmp(name, "feeds") == 0;
        if (!is_sensor && !is_feeds)
            return bad(r, "unknown section (expected sensor: or feeds:)");
        if ((is_sensor && seen_sensor) || (is_feeds && seen_feeds))
            return bad(r, "section given twice");
        if (!next(r))
            return false;
        if (is_sensor) {
            seen_sensor = true;
            if (r->ev.type != YAML_MAPPING_START_EVENT)
                return bad(r, "sensor: expected a mapping of options");
            if (!read_map(r, &cfg->sensor, true))
                return false;
        } else {
            seen_feeds = true;
            if (!read_feeds(r, cfg))
                return false;
        }
    }
    if (!next(r))
        return false;
    if (r->ev.type != YAML_DOCUMENT_END_EVENT)
        return bad(r, "expected the end of the document");
    if (!next(r))
        return false;
    if (r->ev.type != YAML_STREAM_END_EVENT)
        return bad(r, "only one YAML document is read");
    return true;
}

bool ta_cli_config_load(const char *path, struct ta_cli_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = path;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return false;
    }
    struct rd r;
    memset(&r, 0, sizeof(r));
    r.path = path;
    r.err = err;
    r.errlen = errlen;
    if (!yaml_parser_initialize(&r.p)) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return false;
    }
    yaml_parser_set_input_file(&r.p, f);
    bool ok = read_doc(&r, cfg);
    if (r.have)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.p);
    fclose(f);
    if (!ok)
        ta_cli_config_free(cfg);
    return ok;
}

static void free_list(struct ta_cli_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void ta_cli_config_free(struct ta_cli_config *cfg)
{
    free_list(&cfg->sensor);
    for (size_t i = 0; i < cfg->nfeeds; i++)
        free_list(&cfg->feeds[i]);
    free(cfg->feeds);
    cfg->feeds = NULL;
    cfg->nfeeds = 0;
}
