"""What every dataset is: the Dataset record (features, colour-only labels, metadata, a seeded split) and the
split and standardisation every generator shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


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
    notes: tuple[str, ...] = ()  # how the data was read (an uploaded table: columns dropped, cells filled)
    anomaly_labels: tuple[int, ...] = ()  # the labels (indices into label_names) whose rows are anomalies

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


def _standardise(X: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardise every row with the training rows' mean and spread only: (X_std, mean, scale)."""
    scaler = StandardScaler().fit(X[train])
    return scaler.transform(X).astype(np.float32), scaler.mean_, scaler.scale_


