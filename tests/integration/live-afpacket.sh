#!/usr/bin/env bash
# Live capture on several workers through AF_PACKET (TPACKET_V3 rings in a
# fanout group) gives what one libpcap thread gives on the same traffic: in a
# network namespace made for the test, generated captures with a known truth
# (the topsites scenario: DNS, TLS, C&C contacts by address, most of them to
# allow-listed sites; HTTP sessions with C&C hosts and a phishing page; IPv6 HTTP sessions
# whose two directions carry different flow labels)
# are replayed onto lo while analyze -i lo runs with --threads 1 (libpcap),
# 2 and 4 (AF_PACKET); the three runs must analyse every frame replayed,
# drop none, write the same multiset of flow/dns/http/tls/alert records
# (without what depends on when the packets were seen) and store the same
# events as the file run of the captures. Also: --capture afpacket on an
# interface that does not exist is one error line and exit 1, on files a
# usage error, and --capture auto falls back to libpcap on `any` (which has
# no AF_PACKET ring of its own) with one warning and goes on capturing.
# Skips where network namespaces or capture are not permitted; in CI that fails.
set -uo pipefail
: "${TA_GEN:?}"
. "$(dirname "$0")/live-lib.bash"
live_setup netns
[[ $(uname -s) == Linux ]] || { echo "AF_PACKET is Linux only"; exit 77; }

# Option errors: one line each, before anything is captured.
"$TA_BIN" observe -i no-such-if0 --capture afpacket --threads 2 -o "$tmp/x.json" 2>"$tmp/err"
rc=$?
[[ $rc == 1 ]] || fail "--capture afpacket on a missing interface exited $rc, not 1"
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "not one error line: $(cat "$tmp/err")"
grep -q "no-such-if0.*AF_PACKET" "$tmp/err" || fail "the error does not say why: $(cat "$tmp/err")"
[[ ! -s "$tmp/x.json" ]] || fail "output written after the error"
"$TA_BIN" analyze -r "$tmp/none.pcap" --no-intel --capture afpacket 2>"$tmp/err"
rc=$?
[[ $rc == 2 && $(wc -l <"$tmp/err") == 1 ]] || fail "--capture afpacket with -r: exit $rc, $(cat "$tmp/err")"
grep -q "give -i IFACE" "$tmp/err" || fail "--capture afpacket with -r: $(cat "$tmp/err")"
"$TA_BIN" observe -i lo --capture ring 2>"$tmp/err"
rc=$?
[[ $rc == 2 && $(wc -l <"$tmp/err") == 1 ]] || fail "--capture ring: exit $rc, $(cat "$tmp/err")"

# The sensor's configuration takes the same keys.
printf 'sensor:\n  interface: no-such-if0\n  no_intel: true\n  threads: 2\n  capture: afpacket\n  ring_blocks: 4\n' \
    >"$tmp/sensor.yaml"
"$TA_BIN" sensor --config "$tmp/sensor.yaml" 2>"$tmp/err"
rc=$?
[[ $rc == 1 && $(wc -l <"$tmp/err") == 1 ]] || fail "sensor capture: afpacket: exit $rc, $(cat "$tmp/err")"
grep -q "no-such-if0.*AF_PACKET" "$tmp/err" || fail "sensor capture: afpacket: $(cat "$tmp/err")"
printf 'sensor:\n  interface: lo\n  no_intel: true\n  capture: ring\n' >"$tmp/sensor.yaml"
"$TA_BIN" sensor --config "$tmp/sensor.yaml" 2>"$tmp/err"
rc=$?
[[ $rc == 2 && $(wc -l <"$tmp/err") == 1 ]] || fail "sensor capture: ring: exit $rc, $(cat "$tmp/err")"

day=$(date -u +%F)
"$TA_GEN" --scenario topsites --from "$day" --to "$day" --out "$tmp/g" --quiet >/dev/null ||
    fail "generate the topsites scenario"
python3 "$here/live-traffic.py" craft "$tmp/http.pcap" || fail "craft the HTTP capture"
python3 "$here/live-traffic.py" craft6 "$tmp/v6.pcap" || fail "craft the IPv6 capture"
printf 'evil.live.example\n' >"$tmp/c2.txt"
printf 'http://bank-login.live.example/secure/login.html\n' >"$tmp/phish.txt"
"$TA_BIN" intel import --db "$tmp/base.db" "$tmp/g/feodo-topsites.csv" "$tmp/g/trails" \
    >/dev/null 2>&1 || fail "intel import topsites"
"$TA_BIN" intel import --db "$tmp/base.db" --format plain --kind c2 --source t "$tmp/c2.txt" \
    >/dev/null 2>&1 || fail "intel import c2"
"$TA_BIN" intel import --db "$tmp/base.db" --format plain --kind phishing --source p \
    "$tmp/phish.txt" >/dev/null 2>&1 || fail "intel import phishing"
for w in file 1 2 4; do cp "$tmp/base.db" "$tmp/$w.db"; done
common=(--sensor s --allow-file "$tmp/g/allowlist-top-sites.json" --eve-types alert,flow,dns,http,tls)
"$TA_BIN" analyze -r "$tmp/g/topsites.pcap" -r "$tmp/http.pcap" -r "$tmp/v6.pcap" --db "$tmp/file.db" "${common[@]}" \
    -o "$tmp/file.json" 2>"$tmp/file.err" || fail "file run: $(tail -1 "$tmp/file.err")"

# Each run in a namespace of its own (its lo only): replay both captures, then stop.
for th in 1 2 4; do
    unshare -n bash -c '
        set -u
        ip link set lo up || exit 3
        th=$1 tmp=$2 lt=$3 bin=$4
        shift 4
        "$bin" analyze -i lo --threads "$th" --db "$tmp/$th.db" -o "$tmp/$th.json" \
            --log "$tmp/$th.log" --commit-interval 500ms "$@" 2>"$tmp/$th.err" &
        pid=$!
        for _ in $(seq 1 100); do
            grep -q "is live on lo" "$tmp/$th.log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || exit 4
            sleep 0.1
        done
        python3 "$lt" replay "$tmp/g/topsites.pcap" lo >"$tmp/$th.replay" || exit 5
        python3 "$lt" replay "$tmp/http.pcap" lo >>"$tmp/$th.replay" || exit 5
        python3 "$lt" replay "$tmp/v6.pcap" lo >>"$tmp/$th.replay" || exit 5
        # Frames reach the capture within its read timeout (100 ms), and the merge
        # within its tick.
        sleep 1
        kill -TERM "$pid"
        wait "$pid"
    ' sh "$th" "$tmp" "$here/live-traffic.py" "$TA_BIN" "${common[@]}"
    rc=$?
    if [[ $rc == 4 ]] && grep -qi "cannot capture\|permitted\|permission" "$tmp/$th.err" "$tmp/$th.log" 2>/dev/null; then
        echo "live capture not permitted here: $(cat "$tmp/$th.err" "$tmp/$th.log" | head -1)"
        exit 77
    fi
    [[ $rc == 0 ]] || fail "--threads $th: exit $rc: $(cat "$tmp/$th.err" "$tmp/$th.log" 2>/dev/null | tail -3)"
done

frames=$(awk '{n += $2} END {print n}' "$tmp/1.replay")
[[ $frames -gt 1000 ]] || fail "only $frames frames replayed"
for th in 1 2 4; do
    log="$tmp/$th.log"
    grep -q "analyze: $frames packets analysed" "$log" ||
        fail "--threads $th did not analyse the $frames frames replayed: $(grep 'packets analysed' "$log")"
    grep -q "analyze: 0 frames dropped by the kernel" "$log" ||
        fail "--threads $th: $(grep 'dropped by the kernel' "$log")"
    if [[ $th == 1 ]]; then
        grep -q "AF_PACKET" "$log" && fail "--threads 1 captured through AF_PACKET: $(grep AF_PACKET "$log")"
    else
        grep -q "capturing on lo through AF_PACKET, $th sockets" "$log" ||
            fail "--threads $th did not capture through AF_PACKET: $(head -5 "$log")"
    fi
    grep -q "warning" "$log" && fail "--threads $th: $(grep warning "$log")"
done

# Records and events without what depends on when the packets were seen (the
# flow end reason too: a live run ends its flows when it is stopped).
norm() {
    python3 -c '
import json, sys
DROP = {"timestamp", "flow_id", "start", "end", "age", "flow_start", "reason"}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in DROP}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
for line in sys.stdin:
    print(json.dumps(strip(json.loads(line)), sort_keys=True))' | sort
}
for w in file 1 2 4; do
    norm <"$tmp/$w.json" >"$tmp/$w.records"
    "$TA_BIN" events --db "$tmp/$w.db" --format eve | norm >"$tmp/$w.events"
done
for type in flow dns http tls alert; do
    n=$(grep -c "\"event_type\": \"$type\"" "$tmp/1.records")
    [[ $n -gt 0 ]] || fail "--threads 1 wrote no $type records"
done
# Each IPv6 connection is one flow with both directions (the kernel's hash leaves labels out).
n6=$(grep '"event_type": "flow"' "$tmp/4.records" | grep '"src_ip": "2001:db8::' |
    grep '"pkts_toserver": 5' | grep -c '"pkts_toclient": 3')
[[ $n6 == 40 ]] || fail "--threads 4: $n6 of 40 IPv6 connections are whole flows"
for th in 2 4; do
    diff "$tmp/1.records" "$tmp/$th.records" >"$tmp/diff" ||
        fail "--threads $th records differ from --threads 1: $(head -6 "$tmp/diff")"
    diff "$tmp/1.events" "$tmp/$th.events" >"$tmp/diff" ||
        fail "--threads $th stored events differ from --threads 1: $(head -6 "$tmp/diff")"
done
nev=$(wc -l <"$tmp/file.events")
[[ $nev -gt 4 ]] || fail "the file run stored only $nev events"
diff "$tmp/file.events" "$tmp/1.events" >"$tmp/diff" ||
    fail "live stored events differ from the file run's: $(head -6 "$tmp/diff")"

# udp-run OUT PORT OBSERVE-ARGS...: in a namespace of its own, observe OBSERVE-ARGS -o OUT.json
# (stderr OUT.err) while datagrams go to 127.0.0.1:PORT and PORT+1, then stop it. Flow records
# come out when the flows end (here: at the stop); the datagrams are sent for 1.5 s, so some
# reach the capture once it is up.
cat >"$tmp/udp-run.sh" <<'SH'
ip link set lo up || exit 3
bin=$1 out=$2 port=$3
shift 3
"$bin" observe "$@" -o "$out.json" 2>"$out.err" &
pid=$!
python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(30):
    for p in (int(sys.argv[1]), int(sys.argv[1]) + 1):
        s.sendto(b'x', ('127.0.0.1', p))
    time.sleep(0.05)" "$port"
kill -0 "$pid" 2>/dev/null || exit 4
kill -INT "$pid"
wait "$pid"
SH
port=$((40000 + RANDOM % 20000))

# --capture auto on `any`: AF_PACKET cannot open it, libpcap can; one warning says why.
unshare -n bash "$tmp/udp-run.sh" "$TA_BIN" "$tmp/any" "$port" -i any --threads 2 -f "udp port $port"
rc=$?
[[ $rc == 0 ]] || fail "observe -i any --threads 2 exited $rc: $(cat "$tmp/any.err")"
[[ $(grep -c warning "$tmp/any.err") == 1 ]] || fail "-i any: not one warning: $(cat "$tmp/any.err")"
grep -q "any.*AF_PACKET.*capturing through libpcap" "$tmp/any.err" ||
    fail "-i any: the warning does not say why: $(cat "$tmp/any.err")"
grep -q "\"dest_port\":$port," "$tmp/any.json" || fail "-i any: nothing captured after the fallback"

# A BPF filter is compiled by libpcap and attached to every socket of the group.
unshare -n bash "$tmp/udp-run.sh" "$TA_BIN" "$tmp/bpf" "$port" -i lo --threads 2 --capture afpacket \
    -f "udp port $port"
rc=$?
[[ $rc == 0 ]] || fail "observe -i lo -f with AF_PACKET exited $rc: $(cat "$tmp/bpf.err")"
grep -q "through AF_PACKET, 2 sockets" "$tmp/bpf.err" || fail "-f: not AF_PACKET: $(cat "$tmp/bpf.err")"
grep -q "\"dest_port\":$port," "$tmp/bpf.json" || fail "-f: the filtered port was not captured"
grep -q "\"dest_port\":$((port + 1))," "$tmp/bpf.json" && fail "-f: the filter let another port through"

echo "note: AF_PACKET live capture: $frames frames with 1, 2 and 4 threads, $(wc -l <"$tmp/1.records") records and $nev stored events the same"
exit 0
