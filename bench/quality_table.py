#!/usr/bin/env python3
"""Search quality per strategy, paired by seed: reads results files named PREFIX-STRATEGY-SEED.h5 and
prints a Markdown table of the best validation and test accuracy (mean over seeds) and the mean
difference to random search with its standard error (the differences are paired by seed).

  /usr/bin/python3 bench/quality_table.py /tmp/fm/q       # reads /tmp/fm/q-random-1.h5, ...
"""
import glob, math, os, re, sys

import h5py


def best_of(path):
    """(best validation fitness, its test accuracy, networks), or None while the run is not finished."""
    with h5py.File(path, "r") as f:
        if f.attrs["state"] not in (b"finished", "finished"):
            print(f"{path}: not finished, left out", file=sys.stderr)
            return None
        b = f["best"]
        return float(b.attrs["fitness"]), float(b.attrs["test_accuracy"]), len(f["individuals"])


def mean_se(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float("nan")
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    return m, math.sqrt(var / n)


def main():
    prefix = sys.argv[1]
    runs = {}
    for path in glob.glob(prefix + "-*-*.h5"):
        m = re.match(re.escape(prefix) + r"-(\w+)-(\d+)\.h5$", path)
        result = best_of(path) if m else None
        if result:
            runs.setdefault(m.group(1), {})[int(m.group(2))] = result
    if "random" not in runs:
        sys.exit("no random-search runs to compare with")
    order = [s for s in ("random", "generational", "steady_state") if s in runs]
    order += sorted(set(runs) - set(order))
    print("| strategy | seeds | networks | best validation accuracy | test accuracy of that best | "
          "validation − random (± s.e.) | test − random (± s.e.) |")
    print("|---|---|---|---|---|---|---|")
    for s in order:
        seeds = sorted(set(runs[s]) & set(runs["random"]))
        val = [runs[s][k][0] for k in seeds]
        test = [runs[s][k][1] for k in seeds]
        n_trials = sorted({runs[s][k][2] for k in seeds})
        dv = [runs[s][k][0] - runs["random"][k][0] for k in seeds]
        dt = [runs[s][k][1] - runs["random"][k][1] for k in seeds]
        mv, _ = mean_se(val)
        mt, _ = mean_se(test)
        cells = ["—", "—"] if s == "random" else [
            "%+.4f ± %.4f" % mean_se(dv), "%+.4f ± %.4f" % mean_se(dt)]
        print("| %s | %s | %s | %.4f | %.4f | %s | %s |" % (
            s, ",".join(map(str, seeds)), "/".join(map(str, n_trials)), mv, mt, cells[0], cells[1]))


if __name__ == "__main__":
    main()
