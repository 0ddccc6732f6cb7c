"""The latent space explorer's Streamlit side: cached views of a trained model, the explorer fragment
(the map decodes in the browser; a click sends its point here and reruns only this part) and the drawing
pad's text; the page's later sections are in latent_sections.py."""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from ..analysis import draw
from ..analysis import latent as la
from ..analysis import latent_map as lm
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from ..fields import fitted
from ..lesson import round_point, round_radius
from ..run import Run
from . import latent_map as lmap
from .cache import per_run
from .lesson import link_value, remember
from .runs import finished_run

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


def draw_heading(data: Dataset) -> str:
    """The drawing section's heading: "Draw your own digit" (or picture, on Fashion-MNIST)."""
    return f"Draw your own {draw.spec_for(data)['noun']}"


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
    if data.kind == "image" and data.n_features > 100:  # the browser holds only some pictures at 784 pixels
        st.image(lm.sample_picture(data, row), width=84, clamp=True,
                 caption=f"nearest: sample {int(data.train_idx[row])}")


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
