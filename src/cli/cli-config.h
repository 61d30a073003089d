/*
 * The service configuration file (YAML, read with libyaml), shared by
 * `threatatlas sensor` and `threatatlas intel fetch`: a `sensor:` mapping of
 * analyze options and a `feeds:` list of mappings. Values are kept as text
 * with their line; each command checks the keys it knows.
 */
#ifndef TA_CLI_CONFIG_H
#define TA_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct ta_cli_kv {
    char *key;
    char *value;
    unsigned line;
};

struct ta_cli_kvlist {
    struct ta_cli_kv *v;
    size_t n;
    unsigned line; /* where the mapping starts */
};

struct ta_cli_config {
    const char *path;
    struct ta_cli_kvlist sensor; /* a key given as a list appears once per item */
    struct ta_cli_kvlist *feeds;
    size_t nfeeds;
};

/*
 * Read path into cfg. On error writes "FILE:LINE: why" to err and returns
 * false (cfg is then released). Unknown top-level sections are errors.
 */
bool ta_cli_config_load(const char *path, struct ta_cli_config *cfg, char *err, size_t errlen);
void ta_cli_config_free(struct ta_cli_config *cfg);

#endif
