#!/bin/sh
# Two settings of one search compared on test accuracy, paired by seed: for seeds 1..SEEDS, CONFIG is run
# once with OPTIONS_A and once with OPTIONS_B (each one shell word, split on spaces; '' for none), every
# other setting the same (COMMON options), then bench/paired_table.py prints the paired table. Runs
# already finished are kept, so an interrupted sweep goes on where it stopped.
# Usage: bench/paired.sh EVOTUNE CONFIG PREFIX SEEDS OPTIONS_A OPTIONS_B [COMMON...]
#   e.g. finalists off against on (the default):
#        bench/paired.sh build/evotune configs/default.cfg /tmp/fd 20 '--set finalists.count=0' ''
#   cross-validation against a held-out validation split:
#        bench/paired.sh build/evotune configs/default.cfg /tmp/cv 20 '' '--set data.folds=5'
set -eu
evotune=$1 config=$2 prefix=$3 seeds=$4 a=$5 b=$6
shift 6
seed=1
while [ "$seed" -le "$seeds" ]; do
    for variant in a b; do
        out=$prefix-$variant-$seed.h5
        "$evotune" info "$out" 2>/dev/null | grep -q '^state: *finished' && continue
        [ "$variant" = a ] && options=$a || options=$b
        # shellcheck disable=SC2086 # options are several words on purpose
        "$evotune" run "$config" "$@" $options --seed "$seed" --quiet --out "$out" >/dev/null
    done
    seed=$((seed + 1))
done
/usr/bin/python3 "$(dirname "$0")/paired_table.py" "$prefix" "A: ${a:-defaults}" "B: ${b:-defaults}"
