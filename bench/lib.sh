# shellcheck shell=bash
# Shared helpers of the benchmark scripts (sourced, not run). Each bench/<fig>.sh
# measures one area and writes its section of bench/results.md as a fragment,
# $TA_BENCH_DIR/results/<fig>.md; bench/run.sh assembles the fragments.
#
# Settings (environment):
#   TA_BENCH_DIR    scratch and fragments (default bench/out, gitignored)
#   TA_BENCH_BUILD  build to measure (default build/rel)
#   TA_BENCH_RUNS   runs per figure; the median is reported (default 3)
#   TA_BENCH_KEEP=1 keep the large generated files (captures, databases)
#   TA_BENCH_SKIP   peers to leave out, e.g. "tshark ndpiReader"

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
B=${TA_BENCH_BUILD:-build/rel}
OUT=${TA_BENCH_DIR:-bench/out}
RUNS=${TA_BENCH_RUNS:-3}
KEEP=${TA_BENCH_KEEP:-0}
FIG=$(basename "$0" .sh)
FRAG=$OUT/results/$FIG.md
LOG=$OUT/logs
mkdir -p "$OUT/results" "$LOG"

# median: the median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{a[NR] = $1} END { if (NR == 0) exit 1;
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'
}

# measure KEY N CMD...: run CMD N times (stdout to /dev/null, stderr kept in
# $OUT/logs/KEY.err), timing each run with /usr/bin/time. Sets WALL[KEY] and
# CPU[KEY] (median seconds of wall clock and user+sys) and RSS[KEY] (largest
# peak resident set, kB), and CMD[KEY] (the command as run). Returns the
# command's failing status, leaving the figure unset.
declare -A WALL CPU RSS CMD
measure() {
    local key=$1 n=$2 i rc
    shift 2
    CMD[$key]="$*"
    : >"$LOG/$key.times"
    : >"$LOG/$key.err"
    for ((i = 0; i < n; i++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$LOG/$key.t" "$@" >/dev/null 2>>"$LOG/$key.err"
        rc=$?
        if [[ $rc -ne 0 ]]; then
            echo "bench: $key failed (exit $rc): $*" >&2
            tail -5 "$LOG/$key.err" >&2
            FAILED+=("$key failed (exit $rc): \`$*\`; its stderr is in $LOG/$key.err")
            return $rc
        fi
        tail -1 "$LOG/$key.t" >>"$LOG/$key.times"
    done
    WALL[$key]=$(awk '{print $1}' "$LOG/$key.times" | median)
    CPU[$key]=$(awk '{print $2 + $3}' "$LOG/$key.times" | median)
    RSS[$key]=$(awk '$4 > m {m = $4} END {print m + 0}' "$LOG/$key.times")
    rm -f "$LOG/$key.t"
    echo "bench: $key: median ${WALL[$key]} s wall, ${CPU[$key]} s CPU over $n run(s)" >&2
}

# have PROG: true when PROG is on PATH and not named in TA_BENCH_SKIP (a space-
# separated list of peers to leave out); otherwise records why it is skipped.
declare -a SKIPPED=() FAILED=()
have() {
    if [[ " ${TA_BENCH_SKIP:-} " == *" $1 "* ]]; then
        SKIPPED+=("\`$1\`: left out by TA_BENCH_SKIP")
        return 1
    fi
    if command -v "$1" >/dev/null 2>&1; then return 0; fi
    SKIPPED+=("\`$1\`: not installed (scripts/install-deps --bench installs the peers)")
    return 1
}

# Fragment writing: frag_begin TITLE, then frag LINE..., then frag_end.
frag_begin() {
    : >"$FRAG.new"
    frag "## $1" ""
}
frag() {
    printf '%s\n' "$@" >>"$FRAG.new"
}
frag_end() {
    local s
    if [[ ${#SKIPPED[@]} -gt 0 ]]; then
        frag "" "Skipped:"
        for s in "${SKIPPED[@]}"; do frag "- $s"; done
    fi
    if [[ ${#FAILED[@]} -gt 0 ]]; then
        frag "" "Failed:"
        for s in "${FAILED[@]}"; do frag "- $s"; done
    fi
    frag ""
    mv "$FRAG.new" "$FRAG"
    cat "$FRAG"
    [[ ${#FAILED[@]} -eq 0 ]]
}

# fmt_rate COUNT SECONDS [UNIT_DIVISOR]: COUNT/SECONDS with M/k suffix.
fmt_rate() {
    awk -v c="$1" -v s="$2" 'BEGIN { if (s <= 0) { print "-"; exit }
        r = c / s; if (r >= 1e6) printf "%.2f M", r / 1e6; else if (r >= 1e3) printf "%.1f k", r / 1e3;
        else printf "%.1f", r }'
}
# ratio A B: A/B with two decimals ("-" when B is 0 or empty).
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 <= 0 || a == "") print "-"; else printf "%.2f", a / b }'
}
# cleanup PATH...: remove large scratch files unless TA_BENCH_KEEP=1.
cleanup() {
    [[ $KEEP == 1 ]] && return 0
    rm -rf "$@"
}
