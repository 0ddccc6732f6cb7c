"""The latent page's sections after the explorer: the hole fraction of draws from N(0, s²), its sweep against
latent size, the decoded manifold grid and the interpolation between two codes."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import streamlit as st

from ..analysis import encode
from ..analysis import latent as la
from ..datasets import Dataset
from ..fields import PAGE_FIELDS
from ..figures import latent as fl
from ..run import Run
from . import latent_path as lpath
from .cache import per_run
from .charts import shared_figure
from .latent import _size_fraction, _state, axis_titles
from .lesson import chart
from .state import configs


EVOLUTION_FRAMES = 11  # frames of the training replay
EVOLUTION_POINTS = 800  # codes drawn in each frame


def _fig_key(run: Run, *options) -> tuple:
    return (configs(), run.id, *options)


def hole_rate_section(run: Run, v: la.LatentView, r: float) -> tuple[int, float, int]:
    """Draw N points from N(0, s²) in standardised units, mark the ones in holes, print the hole fraction;
    for a VAE, say beside the draws which code units have collapsed. Returns the draws' (N, s, seed)."""
    state = _state()
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    n = c1.number_input("Number of draws N", 10, 5000, la.HOLE_DRAWS, step=100, key="latent_hole_n")
    s = c2.slider("Spread s of N(0, s²), in code standard deviations", 0.1, 5.0, la.HOLE_SPREAD, step=0.1,
                  key="latent_hole_s")
    if c3.button("Draw again", key="latent_redraw"):
        state["hole_seed"] += 1
    seed = la.HOLE_SEED + state["hole_seed"]
    rate = run_hole_rate(run, v, r, int(n), float(s), seed)
    vae = run.model.cfg.variant == "variational"
    st.metric("Hole fraction", f"{rate.fraction:.0%}", help=f"{int(rate.holes.sum())} of {int(n)} draws "
              f"are farther than r = {r:.3g} from every code the decoder was trained on.")
    fig = shared_figure(_fig_key(run, "holes", r, int(n), float(s), seed), lambda: fl.hole_samples_figure(
        v.plane.project(v.index.codes) if vae else v.coords, v.plane.project(rate.Z), rate.holes, rate.fraction,
        axis_titles=axis_titles(v), codes_name="sampled z = μ + σ·ε (what the decoder saw)" if vae else
        "training codes"))
    chart(fig, key="latent_hole_rate")
    if vae:
        _collapse_note(run)
    return int(n), float(s), seed


@per_run(max_entries=64, frozen=True)
def _run_hole_rate(run: Run, r: float, n: int, s: float, seed: int, _view: la.LatentView) -> la.HoleRate:
    """Per run: the hole rate of N(0, s²) draws at radius r (shared by every session, never changed)."""
    return la.hole_rate(_view.index, r, n=n, s=s, seed=seed)


def run_hole_rate(run: Run, v: la.LatentView, r: float, n: int, s: float, seed: int) -> la.HoleRate:
    """The draws' hole rate for this session's run (`la.hole_rate`, computed once per run and options)."""
    return _run_hole_rate(run, float(r), int(n), float(s), int(seed), _view=v)


@per_run(max_entries=16)
def _unit_signal(run: Run) -> tuple[float, ...]:
    return tuple(float(x) for x in la.unit_signal(run.model, run.data.X_train))


def _collapse_note(run: Run) -> None:
    """Beside a VAE's draws: which code units carry the input and which have collapsed to the prior."""
    share = _unit_signal(run)
    dead = [j for j, x in enumerate(share) if x < la.COLLAPSED_SHARE]
    parts = ", ".join(f"z{_sub(j + 1)} {x:.0%}" for j, x in enumerate(share[:8]))
    if dead:
        names = ", ".join(f"z{_sub(j + 1)}" for j in dead)
        verb = "carries" if len(dead) == 1 else "carry"
        st.warning(f"**Posterior collapse:** {len(dead)} of {len(share)} code units ({names}) {verb} almost nothing "
                   f"about the input (share of each unit's variance that comes from the input: {parts}). Such a "
                   "unit is pure noise z ~ N(0, 1) that the decoder learned to ignore: the draws fill it easily, "
                   f"so the hole fraction looks good, but the map of μ loses that direction. β = {run.model.cfg.beta:g}"
                   " makes the KL cost outweigh what the unit adds to the reconstruction; lower β to bring it back.")
    else:
        st.caption(f"Every code unit carries the input (share of each unit's variance that comes from the input, "
                   f"not the noise σ·ε: {parts}); none has collapsed to the prior.")


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def sweep_section(run: Run, v: la.LatentView, draws: tuple[int, float, int]) -> None:
    """Hole fraction against latent size, on a button: the sidebar's settings at each latent size, the same
    draws (N, s, seed) and each model's own default r; the current model is one of the points."""
    state = _state()
    data_cfg, model_cfg, train_cfg = configs()
    sizes = la.sweep_sizes(v.latent)
    key = (data_cfg, replace(model_cfg, latent=0), train_cfg)
    others = len(sizes) - 1
    if st.button(f"Run the sweep (trains {others} more models with your settings, {train_cfg.epochs} epochs each, "
                 "once per server)", key="latent_sweep_go"):
        state["sweep"].add(key)
    if key not in state["sweep"]:
        return
    n, s, seed = draws
    fractions = []
    with st.spinner("Training your settings at each latent size (once per server)…"):
        for k in sizes:
            if k == v.latent:  # this page's own model (trained live, cached or uploaded)
                fractions.append(la.hole_rate(v.index, v.radius, n=n, s=s, seed=seed).fraction)
            else:
                fractions.append(_size_fraction(data_cfg, replace(model_cfg, latent=k), train_cfg, n, s, seed))
    chart(fl.sweep_figure(sizes, fractions, current=v.latent), key="latent_sweep")
    lo, hi = fractions[0], fractions[-1]
    text = (f"From {lo:.0%} of the draws in holes at latent size {sizes[0]} to {hi:.0%} at size {sizes[-1]}, with "
            f"your settings ({model_cfg.variant}, widths {', '.join(map(str, model_cfg.hidden))}, "
            f"{model_cfg.activation}) and the same {n:,} draws (s = {s:g}) at every size; codes that filled the "
            "Gaussian evenly would leave about 1 % in holes at any size. Each model's r comes from its own codes, "
            "so the radius slider above does not move this curve. ")
    if hi > lo + 0.2:
        text += ("The same number of codes is spread over a space with more directions, along a thin sheet: almost "
                 "all of a high-dimensional Gaussian's volume lies away from any code — the curse of "
                 "dimensionality, now inside the latent space.")
    elif model_cfg.variant == "variational":
        text += ("The curve stays low: the KL term keeps the codes the decoder sees filling the Gaussian at every "
                 "size (a unit the model does not need collapses to pure noise, which fills its direction too). "
                 "Switch to the plain autoencoder to watch the curse of dimensionality instead.")
    else:
        text += "The curve barely climbs with these settings: compare the plain autoencoder at the defaults."
    st.markdown(text)


GRID_DEFAULT = PAGE_FIELDS["grid"].default  # n: the grid's n × n decodings, unless the link or the student sets another


def grid_section(run: Run, data: Dataset, v: la.LatentView, r: float) -> None:
    """Decode an n×n grid over the codes' box in one batch; hole cells marked."""
    g = PAGE_FIELDS["grid"]
    n = st.slider("Grid size n (n × n decodings)", int(g.lo), int(g.hi), g.default, key=g.widget)
    g = la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, int(n), r)
    st.caption(f"{int(g.holes.sum())} of {n * n} grid cells are in a hole (shaded red). Rows run bottom to top "
               "in z₂ and columns left to right in z₁, as on the map.")
    if data.kind == "points":
        build = partial(fl.decoded_points_figure, data.X_train, g.X, g.holes, names=data.feature_names,
                        title="The decoded grid in data space")
    else:
        build = partial(fl.tiles_figure, g.X, int(n), int(n), g.holes, data.kind, image_shape=data.image_shape,
                        title="The decoder's output over the map")
    chart(shared_figure(_fig_key(run, "grid", int(n), r), build), key="latent_grid")


def interpolation_section(run: Run, data: Dataset, v: la.LatentView, r: float) -> None:
    """K points on the segment between two points, decoded in the browser (`latent_path`): the hole test, the
    distance to the nearest code against r and the labels passed, all by the one rule. K, the step, the map's radius
    and clicks on the map never reach the server."""
    state = _state()
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    source = c1.radio("Between", ("two training samples", "my last two clicks"), key="latent_interp_src")
    clicks = source == "my last two clicks"
    n = len(data.X) - 1
    first, other = la.default_ends(data)
    a = int(c2.number_input("sample A", 0, n, first, key="latent_interp_a", disabled=clicks))
    b = int(c3.number_input("sample B", 0, n, other, key="latent_interp_b", disabled=clicks))
    za, zb = encode(run.model, data.X[[a, b]])  # (latent,) each: the exact codes (μ for a VAE)
    names = data.label_names
    lpath.latent_path(run_id=run.id, source="clicks" if clicks else "samples", za=za, zb=zb,
                      ends=(f"sample {a}, label {names[data.y[a]]}", f"sample {b}, label {names[data.y[b]]}"),
                      clicks=state["clicks"], r=r)


def evolution_section(run: Run, data: Dataset, v: la.LatentView) -> None:
    """Replay the training snapshots as an animation."""
    if len(run.snapshots) < 2:
        st.info("This run kept a single snapshot: train for more epochs to watch the codes move.")
        return

    def build():
        frames = la.snapshot_coords(run.snapshots, v.plane)
        if v.latent == 1:
            jitter = np.random.default_rng(0).uniform(-1, 1, len(data.X)).astype(np.float32)
            frames = [(e, np.stack([c[:, 0], jitter], axis=1)) for e, c in frames]
        # at most EVOLUTION_FRAMES frames of EVOLUTION_POINTS points: the clusters forming read just as well,
        # and every session receives a fraction of the data
        step = max(1, -(-(len(frames) - 1) // (EVOLUTION_FRAMES - 1)))
        frames = frames[:-1][::step] + frames[-1:]
        keep = np.sort(np.random.default_rng(0).permutation(len(data.y))[:EVOLUTION_POINTS])
        frames = [(e, c[keep]) for e, c in frames]
        return fl.evolution_figure(frames, data.y[keep], data.label_names, axis_titles=axis_titles(v))

    chart(shared_figure(_fig_key(run, "evolution"), build), key="latent_evolution")
