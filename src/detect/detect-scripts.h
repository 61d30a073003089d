/*
 * Per-(server, script) request profiles for webshells seen without their
 * bodies (internal to the detectors). A server log shows, per request, only
 * the method, the client, the status and the sizes; a planted webshell
 * shows there as a script that is only ever POSTed to, by one or a few
 * operators, answering with sizes of a constant framing. The table is
 * bounded (LRU, evictions counted); verdicts are made at the end of the
 * input, when the counts no longer depend on the order of the lines.
 */
#ifndef TA_DETECT_SCRIPTS_H
#define TA_DETECT_SCRIPTS_H

#include "threatatlas/common.h"

#include "detect/detect-cache.h"

#define TA__SCRIPT_HOST    128
#define TA__SCRIPT_PATH    256
#define TA__SCRIPT_CLIENTS 4 /* upper bound of max_clients */

struct ta__script_opts {
    uint32_t max_scripts; /* profiles kept (LRU) */
    uint32_t min_posts;   /* answered POSTs needed for a verdict */
    uint32_t max_clients; /* distinct client addresses allowed (at most TA__SCRIPT_CLIENTS) */
    uint32_t size_spread; /* answer sizes (or answer minus request) within this many bytes */
};

struct ta__script_client {
    struct ta_addr ip;
    uint16_t port;     /* of the latest request */
    uint64_t requests; /* requests from this client */
    ta_time_us first, last;
    uint64_t last_flow; /* flow of the latest request (the smallest id on a tie) */
};

struct ta__script {
    struct ta_addr server;
    uint16_t port;
    char host[TA__SCRIPT_HOST];
    char path[TA__SCRIPT_PATH];
    uint64_t posts, gets, others;
    uint64_t answered; /* POSTs answered 2xx: the sizes below are theirs */
    uint64_t resp_min, resp_max;
    int64_t delta_min, delta_max; /* answer size minus request size */
    uint32_t nclients;
    bool many_clients; /* more than max_clients addresses (clients[] no longer grows) */
    bool explained;    /* a webshell event by URL or content already names the script */
    bool reported;
    struct ta__script_client clients[TA__SCRIPT_CLIENTS];
};

/* Why a profile is, or is not, a webshell by behaviour. */
enum ta__script_rule {
    TA__SCRIPT_SUSPECT = 0,
    TA__SCRIPT_GET,          /* it was requested with GET (or HEAD) at least once */
    TA__SCRIPT_OTHER,        /* another method (PUT, OPTIONS...) was used */
    TA__SCRIPT_FEW_POSTS,    /* fewer than min_posts answered POSTs */
    TA__SCRIPT_MANY_CLIENTS, /* more than max_clients client addresses */
    TA__SCRIPT_SIZES,        /* the answer sizes have no constant framing */
    TA__SCRIPT_EXPLAINED,    /* already reported by URL or content */
};

/* One request, as the profile sees it. */
struct ta__script_req {
    const struct ta_addr *client, *server;
    uint16_t client_port, server_port;
    const char *host; /* lower case, without port; "" when absent */
    const char *url;  /* path (query ignored) */
    const char *method;
    uint16_t status;
    bool have_resp;
    uint64_t req_size, resp_size;
    ta_time_us ts;
    uint64_t flow_id;
};

/* true when the path's last segment names a server-side script (.php, .jsp, .aspx...). */
bool ta__script_path(const char *url);

struct ta__scripts {
    struct ta__script_opts o;
    struct ta__cache c;
};

ta_err ta__scripts_init(struct ta__scripts *s, const struct ta__script_opts *o);
void ta__scripts_release(struct ta__scripts *s);
/* Record one request to a script path; mark it explained when `explained`. */
void ta__scripts_add(struct ta__scripts *s, const struct ta__script_req *r, bool explained);
enum ta__script_rule ta__script_verdict(const struct ta__script *p,
                                        const struct ta__script_opts *o);
const char *ta__script_rule_name(enum ta__script_rule r);

/*
 * Every suspect profile not reported before, in (server, port, host, path)
 * order, marked reported. TA_ERR_NOMEM when the sort buffer cannot be had.
 */
typedef void (*ta__script_fn)(void *ud, const struct ta__script *p);
ta_err ta__scripts_report(struct ta__scripts *s, ta__script_fn fn, void *ud);

#endif
