/*
 * Store (stage 7): the writer lock. One process writes a database at a time
 * (analyze, intel import, runs delete); flock on "<db>.lock" is released by
 * the kernel when the holder ends, kill -9 included, so a crash never leaves
 * a stale lock. The file holds the holder's description for waiters. It is
 * a separate file, not the database itself: SQLite's POSIX locks on the
 * database would be dropped by closing any other descriptor of it.
 *
 * A ClickHouse store (a clickhouse:// URL) has no file to lock and takes many
 * writers at once: its handle is a lock that holds nothing, and the backend
 * orders the writers' batches itself (store-ch.c).
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/banned.h"

struct ta_store_lock {
    int fd;
    bool db_existed; /* whether the database was there when the lock was taken */
    char *db_path;
};

static void read_holder(int fd, char *buf, size_t cap)
{
    ssize_t n = pread(fd, buf, cap - 1, 0);
    if (n <= 0) {
        snprintf(buf, cap, "another writer");
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (buf[0] == '\0')
        snprintf(buf, cap, "another writer");
}

/* Whether fd is the file now at path. */
static bool same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

void ta_store_lock_set_holder(struct ta_store_lock *l, const char *holder)
{
    if (l == NULL || l->fd < 0)
        return;
    size_t n = strlen(holder);
    /* Waiters read it without the lock; a torn read only shows a partial name. */
    if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, holder, n, 0) != (ssize_t)n ||
        pwrite(l->fd, "\n", 1, (off_t)n) != 1)
        return;
}

ta_err ta_store_lock_take(const char *db_path, const char *holder, int wait_s, ta_store_wait_cb cb,
                          void *ctx, struct ta_store_lock **out, char errbuf[TA_STORE_ERRLEN])
{
    *out = NULL;
    errbuf[0] = '\0';
    if (ta_store_is_clickhouse(db_path)) {
        struct ta_store_lock *nl = malloc(sizeof(*nl));
        if (nl == NULL) {
            snprintf(errbuf, TA_STORE_ERRLEN, "out of memory");
            return TA_ERR_NOMEM;
        }
        nl->fd = -1;
        nl->db_existed = true;
        nl->db_path = NULL;
        *out = nl;
        return TA_OK;
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", db_path) >= sizeof(path)) {
        snprintf(errbuf, TA_STORE_ERRLEN, "database path too long");
        return TA_ERR_ARG;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errbuf, TA_STORE_ERRLEN, "cannot open %.200s: %s", path, strerror(errno));
        return TA_ERR_IO;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double last_note = -1;
    char who[200];
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            /* A failed first writer removes the lock file it created
             * (ta_store_lock_release_undo): a lock won on that unlinked file
             * would exclude nobody who opens the path afresh, so it is
             * taken again on the file now at the path. */
            if (same_file(fd, path))
                break;
            close(fd);
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) {
                snprintf(errbuf, TA_STORE_ERRLEN, "cannot open %.200s: %s", path, strerror(errno));
                return TA_ERR_IO;
            }
            continue;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(errbuf, TA_STORE_ERRLEN, "cannot lock %.200s: %s", path, strerror(errno));
            close(fd);
            return TA_ERR_IO;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        read_holder(fd, who, sizeof(who));
        if (wait_s >= 0 && t >= (double)wait_s) {
            snprintf(errbuf, TA_STORE_ERRLEN, "database %.80s is being written by %.120s", db_path,
                     who);
            close(fd);
            return TA_ERR_LIMIT;
        }
        if (cb != NULL && (last_note < 0 || t - last_note >= 60.0)) {
            cb(ctx, who);
            last_note = t;
        }
        struct timespec d = {0, 200 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    struct ta_store_lock *l = malloc(sizeof(*l));
    char *dp = strdup(db_path);
    if (l == NULL || dp == NULL) {
        close(fd);
        free(l);
        free(dp);
        snprintf(errbuf, TA_STORE_ERRLEN, "out of memory");
        return TA_ERR_NOMEM;
    }
    l->fd = fd;
    l->db_path = dp;
    /* Every writer holds the lock, so what it sees now stays true until it is done. */
    l->db_existed = access(db_path, F_OK) == 0;
    ta_store_lock_set_holder(l, holder ? holder : "another writer");
    *out = l;
    return TA_OK;
}

void ta_store_lock_release(struct ta_store_lock *l)
{
    if (l == NULL)
        return;
    if (l->fd < 0) {
        free(l);
        return;
    }
    if (ftruncate(l->fd, 0) != 0) {
        /* Only the description is stale; the lock goes with the descriptor. */
    }
    close(l->fd);
    free(l->db_path);
    free(l);
}

void ta_store_lock_release_undo(struct ta_store_lock *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0 && !l->db_existed) {
        /* The lock file goes first, still locked, so that a waiter takes the
         * lock again on a new file (see ta_store_lock_take). */
        static const char *const suffix[] = {".lock", "", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
            char p[4096];
            if ((size_t)snprintf(p, sizeof(p), "%s%s", l->db_path, suffix[i]) < sizeof(p))
                unlink(p);
        }
    }
    ta_store_lock_release(l);
}
