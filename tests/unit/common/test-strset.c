/*
 * ta_strset (common/strset.h) over a caller pool: each distinct string
 * stored once, prefixes kept apart, growth keeps every offset findable.
 */
#include "testutil.h"

#include "common/strset.h"

struct pool {
    char buf[1 << 17];
    size_t len;
};

static uint32_t intern(struct ta_strset *t, struct pool *p, const char *s)
{
    size_t n = strlen(s);
    uint32_t h, off;
    if (ta_strset_find(t, p->buf, p->len, s, n, &h, &off))
        return off;
    off = (uint32_t)p->len;
    memcpy(p->buf + p->len, s, n + 1);
    p->len += n + 1;
    assert_int_equal(ta_strset_put(t, h, off), TA_OK);
    return off;
}

static void test_intern(void **state)
{
    (void)state;
    static struct pool p;
    p.len = 0;
    struct ta_strset t = {0};
    uint32_t h, off;
    assert_false(ta_strset_find(&t, p.buf, p.len, "x", 1, &h, &off));
    assert_int_equal(intern(&t, &p, "abc"), 0);
    assert_int_equal(intern(&t, &p, "ab"), 4);
    assert_int_equal(intern(&t, &p, ""), 7);
    assert_int_equal(intern(&t, &p, "abc"), 0);
    assert_int_equal(intern(&t, &p, "ab"), 4);
    assert_int_equal(intern(&t, &p, ""), 7);
    assert_int_equal(p.len, 8);
    /* A length-bounded lookup: "abcd" is not "abc" followed by more. */
    assert_false(ta_strset_find(&t, p.buf, p.len, "abcd", 4, &h, &off));
    ta_strset_release(&t);
    assert_null(t.tab.slots);
}

static void test_growth(void **state)
{
    (void)state;
    static struct pool p;
    p.len = 0;
    struct ta_strset t;
    assert_int_equal(ta_strset_init(&t), TA_OK);
    uint32_t offs[5000];
    char s[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(s, sizeof(s), "as%d", i);
        offs[i] = intern(&t, &p, s);
    }
    assert_int_equal(t.tab.used, 5000);
    assert_true(t.tab.nslots >= 10000);
    size_t len = p.len;
    for (int i = 0; i < 5000; i++) {
        snprintf(s, sizeof(s), "as%d", i);
        assert_int_equal(intern(&t, &p, s), offs[i]);
    }
    assert_int_equal(p.len, len);
    ta_strset_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
