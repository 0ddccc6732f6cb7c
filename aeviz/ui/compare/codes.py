"""What the code keeps: the swiss roll unrolled (or not) by PCA and by an autoencoder, measured; and
whether the code is useful for classifying the labels."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ...analysis import compare as cmp
from ...config import DataConfig
from ...datasets import defaults_for
from ...figures import compare as figs
from ..cache import per_run, run_ids
from ..charts import shared_figure
from ..lesson import chart
from ..state import Configs
from .common import ready, runs_of


@per_run(max_entries=8, frozen=True)
def _roll_views(runs: tuple) -> dict:
    return cmp.roll_views(runs[0].model, runs[0].data)


@per_run(max_entries=16, frozen=True)
def _usefulness(runs: tuple) -> dict:
    return cmp.code_usefulness(runs[0].model, runs[0].data, seed=runs[0].train_cfg.seed)



_ROLL_VERDICTS = {
    "unrolled": "**These settings unroll it**: one straight direction through the codes orders the points as the "
                "roll does.",
    "apart_but_curled": "**These settings pull the layers apart but do not unroll it flat**: nearby codes have "
                        "nearby positions (the read-out works), yet no straight direction through the codes follows "
                        "the roll — the sheet is separated but still curled in the code space.",
    "fails": "**These settings fail to unroll it**: like PCA, the code mixes points from different turns of the roll.",
}


def swiss_roll(cfgs: Configs) -> None:
    """PCA's 2-D projection of the swiss roll beside a non-linear autoencoder's 2-D codes, with how well each
    unrolls it (rank correlation with the position, nearest-neighbour read-out) and a plain verdict."""
    d, m, t = cfgs
    if d.name == "swiss_roll":
        m_roll, t_roll, whose = m, t, "the sidebar's settings"
    else:
        _, m_roll, t_roll = defaults_for("swiss_roll")
        t_roll = replace(t_roll, seed=t.seed)
        whose = "the swiss roll's default settings (pick the swiss roll in the sidebar to change them)"
    c = (DataConfig(name="swiss_roll", seed=d.seed, test_size=d.test_size),
         replace(m_roll, variant="autoencoder", latent=2), t_roll)
    if not ready(c):
        return
    st.caption(f"An autoencoder with {whose}: hidden widths {', '.join(map(str, c[1].hidden))}, {c[1].activation}, "
               f"a 2-number code, learning rate {c[2].lr:g}, {c[2].epochs} epochs, batch {c[2].batch_size}. Colour: "
               "position along the roll, never used in training.")
    runs = runs_of(c)
    views = _roll_views(runs)
    ids = run_ids(runs)
    left, right = st.columns(2)
    chart(where=left, fig=shared_figure(("cmp roll pca", ids), lambda: figs.projection_figure(
        views["pca"], views["position"], "PCA: the roll squashed flat")), key="cmp_roll_pca")
    chart(where=right, fig=shared_figure(("cmp roll codes", ids), lambda: figs.projection_figure(
        views["codes"], views["position"], "Autoencoder codes", axis="z")), key="cmp_roll_ae")
    sc = views["scores"]
    a, b = st.columns(2)
    a.metric("Rank correlation with the position (best straight direction)",
             f"{sc['codes']['spearman']:.2f}", delta=f"{sc['codes']['spearman'] - sc['pca']['spearman']:+.2f} vs PCA")
    b.metric("Position read from the nearest codes (R²)", f"{sc['codes']['readout_r2']:.2f}",
             delta=f"{sc['codes']['readout_r2'] - sc['pca']['readout_r2']:+.2f} vs PCA")
    st.markdown(
        f"{_ROLL_VERDICTS[views['verdict']]} Measured: Spearman's rank correlation between the position and the "
        f"codes along their best straight direction is {sc['codes']['spearman']:.2f} (PCA: {sc['pca']['spearman']:.2f}; "
        f"1 would be a flat unrolling). Reading the position off the 10 nearest codes gives R² = "
        f"{sc['codes']['readout_r2']:.2f} (PCA: {sc['pca']['readout_r2']:.2f}; 1 means no two turns of the roll "
        "share a code).")


def usefulness(cfgs: Configs) -> None:
    """Logistic regression on the raw features vs on the codes: macro one-vs-rest ROC-AUC, same split."""
    if not ready(cfgs):
        return
    res = _usefulness(runs_of(cfgs))
    a, b = st.columns(2)
    a.metric(f"AUC on the raw features ({res['raw_dims']} numbers)", f"{res['raw_auc']:.3f}")
    b.metric(f"AUC on the codes ({res['code_dims']} numbers)", f"{res['code_auc']:.3f}",
             delta=f"{res['code_auc'] - res['raw_auc']:+.3f}", delta_color="normal")
    st.caption("A logistic regression (scikit-learn, standardised inputs) is fitted on the training rows and "
               "scored on the test rows, macro one-vs-rest ROC-AUC over the labels. The autoencoder itself "
               "never saw the labels: this asks whether its code kept what separates them.")
