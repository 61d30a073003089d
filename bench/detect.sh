#!/usr/bin/env bash
# Detect benchmark: `analyze` with 1,000,000 indicators loaded
# against `observe` on the same capture, medians of TA_BENCH_RUNS runs each.
#   bench/detect.sh [CAPTURE] [BUILD_DIR]
# Default capture: $TA_BENCH_PCAP, else a synthetic one (1M packets of HTTP and DNS).
# Target: analyze >= 70% of observe's packets/s (the start-up, paid once per run:
# intel index build and geolocation tables, is measured apart and left out of the ratio).
# Writes $TA_BENCH_DIR/results/detect.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${2:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
BIN="$B/threatatlas"
[[ -x $BIN ]] || { echo "$B not built (make)"; exit 77; }
work=$OUT/detect
rm -rf "$work" && mkdir -p "$work"
cap=${1:-${TA_BENCH_PCAP:-}}
if [[ -z "$cap" ]]; then
    # No capture given: synthesise one (100k HTTP/TCP flows + 100k DNS exchanges).
    cap="$work/bench.pcap"
    python3 - "$cap" <<'PY'
import struct, sys, random
random.seed(2)
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def pkt(t, src, dst, proto, l4):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    fr = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + l4
    out.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)) + fr)
def tcp(sp, dp, seq, ack, fl, data=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, fl, 65535, 0, 0) + data
t = 1700000000.0
for i in range(100000):
    c = bytes([10, random.randint(0, 255), random.randint(0, 255), random.randint(1, 254)])
    s = bytes([random.randint(11, 222), random.randint(0, 255), random.randint(0, 255), random.randint(1, 254)])
    sp = 1024 + i % 60000
    req = b"GET /p/%d HTTP/1.1\r\nHost: www.site%d.example\r\nUser-Agent: bench\r\n\r\n" % (i, i % 5000)
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\nContent-Type: text/html\r\n\r\n" + b"x" * 600
    t += 0.0005
    pkt(t, c, s, 6, tcp(sp, 80, 1000, 0, 0x02))
    pkt(t, s, c, 6, tcp(80, sp, 5000, 1001, 0x12))
    pkt(t, c, s, 6, tcp(sp, 80, 1001, 5001, 0x10))
    pkt(t, c, s, 6, tcp(sp, 80, 1001, 5001, 0x18, req))
    pkt(t, s, c, 6, tcp(80, sp, 5001, 1001 + len(req), 0x18, resp))
    pkt(t, c, s, 6, tcp(sp, 80, 1001 + len(req), 5001 + len(resp), 0x11))
    pkt(t, s, c, 6, tcp(80, sp, 5001 + len(resp), 1002 + len(req), 0x11))
    pkt(t, c, s, 6, tcp(sp, 80, 1002 + len(req), 5002 + len(resp), 0x10))
    name = b"".join(bytes([len(x)]) + x for x in [b"host%d" % i, b"example", b"com"]) + b"\0"
    q = struct.pack("!HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0) + name + b"\0\x01\0\x01"
    a = struct.pack("!HHHHHH", i & 0xffff, 0x8180, 1, 1, 0, 0) + name + b"\0\x01\0\x01" + b"\xc0\x0c\0\x01\0\x01\0\0\x0e\x10\0\x04" + s
    dns = bytes([10, 0, 0, 53])
    pkt(t, c, dns, 17, struct.pack("!HHHH", 20000 + i % 40000, 53, 8 + len(q), 0) + q)
    pkt(t, dns, c, 17, struct.pack("!HHHH", 53, 20000 + i % 40000, 8 + len(a), 0) + a)
PY
fi
[[ -f "$cap" ]] || { echo "no capture"; exit 1; }
# 1M synthetic indicators: 500k c2 IPv4 (never 10/8 or documentation space), 300k c2
# domains, 200k phishing URLs.
python3 - "$work" <<'PY'
import sys, random
random.seed(1)
d = sys.argv[1]
with open(d + "/ips.txt", "w") as f:
    for i in range(500000):
        f.write("%d.%d.%d.%d\n" % (random.randint(11, 222), random.randint(0, 255), random.randint(0, 255), random.randint(1, 254)))
with open(d + "/domains.txt", "w") as f:
    for i in range(300000):
        f.write("c2-%08x.bench-%d.example\n" % (random.getrandbits(32), i % 97))
with open(d + "/urls.txt", "w") as f:
    for i in range(200000):
        f.write("http://phish-%d.bench.example/login/%08x\n" % (i % 5000, random.getrandbits(32)))
PY
IMPORT1="$BIN intel import --db $work/i.db --allow-private --format plain --kind c2 $work/ips.txt $work/domains.txt"
IMPORT2="$BIN intel import --db $work/i.db --allow-private --format plain --kind phishing $work/urls.txt"
measure import 1 bash -c "$IMPORT1 && $IMPORT2"
measure observe "$RUNS" "$BIN" observe -r "$cap" -o /dev/null --no-stats
measure analyze "$RUNS" "$BIN" analyze -r "$cap" --db "$work/i.db" --no-store -o /dev/null
# Start-up paid once per run, left out of the ratio: the intel index build and the
# geolocation tables (both printed by analyze on stderr).
iload=$(sed -n 's/^analyze: intel loaded in \([0-9.]*\) s.*/\1/p' "$LOG/analyze.err" | median)
gload=$(sed -n 's/^analyze: geolocation loaded in \([0-9.]*\) s.*/\1/p' "$LOG/analyze.err" | median)
load=$(awk -v i="${iload:-0}" -v g="${gload:-0}" 'BEGIN {printf "%.2f", i + g}')
# analyze also times its packet phase (first packet to the last event, no start-up or teardown).
pphase=$(sed -n 's/^analyze: [0-9]* packets analysed in \([0-9.]*\) s.*/\1/p' "$LOG/analyze.err" | median)
pline=""
if [[ -n $pphase && -n ${WALL[observe]:-} ]]; then
    pratio=$(awk -v o="${WALL[observe]}" -v a="$pphase" 'BEGIN {printf "%.0f%%", 100 * o / a}')
    pline="Packet phase as analyze reports it (first packet to last event, no start-up or teardown): $pphase s, $pratio of observe's speed."
fi
pk=$(capinfos -c -M "$cap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
frag_begin "Detect: analyze against observe with 1M indicators"
frag "Capture: \`$cap\` ($pk packets; without TA_BENCH_PCAP: 100,000 HTTP/1.1 flows of 8 packets and" \
    "100,000 DNS exchanges). Indicators: 500k c2 IPv4, 300k c2 domains, 200k phishing URLs." \
    "Medians of $RUNS runs." ""
if [[ -n ${WALL[analyze]:-} && -n ${WALL[observe]:-} ]]; then
    frag "| what | wall s | CPU s | packets/s (wall) |" "|---|---:|---:|---:|" \
        "| import 1M indicators (\`intel import\`, twice, one run) | ${WALL[import]:-?} | ${CPU[import]:-?} | |" \
        "| observe (flows + app layer, EVE to /dev/null) | ${WALL[observe]} | ${CPU[observe]} | $(fmt_rate "$pk" "${WALL[observe]}") |" \
        "| analyze, 1M indicators, whole run | ${WALL[analyze]} | ${CPU[analyze]} | |" \
        "| start-up: intel index build ${iload:-?} s + geolocation tables ${gload:-?} s (from its stderr) | ${load:-?} | | |" \
        "| analyze excluding start-up | $(awk -v a="${WALL[analyze]}" -v l="${load:-0}" 'BEGIN {printf "%.2f", a - l}') | | $(fmt_rate "$pk" "$(awk -v a="${WALL[analyze]}" -v l="${load:-0}" 'BEGIN {print a - l}')") |"
    frag "" "analyze speed / observe speed (wall, start-up excluded): **$(awk -v o="${WALL[observe]}" -v a="${WALL[analyze]}" -v l="${load:-0}" 'BEGIN {printf "%.0f%%", 100 * o / (a - l)}')** (target >= 70%);" \
        "by CPU time (index build included): $(awk -v o="${CPU[observe]}" -v a="${CPU[analyze]}" 'BEGIN {printf "%.0f%%", 100 * o / a}')." \
        "$pline" \
        "" "Commands: \`$IMPORT1\`; \`$IMPORT2\`; \`${CMD[observe]}\`; \`${CMD[analyze]}\`."
fi
cleanup "$work"
frag_end
