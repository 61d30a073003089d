/*
 * Invariants and error detail: the two conventions every module follows
 * (internal).
 *
 * Three channels, one per kind of trouble:
 *
 *   1. Operational failure (a file that cannot be read, a full table, bad
 *      options): return a ta_err, never print. The detail is one line naming
 *      the thing and the cause, with no trailing newline or period, handed
 *      back in one of two ways:
 *        - one-shot calls (open, load, parse a file) take
 *          `char *errbuf, size_t errlen` as their last two arguments and
 *          fill it with ta_errf(); errbuf may be NULL when the caller only
 *          wants the code;
 *        - a long-lived handle whose later calls can fail keeps the last
 *          message itself and exposes `const char *ta_<module>_errmsg(h)`
 *          (the message stays valid until the next call on h).
 *      The CLI turns either into one line on stderr and an exit code.
 *   2. Malformed input (network bytes, a bad line in a feed): a counter,
 *      and processing goes on. Not an error return.
 *   3. A broken invariant (the program itself is wrong): TA_ASSERT(cond),
 *      which names the file, line and condition on stderr and aborts. It is
 *      compiled into every build, tests included; TA_NO_ASSERT removes it
 *      for a build that measures its cost. Never use it on input, only on
 *      what the code itself guarantees.
 *
 * Low-level primitive: uses nothing but the C library.
 */
#ifndef TA_COMMON_CHECK_H
#define TA_COMMON_CHECK_H

#include <stddef.h>

#if defined(__GNUC__)
#define TA__NORETURN     __attribute__((noreturn))
#define TA__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TA__UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define TA__NORETURN
#define TA__PRINTF(f, a)
#define TA__UNLIKELY(x) (x)
#endif

TA__NORETURN void ta__assert_fail(const char *file, int line, const char *cond);

#ifdef TA_NO_ASSERT
#define TA_ASSERT(cond) ((void)0)
#else
#define TA_ASSERT(cond)                                                                            \
    (TA__UNLIKELY(!(cond)) ? ta__assert_fail(__FILE__, __LINE__, #cond) : (void)0)
#endif

/*
 * Writes one line of detail into errbuf (truncated to errlen, always
 * terminated); does nothing when errbuf is NULL or errlen is 0.
 */
TA__PRINTF(3, 4) void ta_errf(char *errbuf, size_t errlen, const char *fmt, ...);

#endif
