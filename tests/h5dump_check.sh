#!/bin/sh
# HDFView-style tools read our files: `h5dump -H` (hdf5-tools) lists every dataset of a results file,
# checked against the datasets h5py finds. Usage: h5dump_check.sh EVOTUNE SOURCE_DIR PYTHON
set -eu
evotune=$1 src=$2 python=$3
command -v h5dump >/dev/null || { echo "skipped: h5dump missing (hdf5-tools)"; exit 77; }
"$python" -c 'import h5py' 2>/dev/null || { echo "skipped: python3-h5py missing"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$evotune" run "$src/configs/default.cfg" --set "data.train=\"$src/datasets/iris.csv\"" --max-trials 8 \
    --set ga.population=4 --set 'search.epochs={min=2;max=4;}' --quiet --out "$dir/r.h5" >/dev/null
h5dump -H "$dir/r.h5" > "$dir/header.txt"
"$python" - "$dir/r.h5" "$dir/header.txt" <<'PY'
import re, sys, h5py
names = []
h5py.File(sys.argv[1], "r").visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
listed = set(re.findall(r'DATASET "([^"]+)"', open(sys.argv[2]).read()))
base = {n.rsplit("/", 1)[-1] for n in names}
missing = base - listed
assert not missing, f"h5dump -H does not list {sorted(missing)}"
assert {"individuals", "generations", "best", "data"} <= {n.split("/")[0] for n in names}
print(f"h5dump -H lists all {len(names)} datasets: {', '.join(sorted(names))}")
PY
