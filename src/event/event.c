/*
 * Event kind and method names shared by the detectors, store and report.
 *
 * The event stage sits below detect (scripts/lint): detect produces events,
 * store, report and output consume them, and none of those may depend on the
 * detectors, so the event code lives in its own folder.
 */
#include "threatatlas/event.h"

#include <string.h>

#include "common/banned.h"

static const char *const kind_names[TA_EVENT_KIND__COUNT] = {
    [TA_EVENT_C2] = "c2",
    [TA_EVENT_C2_SUSPECTED] = "c2-suspected",
    [TA_EVENT_PHISHING] = "phishing",
    [TA_EVENT_PHISHING_SUSPECTED] = "phishing-suspected",
    [TA_EVENT_BACKDOOR] = "backdoor",
    [TA_EVENT_BACKDOOR_SUSPECTED] = "backdoor-suspected",
    [TA_EVENT_PAYLOAD] = "payload",
};

static const char *const method_names[TA_METHOD__COUNT] = {
    [TA_METHOD_IP] = "ip",
    [TA_METHOD_IP_PORT] = "ip-port",
    [TA_METHOD_DNS] = "dns",
    [TA_METHOD_SNI] = "sni",
    [TA_METHOD_HOST] = "host",
    [TA_METHOD_URL] = "url",
    [TA_METHOD_CONTENT] = "content",
    [TA_METHOD_BEACON] = "beacon",
    [TA_METHOD_PROBE] = "probe",
    [TA_METHOD_JA3] = "ja3",
    [TA_METHOD_CERT] = "cert",
    [TA_METHOD_CERT_NAME] = "cert-name",
    [TA_METHOD_BEHAVIOUR] = "behaviour",
};

const char *ta_event_kind_name(enum ta_event_kind k)
{
    if ((unsigned)k >= TA_EVENT_KIND__COUNT)
        return NULL;
    return kind_names[k];
}

bool ta_event_kind_parse(const char *name, enum ta_event_kind *out)
{
    for (unsigned i = 0; i < TA_EVENT_KIND__COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum ta_event_kind)i;
            return true;
        }
    }
    return false;
}

bool ta_event_kind_confirmed(enum ta_event_kind k)
{
    return k == TA_EVENT_C2 || k == TA_EVENT_PHISHING || k == TA_EVENT_BACKDOOR;
}

const char *ta_event_method_name(enum ta_event_method m)
{
    if ((unsigned)m >= TA_METHOD__COUNT)
        return "unknown";
    return method_names[m];
}
