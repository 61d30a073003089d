#!/usr/bin/env bash
# --threads N gives what one thread gives: the same EVE records in the same
# order from observe, the same alerts and flow/dns/http/tls records from
# analyze, the same stored events and a byte-identical report, for 2 and 4
# workers (on any number of cores: the order does not come from the
# scheduler). Inputs: the generated national scenario (with intel, GeoIP and
# the store), the beacon scenario (beaconing and DNS-linked detections
# cross workers), and every real capture in $TA_SHARED_DATA read as one
# input (timestamps jump between files, which exercises the shared timeout
# decision).
set -euo pipefail
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
D=${TA_SHARED_DATA:-}
[[ -n $D && -d $D ]] || { echo "shared data missing (\$TA_SHARED_DATA)"; exit 77; }
"$TA_BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

same() { # label file1 fileN: byte-identical, and a multiset check that names a difference
    if ! cmp -s "$2" "$3"; then
        echo "$1: output differs from --threads 1 ($2 vs $3)"
        python3 - "$2" "$3" <<'PY'
import sys, collections
a = collections.Counter(open(sys.argv[1]).read().splitlines())
b = collections.Counter(open(sys.argv[2]).read().splitlines())
print("same multiset" if a == b else "only in 1 thread: %s\nonly in N: %s" % (
    list((a - b).elements())[:3], list((b - a).elements())[:3]))
PY
        exit 1
    fi
}

# Real captures: every file observe can read, in one run.
files=()
while IFS= read -r f; do
    if "$TA_BIN" observe --threads 1 -r "$f" -o /dev/null 2>/dev/null; then files+=(-r "$f"); fi
done < <(find "$D" \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -type f | sort)
n=$(( ${#files[@]} / 2 ))
[[ $n -ge 100 ]] || { echo "only $n readable captures under $D"; exit 1; }
for th in 1 2 4; do
    "$TA_BIN" observe --threads $th "${files[@]}" -o "$t/obs$th.json"
    "$TA_BIN" analyze --threads $th "${files[@]}" --no-intel --eve-types alert,flow,dns,http,tls \
        -o "$t/ana$th.json" 2>/dev/null
done
recs=$(wc -l < "$t/obs1.json")
[[ $recs -gt 3000 ]] || { echo "real captures: only $recs records"; exit 1; }
for th in 2 4; do
    same "real captures, observe --threads $th" "$t/obs1.json" "$t/obs$th.json"
    same "real captures, analyze --threads $th" "$t/ana1.json" "$t/ana$th.json"
done
echo "note: $n real captures, $recs observe records and $(wc -l < "$t/ana1.json") analyze records, same with 2 and 4 threads"

# Beaconing without intel: the detector's cross-flow state.
"$TA_GEN" --scenario beacon --out "$t/b" --seed 7 --quiet
for th in 1 2 4; do
    "$TA_BIN" analyze --threads $th -r "$t/b/beacon.pcap" --no-intel -o "$t/beacon$th.json" 2>/dev/null
done
grep -q '"c2-suspected"\|beacon' "$t/beacon1.json" || { echo "beacon scenario: no beacon alerts"; exit 1; }
same "beacon, --threads 2" "$t/beacon1.json" "$t/beacon2.json"
same "beacon, --threads 4" "$t/beacon1.json" "$t/beacon4.json"

# The national scenario, end to end: alerts, stored events, the report.
"$TA_GEN" --scenario national --scale 0.01 --from 2014-03-19 --to 2014-03-21 --seed 11 \
    --out "$t/s" --quiet
"$TA_BIN" intel import --db "$t/intel.db" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$TA_BIN" intel import --db "$t/intel.db" --kind webshell --source gen-webshell-paths \
    "$t/s/webshell-paths.txt" >/dev/null
args=()
for p in "$t"/s/pcap/*.pcap; do args+=(-r "$p"); done
for th in 1 2 4; do
    cp "$t/intel.db" "$t/n$th.db"
    "$TA_BIN" analyze --threads $th "${args[@]}" --db "$t/n$th.db" --home CN -o "$t/nat$th.json" 2>/dev/null
    "$TA_BIN" report --db "$t/n$th.db" --from 2014-03-19 --to 2014-03-21 --format json |
        python3 -c "import json,sys; d=json.load(sys.stdin); [d.pop(k,None) for k in ('generated','runs')]; print(json.dumps(d,sort_keys=True,indent=1))" > "$t/rep$th.json"
    "$TA_BIN" report --db "$t/n$th.db" --from 2014-03-19 --to 2014-03-21 --format text |
        grep -v -i 'generated\|run ' > "$t/rep$th.txt"
    "$TA_BIN" events --db "$t/n$th.db" --format eve > "$t/ev$th.json"
done
alerts=$(wc -l < "$t/nat1.json")
[[ $alerts -gt 50 ]] || { echo "national: only $alerts alerts"; exit 1; }
for th in 2 4; do
    same "national alerts, --threads $th" "$t/nat1.json" "$t/nat$th.json"
    same "national report (json), --threads $th" "$t/rep1.json" "$t/rep$th.json"
    same "national report (text), --threads $th" "$t/rep1.txt" "$t/rep$th.txt"
    same "national stored events, --threads $th" "$t/ev1.json" "$t/ev$th.json"
done
echo "note: national: $alerts alerts, the same events and report with 2 and 4 threads"
