"""The few named session-state keys aeviz owns; everything per user lives under them."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ..config import DEFAULTS, DataConfig, ModelConfig, TrainConfig

CONFIGS = "aeviz_configs"  # (DataConfig, ModelConfig, TrainConfig) chosen in the sidebar
LIVE = "aeviz_live"  # the Train page's live run: LiveRun or absent
UPLOADED = "aeviz_uploaded"  # this session's uploaded weights: share.UploadSlot or absent (never shared)

Configs = tuple[DataConfig, ModelConfig, TrainConfig]


def ensure_entry_script() -> None:
    """Rerun through app.py if Streamlit ran a page script on its own.

    Streamlit decides, before the first script run of a fresh server (and before every AppTest
    run), whether the app uses the legacy `pages/` folder auto-discovery; it only learns otherwise
    once app.py calls st.navigation. Until then a visit straight to a page URL runs that page alone,
    without the sidebar. Such a run is recognised here and restarted through app.py.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def configs() -> Configs:
    """The settings the sidebar holds for this session (the defaults before it has run)."""
    ensure_entry_script()
    return st.session_state.get(CONFIGS, DEFAULTS)


def set_configs(cfgs: Configs) -> None:
    """Store this session's settings (called by the sidebar)."""
    st.session_state[CONFIGS] = cfgs
