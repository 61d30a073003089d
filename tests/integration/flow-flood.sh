#!/usr/bin/env bash
# Flow flood, scaled for `make check`: 300,000 distinct one-packet flows
# (threatatlas-gen --scenario flood: even flows a TCP SYN, odd flows a UDP
# datagram) with --max-flows 10000 must evict exactly 290,000 flows (reason "forced",
# counted in stats.flow.evicted) and keep resident memory within the budget
# documented in bench/README.md: 8 MiB + 448 bytes per flow slot of
# --max-flows, with one thread; with worker threads (--threads 2) 3 MiB more for the
# batches in flight and the workers' own pools. The memory bound is checked on the release binary (ASan's
# shadow memory and quarantine would measure the sanitizer, not us); the
# 5,000,000-flow / --max-flows 100000 version runs in `make bench`.
set -uo pipefail
[[ -x $TA_GEN ]] || { echo "threatatlas-gen not built: $TA_GEN"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
N=300000 CAP=10000
"$TA_GEN" --scenario flood --flows $N --out "$t" --quiet || exit 1
# --eve-extension: the stats record with our own counters (flow.created/ended/evicted).
"$TA_BIN" observe -r "$t/flood.pcap" --max-flows $CAP --eve-extension -o "$t/eve" || { echo "observe failed"; exit 1; }
fail=0
grep -qF "\"flow\":{\"created\":$N,\"ended\":$N,\"evicted\":$((N - CAP)),\"active\":0}" "$t/eve" ||
    { echo "FAIL stats: $(tail -1 "$t/eve" | grep -o '"flow":{[^}]*}')"; fail=1; }
forced=$(grep -c '"reason":"forced"' "$t/eve")
shutdown=$(grep -c '"reason":"shutdown"' "$t/eve")
[[ $forced -eq $((N - CAP)) && $shutdown -eq $CAP ]] ||
    { echo "FAIL: $forced forced / $shutdown shutdown records, want $((N - CAP)) / $CAP"; fail=1; }
# The oldest flows are evicted first: the first record is the first flow of the capture.
head -1 "$t/eve" | grep -qF '"src_ip":"10.0.0.0","src_port":1024,' || { echo "FAIL: eviction order"; head -1 "$t/eve"; fail=1; }

REL=$TA_BUILD/../rel/threatatlas
if [[ -x $REL && -x /usr/bin/time ]]; then
    for th in 1 2; do
        budget_kb=$((8 * 1024 + CAP * 448 / 1024 + (th > 1 ? 3 * 1024 : 0)))
        rss_kb=$(/usr/bin/time -f %M "$REL" observe --threads $th -r "$t/flood.pcap" --max-flows $CAP -o /dev/null 2>&1 >/dev/null | tail -1)
        echo "info: flood $N flows, --max-flows $CAP, --threads $th: peak RSS ${rss_kb} kB (budget ${budget_kb} kB), $((N - CAP)) evictions"
        [[ $rss_kb -le $budget_kb ]] || { echo "FAIL: RSS $rss_kb kB over budget $budget_kb kB (--threads $th)"; fail=1; }
    done
else
    echo "note: release binary or /usr/bin/time absent: memory bound not measured"
fi
exit $fail
