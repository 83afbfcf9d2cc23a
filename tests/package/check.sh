#!/usr/bin/env bash
# Packaging test: install libphotonring and its companion libraries
# (photonring-metrics, photonring-topology), then build and run consumers
# against the installed tree the four ways a user would.
#
#   tests/package/check.sh SOURCE_DIR WORK_DIR
#
#   SOURCE_DIR  the libphotonring source tree (the one with CMakeLists.txt)
#   WORK_DIR    scratch space; the script (re)creates only its own
#               subdirectories there: build/, prefix/, consumer-*/, logs/,
#               build-abslibdir/, prefix2/, prefix-moved/, build-static/,
#               prefix-static/, fetchcontent-*/, build-deb/, deb/, debroot/
#
# Checks, one PASS/FAIL line each:
#   - the install: headers, SONAMEs, each library's exported symbols (its
#     headers' PHOTON_API functions, no more, no fewer) in its version node,
#     the static archives' global symbols, no socket call in the ring core;
#   - find_package(PhotonRing) shared and static, pkg-config shared and
#     static: two consumers build and run. main.c wants only the ring and
#     links libphotonring.so.1 alone (shared) or nothing (static), never a
#     companion; companions.c links the companions too (shared) or nothing
#     (static);
#   - an install with an absolute CMAKE_INSTALL_LIBDIR still yields usable
#     .pc files (and PhotonRingConfig.cmake);
#   - `cmake --install --prefix` elsewhere: the package files follow;
#   - a static-only install (BUILD_SHARED_LIBS=OFF): no .so at all, both
#     PhotonRing::photonring and PhotonRing::photonring_static (and the
#     companions' names) link the archives, and so do `pkg-config --static
#     --libs` and plain `--libs`, with no -Bstatic wrapping;
#   - FetchContent: tests/package/fetchcontent builds the library inside the
#     consumer's build (shared, then static) through the PhotonRing::
#     ALIAS targets, and its install holds no file of PhotonRing's
#     (PHOTON_INSTALL is off in a sub-project); when README.md marks its
#     FetchContent block, that block is the test's text;
#   - `cpack -G DEB`: libphotonring1, libphotonring-dev and photonring-tools,
#     with dpkg-shlibdeps' dependencies; consumers built against the
#     packages unpacked into a scratch root (find_package, pkg-config) and,
#     as root, installed with dpkg -i (then purged with dpkg -P);
#   - the ABI (scripts/abi-check.sh): each library's exported symbols and
#     version nodes are abi/LIB.symbols, and abidiff finds no change from
#     the baseline abi/LIB.so.1.abi.
#
# Environment: CC (default cc), CMAKE (default cmake), CPACK (default
# cpack), JOBS (default nproc). Exits 0 only when every check passed.
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
CPACK=${CPACK:-cpack}
JOBS=${JOBS:-$(nproc)}

if [[ ! -f "$SRC/CMakeLists.txt" || ! -f "$CONSUMER_SRC/main.c" ]]; then
	echo "$0: $SRC is not the libphotonring source tree" >&2
	exit 2
fi
for tool in "$CMAKE" "$CPACK" "$CC" pkg-config readelf nm ldd perl \
	dpkg-deb dpkg-shlibdeps file abidw abidiff; do
	if ! command -v "$tool" >/dev/null; then
		echo "$0: $tool not found (Debian packages: dpkg-shlibdeps" \
			"dpkg-dev, abidw and abidiff abigail-tools, cpack's" \
			"dpkg-shlibdeps run needs file)" >&2
		exit 2
	fi
done

# Only our own subdirectories are wiped, never WORK_DIR itself.
for d in build prefix consumer-cmake-shared consumer-cmake-static \
	consumer-pc-shared consumer-pc-static consumer-abslibdir \
	build-abslibdir prefix2 prefix-moved consumer-moved logs \
	build-static prefix-static consumer-static-cmake \
	consumer-static-cmake-suffix consumer-static-pc \
	fetchcontent-shared fetchcontent-static fetchcontent-install \
	build-deb deb debroot consumer-deb-cmake consumer-deb-pc \
	consumer-dpkg-cmake consumer-dpkg-pc; do
	rm -rf "${WORK:?}/$d"
done
mkdir -p "$WORK/logs"

# Keep the test hermetic: no stale package registry entries, no flags from
# the caller's environment changing what the consumer sees.
unset PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH PhotonRing_DIR BUILD_SHARED_LIBS
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
# has_needed FILE SONAME...: FILE needs every SONAME given.
has_needed()
{
	local file=$1 list so
	shift
	list=$(needed "$file") || return 1
	printf 'NEEDED of %s:\n%s\n' "$file" "$list"
	for so in "$@"; do
		grep -qxF "$so" <<<"$list" || {
			echo "no NEEDED $so"
			return 1
		}
	done
}

# no_needed FILE REGEX: FILE needs no library matching REGEX.
no_needed()
{
	local list
	list=$(needed "$1") || return 1
	printf 'NEEDED of %s:\n%s\n' "$1" "$list"
	! grep -qE "$2" <<<"$list"
}

# The ring-only consumer: the core, and no companion.
ring_only()
{
	has_needed "$1" libphotonring.so.1 &&
		no_needed "$1" 'libphotonring-(metrics|topology)'
}
COMPANION_SONAMES=(libphotonring-metrics.so.1 libphotonring-topology.so.1)

# ---- 1. build and install the library ----

# Tests, benchmarks and examples are off: this checks the install only.
# RelWithDebInfo: the ABI check reads the debug information, and
# scripts/abi-update.sh makes the baseline from this same build.
LIB_OPTS=(-DPHOTON_BUILD_TESTS=OFF -DPHOTON_BUILD_BENCH=OFF
	-DPHOTON_BUILD_EXAMPLES=OFF -DPHOTON_BUILD_STATIC=ON)

install_library()
{
	local build=$1 prefix=$2
	shift 2
	"$CMAKE" -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
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
SO="$LIBDIR/libphotonring.so.1"

if [[ ! -e "$SO" ]]; then
	echo "FAIL: no $SO after the install; nothing else can be checked"
	exit 1
fi

# ---- 2. the installed tree ----

check_install_layout()
{
	local f ok=0
	for f in include/photon/photon.h include/photon/version.h \
		include/photon/common.h include/photon/error.h \
		include/photon/channel.h include/photon/typed.h \
		include/photon/wait.h include/photon/bus.h \
		include/photon/mem.h include/photon/affinity.h \
		include/photon/metrics.h include/photon/clock.h \
		include/photon/histogram.h include/photon/export.h \
		include/photon/topology.h \
		"$LIBDIR_REL/libphotonring.so" "$LIBDIR_REL/libphotonring.so.1" \
		"$LIBDIR_REL/libphotonring.a" \
		"$LIBDIR_REL/libphotonring-metrics.so" \
		"$LIBDIR_REL/libphotonring-metrics.so.1" \
		"$LIBDIR_REL/libphotonring-metrics.a" \
		"$LIBDIR_REL/libphotonring-topology.so" \
		"$LIBDIR_REL/libphotonring-topology.so.1" \
		"$LIBDIR_REL/libphotonring-topology.a" \
		"$LIBDIR_REL/pkgconfig/photon-ring.pc" \
		"$LIBDIR_REL/pkgconfig/photon-ring-metrics.pc" \
		"$LIBDIR_REL/pkgconfig/photon-ring-topology.pc" \
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
	for f in libphotonring libphotonring-metrics libphotonring-topology; do
		[[ -L "$LIBDIR/$f.so" && -L "$LIBDIR/$f.so.1" ]] || {
			echo "$f.so and $f.so.1 should be symlinks"
			ok=1
		}
	done
	ls -l "$LIBDIR"/libphotonring*
	return $ok
}
check "install: headers, libraries, CMake and pkg-config files" \
	check_install_layout

# The three libraries: file stem, version nodes (one per release that
# added symbols, oldest first), the headers whose PHOTON_API functions it
# exports (relative to include/photon; the core's: every header that is not
# a companion's, and those in detail/, which declare the slow paths the
# inline hot paths call).
COMPANION_HEADERS="clock.h histogram.h export.h metrics.h topology.h bridge.h"
LIBS=(libphotonring libphotonring-metrics libphotonring-topology
	libphotonring-bridge)
declare -A NODE=([libphotonring]="PHOTONRING_0.1 PHOTONRING_0.2"
	[libphotonring-metrics]=PHOTONRING_METRICS_0.1
	[libphotonring-topology]=PHOTONRING_TOPOLOGY_0.1
	[libphotonring-bridge]=PHOTONRING_BRIDGE_0.2)
# Which node each symbol is in (the release that added it) is the ABI
# check's: abi/LIB.symbols, section 10.
declare -A HEADERS=([libphotonring-metrics]="clock.h histogram.h export.h"
	[libphotonring-topology]="topology.h" [libphotonring-bridge]="bridge.h")

check_sonames()
{
	local lib soname ok=0
	for lib in "${LIBS[@]}"; do
		soname=$(readelf -d "$LIBDIR/$lib.so.1" |
			sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
		echo "$lib: SONAME ${soname:-<none>}"
		[[ "$soname" == "$lib.so.1" ]] || ok=1
	done
	return $ok
}
check "shared libraries: SONAMEs libphotonring{,-metrics,-topology}.so.1" \
	check_sonames

# The functions a library's headers declare PHOTON_API, one a line, sorted.
header_api()
{
	local lib=$1 h files=()
	if [[ -n "${HEADERS[$lib]:-}" ]]; then
		for h in ${HEADERS[$lib]}; do
			files+=("$WORK/prefix/include/photon/$h")
		done
	else
		for h in "$WORK/prefix/include/photon/"*.h \
			"$WORK/prefix/include/photon/detail/"*.h; do
			[[ " $COMPANION_HEADERS " == *" ${h##*/} "* ]] ||
				files+=("$h")
		done
	fi
	cat "${files[@]}" | perl -0777 -ne \
		'print "$1\n" while /\bPHOTON_API\b[^;{(]*?\b(photon_\w+)\s*\(/g' |
		sort -u
}

# Every defined dynamic symbol of LIB is one of its headers' PHOTON_API
# functions in one of its version nodes, and every one of those is there.
# A node shows up as an absolute symbol of its own name.
check_exports()
{
	local lib=$1 syms bad want got node vers=""
	syms=$(nm -D --defined-only "$LIBDIR/$lib.so.1" |
		awk '{ print $NF }') || return 1
	for node in ${NODE[$lib]}; do
		grep -qxF "$node" <<<"$syms" || {
			echo "no version node $node"
			return 1
		}
		vers+="${vers:+|}${node//./\\.}"
	done
	syms=$(grep -vxE "$vers" <<<"$syms")
	bad=$(grep -vE "^photon_[A-Za-z0-9_]*@@($vers)\$" <<<"$syms" || true)
	if [[ -n "$bad" ]]; then
		echo "symbols outside photon_*@@(${NODE[$lib]}):"
		echo "$bad"
		return 1
	fi
	want=$(header_api "$lib") || return 1
	got=$(sed 's/@.*//' <<<"$syms" | sort -u)
	if [[ "$want" != "$got" ]]; then
		echo "exported (<) and declared PHOTON_API (>) differ:"
		diff <(echo "$got") <(echo "$want")
		return 1
	fi
	echo "$(wc -l <<<"$got") functions, exactly its headers' API, in" \
		"${NODE[$lib]}"
}
for lib in "${LIBS[@]}"; do
	check "$lib.so: exports exactly its headers' API (${NODE[$lib]})" \
		check_exports "$lib"
done

# A static archive has no version script: what keeps its namespace clean is
# hidden visibility plus naming. Any other global symbol could clash with a
# consumer's own.
check_archive_symbols()
{
	local lib bad ok=0
	for lib in "${LIBS[@]}"; do
		bad=$(nm -g --defined-only "$LIBDIR/$lib.a" |
			awk 'NF == 3 { print $3 }' | grep -v '^photon_' || true)
		if [[ -n "$bad" ]]; then
			echo "global symbols outside photon_* in $lib.a:"
			echo "$bad"
			ok=1
		else
			echo "all global symbols of $lib.a are photon_*"
		fi
	done
	return $ok
}
check "static libraries: define only photon_* global symbols" \
	check_archive_symbols

# The ring core carries no socket code: neither library form calls one.
check_core_no_sockets()
{
	local calls
	calls=$({
		nm -D --undefined-only "$SO"
		nm --undefined-only "$LIBDIR/libphotonring.a"
	} | awk '{ print $NF }' | sed 's/@.*//' |
		grep -xE 'socket|sendto|send|connect|getaddrinfo|freeaddrinfo' |
		sort -u || true)
	if [[ -n "$calls" ]]; then
		echo "the core calls: $calls"
		return 1
	fi
	echo "libphotonring.so and .a call no socket function"
	# The check itself works: the metrics companion does call them.
	nm -D --undefined-only "$LIBDIR/libphotonring-metrics.so.1" |
		grep -q ' sendto@'
}
check "ring core: no socket code (sendto, socket, getaddrinfo, ...)" \
	check_core_no_sockets

# ---- 3. consumers through find_package() ----

# cmake_consumer DIR PREFIX [CMAKE ARGS...]: configures, builds and runs the
# two consumers, and checks PhotonRing was found under PREFIX, not
# elsewhere.
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
	"$dir/photon_consumer" || return 1
	"$dir/photon_consumer_companions"
}

check "find_package shared: build and run" \
	cmake_consumer "$WORK/consumer-cmake-shared" "$WORK/prefix"
check "find_package shared: ring-only consumer NEEDs the core, no companion" \
	ring_only "$WORK/consumer-cmake-shared/photon_consumer"
check "find_package shared: companions consumer NEEDs both companions" \
	has_needed "$WORK/consumer-cmake-shared/photon_consumer_companions" \
	"${COMPANION_SONAMES[@]}"

check "find_package static: build and run" \
	cmake_consumer "$WORK/consumer-cmake-static" "$WORK/prefix" \
	-DPHOTON_CONSUMER_STATIC=ON
for exe in photon_consumer photon_consumer_companions; do
	check "find_package static: $exe: no NEEDED libphotonring*" \
		no_needed "$WORK/consumer-cmake-static/$exe" libphotonring
done

# ---- 4. consumers through pkg-config ----

# PKG_CONFIG_PATH (not PKG_CONFIG_LIBDIR) so that packages photon-ring may
# require (Requires.private) are still found in the system directories.
export PKG_CONFIG_PATH="$PC_DIR"

CONSUMER_CFLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O2)
# The ring alone, and the ring with both companions.
RING=(photon-ring)
WITH_COMPANIONS=(photon-ring-metrics photon-ring-topology)

# The consumer a module list builds: main.c for the ring alone,
# companions.c when the companions are there.
consumer_of()
{
	if [[ "$*" == "${RING[*]}" ]]; then
		echo photon_consumer
	else
		echo photon_consumer_companions
	fi
}

# pc_build_and_run DIR EXE [FLAGS...]: links DIR/EXE from its source with
# the flags given, then runs it.
pc_build_and_run()
{
	local dir=$1 exe=$2 src=main.c
	shift 2
	[[ "$exe" == photon_consumer ]] || src=companions.c
	mkdir -p "$dir"
	echo "+ $CC ${CONSUMER_CFLAGS[*]} $src $*"
	"$CC" "${CONSUMER_CFLAGS[@]}" "$CONSUMER_SRC/$src" "$@" \
		-o "$dir/$exe" || return 1
	"$dir/$exe"
}

# pc_shared MODULE...: the consumer of those modules, linked against the
# installed shared libraries, in $PC_OUT (default consumer-pc-shared/).
pc_shared()
{
	local cflags libs libdir deps so exe
	local out=${PC_OUT:-$WORK/consumer-pc-shared}
	exe=$(consumer_of "$@")
	pkg-config --print-errors --exists "$@" 'photon-ring >= 0.1' ||
		return 1
	echo "photon-ring $(pkg-config --modversion photon-ring)"
	cflags=$(pkg-config --cflags "$@") || return 1
	libs=$(pkg-config --libs "$@") || return 1
	libdir=$(pkg-config --variable=libdir photon-ring) || return 1
	echo "cflags: $cflags"
	echo "libs:   $libs"
	# Unquoted on purpose: pkg-config output is a list of words.
	# shellcheck disable=SC2086
	pc_build_and_run "$out" "$exe" $cflags $libs \
		-Wl,-rpath,"$libdir" || return 1
	# The rpath must have picked the installed libraries, not others.
	deps=$(ldd "$out/$exe") || return 1
	echo "$deps"
	for so in $(needed "$out/$exe" |
		grep '^libphotonring'); do
		grep -qF "$so => $libdir/$so" <<<"$deps" || return 1
	done
}
check "pkg-config shared: photon-ring: build and run" pc_shared "${RING[@]}"
check "pkg-config shared: ring-only consumer NEEDs the core, no companion" \
	ring_only "$WORK/consumer-pc-shared/photon_consumer"
check "pkg-config shared: ${WITH_COMPANIONS[*]}: build and run" \
	pc_shared "${WITH_COMPANIONS[@]}"
check "pkg-config shared: companions consumer NEEDs both companions" \
	has_needed "$WORK/consumer-pc-shared/photon_consumer_companions" \
	"${COMPANION_SONAMES[@]}"

# Static through pkg-config: --static adds Libs.private, and each
# -lphotonring* is wrapped in -Bstatic/-Bdynamic in place, so the archives
# are used while the system libraries after them stay dynamic. (A plain
# -lphotonring left in the line as well would add NEEDED libphotonring.so.1
# again wherever the linker runs with --no-as-needed.)
pc_static()
{
	local cflags word exe
	local -a libs=()
	exe=$(consumer_of "$@")
	cflags=$(pkg-config --cflags "$@") || return 1
	word=$(pkg-config --static --libs "$@") || return 1
	echo "static libs: $word"
	# shellcheck disable=SC2086
	set -- $word
	for word in "$@"; do
		if [[ "$word" == -lphotonring || "$word" == -lphotonring-* ]]
		then
			# shellcheck disable=SC2054 # linker flags, not a list
			libs+=(-Wl,-Bstatic "$word" -Wl,-Bdynamic)
		else
			libs+=("$word")
		fi
	done
	# shellcheck disable=SC2086
	pc_build_and_run "$WORK/consumer-pc-static" "$exe" $cflags "${libs[@]}"
}
check "pkg-config static: photon-ring: build and run" pc_static "${RING[@]}"
check "pkg-config static: ${WITH_COMPANIONS[*]}: build and run" \
	pc_static "${WITH_COMPANIONS[@]}"
for exe in photon_consumer photon_consumer_companions; do
	check "pkg-config static: $exe: no NEEDED libphotonring*" \
		no_needed "$WORK/consumer-pc-static/$exe" libphotonring
done

# ---- 5. an absolute CMAKE_INSTALL_LIBDIR ----

# GNUInstallDirs allows an absolute libdir; the .pc files must then carry
# it as is instead of "${prefix}/<absolute path>".
ABS_PREFIX="$WORK/prefix2"
ABS_LIBDIR="$WORK/prefix2/lib64abs"

check "absolute libdir: configure, build, install" \
	install_library "$WORK/build-abslibdir" "$ABS_PREFIX" \
	-DCMAKE_INSTALL_LIBDIR="$ABS_LIBDIR"

# abs_libdir_pc MODULE...: each module's -L is exactly the absolute libdir,
# and the consumer of the modules links and runs with them.
abs_libdir_pc()
{
	local m libs
	for m in "$@"; do
		[[ -f "$ABS_LIBDIR/pkgconfig/$m.pc" ]] || {
			echo "no $ABS_LIBDIR/pkgconfig/$m.pc"
			return 1
		}
		cat "$ABS_LIBDIR/pkgconfig/$m.pc"
	done
	libs=$(PKG_CONFIG_PATH="$ABS_LIBDIR/pkgconfig" \
		pkg-config --libs "$@") || return 1
	echo "libs: $libs"
	# Exactly the absolute libdir, and the library is really there.
	grep -qE "(^| )-L$ABS_LIBDIR( |$)" <<<"$libs" || {
		echo "expected -L$ABS_LIBDIR"
		return 1
	}
	[[ -e "$ABS_LIBDIR/libphotonring.so" ]] || return 1
	# shellcheck disable=SC2046
	pc_build_and_run "$WORK/consumer-abslibdir" "$(consumer_of "$@")" \
		$(PKG_CONFIG_PATH="$ABS_LIBDIR/pkgconfig" \
			pkg-config --cflags --libs "$@") \
		-Wl,-rpath,"$ABS_LIBDIR"
}
check "absolute libdir: photon-ring.pc gives a working -L path" \
	abs_libdir_pc "${RING[@]}"
check "absolute libdir: the companions' .pc give a working -L path" \
	abs_libdir_pc "${WITH_COMPANIONS[@]}"

# find_package() searches <prefix>/lib, lib64, lib/<arch> and share, not an
# arbitrary absolute libdir, so the consumer names the config directory.
check "absolute libdir: find_package static: build and run" \
	cmake_consumer "$WORK/consumer-abslibdir/cmake" "$ABS_PREFIX" \
	-DPHOTON_CONSUMER_STATIC=ON \
	-DPhotonRing_DIR="$ABS_LIBDIR/cmake/PhotonRing"

# ---- 6. the same build installed elsewhere with --prefix ----

# `cmake --install --prefix DIR` (what packagers and CI do) must give a tree
# whose CMake package and .pc files all point into DIR, not at the prefix
# the build was configured with.
MOVED="$WORK/prefix-moved"

moved_pc()
{
	local pcdir="$MOVED/${LIBDIR_REL:-lib}/pkgconfig" libs m
	"$CMAKE" --install "$WORK/build" --prefix "$MOVED" || return 1
	for m in "${RING[@]}" "${WITH_COMPANIONS[@]}"; do
		cat "$pcdir/$m.pc" || return 1
		libs=$(PKG_CONFIG_PATH="$pcdir" pkg-config --libs "$m") ||
			return 1
		echo "$m libs: $libs"
		grep -qE "(^| )-L$MOVED/${LIBDIR_REL:-lib}( |$)" <<<"$libs" || {
			echo "expected -L$MOVED/${LIBDIR_REL:-lib}"
			return 1
		}
	done
}
check "install --prefix elsewhere: the .pc files follow the prefix" moved_pc

check "install --prefix elsewhere: find_package shared: build and run" \
	cmake_consumer "$WORK/consumer-moved" "$MOVED"

# ---- 7. a static-only install: BUILD_SHARED_LIBS=OFF ----

STATIC_PREFIX="$WORK/prefix-static"

check "static-only: configure, build, install into prefix-static/" \
	install_library "$WORK/build-static" "$STATIC_PREFIX" \
	-DBUILD_SHARED_LIBS=OFF
STATIC_LIBDIR="$STATIC_PREFIX/${LIBDIR_REL:-lib}"

# Every archive, and no shared library of any kind: the linker cannot pick
# a .so that is not there.
static_only_layout()
{
	local lib ok=0 so
	for lib in "${LIBS[@]}"; do
		[[ -f "$STATIC_LIBDIR/$lib.a" ]] || {
			echo "MISSING $lib.a"
			ok=1
		}
	done
	so=$(find "$STATIC_PREFIX" -name '*.so*')
	if [[ -n "$so" ]]; then
		echo "shared libraries in a static-only install:"
		echo "$so"
		ok=1
	fi
	grep -q 'set(PhotonRing_SHARED_LIBS OFF)' \
		"$STATIC_LIBDIR/cmake/PhotonRing/PhotonRingConfig.cmake" || {
		echo "PhotonRingConfig.cmake: PhotonRing_SHARED_LIBS is not OFF"
		ok=1
	}
	ls -l "$STATIC_LIBDIR"
	return $ok
}
check "static-only: the archives, no .so installed" static_only_layout

# The consumer's default names (PhotonRing::photonring, ::metrics,
# ::topology) and the _static ones both resolve, to the archives.
check "static-only: find_package PhotonRing::{photonring,metrics,topology}: build and run" \
	cmake_consumer "$WORK/consumer-static-cmake" "$STATIC_PREFIX"
check "static-only: find_package PhotonRing::*_static: build and run" \
	cmake_consumer "$WORK/consumer-static-cmake-suffix" "$STATIC_PREFIX" \
	-DPHOTON_CONSUMER_STATIC=ON
for dir in consumer-static-cmake consumer-static-cmake-suffix; do
	for exe in photon_consumer photon_consumer_companions; do
		check "static-only: $dir/$exe: no NEEDED libphotonring*" \
			no_needed "$WORK/$dir/$exe" libphotonring
	done
done

# pc_static_only [--static] MODULE...: the modules' consumer, linked with
# pkg-config's flags as they are, against the static-only install.
pc_static_only()
{
	local static="" cflags libs exe dir
	if [[ "$1" == --static ]]; then
		static=--static
		shift
	fi
	exe=$(consumer_of "$@")
	dir="$WORK/consumer-static-pc/${static:-plain}"
	cflags=$(PKG_CONFIG_PATH="$STATIC_LIBDIR/pkgconfig" \
		pkg-config --cflags "$@") || return 1
	libs=$(PKG_CONFIG_PATH="$STATIC_LIBDIR/pkgconfig" \
		pkg-config $static --libs "$@") || return 1
	echo "libs: $libs"
	# shellcheck disable=SC2086
	pc_build_and_run "$dir" "$exe" $cflags $libs || return 1
	no_needed "$dir/$exe" libphotonring
}
for static in --static ""; do
	for mods in "${RING[*]}" "${WITH_COMPANIONS[*]}"; do
		# shellcheck disable=SC2086 # a list of modules
		check "static-only: pkg-config ${static:+$static }--libs $mods: build and run, no NEEDED libphotonring*" \
			pc_static_only $static $mods
	done
done

# ---- 8. FetchContent: the library built inside the consumer's build ----

FETCH_SRC="$CONSUMER_SRC/fetchcontent"

# fetchcontent DIR [CMAKE ARGS...]: configures, builds and runs the
# FetchContent consumer.
fetchcontent()
{
	local dir=$1
	shift
	"$CMAKE" -S "$FETCH_SRC" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPHOTON_SOURCE_DIR="$SRC" "${NO_REGISTRY[@]}" "$@" ||
		return 1
	"$CMAKE" --build "$dir" -j "$JOBS" || return 1
	"$dir/photon_consumer" || return 1
	"$dir/photon_consumer_companions"
}
check "FetchContent shared: build and run" \
	fetchcontent "$WORK/fetchcontent-shared"
check "FetchContent shared: ring-only consumer NEEDs the core, no companion" \
	ring_only "$WORK/fetchcontent-shared/photon_consumer"

# The consumer installs its two programs; PhotonRing, a sub-project, adds
# nothing (PHOTON_INSTALL defaults to OFF there).
fetchcontent_install()
{
	local files want
	"$CMAKE" --install "$WORK/fetchcontent-shared" \
		--prefix "$WORK/fetchcontent-install" || return 1
	files=$(cd "$WORK/fetchcontent-install" && find . -type f -o -type l |
		LC_ALL=C sort)
	want=$(printf '%s\n' ./bin/photon_consumer \
		./bin/photon_consumer_companions)
	echo "installed:"
	echo "$files"
	[[ "$files" == "$want" ]]
}
check "FetchContent: the consumer's install holds no PhotonRing file" \
	fetchcontent_install

check "FetchContent static (BUILD_SHARED_LIBS=OFF): build and run" \
	fetchcontent "$WORK/fetchcontent-static" -DBUILD_SHARED_LIBS=OFF
for exe in photon_consumer photon_consumer_companions; do
	check "FetchContent static: $exe: no NEEDED libphotonring*" \
		no_needed "$WORK/fetchcontent-static/$exe" libphotonring
done

# README.md's FetchContent block (between <!-- fetchcontent begin --> and
# <!-- fetchcontent end -->) is the test's snippet, the source location
# aside: lines naming GIT_REPOSITORY, GIT_TAG, URL or SOURCE_DIR are the
# only ones allowed to differ.
snippet_body()
{
	grep -vE '^ +(GIT_REPOSITORY|GIT_TAG|URL|SOURCE_DIR) '
}
readme_snippet()
{
	local readme test
	readme=$(sed -n '/^<!-- fetchcontent begin -->$/,/^<!-- fetchcontent end -->$/p' \
		"$SRC/README.md" | sed '1,2d;$d' | sed '$d' | snippet_body)
	test=$(sed -n "/^# ---- the README's snippet/,/^# ---- end of the snippet/p" \
		"$FETCH_SRC/CMakeLists.txt" | sed '1d;$d' | snippet_body)
	echo "README.md's block, source location aside:"
	echo "$readme"
	if [[ "$readme" != "$test" ]]; then
		echo "differs from tests/package/fetchcontent/CMakeLists.txt's:"
		diff <(echo "$readme") <(echo "$test")
		return 1
	fi
}
if grep -qx '<!-- fetchcontent begin -->' "$SRC/README.md" 2>/dev/null; then
	check "FetchContent: README.md's snippet is the one tested" \
		readme_snippet
else
	echo "SKIP: FetchContent: README.md has no <!-- fetchcontent begin -->" \
		"block to compare with the test's snippet"
fi

# ---- 9. Debian packages: cpack -G DEB ----

DEB_DIR="$WORK/deb"
DEBROOT="$WORK/debroot"
DEB_PACKAGES=(libphotonring1 libphotonring-dev photonring-tools)

# The packaging build installs into /usr, where GNUInstallDirs picks the
# multiarch libdir (lib/x86_64-linux-gnu).
build_debs()
{
	local build="$WORK/build-deb"
	"$CMAKE" -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=/usr "${LIB_OPTS[@]}" || return 1
	"$CMAKE" --build "$build" -j "$JOBS" || return 1
	(cd "$build" && "$CPACK" -G DEB -B "$DEB_DIR") || return 1
	ls -l "$DEB_DIR"/*.deb
}
check "deb: configure (prefix /usr), build, cpack -G DEB" build_debs

DEB_LIBDIR_REL=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' \
	"$WORK/build-deb/CMakeCache.txt" 2>/dev/null || true)
DEB_LIBDIR_REL=${DEB_LIBDIR_REL:-lib}
deb_file() { printf '%s\n' "$DEB_DIR/$1"_*.deb; }

# The three packages, what each holds, and their dependencies:
# dpkg-shlibdeps' libnuma1/libhwloc15 (when the build found them),
# libphotonring-dev on its own libphotonring1, a shlibs file for
# packages built against libphotonring1.
check_debs()
{
	local p f deps have path list ok=0
	for p in "${DEB_PACKAGES[@]}"; do
		f=$(deb_file "$p")
		[[ -f "$f" ]] || {
			echo "no $p package in $DEB_DIR"
			return 1
		}
		dpkg-deb -f "$f" Package Version Architecture Depends || return 1
	done
	deps=$(dpkg-deb -f "$(deb_file libphotonring1)" Depends)
	have=$(sed -n 's/^PHOTON_NUMA_LIBRARY:[A-Z]*=//p' \
		"$WORK/build-deb/CMakeCache.txt")
	if [[ -n "$have" && "$have" != *NOTFOUND ]]; then
		[[ "$deps" == *libnuma1* ]] || {
			echo "libphotonring1 does not depend on libnuma1"
			ok=1
		}
	fi
	have=$(sed -n 's/^PHOTON_HWLOC_LIBRARY:[A-Z]*=//p' \
		"$WORK/build-deb/CMakeCache.txt")
	if [[ -n "$have" && "$have" != *NOTFOUND ]]; then
		[[ "$deps" == *libhwloc15* ]] || {
			echo "libphotonring1 does not depend on libhwloc15"
			ok=1
		}
	fi
	[[ "$deps" == *libc6* ]] || ok=1
	deps=$(dpkg-deb -f "$(deb_file libphotonring-dev)" Depends)
	[[ "$deps" == *"libphotonring1 (= "* ]] || {
		echo "libphotonring-dev does not depend on libphotonring1 (= ...)"
		ok=1
	}
	dpkg-deb -I "$(deb_file libphotonring1)" shlibs || ok=1
	for f in "libphotonring1 ./usr/$DEB_LIBDIR_REL/libphotonring.so.1" \
		"libphotonring1 ./usr/$DEB_LIBDIR_REL/libphotonring-metrics.so.1" \
		"libphotonring1 ./usr/$DEB_LIBDIR_REL/libphotonring-topology.so.1" \
		"libphotonring-dev ./usr/$DEB_LIBDIR_REL/libphotonring.so" \
		"libphotonring-dev ./usr/$DEB_LIBDIR_REL/libphotonring.a" \
		"libphotonring-dev ./usr/$DEB_LIBDIR_REL/pkgconfig/photon-ring.pc" \
		"libphotonring-dev ./usr/$DEB_LIBDIR_REL/cmake/PhotonRing/PhotonRingConfig.cmake" \
		"libphotonring-dev ./usr/include/photon/photon.h" \
		"photonring-tools ./usr/bin/photon-stat"; do
		read -r p path <<<"$f"
		list=$(dpkg-deb -c "$(deb_file "$p")" | awk '{ print $6 }') ||
			return 1
		grep -qxF "$path" <<<"$list" || {
			echo "$p lacks $path"
			ok=1
		}
	done
	return $ok
}
check "deb: libphotonring1, libphotonring-dev, photonring-tools: contents and Depends" \
	check_debs

# The packages unpacked into a scratch root, as dpkg would install them.
unpack_debs()
{
	local p
	mkdir -p "$DEBROOT"
	for p in "${DEB_PACKAGES[@]}"; do
		dpkg-deb -x "$(deb_file "$p")" "$DEBROOT" || return 1
	done
	cat "$DEBROOT/usr/$DEB_LIBDIR_REL/pkgconfig/photon-ring.pc"
	# The .pc files name the real prefix, not the staging directory.
	grep -qx 'prefix=/usr' \
		"$DEBROOT/usr/$DEB_LIBDIR_REL/pkgconfig/photon-ring.pc" &&
		"$DEBROOT/usr/bin/photon-stat" --version
}
check "deb: dpkg-deb -x into debroot/, photon-stat runs" unpack_debs
check "deb (debroot): find_package shared: build and run" \
	cmake_consumer "$WORK/consumer-deb-cmake" "$DEBROOT/usr"

# pkg-config with the scratch root as its sysroot: -I and -L point into it.
pc_debroot()
{
	local cflags libs exe
	exe=$(consumer_of "$@")
	export PKG_CONFIG_SYSROOT_DIR="$DEBROOT"
	cflags=$(PKG_CONFIG_PATH="$DEBROOT/usr/$DEB_LIBDIR_REL/pkgconfig" \
		pkg-config --cflags "$@") || return 1
	libs=$(PKG_CONFIG_PATH="$DEBROOT/usr/$DEB_LIBDIR_REL/pkgconfig" \
		pkg-config --libs "$@") || return 1
	unset PKG_CONFIG_SYSROOT_DIR
	echo "cflags: $cflags"
	echo "libs:   $libs"
	# shellcheck disable=SC2086
	pc_build_and_run "$WORK/consumer-deb-pc" "$exe" $cflags $libs \
		-Wl,-rpath,"$DEBROOT/usr/$DEB_LIBDIR_REL"
}
check "deb (debroot): pkg-config ${RING[*]}: build and run" \
	pc_debroot "${RING[@]}"
check "deb (debroot): pkg-config ${WITH_COMPANIONS[*]}: build and run" \
	pc_debroot "${WITH_COMPANIONS[@]}"

# As root: dpkg -i the three packages into the system, build and run the
# consumers against /usr, then remove them (dpkg -P: nothing is left, not
# even the packages' state), so that the machine is left as it was.
# Packages of these names already installed are left alone.
DPKG_INSTALLED=0
dpkg_remove()
{
	if ((DPKG_INSTALLED)); then
		dpkg -P "${DEB_PACKAGES[@]}" || return 1
		DPKG_INSTALLED=0
	fi
}
trap 'dpkg_remove >/dev/null 2>&1 || true' EXIT

dpkg_install_and_consume()
{
	local p status rc=0
	for p in "${DEB_PACKAGES[@]}"; do
		if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed'; then
			echo "$p is already installed; not touching it" \
				"(dpkg -P ${DEB_PACKAGES[*]} to let this check run)"
			return 1
		fi
	done
	DPKG_INSTALLED=1
	dpkg -i "$(deb_file libphotonring1)" "$(deb_file libphotonring-dev)" \
		"$(deb_file photonring-tools)" || rc=1
	if ((rc == 0)); then
		cmake_consumer "$WORK/consumer-dpkg-cmake" /usr || rc=1
		PC_OUT="$WORK/consumer-dpkg-pc" \
			PKG_CONFIG_PATH="/usr/$DEB_LIBDIR_REL/pkgconfig" \
			pc_shared "${RING[@]}" || rc=1
		PC_OUT="$WORK/consumer-dpkg-pc" \
			PKG_CONFIG_PATH="/usr/$DEB_LIBDIR_REL/pkgconfig" \
			pc_shared "${WITH_COMPANIONS[@]}" || rc=1
		photon-stat --version || rc=1
	fi
	dpkg_remove || rc=1
	# Nothing of the packages is left behind.
	for p in "${DEB_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		if [[ -n "$status" && "$status" != *not-installed ]]; then
			echo "$p is still known to dpkg: $status"
			rc=1
		fi
	done
	[[ ! -e "/usr/$DEB_LIBDIR_REL/libphotonring.so.1" ]] || rc=1
	return $rc
}
if [[ $(id -u) -eq 0 ]]; then
	check "deb: dpkg -i, find_package and pkg-config consumers, dpkg -P" \
		dpkg_install_and_consume
else
	echo "SKIP: deb: dpkg -i (not root; the packages were checked unpacked)"
fi

# ---- 10. the ABI: symbols and abidiff against abi/ (scripts/abi-check.sh) ----

# The installed libraries of the first build: RelWithDebInfo, the build
# scripts/abi-update.sh makes the baseline from.
for lib in "${LIBS[@]}"; do
	check "abi: $lib.so.1 exports exactly abi/$lib.symbols" \
		bash "$SRC/scripts/abi-check.sh" --symbols "$LIBDIR" "$lib"
	check "abi: abidiff $lib.so.1 against abi/$lib.so.1.abi: no change" \
		bash "$SRC/scripts/abi-check.sh" --abidiff "$LIBDIR" "$lib"
done

# ---- summary ----

if ((failures)); then
	echo "package check: $failures check(s) FAILED (logs in $WORK/logs)"
	exit 1
fi
echo "package check: all checks passed"
