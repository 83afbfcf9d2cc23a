#!/usr/bin/env bash
# Bridged one-way latency against the same path without the bridge,
# interleaved round by round (the VM's state moves within minutes):
#
#   bench/bridge_oneway.sh [BUILD_DIR] [ROUNDS] [COUNT] [GAP_US]
#
#   direct   peer feed -> shared channel -> peer check (two processes)
#   bridged  peer feed -> channel A -> photon-bridge out -> tcp loopback
#            -> photon-bridge in -> channel B -> peer check
#
# The feeder sleeps between messages (GAP_US, default 200 us) and the
# checker parks, so on a 2-CPU machine the bridge's threads are not
# starved by spinners; latency is CLOCK_MONOTONIC from just before the
# publish to just after the read. Prints each round and the median of the
# per-round p50s. Needs a build with the bridge (libzmq3-dev); nothing
# here fails on a time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/rel} rounds=${2:-5} count=${3:-20000} gap=${4:-200}
peer=$build/tools/bridge_peer bridge=$build/tools/photon-bridge
[ -x "$peer" ] && [ -x "$bridge" ] || {
	echo "build $build with the bridge and its tests first" >&2
	exit 2
}
tag=pbb$$ work=$(mktemp -d)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$work"; rm -f /dev/shm/$tag.*' EXIT

await() { # file, line prefix: at most 20 s
	for _ in $(seq 2000); do
		grep -q "^$2" "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	echo "no '$2' in $1" >&2
	exit 1
}
p50() { sed -n 's/.*p50 \([0-9.]*\) us, p99 \([0-9.]*\) us.*/\1 \2/p' "$1"; }

direct() { # round
	local n=$tag.d$1
	"$peer" make "$n" 65536
	"$peer" check "$n" "$count" --park >"$work/d$1" &
	local c=$!
	await "$work/d$1" subscribed
	"$peer" feed "$n" "$count" --gap-us "$gap" --sleep
	wait "$c"
	"$peer" unlink "$n" 1
	p50 "$work/d$1"
}

bridged() { # round
	local a=$tag.a$1 b=$tag.b$1 port=$((5700 + $1))
	"$bridge" out "$a" "tcp://127.0.0.1:$port" --create 65536 --msg-size 24 \
		--ready --unlink >"$work/o$1" 2>&1 &
	local o=$!
	await "$work/o$1" ready
	"$bridge" in "tcp://127.0.0.1:$port" "$b" --msg-size 24 --ready \
		--unlink >"$work/i$1" 2>&1 &
	local i=$!
	await "$work/i$1" ready
	"$peer" check "$b" "$count" --park >"$work/b$1" &
	local c=$!
	await "$work/b$1" subscribed
	"$peer" feed "$a" "$count" --gap-us "$gap" --sleep
	wait "$c" "$i" "$o"
	p50 "$work/b$1"
}

echo "bridge one-way: $count messages per run, ${gap} us apart, $(nproc) CPUs"
echo "round  direct p50/p99 (us)  bridged p50/p99 (us)  bridged/direct p50"
ds=() bs=()
for r in $(seq "$rounds"); do
	read -r dp d99 < <(direct "$r")
	read -r bp b99 < <(bridged "$r")
	ds+=("$dp") bs+=("$bp")
	printf "%5d  %8.1f / %-9.1f   %8.1f / %-9.1f   %6.1fx\n" "$r" "$dp" \
		"$d99" "$bp" "$b99" "$(awk "BEGIN { print $bp / $dp }")"
done
med() { printf "%s\n" "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median p50: direct $(med "${ds[@]}") us, bridged $(med "${bs[@]}") us"
