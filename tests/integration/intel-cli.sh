#!/usr/bin/env bash
# Integration: threatatlas intel import/list/stats/lookup/expire end to end on
# generated feeds (Feodo CSV, ThreatFox CSV, OpenPhish, PhishTank JSON, a
# webshell path list, an allowlist) plus bad input handling.
set -euo pipefail
BIN=${TA_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DB=$T/atlas.db
fail() { echo "FAIL: $*"; exit 1; }

cat >"$T/feodo.csv" <<'X'
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2023-01-01 00:00:00","45.9.74.78","443","online","2023-06-01","QakBot"
"2023-01-01 00:00:00","198.51.100.7","8080","offline","2023-05-01","Emotet"
"2023-01-01 00:00:00","not-an-ip","1","online","2023-05-01","X"
X
cat >"$T/threatfox.csv" <<'X'
# ThreatFox IOCs: CSV export
# first_seen_utc,ioc_id,ioc_value,ioc_type,threat_type,fk_malware,malware_alias,malware_printable,last_seen_utc,confidence_level,reference,tags,anonymous,reporter
"2023-02-01 10:00:00", "1", "evil.example.com", "domain", "botnet_cc", "win.x", "", "XLoader", "", "80", "", "", "0", "r"
"2023-02-01 10:00:00", "2", "45.9.74.78:443", "ip:port", "botnet_cc", "win.q", "", "QakBot", "", "100", "", "", "0", "r"
X
printf 'http://x.test/login.php\nhttps://Bank.test:443/a/../verify?id=1\n' >"$T/openphish.txt"
cat >"$T/phishtank.json" <<'X'
[{"phish_id":"1","url":"http://x.test/login.php","submission_time":"2023-03-01T00:00:00+00:00","verified":"yes","verification_time":"2023-03-01T01:00:00+00:00","online":"yes","target":"Example Bank"}]
X
printf '/c99.php\n/up/r57.php\n' >"$T/webshells.txt"
printf '198.51.100.0/24\n' >"$T/allow.txt"
printf 'total garbage\nmore garbage\n' >"$T/garbage.txt"

# A real feed's documentation address (RFC 5737) is refused, counted, with its reason ...
out=$("$BIN" intel import --db "$T/refuse.db" "$T/feodo.csv" 2>"$T/err")
grep -q 'feodo.csv: format feodo: 1 accepted, 1 new, 0 updated, 2 rejected' <<<"$out" ||
    fail "documentation address not refused: $out"
grep -q "feodo.csv:4: not a public address (documentation, RFC 5737): '198.51.100.7'" "$T/err" ||
    fail "refusal reason: $(cat "$T/err")"
grep -q 'feodo.csv: 1 of the rejected are not public addresses' <<<"$out" || fail "refusal count: $out"
# ... and kept with --allow-private, as these generated feeds need.
out=$("$BIN" intel import --db "$DB" --allow-private "$T/feodo.csv" "$T/threatfox.csv" "$T/openphish.txt" "$T/phishtank.json" 2>"$T/err")
grep -q 'feodo.csv: format feodo: 2 accepted, 2 new' <<<"$out" || fail "feodo import: $out"
grep -q 'feodo.csv:5: bad IP address' "$T/err" || fail "reject line not shown: $(cat "$T/err")"
grep -q 'threatfox.csv: format threatfox: 2 accepted' <<<"$out" || fail "threatfox import"
grep -q 'openphish.txt: format openphish: 2 accepted' <<<"$out" || fail "openphish import"
grep -q 'phishtank.json: format phishtank: 1 accepted' <<<"$out" || fail "phishtank import"
"$BIN" intel import --db "$DB" --kind webshell --source ws "$T/webshells.txt" >/dev/null
"$BIN" intel import --db "$DB" --kind allow --source resolvers "$T/allow.txt" >/dev/null

# Idempotent.
out=$("$BIN" intel import --db "$DB" --allow-private "$T/feodo.csv" 2>/dev/null)
grep -q '2 accepted, 0 new, 0 updated' <<<"$out" || fail "re-import changed something: $out"

# Nothing parses: exit 1, nothing stored.
before=$("$BIN" intel list --db "$DB" | wc -l)
if "$BIN" intel import --db "$DB" --format feodo-list "$T/garbage.txt" 2>"$T/err"; then fail "garbage accepted"; fi
grep -q 'nothing parsed' "$T/err" || fail "no clear error: $(cat "$T/err")"
[[ $("$BIN" intel list --db "$DB" | wc -l) -eq $before ]] || fail "garbage stored rows"
# Undetectable format without --kind: exit 1 with advice.
if "$BIN" intel import --db "$DB" "$T/webshells.txt" 2>"$T/err"; then fail "plain without kind"; fi
grep -q -- '--kind' "$T/err" || fail "no advice"

# list/filters: 2 feodo + 2 threatfox + 2 openphish + 1 phishtank + 2 ws + 1 allow = 10 rows
[[ $("$BIN" intel list --db "$DB" | tail -n +2 | wc -l) -eq 10 ]] || fail "row count"
[[ $("$BIN" intel list --db "$DB" --kind c2 | tail -n +2 | wc -l) -eq 4 ]] || fail "c2 count"
[[ $("$BIN" intel list --db "$DB" --source openphish | tail -n +2 | wc -l) -eq 2 ]] || fail "source filter"
"$BIN" intel list --db "$DB" --json --kind phishing | grep -q '"brand":"Example Bank"' || fail "json list"

# stats
st=$("$BIN" intel stats --db "$DB")
grep -qE '^source +feodo +2$' <<<"$st" || fail "stats source: $st"
grep -qE '^kind +phishing +3$' <<<"$st" || fail "stats kind"
grep -qE '^import .*garbage.txt \[failed\]' <<<"$st" && fail "failed import recorded"

# lookup: an address with a port reaches the ip:port indicator (threatfox) and the
# address (feodo); without a port only the address. Parent domain, URL normalised.
lk=$("$BIN" intel lookup --db "$DB" 45.9.74.78:443 45.9.74.78 a.b.evil.example.com 'HTTP://X.test:80/./login.php#top' \
     'http://victim.test/c99.php?x=1' 198.51.100.7 203.0.113.9)
grep -qP '^45\.9\.74\.78:443\tmatch\t45\.9\.74\.78:443\tip:port\tc2\tconfidence=100\tfamily=QakBot\tsources=threatfox$' <<<"$lk" || fail "ip:port lookup: $lk"
grep -qP '^45\.9\.74\.78:443\tmatch\t45\.9\.74\.78\tip\tc2\tconfidence=90\tfamily=QakBot\tsources=feodo$' <<<"$lk" || fail "ip lookup with port"
grep -qP '^45\.9\.74\.78\tmatch\t45\.9\.74\.78\tip\tc2\tconfidence=90\tfamily=QakBot\tsources=feodo$' <<<"$lk" || fail "ip lookup"
grep -qP '^45\.9\.74\.78\tmatch\t45\.9\.74\.78:443' <<<"$lk" && fail "ip:port matched without a port"
grep -qP '^a\.b\.evil\.example\.com\tmatch\tevil\.example\.com\tdomain\tc2' <<<"$lk" || fail "parent domain"
grep -qP '^HTTP://X\.test:80/\./login\.php#top\tmatch\thttp://x\.test/login\.php\turl\tphishing\tconfidence=90\tbrand=Example Bank\tsources=openphish,phishtank$' <<<"$lk" || fail "url lookup: $lk"
grep -qP '^http://victim\.test/c99\.php\?x=1\tmatch\t/c99\.php\turl-path\twebshell' <<<"$lk" || fail "webshell path"
# The allow entry does not hide the match: both are shown, with the list's name.
grep -qP '^198\.51\.100\.7\tmatch\t198\.51\.100\.7\tip\tc2' <<<"$lk" || fail "allow-listed match hidden"
grep -qP '^198\.51\.100\.7\tallowlisted\tresolvers\t198\.51\.100\.0/24$' <<<"$lk" || fail "allowlist"
grep -qP '^203\.0\.113\.9\tnone$' <<<"$lk" || fail "no match"
if "$BIN" intel lookup --db "$DB" 203.0.113.9 >/dev/null; then fail "lookup miss exit 0"; fi

# expire: the Feodo rows (last_online 2023) and the PhishTank row (verified 2023) go;
# rows without a last-seen or validity date (ThreatFox without last_seen_utc, the
# undated lists) never expire.
ex=$("$BIN" intel expire --db "$DB" --before 2024-01-01)
grep -q 'expired 3 indicators' <<<"$ex" || fail "expire: $ex"
[[ $("$BIN" intel list --db "$DB" | tail -n +2 | wc -l) -eq 7 ]] || fail "rows after expire"

# A newer schema is refused with a clear error.
if command -v sqlite3 >/dev/null; then
    sqlite3 "$DB" "UPDATE meta SET value='99' WHERE key='schema.intel'"
    if "$BIN" intel stats --db "$DB" 2>"$T/err"; then fail "newer schema accepted"; fi
    grep -q 'newer than this threatatlas supports' "$T/err" || fail "schema message"
fi
echo "info: intel CLI import/list/stats/lookup/expire checked"
