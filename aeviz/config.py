"""Frozen, hashable settings for data, model and training; they key caches and round-trip the URL (each
attribute's URL key, range and widget are declared once, in aeviz.fields)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataConfig:
    """Which dataset to load and how to split it; `table` names a session's own uploaded table (name "upload"):
    a key made of the session's id and the table's bytes, never written to a link."""

    name: str = "digits"
    seed: int = 42
    test_size: float = 0.2
    table: str = ""


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the autoencoder: variant, encoder widths, code size, activation.

    The decoder mirrors the encoder. Variant-specific knobs (noise, penalties, beta)
    live here too so that one config fully defines a model.
    """

    variant: str = "autoencoder"
    hidden: tuple[int, ...] = (32, 16)
    latent: int = 2
    activation: str = "relu"
    recon_loss: str = "mse"
    noise_std: float = 0.3
    mask_prob: float = 0.0
    sparsity: float = 1e-3
    sparse_hidden: bool = False
    contractive: float = 1e-3
    beta: float = 0.25  # β = 1 collapses a 2-D VAE on digits to one line (one unit pure noise); 0.25 keeps both


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and loop settings: Adam learning rate, epochs, batch size, seed."""

    lr: float = 1e-3
    epochs: int = 100
    batch_size: int = 128
    seed: int = 42
    snapshot_every: int = 5


DEFAULTS = (DataConfig(), ModelConfig(), TrainConfig())
