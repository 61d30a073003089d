#!/usr/bin/env bash
# Intel benchmark: import N generated indicators (mixed IPs, CIDRs, IP:port,
# domains, URLs; default 10 million) through the CLI, build the index from
# that database (time, RSS), then the synthetic lookup benchmark.
#   bench/intel.sh [N] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
B=${2:-build/rel}
T=$(mktemp -d "${TMPDIR:-/tmp}/ta-bench-intel.XXXXXX")
trap 'rm -rf "$T"' EXIT
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
echo "generated $N indicators ($(du -h "$T/gen.txt" | cut -f1))"
/usr/bin/time -f "import: %e s wall, %U s user, %S s sys, max RSS %M KB" \
    "$B/threatatlas" intel import --db "$T/atlas.db" --kind c2 --source gen "$T/gen.txt"
echo "database: $(du -h "$T/atlas.db" | cut -f1)"
"$B/bench/bench-intel" --db "$T/atlas.db"
rm -f "$T"/atlas.db*
"$B/bench/bench-intel" --tmp "$T"
