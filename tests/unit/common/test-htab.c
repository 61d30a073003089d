/*
 * ta_htab (common/htab.h): entries found by key after growth, the entry cap
 * answered with TA_ERR_LIMIT, deletion that keeps colliding runs findable
 * (checked against a plain array after thousands of random operations),
 * and the byte count a memory cap relies on.
 */
#include "testutil.h"

#include "common/hash64.h"
#include "common/htab.h"

/* Entries are indexes into keys[]; a key is its 64-bit value. */
static uint64_t keys[20000];

static bool key_eq(const void *ctx, uint32_t e)
{
    return keys[e] == *(const uint64_t *)ctx;
}

/* A weak hash on purpose in the collision test: many keys share a tag. */
static bool weak;
static uint64_t key_hash(uint64_t k)
{
    return weak ? k % 7 : ta_hash_mix64(k);
}

static bool find(const struct ta_htab *t, uint64_t k, uint32_t *e)
{
    return ta_htab_find(t, key_hash(k), key_eq, &k, e);
}

static void test_put_find_grow(void **state)
{
    (void)state;
    weak = false;
    struct ta_htab t;
    ta_htab_init(&t, 0);
    uint32_t e;
    assert_false(find(&t, 5, &e));
    assert_int_equal(ta_htab_bytes(&t), 0);
    for (uint32_t i = 0; i < 10000; i++) {
        keys[i] = (uint64_t)i * 1000003u + 17;
        assert_false(find(&t, keys[i], &e));
        assert_int_equal(ta_htab_put(&t, key_hash(keys[i]), i), TA_OK);
    }
    assert_int_equal(t.used, 10000);
    assert_int_equal(t.nslots, 32768); /* at most half full, a power of two */
    assert_int_equal(ta_htab_bytes(&t), 32768 * 8);
    for (uint32_t i = 0; i < 10000; i++) {
        assert_true(find(&t, keys[i], &e));
        assert_int_equal(e, i);
    }
    assert_false(find(&t, 18, &e));
    ta_htab_clear(&t);
    assert_false(find(&t, keys[0], &e));
    assert_int_equal(t.nslots, 32768);
    ta_htab_release(&t);
    assert_null(t.slots);
    assert_int_equal(ta_htab_bytes(&t), 0);
}

static void test_limit(void **state)
{
    (void)state;
    weak = false;
    struct ta_htab t;
    ta_htab_init(&t, 3);
    for (uint32_t i = 0; i < 3; i++) {
        keys[i] = i + 100;
        assert_int_equal(ta_htab_put(&t, key_hash(keys[i]), i), TA_OK);
    }
    keys[3] = 103;
    assert_int_equal(ta_htab_put(&t, key_hash(keys[3]), 3), TA_ERR_LIMIT);
    uint32_t e;
    assert_false(find(&t, 103, &e));
    /* Evicting one makes room. */
    assert_true(ta_htab_del(&t, key_hash(keys[1]), 1));
    assert_false(ta_htab_del(&t, key_hash(keys[1]), 1));
    assert_int_equal(ta_htab_put(&t, key_hash(keys[3]), 3), TA_OK);
    assert_true(find(&t, 103, &e));
    assert_int_equal(e, 3);
    assert_false(find(&t, 101, &e));
    ta_htab_release(&t);
    /* The cap outlives release: the table is reusable with it. */
    assert_int_equal(t.max, 3);
}

static void test_delete_keeps_runs(void **state)
{
    (void)state;
    for (int pass = 0; pass < 2; pass++) {
        weak = pass == 1;
        struct ta_htab t;
        ta_htab_init(&t, 0);
        bool in[2000] = {false};
        uint64_t r = 88172645463325252ull;
        for (uint32_t i = 0; i < 2000; i++)
            keys[i] = i * 2654435761ull;
        for (int op = 0; op < 20000; op++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            uint32_t i = (uint32_t)(r % (weak ? 300 : 2000));
            if (in[i]) {
                assert_true(ta_htab_del(&t, key_hash(keys[i]), i));
                in[i] = false;
            } else {
                assert_int_equal(ta_htab_put(&t, key_hash(keys[i]), i), TA_OK);
                in[i] = true;
            }
            if (op % 997 == 0 || op == 19999) {
                size_t n = 0;
                for (uint32_t k = 0; k < 2000; k++) {
                    uint32_t e;
                    bool f = find(&t, keys[k], &e);
                    assert_int_equal(f, in[k]);
                    if (f)
                        assert_int_equal(e, k);
                    n += in[k];
                }
                assert_int_equal(t.used, n);
            }
        }
        ta_htab_release(&t);
    }
}

static void test_reserve(void **state)
{
    (void)state;
    struct ta_htab t;
    ta_htab_init(&t, 0);
    assert_int_equal(ta_htab_reserve(&t, 1000), TA_OK);
    assert_int_equal(t.nslots, 2048);
    size_t before = t.nslots;
    for (uint32_t i = 0; i < 1000; i++) {
        keys[i] = i;
        assert_int_equal(ta_htab_put(&t, ta_hash_mix64(i), i), TA_OK);
    }
    assert_int_equal(t.nslots, before);
    ta_htab_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_find_grow),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_delete_keeps_runs),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
