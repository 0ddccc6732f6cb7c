"""Server-wide resources: the datasets (built once per server), the training slots, torch's threads, and
`shared_cache`, the cache for what depends only on a run (its id) and a few options.

Cached objects are shared by every session and never changed after they are stored. Which trained
run a session sees is decided in `runs.py`.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable

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


class SharedCache:
    """A function's results shared by every session, at most `max_entries` (least recently used dropped),
    keyed by Python's own hash of the arguments whose names do not start with "_" (configs, run ids,
    numbers: all hashable). st.cache_resource hashes its arguments with Streamlit's hasher instead, about
    1 ms for a tuple of configs on every call, and a page makes many such calls on every render. A result
    is computed once per key even when many sessions ask at once (the others wait for it); with `spinner`,
    the session that computes it sees that text meanwhile. Results are shared: never change one."""

    def __init__(self, fn: Callable, max_entries: int, spinner: str | None):
        self.fn, self.max_entries, self.spinner = fn, max_entries, spinner
        self._sig = inspect.signature(fn)
        self._values: OrderedDict = OrderedDict()
        self._computing: dict = {}  # key -> the lock its first caller holds while computing it
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def _key(self, args, kwargs) -> tuple:
        bound = self._sig.bind(*args, **kwargs)
        return tuple(v for k, v in bound.arguments.items() if not k.startswith("_"))

    def __call__(self, *args, **kwargs) -> Any:
        key = self._key(args, kwargs)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:  # one computation per key; later callers find the value when they get the lock
            with self._lock:
                if key in self._values:
                    return self._values[key]
            if self.spinner:
                with st.spinner(self.spinner):
                    value = self.fn(*args, **kwargs)
            else:
                value = self.fn(*args, **kwargs)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
        return value

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def read_only(value: Any) -> Any:
    """`value` with every numpy array in it (through dicts, lists and tuples) made read-only: a shared result
    that some caller changed by mistake would raise instead of changing it for every session."""
    if hasattr(value, "setflags") and hasattr(value, "dtype"):
        value.setflags(write=False)
    elif isinstance(value, dict):
        for v in value.values():
            read_only(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            read_only(v)
    return value


def shared_cache(max_entries: int, spinner: str | None = None) -> Callable[[Callable], SharedCache]:
    """Decorator: cache a function of a run (its id among the arguments) and options for every session; the
    arguments named with a leading "_" (the run object itself, a dataset) are passed but not part of the key."""
    return lambda fn: SharedCache(fn, max_entries, spinner)


@shared_cache(max_entries=8)
def dataset(cfg: DataConfig) -> Dataset:
    """The dataset a config names (built once per server)."""
    return load(cfg)


