"""Figures for the Anomaly page: the confusion matrix, flagged points against the normal data, and detection
against the share of anomalies in the training rows."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import HOLE_COLOUR, TRAIN_COLOUR, tight

NORMAL_COLOUR = TRAIN_COLOUR
ANOMALY_COLOUR = HOLE_COLOUR
UPLOAD_COLOUR = "#111827"


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


def contamination_figure(percents, detection, auc, current: int | None = None) -> go.Figure:
    """Detection rate and AUC (0-1) against the percent of training rows that are anomalies, the `current`
    stop ringed; one point per stop trained so far."""
    fig = go.Figure()
    for values, name, colour, dash in ((detection, "detection rate (95th-percentile τ)", ANOMALY_COLOUR, "solid"),
                                       (auc, "AUC", NORMAL_COLOUR, "dot")):
        fig.add_trace(go.Scatter(x=list(percents), y=list(values), name=name, mode="lines+markers",
                                 line=dict(color=colour, dash=dash), marker=dict(size=8),
                                 hovertemplate="%{x} % anomalies in training: %{y:.3f}<extra>" + name + "</extra>"))
    if current is not None and current in list(percents):
        i = list(percents).index(current)
        fig.add_trace(go.Scatter(x=[current, current], y=[detection[i], auc[i]], mode="markers", showlegend=False,
                                 hoverinfo="skip", marker=dict(size=16, color="rgba(0,0,0,0)",
                                                               line=dict(width=2, color=UPLOAD_COLOUR))))
    fig.update_xaxes(title="anomalies mixed into training (%)", range=[-3, 53], tickvals=[0, 10, 20, 30, 40, 50])
    fig.update_yaxes(title="share", range=[0, 1.05])
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return tight(fig, height=300, title="Detection against contamination")
