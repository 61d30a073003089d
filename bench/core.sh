#!/usr/bin/env bash
# Core benchmark (run by bench/run.sh): throughput of the bare libpcap read loop (the floor), of decode
# + flow tracking in process, of `threatatlas observe -o /dev/null`, and of
# `tshark -r ... -T fields` extracting the same fields, on one >= 1 GB mixed
# capture; then the 5,000,000-flow flood with --max-flows 100000. Medians of
# BENCH_RUNS runs (default 3; tshark BENCH_TSHARK_RUNS, default 1 because it
# takes minutes per GB). Writes bench/results.md.
#
#   BENCH_SIZE_MB=1024 BENCH_RUNS=3 BENCH_TSHARK_RUNS=1 bench/core.sh
#   BENCH_ONLY=floor|engine|observe|tshark|flood bench/core.sh   one figure
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/rel
SIZE_MB=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-3}
TRUNS=${BENCH_TSHARK_RUNS:-1}
ONLY=${BENCH_ONLY:-}
OUT=bench/out
mkdir -p "$OUT"
CAP=$OUT/mixed-${SIZE_MB}M.pcap
want() { [[ -z "$ONLY" || "$ONLY" == "$1" ]]; }

if [[ ! -s $CAP ]]; then
    echo "bench: generating $CAP (${SIZE_MB} MB of mixed traffic)" >&2
    if [[ -x $B/threatatlas-gen ]] && $B/threatatlas-gen --scenario mixed --size "${SIZE_MB}M" --out "$CAP" --seed 42 2>/dev/null; then
        GEN="threatatlas-gen --scenario mixed"
    else
        $B/bench/gen-capture mixed "$CAP" "$SIZE_MB" 42
        GEN="bench/gen-capture mixed (threatatlas-gen not available)"
    fi
    echo "$GEN" >"$CAP.gen"
fi
GEN=$(cat "$CAP.gen" 2>/dev/null || echo unknown)
read -r NPKT NBYTES _ < <($B/bench/bench-decode "$CAP")
cat "$CAP" >/dev/null # warm the page cache so every tool reads from memory

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
secs() { # secs CMD...: wall seconds of one run
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
declare -A T
echo "bench: $CAP: $NPKT packets; floor, engine, observe x$RUNS, tshark x$TRUNS" >&2
if want floor; then
    T[floor]=$(for i in $(seq "$RUNS"); do $B/bench/bench-decode "$CAP" | awk '{print $3}'; done | median)
fi
if want engine; then
    T[engine]=$(for i in $(seq "$RUNS"); do $B/bench/bench-decode "$CAP" --engine | awk '{print $3}'; done | median)
fi
if want observe; then
    T[observe]=$(for i in $(seq "$RUNS"); do secs $B/threatatlas observe -r "$CAP" -o /dev/null; done | median)
fi
if want tshark && command -v tshark >/dev/null; then
    T[tshark]=$(for i in $(seq "$TRUNS"); do
        secs tshark -n -r "$CAP" -T fields -e frame.time_epoch -e frame.len -e ip.src -e ip.dst \
            -e ip.proto -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e tcp.flags
    done | median)
fi

row() { # row NAME SECONDS
    awk -v n="$1" -v s="$2" -v p="$NPKT" -v b="$NBYTES" -v f="${T[floor]:-0}" 'BEGIN {
        rel = (f > 0) ? sprintf("%.0f%%", 100 * f / s) : "-"
        printf "| %s | %.2f | %.2f M | %.2f | %s |\n", n, s, p / s / 1e6, b * 8 / s / 1e9, rel }'
}

FLOOD=""
if want flood; then
    FC=$OUT/flood-5M.pcap
    [[ -s $FC ]] || $B/bench/gen-capture flood "$FC" 5000000
    rss=$(/usr/bin/time -f %M $B/threatatlas observe -r "$FC" --max-flows 100000 -o "$OUT/flood.eve" 2>&1 >/dev/null | tail -1)
    ev=$(tail -1 "$OUT/flood.eve" | grep -o '"evicted":[0-9]*' | cut -d: -f2)
    budget=$((8 * 1024 + 100000 * 320 / 1024))
    FLOOD="5,000,000 one-packet UDP flows, --max-flows 100000: peak RSS $rss kB (budget $budget kB = 8 MiB + 320 B x 100000), evictions reported: $ev (expected 4900000)"
    rm -f "$OUT/flood.eve"
    echo "bench: $FLOOD" >&2
    [[ $rss -le $budget && $ev -eq 4900000 ]] || { echo "bench: flood over budget or wrong evictions" >&2; exit 1; }
fi

{
    echo "# Benchmark results"
    echo
    echo "Measured by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores"
    echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), shared with other jobs:"
    echo "figures are indicative and vary between runs."
    echo
    echo "Capture: $CAP, $NPKT packets, $NBYTES bytes on the wire, made by $GEN;"
    echo "read from the page cache. Medians of $RUNS runs (tshark: $TRUNS)."
    echo
    echo "| what | seconds | packets/s | Gbit/s | of floor |"
    echo "|---|---|---|---|---|"
    [[ -n ${T[floor]:-} ]] && row "bare libpcap read loop (floor)" "${T[floor]}"
    [[ -n ${T[engine]:-} ]] && row "decode + flow tracking, in process" "${T[engine]}"
    [[ -n ${T[observe]:-} ]] && row "threatatlas observe -o /dev/null" "${T[observe]}"
    [[ -n ${T[tshark]:-} ]] && row "tshark -r -T fields (same fields)" "${T[tshark]}"
    echo
    [[ -n $FLOOD ]] && echo "Flow flood: $FLOOD."
} >bench/results.md.new
if [[ -z "$ONLY" ]]; then mv bench/results.md.new bench/results.md; else cat bench/results.md.new; rm bench/results.md.new; fi
cat bench/results.md 2>/dev/null | sed -n '1,40p' >&2 || true

