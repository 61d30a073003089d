/*
 * libcurl loaded at run time: see common/curl.h for why.
 */
#include "common/curl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/banned.h"

const struct ta__curl *ta__curl_load(char *err, size_t errlen)
{
    static struct ta__curl cu;
    static bool done, ok;
    static char why[256];
    if (!done) {
        done = true;
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        CURLcode (*global_init)(long) = NULL;
        if (h == NULL) {
            snprintf(why, sizeof(why), "cannot load libcurl (package libcurl4): %s", dlerror());
        } else {
            /* POSIX: a function pointer is read through its object representation. */
            struct {
                void **fn;
                const char *name;
            } syms[] = {
                {(void **)&global_init, "curl_global_init"},
                {(void **)&cu.easy_init, "curl_easy_init"},
                {(void **)&cu.easy_setopt, "curl_easy_setopt"},
                {(void **)&cu.easy_perform, "curl_easy_perform"},
                {(void **)&cu.easy_getinfo, "curl_easy_getinfo"},
                {(void **)&cu.easy_strerror, "curl_easy_strerror"},
                {(void **)&cu.easy_cleanup, "curl_easy_cleanup"},
                {(void **)&cu.easy_reset, "curl_easy_reset"},
                {(void **)&cu.slist_append, "curl_slist_append"},
                {(void **)&cu.slist_free_all, "curl_slist_free_all"},
            };
            ok = true;
            for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]) && ok; i++)
                if ((*syms[i].fn = dlsym(h, syms[i].name)) == NULL) {
                    snprintf(why, sizeof(why), "libcurl lacks %s", syms[i].name);
                    ok = false;
                }
            if (ok && global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                snprintf(why, sizeof(why), "libcurl could not be initialised");
                ok = false;
            }
        }
    }
    if (!ok) {
        snprintf(err, errlen, "%s", why);
        return NULL;
    }
    return &cu;
}
