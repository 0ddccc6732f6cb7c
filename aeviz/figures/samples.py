"""One sample drawn the way its dataset is best seen: an image, a feature profile, or a point."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import TEST_COLOUR, TRAIN_COLOUR, tight


def image_figure(x: np.ndarray, shape: tuple[int, int], title: str = "", zmax: float = 1.0,
                 colorscale: str = "gray_r", height: int = 220) -> go.Figure:
    """A grayscale image from a flat pixel vector (features,) with the given (rows, cols) shape."""
    img = np.asarray(x, dtype=float).reshape(shape)
    fig = go.Figure(go.Heatmap(z=img, colorscale=colorscale, zmin=0, zmax=zmax, showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x", constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    # room for every line of the title (plotly centres its first line in the top margin, the others go below it)
    lines = title.count("<br>") + 1 if title else 1
    top = max(30, round((2 * lines - 1) * 1.3 * 15) + 8)
    return tight(fig, height=height + top - 30, title=title, margin=dict(l=5, r=5, t=top, b=5))


def sample_figure(x: np.ndarray, kind: str, *, feature_names=None, image_shape=None,
                  reference: np.ndarray | None = None, reference_name: str = "reference",
                  title: str = "", data: np.ndarray | None = None, height: int = 260) -> go.Figure:
    """Draw one sample x (features,): an image, a line over named features, or a point over the data.

    `reference` (features,) is drawn on top for comparison (e.g. the nearest training sample);
    `data` (n, features) is the cloud a point is drawn against.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    if kind == "image":
        return image_figure(x, image_shape, title=title, height=height)
    if kind == "tabular":
        names = list(feature_names) if feature_names is not None else [str(i) for i in range(x.size)]
        fig = go.Figure(go.Scatter(x=names, y=x, mode="lines+markers", name=title or "sample",
                                   line=dict(color=TRAIN_COLOUR)))
        if reference is not None:
            fig.add_trace(go.Scatter(x=names, y=np.asarray(reference).reshape(-1), mode="lines+markers",
                                     name=reference_name, line=dict(color=TEST_COLOUR, dash="dot")))
        fig.update_yaxes(title="standardised value")
        return tight(fig, height=height, title=title, legend=dict(orientation="h", y=-0.45))
    # points: the data cloud in grey, the sample on top
    dims = x.size
    traces = []
    pts = [x] + ([np.asarray(reference).reshape(-1)] if reference is not None else [])
    labels = [title or "sample"] + ([reference_name] if reference is not None else [])
    colours = ["#ef4444", TEST_COLOUR]
    if dims >= 3:
        if data is not None:
            traces.append(go.Scatter3d(x=data[:, 0], y=data[:, 1], z=data[:, 2], mode="markers",
                                       marker=dict(size=2, color="#cbd5e1"), name="data"))
        for p, lab, c in zip(pts, labels, colours):
            traces.append(go.Scatter3d(x=[p[0]], y=[p[1]], z=[p[2]], mode="markers", name=lab,
                                       marker=dict(size=7, color=c, symbol="diamond")))
    else:
        if data is not None:
            traces.append(go.Scatter(x=data[:, 0], y=data[:, 1], mode="markers",
                                     marker=dict(size=4, color="#cbd5e1"), name="data"))
        for p, lab, c in zip(pts, labels, colours):
            traces.append(go.Scatter(x=[p[0]], y=[p[1]], mode="markers", name=lab,
                                     marker=dict(size=12, color=c, symbol="x")))
    fig = go.Figure(traces)
    return tight(fig, height=height, title=title, legend=dict(orientation="h", y=-0.2))
