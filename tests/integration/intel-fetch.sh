#!/usr/bin/env bash
# intel fetch against a local provider (feed-server.py on 127.0.0.1):
#  - 200 imports; the same download again is a 304 (ETag) and changes nothing;
#  - a changed list: the value gone ends now (matches traffic before, not
#    after), the value kept keeps its first sighting;
#  - 404, a body cut short of its Content-Length, a server that never answers
#    (bounded by timeout:), an empty body and a body with nothing valid each
#    exit 1 with one line naming the feed, and leave the indicators as they were;
#  - a bad configuration is one line naming file:line, exit 2.
set -uo pipefail
: "${TA_BIN:?}"
command -v python3 >/dev/null || { echo "python3 absent"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
spid=
trap '[[ -n $spid ]] && kill "$spid" 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [[ -f $tmp/err ]] && sed 's/^/  err: /' "$tmp/err" | tail -5; exit 1; }

mkdir "$tmp/www"
printf '# c2 list\n198.51.100.7\n203.0.113.9\n' >"$tmp/www/c2.txt"
# Documentation addresses are refused by default; this is a test's own feed.
python3 "$here/feed-server.py" "$tmp/www" "$tmp/port" &
spid=$!
for _ in $(seq 1 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
[[ -s $tmp/port ]] || fail "feed server did not start"
port=$(cat "$tmp/port")
db="$tmp/a.db"
cat >"$tmp/t.yaml" <<YAML
sensor:
  db: $db
feeds:
  - name: lab-c2
    url: http://127.0.0.1:$port/feed/c2.txt
    format: plain
    kind: c2
    header: "Auth-Key: s3cret"
    allow_private: true
    timeout: 3
  - name: gone
    url: http://127.0.0.1:$port/missing
    format: plain
    kind: c2
  - name: cut
    url: http://127.0.0.1:$port/truncated
    format: plain
    kind: c2
    allow_private: true
  - name: stall
    url: http://127.0.0.1:$port/stall
    format: plain
    kind: c2
    timeout: 2
  - name: empty
    url: http://127.0.0.1:$port/empty
    format: plain
    kind: c2
  - name: junk
    url: http://127.0.0.1:$port/feed/junk.txt
    format: plain
    kind: c2
YAML
printf 'not an indicator at all\n' >"$tmp/www/junk.txt"
fetch() { "$TA_BIN" intel fetch --config "$tmp/t.yaml" "$@" 2>"$tmp/err"; }
row() { sqlite3 "$db" "SELECT first_seen, valid_until FROM intel_indicator WHERE source='lab-c2' AND value='$1'"; }

fetch --only lab-c2 || fail "first fetch: exit $?"
grep -q "lab-c2: .* 2 accepted (2 new" "$tmp/err" || fail "first fetch line: $(cat "$tmp/err")"
grep -q "^/feed/c2.txt inm=- ims=- key=s3cret" "$tmp/www/requests.log" || fail "no API key header"
[[ $(sqlite3 "$db" "SELECT count(*) FROM intel_indicator WHERE source='lab-c2'") == 2 ]] || fail "2 rows"
imports=$(sqlite3 "$db" "SELECT count(*) FROM intel_import")

fetch --only lab-c2 || fail "second fetch: exit $?"
grep -q "lab-c2: not modified (HTTP 304)" "$tmp/err" || fail "304 line: $(cat "$tmp/err")"
tail -1 "$tmp/www/requests.log" | grep -q 'inm="[0-9a-f]*" ims=[A-Z]' || fail "no conditional request"
[[ $(sqlite3 "$db" "SELECT count(*) FROM intel_import") == "$imports" ]] || fail "304 imported"

# Last-Modified alone: the server answers 304 to it when no ETag is sent.
sqlite3 "$db" "UPDATE intel_fetch SET etag='' WHERE source='lab-c2'"
fetch --only lab-c2 || fail "If-Modified-Since fetch: exit $?"
grep -q "not modified" "$tmp/err" || fail "If-Modified-Since not used: $(cat "$tmp/err")"
tail -1 "$tmp/www/requests.log" | grep -q 'inm=- ims=[A-Z]' || fail "no If-Modified-Since"

# The failures: each exit 1, one line naming the feed, nothing changed.
before=$(sqlite3 "$db" "SELECT group_concat(value||first_seen||valid_until) FROM intel_indicator")
for f in gone:"HTTP 404" cut:"cut short" stall:"imeout" empty:"empty" junk:"no indicator accepted"; do
    name=${f%%:*} want=${f#*:}
    t0=$(date +%s)
    fetch --only "$name"
    rc=$?
    [[ $rc == 1 ]] || fail "$name: exit $rc, want 1"
    [[ $(wc -l <"$tmp/err") == 1 ]] || fail "$name: not one line: $(cat "$tmp/err")"
    grep -q "intel fetch: $name: .*$want.*previous indicators stay in force" "$tmp/err" ||
        fail "$name: line: $(cat "$tmp/err")"
    [[ $(($(date +%s) - t0)) -le 6 ]] || fail "$name: took more than 6 s"
done
[[ $(sqlite3 "$db" "SELECT group_concat(value||first_seen||valid_until) FROM intel_indicator") == "$before" ]] ||
    fail "a failed fetch changed the indicators"

# A changed list: 203.0.113.9 leaves, 192.0.2.44 arrives, 198.51.100.7 stays.
sqlite3 "$db" "UPDATE intel_indicator SET first_seen = 1600000000 WHERE value='198.51.100.7'"
printf '198.51.100.7\n192.0.2.44\n' >"$tmp/www/c2.txt"
touch -d '@1700000000' "$tmp/www/c2.txt"
t0=$(date +%s)
fetch --only lab-c2 || fail "changed fetch: exit $?"
grep -q "2 accepted (1 new, .* 1 no longer listed and ended now" "$tmp/err" || fail "changed line: $(cat "$tmp/err")"
t1=$(date +%s)
[[ $(row 198.51.100.7) == "1600000000|0" ]] || fail "kept value: $(row 198.51.100.7)"
IFS='|' read -r fs vu <<<"$(row 203.0.113.9)"
[[ $fs == 1 && $vu -ge $t0 && $vu -le $t1 ]] || fail "gone value not ended now: $fs|$vu"
# The gone value is still stored (reports of the past count it), with its end.
"$TA_BIN" intel list --db "$db" --source lab-c2 --json >"$tmp/lk" || fail "intel list"
[[ $(grep -c . "$tmp/lk") == 3 ]] || fail "list: $(cat "$tmp/lk")"

# Listed again: it is undated and in force again.
printf '198.51.100.7\n192.0.2.44\n203.0.113.9\n' >"$tmp/www/c2.txt"
fetch --only lab-c2 || fail "relisting fetch: exit $?"
[[ $(row 203.0.113.9) == "0|0" ]] || fail "relisted value: $(row 203.0.113.9)"

# A sensor whose events go to a ClickHouse store keeps its intel in intel_db:
# intel fetch fills that file, not db.
sed -e "s|^  db: .*|  db: clickhouse://127.0.0.1:1/none\n  intel_db: $tmp/intel.db|" "$tmp/t.yaml" >"$tmp/ch.yaml"
"$TA_BIN" intel fetch --config "$tmp/ch.yaml" --only lab-c2 2>"$tmp/err" || fail "intel_db fetch: exit $?"
[[ $(sqlite3 "$tmp/intel.db" "SELECT count(*) FROM intel_indicator WHERE source='lab-c2'") == 3 ]] ||
    fail "intel_db fetch: $(cat "$tmp/err")"

# Configuration mistakes: file:line, exit 2.
printf 'feeds:\n  - name: x\n    url: http://127.0.0.1:1/\n    colour: red\n' >"$tmp/bad.yaml"
"$TA_BIN" intel fetch --config "$tmp/bad.yaml" --db "$db" 2>"$tmp/err"
[[ $? == 2 ]] || fail "unknown key: exit not 2"
grep -q "bad.yaml:4: unknown feed key 'colour'" "$tmp/err" || fail "unknown key line: $(cat "$tmp/err")"
printf 'sensor:\n  interface: lo\n  db: [\n' >"$tmp/bad2.yaml"
"$TA_BIN" sensor --config "$tmp/bad2.yaml" 2>"$tmp/err"
[[ $? == 2 ]] || fail "broken YAML: exit not 2"
grep -q "bad2.yaml:[0-9]*:" "$tmp/err" || fail "broken YAML line: $(cat "$tmp/err")"
printf 'sensor:\n  interface: lo\n  colour: red\n' >"$tmp/bad3.yaml"
"$TA_BIN" sensor --config "$tmp/bad3.yaml" 2>"$tmp/err"
[[ $? == 2 ]] || fail "sensor unknown key: exit not 2"
grep -q "bad3.yaml:3: unknown sensor option 'colour'" "$tmp/err" || fail "sensor key line: $(cat "$tmp/err")"
printf 'sensor:\n  db: x.db\n' >"$tmp/bad4.yaml"
"$TA_BIN" sensor --config "$tmp/bad4.yaml" 2>"$tmp/err"
[[ $? == 2 ]] || fail "sensor without a capture: exit not 2"
grep -q "bad4.yaml:2: the sensor: section needs interface: or collect:" "$tmp/err" ||
    fail "sensor without a capture: $(cat "$tmp/err")"
echo "ok"
