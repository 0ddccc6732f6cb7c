"""The variants that each add one term or twist, against the plain autoencoder: sparse (code activations),
contractive (the Jacobian penalty) and denoising (the same corrupted inputs through both models)."""

from __future__ import annotations

import streamlit as st

from ...analysis import compare as cmp
from ...figures import compare as figs
from ..cache import dataset, per_run, run_ids
from ..charts import shared_figure
from ..lesson import chart
from ..state import Configs
from .common import DEFAULT_NOISE, penalty, ready, runs_of, sample_kw, variant


@per_run(max_entries=16, frozen=True)
def _sparsity(runs: tuple) -> dict:
    """(plain, sparse) runs: their code activations on the test data."""
    plain, sparse = runs
    return cmp.sparsity_view(plain.model, sparse.model, plain.data.X_test)


@per_run(max_entries=16, frozen=True)
def _contraction(runs: tuple) -> dict:
    """(plain, contractive) runs: their Jacobian penalties on the test data."""
    plain, contractive = runs
    return cmp.contraction_view(plain.model, contractive.model, plain.data.X_test)


@per_run(max_entries=32, frozen=True)
def _denoising(runs: tuple, indices: tuple[int, ...]) -> dict:
    """(plain, denoising) runs on the same corrupted test inputs (the denoising model's noise)."""
    plain, denoising = runs
    m = denoising.model_cfg
    return cmp.denoising_view(plain.model, denoising.model, plain.data, list(indices),
                              m.noise_std, m.mask_prob, seed=plain.train_cfg.seed)


def sparsity(cfgs: Configs) -> None:
    """Histogram of code activations, λ = 0 against λ > 0, and the share near zero."""
    plain = variant(cfgs, "autoencoder")
    sparse = variant(cfgs, "sparse", sparsity=penalty(cfgs[1].sparsity))
    if not ready(plain, sparse):
        return
    runs = runs_of(plain, sparse)
    res = _sparsity(runs)
    cols = st.columns(len(res["shares"]))
    for col, (name, share) in zip(cols, res["shares"].items()):
        col.metric(f"Activations near zero, {name}", f"{share:.1%}")
    chart(shared_figure(("cmp sparse", run_ids(runs)), lambda: figs.activation_histogram_figure(
        res["activations"], res["tol"])), key="cmp_sparse_hist")
    st.caption(f"Each model's code activations on the test data, divided by its own largest one, so a model "
               f"cannot look sparse just by shrinking every code; near zero means |h| < {res['tol']:g} of that.")


def contraction(cfgs: Configs) -> None:
    """The Jacobian penalty ‖J_f(x)‖²_F on test data, plain against contractive."""
    plain = variant(cfgs, "autoencoder")
    contractive = variant(cfgs, "contractive", contractive=penalty(cfgs[1].contractive))
    if not ready(plain, contractive):
        return
    res = _contraction(runs_of(plain, contractive))
    cols = st.columns(2)
    for col, (name, r) in zip(cols, res.items()):
        lam = f" (λ = {contractive[1].contractive:g})" if name == "contractive" else ""
        col.markdown(f"**{name.capitalize()}{lam}**")
        a, b, c = col.columns(3)
        a.metric("‖J‖²_F on test data", f"{r['jacobian']:.3g}")
        b.metric("Code spread (std)", f"{r['code_std']:.3g}")
        c.metric("Test error", f"{r['mse']:.4f}")
    st.caption("Part of the drop is the code simply shrinking (compare the spreads): the decoder's weights grow "
               "to undo it. What the penalty cannot shrink away is the code's sensitivity along the data.")


def denoising_pair(cfgs: Configs) -> tuple[Configs, Configs]:
    """The two runs the denoising demo compares for the sidebar's settings `cfgs`: (plain, denoising)."""
    m = cfgs[1]
    noise = m.noise_std if (m.noise_std > 0 or m.mask_prob > 0) else DEFAULT_NOISE
    return variant(cfgs, "autoencoder"), variant(cfgs, "denoising", noise_std=noise, mask_prob=m.mask_prob)


def denoising_demo(cfgs: Configs, key: str = "dn") -> None:
    """Noisy test inputs, the plain model's outputs and the denoising model's outputs, with both errors."""
    d, m, t = cfgs
    data = dataset(d)
    plain, den = denoising_pair(cfgs)
    noise = den[1].noise_std
    st.markdown(f"A denoising autoencoder trains on corrupted copies (noise σ = {noise:g}, masking p = "
                f"{m.mask_prob:g}) and is scored against the clean input. Here both models get the *same* "
                "corrupted test inputs they never trained on.")
    if not ready(plain, den):
        return
    n_test = len(data.test_idx)
    if data.kind == "points":
        indices = tuple(range(min(40, n_test)))
    else:
        k = 5 if data.kind == "image" else 1
        start = int(st.number_input("First test sample", 0, max(0, n_test - k), 0, key=f"{key}_start"))
        indices = tuple(range(start, min(n_test, start + k)))
    runs = runs_of(plain, den)
    res = _denoising(runs, indices)
    a, b, c = st.columns(3)
    a.metric("Noisy input vs clean", f"{res['noisy_mse']:.4f}")
    b.metric("Plain AE output vs clean", f"{res['plain_mse']:.4f}")
    c.metric("Denoising AE output vs clean", f"{res['denoising_mse']:.4f}",
             delta=f"{res['denoising_mse'] - res['plain_mse']:+.4f}", delta_color="inverse")
    chart(shared_figure(("denoising grid", run_ids(runs), indices), lambda: figs.sample_grid_figure(
        res["rows"], data.kind, data=data.X, **sample_kw(data))), key=f"{key}_grid")
    st.caption("Errors are mean squared errors against the clean inputs, over the whole test set.")
