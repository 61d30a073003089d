/*
 * Unit tests for the intel match index layout (src/intel/intel-index.c):
 * IPv4 ranges around the /20 jump-table slots and /24 boundaries, nested
 * prefixes crossing slots, crowded slots (the in-slot search), the whole
 * address space, IPv6 around its /16 directory, IP:port marks, allowlist
 * suppression inside nested prefixes, kind masks against the per-answer kind
 * summary, a randomised cross-check of IPv4 longest-prefix matching against
 * brute force, and domain lookups through the Bloom filter at scale.
 */
#include "testutil.h"

#include <unistd.h>

#include "threatatlas/intel.h"

static void tmp_db(char *path, size_t len)
{
    static int seq;
    snprintf(path, len, "/tmp/ta-test-intel-index-%d-%d.db", (int)getpid(), seq++);
    unlink(path);
}

static void rm_db(const char *path)
{
    char w[1100];
    unlink(path);
    snprintf(w, sizeof(w), "%s-wal", path);
    unlink(w);
    snprintf(w, sizeof(w), "%s-shm", path);
    unlink(w);
}

struct fixture {
    char path[1024];
    struct ta_intel_db *db;
    struct ta_intel_index *idx;
};

static void build(struct fixture *f, const struct ta_intel_indicator *inds, size_t n)
{
    tmp_db(f->path, sizeof(f->path));
    char err[256];
    assert_int_equal(ta_intel_db_open(f->path, &f->db, err, sizeof(err)), TA_OK);
    struct ta_intel_load_result r;
    assert_int_equal(ta_intel_db_insert(f->db, inds, n, &r), TA_OK);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(ta_intel_index_build(f->db, NULL, &f->idx), TA_OK);
}

static void done(struct fixture *f)
{
    ta_intel_index_free(f->idx);
    ta_intel_db_close(f->db);
    rm_db(f->path);
}

#define IND(t, k, v)                                                                               \
    {                                                                                              \
        .type = (t), .kind = (k), .value = (v), .source = "s", .confidence = 50                    \
    }
#define C2    TA_INTEL_KIND_C2
#define SCAN  TA_INTEL_KIND_SCANNER
#define OTHER TA_INTEL_KIND_OTHER
#define ALLOW TA_INTEL_KIND_ALLOW

static struct ta_intel_match m[8];

static size_t mip(const struct fixture *f, const char *a, uint16_t port, uint32_t kinds)
{
    struct ta_addr addr;
    assert_true(ta_addr_parse(&addr, a));
    return ta_intel_match_ip(f->idx, &addr, port, 0, kinds, m, 8);
}

static uint64_t suppressed(const struct fixture *f)
{
    struct ta_intel_index_stats st;
    ta_intel_index_stats(f->idx, &st);
    return st.suppressed;
}

/* The allow entry covering an address ("" when none). */
static const char *allow_of(const struct fixture *f, const char *a)
{
    struct ta_addr addr;
    static struct ta_intel_match al;
    assert_true(ta_addr_parse(&addr, a));
    return ta_intel_allow_ip(f->idx, &addr, &al) ? al.value : "";
}

/* /24s on both sides of a /20 slot boundary, and a range ending exactly at
 * one: each address decides by its own range, not by its slot's first. */
static void test_slot_boundaries(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_CIDR, C2, "10.0.15.0/24"),
        IND(TA_INTEL_CIDR, SCAN, "10.0.16.0/24"),
        IND(TA_INTEL_CIDR, C2, "10.0.32.0/20"),
        IND(TA_INTEL_IP, C2, "10.0.47.255"),
        IND(TA_INTEL_IP, OTHER, "10.0.48.0"),
        IND(TA_INTEL_CIDR, C2, "10.1.0.0/19"),
        IND(TA_INTEL_IP, C2, "0.0.0.0"),
        IND(TA_INTEL_IP, C2, "255.255.255.255"),
        IND(TA_INTEL_CIDR, C2, "255.255.248.0/21"),
    };
    struct fixture f;
    build(&f, inds, sizeof(inds) / sizeof(inds[0]));
    assert_int_equal(mip(&f, "10.0.14.255", 0, 0), 0);
    assert_int_equal(mip(&f, "10.0.15.0", 0, 0), 1);
    assert_string_equal(m[0].value, "10.0.15.0/24");
    assert_int_equal(mip(&f, "10.0.15.255", 0, 0), 1);
    assert_string_equal(m[0].value, "10.0.15.0/24");
    assert_int_equal(mip(&f, "10.0.16.0", 0, 0), 1);
    assert_string_equal(m[0].value, "10.0.16.0/24");
    assert_int_equal(m[0].kind, SCAN);
    assert_int_equal(mip(&f, "10.0.16.255", 0, 0), 1);
    assert_int_equal(mip(&f, "10.0.17.0", 0, 0), 0);
    assert_int_equal(mip(&f, "10.0.31.255", 0, 0), 0);
    /* A prefix filling one slot exactly (the slot holds the answer itself). */
    assert_int_equal(mip(&f, "10.0.32.0", 0, 0), 1);
    assert_int_equal(m[0].prefix_len, 20);
    assert_int_equal(mip(&f, "10.0.40.7", 0, 0), 1);
    assert_int_equal(mip(&f, "10.0.47.254", 0, 0), 1);
    assert_int_equal(mip(&f, "10.0.47.255", 0, 0), 2);
    assert_string_equal(m[0].value, "10.0.47.255");
    assert_string_equal(m[1].value, "10.0.32.0/20");
    assert_int_equal(mip(&f, "10.0.48.0", 0, 0), 1);
    assert_int_equal(m[0].kind, OTHER);
    assert_int_equal(mip(&f, "10.0.48.1", 0, 0), 0);
    /* A prefix spanning two whole slots. */
    assert_int_equal(mip(&f, "10.1.0.0", 0, 0), 1);
    assert_int_equal(mip(&f, "10.1.16.0", 0, 0), 1);
    assert_int_equal(mip(&f, "10.1.31.255", 0, 0), 1);
    assert_int_equal(mip(&f, "10.1.32.0", 0, 0), 0);
    assert_int_equal(mip(&f, "9.255.255.255", 0, 0), 0);
    /* Both ends of the address space. */
    assert_int_equal(mip(&f, "0.0.0.0", 0, 0), 1);
    assert_int_equal(mip(&f, "0.0.0.1", 0, 0), 0);
    assert_int_equal(mip(&f, "255.255.255.255", 0, 0), 2);
    assert_int_equal(m[1].prefix_len, 21);
    assert_int_equal(mip(&f, "255.255.255.254", 0, 0), 1);
    assert_int_equal(mip(&f, "255.255.247.255", 0, 0), 0);
    done(&f);
}

/* Nested prefixes whose inner ones straddle slots, plus a default route:
 * the outer prefix is split into many ranges that must all answer it. */
static void test_nested_across_slots(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_CIDR, OTHER, "0.0.0.0/0"),     IND(TA_INTEL_CIDR, OTHER, "172.16.0.0/12"),
        IND(TA_INTEL_CIDR, SCAN, "172.16.8.0/21"),  IND(TA_INTEL_CIDR, SCAN, "172.16.16.0/21"),
        IND(TA_INTEL_IP, C2, "172.16.15.255"),      IND(TA_INTEL_IP, C2, "172.16.16.0"),
        IND(TA_INTEL_CIDR, C2, "172.16.15.128/25"), IND(TA_INTEL_CIDR, C2, "172.31.255.0/24"),
    };
    struct fixture f;
    build(&f, inds, sizeof(inds) / sizeof(inds[0]));
    assert_int_equal(mip(&f, "172.16.15.255", 0, 0), 5);
    static const uint8_t want_len[] = {32, 25, 21, 12, 0};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(m[i].prefix_len, want_len[i]);
    assert_string_equal(m[2].value, "172.16.8.0/21");
    assert_int_equal(mip(&f, "172.16.15.127", 0, 0), 3);
    assert_int_equal(mip(&f, "172.16.16.0", 0, 0), 4);
    assert_string_equal(m[1].value, "172.16.16.0/21");
    assert_int_equal(mip(&f, "172.16.16.1", 0, 0), 3);
    assert_int_equal(mip(&f, "172.16.24.0", 0, 0), 2);
    assert_int_equal(mip(&f, "172.16.7.255", 0, 0), 2);
    assert_int_equal(mip(&f, "172.31.255.255", 0, 0), 3);
    assert_int_equal(mip(&f, "172.32.0.0", 0, 0), 1);
    assert_int_equal(m[0].prefix_len, 0);
    assert_int_equal(mip(&f, "1.2.3.4", 0, 0), 1);
    /* Kind masks use the per-range kind summary: c2 only where a c2 prefix is. */
    assert_int_equal(mip(&f, "172.16.15.255", 0, TA_INTEL_KIND_BIT(C2)), 2);
    assert_int_equal(mip(&f, "172.16.16.1", 0, TA_INTEL_KIND_BIT(C2)), 0);
    assert_int_equal(mip(&f, "172.16.16.1", 0, TA_INTEL_KIND_BIT(SCAN)), 1);
    assert_int_equal(mip(&f, "1.2.3.4", 0, TA_INTEL_KIND_BIT(SCAN) | TA_INTEL_KIND_BIT(C2)), 0);
    assert_int_equal(mip(&f, "172.16.16.0", 0, TA_INTEL_KIND_BIT(SCAN) | TA_INTEL_KIND_BIT(C2)), 2);
    /* max cuts the list, most specific first. */
    struct ta_addr a;
    assert_true(ta_addr_parse(&a, "172.16.15.255"));
    assert_int_equal(ta_intel_match_ip(f.idx, &a, 0, 0, 0, m, 2), 2);
    assert_int_equal(m[1].prefix_len, 25);
    assert_int_equal(suppressed(&f), 0);
    done(&f);
}

/* Many ranges inside one /20 slot: the in-slot search must find each. */
static void test_crowded_slot(void **state)
{
    (void)state;
    enum { N = 600 };
    static char vals[N + 1][32];
    static struct ta_intel_indicator inds[N + 1];
    for (unsigned i = 0; i < N; i++) {
        unsigned a = 2 * i + 1; /* odd offsets in 192.168.0.0/20 */
        snprintf(vals[i], sizeof(vals[i]), "192.168.%u.%u", a >> 8, a & 255);
        inds[i] = (struct ta_intel_indicator)IND(TA_INTEL_IP, C2, vals[i]);
    }
    snprintf(vals[N], sizeof(vals[N]), "192.168.0.0/20");
    inds[N] = (struct ta_intel_indicator)IND(TA_INTEL_CIDR, SCAN, vals[N]);
    struct fixture f;
    build(&f, inds, N + 1);
    struct ta_intel_index_stats st;
    ta_intel_index_stats(f.idx, &st);
    /* In the /20: N /32s, N gaps before them, the tail; around it two empty
     * ranges; IPv6 one empty range. */
    assert_int_equal(st.ip_ranges, 2 * N + 1 + 2 + 1);
    for (unsigned a = 0; a < 4096; a++) {
        char t[32];
        snprintf(t, sizeof(t), "192.168.%u.%u", a >> 8, a & 255);
        size_t want = (a % 2 == 1 && a < 2 * N) ? 2 : 1;
        assert_int_equal(mip(&f, t, 0, 0), want);
        if (want == 2)
            assert_string_equal(m[0].value, t);
    }
    assert_int_equal(mip(&f, "192.168.16.0", 0, 0), 0);
    assert_int_equal(mip(&f, "192.167.255.255", 0, 0), 0);
    done(&f);
}

/* IPv6 around the /16 directory, nesting and both ends of the space. */
static void test_ipv6(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_CIDR, OTHER, "2001:db8::/32"),
        IND(TA_INTEL_CIDR, C2, "2001:db8:ffff::/48"),
        IND(TA_INTEL_IP, C2, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        IND(TA_INTEL_CIDR, SCAN, "2000::/15"),
        IND(TA_INTEL_IP, C2, "::"),
        IND(TA_INTEL_CIDR, C2, "ffff::/16"),
        IND(TA_INTEL_IP, C2, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        IND(TA_INTEL_IP, C2, "10.0.0.1"),
    };
    struct fixture f;
    build(&f, inds, sizeof(inds) / sizeof(inds[0]));
    assert_int_equal(mip(&f, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0), 4);
    assert_int_equal(m[0].prefix_len, 128);
    assert_int_equal(m[1].prefix_len, 48);
    assert_int_equal(m[2].prefix_len, 32);
    assert_int_equal(m[3].prefix_len, 15);
    assert_int_equal(mip(&f, "2001:db9::", 0, 0), 1);
    assert_int_equal(mip(&f, "2001:0:1::1", 0, 0), 1);
    assert_int_equal(mip(&f, "2000:ffff::1", 0, 0), 1); /* 2000::/15 ends at 2001:ffff:... */
    assert_int_equal(mip(&f, "2000::", 0, 0), 1);
    assert_int_equal(mip(&f, "2002::", 0, 0), 0);
    assert_int_equal(mip(&f, "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0), 0);
    assert_int_equal(mip(&f, "::", 0, 0), 1);
    assert_int_equal(mip(&f, "::1", 0, 0), 0);
    assert_int_equal(mip(&f, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0), 2);
    assert_int_equal(mip(&f, "fffe:ffff::", 0, 0), 0);
    /* Families stay apart: the v4 address is not ::ffff:10.0.0.1 nor ::a00:1. */
    assert_int_equal(mip(&f, "10.0.0.1", 0, 0), 1);
    assert_int_equal(mip(&f, "::ffff:10.0.0.1", 0, 0), 0);
    assert_int_equal(mip(&f, "::a00:1", 0, 0), 0);
    done(&f);
}

/* IP:port items: alone, inside a CIDR, IPv6, with kind masks and an allow. */
static void test_ip_port(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_IP_PORT, C2, "198.51.100.7:443"),
        IND(TA_INTEL_IP_PORT, SCAN, "198.51.100.7:22"),
        IND(TA_INTEL_CIDR, OTHER, "203.0.113.0/24"),
        IND(TA_INTEL_IP_PORT, C2, "203.0.113.9:8080"),
        IND(TA_INTEL_IP_PORT, C2, "[2001:db8::5]:443"),
        IND(TA_INTEL_IP_PORT, C2, "192.0.2.1:53"),
        IND(TA_INTEL_IP_PORT, ALLOW, "192.0.2.1:53"),
        IND(TA_INTEL_IP_PORT, C2, "192.0.2.2:80"),
        IND(TA_INTEL_IP, ALLOW, "192.0.2.2"),
    };
    struct fixture f;
    build(&f, inds, sizeof(inds) / sizeof(inds[0]));
    assert_int_equal(mip(&f, "198.51.100.7", 443, 0), 1);
    assert_string_equal(m[0].value, "198.51.100.7:443");
    assert_int_equal(m[0].prefix_len, 32);
    /* No port (ICMP, other protocols): IP:port indicators never match. */
    assert_int_equal(mip(&f, "198.51.100.7", 0, 0), 0);
    assert_int_equal(mip(&f, "198.51.100.7", 80, 0), 0);
    assert_int_equal(mip(&f, "198.51.100.7", 22, TA_INTEL_KIND_BIT(C2)), 0);
    assert_int_equal(mip(&f, "198.51.100.7", 22, TA_INTEL_KIND_BIT(SCAN)), 1);
    assert_string_equal(m[0].value, "198.51.100.7:22");
    assert_int_equal(mip(&f, "198.51.100.7", 0, TA_INTEL_KIND_BIT(SCAN)), 0);
    assert_int_equal(mip(&f, "198.51.100.6", 0, 0), 0);
    assert_int_equal(mip(&f, "198.51.100.8", 0, 0), 0);
    /* Inside a CIDR: the IP:port first, then the network. */
    assert_int_equal(mip(&f, "203.0.113.9", 8080, 0), 2);
    assert_string_equal(m[0].value, "203.0.113.9:8080");
    assert_string_equal(m[1].value, "203.0.113.0/24");
    assert_int_equal(mip(&f, "203.0.113.9", 80, 0), 1);
    assert_int_equal(mip(&f, "203.0.113.9", 0, 0), 1);
    assert_string_equal(m[0].value, "203.0.113.0/24");
    assert_int_equal(mip(&f, "203.0.113.9", 8080, TA_INTEL_KIND_BIT(OTHER)), 1);
    assert_int_equal(mip(&f, "203.0.113.10", 8080, 0), 1);
    assert_int_equal(mip(&f, "2001:db8::5", 443, 0), 1);
    assert_int_equal(m[0].prefix_len, 128);
    assert_int_equal(mip(&f, "2001:db8::5", 0, 0), 0);
    assert_int_equal(mip(&f, "2001:db8::5", 444, 0), 0);
    assert_int_equal(mip(&f, "2001:db8::4", 443, 0), 0);
    /* Matches are never hidden by the allowlist; an allow IP:port entry does
     * not cover the address, an allow address does. (One row per value,
     * source and kind: "s" lists 192.0.2.1:53 as c2 and as allow, both kept.) */
    assert_int_equal(mip(&f, "192.0.2.1", 53, 0), 1);
    assert_int_equal(m[0].kind, C2);
    assert_int_equal(mip(&f, "192.0.2.1", 53, TA_INTEL_KIND_BIT(ALLOW)), 1);
    assert_int_equal(m[0].kind, ALLOW);
    assert_int_equal(mip(&f, "192.0.2.1", 0, 0), 0);
    assert_string_equal(allow_of(&f, "192.0.2.1"), "");
    assert_int_equal(mip(&f, "192.0.2.2", 80, TA_INTEL_KIND_BIT(SCAN)), 0);
    assert_int_equal(mip(&f, "192.0.2.2", 80, 0), 1);
    assert_string_equal(allow_of(&f, "192.0.2.2"), "192.0.2.2");
    assert_int_equal(suppressed(&f), 0);
    done(&f);
}

/* Allow entries nested in listed networks and around listed addresses: the
 * matches stay, the allow lookup gives the most specific allow entry. */
static void test_allow_nested(void **state)
{
    (void)state;
    struct ta_intel_indicator inds[] = {
        IND(TA_INTEL_CIDR, C2, "100.64.0.0/16"),    IND(TA_INTEL_IP, ALLOW, "100.64.1.1"),
        IND(TA_INTEL_CIDR, ALLOW, "100.65.0.0/24"), IND(TA_INTEL_IP, C2, "100.65.0.9"),
        IND(TA_INTEL_IP, C2, "100.66.0.1"),         IND(TA_INTEL_IP, ALLOW, "100.66.0.1"),
        IND(TA_INTEL_IP, SCAN, "100.67.0.1"),       IND(TA_INTEL_CIDR, ALLOW, "100.65.0.0/16"),
    };
    struct fixture f;
    build(&f, inds, sizeof(inds) / sizeof(inds[0]));
    assert_int_equal(mip(&f, "100.64.1.1", 0, 0), 1);
    assert_string_equal(m[0].value, "100.64.0.0/16");
    assert_string_equal(allow_of(&f, "100.64.1.1"), "100.64.1.1");
    assert_int_equal(mip(&f, "100.64.1.2", 0, 0), 1);
    assert_string_equal(allow_of(&f, "100.64.1.2"), "");
    assert_int_equal(mip(&f, "100.65.0.9", 0, 0), 1);
    assert_string_equal(allow_of(&f, "100.65.0.9"), "100.65.0.0/24");
    assert_int_equal(mip(&f, "100.65.0.8", 0, 0), 0);
    assert_string_equal(allow_of(&f, "100.65.0.8"), "100.65.0.0/24");
    assert_string_equal(allow_of(&f, "100.65.1.8"), "100.65.0.0/16");
    /* The same source lists it as c2 and as allow: the match stays, the allow entry is told. */
    assert_int_equal(mip(&f, "100.66.0.1", 0, 0), 1);
    assert_int_equal(m[0].kind, C2);
    assert_string_equal(allow_of(&f, "100.66.0.1"), "100.66.0.1");
    /* Asking for allow explicitly lists the allow entries. */
    assert_int_equal(mip(&f, "100.64.1.1", 0, TA_INTEL_KIND_BIT(ALLOW)), 1);
    assert_string_equal(m[0].value, "100.64.1.1");
    assert_int_equal(mip(&f, "100.67.0.1", 0, TA_INTEL_KIND_BIT(C2)), 0);
    assert_int_equal(mip(&f, "100.67.0.1", 0, 0), 1);
    assert_string_equal(allow_of(&f, "100.67.0.1"), "");
    assert_int_equal(suppressed(&f), 0);
    done(&f);
}

/* Random nested IPv4 prefixes in a small universe against brute force. */
struct bp {
    uint32_t net;
    unsigned len;
    enum ta_intel_kind kind;
};

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random_v4_vs_bruteforce(void **state)
{
    (void)state;
    enum { N = 800, Q = 6000 };
    static struct bp p[N];
    static char vals[N][32];
    static struct ta_intel_indicator inds[N];
    static const enum ta_intel_kind kinds[] = {C2, SCAN, OTHER};
    size_t n = 0;
    while (n < N) {
        /* 10.0.0.0/14 holds 64 /20 slots: prefixes /14 - /32 nest and crowd. */
        unsigned len = 14 + (unsigned)(rnd() % 19);
        uint32_t net =
            (0x0a000000u | (uint32_t)(rnd() & 0x3ffff)) & (len == 0 ? 0 : ~0u << (32 - len));
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = p[i].net == net && p[i].len == len;
        if (dup)
            continue;
        p[n] = (struct bp){net, len, kinds[rnd() % 3]};
        snprintf(vals[n], sizeof(vals[n]), "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255, net & 255, len);
        inds[n] = (struct ta_intel_indicator)IND(TA_INTEL_CIDR, p[n].kind, vals[n]);
        n++;
    }
    struct fixture f;
    build(&f, inds, N);
    struct ta_intel_match mm[40];
    for (size_t q = 0; q < Q; q++) {
        uint32_t a = 0x0a000000u | (uint32_t)(rnd() & 0x3ffff);
        if (q % 4 == 0) /* edges of listed prefixes */
            a = p[rnd() % N].net - (q % 8 == 0);
        uint32_t mask = q % 3 == 0 ? TA_INTEL_KIND_BIT(C2) : 0;
        uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        struct ta_addr addr;
        ta_addr_set_v4(&addr, b);
        size_t got = ta_intel_match_ip(f.idx, &addr, 0, 0, mask, mm, 40);
        /* Expected: covering prefixes of a wanted kind, longest first. */
        uint64_t lens = 0;
        for (size_t i = 0; i < N; i++) {
            uint32_t pm = p[i].len == 0 ? 0 : ~0u << (32 - p[i].len);
            if ((a & pm) == p[i].net && (mask == 0 || p[i].kind == C2))
                lens |= 1ull << p[i].len;
        }
        unsigned want_len[40];
        size_t nw = 0;
        for (int len = 32; len >= 0; len--)
            if (lens & (1ull << len))
                want_len[nw++] = (unsigned)len;
        assert_int_equal(got, nw);
        for (size_t i = 0; i < got; i++) {
            assert_int_equal(mm[i].prefix_len, want_len[i]);
            if (mask != 0)
                assert_int_equal(mm[i].kind, C2);
        }
    }
    done(&f);
}

/* Many domains: every listed one (and its subdomains) is found through the
 * filter and the tagged slots; unlisted siblings and parents are not. */
static void test_domains_at_scale(void **state)
{
    (void)state;
    enum { N = 5000 };
    static char vals[N][40];
    static struct ta_intel_indicator inds[N + 1];
    for (size_t i = 0; i < N; i++) {
        snprintf(vals[i], sizeof(vals[i]), "h%zu.zone%zu.example", i, i % 37);
        inds[i] = (struct ta_intel_indicator)IND(TA_INTEL_DOMAIN, C2, vals[i]);
        inds[i].exact = i % 10 == 0;
    }
    inds[N] = (struct ta_intel_indicator)IND(TA_INTEL_DOMAIN, SCAN, "zone3.example");
    struct fixture f;
    build(&f, inds, N + 1);
    for (size_t i = 0; i < N; i++) {
        char q[80];
        snprintf(q, sizeof(q), "H%zu.Zone%zu.EXAMPLE.", i, i % 37);
        size_t want = i % 37 == 3 ? 2 : 1;
        assert_int_equal(ta_intel_match_domain(f.idx, q, strlen(q), 0, 0, m, 8), want);
        assert_string_equal(m[0].value, vals[i]);
        snprintf(q, sizeof(q), "a.b.%.40s", vals[i]);
        want = (i % 10 == 0 ? 0 : 1) + (i % 37 == 3 ? 1 : 0);
        assert_int_equal(ta_intel_match_domain(f.idx, q, strlen(q), 0, 0, m, 8), want);
        snprintf(q, sizeof(q), "x%zu.zone%zu.example", i, i % 37);
        assert_int_equal(ta_intel_match_domain(f.idx, q, strlen(q), 0, 0, m, 8), i % 37 == 3);
    }
    assert_int_equal(ta_intel_match_domain(f.idx, "example", 7, 0, 0, m, 8), 0);
    /* The longest name: 126 one-letter labels under a listed domain. */
    char longq[256];
    size_t l = 0;
    for (int i = 0; i < 118; i++) {
        longq[l++] = 'a';
        longq[l++] = '.';
    }
    l += (size_t)snprintf(longq + l, sizeof(longq) - l, "%s", vals[1]);
    assert_int_equal(l, 236 + strlen(vals[1]));
    assert_int_equal(ta_intel_match_domain(f.idx, longq, l, 0, 0, m, 8), 1);
    assert_string_equal(m[0].value, vals[1]);
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_boundaries),
        cmocka_unit_test(test_nested_across_slots),
        cmocka_unit_test(test_crowded_slot),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_ip_port),
        cmocka_unit_test(test_allow_nested),
        cmocka_unit_test(test_random_v4_vs_bruteforce),
        cmocka_unit_test(test_domains_at_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
