#!/bin/sh
# Runs a libFuzzer campaign: fuzz/run.sh TARGET SECONDS [JOBS]
#   TARGET  csv, idx, config or results
#   SECONDS length of the campaign (libFuzzer -max_total_time)
#   JOBS    parallel fuzzing processes (default 1)
# Builds the harnesses with clang, libFuzzer, ASan and UBSan into build-fuzz/ (installing clang with
# apt-get when missing), fuzzes fuzz/corpus/TARGET, writes new inputs to build-fuzz/corpus-TARGET and
# crashing inputs to fuzz/corpus/TARGET/crash-*, and prints exec/s and coverage at the end. Minimise
# the committed corpus afterwards with: fuzz/run.sh TARGET merge
set -eu
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS [JOBS]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [JOBS]}
jobs=${3:-1}
case $target in csv|idx|config|results) ;; *) echo "unknown target '$target'" >&2; exit 2 ;; esac

if ! command -v clang >/dev/null 2>&1; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y clang
fi
rt=$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a
if [ ! -f "$rt" ]; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y libclang-rt-dev || $sudo apt-get install -y "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi

build=build-fuzz
if [ ! -f $build/CMakeCache.txt ]; then
  cmake -S . -B $build -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEVOTUNE_FUZZ=ON -DEVOTUNE_SANITIZE=address -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
fi
# FUZZ_NO_BUILD=1 fuzzes the binary already built (e.g. while the tree does not compile).
[ -n "${FUZZ_NO_BUILD:-}" ] || cmake --build $build --target fuzz_$target -j"$jobs" >/dev/null

corpus=fuzz/corpus/$target
work=$build/corpus-$target
mkdir -p "$work"
# Leaks are findings; an allocation the size of the machine (a size field trusted) is one too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export HDF5_USE_FILE_LOCKING=FALSE
bin=$build/fuzz/fuzz_$target
dict=; [ -f fuzz/$target.dict ] && dict=-dict=fuzz/$target.dict

# A corrupted vlen length makes HDF5 ask for gigabytes: let malloc fail as it does in production.
[ "$target" = results ] && ASAN_OPTIONS=$ASAN_OPTIONS:allocator_may_return_null=1

if [ "$seconds" = merge ]; then
  # Minimise: keep the inputs of the committed corpus and of the campaigns that add coverage.
  tmp=$build/merge-$target; rm -rf "$tmp"; mkdir -p "$tmp"
  "$bin" -merge=1 $dict -rss_limit_mb=4096 -timeout=10 -artifact_prefix="$tmp-" "$tmp" "$corpus" "$work"
  echo "merged into $tmp; review, then replace the non-crash files of $corpus with it"
  exit 0
fi

log=$build/fuzz-$target.log
status=0
par=; [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
extra=
# FUZZ_KEEP_GOING=1: fork mode, the campaign goes on after a crash (each one is saved), to collect
# every distinct finding in one campaign rather than stopping at the first.
if [ -n "${FUZZ_KEEP_GOING:-}" ]; then
  par="-fork=$jobs"; extra="-ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
fi
if [ "$target" = results ]; then
  # HDF5 itself crashes on some corrupted files (not our code; see fuzz/README.md): fork mode keeps
  # the campaign going and saves each crash for triage. Leak checks per input are off; the ctest
  # replay under ASan checks the committed corpus for leaks.
  par="-fork=$jobs"; extra="-ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -detect_leaks=0"
fi
# Results files (about 430 KiB for the smallest real run) are fuzzed whole: a cut file only meets the
# seal's length check.
max_len=262144; [ "$target" = results ] && max_len=1048576
timeout $((seconds + 120)) "$bin" $dict $par $extra -max_total_time="$seconds" \
  -print_final_stats=1 -rss_limit_mb=4096 -timeout=25 -max_len=$max_len \
  -artifact_prefix="$corpus/" "$work" "$corpus" >"$log" 2>&1 || status=$?
[ "$jobs" -gt 1 ] && cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log
grep -E '^#[0-9]+.*(DONE|pulse)|stat::|cov:' "$log" | tail -n 8
echo "campaign: $target, ${seconds}s, exit $status, corpus $(ls "$work" | wc -l) files in $work"
found=$(ls "$corpus" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
echo "${found:-no crashing input}"
exit $status
