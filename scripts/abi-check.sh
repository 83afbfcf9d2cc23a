#!/usr/bin/env bash
# The ABI check: the shared libraries of a build against the baseline
# checked in under abi/, the last release of each SONAME (abi/README.md).
#
#   scripts/abi-check.sh [--symbols | --abidiff] LIBDIR [LIBRARY...]
#   scripts/abi-check.sh --update LIBDIR
#
#   LIBDIR   a build directory or an installed libdir holding
#            libphotonring{,-metrics,-topology}.so.1, built with debug
#            information (RelWithDebInfo, as tests/package/check.sh and
#            scripts/abi-update.sh build them)
#   LIBRARY  libphotonring, libphotonring-metrics, libphotonring-topology,
#            libphotonring-bridge
#            (default: all three)
#
# Two comparisons per library, each failing on any difference:
#   --symbols  its version nodes and exported dynamic symbols with their
#              nodes, `name@@NODE`, sorted, against abi/LIBRARY.symbols;
#   --abidiff  its abidw dump (public types only: those of include/photon)
#              against abi/LIBRARY.so.1.abi, with abidiff.
# Without either option, both. --update rewrites abi/ from LIBDIR instead:
# run scripts/abi-update.sh, which makes a clean build for it.
#
# Needs nm (binutils) and abidw/abidiff (Debian: abigail-tools).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ABI_DIR="$ROOT/abi"
ALL_LIBS=(libphotonring libphotonring-metrics libphotonring-topology
	libphotonring-bridge)

# The dump holds the libraries' exported functions and the types they
# reach, as far as the public headers define them: the opaque structs stay
# declarations (their layout is free to change), libc's and the optional
# dependencies' functions are left out, and so are the source locations and
# the build's paths, which change without the ABI changing.
ABIDW_OPTS=(--headers-dir "$ROOT/include/photon" --drop-private-types
	--drop-undefined-syms --no-show-locs --no-comp-dir-path
	--no-corpus-path --no-elf-needed --type-id-style hash)

usage()
{
	echo "usage: $0 [--symbols | --abidiff | --update] LIBDIR [LIBRARY...]" >&2
	exit 2
}

mode=both
case "${1:-}" in
--symbols | --abidiff | --update)
	mode=${1#--}
	shift
	;;
-*) usage ;;
esac
[[ $# -ge 1 ]] || usage
LIBDIR=$1
shift
libs=("$@")
[[ ${#libs[@]} -gt 0 ]] || libs=("${ALL_LIBS[@]}")
[[ $mode != update || $# -eq 0 ]] || usage

for tool in nm readelf abidw abidiff; do
	command -v "$tool" >/dev/null && continue
	package=binutils
	[[ $tool == abi* ]] && package=abigail-tools
	echo "$0: $tool not found (Debian: apt-get install $package)" >&2
	exit 2
done

# The defined dynamic symbols of a library, one a line, sorted (C locale):
# each version node's own marker symbol (`PHOTONRING_0.1`), then each
# function as `name@@NODE` (`name@NODE` for a non-default version, a bare
# name if one escaped the version script).
exported_symbols()
{
	nm -D --defined-only "$1" | awk '{ print $NF }' | LC_ALL=C sort
}

# The abidw dump of a library, with the translation units' paths made
# relative to the source tree so that the file does not depend on where
# the tree was checked out.
dump_abi()
{
	abidw "${ABIDW_OPTS[@]}" "$1" |
		sed -E "s|^( *<abi-instr [^>]*path=')[^']*/(src/[^']*')|\1\2|"
}

library_file()
{
	local so="$LIBDIR/$1.so.1"
	if [[ ! -e "$so" ]]; then
		echo "$so: no such library" >&2
		return 1
	fi
	echo "$so"
}

if [[ $mode == update ]]; then
	mkdir -p "$ABI_DIR"
	for lib in "${libs[@]}"; do
		so=$(library_file "$lib")
		exported_symbols "$so" >"$ABI_DIR/$lib.symbols"
		dump_abi "$so" >"$ABI_DIR/$lib.so.1.abi"
		echo "$lib: $(wc -l <"$ABI_DIR/$lib.symbols") symbols;" \
			"abi/$lib.symbols, abi/$lib.so.1.abi written"
	done
	exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
status=0

check_symbols()
{
	local lib=$1 so=$2 want="$ABI_DIR/$1.symbols"
	[[ -f "$want" ]] || {
		echo "$lib: no $want"
		return 1
	}
	exported_symbols "$so" >"$TMP/$lib.symbols"
	if ! diff -u --label "abi/$lib.symbols" --label "$so" \
		"$want" "$TMP/$lib.symbols"; then
		echo "$lib: the exported symbols differ from abi/$lib.symbols" \
			"(- the list, + the library)"
		return 1
	fi
	echo "$lib: $(wc -l <"$want") symbols, as abi/$lib.symbols lists"
}

check_abidiff()
{
	local lib=$1 so=$2 base="$ABI_DIR/$1.so.1.abi" rc=0 what=""
	[[ -f "$base" ]] || {
		echo "$lib: no $base"
		return 1
	}
	# Without debug information abidw sees the symbols alone, and
	# abidiff would find no change in any type.
	# (Captured first: grep -q may stop reading early, and under pipefail
	# the writer's SIGPIPE would fail the pipeline.)
	local sections
	sections=$(readelf -S "$so") || return 1
	if ! grep -q '[.]debug_info' <<<"$sections"; then
		echo "$lib: $so has no debug information (build RelWithDebInfo)"
		return 1
	fi
	dump_abi "$so" >"$TMP/$lib.so.1.abi"
	abidiff "$base" "$TMP/$lib.so.1.abi" || rc=$?
	# abidiff's status is a bit set: 1 error, 2 usage error, 4 the ABI
	# changed, 8 incompatibly. Any of them fails the check: an intended
	# change updates abi/ in the same commit.
	((rc & 1)) && what+=" error"
	((rc & 2)) && what+=" usage-error"
	((rc & 4)) && what+=" ABI-change"
	((rc & 8)) && what+=" incompatible-change"
	if ((rc)); then
		echo "$lib: abidiff abi/$lib.so.1.abi $so: exit $rc:$what"
		return 1
	fi
	echo "$lib: abidiff: no ABI change from abi/$lib.so.1.abi"
}

for lib in "${libs[@]}"; do
	so=$(library_file "$lib") || {
		status=1
		continue
	}
	if [[ $mode != abidiff ]]; then
		check_symbols "$lib" "$so" || status=1
	fi
	if [[ $mode != symbols ]]; then
		check_abidiff "$lib" "$so" || status=1
	fi
done
if ((status)); then
	echo "ABI check failed. An intended change (new symbols in a new" \
		"version node, or a SONAME bump) updates the baseline in the" \
		"same commit: scripts/abi-update.sh"
fi
exit $status
