#!/usr/bin/env bash
# Live capture: frames of the appmix capture sent on the loopback interface of a network
# namespace made for each run (bench-live-send: AF_PACKET, sendmmsg, paced) at rising rates,
# while `observe -i lo` captures them with one thread through libpcap (--capture pcap, its
# default 2 MiB buffer), and with one and two AF_PACKET workers (--capture afpacket, 16 MiB of
# ring each); runs interleaved. Per rate: the
# rate the sender reached, the frames each capture got and the kernel's drops (median over
# the runs), and the capture's CPU (user+sys of the process while the frames were sent).
# "Without drops": the highest rate at which, and below which, no run of that mode dropped a
# frame.
#   bench/live.sh [RATES] [BUILD_DIR]  (default TA_BENCH_LIVE_RATES or "50000 100000 200000
#                                      400000"; each rate for TA_BENCH_LIVE_SECS (3) seconds)
# Needs root (network namespaces, capture); skips (77) without.
# Writes $TA_BENCH_DIR/results/live.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${2:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
RATES=(${1:-${TA_BENCH_LIVE_RATES:-50000 100000 200000 400000}})
SECS=${TA_BENCH_LIVE_SECS:-3}
[[ -x $B/threatatlas-gen && -x $B/threatatlas && -x $B/bench/bench-live-send ]] ||
    { echo "$B not built (make)"; exit 77; }
unshare -n true 2>/dev/null || { echo "network namespaces not permitted here (needs root)"; exit 77; }
CAP=$OUT/appmix-20M.pcap
if [[ ! -s $CAP ]]; then
    "$B/threatatlas-gen" --scenario appmix --size 20M --seed 42 --out "$CAP.d" --quiet &&
        mv "$CAP.d/appmix.pcap" "$CAP" && rm -rf "$CAP.d" || exit 1
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

MODES=(pcap:1 afpacket:1 afpacket:2)
# one CAPTURE:THREADS RATE KEY: a capture in a namespace of its own; appends "sent/s captured
# drops cpu".
one() {
    local cap=${1%:*} th=${1#*:} rate=$2 key=$3
    local d=$LOG/live-run
    rm -rf "$d" && mkdir -p "$d"
    unshare -n bash -c '
        ip link set lo up || exit 3
        B=$1 th=$2 cap=$3 rate=$4 secs=$5 d=$6 capfile=$7
        "$B/threatatlas" observe -i lo --threads "$th" --capture "$cap" -o "$d/o.json" 2>"$d/err" &
        pid=$!
        sleep 1.5
        read -r -a a </proc/$pid/stat
        "$B/bench/bench-live-send" "$capfile" lo $((rate * secs)) "$rate" >"$d/send" || exit 4
        sleep 1
        read -r -a b </proc/$pid/stat
        echo $(((b[13] + b[14]) - (a[13] + a[14]))) >"$d/ticks"
        kill -INT "$pid"
        wait "$pid"
    ' sh "$B" "$th" "$cap" "$rate" "$SECS" "$d" "$CAP" || { echo "run $key failed: $(cat "$d/err")"; return 1; }
    python3 - "$d" "$(getconf CLK_TCK)" >>"$LOG/$key.runs" <<'PY'
import json, re, sys
d, tck = sys.argv[1], int(sys.argv[2])
st = json.loads(open(d + "/o.json").read().splitlines()[-1])["stats"]
sent = float(re.search(r"\(([0-9.]+) frames/s\)", open(d + "/send").read()).group(1))
print(sent, st["decoder"]["pkts"], st["capture"]["kernel_drops"], int(open(d + "/ticks").read()) / tck)
PY
}

for rate in "${RATES[@]}"; do
    for mode in "${MODES[@]}"; do : >"$LOG/live.$mode.$rate.runs"; done
    for ((i = 0; i < RUNS; i++)); do
        for mode in "${MODES[@]}"; do
            one "$mode" "$rate" "live.$mode.$rate" || exit 1
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

col() { awk -v c="$2" '{print $c}' "$1" | median; }
{
    echo "## Live capture (live)"
    echo
    echo "\`bench/live.sh\`: frames of a 20 MB appmix capture sent on \`lo\` of a network namespace"
    echo "for $SECS s at each rate (bench-live-send, paced) while \`observe -i lo\` captures with"
    echo "\`--capture pcap --threads 1\` (libpcap's 2 MiB buffer) and \`--capture afpacket\` with 1 and"
    echo "2 threads (a 16 MiB ring each); $RUNS runs each, interleaved; medians. $(nproc) cores; load"
    echo "average $load_before before, $load_after after."
    echo
    echo "| rate asked | capture:threads | sent/s | frames sent | captured | kernel drops | capture CPU s |"
    echo "|---:|---|---:|---:|---:|---:|---:|"
    for rate in "${RATES[@]}"; do
        for mode in "${MODES[@]}"; do
            f=$LOG/live.$mode.$rate.runs
            printf '| %s | %s | %.0f | %s | %.0f | %.0f | %.2f |\n' "$rate" "$mode" "$(col "$f" 1)" \
                "$((rate * SECS))" "$(col "$f" 2)" "$(col "$f" 3)" "$(col "$f" 4)"
        done
    done
    echo
    for mode in "${MODES[@]}"; do
        best=none
        for rate in "${RATES[@]}"; do
            [[ $(awk '$3 > 0' "$LOG/live.$mode.$rate.runs" | wc -l) == 0 ]] || break
            best=$rate
        done
        echo "- $mode: no run dropped a frame at this rate or any lower one: $best frames/s asked"
    done
    echo
} >"$FRAG"
cat "$FRAG"
