"""The Train page's live panel: speed, the charts drawn while training, the diverged state, one state at a time."""

import json
import re

import numpy as np
import pytest

from aeviz import ModelConfig, TrainConfig, build
from aeviz.figures.live import follow_box, latent_chart, loss_chart
from aeviz.train import Trainer
from aeviz.ui.live import SPEEDS, LiveRun, chunk_epochs, tick_seconds
from aeviz.ui.state import LIVE
from test_pages import _open, _set


def _button(at, label):
    return next(b for b in at.button if b.label.startswith(label))


def _charts(at) -> dict:
    """The panel's ECharts options by title ("Loss per epoch", "The codes now ...")."""
    specs = [json.loads(e.proto.spec) for e in at.get("echarts_chart")]
    return {s["title"]["text"].split(" (")[0]: s for s in specs}


def _status(at) -> str:
    return at.get("progress")[0].proto.text


# --- speed -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("speed", ["Slow", "Normal", "Fast"])
def test_the_speed_sets_the_epochs_trained_per_redraw(speed):
    at = _open("pages/train.py", w_epochs=60)
    at.get("segmented_control")[0].set_value(speed).run()
    _button(at, "Play").click().run()
    assert not at.exception, [e.value for e in at.exception]
    live = at.session_state[LIVE]
    assert live.playing and live.rate == SPEEDS[speed]
    assert live.chunk_epochs == [chunk_epochs(SPEEDS[speed])]  # 1, 3, 9: the first redraw's chunk
    assert live.trainer.epoch == chunk_epochs(SPEEDS[speed])
    assert f"playing at {SPEEDS[speed]:g} epochs/s" in _status(at)


def test_the_paced_speeds_and_their_redraw_interval():
    assert [chunk_epochs(SPEEDS[s]) for s in ("Slow", "Normal", "Fast")] == [1, 3, 9]
    # the default 100 epochs take about 10 s to watch
    assert 100 / chunk_epochs(SPEEDS["Normal"]) * tick_seconds(SPEEDS["Normal"]) == pytest.approx(10, rel=0.05)
    assert tick_seconds(SPEEDS["Slow"]) == pytest.approx(1 / 3)
    assert tick_seconds(None) < 0.1  # Max: the next chunk as soon as the page has drawn


def test_a_late_redraw_catches_up_and_an_early_one_trains_less(digits):
    live = LiveRun(None, Trainer(build(ModelConfig(), digits, seed=0), digits, TrainConfig()))
    assert live.epochs_due(10.0, now=100.0) == 3  # the first chunk: the usual size
    live.last_start = 100.0
    assert live.epochs_due(10.0, now=100.3) == 3
    assert live.epochs_due(10.0, now=100.9) == 9  # late: keeps to 10 epochs per second
    assert live.epochs_due(10.0, now=110.0) == 12  # very late (a busy server): at most 4 chunks at once
    assert live.epochs_due(10.0, now=100.01) == 1  # early: never zero


# --- one Step, a diverged run --------------------------------------------------------------------------

def test_one_step_draws_points_not_an_invisible_line():
    at = _open("pages/train.py", w_epochs=5)
    _button(at, "Step").click().run()
    assert not at.exception
    loss = _charts(at)["Loss per epoch"]
    lines = [s for s in loss["series"] if s["type"] == "line"]
    assert {s["name"] for s in lines} == {"train recon", "test recon"}
    assert all(len(s["data"]) == 1 and s["showSymbol"] for s in lines)
    start = next(s for s in loss["series"] if s["name"] == "before training")
    assert start["data"][0][0] == 0 and start["data"][0][1] > lines[0]["data"][0][1]  # epoch 1 is lower


def test_a_diverged_run_says_the_same_epoch_everywhere_and_shows_its_loss():
    at = _open("pages/train.py", w_lr=10.0, w_epochs=20)
    _button(at, "Step").click().run()
    assert not at.exception
    status, message = _status(at), next(e.value for e in at.error if "Training stopped" in e.value)
    said = re.search(r"stopped at epoch (\d+)", message).group(1)
    assert f"training stopped at epoch {said}" in status
    assert "paused" not in status
    assert f"back at epoch {int(said) - 1}" in status and f"(epoch {int(said) - 1})" in message
    loss = _charts(at)["Loss per epoch"]
    kept = [s for s in loss["series"] if "rolled back" in s["name"]]
    assert kept and all(s["data"][-1][0] == int(said) and s["data"][-1][1] > 0 for s in kept)
    stop = next(s for s in loss["series"] if "markLine" in s)
    assert stop["markLine"]["data"] == [{"xAxis": int(said)}]


def test_the_trainer_keeps_the_diverged_epoch_for_display(digits):
    tr = Trainer(build(ModelConfig(), digits, seed=42), digits, TrainConfig(lr=10.0, epochs=5))
    tr.step(5)
    assert tr.error and tr.history == [] and tr.epoch == 0
    assert tr.diverged["epoch"] == 1 and "train_total" in tr.diverged and "test_total" in tr.diverged
    ok = Trainer(build(ModelConfig(), digits, seed=42), digits, TrainConfig(epochs=2))
    ok.step(2)
    assert ok.diverged is None


# --- one state at a time -------------------------------------------------------------------------------

def test_after_a_dataset_change_the_panel_shows_one_state():
    at = _open("pages/train.py", w_epochs=3)
    for _ in range(3):
        _button(at, "Step").click().run()
    assert any("Finished 3 epochs" in s.value for s in at.success)
    _set(at, "w_dataset", "gw")
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning if "no longer matches" in w.value]
    assert not at.success  # no "every page now uses this model" beside it
    assert not at.get("echarts_chart") and not at.metric and not at.get("progress")  # the old run's curve is gone
    _button(at, "Reset").click().run()
    assert not any("no longer matches" in w.value for w in at.warning)


def test_train_error_says_what_it_averages():
    at = _open("pages/train.py")
    labels = [m.label for m in at.metric]
    assert any("mean over the last epoch" in label for label in labels)
    assert any("final model" in label for label in labels)


# --- the chart builders ----------------------------------------------------------------------------------

def _history(n):
    return [{"epoch": e, "train_recon": 1 / e, "test_recon": 1.1 / e, "train_total": 1 / e, "test_total": 1.1 / e}
            for e in range(1, n + 1)]


def test_loss_chart_marks_short_histories_only():
    assert all(s["showSymbol"] for s in loss_chart(_history(1))["series"])
    assert not any(s.get("showSymbol") for s in loss_chart(_history(200))["series"])
    json.dumps(loss_chart(_history(3), epochs=100, start=2.0))  # plain JSON, as st.echarts_chart needs


def test_loss_chart_notes_a_loss_that_was_not_a_number():
    record = {"epoch": 4, "train_total": float("nan"), "test_total": float("inf")}
    chart = loss_chart(_history(3), epochs=10, diverged=record)
    json.dumps(chart, allow_nan=False)  # no NaN reaches the browser
    stop = next(s for s in chart["series"] if "markLine" in s)
    assert "training stopped at epoch 4" in stop["markLine"]["label"]["formatter"]
    assert "nan" in stop["markLine"]["label"]["formatter"]


def test_latent_chart_one_series_per_label_names_at_their_middles_and_fixed_axes():
    rng = np.random.default_rng(0)
    coords = np.vstack([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (30, 2))])
    labels = np.array([0] * 20 + [1] * 30)
    box = follow_box(coords)
    chart = latent_chart(coords, labels, ("a", "b", "unused"), box, epoch=7)
    points = [s for s in chart["series"] if s["name"] != "labels"]
    assert [s["name"] for s in points] == ["a", "b"] and [len(s["data"]) for s in points] == [20, 30]
    names = next(s for s in chart["series"] if s["name"] == "labels")["data"]
    assert [n["name"] for n in names] == ["a", "b"]
    assert names[1]["value"] == pytest.approx([5, 5], abs=0.1)
    assert chart["xAxis"]["min"] == pytest.approx(box[0][0], abs=1e-3) and chart["yAxis"]["max"] == pytest.approx(box[1][1], abs=1e-3)
    assert chart["title"]["text"] == "The codes now (epoch 7)"
    json.dumps(chart)


def test_follow_box_grows_at_once_and_shrinks_gently():
    small = np.array([[0.0, 0.0], [1.0, 1.0]])
    big = small * 10
    grown = follow_box(big, follow_box(small))
    assert np.all(grown[0] <= big.min(axis=0)) and np.all(grown[1] >= big.max(axis=0))  # every code inside
    shrunk = follow_box(small, grown)
    assert np.all(shrunk[1] < grown[1]) and np.all(shrunk[1] > follow_box(small)[1] + 1)  # a quarter of the way
