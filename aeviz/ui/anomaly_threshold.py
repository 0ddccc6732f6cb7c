"""The Anomaly page's threshold panel: the threshold widgets, the browser-side threshold chart (a fragment
around aeviz.ui.components.threshold), the confusion matrix, the top flagged rows, a histogram bin's samples
and the "score your own data" upload (aeviz.ui.anomaly_upload).

The figures under the chart depend on the run (its id: an uploaded model has its own), the anomaly
settings and the threshold alone, so they are computed once per server and shared by every session that
asks for the same (`shared_figure`); the threshold chart itself is drawn in the browser."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import streamlit as st

from ..analysis import anomaly
from ..config import DataConfig
from ..datasets import Dataset
from ..figures import anomaly as fig_anomaly
from ..figures.recon import profile_overlay
from ..figures.samples import image_figure
from ..run import Run
from . import anomaly_bins
from .anomaly_upload import upload_section
from .cache import per_run
from .charts import shared_figure
from .components import threshold as threshold_component
from .lesson import chart, font_px, hidden, link_value, remember
from .state import configs

_MODES = {"percentile": "percentile of normal errors", "raw": "raw error value"}
_DRAG_KEY = "an_drag"


def _fig_key(run: Run, acfg: anomaly.AnomalyConfig, *options) -> tuple:
    """A shared figure's key: the settings, the run's identity (an upload has its own), the anomalies and
    the options."""
    return (configs(), run.id, acfg, *options)


def _percent(v: float) -> str:
    return "—" if math.isnan(v) else f"{100 * v:.1f}%"


def _take_drag() -> None:
    """The threshold chart sent a threshold (a drag let go, or a pause after arrow keys): move the matching
    widget to it (or, with the inputs hidden, the lesson's value), so this run and every later one use it."""
    sent = threshold_component.sent_threshold(st.session_state[_DRAG_KEY].get("threshold"))
    mode = link_value("thr_mode") if hidden("threshold") else st.session_state.get("an_mode", "percentile")
    if sent is None or sent[0] != mode:
        return
    if hidden("threshold"):
        remember("pct" if sent[0] == "percentile" else "raw", sent[1])
    else:
        st.session_state["an_pct" if sent[0] == "percentile" else "an_raw"] = sent[1]


def _threshold_input(scn: anomaly.Scenario) -> tuple[str, float, float, bool]:
    """The threshold widgets (the chart's drag moves them too); returns (mode, percentile, the threshold
    as an error value, log scale wanted). Mode and value start at the link's and go back to it; with
    ?hide=threshold they are the link's, undrawn (the chart can still be dragged)."""
    lo, hi, step = threshold_component.PERCENTILE_RANGE
    default_raw = float(f"{anomaly.threshold(scn.normal, 'percentile', 95.0):.3g}")
    if hidden("threshold"):
        mode, pct, raw = link_value("thr_mode"), float(link_value("pct")), link_value("raw")
        raw = default_raw if raw is None else float(raw)
        thr = anomaly.threshold(scn.normal, "percentile", pct) if mode == "percentile" else raw
        return mode, pct, float(thr), True
    st.session_state.setdefault("an_mode", link_value("thr_mode"))
    st.session_state.setdefault("an_pct", float(link_value("pct")))
    if "an_raw" not in st.session_state:
        st.session_state["an_raw"] = default_raw if link_value("raw") is None else float(link_value("raw"))
    a, b, c = st.columns([2, 3, 1])
    mode = a.radio("Threshold as", list(_MODES), format_func=_MODES.get, key="an_mode", horizontal=True)
    pct = float(st.session_state["an_pct"])
    if mode == "percentile":
        pct = b.slider("Threshold (percentile of held-out normal errors)", lo, hi, step=step, key="an_pct")
        thr = anomaly.threshold(scn.normal, "percentile", pct)
    else:
        default = anomaly.threshold(scn.normal, "percentile", 95.0)
        thr = b.number_input("Threshold (raw reconstruction error)", min_value=0.0,
                             step=float(f"{default / 10:.1g}"), format="%.4g", key="an_raw")
        remember("raw", float(thr))
    remember("thr_mode", mode)
    remember("pct", float(pct))
    log_x = c.checkbox("Log scale", True, key="an_log",
                       help="Bin log10(error): anomalies can be 100× worse than normal rows.")
    return mode, float(pct), float(thr), log_x


def summary(m: dict, thr: float, mode: str, pct: float) -> str:
    """One plain sentence of the server's numbers at this threshold (the chart shows the same, live)."""
    where = f" (the {pct:.1f}th percentile of normal errors)" if mode == "percentile" else ""
    return (f"At threshold τ = {thr:.4g}{where}: **{m['tp']} of {m['tp'] + m['fn']}** anomalies caught "
            f"(detection rate {_percent(m['detection_rate'])}); **{m['fp']} of {m['fp'] + m['tn']}** normal rows "
            f"raised a false alarm (false-positive rate {_percent(m['false_positive_rate'])}); precision "
            f"{_percent(m['precision'])}, F1 {m['f1']:.3f}.")


def _top_flagged(scn: anomaly.Scenario, data: Dataset, thr: float, run: Run, acfg: anomaly.AnomalyConfig) -> None:
    """The rows with the largest errors above the threshold, as images, feature overlays or points; each
    figure is shared under the run and anomalies (`_fig_key`)."""
    key = _fig_key(run, acfg)
    if data.kind == "points":
        flags_n, flags_a = scn.normal > thr, scn.anomalous > thr
        # the flagged rows are the largest errors of each class: their counts name them
        fig = shared_figure((*key, "an points", int(flags_n.sum()), int(flags_a.sum())),
                            lambda: fig_anomaly.flagged_points_figure(scn.X_normal, scn.X_anomalous, flags_n, flags_a))
        chart(fig, key="an_points")
        return
    errors, names, top = _run_top_flagged(run, configs()[0], acfg, float(thr), 6 if data.kind == "image" else 3,
                                          _scn=scn)
    st.caption("The largest errors above the threshold, at most two of each kind (false alarms included).")
    if not len(top):
        st.info("Nothing is above the threshold: lower it to flag something.")
        return
    cols = st.columns(len(top) if data.kind == "image" else 1)
    for j, i in enumerate(top):
        fig = shared_figure((*key, "an top", int(i)), partial(_flagged_figure, scn, data, names, errors, int(i)))
        chart(fig, where=cols[j] if data.kind == "image" else cols[0], key=f"an_top_{j}")


@per_run(max_entries=64, frozen=True)
def _run_top_flagged(run: Run, data_cfg: DataConfig, acfg: anomaly.AnomalyConfig, thr: float, k: int,
                     _scn: anomaly.Scenario) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per run, anomalies and threshold: every row's error (normal rows first), its kind, and the flagged
    rows to show (`anomaly.top_flagged`)."""
    errors = np.concatenate([_scn.normal, _scn.anomalous])
    names = ["normal (false alarm)"] * len(_scn.normal) + [f"anomaly: {kind}" for kind in _scn.kinds]
    return errors, names, anomaly.top_flagged(errors, thr, k=k, groups=names, per_group=2)


@per_run(max_entries=64, frozen=True)
def _run_detection(run: Run, data_cfg: DataConfig, acfg: anomaly.AnomalyConfig, thr: float,
                   _scn: anomaly.Scenario) -> dict:
    """Per run, anomalies and threshold: the detection metrics (`anomaly.detection_metrics`, read-only)."""
    return anomaly.detection_metrics(_scn.normal, _scn.anomalous, thr)


@per_run(max_entries=64)
def _run_chart_payload(run: Run, data_cfg: DataConfig, acfg: anomaly.AnomalyConfig, mode: str, pct: float,
                       thr: float, log_x: bool, font: int, _scn: anomaly.Scenario) -> dict:
    """Per run, anomalies and threshold: the threshold chart's data without uploaded rows (shared)."""
    return threshold_component.payload(_scn.normal, _scn.anomalous, mode=mode, pct=pct, threshold=thr, log_x=log_x,
                                       colours=_CHART_COLOURS, font_px=font)


_CHART_COLOURS = {"normal": fig_anomaly.NORMAL_COLOUR, "anomalous": fig_anomaly.ANOMALY_COLOUR,
                  "upload": fig_anomaly.UPLOAD_COLOUR, "line": fig_anomaly.UPLOAD_COLOUR}


def _flagged_figure(scn: anomaly.Scenario, data: Dataset, names: list[str], errors: np.ndarray, i: int):
    """Row `i` of the normal rows followed by the anomalies: the image, or its features over their reconstruction."""
    if data.kind == "image":
        X = scn.X_normal[i] if i < len(scn.normal) else scn.X_anomalous[i - len(scn.normal)]
        # the kind alone ("inverted", "false alarm") over the error: "anomaly: …" and "normal (false alarm)" ran
        # off a sixth of the page
        name = names[i].removeprefix("anomaly: ").replace("normal (false alarm)", "false alarm")
        return image_figure(X, data.image_shape, title=f"{name}<br>{errors[i]:.3g}", height=200)
    n = len(scn.normal)
    x, r = (scn.X_normal[i], scn.recon_normal[i]) if i < n else (scn.X_anomalous[i - n], scn.recon_anomalous[i - n])
    return profile_overlay(x, r, data.feature_names, title=f"{names[i]} · error {errors[i]:.3g}", height=280)


@st.fragment
def threshold_panel(scn: anomaly.Scenario, data: Dataset, run: Run, acfg: anomaly.AnomalyConfig) -> None:
    """Threshold widgets, the threshold chart (histogram, live rates, ROC with the operating point: all
    recomputed in the browser while you drag), then the confusion matrix, top flagged rows and upload,
    which follow when the drag is let go.

    A fragment: a new threshold reruns only this panel, not the training or the anomaly injection.
    """
    mode, pct, thr, log_x = _threshold_input(scn)
    chart_box = st.container()  # filled last (it needs the upload's errors); a block from the start, so a
    # fragment rerun never turns an element into a block at this place (the browser refuses that)
    m = _run_detection(run, configs()[0], acfg, float(thr), _scn=scn)
    left, right = st.columns([2, 3])
    cm = m["confusion"]  # the figure depends on these four counts alone
    chart(shared_figure(("an confusion", *(int(v) for v in cm.ravel())), lambda: fig_anomaly.confusion_figure(cm)),
          where=left, key="an_cm")
    right.markdown(summary(m, thr, mode, pct))
    right.caption("The chart above answers every drag in your browser; these numbers, the confusion matrix "
                  "and the rows below are the server's, and follow when you let go.")
    st.subheader("Flagged points" if data.kind == "points" else "Top flagged")
    _top_flagged(scn, data, thr, run, acfg)
    uploaded = upload_section(data, run.model, thr, scn)
    if uploaded is None:  # what every session without an upload sees: computed once
        data_for_chart = _run_chart_payload(run, configs()[0], acfg, mode, float(pct), float(thr), bool(log_x),
                                            int(font_px()), _scn=scn)
    else:
        data_for_chart = threshold_component.payload(scn.normal, scn.anomalous, mode=mode, pct=pct, threshold=thr,
                                                     log_x=log_x, uploaded=uploaded, colours=_CHART_COLOURS,
                                                     font_px=font_px())
    bins = threshold_component.bins_of(data_for_chart)
    k = anomaly_bins.picked(bins)
    with chart_box:
        threshold_component.threshold_drag(data_for_chart, key=_DRAG_KEY, on_change=_take_drag,
                                           on_bin=anomaly_bins.taker(_DRAG_KEY), picked=k)
        if k is not None:
            anomaly_bins.listing(scn, data, run, _fig_key(run, acfg), bins, k)
