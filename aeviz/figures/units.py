"""Figures of what each unit learned: the first layer's weights as image tiles, and a VAE's sampling step by
step (its μ and σ ellipse over the codes, the draw z, and the KL per code unit)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .style import HOLE_COLOUR, tight

WEIGHT_SCALE = "RdBu"  # negative red, positive blue, 0 white: the forward pass's colours
MAX_TILES = 64  # tiles drawn at most (a 512-unit layer shows its first 64)
GAP = 1  # blank pixels between tiles
MU_COLOUR, Z_COLOUR, PRIOR_COLOUR = "#1d4ed8", "#ea580c", "#111827"


def tile_mosaic(W: np.ndarray, cols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tiles W (units, rows, cols) laid out in a grid with GAP blank (NaN) pixels between them: the mosaic
    (H, W') and, per pixel, the unit it belongs to (−1 in the gaps)."""
    n, h, w = W.shape
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    out = np.full((rows * (h + GAP) - GAP, cols * (w + GAP) - GAP), np.nan)
    unit = np.full(out.shape, -1, dtype=int)
    for u in range(n):
        r, c = divmod(u, cols)
        out[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = W[u]
        unit[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = u
    return out, unit


def weight_tiles_figure(W: np.ndarray, *, per_tile: bool = False, height: int | None = None,
                        title: str = "") -> go.Figure:
    """The first layer's weights W (units, rows, cols), one tile per hidden unit (the first MAX_TILES), on a
    colour scale symmetric about 0: its end is the largest |weight| shown, or with `per_tile` each tile is divided
    by its own largest |weight| (the scale then runs from −1 to 1)."""
    W = np.asarray(W, dtype=float)[:MAX_TILES]
    if per_tile:
        W = W / np.maximum(np.abs(W).max(axis=(1, 2), keepdims=True), 1e-12)
    scale = max(float(np.abs(W).max()), 1e-9)
    mosaic, unit = tile_mosaic(W)
    fig = go.Figure(go.Heatmap(
        z=mosaic, customdata=unit, colorscale=WEIGHT_SCALE, zmin=-scale, zmax=scale, zmid=0,
        colorbar=dict(title=dict(text="weight ÷ the tile's largest" if per_tile else "weight", side="right"), orientation="h", thickness=10, len=0.5, y=-0.02,
                      yanchor="top", tickvals=[-scale, 0, scale], ticktext=[f"−{scale:.2g}", "0", f"+{scale:.2g}"]),
        hovertemplate="unit %{customdata}, pixel (%{y}, %{x}): %{z:.3f}<extra></extra>", hoverongaps=False))
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x", constrain="domain", showgrid=False)
    fig.update_xaxes(showticklabels=False, constrain="domain", showgrid=False)
    return tight(fig, height=height or 480, title=title, margin=dict(l=5, r=5, t=30 if title else 5, b=50))


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 73) -> tuple[np.ndarray, np.ndarray]:
    a = np.linspace(0, 2 * np.pi, n)
    return cx + rx * np.cos(a), cy + ry * np.sin(a)


def sampling_map_figure(codes: np.ndarray, step: dict, units: tuple[int, int], *, zoom: bool = False,
                        height: int = 420) -> go.Figure:
    """The training codes μ (n, latent) in grey on units `units`, the chosen sample's μ with its σ as the
    ellipse μ ± σ, the prior's N(0, 1) circle (radius 1), and the draw z = μ + σ·ε joined to μ.
    `step` is aeviz.analysis.units.sampling_step's dict; for a 1-number code the second axis is empty. `zoom`
    frames the sample's ellipse and its z (at least ±0.5 around μ) instead of every code."""
    i, j = units
    one = codes.shape[1] == 1
    y_of = (lambda a: np.zeros(len(a))) if one else (lambda a: a[:, j])
    mu, sigma, z = step["mu"], step["sigma"], step["z"]
    my, sy, zy = (0.0, 0.0, 0.0) if one else (mu[j], sigma[j], z[j])
    fig = go.Figure()
    # SVG, not WebGL: a WebGL layer would be drawn over the prior circle and the ellipse
    fig.add_trace(go.Scatter(x=codes[:, i], y=y_of(codes), mode="markers", name="training codes μ",
                               marker=dict(size=4, color="#dbe2ea"),
                               hovertemplate="training sample %{pointNumber}: click to follow it<extra></extra>"))
    px, py = _ellipse(0.0, 0.0, 1.0, 0.0 if one else 1.0)
    fig.add_trace(go.Scatter(x=px, y=py, mode="lines", name="prior N(0, I): radius 1",
                             line=dict(color=PRIOR_COLOUR, width=1.5), hoverinfo="skip"))
    ex, ey = _ellipse(mu[i], my, sigma[i], sy if not one else 0.0)
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", name="μ ± σ", fill="toself", fillcolor="rgba(29,78,216,0.12)",
                             line=dict(color=MU_COLOUR, width=2), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[mu[i], z[i]], y=[my, zy], mode="lines", line=dict(color=Z_COLOUR, width=1.5,
                             dash="dot"), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[mu[i]], y=[my], mode="markers", name="μ", marker=dict(size=11, color=MU_COLOUR),
                             hovertemplate="μ (%{x:.3f}, %{y:.3f})<extra></extra>"))
    fig.add_trace(go.Scatter(x=[z[i]], y=[zy], mode="markers", name="z = μ + σ·ε",
                             marker=dict(size=12, color=Z_COLOUR, symbol="x"),
                             hovertemplate="z (%{x:.3f}, %{y:.3f})<extra></extra>"))
    fig.update_xaxes(title=f"z{i + 1}")
    fig.update_yaxes(title="" if one else f"z{j + 1}", scaleanchor="x", scaleratio=1, visible=not one)
    if zoom:
        half = max(0.5, 1.3 * float(max(sigma[i], abs(z[i] - mu[i]), 0 if one else max(sigma[j], abs(z[j] - mu[j])))))
        fig.update_xaxes(range=[mu[i] - half, mu[i] + half])
        fig.update_yaxes(range=[my - half, my + half])
    return tight(fig, height=height, legend=dict(orientation="h", y=-0.18), margin=dict(l=10, r=10, t=10, b=10))


def kl_units_figure(kl_units: np.ndarray, *, height: int = 260, title: str = "") -> go.Figure:
    """The KL term per code unit (nats), ½(μ² + σ² − 1 − log σ²), one bar each."""
    kl = np.asarray(kl_units, dtype=float)
    names = [f"z{k + 1}" for k in range(kl.size)]
    fig = go.Figure(go.Bar(x=names, y=kl, marker_color=HOLE_COLOUR,
                           hovertemplate="%{x}: KL %{y:.3f} nats<extra></extra>"))
    fig.update_yaxes(title="KL (nats)", rangemode="tozero")
    return tight(fig, height=height, title=title)
