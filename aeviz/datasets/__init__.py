"""The datasets: the DATASETS registry (name -> DatasetSpec: generator, title, kind, defaults), `load`, and
`from_csv` for a user's own table. The record is in .base, aeviz's own generators in .builtin, the CSV reader
in .csv."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..config import DataConfig, ModelConfig, TrainConfig
from .base import Dataset, _split, _standardise
from .builtin import (GW_FEATURES, GW_POPULATIONS, SNR_THRESHOLD, _gw_detected, _gw_features, _gw_population,
                      _measured_snr, make_breast_cancer, make_digits, make_gw, make_line, make_roll)
from ..imagefiles import DatasetUnavailable, fashion_missing, mnist_missing
from .csv import from_csv
from .images import FASHION_ROWS, make_fashion_mnist, make_mnist


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
    # breast cancer: real anomalies (malignant tumours), named by anomaly_labels; aeviz.analysis.anomaly.labelled
    "breast_cancer": DatasetSpec(make_breast_cancer, "Breast cancer (real anomalies)", "tabular"),
    "mnist": DatasetSpec(make_mnist, "MNIST digits (28×28 images)", "image", MNIST_MODEL, MNIST_TRAIN,
                         IMAGE_PRESETS, mnist_missing),
    "fashion_mnist": DatasetSpec(make_fashion_mnist, "Fashion-MNIST (28×28 images)", "image", MNIST_MODEL,
                                 MNIST_TRAIN, IMAGE_PRESETS, fashion_missing),
}


UPLOAD = "upload"  # a session's own table (from_csv): not in DATASETS, since no generator can rebuild it
UPLOAD_TITLE = "Your own table"


def choices() -> tuple[str, ...]:
    """The names the sidebar's dataset choice offers: every registered dataset, then a session's own table."""
    return (*DATASETS, UPLOAD)


def title(name: str) -> str:
    """The title a dataset's name is shown with (the name itself if it is not known)."""
    return UPLOAD_TITLE if name == UPLOAD else DATASETS[name].title if name in DATASETS else name


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


__all__ = ["DATASETS", "UPLOAD", "UPLOAD_TITLE", "choices", "title", "Dataset", "DatasetSpec", "DatasetUnavailable", "FASHION_ROWS", "IMAGE_PRESETS", "make_mnist",
           "make_fashion_mnist", "defaults_for", "from_csv", "load", "make_breast_cancer",
           "make_digits", "make_gw", "make_line", "make_roll", "GW_FEATURES", "GW_POPULATIONS", "SNR_THRESHOLD",
           "_gw_detected", "_gw_features", "_gw_population", "_measured_snr", "_split", "_standardise"]
