/*
 * A small synthetic detection data set with hand-computed counts, shared by
 * the store and report unit tests. Days: D0 = 2014-03-19, D1, D2.
 *
 *   c2 US->CN   D0: 1.1.1.1 -> 10.0.0.1 (x2), 10.0.0.2
 *               D1: 1.1.1.1 -> 10.0.0.1; 1.1.1.2 -> 10.0.0.3
 *               D2: 1.1.1.3 -> 10.0.0.4
 *   c2 DE->CN   D1: 2.2.2.2 -> 10.0.0.1
 *   c2-suspected US->CN D0: 3.3.3.3 -> 10.0.0.9
 *   phishing RU->CN
 *               D0: 5.5.5.5 page login flow 100 (2 requests), page pay flow 101
 *               D1: 5.5.5.6 page login flow 102; SNI-only page pay.example flow 103
 *               D1 23:59 + D2 00:01: 5.5.5.6 page login flow 104 (dated D1)
 *   backdoor US->CN
 *               D0: 7.7.7.7 -> shop.example (x3); -> Host "WWW.Example.COM:8080"
 *               D2: 7.7.7.8 -> 10.1.0.2 (no Host); 7.7.7.7 -> shop.example
 *   backdoor-suspected FR->CN D2: 9.9.9.9 -> blog.example
 *   c2 US->CN D1: 4.4.4.4 -> 10.0.0.5, suppressed by the allow list "top-sites"
 *   payload NL->CN D2: 6.6.6.6 -> 10.0.0.7, 10.0.0.8
 * Identity: phishing flow 100's second request and flow 104's D2 request
 * are the same events as their flows' first (one event per flow and kind),
 * so FX_DISTINCT events are stored. C2 flow 3 (1.1.1.1 -> 10.0.0.2) was not
 * established; c2 flow 6 (1.1.1.3) rests on an undated indicator.
 */
#ifndef TA_REPORT_FIXTURE_H
#define TA_REPORT_FIXTURE_H

#include "threatatlas/event.h"
#include "threatatlas/store.h"

#define FX_D0     16148LL /* 2014-03-19 */
#define FX_DAY_US (86400ull * 1000000ull)

struct fx_ev {
    enum ta_event_kind kind;
    int day;
    unsigned sec; /* seconds into the day */
    const char *a, *acc, *v, *vcc;
    uint64_t flow;
    const char *page, *host, *website;
};

static const struct fx_ev fx_events[] = {
    {TA_EVENT_C2, 0, 100, "1.1.1.1", "US", "10.0.0.1", "CN", 1, NULL, NULL, NULL},
    {TA_EVENT_C2, 0, 200, "1.1.1.1", "US", "10.0.0.1", "CN", 2, NULL, NULL, NULL},
    {TA_EVENT_C2, 0, 300, "1.1.1.1", "US", "10.0.0.2", "CN", 3, NULL, NULL, NULL},
    {TA_EVENT_C2, 1, 100, "1.1.1.1", "US", "10.0.0.1", "CN", 4, NULL, NULL, NULL},
    {TA_EVENT_C2, 1, 200, "1.1.1.2", "US", "10.0.0.3", "CN", 5, NULL, NULL, NULL},
    {TA_EVENT_C2, 2, 100, "1.1.1.3", "US", "10.0.0.4", "CN", 6, NULL, NULL, NULL},
    {TA_EVENT_C2, 1, 300, "2.2.2.2", "DE", "10.0.0.1", "CN", 7, NULL, NULL, NULL},
    {TA_EVENT_C2_SUSPECTED, 0, 400, "3.3.3.3", "US", "10.0.0.9", "CN", 8, NULL, NULL, NULL},
    {TA_EVENT_PHISHING, 0, 500, "5.5.5.5", "RU", "10.0.0.1", "CN", 100, "http://bank.example/login",
     "bank.example", NULL},
    {TA_EVENT_PHISHING, 0, 501, "5.5.5.5", "RU", "10.0.0.1", "CN", 100, "http://bank.example/login",
     "bank.example", NULL},
    {TA_EVENT_PHISHING, 0, 600, "5.5.5.5", "RU", "10.0.0.1", "CN", 101, "http://bank.example/pay",
     "bank.example", NULL},
    {TA_EVENT_PHISHING, 1, 500, "5.5.5.6", "RU", "10.0.0.2", "CN", 102, "http://bank.example/login",
     "bank.example", NULL},
    {TA_EVENT_PHISHING, 1, 600, "5.5.5.6", "RU", "10.0.0.2", "CN", 103, "pay.example",
     "pay.example", NULL},
    {TA_EVENT_PHISHING, 1, 86340, "5.5.5.6", "RU", "10.0.0.3", "CN", 104,
     "http://bank.example/login", "bank.example", NULL},
    {TA_EVENT_PHISHING, 2, 60, "5.5.5.6", "RU", "10.0.0.3", "CN", 104, "http://bank.example/login",
     "bank.example", NULL},
    {TA_EVENT_BACKDOOR, 0, 700, "7.7.7.7", "US", "10.1.0.1", "CN", 200, NULL, "shop.example",
     "shop.example"},
    {TA_EVENT_BACKDOOR, 0, 701, "7.7.7.7", "US", "10.1.0.1", "CN", 200, NULL, "shop.example",
     "shop.example"},
    {TA_EVENT_BACKDOOR, 0, 702, "7.7.7.7", "US", "10.1.0.1", "CN", 201, NULL, "shop.example",
     "shop.example"},
    {TA_EVENT_BACKDOOR, 0, 800, "7.7.7.7", "US", "10.1.0.3", "CN", 202, NULL,
     "WWW.Example.COM:8080", NULL},
    {TA_EVENT_BACKDOOR, 2, 700, "7.7.7.8", "US", "10.1.0.2", "CN", 203, NULL, NULL, NULL},
    {TA_EVENT_BACKDOOR, 2, 800, "7.7.7.7", "US", "10.1.0.1", "CN", 204, NULL, "shop.example",
     "shop.example"},
    {TA_EVENT_BACKDOOR_SUSPECTED, 2, 900, "9.9.9.9", "FR", "10.1.0.5", "CN", 205, NULL,
     "blog.example", "blog.example"},
    {TA_EVENT_C2, 1, 1000, "4.4.4.4", "US", "10.0.0.5", "CN", 9, NULL, NULL, NULL},
    {TA_EVENT_PAYLOAD, 2, 1000, "6.6.6.6", "NL", "10.0.0.7", "CN", 300, NULL, NULL, NULL},
    {TA_EVENT_PAYLOAD, 2, 1100, "6.6.6.6", "NL", "10.0.0.8", "CN", 301, NULL, NULL, NULL},
};
#define FX_N        (sizeof(fx_events) / sizeof(fx_events[0]))
#define FX_DISTINCT (FX_N - 2)

static inline void fx_make(const struct fx_ev *f, struct ta_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = f->kind;
    ev->method = f->page ? TA_METHOD_URL : TA_METHOD_IP;
    ev->ts = (ta_time_us)(FX_D0 + f->day) * FX_DAY_US + (ta_time_us)f->sec * 1000000u;
    ev->flow_id = f->flow;
    ev->proto = 6;
    ta_addr_parse(&ev->attacker.ip, f->a);
    ta_addr_parse(&ev->victim.ip, f->v);
    memcpy(ev->attacker.cc, f->acc, 3);
    memcpy(ev->victim.cc, f->vcc, 3);
    ev->attacker.port = 443;
    ev->victim.port = 50000;
    if (f->kind == TA_EVENT_BACKDOOR || f->kind == TA_EVENT_BACKDOOR_SUSPECTED) {
        /* The webshell client's ephemeral port: one per connection. */
        ev->attacker.port = (uint16_t)(40000 + f->flow);
        ev->victim.port = 80;
    }
    ev->attacker.asn = 64500;
    ev->confidence = 90;
    ev->signature = "test signature";
    ev->family = f->kind <= TA_EVENT_C2_SUSPECTED ? "zeus" : NULL;
    ev->sources = "feedA,feedB";
    ev->indicator = f->page;
    ev->hostname = f->host;
    ev->page = f->page;
    ev->website = f->website;
    /* Identity: a flow starts at its first fixture event; backdoor requests
     * are numbered within their flow. Phishing events of one flow are one
     * event (the store's identity), so flow 100's second request and flow
     * 104's D2 request add nothing. */
    ev->flow_start = ev->ts;
    ev->established = f->flow != 3;
    ev->undated = f->flow == 6;
    ev->suppressed_by = f->flow == 9 ? "top-sites" : NULL;
    for (const struct fx_ev *p = fx_events; p < f && p >= fx_events; p++) {
        if (p->flow != f->flow)
            continue;
        if (ev->flow_start == ev->ts)
            ev->flow_start =
                (ta_time_us)(FX_D0 + p->day) * FX_DAY_US + (ta_time_us)p->sec * 1000000u;
        if (p->kind == f->kind &&
            (f->kind == TA_EVENT_BACKDOOR || f->kind == TA_EVENT_BACKDOOR_SUSPECTED))
            ev->tx_index++;
    }
}

/* Inputs of the fixture run (fake digests). */
static inline void fx_inputs(struct ta_store_input in[2], uint8_t seed)
{
    memset(in, 0, 2 * sizeof(*in));
    in[0].path = "day1.pcap";
    in[0].size = 1000;
    memset(in[0].sha256, seed, TA_SHA256_LEN);
    in[1].path = "day2.pcap";
    in[1].size = 2000;
    memset(in[1].sha256, (uint8_t)(seed + 1), TA_SHA256_LEN);
}

/* Add events [from, to) of the fixture. */
static inline ta_err fx_add(struct ta_store *st, size_t from, size_t to)
{
    for (size_t i = from; i < to && i < FX_N; i++) {
        struct ta_event ev;
        fx_make(&fx_events[i], &ev);
        ta_err err = ta_store_add_event(st, &ev);
        if (err)
            return err;
    }
    return TA_OK;
}

/* Run description of the fixture (in must hold 2 inputs). */
static inline struct ta_store_run_info fx_info(struct ta_store_input in[2], uint8_t seed)
{
    fx_inputs(in, seed);
    struct ta_store_run_info info = {.inputs = in,
                                     .n_inputs = 2,
                                     .home = "CN",
                                     .intel_version = "feedA 2014-03-18; feedB 2014-03-17",
                                     .geoip_version = "ip-location-db 2014-03-01",
                                     .sensor = "sensor-a",
                                     .geoip_built = 1393632000 /* 2014-03-01 */};
    return info;
}

/* One complete run of the fixture into st. */
static inline ta_err fx_run(struct ta_store *st, uint8_t seed)
{
    struct ta_store_input in[2];
    struct ta_store_run_info info = fx_info(in, seed);
    bool done;
    ta_err err = ta_store_run_begin(st, &info, &done);
    if (err || done)
        return err;
    if ((err = fx_add(st, 0, FX_N)) != TA_OK)
        return err;
    return ta_store_run_finish(st, 0, 0);
}

#endif
