/*
 * libcurl loaded at run time (internal). Commands that never talk HTTP do not
 * map it: with its thirty-odd dependencies (TLS, HTTP/2, LDAP, SSH ...) it
 * would add megabytes to the resident memory of every command, and the
 * sensor's memory budget is documented (bench/README.md). Its users (intel
 * fetch, the ClickHouse store) call it through this table. Low-level
 * primitive: uses nothing but the C library and the dynamic loader.
 */
#ifndef TA_COMMON_CURL_H
#define TA_COMMON_CURL_H

#include <curl/curl.h>
#include <stddef.h>

struct ta__curl {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

/* Load and initialise libcurl once (later calls return the same table);
 * NULL with err (one line) when it cannot be. Not thread-safe on the first
 * call, like curl_global_init. */
const struct ta__curl *ta__curl_load(char *err, size_t errlen);

#endif
