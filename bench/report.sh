#!/usr/bin/env bash
# Store and report benchmark: bench-report fills a fresh database
# with N synthetic events over 60 days (one analysis run: the event-write
# cost), then times the report over the whole period, over a period cutting
# through it, and one evidence list. Medians of TA_BENCH_RUNS runs per size.
# Sizes: TA_BENCH_REPORT_EVENTS (default "1000000"; the 10M target:
# TA_BENCH_REPORT_EVENTS="1000000 10000000", about 1.5 GB of database).
#   bench/report.sh [BUILD_DIR]
# Writes $TA_BENCH_DIR/results/report.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${1:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
bin="$B/bench/bench-report"
[[ -x "$bin" ]] || { echo "bench-report not built ($bin); run make"; exit 77; }
frag_begin "Store and report"
frag "\`bench-report\` writes N synthetic events over 60 days through the store (one analysis run)," \
    "then reports. Medians of $RUNS runs; store figures are CPU seconds of the writing thread," \
    "report figures wall seconds." "" \
    "| events | insert CPU s (events/s) | store total s (events/s, rollups included) | report, 60 days | report, days 15-30 | list c2-servers | database |" \
    "|---:|---:|---:|---:|---:|---:|---:|"
for n in ${TA_BENCH_REPORT_EVENTS:-${BENCH_REPORT_EVENTS:-1000000}}; do
    log=$LOG/report-$n.txt
    : >"$log"
    size=""
    for ((i = 0; i < RUNS; i++)); do
        rm -f "$OUT"/report.db*
        "$bin" --events "$n" --days 60 --db "$OUT/report.db" --keep >>"$log" 2>&1 ||
            { FAILED+=("\`$bin --events $n --days 60\` (see $log)"); break; }
        size=$(du -h "$OUT/report.db" | cut -f1)
    done
    rm -f "$OUT"/report.db*
    val() { grep "^$1" "$log" | sed "s/^$1[^0-9]*\([0-9.]*\) s.*/\1/" | median; }
    ins=$(val "insert (CPU):") tot=$(val "store total:")
    [[ -n $ins ]] || continue
    frag "| $n | $ins ($(fmt_rate "$n" "$ins")) | $tot ($(fmt_rate "$n" "$tot")) | $(val "report (all days):") s | $(val "report (days 15-30):") s | $(val "list c2-servers:") s | $size |"
done
frag "" "Command: \`$bin --events N --days 60 --db $OUT/report.db --keep\` ($RUNS runs per size)." \
    "No peer named for the store."
frag_end
