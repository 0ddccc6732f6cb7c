"""Anomaly detection: train on normal data, score held-out normal rows and injected anomalies, threshold them."""

from aeviz import ui
from aeviz.ui import anomaly as anomaly_ui
from aeviz.ui import anomaly_labelled

cfgs = ui.configs()
data = ui.dataset(cfgs[0])

ui.intro(
    "Anomaly detection",
    "What the model cannot compress, it cannot reconstruct — and that failure is a detector. The model "
    "trains on normal data only; held-out normal rows then reconstruct about as well as training rows, "
    "while anomalies come back badly. Flag every row whose error is above a threshold τ:",
    r"\text{flag}(x) = \big[\, \lVert x - \hat{x} \rVert^2 / d > \tau \,\big]",
)
ui.heading("The anomalies")
acfg = anomaly_ui.controls(data)
run = anomaly_ui.run_for(cfgs, data, acfg)
scn = anomaly_ui.scenario(data, run, acfg)

ui.heading("Threshold")
ui.explain(f"Scored: **{len(scn.normal)}** held-out normal rows and **{len(scn.anomalous)}** anomalies. "
           "Drag the dashed line: the rates, the histogram and the point on the ROC curve follow at once, "
           "in your browser; let go and the confusion matrix and the flagged rows below catch up.")
anomaly_ui.threshold_panel(scn, data, run, acfg)

if anomaly_labelled.applies(data):  # real anomalies, named by a label: the baseline and contamination lessons
    anomaly_labelled.baseline_section(cfgs, data, run)
    anomaly_labelled.contamination_section(cfgs, data)

ui.try_this(anomaly_ui.prompts(data))
