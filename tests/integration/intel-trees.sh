#!/usr/bin/env bash
# Integration: whole third-party checkouts imported in one command each, as a
# CERT has them: the maltrail tree (../shared/data/maltrail-trails: ~1.6 M
# trails, maltrail's whitelist, suspicious and scanner lists) and the MISP
# warninglists folder. Checks the per-kind counts of the import report and
# that the whitelisted names are allow entries, never c2, and a TLD trail is
# suspicious only.
set -euo pipefail
BIN=${TA_BIN:?}
D=${TA_SHARED_DATA:-../shared/data}
MT=$D/maltrail-trails
WL=$D/misp-warninglists
if [[ ! -f $MT/data/whitelist.txt || ! -d $WL/lists ]]; then
    echo "maltrail-trails or misp-warninglists absent under $D"
    [[ ${CI:-} == true ]] && exit 1
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" intel import --db "$T/mt.db" "$MT/" >"$T/mt.out" 2>"$T/mt.err" || { tail "$T/mt.err"; fail "maltrail import"; }
sum=$(grep -F "$MT/: format" "$T/mt.out")
# 68 rejected (5 of them private or documentation addresses), 2 regular
# expressions in suspicious files unsupported; the bare TLDs (tk, free ...) suspicious.
grep -q 'format maltrail: 1855994 accepted, 1635874 new, 6431 updated, 68 rejected, 2 unsupported, 0 skipped, 3115 files, 0 skipped files' <<<"$sum" || fail "maltrail totals: $sum"
grep -qF "$MT/: 5 of the rejected are not public addresses" "$T/mt.out" || fail "private trails not counted"
grep -q '(1,552,926 c2, 8,822 phishing, 210,432 malware-distribution, 8 webshell, 20,326 scanner, 3,597 allow, 59,883 suspicious)' <<<"$sum" || fail "maltrail kinds: $sum"
grep -qF "$MT/: 20,326 scanner, 59,883 suspicious: never counted on their own; 210,432 malware-distribution: payload events, never C&C; 3,597 allow: mark known-benign values, never events" "$T/mt.out" || fail "silent kinds not named: $(tail -1 "$T/mt.out")"
grep -qF "$MT//data/whitelist.txt: 3597 accepted (3,597 allow), 6 rejected" "$T/mt.out" || fail "whitelist per-file line"
[[ $(grep -c 'accepted' "$T/mt.out") -eq 3116 ]] || fail "one line per file and a total"

# The whitelist is allow, never c2; a TLD trail is suspicious, never c2.
lk=$("$BIN" intel lookup --db "$T/mt.db" --kind c2 google.com bing.com microsoft.com 1e100.net || true)
for n in google.com bing.com microsoft.com 1e100.net; do
    grep -qP "^${n//./\\.}\tallowlisted\tmaltrail-whitelist\t${n//./\\.}$" <<<"$lk" || fail "$n not allow: $lk"
    grep -qP "^${n//./\\.}\tmatch" <<<"$lk" && fail "$n is c2: $lk"
done
lk=$("$BIN" intel lookup --db "$T/mt.db" foo.xyz)
grep -qP '^foo\.xyz\tmatch\txyz\tdomain\tsuspicious\tconfidence=40\tfamily=domain\tsources=maltrail-suspicious$' <<<"$lk" || fail ".xyz: $lk"
[[ $("$BIN" intel list --db "$T/mt.db" --kind c2 | awk -F'\t' '$1 == "google.com" || $1 == "xyz"' | wc -l) -eq 0 ]] || fail "google.com or xyz stored as c2"
# A bare TLD trail ("tk" in suspicious/domain.txt) is a suspicious suffix too.
lk=$("$BIN" intel lookup --db "$T/mt.db" --kind suspicious free-prizes.tk)
grep -qP '^free-prizes\.tk\tmatch\ttk\tdomain\tsuspicious\t' <<<"$lk" || fail ".tk: $lk"

"$BIN" intel import --db "$T/wl.db" "$WL" >"$T/wl.out" 2>"$T/wl.err" || { tail "$T/wl.err"; fail "warninglists import"; }
sum=$(grep -F "$WL: format" "$T/wl.out")
grep -q 'format misp-warninglist: 356091 accepted, 355955 new, 136 updated, 26 rejected, 8368 unsupported, 164487 skipped, 136 files, 35 skipped files (356,091 allow)' <<<"$sum" || fail "warninglists totals: $sum"
grep -qF "$WL/lists/amazon-aws/list.json: skipped (list amazon-aws): cloud compute anyone can rent" "$T/wl.out" || fail "aws not skipped with a reason"
grep -qF "$WL/lists/mozilla-CA/list.json: skipped (list mozilla-CA): values are not network indicators" "$T/wl.out" || fail "hash list not skipped"
grep -qF "$WL/lists/automated-malware-analysis/list.json:1: unsupported: warninglist type substring (26 entries not imported)" "$T/wl.err" || fail "substring not said"
lk=$("$BIN" intel lookup --db "$T/wl.db" 8.8.8.8 www.google.com 3.5.140.2 www.xn--vakfbank-vkb.com || true)
grep -qP '^8\.8\.8\.8\tallowlisted\tmisp:public-dns-v4\t8\.8\.8\.8$' <<<"$lk" || fail "resolver: $lk"
grep -qP '^www\.google\.com\tallowlisted\tmisp:' <<<"$lk" || fail "google: $lk"
grep -qP '^3\.5\.140\.2\tnone$' <<<"$lk" || fail "an AWS address is allow-listed: $lk"
# A Unicode entry (".vakıfbank.com", a bank) is stored as its A-label, as DNS and SNI carry it.
grep -qP '^www\.xn--vakfbank-vkb\.com\tallowlisted\tmisp:bank-website\txn--vakfbank-vkb\.com$' <<<"$lk" ||
    fail "IDN bank: $lk"
echo "info: maltrail tree and MISP warninglists imported in one command each, kinds checked"
