# Sourced by the benchmark scripts (bench/run.sh, bench/report.sh).
# photon_two_cpus NAME CPUS: the CPUs to run on, "A,B". CPUS as given
# (--cpus), or when empty the first two this process may use
# (Cpus_allowed_list is like "0-3,8"); fails with NAME's message when
# there are not two.
photon_two_cpus() {
	local name=$1 cpus=$2
	if [ -z "$cpus" ]; then
		cpus=$(awk '/^Cpus_allowed_list:/ {
			n = split($2, part, ",")
			for (i = 1; i <= n && got < 2; i++) {
				m = split(part[i], r, "-")
				hi = m == 2 ? r[2] : r[1]
				for (c = r[1]; c <= hi && got < 2; c++)
					list = list (got++ ? "," : "") c
			}
			print list
		}' /proc/self/status)
	fi
	case $cpus in
	*,*) echo "$cpus" ;;
	*) echo "$name: needs two CPUs (got '$cpus')" >&2; return 1 ;;
	esac
}
