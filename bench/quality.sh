#!/bin/sh
# Search quality per strategy on Fashion-MNIST, paired by seed: runs configs/fashion-mnist.cfg with each
# strategy on the same number of networks (112: generational 5 generations of 24 with 2 elites) for
# seeds 1..SEEDS, then prints bench/quality_table.py's table. Runs already finished are kept, so an
# interrupted sweep goes on where it stopped. About 2-3 minutes a run on 2 cores.
# Usage: bench/quality.sh EVOTUNE PREFIX [SEEDS]      e.g. bench/quality.sh build/evotune /tmp/q 5
set -eu
evotune=$1 prefix=$2 seeds=${3:-5}
cd "$(dirname "$0")/.."
seed=1
while [ "$seed" -le "$seeds" ]; do
    for strategy in random generational steady_state; do
        out=$prefix-$strategy-$seed.h5
        "$evotune" info "$out" 2>/dev/null | grep -q '^state: *finished' && continue
        if [ "$strategy" = generational ]; then budget="--set ga.generations=5"; else budget="--max-trials 112"; fi
        # shellcheck disable=SC2086 # budget is two words on purpose
        "$evotune" run configs/fashion-mnist.cfg --strategy $strategy $budget --set run.seed=$seed --quiet \
            --out "$out" >/dev/null
    done
    seed=$((seed + 1))
done
/usr/bin/python3 bench/quality_table.py "$prefix"
