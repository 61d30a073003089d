#!/usr/bin/env bash
# report --format html, opened in a real browser (headless Chromium): the
# numbers in the DOM equal the JSON report's and the evidence lists', the
# statement is the text report's, every country with events has a shape on
# the map, and the page logs nothing and fetches nothing (html-check.py, which
# first proves on a control page that it sees a request and a console message).
# Also: the Chinese page, and the errors (no map data, bad --lang, --list).
set -uo pipefail
BIN=${TA_BIN:?}
FILL=${TA_BUILD:?}/bench/bench-report
HERE=$(cd "$(dirname "$0")" && pwd)
skip() {
    echo "$1"
    exit 77
}
command -v python3 >/dev/null || skip "python3 is not installed"
[[ -x "$FILL" ]] || skip "bench-report not built ($FILL)"
CHROMIUM=${TA_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n "$CHROMIUM" ]] || skip "chromium is not installed (apt-get install chromium; make deps does)"
DD=${THREATATLAS_DATA_DIR:-}
[[ -n "$DD" && -f "$DD/geo/world-atlas/countries-50m.json" &&
    -f "$DD/geo/i18n-iso-countries/codes.json" ]] ||
    skip "map data not installed in \$THREATATLAS_DATA_DIR (threatatlas geo install)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

"$FILL" --events 3000 --days 3 --db "$T/a.db" --keep >/dev/null || {
    echo "FAIL: fill"
    exit 1
}
P=(--db "$T/a.db" --from 2014-03-19 --to 2014-03-21)

# Errors: one line, an exit status, no file left behind.
"$BIN" report "${P[@]}" --format html --lang fr -o "$T/x.html" 2>"$T/err"
[[ $? -eq 2 && $(wc -l <"$T/err") -eq 1 ]] && grep -q "invalid --lang 'fr'" "$T/err" ||
    fail "bad --lang: $(cat "$T/err")"
"$BIN" report "${P[@]}" --format html --list c2-servers 2>"$T/err"
[[ $? -eq 2 ]] && grep -q "the html report links to the lists" "$T/err" || fail "html --list: $(cat "$T/err")"
mkdir -p "$T/empty"
"$BIN" report "${P[@]}" --format html --data-dir "$T/empty" -o "$T/x.html" 2>"$T/err"
[[ $? -eq 1 && $(wc -l <"$T/err") -eq 1 && ! -e "$T/x.html" ]] &&
    grep -q "run threatatlas geo install" "$T/err" || fail "no map data: $(cat "$T/err")"

"$BIN" report "${P[@]}" --format html -o "$T/r.html" || fail "html exit"
"$BIN" report "${P[@]}" --format html --lang zh -o "$T/zh.html" || fail "html zh exit"
"$BIN" report "${P[@]}" --format json >"$T/r.json" || fail "json exit"
"$BIN" report "${P[@]}" >"$T/r.txt" || fail "text exit"
# The evidence lists behind the map, and per day behind the series.
{
    echo '{'
    for l in c2-servers controlled-hosts phishing-hosts backdoor-sources; do
        echo "\"$l\": $("$BIN" report "${P[@]}" --list $l --format json),"
    done
    echo '"days": {'
    for d in 2014-03-19 2014-03-20 2014-03-21; do
        echo "\"$d\": {"
        for l in c2-servers phishing-hosts backdoor-sources; do
            n=$("$BIN" report --db "$T/a.db" --from $d --to $d --list $l --format csv | tail -n +2 | wc -l)
            echo "\"$l\": $n$([[ $l != backdoor-sources ]] && echo ,)"
        done
        echo "}$([[ $d != 2014-03-21 ]] && echo ,)"
    done
    echo '}}'
} >"$T/lists.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/lists.json" || fail "lists.json"

cat >"$T/control.html" <<'EOF'
<!DOCTYPE html><html><body><img src="http://198.51.100.7/x.png">
<script>console.error("control page");</script></body></html>
EOF
python3 "$HERE/html-check.py" "$CHROMIUM" "$T/r.html" "$T/r.json" "$T/lists.json" "$T/r.txt" \
    --control "$T/control.html" || fail "English page"
python3 "$HERE/html-check.py" "$CHROMIUM" "$T/zh.html" "$T/r.json" "$T/lists.json" - ||
    fail "Chinese page"
# The Chinese page names countries in Chinese, in the statement too.
grep -q '<html lang="zh-CN">' "$T/zh.html" && grep -q '位于美国的' "$T/zh.html" ||
    fail "Chinese page: no Chinese statement"
# The page carries the credits.
grep -q 'ip-location-db (CC BY 4.0)' "$T/r.html" && grep -q 'Natural Earth' "$T/r.html" ||
    fail "credits missing"

[[ $fails -eq 0 ]] || exit 1
echo "report-html: ok"
