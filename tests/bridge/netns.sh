#!/usr/bin/env bash
# photon-bridge between two network namespaces joined by a veth pair that
# this script creates and removes (root only; exit 77 otherwise):
#
#   ns pb-a (10.77.0.1)                         ns pb-b (10.77.0.2)
#   peer feed -> channel A -> photon-bridge out ====> photon-bridge in
#                                  -> channel B -> peer check
#
# 1. 20000 messages paced 20 us apart cross exactly (same sequence
#    numbers, nothing lagged); the check prints the bridged one-way
#    latency.
# 2. The same with 5% loss on the veth (tc netem), when the kernel has
#    netem: TCP retransmits, so delivery stays exact (only the tail moves).
# 3. The sending bridge is SIGKILLed after 1000 messages: the receiving
#    bridge says the sender went silent (exit 3) and the reader drains its
#    1000 messages, then sees CLOSED.
#
# 4. Meanwhile photon-stat shows each bridge's state under its channel.
#
#   tests/bridge/netns.sh PHOTON_BRIDGE PEER PHOTON_STAT
set -euo pipefail
bridge=$1 peer=$2 stat=$3
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "skip: no ip (iproute2)"; exit 77; }
tag=pb$$
work=$(mktemp -d)
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null || true
	ip netns del "$tag-a" 2>/dev/null || true
	ip netns del "$tag-b" 2>/dev/null || true
	rm -f /dev/shm/"$tag".* 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$tag-a"
ip netns add "$tag-b"
ip link add "$tag-va" type veth peer name "$tag-vb"
ip link set "$tag-va" netns "$tag-a"
ip link set "$tag-vb" netns "$tag-b"
ip -n "$tag-a" addr add 10.77.0.1/24 dev "$tag-va"
ip -n "$tag-b" addr add 10.77.0.2/24 dev "$tag-vb"
for ns in a b; do
	ip -n "$tag-$ns" link set lo up
	ip -n "$tag-$ns" link set "$tag-v$ns" up
done

# Waits (at most 20 s) until file $1 holds a line starting with $2.
await() {
	for _ in $(seq 2000); do
		grep -q "^$2" "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	echo "FAIL: no '$2' in $1:" >&2
	cat "$1" >&2
	exit 1
}

# run NAME COUNT [feed options]: one crossing; leaves the pids in $out_pid
# $in_pid $check_pid.
start() {
	local name=$1 n=$2 port=$3
	ip netns exec "$tag-a" "$bridge" out "$tag.$name.a" \
		"tcp://10.77.0.1:$port" --create 4096 --msg-size 24 \
		--heartbeat-ms 20 --ready --unlink >"$work/$name.out" 2>&1 &
	out_pid=$!
	await "$work/$name.out" ready
	ip netns exec "$tag-b" "$bridge" in "tcp://10.77.0.1:$port" \
		"$tag.$name.b" --msg-size 24 --capacity 65536 \
		--heartbeat-ms 20 --ready --unlink >"$work/$name.in" 2>&1 &
	in_pid=$!
	await "$work/$name.in" ready
	"$peer" check "$tag.$name.b" "$n" >"$work/$name.check" 2>&1 &
	check_pid=$!
	await "$work/$name.check" subscribed
}

start exact 20000 5601
"$peer" feed "$tag.exact.a" 20000 --gap-us 20
wait "$check_pid" || { cat "$work"/exact.*; echo "FAIL: exact"; exit 1; }
wait "$in_pid"
wait "$out_pid"
echo "exact crossing: $(tail -1 "$work/exact.check")"
cat "$work/exact.in"

if ip netns exec "$tag-a" tc qdisc add dev "$tag-va" root netem loss 5% \
	2>/dev/null; then
	start lossy 20000 5602
	"$peer" feed "$tag.lossy.a" 20000 --gap-us 20
	wait "$check_pid" || { cat "$work"/lossy.*; echo "FAIL: lossy"; exit 1; }
	wait "$in_pid"
	wait "$out_pid"
	echo "5% netem loss, TCP: $(tail -1 "$work/lossy.check")"
	ip netns exec "$tag-a" tc qdisc del dev "$tag-va" root
else
	echo "netem: not available in this kernel; the lossy crossing is skipped"
fi

start killed 1000 5603
"$peer" feed "$tag.killed.a" 1000 --no-close &
feed_pid=$!
await "$work/killed.check" all # the reader has all 1000
"$stat" "$tag.killed.a" >"$work/stat.a"
"$stat" "$tag.killed.b" >"$work/stat.b"
grep -q "^  bridge     out tcp://10.77.0.1:5603" "$work/stat.a" || {
	cat "$work/stat.a"
	echo "FAIL: photon-stat shows no sending bridge"
	exit 1
}
grep -q "^  bridge     in tcp://10.77.0.1:5603" "$work/stat.b" || {
	cat "$work/stat.b"
	echo "FAIL: photon-stat shows no receiving bridge"
	exit 1
}
grep "^  bridge" "$work/stat.a" "$work/stat.b"
kill -9 "$out_pid"
rc=0
wait "$in_pid" || rc=$?
[ "$rc" -eq 3 ] || { cat "$work"/killed.*; echo "FAIL: in exited $rc, not 3"; exit 1; }
wait "$check_pid" || { cat "$work"/killed.*; echo "FAIL: killed"; exit 1; }
kill -9 "$feed_pid" 2>/dev/null || true
echo "sender killed: $(tail -1 "$work/killed.check")"
tail -1 "$work/killed.in"
echo "bridge in namespaces: ok"
