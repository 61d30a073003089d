/*
 * Merge by time with a watermark: see pipeline-merge.h.
 *
 * Each producer has a hand-over list under its own lock and a published
 * clock. The consumer reads every clock first (acquire), then takes the
 * lists: a producer appends before it publishes (release), so every item
 * stamped before a clock the consumer read is in what it takes. The taken
 * items wait in per-producer pending lists, each in time order, and are
 * popped by a scan of the heads (N is small: at most the worker limit).
 */
#include "pipeline/pipeline-merge.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/banned.h"

struct src {
    pthread_mutex_t mu;
    struct ta__merge_item *head, *tail; /* handed over, not yet taken */
    _Atomic uint64_t clock;
    uint64_t sub;                            /* the producer's own count */
    struct ta__merge_item *pend, *pend_tail; /* the consumer's */
};

struct ta__merge {
    unsigned n;
    size_t cap;
    _Atomic size_t bytes; /* handed over and not yet popped */
    uint64_t mark;        /* the consumer's watermark, from its last take */
    bool drain;
    uint64_t early;
    struct src s[];
};

ta_err ta__merge_new(unsigned n, size_t cap_bytes, struct ta__merge **out)
{
    *out = NULL;
    if (n == 0)
        return TA_ERR_ARG;
    struct ta__merge *m = calloc(1, sizeof(*m) + n * sizeof(struct src));
    if (m == NULL)
        return TA_ERR_NOMEM;
    m->n = n;
    m->cap = cap_bytes;
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_init(&m->s[i].mu, NULL);
    *out = m;
    return TA_OK;
}

static void free_list(struct ta__merge_item *it, void (*free_item)(struct ta__merge_item *))
{
    while (it != NULL) {
        struct ta__merge_item *next = it->next;
        free_item(it);
        it = next;
    }
}

void ta__merge_free(struct ta__merge *m, void (*free_item)(struct ta__merge_item *))
{
    if (m == NULL)
        return;
    for (unsigned i = 0; i < m->n; i++) {
        free_list(m->s[i].head, free_item);
        free_list(m->s[i].pend, free_item);
        pthread_mutex_destroy(&m->s[i].mu);
    }
    free(m);
}

void ta__merge_hand_over(struct ta__merge *m, unsigned src, struct ta__merge_item *head,
                         struct ta__merge_item *tail, uint64_t clock)
{
    struct src *s = &m->s[src];
    if (head != NULL) {
        size_t bytes = 0;
        for (struct ta__merge_item *it = head; it != NULL; it = it->next) {
            it->sub = s->sub++;
            bytes += it->size;
        }
        atomic_fetch_add_explicit(&m->bytes, bytes, memory_order_relaxed);
        pthread_mutex_lock(&s->mu);
        if (s->tail != NULL)
            s->tail->next = head;
        else
            s->head = head;
        s->tail = tail;
        pthread_mutex_unlock(&s->mu);
    }
    atomic_store_explicit(&s->clock, clock, memory_order_release);
}

uint64_t ta__merge_mark(const struct ta__merge *m)
{
    uint64_t mark = TA__MERGE_DONE;
    for (unsigned i = 0; i < m->n; i++) {
        uint64_t c = atomic_load_explicit(&m->s[i].clock, memory_order_acquire);
        if (c < mark)
            mark = c;
    }
    return mark;
}

bool ta__merge_done(const struct ta__merge *m, unsigned src)
{
    return atomic_load_explicit(&m->s[src].clock, memory_order_acquire) == TA__MERGE_DONE;
}

void ta__merge_take(struct ta__merge *m)
{
    /* The clocks first: what was handed over before them is in the lists taken after. */
    m->mark = ta__merge_mark(m);
    for (unsigned i = 0; i < m->n; i++) {
        struct src *s = &m->s[i];
        pthread_mutex_lock(&s->mu);
        struct ta__merge_item *h = s->head, *t = s->tail;
        s->head = s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        if (h == NULL)
            continue;
        if (s->pend_tail != NULL)
            s->pend_tail->next = h;
        else
            s->pend = h;
        s->pend_tail = t;
    }
}

void ta__merge_drain(struct ta__merge *m)
{
    m->drain = true;
}

struct ta__merge_item *ta__merge_pop(struct ta__merge *m)
{
    unsigned best = m->n;
    for (unsigned i = 0; i < m->n; i++) {
        const struct ta__merge_item *a = m->s[i].pend;
        if (a == NULL)
            continue;
        const struct ta__merge_item *b = best < m->n ? m->s[best].pend : NULL;
        /* Ties in time go to the lower producer, then to the order made. */
        if (b == NULL || a->ts < b->ts)
            best = i;
    }
    if (best == m->n)
        return NULL;
    struct src *s = &m->s[best];
    struct ta__merge_item *it = s->pend;
    if (it->ts > m->mark && !m->drain) {
        if (atomic_load_explicit(&m->bytes, memory_order_relaxed) <= m->cap)
            return NULL;
        m->early++;
    }
    s->pend = it->next;
    if (s->pend == NULL)
        s->pend_tail = NULL;
    it->next = NULL;
    atomic_fetch_sub_explicit(&m->bytes, it->size, memory_order_relaxed);
    return it;
}

uint64_t ta__merge_early(const struct ta__merge *m)
{
    return m->early;
}
