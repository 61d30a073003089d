#!/usr/bin/env bash
# A live run gives the report of the file run of the same capture: HTTP
# sessions between public addresses (C&C by Host, a phishing page, a clean
# site) are written to a pcap, analysed from the file, and replayed onto the
# loopback interface of a network namespace made for the test, where a
# sensor (analyze -i lo) captures them; nothing leaves the namespace. The
# two databases then give the same report (JSON) and the same events.
# Skips where network namespaces or capture are not permitted; in CI that fails.
set -uo pipefail
. "$(dirname "$0")/live-lib.bash"
live_setup netns

python3 "$here/live-traffic.py" craft "$tmp/cap.pcap" || fail "craft the capture"
printf 'evil.live.example\n' >"$tmp/c2.txt"
printf 'http://bank-login.live.example/secure/login.html\n' >"$tmp/phish.txt"
"$TA_BIN" intel import --db "$tmp/file.db" --format plain --kind c2 --source t "$tmp/c2.txt" \
    >/dev/null 2>&1 || fail "intel import c2"
"$TA_BIN" intel import --db "$tmp/file.db" --format plain --kind phishing --source p \
    "$tmp/phish.txt" >/dev/null 2>&1 || fail "intel import phishing"
cp "$tmp/file.db" "$tmp/live.db"

"$TA_BIN" analyze -r "$tmp/cap.pcap" --db "$tmp/file.db" --sensor s -o "$tmp/file.json" \
    2>"$tmp/file.err" || fail "file run: $(tail -1 "$tmp/file.err")"

# The sensor and the replay share a namespace of their own (its lo only).
unshare -n bash -c '
    set -u
    ip link set lo up || exit 3
    "$1" analyze -i lo --db "$2/live.db" --sensor s -o "$2/live.json" --log "$2/log" \
        --commit-interval 500ms 2>"$2/err" &
    pid=$!
    for _ in $(seq 1 100); do
        grep -q "is live on lo" "$2/log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || exit 4
        sleep 0.1
    done
    python3 "$3" replay "$2/cap.pcap" lo >"$2/replay.out" || exit 5
    # Frames reach the capture within its read timeout (100 ms).
    sleep 1
    kill -TERM "$pid"
    wait "$pid"
' sh "$TA_BIN" "$tmp" "$here/live-traffic.py"
rc=$?
[[ $rc == 4 ]] && live_skip_unpermitted "$tmp/err" "$tmp/log"
[[ $rc == 0 ]] || fail "live run in the namespace exited $rc: $(cat "$tmp/err" 2>/dev/null | head -2)"

frames=$(grep -o "replayed [0-9]*" "$tmp/replay.out" | awk '{print $2}')
grep -q "analyze: $frames packets analysed" "$tmp/log" ||
    fail "the sensor did not analyse the $frames frames replayed: $(grep 'packets analysed' "$tmp/log")"
grep -q "run 1 stored 4 new events" "$tmp/log" || fail "live run did not store 4 events"

day0=$(date -u -d '-1 day' +%F)
day1=$(date -u -d '+1 day' +%F)
for w in file live; do
    "$TA_BIN" report --db "$tmp/$w.db" --from "$day0" --to "$day1" --format json >"$tmp/$w.report" ||
        fail "report of the $w run"
    # The events as stored, without what depends on when the packets were seen.
    "$TA_BIN" events --db "$tmp/$w.db" --format eve | python3 -c '
import json, sys
for e in map(json.loads, sys.stdin):
    for k in ("timestamp", "flow_id"):
        e.pop(k, None)
    e.get("alert", {}).get("metadata", {}).pop("flow_start", None)
    e.get("flow", {}).pop("start", None)
    print(json.dumps(e, sort_keys=True))' | sort >"$tmp/$w.events"
done
[[ $(wc -l <"$tmp/file.events") == 4 ]] || fail "file run: $(wc -l <"$tmp/file.events") events, not 4"
diff "$tmp/file.report" "$tmp/live.report" >"$tmp/diff" ||
    fail "live and file reports differ: $(head -5 "$tmp/diff")"
diff "$tmp/file.events" "$tmp/live.events" >"$tmp/diff" ||
    fail "live and file events differ: $(head -5 "$tmp/diff")"
echo "live replay in a namespace: $frames frames, 4 events, same report and events as the file run"
exit 0
