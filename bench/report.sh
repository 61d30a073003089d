#!/usr/bin/env bash
# Store and report benchmark: bench-report fills a fresh database with N
# synthetic events over 60 days (one analysis run), then times the report over
# the whole period, over a period cutting through it, and one evidence list.
# Sizes: BENCH_REPORT_EVENTS (default "1000000 10000000"); the 10M database
# takes about 1.5 GB in /tmp while it runs. Figures: bench/README.md, "Report".
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/rel}
bin="$B/bench/bench-report"
[[ -x "$bin" ]] || { echo "bench-report not built ($bin); run make"; exit 77; }
for n in ${BENCH_REPORT_EVENTS:-1000000 10000000}; do
    echo "-- $n events"
    "$bin" --events "$n" --days 60 || exit 1
done
