"""Home: what an autoencoder is, and where each page takes you."""

import streamlit as st

from aeviz import ui

ui.intro(
    "aeviz — learn autoencoders by training one",
    "An **autoencoder** is a network that learns to copy its input through a narrow middle. "
    "The **encoder** squeezes each input x into a short **code** z (the bottleneck); the **decoder** "
    "expands z back into a reconstruction x̂. Because the code is too small to hold everything, "
    "the network has to learn what matters about the data. Training minimises the reconstruction error:",
    r"\mathcal{L}(x) = \lVert x - \hat{x} \rVert^2, \qquad \hat{x} = g_\phi(f_\theta(x))",
)
st.markdown(
    f"Every page opens on a model trained with the settings in the sidebar ({ui.settings_summary(ui.configs())}). "
    "Change a setting and the pages follow; the address bar keeps your settings, so a link reproduces what you see."
)
st.page_link("pages/train.py", label="**Train** — play, pause and step a training run; watch the loss fall",
             icon=":material/play_circle:")
st.page_link("pages/architecture.py", label="**Architecture** — the hourglass, layer sizes, parameter counts, "
             "and one sample's forward pass", icon=":material/hourglass_empty:")
st.page_link("pages/reconstruction.py", label="**Reconstruction** — originals beside their reconstructions, "
             "the error per label, and the error against latent size", icon=":material/compare:")
st.page_link("pages/anomaly.py", label="**Anomaly detection** — drag a threshold on the reconstruction error "
             "and catch what the model has never seen", icon=":material/troubleshoot:")
st.page_link("pages/latent.py", label="**Latent space** — click anywhere to decode, find the holes, sample, "
             "interpolate, and watch the codes form during training", icon=":material/scatter_plot:")
st.page_link("pages/compare.py", label="**Variants & comparisons** — AE vs VAE side by side, linear AE vs PCA, "
             "the swiss roll, sparse and contractive codes", icon=":material/difference:")
ui.lesson_help()
