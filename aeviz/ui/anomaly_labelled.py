"""The Anomaly page's lessons for a dataset whose anomalies are real labels (breast cancer's malignant rows):
the autoencoder's AUC beside a supervised baseline's (what detecting without labels costs), and anomalies
mixed into the training rows (the contamination slider, one shared run per stop).

Every number here is computed once per run id (`per_run`) or per dataset (`shared_cache`) and shared by
every session; the contamination stops train through the shared-run machinery (ui.runs), so they count
against the budget and the run store like any other training."""

from __future__ import annotations

import streamlit as st

from ..analysis.anomaly import labelled
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..fields import CONTAMINATION_STOPS, PAGE_FIELDS
from ..figures import anomaly as fig_anomaly
from ..run import Run
from . import runs
from .anomaly import normal_classes_key, normal_classes_run
from .cache import dataset, per_run, shared_cache
from .charts import shared_figure
from .layout import explain, heading, try_this_here
from .lesson import chart, hidden, link_value, linked
from .state import Configs

CONTAM_KEY = "an_contam"  # the contamination slider's session key (the state table's a_contam)

# each section's "Try this": (id, prompt); tests/test_anomaly_labelled.py follows each and checks its effect
PROMPTS = {
    "auc_threshold_free": "Drag the threshold above down to the 80th percentile: the chart's detection rate rises, "
                          "but neither AUC here moves. An AUC scores every threshold at once, so it compares two "
                          "detectors before anyone has to choose τ.",
    "contam_0_to_50": "Move *Anomalies mixed into training* from 0 to 50 %: the detection rate falls by more than "
                      "half. The model learned to reconstruct malignant rows too, so they no longer stand out; "
                      "watch the AUC fall with it.",
}


def applies(data: Dataset) -> bool:
    """True when the dataset names its own anomalies (a label), so these lessons make sense."""
    return bool(data.anomaly_labels)


@shared_cache(max_entries=8)
def _baseline(data_cfg: DataConfig, _data: Dataset) -> float:
    """Logistic regression's test AUC on this dataset (once per server)."""
    return labelled.baseline_auc(_data, seed=data_cfg.seed)


@per_run(max_entries=32, frozen=True)
def _detection(run: Run, data_cfg: DataConfig, _data: Dataset) -> labelled.LabelledDetection:
    """The run's test-split scores: AUC and detection at the 95th-percentile threshold (once per run)."""
    return labelled.labelled_detection(_data, run.model)


def contamination_key(cfgs: Configs, percent: int) -> tuple:
    """The run store's key of the stop `percent`: 0 % is the page's own normal-only run."""
    data_cfg, model_cfg, train_cfg = cfgs
    if percent == 0:
        return normal_classes_key(data_cfg, model_cfg, train_cfg, tuple(dataset(data_cfg).anomaly_labels))
    return ("contaminated", data_cfg, model_cfg, train_cfg, int(percent))


def contaminated_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, percent: int) -> Run:
    """The shared run with `percent` % of its training rows anomalies (labelled.normal_training), trained once
    per server; 0 % is the page's normal-only run (the very same training rows)."""
    full = dataset(data_cfg)
    if percent == 0:
        return normal_classes_run(data_cfg, model_cfg, train_cfg, tuple(full.anomaly_labels))
    data = labelled.normal_training(full, percent / 100, seed=data_cfg.seed)
    return runs.shared_run(contamination_key((data_cfg, model_cfg, train_cfg), percent), data, model_cfg, train_cfg,
                           f"Training with {percent} % anomalies mixed in (once per server)", data_cfg=data_cfg)


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def baseline_section(cfgs: Configs, data: Dataset, run: Run) -> None:
    """The autoencoder's test AUC (no labels) beside logistic regression's (trained on the labels)."""
    heading("Without labels, against with labels")
    anomalous = labelled.anomaly_mask(data)[data.test_idx]
    names = ", ".join(data.label_names[c] for c in data.anomaly_labels)
    explain(f"The autoencoder never saw a label: it learned what the normal rows look like and flags what it "
            f"reconstructs badly. Logistic regression is the supervised baseline: it was told which training rows "
            f"are {names}. Both score the same {len(data.test_idx)} test rows ({int((~anomalous).sum())} normal, "
            f"{int(anomalous.sum())} {names}); the chart above scores every {names} row, so its AUC differs a "
            f"little.")
    result, lr = _detection(run, cfgs[0], _data=data), _baseline(cfgs[0], _data=data)
    a, b = st.columns(2)
    a.metric("Autoencoder AUC (no labels)", f"{result.auc:.3f}")
    b.metric("Logistic regression AUC (labels)", f"{lr:.3f}")
    st.markdown(f"Autoencoder AUC **{result.auc:.3f}** beside logistic regression AUC **{lr:.3f}**: detecting "
                f"without labels costs **{lr - result.auc:.3f}** of AUC here, the price of needing only normal "
                f"examples (cheap to collect) instead of named {names} ones (each needs an expert).")
    try_this_here(PROMPTS["auc_threshold_free"])


def _stop_input() -> int:
    """The contamination slider (its stops and link value from the state table's a_contam)."""
    f = PAGE_FIELDS["contam"]
    if hidden("anomalies"):
        percent = int(link_value("contam"))
        st.caption(f"{f.label}: {percent} % (set by this lesson's link).")
        return percent
    with linked("contam", CONTAM_KEY):
        percent = st.select_slider(f.label, options=[int(o) for o in CONTAMINATION_STOPS], key=CONTAM_KEY,
                                   format_func=lambda p: f"{p} %",
                                   help="The share of the training rows that are anomalies. Each stop is one "
                                        "training, shared by everyone on this server.")
    return int(f.check(percent))


def _trained_points(cfgs: Configs, data: Dataset) -> list[tuple[int, labelled.LabelledDetection]]:
    """(percent, scores) of every stop this server has trained so far."""
    out = []
    for percent in CONTAMINATION_STOPS:
        run = runs.STORE.get(contamination_key(cfgs, percent))
        if run is not None and not (run.error and not run.history):
            out.append((int(percent), _detection(run, cfgs[0], _data=data)))
    return out


def contamination_section(cfgs: Configs, data: Dataset) -> None:
    """The contamination slider, detection and AUC at the chosen stop, and both against every trained stop."""
    heading("Anomalies in the training data")
    explain("Real training data is rarely clean: some anomalies slip in without a label. This slider mixes "
            "anomalies into the training rows (always as many rows in all); the model learns to reconstruct them "
            "too, so they stand out less. The detection rate is counted at the app's rule, the 95th percentile of "
            "the normal test rows' errors.")
    percent = _stop_input()
    run = runs.run_or_stop(contaminated_run, *cfgs, percent)
    result = _detection(run, cfgs[0], _data=data)
    clean = runs.STORE.get(contamination_key(cfgs, 0))
    base = _detection(clean, cfgs[0], _data=data) if clean is not None and percent else None
    a, b = st.columns(2)
    a.metric(f"Detection rate at {percent} %", _pct(result.detection_rate),
             delta=None if base is None else f"{100 * (result.detection_rate - base.detection_rate):+.1f} points vs 0 %")
    b.metric(f"AUC at {percent} %", f"{result.auc:.3f}",
             delta=None if base is None else f"{result.auc - base.auc:+.3f} vs 0 %")
    st.markdown(f"With **{percent} %** anomalies in training: detection rate **{_pct(result.detection_rate)}** "
                f"of {len(result.anomalous)} anomalous test rows, false alarms {_pct(result.false_positive_rate)}, "
                f"AUC **{result.auc:.3f}**.")
    points = _trained_points(cfgs, data)
    if len(points) > 1:
        xs = tuple(p for p, _ in points)
        det = tuple(r.detection_rate for _, r in points)
        auc = tuple(r.auc for _, r in points)
        fig = shared_figure(("an contam", cfgs, xs, det, auc, percent),
                            lambda: fig_anomaly.contamination_figure(xs, det, auc, percent))
        chart(fig, key="an_contam_chart")
    else:
        st.caption("Move the slider: each stop you (or anyone on this server) trains joins a chart of detection "
                   "against contamination here.")
    try_this_here(PROMPTS["contam_0_to_50"])
