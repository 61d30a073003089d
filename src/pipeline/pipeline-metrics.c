/*
 * The metrics endpoint: see pipeline-metrics.h. One listening socket and a
 * few client slots, all non-blocking, polled from the live capture's tick;
 * each answer is built in memory and sent at once (a scrape is a few KiB,
 * well within a socket's send buffer), then the connection is closed.
 */
#include "pipeline/pipeline-metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/banned.h"

#define METRICS_CONNS   8
#define METRICS_REQ_MAX 2048
#define METRICS_WAIT_MS 2000

struct conn {
    int fd; /* -1: free */
    size_t len;
    uint64_t since_ms;
    char buf[METRICS_REQ_MAX];
};

struct ta__metrics {
    int fd;
    struct conn c[METRICS_CONNS];
};

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* "1.2.3.4:9109" or "[::1]:9109" into ss; false if malformed. */
static bool parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || colon[1] == '\0')
        return false;
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    bool v6 = addr[0] == '[';
    if (v6) {
        if (hl < 3 || addr[hl - 1] != ']')
            return false;
        h = addr + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(host))
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535)
        return false;
    memset(ss, 0, sizeof(*ss));
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *sl = sizeof(*s6);
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *sl = sizeof(*s4);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
}

ta_err ta__metrics_open(const char *addr, struct ta__metrics **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if (!parse_addr(addr, &ss, &sl)) {
        snprintf(err, errlen,
                 "--metrics: '%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9109, [::1]:9109)", addr);
        return TA_ERR_ARG;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "--metrics: cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return TA_ERR_IO;
    }
    struct ta__metrics *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return TA_ERR_NOMEM;
    }
    m->fd = fd;
    for (int i = 0; i < METRICS_CONNS; i++)
        m->c[i].fd = -1;
    *out = m;
    return TA_OK;
}

void ta__metrics_close(struct ta__metrics *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < METRICS_CONNS; i++)
        if (m->c[i].fd >= 0)
            close(m->c[i].fd);
    close(m->fd);
    free(m);
}

static bool prefix(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(p, lit, k) == 0;
}

enum ta__metrics_req ta__metrics_request(const char *buf, size_t len, int *head)
{
    *head = 0;
    /* The end of the header: an empty line (CRLF CRLF, or bare LF LF). */
    size_t end = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n') {
            end = i + 2;
            break;
        }
        if (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            end = i + 4;
            break;
        }
    }
    if (end == 0)
        return len >= METRICS_REQ_MAX ? TA_METRICS_REQ_BAD : TA_METRICS_REQ_MORE;
    /* The request line: METHOD SP TARGET SP HTTP/1.x */
    size_t eol = 0;
    while (eol < end && buf[eol] != '\r' && buf[eol] != '\n')
        eol++;
    size_t sp1 = 0;
    while (sp1 < eol && buf[sp1] != ' ')
        sp1++;
    size_t sp2 = sp1 + 1;
    while (sp2 < eol && buf[sp2] != ' ')
        sp2++;
    if (sp1 == 0 || sp1 >= eol || sp2 >= eol || sp2 == sp1 + 1 ||
        !prefix(buf + sp2 + 1, eol - sp2 - 1, "HTTP/1."))
        return TA_METRICS_REQ_BAD;
    bool get = sp1 == 3 && memcmp(buf, "GET", 3) == 0;
    *head = sp1 == 4 && memcmp(buf, "HEAD", 4) == 0;
    if (!get && !*head)
        return TA_METRICS_REQ_BAD_METHOD;
    const char *t = buf + sp1 + 1;
    size_t tl = sp2 - sp1 - 1;
    if (prefix(t, tl, "/metrics") && (tl == 8 || t[8] == '?'))
        return TA_METRICS_REQ_METRICS;
    return TA_METRICS_REQ_NOT_FOUND;
}

static void drop(struct conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void answer(struct conn *c, enum ta__metrics_req r, int head, ta__metrics_body_cb body,
                   void *ud)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (f == NULL) {
        drop(c);
        return;
    }
    const char *status = "200 OK";
    if (r == TA_METRICS_REQ_METRICS) {
        body(ud, f);
    } else if (r == TA_METRICS_REQ_NOT_FOUND) {
        status = "404 Not Found";
        fputs("only /metrics here\n", f);
    } else if (r == TA_METRICS_REQ_BAD_METHOD) {
        status = "405 Method Not Allowed";
        fputs("GET /metrics\n", f);
    } else {
        status = "400 Bad Request";
        fputs("bad request\n", f);
    }
    if (fclose(f) != 0) {
        free(text);
        drop(c);
        return;
    }
    char hdr[256];
    int hl = snprintf(hdr, sizeof(hdr),
                      "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, tlen);
    /* Both parts in one go; a client that does not read them gets what fits. */
    if (hl > 0 && send(c->fd, hdr, (size_t)hl, MSG_NOSIGNAL | MSG_DONTWAIT) == hl && !head)
        (void)send(c->fd, text, tlen, MSG_NOSIGNAL | MSG_DONTWAIT);
    free(text);
    drop(c);
}

void ta__metrics_serve(struct ta__metrics *m, ta__metrics_body_cb body, void *ud)
{
    uint64_t now = now_ms();
    for (;;) {
        int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        struct conn *slot = NULL;
        for (int i = 0; i < METRICS_CONNS && slot == NULL; i++)
            if (m->c[i].fd < 0)
                slot = &m->c[i];
        if (slot == NULL) {
            close(fd); /* busy: the client retries at its next scrape */
            continue;
        }
        slot->fd = fd;
        slot->len = 0;
        slot->since_ms = now;
    }
    for (int i = 0; i < METRICS_CONNS; i++) {
        struct conn *c = &m->c[i];
        if (c->fd < 0)
            continue;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop(c);
            continue;
        }
        if (n > 0)
            c->len += (size_t)n;
        int head = 0;
        enum ta__metrics_req r = ta__metrics_request(c->buf, c->len, &head);
        if (r != TA_METRICS_REQ_MORE)
            answer(c, r, head, body, ud);
        else if (now - c->since_ms > METRICS_WAIT_MS)
            drop(c);
    }
}
