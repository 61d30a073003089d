#!/usr/bin/env bash
# observe --collect udp://127.0.0.1:PORT receives NetFlow exports from several
# exporters at once until SIGTERM: akvorado's v5 export from 127.0.0.2 and its
# v9 template and data from 127.0.0.3 give their 29 and 4 records (the counts
# nfdump found in them), each record naming its exporter, and the stats record
# counts them by exporter; a bad address is one error line and exit 2.
# A collector-only sensor (threatatlas sensor with collect: and no
# interface:, intel from intel_db:) stores its run and the C&C event of the
# v5 export's record whose destination is a listed address.
set -uo pipefail
D=${TA_SHARED_DATA:-}
AK=$D/netflow-akvorado/outlet/flow/decoder/netflow/testdata
[[ -d $AK ]] || { echo "shared data absent: $AK"; exit 77; }
REPLAY=$(dirname "$0")/../tools/udp-replay.py
t=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$t"' EXIT
fail=0
"$TA_BIN" observe --collect udp://127.0.0.1:notaport -o "$t/x.json" 2>"$t/err"
rc=$?
[[ $rc -eq 2 && $(wc -l <"$t/err") -eq 1 ]] || { echo "FAIL: bad address: exit $rc"; cat "$t/err"; fail=1; }
port=
for try in 1 2 3 4 5; do
    port=$((30000 + RANDOM % 20000))
    "$TA_BIN" observe --eve-extension --collect "udp://127.0.0.1:$port" -o "$t/out.json" 2>"$t/obs.err" &
    pid=$!
    sleep 0.5
    kill -0 $pid 2>/dev/null && break
    pid=
done
[[ -n $pid ]] || { echo "FAIL: the collector did not start"; cat "$t/obs.err"; exit 1; }
python3 "$REPLAY" "$port" 127.0.0.2 "$AK/nfv5.pcap" &
a=$!
python3 "$REPLAY" "$port" 127.0.0.3 "$AK/template.pcap" "$AK/data.pcap" &
b=$!
wait $a $b || { echo "FAIL: replay"; fail=1; }
# Records are written as they arrive; wait for them (at most 5 s), then stop.
for _ in $(seq 50); do
    [[ $(grep -c '"event_type":"netflow"' "$t/out.json" 2>/dev/null) -ge 33 ]] && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
pid=
[[ $rc -eq 0 ]] || { echo "FAIL: observe exit $rc after SIGTERM"; cat "$t/obs.err"; fail=1; }
n2=$(grep '"event_type":"netflow"' "$t/out.json" | grep -c '"format":"netflow5","exporter":"127.0.0.2"')
n3=$(grep '"event_type":"netflow"' "$t/out.json" | grep -c '"format":"netflow9","exporter":"127.0.0.3"')
[[ $n2 -eq 29 && $n3 -eq 4 ]] || { echo "FAIL: records from 127.0.0.2: $n2 (want 29), from 127.0.0.3: $n3 (want 4)"; fail=1; }
# The stats record (with the extension) counts the collector's records by exporter.
python3 - "$t/out.json" <<'PY' || fail=1
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
ins = last["stats"]["inputs"]
got = sorted((o["format"], o["exporter"], o["records"]) for o in ins[0]["origins"])
want = [("netflow5", "127.0.0.2", 29), ("netflow9", "127.0.0.3", 4)]
if last["event_type"] != "stats" or ins[0]["kind"] != "flows" or got != want or ins[0]["observations"] != 33:
    print("FAIL: stats.inputs", ins)
    sys.exit(1)
PY

# A flow collector as a sensor: the config names collect:, not interface:.
echo 202.152.70.24 >"$t/c2.txt"
"$TA_BIN" intel import --db "$t/i.db" --format plain --kind c2 "$t/c2.txt" >/dev/null 2>&1 ||
    { echo "FAIL: intel import"; exit 1; }
for try in 1 2 3 4 5; do
    port=$((30000 + RANDOM % 20000))
    cat >"$t/c.yaml" <<YAML
sensor:
  collect: udp://127.0.0.1:$port
  db: $t/s.db
  intel_db: $t/i.db
  sensor: flow-sensor
  output: $t/alerts.json
  commit_interval: 1s
YAML
    "$TA_BIN" sensor --config "$t/c.yaml" 2>"$t/sensor.err" &
    pid=$!
    for _ in $(seq 50); do
        grep -q "is live on udp://" "$t/sensor.err" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    grep -q "is live on udp://" "$t/sensor.err" && break
    kill $pid 2>/dev/null
    pid=
done
[[ -n $pid ]] || { echo "FAIL: the collector sensor did not start"; cat "$t/sensor.err"; exit 1; }
python3 "$REPLAY" "$port" 127.0.0.2 "$AK/nfv5.pcap" || { echo "FAIL: replay"; fail=1; }
for _ in $(seq 50); do
    grep -q "202.152.70.24" "$t/alerts.json" 2>/dev/null && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
pid=
[[ $rc -eq 0 ]] || { echo "FAIL: sensor exit $rc after SIGTERM"; cat "$t/sensor.err"; fail=1; }
grep -q "flows input udp://127.0.0.1:$port: 1 datagrams, 29 observations" "$t/sensor.err" ||
    { echo "FAIL: the sensor's closing line"; cat "$t/sensor.err"; fail=1; }
python3 - "$t" <<'PY' || fail=1
import json, subprocess, sys, os
t = sys.argv[1]
ta = os.environ["TA_BIN"]
runs = json.loads(subprocess.run([ta, "runs", "list", "--db", t + "/s.db", "--format", "json"],
                                 capture_output=True, text=True, check=True).stdout)
ev = subprocess.run([ta, "events", "--db", t + "/s.db", "--format", "csv"],
                    capture_output=True, text=True, check=True).stdout.splitlines()
bad = []
if len(runs) != 1 or runs[0]["sensor"] != "flow-sensor" or runs[0]["live"] != "udp://127.0.0.1:" + open(t + "/c.yaml").read().split("udp://127.0.0.1:")[1].split()[0]:
    bad.append("runs: %r" % runs)
if not runs or not runs[0]["intel_version"].startswith("c2 1 indicators"):
    bad.append("intel not from intel_db")
rows = [l for l in ev[1:] if "202.152.70.24" in l]
if len(rows) != 1 or len(ev) != 2:
    bad.append("events: %r" % ev)
if bad:
    print("FAIL: collector sensor:", *bad, sep="\n  ")
    sys.exit(1)
PY
exit $fail
