#!/usr/bin/env bash
# observe on generated edge-case captures (bench/gen-capture edge) and on
# broken inputs: exact flow records, counters, error lines and exit codes.
set -uo pipefail
GEN=$TA_BUILD/bench/gen-capture
[[ -x $GEN ]] || { echo "gen-capture not built: $GEN"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$GEN" edge "$t" || { echo "gen-capture edge failed"; exit 1; }
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
obs() { "$TA_BIN" observe "$@"; }

# Out-of-order IPv4 fragments reassembled: one packet of all fragments' bytes.
obs -r "$t/frag-ooo.pcap" >"$t/o" 2>"$t/e" || { echo "FAIL frag exit"; fail=1; }
check frag "$t/o" '"src_ip":"10.1.0.1","src_port":5000,"dest_ip":"10.1.0.2","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":3110,"bytes_toclient":142,' '"frag_reassembled":1,' '"invalid":0,'

# VLAN in VLAN: the vlan array, TCP teardown state and flags.
obs -r "$t/qinq.pcap" >"$t/o"
check qinq "$t/o" '"event_type":"flow","vlan":[100,200],"src_ip":"10.2.0.1","src_port":40000,"dest_ip":"10.2.0.2","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":4,"pkts_toclient":2,"bytes_toserver":248,"bytes_toclient":124,' '"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"13","tcp_flags_ts":"13","tcp_flags_tc":"13","syn":true,"fin":true,"ack":true,"state":"closed"}'

# Link types: SLL, SLL2, raw IP, BSD null; IPv4 with options. Bytes are frame lengths.
for lt in sll:76 sll2:80 raw:60 null:64; do
    obs -r "$t/${lt%%:*}.pcap" >"$t/o"
    check "${lt%%:*}" "$t/o" "\"src_ip\":\"10.3.0.1\",\"src_port\":1111,\"dest_ip\":\"10.3.0.2\",\"dest_port\":2222,\"proto\":\"UDP\",\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":0,\"bytes_toserver\":${lt##*:},"
done

# Snaplen 60: flows count wire lengths.
obs -r "$t/snap60.pcap" >"$t/o"
check snap60 "$t/o" '"pkts_toserver":3,"pkts_toclient":0,"bytes_toserver":3162,' '"invalid":0,'

# IPv6 extension headers and IPv6 fragments (out of order).
obs -r "$t/ipv6-ext.pcap" >"$t/o"
check ipv6 "$t/o" '"src_ip":"2001:db8::1","src_port":5555,"dest_ip":"2001:db8::2","dest_port":443,"proto":"TCP"' '"tcp_flags":"02","tcp_flags_ts":"02","tcp_flags_tc":"00","syn":true,"state":"syn_sent"' '"src_ip":"2001:db8::1","src_port":6666,"dest_ip":"2001:db8::2","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":1332,'

# pcapng, and a SYN/ACK seen first: its receiver is the client.
obs -r "$t/synack-first.pcapng" >"$t/o"
check pcapng "$t/o" '"src_ip":"10.5.0.1","src_port":40001,"dest_ip":"10.5.0.2","dest_port":80,"proto":"TCP","flow":{"pkts_toserver":1,"pkts_toclient":1,'

# ICMP echo request/reply share a flow; UDP request/reply.
obs -r "$t/basic.pcap" >"$t/o"
check basic "$t/o" '"proto":"ICMP","icmp_type":8,"icmp_code":0,"response_icmp_type":0,"response_icmp_code":0,"flow":{"pkts_toserver":1,"pkts_toclient":1,' '"src_port":7000,"dest_ip":"10.6.0.2","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":2,"pkts_toclient":2,"bytes_toserver":144,"bytes_toclient":184,' '"flow":{"created":3,"ended":3,"evicted":0,"active":0}' '"pkts":7,"bytes":502,"decoded":7,'
count basic "$t/o" '"event_type":"flow"' 3

# Output is deterministic: same input, same bytes.
obs -r "$t/basic.pcap" -o "$t/o2"
cmp -s "$t/o" "$t/o2" || { echo "FAIL determinism"; fail=1; }

# Several files in order, with a BPF filter on each.
obs -r "$t/basic.pcap" -r "$t/qinq.pcap" -f 'udp or (vlan and vlan and tcp)' >"$t/o"
check multi "$t/o" '"files":2,"truncated_files":0' '"flow":{"created":3,' '"vlan":[100,200]'
count multi "$t/o" '"proto":"ICMP"' 0

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

# Timeouts end flows in packet time: flood.pcap's 3 UDP flows are 62 s older than
# basic.pcap's packets, so with a 1 s UDP timeout they end by timeout, the rest at shutdown.
"$GEN" flood "$t/f1.pcap" 3
obs -r "$t/f1.pcap" -r "$t/basic.pcap" --udp-timeout 1 >"$t/o"
count timeout "$t/o" '"reason":"timeout"' 3
count timeout "$t/o" '"reason":"shutdown"' 3

[[ $fail -eq 0 ]] && echo "info: edge cases: fragments, QinQ, SLL/SLL2/raw/null, snaplen 60, IPv6 ext+frag, pcapng, gzip, truncation, bad inputs"
exit $fail
