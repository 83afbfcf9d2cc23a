#!/usr/bin/env bash
# Issue 15, "Choose the engine by measuring" (docs/bridge-engines.md): the
# same stream through ZeroMQ, Cyclone DDS and NATS, on loopback and across
# two network namespaces joined by a veth pair. As root:
#
#   bench/bridge/run.sh [--quick] [--rounds R] [--out DIR]
#                       [--only lat,tput,stall,loss]
#
# 1. installs the Debian packages it needs and builds bench/bridge in
#    build/bridge-bench (Release);
# 2. makes three network namespaces: pbr-lo (loopback only, multicast on
#    lo) and pbr-a, pbr-b joined by the veth pair pbra 10.77.0.1/24 <->
#    pbrb 10.77.0.2/24; publishers run in pbr-lo or pbr-a, receivers in
#    pbr-lo or pbr-b; a trap removes them all on exit;
# 3. starts a nats-server in pbr-lo (127.0.0.1) and one in pbr-a, the
#    sender's side (receivers reach it over the veth), each on the first
#    free port from 4222;
# 4. runs, interleaved engine by engine within each round:
#    latency   paced 20k msg/s, 10k warm-up + 100k measured, 64 B to 1
#              receiver in R rounds (default 3), 64 B to 3 and 8 B to 1
#              and 3 in one round; ZeroMQ over NORM once (64 B, 1); bare
#              UDP multicast (the floor, not a candidate) at 64 B;
#    tput      unpaced for 2 s, 64 B to 1 and 3, 8 B to 1;
#    stall     veth, 2 receivers, receiver 0 stops reading after 1 s for
#              2 s, the sender unpaced for 5 s (stall) or paced at 20k
#              msg/s for 5 s (stall20k);
#    loss      veth, paced, 40k messages, 1 % and 10 % of the packets from
#              pbr-a to pbr-b dropped (netem when the kernel has it,
#              otherwise an nftables ingress rule on pbrb);
# 5. prints the tables (medians over rounds) and keeps every raw line.
#
# Results: build/bridge-bench/results/{raw.txt,summary.tsv,tables.md}.
# About 13 minutes on 2 vCPUs; --quick (tiny counts, one round) checks
# that everything runs in about 4 minutes; its numbers are not results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

quick=0 rounds=3 out="" only=lat,tput,stall,loss
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--rounds) rounds=$2; shift ;;
	--out) out=$2; shift ;;
	--only) only=$2; shift ;;
	-h | --help) sed -n '2,34p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--quick] [--rounds R] [--out DIR]" \
		"[--only lat,tput,stall,loss]" >&2
		exit 2 ;;
	esac
	shift
done
if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh makes network namespaces: run it as root" >&2
	exit 1
fi

# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
BRIDGE_PACKAGES=(build-essential cmake pkg-config iproute2 nftables
	libzmq3-dev cyclonedds-dev cyclonedds-tools nats-server libnats-dev)
photon_require_packages "${BRIDGE_PACKAGES[@]}"

build="$root/build/bridge-bench"
bin="$build/bridgebench"
out=${out:-$build/results}
echo "== build (Release) in $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
mkdir -p "$out"
raw="$out/raw.txt" sum="$out/summary.tsv"
: >"$raw"
: >"$sum"
tmp=$(mktemp -d)

NS_LO=pbr-lo NS_A=pbr-a NS_B=pbr-b
VETH_A=pbra VETH_B=pbrb IP_A=10.77.0.1 IP_B=10.77.0.2
nats_pids=()
cleanup() {
	local p
	for p in "${nats_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip netns del $NS_LO 2>/dev/null || true
	ip netns del $NS_A 2>/dev/null || true
	ip netns del $NS_B 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== network namespaces $NS_LO, $NS_A <-> $NS_B"
for n in $NS_LO $NS_A $NS_B; do
	ip netns del "$n" 2>/dev/null || true
	ip netns add "$n"
	ip -n "$n" link set lo up
done
# Multicast on the loopback namespace's lo: PGM and DDS need it.
ip -n $NS_LO link set lo multicast on
ip -n $NS_LO route add 224.0.0.0/4 dev lo
ip link add $VETH_A netns $NS_A type veth peer name $VETH_B netns $NS_B
ip -n $NS_A addr add $IP_A/24 dev $VETH_A
ip -n $NS_B addr add $IP_B/24 dev $VETH_B
ip -n $NS_A link set $VETH_A up
ip -n $NS_B link set $VETH_B up
ip -n $NS_A route add 224.0.0.0/4 dev $VETH_A
ip -n $NS_B route add 224.0.0.0/4 dev $VETH_B

free_port() { # NS FROM
	local p=$2
	while ip netns exec "$1" ss -Htln "sport = :$p" | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}

declare -A nats_port nats_pid
start_nats() { # NET NS LISTEN
	local port log=$tmp/nats-$1.log
	port=$(free_port "$2" 4222)
	ip netns exec "$2" nats-server -a "$3" -p "$port" >"$log" 2>&1 &
	nats_pid[$1]=$!
	nats_pids+=($!)
	nats_port[$1]=$port
	for _ in $(seq 100); do
		ip netns exec "$2" ss -Htln "sport = :$port" | grep -q . &&
			return 0
		sleep 0.05
	done
	echo "nats-server in $2 did not start:" >&2
	cat "$log" >&2
	exit 1
}
start_nats lo $NS_LO 127.0.0.1
start_nats veth $NS_A 0.0.0.0
echo "== nats-server: lo 127.0.0.1:${nats_port[lo]}," \
	"veth $IP_A:${nats_port[veth]} (in $NS_A, the sender's side)"

if [ $quick = 1 ]; then
	rounds=1 warm=2000 count=5000 tsec=0.5 lcount=4000 ssec=3
else
	warm=10000 count=100000 tsec=2 lcount=40000 ssec=5
fi

# The command line of one process: ROLE NET ENGINE[:DEPTH].
engine_args() {
	local role=$1 net=$2 eng=${3%%:*} depth=1000
	[[ $3 == *:* ]] && depth=${3#*:}
	local lo=0
	[ "$net" = lo ] && lo=1
	case $eng in
	zmq-tcp)
		if [ $lo = 1 ] || [ "$role" = pub ]; then
			echo "-a 127.0.0.1 -p 7700 -d $depth"
		else
			echo "-a $IP_A -p 7700 -d $depth"
		fi ;;
	zmq-epgm) # openpgm takes the interface's address, not its name
		if [ $lo = 1 ]; then
			echo "-I 127.0.0.1 -g 239.192.77.1 -p 7710 -d $depth"
		elif [ "$role" = pub ]; then
			echo "-I $IP_A -g 239.192.77.1 -p 7710 -d $depth"
		else
			echo "-I $IP_B -g 239.192.77.1 -p 7710 -d $depth"
		fi ;;
	zmq-norm)
		if [ $lo = 1 ]; then
			echo "-I lo -g 239.192.77.2 -p 7720 -d $depth"
		elif [ "$role" = pub ]; then
			echo "-I $VETH_A -g 239.192.77.2 -p 7720 -d $depth"
		else
			echo "-I $VETH_B -g 239.192.77.2 -p 7720 -d $depth"
		fi ;;
	udp) # the floor: bare multicast datagrams
		if [ $lo = 1 ]; then
			echo "-I 127.0.0.1 -g 239.192.77.3 -p 7730"
		elif [ "$role" = pub ]; then
			echo "-I $IP_A -g 239.192.77.3 -p 7730"
		else
			echo "-I $IP_B -g 239.192.77.3 -p 7730"
		fi ;;
	dds-*) echo "-d $depth" ;;
	nats)
		if [ $lo = 1 ] || [ "$role" = pub ]; then
			echo "-a 127.0.0.1 -p ${nats_port[$net]}"
		else
			echo "-a $IP_A -p ${nats_port[$net]}"
		fi ;;
	esac
}

dds_uri() { # IFACE
	echo "<CycloneDDS><Domain id=\"any\"><General><Interfaces>" \
		"<NetworkInterface name=\"$1\"/></Interfaces></General>" \
		"</Domain></CycloneDDS>"
}

loss_method=""
loss_on() { # PERCENT
	if ip netns exec $NS_A tc qdisc add dev $VETH_A root netem \
		loss "$1%" 2>/dev/null; then
		loss_method="tc netem loss $1% on $VETH_A"
		return
	fi
	# No sch_netem in this kernel: drop at the receiving end's ingress,
	# which is what netem on the sending end's egress does to the
	# packets that cross (the sender's stack never knows).
	local per_mille
	per_mille=$(awk "BEGIN { print int($1 * 10) }")
	ip netns exec $NS_B nft -f - <<-EOF
		table netdev pbrloss {
			chain in {
				type filter hook ingress device "$VETH_B" priority 0; policy accept;
				numgen random mod 1000 < $per_mille counter drop
			}
		}
	EOF
	loss_method="nft netdev ingress on $VETH_B: numgen random mod 1000 < $per_mille drop"
}
loss_off() {
	ip netns exec $NS_A tc qdisc del dev $VETH_A root 2>/dev/null || true
	ip netns exec $NS_B nft delete table netdev pbrloss 2>/dev/null || true
}

# One run: MODE NET ENGINE SIZE NRX ROUND. Starts the receivers, waits
# until each says it is ready, runs the publisher, collects the lines.
run_case() {
	local mode=$1 net=$2 eng=$3 size=$4 nrx=$5 round=$6
	local nsp nsr ifp ifr pubopt subopt="" i pids=() rc=0 rss=""
	if [ "$net" = lo ]; then
		nsp=$NS_LO nsr=$NS_LO ifp=lo ifr=lo
	else
		nsp=$NS_A nsr=$NS_B ifp=$VETH_A ifr=$VETH_B
	fi
	case $mode in
	lat) pubopt="-n $count" ;;
	loss*) pubopt="-n $lcount" ;;
	tput) pubopt="-T $tsec" ;;
	stall) pubopt="-T $ssec" ;;
	stall20k) pubopt="-n $((ssec * 20000))" ;;
	esac
	rm -f "$tmp"/ready.* "$tmp"/lat.* "$tmp"/sub.*
	for ((i = 0; i < nrx; i++)); do
		subopt=""
		[[ $mode == stall* ]] && [ $i = 0 ] &&
			subopt="--stall-at 1000 --stall-ms 2000"
		# shellcheck disable=SC2046,SC2086
		CYCLONEDDS_URI=$(dds_uri $ifr) timeout 90 \
			ip netns exec $nsr "$bin" sub -e "${eng%%:*}" \
			$(engine_args sub "$net" "$eng") -s "$size" -w $warm \
			-i $i -o "$tmp/lat.$i" --ready "$tmp/ready.$i" \
			--idle 3000 $subopt >"$tmp/sub.$i" 2>&1 &
		pids+=($!)
	done
	for _ in $(seq 200); do
		[ "$(find "$tmp" -name 'ready.*' | wc -l)" -ge "$nrx" ] && break
		sleep 0.05
	done
	local sampler=""
	if [[ $mode == stall* ]] && [ "${eng%%:*}" = nats ]; then
		# The broker's memory while a receiver stalls: does it buffer?
		(while sleep 0.2; do
			awk '/VmRSS/ { print $2 }' \
				"/proc/${nats_pid[$net]}/status"
		done) >"$tmp/natsrss" &
		sampler=$!
	fi
	# shellcheck disable=SC2046,SC2086
	CYCLONEDDS_URI=$(dds_uri $ifp) timeout 90 \
		ip netns exec $nsp "$bin" pub -e "${eng%%:*}" \
		$(engine_args pub "$net" "$eng") -s "$size" -w $warm \
		-r 20000 -R "$nrx" $pubopt >"$tmp/pub" 2>&1 || rc=$?
	for p in "${pids[@]}"; do
		wait "$p" || rc=$?
	done
	if [ -n "$sampler" ]; then
		kill "$sampler" 2>/dev/null || true
		wait "$sampler" 2>/dev/null || true
		rss=" nats_rss_kib=$(sort -n "$tmp/natsrss" | head -1)..$(sort -n "$tmp/natsrss" | tail -1)"
	fi
	local pooled="pooled n=0"
	if compgen -G "$tmp/lat.*" >/dev/null; then
		pooled=$("$bin" stats "$tmp"/lat.*)
	fi
	{
		echo "## mode=$mode net=$net engine=$eng size=$size nrx=$nrx round=$round rc=$rc$rss load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
		grep -v '^Warn: Interface lo reports as a loopback' "$tmp/pub" || true
		cat "$tmp"/sub.*
		echo "$pooled"
	} >>"$raw"
	# One summary line: the pooled latency, the publisher's rate and
	# sends, the receivers' total received and lost, their slowest rate.
	awk -v mode="$mode" -v net="$net" -v eng="$eng" -v size="$size" \
		-v nrx="$nrx" -v round="$round" -v rc="$rc" '
		function kv(k,   i, a) {
			for (i = 1; i <= NF; i++) {
				split($i, a, "=")
				if (a[1] == k) return substr($i, length(k) + 2)
			}
			return ""
		}
		/^role=pub/ { sent = kv("sent"); prate = kv("rate")
			smax = kv("max_us"); slow = kv("slow_ms")
			refused = kv("refused") }
		/^role=sub/ { recv += kv("recv"); lost += kv("lost")
			r = kv("rx_rate") + 0
			if (minr == "" || r < minr) minr = r
			a = kv("api_lost")
			api = api (api == "" ? "" : ";") (a == "" ? "none" : a) }
		/^pooled/ { p50 = kv("p50_us"); p99 = kv("p99_us")
			p999 = kv("p999_us"); mx = kv("max_us") }
		END {
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s", mode, net, eng,
				size, nrx, round, rc
			printf "\t%s\t%s\t%s\t%s", p50, p99, p999, mx
			printf "\t%s\t%s\t%d\t%d\t%s", sent, prate, recv,
				lost, minr
			printf "\t%s\t%s\t%s\t%s\n", smax, slow, refused,
				(api == "" ? "-" : api)
		}' "$tmp/pub" "$tmp"/sub.* <(echo "$pooled") >>"$sum"
	printf '   %-5s %-4s %-11s %3sB x%s r%s  %s\n' "$mode" "$net" "$eng" \
		"$size" "$nrx" "$round" "$(tail -1 "$sum" | cut -f8-9,13-15 |
			awk -F'\t' '{ printf "p50 %s us p99 %s us  rate %s  recv %s lost %s", $1, $2, $3, $4, $5 }')"
}

engines=(zmq-tcp zmq-epgm dds-rel dds-be nats)
want() { [[ ,$only, == *,$1,* ]]; }
t0=$(date +%s)
echo "== $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if want lat; then
echo "== latency: paced 20k msg/s, $warm warm-up + $count measured"
for ((r = 1; r <= rounds; r++)); do
	for net in lo veth; do
		for e in udp "${engines[@]}"; do
			run_case lat $net "$e" 64 1 $r
		done
	done
done
for net in lo veth; do
	run_case lat $net zmq-norm 64 1 1
	run_case lat $net udp 64 3 1
	for e in "${engines[@]}"; do
		run_case lat $net "$e" 64 3 1
		run_case lat $net "$e" 8 1 1
		run_case lat $net "$e" 8 3 1
	done
done
fi
if want tput; then
echo "== throughput: unpaced for $tsec s"
for net in lo veth; do
	run_case tput $net udp 64 1 1
	for e in "${engines[@]}"; do
		run_case tput $net "$e" 64 1 1
		run_case tput $net "$e" 64 3 1
		run_case tput $net "$e" 8 1 1
	done
done
fi
if want stall; then
# ZeroMQ also with the bridge's own queue (photon_bridge_opts.queue:
# 100000); DDS also with a shallow history, and lossless (keep-all).
stallers=("${engines[@]}" zmq-tcp:100000 dds-rel:16 dds-relall)
echo "== stall: veth, 2 receivers, receiver 0 stops for 2 s after 1 s;" \
	"unpaced for $ssec s, then paced 20k msg/s for $ssec s"
for e in "${stallers[@]}"; do
	run_case stall veth "$e" 64 2 1
done
for e in "${stallers[@]}"; do
	run_case stall20k veth "$e" 64 2 1
done
fi
if want loss; then
for pct in 1 10; do
	loss_on $pct
	echo "== loss $pct %: $loss_method"
	for e in "${engines[@]}"; do
		run_case loss$pct veth "$e" 64 1 1
	done
	loss_off
done
fi
echo "== done in $(($(date +%s) - t0)) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The tables: medians over rounds of each configuration's figures.
{
	echo "Columns: p50/p99/p99.9/max one-way latency (us, pooled over"
	echo "the receivers, median over rounds), messages sent and the"
	echo "publisher's rate (msg/s),"
	echo "received and lost (all receivers), slowest receiver's rate,"
	echo "the publisher's longest send (us) and time in sends > 1 ms (ms),"
	echo "sends the API refused, what the API reported lost per receiver."
	echo
	echo "| mode | net | engine | size | rx | rounds | p50 | p99 | p99.9 | max | sent | pub rate | recv | lost | min rx rate | max send | slow sends ms | refused | api lost |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	sort -t$'\t' -k1,1 -k2,2 -k3,3 -k4,4n -k5,5n "$sum" | awk -F'\t' '
		function median(s,   n, a, i, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) {
				t = a[i]
				for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--)
					a[j + 1] = a[j]
				a[j + 1] = t
			}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{
			k = $1 "|" $2 "|" $3 "|" $4 "|" $5
			if (!(k in cnt)) order[++nk] = k
			cnt[k]++
			for (c = 8; c <= 19; c++) v[k, c] = v[k, c] " " $c
			api[k] = $20
		}
		END {
			for (i = 1; i <= nk; i++) {
				k = order[i]
				printf "| %s | %d |", k, cnt[k]
				for (c = 8; c <= 19; c++)
					printf " %s |", median(v[k, c])
				printf " %s |\n", api[k]
			}
		}'
} >"$out/tables.md"
cat "$out/tables.md"
echo "raw lines: $raw"
