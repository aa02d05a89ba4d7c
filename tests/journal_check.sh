#!/bin/sh
# The journal between snapshots (journal.h) holds what finished since the last snapshot, and resume
# uses it: a run of tiny networks is killed (SIGKILL) once its journal holds records; info names the
# trials the journal holds, resume says how many it read, and the file it finishes is identical to an
# uninterrupted run's (tests/check_results.py). A journal torn in its last record, and a journal of
# another snapshot, are read up to the damage or not at all, and the resumed file is identical too:
# what the journal no longer holds is trained again.
# Usage: journal_check.sh EVOTUNE SOURCE_DIR PYTHON
set -eu
evotune=$1 src=$2 python=$3
"$python" -c 'import h5py' 2>/dev/null || {
    [ -z "${CI:-}" ] || { echo "python3-h5py is missing (CI may not skip this test)"; exit 1; }
    echo "skipped: python3-h5py missing"
    exit 77
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
set -- "$src/configs/default.cfg" --set "data.train=\"$src/datasets/iris.csv\"" --set search.epochs=1 \
    --set search.hidden_layers=1 --set 'search.neurons={min=2;max=4;}' --set search.batch_size=128 \
    --set 'search.early_stopping="off"' --set finalists.count=0 --strategy random --max-trials 15000 \
    --threads 2 --quiet
"$evotune" run "$@" --out "$dir/ref.h5" >/dev/null

# a run (the arguments of `run`; its file is $out) killed by SIGKILL once its journal holds records
# beyond the file's snapshot (info says so; a kill that lands just as a new snapshot replaces the
# journal's is tried again)
killed() {
    tries=0
    while :; do
        rm -f "$out" "$out.journal"
        "$evotune" run "$@" >/dev/null &
        pid=$!
        n=0
        while :; do
            size=$(stat -c %s "$out.journal" 2>/dev/null || echo 0)
            [ "$size" -gt 4096 ] && break
            kill -0 $pid 2>/dev/null || fail "the run ended before its journal held records (journal: $size bytes)"
            n=$((n + 1))
            [ $n -lt 3000 ] || fail "no journal after 30 s"
            sleep 0.01
        done
        kill -9 $pid
        wait $pid 2>/dev/null || true
        "$evotune" info "$out" >"$dir/info.txt"
        grep -q "^journal: .* more finished since this snapshot" "$dir/info.txt" && return 0
        tries=$((tries + 1))
        [ $tries -lt 5 ] || fail "5 kills, and never a journal beyond the snapshot: $(cat "$dir/info.txt")"
    done
}
out=$dir/k.h5
killed "$@" --out "$out"
cp "$dir/k.h5" "$dir/torn.h5"
cp "$dir/k.h5.journal" "$dir/torn.h5.journal"
cp "$dir/k.h5.journal" "$dir/saved.journal"
"$evotune" resume "$dir/k.h5" >/dev/null 2>"$dir/resume.txt" || fail "resume: $(cat "$dir/resume.txt")"
grep -q "(0 of them from its journal)" "$dir/resume.txt" && fail "resume read nothing from the journal: $(cat "$dir/resume.txt")"
[ ! -e "$dir/k.h5.journal" ] || fail "the finished run left its journal"
"$python" "$src/tests/check_results.py" "$dir/ref.h5" "$dir/k.h5" >/dev/null || fail "resumed file differs"

# the same journal torn in its last record: resume reads the records before it, trains the rest
torn=$(stat -c %s "$dir/torn.h5.journal")
truncate -s $((torn - 5)) "$dir/torn.h5.journal"
"$evotune" resume "$dir/torn.h5" 2>"$dir/resume.txt" >/dev/null || fail "resume of a torn journal: $(cat "$dir/resume.txt")"
grep -q "of them from its journal" "$dir/resume.txt" || fail "resume did not say what it read: $(cat "$dir/resume.txt")"
grep -q "(0 of them from its journal)" "$dir/resume.txt" && fail "a torn journal was not read up to its damage"
"$python" "$src/tests/check_results.py" "$dir/ref.h5" "$dir/torn.h5" >/dev/null || fail "resume of a torn journal differs"

# a journal of another snapshot (another killed run's) is not read
out=$dir/other.h5
killed "$@" --out "$out"
cp "$dir/saved.journal" "$dir/other.h5.journal"
"$evotune" resume "$dir/other.h5" 2>"$dir/resume.txt" >/dev/null || fail "resume beside a foreign journal: $(cat "$dir/resume.txt")"
grep -q "(0 of them from its journal)" "$dir/resume.txt" || fail "a foreign journal was read: $(cat "$dir/resume.txt")"
"$python" "$src/tests/check_results.py" "$dir/ref.h5" "$dir/other.h5" >/dev/null || fail "resume beside a foreign journal differs"
echo "killed with a journal of $torn bytes; resumed from it, from it torn, and beside a foreign one: identical to the uninterrupted run"
