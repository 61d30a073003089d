#!/usr/bin/env bash
# analyze -i lo goes on capturing while SIGHUP rebuilds a large intel index
# (HTTP transactions to 127.0.0.1 only): with 400,000 indicators and a new
# import, the reload builds a new index; a stream of transactions started
# once the log says the build began gets alerts written before the log says
# it ended (were the build on the capture thread, none could be), loses none,
# and after the reload the new indicator alerts.
# Skips where this user may not capture (no CAP_NET_RAW); in CI that fails.
set -uo pipefail
. "$(dirname "$0")/live-lib.bash"
live_setup
db="$tmp/s.db"

# 400,000 distinct public addresses in 45.0.0.0/8 and 46.0.0.0/8.
python3 -c '
import sys
out = sys.stdout
for i in range(400000):
    out.write("%d.%d.%d.%d\n" % (45 + (i >> 20 & 1), i >> 12 & 255, i >> 4 & 255, 1 + (i & 15)))
' >"$tmp/bulk.txt"
printf 'evil.reload.example\n' >"$tmp/c2.txt"
"$TA_BIN" intel import --db "$db" --format plain --kind c2 --source bulk "$tmp/bulk.txt" \
    >/dev/null 2>"$tmp/err" || fail "intel import bulk"
"$TA_BIN" intel import --db "$db" --format plain --kind c2 --source t "$tmp/c2.txt" \
    >/dev/null 2>"$tmp/err" || fail "intel import"

"$TA_BIN" analyze -i lo -f "tcp port $port" --db "$db" -o "$tmp/ev.json" --log "$tmp/log" \
    --commit-interval 1s --sensor reload-test 2>"$tmp/err" &
pid=$!
live_wait_run 0 30
out=$("${traffic[@]}" http "$port" evil.reload.example 2 "$tmp/ev.json" 5.0) || fail "before: $out"

# A new indicator changes the intel: the reload cannot use the index cache.
printf 'evil2.reload.example\n' >"$tmp/c2b.txt"
"$TA_BIN" intel import --db "$db" --format plain --kind c2 --source t2 "$tmp/c2b.txt" \
    >/dev/null 2>>"$tmp/err" || fail "intel import t2"

# SIGHUP; once the log says the build has started, a stream of transactions
# (one every 10 ms, each waiting for its alert). A watcher counts the alerts
# written when the log says the reload is done.
kill -HUP "$pid"
for _ in $(seq 1 100); do
    grep -q "reloading the intel from" "$tmp/log" && break
    sleep 0.05
done
grep -q "reloading the intel from" "$tmp/log" || fail "SIGHUP did not start a reload"
python3 - "$tmp/log" "$tmp/ev.json" >"$tmp/watch" <<'PY' &
import sys, time
log, ev = sys.argv[1], sys.argv[2]
end = time.time() + 60
while time.time() < end:
    with open(log, "rb") as f:
        if b"intel reloaded from" in f.read():
            break
    time.sleep(0.002)
with open(ev, "rb") as f:
    print(sum(1 for l in f if b'"hostname":"evil.reload.example"' in l))
PY
wpid=$!
LIVE_GAP=0.01 "${traffic[@]}" http "$port" evil.reload.example 100 "$tmp/ev.json" 20.0 \
    >"$tmp/stream" || fail "stream across SIGHUP: $(cat "$tmp/stream")"
wait "$wpid"
at_reload=$(cat "$tmp/watch")
grep -q "intel reloaded from" "$tmp/log" || fail "SIGHUP did not reload the intel"
# 2 alerts came before the SIGHUP; any more were for requests sent after the
# build started and before it ended: the capture went on during the build.
[[ -n $at_reload && $at_reload -gt 2 ]] ||
    fail "no alert was written while the index was rebuilt (alerts at the reload: $at_reload)"
n=$(grep -c '"hostname":"evil.reload.example"' "$tmp/ev.json")
[[ $n == 102 ]] || fail "alerts for evil.reload.example: $n, not 102"
out=$("${traffic[@]}" http "$port" evil2.reload.example 1 "$tmp/ev.json" 5.0) ||
    fail "no alert for the indicator imported before SIGHUP: $out"
kill -TERM "$pid"
wait "$pid" || fail "the sensor exited non-zero after SIGTERM"
pid=
echo "reload built while capturing: $at_reload of 102 alerts written before the reload was logged"
