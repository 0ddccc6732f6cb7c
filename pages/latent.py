"""Latent space: point anywhere to decode (in the browser), holes marked, hole rate, manifold grid, interpolation,
evolution."""

import streamlit as st

from aeviz import ui
from aeviz.ui import latent, latent_sections, units

data_cfg, model_cfg, train_cfg = ui.configs()
data = ui.dataset(data_cfg)

ui.intro(
    "Latent space",
    "Each training sample is encoded to a code z, and the map shows where the codes landed. Nothing in the loss "
    "organises the space *between* the codes, so away from them the decoder's output means nothing: those regions "
    "are **holes**, and they are why a plain autoencoder is a poor generator. With z₁ … zₙ the codes the decoder "
    "was trained on and D their per-unit standard deviations, a point is in a hole when",
    r"\text{hole}(z) \iff \min_i \big\lVert D^{-1}(z - z_i) \big\rVert > r",
)
run = ui.model_or_stop()
view = latent.view(run)
if view.latent > 2:
    st.info(f"The code has {view.latent} numbers, so the map shows the codes on their first two principal axes "
            f"(PCA, {view.plane.explained.sum():.0%} of their variance). The pointer decodes the point on that plane, "
            "z = mean + a·u₁ + b·u₂; distances and holes are measured in the full latent space.")
elif view.latent == 1:
    st.info("The code is a single number: the map is a strip along z₁ (the vertical spread is only there so "
            "the points can be seen). Pointing anywhere at the same z₁ decodes the same point.")
if model_cfg.variant == "variational":
    st.info("This is a VAE: the map shows the mean codes μ, but its decoder was trained on z = μ + σ·ε, so the "
            "holes are measured from one such sampled z per training sample (grey in the hole-rate plot below). "
            "Press *Sample from the prior* to decode z ~ N(0, I).")

ui.heading("Point anywhere to decode")
r = latent.explorer(run, data)
ui.explain("The colours are the dataset's labels. They colour the points only: they were never used in training, "
           "which saw the inputs alone.", caption=True, label="The colours")
# read after the map, so that on a phone the map and its output come soon after the page's first sentences
ui.explain("Your browser runs the decoder itself: move over the map (or drag a finger) and the output next to it "
           "follows, with the nearest training sample and whether the point is in a hole. Drag the radius r under "
           "the map (in code standard deviations, like every distance here) to see the holes grow and shrink.")
ui.explain(latent.HOLE_RULE, label="The hole rule")

if latent.drawable(data):
    ui.heading(latent.draw_heading(data))
    ui.explain(latent.DRAW_INTRO)
    ui.try_this([latent.DRAW_PROMPT])

st.subheader("Hole rate: sample the latent space")
st.markdown("Draw N points from N(0, s²) in the codes' standardised units, the way one would sample a generator "
            "(s = 1: a Gaussian as wide as the codes, for a VAE its prior N(0, I)): red crosses land in holes, green "
            "pluses near a training code. The Variants & comparisons page uses these same draws.")
draws = latent_sections.hole_rate_section(run, view, r)

st.subheader("More dimensions, more holes")
st.markdown("Train your settings — same dataset, variant, widths, activation, training and seed — at each latent "
            "size, and measure each model's hole fraction with the same draws and the same rule.")
latent_sections.sweep_section(run, view, draws)

st.subheader("The manifold grid")
st.markdown("Decode a regular grid over the codes' bounding box in one batch: the decoder's whole map at once.")


def grid():
    with ui.linked("grid", "latent_grid_n"):  # the grid size starts at the link's (l_grid) and goes back to it
        latent_sections.grid_section(run, data, view, r)


# the sections below are built when a student opens them (a link with its own grid size opens the grid)
ui.on_demand("Decode the grid", "latent_open_grid", grid, expanded=ui.link_value("grid") != latent_sections.GRID_DEFAULT)

st.subheader("Interpolation")
st.markdown("Walk the straight line between two codes and decode every step.")
ui.on_demand("Walk between two codes", "latent_open_interp", lambda: latent_sections.interpolation_section(run, data, view, r))

st.subheader("What each code unit does: traversals")
units.traversal_section(run)

if model_cfg.variant == "variational":
    st.subheader("The VAE's sampling, step by step")
    units.sampling_section(run)

st.subheader("Evolution during training")
ui.on_demand("Replay the training", "latent_open_evolution", lambda: latent_sections.evolution_section(run, data, view))

ui.try_this([
    "Point at an empty region far from every code, such as a corner of the map: the map says *in a hole*, yet "
    "the decoder still draws a crisp digit much like some real one — it carries on the nearest cluster's pattern, "
    "though nothing in training asked for anything there. Which digit does it draw, and is it the nearest "
    "training sample's?",
    "Run the sweep: for the plain autoencoder the hole fraction climbs with the latent size, far above the 1 % "
    "of codes that fill the Gaussian. Then set the latent size to 8 in the sidebar: the hole fraction above now "
    "reads the sweep's value at 8. Why does a bigger code leave more of the space empty?",
    "Set the spread s of the draws to 0.5, then to 3: which gives more holes for this model, and what does that "
    "say about where the codes sit?",
    "Switch to the variational variant (β = 0.25) and compare its hole fraction with the plain autoencoder's: "
    "it falls to a few percent, because its decoder was trained on clouds z = μ + σ·ε that fill the Gaussian. "
    "Then raise β to 1: the holes stay few, but read the note beside the draws — one code unit has collapsed.",
    "Interpolate between the default samples A (a 0) and B (a 1): at latent size 2 the path never leaves the "
    "codes, yet the decodings in the middle are not a blend of 0 and 1. Which digits does the path pass through?",
])
