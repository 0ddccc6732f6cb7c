"""What a training costs before it starts: an estimate of its CPU seconds from the settings together
(parameters x samples x epochs, optimiser steps, a factor per variant), checked against one limit a
deployment sets, so no link or setting can take a shared server from everyone else.

The constants were measured on one core of the development machine (torch 2.13 CPU); they only need
to be right within a factor of two or so, since the limit is meant to stop hours, not seconds.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .config import ModelConfig, TrainConfig
from .models import VARIANTS, layer_table

SECONDS_PER_PARAM_SAMPLE = 0.15e-9  # forward + backward + Adam, per parameter and training sample (large nets)
SECONDS_PER_STEP = 0.3e-3  # fixed cost of one optimiser step on the hand-written path
# A hard cap on one network's size whatever the seconds: the budget bounds time, this bounds bytes. A run
# holds six copies of its parameters (weights, gradient, Adam's two moments, its scratch and the rollback:
# Trainer.nbytes), so 1.2 million parameters are at most ~29 MB, and the run store (AEVIZ_CACHE_MB, 200 MB)
# keeps at least six of the largest runs. It admits the 784-512-256-32 autoencoder of the 28x28 lessons
# (1,083,696 parameters, ~13 s estimated for 20 epochs of 4,000 images).
MAX_PARAMS = 1_200_000
DEFAULT_SECONDS = 60.0  # AEVIZ_TRAIN_BUDGET_S when unset


def limit_seconds() -> float:
    """The most estimated CPU seconds one training may cost on this server: AEVIZ_TRAIN_BUDGET_S, default 60."""
    try:
        value = float(os.environ.get("AEVIZ_TRAIN_BUDGET_S", DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS
    return value if math.isfinite(value) and value > 0 else DEFAULT_SECONDS


@dataclass(frozen=True)
class Cost:
    """The estimate for one training: parameters, seconds per epoch and in total."""

    params: int
    epoch_seconds: float
    epochs: int

    @property
    def seconds(self) -> float:
        """Estimated CPU seconds of the whole run."""
        return self.epoch_seconds * self.epochs


def training_cost(model_cfg: ModelConfig, train_cfg: TrainConfig, n_train: int, n_features: int) -> Cost:
    """The estimated cost of training `model_cfg` for `train_cfg` on `n_train` samples of `n_features`."""
    params = sum(row["params"] for row in layer_table(model_cfg, n_features))
    steps = math.ceil(n_train / max(1, train_cfg.batch_size))
    epoch_factor, step_factor = VARIANTS[model_cfg.variant].cost_factors(model_cfg)  # the variant's own
    epoch = (n_train * params * SECONDS_PER_PARAM_SAMPLE * epoch_factor + steps * SECONDS_PER_STEP * step_factor)
    return Cost(params=params, epoch_seconds=epoch, epochs=max(0, train_cfg.epochs))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def over_budget(model_cfg: ModelConfig, train_cfg: TrainConfig, n_train: int, n_features: int,
                limit: float | None = None) -> str | None:
    """None if these settings fit the server's budget, else a message that says what to lower."""
    limit = limit_seconds() if limit is None else limit
    cost = training_cost(model_cfg, train_cfg, n_train, n_features)
    if cost.params > MAX_PARAMS:
        return (f"This network has {cost.params:,} parameters; this server trains at most {MAX_PARAMS:,}. "
                "Use fewer or narrower hidden layers (e.g. 512-256) or a smaller latent size.")
    if cost.seconds <= limit:
        return None
    fit_epochs = int(limit // cost.epoch_seconds) if cost.epoch_seconds > 0 else train_cfg.epochs
    advice = []
    if fit_epochs >= 10:
        advice.append(f"lower the epochs to {fit_epochs} or fewer")
    if train_cfg.batch_size < 64:
        advice.append(f"raise the batch size (now {train_cfg.batch_size}; 128 takes far fewer steps)")
    if model_cfg.variant == "contractive" and model_cfg.latent > 4:
        advice.append(f"lower the latent size (the contractive penalty costs one extra pass per code unit, "
                      f"{model_cfg.latent} here)")
    if cost.params > 50_000 or fit_epochs < 10:
        advice.append(f"use narrower hidden layers (this network has {cost.params:,} parameters)")
    return (f"These settings would take about {_duration(cost.seconds)} of CPU to train, and this server allows "
            f"{_duration(limit)} per training, shared with everyone using it. To fit, "
            + "; or ".join(advice) + ".")
