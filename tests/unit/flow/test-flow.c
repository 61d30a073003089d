/*
 * Unit tests for the flow table and engine (src/flow/flow-engine.c):
 * client side, TCP state, timeouts in packet time and on a live capture's wall
 * clock (ta_engine_advance), the max_flows cap and its
 * eviction order, port reuse, app-layer hooks and the flush order.
 */
#include "testutil.h"

#include "pktbuild.h"
#include "threatatlas/engine.h"

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define C             A(10, 0, 0, 1)
#define S             A(10, 0, 0, 2)

struct rec {
    struct ta_flow f[64];
    int n;
    int app_pkts, app_ends, toclient;
};

static void on_flow(void *ud, const struct ta_flow *f)
{
    struct rec *r = ud;
    assert_true(r->n < 64);
    r->f[r->n++] = *f;
}

static void app_packet(void *ctx, struct ta_flow *f, const struct ta_packet *p,
                       enum ta_flow_dir dir, const struct ta_obs_sink *emit)
{
    (void)f, (void)p, (void)emit;
    struct rec *r = ctx;
    r->app_pkts++;
    r->toclient += dir == TA_DIR_TOCLIENT;
    f->app_proto = TA_APP_HTTP;
}

static void app_end(void *ctx, struct ta_flow *f, const struct ta_obs_sink *emit)
{
    (void)f, (void)emit;
    struct rec *r = ctx;
    r->app_ends++;
}

static struct ta_engine *mk(struct rec *r, uint32_t max_flows)
{
    struct ta_engine_opts o;
    ta_engine_opts_default(&o);
    o.max_flows = max_flows;
    struct ta_engine *e;
    assert_int_equal(ta_engine_new(&o, &e), TA_OK);
    memset(r, 0, sizeof(*r));
    struct ta_obs_sink s = {.ud = r, .on_flow = on_flow};
    assert_int_equal(ta_engine_add_sink(e, &s), TA_OK);
    return e;
}

static void tcp(struct ta_engine *e, uint64_t ts, uint32_t src, uint32_t dst, uint16_t sp,
                uint16_t dp, uint8_t fl, size_t plen)
{
    static uint8_t f[2000];
    size_t n = pb_eth_tcp4(f, src, dst, sp, dp, fl, plen);
    ta_engine_packet(e, TA_LINK_ETHERNET, ts, f, (uint32_t)n, (uint32_t)n);
}

static void udp(struct ta_engine *e, uint64_t ts, uint32_t src, uint32_t dst, uint16_t sp,
                uint16_t dp)
{
    static uint8_t f[2000];
    size_t n = pb_eth_udp4(f, src, dst, sp, dp, 10);
    ta_engine_packet(e, TA_LINK_ETHERNET, ts, f, (uint32_t)n, (uint32_t)n);
}

#define SEC 1000000ull

static void test_tcp_session(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 100);
    struct ta_app_hooks h = {app_packet, app_end};
    ta_engine_set_app_layer(e, &h, &r);
    tcp(e, 1 * SEC, C, S, 4000, 80, TA_TCP_SYN, 0);
    tcp(e, 1 * SEC + 1, S, C, 80, 4000, TA_TCP_SYN | TA_TCP_ACK, 0);
    tcp(e, 1 * SEC + 2, C, S, 4000, 80, TA_TCP_ACK, 0);
    tcp(e, 1 * SEC + 3, C, S, 4000, 80, TA_TCP_ACK | TA_TCP_PSH, 100);
    tcp(e, 2 * SEC, S, C, 80, 4000, TA_TCP_ACK | TA_TCP_FIN, 0);
    tcp(e, 2 * SEC + 1, C, S, 4000, 80, TA_TCP_ACK | TA_TCP_FIN, 0);
    assert_int_equal(r.n, 0);
    /* End-of-connection timeout (10 s) in packet time, triggered by any later packet. */
    udp(e, 12 * SEC, A(1, 1, 1, 1), A(2, 2, 2, 2), 1, 2);
    assert_int_equal(r.n, 0);
    udp(e, 13 * SEC, A(1, 1, 1, 1), A(2, 2, 2, 2), 1, 2);
    assert_int_equal(r.n, 1);
    struct ta_flow *f = &r.f[0];
    char b[TA_ADDR_STRLEN];
    assert_string_equal(ta_addr_format(&f->src, b, sizeof(b)), "10.0.0.1");
    assert_int_equal(f->sp, 4000);
    assert_int_equal(f->dp, 80);
    assert_int_equal(f->pkts_toserver, 4);
    assert_int_equal(f->pkts_toclient, 2);
    assert_int_equal(f->bytes_toserver, 3 * 54 + 154);
    assert_int_equal(f->state, TA_FLOW_STATE_CLOSED);
    assert_int_equal(f->tcp_state, TA_TCP_STATE_CLOSED);
    assert_int_equal(f->reason, TA_FLOW_REASON_TIMEOUT);
    assert_int_equal(f->tcp_flags_ts, 0x1b);
    assert_int_equal(f->tcp_flags_tc, 0x13);
    assert_int_equal(f->start, 1 * SEC);
    assert_int_equal(f->last, 2 * SEC + 1);
    assert_int_equal(f->app_proto, TA_APP_HTTP);
    assert_true(f->id > 0 && f->id < (1ull << 53));
    assert_int_equal(r.app_pkts, 6 + 2);
    assert_int_equal(r.toclient, 2);
    assert_int_equal(r.app_ends, 1);
    ta_engine_flush(e);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.f[1].reason, TA_FLOW_REASON_SHUTDOWN);
    assert_int_equal(r.app_ends, 2);
    /* A flow rebuilt from a record gets the id its packets gave it. */
    assert_int_equal(ta_flow_id_of(&r.f[0]), r.f[0].id);
    assert_int_equal(ta_flow_id_of(&r.f[1]), r.f[1].id);
    struct ta_flow g = r.f[0];
    g.start += 1;
    assert_int_not_equal(ta_flow_id_of(&g), r.f[0].id);
    g = r.f[0];
    g.src = r.f[0].dst, g.dst = r.f[0].src, g.sp = r.f[0].dp, g.dp = r.f[0].sp;
    assert_int_equal(ta_flow_id_of(&g), r.f[0].id); /* one id for both directions */
    /* Observations made without packets reach the sinks through the fan-out. */
    const struct ta_obs_sink *fan = ta_engine_fanout(e);
    fan->on_flow(fan->ud, &g);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.f[2].id, r.f[0].id);
    struct ta_engine_stats st;
    ta_engine_get_stats(e, &st);
    assert_int_equal(st.packets, 8);
    assert_int_equal(st.flows_created, 2);
    assert_int_equal(st.flows_ended, 2);
    assert_int_equal(st.flows_active, 0);
    ta_engine_free(e);
}

static void test_client_side(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 100);
    /* SYN/ACK first: its receiver is the client. */
    tcp(e, 1, S, C, 80, 5000, TA_TCP_SYN | TA_TCP_ACK, 0);
    tcp(e, 2, C, S, 5000, 80, TA_TCP_ACK, 0);
    /* Midstream: the first sender is the client; established once both ways. */
    tcp(e, 3, S, C, 443, 6000, TA_TCP_ACK, 10);
    tcp(e, 4, C, S, 6000, 443, TA_TCP_ACK, 0);
    /* UDP: the first sender is the client, even with the higher port. */
    udp(e, 5, S, C, 53, 7000);
    ta_engine_flush(e);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.f[0].sp, 5000);
    assert_int_equal(r.f[0].dp, 80);
    assert_int_equal(r.f[0].pkts_toserver, 1);
    assert_int_equal(r.f[0].tcp_flags_tc, 0x12);
    assert_int_equal(r.f[0].state, TA_FLOW_STATE_ESTABLISHED);
    assert_int_equal(r.f[1].sp, 443);
    assert_int_equal(r.f[1].state, TA_FLOW_STATE_ESTABLISHED);
    assert_int_equal(r.f[1].tcp_state, TA_TCP_STATE_NONE);
    assert_int_equal(r.f[2].sp, 53);
    assert_int_equal(r.f[2].dp, 7000);
    assert_int_equal(r.f[2].state, TA_FLOW_STATE_NEW);
    ta_engine_free(e);
}

static void test_cap_evicts_lru(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 2);
    /* Recency is kept at one-second resolution of packet time. */
    udp(e, 1 * SEC, C, S, 1, 53);
    udp(e, 2 * SEC, C, S, 2, 53);
    udp(e, 3 * SEC, S, C, 53, 1); /* flow 1 active again: flow 2 is now the oldest */
    udp(e, 4 * SEC, C, S, 3, 53);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.f[0].sp, 2);
    assert_int_equal(r.f[0].reason, TA_FLOW_REASON_FORCED);
    ta_engine_flush(e);
    /* Flush in creation order. */
    assert_int_equal(r.n, 3);
    assert_int_equal(r.f[1].sp, 1);
    assert_int_equal(r.f[2].sp, 3);
    struct ta_engine_stats st;
    ta_engine_get_stats(e, &st);
    assert_int_equal(st.flows_evicted, 1);
    assert_int_equal(st.flows_ended, 3);
    ta_engine_free(e);
}

/* A live capture's wall clock: idle flows end without another packet, the
 * clock never goes back, and a flow still within its timeout stays. */
static void test_advance_wall_clock(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 100);
    udp(e, 100 * SEC, C, S, 1, 53);          /* UDP: 60 s idle timeout */
    tcp(e, 100 * SEC, C, S, 2, 80, 0x02, 0); /* TCP not established: 30 s */
    ta_engine_advance(e, 120 * SEC);
    assert_int_equal(r.n, 0);
    ta_engine_advance(e, 131 * SEC);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.f[0].sp, 2);
    assert_int_equal(r.f[0].reason, TA_FLOW_REASON_TIMEOUT);
    ta_engine_advance(e, 50 * SEC); /* earlier: ignored */
    assert_int_equal(ta_engine_now(e), 131 * SEC);
    ta_engine_advance(e, 159 * SEC);
    assert_int_equal(r.n, 1);
    ta_engine_advance(e, 161 * SEC + 1);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.f[1].sp, 1);
    struct ta_engine_stats st;
    ta_engine_get_stats(e, &st);
    assert_int_equal(st.flows_active, 0);
    assert_int_equal(st.packets, 2);
    ta_engine_free(e);
}

static void test_port_reuse_and_ids(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 100);
    tcp(e, 1, C, S, 4000, 80, TA_TCP_SYN, 0);
    tcp(e, 2, S, C, 80, 4000, TA_TCP_RST | TA_TCP_ACK, 0);
    tcp(e, 3, C, S, 4000, 80, TA_TCP_SYN, 0);
    ta_engine_flush(e);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.f[0].tcp_state, TA_TCP_STATE_CLOSED);
    assert_int_equal(r.f[0].pkts_toserver + r.f[0].pkts_toclient, 2);
    assert_int_equal(r.f[1].tcp_state, TA_TCP_STATE_SYN_SENT);
    assert_int_not_equal(r.f[0].id, r.f[1].id);
    uint64_t id0 = r.f[0].id;
    ta_engine_free(e);
    /* Same input, same flow ids. */
    e = mk(&r, 100);
    tcp(e, 1, C, S, 4000, 80, TA_TCP_SYN, 0);
    ta_engine_flush(e);
    assert_int_equal(r.f[0].id, id0);
    ta_engine_free(e);
    struct ta_engine_opts o;
    ta_engine_opts_default(&o);
    o.max_flows = 0;
    assert_int_equal(ta_engine_new(&o, &e), TA_ERR_ARG);
}

static void test_icmp_pairs(void **state)
{
    (void)state;
    struct rec r;
    struct ta_engine *e = mk(&r, 100);
    uint8_t f[100];
    for (int i = 0; i < 2; i++) {
        struct tg_frame fr = pb_frame4(i ? S : C, i ? C : S, false);
        size_t n = tg_build_icmp_echo(f, sizeof(f), &fr, i == 1, 0, 0, NULL, 0);
        ta_engine_packet(e, TA_LINK_ETHERNET, (uint64_t)i, f, (uint32_t)n, (uint32_t)n);
    }
    ta_engine_flush(e);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.f[0].icmp_type, 8);
    assert_true(r.f[0].icmp_resp_seen);
    assert_int_equal(r.f[0].icmp_resp_type, 0);
    assert_int_equal(r.f[0].pkts_toclient, 1);
    ta_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_session),    cmocka_unit_test(test_client_side),
        cmocka_unit_test(test_cap_evicts_lru), cmocka_unit_test(test_port_reuse_and_ids),
        cmocka_unit_test(test_icmp_pairs),     cmocka_unit_test(test_advance_wall_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
