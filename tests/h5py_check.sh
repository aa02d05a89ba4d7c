#!/bin/sh
# Runs the same small searches with 1 and 2 threads through the CLI, one per strategy, and checks, with
# Debian's h5py and pandas, that both files read as users read them and hold identical results (timings
# aside).
# Usage: h5py_check.sh EVOTUNE SOURCE_DIR PYTHON
set -eu
evotune=$1 src=$2 python=$3
"$python" -c 'import h5py, pandas' 2>/dev/null || { echo "skipped: python3-h5py/python3-pandas missing"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# steady_state (the default) with more virtual workers than threads, and random search
set -- --set "data.train=\"$src/datasets/wine.csv\"" --set 'search.epochs={min=2;max=5;}' \
       --set 'search.neurons={min=4;max=32;}' --max-trials 18 --set run.workers=4 --quiet
"$evotune" run "$src/configs/default.cfg" "$@" --set ga.population=6 --threads 1 --out "$dir/t1.h5" >/dev/null
"$evotune" run "$src/configs/default.cfg" "$@" --set ga.population=6 --threads 2 --out "$dir/t2.h5" >/dev/null
"$python" "$src/tests/check_results.py" "$dir/t1.h5" "$dir/t2.h5"
"$evotune" run "$src/configs/default.cfg" "$@" --strategy random --threads 1 --out "$dir/u1.h5" >/dev/null
"$evotune" run "$src/configs/default.cfg" "$@" --strategy random --threads 2 --out "$dir/u2.h5" >/dev/null
"$python" "$src/tests/check_results.py" "$dir/u1.h5" "$dir/u2.h5"
# random with promotion (ASHA): rows per rung, curves from each row's from_epoch; and its exports
"$evotune" run "$src/configs/default.cfg" "$@" --strategy random --set promotion.enabled=true --set promotion.eta=2 \
    --threads 1 --out "$dir/p1.h5" >/dev/null
"$evotune" run "$src/configs/default.cfg" "$@" --strategy random --set promotion.enabled=true --set promotion.eta=2 \
    --threads 2 --out "$dir/p2.h5" >/dev/null
"$python" "$src/tests/check_results.py" "$dir/p1.h5" "$dir/p2.h5"
"$python" -c 'import h5py, sys; assert (h5py.File(sys.argv[1])["individuals"]["rung"] > 0).any(), "no promotion"' "$dir/p1.h5"
"$evotune" export "$dir/p1.h5" --jsonl "$dir/p1.jsonl"
"$evotune" export "$dir/p1.h5" --csv "$dir/pcsv"
"$python" "$src/tests/check_results.py" --exports "$dir/p1.h5" "$dir/pcsv" "$dir/p1.jsonl"
# cross-validation on wine (3 folds): fitness the mean of /folds, the best trained on every fold's rows,
# folds.csv in the exports
"$evotune" run "$src/configs/default.cfg" "$@" --set data.folds=3 --threads 1 --out "$dir/c1.h5" >/dev/null
"$evotune" run "$src/configs/default.cfg" "$@" --set data.folds=3 --threads 2 --out "$dir/c2.h5" >/dev/null
"$python" "$src/tests/check_results.py" "$dir/c1.h5" "$dir/c2.h5"
"$evotune" export "$dir/c1.h5" --csv "$dir/ccsv"
test -s "$dir/ccsv/folds.csv"
# a generational regression search (every gene a regression search allows left free, diabetes): 1 and 2
# threads give identical files, read as users read them
set -- --set "data.train=\"$src/datasets/diabetes.csv\"" --strategy generational --set ga.population=6 \
       --set ga.generations=3 \
       --set 'search.epochs={min=2;max=8;}' \
       --set 'search.batch_selection={choice=["shuffle","stratified","balanced"];}' --quiet
"$evotune" run "$src/configs/diabetes.cfg" "$@" --threads 1 --out "$dir/r1.h5" >/dev/null
"$evotune" run "$src/configs/diabetes.cfg" "$@" --threads 2 --out "$dir/r2.h5" >/dev/null
"$python" "$src/tests/check_results.py" "$dir/r1.h5" "$dir/r2.h5"
"$evotune" export "$dir/r1.h5" --csv "$dir/rcsv"
"$evotune" export "$dir/r1.h5" --jsonl "$dir/r1.jsonl"
"$python" "$src/tests/check_results.py" --exports "$dir/r1.h5" "$dir/rcsv" "$dir/r1.jsonl"
# the exports, as pandas and a JSON reader see them
"$evotune" export "$dir/t1.h5" --csv "$dir/csv"
"$evotune" export "$dir/t1.h5" --jsonl "$dir/t1.jsonl"
"$python" "$src/tests/check_results.py" --exports "$dir/t1.h5" "$dir/csv" "$dir/t1.jsonl"
# the example script, when matplotlib is there (the README's test command installs it)
if "$python" -c 'import matplotlib' 2>/dev/null; then
    "$python" "$src/examples/analyze.py" "$dir/t1.h5" --gene activation --out "$dir/a.png"
    "$python" "$src/examples/analyze.py" "$dir/t1.h5" --out "$dir/b.png"
    "$python" "$src/examples/analyze.py" "$dir/r1.h5" --gene loss --out "$dir/c.png"
    test -s "$dir/a.png" && test -s "$dir/b.png" && test -s "$dir/c.png"
else
    echo "examples/analyze.py not run: python3-matplotlib missing"
fi
