#!/usr/bin/env bash
# Feeds as published, through `intel import`: the IntelMQ samples of the
# Bambenek C&C master lists and Spamhaus DROP/ASN-DROP, ET's empty
# botcc.portgrouped.rules, a URLhaus country feed as csv.zip (zip(1)-style,
# deflated) and csv.gz, a Suricata iprep list beside its categories.txt and
# with --iprep-categories, and a damaged archive. Kinds and counts exact.
set -euo pipefail
BIN=${TA_BIN:?}
P="$TA_SHARED_DATA/intelmq-feed-samples/intelmq/tests/bots/parsers"
ET="$TA_SHARED_DATA/et-open-rules/rules/botcc.portgrouped.rules"
[[ -d $P && -f $ET ]] || { echo "IntelMQ samples or ET rules absent ($TA_SHARED_DATA)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
DB=$T/i.db

out=$("$BIN" intel import --db "$DB" "$P/bambenek/c2-ipmasterlist.txt" "$P/bambenek/c2-dommasterlist.txt" \
    "$P/bambenek/dga-feed.txt" "$P/spamhaus/drop.txt" "$ET")
for f in c2-ipmasterlist c2-dommasterlist dga-feed; do
    grep -q "$f.txt: format bambenek: 1 accepted, 1 new, 0 updated, 0 rejected, 0 unsupported, 0 skipped (1 c2)" \
        <<<"$out" || fail "bambenek $f: $out"
done
grep -q "drop.txt: format spamhaus-drop: 2 accepted, 2 new, 0 updated, 0 rejected, 0 unsupported, 0 skipped (2 other)" \
    <<<"$out" || fail "drop: $out"
grep -q "botcc.portgrouped.rules: format et-rules: 0 accepted, 0 new" <<<"$out" || fail "empty ET rules: $out"
lk=$("$BIN" intel lookup --db "$DB" 213.247.47.190 1.4.1.1 2a06:e480::1)
grep -qP '^213\.247\.47\.190\tmatch\t213\.247\.47\.190\tip\tc2\t.*family=shiotob/urlzone/bebloh\tsources=bambenek$' <<<"$lk" ||
    fail "bambenek lookup: $lk"
grep -qP '^1\.4\.1\.1\tmatch\t1\.4\.0\.0/17\tcidr\tother\t.*family=SBL256893\tsources=spamhaus-drop$' <<<"$lk" ||
    fail "drop lookup: $lk"
grep -qP '^2a06:e480::1\tmatch\t2a06:e480::/29\tcidr\tother\t.*family=SBL301771' <<<"$lk" || fail "drop v6: $lk"
if "$BIN" intel import --db "$DB" "$P/spamhaus/asndrop.txt" >/dev/null 2>"$T/err"; then fail "ASN-DROP stored"; fi
grep -q "asndrop.txt:5: unsupported: autonomous system AS260 (ASN-DROP)" "$T/err" || fail "asndrop: $(cat "$T/err")"

# URLhaus country feed, as csv.zip and csv.gz.
cat >"$T/csv.txt" <<'X'
################################################################
# abuse.ch URLhaus Country Feed (DE)                           #
################################################################
#
# Dateadded,URL,URL_status,Threat,Host,IPaddress,ASnumber,Country
"2024-03-19 08:01:02","http://45.12.3.4/bins/x.arm7","online","malware_download","45.12.3.4","45.12.3.4","AS24940","DE"
"2024-03-18 23:59:59","http://dl.badsite.example/a.exe","offline","malware_download","dl.badsite.example","5.9.1.2","AS24940","DE"
"2024-03-18 23:59:59","http://192.168.7.7/a.exe","online","malware_download","192.168.7.7","192.168.7.7","","DE"
X
python3 - "$T/csv.txt" "$T/csv.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], "csv.txt")
PY
gzip -c "$T/csv.txt" >"$T/csv.gz"
out=$("$BIN" intel import --db "$T/u.db" "$T/csv.zip" "$T/csv.gz" 2>"$T/err")
grep -q "csv.zip: format urlhaus: 2 accepted, 2 new, 0 updated, 1 rejected, 0 unsupported, 0 skipped (2 malware-distribution)" \
    <<<"$out" || fail "csv.zip: $out"
grep -q "csv.gz: format urlhaus: 2 accepted, 0 new, 0 updated, 1 rejected" <<<"$out" || fail "csv.gz: $out"
grep -q "csv.zip:8: not a public address (private, RFC 1918): 'http://192.168.7.7/a.exe'" "$T/err" ||
    fail "private URL host: $(cat "$T/err")"
[[ $("$BIN" intel list --db "$T/u.db" | tail -n +2 | cut -f1 | sort | tr '\n' ' ') == \
    "http://45.12.3.4/bins/x.arm7 http://dl.badsite.example/a.exe " ]] || fail "urlhaus values"
# A damaged archive: one error, nothing stored.
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[60]^=0xff; open(sys.argv[1],"wb").write(b)' "$T/csv.zip"
if "$BIN" intel import --db "$T/u2.db" "$T/csv.zip" >/dev/null 2>"$T/err"; then fail "damaged zip imported"; fi
[[ $(wc -l <"$T/err") -eq 1 ]] || fail "damaged zip: $(cat "$T/err")"

# Suricata iprep beside its categories.txt; category 9 is C&C.
mkdir "$T/iprep"
printf '1,CnC,Malware Command and Control Server\n3,Spam,Known Spam Source\n9,FeodoCnC,ET CNC Feodo Tracker\n' \
    >"$T/iprep/categories.txt"
printf '45.9.148.1,9,127\n45.9.148.2,3,40\n45.9.148.3,1,100\n' >"$T/iprep/reputation.list"
out=$("$BIN" intel import --db "$T/r.db" "$T/iprep/")
grep -q "iprep/: format iprep: 3 accepted, 3 new, 0 updated, 0 rejected, 0 unsupported, 0 skipped, 1 files, 0 skipped files (2 c2, 1 other)" \
    <<<"$out" || fail "iprep dir: $out"
cp "$T/iprep/reputation.list" "$T/rep.list"
mv "$T/iprep/categories.txt" "$T/cats.txt"
out=$("$BIN" intel import --db "$T/r2.db" "$T/rep.list")
grep -q "(3 other)" <<<"$out" || fail "iprep without categories: $out"
out=$("$BIN" intel import --db "$T/r3.db" --iprep-categories "$T/cats.txt" "$T/rep.list")
grep -q "(2 c2, 1 other)" <<<"$out" || fail "--iprep-categories: $out"
if "$BIN" intel import --db "$T/r4.db" --iprep-categories "$T/none.txt" "$T/rep.list" 2>"$T/err"; then
    fail "missing categories file accepted"
fi
grep -q "none.txt: cannot read the iprep categories: No such file or directory" "$T/err" ||
    fail "missing categories: $(cat "$T/err")"
echo "info: Bambenek, Spamhaus DROP, empty ET rules, URLhaus zip/gz, iprep categories imported as published"
