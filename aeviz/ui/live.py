"""Live training on the Train page: Play / Pause / Step / Reset, drawn by a fragment between chunks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ..config import DEFAULTS
from ..figures import loss_figure
from ..models import build
from ..train import Trainer
from .cache import dataset, training_slot
from .runs import OverBudget, check_budget, finished_run, has_finished_run, uploaded_run
from .state import LIVE, Configs

CHUNK_SECONDS = 0.3  # least training time between two redraws of the curve
OVERHEAD = 0.35  # at most this share of the wall-clock time goes to drawing, not training


@dataclass
class LiveRun:
    """One session's live run: the trainer, the settings it was started with, and the play clock."""

    cfgs: Configs
    trainer: Trainer
    playing: bool = False
    wall: float = 0.0  # wall-clock seconds spent playing, drawing included
    resumed: float | None = field(default=None)
    chunks: int = 0  # training chunks run while playing
    trained: float = 0.0  # training seconds inside those chunks

    def chunk_seconds(self) -> float:
        """Training time for the next chunk: long enough that redrawing stays under OVERHEAD of the time."""
        if self.chunks == 0:
            return CHUNK_SECONDS
        per_draw = max(0.0, self.elapsed() - self.trained) / self.chunks
        return max(CHUNK_SECONDS, per_draw * (1 - OVERHEAD) / OVERHEAD)

    def play_chunk(self) -> None:
        """Train for one chunk and book its time."""
        before = self.trainer.seconds
        self.trainer.step_for(self.chunk_seconds())
        self.chunks += 1
        self.trained += self.trainer.seconds - before

    def play(self) -> None:
        """Start (or resume) the clock."""
        self.playing, self.resumed = True, time.perf_counter()

    def pause(self) -> None:
        """Stop the clock."""
        if self.resumed is not None:
            self.wall += time.perf_counter() - self.resumed
        self.playing, self.resumed = False, None

    def elapsed(self) -> float:
        """Wall-clock seconds played so far."""
        return self.wall + (time.perf_counter() - self.resumed if self.resumed is not None else 0.0)


def _new_run(cfgs: Configs) -> LiveRun:
    data_cfg, model_cfg, train_cfg = cfgs
    data = dataset(data_cfg)
    check_budget(data_cfg, model_cfg, train_cfg, data)  # the same limit as every other training
    return LiveRun(cfgs, Trainer(build(model_cfg, data, seed=train_cfg.seed), data, train_cfg))


def _buttons(live: LiveRun | None, cfgs: Configs) -> LiveRun | None:
    """Draw the four controls and apply the one pressed; returns the (possibly new) live run."""
    cols = st.columns(4)
    playing = live is not None and live.playing
    play = cols[0].button("Play", icon=":material/play_arrow:", disabled=playing, width="stretch", type="primary")
    pause = cols[1].button("Pause", icon=":material/pause:", disabled=not playing, width="stretch")
    step = cols[2].button("Step (1 epoch)", icon=":material/skip_next:", width="stretch")
    reset = cols[3].button("Reset", icon=":material/restart_alt:", disabled=live is None, width="stretch")
    stale = live is None or live.cfgs != cfgs or live.trainer.done
    try:
        if play:
            live = _new_run(cfgs) if stale else live
            live.play()
        elif pause and live is not None:
            live.pause()
        elif step:
            live = _new_run(cfgs) if stale else live
            live.pause()
            with training_slot():
                live.trainer.step(1)
        elif reset:
            live = None
    except OverBudget as exc:  # settings that would cost the server too much
        st.error(str(exc))
        live = None
    except ValueError as exc:  # settings that cannot be built
        st.error(f"These settings cannot be built: {exc}")
        live = None
    return live


@st.fragment
def _panel(cfgs: Configs) -> None:
    live: LiveRun | None = st.session_state.get(LIVE)
    drawn = _button_state(live)  # the state the buttons are drawn in
    live = _buttons(live, cfgs)
    st.session_state[LIVE] = live
    if live is not None and live.playing and live.cfgs != cfgs:
        live.pause()  # the settings moved under a running model: stop rather than mix them
    if live is not None and live.playing:
        with training_slot():
            live.play_chunk()
        if live.trainer.done:
            live.pause()
    if live is None:
        _show_cached(cfgs)
    else:
        _show_live(live, cfgs)
    if _button_state(live) != drawn or (live is not None and live.playing):
        try:  # keep training, or redraw the buttons once their state has changed
            st.rerun(scope="fragment")
        except StreamlitAPIException:  # a full-page run (e.g. a sidebar change) cannot rerun a fragment
            if live is not None:
                live.pause()


def _button_state(live: LiveRun | None) -> tuple[bool, bool]:
    return live is None, live is not None and live.playing


def _show_live(live: LiveRun, cfgs: Configs) -> None:
    tr = live.trainer
    if live.cfgs != cfgs:
        st.warning("The settings in the sidebar changed since this model was trained: it no longer matches "
                   "them. Press Play to train the new settings, or Reset.")
    E = tr.cfg.epochs
    status = "finished" if tr.done and not tr.error else ("playing" if live.playing else "paused")
    st.progress(min(1.0, tr.epoch / E), text=f"Epoch {tr.epoch} / {E} · {live.elapsed():.1f} s elapsed "
                f"(training itself {tr.seconds:.1f} s) · {status}")
    if tr.error:
        st.error(tr.error)
    _curve_and_numbers(tr)
    if tr.done and not tr.error:
        finished_run(*live.cfgs, _trainer=tr)  # share the finished model with every page and session
        st.success(f"Finished {E} epochs in {live.elapsed():.2f} s. Every page now uses this model.")


def _curve_and_numbers(tr: Trainer) -> None:
    st.plotly_chart(loss_figure(tr.history, epochs=tr.cfg.epochs), key="loss_curve")
    train_mse, test_mse = tr.final("recon")
    c1, c2 = st.columns(2)
    c1.metric("Train reconstruction error", "—" if not tr.history else f"{train_mse:.4f}")
    c2.metric("Test reconstruction error", "—" if not tr.history else f"{test_mse:.4f}")


def _show_cached(cfgs: Configs) -> None:
    """Before any Play: the finished model every page uses (the default, or settings already trained),
    so the page is never empty; other settings wait for Play rather than train out of sight."""
    uploaded = uploaded_run(cfgs)
    if uploaded is not None:
        st.info("These are the weights you uploaded (sidebar, *Download or restore this model*): every page uses "
                "them in your session. Press Play to train these settings from scratch instead.")
        _curve_and_numbers(uploaded)
        return
    if cfgs != DEFAULTS and not has_finished_run(*cfgs):
        st.info("These settings have not been trained yet. Press Play to watch them train, or Step to go one "
                "epoch at a time; the other pages train them in one go when you open them.")
        return
    try:
        tr = finished_run(*cfgs)
    except ValueError as exc:
        st.error(f"These settings cannot be built: {exc}")
        return
    st.info("This is the trained model every page uses for these settings (trained once and shared). "
            "Press Play to watch it train from scratch, or Step to go one epoch at a time.")
    if tr.error:
        st.error(tr.error)
    _curve_and_numbers(tr)


def live_training(cfgs: Configs) -> None:
    """The Train page's live panel for these settings."""
    _panel(cfgs)
