#!/bin/sh
# Finalist re-evaluation against picking the best single validation score, paired by seed: for seeds
# 1..SEEDS, CONFIG is run once with finalists.count=0 (the winner is the best validation score) and once
# with the finalists of the configuration (or of the options given), every other setting the same, so
# both runs search the same networks; then bench/finalists_table.py prints the paired table. Runs
# already finished are kept, so an interrupted sweep goes on where it stopped.
# Usage: bench/finalists.sh EVOTUNE CONFIG PREFIX [SEEDS [OPTION...]]
#   e.g. bench/finalists.sh build/evotune configs/default.cfg /tmp/fd 20
set -eu
evotune=$1 config=$2 prefix=$3 seeds=${4:-20}
shift $(($# < 4 ? $# : 4))
seed=1
while [ "$seed" -le "$seeds" ]; do
    for variant in off on; do
        out=$prefix-$variant-$seed.h5
        "$evotune" info "$out" 2>/dev/null | grep -q '^state: *finished' && continue
        if [ "$variant" = off ]; then
            "$evotune" run "$config" "$@" --set finalists.count=0 --seed "$seed" --quiet --out "$out" >/dev/null
        else
            "$evotune" run "$config" "$@" --seed "$seed" --quiet --out "$out" >/dev/null
        fi
    done
    seed=$((seed + 1))
done
/usr/bin/python3 "$(dirname "$0")/finalists_table.py" "$prefix"
