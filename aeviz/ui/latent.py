"""The latent space explorer's Streamlit side: cached views of a trained model, the explorer fragment
(the map decodes in the browser; a click sends its point here and reruns only this part), and the
hole-rate, sweep, grid, interpolation and evolution parts."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import streamlit as st

from ..analysis import draw, encode
from ..analysis import latent as la
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..fields import PAGE_FIELDS, fitted
from ..figures import latent as fl
from ..lesson import round_point, round_radius
from ..run import Run
from . import latent_map as lmap
from . import latent_path as lpath
from .cache import per_run
from .charts import shared_figure
from .lesson import chart, link_value, remember
from .runs import finished_run
from .state import configs

STATE = "aeviz_latent"  # this session's explorer: {"z": (run id, full code) or None, "source": str, "clicks": [...], ...}
Z_KEYS = ("latent_z1", "latent_z2")
HOLE_RULE = la.HOLE_RULE  # the one hole rule, stated once on the page


DRAW_INTRO = (
    "The pad under the decoded output takes your own handwriting. As you draw, your browser turns the drawing into "
    "an input the way the dataset's images were made (for MNIST the ink is scaled into a 20 × 20 box and centred by "
    "its centre of mass in 28 × 28; the 8 × 8 digits fill their frame's height), runs the encoder on it and moves "
    "the marker to the code it gets. The decoded output is then the model's reconstruction of your digit, and the "
    "badge says whether that code is in a hole; lifting the pen sends the code to the page, like a click.")
DRAW_PROMPT = (
    "Draw a tall 1, press *Clear* and draw a round 0: the marker jumps from among the 1s to among the 0s, because "
    "the encoder places your drawing by what it learned from the training digits. Then draw the 0 again, small, in "
    "a corner of the pad: the code hardly moves, since the drawing is scaled and centred before the encoder sees it.")


def drawable(data: Dataset) -> bool:
    """True when the latent map shows its drawing pad for this dataset (images of a shape aeviz.analysis.draw knows)."""
    return draw.spec_for(data) is not None


def _state() -> dict:
    """This session's explorer state (created on first use)."""
    return st.session_state.setdefault(STATE, {"z": None, "source": "", "clicks": [], "draws": 0, "hole_seed": 0,
                                               "sweep": set(), "point": None, "seq": 0, "r": None,
                                               "page_r": None, "linked": False, "z_note": None,
                                               "r_note": None})


@per_run(max_entries=16, max_bytes=64_000_000, spinner="Encoding the training data…")
def view(run: Run) -> la.LatentView:
    """The map of one trained run (once per run; read-only)."""
    return la.latent_view(run.model, run.data)


def _size_fraction(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, n: int, s: float,
                   seed: int) -> float:
    """Hole fraction (the one rule) of the finished run for these settings: the sweep's point at one size.
    The run comes from the server-wide store of finished runs (trained here, outside any cache, with its
    progress and Cancel button), so the sweep shares models with every page."""
    run = finished_run(data_cfg, model_cfg, train_cfg)
    return _run_fraction(run, n, s, seed)


@per_run(max_entries=64)
def _run_fraction(run: Run, n: int, s: float, seed: int) -> float:
    """Hole fraction of one run by the one rule, cached under the run's id."""
    if run.error and not run.history:
        return float("nan")
    return la.model_hole_rate(run.model, run.data.X_train, n=n, s=s, seed=seed).fraction


def axis_titles(v: la.LatentView) -> tuple[str, str]:
    """Axis names of the map: z₁, z₂ or the principal axes."""
    if v.latent == 1:
        return "z₁", "(spread for visibility)"
    if v.latent == 2:
        return "z₁", "z₂"
    return "a (1st principal axis)", "b (2nd principal axis)"


def radius(run: Run, v: la.LatentView) -> float:
    """The hole radius r (standardised units): what the map's slider last sent for this run, else the one
    hole rule's r (the 99th percentile of the reference codes' distances to their nearest neighbour)."""
    sent = _state().get("r")
    if isinstance(sent, tuple) and sent[0] == run.id:
        return sent[1]
    return v.radius


# ---------------------------------------------------------------- the explorer (a fragment)

def _on_pick(run_id: str, latent: int) -> None:
    """The browser sent a clicked, tapped or entered point: it drives the server-side parts."""
    value = lmap.picked()
    if value is None or len(value["z"]) != latent:
        return
    state = _state()
    a, b = value["ab"]
    state["z"], state["source"] = (run_id, np.asarray(value["z"], dtype=np.float32)), value["source"]
    # given back to the map only if a rerun remounts it without its point (the same seq: a live map keeps its own)
    state["point"] = {"run": run_id, "z": [float(c) for c in value["z"]], "seq": state["seq"],
                      "source": value["source"], "kept": True}
    state["clicks"] = (state["clicks"] + [(a, b)])[-2:]
    st.session_state[Z_KEYS[0]], st.session_state[Z_KEYS[1]] = a, b


def _on_radius(run_id: str) -> None:
    """The map's radius slider was released: the whole page uses the new r (rounded as the link keeps it, so
    a page opened from the link computes with the same r)."""
    r = lmap.radius_state()
    if r is not None and np.isfinite(r) and 0 <= r <= 1e6:
        _state()["r"] = (run_id, round_radius(r))


def _send(run_id: str, z: np.ndarray, source: str) -> None:
    """Show a point chosen on the server (typed or drawn) on the map and use it on the page."""
    state = _state()
    state["seq"] += 1
    state["z"], state["source"] = (run_id, np.asarray(z, dtype=np.float32)), source
    state["point"] = {"run": run_id, "z": [float(c) for c in z], "seq": state["seq"], "source": source}


def _on_typed(run_id: str, plane: la.Plane) -> None:
    """The number inputs changed: they now define the point. (A callback runs before the script: it reads
    nothing that needs the script's context, such as the session's configs.)"""
    a, b = (st.session_state.get(k) for k in Z_KEYS)
    if a is None or (b is None and plane.latent > 1):
        return
    _send(run_id, plane.to_latent([[a, b or 0.0]])[0], "the numbers you typed")


def _on_prior(run_id: str, latent: int) -> None:
    """Draw z ~ N(0, I) and decode it."""
    state = _state()
    state["draws"] += 1
    _send(run_id, la.sample_normal(1, latent, 1.0, seed=state["draws"])[0], "a draw from the prior N(0, I)")


def _from_link(run: Run, v: la.LatentView) -> None:
    """The first time this session shows the map: start it at the link's radius (l_r) and pinned point (l_z).
    A point whose length is not this model's latent size is left out, with a note."""
    state = _state()
    if state.get("linked"):
        return
    state["linked"] = True
    r = link_value("r")
    if r is not None:  # beyond the slider's end every point of the map is within r: the end says the same
        r, state["r_note"] = fitted("r", float(r), 0.0, round_radius(max(v.radius_max, v.radius)),
                                    "this model's radius slider")
        state["r"] = (run.id, r)
    z = link_value("z")
    if z is None:
        return
    if len(z) != v.latent:
        state["z_note"] = (f"The link's point (l_z) has {len(z)} number{'s' if len(z) != 1 else ''}, but this "
                           f"model's code has {v.latent}: it was ignored. Click the map to choose a point.")
        return
    z = np.asarray(z, dtype=np.float32)  # (latent,)
    _send(run.id, z, "the link")
    a, b = (float(c) for c in v.plane.project(z[None])[0])
    st.session_state[Z_KEYS[0]] = a
    if v.latent > 1:
        st.session_state[Z_KEYS[1]] = b


def _to_link(run: Run, v: la.LatentView) -> None:
    """Keep the link's l_r and l_z equal to the page's radius and pinned point (left out at the model's own
    radius and before any point; a new model, whose r and point start afresh, drops them)."""
    r = radius(run, v)
    remember("r", None if r == v.radius else round_radius(r))
    z = current(run)
    remember("z", None if z is None else round_point(z, v.index.scale))


def current(run: Run) -> np.ndarray | None:
    """The point the page last received (latent,): clicked, tapped, typed or drawn; None before any."""
    z = _state().get("z")
    if isinstance(z, tuple) and z[0] == run.id:
        return z[1]
    return None


def _reply(run: Run, data: Dataset, v: la.LatentView, z: np.ndarray, r: float) -> None:
    """What the server knows about the chosen point: the one hole rule's test (`la.hole_test`, standardised
    distance to the codes the decoder was trained on), the same as the map's in the browser."""
    dist, idx, hole = la.hole_test(v.index, z[None], r)
    row = int(idx[0])
    zt = ", ".join(f"{c:.3f}" for c in z[:4]) + (", …" if z.size > 4 else "")
    verdict = "in a hole" if hole[0] else "not a hole"
    st.markdown(f"**The page has your point** z = ({zt}), from {_state()['source']}. This point is **{verdict}**: "
                f"the nearest training code (sample {int(data.train_idx[row])}, "
                f"{data.label_names[data.y_train[row]]}) is {float(dist[0]):.3f} code standard deviations away; "
                f"r = {r:.3g}.",
                help="Sent by your last click, tap or Enter on the map (or typed below). The interpolation "
                     "further down can start from your last two clicks.")


@st.fragment
def _explorer(run: Run, data: Dataset) -> None:
    v = view(run)
    state = _state()
    _to_link(run, v)
    r = radius(run, v)
    point = state.get("point")
    point = point if isinstance(point, dict) and point.get("run") == run.id else None
    lmap.latent_map(run, v, r=r, point=point, axis_titles=axis_titles(v),
                    on_pick=partial(_on_pick, run.id, v.latent), on_radius=partial(_on_radius, run.id))
    if state.get("page_r") != (run.id, r):  # the slider moved r: the sections below use it too
        st.rerun(scope="app")
    step = float(np.max(v.hi - v.lo)) / 200
    titles = axis_titles(v)
    variational = run.model.cfg.variant == "variational"
    cols = st.columns(3 if variational else 2, vertical_alignment="bottom")
    cols[0].number_input(titles[0], value=None, step=step, format="%.3f", key=Z_KEYS[0],
                         on_change=_on_typed, args=(run.id, v.plane), placeholder="or type a point")
    if v.latent > 1:
        cols[1].number_input(titles[1], value=None, step=step, format="%.3f", key=Z_KEYS[1],
                             on_change=_on_typed, args=(run.id, v.plane), placeholder="or type a point")
    if variational:
        cols[-1].button("Sample from the prior", on_click=_on_prior, args=(run.id, v.latent), key="latent_prior",
                        help="Draw z ~ N(0, I) and decode it: what a VAE is trained to make possible.")
    z = current(run)
    with st.container(key="latent_output"):
        if z is None and state.get("z_note"):
            st.warning(state["z_note"])
        if state.get("r_note") and radius(run, v) == state["r"][1]:
            st.warning(state["r_note"])
        if z is None:
            st.caption("Click or tap the map (or press Enter on it) to send a point to the page; the interpolation "
                       "below can start from your last two clicks.")
        else:
            _reply(run, data, v, z, r)


def explorer(run: Run, data: Dataset) -> float:
    """The map, decoded in the browser, and what the page knows of the chosen point; returns the radius r
    every section of the page uses (a click reruns only this part, a new r the whole page)."""
    v = view(run)
    _from_link(run, v)
    _to_link(run, v)
    r = radius(run, v)
    _state()["page_r"] = (run.id, r)
    _explorer(run, data)
    return r


# ---------------------------------------------------------------- the other sections

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
