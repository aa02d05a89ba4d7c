#!/bin/sh
# `cmake --install` puts the binary, the man page, the example configs and data sets in place, and the
# man page documents every command and option that --help lists.
# Usage: install_check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/evotune share/man/man1/evotune.1 share/evotune/configs/default.cfg \
         share/evotune/datasets/digits.csv share/evotune/examples/analyze.py; do
    test -f "$prefix/$f" || { echo "not installed: $f"; exit 1; }
done
"$prefix/bin/evotune" --version
man="$src/docs/evotune.1"
help=$("$prefix/bin/evotune" --help)
# every command of the usage lines, and every --option anywhere in --help, appears in the man page
missing=0
for word in $(printf '%s\n' "$help" | sed -n 's/^.*evotune \([a-z][a-z]*\) .*/\1/p' | sort -u) \
            $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    esc=$(printf '%s' "$word" | sed 's/-/\\\\-/g')
    grep -q -- "$esc" "$man" || { echo "evotune(1) does not mention '$word'"; missing=1; }
done
# and every exit code of --help
for code in $(printf '%s\n' "$help" | sed -n 's/^  \([0-9][0-9]*\)  .*/\1/p'); do
    grep -q "^\.B $code" "$man" || grep -q "^\.B .*$code" "$man" || { echo "evotune(1) lacks exit code $code"; missing=1; }
done
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$man" 2>&1 | tee "$prefix/groff.log"
    test ! -s "$prefix/groff.log" || { echo "groff warnings"; exit 1; }
fi
exit $missing
