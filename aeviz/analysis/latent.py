"""The latent space as a map: where the training codes sit, where the holes are, and what the
decoder makes of any point (clicked, on a grid, on a segment, or drawn from N(0, s²)).

A point z is *in a hole* when its distance to the nearest training code exceeds a radius r.
Nothing in the reconstruction loss ‖x − x̂‖² says what the decoder should output there.

Default radius rule (`default_radius`): r is the 99th percentile of the distances from each
training code to its nearest other training code, so 99 % of the codes have a neighbour closer
than r and a point farther than r from every code is farther out than the data ever go. The rule
scales with the codes (double every code and r doubles), unlike the classic absolute 0.8, which
only fits codes of unit scale. The latent-size sweep standardises the codes first (each unit to
mean 0, std 1) and then uses the classic r = 0.8, so that r means the same at every size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from ..config import ModelConfig, TrainConfig
from ..datasets import Dataset
from ..models import Autoencoder, build
from ..train import Trainer
from .core import decode, encode

SWEEP_SIZES = (2, 3, 4, 6, 8)
SWEEP_RADIUS = 0.8  # in units of the standardised codes' std
RADIUS_QUANTILE = 99.0


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


@dataclass(frozen=True, eq=False)
class CodeIndex:
    """The training codes and a fitted nearest-neighbour index: the reference of every hole test."""

    codes: np.ndarray  # (n, latent)
    nn_: NearestNeighbors

    def nearest(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m,) from each point of Z (m, latent) to its nearest training code, and that code's row."""
        dist, idx = self.nn_.kneighbors(np.atleast_2d(np.asarray(Z, dtype=np.float32)), n_neighbors=1)
        return dist[:, 0], idx[:, 0]


def index_codes(codes: np.ndarray) -> CodeIndex:
    """Fit a nearest-neighbour index on training codes (n, latent)."""
    codes = np.asarray(codes, dtype=np.float32)
    return CodeIndex(codes=codes, nn_=NearestNeighbors(n_neighbors=1).fit(codes))


def default_radius(codes: np.ndarray, quantile: float = RADIUS_QUANTILE) -> float:
    """The hole radius from the codes' own spacing: the `quantile`-th percentile of nearest-neighbour
    distances between training codes (see the module docstring)."""
    codes = np.asarray(codes, dtype=np.float32)
    if len(codes) < 2:
        return 1.0
    dist, _ = NearestNeighbors(n_neighbors=2).fit(codes).kneighbors(codes)  # (n, 2); column 0 is itself
    r = float(np.percentile(dist[:, 1], quantile))
    return r if r > 0 else 1e-3


def hole_test(index: CodeIndex, Z: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distance (m,), nearest code row (m,), in-a-hole mask (m,)) for latent points Z (m, latent)."""
    dist, idx = index.nearest(Z)
    return dist, idx, dist > r


def sample_normal(n: int, latent: int, s: float = 1.5, seed: int = 0) -> np.ndarray:
    """n points (n, latent) from N(0, s² I), seeded."""
    return (s * np.random.default_rng(seed).standard_normal((n, latent))).astype(np.float32)


@dataclass(frozen=True)
class HoleRate:
    """Points drawn from N(0, s² I) and which of them fell in a hole."""

    Z: np.ndarray  # (n, latent)
    dist: np.ndarray  # (n,)
    holes: np.ndarray  # (n,) bool

    @property
    def fraction(self) -> float:
        """Share of the drawn points that are in a hole."""
        return float(self.holes.mean()) if self.holes.size else 0.0


def hole_rate(index: CodeIndex, r: float, n: int = 200, s: float = 1.5, seed: int = 0) -> HoleRate:
    """Draw n points from N(0, s² I) in the codes' space and test each for a hole of radius r."""
    Z = sample_normal(n, index.codes.shape[1], s, seed)  # (n, latent)
    dist, _, holes = hole_test(index, Z, r)
    return HoleRate(Z=Z, dist=dist, holes=holes)


def standardised_hole_fraction(codes: np.ndarray, r: float = SWEEP_RADIUS, n: int = 200, s: float = 1.5,
                               seed: int = 0) -> float:
    """Hole fraction of N(0, s² I) draws among codes standardised to mean 0 and std 1 per unit."""
    z = StandardScaler().fit_transform(np.asarray(codes, dtype=np.float64)).astype(np.float32)  # (n, latent)
    return hole_rate(index_codes(z), r, n=n, s=s, seed=seed).fraction


def train_codes(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig) -> np.ndarray:
    """Train one model with these settings and return its training codes (n_train, latent)."""
    model = build(model_cfg, data, seed=train_cfg.seed)
    trainer = Trainer(model, data, train_cfg).run()
    return encode(trainer.model, data.X_train)


def latent_size_sweep(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
                      sizes: tuple[int, ...] = SWEEP_SIZES, epochs: int = 30, r: float = SWEEP_RADIUS,
                      n: int = 200, s: float = 1.5, seed: int = 0) -> list[float]:
    """Hole fraction (standardised codes, radius r) for a small model trained at each latent size."""
    short = replace(train_cfg, epochs=epochs)
    return [standardised_hole_fraction(train_codes(data, replace(model_cfg, latent=k), short), r, n, s, seed)
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


def distance_field(plane: Plane, index: CodeIndex, lo: np.ndarray, hi: np.ndarray,
                   n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), distance to the nearest code (n, n)) over the box: what the hole shading draws."""
    xs, ys, ab = grid_coords(lo, hi, n)
    dist, _ = index.nearest(plane.to_latent(ab))
    return xs, ys, dist.reshape(len(ys), len(xs))


@dataclass(frozen=True)
class Interpolation:
    """K points on the segment from z_a to z_b, their decodings and where the path is in a hole."""

    t: np.ndarray  # (k,) from 0 to 1
    Z: np.ndarray  # (k, latent)
    X: np.ndarray  # (k, features)
    dist: np.ndarray  # (k,)
    holes: np.ndarray  # (k,) bool


def interpolate(model: Autoencoder, index: CodeIndex, z_a: np.ndarray, z_b: np.ndarray, k: int,
                r: float) -> Interpolation:
    """Decode k evenly spaced points on the straight segment z_a → z_b (both (latent,)) in one batch."""
    t = np.linspace(0.0, 1.0, max(2, k), dtype=np.float32)  # (k,)
    z_a, z_b = np.asarray(z_a, np.float32).reshape(1, -1), np.asarray(z_b, np.float32).reshape(1, -1)
    Z = (1 - t[:, None]) * z_a + t[:, None] * z_b  # (k, latent)
    dist, _, holes = hole_test(index, Z, r)
    return Interpolation(t=t, Z=Z, X=decode(model, Z), dist=dist, holes=holes)


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
    """Everything the map needs about one trained model: training codes, their index and plane,
    plane coordinates, the box around them, the default radius and a click-catching grid."""

    codes: np.ndarray  # (n_train, latent)
    index: CodeIndex
    plane: Plane
    coords: np.ndarray  # (n_train, 2)
    lo: np.ndarray  # (2,)
    hi: np.ndarray  # (2,)
    radius: float
    click_grid: np.ndarray  # (m, 2) plane points that catch clicks on empty space

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
    return LatentView(codes=codes, index=index_codes(codes), plane=plane, coords=coords, lo=lo, hi=hi,
                      radius=default_radius(codes), click_grid=grid)
