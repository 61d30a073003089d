#!/usr/bin/env bash
# threatatlas merge: two sensors with overlapping captures (the second one 2 ms
# late on the shared day) analyse into databases of their own; merging them
# gives byte for byte the JSON report (period, each day, a country filter,
# the evidence lists) of both analyses written into one database, and the same
# runs, sensors and events. Merging again adds nothing; the other order gives
# the same counts; a bad, foreign or missing input, or the output itself as an
# input, leaves the output as it was (one error line, exit 1), and an output
# that did not exist is not left behind.
#
# The analyses run the release build (about 180 MB of packets); the merges run
# the build under test ($TA_BIN). Needs the pinned GeoIP data and editcap.
set -euo pipefail
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
BIN=$REL/threatatlas
GEN=$REL/threatatlas-gen
M=${TA_BIN:-$BIN}
[[ -x $BIN && -x $GEN ]] || { echo "release build missing ($REL)"; exit 77; }
if ! "$BIN" geo info >/dev/null 2>&1; then
    echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77
fi
command -v editcap >/dev/null || { echo "editcap missing (wireshark-common)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
FROM=2014-03-19 TO=2014-03-23
"$GEN" --scenario national --scale 0.01 --from $FROM --to $TO --seed 11 --out "$t/s" --quiet
intel=$t/intel.db
"$BIN" intel import --db "$intel" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$intel" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$intel" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null

# Sensor a sees days 1-3, sensor b days 3-5, 2 ms late: day 3 is seen by both.
p=("$t"/s/pcap/*.pcap)
[[ ${#p[@]} -eq 5 ]] || { echo "expected 5 daily captures, got ${#p[@]}"; exit 1; }
mkdir "$t/b"
for i in 2 3 4; do editcap -t 0.002 "${p[$i]}" "$t/b/$(basename "${p[$i]}")"; done
a_args=(-r "${p[0]}" -r "${p[1]}" -r "${p[2]}")
b_args=()
for f in "$t"/b/*.pcap; do b_args+=(-r "$f"); done
an() { "$BIN" analyze "$@" --home CN -o /dev/null 2>/dev/null; }
cp "$intel" "$t/a.db"
cp "$intel" "$t/b.db"
cp "$intel" "$t/ref.db"
an "${a_args[@]}" --db "$t/a.db" --sensor tap-a
an "${b_args[@]}" --db "$t/b.db" --sensor tap-b
# The reference: both sensors' analyses written into one database.
an "${a_args[@]}" --db "$t/ref.db" --sensor tap-a
an "${b_args[@]}" --db "$t/ref.db" --sensor tap-b
known=$(sqlite3 "$t/ref.db" "SELECT n_known FROM store_run WHERE sensor = 'tap-b'")
[[ $known -gt 0 ]] || { echo "FAIL: the overlap gave no event seen by both sensors"; exit 1; }

"$M" merge "$t/m.db" "$t/a.db" "$t/b.db" 2>"$t/merge.err"
grep -q "2 run(s) merged, 0 already there; .* $known already known from other runs" "$t/merge.err" ||
    { echo "FAIL: merge stats: $(cat "$t/merge.err")"; exit 1; }

reports() { # db out-dir: every report compared below
    mkdir -p "$2"
    "$BIN" report --db "$1" --from $FROM --to $TO --format json >"$2/period.json"
    for d in 19 20 21 22 23; do
        "$BIN" report --db "$1" --from 2014-03-$d --to 2014-03-$d --format json >"$2/day$d.json"
    done
    "$BIN" report --db "$1" --from $FROM --to $TO --src-cc US --dst-cc CN --format json >"$2/us-cn.json"
    for l in c2-servers controlled-hosts phishing-hosts phishing-pages backdoor-sources backdoored-sites; do
        "$BIN" report --db "$1" --from $FROM --to $TO --list $l --format json >"$2/$l.json"
    done
    "$BIN" events --db "$1" --format csv >"$2/events.csv"
    "$BIN" runs list --db "$1" --format json |
        python3 -c "import json,sys; l = json.load(sys.stdin); [r.pop(k) for r in l for k in ('started','finished','pid','last_commit')]; print(json.dumps(l))" >"$2/runs.json"
}
reports "$t/ref.db" "$t/r-ref"
reports "$t/m.db" "$t/r-m"
diff -r "$t/r-ref" "$t/r-m" >"$t/diff" || { echo "FAIL: merged database differs from one combined pass"; head -20 "$t/diff"; exit 1; }
python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['data']; assert d['sensors'] == ['tap-a', 'tap-b'] and d['runs'] == 2, d" "$t/r-m/period.json" ||
    { echo "FAIL: sensors or runs of the merged report"; exit 1; }
n_ref=$(wc -l <"$t/r-ref/events.csv")
[[ $n_ref -gt 1000 ]] || { echo "FAIL: only $n_ref events"; exit 1; }

# Merging the same inputs again: nothing changes.
sum0=$(sqlite3 "$t/m.db" "SELECT COUNT(*), SUM(nruns) FROM store_event; SELECT COUNT(*) FROM store_sighting")
"$M" merge "$t/m.db" "$t/a.db" "$t/b.db" 2>"$t/merge2.err"
grep -q "0 run(s) merged, 2 already there; 0 events" "$t/merge2.err" ||
    { echo "FAIL: second merge: $(cat "$t/merge2.err")"; exit 1; }
reports "$t/m.db" "$t/r-m2"
diff -r "$t/r-ref" "$t/r-m2" >/dev/null || { echo "FAIL: merging twice changed the reports"; exit 1; }
[[ $(sqlite3 "$t/m.db" "SELECT COUNT(*), SUM(nruns) FROM store_event; SELECT COUNT(*) FROM store_sighting") == "$sum0" ]] ||
    { echo "FAIL: merging twice changed the stored events or sightings"; exit 1; }
# One input already merged into a third database, then both: the same again.
"$M" merge "$t/m3.db" "$t/b.db" 2>/dev/null
"$M" merge "$t/m3.db" "$t/a.db" "$t/b.db" 2>"$t/merge3.err"
grep -q "1 run(s) merged, 1 already there" "$t/merge3.err" || { echo "FAIL: $(cat "$t/merge3.err")"; exit 1; }
# b was stored first there, so the evidence lists keep b's copies (2 ms later);
# the counts are those of the combined pass.
sections() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('data'); print(json.dumps(d,sort_keys=True))" "$1"; }
"$BIN" report --db "$t/m3.db" --from $FROM --to $TO --format json >"$t/m3.json"
cmp -s <(sections "$t/r-ref/period.json") <(sections "$t/m3.json") ||
    { echo "FAIL: merge in the other order gives other counts"; exit 1; }
[[ $("$BIN" events --db "$t/m3.db" --format csv | wc -l) -eq $n_ref ]] ||
    { echo "FAIL: merge in the other order stored another number of events"; exit 1; }

# Bad inputs: the output stays as it was, one error line, exit 1.
echo "not a database" >"$t/garbage.db"
sqlite3 "$t/foreign.db" "CREATE TABLE t(a); INSERT INTO t VALUES(1);"
sum=$(sha256sum <"$t/m.db")
for bad in "$t/garbage.db" "$t/foreign.db" "$intel" "$t/m.db" "$t/missing.db"; do
    rc=0
    "$M" merge "$t/m.db" "$t/a.db" "$bad" 2>"$t/bad.err" || rc=$?
    [[ $rc -eq 1 ]] || { echo "FAIL: merge with $(basename "$bad"): exit $rc, expected 1"; exit 1; }
    [[ $(wc -l <"$t/bad.err") -eq 1 ]] && grep -q "^threatatlas: merge: .*$(basename "$bad")" "$t/bad.err" ||
        { echo "FAIL: merge with $(basename "$bad"): $(cat "$t/bad.err")"; exit 1; }
    [[ $(sha256sum <"$t/m.db") == "$sum" ]] || { echo "FAIL: merge with $(basename "$bad") changed the output"; exit 1; }
done
rc=0
"$M" merge "$t/new.db" "$t/a.db" "$t/garbage.db" 2>/dev/null || rc=$?
[[ $rc -eq 1 ]] && ! compgen -G "$t/new.db*" >/dev/null ||
    { echo "FAIL: a failed merge left a new output behind (exit $rc): $(ls "$t")"; exit 1; }
# A store database of another schema version is refused by name.
cp "$t/a.db" "$t/old.db"
sqlite3 "$t/old.db" "UPDATE meta SET value = '2' WHERE key = 'schema.store'"
rc=0
"$M" merge "$t/m.db" "$t/old.db" 2>"$t/old.err" || rc=$?
[[ $rc -eq 1 ]] && grep -q "old.db" "$t/old.err" || { echo "FAIL: old schema: exit $rc: $(cat "$t/old.err")"; exit 1; }
[[ $(sha256sum <"$t/m.db") == "$sum" ]] || { echo "FAIL: an old-schema input changed the output"; exit 1; }

# Usage.
"$M" merge --help | grep -q "^usage: threatatlas merge OUT.db IN.db" || { echo "FAIL: merge --help"; exit 1; }
rc=0; "$M" merge "$t/m.db" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || { echo "FAIL: merge without inputs: exit $rc, expected 2"; exit 1; }
rc=0; "$M" merge --skew-ms 700000 "$t/m.db" "$t/a.db" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || { echo "FAIL: --skew-ms above the maximum: exit $rc, expected 2"; exit 1; }

echo "info: two sensors (3 days each, 1 shared, 2 ms apart; $known events seen by both) merged: reports (period, 5 days, US->CN, 6 lists), events and runs equal one combined pass; merging twice changes nothing; other order same counts; 6 bad inputs refused with the output unchanged"
