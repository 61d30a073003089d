#!/usr/bin/env bash
# threatatlas sensor --config on lo, with intel fetch from the same file
# (a local feed provider, HTTP to 127.0.0.1 only):
#  - the fetched C&C domain raises an alert within 1 s, written to the
#    configured output and stored in the configured db under the sensor name;
#  - the feed changes (the domain leaves, another arrives), intel fetch
#    replaces the source, SIGHUP reloads: the new domain alerts, the old one
#    no longer does;
#  - /metrics (from the config) reports the kernel's and the interface's drops,
#    the closing statistics the kernel's;
#  - SIGTERM ends the run cleanly (exit 0).
# Skips where this user may not capture (no CAP_NET_RAW); in CI that fails.
set -uo pipefail
. "$(dirname "$0")/live-lib.bash"
live_setup
db="$tmp/s.db"

mkdir "$tmp/www"
printf 'old.sensor.example\n' >"$tmp/www/c2.txt"
python3 "$here/feed-server.py" "$tmp/www" "$tmp/fport" &
spid=$!
for _ in $(seq 1 50); do [[ -s $tmp/fport ]] && break; sleep 0.1; done
[[ -s $tmp/fport ]] || fail "feed server did not start"

cat >"$tmp/conf.yaml" <<YAML
# as dist/threatatlas.yaml, for this test
sensor:
  interface: lo
  filter: tcp port $port
  db: $db
  home: CN
  sensor: conf-test
  output: $tmp/ev.json
  format: eve
  log: $tmp/log
  metrics: 127.0.0.1:$mport
  commit_interval: 1s
  no_beacon: true
feeds:
  - name: lab
    url: http://127.0.0.1:$(cat "$tmp/fport")/feed/c2.txt
    format: plain
    kind: c2
    timeout: 5
YAML
"$TA_BIN" intel fetch --config "$tmp/conf.yaml" 2>"$tmp/err" || fail "intel fetch"

"$TA_BIN" sensor --config "$tmp/conf.yaml" 2>"$tmp/err" &
pid=$!
live_wait_run

out=$("${traffic[@]}" http "$port" old.sensor.example 2 "$tmp/ev.json" 1.0) || fail "$out"
for _ in $(seq 1 50); do
    n=$("$TA_BIN" events --db "$db" --format csv | tail -n +2 | grep -c old.sensor.example)
    [[ $n == 2 ]] && break
    sleep 0.1
done
[[ $n == 2 ]] || fail "stored events for old.sensor.example: $n, not 2"
"$TA_BIN" runs list --db "$db" | grep -q conf-test || fail "runs list does not name sensor conf-test"

# The provider changes its list: fetch replaces it, SIGHUP makes the sensor use it.
printf 'new.sensor.example\n' >"$tmp/www/c2.txt"
"$TA_BIN" intel fetch --config "$tmp/conf.yaml" 2>"$tmp/ferr" || fail "second fetch: $(cat "$tmp/ferr")"
tfetch=$(date +%s)
grep -q "1 no longer listed" "$tmp/ferr" || fail "second fetch: $(cat "$tmp/ferr")"
kill -HUP "$pid"
for _ in $(seq 1 50); do
    grep -q "intel reloaded" "$tmp/log" && break
    sleep 0.1
done
grep -q "intel reloaded" "$tmp/log" || fail "no reload after SIGHUP"
out=$("${traffic[@]}" http "$port" new.sensor.example 1 "$tmp/ev.json" 1.0) || fail "new domain: $out"
# The dropped value ends at the fetch's second (inclusive): traffic after it.
while [[ $(date +%s) -le $((tfetch + 1)) ]]; do sleep 0.2; done
"${traffic[@]}" http "$port" old.sensor.example 1 >/dev/null || fail "request to the old domain"
sleep 1.5
[[ $(grep -c old.sensor.example "$tmp/ev.json") == 2 ]] ||
    fail "the domain the feed dropped still alerts: $(grep -c old.sensor.example "$tmp/ev.json")"

# Drops, as the metrics report them.
for name in threatatlas_kernel_drops_total threatatlas_interface_drops_total; do
    python3 - "$mport" "$name" <<'PY' || fail "/metrics: no $name"
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
sys.exit(0 if any(l.split(" ")[0] == sys.argv[2] for l in body.splitlines()) else 1)
PY
done

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc == 0 ]] || fail "sensor exit $rc after SIGTERM"
grep -q "analyze: 0 frames dropped by the kernel before the capture read them on lo" "$tmp/log" ||
    fail "the closing statistics do not report kernel drops"
echo "ok"
