"""Streamlit helpers for the Reconstruction page: sample picker, side-by-side views, error per label
and the cached latent-size sweep.

Every figure here depends on a run and the page's options alone, so it is built once per server
(`shared_figure`, keyed by the run's id and those options) and every session showing the same run and
options gets the same figure object.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pyarrow as pa
import streamlit as st

from ..analysis import recon, reconstruct
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..figures import recon as fig_recon
from ..run import Run
from .cache import dataset, per_run
from .charts import shared_figure
from ..fields import PAGE_FIELDS
from .lesson import chart, fit_link, hidden, link_value, remember
from .runs import finished_run
from .state import configs

_SELECTION_LABELS = {"index": "by index", "random": "random", "worst": "k worst", "best": "k best"}


def _new_draw() -> None:
    st.session_state["rc_seed"] = st.session_state.get("rc_seed", 0) + 1


def pick_samples(errors: np.ndarray) -> np.ndarray:
    """Widgets that choose test samples (by index, random, k worst, k best); returns their positions. The
    choice starts at the link's and goes back to it; ?hide=samples keeps the link's, undrawn."""
    last = len(errors) - 1
    if hidden("samples"):
        mode, index, k = link_value("show"), fit_link("index", 0, last, "the test samples"), link_value("rk")
        if mode == "index":
            return recon.select_samples(errors, "index", index=int(index))
        return recon.select_samples(errors, mode, k=int(k), seed=st.session_state.get("rc_seed", 0))
    for key, name in (("rc_mode", "show"), ("rc_k", "rk")):
        st.session_state.setdefault(key, link_value(name))
    st.session_state.setdefault("rc_index", fit_link("index", 0, last, "the test samples"))
    a, b, c = st.columns([3, 2, 1])
    mode = a.radio("Show test samples", recon.SELECTIONS, format_func=_SELECTION_LABELS.get, horizontal=True,
                   key="rc_mode")
    remember("show", mode)
    if mode == "index":
        index = b.number_input(f"Test sample (0–{last})", 0, last, key="rc_index")
        remember("index", int(index))
        return recon.select_samples(errors, "index", index=int(index))
    k = b.slider("k", int(PAGE_FIELDS["rk"].lo), int(PAGE_FIELDS["rk"].hi), key="rc_k")
    remember("rk", int(k))
    if mode == "random":
        c.button("New draw", on_click=_new_draw, key="rc_draw")
    return recon.select_samples(errors, mode, k=int(k), seed=st.session_state.get("rc_seed", 0))


def _fig_key(run: Run, *options) -> tuple:
    """A shared figure's key: the settings, the run's identity (an upload has its own) and the options."""
    return (configs(), run.id, *options)


def show_samples(run: Run, data: Dataset, X: np.ndarray, X_hat: np.ndarray, errors: np.ndarray,
                 chosen: np.ndarray) -> None:
    """Draw the chosen test samples next to their reconstructions, the way their dataset is best seen.
    `X`, `X_hat` and `errors` are `run`'s reconstructions of the test set (from `reconstructions`)."""
    if data.kind == "points":
        fig = shared_figure(_fig_key(run, "rc points", tuple(int(i) for i in chosen)),
                            lambda: fig_recon.points_joined(X, X_hat, errors, highlight=chosen))
        chart(fig, key="rc_points")
        st.caption("Selected points (red rings): " + ", ".join(
            f"#{i} error {errors[i]:.3g}" for i in chosen))
        return
    per_row = 2
    for start in range(0, len(chosen), per_row):
        cols = st.columns(per_row)
        for col, i in zip(cols, chosen[start:start + per_row]):
            chart(shared_figure(_fig_key(run, "rc sample", int(i)), partial(_sample_figure, data, X, X_hat, errors, i)),
                  where=col, key=f"rc_sample_{start}_{i}")


def _sample_figure(data: Dataset, X: np.ndarray, X_hat: np.ndarray, errors: np.ndarray, i: int):
    """Test sample `i` over its reconstruction: an image triplet, or the feature profiles with the error shaded."""
    title = f"test #{i} · {data.label_names[data.y_test[i]]} · error {errors[i]:.3g}"
    if data.kind == "image":
        return fig_recon.image_triplet(X[i], X_hat[i], data.image_shape, title=title)
    return fig_recon.profile_overlay(X[i], X_hat[i], data.feature_names, title=title)


def error_per_label(run: Run, data: Dataset, errors: np.ndarray, X: np.ndarray, X_hat: np.ndarray) -> None:
    """Violin or box plot of the test error per label, the same errors relative to each label's own
    variance, and which of the two answers "is the bottleneck too small"."""
    a, b = st.columns([3, 1])
    kind = a.radio("Plot as", ("violin", "box"), horizontal=True, key="rc_plot")
    log_y = b.checkbox("Log scale", key="rc_log")
    chart(shared_figure(_fig_key(run, "rc by label", kind, bool(log_y)), lambda: fig_recon.error_by_label_figure(
        errors, data.y_test, data.label_names, kind, log_y)), key="rc_by_label")
    worst, ratio, rows, table, (verdict, w) = _run_label_errors(run, data.name, errors, X, X_hat, data)
    units = "standardised units" if data.feature_mean is not None else "the data's units"
    st.markdown(
        f"In {units}, **{data.label_names[worst]}** reconstructs worst: its mean error is **{ratio:.1f}×** the "
        "average of the other labels' means. That number mixes two things: how well the code fits a population, "
        "and how spread out the population is — a tight cluster has small errors in any shared units, however "
        "badly the code fits it. (The labels only colour this page; the model never saw them.)")
    st.dataframe(
        table, hide_index=True, key="rc_relative",
        column_config={k: st.column_config.NumberColumn(format="%.3f")
                       for k in ("mean error", "own variance", "error ÷ own variance")})
    shares = " / ".join(f"{r['relative']:.2f}" for r in rows)
    name = rows[w]["label"]
    if verdict == "too_small_for_all":
        answer = ("Every population loses most of its own variation (a share near 1 means the reconstruction is "
                  "no better than that population's average): **the bottleneck is too small for all of them**. "
                  "Raise the latent size and watch every share fall.")
    elif verdict == "too_small_for_one":
        answer = (f"**{name}** loses far more of its own variation than the others: **the bottleneck is too "
                  "small for it** — the code spends its few numbers on the other populations.")
    else:
        answer = (f"The shares are close (the largest, {name}, is not far above the rest): **the bottleneck is "
                  "not too small for one population in particular**; a larger code would lower them all.")
    st.markdown(
        f"**Is the bottleneck too small?** Ask each population against its own spread: divide its mean error by "
        f"its own variance (the last column: {shares}). That share of its own variation the code loses answers "
        f"the question; the error in {units} does not. {answer}")


@per_run(max_entries=40)
def _run_label_errors(run: Run, name: str, _errors: np.ndarray, _X: np.ndarray, _X_hat: np.ndarray, _data: Dataset):
    """Per run (on the dataset `name`, whose test rows `_X` reconstruct to `_X_hat`): the worst label and its
    ratio, the per-label rows, the same as a table (Arrow, as st.dataframe sends it, built once) and the
    bottleneck verdict."""
    worst, ratio = recon.worst_label_ratio(_errors, _data.y_test)
    rows = recon.relative_errors_by_label(_X, _X_hat, _data.y_test, _data.label_names)
    table = pa.Table.from_pylist(
        [{"label": r["label"], "test samples": r["count"], "mean error": r["mean"],
          "own variance": r["own_variance"], "error ÷ own variance": r["relative"]} for r in rows])
    return worst, ratio, rows, table, recon.bottleneck_verdict(rows)


def latent_sweep(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 sizes: tuple[int, ...]) -> list[dict]:
    """Final train/test loss for each latent size; every size is the server's shared finished run
    (trained once, budgeted and cancellable like any other)."""
    return _sweep(data_cfg, model_cfg, train_cfg, sizes)[1]


def _sweep(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
           sizes: tuple[int, ...]) -> tuple[tuple[str, ...], list[dict]]:
    """(the sweep's run ids, one row per size): the ids name the figure drawn from the rows."""
    runs = {k: finished_run(data_cfg, replace(model_cfg, latent=k), train_cfg) for k in sizes}
    rows = recon.latent_sweep(dataset(data_cfg), model_cfg, train_cfg, sizes, fit=lambda cfg: runs[cfg.latent])
    return tuple(runs[k].id for k in sizes), rows


def sweep_section(cfgs: tuple[DataConfig, ModelConfig, TrainConfig], data: Dataset) -> None:
    """Opt-in latent-size sweep (it trains several models), drawn once computed."""
    data_cfg, model_cfg, train_cfg = cfgs
    sizes = recon.sweep_sizes(data.n_features)
    st.markdown(f"Train the same network with codes of {', '.join(map(str, sizes))} numbers "
                f"({train_cfg.epochs} epochs each) and compare their test errors. Each setting trains once per "
                "server; afterwards the curve is instant.")
    if not st.toggle("Show test error against latent size", key="rc_sweep"):
        return
    try:
        ids, rows = _sweep(data_cfg, model_cfg, train_cfg, sizes)
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        return
    chart(shared_figure(("rc sweep", ids, model_cfg.latent), lambda: fig_recon.latent_sweep_figure(
        rows, current=model_cfg.latent)), key="rc_sweep_fig")
    if any(r["diverged"] for r in rows):
        st.warning("Some sizes diverged (the loss became NaN); their points show the last finite epoch.")


def reconstructions(run: Run, data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test inputs (n, features) of `data` (the run's dataset), `run`'s reconstructions and per-sample errors
    (n,): computed once per run and shared by every session (read-only)."""
    return _reconstructions(run, data.name, _data=data)


@per_run(max_entries=40, max_bytes=64_000_000)
def _reconstructions(run: Run, name: str, _data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = _data.X_test  # (n_test, features)
    X_hat = reconstruct(run.model, X)  # (n_test, features)
    errors = ((X_hat - X) ** 2).mean(axis=1)  # (n_test,)
    for a in (X_hat, errors):
        a.setflags(write=False)  # shared by every session: never changed in place
    return X, X_hat, errors
