"""Figures for the Reconstruction page: original next to reconstruction (image, feature profile or
points joined to their reconstructions), error per label, and test error against latent size."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import QUALITATIVE, TEST_COLOUR, TRAIN_COLOUR, tight

ERROR_FILL = "rgba(239, 68, 68, 0.35)"


def image_triplet(x: np.ndarray, x_hat: np.ndarray, shape: tuple[int, int], title: str = "",
                  height: int = 230) -> go.Figure:
    """Original, reconstruction and |error| heatmaps side by side for one image (flat pixel vectors)."""
    x, x_hat = np.asarray(x, float).reshape(shape), np.asarray(x_hat, float).reshape(shape)
    err = np.abs(x - x_hat)
    fig = make_subplots(rows=1, cols=3, subplot_titles=("original", "reconstruction", "|error|"),
                        horizontal_spacing=0.03)
    for col, (img, scale) in enumerate(((x, "gray_r"), (x_hat, "gray_r"), (err, "Reds")), 1):
        fig.add_trace(go.Heatmap(z=img, colorscale=scale, zmin=0, zmax=1, showscale=False,
                                 hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>"), row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x", constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    for i in range(2, 4):
        fig.update_yaxes(scaleanchor=f"x{i}", row=1, col=i)
    return tight(fig, height=height, title=title, margin=dict(l=5, r=5, t=50, b=5))


def profile_overlay(x: np.ndarray, x_hat: np.ndarray, feature_names, title: str = "", height: int = 300) -> go.Figure:
    """Original and reconstruction drawn over the named features, the error shaded red between them."""
    names = list(feature_names)
    x, x_hat = np.asarray(x, float).reshape(-1), np.asarray(x_hat, float).reshape(-1)
    fig = go.Figure([
        go.Scatter(x=names, y=x, mode="lines+markers", name="original", line=dict(color=TRAIN_COLOUR, width=2)),
        go.Scatter(x=names, y=x_hat, mode="lines+markers", name="reconstruction", fill="tonexty",
                   fillcolor=ERROR_FILL, line=dict(color=TEST_COLOUR, width=2, dash="dot"),
                   customdata=np.abs(x - x_hat),
                   hovertemplate="%{x}: %{y:.2f} (|error| %{customdata:.2f})<extra>reconstruction</extra>"),
    ])
    fig.update_yaxes(title="standardised value")
    fig.update_xaxes(tickangle=-45)
    return tight(fig, height=height, title=title, legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))


def points_joined(X: np.ndarray, X_hat: np.ndarray, errors: np.ndarray, highlight: np.ndarray | None = None,
                  title: str = "Each point joined to its reconstruction") -> go.Figure:
    """Points (n, 2 or 3) coloured by error, each joined by a grey segment to its reconstruction
    (black dots); `highlight` positions are ringed in red."""
    X, X_hat = np.asarray(X, float), np.asarray(X_hat, float)
    three = X.shape[1] >= 3
    n, dims = len(X), min(X.shape[1], 3)
    seg = np.full((3 * n, dims), np.nan)  # start, end, gap (None) for each segment
    seg[0::3], seg[1::3] = X[:, :dims], X_hat[:, :dims]
    if three:
        S, P, Q = go.Scatter3d, dict(z=X[:, 2]), dict(z=X_hat[:, 2])
        segz = dict(z=seg[:, 2])
    else:
        S, P, Q, segz = go.Scatter, {}, {}, {}
    size = 3 if three else 6
    traces = [
        S(x=seg[:, 0], y=seg[:, 1], **segz, mode="lines", name="error vector",
          line=dict(color="#9ca3af", width=2 if three else 1), hoverinfo="skip"),
        S(x=X[:, 0], y=X[:, 1], **P, mode="markers", name="original",
          marker=dict(size=size, color=errors, colorscale="Reds", showscale=True,
                      colorbar=dict(title="error", thickness=12), line=dict(width=0)),
          hovertemplate="error %{marker.color:.3g}<extra>original</extra>"),
        S(x=X_hat[:, 0], y=X_hat[:, 1], **Q, mode="markers", name="reconstruction",
          marker=dict(size=size - 1, color="#111827")),
    ]
    if highlight is not None and len(highlight):
        H = X[highlight]
        extra = dict(z=H[:, 2]) if three else {}
        traces.append(S(x=H[:, 0], y=H[:, 1], **extra, mode="markers", name="selected",
                        marker=dict(size=size + 8, color="rgba(0,0,0,0)", line=dict(color="#ef4444", width=3))))
    fig = go.Figure(traces)
    if not three:
        fig.update_yaxes(scaleanchor="x")
    return tight(fig, height=460, title=title, legend=dict(orientation="h", y=-0.12))


def error_by_label_figure(errors: np.ndarray, labels: np.ndarray, label_names, kind: str = "violin",
                          log_y: bool = False) -> go.Figure:
    """Reconstruction error per label as violins or boxes (labels colour only, never trained on)."""
    fig = go.Figure()
    for i, name in enumerate(label_names):
        e = np.asarray(errors)[labels == i]
        if not len(e):
            continue
        colour = QUALITATIVE[i % len(QUALITATIVE)]
        if kind == "violin":
            fig.add_trace(go.Violin(y=e, name=str(name), box_visible=True, meanline_visible=True, points=False, spanmode="hard",
                                    line_color=colour, fillcolor=colour, opacity=0.6))
        else:
            fig.add_trace(go.Box(y=e, name=str(name), marker_color=colour, boxmean=True))
    fig.update_yaxes(title="reconstruction error (MSE)", type="log" if log_y else "linear")
    return tight(fig, height=360, title="Reconstruction error per label (test set)", showlegend=False)


def latent_sweep_figure(rows: list[dict], current: int | None = None) -> go.Figure:
    """Final train and test reconstruction loss against latent size, the current size marked."""
    sizes = [r["latent"] for r in rows]
    fig = go.Figure([
        go.Scatter(x=sizes, y=[r["train"] for r in rows], mode="lines+markers", name="train",
                   line=dict(color=TRAIN_COLOUR)),
        go.Scatter(x=sizes, y=[r["test"] for r in rows], mode="lines+markers", name="test",
                   line=dict(color=TEST_COLOUR, width=3)),
    ])
    if current is not None and current in sizes:
        r = rows[sizes.index(current)]
        fig.add_trace(go.Scatter(x=[current], y=[r["test"]], mode="markers", name="your latent size",
                                 marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color="#ef4444", width=3))))
    fig.update_xaxes(title="latent size (code units)", type="log", tickvals=sizes, ticktext=[str(s) for s in sizes])
    fig.update_yaxes(title="reconstruction loss", type="log")
    return tight(fig, height=340, title="Test error against latent size", legend=dict(orientation="h", y=-0.25))
