"""A dataset's lesson presets in the sidebar: one button per named network (the registry entry's `presets`),
which sets the sidebar's widgets to that network and its training. The settings then go through the state
table like any the student typed, so a preset is also a link."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from ..config import ModelConfig, TrainConfig
from ..datasets import DATASETS
from ..fields import setting

PRESET_TITLES = {"denoiser": "Denoiser", "autoencoder": "Wide autoencoder", "vae": "VAE (BCE)"}
_APPLIED = "aeviz_preset"  # the name of the preset last pressed (for its caption)


def widget_values(*cfgs) -> dict:
    """Each sidebar widget's value (keyed by the widgets' session keys) that gives these configs."""
    out = {}
    for cfg in cfgs:
        for attr in fields(cfg):
            f = setting(type(cfg), attr.name)
            if f.widget:
                value = getattr(cfg, attr.name)
                out[f.widget] = (", ".join(map(str, value)) if f.kind == "widths" else
                                 float(value) if f.kind == "int" and not f.options else value)
    return out


def describe(model: ModelConfig, train: TrainConfig) -> str:
    """One line naming a preset's network and training."""
    extra = {"denoising": f", noise σ {model.noise_std:g}", "variational": f", β {model.beta:g}"}.get(model.variant, "")
    return (f"{model.variant} {'→'.join(map(str, (*model.hidden, model.latent)))}{extra}, {model.recon_loss.upper()}, "
            f"{train.epochs} epochs, batch {train.batch_size}")


def _apply(name: str, dataset: str) -> None:
    model, train = DATASETS[dataset].presets[name]
    st.session_state.update(widget_values(model, train))
    st.session_state[_APPLIED] = (dataset, name)


def preset_buttons(sb, dataset: str) -> None:
    """The dataset's presets as a row of buttons (nothing when it has none)."""
    presets = DATASETS[dataset].presets if dataset in DATASETS else {}
    if not presets:
        return
    sb.caption("Lesson networks for this dataset (each sets the settings below):")
    for name, (model, train) in presets.items():  # one under another: the sidebar is narrow, on a phone too
        sb.button(PRESET_TITLES.get(name, name), key=f"preset_{name}", on_click=_apply, args=(name, dataset),
                   help=describe(model, train), width="stretch")
    applied = st.session_state.get(_APPLIED)
    if applied and applied[0] == dataset:
        sb.caption(f"Preset: {PRESET_TITLES.get(applied[1], applied[1])}, "
                   f"{describe(*presets[applied[1]])}.")
