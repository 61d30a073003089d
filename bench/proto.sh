#!/usr/bin/env bash
# App-layer benchmark: full observation (decode + flows + reassembly + DNS/
# HTTP/TLS parsers, EVE to /dev/null) on a generated mixed capture, beside
# tshark extracting the same fields from the same file.
#   bench/proto.sh [SIZE_MB] [BUILD_DIR]      (default 1024 MB, build/rel)
# Rates are packets per CPU-second (user+sys) of the single process, so one
# core; the machine may be shared, so wall-clock time is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-${TA_BENCH_PROTO_MB:-1024}}
B=${2:-build/rel}
T=$(mktemp -d "${TMPDIR:-/tmp}/ta-bench-proto.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$B/bench/proto-gen" "$T/mixed.pcap" "$MB" 42
pk=$(capinfos -c -M "$T/mixed.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
echo "capture: $(du -h "$T/mixed.pcap" | cut -f1), $pk packets (DNS, HTTP, TLS, other; proto-gen seed 42)"
cat "$T/mixed.pcap" >/dev/null # warm the page cache for every run alike
run() { # name, command...
    local name=$1
    shift
    /usr/bin/time -f "%U %S %e %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
        cat "$T/err"
        return 1
    }
    read -r u s e m <"$T/time"
    awk -v n="$name" -v p="$pk" -v u="$u" -v s="$s" -v e="$e" -v m="$m" 'BEGIN {
        cpu = u + s; if (cpu <= 0) cpu = 0.001;
        printf "%-34s %10.0f packets/CPU-s  (%.2f s CPU, %.2f s wall, %d MB RSS)\n",
               n, p / cpu, cpu, e, m / 1024 }'
}
run "threatatlas proto-observe" "$B/bench/proto-observe" -q "$T/mixed.pcap"
if "$B/threatatlas" observe --help 2>&1 | grep -q -- '--http-body-limit'; then
    run "threatatlas observe (EVE /dev/null)" "$B/threatatlas" observe -r "$T/mixed.pcap" -o /dev/null
fi
if command -v tshark >/dev/null; then
    run "tshark -T fields (same fields)" tshark -n -r "$T/mixed.pcap" -T fields \
        -e dns.qry.name -e dns.qry.type -e dns.a -e dns.aaaa -e http.host -e http.request.uri \
        -e http.request.method -e http.response.code -e http.user_agent \
        -e tls.handshake.extensions_server_name -e tls.handshake.ja3
fi
echo "floor (issue 3): 1,500,000 packets/s per core"
