/*
 * The signature id table (threatatlas/alert.h): one id per signature, ids and
 * texts unique, every id above the fallback range, and the lookup by text
 * (exact, or by prefix for the beacon whose text carries its score).
 */
#include "testutil.h"

#include "threatatlas/alert.h"

static void test_table_unique(void **state)
{
    (void)state;
    size_t n = ta_alert_signature_count();
    assert_true(n >= 35);
    assert_null(ta_alert_signature_at(n));
    uint32_t fallback_max =
        TA_ALERT_SID_FALLBACK + 100u * (TA_EVENT_KIND__COUNT - 1) + (TA_METHOD__COUNT - 1);
    for (size_t i = 0; i < n; i++) {
        const struct ta_alert_signature *a = ta_alert_signature_at(i);
        assert_non_null(a);
        assert_true(a->id > fallback_max);
        assert_true(a->text != NULL && a->text[0] != 0);
        assert_non_null(ta_event_kind_name(a->kind));
        for (size_t k = 0; k < i; k++) {
            const struct ta_alert_signature *b = ta_alert_signature_at(k);
            assert_int_not_equal(a->id, b->id);
            assert_string_not_equal(a->text, b->text);
            /* No entry is a prefix of an earlier one, or the lookup would hide it. */
            if (b->prefix)
                assert_false(strncmp(a->text, b->text, strlen(b->text)) == 0);
        }
    }
}

static void test_lookup(void **state)
{
    (void)state;
    struct ta_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = TA_EVENT_BACKDOOR;
    ev.method = TA_METHOD_CONTENT;
    /* The five Godzilla/Behinder signatures that once shared 9100406 are apart now. */
    static const char *const ws[] = {"Godzilla encrypted parameter with md5-framed response",
                                     "Godzilla encrypted parameter", "Godzilla md5-framed response",
                                     "Behinder AES-encrypted base64 body",
                                     "Behinder AES-encrypted raw body"};
    uint32_t ids[5];
    for (size_t i = 0; i < 5; i++) {
        ev.signature = ws[i];
        ids[i] = ta_event_signature_id(&ev);
        for (size_t k = 0; k < i; k++)
            assert_int_not_equal(ids[i], ids[k]);
    }
    assert_int_equal(ids[0], 9101309);
    /* The kind does not change a signature's id (suspected webshell verdicts). */
    ev.kind = TA_EVENT_BACKDOOR_SUSPECTED;
    ev.signature = ws[1];
    assert_int_equal(ta_event_signature_id(&ev), ids[1]);
    ev.kind = TA_EVENT_C2_SUSPECTED;
    ev.method = TA_METHOD_BEACON;
    ev.signature = "Periodic beaconing (score 0.93, median interval 60 s, 41 conns)";
    assert_int_equal(ta_event_signature_id(&ev), 9101007);
    ev.signature = "Periodic";
    assert_int_equal(ta_event_signature_id(&ev),
                     9100000 + 100 * TA_EVENT_C2_SUSPECTED + TA_METHOD_BEACON);
    ev.signature = NULL;
    assert_int_equal(ta_event_signature_id(&ev),
                     9100000 + 100 * TA_EVENT_C2_SUSPECTED + TA_METHOD_BEACON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_unique),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
