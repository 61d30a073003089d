#!/usr/bin/env bash
# make bench: the benchmark suite. Runs the figure scripts bench/<fig>.sh
# (all of them, or those named), each writing its section to
# $TA_BENCH_DIR/results/<fig>.md, then assembles bench/results.md: the
# machine, the date, the settings, and every section present (a figure rerun
# alone replaces only its own section). A figure that lacks its data (exit 77)
# is reported as skipped with its reason; a peer tool that is missing is
# reported as skipped inside its figure. Then every benchmark program built
# from bench/*.c that no script drives is run bare (output in the log dir).
#
#   bench/run.sh                 every figure
#   bench/run.sh core national   some figures
# TA_BENCH_RESULTS names another file than bench/results.md.
# Settings: see bench/lib.sh and the head of each bench/<fig>.sh; bench/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
ALL=(core floods proto threads live intel enrich detect report store clickhouse national flows logs)
OUT=${TA_BENCH_DIR:-bench/out}
RESULTS=${TA_BENCH_RESULTS:-bench/results.md}
mkdir -p "$OUT/results" "$OUT/logs"
figs=("$@")
[[ ${#figs[@]} -gt 0 ]] || figs=("${ALL[@]}")
status=0
for f in "${figs[@]}"; do
    [[ -f bench/$f.sh ]] || { echo "bench: no figure '$f' (one of: ${ALL[*]})" >&2; exit 2; }
done
for f in "${figs[@]}"; do
    echo "== bench/$f.sh ($(date -u +%H:%M:%S))"
    rm -f "$OUT/results/$f.md"
    t0=$(date +%s)
    bash "bench/$f.sh" 2>&1 | tee "$OUT/logs/$f.log"
    rc=${PIPESTATUS[0]}
    t1=$(date +%s)
    if [[ $rc -eq 77 ]]; then
        why=$(grep -v '^bench:' "$OUT/logs/$f.log" | tail -1)
        printf '## %s\n\nSkipped: %s\n\n' "$f" "$why" >"$OUT/results/$f.md"
        echo "skip bench/$f.sh: $why"
    elif [[ $rc -ne 0 ]]; then
        echo "FAIL bench/$f.sh (exit $rc)"
        [[ -s $OUT/results/$f.md ]] ||
            printf '## %s\n\nFailed (exit %d); log: %s\n\n' "$f" "$rc" "$OUT/logs/$f.log" >"$OUT/results/$f.md"
        status=1
    fi
    settings=$(env | grep -E '^(TA_BENCH_|BENCH_)' | sort | sed 's/^/`/; s/$/`/' | paste -sd' ' -)
    printf '_Run %s, %d s; settings: %s._\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$((t1 - t0))" \
        "${settings:-defaults}" >>"$OUT/results/$f.md"
    echo "== bench/$f.sh took $((t1 - t0)) s"
done

if [[ $# -eq 0 ]]; then
    drivers=$(ls bench/*.sh)
    for b in "${TA_BENCH_BUILD:-build/rel}"/bench/*; do
        [[ -x "$b" ]] || continue
        name=$(basename "$b")
        # shellcheck disable=SC2086
        grep -qw -- "$name" $drivers 2>/dev/null && continue
        echo "== $name"
        "$b" 2>&1 | tee "$OUT/logs/$name.txt"
        rc=${PIPESTATUS[0]}
        if [[ $rc -eq 77 ]]; then
            echo "skip $name: its data is missing (see above)"
        elif [[ $rc -ne 0 ]]; then
            echo "FAIL $name (exit $rc)"
            status=1
        fi
    done
fi

# bench/results.md: the machine and settings, then the sections in suite order.
ver() { "$@" 2>&1 | grep -o '[0-9]\+\.[0-9]\+\(\.[0-9]\+\)*' | head -1 | grep . || echo "not installed"; }
{
    echo "# Benchmark results"
    echo
    echo "Written by \`make bench\` (\`bench/run.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') |"
    echo "| cores | $(nproc) (shared with other jobs: other builds and tests may have been running; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)) |"
    echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
    echo "| kernel | $(uname -r) |"
    echo "| Debian | $(cat /etc/debian_version 2>/dev/null || echo unknown) |"
    echo "| compiler | $(ver cc --version) (-O2 release build) |"
    echo "| peers | tshark $(ver tshark --version), nfdump/nfpcapd $(ver nfdump -V), ndpiReader (libndpi) $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null || echo "not installed"), libmaxminddb $(pkg-config --modversion libmaxminddb 2>/dev/null || echo "not installed") |"
    echo
    echo "Each section ends with the date, duration and settings (environment) of its own run;"
    echo "the settings are described in bench/README.md."
    echo
    for f in "${ALL[@]}"; do
        [[ -s $OUT/results/$f.md ]] && cat "$OUT/results/$f.md"
    done
} >"$RESULTS"
echo "bench: wrote $RESULTS"
exit $status
