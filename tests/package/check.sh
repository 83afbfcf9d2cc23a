#!/usr/bin/env bash
# Packaging test: install libphotonring, then build and run a consumer
# against the installed tree the four ways a user would.
#
#   tests/package/check.sh SOURCE_DIR WORK_DIR
#
#   SOURCE_DIR  the libphotonring source tree (the one with CMakeLists.txt)
#   WORK_DIR    scratch space; the script (re)creates only its own
#               subdirectories there: build/, prefix/, consumer-*/, logs/,
#               build-abslibdir/, prefix2/, prefix-moved/
#
# Checks, one PASS/FAIL line each:
#   - the install: headers, SONAME, exported symbols and their version node,
#     the static archive's global symbols;
#   - find_package(PhotonRing) shared and static, pkg-config shared and
#     static: the consumer builds, runs, and links libphotonring.so.0
#     dynamically (shared) or not at all (static);
#   - an install with an absolute CMAKE_INSTALL_LIBDIR still yields a usable
#     photon-ring.pc (and PhotonRingConfig.cmake);
#   - `cmake --install --prefix` elsewhere: both package files follow.
#
# Environment: CC (default cc), CMAKE (default cmake), JOBS (default nproc).
# Exits 0 only when every check passed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 SOURCE_DIR WORK_DIR" >&2
	exit 2
fi

SRC=$(realpath "$1")
mkdir -p "$2"
WORK=$(realpath "$2")
CONSUMER_SRC="$SRC/tests/package"
CC=${CC:-cc}
CMAKE=${CMAKE:-cmake}
JOBS=${JOBS:-$(nproc)}

if [[ ! -f "$SRC/CMakeLists.txt" || ! -f "$CONSUMER_SRC/main.c" ]]; then
	echo "$0: $SRC is not the libphotonring source tree" >&2
	exit 2
fi
for tool in "$CMAKE" "$CC" pkg-config readelf nm ldd; do
	if ! command -v "$tool" >/dev/null; then
		echo "$0: $tool not found" >&2
		exit 2
	fi
done

# Only our own subdirectories are wiped, never WORK_DIR itself.
for d in build prefix consumer-cmake-shared consumer-cmake-static \
	consumer-pc-shared consumer-pc-static consumer-abslibdir \
	build-abslibdir prefix2 prefix-moved consumer-moved logs; do
	rm -rf "${WORK:?}/$d"
done
mkdir -p "$WORK/logs"

# Keep the test hermetic: no stale package registry entries, no flags from
# the caller's environment changing what the consumer sees.
unset PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH PhotonRing_DIR
unset CFLAGS LDFLAGS LD_LIBRARY_PATH
NO_REGISTRY=(-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
	-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)

failures=0
LOG=/dev/null

pass() { printf 'PASS: %s\n' "$1"; }
fail()
{
	printf 'FAIL: %s\n' "$1"
	failures=$((failures + 1))
	if [[ -s "$LOG" ]]; then
		echo "---- last lines of $LOG ----"
		tail -n 25 "$LOG" | sed 's/^/    /'
		echo "----"
	fi
}

# check NAME FUNCTION [ARGS...]: runs FUNCTION with its output in
# logs/NAME.log (readable as $LOG inside it) and prints PASS or FAIL.
# The function runs in the `if` condition, so `set -e` does not end the
# script on its first failing command: every step must `|| return 1`
# explicitly (or be the last command).
check()
{
	local name=$1
	shift
	# The log is named after the check, with anything odd replaced.
	LOG="$WORK/logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' '_').log"
	: >"$LOG"
	if "$@" >>"$LOG" 2>&1; then
		pass "$name"
	else
		fail "$name"
	fi
	LOG=/dev/null
}

# Prints the NEEDED entries of an ELF file, one name a line.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }

# (Captured first: `grep -q` at the end of a pipeline may stop reading early
# and, under pipefail, fail the pipeline with the writer's SIGPIPE.)
has_needed_photon()
{
	local list
	list=$(needed "$1") || return 1
	printf 'NEEDED of %s:\n%s\n' "$1" "$list"
	grep -qx 'libphotonring\.so\.0' <<<"$list"
}

no_needed_photon()
{
	local list
	list=$(needed "$1") || return 1
	printf 'NEEDED of %s:\n%s\n' "$1" "$list"
	! grep -q 'libphotonring' <<<"$list"
}

# ---- 1. build and install the library ----

# Tests, benchmarks and examples are off: this checks the install only.
LIB_OPTS=(-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_BENCH=OFF
	-DPHOTON_BUILD_EXAMPLES=OFF -DPHOTON_BUILD_STATIC=ON)

install_library()
{
	local build=$1 prefix=$2
	shift 2
	"$CMAKE" -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" "${LIB_OPTS[@]}" "$@" ||
		return 1
	"$CMAKE" --build "$build" -j "$JOBS" || return 1
	"$CMAKE" --install "$build"
}

check "library: configure, build, install into prefix/" \
	install_library "$WORK/build" "$WORK/prefix"

# The libdir is whatever GNUInstallDirs chose (lib, lib64, lib/<multiarch>).
LIBDIR_REL=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' \
	"$WORK/build/CMakeCache.txt" 2>/dev/null || true)
LIBDIR="$WORK/prefix/${LIBDIR_REL:-lib}"
PC_DIR="$LIBDIR/pkgconfig"
SO="$LIBDIR/libphotonring.so.0"

if [[ ! -e "$SO" ]]; then
	echo "FAIL: no $SO after the install; nothing else can be checked"
	exit 1
fi

# ---- 2. the installed tree ----

check_install_layout()
{
	local f ok=0
	for f in include/photon/photon.h include/photon/version.h \
		include/photon/common.h include/photon/channel.h \
		include/photon/typed.h include/photon/wait.h \
		include/photon/bus.h include/photon/mem.h \
		include/photon/affinity.h \
		"$LIBDIR_REL/libphotonring.so" "$LIBDIR_REL/libphotonring.so.0" \
		"$LIBDIR_REL/libphotonring.a" \
		"$LIBDIR_REL/pkgconfig/photon-ring.pc" \
		"$LIBDIR_REL/cmake/PhotonRing/PhotonRingConfig.cmake" \
		"$LIBDIR_REL/cmake/PhotonRing/PhotonRingConfigVersion.cmake" \
		"$LIBDIR_REL/cmake/PhotonRing/PhotonRingTargets.cmake"; do
		if [[ -e "$WORK/prefix/$f" ]]; then
			echo "found   $f"
		else
			echo "MISSING $f"
			ok=1
		fi
	done
	# The development link and the SONAME link both end at the real file.
	[[ -L "$LIBDIR/libphotonring.so" && -L "$SO" ]] || {
		echo "libphotonring.so and .so.0 should be symlinks"
		ok=1
	}
	ls -l "$LIBDIR"/libphotonring*
	return $ok
}
check "install: headers, libraries, CMake and pkg-config files" \
	check_install_layout

check_soname()
{
	local soname
	soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
	echo "SONAME: ${soname:-<none>}"
	[[ "$soname" == libphotonring.so.0 ]]
}
check "shared library: SONAME is libphotonring.so.0" check_soname

# Every defined dynamic symbol is photon_* in version node PHOTONRING_0.1.
# The node itself shows up as an absolute symbol named PHOTONRING_0.1.
check_exports()
{
	local syms bad count
	syms=$(nm -D --defined-only "$SO" | awk '{ print $NF }') || return 1
	echo "$syms"
	grep -qx 'PHOTONRING_0\.1' <<<"$syms" || {
		echo "no version node PHOTONRING_0.1"
		return 1
	}
	bad=$(grep -vx 'PHOTONRING_0\.1' <<<"$syms" |
		grep -vE '^photon_[A-Za-z0-9_]*@@PHOTONRING_0\.1$' || true)
	if [[ -n "$bad" ]]; then
		echo "symbols outside photon_*@@PHOTONRING_0.1:"
		echo "$bad"
		return 1
	fi
	count=$(grep -c '^photon_' <<<"$syms")
	echo "$count photon_* symbols, all in PHOTONRING_0.1"
	# A few the public headers promise.
	for s in photon_version photon_channel_create photon_publish \
		photon_try_recv photon_strerror; do
		grep -qx "$s@@PHOTONRING_0\.1" <<<"$syms" || {
			echo "missing $s"
			return 1
		}
	done
}
check "shared library: exports only photon_* (version node PHOTONRING_0.1)" \
	check_exports

# A static archive has no version script: what keeps its namespace clean is
# hidden visibility plus naming. Any other global symbol could clash with a
# consumer's own.
check_archive_symbols()
{
	local bad
	bad=$(nm -g --defined-only "$LIBDIR/libphotonring.a" |
		awk 'NF == 3 { print $3 }' | grep -v '^photon_' || true)
	if [[ -n "$bad" ]]; then
		echo "global symbols outside photon_* in libphotonring.a:"
		echo "$bad"
		return 1
	fi
	echo "all global symbols of libphotonring.a are photon_*"
}
check "static library: defines only photon_* global symbols" \
	check_archive_symbols

# ---- 3. consumers through find_package() ----

# cmake_consumer DIR PREFIX [CMAKE ARGS...]: configures, builds and runs the
# consumer, and checks PhotonRing was found under PREFIX, not elsewhere.
cmake_consumer()
{
	local dir=$1 prefix=$2 found
	shift 2
	"$CMAKE" -S "$CONSUMER_SRC" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_PREFIX_PATH="$prefix" "${NO_REGISTRY[@]}" "$@" ||
		return 1
	found=$(sed -n 's/^PhotonRing_DIR:[A-Z]*=//p' "$dir/CMakeCache.txt")
	echo "PhotonRing_DIR=$found"
	[[ "$found" == "$prefix"/* ]] || {
		echo "PhotonRing was not found under $prefix"
		return 1
	}
	"$CMAKE" --build "$dir" -v || return 1
	"$dir/photon_consumer"
}

check "find_package shared: build and run" \
	cmake_consumer "$WORK/consumer-cmake-shared" "$WORK/prefix"
check "find_package shared: NEEDED libphotonring.so.0" \
	has_needed_photon "$WORK/consumer-cmake-shared/photon_consumer"

check "find_package static: build and run" \
	cmake_consumer "$WORK/consumer-cmake-static" "$WORK/prefix" \
	-DPHOTON_CONSUMER_STATIC=ON
check "find_package static: no NEEDED libphotonring" \
	no_needed_photon "$WORK/consumer-cmake-static/photon_consumer"

# ---- 4. consumers through pkg-config ----

# PKG_CONFIG_PATH (not PKG_CONFIG_LIBDIR) so that packages photon-ring may
# require (Requires.private) are still found in the system directories.
export PKG_CONFIG_PATH="$PC_DIR"

CONSUMER_CFLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O2)

# Links into $1/photon_consumer with the flags given, then runs it.
pc_build_and_run()
{
	local dir=$1
	shift
	mkdir -p "$dir"
	echo "+ $CC ${CONSUMER_CFLAGS[*]} main.c $*"
	"$CC" "${CONSUMER_CFLAGS[@]}" "$CONSUMER_SRC/main.c" "$@" \
		-o "$dir/photon_consumer" || return 1
	"$dir/photon_consumer"
}

pc_shared()
{
	local cflags libs libdir deps
	pkg-config --print-errors --exists 'photon-ring >= 0.1' || return 1
	echo "photon-ring $(pkg-config --modversion photon-ring)"
	cflags=$(pkg-config --cflags photon-ring) || return 1
	libs=$(pkg-config --libs photon-ring) || return 1
	libdir=$(pkg-config --variable=libdir photon-ring) || return 1
	echo "cflags: $cflags"
	echo "libs:   $libs"
	# Unquoted on purpose: pkg-config output is a list of words.
	# shellcheck disable=SC2086
	pc_build_and_run "$WORK/consumer-pc-shared" $cflags $libs \
		-Wl,-rpath,"$libdir" || return 1
	# The rpath must have picked the installed library, not another one.
	deps=$(ldd "$WORK/consumer-pc-shared/photon_consumer") || return 1
	echo "$deps"
	grep -qF "libphotonring.so.0 => $libdir/libphotonring.so.0" <<<"$deps"
}
check "pkg-config shared: build and run" pc_shared
check "pkg-config shared: NEEDED libphotonring.so.0" \
	has_needed_photon "$WORK/consumer-pc-shared/photon_consumer"

# Static through pkg-config: --static adds Libs.private, and -lphotonring
# is wrapped in -Bstatic/-Bdynamic in place, so the archive is used while
# the system libraries after it stay dynamic. (A plain -lphotonring left in
# the line as well would add NEEDED libphotonring.so.0 again wherever the
# linker runs with --no-as-needed.)
pc_static()
{
	local cflags word
	local -a libs=()
	cflags=$(pkg-config --cflags photon-ring) || return 1
	word=$(pkg-config --static --libs photon-ring) || return 1
	echo "static libs: $word"
	# shellcheck disable=SC2086
	set -- $word
	for word in "$@"; do
		if [[ "$word" == -lphotonring ]]; then
			# shellcheck disable=SC2054 # linker flags, not a list
			libs+=(-Wl,-Bstatic -lphotonring -Wl,-Bdynamic)
		else
			libs+=("$word")
		fi
	done
	# shellcheck disable=SC2086
	pc_build_and_run "$WORK/consumer-pc-static" $cflags "${libs[@]}"
}
check "pkg-config static: build and run" pc_static
check "pkg-config static: no NEEDED libphotonring" \
	no_needed_photon "$WORK/consumer-pc-static/photon_consumer"

# ---- 5. an absolute CMAKE_INSTALL_LIBDIR ----

# GNUInstallDirs allows an absolute libdir; photon-ring.pc must then carry
# it as is instead of "${prefix}/<absolute path>".
ABS_PREFIX="$WORK/prefix2"
ABS_LIBDIR="$WORK/prefix2/lib64abs"

check "absolute libdir: configure, build, install" \
	install_library "$WORK/build-abslibdir" "$ABS_PREFIX" \
	-DCMAKE_INSTALL_LIBDIR="$ABS_LIBDIR"

abs_libdir_pc()
{
	local pc="$ABS_LIBDIR/pkgconfig/photon-ring.pc" libs
	[[ -f "$pc" ]] || {
		echo "no $pc"
		return 1
	}
	cat "$pc"
	libs=$(PKG_CONFIG_PATH="$ABS_LIBDIR/pkgconfig" \
		pkg-config --libs photon-ring) || return 1
	echo "libs: $libs"
	# Exactly the absolute libdir, and the library is really there.
	grep -qE "(^| )-L$ABS_LIBDIR( |$)" <<<"$libs" || {
		echo "expected -L$ABS_LIBDIR"
		return 1
	}
	[[ -e "$ABS_LIBDIR/libphotonring.so" ]] || return 1
	# And a consumer links and runs with it.
	# shellcheck disable=SC2046
	pc_build_and_run "$WORK/consumer-abslibdir" \
		$(PKG_CONFIG_PATH="$ABS_LIBDIR/pkgconfig" \
			pkg-config --cflags --libs photon-ring) \
		-Wl,-rpath,"$ABS_LIBDIR"
}
check "absolute libdir: photon-ring.pc gives a working -L path" \
	abs_libdir_pc

# find_package() searches <prefix>/lib, lib64, lib/<arch> and share, not an
# arbitrary absolute libdir, so the consumer names the config directory.
check "absolute libdir: find_package static: build and run" \
	cmake_consumer "$WORK/consumer-abslibdir/cmake" "$ABS_PREFIX" \
	-DPHOTON_CONSUMER_STATIC=ON \
	-DPhotonRing_DIR="$ABS_LIBDIR/cmake/PhotonRing"

# ---- 6. the same build installed elsewhere with --prefix ----

# `cmake --install --prefix DIR` (what packagers and CI do) must give a tree
# whose CMake package and photon-ring.pc both point into DIR, not at the
# prefix the build was configured with.
MOVED="$WORK/prefix-moved"

moved_pc()
{
	local pcdir="$MOVED/${LIBDIR_REL:-lib}/pkgconfig" libs
	"$CMAKE" --install "$WORK/build" --prefix "$MOVED" || return 1
	cat "$pcdir/photon-ring.pc" || return 1
	libs=$(PKG_CONFIG_PATH="$pcdir" pkg-config --libs photon-ring) ||
		return 1
	echo "libs: $libs"
	grep -qE "(^| )-L$MOVED/${LIBDIR_REL:-lib}( |$)" <<<"$libs" || {
		echo "expected -L$MOVED/${LIBDIR_REL:-lib}"
		return 1
	}
}
check "install --prefix elsewhere: photon-ring.pc follows the prefix" moved_pc

check "install --prefix elsewhere: find_package shared: build and run" \
	cmake_consumer "$WORK/consumer-moved" "$MOVED"

# ---- summary ----

if ((failures)); then
	echo "package check: $failures check(s) FAILED (logs in $WORK/logs)"
	exit 1
fi
echo "package check: all checks passed"
