"""The datasets: the DATASETS registry (name -> DatasetSpec: generator, title, kind, defaults), `load`, and
`from_csv` for a user's own table. The record is in .base, aeviz's own generators in .builtin, the CSV reader
in .csv."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..config import DataConfig, ModelConfig, TrainConfig
from .base import Dataset, _split, _standardise
from .builtin import (GW_FEATURES, GW_POPULATIONS, SNR_THRESHOLD, _gw_detected, _gw_features, _gw_population,
                      _measured_snr, make_breast_cancer, make_digits, make_gw, make_line, make_roll)
from .csv import from_csv


@dataclass(frozen=True)
class DatasetSpec:
    """One registered dataset: its generator `make(*, test_size, random_state) -> Dataset`, the title the
    sidebar shows, its kind ("image" | "tabular" | "points": how a sample is drawn, and whether a sigmoid
    output and BCE fit), and the model and training it starts with."""

    make: Callable[..., Dataset]
    title: str
    kind: str
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()

    @property
    def bounded(self) -> bool:
        """True when every feature lies in [0, 1] (image data), so a sigmoid output and BCE fit."""
        return self.kind == "image"


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
    return DATASETS[cfg.name].make(test_size=cfg.test_size, random_state=cfg.seed)


__all__ = ["DATASETS", "Dataset", "DatasetSpec", "defaults_for", "from_csv", "load", "make_breast_cancer",
           "make_digits", "make_gw", "make_line", "make_roll", "GW_FEATURES", "GW_POPULATIONS", "SNR_THRESHOLD",
           "_gw_detected", "_gw_features", "_gw_population", "_measured_snr", "_split", "_standardise"]
