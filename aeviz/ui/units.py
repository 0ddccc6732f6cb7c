"""What each unit learned, as page sections: latent traversals (a components v2 view that decodes in the
browser: js/traversal.js with the decoder it imports from maths.js, assembled by components.bundle), the first
layer's weights as image tiles (Architecture page), and a VAE's sampling step by step (Latent page).

The traversal view gets, once per run, the decoder's layers and the training codes' per-unit mean and standard
deviation; its two sliders (steps, and the offset every row moves to) repaint in the browser and send nothing
back. On the Latent page the map has already loaded the same decoder, so the view borrows it (the payload
carries no layers there)."""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path

import streamlit as st

from ..analysis import units as un
from ..figures import sample_figure
from ..figures import units as fu
from ..run import Run
from .cache import per_run
from .charts import shared_figure
from .compare.common import ready, runs_of, variant
from .components import bundle
from .lesson import chart, font_px, hidden, presenting

NAME = "aeviz_traversal"
_ASSETS = Path(__file__).parent / "components"
TILE_SCALE_KEY = "arch_tile_scale"
MAP_KEY = "vae_step_map"  # the sampling map (a click on a code chooses its sample)
SAMPLE_KEY, DRAW_KEY, UNITS_KEY, ZOOM_KEY = "vae_step_sample", "vae_step_draw", "vae_step_units", "vae_step_zoom"


def try_this(text: str) -> None:
    """A section's closing "Try this" prompt (unless the lesson's link hides the prompts)."""
    if not hidden("trythis"):
        st.markdown(f"**Try this:** {text}")


# ---------------------------------------------------------------- traversals


def script() -> str:
    """The view's JS: js/traversal.js after the modules it imports, each whole (components.bundle)."""
    return bundle.script("traversal.js")


@cache
def _renderer():
    """The component's mount function (defined once per process)."""
    return st.components.v2.component(NAME, js=script(),
                                      css=(_ASSETS / "traversal.css").read_text(encoding="utf-8"))


@per_run(max_entries=16, max_bytes=32_000_000)
def _traversal_payload(run: Run, with_decoder: bool) -> dict:
    """The browser's copy of one run's traversal (built once per run, shared, never changed)."""
    p = un.traversal_payload(run.model, run.data)
    if not with_decoder:
        p = {**p, "decoder": None}
    return p


def traversal_args(run: Run, *, title: str = "", borrow: bool = False) -> dict:
    """What the view receives on each rerun: the run's id, its payload (without the decoder when `borrow`: the
    latent map on the same page lends its own), a title and the text size."""
    return {"run": run.id, "payload": _traversal_payload(run, not borrow), "title": title, "borrow": bool(borrow),
            "present": presenting(), "font_px": font_px(11)}


def traversal_view(run: Run, *, key: str, title: str = "", borrow: bool = False):
    """Mount the traversal view under `key` (so reruns update it in place)."""
    return _renderer()(key=key, data=traversal_args(run, title=title, borrow=borrow))


ZERO_PROMPT = ("drag *Every unit at* to 0: every row shows the same picture, the decoding of the mean code. Then "
               "drag it to +3: which unit changes the picture most?")
COLLAPSE_PROMPT = ("on digits or mnist (2-number code), one row at β = 1 barely changes from one end of its sweep "
                   "to the other: that unit has collapsed (its KL is near 0, it carries nothing about the input). "
                   "At β = 0.25 every row changes the picture.")
VAE_BETAS = (0.25, 1.0)  # the Variants page's traversals
TRAVERSAL_INTRO = (
    "A traversal asks what one code unit does on its own. Each row starts from the mean code, keeps every other "
    "unit there, and sweeps one unit from −3 to +3 of its own standard deviation over the training codes; each "
    "step is decoded. The *Every unit at* slider moves every row to the same offset at once, decoded in your "
    "browser.")


def traversal_section(run: Run) -> None:
    """The Latent page's section: the intro, the view (borrowing the map's decoder) and its prompt."""
    st.markdown(TRAVERSAL_INTRO)
    traversal_view(run, key="traversal_latent", borrow=True)
    try_this(ZERO_PROMPT)


def vae_traversals(cfgs) -> None:
    """The Variants page's section: the VAE's traversals at β = 0.25 and β = 1, side by side."""
    st.markdown(
        "Traversals are the usual way to see what a VAE's units encode. Here the VAE is trained with the "
        "sidebar's data, architecture and seed at two weights of its KL term, β = 0.25 and β = 1, and each code "
        "unit is swept over ±3 standard deviations of its own codes μ with the others held at their mean. A row "
        "that never changes belongs to a unit the decoder ignores.")
    pair = [variant(cfgs, "variational", beta=b) for b in VAE_BETAS]
    if not ready(*pair):
        return
    cols = st.columns(2)
    for col, beta, c in zip(cols, VAE_BETAS, pair):
        (run,) = runs_of(c)
        with col:
            st.markdown(f"**VAE, β = {beta:g}**")
            traversal_view(run, key=f"traversal_vae_{beta:g}".replace(".", "_"), title=f"VAE at β = {beta:g}.")
    try_this(COLLAPSE_PROMPT)


# ---------------------------------------------------------------- first-layer weights


def weight_tiles_section(run: Run) -> None:
    """The Architecture page's section: the encoder's first layer drawn as one image per hidden unit."""
    data = run.data
    if data.kind != "image":
        st.info("The weight tiles need an image dataset (digits, mnist or fashion_mnist): a tile shows the "
                "weight a unit gives each pixel.")
        return
    st.markdown(
        "Each hidden unit of the encoder's first layer takes a weighted sum of every pixel. Drawing its weights "
        "in the image's own shape shows what the unit looks for: blue pixels push it up, red ones down, white "
        "ones do not matter. The colour scale is symmetric about 0.")
    W = un.weight_tiles(run.model, data.image_shape)  # (units, rows, cols)
    shown = min(len(W), fu.MAX_TILES)
    own = st.toggle("Each tile on its own scale", key=TILE_SCALE_KEY,
                    help="Off: one scale for every tile, so tiles can be compared. On: each tile divided by its own "
                         "largest |weight|, so a faint unit's pattern shows too.")
    fig = shared_figure(("weight tiles", run.id, own, presenting()), lambda: fu.weight_tiles_figure(
        W, per_tile=own, height=380 if presenting() else 480))
    chart(fig, key="weight_tiles")
    st.caption(f"{shown} of the {len(W)} hidden units of the first layer ({data.image_shape[0]}×"
               f"{data.image_shape[1]} weights each)." if shown < len(W) else
               f"All {len(W)} hidden units of the first layer, {data.image_shape[0]}×{data.image_shape[1]} "
               "weights each.")
    try_this(TILES_PROMPT)


TILES_PROMPT = ("on mnist, look at the tiles' edges. The pixels that are blank in every training image keep the random "
                "weights they started with (a fine speckle), since a weight on an input that is always 0 never gets "
                "a gradient; where the digits are drawn the weights have grown into smooth strokes.")


# ---------------------------------------------------------------- a VAE's sampling


@per_run(max_entries=16, max_bytes=32_000_000)
def _mu(run: Run):
    """The training codes μ (n_train, latent) of a VAE run."""
    return un.posterior_stats(run.model, run.data.X_train)[0]  # (n_train, latent)


def _picked(rows: int) -> None:
    """A click on a training code of the sampling map chooses that sample (the grey codes are trace 0, in row
    order, `rows` of them); anything else the browser sends is ignored."""
    try:
        points = st.session_state[MAP_KEY]["selection"]["points"]
        row = int(next(p["point_index"] for p in points if p.get("curve_number") == 0))
    except (KeyError, TypeError, ValueError, StopIteration):
        return
    if 0 <= row < rows:
        st.session_state[SAMPLE_KEY] = row


def _numbers(v) -> str:
    """A code's first eight numbers, signed, two decimals."""
    return ", ".join(f"{x:+.2f}" for x in v[:8]) + (" …" if len(v) > 8 else "")


def sampling_section(run: Run) -> None:
    """The Latent page's section for a VAE: one sample's μ, σ, ε, z = μ + σ·ε, both decodings and the loss's
    two terms, KL per code unit."""
    data = run.data
    st.markdown(
        "A VAE does not encode a sample to one point: it encodes a cloud, a mean μ and a spread σ per code unit. "
        "Training draws ε ~ N(0, I) and decodes z = μ + σ·ε, so the decoder must work on the whole cloud. The "
        "loss pays for the reconstruction of that z and, per code unit, for how far the cloud is from N(0, 1). Click "
        "a grey code on the map (or type its number) to follow that sample:")
    st.latex(r"\mathrm{KL}_j = \tfrac12\left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)")
    latent = run.model_cfg.latent
    c1, c2, c3 = st.columns([2, 2, 3])
    n = len(data.X_train) - 1
    row = int(c1.number_input("Training sample", 0, n, 0, key=SAMPLE_KEY, help="Or click a grey code on the map."))
    draw = int(c2.number_input("Draw of ε", 0, 10_000, 0, key=DRAW_KEY, help="Another number, another ε."))
    pairs = [(i, j) for i in range(latent) for j in range(i + 1, latent)] or [(0, 0)]
    units = c3.selectbox("Units shown", pairs, format_func=lambda p: f"z{p[0] + 1}, z{p[1] + 1}" if latent > 1
                         else "z1", key=UNITS_KEY, disabled=latent < 3)
    step = un.sampling_step(run.model, data.X_train[row], seed=draw)
    left, right = st.columns([3, 2])
    with left:
        zoom = st.toggle("Zoom in on this sample", key=ZOOM_KEY, help="Frame μ ± σ and z instead of every code.")
        fig = shared_figure(("vae step", run.id, row, draw, units, zoom, presenting()),
                            lambda: fu.sampling_map_figure(_mu(run), step, units, zoom=zoom,
                                                           height=360 if presenting() else 420))
        chart(fig, key=MAP_KEY, on_select=partial(_picked, n + 1), selection_mode="points")
    with right:
        kw = dict(kind=data.kind, feature_names=data.feature_names, image_shape=data.image_shape, height=170,
                  data=data.X_train)
        a, b = st.columns(2)
        chart(sample_figure(step["x_mu"], title="decoding of μ", **kw), where=a, key="vae_step_xmu")
        chart(sample_figure(step["x_z"], title="decoding of z", **kw), where=b, key="vae_step_xz")
        st.markdown(f"μ = ({_numbers(step['mu'])})  \nσ = ({_numbers(step['sigma'])})  \nε = ({_numbers(step['eps'])})  \n"
                    f"z = μ + σ·ε = ({_numbers(step['z'])})")
        chart(shared_figure(("vae kl", run.id, row), lambda: fu.kl_units_figure(
            step["kl_units"], title="KL per code unit (nats)", height=220)), key="vae_step_kl")
    m1, m2, m3 = st.columns(3)
    m1.metric("Reconstruction (of z)", f"{step['recon']:.4f}")
    m2.metric("KL (model's scale)", f"{step['kl']:.5f}", help="Σ_j KL_j divided by the number of inputs, as the "
              "model's loss adds it.")
    m3.metric("β", f"{step['beta']:g}", help="Set in the sidebar (variational variant).")
    st.caption(f"Loss of this draw: recon + β·KL = {step['recon']:.4f} + {step['beta']:g} × {step['kl']:.5f} = "
               f"{step['total']:.4f}.")
    try_this(SAMPLING_PROMPT)


SAMPLING_PROMPT = ("raise β (sidebar) and retrain: the KL per unit falls and the ellipses grow toward N(0, 1), the "
                   "black circle of radius 1.")
