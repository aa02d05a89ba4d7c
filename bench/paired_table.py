#!/usr/bin/env python3
"""Reads the runs of bench/paired.sh (PREFIX-a-SEED.h5, PREFIX-b-SEED.h5) and prints, paired by seed,
the test accuracy of the network each run chose, with the mean difference (B - A) and its standard
error, and how far each choice's validation score promised too much (validation - test). A run with
finalists also shows its winner's mean over the finalist runs.
Usage: paired_table.py PREFIX [NAME_A NAME_B]"""
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
    """(validation fitness of /best, its test accuracy, the winner's re-evaluated mean or NaN, rows,
    running seconds), or None while the run is not finished."""
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
        return float(b["fitness"]), float(b["test_accuracy"]), mean, len(rows), float(f.attrs["elapsed_seconds"])


def main():
    prefix = sys.argv[1]
    names = sys.argv[2:4] if len(sys.argv) > 3 else ["A", "B"]
    runs = {}
    for path in glob.glob(prefix + "-*-*.h5"):
        m = re.fullmatch(re.escape(prefix) + r"-(a|b)-(\d+)\.h5", path)
        if m:
            r = run(path)
            if r:
                runs.setdefault(int(m.group(2)), {})[m.group(1)] = r
    seeds = sorted(s for s in runs if len(runs[s]) == 2)
    if not seeds:
        print("no finished pair of runs under", prefix)
        return
    a = np.array([runs[s]["a"] for s in seeds])
    b = np.array([runs[s]["b"] for s in seeds])
    d = b[:, 1] - a[:, 1]
    print(f"{len(seeds)} seeds paired ({min(seeds)}-{max(seeds)})\n")
    print("| run | networks | running time | validation score of the choice | re-evaluated mean | "
          "test accuracy | validation − test |")
    print("|---|---|---|---|---|---|---|")
    for name, x in ((names[0], a), (names[1], b)):
        re_mean = "—" if np.isnan(x[:, 2]).all() else f"{np.nanmean(x[:, 2]):.4f}"
        gap, gse = mean_se(x[:, 0] - x[:, 1])
        print(f"| {name} | {x[:, 3].mean():.0f} | {np.median(x[:, 4]):.1f} s | {x[:, 0].mean():.4f} | {re_mean} | "
              f"{x[:, 1].mean():.4f} | {gap:+.4f} ± {gse:.4f} |")
    m, se = mean_se(d)
    print(f"\ntest accuracy, B − A: {m:+.4f} ± {se:.4f} (s.e.); higher in {int((d > 0).sum())}, equal in "
          f"{int((d == 0).sum())}, lower in {int((d < 0).sum())} of {len(seeds)} seeds")


if __name__ == "__main__":
    main()
