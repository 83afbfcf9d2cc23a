#!/usr/bin/env bash
# Lossless throughput against the LMAX Disruptor (Java, Debian
# libdisruptor-java 3.4.4), interleaved round by round with libphotonring:
#
#   bench/disruptor.sh [--runs R] [--count N] [--cpus A,B] [--out FILE]
#
# Each round runs bench_throughput -t photon,seqlock (one run, pinned to
# CPUs A and B) and then bench/disruptor/Harness.java (throughput mode,
# with the Disruptor's own next(), threads not pinned, one warm-up run of
# N/5) in a fresh JVM confined to the same two CPUs, the same workload:
# 1 -> 1, 8-byte messages 1, 2, 3 ..., ring 4096, busy-spin, order
# checked. Prints each round and the median of the per-round ratios, with
# the c2c time of each round (the machine state). Default: 9 rounds of 20M
# messages. Needs the packages of PHOTON_DISRUPTOR_PACKAGES
# (scripts/deps.sh) and a Release build in build/bench (bench/run.sh makes
# one; this script builds what it needs). The report's comparison (one-way,
# round trip, 1 -> k, pinned JVM threads) is bench/report.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_BUILD_PACKAGES[@]}" \
	"${PHOTON_DISRUPTOR_PACKAGES[@]}"

runs=9 count=20000000 cpus="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--count) count=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--runs R] [--count N] [--cpus A,B] [--out FILE]" >&2
		exit 2 ;;
	esac
	shift
done

build="$root/build/bench"
jar=/usr/share/java/disruptor.jar
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_throughput >/dev/null
classes="$build/disruptor"
mkdir -p "$classes"
javac -d "$classes" -cp "$jar" "$root/bench/disruptor/Harness.java"
[ -n "$cpus" ] || cpus=$(taskset -pc $$ | sed 's/.*: //' |
	awk -F'[,-]' '{ print $1 "," ($2 != "" ? $2 : $1 + 1) }')

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "round  photon  seqlock  disruptor  (Mmsg/s)  photon/disruptor  c2c"
for r in $(seq "$runs"); do
	line=$("$build/bench/bench_throughput" -c "$cpus" -r 1 -n "$count" \
		-t photon,seqlock -p spin)
	ph=$(awk '$1 == "photon" { print $2 }' <<<"$line")
	sq=$(awk '$1 == "seqlock" { print $2 }' <<<"$line")
	c2c=$(awk '$1 == "photon" { print $8 }' <<<"$line")
	dj=$(taskset -c "$cpus" java -cp "$jar:$classes" Harness throughput \
		n="$count" claim=next jit=1 jitn=$((count / 5)) |
		awk '$2 == "disruptor" { if ($4 != 0) exit 1; print $3 }')
	echo "$r $ph $sq $dj $c2c" >>"$tmp"
	awk -v r="$r" -v p="$ph" -v s="$sq" -v d="$dj" -v c="$c2c" 'BEGIN {
		printf "%5d %7.1f %8.1f %10.1f %27.2f %5.0f\n", r, p, s, d, p / d, c }'
done
sort -n -k1 "$tmp" | awk '
	{ n++; ratio[n] = $2 / $4; dis[n] = $4; ph[n] = $2
	  state[n] = $5 < 100 ? "fast" : "slow" }
	function median(a, k,   i, j, t, b) {
		for (i = 1; i <= k; i++) b[i] = a[i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
		return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
	}
	END {
		for (s = 0; s < 2; s++) {
			st = s ? "slow" : "fast"; k = 0
			for (i = 1; i <= n; i++) if (state[i] == st) r[++k] = ratio[i]
			if (k)
				printf "target: throughput photon > disruptor: %.2f x, %s (%s state, %d rounds)\n",
					median(r, k), (median(r, k) > 1 ? "met" : "missed"), st, k
		}
		printf "medians: photon %.1f, disruptor %.1f Mmsg/s over %d rounds\n",
			median(ph, n), median(dis, n), n
	}' | tee ${out:+"$out"}
