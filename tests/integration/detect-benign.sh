#!/usr/bin/env bash
# Benign real captures (Zeek browsing/HTTP/DNS/TLS traces, tcpdump DNS tests,
# suricata-verify DNS/TLS tests) analysed with the whole maltrail checkout and
# the whole MISP warninglists folder loaded as intel (one import command each,
# as a user types it) produce no counted event: no confirmed event that an
# allow list did not suppress. Suspected and suppressed events are printed.
set -euo pipefail
D="$TA_SHARED_DATA"
for d in zeek-traces maltrail-trails misp-warninglists; do
    [[ -d "$D/$d" ]] || { echo "shared data absent ($d)"; exit 77; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$TA_BIN" intel import --db "$tmp/i.db" "$D/maltrail-trails" >/dev/null 2>"$tmp/imp.err"
"$TA_BIN" intel import --db "$tmp/i.db" "$D/misp-warninglists" >/dev/null 2>>"$tmp/imp.err"
Z="$D/zeek-traces/testing/btest/Traces"
caps=("$Z/workshop_2011_browse.pcap" "$Z/wikipedia.pcap" "$Z/web.pcap" "$Z/http/post.pcap"
      "$Z/http/get.pcap" "$Z/http/multipart-form-data.pcap" "$Z/http/proxy.pcap"
      "$Z/dns-edns-ecs.pcap" "$Z/dns/dns-binds.pcap" "$Z/tls/tls-conn-with-extensions.pcap"
      "$Z/tls/chrome-34-google.pcap" "$Z/tls/tls13-ech.pcap")
for f in "$D"/tcpdump-dns/tests/*.pcap "$D"/suricata-verify/tests/dns/*/input.pcap \
         "$D"/suricata-verify/tests/tls/*/input.pcap; do caps+=("$f"); done
args=()
for c in "${caps[@]}"; do [[ -f "$c" ]] && args+=(-r "$c"); done
n=$((${#args[@]} / 2))
"$TA_BIN" analyze "${args[@]}" --db "$tmp/i.db" --no-store -o "$tmp/ev.json" 2>"$tmp/err" ||
    { cat "$tmp/err"; exit 1; }
python3 - "$tmp/ev.json" "$n" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
conf = [e for e in ev if e["threatatlas"]["confirmed"]]
c = [e for e in conf if not e["threatatlas"].get("suppressed_by")]
sup = [e for e in conf if e["threatatlas"].get("suppressed_by")]
for e in c:
    print("CONFIRMED", e["threatatlas"]["kind"], e["alert"]["signature"], e["threatatlas"].get("indicator"))
for e in sup:
    print("note: suppressed by %s: %s %s" % (e["threatatlas"]["suppressed_by"], e["threatatlas"]["kind"],
                                            e["threatatlas"].get("indicator")))
print("note: %s benign captures: %d counted events, %d suppressed, %d suspected" % (
    sys.argv[2], len(c), len(sup), len(ev) - len(conf)))
assert int(sys.argv[2]) >= 20 and not c
PY
