"""ui.cache.shared_cache: what depends only on a run and a few options, computed once for every session."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from aeviz.config import DataConfig, ModelConfig, TrainConfig
from aeviz.ui.cache import read_only, shared_cache


def test_keyed_by_the_named_arguments_and_the_least_recently_used_dropped():
    calls = []

    @shared_cache(max_entries=2)
    def f(cfgs, run_id: str, n: int, _run=None):
        calls.append((run_id, n))
        return {"run": run_id, "n": n}

    cfgs = (DataConfig(), ModelConfig(), TrainConfig())
    a = f(cfgs, "r1", 3, _run=object())
    assert f(cfgs, "r1", 3, _run=object()) is a  # the object passed as _run is not part of the key
    assert f((DataConfig(), ModelConfig(), TrainConfig()), "r1", n=3) is a  # equal configs, keyword or not
    assert f(cfgs, "r2", 3) is not a and f(cfgs, "r1", 4) is not a
    assert calls == [("r1", 3), ("r2", 3), ("r1", 4)]
    assert len(f) == 2  # ("r1", 3) was the least recently used
    f(cfgs, "r1", 3)
    assert calls[-1] == ("r1", 3)
    f.clear()
    assert len(f) == 0


def test_many_sessions_asking_at_once_compute_once():
    started, release = threading.Event(), threading.Event()
    calls = []

    @shared_cache(max_entries=4)
    def slow(run_id: str):
        calls.append(run_id)
        started.set()
        assert release.wait(30)
        return object()

    results = []
    first = threading.Thread(target=lambda: results.append(slow("r")))
    first.start()
    assert started.wait(30)  # the first caller is computing
    others = [threading.Thread(target=lambda: results.append(slow("r"))) for _ in range(5)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(30)
    assert calls == ["r"] and len(results) == 6 and all(r is results[0] for r in results)


def test_a_failure_is_not_kept():
    calls = []

    @shared_cache(max_entries=4)
    def flaky(run_id: str):
        calls.append(run_id)
        if len(calls) == 1:
            raise ValueError("first time")
        return len(calls)

    with pytest.raises(ValueError):
        flaky("r")
    assert flaky("r") == 2 and flaky("r") == 2


def test_read_only_freezes_every_array_inside():
    value = read_only({"a": np.zeros(3), "b": [np.ones(2), (np.arange(2), "text")], "c": 1.5})
    for arr in (value["a"], value["b"][0], value["b"][1][0]):
        with pytest.raises(ValueError):
            arr[0] = 7
