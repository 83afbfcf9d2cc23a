#!/usr/bin/env bash
# Rewrites the ABI baseline under abi/ on purpose: builds the shared
# libraries from a clean build directory and writes, for each of
# libphotonring, libphotonring-metrics and libphotonring-topology, its
# exported symbol list (abi/LIB.symbols) and its abidw dump
# (abi/LIB.so.1.abi). scripts/abi-check.sh compares a build with them.
#
#   scripts/abi-update.sh [BUILD_DIR]
#
#   BUILD_DIR  where to build (wiped first); default: a temporary directory
#
# The build is the one tests/package/check.sh checks: RelWithDebInfo (the
# dump reads the debug information), tests, benchmarks and examples off,
# with the system's default compiler. Run it only for a change of the ABI
# that is meant: the baseline is the last release of each SONAME
# (abi/README.md), and the commit that changes the ABI carries the new one.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CMAKE=${CMAKE:-cmake}
JOBS=${JOBS:-$(nproc)}

if [[ $# -gt 1 ]]; then
	echo "usage: $0 [BUILD_DIR]" >&2
	exit 2
fi
if [[ $# -eq 1 ]]; then
	BUILD=$1
	rm -rf "${BUILD:?}"
else
	BUILD=$(mktemp -d)
	trap 'rm -rf "$BUILD"' EXIT
fi

# The same options as tests/package/check.sh's main build.
"$CMAKE" -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_BENCH=OFF \
	-DPHOTON_BUILD_EXAMPLES=OFF -DPHOTON_BUILD_STATIC=ON >/dev/null
"$CMAKE" --build "$BUILD" -j "$JOBS" >/dev/null
bash "$ROOT/scripts/abi-check.sh" --update "$BUILD"
echo "review with: git diff -- abi/ src/*.map src/*/*.map"
