#!/usr/bin/env bash
# The benchmark suite's machinery at toy sizes (release build): bench/run.sh
# runs the named figures into a scratch directory and writes the results file
# there; checks that each section is present with its figures, that a peer
# left out is reported as skipped (not failed), that a figure without its
# build is a "Skipped" section, that the national scenario's report equals its
# truth.json (when the GeoIP data is installed) and that no capture is left
# behind. The figures themselves are not checked (no timing assertions).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
[[ -x $REL/threatatlas && -x $REL/bench/bench-decode && -x $REL/bench/bench-report ]] ||
    { echo "release build missing ($REL)"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export TA_BENCH_BUILD=$REL TA_BENCH_DIR=$t/out TA_BENCH_RESULTS=$t/results.md TA_BENCH_RUNS=1
export TA_BENCH_SIZE_MB=4 TA_BENCH_ONLY="floor engine observe nfpcapd" TA_BENCH_SKIP="nfpcapd"
export TA_BENCH_REPORT_EVENTS=2000 TA_BENCH_NATIONAL_SCALE=0.001
export TA_BENCH_NATIONAL_FROM=2014-03-19 TA_BENCH_NATIONAL_TO=2014-03-20
"$ROOT/bench/run.sh" core report national >"$t/log" 2>&1 || { tail -20 "$t/log"; echo "bench/run.sh failed"; exit 1; }
R=$t/results.md
fail=0
need() { # need REGEX WHAT
    grep -qE -- "$1" "$R" || { echo "FAIL: $2 (no line matching: $1)"; fail=1; }
}
need '^# Benchmark results$' "header"
need '^\| cores \| [0-9]+ ' "machine table"
need '^## Packets: ' "core section"
need '^\| bare libpcap read loop \(floor\) \| [0-9.]+ \| [0-9.]+ M \| [0-9.]+ \| 100% \| - \|$' "floor row"
need '^\| threatatlas observe: full observation \| [0-9.]+ \|' "observe row"
need '^- `nfpcapd`: left out by TA_BENCH_SKIP$' "skipped peer"
grep -q 'nfpcapd (flows from packets)' "$R" && { echo "FAIL: a skipped peer has a row"; fail=1; }
need '^## Store and report$' "report section"
need '^\| 2000 \| [0-9.]+ \(' "report row for 2000 events"
if "$REL/threatatlas" geo info >/dev/null 2>&1; then
    need '^- report equals truth.json: \*\*yes\*\*: .* each of the 2 days ' "national exact match"
else
    need '^Skipped: pinned GeoIP data not installed' "national skipped without GeoIP data"
fi
need '^_Run [0-9-]+ [0-9:]+ UTC, [0-9]+ s; settings: .*`TA_BENCH_RUNS=1`' "run line with settings"
left=$(find "$t/out" -name '*.pcap' | wc -l)
[[ $left -eq 0 ]] || { echo "FAIL: $left capture(s) left in the scratch directory"; fail=1; }
# A figure whose build is missing is a skipped section, and the suite goes on.
TA_BENCH_BUILD=$t/none TA_BENCH_RESULTS=$t/r2.md "$ROOT/bench/run.sh" enrich >"$t/log2" 2>&1 ||
    { echo "FAIL: a figure without its build failed the suite"; fail=1; }
grep -qx "Skipped: $t/none not built (make)" "$t/r2.md" || { echo "FAIL: no Skipped section"; fail=1; }
[[ $fail -eq 0 ]] || { echo "--- results:"; cat "$R"; exit 1; }
echo "info: suite at toy sizes: core (floor, engine, observe; nfpcapd skipped), report, national, skipped figure"
