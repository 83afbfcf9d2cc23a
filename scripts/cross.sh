#!/usr/bin/env bash
# Cross builds, run under qemu-user: scripts/cross.sh [aarch64|riscv64|all]
#
# aarch64: the whole suite (cmocka, libnuma, hwloc, libseccomp for arm64 from
#   Debian's multiarch archive), every test program and example.
# riscv64: not a Debian 12 architecture, only the cross compiler and libc:
#   the library without libnuma and hwloc; cmocka is Debian's own source
#   package (the host's version, fetched with apt-get source, patches
#   applied by dpkg-source) built for riscv64 once into
#   build/cross-riscv64-cmocka; then every test program and example.
#
# What this proves: the code builds (-Werror) for both and every code path
# the tests reach executes there, the AArch64 exclusive load + WFE and the
# RISC-V PAUSE among them. What it does not: qemu-user on an x86-64 host
# runs the guest's loads and stores in the host's (TSO) order, so no weak
# memory reordering ever happens; the memory model checks are the
# weak-memory evidence, this is code-path evidence.
#
# qemu-user lacks some kernel features (it ignores madvise, refuses
# MAP_HUGETLB, has no get_mempolicy or seccomp): the tests that need them
# report themselves skipped with the reason, and the summary lists them.
#
# As root it installs what it needs (dpkg --add-architecture arm64, then
# the :arm64 libraries, which upgrades the host's Multi-Arch: same packages
# to the archive's versions); otherwise it prints the commands and stops.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"

case "${1:-all}" in
aarch64 | riscv64) arches=("$1") ;;
all) arches=(aarch64 riscv64) ;;
*)
	echo "usage: $0 [aarch64|riscv64|all]" >&2
	exit 2
	;;
esac

packages=("${PHOTON_CROSS_PACKAGES[@]}")
if [[ " ${arches[*]} " == *" aarch64 "* ]]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "the arm64 architecture is not enabled; run:" >&2
			echo "  sudo dpkg --add-architecture arm64 &&" \
				"sudo apt-get update &&" \
				"sudo apt-get install -y" \
				"${PHOTON_CROSS_ARM64_PACKAGES[*]}" >&2
			exit 1
		fi
		echo "== dpkg --add-architecture arm64"
		dpkg --add-architecture arm64
	fi
	packages+=("${PHOTON_CROSS_ARM64_PACKAGES[@]}")
fi
photon_require_packages "${packages[@]}"

jobs=$(nproc)

# Debian's cmocka source, the version the host has, built for riscv64 with
# our toolchain file into $1. apt works on a private list of deb-src
# entries, so the machine's sources are left as they are.
build_riscv64_cmocka() {
	local prefix=$1 work version o
	[ -f "$prefix/lib/pkgconfig/cmocka.pc" ] && return 0
	work=$(mktemp -d)
	version=$(dpkg-query -W -f='${Version}' \
		"libcmocka-dev:$(dpkg --print-architecture)")
	mkdir -p "$work/parts" "$work/lists/partial"
	cat >"$work/parts/debian-src.sources" <<-EOF
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	o=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$work/parts"
		-oDir::State::Lists="$work/lists" -oAPT::Sandbox::User=root)
	echo "== cross riscv64: cmocka $version from Debian's source package"
	apt-get "${o[@]}" update -qq
	(cd "$work" && apt-get "${o[@]}" source --download-only -qq \
		"cmocka=$version" && dpkg-source -x ./*.dsc src >/dev/null)
	cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/riscv64-linux-gnu.cmake" \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DWITH_EXAMPLES=OFF >/dev/null
	cmake --build "$work/build" -j"$jobs" >/dev/null
	cmake --install "$work/build" >/dev/null
	rm -rf "$work"
}

status=0
summary=()
for arch in "${arches[@]}"; do
	build="$root/build/cross-$arch"
	log="$build/ctest-output.txt"
	start=$(date +%s)
	echo "== cross $arch: configure and build"
	mkdir -p "$build"
	extra=()
	if [ "$arch" = riscv64 ]; then
		build_riscv64_cmocka "$root/build/cross-riscv64-cmocka"
		extra=(-DPHOTON_CROSS_EXTRA_ROOT="$root/build/cross-riscv64-cmocka")
	fi
	cmake -S "$root" -B "$build" -DPHOTON_WERROR=ON "${extra[@]}" \
		-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/$arch-linux-gnu.cmake" \
		>"$build/configure.log" 2>&1 || {
		cat "$build/configure.log"
		exit 1
	}
	grep -E 'PhotonRing:' "$build/configure.log" || true
	cmake --build "$build" -j"$jobs"
	echo "== cross $arch: test (ctest, every program under qemu-$arch)"
	rc=0
	(cd "$build" && ctest --output-on-failure -j"$jobs") | tee "$log" ||
		rc=$?
	secs=$(($(date +%s) - start))
	[ "$rc" -eq 0 ] || status=$rc

	# Per test: ran or skipped; skipped programs and cases with the reason
	# they printed (ctest's LastTest.log keeps each program's output).
	ran=$(sed -nE 's/.*Test +#[0-9]+: ([^ ]+) \.+ +Passed.*/\1/p' "$log" |
		sort | tr '\n' ' ')
	skipped=$(sed -nE 's/.*Test +#[0-9]+: ([^ ]+) \.+\*+Skipped.*/\1/p' \
		"$log" | sort | tr '\n' ' ')
	failed=$(sed -nE 's/.*Test +#[0-9]+: ([^ ]+) \.+\*+(Failed|Timeout|Exception).*/\1/p' \
		"$log" | sort | tr '\n' ' ')
	report=$(awk -v skipped=" $skipped " '
		/^[0-9]+\/[0-9]+ Test: / { t = $3; next }
		/^Output:$/ { out = 1; first = ""; prev = ""; getline; next }
		/^<end of output>$/ {
			if (index(skipped, " " t " "))
				print "  skipped  " t ": " first
			out = 0; next
		}
		!out { next }
		{
			if (first == "" && $0 !~ /^\[/) first = $0
			# The reason: the line printed just before, else the
			# first plain line of the output (a setup that said why).
			if ($0 ~ /^\[  SKIPPED \] / && $0 !~ /test\(s\)/) {
				c = $4
				if (!((t, c) in done)) {
					done[t, c] = 1
					why = prev ~ /^\[/ ? first : prev
					why = why ~ /^\[/ ? "" : " (" why ")"
					print "  case     " t ": " c why
				}
			}
			prev = $0
		}' "$build/Testing/Temporary/LastTest.log")
	summary+=("== cross $arch: $(wc -w <<<"$ran") ran, $(wc -w <<<"$skipped") skipped, $(wc -w <<<"$failed") failed; build and tests ${secs} s
  ran      $ran
$report")
	[ -z "$failed" ] || summary+=("  FAILED   $failed")
done

printf '%s\n' "${summary[@]}"
exit "$status"
