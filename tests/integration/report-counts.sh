#!/usr/bin/env bash
# threatatlas report: every format on a synthetic database (bench-report's
# fill) whose counts are recomputed here independently from the raw events
# (Python over store_event, following docs/design/counting.md), and CSV and
# text agreeing with JSON. Errors, empty databases, lists and exports are the
# case tests/integration/report-cli/.
set -uo pipefail
BIN=${TA_BIN:?}
FILL=${TA_BUILD:?}/bench/bench-report
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
[[ -x "$FILL" ]] || { echo "bench-report not built ($FILL)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$FILL" --events 4000 --days 5 --db "$T/a.db" --keep >/dev/null || { echo "FAIL: fill"; exit 1; }
R=(report --db "$T/a.db" --from 2014-03-19 --to 2014-03-23)

# Counts recomputed from the raw events, whole period and a cut, with filters.
check_counts() {
    local from=$1 to=$2 src=${3:-} dst=${4:-}
    local args=(report --db "$T/a.db" --from "$from" --to "$to" --format json)
    [[ -n "$src" ]] && args+=(--src-cc "$src")
    [[ -n "$dst" ]] && args+=(--dst-cc "$dst")
    "$BIN" "${args[@]}" >"$T/r.json" || { fail "report $from $to $src $dst exit"; return; }
    python3 - "$T/a.db" "$T/r.json" "$from" "$to" "$src" "$dst" <<'EOF' || fail "counts $from..$to src=$src dst=$dst"
import json, sqlite3, sys, datetime
db, rep, frm, to, src, dst = sys.argv[1:7]
day = lambda s: (datetime.date.fromisoformat(s) - datetime.date(1970, 1, 1)).days
d0, d1 = day(frm), day(to)
con = sqlite3.connect(db)
rows = con.execute("SELECT kind, a_cc, v_cc, a_ip, v_ip, day, flow_id, id, item, established,"
                   " undated, suppressed_by, a_port, v_port, proto, fs FROM store_event"
                   " WHERE day BETWEEN ? AND ?", (d0, d1)).fetchall()
rows = [r for r in rows if (not src or r[1] == src) and (not dst or r[2] == dst)]
supp = {}
for r in rows:
    if r[11] is not None:
        k = ["c2", "c2-suspected", "phishing", "phishing-suspected", "backdoor",
             "backdoor-suspected", "payload"][r[0]]
        supp.setdefault(k, {}).setdefault(r[11], 0)
        supp[k][r[11]] += 1
rows = [r for r in rows if r[11] is None]  # suppressed events are never counted
def pairs(kind):
    out = {}
    for r in rows:
        if r[0] == kind:
            out.setdefault((r[1], r[2]), []).append(r)
    return out
# A phishing visit is a flow (endpoints, proto, flow start), dated by its first event.
flow = lambda r: (r[0], r[1], r[2], r[3], r[12], r[4], r[13], r[14], r[15])
first = {}
for r in con.execute("SELECT kind, a_cc, v_cc, a_ip, a_port, v_ip, v_port, proto, fs, MIN(day)"
                     " FROM store_event WHERE kind IN (2, 3) AND suppressed_by IS NULL"
                     " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"):
    first[r[:9]] = r[9]
want = {"botnet": [], "phishing": [], "backdoor": [], "payload": []}
for (s, d), rs in pairs(0).items():
    servers = {r[3] for r in rs}
    want["botnet"].append({"src_cc": s, "dst_cc": d, "c2_servers": len(servers),
                           "controlled_hosts": len({r[4] for r in rs}),
                           "controlled_hosts_established": len({r[4] for r in rs if r[9]}),
                           "c2_servers_undated": len(servers - {r[3] for r in rs if not r[10]})})
for (s, d), rs in pairs(2).items():
    visits = {flow(r) for r in rs if d0 <= first[flow(r)] <= d1}
    want["phishing"].append({"src_cc": s, "dst_cc": d, "phishing_hosts": len({r[3] for r in rs}),
                             "phishing_pages": len({r[8] for r in rs}),
                             "phishing_attacks": len(visits)})
for (s, d), rs in pairs(4).items():
    want["backdoor"].append({"src_cc": s, "dst_cc": d, "attacker_ips": len({r[3] for r in rs}),
                             "backdoor_attacks": len(rs),
                             "compromised_websites": len({r[8] for r in rs})})
for (s, d), rs in pairs(6).items():
    want["payload"].append({"src_cc": s, "dst_cc": d, "payload_hosts": len({r[3] for r in rs}),
                            "downloading_hosts": len({r[4] for r in rs}), "downloads": len(rs)})
got = json.load(open(rep))
key = lambda x: (x["src_cc"], x["dst_cc"])
for sec in want:
    g, w = sorted(got[sec], key=key), sorted(want[sec], key=key)
    if g != w:
        print(sec, "got", g[:3], "want", w[:3], len(g), len(w))
        sys.exit(1)
    if not w:
        continue
assert sum(len(v) for v in want.values()) > 0 or src or dst, "no data to check"
assert got["suppressed"] == supp, (got["suppressed"], supp)
if not src and not dst:
    assert want["payload"] and supp and any(b["c2_servers_undated"] for b in want["botnet"]), "fill lacks new kinds"
assert got["home"] == ["CN"], got["home"]
EOF
}
check_counts 2014-03-19 2014-03-23
check_counts 2014-03-20 2014-03-21
check_counts 2014-03-19 2014-03-23 US
check_counts 2014-03-21 2014-03-23 "" CN

# CSV and text agree with JSON.
"$BIN" "${R[@]}" --format json >"$T/r.json" || fail "json exit"
"$BIN" "${R[@]}" --format csv >"$T/r.csv" || fail "csv exit"
"$BIN" "${R[@]}" >"$T/r.txt" || fail "text exit"
python3 - "$T/r.json" "$T/r.csv" "$T/r.txt" <<'EOF' || fail "formats disagree"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
conf = [r for r in rows if r["status"] == "confirmed"]
assert len(conf) == len(j["botnet"]) + len(j["phishing"]) + len(j["backdoor"]) + len(j["payload"]), "row count"
for b in j["botnet"]:
    m = [r for r in conf if r["section"] == "botnet" and r["src_cc"] == b["src_cc"] and r["dst_cc"] == b["dst_cc"]]
    assert len(m) == 1 and int(m[0]["c2_servers"]) == b["c2_servers"] and int(m[0]["controlled_hosts"]) == b["controlled_hosts"], b
    assert int(m[0]["controlled_hosts_established"]) == b["controlled_hosts_established"], b
    assert int(m[0]["c2_servers_undated"]) == b["c2_servers_undated"], b
for p in j["payload"]:
    m = [r for r in conf if r["section"] == "payload" and r["src_cc"] == p["src_cc"] and r["dst_cc"] == p["dst_cc"]]
    assert len(m) == 1 and int(m[0]["downloads"]) == p["downloads"] and int(m[0]["payload_hosts"]) == p["payload_hosts"], p
text = open(sys.argv[3]).read()
top = max(j["botnet"], key=lambda b: b["controlled_hosts"])
want = "{:,} trojan or botnet control server".format(top["c2_servers"])
assert want in text, want
assert "IP geolocation: ip-location-db (CC BY 4.0)" in text
assert "Home constituency: CN" in text
assert "Malware downloads (not C&C): " in text
n = sum(sum(v.values()) for v in j["suppressed"].values())
assert "Suppressed by allow lists, not counted: " in text and "by bench-allow" in text, n
assert "Period: 2014-03-19 to 2014-03-23 (UTC, both days included)" in text
EOF

[[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
echo "info: report counts checked against counts recomputed from raw events, CSV and text against JSON"
exit 0
