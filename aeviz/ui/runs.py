"""Which trained run a session sees, decided in one place: the weights it uploaded for these settings,
else its own finished live run, else the server's shared run for these settings (trained once, in the
background, while the pages that need it wait and can cancel).

Every run is a frozen `aeviz.run.Run` with an identity, `Run.id`; anything computed from a run is cached
under that id (`cache.per_run`), never under the settings alone, so one session's upload never shows up in
another's numbers.
Shared training is budgeted (aeviz.budget) before it starts and stops when nobody waits for it
(aeviz.jobs); finished runs are kept in a store bounded in bytes.

A run on a session's own uploaded table (DataConfig name "upload") is trained in the background like the
shared ones (TABLE_JOBS: the same Jobs, heartbeats and budget check, on half of the server's training slots,
so that tables trained at once leave the class's pages a core, and each chunk also behind every shared or
live training waiting for the server's slots, so that the class's own trainings go first), under a job key that names the session
(nobody else can join it), and is kept in that session's state (state.TABLE_RUNS), not in the server's STORE: at most MAX_TABLE_RUNS runs and
MAX_TABLE_RUN_BYTES bytes (Run.nbytes) per session, least recently used out first; it goes with the session.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import time
from typing import Callable, Hashable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function

from ..budget import over_budget, training_cost
from ..config import DEFAULTS, DataConfig, ModelConfig, TrainConfig
from ..datasets import UPLOAD, Dataset, defaults_for
from ..jobs import Jobs, RunStore, TrainingSlots, store_megabytes
from ..models import build
from ..run import Run
from ..train import Trainer
from .cache import SLOTS, dataset
from .state import CANCELLED, LIVE, TABLE_RUNS, UPLOADED, Configs, configs

IDLE_SECONDS = 8.0  # a shared training nobody has waited for this long is cancelled
STORE = RunStore(int(store_megabytes() * 1e6))  # finished runs, shared by every session (no user data)
JOBS = Jobs(SLOTS, idle_timeout=IDLE_SECONDS)
TABLE_JOBS = Jobs(TrainingSlots(max(1, SLOTS.n // 2)), idle_timeout=IDLE_SECONDS, after=SLOTS, nice=19)  # own tables
atexit.register(JOBS.shutdown)  # stop background trainings before the interpreter exits
atexit.register(TABLE_JOBS.shutdown)
MAX_TABLE_RUNS = 6  # runs on its own table one session keeps (the sweeps and comparisons train a few)
MAX_TABLE_RUN_BYTES = 64_000_000
WARM_UP = "server start"  # who waits for the trainings serve.py starts before anyone visits


class OverBudget(ValueError):
    """The settings would cost more training than this server allows; the message says what to lower."""


def session_id() -> str:
    """This browser session's id (a stand-in outside a Streamlit run)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _key_id(key: Hashable) -> str:
    return hashlib.sha1(repr(key).encode()).hexdigest()[:12]


# ---------------------------------------------------------------- budget


def budget_message(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                   data: Dataset | None = None) -> str | None:
    """None if training these settings fits this server's budget, else what to lower."""
    data = data if data is not None else dataset(data_cfg)
    return over_budget(model_cfg, train_cfg, len(data.X_train), data.n_features)


def check_budget(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 data: Dataset | None = None) -> None:
    """Raise OverBudget if these settings cost more than this server allows."""
    msg = budget_message(data_cfg, model_cfg, train_cfg, data)
    if msg:
        raise OverBudget(msg)


# ---------------------------------------------------------------- runs on a session's own table


def on_session_table(key: Hashable) -> bool:
    """True if `key` (settings, or a tuple holding them) names a training on a session's uploaded table."""
    if isinstance(key, DataConfig):
        return key.name == UPLOAD
    return isinstance(key, tuple) and any(isinstance(k, DataConfig) and k.name == UPLOAD for k in key)


def _table_runs() -> dict:
    return st.session_state.setdefault(TABLE_RUNS, {})


def table_run(key: Hashable) -> Run | None:
    """This session's finished run for `key` on its own table, if it holds one."""
    runs = st.session_state.get(TABLE_RUNS, {})
    run = runs.get(key)
    if run is not None:  # most recently used last
        runs[key] = runs.pop(key)
    return run


def keep_table_run(key: Hashable, run: Run) -> Run:
    """Keep `run` in this session for `key`, dropping its oldest table runs past the per-session bounds."""
    runs = _table_runs()
    runs.pop(key, None)
    runs[key] = run
    while len(runs) > 1 and (len(runs) > MAX_TABLE_RUNS or sum(r.nbytes() for r in runs.values()) > MAX_TABLE_RUN_BYTES):
        runs.pop(next(iter(runs)))
    return run


# ---------------------------------------------------------------- shared runs


def has_finished_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> bool:
    """True if these settings are trained and stored on this server, or in this session for its own table (so
    showing them is instant)."""
    key = (data_cfg, model_cfg, train_cfg)
    return table_run(key) is not None if on_session_table(key) else key in STORE


def _log_training(key: Hashable, run: Run) -> None:
    """One line per shared training run, if AEVIZ_TRAIN_LOG names a file (load tests count them)."""
    path = os.environ.get("AEVIZ_TRAIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.time():.3f}\t{run.seconds:.3f}\t{key!r}\n")


def shared_run(key: Hashable, data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
               what: str = "Training this configuration (once per server)", data_cfg: DataConfig | None = None) -> Run:
    """The server's finished run for `key` (a model of `model_cfg` trained on `data`, drawn from
    `data_cfg`'s dataset): stored, or trained now in the background while this page shows progress and a
    Cancel button.

    Raises OverBudget (a ValueError) before training if the settings are too costly, ValueError if
    they cannot be built; stops the page with a message if the training was cancelled. A key on this session's
    own table is trained for this session alone and kept in its state (see the module's docstring).
    """
    own = on_session_table(key)
    run = table_run(key) if own else STORE.get(key)
    if run is not None:
        return run
    check_budget(None, model_cfg, train_cfg, data)
    cancelled = st.session_state.setdefault(CANCELLED, set())
    kid = _key_id(key)
    if key in cancelled:
        _cancelled(key, kid, "You cancelled the training of these settings. Change them in the sidebar, or train "
                             "them now.")
    if own:
        what = "Training these settings on your table (for your session only)"
    run = _wait(start_training(key, data, model_cfg, train_cfg, data_cfg=data_cfg), key, kid, what)
    return keep_table_run(key, run) if own else run


def start_training(key: Hashable, data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig, who: str | None = None,
           data_cfg: DataConfig | None = None):
    """The background job that trains `key`'s run into the store, joined by `who` (default: this session); on a
    session's own table, a job of this session alone whose run is handed back, not stored."""
    own = on_session_table(key)

    def make() -> Trainer:
        return Trainer(build(model_cfg, data, seed=train_cfg.seed), data, train_cfg)

    def done(trainer: Trainer) -> Run:
        run = trainer.to_run(data_cfg, key=key)  # the id names the settings: the same in every session
        if not own:  # (a table's key holds the session's own table key, so its id is this session's)
            STORE.put(key, run)
        _log_training(key, run)
        return run

    estimate = training_cost(model_cfg, train_cfg, len(data.X_train), data.n_features).seconds
    if own:
        return TABLE_JOBS.start(("session", session_id(), key), who or session_id(), make, done,
                                epochs=train_cfg.epochs, estimate=estimate)
    return JOBS.start(key, who or session_id(), make, done, epochs=train_cfg.epochs, estimate=estimate)


def warm_up(cfgs: Configs) -> None:
    """If `cfgs` are the defaults of their dataset (what a class's link opens on) and nobody has trained
    them yet, start that training in the background without waiting, so the pages that need the model
    (the latent map, reconstruction, ...) find it ready or nearly. Any other settings train when a page
    asks for them, never out of sight."""
    if cfgs != defaults_for(cfgs[0].name) or on_session_table(cfgs) or cfgs in STORE or JOBS.get(cfgs) is not None:
        return
    if session_run(cfgs) is not None or cfgs in st.session_state.get(CANCELLED, ()):
        return
    data = dataset(cfgs[0])
    if budget_message(*cfgs, data):
        return
    start_training(cfgs, data, cfgs[1], cfgs[2], data_cfg=cfgs[0])


def _cancelled(key: Hashable, kid: str, text: str) -> None:
    """Say this session cancelled `key`'s training, offer to train it again, and stop the page."""
    st.info(text)
    if st.button("Train these settings", key=f"retrain_{kid}", icon=":material/play_arrow:"):
        st.session_state[CANCELLED].discard(key)
        st.rerun()
    st.stop()


def _wait(job, key: Hashable, kid: str, what: str) -> Run:
    """Show the job's progress until it ends, sending heartbeats; Cancel leaves it."""
    sid = session_id()
    if in_cached_function.get():  # no widgets inside a cached function: wait quietly
        job.wait(sid)
        return _result(job, key)
    holder = st.empty()
    with holder.container():
        bar = st.progress(0.0, text=f"{what}…")
        cancel = st.button("Cancel training", key=f"cancel_{kid}", icon=":material/stop:",
                           help="Stop waiting for this training. It stops for the whole server unless "
                                "someone else is waiting for the same settings.")
    if cancel:
        job.leave(sid)
        st.session_state.setdefault(CANCELLED, set()).add(key)
        holder.empty()
        _cancelled(key, kid, "Training cancelled. Change the settings in the sidebar (fewer epochs, a smaller "
                             "network), or train them again.")
    while not job.finished.wait(0.25):
        job.watch(sid)
        if job.state == "queued":
            slots = TABLE_JOBS.slots.n if on_session_table(key) else SLOTS.n
            text = (f"{what}: waiting for one of the server's {slots} training slots (others are training "
                    "right now)…")
        else:
            text = f"{what}: epoch {job.epoch} of {job.epochs}"
        # each update also lets Streamlit stop this script when the tab closes (the job then times out)
        bar.progress(min(1.0, job.epoch / max(1, job.epochs)), text=text)
    holder.empty()
    return _result(job, key)


def _result(job, key: Hashable) -> Run:
    """The finished job's run; ValueError if it failed; the page stops with a note if it was cancelled."""
    if job.state == "done":
        return job.result if on_session_table(key) else STORE.get(key) or job.result
    if job.state == "failed":
        raise ValueError(job.error)
    st.info("This training was stopped before it finished (nobody was waiting for it). Reload the page to "
            "train these settings again.")
    st.stop()


def finished_run(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 _run: Run | None = None) -> Run:
    """The server's shared run for these settings; `_run`, if given, is a finished live run to
    store instead of training again."""
    key = (data_cfg, model_cfg, train_cfg)
    if _run is not None and on_session_table(key):
        return table_run(key) or keep_table_run(key, _run)
    if _run is not None:
        if key not in STORE:
            STORE.put(key, _run)
        return STORE.get(key) or _run
    return shared_run(key, dataset(data_cfg), model_cfg, train_cfg, data_cfg=data_cfg)


# ---------------------------------------------------------------- the session's run


def uploaded_run(cfgs: Configs) -> Run | None:
    """This session's uploaded model if it was loaded for exactly these settings, else None."""
    slot = st.session_state.get(UPLOADED)
    run = getattr(slot, "run", None)
    if run is not None and getattr(slot, "cfgs", None) == cfgs:
        return run
    return None


def session_run(cfgs: Configs) -> Run | None:
    """A run this session holds for these settings (uploaded, or a finished live run), if any."""
    run = uploaded_run(cfgs)
    if run is not None:
        return run
    live = st.session_state.get(LIVE)
    if live is not None and live.cfgs == cfgs and live.trainer.done:
        return live.run()
    return None


def run_for(cfgs: Configs) -> Run:
    """The run this session sees for `cfgs`: its own (uploaded or live) if it holds one, else the shared one."""
    return session_run(cfgs) or finished_run(*cfgs)


def current_run() -> Run:
    """The trained model for this session's sidebar settings."""
    return run_for(configs())


def model_or_stop() -> Run:
    """The current trained run; if its settings are impossible, too costly, or training diverged, say
    why and stop the page there (the rest of the app stays usable)."""
    return run_or_stop(current_run)


def run_or_stop(get_run: Callable[..., Run], *args) -> Run:
    """`get_run(*args)`, or a clear message and the end of the page if it cannot be built or trained."""
    try:
        run = get_run(*args)
    except OverBudget as exc:
        st.error(str(exc))
        st.stop()
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        st.stop()
    if run.error and not run.history:
        st.error(run.error)
        st.stop()
    if run.error:
        st.warning(run.error + " The pages below show that last finite model.")
    return run
