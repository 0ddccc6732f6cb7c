"""Server-wide resources: the datasets (built once per server), the training slots, torch's threads, and
the one cache mechanism: `per_run` for anything computed from a run (keyed by the run's id) and
`shared_cache` for what depends on settings alone (a dataset, a figure named by its key).

Cached objects are shared by every session and never changed after they are stored. Which trained
run a session sees is decided in `runs.py`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Hashable

import numpy as np
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ..config import DataConfig
from ..datasets import UPLOAD, Dataset, load
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


# ---------------------------------------------------------------- the shared cache


def nbytes(value: Any, depth: int = 0) -> int:
    """Roughly the bytes `value` holds: arrays and tensors exactly, containers and dataclasses summed."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if depth > 4:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sum(nbytes(k, depth + 1) + nbytes(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(nbytes(v, depth + 1) for v in value) + 8 * len(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return sys.getsizeof(value)


def read_only(value: Any, depth: int = 0) -> Any:
    """`value` with every numpy array in it (through dicts, lists, tuples and dataclasses) made read-only: a
    shared result that some caller changed by mistake would raise instead of changing it for every session."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif depth > 4:
        pass
    elif isinstance(value, dict):
        for v in value.values():
            read_only(v, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            read_only(v, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            read_only(getattr(value, f.name), depth + 1)
    return value


def run_ids(runs) -> Hashable:
    """The id of a run, or the tuple of ids of a tuple of runs: what a per-run cache is keyed by."""
    return tuple(r.id for r in runs) if isinstance(runs, (tuple, list)) else runs.id


class SharedCache:
    """`fn`'s results shared by every session, one per key, least recently used out past `max_entries`
    entries or `max_bytes` bytes (see `nbytes`).

    The key is made of the arguments, bound to `fn`'s signature (so a keyword and a positional argument
    are the same), leaving out those whose names start with "_" (passed on, derived from the rest), and
    hashed by Python itself: st.cache_resource's hasher costs about 1 ms for a tuple of configs on every
    call, and a page makes many such calls on every render. With `by_run`, the first argument is a run or
    a tuple of runs and stands in the key as its id(s) (`run_ids`). A value is computed once per key even
    when many sessions ask at once (the others wait for it); a failure is not kept; with `spinner`, the
    session that computes it sees that text meanwhile; with `frozen`, every array in it is made read-only.
    Values are shared: never change one.
    """

    def __init__(self, fn: Callable, max_entries: int = 32, max_bytes: int | None = None,
                 spinner: str | None = None, *, by_run: bool = False, frozen: bool = False):
        self.fn, self.max_entries, self.max_bytes, self.spinner = fn, max_entries, max_bytes, spinner
        self.by_run, self.frozen = by_run, frozen
        self._sig = inspect.signature(fn)
        self._first = next(iter(self._sig.parameters), None)
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.RLock] = {}
        functools.update_wrapper(self, fn)

    def key(self, *args, **kwargs) -> tuple:
        """The key a call with these arguments is stored under."""
        bound = self._sig.bind(*args, **kwargs)
        bound.apply_defaults()
        key = []
        for name, value in bound.arguments.items():
            kind = self._sig.parameters[name].kind
            if self.by_run and name == self._first:
                key.append(run_ids(value))
            elif kind is inspect.Parameter.VAR_KEYWORD:
                key.append(tuple(sorted((k, v) for k, v in value.items() if not k.startswith("_"))))
            elif not name.startswith("_"):
                key.append(value)
        return tuple(key)

    def _get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key]
        return False, None

    def __call__(self, *args, **kwargs) -> Any:
        key = self.key(*args, **kwargs)
        found, value = self._get(key)
        if found:
            return value
        with self._lock:
            lock = self._computing.setdefault(key, threading.RLock())
        with lock:  # a second caller for the same key waits for the first one's value
            found, value = self._get(key)
            if found:
                return value
            try:
                with st.spinner(self.spinner) if self.spinner and get_script_run_ctx() else nullcontext():
                    value = self.fn(*args, **kwargs)
                self._put(key, read_only(value) if self.frozen else value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value

    def _put(self, key: Hashable, value: Any) -> None:
        size = nbytes(value) if self.max_bytes is not None else 0
        with self._lock:
            self._values[key] = value
            self._sizes[key] = size
            while len(self._values) > 1 and (len(self._values) > self.max_entries or (
                    self.max_bytes is not None and sum(self._sizes.values()) > self.max_bytes)):
                old, _ = self._values.popitem(last=False)
                self._sizes.pop(old, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def clear(self) -> None:
        """Forget every value (tests)."""
        with self._lock:
            self._values.clear()
            self._sizes.clear()


def per_run(fn: Callable | None = None, *, max_entries: int = 32, max_bytes: int | None = None,
            spinner: str | None = None, frozen: bool = False):
    """Decorator: cache `fn(run, *hashable args)` for every session under the run's id (or a tuple of runs'
    ids) and the other arguments (see SharedCache).

    A shared run's id is the same in every session, so a class opening a page computes each value once; an
    upload's id hashes its weights, so its values are found only by a session holding that same file, and
    the bound evicts them like any other."""
    def wrap(f: Callable) -> SharedCache:
        return SharedCache(f, max_entries, max_bytes, spinner, by_run=True, frozen=frozen)
    return wrap if fn is None else wrap(fn)


def shared_cache(max_entries: int, max_bytes: int | None = None, spinner: str | None = None,
                 frozen: bool = False) -> Callable[[Callable], SharedCache]:
    """Decorator: cache a function of settings alone (configs, a figure's key naming a run id and options) for
    every session; arguments named with a leading "_" are passed on but not part of the key (see SharedCache)."""
    return lambda fn: SharedCache(fn, max_entries, max_bytes, spinner, frozen=frozen)


@shared_cache(max_entries=8)
def _shared_dataset(cfg: DataConfig) -> Dataset:
    """A registered dataset (built once per server)."""
    return load(cfg)


def dataset(cfg: DataConfig) -> Dataset:
    """The dataset a config names: a registered one built once per server, or this session's uploaded table
    from its own session state (never a server-wide cache). Without that table, a page says to upload one and
    stops there (outside a page: ValueError)."""
    if cfg.name != UPLOAD:
        return _shared_dataset(cfg)
    from .table_upload import NO_TABLE, session_dataset

    data = session_dataset(cfg) if get_script_run_ctx() is not None else None
    if data is not None:
        return data
    if get_script_run_ctx() is None:
        raise ValueError(NO_TABLE)
    st.info(NO_TABLE, icon=":material/upload_file:")
    st.stop()
