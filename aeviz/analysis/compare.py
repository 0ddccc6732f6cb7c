"""Comparisons between variants and with classical methods: linear AE vs PCA, swiss roll, code usefulness,
sparsity, denoising, contraction, and AE vs VAE hole fractions (pure functions over arrays and models)."""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..models import Autoencoder
from .core import decode, encode, reconstruct

# ---------------------------------------------------------------- linear autoencoder vs PCA


def fit_pca(X: np.ndarray, n_components: int) -> PCA:
    """scikit-learn's PCA with `n_components` fitted on X (n, features)."""
    return PCA(n_components=n_components).fit(np.asarray(X, dtype=np.float64))


def decoder_basis(model: Autoencoder) -> np.ndarray:
    """Columns (features, latent) spanning what a linear decoder adds to its output at z = 0.

    For a linear autoencoder decode(z) = W z + b, so decode(e_j) − decode(0) is W's column j.
    """
    d = model.cfg.latent
    out = decode(model, np.vstack([np.zeros((1, d)), np.eye(d)]))  # (1 + latent, features)
    return (out[1:] - out[0]).T.astype(np.float64)  # (features, latent)


def principal_angles(model: Autoencoder, pca: PCA) -> np.ndarray:
    """Principal angles in degrees (latent,) between the decoder's column space and PCA's top-d subspace."""
    return np.degrees(subspace_angles(decoder_basis(model), pca.components_.T))


def pca_reconstruct(pca: PCA, X: np.ndarray) -> np.ndarray:
    """Project X (n, features) on PCA's subspace and back: PCA's reconstruction (n, features)."""
    return pca.inverse_transform(pca.transform(np.asarray(X, dtype=np.float64))).astype(np.float32)


def mse(X: np.ndarray, X_hat: np.ndarray) -> float:
    """Mean squared error over every entry."""
    return float(np.mean((np.asarray(X, dtype=np.float64) - X_hat) ** 2))


# ---------------------------------------------------------------- is the code useful?


def _auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_true, proba[:, 1]))
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="macro"))


def probe_auc(F_train: np.ndarray, y_train: np.ndarray, F_test: np.ndarray, y_test: np.ndarray,
              seed: int = 0) -> float:
    """Macro one-vs-rest ROC-AUC on the test rows of a standardised logistic regression fitted on the train rows."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(F_train, y_train)
    return _auc(y_test, clf.predict_proba(F_test))


def code_usefulness(model: Autoencoder, data, seed: int = 0) -> dict[str, float]:
    """Probe AUC on the raw features and on the codes (same split), with both dimensions."""
    codes = encode(model, data.X)  # (n, latent)
    tr, te = data.train_idx, data.test_idx
    return {
        "raw_auc": probe_auc(data.X[tr], data.y[tr], data.X[te], data.y[te], seed),
        "code_auc": probe_auc(codes[tr], data.y[tr], codes[te], data.y[te], seed),
        "raw_dims": data.n_features,
        "code_dims": codes.shape[1],
    }


# ---------------------------------------------------------------- sparsity, denoising, contraction


def bottleneck_activations(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    """Every code activation of X, divided by the largest in absolute value: (n * latent,) in [-1, 1].

    Dividing by the model's own scale keeps the comparison honest: an L1 penalty could otherwise
    "win" by shrinking every code and letting the decoder's weights grow to compensate.
    """
    h = encode(model, X).reshape(-1)
    return h / max(float(np.abs(h).max()), 1e-12)


def near_zero_share(activations: np.ndarray, tol: float = 0.05) -> float:
    """Share of (scaled) activations with |h| < tol."""
    return float(np.mean(np.abs(activations) < tol))


def corrupt(X: np.ndarray, noise_std: float, mask_prob: float = 0.0, seed: int = 0) -> np.ndarray:
    """The denoising corruption on NumPy arrays: Gaussian noise of std σ, then masking with probability p."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float32)
    out = X + noise_std * rng.standard_normal(X.shape).astype(np.float32)
    if mask_prob > 0:
        out = out * (rng.random(X.shape) >= mask_prob)
    return out.astype(np.float32)


def denoising_error(model: Autoencoder, X_noisy: np.ndarray, X_clean: np.ndarray) -> float:
    """MSE between the model's output on noisy inputs and the clean inputs."""
    return mse(X_clean, reconstruct(model, X_noisy))


def jacobian_penalty(model: Autoencoder, X: np.ndarray) -> float:
    """Mean over rows of ‖∂encode(x)/∂x‖²_F, exact by autograd, for any variant (μ for a VAE)."""
    model.eval()
    x = torch.as_tensor(np.asarray(X, dtype=np.float32)).requires_grad_(True)  # (n, features)
    with torch.enable_grad():
        h = model.encode(x)  # (n, latent)
        total = 0.0
        for j in range(h.shape[1]):
            (g,) = torch.autograd.grad(h[:, j].sum(), x, retain_graph=True)  # (n, features)
            total += float((g**2).sum())
    return total / x.shape[0]


# ---------------------------------------------------------------- AE vs VAE: holes and sampling


def prior_samples(n: int, latent: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """n draws (n, latent) from N(0, scale² I), seeded."""
    return (scale * np.random.default_rng(seed).standard_normal((n, latent))).astype(np.float32)


@torch.no_grad()
def decoder_training_codes(model: Autoencoder, X: np.ndarray, seed: int = 0) -> np.ndarray:
    """The codes (n, latent) the decoder sees in training: the code itself, or z = μ + σ·ε for a VAE."""
    model.eval()
    x = torch.as_tensor(np.asarray(X, dtype=np.float32))  # (n, features)
    if not hasattr(model, "encode_stats"):
        return model.encode(x).numpy().astype(np.float64)
    mu, logvar = model.encode_stats(x)  # (n, latent) each
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))  # (n, latent)
    return (mu + torch.exp(0.5 * logvar) * eps).numpy().astype(np.float64)


def nearest_distance(codes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance (m,) from each point to its nearest code."""
    dist, _ = NearestNeighbors(n_neighbors=1).fit(codes).kneighbors(points)
    return dist[:, 0]


def prior_radius(n_codes: int, latent: int, factor: float = 3.0, seed: int = 0) -> float:
    """The radius rule: `factor` times the median nearest-neighbour gap of n_codes draws from N(0, I),
    i.e. of codes that filled the prior perfectly. One radius for every model of that size."""
    z = prior_samples(n_codes, latent, 1.0, seed).astype(np.float64)
    dist, _ = NearestNeighbors(n_neighbors=2).fit(z).kneighbors(z)
    return factor * float(np.median(dist[:, 1]))


def prior_holes(codes: np.ndarray, n: int = 1000, seed: int = 0) -> dict:
    """Draw n points from N(0, I) and mark those farther than the prior radius from every code.

    Returns the samples (n, latent), their hole mask (n,), the radius and the hole fraction.
    """
    samples = prior_samples(n, codes.shape[1], 1.0, seed)
    radius = prior_radius(len(codes), codes.shape[1])
    holes = nearest_distance(codes, samples) > radius
    return {"samples": samples, "holes": holes, "radius": radius, "fraction": float(holes.mean())}
