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

#endif
