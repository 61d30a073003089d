#!/usr/bin/env bash
# threatatlas geo lookup/info/install end to end, on MaxMind's test databases
# (exact answers from their source JSON), a truncated copy of one, home and
# override files, and install's integrity check and offline instructions
# (with a stand-in npm, so no network is used).
set -uo pipefail
: "${TA_BIN:?}"
D="${TA_SHARED_DATA:-../shared/data}/maxmind-test-mmdb/test-data"
if [[ ! -f "$D/GeoIP2-Country-Test.mmdb" ]]; then
    echo "MaxMind test databases absent ($D)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
DB=(--country-db "$D/GeoIP2-Country-Test.mmdb" --asn-db "$D/GeoLite2-ASN-Test.mmdb")

# 1. Lookups: IPv4, IPv6, IPv4-mapped, private, unknown.
out=$("$TA_BIN" geo lookup "${DB[@]}" 2.125.160.216 1.128.0.1 10.0.0.1 2001:218::1 \
    ::ffff:81.2.69.142 2a02:d500::1) || fail "lookup exited $?"
expected='{"ip":"2.125.160.216","country":"GB","reason":"ok","country_source":"db","asn":0,"as_name":"","home":false}
{"ip":"1.128.0.1","country":"","reason":"not-found","country_source":"none","asn":1221,"as_name":"Telstra Pty Ltd","home":false}
{"ip":"10.0.0.1","country":"","reason":"private","country_source":"none","asn":0,"as_name":"","home":false}
{"ip":"2001:218::1","country":"JP","reason":"ok","country_source":"db","asn":0,"as_name":"","home":false}
{"ip":"::ffff:81.2.69.142","country":"GB","reason":"ok","country_source":"db","asn":0,"as_name":"","home":false}
{"ip":"2a02:d500::1","country":"","reason":"not-found","country_source":"none","asn":0,"as_name":"","home":false}'
[[ "$out" == "$expected" ]] || fail "lookup output:
$out"

# 2. Home constituency and overrides.
printf '10.0.0.0/8\n' > "$tmp/home.txt"
printf '1.128.0.0/16 AU 64500 Example\n' > "$tmp/ov.txt"
out=$("$TA_BIN" geo lookup "${DB[@]}" --home GB,au --home-nets "$tmp/home.txt" \
    --overrides "$tmp/ov.txt" 10.9.9.9 1.128.0.1 1.129.0.1 2001:218::1) || fail "home lookup exited $?"
expected='{"ip":"10.9.9.9","country":"GB","reason":"private","country_source":"home","asn":0,"as_name":"","home":true}
{"ip":"1.128.0.1","country":"AU","reason":"ok","country_source":"override","asn":64500,"as_name":"Example","home":true}
{"ip":"1.129.0.1","country":"","reason":"not-found","country_source":"none","asn":1221,"as_name":"Telstra Pty Ltd","home":false}
{"ip":"2001:218::1","country":"JP","reason":"ok","country_source":"db","asn":0,"as_name":"","home":false}'
[[ "$out" == "$expected" ]] || fail "home lookup output:
$out"

# 3. info names the databases.
out=$("$TA_BIN" geo info "${DB[@]}") || fail "info exited $?"
grep -q '"database_type":"GeoIP2-Country"' <<<"$out" || fail "info: $out"
grep -q '"database_type":"GeoLite2-ASN"' <<<"$out" || fail "info: $out"
grep -q '"records":342' <<<"$out" || fail "info country records: $out"

# 4. A truncated database: one clear line with libmaxminddb's text, exit 1.
head -c 6000 "$D/GeoIP2-Country-Test.mmdb" > "$tmp/trunc.mmdb"
"$TA_BIN" geo lookup --country-db "$tmp/trunc.mmdb" --asn-db "$D/GeoLite2-ASN-Test.mmdb" \
    8.8.8.8 >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "truncated db: exit $rc"
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "truncated db: stderr $(cat "$tmp/err")"
grep -q "trunc.mmdb: The MaxMind DB file contains invalid metadata" "$tmp/err" ||
    fail "truncated db: $(cat "$tmp/err")"
[[ ! -s "$tmp/out" ]] || fail "truncated db printed results"

# 5. Bad input is a usage error.
"$TA_BIN" geo lookup "${DB[@]}" 300.1.1.1 2>/dev/null
[[ $? -eq 2 ]] || fail "bad address should exit 2"

# 6. install without a registry: exact download instructions, exit 1.
THREATATLAS_NPM=false "$TA_BIN" geo install --data-dir "$tmp/dd" >/dev/null 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "offline install: exit $rc"
grep -q 'https://registry.npmjs.org/@ip-location-db/asn/-/asn-2.3.2026061719.tgz' "$tmp/err" ||
    fail "offline install: $(cat "$tmp/err")"
grep -q "tar xzf FILE --strip-components=1 -C $tmp/dd/geo/" "$tmp/err" ||
    fail "offline install: $(cat "$tmp/err")"

# 7. install rejects a tarball whose sha512 differs from the registry's.
cat > "$tmp/npm" <<'NPM'
#!/usr/bin/env bash
case "$1" in
view) case "$2" in
      *geo-whois*) echo "sha512-xemBDNQl4mCYDuVbqe3jKGKsVDykZGkfvebhtOh/3VGLadq8vsp7t7ontpMUt3hH7sAGT0eLDyJ99SV+0waxZg==" ;;
      *) echo "sha512-PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ==" ;;
      esac ;;
pack) dest=${@: -1}; mkdir -p x/package && echo '{}' > x/package/package.json &&
      tar czf "$dest/ip-location-db-geo-whois-asn-country-mmdb-2.3.2026061719.tgz" -C x package ;;
esac
NPM
chmod +x "$tmp/npm"
(cd "$tmp" && THREATATLAS_NPM="$tmp/npm" "$TA_BIN" geo install --data-dir "$tmp/dd") \
    >/dev/null 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "tampered install: exit $rc"
grep -q 'does not match the registry' "$tmp/err" || fail "tampered install: $(cat "$tmp/err")"
[[ ! -e "$tmp/dd/geo/geo-whois-asn-country-mmdb" ]] || fail "tampered package was installed"
echo "note: geo-cli: lookups, home/overrides, info, corrupt db, install checks ok"
exit 0
