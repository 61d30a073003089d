#!/usr/bin/env bash
# Every EVE record threatatlas writes validates against Suricata's EVE schema
# (../shared/data/suricata-eve-format/etc/schema.json, via
# tests/tools/eve-validate.py and python3-jsonschema):
#   - observe on every real capture in ../shared/data (suricata-verify, Zeek,
#     tcpdump DNS, nDPI, the maltrail sensor corpus, the Godzilla webshell lab);
#   - analyze --eve-types flow,dns,http,tls,alert on the same captures without
#     intel, on the maltrail corpus with its trails, and on the demo's
#     generated traffic (national scenario, seed 42, plus topsites) with its
#     feeds; and `events` exporting what that run stored.
# Each output must also hold the event types it is meant to (a run writing
# nothing would validate trivially). Missing schema or module: skip on a
# developer machine, failure in CI (run-all.sh).
set -uo pipefail
D=$TA_SHARED_DATA
S="$D/suricata-eve-format/etc/schema.json"
[[ -f $S ]] || { echo "skip: Suricata's EVE schema absent ($S)"; exit 77; }
# The first python3 that has the module: PATH's (a pyenv or venv one may carry it), else
# Debian's, where install-deps puts python3-jsonschema.
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
[[ -n $PY ]] || { echo "skip: python3-jsonschema missing (apt-get install python3-jsonschema)"; exit 77; }
V=("$PY" tests/tools/eve-validate.py "$S")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0

# The checker itself: it rejects what the schema rejects, also for a record whose
# shape it has seen valid (a bad timestamp after a good one, an unknown member).
{
    echo '{"timestamp":"2014-03-19T00:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1"}'
    echo '{"timestamp":"2014-03-19 00:00:00","event_type":"flow","src_ip":"10.0.0.1"}'
    echo '{"timestamp":"2014-03-19T00:00:00.000000+0000","event_type":"alert","threatatlas":{}}'
} >"$t/bad.json"
out=$("${V[@]}" "$t/bad.json")
rc=$?
if [[ $rc -ne 1 ]] || ! grep -q "3 records, 2 invalid" <<<"$out"; then
    echo "FAIL: the checker passed invalid records (rc $rc): $out"
    fail=1
fi

caps=()
while IFS= read -r f; do caps+=("$f"); done < <(
    find "$D"/suricata-verify "$D"/zeek-traces "$D"/tcpdump-dns "$D"/ndpi \
        "$D"/maltrail-sensor-corpus "$D"/n3tfl0w-webshell-traffic \
        \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.gz' \) 2>/dev/null | sort)
[[ ${#caps[@]} -ge 100 ]] || { echo "FAIL: only ${#caps[@]} real captures found under $D"; exit 1; }

# observe, one output per capture (each ends with its stats record).
i=0
for c in "${caps[@]}"; do
    i=$((i + 1))
    # A few captures are damaged on purpose (truncated): a warning, still output.
    "$TA_BIN" observe -r "$c" -o "$t/obs-$i.json" 2>>"$t/obs.err" ||
        { echo "FAIL: observe $c"; fail=1; }
done
cat "$t"/obs-*.json >"$t/observe.json"
"${V[@]}" "$t/observe.json" --expect-types flow,dns,http,tls,stats || fail=1

# analyze without intel over all of them, every EVE type.
ALL=flow,dns,http,tls,alert
args=()
for c in "${caps[@]}"; do args+=(-r "$c"); done
"$TA_BIN" analyze "${args[@]}" --no-intel --home CN --eve-types $ALL -o "$t/analyze-real.json" \
    2>"$t/a.err" || { echo "FAIL: analyze real captures"; tail -3 "$t/a.err"; fail=1; }
"${V[@]}" "$t/analyze-real.json" --expect-types $ALL || fail=1

# The maltrail corpus with its trails: indicator alerts.
M="$D/maltrail-sensor-corpus/sensor/tests/corpus"
if [[ -f $M/trails.csv ]]; then
    "$TA_BIN" intel import --db "$t/m.db" "$M/trails.csv" >/dev/null 2>&1 || fail=1
    margs=()
    for c in "$M"/*.pcap; do margs+=(-r "$c"); done
    "$TA_BIN" analyze "${margs[@]}" --db "$t/m.db" --no-store --eve-types $ALL \
        -o "$t/analyze-maltrail.json" 2>"$t/m.err" || { echo "FAIL: analyze maltrail"; fail=1; }
    "${V[@]}" "$t/analyze-maltrail.json" --expect-types alert,flow || fail=1
    # --eve-extension is the documented way out of the schema: its alerts do not validate.
    "$TA_BIN" analyze "${margs[@]}" --db "$t/m.db" --no-store --eve-extension \
        -o "$t/ext.json" 2>/dev/null || fail=1
    if "${V[@]}" "$t/ext.json" >/dev/null; then
        echo "FAIL: alerts with the threatatlas object validated"; fail=1
    fi
else
    echo "FAIL: maltrail sensor corpus absent ($M)"; fail=1
fi

# The demo's traffic (scripts/demo), one day of it, with its feeds.
G="$t/demo"
"$TA_GEN" --scenario national --scale 0.01 --from 2014-03-19 --to 2014-03-19 --out "$G/s" \
    --seed 42 --quiet 2>/dev/null || { echo "FAIL: generator"; exit 1; }
"$TA_GEN" --scenario topsites --from 2014-03-19 --out "$G/ts" --seed 42 --quiet 2>/dev/null ||
    { echo "FAIL: generator (topsites)"; exit 1; }
db="$G/atlas.db"
{
    "$TA_BIN" intel import --db "$db" "$G/s/feodo-ipblocklist.csv" "$G/s/threatfox-domains.csv" \
        "$G/s/openphish-feed.txt" "$G/s/phishtank-online-valid.json" &&
        "$TA_BIN" intel import --db "$db" --kind webshell --source webshell-paths \
            "$G/s/webshell-paths.txt" &&
        "$TA_BIN" intel import --db "$db" "$G/ts/trails/" "$G/ts/feodo-topsites.csv" \
            "$G/ts/allowlist-top-sites.json"
} >/dev/null 2>"$G/import.err" || { echo "FAIL: demo intel import"; cat "$G/import.err"; exit 1; }
"$TA_BIN" observe -r "$G/s/pcap/2014-03-19.pcap" -r "$G/ts/topsites.pcap" -o "$t/observe-demo.json" ||
    fail=1
"${V[@]}" "$t/observe-demo.json" --expect-types flow,dns,http,tls,stats || fail=1
"$TA_BIN" analyze -r "$G/s/pcap/2014-03-19.pcap" -r "$G/ts/topsites.pcap" --db "$db" --home CN \
    --eve-types $ALL -o "$t/analyze-demo.json" 2>"$G/a.err" ||
    { echo "FAIL: analyze demo"; tail -3 "$G/a.err"; fail=1; }
"${V[@]}" "$t/analyze-demo.json" --expect-types $ALL || fail=1
"$TA_BIN" events --db "$db" >"$t/events.json" || fail=1
"${V[@]}" "$t/events.json" --expect-types alert || fail=1

# Every signature written has its own id from the table (none falls back to kind + method).
python3 - "$t"/analyze-*.json "$t/events.json" <<'PY' || fail=1
import json, sys
sigs, bad = {}, []
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        if r["event_type"] != "alert":
            continue
        a = r["alert"]
        sigs.setdefault(a["signature_id"], set()).add(a["signature"].split(" (score")[0])
        if a["signature_id"] < 9101000:
            bad.append(a["signature"])
shared = {k: v for k, v in sigs.items() if len(v) > 1}
print("info: %d signature ids in the alerts" % len(sigs))
if bad or shared:
    print("FAIL: signatures without an id of their own: %s; ids shared: %s" % (sorted(set(bad)), shared))
    sys.exit(1)
PY

# Every alerted flow's record says so: as many alerted flows as flows with an alert.
python3 - "$t/analyze-demo.json" <<'PY' || fail=1
import json, sys
alerted, flows_with_alert = set(), set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event_type"] == "alert":
        flows_with_alert.add(r["flow_id"])
    elif r["event_type"] == "flow" and r["flow"]["alerted"]:
        alerted.add(r["flow_id"])
missing = flows_with_alert - alerted
extra = alerted - flows_with_alert
print("info: %d flows alerted, %d of them without flow.alerted, %d alerted without an alert"
      % (len(flows_with_alert), len(missing), len(extra)))
sys.exit(1 if extra or len(missing) > len(flows_with_alert) // 100 else 0)
PY
exit $fail
