"""The few named session-state keys aeviz owns; everything per user lives under them."""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..config import DEFAULTS, DataConfig, ModelConfig, TrainConfig

CONFIGS = "aeviz_configs"  # (DataConfig, ModelConfig, TrainConfig) chosen in the sidebar
LIVE = "aeviz_live"  # the Train page's live run: LiveRun or absent
UPLOADED = "aeviz_uploaded"  # this session's uploaded weights: share.UploadSlot or absent (never shared)
CANCELLED = "aeviz_cancelled"  # settings whose shared training this session cancelled: a set of keys
ENTERED = "aeviz_entered"  # True while a script run that went through app.py is running
TABLE = "aeviz_table"  # this session's uploaded table: {reading's key: table_upload.TableUpload}
TABLE_RUNS = "aeviz_table_runs"  # runs trained on this session's uploaded table: {key: Run}, bounded (runs.py)
LESSON = "aeviz_lesson"  # ui.lesson.Lesson: presenter mode, hidden controls, each page's state, the link's refusals

Configs = tuple[DataConfig, ModelConfig, TrainConfig]


@contextmanager
def entry_script():
    """Mark this script run as one that went through app.py (app.py wraps its body in this)."""
    st.session_state[ENTERED] = True
    try:
        yield
    finally:
        st.session_state[ENTERED] = False


def ensure_entry_script() -> None:
    """Rerun through app.py if Streamlit ran a page script on its own.

    Streamlit decides, before the first script run of a fresh server (and before every AppTest
    run), whether the app uses the legacy `pages/` folder auto-discovery; it only learns otherwise
    once app.py calls st.navigation. Until then a visit straight to a page URL runs that page alone,
    without the sidebar, in every session whose run started before the first app.py run ended (a
    class opening a link on a cold or restarted server). Such a run is recognised by the missing
    mark that app.py sets, and restarted through app.py.
    """
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        return  # a fragment rerun runs one function, not the whole script
    if PagesManager.uses_pages_directory or not st.session_state.get(ENTERED, False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def configs() -> Configs:
    """The settings the sidebar holds for this session (the defaults before it has run)."""
    ensure_entry_script()
    return st.session_state.get(CONFIGS, DEFAULTS)


def set_configs(cfgs: Configs) -> None:
    """Store this session's settings (called by the sidebar)."""
    st.session_state[CONFIGS] = cfgs
