#!/usr/bin/env bash
# events --format stix|misp: the STIX 2.1 bundle validates against the OASIS
# STIX 2.1 JSON schemas (../shared/data/stix2-json-schemas, python3-jsonschema);
# both exports hold exactly the indicators of the evidence lists (with the
# period and country filters), with their first/last seen and event counts,
# the TLP chosen and the organisation; a round trip through `intel import`
# gives back the same indicators; output is deterministic; option errors are
# one line and exit 2.
set -uo pipefail
BIN=${TA_BIN:?}
FILL=${TA_BUILD:?}/bench/bench-report
SCHEMAS=${TA_SHARED_DATA:-../shared/data}/stix2-json-schemas
HERE=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
[[ -x "$FILL" ]] || { echo "bench-report not built ($FILL)"; exit 77; }
[[ -d "$SCHEMAS/schemas" ]] || { echo "STIX 2.1 schemas not found at $SCHEMAS"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null ||
    { echo "python3-jsonschema is not installed (make deps installs it)"; exit 77; }
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
    [[ $(wc -l <"$T/err") -eq 1 ]] || fail "'$*' wrote $(wc -l <"$T/err") stderr lines"
    grep -qE -- "$pat" "$T/err" || fail "'$*' stderr '$(cat "$T/err")' lacks '$pat'"
}

"$FILL" --events 3000 --days 3 --db "$T/a.db" --keep >/dev/null || { echo "FAIL: fill"; exit 1; }
E=(events --db "$T/a.db")
expect_err 2 "invalid --tlp 'purple'" "${E[@]}" --format stix --tlp purple
expect_err 2 "not payload" "${E[@]}" --format misp --type payload
expect_err 2 "invalid --from date '2014-02-30x'" "${E[@]}" --format stix --from 2014-02-30x
expect_err 2 "is after --to" "${E[@]}" --format stix --from 2014-03-21 --to 2014-03-19
expect_err 2 "invalid --src-cc 'USA'" "${E[@]}" --format misp --src-cc USA
expect_err 2 "apply to --format stix or misp" "${E[@]}" --format eve --src-cc US
expect_err 2 "expected eve, intelmq, csv, stix or misp" "${E[@]}" --format xml

# Export whole and filtered, with the lists they must equal.
run_case() { # name, filter args...
    local name=$1
    shift
    "$BIN" "${E[@]}" --format stix --tlp green --org "Example CERT" "$@" >"$T/$name.stix.json" ||
        fail "$name: stix exit"
    "$BIN" "${E[@]}" --format misp --tlp green --org "Example CERT" "$@" >"$T/$name.misp.json" ||
        fail "$name: misp exit"
    # The lists with the same filters (the report has no --type: a kind
    # left out has an empty list).
    local lf=() type="" have_from=false
    while [[ $# -gt 0 ]]; do
        case $1 in
            --type) type=$2 ;;
            --from) have_from=true; lf+=("$1" "$2") ;;
            *) lf+=("$1" "$2") ;;
        esac
        shift 2
    done
    $have_from || lf+=(--from 2014-03-01 --to 2014-04-30)
    {
        echo '{'
        for l in c2-servers phishing-pages backdoor-sources; do
            case "$type:$l" in
                :* | c2:c2-servers | phishing:phishing-pages | backdoor:backdoor-sources)
                    echo "\"$l\": $("$BIN" report --db "$T/a.db" "${lf[@]}" --list $l --format json)," ;;
            esac
        done
        echo '"_": 0}'
    } >"$T/$name.lists.json"
    python3 "$HERE/share-check.py" "$SCHEMAS" "$T/$name.stix.json" "$T/$name.misp.json" \
        "$T/$name.lists.json" || fail "$name: content"
    # Round trip: what intel import reads back is what was exported.
    rm -f "$T/$name"-rt*.db*
    "$BIN" intel import --db "$T/$name-rts.db" "$T/$name.stix.json" >/dev/null || fail "$name: stix import"
    "$BIN" intel import --db "$T/$name-rtm.db" "$T/$name.misp.json" >/dev/null || fail "$name: misp import"
    "$BIN" intel list --db "$T/$name-rts.db" --json >"$T/$name.rts.json"
    "$BIN" intel list --db "$T/$name-rtm.db" --json >"$T/$name.rtm.json"
    python3 "$HERE/share-check.py" --roundtrip "$T/$name.stix.json" "$T/$name.rts.json" \
        "$T/$name.misp.json" "$T/$name.rtm.json" || fail "$name: round trip"
}
run_case all
run_case us-day --from 2014-03-20 --to 2014-03-20 --src-cc US
run_case c2-cn --type c2 --dst-cc CN
run_case phishing --type phishing
# The same export twice is the same bytes (content-derived ids).
"$BIN" "${E[@]}" --format stix --tlp green --org "Example CERT" | cmp -s - "$T/all.stix.json" ||
    fail "stix output not deterministic"
# An empty period is a valid, empty bundle and event.
"$BIN" "${E[@]}" --format stix --from 2010-01-01 --to 2010-01-02 >"$T/empty.stix.json" &&
    "$BIN" "${E[@]}" --format misp --from 2010-01-01 --to 2010-01-02 >"$T/empty.misp.json" &&
    python3 - "$T/empty.stix.json" "$T/empty.misp.json" <<'EOF' || fail "empty period"
import json, sys
b = json.load(open(sys.argv[1]))
assert [o["type"] for o in b["objects"]] == ["marking-definition", "identity"], b
m = json.load(open(sys.argv[2]))
assert m["Event"]["Attribute"] == [], m
EOF

[[ $fails -eq 0 ]] || exit 1
echo "share-export: ok"
