"""Variants & comparisons: AE vs VAE side by side, linear AE vs PCA, the swiss roll, code usefulness,
sparsity and contraction."""

import streamlit as st

from aeviz import ui
from aeviz.ui import compare as cmp_ui
from aeviz.ui import units

cfgs = ui.configs()

ui.intro(
    "Variants & comparisons",
    "Each variant adds one term or one twist to the plain autoencoder and fixes one thing: the VAE fills the "
    "latent holes, the sparse one silences most code units, the contractive one makes the code insensitive to "
    "small input changes, the denoising one (on the Reconstruction page) learns to undo noise. Every "
    "comparison below trains the variants with the sidebar's data, architecture and seed. The VAE's objective:",
    r"\mathcal{L}(x) = {\lVert x - \hat{x} \rVert^2} + {\beta\,\mathrm{KL}\big(q(z\mid x)\,\Vert\,\mathcal{N}(0, I)\big)},"
    r"\qquad\allowbreak{z = \mu + \sigma \odot \varepsilon}",
)

st.header("Autoencoder vs VAE")
cmp_ui.ae_vs_vae(cfgs)

st.header("What the VAE's units encode: traversals")
units.vae_traversals(cfgs)

st.header("Linear autoencoder vs PCA")
st.markdown("Without activations an autoencoder is linear, and its best possible code spans the same subspace "
            "as PCA's first d components: **same subspace, not necessarily the same axes**.")
cmp_ui.linear_vs_pca(cfgs)
with st.expander("Worked example: the line, by hand and trained", expanded=cfgs[0].name == "line"):
    cmp_ui.line_toy(cfgs)

st.header("Curves PCA cannot follow")
st.markdown("PCA can only project the swiss roll flat, so far-apart points on the sheet land on top of each "
            "other. A non-linear encoder can pull the turns apart; whether it also lays the sheet out flat is "
            "measured below, not assumed.")
cmp_ui.swiss_roll(cfgs)

st.header("Is the code useful?")
cmp_ui.usefulness(cfgs)

st.header("Sparse: most units silent")
st.latex(r"\mathcal{L} = \lVert x - \hat{x} \rVert^2 + \lambda \textstyle\sum_j \lvert h_j \rvert")
cmp_ui.sparsity(cfgs)

st.header("Contractive: a code that barely moves")
st.latex(r"\mathcal{L} = {\lVert x - \hat{x} \rVert^2} + {\lambda \lVert J_f(x) \rVert_F^2},"
         r"\qquad\allowbreak{J_f(x) = \partial h / \partial x}")
cmp_ui.contraction(cfgs)

ui.try_this([
    "Set β to 0 in the sidebar (variational variant): predict the VAE's hole fraction, then scroll up and look.",
    "Raise β to 4: the holes close further — what happens to the VAE's reconstruction error and decodings?",
    "Raise β to 1 on digits: the VAE's map of μ becomes almost one line — one code unit carries nearly nothing "
    "(posterior collapse: its KL cost outweighs what it adds to an MSE reconstruction). The hole fraction stays "
    "low, because that unit is pure noise the decoder ignores; the warning under the map says which. Back at "
    "β = 0.25 (the default), or with the reconstruction loss set to bce, both units carry the digits.",
    "On digits, raise the latent size to 8: do the principal angles stay small, and what share of the variance "
    "do 8 components explain?",
    "Switch to gw: the code's AUC is almost the raw features' at an eighth of the numbers. Is it on digits?",
    "Choose the sparse variant and set λ = 0.01: does the histogram's spike at zero grow?",
])
