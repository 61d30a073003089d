#!/usr/bin/env bash
# analyze on the real Godzilla PHP_XOR_BASE64 lab capture: exactly one backdoor
# event per webshell request (18 Godzilla + 1 Behinder), family named, website
# and attacker as in the capture; IntelMQ output classifies them; nothing else.
set -euo pipefail
cap="$TA_SHARED_DATA/n3tfl0w-webshell-traffic/demoTraffic/PHP_XOR_BASE64.pcap"
if [[ ! -f "$cap" ]]; then echo "shared data absent: $cap"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$TA_BIN" analyze -r "$cap" --db "$tmp/a.db" --no-intel --home CN -o "$tmp/eve.json" 2>"$tmp/err"
python3 - "$tmp/eve.json" <<'PY'
import json, sys, collections
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = collections.Counter((e["threatatlas"]["kind"], e["threatatlas"].get("family")) for e in ev)
assert kinds == {("backdoor", "godzilla"): 18, ("backdoor", "behinder"): 1}, kinds
for e in ev:
    t = e["threatatlas"]
    assert e["event_type"] == "alert" and e["alert"]["severity"] == 1
    assert t["attacker"]["ip"] == "172.17.0.1" and t["victim"]["ip"] == "172.17.0.2", t
    want = "127.0.0.1" if t["family"] == "godzilla" else "localhost"  # Host headers as sent
    assert t["website"] == want, t["website"]
    assert t["evidence"]["url"] in ("/godzilla_1.php", "/behinder.php")
    assert t["evidence"]["body_b64"]
urls = collections.Counter(e["threatatlas"]["evidence"]["url"] for e in ev)
assert urls == {"/godzilla_1.php": 18, "/behinder.php": 1}, urls
# Identity: on each of the 11 connections the requests are numbered 0, 1, ... and share
# the connection's start, which precedes them; every connection was established.
byflow = collections.defaultdict(list)
for e in ev:
    t = e["threatatlas"]
    assert t["established"] is True and t["undated"] is False and "suppressed_by" not in t, t
    assert t["flow_start"] <= e["timestamp"], (t["flow_start"], e["timestamp"])
    byflow[(e["flow_id"], t["flow_start"])].append(t["tx_index"])
assert len(byflow) == 11, len(byflow)
assert sorted(len(v) for v in byflow.values()) == [1] * 6 + [2] * 3 + [3, 4], byflow
for v in byflow.values():
    assert sorted(v) == list(range(len(v))), v
print("note: godzilla capture: %d backdoor events (18 godzilla, 1 behinder)" % len(ev))
PY
"$TA_BIN" analyze -r "$cap" --no-intel --format intelmq -o "$tmp/im.json" 2>/dev/null
python3 - "$tmp/im.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 19
for e in ev:
    assert e["classification.taxonomy"] == "intrusions"
    assert e["classification.type"] == "system-compromise"
    assert e["source.ip"] == "172.17.0.2" and e["destination.ip"] == "172.17.0.1"
PY
