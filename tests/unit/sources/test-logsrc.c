/*
 * Unit tests for the log sources (threatatlas/logsrc.h): Suricata EVE,
 * Zeek TSV and JSON (merged by time, gzip), access logs (combined, common,
 * nginx log_format, IIS W3C), counting of rejected lines, and the
 * third-party Zeek and access logs in ../shared/data read without a
 * rejected line.
 */
#include "testutil.h"

#include <unistd.h>
#include <zlib.h>

#include "threatatlas/flow.h"
#include "threatatlas/logsrc.h"
#include "threatatlas/proto.h"

/* What a sink saw: the order of deliveries and copies of the last of each. */
struct seen {
    char order[64]; /* 'f' flow, 'd' dns, 'h' http, 't' tls */
    size_t n;
    struct ta_flow flow, rec_flow;
    uint64_t flow_ids[64];
    uint64_t rec_ids[64];
    size_t nflow_ids, nrec_ids;
    /* dns */
    char qname[128];
    uint16_t qtype;
    bool response;
    uint16_t flags;
    uint32_t n_answers;
    char ans0[64];
    struct ta_addr ans0_addr;
    uint32_t ttl0;
    /* http */
    char method[16], url[256], host[128], ua[256], ref[128], proto[16];
    int32_t http_port;
    uint16_t status;
    uint64_t resp_len, tx_id;
    bool has_req, has_resp;
    char ctype_hdr[64];
    /* tls */
    char sni[128], subject[256], fp[96], ja3[40], serial[64];
    uint16_t version;
    bool has_cert;
    uint64_t tls_with_cert;
};

static void cp(char *dst, size_t cap, struct ta_str s)
{
    dst[0] = 0;
    if (s.ptr != NULL)
        snprintf(dst, cap, "%s", s.ptr);
}

static void on_flow(void *ud, const struct ta_flow *f)
{
    struct seen *s = ud;
    if (s->n < sizeof(s->order) - 1)
        s->order[s->n++] = 'f';
    s->flow = *f;
    if (s->nflow_ids < 64)
        s->flow_ids[s->nflow_ids++] = f->id;
}

static void on_record(void *ud, const struct ta_flow *f, uint32_t type, const void *rec)
{
    struct seen *s = ud;
    s->rec_flow = *f;
    if (s->nrec_ids < 64)
        s->rec_ids[s->nrec_ids++] = f->id;
    char c = '?';
    if (type == TA_REC_DNS) {
        const struct ta_dns_record *r = rec;
        c = 'd';
        s->qname[0] = 0;
        if (r->n_queries > 0)
            cp(s->qname, sizeof(s->qname), r->queries[0].rrname);
        s->qtype = r->n_queries > 0 ? r->queries[0].rrtype : 0;
        s->response = r->response;
        s->flags = r->flags;
        s->n_answers = r->n_answers;
        s->ans0[0] = 0;
        memset(&s->ans0_addr, 0, sizeof(s->ans0_addr));
        if (r->n_answers > 0) {
            cp(s->ans0, sizeof(s->ans0), r->answers[0].rdata);
            s->ans0_addr = r->answers[0].addr;
            s->ttl0 = r->answers[0].ttl;
        }
    } else if (type == TA_REC_HTTP) {
        const struct ta_http_tx *tx = rec;
        c = 'h';
        cp(s->method, sizeof(s->method), tx->method);
        cp(s->url, sizeof(s->url), tx->url);
        cp(s->host, sizeof(s->host), tx->hostname);
        cp(s->ua, sizeof(s->ua), tx->user_agent);
        cp(s->ref, sizeof(s->ref), tx->referer);
        cp(s->proto, sizeof(s->proto), tx->protocol);
        s->http_port = tx->http_port;
        s->status = tx->status;
        s->resp_len = tx->response_body_len;
        s->tx_id = tx->tx_id;
        s->has_req = tx->has_request;
        s->has_resp = tx->has_response;
        s->ctype_hdr[0] = 0;
        for (uint32_t i = 0; i < tx->n_req_headers; i++)
            if (strcmp(tx->req_headers[i].name.ptr, "Content-Type") == 0)
                cp(s->ctype_hdr, sizeof(s->ctype_hdr), tx->req_headers[i].value);
        assert_null(tx->req_body);
        assert_null(tx->resp_body);
    } else if (type == TA_REC_TLS) {
        const struct ta_tls_record *t = rec;
        c = 't';
        cp(s->sni, sizeof(s->sni), t->sni);
        cp(s->subject, sizeof(s->subject), t->subject);
        cp(s->fp, sizeof(s->fp), t->fingerprint);
        cp(s->serial, sizeof(s->serial), t->serial);
        snprintf(s->ja3, sizeof(s->ja3), "%s", t->ja3_hash);
        s->version = t->version;
        s->has_cert = t->has_cert;
        s->tls_with_cert += t->has_cert;
    }
    if (s->n < sizeof(s->order) - 1)
        s->order[s->n++] = c;
}

static struct ta_logsrc *mk(enum ta_input_kind k, const struct ta_logsrc_opts *o, struct seen *s,
                            struct ta_obs_sink *sink)
{
    memset(s, 0, sizeof(*s));
    sink->ud = s;
    sink->on_flow = on_flow;
    sink->on_record = on_record;
    struct ta_logsrc *ls;
    char err[256];
    assert_int_equal(ta_logsrc_new(k, o, sink, &ls, err, sizeof(err)), TA_OK);
    /* Readers fed a line at a time begin a file; ta_logsrc_read_files begins its own. */
    if (k != TA_INPUT_ZEEK)
        ta_logsrc_begin(ls, "test.log");
    return ls;
}

static void feed(struct ta_logsrc *ls, const char *line)
{
    ta_logsrc_line(ls, line, strlen(line));
}

static struct ta_logsrc_stats stats(const struct ta_logsrc *ls)
{
    struct ta_logsrc_stats st;
    ta_logsrc_get_stats(ls, &st);
    return st;
}

static char dir[64];

static const char *path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text, bool gz)
{
    if (gz) {
        gzFile g = gzopen(path(name), "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
        gzclose(g);
        return;
    }
    FILE *f = fopen(path(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- EVE ------------------------------------------------------------------------------ */

static void test_eve_flow(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, NULL, &s, &sink);
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:05.000001+0000\",\"flow_id\":1234,\"event_type\":"
             "\"flow\",\"vlan\":[7],\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":"
             "\"192.0.2.9\",\"dest_port\":443,\"proto\":\"TCP\",\"app_proto\":\"tls\",\"flow\":{"
             "\"pkts_toserver\":5,\"pkts_toclient\":4,\"bytes_toserver\":700,\"bytes_toclient\":"
             "3000,\"start\":\"2014-03-19T00:00:01.500000+0000\",\"end\":\"2014-03-19T00:00:"
             "04.000000+0100\",\"age\":3,\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":"
             "false},\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1a\","
             "\"state\":\"closed\"}}");
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.flows, 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(s.flow.id, 1234);
    assert_int_equal(s.flow.vlan_count, 1);
    assert_int_equal(s.flow.vlan_id[0], 7);
    assert_int_equal(s.flow.sp, 40000);
    assert_int_equal(s.flow.dp, 443);
    assert_int_equal(s.flow.proto, 6);
    assert_int_equal(s.flow.pkts_toserver, 5);
    assert_int_equal(s.flow.bytes_toclient, 3000);
    assert_int_equal(s.flow.start, 1395187201500000ull);
    /* +0100: an hour earlier in UTC. */
    assert_int_equal(s.flow.last, 1395187204000000ull - 3600000000ull);
    assert_int_equal(s.flow.tcp_flags_ts, 0x1b);
    assert_int_equal(s.flow.tcp_flags_tc, 0x1a);
    assert_int_equal(s.flow.tcp_state, TA_TCP_STATE_CLOSED);
    assert_int_equal(s.flow.state, TA_FLOW_STATE_CLOSED);
    assert_int_equal(s.flow.app_proto, TA_APP_TLS);
    assert_non_null(s.flow.origin);
    assert_string_equal(s.flow.origin->format, "eve");
    ta_logsrc_free(ls);
}

static void test_eve_dns(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, NULL, &s, &sink);
    /* v3 request, then the response written from the server's side. */
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:01.000000+0000\",\"flow_id\":99,\"event_type\":"
             "\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":5353,\"dest_ip\":\"10.0.0.53\","
             "\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"version\":3,\"type\":\"request\","
             "\"tx_id\":0,\"id\":4660,\"flags\":\"100\",\"rd\":true,\"opcode\":0,\"rcode\":"
             "\"NOERROR\",\"queries\":[{\"rrname\":\"evil.example\",\"rrtype\":\"A\"}]}}");
    assert_int_equal(s.rec_flow.sp, 5353);
    assert_false(s.response);
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:01.020000+0000\",\"flow_id\":99,\"event_type\":"
             "\"dns\",\"src_ip\":\"10.0.0.53\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\","
             "\"dest_port\":5353,\"proto\":\"UDP\",\"dns\":{\"version\":3,\"type\":\"response\","
             "\"tx_id\":0,\"id\":4660,\"flags\":\"8183\",\"qr\":true,\"rcode\":\"NXDOMAIN\","
             "\"queries\":[{\"rrname\":\"evil.example\",\"rrtype\":\"A\"}],\"answers\":[{"
             "\"rrname\":\"evil.example\",\"rrtype\":\"A\",\"ttl\":60,\"rdata\":\"198.51.100.7\"},{"
             "\"rrname\":\"evil.example\",\"rrtype\":\"TXT\",\"ttl\":5,\"rdata\":\"x\\u00e9\"}]}}");
    assert_true(s.response);
    assert_string_equal(s.qname, "evil.example");
    assert_int_equal(s.qtype, 1);
    assert_int_equal(s.flags, 0x8183);
    assert_int_equal(s.n_answers, 2);
    assert_string_equal(s.ans0, "198.51.100.7");
    assert_int_equal(s.ans0_addr.family, 4);
    assert_int_equal(s.ttl0, 60);
    /* Back to the client's orientation, and the start of the request. */
    assert_int_equal(s.rec_flow.sp, 5353);
    assert_int_equal(s.rec_flow.dp, 53);
    assert_int_equal(s.rec_flow.id, 99);
    assert_int_equal(s.rec_flow.start, 1395187201000000ull);
    /* v2: one answer line with the query at the top, answers grouped only. */
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:02.000000+0000\",\"flow_id\":100,\"event_type\":"
             "\"dns\",\"src_ip\":\"10.0.0.53\",\"src_port\":53,\"dest_ip\":\"10.0.0.1\","
             "\"dest_port\":5354,\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":\"answer\","
             "\"id\":1,\"rrname\":\"c2.example\",\"rrtype\":\"AAAA\",\"rcode\":\"NOERROR\","
             "\"grouped\":{\"AAAA\":[\"2001:db8::5\"]}}}");
    assert_string_equal(s.qname, "c2.example");
    assert_int_equal(s.qtype, 28);
    assert_int_equal(s.n_answers, 1);
    assert_int_equal(s.ans0_addr.family, 6);
    assert_int_equal(s.flags, 0x8000);
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.dns, 3);
    assert_int_equal(st.rejected, 0);
    ta_logsrc_free(ls);
}

static void test_eve_http_tls(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, NULL, &s, &sink);
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"flow_id\":7,\"event_type\":"
             "\"http\",\"src_ip\":\"10.0.0.1\",\"src_port\":40001,\"dest_ip\":\"192.0.2.80\","
             "\"dest_port\":8080,\"proto\":\"TCP\",\"tx_id\":2,\"http\":{\"hostname\":"
             "\"shop.example\",\"http_port\":8080,\"url\":\"/a?b=\\\"c\\\"\",\"http_user_agent\":"
             "\"antSword/v2.1\",\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
             "\"length\":16,\"request_headers\":[{\"name\":\"Content-Type\",\"value\":"
             "\"application/x-www-form-urlencoded\"}]}}");
    assert_string_equal(s.method, "POST");
    assert_string_equal(s.url, "/a?b=\"c\"");
    assert_string_equal(s.host, "shop.example");
    assert_int_equal(s.http_port, 8080);
    assert_string_equal(s.ua, "antSword/v2.1");
    assert_int_equal(s.status, 200);
    assert_int_equal(s.resp_len, 16);
    assert_int_equal(s.tx_id, 2);
    assert_true(s.has_req && s.has_resp);
    assert_string_equal(s.ctype_hdr, "application/x-www-form-urlencoded");
    /* A record's connection was open: established for the detector. */
    assert_int_equal(s.rec_flow.tcp_flags_tc & (TA_TCP_SYN | TA_TCP_ACK), TA_TCP_SYN | TA_TCP_ACK);
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:04.000000+0000\",\"flow_id\":8,\"event_type\":"
             "\"tls\",\"src_ip\":\"10.0.0.1\",\"src_port\":40002,\"dest_ip\":\"192.0.2.81\","
             "\"dest_port\":443,\"proto\":\"TCP\",\"tls\":{\"subject\":\"CN=x\",\"issuerdn\":"
             "\"CN=y\",\"serial\":\"0A:0B\",\"fingerprint\":\"aa:bb\",\"sni\":\"x.example\","
             "\"version\":\"TLS 1.2\",\"notbefore\":\"2014-01-01T00:00:00\",\"notafter\":"
             "\"2015-01-01T00:00:00\",\"ja3\":{\"hash\":\"0123456789abcdef0123456789abcdef\","
             "\"string\":\"771,1,2,3,4\"}}}");
    assert_string_equal(s.sni, "x.example");
    assert_string_equal(s.subject, "CN=x");
    assert_string_equal(s.fp, "aa:bb");
    assert_string_equal(s.ja3, "0123456789abcdef0123456789abcdef");
    assert_int_equal(s.version, 0x0303);
    assert_true(s.has_cert);
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.http, 1);
    assert_int_equal(st.tls, 1);
    assert_int_equal(st.rejected, 0);
    ta_logsrc_free(ls);
}

static void test_eve_counts(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.max_line = 400;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, &o, &s, &sink);
#define NF                                                                                         \
    "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"flow_id\":5,\"event_type\":"             \
    "\"netflow\",\"src_ip\":\"%s\",\"src_port\":%d,\"dest_ip\":\"%s\",\"dest_port\":%d,"           \
    "\"proto\":\"UDP\",\"netflow\":{\"pkts\":2,\"bytes\":200,\"start\":\"2014-03-19T00:00:01."     \
    "000000+0000\",\"end\":\"2014-03-19T00:00:02.000000+0000\",\"age\":1}}"
    char line[600];
    snprintf(line, sizeof(line), NF, "10.0.0.1", 1000, "10.0.0.2", 53);
    feed(ls, line);
    snprintf(line, sizeof(line), NF, "10.0.0.2", 53, "10.0.0.1", 1000);
    feed(ls, line); /* the reply direction: not a second flow */
    assert_int_equal(s.flow.pkts_toserver, 2);
    assert_int_equal(s.flow.bytes_toserver, 200);
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"event_type\":\"alert\","
             "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"alert\":{}}");
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"event_type\":\"stats\"}");
    feed(ls, "");
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"event_type\":\"flow\"");
    feed(ls, "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\",\"event_type\":\"flow\"}");
    feed(ls, "{\"timestamp\":\"yesterday\",\"event_type\":\"flow\"}");
    feed(ls, "{\"a\":tru}");
    feed(ls, "[1,2,]");
    feed(ls, "{\"a\":\"\\q\"}");
    memset(line, ' ', sizeof(line));
    line[0] = '{';
    line[sizeof(line) - 2] = '}';
    line[sizeof(line) - 1] = 0;
    feed(ls, line); /* valid JSON, over max_line */
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.lines, 12);
    assert_int_equal(st.flows, 1);
    assert_int_equal(st.ignored, 3);
    assert_int_equal(st.headers, 1);
    assert_int_equal(st.rejected, 7);
    assert_int_equal(st.first_rejected, 6);
    ta_logsrc_free(ls);
}

/* ---- Zeek ----------------------------------------------------------------------------- */

static const char zeek_hdr[] = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                               "#unset_field\t-\n";

static void test_zeek_merge(void **state)
{
    (void)state;
    char buf[4096];
    /* A connection whose dns, http and ssl lines come while it is open; conn.log writes it
     * at its end (ts 10 + 5 s), so its flow comes last. */
    snprintf(
        buf, sizeof(buf),
        "%s#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
        "service\tduration\torig_pkts\tresp_pkts\torig_ip_bytes\tresp_ip_bytes\tconn_state\t"
        "history\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\t"
        "count\tcount\tcount\tstring\tstring\n"
        "1395187210.000000\tCa\t10.0.0.1\t40000\t192.0.2.80\t80\ttcp\thttp\t5.000000\t6\t5\t"
        "900\t1200\tSF\tShADadFf\n#close\t2024\n",
        zeek_hdr);
    write_file("conn.log", buf, true);
    snprintf(buf, sizeof(buf),
             "%s#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
             "trans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\trequest_body_len\t"
             "response_body_len\tstatus_code\tresp_mime_types\n"
             "1395187211.000000\tCa\t10.0.0.1\t40000\t192.0.2.80\t80\t2\tGET\tWWW.Example:8080\t"
             "/x\\x09y\t-\t1.1\tcurl/8\t0\t42\t200\ttext/html,text/plain\n",
             zeek_hdr);
    write_file("http.log", buf, false);
    snprintf(buf, sizeof(buf),
             "%s#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
             "trans_id\tquery\tqtype\trcode\tAA\tTC\tRD\tRA\tanswers\tTTLs\n"
             "1395187209.000000\tCd\t10.0.0.1\t5000\t10.0.0.53\t53\tudp\t77\twww.example\t1\t0\tF\t"
             "F\tT\tT\tcdn.example,192.0.2.80\t30.000000,60.000000\n",
             zeek_hdr);
    write_file("dns.log", buf, false);
    snprintf(
        buf, sizeof(buf),
        "%s#path\tx509\n#fields\tts\tfingerprint\tcertificate.serial\tcertificate.subject\t"
        "certificate.issuer\tcertificate.not_valid_before\tcertificate.not_valid_after\n"
        "1395187212.000000\t0123456789ABCDEF0123456789ABCDEF01234567\t0a0b0c\tCN=a\\\\,b\tCN=ca"
        "\t1388534400.000000\t1420070400.000000\n",
        zeek_hdr);
    write_file("x509.log", buf, false);
    snprintf(buf, sizeof(buf),
             "%s#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\t"
             "server_name\tcert_chain_fps\n"
             "1395187213.000000\tCs\t10.0.0.1\t40003\t192.0.2.81\t443\tTLSv12\ts.example\t"
             "0123456789ABCDEF0123456789ABCDEF01234567,ffff\n",
             zeek_hdr);
    write_file("ssl.log", buf, false);
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_ZEEK, NULL, &s, &sink);
    memset(&s, 0, sizeof(s));
    const char *paths[5];
    char p[5][256];
    const char *names[] = {"conn.log", "http.log", "dns.log", "x509.log", "ssl.log"};
    for (int i = 0; i < 5; i++) {
        snprintf(p[i], sizeof(p[i]), "%s", path(names[i]));
        paths[i] = p[i];
    }
    char err[256];
    assert_int_equal(ta_logsrc_read_files(ls, paths, 5, err, sizeof(err)), TA_OK);
    /* dns (9 s), http (11 s), ssl (13 s), then the conn line at its end (15 s). */
    assert_string_equal(s.order, "dhtf");
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.files, 5);
    assert_int_equal(st.certs, 1);
    assert_int_equal(st.flows, 1);
    /* The http record and the conn flow share the uid, so the flow id. */
    assert_int_equal(s.rec_ids[1], s.flow_ids[0]);
    assert_int_equal(s.flow.start, 1395187210000000ull);
    assert_int_equal(s.flow.last, 1395187215000000ull);
    assert_int_equal(s.flow.pkts_toserver, 6);
    assert_int_equal(s.flow.bytes_toclient, 1200);
    assert_int_equal(s.flow.app_proto, TA_APP_HTTP);
    assert_int_equal(s.flow.tcp_flags_tc & (TA_TCP_SYN | TA_TCP_ACK), TA_TCP_SYN | TA_TCP_ACK);
    assert_int_equal(s.flow.tcp_state, TA_TCP_STATE_CLOSED);
    assert_string_equal(s.method, "GET");
    assert_string_equal(s.url, "/x\ty");
    assert_string_equal(s.host, "www.example");
    assert_int_equal(s.http_port, 8080);
    assert_string_equal(s.proto, "HTTP/1.1");
    assert_int_equal(s.tx_id, 1);
    assert_int_equal(s.resp_len, 42);
    assert_string_equal(s.qname, "www.example");
    assert_int_equal(s.n_answers, 2);
    assert_string_equal(s.ans0, "cdn.example");
    assert_int_equal(s.ttl0, 30);
    assert_true(s.response);
    assert_int_equal(s.flags, 0x8180);
    /* The ssl line's first certificate, from x509 seen before it. */
    assert_true(s.has_cert);
    assert_string_equal(s.subject, "CN=a\\,b");
    assert_string_equal(s.serial, "0A:0B:0C");
    assert_string_equal(s.fp, "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67");
    assert_string_equal(s.sni, "s.example");
    assert_int_equal(s.version, 0x0303);
    ta_logsrc_free(ls);
}

static void test_zeek_json(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_ZEEK, NULL, &s, &sink);
    ta_logsrc_begin(ls, "/var/log/zeek/dns.04:00:00-05:00:00.log");
    assert_int_equal(stats(ls).files, 1);
    feed(ls, "{\"_path\":\"dns\",\"ts\":\"2018-03-24T17:15:20.865716Z\",\"uid\":\"C1\","
             "\"id.orig_h\":\"10.47.1.100\",\"id.orig_p\":41772,\"id.resp_h\":\"10.0.0.100\","
             "\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":36329,\"query\":\"ise.wrccdc.org\","
             "\"qtype\":1,\"rcode\":0,\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":true,"
             "\"answers\":[\"ise.wrccdc.cpp.edu\",\"134.71.3.16\"],\"TTLs\":[2230.0,41830.0]}");
    assert_string_equal(s.qname, "ise.wrccdc.org");
    assert_int_equal(s.n_answers, 2);
    assert_int_equal(s.ttl0, 2230);
    assert_int_equal(s.rec_flow.start, 1521911720865716ull);
    assert_int_equal(s.rec_flow.proto, 17);
    /* The type from the file name when the line has no _path. */
    feed(ls, "{\"ts\":1521911721.5,\"uid\":\"C2\",\"id.orig_h\":\"10.0.0.9\",\"id.orig_p\":1,"
             "\"id.resp_h\":\"10.0.0.100\",\"id.resp_p\":53,\"query\":\"a.example\"}");
    assert_string_equal(s.qname, "a.example");
    assert_false(s.response);
    feed(ls, "{\"_path\":\"weird\",\"ts\":1521911721.5,\"name\":\"x\"}");
    feed(ls, "{\"_path\":\"dns\",\"ts\":\"never\",\"uid\":\"C3\"}");
    feed(ls, "#fields\tts");
    feed(ls, "1521911721.5\textra\tcolumns");
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.dns, 2);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.headers, 1);
    assert_int_equal(st.rejected, 2);
    ta_logsrc_free(ls);
}

/* ---- access logs ---------------------------------------------------------------------- */

static void test_access_combined(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.server_addr = "192.0.2.10";
    struct ta_logsrc *ls = mk(TA_INPUT_ACCESS_LOG, &o, &s, &sink);
    feed(ls, "203.0.113.5 - bob [25/Oct/2015:04:11:27 +0100] \"POST /up/shell.php?x=\\\"1\\\" "
             "HTTP/1.1\" 200 16 \"http://a.example/\" \"Mozilla/5.0 (X) \\\"q\\\"\"");
    assert_string_equal(s.method, "POST");
    assert_string_equal(s.url, "/up/shell.php?x=\\\"1\\\"");
    assert_string_equal(s.proto, "HTTP/1.1");
    assert_int_equal(s.status, 200);
    assert_int_equal(s.resp_len, 16);
    assert_string_equal(s.ref, "http://a.example/");
    assert_string_equal(s.ua, "Mozilla/5.0 (X) \\\"q\\\"");
    assert_int_equal(s.rec_flow.start, 1445742687000000ull);
    char a[TA_ADDR_STRLEN];
    assert_string_equal(ta_addr_format(&s.flow.dst, a, sizeof(a)), "192.0.2.10");
    assert_int_equal(s.flow.dp, 80);
    assert_string_equal(s.order, "hf");
    /* common; a scanner's request line without a method; "-" sizes. */
    feed(ls, "198.51.100.1 - - [25/Oct/2015:04:11:28 +0000] \"GET / HTTP/1.0\" 304 -");
    assert_int_equal(s.status, 304);
    assert_int_equal(s.resp_len, 0);
    feed(ls, "198.51.100.1 - - [25/Oct/2015:04:11:29 +0000] \"\\x16\\x03\\x01\" 400 226 \"-\" "
             "\"-\"");
    assert_false(s.has_req);
    assert_int_equal(s.status, 400);
    feed(ls, "not a log line");
    feed(ls, "198.51.100.1 - - [32/Oct/2015:04:11:29 +0000] \"GET / HTTP/1.0\" 200 1");
    feed(ls, "198.51.100.1 - - [25/Oct/2015:04:11:29 +0000] \"GET / HTTP/1.0\" abc 1");
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.http, 3);
    assert_int_equal(st.flows, 3);
    assert_int_equal(st.rejected, 3);
    assert_int_equal(st.first_rejected, 4);
    ta_logsrc_free(ls);
}

static void test_access_nginx_format(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc_opts o;
    ta_logsrc_opts_default(&o);
    o.access_format = "$host $server_addr:$server_port $remote_addr [$time_iso8601] "
                      "\"$request_method $request_uri $server_protocol\" $status "
                      "$body_bytes_sent \"$http_user_agent\" rt=$request_time";
    struct ta_logsrc *ls = mk(TA_INPUT_ACCESS_LOG, &o, &s, &sink);
    feed(ls, "Shop.Example 192.0.2.10:8443 2001:db8::7 [2024-05-01T10:00:00+02:00] \"POST "
             "/wp-content/x.php HTTP/2.0\" 200 5 \"Go-http-client/1.1\" rt=0.003");
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.rejected, 0);
    assert_string_equal(s.host, "shop.example");
    assert_string_equal(s.url, "/wp-content/x.php");
    assert_string_equal(s.method, "POST");
    assert_string_equal(s.proto, "HTTP/2.0");
    assert_int_equal(s.flow.dp, 8443);
    assert_int_equal(s.flow.src.family, 6);
    assert_int_equal(s.rec_flow.start, 1714550400000000ull);
    ta_logsrc_free(ls);
    /* Formats that do not compile. */
    char err[256];
    struct ta_logsrc *bad;
    o.access_format = "$remote_addr$status";
    assert_int_equal(ta_logsrc_new(TA_INPUT_ACCESS_LOG, &o, &sink, &bad, err, sizeof(err)),
                     TA_ERR_ARG);
    assert_non_null(strstr(err, "two variables"));
    o.access_format = "${remote_addr";
    assert_int_equal(ta_logsrc_new(TA_INPUT_ACCESS_LOG, &o, &sink, &bad, err, sizeof(err)),
                     TA_ERR_ARG);
    o.access_format = NULL;
    o.server_addr = "not-an-address";
    assert_int_equal(ta_logsrc_new(TA_INPUT_ACCESS_LOG, &o, &sink, &bad, err, sizeof(err)),
                     TA_ERR_ARG);
}

static void test_access_iis(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_ACCESS_LOG, NULL, &s, &sink);
    feed(ls, "#Software: Microsoft Internet Information Services 10.0");
    feed(ls, "#Version: 1.0");
    feed(ls, "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
             "cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes "
             "time-taken");
    feed(ls, "2024-05-01 10:00:00 192.0.2.20 POST /aspnet_client/x.aspx a=1 443 - 203.0.113.9 "
             "Mozilla/5.0+(Windows+NT+10.0) - www.example 200 0 0 1234 15");
    assert_string_equal(s.url, "/aspnet_client/x.aspx?a=1");
    assert_string_equal(s.ua, "Mozilla/5.0 (Windows NT 10.0)");
    assert_string_equal(s.host, "www.example");
    assert_int_equal(s.resp_len, 1234);
    assert_int_equal(s.flow.dp, 443);
    assert_int_equal(s.rec_flow.start, 1714557600000000ull);
    feed(ls, "2024-05-01 10:00:01 192.0.2.20 GET / - 443"); /* columns missing */
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.http, 1);
    assert_int_equal(st.headers, 3);
    assert_int_equal(st.rejected, 1);
    ta_logsrc_free(ls);
}

/* ---- third-party logs ----------------------------------------------------------------- */

static void test_shared_zeek(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    static const char *const names[] = {
        "dns", "ftp", "known_services", "notice", "pe", "smtp", "software",
        "ssh", "ssl", "weird",          "x509",
    };
    const size_t n = sizeof(names) / sizeof(names[0]);
    char p[16][512];
    const char *paths[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(p[i], sizeof(p[i]), "%s/zeek-logs-wrccdc2018/zeek-default/%s.log.gz", d, names[i]);
        paths[i] = p[i];
    }
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_ZEEK, NULL, &s, &sink);
    memset(&s, 0, sizeof(s));
    char err[512];
    assert_int_equal(ta_logsrc_read_files(ls, paths, n, err, sizeof(err)), TA_OK);
    struct ta_logsrc_stats st = stats(ls);
    /* Data lines per file (zcat | grep -vc '^#'): dns 53615, ssl 49474, x509 348; the
     * other eight logs 27688 lines; nine header lines in each of the eleven files. */
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.dns, 53615);
    assert_int_equal(st.tls, 49474);
    assert_int_equal(st.certs, 348);
    assert_int_equal(st.ignored, 27688);
    assert_int_equal(st.headers, 99);
    assert_int_equal(st.lines, 53615 + 49474 + 348 + 27688 + 99);
    assert_int_equal(st.flows, 0); /* no conn.log in the set */
    /*
     * 9,975 ssl lines name a certificate chain; 9,545 of them come after an x509 line of
     * their first certificate in the merge (the same two-way merge by ts over ssl.log and
     * x509.log in Python counts 9,545; the other 430 are first sightings).
     */
    assert_int_equal(s.tls_with_cert, 9545);
    /* Zeek 6 fingerprints are SHA-256: no SHA-1 fingerprint is made up from them. */
    assert_string_equal(s.fp, "");
    ta_logsrc_free(ls);
}

static void test_shared_access(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char p[512];
    snprintf(p, sizeof(p), "%s/access-logs/examples/demolog/hackers-access.log", d);
    const char *paths[] = {p};
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_ACCESS_LOG, NULL, &s, &sink);
    char err[512];
    assert_int_equal(ta_logsrc_read_files(ls, paths, 1, err, sizeof(err)), TA_OK);
    struct ta_logsrc_stats st = stats(ls);
    /* 3,456 combined-format lines (wc -l), each a transaction on its own flow. */
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.lines, 3456);
    assert_int_equal(st.http, 3456);
    assert_int_equal(st.flows, 3456);
    ta_logsrc_free(ls);
}

/* A line over the cap in a file is one rejected line, however long; the next lines are read. */
static void test_files_long_line(void **state)
{
    (void)state;
    size_t big = 300000;
    char *text = malloc(big + 400);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, 400,
                                "{\"timestamp\":\"2014-03-19T00:00:03.000000+0000\","
                                "\"event_type\":\"stats\"}\n{\"x\":\"");
    memset(text + o, 'a', big);
    o += big;
    o += (size_t)snprintf(text + o, 400,
                          "\"}\n{\"timestamp\":\"2014-03-19T00:00:04.000000+0000\","
                          "\"event_type\":\"alert\"}\n");
    text[o] = 0;
    write_file("long.json", text, false);
    free(text);
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc_opts lo;
    ta_logsrc_opts_default(&lo);
    lo.max_line = 1000;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, &lo, &s, &sink);
    const char *paths[] = {path("long.json")};
    char err[512];
    assert_int_equal(ta_logsrc_read_files(ls, paths, 1, err, sizeof(err)), TA_OK);
    struct ta_logsrc_stats st = stats(ls);
    assert_int_equal(st.lines, 3);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.ignored, 2);
    assert_int_equal(st.first_rejected, 2);
    ta_logsrc_free(ls);
}

static void test_files_errors(void **state)
{
    (void)state;
    struct seen s;
    struct ta_obs_sink sink;
    struct ta_logsrc *ls = mk(TA_INPUT_EVE, NULL, &s, &sink);
    const char *paths[] = {path("missing.json")};
    char err[512];
    assert_int_equal(ta_logsrc_read_files(ls, paths, 1, err, sizeof(err)), TA_ERR_IO);
    assert_non_null(strstr(err, "missing.json"));
    /* A gzip file cut short is an error, not a silent end. */
    char big[8192];
    size_t o = 0;
    while (o + 200 < sizeof(big))
        o += (size_t)snprintf(big + o, sizeof(big) - o,
                              "{\"timestamp\":\"2014-03-19T00:00:03.%06zu+0000\",\"event_type\":"
                              "\"stats\"}\n",
                              o);
    write_file("cut.json.gz", big, true);
    FILE *f = fopen(path("cut.json.gz"), "r+");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path("cut.json.gz"), sz / 2), 0);
    paths[0] = path("cut.json.gz");
    assert_int_equal(ta_logsrc_read_files(ls, paths, 1, err, sizeof(err)), TA_ERR_IO);
    assert_non_null(strstr(err, "cut.json.gz"));
    ta_logsrc_free(ls);
}

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir_make(dir, sizeof(dir), "ta-test-logsrc");
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eve_flow),        cmocka_unit_test(test_eve_dns),
        cmocka_unit_test(test_eve_http_tls),    cmocka_unit_test(test_eve_counts),
        cmocka_unit_test(test_zeek_merge),      cmocka_unit_test(test_zeek_json),
        cmocka_unit_test(test_access_combined), cmocka_unit_test(test_access_nginx_format),
        cmocka_unit_test(test_access_iis),      cmocka_unit_test(test_shared_zeek),
        cmocka_unit_test(test_shared_access),   cmocka_unit_test(test_files_errors),
        cmocka_unit_test(test_files_long_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
