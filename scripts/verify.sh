#!/usr/bin/env bash
# Model checking (issue 9, section 2): runs every SPIN model in verify/
# unmutated, which must pass (pan reports errors: 0 over a complete search),
# and every mutant, which must be caught (errors > 0, with the expected kind
# of violation: an assertion, or an acceptance cycle for the liveness
# claim). pan exits 0 whether or not it finds a violation, so its output is
# parsed. Each run is built in a temporary directory that is removed on
# exit; nothing is written to the source tree.
#
# Usage: scripts/verify.sh [NAME...]   (default: every run below)
# VERIFY_VERBOSE=1 prints pan's full report for every run, and the
# counterexample (the model's MSC: lines along the trail) where there is one.
# Needs spin and gcc (installed as root, like the other scripts). Exits non-zero if a model
# fails or a mutant is not caught; the last line is
#   models: N passed; mutants: M of M caught
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models_dir="$root/verify"

# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_VERIFY_PACKAGES[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/photon-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT

# name       model        check     switch(es)     a mutant's expected violation
# (switches: comma-separated -D names; "-" in the last column: a model,
# which must pass)
RUNS=(
	"seqlock     seqlock.pml  safety    -              -"
	"W2          seqlock.pml  safety    MUTANT_W2      assertion"
	"R3          seqlock.pml  safety    MUTANT_R3      assertion"
	"C2          seqlock.pml  safety    MUTANT_C2      assertion"
	"hole        seqlock.pml  safety    HOLE           -"
	"hole-R4     seqlock.pml  safety    HOLE,MUTANT_HOLE_R4 assertion"
	"bounded     bounded.pml  safety    -              -"
	"bug1-floor  bounded.pml  safety    MUTANT_BUG1    assertion"
	"bug2-regate bounded.pml  safety    MUTANT_BUG2    assertion"
	"clamp       bounded.pml  safety    MUTANT_CLAMP   assertion"
	"rejoin-clock bounded.pml safety    MUTANT_REJOIN_CLOCK assertion"
	"park        park.pml     liveness  -              -"
	"K3          park.pml     liveness  MUTANT_K3      acceptance"
	"bug5-membarrier park.pml liveness  MUTANT_BUG5    acceptance"
	"futex-check park.pml     liveness  MUTANT_FUTEX   acceptance"
	"close-wake  park.pml     liveness  MUTANT_CLOSE   acceptance"
	"park-shm    park.pml     liveness  SHM            -"
	"shm-join    park.pml     liveness  SHM,MUTANT_JOIN acceptance"
	"shm-unsafe  park.pml     liveness  SHM,MUTANT_UNSAFE acceptance"
	"fd          fd.pml       liveness  -              -"
	"fd-recheck  fd.pml       liveness  MUTANT_RECHECK acceptance"
	"fd-readback fd.pml       liveness  MUTANT_READBACK assertion"
	"fd-K3       fd.pml       liveness  MUTANT_FD_K3   acceptance"
	"fd-order    fd.pml       liveness  MUTANT_ORDER   acceptance"
	"mpmc        mpmc.pml     safety    -              -"
	"cursor-eq   mpmc.pml     safety    MUTANT_EQ      assertion"
	"lap-wait    mpmc.pml     safety    MUTANT_LAP     assertion"
	"M1          mpmc.pml     safety    MUTANT_M1      assertion"
)

now() { # seconds, with a fraction where bash has EPOCHREALTIME
	echo "${EPOCHREALTIME:-$SECONDS}"
}

models_total=0 models_passed=0 mutants_total=0 mutants_caught=0
failed=()

# run NAME MODEL CHECK SWITCH EXPECT: prints one line; 0 if as expected.
run() {
	local name=$1 model=$2 check=$3 switch=$4 expect=$5
	local dir="$work/$name" t0 t1 secs states errors verdict what label ok=1
	local spin_def=() cflags=(-O1 -w) panflags=(-m200000)

	mkdir -p "$dir"
	cp "$models_dir/$model" "$dir/"
	if [ "$switch" != - ]; then
		local d
		for d in ${switch//,/ }; do spin_def+=("-D$d"); done
	fi
	if [ "$check" = safety ]; then
		cflags+=(-DSAFETY)
	else
		panflags+=(-a -f) # acceptance cycles, weak fairness
	fi
	t0=$(now)
	if ! (cd "$dir" && spin "${spin_def[@]}" -a "$model" >spin.log 2>&1); then
		verdict="FAILED (spin -a)"
		ok=0
		cat "$dir/spin.log" >&2
	elif ! (cd "$dir" && gcc "${cflags[@]}" -o pan pan.c >gcc.log 2>&1); then
		verdict="FAILED (gcc pan.c)"
		ok=0
		cat "$dir/gcc.log" >&2
	elif ! (cd "$dir" && ./pan "${panflags[@]}" >pan.out 2>&1); then
		verdict="FAILED (pan exited non-zero)"
		ok=0
		tail -n 20 "$dir/pan.out" >&2
	fi
	t1=$(now)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	states=-
	errors=-
	if [ "$ok" = 1 ]; then
		errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$dir/pan.out" |
			tail -n 1)
		states=$(awk '/states, stored/ { print $1; exit }' "$dir/pan.out")
		errors=${errors:--}
		states=${states:--}
		if [ "${VERIFY_VERBOSE:-0}" = 1 ]; then
			cat "$dir/pan.out"
			if [ -e "$dir/$model.trail" ]; then
				(cd "$dir" && spin "${spin_def[@]}" -t "$model" 2>&1 |
					grep -E "MSC:|assert" | sed 's/^ */  trail: /') ||
					true
			fi
		fi
	fi
	if [ "$expect" = - ]; then
		models_total=$((models_total + 1))
		if [ "$ok" = 1 ]; then
			if [ "$errors" != 0 ]; then
				verdict="FAILED (errors: $errors)"
				ok=0
			elif grep -q "too small\|out of memory\|VECTORSZ" \
				"$dir/pan.out"; then
				verdict="FAILED (search incomplete)"
				ok=0
			else
				verdict=passed
			fi
			if [ "$ok" = 0 ]; then
				grep -E "^pan|too small|memory" "$dir/pan.out" >&2 || true
				(cd "$dir" && spin "${spin_def[@]}" -t "$model" 2>&1 |
					grep -E "MSC:|assert" | sed 's/^ */  trail: /' |
					head -n 60) >&2 || true
			fi
		fi
		if [ "$ok" = 1 ]; then
			models_passed=$((models_passed + 1))
		fi
		label="model "
	else
		mutants_total=$((mutants_total + 1))
		if [ "$ok" = 1 ]; then
			what=$(grep -m 1 -E "^pan:[0-9]+: " "$dir/pan.out" |
				sed 's/^pan:[0-9]*: //; s/ (at depth [0-9]*)//' || true)
			if [ "$errors" = - ] || [ "$errors" = 0 ]; then
				verdict="NOT CAUGHT (errors: $errors)"
				ok=0
			elif [ "$expect" = assertion ] &&
				[[ "$what" != "assertion violated"* ]]; then
				verdict="NOT CAUGHT as expected: $what"
				ok=0
			elif [ "$expect" = acceptance ] &&
				[[ "$what" != "acceptance cycle"* ]]; then
				verdict="NOT CAUGHT as expected: $what"
				ok=0
			else
				verdict="caught: $what"
			fi
		fi
		if [ "$ok" = 1 ]; then
			mutants_caught=$((mutants_caught + 1))
		fi
		label=mutant
	fi
	printf '%s %-16s %-12s %-9s states %9s  errors %2s  %5ss  %s\n' \
		"$label" "$name" "$model" "$check" "$states" "$errors" "$secs" \
		"$verdict"
	[ "$ok" = 1 ]
}

echo "SPIN $(spin -V 2>/dev/null | sed 's/^Spin Version //')"
for entry in "${RUNS[@]}"; do
	read -r name model check switch expect <<<"$entry"
	if [ $# -gt 0 ]; then
		wanted=0
		for arg in "$@"; do
			if [ "$arg" = "$name" ] || [ "$arg" = "${model%.pml}" ]; then
				wanted=1
			fi
		done
		if [ "$wanted" = 0 ]; then
			continue
		fi
	fi
	run "$name" "$model" "$check" "$switch" "$expect" || failed+=("$name")
done

if [ $((models_total + mutants_total)) -eq 0 ]; then
	echo "verify.sh: no run named $*" >&2
	exit 2
fi

if [ "${#failed[@]}" -gt 0 ]; then
	echo "failed: ${failed[*]}"
	if [ "$models_passed" != "$models_total" ]; then
		echo "models: $models_passed of $models_total passed; mutants: $mutants_caught of $mutants_total caught"
	else
		echo "models: $models_passed passed; mutants: $mutants_caught of $mutants_total caught"
	fi
	exit 1
fi
echo "models: $models_passed passed; mutants: $mutants_caught of $mutants_total caught"
