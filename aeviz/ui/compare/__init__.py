"""Streamlit helpers for the comparisons page (and the denoising demo on the reconstruction page): one
drawing helper per section, each with its cached numbers (keyed by the ids of the runs they read) and
shared figures.

`common`: the runs and settings every comparison shares; `vae`: autoencoder vs VAE; `linear`: linear
autoencoder vs PCA and the line's worked example; `codes`: the swiss roll and the code's usefulness;
`variants`: sparse, contractive and denoising against the plain model.
"""

from .codes import swiss_roll, usefulness
from .common import DEFAULT_NOISE, DEFAULT_PENALTY, trained, variant
from .linear import line_toy, linear_vs_pca
from .vae import ae_vs_vae
from .variants import contraction, denoising_demo, sparsity

__all__ = ["DEFAULT_NOISE", "DEFAULT_PENALTY", "ae_vs_vae", "contraction", "denoising_demo", "line_toy",
           "linear_vs_pca", "sparsity", "swiss_roll", "trained", "usefulness", "variant"]
