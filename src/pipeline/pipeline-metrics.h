/*
 * The pipeline's metrics endpoint (internal to src/pipeline): a minimal HTTP
 * server on one TCP address that answers `GET /metrics` with the sensor's
 * counters in the Prometheus text exposition format. It is served from the
 * live capture's tick, on the capture's thread: never blocking (non-blocking
 * sockets), at most METRICS_CONNS clients at a time, each given 2 s and
 * 2 KiB to send its request line and headers. Uses only the C library.
 */
#ifndef THREATATLAS_PIPELINE_METRICS_H
#define THREATATLAS_PIPELINE_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "threatatlas/common.h"

struct ta__metrics;

/*
 * Listen on addr: "HOST:PORT" with an IPv4 literal or "[IPv6]:PORT".
 * TA_ERR_ARG (malformed address), TA_ERR_IO (cannot bind: in use, not an
 * address of this host); err says which.
 */
ta_err ta__metrics_open(const char *addr, struct ta__metrics **out, char *err, size_t errlen);
void ta__metrics_close(struct ta__metrics *m); /* NULL ok */

/* Writes the exposition text of the moment to f. */
typedef void (*ta__metrics_body_cb)(void *ud, FILE *f);

/* Accept, read and answer whatever is ready now; never waits. */
void ta__metrics_serve(struct ta__metrics *m, ta__metrics_body_cb body, void *ud);

/* What a request's bytes so far are (parsed from untrusted input). */
enum ta__metrics_req {
    TA_METRICS_REQ_MORE = 0,   /* the header is not complete yet */
    TA_METRICS_REQ_METRICS,    /* GET (or HEAD) /metrics: answer 200 */
    TA_METRICS_REQ_NOT_FOUND,  /* a GET or HEAD of another path: 404 */
    TA_METRICS_REQ_BAD_METHOD, /* another method: 405 */
    TA_METRICS_REQ_BAD,        /* not HTTP/1.x: 400 */
};
/* Classify buf[0..len) (not NUL-terminated); *head is set for HEAD. */
enum ta__metrics_req ta__metrics_request(const char *buf, size_t len, int *head);

#endif
