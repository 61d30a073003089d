/*
 * Observation sources: kind names, sniffing a file's kind, and the registry
 * of readers by kind (threatatlas/obsrc.h). Packet captures are not here:
 * the pipeline opens TA_INPUT_PCAP through threatatlas/source.h.
 */
#include "threatatlas/obsrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sources/obsrc-int.h"

#include "common/banned.h"

static const char *const kind_names[TA_INPUT__COUNT] = {"auto", "pcap", "flows",
                                                        "eve",  "zeek", "access-log"};

const char *ta_input_kind_name(enum ta_input_kind k)
{
    return (unsigned)k < TA_INPUT__COUNT ? kind_names[k] : "?";
}

bool ta_input_kind_parse(const char *name, enum ta_input_kind *out)
{
    for (unsigned k = 0; k < TA_INPUT__COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (enum ta_input_kind)k;
            return true;
        }
    return false;
}

static bool has_prefix(const uint8_t *h, size_t n, const char *pfx)
{
    size_t k = strlen(pfx);
    return n >= k && memcmp(h, pfx, k) == 0;
}

/* Whether the first line (up to n bytes) contains s. */
static bool line_has(const uint8_t *h, size_t n, const char *s)
{
    const uint8_t *nl = memchr(h, '\n', n);
    size_t len = nl != NULL ? (size_t)(nl - h) : n;
    size_t k = strlen(s);
    for (size_t i = 0; k <= len && i <= len - k; i++)
        if (memcmp(h + i, s, k) == 0)
            return true;
    return false;
}

enum ta_input_kind ta_input_kind_sniff(const uint8_t *h, size_t n)
{
    if (n >= 4) {
        uint32_t be = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (be == 0xa1b2c3d4u || be == 0xd4c3b2a1u || be == 0xa1b23c4du || be == 0x4d3cb2a1u ||
            be == 0x0a0d0d0au)
            return TA_INPUT_PCAP;
    }
    /*
     * Text inputs. Only shapes no other kind shares: an EVE record's first
     * members, Zeek's header lines, W3C's header, an access-log line.
     */
    if (has_prefix(h, n, "{\"timestamp\":") && line_has(h, n, "\"event_type\":"))
        return TA_INPUT_EVE;
    if (has_prefix(h, n, "#separator ") ||
        (has_prefix(h, n, "{\"ts\":") && line_has(h, n, "\"uid\":")))
        return TA_INPUT_ZEEK;
    if (has_prefix(h, n, "#Software: Microsoft Internet Information Services") ||
        (line_has(h, n, " - - [") && line_has(h, n, "] \"")))
        return TA_INPUT_ACCESS_LOG;
    return TA_INPUT_AUTO;
}

ta_err ta_input_kind_detect(const char *path, enum ta_input_kind *out, char *errbuf, size_t errlen)
{
    *out = TA_INPUT_AUTO;
    /* gzread passes a file that is not gzip-compressed through unchanged. */
    gzFile g = gzopen(path, "rb");
    if (g == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno ? errno : ENOMEM));
        return TA_ERR_IO;
    }
    uint8_t head[512];
    int r = gzread(g, head, sizeof(head));
    gzclose(g);
    if (r < 0) {
        /* A damaged gzip stream: the packet source says what is wrong with it. */
        *out = TA_INPUT_AUTO;
        return TA_OK;
    }
    *out = ta_input_kind_sniff(head, (size_t)r);
    return TA_OK;
}

void ta_obsrc_opts_default(struct ta_obsrc_opts *o)
{
    memset(o, 0, sizeof(*o));
    ta_source_opts_default(&o->source);
    o->max_templates = 4096;
    o->template_timeout_s = 1800;
    o->max_exporters = 1024;
    o->rcvbuf = 8u << 20;
}

bool ta_obsrc_is_address(const char *where)
{
    return strncmp(where, "udp://", 6) == 0;
}

/*
 * The registry: one reader per kind. A kind without a reader yet is NULL
 * and opening it says so. The readers of Suricata EVE, Zeek logs and access
 * logs go in the marked entries.
 */
static const struct ta_obsrc_ops *reader(enum ta_input_kind k)
{
    switch (k) {
    case TA_INPUT_FLOWS:
        return &ta__obsrc_flows;
    case TA_INPUT_EVE:
        return &ta__obsrc_eve;
    case TA_INPUT_ZEEK:
        return &ta__obsrc_zeek;
    case TA_INPUT_ACCESS_LOG:
        return &ta__obsrc_access_log;
    case TA_INPUT_AUTO:
    case TA_INPUT_PCAP:
    case TA_INPUT__COUNT:
        break;
    }
    return NULL;
}

struct ta_obsrc {
    const struct ta_obsrc_ops *ops;
    void *state;
    char *name;
    struct ta_engine *engine;
    volatile sig_atomic_t stop;
};

ta_err ta_obsrc_open(enum ta_input_kind kind, const char *where, const struct ta_obsrc_opts *o,
                     struct ta_obsrc **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    const struct ta_obsrc_ops *ops = reader(kind);
    if (ops == NULL) {
        snprintf(errbuf, errlen, "%s: reading %s input is not supported yet", where,
                 ta_input_kind_name(kind));
        return TA_ERR_UNSUPPORTED;
    }
    struct ta_obsrc *s = calloc(1, sizeof(*s));
    char *name = strdup(where);
    if (s == NULL || name == NULL) {
        free(s);
        free(name);
        snprintf(errbuf, errlen, "%s: out of memory", where);
        return TA_ERR_NOMEM;
    }
    s->ops = ops;
    s->name = name;
    ta_err te = ops->open(where, o, &s->state, errbuf, errlen);
    if (te != TA_OK) {
        free(s->name);
        free(s);
        return te;
    }
    *out = s;
    return TA_OK;
}

ta_err ta_obsrc_run(struct ta_obsrc *s, const struct ta_obs_sink *out, void (*tick)(void *ud),
                    void *tick_ud, char *errbuf, size_t errlen)
{
    struct ta_obsrc_run r = {
        .out = out, .stop = &s->stop, .tick = tick, .tick_ud = tick_ud, .engine = s->engine};
    if (s->stop)
        return TA_ERR_INTERRUPTED;
    return s->ops->run(s->state, &r, errbuf, errlen);
}

void ta_obsrc_share(struct ta_obsrc *s, struct ta_obsrc *first)
{
    if (s->ops == first->ops && s->ops->share != NULL)
        s->ops->share(s->state, first->state);
}

void ta_obsrc_set_engine(struct ta_obsrc *s, struct ta_engine *e)
{
    s->engine = e;
}

void ta_obsrc_stop(struct ta_obsrc *s)
{
    s->stop = 1;
}

void ta_obsrc_get_stats(const struct ta_obsrc *s, struct ta_obsrc_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (s->ops->stats != NULL)
        s->ops->stats(s->state, st);
}

size_t ta_obsrc_files(const struct ta_obsrc *s, const char **out, size_t max)
{
    if (s->ops->files != NULL)
        return s->ops->files(s->state, out, max);
    if (max > 0)
        out[0] = s->name;
    return 1;
}

size_t ta_obsrc_origins(const struct ta_obsrc *s, struct ta_obsrc_origin *out, size_t max)
{
    return s->ops->origins != NULL ? s->ops->origins(s->state, out, max) : 0;
}

enum ta_input_kind ta_obsrc_kind(const struct ta_obsrc *s)
{
    return s->ops->kind;
}

const char *ta_obsrc_name(const struct ta_obsrc *s)
{
    return s->name;
}

bool ta_obsrc_live(const struct ta_obsrc *s)
{
    return s->ops->live || ta_obsrc_is_address(s->name);
}

void ta_obsrc_close(struct ta_obsrc *s)
{
    if (s == NULL)
        return;
    s->ops->close(s->state);
    free(s->name);
    free(s);
}
