"""Figures for the latent space explorer: the hole-rate samples, the latent-size sweep, the manifold grid,
the decoded points, the interpolation strip (bench/latent_path.py's "before") and the training evolution."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import HOLE_COLOUR, QUALITATIVE, tight

OK_COLOUR = "#16a34a"
CODE_GREY = "#cbd5e1"


def _label_traces(coords: np.ndarray, labels: np.ndarray, label_names, index: np.ndarray | None = None,
                  size: int = 5, opacity: float = 0.8) -> list[go.Scatter]:
    """One scatter per label (colour only), with the sample index in the hover; never dims on selection."""
    index = np.arange(len(coords)) if index is None else index
    traces = []
    for k, name in enumerate(label_names):
        mask = labels == k
        if not mask.any():
            continue
        traces.append(go.Scatter(
            x=coords[mask, 0], y=coords[mask, 1], mode="markers", name=str(name), customdata=index[mask],
            marker=dict(size=size, color=QUALITATIVE[k % len(QUALITATIVE)], opacity=opacity),
            selected=dict(marker=dict(opacity=1.0, size=size + 9)), unselected=dict(marker=dict(opacity=opacity)),
            hovertemplate=f"sample %{{customdata}}<br>label {name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        ))
    return traces


def hole_samples_figure(coords: np.ndarray, samples: np.ndarray, holes: np.ndarray, fraction: float,
                        axis_titles=("z₁", "z₂"), height: int = 420, codes_name: str = "training codes") -> go.Figure:
    """Reference codes (n, 2) in grey; draws (m, 2) as red crosses (in a hole) and green pluses (not)."""
    fig = go.Figure(go.Scatter(x=coords[:, 0], y=coords[:, 1], mode="markers", name=codes_name,
                               marker=dict(size=4, color=CODE_GREY), hoverinfo="skip"))
    for mask, name, symbol, colour in ((holes, "in a hole", "x-thin", HOLE_COLOUR),
                                       (~holes, "not a hole", "cross-thin", OK_COLOUR)):
        fig.add_trace(go.Scatter(x=samples[mask, 0], y=samples[mask, 1], mode="markers",
                                 name=f"{name} ({int(mask.sum())})",
                                 marker=dict(size=9, symbol=symbol, line=dict(width=2, color=colour)),
                                 hovertemplate=f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    # equal units on both axes by narrowing the plot, not by widening z₁'s range: a tall cloud (mnist's) drawn
    # with z₁ from -100 to 100 was a thin stripe in an empty chart
    fig.update_xaxes(title=axis_titles[0], showgrid=False, constrain="domain")
    fig.update_yaxes(title=axis_titles[1], showgrid=False, scaleanchor="x", scaleratio=1)
    return tight(fig, height=height, title=f"Hole fraction: {fraction:.0%} of {len(samples)} draws",
                 legend=dict(orientation="h", y=-0.15))


def sweep_figure(sizes, fractions, height: int = 320, current: int | None = None) -> go.Figure:
    """Hole fraction against latent size; the `current` size (the page's own model) ringed."""
    fig = go.Figure(go.Scatter(x=list(sizes), y=list(fractions), mode="lines+markers", name="hole fraction",
                               line=dict(color=HOLE_COLOUR, width=2), marker=dict(size=9),
                               hovertemplate="latent %{x}: %{y:.0%} in holes<extra></extra>"))
    if current is not None and current in list(sizes):
        y = list(fractions)[list(sizes).index(current)]
        fig.add_trace(go.Scatter(x=[current], y=[y], mode="markers", name="your model",
                                 marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(width=2, color="#222")),
                                 hovertemplate="your model, latent %{x}: %{y:.0%} in holes<extra></extra>"))
    fig.update_xaxes(title="latent size", tickvals=list(sizes))
    fig.update_yaxes(title="hole fraction", range=[0, 1.05], tickformat=".0%")
    return tight(fig, height=height, title="Hole fraction against latent size (the one hole rule)")


def _tile_profiles(X: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y of every feature profile of X (rows·cols, features) drawn inside its own unit tile."""
    f = X.shape[1]
    lo, hi = float(X.min()), float(X.max())
    span = max(hi - lo, 1e-6)
    u = np.linspace(0.08, 0.92, f)
    xs, ys = [], []
    for k, x in enumerate(X):
        i, j = divmod(k, cols)
        xs.append(np.append(j + u, np.nan))
        ys.append(np.append(i + 0.1 + 0.8 * (x - lo) / span, np.nan))
    return np.concatenate(xs), np.concatenate(ys)


def tiles_figure(X: np.ndarray, rows: int, cols: int, holes: np.ndarray, kind: str, *, image_shape=None,
                 title: str = "", height: int = 560, flip_rows: bool = True) -> go.Figure:
    """Decodings X (rows·cols, features), row by row, as tiles (images) or small multiples (features);
    hole cells shaded red. Row 0 is drawn at the bottom when `flip_rows` (so y rises as on the map)."""
    fig = go.Figure()
    mask = holes.reshape(rows, cols).astype(float)
    mask[mask == 0] = np.nan
    if kind == "image":
        h, w = image_shape
        tiles = X.reshape(rows, cols, h, w)
        if flip_rows:  # image row 0 is at the top; put grid row 0 (lowest y) at the bottom
            tiles, mask = tiles[::-1], mask[::-1]
        mosaic = tiles.transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
        fig.add_trace(go.Heatmap(z=mosaic, colorscale="gray_r", zmin=0, zmax=1, showscale=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Heatmap(z=mask, x0=(w - 1) / 2, dx=w, y0=(h - 1) / 2, dy=h, colorscale=[
            [0, "rgba(239,68,68,0.35)"], [1, "rgba(239,68,68,0.35)"]], showscale=False, hoverinfo="skip",
            name="hole"))
        fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
        fig.update_xaxes(showticklabels=False)
        # thin lines between tiles
        thin = dict(color="#e5e7eb", width=0.5)
        for c in range(1, cols):
            fig.add_shape(type="line", x0=c * w - 0.5, x1=c * w - 0.5, y0=-0.5, y1=rows * h - 0.5, line=thin)
        for rr in range(1, rows):
            fig.add_shape(type="line", y0=rr * h - 0.5, y1=rr * h - 0.5, x0=-0.5, x1=cols * w - 0.5, line=thin)
    else:
        fig.add_trace(go.Heatmap(z=mask, x0=0.5, dx=1, y0=0.5, dy=1, colorscale=[
            [0, "rgba(239,68,68,0.3)"], [1, "rgba(239,68,68,0.3)"]], showscale=False, hoverinfo="skip"))
        px_, py_ = _tile_profiles(X, rows, cols)
        fig.add_trace(go.Scatter(x=px_, y=py_, mode="lines", line=dict(color="#1d4ed8", width=1),
                                 hoverinfo="skip", name="decoded features"))
        fig.update_xaxes(range=[0, cols], showticklabels=False, showgrid=False, dtick=1)
        fig.update_yaxes(range=[0, rows], showticklabels=False, showgrid=False, dtick=1)
    return tight(fig, height=height, title=title, showlegend=False, margin=dict(l=5, r=5, t=40, b=5))


def decoded_points_figure(data: np.ndarray, points: np.ndarray, holes: np.ndarray, *, colour=None,
                          title: str = "", height: int = 460, names=("x", "y", "z")) -> go.Figure:
    """Decoded points (m, d) over the data cloud (n, d) in data space (d = 2 or 3); holes as red crosses."""
    three = data.shape[1] >= 3
    S = go.Scatter3d if three else go.Scatter

    def xyz(a):
        return dict(x=a[:, 0], y=a[:, 1], **({"z": a[:, 2]} if three else {}))

    fig = go.Figure(S(**xyz(data), mode="markers", name="training data", hoverinfo="skip",
                      marker=dict(size=2 if three else 4, color=CODE_GREY)))
    ok = ~holes
    fig.add_trace(S(**xyz(points[ok]), mode="markers", name="decoded, not a hole",
                    marker=dict(size=3 if three else 6, color=OK_COLOUR if colour is None else colour[ok],
                                colorscale="Viridis")))
    fig.add_trace(S(**xyz(points[holes]), mode="markers", name="decoded, in a hole",
                    marker=dict(size=3 if three else 8, color=HOLE_COLOUR, symbol="x")))
    if not three:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1], scaleanchor="x", scaleratio=1)
    return tight(fig, height=height, title=title, legend=dict(orientation="h", y=-0.1))


def distance_strip_figure(t: np.ndarray, dist: np.ndarray, r: float, height: int = 200) -> go.Figure:
    """Distance to the nearest code along an interpolation path, with r as a dashed line."""
    holes = dist > r
    fig = go.Figure(go.Scatter(x=t, y=dist, mode="lines+markers", name="distance to nearest code",
                               marker=dict(color=np.where(holes, HOLE_COLOUR, OK_COLOUR), size=7),
                               line=dict(color="#6b7280"),
                               hovertemplate="t = %{x:.2f}: distance %{y:.3f}<extra></extra>"))
    fig.add_hline(y=r, line=dict(color=HOLE_COLOUR, dash="dash"), annotation_text="r")
    fig.update_xaxes(title="position along the path t")
    fig.update_yaxes(title="distance", rangemode="tozero")
    return tight(fig, height=height, showlegend=False)


def evolution_figure(frames: list[tuple[int, np.ndarray]], labels: np.ndarray, label_names,
                     axis_titles=("z₁", "z₂"), height: int = 520) -> go.Figure:
    """The codes at each snapshot (epoch, (n, 2)) as an animation with a play button and epoch slider."""
    allc = np.concatenate([c for _, c in frames])
    lo, hi = allc.min(axis=0), allc.max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-3)

    def traces(c):
        return _label_traces(c, labels, label_names, size=4)

    names = [str(e) for e, _ in frames]
    fig = go.Figure(data=traces(frames[0][1]),
                    frames=[go.Frame(name=n, data=traces(c)) for n, (_, c) in zip(names, frames)])
    fig.update_xaxes(title=axis_titles[0], range=[lo[0] - pad[0], hi[0] + pad[0]], showgrid=False)
    fig.update_yaxes(title=axis_titles[1], range=[lo[1] - pad[1], hi[1] + pad[1]], showgrid=False)
    play = dict(frame=dict(duration=350, redraw=False), transition=dict(duration=250), fromcurrent=True,
                mode="immediate")
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=1, y=1.14, xanchor="right",
                          buttons=[
            dict(label="▶ Play", method="animate", args=[None, play]),
            dict(label="⏸ Pause", method="animate",
                 args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))]),
        ])],
        sliders=[dict(active=0, y=-0.02, currentvalue=dict(prefix="epoch "), steps=[
            dict(label=n, method="animate",
                 args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))])
            for n in names
        ])],
    )
    return tight(fig, height=height, title="The codes during training", margin=dict(l=10, r=10, t=80, b=80))
