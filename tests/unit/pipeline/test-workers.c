/*
 * Unit tests for the worker set (src/pipeline/pipeline-workers.c): the
 * dispatcher's hash sends both directions of a flow, and every IP fragment
 * of a datagram (ports or not), to one worker, over every link layer the
 * decoder reads; and N workers replay exactly the flows, in exactly the
 * order, one engine ends them, timeouts included.
 */
#include "testutil.h"

#include "pktbuild.h"
#include "pipeline/pipeline-workers.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void rand_addr(struct ta_addr *a, int family)
{
    char s[64];
    if (family == 4)
        snprintf(s, sizeof(s), "10.%u.%u.%u", rnd() % 256, rnd() % 256, rnd() % 256);
    else
        snprintf(s, sizeof(s), "2001:db8::%x:%x", rnd() % 65536, rnd() % 65536);
    assert_true(ta_addr_parse(a, s));
}

static size_t tcp_frame(uint8_t *buf, const struct tg_frame *f, bool reverse)
{
    struct tg_frame g = *f;
    if (reverse) {
        g.src = f->dst;
        g.dst = f->src;
    }
    struct tg_tcp t = {.sport = reverse ? 80 : 43210,
                       .dport = reverse ? 43210 : 80,
                       .flags = TG_ACK,
                       .win = 1000,
                       .wscale = -1};
    return tg_build_tcp(buf, TG_FRAME_MAX, &g, &t, (const uint8_t *)"x", 1);
}

/* Both directions meet, over every link layer, tagged or not, v4 and v6. */
static void test_symmetric(void **state)
{
    (void)state;
    static const uint32_t links[] = {TG_LINK_ETH, TG_LINK_SLL, TG_LINK_SLL2, TG_LINK_RAW,
                                     TG_LINK_NULL};
    unsigned used[8] = {0};
    uint8_t a[TG_FRAME_MAX], b[TG_FRAME_MAX];
    for (int i = 0; i < 2000; i++) {
        struct tg_frame f;
        memset(&f, 0, sizeof(f));
        rand_addr(&f.src, i % 2 ? 6 : 4);
        f.dst.family = 0;
        rand_addr(&f.dst, f.src.family);
        f.linktype = links[i % 5];
        f.null_link = f.linktype == TG_LINK_NULL;
        if (f.linktype == TG_LINK_ETH)
            f.nvlan = (uint8_t)(i % 3), f.vlan[0] = 7, f.vlan[1] = 9;
        size_t na = tcp_frame(a, &f, false), nb = tcp_frame(b, &f, true);
        assert_true(na > 0 && nb > 0);
        int lt = (int)f.linktype;
        for (unsigned n = 2; n <= 8; n++) {
            unsigned wa = ta__workers_pick(lt, a, (uint32_t)na, n);
            assert_true(wa < n);
            assert_int_equal(wa, ta__workers_pick(lt, b, (uint32_t)nb, n));
            if (n == 8)
                used[wa]++;
        }
        /* The link layer and the tags do not change where a flow goes. */
        struct tg_frame raw = f;
        raw.linktype = TG_LINK_RAW;
        raw.null_link = false;
        raw.nvlan = 0;
        size_t nr = tcp_frame(b, &raw, false);
        assert_int_equal(ta__workers_pick(lt, a, (uint32_t)na, 5),
                         ta__workers_pick(TG_LINK_RAW, b, (uint32_t)nr, 5));
    }
    /* Spread: every one of 8 workers gets a fair share of 2000 random pairs. */
    for (int w = 0; w < 8; w++)
        assert_in_range(used[w], 150, 350);
}

/* Fragments carry no ports after the first: they go with their datagram's flow. */
static void test_fragments(void **state)
{
    (void)state;
    uint8_t whole[TG_FRAME_MAX], frag[TG_FRAME_MAX], back[TG_FRAME_MAX];
    uint8_t payload[3000];
    memset(payload, 'p', sizeof(payload));
    for (int i = 0; i < 200; i++) {
        struct tg_frame f;
        memset(&f, 0, sizeof(f));
        int fam = i % 2 ? 6 : 4;
        rand_addr(&f.src, fam);
        rand_addr(&f.dst, fam);
        f.ip_id = (uint16_t)i;
        size_t n = tg_build_udp(whole, sizeof(whole), &f, (uint16_t)(1024 + i), 53, payload,
                                sizeof(payload));
        assert_true(n > 0);
        struct tg_frame r = f;
        r.src = f.dst;
        r.dst = f.src;
        size_t nb = tg_build_udp(back, sizeof(back), &r, 53, (uint16_t)(1024 + i), payload, 10);
        for (unsigned w = 2; w <= 6; w++) {
            unsigned want = ta__workers_pick(TG_LINK_ETH, whole, (uint32_t)n, w);
            assert_int_equal(want, ta__workers_pick(TG_LINK_ETH, back, (uint32_t)nb, w));
            for (unsigned k = 0; k < 3; k++) {
                size_t nf = fam == 4 ? tg_ipv4_fragment(frag, sizeof(frag), whole, n, 14, 3, k)
                                     : tg_ipv6_fragment(frag, sizeof(frag), whole, n, 14,
                                                        (uint32_t)i, 3, k);
                assert_true(nf > 0);
                assert_int_equal(want, ta__workers_pick(TG_LINK_ETH, frag, (uint32_t)nf, w));
            }
        }
    }
}

/* What is not IP, or too short to tell, goes to worker 0; one worker is worker 0. */
static void test_not_ip(void **state)
{
    (void)state;
    uint8_t arp[42];
    memset(arp, 0, sizeof(arp));
    arp[12] = 0x08;
    arp[13] = 0x06;
    for (unsigned n = 2; n < 8; n++) {
        assert_int_equal(0, ta__workers_pick(TG_LINK_ETH, arp, sizeof(arp), n));
        assert_int_equal(0, ta__workers_pick(TG_LINK_ETH, arp, 10, n));
        assert_int_equal(0, ta__workers_pick(TG_LINK_RAW, arp, 0, n));
        assert_int_equal(0, ta__workers_pick(147, arp, sizeof(arp), n)); /* unknown link */
    }
    struct tg_frame f;
    memset(&f, 0, sizeof(f));
    rand_addr(&f.src, 4);
    rand_addr(&f.dst, 4);
    uint8_t buf[TG_FRAME_MAX];
    size_t nf = tcp_frame(buf, &f, false);
    assert_int_equal(0, ta__workers_pick(TG_LINK_ETH, buf, (uint32_t)nf, 1));
    /* Cut inside the IPv4 header: not enough to read both addresses. */
    assert_int_equal(0, ta__workers_pick(TG_LINK_ETH, buf, 14 + 19, 4));
}

/* ---- replay order ---------------------------------------------------------- */

struct seen {
    char *log;
    size_t len, cap;
};

static void add(struct seen *s, const char *line)
{
    size_t n = strlen(line);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->cap + n + 1) * 2;
        s->log = realloc(s->log, s->cap);
        assert_non_null(s->log);
    }
    memcpy(s->log + s->len, line, n + 1);
    s->len += n;
}

static void on_flow(void *ud, const struct ta_flow *f)
{
    char line[256];
    snprintf(line, sizeof(line), "flow %llu r%u p%llu/%llu s%llu l%llu\n",
             (unsigned long long)f->id, f->reason, (unsigned long long)f->pkts_toserver,
             (unsigned long long)f->pkts_toclient, (unsigned long long)f->start,
             (unsigned long long)f->last);
    add(ud, line);
}

static void on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    char line[512];
    const struct ta_dns_record *d = rec;
    snprintf(line, sizeof(line), "rec %u flow %llu %s\n", type, (unsigned long long)f->id,
             type == TA_REC_DNS && d->n_queries > 0 ? d->queries[0].rrname.ptr : "");
    add(ud, line);
}

/*
 * Many UDP and DNS flows between a few hosts, timestamps going a little
 * backwards at times, short timeouts: flows end by timeout all the time, often
 * several in one check, with flows of one second queued out of their last-packet
 * order (the case where one engine's check stops at a live flow before an
 * expired one), and some tuples reused after their flow ended.
 */
static size_t make_stream(uint8_t **frames, size_t **lens, ta_time_us **ts)
{
    size_t n = 30000;
    *frames = malloc(n * 200);
    *lens = calloc(n, sizeof(**lens));
    *ts = calloc(n, sizeof(**ts));
    assert_true(*frames && *lens && *ts);
    ta_time_us t = 1400000000000000ull;
    for (size_t i = 0; i < n; i++) {
        struct tg_frame f;
        memset(&f, 0, sizeof(f));
        char s[32];
        unsigned h = rnd() % 40, srv = rnd() % 6;
        snprintf(s, sizeof(s), "10.1.0.%u", h);
        ta_addr_parse(&f.src, s);
        snprintf(s, sizeof(s), "192.0.2.%u", srv);
        ta_addr_parse(&f.dst, s);
        bool reply = rnd() % 3 == 0;
        if (reply) {
            struct ta_addr x = f.src;
            f.src = f.dst;
            f.dst = x;
        }
        uint16_t cport = (uint16_t)(1024 + rnd() % 4), sport = srv < 2 ? 53 : 9000;
        uint8_t msg[64];
        size_t mlen = 0;
        if (sport == 53) { /* a DNS query or answer for q<h>.example */
            uint8_t q[] = {0x12, 0x34, reply ? 0x81 : 0x01,
                           0x00, 0,    1,
                           0,    0,    0,
                           0,    0,    0,
                           2,    'q',  (uint8_t)('a' + h % 26),
                           7,    'e',  'x',
                           'a',  'm',  'p',
                           'l',  'e',  0,
                           0,    1,    0,
                           1};
            memcpy(msg, q, sizeof(q));
            mlen = sizeof(q);
        } else {
            memcpy(msg, "data", 4);
            mlen = 4;
        }
        size_t len = tg_build_udp(*frames + i * 200, 200, &f, reply ? sport : cport,
                                  reply ? cport : sport, msg, mlen);
        assert_true(len > 0);
        (*lens)[i] = len;
        /* Mostly forward by up to 0.4 s, sometimes back by up to 0.3 s. */
        if (rnd() % 10 == 0)
            t -= rnd() % 300000;
        else
            t += rnd() % 400000;
        (*ts)[i] = t;
    }
    return n;
}

/* The stream and the stage options both tests run it with (short timeouts). */
struct stream {
    uint8_t *frames;
    size_t *lens;
    ta_time_us *ts;
    size_t n;
    struct ta_engine_opts eo;
    struct ta_proto_opts po;
};

static void stream_make(struct stream *st)
{
    st->n = make_stream(&st->frames, &st->lens, &st->ts);
    ta_engine_opts_default(&st->eo);
    st->eo.udp_timeout = 3;
    st->eo.other_timeout = 2;
    ta_proto_opts_default(&st->po);
}

static void stream_free(struct stream *st)
{
    free(st->frames);
    free(st->lens);
    free(st->ts);
}

/* What one engine observes of the stream, and its counters. */
static void one_engine(const struct stream *sm, struct seen *one, struct ta_engine_stats *st,
                       ta_time_us *now)
{
    struct ta_engine *e;
    struct ta_proto *p;
    assert_int_equal(TA_OK, ta_engine_new(&sm->eo, &e));
    assert_int_equal(TA_OK, ta_proto_new(&sm->po, &p));
    ta_engine_set_app_layer(e, ta_proto_hooks(), p);
    struct ta_obs_sink s1 = {one, on_flow, on_record};
    ta_engine_add_sink(e, &s1);
    for (size_t i = 0; i < sm->n; i++)
        ta_engine_packet(e, TG_LINK_ETH, sm->ts[i], sm->frames + i * 200, (uint32_t)sm->lens[i],
                         (uint32_t)sm->lens[i]);
    ta_engine_flush(e);
    ta_engine_get_stats(e, st);
    *now = ta_engine_now(e);
    ta_engine_free(e);
    ta_proto_free(p);
    assert_true(st->flows_created > 1000);
    assert_non_null(strstr(one->log, "rec 1 "));
}

static void test_replay_order(void **state)
{
    (void)state;
    struct stream sm;
    stream_make(&sm);
    const uint8_t *frames = sm.frames;
    const size_t *lens = sm.lens;
    const ta_time_us *ts = sm.ts;
    size_t n = sm.n;
    const struct ta_engine_opts eo = sm.eo;
    const struct ta_proto_opts po = sm.po;

    struct seen one = {0};
    struct ta_engine_stats st1;
    ta_time_us st1_now;
    one_engine(&sm, &one, &st1, &st1_now);

    for (unsigned w = 2; w <= 5; w++) {
        struct seen many = {0};
        struct ta_engine *agg;
        assert_int_equal(TA_OK, ta_engine_new(&eo, &agg));
        struct ta_obs_sink s2 = {&many, on_flow, on_record};
        struct ta__workers *ws;
        assert_int_equal(TA_OK, ta__workers_new(w, &eo, &po, &s2, NULL, &ws));
        for (size_t i = 0; i < n; i++)
            ta__workers_frame(ws, TG_LINK_ETH, ts[i], frames + i * 200, (uint32_t)lens[i],
                              (uint32_t)lens[i]);
        ta__workers_finish(ws);
        ta__workers_absorb(ws, agg, NULL);
        assert_int_equal(0, ta__workers_lost(ws));
        assert_int_equal(n, ta__workers_frames(ws));
        struct ta_engine_stats st;
        ta_engine_get_stats(agg, &st);
        assert_int_equal(st1.packets, st.packets);
        assert_int_equal(st1.flows_created, st.flows_created);
        assert_int_equal(st1.flows_ended, st.flows_ended);
        assert_int_equal(st1_now, ta_engine_now(agg));
        ta__workers_free(ws);
        ta_engine_free(agg);
        assert_int_equal(one.len, many.len);
        assert_string_equal(one.log, many.log);
        free(many.log);
    }
    free(one.log);
    stream_free(&sm);
}

/*
 * Frames the source keeps (not copied): the workers read them where they lie
 * until released, and never after. Each release is followed by overwriting
 * the released frames, so a read after it would change what is observed.
 */
static void test_kept_frames(void **state)
{
    (void)state;
    struct stream sm;
    stream_make(&sm);
    struct seen one = {0};
    struct ta_engine_stats st1;
    ta_time_us now1;
    one_engine(&sm, &one, &st1, &now1);
    uint8_t *mine = malloc(sm.n * 200);
    assert_non_null(mine);
    for (unsigned w = 2; w <= 3; w++) {
        memcpy(mine, sm.frames, sm.n * 200);
        struct seen many = {0};
        struct ta_obs_sink s2 = {&many, on_flow, on_record};
        struct ta__workers *ws;
        assert_int_equal(TA_OK, ta__workers_new(w, &sm.eo, &sm.po, &s2, NULL, &ws));
        size_t gone = 0;
        for (size_t i = 0; i < sm.n; i++) {
            /* Some frames copied, as a source that is not mapped gives them. */
            if (i % 7 == 0)
                ta__workers_frame(ws, TG_LINK_ETH, sm.ts[i], mine + i * 200, (uint32_t)sm.lens[i],
                                  (uint32_t)sm.lens[i]);
            else
                ta__workers_frame_kept(ws, TG_LINK_ETH, sm.ts[i], mine + i * 200,
                                       (uint32_t)sm.lens[i], (uint32_t)sm.lens[i]);
            if (i % 997 == 996) { /* keep the last 300 frames, release the rest */
                ta__workers_release(ws, i + 1 - 300);
                memset(mine + gone * 200, 0xa5, (i + 1 - 300 - gone) * 200);
                gone = i + 1 - 300;
            }
        }
        ta__workers_release(ws, sm.n);
        memset(mine, 0xa5, sm.n * 200);
        ta__workers_finish(ws);
        assert_int_equal(0, ta__workers_lost(ws));
        ta__workers_free(ws);
        assert_string_equal(one.log, many.log);
        free(many.log);
    }
    free(mine);
    free(one.log);
    stream_free(&sm);
}

/* A set stopped before the end of its input frees everything (ASan checks). */
static void test_free_midway(void **state)
{
    (void)state;
    struct stream sm;
    stream_make(&sm);
    const uint8_t *frames = sm.frames;
    const size_t *lens = sm.lens;
    const ta_time_us *ts = sm.ts;
    size_t n = sm.n;
    const struct ta_engine_opts eo = sm.eo;
    const struct ta_proto_opts po = sm.po;
    struct seen sink = {0};
    struct ta_obs_sink s = {&sink, on_flow, on_record};
    struct ta__workers *ws;
    assert_int_equal(TA_ERR_ARG, ta__workers_new(1, &eo, &po, &s, NULL, &ws));
    assert_int_equal(TA_OK, ta__workers_new(3, &eo, &po, &s, NULL, &ws));
    for (size_t i = 0; i < n / 2; i++)
        ta__workers_frame(ws, TG_LINK_ETH, ts[i], frames + i * 200, (uint32_t)lens[i],
                          (uint32_t)lens[i]);
    ta__workers_free(ws);
    assert_true(sink.len > 0);
    free(sink.log);
    stream_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symmetric),   cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_not_ip),      cmocka_unit_test(test_replay_order),
        cmocka_unit_test(test_free_midway), cmocka_unit_test(test_kept_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
