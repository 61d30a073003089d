/*
 * threatatlas sensor --config FILE: analyze -i with the options of the
 * configuration file's `sensor:` section. Each key is an analyze option's
 * long name (underscores or dashes), so the sensor is exactly analyze: the
 * options are turned into an argument vector and parsed by analyze's own
 * table, which checks every value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-config.h"
#include "cli/cli.h"

#include "common/banned.h"

struct sensor_cfg {
    const char *config;
};

#define OFF(f) offsetof(struct sensor_cfg, f)
static const struct ta_opt sensor_opts[] = {
    {"config", 'c', TA_OPT_STR, OFF(config), "/etc/threatatlas/threatatlas.yaml", 0, 0, "FILE",
     "configuration file (YAML; its sensor: section)"},
};

static const struct ta_cmd_spec sensor_spec = {
    "sensor",
    "sensor [--config FILE]",
    "Capture live and analyse as `analyze -i` does, with the options of the configuration\n"
    "file's sensor: section (interface and/or collect, filter, db, intel_db, home,\n"
    "home_nets, sensor, output, format, log, metrics, commit_interval, and any other\n"
    "analyze option by its long name). SIGHUP reloads the intel from db and reopens output and "
    "log; SIGINT/SIGTERM\n"
    "stop. The kernel's and the interface's drops are in the closing statistics, the\n"
    "EVE stats record and /metrics. See docs/sensor.md.",
    sensor_opts,
    sizeof(sensor_opts) / sizeof(sensor_opts[0]),
    "exit status: 0 success, 1 input/output/database error, 2 usage or configuration error.\n",
};

int ta_cli_sensor(int argc, char **argv)
{
    struct sensor_cfg sc;
    memset(&sc, 0, sizeof(sc));
    int rc = ta_opts_parse(&sensor_spec, argc, argv, &sc);
    if (rc != 0) {
        ta_opts_release(&sensor_spec, &sc);
        return rc == 1 ? 0 : 2;
    }
    struct ta_cli_config cfg;
    char err[512];
    if (!ta_cli_config_load(sc.config, &cfg, err, sizeof(err))) {
        ta_cli_error("sensor: %s", err);
        ta_opts_release(&sensor_spec, &sc);
        return 2;
    }
    rc = 2;
    /* "analyze", two words per option, NULL */
    size_t cap = 2 + 2 * cfg.sensor.n;
    char **av = calloc(cap, sizeof(*av));
    char **names = calloc(cfg.sensor.n + 1, sizeof(*names));
    size_t ac = 0;
    bool have_iface = false;
    if (av == NULL || names == NULL) {
        rc = 1;
        goto out;
    }
    av[ac++] = (char *)"analyze";
    if (cfg.sensor.n == 0) {
        ta_cli_error("sensor: %s: no sensor: section", sc.config);
        goto out;
    }
    for (size_t i = 0; i < cfg.sensor.n; i++) {
        const struct ta_cli_kv *kv = &cfg.sensor.v[i];
        char name[64];
        snprintf(name, sizeof(name), "%s", kv->key);
        for (char *c = name; *c; c++)
            if (*c == '_')
                *c = '-';
        const struct ta_opt *o = ta_cli_analyze_opt(name);
        if (o == NULL || strcmp(name, "read") == 0) {
            ta_cli_error("sensor: %s:%u: unknown sensor option '%s'", sc.config, kv->line, kv->key);
            goto out;
        }
        /* a sensor captures: packets from an interface, flow exports from
         * collectors, or both */
        if (strcmp(name, "interface") == 0 || strcmp(name, "collect") == 0)
            have_iface = true;
        if (o->type == TA_OPT_FLAG) {
            if (strcmp(kv->value, "true") == 0 || strcmp(kv->value, "yes") == 0) {
                /* the flag is given */
            } else if (strcmp(kv->value, "false") == 0 || strcmp(kv->value, "no") == 0) {
                continue;
            } else {
                ta_cli_error("sensor: %s:%u: %s must be true or false, not '%s'", sc.config,
                             kv->line, kv->key, kv->value);
                goto out;
            }
        }
        size_t nl = strlen(name) + 3;
        names[i] = malloc(nl);
        if (names[i] == NULL) {
            rc = 1;
            goto out;
        }
        snprintf(names[i], nl, "--%s", name);
        av[ac++] = names[i];
        if (o->type != TA_OPT_FLAG)
            av[ac++] = kv->value;
    }
    if (!have_iface) {
        ta_cli_error("sensor: %s:%u: the sensor: section needs interface: or collect:", sc.config,
                     cfg.sensor.line);
        goto out;
    }
    rc = ta_cli_analyze((int)ac, av);
out:
    if (names != NULL)
        for (size_t i = 0; i < cfg.sensor.n; i++)
            free(names[i]);
    free(names);
    free(av);
    ta_cli_config_free(&cfg);
    ta_opts_release(&sensor_spec, &sc);
    return rc;
}
