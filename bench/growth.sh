#!/bin/sh
# What grows with the number of trials: for each count N, a real run of N tiny networks (iris, one
# hidden layer of 2-4 neurons, one epoch, random search, no finalists), then every reader of its file
# and a resume. Printed per N, one row: the run's wall time and peak memory; how it saved (whole
# snapshots of the results file, the last one's duration, and journal appends between them:
# journal.h; a kill -9 loses what finished since the last save, at most 0.05 s of results plus one
# append, and readers of the file see the last snapshot, at most ten of its durations old); the file's
# size; and the wall time and peak memory of info, export --csv, report and resume (extending the
# finished run by 10 trials: reading, replaying every trial, training 10, writing).
# Usage: bench/growth.sh EVOTUNE DIR [COUNTS...]   (default counts: 1000 10000 100000 1000000)
#   e.g. bench/growth.sh build/evotune /tmp/growth
set -eu
evotune=$1 dir=$2
shift 2
[ $# -gt 0 ] || set -- 1000 10000 100000 1000000
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
tiny="--set data.train=\"$root/datasets/iris.csv\" --set search.epochs=1 --set search.hidden_layers=1
      --set search.neurons={min=2;max=4;} --set search.batch_size=128 --set search.early_stopping=\"off\"
      --set finalists.count=0 --strategy random --threads 2 --quiet"
# wall seconds and peak resident MB of a command, its output to $dir/last.out
timed() {
    /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$@" >"$dir/last.out" 2>&1 || {
        cat "$dir/last.out" >&2
        exit 1
    }
    awk '{printf "%.2f s %.0f MB", $1, $2 / 1024}' "$dir/time.txt"
}
mb() { stat -c %s "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }
printf '| trials | run | snapshots, the last, journal appends | file | info | export --csv | report | resume +10 |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for n in "$@"; do
    out=$dir/t$n.h5
    rm -f "$out"
    # shellcheck disable=SC2086 # $tiny is several words on purpose
    run=$(timed "$evotune" run "$root/configs/default.cfg" $tiny --max-trials "$n" --out "$out")
    saves=$(sed -n 's/.*; \([0-9]*\) snapshots of the file, the last \([0-9.]*\) s, and \([0-9]*\) journal.*/\1, \2 s, \3/p' \
        "$dir/last.out")
    info=$(timed "$evotune" info "$out")
    rm -rf "$dir/csv"
    export=$(timed "$evotune" export "$out" --csv "$dir/csv")
    report=$(timed "$evotune" report "$out" -o "$dir/r$n.html")
    resume=$(timed "$evotune" resume "$out" --max-trials $((n + 10)) --quiet)
    printf '| %s | %s | %s | %s | %s | %s | %s (%s) | %s |\n' "$n" "$run" "$saves" "$(mb "$out")" "$info" \
        "$export" "$report" "$(mb "$dir/r$n.html")" "$resume"
done
