"""Streamlit helpers for the Anomaly page: anomaly settings, the cached normal-only digits run,
the live threshold panel (a fragment) and the "score your own data" upload."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import streamlit as st

from ..analysis import anomaly
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..figures import anomaly as fig_anomaly
from ..figures.recon import profile_overlay
from ..figures.samples import image_figure
from ..train import Trainer
from .cache import dataset
from .runs import model_or_stop, run_or_stop, shared_run
from .share import plain

_PRESET_LABELS = {"obvious": "Obvious (μ = 5, σ = 1.5)", "subtle": "Subtle (μ = 1, σ = 0.8)", "custom": "Custom"}
_MODES = {"percentile": "percentile of normal errors", "raw": "raw error value"}
_PARSED = "an_upload_parsed"  # ((file id, columns, bounded), CsvResult): the uploaded CSV, read once


def _apply_preset() -> None:
    """Preset radio changed: move the μ and σ sliders to the preset's values."""
    name = st.session_state["an_preset"]
    if name in anomaly.PRESETS:
        st.session_state["an_mu"], st.session_state["an_sigma"] = anomaly.PRESETS[name]


def _to_custom() -> None:
    """A μ or σ slider moved: the preset no longer describes the settings."""
    if (st.session_state["an_mu"], st.session_state["an_sigma"]) not in anomaly.PRESETS.values():
        st.session_state["an_preset"] = "custom"


def controls(data: Dataset) -> anomaly.AnomalyConfig:
    """Draw the anomaly settings for this dataset's kind and return them as an AnomalyConfig."""
    base = anomaly.AnomalyConfig()
    for key, value in (("an_preset", "obvious"), ("an_mu", base.mu), ("an_sigma", base.sigma)):
        st.session_state.setdefault(key, value)
    if data.kind == "tabular":
        st.radio("Preset", list(_PRESET_LABELS), format_func=_PRESET_LABELS.get, key="an_preset",
                 horizontal=True, on_change=_apply_preset)
        a, b, c, d = st.columns(4)
        mu = a.slider("Mean μ (standardised units)", -2.0, 10.0, step=0.1, key="an_mu", on_change=_to_custom)
        sigma = b.slider("Spread σ", 0.0, 3.0, step=0.1, key="an_sigma", on_change=_to_custom)
        k = c.slider("Anomalous events K", 10, 200, base.k, step=10, key="an_k")
        nf = d.slider("Features redrawn per event", 1, data.n_features, base.n_features, key="an_nf",
                      help="How many of an event's 16 features are replaced by draws from N(μ, σ²). "
                           f"At {data.n_features} every feature is redrawn.")
        st.caption(f"Each anomaly is a held-out event with {nf} of its {data.n_features} features replaced by "
                   f"draws from N({mu:g}, {sigma:g}²): values a real trigger would not combine.")
        return replace(base, mu=float(mu), sigma=float(sigma), k=int(k), n_features=int(nf))
    if data.kind == "image":
        a, b, c = st.columns([2, 2, 1])
        held = a.multiselect("Held-out classes (anomalies; the model never trains on them)",
                             list(range(len(data.label_names))), default=list(base.held_out),
                             format_func=lambda i: data.label_names[i], key="an_held", max_selections=9)
        corr = b.multiselect("Corrupted images", list(anomaly.CORRUPTIONS), default=list(anomaly.CORRUPTIONS),
                             key="an_corr")
        k = c.slider("Corrupted images K", 0, 150, base.k, step=10, key="an_kc")
        return replace(base, held_out=tuple(sorted(held)), corruptions=tuple(corr), k=int(k))
    a, b = st.columns(2)
    dist = a.slider("Distance off the data", 0.0, 2.0, base.distance, step=0.05, key="an_dist",
                    help="How far each anomaly is pushed along the local normal of the line or sheet.")
    k = b.slider("Anomalous points K", 10, 200, base.k, step=10, key="an_kp")
    return replace(base, distance=float(dist), k=int(k))


def normal_classes_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                       held_out: tuple[int, ...]) -> Trainer:
    """A finished run trained without the `held_out` classes, shared by the server under its settings and classes."""
    data = anomaly.normal_subset(dataset(data_cfg), held_out)
    return shared_run(("normal classes", data_cfg, model_cfg, train_cfg, held_out), data, model_cfg, train_cfg,
                      "Training on the normal classes only (once per server)")


def model_for(cfgs: tuple[DataConfig, ModelConfig, TrainConfig], data: Dataset, acfg: anomaly.AnomalyConfig):
    """The model that defines "normal": trained without the held-out digits, else the current run."""
    if data.kind != "image" or not acfg.held_out:
        return model_or_stop().model
    if len(acfg.held_out) >= len(data.label_names):
        st.error("Keep at least one digit class as normal: the model needs something to train on.")
        st.stop()
    return run_or_stop(normal_classes_run, *cfgs, acfg.held_out).model


def scenario(data: Dataset, model, acfg: anomaly.AnomalyConfig) -> anomaly.Scenario:
    """Score held-out normal rows and the anomalies; stop the page with a message if there are none."""
    scn = anomaly.scenario(data, model, acfg)
    if not len(scn.anomalous):
        st.warning("There are no anomalies to find: choose a held-out class or a corruption.")
        st.stop()
    return scn


def _percent(v: float) -> str:
    return "—" if math.isnan(v) else f"{100 * v:.1f}%"


def _threshold_input(scn: anomaly.Scenario) -> tuple[float, bool]:
    """The threshold widgets; returns (the threshold as an error value, log scale wanted)."""
    a, b, c = st.columns([2, 3, 1])
    mode = a.radio("Threshold as", list(_MODES), format_func=_MODES.get, key="an_mode", horizontal=True)
    if mode == "percentile":
        pct = b.slider("Threshold (percentile of held-out normal errors)", 50.0, 99.9, 95.0, step=0.1, key="an_pct")
        thr = anomaly.threshold(scn.normal, "percentile", pct)
    else:
        default = anomaly.threshold(scn.normal, "percentile", 95.0)
        thr = b.number_input("Threshold (raw reconstruction error)", min_value=0.0, value=float(f"{default:.3g}"),
                             step=float(f"{default / 10:.1g}"), format="%.4g", key="an_raw")
    log_x = c.checkbox("Log scale", True, key="an_log",
                       help="Bin log10(error): anomalies can be 100× worse than normal rows.")
    return float(thr), log_x


def _top_flagged(scn: anomaly.Scenario, data: Dataset, thr: float, flags_n, flags_a) -> None:
    """The rows with the largest errors above the threshold, as images, feature overlays or points."""
    if data.kind == "points":
        st.plotly_chart(fig_anomaly.flagged_points_figure(scn.X_normal, scn.X_anomalous, flags_n, flags_a),
                        key="an_points")
        return
    errors = np.concatenate([scn.normal, scn.anomalous])
    X = np.concatenate([scn.X_normal, scn.X_anomalous])
    R = np.concatenate([scn.recon_normal, scn.recon_anomalous])
    names = ["normal (false alarm)"] * len(scn.normal) + [f"anomaly: {k}" for k in scn.kinds]
    top = anomaly.top_flagged(errors, thr, k=6 if data.kind == "image" else 3, groups=names, per_group=2)
    st.caption("The largest errors above the threshold, at most two of each kind (false alarms included).")
    if not len(top):
        st.info("Nothing is above the threshold: lower it to flag something.")
        return
    cols = st.columns(len(top) if data.kind == "image" else 1)
    for j, i in enumerate(top):
        title = f"{names[i]} · error {errors[i]:.3g}"
        if data.kind == "image":
            cols[j].plotly_chart(image_figure(X[i], data.image_shape, title=f"{names[i]}<br>{errors[i]:.3g}",
                                              height=200), key=f"an_top_{j}")
        else:
            cols[0].plotly_chart(profile_overlay(X[i], R[i], data.feature_names, title=title, height=280),
                                 key=f"an_top_{j}")


def _upload(data: Dataset, model, thr: float, scn: anomaly.Scenario) -> np.ndarray | None:
    """The "score your own data" section: returns the uploaded rows' errors, or None."""
    st.subheader("Score your own data")
    st.markdown(f"Upload a CSV whose header names the {data.n_features} columns of **{data.name}** "
                f"({', '.join(data.feature_names[:3])}, …) with one row per sample, in the same units as the "
                "dataset. Each row gets its error, its flag and a tick on the histogram above.")
    example = np.concatenate([scn.X_normal[:5], scn.X_anomalous[:5]])
    st.download_button("Download an example CSV (5 normal rows, then 5 anomalies)",
                       anomaly.to_csv(example, data.feature_names), file_name=f"{data.name}_example.csv",
                       mime="text/csv", key="an_example")
    file = st.file_uploader("Your CSV file", type=["csv", "tsv", "txt"], key="an_upload",
                            max_upload_size=anomaly.MAX_UPLOAD_MB,
                            help=f"At most {anomaly.MAX_UPLOAD_MB} MB and {anomaly.MAX_UPLOAD_ROWS:,} rows, in UTF-8 "
                                 "(or UTF-16 with a byte-order mark), separated by commas, semicolons, tabs or |.")
    if file is None:
        return None
    return score_upload(file.getvalue(), data, model, thr, scn, file_id=file.file_id)


def _parsed(raw: bytes, data: Dataset, file_id: str | None) -> anomaly.CsvResult:
    """read_csv's result, remembered per session for the uploaded file (moving the threshold reruns
    this panel; the file is read once)."""
    key = (file_id, data.feature_names, data.bounded)
    memo = st.session_state.get(_PARSED)
    if file_id is not None and memo is not None and memo[0] == key:
        return memo[1]
    result = anomaly.read_csv(raw, data.feature_names, bounded=data.bounded)
    if file_id is not None:
        st.session_state[_PARSED] = (key, result)
    return result


def score_upload(raw: bytes, data: Dataset, model, thr: float, scn: anomaly.Scenario, *,
                 file_id: str | None = None) -> np.ndarray | None:
    """Validate uploaded bytes and show each row's error and flag; a bad file gets one clear st.error.
    With the uploader's `file_id`, the file is parsed once per session, not on every rerun."""
    result = _parsed(raw, data, file_id)
    if result.error:  # it quotes the file's column names and cells: shown as text, never Markdown
        st.error(plain(f"Could not score this file. {result.error}"))
        return None
    for note in result.notes:
        st.info(plain(note))
    try:
        errors = anomaly.upload_errors(model, result.X)  # (rows,) float64
    except ValueError as exc:
        st.error(plain(f"Could not score this file. {exc}"))
        return None
    flagged = errors > thr
    pct = np.searchsorted(np.sort(scn.normal), errors, side="right") / len(scn.normal) * 100
    st.markdown(f"**{int(flagged.sum())} of {len(errors)}** uploaded rows are above the threshold.")
    st.dataframe({"row": np.arange(1, len(errors) + 1), "error": errors, "flagged": flagged,
                  "percentile among normal errors": pct}, hide_index=True, key="an_upload_table",
                 column_config={"error": st.column_config.NumberColumn(format="%.4g"),
                                "percentile among normal errors": st.column_config.NumberColumn(format="%.1f")})
    return errors


@st.fragment
def threshold_panel(scn: anomaly.Scenario, data: Dataset, model) -> None:
    """Threshold, histogram, live metrics, ROC with the operating point, top flagged rows and the upload.

    A fragment: moving the threshold reruns only this panel, not the training or the anomaly injection.
    """
    thr, log_x = _threshold_input(scn)
    m = anomaly.detection_metrics(scn.normal, scn.anomalous, thr)
    cols = st.columns(5)
    cols[0].metric("Detection rate", _percent(m["detection_rate"]), help="Anomalies above the threshold (recall).")
    cols[1].metric("False-positive rate", _percent(m["false_positive_rate"]), help="Normal rows above the threshold.")
    cols[2].metric("Precision", _percent(m["precision"]), help="Flagged rows that really are anomalies.")
    cols[3].metric("F1", f"{m['f1']:.3f}")
    cols[4].metric("Threshold", f"{thr:.4g}")
    hist_slot = st.empty()
    left, right = st.columns([3, 2])
    curve = anomaly.roc(scn.normal, scn.anomalous)
    point = (m["false_positive_rate"], m["detection_rate"])
    left.plotly_chart(fig_anomaly.roc_figure(curve["fpr"], curve["tpr"], curve["auc"], point), key="an_roc")
    right.plotly_chart(fig_anomaly.confusion_figure(m["confusion"]), key="an_cm")
    right.caption(f"{m['tp']} of {m['tp'] + m['fn']} anomalies caught; {m['fp']} of {m['fp'] + m['tn']} "
                  "normal rows raised a false alarm.")
    st.subheader("Flagged points" if data.kind == "points" else "Top flagged")
    _top_flagged(scn, data, thr, scn.normal > thr, scn.anomalous > thr)
    uploaded = _upload(data, model, thr, scn)
    hist = fig_anomaly.error_histogram(scn.normal, scn.anomalous, thr, log_x=log_x,
                                       uploaded=uploaded)
    hist_slot.plotly_chart(hist, key="an_hist")
