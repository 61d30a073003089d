#!/usr/bin/env bash
# The systemd units in dist/systemd and the example configuration:
#  - systemd-analyze verify finds nothing wrong (with the binary under test);
#  - the sensor runs unprivileged with only CAP_NET_RAW and CAP_NET_ADMIN,
#    hardened, restarted on failure, reloaded by SIGHUP; the fetch service
#    holds no capability and reloads the sensor; the timer starts the fetch;
#  - every key of dist/threatatlas.yaml is accepted by the commands that
#    read it (sensor options, feed keys).
set -uo pipefail
: "${TA_BIN:?}"
here=$(cd "$(dirname "$0")" && pwd)
dist="$here/../../dist"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

if command -v systemd-analyze >/dev/null; then
    for u in "$dist"/systemd/*; do
        sed "s|/usr/local/bin/threatatlas|$TA_BIN|" "$u" >"$tmp/$(basename "$u")"
    done
    (cd "$tmp" && systemd-analyze verify --man=no ./threatatlas-sensor.service \
        ./threatatlas-fetch.service ./threatatlas-fetch.timer) >"$tmp/verify" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$tmp/verify")"
    [[ ! -s $tmp/verify ]] || fail "systemd-analyze verify: $(cat "$tmp/verify")"
elif [[ "${CI:-}" == true ]]; then
    fail "systemd-analyze absent (package systemd)"
else
    echo "skip: systemd-analyze absent; checking the keys only"
fi

# key UNIT KEY VALUE: the unit sets KEY to exactly VALUE.
key() { grep -qx "$2=$3" "$dist/systemd/$1" || fail "$1: no $2=$3"; }
s=threatatlas-sensor.service
key $s DynamicUser yes
key $s AmbientCapabilities "CAP_NET_RAW CAP_NET_ADMIN"
key $s CapabilityBoundingSet "CAP_NET_RAW CAP_NET_ADMIN"
key $s NoNewPrivileges yes
key $s ProtectSystem strict
key $s ReadWritePaths "/var/lib/threatatlas /var/log/threatatlas"
key $s Restart on-failure
key $s ExecReload '/bin/kill -HUP $MAINPID'
key $s ExecStart "/usr/local/bin/threatatlas sensor --config /etc/threatatlas/threatatlas.yaml"
f=threatatlas-fetch.service
key $f Type oneshot
key $f DynamicUser yes
key $f CapabilityBoundingSet ""
key $f NoNewPrivileges yes
key $f ProtectSystem strict
key $f ReadWritePaths /var/lib/threatatlas
key $f ExecStart "/usr/local/bin/threatatlas intel fetch --config /etc/threatatlas/threatatlas.yaml"
grep -q "^ExecStopPost=+.*try-reload-or-restart.*threatatlas-sensor.service" "$dist/systemd/$f" ||
    fail "$f does not reload the sensor"
key threatatlas-fetch.timer OnUnitActiveSec 1h
[[ $(grep -c "^Restart=" "$dist/systemd/$f") == 0 ]] || fail "$f: a oneshot fetch restarts"

# The example configuration: the sensor accepts every key (it fails later,
# at the capture or the database, never at the configuration).
cfg="$tmp/conf.yaml"
sed -e "s|/var/lib/threatatlas/atlas.db|$tmp/atlas.db|" -e "s|/var/log/threatatlas|$tmp|" \
    -e "s|eth0|ta-no-such-if0|" "$dist/threatatlas.yaml" >"$cfg"
"$TA_BIN" sensor --config "$cfg" 2>"$tmp/err"
rc=$?
[[ $rc == 1 ]] || fail "sensor with the example config: exit $rc, want 1: $(cat "$tmp/err" "$tmp/sensor.log" 2>/dev/null)"
grep -q "cannot capture on interface ta-no-such-if0" "$tmp/sensor.log" ||
    fail "the example config: $(cat "$tmp/err" "$tmp/sensor.log" 2>/dev/null)"
# The feeds: --only with an unknown name is refused only after every feed parsed.
"$TA_BIN" intel fetch --config "$cfg" --db "$tmp/f.db" --only nosuch 2>"$tmp/err"
rc=$?
[[ $rc == 2 ]] || fail "intel fetch --only nosuch: exit $rc"
grep -q "has no feed named nosuch" "$tmp/err" || fail "feeds of the example: $(cat "$tmp/err")"
echo "ok"
