#!/usr/bin/env bash
# App-layer compatibility on the third-party captures (skips without them):
#  1. suricata-verify test.yaml checks for the dns/http/tls fields we emit;
#  2. field-by-field agreement with tshark (>= 99.5%, every disagreement listed);
#  3. Zeek baseline logs as a second oracle for HTTP and TLS.
# The observer is `threatatlas observe` (engine + app layer); the standalone
# driver bench/proto-observe is checked against suricata-verify as well.
set -uo pipefail
D=${TA_SHARED_DATA:-../shared/data}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d "$D/suricata-verify" ]]; then echo "skip: $D/suricata-verify is absent"; exit 77; fi
if ! python3 -c 'import yaml' 2>/dev/null; then echo "skip: python3-yaml is not installed"; exit 77; fi
obs=("$TA_BIN" observe --no-stats -r)
drv=("$TA_BUILD/bench/proto-observe")
rc=0
if [[ -x "${drv[0]}" ]]; then
    out=$(python3 "$here/proto/sv-checks.py" "$D/suricata-verify" "${drv[@]}")
    echo "note: standalone driver: $(tail -1 <<<"$out")"
fi
out=$(python3 "$here/proto/sv-checks.py" "$D/suricata-verify" "${obs[@]}")
echo "$out"
line=$(tail -1 <<<"$out")
pass=$(sed -E 's/.* ([0-9]+)\/([0-9]+) .*/\1/' <<<"$line")
total=$(sed -E 's/.* ([0-9]+)\/([0-9]+) .*/\2/' <<<"$line")
echo "note: suricata-verify checks: $pass/$total"
grep '^note: flow app_proto' <<<"$out"
# Every applicable check passes (not-applicable ones are listed as skips).
if (( total == 0 || pass != total )); then echo "suricata-verify: $((total - pass)) checks fail"; rc=1; fi
if command -v tshark >/dev/null; then
    out=$(python3 "$here/proto/tshark-compare.py" "$D" "${obs[@]}") || rc=1
    echo "$out"
    echo "note: $(tail -1 <<<"$out")"
else
    echo "note: tshark absent, tshark comparison skipped"
fi
if [[ -d "$D/zeek-traces" ]]; then
    out=$(python3 "$here/proto/zeek-compare.py" "$D/zeek-traces" "${obs[@]}")
    echo "$out"
    echo "note: $(tail -1 <<<"$out")"
    grep -q "(100.00%)" <<<"$(tail -1 <<<"$out")" || rc=1
fi
exit $rc
