#!/usr/bin/env python3
"""Search quality per strategy, paired by seed: reads results files named PREFIX-STRATEGY-SEED.h5 and
prints a Markdown table of the best validation and test accuracy (mean over seeds) and the mean
difference to random search with its standard error (the differences are paired by seed).
With --epochs B (runs on a budget of B training epochs, bench/quality.sh's second mode) it adds the
epochs trained, the wall time and each strategy's best validation accuracy within the first B/2
epochs decided (what a run given B/2 would have found: a smaller budget only stops asking sooner),
and a second table: promotion's best at B/2 against plain steady_state's at B.

  /usr/bin/python3 bench/quality_table.py /tmp/fm/q       # reads /tmp/fm/q-random-1.h5, ...
  /usr/bin/python3 bench/quality_table.py /tmp/fm/e --epochs 500
"""
import glob, math, os, re, sys

import h5py
import numpy as np


def epochs_view(path, budget):
    """(best validation fitness among the trials decided before budget epochs, epochs trained, wall
    seconds, configurations, rows) of a finished run."""
    with h5py.File(path, "r") as f:
        ind = f["individuals"][:]
        elapsed = float(f.attrs["elapsed_seconds"])
    ind = ind[np.argsort(ind["id"])]
    added = ind["budget"] - ind["from_epoch"]
    before = np.concatenate([[0], np.cumsum(added)[:-1]])  # epochs decided before each trial
    ok = ind["status"] == 0
    within = ok & (before < budget)
    best = float(ind["fitness"][within].max()) if within.any() else float("nan")
    trained = int(np.clip(ind["epochs_run"] - ind["from_epoch"], 0, None).sum())
    return best, trained, elapsed, int((ind["rung"] == 0).sum()), len(ind)


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


def epochs_tables(prefix, budget, runs):
    order = [s for s in ("random", "random_promotion", "steady_state", "steady_state_promotion", "tpe")
             if s in runs]
    view = {s: {k: epochs_view(f"{prefix}-{s}-{k}.h5", budget) for k in runs[s]} for s in order}
    half = {s: {k: epochs_view(f"{prefix}-{s}-{k}.h5", budget / 2)[0] for k in runs[s]} for s in order}
    print(f"| strategy | seeds | networks (rows) | epochs trained | wall time | best validation accuracy | "
          f"test accuracy of that best | validation − random (± s.e.) | test − random (± s.e.) | "
          f"best validation within {budget // 2} epochs |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in order:
        seeds = sorted(set(runs[s]) & set(runs["random"]))
        val = [runs[s][k][0] for k in seeds]
        test = [runs[s][k][1] for k in seeds]
        dv = [runs[s][k][0] - runs["random"][k][0] for k in seeds]
        dt = [runs[s][k][1] - runs["random"][k][1] for k in seeds]
        cells = ["—", "—"] if s == "random" else ["%+.4f ± %.4f" % mean_se(dv), "%+.4f ± %.4f" % mean_se(dt)]
        v = [view[s][k] for k in seeds]
        print("| %s | %s | %.0f (%.0f) | %.0f | %.1f min | %.4f | %.4f | %s | %s | %.4f |" % (
            s.replace("_promotion", " + promotion"), ",".join(map(str, seeds)), np.mean([x[3] for x in v]),
            np.mean([x[4] for x in v]), np.mean([x[1] for x in v]), np.mean([x[2] for x in v]) / 60,
            mean_se(val)[0], mean_se(test)[0], cells[0], cells[1], mean_se([half[s][k] for k in seeds])[0]))
    if "steady_state" not in runs:
        return
    print()
    print(f"| with promotion, best validation within {budget // 2} epochs | − steady_state's within {budget} "
          "(± s.e.) | seeds where it is at least as high |")
    print("|---|---|---|")
    for s in ("random_promotion", "steady_state_promotion"):
        seeds = sorted(set(runs.get(s, {})) & set(runs["steady_state"]))
        if not seeds:
            continue
        d = [half[s][k] - view["steady_state"][k][0] for k in seeds]
        print("| %s | %+.4f ± %.4f | %d of %d |" % (s.replace("_promotion", " + promotion"), *mean_se(d),
                                                     sum(x >= 0 for x in d), len(d)))


def main():
    prefix = sys.argv[1]
    budget = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--epochs" else None
    runs = {}
    for path in glob.glob(prefix + "-*-*.h5"):
        m = re.match(re.escape(prefix) + r"-(\w+)-(\d+)\.h5$", path)
        result = best_of(path) if m else None
        if result:
            runs.setdefault(m.group(1), {})[int(m.group(2))] = result
    if "random" not in runs:
        sys.exit("no random-search runs to compare with")
    if budget:
        epochs_tables(prefix, budget, runs)
        return
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
