"""The latent space explorer's Streamlit side: cached views of a trained model, the click-to-decode
fragment (only it reruns on a click), and the hole-rate, sweep, grid, interpolation and evolution parts."""

from __future__ import annotations

import base64
import io

from dataclasses import replace
from functools import partial

import numpy as np
import streamlit as st
from PIL import Image

from ..analysis import decode, encode
from ..analysis import latent as la
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..figures import latent as fl
from ..figures import sample_figure
from ..train import Trainer
from .runs import finished_run
from .state import configs

STATE = "aeviz_latent"  # this session's explorer: {"z": full code or None, "source": str, "clicks": [...], ...}
MAP_KEY = "latent_map"
Z_KEYS = ("latent_z1", "latent_z2")
HOLE_RULE = la.HOLE_RULE  # the one hole rule, stated once on the page


def _state() -> dict:
    """This session's explorer state (created on first use)."""
    return st.session_state.setdefault(STATE, {"z": None, "source": "", "clicks": [], "draws": 0, "hole_seed": 0,
                                               "sweep": set(), "mark": None, "spec": None})


@st.cache_resource(max_entries=16, show_spinner="Encoding the training data…")
def _view(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, run_id: str,
          _run: Trainer) -> la.LatentView:
    """The map of one trained model (keyed by its configs and the model object's identity)."""
    return la.latent_view(_run.model, _run.data)


@st.cache_resource(max_entries=16, show_spinner=False)
def _field(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, run_id: str,
           _view: la.LatentView) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance to the nearest code over the map's box (what the hole shading draws)."""
    return la.distance_field(_view.plane, _view.index, _view.lo, _view.hi)


def view(run: Trainer) -> la.LatentView:
    """The cached map of this session's trained model."""
    return _view(*configs(), run.run_id, run)


def _size_fraction(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, n: int, s: float,
                   seed: int) -> float:
    """Hole fraction (the one rule) of the finished run for these settings: the sweep's point at one size.
    The run comes from the server-wide store of finished runs (trained here, outside any cache, with its
    progress and Cancel button), so the sweep shares models with every page."""
    run = finished_run(data_cfg, model_cfg, train_cfg)
    return _run_fraction(run.run_id, n, s, seed, run)


@st.cache_data(max_entries=64, show_spinner=False)
def _run_fraction(run_id: str, n: int, s: float, seed: int, _run: Trainer) -> float:
    """Hole fraction of one run by the one rule, cached under the run's id."""
    run = _run
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


def radius_slider(run: Trainer, v: la.LatentView) -> float:
    """The hole radius r (standardised units), defaulting to the one hole rule's r."""
    top = max(v.radius_max, v.radius)
    default = round(v.radius, 4)
    r = st.slider("Hole radius r (distance to the nearest training code, in code standard deviations)", 0.0,
                  round(top, 4), default, step=round(top / 400, 5) or None, key=f"latent_r_{run.run_id}",
                  help="Default: the 99th percentile of the distances between each training code and its "
                       "nearest neighbour, so 99 % of the codes have a neighbour closer than r.")
    return v.radius if r == default else r  # the slider shows 4 decimals; at its default, the rule's exact r


# ---------------------------------------------------------------- the explorer (a fragment)

def _on_click() -> None:
    """A click on the map: decode that exact point (a training code's own code if one was hit).

    Plotly's selection already marks the clicked point in the browser, so the figure stays the same and
    the map is not redrawn; only a map that showed a typed point switches to marking the clicked one."""
    event = st.session_state.get(MAP_KEY)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if not points:
        return
    p = points[-1]
    a, b = float(p["x"]), float(p["y"])
    state = _state()
    custom = p.get("customdata")
    if isinstance(custom, list):
        custom = custom[0] if custom else None
    if isinstance(custom, (int, float)):  # a training code was hit: decode exactly its code
        sample = int(custom)  # decoded from the code the page shows when it redraws (see _current)
        state["z"], state["sample"], state["source"] = None, sample, f"the code of training sample {sample}"
    else:
        state["z"], state["sample"], state["source"] = None, None, "a click"
    st.session_state[Z_KEYS[0]], st.session_state[Z_KEYS[1]] = a, b
    state["clicks"] = (state["clicks"] + [(a, b)])[-2:]
    if state["mark"] == "trace":
        state["mark"] = (int(p.get("curve_number", 0)), int(p.get("point_index", p.get("point_number", 0))))


def _on_typed() -> None:
    """The number inputs changed: they now define the point, drawn as a cross on the map."""
    state = _state()
    state["z"], state["sample"], state["source"], state["mark"] = None, None, "the numbers you typed", "trace"


def _on_prior(latent: int) -> None:
    """Draw z ~ N(0, I) and decode it."""
    state = _state()
    state["draws"] += 1
    state["z"], state["sample"] = la.sample_normal(1, latent, 1.0, seed=state["draws"])[0], None
    state["source"], state["mark"] = "a draw from the prior N(0, I)", "trace"


def _current(v: la.LatentView, train_idx: np.ndarray) -> np.ndarray | None:
    """The point to decode (latent,), or None before any click."""
    state = _state()
    sample = state.get("sample")
    if sample is not None:
        row = int(np.searchsorted(train_idx, sample))
        if row < len(train_idx) and train_idx[row] == sample:
            return v.codes[row].astype(np.float32)
    if state["z"] is not None and np.asarray(state["z"]).size == v.latent:
        return np.asarray(state["z"], dtype=np.float32)
    a, b = (st.session_state.get(k) for k in Z_KEYS)
    if a is None or (b is None and v.latent > 1):
        return None
    return v.plane.to_latent([[a, b or 0.0]])[0]


def _upscale(x: np.ndarray, shape: tuple[int, int], scale: int = 20) -> str:
    """A flat [0, 1] image (features,) as a dark-on-light PNG data URI, each pixel a scale×scale block.

    A data URI travels inside the page update itself: no media file that a newer rerun could
    replace before a slow browser fetches it (which showed as 404s under load).
    """
    img = 255 - np.clip(np.asarray(x, dtype=np.float32).reshape(shape), 0, 1) * 255  # (h, w)
    big = np.kron(img, np.ones((scale, scale), np.float32)).astype(np.uint8)  # (h·scale, w·scale)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _output(run: Trainer, data: Dataset, v: la.LatentView, z: np.ndarray, r: float) -> None:
    """The decoded point beside the nearest training sample, and whether it is in a hole."""
    dist, idx, hole = la.hole_test(v.index, z[None], r)
    d, row = float(dist[0]), int(idx[0])
    x_hat = decode(run.model, z[None])[0]  # (features,)
    nearest = data.X_train[row]
    sample = int(data.train_idx[row])
    label = data.label_names[data.y_train[row]]
    zt = ", ".join(f"{c:.3f}" for c in z[:4]) + (", …" if z.size > 4 else "")
    st.markdown(f"Decoded at **z = ({zt})**, from {_state()['source'] or 'a click'}.")
    if hole[0]:
        st.error(f"This point is **in a hole**: the nearest training code is {d:.3f} away, farther than "
                 f"r = {r:.3g}. Nothing in training told the decoder what to output here.")
    else:
        st.success(f"This point is **not a hole**: the nearest training code is {d:.3f} away, within "
                   f"r = {r:.3g}.")
    kw = dict(feature_names=data.feature_names, image_shape=data.image_shape)
    if data.kind == "image":  # plain PNGs: far quicker to show than two new charts
        c1, c2 = st.columns(2)
        c1.image(_upscale(x_hat, data.image_shape), caption="decoded", width="stretch")
        c2.image(_upscale(nearest, data.image_shape), caption=f"nearest: sample {sample} ({label})",
                 width="stretch")
    else:
        st.plotly_chart(sample_figure(x_hat, data.kind, title="decoded", reference=nearest, data=data.X_train,
                                      reference_name=f"nearest training sample {sample} ({label})", height=340,
                                      **kw), key="latent_decoded")


@st.cache_resource(max_entries=32, show_spinner=False)
def _map_figure(cfgs, run_id: str, r: float, mark, _v: la.LatentView, _labels: np.ndarray, label_names,
                _index: np.ndarray):
    """The map for one model, radius and mark (shared, never changed after it is built)."""
    point = selected = None
    if isinstance(mark, tuple) and mark and mark[0] == "at":
        point = mark[1:]
    elif isinstance(mark, tuple):
        selected = mark
    return fl.latent_map_figure(_v.coords, _labels, label_names, index=_index,
                                field=_field(*cfgs, run_id, _v), r=r, click_grid=_v.click_grid, point=point,
                                selected=selected, strip=_v.latent == 1, axis_titles=axis_titles(_v),
                                box=(_v.lo, _v.hi), r_axes=la.radius_on_plane(_v, r))


@st.fragment
def _explorer(run: Trainer, data: Dataset, r: float) -> None:
    v = view(run)
    z = _current(v, data.train_idx)
    state = _state()
    if state["spec"] != (run.run_id, r):  # the map is redrawn anyway: mark the current point on it
        state["spec"], state["mark"] = (run.run_id, r), ("trace" if z is not None else None)
    mark = state["mark"]
    if mark == "trace":
        ab = v.plane.project(z[None])[0] if z is not None else None
        mark = None if ab is None else ("at", round(float(ab[0]), 6), round(float(ab[1]) if v.latent > 1 else 0.0, 6))
    titles = axis_titles(v)
    fig = _map_figure(configs(), run.run_id, r, mark, v, data.y_train, data.label_names, data.train_idx)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.plotly_chart(fig, key=MAP_KEY, on_select=_on_click, selection_mode="points",
                        config={"scrollZoom": False, "displayModeBar": False})
        step = float(np.max(v.hi - v.lo)) / 200
        cols = st.columns(3 if run.model.cfg.variant == "variational" else 2, vertical_alignment="bottom")
        cols[0].number_input(titles[0], value=None, step=step, format="%.3f", key=Z_KEYS[0], on_change=_on_typed,
                             placeholder="click the map")
        if v.latent > 1:
            cols[1].number_input(titles[1], value=None, step=step, format="%.3f", key=Z_KEYS[1],
                                 on_change=_on_typed, placeholder="click the map")
        if run.model.cfg.variant == "variational":
            cols[-1].button("Sample from the prior", on_click=_on_prior, args=(v.latent,), key="latent_prior",
                            help="Draw z ~ N(0, I) and decode it: what a VAE is trained to make possible.")
    with right.container(key="latent_output"):
        if z is None:
            st.info("Click anywhere on the map — on a code or on empty space — or type the coordinates "
                    "below it. The decoding appears here, beside the nearest training sample.")
        else:
            _output(run, data, v, z, r)


def explorer(run: Trainer, data: Dataset, r: float) -> None:
    """The map and the decoded output beside it; a click reruns only this part."""
    _explorer(run, data, r)


# ---------------------------------------------------------------- the other sections

EVOLUTION_FRAMES = 11  # frames of the training replay
EVOLUTION_POINTS = 800  # codes drawn in each frame


@st.cache_resource(max_entries=64, show_spinner=False)
def _shared_figure(key: tuple, _build):
    """A figure built once per server for `key` (configs, model, options) and shared by every session.

    Building a Plotly figure (validation of every trace and frame) costs far more than sending it; a
    class opening the same page at once would otherwise build the same figure thirty times.
    The figure is never changed after it is built.
    """
    return _build()


def _fig_key(run: Trainer, *options) -> tuple:
    return (configs(), run.run_id, *options)


def hole_rate_section(run: Trainer, v: la.LatentView, r: float) -> tuple[int, float, int]:
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
    rate = la.hole_rate(v.index, r, n=int(n), s=float(s), seed=seed)
    vae = run.model.cfg.variant == "variational"
    st.metric("Hole fraction", f"{rate.fraction:.0%}", help=f"{int(rate.holes.sum())} of {int(n)} draws "
              f"are farther than r = {r:.3g} from every code the decoder was trained on.")
    fig = _shared_figure(_fig_key(run, "holes", r, int(n), float(s), seed), lambda: fl.hole_samples_figure(
        v.plane.project(v.index.codes) if vae else v.coords, v.plane.project(rate.Z), rate.holes, rate.fraction,
        axis_titles=axis_titles(v), codes_name="sampled z = μ + σ·ε (what the decoder saw)" if vae else
        "training codes"))
    st.plotly_chart(fig, key="latent_hole_rate")
    if vae:
        _collapse_note(run)
    return int(n), float(s), seed


@st.cache_data(max_entries=16, show_spinner=False)
def _unit_signal(cfgs, run_id: str, _run: Trainer) -> list[float]:
    return [float(x) for x in la.unit_signal(_run.model, _run.data.X_train)]


def _collapse_note(run: Trainer) -> None:
    """Beside a VAE's draws: which code units carry the input and which have collapsed to the prior."""
    share = _unit_signal(configs(), run.run_id, run)
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


def sweep_section(run: Trainer, v: la.LatentView, draws: tuple[int, float, int]) -> None:
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
    st.plotly_chart(fl.sweep_figure(sizes, fractions, current=v.latent), key="latent_sweep")
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


def grid_section(run: Trainer, data: Dataset, v: la.LatentView, r: float) -> None:
    """Decode an n×n grid over the codes' box in one batch; hole cells marked."""
    n = st.slider("Grid size n (n × n decodings)", 2, 30, 15, key="latent_grid_n")
    g = la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, int(n), r)
    st.caption(f"{int(g.holes.sum())} of {n * n} grid cells are in a hole (shaded red). Rows run bottom to top "
               "in z₂ and columns left to right in z₁, as on the map.")
    if data.kind == "points":
        build = partial(fl.decoded_points_figure, data.X_train, g.X, g.holes, names=data.feature_names,
                        title="The decoded grid in data space")
    else:
        build = partial(fl.tiles_figure, g.X, int(n), int(n), g.holes, data.kind, image_shape=data.image_shape,
                        title="The decoder's output over the map")
    st.plotly_chart(_shared_figure(_fig_key(run, "grid", int(n), r), build), key="latent_grid")


def interpolation_section(run: Trainer, data: Dataset, v: la.LatentView, r: float) -> None:
    """Decode K points on the segment between two points; mark where the path is in a hole."""
    state = _state()
    c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")
    source = c1.radio("Between", ("two training samples", "my last two clicks"), key="latent_interp_src")
    n = len(data.X) - 1
    first = int(data.train_idx[0])
    other = int(next((i for i in data.train_idx if data.y[i] != data.y[first]), data.train_idx[-1]))
    a = c2.number_input("sample A", 0, n, first, key="latent_interp_a")
    b = c3.number_input("sample B", 0, n, other, key="latent_interp_b")
    k = c4.slider("K points", 3, 30, 12, key="latent_interp_k")
    if source == "my last two clicks":
        if len(state["clicks"]) < 2:
            st.info("Click two points on the map above first (or choose two training samples).")
            return
        za, zb = v.plane.to_latent(np.asarray(state["clicks"], dtype=np.float32))
    else:
        za, zb = encode(run.model, data.X[[int(a), int(b)]])
    path = la.interpolate(run.model, v.index, za, zb, int(k), r)
    crossed = path.t[path.holes]
    if crossed.size:
        st.warning(f"The path is in a hole for t from {crossed.min():.2f} to {crossed.max():.2f} "
                   f"({crossed.size} of {len(path.t)} points, shaded red).")
    else:
        st.success(f"The whole path stays within r = {r:.3g} of a training code.")
    passes = " → ".join(str(data.label_names[y]) for y in la.path_labels(path, data.y_train))
    st.caption(f"Labels of the nearest training sample at each step, from A to B: {passes}.")
    if data.kind == "points":
        st.plotly_chart(fl.decoded_points_figure(data.X_train, path.X, path.holes, names=data.feature_names,
                                                 colour=path.t, title="Decodings along the path"),
                        key="latent_interp")
    else:
        st.plotly_chart(fl.tiles_figure(path.X, 1, len(path.t), path.holes, data.kind, image_shape=data.image_shape,
                                        flip_rows=False, height=180 if data.kind == "image" else 160,
                                        title="From A (left) to B (right)"), key="latent_interp")
    st.plotly_chart(fl.distance_strip_figure(path.t, path.dist, r), key="latent_interp_dist")


def evolution_section(run: Trainer, data: Dataset, v: la.LatentView) -> None:
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

    st.plotly_chart(_shared_figure(_fig_key(run, "evolution"), build), key="latent_evolution")
