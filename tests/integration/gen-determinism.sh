#!/usr/bin/env bash
# threatatlas-gen is deterministic for a seed: the same seed writes identical
# files, a different seed different ones (national, edge, mixed, flood, beacon,
# appmix, topsites, precision); appmix's bytes are pinned, and what the
# generator writes is read cleanly by tshark (timestamps, certificate).
set -euo pipefail
cd "$(dirname "$0")/../.."
GEN=${TA_GEN:-build/asan/threatatlas-gen}
[[ -x $GEN ]] || { echo "no generator at $GEN"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # seed dir
    "$GEN" --scenario national --scale 0.001 --from 2014-03-19 --to 2014-03-20 --seed "$1" \
        --out "$2/national" --quiet 2>/dev/null
    "$GEN" --scenario edge --seed "$1" --out "$2/edge" --quiet
    "$GEN" --scenario mixed --size 2M --seed "$1" --out "$2/mixed" --quiet 2>/dev/null
    "$GEN" --scenario flood --flows 5000 --seed "$1" --out "$2/flood" --quiet
    "$GEN" --scenario beacon --hours 2 --scale 0.5 --seed "$1" --out "$2/beacon" --quiet 2>/dev/null
    "$GEN" --scenario appmix --size 1M --seed "$1" --out "$2/appmix" --quiet
    "$GEN" --scenario topsites --seed "$1" --out "$2/topsites" --quiet 2>/dev/null
    "$GEN" --scenario precision --seed "$1" --out "$2/precision" --quiet 2>/dev/null
}
run 42 "$tmp/a"
run 42 "$tmp/b"
run 43 "$tmp/c"
diff -r "$tmp/a" "$tmp/b"
for f in national/truth.json national/pcap/2014-03-19.pcap national/feodo-ipblocklist.csv \
    edge/truncated.pcap mixed/mixed.pcap flood/flood.pcap beacon/beacon.pcap beacon/truth-beacon.json \
    appmix/appmix.pcap topsites/topsites.pcap topsites/truth-topsites.json \
    precision/payload.pcap precision/manifest-precision.json; do
    if cmp -s "$tmp/a/$f" "$tmp/c/$f"; then
        echo "seed 43 wrote the same $f as seed 42"
        exit 1
    fi
done
# The mixed capture is at least the requested size and not much more.
sz=$(stat -c %s "$tmp/a/mixed/mixed.pcap")
[[ $sz -ge 2097152 && $sz -lt 2400000 ]] || { echo "mixed.pcap is $sz bytes"; exit 1; }
# appmix keeps the benchmark captures comparable between runs: the SHA-256 of
# 1 MiB at seed 42 is pinned (it changed once, when the certificate got a real
# public key so that peers parse the TLS sessions), and whole sessions are
# written until the file holds at least 1 MiB.
sum=$(sha256sum "$tmp/a/appmix/appmix.pcap" | cut -d' ' -f1)
[[ $sum == 34d18bf084e66be1641daae4b307aabf9acb73ca145a95808ed11e1026852e60 ]] ||
    { echo "appmix 1M seed 42 changed: $sum"; exit 1; }
sz=$(stat -c %s "$tmp/a/appmix/appmix.pcap")
[[ $sz -ge 1048576 && $sz -lt 1200000 ]] || { echo "appmix.pcap is $sz bytes"; exit 1; }
# Flood: exactly the requested number of distinct flows, one packet each.
grep -q '"flows":5000,"tcp_flows":2500,"udp_flows":2500,"packets":5000' "$tmp/a/flood/flood.json"
if command -v tshark >/dev/null; then
    # Peers must accept the TCP sessions: every tsecr is the latest tsval the
    # other side sent (0 on a SYN), as Suricata checks.
    tshark -r "$tmp/a/mixed/mixed.pcap" -Y tcp -T fields -e tcp.stream -e ip.src -e tcp.srcport \
        -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr -e tcp.flags.ack \
        2>/dev/null | awk -F'\t' '
        { me = $1 "|" $2 "|" $3; n++
          if (ep1[$1] == "") ep1[$1] = me; else if (ep1[$1] != me) ep2[$1] = me
          peer = ep1[$1] == me ? ep2[$1] : ep1[$1]
          if ($4 == "") bad++
          else if ($6 == "1" || $6 == "True") { if (peer == "" || $5 != last[peer]) bad++ }
          else if ($5 != "0") bad++
          last[me] = $4 }
        END { if (n < 1000 || bad) { print "mixed: " bad " of " n " segments with a bad timestamp"; exit 1 } }'
    # The TLS certificate carries an EC public key and nothing is malformed.
    n=$(tshark -r "$tmp/a/appmix/appmix.pcap" -Y 'x509af.algorithm.id == 1.2.840.10045.2.1' \
        2>/dev/null | wc -l)
    [[ $n -ge 10 ]] || { echo "appmix: $n certificates with an EC public key"; exit 1; }
    n=$(tshark -r "$tmp/a/appmix/appmix.pcap" -Y '_ws.malformed' 2>/dev/null | wc -l)
    [[ $n -eq 0 ]] || { echo "appmix: $n malformed packets"; exit 1; }
    n=$(tshark -r "$tmp/a/flood/flood.pcap" -q -z conv,tcp | grep -c '<->')
    [[ $n -eq 2500 ]] || { echo "flood: tshark sees $n TCP conversations"; exit 1; }
    n=$(tshark -r "$tmp/a/flood/flood.pcap" -q -z conv,udp | grep -c '<->')
    [[ $n -eq 2500 ]] || { echo "flood: tshark sees $n UDP conversations"; exit 1; }
fi
# Bad options are refused with exit 2 and one clear line.
for bad in "--scenario nope --out $tmp/x" "--scenario national" "--scenario national --out $tmp/x --scale 0" \
    "--scenario national --out $tmp/x --from 2014-13-01" "--scenario mixed --out $tmp/x --size 12Q" \
    "--scenario national --out $tmp/x --from 2014-03-20 --to 2014-03-19" "--bogus" \
    "--scenario national --out $tmp/x --time-shift-ms -1" \
    "--scenario national --out $tmp/x --time-shift-ms 60001"; do
    set +e
    msg=$($GEN $bad 2>&1 >/dev/null)
    rc=$?
    set -e
    [[ $rc -eq 2 ]] || { echo "'$bad' exited $rc"; exit 1; }
    [[ $msg == threatatlas-gen:* ]] || { echo "'$bad' said: $msg"; exit 1; }
done
grep -q -- '--scenario NAME' <<<"$("$GEN" --help)"
