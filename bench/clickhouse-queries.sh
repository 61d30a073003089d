#!/usr/bin/env bash
# Where the report and the lists spend their time on a ClickHouse store that is
# already loaded (e.g. by `bench-report --bulk --keep`): each command through
# the CLI, then its statements from system.query_log (the server started with
# TA_CH_QUERY_LOG=1 scripts/clickhouse-test ...): statements, summed duration,
# rows read, the largest memory of one statement, and the server's CPU seconds
# over the command (from /proc/PID/stat, so nothing else may use the server).
#   bench/clickhouse-queries.sh SERVER_DIR HTTP_PORT DB [FIRST_DAY DAYS]
# SERVER_DIR is the directory given to scripts/clickhouse-test (pid, password).
# Prints a Markdown table, then each command's three costliest statements.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 http=$2 db=$3 first=${4:-2014-03-19} days=${5:-60}
BIN=${TA_BENCH_BUILD:-build/rel}/threatatlas
export TA_CLICKHOUSE_USER=ta TA_CLICKHOUSE_PASSWORD_FILE=$dir/password
pw=$(cat "$dir/password")
pid=$(cat "$dir/pid")
sql() { curl -fsS -u "ta:$pw" "http://127.0.0.1:$http/" --data-binary "$1"; }
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$pid/stat"; }
day() { date -u -d "$first + $1 days" +%Y-%m-%d; }
last=$(day $((days - 1)))
runs=(
    "report, $days days|report --from $first --to $last --format json"
    "report, days 15-30|report --from $(day 15) --to $(day 30) --format json"
    "report, one day (day 20)|report --from $(day 20) --to $(day 20) --format json"
    "report, $days days, US->CN|report --from $first --to $last --src-cc US --dst-cc CN --format json"
    "c2-servers, $days days, 100 rows|report --from $first --to $last --format json --list c2-servers --limit 100"
    "c2-servers, $days days, all rows|report --from $first --to $last --format json --list c2-servers"
    "controlled-hosts, $days days, 100 rows|report --from $first --to $last --format json --list controlled-hosts --limit 100"
    "controlled-hosts, $days days, all rows|report --from $first --to $last --format json --list controlled-hosts"
    "c2-servers, days 15-30, 100 rows|report --from $(day 15) --to $(day 30) --format json --list c2-servers --limit 100"
    "controlled-hosts, days 15-30, 100 rows|report --from $(day 15) --to $(day 30) --format json --list controlled-hosts --limit 100"
)
echo "| command | wall s | server CPU s | statements | statements' duration s | rows read | largest memory MB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
details=""
for r in "${runs[@]}"; do
    label=${r%%|*} args=${r#*|}
    sleep 1.2
    t0=$(date -u +%s) c0=$(cpu) w0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$BIN" $args --db "clickhouse://127.0.0.1:$http/$db" >/dev/null
    w1=$(date +%s.%N) c1=$(cpu) t1=$(($(date -u +%s) + 1))
    sleep 1.2
    sql "SYSTEM FLUSH LOGS"
    where="type = 2 AND query_start_time BETWEEN toDateTime($t0) AND toDateTime($t1) AND query LIKE '%\`$db\`.%'"
    row=$(sql "SELECT count(), round(sum(query_duration_ms) / 1000, 2), sum(read_rows), round(max(memory_usage) / 1048576) FROM system.query_log WHERE $where FORMAT TSV")
    IFS=$'\t' read -r nq dur rows mem <<<"$row"
    printf '| %s | %.2f | %.2f | %s | %s | %s | %s |\n' "$label" "$(echo "$w1 - $w0" | bc)" \
        "$(echo "$c1 - $c0" | bc)" "$nq" "$dur" "$rows" "$mem"
    details+="$label:"$'\n'$(sql "SELECT query_duration_ms, read_rows, round(memory_usage / 1048576), substring(query, 1, 110) FROM system.query_log WHERE $where ORDER BY query_duration_ms DESC LIMIT 3 FORMAT TSV")$'\n'
done
echo
echo "$details"
