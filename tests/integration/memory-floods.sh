#!/usr/bin/env bash
# App-layer and reassembly floods, scaled for `make check` (the full-size ones
# are in bench/floods.sh): each flood asks for several times the cap it runs
# with. Checked: the refusals are counted (stats record, or analyze's "memory
# caps reached" line; observe's own counters are in the stats record written
# with --eve-extension), the parsing that fits is still done, and on the release
# binary (ASan's shadow memory would measure the sanitizer) peak resident
# memory grows over the one-flow baseline by no more than the cap plus the
# flow table (448 B per flow) plus a quarter of the cap and 1 MiB for what the
# allocator keeps that no cap can see (heap fragmentation, freed chunks). Without
# the caps the same floods grow by several times that.
set -uo pipefail
[[ -x $TA_GEN ]] || { echo "threatatlas-gen not built: $TA_GEN"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
REL=$TA_BUILD/../rel/threatatlas
if [[ ! -x $REL || ! -x /usr/bin/time ]]; then
    [[ ${CI:-} == true ]] && { echo "FAIL: release binary or /usr/bin/time missing in CI"; exit 1; }
    echo "skip: release binary ($REL) or /usr/bin/time absent: memory bounds not measured"
    REL=""
fi
gen() { "$TA_GEN" --scenario flood --flood "$1" --flows "$2" --out "$t/$1-$2" --quiet || exit 1; }
counter() { tail -1 "$1" | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
peak() { /usr/bin/time -f %M -o "$t/time" "$@" >/dev/null 2>&1; tail -1 "$t/time"; }
# bound KIND CAP_KB FLOWS CMD...: growth over the baseline capture's peak
# ($BASE, default the one-flow capture of the kind) within the bound.
bound() {
    local kind=$1 cap=$2 flows=$3 base p
    shift 3
    [[ -n $REL ]] || return 0
    base=$(peak "$REL" "$@" -r "${BASE:-$t/$kind-1/flood.pcap}" -o /dev/null)
    p=$(peak "$REL" "$@" -r "$t/$kind-$N/flood.pcap" -o /dev/null)
    # Worker threads (--threads defaults to one per core) add up to 3 MiB: the frame
    # batches and records in flight and the workers' spare pools (bench/README.md).
    local threads=0
    [[ $(nproc) -gt 1 ]] && threads=3072
    local lim=$((cap + cap / 4 + 1024 + flows * 448 / 1024 + threads))
    echo "info: $kind: baseline $base kB, peak $p kB, growth $((p - base)) kB, bound $lim kB"
    [[ $((p - base)) -le $lim ]] || { echo "FAIL $kind: growth $((p - base)) kB over $lim kB"; fail=1; }
}

# DNS over TCP: 20,000 connections each announce a 65,535-byte message (a
# 64 KiB buffer each, 1.3 GB in all) against a 4 MiB cap: about 60 buffers fit.
N=20000
gen dns 1
gen dns $N
"$TA_BIN" observe -r "$t/dns-$N/flood.pcap" --app-memcap 4M --eve-extension -o "$t/eve" || { echo "observe failed"; exit 1; }
d=$(counter "$t/eve" app_memcap_drops)
[[ $d -ge 19000 && $d -le 19980 ]] || { echo "FAIL dns: app_memcap_drops $d, want 19000..19980"; fail=1; }
[[ $(counter "$t/eve" detect_dns) -eq $N ]] || { echo "FAIL dns: detect_dns $(counter "$t/eve" detect_dns)"; fail=1; }
bound dns 4096 $N observe --app-memcap 4M

# TLS: 20,000 connections each announce a 120,000-byte ClientHello.
gen tls 1
gen tls $N
"$TA_BIN" observe -r "$t/tls-$N/flood.pcap" --app-memcap 4M --eve-extension -o "$t/eve" || { echo "observe failed"; exit 1; }
d=$(counter "$t/eve" app_memcap_drops)
[[ $d -ge 19000 ]] || { echo "FAIL tls: app_memcap_drops $d, want >= 19000"; fail=1; }
bound tls 4096 $N observe --app-memcap 4M

# HTTP through analyze, which keeps request bodies for the detectors: 60
# connections x 32 unanswered 16 KiB POSTs (31 MB of bodies) against 8 MiB.
N=60
gen http 1
"$TA_GEN" --scenario flood --flood http --flows $N --out "$t/http-$N" --quiet || exit 1
"$TA_BIN" analyze --no-intel --no-store -r "$t/http-$N/flood.pcap" --app-memcap 8M -o /dev/null 2>"$t/err" ||
    { echo "analyze failed"; cat "$t/err"; exit 1; }
line=$(grep "memory caps reached" "$t/err")
[[ $line =~ ([0-9]+)\ parser\ allocations\ refused ]] && [[ ${BASH_REMATCH[1]} -gt 0 ]] ||
    { echo "FAIL http: no refusal reported: $(cat "$t/err")"; fail=1; }
# Requests whose transaction still fits are parsed; the others are refused.
[[ $(grep -o "; flows 60, http [0-9]*" "$t/err" | grep -o "[0-9]*$") -gt 100 ]] ||
    { echo "FAIL http: too few requests parsed: $(grep events "$t/err")"; fail=1; }
bound http 8192 $N analyze --no-intel --no-store --app-memcap 8M
# Without the cap the same flood holds what it asks for: the cap is what held it.
if [[ -n $REL ]]; then
    p=$(peak "$REL" analyze --no-intel --no-store -r "$t/http-$N/flood.pcap" -o /dev/null)
    [[ $p -gt 30000 ]] || { echo "FAIL http: uncapped peak $p kB, the flood does not flood"; fail=1; }
fi

# Out-of-order segments: 5,000 connections x 64 one-byte segments after a
# hole (320,000 held segments, 15 MB as allocated) against a 2 MiB stream cap.
# The baseline is the same 5,000 connections with one segment each, so the
# growth is the segments' alone.
N=5000
"$TA_GEN" --scenario flood --flood ooo --flows $N --per-flow 1 --out "$t/ooo-base" --quiet || exit 1
"$TA_GEN" --scenario flood --flood ooo --flows $N --per-flow 64 --out "$t/ooo-$N" --quiet || exit 1
"$TA_BIN" observe -r "$t/ooo-$N/flood.pcap" --stream-memcap 2M --eve-extension -o "$t/eve" || { echo "observe failed"; exit 1; }
d=$(counter "$t/eve" stream_global_memcap_drops)
[[ $d -gt 250000 ]] || { echo "FAIL ooo: stream_global_memcap_drops $d"; fail=1; }
BASE=$t/ooo-base/flood.pcap bound ooo 2048 0 observe --stream-memcap 2M
exit $fail
