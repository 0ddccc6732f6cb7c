"""Streamlit helpers for the comparisons page (and the denoising demo on the reconstruction page):
cached training of the comparison models, cached numbers, and one drawing helper per section."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..analysis import compare as cmp
from ..analysis import latent as la
from ..config import DataConfig, ModelConfig, TrainConfig, defaults_for
from ..figures import compare as figs
from ..train import Trainer
from .cache import SLOTS, dataset
from .charts import shared_figure
from .layout import explain
from .lesson import chart, presenting
from .runs import OverBudget, check_budget, finished_run, run_for
from .state import Configs

DEFAULT_PENALTY = 1e-3  # the sparse / contractive weight compared when the sidebar's is 0
DEFAULT_NOISE = 0.3  # the denoising noise compared when the sidebar's is 0


def trained(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> Trainer:
    """The finished run this session sees for these settings (its own upload or live run, else the shared one)."""
    return run_for((data_cfg, model_cfg, train_cfg))


def _ready(*cfgs: Configs) -> bool:
    """Train (or fetch) every run; say clearly and return False if one cannot be built or diverged."""
    with st.spinner("Training the models this comparison needs (once per server)…"):
        for d, m, t in cfgs:
            try:
                run = trained(d, m, t)
            except OverBudget as exc:
                st.error(str(exc))
                return False
            except ValueError as exc:
                st.error(f"These settings cannot be built: {exc}")
                return False
            if run.error and not run.history:
                st.error(f"The {m.variant} model: {run.error}")
                return False
            if run.error:
                st.warning(f"The {m.variant} model: {run.error}")
    return True


def variant(cfgs: Configs, name: str, **changes) -> Configs:
    """The sidebar's settings with another variant (same data, architecture, training and seed)."""
    d, m, t = cfgs
    return d, replace(m, variant=name, **changes), t


def _penalty(value: float) -> float:
    return value if value > 0 else DEFAULT_PENALTY


# ---------------------------------------------------------------- cached numbers (keyed by run ids)
# Each takes the ids of the runs it reads first: the same settings can mean another run in another
# session (uploaded weights), so settings alone never key a number.


def _keyed(*cfgs: Configs) -> dict:
    """The runs this session sees for these settings, and their identities: the keyword arguments that
    make a cached number read exactly these runs (trained here, outside any cache)."""
    runs = tuple(trained(*c) for c in cfgs)
    return {"run_ids": tuple(r.run_id for r in runs), "_runs": runs}


@st.cache_data(max_entries=16, show_spinner=False)
def _generator_view(run_ids: tuple[str, ...], cfgs: Configs, _runs: tuple = ()) -> dict:
    return cmp.generator_view(_runs[0].model, dataset(cfgs[0]))


@st.cache_resource(max_entries=8, show_spinner="Training the linear autoencoder until its angle to PCA stops "
                                               "moving (once per server)…")
def _linear_run(cfgs: Configs) -> dict:
    """The linear autoencoder of these settings trained to convergence, with its angle trace (shared, read-only)."""
    d, m, t = cfgs
    data = dataset(d)
    check_budget(d, m, replace(t, epochs=cmp.LINEAR_MAX_EPOCHS), data)  # it may train up to that many epochs
    with SLOTS.hold():
        return cmp.train_linear(data, m, t)


@st.cache_data(max_entries=16, show_spinner=False)
def _linear_vs_pca(cfgs: Configs, n_examples: int) -> dict:
    return cmp.linear_vs_pca(_linear_run(cfgs)["trainer"].model, dataset(cfgs[0]), n_examples)


def _line_toy(seed: int) -> dict:
    """The line's worked example beside the trained one-layer model (trained outside any cache)."""
    d = DataConfig(name="line", seed=seed)
    run = finished_run(d, cmp.TOY_MODEL, replace(cmp.TOY_TRAIN, seed=seed))
    return _line_toy_numbers(run.run_id, _run=run)


@st.cache_data(max_entries=4, show_spinner=False)
def _line_toy_numbers(run_id: str, _run: Trainer) -> dict:
    return cmp.line_toy(_run.model)


@st.cache_data(max_entries=8, show_spinner=False)
def _roll_views(run_ids: tuple[str, ...], cfgs: Configs, _runs: tuple = ()) -> dict:
    return cmp.roll_views(_runs[0].model, dataset(cfgs[0]))


@st.cache_data(max_entries=16, show_spinner=False)
def _usefulness(run_ids: tuple[str, ...], cfgs: Configs, _runs: tuple = ()) -> dict:
    return cmp.code_usefulness(_runs[0].model, dataset(cfgs[0]), seed=cfgs[2].seed)


@st.cache_data(max_entries=16, show_spinner=False)
def _sparsity(run_ids: tuple[str, ...], plain: Configs, sparse: Configs, _runs: tuple = ()) -> dict:
    return cmp.sparsity_view(_runs[0].model, _runs[1].model, dataset(plain[0]).X_test)


@st.cache_data(max_entries=16, show_spinner=False)
def _contraction(run_ids: tuple[str, ...], plain: Configs, contractive: Configs, _runs: tuple = ()) -> dict:
    return cmp.contraction_view(_runs[0].model, _runs[1].model, dataset(plain[0]).X_test)


@st.cache_data(max_entries=32, show_spinner=False)
def _denoising(run_ids: tuple[str, ...], plain: Configs, denoising: Configs, indices: tuple[int, ...],
               _runs: tuple = ()) -> dict:
    m = denoising[1]
    return cmp.denoising_view(_runs[0].model, _runs[1].model, dataset(plain[0]), list(indices),
                              m.noise_std, m.mask_prob, seed=plain[2].seed)


def _kw(data) -> dict:
    return dict(image_shape=data.image_shape, feature_names=data.feature_names)


# ---------------------------------------------------------------- sections


def _metrics(name: str, view: dict) -> None:
    st.markdown(f"**{name}**")
    m1, m2 = st.columns(2)
    m1.metric("Hole fraction", f"{view['hole_fraction']:.0%}",
              help=f"Of {view['n_draws']:,} draws, the share farther than r = {view['radius']:.3g} from every "
                   "code the decoder was trained on (standardised units).")
    m2.metric("Test reconstruction error", f"{view['test_mse']:.4f}")


def ae_vs_vae(cfgs: Configs) -> None:
    """Two latent maps side by side, hole fractions, eight decodings of N(0, I) each, both errors."""
    data = dataset(cfgs[0])
    pair = {"Autoencoder": variant(cfgs, "autoencoder"), "VAE": variant(cfgs, "variational")}
    if not _ready(*pair.values()):
        return
    explain(
        f"Same data, architecture and seed, trained both ways (β = {cfgs[1].beta:g}). Both models get the latent "
        f"page's hole rule and its draws: {la.HOLE_DRAWS:,} points from N(0, I) in each model's standardised code "
        "units — what you would decode to *generate* new samples.\n\n" + la.HOLE_RULE)
    cols = st.columns(2)
    views = {}
    for col, (name, c) in zip(cols, pair.items()):
        keyed = _keyed(c)
        view = views[name] = _generator_view(cfgs=c, **keyed)
        ids = keyed["run_ids"]
        with col:
            if presenting():  # one line instead of two tiles, so both maps fit a projector's first screen
                st.markdown(f"**{name}**: hole fraction **{view['hole_fraction']:.0%}**, test error "
                            f"{view['test_mse']:.4f}")
            else:
                _metrics(name, view)
            title = "codes μ (grey: sampled z the decoder saw)" if name == "VAE" else "codes"
            if cfgs[1].latent > 2:
                title += " — first two principal axes"
            fig = shared_figure(("cmp map", ids, title, presenting()), lambda: figs.latent_map_figure(
                view["codes"], view["labels"], data.label_names, title=title, background=view["background"],
                samples=view["samples"], holes=view["holes"], height=400 if presenting() else 480,
                legend_below=not presenting()))  # beside it on a projector's width
            chart(fig, key=f"cmp_map_{name}")
            k = len(view["decoded_holes"])
            st.caption(f"The first {k} of those draws, decoded ({int(view['decoded_holes'].sum())} of them in a hole):")
            chart(shared_figure(("cmp decoded", ids), lambda: figs.decodings_figure(
                view["decoded"], data.kind, data=data.X, **_kw(data))), key=f"cmp_dec_{name}")
            share = view["unit_signal"]
            if share is not None and (share < la.COLLAPSED_SHARE).any():
                dead = int((share < la.COLLAPSED_SHARE).sum())
                st.warning(f"Posterior collapse: {dead} of {len(share)} code units carry almost nothing about the "
                           "input (pure noise the decoder ignores), so the μ map loses that direction. Lower β.")
    ae, vae = views["Autoencoder"], views["VAE"]
    cost = (f"here at a cost in reconstruction ({vae['test_mse']:.4f} against {ae['test_mse']:.4f})"
            if vae["test_mse"] > ae["test_mse"] else
            f"and at this β without a cost in reconstruction ({vae['test_mse']:.4f} against {ae['test_mse']:.4f}, "
            "decoding μ); raise β and the error climbs")
    if vae["hole_fraction"] >= ae["hole_fraction"]:
        st.info(f"At β = {cfgs[1].beta:g} the VAE has as many holes as the autoencoder ({vae['hole_fraction']:.0%} "
                f"against {ae['hole_fraction']:.0%}): the KL term is too weak to pull its codes into N(0, I). Raise β.")
        return
    st.info("**The lesson in one line:** the KL term fills the holes — it pulls the codes towards N(0, I) and "
            "blurs each into a cloud of width σ, so the decoder learns to decode everywhere the prior "
            f"samples ({vae['hole_fraction']:.0%} of the draws in holes against {ae['hole_fraction']:.0%}), {cost}.")


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
    c = (cfgs[0], cmp.linear_config(cfgs[1]), cfgs[2])
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
                f"epochs: it stopped after **{run['epochs']:,} epochs**, when {stopped}.{then}")
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
        res["examples"], data.kind, data=data.X, **_kw(data))), key="cmp_pca_examples")


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
    if not _ready(c):
        return
    st.caption(f"An autoencoder with {whose}: hidden widths {', '.join(map(str, c[1].hidden))}, {c[1].activation}, "
               f"a 2-number code, learning rate {c[2].lr:g}, {c[2].epochs} epochs, batch {c[2].batch_size}. Colour: "
               "position along the roll, never used in training.")
    keyed = _keyed(c)
    views = _roll_views(cfgs=c, **keyed)
    ids = keyed["run_ids"]
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
    if not _ready(cfgs):
        return
    res = _usefulness(cfgs=cfgs, **_keyed(cfgs))
    a, b = st.columns(2)
    a.metric(f"AUC on the raw features ({res['raw_dims']} numbers)", f"{res['raw_auc']:.3f}")
    b.metric(f"AUC on the codes ({res['code_dims']} numbers)", f"{res['code_auc']:.3f}",
             delta=f"{res['code_auc'] - res['raw_auc']:+.3f}", delta_color="normal")
    st.caption("A logistic regression (scikit-learn, standardised inputs) is fitted on the training rows and "
               "scored on the test rows, macro one-vs-rest ROC-AUC over the labels. The autoencoder itself "
               "never saw the labels: this asks whether its code kept what separates them.")


def sparsity(cfgs: Configs) -> None:
    """Histogram of code activations, λ = 0 against λ > 0, and the share near zero."""
    plain = variant(cfgs, "autoencoder")
    sparse = variant(cfgs, "sparse", sparsity=_penalty(cfgs[1].sparsity))
    if not _ready(plain, sparse):
        return
    keyed = _keyed(plain, sparse)
    res = _sparsity(plain=plain, sparse=sparse, **keyed)
    cols = st.columns(len(res["shares"]))
    for col, (name, share) in zip(cols, res["shares"].items()):
        col.metric(f"Activations near zero, {name}", f"{share:.1%}")
    chart(shared_figure(("cmp sparse", keyed["run_ids"]), lambda: figs.activation_histogram_figure(
        res["activations"], res["tol"])), key="cmp_sparse_hist")
    st.caption(f"Each model's code activations on the test data, divided by its own largest one, so a model "
               f"cannot look sparse just by shrinking every code; near zero means |h| < {res['tol']:g} of that.")


def contraction(cfgs: Configs) -> None:
    """The Jacobian penalty ‖J_f(x)‖²_F on test data, plain against contractive."""
    plain = variant(cfgs, "autoencoder")
    contractive = variant(cfgs, "contractive", contractive=_penalty(cfgs[1].contractive))
    if not _ready(plain, contractive):
        return
    res = _contraction(plain=plain, contractive=contractive, **_keyed(plain, contractive))
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


def denoising_demo(cfgs: Configs, key: str = "dn") -> None:
    """Noisy test inputs, the plain model's outputs and the denoising model's outputs, with both errors."""
    d, m, t = cfgs
    data = dataset(d)
    noise = m.noise_std if (m.noise_std > 0 or m.mask_prob > 0) else DEFAULT_NOISE
    plain = variant(cfgs, "autoencoder")
    den = variant(cfgs, "denoising", noise_std=noise, mask_prob=m.mask_prob)
    st.markdown(f"A denoising autoencoder trains on corrupted copies (noise σ = {noise:g}, masking p = "
                f"{m.mask_prob:g}) and is scored against the clean input. Here both models get the *same* "
                "corrupted test inputs they never trained on.")
    if not _ready(plain, den):
        return
    n_test = len(data.test_idx)
    if data.kind == "points":
        indices = tuple(range(min(40, n_test)))
    else:
        k = 5 if data.kind == "image" else 1
        start = int(st.number_input("First test sample", 0, max(0, n_test - k), 0, key=f"{key}_start"))
        indices = tuple(range(start, min(n_test, start + k)))
    keyed = _keyed(plain, den)
    res = _denoising(plain=plain, denoising=den, indices=indices, **keyed)
    a, b, c = st.columns(3)
    a.metric("Noisy input vs clean", f"{res['noisy_mse']:.4f}")
    b.metric("Plain AE output vs clean", f"{res['plain_mse']:.4f}")
    c.metric("Denoising AE output vs clean", f"{res['denoising_mse']:.4f}",
             delta=f"{res['denoising_mse'] - res['plain_mse']:+.4f}", delta_color="inverse")
    chart(shared_figure(("denoising grid", keyed["run_ids"], indices), lambda: figs.sample_grid_figure(
        res["rows"], data.kind, data=data.X, **_kw(data))), key=f"{key}_grid")
    st.caption("Errors are mean squared errors against the clean inputs, over the whole test set.")
