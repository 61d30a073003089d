#!/usr/bin/env bash
# suricata-verify tests/netflow-eve: its test.yaml expects, for the one HTTP
# connection of eve-metadata/testmyids.pcap, netflow records of 6 packets /
# 425 bytes from the client and 4 packets / 495 bytes from the server, start
# 2016-05-27T06:56:11.304062, end 06:56:11.900923, age 0, TCP flags 1b both
# ways. Our flow record carries both directions; the values are read from
# test.yaml, not repeated here.
set -uo pipefail
D=${TA_SHARED_DATA:-}
T=$D/suricata-verify/tests/netflow-eve
[[ -f $T/test.yaml ]] || { echo "shared data absent: $T"; exit 77; }
pcap=$T/$(awk '/^pcap:/ {print $2}' "$T/test.yaml")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$TA_BIN" observe -r "$pcap" -o "$out" || { echo "observe failed"; exit 1; }
[[ $(grep -c '"event_type":"flow"' "$out") -eq 1 ]] || { echo "want exactly one flow"; cat "$out"; exit 1; }
flow=$(grep '"event_type":"flow"' "$out")
# Two netflow filters in test.yaml: first client->server, second server->client.
mapfile -t v < <(awk '/netflow.bytes:/ {print $2} /netflow.pkts:/ {print $2} /netflow.start:/ {print $2} /netflow.end:/ {print $2} /netflow.age:/ {print $2} /tcp.tcp_flags:/ {print $2} /src_ip:/ {print $2} /src_port:/ {print $2}' "$T/test.yaml")
# v: the keys in file order per filter: age bytes end pkts start src_ip src_port tcp_flags.
fail=0
want() { grep -qF -- "$1" <<<"$flow" || { echo "FAIL: missing $1"; fail=1; }; }
want "\"src_ip\":\"${v[5]}\",\"src_port\":${v[6]},\"dest_ip\":\"${v[13]}\",\"dest_port\":${v[14]},"
want "\"pkts_toserver\":${v[3]},\"pkts_toclient\":${v[11]},\"bytes_toserver\":${v[1]},\"bytes_toclient\":${v[9]},"
want "\"start\":\"${v[4]}\",\"end\":\"${v[2]}\",\"age\":${v[0]},"
want "\"tcp_flags_ts\":\"${v[7]}\",\"tcp_flags_tc\":\"${v[15]}\""
want '"proto":"TCP"'
[[ $fail -eq 0 ]] || { echo "flow: $flow"; printf '%s\n' "${v[@]}"; }
exit $fail
