#!/usr/bin/env python3
"""Writes the first N images and labels of Fashion-MNIST's training set (Debian's dataset-fashion-mnist)
as IDX files into DIR, for searches that must run many times (bench/paired.sh on the Fashion-MNIST
search space): `--set data.train='"DIR/train-images-idx3-ubyte.gz"' --set
data.train_labels='"DIR/train-labels-idx1-ubyte.gz"'`. The test split stays the full t10k set.
Usage: bench/fashion_subset.py DIR [N]"""
import gzip
import os
import struct
import sys

SRC = "/usr/share/datasets/fashion-mnist"


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15000
    os.makedirs(out, exist_ok=True)
    for name, dims in (("train-images-idx3-ubyte.gz", 3), ("train-labels-idx1-ubyte.gz", 1)):
        with gzip.open(os.path.join(SRC, name), "rb") as f:
            data = f.read()
        magic, count = struct.unpack(">II", data[:8])
        shape = struct.unpack(">" + "I" * (dims - 1), data[8:4 + 4 * dims])
        item = 1
        for s in shape:
            item *= s
        head = 4 + 4 * dims
        n_out = min(n, count)
        body = data[head:head + n_out * item]
        with gzip.open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack(">II", magic, n_out) + data[8:head] + body)
    print(f"{n_out} images in {out}")


if __name__ == "__main__":
    main()
