/*
 * threatatlas-gen: writes synthetic captures with known ground truth.
 *
 *   threatatlas-gen --scenario national --out DIR --seed 42 --scale 0.001 \
 *                   --from 2014-03-19 --to 2014-05-18
 *
 * Deterministic for a seed: every random choice comes from the generator's
 * own PRNG (xoshiro256** seeded with splitmix64), never from rand() or the
 * clock. See README.md, "Scenario generator".
 */
#include "gen-scenarios.h"
#include "threatatlas/enrich.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/banned.h"

static const char usage[] =
    "usage: threatatlas-gen --scenario NAME --out DIR [--seed N] [options]\n"
    "\n"
    "scenarios:\n"
    "  national   per-day captures of a national CERT's view (C&C, phishing, webshells,\n"
    "             background), threat-intel feeds and truth.json (the report's JSON shape)\n"
    "  mixed      one large capture of realistic mixed traffic (decode/flow benchmark)\n"
    "  flood      N flows filling one bounded table (memory cap tests; see --flood)\n"
    "  edge       small edge-case captures with a manifest of exact counts\n"
    "  beacon     bots beaconing to C&C servers with jitter next to benign timers (update\n"
    "             polls, NTP, DNS) and browsing; beacon.pcap and truth-beacon.json\n"
    "  appmix     DNS, HTTP/1.1 and TLS sessions for the app-layer benchmark (bench/proto.sh)\n"
    "  topsites   hosts browsing well-known sites whose addresses a feed lists as C&C, next to\n"
    "             one real C&C; feeds, a small allowlist and truth-topsites.json\n"
    "  precision  contacts that must not count (webshell probes, ICMP to an IP:port, payload\n"
    "             downloads, unanswered SYNs) next to ones that must; manifest-precision.json\n"
    "\n"
    "options:\n"
    "  --scenario NAME   one of the above (required)\n"
    "  --out DIR         output directory, created if missing (required)\n"
    "  --seed N          PRNG seed (default 1); same seed, same bytes\n"
    "  --scale F         national, beacon: multiply every count (default 1.0; 0.001 = test\n"
    "                    size); beacon: 24 hosts and 8 bots at 1.0\n"
    "  --from DATE       national, beacon, topsites, precision: first day, YYYY-MM-DD\n"
    "                    (default 2014-03-19)\n"
    "  --to DATE         national: last day, included (default 2014-05-18)\n"
    "  --size BYTES      mixed, appmix: capture size, suffix K/M/G allowed (default 100M)\n"
    "  --flows N         flood: number of flows (default 5000000)\n"
    "  --flood KIND      flood: flows (one-packet flows, default), frags (first fragments\n"
    "                    only), ooo (out-of-order segments after a hole), http (unanswered\n"
    "                    POSTs), dns (partial DNS-over-TCP messages), tls (partial\n"
    "                    ClientHellos), resolutions (answers for N names, listed in\n"
    "                    flood-domains.txt)\n"
    "  --per-flow N      flood ooo: segments per connection (default 256); http: requests\n"
    "                    per connection (default 32)\n"
    "  --gzip            mixed, flood, appmix: write the capture gzip-compressed (.pcap.gz)\n"
    "  --hours N         beacon: length of the capture in hours (default 8, 1-168)\n"
    "  --geo-db FILE     GeoIP database (MMDB with country_code); default: the pinned\n"
    "                    database installed by 'threatatlas geo install'\n"
    "  --top-sites FILE  topsites: the top-sites.json to take site names from; default: the\n"
    "                    one 'threatatlas geo install' installed, else a built-in handful\n"
    "  --time-shift-ms N national, topsites, precision: add N ms to every packet time (the\n"
    "                    same traffic as a second sensor on the link records it; 0-60000)\n"
    "  --export FMT[,..] also write each capture NAME.pcap as NAME.FMT.pcap, the UDP export\n"
    "                    datagrams a router would send of its traffic: netflow9, ipfix (two\n"
    "                    one-way records per flow) or sflow (every packet sampled, 128-byte\n"
    "                    headers); read them with threatatlas --input flows\n"
    "  --quiet           no progress on stderr\n"
    "  --help            this text\n";

static int die(const char *msg, const char *arg)
{
    fprintf(stderr, "threatatlas-gen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "threatatlas-gen: try --help\n");
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out, bool suffix)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return false;
    uint64_t mul = 1;
    if (suffix && *end) {
        switch (*end) {
        case 'k':
        case 'K':
            mul = 1ull << 10;
            break;
        case 'm':
        case 'M':
            mul = 1ull << 20;
            break;
        case 'g':
        case 'G':
            mul = 1ull << 30;
            break;
        default:
            return false;
        }
        end++;
    }
    if (*end != '\0')
        return false;
    *out = (uint64_t)v * mul;
    return true;
}

/*
 * The default database: the pinned country database where `threatatlas geo
 * install` puts it (the same data directory resolution as the analyzer).
 */
static char *find_geo_db(void)
{
    char dir[4096];
    if (!ta_geo_data_dir(NULL, dir, sizeof(dir)))
        return NULL;
    size_t bl = strlen(dir) + sizeof("/geo/" TA_GEO_PKG_COUNTRY_DIR "/" TA_GEO_PKG_COUNTRY_FILE);
    char *path = malloc(bl);
    if (path == NULL)
        return NULL;
    snprintf(path, bl, "%s/geo/%s/%s", dir, TA_GEO_PKG_COUNTRY_DIR, TA_GEO_PKG_COUNTRY_FILE);
    struct stat st;
    if (stat(path, &st) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* mkdir -p: create dir and any missing parents. */
static int mkdir_p(const char *dir)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* "netflow9", "ipfix", "sflow", comma-separated. */
static bool export_list_ok(const char *s)
{
    for (;;) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (!((n == 8 && strncmp(s, "netflow9", 8) == 0) ||
              (n == 5 && strncmp(s, "ipfix", 5) == 0) || (n == 5 && strncmp(s, "sflow", 5) == 0)))
            return false;
        if (c == NULL)
            return true;
        s = c + 1;
    }
}

int main(int argc, char **argv)
{
    struct tg_gen_opts o = {
        .seed = 1, .scale = 1.0, .size = 100ull << 20, .flows = 5000000, .hours = 8};
    const char *from = "2014-03-19", *to = "2014-05-18", *geo_path = NULL, *export_fmt = NULL;
    static const struct option longs[] = {
        {"scenario", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 'S'},
        {"scale", required_argument, NULL, 'x'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"size", required_argument, NULL, 'z'},
        {"flows", required_argument, NULL, 'n'},
        {"flood", required_argument, NULL, 'F'},
        {"per-flow", required_argument, NULL, 'P'},
        {"gzip", no_argument, NULL, 'g'},
        {"hours", required_argument, NULL, 'H'},
        {"geo-db", required_argument, NULL, 'G'},
        {"quiet", no_argument, NULL, 'q'},
        {"export", required_argument, NULL, 'E'},
        {"top-sites", required_argument, NULL, 'T'},
        {"time-shift-ms", required_argument, NULL, 'M'},
        {"family", required_argument, NULL, 'W'},
        {"variant", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            o.scenario = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 'S':
            if (!parse_u64(optarg, &o.seed, false))
                return die("--seed wants a non-negative integer", optarg);
            break;
        case 'x': {
            char *end;
            o.scale = strtod(optarg, &end);
            if (*end != '\0' || !(o.scale > 0) || o.scale > 100)
                return die("--scale wants a number in (0, 100]", optarg);
            break;
        }
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'z':
            if (!parse_u64(optarg, &o.size, true) || o.size < 1024)
                return die("--size wants a byte count of at least 1K (suffix K/M/G)", optarg);
            break;
        case 'n':
            if (!parse_u64(optarg, &o.flows, false) || o.flows == 0 || o.flows > (1ull << 32))
                return die("--flows wants an integer in [1, 2^32]", optarg);
            break;
        case 'F':
            o.flood = optarg;
            break;
        case 'P': {
            uint64_t n;
            if (!parse_u64(optarg, &n, false) || n == 0 || n > 65536)
                return die("--per-flow wants an integer in [1, 65536]", optarg);
            o.per_flow = (uint32_t)n;
            break;
        }
        case 'g':
            o.gzip = true;
            break;
        case 'H': {
            uint64_t h;
            if (!parse_u64(optarg, &h, false) || h == 0 || h > 168)
                return die("--hours wants an integer in [1, 168]", optarg);
            o.hours = (uint32_t)h;
            break;
        }
        case 'G':
            geo_path = optarg;
            break;
        case 'T':
            o.top_sites = optarg;
            break;
        case 'M': {
            uint64_t ms;
            if (!parse_u64(optarg, &ms, false) || ms > 60000)
                return die("--time-shift-ms wants an integer in [0, 60000]", optarg);
            o.shift_us = ms * 1000;
            break;
        }
        case 'W':
            o.family = optarg;
            break;
        case 'V':
            o.variant = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'E':
            export_fmt = optarg;
            if (!export_list_ok(optarg))
                return die("--export wants netflow9, ipfix or sflow (comma-separated)", optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            if (optopt != 0)
                return die("option needs a value or is unknown", argv[optind - 1]);
            return die("unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return die("unexpected argument", argv[optind]);
    if (o.scenario == NULL)
        return die("--scenario is required", NULL);
    if (o.out == NULL)
        return die("--out is required", NULL);
    ta_err (*run)(const struct tg_gen_opts *, struct tg_geo *) = NULL;
    if (strcmp(o.scenario, "national") == 0)
        run = tg_scenario_national;
    else if (strcmp(o.scenario, "mixed") == 0)
        run = tg_scenario_mixed;
    else if (strcmp(o.scenario, "flood") == 0)
        run = tg_scenario_flood;
    else if (strcmp(o.scenario, "edge") == 0)
        run = tg_scenario_edge;
    else if (strcmp(o.scenario, "beacon") == 0)
        run = tg_scenario_beacon;
    else if (strcmp(o.scenario, "appmix") == 0)
        run = tg_scenario_appmix;
    else if (strcmp(o.scenario, "topsites") == 0)
        run = tg_scenario_topsites;
    else if (strcmp(o.scenario, "precision") == 0)
        run = tg_scenario_precision;
    else if (strcmp(o.scenario, "webshell") == 0)
        run = tg_scenario_webshell;
    else
        return die("unknown scenario (national, mixed, flood, edge, beacon, appmix, topsites, "
                   "precision, webshell)",
                   o.scenario);
    if ((o.family != NULL || o.variant != NULL) && run != tg_scenario_webshell)
        return die("--family and --variant belong to the webshell scenario", o.scenario);
    if (!tg_webshell_known(o.family, o.variant))
        return die("no webshell variant of that family and name",
                   o.variant != NULL ? o.variant : o.family);
    if (o.flood != NULL && strcmp(o.scenario, "flood") != 0)
        return die("--flood belongs to the flood scenario", o.flood);
    if (o.flood != NULL && strcmp(o.flood, "flows") != 0 && strcmp(o.flood, "frags") != 0 &&
        strcmp(o.flood, "ooo") != 0 && strcmp(o.flood, "http") != 0 &&
        strcmp(o.flood, "dns") != 0 && strcmp(o.flood, "tls") != 0 &&
        strcmp(o.flood, "resolutions") != 0)
        return die("--flood wants flows, frags, ooo, http, dns, tls or resolutions", o.flood);
    if (o.per_flow == 0)
        o.per_flow = o.flood != NULL && strcmp(o.flood, "http") == 0 ? 32 : 256;
    if (!ta_date_parse(from, &o.from))
        return die("--from wants YYYY-MM-DD", from);
    if (!ta_date_parse(to, &o.to))
        return die("--to wants YYYY-MM-DD", to);
    if (o.to < o.from)
        return die("--to is before --from", to);
    if ((o.to - o.from) / 86400000000ull >= 3660)
        return die("the period is longer than ten years", to);

    if (mkdir_p(o.out) != 0) {
        fprintf(stderr, "threatatlas-gen: cannot create %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    char *found = geo_path == NULL ? find_geo_db() : NULL;
    const char *db = geo_path ? geo_path : found;
    struct tg_geo *geo = NULL;
    ta_err e = tg_geo_open(&geo, db);
    if (e != TA_OK) {
        fprintf(stderr, "threatatlas-gen: cannot open GeoIP database %s: %s\n", db, ta_strerror(e));
        free(found);
        return 1;
    }
    if (db == NULL)
        fprintf(stderr, "threatatlas-gen: warning: no GeoIP database (--geo-db, or run "
                        "'threatatlas geo install'); using built-in prefixes, "
                        "geolocation of generated addresses is unverified\n");
    else if (db != NULL && !o.quiet)
        fprintf(stderr, "threatatlas-gen: GeoIP database %s\n", db);
    free(found);
    e = run(&o, geo);
    tg_geo_free(geo);
    if (e == TA_ERR_NOTFOUND && db == NULL) {
        /* Only the addresses of countries the built-in prefixes cover can be drawn. */
        fprintf(stderr,
                "threatatlas-gen: %s: a country this scenario needs is not among the built-in "
                "prefixes: run 'threatatlas geo install' or pass --geo-db FILE\n",
                o.scenario);
        return 1;
    }
    if (e != TA_OK) {
        fprintf(stderr, "threatatlas-gen: %s: %s\n", o.scenario, ta_strerror(e));
        return 1;
    }
    for (const char *f = export_fmt; f != NULL && *f != '\0';) {
        const char *comma = strchr(f, ',');
        char one[16];
        snprintf(one, sizeof(one), "%.*s", (int)(comma ? (size_t)(comma - f) : strlen(f)), f);
        if ((e = tg_export(o.out, one)) != TA_OK) {
            fprintf(stderr, "threatatlas-gen: --export %s: %s\n", one, ta_strerror(e));
            return 1;
        }
        f = comma ? comma + 1 : NULL;
    }
    return 0;
}
