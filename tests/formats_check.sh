#!/bin/sh
# What an existing results file means must not change under an edit. For every format version still
# read (tests/fixtures/formatV-iris.h5, written by the evotune of that format from one small iris
# search), the file's stored layout must equal the golden copy tests/fixtures/formatV.schema, and what
# every reader makes of it (info, export --csv, the test split, predict) must equal the golden copies in
# tests/fixtures/formatV-iris/; report must render it. A file written now must have the layout of
# the current format's golden copy: a change to a stored table, column, type or enum (a renamed or
# reordered enum name changes what the stored numbers mean) fails here until the format version is
# raised and a golden copy of the new format is added. Enums are read by name: the format 9 fixture
# with every enum's numbers changed (tests/permute_enums.py) reads the same. A format 5 file (evotune
# 0.1.0) is refused by every command with one line naming the evotune that reads it.
# Usage: formats_check.sh EVOTUNE SOURCE_DIR PYTHON
set -eu
evotune=$1 src=$2 python=$3
if ! "$python" -c 'import h5py' 2>/dev/null; then
    [ -z "${CI:-}" ] || { echo "python3-h5py is missing (CI may not skip this test)"; exit 1; }
    echo "skipped: python3-h5py missing"
    exit 77
fi
fx=$src/tests/fixtures
current=$(sed -n 's/^#define EVO_H5_FORMAT_VERSION \([0-9]*\).*/\1/p' "$src/include/evotune/h5.h")
oldest=$(sed -n 's/^#define EVO_H5_FORMAT_OLDEST \([0-9]*\).*/\1/p' "$src/include/evotune/h5.h")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
mkdir datasets
cp "$src/datasets/iris.csv" datasets/ # the fixtures' configs name it relative to where they ran

fail() {
    echo "FAIL: $*"
    exit 1
}

# Everything the readers make of results file $1, into directory $2.
readers() {
    mkdir -p "$2"
    "$evotune" info "$1" | sed "s|$1|FILE|g" >"$2/info.txt"
    "$evotune" export "$1" --csv "$2"
    "$evotune" export "$1" --split test --out test.csv >/dev/null
    "$evotune" predict "$1" test.csv --out "$2/predictions.csv" >"$2/predict.txt"
    "$evotune" report "$1" -o "$dir/report.html" >/dev/null
    tail -c 8 "$dir/report.html" | grep -q '</html>' || fail "$1: report is not a whole page"
}

v=$oldest
while [ "$v" -le "$current" ]; do
    [ -f "$fx/format$v-iris.h5" ] || fail "no fixture of format $v: add tests/fixtures/format$v-iris.h5 and its golden copies"
    cp "$fx/format$v-iris.h5" "f$v.h5"
    "$python" "$src/tests/schema.py" "f$v.h5" >"s$v.txt"
    diff -u "$fx/format$v.schema" "s$v.txt" || fail "format $v: the fixture's layout is not its golden copy"
    readers "f$v.h5" "r$v"
    diff -ru "$fx/format$v-iris" "r$v" ||
        fail "format $v: the readers no longer read the fixture as its golden copies say (what an existing file means changed)"
    v=$((v + 1))
done

# a file written now has the current format's layout
"$python" -c 'import h5py, sys; sys.stdout.write(h5py.File(sys.argv[1], "r").attrs["config"])' \
    "$fx/format$current-iris.h5" >now.cfg
"$evotune" run now.cfg --out now.h5 --quiet >/dev/null
"$python" "$src/tests/schema.py" now.h5 >now.txt
diff -u "$fx/format$current.schema" now.txt ||
    fail "the layout written now differs from format $current's golden copy: an existing file would change meaning; raise EVO_H5_FORMAT_VERSION, keep reading $current, and add a fixture and golden copies of the new format"

# enums are read by name, not by the numbers stored
"$python" "$src/tests/permute_enums.py" "f$current.h5" permuted.h5 >/dev/null
readers permuted.h5 permuted
diff -ru "$fx/format$current-iris" permuted || fail "a file whose enums store other numbers for the same names reads differently"

# format 5: refused by every command in one line that names the evotune reading it
cp "$fx/format5-iris.h5" f5.h5
for cmd in "info f5.h5" "export f5.h5 --csv c5" "report f5.h5 -o r5.html" "predict f5.h5 datasets/iris.csv" "resume f5.h5"; do
    # shellcheck disable=SC2086 # cmd is several words on purpose
    if "$evotune" $cmd >out.txt 2>err.txt; then fail "evotune $cmd accepted a format 5 file"; fi
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "evotune $cmd: not one line: $(cat err.txt)"
    grep -q "format version 5, written by evotune 0.1.0, which reads it" err.txt || fail "evotune $cmd: $(cat err.txt)"
    [ ! -s out.txt ] || fail "evotune $cmd wrote to stdout: $(cat out.txt)"
done
echo "formats $oldest to $current read as their golden copies; format 5 refused"
