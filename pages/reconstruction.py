"""Reconstruction: test samples next to their reconstructions, the error per label, and error vs latent size."""

import streamlit as st

from aeviz import ui
from aeviz.ui import recon as recon_ui

cfgs = ui.configs()
data_cfg, model_cfg, train_cfg = cfgs
data = ui.dataset(data_cfg)

ui.intro(
    "Reconstruction",
    "Every input goes through the bottleneck and comes back as a reconstruction x̂. Where the two differ "
    "is what the code had no room for. Below are held-out test samples the model never trained on, "
    "each beside its reconstruction, and the error the training minimised:",
    r"\text{error}(x) = \frac{1}{d}\sum_{j=1}^{d} \left(x_j - \hat{x}_j\right)^2",
)
run = ui.model_or_stop()
X, X_hat, errors = recon_ui.reconstructions(run, data)

st.subheader("Original and reconstruction")
chosen = recon_ui.pick_samples(errors)
recon_ui.show_samples(run, data, X, X_hat, errors, chosen)
if data.kind == "image" and model_cfg.latent <= 2:
    st.info(f"**Blurry but right.** Each image is {data.n_features} numbers squeezed through "
            f"{model_cfg.latent}: the decoder can only draw a smooth, average-looking version of the digit. "
            "The shape is usually the right digit; the stroke details are lost. Raise the latent size and "
            "watch the |error| heatmaps fade.")
elif data.kind == "points":
    st.caption("Each grey segment joins a point to its reconstruction: the decoder pulls every point onto "
               "the line or sheet it has learned, and the segment's length is the error.")

st.subheader("Error per label")
recon_ui.error_per_label(run, data, errors, X, X_hat)

st.subheader("Test error against latent size")
recon_ui.sweep_section(cfgs, data)

ui.try_this([
    "Choose **k worst**: what do the worst-reconstructed samples have in common?",
    "On digits, set the latent size to 8: are the reconstructions still blurry? Compare the error per label.",
    "On gw, which population reconstructs worst with a 2-number code? Predict what a code of 4 does to it, then try.",
    "Switch to the linear variant on the swiss roll: the segments now point onto a flat plane, not the roll.",
])

# ---------------------------------------------------------------------------------------------------
# DENOISING DEMO (issue 5) — append below this line. Names available here: cfgs, data_cfg, model_cfg,
# train_cfg, data, run (the current finished Run: do not mutate run or run.model), X, X_hat, errors.
# ---------------------------------------------------------------------------------------------------
from aeviz.ui import compare as cmp_ui  # noqa: E402  (issue 5: appended below the marker)

st.subheader("Denoising: noisy input, plain output, denoising output")
cmp_ui.denoising_demo(cfgs, key="recon_dn")
