# The setup the live-capture scripts share (live-*.sh, sensor-config.sh),
# sourced by them; not a test itself (run-all.sh runs *.sh).
#
# live_setup [netns]: skips (exit 77, a failure in CI) without python3 or,
# with netns, without unshare, ip or the right to make a network namespace;
# then sets
#   here     this folder        traffic  live-traffic.py as a command
#   tmp      a scratch folder, removed at exit unless KEEP is set
#   pid spid a capture and a server the script starts, killed at exit
#   port     a port in 40000-59999 for the test's traffic; mport the next one
live_setup() {
    : "${TA_BIN:?}"
    command -v python3 >/dev/null || { echo "python3 absent"; exit 77; }
    if [[ ${1:-} == netns ]]; then
        command -v unshare >/dev/null || { echo "unshare (util-linux) absent"; exit 77; }
        command -v ip >/dev/null || { echo "ip (iproute2) absent"; exit 77; }
        unshare -n true 2>/dev/null || { echo "network namespaces not permitted here"; exit 77; }
    fi
    here=$(cd "$(dirname "$0")" && pwd)
    traffic=(python3 "$here/live-traffic.py")
    tmp=$(mktemp -d)
    pid= spid=
    trap '[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; [[ -n $spid ]] && kill "$spid" 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
    port=$((40000 + RANDOM % 20000))
    mport=$((port + 1))
}

# fail MESSAGE: the message, the end of the capture's stderr and log, exit 1.
fail() {
    echo "FAIL: $*"
    local f
    for f in "$tmp/err" "$tmp/log"; do
        [[ -f $f ]] && sed "s|^|  $(basename "$f"): |" "$f" | tail -8
    done
    exit 1
}

# live_skip_unpermitted FILE...: exit 77 when the files say this user may not capture here.
live_skip_unpermitted() {
    if grep -qi "cannot capture\|permitted\|permission\|no such device" "$@" 2>/dev/null; then
        echo "live capture not permitted here: $(cat "$@" 2>/dev/null | head -1)"
        exit 77
    fi
}

# live_wait_run [N0 [SECS]]: until $tmp/log says a run is live on lo more
# than N0 (default 0) times, within SECS (default 10) seconds; a capture
# ($pid) that ends first is a skip where capture is not permitted, else a
# failure.
live_wait_run() {
    local n0=${1:-0} secs=${2:-10}
    for _ in $(seq 1 $((secs * 10))); do
        [[ $(cat "$tmp/log" 2>/dev/null | grep -c "is live on lo") -gt $n0 ]] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            pid=
            live_skip_unpermitted "$tmp/err" "$tmp/log"
            fail "the sensor ended before its run was live"
        fi
        sleep 0.1
    done
    fail "the sensor's run was not live within $secs s"
}
