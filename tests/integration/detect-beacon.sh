#!/usr/bin/env bash
# Beaconing precision and recall on generated traffic: threatatlas-gen's
# `beacon` scenario (bots beaconing to C&C servers with 0-30 % jitter next to
# update polls, NTP, DNS and browsing; no indicators anywhere) analysed with
# no intel. Every c2-suspected alert is matched to truth-beacon.json by
# (host, server, port); precision and recall must stay above the floors, and
# no confirmed event may appear (there is nothing to confirm against). The
# keep-alive beacon (one connection, 40 requests, 20 % jitter) must be found by
# the timing of its requests inside the connection, and so must its twin over
# one TLS connection (no HTTP visible: the timing of the client's records).
set -euo pipefail
if ! "$TA_GEN" --help | grep -q '^  beacon'; then echo "threatatlas-gen has no beacon scenario"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for seed in 7 11; do
    "$TA_GEN" --scenario beacon --out "$tmp/s$seed" --seed "$seed" --quiet
    "$TA_BIN" analyze -r "$tmp/s$seed/beacon.pcap" --no-intel \
        -o "$tmp/s$seed/ev.json" 2>"$tmp/s$seed/err" || { cat "$tmp/s$seed/err"; exit 1; }
done
python3 - "$tmp" <<'PY'
import json, sys
root = sys.argv[1]
TP = FP = FN = 0
for seed in (7, 11):
    d = "%s/s%d" % (root, seed)
    truth = json.load(open(d + "/truth-beacon.json"))
    pos = {(b["host"], b["server"], b["port"]): b for b in truth["beacon"]}
    ben = {(b["host"], b["server"], b["port"]): b["what"] for b in truth["benign"]}
    assert len(pos) >= 8 and len(ben) >= 300, (len(pos), len(ben))
    assert 20000 <= truth["packets"] <= 120000, truth["packets"]
    ev = [json.loads(l) for l in open(d + "/ev.json")]
    md = lambda e, k: (e["alert"]["metadata"].get(k) or [None])[0]
    confirmed = [e for e in ev if md(e, "confirmed") == "true"]
    for e in confirmed:
        print("CONFIRMED", md(e, "threatatlas_kind"), e["alert"]["signature"], e["dest_ip"])
    assert not confirmed, "confirmed events without any indicator"
    got = set()
    sig = {}
    for e in ev:
        if md(e, "threatatlas_kind") != "c2-suspected":
            continue
        k = (e["src_ip"], e["dest_ip"], e["dest_port"])
        assert k not in got, ("c2-suspected twice for a pair", k)
        got.add(k)
        sig[k] = (e["alert"]["signature_id"], e["alert"]["signature"])
        if k not in pos:
            print("FP seed %d: %s -> %s:%d (%s) %s" % (seed, k[0], k[1], k[2],
                  ben.get(k, "not in truth"), e["alert"]["signature"]))
    # The keep-alive beacon (one connection, 40 requests, 20 % jitter) is found by the
    # timing of its requests.
    for chan in ("http-keepalive", "tls-keepalive"):
        ka = [k for k, b in pos.items() if b["channel"] == chan]
        assert len(ka) == 1 and pos[ka[0]]["requests"] == 40 and pos[ka[0]]["jitter"] == 0.2, ka
        assert ka[0] in got, (chan + " beacon missed", ka[0])
        assert sig[ka[0]][0] == 9101015 and "40 requests" in sig[ka[0]][1], sig[ka[0]]
    for k in sorted(set(pos) - got):
        b = pos[k]
        print("FN seed %d: %s -> %s:%d %s period %d s jitter %.2f (%s), %d connections" % (
            seed, k[0], k[1], k[2], b["channel"], b["period_s"], b["jitter"], b["jitter_style"],
            b["connections"]))
    tp, fp, fn = len(got & set(pos)), len(got - set(pos)), len(set(pos) - got)
    print("note: seed %d: %d packets, %d beacon pairs, %d benign pairs, %d suspected events" % (
        seed, truth["packets"], len(pos), len(ben), len(ev)))
    TP, FP, FN = TP + tp, FP + fp, FN + fn
P = TP / (TP + FP) if TP + FP else 0.0
R = TP / (TP + FN) if TP + FN else 0.0
print("info: c2-suspected precision %.3f recall %.3f (%d/%d/%d)" % (P, R, TP, FP, FN))
assert P >= 0.9, "precision below 0.9"
assert R >= 0.8, "recall below 0.8"
PY
