/*
 * Helpers shared by the STIX and MISP writers (output-stix.c,
 * output-misp.c): content-derived UUIDs, so the same export gives the same
 * ids and a partner's second import updates rather than duplicates, and
 * RFC 3339 times. Not a public header.
 */
#ifndef TA_OUTPUT_SHARE_H
#define TA_OUTPUT_SHARE_H

#include <stdio.h>
#include <string.h>

#include "threatatlas/hash.h"
#include "threatatlas/share.h"

#define TA_UUID_STRLEN 37

/* A UUID (version 5 layout) from the SHA-256 of "threatatlas\0" a "\0" b. */
static inline void ta__share_uuid(const char *a, const char *b, char out[TA_UUID_STRLEN])
{
    struct ta_sha256 h;
    uint8_t d[TA_SHA256_LEN];
    ta_sha256_init(&h);
    ta_sha256_update(&h, "threatatlas", 12);
    ta_sha256_update(&h, a, strlen(a) + 1);
    ta_sha256_update(&h, b, strlen(b));
    ta_sha256_final(&h, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50);
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
    snprintf(out, TA_UUID_STRLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1],
             d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14],
             d[15]);
}

/* "2014-03-19T08:01:02.123Z" (milliseconds, as STIX asks of created/modified). */
#define TA_RFC3339_LEN 32
static inline char *ta__share_time(ta_time_us t, char out[TA_RFC3339_LEN])
{
    char ts[TA_TS_STRLEN];
    ta_time_format(t, ts, sizeof(ts));
    /* ts is "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000": keep the milliseconds. */
    snprintf(out, TA_RFC3339_LEN, "%.23sZ", ts);
    return out;
}

/* Text of the kind for names and descriptions. */
static inline const char *ta__share_what(enum ta_event_kind k)
{
    switch (k) {
    case TA_EVENT_C2:
        return "C2 server";
    case TA_EVENT_PHISHING:
        return "Phishing page";
    default:
        return "Backdoor attacker";
    }
}

#endif
