#!/usr/bin/env bash
# End to end: generated national scenario -> intel import -> analyze -> report
# must equal the generator's truth.json exactly, for the whole period, for
# every single day, and with --src-cc/--dst-cc filters. Then the idempotence
# and kill -9 properties of the store on real analysis runs.
#
# Runs the release build (the scenario is ~100 MB of packets; ASan builds are
# covered by every other test). Needs the pinned GeoIP data (make geo-data).
set -euo pipefail
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
BIN=$REL/threatatlas
GEN=$REL/threatatlas-gen
[[ -x $BIN && -x $GEN ]] || { echo "release build missing ($REL)"; exit 77; }
if ! "$BIN" geo info >/dev/null 2>&1; then
    echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77
fi
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
FROM=2014-03-19 TO=2014-03-23
"$GEN" --scenario national --scale 0.01 --from $FROM --to $TO --seed 11 --out "$t/s" --quiet
db=$t/atlas.db
"$BIN" intel import --db "$db" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$db" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$db" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null

pcaps=("$t"/s/pcap/*.pcap)
args=()
for p in "${pcaps[@]}"; do args+=(-r "$p"); done
"$BIN" analyze "${args[@]}" --db "$db" --home CN -o "$t/events.json"

compare() { # compare.py truth.json-section report.json label
    python3 - "$1" "$2" "$3" "${4:-}" "${5:-}" <<'PY'
import json, sys
truth_path, got_path, label, src, dst = sys.argv[1:6]
truth = json.load(open(truth_path))
if label.startswith("day:"):
    truth = truth["days"].get(label[4:], {"botnet": [], "phishing": [], "backdoor": []})
got = json.load(open(got_path))
keys = {"botnet": ["c2_servers", "controlled_hosts"],
        "phishing": ["phishing_hosts", "phishing_pages", "phishing_attacks"],
        "backdoor": ["attacker_ips", "backdoor_attacks", "compromised_websites"]}
bad = 0
for sec, ks in keys.items():
    want = {(r["src_cc"], r["dst_cc"]): [r[k] for k in ks] for r in truth.get(sec, [])
            if (not src or r["src_cc"] == src) and (not dst or r["dst_cc"] == dst)}
    have = {(r["src_cc"], r["dst_cc"]): [r[k] for k in ks] for r in got.get(sec, [])}
    for pair in sorted(set(want) | set(have)):
        w, h = want.get(pair), have.get(pair)
        if w != h:
            bad += 1
            print(f"{label}: {sec} {pair[0]}->{pair[1]}: truth {dict(zip(ks, w)) if w else None}, report {dict(zip(ks, h)) if h else None}")
sys.exit(1 if bad else 0)
PY
}

fail=0
"$BIN" report --db "$db" --from $FROM --to $TO --format json > "$t/r.json"
compare "$t/s/truth.json" "$t/r.json" period || fail=1
for d in $(python3 -c "import json,sys; print(' '.join(sorted(json.load(open(sys.argv[1]))['days'])))" "$t/s/truth.json"); do
    "$BIN" report --db "$db" --from "$d" --to "$d" --format json > "$t/d.json"
    compare "$t/s/truth.json" "$t/d.json" "day:$d" || fail=1
done
"$BIN" report --db "$db" --from $FROM --to $TO --src-cc US --dst-cc CN --format json > "$t/f.json"
compare "$t/s/truth.json" "$t/f.json" "US->CN" US CN || fail=1
[[ $fail -eq 0 ]] || { echo "report differs from truth.json"; exit 1; }

# The stored events, exported, are exactly the alerts analyze wrote.
"$BIN" events --db "$db" --format eve > "$t/exported.json"
cmp -s <(sort "$t/events.json") <(sort "$t/exported.json") \
    || { echo "events --format eve differs from analyze's alerts"; exit 1; }

# The same inputs again add nothing.
"$BIN" analyze "${args[@]}" --db "$db" --home CN -o /dev/null 2>"$t/again.err"
"$BIN" report --db "$db" --from $FROM --to $TO --format json > "$t/r2.json"
cmp -s <(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k,None) for k in ('generated','runs','data')]; print(json.dumps(d,sort_keys=True))" "$t/r.json") \
       <(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k,None) for k in ('generated','runs','data')]; print(json.dumps(d,sort_keys=True))" "$t/r2.json") \
    || { echo "second analysis of the same inputs changed the report"; exit 1; }

# kill -9 in the middle of an analysis, then rerun: same report as uninterrupted.
db2=$t/killed.db
cp "$db" "$db2.tmp" && rm -f "$db2.tmp"
"$BIN" intel import --db "$db2" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$db2" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$db2" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null
"$BIN" analyze "${args[@]}" --db "$db2" --home CN -o /dev/null 2>/dev/null &
pid=$!
sleep 1.5
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
"$BIN" analyze "${args[@]}" --db "$db2" --home CN -o /dev/null 2>/dev/null
"$BIN" report --db "$db2" --from $FROM --to $TO --format json > "$t/r3.json"
compare "$t/s/truth.json" "$t/r3.json" after-kill || { echo "report after kill -9 and rerun differs from truth"; exit 1; }

n=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(sum(r['controlled_hosts'] for r in t['botnet']), sum(r['phishing_attacks'] for r in t['phishing']), sum(r['backdoor_attacks'] for r in t['backdoor']))" "$t/s/truth.json")
echo "info: national scale 0.01, $FROM..$TO (${#pcaps[@]} days): report == truth.json for the period, each day and US->CN (controlled hosts, phishing visits, backdoor requests: $n); idempotent rerun; kill -9 + rerun"
