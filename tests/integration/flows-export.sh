#!/usr/bin/env bash
# A generated national scenario exported as NetFlow v9, IPFIX and sFlow
# (threatatlas-gen --export) and read with --input flows must give the same
# botnet rows, and the same C&C events, as its packets, for its IP and IP:port
# C&C servers (the intel here is the IP blocklist only: a flow record shows no
# DNS, so C&C domains are not what it can show). The summary and the report
# (text and JSON) name the exporter and its sampling rate. Release build, like
# e2e-national.sh.
set -uo pipefail
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
BIN=$REL/threatatlas
GEN=$REL/threatatlas-gen
[[ -x $BIN && -x $GEN ]] || { echo "release build missing ($REL)"; exit 77; }
"$BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$GEN" --scenario national --scale 0.005 --from 2014-03-19 --to 2014-03-20 --seed 11 --out "$t/s" \
    --quiet --export netflow9,ipfix,sflow || { echo "FAIL: gen --export"; exit 1; }
fail=0
for k in pcap netflow9 ipfix sflow; do
    db=$t/$k.db
    "$BIN" intel import --db "$db" "$t/s/feodo-ipblocklist.csv" >/dev/null
    "$BIN" intel import --db "$db" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
    if [[ $k == pcap ]]; then
        args=(-r "$t/s/pcap/2014-03-19.pcap" -r "$t/s/pcap/2014-03-20.pcap")
    else
        [[ -s $t/s/pcap/2014-03-19.$k.pcap ]] || { echo "FAIL: no $k export written"; fail=1; continue; }
        args=(--input flows -r "$t/s/pcap/2014-03-19.$k.pcap" -r "$t/s/pcap/2014-03-20.$k.pcap")
    fi
    "$BIN" analyze "${args[@]}" --db "$db" --home CN -o "$t/$k.events" 2>"$t/$k.err" ||
        { echo "FAIL: analyze $k"; cat "$t/$k.err"; fail=1; continue; }
    "$BIN" report --db "$db" --from 2014-03-19 --to 2014-03-20 --format json >"$t/$k.json"
    grep -c '"C&C' "$t/$k.events" >"$t/$k.c2" || true
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
rows = sorted((x["src_cc"], x["dst_cc"], x["c2_servers"], x["controlled_hosts"]) for x in r.get("botnet", []))
print(rows)' "$t/$k.json" >"$t/$k.rows"
    if [[ $k != pcap ]]; then
        cmp -s "$t/pcap.rows" "$t/$k.rows" || { echo "FAIL: $k botnet rows differ"; cat "$t/pcap.rows" "$t/$k.rows"; fail=1; }
        # the events the packets' IP and IP:port matches give, one per flow, no more no less
        want=$(grep -c '"Flow to a C&C IP' "$t/pcap.events")
        got=$(grep -c '"Flow to a C&C IP' "$t/$k.events")
        [[ $want -gt 0 && $want -eq $got ]] || { echo "FAIL: $k: $got C&C IP events, packets $want"; fail=1; }
        grep -q "from ${k/sflow/sflow5} 192.0.2.122 domain [0-9]* sampling 1 in 1:" "$t/$k.err" ||
            { echo "FAIL: $k: the summary does not name the exporter"; cat "$t/$k.err"; fail=1; }
        # The report says which sources contributed, with the exporter and its sampling rate.
        want_src="flows: ${k/sflow/sflow5} 192.0.2.122 domain $([[ $k == sflow ]] && echo 0 || echo 1) sampling 1 in 1"
        "$BIN" report --db "$db" --from 2014-03-19 --to 2014-03-20 | grep -qxF "Sources: $want_src" ||
            { echo "FAIL: $k: the text report does not say 'Sources: $want_src'"; fail=1; }
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["data"]; sys.exit(d.get("sources") != [sys.argv[2]])' \
            "$t/$k.json" "$want_src" || { echo "FAIL: $k: data.sources in the JSON report"; fail=1; }
    fi
done
[[ $(wc -c <"$t/pcap.rows") -gt 10 ]] || { echo "FAIL: the packets gave no botnet row"; fail=1; }
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["data"].get("sources") != ["pcap"])' \
    "$t/pcap.json" || { echo "FAIL: pcap: data.sources is not [\"pcap\"]"; fail=1; }
exit $fail
