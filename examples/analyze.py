#!/usr/bin/env python3
"""Load an evotune results file into pandas and plot what a search found.

Usage: python3 examples/analyze.py results/default.h5 [--gene learning_rate] [--out analysis.png]

Needs Debian's python3-h5py, python3-pandas and python3-matplotlib. The file may belong to a run that
is still going: evotune replaces it atomically, so opening it at any moment is safe.
"""
import argparse

import h5py
import matplotlib

matplotlib.use("Agg")  # write a file; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def load(path):
    """The /individuals and /generations tables as DataFrames, categorical genes as their names."""
    with h5py.File(path, "r") as f:
        individuals = f["individuals"][:]
        generations = pd.DataFrame(f["generations"][:])
        df = pd.DataFrame(individuals)
        # HDF5 enums arrive as small integers; their names are in the field's dtype metadata
        for name in individuals.dtype.names:
            mapping = h5py.check_enum_dtype(individuals.dtype[name])
            if mapping:
                df[name] = pd.Categorical.from_codes(df[name], [k for k, _ in sorted(mapping.items(), key=lambda kv: kv[1])])
        best = dict(f["best"].attrs) if "best" in f else {}
        # what fitness measures (accuracy, macro_f1, neg_log_loss, neg_rmse, neg_mae, r2) and the task
        fitness = f.attrs.get("fitness", "accuracy")
        task = f.attrs.get("task", "classification")
        strategy = f.attrs.get("strategy", "generational")  # steady_state, generational or random
    return df, generations, best, fitness, task, strategy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--gene", default="learning_rate", help="hyperparameter to plot against fitness")
    ap.add_argument("--out", default="analysis.png")
    args = ap.parse_args()

    df, gens, best, fitness, task, strategy = load(args.file)
    tests = ["rmse", "mae", "r2"] if task == "regression" else ["accuracy", "macro_f1", "log_loss"]
    print(f"{strategy}: {len(df)} networks" + (f" over {len(gens)} generations" if len(gens) else "") +
          f"; best validation {fitness} "
          f"{df['fitness'].max():.4f}; test " +
          ", ".join(f"{m} {best.get('test_' + m, float('nan')):.4f}" for m in tests))
    print(df.sort_values("fitness", ascending=False).head(5).to_string(index=False))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    if len(gens):
        # generational: fitness per generation, best, mean and the spread of the population
        ax1.plot(gens["generation"], gens["best_fitness"], marker="o", label="best")
        ax1.plot(gens["generation"], gens["mean_fitness"], label="mean")
        ax1.fill_between(gens["generation"], gens["mean_fitness"] - gens["std_fitness"],
                         gens["mean_fitness"] + gens["std_fitness"], alpha=0.2, label="mean ± std")
        ax1.set(xlabel="generation", ylabel=f"fitness (validation {fitness})", title="Fitness per generation")
    else:
        # steady_state and random have no generations: every network in the order its result came in
        # (finished_at), and the best so far
        order = df.sort_values(["finished_at", "id"])
        ok = order["fitness"] > float("-inf")
        n = range(1, len(order) + 1)
        ax1.scatter([i for i, o in zip(n, ok) if o], order["fitness"][ok], s=8, alpha=0.5, label="network")
        ax1.plot(n, order["fitness"].cummax(), color="C1", label="best so far")
        ax1.set(xlabel="networks finished", ylabel=f"fitness (validation {fitness})", title="Fitness over trials")
    ax1.legend()
    # one hyperparameter against fitness: a scatter for numbers, a strip per value for choices; failed
    # networks of a regression search have fitness -inf and are left out
    df = df[df["fitness"] > float("-inf")]
    gene = df[args.gene]
    if isinstance(gene.dtype, pd.CategoricalDtype):
        codes = gene.cat.codes
        ax2.scatter(codes, df["fitness"], alpha=0.6)
        ax2.set_xticks(range(len(gene.cat.categories)), gene.cat.categories)
    else:
        ax2.scatter(gene, df["fitness"], alpha=0.6)
        if gene.min() > 0 and gene.max() / gene.min() > 100:
            ax2.set_xscale("log")  # log-scaled genes span decades
    ax2.set(xlabel=args.gene, ylabel="fitness", title=f"{args.gene} against fitness")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
