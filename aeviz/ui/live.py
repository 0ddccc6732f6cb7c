"""Live training on the Train page: Play / Pause / Step / Reset and a speed, drawn by a fragment between
chunks: the loss curve and, beside it, the latent map as it is right now."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from ..analysis import latent as la
from ..analysis.core import encode
from ..datasets import Dataset, defaults_for
from ..figures.live import follow_box, latent_chart, loss_chart
from ..models import build
from ..run import Run
from ..train import DEFAULT_SPEED, SPEEDS, Trainer
from .cache import dataset, training_slot
from .lesson import font_px, hidden, link_value, linked
from .runs import OverBudget, check_budget, finished_run, has_finished_run, uploaded_run
from .state import LIVE, Configs

CHUNK_SECONDS = 0.3  # least training time between two redraws at full speed
OVERHEAD = 0.35  # at full speed, at most this share of the wall-clock time goes to drawing, not training
FRAME = 0.3  # about this many seconds between two redraws at a set speed
CATCH_UP = 4  # a late redraw trains at most this many times the usual chunk, to keep the set speed
FULL_SPEED_TICK = 0.05  # at full speed the next chunk is asked for as soon as the page has drawn
CHART_HEIGHT = 300  # the loss curve and the live map, side by side (stacked on a phone)
SPEED_KEY = "speed"  # the speed control's widget key, also its URL parameter (?speed=Slow)


def chunk_epochs(rate: float) -> int:
    """Epochs per redraw at `rate` epochs per second (at least one)."""
    return max(1, round(rate * FRAME))


def tick_seconds(rate: float | None) -> float:
    """Seconds between two chunks at `rate` (the browser asks for each one; the server sleeps meanwhile)."""
    return FULL_SPEED_TICK if rate is None else chunk_epochs(rate) / rate


@dataclass
class LiveRun:
    """One session's live run: the trainer, the settings it was started with, the play clock and pacing,
    and the live map's axes (kept between redraws so they do not jump). `run()` is its frozen record."""

    cfgs: Configs
    trainer: Trainer
    playing: bool = False
    rate: float | None = None  # the speed the page's timer was set for (epochs per second; None: full speed)
    timed: bool = False  # True once a page run has set the timer for this play
    wall: float = 0.0  # wall-clock seconds spent playing, drawing and waiting included
    resumed: float | None = field(default=None)
    chunk_epochs: list[int] = field(default_factory=list)  # epochs trained by each chunk while playing
    trained: float = 0.0  # training seconds inside those chunks
    gaps: list[float] = field(default_factory=list)  # full speed: seconds between two chunks (drawing, reruns)
    last_start: float | None = None  # perf_counter time the previous chunk started
    last_end: float | None = None  # perf_counter time the previous chunk ended
    box: tuple[np.ndarray, np.ndarray] | None = None  # the live map's axis limits
    axes: np.ndarray | None = None  # the live map's principal axes (latent > 2), to keep their signs
    _record: tuple[tuple, Run] | None = field(default=None, repr=False)  # (trainer state, its Run)

    def run(self) -> Run:
        """The record of this run as it is now (made once per epoch reached, so a pause or the end costs
        one copy of the weights); what every other page uses once training has finished."""
        tr = self.trainer
        state = (tr.epoch, tr.error)
        if self._record is None or self._record[0] != state:
            self._record = (state, tr.to_run(self.cfgs[0] if self.cfgs else None))
        return self._record[1]

    @property
    def chunks(self) -> int:
        """Training chunks run while playing."""
        return len(self.chunk_epochs)

    def chunk_seconds(self) -> float:
        """Full speed: training time for the next chunk, long enough that redrawing stays under OVERHEAD."""
        if not self.gaps:
            return CHUNK_SECONDS
        per_draw = sum(self.gaps[-10:]) / len(self.gaps[-10:])
        return max(CHUNK_SECONDS, per_draw * (1 - OVERHEAD) / OVERHEAD)

    def epochs_due(self, rate: float, now: float) -> int:
        """Epochs to train now at `rate`: the usual chunk, more (up to CATCH_UP times) if this redraw
        comes late, fewer if early, so the run keeps to the set epochs per second on a busy server."""
        usual = chunk_epochs(rate)
        if self.last_start is None:
            return usual
        return int(min(max(1, round(rate * (now - self.last_start))), CATCH_UP * usual))

    def play_chunk(self, rate: float | None = None) -> int:
        """Train one chunk and book it: at `rate` epochs per second, or (None) as many epochs as fit in
        `chunk_seconds()`. Returns the epochs trained."""
        start, epoch, seconds = time.perf_counter(), self.trainer.epoch, self.trainer.seconds
        if rate is None:
            if self.last_end is not None:
                self.gaps.append(max(0.0, start - self.last_end))
            self.trainer.step_for(self.chunk_seconds())
        else:
            self.trainer.step(self.epochs_due(rate, start))
        self.trained += self.trainer.seconds - seconds
        self.chunk_epochs.append(self.trainer.epoch - epoch)
        self.last_start, self.last_end = start, time.perf_counter()
        return self.chunk_epochs[-1]

    def play(self) -> None:
        """Start (or resume) the clock."""
        self.playing, self.resumed, self.timed = True, time.perf_counter(), False
        self.last_start = self.last_end = None

    def pause(self) -> None:
        """Stop the clock."""
        if self.resumed is not None:
            self.wall += time.perf_counter() - self.resumed
        self.playing, self.resumed, self.timed = False, None, False

    def elapsed(self) -> float:
        """Wall-clock seconds played so far."""
        return self.wall + (time.perf_counter() - self.resumed if self.resumed is not None else 0.0)


def _new_run(cfgs: Configs) -> LiveRun:
    data_cfg, model_cfg, train_cfg = cfgs
    data = dataset(data_cfg)
    check_budget(data_cfg, model_cfg, train_cfg, data)  # the same limit as every other training
    return LiveRun(cfgs, Trainer(build(model_cfg, data, seed=train_cfg.seed), data, train_cfg))


def _speed(value) -> float | None:
    """Epochs per second for a speed name (the default for anything else)."""
    return SPEEDS.get(value, SPEEDS[DEFAULT_SPEED])


CONTROLS_KEY = "train_controls"  # the row of buttons and speed (class st-key-train_controls)
# on a phone the four buttons show their icons only (the word stays for screen readers, and as the accessible
# name), with less padding, so that they and the speed fit one row of a 390 px screen
_PHONE_CONTROLS_CSS = """<style>
@media (max-width: 640px) {
  .st-key-train_controls { gap: 0.3rem; flex-wrap: nowrap; }
  .st-key-train_controls [data-testid="stButton"] button { padding: 0.25rem 0.5rem; min-width: 2.4rem; }
  .st-key-train_controls [data-testid="stButton"] button [data-testid="stMarkdownContainer"] {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
  }
  .st-key-train_controls [data-testid="stButton"] button [data-testid="stIconMaterial"] { margin: 0; }
  .st-key-train_controls [data-testid="stButtonGroup"] button { padding-left: 0.35rem; padding-right: 0.35rem; }
}
</style>"""


def _controls(live: LiveRun | None, cfgs: Configs) -> tuple[LiveRun | None, float | None]:
    """Draw the four buttons and the speed, apply the button pressed; returns the (possibly new) live
    run and the speed in epochs per second (None: full speed)."""
    playing = live is not None and live.playing
    if hidden("train"):  # the lesson's link hides the buttons: the speed is the link's
        return live, _speed(link_value("speed"))
    st.html(_PHONE_CONTROLS_CSS)
    with st.container(horizontal=True, vertical_alignment="bottom", key=CONTROLS_KEY):
        # short labels, so that none is cut off on a phone or a projector; the tooltips say the rest
        play = st.button("Play", icon=":material/play_arrow:", disabled=playing, type="primary",
                         help="Train from here, drawing as it goes.")
        pause = st.button("Pause", icon=":material/pause:", disabled=not playing, help="Stop after this chunk.")
        step = st.button("Step", icon=":material/skip_next:", help="Train one epoch, then pause.")
        reset = st.button("Reset", icon=":material/restart_alt:", disabled=live is None,
                          help="Put this run aside and show the shared model for these settings.")
        with linked("speed", SPEED_KEY):  # starts at the link's speed (checked by the state table), goes back to it
            speed = st.segmented_control(
                "Speed", list(SPEEDS), required=True, key=SPEED_KEY,
                help="Epochs per second while playing: Slow 3, Normal 10, Fast 30. Max trains as fast as the "
                     "server can and redraws a few times a second.")
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
    return live, _speed(speed)


def _panel(cfgs: Configs) -> None:
    """The panel's body, run as a fragment: while playing, the browser asks for it again every
    `tick_seconds`, and each run trains one chunk and redraws. Between chunks nothing runs on the server;
    a paused run has no timer, and a closed tab stops asking."""
    live: LiveRun | None = st.session_state.get(LIVE)
    drawn = _button_state(live)  # the state the buttons (and the page's timer) were set up for
    live, rate = _controls(live, cfgs)
    st.session_state[LIVE] = live
    if live is not None and live.playing and live.cfgs != cfgs:
        live.pause()  # the settings moved under a running model: stop rather than mix them
    if live is not None and live.playing and live.timed and live.rate == rate:
        with training_slot():
            live.play_chunk(rate)
        if live.trainer.done:
            live.pause()
    if live is None:
        _show_cached(cfgs)
    elif live.cfgs != cfgs:
        _show_stale(live)
    else:
        _show_live(live, rate)
    if _button_state(live) != drawn or (live is not None and live.playing and live.rate != rate):
        # Play, Pause, the end of training or a new speed: run the whole page once, so the buttons are
        # drawn anew and the timer that asks for the next chunk is started, changed or stopped
        st.rerun()


def _button_state(live: LiveRun | None) -> tuple[bool, bool]:
    return live is None, live is not None and live.playing


def _show_stale(live: LiveRun) -> None:
    """The sidebar's settings changed since this run: say only that (its curve and errors belong to the
    old settings, and no page uses it for the new ones)."""
    st.warning(f"You changed the settings in the sidebar after this run (epoch {live.trainer.epoch} of "
               f"{live.trainer.cfg.epochs}), so it no longer matches them and is put aside. Press Play to train "
               "the new settings, Step to go one epoch at a time, or Reset to see the shared model for them.")


def status_text(live: LiveRun, rate: float | None) -> str:
    """The progress line: epoch, state (playing, paused, finished, or where and why training stopped), time."""
    tr = live.trainer
    E = tr.cfg.epochs
    diverged = getattr(tr, "diverged", None)
    if tr.error:
        stopped = diverged["epoch"] if diverged else tr.epoch + 1
        state = (f"training stopped at epoch {stopped} (it diverged), so the model is back at epoch "
                 f"{stopped - 1}")
    elif tr.done:
        state = "finished"
    elif live.playing:
        state = f"playing at {rate:g} epochs/s" if rate else "playing at full speed"
    else:
        state = "paused"
    return f"Epoch {tr.epoch} / {E} · {state} · {live.elapsed():.1f} s"


def _show_live(live: LiveRun, rate: float | None) -> None:
    tr = live.trainer
    E = tr.cfg.epochs
    st.progress(min(1.0, tr.epoch / E), text=status_text(live, rate))
    if tr.error:
        st.error(tr.error)
    _curve_map_and_numbers(tr, E, live)
    if tr.done and not tr.error:
        finished_run(*live.cfgs, _run=live.run())  # share the finished model with every page and session
        st.success(f"Finished {E} epochs in {live.elapsed():.2f} s (training itself took {tr.seconds:.2f} s). "
                   "Every page now uses this model.")


def live_codes(tr: Run | Trainer, data: Dataset, live: LiveRun | None = None
               ) -> tuple[np.ndarray, tuple[str, str], bool]:
    """The training codes as map coordinates (n_train, 2), the axis titles and whether it is a strip: z₁, z₂;
    a strip spread over [-1, 1] for latent 1; the first two principal axes for latent > 2, their signs kept
    from the last redraw (so the picture does not mirror itself between chunks)."""
    codes = encode(tr.model, data.X_train)  # (n_train, latent)
    latent = codes.shape[1]
    if latent == 1:
        spread = np.random.default_rng(0).uniform(-1, 1, len(codes))  # fixed, so points do not jitter
        return np.column_stack([codes[:, 0], spread]), ("z₁", "(spread for visibility)"), True
    if latent == 2:
        return codes, ("z₁", "z₂"), False
    plane = la.plane_for(codes)
    axes = plane.axes.copy()  # (2, latent)
    if live is not None:
        if live.axes is not None:
            axes *= np.where((axes * live.axes).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # no sign flips
        live.axes = axes
    coords = ((codes - plane.mean) @ axes.T).astype(np.float32)  # (n_train, 2)
    return coords, ("a (1st principal axis)", "b (2nd principal axis)"), False


def _latent_map(tr: Run | Trainer, live: LiveRun | None) -> None:
    data = tr.data
    coords, titles, strip = live_codes(tr, data, live)
    box = follow_box(coords, live.box if live is not None else None)
    if strip:
        box = (np.array([box[0][0], -1.2]), np.array([box[1][0], 1.2]))
    if live is not None:
        live.box = box
    chart = latent_chart(coords, data.y_train, data.label_names, box, epoch=tr.epoch, axis_titles=titles,
                         strip=strip, font_px=font_px())
    st.echarts_chart(chart, key="live_latent", height=CHART_HEIGHT)


def _curve_map_and_numbers(tr: Run | Trainer, epochs: int, live: LiveRun | None = None, start: bool = True) -> None:
    """The loss curve and, beside it, the codes as they are now; then the two errors. `tr` is a finished
    Run, or the live run's trainer while it trains (it has the same fields: history, model, data, final)."""
    left, right = st.columns(2)
    with left:
        chart = loss_chart(tr.history, epochs=epochs, start=tr.initial_loss if start else None,
                           diverged=getattr(tr, "diverged", None), font_px=font_px())
        st.echarts_chart(chart, key="loss_curve", height=CHART_HEIGHT)
    with right:
        _latent_map(tr, live)
    train_mse, test_mse = tr.final("recon")
    c1, c2 = st.columns(2)
    c1.metric("Train error (mean over the last epoch)", "—" if not tr.history else f"{train_mse:.4f}",
              help="The reconstruction error averaged over the last epoch's mini-batches, while the weights "
                   "were still changing (and, for a denoising model, on noisy inputs): a running average, not "
                   "the final model's error on the training set.")
    c2.metric("Test error (final model)", "—" if not tr.history else f"{test_mse:.4f}",
              help="The final model's reconstruction error on held-out data it never trained on.")


def _show_cached(cfgs: Configs) -> None:
    """Before any Play: the finished model every page uses (the default, or settings already trained),
    so the page is never empty; other settings wait for Play rather than train out of sight."""
    uploaded = uploaded_run(cfgs)
    if uploaded is not None:
        st.info("These are the weights you uploaded (sidebar, *Download or restore this model*): every page uses "
                "them in your session. Press Play to train these settings from scratch instead.")
        _curve_map_and_numbers(uploaded, cfgs[2].epochs, start=False)
        return
    if cfgs != defaults_for(cfgs[0].name) and not has_finished_run(*cfgs):
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
    _curve_map_and_numbers(tr, cfgs[2].epochs)


def live_training(cfgs: Configs) -> None:
    """The Train page's live panel for these settings; while a run plays, the browser reruns the panel
    (not the page) every `tick_seconds` for the next chunk."""
    live: LiveRun | None = st.session_state.get(LIVE)
    every = None
    if live is not None and live.playing:
        live.rate, live.timed = _speed(st.session_state.get(SPEED_KEY, DEFAULT_SPEED)), True
        every = tick_seconds(live.rate)
    st.fragment(_panel, run_every=every)(cfgs)
