#!/usr/bin/env bash
# Soak (issue 9, section 6; not part of CI or ctest): builds a Release tree
# in build/soak and runs tests/soak.c's program. By default 10^9 messages
# through a bounded channel, one publisher -> three consumers that keep
# leaving and re-joining (losses must be 0), then 10^9 through a lossy one
# whose lag must add up exactly. Prints messages, losses, lagged, duration
# and rate; exits non-zero on any violation.
#
#   scripts/soak.sh                        # 10^9 messages per run
#   scripts/soak.sh --messages 1e7         # a short run
#   scripts/soak.sh --mode bounded --wait park
#
# Arguments go to the program (see the top of tests/soak.c); the count can
# also come from PHOTON_SOAK_MESSAGES. Installs nothing: it needs what any
# build of the tree needs (cmake, a C compiler, pkg-config and
# libcmocka-dev, which the tests directory's CMake requires; see
# scripts/deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/soak"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DPHOTON_BUILD_TESTS=ON -DPHOTON_BUILD_BENCH=OFF \
	-DPHOTON_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target soak >/dev/null
echo "== soak: $(git -C "$root" describe --always --dirty 2>/dev/null ||
	echo unknown), $(nproc) CPUs, $(uname -m)"
exec "$build/tests/soak" "$@"
