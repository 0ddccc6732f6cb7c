"""What keeps one visitor from taking the server from the others: the training budget, background
jobs that stop when nobody waits, the byte-bounded run store, thinned snapshots, and the fast path
refusing to write into gradients that do not exist."""

from __future__ import annotations

import queue
import threading
from dataclasses import replace

import pytest
import torch
from streamlit.testing.v1 import AppTest

from aeviz import DATASETS, DataConfig, ModelConfig, TrainConfig, build, load
from aeviz.budget import MAX_PARAMS, limit_seconds, over_budget, training_cost
from aeviz.config import DEFAULTS
from aeviz.fastpath import FlatAdam, GradientsNotAllocated, mse_backprop
from aeviz.jobs import Jobs, RunStore, TrainingSlots
from aeviz.train import MAX_SNAPSHOTS, SNAPSHOT_BYTES, Trainer

from conftest import ROOT

APP = str(ROOT / "app.py")
HOSTILE = {"m_variant": "contractive", "m_hidden": "1024-1024-1024-1024-1024-1024", "m_latent": "64",
           "t_epochs": "1000", "t_batch_size": "8"}


def _cost_args(data):
    return len(data.X_train), data.n_features


# ---------------------------------------------------------------- budget


def test_the_hostile_link_is_over_budget_and_the_message_says_what_to_lower(digits):
    model = ModelConfig(variant="contractive", hidden=(1024,) * 6, latent=64)
    msg = over_budget(model, TrainConfig(epochs=1000, batch_size=8), *_cost_args(digits))
    assert msg is not None and "parameters" in msg
    small = ModelConfig(variant="contractive", hidden=(256, 256), latent=16)
    msg = over_budget(small, TrainConfig(epochs=1000, batch_size=8), *_cost_args(digits), limit=60)
    assert msg is not None
    assert "epochs" in msg and "batch size" in msg and "latent size" in msg and "60 s" in msg


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_default_fits_the_budget_with_room(name):
    data = load(DataConfig(name))
    cost = training_cost(DEFAULTS[1], DEFAULTS[2], *_cost_args(data))
    assert cost.seconds < limit_seconds() / 10
    assert over_budget(DEFAULTS[1], DEFAULTS[2], *_cost_args(data)) is None


def test_cost_grows_with_each_setting(digits):
    base = training_cost(ModelConfig(), TrainConfig(), *_cost_args(digits)).seconds
    assert training_cost(ModelConfig(), TrainConfig(epochs=200), *_cost_args(digits)).seconds == pytest.approx(2 * base)
    assert training_cost(ModelConfig(hidden=(256, 128)), TrainConfig(), *_cost_args(digits)).seconds > base
    assert training_cost(ModelConfig(), TrainConfig(batch_size=8), *_cost_args(digits)).seconds > 3 * base
    assert training_cost(ModelConfig(variant="contractive", latent=16), TrainConfig(),
                         *_cost_args(digits)).seconds > training_cost(ModelConfig(latent=16), TrainConfig(),
                                                                      *_cost_args(digits)).seconds * 2


def test_the_limit_comes_from_the_environment(monkeypatch, digits):
    monkeypatch.setenv("AEVIZ_TRAIN_BUDGET_S", "0.001")
    assert over_budget(ModelConfig(), TrainConfig(), *_cost_args(digits)) is not None
    for bad in ("abc", "nan", "-5", "0"):
        monkeypatch.setenv("AEVIZ_TRAIN_BUDGET_S", bad)
        assert limit_seconds() == 60.0


def test_too_many_parameters_are_refused_whatever_the_epochs(digits):
    wide = ModelConfig(hidden=(1024, 1024))
    assert training_cost(wide, TrainConfig(), *_cost_args(digits)).params > MAX_PARAMS
    msg = over_budget(wide, TrainConfig(epochs=1), *_cost_args(digits), limit=1e9)
    assert msg is not None and "parameters" in msg


# ---------------------------------------------------------------- jobs


HANG = 120.0  # seconds: how long a wait may take before the test calls it a hang (a guard, not a measurement)


class Clock:
    """A clock for the jobs that moves only when the test moves it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ChunkTrainer:
    """Stands in for a Trainer whose chunks of training the test runs one at a time: each `step_for` puts
    `name` on `began` and trains one epoch once the test calls `end_chunk()`."""

    def __init__(self, epochs: int, began: queue.Queue | None = None, name: str = "run"):
        self.epoch, self.epochs, self.name = 0, epochs, name
        self.began = began if began is not None else queue.Queue()
        self.model = torch.nn.Linear(1, 1)
        self._go = threading.Semaphore(0)

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs

    def step_for(self, seconds: float) -> None:
        self.began.put(self.name)
        if not self._go.acquire(timeout=HANG):
            raise TimeoutError("the test never ended this chunk")
        self.epoch += 1

    def next_chunk(self) -> str:
        """Wait until a chunk begins; the name of the run it belongs to."""
        return self.began.get(timeout=HANG)

    def end_chunk(self) -> None:
        self._go.release()


def _long_trainer(digits, epochs=100_000):
    return lambda: Trainer(build(ModelConfig(), digits, seed=0), digits, TrainConfig(epochs=epochs))


def test_a_cancelled_run_stops_at_the_next_chunk_boundary():
    jobs = Jobs(TrainingSlots(1), idle_timeout=30, clock=Clock())
    tr, done = ChunkTrainer(100), []
    job = jobs.start("k", "alice", lambda: tr, done.append, epochs=100)
    assert tr.next_chunk() == "run" and job.state == "running"
    job.leave("alice")
    assert not job.finished.is_set()  # the chunk under way is not torn
    tr.end_chunk()
    assert job.finished.wait(HANG)
    assert job.state == "cancelled" and not done and job.epoch == 1 and tr.began.empty()  # no second chunk
    assert jobs.running() == 0 and not jobs.slots.full()


def test_a_run_nobody_watches_stops_by_itself():
    clock = Clock()
    jobs = Jobs(TrainingSlots(1), idle_timeout=5.0, clock=clock)
    tr = ChunkTrainer(100)
    job = jobs.start("k", "alice", lambda: tr, lambda tr: None, epochs=100)  # a heartbeat at 0 s
    tr.next_chunk()
    clock.advance(4.9)
    job.watch("alice")  # a heartbeat at 4.9 s
    clock.advance(4.9)
    tr.end_chunk()
    tr.next_chunk()  # 4.9 s since the last heartbeat: still watched
    clock.advance(0.2)
    tr.end_chunk()
    assert job.finished.wait(HANG)  # 5.1 s without a heartbeat: stopped before a third chunk
    assert job.state == "cancelled" and job.epoch == 2 and tr.began.empty()


def test_a_run_goes_on_while_someone_still_waits():
    jobs = Jobs(TrainingSlots(1), idle_timeout=30, clock=Clock())
    tr = ChunkTrainer(100)
    job = jobs.start("k", "alice", lambda: tr, lambda tr: None, epochs=100)
    assert jobs.start("k", "bob", lambda: ChunkTrainer(100, name="bob's"), lambda tr: None, epochs=100) is job
    tr.next_chunk()
    job.leave("alice")
    tr.end_chunk()
    assert tr.next_chunk() == "run"  # bob still waits: the same run trains on
    job.leave("bob")
    tr.end_chunk()
    assert job.finished.wait(HANG) and job.state == "cancelled" and job.epoch == 2


def test_a_finished_job_hands_its_run_over_once(digits):
    jobs = Jobs(TrainingSlots(2), idle_timeout=30, clock=Clock())
    done = []
    job = jobs.start("k", "alice", _long_trainer(digits, epochs=3), done.append, epochs=3)
    assert job.finished.wait(HANG)
    assert job.state == "done" and len(done) == 1 and done[0].epoch == 3 and done[0] is job.trainer


def test_a_job_whose_settings_cannot_be_built_reports_why(digits):
    jobs = Jobs(TrainingSlots(1), clock=Clock())

    def bad():
        return Trainer(build(ModelConfig(variant="nope"), digits), digits, TrainConfig())

    job = jobs.start("k", "alice", bad, lambda tr: None, epochs=1)
    assert job.finished.wait(HANG) and job.state == "failed" and "Unknown variant" in job.error


def test_a_queued_job_waits_for_a_slot_and_can_leave_the_queue():
    slots = TrainingSlots(1)  # real time: the queued job looks up from its wait every 0.2 s to see who left
    jobs = Jobs(slots, idle_timeout=30, clock=Clock())
    slots.acquire()  # someone else trains (e.g. a live Train page chunk)
    made = []
    job = jobs.start("b", "bob", lambda: made.append(1) or ChunkTrainer(100), lambda tr: None, epochs=100)
    assert slots.wait_for_waiters(1, HANG)  # the job asks for the slot
    assert job.state == "queued" and job.trainer is None and not made
    job.leave("bob")
    assert job.finished.wait(HANG) and job.state == "cancelled" and job.trainer is None and not made
    slots.release()
    assert not slots.full() and slots.waiters() == 0


# ---------------------------------------------------------------- memory


def test_the_store_holds_at_most_its_bytes_least_recently_used_out(digits):
    runs = [Trainer(build(ModelConfig(), digits, seed=i), digits, TrainConfig(epochs=1)).run().to_run()
            for i in range(5)]
    size = runs[0].nbytes()
    store = RunStore(max_bytes=int(size * 3.5))
    for i, run in enumerate(runs[:3]):
        store.put(i, run)
    assert store.get(0) is runs[0]  # 0 is now the most recently used
    store.put(3, runs[3])
    assert 1 not in store and 0 in store and 2 in store and 3 in store
    store.put(4, runs[4])
    assert store.nbytes() <= store.max_bytes and len(store) == 3


def test_a_run_larger_than_the_store_is_still_kept_alone(digits):
    run = Trainer(build(ModelConfig(), digits, seed=0), digits, TrainConfig(epochs=1)).run().to_run()
    store = RunStore(max_bytes=10)
    store.put("a", run)
    store.put("b", run)
    assert len(store) == 1 and store.get("b") is run


@pytest.mark.slow
def test_snapshots_are_thinned_to_a_fixed_count(digits):
    tr = Trainer(build(ModelConfig(latent=8), digits, seed=0), digits, TrainConfig(epochs=400, snapshot_every=1))
    tr.run()
    epochs = [e for e, _ in tr.snapshots]
    assert len(epochs) <= MAX_SNAPSHOTS and epochs[0] == 0 and epochs[-1] == 400
    assert epochs == sorted(set(epochs))
    gaps = {b - a for a, b in zip(epochs[:-1], epochs[1:])}
    assert max(gaps) <= 2 * min(gaps) + 16  # evenly spread, not bunched at the start


def test_the_hostile_runs_memory_is_bounded(digits):
    """A run of many epochs holds no more snapshot bytes than MAX_SNAPSHOTS copies of the codes."""
    tr = Trainer(build(ModelConfig(hidden=(8,), latent=64), digits, seed=0), digits,
                 TrainConfig(epochs=300, snapshot_every=1, batch_size=512))
    tr.run()
    one = tr.snapshots[0][1].nbytes
    assert len(tr.snapshots) <= tr.max_snapshots < MAX_SNAPSHOTS  # wide codes: fewer snapshots
    assert sum(c.nbytes for _, c in tr.snapshots) <= SNAPSHOT_BYTES + one
    assert tr.nbytes() < (MAX_SNAPSHOTS + 2) * one + 6 * 4 * sum(p.numel() for p in tr.model.parameters()) + 10**5


# ---------------------------------------------------------------- the fast path


def test_backprop_without_gradient_buffers_raises(digits):
    model = build(ModelConfig(), digits, seed=0)  # fresh: no .grad anywhere
    with pytest.raises(GradientsNotAllocated):
        model.backprop(torch.from_numpy(digits.X[:8]))


def test_flat_adam_needs_a_gradient_of_its_parameters_shape():
    with pytest.raises(GradientsNotAllocated):
        FlatAdam(torch.zeros(5), torch.zeros(4), lr=1e-3)


def test_mse_backprop_refuses_layers_it_cannot_differentiate():
    layers = [torch.nn.Linear(3, 2), torch.nn.Softplus()]
    for p in layers[0].parameters():
        p.grad = torch.zeros_like(p)
    with pytest.raises(TypeError, match="Softplus"):
        mse_backprop(layers=layers, inputs=torch.ones(4, 3), target=torch.ones(4, 2))


# ---------------------------------------------------------------- the pages


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update(query or {})
    return at


def test_the_hostile_link_is_refused_on_every_page_before_any_training():
    from aeviz.ui.runs import JOBS, STORE

    for page in ("pages/latent.py", "pages/reconstruction.py", "pages/anomaly.py", "pages/architecture.py"):
        at = _app(HOSTILE)
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        texts = [e.value for e in at.sidebar.error] + [e.value for e in at.error]
        assert any("this server allows" in t or "trains at most" in t for t in texts), texts
        assert JOBS.running() == 0
        assert not any(k[1].hidden == (1024,) * 6 for k in list(STORE._runs) if isinstance(k, tuple) and
                       len(k) == 3)


def test_the_train_page_refuses_to_play_the_hostile_link():
    at = _app({**HOSTILE, "m_hidden": "256-256", "m_latent": "16"})
    at.run()
    at.switch_page("pages/train.py")
    at.run()
    next(b for b in at.button if b.label == "Play").click()
    at.run()
    assert not at.exception
    assert any("this server allows" in e.value for e in at.error)


def _numbers(at: AppTest) -> list[str]:
    return [m.value for m in at.metric] + [m.value for m in at.markdown if any(ch.isdigit() for ch in m.value)]


def test_an_upload_never_changes_another_sessions_comparisons(digits):
    """Uploaded (untrained) weights in one session; a second session with the same settings sees the
    shared model's numbers on the Variants page and the denoising demo, not the upload's."""
    from aeviz.io import weights_to_bytes
    from aeviz.ui.share import UPLOADED
    from aeviz.io import restored_run
    from aeviz.ui.share import UploadSlot

    def page(at: AppTest, name: str) -> list[str]:
        at.switch_page(name)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return _numbers(at)

    before = _app()
    before.run()
    shared = {p: page(before, p) for p in ("pages/compare.py", "pages/reconstruction.py")}
    mine = _app()
    mine.run()
    run = restored_run(weights_to_bytes(build(ModelConfig(), digits, seed=123)), digits, ModelConfig(), TrainConfig())
    mine.session_state[UPLOADED] = UploadSlot(run, DEFAULTS, "init.pt", "id-1", 0)
    mine.run()
    uploaded = {p: page(mine, p) for p in ("pages/compare.py", "pages/reconstruction.py")}
    other = _app()
    other.run()
    seen = {p: page(other, p) for p in ("pages/compare.py", "pages/reconstruction.py")}
    assert seen == shared
    assert uploaded["pages/compare.py"] != shared["pages/compare.py"]


def test_settings_cannot_be_cancelled_by_someone_else_who_leaves(digits):
    """Two sessions wait for the same run; one leaving does not stop it for the other."""
    jobs = Jobs(TrainingSlots(1), idle_timeout=30, clock=Clock())  # b's heartbeat never grows old
    job = jobs.start(("x",), "a", _long_trainer(digits, epochs=40), lambda tr: None, epochs=40)
    jobs.start(("x",), "b", _long_trainer(digits, epochs=40), lambda tr: None, epochs=40)
    job.leave("a")
    assert job.finished.wait(HANG) and job.state == "done" and job.epoch == 40


def test_replace_keeps_configs_hashable_for_the_store():
    key = (DataConfig(), replace(ModelConfig(), hidden=(8, 4)), TrainConfig())
    store = RunStore(10**6)
    assert key not in store and hash(key) == hash((DataConfig(), ModelConfig(hidden=(8, 4)), TrainConfig()))


def test_a_small_run_overtakes_a_long_one_for_the_slot():
    """Slots go to the run with the least training left, one chunk at a time: a student's new small run
    finishes while a long one holds on, instead of queueing behind it."""
    clock, began = Clock(), queue.Queue()
    slots = TrainingSlots(1, clock=clock)  # a frozen clock: no waiter gives up its place in the queue
    jobs = Jobs(slots, idle_timeout=30, clock=clock)
    long_tr, short_tr = ChunkTrainer(100, began, "long"), ChunkTrainer(2, began, "short")
    long = jobs.start("long", "a", lambda: long_tr, lambda tr: None, epochs=100, estimate=600.0)
    assert long_tr.next_chunk() == "long"
    short = jobs.start("short", "b", lambda: short_tr, lambda tr: None, epochs=2, estimate=1.0)
    assert slots.wait_for_waiters(1, HANG)  # the short run queues behind the long one's chunk
    long_tr.end_chunk()
    assert began.get(timeout=HANG) == "short"  # 1 s left against 594 s: the short run goes first
    short_tr.end_chunk()
    assert began.get(timeout=HANG) == "short"
    short_tr.end_chunk()
    assert short.finished.wait(HANG) and short.state == "done"
    assert began.get(timeout=HANG) == "long" and not long.finished.is_set() and long.epoch == 1
    long.leave("a")
    long_tr.end_chunk()
    assert long.finished.wait(HANG) and long.state == "cancelled" and long.epoch == 2


def test_a_table_training_takes_only_a_core_the_class_leaves_free():
    """A session's own table (TABLE_JOBS) trains behind the class: each chunk also needs one of the server's
    slots, asked for behind every shared or live training waiting there, so three trainings never run on two
    cores and a class's shared run never waits for a table."""
    clock, began = Clock(), queue.Queue()
    server = TrainingSlots(1, clock=clock)  # the class's slots (frozen clock: nobody gives up a place)
    tables = Jobs(TrainingSlots(1, clock=clock), idle_timeout=30, clock=clock, after=server)
    class_jobs = Jobs(server, idle_timeout=30, clock=clock)
    table_tr, shared_tr = ChunkTrainer(3, began, "table"), ChunkTrainer(1, began, "shared")
    server.acquire()  # a live Train page chunk holds the server's only slot
    table = tables.start("t", "alice", lambda: table_tr, lambda tr: None, epochs=3, estimate=1.0)
    assert server.wait_for_waiters(1, HANG) and table.state == "queued"  # its own slot is free, the server's is not
    shared = class_jobs.start("s", "bob", lambda: shared_tr, lambda tr: None, epochs=1, estimate=600.0)
    assert server.wait_for_waiters(2, HANG)
    server.release()
    assert began.get(timeout=HANG) == "shared"  # 600 s left, yet ahead of the table's 1 s: the class goes first
    shared_tr.end_chunk()
    assert shared.finished.wait(HANG) and shared.state == "done"
    for _ in range(3):
        assert began.get(timeout=HANG) == "table" and server.full()  # the table trains on the server's slot
        table_tr.end_chunk()
    assert table.finished.wait(HANG) and table.state == "done"
    assert not server.full() and not tables.slots.full()


def test_slots_serve_the_smallest_priority_first_then_in_arrival_order():
    slots = TrainingSlots(1)
    slots.acquire()
    order = []

    def wait(priority: float, name: str) -> None:
        slots.acquire(priority=priority)
        order.append(name)
        slots.release()

    threads = []
    for k, (priority, name) in enumerate([(5.0, "a"), (1.0, "b"), (3.0, "c"), (1.0, "d")], start=1):
        threads.append(threading.Thread(target=wait, args=(priority, name)))
        threads[-1].start()
        assert slots.wait_for_waiters(k, HANG)  # each in the queue before the next arrives
    slots.release()
    for t in threads:
        t.join(HANG)
    assert order == ["b", "d", "c", "a"]
    assert slots.acquire(timeout=0.0)  # every waiter gave its slot back
    assert not slots.acquire(timeout=0.0)  # taken now: a caller that cannot wait is refused at once
    assert slots.waiters() == 0  # and leaves the queue
    slots.release()
    assert not slots.full()


def test_training_asked_for_inside_a_cached_function_waits_without_widgets():
    """A cached function that needs an untrained run gets it (no Cancel button, which Streamlit forbids
    inside a cached function)."""
    def script():
        import streamlit as st

        from aeviz import DataConfig, ModelConfig, TrainConfig
        from aeviz.ui.runs import finished_run

        @st.cache_data
        def epochs_of(seed: int) -> int:
            return finished_run(DataConfig("line"), ModelConfig(hidden=(4,)), TrainConfig(epochs=3, seed=seed)).epoch

        st.markdown(f"epochs {epochs_of(7)}")

    at = AppTest.from_function(script, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.markdown[0].value == "epochs 3"


def test_shutdown_stops_every_job_before_the_process_exits():
    jobs = Jobs(TrainingSlots(2), idle_timeout=30, clock=Clock())
    a, b = ChunkTrainer(100, name="a"), ChunkTrainer(100, name="b")
    ja = jobs.start("a", "alice", lambda: a, lambda tr: None, epochs=100)
    jb = jobs.start("b", "bob", lambda: b, lambda tr: None, epochs=100)
    a.next_chunk(), b.next_chunk()
    stopper = threading.Thread(target=jobs.shutdown, args=(HANG,))
    stopper.start()
    a.end_chunk(), b.end_chunk()  # each chunk under way ends; no job starts another
    stopper.join(HANG)
    assert not stopper.is_alive()
    assert ja.state == jb.state == "cancelled" and jobs.running() == 0
    assert a.began.empty() and b.began.empty()


def test_a_table_jobs_thread_runs_below_the_pages_threads():
    """TABLE_JOBS' threads lower their own OS priority (nice, per thread on Linux); the thread that serves the
    pages keeps its own."""
    import os

    from aeviz.jobs import lower_priority
    from aeviz.ui.runs import TABLE_JOBS

    if not hasattr(os, "setpriority"):
        pytest.skip("no per-thread priority on this OS")
    seen = {}

    def job():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        seen["took"] = lower_priority(TABLE_JOBS.nice)
        seen["change"] = os.getpriority(os.PRIO_PROCESS, tid) - before
        seen["before"] = before

    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    t = threading.Thread(target=job)
    t.start()
    t.join(HANG)
    assert TABLE_JOBS.nice > 0 and seen["took"] is True
    assert seen["change"] == min(19, seen["before"] + TABLE_JOBS.nice) - seen["before"] > 0 or seen["before"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before
    assert lower_priority(0) is False
