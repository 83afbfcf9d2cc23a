#!/usr/bin/env bash
# Quick start 2: builds and runs the whole test suite three times - a
# -Werror build (with examples and benchmark smoke runs), an ASan+UBSan build
# and a ThreadSanitizer build - then checks formatting and builds a consumer
# project against an installed tree (find_package and pkg-config, shared and
# static). Exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_BUILD_PACKAGES[@]}" \
	"${PHOTON_CHECK_PACKAGES[@]}"

jobs=$(nproc)
run_suite() { # name, cmake options...
	local name=$1 build="$root/build/ci-$1"
	shift
	echo "== $name: configure and build"
	cmake -S "$root" -B "$build" -DPHOTON_WERROR=ON "$@" >/dev/null
	cmake --build "$build" -j"$jobs"
	echo "== $name: test"
	(cd "$build" && ctest --output-on-failure -j"$jobs")
}

echo "== format: clang-format --dry-run --Werror"
(cd "$root" && git ls-files -co --exclude-standard -- 'src/*.[ch]' \
	'include/*.h' 'tests/*.[ch]' 'tests/*.cpp' 'bench/*.cpp' \
	'bench/*.[ch]' 'examples/*.[ch]' |
	xargs clang-format --dry-run --Werror)

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Sanitizer builds: the whole suite and the examples; benchmarks measure
# nothing useful there.
run_suite asan -DCMAKE_BUILD_TYPE=Debug -DPHOTON_BUILD_BENCH=OFF \
	-DPHOTON_SANITIZE=address,undefined
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	run_suite tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DPHOTON_BUILD_BENCH=OFF -DPHOTON_SANITIZE=thread

echo "== package: install and build consumers"
bash "$root/tests/package/check.sh" "$root" "$root/build/ci-package"
echo "== all checks passed"
