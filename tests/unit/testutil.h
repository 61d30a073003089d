/*
 * Shared helpers for cmocka unit tests.
 */
#ifndef TA_TESTUTIL_H
#define TA_TESTUTIL_H

#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Directory of third-party data, or NULL if absent (tests then skip). */
static inline const char *tu_shared_data(void)
{
    const char *d = getenv("TA_SHARED_DATA");
    if (d == NULL)
        d = "../shared/data";
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/README.md", d);
    FILE *f = fopen(buf, "r");
    if (f == NULL)
        return NULL;
    fclose(f);
    return d;
}

#define TU_SKIP_NO_DATA(d)                                                                         \
    do {                                                                                           \
        if ((d) == NULL) {                                                                         \
            print_message("skip: ../shared/data is absent\n");                                     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* A fresh directory /tmp/PREFIX-XXXXXX in buf; 0, or -1 (as cmocka group setups return). */
static inline int tu_tmpdir_make(char *buf, size_t n, const char *prefix)
{
    snprintf(buf, n, "/tmp/%s-XXXXXX", prefix);
    return mkdtemp(buf) == NULL ? -1 : 0;
}

/* Remove a directory made by tu_tmpdir_make with everything in it; 0 or -1. */
static inline int tu_tmpdir_remove(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The whole file at path, malloc'd (one byte spare), its length in *len; NULL if unreadable. */
static inline uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *b = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = b != NULL ? (size_t)n : 0;
    return b;
}

#endif
