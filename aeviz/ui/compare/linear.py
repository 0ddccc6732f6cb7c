"""The linear autoencoder against PCA: trained until its subspace stops moving, the angle as it falls,
explained variance and both reconstructions; and the line's worked example by hand beside a trained
one-layer model."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ...analysis import compare as cmp
from ...config import DataConfig
from ...figures import compare as figs
from ...run import Run
from ..cache import SLOTS, dataset, per_run, shared_cache
from ..charts import shared_figure
from ..lesson import chart
from ..runs import check_budget, finished_run
from ..state import Configs
from .common import sample_kw


@shared_cache(max_entries=8, spinner="Training the linear autoencoder until its angle to PCA stops moving "
                                       "(once per server)…")
def _linear_run(cfgs: Configs) -> dict:
    """The linear autoencoder of these settings trained to convergence, with its angle trace (shared, read-only)."""
    d, m, t = cfgs
    data = dataset(d)
    check_budget(d, m, replace(t, epochs=cmp.LINEAR_MAX_EPOCHS), data)  # it may train up to that many epochs
    with SLOTS.hold():
        return cmp.train_linear(data, m, t)


@shared_cache(max_entries=16, frozen=True)
def _linear_vs_pca(cfgs: Configs, n_examples: int) -> dict:
    return cmp.linear_vs_pca(_linear_run(cfgs)["trainer"].model, dataset(cfgs[0]), n_examples)


def _line_toy(seed: int) -> dict:
    """The line's worked example beside the trained one-layer model (trained outside any cache)."""
    d = DataConfig(name="line", seed=seed)
    run = finished_run(d, cmp.TOY_MODEL, replace(cmp.TOY_TRAIN, seed=seed))
    return _line_toy_numbers(run)


@per_run(max_entries=4, frozen=True)
def _line_toy_numbers(run: Run) -> dict:
    return cmp.line_toy(run.model)



_STOPPED = {
    "same_subspace": "its largest angle to PCA's subspace fell below {same:g}°",
    "stopped_moving": "its largest angle stopped moving (less than {still:g}° in {window} epochs) with its training "
                      "error within 1% of PCA's",
    "max_epochs": "it reached the limit of {max_epochs:,} epochs — the angle was still moving: not converged",
    "diverged": "training diverged",
}


def linear_vs_pca(cfgs: Configs) -> None:
    """A linear autoencoder trained until its subspace stops moving: the angle falling during training,
    the final principal angles, explained variance, and both reconstructions side by side."""
    data = dataset(cfgs[0])
    d = cfgs[1].latent
    if d >= data.n_features:
        st.info(f"The code ({d}) is as wide as the input ({data.n_features}): both span the whole space. "
                "Lower the latent size to compare (the worked example below needs no setting).")
        return
    c = (cfgs[0], cmp.linear_within_budget(cfgs[1], cfgs[2], len(data.X_train), data.n_features), cfgs[2])
    try:
        run = _linear_run(c)
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        return
    if run["reason"] == "diverged":
        st.error(f"The linear model: {run['trainer'].error}")
        return
    res = _linear_vs_pca(c, 6 if data.kind == "image" else 3)
    stopped = _STOPPED[run["reason"]].format(same=cmp.LINEAR_SAME_DEG, still=cmp.LINEAR_STILL_DEG,
                                             window=cmp.LINEAR_WINDOW, max_epochs=cmp.LINEAR_MAX_EPOCHS)
    at_sidebar = [r for r in run["trace"] if r["epoch"] <= c[2].epochs][-1]
    then = (f" At the sidebar's {at_sidebar['epoch']} epochs the largest angle was still "
            f"{at_sidebar['angles'].max():.1f}°." if run["epochs"] > c[2].epochs else "")
    st.markdown(f"The linear autoencoder (your widths {', '.join(map(str, c[1].hidden)) or 'none'}, no activations, "
                f"MSE, learning rate {c[2].lr:g}) is trained until it has converged, not for a fixed number of "
                f"epochs: it stopped after **{run['epochs']:,} epochs**, when {stopped}.{then}"
                + (" Your widths would cost more than this server allows at that many epochs, so it has one layer "
                   "each way: stacked linear layers compose to one linear map, the same kind of subspace."
                   if c[1].hidden != cfgs[1].hidden else ""))
    a, b, e = st.columns(3)
    a.metric("Largest principal angle", f"{res['angles'].max():.2f}°")
    b.metric("Test error: linear AE / PCA", f"{res['ae_mse']:.4f} / {res['pca_mse']:.4f}")
    e.metric(f"Variance PCA's {d} components explain", f"{res['explained_d']:.1%}")
    chart(shared_figure(("cmp angles", c), lambda: figs.angle_trace_figure(run["trace"], cmp.LINEAR_SAME_DEG)),
          key="cmp_angle_trace")
    st.caption("Principal angles between the decoder's column space and PCA's top-d subspace "
               "(scipy.linalg.subspace_angles), at the end: " + ", ".join(f"{x:.2f}°" for x in res["angles"]) +
               ". Near 0° means the same subspace — though the autoencoder's axes are any mix of PCA's, neither "
               "orthogonal nor ordered by variance. The error usually reaches PCA's long before the angle closes: "
               "directions of nearly equal variance cost almost nothing to get wrong.")
    left, right = st.columns([2, 3])
    chart(where=left, fig=shared_figure(("cmp explained", c), lambda: figs.explained_variance_figure(
        res["explained"], d)), key="cmp_explained")
    chart(where=right, fig=shared_figure(("cmp pca examples", c), lambda: figs.sample_grid_figure(
        res["examples"], data.kind, data=data.X, **sample_kw(data))), key="cmp_pca_examples")


def _vec(v) -> str:
    return "(" + ", ".join(f"{x:.3f}" for x in v) + ")"


def line_toy(cfgs: Configs) -> None:
    """The line's worked example by hand beside a trained one-layer linear autoencoder's own numbers."""
    res = _line_toy(cfgs[0].seed)
    hand, tr = res["hand"], res["trained"]
    st.markdown(
        "On the line dataset (points near x₂ = 0.9·x₁) one number is enough. By hand: encode with "
        "w = (1, 0.9)/1.81, so z = w·x, and decode with v = (1, 0.9), so x̂ = v z. A point on the line comes back "
        "exactly; a point 0.6 above it comes back on the line, and the squared distance is its error. Beside it, "
        "a one-layer linear autoencoder (z = w·x + b, x̂ = v z + c) trained on the line, full batch, to its optimum.")
    rows = []
    for h, t in zip(hand["rows"], tr["rows"]):
        x = "(" + ", ".join(f"{v:.1f}" for v in h["x"]) + ")"
        rows += [
            {"": f"{x} → code z", "by hand": f"{h['z']:.3f}", "trained model": f"{t['z']:.3f}"},
            {"": f"{x} → x̂", "by hand": _vec(h["x_hat"]), "trained model": _vec(t["x_hat"])},
            {"": f"{x} → ‖x − x̂‖²", "by hand": f"{h['sq_error']:.3f}", "trained model": f"{t['sq_error']:.3f}"},
        ]
    rows += [
        {"": "encoder w", "by hand": _vec(hand["w"]), "trained model": f"{_vec(tr['w'])}, b = {tr['b']:.3f}"},
        {"": "decoder v", "by hand": _vec(hand["v"]), "trained model": f"{_vec(tr['v'])}, c = {_vec(tr['c'])}"},
        {"": "v wᵀ (what the pair does)", "by hand": _vec(hand["projection"].ravel()),
         "trained model": _vec(tr["projection"].ravel())},
    ]
    st.dataframe(rows, hide_index=True, key="cmp_line_toy")
    st.caption(
        f"The trained decoder points {tr['angle_to_hand']:.2f}° away from (1, 0.9). Its code z is on another scale: "
        "w → a·w with v → v/a reconstructs identically for any a, so compare the reconstructions, the errors and "
        "v wᵀ (listed row by row), not z. The app's error is the mean over the 2 features, half of ‖x − x̂‖² "
        f"(by hand {hand['rows'][1]['mean_error']:.3f}).")
