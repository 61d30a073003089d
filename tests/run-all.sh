#!/usr/bin/env bash
# Run every test against a build directory (default build/asan):
#   unit tests (cmocka), fuzz corpus replays, integration scripts and case folders.
# Integration scripts and cases exit 0 (pass), 77 (skip, with a reason on stdout) or
# anything else (fail). Prints one closing line: "check: N passed, N failed, N skipped".
# In CI (CI=true) nothing may skip: a test whose data or tool is missing there
# is a broken install, so a skip is counted as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/asan}
export TA_BIN="$PWD/$B/threatatlas"
export TA_GEN="$PWD/$B/threatatlas-gen"
export TA_BUILD="$PWD/$B"
export TA_SHARED_DATA=${TA_SHARED_DATA:-$PWD/../shared/data}
# The installed GeoIP data and allow list, as `make check` sets it (so a
# test run by hand finds the same data).
export THREATATLAS_DATA_DIR=${THREATATLAS_DATA_DIR:-$PWD/data}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=stdout
ONLY=${TA_TEST_ONLY:-}
IN_CI=false
[[ "${CI:-}" == true ]] && IN_CI=true

pass=0 fail=0 skip=0
failed=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

for t in "$B"/tests/test-*; do
    [[ -x "$t" ]] || continue
    name=$(basename "$t")
    [[ -n "$ONLY" && "$name" != *$ONLY* ]] && continue
    if "$t" >"$log/$name.out" 2>&1; then rc=0; else rc=$?; fi
    p=$(grep -oE '\[  PASSED  \] [0-9]+' "$log/$name.out" | grep -oE '[0-9]+$' | tail -1)
    f=$(grep -oE '\[  FAILED  \] [0-9]+' "$log/$name.out" | grep -oE '[0-9]+$' | tail -1)
    s=$(grep -oE '\[  SKIPPED \] [0-9]+' "$log/$name.out" | grep -oE '[0-9]+$' | tail -1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
    if $IN_CI && [[ $s -ne 0 ]]; then
        echo "     CI: $s skipped test(s) in $name count as failed"
        f=$((f + s)); s=0
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [[ $f -ne 0 ]]; then
        failed+=("$name"); echo "FAIL $name"; sed 's/^/    /' "$log/$name.out" | tail -40
    else
        echo "ok   $name ($p passed${s:+, $s skipped})"
        grep -E '^skip:' "$log/$name.out" | sort -u | sed 's/^/     /'
    fi
done

for r in "$B"/replay/fuzz-*; do
    [[ -x "$r" ]] || continue
    name=$(basename "$r")
    [[ -n "$ONLY" && "$name" != *$ONLY* ]] && continue
    corpus="tests/fuzz/corpus/${name#fuzz-}"
    if [[ ! -d "$corpus" ]]; then
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name: no corpus at $corpus"; continue
    fi
    if "$r" "$corpus" >"$log/$name.out" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name ($(tail -1 "$log/$name.out"))"
    else
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name"; tail -40 "$log/$name.out" | sed 's/^/    /'
    fi
done

# Integration scripts, the case runner's own test, then case folders
# (tests/integration/<case>/test.yaml, run by tests/integration/run-case.py;
# see tests/integration/README.md).
for s in tests/integration/*.sh tests/integration/run-case-test.py tests/integration/*/test.yaml; do
    [[ -f "$s" ]] || continue
    if [[ $s == *.py ]]; then
        name=$(basename "$s" .py)
        run=(python3 "$s")
    elif [[ $s == */test.yaml ]]; then
        name=$(basename "$(dirname "$s")")
        run=(python3 tests/integration/run-case.py "$(dirname "$s")")
    else
        name=$(basename "$s" .sh)
        run=(bash "$s")
    fi
    [[ -n "$ONLY" && "$name" != *$ONLY* ]] && continue
    if "${run[@]}" >"$log/$name.out" 2>&1; then rc=0; else rc=$?; fi
    case $rc in
        0) pass=$((pass + 1)); echo "ok   $name"; grep -E '^(note|info):' "$log/$name.out" | sed 's/^/     /' ;;
        77) if $IN_CI; then
                fail=$((fail + 1)); failed+=("$name")
                echo "FAIL $name (skipped in CI: $(tail -1 "$log/$name.out"))"
            else
                skip=$((skip + 1)); echo "skip $name: $(tail -1 "$log/$name.out")"
            fi ;;
        *) fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name (exit $rc)"; tail -40 "$log/$name.out" | sed 's/^/    /' ;;
    esac
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "failed: ${failed[*]}"
fi
echo "check: $pass passed, $fail failed, $skip skipped"
# A run in which nothing passed proves nothing, whatever skipped.
[[ $fail -eq 0 && $pass -gt 0 ]]
