/*
 * Internal: the common head of app-layer EVE records.
 */
#ifndef TA_OUTPUT_EVE_APP_H
#define TA_OUTPUT_EVE_APP_H

#include "threatatlas/eve-app.h"

/* Opens the object and writes timestamp ... proto; swap = server is the source. */
void ta__eve_app_head(struct ta_json *j, const struct ta_flow *f, ta_time_us ts,
                      const char *event_type, bool swap);
/* Key + ta_str value, skipped when absent. */
/* "k": s when s is set; k a string literal. */
#define ta__eve_kv_s(j, k, s) ta__eve_kv_sq((j), TA_JSON_LIT(k), (s))
void ta__eve_kv_sq(struct ta_json *j, const char *qk, size_t qn, struct ta_str s);

#endif
