/*
 * The digests (libcrypto behind threatatlas/hash.h): SHA-256 against the
 * FIPS 180-4 / NIST CSRC example vectors, plus the streaming API fed in
 * awkward chunk sizes; MD5 and SHA-1 against their RFCs' vectors; SHA-512
 * of a file in npm's integrity form.
 */
#include "testutil.h"

#include "threatatlas/hash.h"

#include <unistd.h>

static void check(const char *msg, size_t len, const char *want)
{
    uint8_t d[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    ta_sha256(msg, len, d);
    assert_string_equal(ta_sha256_hex(d, hex), want);
    /* The same message in every chunk size from 1 to 130 bytes. */
    for (size_t chunk = 1; chunk <= 130; chunk++) {
        struct ta_sha256 s;
        ta_sha256_init(&s);
        for (size_t o = 0; o < len; o += chunk)
            ta_sha256_update(&s, msg + o, len - o < chunk ? len - o : chunk);
        ta_sha256_final(&s, d);
        assert_string_equal(ta_sha256_hex(d, hex), want);
    }
}

static void test_vectors(void **state)
{
    (void)state;
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    char block[1000];
    memset(block, 'a', sizeof(block));
    struct ta_sha256 s;
    ta_sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        ta_sha256_update(&s, block, sizeof(block));
    uint8_t d[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    ta_sha256_final(&s, d);
    assert_string_equal(ta_sha256_hex(d, hex),
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ta-sha-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    uint8_t d[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    uint64_t size = 0;
    assert_int_equal(ta_sha256_file(path, d, &size), TA_OK);
    assert_int_equal(size, 3);
    assert_string_equal(ta_sha256_hex(d, hex),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    assert_int_equal(ta_sha256_file(path, d, &size), TA_ERR_IO);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * n] = 0;
}

/* MD5 (RFC 1321 appendix A.5) and SHA-1 (RFC 3174 section 7.3) test suites. */
static void test_md5_sha1(void **state)
{
    (void)state;
    char h[2 * TA_SHA1_LEN + 1];
    uint8_t m[TA_MD5_LEN], s1[TA_SHA1_LEN];
    ta_md5("", 0, m);
    hex(m, sizeof(m), h);
    assert_string_equal(h, "d41d8cd98f00b204e9800998ecf8427e");
    ta_md5("message digest", 14, m);
    hex(m, sizeof(m), h);
    assert_string_equal(h, "f96b697d7cb7938d525a2f31aaf161d0");
    ta_sha1("abc", 3, s1);
    hex(s1, sizeof(s1), h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ta_sha1(m448, strlen(m448), s1);
    hex(s1, sizeof(s1), h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

/* SHA-512 of a file as npm's dist.integrity writes it (FIPS 180-4 "abc" vector). */
static void test_sha512_file_b64(void **state)
{
    (void)state;
    char path[] = "/tmp/ta-sha-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char b64[89];
    assert_int_equal(ta_sha512_file_b64(path, b64, sizeof(b64)), TA_OK);
    assert_string_equal(
        b64,
        "3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==");
    assert_int_equal(ta_sha512_file_b64(path, b64, 88), TA_ERR_ARG); /* no room for the NUL */
    unlink(path);
    assert_int_equal(ta_sha512_file_b64(path, b64, sizeof(b64)), TA_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_md5_sha1),
        cmocka_unit_test(test_sha512_file_b64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
