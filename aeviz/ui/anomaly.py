"""Streamlit helpers for the Anomaly page: anomaly settings and presets, the cached normal-only digits
run, the threshold panel (a fragment around the browser-side threshold chart; the "score your own data"
upload in it is aeviz.ui.anomaly_upload) and the page's "Try this" prompts for each kind of dataset.

The scored scenario and the figures under the threshold chart depend on the run (its id: an uploaded
model has its own), the anomaly settings and the threshold alone, so they are computed once per server
and shared by every session that asks for the same (`shared_figure`); the threshold chart itself is drawn
in the browser."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import numpy as np
import streamlit as st

from ..analysis import anomaly
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..figures import anomaly as fig_anomaly
from ..figures.recon import profile_overlay
from ..figures.samples import image_figure
from ..run import Run
from .anomaly_upload import score_upload, upload_section  # noqa: F401  (score_upload: public here too)
from .cache import dataset, per_run
from .charts import shared_figure
from .components import threshold as threshold_component
from ..fields import PAGE_FIELDS
from .lesson import chart, fit_link, font_px, hidden, link_value, presenting, remember
from .runs import model_or_stop, run_or_stop, shared_run
from .state import configs

_PRESET_LABELS = {
    "obvious": "Obvious: far, N(5, 1.5²) in 2 features",
    "subtle": "Subtle: near, N(1, 0.8²) in 2 features",
    "literal": "Literal: near, N(1, 0.8²) in all 16 features",
    "custom": "Custom",
}
_MODES = {"percentile": "percentile of normal errors", "raw": "raw error value"}
_DRAG_KEY = "an_drag"
LITERAL_NOTE = (
    "Why is the literal experiment not harder? Each redrawn value is ordinary on its own, but an event "
    "whose 16 features are drawn independently is one no binary could produce: its masses no longer give "
    "its chirp mass and final mass, its distance no longer matches its redshift and SNR, its peak frequency "
    "no longer matches its duration. The autoencoder learned those relations (that is what its small code "
    "stores), so it cannot reconstruct an event that breaks all of them, and it is caught about as often as "
    "the far anomalies. Nearness only hides an anomaly when a few features change and the rest still tell "
    "a consistent story: the subtle preset."
)


def _apply_preset() -> None:
    """Preset radio changed: move the μ, σ and features-redrawn sliders to the preset's values."""
    name = st.session_state["an_preset"]
    if name in anomaly.PRESETS:
        mu, sigma, nf = anomaly.PRESETS[name]
        st.session_state["an_mu"], st.session_state["an_sigma"], st.session_state["an_nf"] = mu, sigma, nf


def _to_custom() -> None:
    """A μ, σ or features slider moved: name the preset these settings match, or "custom"."""
    now = (st.session_state["an_mu"], st.session_state["an_sigma"], st.session_state["an_nf"])
    st.session_state["an_preset"] = next((n for n, v in anomaly.PRESETS.items() if v == now), "custom")


def _link_anomalies(n_features: int) -> tuple[str, float, float, int, int]:
    """(preset, μ, σ, features redrawn, K) as the link gives them: a named preset sets μ, σ and the
    features; other values name the preset they match, or "custom"."""
    preset, mu, sigma, nf, k = (link_value(n) for n in ("preset", "mu", "sigma", "nf", "k"))
    if preset in anomaly.PRESETS:
        mu, sigma, nf = anomaly.PRESETS[preset]
    else:
        preset = next((n for n, v in anomaly.PRESETS.items() if v == (mu, sigma, nf)), "custom")
        nf = fit_link("nf", 1, n_features, "this dataset's features")
    return preset, mu, sigma, max(1, min(n_features, nf)), k


def _remember_anomalies(preset: str, mu: float, sigma: float, nf: int, k: int) -> None:
    for name, value in (("preset", preset), ("mu", float(mu)), ("sigma", float(sigma)), ("nf", int(nf)),
                        ("k", int(k))):
        remember(name, value)


def _tabular_caption(data: Dataset, mu: float, sigma: float, nf: int) -> None:
    st.caption(f"Each anomaly is a held-out event with {nf} of its {data.n_features} features replaced by "
               f"draws from N({mu:g}, {sigma:g}²): values a real trigger would not combine.")
    if nf == data.n_features:
        st.info(LITERAL_NOTE)


def controls(data: Dataset) -> anomaly.AnomalyConfig:
    """Draw the anomaly settings for this dataset's kind and return them as an AnomalyConfig (on gw the
    preset and its values come from the link and go back to it; ?hide=anomalies keeps them, undrawn)."""
    base = anomaly.AnomalyConfig()
    if data.anomaly_labels:  # real anomalies, named by the dataset: nothing to inject
        names = ", ".join(data.label_names[c] for c in data.anomaly_labels)
        st.caption(f"The anomalies are this dataset's own: every {names} row. The model trains on the other rows "
                   f"of the training split only, so it has never seen one.")
        return replace(base, held_out=tuple(data.anomaly_labels))
    if data.kind == "tabular":
        preset, mu, sigma, nf, k = _link_anomalies(data.n_features)
        if hidden("anomalies"):
            st.caption(f"Preset for this lesson: {_PRESET_LABELS[preset]}; {k} anomalous events.")
            _tabular_caption(data, mu, sigma, nf)
            return replace(base, mu=float(mu), sigma=float(sigma), k=int(k), n_features=int(nf))
        for key, value in (("an_preset", preset), ("an_mu", mu), ("an_sigma", sigma), ("an_nf", nf), ("an_k", k)):
            st.session_state.setdefault(key, value)  # first drawn in this visit: start at the link's values
        st.radio("Preset", list(_PRESET_LABELS), format_func=_PRESET_LABELS.get, key="an_preset",
                 horizontal=True, on_change=_apply_preset)
        with _folded("The preset's μ, σ, K and features redrawn"):
            return _tabular_sliders(data, base)
    with _folded("The anomalies: " + ("held-out digits and corrupted images" if data.kind == "image"
                                       else "distance off the data")):
        return _other_controls(data, base)


def _folded(label: str):
    """A block for the finer anomaly settings: folded under `label` in presenter mode, else as they are."""
    return st.expander(label) if presenting() else st.container()


def _tabular_sliders(data: Dataset, base: anomaly.AnomalyConfig) -> anomaly.AnomalyConfig:
    """gw's μ, σ, K and features-redrawn sliders (the preset moves them), remembered in the link."""
    a, b, c, d = st.columns(4)
    f = PAGE_FIELDS  # the ranges and steps a link may set are the sliders' own
    mu = a.slider("Mean μ (standardised units)", f["mu"].lo, f["mu"].hi, step=f["mu"].step, key="an_mu",
                  on_change=_to_custom)
    sigma = b.slider("Spread σ", f["sigma"].lo, f["sigma"].hi, step=f["sigma"].step, key="an_sigma",
                     on_change=_to_custom)
    k = c.slider("Anomalous events K", int(f["k"].lo), int(f["k"].hi), step=int(f["k"].step), key="an_k")
    nf = d.slider("Features redrawn per event", 1, data.n_features, key="an_nf", on_change=_to_custom,
                  help="How many of an event's 16 features are replaced by draws from N(μ, σ²). "
                       f"At {data.n_features} every feature is redrawn.")
    _remember_anomalies(st.session_state["an_preset"], mu, sigma, nf, k)
    _tabular_caption(data, mu, sigma, nf)
    return replace(base, mu=float(mu), sigma=float(sigma), k=int(k), n_features=int(nf))


def _other_controls(data: Dataset, base: anomaly.AnomalyConfig) -> anomaly.AnomalyConfig:
    """The digits' held-out classes and corruptions, or the points' distance off the data."""
    if data.kind == "image":
        a, b, c = st.columns([2, 2, 1])
        held = a.multiselect("Held-out classes (anomalies; the model never trains on them)",
                             list(range(len(data.label_names))), default=list(base.held_out),
                             format_func=lambda i: data.label_names[i], key="an_held", max_selections=9)
        corr = b.multiselect("Corrupted images", list(anomaly.CORRUPTIONS), default=list(anomaly.CORRUPTIONS),
                             key="an_corr")
        k = c.slider("Corrupted images K", 0, 150, base.k, step=10, key="an_kc")
        st.caption("The model for this page trains only on the classes you keep as normal; the held-out digits "
                   "are anomalies it has never seen. Digit labels pick the classes and colour the results only.")
        return replace(base, held_out=tuple(sorted(held)), corruptions=tuple(corr), k=int(k))
    a, b = st.columns(2)
    dist = a.slider("Distance off the data", 0.0, 2.0, base.distance, step=0.05, key="an_dist",
                    help="How far each anomaly is pushed along the local normal of the line or sheet.")
    k = b.slider("Anomalous points K", 10, 200, base.k, step=10, key="an_kp")
    return replace(base, distance=float(dist), k=int(k))


def normal_classes_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                       held_out: tuple[int, ...]) -> Run:
    """A finished run trained without the `held_out` classes, shared by the server under its settings and classes."""
    data = anomaly.normal_subset(dataset(data_cfg), held_out)
    return shared_run(("normal classes", data_cfg, model_cfg, train_cfg, held_out), data, model_cfg, train_cfg,
                      "Training on the normal classes only (once per server)", data_cfg=data_cfg)


def run_for(cfgs: tuple[DataConfig, ModelConfig, TrainConfig], data: Dataset, acfg: anomaly.AnomalyConfig) -> Run:
    """The run whose model defines "normal": trained without the held-out digits, else the current run."""
    if not (data.kind == "image" or data.anomaly_labels) or not acfg.held_out:
        return model_or_stop()
    if len(acfg.held_out) >= len(data.label_names):
        st.error("Keep at least one digit class as normal: the model needs something to train on.")
        st.stop()
    return run_or_stop(normal_classes_run, *cfgs, acfg.held_out)


def scenario(data: Dataset, run: Run, acfg: anomaly.AnomalyConfig) -> anomaly.Scenario:
    """Score held-out normal rows and the anomalies with `run`'s model (once per server for the run and
    settings; read-only); stop the page with a message if there are none."""
    scn = _scenario(run, configs()[0], acfg, _data=data)
    if not len(scn.anomalous):
        st.warning("There are no anomalies to find: choose a held-out class or a corruption.")
        st.stop()
    return scn


@per_run(max_entries=32, max_bytes=64_000_000)
def _scenario(run: Run, data_cfg: DataConfig, acfg: anomaly.AnomalyConfig, _data: Dataset) -> anomaly.Scenario:
    """The scored scenario of `run`'s model on `_data` (the dataset `data_cfg` names)."""
    scn = anomaly.scenario(_data, run.model, acfg)
    for a in (scn.X_normal, scn.X_anomalous, scn.recon_normal, scn.recon_anomalous, scn.normal, scn.anomalous):
        a.setflags(write=False)  # shared by every session: never changed in place
    return scn


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
        return image_figure(X, data.image_shape, title=f"{names[i]}<br>{errors[i]:.3g}", height=200)
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
    with chart_box:
        threshold_component.threshold_drag(data_for_chart, key=_DRAG_KEY, on_change=_take_drag)


# "Try this" for each kind of dataset: (id, prompt). Each names only controls that kind's page shows, and
# tests/test_anomaly_prompts.py follows every one and checks its predicted effect with the analysis functions.
PROMPTS: dict[str, list[tuple[str, str]]] = {
    "image": [
        ("digits_only_unseen", "Set *Corrupted images K* to 0, so only the unseen 7s are left: the detection rate "
         "falls. Noise, inverted and blank images are easy to catch; a digit the model has never seen is much "
         "harder, because it is still made of the strokes the model knows."),
        ("digits_hold_out_8", "In *Held-out classes*, hold out 8 instead of 7: fewer anomalies are caught. Why is "
         "an unseen 8 so hard? Think of the 3s, 9s and 0s the model did see."),
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
    ],
    "tabular": [
        ("gw_subtle", "Switch the *Preset* to *Subtle*: the detection rate falls. Two features redrawn near the "
         "data leave the rest of the event consistent, and the model reconstructs it almost as well as a real one."),
        ("gw_literal", "Now choose *Literal*, the lesson's literal experiment (all 16 features from the same "
         "near distribution): detection jumps back up, as high as *Obvious*. The note under the controls says why."),
        ("gw_more_features", "With *Subtle*, raise *Features redrawn per event* from 2 to 6: every extra redrawn "
         "feature breaks more relations, and the detection rate climbs."),
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
    ],
    # a dataset with real anomalies (breast cancer): nothing to inject, the threshold is the lesson
    "labelled": [
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
    ],
    "points": [
        ("points_closer", "Lower *Distance off the data* from 1 to 0.2: the detection rate falls. A point barely "
         "off the data is projected back almost where it was, so its error looks normal."),
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
    ],
}


def prompts(data: Dataset) -> list[str]:
    """The "Try this" prompts that make sense on this dataset's page."""
    return [text for _, text in PROMPTS[prompt_kind(data)]]


def prompt_kind(data: Dataset) -> str:
    """Which prompts fit: "labelled" for a dataset with its own anomalies, else the dataset's kind."""
    return "labelled" if data.anomaly_labels else data.kind
