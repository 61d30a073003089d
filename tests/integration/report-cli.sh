#!/usr/bin/env bash
# threatatlas report / events: option and date errors (one line, non-zero
# exit), empty and newer-schema databases, and every format on a synthetic
# database whose counts are recomputed here independently from the raw
# events (Python over store_event, following docs/design/counting.md).
set -uo pipefail
BIN=${TA_BIN:?}
FILL=${TA_BUILD:?}/bench/bench-report
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
[[ -x "$FILL" ]] || { echo "bench-report not built ($FILL)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_err EXIT PATTERN args...: exit code, exactly one stderr line matching.
expect_err() {
    local want=$1 pat=$2
    shift 2
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [[ $rc -eq $want ]] || fail "'$*' exited $rc, want $want"
    [[ $(wc -l <"$T/err") -eq 1 ]] || fail "'$*' wrote $(wc -l <"$T/err") stderr lines: $(cat "$T/err")"
    grep -qE -- "$pat" "$T/err" || fail "'$*' stderr '$(cat "$T/err")' lacks '$pat'"
    [[ ! -s "$T/out" ]] || fail "'$*' wrote to stdout on error"
}

"$FILL" --events 4000 --days 5 --db "$T/a.db" --keep >/dev/null || { echo "FAIL: fill"; exit 1; }
R=(report --db "$T/a.db" --from 2014-03-19 --to 2014-03-23)

expect_err 2 'report: --db FILE is required' report --from 2014-03-19 --to 2014-03-20
expect_err 2 'report: --from and --to are required' report --db "$T/a.db"
expect_err 2 "invalid --from date '2014-13-01'" report --db "$T/a.db" --from 2014-13-01 --to 2014-03-20
expect_err 2 "invalid --to date 'tomorrow'" report --db "$T/a.db" --from 2014-03-19 --to tomorrow
expect_err 2 'is after --to' report --db "$T/a.db" --from 2014-03-20 --to 2014-03-19
expect_err 2 "invalid --src-cc 'USA'" "${R[@]}" --src-cc USA
expect_err 2 "invalid --dst-cc '1'" "${R[@]}" --dst-cc 1
expect_err 2 "invalid --format 'xml'" "${R[@]}" --format xml
expect_err 2 "invalid --list 'servers'" "${R[@]}" --list servers
expect_err 2 'limit only applies to --list' "${R[@]}" --limit 3
expect_err 2 "limit: '-1' is not a number" "${R[@]}" --list c2-servers --limit -1
expect_err 2 "limit: 0 is out of range" "${R[@]}" --list c2-servers --limit 0
expect_err 2 "unknown option '--bogus'" "${R[@]}" --bogus
expect_err 2 "option '--format' needs a value" "${R[@]}" --format
expect_err 2 "unexpected argument 'extra'" "${R[@]}" extra
expect_err 1 'cannot open database' report --db "$T/missing.db" --from 2014-03-19 --to 2014-03-20
expect_err 2 "invalid --type 'dns'" events --db "$T/a.db" --type dns
expect_err 2 "invalid --since date '19/03/2014'" events --db "$T/a.db" --since 19/03/2014
expect_err 2 "invalid --format 'json'" events --db "$T/a.db" --format json
expect_err 1 'cannot open database' events --db "$T/missing.db"

# A file that is not a threatatlas database (here empty) is an error, and stays as it was.
: >"$T/zero.db"
expect_err 1 'not a threatatlas database' report --db "$T/zero.db" --from 2014-03-19 --to 2014-03-20
[[ ! -s "$T/zero.db" ]] || fail "report wrote into an empty file"
# A threatatlas database with indicators but no analysis: says so; JSON keeps its shape.
echo 45.9.74.78 >"$T/one.txt"
"$BIN" intel import --db "$T/empty.db" --kind c2 "$T/one.txt" >/dev/null 2>&1 || fail "import one"
out=$("$BIN" report --db "$T/empty.db" --from 2014-03-19 --to 2014-03-20) || fail "empty db exit"
[[ "$out" == "No data: the database holds no analysis." ]] || fail "empty db text: $out"
"$BIN" report --db "$T/empty.db" --from 2014-03-19 --to 2014-03-20 --format json >"$T/e.json" ||
    fail "empty db json exit"
python3 - "$T/e.json" <<'EOF' || fail "empty db json shape"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["period"] == {"from": "2014-03-19", "to": "2014-03-20"}, j
assert j["botnet"] == [] and j["phishing"] == [] and j["backdoor"] == [] and j["home"] == [], j
assert j["payload"] == [] and j["suppressed"] == {} and j["data"]["sensors"] == [] and j["data"]["notes"] == [], j
EOF
# A period without data.
out=$("$BIN" report --db "$T/a.db" --from 2015-01-01 --to 2015-01-31) || fail "no-data period exit"
[[ "$out" == "No detections from 2015-01-01 to 2015-01-31."* ]] || fail "no-data period: $out"

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

# Lists.
"$BIN" "${R[@]}" --list c2-servers --limit 3 >"$T/l.txt" || fail "list exit"
[[ $(wc -l <"$T/l.txt") -eq 4 ]] || fail "list --limit 3: $(wc -l <"$T/l.txt") lines"
head -1 "$T/l.txt" | grep -q $'^ip\tcc\tasn' || fail "list header: $(head -1 "$T/l.txt")"
for l in controlled-hosts phishing-hosts phishing-pages backdoor-sources backdoored-sites; do
    "$BIN" "${R[@]}" --list "$l" --format json --limit 5 >"$T/l.json" || fail "list $l exit"
    python3 -c "import json,sys; a=json.load(open(sys.argv[1])); assert 1 <= len(a) <= 5, len(a)" \
        "$T/l.json" || fail "list $l json"
done

# Events export.
n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from store_event').fetchone()[0])" "$T/a.db")
lines=$("$BIN" events --db "$T/a.db" --format csv | wc -l)
[[ $lines -eq $((n + 1)) ]] || fail "events csv: $lines lines for $n events"
"$BIN" events --db "$T/a.db" --type phishing --since 2014-03-22 >"$T/ev.json" || fail "events eve exit"
python3 - "$T/ev.json" <<'EOF' || fail "events eve content"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines, "no phishing events"
assert all(l["event_type"] == "alert" and
           l["alert"]["metadata"]["threatatlas_kind"][0].startswith("phishing") for l in lines)
assert all(l["timestamp"] >= "2014-03-22" for l in lines)
EOF
"$BIN" events --db "$T/a.db" --type backdoor --format intelmq >"$T/im.json" || fail "intelmq exit"
head -1 "$T/im.json" |
    python3 -c "import json,sys; j=json.load(sys.stdin); assert j['classification.type']=='system-compromise'" ||
    fail "events intelmq"

# A database from a newer threatatlas is refused with a clear message.
cp "$T/a.db" "$T/new.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value='9' where key='schema.store'\"); c.commit()" "$T/new.db"
expect_err 1 'store schema version 9 is newer than this threatatlas supports' \
    report --db "$T/new.db" --from 2014-03-19 --to 2014-03-20

[[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
echo "info: report/events CLI checked against counts recomputed from raw events"
exit 0
