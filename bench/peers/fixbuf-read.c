/*
 * A peer for bench/flows.sh: libfixbuf (CERT NetSA's IPFIX library) reading
 * an IPFIX file (messages back to back) into the flow fields threatatlas
 * reads, counting the records. Built by bench/flows.sh when libfixbuf's
 * headers are installed (libfixbuf-dev); not part of the build.
 *
 *   fixbuf-read FILE [PASSES]   prints "<records per pass> <seconds for all passes>"
 *
 * Exit 1 when libfixbuf reports an error other than the end of the file (the
 * error on stderr), so that robustness runs can count refusals.
 */
#include <fixbuf/public.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct rec {
    uint64_t start_ms, end_ms, bytes, pkts;
    uint32_t sip, dip;
    uint16_t sp, dp;
    uint8_t proto, flags;
};

static fbInfoElementSpec_t spec[] = {{"flowStartMilliseconds", 8, 0},
                                     {"flowEndMilliseconds", 8, 0},
                                     {"octetDeltaCount", 8, 0},
                                     {"packetDeltaCount", 8, 0},
                                     {"sourceIPv4Address", 4, 0},
                                     {"destinationIPv4Address", 4, 0},
                                     {"sourceTransportPort", 2, 0},
                                     {"destinationTransportPort", 2, 0},
                                     {"protocolIdentifier", 1, 0},
                                     {"tcpControlBits", 1, 0},
                                     FB_IESPEC_NULL};

static long read_once(const char *path, int *failed)
{
    GError *err = NULL;
    fbInfoModel_t *model = fbInfoModelAlloc();
    fbSession_t *session = fbSessionAlloc(model);
    fbTemplate_t *tmpl = fbTemplateAlloc(model);
    if (!fbTemplateAppendSpecArray(tmpl, spec, 0, &err)) {
        fprintf(stderr, "fixbuf-read: %s\n", err->message);
        exit(2);
    }
    uint16_t tid = fbSessionAddTemplate(session, TRUE, FB_TID_AUTO, tmpl, &err);
    fbCollector_t *coll = fbCollectorAllocFile(NULL, path, &err);
    if (tid == 0 || coll == NULL) {
        fprintf(stderr, "fixbuf-read: %s\n", err ? err->message : "setup");
        exit(2);
    }
    fBuf_t *buf = fBufAllocForCollection(session, coll);
    fBufSetInternalTemplate(buf, tid, &err);
    struct rec r;
    long n = 0;
    for (;;) {
        size_t len = sizeof(r);
        if (!fBufNext(buf, (uint8_t *)&r, &len, &err)) {
            if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
                fprintf(stderr, "fixbuf-read: %s\n", err->message);
                *failed = 1;
            }
            g_clear_error(&err);
            break;
        }
        n++;
    }
    fBufFree(buf);
    fbInfoModelFree(model);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fixbuf-read FILE [PASSES]\n");
        return 2;
    }
    int passes = argc > 2 ? atoi(argv[2]) : 1;
    int failed = 0;
    long n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int p = 0; p < passes; p++)
        n = read_once(argv[1], &failed);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%ld %.6f\n", n,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return failed;
}
