"""Anomaly scenarios: injected anomalies per dataset, their reconstruction errors, thresholds and
detection metrics (from sklearn.metrics)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score, roc_curve
from sklearn.neighbors import NearestNeighbors

from ...datasets import Dataset
from ..core import reconstruct

# gw anomalies: (μ, σ, features redrawn per event), μ and σ in standardised units. "obvious" and
# "subtle" redraw 2 of the 16 features, far from the data or near it; "literal" is the lesson's literal
# experiment, every feature redrawn near the data, which breaks every correlation at once and is caught
# about as often as "obvious" (the Anomaly page says why).
PRESETS = {"obvious": (5.0, 1.5, 2), "subtle": (1.0, 0.8, 2), "literal": (1.0, 0.8, 16)}
CORRUPTIONS = ("noise", "inverted", "blank")


@dataclass(frozen=True)
class AnomalyConfig:
    """How the anomalies are made; frozen and hashable so it can key a cache.

    gw: `k` events, each a held-out event with `n_features` of its features redrawn from N(mu, sigma²)
    (n_features = 16 redraws every feature). digits: the test images of `held_out` classes (the model
    trains on the other classes only) plus `k` corrupted test images split over `corruptions`.
    line / swiss_roll: `k` test points pushed `distance` off the data along the local normal.
    """

    k: int = 50
    mu: float = PRESETS["obvious"][0]
    sigma: float = PRESETS["obvious"][1]
    n_features: int = PRESETS["obvious"][2]
    held_out: tuple[int, ...] = (7,)
    corruptions: tuple[str, ...] = CORRUPTIONS
    noise_std: float = 0.5
    distance: float = 1.0
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Scenario:
    """Held-out normal rows and injected anomalies, with their reconstructions and errors."""

    X_normal: np.ndarray  # (n_normal, features)
    X_anomalous: np.ndarray  # (n_anomalous, features)
    recon_normal: np.ndarray  # (n_normal, features)
    recon_anomalous: np.ndarray  # (n_anomalous, features)
    kinds: tuple[str, ...]  # one description per anomaly, e.g. "digit 7" or "noise"
    normal: np.ndarray = field(init=False)  # (n_normal,) reconstruction MSE
    anomalous: np.ndarray = field(init=False)  # (n_anomalous,)

    def __post_init__(self):
        object.__setattr__(self, "normal", ((self.recon_normal - self.X_normal) ** 2).mean(axis=1))
        object.__setattr__(self, "anomalous", ((self.recon_anomalous - self.X_anomalous) ** 2).mean(axis=1))


def _pick(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k row indices out of n, without replacement when there are enough rows."""
    return rng.choice(n, size=k, replace=k > n)


def gw_anomalies(X: np.ndarray, k: int, mu: float, sigma: float, n_features: int,
                 rng: np.random.Generator) -> np.ndarray:
    """k events (k, features): copies of rows of X with `n_features` random features drawn from N(mu, sigma²)."""
    base = X[_pick(len(X), k, rng)].astype(np.float32, copy=True)  # (k, features)
    n_features = int(min(max(n_features, 1), X.shape[1]))
    for row in base:
        cols = rng.choice(X.shape[1], size=n_features, replace=False)
        row[cols] = rng.normal(mu, sigma, n_features)
    return base


def corrupt_images(X: np.ndarray, kind: str, rng: np.random.Generator, noise_std: float = 0.5) -> np.ndarray:
    """Corrupted copies (n, pixels) of images in [0, 1]: "noise" (Gaussian, clipped), "inverted" or "blank"."""
    if kind == "noise":
        return np.clip(X + rng.normal(0, noise_std, X.shape), 0, 1).astype(np.float32)
    if kind == "inverted":
        return (1.0 - X).astype(np.float32)
    if kind == "blank":
        return np.zeros_like(X, dtype=np.float32)
    raise ValueError(f"Unknown corruption {kind!r}; choose one of {CORRUPTIONS}.")


def local_normals(points: np.ndarray, reference: np.ndarray, n_neighbors: int = 15) -> np.ndarray:
    """Unit vectors (n, dims) normal to the data near each point: the least-variance principal axis
    of its nearest reference neighbours (the normal of a line in 2-D, of a sheet in 3-D)."""
    nn = NearestNeighbors(n_neighbors=min(n_neighbors, len(reference))).fit(reference)
    _, idx = nn.kneighbors(points)  # (n, n_neighbors)
    normals = np.empty(points.shape, dtype=np.float64)
    for i, rows in enumerate(idx):
        normals[i] = PCA(n_components=points.shape[1]).fit(reference[rows]).components_[-1]
    return normals


def off_manifold(points: np.ndarray, reference: np.ndarray, distance: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of `points` (n, dims) moved `distance` off the data, along the local normal, random side."""
    normals = local_normals(points, reference)  # (n, dims)
    side = rng.choice([-1.0, 1.0], size=(len(points), 1))
    return (points + side * distance * normals).astype(np.float32)


def normal_subset(data: Dataset, held_out: tuple[int, ...]) -> Dataset:
    """The dataset with every row of the `held_out` labels removed from both splits (train on normal only)."""
    keep = ~np.isin(data.y, np.asarray(held_out, dtype=np.int64))
    return replace(data, train_idx=data.train_idx[keep[data.train_idx]], test_idx=data.test_idx[keep[data.test_idx]])


def make_anomalies(data: Dataset, cfg: AnomalyConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(held-out normal rows, anomalies, one description per anomaly) for this dataset and config."""
    rng = np.random.default_rng(cfg.seed)
    if data.anomaly_labels:  # real anomalies: every row of those labels (the model never trained on one)
        normal_idx = normal_subset(data, data.anomaly_labels).test_idx
        anomalous = np.flatnonzero(np.isin(data.y, np.asarray(data.anomaly_labels, dtype=np.int64)))
        kinds = tuple(data.label_names[int(c)] for c in data.y[anomalous])
        return data.X[normal_idx], data.X[anomalous].astype(np.float32), kinds
    normal_idx = normal_subset(data, cfg.held_out).test_idx if data.kind == "image" else data.test_idx
    X_normal = data.X[normal_idx]  # (n_normal, features)
    parts: list[np.ndarray] = []
    kinds: list[str] = []
    if data.kind == "image":
        for c in cfg.held_out:
            rows = data.X[data.test_idx][data.y_test == c]
            parts.append(rows)
            name = data.label_names[c]
            kinds += [f"digit {name}" if name.isdigit() else name] * len(rows)
        chosen = [c for c in CORRUPTIONS if c in cfg.corruptions]
        for j, kind in enumerate(chosen):
            n = cfg.k // len(chosen) + (j < cfg.k % len(chosen))
            parts.append(corrupt_images(X_normal[_pick(len(X_normal), n, rng)], kind, rng, cfg.noise_std))
            kinds += [kind] * n
    elif data.kind == "tabular":
        parts.append(gw_anomalies(X_normal, cfg.k, cfg.mu, cfg.sigma, cfg.n_features, rng))
        kinds += [f"injected (μ={cfg.mu:g}, σ={cfg.sigma:g})"] * cfg.k
    else:
        base = X_normal[_pick(len(X_normal), cfg.k, rng)]
        parts.append(off_manifold(base, data.X_train, cfg.distance, rng))
        kinds += [f"{cfg.distance:g} off the data"] * cfg.k
    X_anom = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, data.n_features), np.float32)
    return X_normal, X_anom, tuple(kinds)


def scenario(data: Dataset, model, cfg: AnomalyConfig) -> Scenario:
    """Score the held-out normal rows and the injected anomalies with `model`."""
    X_normal, X_anom, kinds = make_anomalies(data, cfg)
    empty = np.zeros((0, data.n_features), np.float32)
    return Scenario(X_normal, X_anom, reconstruct(model, X_normal),
                    reconstruct(model, X_anom) if len(X_anom) else empty, kinds)


def threshold(normal_errors: np.ndarray, mode: str, value: float) -> float:
    """The error above which a row is flagged: `value` as a percentile of the normal errors, or raw."""
    if mode == "percentile":  # in float64, as the threshold chart's JS computes it
        return float(np.percentile(np.asarray(normal_errors, dtype=np.float64), value))
    if mode == "raw":
        return float(value)
    raise ValueError(f"Unknown threshold mode {mode!r}; use 'percentile' or 'raw'.")


def _labels(normal: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, scores): 0 for normal, 1 for anomalous, and the errors in the same order."""
    y = np.concatenate([np.zeros(len(normal), int), np.ones(len(anomalous), int)])
    return y, np.concatenate([normal, anomalous]).astype(float)


def detection_metrics(normal: np.ndarray, anomalous: np.ndarray, thr: float) -> dict:
    """Counts and rates when errors strictly above `thr` are flagged (anomalous is the positive class)."""
    y, s = _labels(normal, anomalous)
    pred = (s > thr).astype(int)
    cm = confusion_matrix(y, pred, labels=[0, 1])  # rows: true normal/anomalous; cols: predicted
    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    return {
        "tp": tp, "fp": fp, "tn": tn, "fn": fn, "confusion": cm,
        "detection_rate": float(recall_score(y, pred, zero_division=0)) if tp + fn else math.nan,
        "false_positive_rate": fp / (fp + tn) if fp + tn else math.nan,
        "precision": float(precision_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
    }


def roc(normal: np.ndarray, anomalous: np.ndarray) -> dict:
    """The ROC curve (fpr, tpr, thresholds) and its AUC; needs at least one row of each class."""
    y, s = _labels(normal, anomalous)
    fpr, tpr, thr = roc_curve(y, s)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thr, "auc": float(roc_auc_score(y, s))}


def top_flagged(errors: np.ndarray, thr: float, k: int = 6, groups=None, per_group: int | None = None) -> np.ndarray:
    """Indices of the (at most k) largest errors above `thr`, largest first; with `groups` (one name per
    row), at most `per_group` from each group, so one kind of anomaly does not fill every slot."""
    order = np.argsort(errors, kind="stable")[::-1]
    order = order[errors[order] > thr]
    if groups is None or per_group is None:
        return order[:k]
    taken: dict = {}
    chosen = []
    for i in order:
        if taken.get(groups[i], 0) < per_group:
            taken[groups[i]] = taken.get(groups[i], 0) + 1
            chosen.append(i)
        if len(chosen) == k:
            break
    return np.array(chosen, dtype=int)
