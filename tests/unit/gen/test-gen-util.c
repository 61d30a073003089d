/*
 * Unit tests for tools/gen/gen-util.c: PRNG reference values, encoders, DNS
 * and TLS payload bytes, the time-sorting sink and unique address drawing.
 */
#include "testutil.h"

#include "craft.h"
#include "../../../tools/gen/gen-util.c"

#include <unistd.h>

static void test_rng(void **state)
{
    (void)state;
    /* splitmix64 from 0: the published first output. */
    uint64_t x = 0;
    assert_true(splitmix64(&x) == 0xe220a8397b1dcdafull);
    struct tg_rng a, b;
    tg_rng_seed(&a, 42);
    tg_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(tg_rng_u64(&a) == tg_rng_u64(&b));
    tg_rng_seed(&b, 43);
    assert_true(tg_rng_u64(&a) != tg_rng_u64(&b));
    for (int i = 0; i < 10000; i++) {
        uint64_t v = tg_rng_range(&a, 5, 9);
        assert_true(v >= 5 && v <= 9);
        double u = tg_rng_unit(&a);
        assert_true(u >= 0 && u < 1);
    }
}

static void test_encoders(void **state)
{
    (void)state;
    struct tg_buf b = {0};
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        tg_buf_reset(&b);
        tg_buf_base64(&b, (const uint8_t *)in[i], strlen(in[i]));
        assert_int_equal(b.len, strlen(out[i]));
        assert_memory_equal(b.p, out[i], b.len);
    }
    tg_buf_reset(&b);
    tg_buf_urlenc(&b, "@eval($_POST[z0]);+/=", 21);
    const char *want = "%40eval%28%24_POST%5Bz0%5D%29%3B%2B%2F%3D";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p, want, b.len);
    tg_buf_release(&b);
}

static void test_dns_and_tls(void **state)
{
    (void)state;
    struct tg_buf b = {0};
    tg_dns_msg(&b, 0x1234, "a.bc", 1, true, 0x01020304u, 300);
    const uint8_t want[] = {0x12, 0x34, 0x81, 0x80, 0,   1, 0, 1, 0, 0,    0, 0, /* header */
                            1,    'a',  2,    'b',  'c', 0, 0, 1, 0, 1,          /* question */
                            0xc0, 0x0c, 0,    1,    0,   1, 0, 0, 1, 0x2c, 0, 4, /* answer */
                            1,    2,    3,    4};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));

    struct tg_rng r;
    tg_rng_seed(&r, 1);
    tg_buf_reset(&b);
    tg_tls_client_hello(&b, &r, "evil.example");
    /* Record header and handshake header agree with the total length. */
    assert_int_equal(b.p[0], 0x16);
    size_t rec = (size_t)b.p[3] << 8 | b.p[4];
    assert_int_equal(rec + 5, b.len);
    assert_int_equal(b.p[5], 1);
    size_t hs = (size_t)b.p[6] << 16 | (size_t)b.p[7] << 8 | b.p[8];
    assert_int_equal(hs + 4, rec);
    /* The SNI is where the server_name extension says. */
    assert_non_null(memmem(b.p, b.len,
                           "\x00\x00\x00\x11\x00\x0f\x00\x00\x0c"
                           "evil.example",
                           21));
    tg_buf_release(&b);
}

static void test_sink_order(void **state)
{
    (void)state;
    char path[] = "/tmp/test-gen-util-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct tg_pcap *w = NULL;
    assert_int_equal(tg_pcap_open(&w, path, NULL), TA_OK);
    struct tg_sink *s = NULL;
    assert_int_equal(tg_sink_new(&s, w), TA_OK);
    uint8_t p[8] = {0};
    const ta_time_us order[] = {50, 10, 30, 10, 70, 20};
    for (int i = 0; i < 6; i++) {
        p[0] = (uint8_t)i;
        assert_int_equal(tg_sink_emit(s, order[i], p, 1 + (size_t)i), TA_OK);
    }
    assert_int_equal(tg_sink_total_bytes(s), 6 * 16 + 21);
    assert_int_equal(tg_sink_flush(s, 30), TA_OK); /* writes 10, 10, 20 */
    assert_int_equal(tg_pcap_packets(w), 3);
    assert_int_equal(tg_sink_emit(s, 40, p, 1), TA_OK);
    assert_int_equal(tg_sink_flush(s, UINT64_MAX), TA_OK);
    assert_int_equal(tg_pcap_packets(w), 7);
    assert_int_equal(tg_pcap_close(w), TA_OK);
    tg_sink_free(s);

    /* Read back: times ascending; equal times keep arrival order (1 then 3). */
    uint8_t buf[1024];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    unlink(path);
    size_t off = 24;
    const ta_time_us want_ts[] = {10, 10, 20, 30, 40, 50, 70};
    const uint8_t want_first[] = {1, 3, 5, 2, 5, 0, 4};
    for (int i = 0; i < 7; i++) {
        assert_true(off + 16 <= n);
        uint32_t usec = (uint32_t)buf[off + 4] | (uint32_t)buf[off + 5] << 8;
        uint32_t caplen = buf[off + 8];
        assert_int_equal(usec, want_ts[i]);
        assert_int_equal(buf[off + 16], want_first[i]);
        off += 16 + caplen;
    }
    assert_int_equal(off, n);
}

static void test_geo_fallback_unique(void **state)
{
    (void)state;
    struct tg_geo *g = NULL;
    assert_int_equal(tg_geo_open(&g, NULL), TA_OK);
    assert_false(tg_geo_verified(g));
    struct tg_rng r;
    tg_rng_seed(&r, 9);
    uint32_t seen[2000];
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(tg_geo_draw(g, &r, i % 2 ? "CN" : "US", &seen[i]), TA_OK);
        assert_false(special(seen[i]));
        for (int k = 0; k < i; k++)
            assert_true(seen[k] != seen[i]);
    }
    /* CN draws fall in the CN fallback prefixes. */
    for (int i = 1; i < 2000; i += 2)
        assert_true((seen[i] & 0xffe00000u) == 0x24600000u ||
                    (seen[i] & 0xffc00000u) == 0x71400000u);
    uint32_t ip;
    assert_int_equal(tg_geo_draw(g, &r, "ZZ", &ip), TA_ERR_NOTFOUND);
    tg_geo_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_encoders),
        cmocka_unit_test(test_dns_and_tls),
        cmocka_unit_test(test_sink_order),
        cmocka_unit_test(test_geo_fallback_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
