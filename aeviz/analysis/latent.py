"""The latent space as a map: where the training codes sit, where the holes are, and what the
decoder makes of any point (clicked, on a grid, on a segment, or drawn from a Gaussian).

The one hole rule (every page, the sweep and the comparisons use it, through `CodeIndex`,
`default_radius` and `hole_rate`; `model_hole_rate` applies all of it to a trained model):

1. The reference codes are the codes the decoder was trained on: a plain autoencoder's codes, and for
   a VAE one sampled z = μ + σ·ε per training sample (seeded), since its decoder never saw μ alone.
2. Distances are measured in standardised units: each code unit minus its mean, divided by its standard
   deviation over the reference codes. That makes the rule independent of how large the codes happen
   to be, so models of any variant and any latent size are compared on the same footing.
3. Draws come from N(0, s² I) in those units (s = 1: a Gaussian exactly as wide as the codes, which for
   a VAE that fills its prior is the prior N(0, I) itself).
4. A point is *in a hole* when it is farther than r from every reference code, with r the 99th
   percentile of the reference codes' distances to their nearest other code: 99 % of the codes have a
   neighbour that close. If the codes filled the Gaussian evenly, only about 1 % of the draws would
   land in a hole, at any latent size; clusters, gaps and thin sheets push the fraction up.

Nothing in the reconstruction loss ‖x − x̂‖² says what the decoder should output in a hole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from ..config import ModelConfig, TrainConfig
from ..datasets import Dataset
from ..models import Autoencoder, build
from ..train import Trainer
from .core import decode, encode

SWEEP_SIZES = (2, 3, 4, 6, 8)
RADIUS_QUANTILE = 99.0  # r: this percentile of the reference codes' nearest-neighbour distances
HOLE_DRAWS = 1000  # draws per hole fraction, on every page
HOLE_SPREAD = 1.0  # s of N(0, s² I), in standardised units
HOLE_SEED = 0
REFERENCE_SEED = 0  # the ε of a VAE's reference codes z = μ + σ·ε

HOLE_RULE = (
    "A point is **in a hole** when it is farther than r from every code the decoder was trained on (for a VAE, "
    "one sampled z = μ + σ·ε per training sample). Distances are in standardised units — each code unit divided "
    "by its spread over those codes — so the rule means the same at every latent size and for every variant. "
    "r is the 99th percentile of the codes' distances to their nearest neighbour: if the codes filled a Gaussian "
    "evenly, only about 1 % of draws from it would land in a hole.")


@dataclass(frozen=True, eq=False)
class Plane:
    """A 2-D window onto the latent space: z = mean + a·u₁ + b·u₂ (the exact axes for latent ≤ 2)."""

    mean: np.ndarray  # (latent,)
    axes: np.ndarray  # (k, latent), k = min(2, latent), orthonormal rows
    explained: np.ndarray | None = None  # (k,) PCA explained-variance ratio; None when exact

    @property
    def latent(self) -> int:
        """Size of the latent space the plane lives in."""
        return self.mean.size

    @property
    def exact(self) -> bool:
        """True when the plane is the whole latent space (latent 1 or 2)."""
        return self.latent <= 2

    def to_latent(self, ab: np.ndarray) -> np.ndarray:
        """Plane coordinates (m, 2) to latent points (m, latent); b is ignored for latent 1."""
        ab = np.atleast_2d(np.asarray(ab, dtype=np.float32))  # (m, 2)
        k = self.axes.shape[0]
        return (self.mean + ab[:, :k] @ self.axes).astype(np.float32)  # (m, latent)

    def project(self, Z: np.ndarray) -> np.ndarray:
        """Latent points (m, latent) to plane coordinates (m, 2); the second is 0 for latent 1."""
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float32))  # (m, latent)
        ab = (Z - self.mean) @ self.axes.T  # (m, k)
        if ab.shape[1] == 1:
            ab = np.hstack([ab, np.zeros_like(ab)])
        return ab.astype(np.float32)


def plane_for(codes: np.ndarray) -> Plane:
    """The plane to draw codes (n, latent) on: the identity for latent ≤ 2, else the first two PCA axes."""
    latent = codes.shape[1]
    if latent <= 2:
        return Plane(mean=np.zeros(latent, np.float32), axes=np.eye(latent, dtype=np.float32))
    pca = PCA(n_components=2).fit(codes)
    return Plane(mean=pca.mean_.astype(np.float32), axes=pca.components_.astype(np.float32),
                 explained=pca.explained_variance_ratio_)


def _standardiser(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit mean and standard deviation (latent,) of codes (n, latent); a constant unit keeps scale 1."""
    center = codes.mean(axis=0)
    scale = codes.std(axis=0)
    scale[~(scale > 1e-12)] = 1.0
    return center.astype(np.float32), scale.astype(np.float32)


@dataclass(frozen=True, eq=False)
class CodeIndex:
    """The reference codes, their per-unit mean and spread, and a nearest-neighbour index over the
    standardised codes: the reference of every hole test. Distances it returns are in standardised units."""

    codes: np.ndarray  # (n, latent), as the encoder gives them
    center: np.ndarray  # (latent,)
    scale: np.ndarray  # (latent,)
    nn_: NearestNeighbors  # fitted on (codes − center) / scale

    def standardise(self, Z: np.ndarray) -> np.ndarray:
        """Latent points (m, latent) in standardised units."""
        return ((np.atleast_2d(np.asarray(Z, dtype=np.float32)) - self.center) / self.scale).astype(np.float32)

    def unstandardise(self, U: np.ndarray) -> np.ndarray:
        """Standardised points (m, latent) back to latent points."""
        return (np.atleast_2d(np.asarray(U, dtype=np.float32)) * self.scale + self.center).astype(np.float32)

    def nearest(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardised distance (m,) from each point of Z (m, latent) to its nearest reference code, and
        that code's row."""
        dist, idx = self.nn_.kneighbors(self.standardise(Z), n_neighbors=1)
        return dist[:, 0], idx[:, 0]


def index_codes(codes: np.ndarray) -> CodeIndex:
    """Standardise reference codes (n, latent) and fit a nearest-neighbour index on them."""
    codes = np.asarray(codes, dtype=np.float32)
    center, scale = _standardiser(codes)
    return CodeIndex(codes=codes, center=center, scale=scale,
                     nn_=NearestNeighbors(n_neighbors=1).fit((codes - center) / scale))


def default_radius(codes: np.ndarray, quantile: float = RADIUS_QUANTILE) -> float:
    """The hole radius r of the one rule, in standardised units: the `quantile`-th percentile of the
    reference codes' (n, latent) distances to their nearest other code (see the module docstring)."""
    codes = np.asarray(codes, dtype=np.float32)
    if len(codes) < 2:
        return 1.0
    center, scale = _standardiser(codes)
    z = (codes - center) / scale  # (n, latent)
    dist, _ = NearestNeighbors(n_neighbors=2).fit(z).kneighbors(z)  # (n, 2); column 0 is itself
    r = float(np.percentile(dist[:, 1], quantile))
    return r if r > 0 else 1e-3


def hole_test(index: CodeIndex, Z: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distance (m,), nearest code row (m,), in-a-hole mask (m,)) for latent points Z (m, latent)."""
    dist, idx = index.nearest(Z)
    return dist, idx, dist > r


def sample_normal(n: int, latent: int, s: float = 1.0, seed: int = 0) -> np.ndarray:
    """n points (n, latent) from N(0, s² I), seeded."""
    return (s * np.random.default_rng(seed).standard_normal((n, latent))).astype(np.float32)


@torch.no_grad()
def decoder_training_codes(model: Autoencoder, X: np.ndarray, seed: int = REFERENCE_SEED) -> np.ndarray:
    """The reference codes (n, latent) of the hole rule: what the decoder sees in training — the code
    itself, or for a VAE one z = μ + σ·ε per row of X, with ε from a generator seeded by `seed`."""
    model.eval()
    x = torch.as_tensor(np.asarray(X, dtype=np.float32))  # (n, features)
    if not hasattr(model, "encode_stats"):
        return model.encode(x).numpy()
    mu, logvar = model.encode_stats(x)  # (n, latent) each
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))  # (n, latent)
    return (mu + torch.exp(0.5 * logvar) * eps).numpy()


@dataclass(frozen=True)
class HoleRate:
    """Points drawn from N(0, s² I) in standardised units, and which of them fell in a hole."""

    Z: np.ndarray  # (n, latent), as latent points (back in the encoder's units)
    dist: np.ndarray  # (n,) standardised distance to the nearest reference code
    holes: np.ndarray  # (n,) bool
    radius: float = float("nan")  # the r they were tested against

    @property
    def fraction(self) -> float:
        """Share of the drawn points that are in a hole."""
        return float(self.holes.mean()) if self.holes.size else 0.0


def hole_rate(index: CodeIndex, r: float, n: int = HOLE_DRAWS, s: float = HOLE_SPREAD,
              seed: int = HOLE_SEED) -> HoleRate:
    """Draw n points from N(0, s² I) in the index's standardised units and test each for a hole of radius r."""
    Z = index.unstandardise(sample_normal(n, index.codes.shape[1], s, seed))  # (n, latent)
    dist, _, holes = hole_test(index, Z, r)
    return HoleRate(Z=Z, dist=dist, holes=holes, radius=float(r))


def model_hole_rate(model: Autoencoder, X_train: np.ndarray, n: int = HOLE_DRAWS, s: float = HOLE_SPREAD,
                    seed: int = HOLE_SEED) -> HoleRate:
    """The one hole rule applied to a trained model: its reference codes on X_train (n_train, features),
    their default radius, and n draws from N(0, s² I) in standardised units (see the module docstring)."""
    ref = decoder_training_codes(model, X_train)  # (n_train, latent)
    return hole_rate(index_codes(ref), default_radius(ref), n=n, s=s, seed=seed)


COLLAPSED_SHARE = 0.05  # a VAE unit whose μ explains less than this share of its z's variance has collapsed


@torch.no_grad()
def unit_signal(model: Autoencoder, X: np.ndarray) -> np.ndarray | None:
    """For a VAE, the share (latent,) of each code unit's variance that comes from the input: var(μ_j) over
    var(μ_j) + mean σ_j². Near 0 the unit has collapsed to the prior (pure noise the decoder ignores).
    None for a model without μ and σ."""
    if not hasattr(model, "encode_stats"):
        return None
    model.eval()
    mu, logvar = model.encode_stats(torch.as_tensor(np.asarray(X, dtype=np.float32)))  # (n, latent) each
    signal = mu.var(dim=0, unbiased=False)  # (latent,)
    return (signal / (signal + logvar.exp().mean(dim=0))).numpy()


def sweep_sizes(latent: int, sizes: tuple[int, ...] = SWEEP_SIZES) -> tuple[int, ...]:
    """The latent sizes a sweep trains: the standard ones plus the model's own."""
    return tuple(sorted(set(sizes) | {int(latent)}))


def train_model(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig) -> Autoencoder:
    """Train one model with these settings to the end and return it."""
    model = build(model_cfg, data, seed=train_cfg.seed)
    return Trainer(model, data, train_cfg).run().model


def latent_size_sweep(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
                      sizes: tuple[int, ...] = SWEEP_SIZES, n: int = HOLE_DRAWS, s: float = HOLE_SPREAD,
                      seed: int = HOLE_SEED, train: Callable[..., Autoencoder] | None = None) -> list[float]:
    """Hole fraction (the one rule) of the model with these settings at each latent size: same data,
    variant, widths, activation, training and seed, only `latent` changes. `train(data, model_cfg,
    train_cfg)` returns a trained model (default: train one here; the app passes its shared cache)."""
    train = train or train_model
    return [model_hole_rate(train(data, replace(model_cfg, latent=k), train_cfg), data.X_train, n, s, seed).fraction
            for k in sizes]


def bounds(coords: np.ndarray, pad: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """Low and high corners (2,) of the box around plane coordinates (n, 2), padded by `pad` of its size."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    return (lo - pad * span).astype(np.float32), (hi + pad * span).astype(np.float32)


def grid_coords(lo: np.ndarray, hi: np.ndarray, n: int, m: int | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """An n-column by m-row grid over the box: (xs (n,), ys (m,), points (m·n, 2)), row by row, y rising."""
    xs = np.linspace(lo[0], hi[0], n, dtype=np.float32)
    ys = np.linspace(lo[1], hi[1], m or n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)  # (m, n) each
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)  # (m·n, 2)


@dataclass(frozen=True)
class GridDecoding:
    """An n×n grid of plane points, their decodings and their hole status, row by row (y rising)."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    X: np.ndarray  # (n·n, features)
    dist: np.ndarray  # (n·n,)
    holes: np.ndarray  # (n·n,) bool


def decode_grid(model: Autoencoder, plane: Plane, index: CodeIndex, lo: np.ndarray, hi: np.ndarray,
                n: int, r: float) -> GridDecoding:
    """Decode an n×n grid over the box in one batch and hole-test it in one query."""
    xs, ys, ab = grid_coords(lo, hi, n)
    Z = plane.to_latent(ab)  # (n·n, latent)
    dist, _, holes = hole_test(index, Z, r)
    return GridDecoding(xs=xs, ys=ys, X=decode(model, Z), dist=dist, holes=holes)


@dataclass(frozen=True)
class Interpolation:
    """K points on the segment from z_a to z_b, their decodings and where the path is in a hole."""

    t: np.ndarray  # (k,) from 0 to 1
    Z: np.ndarray  # (k, latent)
    X: np.ndarray  # (k, features)
    dist: np.ndarray  # (k,)
    holes: np.ndarray  # (k,) bool
    nearest: np.ndarray | None = None  # (k,) row of the nearest reference code (training sample) at each step


def default_ends(data: Dataset) -> tuple[int, int]:
    """The interpolation's default samples A and B: the first training sample and the first with another label."""
    first = int(data.train_idx[0])
    return first, int(next((i for i in data.train_idx if data.y[i] != data.y[first]), data.train_idx[-1]))


def interpolate(model: Autoencoder, index: CodeIndex, z_a: np.ndarray, z_b: np.ndarray, k: int,
                r: float) -> Interpolation:
    """Decode k evenly spaced points on the straight segment z_a → z_b (both (latent,)) in one batch."""
    t = np.linspace(0.0, 1.0, max(2, k), dtype=np.float32)  # (k,)
    z_a, z_b = np.asarray(z_a, np.float32).reshape(1, -1), np.asarray(z_b, np.float32).reshape(1, -1)
    Z = (1 - t[:, None]) * z_a + t[:, None] * z_b  # (k, latent)
    dist, idx, holes = hole_test(index, Z, r)
    return Interpolation(t=t, Z=Z, X=decode(model, Z), dist=dist, holes=holes, nearest=idx)


def path_labels(path: Interpolation, labels: np.ndarray) -> list:
    """The labels (colour only) of the training samples nearest the path, in order, repeats merged."""
    out: list = []
    for lab in np.asarray(labels)[path.nearest]:
        if not out or out[-1] != lab:
            out.append(lab)
    return out


def snapshot_coords(snapshots: list[tuple[int, np.ndarray]], plane: Plane | None = None
                    ) -> list[tuple[int, np.ndarray]]:
    """Each training snapshot's codes as plane coordinates (epoch, (n, 2)); latent > 2 uses each
    snapshot's own first two principal axes unless a plane is given."""
    out = []
    for epoch, codes in snapshots:
        p = plane or plane_for(codes)
        out.append((epoch, p.project(codes)))
    return out


@dataclass(frozen=True, eq=False)
class LatentView:
    """Everything the map needs about one trained model: training codes (μ for a VAE), the index of the
    hole rule's reference codes, the plane, plane coordinates, the box around them, the default radius,
    the largest distance inside the box (the radius slider's end) and a click-catching grid."""

    codes: np.ndarray  # (n_train, latent), drawn on the map
    index: CodeIndex  # over the reference codes (the decoder's training codes; sampled z for a VAE)
    plane: Plane
    coords: np.ndarray  # (n_train, 2)
    lo: np.ndarray  # (2,)
    hi: np.ndarray  # (2,)
    radius: float  # standardised units
    click_grid: np.ndarray  # (m, 2) plane points that catch clicks on empty space
    radius_max: float = 1.0  # standardised distance from the farthest point of the box to a reference code

    @property
    def latent(self) -> int:
        """Latent size."""
        return self.codes.shape[1]


def latent_view(model: Autoencoder, data: Dataset, click_n: int = 32) -> LatentView:
    """Encode the training data and prepare the map (a one-row strip of clickable points for latent 1)."""
    codes = encode(model, data.X_train)  # (n_train, latent)
    plane = plane_for(codes)
    coords = plane.project(codes)  # (n_train, 2)
    if codes.shape[1] == 1:  # a strip: spread the codes over a band so they can be seen and clicked
        coords[:, 1] = np.random.default_rng(0).uniform(-1, 1, len(coords))
    lo, hi = bounds(coords)
    if codes.shape[1] == 1:
        lo[1], hi[1] = -1.2, 1.2
    _, _, grid = grid_coords(lo, hi, click_n, click_n if codes.shape[1] > 1 else 9)
    ref = decoder_training_codes(model, data.X_train)  # (n_train, latent): the hole rule's reference
    index, radius = index_codes(ref), default_radius(ref)
    far = float(index.nearest(plane.to_latent(grid))[0].max())
    return LatentView(codes=codes, index=index, plane=plane, coords=coords, lo=lo, hi=hi, radius=radius,
                      click_grid=grid, radius_max=max(far, 2 * radius))
