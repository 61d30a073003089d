/*
 * The failure end of TA_ASSERT and the errbuf writer (see check.h).
 */
#include "common/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/banned.h"

void ta__assert_fail(const char *file, int line, const char *cond)
{
    /* The one place library code prints: the program is wrong, and the
     * line says where before the abort leaves a core or a sanitizer trace. */
    fprintf(stderr, "threatatlas: %s:%d: invariant failed: %s\n", file, line, cond);
    fflush(stderr);
    abort();
}

void ta_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}
