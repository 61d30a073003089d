#!/usr/bin/env bash
# The ClickHouse store against the SQLite one, on a throwaway clickhouse-server
# (127.0.0.1 only, its own config and data, stopped on exit whatever happens):
#   - the same events give byte-for-byte the same report JSON and evidence
#     lists (national scenario: whole period, each day, a country pair), and
#     the same `events` export;
#   - two analyze processes with different --sensor names and overlapping
#     captures, writing at once, give the report of one combined pass, each
#     event stored once;
#   - the server killed (-9) and restarted mid-run: the run completes with
#     the same report; with the server gone past the retry time the run
#     fails with one clear line, and a rerun resumes it exactly;
#   - hostile strings (sensor names, URLs) are stored as given or refused.
# In CI a missing clickhouse-server is a failure (scripts/install-deps
# installs it).
set -euo pipefail
REL=${TA_REL:-$(dirname "$TA_BUILD")/rel}
BIN=$REL/threatatlas
GEN=$REL/threatatlas-gen
[[ -x $BIN && -x $GEN ]] || { echo "release build missing ($REL)"; exit 77; }
"$BIN" geo info >/dev/null 2>&1 || { echo "pinned GeoIP data not installed (run: make geo-data)"; exit 77; }
command -v clickhouse-server >/dev/null ||
    { echo "clickhouse-server missing (apt-get install clickhouse-server clickhouse-client)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

here=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap '"$here/scripts/clickhouse-test" stop "$t/ch" || true; rm -rf "$t"' EXIT
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
read -r HTTP TCP <<<"$ports"
"$here/scripts/clickhouse-test" start "$t/ch" "$HTTP" "$TCP"; echo "server up ($SECONDS s)"
export TA_CLICKHOUSE_USER=ta TA_CLICKHOUSE_PASSWORD_FILE=$t/ch/password
unset TA_CLICKHOUSE_PASSWORD
CH=clickhouse://127.0.0.1:$HTTP

FROM=2014-03-19 TO=2014-03-21
"$GEN" --scenario national --scale 0.01 --from $FROM --to $TO --seed 11 --out "$t/s" --quiet
intel=$t/intel.db
"$BIN" intel import --db "$intel" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$intel" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$intel" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null
pcaps=("$t"/s/pcap/*.pcap)
args=()
for p in "${pcaps[@]}"; do args+=(-r "$p"); done

sq=$t/atlas.db
cp "$intel" "$sq"
"$BIN" analyze "${args[@]}" --db "$sq" --home CN -o /dev/null 2>/dev/null
# Without --intel-db a ClickHouse --db has no indicators: a usage error.
rc=0
"$BIN" analyze "${args[@]}" --db "$CH/one" --home CN -o /dev/null 2>"$t/e" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--intel-db" "$t/e" || { echo "FAIL: analyze without --intel-db: rc $rc: $(cat "$t/e")"; exit 1; }
"$BIN" analyze "${args[@]}" --db "$CH/one" --intel-db "$intel" --home CN -o /dev/null 2>/dev/null

fail=0
same() { # label, then the command's arguments after --db
    local label=$1
    shift
    "$BIN" "$1" --db "$sq" "${@:2}" >"$t/a.out"
    "$BIN" "$1" --db "$CH/one" "${@:2}" >"$t/b.out"
    if ! cmp -s "$t/a.out" "$t/b.out"; then
        echo "FAIL: $label: ClickHouse differs from SQLite"
        diff "$t/a.out" "$t/b.out" | head -5
        fail=1
    fi
    [[ -s $t/a.out ]] || { echo "FAIL: $label: empty output"; fail=1; }
}
lists=(c2-servers controlled-hosts phishing-hosts phishing-pages backdoor-sources backdoored-sites)
same "report, whole period" report --from $FROM --to $TO --format json
for l in "${lists[@]}"; do same "--list $l" report --from $FROM --to $TO --format json --list "$l"; done
for p in "${pcaps[@]}"; do
    day=$(basename "$p" .pcap)
    same "report $day" report --from "$day" --to "$day" --format json
    same "--list c2-servers $day" report --from "$day" --to "$day" --format json --list c2-servers
done
# A country pair that has C&C events (the largest one).
read -r SRC DST < <("$BIN" report --db "$sq" --from $FROM --to $TO --format json |
    python3 -c "import json,sys; b=json.load(sys.stdin)['botnet']; r=max(b, key=lambda r: r['controlled_hosts']); print(r['src_cc'], r['dst_cc'])")
same "report $SRC->$DST" report --from $FROM --to $TO --src-cc "$SRC" --dst-cc "$DST" --format json
for l in "${lists[@]}"; do
    same "--list $l $SRC->$DST" report --from $FROM --to $TO --src-cc "$SRC" --dst-cc "$DST" --format json --list "$l"
done
same "report text" report --from $FROM --to $TO
same "events csv" events --format csv
same "events eve" events
[[ $fail -eq 0 ]] || exit 1
echo "ok ($SECONDS s): same answers (whole period, ${#pcaps[@]} days, $SRC->$DST, 6 lists, events)"

# ---- periods that cut the 64-day blocks of the member and contact rollups ----
# bench-report's synthetic events over 100 days (2014-03-19 .. 2014-06-26: blocks of days
# 16128-16191 and 16192-16255) into both stores; every period's report and C&C lists must match.
BR=$REL/bench/bench-report
[[ -x $BR ]] || { echo "FAIL: $BR missing"; exit 1; }
"$BR" --events 30000 --days 100 --db "$t/syn.db" --keep >/dev/null
"$BR" --events 30000 --days 100 --db "$CH/syn" --keep >/dev/null
# The benchmark's bulk load (rollups filled from the events after the load, in slices of
# about 100 members or contacts) must give the same answers as the views.
"$BR" --events 30000 --days 100 --db "$CH/synbulk" --keep --bulk --bulk-slice 100 >/dev/null
for period in 2014-03-19:2014-06-26 2014-04-20:2014-05-10 2014-05-01:2014-05-02 2014-05-02:2014-05-02 \
    2014-03-25:2014-05-01 2014-05-02:2014-06-30 2014-06-27:2014-07-01; do
    f=${period%%:*} to=${period#*:}
    for l in "" c2-servers controlled-hosts; do
        "$BIN" report --db "$t/syn.db" --from "$f" --to "$to" --format json ${l:+--list $l} >"$t/a.out"
        "$BIN" report --db "$CH/syn" --from "$f" --to "$to" --format json ${l:+--list $l} >"$t/b.out"
        cmp -s "$t/a.out" "$t/b.out" || { echo "FAIL: synthetic $f..$to ${l:-report}: ClickHouse differs"; diff "$t/a.out" "$t/b.out" | head -3; exit 1; }
        "$BIN" report --db "$CH/synbulk" --from "$f" --to "$to" --format json ${l:+--list $l} >"$t/b.out"
        cmp -s "$t/a.out" "$t/b.out" || { echo "FAIL: synthetic $f..$to ${l:-report}: the bulk load differs"; diff "$t/a.out" "$t/b.out" | head -3; exit 1; }
    done
    "$BIN" report --db "$t/syn.db" --from "$f" --to "$to" --src-cc US --format json --list c2-servers >"$t/a.out"
    "$BIN" report --db "$CH/syn" --from "$f" --to "$to" --src-cc US --format json --list c2-servers >"$t/b.out"
    cmp -s "$t/a.out" "$t/b.out" || { echo "FAIL: synthetic $f..$to US c2-servers differs"; exit 1; }
done
# A database of the previous schema (1) is refused with one line saying what to do.
curl -fsS -u "ta:$(cat "$t/ch/password")" "http://127.0.0.1:$HTTP/" --data-binary "CREATE DATABASE old1" >/dev/null
curl -fsS -u "ta:$(cat "$t/ch/password")" "http://127.0.0.1:$HTTP/" \
    --data-binary "CREATE TABLE old1.ta_meta (key String, value String) ENGINE = ReplacingMergeTree ORDER BY key" >/dev/null
curl -fsS -u "ta:$(cat "$t/ch/password")" "http://127.0.0.1:$HTTP/" --data-binary "INSERT INTO old1.ta_meta VALUES ('schema.store', '1')" >/dev/null
rc=0
"$BIN" report --db "$CH/old1" --from $FROM --to $TO >/dev/null 2>"$t/e" || rc=$?
[[ $rc -ne 0 && $(wc -l <"$t/e") -eq 1 ]] && grep -q "schema version 1.*analyse the captures again into a new database" "$t/e" ||
    { echo "FAIL: schema 1 database: rc $rc: $(cat "$t/e")"; exit 1; }
echo "ok ($SECONDS s): periods cutting 64-day blocks (7 periods, report and C&C lists, views and bulk load); schema 1 refused"

# ta_lock keeps a day of the writers' turns: a row two days old goes when a run starts, the
# rows of the run just made stay.
chq() { curl -fsS -u "ta:$(cat "$t/ch/password")" "http://127.0.0.1:$HTTP/" --data-binary "$1"; }
chq "INSERT INTO syn.ta_lock SELECT 42, 1, 0, 7, now() - 172800, 'old', 1"
"$BR" --events 1000 --days 2 --seed 5 --db "$CH/syn" --keep >/dev/null
for _ in $(seq 50); do [[ $(chq "SELECT countIf(writer = 42) FROM syn.ta_lock") == 0 ]] && break; sleep 0.2; done
[[ $(chq "SELECT countIf(writer = 42), countIf(at > now() - 600) > 0 FROM syn.ta_lock FORMAT CSV") == "0,1" ]] ||
    { echo "FAIL: ta_lock: the old row was not deleted or the new ones were: $(chq "SELECT writer, at FROM syn.ta_lock")"; exit 1; }
echo "ok ($SECONDS s): ta_lock rows older than a day deleted when a run starts"

# ---- many sensors at once ----
sections() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('data'); print(json.dumps(d,sort_keys=True))" "$1"; }
"$BIN" report --db "$sq" --from $FROM --to $TO --format json >"$t/clean.json"
n=${#pcaps[@]}
a=() b=()
for p in "${pcaps[@]:0:$((n - 1))}"; do a+=(-r "$p"); done # days 1..n-1
for p in "${pcaps[@]:1}"; do b+=(-r "$p"); done            # days 2..n
export TA_CLICKHOUSE_BATCH=8000 # several turns each, interleaved
"$BIN" analyze "${a[@]}" --db "$CH/many" --intel-db "$intel" --home CN --sensor tap-a -o /dev/null 2>"$t/a.err" &
pa=$!
"$BIN" analyze "${b[@]}" --db "$CH/many" --intel-db "$intel" --home CN --sensor tap-b -o /dev/null 2>"$t/b.err" &
pb=$!
wait $pa || { echo "FAIL: sensor a: $(cat "$t/a.err")"; exit 1; }
wait $pb || { echo "FAIL: sensor b: $(cat "$t/b.err")"; exit 1; }
unset TA_CLICKHOUSE_BATCH
"$BIN" report --db "$CH/many" --from $FROM --to $TO --format json >"$t/many.json"
cmp -s <(sections "$t/clean.json") <(sections "$t/many.json") ||
    { echo "FAIL: two sensors at once differ from one pass"; diff <(sections "$t/clean.json") <(sections "$t/many.json") | head; exit 1; }
python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['data']['sensors']; assert s == ['tap-a', 'tap-b'], s" "$t/many.json" ||
    { echo "FAIL: data.sensors"; exit 1; }
[[ $("$BIN" events --db "$CH/many" --format csv | wc -l) -eq $("$BIN" events --db "$sq" --format csv | wc -l) ]] ||
    { echo "FAIL: two sensors stored a different number of events"; exit 1; }
grep -hq "already known from other runs" "$t/a.err" "$t/b.err" || { echo "FAIL: no events known from the other sensor"; exit 1; }
for l in "${lists[@]}"; do
    "$BIN" report --db "$sq" --from $FROM --to $TO --format json --list "$l" >"$t/a.out"
    "$BIN" report --db "$CH/many" --from $FROM --to $TO --format json --list "$l" >"$t/b.out"
    cmp -s "$t/a.out" "$t/b.out" || { echo "FAIL: two sensors: --list $l differs"; exit 1; }
done
echo "ok ($SECONDS s): two sensors writing at once give one pass's report and lists"

# ---- the server killed and restarted mid-run ----
# mid_run DB PID: once the run writing DB has stored a batch, pause it (SIGSTOP)
# and kill the server, so the server dies mid-run however fast the run is.
mid_run() {
    local n=0
    for _ in $(seq 1 1000); do
        n=$(curl -fsS "http://127.0.0.1:$HTTP/" --data-binary "SELECT count() FROM $1.ta_event" 2>/dev/null || echo 0)
        [[ ${n:-0} -gt 0 ]] && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.02
    done
    kill -STOP "$2" 2>/dev/null || { echo "FAIL: the run into $1 ended before it stored a batch"; exit 1; }
    [[ ${n:-0} -gt 0 ]] || { echo "FAIL: the run into $1 stored no batch within 20 s"; exit 1; }
    kill -9 "$(cat "$t/ch/pid")"
}
export TA_CLICKHOUSE_BATCH=4000
"$BIN" analyze "${args[@]}" --db "$CH/restart" --intel-db "$intel" --home CN -o /dev/null 2>"$t/r.err" &
pr=$!
mid_run restart $pr
kill -CONT $pr
sleep 2
"$here/scripts/clickhouse-test" start "$t/ch" "$HTTP" "$TCP"; echo "server up ($SECONDS s)"
wait $pr || { echo "FAIL: run across a server restart: $(cat "$t/r.err")"; exit 1; }
"$BIN" report --db "$CH/restart" --from $FROM --to $TO --format json >"$t/restart.json"
cmp -s <(sections "$t/clean.json") <(sections "$t/restart.json") ||
    { echo "FAIL: report after a server restart mid-run"; diff <(sections "$t/clean.json") <(sections "$t/restart.json") | head; exit 1; }

# Gone for longer than the retry time: one clear line, then a rerun resumes.
TA_CLICKHOUSE_RETRY=1 "$BIN" analyze "${args[@]}" --db "$CH/gone" --intel-db "$intel" --home CN -o /dev/null 2>"$t/g.err" &
pg=$!
mid_run gone $pg
kill -CONT $pg
rc=0
wait $pg || rc=$?
[[ $rc -ne 0 ]] || { echo "FAIL: run with the server gone succeeded"; exit 1; }
grep -q "ClickHouse.*gave up retrying" "$t/g.err" || { echo "FAIL: no clear error: $(tail -3 "$t/g.err")"; exit 1; }
"$here/scripts/clickhouse-test" start "$t/ch" "$HTTP" "$TCP"; echo "server up ($SECONDS s)"
"$BIN" analyze "${args[@]}" --db "$CH/gone" --intel-db "$intel" --home CN -o /dev/null 2>/dev/null
unset TA_CLICKHOUSE_BATCH
"$BIN" report --db "$CH/gone" --from $FROM --to $TO --format json >"$t/gone.json"
cmp -s <(sections "$t/clean.json") <(sections "$t/gone.json") ||
    { echo "FAIL: report after a failed run and its rerun"; diff <(sections "$t/clean.json") <(sections "$t/gone.json") | head; exit 1; }
[[ $("$BIN" events --db "$CH/gone" --format csv | wc -l) -eq $("$BIN" events --db "$sq" --format csv | wc -l) ]] ||
    { echo "FAIL: the resumed run doubled or lost events"; exit 1; }
echo "ok ($SECONDS s): server restart mid-run; failure past the retry time, then resume"

# ---- hostile strings ----
evil=$'x\'); DROP TABLE ta_event; --\\\t\n\x01'
"$BIN" analyze -r "${pcaps[0]}" --db "$CH/evil" --intel-db "$intel" --home CN --sensor "$evil" -o /dev/null 2>/dev/null
"$BIN" runs list --db "$CH/evil" --format json >"$t/runs.json"
python3 - "$t/runs.json" "$evil" <<'PY' || { echo "FAIL: hostile sensor name not stored as given"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["sensor"] == sys.argv[2], r[0]["sensor"]
PY
[[ $("$BIN" events --db "$CH/evil" --format csv | wc -l) -gt 1 ]] || { echo "FAIL: events gone"; exit 1; }
for url in "$CH/x;DROP" "$CH/a\`b" "clickhouse://u:p@127.0.0.1:$HTTP/one" "$CH/one?x=1" "clickhouse://127.0.0.1:$HTTP/"; do
    rc=0
    "$BIN" report --db "$url" --from $FROM --to $TO >/dev/null 2>"$t/e" || rc=$?
    [[ $rc -ne 0 && $(wc -l <"$t/e") -eq 1 ]] || { echo "FAIL: bad URL $url: rc $rc: $(cat "$t/e")"; exit 1; }
done
rc=0
"$BIN" runs delete 1 --db "$CH/evil" 2>"$t/e" >/dev/null || rc=$?
[[ $rc -ne 0 ]] && grep -q "does not delete runs" "$t/e" || { echo "FAIL: runs delete: $(cat "$t/e")"; exit 1; }
echo "ok ($SECONDS s): hostile strings stored as given, bad URLs refused"
