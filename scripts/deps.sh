#!/usr/bin/env bash
# Sourced by the other scripts: makes sure the Debian packages they need are
# installed. As root it installs them with apt-get; otherwise it prints the
# exact command to run and stops.
photon_require_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "== installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
	else
		echo "missing Debian packages; install them with:" >&2
		echo "  sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
}

# What building the library, its tests, examples and benchmarks needs
# (libseccomp: test_park_fallback makes membarrier fail with a filter;
# libzmq: the bridge companion).
PHOTON_BUILD_PACKAGES=(build-essential cmake pkg-config libcmocka-dev libseccomp-dev
	libbenchmark-dev libnuma-dev libhwloc-dev libzmq3-dev)
# What the demo needs (scripts/demo.sh: the library and one example).
PHOTON_DEMO_PACKAGES=(build-essential cmake pkg-config libnuma-dev
	libhwloc-dev)
# What the full check adds: the second compiler for the header test and the
# formatter CI runs; gold (binutils), lld and llvm-ar for the linkers the
# compile-time topics are tested with.
# abigail-tools for the ABI check, file and dpkg-dev for cpack's .deb;
# iproute2 for the tests in network namespaces (the veth feed test).
PHOTON_CHECK_PACKAGES=(clang clang-format binutils lld llvm abigail-tools
	file dpkg-dev iproute2)
# The API reference (scripts/docs.sh).
PHOTON_DOCS_PACKAGES=(doxygen)
# The peers the benchmarks compare with (linked by bench/ only, never by the
# library), gnuplot for bench/run.sh's plot and valgrind for its exact
# instruction counts (bench/callgrind.sh).
PHOTON_BENCH_PACKAGES=(libck-dev libdpdk-dev libboost-dev
	libconcurrentqueue-dev libreaderwriterqueue-dev gnuplot-nox valgrind
	libiceoryx-binding-c-dev)
# The iceoryx daemon the shared-channel comparison starts (bench/shm.sh).
PHOTON_ICEORYX_PACKAGES=(iceoryx libiceoryx-binding-c-dev)
# The Java peer of the throughput comparison (bench/disruptor.sh only).
PHOTON_DISRUPTOR_PACKAGES=(default-jdk-headless libdisruptor-java)
# The model checks (scripts/verify.sh): SPIN writes pan.c, gcc builds it.
PHOTON_VERIFY_PACKAGES=(spin gcc)
# The cross builds (scripts/cross.sh): Debian's cross compilers, qemu-user
# to run the programs, and clang, which the header test runs with --target.
PHOTON_CROSS_PACKAGES=(cmake pkg-config qemu-user clang gcc-aarch64-linux-gnu
	g++-aarch64-linux-gnu gcc-riscv64-linux-gnu g++-riscv64-linux-gnu)
# AArch64 is a Debian 12 architecture (dpkg --add-architecture arm64): the
# whole suite's libraries for it. Installing them upgrades the host's
# packages that are Multi-Arch: same (libc6, libssl3, ...) to the archive's
# latest, the :arm64 and the host copy must be the same version. Never
# libck-dev:arm64: it would remove the host's libck-dev (the benchmarks').
PHOTON_CROSS_ARM64_PACKAGES=(libcmocka-dev:arm64 libstdc++6:arm64
	libnuma-dev:arm64 libhwloc-dev:arm64 libseccomp-dev:arm64)
