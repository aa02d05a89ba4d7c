#!/bin/sh
# Fault injection, SQLite's loop (fault.h): from a previous results file, `evotune resume` runs with the
# K-th write, fsync, rename or allocation failing (EVOTUNE_FAULT=KIND:K, that call and every later one
# of its kind), for K = 1, 2, ... until a run succeeds. Every failing K must exit 1 with exactly one
# line on stderr naming the call (or the allocation) and the file (the results file or its journal),
# no sanitizer report (exit 66 in the sanitizer builds), no temporary file left, and a results file
# that `evotune info` opens and `evotune resume` completes (checked once per distinct file left: most allocation failures come
# before the first save and leave the previous file as it was). For the file calls, report, export
# and predict --out, which publish through the same layer, must fail as cleanly at K = 1.
# Usage: fault_check.sh KIND EVOTUNE SOURCE_DIR
set -eu
kind=$1 evotune=$2 src=$3
# resume to 4 generations (3 new, 5 saves) for the file calls; allocations, most of them at start-up,
# are as well covered by 1 new generation, which keeps their loop (130 runs) short
gens=4
[ "$kind" != alloc ] || gens=2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "fault_$kind: K=$k: $*" >&2; exit 1; }

# Two threads, so that allocations also fail on OpenMP workers while the main thread writes the file;
# one finalist run, so that its path fails too without lengthening the loops much.
cat >"$dir/tiny.cfg" <<EOF
data = { train = "$src/datasets/iris.csv"; label = "label"; };
search = { epochs = { min = 1; max = 2; }; neurons = { min = 4; max = 8; }; hidden_layers = { min = 0; max = 1; }; };
finalists = { count = 1; repeats = 1; };
ga = { population = 3; generations = 1; elitism = 1; };
run = { strategy = "generational"; seed = 5; threads = 2; };
EOF
"$evotune" run "$dir/tiny.cfg" --out "$dir/prev.h5" --quiet >/dev/null || { k=0; fail "the previous file was not made"; }

k=0 checked=0
: >"$dir/checked.h5"
while :; do
    k=$((k + 1))
    [ $k -le 5000 ] || fail "no success after 5000 failures: the loop does not end"
    cp "$dir/prev.h5" "$dir/work.h5"
    code=0
    EVOTUNE_FAULT=$kind:$k "$evotune" resume "$dir/work.h5" --generations $gens --quiet \
        >"$dir/out.txt" 2>"$dir/err.txt" || code=$?
    [ $code -eq 0 ] && break
    [ $code -eq 1 ] || fail "exit code $code (expected 1); stderr: $(cat "$dir/err.txt")"
    [ "$(wc -l <"$dir/err.txt")" -eq 1 ] || fail "stderr is not one line: $(cat "$dir/err.txt")"
    case $kind in
    alloc) grep -q '^evotune: out of memory allocating [0-9]* bytes$' "$dir/err.txt" ;;
    *) grep -q "^evotune: cannot write '$dir/work.h5\(.journal\)\?': $kind failed: " "$dir/err.txt" ;;
    esac || fail "unexpected message: $(cat "$dir/err.txt")"
    ! ls "$dir"/work.h5.tmp-* >/dev/null 2>&1 || fail "temporary file left: $(ls "$dir")"
    # a file byte for byte the one checked last behaves as it did: only a new state needs checking
    cmp -s "$dir/work.h5" "$dir/checked.h5" && continue
    cp "$dir/work.h5" "$dir/checked.h5"
    checked=$((checked + 1))
    "$evotune" info "$dir/work.h5" >/dev/null 2>"$dir/info.txt" || fail "info fails: $(cat "$dir/info.txt")"
    "$evotune" resume "$dir/work.h5" --generations $gens --quiet >/dev/null 2>"$dir/resume.txt" ||
        fail "resume fails: $(cat "$dir/resume.txt")"
done
# the run that succeeded is complete, and the loop went through enough failures to mean something
"$evotune" info "$dir/work.h5" | grep -q '^state: *finished' || fail "the successful run is not finished"
[ $k -gt 3 ] || fail "only $((k - 1)) failing runs before success: the faults do not reach the writes"
summary="$((k - 1)) failing runs (K = 1..$((k - 1))) ended cleanly, leaving $checked distinct files that info opens and resume completes; K = $k succeeded"

# the other outputs go through the same file layer: their first write, fsync or rename fails cleanly
if [ "$kind" != alloc ]; then
    k=1 # the messages of fail
    for cmd in "report $dir/work.h5 -o $dir/out.file" "export $dir/work.h5 --jsonl $dir/out.file" \
               "predict $dir/work.h5 $src/datasets/iris.csv --out $dir/out.file"; do
        code=0
        # shellcheck disable=SC2086 # cmd is split into words on purpose (no spaces in the paths)
        EVOTUNE_FAULT=$kind:1 "$evotune" $cmd >/dev/null 2>"$dir/err.txt" || code=$?
        [ $code -eq 1 ] || fail "$cmd: exit code $code (expected 1); stderr: $(cat "$dir/err.txt")"
        [ "$(wc -l <"$dir/err.txt")" -eq 1 ] || fail "$cmd: stderr is not one line: $(cat "$dir/err.txt")"
        grep -q "^evotune: cannot write '$dir/out.file': $kind failed: " "$dir/err.txt" ||
            fail "$cmd: unexpected message: $(cat "$dir/err.txt")"
        ! ls "$dir"/out.file* >/dev/null 2>&1 || fail "$cmd: left $(ls "$dir"/out.file*)"
        # shellcheck disable=SC2086
        "$evotune" $cmd >/dev/null 2>&1 || fail "$cmd fails without a fault"
        [ -s "$dir/out.file" ] || fail "$cmd wrote nothing without a fault"
        rm "$dir/out.file"
    done
fi
echo "fault_$kind: $summary"
