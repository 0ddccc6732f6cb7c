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
    beta: float = 1.0


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


def _decode(text: str, like: Any) -> Any:
    if isinstance(like, tuple):
        return tuple(int(v) for v in text.split("-") if v.strip())
    if isinstance(like, bool):
        return text.lower() in ("1", "true", "yes")
    return type(like)(text)


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
    """Rebuild one config class from query parameters; missing, unknown or malformed values take the
    defaults of the dataset the parameters name."""
    default = _default_of(cls, str(params.get(_PREFIX[DataConfig] + "name", DataConfig().name)))
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
