#!/usr/bin/env bash
# Intel benchmark: import N generated indicators (mixed IPs, CIDRs,
# IP:port, domains, URLs) through the CLI into a fresh database, build the
# index from that database (time, RSS), then bench-intel's synthetic lookup
# benchmark (1M CIDRs+addresses, 1M domains, 200k URLs unless
# TA_BENCH_INTEL_ARGS says otherwise). Medians of TA_BENCH_RUNS runs.
#   bench/intel.sh [N] [BUILD_DIR]     N: TA_BENCH_INTEL_N, default 1,000,000
# (the 10M target: bench/intel.sh 10000000, about 7 minutes here).
# Writes $TA_BENCH_DIR/results/intel.md (see bench/lib.sh for the settings).
set -uo pipefail
export TA_BENCH_BUILD=${2:-${TA_BENCH_BUILD:-build/rel}}
source "$(dirname "$0")/lib.sh"
N=${1:-${TA_BENCH_INTEL_N:-1000000}}
[[ -x $B/bench/bench-intel && -x $B/threatatlas ]] || { echo "$B not built (make)"; exit 77; }
T=$OUT/intel
rm -rf "$T" && mkdir -p "$T"
awk -v n="$N" 'BEGIN {
    srand(42);
    for (i = 0; i < n; i++) {
        r = i % 5;
        a = int(rand() * 223) + 1; b = int(rand() * 256); c = int(rand() * 256); d = int(rand() * 256);
        if (r == 0) printf "%d.%d.%d.%d\n", a, b, c, d;
        else if (r == 1) printf "%d.%d.%d.0/24\n", a, b, c;
        else if (r == 2) printf "%d.%d.%d.%d:%d\n", a, b, c, d, 1024 + i % 50000;
        else if (r == 3) printf "h%x.d%x.example%d.com\n", i, int(rand() * 1e9), i % 97;
        else printf "http://s%x.test/p/%x/login.php\n", i, int(rand() * 1e9);
    }
}' >"$T/gen.txt"
echo "bench: generated $N indicators ($(du -h "$T/gen.txt" | cut -f1))" >&2
IMPORT="$B/threatatlas intel import --db $T/atlas.db --allow-private --kind c2 --source gen $T/gen.txt"
measure import "$RUNS" bash -c "rm -f $T/atlas.db* && $IMPORT"
CMD[import]=$IMPORT
DBSIZE=$(du -h "$T/atlas.db" 2>/dev/null | cut -f1)
"$B/bench/bench-intel" --db "$T/atlas.db" --tmp "$T" >"$LOG/intel-index.txt" 2>&1 ||
    FAILED+=("bench-intel --db")
rm -f "$T"/atlas.db*

# A ThreatFox-shaped JSON export (abuse.ch's full export is about 120 MB):
# records are streamed to jansson one at a time, so peak RSS is the file
# buffer plus one record, not a document tree several times the file.
TFN=${TA_BENCH_TF_N:-196000}
awk -v n="$TFN" 'BEGIN {
    srand(7);
    printf "{";
    for (i = 0; i < n; i++) {
        r = i % 4;
        a = int(rand() * 223) + 1; b = int(rand() * 256); c = int(rand() * 256); d = int(rand() * 256);
        if (r == 0) { v = sprintf("%d.%d.%d.%d:%d", a, b, c, d, 1024 + i % 50000); t = "ip:port"; tt = "botnet_cc" }
        else if (r == 1) { v = sprintf("c%x.d%x.example%d.com", i, int(rand() * 1e9), i % 97); t = "domain"; tt = "botnet_cc" }
        else if (r == 2) { v = sprintf("http://s%x.test/p/%x/bin.exe", i, int(rand() * 1e9)); t = "url"; tt = "payload_delivery" }
        else { v = sprintf("%08x%08x%08x%08x%08x%08x%08x%08x", i, a * b, c * d, i * 7, a, b, c, d); t = "sha256_hash"; tt = "payload" }
        printf "%s\n    \"%d\": [\n        {\n            \"ioc_value\": \"%s\",\n            \"ioc_type\": \"%s\",\n", (i ? "," : ""), 1000000 + i, v, t;
        printf "            \"threat_type\": \"%s\",\n            \"malware\": \"win.cobalt_strike\",\n", tt;
        printf "            \"malware_alias\": \"Agentemis,BEACON,CobaltStrike,cobeacon\",\n";
        printf "            \"malware_printable\": \"Cobalt Strike\",\n            \"first_seen_utc\": \"2024-07-16 13:00:07\",\n";
        printf "            \"last_seen_utc\": null,\n            \"confidence_level\": 100,\n            \"reference\": null,\n";
        printf "            \"tags\": \"c2,CobaltStrike\",\n            \"anonymous\": \"0\",\n            \"reporter\": \"abuse_ch\"\n        }\n    ]";
    }
    printf "\n}\n";
}' >"$T/threatfox.json"
TFSIZE=$(du -h "$T/threatfox.json" | cut -f1)
TFIMPORT="$B/threatatlas intel import --db $T/tf.db $T/threatfox.json"
measure tf_json "$RUNS" bash -c "rm -f $T/tf.db* && $TFIMPORT"
rm -f "$T"/tf.db* "$T/threatfox.json"

# Lookup rates: median over runs of each "... lookups: N in S s = R M/s" line.
: >"$LOG/intel-lookups.txt"
for ((i = 0; i < RUNS; i++)); do
    # shellcheck disable=SC2086
    "$B/bench/bench-intel" --tmp "$T" ${TA_BENCH_INTEL_ARGS:-} >>"$LOG/intel-lookups.txt" 2>&1 ||
        { FAILED+=("bench-intel --tmp $T ${TA_BENCH_INTEL_ARGS:-}"); break; }
    rm -f "$T"/*.db*
done
rate() { grep "^$1 lookups:" "$LOG/intel-lookups.txt" | sed 's/.*= \([0-9.]*\) M\/s.*/\1/' | median; }

# Real feeds as a CERT has them: the whole maltrail checkout (~1.6 M trails)
# and the MISP warninglists folder, in one command, then the index built
# from that database. Target: the import under 30 s.
SD=${TA_SHARED_DATA:-../shared/data}
MT=$SD/maltrail-trails
WL=$SD/misp-warninglists
FEEDS=""
if [[ -d $MT/trails && -d $WL/lists ]]; then
    FEEDS="$B/threatatlas intel import --db $T/feeds.db $MT/ $WL"
    measure feeds "$RUNS" bash -c "rm -f $T/feeds.db* && $FEEDS"
    # The last timed run left its database: rows per kind from it.
    FEEDS_SUM=$("$B/threatatlas" intel stats --db "$T/feeds.db" 2>/dev/null |
        awk '$1 == "total" && $2 == "rows" {printf "%s rows:", $3} $1 == "kind" {printf " %s %s", $3, $2}')
    FEEDSIZE=$(du -h "$T/feeds.db" 2>/dev/null | cut -f1)
    "$B/bench/bench-intel" --db "$T/feeds.db" --tmp "$T" >"$LOG/intel-feeds-index.txt" 2>&1 ||
        FAILED+=("bench-intel --db $T/feeds.db")
    # analyze with those feeds (plus the generated day's own) against the same
    # capture without any intel: what 2 M real indicators and 360 k allow
    # entries cost the packet path, start-up included and apart.
    if "$B/threatatlas-gen" --scenario national --scale 0.01 --from 2014-03-19 --to 2014-03-19 \
        --out "$T/nat" >/dev/null 2>&1; then
        for f in "$T"/nat/*.csv "$T"/nat/*.txt "$T"/nat/*.json; do
            [[ $f == */truth* ]] && continue
            k=(); [[ $f == */webshell-paths.txt ]] && k=(--kind webshell)
            "$B/threatatlas" intel import --db "$T/feeds.db" "${k[@]}" "$f" >/dev/null 2>&1
        done
        NATPCAP=$(ls "$T"/nat/pcap/*.pcap | head -1)
        NATPKTS=$(tshark -r "$NATPCAP" -T fields -e frame.number 2>/dev/null | tail -1)
        # Cold: no index cache beside the database, so the index is built (and
        # the cache written); then starts that map the cache.
        AN_FEEDS="$B/threatatlas analyze -r $NATPCAP --db $T/feeds.db --home CN --no-store -o /dev/null"
        measure an_feeds_cold "$RUNS" bash -c "rm -f $T/feeds.db.index-cache && $AN_FEEDS"
        ANLOADC=$(grep -o 'intel loaded in [0-9.]* s' "$LOG/an_feeds_cold.err" | awk '{print $4}' | median)
        measure an_feeds "$RUNS" "$B/threatatlas" analyze -r "$NATPCAP" --db "$T/feeds.db" --home CN \
            --no-store -o /dev/null
        measure an_none "$RUNS" "$B/threatatlas" analyze -r "$NATPCAP" --no-intel --home CN \
            --no-store -o /dev/null
        ANPHASE=$(grep -o 'packets analysed in [0-9.]* s' "$LOG/an_feeds.err" | awk '{print $4}' | median)
        ANPHASE0=$(grep -o 'packets analysed in [0-9.]* s' "$LOG/an_none.err" | awk '{print $4}' | median)
        ANLOAD=$(grep -o 'intel loaded in [0-9.]* s' "$LOG/an_feeds.err" | awk '{print $4}' | median)
        # The same with the store: the run records the intel's rows per source,
        # which the last import counted (no scan of the indicators here).
        measure an_feeds_store "$RUNS" "$B/threatatlas" analyze -r "$NATPCAP" --db "$T/feeds.db" \
            --home CN --redo -o /dev/null
        ANPHASES=$(grep -o 'packets analysed in [0-9.]* s' "$LOG/an_feeds_store.err" | awk '{print $4}' | median)
    else
        FAILED+=("threatatlas-gen --scenario national for the analyze figure")
    fi
    rm -f "$T"/feeds.db*
else
    echo "bench: maltrail-trails or misp-warninglists absent under $SD: real-feed import not measured" >&2
fi
frag_begin "Intel: import and lookups"
frag "| what | result |" "|---|---|"
[[ -n ${WALL[import]:-} ]] &&
    frag "| CLI import of $N generated mixed indicators (fresh database; median of $RUNS) | ${WALL[import]} s wall, ${CPU[import]} s CPU, $(fmt_rate "$N" "${WALL[import]}") indicators/s, peak RSS ${RSS[import]} kB, database $DBSIZE |"
[[ -n ${WALL[tf_json]:-} ]] &&
    frag "| CLI import of a generated ThreatFox JSON export, $TFN records, $TFSIZE (median of $RUNS) | ${WALL[tf_json]} s wall, ${CPU[tf_json]} s CPU, peak RSS ${RSS[tf_json]} kB (the file is read whole; records are decoded one at a time) |"
idx=$(grep '^index:' "$LOG/intel-index.txt" | head -1)
[[ -n $idx ]] && frag "| index build from that database (one run) | ${idx#index: } |"
# Start-up through the index cache (bench-intel: index open plus one lookup).
start_row() { # log what
    local cold hit
    cold=$(grep '^index start cold:' "$1" | awk '{print $4}')
    hit=$(grep '^index start cache hit:' "$1" | awk '{print $5}' | median)
    [[ -n $cold && -n $hit ]] &&
        frag "| index start-up $2: cold (build + write the cache) / cache hit (map; median of 3) | $cold s / $hit s |"
}
start_row "$LOG/intel-index.txt" "with those $N indicators"
if [[ -n $FEEDS && -n ${WALL[feeds]:-} ]]; then
    frag "| import of the maltrail checkout + MISP warninglists folder (one command; median of $RUNS) | ${WALL[feeds]} s wall, ${CPU[feeds]} s CPU, peak RSS ${RSS[feeds]} kB, database $FEEDSIZE (target < 30 s); stored: ${FEEDS_SUM:-?} |"
    fidx=$(grep '^index:' "$LOG/intel-feeds-index.txt" | head -1)
    [[ -n $fidx ]] && frag "| index build from those feeds (one run) | ${fidx#index: } |"
    start_row "$LOG/intel-feeds-index.txt" "with those feeds"
    [[ -n ${WALL[an_feeds_cold]:-} ]] &&
        frag "| the analyze below without an index cache (built and written each run; median of $RUNS) | ${WALL[an_feeds_cold]} s wall (intel load ${ANLOADC:-?} s) |"
    [[ -n ${WALL[an_feeds]:-} ]] &&
        frag "| analyze of one generated national day (${NATPKTS:-?} packets) with those feeds (median of $RUNS) | ${WALL[an_feeds]} s wall (intel load ${ANLOAD:-?} s, packet phase ${ANPHASE:-?} s), peak RSS ${RSS[an_feeds]} kB |" \
             "| the same analyze storing its events (\`--redo\`, cache hit) | ${WALL[an_feeds_store]:-?} s wall (packet phase ${ANPHASES:-?} s) |" \
             "| the same analyze with --no-intel | ${WALL[an_none]} s wall (packet phase ${ANPHASE0:-?} s), peak RSS ${RSS[an_none]} kB; packet phase with the feeds / without: $(ratio "${ANPHASE:-}" "${ANPHASE0:-}") |"
fi
ins=$(grep '^insert:' "$LOG/intel-lookups.txt" | head -1)
[[ -n $ins ]] && frag "| bench-intel: generated set, inserted via the API (first run) | ${ins#insert: } |"
# "miss99": 1M distinct queries of which 99% miss, as a sensor mostly sees.
# "hit ip": 1M distinct addresses inside listed prefixes (not cache-resident).
# "batched": the same queries through ta_intel_match_ip_batch, 16 at a time.
# Every stream's rate is also printed, for whoever re-measures by hand.
for k in ip "ip batched" domain url "hit ip" "hit ip batched" "miss99 ip" "miss99 ip batched" \
    "miss99 domain" "miss99 url"; do
    line=$(grep "^$k lookups:" "$LOG/intel-lookups.txt" | head -1)
    [[ -n $line ]] || continue
    frag "| $k lookups per core (median of $RUNS; $(echo "$line" | sed 's/.*lookups: \([0-9]*\) in.*/\1/') per run) | $(rate "$k") M/s |"
    echo "intel: $k lookups per core: $(rate "$k") M/s (median of $RUNS)"
done
frag "" "Targets: IP lookups 20 M/s per core, domain lookups 5 M/s per core, index < 2 GB for 10M indicators." \
    "Commands: \`$IMPORT\`; \`$TFIMPORT\`; \`$B/bench/bench-intel --db $T/atlas.db\`; \`$B/bench/bench-intel --tmp $T ${TA_BENCH_INTEL_ARGS:-}\`${FEEDS:+; \`$FEEDS\`}." \
    "No peer named for indicator lookups."
cleanup "$T"
frag_end
