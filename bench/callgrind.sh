#!/usr/bin/env bash
# Exact instruction counts of the hot paths (callgrind), per message:
#   bench/callgrind.sh [BUILD_DIR]  (default build/callgrind, Release)
# Each mode of bench/hotpath.c runs at 100k and 200k messages; the
# difference of the totals over 100k is the cost of one iteration of the
# loop, set-up excluded; the rt: and pub: modes are bench_core's peer loops
# (bench/hotpath.c). Ends with issue 11's instruction targets. Needs
# valgrind (Debian package `valgrind`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/callgrind}
command -v valgrind >/dev/null || {
	echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2
	exit 2
}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target hotpath >/dev/null
prog="$build/bench/hotpath"
total() { # mode count -> instructions, or nothing when the mode fails
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$prog" \
		"$1" "$2" 2>&1 | sed -nE 's/.*Collected : ([0-9]+).*/\1/p'
}
declare -A per
echo "instructions per iteration (callgrind, Release, $(git -C "$root" \
	describe --always --dirty 2>/dev/null || echo unknown))"
for mode in typed publish recv exported typed24 full empty batch poll \
	rt:photon rt:seqlock rt:ck-spsc pub:photon pub:seqlock; do
	if ! "$prog" "$mode" 10 2>/dev/null; then
		printf "  %-12s (not in this build)\n" "$mode"
		continue
	fi
	a=$(total "$mode" 100000)
	b=$(total "$mode" 200000)
	per[$mode]=$(awk -v a="$a" -v b="$b" \
		'BEGIN { printf "%.2f", (b - a) / 100000 }')
	printf "  %-12s %6s\n" "$mode" "${per[$mode]}"
done
# Issue 11's instruction targets, on the loops bench_core times
# (BM_peer_publish/photon, BM_peer_roundtrip/photon and /ck-spsc).
echo "targets:"
target() { # label value limit what
	awk -v l="$1" -v v="$2" -v m="$3" -v w="$4" 'BEGIN {
		printf "  %-46s %s, %s\n", l, w, (v <= m ? "met" : "not met") }'
}
if [ -n "${per[pub:photon]:-}" ]; then
	target "publish <= 20 instructions" "${per[pub:photon]}" 20 \
		"${per[pub:photon]}"
fi
if [ -n "${per[rt:photon]:-}" ] && [ -n "${per[rt:ck-spsc]:-}" ]; then
	r=$(awk -v a="${per[rt:photon]}" -v b="${per[rt:ck-spsc]}" \
		'BEGIN { printf "%.2f", a / b }')
	target "typed round trip <= 1.5x ck_ring" "$r" 1.5 \
		"${per[rt:photon]} / ${per[rt:ck-spsc]} = ${r}x"
fi
