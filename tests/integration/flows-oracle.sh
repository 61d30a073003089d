#!/usr/bin/env bash
# NetFlow v5/v9 and IPFIX export captures (akvorado's and pmacct's test data) read with
# --input flows must give the records nfdump 1.7.1 decoded from the same exports
# (oracle/nfdump-1.7.1-udp-replay) and, for pmacct's, the records nfacctd wrote beside
# them (output-flow-00.json, sampling renormalised); tests/tools/flows-compare.py says
# what each reference cannot show. The netflow records must validate against Suricata's
# EVE schema. A v9 template given in one file decodes the data of the next.
set -uo pipefail
D=${TA_SHARED_DATA:-}
AK=$D/netflow-akvorado/outlet/flow/decoder/netflow/testdata
PM=$D/netflow-pmacct/tests
OR=$D/oracle/nfdump-1.7.1-udp-replay
[[ -d $AK && -d $PM && -d $OR ]] || { echo "shared data absent: netflow-akvorado, netflow-pmacct or oracle"; exit 77; }
CMP=$(dirname "$0")/../tools/flows-compare.py
VAL=$(dirname "$0")/../tools/eve-validate.py
SCHEMA=$D/suricata-eve-format/etc/schema.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
# oracle CSV, then the export captures in the order an exporter sent them.
cases=(
    "akvorado-nfv5.csv nfv5.pcap"
    "akvorado-v9-template+data.csv template.pcap data.pcap"
    "akvorado-icmp.csv icmp-template.pcap icmp-data.pcap"
    "akvorado-ipfix-srv6.csv ipfix-srv6-template.pcap ipfix-srv6-data.pcap"
    "akvorado-ipfixprobe.csv ipfixprobe-templates.pcap ipfixprobe-data.pcap"
    "akvorado-mpls.csv mpls.pcap"
    "akvorado-nat.csv nat.pcap"
    "akvorado-samplingrate.csv samplingrate-template.pcap samplingrate-data.pcap"
)
for c in "${cases[@]}"; do
    set -- $c
    csv=$1; shift
    args=()
    for f in "$@"; do args+=(-r "$AK/$f"); done
    n=$((n + 1))
    out=$tmp/$n.json
    "$TA_BIN" observe --no-stats --eve-extension --input flows "${args[@]}" -o "$out" ||
        { echo "FAIL: observe ${args[*]}"; fail=1; continue; }
    python3 "$CMP" "$out" nfdump "$OR/$csv" || fail=1
done
for t in 100-IPFIXv10-CISCO 104-IPFIXv10-IPv6-CISCO-sampling_option 106-IPFIXv10-HUAWEI-vrf_name; do
    out=$tmp/$t.json
    "$TA_BIN" observe --no-stats --eve-extension --input flows -r "$PM/$t/traffic-00.pcap" -o "$out" ||
        { echo "FAIL: observe $t"; fail=1; continue; }
    python3 "$CMP" "$out" nfdump "$OR/pmacct-$t.csv" || fail=1
    python3 "$CMP" "$out" pmacct "$PM/$t/output-flow-00.json" || fail=1
done
# Without the template, v9 data makes no record (counted, not guessed).
"$TA_BIN" observe --no-stats --input flows -r "$AK/data.pcap" -o "$tmp/notemplate.json" || fail=1
[[ ! -s $tmp/notemplate.json ]] || { echo "FAIL: v9 data without its template made records"; fail=1; }
# Schema: the records without the extension.
if [[ -f $SCHEMA ]]; then
    "$TA_BIN" observe --input flows -r "$AK/nfv5.pcap" -r "$PM/100-IPFIXv10-CISCO/traffic-00.pcap" \
        -o "$tmp/schema.json" || fail=1
    python3 "$VAL" "$SCHEMA" "$tmp/schema.json" --expect-types netflow,stats >"$tmp/val.txt"
    rc=$?
    [[ $rc -eq 0 ]] || { cat "$tmp/val.txt"; [[ $rc -eq 77 ]] && exit 77; fail=1; }
fi
# The same captures read as packets are one UDP flow each: never mistaken for flow records.
"$TA_BIN" observe --no-stats -r "$AK/nfv5.pcap" -o "$tmp/pkt.json" || fail=1
grep -q '"event_type":"netflow"' "$tmp/pkt.json" && { echo "FAIL: packets read as flows"; fail=1; }
exit $fail
