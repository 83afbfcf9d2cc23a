#!/bin/sh
# dpdk_ingress's second mode: a live interface through the net_af_packet
# PMD. A veth pair in a network namespace of its own (so nothing else on
# the host sees it, and it goes away with this script): dpdk_ingress
# receives on one end, pcap_send replays a generated pcap (bad mode: every
# kind of bad frame too) into the other, and the counts must match the
# generator's expectations exactly.
#
#   veth_test.sh DPDK_INGRESS PCAP_SEND GEN_PCAP WORKDIR
#
# Needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN and
# CAP_NET_RAW inside it), unshare (util-linux), ip (iproute2) and mkfifo;
# without them it exits 77 (skipped) and says why. Synchronisation is a
# FIFO: dpdk_ingress writes "ready" to it once its port is started, and
# only then are frames sent.
#
# By hand, without this script (as root):
#   ip link add feed0 type veth peer name feed1
#   ip link set feed0 up && ip link set feed1 up
#   dpdk_ingress --iface feed0 --expect-file f.pcap.expect &
#   pcap_send feed1 f.pcap
set -eu

if [ "$#" -ne 4 ]; then
	echo "usage: veth_test.sh DPDK_INGRESS PCAP_SEND GEN_PCAP WORKDIR" >&2
	exit 2
fi
ingress=$1 send=$2 gen=$3 work=$4

if [ "${PHOTON_VETH_INNER:-}" != 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: needs root (a veth pair in a network namespace)"
		exit 77
	fi
	for tool in unshare ip mkfifo timeout; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "skipped: $tool is not installed"
			exit 77
		fi
	done
	if ! unshare --net true 2>/dev/null; then
		echo "skipped: cannot create a network namespace here" \
			"(unshare --net failed: a container without CAP_SYS_ADMIN?)"
		exit 77
	fi
	rm -rf "$work"
	mkdir -p "$work"
	PHOTON_VETH_INNER=1 exec unshare --net sh "$0" "$@"
fi

# In the new namespace. No IPv6 on the pair: its router solicitations and
# DAD probes would reach the receiver as frames nobody expects.
for f in /proc/sys/net/ipv6/conf/default/disable_ipv6 \
	/proc/sys/net/ipv6/conf/all/disable_ipv6; do
	if [ -w "$f" ]; then echo 1 >"$f"; fi
done
ip link set lo up
ip link add feed0 type veth peer name feed1
ip link set feed0 up
ip link set feed1 up

"$gen" --mode bad --packets 600 --seed 11 --bad-each 2 "$work/veth.pcap"
mkfifo "$work/ready"
# --idle-ms: the bound if frames go missing (the expected count never
# comes); the run normally ends at the expected frame count.
"$ingress" --iface feed0 --expect-file "$work/veth.pcap.expect" \
	--idle-ms 10000 --ready-file "$work/ready" --quiet \
	>"$work/ingress.log" 2>&1 &
pid=$!
# shellcheck disable=SC2016 # $1 is the inner shell's
if ! timeout 30 sh -c 'read -r line <"$1" && [ "$line" = ready ]' \
	sh "$work/ready"; then
	echo "dpdk_ingress did not get ready:"
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	cat "$work/ingress.log"
	exit 1
fi
"$send" feed1 "$work/veth.pcap"
rc=0
wait "$pid" || rc=$?
cat "$work/ingress.log"
exit "$rc"
