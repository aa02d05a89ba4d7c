#!/usr/bin/env python3
"""The stored layout of an evotune results file, as text: every group, dataset and attribute by path,
with its HDF5 type (compound members in order; integer and float sizes and byte order; enum members
with their stored values; string kind) and its rank. Row counts and values are left out: they differ
between runs, the layout does not. Names that number a layer (dense_0_kernel) are written once with
the number as N.

Two files of one format version must print the same text; tests/formats_check.sh compares the text of
a file written now, and of each old fixture, with the golden copy tests/fixtures/formatV.schema, so that
an edit that changes what a stored table or enum means fails instead of silently passing.

Usage: schema.py FILE.h5"""
import re
import sys

import h5py


def describe(tid):
    """One line for an HDF5 type."""
    cls = tid.get_class()
    if cls == h5py.h5t.COMPOUND:
        members = []
        for i in range(tid.get_nmembers()):
            members.append("%s: %s" % (tid.get_member_name(i).decode(), describe(tid.get_member_type(i))))
        return "compound {" + "; ".join(members) + "}"
    if cls == h5py.h5t.ENUM:
        base = tid.get_super()
        members = []
        for i in range(tid.get_nmembers()):
            members.append("%s=%d" % (tid.get_member_name(i).decode(), tid.get_member_value(i)))
        return "enum %s {%s}" % (describe(base), ", ".join(members))
    if cls == h5py.h5t.INTEGER:
        sign = "int" if tid.get_sign() == h5py.h5t.SGN_2 else "uint"
        order = "le" if tid.get_order() == h5py.h5t.ORDER_LE else "be"
        return "%s%d%s" % (sign, 8 * tid.get_size(), order)
    if cls == h5py.h5t.FLOAT:
        order = "le" if tid.get_order() == h5py.h5t.ORDER_LE else "be"
        return "float%d%s" % (8 * tid.get_size(), order)
    if cls == h5py.h5t.STRING:
        kind = "vlen" if tid.is_variable_str() else "fixed%d" % tid.get_size()
        cset = "utf8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ascii"
        return "string %s %s" % (kind, cset)
    return "class %d size %d" % (cls, tid.get_size())


def rank(obj):
    space = obj.id.get_space()
    return "scalar" if space.get_simple_extent_type() == h5py.h5s.SCALAR else "rank %d" % space.get_simple_extent_ndims()


def main():
    lines = set()
    with h5py.File(sys.argv[1], "r") as f:
        def attrs(path, obj):
            for name in obj.attrs:
                a = h5py.h5a.open(obj.id, name.encode())
                lines.add("%s@%s: %s, %s" % (path, name, describe(a.get_type()), rank_of_attr(a)))

        def rank_of_attr(a):
            space = a.get_space()
            return "scalar" if space.get_simple_extent_type() == h5py.h5s.SCALAR else \
                "rank %d" % space.get_simple_extent_ndims()

        def visit(name, obj):
            path = "/" + re.sub(r"_[0-9]+_", "_N_", name)
            if isinstance(obj, h5py.Dataset):
                lines.add("%s: %s, %s" % (path, describe(obj.id.get_type()), rank(obj)))
            else:
                lines.add("%s: group" % path)
            attrs(path, obj)

        attrs("", f)
        f.visititems(visit)
    sys.stdout.write("".join(line + "\n" for line in sorted(lines)))


if __name__ == "__main__":
    main()
