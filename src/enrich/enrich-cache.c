/*
 * Binary cache of the geolocation lookup tables, so that ta_geo_open can
 * map the tables built by an earlier process instead of rebuilding them
 * from the databases (see enrich.h "Cache").
 *
 * File layout, in the writing host's byte order (the header records it):
 *   header (struct hdr): magic, format version, byte-order mark, sizes,
 *     file size, checksum of everything after the header, counts, and a
 *     table of sections (offset, length), each 16-byte aligned:
 *   FP     fingerprint text of the sources and options the tables came from
 *   INFO   provenance of the two databases (ta_geo_info)
 *   S4 RIDX4 U4   IPv4 range starts, answer index per range, answers
 *   S6 RIDX6 U6   the same for IPv6 (starts are 128-bit)
 *   POOL   AS names, NUL-terminated, offset 0 = ""
 * The file is untrusted input: ta__geo_cache_parse checks everything that
 * a lookup would rely on, so a corrupt file is rejected, never used.
 */
#include "enrich/enrich-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threatatlas/enrich.h"

#include "common/hash64.h"

#include "common/banned.h"

#define MAGIC           "TAGEOTB\0"
#define VERSION         1u
#define BYTE_ORDER_MARK 0x01020304u
#define ALIGN           16u

enum { S_FP, S_INFO, S_S4, S_RIDX4, S_U4, S_S6, S_RIDX6, S_U6, S_POOL, S__COUNT };

struct sec {
    uint64_t off, len;
};

struct hdr {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;
    uint32_t rec_size;
    uint32_t flags; /* bit 0: map_6to4 */
    uint64_t file_size;
    uint64_t checksum; /* of bytes [sizeof(struct hdr), file_size) */
    uint64_t n4, nu4, n6, nu6;
    uint64_t n_overrides;
    struct sec sec[S__COUNT];
};

/* ---- reading ---- */

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- parsing ---- */

/* The section's bytes, if it lies inside the file and is aligned. */
static bool section(const uint8_t *buf, size_t len, const struct sec *s, uint64_t want_len,
                    const uint8_t **out)
{
    if (s->off < sizeof(struct hdr) || s->off % ALIGN != 0 || s->off > len ||
        s->len > len - s->off || s->len != want_len)
        return false;
    *out = buf + s->off;
    return true;
}

/* A NUL-terminated string of at most left bytes at *p. */
static bool take_str(const uint8_t **p, size_t *left, const char **out)
{
    const uint8_t *nul = memchr(*p, '\0', *left);
    if (nul == NULL)
        return false;
    *out = (const char *)*p;
    size_t n = (size_t)(nul - *p) + 1;
    *p += n;
    *left -= n;
    return true;
}

static bool take_u64(const uint8_t **p, size_t *left, uint64_t *out)
{
    if (*left < 8)
        return false;
    *out = rd64(*p);
    *p += 8;
    *left -= 8;
    return true;
}

static bool parse_info(const uint8_t *p, size_t left, struct ta__geo_cache_info info[2])
{
    for (int i = 0; i < 2; i++) {
        struct ta__geo_cache_info *d = &info[i];
        uint64_t used;
        if (!take_u64(&p, &left, &used) || used > 1 || !take_u64(&p, &left, &d->epoch) ||
            !take_u64(&p, &left, &d->records) || !take_u64(&p, &left, &d->malformed) ||
            !take_str(&p, &left, &d->path) || !take_str(&p, &left, &d->format) ||
            !take_str(&p, &left, &d->dbtype) || !take_str(&p, &left, &d->pkg) ||
            !take_str(&p, &left, &d->pkgver))
            return false;
        d->used = used == 1;
        /* Formats are static strings in the library: accept only those. */
        if (strcmp(d->format, "mmdb") == 0)
            d->format = "mmdb";
        else if (strcmp(d->format, "csv") == 0)
            d->format = "csv";
        else if (d->format[0] == '\0' && !d->used)
            d->format = "";
        else
            return false;
    }
    return left == 0;
}

static bool rec_ok(const struct ta__geo_rec *r, size_t pool_len)
{
    unsigned src = r->flags >> TA__GEO_F_SRC_SHIFT;
    return r->name < pool_len && r->reason < TA_GEO_REASON__COUNT && src < TA_GEO_SRC__COUNT;
}

static bool table_ok(const struct ta__geo_cache_table *t, bool v4, size_t pool_len)
{
    if (t->n == 0 || t->nu == 0 || t->n > UINT32_MAX || t->nu > UINT32_MAX)
        return false;
    /* Lookups need the starts strictly increasing from 0. */
    if (v4) {
        if (t->s4[0] != 0)
            return false;
        for (size_t i = 1; i < t->n; i++)
            if (t->s4[i] <= t->s4[i - 1])
                return false;
    } else {
        if (t->s6[0] != 0)
            return false;
        for (size_t i = 1; i < t->n; i++)
            if (t->s6[i] <= t->s6[i - 1])
                return false;
    }
    for (size_t i = 0; i < t->n; i++)
        if (t->ridx[i] >= t->nu)
            return false;
    for (size_t i = 0; i < t->nu; i++)
        if (!rec_ok(&t->u[i], pool_len))
            return false;
    return true;
}

enum ta__geo_cache_status ta__geo_cache_parse(const uint8_t *buf, size_t len, const char *fp,
                                              size_t fplen, struct ta__geo_cache *out)
{
    memset(out, 0, sizeof(*out));
    struct hdr h;
    if (len < sizeof(h))
        return TA__GEO_CACHE_CORRUPT;
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.magic, MAGIC, sizeof(h.magic)) != 0)
        return TA__GEO_CACHE_CORRUPT;
    /* Another version or byte order: a well-formed file for someone else. */
    if (h.version != VERSION || h.byte_order != BYTE_ORDER_MARK ||
        h.rec_size != sizeof(struct ta__geo_rec))
        return TA__GEO_CACHE_STALE;
    if (h.file_size != len || ta_hash64_file(buf + sizeof(h), len - sizeof(h)) != h.checksum)
        return TA__GEO_CACHE_CORRUPT;
    const uint8_t *p[S__COUNT];
    if (!section(buf, len, &h.sec[S_FP], h.sec[S_FP].len, &p[S_FP]) ||
        !section(buf, len, &h.sec[S_INFO], h.sec[S_INFO].len, &p[S_INFO]) ||
        !section(buf, len, &h.sec[S_POOL], h.sec[S_POOL].len, &p[S_POOL]))
        return TA__GEO_CACHE_CORRUPT;
    if (h.sec[S_FP].len != fplen || memcmp(p[S_FP], fp, fplen) != 0)
        return TA__GEO_CACHE_STALE;
    /* Counts bounded by the file size before any multiplication. */
    if (h.n4 > len || h.nu4 > len || h.n6 > len || h.nu6 > len)
        return TA__GEO_CACHE_CORRUPT;
    const uint64_t rs = sizeof(struct ta__geo_rec);
    if (!section(buf, len, &h.sec[S_S4], h.n4 * 4, &p[S_S4]) ||
        !section(buf, len, &h.sec[S_RIDX4], h.n4 * 4, &p[S_RIDX4]) ||
        !section(buf, len, &h.sec[S_U4], h.nu4 * rs, &p[S_U4]) ||
        !section(buf, len, &h.sec[S_S6], h.n6 * 16, &p[S_S6]) ||
        !section(buf, len, &h.sec[S_RIDX6], h.n6 * 4, &p[S_RIDX6]) ||
        !section(buf, len, &h.sec[S_U6], h.nu6 * rs, &p[S_U6]))
        return TA__GEO_CACHE_CORRUPT;
    /* buf is page-aligned (mmap) or malloc'd; offsets are 16-aligned. */
    if ((uintptr_t)buf % ALIGN != 0)
        return TA__GEO_CACHE_CORRUPT;
    out->pool = (const char *)p[S_POOL];
    out->pool_len = (size_t)h.sec[S_POOL].len;
    if (out->pool_len == 0 || out->pool[0] != '\0' || out->pool[out->pool_len - 1] != '\0')
        return TA__GEO_CACHE_CORRUPT;
    out->t4 = (struct ta__geo_cache_table){.n = (size_t)h.n4,
                                           .nu = (size_t)h.nu4,
                                           .s4 = (const uint32_t *)(const void *)p[S_S4],
                                           .ridx = (const uint32_t *)(const void *)p[S_RIDX4],
                                           .u = (const struct ta__geo_rec *)(const void *)p[S_U4]};
    out->t6 = (struct ta__geo_cache_table){.n = (size_t)h.n6,
                                           .nu = (size_t)h.nu6,
                                           .s6 = (const ta__u128 *)(const void *)p[S_S6],
                                           .ridx = (const uint32_t *)(const void *)p[S_RIDX6],
                                           .u = (const struct ta__geo_rec *)(const void *)p[S_U6]};
    if (!table_ok(&out->t4, true, out->pool_len) || !table_ok(&out->t6, false, out->pool_len) ||
        !parse_info(p[S_INFO], (size_t)h.sec[S_INFO].len, out->info) || (h.flags & ~1u) != 0)
        return TA__GEO_CACHE_CORRUPT;
    out->map_6to4 = (h.flags & 1u) != 0;
    out->n_overrides = h.n_overrides;
    return TA__GEO_CACHE_VALID;
}

void ta__geo_cache_seal(uint8_t *buf, size_t len)
{
    struct hdr h;
    if (len < sizeof(h))
        return;
    memcpy(&h, buf, sizeof(h));
    h.file_size = len;
    h.checksum = ta_hash64_file(buf + sizeof(h), len - sizeof(h));
    memcpy(buf, &h, sizeof(h));
}

/* ---- writing ---- */

struct out {
    uint8_t *buf;
    size_t len, cap;
};

static bool put(struct out *o, const void *p, size_t n)
{
    if (o->len + n > o->cap) {
        size_t nc = o->cap ? o->cap : 1u << 16;
        while (o->len + n > nc)
            nc *= 2;
        uint8_t *nb = realloc(o->buf, nc);
        if (nb == NULL)
            return false;
        o->buf = nb;
        o->cap = nc;
    }
    if (n > 0)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
    return true;
}

static bool put_u64(struct out *o, uint64_t v)
{
    return put(o, &v, 8);
}

static bool put_str(struct out *o, const char *s)
{
    return put(o, s ? s : "", strlen(s ? s : "") + 1);
}

/* Append a 16-aligned section. */
static bool put_sec(struct out *o, struct sec *s, const void *p, size_t n)
{
    static const uint8_t zero[ALIGN];
    if (!put(o, zero, (ALIGN - o->len % ALIGN) % ALIGN))
        return false;
    s->off = o->len;
    s->len = n;
    return put(o, p, n);
}

static bool serialize(struct out *o, const struct ta__geo_cache *c, const char *fp, size_t fplen)
{
    struct hdr h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, sizeof(h.magic));
    h.version = VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.rec_size = sizeof(struct ta__geo_rec);
    h.flags = c->map_6to4 ? 1u : 0u;
    h.n4 = c->t4.n;
    h.nu4 = c->t4.nu;
    h.n6 = c->t6.n;
    h.nu6 = c->t6.nu;
    h.n_overrides = c->n_overrides;
    struct out info = {0};
    bool ok = put(o, &h, sizeof(h));
    for (int i = 0; i < 2 && ok; i++) {
        const struct ta__geo_cache_info *d = &c->info[i];
        ok = put_u64(&info, d->used ? 1 : 0) && put_u64(&info, d->epoch) &&
             put_u64(&info, d->records) && put_u64(&info, d->malformed) &&
             put_str(&info, d->path) && put_str(&info, d->format) && put_str(&info, d->dbtype) &&
             put_str(&info, d->pkg) && put_str(&info, d->pkgver);
    }
    const size_t rs = sizeof(struct ta__geo_rec);
    ok = ok && put_sec(o, &h.sec[S_FP], fp, fplen) &&
         put_sec(o, &h.sec[S_INFO], info.buf, info.len) &&
         put_sec(o, &h.sec[S_S4], c->t4.s4, c->t4.n * 4) &&
         put_sec(o, &h.sec[S_RIDX4], c->t4.ridx, c->t4.n * 4) &&
         put_sec(o, &h.sec[S_U4], c->t4.u, c->t4.nu * rs) &&
         put_sec(o, &h.sec[S_S6], c->t6.s6, c->t6.n * 16) &&
         put_sec(o, &h.sec[S_RIDX6], c->t6.ridx, c->t6.n * 4) &&
         put_sec(o, &h.sec[S_U6], c->t6.u, c->t6.nu * rs) &&
         put_sec(o, &h.sec[S_POOL], c->pool, c->pool_len);
    free(info.buf);
    if (!ok)
        return false;
    h.file_size = o->len;
    h.checksum = ta_hash64_file(o->buf + sizeof(h), o->len - sizeof(h));
    memcpy(o->buf, &h, sizeof(h));
    return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

ta_err ta__geo_cache_write(const char *dir, const char *name, const struct ta__geo_cache *c,
                           const char *fp, size_t fplen)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    int n1 = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
    int n2 = snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    if (n1 < 0 || (size_t)n1 >= sizeof(tmp) || n2 < 0 || (size_t)n2 >= sizeof(dst))
        return TA_ERR_ARG;
    struct out o = {0};
    if (!serialize(&o, c, fp, fplen)) {
        free(o.buf);
        return TA_ERR_NOMEM;
    }
    ta_err err = TA_ERR_IO;
    int fd = mkstemp(tmp);
    if (fd < 0)
        goto out_free;
    /* Readable by whoever can read the data it was built from. */
    bool ok = fchmod(fd, 0644) == 0 && write_all(fd, o.buf, o.len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, dst) != 0) {
        unlink(tmp);
        goto out_free;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    err = TA_OK;
out_free:
    free(o.buf);
    return err;
}

/* ---- fingerprint ---- */

void ta__geo_fp_add(struct ta__geo_fp *f, const char *fmt, ...)
{
    if (f->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = f->cap - f->len;
        int n = vsnprintf(f->buf ? f->buf + f->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            f->oom = true;
            return;
        }
        if ((size_t)n < room) {
            f->len += (size_t)n;
            return;
        }
        size_t nc = f->cap ? f->cap * 2 : 1024;
        while (nc <= f->len + (size_t)n)
            nc *= 2;
        char *nb = realloc(f->buf, nc);
        if (nb == NULL) {
            f->oom = true;
            return;
        }
        f->buf = nb;
        f->cap = nc;
    }
}

void ta__geo_fp_file(struct ta__geo_fp *f, const char *tag, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        ta__geo_fp_add(f, "%s %s absent\n", tag, path);
        return;
    }
    ta__geo_fp_add(f, "%s %s %llu %lld.%09ld %lld.%09ld %llu\n", tag, path,
                   (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
                   (long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, (long)st.st_ctim.tv_nsec,
                   (unsigned long long)st.st_ino);
}

void ta__geo_fp_release(struct ta__geo_fp *f)
{
    free(f->buf);
    memset(f, 0, sizeof(*f));
}
