#!/usr/bin/env bash
# Log inputs: records per CPU-second (so per core) of the Suricata EVE, Zeek and
# access-log readers (bench-logsrc: the reader into a counting sink), and
# analyze on a generated national scenario's packets against analyze on the
# EVE that observe wrote from them (--input eve), with their event counts.
#   bench/logs.sh [BUILD_DIR]
# Target: EVE and Zeek logs >= 500 k records/s per core.
# Writes $TA_BENCH_DIR/results/logs.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${1:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
[[ -x $B/threatatlas-gen && -x $B/threatatlas && -x $B/bench/bench-logsrc ]] ||
    { echo "$B not built (make)"; exit 77; }
D=${TA_SHARED_DATA:-../shared/data}
Z=$D/zeek-logs-wrccdc2018/zeek-default
A=$D/access-logs/examples/demolog/hackers-access.log
[[ -d $Z && -f $A ]] || { echo "../shared/data (zeek-logs-wrccdc2018, access-logs) is absent"; exit 77; }
W=$OUT/logs-work
rm -rf "$W"
mkdir -p "$W"
"$B/threatatlas-gen" --scenario national --scale 0.01 --from 2014-03-19 --to 2014-03-21 --seed 11 \
    --out "$W/s" --quiet || exit 1
pcaps=()
for p in "$W"/s/pcap/*.pcap; do pcaps+=(-r "$p"); done
"$B/threatatlas" observe --http-headers "${pcaps[@]}" -o "$W/eve.json" || exit 1

# One reader run: "<lines> <records> <cpu-s> <records/cpu-s>"; the median of RUNS by rate.
rate() { # rate NAME ARGS...
    local name=$1 i
    shift
    for ((i = 0; i < RUNS; i++)); do "$B/bench/bench-logsrc" "$@"; done >"$LOG/logs-$name.runs"
    sort -k4 -g "$LOG/logs-$name.runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}
eve=$(rate eve eve --repeat 5 "$W/eve.json")
zeek=$(rate zeek zeek --repeat 5 "$Z"/*.gz)
acc=$(rate access access-log --repeat 50 "$A")

db=$W/intel.db
"$B/threatatlas" intel import --db "$db" "$W/s/feodo-ipblocklist.csv" "$W/s/threatfox-domains.csv" \
    "$W/s/openphish-feed.txt" "$W/s/phishtank-online-valid.json" >/dev/null &&
    "$B/threatatlas" intel import --db "$db" --kind c2 --source feodo-ipblocklist \
        "$W/s/feodo-ipblocklist.txt" >/dev/null &&
    "$B/threatatlas" intel import --db "$db" --kind webshell --source gen-webshell-paths \
        "$W/s/webshell-paths.txt" >/dev/null || exit 1
measure analyze_pcap "$RUNS" "$B/threatatlas" analyze "${pcaps[@]}" --db "$db" --no-store \
    --home CN -o "$W/p.json"
measure analyze_eve "$RUNS" "$B/threatatlas" analyze --input eve -r "$W/eve.json" --db "$db" \
    --no-store --home CN -o "$W/e.json"
np=$(wc -l <"$W/p.json")
ne=$(wc -l <"$W/e.json")

frag_begin "Log inputs: Suricata EVE, Zeek, access logs"
frag "Readers alone (\`$B/bench/bench-logsrc\`: the reader into a sink that only counts), median of" \
    "$RUNS runs, CPU time of the process (user + system), so per core. Records: flows, DNS, HTTP" \
    "and TLS records (and Zeek x509 certificates); Zeek's notice, weird and other logs are read" \
    "and counted as ignored lines. Target: EVE and Zeek logs >= 500 k records/s per core." ""
frag "| input | lines | records | CPU s | records/CPU-s |" "|---|---:|---:|---:|---:|"
frag "$(echo "$eve" | awk '{printf "| EVE of the national scenario (observe --http-headers, 3 days at scale 0.01), read 5 times | %d | %d | %.2f | %.0f k |\n", $1, $2, $3, $4 / 1000}')"
frag "$(echo "$zeek" | awk '{printf "| Zeek logs of ../shared/data/zeek-logs-wrccdc2018 (11 gzip TSV logs merged by time), read 5 times | %d | %d | %.2f | %.0f k |\n", $1, $2, $3, $4 / 1000}')"
frag "$(echo "$acc" | awk '{printf "| access log of ../shared/data/access-logs (combined), read 50 times | %d | %d | %.2f | %.0f k |\n", $1, $2, $3, $4 / 1000}')" ""
frag "Detection from the packets and from their EVE (intel of the scenario, no store), medians of $RUNS runs:" ""
frag "| input | wall s | CPU s | events |" "|---|---:|---:|---:|"
frag "$(awk -v w="${WALL[analyze_pcap]:-0}" -v c="${CPU[analyze_pcap]:-0}" -v n="$np" 'BEGIN { printf "| analyze on the packets | %.2f | %.2f | %d |\n", w, c, n }')"
frag "$(awk -v w="${WALL[analyze_eve]:-0}" -v c="${CPU[analyze_eve]:-0}" -v n="$ne" 'BEGIN { printf "| analyze --input eve on their EVE | %.2f | %.2f | %d |\n", w, c, n }')" ""
frag "The events are the same ones (case tests/integration/log-inputs/) but for webshell requests" \
    "known by their bodies, which EVE does not carry."
frag_end
[[ $KEEP == 1 ]] || rm -rf "$W"
