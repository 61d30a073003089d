/*
 * Unit tests for feeds as they are published: private and special-purpose
 * addresses refused, Bambenek C&C master lists, Spamhaus DROP (and ASN-DROP
 * unsupported), URLhaus's country/ASN feeds, gzip and zip files, Suricata
 * iprep with its categories file, Zeek SHA-512 hashes, maltrail TLD trails,
 * date offsets and unreadable dates, an ET rules file with no rule in it, ET's
 * JA3/JA3S rules and Zeek certificate hashes, abuse.ch SSLBL's JA3 and
 * certificate CSVs.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "threatatlas/intel.h"

#define SEC 1000000ull

#define NEED_DATA(d)                                                                               \
    do {                                                                                           \
        if ((d) == NULL) {                                                                         \
            const char *ci = getenv("CI");                                                         \
            if (ci != NULL && strcmp(ci, "true") == 0)                                             \
                fail_msg("CI: ../shared/data is absent");                                          \
            TU_SKIP_NO_DATA(d);                                                                    \
        }                                                                                          \
    } while (0)

#define MAXV 64
struct got {
    size_t n;
    struct {
        char value[160];
        char family[64];
        enum ta_intel_type type;
        enum ta_intel_kind kind;
        ta_time_us first, last;
    } v[MAXV];
};

static ta_err keep(void *user, const struct ta_intel_indicator *ind)
{
    struct got *g = user;
    if (g->n < MAXV) {
        snprintf(g->v[g->n].value, sizeof(g->v[g->n].value), "%s", ind->value);
        snprintf(g->v[g->n].family, sizeof(g->v[g->n].family), "%s",
                 ind->family != NULL ? ind->family : "");
        g->v[g->n].type = ind->type;
        g->v[g->n].kind = ind->kind;
        g->v[g->n].first = ind->first_seen;
        g->v[g->n].last = ind->last_seen;
    }
    g->n++;
    return TA_OK;
}

static ta_err parse(const char *text, const struct ta_intel_load_opts *o, struct got *g,
                    struct ta_intel_load_result *r)
{
    memset(g, 0, sizeof(*g));
    return ta_intel_parse((const uint8_t *)text, strlen(text), o, keep, g, r);
}

static ta_err parse_shared(const char *rel, struct got *g, struct ta_intel_load_result *r)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tu_shared_data(), rel);
    size_t len = 0;
    uint8_t *b = tu_read_file(path, &len);
    assert_non_null(b);
    struct ta_intel_load_opts o = {.file_name = path};
    memset(g, 0, sizeof(*g));
    ta_err e = ta_intel_parse(b, len, &o, keep, g, r);
    free(b);
    return e;
}

#define PARSERS "intelmq-feed-samples/intelmq/tests/bots/parsers"

/* ---- private and special-purpose addresses ------------------------------- */

static void test_reserved_refused(void **state)
{
    (void)state;
    const char *t = "10.1.2.3\n"
                    "172.16.5.5\n"
                    "192.168.1.1\n"
                    "100.64.0.1\n"
                    "127.0.0.1\n"
                    "169.254.1.1\n"
                    "192.0.2.1\n"
                    "198.51.100.7\n"
                    "203.0.113.9\n"
                    "224.0.0.251\n"
                    "0.0.0.0\n"
                    "fd00::1\n"
                    "fe80::1\n"
                    "2001:db8::1\n"
                    "::1\n"
                    "192.168.1.1:8080\n"
                    "http://10.0.0.5/gate.php\n"
                    "http://[fd12::5]/x\n"
                    "11.0.0.0/7\n"  /* covers 10.0.0.0/8 */
                    "0.0.0.0/0\n"   /* covers everything */
                    "8.8.8.8\n"     /* public */
                    "1.0.0.0/8\n"   /* public */
                    "172.32.0.1\n"  /* just past 172.16.0.0/12 */
                    "100.128.0.1\n" /* just past 100.64.0.0/10 */
                    "2a00:1450::1\n"
                    "http://9.9.9.9/x\n"
                    "evil.example\n";
    struct ta_intel_load_opts o = {
        .format = TA_INTEL_FMT_PLAIN, .have_kind = true, .kind = TA_INTEL_KIND_C2};
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(t, &o, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 7);
    assert_int_equal(r.rejected, 20);
    assert_int_equal(r.reserved, 20);
    assert_string_equal(g.v[0].value, "8.8.8.8");
    assert_string_equal(g.v[1].value, "1.0.0.0/8");
    assert_string_equal(g.v[2].value, "172.32.0.1");
    assert_string_equal(g.v[3].value, "100.128.0.1");
    assert_string_equal(g.v[6].value, "evil.example");
    assert_int_equal(r.shown[0].line, 1);
    assert_string_equal(r.shown[0].reason, "not a public address (private, RFC 1918): '10.1.2.3'");
    assert_string_equal(r.shown[3].reason,
                        "not a public address (shared CGNAT, RFC 6598): '100.64.0.1'");
    assert_string_equal(r.shown[6].reason,
                        "not a public address (documentation, RFC 5737): '192.0.2.1'");

    /* Asked for (a lab's own feed), they are kept. */
    o.allow_private = true;
    assert_int_equal(parse(t, &o, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 27);
    assert_int_equal(r.reserved, 0);

    /* An allow list may name private space. */
    struct ta_intel_load_opts al = {
        .format = TA_INTEL_FMT_PLAIN, .have_kind = true, .kind = TA_INTEL_KIND_ALLOW};
    assert_int_equal(parse("10.0.0.0/8\n192.168.0.0/16\n", &al, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 2);

    /* A feed of nothing but private addresses imports nothing: an error. */
    assert_int_equal(parse("# Feodo Tracker\n10.0.0.1\n", &(struct ta_intel_load_opts){0}, &g, &r),
                     TA_ERR_FORMAT);
    assert_int_equal(r.reserved, 1);
}

/* ---- Bambenek, Spamhaus ---------------------------------------------------- */

static void test_bambenek(void **state)
{
    (void)state;
    NEED_DATA(tu_shared_data());
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse_shared(PARSERS "/bambenek/c2-ipmasterlist.txt", &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_BAMBENEK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.rejected, 0);
    assert_string_equal(g.v[0].value, "213.247.47.190");
    assert_int_equal(g.v[0].type, TA_INTEL_IP);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[0].family, "shiotob/urlzone/bebloh");
    assert_int_equal(g.v[0].first, 1478973720ull * SEC); /* 2016-11-12 18:02 UTC */

    assert_int_equal(parse_shared(PARSERS "/bambenek/c2-dommasterlist.txt", &g, &r), TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_string_equal(g.v[0].value, "sfkh21okrrnlu.com");
    assert_int_equal(g.v[0].type, TA_INTEL_DOMAIN);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[0].family, "shiotob/urlzone/bebloh");

    assert_int_equal(parse_shared(PARSERS "/bambenek/dga-feed.txt", &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_BAMBENEK);
    assert_string_equal(g.v[0].value, "xqmclnusaswvof.com");
    assert_string_equal(g.v[0].family, "Cryptolocker");
    assert_int_equal(g.v[0].first, 1478736000ull * SEC); /* 2016-11-10 */
}

static void test_spamhaus_drop(void **state)
{
    (void)state;
    NEED_DATA(tu_shared_data());
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse_shared(PARSERS "/spamhaus/drop.txt", &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_SPAMHAUS_DROP);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected + r.unsupported, 0);
    assert_string_equal(g.v[0].value, "1.4.0.0/17");
    assert_int_equal(g.v[0].type, TA_INTEL_CIDR);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_OTHER);
    assert_string_equal(g.v[0].family, "SBL256893");
    assert_string_equal(g.v[1].value, "2a06:e480::/29");
    assert_string_equal(g.v[1].family, "SBL301771");

    /* ASN-DROP names autonomous systems: nothing to hold. */
    assert_int_equal(parse_shared(PARSERS "/spamhaus/asndrop.txt", &g, &r), TA_ERR_FORMAT);
    assert_int_equal(r.format, TA_INTEL_FMT_SPAMHAUS_DROP);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.unsupported, 2);
    assert_string_equal(r.unsup_shown[0].reason, "autonomous system AS260 (ASN-DROP)");
}

/* ---- URLhaus ---------------------------------------------------------------- */

static const char urlhaus_cc[] =
    "################################################################\n"
    "# abuse.ch URLhaus country feed (DE)                           #\n"
    "################################################################\n"
    "#\n"
    "# Dateadded,URL,URL_status,Threat,Host,IPaddress,ASnumber,Country\n"
    "\"2024-03-19 08:01:02\",\"http://45.12.3.4/bins/x.arm7\",\"online\",\"malware_download\","
    "\"45.12.3.4\",\"45.12.3.4\",\"AS24940\",\"DE\"\n"
    "\"2024-03-18 23:59:59\",\"http://dl.badsite.example/a.exe\",\"offline\","
    "\"malware_download\",\"dl.badsite.example\",\"5.9.1.2\",\"AS24940\",\"DE\"\n";

static void test_urlhaus_country(void **state)
{
    (void)state;
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(urlhaus_cc, &(struct ta_intel_load_opts){0}, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_URLHAUS_CSV);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 0);
    /* The URL column, never the status read as a host ("http://online/"). */
    assert_string_equal(g.v[0].value, "http://45.12.3.4/bins/x.arm7");
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_MALWARE_DIST);
    assert_int_equal(g.v[0].first, 1710835262ull * SEC);
    assert_string_equal(g.v[1].value, "http://dl.badsite.example/a.exe");
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void put_le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, unsigned long v)
{
    put_le16(p, (unsigned)(v & 0xffff));
    put_le16(p + 2, (unsigned)(v >> 16));
}

/* A zip archive holding one stored file, as zip(1) writes it with -0. */
static size_t make_zip(uint8_t *z, const char *name, const char *data)
{
    size_t nl = strlen(name), dl = strlen(data);
    unsigned long crc = crc32(0, (const Bytef *)data, (uInt)dl);
    uint8_t *p = z;
    memset(z, 0, 30 + nl + dl + 46 + nl + 22);
    put_le32(p, 0x04034b50);
    put_le16(p + 4, 10);
    put_le32(p + 14, crc);
    put_le32(p + 18, dl);
    put_le32(p + 22, dl);
    put_le16(p + 26, (unsigned)nl);
    memcpy(p + 30, name, nl);
    memcpy(p + 30 + nl, data, dl);
    size_t cd = 30 + nl + dl;
    p = z + cd;
    put_le32(p, 0x02014b50);
    put_le16(p + 4, 20);
    put_le16(p + 6, 10);
    put_le32(p + 16, crc);
    put_le32(p + 20, dl);
    put_le32(p + 24, dl);
    put_le16(p + 28, (unsigned)nl);
    memcpy(p + 46, name, nl);
    size_t end = cd + 46 + nl;
    p = z + end;
    put_le32(p, 0x06054b50);
    put_le16(p + 8, 1);
    put_le16(p + 10, 1);
    put_le32(p + 12, 46 + nl);
    put_le32(p + 16, cd);
    return end + 22;
}

static void test_compressed(void **state)
{
    (void)state;
    char dir[256], path[300], db[300];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "ta-feeds"), 0);
    snprintf(db, sizeof(db), "%s/i.db", dir);
    struct ta_intel_db *d;
    char err[256];
    assert_int_equal(ta_intel_db_open(db, &d, err, sizeof(err)), TA_OK);
    struct ta_intel_load_result r;

    /* URLhaus csv.gz as distributed. */
    snprintf(path, sizeof(path), "%s/csv.gz", dir);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, urlhaus_cc, (unsigned)strlen(urlhaus_cc)),
                     (int)strlen(urlhaus_cc));
    gzclose(gz);
    assert_int_equal(ta_intel_db_import_path(d, path, &(struct ta_intel_load_opts){0}, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_URLHAUS_CSV);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.inserted, 2);

    /* URLhaus csv.zip: the feed is the archive's one file, csv.txt. */
    static uint8_t z[4096];
    size_t zl = make_zip(z, "csv.txt", urlhaus_cc);
    snprintf(path, sizeof(path), "%s/csv.zip", dir);
    write_file(path, z, zl);
    assert_int_equal(ta_intel_db_import_path(d, path, &(struct ta_intel_load_opts){0}, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_URLHAUS_CSV);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.inserted, 0); /* the same two URLs */

    /* A damaged archive (bad CRC) is an unreadable file, not an empty feed. */
    z[30 + 7 + 10] ^= 0x01;
    write_file(path, z, zl);
    assert_int_equal(ta_intel_db_import_path(d, path, &(struct ta_intel_load_opts){0}, &r),
                     TA_ERR_FORMAT);
    ta_intel_db_close(d);
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

/* ---- Suricata iprep, Zeek, maltrail, ET ------------------------------------ */

static void test_iprep_categories(void **state)
{
    (void)state;
    char dir[256], path[300], db[300];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "ta-iprep"), 0);
    snprintf(path, sizeof(path), "%s/categories.txt", dir);
    const char *cats = "1,CnC,Malware Command and Control Server\n"
                       "3,Spam,Known Spam Source\n"
                       "9,FeodoCnC,ET CNC Feodo Tracker\n";
    write_file(path, cats, strlen(cats));
    snprintf(path, sizeof(path), "%s/reputation.list", dir);
    const char *list = "45.9.148.1,9,127\n45.9.148.2,3,40\n45.9.148.3,7,60\n";
    write_file(path, list, strlen(list));
    snprintf(db, sizeof(db), "%s/i.db", dir);
    struct ta_intel_db *d;
    char err[256];
    assert_int_equal(ta_intel_db_open(db, &d, err, sizeof(err)), TA_OK);
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_import_path(d, path, &(struct ta_intel_load_opts){0}, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_IPREP);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_C2], 1);    /* 9: ET CNC Feodo Tracker */
    assert_int_equal(r.by_kind[TA_INTEL_KIND_OTHER], 2); /* spam; 7 is not listed */
    ta_intel_db_close(d);

    /* Without categories every category is other; given ones are used. */
    struct got g;
    assert_int_equal(
        parse(list, &(struct ta_intel_load_opts){.format = TA_INTEL_FMT_IPREP}, &g, &r), TA_OK);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_OTHER], 3);
    struct ta_intel_load_opts o = {.format = TA_INTEL_FMT_IPREP, .iprep_categories = cats};
    assert_int_equal(parse(list, &o, &g, &r), TA_OK);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_int_equal(g.v[1].kind, TA_INTEL_KIND_OTHER);
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

static void test_zeek_sha512(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t),
             "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
             "%s\tIntel::FILE_HASH\tlab\tdropper\n"
             "%s\tIntel::FILE_HASH\tlab\tdropper\n",
             "CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE"
             "47D0D13C5D85F2B0FF8318D2877EEC2F63B931BD47417A81A538327AF927DA3E",
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(t, &(struct ta_intel_load_opts){0}, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_ZEEK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(g.v[0].type, TA_INTEL_SHA512);
    assert_string_equal(g.v[0].value,
                        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    assert_int_equal(g.v[1].type, TA_INTEL_SHA256);
    assert_string_equal(ta_intel_type_name(TA_INTEL_SHA512), "sha512");
}

static void test_maltrail_tld(void **state)
{
    (void)state;
    struct ta_intel_load_opts o = {.file_name = "maltrail/trails/static/suspicious/domain.txt"};
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse("# Maltrail\ntk\n.top\nexample.tk\nbyethost[0-9]+\\.com\n*.dyn.example\n", &o, &g,
              &r),
        TA_OK);
    assert_int_equal(r.accepted, 4);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.unsupported, 1);
    assert_string_equal(g.v[0].value, "tk");
    assert_int_equal(g.v[0].type, TA_INTEL_DOMAIN);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_SUSPICIOUS);
    assert_string_equal(g.v[1].value, "top");
    assert_string_equal(g.v[3].value, "dyn.example"); /* a wildcard, not an expression */
    /* A single label outside the suspicious tree is still not a name. */
    o.file_name = "maltrail/trails/static/malware/fam.txt";
    assert_int_equal(parse("# Maltrail\nlocalhost\nc2.fam.example\n", &o, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.rejected, 1);
}

static void test_et_empty(void **state)
{
    (void)state;
    NEED_DATA(tu_shared_data());
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse_shared("et-open-rules/rules/botcc.portgrouped.rules", &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_ET_RULES);
    assert_int_equal(r.accepted + r.rejected + r.unsupported, 0);
}

/* ET's JA3 rules: one fingerprint each, client (ja3.hash, ja3_hash) or server (ja3s.hash). */
static void test_et_ja3(void **state)
{
    (void)state;
    const char *t =
        "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET JA3 Hash - Suspected Cobalt "
        "Strike Malleable C2 M1 (set)\"; flow:established,to_server; ja3.hash; "
        "content:\"EB88D0B3E1961A0562F006E5CE2A0B87\"; classtype:command-and-control; sid:1; "
        "metadata:malware_family Cobalt_Strike, confidence Low;)\n"
        "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET JA3 Hash - Nikto (tested 2.1.6 "
        "- Kali)\"; ja3_hash; content:\"2cdd6f1f1ff4c5b2e8b7a1f0c8d6e7f1\"; classtype:unknown; "
        "sid:2;)\n"
        "alert tls $EXTERNAL_NET any -> $HOME_NET any (msg:\"ET JA3 HASH - Possible POSHC2 "
        "Server Response\"; ja3s.hash; content:\"649d6810e8392f63dc311eecb6b7098b\"; "
        "classtype:bad-unknown; sid:3;)\n"
        "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET JA3 Hash - mitmproxy\"; "
        "ja3_hash; content:\"386a1ac4a2b2ae7dfd8b5ef2b8a4b9c1\"; classtype:unknown; sid:4;)\n"
        "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET JA3 Hash - broken\"; "
        "ja3_hash; content:\"nothex\"; sid:5;)\n";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse(t, &(struct ta_intel_load_opts){.format = TA_INTEL_FMT_ET_RULES}, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 4);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(g.v[0].value, "eb88d0b3e1961a0562f006e5ce2a0b87");
    assert_int_equal(g.v[0].type, TA_INTEL_JA3);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[0].family, "Cobalt Strike");
    assert_int_equal(g.v[1].type, TA_INTEL_JA3);
    assert_int_equal(g.v[1].kind, TA_INTEL_KIND_SCANNER);
    assert_string_equal(g.v[1].family, "");
    assert_int_equal(g.v[2].type, TA_INTEL_JA3S);
    assert_int_equal(g.v[2].kind, TA_INTEL_KIND_C2);
    assert_int_equal(g.v[3].kind, TA_INTEL_KIND_OTHER);

    /* Zeek's certificate hash is the certificate's SHA-1. */
    assert_int_equal(parse("#fields\tindicator\tindicator_type\tmeta.source\n"
                           "7BB698386970363D2919CC5772846984FFD4A889\tIntel::CERT_HASH\tx\n",
                           &(struct ta_intel_load_opts){0}, &g, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(g.v[0].type, TA_INTEL_SHA1);
    assert_string_equal(g.v[0].value, "7bb698386970363d2919cc5772846984ffd4a889");

    /* The real file: every rule gives a fingerprint, none is skipped any more. */
    NEED_DATA(tu_shared_data());
    assert_int_equal(parse_shared("et-open-rules/rules/emerging-ja3.rules", &g, &r), TA_OK);
    assert_int_equal(r.accepted, 107);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_C2], 86);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_SCANNER], 12);
    assert_int_equal(r.by_kind[TA_INTEL_KIND_OTHER], 9);
}

/* ---- abuse.ch SSLBL ----------------------------------------------------------- */

/* Both CSVs as SSLBL documents them: a comment banner, the column names as a
 * "# " comment line, then the rows. Written here, never copied from the feed. */
static void test_sslbl(void **state)
{
    (void)state;
    const char *ja3 = "################################################################\n"
                      "# abuse.ch SSLBL JA3 Fingerprint Blacklist (CSV)               #\n"
                      "# ja3_md5,Firstseen,Lastseen,Listingreason\n"
                      "B386946A5A44D1DDCC843BC75336DFCE,2017-07-14 18:08:15,2019-07-27 "
                      "20:42:54,Dridex\n"
                      "1aa7bf8b97e540ca5edd75f7b8384bfa,2017-10-24 17:17:34,2017-11-28 "
                      "13:31:06,TrickBot\n"
                      "not-a-hash,2017-10-24 17:17:34,2017-11-28 13:31:06,Broken\n"
                      "0123456789abcdef0123456789abcdef,yesterday,2017-11-28 13:31:06,X\n";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(parse(ja3, &(struct ta_intel_load_opts){0}, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_SSLBL_JA3);
    assert_string_equal(ta_intel_format_name(r.format), "sslbl-ja3");
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.v[0].value, "b386946a5a44d1ddcc843bc75336dfce");
    assert_int_equal(g.v[0].type, TA_INTEL_JA3);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[0].family, "Dridex");
    assert_int_equal(g.v[0].first, 1500055695ull * SEC);
    assert_int_equal(g.v[0].last, 1564260174ull * SEC);
    assert_string_equal(g.v[1].family, "TrickBot");

    const char *cert = "# abuse.ch SSLBL SSL Certificate Blacklist (CSV)\n"
                       "# Listingdate,SHA1,Listingreason\n"
                       "2026-11-30 10:41:46,7BB698386970363D2919CC5772846984FFD4A889,"
                       "AsyncRAT C&C\n"
                       "2026-11-29 08:02:11,2f2aa4a2c1f64a36fa2c6e3f7b11b6f0f0dfcc01,Malware "
                       "C&C\n"
                       "2026-11-29 08:02:11,2f2aa4a2c1f64a36,Short\n";
    assert_int_equal(parse(cert, &(struct ta_intel_load_opts){0}, &g, &r), TA_OK);
    assert_int_equal(r.format, TA_INTEL_FMT_SSLBL_CERT);
    assert_string_equal(ta_intel_format_name(r.format), "sslbl-cert");
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(g.v[0].value, "7bb698386970363d2919cc5772846984ffd4a889");
    assert_int_equal(g.v[0].type, TA_INTEL_SHA1);
    assert_int_equal(g.v[0].kind, TA_INTEL_KIND_C2);
    assert_string_equal(g.v[0].family, "AsyncRAT");
    assert_int_equal(g.v[0].first, 1796035306ull * SEC);
    assert_string_equal(g.v[1].family, "");
    /* Rows alone (the header cut off): by the documented column order, named. */
    enum ta_intel_format f;
    assert_true(ta_intel_format_parse("sslbl-cert", &f));
    assert_int_equal(parse("2026-11-30 10:41:46,7bb698386970363d2919cc5772846984ffd4a889,Qakbot "
                           "C&C\n",
                           &(struct ta_intel_load_opts){.format = f}, &g, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_string_equal(g.v[0].family, "Qakbot");
    assert_true(ta_intel_format_parse("sslbl-ja3", &f));
    assert_int_equal(parse("b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 "
                           "20:42:54,Dridex\n",
                           &(struct ta_intel_load_opts){.format = f}, &g, &r),
                     TA_OK);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(g.v[0].type, TA_INTEL_JA3);
}

/* ---- dates ------------------------------------------------------------------- */

static void test_dates(void **state)
{
    (void)state;
    const char *t =
        "# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n"
        "\"2021-01-17 07:44:46+0200\",\"45.1.1.1\",443,\"online\",\"2021-01-18\",\"Dridex\"\n"
        "\"2021-01-17T07:44:46-05:30\",\"45.1.1.2\",443,\"online\",\"\",\"Dridex\"\n"
        "\"2021-01-17 07:44:46 UTC\",\"45.1.1.3\",443,\"online\",\"None\",\"Dridex\"\n"
        "\"2021-01-17 07:44\",\"45.1.1.4\",443,\"online\",\"\",\"Dridex\"\n"
        "\"yesterday\",\"45.1.1.5\",443,\"online\",\"\",\"Dridex\"\n"
        "\"2021-01-17 07:44:46 +02:00 PST\",\"45.1.1.6\",443,\"online\",\"\",\"Dridex\"\n"
        "\"2021-01-17\",\"45.1.1.7\",443,\"online\",\"2021-13-40\",\"Dridex\"\n";
    struct got g;
    struct ta_intel_load_result r;
    assert_int_equal(
        parse(t, &(struct ta_intel_load_opts){.format = TA_INTEL_FMT_FEODO_CSV}, &g, &r), TA_OK);
    assert_int_equal(r.accepted, 4);
    assert_int_equal(r.rejected, 3);
    const ta_time_us base = 1610869486ull * SEC; /* 2021-01-17 07:44:46 UTC */
    assert_int_equal(g.v[0].first, base - 2 * 3600 * SEC);
    assert_int_equal(g.v[0].last, 1610928000ull * SEC);
    assert_int_equal(g.v[1].first, base + 5 * 3600 * SEC + 30 * 60 * SEC);
    assert_int_equal(g.v[2].first, base);
    assert_int_equal(g.v[2].last, 0);
    assert_int_equal(g.v[3].first, base - 46 * SEC);
    assert_int_equal(r.shown[0].line, 6);
    assert_string_equal(r.shown[0].reason, "unparseable date 'yesterday'");
    assert_int_equal(r.shown[1].line, 7);
    assert_int_equal(r.shown[2].line, 8);
    assert_string_equal(r.shown[2].reason, "unparseable date '2021-13-40'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserved_refused),
        cmocka_unit_test(test_bambenek),
        cmocka_unit_test(test_sslbl),
        cmocka_unit_test(test_spamhaus_drop),
        cmocka_unit_test(test_urlhaus_country),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_iprep_categories),
        cmocka_unit_test(test_zeek_sha512),
        cmocka_unit_test(test_maltrail_tld),
        cmocka_unit_test(test_et_empty),
        cmocka_unit_test(test_et_ja3),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
