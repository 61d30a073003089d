#!/usr/bin/env bash
# Memory under floods: for each bounded table or buffer, a generated flood
# that asks for far more than its cap (threatatlas-gen --scenario flood
# --flood KIND), run with the cap set; the peak resident memory against the
# same command on a one-flow capture of the same kind (the baseline), and the
# counters that say the cap refused or evicted.
#
#   flows        TA_BENCH_FLOOD_FLOWS (2,000,000) one-packet flows, observe --max-flows 100000
#   frags        500,000 datagrams of which only the first fragment arrives,
#                observe --max-frag-datagrams 10000
#   ooo          10,000 connections x 256 one-byte segments after a hole,
#                observe --stream-memcap 32M --max-flows 10000
#   http         1,000 connections x 32 unanswered 16 KiB POSTs,
#                analyze --no-intel --app-memcap 64M (analyze keeps bodies)
#   dns          100,000 connections each announcing a 64 KiB DNS message,
#                observe --app-memcap 64M --max-flows 10000
#   tls          100,000 connections each announcing a 120,000-byte ClientHello,
#                observe --app-memcap 64M --max-flows 10000
#   resolutions  300,000 DNS answers for 300,000 listed C&C domains,
#                analyze --max-resolutions 20000 --max-flows 10000
#
#   TA_BENCH_ONLY="http tls" bench/floods.sh     some floods only
# Writes $TA_BENCH_DIR/results/floods.md (see bench/lib.sh for the settings).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ONLY=${TA_BENCH_ONLY:-}
FLOWS=${TA_BENCH_FLOOD_FLOWS:-2000000}
want() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }
[[ -x $B/threatatlas && -x $B/threatatlas-gen ]] || { echo "$B not built (make)"; exit 77; }
command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time is missing (apt-get install time)"; exit 77; }
W=$OUT/floods
mkdir -p "$W"

# peak CMD...: peak RSS in kB of CMD (stdout discarded).
peak() {
    /usr/bin/time -f %M -o "$W/t" "$@" >/dev/null 2>>"$LOG/floods.err" || {
        FAILED+=("\`$*\` failed; stderr in $LOG/floods.err")
        echo 0
        return
    }
    tail -1 "$W/t"
}
# stat EVE KEY...: the values of the named counters in the last (stats) record.
stat() {
    local f=$1
    shift
    tail -1 "$f" | python3 -c '
import json, sys
d = json.load(sys.stdin)["stats"]
def find(o, k):
    if isinstance(o, dict):
        for a, b in o.items():
            if a == k and not isinstance(b, dict):
                return b
            r = find(b, k)
            if r is not None:
                return r
    return None
print(", ".join("%s %s" % (k, find(d, k)) for k in sys.argv[1:]))' "$@"
}
gen() { # gen KIND FLOWS [--per-flow N]: the capture dir
    local d=$W/$1-$2
    [[ -s $d/flood.pcap ]] || $B/threatatlas-gen --scenario flood --flood "$1" --flows "$2" "${@:3}" --out "$d" --quiet || return 1
    echo "$d"
}

declare -a ROWS=()
# row KIND INPUT CAP CMD-WITHOUT-INPUT...: measure on the flood and on one flow.
row() {
    local kind=$1 input=$2 capdesc=$3 bound=$4 counters=$5
    shift 5
    local small big base p eve
    small=$(gen "$kind" 1) || return
    big=$(gen "$kind" "$FLOWS_K") || return
    base=$(peak "$@" -r "$small/flood.pcap" -o /dev/null)
    p=$(peak "$@" -r "$big/flood.pcap" -o /dev/null)
    eve=$W/$kind.eve
    if [[ $1 == */threatatlas && $2 == observe ]]; then
        "$@" -r "$big/flood.pcap" --eve-extension -o "$eve" 2>>"$LOG/floods.err"
    else
        # analyze writes no stats record: its "memory caps reached" line says it.
        "$@" -r "$big/flood.pcap" -o /dev/null 2>"$eve.err"
    fi
    local c=""
    if [[ -s $eve ]]; then
        # shellcheck disable=SC2086
        c=$(stat "$eve" $counters)
    elif [[ -s $eve.err ]]; then
        c=$(grep -o "memory caps reached: .*" "$eve.err" | sed 's/memory caps reached: //' | head -1)
        [[ -n $c ]] || c="no cap reached"
    fi
    local growth=$((p - base))
    ROWS+=("| $kind | $input | $capdesc | $c | $(printf "%'d" "$base") | $(printf "%'d" "$p") | $(printf "%'d" "$growth") | $bound |")
    rm -f "$eve" "$eve.err"
    [[ $KEEP == 1 ]] || rm -rf "$big"
}

TA=$B/threatatlas
if want flows; then
    FLOWS_K=$FLOWS row flows "$FLOWS one-packet flows" "--max-flows 100000" \
        "448 B x 100000 = 43,750 kB" "evicted" $TA observe --max-flows 100000
fi
if want frags; then
    FLOWS_K=500000 row frags "500,000 datagrams, first fragment only" "--max-frag-datagrams 10000" \
        "2 KiB x 10000 = 20,000 kB" "frag_table_full" $TA observe --max-frag-datagrams 10000
fi
if want ooo; then
    FLOWS_K=10000 row ooo "10,000 connections x 256 one-byte segments" "--stream-memcap 32M --max-flows 10000" \
        "32,768 + 4,375 kB" "stream_global_memcap_drops stream_segment_cap_drops" \
        $TA observe --stream-memcap 32M --max-flows 10000
fi
if want http; then
    FLOWS_K=1000 row http "1,000 connections x 32 unanswered 16 KiB POSTs" "analyze --app-memcap 64M" \
        "65,536 + 438 kB" "-" $TA analyze --no-intel --no-store --app-memcap 64M
fi
if want dns; then
    FLOWS_K=100000 row dns "100,000 connections, 64 KiB DNS messages announced" "--app-memcap 64M --max-flows 10000" \
        "65,536 + 4,375 kB" "app_memcap_drops" $TA observe --app-memcap 64M --max-flows 10000
fi
if want tls; then
    FLOWS_K=100000 row tls "100,000 connections, 120,000-byte ClientHellos announced" "--app-memcap 64M --max-flows 10000" \
        "65,536 + 4,375 kB" "app_memcap_drops" $TA observe --app-memcap 64M --max-flows 10000
fi
if want resolutions; then
    N=300000
    d=$(gen resolutions $N)
    s=$(gen resolutions 1)
    db=$W/res.db
    rm -f "$db"
    if $TA intel import --db "$db" --format plain --kind c2 --source flood "$d/flood-domains.txt" >/dev/null 2>>"$LOG/floods.err"; then
        cmd=($TA analyze --db "$db" --no-store --max-resolutions 20000 --max-flows 10000)
        base=$(peak "${cmd[@]}" -r "$s/flood.pcap" -o /dev/null)
        p=$(peak "${cmd[@]}" -r "$d/flood.pcap" -o /dev/null)
        ev=$("${cmd[@]}" -r "$d/flood.pcap" -o /dev/null 2>&1 | grep -o "resolutions evicted [0-9]*, .*c2 domains evicted [0-9]*" | sed 's/, beacon.*prevalent servers [0-9]*,//')
        ROWS+=("| resolutions | $N DNS answers naming $N listed C&C domains | --max-resolutions 20000 --max-flows 10000 | $ev | $(printf "%'d" "$base") | $(printf "%'d" "$p") | $(printf "%'d" $((p - base))) | 120 B x 20000 + 870 B x 65536 c2 domains + 4,375 kB = 62,406 kB |")
    else
        FAILED+=("intel import of the flood domains failed; stderr in $LOG/floods.err")
    fi
    rm -f "$db" "$db.lock"
    [[ $KEEP == 1 ]] || rm -rf "$d"
fi

frag_begin "Memory under floods"
frag "Each flood asks for far more than the cap it is run with; the baseline is the same command" \
    "on a one-flow capture of the same kind (binary, libraries, intel index, output buffers)." \
    "Growth = peak - baseline. Bound: the cap's bytes, or its entries x their documented size," \
    "plus the flow table's 448 B per tracked flow (--max-flows 10000: 4,375 kB; http: 1,000" \
    "flows, 438 kB). The caps count each block as allocated (size plus allocator header and" \
    "rounding); what they cannot see (heap fragmentation, freed memory the allocator keeps)" \
    "shows as growth beyond the bound, a few per cent of the cap in these runs." ""
frag "| flood | input | cap | counters | baseline kB | peak kB | growth kB | bound |" \
    "|---|---|---|---|---:|---:|---:|---|"
for r in "${ROWS[@]}"; do frag "$r"; done
frag ""
frag "Commands: \`threatatlas-gen --scenario flood --flood KIND --flows N\`, then the command of the" \
    "cap column (observe unless it says analyze) with \`-r flood.pcap -o /dev/null\`."
frag_end
