/*
 * ta_rtab4 / ta_rtab6 (common/rtab.h): every address answers the range
 * that holds it, checked against a linear scan at slot edges, range edges
 * and random addresses, for tables with uniform slots, crowded slots (many
 * ranges inside one jump slot), no ranges at all, and moved arrays.
 */
#include "testutil.h"

#include "common/rtab.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint32_t scan4(const uint32_t *s, const uint32_t *v, size_t n, uint32_t ip)
{
    size_t i = 0;
    while (i + 1 < n && s[i + 1] <= ip)
        i++;
    return v[i];
}

static uint32_t scan6(const ta_u128 *s, const uint32_t *v, size_t n, ta_u128 ip)
{
    size_t i = 0;
    while (i + 1 < n && s[i + 1] <= ip)
        i++;
    return v[i];
}

static void check4(const struct ta_rtab4 *t, const uint32_t *s, const uint32_t *v, size_t n,
                   uint32_t ip)
{
    assert_int_equal(ta_rtab4_find(t, ip), scan4(s, v, n, ip));
}

static void test_v4(void **state)
{
    (void)state;
    enum { N = 3000 };
    static uint32_t s[N], v[N];
    size_t n = 0;
    s[n] = 0;
    v[n++] = 0;
    /* 1000 ranges crowded into slot 5 (addresses 5 << 12 ...), one range per
     * address at its start: the slot must search 2^10 of them. */
    for (uint32_t i = 0; i < 1000; i++) {
        s[n] = (5u << 12) + i;
        v[n++] = i + 1;
    }
    /* Then ranges of random widths to the end of the space. */
    uint32_t at = 6u << 12;
    while (n < N - 1 && at < 0xf0000000u) {
        s[n] = at;
        v[n++] = (uint32_t)(next() % 50000);
        at += 1 + (uint32_t)(next() % 0x400000);
    }
    struct ta_rtab4 t;
    assert_int_equal(ta_rtab4_build(&t, s, v, n), TA_OK);
    assert_int_equal(ta_rtab4_bytes(&t), 4u << 20);
    for (size_t i = 0; i < n; i++) {
        check4(&t, s, v, n, s[i]);
        if (s[i] > 0)
            check4(&t, s, v, n, s[i] - 1);
        check4(&t, s, v, n, s[i] + 1);
    }
    for (uint32_t b = 0; b < 64; b++) {
        check4(&t, s, v, n, b << 12);
        check4(&t, s, v, n, (b << 12) - 1);
    }
    check4(&t, s, v, n, 0xffffffffu);
    /* The same ranges as (start, val) pairs answer the same. */
    static struct ta_range4 pr[N];
    for (size_t i = 0; i < n; i++)
        pr[i] = (struct ta_range4){s[i], v[i]};
    struct ta_rtab4 tp;
    assert_int_equal(ta_rtab4_build_pairs(&tp, pr, n), TA_OK);
    for (int i = 0; i < 100000; i++) {
        uint32_t ip = (uint32_t)next();
        check4(&t, s, v, n, ip);
        check4(&tp, s, v, n, ip);
    }
    for (size_t i = 0; i < n; i++)
        check4(&tp, s, v, n, s[i]);
    ta_rtab4_release(&tp);
    /* Moved arrays: the slots hold, the answers come from the new place. */
    static uint32_t s2[N], v2[N];
    memcpy(s2, s, sizeof(s));
    memcpy(v2, v, sizeof(v));
    ta_rtab4_point(&t, s2, v2);
    memset(v, 0xee, sizeof(v));
    assert_int_equal(ta_rtab4_find(&t, (5u << 12) + 999), 1000);
    ta_rtab4_release(&t);
    assert_null(t.dir);
}

static void test_v4_limits_and_empty(void **state)
{
    (void)state;
    struct ta_rtab4 t;
    assert_int_equal(ta_rtab4_build(&t, NULL, NULL, 0), TA_OK);
    assert_int_equal(ta_rtab4_find(&t, 0x01020304u), 0);
    assert_int_equal(ta_rtab4_find(&t, 0xffffffffu), 0);
    ta_rtab4_release(&t);
    /* An answer id that would collide with the uniform bit is refused. */
    uint32_t s[2] = {0, 100}, v[2] = {1, TA_RTAB_UNIFORM};
    assert_int_equal(ta_rtab4_build(&t, s, v, 2), TA_ERR_LIMIT);
    assert_null(t.dir);
}

static void test_v6(void **state)
{
    (void)state;
    enum { N = 2000 };
    static ta_u128 s[N];
    static uint32_t v[N];
    size_t n = 0;
    s[n] = 0;
    v[n++] = 7;
    /* Many ranges inside slot 0x2001 and the rest spread out. */
    ta_u128 base = (ta_u128)0x2001 << 112;
    for (uint32_t i = 0; i < 500; i++) {
        s[n] = base + ((ta_u128)i << 64);
        v[n++] = i;
    }
    ta_u128 at = (ta_u128)0x2002 << 112;
    while (n < N) {
        s[n] = at;
        v[n++] = (uint32_t)(next() % 1000);
        at += ((ta_u128)(next() % 0x100000) << 90) + 1; /* no wrap */
    }
    struct ta_rtab6 t;
    assert_int_equal(ta_rtab6_build(&t, s, v, n), TA_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ta_rtab6_find(&t, s[i]), scan6(s, v, n, s[i]));
        if (s[i] > 0)
            assert_int_equal(ta_rtab6_find(&t, s[i] - 1), scan6(s, v, n, s[i] - 1));
    }
    for (int i = 0; i < 20000; i++) {
        ta_u128 ip = (ta_u128)next() << 64 | next();
        assert_int_equal(ta_rtab6_find(&t, ip), scan6(s, v, n, ip));
    }
    assert_int_equal(ta_rtab6_find(&t, ~(ta_u128)0), v[n - 1]);
    ta_rtab6_release(&t);
    assert_int_equal(ta_rtab6_build(&t, NULL, NULL, 0), TA_OK);
    assert_int_equal(ta_rtab6_find(&t, base), 0);
    assert_int_equal(ta_rtab6_find(&t, ~(ta_u128)0), 0);
    ta_rtab6_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4),
        cmocka_unit_test(test_v4_limits_and_empty),
        cmocka_unit_test(test_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
