#!/usr/bin/env bash
# The benchmark results in one command (bench/README.md explains the method):
#
#   bench/run.sh [--quick] [--cpus A,B] [--runs R]
#   bench/run.sh --report [--quick] [--cpus A,B] [--runs R]
#
# 1. builds the benchmarks, Release, with every peer, in build/bench;
# 2. runs bench_core (google-benchmark, single thread, pinned to CPU B,
#    5 repetitions, medians) - the single-thread costs and peer ratios;
# 3. runs bench_oneway, bench_pingpong and bench_throughput on CPUs A and B
#    (default: the first two this process may use), every transport
#    interleaved, R rounds (default 5; 3 for throughput);
# 4. runs the same lossless workload through the LMAX Disruptor (Java),
#    interleaved with libphotonring round by round (bench/disruptor.sh);
# 5. counts the hot paths' instructions (bench/callgrind.sh) and reports
#    issue 11's targets, each with its ratio and whether it is met
#    (bench/targets.sh);
# 6. draws the latency distributions with gnuplot into docs/latency.png.
#
# Everything printed is also kept in build/bench/results/ (*.txt, the
# google-benchmark JSON, the distributions as *.dat). --quick cuts the
# counts (1 round, 10M throughput messages) to check that it all works;
# its numbers are not results. Nothing here fails on a time.
#
# --report does none of the above: it regenerates every table and figure
# of the technical report (docs/report/): bench/report.sh runs
# libphotonring and the LMAX Disruptor round by round (R rounds, default
# 11; about 4 minutes) into build/bench/results/report/, writes
# docs/report/results.md and docs/report/figures/*.png, and
# docs/report/build.sh makes build/report/report.pdf (or .html) when
# pandoc is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_BUILD_PACKAGES[@]}" \
	"${PHOTON_BENCH_PACKAGES[@]}" "${PHOTON_DISRUPTOR_PACKAGES[@]}"

quick=0 cpus="" runs="" report=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--cpus) cpus=$2; shift ;;
	--runs) runs=$2; shift ;;
	--report) report=1 ;;
	-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--report] [--quick] [--cpus A,B] [--runs R]" >&2
		exit 2 ;;
	esac
	shift
done

if [ "$report" = 1 ]; then
	rep_opts=()
	[ "$quick" = 1 ] && rep_opts+=(--quick)
	[ -n "$cpus" ] && rep_opts+=(--cpus "$cpus")
	[ -n "$runs" ] && rep_opts+=(--rounds "$runs")
	start=$SECONDS
	bash "$root/bench/report.sh" "${rep_opts[@]}"
	bash "$root/docs/report/build.sh"
	echo "== report regenerated in $((SECONDS - start)) s"
	exit 0
fi

build="$root/build/bench"
out="$build/results"
echo "== build (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_EXAMPLES=OFF \
	-DPHOTON_BENCH_PEERS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_core bench_oneway \
	bench_pingpong bench_throughput
mkdir -p "$out"
rm -f "$out"/*.dat

# shellcheck source=bench/cpus.sh
. "$root/bench/cpus.sh"
cpus=$(photon_two_cpus run.sh "$cpus")
core_cpu=${cpus#*,}

# A shared machine: say so when something else is using the CPUs.
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	echo "== warning: load average $load - other processes compete for" \
		"the CPUs; expect wide ranges and redone runs"
fi

lat_opts=(--cpus "$cpus" --dump "$out")
tput_opts=(--cpus "$cpus")
core_opts=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	--benchmark_min_time=0.2)
if [ "$quick" = 1 ]; then
	lat_opts+=(--runs 1 --count 20000 --warmup 5000)
	tput_opts+=(--runs 1 --count 10000000)
	core_opts=(--benchmark_min_time=0.02)
elif [ -n "$runs" ]; then
	lat_opts+=(--runs "$runs")
	tput_opts+=(--runs "$runs")
fi

echo "== bench_core on CPU $core_cpu"
taskset -c "$core_cpu" "$build/bench/bench_core" "${core_opts[@]}" \
	--benchmark_out="$out/core.json" --benchmark_out_format=json |
	tee "$out/core.txt"
for prog in oneway pingpong; do
	echo "== bench_$prog"
	"$build/bench/bench_$prog" "${lat_opts[@]}" | tee "$out/$prog.txt"
done
echo "== bench_throughput"
"$build/bench/bench_throughput" "${tput_opts[@]}" | tee "$out/throughput.txt"

echo "== against the LMAX Disruptor (bench/disruptor.sh)"
if [ "$quick" = 1 ]; then
	dis_opts=(--runs 1 --count 5000000)
else
	dis_opts=(--runs "${runs:-9}")
fi
bash "$root/bench/disruptor.sh" --cpus "$cpus" "${dis_opts[@]}" \
	--out "$out/disruptor.txt"

echo "== instruction counts (bench/callgrind.sh)"
bash "$root/bench/callgrind.sh" | tee "$out/callgrind.txt"
bash "$root/bench/targets.sh" "$out" | tee "$out/targets.txt"

echo "== plot: docs/latency.png"
mkdir -p "$root/docs"
info="$(sed -n 's/^  cpu *//p' "$out/oneway.txt" | cut -d, -f1),"
info+=" CPUs $cpus, $(date -u +%Y-%m-%d)"
gnuplot -e "dir='$out'; out='$root/docs/latency.png'; info='$info'" \
	"$root/bench/plot.gp"
echo "== done: results in $out, plot in docs/latency.png"
