/*
 * SHA-256 against the FIPS 180-4 / NIST CSRC example vectors, plus the
 * streaming API fed in awkward chunk sizes.
 */
#include "testutil.h"

#include "threatatlas/hash.h"

#include "common/sha256-int.h"

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

/*
 * The SHA-extension path (used when the CPU has it) and the portable one
 * give the same digests, for every length around the block boundaries and
 * for multi-block updates from unaligned buffers. On a CPU without SHA-NI
 * both runs use the portable code and the vectors above still pin it.
 */
static void test_accelerated_equals_portable(void **state)
{
    (void)state;
    static uint8_t buf[4096 + 1];
    uint32_t x = 0x12345678;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    print_message("sha256: SHA extensions %s\n",
                  ta__sha256_accelerated() ? "used" : "not available");
    for (size_t len = 0; len <= 4096; len += (len < 300 ? 1 : 61)) {
        uint8_t a[TA_SHA256_LEN], b[TA_SHA256_LEN];
        ta__sha256_force_portable(false);
        ta_sha256(buf + 1, len, a);
        ta__sha256_force_portable(true);
        ta_sha256(buf + 1, len, b);
        ta__sha256_force_portable(false);
        assert_memory_equal(a, b, TA_SHA256_LEN);
    }
    /* A large multi-block update against a known digest (the FIPS long vector,
     * one million 'a') through one call. */
    static char mil[1000000];
    memset(mil, 'a', sizeof(mil));
    uint8_t d[TA_SHA256_LEN];
    char hex[TA_SHA256_HEXLEN];
    ta_sha256(mil, sizeof(mil), d);
    assert_string_equal(ta_sha256_hex(d, hex),
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_accelerated_equals_portable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
