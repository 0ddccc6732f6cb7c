"""Streamlit helpers for the Anomaly page: anomaly settings and presets, the cached normal-only run, the
scored scenario and the page's "Try this" prompts for each kind of dataset. The threshold panel is
aeviz.ui.anomaly_threshold (re-exported here), the labelled lessons (baseline, contamination) are
aeviz.ui.anomaly_labelled.

The scored scenario depends on the run (its id: an uploaded model has its own) and the anomaly settings
alone, so it is computed once per server and shared by every session that asks for the same."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..analysis import anomaly
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..fields import PAGE_FIELDS
from ..run import Run
from .anomaly_threshold import summary, threshold_panel  # noqa: F401  (public here too)
from .anomaly_upload import score_upload, upload_section  # noqa: F401  (public here too)
from .cache import dataset, per_run
from .lesson import fit_link, hidden, link_value, presenting, remember
from .runs import model_or_stop, run_or_stop, shared_run
from .state import configs

_PRESET_LABELS = {
    "obvious": "Obvious: far, N(5, 1.5²) in 2 features",
    "subtle": "Subtle: near, N(1, 0.8²) in 2 features",
    "literal": "Literal: near, N(1, 0.8²) in all 16 features",
    "custom": "Custom",
}
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


def normal_classes_key(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                       held_out: tuple[int, ...]) -> tuple:
    """The run store's key of the run trained without the `held_out` classes."""
    return ("normal classes", data_cfg, model_cfg, train_cfg, held_out)


def normal_classes_data(data_cfg: DataConfig, held_out: tuple[int, ...]) -> Dataset:
    """What the normal-classes run trains on: `data_cfg`'s dataset without the `held_out` classes."""
    return anomaly.normal_subset(dataset(data_cfg), held_out)


def normal_classes_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                       held_out: tuple[int, ...]) -> Run:
    """A finished run trained without the `held_out` classes, shared by the server under its settings and classes."""
    return shared_run(normal_classes_key(data_cfg, model_cfg, train_cfg, held_out),
                      normal_classes_data(data_cfg, held_out), model_cfg, train_cfg,
                      "Training on the normal classes only (once per server)", data_cfg=data_cfg)


def default_held_out(data: Dataset) -> tuple[int, ...]:
    """The classes the page holds out when the visitor has chosen none (run_for trains without them), or ()
    where the page scores the current run itself."""
    if data.anomaly_labels:
        return tuple(data.anomaly_labels)
    return anomaly.AnomalyConfig().held_out if data.kind == "image" else ()


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


# the threshold chart's bin picker (ui.anomaly_bins), on every kind of dataset
_BIN_PROMPT = ("bin_rightmost", "Press “Show a bin's samples” under the chart, then click the bar furthest right: "
                "every sample listed is an anomaly, the rows the model reconstructs worst. Are they the anomalies you "
                "expected to be the easiest?")

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
        _BIN_PROMPT,
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
        _BIN_PROMPT,
    ],
    # a dataset with real anomalies (breast cancer): nothing to inject, the threshold is the lesson
    "labelled": [
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
        _BIN_PROMPT,
    ],
    "points": [
        ("points_closer", "Lower *Distance off the data* from 1 to 0.2: the detection rate falls. A point barely "
         "off the data is projected back almost where it was, so its error looks normal."),
        ("threshold_80", "Drag the threshold down to the 80th percentile: detection and false alarms both rise. "
         "Which rises faster? Watch the point slide along the ROC curve."),
        _BIN_PROMPT,
    ],
}


def prompts(data: Dataset) -> list[str]:
    """The "Try this" prompts that make sense on this dataset's page."""
    return [text for _, text in PROMPTS[prompt_kind(data)]]


def prompt_kind(data: Dataset) -> str:
    """Which prompts fit: "labelled" for a dataset with its own anomalies, else the dataset's kind."""
    return "labelled" if data.anomaly_labels else data.kind
