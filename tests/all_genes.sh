#!/bin/sh
# configs/all-genes.cfg leaves every gene free: it must run to completion, give every gene a field of
# /individuals (categorical ones as named HDF5 enums), let every value of every categorical gene occur,
# and give bit-identical results for 1 and 2 threads; the same on diabetes as a regression task (the loss
# fixed to mse, the one regression loss), whose run must complete with bit-identical results too.
# Usage: all_genes.sh EVOTUNE SOURCE_DIR PYTHON
set -eu
evotune=$1 src=$2 python=$3
"$python" -c 'import h5py, pandas' 2>/dev/null || { echo "skipped: python3-h5py/python3-pandas missing"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$src"
"$evotune" run configs/all-genes.cfg --threads 1 --quiet --out "$dir/t1.h5" >/dev/null
"$evotune" run configs/all-genes.cfg --threads 2 --quiet --out "$dir/t2.h5" >/dev/null
"$python" tests/check_results.py "$dir/t1.h5" "$dir/t2.h5"
"$python" - "$dir/t1.h5" <<'PY'
import re, sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    ind = f["individuals"][:]
    config = f.attrs["config"]
    config = config.decode() if isinstance(config, bytes) else config
search = re.search(r"^search = \{\n(.*?)^\};", config, re.S | re.M).group(1)
genes = dict(re.findall(r"^    (\w+) = (.*);$", search, re.M))
assert len(genes) >= 50, f"{len(genes)} genes in the effective config"
fixed = [g for g, spec in genes.items() if not spec.startswith("{")]
assert not fixed, f"genes fixed in configs/all-genes.cfg: {fixed}"
missing = [g for g in genes if g not in ind.dtype.names]
assert not missing, f"genes without a field in /individuals: {missing}"
first = ind[ind["generation"] == 0]
for g in genes:
    spec = genes[g]
    names = h5py.check_enum_dtype(ind.dtype[g])
    if "choice" not in spec or names is None:
        continue
    # the random generation 0 alone holds every value, so no ISA's rounding can change this
    absent = [k for k, v in names.items() if v not in set(first[g])]
    assert not absent, f"{g}: values {absent} never occur in generation 0"
    print(f"{g}: all {len(names)} values occur")
print(f"{len(genes)} genes free, {len(ind)} individuals")
PY
set -- --set 'data.train="datasets/diabetes.csv"' --set 'data.label="target"' --set 'data.task="regression"' \
       --set 'data.image_shape=[]' --set 'search.loss="mse"' --set 'search.conv_blocks=0' --quiet
"$evotune" run configs/all-genes.cfg "$@" --threads 1 --out "$dir/r1.h5" >/dev/null
"$evotune" run configs/all-genes.cfg "$@" --threads 2 --out "$dir/r2.h5" >/dev/null
"$python" tests/check_results.py "$dir/r1.h5" "$dir/r2.h5"
