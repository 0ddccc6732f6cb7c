"""Frozen, hashable settings for data, model and training; they key caches and round-trip the URL."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "leaky_relu")


@dataclass(frozen=True)
class DataConfig:
    """Which dataset to load and how to split it."""

    name: str = "digits"
    seed: int = 42
    test_size: float = 0.2


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

_PREFIX = {DataConfig: "d_", ModelConfig: "m_", TrainConfig: "t_"}


def _encode(value: Any) -> str:
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return str(value)


def _decode(text: str, like: Any) -> Any:
    if isinstance(like, tuple):
        return tuple(int(v) for v in text.split("-") if v.strip())
    if isinstance(like, bool):
        return text.lower() in ("1", "true", "yes")
    return type(like)(text)


def to_query(*configs: Any) -> dict[str, str]:
    """Flatten configs to URL query parameters, keeping only values that differ from defaults."""
    out: dict[str, str] = {}
    for cfg in configs:
        default = type(cfg)()
        prefix = _PREFIX[type(cfg)]
        for f in fields(cfg):
            value = getattr(cfg, f.name)
            if value != getattr(default, f.name):
                out[prefix + f.name] = _encode(value)
    return out


def from_query(params: Mapping[str, str], cls: type) -> Any:
    """Rebuild one config class from query parameters; unknown or malformed values keep defaults."""
    default = cls()
    prefix = _PREFIX[cls]
    changes: dict[str, Any] = {}
    for f in fields(cls):
        key = prefix + f.name
        if key in params:
            try:
                changes[f.name] = _decode(str(params[key]), getattr(default, f.name))
            except (TypeError, ValueError):
                continue
    return replace(default, **changes)
