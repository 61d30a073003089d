#!/usr/bin/env bash
# National scenario end to end: threatatlas-gen --scenario national,
# then import its feeds, analyze every day's capture, report; each step's wall
# time, CPU time and peak resident memory (/usr/bin/time: VmHWM), and whether
# the JSON report equals truth.json exactly for the whole period, for every
# day and for the US->CN filter (the checks of tests/integration/e2e-national.sh).
# One run (it is long): at scale 1.0 over the default 61 days the captures
# take about 32 GB under $TA_BENCH_DIR, removed at the end unless TA_BENCH_KEEP=1.
#   TA_BENCH_NATIONAL_SCALE=1.0 TA_BENCH_NATIONAL_FROM=2014-03-19
#   TA_BENCH_NATIONAL_TO=2014-05-18 TA_BENCH_NATIONAL_SEED=42 bench/national.sh
# Needs the pinned GeoIP data (make geo-data); exits 77 without it.
# Writes $TA_BENCH_DIR/results/national.md (see bench/lib.sh for the settings).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
SCALE=${TA_BENCH_NATIONAL_SCALE:-1.0}
FROM=${TA_BENCH_NATIONAL_FROM:-2014-03-19}
TO=${TA_BENCH_NATIONAL_TO:-2014-05-18}
SEED=${TA_BENCH_NATIONAL_SEED:-42}
BIN=$B/threatatlas
GEN=$B/threatatlas-gen
[[ -x $BIN && -x $GEN ]] || { echo "$B not built (make)"; exit 77; }
"$BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

W=$OUT/national
rm -rf "$W" && mkdir -p "$W"
S=$W/scenario
db=$W/atlas.db
GENCMD="$GEN --scenario national --scale $SCALE --from $FROM --to $TO --seed $SEED --out $S --quiet"
measure generate 1 $GENCMD
IMPORT="$BIN intel import --db $db $S/feodo-ipblocklist.csv $S/threatfox-domains.csv $S/openphish-feed.txt $S/phishtank-online-valid.json && $BIN intel import --db $db --kind c2 --source feodo-ipblocklist $S/feodo-ipblocklist.txt && $BIN intel import --db $db --kind webshell --source gen-webshell-paths $S/webshell-paths.txt"
[[ -n ${WALL[generate]:-} ]] && measure import 1 bash -c "$IMPORT"
CMD[import]=$IMPORT
pcaps=("$S"/pcap/*.pcap)
args=()
for p in "${pcaps[@]}"; do args+=(-r "$p"); done
GBYTES=$(du -cb "${pcaps[@]}" 2>/dev/null | tail -1 | cut -f1)
[[ -n ${WALL[import]:-} ]] &&
    measure analyze 1 "$BIN" analyze "${args[@]}" --db "$db" --home CN -o /dev/null
CMD[analyze]="$BIN analyze -r $S/pcap/<each day>.pcap ... --db $db --home CN -o /dev/null"
[[ -n ${WALL[analyze]:-} ]] &&
    measure report 1 bash -c "$BIN report --db $db --from $FROM --to $TO --format json >$W/report.json"
CMD[report]="$BIN report --db $db --from $FROM --to $TO --format json >$W/report.json"

compare() { # compare TRUTH REPORT LABEL [SRC DST]: exit 0 when the report equals the truth
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
        if want.get(pair) != have.get(pair):
            bad += 1
            print(f"{label}: {sec} {pair[0]}->{pair[1]}: truth {want.get(pair)}, report {have.get(pair)}")
sys.exit(1 if bad else 0)
PY
}
MATCH="not checked (an earlier step failed)"
if [[ -s $W/report.json ]]; then
    bad=0 days=0
    compare "$S/truth.json" "$W/report.json" period >>"$LOG/national-diff.txt" || bad=$((bad + 1))
    for d in $(python3 -c "import json,sys; print(' '.join(sorted(json.load(open(sys.argv[1]))['days'])))" "$S/truth.json"); do
        "$BIN" report --db "$db" --from "$d" --to "$d" --format json >"$W/d.json"
        compare "$S/truth.json" "$W/d.json" "day:$d" >>"$LOG/national-diff.txt" || bad=$((bad + 1))
        days=$((days + 1))
    done
    "$BIN" report --db "$db" --from "$FROM" --to "$TO" --src-cc US --dst-cc CN --format json >"$W/f.json"
    compare "$S/truth.json" "$W/f.json" US-CN US CN >>"$LOG/national-diff.txt" || bad=$((bad + 1))
    if [[ $bad -eq 0 ]]; then
        MATCH="**yes**: the report equals truth.json exactly for the period, each of the $days days and the US->CN filter"
    else
        MATCH="**NO**: $bad of $((days + 2)) reports differ from truth.json (first differences: $(head -3 "$LOG/national-diff.txt" | tr '\n' ';'))"
        FAILED+=("national report differs from truth.json (see $LOG/national-diff.txt)")
    fi
    TOTALS=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1])); b=[r for r in t['botnet'] if (r['src_cc'],r['dst_cc'])==('US','CN')]; print('US->CN C&C servers %d controlling %d hosts; phishing visits %d; backdoor requests %d (all pairs)' % (sum(r['c2_servers'] for r in b), sum(r['controlled_hosts'] for r in b), sum(r['phishing_attacks'] for r in t['phishing']), sum(r['backdoor_attacks'] for r in t['backdoor'])))" "$S/truth.json")
fi
SUMMARY=$(grep -m1 '^analyze: [0-9]* events' "$LOG/analyze.err" 2>/dev/null)

row() { # row STEP KEY
    [[ -n ${WALL[$2]:-} ]] || return 0
    frag "| $1 | ${WALL[$2]} | ${CPU[$2]} | $(awk -v k="${RSS[$2]}" 'BEGIN {printf "%.0f", k / 1024}') | \`${CMD[$2]}\` |"
}
frag_begin "National scenario end to end"
frag "\`threatatlas-gen --scenario national --scale $SCALE --from $FROM --to $TO --seed $SEED\`: ${#pcaps[@]} daily captures," \
    "$(awk -v b="${GBYTES:-0}" 'BEGIN {printf "%.2f GB", b / 1e9}') of packets; one run." ""
frag "| step | wall s | CPU s | peak RSS MB | command |" "|---|---:|---:|---:|---|"
row "generate" generate
row "import feeds" import
row "analyze all days" analyze
row "report (JSON, whole period)" report
TOT=$(awk -v a="${WALL[generate]:-0}" -v b="${WALL[import]:-0}" -v c="${WALL[analyze]:-0}" -v d="${WALL[report]:-0}" 'BEGIN {printf "%.1f", a + b + c + d}')
frag "" "- total wall clock of the four steps: $TOT s; analyze: $(fmt_rate "${GBYTES:-0}" "${WALL[analyze]:-0}")B/s of capture."
[[ -n $SUMMARY ]] && frag "- ${SUMMARY}"
[[ -n ${TOTALS:-} ]] && frag "- truth.json: ${TOTALS}."
frag "- report equals truth.json: $MATCH."
cleanup "$W"
frag_end
