"""Reconstruction views: which test samples to show, errors per label, and the latent-size sweep."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from ..config import ModelConfig, TrainConfig
from ..datasets import Dataset
from ..models import build
from ..run import Run
from ..train import Trainer

SELECTIONS = ("index", "random", "worst", "best")


def select_samples(errors: np.ndarray, mode: str, k: int = 4, index: int = 0, seed: int = 0) -> np.ndarray:
    """Positions into `errors` (n,) to show: one by `index`, k at random, the k worst or the k best."""
    n = len(errors)
    k = int(min(max(k, 1), n))
    if mode == "index":
        return np.array([int(min(max(index, 0), n - 1))])
    if mode == "random":
        return np.random.default_rng(seed).choice(n, size=k, replace=False)
    if mode == "worst":
        return np.argsort(errors, kind="stable")[::-1][:k]
    if mode == "best":
        return np.argsort(errors, kind="stable")[:k]
    raise ValueError(f"Unknown selection {mode!r}; choose one of {SELECTIONS}.")


def errors_by_label(errors: np.ndarray, labels: np.ndarray, label_names: tuple[str, ...]) -> list[dict]:
    """One row per label: name, count, mean and median error (labels colour only; never trained on)."""
    rows = []
    for i, name in enumerate(label_names):
        e = errors[labels == i]
        if len(e):
            rows.append({"label": name, "count": int(len(e)), "mean": float(e.mean()), "median": float(np.median(e))})
    return rows


def worst_label_ratio(errors: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
    """(label with the highest mean error, its mean divided by the mean of the other labels' means)."""
    present = np.unique(labels)
    means = np.array([errors[labels == c].mean() for c in present])
    worst = int(np.argmax(means))
    others = np.delete(means, worst)
    ratio = float(means[worst] / others.mean()) if len(others) and others.mean() > 0 else 1.0
    return int(present[worst]), ratio


def relative_errors_by_label(X: np.ndarray, X_hat: np.ndarray, labels: np.ndarray,
                             label_names: tuple[str, ...]) -> list[dict]:
    """Per label: the mean error in the data's own (globally standardised) units, the label's own variance
    (per feature, averaged over features) and their ratio, the share of its own variation the code loses.

    The ratio is 1 when reconstructing each sample as its population's average would do as well; 0 when
    the reconstruction is perfect. It is NaN for a label with fewer than two samples or no spread.
    """
    X, X_hat = np.asarray(X, dtype=np.float64), np.asarray(X_hat, dtype=np.float64)
    errors = ((X - X_hat) ** 2).mean(axis=1)  # (n,)
    rows = []
    for i, name in enumerate(label_names):
        sel = labels == i
        if not sel.any():
            continue
        own = float(X[sel].var(axis=0).mean()) if sel.sum() > 1 else 0.0
        mean = float(errors[sel].mean())
        rows.append({"label": name, "count": int(sel.sum()), "mean": mean, "own_variance": own,
                     "relative": mean / own if own > 0 else float("nan")})
    return rows


BOTTLENECK_LOSES_MOST = 0.8  # every population loses at least this share of its own variation: code too small
STANDS_APART = 1.5  # one population's share is this many times the others' mean: no room for that one


def bottleneck_verdict(rows: list[dict]) -> tuple[str, int]:
    """Read the relative errors: ("too_small_for_all" | "too_small_for_one" | "fair", index of the row
    with the highest share). This, not the error in standardised units, answers "is the bottleneck too
    small?": a tight population has small errors in any shared units, however badly the code fits it."""
    rel = np.array([r["relative"] for r in rows], dtype=float)
    ok = np.isfinite(rel)
    if not ok.any():
        return "fair", 0
    worst = int(np.nanargmax(rel))
    others = np.delete(rel, worst)
    others = others[np.isfinite(others)]
    if np.nanmin(rel) >= BOTTLENECK_LOSES_MOST:
        return "too_small_for_all", worst
    if len(others) and rel[worst] >= STANDS_APART * others.mean():
        return "too_small_for_one", worst
    return "fair", worst


def sweep_sizes(n_features: int) -> tuple[int, ...]:
    """Latent sizes worth comparing for an input of `n_features`: 1, 2, 4, ... below the input width."""
    if n_features <= 3:
        return tuple(range(1, n_features + 1))
    return tuple(s for s in (1, 2, 4, 8, 16) if s < n_features)


def latent_sweep(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig, sizes: tuple[int, ...],
                 fit: Callable[[ModelConfig], Run | Trainer] | None = None) -> list[dict]:
    """One model per latent size (else the same settings); the final train and test reconstruction loss
    of each. `fit(model_cfg)` returns a finished run (a Run, e.g. the shared one); by default it trains."""
    if fit is None:
        def fit(cfg: ModelConfig) -> Trainer:
            return Trainer(build(cfg, data, seed=train_cfg.seed), data, train_cfg).run()
    rows = []
    for size in sizes:
        trainer = fit(replace(model_cfg, latent=size))
        train, test = trainer.final("recon")
        rows.append({"latent": size, "train": train, "test": test, "diverged": trainer.error is not None})
    return rows
