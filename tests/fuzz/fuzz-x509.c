/*
 * Fuzz target: the X.509 DER reader alone (the TLS target reaches it only
 * through a whole handshake). Byte 0 is the subjectAltName cap (0-31); the
 * rest is the certificate.
 *
 * Checked: the same bytes give the same result; at most cap names are kept,
 * each 1-255 printable bytes, NUL-terminated at its length and stored in the
 * caller's array; a parsed certificate has a 59-character fingerprint.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/proto-int.h"
#include "threatatlas/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ta_tls_record *r, const struct ta_str *san, uint32_t cap, bool ok)
{
    if (r->n_san_dns > cap || (r->n_san_dns > 0 && r->san_dns != san))
        abort();
    for (uint32_t i = 0; i < r->n_san_dns; i++) {
        const struct ta_str *s = &r->san_dns[i];
        if (s->ptr == NULL || s->len == 0 || s->len > 255 || strlen(s->ptr) != s->len)
            abort();
        for (uint32_t k = 0; k < s->len; k++)
            if ((uint8_t)s->ptr[k] <= 0x20 || (uint8_t)s->ptr[k] >= 0x7f)
                abort();
    }
    if (ok && (r->fingerprint.ptr == NULL || r->fingerprint.len != 59))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ta_proto *p;
    if (p == NULL && ta_proto_new(NULL, &p) != TA_OK)
        abort();
    if (size < 1)
        return 0;
    uint32_t cap = data[0] & 31u;
    if (cap > TA_TLS_MAX_SAN)
        cap = TA_TLS_MAX_SAN;
    /* An exact-size copy, so ASan sees any read past the certificate. */
    size_t n = size - 1;
    uint8_t *der = malloc(n ? n : 1);
    if (der == NULL)
        return 0;
    memcpy(der, data + 1, n);
    struct ta__arena a;
    ta__arena_init(&a, 65536);
    struct ta_str san[TA_TLS_MAX_SAN], san2[TA_TLS_MAX_SAN];
    struct ta_tls_record r, r2;
    memset(&r, 0, sizeof(r));
    memset(&r2, 0, sizeof(r2));
    bool ok = ta__x509_parse(p, &a, der, n, &r, san, cap);
    bool ok2 = ta__x509_parse(p, &a, der, n, &r2, san2, cap);
    check(&r, san, cap, ok);
    if (ok != ok2 || r.n_san_dns != r2.n_san_dns)
        abort();
    for (uint32_t i = 0; i < r.n_san_dns; i++)
        if (strcmp(san[i].ptr, san2[i].ptr) != 0)
            abort();
    if (ok && strcmp(r.fingerprint.ptr, r2.fingerprint.ptr) != 0)
        abort();
    ta__arena_release(&a);
    free(der);
    return 0;
}
