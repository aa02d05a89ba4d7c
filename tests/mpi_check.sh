#!/bin/sh
# The MPI build: `mpirun -np N evotune run` (rank 0 runs the strategy, every rank trains) writes the file a
# plain `evotune run --threads 2` writes, for N = 1, 2, 3 ranks of 1 and 2 threads each and every strategy
# (steady_state, random, generational, tpe, random with promotion, steady_state cross-validated; finalists
# on in all), compared by h5_same as test_resume compares (timings, the thread count and the writer set
# aside). Then a run of 3 ranks has one rank other than 0 killed with SIGKILL mid-run: mpirun takes the
# job down, the file stays whole, and `mpirun -np 2 evotune resume` ends identical to the plain run. A
# rank whose data file differs from rank 0's refuses to start; rank 0's kernel table is every rank's.
# Runs as root (--allow-run-as-root) on however few cores (--oversubscribe).
# Usage: mpi_check.sh EVOTUNE H5_SAME MPIRUN SOURCE_DIR
set -eu
evotune=$1 h5same=$2 mpirun=$3 src=$4
dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
mpi() {
    n=$1
    shift
    "$mpirun" --allow-run-as-root --oversubscribe -np "$n" "$evotune" "$@"
}
# the root attribute threads: every rank's threads (h5dump prints the attribute's one value)
threads_of() {
    h5dump -a /threads "$1" 2>/dev/null | sed -n 's/^ *(0): *\([0-9]*\).*/\1/p'
}

iris="--set data.train=\"$src/datasets/iris.csv\" --set search.hidden_layers=1 --set search.neurons={min=2;max=8;}"
iris="$iris --quiet"
for case in ${MPI_CASES:-steady_state random generational tpe promotion folds}; do
    case $case in
    promotion) opts="--strategy random --max-trials 40 --set promotion.enabled=true --set search.epochs={min=3;max=9;}" ;;
    folds) opts="--strategy steady_state --set ga.population=8 --max-trials 30 --set data.folds=3 --set search.epochs={min=1;max=4;}" ;;
    generational) opts="--strategy generational --set ga.population=8 --set ga.generations=4 --set ga.elitism=1 --set search.epochs={min=1;max=4;}" ;;
    steady_state) opts="--strategy steady_state --set ga.population=8 --max-trials 40 --set search.epochs={min=1;max=4;}" ;;
    *) opts="--strategy $case --max-trials 40 --set search.epochs={min=1;max=4;}" ;;
    esac
    # shellcheck disable=SC2086
    "$evotune" run "$src/configs/default.cfg" $iris $opts --threads 2 --out "$dir/$case.h5" >/dev/null ||
        fail "$case: the plain run failed"
    for n in 1 2 3; do
        for t in 1 2; do
            out=$dir/$case-$n-$t.h5
            # shellcheck disable=SC2086
            mpi $n run "$src/configs/default.cfg" $iris $opts --threads $t --out "$out" >"$dir/log" 2>&1 ||
                fail "$case: mpirun -np $n, $t threads: $(tail -5 "$dir/log")"
            "$h5same" "$dir/$case.h5" "$out" || fail "$case: mpirun -np $n, $t threads differs from the plain run"
            [ "$(threads_of "$out")" = $((n * t)) ] || fail "$case: -np $n x $t threads recorded $(threads_of "$out")"
            rm -f "$out"
        done
    done
    echo "$case: mpirun -np 1, 2, 3 x 1, 2 threads: identical to the plain run"
done

# Another command runs on rank 0 alone (the other ranks have nothing to serve and end with 0).
mpi 2 info "$dir/random.h5" >"$dir/info.txt" 2>&1 || fail "mpirun -np 2 evotune info: $(cat "$dir/info.txt")"
[ "$(grep -c '^state:' "$dir/info.txt")" = 1 ] || fail "info under mpirun: $(cat "$dir/info.txt")"

# Rank 0's kernel table is every rank's: rank 0 forced to scalar, the others left to choose (AVX-512 or
# AVX2 where the CPU has them, whose floats differ in the last bits) write the file of a scalar run.
# shellcheck disable=SC2086
EVOTUNE_ISA=scalar "$evotune" run "$src/configs/default.cfg" $iris --strategy random --max-trials 40 \
    --set 'search.epochs={min=1;max=4;}' --threads 2 --out "$dir/scalar.h5" >/dev/null || fail "the scalar run"
# shellcheck disable=SC2086
"$mpirun" --allow-run-as-root --oversubscribe -np 1 env EVOTUNE_ISA=scalar "$evotune" run "$src/configs/default.cfg" \
    $iris --strategy random --max-trials 40 --set 'search.epochs={min=1;max=4;}' --threads 1 \
    --out "$dir/scalar-mpi.h5" : -np 2 env -u EVOTUNE_ISA "$evotune" >"$dir/log" 2>&1 || fail "scalar on rank 0: $(tail -5 "$dir/log")"
"$h5same" "$dir/scalar.h5" "$dir/scalar-mpi.h5" || fail "rank 0's kernel table was not imposed on the other ranks"
echo "rank 0's kernel table (scalar) imposed on every rank"

# A rank whose data differ from rank 0's (here: its own working directory, its own iris.csv) refuses to
# start, in one line naming the file, and the job exits 2 before anything is written.
mkdir "$dir/a" "$dir/b"
cp "$src/datasets/iris.csv" "$dir/a/"
head -100 "$src/datasets/iris.csv" >"$dir/b/iris.csv"
code=0
"$mpirun" --allow-run-as-root --oversubscribe -np 1 -wdir "$dir/a" "$evotune" run "$src/configs/default.cfg" \
    --set 'data.train="iris.csv"' --max-trials 10 --out "$dir/refused.h5" --quiet : -np 1 -wdir "$dir/b" "$evotune" \
    >"$dir/refused.log" 2>&1 || code=$?
[ $code = 2 ] || fail "a rank with other data: exit $code, not 2: $(cat "$dir/refused.log")"
grep -q "^evotune: rank 1 on .* refuses to start: 'iris.csv' differs from rank 0's (content hash" "$dir/refused.log" ||
    fail "a rank with other data: $(cat "$dir/refused.log")"
[ ! -e "$dir/refused.h5" ] || fail "a refused job wrote its results file"

# A rank other than 0 killed mid-run (SIGKILL): the job goes down, the file stays whole, and a resume
# under another rank count ends as the uninterrupted run.
long="--set data.train=\"$src/datasets/iris.csv\" --set search.hidden_layers=1 --set search.neurons={min=8;max=64;}"
long="$long --set search.epochs={min=5;max=20;} --strategy random --max-trials 8000 --quiet"
# shellcheck disable=SC2086
"$evotune" run "$src/configs/default.cfg" $long --threads 2 --out "$dir/long.h5" >/dev/null || fail "the plain long run"
out=$dir/killed.h5
# shellcheck disable=SC2086
mpi 3 run "$src/configs/default.cfg" $long --threads 1 --out "$out" >"$dir/killed.log" 2>&1 &
job=$!
victim= rank0=
i=0
while [ -z "$victim" ]; do
    i=$((i + 1))
    [ $i -lt 3000 ] || fail "no rank to kill after 30 s"
    kill -0 $job 2>/dev/null || fail "the run ended before a rank was killed: $(tail -3 "$dir/killed.log")"
    if [ -e "$out" ] && [ $i -gt 50 ]; then # some results saved: kill rank 2, a child of mpirun
        for pid in $(pgrep -P $job) $(for p in $(pgrep -P $job); do pgrep -P "$p"; done); do
            env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null || true)
            case $env in
            *OMPI_COMM_WORLD_RANK=0*) rank0=$pid ;;
            *OMPI_COMM_WORLD_RANK=2*) victim=$pid ;;
            esac
        done
    fi
    [ -n "$victim" ] || sleep 0.01
done
kill -9 "$victim"
if wait $job; then fail "mpirun ended with 0 after rank 2 was killed"; fi
# mpirun may return while rank 0, sent SIGTERM, still saves (resume refuses a file being written)
i=0
while kill -0 "$rank0" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 1000 ] || fail "rank 0 still runs 10 s after the job was taken down"
    sleep 0.01
done
"$h5same" "$out" || fail "the file left by the killed job does not read whole"
"$evotune" info "$out" | grep -q '^state: *finished' && fail "the killed run had already finished"
mpi 2 resume "$out" --threads 2 --quiet >"$dir/resume.log" 2>&1 || fail "mpirun -np 2 evotune resume: $(tail -5 "$dir/resume.log")"
"$h5same" "$dir/long.h5" "$out" || fail "the resumed run differs from the uninterrupted one"
echo "a rank killed mid-run (3 ranks), resumed with 2 ranks: identical to the uninterrupted run"
