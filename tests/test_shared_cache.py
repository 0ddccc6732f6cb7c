"""ui.cache's one mechanism (SharedCache) as `shared_cache` (keyed by settings) and `per_run` (keyed by the run's
id): the key bound to the signature, the eviction, one computation for concurrent callers, failures not kept,
frozen results. tests/test_run.py covers per_run against real runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest

from aeviz.config import DataConfig, ModelConfig, TrainConfig
from aeviz.ui.cache import per_run, read_only, shared_cache


class _Fake:
    """A stand-in run: the cache reads `id` alone."""

    def __init__(self, id: str):
        self.id = id


def test_keyed_by_the_named_arguments_and_the_least_recently_used_dropped():
    calls = []

    @shared_cache(max_entries=2)
    def f(cfgs, name: str, n: int, _extra=None):
        calls.append((name, n))
        return {"name": name, "n": n}

    cfgs = (DataConfig(), ModelConfig(), TrainConfig())
    a = f(cfgs, "r1", 3, _extra=object())
    assert f(cfgs, "r1", 3, _extra=object()) is a  # the object passed as _extra is not part of the key
    assert f((DataConfig(), ModelConfig(), TrainConfig()), "r1", n=3) is a  # equal configs, keyword or not
    assert f(cfgs, "r2", 3) is not a and f(cfgs, "r1", 4) is not a
    assert calls == [("r1", 3), ("r2", 3), ("r1", 4)]
    assert len(f) == 2  # ("r1", 3) was the least recently used
    f(cfgs, "r1", 3)
    assert calls[-1] == ("r1", 3)
    f.clear()
    assert len(f) == 0


def test_per_run_keys_the_first_argument_by_its_id_and_the_rest_as_bound():
    calls = []

    @per_run(max_entries=8)
    def g(_run, k: int = 2, *, scale: float = 1.0, _view=None):
        calls.append((_run.id, k, scale))
        return object()

    first = g(_Fake("a"), _view="one")
    assert g(_Fake("a"), 2, _view="two") is first  # another object with the same id; the default spelt out
    assert g(_Fake("a"), k=2, scale=1.0) is first
    assert g(_Fake("b")) is not first and g(_Fake("a"), 3) is not first and g(_Fake("a"), scale=2.0) is not first
    assert calls == [("a", 2, 1.0), ("b", 2, 1.0), ("a", 3, 1.0), ("a", 2, 2.0)]
    assert g.key(_Fake("a"), 3) == ("a", 3, 1.0)


def test_many_sessions_asking_at_once_compute_once():
    started, release = threading.Event(), threading.Event()
    calls = []

    @shared_cache(max_entries=4)
    def slow(name: str):
        calls.append(name)
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
    def flaky(name: str):
        calls.append(name)
        if len(calls) == 1:
            raise ValueError("first time")
        return len(calls)

    with pytest.raises(ValueError):
        flaky("r")
    assert flaky("r") == 2 and flaky("r") == 2 and len(flaky) == 1


@dataclass(frozen=True)
class _Result:
    codes: np.ndarray
    label: str


def test_read_only_freezes_every_array_inside():
    value = read_only({"a": np.zeros(3), "b": [np.ones(2), (np.arange(2), "text")], "c": 1.5,
                       "d": _Result(np.zeros(2), "x")})
    for arr in (value["a"], value["b"][0], value["b"][1][0], value["d"].codes):
        with pytest.raises(ValueError):
            arr[0] = 7


def test_frozen_results_are_read_only_and_others_are_left_alone():
    frozen = per_run(lambda run: {"x": np.zeros(3)}, frozen=True)
    plain = per_run(lambda run: {"x": np.zeros(3)})
    with pytest.raises(ValueError):
        frozen(_Fake("a"))["x"][0] = 1.0
    with pytest.raises(ValueError):
        frozen(_Fake("a"))["x"][0] = 1.0  # the stored value, as the next session gets it
    value = plain(_Fake("a"))
    value["x"][0] = 1.0
    assert plain(_Fake("a"))["x"][0] == 1.0  # shared as it is (which is why a shared value must not be changed)


def test_dataset_is_built_once_per_config():
    from aeviz.ui.cache import dataset

    d = DataConfig(name="line", seed=5)
    assert dataset(d) is dataset(DataConfig(name="line", seed=5)) and dataset(d).name == "line"
