#!/usr/bin/env python3
"""Converts the raw scikit-learn copies of the shipped data sets into evotune's CSV format.

Input: the directory holding iris.csv, wine_data.csv, breast_cancer.csv, digits.csv.gz,
diabetes_data_raw.csv.gz and diabetes_target.csv.gz as Debian's python3-sklearn ships them (default
/work/shared/datasets). Output: datasets/*.csv next to this script: a header row of feature names,
then one row per sample, the class in a final column named `label` (diabetes, a regression set: the
target in a final column named `target`). Standard library only, so that the conversion can be rerun anywhere.
"""
import csv
import gzip
import os
import sys

IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
        "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
        "od280_od315_of_diluted_wines", "proline"]
# Names as scikit-learn's load_breast_cancer spells them ("mean radius", "radius error",
# "worst radius"), with spaces turned into underscores.
_BC = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
       "concave_points", "symmetry", "fractal_dimension"]
BREAST_CANCER = (["mean_" + f for f in _BC] + [f + "_error" for f in _BC]
                 + ["worst_" + f for f in _BC])
DIGITS = ["pixel_%d" % i for i in range(64)]
# scikit-learn's load_diabetes(scaled=False) names: age, sex, body mass index, average blood
# pressure, six blood serum measurements.
DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def read_sklearn(path, names):
    """Reads the sklearn layout: first line `n_samples,n_features,class names...`, then rows whose
    last column is the class index. Returns the rows with the class index replaced by its name."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    n, d = int(rows[0][0]), int(rows[0][1])
    classes = rows[0][2:]
    if d != len(names) or len(rows) - 1 != n:
        sys.exit("%s: expected %d x %d, got %d x %d" % (path, n, len(names), len(rows) - 1, d))
    out = []
    for r in rows[1:]:
        if len(r) != d + 1:
            sys.exit("%s: ragged row %r" % (path, r))
        out.append(r[:d] + [classes[int(r[d])]])
    return out


def read_digits(path):
    with gzip.open(path, "rt", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    out = []
    for r in rows:
        if len(r) != 65:
            sys.exit("%s: ragged row %r" % (path, r))
        # The raw values are written as floats ("0.0") in some sklearn versions: keep integers.
        out.append([str(int(float(v))) for v in r])
    return out


def read_diabetes(data_path, target_path):
    """The raw (unscaled) features, whitespace-separated, and the targets, one per line, written by
    numpy as floats ("1.510000000000000000e+02"); integral values are written as integers."""
    def num(v):
        x = float(v)
        return str(int(x)) if x == int(x) else repr(x)
    with gzip.open(data_path, "rt") as f:
        rows = [line.split() for line in f if line.strip()]
    with gzip.open(target_path, "rt") as f:
        targets = [line.strip() for line in f if line.strip()]
    if len(rows) != len(targets):
        sys.exit("%s: %d rows, %s: %d targets" % (data_path, len(rows), target_path, len(targets)))
    out = []
    for r, t in zip(rows, targets):
        if len(r) != len(DIABETES):
            sys.exit("%s: ragged row %r" % (data_path, r))
        out.append([num(v) for v in r] + [num(t)])
    return out


def write(path, names, rows, label="label"):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + [label])
        w.writerows(rows)
    print("%s: %d rows x %d features" % (path, len(rows), len(names)))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets"
    dst = os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(dst, "iris.csv"), IRIS, read_sklearn(os.path.join(src, "iris.csv"), IRIS))
    write(os.path.join(dst, "wine.csv"), WINE,
          read_sklearn(os.path.join(src, "wine_data.csv"), WINE))
    write(os.path.join(dst, "breast_cancer.csv"), BREAST_CANCER,
          read_sklearn(os.path.join(src, "breast_cancer.csv"), BREAST_CANCER))
    write(os.path.join(dst, "digits.csv"), DIGITS, read_digits(os.path.join(src, "digits.csv.gz")))
    write(os.path.join(dst, "diabetes.csv"), DIABETES,
          read_diabetes(os.path.join(src, "diabetes_data_raw.csv.gz"),
                        os.path.join(src, "diabetes_target.csv.gz")), label="target")


if __name__ == "__main__":
    main()
