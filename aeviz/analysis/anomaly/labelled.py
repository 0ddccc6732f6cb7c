"""Real anomalies, named by a label: breast cancer's malignant tumours, or the label values a user marks in an
uploaded table (`Dataset.anomaly_labels`).

The autoencoder trains on the normal training rows only and scores the held-out split: normal test rows
against anomalous test rows, by reconstruction error. A supervised baseline, logistic regression fitted on
the labels of the same training split, is scored on the same test rows, so the page can say what detecting
without labels costs. Contamination mixes anomalies into the training rows: the model learns to reconstruct
them too, and the share of held-out anomalies it flags falls.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ...config import ModelConfig, TrainConfig
from ...datasets import Dataset
from ...models import build
from ...train import Trainer
from ..core import reconstruction_errors
from .scenarios import threshold

MAX_CONTAMINATION = 0.5  # the slider's end: half the training rows anomalies
THRESHOLD_PERCENTILE = 95.0  # flag rows above this percentile of the normal test rows' errors


def anomaly_mask(data: Dataset) -> np.ndarray:
    """True for every row (n,) whose label is one of the dataset's anomaly labels."""
    if not data.anomaly_labels:
        raise ValueError(f"The dataset {data.name!r} names no labels as anomalies.")
    return np.isin(data.y, np.asarray(data.anomaly_labels, dtype=np.int64))


def training_size(data: Dataset, max_fraction: float = MAX_CONTAMINATION) -> int:
    """How many training rows every contamination level trains on: as many normal training rows as there
    are, unless the anomalous training rows could not then make up `max_fraction` of them."""
    anomalous = anomaly_mask(data)[data.train_idx]
    n_normal, n_anom = int((~anomalous).sum()), int(anomalous.sum())
    if max_fraction <= 0:
        return n_normal
    return min(n_normal, int(n_anom / max_fraction))


def normal_training(data: Dataset, contamination: float = 0.0, seed: int = 0) -> Dataset:
    """The dataset to train the detector on: `contamination` (0–0.5) of its training rows anomalies, the rest
    normal, always `training_size(data)` rows in all (the rows added as contamination grows are nested: a
    higher level keeps the lower level's anomalies); the test split holds the normal test rows only."""
    if not 0.0 <= contamination <= MAX_CONTAMINATION:
        raise ValueError(f"The contamination must lie in [0, {MAX_CONTAMINATION:g}], not {contamination:g}.")
    anomalous = anomaly_mask(data)
    rng = np.random.default_rng(seed)
    normal_train = rng.permutation(data.train_idx[~anomalous[data.train_idx]])
    anom_train = rng.permutation(data.train_idx[anomalous[data.train_idx]])
    total = training_size(data)
    n_anom = int(round(contamination * total))
    train = np.sort(np.concatenate([normal_train[:total - n_anom], anom_train[:n_anom]]))
    return replace(data, train_idx=train, test_idx=data.test_idx[~anomalous[data.test_idx]])


def train_detector(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig, contamination: float = 0.0,
                   seed: int = 0) -> Trainer:
    """Train a model on the detector's training rows (see normal_training) to the end."""
    subset = normal_training(data, contamination, seed)
    return Trainer(build(model_cfg, subset, seed=train_cfg.seed), subset, train_cfg).run()


@dataclass(frozen=True, eq=False)
class LabelledDetection:
    """The test split scored by one model: errors of the normal and the anomalous rows, the AUC, and the
    detection at the threshold (a percentile of the normal errors)."""

    normal: np.ndarray  # (n_normal_test,) reconstruction MSE
    anomalous: np.ndarray  # (n_anomalous_test,)
    normal_idx: np.ndarray  # rows of the dataset, for showing the samples behind a histogram bin
    anomalous_idx: np.ndarray
    auc: float
    threshold: float
    detection_rate: float  # share of anomalous test rows above the threshold
    false_positive_rate: float  # share of normal test rows above it


def labelled_detection(data: Dataset, model, percentile: float = THRESHOLD_PERCENTILE) -> LabelledDetection:
    """Score the test split with `model`: AUC of normal against anomalous test rows (roc_auc_score) and the
    rates at the `percentile`-th percentile of the normal rows' errors."""
    anomalous = anomaly_mask(data)
    normal_idx = data.test_idx[~anomalous[data.test_idx]]
    anom_idx = data.test_idx[anomalous[data.test_idx]]
    e_norm = reconstruction_errors(model, data.X[normal_idx])
    e_anom = reconstruction_errors(model, data.X[anom_idx])
    y = np.r_[np.zeros(len(e_norm)), np.ones(len(e_anom))]
    auc = float(roc_auc_score(y, np.r_[e_norm, e_anom].astype(np.float64)))
    thr = threshold(e_norm, "percentile", percentile)
    return LabelledDetection(normal=e_norm, anomalous=e_anom, normal_idx=normal_idx, anomalous_idx=anom_idx, auc=auc,
                             threshold=thr, detection_rate=float((e_anom > thr).mean()),
                             false_positive_rate=float((e_norm > thr).mean()))


def baseline_auc(data: Dataset, seed: int = 0) -> float:
    """The supervised baseline's AUC: logistic regression fitted on the training split's anomaly labels,
    scored on the test split (the same rows the autoencoder is scored on)."""
    anomalous = anomaly_mask(data)
    clf = LogisticRegression(max_iter=5000, random_state=seed).fit(data.X_train, anomalous[data.train_idx])
    return float(roc_auc_score(anomalous[data.test_idx], clf.decision_function(data.X_test)))


def contamination_curve(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
                        fractions=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5), seed: int = 0,
                        percentile: float = THRESHOLD_PERCENTILE) -> list[tuple[float, LabelledDetection]]:
    """(fraction, detection) for a model trained at each contamination fraction, all else equal."""
    out = []
    for f in fractions:
        model = train_detector(data, model_cfg, train_cfg, f, seed).model
        out.append((float(f), labelled_detection(data, model, percentile)))
    return out


def contamination_detection(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig, fraction: float,
                            seed: int = 0, percentile: float = THRESHOLD_PERCENTILE) -> float:
    """The detection rate at the `percentile`-th percentile threshold of a model trained with `fraction` of
    its training rows anomalies."""
    return contamination_curve(data, model_cfg, train_cfg, (fraction,), seed, percentile)[0][1].detection_rate
