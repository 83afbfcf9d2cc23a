#!/usr/bin/env bash
# The measurements of the technical report (docs/report/): libphotonring
# against the LMAX Disruptor (Java, Debian libdisruptor-java), round by
# round on the same two CPUs, and every table and figure the report uses:
#
#   bench/report.sh [--rounds R] [--cpus A,B] [--quick]
#
# Each round runs, each C run next to its Java twin (which goes first
# alternates by round):
#   one-way    bench_oneway -t photon,floor -p both, and Harness oneway:
#              paced, one message per microsecond, 10 000 warm-up + 100 000
#              measured
#   round trip bench_pingpong -t photon,floor -p both, and Harness pingpong
#   1 -> 1     bench_throughput -t photon,seqlock -p both (20M), and Harness
#              throughput with tryNext() retried (the C loop) and with next()
#   1 -> k     bench/disruptor/fanout.c against Harness throughput k=K,
#              k = 1, 2, 3, YieldingWaitStrategy on both sides, no thread
#              pinned (k >= 2 is more threads than two CPUs: oversubscribed)
# Each Java run is a fresh JVM (flags in JFLAGS below) confined to the two
# CPUs; its measuring threads pin themselves to A and B (Harness.java says
# how), after jit warm-up runs of the same loop that are not reported.
#
# Writes build/bench/results/report/ (every program's output, each round's
# distributions, rounds.tsv with one line per run, tables.md) and, from
# them, docs/report/results.md and docs/report/figures/*.png; docs/report/
# build.sh then makes the HTML or PDF. Default: 11 rounds, about 4
# minutes on an idle 2-vCPU VM (more when runs are redone). --quick: 2
# rounds, small counts, to check that it all works (its numbers are not
# results). Nothing here fails on a time.
#
# A shared machine: before each round the script measures for a second how
# busy the CPUs are with other processes (/proc/stat) and, while that is
# above 15%, waits, up to --wait seconds (default 60; 0: never). The share
# it found and the time it waited are in the per-round table.
# --tables-only measures nothing: it remakes the tables, the figures and
# results.md from the last run's build/bench/results/report/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_BUILD_PACKAGES[@]}" \
	"${PHOTON_DISRUPTOR_PACKAGES[@]}" gnuplot-nox

rounds=11 cpus="" quick=0 wait=60 tables_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--wait) wait=$2; shift ;;
	--quick) quick=1 ;;
	--tables-only) tables_only=1 ;;
	-h | --help) sed -n '2,36p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--rounds R] [--cpus A,B] [--wait S] [--quick]" \
		"[--tables-only]" >&2
		exit 2 ;;
	esac
	shift
done

build="$root/build/bench"
out="$build/results/report"
docs="$root/docs/report"
jar=/usr/share/java/disruptor.jar
JFLAGS=(-Xms256m -Xmx256m -XX:+UseParallelGC -XX:+AlwaysPreTouch)

# Counts: latency runs as bench_oneway's defaults; throughput 20M (1 -> 1)
# and 10M (1 -> k) per run. The JIT warms up on whole runs of the same
# loop: 10 for the latency modes (1.1M messages), 5 of 5M messages for
# throughput (25M).
lat_n=100000 lat_w=10000 tput_n=20000000 fan_n=10000000 lat_jit=10 jit=5
jitn=5000000
if [ "$quick" = 1 ]; then
	rounds=2 lat_n=20000 lat_w=5000 tput_n=2000000 fan_n=1000000 lat_jit=2
	jit=2 jitn=1000000
fi

# Builds, describes the machine and runs the rounds into $out.
measure() {
	echo "== build (Release) in $build"
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
		-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build "$build" -j"$(nproc)" --target bench_oneway bench_pingpong \
		bench_throughput >/dev/null
	mkdir -p "$build/disruptor"
	javac -d "$build/disruptor" -cp "$jar" "$root/bench/disruptor/Harness.java"
	cc -O2 -std=c11 -Wall -Wextra -I"$root/include" -I"$build/include" \
		"$root/bench/disruptor/fanout.c" -o "$build/disruptor/fanout" \
		-L"$build" -lphotonring -lpthread -Wl,-rpath,"$build"

	# shellcheck source=bench/cpus.sh
	. "$root/bench/cpus.sh"
	cpus=$(photon_two_cpus report.sh "$cpus")

	rm -rf "$out"
	mkdir -p "$out" "$docs/figures"
	tsv="$out/rounds.tsv"
	java_run() { # MODE KEY=VALUE...: one fresh JVM on the two CPUs
		taskset -c "$cpus" java "${JFLAGS[@]}" -cp "$jar:$build/disruptor" \
			Harness "$@"
	}

	# ---- the machine, once ----
	{
		echo "date        $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "cpu         $(lscpu | sed -n 's/^Model name: *//p'), family" \
			"$(lscpu | sed -n 's/^CPU family: *//p') model" \
			"$(lscpu | sed -n 's/^Model: *//p'), $(nproc) CPUs," \
			"$(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
		echo "kernel      $(uname -r), clocksource" \
			"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
		echo "gcc         $(gcc -dumpfullversion) (Release build, -O2)"
		echo "jdk         $(java -version 2>&1 | sed -n '2p')"
		echo "disruptor   $(dpkg-query -W -f='${Version}' libdisruptor-java 2>/dev/null)"
		echo "jvm flags   ${JFLAGS[*]}"
		echo "revision    $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(
			git -C "$root" diff --quiet HEAD -- include src 2>/dev/null ||
				echo ' + uncommitted changes in include/ src/')"
		echo "cpus        $cpus"
		echo "load        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
		echo "nanotime    $(java_run clock | awk '{ print $3 " ns median, " $4 " ns p99 per System.nanoTime() read" }')"
		echo "rounds      $rounds; one-way/round trip $lat_n measured + $lat_w warm-up per run;" \
			"throughput $tput_n (1 -> 1), $fan_n (1 -> k) per run;" \
			"JIT warm-up $lat_jit runs (throughput: $jit of $jitn)"
	} | tee "$out/machine.txt"

	# ---- parsers: one tsv line per run ----
	# round test impl v1..v6 c2c runq redo
	# latency: v1..v6 = p50 p90 p99 p99.9 p99.99 max (ns); throughput: v1 =
	# Mmsg/s, v2 = order errors.
	c_latency() { # ROUND TEST FILE
		awk -v r="$1" -v t="$2" '
			/^poll:/ { poll = $2 }
			poll != "" && ($1 == "photon" || $1 == "floor") && NF >= 13 {
				printf "%s\t%s\t%s-%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
					r, t, $1, poll, $2, $3, $4, $5, $6, $7, $11, $12, $13 }' "$3"
	}
	c_tput() { # ROUND FILE
		awk -v r="$1" '
			/^poll:/ { poll = $2 }
			poll != "" && ($1 == "photon" || $1 == "seqlock") && NF >= 11 {
				printf "%s\ttput\t%s-%s\t%s\t%s\t-\t-\t-\t-\t%s\t%s\t%s\n",
					r, $1, poll, $2, $11, $8, $9, $10 }' "$2"
	}
	j_line() { # ROUND TEST IMPL FILE: Harness's key=value line
		awk -v r="$1" -v t="$2" -v im="$3" '
			$2 == "disruptor" {
				for (i = 3; i <= NF; i++)
					if (split($i, kv, "=") == 2) k[kv[1]] = kv[2]
					else v[++n] = $i
				for (i = n + 1; i <= 6; i++) v[i] = "-"
				printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
					r, t, im, v[1], v[2], v[3], v[4], v[5], v[6],
					k["c2c"], k["runq"], k["redo"], k["jit"], k["gc"] }' "$4"
	}

	# ---- the rounds ----
	# Percent of the CPUs' time other processes used over one second.
	cpu_busy() {
		local a b
		a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
		sleep 1
		b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
		awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
			busy = y[1] - x[1]; idle = y[2] - x[2]
			printf "%.0f", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
	}
	start=$SECONDS
	for r in $(seq "$rounds"); do
		d="$out/r$r"
		mkdir -p "$d"
		waited=0
		busy=$(cpu_busy)
		while [ "$busy" -gt 15 ] && [ "$waited" -lt "$wait" ]; do
			[ "$waited" = 0 ] && echo "== round $r: others use $busy% of" \
				"the CPUs; waiting up to $wait s"
			sleep 4
			waited=$((waited + 5))
			busy=$(cpu_busy)
		done
		printf '%s\tstate\tbusy\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\n' "$r" "$busy" \
			"$waited" >>"$tsv"
		echo "== round $r of $rounds ($((SECONDS - start)) s, others $busy%," \
			"load $(cut -d' ' -f1 /proc/loadavg))"
		c_first=$((r % 2))
		for test in oneway pingpong; do
			for side in $c_first $((1 - c_first)); do
				if [ "$side" = 1 ]; then
					"$build/bench/bench_$test" -c "$cpus" -r 1 -p both \
						-t photon,floor -n "$lat_n" -w "$lat_w" -d "$d" \
						>"$d/$test-c.txt"
					c_latency "$r" "$test" "$d/$test-c.txt" >>"$tsv"
				else
					java_run "$test" cpus="$cpus" n="$lat_n" w="$lat_w" \
						jit="$lat_jit" dump="$d/$test-disruptor.dat" \
						>"$d/$test-java.txt"
					j_line "$r" "$test" disruptor "$d/$test-java.txt" >>"$tsv"
				fi
			done
		done
		for side in $c_first $((1 - c_first)); do
			if [ "$side" = 1 ]; then
				"$build/bench/bench_throughput" -c "$cpus" -r 1 -p both \
					-t photon,seqlock -n "$tput_n" >"$d/tput-c.txt"
				c_tput "$r" "$d/tput-c.txt" >>"$tsv"
			else
				for claim in try next; do
					java_run throughput cpus="$cpus" n="$tput_n" \
						claim="$claim" jit="$jit" jitn="$jitn" \
						>"$d/tput-java-$claim.txt"
					j_line "$r" tput "disruptor-$claim" \
						"$d/tput-java-$claim.txt" >>"$tsv"
				done
			fi
		done
		for k in 1 2 3; do
			for side in $c_first $((1 - c_first)); do
				if [ "$side" = 1 ]; then
					taskset -c "$cpus" "$build/disruptor/fanout" -n "$fan_n" \
						-k "$k" -w yield >"$d/fan$k-c.txt"
					awk -v r="$r" -v t="fan$k" '$2 == "photon" {
						sub("runq=", "", $5)
						printf "%s\t%s\tphoton\t%s\t%s\t-\t-\t-\t-\t-\t%s\t0\n",
							r, t, $3, $4, $5 }' "$d/fan$k-c.txt" >>"$tsv"
				else
					java_run throughput k="$k" wait=yield n="$fan_n" \
						jit="$jit" jitn="$jitn" >"$d/fan$k-java.txt"
					j_line "$r" "fan$k" disruptor "$d/fan$k-java.txt" >>"$tsv"
				fi
			done
		done
	done
	echo "load        $(cut -d' ' -f1-3 /proc/loadavg) at the end; $((SECONDS - start)) s of rounds" |
		tee -a "$out/machine.txt"
}

tsv="$out/rounds.tsv"
if [ "$tables_only" = 1 ]; then
	if [ ! -s "$tsv" ]; then
		echo "report.sh: no $tsv to make tables from; run without" \
			"--tables-only first" >&2
		exit 1
	fi
	rounds=$(awk -F'\t' '$1 > n { n = $1 } END { print n + 0 }' "$tsv")
	cpus=$(awk '$1 == "cpus" { print $2 }' "$out/machine.txt")
	mkdir -p "$docs/figures"
else
	measure
fi

# ---- distributions: the median over the rounds of each percentile ----
# Only runs in which no measuring thread was preempted (runq <= 1%), as in
# the tables; every run when none was clean (--quick on a busy machine).
for f in oneway-spin-photon oneway-pause-photon oneway-spin-floor \
	oneway-disruptor pingpong-spin-photon pingpong-pause-photon \
	pingpong-spin-floor pingpong-disruptor; do
	test=${f%%-*} impl=${f#*-}
	case $impl in
	*-*) impl="${impl#*-}-${impl%%-*}" ;; # spin-photon -> photon-spin
	esac
	files=()
	for clean in 1 0; do
		while read -r r; do
			[ -s "$out/r$r/$f.dat" ] && files+=("$out/r$r/$f.dat")
		done < <(awk -F'\t' -v t="$test" -v i="$impl" -v c="$clean" '
			$2 == t && $3 == i &&
			(!c || ($11 != "-" && $11 + 0 <= 1)) { print $1 }' "$tsv")
		[ "${#files[@]}" -gt 0 ] && break
	done
	[ "${#files[@]}" -gt 0 ] || continue
	awk '!/^#/ { n[FNR]++; p[FNR] = $1; x[FNR] = $2; v[FNR, n[FNR]] = $3
			if (FNR > rows) rows = FNR }
		END {
			for (i = 1; i <= rows; i++) {
				m = n[i]
				for (a = 1; a <= m; a++) s[a] = v[i, a]
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
					if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
				med = m % 2 ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
				print p[i], x[i], med
			}
		}' "${files[@]}" >"$out/curve-$f.dat"
done

# ---- tables ----
# ratio: per round, "photon advantage" (latency: disruptor / photon,
# throughput: photon / disruptor; > 1: photon better), then the median and
# range over the rounds; the state of a round is photon's c2c probe in its
# C run (fast under 100 ns).
awk -F'\t' -v out="$out" -v rounds="$rounds" '
	function median(a, n,   i, j, t, b) {
		if (n == 0) return "nan"
		for (i = 1; i <= n; i++) b[i] = a[i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
		return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
	}
	function lo(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
	function hi(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
	function f(x) { return x == "nan" ? "-" : x >= 1000 ? sprintf("%.0f", x) : x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
	function fr(x) { return x == "nan" ? "-" : sprintf("%.2f", x) }
	function ok(v) { return v != "" && v != "-" && v != "nan" }
	# A run a measuring thread was not preempted in (runq <= 1%), or any
	# run when CLEAN is 0.
	function kept(row) { return !CLEAN || (ok(row[11]) && row[11] + 0 <= 1) }
	# The values of column c of test/impl over the rounds: into a, count.
	function values(test, impl, c, a,   n, r, row) {
		n = 0
		for (r = 1; r <= rounds; r++) if ((r, test, impl) in V) {
			split(V[r, test, impl], row, "\t")
			if (ok(row[c]) && kept(row)) a[++n] = row[c]
		}
		return n
	}
	function col(test, impl, c,   n, a) {
		n = values(test, impl, c, a)
		return n ? median(a, n) : "nan"
	}
	function range(test, impl, c,   n, a) {
		n = values(test, impl, c, a)
		return n ? f(lo(a, n)) "-" f(hi(a, n)) : "-"
	}
	function count(test, impl,   a) { return values(test, impl, 4, a) }
	# Two runs of one round in the same machine state: their c2c probes
	# within a factor of 2 (the Java probe reads nanoTime once per round
	# trip, which adds about 15 ns).
	function same(x, y) {
		return ok(x[10]) && ok(y[10]) && x[10] > 0 && y[10] > 0 &&
			x[10] < 2 * y[10] && y[10] < 2 * x[10]
	}
	# Per-round ratio num/den of column c: "median [min-max]"; with CLEAN,
	# only rounds in which neither run was preempted and both saw the same
	# machine state, and the count of those rounds appended.
	function ratio(test, num, den, c, tnum,   n, r, a, x, y) {
		n = 0
		if (tnum == "") tnum = test
		for (r = 1; r <= rounds; r++)
			if ((r, tnum, num) in V && (r, test, den) in V) {
				split(V[r, tnum, num], x, "\t"); split(V[r, test, den], y, "\t")
				if (!ok(x[c]) || !ok(y[c]) || !(y[c] > 0 && x[c] > 0)) continue
				if (CLEAN && !(kept(x) && kept(y) && same(x, y))) continue
				a[++n] = x[c] / y[c]
			}
		if (!n) return "-"
		return sprintf("%.2f [%.2f-%.2f]", median(a, n), lo(a, n), hi(a, n)) (CLEAN ? sprintf(" (%d)", n) : "")
	}
	{ V[$1, $2, $3] = $0 }
	END {
		t = out "/tables.md"
		# The distribution tables: medians over the runs in which no
		# measuring thread was preempted (runq <= 1%); "runs": how many.
		CLEAN = 1
		split("floor-spin photon-spin floor-pause photon-pause disruptor", L, " ")
		split("floor (spin)|photon (spin)|floor (pause)|photon (pause)|Disruptor (BusySpin)", N, "|")
		for (tt = 1; tt <= 2; tt++) {
			test = tt == 1 ? "oneway" : "pingpong"
			if (tt == 1)
				print "### One-way latency (ns; paced, 1 message per microsecond)\n" > t
			else
				print "\n### Round trip (half of it, ns; back to back)\n" > t
			print "| | p50 | p90 | p99 | p99.9 | p99.99 | p50 range | c2c | runs |" > t
			print "|---|---:|---:|---:|---:|---:|---|---:|---:|" > t
			for (i = 1; i <= 5; i++)
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", N[i],
					f(col(test, L[i], 4)), f(col(test, L[i], 5)), f(col(test, L[i], 6)),
					f(col(test, L[i], 7)), f(col(test, L[i], 8)), range(test, L[i], 4),
					f(col(test, L[i], 10)), count(test, L[i]) > t
		}
		print "\n### Throughput 1 -> 1 (Mmsg/s, lossless, order checked, 8-byte messages, ring 4096)\n" > t
		print "| | Mmsg/s | range | c2c | runs |" > t
		print "|---|---:|---|---:|---:|" > t
		split("photon-spin photon-pause seqlock-spin seqlock-pause disruptor-try disruptor-next", L, " ")
		split("photon (spin)|photon (pause)|bare seqlock ring (spin)|bare seqlock ring (pause)|Disruptor, tryNext + onSpinWait|Disruptor, next() (parkNanos when full)", N, "|")
		for (i = 1; i <= 6; i++)
			printf "| %s | %s | %s | %s | %d |\n", N[i], f(col("tput", L[i], 4)),
				range("tput", L[i], 4), f(col("tput", L[i], 10)), count("tput", L[i]) > t
		# The oversubscribed runs are preempted by design: every run.
		CLEAN = 0
		print "\n### Throughput 1 -> k (Mmsg/s at the slowest consumer; yielding waits, threads not pinned; k >= 2 oversubscribes the 2 CPUs; every round)\n" > t
		print "| k | photon | range | Disruptor | range | photon / Disruptor, per round |" > t
		print "|---:|---:|---|---:|---|---|" > t
		for (k = 1; k <= 3; k++)
			printf "| %d | %s | %s | %s | %s | %s |\n", k,
				f(col("fan" k, "photon", 4)), range("fan" k, "photon", 4),
				f(col("fan" k, "disruptor", 4)), range("fan" k, "disruptor", 4),
				ratio("fan" k, "photon", "disruptor", 4) > t
		print "\n### Photon advantage, per round (median [min-max] of the per-round ratios; > 1: libphotonring better)\n" > t
		print "Clean rounds: neither run of the pair was preempted (runq <= 1%) and both saw the same machine state (c2c probes within a factor of 2); their count in brackets.\n" > t
		print "| workload | photon pause vs BusySpin, clean rounds | the same, every round | photon spinning, clean rounds |" > t
		print "|---|---|---|---|" > t
		split("oneway 4 one-way p50|oneway 6 one-way p99|pingpong 4 round trip p50|pingpong 6 round trip p99", W, "|")
		for (w = 1; w <= 4; w++) {
			split(W[w], q, " "); lab = substr(W[w], length(q[1]) + length(q[2]) + 3)
			CLEAN = 1; a1 = ratio(q[1], "disruptor", "photon-pause", q[2]); a3 = ratio(q[1], "disruptor", "photon-spin", q[2])
			CLEAN = 0; a2 = ratio(q[1], "disruptor", "photon-pause", q[2])
			printf "| %s, Disruptor / photon | %s | %s | %s |\n", lab, a1, a2, a3 > t
		}
		split("disruptor-try tryNext|disruptor-next next()", W, "|")
		for (w = 1; w <= 2; w++) {
			split(W[w], q, " ")
			CLEAN = 1; a1 = ratio("tput", "photon-pause", q[1], 4); a3 = ratio("tput", "photon-spin", q[1], 4)
			CLEAN = 0; a2 = ratio("tput", "photon-pause", q[1], 4)
			printf "| throughput 1 -> 1, photon / Disruptor %s | %s | %s | %s |\n", q[2], a1, a2, a3 > t
		}
		CLEAN = 0
		for (k = 1; k <= 3; k++)
			printf "| throughput 1 -> %d (yield, not pinned), photon / Disruptor | | %s | |\n", k, ratio("fan" k, "photon", "disruptor", 4) > t
		print "\n### Every round\n" > t
		print "| round | CPU % used by others, s waited | one-way c2c C / Java (ns) | one-way p50 photon pause / Disruptor | round trip p50 | 1 -> 1 Mmsg/s photon pause / Disruptor try / next | 1 -> 1, 2, 3 photon / Disruptor (Mmsg/s) | Java: runq% max of the pinned runs, redone runs, JIT ms in measured runs |" > t
		print "|---:|---|---|---|---|---|---|---|" > t
		for (r = 1; r <= rounds; r++) {
			jq = 0; jr = 0; jj = 0
			for (key in V) {
				split(key, kk, SUBSEP)
				if (kk[1] != r || kk[3] !~ /disruptor/) continue
				split(V[key], x, "\t")
				# the oversubscribed runs are preempted by design
				if (kk[2] !~ /^fan/ && x[11] != "-" && x[11] + 0 > jq) jq = x[11] + 0
				jr += x[12]; jj += x[13]
			}
			fo = ""
			for (k = 1; k <= 3; k++) {
				split(V[r, "fan" k, "photon"], a, "\t"); split(V[r, "fan" k, "disruptor"], b, "\t")
				fo = fo (k > 1 ? ", " : "") f(a[4]) " / " f(b[4])
			}
			split(V[r, "oneway", "photon-pause"], a, "\t"); split(V[r, "oneway", "disruptor"], b, "\t")
			ow = f(a[4]) " / " f(b[4])
			cc = f(a[10]) " / " f(b[10])
			split(V[r, "pingpong", "photon-pause"], a, "\t"); split(V[r, "pingpong", "disruptor"], b, "\t")
			pp = f(a[4]) " / " f(b[4])
			split(V[r, "tput", "photon-pause"], a, "\t"); split(V[r, "tput", "disruptor-try"], b, "\t")
			split(V[r, "tput", "disruptor-next"], c, "\t")
			tp = f(a[4]) " / " f(b[4]) " / " f(c[4])
			split(V[r, "state", "busy"], a, "\t")
			printf "| %d | %s, %s | %s | %s | %s | %s | %s | %.1f, %d, %d |\n", r, a[4], a[5], cc, ow, pp, tp, fo, jq, jr, jj > t
		}
		# Per-round ratios for the figure, each against the c2c probe of its
		# C run, with whether the pair was clean (1) or not (0).
		g = out "/ratios.dat"
		print "# round, then for one-way p50, round-trip p50, 1 -> 1 tryNext: c2c ratio clean (photon advantage)" > g
		CLEAN = 1
		split("oneway photon-pause disruptor 4|pingpong photon-pause disruptor 4|tput photon-pause disruptor-try 4", Q, "|")
		for (r = 1; r <= rounds; r++) {
			printf "%d", r > g
			for (m = 1; m <= 3; m++) {
				split(Q[m], z, " ")
				split(V[r, z[1], z[2]], a, "\t"); split(V[r, z[1], z[3]], b, "\t")
				v = "NaN"
				if (ok(a[4]) && ok(b[4]) && a[4] > 0 && b[4] > 0)
					v = z[1] == "tput" ? a[4] / b[4] : b[4] / a[4]
				printf " %s %s %d", (ok(a[10]) ? a[10] : "NaN"), v, (kept(a) && kept(b) && same(a, b)) > g
			}
			printf "\n" > g
		}
		CLEAN = 0
		# per-round rates for the figure
		h = out "/rates.dat"
		print "# round photon-spin photon-pause seqlock-spin disruptor-try disruptor-next (Mmsg/s)" > h
		split("photon-spin photon-pause seqlock-spin disruptor-try disruptor-next", L, " ")
		for (r = 1; r <= rounds; r++) {
			printf "%d", r > h
			for (i = 1; i <= 5; i++) {
				split(V[r, "tput", L[i]], a, "\t"); printf " %s", (a[4] != "" ? a[4] : "NaN") > h
			}
			printf "\n" > h
		}
		h = out "/fanout.dat"
		print "# k photon-median min max disruptor-median min max (Mmsg/s)" > h
		for (k = 1; k <= 3; k++) {
			printf "%d", k > h
			split("photon disruptor", I, " ")
			for (i = 1; i <= 2; i++) {
				n = 0
				for (r = 1; r <= rounds; r++) if ((r, "fan" k, I[i]) in V) {
					split(V[r, "fan" k, I[i]], a, "\t"); z[++n] = a[4] }
				printf " %s %s %s", n ? median(z, n) : "NaN", n ? lo(z, n) : "NaN", n ? hi(z, n) : "NaN" > h
			}
			printf "\n" > h
		}
	}' "$tsv"

# Order errors anywhere are a failure of a queue, not a number.
if awk -F'\t' '$2 ~ /^(tput|fan)/ && $5 != "-" && $5 != 0 { bad = 1 }
	END { exit !bad }' "$tsv"; then
	echo "report.sh: ORDER ERRORS in $tsv" >&2
	exit 1
fi

# ---- figures ----
info="$(awk '$1 == "cpu" { sub(/^cpu +/, ""); sub(/,.*/, ""); print }' \
	"$out/machine.txt"), CPUs $cpus,"
info+=" $(awk '$1 == "date" { sub(/^date +/, ""); print }' "$out/machine.txt"),"
info+=" $rounds rounds"
gnuplot -e "dir='$out'; figs='$docs/figures'; info='$info'" \
	"$root/bench/report.gp" ||
	echo "report.sh: gnuplot failed; the figures are not up to date" >&2

# ---- docs/report/results.md ----
{
	echo "# Results of the last \`bench/run.sh --report\`"
	echo
	echo "Generated by \`bench/report.sh\` (do not edit: rerun it). The method"
	echo "and the reading of these numbers are in [README.md](README.md)."
	echo "Raw outputs: \`build/bench/results/report/\` (\`rounds.tsv\`, one line per run)."
	echo
	echo '```'
	cat "$out/machine.txt"
	echo '```'
	echo
	echo "Latency and 1 -> 1 tables: medians over the runs in which no"
	echo "measuring thread spent more than 1% of the run preempted (\"runs\":"
	echo "how many of the rounds); \"range\" is the lowest and highest of them."
	echo "c2c: the core-to-core probe just before the run (median half round"
	echo "trip of a store exchange, ns): the machine state, fast under 100 ns."
	echo "photon is libphotonring's typed inline path, lossy in the latency runs,"
	echo "bounded (watermark 0) in the throughput runs; floor is one release"
	echo "store into a line the reader polls (lossy, the physical floor); spin"
	echo "re-polls at once, pause runs one PAUSE per empty poll, which is what"
	echo "the Disruptor's BusySpinWaitStrategy does (Thread.onSpinWait)."
	echo
	cat "$out/tables.md"
	echo
	echo "![latency](figures/latency.png)"
	echo
	echo "![throughput](figures/throughput.png)"
	echo
	echo "![ratios](figures/ratios.png)"
} >"$docs/results.md"
echo "== done: $out, docs/report/results.md, docs/report/figures/"
