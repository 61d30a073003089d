#!/usr/bin/env bash
# threatatlas-gen edge scenario: every capture's manifest entry (packets,
# TCP and UDP conversations, link type, bytes) matches what tshark reads, and
# each file really has its oddity (cut short, snaplen 60, fragments out of
# order, QinQ, SLL, SLL2, BSD loopback, raw IP, IPv4 options, IPv6 extension
# headers and fragments, ICMPv6, pcapng, a capture starting at a SYN/ACK).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
GEN=${TA_GEN:-build/asan/threatatlas-gen}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GEN" --scenario edge --seed 5 --out "$tmp" --quiet
cd "$tmp"
count() { tshark -n -r "$1" ${2:+-Y "$2"} -T fields -e frame.number 2>/dev/null | wc -l; }
conv() { tshark -n -r "$1" -q -z "conv,$2" 2>/dev/null | grep -c '<->' || true; }
fail=0
check() { # what got want
    if [[ "$2" != "$3" ]]; then echo "FAIL $1: got $2, want $3"; fail=1; fi
}
# Manifest versus tshark for every capture.
while IFS=$'\t' read -r f packets tcp udp bytes; do
    check "$f packets" "$(count "$f")" "$packets"
    check "$f bytes" "$(stat -c %s "$f")" "$bytes"
    if [[ $f == snaplen60.pcap ]]; then
        # 60 bytes end inside the TCP header: no TCP conversation is visible.
        check "$f tcp conversations" "$(conv "$f" tcp)" 0
        check "$f udp conversations" "$(conv "$f" udp)" "$udp"
    elif [[ $packets -gt 0 ]]; then
        check "$f tcp conversations" "$(conv "$f" tcp)" "$tcp"
        check "$f udp conversations" "$(conv "$f" udp)" "$udp"
    fi
done < <(python3 -c '
import json
m = json.load(open("manifest.json"))["files"]
for f, v in sorted(m.items()):
    print("\t".join(str(x) for x in (f, v["packets"], v.get("tcp_flows", 0), v.get("udp_flows", 0), v["file_bytes"])))
')
# The exact numbers the decoder tests rely on.
python3 - <<'PY'
import json
m = json.load(open("manifest.json"))["files"]
want = {"truncated.pcap": 33, "snaplen60.pcap": 24, "ipv4-frag-ooo.pcap": 8, "vlan-qinq.pcap": 24,
        "linux-sll.pcap": 13, "raw-ip.pcap": 13, "ipv6-ext.pcap": 13, "icmpv6.pcap": 6,
        "capture.pcapng": 13, "empty.pcap": 0, "random.pcap": 0, "linux-sll2.pcap": 1,
        "null.pcap": 1, "ipv6-frag-ooo.pcap": 3, "synack-first.pcapng": 2, "basic.pcap": 7}
got = {f: v["packets"] for f, v in m.items()}
assert got == want, got
PY
# Truncated: tshark reports the cut.
if tshark -r truncated.pcap >/dev/null 2>"$tmp/err"; then echo "FAIL truncated.pcap read cleanly"; fail=1; fi
grep -q "cut short in the middle of a packet" "$tmp/err" || { echo "FAIL truncated: $(cat "$tmp/err")"; fail=1; }
# Random bytes are not a capture; the empty file has no packets.
if tshark -r random.pcap >/dev/null 2>&1; then echo "FAIL random.pcap was read"; fail=1; fi
check "empty.pcap size" "$(stat -c %s empty.pcap)" 0
# Snaplen 60: every record cut to at most 60 bytes, originals longer.
check "snaplen60 max caplen" "$(tshark -r snaplen60.pcap -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -1)" 60
check "snaplen60 max len" "$(tshark -r snaplen60.pcap -T fields -e frame.len 2>/dev/null | sort -n | tail -1)" 1526
# Fragments reassemble: one 3000-byte UDP payload (and its unfragmented
# 100-byte answer), one 1200-byte ICMP echo.
check "frag udp length" "$(tshark -r ipv4-frag-ooo.pcap -Y udp.srcport==5000 -T fields -e udp.length 2>/dev/null)" 3008
check "frag udp answer length" "$(tshark -r ipv4-frag-ooo.pcap -Y udp.srcport==5001 -T fields -e udp.length 2>/dev/null)" 108
check "frag icmp data" "$(tshark -r ipv4-frag-ooo.pcap -Y icmp -T fields -e data.len 2>/dev/null)" 1200
# (tshark shows offsets in 8-byte units: 2016, 0, 1008 then 912, 608, 304, 0 bytes, then the answer)
check "frag offsets" "$(tshark -r ipv4-frag-ooo.pcap -T fields -e ip.frag_offset 2>/dev/null | tr '\n' ' ')" "252 0 126 114 76 38 0 0 "
# VLANs.
check "qinq outer 100" "$(count vlan-qinq.pcap 'ieee8021ad.id==100')" 11
check "qinq inner 200" "$(count vlan-qinq.pcap 'vlan.id==200')" 11
check "dot1q 300" "$(count vlan-qinq.pcap 'vlan.id==300')" 13
# Link types and file formats.
enc() { capinfos -E "$1" 2>/dev/null | sed -n 's/^File encapsulation: *//p'; }
check "sll encap" "$(enc linux-sll.pcap)" "Linux cooked-mode capture v1"
check "raw encap" "$(enc raw-ip.pcap)" "Raw IP"
check "sll2 encap" "$(enc linux-sll2.pcap)" "Linux cooked-mode capture v2"
check "null encap" "$(enc null.pcap)" "NULL/Loopback"
for f in linux-sll2.pcap null.pcap; do
    check "$f IPv4 options" "$(count "$f" 'ip.hdr_len==28 && udp.length==32')" 1
done
check "raw ipv6 dns" "$(count raw-ip.pcap 'ipv6 && dns')" 2
check "pcapng type" "$(capinfos -t capture.pcapng 2>/dev/null | sed -n 's/^File type: *//p')" "Wireshark/... - pcapng"
# IPv6 extension headers and ICMPv6.
check "hop-by-hop" "$(count ipv6-ext.pcap ipv6.hopopts)" 2
check "routing" "$(count ipv6-ext.pcap ipv6.routing)" 2
check "fragment header" "$(count ipv6-ext.pcap ipv6.fraghdr)" 2
check "dns through ext headers" "$(count ipv6-ext.pcap dns)" 2
check "dstopts" "$(count ipv6-ext.pcap ipv6.dstopts)" 11
check "http over dstopts" "$(count ipv6-ext.pcap http.request)" 1
check "ipv6 fragments" "$(count ipv6-frag-ooo.pcap 'ipv6.fraghdr')" 2
check "ipv6 reassembled udp" "$(tshark -r ipv6-frag-ooo.pcap -Y udp -T fields -e udp.length 2>/dev/null)" 1208
check "ipv6 syn through hop-by-hop and dstopts" "$(count ipv6-frag-ooo.pcap 'ipv6.hopopts && ipv6.dstopts && tcp.flags==0x002')" 1
check "synack first" "$(tshark -r synack-first.pcapng -T fields -e tcp.flags 2>/dev/null | tr '\n' ' ')" "0x0012 0x0010 "
check "basic icmp echo pair" "$(count basic.pcap 'icmp.type==8 || icmp.type==0')" 2
check "icmpv6 requests" "$(count icmpv6.pcap 'icmpv6.type==128')" 3
check "icmpv6 replies" "$(count icmpv6.pcap 'icmpv6.type==129')" 3
# Checksums everywhere are right.
for f in *.pcap *.pcapng; do
    [[ $f == random.pcap || $f == empty.pcap || $f == snaplen60.pcap ]] && continue
    bad=$( { tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -Y 'ip.checksum.status==2 || tcp.checksum.status==2 || udp.checksum.status==2 || icmpv6.checksum.status==2 || _ws.malformed' \
        -T fields -e frame.number 2>/dev/null || true; } | wc -l)
    check "$f bad checksums or malformed" "$bad" 0
done
exit $fail
