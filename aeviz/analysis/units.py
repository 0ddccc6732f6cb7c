"""What each unit learned: latent traversals (one code unit swept, the others at the mean), the encoder's
first-layer weights as images, and a VAE's sampling step by step (μ, σ, ε, z = μ + σ·ε and its loss's terms
per code unit). Pure functions over trained models and arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models import Autoencoder, VariationalAutoencoder
from ..datasets import Dataset
from .core import decode, encode
from .latent_map import decoder_layers

STEPS_MIN, STEPS_MAX, STEPS_DEFAULT = 3, 15, 9  # decodings per traversal row (the browser's slider)
SPAN = 3.0  # a traversal sweeps each unit over ±SPAN of its training codes' standard deviation


@dataclass(frozen=True)
class Traversal:
    """A traversal: `offsets` (steps,) in standard deviations, `Z` (latent, steps, latent) the codes,
    `X` (latent, steps, features) their decodings, `mean` and `std` (latent,) of the training codes."""

    offsets: np.ndarray
    Z: np.ndarray
    X: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def code_stats(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit mean and standard deviation (latent,) of codes (n, latent), float32; a constant unit's std is 1."""
    codes = np.asarray(codes, dtype=np.float64)
    std = codes.std(axis=0)
    return codes.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)


def offsets(steps: int, span: float = SPAN) -> np.ndarray:
    """`steps` evenly spaced offsets from −span to +span (float64), as the browser computes them."""
    steps = max(2, int(steps))
    return np.array([-span + 2 * span * i / (steps - 1) for i in range(steps)])


def traversal_codes(mean: np.ndarray, std: np.ndarray, steps: int, span: float = SPAN) -> np.ndarray:
    """The codes (latent, steps, latent): row j is the mean with unit j at mean_j + t·std_j for each offset t."""
    mean, std = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    k, t = mean.size, offsets(steps, span)
    Z = np.tile(mean, (k, t.size, 1))  # (latent, steps, latent)
    for j in range(k):
        Z[j, :, j] = mean[j] + t * std[j]
    return Z.astype(np.float32)


def traversal(model: Autoencoder, codes: np.ndarray, steps: int = STEPS_DEFAULT, span: float = SPAN) -> Traversal:
    """Every code unit swept over ±span standard deviations of `codes` (n, latent) in `steps` steps, the other
    units at their mean, and each code decoded by `model`."""
    mean, std = code_stats(codes)
    Z = traversal_codes(mean, std, steps, span)  # (latent, steps, latent)
    k, s, _ = Z.shape
    X = decode(model, Z.reshape(k * s, k)).reshape(k, s, -1)  # (latent, steps, features)
    return Traversal(offsets(steps, span), Z, X, mean, std)


def traversal_payload(model: Autoencoder, data: Dataset) -> dict:
    """What the browser's traversal view needs, once per run: the decoder's layers (exact float32), the training
    codes' per-unit mean and standard deviation, and how a decoding is drawn (an image of the dataset's shape, or
    a profile over its features between their training minimum and maximum)."""
    X = data.X_train  # (n_train, features)
    mean, std = code_stats(encode(model, X))
    out = {"decoder": decoder_layers(model), "mean": mean.astype(float).tolist(), "std": std.astype(float).tolist(),
           "kind": "image" if data.kind == "image" else "profile", "span": SPAN,
           "steps": STEPS_DEFAULT, "steps_min": STEPS_MIN, "steps_max": STEPS_MAX}
    if data.kind == "image":
        out["shape"] = [int(v) for v in data.image_shape]
    else:
        out["names"] = [str(s) for s in data.feature_names]
        out["lo"] = X.min(axis=0).astype(float).tolist()
        out["hi"] = X.max(axis=0).astype(float).tolist()
    return out


def row_change(tr: Traversal) -> np.ndarray:
    """How much each row's decoding changes from one end of the sweep to the other (latent,): the RMS difference."""
    return np.sqrt(((tr.X[:, -1] - tr.X[:, 0]) ** 2).mean(axis=1))


# ---------------------------------------------------------------- first-layer weights


def first_linear(model: Autoencoder) -> nn.Linear:
    """The encoder's first dense layer."""
    return next(m for m in model.encoder if isinstance(m, nn.Linear))


def weight_tiles(model: Autoencoder, image_shape) -> np.ndarray:
    """The encoder's first layer's weights as images (units, rows, cols): tile u is what hidden unit u weighs
    each input pixel by. ValueError when the input is not an image of `image_shape`."""
    w = first_linear(model).weight.detach().cpu().numpy()  # (units, features)
    rows, cols = (int(v) for v in image_shape)
    if w.shape[1] != rows * cols:
        raise ValueError(f"The first layer has {w.shape[1]} inputs, not a {rows}×{cols} image.")
    return w.reshape(w.shape[0], rows, cols).copy()


def border_mask(image_shape, width: int = 2) -> np.ndarray:
    """True on the pixels within `width` of an image's edge (rows, cols)."""
    rows, cols = (int(v) for v in image_shape)
    m = np.zeros((rows, cols), bool)
    m[:width], m[-width:], m[:, :width], m[:, -width:] = True, True, True, True
    return m


def never_lit(X: np.ndarray, image_shape) -> np.ndarray:
    """The pixels (rows, cols) that are 0 in every row of X (n, features): a first-layer weight on one gets no
    gradient, so it keeps its starting value."""
    return (np.abs(np.asarray(X)) == 0).all(axis=0).reshape(tuple(int(v) for v in image_shape))


# ---------------------------------------------------------------- a VAE's sampling, step by step


def kl_per_unit(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(μ, σ²) ‖ N(0, 1)) of each code unit: ½(μ² + σ² − 1 − log σ²), elementwise."""
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)


def sampling_step(model: VariationalAutoencoder, x: np.ndarray, *, seed: int = 0) -> dict:
    """One sample x (features,) through a VAE's sampling: μ, σ and log σ² (latent,), a draw ε ~ N(0, I) (seeded),
    z = μ + σ·ε, the decodings of μ and of z (features,), and the loss's terms for this sample as the model
    computes them in training: recon (the reconstruction loss of z's decoding), kl_units (latent,) in nats,
    kl (their sum over the feature count, the model's scale), beta and total = recon + β·kl."""
    if not isinstance(model, VariationalAutoencoder):
        raise ValueError("The sampling view needs a VAE (the variational variant).")
    model.eval()
    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, np.float32)).reshape(1, -1)  # (1, features)
        mu, logvar = model.encode_stats(xt)  # (1, latent) each
        eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(int(seed)))  # (1, latent)
        sigma = torch.exp(0.5 * logvar)
        z = mu + sigma * eps  # (1, latent)
        x_z, x_mu = model.decode(z), model.decode(mu)  # (1, features) each
        recon = float(model.reconstruction_loss(x_z, xt))
    units = kl_per_unit(mu.numpy()[0], logvar.numpy()[0])
    kl = float(units.sum() / model.n_features)
    beta = float(model.cfg.beta)
    return {"mu": mu.numpy()[0], "sigma": sigma.numpy()[0], "logvar": logvar.numpy()[0], "eps": eps.numpy()[0],
            "z": z.numpy()[0], "x_mu": x_mu.numpy()[0], "x_z": x_z.numpy()[0], "recon": recon,
            "kl_units": units, "kl": kl, "beta": beta, "total": recon + beta * kl}


def posterior_stats(model: VariationalAutoencoder, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """μ, σ and log σ² (n, latent) of every row of X (n, features)."""
    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode_stats(torch.as_tensor(np.asarray(X, np.float32)))  # (n, latent) each
    return mu.numpy(), torch.exp(0.5 * logvar).numpy(), logvar.numpy()


def mean_kl_per_unit(model: VariationalAutoencoder, X: np.ndarray) -> np.ndarray:
    """Each code unit's KL (latent,) averaged over the rows of X."""
    mu, _, logvar = posterior_stats(model, X)
    return kl_per_unit(mu, logvar).mean(axis=0)
