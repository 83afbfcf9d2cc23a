#!/usr/bin/env bash
# The technical report as one document: README.md (the text) followed by
# results.md (the tables bench/report.sh generated), with the figures.
#
#   docs/report/build.sh [OUTDIR]      (default build/report)
#
# Needs pandoc (Debian package `pandoc`; not installed by this script: the
# Markdown reads as it is on GitHub). With a PDF engine that pandoc can use
# (pdflatex, xelatex, lualatex, wkhtmltopdf or weasyprint) it writes
# OUTDIR/report.pdf; without one, OUTDIR/report.html, self-contained (the
# figures embedded), and says so. TeX is not pulled in for this. Nothing is
# written under docs/: the output is a build product.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$root/build/report}")

if ! command -v pandoc >/dev/null; then
	echo "build.sh: pandoc is not installed (apt-get install pandoc);" \
		"the report is readable as Markdown in docs/report/" >&2
	exit 0
fi
mkdir -p "$out"
# One document: the text, then the generated results; links between the
# two files become links inside it.
sed 's/(results\.md)/(#results-of-the-last-benchrunsh---report)/g' \
	"$here/README.md" >"$out/report.md"
printf '\n\n' >>"$out/report.md"
sed 's/(README\.md)/(#libphotonring-the-stamp-in-slot-broadcast-ring)/g' \
	"$here/results.md" >>"$out/report.md"

engine=""
for e in pdflatex xelatex lualatex wkhtmltopdf weasyprint; do
	if command -v "$e" >/dev/null; then
		engine=$e
		break
	fi
done
common=(--from gfm --resource-path "$here" --metadata
	title="libphotonring: the stamp-in-slot broadcast ring" --toc)
if [ -n "$engine" ]; then
	pandoc "${common[@]}" --pdf-engine="$engine" -V geometry:margin=2cm \
		-o "$out/report.pdf" "$out/report.md"
	echo "== $out/report.pdf ($engine)"
else
	pandoc "${common[@]}" --standalone --self-contained \
		-o "$out/report.html" "$out/report.md"
	echo "== $out/report.html (no PDF engine for pandoc here:" \
		"pdflatex, xelatex, lualatex, wkhtmltopdf or weasyprint;" \
		"HTML instead)"
fi
