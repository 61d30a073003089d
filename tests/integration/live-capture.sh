#!/usr/bin/env bash
# observe -i on the loopback interface: DNS queries sent while it captures come
# out as dns records (with their flows), a BPF filter keeps other traffic out,
# after logrotate moves -o away SIGHUP makes it write a new file and go on, and
# SIGINT ends the capture cleanly with a stats record and exit status 0.
# analyze -i: each SIGHUP reloads the intel and the capture goes on; the
# kernel's drops during a flood are in its closing line.
# Skips where this user may not capture (no CAP_NET_RAW) or has no loopback.
set -uo pipefail
. "$(dirname "$0")/live-lib.bash"
live_setup
other=$mport

# send NAME PORT: one DNS query for NAME (type A) to 127.0.0.1:PORT.
send() {
    python3 - "$1" "$2" <<'PY'
import socket, struct, sys
name, port = sys.argv[1], int(sys.argv[2])
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for label in name.split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(q, ("127.0.0.1", port))
PY
}

"$TA_BIN" observe -i lo -f "udp port $port" -o "$tmp/out.json" 2>"$tmp/err" &
pid=$!
# Until the capture is up, probes go unseen: send them until one comes out.
up=0
for i in $(seq 1 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        rc=$?
        pid=
        live_skip_unpermitted "$tmp/err"
        fail "observe -i lo exited $rc before capturing"
    fi
    send "probe$i.live.example" "$port"
    sleep 0.2
    if grep -q '"rrname":"probe[0-9]*.live.example"' "$tmp/out.json" 2>/dev/null; then
        up=1
        break
    fi
done
[[ $up == 1 ]] || fail "no probe query seen in 10 s (output not flushed per record, or nothing captured)"

for n in 1 2 3; do
    send "q$n.live.example" "$port"
    send "filtered$n.live.example" "$other"
done
for i in $(seq 1 25); do
    [[ $(grep -c '"rrname":"q[123].live.example"' "$tmp/out.json") -ge 3 ]] && break
    sleep 0.2
done
# logrotate: the file is moved away, SIGHUP makes observe write a new one and go on.
mv "$tmp/out.json" "$tmp/out.json.1"
kill -HUP "$pid"
for i in $(seq 1 25); do
    grep -q "observe: reopened $tmp/out.json" "$tmp/err" && break
    kill -0 "$pid" 2>/dev/null || fail "observe -i lo ended on SIGHUP"
    sleep 0.2
done
grep -q "observe: reopened" "$tmp/err" || fail "SIGHUP did not reopen the output: $(cat "$tmp/err")"
for i in $(seq 1 25); do
    send "rotated$i.live.example" "$port"
    sleep 0.2
    grep -q '"rrname":"rotated[0-9]*.live.example"' "$tmp/out.json" 2>/dev/null && break
done
grep -q '"rrname":"rotated[0-9]*.live.example"' "$tmp/out.json" ||
    fail "nothing written to the reopened output"
grep -q 'rotated' "$tmp/out.json.1" && fail "records after the rotation went to the moved file"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc == 0 ]] || fail "observe exited $rc after SIGINT"
tail -1 "$tmp/out.json" | grep -q '"event_type":"stats"' || fail "last record is not the stats record"
cat "$tmp/out.json.1" "$tmp/out.json" >"$tmp/all.json"
mv "$tmp/all.json" "$tmp/out.json"

for n in 1 2 3; do
    grep -q "\"event_type\":\"dns\".*\"rrname\":\"q$n.live.example\"" "$tmp/out.json" ||
        fail "query q$n.live.example missing"
done
grep -q "filtered" "$tmp/out.json" && fail "the BPF filter let port $other through"
# Every query's flow is ended at the stop and written, then the stats record last.
flows=$(grep -c "\"event_type\":\"flow\".*\"dest_port\":$port" "$tmp/out.json")
[[ $flows -ge 4 ]] || fail "expected at least 4 flow records to port $port, got $flows"
python3 - "$tmp/out.json" <<'PY' || fail "output is not one JSON object per line"
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
PY
obs="$(grep -c '"event_type":"dns"' "$tmp/out.json") dns records, $flows flows, output reopened on SIGHUP, clean stop"

# wait_loaded: until the capture ($pid) has loaded its data and is about to capture.
wait_loaded() {
    for _ in $(seq 1 50); do
        grep -q "geolocation loaded" "$tmp/err" && return 0
        kill -0 "$pid" 2>/dev/null || fail "analyze -i lo ended before capturing"
        sleep 0.2
    done
}

# analyze -i with intel: SIGHUP reloads it before the next packet, twice, without ending the capture.
printf 'evil.live.example\n' >"$tmp/ind.txt"
"$TA_BIN" intel import --db "$tmp/i.db" --format plain --kind c2 --source t "$tmp/ind.txt" \
    >/dev/null 2>"$tmp/err" || fail "intel import"
"$TA_BIN" analyze -i lo -f "udp port $port" --db "$tmp/i.db" -o "$tmp/ev.json" 2>"$tmp/err" &
pid=$!
wait_loaded
for n in 1 2; do
    kill -HUP "$pid"
    for i in $(seq 1 50); do
        [[ $(grep -c "intel reloaded from" "$tmp/err") -ge $n ]] && break
        kill -0 "$pid" 2>/dev/null || fail "analyze -i lo ended after SIGHUP $n"
        send "reload$n-$i.live.example" "$port"
        sleep 0.2
    done
    [[ $(grep -c "intel reloaded from" "$tmp/err") == "$n" ]] || fail "SIGHUP $n did not reload the intel"
done
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc == 0 ]] || fail "analyze exited $rc after SIGINT"
grep -q "packets analysed" "$tmp/err" || fail "analyze did not report its packets after SIGINT"

# analyze -i counts what the kernel dropped: stopped (SIGSTOP) while 60,000
# datagrams of 1,400 bytes arrive, far past the capture buffer, it says at
# the end how many frames the kernel dropped, and that is not 0.
"$TA_BIN" analyze -i lo -f "udp port $other" --no-intel -o /dev/null 2>"$tmp/err" &
pid=$!
wait_loaded
sleep 0.3
kill -STOP "$pid"
python3 - "$other" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(60000):
    s.sendto(b"x" * 1400, ("127.0.0.1", int(sys.argv[1])))
PY
kill -CONT "$pid"
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[[ $rc == 0 ]] || fail "analyze exited $rc after SIGINT"
drops=$(sed -n 's/^analyze: \([0-9]*\) frames dropped by the kernel before the capture read them on lo$/\1/p' "$tmp/err")
[[ -n $drops && $drops -gt 0 ]] || fail "analyze's closing line says no kernel drops after a flood while stopped: '$drops'"
echo "live capture on lo: $obs; analyze reloaded its intel twice on SIGHUP; $drops kernel drops reported"
exit 0
