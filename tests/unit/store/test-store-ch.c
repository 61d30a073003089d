/*
 * ClickHouse store, the parts that need no server: the quoting of values
 * into SQL (hostile strings), the reading of TabSeparated answers (escapes,
 * NULL, empty fields), and the refusal of bad URLs and credentials in URLs
 * before any connection. The backend against a server:
 * tests/integration/store-clickhouse.sh.
 */
#include "testutil.h"

#include <stdlib.h>

#include "store/store-ch-int.h"

static void quote_is(const char *in, size_t n, const char *want)
{
    struct ta__ch_buf b = {0};
    assert_true(ta__ch_quote(&b, in, n));
    assert_string_equal(b.p, want);
    assert_int_equal(b.len, strlen(want));
    ta__ch_buf_free(&b);
}

static void test_quote(void **state)
{
    (void)state;
    quote_is("US", 2, "'US'");
    quote_is("", 0, "''");
    quote_is("x'); DROP TABLE ta_event; --", 28, "'x\\'); DROP TABLE ta_event; --'");
    quote_is("a\\b", 3, "'a\\\\b'");
    quote_is("\t\n\x01\x7f", 4, "'\\x09\\x0a\\x01\\x7f'");
    /* A NUL inside the value is kept as a byte, not an end. */
    quote_is("a\0b", 3, "'a\\x00b'");
    /* UTF-8 bytes are escaped one by one: the server sees the same bytes. */
    quote_is("\xc3\xa9", 2, "'\\xc3\\xa9'");
}

static void test_tsv(void **state)
{
    (void)state;
    char text[] = "1\tUS\t\\N\ta\\tb\\nc\\\\d\\'\\0e\n"
                  "\t\t\n"
                  "last";
    char *p = text, *end = text + sizeof(text) - 1;
    struct ta__ch_field f[8];
    assert_int_equal(ta__ch_tsv_row(&p, end, f, 8), 4);
    assert_int_equal(ta__ch_i64(&f[0]), 1);
    assert_string_equal(f[1].p, "US");
    assert_false(f[1].null);
    assert_true(f[2].null);
    assert_int_equal(ta__ch_i64(&f[2]), 0);
    assert_int_equal(f[3].len, 10);
    assert_memory_equal(f[3].p, "a\tb\nc\\d'\0e", 10);
    /* Three empty fields. */
    assert_int_equal(ta__ch_tsv_row(&p, end, f, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f[i].len, 0);
        assert_false(f[i].null);
    }
    /* A last row without its newline. */
    assert_int_equal(ta__ch_tsv_row(&p, end, f, 8), 1);
    assert_int_equal(f[0].len, 4);
    assert_int_equal(ta__ch_tsv_row(&p, end, f, 8), 0);
    /* More fields than asked for: counted, not written. */
    char wide[] = "a\tb\tc\n";
    p = wide;
    assert_int_equal(ta__ch_tsv_row(&p, wide + 6, f, 2), 3);
    assert_string_equal(f[1].p, "b");
    /* "\N" only as a whole field is NULL. */
    char nn[] = "\\Nx\t\\N\n";
    p = nn;
    assert_int_equal(ta__ch_tsv_row(&p, nn + 7, f, 8), 2);
    assert_false(f[0].null);
    assert_string_equal(f[0].p, "Nx");
    assert_true(f[1].null);
}

static void refused(const char *url, ta_err want, const char *says)
{
    struct ta_store *st = NULL;
    char err[TA_STORE_ERRLEN];
    assert_int_equal(ta_store_open(url, TA_STORE_READONLY, &st, err), want);
    assert_null(st);
    assert_non_null(strstr(err, says));
}

static void test_urls(void **state)
{
    (void)state;
    assert_true(ta_store_is_clickhouse("clickhouse://h:1/db"));
    assert_false(ta_store_is_clickhouse("atlas.db"));
    assert_false(ta_store_is_clickhouse("./clickhouse://x"));
    refused("clickhouse://u:secret@127.0.0.1:1/db", TA_ERR_ARG, "TA_CLICKHOUSE_PASSWORD");
    refused("clickhouse://127.0.0.1:1/db?user=x", TA_ERR_ARG, "not in the URL");
    refused("clickhouse://127.0.0.1:1/db;DROP", TA_ERR_ARG, "DATABASE");
    refused("clickhouse://127.0.0.1:1/a`b", TA_ERR_ARG, "DATABASE");
    refused("clickhouse://127.0.0.1:1/", TA_ERR_ARG, "DATABASE");
    refused("clickhouse://127.0.0.1:1", TA_ERR_ARG, "DATABASE");
    refused("clickhouse://h'x:1/db", TA_ERR_ARG, "bad host");
    /* Nothing listens on port 1: one clear error, after the retry time. */
    setenv("TA_CLICKHOUSE_RETRY", "0", 1);
    refused("clickhouse://127.0.0.1:1/db", TA_ERR_DB, "127.0.0.1:1");
    unsetenv("TA_CLICKHOUSE_RETRY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
