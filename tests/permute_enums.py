#!/usr/bin/env python3
"""Copies an evotune results file with the stored value of every enum member changed, the data remapped
so that each row keeps its names: another program (or a later evotune) could store the same names under
other numbers. Readers that map enums by name read the copy exactly as the original; a reader that took
the numbers as evotune's own would read other genes, statuses and layer kinds. The copy is sealed again
(results/README.md: a CRC-32 of everything after the 512-byte user block) so that evotune opens it.

Usage: permute_enums.py IN.h5 OUT.h5"""
import shutil
import sys
import zlib

import h5py
import numpy as np

USERBLOCK = 512
SEAL = "evotune results file: crc32 %08x of the %d bytes after this 512-byte user block\n"


def permuted(mapping):
    """The same names, each stored as another value: reversed order, shifted by 3."""
    names = sorted(mapping, key=mapping.get)
    return {name: 3 + len(names) - 1 - k for k, name in enumerate(names)}


def rewrite(parent, name):
    """Rewrites dataset parent[name] with every enum member of its compound type permuted; returns the
    number of enum columns changed."""
    ds = parent[name]
    if ds.dtype.names is None:
        return 0
    old = ds[()]
    fields, changed = [], 0
    for field in ds.dtype.names:
        base = ds.dtype.fields[field][0]
        mapping = h5py.check_enum_dtype(base)
        if mapping is None:
            fields.append((field, base))
            continue
        fields.append((field, h5py.enum_dtype(permuted(mapping), basetype=np.int16)))
        changed += 1
    new = np.zeros(old.shape, dtype=np.dtype(fields))
    for field in ds.dtype.names:
        mapping = h5py.check_enum_dtype(ds.dtype.fields[field][0])
        if mapping is None:
            new[field] = old[field]
        else:
            to_new = permuted(mapping)
            by_value = {v: to_new[k] for k, v in mapping.items()}
            new[field] = [by_value[int(v)] for v in old[field]]
    attrs = dict(ds.attrs)
    maxshape, chunks = ds.maxshape, ds.chunks
    del parent[name]
    out = parent.create_dataset(name, data=new, maxshape=maxshape, chunks=chunks)
    for k, v in attrs.items():
        out.attrs[k] = v
    return changed


def main():
    src, dst = sys.argv[1], sys.argv[2]
    shutil.copyfile(src, dst)
    changed = 0
    with h5py.File(dst, "r+") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.names is not None:
                paths.append(name)
        paths = []
        f.visititems(visit)
        for path in paths:
            parent, _, leaf = path.rpartition("/")
            changed += rewrite(f[parent] if parent else f, leaf)
    if not changed:
        sys.exit("permute_enums.py: %s has no enum column" % src)
    with open(dst, "r+b") as f:
        body = f.read()[USERBLOCK:]
        line = (SEAL % (zlib.crc32(body) & 0xFFFFFFFF, len(body))).encode()
        f.seek(0)
        f.write(line + b"\0" * (USERBLOCK - len(line)))
    print("%s: %d enum columns stored with other values" % (dst, changed))


if __name__ == "__main__":
    main()
