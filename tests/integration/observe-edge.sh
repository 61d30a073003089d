#!/usr/bin/env bash
# observe on generated edge-case captures (threatatlas-gen --scenario edge;
# see its manifest.json) and on broken inputs: exact flow records, counters,
# error lines and exit codes. Byte counts are frame lengths on the wire.
set -uo pipefail
[[ -x $TA_GEN ]] || { echo "threatatlas-gen not built: $TA_GEN"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$TA_GEN" --scenario edge --seed 5 --out "$t" --quiet || { echo "threatatlas-gen edge failed"; exit 1; }
fail=0
check() { # check NAME FILE SUBSTRING...: every substring occurs in FILE
    local name=$1 file=$2
    shift 2
    # app_proto belongs to the app layer (tests/integration/proto-compat.sh,
    # tests/unit/proto): the flow fields are compared without it.
    sed -E 's/"app_proto":"[a-z]+",//' "$file" >"$file.noapp"
    for s in "$@"; do
        if ! grep -qF -- "$s" "$file.noapp"; then
            echo "FAIL $name: missing $s"; echo "--- output:"; head -c 3000 "$file"; echo; fail=1
        fi
    done
}
count() { # count NAME FILE PATTERN N
    local n
    n=$(grep -cF -- "$3" "$2")
    [[ $n -eq $4 ]] || { echo "FAIL $1: '$3' occurs $n times, want $4"; fail=1; }
}
# --eve-extension: the stats record keeps our own counters (files, decoded, created/ended).
obs() { "$TA_BIN" observe --eve-extension "$@"; }

# Out-of-order IPv4 fragments reassembled: one packet of all fragments' bytes
# (UDP: 3008 B in 1008 + 1008 + 992, plus 3 x 34 B of headers = 3110; ICMP:
# 1208 B in 3 x 304 + 296, plus 4 x 34 = 1344); the answer (142 B) joins the flow.
obs -r "$t/ipv4-frag-ooo.pcap" >"$t/o" 2>"$t/e" || { echo "FAIL frag exit"; fail=1; }
check frag "$t/o" '"src_ip":"192.0.2.1","src_port":5000,"dest_ip":"198.51.100.20","dest_port":5001,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":3110,"bytes_toclient":142,' '"proto":"ICMP","icmp_type":8,"icmp_code":0,"flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":1344,' '"frag_reassembled":2,' '"invalid":0,'

# VLAN in VLAN (QinQ 100/200) and 802.1Q 300: the vlan array, TCP teardown
# state and flags of complete HTTP sessions (packets and bytes as tshark's
# conversation table counts them).
obs -r "$t/vlan-qinq.pcap" >"$t/o"
check qinq "$t/o" '"event_type":"flow","vlan":[100,200],"src_ip":"192.0.2.1","src_port":50200,"dest_ip":"198.51.100.20","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":6,"pkts_toclient":5,"bytes_toserver":545,"bytes_toclient":2444,' '"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}' '"event_type":"flow","vlan":[300],"src_ip":"192.0.2.1","src_port":50201,"dest_ip":"198.51.100.20","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":6,"pkts_toclient":5,"bytes_toserver":521,"bytes_toclient":2424,'

# Link types: SLL2 and BSD null with IPv4 options (28 + 8 + 24 = 60 bytes of
# IP), SLL (DNS over IPv4: 44 + 33 / 44 + 49 B of IP) and raw IP (DNS over IPv6).
for lt in linux-sll2:80 null:64; do
    obs -r "$t/${lt%%:*}.pcap" >"$t/o"
    check "${lt%%:*}" "$t/o" "\"src_ip\":\"192.0.2.1\",\"src_port\":33333,\"dest_ip\":\"198.51.100.20\",\"dest_port\":44444,\"proto\":\"UDP\",\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":0,\"bytes_toserver\":${lt##*:}," '"invalid":0,'
done
obs -r "$t/linux-sll.pcap" >"$t/o"
check sll "$t/o" '"src_ip":"192.0.2.1","src_port":40011,"dest_ip":"198.51.100.20","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":77,"bytes_toclient":93,'
obs -r "$t/raw-ip.pcap" >"$t/o"
check raw "$t/o" '"src_ip":"2001:db8::1","src_port":40012,"dest_ip":"2001:db8:1::53","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":81,"bytes_toclient":97,'

# Snaplen 60: flows count wire lengths (the DNS exchange: 75 and 91 bytes on
# the wire, 60 captured; the HTTP session as in vlan-qinq.pcap less 8 bytes of
# tags a packet), and records cut after or inside the headers are not invalid.
obs -r "$t/snaplen60.pcap" >"$t/o"
check snap60 "$t/o" '"dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":75,"bytes_toclient":91,' '"src_port":50100,"dest_ip":"198.51.100.20","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":6,"pkts_toclient":5,"bytes_toserver":497,"bytes_toclient":2404,' '"pkts":24,' '"invalid":0,'

# IPv6 extension headers and IPv6 fragments (out of order: 62 + 608 and
# 62 + 600 bytes).
obs -r "$t/ipv6-frag-ooo.pcap" >"$t/o"
check ipv6 "$t/o" '"src_ip":"2001:db8::1","src_port":5555,"dest_ip":"2001:db8:1::53","dest_port":443,"proto":"TCP"' '"tcp_flags":"02","tcp_flags_ts":"02","tcp_flags_tc":"00","syn":true,"state":"syn_sent"' '"src_ip":"2001:db8::1","src_port":6666,"dest_ip":"2001:db8:1::53","dest_port":7,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":1332,'
obs -r "$t/ipv6-ext.pcap" >"$t/o"
check ipv6-ext "$t/o" '"src_ip":"2001:db8::1","src_port":40013,"dest_ip":"2001:db8:1::53","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,' '"src_ip":"2001:db8::1","src_port":50500,"dest_ip":"2001:db8:1::53","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":6,"pkts_toclient":5,'

# pcapng, and a SYN/ACK seen first: its receiver is the client.
obs -r "$t/synack-first.pcapng" >"$t/o"
check pcapng "$t/o" '"src_ip":"192.0.2.1","src_port":40001,"dest_ip":"198.51.100.20","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":1,"pkts_toclient":1,'

# ICMP echo request/reply share a flow; UDP request/reply.
obs -r "$t/basic.pcap" >"$t/o"
check basic "$t/o" '"proto":"ICMP","icmp_type":8,"icmp_code":0,"response_icmp_type":0,"response_icmp_code":0,"flow":{"pkts_toserver":1,"pkts_toclient":1,' '"src_port":7000,"dest_ip":"198.51.100.20","dest_port":7,"proto":"UDP","flow":{"pkts_toserver":2,"pkts_toclient":2,"bytes_toserver":144,"bytes_toclient":184,' '"flow":{"created":3,"ended":3,"evicted":0,"active":0}' '"pkts":7,"bytes":502,"decoded":7,'
count basic "$t/o" '"event_type":"flow"' 3

# Output is deterministic: same input, same bytes.
obs -r "$t/basic.pcap" -o "$t/o2"
cmp -s "$t/o" "$t/o2" || { echo "FAIL determinism"; fail=1; }

# Several files in order, with a BPF filter on each.
# (vlan-qinq.pcap: only the QinQ session has two tags; its DNS is tagged, so 'udp' misses it.)
obs -r "$t/basic.pcap" -r "$t/vlan-qinq.pcap" -f 'udp or (vlan and vlan and tcp)' >"$t/o"
check multi "$t/o" '"files":2,"truncated_files":0' '"flow":{"created":3,' '"vlan":[100,200]'
count multi "$t/o" '"proto":"ICMP"' 0
count multi "$t/o" '"vlan":[300]' 0

# gzip-compressed capture.
gzip -c "$t/basic.pcap" >"$t/basic.pcap.gz"
obs -r "$t/basic.pcap.gz" >"$t/o2"
cmp -s "$t/o" "$t/o" && check gzip "$t/o2" '"flow":{"created":3,"ended":3,'

# Truncated mid-packet: packets before the damage are used, a warning, exit 0, stats say so.
head -c $(($(stat -c %s "$t/basic.pcap") - 20)) "$t/basic.pcap" >"$t/trunc.pcap"
obs -r "$t/trunc.pcap" >"$t/o" 2>"$t/e"; rc=$?
[[ $rc -eq 0 ]] || { echo "FAIL truncated: exit $rc"; fail=1; }
check truncated "$t/e" 'threatatlas: warning: '"$t/trunc.pcap"': capture is damaged after 6 packets'
check truncated "$t/o" '"truncated_files":1' '"pkts":6,' '"flow":{"created":3,"ended":3,'
# A truncated gzip stream behaves the same way.
head -c $(($(stat -c %s "$t/basic.pcap.gz") - 30)) "$t/basic.pcap.gz" >"$t/trunc.pcap.gz"
obs -r "$t/trunc.pcap.gz" >"$t/o" 2>"$t/e"; rc=$?
[[ $rc -eq 0 ]] || { echo "FAIL truncated gz: exit $rc"; cat "$t/e"; fail=1; }
check truncated-gz "$t/o" '"truncated_files":1'
# The generator's truncated.pcap: cut in the middle of packet 34's data.
obs -r "$t/truncated.pcap" >"$t/o" 2>"$t/e"; rc=$?
[[ $rc -eq 0 ]] || { echo "FAIL truncated.pcap: exit $rc"; fail=1; }
check truncated-gen "$t/e" 'capture is damaged after 33 packets'
check truncated-gen "$t/o" '"truncated_files":1' '"pkts":33,' '"flow":{"created":3,"ended":3,'

# Broken inputs: one error line naming the file, exit 1, nothing on stdout.
: >"$t/empty.pcap"
printf 'this is not a capture file at all, just some text bytes\x00\x01\x02' >"$t/random.bin"
for bad in "$t/missing.pcap" "$t/empty.pcap" "$t/random.bin" "$t"; do
    obs -r "$t/basic.pcap" -r "$bad" >"$t/o" 2>"$t/e"; rc=$?
    [[ $rc -eq 1 ]] || { echo "FAIL $bad: exit $rc, want 1"; fail=1; }
    [[ $(wc -l <"$t/e") -eq 1 ]] || { echo "FAIL $bad: want one error line:"; cat "$t/e"; fail=1; }
    check "err-$bad" "$t/e" "$bad"
    [[ -s "$t/o" ]] && { echo "FAIL $bad: output written before the error"; fail=1; }
done
grep -q 'empty file' < <(obs -r "$t/empty.pcap" 2>&1) || { echo "FAIL empty: no 'empty file'"; fail=1; }

# Usage errors: exit 2 with one line.
for args in "" "-r $t/basic.pcap --max-flows 0" "-r $t/basic.pcap --udp-timeout x" \
    "-r $t/basic.pcap --bogus" "-r $t/basic.pcap -i lo" "-r $t/basic.pcap -f 'not a ( filter'" \
    "-r $t/basic.pcap extra"; do
    eval "obs $args" >"$t/o" 2>"$t/e"; rc=$?
    [[ $rc -eq 2 && $(wc -l <"$t/e") -eq 1 ]] || { echo "FAIL usage '$args': exit $rc"; cat "$t/e"; fail=1; }
done
obs --help >"$t/o" || fail=1
check help "$t/o" '--max-flows N' '--tcp-closed-timeout SEC' 'exit status'
"$TA_BIN" --version | grep -q '^threatatlas [0-9]' || { echo "FAIL --version"; fail=1; }

# Timeouts end flows in packet time: the flood scenario's 3 flows (a TCP SYN, a
# UDP datagram, a TCP SYN) are 62 s older than basic.pcap's packets, so with 1 s
# timeouts for new TCP and for UDP flows they end by timeout, the rest at shutdown.
"$TA_GEN" --scenario flood --flows 3 --out "$t/f1" --quiet
obs -r "$t/f1/flood.pcap" -r "$t/basic.pcap" --udp-timeout 1 --tcp-new-timeout 1 >"$t/o"
count timeout "$t/o" '"reason":"timeout"' 3
count timeout "$t/o" '"reason":"shutdown"' 3

[[ $fail -eq 0 ]] && echo "info: edge cases: fragments, QinQ, SLL/SLL2/raw/null, IPv4 options, snaplen 60, IPv6 ext+frag, pcapng, SYN/ACK first, gzip, truncation, bad inputs"
exit $fail
