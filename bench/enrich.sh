#!/usr/bin/env bash
# Enrichment benchmark: bench-enrich runs the same address streams
# through libmaxminddb (the peer) and ta_geo_lookup on the pinned GeoIP data;
# each cell is the best of 5 runs inside the program, and the whole program
# runs TA_BENCH_RUNS times (median of those). Lookups per CPU-second of one
# thread. Needs the pinned data (make geo-data); exits 77 without it.
#   bench/enrich.sh [N]     N: addresses per IPv4 stream (TA_BENCH_ENRICH_N, default 2,000,000)
# Writes $TA_BENCH_DIR/results/enrich.md (see bench/lib.sh for the settings).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
N=${1:-${TA_BENCH_ENRICH_N:-2000000}}
[[ -x $B/bench/bench-enrich ]] || { echo "$B not built (make)"; exit 77; }
: >"$LOG/enrich.txt"
for ((i = 0; i < RUNS; i++)); do
    "$B/bench/bench-enrich" --n "$N" >>"$LOG/enrich.txt" 2>&1
    rc=$?
    if [[ $rc -eq 77 ]]; then
        tail -1 "$LOG/enrich.txt"
        exit 77
    fi
    [[ $rc -eq 0 ]] || { FAILED+=("bench-enrich exit $rc (see $LOG/enrich.txt)"); break; }
done
col() { # col STREAM FIELD: median of that column over the runs
    awk -v s="$1" -v f="$2" '$1 == s && NF >= 5 {print $f}' "$LOG/enrich.txt" | median
}
frag_begin "Enrichment: GeoIP/ASN lookups"
frag "$(grep -m1 '^data:' "$LOG/enrich.txt")" "" \
    "$(grep -m1 '^open' "$LOG/enrich.txt"); $(grep -m1 '^resident' "$LOG/enrich.txt")." ""
frag "Lookups per CPU-second of one thread (best of 5 inside each run, median of $RUNS runs). The peer is" \
    "libmaxminddb 1.7.1 on the same .mmdb; \"peer / ta\" divides ta_geo_lookup's rate by the" \
    "libmaxminddb country answer's (above 1: threatatlas is faster)." ""
frag "| stream | lookups | MMDB_lookup_sockaddr/s | + country_code/s | ta_geo_lookup (country+ASN)/s | ta / libmaxminddb country |" \
    "|---|---:|---:|---:|---:|---:|"
for s in random-v4 skewed-v4 random-v6; do
    n=$(col "$s" 2)
    [[ -n $n ]] || continue
    a=$(col "$s" 3) c=$(col "$s" 4) t=$(col "$s" 5)
    frag "| $s | $n | $(fmt_rate "$a" 1) | $(fmt_rate "$c" 1) | $(fmt_rate "$t" 1) | $(ratio "$t" "$c") |"
done
frag "" "Command: \`$B/bench/bench-enrich --n $N\` ($RUNS runs)."
frag_end
