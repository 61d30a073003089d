#!/usr/bin/env bash
# make bench: run every benchmark built from bench/*.c (build/rel/bench/*),
# printing its figures and keeping a copy in bench/out/<name>.txt.
# A benchmark that exits 77 lacks its data and is reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
for b in build/rel/bench/*; do
    [[ -x "$b" ]] || continue
    name=$(basename "$b")
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
