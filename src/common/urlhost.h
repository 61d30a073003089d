/*
 * The host of a URL (internal): one reading of "scheme://user@host:port/..."
 * for every part of the program that needs the host of a URL (the URL
 * normaliser of intel, the phishing-URL index of detect, an HTTP request's
 * absolute target), so they agree on the edge cases:
 *
 *   - the authority starts after "scheme://" (scheme: a letter, then letters,
 *     digits, '+', '-', '.'; at most 16), after a leading "//", or, with
 *     neither, at the start ("host:8080/x");
 *   - it ends at the first '/', '\' (which browsers read as '/'), '?' or '#';
 *   - userinfo is everything up to its last '@', and is not the host;
 *   - an IPv6 literal is the bracketed "[...]", brackets kept; after ']' only
 *     ":port" or the end may follow;
 *   - otherwise the port starts at the first ':'; it is digits only, at most
 *     65535; an empty port ("host:") is no port;
 *   - trailing dots of the host are dropped ("example.com." is
 *     "example.com");
 *   - an empty host, or one longer than TA_URL_HOST_MAX, is no host.
 *
 * Case is left as it is (the host is a view into the URL): callers that
 * compare hosts lowercase them as they copy them, or call ta_url_host_lower.
 * Low-level primitive: uses nothing but the C library.
 */
#ifndef TA_COMMON_URLHOST_H
#define TA_COMMON_URLHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest host name accepted (RFC 1035 names are at most 253 bytes, 255
 * with the dots of a fully qualified form). */
#define TA_URL_HOST_MAX 255

struct ta_url_host {
    size_t scheme_len; /* bytes of the scheme before "://"; 0: none */
    const char *host;  /* borrowed from the URL; an IPv6 literal keeps its brackets */
    size_t len;        /* host bytes, 1..TA_URL_HOST_MAX */
    int32_t port;      /* 0..65535, or -1 when there is none */
    size_t end;        /* offset where the authority ends: path, query, fragment or len */
};

/*
 * Splits url[0..len) as above. Returns false, with *out unspecified, when
 * the URL has no usable host (empty, too long, unclosed bracket, bad port).
 */
bool ta_url_host(const char *url, size_t len, struct ta_url_host *out);

/*
 * True if h[0..n) holds only characters a host name or address may have:
 * letters, digits, '-', '.', '_', bytes >= 0x80 (unencoded international
 * names), and inside brackets hexadecimal digits, ':' and '.'.
 */
bool ta_url_host_chars_ok(const char *h, size_t n);

/* Copies h[0..n) lowercased (ASCII) to out, which holds n bytes. */
void ta_url_host_lower(const char *h, size_t n, char *out);

#endif
