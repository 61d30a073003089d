#!/usr/bin/env bash
# A two-shard ClickHouse cluster (two clickhouse-server processes on
# 127.0.0.1, different ports) with the layout of docs/design/store-clickhouse.md:
# each shard has the store's own tables (atlas_local, made by threatatlas),
# the first node has Distributed tables over them (atlas) and the small
# tables (runs, inputs, turns). Analysing into the cluster must give the
# report and lists of a SQLite store byte for byte, with events on both
# shards. Servers stopped on exit whatever happens; in CI a missing
# clickhouse-server is a failure.
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
trap '"$here/scripts/clickhouse-test" stop "$t/n1" || true; "$here/scripts/clickhouse-test" stop "$t/n2" || true; rm -rf "$t"' EXIT
read -r H1 T1 H2 T2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(4)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
pw=p$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
mkdir -p "$t/n1" "$t/n2"
printf '%s' "$pw" >"$t/n1/password"
printf '%s' "$pw" >"$t/n2/password"
shard() { echo "<shard><replica><host>127.0.0.1</host><port>$1</port><user>ta</user><password>$pw</password></replica></shard>"; }
echo "<remote_servers><ta2>$(shard "$T1")$(shard "$T2")</ta2></remote_servers>" >"$t/shards.xml"
"$here/scripts/clickhouse-test" start "$t/n1" "$H1" "$T1" "$t/shards.xml"
"$here/scripts/clickhouse-test" start "$t/n2" "$H2" "$T2" "$t/shards.xml"
# Inserts into Distributed tables return once the shards have the rows: the
# writers' turns rely on it.
sed -i 's|<load_balancing>random</load_balancing>|<load_balancing>random</load_balancing><insert_distributed_sync>1</insert_distributed_sync>|' "$t/n1/users.xml"
export TA_CLICKHOUSE_USER=ta TA_CLICKHOUSE_PASSWORD_FILE=$t/n1/password
unset TA_CLICKHOUSE_PASSWORD
sql() { # node-http-port statement
    curl -fsS -u "ta:$pw" "http://127.0.0.1:$1/" --data-binary "$2" || { echo "FAIL: SQL on :$1: $2"; exit 1; }
}
sleep 3 # users.xml is reloaded every few seconds
[[ $(sql "$H1" "SELECT value FROM system.settings WHERE name = 'insert_distributed_sync'") == 1 ]] ||
    { echo "FAIL: insert_distributed_sync not in force"; exit 1; }

FROM=2014-03-19 TO=2014-03-19
"$GEN" --scenario national --scale 0.01 --from $FROM --to $TO --seed 11 --out "$t/s" --quiet
intel=$t/intel.db
"$BIN" intel import --db "$intel" "$t/s/feodo-ipblocklist.csv" "$t/s/threatfox-domains.csv" \
    "$t/s/openphish-feed.txt" "$t/s/phishtank-online-valid.json" >/dev/null
"$BIN" intel import --db "$intel" --kind c2 --source feodo-ipblocklist "$t/s/feodo-ipblocklist.txt" >/dev/null
"$BIN" intel import --db "$intel" --kind webshell --source gen-webshell-paths "$t/s/webshell-paths.txt" >/dev/null
args=()
for p in "$t"/s/pcap/*.pcap; do args+=(-r "$p"); done
sq=$t/atlas.db
cp "$intel" "$sq"
"$BIN" analyze "${args[@]}" --db "$sq" --home CN -o /dev/null 2>/dev/null

# Each shard's own tables: threatatlas creates them on open (an empty capture).
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' >"$t/empty.pcap"
for h in "$H1" "$H2"; do
    "$BIN" analyze -r "$t/empty.pcap" --no-intel --db "clickhouse://127.0.0.1:$h/atlas_local" -o /dev/null 2>/dev/null
done
# The initiator's database: Distributed tables over the shards, local small tables.
sql "$H1" "CREATE DATABASE atlas"
for tb in ta_meta ta_run ta_input ta_lock; do sql "$H1" "CREATE TABLE atlas.$tb AS atlas_local.$tb"; done
sql "$H1" "INSERT INTO atlas.ta_meta VALUES ('schema.store', '2')"
for spec in ta_event:"intHash64(ikey)" ta_ident:"intHash64(ikey)" ta_sighting:event_id \
    ta_day_count:"rand()" ta_day_supp:"rand()" ta_member:"rand()" ta_contact:"rand()"; do
    tb=${spec%%:*} key=${spec#*:}
    sql "$H1" "CREATE TABLE atlas.$tb AS atlas_local.$tb ENGINE = Distributed(ta2, atlas_local, $tb, $key)"
done

CH=clickhouse://127.0.0.1:$H1/atlas
TA_CLICKHOUSE_BATCH=10000 "$BIN" analyze "${args[@]}" --db "$CH" --intel-db "$intel" --home CN -o /dev/null 2>"$t/a.err" ||
    { echo "FAIL: analyze into the cluster: $(cat "$t/a.err")"; exit 1; }
n1=$(sql "$H1" "SELECT count() FROM atlas_local.ta_event")
n2=$(sql "$H2" "SELECT count() FROM atlas_local.ta_event")
[[ $n1 -gt 0 && $n2 -gt 0 ]] || { echo "FAIL: events not on both shards ($n1, $n2)"; exit 1; }
fail=0
for l in "" c2-servers controlled-hosts phishing-hosts phishing-pages backdoor-sources backdoored-sites; do
    "$BIN" report --db "$sq" --from $FROM --to $TO --format json ${l:+--list $l} >"$t/a.out"
    "$BIN" report --db "$CH" --from $FROM --to $TO --format json ${l:+--list $l} >"$t/b.out"
    cmp -s "$t/a.out" "$t/b.out" || { echo "FAIL: cluster ${l:-report} differs from SQLite"; diff "$t/a.out" "$t/b.out" | head -3; fail=1; }
done
[[ $fail -eq 0 ]] || exit 1
# Another sensor with a compressed copy of a day stores nothing new.
gzip -c "$t"/s/pcap/$FROM.pcap >"$t/copy.pcap.gz"
"$BIN" analyze -r "$t/copy.pcap.gz" --db "$CH" --intel-db "$intel" --home CN --sensor again -o /dev/null 2>"$t/b.err"
grep -q "stored 0 new events" "$t/b.err" || { echo "FAIL: second pass: $(tail -2 "$t/b.err")"; exit 1; }
"$BIN" report --db "$CH" --from $FROM --to $TO --format json >"$t/b2.out"
"$BIN" report --db "$sq" --from $FROM --to $TO --format json >"$t/a2.out"
python3 - "$t/a2.out" "$t/b2.out" <<'PY' || { echo "FAIL: report after a second sensor"; exit 1; }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("data"); b.pop("data")
assert a == b
PY
echo "ok: two shards ($n1 + $n2 events) give SQLite's report and lists"
