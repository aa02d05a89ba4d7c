#!/bin/sh
# The whole test run, as CI runs it (.ci/run): the Debian packages, then the ctest suite three times,
# in a plain build (build/), under ASan + UBSan with leak detection (build-asan/, gcc) and under TSan
# (build-tsan/, clang with LLVM's libomp, plus the tsan_canary test that must see a race), then the MPI
# build (build-mpi/, -DEVOTUNE_MPI=ON: the CLI and its mpi test only, mpirun with 1 to 3 ranks). Any
# sanitizer report fails the run; the reports are printed at the end of the step that produced them.
# Usage: scripts/check.sh [plain] [asan] [tsan] [mpi]        (no argument: all four, in that order)
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh test

# Every instrumented process, the evotune CLI that tests spawn included, writes its ASan, LSan and TSan
# reports to files in LOGS (a test may swallow a child's stderr), and exits 66, which is none of
# evotune's exit codes. UBSan reports go to stderr (gcc 12's UBSan ignores log_path), with exit 66 too.
# Leak suppressions (tests/lsan.supp) may name only third-party libraries.
sanitizer_env() { # LOGS
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=66:detect_stack_use_after_return=1:log_path=$1/asan:log_exe_name=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=66"
    export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
    # libomp is not instrumented: its own accesses are ignored, and libarcher (loaded by libomp when
    # TSan is present) tells TSan about OpenMP's synchronisation
    export TSAN_OPTIONS="ignore_noninstrumented_modules=1:halt_on_error=1:exitcode=66:log_path=$1/tsan:log_exe_name=1"
}

# Tests run two at a time (the CI machine has 2 cores; every test makes its own temporary directory).
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -ge 2 ] || jobs=2

step() { # NAME BUILD_DIR [cmake options...]
    name=$1 dir=$2
    shift 2
    start=$(date +%s)
    echo "== $name: $dir" >&2
    cmake -S . -B "$dir" "$@" >/dev/null || return 1
    status=0
    if [ "$name" = mpi ]; then # what the mpi test runs, not the whole suite again
        cmake --build "$dir" -j2 --target evotune h5_same >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; return 1; }
        ctest --test-dir "$dir" --output-on-failure -R '^mpi$' || status=$?
        echo "== $name: $(($(date +%s) - start)) s" >&2
        return $status
    fi
    cmake --build "$dir" -j2 >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; return 1; }
    if [ "$name" = plain ]; then
        ctest --test-dir "$dir" --output-on-failure -j "$jobs" || status=$?
        echo "== $name: $(($(date +%s) - start)) s" >&2
        return $status
    fi
    logs=$root/$dir/sanitizer-reports
    rm -rf "$logs" && mkdir -p "$logs" || return 1
    (sanitizer_env "$logs" && ctest --test-dir "$dir" --output-on-failure -j "$jobs") || status=$?
    if [ -n "$(ls -A "$logs")" ]; then
        for f in "$logs"/*; do
            echo "== sanitizer report $f" >&2
            cat "$f" >&2
        done
        echo "$name: sanitizer reports (above)" >&2
        status=1
    fi
    echo "== $name: $(($(date +%s) - start)) s" >&2
    return $status
}

[ $# -gt 0 ] || set -- plain asan tsan mpi
failed=""
for s in "$@"; do
    case $s in
    # the plain build compiles the benchmarks too, so that an API change cannot leave them broken
    plain) step plain build -DEVOTUNE_SANITIZE= -DEVOTUNE_BENCH=ON || failed="$failed $s" ;;
    asan) step asan build-asan -DEVOTUNE_SANITIZE=address || failed="$failed $s" ;;
    tsan) step tsan build-tsan -DEVOTUNE_SANITIZE=thread -DCMAKE_C_COMPILER=clang || failed="$failed $s" ;;
    # the sanitizer builds leave MPI out (README, "On a cluster"): Open MPI's own allocations and
    # shared-memory transport are not instrumented and report leaks and races that are not evotune's
    mpi) step mpi build-mpi -DEVOTUNE_SANITIZE= -DEVOTUNE_MPI=ON || failed="$failed $s" ;;
    *) echo "usage: scripts/check.sh [plain] [asan] [tsan] [mpi]" >&2; exit 2 ;;
    esac
done
[ -z "$failed" ] || { echo "check.sh: failed:$failed" >&2; exit 1; }
