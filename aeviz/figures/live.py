"""Charts the Train page redraws while training plays: the loss curve and the latent map, as ECharts
option dicts (plain JSON) rather than Plotly figures.

Why not Plotly here: Streamlit gives a Plotly chart a new identity whenever its figure changes, so a
chart redrawn three times a second is torn down and drawn from scratch each time (blank in between).
An ECharts chart with a key keeps its instance and only swaps the data, so the codes glide from one
redraw to the next. Like every builder, these take arrays and options and are tested without a browser.
"""

from __future__ import annotations

import math

import numpy as np

from .style import QUALITATIVE, TEST_COLOUR, TRAIN_COLOUR
from .training import DIVERGED_COLOUR, SHORT_HISTORY, START_COLOUR, shown_terms

_DASH = {"total": "solid", "recon": "solid", "kl": "dashed", "sparsity": "dotted", "contractive": "dashed"}
CROSS = "path://M2,0L5,3L8,0L10,2L7,5L10,8L8,10L5,7L2,10L0,8L3,5L0,2Z"  # an x-shaped marker
UPDATE_MS = 250  # how long the points take to glide to their new places at each redraw
_TITLE = {"left": 0, "textStyle": {"fontSize": 14, "fontWeight": "bold"}}
FONT_PX = 12  # ECharts' own text size; the presenter mode passes 16 or more


def with_font(option: dict, px: int = FONT_PX) -> dict:
    """`option` with every text at least `px` pixels: axis labels and names, the legend, the tooltip, and
    the title two pixels larger (in place; returns it)."""
    def sized(parent: dict, key: str, size: int) -> None:  # a new dict: the builders share some of theirs
        parent[key] = {**(parent.get(key) or {}), "fontSize": size}

    title = option.get("title")
    if isinstance(title, dict):
        sized(title, "textStyle", px + 2)
        if "subtextStyle" in title:
            sized(title, "subtextStyle", px)
    for axis in ("xAxis", "yAxis"):
        if isinstance(option.get(axis), dict):
            a = option[axis]
            sized(a, "axisLabel", px)
            sized(a, "nameTextStyle", px)
            if px > FONT_PX and "nameGap" in a:
                a["nameGap"] = round(a["nameGap"] * px / FONT_PX)
    for key in ("legend", "tooltip"):
        sized(option.setdefault(key, {}), "textStyle", px)
    for series in option.get("series", []):
        label = series.get("label")
        if isinstance(label, dict) and "fontSize" in label:
            series["label"] = {**label, "fontSize": max(label["fontSize"], px + 3)}
    if px > FONT_PX and isinstance(option.get("grid"), dict) and isinstance(option["grid"].get("top"), int):
        option["grid"]["top"] += 2 * (px - FONT_PX)
    return option


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def loss_chart(history: list[dict], *, epochs: int | None = None, start: float | None = None,
               diverged: dict | None = None, terms: list[str] | None = None, font_px: int = FONT_PX) -> dict:
    """Train and test loss per epoch (the axis spans the values, not down to 0), one line per named term; every epoch gets a marker
    while the history is short (one epoch is a point, not an invisible line). `start` is the untrained
    model's training loss at epoch 0; `diverged` is the record of the epoch that broke training (rolled
    back): drawn in red, joined to the last kept epoch, with a dashed line where training stopped.
    `font_px` sizes every text (presenter mode: 16 or more)."""
    series: list[dict] = []
    if _finite(start):
        series.append({"type": "scatter", "name": "before training", "data": [[0, float(start)]],
                       "symbol": "diamond", "symbolSize": 11, "itemStyle": {"color": START_COLOUR},
                       "z": 3})
    if history:
        short = len(history) <= SHORT_HISTORY
        for term in shown_terms(history, terms):
            for split, colour in (("train", TRAIN_COLOUR), ("test", TEST_COLOUR)):
                key = f"{split}_{term}"
                if key in history[0]:
                    series.append({
                        "type": "line", "name": f"{split} {term}",
                        "data": [[h["epoch"], float(h[key])] for h in history],
                        "showSymbol": short, "symbol": "circle", "symbolSize": 7,
                        "itemStyle": {"color": colour},
                        "lineStyle": {"color": colour, "type": _DASH.get(term, "solid"),
                                      "width": 2 if term == "total" else 1.5},
                    })
    title = {"text": "Loss per epoch", **_TITLE}
    if diverged is not None:
        series += _diverged_series(history, diverged, start)
        title.update(subtext=series[-1]["markLine"]["label"]["formatter"],
                     subtextStyle={"color": DIVERGED_COLOUR, "fontSize": 12})
    return with_font({
        "animation": False,  # a curve that grows should not replay its drawing on every redraw
        "title": title,
        "tooltip": {"trigger": "item", "valueFormatter": "%.4g"},
        "legend": {"bottom": 0, "type": "scroll", "data": [x["name"] for x in series if "markLine" not in x]},
        "grid": {"left": 10, "right": 20, "top": 60 if diverged is not None else 40, "bottom": 50,
                 "containLabel": True},
        "xAxis": {"type": "value", "name": "epoch", "nameLocation": "middle", "nameGap": 24, "min": 0,
                  "max": epochs or "dataMax", "splitLine": {"show": False}},
        "yAxis": {"type": "value", "name": "loss", "nameLocation": "middle", "nameGap": 45, "scale": True},
        "series": series,
    }, font_px)


def _diverged_series(history: list[dict], record: dict, start: float | None) -> list[dict]:
    """The rolled-back epoch: per split a red dotted step from the last kept epoch to an x at its loss
    (or, if that loss is not a number, only the note), and a dashed line where training stopped."""
    e = int(record["epoch"])
    out, broken = [], []
    for split, colour in (("train", TRAIN_COLOUR), ("test", TEST_COLOUR)):
        value = record.get(f"{split}_total")
        if value is None:
            continue
        if not _finite(value):
            broken.append(f"{split} loss {value}")
            continue
        before = history[-1].get(f"{split}_total") if history else (start if split == "train" else None)
        data = ([[e - 1, float(before)]] if _finite(before) else []) + [[e, float(value)]]
        out.append({
            "type": "line", "name": f"{split} (rolled back)", "data": data,
            "symbol": CROSS, "symbolSize": 13, "showSymbol": True, "itemStyle": {"color": colour,
                                                                              "borderColor": DIVERGED_COLOUR},
            "lineStyle": {"color": DIVERGED_COLOUR, "type": "dotted", "width": 1.5},
        })
    note = f"training stopped at epoch {e}" + (f" ({', '.join(broken)})" if broken else "")
    out.append({
        "type": "line", "name": "training stopped", "data": [], "itemStyle": {"color": DIVERGED_COLOUR},
        "markLine": {"symbol": "none", "silent": True, "data": [{"xAxis": e}],
                     "lineStyle": {"color": DIVERGED_COLOUR, "type": "dashed", "width": 1.5},
                     "label": {"show": False, "formatter": note}},
    })
    return out


def follow_box(coords: np.ndarray, previous: tuple[np.ndarray, np.ndarray] | None = None, pad: float = 0.08,
               ease: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Axis limits (lo (2,), hi (2,)) for codes (n, 2) that move between redraws: the padded box around
    them, grown at once when they leave the previous box but shrunk only `ease` of the way when they
    contract, so a live map's axes follow the codes without jumping."""
    lo, hi = np.nanmin(coords, axis=0).astype(float), np.nanmax(coords, axis=0).astype(float)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    if previous is None:
        return lo, hi
    plo, phi = (np.asarray(b, dtype=float) for b in previous)
    return np.minimum(lo, plo + ease * (lo - plo)), np.maximum(hi, phi + ease * (hi - phi))


def latent_chart(coords: np.ndarray, labels: np.ndarray, label_names, box, *, epoch: int | None = None,
                 axis_titles=("z₁", "z₂"), strip: bool = False, font_px: int = FONT_PX) -> dict:
    """The codes (n, 2) as they are right now, one colour per label (colour only), each label's name
    written at the middle of its codes instead of a legend, axes fixed to `box` (lo (2,), hi (2,));
    `font_px` sizes every text (presenter mode: 16 or more)."""
    coords = np.round(np.asarray(coords, dtype=float), 4)
    series, names = [], []
    for k, name in enumerate(label_names):
        mask = labels == k
        if not mask.any():
            continue
        colour = QUALITATIVE[k % len(QUALITATIVE)]
        series.append({
            "type": "scatter", "name": str(name), "data": coords[mask].tolist(), "symbolSize": 4,
            "itemStyle": {"color": colour, "opacity": 0.75}, "emphasis": {"disabled": True},
            "tooltip": {"formatter": "label {a}: ({@[0]}, {@[1]})"},
        })
        mid = np.median(coords[mask], axis=0)
        names.append({"name": str(name), "value": [round(float(mid[0]), 4), 0.0 if strip else round(float(mid[1]), 4)],
                      "label": {"color": colour}})
    series.append({
        "type": "scatter", "name": "labels", "data": names, "symbolSize": 0, "silent": True, "z": 5,
        "tooltip": {"show": False},
        "label": {"show": True, "formatter": "{b}", "fontSize": 15, "fontWeight": "bold",
                  "textBorderColor": "#ffffff", "textBorderWidth": 3},
    })
    lo, hi = box
    axis = {"type": "value", "splitLine": {"show": False}, "nameLocation": "middle", "nameGap": 24,
            "axisLabel": {"showMinLabel": False, "showMaxLabel": False}}
    return with_font({
        "animationDurationUpdate": UPDATE_MS, "animationEasingUpdate": "linear",
        "title": {"text": "The codes now" + (f" (epoch {epoch})" if epoch is not None else ""), **_TITLE},
        "tooltip": {"trigger": "item"},
        "legend": {"show": False},
        "grid": {"left": 10, "right": 20, "top": 40, "bottom": 30, "containLabel": True},
        "xAxis": {**axis, "name": axis_titles[0], "min": round(float(lo[0]), 4), "max": round(float(hi[0]), 4)},
        "yAxis": {**axis, "name": "" if strip else axis_titles[1], "nameGap": 40,
                  "min": round(float(lo[1]), 4), "max": round(float(hi[1]), 4),
                  "axisLabel": {"show": not strip, "showMinLabel": False, "showMaxLabel": False}},
        "series": series,
    }, font_px)
