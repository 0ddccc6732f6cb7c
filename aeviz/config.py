"""Frozen, hashable settings for data, model and training; they key caches and round-trip the URL."""

from __future__ import annotations

import math
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

# Each dataset's own starting model and training, where it differs from the global defaults above.
# gw: the lesson's worked example (16 features into 64 units: 16 x 64 + 64 = 1,088 parameters).
DATASET_DEFAULTS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    "gw": (ModelConfig(hidden=(64, 32)), TrainConfig(epochs=120)),
    # swiss roll: wider tanh layers and a faster rate pull the roll's layers apart (measured in the tests)
    "swiss_roll": (ModelConfig(hidden=(64, 32), activation="tanh"), TrainConfig(lr=1e-2, epochs=200, batch_size=64)),
}


def defaults_for(name: str) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The default (data, model, training) configs of the dataset `name` (the global ones if it has none)."""
    model, train = DATASET_DEFAULTS.get(name, DEFAULTS[1:])
    return DataConfig(name=name), model, train

_PREFIX = {DataConfig: "d_", ModelConfig: "m_", TrainConfig: "t_"}


def _encode(value: Any) -> str:
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return str(value)


# The values a link may set (inclusive; for hidden, each width): the ranges the sidebar offers. A value
# outside its range, not a finite number, or not a number at all leaves the field at its default.
LIMITS: dict[str, tuple[float, float]] = {
    "d_seed": (0, 10**6), "d_test_size": (0.05, 0.95),
    "m_hidden": (1, 1024), "m_latent": (1, 64), "m_noise_std": (0.0, 1.0), "m_mask_prob": (0.0, 0.9),
    "m_sparsity": (0.0, 1.0), "m_contractive": (0.0, 1.0), "m_beta": (0.0, 4.0),
    "t_lr": (1e-4, 10.0), "t_epochs": (1, 1000), "t_batch_size": (8, 2048), "t_seed": (0, 10**6),
    "t_snapshot_every": (1, 1000),
}
MAX_HIDDEN_LAYERS = 6


def _decode(text: str, like: Any, key: str = "") -> Any:
    """`text` read as the type of `like`; ValueError saying why if it is malformed, not finite, or
    outside LIMITS[key]."""
    if isinstance(like, tuple):
        value = tuple(int(v) for v in text.split("-") if v.strip())
        if len(value) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"more than {MAX_HIDDEN_LAYERS} hidden layers")
        numbers = value
    elif isinstance(like, bool):
        return text.lower() in ("1", "true", "yes")
    else:
        value = type(like)(text)
        numbers = (value,) if isinstance(value, (int, float)) else ()
    lo, hi = LIMITS.get(key, (-math.inf, math.inf))
    for v in numbers:
        if not math.isfinite(v):
            raise ValueError("not a finite number")
        if not lo <= v <= hi:
            raise ValueError(f"outside {lo:g} to {hi:g}")
    return value


def _refusals(params: Mapping[str, str], cls: type) -> tuple[dict[str, Any], list[str]]:
    """(the fields the query sets, one sentence per value it sets that was refused)."""
    default = _default_of(cls, _dataset_of(params))
    prefix = _PREFIX[cls]
    changes: dict[str, Any] = {}
    refused: list[str] = []
    for f in fields(cls):
        key = prefix + f.name
        if key in params:
            text = str(params[key])
            try:
                changes[f.name] = _decode(text, getattr(default, f.name), key)
            except (TypeError, ValueError, OverflowError) as exc:
                reason = str(exc) if str(exc).startswith(("not a", "outside", "more than")) else "not understood"
                shown = text if len(text) <= 24 else text[:24] + "…"
                refused.append(f"The link's {key}={shown} was ignored ({reason}); "
                               f"the default {_encode(getattr(default, f.name)) or 'none'} is used.")
    return changes, refused


def _dataset_of(params: Mapping[str, str]) -> str:
    """The dataset a query names (the default one if it names none)."""
    return str(params.get(_PREFIX[DataConfig] + "name", DataConfig().name))


def _default_of(cls: type, dataset: str) -> Any:
    """The default instance of a config class for a dataset (data configs use the global default)."""
    if cls is DataConfig:
        return DataConfig()
    data, model, train = defaults_for(dataset)
    return model if cls is ModelConfig else train


def to_query(*configs: Any) -> dict[str, str]:
    """Flatten configs to URL query parameters, keeping only values that differ from the defaults of
    the dataset the configs name (so a link without m_hidden on gw means gw's own widths)."""
    dataset = next((c.name for c in configs if isinstance(c, DataConfig)), DataConfig().name)
    out: dict[str, str] = {}
    for cfg in configs:
        default = _default_of(type(cfg), dataset)
        prefix = _PREFIX[type(cfg)]
        for f in fields(cfg):
            value = getattr(cfg, f.name)
            if value != getattr(default, f.name):
                out[prefix + f.name] = _encode(value)
    return out


def from_query(params: Mapping[str, str], cls: type) -> Any:
    """Rebuild one config class from query parameters; missing values take the defaults of the dataset
    the parameters name; unknown, malformed, non-finite or out-of-range values keep those defaults too."""
    return replace(_default_of(cls, _dataset_of(params)), **_refusals(params, cls)[0])


def query_problems(params: Mapping[str, str]) -> list[str]:
    """One sentence per setting in the query that from_query refused (and so left at its default)."""
    return [msg for cls in _PREFIX for msg in _refusals(params, cls)[1]]
