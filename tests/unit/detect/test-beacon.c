/*
 * Unit tests for the beaconing scorer: synthetic series of jittered
 * beacons next to benign traffic (irregular browsing, NTP, hourly update
 * polls, short-lived pairs); precision and recall are printed; request
 * series inside one kept-alive connection.
 */
#include "testutil.h"

#include <math.h>

#include "threatatlas/detect.h"

static uint64_t rs = 88172645463325252ull;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}

#define T0 1700000000000000ull
#define S  1000000ull

static void addr(struct ta_addr *a, uint8_t net, uint8_t x, uint8_t y)
{
    uint8_t v4[4] = {net, 0, x, y};
    ta_addr_set_v4(a, v4);
}

struct truth {
    bool positive[256];
    unsigned npos;
    bool hit[256];
};

static void on_hit(void *ud, const struct ta_beacon_hit *h)
{
    struct truth *t = ud;
    unsigned id = h->server.b[15];
    t->hit[id] = true;
}

static void test_score_series(void **state)
{
    (void)state;
    ta_time_us ts[20];
    uint64_t sz[20];
    double scratch[40];
    for (int i = 0; i < 20; i++) {
        ts[i] = T0 + (ta_time_us)i * 60 * S;
        sz[i] = 300;
    }
    struct ta_beacon_score s;
    ta_beacon_score_series(ts, sz, 20, scratch, &s);
    /* A perfect beacon: every part scores 1 but the size smallness. */
    assert_true(fabs(s.ts_score - 1.0) < 1e-9);
    assert_true(fabs(s.median_interval_s - 60.0) < 1e-9);
    assert_true(fabs(s.ds_small - (1.0 - 300.0 / 65535.0)) < 1e-9);
    assert_true(s.score > 0.99);
    /* Half the expected connections (a gap in the middle): count score 0.5-ish. */
    for (int i = 10; i < 20; i++)
        ts[i] = T0 + (ta_time_us)(i + 10) * 60 * S;
    ta_beacon_score_series(ts, sz, 20, scratch, &s);
    assert_true(s.ts_count < 0.7);
    assert_int_equal(s.conns, 20);
}

static void test_precision_recall(void **state)
{
    (void)state;
    struct ta_beacon_opts o;
    ta_beacon_opts_default(&o);
    struct ta_beacon *b;
    assert_int_equal(ta_beacon_new(&o, &b), TA_OK);
    struct truth t;
    memset(&t, 0, sizeof(t));
    struct ta_addr host, srv;
    unsigned id = 0;
    /* 40 beacons: periods 30 s - 10 min, uniform jitter 0-40%, 6 hours. */
    static const double periods[] = {30, 60, 120, 300, 600};
    static const double jitters[] = {0.0, 0.1, 0.2, 0.3, 0.4};
    for (unsigned p = 0; p < 5; p++) {
        for (unsigned j = 0; j < 5; j++) {
            for (unsigned rep = 0; rep < (j < 3 ? 2u : 1u); rep++) {
                id++;
                addr(&host, 10, 1, (uint8_t)id);
                addr(&srv, 203, 0, (uint8_t)id);
                t.positive[id] = true;
                t.npos++;
                double at = urand() * periods[p];
                uint64_t base = 200 + (uint64_t)(urand() * 800);
                while (at < 6 * 3600) {
                    /* Mostly the same check-in size; a tenth carry a task. */
                    uint64_t size = urand() < 0.1 ? base * 8 : base + (uint64_t)(urand() * 16);
                    ta_beacon_add(b, &host, &srv, 443, 6, T0 + (ta_time_us)(at * 1e6), size, id);
                    at += periods[p] * (1.0 + jitters[j] * (2.0 * urand() - 1.0));
                }
            }
        }
    }
    /* Benign: 40 browsing pairs (bursts of page loads at random times). */
    for (unsigned k = 0; k < 40; k++) {
        id++;
        addr(&host, 10, 2, (uint8_t)k);
        addr(&srv, 198, 51, (uint8_t)id);
        double at = urand() * 600;
        while (at < 6 * 3600) {
            unsigned burst = 1 + (unsigned)(urand() * 6);
            for (unsigned q = 0; q < burst; q++) {
                uint64_t size = (uint64_t)(500 + exp(urand() * 10.0));
                ta_beacon_add(b, &host, &srv, 443, 6, T0 + (ta_time_us)((at + q * urand()) * 1e6),
                              size, id);
            }
            at += -log(1.0 - urand()) * 900.0;
        }
    }
    /* NTP every 64 s: a perfect timer, excluded by port. */
    for (unsigned k = 0; k < 5; k++) {
        id++;
        addr(&host, 10, 3, (uint8_t)k);
        addr(&srv, 192, 0, (uint8_t)id);
        for (unsigned i = 0; i < 300; i++)
            ta_beacon_add(b, &host, &srv, 123, 17, T0 + (ta_time_us)i * 64 * S, 90, id);
    }
    /* Software update polls every hour for a day: slower than max_interval. */
    for (unsigned k = 0; k < 5; k++) {
        id++;
        addr(&host, 10, 4, (uint8_t)k);
        addr(&srv, 192, 0, (uint8_t)id);
        for (unsigned i = 0; i < 24; i++)
            ta_beacon_add(b, &host, &srv, 443, 6,
                          T0 + (ta_time_us)((i * 3600.0 + urand() * 60) * 1e6), 5200, id);
    }
    /* Regular but short-lived: fewer than min_conns connections. */
    for (unsigned k = 0; k < 5; k++) {
        id++;
        addr(&host, 10, 5, (uint8_t)k);
        addr(&srv, 192, 0, (uint8_t)id);
        for (unsigned i = 0; i < 6; i++)
            ta_beacon_add(b, &host, &srv, 80, 6, T0 + (ta_time_us)i * 30 * S, 400, id);
    }
    assert_true(id < 256);
    assert_int_equal(ta_beacon_report(b, on_hit, &t), TA_OK);
    unsigned tp = 0, fp = 0, fn = 0;
    for (unsigned i = 1; i <= id; i++) {
        if (t.hit[i] && t.positive[i])
            tp++;
        else if (t.hit[i])
            fp++;
        else if (t.positive[i])
            fn++;
    }
    double precision = tp + fp ? (double)tp / (tp + fp) : 0.0;
    double recall = (double)tp / t.npos;
    print_message("beacon: %u beacons, %u benign pairs; tp=%u fp=%u fn=%u precision=%.3f "
                  "recall=%.3f\n",
                  t.npos, id - t.npos, tp, fp, fn, precision, recall);
    struct ta_beacon_stats st;
    ta_beacon_get_stats(b, &st);
    assert_int_equal(st.pairs, id - 5); /* NTP pairs are never tracked */
    assert_int_equal(st.reported, tp + fp);
    assert_int_equal(st.pairs_evicted, 0);
    assert_int_equal(fp, 0);
    assert_true(recall >= 0.9);
    /* Reporting again reports nothing new. */
    memset(t.hit, 0, sizeof(t.hit));
    assert_int_equal(ta_beacon_report(b, on_hit, &t), TA_OK);
    ta_beacon_get_stats(b, &st);
    assert_int_equal(st.reported, tp);
    ta_beacon_free(b);
}

static void test_caps(void **state)
{
    (void)state;
    struct ta_beacon_opts o;
    ta_beacon_opts_default(&o);
    o.max_pairs = 4;
    o.max_samples = 16;
    struct ta_beacon *b;
    assert_int_equal(ta_beacon_new(&o, &b), TA_OK);
    struct ta_addr h, s;
    addr(&h, 10, 9, 9);
    for (unsigned k = 0; k < 10; k++) {
        addr(&s, 203, 9, (uint8_t)k);
        for (unsigned i = 0; i < 20; i++)
            ta_beacon_add(b, &h, &s, 443, 6, T0 + (ta_time_us)i * 60 * S, 100, k);
    }
    struct ta_beacon_stats st;
    ta_beacon_get_stats(b, &st);
    assert_int_equal(st.pairs, 4);
    assert_int_equal(st.pairs_evicted, 6);
    assert_int_equal(st.samples_dropped, 10 * 4);
    struct truth t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ta_beacon_report(b, on_hit, &t), TA_OK);
    /* The four most recent pairs survive and are perfect beacons. */
    for (unsigned k = 0; k < 10; k++)
        assert_int_equal(t.hit[k], k >= 6);
    ta_beacon_free(b);
    o.max_pairs = 0;
    assert_int_equal(ta_beacon_new(&o, &b), TA_ERR_ARG);
}

/*
 * Prevalence: a 10-minute timer that 15 of 20 hosts run against one server
 * (an update service) is not reported; the same timer from 3 hosts to
 * another server is. A 30-minute beacon with symmetric jitter (median
 * interval above 1800 s) is still scored; hourly polls are not.
 */
static void test_prevalence(void **state)
{
    (void)state;
    struct ta_beacon_opts o;
    ta_beacon_opts_default(&o);
    assert_int_equal(o.prevalence_min_hosts, 10);
    assert_int_equal(o.max_interval_s, 2700);
    for (int ratio_off = 0; ratio_off < 2; ratio_off++) {
        if (ratio_off)
            o.prevalence_ratio = 0.0;
        struct ta_beacon *b;
        assert_int_equal(ta_beacon_new(&o, &b), TA_OK);
        struct ta_addr h, upd, c2, slow, hourly;
        addr(&upd, 198, 51, 1);
        addr(&c2, 203, 0, 113);
        addr(&slow, 203, 0, 114);
        addr(&hourly, 192, 0, 2);
        for (unsigned k = 0; k < 20; k++) {
            addr(&h, 10, 7, (uint8_t)k);
            ta_time_us at = T0 + (ta_time_us)k * 7 * S;
            for (unsigned i = 0; i < 36; i++) {
                ta_time_us t = at + (ta_time_us)i * 600 * S;
                if (k < 15)
                    ta_beacon_add(b, &h, &upd, 443, 6, t, 700, k);
                if (k >= 17)
                    ta_beacon_add(b, &h, &c2, 443, 6, t, 700, k);
                if (k == 16 && i < 16)
                    ta_beacon_add(b, &h, &slow, 80, 6,
                                  T0 + (ta_time_us)i * 1900 * S + (i % 2) * 120 * S, 400, k);
                if (k == 16 && i < 24)
                    ta_beacon_add(b, &h, &hourly, 443, 6, T0 + (ta_time_us)i * 3600 * S, 900, k);
            }
        }
        struct truth t;
        memset(&t, 0, sizeof(t));
        assert_int_equal(ta_beacon_report(b, on_hit, &t), TA_OK);
        struct ta_beacon_stats st;
        ta_beacon_get_stats(b, &st);
        /* on_hit marks by the server's last byte. */
        assert_int_equal(t.hit[1], ratio_off == 1);
        assert_true(t.hit[113]);
        assert_true(t.hit[114]);
        assert_false(t.hit[2]);
        assert_int_equal(st.prevalent, ratio_off ? 0 : 15);
        assert_int_equal(st.reported, ratio_off ? 15 + 3 + 1 : 3 + 1);
        ta_beacon_free(b);
    }
}

struct conn_hits {
    unsigned n, in_conn;
    uint64_t flow;
    double median;
};

static void on_conn_hit(void *ud, const struct ta_beacon_hit *h)
{
    struct conn_hits *c = ud;
    c->n++;
    c->in_conn += h->in_conn;
    c->flow = h->last_flow_id;
    c->median = h->s.median_interval_s;
}

/*
 * Requests inside one connection: 40 requests at 60 s with 20 % symmetric
 * jitter on one kept-alive connection (one connection start) are a series of
 * their own and reported, marked in_conn. Browsing connections of a few
 * requests hold no pair once they end. A route whose connection starts are
 * reported is reported once, not again for its long connections; a
 * connection's series counts its host once for prevalence.
 */
static void test_in_connection(void **state)
{
    (void)state;
    struct ta_beacon_opts o;
    ta_beacon_opts_default(&o);
    struct ta_beacon *b;
    assert_int_equal(ta_beacon_new(&o, &b), TA_OK);
    struct ta_addr h, c2, web;
    addr(&h, 10, 8, 1);
    addr(&c2, 203, 0, 120);
    addr(&web, 198, 51, 7);
    ta_time_us t = T0;
    ta_beacon_add(b, &h, &c2, 8080, 6, t, 9000, 77);
    for (unsigned i = 0; i < 40; i++) {
        ta_beacon_add_request(b, &h, &c2, 8080, 6, 77, t, 150 + (uint64_t)(urand() * 8));
        t += (ta_time_us)(60.0 * (1.0 + 0.2 * (2.0 * urand() - 1.0)) * 1e6);
    }
    ta_beacon_conn_end(b, &h, &c2, 8080, 6, 77);
    /* 30 browsing connections of 3 requests each, ended. */
    for (unsigned k = 0; k < 30; k++) {
        ta_time_us at = T0 + (ta_time_us)(urand() * 7200.0 * 1e6);
        ta_beacon_add(b, &h, &web, 443, 6, at, 20000, 1000 + k);
        for (unsigned i = 0; i < 3; i++)
            ta_beacon_add_request(b, &h, &web, 443, 6, 1000 + k, at + i * 200000, 5000);
        ta_beacon_conn_end(b, &h, &web, 443, 6, 1000 + k);
    }
    struct ta_beacon_stats st;
    ta_beacon_get_stats(b, &st);
    assert_int_equal(st.pairs, 3); /* c2 starts, c2's connection, web starts */
    struct conn_hits c = {0};
    assert_int_equal(ta_beacon_report(b, on_conn_hit, &c), TA_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.in_conn, 1);
    assert_int_equal(c.flow, 77);
    assert_true(c.median > 50.0 && c.median < 70.0);
    ta_beacon_free(b);

    /* Connection starts and a long connection on one route: one report, the starts'. */
    assert_int_equal(ta_beacon_new(&o, &b), TA_OK);
    for (unsigned i = 0; i < 30; i++)
        ta_beacon_add(b, &h, &c2, 443, 6, T0 + (ta_time_us)i * 120 * S, 600, i + 1);
    for (unsigned i = 0; i < 30; i++)
        ta_beacon_add_request(b, &h, &c2, 443, 6, 500, T0 + (ta_time_us)i * 120 * S, 300);
    memset(&c, 0, sizeof(c));
    assert_int_equal(ta_beacon_report(b, on_conn_hit, &c), TA_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.in_conn, 0);
    ta_beacon_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_series),  cmocka_unit_test(test_precision_recall),
        cmocka_unit_test(test_caps),          cmocka_unit_test(test_prevalence),
        cmocka_unit_test(test_in_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
