#!/usr/bin/env bash
# Cost of storing events during `threatatlas analyze`, and of the event
# identity (suite figure `store`). Generates the national scenario (scale
# 0.01 by default), imports its feeds into a template database, then times
# `analyze --no-store` and `analyze --db` (a fresh copy of the template each
# run) and gives the median CPU time (user + sys) of each, the speed lost to
# storing (1 - no-store/store) and the CPU per stored event; then bench-store
# replays the stored events alone through the store API (the store's own
# cost), once more as a second copy (every event found known: the identity
# lookup's cost), and gives the bytes per event of the rows, the identity
# index and the sightings.
#
#   bench/store.sh [BUILD_DIR]      (default build/rel)
#   TA_BENCH_RUNS=3 TA_BENCH_STORE_SCALE=0.01 TA_BENCH_STORE_TO=2014-03-21
#   (BENCH_RUNS, BENCH_SCALE, BENCH_TO, BENCH_OUT are still read)
# Writes $TA_BENCH_DIR/results/store.md (see bench/lib.sh for the settings).
# Needs the pinned GeoIP data (make geo-data, or THREATATLAS_DATA_DIR).
set -uo pipefail
export TA_BENCH_BUILD=${1:-${TA_BENCH_BUILD:-build/rel}}
export TA_BENCH_DIR=${BENCH_OUT:-${TA_BENCH_DIR:-bench/out}}
source "$(dirname "$0")/lib.sh"
BIN=$B/threatatlas
GEN=$B/threatatlas-gen
RUNS=${BENCH_RUNS:-$RUNS}
SCALE=${TA_BENCH_STORE_SCALE:-${BENCH_SCALE:-0.01}}
FROM=2014-03-19
TO=${TA_BENCH_STORE_TO:-${BENCH_TO:-2014-03-21}}
[[ -x $BIN && -x $GEN ]] || { echo "build $B first (make)"; exit 77; }
"$BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (make geo-data)"; exit 77; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time"; exit 77; }
W=$OUT/store
mkdir -p "$W"
s=$W/scenario-$SCALE-$FROM-$TO
if [[ ! -f $s/truth.json ]]; then
    rm -rf "$s"
    "$GEN" --scenario national --scale "$SCALE" --from $FROM --to "$TO" --out "$s" --seed 3 --quiet
fi
tmpl=$W/intel-$SCALE-$FROM-$TO.db
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
db=$W/run.db

cpu() { # command...: prints user+sys seconds of one run
    local tf=$W/time.txt
    /usr/bin/time -f '%U %S' -o "$tf" "$@" >/dev/null 2>"$W/stderr.txt" ||
        { cat "$W/stderr.txt"; exit 1; }
    awk '{printf "%.2f\n", $1 + $2}' "$tf"
}

nostore=() store=()
for ((i = 0; i < RUNS; i++)); do
    rm -f "$db" "$db"-*
    cp "$tmpl" "$db"
    nostore+=("$(cpu "$BIN" analyze "${args[@]}" --db "$db" --home CN --no-store -o /dev/null)")
    rm -f "$db" "$db"-*
    cp "$tmpl" "$db"
    store+=("$(cpu "$BIN" analyze "${args[@]}" --db "$db" --home CN -o /dev/null)")
done
events=$(sqlite3 "$db" "SELECT n_new FROM store_run" 2>/dev/null ||
    grep -o 'stored [0-9]* new events' "$W/stderr.txt" | grep -o '[0-9]*' | head -1)
bytes=$(cat "$s"/pcap/*.pcap | wc -c)
mn=$(printf '%s\n' "${nostore[@]}" | median)
ms=$(printf '%s\n' "${store[@]}" | median)
lines=(
    "scenario: national scale $SCALE $FROM..$TO, $bytes bytes of pcap, stored events $events"
    "analyze --no-store CPU s: ${nostore[*]} (median $mn)"
    "analyze --db       CPU s: ${store[*]} (median $ms)"
    "$(awk -v a="$mn" -v b="$ms" -v n="$events" 'BEGIN {
        printf "storing costs %.1f %% of analysis speed (1 - %.2f/%.2f); %.1f us CPU per event",
            100 * (1 - a / b), a, b, (n > 0) ? 1e6 * (b - a) / n : 0 }')"
    "database bytes: $(stat -c %s "$db")"
)
if [[ -x $B/bench/bench-store ]]; then
    "$B/bench/bench-store" --from "$db" --runs "$RUNS" >"$LOG/bench-store.txt" 2>&1 ||
        FAILED+=("bench-store (see $LOG/bench-store.txt)")
    while IFS= read -r l; do lines+=("$l"); done < <(tail -3 "$LOG/bench-store.txt")
fi
printf '%s\n' "${lines[@]}"
frag_begin "Store: cost of storing events, event identity"
frag "\`analyze\` of the national scenario with and without \`--db\` (CPU, median of $RUNS), then" \
    "\`bench-store\` replaying the stored events through the store API: as new events, and again" \
    "as a second copy (all found known); bytes per event from SQLite's dbstat." "" '```'
for l in "${lines[@]}"; do frag "$l"; done
frag '```' "" "Command: \`bench/store.sh $B\`."
frag_end
