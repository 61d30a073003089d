/*
 * Readers never write, and an unusable database is an error: the store and
 * the intel database opened for reading refuse an empty file, another
 * program's SQLite file, text, and a database cut short, leaving each file
 * exactly as it was; a threatatlas database holding only indicators is
 * readable.
 */
#include "testutil.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dbfile.h"
#include "threatatlas/intel.h"
#include "threatatlas/store.h"

static char dir[256];

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static long size_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* A real database with indicators, then a copy of its first `keep` bytes. */
static void make_intel_db(const char *p)
{
    struct ta_intel_db *db = NULL;
    char err[256];
    assert_int_equal(ta_intel_db_open(p, &db, err, sizeof(err)), TA_OK);
    struct ta_intel_indicator inds[400];
    char vals[400][32];
    memset(inds, 0, sizeof(inds));
    for (int i = 0; i < 400; i++) {
        snprintf(vals[i], sizeof(vals[i]), "host%03d.example.com", i);
        inds[i].type = TA_INTEL_DOMAIN;
        inds[i].kind = TA_INTEL_KIND_C2;
        inds[i].value = vals[i];
        inds[i].source = "test";
        inds[i].confidence = 80;
    }
    struct ta_intel_load_result res;
    assert_int_equal(ta_intel_db_insert(db, inds, 400, &res), TA_OK);
    ta_intel_db_close(db);
}

static void test_readers_refuse_unusable_files(void **state)
{
    (void)state;
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "ta-dbfile"), 0);
    char empty[300], text[300], foreign[300], good[300], cut[300], missing[300];
    path_of(empty, sizeof(empty), "empty.db");
    path_of(text, sizeof(text), "text.db");
    path_of(foreign, sizeof(foreign), "foreign.db");
    path_of(good, sizeof(good), "good.db");
    path_of(cut, sizeof(cut), "cut.db");
    path_of(missing, sizeof(missing), "missing.db");
    write_file(empty, "", 0);
    write_file(text, "not a database at all\n", 22);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'CREATE TABLE x(a); INSERT INTO x VALUES(1);'",
             foreign);
    assert_int_equal(system(cmd), 0);
    make_intel_db(good);
    /* The WAL is checkpointed at close: the main file holds every page. */
    long full = size_of(good);
    assert_true(full > 8192);
    FILE *in = fopen(good, "rb");
    assert_non_null(in);
    char *buf = malloc((size_t)full);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)full, in), (size_t)full);
    fclose(in);
    write_file(cut, buf, (size_t)full / 2);
    free(buf);

    assert_false(ta__db_file_truncated(good));
    assert_true(ta__db_file_truncated(cut));
    assert_false(ta__db_file_truncated(empty));
    assert_false(ta__db_file_truncated(missing));

    const char *bad[] = {empty, text, foreign, cut};
    for (size_t i = 0; i < 4; i++) {
        long before = size_of(bad[i]);
        struct ta_store *st = NULL;
        char serr[TA_STORE_ERRLEN];
        assert_int_equal(ta_store_open(bad[i], TA_STORE_READONLY, &st, serr), TA_ERR_FORMAT);
        assert_null(st);
        assert_non_null(strstr(serr, bad[i]));
        struct ta_intel_db *db = NULL;
        char ierr[256] = "";
        assert_int_equal(ta_intel_db_open_readonly(bad[i], &db, ierr, sizeof(ierr)), TA_ERR_FORMAT);
        assert_null(db);
        assert_non_null(strstr(ierr, bad[i]));
        assert_int_equal(size_of(bad[i]), before); /* nothing written */
    }
    struct ta_intel_db *db = NULL;
    char ierr[256];
    assert_int_equal(ta_intel_db_open_readonly(missing, &db, ierr, sizeof(ierr)), TA_ERR_NOTFOUND);
    assert_int_equal(access(missing, F_OK), -1);

    /* The real database reads: its indicators are listed, nothing is written. */
    long before = size_of(good);
    assert_int_equal(ta_intel_db_open_readonly(good, &db, ierr, sizeof(ierr)), TA_OK);
    struct ta_intel_index *idx = NULL;
    struct ta_intel_index_opts io;
    ta_intel_index_opts_default(&io);
    assert_int_equal(ta_intel_index_build(db, &io, &idx), TA_OK);
    struct ta_intel_index_stats is;
    ta_intel_index_stats(idx, &is);
    assert_int_equal(is.rows, 400);
    ta_intel_index_free(idx);
    ta_intel_db_close(db);
    assert_int_equal(size_of(good), before);
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/*
 * A disk that fills during a checkpoint: SQLite has copied the WAL's first
 * pages into the main file, page 1 (with the new page count) among them,
 * and failed on the rest. The main file is shorter than its header says
 * but the WAL still holds every page, so SQLite reads the database whole:
 * it is not taken for truncated, and once the disk has room again every
 * reader opens it.
 */
static void test_checkpoint_cut_by_full_disk(void **state)
{
    (void)state;
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "ta-dbfile"), 0);
    char p[300], wal[310];
    path_of(p, sizeof(p), "ckpt.db");
    snprintf(wal, sizeof(wal), "%s-wal", p);
    make_intel_db(p);
    long before = size_of(p);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                "CREATE TABLE pad(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                "FROM n WHERE i < 2000) INSERT INTO pad SELECT randomblob(200) FROM n;");
    assert_true(size_of(wal) > before);
    /* The file may not grow past 2 more pages: the checkpoint stops midway. */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)before + 8192;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    (void)rc;
    /* Closing would finish the checkpoint now that there is room. */
    assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL), SQLITE_OK);
    sqlite3_close(db);

    /* The state of a disk that filled: the header counts more pages than the file holds. */
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    unsigned char h[100];
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
    long pages = (long)h[28] << 24 | (long)h[29] << 16 | (long)h[30] << 8 | h[31];
    long psz = h[16] << 8 | h[17];
    assert_true(size_of(p) < pages * psz);
    assert_true(size_of(wal) > 0);

    assert_false(ta__db_file_truncated(p));
    struct ta_intel_db *idb = NULL;
    char ierr[256] = "";
    assert_int_equal(ta_intel_db_open_readonly(p, &idb, ierr, sizeof(ierr)), TA_OK);
    struct ta_intel_index *idx = NULL;
    struct ta_intel_index_opts io;
    ta_intel_index_opts_default(&io);
    assert_int_equal(ta_intel_index_build(idb, &io, &idx), TA_OK);
    struct ta_intel_index_stats is;
    ta_intel_index_stats(idx, &is);
    assert_int_equal(is.rows, 400);
    ta_intel_index_free(idx);
    ta_intel_db_close(idb);
    struct ta_store *st = NULL;
    char serr[TA_STORE_ERRLEN] = "";
    assert_int_equal(ta_store_open(p, TA_STORE_READONLY, &st, serr), TA_OK);
    ta_store_close(st);
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers_refuse_unusable_files),
        cmocka_unit_test(test_checkpoint_cut_by_full_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
