/*
 * Functions banned from this code base (internal). The .c files include it
 * last, and scripts/lint also greps for the calls; use snprintf, memcpy with
 * explicit lengths, or the capped buffers instead.
 */
#ifndef TA_COMMON_BANNED_H
#define TA_COMMON_BANNED_H

#define TA_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) TA_BANNED(strcpy)
#undef strcat
#define strcat(x, y) TA_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) TA_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) TA_BANNED(strncat)
#undef sprintf
#define sprintf(...) TA_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TA_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) TA_BANNED(strtok)
#undef gets
#define gets(x) TA_BANNED(gets)

#endif
