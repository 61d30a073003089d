/*
 * Unit test of the IPv4 lookups (ta_intel_match_ip, ta_intel_allow_ip)
 * against a naive reference that scans every indicator: random prefixes of
 * every length /0../32 (nested, overlapping, several kinds on one value),
 * IP:port indicators, allow entries, dated and undated sources, probed at
 * every prefix's first and last address and their neighbours, at 0.0.0.0 and
 * 255.255.255.255 and at random addresses, with and without a time (inside,
 * before and after the windows), a port and kind masks. Every match must be
 * the reference's, in its order (IP:port first, then longest prefix first,
 * entries of one prefix by kind); the same for an index mapped from its
 * cache file.
 */
#include "testutil.h"

#include "threatatlas/intel.h"

#define NIND         400
#define DAY          86400u
#define T0           1700000000u /* seconds: the indicators' dates are around it */
#define GRACE_BEFORE (28u * DAY)
#define GRACE_AFTER  (90u * DAY)

struct ref {
    uint32_t net;
    unsigned len;  /* 0-32 */
    uint16_t port; /* IP:port indicator when != 0 (len 32) */
    enum ta_intel_kind kind;
    uint32_t first, last, valid; /* seconds; 0 = not given */
    bool second;                 /* a second kind of the value, from another source */
    char value[40];
};

static uint64_t rng = 0x853c49e6748fea9bull;
static uint32_t rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint32_t mask_of(unsigned len)
{
    return len == 0 ? 0 : ~0u << (32 - len);
}

/* The reference's validity of one single-source entry at at (seconds; 0 = no
 * time): 0 no, 1 yes, 2 through an undated source. */
static int ref_valid(const struct ref *r, uint32_t at)
{
    if (r->first == 0)
        return 2;
    if (at == 0)
        return 1;
    uint64_t lo = r->first > GRACE_BEFORE ? (uint64_t)r->first - GRACE_BEFORE : 0;
    uint64_t end = r->valid != 0  ? r->valid
                   : r->last != 0 ? (uint64_t)r->last + GRACE_AFTER
                                  : UINT64_MAX;
    return at >= lo && at <= end ? 1 : 0;
}

struct rm {
    const struct ref *r;
    int v;
};

/* Reference order: IP:port entries, then prefixes longest first, entries of
 * one value by kind. */
static int rm_cmp(const void *a, const void *b)
{
    const struct ref *x = ((const struct rm *)a)->r, *y = ((const struct rm *)b)->r;
    if ((x->port != 0) != (y->port != 0))
        return x->port != 0 ? -1 : 1;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    if (x->net != y->net)
        return x->net < y->net ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static void check_one(const struct ta_intel_index *idx, const struct ref *refs, size_t n,
                      uint32_t a, uint16_t port, uint32_t at, uint32_t kinds)
{
    uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
    struct ta_addr addr;
    ta_addr_set_v4(&addr, b);
    struct rm want[NIND];
    size_t nw = 0;
    uint32_t k =
        kinds != 0 ? kinds : ((1u << TA_INTEL_KIND__COUNT) - 1) & ~(1u << TA_INTEL_KIND_ALLOW);
    for (size_t i = 0; i < n; i++) {
        const struct ref *r = &refs[i];
        if (!(k & (1u << r->kind)) || (a & mask_of(r->len)) != r->net)
            continue;
        if (r->port != 0 && r->port != port)
            continue;
        int v = ref_valid(r, at);
        if (v != 0)
            want[nw++] = (struct rm){r, v};
    }
    qsort(want, nw, sizeof(want[0]), rm_cmp);
    struct ta_intel_match m[NIND];
    size_t got = ta_intel_match_ip(idx, &addr, port, at == 0 ? 0 : (ta_time_us)at * 1000000u, kinds,
                                   m, NIND);
    if (got != nw) {
        for (size_t i = 0; i < got; i++)
            print_message("got %s kind %d\n", m[i].value, m[i].kind);
        for (size_t i = 0; i < nw; i++)
            print_message("want %s kind %d\n", want[i].r->value, want[i].r->kind);
        fail_msg("%u.%u.%u.%u port %u at %u kinds %x: %zu matches, want %zu", b[0], b[1], b[2],
                 b[3], port, at, kinds, got, nw);
    }
    for (size_t i = 0; i < got; i++) {
        assert_string_equal(m[i].value, want[i].r->value);
        assert_int_equal(m[i].kind, want[i].r->kind);
        assert_int_equal(m[i].prefix_len, want[i].r->len);
        assert_int_equal(m[i].undated, want[i].v == 2);
    }
    /* A smaller max gives the first matches of the same list. */
    if (nw > 1) {
        assert_int_equal(ta_intel_match_ip(idx, &addr, port,
                                           at == 0 ? 0 : (ta_time_us)at * 1000000u, kinds, m, 1),
                         1);
        assert_string_equal(m[0].value, want[0].r->value);
    }
    /* The allow lookup: the longest allow prefix, whatever the time. */
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (refs[i].kind == TA_INTEL_KIND_ALLOW && refs[i].port == 0 &&
            (a & mask_of(refs[i].len)) == refs[i].net && (best < 0 || refs[i].len > refs[best].len))
            best = (int)i;
    struct ta_intel_match al;
    bool allowed = ta_intel_allow_ip(idx, &addr, &al);
    assert_int_equal(allowed, best >= 0);
    if (allowed)
        assert_int_equal(al.prefix_len, refs[best].len);
}

/* Random prefixes, biased to nest and to sit on the edges of the space. */
static size_t make_refs(struct ref *refs)
{
    size_t n = 0;
    while (n < NIND) {
        struct ref *r = &refs[n];
        memset(r, 0, sizeof(*r));
        unsigned pick = rnd32() % 10;
        r->len = pick == 0 ? rnd32() % 8 : pick < 4 ? 8 + rnd32() % 17 : 24 + rnd32() % 9;
        uint32_t a = rnd32();
        if (n > 0 && pick % 2 == 0)
            a = refs[rnd32() % n].net ^ (rnd32() & 0xffffu); /* near another one */
        if (rnd32() % 16 == 0)
            a = rnd32() % 2 ? 0 : UINT32_MAX;
        r->net = a & mask_of(r->len);
        static const enum ta_intel_kind kinds[] = {TA_INTEL_KIND_C2, TA_INTEL_KIND_SCANNER,
                                                   TA_INTEL_KIND_OTHER, TA_INTEL_KIND_ALLOW};
        r->kind = kinds[rnd32() % 4];
        if (r->len == 32 && r->kind != TA_INTEL_KIND_ALLOW && rnd32() % 4 == 0)
            r->port = (uint16_t)(1 + rnd32() % 3);
        /* Dated two times in three: open, with a last-seen, or a valid-until. */
        unsigned d = rnd32() % 6;
        if (d >= 2) {
            r->first = T0 + (rnd32() % 400) * DAY;
            if (d == 3)
                r->last = r->first + (rnd32() % 60) * DAY;
            else if (d >= 4)
                r->valid = r->first + (rnd32() % 60) * DAY;
        }
        if (r->port != 0)
            snprintf(r->value, sizeof(r->value), "%u.%u.%u.%u:%u", r->net >> 24,
                     (r->net >> 16) & 255, (r->net >> 8) & 255, r->net & 255, r->port);
        else
            snprintf(r->value, sizeof(r->value), "%u.%u.%u.%u/%u", r->net >> 24,
                     (r->net >> 16) & 255, (r->net >> 8) & 255, r->net & 255, r->len);
        /* A value once per source (a second row of a source replaces the first). */
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(refs[i].value, r->value) == 0;
        if (!dup)
            n++;
        /* Now and then the same value with another kind. */
        if (!dup && n < NIND && rnd32() % 8 == 0) {
            refs[n] = *r;
            refs[n].kind = r->kind == TA_INTEL_KIND_C2 ? TA_INTEL_KIND_OTHER : TA_INTEL_KIND_C2;
            refs[n].second = true;
            n++;
        }
    }
    return n;
}

static void match_eq(const struct ta_intel_match *a, const struct ta_intel_match *b)
{
    assert_ptr_equal(a->value, b->value);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->confidence, b->confidence);
    assert_int_equal(a->exact, b->exact);
    assert_int_equal(a->prefix_len, b->prefix_len);
    assert_ptr_equal(a->family, b->family);
    assert_ptr_equal(a->brand, b->brand);
    assert_ptr_equal(a->country, b->country);
    assert_int_equal(a->first_seen, b->first_seen);
    assert_int_equal(a->last_seen, b->last_seen);
    assert_int_equal(a->valid_until, b->valid_until);
    assert_int_equal(a->nsources, b->nsources);
    assert_int_equal(a->src_first, b->src_first);
    assert_int_equal(a->undated, b->undated);
}

/*
 * The batched lookup against single ones (which check_one holds to the
 * reference): the probes in batches of an odd size, so that partial groups
 * occur, with IPv6 and family-less addresses among them, and a max that
 * cuts long lists.
 */
#define BN 37
static void check_batch(const struct ta_intel_index *idx, const uint32_t *probes, size_t np)
{
    static const uint32_t times[] = {0, T0 + 200 * DAY, T0 - 60 * DAY, T0 + 800 * DAY};
    static const uint32_t masks[] = {0, TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2),
                                     TA_INTEL_KIND_BIT(TA_INTEL_KIND_ALLOW)};
    static const size_t maxes[] = {8, 1};
    struct ta_addr a[BN];
    uint16_t ports[BN];
    size_t counts[BN];
    struct ta_intel_match m[BN * 8], one[8];
    for (size_t t = 0; t < 4; t++)
        for (size_t k = 0; k < 3; k++)
            for (size_t x = 0; x < 2; x++) {
                ta_time_us at = (ta_time_us)times[t] * 1000000u;
                size_t max = maxes[x];
                for (size_t g = 0; g < np; g += BN) {
                    size_t nb = np - g < BN ? np - g : BN;
                    for (size_t i = 0; i < nb; i++) {
                        uint32_t v = probes[g + i];
                        uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                                        (uint8_t)v};
                        ta_addr_set_v4(&a[i], b);
                        if (i % 11 == 5)
                            assert_true(ta_addr_parse(&a[i], "2001:db8::1"));
                        if (i % 13 == 7)
                            memset(&a[i], 0, sizeof(a[i]));
                        ports[i] = (uint16_t)(i % 4);
                    }
                    size_t total = ta_intel_match_ip_batch(idx, a, x == 0 ? ports : NULL, nb, at,
                                                           masks[k], m, max, counts);
                    size_t sum = 0;
                    for (size_t i = 0; i < nb; i++) {
                        size_t got = ta_intel_match_ip(idx, &a[i], x == 0 ? ports[i] : 0, at,
                                                       masks[k], one, max);
                        assert_int_equal(counts[i], got);
                        for (size_t j = 0; j < got; j++)
                            match_eq(&m[i * max + j], &one[j]);
                        sum += got;
                    }
                    assert_int_equal(total, sum);
                }
            }
}

static void check_all(const struct ta_intel_index *idx, const struct ref *refs, size_t n)
{
    static const uint32_t masks[] = {0, TA_INTEL_KIND_BIT(TA_INTEL_KIND_C2),
                                     TA_INTEL_KIND_BIT(TA_INTEL_KIND_SCANNER) |
                                         TA_INTEL_KIND_BIT(TA_INTEL_KIND_OTHER)};
    uint32_t probes[NIND * 6 + 300];
    size_t np = 0;
    probes[np++] = 0;
    probes[np++] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t last = refs[i].net | ~mask_of(refs[i].len);
        probes[np++] = refs[i].net;
        probes[np++] = refs[i].net - 1;
        probes[np++] = last;
        probes[np++] = last + 1;
        probes[np++] = refs[i].net + ((last - refs[i].net) >> 1);
        probes[np++] = refs[i].net | (rnd32() & ~mask_of(refs[i].len));
    }
    for (size_t i = 0; i < 298; i++)
        probes[np++] = rnd32();
    for (size_t i = 0; i < np; i++) {
        /* No time, inside the dates, before and after them all. */
        static const uint32_t times[] = {0, T0 + 200 * DAY, T0 - 60 * DAY, T0 + 800 * DAY};
        uint32_t at = i % 5 == 4 ? T0 + (rnd32() % 500) * DAY : times[i % 4];
        uint16_t port = (uint16_t)(i % 3 == 0 ? 0 : 1 + rnd32() % 3);
        check_one(idx, refs, n, probes[i], port, at, masks[i % 3]);
    }
    check_batch(idx, probes, np);
}

static void test_ipv4_against_reference(void **state)
{
    (void)state;
    char dir[256], db[320];
    assert_int_equal(tu_tmpdir_make(dir, sizeof(dir), "ta-intel-ipref"), 0);
    for (int round = 0; round < 4; round++) {
        /* A database (and its cache) per round; the directory goes at the end. */
        snprintf(db, sizeof(db), "%s/atlas-%d.db", dir, round);
        struct ref *refs = calloc(NIND, sizeof(*refs));
        struct ta_intel_indicator *inds = calloc(NIND, sizeof(*inds));
        assert_non_null(refs);
        assert_non_null(inds);
        size_t n = make_refs(refs);
        for (size_t i = 0; i < n; i++)
            inds[i] = (struct ta_intel_indicator){
                .type = refs[i].port != 0 ? TA_INTEL_IP_PORT : TA_INTEL_CIDR,
                .kind = refs[i].kind,
                .value = refs[i].value,
                .source = refs[i].second ? "s2" : "s",
                .confidence = 50,
                .first_seen = (ta_time_us)refs[i].first * 1000000u,
                .last_seen = (ta_time_us)refs[i].last * 1000000u,
                .valid_until = (ta_time_us)refs[i].valid * 1000000u};
        char err[256];
        struct ta_intel_db *h;
        assert_int_equal(ta_intel_db_open(db, &h, err, sizeof(err)), TA_OK);
        struct ta_intel_load_result res;
        assert_int_equal(ta_intel_db_insert(h, inds, n, &res), TA_OK);
        assert_int_equal(res.rejected, 0);
        /* Built, then mapped from the cache it wrote. */
        for (int pass = 0; pass < 2; pass++) {
            struct ta_intel_index *idx;
            struct ta_intel_cache_info ci;
            assert_int_equal(ta_intel_index_open(h, NULL, NULL, &idx, &ci), TA_OK);
            assert_int_equal(ci.hit, pass == 1);
            check_all(idx, refs, n);
            ta_intel_index_free(idx);
        }
        ta_intel_db_close(h);
        free(refs);
        free(inds);
    }
    assert_int_equal(tu_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
