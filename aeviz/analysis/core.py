"""Running a trained model on NumPy arrays: codes, decodings, per-sample errors, layer activations."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import Autoencoder


def _tensor(X: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(X, dtype=np.float32))


@torch.no_grad()
def encode(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    """Codes (n, latent) of inputs X (n, features); the mean μ for a VAE."""
    model.eval()
    return model.encode(_tensor(X)).numpy()


@torch.no_grad()
def decode(model: Autoencoder, Z: np.ndarray) -> np.ndarray:
    """Decodings (n, features) of codes Z (n, latent)."""
    model.eval()
    return model.decode(_tensor(Z)).numpy()


@torch.no_grad()
def reconstruct(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    """Reconstructions (n, features) of X through the bottleneck (no noise, no sampling)."""
    model.eval()
    return model(_tensor(X)).numpy()


def reconstruction_errors(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    """Mean squared error of each row of X (n,) against its reconstruction."""
    X = np.asarray(X, dtype=np.float32)
    return ((reconstruct(model, X) - X) ** 2).mean(axis=1)


def _stages(seq: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """Outputs of each Linear layer after its activation (one per layer of the hourglass)."""
    outs = []
    modules = list(seq)
    for i, m in enumerate(modules):
        x = m(x)
        nxt = modules[i + 1] if i + 1 < len(modules) else None
        if nxt is None or isinstance(nxt, nn.Linear):
            outs.append(x)
    return outs


@torch.no_grad()
def layer_activations(model: Autoencoder, x: np.ndarray) -> list[np.ndarray]:
    """Activations of one sample x (features,) at every layer: input, hidden, code, ..., output.

    One array per row of `models.layer_table`, so the forward pass can be drawn layer by layer.
    """
    model.eval()
    xt = _tensor(x).reshape(1, -1)  # (1, features)
    enc = _stages(model.encoder, xt)[:-1]  # hidden encoder layers
    z = model.encode(xt)  # (1, latent): μ for a VAE
    dec = _stages(model.decoder, z)
    return [a.reshape(-1).numpy().copy() for a in (xt, *enc, z, *dec)]
