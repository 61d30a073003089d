#!/usr/bin/env bash
# Core benchmark (with the packet-level peers): on one mixed
# capture of TA_BENCH_SIZE_MB (default 1024) read from the page cache, the
# median of TA_BENCH_RUNS runs of
#   floor     bench-decode FILE: bare libpcap pcap_next_ex loop
#   engine    bench-decode FILE --engine: decode + flow tracking in process
#   observe   threatatlas observe -r FILE -o /dev/null: full observation (flows,
#             reassembly, DNS/HTTP/TLS, EVE formatted)
#   tshark    tshark -T fields, flow-level fields of every packet
#   nfpcapd   nfpcapd -r FILE -w DIR (flows from packets), then nfdump -s/-A
#             aggregation by address of those flows
#   ndpi      ndpiReader -i FILE -q (protocol detection; threatatlas: app_proto)
# (Floods and their memory: bench/floods.sh.)
# Each peer's time is divided by threatatlas observe's time in the same run.
#
#   TA_BENCH_SIZE_MB=1024 TA_BENCH_RUNS=3 TA_BENCH_TSHARK_RUNS=1 bench/core.sh
#   TA_BENCH_ONLY="floor observe" bench/core.sh      some figures only
# Writes $TA_BENCH_DIR/results/core.md (see bench/lib.sh for the settings).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
SIZE_MB=${TA_BENCH_SIZE_MB:-${BENCH_SIZE_MB:-1024}}
TRUNS=${TA_BENCH_TSHARK_RUNS:-1}
ONLY=${TA_BENCH_ONLY:-${BENCH_ONLY:-}}
want() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }
[[ -x $B/threatatlas && -x $B/threatatlas-gen && -x $B/bench/bench-decode ]] || { echo "$B not built (make)"; exit 77; }

# The capture: threatatlas-gen's mixed scenario (DNS, HTTP, TLS sessions and
# other traffic).
CAPDIR=$OUT/mixed-${SIZE_MB}M
CAP=$CAPDIR/mixed.pcap
if [[ ! -s $CAP ]]; then
    rm -rf "$CAPDIR"
    $B/threatatlas-gen --scenario mixed --size "${SIZE_MB}M" --out "$CAPDIR" --seed 42 --quiet || exit 1
    echo "threatatlas-gen --scenario mixed --size ${SIZE_MB}M --seed 42" >"$CAPDIR/gen"
fi
GEN=$(cat "$CAPDIR/gen")
read -r NPKT NBYTES _ < <($B/bench/bench-decode "$CAP")
cat "$CAP" >/dev/null # every tool reads from the page cache

# bench-decode times its own loop (no process start-up); its third field.
decode_secs() {
    local i
    for ((i = 0; i < RUNS; i++)); do $B/bench/bench-decode "$@" | awk '{print $3}'; done | median
}
if want floor; then
    WALL[floor]=$(decode_secs "$CAP")
    CMD[floor]="$B/bench/bench-decode $CAP"
fi
if want engine; then
    WALL[engine]=$(decode_secs "$CAP" --engine)
    CMD[engine]="$B/bench/bench-decode $CAP --engine"
fi
want observe && measure observe "$RUNS" $B/threatatlas observe -r "$CAP" -o /dev/null
if want tshark && have tshark; then
    measure tshark "$TRUNS" tshark -n -r "$CAP" -T fields -e frame.time_epoch -e frame.len \
        -e ip.src -e ip.dst -e ip.proto -e tcp.srcport -e tcp.dstport -e udp.srcport \
        -e udp.dstport -e tcp.flags
fi
NF=$OUT/nfcapd
if want nfpcapd && have nfpcapd && have nfdump; then
    measure nfpcapd "$RUNS" bash -c "rm -rf $NF && mkdir -p $NF && nfpcapd -r $CAP -w $NF"
    CMD[nfpcapd]="nfpcapd -r $CAP -w $NF"
    measure nfdump_s "$RUNS" nfdump -R "$NF" -q -s srcip/bytes -n 20
    measure nfdump_A "$RUNS" nfdump -R "$NF" -q -A srcip,dstip
    NF_FLOWS=$(nfdump -R "$NF" -I 2>/dev/null | awk '/^Flows:/ {print $2}')
    # Country aggregation needs an nfdump geoDB (nfdump -G), built from
    # MaxMind CSV files by nfdump's geolookup tool.
    if ! command -v geolookup >/dev/null; then
        SKIPPED+=("nfdump aggregation by country: nfdump $(nfdump -V 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1) has \`-G geoDB\`, but Debian's package does not ship \`geolookup\`, the tool that builds that geoDB, so there is no country database for it")
    fi
fi
if want ndpi && have ndpiReader; then
    measure ndpi "$RUNS" ndpiReader -i "$CAP" -q
fi
# One observe run into a file for the counts the peers are compared on.
if want observe; then
    $B/threatatlas observe -r "$CAP" --eve-extension -o "$OUT/core.eve" 2>/dev/null
    TA_FLOWS=$(tail -1 "$OUT/core.eve" | grep -o '"created":[0-9]*' | head -1 | cut -d: -f2)
    TA_APP=$(grep -o '"app_proto":"[a-z-]*"' "$OUT/core.eve" | sort | uniq -c |
        awk '{gsub(/"app_proto":|"/, "", $2); printf "%s%s %s", sep, $2, $1; sep = ", "}')
    rm -f "$OUT/core.eve"
fi
if [[ -n ${WALL[ndpi]:-} ]]; then
    NDPI=$(ndpiReader -i "$CAP" 2>/dev/null | sed -n '/Detected protocols:/,/^$/p' |
        awk '/flows:/ {n += $NF; if ($1 == "DNS" || $1 == "HTTP" || $1 == "TLS") { s = s sep $1 " " $NF; sep = ", " }; if ($1 == "Unknown") u = $NF}
             END {printf "%d flows (bidirectional); %s; unknown %d", n, s, u}')
fi

# row NAME KEY [PEER]: seconds, packets/s, Gbit/s, share of the floor, and for
# a peer its time divided by threatatlas observe's.
row() {
    local s=${WALL[$2]:-}
    [[ -n $s ]] || return 0
    awk -v n="$1" -v s="$s" -v p="$NPKT" -v b="$NBYTES" -v f="${WALL[floor]:-0}" \
        -v o="${WALL[observe]:-0}" -v peer="${3:-}" 'BEGIN {
        rel = (f > 0) ? sprintf("%.0f%%", 100 * f / s) : "-"
        r = (peer != "" && o > 0) ? sprintf("%.2f", s / o) : "-"
        printf "| %s | %.2f | %.2f M | %.2f | %s | %s |\n", n, s, p / s / 1e6, b * 8 / s / 1e9, rel, r }'
}
frag_begin "Packets: decode, flows, observation and packet-level peers"
frag "Capture: \`$CAP\`, $NPKT packets, $NBYTES bytes on the wire (${SIZE_MB} MB file), made by \`$GEN\`;" \
    "read from the page cache. Medians of $RUNS runs (tshark: $TRUNS). \"peer / observe\" is the" \
    "peer's time divided by \`threatatlas observe\`'s in this run (above 1: threatatlas is faster)." ""
frag "| what | seconds | packets/s | Gbit/s | of floor | peer / observe |" "|---|---:|---:|---:|---:|---:|"
for r in "$(row "bare libpcap read loop (floor)" floor)" \
    "$(row "decode + flow tracking, in process" engine)" \
    "$(row "threatatlas observe: full observation" observe)" \
    "$(row "tshark -T fields (flow fields of each packet)" tshark peer)" \
    "$(row "nfpcapd (flows from packets)" nfpcapd peer)" \
    "$(row "ndpiReader -q (protocol detection)" ndpi peer)"; do
    [[ -n $r ]] && frag "$r"
done
frag ""
if [[ -n ${WALL[observe]:-} ]]; then
    frag "- observe, per CPU-second: $(fmt_rate "$NPKT" "${CPU[observe]}") packets/s (${CPU[observe]} s user+sys; target >= 1.5 M packets/s per core), peak RSS ${RSS[observe]} kB."
    [[ -n ${TA_FLOWS:-} ]] && frag "- observe: $TA_FLOWS flows; app_proto of the flows: $TA_APP."
fi
[[ -n ${WALL[engine]:-} ]] && frag "- decode + flow tracking: $(fmt_rate "$NPKT" "${WALL[engine]}") packets/s (target >= 2 M packets/s per core and >= 60% of the floor)."
[[ -n ${WALL[ndpi]:-} ]] && frag "- ndpiReader found ${NDPI:-?}."
if [[ -n ${WALL[nfpcapd]:-} ]]; then
    frag "- nfpcapd wrote ${NF_FLOWS:-?} flows (unidirectional; threatatlas counts a connection once)." \
        "- nfdump aggregation of those flows (no threatatlas counterpart on flows: threatatlas aggregates events by country pair, see Report and National): \`${CMD[nfdump_s]}\` ${WALL[nfdump_s]} s, \`${CMD[nfdump_A]}\` ${WALL[nfdump_A]} s (medians)."
fi
frag "" "Commands:" ""
for k in floor engine observe tshark nfpcapd ndpi; do
    [[ -n ${CMD[$k]:-} ]] && frag "- $k: \`${CMD[$k]}\`"
done
rm -rf "$NF"
cleanup "$CAPDIR"
frag_end
