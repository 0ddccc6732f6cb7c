"""Server-wide caches: datasets and finished training runs, keyed by the frozen configs.

One run per configuration per server: thirty students opening the default cost one training.
Cached objects are shared by every session and never changed after they are stored.
"""

from __future__ import annotations

import streamlit as st

from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset, load
from ..models import build
from ..train import Trainer
from .state import LIVE, configs


@st.cache_resource(max_entries=8, show_spinner=False)
def dataset(cfg: DataConfig) -> Dataset:
    """The dataset a config names (built once per server)."""
    return load(cfg)


@st.cache_resource(max_entries=24, show_spinner="Training this configuration (once per server)…")
def finished_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 _trainer: Trainer | None = None) -> Trainer:
    """A trainer run to the end for these configs; `_trainer`, if given, is a finished live run
    to store instead of training again (it is not part of the cache key)."""
    if _trainer is not None:
        return _trainer
    data = dataset(data_cfg)
    model = build(model_cfg, data, seed=train_cfg.seed)
    return Trainer(model, data, train_cfg).run()


def current_run() -> Trainer:
    """The trained model for this session's settings: its own finished live run, or the cached one."""
    cfgs = configs()
    live = st.session_state.get(LIVE)
    if live is not None and live.cfgs == cfgs and live.trainer.done:
        return live.trainer
    return finished_run(*cfgs)


def model_or_stop() -> Trainer:
    """The current trained run; if its settings are impossible or training diverged, say why and stop
    the page there (the rest of the app stays usable)."""
    try:
        run = current_run()
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        st.stop()
    if run.error and not run.history:
        st.error(run.error)
        st.stop()
    if run.error:
        st.warning(run.error + " The pages below show that last finite model.")
    return run
