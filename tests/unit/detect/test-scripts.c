/*
 * Unit tests for the per-script request profiles (src/detect/detect-scripts.c):
 * a driven webshell's requests are a suspect; each rule, broken alone, clears
 * it with its own reason; the table stays at its cap and counts evictions;
 * the verdict is the same whatever the order of the requests; and through the
 * detector, one backdoor-suspected event per script and client at the end.
 */
#include "testutil.h"

#include "detect/detect-scripts.h"
#include "threatatlas/detect.h"

static const struct ta__script_opts OPTS = {
    .max_scripts = 16, .min_posts = 10, .max_clients = 3, .size_spread = 32};

static struct ta_addr ip(const char *s)
{
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, s));
    return a;
}

struct req {
    const char *client, *url, *method;
    uint16_t status;
    uint64_t req_size, resp_size;
    ta_time_us ts;
};

static void add(struct ta__scripts *s, const struct req *q, bool explained)
{
    struct ta_addr c = ip(q->client), srv = ip("10.0.0.80");
    struct ta__script_req r = {
        .client = &c,
        .server = &srv,
        .client_port = 40000,
        .server_port = 80,
        .host = "shop.example",
        .url = q->url,
        .method = q->method,
        .status = q->status,
        .have_resp = q->status != 0,
        .req_size = q->req_size,
        .resp_size = q->resp_size,
        .ts = q->ts,
        .flow_id = (uint64_t)q->ts,
    };
    ta__scripts_add(s, &r, explained);
}

/* n POSTs from `client` to /up/x.php, answers 1000 + (i % 3) * 10 bytes. */
static void drive(struct ta__scripts *s, const char *client, int n, ta_time_us t0)
{
    for (int i = 0; i < n; i++) {
        struct req q = {client, "/up/x.php?c=1", "POST", 200, 500, 1000 + (uint64_t)(i % 3) * 10,
                        t0 + i};
        add(s, &q, false);
    }
}

struct got {
    const struct ta__script *p[8];
    size_t n;
};

static void on_p(void *ud, const struct ta__script *p)
{
    struct got *g = ud;
    if (g->n < 8)
        g->p[g->n++] = p;
}

static void first_value(void *ud, void *value)
{
    *(struct ta__script **)ud = value;
}

/* The verdict of the only profile in s. */
static enum ta__script_rule only_verdict(struct ta__scripts *s)
{
    assert_int_equal(s->c.n, 1);
    struct ta__script *p = NULL;
    ta__cache_each(&s->c, first_value, &p);
    assert_non_null(p);
    return ta__script_verdict(p, &s->o);
}

static void fresh(struct ta__scripts *s)
{
    assert_int_equal(ta__scripts_init(s, &OPTS), TA_OK);
}

static void test_suspect(void **state)
{
    (void)state;
    struct ta__scripts s;
    fresh(&s);
    drive(&s, "203.0.113.66", 12, 100);
    drive(&s, "203.0.113.67", 3, 200);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SUSPECT);
    struct got g = {{0}, 0};
    assert_int_equal(ta__scripts_report(&s, on_p, &g), TA_OK);
    assert_int_equal(g.n, 1);
    const struct ta__script *p = g.p[0];
    assert_string_equal(p->path, "/up/x.php");
    assert_string_equal(p->host, "shop.example");
    assert_int_equal(p->posts, 15);
    assert_int_equal(p->answered, 15);
    assert_int_equal(p->resp_min, 1000);
    assert_int_equal(p->resp_max, 1020);
    assert_int_equal(p->nclients, 2);
    assert_int_equal(p->clients[0].requests, 12);
    assert_int_equal(p->clients[0].first, 100);
    assert_int_equal(p->clients[0].last, 111);
    /* Reported once. */
    g.n = 0;
    assert_int_equal(ta__scripts_report(&s, on_p, &g), TA_OK);
    assert_int_equal(g.n, 0);
    ta__scripts_release(&s);
}

/* Each rule alone: the suspect above with one thing changed. */
static void test_rules_alone(void **state)
{
    (void)state;
    struct ta__scripts s;

    fresh(&s); /* one GET */
    drive(&s, "203.0.113.66", 12, 100);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "GET", 200, 0, 1000, 50}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_GET);
    ta__scripts_release(&s);

    fresh(&s); /* one HEAD counts as a GET */
    drive(&s, "203.0.113.66", 12, 100);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "HEAD", 200, 0, 0, 50}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_GET);
    ta__scripts_release(&s);

    fresh(&s); /* another method */
    drive(&s, "203.0.113.66", 12, 100);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "PUT", 201, 10, 1000, 50}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_OTHER);
    ta__scripts_release(&s);

    fresh(&s); /* a fourth client */
    drive(&s, "203.0.113.66", 12, 100);
    drive(&s, "203.0.113.67", 1, 200);
    drive(&s, "203.0.113.68", 1, 300);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SUSPECT);
    drive(&s, "203.0.113.69", 1, 400);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_MANY_CLIENTS);
    ta__scripts_release(&s);

    fresh(&s); /* 9 answered POSTs; the 10th answered 404 does not count */
    drive(&s, "203.0.113.66", 9, 100);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_FEW_POSTS);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "POST", 404, 500, 1000, 50}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_FEW_POSTS);
    drive(&s, "203.0.113.66", 1, 300);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SUSPECT);
    ta__scripts_release(&s);

    fresh(&s); /* one answer 33 bytes off the others */
    drive(&s, "203.0.113.66", 12, 100);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "POST", 200, 500, 1020 + 13, 50}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SIZES);
    ta__scripts_release(&s);

    fresh(&s); /* empty answers are not a shell's output */
    for (int i = 0; i < 12; i++)
        add(&s, &(struct req){"203.0.113.66", "/up/x.php", "POST", 200, 100, 0, i}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SIZES);
    ta__scripts_release(&s);

    fresh(&s); /* a URL or content event already named it */
    drive(&s, "203.0.113.66", 12, 100);
    add(&s, &(struct req){"203.0.113.66", "/up/x.php", "POST", 200, 500, 1000, 50}, true);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_EXPLAINED);
    ta__scripts_release(&s);
}

/* Answers that vary with the request by a fixed frame: constant framing. */
static void test_framing(void **state)
{
    (void)state;
    struct ta__scripts s;
    fresh(&s);
    for (int i = 0; i < 12; i++) {
        uint64_t q = 100 + (uint64_t)i * 400;
        add(&s, &(struct req){"198.51.100.9", "/i/y.jsp", "POST", 200, q, q + 40 + (i % 2), i},
            false);
    }
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SUSPECT);
    add(&s, &(struct req){"198.51.100.9", "/i/y.jsp", "POST", 200, 100, 100 + 40 + 33, 99}, false);
    assert_int_equal(only_verdict(&s), TA__SCRIPT_SIZES);
    ta__scripts_release(&s);
}

static void test_script_paths(void **state)
{
    (void)state;
    assert_true(ta__script_path("/uploads/x.php"));
    assert_true(ta__script_path("/a/B.AsPx?x=1"));
    assert_true(ta__script_path("/s.jsp#f"));
    assert_false(ta__script_path("/index.html"));
    assert_false(ta__script_path("/api/v1/orders"));
    assert_false(ta__script_path("/x.php/"));
    assert_false(ta__script_path("/dir.php/file.png"));
    assert_false(ta__script_path("/p?x=.php"));
    assert_false(ta__script_path("/wp-cron.php?doing_wp_cron"));
    assert_false(ta__script_path("/blog/xmlrpc.php"));
    assert_false(ta__script_path("/wp-login.php"));
    assert_false(ta__script_path(NULL));
}

/* The cap holds; evictions are counted; the least recently used goes. */
static void test_cap(void **state)
{
    (void)state;
    struct ta__scripts s;
    struct ta__script_opts o = OPTS;
    o.max_scripts = 4;
    assert_int_equal(ta__scripts_init(&s, &o), TA_OK);
    char url[32];
    for (int i = 0; i < 10; i++) {
        snprintf(url, sizeof(url), "/s%d.php", i);
        add(&s, &(struct req){"203.0.113.66", url, "POST", 200, 5, 100, i}, false);
    }
    assert_int_equal(s.c.n, 4);
    assert_int_equal(s.c.evicted, 6);
    ta__scripts_release(&s);
}

/* The same requests in another order: the same profile. */
static void test_order(void **state)
{
    (void)state;
    struct ta__scripts a, b;
    fresh(&a);
    fresh(&b);
    struct req q[12];
    for (int i = 0; i < 12; i++)
        q[i] = (struct req){i % 2 ? "203.0.113.66" : "203.0.113.67",
                            "/x.php",
                            "POST",
                            200,
                            (uint64_t)i,
                            700 + (uint64_t)i,
                            1000 + (i % 5)};
    for (int i = 0; i < 12; i++) {
        add(&a, &q[i], false);
        add(&b, &q[11 - i], false);
    }
    struct got ga = {{0}, 0}, gb = {{0}, 0};
    assert_int_equal(ta__scripts_report(&a, on_p, &ga), TA_OK);
    assert_int_equal(ta__scripts_report(&b, on_p, &gb), TA_OK);
    assert_int_equal(ga.n, 1);
    assert_int_equal(gb.n, 1);
    const struct ta__script *x = ga.p[0], *y = gb.p[0];
    assert_int_equal(x->resp_min, y->resp_min);
    assert_int_equal(x->resp_max, y->resp_max);
    for (int c = 0; c < 2; c++) {
        /* Clients are kept in arrival order; the event sorts them. */
        int d = ta_addr_cmp(&x->clients[c].ip, &y->clients[0].ip) == 0 ? 0 : 1;
        assert_int_equal(x->clients[c].first, y->clients[d].first);
        assert_int_equal(x->clients[c].last, y->clients[d].last);
        assert_int_equal(x->clients[c].last_flow, y->clients[d].last_flow);
    }
    ta__scripts_release(&a);
    ta__scripts_release(&b);
}

struct evs {
    int n;
    char src[4][TA_ADDR_STRLEN];
    enum ta_event_kind kind[4];
    enum ta_event_method method[4];
};

static void on_ev(void *ud, const struct ta_event *ev)
{
    struct evs *e = ud;
    if (e->n < 4) {
        ta_addr_format(&ev->attacker.ip, e->src[e->n], TA_ADDR_STRLEN);
        e->kind[e->n] = ev->kind;
        e->method[e->n] = ev->method;
    }
    e->n++;
}

/* Through the detector: nothing until the end, then one event per client. */
static void test_detector(void **state)
{
    (void)state;
    struct evs e = {0};
    struct ta_detector *d;
    assert_int_equal(ta_detector_new(NULL, NULL, NULL, on_ev, &e, &d), TA_OK);
    const char *clients[] = {"203.0.113.67", "203.0.113.66"};
    for (int i = 0; i < 20; i++) {
        struct ta_flow f;
        memset(&f, 0, sizeof(f));
        f.src = ip(clients[i % 2]);
        f.dst = ip("10.0.0.80");
        f.dp = 80;
        f.proto = 6;
        f.id = 1000 + (uint64_t)i;
        f.start = 5000 + i;
        struct ta_detect_http tx = {.ts = 5000 + i,
                                    .method = "POST",
                                    .host = "shop.example",
                                    .url = "/up/x.php",
                                    .status = 200,
                                    .have_resp = true,
                                    .req_sent = 300,
                                    .resp_sent = 990 + (uint64_t)(i % 4)};
        ta_detector_http(d, &f, &tx);
        ta_detector_flow_end(d, &f);
    }
    assert_int_equal(e.n, 0);
    ta_detector_finish(d);
    assert_int_equal(e.n, 2);
    assert_string_equal(e.src[0], "203.0.113.66");
    assert_string_equal(e.src[1], "203.0.113.67");
    assert_int_equal(e.kind[0], TA_EVENT_BACKDOOR_SUSPECTED);
    assert_int_equal(e.method[1], TA_METHOD_BEHAVIOUR);
    assert_string_equal(ta_event_method_name(TA_METHOD_BEHAVIOUR), "behaviour");
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.scripts, 1);
    assert_int_equal(st.scripts_reported, 1);
    assert_int_equal(st.scripts_evicted, 0);
    ta_detector_finish(d); /* not again */
    assert_int_equal(e.n, 2);
    ta_detector_free(d);
}

/* The detector's cap: profiles beyond max_scripts evict the oldest, counted in its stats. */
static void test_detector_cap(void **state)
{
    (void)state;
    struct evs e = {0};
    struct ta_detect_opts o;
    ta_detect_opts_default(&o);
    o.max_scripts = 2;
    struct ta_detector *d;
    assert_int_equal(ta_detector_new(&o, NULL, NULL, on_ev, &e, &d), TA_OK);
    char url[32];
    for (int i = 0; i < 5; i++) {
        struct ta_flow f;
        memset(&f, 0, sizeof(f));
        f.src = ip("203.0.113.66");
        f.dst = ip("10.0.0.80");
        f.dp = 80;
        f.proto = 6;
        f.id = 1 + (uint64_t)i;
        snprintf(url, sizeof(url), "/s%d.aspx", i);
        struct ta_detect_http tx = {
            .ts = i, .method = "POST", .url = url, .status = 200, .have_resp = true};
        ta_detector_http(d, &f, &tx);
    }
    /* Not a script: no profile. */
    struct ta_flow f;
    memset(&f, 0, sizeof(f));
    struct ta_detect_http tx = {.ts = 9, .method = "POST", .url = "/api/x", .have_resp = true};
    ta_detector_http(d, &f, &tx);
    struct ta_detect_stats st;
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.scripts, 2);
    assert_int_equal(st.scripts_evicted, 3);
    ta_detector_free(d);

    /* Turned off: no profile at all. */
    o.no_script_behaviour = true;
    assert_int_equal(ta_detector_new(&o, NULL, NULL, on_ev, &e, &d), TA_OK);
    ta_detector_http(d, &f, &(struct ta_detect_http){.method = "POST", .url = "/x.php"});
    ta_detector_get_stats(d, &st);
    assert_int_equal(st.scripts, 0);
    ta_detector_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspect),  cmocka_unit_test(test_rules_alone),
        cmocka_unit_test(test_framing),  cmocka_unit_test(test_script_paths),
        cmocka_unit_test(test_cap),      cmocka_unit_test(test_order),
        cmocka_unit_test(test_detector), cmocka_unit_test(test_detector_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
