#!/bin/sh
# What grows with the number of trials: for each count N, a real run of N tiny networks (iris, one
# hidden layer of 2-4 neurons, one epoch, random search, no finalists), then every reader of its file
# and a resume. Printed per N, one row: the run's wall time and peak memory, its saves of the results
# file (how many, their total and the last one's time: a kill -9 loses at most the trials of one save
# interval, 10 times the last save's time, plus that save), the file's size, and the wall time and
# peak memory of info, export --csv, report and resume (extending the finished run by 10 trials:
# reading, replaying every trial, training 10, writing). Runs already made are kept, so a sweep
# interrupted goes on.
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
printf '| trials | run | saves: count, total, last | file | info | export --csv | report | resume +10 |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for n in "$@"; do
    out=$dir/t$n.h5
    rm -f "$out"
    # shellcheck disable=SC2086 # $tiny is several words on purpose
    run=$(timed "$evotune" run "$root/configs/default.cfg" $tiny --max-trials "$n" --out "$out")
    saves=$(sed -n 's/.*; \([0-9]*\) saves of the file: \([0-9.]*\) s, the last \([0-9.]*\) s).*/\1, \2 s, \3 s/p' \
        "$dir/last.out")
    info=$(timed "$evotune" info "$out")
    rm -rf "$dir/csv"
    export=$(timed "$evotune" export "$out" --csv "$dir/csv")
    report=$(timed "$evotune" report "$out" -o "$dir/r$n.html")
    resume=$(timed "$evotune" resume "$out" --max-trials $((n + 10)) --quiet)
    printf '| %s | %s | %s | %s | %s | %s | %s (%s) | %s |\n' "$n" "$run" "$saves" "$(mb "$out")" "$info" \
        "$export" "$report" "$(mb "$dir/r$n.html")" "$resume"
done
