#!/usr/bin/env bash
# --geo-source: the location-based country data (DB-IP Lite) beside the
# default whois-based one. geo lookup answers from the chosen database (read
# independently here with mmdb.py), analyze records which one it used and the
# report says so, with the DB-IP credit; when both are installed the report
# says how many counted addresses the two place in different countries, and
# that number is recomputed here from both databases. Bad names exit 2.
set -uo pipefail
BIN=${TA_BIN:?}
GEN=${TA_GEN:?}
HERE=$(cd "$(dirname "$0")" && pwd)
DD=${THREATATLAS_DATA_DIR:-}
WHOIS=$DD/geo/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
DBIP=$DD/geo/dbip-country-mmdb/dbip-country.mmdb
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
[[ -n "$DD" && -f "$WHOIS" && -f "$DBIP" ]] ||
    { echo "both country sources must be installed (threatatlas geo install)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$BIN" geo lookup --geo-source mars 8.8.8.8 >/dev/null 2>"$T/err"
[[ $? -eq 2 ]] && grep -q "unknown geo source 'mars'" "$T/err" || fail "geo lookup bad source: $(cat "$T/err")"

# Lookups: each source answers from its own database.
addrs=(1.1.1.1 8.8.8.8 45.33.32.156 202.108.22.5 185.199.108.153 91.198.174.192 2001:4860:4860::8888)
for src in whois location; do
    "$BIN" geo lookup --geo-source $src "${addrs[@]}" >"$T/$src.jsonl" || fail "lookup $src"
done
python3 - "$HERE" "$WHOIS" "$DBIP" "$T/whois.jsonl" "$T/location.jsonl" <<'EOF' || fail "lookups"
import json, sys
sys.path.insert(0, sys.argv[1])
import mmdb
for db, out in ((sys.argv[2], sys.argv[4]), (sys.argv[3], sys.argv[5])):
    r = mmdb.Reader(db)
    for line in open(out):
        x = json.loads(line)
        rec = r.lookup(x["ip"]) or {}
        want = rec.get("country_code", "")
        assert x["country"] == want, (db, x, want)
EOF

# A small national scenario, analysed with the location source.
"$GEN" --scenario national --scale 0.002 --from 2014-03-19 --to 2014-03-19 --out "$T/s" --seed 5 \
    --quiet || { echo "FAIL: gen"; exit 1; }
"$BIN" intel import --db "$T/a.db" "$T/s/feodo-ipblocklist.csv" "$T/s/openphish-feed.txt" \
    >/dev/null || fail "import"
"$BIN" analyze -r "$T"/s/pcap/*.pcap --db "$T/a.db" --home CN --geo-source mars -o /dev/null \
    2>"$T/err"
[[ $? -eq 2 ]] || fail "analyze bad --geo-source: $(tail -1 "$T/err")"
args=()
for p in "$T"/s/pcap/*.pcap; do args+=(-r "$p"); done
"$BIN" analyze "${args[@]}" --db "$T/a.db" --home CN --geo-source location -o /dev/null \
    2>/dev/null || fail "analyze --geo-source location"
R=(report --db "$T/a.db" --from 2014-03-19 --to 2014-03-19)
"$BIN" "${R[@]}" --format json >"$T/r.json" || fail "report json"
"$BIN" "${R[@]}" >"$T/r.txt" || fail "report text"
grep -q 'dbip-country-mmdb' "$T/r.txt" || fail "the report does not name the location source"
grep -q 'IP geolocation by DB-IP' "$T/r.txt" || fail "no DB-IP credit"
{
    echo '['
    for l in c2-servers controlled-hosts phishing-hosts backdoor-sources; do
        echo "$("$BIN" "${R[@]}" --list $l --format json),"
    done
    echo '[]]'
} >"$T/lists.json"
python3 - "$HERE" "$WHOIS" "$DBIP" "$T/r.json" "$T/lists.json" <<'EOF' || fail "comparison"
import json, sys
sys.path.insert(0, sys.argv[1])
import mmdb
w, d = mmdb.Reader(sys.argv[2]), mmdb.Reader(sys.argv[3])
r = json.load(open(sys.argv[4]))
ips = {row["ip"] for l in json.load(open(sys.argv[5])) for row in l}
cc = lambda rd, ip: (rd.lookup(ip) or {}).get("country_code", "")
diff = sum(cc(w, ip) != cc(d, ip) for ip in ips)
g = r["data"]["geo_compare"]
assert g["addresses"] == len(ips) and g["different"] == diff, (g, len(ips), diff)
assert any("dbip-country-mmdb" in v for v in r["data"]["geoip"]), r["data"]["geoip"]
assert len(ips) > 0
print("info: %d counted addresses, %d in different countries by whois and location" % (len(ips), diff))
EOF

[[ $fails -eq 0 ]] || exit 1
echo "geo-source: ok"
