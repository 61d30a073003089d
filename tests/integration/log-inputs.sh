#!/usr/bin/env bash
# Inputs that are not packets: Suricata EVE, Zeek logs, access logs (--input).
#
# 1. observe's own EVE read back (--input eve) is written out again byte for
#    byte (every record but the stats), for the national and appmix scenarios.
# 2. analyze --input eve on that EVE gives the report the packets give: the
#    botnet and phishing sections are equal, and every event is the same
#    event (kind, method, both sides, ports, transaction, time) but for the
#    one detection EVE cannot carry: a webshell recognised by the bodies of
#    its request and answer (EVE has no bodies). From EVE such a request is
#    known by its webshell URL indicator: confirmed when answered with
#    content, else a probe (backdoor-suspected), which the backdoor section
#    of the report does not count.
# 3. The Zeek logs and the access log in ../shared/data through the command
#    line: the records of each type and the exit status.
#
# Runs the release build (the scenario is large for ASan). Needs the pinned GeoIP data.
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

"$GEN" --scenario national --scale 0.01 --from 2014-03-19 --to 2014-03-20 --seed 11 \
    --out "$t/s" --quiet
db=$t/intel.db
"$BIN" intel import --db "$db" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$db" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$db" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null
pcaps=()
for p in "$t"/s/pcap/*.pcap; do pcaps+=(-r "$p"); done

# 1. The round trip of observe's output, national and appmix.
same_records() { # same_records A B: equal but for the stats record
    if ! cmp -s <(grep -v '"event_type":"stats"' "$1") <(grep -v '"event_type":"stats"' "$2"); then
        echo "FAIL: $2 differs from $1:"; diff <(grep -v '"event_type":"stats"' "$1") \
            <(grep -v '"event_type":"stats"' "$2") | head -5; exit 1
    fi
}
"$BIN" observe --http-headers "${pcaps[@]}" -o "$t/eve.json"
"$BIN" observe --http-headers --input eve -r "$t/eve.json" -o "$t/eve2.json"
same_records "$t/eve.json" "$t/eve2.json"
n=$(grep -vc '"event_type":"stats"' "$t/eve.json")
[[ $n -gt 50000 ]] || { echo "FAIL: only $n EVE records from the national scenario"; exit 1; }
echo "ok: $n EVE records of the national scenario read back to the same text"
"$GEN" --scenario appmix --size 8M --seed 42 --out "$t/app" --quiet
"$BIN" observe --http-headers -r "$t/app/appmix.pcap" -o "$t/app.json"
"$BIN" observe --http-headers --input eve -r "$t/app.json" -o "$t/app2.json"
same_records "$t/app.json" "$t/app2.json"
for ty in dns http tls flow; do
    c=$(grep -c "\"event_type\":\"$ty\"" "$t/app2.json")
    [[ $c -gt 0 ]] || { echo "FAIL: no $ty records read back from appmix"; exit 1; }
done
echo "ok: appmix EVE read back to the same text"

# 2. Detection and the report: packets against their EVE.
cp "$db" "$t/p.db"
cp "$db" "$t/e.db"
"$BIN" analyze "${pcaps[@]}" --db "$t/p.db" --home CN -o "$t/p-events.json" 2>/dev/null
"$BIN" analyze --input eve -r "$t/eve.json" --db "$t/e.db" --home CN -o "$t/e-events.json" 2>/dev/null
for d in p e; do
    "$BIN" report --db "$t/$d.db" --from 2014-03-19 --to 2014-03-20 --format json >"$t/$d-report.json"
done
python3 - "$t" <<'PY'
import json, sys
t = sys.argv[1]
rp, re_ = (json.load(open(f"{t}/{d}-report.json")) for d in "pe")
for sec in ("botnet", "phishing"):
    if rp.get(sec) != re_.get(sec):
        sys.exit(f"FAIL: report section {sec} differs between packets and EVE")
    if not rp.get(sec):
        sys.exit(f"FAIL: report section {sec} is empty: nothing compared")
def events(path):
    out = {}
    for line in open(path):
        e = json.loads(line)
        md = e["alert"]["metadata"]
        key = (e["src_ip"], e.get("src_port"), e["dest_ip"], e.get("dest_port"), e["proto"],
               e["timestamp"], e.get("tx_id"))
        out[key] = (md["threatatlas_kind"][0], md["threatatlas_method"][0], e["alert"]["signature"])
    return out
p, e = events(f"{t}/p-events.json"), events(f"{t}/e-events.json")
if set(p) != set(e):
    sys.exit(f"FAIL: {len(set(p) ^ set(e))} events only one side has")
body = suspected = 0
for k in p:
    if p[k] == e[k]:
        continue
    kind, method, sig = p[k]
    # The one detection EVE cannot carry: webshell content (request and answer bodies).
    # From EVE the same request is known by its URL indicator only: confirmed when it was
    # answered with content, else a probe (suspected).
    if kind == "backdoor" and method == "content" and e[k][1] in ("url", "probe"):
        body += 1
        suspected += e[k][0] == "backdoor-suspected"
        continue
    sys.exit(f"FAIL: event {k}: packets {p[k]}, EVE {e[k]}")
print(f"ok: {len(p)} events, the same from EVE but {body} webshell requests known by their "
      f"bodies (from EVE by their URL, {suspected} of them unanswered: suspected); botnet and "
      "phishing reports equal")
PY

# 3. Zeek logs and an access log from ../shared/data.
D=${TA_SHARED_DATA:-../shared/data}
Z=$D/zeek-logs-wrccdc2018/zeek-default
A=$D/access-logs/examples/demolog/hackers-access.log
if [[ ! -d $Z || ! -f $A ]]; then
    echo "../shared/data (zeek-logs-wrccdc2018, access-logs) is absent"; exit 77
fi
"$BIN" observe --input zeek -r "$Z" -o "$t/zeek.json"
[[ $(grep -c '"event_type":"dns"' "$t/zeek.json") -eq 53615 ]] || { echo "FAIL: zeek dns"; exit 1; }
[[ $(grep -c '"event_type":"tls"' "$t/zeek.json") -eq 49474 ]] || { echo "FAIL: zeek tls"; exit 1; }
"$BIN" analyze --input zeek -r "$Z" --no-intel --no-store --home US -o "$t/zeek-events.json" 2>/dev/null
"$BIN" observe --input access-log -r "$A" -o "$t/acc.json"
[[ $(grep -c '"event_type":"http"' "$t/acc.json") -eq 3456 ]] || { echo "FAIL: access-log http"; exit 1; }
# A log format that does not compile is a usage error.
set +e
"$BIN" observe --input access-log --log-format '$remote_addr$status' -r "$A" -o "$t/x.json" 2>"$t/err"
rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "FAIL: a bad --log-format exits $rc, not 2"; cat "$t/err"; exit 1; }
grep -q "two variables" "$t/err" || { echo "FAIL: no reason for the bad format"; cat "$t/err"; exit 1; }
echo "ok: Zeek logs (53615 dns, 49474 tls) and the access log (3456 http) read"
