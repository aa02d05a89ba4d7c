#!/bin/sh
# Search quality per strategy on Fashion-MNIST, paired by seed, with configs/fashion-mnist.cfg's search
# space, for seeds 1..SEEDS; then prints bench/quality_table.py's table. Runs already finished are kept,
# so an interrupted sweep goes on where it stopped.
#   without EPOCHS: random, generational and steady_state on the same number of networks (112:
#     generational 5 generations of 24 with 2 elites); about 2-3 minutes a run on 2 cores;
#   with EPOCHS: random, random with promotion (ASHA), steady_state, steady_state with promotion and tpe
#     (when this evotune has it) on a budget of EPOCHS training epochs each (run.max_epochs), the budget
#     that compares strategies with and without promotion fairly; further arguments are passed to
#     every run (e.g. --set run.workers=4 for a short budget), and POPULATION=P in the environment
#     sets steady_state's ga.population.
# Usage: bench/quality.sh EVOTUNE PREFIX [SEEDS [EPOCHS [OPTION...]]]
#   e.g. bench/quality.sh build/evotune /tmp/q 5      bench/quality.sh build/evotune /tmp/e 5 300 --set run.workers=4
set -eu
evotune=$1 prefix=$2 seeds=${3:-5} epochs=${4:-}
shift $(($# < 4 ? $# : 4))
extra=$*
cd "$(dirname "$0")/.."
if [ -n "$epochs" ]; then
    variants="random random_promotion steady_state steady_state_promotion tpe"
else
    variants="random generational steady_state"
fi
seed=1
while [ "$seed" -le "$seeds" ]; do
    for variant in $variants; do
        out=$prefix-$variant-$seed.h5
        "$evotune" info "$out" 2>/dev/null | grep -q '^state: *finished' && continue
        strategy=${variant%_promotion}
        if [ -n "$epochs" ]; then
            set -- --max-epochs "$epochs" --max-trials 100000
            [ "$strategy" != "$variant" ] && set -- "$@" --set promotion.enabled=true
            [ "$strategy" = steady_state ] && [ -n "${POPULATION:-}" ] && set -- "$@" --set ga.population="$POPULATION"
        elif [ "$strategy" = generational ]; then
            set -- --set ga.generations=5
        else
            set -- --max-trials 112
        fi
        if [ "$strategy" = tpe ] && ! "$evotune" config --reference | grep -q '`tpe`'; then
            echo "quality.sh: this evotune has no tpe strategy, left out" >&2
            continue
        fi
        # shellcheck disable=SC2086 # extra is several words on purpose
        "$evotune" run configs/fashion-mnist.cfg --strategy "$strategy" "$@" $extra --set run.seed=$seed --quiet \
            --out "$out" >/dev/null
    done
    seed=$((seed + 1))
done
/usr/bin/python3 bench/quality_table.py "$prefix" ${epochs:+--epochs "$epochs"}
