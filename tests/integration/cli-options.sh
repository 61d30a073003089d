#!/usr/bin/env bash
# Option handling shared by every subcommand (src/cli/cli-opts.c): a repeated
# option, a malformed date, an unknown option and a missing value are each one
# stderr line and exit status 2; --help of each command exits 0 and names it.
set -uo pipefail
BIN=${TA_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_err EXIT PATTERN args...: exit code, exactly one stderr line matching, nothing on stdout.
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

expect_err 2 'report: option --from given twice' \
    report --db "$T/a.db" --from 2014-03-19 --from 2014-03-20 --to 2014-03-21
expect_err 2 'report: option --format given twice' \
    report --db "$T/a.db" --from 2014-03-19 --to 2014-03-21 --format json --format=csv
expect_err 2 'observe: option --output given twice' observe -r "$T/x.pcap" -o a -o b
expect_err 2 "analyze: invalid --eve-types 'alert,flows'" \
    analyze -r "$T/x.pcap" --no-intel --eve-types alert,flows
expect_err 2 "analyze: --eve-types needs --format eve" \
    analyze -r "$T/x.pcap" --no-intel --format intelmq --eve-types flow
expect_err 2 "invalid --from date '2014-3-19'" report --db "$T/a.db" --from 2014-3-19 --to 2014-03-21
expect_err 2 "invalid --to date '2014-03-21T00:00'" \
    report --db "$T/a.db" --from 2014-03-19 --to 2014-03-21T00:00
expect_err 2 "invalid --since" events --db "$T/a.db" --since 14-03-19
expect_err 2 "report: unknown option '--bogus'" report --bogus
# Numbers the database cannot take are refused, not wrapped into an empty list.
for big in 9223372036854775808 18446744073709551615 99999999999999999999; do
    expect_err 2 "report: --limit: .*(out of range|not a number)" \
        report --db "$T/a.db" --from 2014-03-19 --to 2014-03-21 --list c2-servers --limit "$big"
done
expect_err 2 "observe: option '-r' needs a value" observe -r

# Bad values are usage errors; input quoted in a message cannot drive the terminal.
expect_err 2 "home country 'XYZ' is not a two-letter code" geo lookup --home XYZ 8.8.8.8
"${TA_GEN:?}" --scenario edge --out "$T/edge" >/dev/null 2>&1 || fail "edge scenario"
expect_err 2 "home country 'XYZ' is not a two-letter code" \
    analyze -r "$T/edge/basic.pcap" --no-intel --no-store --home XYZ -o "$T/alerts.json"
[[ ! -e "$T/alerts.json" ]] || fail "analyze with a bad --home wrote its output"
expect_err 2 "intel lookup: no values to look up" intel lookup --db "$T/none.db"
# The live-capture options: malformed values and combinations are usage errors.
expect_err 2 "--commit-interval must be a time from 10ms to 1h" \
    analyze -i lo --no-intel --db "$T/l.db" --commit-interval 2days
expect_err 2 "--commit-interval must be a time from 10ms to 1h" \
    analyze -i lo --no-intel --db "$T/l.db" --commit-interval 5ms
expect_err 2 "analyze: --commit-events: " analyze -i lo --no-intel --commit-events 0
expect_err 2 "--metrics serves a live capture's counters: give -i IFACE" \
    analyze -r "$T/edge/basic.pcap" --no-intel --no-store --metrics 127.0.0.1:9 -o "$T/m.json"
expect_err 2 "--metrics: '127.0.0:9' is not ADDRESS:PORT" \
    analyze -i lo --no-intel --no-store --metrics 127.0.0:9 -o "$T/m.json"
[[ ! -e "$T/m.json" ]] || fail "analyze with a bad --metrics wrote its output"
[[ ! -e "$T/l.db" ]] || fail "analyze with a bad live option created its database"
: >"$T/empty-feed.txt"
expect_err 1 "empty-feed.txt: the feed is empty" intel import --db "$T/i.db" --kind c2 \
    --format plain "$T/empty-feed.txt"
printf 'evil\033[31mname\a\n' >"$T/esc.txt"
"$BIN" intel import --db "$T/i.db" --kind c2 --format plain "$T/esc.txt" >/dev/null 2>"$T/err"
grep -q $'\033' "$T/err" && fail "an escape sequence from a feed line reached stderr"
grep -q 'evil\\x1b\[31mname\\x07' "$T/err" || fail "control characters not shown as \\xNN: $(cat -v "$T/err")"
printf '9.9.9.9\0junk\n8.8.4.4\n' >"$T/nul.txt"
"$BIN" intel import --db "$T/n.db" --kind c2 --format plain "$T/nul.txt" >/dev/null 2>"$T/err" ||
    fail "nul feed import"
grep -q 'NUL byte in the value' "$T/err" || fail "a NUL inside a value was not rejected: $(cat -v "$T/err")"
"$BIN" intel list --db "$T/n.db" | grep -q '^9\.9\.9\.9' && fail "9.9.9.9<NUL> stored as 9.9.9.9"

# geo install: a --from directory without the tarball names what is missing (not "the
# registry cannot be reached"); npm is told not to retry an unreachable registry for a minute
# (unless the user set it), so an offline install says so at once.
mkdir -p "$T/from"
expect_err 1 "geo install: .*/from has no .*\.tgz" geo install --data-dir "$T/dd" --from "$T/from"
printf '#!/bin/sh\necho "$npm_config_fetch_retries $npm_config_fetch_timeout" >>"%s/npm.env"\nexit 1\n' \
    "$T" >"$T/npm"
chmod +x "$T/npm"
THREATATLAS_NPM="$T/npm" "$BIN" geo install --data-dir "$T/dd" >/dev/null 2>&1
[[ $(head -1 "$T/npm.env" 2>/dev/null) == "0 30000" ]] || fail "npm retry settings: $(cat "$T/npm.env" 2>&1)"
: >"$T/npm.env"
npm_config_fetch_retries=5 THREATATLAS_NPM="$T/npm" "$BIN" geo install --data-dir "$T/dd" >/dev/null 2>&1
[[ $(head -1 "$T/npm.env") == "5 30000" ]] || fail "a user's npm setting was overridden: $(cat "$T/npm.env")"

# Readers never write, and a file that is not a usable database is an error.
: >"$T/empty.db"
echo "not a database" >"$T/text.db"
for db in "$T/empty.db" "$T/text.db"; do
    before=$(sha256sum <"$db")
    expect_err 1 "not a threatatlas database" report --db "$db" --from 2014-03-19 --to 2014-03-21
    expect_err 1 "not a threatatlas database" events --db "$db"
    expect_err 1 "not a threatatlas database" intel list --db "$db"
    expect_err 1 "not a threatatlas database" intel stats --db "$db"
    [[ $(sha256sum <"$db") == "$before" ]] || fail "reading $db changed it"
done
expect_err 1 "no such database" intel stats --db "$T/none.db"
[[ ! -e "$T/none.db" ]] || fail "intel stats created a database"

# Repeating a list option is how several inputs are given: not an error.
"$BIN" observe -r /nonexistent/a.pcap -r /nonexistent/b.pcap >/dev/null 2>"$T/err"
grep -q 'given twice' "$T/err" && fail "-r twice refused: $(cat "$T/err")"

for cmd in observe analyze report events intel geo; do
    "$BIN" "$cmd" --help >"$T/help" 2>&1
    rc=$?
    [[ $rc -eq 0 ]] || fail "$cmd --help exited $rc"
    grep -q "threatatlas $cmd" "$T/help" || fail "$cmd --help does not name the command: $(head -2 "$T/help")"
done

# intel and geo: each subcommand has its own table and its own --help.
for sub in "intel import" "intel list" "intel stats" "intel lookup" "intel expire" \
           "geo install" "geo lookup" "geo info"; do
    # shellcheck disable=SC2086
    "$BIN" $sub --help >"$T/help" 2>&1
    rc=$?
    [[ $rc -eq 0 ]] || fail "$sub --help exited $rc"
    grep -q "^usage: threatatlas $sub " "$T/help" || fail "$sub --help: $(head -1 "$T/help")"
done
grep -q -- '--misp-all' <<<"$("$BIN" intel import --help)" || fail "intel import --help lacks --misp-all"
grep -q -- '--misp-all' <<<"$("$BIN" intel list --help)" && fail "intel list --help shows --misp-all"
grep -q -- '--json' <<<"$("$BIN" intel stats --help)" && fail "intel stats --help shows --json"
grep -q -- '--home-nets' <<<"$("$BIN" geo lookup --help)" || fail "geo lookup --help lacks --home-nets"
grep -q -- '--home-nets' <<<"$("$BIN" geo install --help)" && fail "geo install --help shows --home-nets"
expect_err 2 "intel list: unknown option '--misp-all'" intel list --db "$T/i.db" --misp-all
expect_err 2 "intel import: option --db given twice" intel import --db a --db b x
expect_err 2 "intel import: --confidence: 101 is out of range \(1..100\)" \
    intel import --db "$T/i.db" --confidence 101 x
expect_err 2 "intel stats: --db FILE is required" intel stats
expect_err 2 "geo lookup: unknown option '--bogus'" geo lookup --bogus 192.0.2.1
expect_err 2 "geo info: unexpected argument 'x'" geo info x
expect_err 2 "geo install: option '--from' needs a value" geo install --from
# After "--" every argument is an operand, even one that looks like an option.
expect_err 2 "geo lookup: '--home' is not an IP address" geo lookup -- --home

if [[ $fails -ne 0 ]]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "info: repeated options, strict dates, unknown options and per-command --help checked (intel and geo per subcommand)"
