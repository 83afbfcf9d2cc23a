#!/usr/bin/env bash
# The API reference: Doxygen (docs/Doxyfile) over the public headers,
# include/photon/*.h and *.hpp, into build/docs/api or the directory given
# as $1. Any warning fails it, an undocumented public declaration included,
# so CI keeps every declaration documented.
#
#   scripts/docs.sh              # build/docs/api/html/index.html
#   scripts/docs.sh /tmp/api     # /tmp/api/html/index.html
#
# Needs no build tree: photon/version.h is generated here from
# include/photon/version.h.in and the version in CMakeLists.txt, as CMake's
# configure_file(@ONLY) would. Besides the HTML, the output directory holds
# that header (include/), the XML the enum check below reads (xml/) and the
# warnings (warnings.log).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
photon_require_packages "${PHOTON_DOCS_PACKAGES[@]}"

out=$(realpath -m "${1:-$root/build/docs/api}")
log="$out/warnings.log"

version=$(sed -n 's/^project(PhotonRing VERSION \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p' \
	"$root/CMakeLists.txt")
if [ -z "$version" ]; then
	echo "error: no 'project(PhotonRing VERSION x.y.z' in CMakeLists.txt" >&2
	exit 1
fi
IFS=. read -r major minor patch <<<"$version"
mkdir -p "$out/include/photon"
sed -e "s/@PROJECT_VERSION_MAJOR@/$major/g" \
	-e "s/@PROJECT_VERSION_MINOR@/$minor/g" \
	-e "s/@PROJECT_VERSION_PATCH@/$patch/g" \
	-e "s/@PROJECT_VERSION@/$version/g" \
	"$root/include/photon/version.h.in" >"$out/include/photon/version.h"
if grep -n '@[A-Za-z_]*@' "$out/include/photon/version.h" >&2; then
	echo "error: version.h.in uses a variable this script does not set" >&2
	exit 1
fi

# Doxygen reads the Doxyfile and then these lines, which win.
rm -rf "$out/html" "$out/xml"
rm -f "$log"
start=$EPOCHREALTIME
rc=0
{
	cat "$root/docs/Doxyfile"
	echo "PROJECT_NUMBER = \"$version\""
	echo "OUTPUT_DIRECTORY = \"$out\""
	echo "WARN_LOGFILE = \"$log\""
	echo "INPUT += \"$out/include/photon/version.h\""
	echo "STRIP_FROM_PATH += \"$out/include\""
	echo "STRIP_FROM_INC_PATH += \"$out/include\""
} | (cd "$root" && doxygen -) || rc=$?

# Doxygen 1.9.4 has no warning for an undocumented enum value: list them
# from the XML output (one line per enum, in the warnings' format) into the
# log.
if [ -d "$out/xml" ]; then
	awk '
	/<memberdef kind="enum"/ { in_enum = 1; enum = ""; missing = "" }
	in_enum && !in_value && enum == "" && /<name>/ {
		enum = $0; gsub(/.*<name>|<\/name>.*/, "", enum)
	}
	in_enum && /<enumvalue / { in_value = 1; name = ""; documented = 0 }
	in_value && /<name>/ { name = $0; gsub(/.*<name>|<\/name>.*/, "", name) }
	in_value && /<para>/ { documented = 1 }
	in_value && /<\/enumvalue>/ {
		if (!documented)
			missing = missing " " name
		in_value = 0
	}
	in_enum && /<location / {
		where = $0
		sub(/.* file="/, "", where)
		line = where
		sub(/".*/, "", where)
		sub(/.* line="/, "", line)
		sub(/".*/, "", line)
	}
	in_enum && /<\/memberdef>/ {
		if (missing != "")
			printf "%s:%s: error: enum %s: value(s)%s not documented\n",
			    where, line, enum, missing
		in_enum = 0
	}' "$out"/xml/*.xml | sort -u >>"$log"
fi

# WARN_AS_ERROR = FAIL_ON_WARNINGS makes doxygen exit non-zero after listing
# every warning; the log is checked as well, for the enum values above and
# in case a warning slips past it.
warnings=0
[ -s "$log" ] && warnings=$(grep -c . "$log")
if [ "$rc" -ne 0 ] || [ "$warnings" -ne 0 ]; then
	[ -s "$log" ] && cat "$log" >&2
	echo "error: doxygen exited with $rc and $warnings warning lines" \
		"(listed above, and in $log)" >&2
	exit 1
fi
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "== docs: API reference of $version built in ${secs}s, no warnings:" \
	"$out/html/index.html"
