"""Training that a server shares between its visitors: a cap on concurrent runs, background jobs that
stop when nobody waits for them, and a store of finished runs bounded in bytes.

Nothing here knows about Streamlit. A page that needs a run starts (or joins) a job and keeps
"watching" it (a heartbeat) while it waits; a job whose watchers have all gone quiet for
`idle_timeout` seconds, or that every watcher cancelled, stops between two chunks of training.
Finished runs go into a `RunStore` that evicts the least recently used run once the total bytes
held pass its limit. These objects hold configs and trained runs, never per-user data.

The heartbeats are read on an injectable `clock` (seconds, `time.monotonic` by default), so a test
can make a watcher go quiet by moving its own clock instead of sleeping.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Callable, Hashable

from .run import Run
from .train import Trainer

Clock = Callable[[], float]  # seconds on some fixed scale; time.monotonic unless a test brings its own
LAST = 1e12  # a priority behind any run's seconds left (Jobs' `after` slots)


class TrainingSlots:
    """A server-wide cap on concurrent training (one slot per core): a class that all presses Play at
    once queues instead of slowing every run to a crawl.

    Waiters are served smallest `priority` first (ties in arrival order): shared jobs ask with the
    training they have left, one chunk at a time, so a student's small new run overtakes a long one
    instead of queueing behind it; the Train page's live chunks ask with priority 0."""

    def __init__(self, n: int, clock: Clock = time.monotonic):
        self.n = n
        self.clock = clock  # what an acquire timeout is measured on (one that never moves never times out)
        self._cond = threading.Condition()
        self._waiting: list[tuple[float, int]] = []  # heap of (priority, arrival number)
        self._arrivals = itertools.count()
        self.busy = 0

    def acquire(self, timeout: float | None = None, priority: float = 0.0) -> bool:
        """Take a slot when it is this caller's turn (waiting at most `timeout` seconds); True if taken."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            ticket = (priority, next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            self._cond.notify_all()  # for wait_for_waiters
            while self.busy >= self.n or self._waiting[0] != ticket:
                left = None if deadline is None else deadline - self.clock()
                if left is not None and left <= 0:
                    self._waiting.remove(ticket)
                    heapq.heapify(self._waiting)
                    self._cond.notify_all()
                    return False
                self._cond.wait(left)
            heapq.heappop(self._waiting)
            self.busy += 1
            self._cond.notify_all()  # the next waiter may fit in another free slot
            return True

    def release(self) -> None:
        """Give a slot taken with `acquire` back."""
        with self._cond:
            self.busy -= 1
            self._cond.notify_all()

    @contextmanager
    def hold(self, priority: float = 0.0):
        """Wait for a slot, train inside the block, give the slot back."""
        self.acquire(priority=priority)
        try:
            yield
        finally:
            self.release()

    def full(self) -> bool:
        """True when every slot is taken (the next run will queue)."""
        return self.busy >= self.n

    def waiters(self) -> int:
        """How many callers are waiting for a slot."""
        with self._cond:
            return len(self._waiting)

    def wait_for_waiters(self, n: int, timeout: float | None = None) -> bool:
        """Block until at least `n` callers wait for a slot (at most `timeout` seconds); True if they do."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._waiting) >= n, timeout)


class Job:
    """One training run in a background thread, with the sessions that wait for it.

    `state` is "queued", "running", "done", "cancelled" or "failed"; `trainer` appears once it runs, and
    `result` (what `on_done` returned: the finished Run) once it is done.
    """

    def __init__(self, key: Hashable, epochs: int, idle_timeout: float, estimate: float = 0.0,
                 clock: Clock = time.monotonic):
        self.key = key
        self.epochs = epochs
        self.estimate = estimate  # estimated CPU seconds of the whole run (aeviz.budget)
        self.idle_timeout = idle_timeout
        self.clock = clock  # when heartbeats happen and how old they are
        self.state = "queued"
        self.error: str | None = None
        self.trainer: Trainer | None = None
        self.result: Run | None = None
        self.finished = threading.Event()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._watchers: dict[str, float] = {}

    def watch(self, who: str) -> None:
        """`who` (a session) still waits for this run: a heartbeat."""
        with self._lock:
            self._watchers[who] = self.clock()

    def wait(self, who: str, poll: float = 0.25) -> None:
        """Block until the job ends, watching it as `who` (a heartbeat every `poll` seconds of real time)."""
        while not self.finished.wait(poll):
            self.watch(who)

    def leave(self, who: str) -> None:
        """`who` no longer waits; the run is cancelled at once if nobody else does."""
        with self._lock:
            self._watchers.pop(who, None)
            if not self._watchers:
                self._cancel.set()

    def cancel(self) -> None:
        """Stop the run at the next chunk boundary, whoever waits for it."""
        self._cancel.set()

    def watched(self) -> bool:
        """True while some session has sent a heartbeat within `idle_timeout` seconds."""
        now = self.clock()
        with self._lock:
            return any(now - t < self.idle_timeout for t in self._watchers.values())

    def should_stop(self) -> bool:
        """True once the run was cancelled or nobody watches it any more."""
        return self._cancel.is_set() or not self.watched()

    @property
    def epoch(self) -> int:
        """Epochs completed so far (0 while queued)."""
        return self.trainer.epoch if self.trainer is not None else 0

    def remaining(self) -> float:
        """Estimated training seconds left: its priority for the next chunk (less goes first)."""
        return self.estimate * (1 - self.epoch / max(1, self.epochs))


def lower_priority(nice: int) -> bool:
    """Lower this thread's scheduling priority by `nice` (on Linux a thread has its own nice value): a training
    thread that holds no Python lock then takes a core only when the pages' threads leave it, instead of
    preempting the thread that holds the lock everybody waits for. True if the OS took it."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
        return True
    except OSError:
        return False


class Jobs:
    """Starts at most one background job per key, runs it inside a training slot in chunks of
    `chunk_seconds`, and stops it when `Job.should_stop()` says so; its jobs read heartbeats on `clock`.

    With `after`, each chunk also needs one of those slots (taken after its own, given back first), asked
    for behind every waiter there: these jobs train only on a core that the `after` slots' trainings
    leave free, never beside them on more cores than the server has. (Sessions' own tables run so
    behind the class's shared runs and the Train page's live chunks.)"""

    def __init__(self, slots: TrainingSlots, idle_timeout: float = 5.0, chunk_seconds: float = 0.2,
                 clock: Clock = time.monotonic, after: TrainingSlots | None = None, nice: int = 0):
        self.slots = slots
        self.after = after
        self.nice = nice  # how much lower than the pages' threads the OS runs these jobs' threads (Linux: per thread)
        self.idle_timeout = idle_timeout
        self.chunk_seconds = chunk_seconds
        self.clock = clock
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()

    def start(self, key: Hashable, who: str, make: Callable[[], Trainer], on_done: Callable[[Trainer], Run | None],
              epochs: int, estimate: float = 0.0) -> Job:
        """The running job for `key`, joined by `who`; or a new one that builds its trainer with
        `make()` and hands the finished trainer to `on_done` (which returns the job's `result`)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not job.finished.is_set() and not job._cancel.is_set():
                job.watch(who)
                return job
            job = Job(key, epochs, self.idle_timeout, estimate, clock=self.clock)
            job.watch(who)
            self._jobs[key] = job
        threading.Thread(target=self._work, args=(job, make, on_done), daemon=True,
                         name=f"aeviz-train-{abs(hash(key)) % 10**6}").start()
        return job

    def get(self, key: Hashable) -> Job | None:
        """The job for `key` if one is queued or running."""
        with self._lock:
            job = self._jobs.get(key)
        return job if job is not None and not job.finished.is_set() else None

    def running(self) -> int:
        """How many jobs are queued or running."""
        with self._lock:
            return sum(not j.finished.is_set() for j in self._jobs.values())

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every queued or running job and wait (up to `timeout` s in all) for them to stop, so the
        process can exit while no thread is inside torch (which aborts the interpreter at exit)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        end = time.monotonic() + timeout
        for job in jobs:
            job.finished.wait(max(0.0, end - time.monotonic()))

    def _work(self, job: Job, make: Callable[[], Trainer], on_done: Callable[[Trainer], Run | None]) -> None:
        lower_priority(self.nice)
        try:
            trainer = None
            while True:  # one chunk per slot turn: the run with the least training left goes first
                if job.should_stop():
                    job.state = "cancelled"
                    return
                if not self.slots.acquire(timeout=0.2, priority=job.remaining()):
                    continue
                try:
                    if self.after is not None and not self.after.acquire(timeout=0.2, priority=LAST + job.remaining()):
                        continue
                    try:
                        if trainer is None:
                            job.trainer = trainer = make()
                            job.state = "running"
                        trainer.step_for(self.chunk_seconds)
                    finally:
                        if self.after is not None:
                            self.after.release()
                finally:
                    self.slots.release()
                if trainer.done:
                    break
            trainer.model.eval()
            job.result = on_done(trainer)
            job.state = "done"
        except Exception as exc:  # a setting that cannot be built: the waiting page shows the message
            job.state, job.error = "failed", str(exc) or type(exc).__name__
        finally:
            with self._lock:
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]
            job.finished.set()


class RunStore:
    """Finished runs by key, least recently used first out once their bytes pass `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._runs: OrderedDict[Hashable, Run] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Run | None:
        """The stored run for `key` (now the most recently used), or None."""
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
            return run

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._runs

    def put(self, key: Hashable, run: Run) -> None:
        """Store `run`, evicting the least recently used runs until the total fits (the newest stays)."""
        size = run.nbytes()
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            self._sizes[key] = size
            while len(self._runs) > 1 and self.nbytes_locked() > self.max_bytes:
                old, _ = self._runs.popitem(last=False)
                self._sizes.pop(old, None)

    def nbytes_locked(self) -> int:
        """Bytes held (the caller holds the lock)."""
        return sum(self._sizes.values())

    def nbytes(self) -> int:
        """Bytes held by the stored runs."""
        with self._lock:
            return self.nbytes_locked()

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def clear(self) -> None:
        """Forget every run (tests)."""
        with self._lock:
            self._runs.clear()
            self._sizes.clear()


def store_megabytes() -> float:
    """The finished-run store's limit in MB: AEVIZ_CACHE_MB, default 200."""
    try:
        value = float(os.environ.get("AEVIZ_CACHE_MB", "200"))
    except ValueError:
        value = 200.0
    return value if value > 0 else 200.0
