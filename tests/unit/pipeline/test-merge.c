/*
 * Unit tests for the merge by time of the unordered live workers
 * (src/pipeline/pipeline-merge.c): items come out in (time, producer, order
 * made) order and only once every producer's clock has passed them; a
 * finished producer holds nothing back; past the memory cap the oldest item
 * goes out early, counted; and with producer threads racing the consumer
 * (random batches and clocks), what comes out is in time order, all of it,
 * once each.
 */
#include "testutil.h"

#include <pthread.h>

#include "pipeline/pipeline-merge.h"

struct item {
    struct ta__merge_item it;
    unsigned src;
    uint32_t n;
};

static struct item *mk(unsigned src, uint64_t ts, uint32_t n)
{
    struct item *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->it.ts = ts;
    x->it.size = 60;
    x->src = src;
    x->n = n;
    return x;
}

static void give1(struct ta__merge *m, unsigned src, uint64_t ts, uint32_t n, uint64_t clock)
{
    struct item *x = mk(src, ts, n);
    ta__merge_hand_over(m, src, &x->it, &x->it, clock);
}

/* The next item's (src, n), or (9, 0) for none. */
static void expect(struct ta__merge *m, unsigned src, uint32_t n)
{
    struct ta__merge_item *it = ta__merge_pop(m);
    if (src == 9) {
        assert_null(it);
        return;
    }
    assert_non_null(it);
    struct item *x = (struct item *)(void *)it;
    assert_int_equal(x->src, src);
    assert_int_equal(x->n, n);
    free(x);
}

static void free_item(struct ta__merge_item *it)
{
    free(it);
}

static void test_watermark(void **state)
{
    (void)state;
    struct ta__merge *m;
    assert_int_equal(ta__merge_new(3, 1u << 20, &m), TA_OK);
    /* src 0: 1, 5, 9 (clock 9); src 1: 2, 3 (clock 4); src 2: nothing yet (clock 0). */
    struct item *a = mk(0, 1, 1), *b = mk(0, 5, 2), *c = mk(0, 9, 3);
    a->it.next = &b->it;
    b->it.next = &c->it;
    ta__merge_hand_over(m, 0, &a->it, &c->it, 9);
    struct item *d = mk(1, 2, 1), *e = mk(1, 3, 2);
    d->it.next = &e->it;
    ta__merge_hand_over(m, 1, &d->it, &e->it, 4);
    ta__merge_take(m);
    assert_int_equal(ta__merge_mark(m), 0);
    expect(m, 9, 0); /* src 2 may still make something at time 0 */
    ta__merge_hand_over(m, 2, NULL, NULL, 10);
    ta__merge_take(m);
    expect(m, 0, 1);
    expect(m, 1, 1);
    expect(m, 1, 2);
    expect(m, 9, 0); /* 5 is past src 1's clock (4) */
    /* A tie in time: the lower producer first. */
    give1(m, 1, 5, 3, 7);
    ta__merge_take(m);
    expect(m, 0, 2);
    expect(m, 1, 3);
    expect(m, 9, 0);
    /* A finished producer holds nothing back; the others still do. */
    ta__merge_hand_over(m, 1, NULL, NULL, TA__MERGE_DONE);
    assert_true(ta__merge_done(m, 1));
    assert_false(ta__merge_done(m, 0));
    ta__merge_take(m);
    assert_int_equal(ta__merge_mark(m), 9);
    expect(m, 0, 3);
    expect(m, 9, 0);
    /* Items made at the clock published before are in order after what was let go. */
    give1(m, 0, 9, 4, 12);
    give1(m, 2, 11, 1, 11);
    ta__merge_take(m);
    expect(m, 0, 4);
    expect(m, 2, 1);
    expect(m, 9, 0);
    assert_int_equal(ta__merge_early(m), 0);
    /* What is left is freed with the merge. */
    give1(m, 0, 20, 5, 20);
    ta__merge_take(m);
    ta__merge_free(m, free_item);
}

static void test_cap_and_drain(void **state)
{
    (void)state;
    struct ta__merge *m;
    /* Room for one item of 60 bytes, not two. */
    assert_int_equal(ta__merge_new(2, 100, &m), TA_OK);
    struct item *a = mk(0, 10, 1), *b = mk(0, 11, 2);
    a->it.next = &b->it;
    ta__merge_hand_over(m, 0, &a->it, &b->it, 11);
    ta__merge_take(m); /* src 1 never published: the mark is 0 */
    expect(m, 0, 1);   /* over the cap: out early */
    assert_int_equal(ta__merge_early(m), 1);
    expect(m, 9, 0); /* under the cap again: it waits */
    ta__merge_drain(m);
    expect(m, 0, 2);
    expect(m, 9, 0);
    assert_int_equal(ta__merge_early(m), 1);
    ta__merge_free(m, free_item);
    assert_int_equal(ta__merge_new(0, 100, &m), TA_ERR_ARG);
}

#define PRODUCERS 4
#define PER       20000u

struct prod {
    struct ta__merge *m;
    unsigned idx;
    uint64_t rng;
};

static uint32_t rnd(uint64_t *r)
{
    *r ^= *r << 13;
    *r ^= *r >> 7;
    *r ^= *r << 17;
    return (uint32_t)(*r >> 16);
}

static void *produce(void *arg)
{
    struct prod *p = arg;
    uint64_t now = 0;
    uint32_t made = 0;
    while (made < PER) {
        /* A batch made at clocks moving on by 0-3, then the clock published, maybe further. */
        struct ta__merge_item *head = NULL, *tail = NULL;
        uint32_t k = rnd(&p->rng) % 8;
        for (uint32_t i = 0; i < k && made < PER; i++) {
            now += rnd(&p->rng) % 4;
            struct item *x = mk(p->idx, now, made++);
            if (tail != NULL)
                tail->next = &x->it;
            else
                head = &x->it;
            tail = &x->it;
        }
        if (rnd(&p->rng) % 4 == 0)
            now += rnd(&p->rng) % 5; /* an idle tick */
        ta__merge_hand_over(p->m, p->idx, head, tail, now);
    }
    ta__merge_hand_over(p->m, p->idx, NULL, NULL, TA__MERGE_DONE);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct ta__merge *m;
    assert_int_equal(ta__merge_new(PRODUCERS, 1u << 30, &m), TA_OK);
    pthread_t th[PRODUCERS];
    struct prod p[PRODUCERS];
    for (unsigned i = 0; i < PRODUCERS; i++) {
        p[i] = (struct prod){m, i, 0x9e3779b97f4a7c15ull * (i + 1)};
        assert_int_equal(pthread_create(&th[i], NULL, produce, &p[i]), 0);
    }
    uint64_t last = 0, got = 0;
    uint32_t next[PRODUCERS] = {0};
    bool done = false;
    while (!done) {
        done = ta__merge_mark(m) == TA__MERGE_DONE;
        ta__merge_take(m);
        struct ta__merge_item *it;
        while ((it = ta__merge_pop(m)) != NULL) {
            struct item *x = (struct item *)(void *)it;
            assert_true(it->ts >= last); /* nothing came later that should have gone first */
            last = it->ts;
            assert_int_equal(x->n, next[x->src]); /* each producer's order, none lost */
            next[x->src]++;
            got++;
            free(x);
        }
    }
    for (unsigned i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(got, (uint64_t)PRODUCERS * PER);
    assert_int_equal(ta__merge_early(m), 0);
    ta__merge_free(m, free_item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watermark),
        cmocka_unit_test(test_cap_and_drain),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
