#!/usr/bin/env bash
# Cost of storing events during `threatatlas analyze` (target: at most 15 %
# of analysis speed). Generates the national scenario (scale 0.01 by default),
# imports its feeds into a template database, then times `analyze --no-store`
# and `analyze --db` (a fresh copy of the template each run) and prints the
# median CPU time (user + sys) of each, the speed lost to storing
# (1 - no-store/store) and the CPU per stored event; then bench-store replays
# the stored events alone through the store API (the store's own cost).
#
#   bench/store.sh [BUILD_DIR]      (default build/rel)
#   BENCH_RUNS=3 BENCH_SCALE=0.01 BENCH_TO=2014-03-21 BENCH_OUT=bench/out/store
# Needs the pinned GeoIP data (make geo-data, or THREATATLAS_DATA_DIR).
set -euo pipefail
B=${1:-build/rel}
BIN=$B/threatatlas
GEN=$B/threatatlas-gen
RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-0.01}
OUT=${BENCH_OUT:-bench/out/store}
FROM=2014-03-19
TO=${BENCH_TO:-2014-03-21}
[[ -x $BIN && -x $GEN ]] || { echo "build $B first (make)"; exit 1; }
"$BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (make geo-data)"; exit 77; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time"; exit 77; }
mkdir -p "$OUT"
s=$OUT/scenario-$SCALE-$FROM-$TO
if [[ ! -f $s/truth.json ]]; then
    rm -rf "$s"
    "$GEN" --scenario national --scale "$SCALE" --from $FROM --to "$TO" --out "$s" --seed 3 --quiet
fi
tmpl=$OUT/intel-$SCALE-$FROM-$TO.db
if [[ ! -f $tmpl ]]; then
    rm -f "$tmpl" "$tmpl"-*
    "$BIN" intel import --db "$tmpl" "$s/feodo-ipblocklist.csv" "$s/threatfox-domains.csv" \
        "$s/openphish-feed.txt" "$s/phishtank-online-valid.json" >/dev/null
    "$BIN" intel import --db "$tmpl" --kind c2 --source feodo-ipblocklist \
        "$s/feodo-ipblocklist.txt" >/dev/null
    "$BIN" intel import --db "$tmpl" --kind webshell --source gen-webshell-paths \
        "$s/webshell-paths.txt" >/dev/null
fi
args=()
for p in "$s"/pcap/*.pcap; do args+=(-r "$p"); done
db=$OUT/run.db

cpu() { # label, command...: prints user+sys seconds of one run
    local tf=$OUT/time.txt
    /usr/bin/time -f '%U %S' -o "$tf" "$@" >/dev/null 2>"$OUT/stderr.txt" ||
        { cat "$OUT/stderr.txt"; exit 1; }
    awk '{printf "%.2f\n", $1 + $2}' "$tf"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

nostore=() store=()
for ((i = 0; i < RUNS; i++)); do
    rm -f "$db" "$db"-*
    cp "$tmpl" "$db"
    nostore+=("$(cpu "$BIN" analyze "${args[@]}" --db "$db" --home CN --no-store -o /dev/null)")
    rm -f "$db" "$db"-*
    cp "$tmpl" "$db"
    store+=("$(cpu "$BIN" analyze "${args[@]}" --db "$db" --home CN -o /dev/null)")
done
events=$(sqlite3 "$db" "SELECT n_events FROM store_run" 2>/dev/null ||
    grep -o '[0-9]* events' "$OUT/stderr.txt" | head -1)
bytes=$(cat "$s"/pcap/*.pcap | wc -c)
mn=$(printf '%s\n' "${nostore[@]}" | median)
ms=$(printf '%s\n' "${store[@]}" | median)
echo "scenario: national scale $SCALE $FROM..$TO, $bytes bytes of pcap, stored events $events"
echo "analyze --no-store CPU s: ${nostore[*]} (median $mn)"
echo "analyze --db       CPU s: ${store[*]} (median $ms)"
awk -v a="$mn" -v b="$ms" -v n="$events" 'BEGIN {
    printf "storing costs %.1f %% of analysis speed (1 - %.2f/%.2f); %.1f us CPU per event\n",
        100 * (1 - a / b), a, b, (n > 0) ? 1e6 * (b - a) / n : 0 }'
ls -l "$db" | awk '{print "database bytes:", $5}'
if [[ -x $B/bench/bench-store ]]; then
    "$B/bench/bench-store" --from "$db" --runs "$RUNS" | tail -1
fi
