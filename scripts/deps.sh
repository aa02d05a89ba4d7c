#!/bin/sh
# Installs the Debian packages evotune needs that are missing (as root, or through sudo).
# Usage: scripts/deps.sh        build and run
#        scripts/deps.sh test   also what the test suite uses (h5py, pandas for the reader tests) and
#                               the sanitizer builds of scripts/check.sh (ASan/UBSan come with gcc; TSan
#                               needs clang, its runtimes, LLVM's libomp and llvm-symbolizer for stacks),
#                               and Fashion-MNIST, which test_data loads in full; OpenBLAS, against which
#                               the benchmarks (compiled by check.sh, never run there) compare; Open
#                               MPI (and procps, whose pgrep finds a rank to kill) for the MPI build's test
set -eu
pkgs="gcc make cmake pkg-config libconfig-dev libhdf5-dev hdf5-tools libcmocka-dev zlib1g-dev"
[ "${1:-}" = test ] && pkgs="$pkgs python3 python3-h5py python3-pandas python3-matplotlib chromium
    clang libclang-rt-dev libomp-dev llvm dataset-fashion-mnist libopenblas-dev openmpi-bin libopenmpi-dev procps"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
