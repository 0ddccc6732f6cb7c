"""Comparisons between variants and with classical methods: linear AE vs PCA, swiss roll, code usefulness,
sparsity, denoising, contraction, and AE vs VAE hole fractions (pure functions over arrays and models)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from scipy.linalg import subspace_angles
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..budget import over_budget
from ..config import ModelConfig, TrainConfig
from ..models import Autoencoder, build
from ..train import Trainer
from . import latent as latent_mod
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


LINEAR_MAX_EPOCHS = 2000  # the comparison trains at most this long
LINEAR_SAME_DEG = 2.0  # largest principal angle counted as "the same subspace" (minibatch noise sits near 1-2°)
LINEAR_STILL_DEG = 1.0  # ... or the angle has stopped moving: it changed less than this
LINEAR_WINDOW = 200  # ... over this many epochs


def linear_config(model_cfg: ModelConfig) -> ModelConfig:
    """The sidebar's architecture as a linear autoencoder trained on MSE (the loss PCA minimises)."""
    return replace(model_cfg, variant="linear", recon_loss="mse")


def linear_within_budget(model_cfg: ModelConfig, train_cfg: TrainConfig, n_train: int, n_features: int,
                         limit: float | None = None) -> ModelConfig:
    """The linear autoencoder the comparison trains: the sidebar's widths when LINEAR_MAX_EPOCHS of them fit
    the training budget, else one layer each way (input → code → input). Stacked linear layers compose to one
    linear map, so either spans the same family of subspaces; at 784 inputs only the shallow one fits."""
    cfg = linear_config(model_cfg)
    epochs = replace(train_cfg, epochs=LINEAR_MAX_EPOCHS)
    if cfg.hidden and over_budget(cfg, epochs, n_train, n_features, limit) is not None:
        return replace(cfg, hidden=())
    return cfg


def train_linear(data, model_cfg: ModelConfig, train_cfg: TrainConfig, *, max_epochs: int = LINEAR_MAX_EPOCHS,
                 check_every: int = 10, same_deg: float = LINEAR_SAME_DEG, still_deg: float = LINEAR_STILL_DEG,
                 window: int = LINEAR_WINDOW, error_tol: float = 0.01) -> dict:
    """Train a linear autoencoder until it has converged to PCA's subspace, bounded by `max_epochs`.

    Every `check_every` epochs it records the principal angles to PCA's top-d subspace (fitted on the
    training rows) and the training error against PCA's. It stops when the largest angle is below
    `same_deg`, or has moved less than `still_deg` over the last `window` epochs while the training error is
    within `error_tol` of PCA's (the best any linear code can do), or at `max_epochs`.
    Returns the trainer, the trace (epoch, angles, train error / PCA's) and why it stopped.
    """
    cfg = linear_config(model_cfg)
    pca = fit_pca(data.X_train, cfg.latent)
    pca_train = mse(data.X_train, pca_reconstruct(pca, data.X_train))
    t = replace(train_cfg, epochs=max_epochs, snapshot_every=max_epochs)  # no per-epoch code snapshots
    trainer = Trainer(build(cfg, data, seed=train_cfg.seed), data, t)
    trace = [{"epoch": 0, "angles": principal_angles(trainer.model, pca),
              "error_ratio": mse(data.X_train, reconstruct(trainer.model, data.X_train)) / max(pca_train, 1e-12)}]
    reason = "max_epochs"
    while not trainer.done:
        trainer.step(check_every)
        if not trainer.history or trainer.error:
            reason = "diverged"
            break
        trace.append({"epoch": trainer.epoch, "angles": principal_angles(trainer.model, pca),
                      "error_ratio": trainer.history[-1]["train_recon"] / max(pca_train, 1e-12)})
        largest = [float(r["angles"].max()) for r in trace if r["epoch"] >= trainer.epoch - window]
        if largest[-1] <= same_deg:
            reason = "same_subspace"
            break
        settled = trace[-1]["error_ratio"] <= 1 + error_tol  # a plateau far above PCA's error is not the end
        if settled and trainer.epoch >= window and max(largest) - min(largest) < still_deg:
            reason = "stopped_moving"
            break
    trainer.model.eval()
    return {"trainer": trainer, "trace": trace, "reason": reason, "epochs": trainer.epoch}


# ---------------------------------------------------------------- the line, by hand

TOY_W = np.array([1.0, 0.9]) / 1.81  # the hand-made encoder: z = w · x
TOY_V = np.array([1.0, 0.9])  # the hand-made decoder: x̂ = v z
TOY_POINTS = np.array([[2.0, 1.8], [2.0, 2.4]])  # on the line, and 0.6 above it
TOY_MODEL = ModelConfig(variant="linear", hidden=(), latent=1)  # one weight vector each way, as by hand
TOY_TRAIN = TrainConfig(lr=3e-2, batch_size=512, epochs=800)  # full batch: 800 steps reach the optimum


def _toy_rows(encode_fn, decode_fn) -> list[dict]:
    rows = []
    for x in TOY_POINTS:
        z = float(encode_fn(x))
        x_hat = decode_fn(z)
        sq = (x - x_hat) ** 2
        rows.append({"x": x, "z": z, "x_hat": x_hat, "sq_error": float(sq.sum()), "mean_error": float(sq.mean())})
    return rows


def line_toy(model: Autoencoder) -> dict:
    """The line's worked example: the hand-made w = (1, 0.9)/1.81, v = (1, 0.9) and a trained one-layer linear
    autoencoder (z = w·x + b, x̂ = v z + c) on the same two points, with each pair's projection matrix v wᵀ."""
    enc, dec = model.encoder[0], model.decoder[0]
    w = enc.weight.detach().numpy()[0].astype(np.float64)  # (2,)
    b = float(enc.bias.detach()[0])
    v = dec.weight.detach().numpy()[:, 0].astype(np.float64)  # (2,)
    c = dec.bias.detach().numpy().astype(np.float64)  # (2,)
    direction = TOY_V / np.linalg.norm(TOY_V)
    cos = abs(float(v @ direction)) / max(float(np.linalg.norm(v)), 1e-12)
    return {
        "hand": {"w": TOY_W, "v": TOY_V, "projection": np.outer(TOY_V, TOY_W),
                 "rows": _toy_rows(lambda x: TOY_W @ x, lambda z: TOY_V * z)},
        "trained": {"w": w, "b": b, "v": v, "c": c, "projection": np.outer(v, w),
                    "rows": _toy_rows(lambda x: w @ x + b, lambda z: v * z + c),
                    "angle_to_hand": float(np.degrees(np.arccos(min(1.0, cos))))},
    }


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
# The hole rule is the latent page's, whole (latent.py's module docstring): the same reference codes (the
# decoder's own training codes: sampled z for a VAE), the same standardised units and radius, the same draws.

decoder_training_codes = latent_mod.decoder_training_codes  # the reference codes of the one hole rule


# ---------------------------------------------------------------- one bundle of numbers per comparison


def to_plane(reference: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Codes as 2-D points: unchanged when 2-D, else on the reference codes' first two principal axes."""
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape[1] == 2:
        return [reference, *(np.asarray(a, dtype=np.float64) for a in arrays)]
    if reference.shape[1] == 1:
        return [np.hstack([a, np.zeros_like(a)]) for a in (reference, *arrays)]
    pca = PCA(n_components=2).fit(reference)
    return [pca.transform(a) for a in (reference, *arrays)]


def generator_view(model: Autoencoder, data, n_shown: int = 200, n_decoded: int = 8) -> dict:
    """How well Gaussian draws decode for this model, by the one hole rule (latent.model_hole_rate, its
    default draws): map codes, reference codes, the draws and their holes, eight decodings, test error."""
    mu = encode(model, data.X_train).astype(np.float64)  # (n_train, latent): μ for a VAE
    trained_on = latent_mod.decoder_training_codes(model, data.X_train)  # (n_train, latent)
    rate = latent_mod.model_hole_rate(model, data.X_train)
    is_vae = hasattr(model, "encode_stats")
    plane = to_plane(mu, trained_on, rate.Z[:n_shown])
    return {
        "codes": plane[0], "labels": data.y_train, "background": plane[1] if is_vae else None,
        "samples": plane[2], "holes": rate.holes[:n_shown], "hole_fraction": rate.fraction,
        "n_draws": len(rate.holes), "radius": rate.radius,
        "decoded": decode(model, rate.Z[:n_decoded]), "decoded_holes": rate.holes[:n_decoded],
        "unit_signal": latent_mod.unit_signal(model, data.X_train),
        "test_mse": mse(data.X_test, reconstruct(model, data.X_test)),
    }


def linear_vs_pca(model: Autoencoder, data, n_examples: int = 6) -> dict:
    """Principal angles, explained variance, both test errors and a few test reconstructions side by side."""
    d = model.cfg.latent
    pca = fit_pca(data.X_train, d)
    full = fit_pca(data.X_train, min(data.n_features, 10))
    X = data.X_test[:n_examples]
    return {
        "angles": principal_angles(model, pca),
        "explained": full.explained_variance_ratio_,
        "explained_d": float(pca.explained_variance_ratio_.sum()),
        "ae_mse": mse(data.X_test, reconstruct(model, data.X_test)),
        "pca_mse": mse(data.X_test, pca_reconstruct(pca, data.X_test)),
        "examples": {"input": X, "linear AE": reconstruct(model, X), "PCA": pca_reconstruct(pca, X)},
    }


def unrolling_scores(P: np.ndarray, position: np.ndarray, seed: int = 0) -> dict[str, float]:
    """How well a 2-D embedding P (n, 2) unrolls a sheet, against the true position along it (n,).

    `spearman`: the largest |Spearman rank correlation| between the position and P along any straight
    direction (1 means some straight line through the codes orders every point as the roll does: unrolled
    flat). `readout_r2`: the cross-validated R² of a 10-nearest-neighbour read-out of the position from P
    (near 1 means nearby codes have nearby positions, i.e. the layers are pulled apart, even if curled).
    """
    P = np.asarray(P, dtype=np.float64)
    position = np.asarray(position, dtype=np.float64)
    angles = np.linspace(0, np.pi, 180, endpoint=False)
    directions = np.stack([np.cos(angles), np.sin(angles)])  # (2, 180)
    rho = spearmanr(P @ directions, position[:, None]).statistic  # (181, 181): the last row is the position
    best = int(np.nanargmax(np.abs(rho[-1, :-1])))
    folds = KFold(5, shuffle=True, random_state=seed)
    r2 = cross_val_score(KNeighborsRegressor(10), P, position, cv=folds, scoring="r2").mean()
    return {"spearman": float(abs(rho[-1, best])), "direction_deg": float(np.degrees(angles[best])),
            "readout_r2": float(r2)}


ROLL_STRAIGHT = 0.9  # a straight direction this rank-correlated with the position: unrolled flat
ROLL_APART = 0.8  # a nearest-neighbour read-out this good: the layers are pulled apart


def roll_verdict(codes: dict[str, float], pca: dict[str, float]) -> str:
    """"unrolled" (straight), "apart_but_curled" (layers separated, not straight) or "fails" (mixes like PCA)."""
    if codes["spearman"] >= ROLL_STRAIGHT:
        return "unrolled"
    if codes["readout_r2"] >= max(ROLL_APART, pca["readout_r2"] + 0.1):
        return "apart_but_curled"
    return "fails"


def roll_views(model: Autoencoder, data) -> dict:
    """PCA's 2-D projection and the autoencoder's 2-D codes of every point, with the position along the roll
    and how well each unrolls it."""
    position = data.position if data.position is not None else data.y.astype(float)
    pca, codes = fit_pca(data.X, 2).transform(data.X), to_plane(encode(model, data.X))[0]
    scores = {"pca": unrolling_scores(pca, position), "codes": unrolling_scores(codes, position)}
    return {"pca": pca, "codes": codes, "position": position, "scores": scores,
            "verdict": roll_verdict(scores["codes"], scores["pca"])}


def sparsity_view(plain: Autoencoder, sparse: Autoencoder, X: np.ndarray, tol: float = 0.05) -> dict:
    """Scaled code activations of both models on X and the share of each near zero."""
    acts = {"λ = 0": bottleneck_activations(plain, X),
            f"λ = {sparse.cfg.sparsity:g}": bottleneck_activations(sparse, X)}
    return {"activations": acts, "shares": {k: near_zero_share(a, tol) for k, a in acts.items()}, "tol": tol}


def contraction_view(plain: Autoencoder, contractive: Autoencoder, X: np.ndarray) -> dict:
    """Jacobian penalty, code spread and reconstruction error of both models on X."""
    out = {}
    for name, m in (("plain", plain), ("contractive", contractive)):
        out[name] = {"jacobian": jacobian_penalty(m, X), "code_std": float(encode(m, X).std(axis=0).mean()),
                     "mse": mse(X, reconstruct(m, X))}
    return out


def denoising_view(plain: Autoencoder, denoising: Autoencoder, data, indices, noise_std: float,
                   mask_prob: float = 0.0, seed: int = 0) -> dict:
    """Noisy test inputs, both models' outputs on them, and both errors against the clean inputs (all test rows)."""
    clean = data.X_test
    noisy = corrupt(clean, noise_std, mask_prob, seed)
    idx = np.asarray(indices)
    return {
        "rows": {"clean": clean[idx], "noisy input": noisy[idx], "plain AE output": reconstruct(plain, noisy[idx]),
                 "denoising AE output": reconstruct(denoising, noisy[idx])},
        "plain_mse": denoising_error(plain, noisy, clean), "denoising_mse": denoising_error(denoising, noisy, clean),
        "noisy_mse": mse(clean, noisy),
    }
