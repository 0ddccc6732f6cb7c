"""A run: what one training (or one uploaded file) leaves behind, as every page sees it.

A `Run` is a frozen record: the three configs, the dataset it was trained on, a copy of the trained
model that nothing trains further, the loss history, the latent snapshots and an `id`. A Trainer
produces one (`Run.from_trainer`), an upload produces one (`aeviz.io.restored_run`), and so does the
Train page's live run when it finishes. Anything computed from a run is cached under `run.id`.

The id is a hash of the settings for the server's shared training of them (the same settings train to
the same weights: the seed fixes every draw), and a hash of the content (settings, weights, history)
for everything else, so two uploads of different files never share an id.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Hashable

import numpy as np
import torch

from .config import DataConfig, ModelConfig, TrainConfig
from .datasets import Dataset
from .models import Autoencoder, build

if TYPE_CHECKING:
    from .train import Trainer


@dataclass(frozen=True, eq=False)
class Run:
    """One trained model and its record. Treat every field as read-only: runs are shared by sessions.

    `history` holds one dict per epoch (epoch, train_<term>, test_<term>, seconds); `snapshots` holds
    (epoch, codes of every sample); `train_loss` the eval-mode loss terms of the final model on the whole
    training split; `error` the divergence message, and `diverged` the rolled-back epoch's record.
    """

    data_cfg: DataConfig | None
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    data: Dataset  # the rows it was trained on (shared with other runs, not counted in nbytes)
    model: Autoencoder  # in eval mode; never trained again
    history: tuple[dict[str, float], ...]
    snapshots: tuple[tuple[int, np.ndarray], ...]
    id: str
    train_loss: dict[str, float]
    initial_loss: float = math.nan  # the untrained model's training loss (the loss curve starts there)
    seconds: float = 0.0  # training time
    error: str | None = None
    diverged: dict[str, float] | None = None

    @classmethod
    def from_trainer(cls, trainer: "Trainer", data_cfg: DataConfig | None = None, key: Hashable = None) -> "Run":
        """The record of `trainer` as it is now (its model copied, so further training does not change it);
        `key` names a shared training (the id is then a hash of it), else the id hashes the content."""
        model = copy_model(trainer.model, trainer.data)
        history = tuple(dict(r) for r in trainer.history)
        cfgs = (data_cfg, model.cfg, trainer.cfg)
        return cls(data_cfg, model.cfg, trainer.cfg, trainer.data, model, history, tuple(trainer.snapshots),
                   id=settings_id(key) if key is not None else content_id(cfgs, model, history),
                   train_loss=loss_terms(model, trainer.data.X_train) if history else {},
                   initial_loss=trainer.initial_loss, seconds=trainer.seconds, error=trainer.error,
                   diverged=trainer.diverged)

    @property
    def epoch(self) -> int:
        """Epochs completed (0 if none)."""
        return int(self.history[-1]["epoch"]) if self.history else 0

    @property
    def done(self) -> bool:
        """True if every epoch ran or training diverged (a live run recorded while paused is not done)."""
        return self.error is not None or self.epoch >= self.train_cfg.epochs

    def final(self, term: str = "recon") -> tuple[float, float]:
        """(train, test) value of a loss term for the final model, both over the whole split in eval mode."""
        if not self.history:
            return math.nan, math.nan
        return self.train_loss[term], self.history[-1][f"test_{term}"]

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Codes of the rows of X (n, features) -> (n, latent); μ for a VAE."""
        with torch.no_grad():
            return self.model.encode(torch.from_numpy(np.asarray(X, dtype=np.float32))).numpy()

    def nbytes(self) -> int:
        """Bytes this run holds of its own (weights, snapshots, history); the dataset is shared, not counted."""
        weights = sum(p.numel() * p.element_size() for p in self.model.state_dict().values())
        return weights + sum(codes.nbytes for _, codes in self.snapshots) + 200 * len(self.history)


def copy_model(model: Autoencoder, data: Dataset) -> Autoencoder:
    """A fresh model of the same settings holding a copy of `model`'s weights, in eval mode."""
    fresh = build(model.cfg, data)
    fresh.load_state_dict(model.state_dict())
    return fresh.eval()


def loss_terms(model: Autoencoder, X: np.ndarray) -> dict[str, float]:
    """Every loss term of `model` over the rows of X (n, features), in eval mode."""
    model.eval()
    with torch.no_grad():
        return {k: float(v) for k, v in model.loss(torch.from_numpy(X)).items()}


def settings_id(key: Hashable) -> str:
    """The id of the shared training named by `key` (its settings): stable across sessions and restarts."""
    return "shared-" + hashlib.blake2b(repr(key).encode(), digest_size=10).hexdigest()


def content_id(cfgs: tuple, model: Autoencoder, history: tuple[dict, ...]) -> str:
    """An id that hashes what a run holds (settings, every weight, the losses of its history; not the
    seconds it took, so the same training gives the same id)."""
    h = hashlib.blake2b(repr(cfgs).encode(), digest_size=10)
    for name, value in model.state_dict().items():
        h.update(name.encode())
        h.update(value.detach().contiguous().numpy().tobytes())
    h.update(repr([{k: v for k, v in r.items() if k != "seconds"} for r in history]).encode())
    return "run-" + h.hexdigest()
