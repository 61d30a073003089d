#!/usr/bin/env bash
# Benign real captures (Zeek browsing/HTTP/DNS/TLS traces, tcpdump DNS tests,
# suricata-verify DNS/TLS tests) analysed with the maltrail static trails
# loaded as intel produce no confirmed event. Suspected events are printed.
set -euo pipefail
D="$TA_SHARED_DATA"
if [[ ! -d "$D/zeek-traces" || ! -d "$D/maltrail-trails" ]]; then echo "shared data absent"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$TA_BIN" intel import --db "$tmp/i.db" "$D/maltrail-trails/trails/static" >/dev/null 2>&1
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
c = [e for e in ev if e["threatatlas"]["confirmed"]]
for e in c:
    print("CONFIRMED", e["threatatlas"]["kind"], e["alert"]["signature"], e["threatatlas"].get("indicator"))
print("note: %s benign captures: %d confirmed events, %d suspected" % (sys.argv[2], len(c), len(ev) - len(c)))
assert int(sys.argv[2]) >= 20 and not c
PY
