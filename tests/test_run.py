"""The Run record (aeviz/run.py) and the one per-run cache (aeviz/ui/cache.per_run): a trainer, an upload and
the live run all give the same record; ids name settings for shared runs and content otherwise; a value
derived from a run is computed once per id, bounded, and never served for another run."""

import dataclasses
import threading

import numpy as np
import pytest
import torch

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build
from aeviz.analysis import encode, reconstruct
from aeviz.io import restored_run, weights_to_bytes
from aeviz.jobs import RunStore
from aeviz.run import Run, settings_id
from aeviz.ui.cache import per_run
from aeviz.ui.live import LiveRun

D = DataConfig()
M = ModelConfig()
T = TrainConfig(epochs=3)


def _trainer(digits, seed=0, epochs=3, **model) -> Trainer:
    t = TrainConfig(epochs=epochs, seed=seed)
    return Trainer(build(ModelConfig(**model), digits, seed=seed), digits, t)


@pytest.fixture(scope="module")
def trained(digits) -> Trainer:
    return _trainer(digits).run()


def _upload(digits, seed: int, train_cfg: TrainConfig = T) -> Run:
    return restored_run(weights_to_bytes(build(M, digits, seed=seed)), digits, M, train_cfg, data_cfg=D)


def _live_run(digits) -> Run:
    live = LiveRun((D, M, T), _trainer(digits))
    while not live.trainer.done:
        live.play_chunk(rate=100.0)
    return live.run()


def _check_record(run: Run, digits, epochs: int) -> None:
    """Every field of a finished run, whoever made it."""
    assert isinstance(run, Run) and isinstance(run.id, str) and run.id
    assert (run.data_cfg, run.model_cfg, run.train_cfg.epochs) == (D, M, epochs) and run.data is digits
    assert not run.model.training and run.done and run.epoch == epochs and run.error is None
    assert isinstance(run.history, tuple) and run.history[-1]["epoch"] == epochs
    assert {"train_total", "test_total", "train_recon", "test_recon"} <= set(run.history[-1])
    assert set(run.train_loss) == {k[len("train_"):] for k in run.history[-1] if k.startswith("train_")}
    epoch, codes = run.snapshots[-1]
    assert isinstance(run.snapshots, tuple) and epoch == epochs and codes.shape == (len(digits.X), M.latent)
    np.testing.assert_allclose(codes, run.encode(digits.X), rtol=1e-5, atol=1e-6)  # the last snapshot: this model
    np.testing.assert_array_equal(run.encode(digits.X), encode(run.model, digits.X))


def test_a_trainer_an_upload_and_the_live_run_give_the_same_record(digits, trained):
    from_trainer = trained.to_run(D)
    upload = restored_run(weights_to_bytes(trained.model), digits, M, T, data_cfg=D)
    live = _live_run(digits)
    for run in (from_trainer, upload, live):
        _check_record(run, digits, T.epochs)
    # one model, three records: the same weights give the same reconstructions and final numbers
    np.testing.assert_array_equal(reconstruct(upload.model, digits.X), reconstruct(from_trainer.model, digits.X))
    np.testing.assert_allclose(upload.final(), from_trainer.final(), rtol=1e-6)
    np.testing.assert_allclose(from_trainer.final(), trained.final(), rtol=1e-6)  # the trainer's own numbers
    np.testing.assert_array_equal(reconstruct(live.model, digits.X), reconstruct(from_trainer.model, digits.X))
    assert len(from_trainer.history) == T.epochs and len(upload.history) == 1


def test_a_run_is_frozen_and_further_training_does_not_change_it(digits):
    tr = _trainer(digits, epochs=6)
    tr.step(2)
    run = tr.to_run(D)
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    tr.step(4)
    assert not run.done and run.epoch == 2 and tr.epoch == 6 and run.model is not tr.model
    assert all(torch.equal(before[k], v) for k, v in run.model.state_dict().items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.id = "other"


def test_the_live_run_gives_one_record_per_state(digits):
    live = LiveRun((D, M, T), _trainer(digits))
    live.trainer.step(1)
    paused = live.run()
    assert live.run() is paused and paused.epoch == 1 and not paused.done  # asked again: the same record
    live.trainer.step(1)
    assert live.run() is not paused and live.run().epoch == 2 and live.run().id != paused.id


def test_ids_name_the_settings_for_a_shared_run_and_the_content_otherwise(digits, trained):
    key = (D, M, T)
    again = _trainer(digits).run()
    assert trained.to_run(D, key=key).id == again.to_run(D, key=key).id == settings_id(key)  # stable
    assert settings_id((D, M, TrainConfig(epochs=4))) != settings_id(key)
    assert trained.to_run(D).id == again.to_run(D).id  # the same content, the same id
    assert _trainer(digits, seed=1).run().to_run(D).id != trained.to_run(D).id
    one, same, other = _upload(digits, 1), _upload(digits, 1), _upload(digits, 2)
    assert one.id == same.id and one.id != other.id  # two different files never share an id
    assert _upload(digits, 1, TrainConfig(epochs=4)).id != one.id  # nor the same file for other settings
    assert one.id != trained.to_run(D, key=key).id


def test_nbytes_counts_the_weights_snapshots_and_history(digits, trained):
    run = trained.to_run(D)
    weights = 4 * sum(p.numel() for p in trained.model.parameters())  # float32
    snaps = sum(c.nbytes for _, c in trained.snapshots)
    assert run.nbytes() == weights + snaps + 200 * len(trained.history)
    assert run.nbytes() < trained.nbytes()  # no gradients, no optimiser state


def test_the_store_keeps_runs_within_its_bytes(digits):
    runs = [_upload(digits, seed) for seed in range(4)]
    store = RunStore(max_bytes=int(runs[0].nbytes() * 2.5))
    for i, run in enumerate(runs):
        store.put(i, run)
    assert len(store) == 2 and 0 not in store and store.get(3) is runs[3]
    assert store.nbytes() == sum(r.nbytes() for r in runs[2:])


def test_a_shared_training_stores_a_run_named_by_its_settings():
    from aeviz.ui import runs as ui_runs
    from aeviz.ui.cache import dataset

    d, m, t = DataConfig(name="line"), ModelConfig(hidden=(4,), latent=1), TrainConfig(epochs=2, seed=7)
    key = (d, m, t)
    job = ui_runs.start_training(key, dataset(d), m, t, who="test", data_cfg=d)
    job.wait("test")
    assert job.state == "done" and isinstance(job.result, Run)
    assert ui_runs.STORE.get(key) is job.result and job.result.id == settings_id(key)
    assert job.result.data_cfg == d and job.result.epoch == 2


# ---------------------------------------------------------------- the per-run cache


class _Fake:
    """A stand-in run: the cache reads `id` alone."""

    def __init__(self, id: str):
        self.id = id


def test_per_run_computes_once_per_id_and_arguments():
    calls = []

    @per_run(max_entries=8)
    def double(run, k):
        calls.append((run.id, k))
        return [run.id] * k

    a, a_again, b = _Fake("a"), _Fake("a"), _Fake("b")
    assert double(a, 2) == ["a", "a"] and double(a_again, 2) is double(a, 2)
    assert double(b, 2) == ["b", "b"] and double(a, 3) == ["a"] * 3
    assert calls == [("a", 2), ("b", 2), ("a", 3)]


def test_per_run_keys_a_tuple_of_runs_by_their_ids():
    calls = []
    pair = per_run(lambda runs: calls.append(tuple(r.id for r in runs)) or len(calls))
    assert pair((_Fake("a"), _Fake("b"))) == pair((_Fake("a"), _Fake("b"))) == 1
    assert pair((_Fake("b"), _Fake("a"))) == 2 and calls == [("a", "b"), ("b", "a")]


def test_an_uploads_value_is_never_served_for_another_run(digits):
    """The shared run and an upload of the same settings each get their own value, computed from their own model."""
    shared = _trainer(digits).run().to_run(D, key=(D, M, T))
    upload = _upload(digits, 5)

    @per_run
    def codes(run):
        return run.encode(digits.X[:20])

    mine, theirs = codes(upload), codes(shared)
    np.testing.assert_array_equal(mine, encode(upload.model, digits.X[:20]))
    np.testing.assert_array_equal(theirs, encode(shared.model, digits.X[:20]))
    assert not np.allclose(mine, theirs) and codes(shared) is theirs and codes(upload) is mine


def test_per_run_evicts_the_least_recently_used_past_its_entries():
    calls = []
    cache = per_run(lambda run: calls.append(run.id) or run.id, max_entries=2)
    for name in ("a", "b", "a", "c"):  # "a" used again, so "b" is the oldest when "c" arrives
        cache(_Fake(name))
    assert len(cache) == 2 and calls == ["a", "b", "c"]
    cache(_Fake("a"))
    cache(_Fake("b"))
    assert calls == ["a", "b", "c", "b"]


def test_per_run_evicts_past_its_bytes():
    cache = per_run(lambda run, n: np.zeros(n, dtype=np.uint8), max_entries=100, max_bytes=1000)
    for i in range(5):
        cache(_Fake(f"upload-{i}"), 400)
    assert len(cache) == 2  # 2 x 400 bytes fit in 1000, 3 do not
    assert cache(_Fake("big"), 5000).nbytes == 5000 and len(cache) == 1  # one too big is still kept alone


def test_per_run_leaves_underscore_keywords_out_of_the_key():
    calls = []
    cache = per_run(lambda run, k, _extra=None: calls.append(_extra) or k)
    assert cache(_Fake("a"), 1, _extra="first") == 1 and cache(_Fake("a"), 1, _extra="second") == 1
    assert calls == ["first"]


def test_per_run_computes_once_when_two_sessions_ask_at_once():
    started, release, calls = threading.Event(), threading.Event(), []

    def slow(run):
        calls.append(run.id)
        started.set()
        release.wait(10)
        return object()

    cache = per_run(slow)
    results = []
    first = threading.Thread(target=lambda: results.append(cache(_Fake("a"))))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(cache(_Fake("a"))))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["a"] and len(results) == 2 and results[0] is results[1]


def test_per_run_does_not_keep_a_failure():
    calls = []

    def flaky(run):
        calls.append(run.id)
        if len(calls) == 1:
            raise ValueError("first time")
        return "ok"

    cache = per_run(flaky)
    with pytest.raises(ValueError):
        cache(_Fake("a"))
    assert cache(_Fake("a")) == "ok" and calls == ["a", "a"]
