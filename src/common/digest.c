/*
 * Message digests through OpenSSL's libcrypto (see threatatlas/hash.h).
 * Common module; the EVP interface picks the processor's fastest code
 * (SHA extensions, AVX2) by itself.
 */
#include "threatatlas/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/base64.h"

#include "common/banned.h"

ta_err ta_sha256_init(struct ta_sha256 *s)
{
    s->nbytes = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    s->ctx = c;
    return c != NULL ? TA_OK : TA_ERR_NOMEM;
}

void ta_sha256_update(struct ta_sha256 *s, const void *data, size_t len)
{
    s->nbytes += len;
    if (s->ctx != NULL && len > 0)
        (void)EVP_DigestUpdate(s->ctx, data, len);
}

ta_err ta_sha256_final(struct ta_sha256 *s, uint8_t out[TA_SHA256_LEN])
{
    unsigned int n = 0;
    bool ok = s->ctx != NULL && EVP_DigestFinal_ex(s->ctx, out, &n) == 1 && n == TA_SHA256_LEN;
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    if (!ok) {
        memset(out, 0, TA_SHA256_LEN);
        return TA_ERR_NOMEM;
    }
    return TA_OK;
}

/*
 * The algorithms fetched once: with OpenSSL 3 an EVP_md5() handed to
 * EVP_Digest is looked up in the provider on every call, which costs more
 * than hashing a JA3 string. Fetched objects live until exit.
 */
static EVP_MD *md_md5, *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Only an allocation failure inside libcrypto can fail these fixed algorithms. */
static void oneshot(EVP_MD *const *md, const EVP_MD *fallback, const void *data, size_t len,
                    uint8_t *out, size_t outlen)
{
    (void)pthread_once(&md_once, md_fetch);
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, *md != NULL ? *md : fallback, NULL) != 1 || n != outlen)
        memset(out, 0, outlen);
}

void ta_sha256(const void *data, size_t len, uint8_t out[TA_SHA256_LEN])
{
    oneshot(&md_sha256, EVP_sha256(), data, len, out, TA_SHA256_LEN);
}

void ta_sha1(const void *data, size_t len, uint8_t out[TA_SHA1_LEN])
{
    oneshot(&md_sha1, EVP_sha1(), data, len, out, TA_SHA1_LEN);
}

void ta_md5(const void *data, size_t len, uint8_t out[TA_MD5_LEN])
{
    oneshot(&md_md5, EVP_md5(), data, len, out, TA_MD5_LEN);
}

char *ta_sha256_hex(const uint8_t d[TA_SHA256_LEN], char hex[TA_SHA256_HEXLEN])
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < TA_SHA256_LEN; i++) {
        hex[2 * i] = x[d[i] >> 4];
        hex[2 * i + 1] = x[d[i] & 15];
    }
    hex[2 * TA_SHA256_LEN] = '\0';
    return hex;
}

/* Feed a whole file to ctx: a regular file through a read-only mapping (captures are
 * tens of MB to GB; no copy into a buffer), anything else by reading. */
static ta_err digest_file(const char *path, EVP_MD_CTX *c, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TA_ERR_IO;
    uint64_t total = 0;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uint64_t)sb.st_size <= SIZE_MAX) {
        size_t len = (size_t)sb.st_size;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, len, MADV_SEQUENTIAL);
            (void)EVP_DigestUpdate(c, m, len);
            munmap(m, len);
            close(fd);
            *size = len;
            return TA_OK;
        }
    }
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return TA_ERR_IO;
        }
        (void)EVP_DigestUpdate(c, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    *size = total;
    return TA_OK;
}

static ta_err file_digest(const char *path, const EVP_MD *md, uint8_t *out, size_t outlen,
                          uint64_t *size)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL)
        return TA_ERR_NOMEM;
    ta_err e = TA_ERR_NOMEM;
    uint64_t sz = 0;
    unsigned int n = 0;
    if (EVP_DigestInit_ex(c, md, NULL) == 1) {
        e = digest_file(path, c, &sz);
        if (e == TA_OK && (EVP_DigestFinal_ex(c, out, &n) != 1 || n != outlen))
            e = TA_ERR_NOMEM;
    }
    int saved = errno;
    EVP_MD_CTX_free(c);
    errno = saved;
    if (e == TA_OK && size != NULL)
        *size = sz;
    return e;
}

ta_err ta_sha256_file(const char *path, uint8_t out[TA_SHA256_LEN], uint64_t *size)
{
    return file_digest(path, EVP_sha256(), out, TA_SHA256_LEN, size);
}

ta_err ta_sha512_file_b64(const char *path, char *out, size_t outlen)
{
    uint8_t d[TA_SHA512_LEN];
    if (outlen < TA_BASE64_ENCODED_LEN(TA_SHA512_LEN))
        return TA_ERR_ARG;
    ta_err e = file_digest(path, EVP_sha512(), d, sizeof(d), NULL);
    if (e != TA_OK)
        return e;
    ta_base64_encode(d, sizeof(d), out, outlen);
    return TA_OK;
}
