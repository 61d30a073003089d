/*
 * STIX and MISP writers: exact patterns (escaping of quotes and
 * backslashes, address families, URL or domain), the TLP marking objects,
 * the sighting count capped where STIX caps it, content-derived ids that
 * repeat across runs and differ across values, families as malware objects
 * and relationships, and the MISP attribute types and tags. Output is parsed
 * back with jansson.
 */
#include "testutil.h"

#include <jansson.h>

#include "threatatlas/share.h"

#define T0 1395187200000000ll /* 2014-03-19T00:00:00Z */

static const struct ta_share_indicator inds[] = {
    {TA_EVENT_C2, TA_SHARE_IPV4, "198.51.100.7", "US", 3356, "QakBot,Emotet", T0 + 1500,
     T0 + 86400000000ll, 2000000000ull},
    {TA_EVENT_PHISHING, TA_SHARE_URL, "http://example.com/it's\\here?a=1", "", 0, "", T0, T0, 3},
    {TA_EVENT_PHISHING, TA_SHARE_DOMAIN, "login.example.net", "NL", 0, "", T0, T0 + 1000000, 1},
    {TA_EVENT_BACKDOOR, TA_SHARE_IPV6, "2001:db8::c2", "CN", 4134, "", T0 + 5, T0 + 6, 7},
};
#define NIND (sizeof(inds) / sizeof(inds[0]))

static const struct ta_share_meta meta = {"Example CERT", TA_TLP_AMBER, 16148, 16149, "", ""};

static json_t *run(ta_err (*fn)(const struct ta_share_indicator *, size_t,
                                const struct ta_share_meta *, FILE *),
                   const struct ta_share_meta *m, char **text)
{
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    assert_non_null(f);
    assert_int_equal(fn(inds, NIND, m, f), TA_OK);
    fclose(f);
    json_error_t e;
    json_t *root = json_loads(*text, 0, &e);
    if (root == NULL)
        fail_msg("not JSON: %s at %d", e.text, e.line);
    return root;
}

static json_t *by_type(json_t *objs, const char *type, size_t nth)
{
    size_t i, k = 0;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "type")), type) == 0 && k++ == nth)
            return o;
    }
    return NULL;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    return s;
}

static void test_stix(void **state)
{
    (void)state;
    char *text = NULL, *again = NULL;
    json_t *b = run(ta_share_write_stix, &meta, &text);
    json_t *b2 = run(ta_share_write_stix, &meta, &again);
    assert_string_equal(text, again); /* deterministic */
    json_t *objs = json_object_get(b, "objects");
    /* marking, identity, 2 malware, 4 x (indicator + sighting), 2 relationships */
    assert_int_equal(json_array_size(objs), 1 + 1 + 2 + 8 + 2);
    json_t *mk = by_type(objs, "marking-definition", 0);
    assert_string_equal(str(mk, "id"), "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82");
    assert_string_equal(str(json_object_get(mk, "definition"), "tlp"), "amber");
    json_t *id = by_type(objs, "identity", 0);
    assert_string_equal(str(id, "name"), "Example CERT");
    assert_string_equal(str(id, "created"), "2014-03-19T00:00:00.000Z");

    json_t *i0 = by_type(objs, "indicator", 0), *i1 = by_type(objs, "indicator", 1);
    json_t *i2 = by_type(objs, "indicator", 2), *i3 = by_type(objs, "indicator", 3);
    assert_string_equal(str(i0, "pattern"), "[ipv4-addr:value = '198.51.100.7']");
    assert_string_equal(str(i0, "name"), "C2 server");
    assert_string_equal(str(i0, "valid_from"), "2014-03-19T00:00:00.001Z");
    assert_string_equal(str(i0, "modified"), "2014-03-20T00:00:00.000Z");
    assert_string_equal(str(i1, "pattern"),
                        "[url:value = 'http://example.com/it\\'s\\\\here?a=1']");
    assert_string_equal(str(i2, "pattern"), "[domain-name:value = 'login.example.net']");
    assert_string_equal(str(i3, "pattern"), "[ipv6-addr:value = '2001:db8::c2']");
    assert_string_equal(str(i3, "name"), "Backdoor attacker");
    /* The names and descriptions never carry the value, so a reader that
     * guesses the kind from the words is not misled by "c2" in an address. */
    assert_null(strstr(str(i3, "description"), "c2"));

    json_t *s0 = by_type(objs, "sighting", 0);
    assert_string_equal(str(s0, "sighting_of_ref"), str(i0, "id"));
    assert_int_equal(json_integer_value(json_object_get(s0, "count")), 999999999);
    json_t *s3 = by_type(objs, "sighting", 3);
    assert_int_equal(json_integer_value(json_object_get(s3, "count")), 7);
    assert_string_equal(str(s3, "last_seen"), "2014-03-19T00:00:00.000Z");

    /* Ids differ per value and kind, and are UUIDs of the STIX shape. */
    assert_string_not_equal(str(i1, "id"), str(i2, "id"));
    const char *u = str(i0, "id") + strlen("indicator--");
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '5');
    assert_true(strchr("89ab", u[19]) != NULL);

    json_t *m0 = by_type(objs, "malware", 0), *m1 = by_type(objs, "malware", 1);
    assert_string_equal(str(m0, "name"), "Emotet"); /* sorted */
    assert_string_equal(str(m1, "name"), "QakBot");
    json_t *r0 = by_type(objs, "relationship", 0);
    assert_string_equal(str(r0, "source_ref"), str(i0, "id"));
    assert_string_equal(str(r0, "relationship_type"), "indicates");
    json_decref(b);
    json_decref(b2);
    free(text);
    free(again);
}

static void test_stix_tlp(void **state)
{
    (void)state;
    static const struct {
        enum ta_tlp t;
        const char *id;
    } want[] = {
        {TA_TLP_CLEAR, "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
        {TA_TLP_WHITE, "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
        {TA_TLP_GREEN, "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
        {TA_TLP_RED, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct ta_share_meta m = meta;
        m.tlp = want[i].t;
        char *text = NULL;
        json_t *b = run(ta_share_write_stix, &m, &text);
        json_t *objs = json_object_get(b, "objects");
        assert_string_equal(str(by_type(objs, "marking-definition", 0), "id"), want[i].id);
        json_t *ind = by_type(objs, "indicator", 0);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(ind, "object_marking_refs"), 0)),
            want[i].id);
        json_decref(b);
        free(text);
    }
    enum ta_tlp t;
    assert_true(ta_tlp_parse("TLP:Amber", &t));
    assert_int_equal(t, TA_TLP_AMBER);
    assert_false(ta_tlp_parse("purple", &t));
    assert_false(ta_tlp_parse("", &t));
}

static void test_misp(void **state)
{
    (void)state;
    char *text = NULL;
    json_t *root = run(ta_share_write_misp, &meta, &text);
    json_t *ev = json_object_get(root, "Event");
    assert_string_equal(str(json_object_get(ev, "Orgc"), "name"), "Example CERT");
    assert_string_equal(str(ev, "date"), "2014-03-19");
    json_t *tags = json_object_get(ev, "Tag");
    /* Several kinds: the TLP only at event level. */
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(str(json_array_get(tags, 0), "name"), "tlp:amber");
    json_t *attrs = json_object_get(ev, "Attribute");
    assert_int_equal(json_array_size(attrs), NIND);
    static const char *const types[] = {"ip-dst", "url", "domain", "ip-src"};
    static const char *const kinds[] = {"ecsirt:malicious-code=\"c2server\"",
                                        "ecsirt:fraud=\"phishing\"", "ecsirt:fraud=\"phishing\"",
                                        "ecsirt:intrusions=\"backdoor\""};
    for (size_t i = 0; i < NIND; i++) {
        json_t *a = json_array_get(attrs, i);
        assert_string_equal(str(a, "type"), types[i]);
        assert_string_equal(str(a, "value"), inds[i].value);
        assert_true(json_is_true(json_object_get(a, "to_ids")));
        assert_string_equal(str(json_array_get(json_object_get(a, "Tag"), 0), "name"), kinds[i]);
    }
    json_t *a0 = json_array_get(attrs, 0);
    assert_string_equal(str(a0, "first_seen"), "2014-03-19T00:00:00.001500+00:00");
    assert_string_equal(str(a0, "comment"), "C2 server located in US, AS3356; 2000000000 events");
    assert_string_equal(str(json_array_get(json_object_get(a0, "Tag"), 1), "name"),
                        "misp-galaxy:malpedia=\"QakBot\"");
    json_t *sg = json_object_get(a0, "Sighting");
    assert_int_equal(json_array_size(sg), 2);
    assert_string_equal(str(json_array_get(sg, 0), "date_sighting"), "1395187200");
    assert_string_equal(str(json_array_get(sg, 1), "date_sighting"), "1395273600");
    /* First and last seen the same: one sighting. */
    assert_int_equal(json_array_size(json_object_get(json_array_get(attrs, 1), "Sighting")), 1);
    json_decref(root);
    free(text);

    /* One kind: its taxonomy tag on the event too. */
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(ta_share_write_misp(&inds[1], 2, &meta, f), TA_OK);
    fclose(f);
    root = json_loads(text, 0, NULL);
    assert_non_null(root);
    tags = json_object_get(json_object_get(root, "Event"), "Tag");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(str(json_array_get(tags, 1), "name"), "ecsirt:fraud=\"phishing\"");
    json_decref(root);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stix),
        cmocka_unit_test(test_stix_tlp),
        cmocka_unit_test(test_misp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
