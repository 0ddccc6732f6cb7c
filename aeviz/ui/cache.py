"""Server-wide resources: the datasets (built once per server), the training slots and torch's threads.

Cached objects are shared by every session and never changed after they are stored. Which trained
run a session sees is decided in `runs.py`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import streamlit as st
import torch

from ..config import DataConfig
from ..datasets import Dataset, load
from ..figures.style import use_house_template
from ..jobs import TrainingSlots


SLOTS = TrainingSlots(max(1, os.cpu_count() or 1))


def serve_on_one_thread() -> None:
    """Run torch on one intra-op thread in the server: its matrices are tiny, and concurrent
    sessions use the cores better than a thread pool waking up for every small decode. Also make the
    house Plotly template the default, so no figure pays for copying it (see figures.style)."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    use_house_template()


def _queue_note():
    """A placeholder that says, if every training slot is busy, that this run waits for one."""
    note = st.empty()
    if SLOTS.full():
        note.info(f"All {SLOTS.n} training slots on this server are busy (others are training right now). "
                  "Your run starts as soon as one is free…", icon="⏳")
    return note


@contextmanager
def training_slot():
    """Hold a training slot; while waiting for one, say so on the page."""
    note = _queue_note()
    with SLOTS.hold():
        note.empty()
        yield


@st.cache_resource(max_entries=8, show_spinner=False)
def dataset(cfg: DataConfig) -> Dataset:
    """The dataset a config names (built once per server)."""
    return load(cfg)


