/*
 * HTTP/1.x parser unit tests: pipelining and keep-alive, chunked bodies fed
 * byte by byte, gzip and deflate bodies, HTTP/1.0 without Host and a body
 * delimited by the connection close, header folding, 100-continue,
 * responses without requests, HEAD, header capture and the body limit.
 */
#include <zlib.h>

#include "proto-tu.h"

struct conn {
    struct ta_flow f;
    uint32_t seq[2];
};

static struct ta_proto *mk(const struct ta_proto_opts *o)
{
    struct ta_proto *p;
    assert_int_equal(ta_proto_new(o, &p), TA_OK);
    tu_reset();
    return p;
}

static void open_conn(struct ta_proto *p, struct conn *c, uint16_t port)
{
    tu_flow(&c->f, 6, port);
    c->seq[0] = 100;
    c->seq[1] = 5000;
    tu_tcp(p, &c->f, TA_DIR_TOSERVER, c->seq[0]++, TA_TCP_SYN, NULL, 0);
    tu_tcp(p, &c->f, TA_DIR_TOCLIENT, c->seq[1]++, TA_TCP_SYN | TA_TCP_ACK, NULL, 0);
}

static void send_(struct ta_proto *p, struct conn *c, enum ta_flow_dir d, const void *s, size_t n)
{
    tu_tcp(p, &c->f, d, c->seq[d], TA_TCP_ACK | TA_TCP_PSH, s, n);
    c->seq[d] += (uint32_t)n;
}

static void sends(struct ta_proto *p, struct conn *c, enum ta_flow_dir d, const char *s)
{
    send_(p, c, d, s, strlen(s));
}

static void test_pipelining(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    struct conn c;
    open_conn(p, &c, 8080);
    sends(p, &c, TA_DIR_TOSERVER,
          "GET /a HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: ua/1\r\n\r\n"
          "GET /b?x=1 HTTP/1.1\r\nHost: example.com\r\nReferer: http://r/\r\n\r\n");
    assert_int_equal(c.f.app_proto, TA_APP_HTTP);
    assert_int_equal(tu_cap.n, 0);
    sends(p, &c, TA_DIR_TOCLIENT,
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
          "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assert_int_equal(tu_cap.n, 2);
    TU_HAS(0,
           "\"tx_id\":0,\"http\":{\"hostname\":\"example.com\",\"http_port\":8080,\"url\":\"/a\","
           "\"http_user_agent\":\"ua/1\",\"http_content_type\":\"text/plain\",\"http_method\":"
           "\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":5}");
    TU_HAS(1,
           "\"tx_id\":1,\"http\":{\"hostname\":\"example.com\",\"url\":\"/b?x=1\",\"http_refer\":"
           "\"http://r/\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":404,"
           "\"length\":13}");
    assert_int_equal(tu_cap.body_len[1][1], 3);
    assert_memory_equal(tu_cap.body[1][1], "abc", 3);
    assert_int_equal(tu_counter(p, "http_tx"), 2);
    tu_end(p, &c.f);
    ta_proto_free(p);
    tu_reset();
}

static void test_chunked_bytewise(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER,
          "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    const char *body = "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for (size_t i = 0; body[i]; i++)
        send_(p, &c, TA_DIR_TOSERVER, body + i, 1);
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.1 204 No Content\r\n\r\n");
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\",\"status\":204,\"length\":0");
    assert_int_equal(tu_cap.body_len[0][0], 15);
    assert_memory_equal(tu_cap.body[0][0], "hello, world!!!", 15);
    tu_end(p, &c.f);
    ta_proto_free(p);
    tu_reset();
}

static size_t zip(const char *in, uint8_t *out, size_t cap, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_gzip_and_deflate(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    const char *text = "<html><body>phishing kit login form, login form, login form</body></html>";
    uint8_t gz[512], raw[512];
    size_t gn = zip(text, gz, sizeof(gz), 15 + 16); /* gzip wrapper */
    size_t rn = zip(text, raw, sizeof(raw), -15);   /* raw deflate */
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER,
          "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    char hdr[256];
    snprintf(hdr, sizeof(hdr),
             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gn);
    sends(p, &c, TA_DIR_TOCLIENT, hdr);
    /* Split the gzip stream over two segments. */
    send_(p, &c, TA_DIR_TOCLIENT, gz, 10);
    send_(p, &c, TA_DIR_TOCLIENT, gz + 10, gn - 10);
    snprintf(hdr, sizeof(hdr),
             "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %zu\r\n\r\n", rn);
    sends(p, &c, TA_DIR_TOCLIENT, hdr);
    send_(p, &c, TA_DIR_TOCLIENT, raw, rn);
    assert_int_equal(tu_cap.n, 2);
    char want[64];
    snprintf(want, sizeof(want), "\"length\":%zu", gn);
    TU_HAS(0, want);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tu_cap.body_len[i][1], strlen(text));
        assert_memory_equal(tu_cap.body[i][1], text, strlen(text));
    }
    assert_int_equal(tu_counter(p, "http_decode_errors"), 0);
    tu_end(p, &c.f);
    ta_proto_free(p);
    tu_reset();
}

static void test_http10_no_host_close_body(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER, "GET /old HTTP/1.0\r\n\r\n");
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nfirst part ");
    sends(p, &c, TA_DIR_TOCLIENT, "second part");
    assert_int_equal(tu_cap.n, 0); /* the body ends with the connection */
    tu_end(p, &c.f);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"http\":{\"url\":\"/old\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.0\","
              "\"status\":200,\"length\":22}");
    assert_null(strstr(tu_cap.line[0], "hostname"));
    assert_memory_equal(tu_cap.body[0][1], "first part second part", 22);
    ta_proto_free(p);
    tu_reset();
}

static void test_folding_100_continue_headers(void **state)
{
    (void)state;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.http_keep_headers = true;
    struct ta_proto *p = mk(&o);
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER,
          "POST /form HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0\r\n\t(folded;\r\n  twice)\r\n"
          "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\n");
    sends(p, &c, TA_DIR_TOSERVER, "a=bc");
    sends(p, &c, TA_DIR_TOCLIENT,
          "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"http_user_agent\":\"Mozilla/5.0 (folded; twice)\"");
    TU_HAS(0, "\"status\":302,\"redirect\":\"/next\",\"length\":0");
    TU_HAS(0, "\"request_headers\":[{\"name\":\"Host\",\"value\":\"h\"},{\"name\":\"User-Agent\","
              "\"value\":\"Mozilla/5.0 (folded; twice)\"},");
    TU_HAS(0, "\"response_headers\":[{\"name\":\"Location\",\"value\":\"/next\"},");
    assert_int_equal(tu_cap.nreq_headers[0], 4);
    assert_memory_equal(tu_cap.body[0][0], "a=bc", 4);
    tu_end(p, &c.f);
    ta_proto_free(p);
    tu_reset();
}

static void test_midstream_and_head(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    struct ta_flow f;
    tu_flow(&f, 6, 80);
    /* No SYN, no request: a response seen midstream. */
    const char *r1 = "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno";
    tu_tcp(p, &f, TA_DIR_TOCLIENT, 777, TA_TCP_ACK, r1, strlen(r1));
    assert_int_equal(f.app_proto, TA_APP_HTTP);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"http\":{\"protocol\":\"HTTP/1.1\",\"status\":500,\"length\":2}");
    assert_int_equal(tu_counter(p, "http_response_without_request"), 1);
    assert_int_equal(tu_counter(p, "stream_midstream_pickups"), 1);
    /* HEAD: Content-Length describes a body that is not sent. */
    const char *q = "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n";
    tu_tcp(p, &f, TA_DIR_TOSERVER, 1, TA_TCP_ACK, q, strlen(q));
    const char *r2 = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 201 OK\r\n"
                     "Content-Length: 1\r\n\r\nZ";
    tu_tcp(p, &f, TA_DIR_TOCLIENT, (uint32_t)(777 + strlen(r1)), TA_TCP_ACK, r2, strlen(r2));
    assert_int_equal(tu_cap.n, 3);
    TU_HAS(1, "\"url\":\"/h\",\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
              "\"length\":0");
    TU_HAS(2, "\"url\":\"/g\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":201,"
              "\"length\":1");
    tu_end(p, &f);
    ta_proto_free(p);
    tu_reset();
}

static void test_body_limit_and_gap(void **state)
{
    (void)state;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.http_body_limit = 8;
    struct ta_proto *p = mk(&o);
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789");
    /* Lose 5 bytes of the body: the server's next bytes come after a hole. */
    c.seq[1] += 5;
    sends(p, &c, TA_DIR_TOCLIENT, "ABCDE");
    sends(p, &c, TA_DIR_TOSERVER, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    /* The client ACKs past the hole: the stream gives the gap up. */
    tu_tcp(p, &c.f, TA_DIR_TOSERVER, c.seq[0], TA_TCP_ACK, NULL, 0);
    struct ta_packet pk;
    memset(&pk, 0, sizeof(pk));
    pk.ip_proto = 6;
    pk.tcp_flags = TA_TCP_ACK;
    pk.tcp_seq = c.seq[0];
    pk.tcp_ack = c.seq[1];
    ta_proto_hooks()->packet(p, &c.f, &pk, TA_DIR_TOSERVER, &tu_sink);
    assert_int_equal(tu_counter(p, "stream_gaps"), 1);
    assert_int_equal(tu_counter(p, "http_gaps"), 1);
    assert_int_equal(tu_cap.n, 1);
    TU_HAS(0, "\"url\":\"/\"");
    assert_int_equal(tu_cap.body_len[0][1], 8);
    assert_int_equal(tu_counter(p, "http_body_truncated"), 1);
    /* After the gap the response side resynchronises on the next status line. */
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(tu_cap.n, 2);
    TU_HAS(1, "\"url\":\"/after\"");
    tu_end(p, &c.f);
    ta_proto_free(p);
    tu_reset();
}

static void test_malformed_no_crash(void **state)
{
    (void)state;
    struct ta_proto *p = mk(NULL);
    struct conn c;
    open_conn(p, &c, 80);
    sends(p, &c, TA_DIR_TOSERVER, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    sends(p, &c, TA_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    assert_int_equal(tu_counter(p, "http_malformed"), 1);
    tu_end(p, &c.f);
    assert_int_equal(tu_cap.n, 1);
    ta_proto_free(p);
    tu_reset();
}

/* What the recycling test's sink saw of each transaction. */
static struct {
    int n;
    bool req_null[16], resp_null[16];
    uint32_t req_kept[16], resp_kept[16], nreq_headers[16];
    char resp[16][8];
} seen;

static void seen_http(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    (void)ud;
    (void)f;
    const struct ta_http_tx *tx = rec;
    if (type != TA_REC_HTTP || seen.n >= 16)
        return;
    int k = seen.n++;
    seen.req_null[k] = tx->req_body == NULL;
    seen.resp_null[k] = tx->resp_body == NULL;
    seen.req_kept[k] = tx->req_body_kept;
    seen.resp_kept[k] = tx->resp_body_kept;
    seen.nreq_headers[k] = tx->n_req_headers;
    if (tx->resp_body_kept > 0 && tx->resp_body_kept < 8)
        memcpy(seen.resp[k], tx->resp_body, tx->resp_body_kept);
}

/*
 * Finished transactions are recycled with their buffers: a transaction
 * after one with large bodies must show no body and only its own headers,
 * across more transactions than the pool holds and across flows.
 */
static void test_recycled_transactions(void **state)
{
    (void)state;
    struct ta_proto_opts o;
    ta_proto_opts_default(&o);
    o.http_keep_headers = true;
    struct ta_proto *p = mk(&o);
    static const struct ta_obs_sink sink = {NULL, NULL, seen_http};
    memset(&seen, 0, sizeof(seen));
    static char big[6000];
    memset(big, 'b', sizeof(big));
    for (int flow = 0; flow < 2; flow++) {
        struct ta_flow f;
        tu_flow(&f, 6, 80);
        uint32_t seq[2] = {100, 5000};
        const struct {
            const char *req, *resp;
            bool big;
        } tx[] = {
            {"POST /u HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 6000\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n", true},
            {"GET /e HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n", false},
            {"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxy",
             false},
            {"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 6000\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n", true},
            {"GET /e HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n", false},
            {"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxy",
             false},
        };
        struct ta_packet pk;
        for (size_t i = 0; i < sizeof(tx) / sizeof(tx[0]); i++) {
            for (int d = 0; d < 2; d++) {
                const char *h = d == 0 ? tx[i].req : tx[i].resp;
                for (int part = 0; part < (tx[i].big ? 2 : 1); part++) {
                    memset(&pk, 0, sizeof(pk));
                    pk.ts = f.last;
                    pk.ip_proto = 6;
                    pk.src = d == 0 ? f.src : f.dst;
                    pk.dst = d == 0 ? f.dst : f.src;
                    pk.sport = d == 0 ? f.sp : f.dp;
                    pk.dport = d == 0 ? f.dp : f.sp;
                    pk.tcp_seq = seq[d];
                    pk.tcp_flags = TA_TCP_ACK | TA_TCP_PSH;
                    pk.payload = part == 0 ? (const uint8_t *)h : (const uint8_t *)big;
                    pk.payload_len = (uint32_t)(part == 0 ? strlen(h) : sizeof(big));
                    ta_proto_hooks()->packet(p, &f, &pk, (enum ta_flow_dir)d, &sink);
                    seq[d] += pk.payload_len;
                }
            }
        }
        /* The second flow ends with a request pending: it goes back to the pool too. */
        if (flow == 1) {
            memset(&pk, 0, sizeof(pk));
            pk.ts = f.last;
            pk.ip_proto = 6;
            pk.src = f.src;
            pk.dst = f.dst;
            pk.sport = f.sp;
            pk.dport = f.dp;
            pk.tcp_seq = seq[0];
            pk.tcp_flags = TA_TCP_ACK | TA_TCP_PSH;
            pk.payload = (const uint8_t *)"GET /p HTTP/1.1\r\n";
            pk.payload_len = 17;
            ta_proto_hooks()->packet(p, &f, &pk, TA_DIR_TOSERVER, &sink);
        }
        ta_proto_hooks()->flow_end(p, &f, &sink);
    }
    assert_int_equal(seen.n, 12);
    for (int k = 0; k < 12; k++) {
        int i = k % 6;
        bool big_tx = i == 0 || i == 3;
        assert_int_equal(seen.req_kept[k], big_tx ? 6000 : 0);
        assert_int_equal(seen.req_null[k], !big_tx);
        assert_int_equal(seen.resp_kept[k], big_tx ? 6000 : i == 1 || i == 4 ? 0 : 2);
        assert_int_equal(seen.resp_null[k], i == 1 || i == 4);
        assert_int_equal(seen.nreq_headers[k], i == 0 ? 4 : i == 3 ? 2 : 1);
        if (i == 2 || i == 5)
            assert_memory_equal(seen.resp[k], "xy", 2);
    }
    ta_proto_free(p);
    tu_reset();
}

/*
 * Unanswered POSTs on many connections at once: the bodies, transactions and
 * arenas they hold stay within app_memcap, the refusals are counted, and
 * everything charged is given back when the flows end (what remains is the
 * few recycled transactions the parser keeps).
 */
static void test_app_memcap_flood(void **state)
{
    (void)state;
    enum { NCONN = 64, NREQ = 4, BODY = 16384 };
    static char req[BODY + 200];
    int h =
        snprintf(req, 200, "POST /u.php HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", BODY);
    memset(req + h, 'b', BODY);
    uint64_t peak[2] = {0, 0}, drops[2];
    static struct conn c[NCONN];
    for (int run = 0; run < 2; run++) {
        struct ta_proto_opts o;
        ta_proto_opts_default(&o);
        if (run == 1)
            o.app_memcap = 1u << 20;
        struct ta_proto *p = mk(&o);
        for (int i = 0; i < NCONN; i++) {
            open_conn(p, &c[i], 80);
            c[i].f.sp = (uint16_t)(20000 + i);
        }
        for (int r = 0; r < NREQ; r++)
            for (int i = 0; i < NCONN; i++) {
                send_(p, &c[i], TA_DIR_TOSERVER, req, (size_t)h + BODY);
                uint64_t m = ta_proto_app_memory(p);
                assert_true(m <= o.app_memcap);
                if (m > peak[run])
                    peak[run] = m;
            }
        drops[run] = tu_counter(p, "app_memcap_drops");
        for (int i = 0; i < NCONN; i++)
            tu_end(p, &c[i].f);
        /* At most the 4 recycled transactions, each with its arena block and bodies. */
        assert_true(ta_proto_app_memory(p) <= 4 * (2 * 65536 + 8192 + 1024));
        ta_proto_free(p);
        tu_reset();
    }
    /* Without the cap the flood holds several MiB; with it, at most 1 MiB. */
    assert_int_equal(drops[0], 0);
    assert_true(peak[0] > 4 * (1u << 20));
    assert_true(drops[1] > 0);
    assert_true(peak[1] <= 1u << 20 && peak[1] > (1u << 20) - 70000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_chunked_bytewise),
        cmocka_unit_test(test_gzip_and_deflate),
        cmocka_unit_test(test_http10_no_host_close_body),
        cmocka_unit_test(test_folding_100_continue_headers),
        cmocka_unit_test(test_midstream_and_head),
        cmocka_unit_test(test_body_limit_and_gap),
        cmocka_unit_test(test_malformed_no_crash),
        cmocka_unit_test(test_recycled_transactions),
        cmocka_unit_test(test_app_memcap_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
