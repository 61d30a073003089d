#!/usr/bin/env bash
# analyze -i lo as an unattended sensor (HTTP transactions to 127.0.0.1 only):
#  - each alert reaches -o within 1 s of the response that completes it;
#  - events are stored as they come: a reader sees them during the run, which
#    `runs list` shows as live, then done after SIGTERM;
#  - an indicator imported while the sensor runs is picked up by SIGHUP, and
#    a stream of transactions across the reload loses none;
#  - SIGHUP reopens -o and --log after they were moved away (logrotate);
#  - /metrics answers with the documented names and exact counts, and shows
#    no kernel drop across the reload;
#  - kill -9, then a restart: the run is listed as interrupted, the log says
#    so, at most the last uncommitted batch is lost, nothing counts twice.
# Skips where this user may not capture (no CAP_NET_RAW); in CI that fails.
set -uo pipefail
. "$(dirname "$0")/live-lib.bash"
live_setup
db="$tmp/s.db"

printf 'evil.live.example\n' >"$tmp/c2.txt"
"$TA_BIN" intel import --db "$db" --format plain --kind c2 --source t "$tmp/c2.txt" \
    >/dev/null 2>"$tmp/err" || fail "intel import"

# start: a sensor on lo for this test's port; returns once its (new) run is live.
start() {
    : >"$tmp/err"
    local n0
    n0=$(cat "$tmp/log" 2>/dev/null | grep -c "is live on lo")
    "$TA_BIN" analyze -i lo -f "tcp port $port" --db "$db" -o "$tmp/ev.json" --log "$tmp/log" \
        --commit-interval 1s --sensor live-test --metrics "127.0.0.1:$mport" 2>"$tmp/err" &
    pid=$!
    live_wait_run "$n0"
}
stop() {
    kill -"$1" "$pid"
    { wait "$pid"; } 2>/dev/null
    local rc=$?
    pid=
    return $rc
}
# field RUN KEY: a field of run RUN from runs list --format json.
field() {
    "$TA_BIN" runs list --db "$db" --format json | python3 -c '
import json, sys
runs = json.load(sys.stdin)
runs = runs if isinstance(runs, list) else runs.get("runs", [])
r = [r for r in runs if r["id"] == int(sys.argv[1])]
v = r[0] if r else {}
for k in sys.argv[2].split("."):
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$1" "$2"
}
# metric NAME: its value from the sensor's /metrics (exact name with labels).
metric() {
    python3 - "$mport" "$1" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
for line in body.splitlines():
    if not line.startswith("#") and line.rsplit(" ", 1)[0] == sys.argv[2]:
        print(line.rsplit(" ", 1)[1])
PY
}
stored() { "$TA_BIN" events --db "$db" --format csv | tail -n +2 | grep -c "$1"; }
# wait_until CMD...: up to 5 s for CMD to succeed.
wait_until() {
    for _ in $(seq 1 50); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

start
run1=$(grep -o "run [0-9]* is live" "$tmp/log" | head -1 | awk '{print $2}')
[[ $(field "$run1" state) == live ]] || fail "runs list does not show run $run1 as live"

# Prompt alerts: each within 1 s of the response that completes the transaction.
out=$("${traffic[@]}" http "$port" evil.live.example 3 "$tmp/ev.json" 1.0) || fail "$out"
echo "info: $out"

# Stored as it goes: a reader sees the 3 events after the next commit (1 s).
has3() { [[ $(field "$run1" events.new) == 3 ]]; }
wait_until has3 || fail "the 3 events were not committed within 5 s (run $run1: $(field "$run1" events.new) new)"
[[ $(stored evil.live.example) == 3 ]] || fail "events during the live run: $(stored evil.live.example), not 3"
[[ $(field "$run1" state) == live ]] || fail "run $run1 not live while its sensor runs"
"$TA_BIN" runs delete "$run1" --db "$db" --no-wait >/dev/null 2>"$tmp/del" &&
    fail "runs delete removed the live run"
grep -q "is live" "$tmp/del" || fail "runs delete of a live run: $(cat "$tmp/del")"

# /metrics: the counters in the Prometheus text format, with the documented names.
[[ $(metric 'threatatlas_events_total{kind="c2"}') == 3 ]] || fail "/metrics: c2 events not 3"
[[ $(metric threatatlas_store_events_total) == 3 ]] || fail "/metrics: store events not 3"
[[ $(metric threatatlas_store_commits_total) -ge 1 ]] || fail "/metrics: no commit counted"
[[ $(metric threatatlas_store_run_id) == "$run1" ]] || fail "/metrics: run id"
# The indicator, and the installed top-sites allow list when there is one.
entries=$(grep -o "intel loaded in .* s ([0-9]* entries)" "$tmp/log" | grep -o "([0-9]*" | tr -d '(')
[[ -n $entries && $(metric threatatlas_intel_entries) == "$entries" ]] ||
    fail "/metrics: intel entries $(metric threatatlas_intel_entries), the log says $entries"
[[ $(metric threatatlas_packets_total) -ge 30 ]] || fail "/metrics: packets (3 TCP sessions)"
for name in threatatlas_bytes_total threatatlas_kernel_drops_total threatatlas_flows_active \
    threatatlas_flows_total threatatlas_flows_evicted_total threatatlas_store_lag_seconds \
    threatatlas_intel_loaded_timestamp_seconds threatatlas_intel_age_seconds \
    threatatlas_intel_version_timestamp_seconds threatatlas_intel_reloads_total \
    threatatlas_interface_drops_total; do
    [[ -n $(metric $name) ]] || fail "/metrics: no $name"
done

# A new indicator: importing it does not wait for the sensor; before SIGHUP
# it raises nothing, after it does.
printf 'evil2.live.example\n' >"$tmp/c2b.txt"
timeout 20 "$TA_BIN" intel import --db "$db" --format plain --kind c2 --source t2 "$tmp/c2b.txt" \
    >/dev/null 2>>"$tmp/err" || fail "intel import while the sensor runs (blocked or failed)"
"${traffic[@]}" http "$port" evil2.live.example 1 >/dev/null || fail "request to evil2"
sleep 1.5
grep -q '"hostname":"evil2.live.example"' "$tmp/ev.json" && fail "evil2 alerted before SIGHUP"
# A stream of transactions (one every 20 ms) runs through the reload.
LIVE_GAP=0.02 "${traffic[@]}" http "$port" evil.live.example 40 "$tmp/ev.json" 3.0 >"$tmp/stream" &
spid=$!
sleep 0.3
kill -HUP "$pid"
wait "$spid" || fail "stream across SIGHUP: $(cat "$tmp/stream")"
reloaded() { grep -q "intel reloaded from" "$tmp/log"; }
wait_until reloaded || fail "SIGHUP did not reload the intel"
kill -0 "$pid" 2>/dev/null || fail "the sensor ended after SIGHUP"
out=$("${traffic[@]}" http "$port" evil2.live.example 1 "$tmp/ev.json" 1.0) ||
    fail "no alert for the indicator imported before SIGHUP: $out"
[[ $(metric threatatlas_intel_reloads_total) == 1 ]] || fail "/metrics: reloads not 1"
iv=$(field "$run1" intel_version)
[[ $iv == *"t2 1"*"reloaded"* ]] || fail "run $run1 does not list the reloaded intel: $iv"
[[ $(metric threatatlas_intel_entries) == $((entries + 1)) ]] ||
    fail "/metrics: intel entries not $((entries + 1)) after SIGHUP"
[[ $(metric threatatlas_kernel_drops_total) == 0 ]] || fail "the kernel dropped packets across SIGHUP"
n1=$(grep -c '"hostname":"evil.live.example"' "$tmp/ev.json")
[[ $n1 == 43 ]] || fail "alerts for evil.live.example: $n1, not 43 (3, then 40 across SIGHUP)"

# logrotate: move -o and the log away, SIGHUP, both are written anew.
mv "$tmp/ev.json" "$tmp/ev.json.1"
mv "$tmp/log" "$tmp/log.1"
kill -HUP "$pid"
reopened() { grep -q "reopened $tmp/ev.json" "$tmp/log" 2>/dev/null; }
wait_until reopened || fail "SIGHUP did not reopen the log and -o"
out=$("${traffic[@]}" http "$port" evil2.live.example 1 "$tmp/ev.json" 1.0) ||
    fail "no alert in the reopened -o: $out"

stop TERM || fail "the sensor exited non-zero after SIGTERM"
[[ $(field "$run1" state) == done ]] || fail "run $run1 is $(field "$run1" state) after SIGTERM"
alerts=$(cat "$tmp/ev.json.1" "$tmp/ev.json" | grep -c '"event_type":"alert"')
[[ $alerts == 45 ]] || fail "alerts written: $alerts, not 45"
[[ $(field "$run1" events.new) == 45 ]] || fail "run $run1 stored $(field "$run1" events.new), not 45"
grep -q "run $run1 stored 45 new events" "$tmp/log" || fail "closing line of run $run1"

# kill -9 during a run, then a restart.
start
run2=$(grep -o "run [0-9]* is live" "$tmp/log" | tail -1 | awk '{print $2}')
"${traffic[@]}" http "$port" evil.live.example 2 "$tmp/ev.json" 1.0 >/dev/null || fail "batch A"
has2() { [[ $(field "$run2" events.new) == 2 ]]; }
wait_until has2 || fail "batch A not committed"
"${traffic[@]}" http "$port" evil.live.example 2 "$tmp/ev.json" 1.0 >/dev/null || fail "batch B"
stop 9
kept=$(field "$run2" events.new)
[[ $(field "$run2" state) == interrupted ]] || fail "run $run2 is $(field "$run2" state) after kill -9"
[[ $kept -ge 2 && $kept -le 4 ]] || fail "run $run2 kept $kept events (2 committed, at most 2 more)"
start
run3=$(grep -o "run [0-9]* is live" "$tmp/log" | tail -1 | awk '{print $2}')
[[ $run3 != "$run2" ]] || fail "the restart did not begin a run of its own"
grep -q "run $run2 (live on lo since .*) was interrupted: its $kept new" "$tmp/log" ||
    fail "the restart did not say what run $run2 lost"
"${traffic[@]}" http "$port" evil.live.example 2 "$tmp/ev.json" 1.0 >/dev/null || fail "batch C"
stop INT || fail "the sensor exited non-zero after SIGINT"
[[ $(field "$run2" state) == interrupted ]] || fail "run $run2 no longer interrupted"
[[ $(field "$run3" events.new) == 2 ]] || fail "run $run3 stored $(field "$run3" events.new), not 2"
# Nothing counted twice: the store holds each transaction once, and the runs' new events add up.
total=$(stored live.example)
[[ $total == $((45 + kept + 2)) ]] || fail "stored events: $total, not $((45 + kept + 2))"
dups=$("$TA_BIN" events --db "$db" --format eve | python3 -c '
import json, sys
seen = [(e["src_port"], e["dest_port"], e["flow_id"]) for e in map(json.loads, sys.stdin)]
print(len(seen) - len(set(seen)))')
[[ $dups == 0 ]] || fail "$dups events stored twice"
echo "live sensor: alerts within 1 s, 45 events stored while live, /metrics, SIGHUP reload and reopen," \
    "kill -9 kept $kept of 4 (2 committed), restart run $run3 stored 2"
exit 0
