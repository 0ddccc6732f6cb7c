"""Figures for the Architecture page (the hourglass, the forward pass) and what the live loss chart shares."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import PART_COLOURS, tight


def shown_terms(history: list[dict], terms: list[str] | None = None) -> list[str]:
    """The loss terms a curve draws: a plain model's total is its reconstruction error, drawn once as
    "recon"; a model with extra terms (kl, sparsity, ...) shows its total, recon and each term."""
    terms = terms or [k[len("train_"):] for k in history[0] if k.startswith("train_")]
    extra = [t for t in terms if t not in ("total", "recon")]
    return (["total", "recon", *extra] if extra else ["recon"]) if "recon" in terms else terms


SHORT_HISTORY = 30  # up to this many epochs, every epoch is drawn as a marker too (one point is no line)
DIVERGED_COLOUR = "#dc2626"
START_COLOUR = "#6b7280"


def _block_geometry(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """x centres and heights of the blocks; height ∝ width, normalised to the widest layer."""
    widths = np.array([r["width"] for r in rows], dtype=float)
    heights = 0.08 + 0.92 * widths / widths.max()
    return np.arange(len(rows), dtype=float), heights


def hourglass_figure(rows: list[dict], title: str | None = None) -> go.Figure:
    """One block per layer, height proportional to its width, coloured by part, labelled with
    its size and parameter count; the total in the title."""
    xs, hs = _block_geometry(rows)
    fig = go.Figure()
    for x, h, r in zip(xs, hs, rows):
        colour = PART_COLOURS[r["part"]]
        fig.add_shape(type="rect", x0=x - 0.3, x1=x + 0.3, y0=-h / 2, y1=h / 2,
                      line=dict(color=colour, width=1), fillcolor=colour, opacity=0.75)
        fig.add_annotation(x=x, y=h / 2 + 0.04, text=f"<b>{r['width']}</b>", showarrow=False, yanchor="bottom")
        fig.add_annotation(x=x, y=-h / 2 - 0.04, text=f"{r['params']:,}<br>params", showarrow=False,
                           yanchor="top", font=dict(size=10))
    # (the count above the word "params": one line of both ran into the next block's on a phone)
    # one invisible point per block carries the hover text and the legend entry of its part
    seen = set()
    for x, r in zip(xs, rows):
        fig.add_trace(go.Scatter(
            x=[x], y=[0], mode="markers", marker=dict(size=18, color=PART_COLOURS[r["part"]], opacity=0),
            name=r["part"], legendgroup=r["part"], showlegend=r["part"] not in seen,
            hovertemplate=f"{r['layer']}<br>{r['width']} units<br>{r['params']:,} parameters<extra></extra>",
        ))
        seen.add(r["part"])
    total = sum(r["params"] for r in rows)
    fig.update_xaxes(tickvals=list(xs), ticktext=[r["layer"] for r in rows], range=[-0.6, len(rows) - 0.4],
                     showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, range=[-0.75, 0.75])
    return tight(fig, height=380, title=title or f"Total: {total:,} trainable parameters", showlegend=False)


ACTIVATION_SCALE = "RdBu"  # low (negative) is red, high (positive) is blue: as the page's text says


WIDE_LAYER = 64  # a layer wider than this is drawn as an image (or a strip of cells), not as one marker per unit
_GREY = [[0, "#e5e7eb"], [1, "#e5e7eb"]]  # a layer not reached yet
PIXEL_SCALE = "Greys"  # an image layer: white 0, black 1


def _drawn_as_image(width: int, image_shape) -> bool:
    """True when a layer of `width` units is the dataset's image (input, output) or wider than WIDE_LAYER."""
    return width > WIDE_LAYER or (image_shape is not None and width == int(np.prod(image_shape)))


def forward_pass_figure(rows: list[dict], activations: list[np.ndarray], image_shape=None) -> go.Figure:
    """One sample flowing through the network: a column of cells per layer, coloured by activation.

    A layer that is the dataset's image (`image_shape`, e.g. 28×28) is drawn as that image in grey (white 0,
    black 1), and any other layer wider than WIDE_LAYER as a strip of cells (a heatmap), not as hundreds of
    markers. Frame k lights layers 0..k; later layers stay grey. Blue is positive, red negative, white zero; the
    colour bar at the right (on an invisible last trace, in every frame) says so. Plotly's play button and slider step through the frames in the
    browser, with no round trip to the server.
    """
    xs, hs = _block_geometry(rows)
    scale = max(float(np.abs(np.concatenate(activations)).max()), 1e-6)
    colorbar = dict(title=dict(text="activation", side="right"), thickness=12, len=0.8, tickvals=[-scale, 0, scale],
                    ticktext=[f"−{scale:.2g} (red)", "0", f"+{scale:.2g} (blue)"])

    def image(k: int, lit: bool) -> go.Heatmap:
        a = activations[k]
        n = a.size
        shape = tuple(int(v) for v in image_shape) if image_shape is not None and n == int(np.prod(image_shape)) \
            else (n, 1)
        h, w = shape
        pixels = w > 1  # the dataset's image: drawn in grey, white 0 to black 1, as the images beside it
        height = min(0.45, hs[k]) if pixels else hs[k]
        width = 0.9 if pixels else 0.22
        grid = a.reshape(shape)[::-1]  # (rows, cols), the image's top row drawn at the top
        lo, hi = (0.0, 1.0) if pixels else (-scale, scale)
        return go.Heatmap(
            z=grid if lit else np.zeros(shape), x0=xs[k] - width / 2 + width / w / 2, dx=width / w,
            y0=-height / 2 + height / h / 2, dy=height / h,
            colorscale=(PIXEL_SCALE if pixels else ACTIVATION_SCALE) if lit else _GREY, zmin=lo, zmax=hi,
            showscale=False, name=rows[k]["layer"], showlegend=False, xgap=0, ygap=0,
            hovertemplate=f"{rows[k]['layer']} {'pixel' if w > 1 else 'unit'}: %{{z:.3f}}<extra></extra>"
            if lit else f"{rows[k]['layer']}: not reached yet<extra></extra>",
        )

    def column(k: int, lit: bool):
        a = activations[k]
        n = a.size
        if _drawn_as_image(n, image_shape):
            return image(k, lit)
        ys = np.linspace(-hs[k] / 2, hs[k] / 2, n) if n > 1 else np.zeros(1)
        return go.Scatter(
            x=np.full(n, xs[k]), y=ys, mode="markers",
            marker=dict(size=max(4, min(14, 260 / max(n, 1))), symbol="square",
                        color=a if lit else "#e5e7eb", colorscale=ACTIVATION_SCALE,
                        cmin=-scale, cmax=scale, line=dict(width=0.5, color="#9ca3af"),
                        showscale=False),
            customdata=np.arange(n), name=rows[k]["layer"], showlegend=False,
            hovertemplate=f"{rows[k]['layer']} unit %{{customdata}}: %{{marker.color:.3f}}<extra></extra>"
            if lit else f"{rows[k]['layer']}: not reached yet<extra></extra>",
        )

    # the colour bar, on an invisible point present in every frame
    bar = go.Scatter(x=[xs[0]], y=[0], mode="markers", hoverinfo="skip", showlegend=False, name="scale",
                     marker=dict(size=0.1, opacity=0, color=[0], colorscale=ACTIVATION_SCALE, cmin=-scale, cmax=scale,
                                 showscale=True, colorbar=colorbar))
    n = len(rows)
    frames = [go.Frame(name=str(k), data=[*(column(j, j <= k) for j in range(n)), bar]) for k in range(n)]
    fig = go.Figure(data=[*(column(j, j == 0) for j in range(n)), bar], frames=frames)
    for k, r in enumerate(rows):  # a thin frame around each image, lit or not (white pixels vanish otherwise)
        if image_shape is not None and r["width"] == int(np.prod(image_shape)):
            h = min(0.45, hs[k])
            fig.add_shape(type="rect", x0=xs[k] - 0.45, x1=xs[k] + 0.45, y0=-h / 2, y1=h / 2,
                          line=dict(color="#d1d5db", width=1), layer="above")
    # level labels on two staggered rows (every other one a row lower), so neighbours do not overlap on a phone;
    # rotated ones ran into the slider's "reached:" label below
    fig.update_xaxes(tickvals=list(xs), tickangle=0, tickfont=dict(size=11),
                     ticktext=[("<br>" * 2 * (k % 2)) + f"{r['layer']}<br>({r['width']})" for k, r in enumerate(rows)],
                     range=[-0.6, n - 0.4], showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, range=[-0.6, 0.6])
    fig.update_layout(
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=1.18, xanchor="left", buttons=[
            dict(label="▶ Play forward pass", method="animate",
                 args=[None, dict(frame=dict(duration=600, redraw=True), transition=dict(duration=200),
                                  fromcurrent=False, mode="immediate")]),
        ])],
        sliders=[dict(active=0, y=-0.42, currentvalue=dict(prefix="reached: "), steps=[
            dict(label=rows[k]["layer"], method="animate",
                 args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
            for k in range(n)
        ])],
    )
    return tight(fig, height=480, title="Forward pass, one layer at a time", margin=dict(l=10, r=10, t=80, b=170))
