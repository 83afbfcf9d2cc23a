#!/usr/bin/env bash
# Exact instruction counts of the hot paths (callgrind), per message:
#   bench/callgrind.sh [BUILD_DIR]  (default build/callgrind; configured
#                                   RelWithDebInfo, as its figures are)
# Each mode of bench/hotpath.c runs at 100k and 200k messages; the
# difference of the totals over 100k is the cost of one iteration of the
# loop, set-up excluded. Needs valgrind (Debian package `valgrind`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/callgrind}
command -v valgrind >/dev/null || {
	echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2
	exit 2
}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target hotpath >/dev/null
prog="$build/bench/hotpath"
total() { # mode count -> instructions
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$prog" \
		"$1" "$2" 2>&1 | sed -nE 's/.*Collected : ([0-9]+).*/\1/p'
}
echo "instructions per iteration (callgrind, $(git -C "$root" describe \
	--always --dirty 2>/dev/null || echo unknown))"
for mode in typed publish exported typed24 full empty; do
	a=$(total "$mode" 100000)
	b=$(total "$mode" 200000)
	awk -v m="$mode" -v a="$a" -v b="$b" \
		'BEGIN { printf "  %-9s %6.2f\n", m, (b - a) / 100000 }'
done
