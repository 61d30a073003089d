/*
 * Common helpers: error strings, address and time formatting, database file checks.
 */
#include "threatatlas/common.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "common/dbfile.h"

static const char *const err_names[TA_ERR__COUNT] = {
    [TA_OK] = "success",
    [TA_ERR_NOMEM] = "out of memory",
    [TA_ERR_IO] = "input/output error",
    [TA_ERR_FORMAT] = "unrecognised or malformed file format",
    [TA_ERR_ARG] = "invalid argument",
    [TA_ERR_NOTFOUND] = "not found",
    [TA_ERR_LIMIT] = "limit reached",
    [TA_ERR_DB] = "database error",
    [TA_ERR_TRUNCATED] = "input truncated",
    [TA_ERR_UNSUPPORTED] = "unsupported",
    [TA_ERR_INTERRUPTED] = "interrupted",
};

const char *ta_strerror(ta_err err)
{
    if ((unsigned)err >= TA_ERR__COUNT || err_names[err] == NULL)
        return "unknown error";
    return err_names[err];
}

void ta_addr_set_v4(struct ta_addr *a, const uint8_t v4[4])
{
    memset(a->b, 0, 10);
    a->b[10] = 0xff;
    a->b[11] = 0xff;
    memcpy(a->b + 12, v4, 4);
    a->family = 4;
}

void ta_addr_set_v6(struct ta_addr *a, const uint8_t v6[16])
{
    memcpy(a->b, v6, 16);
    a->family = 6;
}

bool ta_addr_parse(struct ta_addr *a, const char *s)
{
    uint8_t buf[16];
    if (inet_pton(AF_INET, s, buf) == 1) {
        ta_addr_set_v4(a, buf);
        return true;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        ta_addr_set_v6(a, buf);
        return true;
    }
    return false;
}

/* Dotted quad of v4 into buf (at least 16 bytes), as inet_ntop writes it. */
static void v4_format(const uint8_t v4[4], char *buf)
{
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        unsigned v = v4[i];
        if (v >= 100) {
            *p++ = (char)('0' + v / 100);
            v %= 100;
            *p++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *p++ = (char)('0' + v / 10);
        }
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

char *ta_addr_format(const struct ta_addr *a, char *buf, size_t len)
{
    const char *r = NULL;
    /* IPv4 is written by hand: inet_ntop goes through sprintf, a hot spot of EVE output. */
    if (a->family == 4 && len >= 16) {
        v4_format(a->b + 12, buf);
        return buf;
    }
    if (a->family == 4)
        r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
    else if (a->family == 6)
        r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
    if (r == NULL && len > 0)
        buf[0] = '\0';
    return buf;
}

int ta_addr_cmp(const struct ta_addr *a, const struct ta_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->b, b->b, 16);
}

char *ta_time_format(ta_time_us t, char *buf, size_t len)
{
    /*
     * Records come in bursts within one second: the date and time of the
     * last second formatted is kept (per thread), and only the microseconds
     * are written without printf.
     */
    static _Thread_local uint64_t cached_sec = UINT64_MAX;
    static _Thread_local char cached[20];
    uint64_t sec = t / 1000000u;
    unsigned usec = (unsigned)(t % 1000000u);
    if (sec != cached_sec) {
        time_t secs = (time_t)sec;
        struct tm tm;
        char full[TA_TS_STRLEN];
        if (gmtime_r(&secs, &tm) == NULL) {
            snprintf(buf, len, "1970-01-01T00:00:00.000000+0000");
            return buf;
        }
        if (snprintf(full, sizeof(full), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) != 19) {
            /* Years past 9999: not cached, written as before in one go. */
            snprintf(buf, len, "%s.%06u+0000", full, usec);
            return buf;
        }
        memcpy(cached, full, 20);
        cached_sec = sec;
    }
    char out[TA_TS_STRLEN];
    memcpy(out, cached, 19);
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    memcpy(out + 26, "+0000", 6);
    /* As snprintf would: truncated to len - 1 bytes and terminated. */
    if (len > 0) {
        size_t n = len - 1 < 31 ? len - 1 : 31;
        memcpy(buf, out, n);
        buf[n] = '\0';
    }
    return buf;
}

bool ta_date_parse(const char *s, ta_time_us *out)
{
    /* Exactly YYYY-MM-DD: "2014-3-19", " 2014-03-19" or "+014-03-19" are refused. */
    for (int i = 0; i < 10; i++) {
        bool sep = i == 4 || i == 7;
        if (sep ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    }
    if (s[10] != '\0')
        return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 ? leap : 0))
        return false;
    /* Days from civil, Howard Hinnant's public-domain algorithm. */
    int yy = y - (m <= 2);
    int era = yy / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *out = (ta_time_us)days * 86400u * 1000000u;
    return true;
}

/* Whether a header h (100 bytes) records more pages than size bytes hold. */
static bool header_cut(const uint8_t *h, uint64_t size)
{
    /* Bytes 24 and 92 (change counter, version-valid-for) agree when the
     * page count at 28 is valid; the page size is at 16 (1 = 65536). */
    if (memcmp(h, "SQLite format 3", 16) != 0 || memcmp(h + 24, h + 92, 4) != 0)
        return false;
    uint32_t psz = (uint32_t)h[16] << 8 | h[17];
    uint64_t page = psz == 1 ? 65536u : psz;
    uint64_t pages = (uint64_t)h[28] << 24 | (uint64_t)h[29] << 16 | (uint64_t)h[30] << 8 | h[31];
    return size < pages * page;
}

/*
 * Whether path's WAL holds frames (more than its 32-byte header). A disk that
 * fills during a checkpoint leaves page 1, with the new page count, in the
 * main file and the later pages only in the WAL: SQLite reads them there,
 * so the main file's size alone says nothing. stat() opens no descriptor
 * (see ta__db_conn_truncated).
 */
static bool wal_has_frames(const char *path)
{
    char wal[4096];
    if (path == NULL || path[0] == '\0' ||
        (size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >= sizeof(wal))
        return false;
    struct stat st;
    return stat(wal, &st) == 0 && st.st_size > 32;
}

bool ta__db_file_truncated(const char *path)
{
    if (wal_has_frames(path))
        return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    uint8_t h[100];
    bool cut = false;
    if (fread(h, 1, sizeof(h), f) == sizeof(h) && fseeko(f, 0, SEEK_END) == 0) {
        off_t size = ftello(f);
        cut = size >= 0 && header_cut(h, (uint64_t)size);
    }
    fclose(f);
    return cut;
}

bool ta__db_conn_truncated(struct sqlite3 *db)
{
    if (wal_has_frames(sqlite3_db_filename(db, "main")))
        return false;
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || f == NULL ||
        f->pMethods == NULL)
        return false;
    sqlite3_int64 size = 0;
    uint8_t h[100];
    if (f->pMethods->xFileSize(f, &size) != SQLITE_OK || size < (sqlite3_int64)sizeof(h) ||
        f->pMethods->xRead(f, h, (int)sizeof(h), 0) != SQLITE_OK)
        return false;
    return header_cut(h, (uint64_t)size);
}

int ta__db_table_state(struct sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    int state = -1;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        state = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(s);
    return state;
}
