/*
 * SHA-256 internals for tests (see sha256.c): which compression function
 * runs. Not a public header.
 */
#ifndef TA_COMMON_SHA256_INT_H
#define TA_COMMON_SHA256_INT_H

#include <stdbool.h>

/* true if this processor's SHA extensions are used (x86-64 with SHA-NI). */
bool ta__sha256_accelerated(void);
/* Force the portable code (true) or go back to choosing by CPU (false). */
void ta__sha256_force_portable(bool on);

#endif
