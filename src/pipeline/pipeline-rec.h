/*
 * Deep copies of the app layer's records (proto.h: DNS, HTTP, TLS), so a
 * worker thread can hand what it observed to the thread that runs the
 * detector and the writers after the record's own memory is gone. A copy
 * is one contiguous block: the record, then every string, array and body
 * it points to, with the pointers aimed inside the block.
 *
 * Internal to the pipeline. A new record tag of proto.h gets its case here
 * too; a tag this file does not know cannot cross threads (size 0).
 */
#ifndef THREATATLAS_PIPELINE_REC_H
#define THREATATLAS_PIPELINE_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threatatlas/detect.h"

/*
 * Bytes the copy of rec (a record of tag type) takes; 0 for an unknown tag.
 * body_cap: the most bytes of each HTTP body that are copied (the copy's
 * req_body_kept and resp_body_kept say how many were), SIZE_MAX for all:
 * the reading thread's sinks may need only a body's first bytes.
 */
size_t ta__rec_size(uint32_t type, const void *rec, size_t body_cap);
/*
 * Copy rec into dst (ta__rec_size bytes for the same body_cap, aligned to
 * 8); returns the copy, which dst now holds with everything it points to.
 */
const void *ta__rec_copy(uint32_t type, const void *rec, void *dst, size_t body_cap);

/*
 * One record handed to the reading thread by a worker (both worker sets):
 * with verdicts, an HTTP transaction goes with the detector's content
 * verdicts, computed here on the worker, and with only the first
 * body_prefix bytes of its bodies (0: all), which is all the detector then
 * reads of them (ta_detect_http_body_prefix).
 */
struct ta__rec_out {
    struct ta_detect_http h;
    bool content;
    size_t cap, rec_size;
};
/* Plan it: the bytes it takes (8-aligned), 0 for a tag that cannot cross threads. */
size_t ta__rec_plan(struct ta__rec_out *o, uint32_t type, const void *rec, bool verdicts,
                    size_t body_prefix);
/* Make it in dst (the planned bytes): returns the copy; *content: the verdicts or NULL. */
const void *ta__rec_put(const struct ta__rec_out *o, uint32_t type, const void *rec, void *dst,
                        const struct ta_detect_http_content **content);

#endif
