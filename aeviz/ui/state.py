"""The few named session-state keys aeviz owns; everything per user lives under them."""

from __future__ import annotations

import streamlit as st

from ..config import DEFAULTS, DataConfig, ModelConfig, TrainConfig

CONFIGS = "aeviz_configs"  # (DataConfig, ModelConfig, TrainConfig) chosen in the sidebar
LIVE = "aeviz_live"  # the Train page's live run: LiveRun or absent

Configs = tuple[DataConfig, ModelConfig, TrainConfig]


def configs() -> Configs:
    """The settings the sidebar holds for this session (the defaults before it has run)."""
    return st.session_state.get(CONFIGS, DEFAULTS)


def set_configs(cfgs: Configs) -> None:
    """Store this session's settings (called by the sidebar)."""
    st.session_state[CONFIGS] = cfgs
