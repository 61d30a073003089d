#!/usr/bin/env bash
# threatatlas runs list|show|delete: help, option errors (one line, exit 2),
# a missing run (exit 1), text and JSON output against what was stored, the
# writer lock (--no-wait refuses while another process writes), and delete
# leaving an empty report.
set -uo pipefail
BIN=${TA_BIN:?}
FILL=${TA_BUILD:?}/bench/bench-report
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
command -v flock >/dev/null || { echo "flock is not installed (util-linux)"; exit 77; }
[[ -x "$FILL" ]] || { echo "bench-report not built ($FILL)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

expect_err() {
    local want=$1 pat=$2
    shift 2
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [[ $rc -eq $want ]] || fail "'$*' exited $rc, want $want"
    [[ $(wc -l <"$T/err") -eq 1 ]] || fail "'$*' wrote $(wc -l <"$T/err") stderr lines: $(cat "$T/err")"
    grep -qE -- "$pat" "$T/err" || fail "'$*' stderr '$(cat "$T/err")' lacks '$pat'"
}

"$FILL" --events 3000 --days 3 --db "$T/a.db" --keep >/dev/null || { echo "FAIL: fill"; exit 1; }

for sub in "" list show delete; do
    "$BIN" runs $sub --help >"$T/h" 2>&1 || fail "runs $sub --help exit"
    grep -q "usage: threatatlas runs" "$T/h" || fail "runs $sub --help: $(head -2 "$T/h")"
done
grep -q -- "--redo" <<<"$("$BIN" analyze --help)" || fail "analyze --help lacks --redo"
grep -q -- "--sensor NAME" <<<"$("$BIN" analyze --help)" || fail "analyze --help lacks --sensor"
grep -q -- "--no-wait" <<<"$("$BIN" analyze --help)" || fail "analyze --help lacks --no-wait"
grep -q "^  runs " <<<"$("$BIN" --help)" || fail "threatatlas --help lacks runs"

expect_err 2 "runs: unknown subcommand 'bogus'" runs bogus
expect_err 2 'runs list: --db FILE is required' runs list
expect_err 2 'runs show: needs a run id' runs show --db "$T/a.db"
expect_err 2 'runs show: needs a run id' runs show abc --db "$T/a.db"
expect_err 2 'runs show: needs a run id' runs show 99999999999999999999 --db "$T/a.db"
expect_err 2 'runs delete: needs a run id' runs delete 0 --db "$T/a.db"
expect_err 2 "runs list: invalid --format 'xml'" runs list --db "$T/a.db" --format xml
expect_err 2 "runs list: unexpected argument '3'" runs list 3 --db "$T/a.db"
expect_err 2 "unknown option '--bogus'" runs list --db "$T/a.db" --bogus
expect_err 1 'runs show: no run 99' runs show 99 --db "$T/a.db"
expect_err 1 'runs delete: no run 99' runs delete 99 --db "$T/a.db"
expect_err 1 'cannot open database' runs list --db "$T/missing.db"

"$BIN" runs list --db "$T/a.db" >"$T/l.txt" || fail "list exit"
[[ $(wc -l <"$T/l.txt") -eq 2 ]] || fail "list text: $(cat "$T/l.txt")"
grep -qE '^1 +done .* 3000 +0  synthetic$' "$T/l.txt" || fail "list text row: $(tail -1 "$T/l.txt")"
"$BIN" runs list --db "$T/a.db" --format json >"$T/l.json" || fail "list json exit"
"$BIN" runs show 1 --db "$T/a.db" --format json >"$T/s.json" || fail "show json exit"
python3 - "$T/l.json" "$T/s.json" <<'PY' || fail "list/show json"
import json, sys
l = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
assert len(l) == 1 and l[0] == s, (l, s)
assert s["id"] == 1 and s["state"] == "done" and s["events"] == {"new": 3000, "known": 0, "total": 3000}, s
assert s["inputs"] == [{"path": "synthetic", "size": 3000, "sha256": s["inputs"][0]["sha256"]}], s
assert len(s["inputs"][0]["sha256"]) == 64 and s["options"]["home"] == "CN", s
assert s["intel_version"] == "bench-intel 1" and s["geoip_version"] == "bench-geoip 1", s
assert s["traffic_from"].startswith("2014-03-19T") and s["traffic_to"].startswith("2014-03-21T"), s
PY
"$BIN" runs show 1 --db "$T/a.db" >"$T/s.txt" || fail "show text exit"
grep -q "events         3000 new, 0 already known, 3000 in all" "$T/s.txt" || fail "show text: $(cat "$T/s.txt")"
grep -q "synthetic  3000 bytes  sha256 [0-9a-f]\{64\}" "$T/s.txt" || fail "show text inputs"

# Another writer holds the lock: --no-wait refuses at once, one line; the
# waiting delete goes ahead once it is released.
flock "$T/a.db.lock" sleep 2 &
lp=$!
sleep 0.3
expect_err 1 'runs delete: database .* is being written by another writer \(--no-wait\)' \
    runs delete 1 --db "$T/a.db" --no-wait
"$BIN" runs delete 1 --db "$T/a.db" >"$T/d.txt" 2>"$T/d.err" || fail "delete exit: $(cat "$T/d.err")"
grep -q "runs delete: waiting for another writer to finish" "$T/d.err" || fail "no waiting note: $(cat "$T/d.err")"
grep -q "^run 1 deleted$" "$T/d.txt" || fail "delete output: $(cat "$T/d.txt")"
wait $lp
[[ $("$BIN" runs list --db "$T/a.db") == "no runs" ]] || fail "list after delete"
out=$("$BIN" report --db "$T/a.db" --from 2014-03-19 --to 2014-03-21) || fail "report after delete"
[[ "$out" == "No data: the database holds no analysis." ]] || fail "report after delete: $out"
n=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(sum(c.execute('select count(*) from ' + t).fetchone()[0] for t in ('store_event', 'store_sighting', 'store_day_count', 'store_day_suppressed', 'store_span_attacker', 'store_day_item')))" "$T/a.db")
[[ $n -eq 0 ]] || fail "rows left after deleting the only run: $n"

# Intel from hundreds of sources (a feed tree): the run's intel version names sources whole,
# sums the rest, and keeps the last import's time.
mkdir -p "$T/feeds"
for i in $(seq 1 300); do echo "198.$((i / 250 + 10)).$((i % 250)).1" >"$T/feeds/feed-with-a-rather-long-source-name-$i.txt"; done
"$BIN" intel import --db "$T/iv.db" --kind c2 "$T"/feeds/*.txt >/dev/null 2>&1 || fail "import of 300 feeds"
python3 -c "import struct; open('$T/empty.pcap','wb').write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))"
"$BIN" analyze -r "$T/empty.pcap" --db "$T/iv.db" -o /dev/null 2>"$T/iv.err" || fail "analyze with 300 sources: $(cat "$T/iv.err")"
"$BIN" runs show 1 --db "$T/iv.db" --format json >"$T/iv.json" || fail "runs show after 300 sources"
python3 - "$T/iv.json" <<'PY' || fail "intel version of 300 sources"
import json, re, sys
v = json.load(open(sys.argv[1]))["intel_version"]
named = re.findall(r"feed-with-a-rather-long-source-name-(\d+) 1(?:,| and)", v)
m = re.search(r" and (\d+) more sources with (\d+) indicators; last import \d{4}-", v)
assert m, v[-200:]
assert len(named) + int(m.group(1)) == 300 and int(m.group(2)) == int(m.group(1)), (len(named), m.groups())
assert len(named) > 50, len(named)
PY

[[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
echo "info: runs list/show/delete CLI: help, errors, text and JSON, writer lock, delete to empty"
exit 0
