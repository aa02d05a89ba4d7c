#!/usr/bin/env python3
"""Reads an evotune results file the way users do (h5py + pandas) and checks its schema.
With a second file, also checks that both runs produced identical results: every field of
/individuals except the wall-clock train_seconds and finished_at, /generations except wall_seconds,
/curves, /best, and the strategy's state.
Usage: check_results.py FILE [OTHER]. Exit 77 when h5py or pandas is missing (ctest: skipped)."""
import sys

try:
    import h5py
    import numpy as np
    import pandas
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e} (install python3-h5py python3-pandas)")
    sys.exit(77)

GENES = ["learning_rate", "lr_schedule", "lr_step_epochs", "lr_decay", "lr_warmup_epochs",
         "lr_plateau_patience", "lr_min", "epochs", "early_stopping", "patience", "min_delta",
         "batch_size", "hidden_layers", "neurons_1", "activation", "optimizer", "momentum", "beta1",
         "beta2", "rho", "epsilon", "weight_decay", "dropout", "batch_selection", "aug_translate",
         "aug_rotate", "aug_scale", "aug_flip", "aug_noise", "leaky_slope", "init", "l1", "max_norm",
         "batch_norm", "dropout_per_layer"] + [f"neurons_{l}" for l in range(2, 9)] + [
         f"dropout_{l}" for l in range(1, 9)] + ["loss", "conv_blocks"] + [
         f"filters_{i}" for i in range(1, 5)] + ["kernel_size", "pooling"]
ENUMS = {"activation": {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"},
         "optimizer": {"sgd", "momentum", "adam", "nesterov", "rmsprop", "adamw"},
         "lr_schedule": {"constant", "step", "exponential", "cosine", "warmup", "plateau"},
         "early_stopping": {"off", "on"}, "status": {"ok", "diverged", "too_large", "too_small"},
         "batch_selection": {"shuffle", "stratified", "balanced"}, "aug_flip": {"off", "on"},
         "batch_norm": {"off", "on"}, "dropout_per_layer": {"off", "on"},
         "init": {"by_activation", "uniform", "normal", "xavier_uniform", "xavier_normal",
                  "he_uniform", "he_normal"},
         "loss": {"categorical_crossentropy", "binary_crossentropy", "mse"},
         "pooling": {"none", "max"}, "purpose": {"search", "finalist"}}
FIELDS = ["generation", "id", "parent_a", "parent_b"] + GENES + [
    "fitness", "val_accuracy", "val_loss", "val_macro_f1", "val_log_loss", "val_rmse", "val_mae",
    "val_r2", "train_loss", "epochs_run", "train_seconds", "finished_at", "status", "rung", "budget",
    "from_epoch", "origin", "paused", "purpose"]
TIMINGS = ("train_seconds", "finished_at", "wall_seconds")
CURVES = ["id", "epoch", "train_loss", "val_loss", "val_fitness"]
ROOT = ["format_version", "evotune_version", "config", "seed", "threads", "n_train",
        "n_validation", "n_test", "n_features", "n_classes", "task", "fitness", "strategy", "strategy_state",
        "workers", "trials_done", "trials_decided", "generations_done", "elapsed_seconds",
        "time_limit_seconds", "time_up"]
STRATEGIES = {"random", "generational", "steady_state"}
CLASSIFICATION = ["accuracy", "macro_f1", "log_loss"]
REGRESSION = ["rmse", "mae", "r2"]
TEST = ["test_loss"] + ["test_" + m for m in CLASSIFICATION + REGRESSION]
# the fitness as a function of the validation metrics
FITNESS = {"accuracy": lambda d: d["val_accuracy"], "macro_f1": lambda d: d["val_macro_f1"],
           "neg_log_loss": lambda d: -d["val_log_loss"], "neg_rmse": lambda d: -d["val_rmse"],
           "neg_mae": lambda d: -d["val_mae"], "r2": lambda d: d["val_r2"]}


def check(path):
    with h5py.File(path, "r") as f:
        for a in ROOT:
            assert a in f.attrs, f"{path}: root attribute {a} missing"
        ind = f["individuals"]
        df = pandas.DataFrame(ind[:])
        assert list(df.columns) == FIELDS, f"{path}: fields {list(df.columns)}"
        assert len(df) > 0
        for name, names in ENUMS.items():
            mapping = h5py.check_enum_dtype(ind.dtype[name])
            assert mapping is not None and set(mapping) == names, f"{name}: {mapping}"
        # the genes of layers a network does not have are recorded as 0 (widths) and NaN (dropout)
        for l in range(1, 9):
            absent = df["hidden_layers"] < l
            assert ((df[f"neurons_{l}"] == 0) == absent).all(), f"neurons_{l}"
            assert (df[f"dropout_{l}"].isna() == absent).all(), f"dropout_{l}"
        strategy = f.attrs["strategy"]
        strategy = strategy.decode() if isinstance(strategy, bytes) else strategy
        assert strategy in STRATEGIES, strategy
        # a finished run: every trial decided is in /individuals, none in flight
        assert f.attrs["state"] in ("finished", b"finished"), f.attrs["state"]
        assert f.attrs["trials_done"] == len(df) == f.attrs["trials_decided"], "trial counts"
        assert len(f["in_flight"]) == 0, "trials in flight in a finished run"
        assert (np.diff(df["id"].values) > 0).all(), "ids not increasing"
        # results arrive out of id order, but within the run's running time
        assert (df["finished_at"] >= 0).all() and (df["finished_at"] <= f.attrs["elapsed_seconds"]).all()
        gens = pandas.DataFrame(f["generations"][:])
        for c in ["generation", "best_fitness", "mean_fitness", "std_fitness", "wall_seconds"]:
            assert c in gens.columns, c
        # only the generational strategy has generations; random search has no parents
        assert (len(gens) > 0) == (strategy == "generational"), f"{strategy}: {len(gens)} generations"
        assert len(gens) == f.attrs["generations_done"]
        if strategy == "random":  # a promotion's parent_a is the row it continues, a finalist's the row it repeats
            new = df[(df["rung"] == 0) & (df["purpose"] == 0)]
            assert (new["parent_a"] == -1).all() and (df["parent_b"] == -1).all() and (df["generation"] == 0).all()
        else:
            assert (df["parent_a"] >= 0).any(), f"{strategy}: no trial was bred"
            bred = df[df["parent_a"] >= 0]
            assert (bred["parent_a"] < bred["id"]).all() and (bred["parent_b"] < bred["id"]).all()
        curves = pandas.DataFrame(f["curves"][:])
        assert list(curves.columns) == CURVES, f"{path}: /curves fields {list(curves.columns)}"
        # one row per (individual, epoch it ran: from_epoch .. epochs_run - 1), in /individuals' order
        ran = (df["epochs_run"] - df["from_epoch"]).clip(lower=0).values
        assert len(curves) == ran.sum(), f"{path}: {len(curves)} curve rows"
        assert (curves["id"].values == np.repeat(df["id"].values, ran)).all()
        first = np.repeat(df["from_epoch"].values, ran)
        within = np.concatenate([np.arange(n) for n in ran]) if len(ran) else np.zeros(0, int)
        assert (curves["epoch"].values == first + within).all()
        # promotion: a first row trains from 0 as its own origin; a promotion goes on from its
        # parent's budget, one rung up, from a paused parent of the same origin
        assert (df["budget"] <= df["epochs"]).all() and (df["epochs_run"] <= df["budget"]).all()
        assert (df["from_epoch"] < df["budget"]).all()
        first_rows = df[df["rung"] == 0]
        assert (first_rows["origin"] == first_rows["id"]).all() and (first_rows["from_epoch"] == 0).all()
        by_id = df.set_index("id")
        promotions = df[df["rung"] > 0]
        assert promotions["parent_a"].is_unique  # a row goes on once at most
        for _, row in promotions.iterrows():
            parent = by_id.loc[row["parent_a"]]
            assert parent["paused"] == 1 and parent["rung"] == row["rung"] - 1
            assert parent["budget"] == row["from_epoch"] and parent["origin"] == row["origin"]
        check_finalists(df, f["best/individual"][:]["id"][0])
        check_folds(f, df)
        # networks refused before training (too_large, too_small: enum values 2, 3) ran no epoch
        trained = df[df["status"] < 2]
        assert (df["epochs_run"] <= df["epochs"]).all() and (trained["epochs_run"] >= 1).all()
        assert (df[df["status"] >= 2]["epochs_run"] == 0).all()
        best = f["best"]
        task, fitness = f.attrs["task"], f.attrs["fitness"]
        mine, other = (REGRESSION, CLASSIFICATION) if task == "regression" else (CLASSIFICATION, REGRESSION)
        ok = df[df["status"] == 0]
        assert len(ok) > 0
        # the task's validation metrics are set, the other task's NaN; the fitness is the chosen one
        for m in mine:
            assert np.isfinite(ok["val_" + m]).all(), m
            assert np.isfinite(best.attrs["test_" + m]), m
        for m in other:
            assert df["val_" + m].isna().all(), m
            assert np.isnan(best.attrs["test_" + m]), m
        assert (ok["fitness"] == FITNESS[fitness](ok)).all(), fitness
        if task == "regression":
            assert f.attrs["n_classes"] == 0 and best.attrs["output"] == "linear"
            assert (ok["loss"] == 2).all()  # mse, the enum's value
            assert best.attrs["test_rmse"] > 0 and best.attrs["test_mae"] <= best.attrs["test_rmse"]
            assert best.attrs["test_r2"] <= 1.0
            assert f["data"].attrs["target_std"] > 0
        else:
            assert 0.0 <= best.attrs["test_accuracy"] <= 1.0
        assert len(best["weights"]) >= 2
        print(f"{path}: {task}, {strategy}, {len(df)} trials, {len(gens)} generations, best {fitness} "
              f"{df['fitness'].max():.4f}, test " + ", ".join(f"{m} {best.attrs['test_' + m]:.4f}" for m in mine))
        return df


def check_finalists(df, best_id):
    """Finalists follow the search rows, each a whole training of a search row's genome as its own
    origin; /best is the winner's run closest to its mean (the winner: the best mean, then the better
    search row)."""
    fin, search = df[df["purpose"] == 1], df[df["purpose"] == 0]
    if not len(fin):
        return
    assert fin["id"].min() > search["id"].max()
    assert (fin["origin"] == fin["id"]).all() and (fin["rung"] == 0).all() and (fin["from_epoch"] == 0).all()
    assert (fin["budget"] == fin["epochs"]).all() and (fin["parent_b"] == -1).all()
    by_id = df.set_index("id")
    for _, row in fin.iterrows():
        parent = by_id.loc[row["parent_a"]]
        assert parent["purpose"] == 0 and parent["status"] == 0
        for g in GENES:
            assert parent[g] == row[g] or (np.isnan(parent[g]) and np.isnan(row[g])), g
    means = fin.groupby("parent_a")["fitness"].mean()
    ranked = sorted(means.index, key=lambda i: (-means[i], -by_id.loc[i, "fitness"], i))
    for winner in ranked:
        runs = fin[(fin["parent_a"] == winner) & (fin["status"] == 0)]
        if len(runs):
            dist = (runs["fitness"] - means[winner]).abs().values
            assert best_id == runs["id"].values[int(np.argmin(dist))], (best_id, winner)
            return
    raise AssertionError("finalists, none trained")


def check_folds(f, df):
    """Cross-validation: K rows of /folds per row of /individuals, in (id, fold) order; a row's fitness is
    the mean of its folds' (failed when one failed); /best's network was trained on every row of the
    folds for the mean of the epochs its folds kept."""
    if "folds" not in f:
        assert "final_epochs" not in f["best"].attrs
        return
    folds = pandas.DataFrame(f["folds"][:])
    assert list(folds.columns) == ["id", "fold", "status", "fitness", "val_loss", "epochs_run", "epochs_kept"]
    k = len(folds) // len(df)
    assert k >= 2 and len(folds) == k * len(df)
    assert (folds["id"].values == np.repeat(df["id"].values, k)).all()
    assert (folds["fold"].values == np.tile(np.arange(k), len(df))).all()
    ok = df["status"] == 0
    for i, row in df[ok].iterrows():
        mine = folds[folds["id"] == row["id"]]
        assert (mine["status"] == 0).all()
        total = 0.0
        for v in mine["fitness"]:  # summed in fold order, as evotune does
            total += v
        assert total / k == row["fitness"], (row["id"], total / k, row["fitness"])
    assert f.attrs["n_validation"] == 0
    best = f["best"]
    kept = folds[folds["id"] == best.attrs["id"]]["epochs_kept"]
    assert best.attrs["final_epochs"] == int(np.floor(kept.mean() + 0.5)), (best.attrs["final_epochs"], kept.values)
    assert best.attrs["final_rows"] == f.attrs["n_train"]


def same_table(ta, tb):
    """Byte equality of every field but the wall-clock ones (a multi-field view would still span them)."""
    assert ta.dtype == tb.dtype and ta.shape == tb.shape
    for name in ta.dtype.names:
        if name not in TIMINGS:
            assert ta[name].tobytes() == tb[name].tobytes(), f"field {name} differs"


def same(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        same_table(fa["individuals"][:], fb["individuals"][:])
        same_table(fa["generations"][:], fb["generations"][:])
        same_table(fa["curves"][:], fb["curves"][:])
        same_table(fa["best/individual"][:], fb["best/individual"][:])
        assert ("folds" in fa) == ("folds" in fb)
        if "folds" in fa:
            same_table(fa["folds"][:], fb["folds"][:])
        for k in ("strategy", "strategy_state", "workers", "trials_done", "trials_decided", "generations_done"):
            assert fa.attrs[k] == fb.attrs[k], k
        for k in fa["best/weights"]:
            assert np.array_equal(fa["best/weights"][k][:], fb["best/weights"][k][:]), k
        for k in TEST:
            assert np.array_equal(fa["best"].attrs[k], fb["best"].attrs[k], equal_nan=True), k
    print(f"{a} and {b}: identical results (timings aside)")


def exports(path, csv_dir, jsonl):
    """individuals.csv and generations.csv read by pandas with the file's types, choices as names;
    one JSON object per individual."""
    import json
    df = check(path)
    # round_trip: pandas' default parser is fast but not exact; our numbers are written to round-trip
    csv = pandas.read_csv(f"{csv_dir}/individuals.csv", float_precision="round_trip")
    assert list(csv.columns) == FIELDS
    assert len(csv) == len(df)
    for name in FIELDS:
        if name in ENUMS:
            assert csv[name].dtype == object and set(csv[name]) <= ENUMS[name], name
        elif df[name].dtype.kind in "iu":
            assert csv[name].dtype.kind == "i", f"{name}: {csv[name].dtype}"
        else:
            assert csv[name].dtype.kind == "f", f"{name}: {csv[name].dtype}"
            assert np.allclose(csv[name], df[name], rtol=0, atol=0, equal_nan=True), name
    gens = pandas.read_csv(f"{csv_dir}/generations.csv")
    with h5py.File(path, "r") as f:
        assert "best_fitness" in gens.columns and len(gens) == f.attrs["generations_done"], len(gens)
    rows = [json.loads(line) for line in open(jsonl)]
    assert len(rows) == len(df) and list(rows[0]) == FIELDS
    assert rows[0]["activation"] in ENUMS["activation"]
    print(f"exports of {path}: csv and jsonl read back with {len(rows)} rows and the right types")


if __name__ == "__main__":
    if sys.argv[1] == "--exports":
        exports(*sys.argv[2:5])
        sys.exit(0)
    check(sys.argv[1])
    if len(sys.argv) > 2:
        check(sys.argv[2])
        same(sys.argv[1], sys.argv[2])
