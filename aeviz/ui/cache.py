"""Server-wide caches: datasets and finished training runs, keyed by the frozen configs.

One run per configuration per server: thirty students opening the default cost one training.
Cached objects are shared by every session and never changed after they are stored.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

import streamlit as st
import torch

from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset, load
from ..models import build
from ..train import Trainer
from .share import uploaded_run
from .state import LIVE, configs


class TrainingSlots:
    """A server-wide cap on concurrent training (one slot per core): a class that all presses
    Play at once queues instead of slowing every run to a crawl. Holds no per-user data."""

    def __init__(self, n: int):
        self.n = n
        self._sem = threading.BoundedSemaphore(n)
        self._lock = threading.Lock()
        self.busy = 0

    @contextmanager
    def hold(self):
        """Wait for a free slot, train inside the block, give the slot back."""
        self._sem.acquire()
        with self._lock:
            self.busy += 1
        try:
            yield
        finally:
            with self._lock:
                self.busy -= 1
            self._sem.release()

    def full(self) -> bool:
        """True when every slot is taken (the next run will queue)."""
        return self.busy >= self.n


SLOTS = TrainingSlots(max(1, os.cpu_count() or 1))


def serve_on_one_thread() -> None:
    """Run torch on one intra-op thread in the server: its matrices are tiny, and concurrent
    sessions use the cores better than a thread pool waking up for every small decode."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


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


_FINISHED: set = set()  # configs whose finished run has been stored (server-wide, configs only, no user data)


def has_finished_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> bool:
    """True if these settings have been trained to the end on this server (so showing them is instant)."""
    return (data_cfg, model_cfg, train_cfg) in _FINISHED


@st.cache_resource(max_entries=8, show_spinner=False)
def dataset(cfg: DataConfig) -> Dataset:
    """The dataset a config names (built once per server)."""
    return load(cfg)


@st.cache_resource(max_entries=40, show_spinner="Training this configuration (once per server)…")
def finished_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 _trainer: Trainer | None = None) -> Trainer:
    """A trainer run to the end for these configs; `_trainer`, if given, is a finished live run
    to store instead of training again (it is not part of the cache key)."""
    _FINISHED.add((data_cfg, model_cfg, train_cfg))
    if _trainer is not None:
        return _trainer
    data = dataset(data_cfg)
    model = build(model_cfg, data, seed=train_cfg.seed)
    with SLOTS.hold():
        trainer = Trainer(model, data, train_cfg).run()
    _log_training(data_cfg, model_cfg, train_cfg, trainer)
    return trainer


def _log_training(*parts) -> None:
    """One line per cached training run, if AEVIZ_TRAIN_LOG names a file (load tests count them)."""
    path = os.environ.get("AEVIZ_TRAIN_LOG")
    if path:
        *cfgs, trainer = parts
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.time():.3f}\t{trainer.seconds:.3f}\t{cfgs!r}\n")


def current_run() -> Trainer:
    """The trained model for this session's settings: its own finished live run, or the cached one."""
    cfgs = configs()
    uploaded = uploaded_run(cfgs)  # weights this session uploaded for these settings come first
    if uploaded is not None:
        return uploaded
    live = st.session_state.get(LIVE)
    if live is not None and live.cfgs == cfgs and live.trainer.done:
        return live.trainer
    note = _queue_note()
    run = finished_run(*cfgs)
    note.empty()
    return run


def model_or_stop() -> Trainer:
    """The current trained run; if its settings are impossible or training diverged, say why and stop
    the page there (the rest of the app stays usable)."""
    return run_or_stop(current_run)


def run_or_stop(get_run, *args) -> Trainer:
    """`get_run(*args)`, or a clear message and the end of the page if it cannot be built or trained."""
    try:
        run = get_run(*args)
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        st.stop()
    if run.error and not run.history:
        st.error(run.error)
        st.stop()
    if run.error:
        st.warning(run.error + " The pages below show that last finite model.")
    return run
