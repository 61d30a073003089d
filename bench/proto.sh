#!/usr/bin/env bash
# App-layer benchmark: full observation (decode + flows + reassembly
# + DNS/HTTP/TLS parsers, EVE to /dev/null) on a capture made of DNS, HTTP and
# TLS sessions (threatatlas-gen --scenario appmix), beside tshark extracting the same
# application fields from the same file. Medians of TA_BENCH_RUNS runs
# (tshark: TA_BENCH_TSHARK_RUNS, default 1); packets per CPU-second (user+sys) of the
# single process, i.e. per core, and per wall-clock second.
#   bench/proto.sh [SIZE_MB] [BUILD_DIR]   (default TA_BENCH_PROTO_MB or 1024 MB: the target is >= 1 GB; build/rel)
# Writes $TA_BENCH_DIR/results/proto.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${2:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
MB=${1:-${TA_BENCH_PROTO_MB:-1024}}
TRUNS=${TA_BENCH_TSHARK_RUNS:-1}
[[ -x $B/threatatlas-gen && -x $B/threatatlas ]] || { echo "$B not built (make)"; exit 77; }
# The capture is deterministic (same MB, seed 42), so a kept one is reused; the
# name changed when the appmix certificate got a public key, so a capture from
# before is never mistaken for a current one.
CAP=$OUT/appmix-${MB}M.pcap
if [[ ! -s $CAP ]]; then
    "$B/threatatlas-gen" --scenario appmix --size "${MB}M" --seed 42 --out "$CAP.d" --quiet &&
        mv "$CAP.d/appmix.pcap" "$CAP" && rm -rf "$CAP.d" || exit 1
fi
pk=$(capinfos -c -M "$CAP" 2>/dev/null | awk '/Number of packets/ {print $NF}')
cat "$CAP" >/dev/null # warm the page cache for every run alike

# The floor: libpcap's bare read loop over the same file (seconds of its timed loop).
if [[ -x $B/bench/bench-decode ]]; then
    for ((i = 0; i < RUNS; i++)); do "$B/bench/bench-decode" "$CAP" | awk '{print $3}'; done |
        median >"$LOG/floor.secs"
    FLOOR=$(cat "$LOG/floor.secs")
fi
measure proto_observe "$RUNS" "$B/bench/proto-observe" -q "$CAP"
measure observe "$RUNS" "$B/threatatlas" observe -r "$CAP" -o /dev/null
if have tshark; then
    measure tshark "$TRUNS" tshark -n -r "$CAP" -T fields \
        -e dns.qry.name -e dns.qry.type -e dns.a -e dns.aaaa -e http.host -e http.request.uri \
        -e http.request.method -e http.response.code -e http.user_agent \
        -e tls.handshake.extensions_server_name -e tls.handshake.ja3
fi

row() { # row NAME KEY [peer]
    [[ -n ${WALL[$2]:-} ]] || return 0
    awk -v n="$1" -v p="$pk" -v c="${CPU[$2]}" -v w="${WALL[$2]}" -v m="${RSS[$2]}" \
        -v o="${WALL[observe]:-0}" -v peer="${3:-}" 'BEGIN {
        if (c <= 0) c = 0.001
        r = (peer != "" && o > 0) ? sprintf("%.2f", w / o) : "-"
        printf "| %s | %.2f | %.2f | %.2f M | %.2f M | %d | %s |\n", n, w, c, p / c / 1e6, p / w / 1e6, m / 1024, r }'
}
frag_begin "Application layer: full observation"
frag "Capture: \`$CAP\` ($(du -h "$CAP" | cut -f1), $pk packets of DNS, HTTP, TLS and other sessions, \`$B/threatatlas-gen --scenario appmix --size ${MB}M --seed 42\`)," \
    "from the page cache. Medians of $RUNS runs (tshark: $TRUNS). Target: >= 1.5 M packets/s per core." ""
frag "| what | wall s | CPU s | packets/CPU-s | packets/wall-s | peak RSS MB | peer / observe (wall) |" \
    "|---|---:|---:|---:|---:|---:|---:|"
if [[ -n ${FLOOR:-} ]]; then
    frag "$(awk -v n="bare libpcap read loop over the same file (floor; \`bench-decode\`)" -v p="$pk" -v s="$FLOOR" \
        -v o="${CPU[observe]:-0}" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f M | %.2f M | - | - |\n", n, s, s, p / s / 1e6, p / s / 1e6 }')"
fi
for r in "$(row "proto-observe (engine + app layer, no flow records)" proto_observe)" \
    "$(row "threatatlas observe (EVE to /dev/null)" observe)" \
    "$(row "tshark -T fields (DNS/HTTP/TLS fields)" tshark peer)"; do
    [[ -n $r ]] && frag "$r"
done
frag "" "Commands:" ""
for k in proto_observe observe tshark; do
    [[ -n ${CMD[$k]:-} ]] && frag "- $k: \`${CMD[$k]}\`"
done
cleanup "$CAP"
frag_end
