"""The shared sidebar: dataset, model and training settings, read from and written to the URL."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..config import (ACTIVATIONS, DEFAULTS, DataConfig, ModelConfig, TrainConfig, defaults_for, from_query,
                      query_problems, to_query)
from ..datasets import DATASETS
from ..models import VARIANTS
from .cache import dataset
from .lesson import hidden as lesson_hides
from .runs import budget_message
from .share import plain
from .state import CONFIGS, Configs, set_configs

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 10.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
DATASET_TITLES = {"digits": "Digits (8×8 images)", "gw": "Gravitational-wave triggers",
                  "line": "Points near a line (2-D)", "swiss_roll": "Swiss roll (3-D)"}
VARIANT_TITLES = {"autoencoder": "Autoencoder (MLP)", "linear": "Linear autoencoder",
                  "denoising": "Denoising", "sparse": "Sparse", "contractive": "Contractive",
                  "variational": "Variational (VAE)"}
PENALTIES = (0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
BETAS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
_PREFIXED = ("d_", "m_", "t_")
_FIXED = "aeviz_fixed_configs"  # the link's settings when the lesson hides the sidebar's (?hide=settings)
_URL_NOTES = "aeviz_url_notes"  # (what the link asked for that was refused, the settings they were shown with)


def _nearest(options, value: float):
    return min(options, key=lambda v: abs(v - value))


def parse_widths(text: str) -> tuple[int, ...]:
    """'32, 16' -> (32, 16); raises ValueError with a message a student can act on."""
    parts = [p.strip() for p in text.replace(";", ",").replace("-", ",").split(",") if p.strip()]
    try:
        widths = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"Hidden widths must be whole numbers separated by commas, e.g. 32, 16 "
                         f"(got `{text.replace('`', chr(39))}`).")
    if any(w < 1 or w > 1024 for w in widths):
        raise ValueError("Each hidden width must be between 1 and 1024.")
    if len(widths) > 6:
        raise ValueError("At most 6 hidden layers.")
    return widths


def _widget_values(m: ModelConfig, t: TrainConfig) -> dict:
    """The sidebar widgets' values for a model and a training config (clamped to what the widgets offer)."""
    return {
        "w_variant": m.variant if m.variant in VARIANTS else "autoencoder",
        "w_hidden": _widths_text(m.hidden),
        "w_latent": max(1, min(64, m.latent)),
        "w_activation": m.activation if m.activation in ACTIVATIONS else "relu",
        "w_recon": m.recon_loss if m.recon_loss in ("mse", "bce") else "mse",
        "w_noise": min(1.0, max(0.0, round(m.noise_std * 20) / 20)),
        "w_mask": min(0.9, max(0.0, round(m.mask_prob * 20) / 20)), "w_sparsity": _nearest(PENALTIES, m.sparsity),
        "w_sparse_hidden": m.sparse_hidden,
        "w_contractive": _nearest(PENALTIES, m.contractive), "w_beta": _nearest(BETAS, m.beta),
        "w_lr": _nearest(LEARNING_RATES, t.lr),
        "w_epochs": max(1, min(1000, t.epochs)),
        "w_batch": _nearest(BATCH_SIZES, t.batch_size),
        "w_seed": max(0, min(10**6, t.seed)),
    }


def _widths_text(widths: tuple[int, ...]) -> str:
    return ", ".join(str(w) for w in widths)


def _seed_widgets_from_url() -> None:
    """On a session's first run, start every widget at the value the URL names (or the dataset's default)."""
    if "w_dataset" in st.session_state:
        return
    params = {k: st.query_params[k] for k in st.query_params}
    d, m, t = (from_query(params, cls) for cls in (DataConfig, ModelConfig, TrainConfig))
    st.session_state[_URL_NOTES] = (tuple(query_problems(params)), None)
    st.session_state.update({"w_dataset": d.name if d.name in DATASETS else "digits", **_widget_values(m, t)})


def _dataset_changed() -> None:
    """A new dataset was picked: every setting still at the old dataset's default moves to the new one's
    (settings the student changed stay as they are)."""
    old = _widget_values(*defaults_for(st.session_state.get(CONFIGS, DEFAULTS)[0].name)[1:])
    new = _widget_values(*defaults_for(st.session_state["w_dataset"])[1:])
    for key, value in new.items():
        if st.session_state.get(key) == old[key] and value != old[key]:
            st.session_state[key] = value


def _defaults_caption(name: str) -> str:
    """One line saying what the dataset starts with."""
    _, m, t = defaults_for(name)
    return (f"This dataset starts at hidden widths {_widths_text(m.hidden)}, a {m.latent}-number code and "
            f"{t.epochs} epochs.")


def _sync_url(cfgs: Configs) -> None:
    """Keep the URL's settings equal to the sidebar's, leaving other query parameters alone."""
    wanted = to_query(*cfgs)
    for key in list(st.query_params):
        if key.startswith(_PREFIXED) and key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def _link_configs() -> Configs:
    """The settings the link names, checked as the widgets would check them (a hidden sidebar's settings)."""
    params = {k: st.query_params[k] for k in st.query_params}
    d, m, t = (from_query(params, cls) for cls in (DataConfig, ModelConfig, TrainConfig))
    d = d if d.name in DATASETS else DataConfig()
    default_m = defaults_for(d.name)[1]
    m = replace(m, variant=m.variant if m.variant in VARIANTS else default_m.variant,
                activation=m.activation if m.activation in ACTIVATIONS else default_m.activation,
                recon_loss=m.recon_loss if m.recon_loss in ("mse", "bce") else default_m.recon_loss)
    return d, m, t


def _fixed_sidebar() -> Configs:
    """The lesson's link hides the settings: use the link's (kept for the session) and say what they are."""
    if _FIXED not in st.session_state:
        params = {k: st.query_params[k] for k in st.query_params}
        st.session_state[_URL_NOTES] = (tuple(query_problems(params)), None)
        st.session_state[_FIXED] = _link_configs()
    cfgs = st.session_state[_FIXED]
    d, m, t = cfgs
    data = dataset(d)
    st.sidebar.caption(f"Settings for this lesson: {DATASET_TITLES.get(d.name, d.name)}, "
                       f"{VARIANT_TITLES.get(m.variant, m.variant)}, {data.n_features}→"
                       f"{'→'.join(map(str, m.hidden))}→{m.latent}, {m.activation}, learning rate {t.lr:g}, "
                       f"{t.epochs} epochs, batch {t.batch_size}, seed {t.seed}.")
    too_costly = budget_message(*cfgs, data)
    if too_costly:
        st.sidebar.error(too_costly, icon=":material/block:")
    _url_notes(st.sidebar, cfgs)
    set_configs(cfgs)
    _sync_url(cfgs)
    return cfgs


def sidebar() -> Configs:
    """Draw the shared settings and return (DataConfig, ModelConfig, TrainConfig); when the lesson's link
    hides them (?hide=settings), the link's settings are used and only named."""
    if lesson_hides("settings"):
        return _fixed_sidebar()
    _seed_widgets_from_url()
    sb = st.sidebar
    sb.header("Settings")
    name = sb.selectbox("Dataset", list(DATASETS), format_func=DATASET_TITLES.get, key="w_dataset",
                        on_change=_dataset_changed)
    sb.caption(_defaults_caption(name))
    variant = sb.selectbox("Variant", list(VARIANTS), format_func=VARIANT_TITLES.get, key="w_variant")
    text = sb.text_input("Hidden widths (encoder; the decoder mirrors them)", key="w_hidden",
                         help="Comma-separated layer sizes from the input towards the code, e.g. 32, 16.")
    try:
        hidden = parse_widths(text)
    except ValueError as exc:
        hidden = defaults_for(name)[1].hidden
        sb.error(f"{exc} Using {_widths_text(hidden)} until this is fixed.")
    latent = sb.number_input("Latent size (code units)", 1, 64, key="w_latent")
    activation = sb.selectbox("Activation", ACTIVATIONS, key="w_activation")
    data_cfg = DataConfig(name=name)
    data = dataset(data_cfg)
    model_cfg = ModelConfig(variant=variant, hidden=hidden, latent=int(latent), activation=activation)
    model_cfg = _variant_knobs(sb, model_cfg, data.bounded)
    with sb.expander("Training", expanded=True):
        lr = st.select_slider("Learning rate (Adam)", LEARNING_RATES, key="w_lr")
        epochs = st.number_input("Epochs", 1, 1000, key="w_epochs")
        batch = st.select_slider("Batch size", BATCH_SIZES, key="w_batch")
        seed = st.number_input("Seed", 0, 10**6, key="w_seed")
    train_cfg = TrainConfig(lr=float(lr), epochs=int(epochs), batch_size=int(batch), seed=int(seed))
    if model_cfg.latent >= data.n_features:
        sb.warning(f"The code ({model_cfg.latent}) is as wide as the input ({data.n_features}): the network "
                   "can learn the identity, and the bottleneck teaches nothing.")
    if train_cfg.batch_size >= len(data.train_idx):
        sb.info(f"The batch is larger than the {len(data.train_idx)} training rows: each epoch is one full-batch step.")
    cfgs = (data_cfg, model_cfg, train_cfg)
    too_costly = budget_message(*cfgs, data)
    if too_costly:  # said here at once; every page refuses to train it with the same message
        sb.error(too_costly, icon=":material/block:")
    _url_notes(sb, cfgs)
    set_configs(cfgs)
    _sync_url(cfgs)
    return cfgs


def _url_notes(sb, cfgs: Configs) -> None:
    """Say which of the link's values were refused, until the student changes a setting."""
    notes, shown_with = st.session_state.get(_URL_NOTES, ((), None))
    if notes and shown_with in (None, cfgs):
        st.session_state[_URL_NOTES] = (notes, cfgs)
        for note in notes:  # they quote the link: shown as text
            sb.warning(plain(note))


def _variant_knobs(sb, cfg: ModelConfig, bounded: bool) -> ModelConfig:
    """The one or two settings the chosen variant adds."""
    v = cfg.variant
    if v == "denoising":
        cfg = replace(cfg, noise_std=sb.slider("Noise std σ", 0.0, 1.0, step=0.05, key="w_noise"),
                      mask_prob=sb.slider("Mask probability p", 0.0, 0.9, step=0.05, key="w_mask"))
    elif v == "sparse":
        cfg = replace(cfg, sparsity=sb.select_slider("Sparsity weight λ", PENALTIES, key="w_sparsity"),
                      sparse_hidden=sb.checkbox("Also penalise the hidden activations", key="w_sparse_hidden"))
    elif v == "contractive":
        cfg = replace(cfg, contractive=sb.select_slider("Contractive weight λ", PENALTIES, key="w_contractive"))
    elif v == "variational":
        cfg = replace(cfg, beta=sb.select_slider("β (weight of the KL term)", BETAS, key="w_beta"))
    if bounded:
        cfg = replace(cfg, recon_loss=sb.radio(
            "Reconstruction loss", ("mse", "bce"), key="w_recon", horizontal=True,
            help="MSE assumes Gaussian noise around the output; binary cross-entropy assumes each pixel "
                 "is a Bernoulli probability, which fits data in [0, 1]."))
    return cfg
