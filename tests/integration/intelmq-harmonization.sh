#!/usr/bin/env bash
# IntelMQ output against IntelMQ's own harmonization.conf (intelmq-check.py,
# python3-jsonschema): every key known, every value valid for its type, the
# taxonomy/type pairs IntelMQ defines. On analyze's IntelMQ output for the
# real Godzilla webshell capture and for a generated national scenario (C&C,
# phishing, backdoor and payload events), and on `events --format intelmq`.
set -euo pipefail
H="$TA_SHARED_DATA/intelmq-feed-samples/intelmq/etc/harmonization.conf"
CAP="$TA_SHARED_DATA/n3tfl0w-webshell-traffic/demoTraffic/PHP_XOR_BASE64.pcap"
[[ -f $H ]] || { echo "IntelMQ harmonization.conf absent ($H)"; exit 77; }
[[ -f $CAP ]] || { echo "Godzilla capture absent ($CAP)"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "python3-jsonschema missing"; exit 77; }
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
BIN=$REL/threatatlas
GEN=$REL/threatatlas-gen
[[ -x $BIN && -x $GEN ]] || { echo "release build missing ($REL)"; exit 77; }
CHECK="python3 $(dirname "$0")/intelmq-check.py $H"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The checker itself refuses what IntelMQ refuses.
cat >"$t/bad.json" <<'J'
{"classification.taxonomy":"intrusions","classification.type":"c2-server","time.source":"2014-03-19T08:01:02+00:00"}
{"classification.taxonomy":"malicious-code","classification.type":"c2-server","time.source":"2014-03-19T08:01:02.5+0000"}
{"classification.taxonomy":"fraud","classification.type":"phishing","time.source":"2014-03-19T08:01:02+00:00","source.fqdn":"10.1.2.3"}
{"classification.taxonomy":"fraud","classification.type":"phishing","time.source":"2014-03-19T08:01:02+00:00","source.url":"evil.example"}
{"classification.taxonomy":"malicious-code","classification.type":"c2-server","time.source":"2014-03-19T08:01:02+00:00","malware.name":"Emotet"}
{"classification.taxonomy":"malicious-code","classification.type":"c2-server","time.source":"2014-03-19T08:01:02+00:00","feed.accuracy":101}
{"classification.taxonomy":"malicious-code","classification.type":"c2-server","time.source":"2014-03-19T08:01:02+00:00","source.hostname":"x"}
J
out=$($CHECK "$t/bad.json" || true)
[[ $(grep -c '^/' <<<"$out") -eq 7 ]] || fail "checker found $(grep -c '^/' <<<"$out") of 7 problems: $out"
grep -q "not an IntelMQ pair" <<<"$out" || fail "checker missed a taxonomy/type pair"

# The real capture: 19 backdoor events, attacker as the source.
"$BIN" analyze -r "$CAP" --no-intel --format intelmq -o "$t/godzilla.json" 2>/dev/null
$CHECK "$t/godzilla.json" || fail "godzilla events"
[[ $(wc -l <"$t/godzilla.json") -eq 19 ]] || fail "godzilla: $(wc -l <"$t/godzilla.json") events"

# The maltrail sensor corpus's real captures with its trails (C&C and
# phishing by IP, IP:port, domain and URL; documentation addresses kept).
MC="$TA_SHARED_DATA/maltrail-sensor-corpus/sensor/tests/corpus"
[[ -f $MC/trails.csv ]] || { echo "maltrail sensor corpus absent ($MC)"; exit 77; }
"$BIN" intel import --db "$t/mt.db" --allow-private "$MC/trails.csv" >/dev/null 2>&1
for p in "$MC"/*.pcap; do
    "$BIN" analyze -r "$p" --db "$t/mt.db" --no-store --format intelmq -o - 2>/dev/null
done >"$t/maltrail.json"
$CHECK "$t/maltrail.json" || fail "maltrail corpus events"
[[ $(grep -c '"classification.type":"c2-server"' "$t/maltrail.json") -gt 0 ]] || fail "no C&C event"

# A generated national scenario, one day, through the store and `events`.
"$GEN" --scenario national --scale 0.005 --from 2014-03-19 --to 2014-03-19 --seed 5 \
    --out "$t/s" --quiet
db=$t/a.db
"$BIN" intel import --db "$db" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$db" --kind webshell --source gen-webshell-paths \
    "$t/s/webshell-paths.txt" >/dev/null
args=()
for p in "$t"/s/pcap/*.pcap; do args+=(-r "$p"); done
"$BIN" analyze "${args[@]}" --db "$db" --home CN --format intelmq -o "$t/national.json" 2>/dev/null
"$BIN" events --db "$db" --format intelmq >"$t/events.json"
$CHECK "$t/national.json" "$t/events.json" || fail "national events"
python3 - "$t/national.json" <<'PY' || fail "national event kinds"
import collections, json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
types = collections.Counter(e["classification.type"] for e in ev)
for want in ("c2-server", "phishing", "system-compromise"):
    assert types[want] > 0, (want, types)
for e in ev:
    assert e["extra.source_is_attacker"] is True
    assert "extra.confidence" in e and e["feed.accuracy"] == 100
    if e["classification.type"] == "phishing":
        assert e["source.url"].startswith(("http://", "https://")), e
    if e["classification.type"] == "system-compromise":
        assert "source.fqdn" not in e, e
print("note: national: %d IntelMQ events, %s" % (len(ev), dict(sorted(types.items()))))
PY
