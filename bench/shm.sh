#!/usr/bin/env bash
# Issue 12's benchmark in one command (bench/README.md, "Shared channels
# across processes"):
#
#   bench/shm.sh [--quick] [--cpus A,B] [--rounds R] [--api typed|abi]
#                [-- more bench_shm options]
#
# 1. installs what it needs (as root; otherwise prints the apt-get line):
#    the build packages, iceoryx 2.0.3's C binding and the iox-roudi daemon;
# 2. builds bench_shm, Release, in build/bench;
# 3. starts iox-roudi in the background with a small mempool (unless one is
#    already running, which it then leaves alone) and waits until its
#    socket is up and it says it is ready - polled, no fixed sleep;
# 4. runs bench_shm: one-way latency of the modes thread, process,
#    shm-thread, iceoryx and iceoryx-loan, interleaved round by round
#    (default 21 rounds), then throughput of the libphotonring modes
#    (5 rounds), and prints the table with the ratios;
# 5. stops the RouDi it started.
#
# The output is also kept in build/bench/results/shm.txt. --quick: 3
# rounds of smaller runs, to check that it all works (its numbers are not
# results). About 25 s by default on 2 idle vCPUs, under 3 minutes on busy
# ones; nothing here fails on a time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_BUILD_PACKAGES[@]}" \
	"${PHOTON_ICEORYX_PACKAGES[@]}"

quick=0 cpus="" rounds="" api=typed extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--cpus) cpus=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--api) api=$2; shift ;;
	--) shift; extra=("$@"); break ;;
	-h | --help) sed -n '2,23p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--quick] [--cpus A,B] [--rounds R]" \
		"[--api typed|abi] [-- bench_shm options]" >&2
		exit 2 ;;
	esac
	shift
done

build="$root/build/bench"
bin="$build/bench/bench_shm"
echo "== build (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_shm >/dev/null
mkdir -p "$build/results"

# RouDi: its unix socket is /tmp/roudi (iceoryx 2.0's fixed name), so one
# per machine. A RouDi we did not start is used as it is and left running.
roudi_pid="" roudi_dir=""
stop_roudi() {
	if [ -n "$roudi_pid" ]; then
		kill "$roudi_pid" 2>/dev/null || true
		wait "$roudi_pid" 2>/dev/null || true
		roudi_pid=""
	fi
	[ -z "$roudi_dir" ] || rm -rf "$roudi_dir"
}
trap stop_roudi EXIT
trap 'exit 130' INT TERM

if [ -S /tmp/roudi ] && pgrep -x iox-roudi >/dev/null; then
	echo "== iox-roudi already running: using it"
else
	roudi_dir=$(mktemp -d)
	# 128-byte chunks hold the 8-byte payload and iceoryx's 32-byte
	# chunk header; 4096 of them cover the subscriber's queue of 256 and
	# every loan in flight.
	cat >"$roudi_dir/roudi.toml" <<-'EOF'
		[general]
		version = 1

		[[segment]]

		[[segment.mempool]]
		size = 128
		count = 4096
	EOF
	# -m off: RouDi drops a process whose keep-alive is late by 1.5 s,
	# which a loaded 2-vCPU machine causes (then the run fails); the
	# children deregister at exit either way, and the data path is the
	# same.
	iox-roudi -c "$roudi_dir/roudi.toml" -m off -l info \
		>"$roudi_dir/roudi.log" 2>&1 &
	roudi_pid=$!
	echo "== iox-roudi started (pid $roudi_pid), waiting until it is ready"
	ready=0
	for _ in $(seq 1000); do # at most ~20 s
		if ! kill -0 "$roudi_pid" 2>/dev/null; then
			break
		fi
		if [ -S /tmp/roudi ] &&
			grep -q 'RouDi is ready for clients' "$roudi_dir/roudi.log"; then
			ready=1
			break
		fi
		sleep 0.02
	done
	if [ "$ready" != 1 ]; then
		echo "shm.sh: iox-roudi did not come up:" >&2
		cat "$roudi_dir/roudi.log" >&2
		exit 1
	fi
fi

# Two redos at most of a run preempted for more than 1% of it: a loaded
# machine then costs up to ~2.5 minutes instead of ~25 s.
opts=(--api "$api" --retries 2)
[ -z "$cpus" ] || opts+=(--cpus "$cpus")
if [ "$quick" = 1 ]; then
	opts+=(--rounds "${rounds:-3}" --count 20000 --warmup 5000
		--tput-count 2000000 --tput-rounds 2)
else
	opts+=(--rounds "${rounds:-21}")
fi

load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
	echo "== warning: load average $load - other processes compete for" \
		"the CPUs; expect wide ranges and redone runs"
fi
echo "== $bin ${opts[*]} ${extra[*]}"
status=0
"$bin" "${opts[@]}" "${extra[@]}" | tee "$build/results/shm.txt" ||
	status=$?
if [ -n "$roudi_dir" ] && grep -q -E 'Error|not responding' \
	"$roudi_dir/roudi.log"; then
	echo "== RouDi reported:"
	grep -E 'Error|Warning' "$roudi_dir/roudi.log" | head -20
fi
exit "$status"
