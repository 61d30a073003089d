#!/usr/bin/env bash
# threatatlas-gen topsites and precision scenarios read back with tshark: the
# packets, conversations, TLS names, HTTP answers and feed entries are the
# ones truth-topsites.json and manifest-precision.json state; a national
# capture written with --time-shift-ms 2 is the same traffic 2 ms later with
# the same truth.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
GEN=${TA_GEN:-build/asan/threatatlas-gen}
[[ -x $GEN ]] || { echo "no generator at $GEN"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # what got want
    if [[ "$2" != "$3" ]]; then echo "FAIL $1: got $2, want $3"; fail=1; fi
}
count() { tshark -n -r "$1" ${2:+-Y "$2"} -T fields -e frame.number 2>/dev/null | wc -l; }
conv() { tshark -n -r "$1" -q -z "conv,$2" 2>/dev/null | grep -c '<->' || true; }

# --- topsites -------------------------------------------------------------
"$GEN" --scenario topsites --seed 4 --out "$tmp/t" --quiet 2>/dev/null
t=$tmp/t
j() { python3 -c "import json,sys; t=json.load(open('$t/truth-topsites.json')); print($1)"; }
check "topsites packets" "$(count "$t/topsites.pcap")" "$(j 't["packets"]')"
check "topsites tcp conversations" "$(conv "$t/topsites.pcap" tcp)" "$(j 't["tcp_flows"]')"
check "topsites udp conversations" "$(conv "$t/topsites.pcap" udp)" "$(j 't["udp_flows"]')"
# Per site: ClientHellos with the visited name, DNS answers naming the listed address.
while IFS=$'\t' read -r name ip conns lookups; do
    check "$name ClientHellos" "$(count "$t/topsites.pcap" "tls.handshake.extensions_server_name == \"$name\" && ip.dst == $ip")" "$conns"
    check "$name DNS answers" "$(count "$t/topsites.pcap" "dns.flags.response == 1 && dns.qry.name == \"$name\" && dns.a == $ip")" "$lookups"
done < <(j '"\n".join("\t".join(str(s[k]) for k in ("visited_as","ip","connections","dns_lookups")) for s in t["sites"])')
c2=$(j 't["c2"]["ip"]')
check "C&C ClientHellos without SNI" "$(count "$t/topsites.pcap" "tls.handshake.type == 1 && ip.dst == $c2 && !tls.handshake.extensions_server_name")" "$(j 't["c2"]["connections"]')"
check "C&C hosts" "$(tshark -n -r "$t/topsites.pcap" -Y "ip.dst == $c2 && tcp.flags.syn == 1" -T fields -e ip.src 2>/dev/null | sort -u | wc -l)" 3
check "suppressed = top-site connections" "$(j 't["expected"]["suppressed_events"]')" "$(j 'sum(s["connections"] for s in t["sites"])')"
# The feeds list every top-site address and the C&C as IP:443; the allowlist names every site.
python3 - "$t" <<'PY'
import json, sys, csv
d = sys.argv[1]
t = json.load(open(f"{d}/truth-topsites.json"))
trail = [l.strip() for l in open(f"{d}/trails/static/malware/bazarloader.txt") if l.strip() and not l.startswith("#")]
rows = [r for r in csv.reader(l for l in open(f"{d}/feodo-topsites.csv") if not l.startswith("#"))]
feodo = [f"{r[1]}:{r[2]}" for r in rows]
for s in t["sites"]:
    where = trail if s["feed"].startswith("trails/") else feodo
    assert f'{s["ip"]}:443' in where, s
c2 = f'{t["c2"]["ip"]}:443'
assert c2 in trail and c2 in feodo
assert len(trail) + len(feodo) == len(t["sites"]) + 2
# Dated so the day is inside every entry's validity.
for r in rows:
    assert r[0] < t["day"] and r[4] == t["day"], r
allow = [e["rootDomain"] for e in json.load(open(f"{d}/allowlist-top-sites.json"))]
assert allow == [s["listed"] for s in t["sites"]], allow
assert t["sites"][0]["visited_as"] == "www.bing.com" and t["sites"][0]["ip"] == "204.79.197.200"
assert t["report"]["botnet"] == [{"src_cc": "RU", "dst_cc": "CN", "c2_servers": 1, "controlled_hosts": 3}]
PY

# --- precision --------------------------------------------------------------
"$GEN" --scenario precision --seed 4 --out "$tmp/p" --quiet 2>/dev/null
p=$tmp/p
while IFS=$'\t' read -r f packets tcp udp icmp; do
    check "$f packets" "$(count "$p/$f")" "$packets"
    check "$f tcp conversations" "$(conv "$p/$f" tcp)" "$tcp"
    check "$f udp conversations" "$(conv "$p/$f" udp)" "$udp"
    check "$f icmp echo requests" "$(count "$p/$f" 'icmp.type == 8')" "$((icmp * 4))"
done < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["files"]
for f, v in sorted(m.items()):
    print("\t".join(str(x) for x in (f, v["packets"], v["tcp_flows"], v["udp_flows"], v["icmp_flows"])))
' "$p/manifest-precision.json")
w=$p/webshell-probe.pcap
check "probe GETs" "$(count "$w" 'http.request.uri == "/c99.php"')" 3
check "404 answers" "$(count "$w" 'http.response.code == 404')" 1
check "200 answers" "$(count "$w" 'http.response.code == 200')" 1
check "webshell path feed" "$(grep -v '^#' "$p/webshell-paths.txt")" "/c99.php"
a=$p/ipport-icmp.pcap
x=$(tshark -n -r "$a" -Y 'icmp.type == 8' -T fields -e ip.dst 2>/dev/null | sort -u)
check "IP:80 entry" "$(grep -c "^$x:80\$" "$p/trails/static/malware/emotet.txt")" 1
check "TCP to 80" "$(count "$a" "ip.dst == $x && tcp.dstport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0")" 1
check "TCP to 443" "$(count "$a" "ip.dst == $x && tcp.dstport == 443 && tcp.flags.syn == 1 && tcp.flags.ack == 0")" 1
d=$p/payload.pcap
check "payload downloads" "$(count "$d" 'http.response.code == 200 && http.content_type == "application/octet-stream"')" 2
check "MZ bodies" "$(tshark -n -r "$d" -Y 'http.response.code == 200' -T fields -e http.file_data 2>/dev/null | grep -c '^4d5a\|^MZ')" 2
check "URL trails" "$(grep -cE '/x/invoice\.exe$|/get/update$' "$p/trails/static/malware/emotet.txt")" 2
for u in $(grep -v '^#' "$p/trails/static/malware/emotet.txt" | grep /); do
    check "request for $u" "$(count "$d" "http.host == \"${u%%/*}\" && http.request.uri == \"/${u#*/}\"")" 1
done
s=$p/attempted.pcap
y=$(tshark -n -r "$s" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e ip.dst 2>/dev/null | sort -u)
check "IP:8080 entry" "$(grep -c "^$y:8080\$" "$p/trails/static/malware/qakbot.txt")" 1
check "SYNs never answered" "$(count "$s" 'tcp.flags.syn == 1 && tcp.flags.ack == 0')" 4
check "SYN/ACKs" "$(count "$s" 'tcp.flags.syn == 1 && tcp.flags.ack == 1')" 1

# --- a second sensor: --time-shift-ms --------------------------------------
"$GEN" --scenario national --scale 0.001 --from 2014-03-19 --to 2014-03-19 --seed 8 \
    --out "$tmp/n0" --quiet 2>/dev/null
"$GEN" --scenario national --scale 0.001 --from 2014-03-19 --to 2014-03-19 --seed 8 \
    --time-shift-ms 2 --out "$tmp/n2" --quiet 2>/dev/null
cmp -s "$tmp/n0/truth.json" "$tmp/n2/truth.json" || { echo "FAIL truth.json changed with the shift"; fail=1; }
cmp -s "$tmp/n0/feodo-ipblocklist.csv" "$tmp/n2/feodo-ipblocklist.csv" || { echo "FAIL feeds changed with the shift"; fail=1; }
python3 - "$tmp/n0/pcap/2014-03-19.pcap" "$tmp/n2/pcap/2014-03-19.pcap" <<'PY' || fail=1
import struct, sys
def recs(path):
    b = open(path, "rb").read()
    assert len(b) >= 24
    off, out = 24, []
    while off < len(b):
        s, us, cap, orig = struct.unpack_from("<IIII", b, off)
        out.append((s * 1000000 + us, b[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out
a, b = recs(sys.argv[1]), recs(sys.argv[2])
assert len(a) == len(b) and len(a) > 1000, (len(a), len(b))
bad = sum(1 for x, y in zip(a, b) if y[0] - x[0] != 2000 or x[1] != y[1])
if bad:
    print(f"FAIL time shift: {bad} of {len(a)} records are not the same packet 2 ms later")
    sys.exit(1)
PY
[[ $fail -eq 0 ]] || exit 1
echo "info: topsites and precision captures match their truth and manifest; --time-shift-ms 2 moves every packet by 2 ms"
