/*
 * Unit tests for the intel index cache (ta_intel_index_open): a second open
 * maps the file and answers exactly as the built index; an import, an expiry,
 * other options, a changed allow file and a recreated database each rebuild
 * it; a truncated, overwritten or foreign file, or one byte changed anywhere,
 * is detected and rewritten; an index mapped before a rewrite keeps
 * answering; a cache that cannot be written leaves a working index built in
 * memory.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intel/intel-internal.h"
#include "threatatlas/intel.h"

struct fx {
    char dir[256], db[320], cache[340];
    struct ta_intel_db *h;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL || tu_tmpdir_make(f->dir, sizeof(f->dir), "ta-intel-cache") != 0)
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/atlas.db", f->dir);
    snprintf(f->cache, sizeof(f->cache), "%s.index-cache", f->db);
    char err[256];
    if (ta_intel_db_open(f->db, &f->h, err, sizeof(err)) != TA_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ta_intel_db_close(f->h);
    int rc = tu_tmpdir_remove(f->dir);
    free(f);
    return rc;
}

static void import(struct fx *f, const char *text)
{
    struct ta_intel_load_opts o = {
        .have_kind = true, .kind = TA_INTEL_KIND_C2, .source = "t", .allow_private = true};
    struct ta_intel_load_result r;
    assert_int_equal(
        ta_intel_db_import_buffer(f->h, "t.txt", (const uint8_t *)text, strlen(text), &o, &r),
        TA_OK);
}

static struct ta_intel_index *open_idx(struct fx *f, const struct ta_intel_index_opts *o,
                                       bool want_hit)
{
    struct ta_intel_index *x = NULL;
    struct ta_intel_cache_info ci;
    assert_int_equal(ta_intel_index_open(f->h, o, NULL, &x, &ci), TA_OK);
    assert_string_equal(ci.path, f->cache);
    assert_int_equal(ci.hit, want_hit);
    if (!want_hit)
        assert_int_equal(ci.write_err, TA_OK);
    return x;
}

static size_t mip(const struct ta_intel_index *x, const char *a, uint16_t port)
{
    struct ta_addr addr;
    struct ta_intel_match m[8];
    assert_true(ta_addr_parse(&addr, a));
    return ta_intel_match_ip(x, &addr, port, 0, 0, m, 8);
}

static size_t mdom(const struct ta_intel_index *x, const char *d)
{
    struct ta_intel_match m[8];
    return ta_intel_match_domain(x, d, strlen(d), 0, 0, m, 8);
}

static const char *const feed = "198.51.100.7\n"
                                "203.0.113.0/24\n"
                                "203.0.113.128/25\n"
                                "192.0.2.9:8443\n"
                                "2001:db8::/32\n"
                                "evil.example.com\n"
                                "http://phish.example.net/login.php\n";

/* Every kind of lookup answers the same from both indexes. */
static void same_answers(const struct ta_intel_index *a, const struct ta_intel_index *b)
{
    static const char *const ips[] = {"198.51.100.7",  "198.51.100.8", "203.0.113.5",
                                      "203.0.113.200", "192.0.2.9",    "2001:db8::1",
                                      "2001:db9::1",   "10.0.0.1"};
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        assert_int_equal(mip(a, ips[i], 0), mip(b, ips[i], 0));
        assert_int_equal(mip(a, ips[i], 8443), mip(b, ips[i], 8443));
    }
    struct ta_addr addr;
    struct ta_intel_match ma[8], mb[8];
    assert_true(ta_addr_parse(&addr, "203.0.113.200"));
    size_t na = ta_intel_match_ip(a, &addr, 0, 0, 0, ma, 8);
    size_t nb = ta_intel_match_ip(b, &addr, 0, 0, 0, mb, 8);
    assert_int_equal(na, 2);
    assert_int_equal(nb, 2);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(ma[i].value, mb[i].value);
        assert_int_equal(ma[i].prefix_len, mb[i].prefix_len);
        assert_int_equal(ma[i].kind, mb[i].kind);
        struct ta_intel_source_info sa, sb;
        ta_intel_match_source(a, &ma[i], 0, &sa);
        ta_intel_match_source(b, &mb[i], 0, &sb);
        assert_string_equal(sa.source, sb.source);
    }
    assert_string_equal(ma[0].value, "203.0.113.128/25");
    assert_int_equal(mdom(a, "www.evil.example.com"), 1);
    assert_int_equal(mdom(b, "www.evil.example.com"), 1);
    assert_int_equal(mdom(b, "example.com"), 0);
    const char *u = "http://phish.example.net/login.php";
    struct ta_intel_match m[8];
    assert_int_equal(ta_intel_match_url(b, u, strlen(u), 0, 0, m, 8), 1);
    struct ta_intel_index_stats sa, sb;
    ta_intel_index_stats(a, &sa);
    ta_intel_index_stats(b, &sb);
    assert_int_equal(sa.entries, sb.entries);
    assert_int_equal(sa.ip_ranges, sb.ip_ranges);
    assert_int_equal(sa.strings, sb.strings);
}

static void test_hit_answers_as_built(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    struct ta_intel_index *built;
    assert_int_equal(ta_intel_index_build(f->h, NULL, &built), TA_OK);
    struct ta_intel_index *first = open_idx(f, NULL, false);
    struct stat st;
    assert_int_equal(stat(f->cache, &st), 0);
    /* The jump tables and the /24 bitmap are derived at open, not stored. */
    assert_true(st.st_size < 64 * 1024);
    struct ta_intel_index *mapped = open_idx(f, NULL, true);
    same_answers(built, mapped);
    same_answers(first, mapped);
    assert_int_equal(mip(mapped, "198.51.100.7", 0), 1);
    assert_int_equal(mip(mapped, "192.0.2.9", 8443), 1);
    assert_int_equal(mip(mapped, "192.0.2.9", 80), 0);
    ta_intel_index_free(mapped);
    ta_intel_index_free(first);
    ta_intel_index_free(built);
}

static void test_changes_rebuild(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    ta_intel_index_free(open_idx(f, NULL, false));
    struct ta_intel_index *old = open_idx(f, NULL, true);
    assert_int_equal(mip(old, "198.51.100.99", 0), 0);
    /* An import changes the content version: rebuilt, and the new answer is there. */
    import(f, "198.51.100.99\n");
    struct ta_intel_index *x = open_idx(f, NULL, false);
    assert_int_equal(mip(x, "198.51.100.99", 0), 1);
    /* The index mapped before the rename still answers from the old file. */
    assert_int_equal(mip(old, "198.51.100.99", 0), 0);
    assert_int_equal(mip(old, "198.51.100.7", 0), 1);
    ta_intel_index_free(old);
    ta_intel_index_free(x);
    ta_intel_index_free(open_idx(f, NULL, true));
    /* Re-importing the same rows still counts as a write. */
    import(f, "198.51.100.99\n");
    ta_intel_index_free(open_idx(f, NULL, false));
    /* Options that change the index are in the key. */
    struct ta_intel_index_opts o;
    ta_intel_index_opts_default(&o);
    o.grace_after_s += 86400;
    ta_intel_index_free(open_idx(f, &o, false));
    ta_intel_index_free(open_idx(f, &o, true));
    o.skip_undated = !o.skip_undated;
    ta_intel_index_free(open_idx(f, &o, false));
    ta_intel_index_free(open_idx(f, NULL, false));
    /* An expiry that deletes rows is a change; one that deletes nothing is not. */
    uint64_t del = 1;
    assert_int_equal(ta_intel_db_expire(f->h, 1000000, &del), TA_OK);
    assert_int_equal(del, 0);
    ta_intel_index_free(open_idx(f, NULL, true));
}

static void test_allow_file_in_key(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    char allow[400];
    snprintf(allow, sizeof(allow), "%s/allow.txt", f->dir);
    FILE *a = fopen(allow, "w");
    assert_non_null(a);
    fputs("other.example.org\n", a);
    fclose(a);
    const char *files[] = {allow, NULL};
    struct ta_intel_index_opts o;
    ta_intel_index_opts_default(&o);
    o.allow_files = files;
    ta_intel_index_free(open_idx(f, &o, false));
    struct ta_intel_index *x = open_idx(f, &o, true);
    struct ta_intel_match m;
    assert_false(ta_intel_allow_domain(x, "evil.example.com", 16, NULL, &m));
    ta_intel_index_free(x);
    /* Rewritten with other content (and size): rebuilt, the new entry counts. */
    a = fopen(allow, "w");
    assert_non_null(a);
    fputs("evil.example.com\n", a);
    fclose(a);
    x = open_idx(f, &o, false);
    assert_true(ta_intel_allow_domain(x, "evil.example.com", 16, NULL, &m));
    ta_intel_index_free(x);
    /* Without the allow file it is another index again. */
    ta_intel_index_free(open_idx(f, NULL, false));
}

static void put_bytes(const char *path, off_t at, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, b, n, at), (ssize_t)n);
    close(fd);
}

static void test_corrupt_rebuilt(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    ta_intel_index_free(open_idx(f, NULL, false));
    struct stat st;
    assert_int_equal(stat(f->cache, &st), 0);
    /* Cut short. */
    assert_int_equal(truncate(f->cache, st.st_size - 100), 0);
    ta_intel_index_free(open_idx(f, NULL, false));
    ta_intel_index_free(open_idx(f, NULL, true));
    assert_int_equal(stat(f->cache, &st), 0);
    /* A flipped byte in the header's counts, then one in the key, then in
     * the tables (the checksum over them). */
    const off_t at[] = {40, 300, 700, st.st_size / 2, st.st_size - 8};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        uint8_t b = 0x5a;
        put_bytes(f->cache, at[i], &b, 1);
        struct ta_intel_index *x = NULL;
        struct ta_intel_cache_info ci;
        assert_int_equal(ta_intel_index_open(f->h, NULL, NULL, &x, &ci), TA_OK);
        assert_false(ci.hit);
        assert_true(ci.stale);
        assert_int_equal(mip(x, "203.0.113.200", 0), 2);
        ta_intel_index_free(x);
        ta_intel_index_free(open_idx(f, NULL, true));
    }
    /* Not a cache at all, and an empty file. */
    FILE *g = fopen(f->cache, "w");
    assert_non_null(g);
    fputs("not an index cache\n", g);
    fclose(g);
    ta_intel_index_free(open_idx(f, NULL, false));
    g = fopen(f->cache, "w");
    assert_non_null(g);
    fclose(g);
    ta_intel_index_free(open_idx(f, NULL, false));
    struct ta_intel_index *x = open_idx(f, NULL, true);
    assert_int_equal(mip(x, "198.51.100.7", 0), 1);
    ta_intel_index_free(x);
}

/* ta__intel_cache_parse on a corpus file, sealed as the fuzz target does
 * (size and checksums made to match, so only the index checks decide). */
static enum ta__intel_cache_status parse_corpus(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fuzz/corpus/intel-cache/%s", name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    size_t n = (size_t)sb.st_size;
    /* Read straight into memory aligned as a mapping is. */
    uint8_t *buf = aligned_alloc(64, (n + 64) & ~(size_t)63);
    assert_non_null(buf);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, n, f), n);
    fclose(f);
    ta__intel_cache_seal(buf, n);
    struct ta_intel_index *x = NULL;
    enum ta__intel_cache_status st = ta__intel_cache_parse(buf, n, "fuzz", &x);
    if (st == TA__INTEL_CACHE_VALID) {
        /* gen-0's 192.0.2.1: a /32 (two sources) inside a /24 inside a /16,
         * longest first. */
        struct ta_addr a;
        struct ta_intel_match m[8];
        assert_true(ta_addr_parse(&a, "192.0.2.1"));
        size_t k = ta_intel_match_ip(x, &a, 0, 0, 0, m, 8);
        if (strcmp(name, "gen-0") == 0) {
            assert_int_equal(k, 3);
            assert_int_equal(m[0].prefix_len, 32);
            assert_int_equal(m[0].nsources, 2);
            assert_int_equal(m[1].prefix_len, 24);
            assert_int_equal(m[2].prefix_len, 16);
        }
        ta_intel_index_free(x);
    }
    free(buf);
    return st;
}

/* Forged files with valid checksums (gen-0 with one index broken): an IPv4
 * range whose answer id is past the answers, an answer whose list lies past
 * the lists, an entry whose text lies outside the pool. */
static void test_forged_refused(void **state)
{
    (void)state;
    assert_int_equal(parse_corpus("gen-0"), TA__INTEL_CACHE_VALID);
    assert_int_equal(parse_corpus("gen-3"), TA__INTEL_CACHE_VALID);
    assert_int_equal(parse_corpus("seed-0"), TA__INTEL_CACHE_VALID);
    assert_int_equal(parse_corpus("forged-range-answer"), TA__INTEL_CACHE_CORRUPT);
    assert_int_equal(parse_corpus("forged-answer-list"), TA__INTEL_CACHE_CORRUPT);
    assert_int_equal(parse_corpus("forged-entry-pool"), TA__INTEL_CACHE_CORRUPT);
}

static void test_recreated_database(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    ta_intel_index_free(open_idx(f, NULL, false));
    /* A new database at the same path with one write: its counter equals the
     * old one's, its id does not. */
    ta_intel_db_close(f->h);
    char w[400];
    unlink(f->db);
    snprintf(w, sizeof(w), "%s-wal", f->db);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", f->db);
    unlink(w);
    char err[256];
    assert_int_equal(ta_intel_db_open(f->db, &f->h, err, sizeof(err)), TA_OK);
    import(f, "198.51.100.50\n");
    struct ta_intel_index *x = open_idx(f, NULL, false);
    assert_int_equal(mip(x, "198.51.100.7", 0), 0);
    assert_int_equal(mip(x, "198.51.100.50", 0), 1);
    ta_intel_index_free(x);
}

static void test_unwritable(void **state)
{
    struct fx *f = *state;
    import(f, feed);
    char bad[400];
    snprintf(bad, sizeof(bad), "%s/no-such-dir/atlas.index-cache", f->dir);
    struct ta_intel_index *x = NULL;
    struct ta_intel_cache_info ci;
    assert_int_equal(ta_intel_index_open(f->h, NULL, bad, &x, &ci), TA_OK);
    assert_false(ci.hit);
    assert_int_equal(ci.write_err, TA_ERR_IO);
    assert_int_equal(ci.write_errno, ENOENT);
    assert_int_equal(mip(x, "203.0.113.200", 0), 2);
    ta_intel_index_free(x);
    /* No temporary file is left behind. */
    assert_int_not_equal(access(f->cache, F_OK), 0);
    /* An in-memory database has no place for a cache: built, nothing written. */
    struct ta_intel_db *mem;
    char err[256];
    assert_int_equal(ta_intel_db_open(":memory:", &mem, err, sizeof(err)), TA_OK);
    assert_int_equal(ta_intel_index_open(mem, NULL, NULL, &x, &ci), TA_OK);
    assert_false(ci.hit);
    assert_string_equal(ci.path, "");
    ta_intel_index_free(x);
    ta_intel_db_close(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_answers_as_built, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_rebuild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_file_in_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_rebuilt, setup, teardown),
        cmocka_unit_test(test_forged_refused),
        cmocka_unit_test_setup_teardown(test_recreated_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
