"""Figures for the comparisons page: latent maps with prior samples, sample grids, projections,
explained variance, activation histograms."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import HOLE_COLOUR, QUALITATIVE, TEST_COLOUR, TRAIN_COLOUR, tight

FILLED_COLOUR = "#16a34a"
ROW_COLOURS = ("#6b7280", "#ef4444", TRAIN_COLOUR, "#16a34a", TEST_COLOUR)
ROW_DASHES = ("solid", "solid", "dot", "dash", "dashdot")  # so identical rows stay visible on top of each other


def latent_map_figure(codes: np.ndarray, labels: np.ndarray, label_names, *, title: str = "",
                      background: np.ndarray | None = None, samples: np.ndarray | None = None,
                      holes: np.ndarray | None = None, height: int = 440, legend_below: bool = True) -> go.Figure:
    """Codes (n, 2) coloured by label; optional grey `background` codes (m, 2) and prior `samples`
    (k, 2) drawn as red crosses (in a hole) or green pluses (near a code) by the mask `holes` (k,).
    The legend goes below the map (a phone keeps the map at full width) or, `legend_below=False`, beside it."""
    fig = go.Figure()
    if background is not None:
        fig.add_trace(go.Scatter(x=background[:, 0], y=background[:, 1], mode="markers", name="sampled z",
                                   marker=dict(size=3, color="#cbd5e1"), hoverinfo="skip"))
    for k, name in enumerate(label_names):
        sel = labels == k
        if sel.any():
            fig.add_trace(go.Scatter(x=codes[sel, 0], y=codes[sel, 1], mode="markers", name=str(name),
                                       marker=dict(size=4, color=QUALITATIVE[k % len(QUALITATIVE)], opacity=0.7)))
    if samples is not None and holes is not None:
        for mask, name, colour, symbol in ((holes, "draw in a hole", HOLE_COLOUR, "x-thin"),
                                           (~holes, "draw near a code", FILLED_COLOUR, "cross-thin")):
            # first in the legend: the key to what the map teaches, still in view where a long legend scrolls
            fig.add_trace(go.Scatter(x=samples[mask, 0], y=samples[mask, 1], mode="markers", name=name, legendrank=1,
                                       marker=dict(size=7, symbol=symbol, line=dict(width=2, color=colour))))
    fig.update_xaxes(title="z₁")
    fig.update_yaxes(title="z₂", scaleanchor="x")
    legend = dict(font=dict(size=10), itemsizing="constant")
    if legend_below:
        legend.update(orientation="h", y=-0.2, yanchor="top")
    return tight(fig, height=height, title=title, legend=legend)


def _image_grid(rows: dict[str, np.ndarray], image_shape, height_per_row: int) -> go.Figure:
    names = list(rows)
    k = max(len(v) for v in rows.values())
    # a long row name on two lines ("denoising AE" / "output"): at presenter mode's 16 px one line ran off the right
    titles = [n.rsplit(" ", 1)[0] + "<br>" + n.rsplit(" ", 1)[1] if len(n) > 12 and " " in n else n for n in names]
    fig = make_subplots(rows=len(names), cols=k, horizontal_spacing=0.01, vertical_spacing=0.06,
                        row_titles=titles)
    for r, name in enumerate(names, 1):
        for c, x in enumerate(rows[name], 1):
            fig.add_trace(go.Heatmap(z=np.asarray(x, dtype=float).reshape(image_shape), colorscale="gray_r",
                                     zmin=0, zmax=1, showscale=False,
                                     hovertemplate=f"{name}<br>row %{{y}}, col %{{x}}: %{{z:.2f}}<extra></extra>"),
                          row=r, col=c)
    # no grid lines, and square pixels by shrinking a cell, not by widening its range (grid lines then ran beside
    # every image)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed", constrain="domain")
    for i in range(1, len(names) * k + 1):  # square pixels in every cell
        fig.layout[f"yaxis{i if i > 1 else ''}"].scaleanchor = f"x{i if i > 1 else ''}"
    fig.for_each_annotation(lambda a: a.update(textangle=0, xanchor="left", font=dict(size=11)))
    return tight(fig, height=height_per_row * len(names) + 20, margin=dict(l=5, r=110, t=10, b=5))


def sample_grid_figure(rows: dict[str, np.ndarray], kind: str, *, image_shape=None, feature_names=None,
                       data: np.ndarray | None = None, height_per_row: int = 110) -> go.Figure:
    """Several named sets of samples, each (k, features), side by side: an image grid (one row per
    set), overlaid feature profiles (one panel per sample), or points over the data cloud."""
    rows = {name: np.atleast_2d(np.asarray(v, dtype=float)) for name, v in rows.items()}
    if kind == "image":
        return _image_grid(rows, image_shape, height_per_row)
    if kind == "tabular":
        k = max(len(v) for v in rows.values())
        names = list(feature_names) if feature_names is not None else None
        fig = make_subplots(rows=k, cols=1, shared_xaxes=True, vertical_spacing=0.03)
        for i, (name, X) in enumerate(rows.items()):
            for j, x in enumerate(X, 1):
                fig.add_trace(go.Scatter(x=names or list(range(x.size)), y=x, mode="lines+markers", name=name,
                                         legendgroup=name, showlegend=j == 1, marker=dict(size=4),
                                         line=dict(color=ROW_COLOURS[i % len(ROW_COLOURS)], width=1.5,
                                                   dash=ROW_DASHES[i % len(ROW_DASHES)])),
                              row=j, col=1)
        return tight(fig, height=150 * k + 60, legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    fig = go.Figure()
    three_d = next(iter(rows.values())).shape[1] >= 3
    scatter = go.Scatter3d if three_d else go.Scatter
    if data is not None:
        cloud = dict(x=data[:, 0], y=data[:, 1], mode="markers", name="data",
                     marker=dict(size=2 if three_d else 4, color="#cbd5e1"))
        fig.add_trace(scatter(**cloud, **({"z": data[:, 2]} if three_d else {})))
    for i, (name, X) in enumerate(rows.items()):
        pts = dict(x=X[:, 0], y=X[:, 1], mode="markers", name=name,
                   marker=dict(size=5 if three_d else 9, color=ROW_COLOURS[i % len(ROW_COLOURS)], symbol="x"))
        fig.add_trace(scatter(**pts, **({"z": X[:, 2]} if three_d else {})))
    return tight(fig, height=380, legend=dict(orientation="h", y=-0.15))


def projection_figure(P: np.ndarray, position: np.ndarray, title: str, axis: str = "component") -> go.Figure:
    """A 2-D embedding P (n, 2) coloured by a continuous position along the data."""
    fig = go.Figure(go.Scatter(
        x=P[:, 0], y=P[:, 1], mode="markers",
        marker=dict(size=4, color=position, colorscale="Viridis", showscale=True,
                    colorbar=dict(title="position", thickness=12)),
        hovertemplate="position %{marker.color:.2f}<extra></extra>",
    ))
    fig.update_xaxes(title=f"{axis} 1")
    fig.update_yaxes(title=f"{axis} 2")
    return tight(fig, height=380, title=title)


def explained_variance_figure(ratios: np.ndarray, d: int) -> go.Figure:
    """PCA's explained-variance ratio per component, the first d highlighted, with the running total."""
    ratios = np.asarray(ratios, dtype=float)
    idx = np.arange(1, ratios.size + 1)
    colours = [TRAIN_COLOUR if i <= d else "#cbd5e1" for i in idx]
    fig = go.Figure(go.Bar(x=idx, y=ratios, marker_color=colours, name="per component",
                           hovertemplate="component %{x}: %{y:.1%}<extra></extra>"))
    fig.add_trace(go.Scatter(x=idx, y=np.cumsum(ratios), mode="lines+markers", name="cumulative",
                             line=dict(color=TEST_COLOUR)))
    fig.update_xaxes(title="principal component")
    fig.update_yaxes(title="share of variance", tickformat=".0%", range=[0, 1])
    return tight(fig, height=320, title=f"PCA: the first {d} explain {ratios[:d].sum():.1%}",
                 legend=dict(orientation="h", y=-0.3))


def activation_histogram_figure(activations: dict[str, np.ndarray], tol: float | None = None) -> go.Figure:
    """Overlaid histograms of scaled code activations, one per named model; the ±tol band shaded."""
    fig = go.Figure()
    for i, (name, a) in enumerate(activations.items()):
        fig.add_trace(go.Histogram(x=a, name=name, opacity=0.6, xbins=dict(start=-1, end=1, size=0.025),
                                   histnorm="probability", marker_color=(TRAIN_COLOUR, TEST_COLOUR)[i % 2]))
    if tol:
        fig.add_vrect(x0=-tol, x1=tol, fillcolor="#fde68a", opacity=0.4, line_width=0,
                      annotation_text="near zero", annotation_position="top left")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="code activation ÷ largest |activation|", range=[-1, 1])
    fig.update_yaxes(title="share of activations")
    return tight(fig, height=340, legend=dict(orientation="h", y=-0.3))


def decodings_figure(X: np.ndarray, kind: str, *, image_shape=None, feature_names=None,
                     data: np.ndarray | None = None, title: str = "") -> go.Figure:
    """A handful of decodings (k, features) in one compact figure: a strip of images, overlaid
    feature profiles, or points over the data cloud."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    if kind == "image":
        fig = _image_grid({title or "decoded": X}, image_shape, 120)
        return fig
    if kind == "tabular":
        names = list(feature_names) if feature_names is not None else list(range(X.shape[1]))
        fig = go.Figure([go.Scatter(x=names, y=x, mode="lines", name=f"sample {i + 1}", opacity=0.8,
                                    line=dict(width=1.5, color=QUALITATIVE[i % len(QUALITATIVE)]))
                         for i, x in enumerate(X)])
        fig.update_yaxes(title="standardised value")
        return tight(fig, height=300, title=title, showlegend=False)
    return tight(sample_grid_figure({title or "decoded": X}, kind, data=data), height=320)


def _log_ticks(lo: float, hi: float, candidates=(1, 1.01, 1.1, 2, 10, 100, 1000)) -> list[float]:
    """The ratio axis' ticks: the candidates up to `hi`, each at least a tenth of the log axis' span from the
    last one kept (1 and 1.01 would print on top of each other once the axis reaches 100×)."""
    lo, hi = max(min(lo, 1.0), 1e-12), max(hi, 1.0 + 1e-9)
    gap = (np.log10(hi) - np.log10(lo)) / 10
    kept: list[float] = []
    for v in candidates:
        if v <= hi and (not kept or np.log10(v) - np.log10(kept[-1]) >= gap):
            kept.append(v)
    return kept or [1]


def angle_trace_figure(trace: list[dict], same_deg: float | None = None) -> go.Figure:
    """Principal angles (degrees) to PCA's subspace against epoch, the largest bold, and the training error
    divided by PCA's on a second axis; `trace` holds dicts with epoch, angles (d,) and error_ratio."""
    epochs = [r["epoch"] for r in trace]
    A = np.array([np.asarray(r["angles"], dtype=float) for r in trace])  # (checks, d)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    A = -np.sort(-A, axis=1)  # largest first
    for j in range(1, A.shape[1]):
        fig.add_trace(go.Scatter(x=epochs, y=A[:, j], mode="lines", name="other angles", showlegend=j == 1,
                                 legendgroup="others", line=dict(color="#93c5fd", width=1),
                                 hovertemplate=f"epoch %{{x}}: angle {j + 1} %{{y:.1f}}°<extra></extra>"))
    fig.add_trace(go.Scatter(x=epochs, y=A[:, 0], mode="lines+markers" if len(epochs) < 30 else "lines",
                             name="largest angle", line=dict(color=TRAIN_COLOUR, width=3),
                             hovertemplate="epoch %{x}: largest angle %{y:.1f}°<extra></extra>"))
    fig.add_trace(go.Scatter(x=epochs, y=[r["error_ratio"] for r in trace], mode="lines", name="train error ÷ PCA's",
                             line=dict(color=TEST_COLOUR, dash="dot"),
                             hovertemplate="epoch %{x}: error %{y:.3f}× PCA's<extra></extra>"), secondary_y=True)
    if same_deg:
        fig.add_hline(y=same_deg, line=dict(color="#6b7280", dash="dash", width=1),
                      annotation_text=f"{same_deg:g}°", annotation_position="top right")
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="principal angle (°)", range=[0, 91], secondary_y=False)
    ratios = [r["error_ratio"] for r in trace]
    ticks = _log_ticks(min(ratios), max(ratios) * 1.5)
    fig.update_yaxes(title="train error ÷ PCA's", type="log", showgrid=False, tickvals=ticks,
                     ticktext=[f"{v:g}×" for v in ticks], secondary_y=True)
    return tight(fig, height=320, title="The angle to PCA's subspace during training",
                 legend=dict(orientation="h", y=-0.3))
