#!/usr/bin/env bash
# Issue 11's performance targets, each with its measured ratio and whether
# it is met, from the outputs bench/run.sh keeps:
#
#   bench/targets.sh [RESULTS_DIR]    (default build/bench/results)
#
# core.txt (bench_core, medians of 5; --quick: single runs), callgrind.txt (bench/callgrind.sh),
# oneway.txt and throughput.txt (their own target lines, one per poll mode;
# throughput's name the c2c time, which tells the machine state: ~50 ns
# fast, ~120 or ~500 ns slow on this VM). A target whose input is missing
# is reported as not measured. Prints only; never fails on a number.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/bench/results}

# Median CPU time (ns) of a bench_core benchmark, from the console table.
core() {
	[ -f "$out/core.txt" ] || return 0
	awk -v n="$1" '$1 == n "_median" { m = $4 } $1 == n { p = $4 }
		END { if (m != "") print m; else if (p != "") print p }' \
		"$out/core.txt"
}
verdict() { # label value limit detail [ge]
	awk -v l="$1" -v v="$2" -v m="$3" -v d="$4" -v ge="${5:-}" 'BEGIN {
		ok = ge ? v >= m : v <= m
		printf "  %-46s %s, %s\n", l, d, ok ? "met" : "not met" }'
}
missing() { printf "  %-46s not measured (%s)\n" "$1" "$2"; }

echo "== targets (issue 11), from $out"

# 1. Lossless throughput: the program's own lines, both poll modes.
if [ -f "$out/throughput.txt" ]; then
	sed -n 's/^target: throughput /  throughput /p' "$out/throughput.txt"
else
	missing "throughput >= bare ring and SPSC peers" "no throughput.txt"
fi
if [ -f "$out/disruptor.txt" ]; then
	sed -n 's/^target: throughput /  throughput /p' "$out/disruptor.txt"
else
	missing "throughput > LMAX Disruptor" "no disruptor.txt"
fi

# 2. Publish: instructions and time against the bare ring.
if [ -f "$out/callgrind.txt" ]; then
	sed -n '/^targets:/,$ { /^targets:/d; p }' "$out/callgrind.txt"
else
	missing "publish <= 20 instructions" "no callgrind.txt"
fi
# core_target LABEL LIMIT A B KIND: a target on two bench_core medians,
# KIND ratio (A / B) or slope (B - A over the 9 steps from 1 to 10).
core_target() {
	local a b v
	a=$(core "$3") b=$(core "$4")
	if [ -z "$a" ] || [ -z "$b" ]; then
		missing "$1" "no core.txt rows"
		return
	fi
	if [ "$5" = ratio ]; then
		v=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
		verdict "$1" "$v" "$2" "$a / $b ns = ${v}x"
	else
		v=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 9 }')
		verdict "$1" "$v" "$2" "($b - $a) / 9 = $v ns"
	fi
}
core_target "publish time <= 1.5x the bare ring's" 1.5 \
	BM_peer_publish/photon BM_peer_publish/seqlock ratio

# 3. Fan-out: the slope of n independent subscribers; a group flat in n:
# its slope from 1 to 10 members at most a tenth of what an independent
# subscriber may cost (a ratio of the noisy points would judge the noise,
# not the group).
core_target "an extra subscriber <= 1.0 ns (typed)" 1.0 \
	BM_fanout_subs_typed/1 BM_fanout_subs_typed/10 slope
core_target "a group flat in n (slope <= 0.1 ns/member)" 0.1 \
	BM_fanout_group_typed/1 BM_fanout_group_typed/10 slope

# 4. One-way p50 against the floor.
if [ -f "$out/oneway.txt" ]; then
	sed -n 's/^target: one-way /  one-way /p' "$out/oneway.txt"
else
	missing "one-way p50 <= 1.2x floor" "no oneway.txt"
fi
