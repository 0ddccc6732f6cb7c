"""Latent space: point anywhere to decode (in the browser), holes marked, hole rate, manifold grid, interpolation,
evolution."""

import streamlit as st

from aeviz import ui
from aeviz.ui import latent

data_cfg, model_cfg, train_cfg = ui.configs()
data = ui.dataset(data_cfg)

ui.intro(
    "Latent space",
    "Each training sample is encoded to a code z; the map shows where the codes landed. The encoder puts "
    "them wherever reconstruction is easiest, and nothing in the loss organises the space *between* them: "
    "away from the codes the decoder's output means nothing. Those regions are **holes**, and they are why a "
    "plain autoencoder is a poor generator. A point is in a hole when its nearest training code is farther "
    "than a radius r:",
    r"\text{hole}(z) \iff \min_i \lVert z - f_\theta(x_i) \rVert > r",
)
run = ui.model_or_stop()
view = latent.view(run)
st.caption("The colours are the dataset's labels. They colour the points only: they were never used in "
           "training, which saw the inputs alone.")
if view.latent > 2:
    st.info(f"The code has {view.latent} numbers, so the map shows the codes on their first two principal axes "
            f"(PCA, {view.plane.explained.sum():.0%} of their variance). The pointer decodes the point on that plane, "
            "z = mean + a·u₁ + b·u₂; distances and holes are measured in the full latent space.")
elif view.latent == 1:
    st.info("The code is a single number: the map is a strip along z₁ (the vertical spread is only there so "
            "the points can be seen). Pointing anywhere at the same z₁ decodes the same point.")
if model_cfg.variant == "variational":
    st.info("This is a VAE: its decoder was trained on z = μ + σ·ε, so it also covers the space around the mean "
            "codes drawn here. Press *Sample from the prior* to decode z ~ N(0, I).")

st.subheader("Point anywhere to decode")
st.markdown("Your browser runs the decoder itself: move over the map (or drag a finger) and the output beside it "
            "follows, with the nearest training sample and whether the point is in a hole. Drag the radius r under "
            "the map to see the holes grow and shrink.")
r = latent.explorer(run, data)

st.subheader("Hole rate: sample the latent space")
st.markdown("Draw N points from N(0, s²) in the latent space, the way one would sample a generator: red crosses "
            "land in holes, green pluses near a training code.")
latent.hole_rate_section(run, view, r)

st.subheader("More dimensions, more holes")
st.markdown("Train a small model at each latent size, standardise its codes (mean 0, std 1 per unit, so that "
            "r = 0.8 means the same at every size), and measure the hole fraction of 200 draws from N(0, 1.5²).")
latent.sweep_section(data_cfg, model_cfg, train_cfg)

st.subheader("The manifold grid")
st.markdown("Decode a regular grid over the codes' bounding box in one batch: the decoder's whole map at once.")
latent.grid_section(run, data, view, r)

st.subheader("Interpolation")
st.markdown("Walk the straight line between two codes and decode every step.")
latent.interpolation_section(run, data, view, r)

st.subheader("Evolution during training")
latent.evolution_section(run, data, view)

ui.try_this([
    "Point at an empty region far from every code: what does the decoder draw there, and does it look like any "
    "training sample?",
    "Raise the latent size to 8 and rerun the sweep: what happens to the hole fraction, and why?",
    "Set the spread s of the draws to 0.5, then to 3: which gives more holes for this model, and what does that "
    "say about where the codes sit?",
    "Switch to the variational variant and press *Sample from the prior* a few times: compare the hole fraction "
    "with the plain autoencoder's.",
    "Interpolate between a 0 and a 1: where does the path leave the codes, and what do the decodings look like there?",
])
