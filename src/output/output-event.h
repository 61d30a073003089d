/*
 * Internal: helpers shared by the event writers (output-alert.c,
 * output-intelmq.c).
 */
#ifndef TA_OUTPUT_EVENT_H
#define TA_OUTPUT_EVENT_H

#include "threatatlas/alert.h"
#include "threatatlas/json.h"

/* The attacker is the server of the flow (every kind but the backdoor kinds). */
static inline bool ta__event_server_attacks(enum ta_event_kind k)
{
    return k != TA_EVENT_BACKDOOR && k != TA_EVENT_BACKDOOR_SUSPECTED;
}

static inline bool ta__event_is_backdoor(enum ta_event_kind k)
{
    return k == TA_EVENT_BACKDOOR || k == TA_EVENT_BACKDOOR_SUSPECTED;
}

/* "key": base64 of the first 1024 bytes of p. */
void ta__event_b64(struct ta_json *j, const char *key, const uint8_t *p, size_t n);
/* "k": v when v is set and not empty. */
void ta__event_kv_opt(struct ta_json *j, const char *k, const char *v);

#endif
