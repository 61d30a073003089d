/*
 * A capped free list of same-size blocks (internal).
 *
 * Flows, their app-layer state and arena blocks are allocated and freed in
 * bursts (a timeout sweep ends thousands of flows, the next second starts
 * as many). Blocks freed into a pool are reused last-in first-out, still in
 * cache, without the allocator's bin bookkeeping. A pool holds at most cap
 * spare blocks, so it adds at most cap * size bytes to what is in use; past
 * that, blocks go back to free(). Not thread-safe: one pool per owner.
 */
#ifndef TA_COMMON_POOL_H
#define TA_COMMON_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct ta_pool {
    void *head;   /* spare blocks, linked through their first word */
    uint32_t n;   /* spare blocks held */
    uint32_t cap; /* most spare blocks held */
    size_t size;  /* block size, at least a pointer */
    size_t align; /* 0 for malloc's alignment, else a power of two dividing size */
};

static inline void ta_pool_init(struct ta_pool *p, size_t size, size_t align, uint32_t cap)
{
    p->head = NULL;
    p->n = 0;
    p->cap = cap;
    p->size = size < sizeof(void *) ? sizeof(void *) : size;
    p->align = align;
}

/* An uninitialised block of p->size bytes, or NULL when memory is exhausted. */
static inline void *ta_pool_get(struct ta_pool *p)
{
    void *x = p->head;
    if (x != NULL) {
        p->head = *(void **)x;
        p->n--;
        return x;
    }
    return p->align ? aligned_alloc(p->align, p->size) : malloc(p->size);
}

/* Give back a block from ta_pool_get (NULL is ignored). */
static inline void ta_pool_put(struct ta_pool *p, void *x)
{
    if (x == NULL)
        return;
    if (p->n >= p->cap) {
        free(x);
        return;
    }
    *(void **)x = p->head;
    p->head = x;
    p->n++;
}

/* Free the spare blocks (the pool can be used again). */
static inline void ta_pool_drain(struct ta_pool *p)
{
    while (p->head != NULL) {
        void *x = p->head;
        p->head = *(void **)x;
        free(x);
    }
    p->n = 0;
}

#endif
