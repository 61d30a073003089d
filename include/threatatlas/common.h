/*
 * threatatlas common definitions: the error enum, addresses, timestamps.
 *
 * Every public header includes this one. Library functions that can fail for
 * operational reasons (I/O, memory at load time, bad configuration) return a
 * ta_err; 0 is success. Malformed network input is never an error: it is
 * counted by the module that saw it and processing goes on.
 */
#ifndef THREATATLAS_COMMON_H
#define THREATATLAS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TA_VERSION "0.1.0"

typedef enum ta_err {
    TA_OK = 0,
    TA_ERR_NOMEM,     /* allocation failed */
    TA_ERR_IO,        /* read/write/open failed; see errno-derived detail */
    TA_ERR_FORMAT,    /* input file is not in the expected format */
    TA_ERR_ARG,       /* invalid argument or option value */
    TA_ERR_NOTFOUND,  /* named thing does not exist */
    TA_ERR_LIMIT,     /* a configured limit was reached */
    TA_ERR_DB,        /* database error */
    TA_ERR_TRUNCATED, /* input ended early (e.g. capture cut mid-packet) */
    TA_ERR_UNSUPPORTED,
    TA_ERR_INTERRUPTED,
    TA_ERR__COUNT
} ta_err;

/* Static string describing err; never NULL. */
const char *ta_strerror(ta_err err);

/* Timestamps are microseconds since the Unix epoch, UTC, taken from packets. */
typedef uint64_t ta_time_us;

/*
 * An IP address. IPv4 is stored as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) so that every address is 16 bytes and compares/hashes the
 * same way; `family` says which it really is (4 or 6, 0 = none).
 */
struct ta_addr {
    uint8_t b[16];
    uint8_t family;
};

void ta_addr_set_v4(struct ta_addr *a, const uint8_t v4[4]);
void ta_addr_set_v6(struct ta_addr *a, const uint8_t v6[16]);
/* Parse text ("1.2.3.4", "2001:db8::1"); returns false if invalid. */
bool ta_addr_parse(struct ta_addr *a, const char *s);
/* Format into buf (at least TA_ADDR_STRLEN bytes); returns buf. */
#define TA_ADDR_STRLEN 46
char *ta_addr_format(const struct ta_addr *a, char *buf, size_t len);
int ta_addr_cmp(const struct ta_addr *a, const struct ta_addr *b);
static inline bool ta_addr_is_v4(const struct ta_addr *a)
{
    return a->family == 4;
}

/*
 * Format a timestamp as Suricata does: "2014-03-19T08:01:02.123456+0000".
 * buf must hold TA_TS_STRLEN bytes. Returns buf.
 */
#define TA_TS_STRLEN 32
char *ta_time_format(ta_time_us t, char *buf, size_t len);

/* Parse exactly "YYYY-MM-DD" (1970 on) as UTC midnight; returns false otherwise. */
bool ta_date_parse(const char *s, ta_time_us *out);

#endif
