/*
 * Unit tests for replacing a fetched source (ta_intel_db_replace_source):
 * a value the new download no longer lists ends at the replace time and
 * matches traffic before it, not after; a value still listed keeps its
 * first sighting and stays in force; a value listed again is in force
 * again; a download with nothing accepted, or a replace without a source
 * name, changes nothing; other sources are never touched; the fetch state
 * is stored with the replace.
 */
#include "testutil.h"

#include <unistd.h>

#include "threatatlas/intel.h"

#define S(t) ((ta_time_us)(t)*1000000ull)
#define T1   1700000000u
#define T2   1700086400u

struct fx {
    char path[256];
    struct ta_intel_db *db;
};

static void rm_db(const char *path)
{
    char w[300];
    unlink(path);
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

static void fx_open(struct fx *f)
{
    static int seq;
    snprintf(f->path, sizeof(f->path), "/tmp/ta-test-intel-replace-%d-%d.db", (int)getpid(), seq++);
    rm_db(f->path);
    char err[256];
    assert_int_equal(ta_intel_db_open(f->path, &f->db, err, sizeof(err)), TA_OK);
}

static void fx_close(struct fx *f)
{
    ta_intel_db_close(f->db);
    rm_db(f->path);
}

static struct ta_intel_load_opts plain_c2(const char *source)
{
    struct ta_intel_load_opts o;
    memset(&o, 0, sizeof(o));
    o.format = TA_INTEL_FMT_PLAIN;
    o.have_kind = true;
    o.kind = TA_INTEL_KIND_C2;
    o.source = source;
    return o;
}

static ta_err replace(struct fx *f, const char *text, const char *source, ta_time_us now,
                      uint64_t *expired)
{
    struct ta_intel_load_opts o = plain_c2(source);
    struct ta_intel_load_result r;
    struct ta_intel_fetch_state fs;
    memset(&fs, 0, sizeof(fs));
    snprintf(fs.url, sizeof(fs.url), "http://127.0.0.1/%s", source != NULL ? source : "");
    snprintf(fs.etag, sizeof(fs.etag), "\"%zu\"", strlen(text));
    return ta_intel_db_replace_source(f->db, "feed", (const uint8_t *)text, strlen(text), &o, &fs,
                                      now, &r, expired);
}

/* Matches of domain d at time t (seconds; 0 = any time) through a fresh index. */
static size_t matches(struct fx *f, const char *d, uint32_t t, bool *undated)
{
    struct ta_intel_index *idx;
    assert_int_equal(ta_intel_index_build(f->db, NULL, &idx), TA_OK);
    struct ta_intel_match m[4];
    size_t n = ta_intel_match_domain(idx, d, strlen(d), t ? S(t) : 0, 0, m, 4);
    if (undated != NULL && n > 0)
        *undated = m[0].undated;
    ta_intel_index_free(idx);
    return n;
}

struct row {
    const char *value;
    int64_t first, valid;
    bool found;
};

static ta_err find_row(void *user, const struct ta_intel_indicator *ind)
{
    struct row *r = user;
    if (strcmp(ind->value, r->value) == 0) {
        r->first = (int64_t)(ind->first_seen / 1000000u);
        r->valid = (int64_t)(ind->valid_until / 1000000u);
        r->found = true;
    }
    return TA_OK;
}

static struct row get_row(struct fx *f, const char *value, const char *source)
{
    struct row r = {.value = value};
    struct ta_intel_filter flt = {.source = source};
    assert_int_equal(ta_intel_db_list(f->db, &flt, find_row, &r), TA_OK);
    return r;
}

static void test_gone_value_ends(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f);
    uint64_t ex = 99;
    assert_int_equal(replace(&f, "gone.example\nkept.example\n", "lab", S(T1), &ex), TA_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(replace(&f, "kept.example\n", "lab", S(T2), &ex), TA_OK);
    assert_int_equal(ex, 1);

    struct row g = get_row(&f, "gone.example", "lab");
    assert_true(g.found);
    assert_int_equal(g.valid, T2);
    assert_int_equal(g.first, 1);
    /* Traffic before the change still matches it; traffic after does not. */
    assert_int_equal(matches(&f, "gone.example", T2 - 3600, NULL), 1);
    assert_int_equal(matches(&f, "gone.example", T2, NULL), 1);
    assert_int_equal(matches(&f, "gone.example", T2 + 1, NULL), 0);
    bool und = false;
    assert_int_equal(matches(&f, "kept.example", T2 + 86400, &und), 1);
    assert_true(und);

    /* A second replace without it does not move its end. */
    assert_int_equal(replace(&f, "kept.example\n", "lab", S(T2 + 100), &ex), TA_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(get_row(&f, "gone.example", "lab").valid, T2);

    /* Listed again: undated and in force again. */
    assert_int_equal(replace(&f, "kept.example\ngone.example\n", "lab", S(T2 + 200), &ex), TA_OK);
    g = get_row(&f, "gone.example", "lab");
    assert_int_equal(g.first, 0);
    assert_int_equal(g.valid, 0);
    assert_int_equal(matches(&f, "gone.example", T2 + 86400, NULL), 1);
    fx_close(&f);
}

static void test_kept_value_keeps_first_seen(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f);
    /* A dated row of the source (as a dated feed would give it). */
    struct ta_intel_indicator ind = {.type = TA_INTEL_DOMAIN,
                                     .value = "kept.example",
                                     .source = "lab",
                                     .kind = TA_INTEL_KIND_C2,
                                     .confidence = 80,
                                     .first_seen = S(T1 - 86400),
                                     .last_seen = S(T1)};
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(f.db, &ind, 1, &r), TA_OK);
    uint64_t ex;
    assert_int_equal(replace(&f, "kept.example\n", "lab", S(T2), &ex), TA_OK);
    assert_int_equal(ex, 0);
    struct row k = get_row(&f, "kept.example", "lab");
    assert_int_equal(k.first, T1 - 86400);
    assert_int_equal(k.valid, 0);
    fx_close(&f);
}

static void test_failures_change_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f);
    uint64_t ex;
    assert_int_equal(replace(&f, "a.example\nb.example\n", "lab", S(T1), &ex), TA_OK);
    assert_int_equal(replace(&f, "other.example\n", "other", S(T1), &ex), TA_OK);
    /* Nothing accepted: an error, the old list stays whole. */
    assert_int_not_equal(replace(&f, "!!! not a value\n", "lab", S(T2), &ex), TA_OK);
    assert_int_not_equal(replace(&f, "# only a comment\n", "lab", S(T2), &ex), TA_OK);
    assert_int_equal(replace(&f, "a.example\n", NULL, S(T2), &ex), TA_ERR_ARG);
    assert_int_equal(get_row(&f, "b.example", "lab").valid, 0);
    assert_int_equal(get_row(&f, "a.example", "lab").valid, 0);
    struct ta_intel_fetch_state fs;
    assert_int_equal(ta_intel_db_fetch_state_get(f.db, "lab", &fs), TA_OK);
    assert_string_equal(fs.etag, "\"20\"");
    assert_int_equal(fs.changed, S(T1));
    /* Another source's replace never ends this one's values. */
    assert_int_equal(replace(&f, "new.example\n", "other", S(T2), &ex), TA_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(get_row(&f, "a.example", "lab").valid, 0);
    assert_int_equal(get_row(&f, "other.example", "other").valid, T2);
    assert_int_equal(ta_intel_db_fetch_state_get(f.db, "never", &fs), TA_OK);
    assert_string_equal(fs.url, "");
    assert_int_equal(fs.fetched, 0);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gone_value_ends),
        cmocka_unit_test(test_kept_value_keeps_first_seen),
        cmocka_unit_test(test_failures_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
