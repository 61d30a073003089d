/*
 * Merge by time with a watermark (internal to src/pipeline): N producer
 * threads, each making items in the order of its own clock, which never
 * goes back; one consumer that takes them in (time, producer, order made)
 * order, each only once no producer can still make an earlier one.
 *
 * A producer hands over a list of items (in its order) and then publishes
 * its clock: everything it makes later is stamped at or after it. The
 * consumer takes the lists and reads the watermark (the least published
 * clock) and pops, in order, the items at or before it. Items wait no
 * longer than the slowest producer's clock lags; past cap_bytes waiting,
 * the oldest are popped anyway (counted as early), so memory stays bounded
 * when one producer stalls. The unordered live worker set
 * (pipeline-live.c) is its user; the unit test test-merge.c its other.
 */
#ifndef THREATATLAS_PIPELINE_MERGE_H
#define THREATATLAS_PIPELINE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "threatatlas/common.h"

/* The head of an item; the producer embeds it first in its own allocation. */
struct ta__merge_item {
    struct ta__merge_item *next;
    uint64_t ts;  /* the producer's clock when it made the item */
    uint64_t sub; /* set by ta__merge_hand_over: the order made */
    size_t size;  /* bytes, counted against the cap */
};

/* A producer's clock when it has finished: it holds nothing back. */
#define TA__MERGE_DONE UINT64_MAX

struct ta__merge;

ta_err ta__merge_new(unsigned n, size_t cap_bytes, struct ta__merge **out);
/* Frees the merge and, through free_item, every item still in it; NULL ok. */
void ta__merge_free(struct ta__merge *m, void (*free_item)(struct ta__merge_item *));

/*
 * Producer src: append the list head..tail (NULL: nothing, only the clock
 * moves) and publish clock. Items must be stamped in non-decreasing order,
 * at or after the clock published before. Any thread, one per src.
 */
void ta__merge_hand_over(struct ta__merge *m, unsigned src, struct ta__merge_item *head,
                         struct ta__merge_item *tail, uint64_t clock);
/* Consumer: the least published clock (TA__MERGE_DONE when every producer is done). */
uint64_t ta__merge_mark(const struct ta__merge *m);
/* Whether producer src has published TA__MERGE_DONE. */
bool ta__merge_done(const struct ta__merge *m, unsigned src);
/*
 * Consumer: the next item in order if it is at or before the watermark
 * read by the last ta__merge_take (or the cap is passed), else NULL. The
 * caller owns the item popped.
 */
struct ta__merge_item *ta__merge_pop(struct ta__merge *m);
/* Consumer: take what was handed over and read the watermark (before the lists). */
void ta__merge_take(struct ta__merge *m);
/* Consumer: pop everything from now on, whatever the clocks (the end of the run). */
void ta__merge_drain(struct ta__merge *m);
/* Items popped before the watermark reached them (the cap was passed). */
uint64_t ta__merge_early(const struct ta__merge *m);

#endif
