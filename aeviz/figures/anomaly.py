"""Figures for the Anomaly page: error histogram with the threshold, ROC with the operating point,
the confusion matrix, and flagged points against the normal data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import HOLE_COLOUR, TRAIN_COLOUR, tight

NORMAL_COLOUR = TRAIN_COLOUR
ANOMALY_COLOUR = HOLE_COLOUR
UPLOAD_COLOUR = "#111827"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """log10 positions of 1-2-5 tick values between 10**lo and 10**hi (1-3-10 steps when that is too many)."""
    decades = range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = [float(np.log10(m * 10.0 ** e)) for e in decades for m in mantissas]
        ticks = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
        if len(ticks) <= 10:
            return ticks
    return ticks


def error_histogram(normal: np.ndarray, anomalous: np.ndarray, threshold: float, *, log_x: bool = False,
                    uploaded: np.ndarray | None = None, bins: int = 40) -> go.Figure:
    """Overlaid histograms of normal and anomalous errors on shared bins, the threshold as a vertical
    line, and uploaded rows (if any) as ticks along the bottom. `log_x` bins log10(error)."""
    floor = 1e-8

    def f(v):
        v = np.asarray(v, dtype=float)
        return np.log10(np.maximum(v, floor)) if log_x else v

    every = np.concatenate([f(normal), f(anomalous)] + ([f(uploaded)] if uploaded is not None and len(uploaded) else []))
    lo, hi = (float(every.min()), float(every.max())) if every.size else (0.0, 1.0)
    size = (hi - lo) / bins if hi > lo else 1.0
    xbins = dict(start=lo, end=hi + size, size=size)
    fig = go.Figure()
    top = 1
    for name, values, colour in (("normal (held out)", normal, NORMAL_COLOUR), ("anomalous", anomalous, ANOMALY_COLOUR)):
        if len(values):
            counts, _ = np.histogram(f(values), bins=np.arange(lo, hi + 2 * size, size))
            top = max(top, int(counts.max()))
            fig.add_trace(go.Histogram(x=f(values), xbins=xbins, name=f"{name} ({len(values)})",
                                       marker_color=colour, opacity=0.6))
    t = float(f([threshold])[0])
    fig.add_trace(go.Scatter(x=[t, t], y=[0, top * 1.08], mode="lines", name="threshold",
                             line=dict(color="#111827", width=2, dash="dash"),
                             hovertemplate=f"threshold {threshold:.4g}<extra></extra>"))
    if uploaded is not None and len(uploaded):
        fig.add_trace(go.Scatter(x=f(uploaded), y=np.zeros(len(uploaded)), mode="markers", name="your rows",
                                 marker=dict(symbol="line-ns-open", size=16, color=UPLOAD_COLOUR, line=dict(width=2)),
                                 customdata=np.arange(1, len(uploaded) + 1),
                                 hovertemplate="your row %{customdata}<extra></extra>"))
    fig.update_layout(barmode="overlay")
    if log_x:
        ticks = _log_ticks(lo, hi)
        fig.update_xaxes(title="reconstruction error (log scale)", tickvals=ticks,
                         ticktext=[f"{10 ** v:.2g}" for v in ticks])
    else:
        fig.update_xaxes(title="reconstruction error (MSE per sample)")
    fig.update_yaxes(title="count")
    return tight(fig, height=340, title="Reconstruction errors", legend=dict(orientation="h", y=-0.3))


def roc_figure(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple[float, float] | None = None) -> go.Figure:
    """The ROC curve with its AUC, the chance diagonal, and the current operating point (fpr, tpr)."""
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(color="#9ca3af", dash="dot")),
        go.Scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC = {auc:.3f})", line=dict(color=NORMAL_COLOUR, width=2),
                   hovertemplate="FPR %{x:.3f}, detection %{y:.3f}<extra></extra>"),
    ])
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="operating point",
                                 marker=dict(size=14, color=ANOMALY_COLOUR, line=dict(width=2, color="white")),
                                 hovertemplate="FPR %{x:.3f}, detection %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title="false-positive rate", range=[-0.02, 1.02])
    fig.update_yaxes(title="detection rate", range=[-0.02, 1.02])
    return tight(fig, height=340, title=f"ROC curve — AUC {auc:.3f}", legend=dict(orientation="h", y=-0.3))


def confusion_figure(cm: np.ndarray) -> go.Figure:
    """The 2x2 confusion matrix (rows: true normal/anomalous; columns: predicted) with counts written in."""
    names = ["normal", "anomalous"]
    cm = np.asarray(cm)
    text = [[f"{'TN' if (i, j) == (0, 0) else 'FP' if (i, j) == (0, 1) else 'FN' if (i, j) == (1, 0) else 'TP'}"
             f"<br><b>{cm[i, j]}</b>" for j in range(2)] for i in range(2)]
    fig = go.Figure(go.Heatmap(z=cm, x=[f"flagged {n}" for n in names], y=[f"truly {n}" for n in names],
                               text=text, texttemplate="%{text}", colorscale="Blues", showscale=False,
                               hovertemplate="%{y}, %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return tight(fig, height=260, title="Confusion matrix")


def flagged_points_figure(normal: np.ndarray, anomalous: np.ndarray, normal_flags: np.ndarray,
                          anomalous_flags: np.ndarray) -> go.Figure:
    """Point datasets: held-out normal points (circles) and anomalies (diamonds), red when flagged."""
    traces = []
    three = normal.shape[1] >= 3
    for X, flags, name, symbol in ((normal, normal_flags, "normal", "circle"), (anomalous, anomalous_flags, "anomalous", "diamond")):
        for flagged in (False, True):
            P = X[flags == flagged]
            if not len(P):
                continue
            label = f"{name}, {'flagged' if flagged else 'passed'} ({len(P)})"
            marker = dict(size=4 if three else 7, symbol=symbol, color=ANOMALY_COLOUR if flagged else (
                NORMAL_COLOUR if name == "normal" else "#f59e0b"), line=dict(width=0.5, color="white"))
            if three:
                traces.append(go.Scatter3d(x=P[:, 0], y=P[:, 1], z=P[:, 2], mode="markers", name=label, marker=marker))
            else:
                traces.append(go.Scatter(x=P[:, 0], y=P[:, 1], mode="markers", name=label, marker=marker))
    fig = go.Figure(traces)
    if not three:
        fig.update_yaxes(scaleanchor="x")
    return tight(fig, height=420, title="Flagged (red) and passed points", legend=dict(orientation="h", y=-0.15))
