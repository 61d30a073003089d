/*
 * threatatlas intel fetch: download the feeds listed in the configuration
 * file's `feeds:` section and replace each one's source in the database
 * (threatatlas/intel.h, ta_intel_fetch). One line per feed on stderr; a
 * failed feed leaves its previous indicators in force and makes the exit
 * status 1, the other feeds are still fetched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli-config.h"
#include "cli/cli.h"
#include "threatatlas/intel.h"
#include "threatatlas/store.h"

#include "common/banned.h"

struct fetch_cfg {
    const char *config;
    const char *db;
    const char *only;
};

#define OFF(f) offsetof(struct fetch_cfg, f)
static const struct ta_opt fetch_opts[] = {
    {"config", 'c', TA_OPT_STR, OFF(config), "/etc/threatatlas/threatatlas.yaml", 0, 0, "FILE",
     "configuration file (YAML; its feeds: section)"},
    {"db", 0, TA_OPT_STR, OFF(db), NULL, 0, 0, "FILE",
     "database (default: the sensor: section's db)"},
    {"only", 0, TA_OPT_STR, OFF(only), NULL, 0, 0, "NAME", "fetch only the feed of this name"},
};

static const struct ta_cmd_spec fetch_spec = {
    "intel fetch",
    "intel fetch [--config FILE] [--db FILE] [--only NAME]",
    "Download each feed of the configuration (conditional request with the stored ETag and\n"
    "Last-Modified; size and time limits) and replace that source's indicators in one\n"
    "transaction: values no longer listed end now, values still listed keep their first\n"
    "sighting. 304 Not Modified changes nothing. A failed, cut, empty or unparsable\n"
    "download leaves the source as it was. A running sensor picks the change up on SIGHUP.\n"
    "feed keys: name, url, format, kind, header, max_size, timeout, connect_timeout,\n"
    "           confidence, family, valid_days, allow_private",
    fetch_opts,
    sizeof(fetch_opts) / sizeof(fetch_opts[0]),
    "exit status: 0 every feed fetched or not modified, 1 a feed failed, 2 usage or "
    "configuration error.\n",
};

/* "10", "10s", "2m" into seconds (1 s to 1 h); 0 if malformed. */
static uint32_t parse_secs(const char *v)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v)
        return 0;
    if (strcmp(end, "m") == 0)
        n *= 60;
    else if (*end != '\0' && strcmp(end, "s") != 0)
        return 0;
    return n >= 1 && n <= 3600 ? (uint32_t)n : 0;
}

/* "1000", "64K", "256M", "1G" into bytes; 0 if malformed. */
static uint64_t parse_size(const char *v)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || n == 0)
        return 0;
    unsigned sh = strcmp(end, "K") == 0   ? 10
                  : strcmp(end, "M") == 0 ? 20
                  : strcmp(end, "G") == 0 ? 30
                                          : 0;
    if (sh == 0 && *end != '\0')
        return 0;
    if (n > (1ull << 40) >> sh)
        return 0;
    return n << sh;
}

/* One feed's settings; false after an error line naming file:line. */
static bool feed_from(const char *path, const struct ta_cli_kvlist *l, struct ta_intel_feed *f)
{
    memset(f, 0, sizeof(*f));
    f->load.confidence = -1;
    for (size_t i = 0; i < l->n; i++) {
        const char *k = l->v[i].key, *v = l->v[i].value;
        unsigned line = l->v[i].line;
        bool ok = true;
        if (strcmp(k, "name") == 0 || strcmp(k, "source") == 0) {
            f->name = v;
        } else if (strcmp(k, "url") == 0) {
            f->url = v;
        } else if (strcmp(k, "header") == 0) {
            ok = strchr(v, ':') != NULL && strpbrk(v, "\r\n") == NULL;
            f->header = v;
        } else if (strcmp(k, "format") == 0) {
            ok = ta_intel_format_parse(v, &f->load.format);
        } else if (strcmp(k, "kind") == 0) {
            ok = ta_intel_kind_parse(v, &f->load.kind);
            f->load.have_kind = true;
        } else if (strcmp(k, "max_size") == 0) {
            ok = (f->max_bytes = parse_size(v)) != 0;
        } else if (strcmp(k, "timeout") == 0) {
            ok = (f->timeout_s = parse_secs(v)) != 0;
        } else if (strcmp(k, "connect_timeout") == 0) {
            ok = (f->connect_timeout_s = parse_secs(v)) != 0;
        } else if (strcmp(k, "confidence") == 0) {
            char *end;
            long c = strtol(v, &end, 10);
            ok = end != v && *end == '\0' && c >= 1 && c <= 100;
            f->load.confidence = (int)c;
        } else if (strcmp(k, "family") == 0) {
            f->load.family = v;
        } else if (strcmp(k, "valid_days") == 0) {
            char *end;
            unsigned long d = strtoul(v, &end, 10);
            ok = end != v && *end == '\0' && d <= 36500;
            f->load.valid_days = (unsigned)d;
        } else if (strcmp(k, "allow_private") == 0) {
            ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
            f->load.allow_private = strcmp(v, "true") == 0;
        } else {
            ta_cli_error("intel fetch: %s:%u: unknown feed key '%s'", path, line, k);
            return false;
        }
        if (!ok) {
            ta_cli_error("intel fetch: %s:%u: invalid %s '%s'", path, line, k, v);
            return false;
        }
    }
    if (f->name == NULL || f->name[0] == '\0' || f->url == NULL || f->url[0] == '\0') {
        ta_cli_error("intel fetch: %s:%u: a feed needs name: and url:", path, l->line);
        return false;
    }
    if (f->load.format == TA_INTEL_FMT_PLAIN && !f->load.have_kind) {
        ta_cli_error("intel fetch: %s:%u: feed %s: a plain list needs kind:", path, l->line,
                     f->name);
        return false;
    }
    return true;
}

static void on_lock_wait(void *ctx, const char *holder)
{
    (void)ctx;
    fprintf(stderr, "intel fetch: waiting for %s to finish\n", holder);
}

int ta_cli_intel_fetch(int argc, char **argv)
{
    struct fetch_cfg fc;
    memset(&fc, 0, sizeof(fc));
    int rc = ta_opts_parse(&fetch_spec, argc, argv, &fc);
    if (rc != 0) {
        ta_opts_release(&fetch_spec, &fc);
        return rc == 1 ? 0 : 2;
    }
    struct ta_cli_config cfg;
    char err[1024];
    if (!ta_cli_config_load(fc.config, &cfg, err, sizeof(err))) {
        ta_cli_error("intel fetch: %s", err);
        ta_opts_release(&fetch_spec, &fc);
        return 2;
    }
    rc = 2;
    struct ta_intel_feed *feeds = calloc(cfg.nfeeds + 1, sizeof(*feeds));
    struct ta_store_lock *lock = NULL;
    struct ta_intel_db *db = NULL;
    bool stored = false; /* some feed was stored (or found not modified) */
    if (feeds == NULL) {
        rc = 1;
        goto out;
    }
    /* The sensor reads its intel from intel_db when it has one (a ClickHouse
     * events store keeps the intel in a local SQLite file), else from db. */
    const char *dbpath = fc.db;
    for (size_t i = 0; dbpath == NULL && i < cfg.sensor.n; i++)
        if (strcmp(cfg.sensor.v[i].key, "intel_db") == 0 ||
            strcmp(cfg.sensor.v[i].key, "intel-db") == 0)
            dbpath = cfg.sensor.v[i].value;
    for (size_t i = 0; dbpath == NULL && i < cfg.sensor.n; i++)
        if (strcmp(cfg.sensor.v[i].key, "db") == 0)
            dbpath = cfg.sensor.v[i].value;
    if (dbpath == NULL) {
        ta_cli_error("intel fetch: no database: give --db or db: in the sensor: section of %s",
                     fc.config);
        goto out;
    }
    if (cfg.nfeeds == 0) {
        ta_cli_error("intel fetch: %s: no feeds: section", fc.config);
        goto out;
    }
    size_t nsel = 0;
    for (size_t i = 0; i < cfg.nfeeds; i++) {
        if (!feed_from(fc.config, &cfg.feeds[i], &feeds[i]))
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(feeds[j].name, feeds[i].name) == 0) {
                ta_cli_error("intel fetch: %s:%u: feed name %s given twice", fc.config,
                             cfg.feeds[i].line, feeds[i].name);
                goto out;
            }
        if (fc.only == NULL || strcmp(fc.only, feeds[i].name) == 0)
            nsel++;
    }
    if (nsel == 0) {
        ta_cli_error("intel fetch: %s has no feed named %s", fc.config, fc.only);
        goto out;
    }
    char holder[64], lerr[TA_STORE_ERRLEN];
    snprintf(holder, sizeof(holder), "intel fetch (pid %ld)", (long)getpid());
    if (ta_store_lock_take(dbpath, holder, -1, on_lock_wait, NULL, &lock, lerr) != TA_OK) {
        ta_cli_error("intel fetch: %s", lerr);
        rc = 1;
        goto out;
    }
    if (ta_intel_db_open(dbpath, &db, err, sizeof(err)) != TA_OK) {
        ta_cli_error("intel fetch: %s", err);
        rc = 1;
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < cfg.nfeeds; i++) {
        const struct ta_intel_feed *f = &feeds[i];
        if (fc.only != NULL && strcmp(fc.only, f->name) != 0)
            continue;
        struct ta_intel_fetch_result r;
        ta_time_us now = (ta_time_us)time(NULL) * 1000000u;
        if (ta_intel_fetch(db, f, now, &r, err, sizeof(err)) != TA_OK) {
            ta_cli_error("intel fetch: %s; the previous indicators stay in force", err);
            rc = 1;
            continue;
        }
        stored = true;
        if (r.not_modified)
            ta_cli_line(stderr, "intel fetch: %s: not modified (HTTP 304); nothing changed",
                        f->name);
        else
            ta_cli_line(stderr,
                        "intel fetch: %s: %llu bytes, %llu accepted (%llu new, %llu updated), "
                        "%llu rejected, %llu no longer listed and ended now",
                        f->name, (unsigned long long)r.bytes, (unsigned long long)r.load.accepted,
                        (unsigned long long)r.load.inserted, (unsigned long long)r.load.updated,
                        (unsigned long long)r.load.rejected, (unsigned long long)r.expired);
    }
out:
    ta_intel_db_close(db);
    /* A fetch that stored nothing leaves no new database behind. */
    if (rc != 0 && !stored)
        ta_store_lock_release_undo(lock);
    else
        ta_store_lock_release(lock);
    free(feeds);
    ta_cli_config_free(&cfg);
    ta_opts_release(&fetch_spec, &fc);
    return rc;
}
