#!/usr/bin/env python3
"""Reads the runs of bench/finalists.sh (PREFIX-off-SEED.h5, PREFIX-on-SEED.h5) and prints, paired by
seed, the test accuracy of the network each run chose — the best single validation score (off) or the
finalists' winner (on) — with the mean difference and its standard error, and how far each choice's
validation score promised too much (validation − test)."""
import glob
import math
import re
import sys

import h5py
import numpy as np


def mean_se(x):
    x = np.asarray(x, dtype=float)
    return x.mean(), (x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else float("nan"))


def run(path):
    """(validation fitness of /best, its test accuracy, the winner's re-evaluated mean or NaN, rows)."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("state", b"") not in (b"finished", "finished"):
            return None
        b = f["best"].attrs
        rows = f["individuals"][:]
        mean = float("nan")
        if "purpose" in rows.dtype.names:
            fin = rows[rows["purpose"] == 1]
            mine = fin[fin["id"] == b["id"]]
            if len(mine):
                mean = float(fin[fin["parent_a"] == mine["parent_a"][0]]["fitness"].mean())
        return float(b["fitness"]), float(b["test_accuracy"]), mean, len(rows)


def main():
    prefix = sys.argv[1]
    runs = {}
    for path in glob.glob(prefix + "-*-*.h5"):
        m = re.fullmatch(re.escape(prefix) + r"-(off|on)-(\d+)\.h5", path)
        if m:
            r = run(path)
            if r:
                runs.setdefault(int(m.group(2)), {})[m.group(1)] = r
    seeds = sorted(s for s in runs if len(runs[s]) == 2)
    if not seeds:
        print("no finished pair of runs under", prefix)
        return
    off = np.array([runs[s]["off"] for s in seeds])
    on = np.array([runs[s]["on"] for s in seeds])
    d = on[:, 1] - off[:, 1]
    print(f"{len(seeds)} seeds paired ({min(seeds)}-{max(seeds)})\n")
    print("| choice | networks | validation score of the choice | re-evaluated mean | test accuracy | "
          "validation − test |")
    print("|---|---|---|---|---|---|")
    for name, a in (("best single validation score (finalists off)", off), ("finalists' winner", on)):
        re_mean = "—" if np.isnan(a[:, 2]).all() else f"{np.nanmean(a[:, 2]):.4f}"
        gap, gse = mean_se(a[:, 0] - a[:, 1])
        print(f"| {name} | {a[:, 3].mean():.0f} | {a[:, 0].mean():.4f} | {re_mean} | {a[:, 1].mean():.4f} | "
              f"{gap:+.4f} ± {gse:.4f} |")
    m, se = mean_se(d)
    print(f"\ntest accuracy, winner − best single score: {m:+.4f} ± {se:.4f} (s.e.); higher in "
          f"{int((d > 0).sum())}, equal in {int((d == 0).sum())}, lower in {int((d < 0).sum())} of {len(seeds)} seeds")


if __name__ == "__main__":
    main()
