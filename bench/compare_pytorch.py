#!/usr/bin/python3
"""evotune against PyTorch on one core: the same MLP, batch, Adam (lr 1e-3), relu, standardised
Fashion-MNIST, epoch count and initial weights, trained in one run side by side, with samples/s
(median epoch after a warm-up), the ratio, and both test accuracies after 5 epochs. Each case also
prints both sides' GFLOP/s and the core's FMA peak (bench_train --peak): the peak over PyTorch's
GFLOP/s is the largest ratio that any float32 trainer could reach on this machine.

  bench/compare_pytorch.py --bench build-bench/bench/bench_train               # the issue's two cases
  bench/compare_pytorch.py --bench ... --case 784-256-128-10:64 --repeat 3 --seed 1
  bench/compare_pytorch.py --cli build/evotune --whole-tool                    # the whole-tool check
  bench/compare_pytorch.py --bench ... --baseline old/bench/bench_train        # and an older build

Run r (0-based) uses seed --seed + r on both sides, and both sides start from the same initial
parameters: with --init pytorch (the default) nn.Linear's own draws (weights and biases
U(+-1/sqrt(fan_in))), handed to bench_train with --init-from; with --init evotune bench_train's draws
(He-normal hidden layers, Xavier-normal output layer, zero biases), written with --init-to and loaded
into the PyTorch model. Only the order of the batches (each side's own random stream) and float
rounding then differ, which is the noise the accuracies are judged against: their mean difference is
printed beside its standard error over the seeds. --baseline runs a second bench_train (an older
commit's build) in the same alternation, with the same seeds and initial parameters, and prints the
speed-up of --bench over it (the median of the runs' ratios).

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


def load_idx(images, labels, shape=False):
    """Images as float32 rows [n, rows * cols] and labels; with shape, also (1, rows, cols)."""
    with gzip.open(images) as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[4 * i + 4:4 * i + 8], "big") for i in range(3))
    x = np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32)
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return (x, y, (1, rows, cols)) if shape else (x, y)


def standardise(train, *others):
    """As evo_data_standardize: per-feature mean and population std of the training rows (double),
    std 1 for a constant feature."""
    mean = train.astype(np.float64).mean(0)
    std = train.astype(np.float64).std(0)
    std[~((std > 0) & (std.astype(np.float32) > 0))] = 1
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    return [((a - mean) / std).astype(np.float32) for a in (train,) + others]


def torch_model(arch, seed):
    """The MLP with nn.Linear's default initialisation; the same seed also drives the batch order."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    layers = []
    for i in range(len(arch) - 1):
        layers.append(torch.nn.Linear(arch[i], arch[i + 1]))
        if i < len(arch) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def params_file(model, path, write):
    """Writes or reads the model's parameters in bench_train's --init-from/--init-to layout: per layer
    the weights [in, out] row-major (nn.Linear stores [out, in]), then the biases, as float32."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    if write:
        parts = [a for m in linears for a in (m.weight.detach().numpy().T.ravel(), m.bias.detach().numpy())]
        np.concatenate(parts).astype(np.float32).tofile(path)
        return
    flat, at = np.fromfile(path, np.float32), 0
    with torch.no_grad():
        for m in linears:
            n_in, n_out = m.in_features, m.out_features
            m.weight.copy_(torch.from_numpy(flat[at:at + n_in * n_out].reshape(n_in, n_out).T.copy()))
            at += n_in * n_out
            m.bias.copy_(torch.from_numpy(flat[at:at + n_out].copy()))
            at += n_out
    assert at == flat.size, f"{path}: {flat.size} floats, the model has {at}"


def torch_train(model, batch, epochs, xtr, ytr, xte, yte, eval_each=True):
    """Samples/s of the median epoch after the first (the first alone with one epoch), the test
    accuracy after each epoch (with eval_each; evaluation is not timed), and samples/s by this
    thread's CPU time, which a shared machine's other load does not inflate. compare_pytorch_conv.py
    trains through this loop too."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    Xt, Yt = torch.from_numpy(xte), torch.from_numpy(yte)
    n = X.shape[0]
    secs, cpus, accs = [], [], []
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.thread_time()
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            xb, yb = X[idx], Y[idx]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
        secs.append(time.perf_counter() - t0)
        cpus.append(time.thread_time() - c0)
        if eval_each:
            with torch.no_grad():
                accs.append((model(Xt).argmax(1) == Yt).float().mean().item())
    med = statistics.median(secs[1:]) if len(secs) > 1 else secs[0]
    cpu = statistics.median(cpus[1:]) if len(cpus) > 1 else cpus[0]
    return n / med, accs, n / cpu


def peak_info(bench, arch, isa):
    """bench_train --peak: the core's FMA peak and the flops of one sample's step for arch (bench_train
    counts them), or (None, None) without the benchmark binary."""
    if not os.path.exists(bench):
        return None, None
    cmd = [bench, "--peak", "--arch", "-".join(map(str, arch))] + (["--isa", isa] if isa else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = dict(kv.split("=") for kv in out.split("RESULT")[1].split())
    return float(result["peak_gflops"]), float(result["flops_per_sample"])


def print_ceiling(flops, ev, pt, peak):
    """Each side's GFLOP/s and the largest ratio that any float32 trainer could reach on this core."""
    if not flops:
        return
    line = (f"  GFLOP/s ({flops / 1e6:.2f} MFLOP a sample): evotune {ev * flops / 1e9:.1f}, "
            f"PyTorch {pt * flops / 1e9:.1f}")
    if peak:
        line += (f"; FMA peak of the core {peak:.1f}, so no float32 trainer can exceed "
                 f"{peak / (pt * flops / 1e9):.2f}x PyTorch here")
    print(line)


def run_bench(bench, arch, batch, epochs, isa, seed, init_args):
    cmd = [bench, "--arch", "-".join(map(str, arch)), "--batch", str(batch), "--epochs", str(epochs),
           "--seed", str(seed)] + init_args
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
    return (float(result["samples_per_s"]), accs, result["isa"], float(result["peak_gflops"]),
            float(result["flops_per_sample"]))


def compare(args, case, data):
    arch_s, batch = case.split(":")
    arch, batch = [int(v) for v in arch_s.split("-")], int(batch)
    xtr, ytr, xte, yte = data
    init = {"pytorch": "PyTorch's nn.Linear default (weights and biases U(+-1/sqrt(fan_in)))",
            "evotune": "evotune's default (He-normal hidden, Xavier-normal output, zero biases)"}[args.init]
    k = min(5, args.epochs) - 1
    print(f"case {arch_s}, batch {batch}, Adam lr 1e-3, relu, {args.epochs} epochs (first is warm-up), "
          f"1 thread, {args.repeat} alternating runs each, seeds {args.seed}..{args.seed + args.repeat - 1}; "
          f"both sides start from the same initial parameters: {init}")
    evs, pts, ratios, ev_accs, pt_accs, bases, speedups = [], [], [], [], [], [], []
    # Alternating runs, so that a load spike from elsewhere on a shared machine hits both sides.
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            seed, path = args.seed + r, os.path.join(tmp, "init.bin")
            model = torch_model(arch, seed)
            if args.init == "pytorch":
                params_file(model, path, write=True)
            ev, ev_acc, isa, peak, flops = run_bench(args.bench, arch, batch, args.epochs, args.isa, seed,
                                        ["--init-from" if args.init == "pytorch" else "--init-to", path])
            if args.init == "evotune":
                params_file(model, path, write=False)
            if args.baseline:
                base, base_acc, _, _, _ = run_bench(args.baseline, arch, batch, args.epochs, args.isa, seed,
                                                    ["--init-from", path])
                print(f"  seed {seed}: baseline {base:.0f} samples/s, this build {ev:.0f}: "
                      f"{ev / base:.3f}x; test accuracy after {k + 1} epochs baseline {base_acc[k]:.4f}")
                bases.append(base), speedups.append(ev / base)
            pt, pt_acc, _ = torch_train(model, batch, args.epochs, xtr, ytr, xte, yte)
            print(f"  seed {seed}: evotune {ev:.0f}, PyTorch {pt:.0f} samples/s, ratio {ev / pt:.2f}; "
                  f"test accuracy after {k + 1} epochs evotune {ev_acc[k]:.4f}, PyTorch {pt_acc[k]:.4f}")
            evs.append(ev), pts.append(pt), ratios.append(ev / pt)
            ev_accs.append(ev_acc[k]), pt_accs.append(pt_acc[k])
    ev, pt, ratio = statistics.median(evs), statistics.median(pts), statistics.median(ratios)
    print(f"  evotune ({isa}): {ev:10.0f} samples/s   mean test accuracy after {k + 1} epochs "
          f"{statistics.mean(ev_accs):.4f}")
    print(f"  PyTorch {torch.__version__}: {pt:8.0f} samples/s   mean test accuracy after {k + 1} epochs "
          f"{statistics.mean(pt_accs):.4f}")
    print(f"  ratio (median of runs): {ratio:.2f}x")
    if bases:
        print(f"  baseline {args.baseline}: {statistics.median(bases):10.0f} samples/s; this build over it "
              f"(median of runs): {statistics.median(speedups):.3f}x (range {min(speedups):.3f}-"
              f"{max(speedups):.3f}x)")
    print_ceiling(flops, ev, pt, peak)
    if len(ev_accs) > 1:
        diff = statistics.mean(ev_accs) - statistics.mean(pt_accs)
        sd_ev, sd_pt = statistics.stdev(ev_accs), statistics.stdev(pt_accs)
        se = (sd_ev ** 2 / len(ev_accs) + sd_pt ** 2 / len(pt_accs)) ** 0.5
        verdict = "within noise" if abs(diff) <= 2 * se else "NOT within noise"
        print(f"  accuracy: mean difference (evotune - PyTorch) {diff:+.4f}; seed-to-seed standard deviation "
              f"evotune {sd_ev:.4f}, PyTorch {sd_pt:.4f}; standard error of the difference {se:.4f}: "
              f"{verdict} (|difference| <= 2 standard errors)")
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
            pt, _, _ = torch_train(torch_model([784, 256, 256, 10], args.seed + r), 64, 3, xtr[:n_train],
                                   ytr[:n_train], xte, yte, eval_each=False)
            print(f"  run: evotune {ev:.0f} samples/s (train_seconds {secs[1]:.2f} s / {secs[3]:.2f} s), "
                  f"PyTorch {pt:.0f}, ratio {ev / pt:.2f}")
            evs.append(ev), pts.append(pt), ratios.append(ev / pt)
    ev, pt, ratio = statistics.median(evs), statistics.median(pts), statistics.median(ratios)
    print(f"  evotune CLI: {ev:10.0f} samples/s  (n_train {n_train})")
    print(f"  PyTorch:     {pt:10.0f} samples/s")
    print(f"  ratio (median of runs): {ratio:.2f}x")
    peak, flops = peak_info(args.bench, [784, 256, 256, 10], args.isa)
    print_ceiling(flops, ev, pt, peak)
    return ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-bench", "bench", "bench_train"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "evotune"))
    ap.add_argument("--isa", default=None, help="EVOTUNE_ISA for bench_train (default: the best)")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each side (medians)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first run; run r uses seed + r")
    ap.add_argument("--init", choices=("pytorch", "evotune"), default="pytorch",
                    help="whose initialisation both sides start from (default: pytorch)")
    ap.add_argument("--case", action="append", help="ARCH:BATCH, e.g. 784-256-128-10:64 (repeatable)")
    ap.add_argument("--whole-tool", action="store_true", help="the CLI check instead of bench_train")
    ap.add_argument("--baseline", default=None,
                    help="a second bench_train (an older build) run alternately with --bench, same seeds")
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
