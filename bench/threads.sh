#!/usr/bin/env bash
# Worker threads: observe and analyze (--no-intel, packet phase) with --threads 1, 2 and N
# (the online cores) on the mixed and appmix captures of `core` and `proto` (1 GB each by
# default), runs interleaved (1, 2, N, 1, 2, N, ...) so that a change in the machine's load
# hits every thread count alike. analyze's rate is its own "packets analysed in S s" line (the
# packet phase, without loading intel or GeoIP); observe's is packets per wall second of the
# whole process. Speed-up: the median rate over the median rate with one thread. --threads T is
# T threads in all, the reading thread among them (docs/design/workers.md).
#   bench/threads.sh [SIZE_MB] [BUILD_DIR]   (default TA_BENCH_THREADS_MB or 1024; build/rel)
# Writes $TA_BENCH_DIR/results/threads.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${2:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
MB=${1:-${TA_BENCH_THREADS_MB:-1024}}
[[ -x $B/threatatlas-gen && -x $B/threatatlas ]] || { echo "$B not built (make)"; exit 77; }
NC=$(nproc)
THREADS=(1 2)
[[ $NC -gt 2 ]] && THREADS+=("$NC")

# The same captures as core.sh and proto.sh (same names, seeds and sizes), reused when kept.
MIX=$OUT/mixed-${MB}M/mixed.pcap
if [[ ! -s $MIX ]]; then
    "$B/threatatlas-gen" --scenario mixed --size "${MB}M" --out "$OUT/mixed-${MB}M" --seed 42 --quiet || exit 1
fi
APP=$OUT/appmix-${MB}M.pcap
if [[ ! -s $APP ]]; then
    "$B/threatatlas-gen" --scenario appmix --size "${MB}M" --seed 42 --out "$APP.d" --quiet &&
        mv "$APP.d/appmix.pcap" "$APP" && rm -rf "$APP.d" || exit 1
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)

declare -A PK RATES CPUS
for cap in mixed appmix; do
    f=$MIX
    [[ $cap == appmix ]] && f=$APP
    PK[$cap]=$(capinfos -c -M "$f" 2>/dev/null | awk '/Number of packets/ {print $NF}')
    cat "$f" >/dev/null # the page cache, for every run alike
    for ((i = 0; i < RUNS; i++)); do
        for th in "${THREADS[@]}"; do
            k=$cap.observe.$th
            CMD[$k]="$B/threatatlas observe --threads $th -r $f -o /dev/null"
            if /usr/bin/time -f "%e %U %S" -o "$LOG/$k.t" $B/threatatlas observe --threads "$th" \
                -r "$f" -o /dev/null 2>"$LOG/$k.err"; then
                awk -v p="${PK[$cap]}" '{print p / $1, $2 + $3}' "$LOG/$k.t" >>"$LOG/$k.runs"
            else
                FAILED+=("$k: \`${CMD[$k]}\` failed; see $LOG/$k.err")
            fi
            k=$cap.analyze.$th
            CMD[$k]="$B/threatatlas analyze --threads $th --no-intel -r $f -o /dev/null"
            if /usr/bin/time -f "%e %U %S" -o "$LOG/$k.t" $B/threatatlas analyze --threads "$th" \
                --no-intel -r "$f" -o /dev/null 2>"$LOG/$k.err"; then
                # "analyze: N packets analysed in S s (R packets/s)": the packet phase.
                r=$(grep -oE 'analysed in [0-9.]+ s' "$LOG/$k.err" | awk '{print $3}')
                awk -v p="${PK[$cap]}" -v s="$r" '{print p / s, $2 + $3}' "$LOG/$k.t" >>"$LOG/$k.runs"
            else
                FAILED+=("$k: \`${CMD[$k]}\` failed; see $LOG/$k.err")
            fi
        done
    done
done
for k in "${!CMD[@]}"; do
    [[ -s $LOG/$k.runs ]] || continue
    RATES[$k]=$(awk '{print $1}' "$LOG/$k.runs" | median)
    CPUS[$k]=$(awk '{print $2}' "$LOG/$k.runs" | median)
    rm -f "$LOG/$k.runs" "$LOG/$k.t"
done

frag_begin "Worker threads"
frag "Captures: \`$MIX\` (${PK[mixed]} packets; \`threatatlas-gen --scenario mixed --size ${MB}M --seed 42\`) and" \
    "\`$APP\` (${PK[appmix]} packets; \`--scenario appmix\`), from the page cache. Medians of $RUNS" \
    "interleaved runs. observe: packets per wall second of the process; analyze \`--no-intel\`:" \
    "packets per second of its packet phase (its own \"packets analysed in S s\" line). Speed-up:" \
    "over \`--threads 1\` in the same session. Target: analyze >= 1.8x with 2 threads on 2 idle cores." \
    "Load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) ($NC cores)." ""
frag "| capture | command | threads | packets/s | CPU s | speed-up |" "|---|---|---:|---:|---:|---:|"
for cap in mixed appmix; do
    for c in observe analyze; do
        for th in "${THREADS[@]}"; do
            k=$cap.$c.$th
            [[ -n ${RATES[$k]:-} ]] || continue
            frag "| $cap | $c | $th | $(fmt_rate "${RATES[$k]}" 1) | ${CPUS[$k]} | $(ratio "${RATES[$k]}" "${RATES[$cap.$c.1]:-}") |"
        done
    done
done
frag "" "Commands (CAP: the capture):" ""
frag "- \`$B/threatatlas observe --threads T -r CAP -o /dev/null\`" \
    "- \`$B/threatatlas analyze --threads T --no-intel -r CAP -o /dev/null\`" ""
frag "Ran $(date -u +%Y-%m-%dT%H:%MZ) for $(($(date +%s) - t0)) s; TA_BENCH_RUNS=$RUNS, TA_BENCH_THREADS_MB=$MB."
cleanup "$MIX" "$APP"
frag_end
