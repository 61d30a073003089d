#!/usr/bin/env bash
# Flow records: how fast NetFlow v9 and IPFIX export records are decoded, and
# the peers on the same records here.
#   ours        bench-flows FILE PASSES: the flows reader (threatatlas/obsrc.h) over the
#               export capture in the page cache: UDP decoded, records decoded and
#               counted (no output)
#   observe     threatatlas observe --input flows -r FILE -o /dev/null: capture read,
#               decode, EVE netflow records written
#   libfixbuf   bench/peers/fixbuf-read (CERT NetSA's IPFIX library) over the same IPFIX
#               messages back to back (built here when libfixbuf-dev is installed)
#   nfdump      the records replayed over UDP to nfcapd on 127.0.0.1, then nfdump -r FILE
#               (-o csv: every record formatted; -s proto: read and aggregated)
# The records: threatatlas-gen's national scenario (TA_BENCH_FLOWS_SCALE, default 0.05)
# written as exports (--export netflow9,ipfix). Robustness: TA_BENCH_FLOWS_MUTANTS
# (default 200) copies of the IPFIX messages with random bytes changed, read by
# libfixbuf and by our decoder's fuzz target (ASan build): crashes counted.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
SCALE=${TA_BENCH_FLOWS_SCALE:-0.05}
PASSES=${TA_BENCH_FLOWS_PASSES:-5}
MUTANTS=${TA_BENCH_FLOWS_MUTANTS:-200}
[[ -x $B/threatatlas-gen && -x $B/bench/bench-flows ]] || { echo "$B not built (make)"; exit 77; }
D=$OUT/flows-$SCALE
if [[ ! -s $D/s/pcap/2014-03-19.ipfix.pcap ]]; then
    rm -rf "$D"
    $B/threatatlas-gen --scenario national --scale "$SCALE" --from 2014-03-19 --to 2014-03-19 \
        --seed 7 --out "$D/s" --quiet --export netflow9,ipfix || exit 1
fi
V9=$D/s/pcap/2014-03-19.netflow9.pcap
IPFIX=$D/s/pcap/2014-03-19.ipfix.pcap
$B/bench/bench-flows "$IPFIX" --payloads "$D/ipfix.bin" || exit 1
declare -A REC SECS CPUS
ours() { # key file
    local i
    for ((i = 0; i < RUNS; i++)); do $B/bench/bench-flows "$2" "$PASSES"; done >"$LOG/$1.runs"
    REC[$1]=$(awk -v p="$PASSES" 'NR == 1 {print $1 * p}' "$LOG/$1.runs")
    SECS[$1]=$(awk '{print $3}' "$LOG/$1.runs" | median)
    CPUS[$1]=$(awk '{print $4}' "$LOG/$1.runs" | median)
}
ours v9 "$V9"
ours ipfix "$IPFIX"
NREC=$(awk 'NR == 1 {print $1}' "$LOG/ipfix.runs")
measure observe "$RUNS" $B/threatatlas observe --no-stats --input flows -r "$IPFIX" -o /dev/null

FIXBUF=""
if pkg-config --exists libfixbuf 2>/dev/null && [[ " ${TA_BENCH_SKIP:-} " != *" libfixbuf "* ]]; then
    FIXBUF=$OUT/fixbuf-read
    # shellcheck disable=SC2046
    cc -O2 -o "$FIXBUF" bench/peers/fixbuf-read.c $(pkg-config --cflags --libs libfixbuf) || FIXBUF=""
    if [[ -n $FIXBUF ]]; then
        for ((i = 0; i < RUNS; i++)); do "$FIXBUF" "$D/ipfix.bin" "$PASSES"; done >"$LOG/fixbuf.runs"
        REC[fixbuf]=$(awk -v p="$PASSES" 'NR == 1 {print $1 * p}' "$LOG/fixbuf.runs")
        SECS[fixbuf]=$(awk '{print $2}' "$LOG/fixbuf.runs" | median)
    fi
else
    SKIPPED+=("libfixbuf: libfixbuf-dev not installed (scripts/install-deps --bench)")
fi

NFREC=""
if have nfcapd && have nfdump; then
    NFD=$D/nfcapd
    rm -rf "$NFD"
    mkdir -p "$NFD"
    port=$((20000 + RANDOM % 20000))
    nfcapd -b 127.0.0.1 -p $port -w "$NFD" -B 8000000 -t 3600 >"$LOG/nfcapd.log" 2>&1 &
    npid=$!
    sleep 1
    # The IPFIX datagrams replayed, paced so that the socket buffer keeps up.
    python3 - "$D/ipfix.bin" $port <<'PY'
import socket, struct, sys, time
data = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
off, n = 0, 0
while off + 4 <= len(data):
    ln = struct.unpack(">H", data[off + 2:off + 4])[0]
    s.sendto(data[off:off + ln], ("127.0.0.1", int(sys.argv[2])))
    off += ln
    n += 1
    if n % 64 == 0:
        time.sleep(0.002)
PY
    sleep 1
    kill -TERM $npid
    wait $npid 2>/dev/null
    NFFILE=$(ls "$NFD"/nfcapd.* 2>/dev/null | grep -v current | head -1)
    if [[ -n $NFFILE ]]; then
        NFREC=$(nfdump -r "$NFFILE" -q -o csv 2>/dev/null | grep -c '^[0-9]')
        # As many copies as our passes, read by one process: its start-up weighs little.
        mkdir -p "$NFD/passes"
        for ((i = 1; i <= PASSES; i++)); do cp "$NFFILE" "$NFD/passes/nfcapd.20140319000$i"; done
        NFALL=$((NFREC * PASSES))
        measure nfdump_csv 1 nfdump -r "$NFFILE" -q -o csv
        measure nfdump_read "$RUNS" nfdump -R "$NFD/passes" -q -s proto
    else
        FAILED+=("nfcapd wrote no file (see $LOG/nfcapd.log)")
    fi
fi

# Robustness: the same mutants to libfixbuf and to our decoder under ASan.
ROB=""
FUZZ=${TA_BENCH_FUZZ_REPLAY:-build/asan/replay/fuzz-flows}
if [[ -n $FIXBUF && -x $FUZZ ]]; then
    MD=$D/mutants
    rm -rf "$MD"
    mkdir -p "$MD"
    python3 - "$D/ipfix.bin" "$MD" "$MUTANTS" <<'PY'
import random, struct, sys
data = open(sys.argv[1], "rb").read()
msgs, off = [], 0
while off + 4 <= len(data):
    ln = struct.unpack(">H", data[off + 2:off + 4])[0]
    msgs.append(bytearray(data[off:off + ln]))
    off += ln
rng = random.Random(5)
for i in range(int(sys.argv[3])):
    pick = [bytearray(m) for m in msgs[:40]]
    for m in pick:
        for _ in range(rng.randint(0, 3)):
            m[rng.randrange(len(m))] = rng.randrange(256)
    with open("%s/%d.ipfix" % (sys.argv[2], i), "wb") as f:
        f.write(b"".join(bytes(m) for m in pick))
    with open("%s/%d.framed" % (sys.argv[2], i), "wb") as f:
        for m in pick:
            f.write(bytes([1]) + struct.pack(">H", len(m)) + bytes(m))
PY
    fb_crash=0 fb_refused=0 our_crash=0
    for ((i = 0; i < MUTANTS; i++)); do
        "$FIXBUF" "$MD/$i.ipfix" >/dev/null 2>&1
        rc=$?
        [[ $rc -ge 128 ]] && fb_crash=$((fb_crash + 1))
        [[ $rc -eq 1 ]] && fb_refused=$((fb_refused + 1))
        "$FUZZ" "$MD/$i.framed" >/dev/null 2>&1 || our_crash=$((our_crash + 1))
    done
    ROB="$MUTANTS mutants (the first 40 messages, 0-3 random bytes changed in each): libfixbuf crashed on $fb_crash and stopped reading with an error on $fb_refused (what followed the bad message was lost); our decoder (fuzz target, ASan+UBSan, properties checked) failed on $our_crash and reads on after a bad message."
    cleanup "$MD"
else
    SKIPPED+=("robustness: needs libfixbuf and $FUZZ (make VARIANT=asan tests)")
fi

frag_begin "Flow records: NetFlow v9 and IPFIX decoding, libfixbuf and nfdump"
frag "Flow export records decoded per second, one core (median of $RUNS runs; ours reads the export capture $PASSES times from the page cache). Records: \`threatatlas-gen --scenario national --scale $SCALE --export netflow9,ipfix\`, $NREC records in one day's export." ""
frag "| reader | records | wall s | CPU s | records/s (wall) | records/s per core (CPU) |" "|---|---|---|---|---|---|"
frag "| ours, NetFlow v9 | ${REC[v9]} | ${SECS[v9]} | ${CPUS[v9]} | $(fmt_rate "${REC[v9]}" "${SECS[v9]}") | $(fmt_rate "${REC[v9]}" "${CPUS[v9]}") |"
frag "| ours, IPFIX (an enterprise and a variable-length element per record) | ${REC[ipfix]} | ${SECS[ipfix]} | ${CPUS[ipfix]} | $(fmt_rate "${REC[ipfix]}" "${SECS[ipfix]}") | $(fmt_rate "${REC[ipfix]}" "${CPUS[ipfix]}") |"
[[ -n ${WALL[observe]:-} ]] && frag "| threatatlas observe --input flows (IPFIX capture read, EVE written) | $NREC | ${WALL[observe]} | ${CPU[observe]} | $(fmt_rate "$NREC" "${WALL[observe]}") | $(fmt_rate "$NREC" "${CPU[observe]}") |"
[[ -n ${SECS[fixbuf]:-} ]] && frag "| libfixbuf 2.4 (IPFIX) | ${REC[fixbuf]} | ${SECS[fixbuf]} | - | $(fmt_rate "${REC[fixbuf]}" "${SECS[fixbuf]}") | - |"
[[ -n ${WALL[nfdump_read]:-} ]] && frag "| nfdump 1.7 -R (the nfcapd file $PASSES times) -s proto | $NFALL | ${WALL[nfdump_read]} | ${CPU[nfdump_read]} | $(fmt_rate "$NFALL" "${WALL[nfdump_read]}") | $(fmt_rate "$NFALL" "${CPU[nfdump_read]}") |"
[[ -n ${WALL[nfdump_csv]:-} ]] && frag "| nfdump 1.7 -r -o csv | $NFREC | ${WALL[nfdump_csv]} | ${CPU[nfdump_csv]} | $(fmt_rate "$NFREC" "${WALL[nfdump_csv]}") | $(fmt_rate "$NFREC" "${CPU[nfdump_csv]}") |"
frag "" "nfdump and observe are whole processes (start-up included; nfdump reads its own binary files, which nfcapd decoded, with worker threads: CPU is summed over them); ours and libfixbuf time their loops (libfixbuf: wall clock only). On a shared machine the CPU column is the one to compare."
[[ -n $ROB ]] && frag "" "Robustness: $ROB"
frag_end
