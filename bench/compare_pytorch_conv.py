#!/usr/bin/python3
"""evotune against PyTorch on one core for the issue-14 convolutional network: conv 32@3x3 relu,
max-pool 2x2, conv 64@3x3 relu, max-pool 2x2, dense 128 relu, dense 10, batch 64, Adam (lr 1e-3),
standardised Fashion-MNIST 28x28, samples/s of a training epoch (median epoch after a warm-up),
GFLOP/s, the fraction of the core's FMA peak (bench_train --peak) and the test accuracy after the
last epoch.

  bench/compare_pytorch_conv.py --torch-only                          # PyTorch alone (no evotune yet)
  bench/compare_pytorch_conv.py --torch-only --max-rows 10000 --epochs 3    # a short timing
  bench/compare_pytorch_conv.py --bench build-bench/bench/bench_train --repeat 3

--arch uses bench_train's syntax for the layer table: 'cN' a convolution of N filters, kernel 3,
'same' padding, relu; 'p' a 2x2 max-pool (stride 2); a number a dense layer (relu, but the last,
which gives the class logits); the input shape comes from the data (1 x 28 x 28). With --bench the
two sides run alternately, seed --seed + r in run r (median of the runs and of their ratios; a load
spike from elsewhere on a shared machine then hits both). Each side starts from its own
initialisation (PyTorch's Conv2d/Linear defaults; evotune's own): the parameter files of
compare_pytorch.py's --init-from are not defined for conv layers yet.

Flops (flops_per_sample, the one place they are counted): 2 a multiply-add; per convolution or dense
layer its forward and weight gradient, and its input gradient for every layer but the network's first
(conv1 computes none); pooling, relu, softmax and the optimizer count 0. --max-rows times and trains
on the first N training rows only (the standardisation still uses all 60 000; the test set is always
whole); bench_train receives the same option.

Needs Debian's python3-torch and numpy. PyTorch gets torch.set_num_threads(1); evotune one thread.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

# One core for PyTorch's BLAS too, not only its intra-op pool (set before torch loads it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_pytorch  # noqa: E402  (its data loading, standardisation and training loop)

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KSIZE = 3  # every 'cN' layer's kernel


def parse_arch(arch):
    """'c32-p-c64-p-128-10' -> [('conv', 32), ('pool', None), ..., ('dense', 10)]."""
    layers = []
    for tok in arch.split("-"):
        if tok == "p":
            layers.append(("pool", None))
        elif tok.startswith("c") and tok[1:].isdigit() and int(tok[1:]) > 0:
            layers.append(("conv", int(tok[1:])))
        elif tok.isdigit() and int(tok) > 0:
            layers.append(("dense", int(tok)))
        else:
            sys.exit(f"compare_pytorch_conv: bad --arch '{arch}': token '{tok}'")
    if not layers or layers[-1][0] != "dense" or any(
            kind != "dense" for kind, _ in layers[next(i for i, l in enumerate(layers) if l[0] == "dense"):]):
        sys.exit(f"compare_pytorch_conv: bad --arch '{arch}': convolutions and pools, then dense layers, "
                 "the last dense")
    return layers


def flops_per_sample(layers, shape):
    """Flops of one sample's training step, per layer and in all (see the module's docstring)."""
    c, h, w = shape
    parts, first = [], True
    for kind, n in layers:
        if kind == "pool":
            h, w = h // 2, w // 2
            continue
        if kind == "conv":
            macs, c = c * n * KSIZE * KSIZE * h * w, n
            name = f"conv {n}@{KSIZE}x{KSIZE} on {h}x{w}"
        else:
            macs, c, h, w = c * h * w * n, n, 1, 1
            name = f"dense {n}"
        passes = 2 if first else 3
        parts.append((name, 2.0 * macs * passes))
        first = False
    return parts, sum(f for _, f in parts)


def torch_model(layers, shape, seed):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    c, h, w = shape
    mods, flat = [], False
    for i, (kind, n) in enumerate(layers):
        if kind == "conv":
            mods += [torch.nn.Conv2d(c, n, KSIZE, padding=KSIZE // 2), torch.nn.ReLU()]
            c = n
        elif kind == "pool":
            mods.append(torch.nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        else:
            if not flat:
                mods.append(torch.nn.Flatten())
                flat = True
            mods.append(torch.nn.Linear(c * h * w, n))
            c, h, w = n, 1, 1
            if i < len(layers) - 1:
                mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def accuracy(model, x, y, chunk=1000):
    with torch.no_grad():
        hits = sum((model(x[s:s + chunk]).argmax(1) == y[s:s + chunk]).sum().item()
                   for s in range(0, x.shape[0], chunk))
    return hits / x.shape[0]


def torch_train(model, batch, epochs, xtr, ytr, xte, yte):
    """Samples/s of the median epoch after the first by the wall clock and by this thread's CPU time,
    and the test accuracy after the last: compare_pytorch.py's training loop, evaluated in chunks
    (a whole test set of conv activations at once would take gigabytes)."""
    rate, _, cpu_rate = compare_pytorch.torch_train(model, batch, epochs, xtr, ytr, xte, yte, eval_each=False)
    return rate, cpu_rate, accuracy(model, torch.from_numpy(xte), torch.from_numpy(yte))


def peak_gflops(bench, isa, tries=3):
    """The core's FMA peak from bench_train --peak, the largest of a few tries (a 40 ms measurement:
    a shared machine's load can halve one), or None without the binary."""
    if not bench or not os.path.exists(bench):
        return None
    cmd = [bench, "--peak"] + (["--isa", isa] if isa else [])
    peaks = []
    for _ in range(tries):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        peaks.append(float(dict(kv.split("=") for kv in out.split("RESULT")[1].split())["peak_gflops"]))
    return max(peaks)


def run_bench(args, seed):
    cmd = [args.bench, "--arch", args.arch, "--batch", str(args.batch), "--epochs", str(args.epochs),
           "--seed", str(seed)]
    if args.max_rows:
        cmd += ["--max-rows", str(args.max_rows)]
    if args.isa:
        cmd += ["--isa", args.isa]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"compare_pytorch_conv: {' '.join(cmd)} failed (exit {run.returncode}): "
                 f"{run.stderr.strip()}\n(bench_train needs the layer table's --arch syntax and "
                 f"--max-rows; --torch-only times PyTorch alone)")
    out = run.stdout
    result = {}
    for line in out.splitlines():
        if line.startswith("RESULT"):
            result = dict(kv.split("=") for kv in line.split()[1:])
        elif line.startswith("check:"):
            print("  " + line)
    return float(result["samples_per_s"]), float(result["test_accuracy"]), result.get("isa", "?")


def cpu_model():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                info.setdefault(key.strip(), val.strip())
    except OSError:
        pass
    return (f"{info.get('model name', 'unknown')} (family {info.get('cpu family', '?')}, "
            f"model {info.get('model', '?')})")


def rate_line(who, sps, flops, peak):
    gf = sps * flops / 1e9
    s = f"{who}: {sps:8.0f} samples/s, {gf:6.1f} GFLOP/s"
    return s + (f", {100 * gf / peak:5.1f} % of the FMA peak" if peak else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-bench", "bench", "bench_train"),
                    help="bench_train (also the source of the FMA peak)")
    ap.add_argument("--torch-only", action="store_true", help="time PyTorch alone")
    ap.add_argument("--arch", default="c32-p-c64-p-128-10")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--isa", default=None, help="EVOTUNE_ISA for bench_train (default: the best)")
    ap.add_argument("--epochs", type=int, default=5, help="epochs a run, the first a warm-up")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each side (medians)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first run; run r uses seed + r")
    ap.add_argument("--max-rows", type=int, default=0, help="train on the first N rows only (0: all)")
    args = ap.parse_args()
    layers = parse_arch(args.arch)

    xtr, ytr, shape = compare_pytorch.load_idx(f"{DATA}/train-images-idx3-ubyte.gz",
                                               f"{DATA}/train-labels-idx1-ubyte.gz", shape=True)
    xte, yte = compare_pytorch.load_idx(f"{DATA}/t10k-images-idx3-ubyte.gz", f"{DATA}/t10k-labels-idx1-ubyte.gz")
    xtr, xte = compare_pytorch.standardise(xtr, xte)
    if args.max_rows:
        xtr, ytr = xtr[:args.max_rows], ytr[:args.max_rows]
    xtr, xte = xtr.reshape((-1,) + shape), xte.reshape((-1,) + shape)  # NCHW

    parts, flops = flops_per_sample(layers, shape)
    peak = peak_gflops(args.bench, args.isa)
    print(f"cpu: {cpu_model()}; load average {os.getloadavg()[0]:.2f} at the start")
    print(f"arch {args.arch} on {'x'.join(map(str, shape))}, batch {args.batch}, Adam lr 1e-3, "
          f"{len(xtr)} training rows, {args.epochs} epochs (the first a warm-up), 1 thread, "
          f"PyTorch {torch.__version__}")
    print(f"flops a sample: {flops / 1e6:.2f} MFLOP (" +
          ", ".join(f"{name} {f / 1e6:.2f}" for name, f in parts) + ")")
    print(f"FMA peak of the core: {peak:.1f} GFLOP/s (bench_train --peak, the largest of 3)" if peak else
          "FMA peak of the core: unknown (no bench_train; pass --bench)")

    evs, pts, pt_cpus, ratios, ev_accs, pt_accs, isa = [], [], [], [], [], [], None
    for r in range(args.repeat):
        seed = args.seed + r
        if not args.torch_only:
            ev, ev_acc, isa = run_bench(args, seed)
            evs.append(ev), ev_accs.append(ev_acc)
        pt, pt_cpu, pt_acc = torch_train(torch_model(layers, shape, seed), args.batch, args.epochs, xtr, ytr,
                                         xte, yte)
        pts.append(pt), pt_cpus.append(pt_cpu), pt_accs.append(pt_acc)
        line = (f"  seed {seed}: PyTorch {pt:.0f} samples/s ({pt_cpu:.0f} on CPU time), "
                f"test accuracy {pt_acc:.4f}")
        if not args.torch_only:
            ratios.append(ev / pt)
            line += f"; evotune {ev:.0f} samples/s, test accuracy {ev_acc:.4f}; ratio {ev / pt:.2f}"
        print(line, flush=True)

    pt = statistics.median(pts)
    print(rate_line(f"PyTorch {torch.__version__} (median)", pt, flops, peak) +
          f"; mean test accuracy {statistics.mean(pt_accs):.4f}")
    print(rate_line("PyTorch on CPU time (median)", statistics.median(pt_cpus), flops, peak) +
          f"; load average {os.getloadavg()[0]:.2f} at the end")
    if args.torch_only:
        target = 1.5 * pt * flops / 1e9
        if peak:
            goal = 0.7 * peak if target > peak else target
            print(f"target: 1.5x PyTorch = {1.5 * pt:.0f} samples/s ({target:.1f} GFLOP/s, "
                  f"{100 * target / peak:.0f} % of the peak); the goal is {goal:.1f} GFLOP/s = "
                  f"{goal * 1e9 / flops:.0f} samples/s")
        return 0
    ev = statistics.median(evs)
    print(rate_line(f"evotune ({isa}) (median)", ev, flops, peak) +
          f"; mean test accuracy {statistics.mean(ev_accs):.4f}")
    print(f"ratio evotune / PyTorch (median of the runs' ratios): {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
