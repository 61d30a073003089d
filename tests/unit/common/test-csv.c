/*
 * ta_csv_split (common/csv.h): quoting, the two flags, caps, exact fields.
 */
#include "testutil.h"

#include "common/csv.h"

static int split(const char *line, unsigned flags, size_t cap, int max, const char **f, size_t *l)
{
    static char buf[256];
    return ta_csv_split(line, strlen(line), flags, buf, cap, f, l, max);
}

static void test_quoting(void **state)
{
    (void)state;
    const char *f[8];
    size_t l[8];
    assert_int_equal(split("a,\"b,c\",\"say \"\"hi\"\"\",", 0, 256, 8, f, l), 4);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b,c");
    assert_string_equal(f[2], "say \"hi\"");
    assert_string_equal(f[3], "");
    assert_int_equal(l[2], 8);
    assert_int_equal(l[3], 0);
    assert_int_equal(split("\"open", 0, 256, 8, f, l), -1);
    assert_int_equal(split("\"x\"y,z", 0, 256, 8, f, l), -1);
    assert_int_equal(split("", 0, 256, 8, f, l), 1);
    assert_string_equal(f[0], "");
}

static void test_flags(void **state)
{
    (void)state;
    const char *f[8];
    /* Without TA_CSV_TRIM blanks are text, and a blank before a quote makes
     * the field unquoted. */
    assert_int_equal(split(" a , \"b\" ", 0, 256, 8, f, NULL), 2);
    assert_string_equal(f[0], " a ");
    assert_string_equal(f[1], " \"b\" ");
    assert_int_equal(split(" a , \"b\" ", TA_CSV_TRIM, 256, 8, f, NULL), 2);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b");
    assert_int_equal(split("a\"b,c", 0, 256, 8, f, NULL), 2);
    assert_string_equal(f[0], "a\"b");
    assert_int_equal(split("a\"b,c", TA_CSV_STRICT_QUOTE, 256, 8, f, NULL), -1);
}

static void test_caps(void **state)
{
    (void)state;
    const char *f[8];
    assert_int_equal(split("a,b,c", 0, 256, 3, f, NULL), 3);
    assert_int_equal(split("a,b,c,", 0, 256, 3, f, NULL), -1);
    /* "ab" and "c" need 2 + 1 + 1 + 1 bytes with their terminators. */
    assert_int_equal(split("ab,c", 0, 5, 8, f, NULL), 2);
    assert_int_equal(split("ab,c", 0, 4, 8, f, NULL), -1);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    const char line[] = {'a', '\0', 'b', ',', 'c'};
    char buf[16];
    const char *f[4];
    size_t l[4];
    assert_int_equal(ta_csv_split(line, sizeof(line), 0, buf, sizeof(buf), f, l, 4), 2);
    assert_int_equal(l[0], 3);
    assert_memory_equal(f[0], "a\0b", 3);
    assert_int_equal(l[1], 1);
}

/* What ta_csv_write_field writes for s, read back into buf. */
static const char *written(const char *s, char *buf, size_t cap)
{
    memset(buf, 0, cap);
    FILE *f = fmemopen(buf, cap, "w");
    assert_non_null(f);
    ta_csv_write_field(f, s);
    fclose(f);
    return buf;
}

/* Quoting, and cells a spreadsheet would run as formulas shown as text. */
static void test_write_field(void **state)
{
    (void)state;
    char b[256];
    assert_string_equal(written("plain", b, sizeof(b)), "plain");
    assert_string_equal(written("a,b", b, sizeof(b)), "\"a,b\"");
    assert_string_equal(written("say \"hi\"", b, sizeof(b)), "\"say \"\"hi\"\"\"");
    assert_string_equal(written("=HYPERLINK(\"http://x\")", b, sizeof(b)),
                        "\"'=HYPERLINK(\"\"http://x\"\")\"");
    assert_string_equal(written("@SUM(A1:A9)", b, sizeof(b)), "\"'@SUM(A1:A9)\"");
    assert_string_equal(written("+1+cmd|' /C calc'!A0", b, sizeof(b)), "\"'+1+cmd|' /C calc'!A0\"");
    assert_string_equal(written("-2+3", b, sizeof(b)), "\"'-2+3\"");
    assert_string_equal(written("\tx", b, sizeof(b)), "\"'\tx\"");
    assert_string_equal(written("-5", b, sizeof(b)), "-5");
    assert_string_equal(written("+3.25", b, sizeof(b)), "+3.25");
    assert_string_equal(written("-", b, sizeof(b)), "\"'-\"");
    assert_string_equal(written("", b, sizeof(b)), "");
    assert_string_equal(written(NULL, b, sizeof(b)), "");
    /* Written fields split back into the value (with the apostrophe for formulas). */
    char buf[256];
    const char *fields[2];
    written("=1+1,x", b, sizeof(b));
    assert_int_equal(ta_csv_split(b, strlen(b), 0, buf, sizeof(buf), fields, NULL, 2), 1);
    assert_string_equal(fields[0], "'=1+1,x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),     cmocka_unit_test(test_flags),
        cmocka_unit_test(test_caps),        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_write_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
