#!/usr/bin/env bash
# maltrail sensor corpus (../shared/data/maltrail-sensor-corpus): the test
# trails.csv imported with `threatatlas intel import` (format maltrail-csv),
# `analyze` run on every pcap, and the detections compared with the corpus's
# manifest.json. Every expected detection is classified below: in scope (a
# C&C or phishing indicator match on an IP, IP:port, domain in SNI/Host or
# URL; threatatlas must report an event citing that indicator) or out of
# scope, with the reason. Cases whose manifest expects nothing must give no
# confirmed event; no confirmed event may cite an indicator the case does not
# expect. Agreement counts are printed.
set -euo pipefail
C="$TA_SHARED_DATA/maltrail-sensor-corpus/sensor/tests/corpus"
if [[ ! -f "$C/manifest.json" || ! -f "$C/trails.csv" ]]; then
    echo "maltrail sensor corpus absent ($C)"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The corpus is a test fixture with documentation addresses (RFC 5737): a real
# feed's import refuses them (5 of its trails), this one keeps them.
"$TA_BIN" intel import --db "$tmp/r.db" "$C/trails.csv" >"$tmp/refused" 2>&1 ||
    { cat "$tmp/refused"; exit 1; }
grep -q "format maltrail-csv: 13 accepted, 13 new, 0 updated, 5 rejected, 2 unsupported" \
    "$tmp/refused" || { cat "$tmp/refused"; exit 1; }
grep -q "trails.csv:10: not a public address (documentation, RFC 5737): '203.0.113.44'" \
    "$tmp/refused" || { cat "$tmp/refused"; exit 1; }
"$TA_BIN" intel import --db "$tmp/i.db" --allow-private "$C/trails.csv" >"$tmp/import" 2>&1 ||
    { cat "$tmp/import"; exit 1; }
# 20 trails: 18 loaded, the regular expression and the single label unsupported.
grep -q "format maltrail-csv: 18 accepted, 18 new, 0 updated, 0 rejected, 2 unsupported" \
    "$tmp/import" || { cat "$tmp/import"; exit 1; }
python3 -c 'import json,sys; [print(c["name"], c["pcap"]) for c in json.load(open(sys.argv[1]))]' \
    "$C/manifest.json" >"$tmp/cases"
while read -r name pcap; do
    "$TA_BIN" analyze -r "$C/$pcap" --db "$tmp/i.db" --no-store -o "$tmp/$name.json" \
        2>"$tmp/$name.err" || { echo "analyze failed on $pcap"; cat "$tmp/$name.err"; exit 1; }
done <"$tmp/cases"
python3 - "$C/manifest.json" "$tmp" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
root = sys.argv[2]

# In scope: expected text -> the indicator values an event must cite (any of).
M66 = {"66.66.66.66"}
IN = {
    "duplicate_syn": {"66.66.66.66": M66, "malware (test)": M66},  # the trail's info text
    "ip_trails": {"66.66.66.66": M66, "6.6.6.6:8443": {"6.6.6.6:8443"}},
    "http_trails": {"malicious-login.php": {"/malicious-login.php"},
                    "203.0.113.44": {"203.0.113.44"},
                    "hostcheck.example": {"203.0.113.44"},  # the Host annotating that IP hit
                    "evil-url.example": {"http://evil-url.example/bad/path"}},
    "vlan": {"66.66.66.66": M66},
    "ipv6": {"dead::beef": {"dead::beef", "[dead::beef]:443"}},
    "icmp": {"66.66.66.66": M66, "ICMP": M66},  # the protocol annotating that hit
    "tls_sni": {"tls-evil.example": {"tls-evil.example"}},
    "dlt_raw": {"66.66.66.66": M66},
    "dlt_sll": {"66.66.66.66": M66},
    "pppoe": {"66.66.66.66": M66},
    "ipv4_options": {"66.66.66.66": M66},
    "udp_malware_dst": {"66.66.66.66": M66},
}
LOOKUP = ("DNS lookup only: threatatlas reports C&C when the host contacts the server "
          "(a connection to the address a c2 domain resolved to, or the domain in SNI/Host); "
          "this capture has the query and no answer or connection")
SCAN = "scan heuristic (maltrail's sliding windows); threatatlas claims no scan detection"
OUT = {
    ("ip_trails", "198.51.100.66"): "inbound: the listed address opened the connection to the "
        "monitored host (SYN from 198.51.100.66:31337); a C&C event is a host contacting the server",
    ("port_scan", "potential port scanning"): SCAN,
    ("stealth_scan_null", "potential port scanning"): SCAN,
    ("stealth_scan_fin", "potential port scanning"): SCAN,
    ("stealth_scan_xmas", "potential port scanning"): SCAN,
    ("udp_scan", "potential udp scanning"): SCAN,
    ("infection_scan", "potential infection"): "heuristic: one host to many hosts on an "
        "infection port; not a threatatlas detection",
    ("web_scan", "potential web scanning"): "heuristic: path sweep from one source",
    ("dns_queries", "evil-test-domain.com"): LOOKUP,
    ("dns_queries", "(www).evil-parent.com"): LOOKUP,
    ("dns_queries", "badsite.onion(.to)"): LOOKUP,
    ("dns_queries", "evilname(.ip-adress.com)"): LOOKUP + "; also a single-label trail, which "
        "the loader counts unsupported",
    ("dns_queries", "dga1234.wildcard-test.com"): LOOKUP + "; also a regular-expression trail, "
        "which the loader counts unsupported",
    ("dns_resolver_trail", "198.51.100.53"): "'known attacker' trail (kind scanner): threatatlas "
        "makes C&C/phishing/backdoor events only",
    ("dns_resolver_trail", "whatever.com"): "the query annotating the 'known attacker' hit",
    ("dns_responses", "sinkholed by testsink"): "DNS answer pointing at a sinkhole (kind other): "
        "an annotation, not a C&C contact",
    ("dns_responses", "parked site"): "DNS answer pointing at a parking site (kind other)",
    ("dns_nxdomain_flood", "excessive no such domain"): "DNS heuristic (NXDOMAIN counters)",
    ("dns_dga_labels", "no such domain (suspicious)"): "DNS heuristic (DGA label entropy)",
    ("vlan", "evil-test-domain.com"): LOOKUP,
    ("ipv6", "evil-test-domain.com"): LOOKUP,
    ("repeated_detections", "evil-test-domain.com"): LOOKUP,
    ("cache_expiry", "evil-test-domain.com"): LOOKUP,
    ("dns_same_socket_burst", "evil-test-domain.com"): LOOKUP,
    ("fragments", "66.66.66.66"): "divergence: maltrail inspects a lone first fragment; "
        "threatatlas reassembles IPv4 fragments and analyses whole datagrams only, and this "
        "datagram never completes (middle fragment missing)",
    ("quic_sni", "quic-evil.example"): "QUIC: threatatlas's protocol layer does not decrypt "
        "QUIC Initial packets, so it has no SNI for them",
}
for h in ("potential sql injection", "potential directory traversal",
          "potential remote code execution", "potential xss injection",
          "potential iot-malware download", "potential proxy probe", "direct .exe download",
          "user agent (suspicious)"):
    OUT[("http_heuristics", h)] = "HTTP request heuristic (maltrail's regex battery)"
for h in ("sinkhole response", "content type (suspicious)", "seized domain"):
    OUT[("http_responses", h)] = "HTTP response heuristic"
# No expectation in the manifest, but trails on the wire: the indicators
# threatatlas may cite there (the same trails as ip_trails).
FREE = {"mixed_soup": {"66.66.66.66", "6.6.6.6:8443"}}

rows, fails = [], []
agree = total_in = total_out = silent = silent_cases = 0
for case in manifest:
    name = case["name"]
    ev = [json.loads(l) for l in open("%s/%s.json" % (root, name))]
    # The alert's metadata (string arrays) carries kind, confirmation and indicator.
    md = lambda e, k: (e["alert"]["metadata"].get(k) or [None])[0]
    conf = [e for e in ev if md(e, "confirmed") == "true"]
    cited = {}
    for e in conf:
        cited.setdefault(md(e, "indicator"), []).append(md(e, "threatatlas_kind"))
    want = IN.get(name, {})
    ok_vals = set().union(*want.values()) if want else set()
    ok_vals |= FREE.get(name, set())
    n_in = n_hit = n_out = 0
    for x in case["expect"]:
        if x in want:
            n_in += 1
            if any(v in cited and "c2" in cited[v] for v in want[x]):
                n_hit += 1
            else:
                fails.append("%s: expected '%s' (indicator %s) not reported" %
                             (name, x, "/".join(sorted(want[x]))))
        elif (name, x) in OUT:
            n_out += 1
            print("out of scope: %-20s %-32s %s" % (name, x, OUT[(name, x)]))
        else:
            fails.append("%s: expectation '%s' is not classified in this script" % (name, x))
    for v, kinds in cited.items():
        if v not in ok_vals:
            fails.append("%s: confirmed %s citing %s, which the case does not expect" %
                         (name, ",".join(kinds), v))
    if not case["expect"] and name not in FREE:
        silent_cases += 1
        silent += not conf
    agree += n_hit
    total_in += n_in
    total_out += n_out
    rows.append((name, len(case["expect"]), n_in, n_hit, n_out, len(conf), len(ev) - len(conf)))
print("%-22s %6s %8s %8s %6s %9s %9s" % ("case", "expect", "in-scope", "reported", "out",
                                        "confirmed", "suspected"))
for r in rows:
    print("%-22s %6d %8d %8d %6d %9d %9d" % r)
print("info: maltrail agreement: %d/%d in-scope expected detections reported, %d expected "
      "detections out of scope, %d/%d no-detection cases without a confirmed event" %
      (agree, total_in, total_out, silent, silent_cases))
for f in fails:
    print("FAIL", f)
assert total_in == 18 and total_out == 37 and silent_cases == 7, (total_in, silent_cases)
assert not fails
PY
