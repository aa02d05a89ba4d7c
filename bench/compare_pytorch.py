#!/usr/bin/python3
"""evotune against PyTorch on one core: the same MLP, batch, Adam (lr 1e-3), relu, standardised
Fashion-MNIST and epoch count, trained in one run side by side, with samples/s (median epoch after a
warm-up), the ratio, and both test accuracies after 5 epochs.

  bench/compare_pytorch.py --bench build-bench/bench/bench_train               # the issue's two cases
  bench/compare_pytorch.py --bench ... --case 784-256-128-10:64
  bench/compare_pytorch.py --cli build/evotune --whole-tool                    # the whole-tool check

Needs Debian's python3-torch (PyTorch on the system BLAS, OpenBLAS here), numpy and, for --whole-tool,
h5py. PyTorch gets torch.set_num_threads(1); evotune gets one thread.
"""
import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time

# One core for PyTorch's BLAS too, not only its intra-op pool (set before torch loads it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_idx(images, labels):
    with gzip.open(images) as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[4 * i + 4:4 * i + 8], "big") for i in range(3))
    x = np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32)
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return x, y


def standardise(train, *others):
    """As evo_data_standardize: per-feature mean and population std of the training rows (double),
    std 1 for a constant feature."""
    mean = train.astype(np.float64).mean(0)
    std = train.astype(np.float64).std(0)
    std[~((std > 0) & (std.astype(np.float32) > 0))] = 1
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    return [((a - mean) / std).astype(np.float32) for a in (train,) + others]


def torch_train(arch, batch, epochs, xtr, ytr, xte, yte, seed=1, eval_each=True):
    """Samples/s of the median epoch after the first, and test accuracy after each epoch."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    layers = []
    for i in range(len(arch) - 1):
        layers.append(torch.nn.Linear(arch[i], arch[i + 1]))
        if i < len(arch) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    Xt, Yt = torch.from_numpy(xte), torch.from_numpy(yte)
    n = X.shape[0]
    secs, accs = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            xb, yb = X[idx], Y[idx]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
        secs.append(time.perf_counter() - t0)
        if eval_each:
            with torch.no_grad():
                accs.append((model(Xt).argmax(1) == Yt).float().mean().item())
    med = statistics.median(secs[1:]) if len(secs) > 1 else secs[0]
    return n / med, accs


def run_bench(bench, arch, batch, epochs, isa):
    cmd = [bench, "--arch", "-".join(map(str, arch)), "--batch", str(batch), "--epochs", str(epochs)]
    if isa:
        cmd += ["--isa", isa]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    accs, result = [], {}
    for line in out.splitlines():
        if line.startswith("epoch "):
            accs.append(float(line.split("test accuracy ")[1].split()[0]))
        elif line.startswith("RESULT"):
            result = dict(kv.split("=") for kv in line.split()[1:])
        elif line.startswith("check:"):
            print("  " + line)
    return float(result["samples_per_s"]), accs, result["isa"]


def compare(args, case, data):
    arch_s, batch = case.split(":")
    arch, batch = [int(v) for v in arch_s.split("-")], int(batch)
    xtr, ytr, xte, yte = data
    print(f"case {arch_s}, batch {batch}, Adam lr 1e-3, relu, {args.epochs} epochs (first is warm-up), "
          f"1 thread, {args.repeat} alternating runs each")
    evs, pts, ratios = [], [], []
    # Alternating runs, so that a load spike from elsewhere on a shared machine hits both sides.
    for _ in range(args.repeat):
        ev, ev_acc, isa = run_bench(args.bench, arch, batch, args.epochs, args.isa)
        pt, pt_acc = torch_train(arch, batch, args.epochs, xtr, ytr, xte, yte)
        print(f"  run: evotune {ev:.0f}, PyTorch {pt:.0f} samples/s, ratio {ev / pt:.2f}")
        evs.append(ev), pts.append(pt), ratios.append(ev / pt)
    k = min(5, args.epochs) - 1
    ev, pt, ratio = statistics.median(evs), statistics.median(pts), statistics.median(ratios)
    print(f"  evotune ({isa}): {ev:10.0f} samples/s   test accuracy after {k + 1} epochs {ev_acc[k]:.4f}")
    print(f"  PyTorch {torch.__version__}: {pt:8.0f} samples/s   test accuracy after {k + 1} epochs {pt_acc[k]:.4f}")
    print(f"  ratio (median of runs): {ratio:.2f}x")
    return ratio


def whole_tool(args, data):
    """One fixed network through the CLI, 1 and 3 epochs; the difference of train_seconds removes the
    start-up, data loading and validation costs."""
    import h5py
    cfg = os.path.join(ROOT, "configs", "fashion-mnist.cfg")
    fixed = ["ga.population=1", "ga.generations=1", "search.hidden_layers=2", "search.neurons=256",
             'search.activation="relu"', 'search.optimizer="adam"', "search.learning_rate=0.001",
             "search.batch_size=64", "search.dropout=0.0", "search.weight_decay=0.0"]
    n_train = int(round(60000 * (1 - 0.1)))  # validation_fraction of configs/fashion-mnist.cfg
    xtr, ytr, xte, yte = data
    print(f"whole tool: evotune run, one network 784-256-256-10 relu adam batch 64, 1 thread, "
          f"{args.repeat} alternating runs each")
    evs, pts, ratios = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            secs = {}
            for ep in (1, 3):
                out = os.path.join(tmp, f"r{r}e{ep}.h5")
                cmd = [args.cli, "run", cfg, "--threads", "1", "--quiet", "--out", out]
                for s in fixed + [f"search.epochs={ep}"]:
                    cmd += ["--set", s]
                subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
                with h5py.File(out, "r") as f:
                    secs[ep] = float(f["individuals"]["train_seconds"][0])
            ev = n_train * 2 / (secs[3] - secs[1])
            pt, _ = torch_train([784, 256, 256, 10], 64, 3, xtr[:n_train], ytr[:n_train], xte, yte,
                                eval_each=False)
            print(f"  run: evotune {ev:.0f} samples/s (train_seconds {secs[1]:.2f} s / {secs[3]:.2f} s), "
                  f"PyTorch {pt:.0f}, ratio {ev / pt:.2f}")
            evs.append(ev), pts.append(pt), ratios.append(ev / pt)
    ev, pt, ratio = statistics.median(evs), statistics.median(pts), statistics.median(ratios)
    print(f"  evotune CLI: {ev:10.0f} samples/s  (n_train {n_train})")
    print(f"  PyTorch:     {pt:10.0f} samples/s")
    print(f"  ratio (median of runs): {ratio:.2f}x")
    return ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-bench", "bench", "bench_train"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "evotune"))
    ap.add_argument("--isa", default=None, help="EVOTUNE_ISA for bench_train (default: the best)")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each side (medians)")
    ap.add_argument("--case", action="append", help="ARCH:BATCH, e.g. 784-256-128-10:64 (repeatable)")
    ap.add_argument("--whole-tool", action="store_true", help="the CLI check instead of bench_train")
    args = ap.parse_args()
    xtr, ytr = load_idx(f"{DATA}/train-images-idx3-ubyte.gz", f"{DATA}/train-labels-idx1-ubyte.gz")
    xte, yte = load_idx(f"{DATA}/t10k-images-idx3-ubyte.gz", f"{DATA}/t10k-labels-idx1-ubyte.gz")
    xtr, xte = standardise(xtr, xte)
    data = (xtr, ytr, xte, yte)
    if args.whole_tool:
        whole_tool(args, data)
        return
    for case in args.case or ["784-256-128-10:64", "784-32-10:32"]:
        compare(args, case, data)


if __name__ == "__main__":
    sys.exit(main())
