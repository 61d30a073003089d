#!/usr/bin/env bash
# Hosts browsing well-known sites at addresses a feed lists as C&C (Bing's
# 204.79.197.200:443 as maltrail lists it, and the like), next to one real
# C&C: with the top-sites allow list (passed as --allow-file, as analyze
# loads the installed one) every top-site contact is kept but suppressed,
# and the report counts only the real server and its hosts, as
# truth-topsites.json says.
set -uo pipefail
BIN=${TA_BIN:?}
GEN=${TA_GEN:?}
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$GEN" --scenario topsites --out "$T/s" --seed 3 >/dev/null 2>&1 || { echo "FAIL: generator"; exit 1; }
"$BIN" intel import --db "$T/a.db" "$T/s/trails/" "$T/s/feodo-topsites.csv" >/dev/null 2>&1 ||
    { echo "FAIL: import"; exit 1; }
"$BIN" analyze -r "$T/s/topsites.pcap" --db "$T/a.db" --home CN --no-beacon \
    --allow-file "$T/s/allowlist-top-sites.json" -o "$T/ev.json" 2>"$T/err" ||
    { echo "FAIL: analyze"; cat "$T/err"; exit 1; }
day=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['day'])" "$T/s/truth-topsites.json")
"$BIN" report --db "$T/a.db" --from "$day" --to "$day" --format json >"$T/r.json" ||
    { echo "FAIL: report"; exit 1; }
python3 - "$T/s/truth-topsites.json" "$T/r.json" "$T/ev.json" <<'PY'
import json, sys
t, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ev = [json.loads(l) for l in open(sys.argv[3])]
fails = 0
def check(what, got, want):
    global fails
    if got != want:
        print("FAIL %s: got %r, want %r" % (what, got, want)); fails += 1
rows = [{k: x[k] for k in ("src_cc", "dst_cc", "c2_servers", "controlled_hosts")} for x in r["botnet"]]
check("botnet rows", rows, t["report"]["botnet"])
check("phishing rows", r["phishing"], []); check("backdoor rows", r["backdoor"], [])
exp = t["expected"]
md = lambda e, k: (e["alert"]["metadata"].get(k) or [None])[0]
sup = [e for e in ev if md(e, "suppressed_by")]
check("suppressed events", len(sup), exp["suppressed_events"])
check("suppressed by", sorted({md(e, "suppressed_by") for e in sup}), [exp["suppressed_by"]])
check("report suppressed", r["suppressed"], {"c2": {exp["suppressed_by"]: exp["suppressed_events"]}})
counted = [e for e in ev if md(e, "threatatlas_kind") == "c2" and not md(e, "suppressed_by")]
check("counted c2 events", len(counted), exp["counted_c2_events"])
check("counted servers", sorted({e["dest_ip"] for e in counted}), [t["c2"]["ip"]])
bing = [e for e in sup if e["dest_ip"] == "204.79.197.200"]
if not bing:
    print("FAIL: no suppressed contact to Bing's address"); fails += 1
sys.exit(1 if fails else 0)
PY
[[ $? -eq 0 ]] || exit 1
echo "info: topsites: every contact to a listed top site suppressed by its allow list, the real C&C counted"
