#!/usr/bin/env bash
# ClickHouse store benchmark: a throwaway clickhouse-server (127.0.0.1, its
# data under $TA_BENCH_DIR/ch), bench-report writing N synthetic events over
# 60 days through the ClickHouse backend, then the report over the whole
# period and over days 15-30, the c2-servers list (first 100 rows) and the
# whole controlled-hosts list. Wall-clock seconds (the server does the work),
# medians of TA_BENCH_RUNS runs per size, each into a fresh database.
# Sizes: TA_BENCH_CH_EVENTS (default "1000000"). TA_BENCH_CH_BULK=1 loads with
# `bench-report --bulk` (the rollups filled after the load, as 100 M events
# need) and then breaks each query down with bench/clickhouse-queries.sh
# (system.query_log) into $TA_BENCH_DIR/logs/clickhouse-N-queries.txt.
#   bench/clickhouse.sh [BUILD_DIR]
# Writes $TA_BENCH_DIR/results/clickhouse.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${1:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
bin="$B/bench/bench-report"
[[ -x "$bin" ]] || { echo "bench-report not built ($bin); run make"; exit 77; }
command -v clickhouse-server >/dev/null || { echo "clickhouse-server not installed"; exit 77; }
ch=$(cd "$OUT" && pwd)/ch
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
read -r HTTP TCP <<<"$ports"
trap 'scripts/clickhouse-test stop "$ch"; [[ $KEEP == 1 ]] || rm -rf "$ch"' EXIT
TA_CH_QUERY_LOG=1 scripts/clickhouse-test start "$ch" "$HTTP" "$TCP" || exit 1
bulk=()
[[ ${TA_BENCH_CH_BULK:-0} == 1 ]] && bulk=(--bulk)
export TA_CLICKHOUSE_USER=ta TA_CLICKHOUSE_PASSWORD_FILE=$ch/password
server=$(curl -fsS -u "ta:$(cat "$ch/password")" "http://127.0.0.1:$HTTP/?query=SELECT%20version()")
frag_begin "ClickHouse store"
frag "\`bench-report --wall\` writes N synthetic events over 60 days through the ClickHouse store" \
    "(one run, batches of 500,000, to clickhouse-server $server on the same machine), then reports." \
    "Wall seconds, medians of $RUNS runs; the client and the server share the 2 cores (and the" \
    "machine is shared with other jobs)." "" \
    "| events | store total s (events/s) | report, 60 days | report, days 15-30 | list c2-servers (100 rows) | list controlled-hosts (all rows) | data on disk | server CPU s | load average (start, end) |" \
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in ${TA_BENCH_CH_EVENTS:-1000000}; do
    log=$LOG/clickhouse-$n.txt
    : >"$log"
    size=""
    load0=$(cut -d' ' -f1 /proc/loadavg)
    # The server's CPU time over the runs (user + system): under a loaded
    # machine, what the store costs; wall times measure the neighbours too.
    scpu0=$(awk '{print $14 + $15}' "/proc/$(cat "$ch/pid")/stat")
    for ((i = 0; i < RUNS; i++)); do
        db=bench_${n}_$i
        "$bin" --events "$n" --days 60 --db "clickhouse://127.0.0.1:$HTTP/$db" --keep --wall \
            --all-hosts "${bulk[@]}" >>"$log" 2>&1 ||
            { FAILED+=("\`$bin --events $n --days 60 --wall\` (see $log)"); break; }
        [[ ${#bulk[@]} -eq 0 ]] ||
            bench/clickhouse-queries.sh "$ch" "$HTTP" "$db" >"$LOG/clickhouse-$n-queries.txt" 2>&1
        size=$(du -sh "$ch/data/data/$db" | cut -f1)
        curl -fsS -u "ta:$(cat "$ch/password")" "http://127.0.0.1:$HTTP/" --data-binary "DROP DATABASE $db" >/dev/null
    done
    val() { grep "^$1" "$log" | sed "s/^$1[^0-9]*\([0-9.]*\) s.*/\1/" | median; }
    tot=$(val "store total:")
    [[ -n $tot ]] || continue
    frag "| $n | $tot ($(fmt_rate "$n" "$tot")) | $(val "report (all days):") s | $(val "report (days 15-30):") s | $(val "list c2-servers:") s | $(val "list controlled-hosts (all rows):") s | $size | $(awk -v a="$scpu0" -v r="$RUNS" '{printf "%.1f", ($14 + $15 - a) / 100 / r}' "/proc/$(cat "$ch/pid")/stat") | $load0, $(cut -d' ' -f1 /proc/loadavg) |"
done
frag "" "Command: \`$bin --events N --days 60 --db clickhouse://127.0.0.1:PORT/bench --keep --wall --all-hosts${bulk[*]:+ ${bulk[*]}}\`" \
    "($RUNS runs per size). No peer named for the store."
frag_end
