"""Pure functions over arrays and trained models: encode/decode, errors, activations (and, per topic,
latent-space holes, anomaly thresholds, comparisons with PCA in the submodules)."""

from .core import decode, encode, layer_activations, reconstruct, reconstruction_errors

__all__ = ["decode", "encode", "layer_activations", "reconstruct", "reconstruction_errors"]
