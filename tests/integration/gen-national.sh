#!/usr/bin/env bash
# threatatlas-gen national scenario at scale 0.001: reading the captures back
# with tshark finds exactly the C&C connections, phishing visits and webshell
# requests truth.json claims (from the feeds' indicators alone), per country
# pair and per day, and every generated address geolocates to its intended
# country with the pinned GeoIP database (mmdblookup).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
GEN=${TA_GEN:-build/asan/threatatlas-gen}
[[ -x $GEN ]] || { echo "no generator at $GEN"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

data=${THREATATLAS_DATA_DIR:-$PWD/data}
# Where `threatatlas geo install` puts the pinned country database.
db=$data/geo/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
[[ -f $db ]] || db=""
args=()
if [[ -n $db ]]; then
    args=(--geo-db "$db")
fi
"$GEN" --scenario national --scale 0.001 --from 2014-03-19 --to 2014-03-21 --seed 42 \
    --out "$tmp/n" --quiet "${args[@]}"
# One capture per day, named by date.
[[ $(ls "$tmp/n/pcap" | tr '\n' ' ') == "2014-03-19.pcap 2014-03-20.pcap 2014-03-21.pcap " ]]
for f in feodo-ipblocklist.csv feodo-ipblocklist.txt threatfox-domains.csv openphish-feed.txt \
    phishtank-online-valid.json webshell-paths.txt truth.json; do
    [[ -s $tmp/n/$f ]] || { echo "missing $f"; exit 1; }
done
# The main pair reproduces the statement's numbers scaled by 0.001.
python3 - "$tmp/n/truth.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
assert t["period"] == {"from": "2014-03-19", "to": "2014-03-21"}, t["period"]
assert t["home"] == ["CN"]
b = [r for r in t["botnet"] if (r["src_cc"], r["dst_cc"]) == ("US", "CN")][0]
assert b == {"src_cc": "US", "dst_cc": "CN", "c2_servers": 2, "controlled_hosts": 1180}, b
d = [r for r in t["backdoor"] if (r["src_cc"], r["dst_cc"]) == ("US", "CN")][0]
assert d["backdoor_attacks"] == 57 and d["attacker_ips"] == 2 and d["compromised_websites"] == 2, d
p = [r for r in t["phishing"] if (r["src_cc"], r["dst_cc"]) == ("US", "CN")][0]
assert p["phishing_attacks"] == 14 and p["phishing_hosts"] == 1, p
assert len(t["botnet"]) == 6 and len(t["phishing"]) == 3 and len(t["backdoor"]) == 3
assert sorted(t["days"]) == ["2014-03-19", "2014-03-20", "2014-03-21"]
# Largest first.
hosts = [r["controlled_hosts"] for r in t["botnet"]]
assert hosts == sorted(hosts, reverse=True), hosts
PY
# Every dated feed entry is valid for the whole period: first seen before the
# first day, last seen on the last; the plain lists carry no dates.
python3 - "$tmp/n" <<'PY'
import csv, json, re, sys
d = sys.argv[1]
first, last = "2014-03-19", "2014-03-21"
def rows(name):
    return list(csv.reader((l for l in open(f"{d}/{name}") if not l.startswith("#")),
                           skipinitialspace=True))
feodo = rows("feodo-ipblocklist.csv")
assert feodo and all(r[0][:10] < first and r[4] == last for r in feodo), feodo[:2]
tf = rows("threatfox-domains.csv")
assert tf and all(r[0][:10] < first and r[8][:10] == last for r in tf), tf[:2]
pt = json.load(open(f"{d}/phishtank-online-valid.json"))
assert pt and all(e["submission_time"][:10] < first and e["verification_time"][:10] == last
                  for e in pt), pt[:1]
for plain in ("feodo-ipblocklist.txt", "openphish-feed.txt", "webshell-paths.txt"):
    assert not any(re.search(r"\d{4}-\d\d-\d\d", l) for l in open(f"{d}/{plain}")
                   if not l.startswith("#")), plain
PY
if [[ -n $db ]]; then
    python3 tests/integration/gen-national-truth.py "$tmp/n" "$db"
else
    echo "note: GeoIP database absent; countries taken from the generator's roles"
    python3 tests/integration/gen-national-truth.py "$tmp/n"
fi
