#!/usr/bin/env bash
# make bench: run every per-area benchmark script bench/*.sh (core.sh: packets
# to flows; intel.sh...), then every benchmark built from bench/*.c
# (build/rel/bench/*) that no script drives, printing its figures and keeping
# a copy in bench/out/<name>.txt.
# A benchmark that exits 77 lacks its data and is reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
for s in bench/*.sh; do
    [[ "$s" == bench/run.sh ]] && continue
    name=$(basename "$s" .sh)
    echo "== $s"
    bash "$s" 2>&1 | tee "bench/out/$name.sh.txt"
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 77 ]]; then
        echo "skip $s: its data is missing (see above)"
    elif [[ $rc -ne 0 ]]; then
        echo "FAIL $s (exit $rc)"
        status=1
    fi
done
for b in build/rel/bench/*; do
    [[ -x "$b" ]] || continue
    name=$(basename "$b")
    # Programs run by a script above (with their arguments) are not run bare.
    if grep -qw -- "$name" $(ls bench/*.sh | grep -v '^bench/run.sh$') 2>/dev/null; then
        continue
    fi
    echo "== $name"
    "$b" 2>&1 | tee "bench/out/$name.txt"
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 77 ]]; then
        echo "skip $name: its data is missing (see above)"
    elif [[ $rc -ne 0 ]]; then
        echo "FAIL $name (exit $rc)"
        status=1
    fi
done
exit $status
