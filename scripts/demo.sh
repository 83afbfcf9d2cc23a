#!/usr/bin/env bash
# Quick start 1: builds the library and runs the market-data fan-out demo
# (latency percentiles and throughput per consumer), laid out to fit the
# machine's CPUs. Extra arguments go to the demo, e.g.
#   ./scripts/demo.sh --messages 5000000
#   ./scripts/demo.sh --oversubscribe   (every consumer a thread, any CPUs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_DEMO_PACKAGES[@]}"

build="$root/build/demo"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target market_data >/dev/null
exec "$build/examples/market_data" "$@"
